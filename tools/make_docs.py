"""Write the documentation site's generated pages, so they cannot drift from what they are made of:
docs/reference.md from the CLI's own parser, docs/index.md from the README (its links made the site's), and
docs/scaling.png from bench/.

    python tools/make_docs.py          # write them
    python tools/make_docs.py --check  # exit 1 if any differs from what it is made of
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DOCS = ROOT / "docs"


def reference() -> str:
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal: the file is the same on every machine
    from drugpolicy_kg.cli import make_parser

    parser = make_parser()
    parser.prog = "drugpolicy-kg"
    out = ["# Command reference", "",
           "Generated from the command-line parser by `tools/make_docs.py`; a test fails if it drifts.",
           "Exit codes and the errors you may meet are in [Commands](commands.md).", "",
           "```", parser.format_help().rstrip(), "```", ""]
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subs.choices.items():
        out += [f"## {name}", "", "```", sub.format_help().rstrip(), "```", ""]
    return "\n".join(out)


def index() -> str:
    """The README as the site's home page: its links to docs/ pages made the site's own."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    text = re.sub(r"\]\(docs/", "](", text)
    return ("<!-- Generated from README.md by tools/make_docs.py: edit the README, then run it. -->\n\n" + text)


def generated() -> dict[Path, bytes]:
    return {DOCS / "reference.md": reference().encode(), DOCS / "index.md": index().encode(),
            DOCS / "scaling.png": (ROOT / "bench" / "scaling.png").read_bytes()}


def main(argv: list[str]) -> int:
    files = generated()
    if "--check" in argv:
        stale = [p for p, data in files.items() if not p.is_file() or p.read_bytes() != data]
        for p in stale:
            print(f"{p.relative_to(ROOT)} is out of date: run python tools/make_docs.py", file=sys.stderr)
        return 1 if stale else 0
    for p, data in files.items():
        p.write_bytes(data)
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
