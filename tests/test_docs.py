"""The README is a landing page and the docs a site whose examples hold (#32): sizes, links, generated pages, a strict
offline build, and the README's commands run with their shown output checked against what they print today."""

from __future__ import annotations

import csv
import io
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from drugpolicy_kg.cli import main, make_parser

from .conftest import ROOT
from .shared import shipped

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))


def test_the_readme_is_a_landing_page():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.encode()) <= 15_000
    for heading in ("## What is in the graph", "## For each kind of user", "## Documentation"):
        assert heading in text
    assert text.index("make demo") < 1500 and "make test" in text[:1500]  # the two commands come first


@pytest.mark.parametrize("page", [ROOT / "README.md", *PAGES], ids=lambda p: p.name)
def test_every_relative_link_leads_somewhere(page):
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "#", "mailto:")):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{page.name}: {target}"


def test_generated_pages_are_current():
    """docs/reference.md is the parser's help, the README's scale section bench/results.json, docs/index.md the README:
    run tools/make_docs.py after changing them."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_docs.py"), "--check"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


def test_every_page_is_in_the_site_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert {p.name for p in PAGES} == set(re.findall(r":\s*(\S+\.md)\s*$", nav, re.M))


@pytest.mark.slow
def test_the_site_builds_offline_with_no_warning(tmp_path):
    mkdocs = shutil.which("mkdocs", path=str(ROOT / ".venv" / "bin")) or shutil.which("mkdocs")
    if mkdocs is None:
        pytest.skip("mkdocs is not installed (pip install -e '.[docs]')")
    result = subprocess.run([mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=ROOT,
                            capture_output=True, text=True, env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "site" / "index.html").is_file() and (tmp_path / "site" / "reference" / "index.html").is_file()


def _commands(text: str) -> list[list[str]]:
    """Every `drugpolicy-kg ...` command in the page's code blocks, as argv: a shown prompt "$ " dropped, a line ending
    in a backslash or inside an open quotation continued; a synopsis ("[--out DIR]", "a | b", "...") left out."""
    out = []
    fenced = re.findall(r"```[a-z]*\n(.*?)```", text, re.S)
    indented = re.findall(r"(?:^(?: {4}|\t).*\n?)+", re.sub(r"```.*?```", "", text, flags=re.S), re.M)
    for block in fenced + indented:
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i].removeprefix("$ ").strip()
            i += 1
            if not line.startswith("drugpolicy-kg "):
                continue
            while True:
                try:
                    argv = shlex.split(line, comments=True)
                    if not line.endswith("\\"):
                        break
                except ValueError:  # an open quotation: the command goes on
                    pass
                if i >= len(lines):
                    argv = []
                    break
                line = line.removesuffix("\\") + "\n" + lines[i]
                i += 1
            if argv and not any(("|" in a or a.startswith("[") or a == "...") for a in argv):
                out.append(argv[1:])
    return out


@pytest.mark.parametrize("page", [ROOT / "README.md", *PAGES], ids=lambda p: p.name)
def test_every_command_shown_is_one_the_cli_takes(page):
    """Each example parses with the CLI's own parser: no option or command that does not exist."""
    parser = make_parser()
    for argv in _commands(page.read_text(encoding="utf-8")):
        try:
            parser.parse_args(argv)
        except SystemExit as exc:
            pytest.fail(f"{page.name}: drugpolicy-kg {shlex.join(argv)} (exit {exc.code})")


def _shown_runs(text: str) -> list[tuple[list[str], list[str]]]:
    """The README's blocks that show a command ("$ drugpolicy-kg ...") and what it printed."""
    runs = []
    for block in re.findall(r"```\n(\$ drugpolicy-kg .*?)```", text, re.S):
        first, *shown = block.rstrip("\n").split("\n")
        runs.append((shlex.split(first[2:])[1:], [line for line in shown if line.strip() and line.strip() != "..."]))
    return runs


@pytest.mark.parametrize("run", _shown_runs((ROOT / "README.md").read_text(encoding="utf-8")),
                         ids=lambda r: " ".join(r[0][:2]))
def test_the_readme_shows_what_its_commands_print(run):
    argv, shown = run
    code, out, err = shipped(*argv)  # (as the README was made: not a terminal, the default width)
    assert code == 0, err
    printed = out.splitlines()
    missing = [line for line in shown if line not in printed]
    assert not missing, f"drugpolicy-kg {shlex.join(argv)} no longer prints: {missing[:3]}"


def test_the_readme_figures_are_the_graph_s(capsys, monkeypatch):
    """The figures the README's prose gives of the graph (triples, named graphs, facts, observations, instruments that
    mandate both entities) are what the commands count today, not what they counted when the text was written."""
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())

    def number(pattern: str) -> int:
        m = re.search(pattern, text)
        assert m, f"the README no longer says {pattern!r}"
        return int(m.group(1).replace(",", ""))

    code, out, _ = shipped("validate")
    assert code == 0
    facts = int(re.search(r"statement coverage: (\d+) of", out).group(1))
    code, stats, _ = shipped("stats")
    assert code == 0
    triples = int(re.search(r"^triples: (\d+)", stats, re.M).group(1))
    graphs = len(re.findall(r"^\S+ +\d+$", stats.split("\n\n")[1], re.M))
    observations = int(re.search(r"^qb:Observation +(\d+)", stats, re.M).group(1))
    assert main(["query", "resolutions-across-entities", "--format", "csv"]) == 0
    both = {row["resolution"] for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert number(r"([\d,]+) triples in \d+ named graphs") == triples
    assert number(r"triples in (\d+) named graphs") == graphs
    assert number(r"named graphs, ([\d,]+) facts") == facts
    assert number(r"RDF Data Cube observation \(([\d,]+)\)") == observations
    assert number(r"(\d+) instruments mandate both entities") == len(both)
