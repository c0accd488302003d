"""Lint the code like the data: ruff with bugbear and security rules must pass."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import tokenize

import pytest

from .conftest import ROOT


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(ROOT / ".venv" / "bin" / "ruff")
    proc = subprocess.run([ruff, "check", "src", "tests", "tools", "bench"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr + f"\nfix: {sys.executable} -m ruff check --fix src tests tools bench"


@pytest.mark.parametrize("args", [["--help"], ["query", "--list"], ["trace", "--help"]])
def test_cli_startup_imports_nothing_heavy(args):
    code = f"import sys, drugpolicy_kg.cli as c\ntry:\n    c.main({args!r})\nexcept SystemExit:\n    pass\n" \
           "heavy = [m for m in ('rdflib', 'pyshacl', 'pyvis', 'networkx', 'SPARQLWrapper', 'pyoxigraph') if m in sys.modules]\n" \
           "print('HEAVY', heavy)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize("args", [["query", "organizations", "--format", "csv"], ["stats"], ["trace", "64/3"],
                                  ["query", "members-of-body", "--param", "body=ITWG", "--format", "csv"],
                                  ["trace", "ITWG", "--format", "html"],
                                  ["query", "--sparql", "SELECT ?load WHERE { ?load a org:FormalOrganization } LIMIT 1"],
                                  ["search", "harm", "reduction"], ["stats", "--format", "json"]])
def test_warm_query_stats_and_trace_read_the_store_without_rdflib(args):
    """query, stats and trace read the store through pyoxigraph: rdflib is not imported (#30), nor its SPARQL parser,
    even for a text that has SERVICE or LOAD in it (the network guard is Oxigraph's parser). Nor the standard
    library's modules these commands had imported for no more than their types and records: dataclasses (with
    inspect, ast and dis: 7.5-12 ms of every start), typing (3 ms), difflib and csv (where no name is misspelt and no
    CSV written); a page in HTML is the house's templates' (Jinja imports both)."""
    lean = () if "html" in args else ("dataclasses", "inspect", "typing", "difflib")
    code = f"import sys, drugpolicy_kg.cli as c\ncode = c.main({args!r})\n" \
           f"print('CODE', code, 'HEAVY', [m for m in ('rdflib', 'pyparsing', 'pyshacl', 'networkx', *{lean!r}) " \
           "if m in sys.modules])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert "CODE 0 HEAVY []" in proc.stdout, proc.stdout[-500:] + proc.stderr[-2000:]


def test_the_package_imports_where_fcntl_does_not_exist():
    """fcntl is Unix-only: the store module imported it at the top, so the package did not import on Windows."""
    import subprocess
    import sys

    code = ("import builtins\nreal = builtins.__import__\n"
            "def imp(name, *a, **k):\n    if name == 'fcntl': raise ImportError('no fcntl')\n    return real(name, *a, **k)\n"
            "builtins.__import__ = imp\n"
            "import drugpolicy_kg.cli, drugpolicy_kg.graph.store, drugpolicy_kg.api, drugpolicy_kg.atomic\nprint('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


HTML_TAG = re.compile(r"(?<!\?P)</?(?:html|head|body|div|p|a|span|table|tr|td|th|ul|ol|li|h[1-6]|blockquote|section|"
                      r"details|summary|script|style|strong|em|code|nav|sup|mark|svg|circle|polygon|label|input|option|"
                      r"select|button|img|iframe|aside|cite|center|meta|title|link)[\s>/]")
XML_WRITERS = {"sparql/results.py",  # the SPARQL Query Results XML Format: XML the standard defines, not a page
               "uses/netfiles.py"}  # GraphML and GEXF (whose <meta> is GEXF's own element)
ANCHORS = 2  # where views.py splices the network page's parts into pyvis's own page: "<head>", "</body>"


def html_literals(path) -> list[tuple[int, str]]:
    """The HTML tags written in the strings of a Python file (docstrings and regular expressions left out)."""
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        text = tok.string
        if tok.type != tokenize.STRING or text.lstrip("bfuBFU").startswith(("r", "R")) or text.endswith('"""'):
            continue
        found += [(tok.start[0], m.group(0)) for m in HTML_TAG.finditer(text)]
    return found


def test_markup_lives_in_templates_not_in_python():
    """Every page is a template (``templates/``): the package's Python passes data, not markup. What is left are the
    anchors where the network page's parts are spliced into the page pyvis renders."""
    pkg = ROOT / "src" / "drugpolicy_kg"
    found = {str(p.relative_to(pkg)): tags for p in sorted(pkg.rglob("*.py"))
             if str(p.relative_to(pkg)) not in XML_WRITERS and (tags := html_literals(p))}
    assert sum(map(len, found.values())) <= ANCHORS and set(found) <= {"uses/views.py"}, found


def test_every_page_template_extends_the_one_layout():
    templates = ROOT / "src" / "drugpolicy_kg" / "templates"
    pages = [p for p in templates.glob("*.html") if "<!DOCTYPE" in p.read_text() or "{% block body %}" in p.read_text()]
    assert {p.name for p in pages if "<!DOCTYPE" in p.read_text()} == {"layout.html"}
    for p in pages:
        assert p.name == "layout.html" or p.read_text().startswith('{% extends "'), p.name
    assert len(list(templates.glob("*.css"))) == 1  # one stylesheet


def test_the_package_declares_what_it_imports_and_imports_what_it_declares():
    """Every library the package's code imports is declared (at run time, or in the extra of the feature that imports
    it), and every run-time dependency is imported somewhere: a declared library nobody uses, or a used library that
    a fresh install lacks, fails here, not on a user's machine."""
    import ast
    import importlib.metadata as md
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(reqs):
        return {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower().replace("_", "-") for r in reqs}

    runtime = names(project["dependencies"])
    extras = set().union(*(names(r) for name, r in project["optional-dependencies"].items() if name != "dev"))
    imported = set()
    for path in (ROOT / "src" / "drugpolicy_kg").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    imported -= set(sys.stdlib_module_names) | {"drugpolicy_kg"}
    dists = md.packages_distributions()
    used = {d.lower().replace("_", "-") for m in imported for d in dists.get(m, [m])}
    assert used - runtime - extras == set(), "imported, not declared"
    assert runtime - used == set(), "declared, never imported"
