"""The facts the sources state are in the graph, and none they don't state."""

from __future__ import annotations

import subprocess
import sys

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from .conftest import ROOT

DPO = Namespace("https://w3id.org/drugpolicy-kg/ontology#")
DPK = Namespace("https://w3id.org/drugpolicy-kg/id/")
ORG = Namespace("http://www.w3.org/ns/org#")
SDG = Namespace("http://metadata.un.org/sdg/")
SDGO = Namespace("http://metadata.un.org/sdg/ontology#")


def roles(graph, body):
    q = """PREFIX org: <http://www.w3.org/ns/org#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
    SELECT ?acr ?role WHERE { ?m org:organization ?body ; org:member ?o ; org:role ?r .
      ?o skos:altLabel ?acr . ?r skos:prefLabel ?role }"""
    out: dict[str, set] = {}
    for acr, role in graph.query(q, initBindings={"body": body}):
        out.setdefault(str(role), set()).add(str(acr))
    return out


def test_itwg_has_15_participants_with_ohchr_observer(graph):
    r = roles(graph, DPK.itwg)
    participants = set(graph.objects(DPK["event-itwg-inaugural-meeting"], DPO.participant))
    assert len(participants) == 15
    assert "OHCHR" in r["observer"] and len(r["observer"]) == 1
    assert {"UNODC", "WHO"} == r["co-lead"]
    assert len([m for m in graph.subjects(ORG.organization, DPK.itwg)]) == 17  # 15 participants + 2 co-leads


def test_itwg_goal_and_four_objectives(graph):
    objectives = set(graph.objects(DPK.itwg, DPO.hasObjective))
    specific = [o for o in objectives if (o, RDF.type, DPO.SpecificObjective) in graph]
    assert len(specific) == 4
    assert sorted(int(graph.value(o, DPO.ordinal)) for o in specific) == [1, 2, 3, 4]
    assert len(objectives) == 5


def test_resolutions_and_op18(graph):
    numbers = {str(n) for n in graph.objects(None, DPO.resolutionNumber)}
    assert {"58/7", "59/3", "64/3"} <= numbers  # and the budget section's hundreds
    assert len(numbers) > 250
    assert set(map(str, graph.objects(DPK["res-cnd-64-3"], DPO.documentSymbol))) == {"E/2021/28", "E/CN.7/2021/10"}
    assert graph.value(DPK["res-cnd-64-3-op18"], DPO.paragraphNumber).toPython() == 18
    assert graph.value(DPK["mandate-cnd-64-3-op18"], DPO.verb) == DPK["verb-encourages"]


def test_no_invented_dates(graph):
    # The sources give no adoption date for 64/3 and no date for the brochure.
    assert graph.value(DPK["res-cnd-64-3"], URIRef("http://purl.org/dc/terms/date")) is None
    assert graph.value(DPK["doc-isn-brochure"], URIRef("http://purl.org/dc/terms/date")) is None


def test_sdg_scheme_complete_in_six_languages(graph):
    goals = set(graph.subjects(RDF.type, SDGO.Goal))
    targets = set(graph.subjects(RDF.type, SDGO.Target))
    assert len(goals) == 17 and len(targets) == 169
    for concept in goals | targets:
        # language tags compare case-insensitively (BCP 47); Oxigraph keeps them in lower case
        langs = {lbl.language.lower() for lbl in graph.objects(concept, SKOS.prefLabel)}
        assert {"ar", "en", "es", "fr", "ru", "zh-hans"} <= langs, concept
        en = [lbl for lbl in graph.objects(concept, SKOS.prefLabel) if lbl.language == "en"]
        assert len(en) == 1, f"{concept} has {len(en)} English labels"
    assert Literal("By 2030,d", lang="en") not in set(graph.objects(SDG["12.3"], SKOS.prefLabel))
    assert not str(graph.value(SDG["14.6"], SKOS.prefLabel)).endswith("3")


def test_wikidata_links_only_confirmed(graph):
    linked = {s: o for s, o in graph.subject_objects(SKOS.exactMatch) if str(s).startswith(str(DPK))}
    assert linked[DPK["org-who"]] == URIRef("http://www.wikidata.org/entity/Q7817")
    for unconfirmed in ("org-cnd", "org-unhcr", "org-iom", "org-unodc", "org-au-commission"):
        assert DPK[unconfirmed] not in linked
    assert len(linked) == 7


def test_every_named_entity_has_english_label(graph):
    for s in set(graph.subjects(DPO.hasEvidence, None)):
        if str(s).startswith(str(DPK)):
            assert any(lbl.language == "en" for lbl in graph.objects(s, RDFS.label)), s


def test_reference_data_is_up_to_date():
    """Lint data like code: regenerate data/reference/*.ttl from upstream and compare as graphs."""
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "make_reference.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + "\nfix: .venv/bin/python tools/make_reference.py"
