"""The question pages (``uses/questions.py``): each answers its question with figures that add up to what the graph
states, counted independently here, and no value reaches a page as markup."""

from __future__ import annotations

import csv
import re

import pytest
from rdflib import Graph

from drugpolicy_kg.uses.questions import QUESTIONS, age, landscape, overlap, work, write_questions

DPK = "https://w3id.org/drugpolicy-kg/id/"
SECT16 = "Programme of A/80/6 (Sect. 16)"
SECT24 = "Programme of A/80/6 (Sect. 24)"
LEGISLATIVE = f"""PREFIX dpo: <https://w3id.org/drugpolicy-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?inst ?top WHERE {{
  ?m dpo:verb <{DPK}verb-legislative-mandate> ; dpo:issuedIn ?inst ; dpo:calledFor ?p .
  ?p dcterms:isPartOf* ?top . FILTER NOT EXISTS {{ ?top dcterms:isPartOf ?whole }} }}"""  # (a component: two steps up)


@pytest.fixture(scope="module")
def store_graph(dataset):
    return dataset.rdflib()


@pytest.fixture(scope="module")
def pages(store_graph, tmp_path_factory):
    out = tmp_path_factory.mktemp("questions")
    return out, write_questions(store_graph, out, lambda iri: iri.rsplit("/", 1)[-1] + ".html")


def _by_label(entities, start):
    return next(e for e in entities if e["label"].startswith(start))


def test_each_page_asks_its_question_runs_no_script_and_has_its_rows(pages):
    out, written = pages
    for q in QUESTIONS:
        text = (out / q.href).read_text(encoding="utf-8")
        assert f"<h1>{q.question.replace(chr(39), '&#39;')}</h1>" in text
        assert "Content-Security-Policy" in text and "<script" not in text
        rows = list(csv.reader((out / q.href.replace(".html", ".csv")).open(encoding="utf-8")))
        assert len(rows) > 10, q.href
    listing = (out / "questions.html").read_text(encoding="utf-8")
    assert all(q.href in listing for q in QUESTIONS) and "affiliations.html" in listing


def test_the_landscape_counts_every_legislative_mandate_once(store_graph, dataset):
    entities, _rows, _found = landscape(store_graph, lambda iri: None)
    expected: dict[str, set] = {}
    for sol in dataset.query(LEGISLATIVE):
        expected.setdefault(sol["top"].value, set()).add(sol["inst"].value)
    sect16 = _by_label(entities, SECT16)
    assert sect16["total"] == len(expected[DPK + "programme-a-80-6-sect-16"]) == 431
    assert _by_label(entities, SECT24)["total"] == len(expected[DPK + "programme-a-80-6-sect-24"])
    for e in entities:  # a body's row total is its instruments; the cells of a row add up to at least that
        for b in e["bodies"]:
            assert sum(c["count"] for c in b["cells"]) >= b["total"] > 0
            for c in b["cells"]:
                assert c["count"] == len(c["instruments"])
                assert all(i["quotes"] for i in c["instruments"]), "an instrument without the budget row listing it"


def test_a_cell_lists_the_instruments_with_the_words_that_list_them(pages):
    out, _ = pages
    text = (out / "mandate-landscape.html").read_text(encoding="utf-8")
    cell = re.search(r'<section class="cell" id="(c0-\d+-\d+)"><h3>Commission on Narcotic Drugs → '
                     r'A/80/6 \(Sect\. 16\), subprogramme 2: [^<]*\((\d+)\)</h3>(.*?)</section>', text, re.S)
    assert cell and int(cell.group(2)) == cell.group(3).count("<li>") == 14
    assert "64/3" in cell.group(3) and "<blockquote>" in cell.group(3) and "para. 16." in cell.group(3)
    assert f'href="#{cell.group(1)}"' in text  # the count in the matrix opens it


def test_overlap_joins_only_subprogrammes_of_two_entities_by_the_instruments_both_list(store_graph, dataset):
    _e, _r, found = landscape(store_graph, lambda iri: None)
    pairs, rows = overlap(found, lambda iri: None)
    tops: dict[str, set] = {}
    for sol in dataset.query(LEGISLATIVE):
        tops.setdefault(sol["inst"].value, set()).add(sol["top"].value)
    both = {i for i, t in tops.items() if len(t) >= 2}
    assert len(pairs) == 1 and pairs[0]["shared"] == len(both) == 26
    pair = pairs[0]
    assert all(link["a"].startswith(("A/80/6 (Sect. 16)", SECT16)) for link in pair["links"])
    assert all(link["b"].startswith(("A/80/6 (Sect. 24)", SECT24)) for link in pair["links"])
    assert len(pair["links"]) < len(pair["left_nodes"]) * len(pair["right_nodes"])  # not complete
    assert sum(link["count"] for link in pair["links"]) == len(rows)


def test_mandate_age_never_takes_a_read_year_for_a_stated_one_nor_guesses_one(store_graph):
    entities, rows = age(store_graph)
    sect16 = _by_label(entities, SECT16)
    assert sect16["total"] == sect16["dated"] + sect16["undated"] == 431
    assert sect16["stated"] + sect16["read"] == sect16["dated"]
    ga = next(b for b in sect16["bodies"] if b["label"] == "General Assembly")
    assert ga["dated"] == 0  # "70/1" and the like: a session number, not a year
    ecosoc = [r for r in rows if r[1] == "Economic and Social Council" and r[2]]
    assert ecosoc and all(basis == "read from its number" for *_x, basis in ecosoc)


def test_work_takes_a_subcategory_total_as_printed_never_added_to_its_rows(store_graph):
    sections, _rows = work(store_graph, lambda iri: None)
    sect16 = next(s for s in sections if s["label"] == "A/80/6 (Sect. 16)")
    sp1 = next(p for p in sect16["programmes"] if p["label"].startswith("A/80/6 (Sect. 16), subprogramme 1:"))
    sp2 = next(p for p in sect16["programmes"] if p["label"].startswith("A/80/6 (Sect. 16), subprogramme 2:"))
    facilitation = {u["unit"]: u["value"] for c in sp1["categories"] if c["category"].startswith("A.") for u in c["units"]}
    assert facilitation == {"documents": "58", "three-hour meetings": "56"}  # the two "(number of ...)" rows
    assert (sp2["posts"], sp2["money"]) == ("4", "855.5 thousands of US$")
    assert "Commission on Narcotic Drugs" in sp2["bodies"]
    # a programme as a whole: its "Overall" table's posts and money, never one table's posts beside another's money
    # (executive direction's 4 posts beside the overall 29,475.5) nor another entity's part (Sect. 24's Independent
    # Institution, part III, prints an "Overall" table of its own)
    whole = {s["label"]: next(p for p in s["programmes"] if p["label"].startswith("Programme of")) for s in sections}
    assert (whole["A/80/6 (Sect. 16)"]["posts"], whole["A/80/6 (Sect. 16)"]["money"]) == (
        "144", "29,475.5 thousands of US$")  # Table 16.25
    assert (whole["A/80/6 (Sect. 24)"]["posts"], whole["A/80/6 (Sect. 24)"]["money"]) == (
        "702", "249,426.7 thousands of US$")  # Table 24.26


HOSTILE = """
@prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> . @prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
dpk:p rdfs:label "Programme of X (Sect. 1): <img src=x onerror=alert(1)>" .
dpk:sp dcterms:isPartOf dpk:p ; rdfs:label "X (Sect. 1), subprogramme 1: </title><script>alert(2)</script>" .
dpk:r rdfs:label "resolution \\"1/1\\" <b>bold</b>" ; dcterms:title "{{ 7*7 }} & <i>t</i>" ; dpo:adoptedBy dpk:b .
dpk:b rdfs:label "Body <svg onload=alert(3)>" .
dpk:m dpo:verb dpk:verb-legislative-mandate ; dpo:issuedIn dpk:r ; dpo:calledFor dpk:sp .
dpk:ev dpo:states [ rdf:subject dpk:m ; rdf:predicate dpo:issuedIn ; rdf:object dpk:r ] ; dpo:quote "1/1\\t<script>x</script>" .
"""


def test_no_value_reaches_a_page_as_markup(tmp_path):
    g = Graph()
    g.parse(data=HOSTILE, format="turtle")
    written = write_questions(g, tmp_path, lambda iri: "a\"><script>.html")
    pages = [name for name in written if name.endswith(".html")]
    assert len(pages) == 5
    for name in pages:
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "<script" not in text and "<img" not in text and "<svg onload" not in text and "<b>" not in text, name
        assert ">49<" not in text  # a template expression in the data stays text
    landscape_page = (tmp_path / "mandate-landscape.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in landscape_page and "{{ 7*7 }}" in landscape_page


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS, ids=[q.href for q in QUESTIONS])
def test_each_question_page_in_chromium(browser, pages, question):
    """Opened as a reader would: the question heads the page, nothing is fetched, no error; in the matrix a count
    leads to its instruments."""
    out, _ = pages
    page = browser.open((out / question.href).as_uri())
    assert page.evaluate("document.querySelector('h1').textContent") == question.question
    assert page.errors == [] and [u for u in page.requests if not u.startswith(("file:", "data:"))] == []
    if question.href == "mandate-landscape.html":
        target = page.evaluate("document.querySelector('td.cell a').getAttribute('href')")
        assert page.evaluate(f"document.querySelector('{target}').querySelectorAll('li').length") >= 1
    if question.href == "mandate-overlap.html":
        assert page.evaluate("document.querySelectorAll('svg line').length") >= 5
    page.close()


def test_work_adds_counts_only_leaving_out_what_is_no_number():
    """A deliverable's count of NaN or INF (doubles, not counts) or text is left out of its unit's sum: added, the
    sum had printed as nan."""
    g = Graph()
    g.parse(data="""
@prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> . @prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
dpk:p rdfs:label "Programme of X (Sect. 1)" .
dpk:sp dcterms:isPartOf dpk:p ; rdfs:label "X (Sect. 1), subprogramme 1: work" .
dpk:planned skos:prefLabel "2026 planned" .
dpk:d1 dcterms:description "Reports" ; dpo:deliverableCategory "A. Facilitation" .
dpk:o1 dpo:refDeliverable dpk:d1 ; dpo:refProgramme dpk:sp ; dpo:count 3 ; dpo:refPeriod "2026" ;
    dpo:refStatus dpk:planned ; dpo:unit "documents" .
dpk:o2 dpo:refDeliverable dpk:d1 ; dpo:refProgramme dpk:sp ; dpo:count "NaN"^^xsd:double ; dpo:refPeriod "2026" ;
    dpo:refStatus dpk:planned ; dpo:unit "documents" .
dpk:o3 dpo:refDeliverable dpk:d1 ; dpo:refProgramme dpk:sp ; dpo:count "INF"^^xsd:double ; dpo:refPeriod "2026" ;
    dpo:refStatus dpk:planned ; dpo:unit "documents" .
dpk:o4 dpo:refDeliverable dpk:d1 ; dpo:refProgramme dpk:sp ; dpo:count "four" ; dpo:refPeriod "2026" ;
    dpo:refStatus dpk:planned ; dpo:unit "documents" .
""", format="turtle")
    sections, _rows = work(g, lambda iri: None)
    units = [u for s in sections for p in s["programmes"] for c in p["categories"] for u in c["units"]]
    assert units and [(u["unit"], u["value"]) for u in units] == [("documents", "3")]
