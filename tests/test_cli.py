"""The command line, in-process: build, export, stats, and clear errors on bad input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Dataset, Graph

from drugpolicy_kg.cli import main


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("build", "validate", "export", "stats"):
        assert cmd in out


def canonical(graph) -> set:
    """The graph's triples with each blank node named by what is said of it and around it (a few rounds of colour
    refinement): equal sets mean isomorphic graphs here, in seconds rather than rdflib's minute per comparison."""
    import hashlib

    from rdflib import BNode

    bnodes = {t for triple in graph for t in triple if isinstance(t, BNode)}
    names = dict.fromkeys(bnodes, "_:")
    distinct = 0
    while len(set(names.values())) > distinct:  # refine until the partition stops splitting
        distinct = len(set(names.values()))

        def name(t, names=names):
            return names[t] if isinstance(t, BNode) else t.n3()
        names = {b: "_:" + hashlib.sha256(repr((
            sorted((str(p), name(o)) for p, o in graph.predicate_objects(b)),
            sorted((name(s), str(p)) for s, p in graph.subject_predicates(b)))).encode()).hexdigest() for b in bnodes}
    out = {tuple(names[t] if isinstance(t, BNode) else t.n3() for t in triple) for triple in graph}
    assert len(out) == len(graph), "two blank nodes look alike: compare them another way"
    return out


def test_build_writes_all_formats_that_agree(copy_project, tmp_path, capsys):
    """Five formats of one graph say the same (on the project without the budget sections: what is compared is the
    writers, and rdflib's isomorphism check on the 270,000 triples of the sections takes minutes)."""
    out = tmp_path / "b"
    assert main(["--project", str(copy_project), "build", "--out", str(out)]) == 0
    ttl = Graph().parse(out / "drugpolicy-kg.ttl")
    nt = Graph().parse(out / "drugpolicy-kg.nt")
    jsonld = Graph().parse(out / "drugpolicy-kg.jsonld", format="json-ld")
    assert len(ttl) > 10000
    assert canonical(ttl) == canonical(nt) == canonical(jsonld)
    trig = Dataset()
    trig.parse(out / "drugpolicy-kg.trig", format="trig")
    names = {str(g.identifier).rsplit("/", 1)[-1] for g in trig.graphs() if len(g)}
    assert {"cnd65-crp-itwg", "isn-brochure", "sdg-concepts", "derived"} <= names
    doc = json.loads((out / "drugpolicy-kg.jsonld").read_text())
    assert isinstance(doc["@context"], dict), "JSON-LD must carry its context inline, never a remote URL"
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))


def test_derived_mandates_shortcut(graph):
    from rdflib import Namespace

    DPO = Namespace("https://w3id.org/drugpolicy-kg/ontology#")
    DPK = Namespace("https://w3id.org/drugpolicy-kg/id/")
    assert (DPK["res-cnd-64-3"], DPO.mandates, DPK["activity-unodc-who-collaboration"]) in graph
    assert (DPK["res-cnd-64-3"], DPO.mandates, DPK["org-unodc"]) in graph
    # 59/3 "recognizes" the ISN's efforts: a provision that asks for no action, so no mandate is derived
    assert (DPK["res-cnd-59-3"], DPO.mandates, DPK.isn) not in graph
    # 58/7 mandates what the budget lists it for, never the ISN (the brochure does not link them)
    assert (DPK["res-cnd-58-7"], DPO.mandates, DPK.isn) not in graph
    assert (DPK["res-cnd-58-7"], DPO.mandates, DPK["programme-a-80-6-sect-16"]) in graph


def test_malformed_turtle_names_file_line_column_and_writes_nothing(copy_project, tmp_path, capsys):
    out = tmp_path / "b"
    assert main(["--project", str(copy_project), "build", "--out", str(out), "--format", "nt"]) == 0
    before = (out / "drugpolicy-kg.nt").read_bytes()
    bad = copy_project / "data" / "zz-broken.ttl"
    bad.write_text('@prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .\n\ndpk:a dpk:b "unterminated .\n', encoding="utf-8")
    capsys.readouterr()
    assert main(["--project", str(copy_project), "build", "--out", str(out), "--format", "nt"]) == 2
    err = capsys.readouterr().err
    assert "zz-broken.ttl:3:" in err and "Traceback" not in err
    assert (out / "drugpolicy-kg.nt").read_bytes() == before
    assert main(["--project", str(copy_project), "validate"]) == 2


def test_unknown_format_lists_accepted(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["export", "--format", "rdfxml"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "ttl" in err and "jsonld" in err


def test_missing_project_folder(tmp_path, capsys):
    assert main(["--project", str(tmp_path / "nope"), "stats"]) == 2
    assert "project folder not found" in capsys.readouterr().err
    assert main(["--project", str(tmp_path), "stats"]) == 2
    assert "missing ontology/, data/" in capsys.readouterr().err


def test_project_is_taken_after_the_command_too(small_project, tmp_path, capsys):
    """``stats --project DIR`` as ``--project DIR stats``; given on both sides, the one after the command is used
    (the last word given), and one given before it alone is kept (the command's own default does not replace it)."""
    root = str(small_project.root)
    assert main(["stats", "--project", root, "--format", "json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert main(["--project", root, "stats", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == after
    assert main(["--project", str(tmp_path / "nope"), "stats", "--project", root, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == after
    assert main(["--project", root, "stats", "--project", str(tmp_path / "nope")]) == 2
    assert "project folder not found" in capsys.readouterr().err
    shipped = main(["stats", "--format", "json"]), json.loads(capsys.readouterr().out)
    assert shipped[0] == 0 and shipped[1] != after  # (no --project anywhere: the shipped data)


def test_export_to_file_and_stdout(small_project, tmp_path, capsysbinary):
    # (the project without the budget sections: what is tried is where the export goes, not the whole graph's size)
    target = tmp_path / "g.nt"
    assert main(["--project", str(small_project.root), "export", "--format", "nt", "-o", str(target)]) == 0
    assert len(Graph().parse(target, format="nt")) > 10000
    capsysbinary.readouterr()
    assert main(["--project", str(small_project.root), "export", "--format", "ttl"]) == 0
    assert b"dpk:itwg" in capsysbinary.readouterr().out


def test_stats_json(capsys):
    assert main(["stats", "--format", "json"]) == 0
    st = json.loads(capsys.readouterr().out)
    classes = dict(st["classes"])
    # 15 ITWG memberships and its 2 co-leads; UNODC and WHO implement the ISN, they are not its members
    assert classes["org:Membership"] == 17 and classes["dpo:Provision"] == 1
    assert classes["dpo:Mandate"] == 1 + 431 + 888  # 64/3 OP18, and the two budget sections' legislative mandates
    assert {s["source"] for s in st["sources"]} == {
        "A/80/6 (Sect. 16): Proposed programme budget for 2026, Section 16: International drug control, crime and terrorism "
        "prevention and criminal justice",
        "A/80/6 (Sect. 24): Proposed programme budget for 2026, Section 24: Human rights",
        "Conference room paper: Inaugural Meeting of the Interagency Technical Working Group (CND, sixty-fifth session)",
        "Brochure: UNODC-WHO Informal Scientific Network (ISN)",
    }


def test_build_publishes_the_description_the_ontology_docs_and_the_w3id_rules(tmp_path, capsys):
    from rdflib import Graph, URIRef
    from rdflib.namespace import OWL, RDF

    out = tmp_path / "pub"
    assert main(["build", "--out", str(out), "--format", "nt", "--publish-url", "https://data.example.org/dpkg"]) == 0
    desc = Graph().parse(out / "dataset.ttl")
    assert (URIRef("https://w3id.org/drugpolicy-kg/dataset"), RDF.type, URIRef("http://rdfs.org/ns/void#Dataset")) in desc
    onto = Graph().parse(out / "ontology" / "drugpolicy.ttl")
    classes = {str(c).rsplit("#", 1)[-1] for c in onto.subjects(RDF.type, OWL.Class)
               if str(c).startswith("https://w3id.org/drugpolicy-kg/ontology#")}
    page = (out / "ontology.html").read_text(encoding="utf-8")
    assert classes and all(f'<section id="{c}">' in page for c in classes) and "<script" not in page
    rules = (out / "w3id.htaccess").read_text()
    assert "RewriteRule ^ontology$ https://data.example.org/dpkg/ontology.html [R=303,L]" in rules
    assert main(["build", "--out", str(out), "--format", "nt", "--publish-url", "javascript:alert(1)"]) == 2


def test_library_warnings_are_one_line_once_such_a_library_is_imported():
    """main installs its one-line handler as the first library that logs is imported (not before: a warm query
    imports no logging); what rdflib then logs reaches stderr as one escaped line, once."""
    import subprocess
    import sys

    code = ("import sys\nfrom drugpolicy_kg import cli\nsys.meta_path.insert(0, cli._OneLineWarnings())\n"
            "assert 'logging' not in sys.modules\nimport rdflib, logging\n"
            "for _ in range(2):\n    logging.getLogger('rdflib.term').warning('first line \\x1b[2J\\nsecond line')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr.splitlines() == ["drugpolicy-kg: warning: first line \\x1b[2J"], proc.stderr


def _table_as_it_was(headers, rows, max_width):
    """The table format_table made before it was written line by line (a reference: every cell made, then widths)."""
    from drugpolicy_kg.tables import terminal_safe

    def cell(v):
        s = terminal_safe(" ".join(("" if v is None else str(v)).split()))
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    body = [[cell(v) for v in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(), "  ".join("-" * w for w in widths)]
    return "\n".join(lines + ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in body])


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(st.one_of(st.none(), st.integers(), st.text(alphabet="ab \t\n\x1b\u202e€é", max_size=12)),
                              min_size=3, max_size=3), max_size=12),
       width=st.integers(min_value=2, max_value=9), kept=st.sampled_from([0, 1, 100_000]),
       at_once=st.sampled_from([1, 2, 5, 4096]))
def test_a_table_written_line_by_line_is_the_table_made_whole(rows, width, kept, at_once):
    """validate writes its table a line at a time, its rows made twice (a million findings' table had been held
    three times over, 320 MB): the same text as the table made whole, however few of its cells are kept and
    however many rows are made into cells at once."""
    from unittest import mock

    from drugpolicy_kg import tables

    with mock.patch.object(tables, "CELLS_KEPT", kept), mock.patch.object(tables, "ROWS_AT_ONCE", at_once):
        made = list(tables.table_lines(["h1", "header two", "h"], lambda: iter(rows), max_width=width))
        assert "\n".join(made) == tables.format_table(["h1", "header two", "h"], rows, max_width=width)
    assert "\n".join(made) == _table_as_it_was(["h1", "header two", "h"], rows, width)
