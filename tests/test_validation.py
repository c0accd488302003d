"""Every shape and every check bites on a fixture made to break it; the real data conforms."""

from __future__ import annotations

import json
import os
import re
from collections import Counter

import pytest
from rdflib import Namespace, URIRef

from drugpolicy_kg.checks.validate import validate, validate_store
from drugpolicy_kg.cli import main
from drugpolicy_kg.graph.loader import parse_file

from .conftest import FIXTURES, ROOT
from .shared import shipped

SH = Namespace("http://www.w3.org/ns/shacl#")
VIOLATIONS = sorted((FIXTURES / "violations").glob("*.ttl"))


def expected_rules(path) -> list[str]:
    m = re.match(r"# expect: (.+)", path.read_text(encoding="utf-8").splitlines()[0])
    assert m, f"{path.name} must start with '# expect: rule, rule'"
    return [r.strip() for r in m.group(1).split(",")]


def test_fixtures_found():
    assert len(VIOLATIONS) >= 25, "the violation fixtures folder lost files"


@pytest.mark.parametrize("engine", ["pyshacl", "sparql"])
def test_real_data_conforms(dataset, project, engine, tmp_path):
    """The shipped data conforms. pySHACL reads the graph in Python (minutes on the 270,000 triples): it checks the
    project with one budget section (A/80/6 (Sect. 16): every class and shape of the programme plans), the compiled
    engine the whole default graph."""
    if engine == "pyshacl":
        from drugpolicy_kg.graph.store import GraphStore
        from drugpolicy_kg.resources import Project

        from .conftest import make_copy

        project = Project.open(make_copy(tmp_path, keep=("a-80-6-sect-16",)))
        dataset = GraphStore.open(project)
        assert any("sect-16" in g for g in dataset.graphs), "the copy kept its budget section"
    else:  # the command's own run of the same (validate_store), shared with the tests that read what it prints
        code, out, _ = shipped("validate")  # (as the README shows it: "conforms" is said only when nothing is found)
        covered, facts = map(int, re.search(r"statement coverage: (\d+) of (\d+) facts", out).groups())
        checks, quotes = map(int, re.search(r"\d+ triples, SHACL \(sparql\) \+ (\d+) checks \+ (\d+) quotes: conforms$",
                                            out.strip()).groups())
        assert code == 0 and checks == len(project.check_files()) and quotes >= 60
        assert facts >= 290 and covered == facts
        return
    report = validate_store(dataset, project, engine=engine)
    assert report.findings == []
    assert report.conforms
    assert report.checks_run == len(project.check_files()) >= 6
    assert report.quotes_checked >= 60
    assert report.facts >= 290 and report.facts_with_evidence == report.facts


@pytest.mark.parametrize("fixture", VIOLATIONS, ids=[p.stem for p in VIOLATIONS])
def test_fixture_violates_expected_rules(fixture, small_project):
    """Both SHACL engines (pySHACL, and the shapes compiled to SPARQL) find the same violations (on one store of the
    project and the fixture, as ``validate PROJECT FIXTURE`` builds it)."""
    from drugpolicy_kg.checks.validate import store_with

    gs = store_with(small_project, [fixture])
    reports = {e: validate_store(gs, small_project, engine=e) for e in ("pyshacl", "sparql")}
    # a blank node's label differs between the two engines: compare blank focus nodes as one
    shacl = {e: {(f.focus if "://" in f.focus else "_:blank", f.path, f.rule) for f in r.findings if f.kind == "shacl"}
             for e, r in reports.items()}
    assert shacl["pyshacl"] == shacl["sparql"], "the two SHACL engines disagree"
    for report in reports.values():
        assert not report.conforms
        found = {f.rule.rsplit("#", 1)[-1] for f in report.findings}
        for rule in expected_rules(fixture):
            assert rule in found, f"{fixture.name} ({report.engine}): expected {rule}, got {sorted(found)}"
        for f in report.findings:
            assert f.message, f"finding without a message: {f}"


def test_types_in_a_data_file_exempt_nothing(small_project):
    """A data file cannot take an entity out of the evidence check by typing it as a concept or a dataset, nor hang
    facts on an evidence node: each such fact is found, by subject."""
    report = validate(small_project, [FIXTURES / "violations" / "fact-exempted-by-its-type.ttl"], engine="sparql")
    dpk = "https://w3id.org/drugpolicy-kg/id/"
    found = {(f.focus, f.path.rsplit("#", 1)[-1]) for f in report.findings if f.rule == "fact-without-evidence"}
    assert found == {(dpk + "org-who", "memberOf"), (dpk + "isn", "memberOf"), (dpk + "ev-isn-support", "memberOf")}


def test_what_evidence_says_of_itself_is_a_fact_on_anything_else(small_project, tmp_path):
    """The properties evidence and statements say of themselves (a quote, a locator, the fact stated) need no quote
    only on such a node (a node with an rdf:subject is a statement): hung on an organization, or a statement's on an
    evidence node, each is a fact to be found."""
    from drugpolicy_kg.checks.statements import OWN_PROPERTIES
    from drugpolicy_kg.resources import PREFIXES, internal_query

    extra = tmp_path / "own-properties-elsewhere.ttl"
    extra.write_text("""@prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .
@prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
dpk:org-who dpo:quote "We lead." ; dpo:locator "para. 1" ; rdf:object dpk:itwg .
dpk:ev-isn-support rdf:predicate dpo:implements .
""", encoding="utf-8")
    report = validate(small_project, [extra], engine="sparql")
    dpk = "https://w3id.org/drugpolicy-kg/id/"
    found = {(f.focus, f.path.rsplit("#", 1)[-1]) for f in report.findings if f.rule == "fact-without-evidence"}
    assert found == {(dpk + "org-who", "quote"), (dpk + "org-who", "locator"), (dpk + "org-who", "object"),
                     (dpk + "ev-isn-support", "predicate")}
    # the engine's list of those properties is the check's (less rdf:type, exempt everywhere)
    listed = set()
    for values in re.findall(r"VALUES \?p \{([^}]*)\}", internal_query("facts-owned.rq")):
        for name in values.split():
            prefix, local = name.split(":")
            listed.add(PREFIXES[prefix] + local)
    assert listed == set().union(*OWN_PROPERTIES.values()) - {PREFIXES["rdf"] + "type"}


def test_dangling_references_are_found_from_the_projects_own_subjects_only(small_project, tmp_path):
    """An IRI of the project's namespace or an SDG code used as a value with no type anywhere is found once per
    property that points at it from one of the project's own subjects; a typed value, an IRI elsewhere on the web, a
    reference from outside the namespace, and the SDG ontology's own terms are not (the check's rows, exactly)."""
    extra = tmp_path / "dangling-cases.ttl"
    extra.write_text("""@prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .
@prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
dpk:org-who org:memberOf dpk:ghost-body ; dcterms:subject <http://metadata.un.org/sdg/3.5.9> ;
    rdfs:seeAlso <http://example.org/elsewhere> , <http://metadata.un.org/sdg/ontology#Target> ;
    dcterms:relation dpk:itwg .
dpk:isn dpo:partner dpk:ghost-body .
<http://example.org/outside> org:memberOf dpk:ghost-two .
""", encoding="utf-8")
    report = validate(small_project, [extra], engine="sparql", quotes=False)
    found = {(f.focus, f.path) for f in report.findings if f.rule == "dangling-reference-violation"}
    dpk, org, dpo = "https://w3id.org/drugpolicy-kg/id/", "http://www.w3.org/ns/org#", "https://w3id.org/drugpolicy-kg/ontology#"
    assert found == {(dpk + "ghost-body", org + "memberOf"), (dpk + "ghost-body", dpo + "partner"),
                     ("http://metadata.un.org/sdg/3.5.9", "http://purl.org/dc/terms/subject")}


@pytest.mark.parametrize("at_once", [False, True], ids=["node by node", "every node at once"])
def test_each_findings_label_and_file_are_those_the_node_by_node_look_ups_give(tmp_path, monkeypatch, at_once):
    """_Where reads a node's triples once for its label and its files, or every node's at once for a batch of
    findings about many nodes (_Where.look_up); on awkward data (a node in three graphs, one of them given with
    --extra, one outside the project's graphs; two labels in two graphs; an empty alternative label; a label only in
    a graph of its own; no label; no triple at all) every (node, path) gets the label and the file the look-ups of
    one predicate at a time give (_label over rdflib, _file_of), either way."""
    from rdflib import Literal

    from drugpolicy_kg.checks import validate as validation
    from drugpolicy_kg.checks.validate import _file_of, _label, _Where
    from drugpolicy_kg.graph.store import GraphStore, Input
    from drugpolicy_kg.resources import GRAPH_BASE

    head = "@prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .\n@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n" \
           "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n@prefix org: <http://www.w3.org/ns/org#> .\n"
    files = {
        GRAPH_BASE + "data/b": "dpk:a rdfs:label \"Bee\" ; org:memberOf dpk:x .\ndpk:c skos:altLabel \"\" ; rdfs:label \"C\" .\n"
                               "dpk:e org:memberOf dpk:x .\n",
        GRAPH_BASE + "data/a": "dpk:a rdfs:label \"Ay\" ; org:headOf dpk:x .\ndpk:d rdfs:label \"D\" .\n",
        GRAPH_BASE + "extra/z": "dpk:a skos:altLabel \"AZ\" , \"AA\" .\ndpk:c org:memberOf dpk:x .\n",
        "https://example.org/elsewhere": "dpk:a org:role dpk:r .\ndpk:f rdfs:label \"F\" .\n",
    }
    inputs = []
    for i, (graph, text) in enumerate(files.items()):
        path = tmp_path / f"f{i}.ttl"
        path.write_text(head + text, encoding="utf-8")
        inputs.append(Input(path, graph))
    gs = GraphStore.in_memory(inputs)
    view = gs.rdflib()
    where = _Where(view, gs, from_store=True)
    dpk, org = "https://w3id.org/drugpolicy-kg/id/", "http://www.w3.org/ns/org#"
    # one node found enough to read every node at once, or none
    monkeypatch.setattr(validation, "BULK_SHARE", gs.triples if at_once else 0)
    where.look_up([dpk + "g"])
    assert where._all_read is at_once
    assert set(where._nodes) >= {dpk + name for name in "acdef"} if at_once else not where._nodes
    paths = [None, URIRef(org + "memberOf"), URIRef(org + "headOf"), URIRef(org + "role"),
             URIRef("http://www.w3.org/2000/01/rdf-schema#label"), URIRef(org + "unused")]
    seen = set()
    for name in "acdefgx":
        node = URIRef(dpk + name)
        assert where.label(node) == _label(view, node), name
        for path in paths:
            assert where.file(node, path) == _file_of(gs, node, path), (name, path)
            seen.add(where.file(node, path))
    assert where.label(URIRef(dpk + "a")) == "AA" and where.label(URIRef(dpk + "c")) == ""  # (first by value; "" kept)
    assert where.label(Literal("a")) == ""
    assert {"extra/z", "data/a", "data/b", ""} <= seen  # (the cases reach each outcome)
    # only a node stated in several graphs is kept by path: a million findings' (node, path) keys held 390 MB
    assert where._files and all(len(where._node(str(node))[1]) > 1 for node, _path in where._files)


def _with_violations(tmp_path, fixtures):
    """A copy of the project (without the programme-budget sections) with the violation ``fixtures`` among its
    data files: a store on disk whose shapes, checks and statements all find something."""
    import shutil

    from drugpolicy_kg.resources import Project

    from .conftest import make_copy

    root = make_copy(tmp_path)
    for fixture in fixtures:
        shutil.copy(fixture, root / "data" / f"zz-{fixture.name}")
    return Project.open(root)


def test_shapes_run_by_a_process_of_their_own_find_what_a_thread_finds(tmp_path, monkeypatch):
    """Where the store is on disk, the compiled shapes and the checks run in a process of their own
    (_ShapesApart) and this one makes their findings: on a project holding every violation fixture, the report is
    the one the same validation of the same store gives with them in a thread, finding for finding, field for
    field, in the same order."""
    import dataclasses

    from drugpolicy_kg.checks import validate as validation
    from drugpolicy_kg.graph.store import GraphStore

    project = _with_violations(tmp_path, VIOLATIONS)
    started = []

    class Seen(validation._ShapesApart):
        def __init__(self, *args, **kwargs):
            started.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(validation, "_ShapesApart", Seen)
    monkeypatch.setenv("DRUGPOLICY_KG_CACHE", str(tmp_path / "cache"))
    gs = GraphStore.open(project)
    apart = validate_store(gs, project, engine="sparql")
    assert len(started) == 1 and started[0].proc.returncode == 0
    monkeypatch.setattr(validation, "SHAPES_APART", False)
    here = validate_store(gs, project, engine="sparql")
    assert len(started) == 1
    assert [dataclasses.astuple(f) for f in apart.findings] == [dataclasses.astuple(f) for f in here.findings]
    kinds = Counter(f.kind for f in apart.findings)
    assert kinds["shacl"] > 20 and kinds["check"] > 3 and apart.checks_run == here.checks_run > 3


def test_where_no_process_can_be_started_the_shapes_run_in_a_thread(tmp_path, monkeypatch):
    import dataclasses
    import subprocess

    from drugpolicy_kg.graph.store import GraphStore

    project = _with_violations(tmp_path, VIOLATIONS[:8])
    gs = GraphStore.open(project)
    assert gs.location is not None  # (on disk: the shapes' own process)
    there = validate_store(gs, project, engine="sparql")

    def refused(*args, **kwargs):
        raise OSError("no process")

    monkeypatch.setattr(subprocess, "Popen", refused)
    here = validate_store(gs, project, engine="sparql")
    assert [dataclasses.astuple(f) for f in here.findings] == [dataclasses.astuple(f) for f in there.findings]
    assert here.checks_run == there.checks_run > 0 and not here.conforms and len(here.findings) > 10


def test_a_shapes_process_that_fails_is_one_message(tmp_path):
    from drugpolicy_kg.checks.validate import _ShapesApart
    from drugpolicy_kg.errors import DrugPolicyKGError
    from drugpolicy_kg.resources import Project

    ticks = []
    apart = _ShapesApart(tmp_path / "no-store", Project.open(ROOT), [], lambda *t: ticks.append(t))
    try:
        with pytest.raises(DrugPolicyKGError, match=r"^checking the shapes failed: \S") as err:
            apart.result()
        assert "\n" not in str(err.value) and ticks == []
    finally:
        apart.stop()


def test_subjects_outside_the_namespace_are_found_by_file(small_project):
    report = validate(small_project, [FIXTURES / "violations" / "subject-outside-namespace.ttl"], engine="sparql")
    found = [f for f in report.findings if f.rule == "subject-outside-namespace"]
    assert {f.focus.startswith("_:") for f in found} == {True, False} and len(found) == 2
    assert {f.source_file for f in found} == {"extra/subject-outside-namespace"}


def test_ill_typed_values_are_found_by_file_and_no_traceback_reaches_the_user(small_project, tmp_path):
    report = validate(small_project, [FIXTURES / "violations" / "ill-typed-literal.ttl"], engine="sparql")
    found = {(f.focus.rsplit("/", 1)[-1], f.path.rsplit("/", 1)[-1]) for f in report.findings if f.rule == "ill-typed-literal"}
    assert found == {("event-itwg-inaugural-meeting", "date"), ("doc-mou-unodc-who-2017", "date")}
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "drugpolicy_kg.cli", "--project", str(small_project.root), "validate",
                           str(FIXTURES / "violations" / "ill-typed-literal.ttl")], capture_output=True, text=True,
                          env={**os.environ, "DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")}, timeout=600)
    assert proc.returncode == 1 and "is not a valid xsd:date" in proc.stdout.replace("\n", " "), proc.stdout[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert all(line.startswith("drugpolicy-kg: ") for line in proc.stderr.splitlines()), proc.stderr


def test_every_shape_and_check_has_a_fixture(project):
    shapes = parse_file(project.shapes)
    named = {str(s).rsplit("#", 1)[-1] for s in shapes.subjects(SH.message, None) if isinstance(s, URIRef)}
    # node shapes only reached through sh:node, and node shapes reported through their property shapes
    via_property = {str(s).rsplit("#", 1)[-1] for s in shapes.subjects(SH.property, None) if isinstance(s, URIRef)}
    reached_by_node = {str(o).rsplit("#", 1)[-1] for o in shapes.objects(None, SH.node)}
    statement_rules = {"fact-without-evidence", "statement-not-held", "quote-does-not-state-value", "stated-as-not-in-quote",
                       "inferred-without-reasoning", "subject-outside-namespace", "ill-typed-literal"}
    rules = (named - via_property - reached_by_node) | {p.stem for p in project.check_files()} | {"quote-verbatim"} | statement_rules
    covered = {r for f in VIOLATIONS for r in expected_rules(f)}
    assert rules - covered == set(), f"shapes or checks without a violating fixture: {sorted(rules - covered)}"


def test_cli_validate_exit_codes(small_project, tmp_path, capsys):
    # (the project without the budget sections: the exit codes, not the whole graph, which other tests validate)
    small = ["--project", str(small_project.root)]
    assert main([*small, "validate"]) == 0
    assert "conforms" in capsys.readouterr().out
    assert main([*small, "validate", str(FIXTURES / "violations" / "mandate-no-actor.ttl")]) == 1
    out = capsys.readouterr().out
    assert "A provision must address an actor" in out
    assert "Mandate without actor" in out
    assert "extra/mandate-no-actor" in out
    assert main([*small, "validate", "--format", "json", str(FIXTURES / "violations" / "dangling-reference.ttl")]) == 1

    out = capsys.readouterr().out
    report = json.loads(out)
    assert report["conforms"] is False
    assert any(f["rule"] == "dangling-reference-violation" and f["focus"].endswith("org-unodoc") for f in report["findings"])
    listed = [line for line in out.splitlines() if line.startswith('    {"kind": ')]  # a finding a line
    assert [json.loads(line.rstrip(",")) for line in listed] == report["findings"] and len(listed) == report["violations"]
    assert main([*small, "validate", str(tmp_path / "missing.ttl")]) == 2


def test_the_json_report_holds_any_text_a_finding_may_hold():
    """The JSON report writes its findings a line each, from one encoding of the list: texts that look like the
    boundary between two findings, quotes, line breaks and other scripts come back as they were."""
    from drugpolicy_kg.checks.validate import Finding, Report

    odd = ['}, {"kind": "x', '"},\n    {"kind": "', "é\u2028\n\t", "", "\\", "\u0000"]
    report = Report(triples=3)
    report.findings = [Finding(kind=k, severity="Violation", focus=f, focus_label=k, path="", message=f, rule=k,
                               source_file="", component="", value=f) for k in odd for f in odd]
    back = json.loads(report.to_json())
    assert back["findings"] == [{name: getattr(f, name) for name in Finding.__dataclass_fields__} for f in report.findings]
    assert json.loads(Report(triples=0).to_json())["findings"] == []
    # written in pieces (a finding or seven at a time, as the command writes a million), the same text
    assert "".join(report.json_chunks(size=1)) == "".join(report.json_chunks(size=7)) == report.to_json()
    assert len(list(report.json_chunks(size=7))) == 2 + -(-len(report.findings) // 7)


def test_the_turtle_report_holds_any_text_a_finding_may_hold():
    """The Turtle report, written a result at a time: texts with quotes, line breaks, other scripts and what looks
    like Turtle come back as they were; a focus or value that is no IRI (a blank node's label, a literal, an IRI
    with a space) is a literal, and a check's second column that is no IRI (the duplicate-label check's label) is the
    result's value, not its path (written as a path it had failed the whole report with an internal error)."""
    from collections import Counter

    from rdflib import RDF, Graph, Literal

    from drugpolicy_kg.checks.validate import Finding, Report

    odd = ['] . _:x a <y> ; """', "é\u2028\n\t\r", "\\", '"', "https://w3id.org/drugpolicy-kg/id/itwg",
           "http://a b", "same name institute", "0a94480d964e157b0b8f4669a0b2903"]
    report = Report(triples=3)
    report.findings = [Finding(kind="check", severity="Violation", focus=f, focus_label="", path=p, message=f + p,
                               rule="r", source_file="", component="", value="") for f in odd for p in odd]
    text = "".join(report.ttl_chunks(size=5))
    assert text == "".join(report.ttl_chunks())
    g = Graph().parse(data=text, format="turtle")
    results = list(g.subjects(RDF.type, SH.ValidationResult))
    assert len(results) == len(report.findings) and len(list(g.objects(None, SH.result))) == len(results)
    got = Counter((str(g.value(r, SH.focusNode)), str(g.value(r, SH.resultPath) or ""), str(g.value(r, SH.value) or ""),
                   str(g.value(r, SH.resultMessage))) for r in results)
    iri = {"https://w3id.org/drugpolicy-kg/id/itwg"}
    want = Counter((f.focus, f.path if f.path in iri else "", "" if f.path in iri else f.path, f.message)
                   for f in report.findings)
    assert got == want
    assert all(isinstance(g.value(r, SH.focusNode), Literal) == (str(g.value(r, SH.focusNode)) not in iri)
               for r in results)
    assert [c.toPython() for c in g.objects(None, SH.conforms)] == [False]
    assert len(Report(triples=0).to_graph()) == 2  # (a report that conforms: itself and sh:conforms)


def test_auto_validates_with_pyshacl_what_the_compiled_engine_refuses_and_says_so(copy_project, monkeypatch, capsys):
    """Above the size where ``auto`` compiles the shapes, a shape the compiled engine refuses (a datatype Oxigraph
    cannot tell apart, xsd:nonNegativeInteger) sends the whole validation to pySHACL, with one line saying why:
    never a shape left unchecked."""
    from drugpolicy_kg.checks import shacl_sparql

    monkeypatch.setattr(shacl_sparql, "AUTO_LIMIT", 0)
    shapes = copy_project / "ontology" / "shapes.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8") + """
dps:CountedLabelShape a sh:NodeShape ; sh:targetClass dpo:Resolution ; sh:message "labels are counts" ;
    sh:property [ sh:path rdfs:label ; sh:datatype xsd:nonNegativeInteger ] .
""", encoding="utf-8")
    assert main(["--project", str(copy_project), "validate", "--no-quotes"]) == 1  # labels are strings: it fails
    out = capsys.readouterr().out
    assert "validated with pySHACL, not the compiled engine, which refuses these shapes" in out
    assert "xsd:nonNegativeInteger" in out or "nonNegativeInteger" in out
    assert "SHACL (pyshacl)" in out and "labels are counts" in out


# Shapes inside shapes, as a project might write them: both engines must give the same findings, and each shape
# must find something in the shipped data (or the comparison would prove nothing).
NESTED_SHAPES = """
dps:OneNameShape a sh:NodeShape ; sh:targetClass dpo:Resolution ; sh:message "one of two names" ;
    sh:xone ( [ sh:path rdfs:label ; sh:minCount 1 ] [ sh:path dcterms:title ; sh:minCount 1 ] ) .
dps:NotByTheCommissionShape a sh:NodeShape ; sh:targetClass dpo:Resolution ; sh:message "not by the CND" ;
    sh:not [ sh:path dpo:adoptedBy ; sh:hasValue dpk:org-cnd ] .
dps:IssuerWithAcronymShape a sh:NodeShape ; sh:targetClass dpo:Resolution ; sh:message "issuer with an acronym" ;
    sh:property [ sh:path dpo:adoptedBy ; sh:node [ sh:property [ sh:path skos:altLabel ; sh:minCount 1 ] ] ] .
dps:CommissionSymbolShape a sh:NodeShape ; sh:targetClass dpo:Resolution ; sh:message "a Commission symbol" ;
    sh:property [ sh:path dpo:documentSymbol ; sh:qualifiedValueShape [ sh:pattern "^E/CN" ] ;
                  sh:qualifiedMinCount 1 ] .
dps:TitledOrLabelledShape a sh:NodeShape ; sh:targetClass dpo:Resolution ; sh:message "titled and labelled" ;
    sh:and ( [ sh:path dcterms:title ; sh:minCount 1 ] [ sh:path rdfs:label ; sh:minCount 1 ] ) .
"""


def test_shapes_inside_shapes_are_checked_alike_by_both_engines(tmp_path):
    from drugpolicy_kg.resources import Project

    from .conftest import make_copy

    copy = make_copy(tmp_path)
    shapes = copy / "ontology" / "shapes.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8") + NESTED_SHAPES, encoding="utf-8")
    reports = {e: validate(Project.open(copy), quotes=False, engine=e) for e in ("pyshacl", "sparql")}
    assert reports["sparql"].engine == "sparql"  # it compiled them, it did not hand them over
    found = {e: sorted({(f.focus, f.message) for f in r.findings if f.kind == "shacl"}) for e, r in reports.items()}
    assert found["pyshacl"] == found["sparql"]
    by_shape = Counter(message for _focus, message in found["sparql"])
    for message in ("one of two names", "not by the CND", "a Commission symbol", "titled and labelled"):
        assert by_shape[message] > 0, f"the shape '{message}' found nothing: the comparison proves nothing"


REFUSED_SHAPES = {
    "refers to itself": """dps:ChainShape a sh:NodeShape ; sh:targetClass dpo:Resolution ;
    sh:property [ sh:path dpo:adoptedBy ; sh:node dps:ChainShape ] .""",
    "is not a non-negative integer": """dps:ManyShape a sh:NodeShape ; sh:targetClass dpo:Resolution ;
    sh:property [ sh:path rdfs:label ; sh:minCount "many" ] .""",
    "nest deeper than": "dps:DeepShape a sh:NodeShape ; sh:targetClass dpo:Resolution ; sh:node "
                        + "[ sh:node " * 20 + "[ sh:minLength 1 ]" + " ]" * 20 + " .",
}


@pytest.mark.parametrize("said", REFUSED_SHAPES)
def test_shapes_the_compiled_engine_cannot_check_are_refused_in_one_line(copy_project, capsys, said):
    """SHACL leaves recursive shapes undefined, a count must be a count, nesting is bounded: the compiled engine says
    which in one line and exits 2; it neither loops, guesses nor fails with a traceback."""
    shapes = copy_project / "ontology" / "shapes.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8") + "\n" + REFUSED_SHAPES[said] + "\n", encoding="utf-8")
    assert main(["--project", str(copy_project), "validate", "--no-quotes", "--engine", "sparql"]) == 2
    err = capsys.readouterr().err  # (the store is built first, and says so)
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1 and said in errors[0] and "Traceback" not in err


def test_validate_says_where_it_is_on_a_terminal_and_nowhere_else(small_project):
    """On a terminal, standard error shows each part of the validation as it moves on (the shapes' compiled queries
    counted, the checks, statements and quotes), on one line cleared before the report; piped, it shows nothing."""
    import subprocess
    import sys

    from .conftest import on_terminal

    command = [sys.executable, "-m", "drugpolicy_kg.cli", "--project", str(small_project.root), "validate", "--engine",
               "sparql"]
    code, seen, stdout = on_terminal(command, stream="stderr")
    assert code == 0
    drawn = seen.decode("utf-8", "replace").split("\r")
    assert any(re.fullmatch(r"validate: .*shapes \d+/\d+.*\s*", line) for line in drawn), drawn[:5]
    assert any("statements done" in line and "quotes done" in line and "checks done" in line for line in drawn)
    assert drawn[-1] == "" and drawn[-2].strip() == ""  # the line is cleared at the end
    assert "conforms" in stdout.decode()
    piped = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and piped.stderr == "" and "\r" not in piped.stdout


def test_the_organization_check_s_anti_joins_remove_what_filter_not_exists_would(dataset, tmp_path):
    """organization-without-role-violation.rq tests each way an organization takes part with MINUS (fast: one list
    per test); written with FILTER NOT EXISTS (a look-up per organization) it finds the same organizations, on the
    shipped graph (hundreds of organizations, each taking part in its own way) and on organizations each kept by one
    of the tests, or by none."""
    from drugpolicy_kg.graph.store import GraphStore, Input
    from drugpolicy_kg.resources import GRAPH_BASE

    text = (ROOT / "queries" / "checks" / "organization-without-role-violation.rq").read_text(encoding="utf-8")
    assert text.count("MINUS {") == 4
    plain = text.replace("MINUS {", "FILTER NOT EXISTS {")

    def found(store, query):
        return sorted(sol["focus"].value for sol in store.query(query))

    assert found(dataset, text) == found(dataset, plain)
    head = ("@prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .\n@prefix org: <http://www.w3.org/ns/org#> .\n"
            "@prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> .\n@prefix dcterms: <http://purl.org/dc/terms/> .\n"
            "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n")
    body = "".join(f"dpk:o{i} a org:{kind} .\n" for i, kind in enumerate(
        ["Organization", "FormalOrganization", "OrganizationalUnit", "Organization", "Organization", "Organization",
         "Organization", "Organization"]))
    body += ("dpk:m a org:Membership ; org:member dpk:o0 ; org:organization dpk:o1 .\n"
             "dpk:o2 org:unitOf dpk:o3 .\ndpk:r dpo:adoptedBy dpk:o4 .\n"
             "dpk:d a dpo:SourceDocument ; dcterms:references dpk:o5 .\ndpk:x dcterms:references dpk:o6 .\n"
             "<https://example.org/o> a org:Organization .\n")
    path = tmp_path / "orgs.ttl"
    path.write_text(head + body, encoding="utf-8")
    store = GraphStore.in_memory([Input(ROOT / "ontology" / "imports" / "org.ttl", GRAPH_BASE + "ontology/org"),
                                  Input(path, GRAPH_BASE + "data/orgs")])
    lonely = found(store, text)
    assert lonely == found(store, plain)
    assert [iri.rsplit("/", 1)[-1] for iri in lonely] == ["o6", "o7"]  # (o6: named by no source document)


def test_the_duplicate_label_check_pairs_labels_by_their_key():
    """duplicate-label-violation.rq finds every entity of the project's namespace whose label another one has,
    ignoring case and language; an entity outside the namespace neither is found nor makes a label shared. (The key
    is joined by hashing: compared in a FILTER, every shared label met every label, 364 s at a million triples.)"""
    import pyoxigraph as ox

    data = """@prefix dpk: <https://w3id.org/drugpolicy-kg/id/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    dpk:a rdfs:label "Same Name"@en . dpk:b rdfs:label "same name"@fr . dpk:c rdfs:label "Other"@en .
    dpk:d rdfs:label "Three"@en . dpk:e rdfs:label "THREE" . dpk:f rdfs:label "three"@en, "Alone"@en .
    dpk:g rdfs:label "Outside"@en . <https://example.org/x> rdfs:label "Outside"@en, "same name"@en .
    """
    store = ox.Store()
    store.load(data.encode(), ox.RdfFormat.TURTLE)
    text = (ROOT / "queries" / "checks" / "duplicate-label-violation.rq").read_text(encoding="utf-8")
    found = sorted((s["focus"].value.rsplit("/", 1)[-1], s["key"].value) for s in store.query(text))
    assert found == [("a", "same name"), ("b", "same name"), ("d", "three"), ("e", "three"), ("f", "three")]


def test_a_shapes_process_whose_findings_come_back_cut_short_is_one_message():
    """The shapes' process says how many bytes its findings are and sends them; where fewer arrive before its pipe
    ends (it exited 0: a write of a pipe under a tracer took less than it was given), the command says so in one
    line, not as an internal error from the unpickler."""
    import subprocess
    import sys
    import tempfile
    import threading

    from drugpolicy_kg.checks.validate import _ShapesApart
    from drugpolicy_kg.errors import DrugPolicyKGError

    apart = object.__new__(_ShapesApart)
    apart._err, apart._tick, apart._error, apart._rows = tempfile.TemporaryFile(), lambda *t: None, None, None
    apart.proc = subprocess.Popen(  # noqa: S603 - this Python
        [sys.executable, "-c", "import sys, pickle; d = pickle.dumps(list(range(1000))); "
                               "sys.stdout.buffer.write(b'[\"rows\", %d]\\n' % len(d) + d[:100])"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    apart._listener = threading.Thread(target=apart._listen, daemon=True)
    apart._listener.start()
    try:
        with pytest.raises(DrugPolicyKGError, match=r"^checking the shapes failed: its findings came back cut short "
                                                    r"\(100 bytes: "):
            apart.result()
    finally:
        apart.stop()
