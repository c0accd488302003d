"""Evidence per statement, and a graph that says what its sources say: no more.

One test per finding of the line-by-line audit of the two sources, the inferred flag
wherever a fact is shown, statement coverage, and the shapes' reach over the ontology.
"""

from __future__ import annotations

import json

from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, SKOS, XSD

from drugpolicy_kg.cli import main
from drugpolicy_kg.graph.loader import import_files, parse_file
from drugpolicy_kg.sparql.query import LocalEngine, bind_params, list_queries
from drugpolicy_kg.uses.networks import build_networks
from drugpolicy_kg.uses.trace import Tracer
from drugpolicy_kg.uses.trace_render import render

from .shared import shipped

DPO = Namespace("https://w3id.org/drugpolicy-kg/ontology#")
DPK = Namespace("https://w3id.org/drugpolicy-kg/id/")
SH = Namespace("http://www.w3.org/ns/shacl#")


def statements(graph, s=None, p=None, o=None):
    """The reified statements of (s, p, o) that some evidence states, with their evidence."""
    out = []
    for ev, st in graph.subject_objects(DPO.states):
        if all(want is None or graph.value(st, rel) == want
               for rel, want in ((RDF.subject, s), (RDF.predicate, p), (RDF.object, o))):
            out.append((ev, st))
    return out


def inferred_statements(graph):
    return [(graph.value(st, RDF.subject), graph.value(st, RDF.predicate), graph.value(st, RDF.object))
            for st in graph.subjects(DPO.inferred, Literal(True))]


# ------------------------------------------------------------ the model --

def test_every_fact_has_a_quote_that_states_it(small_project):
    """What validate reports of the shipped graph (its run shared with the README's tests), and the same figures as
    JSON, of the project without the budget sections."""
    import re
    import subprocess
    import sys

    code, out, _ = shipped("validate")
    covered, facts, statements, inferred = map(int, re.search(
        r"statement coverage: (\d+) of (\d+) facts have a quote that states them \(100\.0%\); (\d+) statements, "
        r"(\d+) marked inferred", out).groups())
    assert code == 0 and out.strip().endswith(": conforms")
    assert facts >= 290 and covered == facts and statements >= facts and inferred >= 5
    proc = subprocess.run([sys.executable, "-m", "drugpolicy_kg.cli", "--project", str(small_project.root), "validate",
                           "--format", "json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0
    report = json.loads(proc.stdout)
    assert report["facts"] >= 100 and report["facts_with_evidence"] == report["facts"]
    assert report["statement_coverage"] == 1.0
    assert report["statements"] >= report["facts"] and report["inferred_statements"] >= 1
    assert report["conforms"] and report["passes"], report["findings"][:5]


def test_which_words_say_this_in_sparql(project):
    """The README's question: one fact, the words that state it."""
    engine = LocalEngine(project)
    rows = engine.run("""
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?quote ?locator WHERE {
          ?ev dpo:states ?st ; dpo:quote ?quote ; dpo:locator ?locator .
          ?st rdf:subject dpk:membership-itwg-ohchr ; rdf:predicate org:role ; rdf:object dpk:role-observer .
        }""").rows
    assert [(str(q), str(loc)) for q, loc in rows] == [
        ("OHCHR (Office of the High Commissioner for Human Rights - observer)", "para. 8")]


def test_no_node_level_evidence_left(graph):
    assert (None, DPO.hasEvidence, None) not in graph
    assert (None, DPO.supportsProperty, None) not in graph


# ---------------------------------------------------- the audit, finding by finding --

def test_cnd_65_was_foreseen_at_the_time_of_the_paper(graph):
    cnd65 = DPK["event-cnd-65"]
    assert set(graph.objects(cnd65, DPO.eventStatus)) == {Literal("foreseen")}
    assert graph.value(DPK["doc-cnd65-crp-itwg"], DCTERMS.date) < graph.value(cnd65, DPO.startDate)
    found = statements(graph, cnd65, DPO.eventStatus, Literal("foreseen"))
    assert found and all(graph.value(st, DPO.inferred) == Literal(True) for _, st in found)


def test_58_7_is_not_linked_to_the_isn(graph):
    res = DPK["res-cnd-58-7"]
    for provision in graph.subjects(DPO.issuedIn, res):  # the budget lists 58/7 for its programme, not the ISN
        assert (provision, DPO.addresses, DPK.isn) not in graph and (provision, DPO.calledFor, DPK.isn) not in graph
    assert (res, DPO.mandates, DPK.isn) not in graph
    # the unattributed words stay, in words, on the ISN
    assert graph.value(DPK.isn, DPO.mandateDescription) == Literal(
        "Clear mandate from UN Member States reflected in various resolutions", lang="en")


def test_59_3_recognizes_and_is_no_mandate(graph):
    p = DPK["provision-cnd-59-3-isn"]
    assert (p, RDF.type, DPO.Provision) in graph and (p, RDF.type, DPO.Mandate) not in graph
    assert graph.value(p, DPO.verb) == DPK["verb-recognizes"]
    assert graph.value(DPK["verb-recognizes"], DPO.directsAction) == Literal(False)
    assert (p, DPO.calledFor, None) not in graph
    assert (DPK["res-cnd-59-3"], DPO.mandates, DPK.isn) not in graph


def test_unodc_and_who_implement_the_isn_and_are_not_its_members(graph):
    assert set(graph.objects(DPK.isn, DPO.implementedBy)) == {DPK["org-unodc"], DPK["org-who"]}
    assert list(graph.subjects(ORG.organization, DPK.isn)) == []
    assert str(graph.value(DPK.isn, DPO.membershipDescription)) == "more than 30 leading scientists"


def test_isn_discusses_strategies_it_does_not_have_them_as_objective(graph):
    assert (DPK["isn-aim-strategies"], None, None) not in graph
    assert str(graph.value(DPK.isn, DPO.discusses)).startswith("strategies to link science, policy, and clinical practice")
    assert set(graph.objects(DPK.isn, DPO.hasObjective)) == {DPK["isn-aim-dialogue"]}


def test_isn_statements_were_prepared_and_delivered_not_published(graph):
    for st in (DPK["isn-statement-ungass-2016"], DPK["isn-statement-cnd-2019"]):
        assert graph.value(st, DPO.publicationDate) is None
    assert graph.value(DPK["isn-statement-cnd-2019"], DPO.presentedAt) == DPK["event-cnd-plenary-2019"]


def test_ungass_recommendations_are_not_said_to_be_part_of_the_outcome_document(graph):
    assert graph.value(DPK["ungass-2016-recommendations"], DCTERMS.isPartOf) is None


def test_itwg_was_set_up_in_view_of_paras_2_to_5_and_op18_encourages_collaboration(graph):
    reasons = set(graph.objects(DPK.itwg, DPO.respondsTo))
    assert DPK["mandate-cnd-64-3-op18"] in reasons and DPK["consideration-crp-no-mechanism"] in reasons
    assert len(reasons) >= 5
    assert set(graph.objects(DPK["mandate-cnd-64-3-op18"], DPO.calledFor)) == {DPK["activity-unodc-who-collaboration"]}
    assert str(graph.value(DPK["consideration-crp-no-mechanism"], DCTERMS.description)).startswith(
        "No inter-agency mechanism exists")


def test_the_15_approached_organizations_are_in_the_graph(graph):
    ev = DPK["ev-crp-p7-approached"]
    assert list(graph.objects(ev, DPO.states))
    outreach = DPK["activity-itwg-outreach"]
    assert graph.value(outreach, DPO.numberOfOrganizations).toPython() == 15
    assert graph.value(outreach, DPO.forBody) == DPK.itwg


def test_session_link_is_stated_by_para_1(graph):
    found = statements(graph, DPK["event-cnd-65"], DPO.meetingOf, DPK["org-cnd"])
    assert [str(graph.value(ev, DPO.locator)) for ev, _ in found] == ["para. 1"]


def test_facts_the_first_release_lacked(graph):
    assert len(list(graph.subjects(RDF.type, DPO.Priority))) == 4  # para. 13
    assert "harm reduction" in str(graph.value(DPK["itwg-priority-2"], DCTERMS.description))
    assert "civil society organizations, academia" in str(graph.value(DPK.itwg, DPO.stakeholdersToEngage))  # para. 12
    assert "concrete inter-agency action" in str(
        graph.value(DPK["activity-itwg-information-sharing"], DCTERMS.description))  # para. 14
    assert "continues to be uneven" in str(graph.value(DPK["consideration-crp-uneven-progress"], DCTERMS.description))
    assert "women, youth" in str(graph.value(DPK["consideration-crp-low-coverage"], DCTERMS.description))  # para. 4
    for n in range(1, 5):
        assert str(graph.value(DPK[f"itwg-objective-{n}"], DPO.identifiedFor)) == "initial action"  # para. 11


def test_counting_questions_answer_as_the_sources_count(project):
    engine = LocalEngine(project)
    q = next(q for q in list_queries(project) if q.name == "counts-of-body")
    (row,) = engine.run(q.text, bind_params(q, {})).rows
    assert [int(v) for v in row[2:]] == [15, 15, 1, 2]  # approached, agreed (OHCHR as observer), observers, co-leads
    orgs = next(q for q in list_queries(project) if q.name == "organizations")
    rows = engine.run(orgs.text, bind_params(orgs, {})).rows
    names = [str(r[0]) for r in rows]
    assert names.count(str(DPK["org-cicad"])) == 1 and names.count(str(DPK.isn)) == 1


def test_quotes_name_what_they_are_attached_to(graph):
    """The ISN's membership is stated by the quote about its scientists, not by the one about UNODC and WHO."""
    for ev, _ in statements(graph, DPK.isn, DPO.membershipDescription):
        assert "30 leading scientists" in str(graph.value(ev, DPO.quote))
    for ev, _ in statements(graph, DPK.isn, DPO.implementedBy):
        assert "implemented by UNODC and WHO" in str(graph.value(ev, DPO.quote))


# ------------------------------------------------ nothing inferred is shown as stated --

def test_every_inferred_statement_carries_its_reasoning(graph):
    facts = inferred_statements(graph)
    assert len(facts) >= 5
    for st in graph.subjects(DPO.inferred, Literal(True)):
        assert len(str(graph.value(st, DPO.reasoning))) > 30


def test_inferred_facts_are_flagged_wherever_they_are_shown(dataset, project, graph):
    tracer = Tracer(dataset.rdflib())
    nets = build_networks(dataset.rdflib(), ["full", "mandates"])
    engine = LocalEngine(project)
    evidence_query = next(q for q in list_queries(project) if q.name == "evidence-for-statement")
    by_predicate: dict = {}
    for s, p, o in sorted(inferred_statements(graph)):  # every kind of inferred fact, up to three of each
        by_predicate.setdefault(p, [])
        if len(by_predicate[p]) < 3:
            by_predicate[p].append((s, p, o))
    sample = [fact for facts in by_predicate.values() for fact in facts]
    assert len(by_predicate) >= 5
    for s, p, o in sample:
        only_inferred = all(e.inferred for e in tracer.hop_evidence(str(s), str(p), str(o)))  # no other source states it
        # the entity's tooltip in the networks
        for name, g in nets.items():
            if str(s) in g:
                assert "[inferred]" in g.nodes[str(s)]["title"], (name, s, p)
            if isinstance(o, URIRef) and g.has_edge(str(s), str(o)) and name == "full" and only_inferred:
                assert "[inferred]" in g[str(s)][str(o)]["label"], (s, p, o)
        # "which words say this?"
        rows = engine.run(evidence_query.text, {"subject": s}).rows
        flagged = [r for r in rows if r[1] == p and r[2] == o]
        assert flagged and any(str(r[7]).lower() == "true" for r in flagged), (s, p, o)
        assert not only_inferred or all(str(r[7]).lower() == "true" for r in flagged), (s, p, o)
        # a trace hop that follows the inferred triple
        t = tracer.trace(str(s), "both")
        for hop_tree in t.forward + t.backward:
            for h in hop_tree.walk():
                if h.iri == str(o) and h.evidence and all(e.inferred for e in h.evidence):
                    assert h.inferred
    # the query results that show such facts
    timeline = next(q for q in list_queries(project) if q.name == "timeline")
    kinds = {str(r[2]): str(r[1]) for r in engine.run(timeline.text, {}).rows}
    assert kinds[str(DPK["event-cnd-65"])] == "event (foreseen, inferred)"
    assert kinds[str(DPK["event-ungass-2016"])] == "event (held, inferred)"
    assert kinds[str(DPK["event-itwg-inaugural-meeting"])] == "event (held)"


def test_trace_keeps_inferred_facts_apart(dataset):
    """64/3's adoption by the CND is inferred from the conference room paper (it attributes OP18 to the Commission's
    Member States) and stated by the budget (which lists 64/3 under "Commission on Narcotic Drugs resolutions"):
    the quotes keep each one's status, and a link one source states is not shown as inferred."""
    tracer = Tracer(dataset.rdflib())
    adopted = tracer.hop_evidence(str(DPK["res-cnd-64-3"]), str(DPO.adoptedBy), str(DPK["org-cnd"]))
    inferred = [e for e in adopted if e.inferred]
    assert inferred and "Member States" in inferred[0].reasoning
    assert any(not e.inferred and e.source_file == "a-80-6-sect-16.txt" for e in adopted)
    t = tracer.trace("ITWG", "both")
    assert not any(h.inferred for tree in t.forward + t.backward for h in tree.walk())
    for fmt in ("text", "markdown"):
        assert "[inferred]" not in render(t, fmt).replace("\\[inferred\\]", "[inferred]")


def test_renderers_mark_inferred_hops():
    from drugpolicy_kg.uses.trace import Evidence, Hop, Trace

    ev = Evidence("A source", "a.txt", "para. 1", "The words.", inferred=True, reasoning="It follows from the dates.")
    t = Trace("x", Hop("r", "Root", "Resolution"), "forward",
              forward=[Hop("h", "Hop", "Event", "issues", [ev]), Hop("n", "Bare", "Event", "issues", [])])
    for fmt in ("text", "markdown", "html"):
        out = render(t, fmt)
        assert "inferred" in out and "It follows from the dates." in out, fmt
        assert "no quote in the graph states this link" in out, fmt
    data = json.loads(render(t, "json"))
    assert data["forward"][0]["inferred"] is True and data["forward"][0]["evidence"][0]["reasoning"]


# ------------------------------------------------------------ verbs --

def test_every_verb_says_whether_it_directs_action(project):
    onto = parse_file(project.ontology_dir / "drugpolicy.ttl")
    verbs = set(onto.subjects(SKOS.inScheme, DPK["scheme-mandate-verbs"]))
    assert len(verbs) >= 8
    for v in verbs:
        assert onto.value(v, DPO.directsAction) in (Literal(True), Literal(False)), v
    directs = {str(onto.value(v, SKOS.prefLabel)) for v in verbs if onto.value(v, DPO.directsAction) == Literal(True)}
    assert "requests" in directs and "recognizes" not in directs and "welcomes" not in directs


def test_a_mandate_with_a_verb_that_asks_for_no_action_derives_nothing(copy_project):
    """Even typed dpo:Mandate by mistake, a 'recognizes' provision gets no dpo:mandates shortcut (and the shapes say so)."""
    from drugpolicy_kg.graph.store import GraphStore
    from drugpolicy_kg.resources import Project

    (copy_project / "data" / "zz-mistyped.ttl").write_text("""
@prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> . @prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .
dpk:provision-cnd-59-3-isn a dpo:Mandate .
""", encoding="utf-8")
    gs = GraphStore.open(Project.open(copy_project))
    assert not gs.ask("ASK { <https://w3id.org/drugpolicy-kg/id/res-cnd-59-3> "
                      "<https://w3id.org/drugpolicy-kg/ontology#mandates> <https://w3id.org/drugpolicy-kg/id/isn> }")
    assert main(["--project", str(copy_project), "validate"]) == 1


# ------------------------------------------------------------ the ontology and its shapes --

def _closure(project) -> Graph:
    g = parse_file(project.ontology_dir / "drugpolicy.ttl")
    for f in import_files(project):
        parse_file(f, g)
    return g


def test_every_class_is_reached_by_a_shape(project):
    onto = _closure(project)
    shapes = parse_file(project.shapes)
    targets = set(shapes.objects(None, SH.targetClass))
    classes = [c for c in onto.subjects(RDF.type, OWL.Class) if str(c).startswith(str(DPO))]
    assert len(classes) >= 25
    for c in classes:
        supers = set(onto.transitive_objects(c, RDFS.subClassOf))
        assert supers & targets, f"{c} is the target of no shape (nor is any superclass)"


def test_every_object_property_has_a_range_constraint(project):
    onto = _closure(project)
    shapes = parse_file(project.shapes)
    constrained = set()
    for ps in shapes.subjects(SH.path, None):
        if any(shapes.value(ps, k) is not None for k in (SH["class"], SH["or"], SH.node, SH.nodeKind)):
            constrained.add(shapes.value(ps, SH.path))
    props = [p for p in onto.subjects(RDF.type, OWL.ObjectProperty) if str(p).startswith(str(DPO))]
    missing = sorted(str(p) for p in props if p not in constrained)
    assert missing == []


def test_warnings_do_not_fail_validation(copy_project, capsys):
    # a second mandate, stated, that does not say what it calls for: a warning (sh:Warning), not a violation
    (copy_project / "data" / "zz-warning.ttl").write_text("""
@prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> . @prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
dpk:mandate-x a dpo:Mandate ; rdfs:label "64/3 OP18 encourages UNODC (without what it calls for)"@en ;
    dpo:issuedIn dpk:res-cnd-64-3-op18 ; dpo:verb dpk:verb-encourages ; dpo:addresses dpk:org-unodc .
dpk:ev-x a dpo:Evidence ; dcterms:source dpk:doc-cnd65-crp-itwg ; dpo:locator "para. 5" ;
    dpo:quote "have encouraged “the United Nations Office on Drugs and Crime" ;
    dpo:states [ rdf:subject dpk:mandate-x ; rdf:predicate dpo:issuedIn ; rdf:object dpk:res-cnd-64-3-op18 ;
                 dpo:statedAs "have encouraged" ] ,
        [ rdf:subject dpk:mandate-x ; rdf:predicate dpo:verb ; rdf:object dpk:verb-encourages ] ,
        [ rdf:subject dpk:mandate-x ; rdf:predicate dpo:addresses ; rdf:object dpk:org-unodc ] .
""", encoding="utf-8")
    assert main(["--project", str(copy_project), "validate"]) == 0
    out = capsys.readouterr().out
    assert "Warning" in out and "passes with 1 warning(s) (in SHACL's terms it does not conform)" in out and "calls for" in out
    # the Turtle report is a SHACL report: any result makes sh:conforms false; each result names its component
    assert main(["--project", str(copy_project), "validate", "--format", "ttl"]) == 0
    report = Graph().parse(data=capsys.readouterr().out, format="turtle")
    assert [c.toPython() for c in report.objects(None, SH.conforms)] == [False]
    results = list(report.subjects(RDF.type, SH.ValidationResult))
    assert len(results) == 1 and report.value(results[0], SH.resultSeverity) == SH.Warning
    assert report.value(results[0], SH.sourceConstraintComponent) is not None
    assert isinstance(report.value(results[0], SH.sourceShape), URIRef)


def test_literal_dates_checked_against_the_quote():
    from drugpolicy_kg.checks.statements import _fold, _names_literal

    text = _fold("jointly organized by UNODC and WHO on 22 February 2022")
    assert _names_literal(text, "2022-02-22", str(XSD.date))
    assert not _names_literal(text, "2022-03-22", str(XSD.date))
    assert not _names_literal(text, "2021", str(XSD.gYear))
    assert _names_literal(_fold("The following four specific objectives"), "4", str(XSD.integer))
    assert not _names_literal(_fold("OP18, Resolution 64/3"), "8", str(XSD.integer))


def test_a_digit_that_is_no_number_is_read_as_text_not_a_crash():
    """Characters that str.isdigit passes and int() refuses (a superscript two, a circled one) in a value the checks
    and readers read as a number: the statement check says the quote does not state it, a Word table's column span
    is one, and labels with them sort (each had raised ValueError)."""
    from xml.etree.ElementTree import Element, SubElement

    from drugpolicy_kg.checks.statements import _names_literal
    from drugpolicy_kg.sources.reader import W, _grid_span
    from drugpolicy_kg.uses.trace import natural

    for odd in ("²", "①", "1²"):
        assert _names_literal("two of them", odd, str(XSD.integer)) is False
        cell = Element(W + "tc")
        SubElement(SubElement(cell, W + "tcPr"), W + "gridSpan").set(W + "val", odd)
        assert _grid_span(cell) == 1
    assert _names_literal("three of them", "٣", str(XSD.integer))  # (an Arabic-Indic three is a number: int reads it)
    assert sorted(["x1²", "x1", "x10"], key=natural) == ["x1", "x1²", "x10"]
