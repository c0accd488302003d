"""Write the expected result of every competency query (tests/expected/NAME.tsv or .nt) from the local engine.

    python tools/update_expected.py

Review the diff before committing: these files are what the tests hold every engine to.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from drugpolicy_kg.resources import Project  # noqa: E402
from drugpolicy_kg.sparql.query import LocalEngine, bind_params, list_queries  # noqa: E402
from drugpolicy_kg.sparql.results import to_tsv  # noqa: E402


def main() -> int:
    out = ROOT / "tests" / "expected"
    out.mkdir(exist_ok=True)
    engine = LocalEngine(Project.open(ROOT))
    for q in list_queries(engine.project):
        result = engine.run(q.text, bind_params(q, {}), q.name)
        if result.kind == "graph":
            data = "".join(sorted(result.graph.serialize(format="nt").splitlines(keepends=True)))
            (out / f"{q.name}.nt").write_text(data, encoding="utf-8")
        else:
            head, *rows = to_tsv(result).splitlines()
            (out / f"{q.name}.tsv").write_text("\n".join([head, *sorted(rows)]) + "\n", encoding="utf-8")
        print(q.name, result.kind)
    return 0


if __name__ == "__main__":
    sys.exit(main())
