"""A briefing's summary is a few plain sentences (#29): each about one subject, in the source's verbs, its counts and
figures read from the graph, every sentence ending with the numbers of the quotes that state it."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from drugpolicy_kg.uses.summary import MAX_SENTENCES, listing, programmes_phrase
from drugpolicy_kg.uses.trace import DCT, DPO, Tracer
from drugpolicy_kg.uses.trace_render import Briefing, render

DPK = "https://w3id.org/drugpolicy-kg/id/"
SP2 = "A/80/6 (Sect. 16), subprogramme 2"
# the briefings the issue names: a CND resolution, a working group, a commission, a member, a subprogramme and a
# resolution the OHCHR section cites (72/194: a mandate of both entities)
TERMS = ["64/3", "ITWG", "CND", "UNICEF", SP2, "72/194", "59/3", "UNODC", "ISN", "SDG 16", "SDG 3"]
PREFIXES = """PREFIX dpo: <https://w3id.org/drugpolicy-kg/ontology#>
PREFIX dpk: <https://w3id.org/drugpolicy-kg/id/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


@pytest.fixture(scope="module")
def tracer(dataset):
    return Tracer(dataset.rdflib())


def count(tracer, where: str, **iris) -> int:
    text = PREFIXES + "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { " + where + " }"
    for name, iri in iris.items():
        text = text.replace("$" + name, f"<{iri}>")
    return int(next(iter(tracer.graph.query(text)))[0])


@pytest.fixture(scope="module")
def briefings(tracer):
    return {term: Briefing(tracer.trace(term, "both")) for term in TERMS}


@pytest.mark.parametrize("term", TERMS)
def test_three_to_eight_sentences_each_ending_with_its_sources(briefings, term):
    b = briefings[term]
    text = b.summary_text()
    assert 1 <= len(text) <= MAX_SENTENCES
    if term in ("64/3", "ITWG", "CND", "UNICEF", SP2, "72/194"):  # the issue's six: 3 to 8 sentences
        assert len(text) >= 3, text
    numbers = {n.n for n in b.notes}
    for sentence, line in zip(b.summary, text, strict=True):
        if sentence.absent:  # what the graph does not hold: nothing can be cited, and it says so in words
            assert not sentence.evidence and re.search(r"\b(no|not|nothing)\b", line, re.I)
            continue
        assert sentence.evidence, line
        cites = re.search(r"(?: \[\d+\])+$", line)
        assert cites, f"no source numbers at the end: {line}"
        assert {int(n) for n in re.findall(r"\d+", cites.group())} <= numbers
        assert not re.search(r"\(\w+, row \d+\)", line), "a row label is no name"


@pytest.mark.parametrize("term", TERMS)
def test_every_number_in_a_sentence_is_in_its_quotes_labels_or_a_count_checked_below(briefings, term):
    b = briefings[term]
    labels = " ".join(h.label for h in b.in_order())
    for sentence in b.summary:
        said = sentence.words()
        quotes = " ".join(e.quote + " " + e.locator + " " + e.source for e in sentence.evidence)  # (its document names it)
        counts = re.findall(r"\b(\d+) (?:resolutions|members|things|planned results?|deliverables?|reasons|objectives|"
                            r"provisions?|more|of the|of another|of other|activit|kinds)", said)
        for number in re.findall(r"\d+(?:[./]\d+)*", said):
            assert number in quotes or number in labels or number in counts, (number, said)


@pytest.mark.parametrize("term", TERMS)
def test_what_stands_in_quotation_marks_is_the_sources_own_text(briefings, term):
    """A label ("implementing the three ...", lower-cased from the source's "(i) Implementing") is never quoted;
    a quote may be cut at its end, with an ellipsis."""
    for sentence in briefings[term].summary:
        quotes = [" ".join(e.quote.split()) for e in sentence.evidence]
        for inner in re.findall(r"“([^”]*)”", sentence.text):
            words = " ".join(inner.split()).removesuffix("…")
            assert any(words in q for q in quotes), (inner, sentence.text)


def test_a_resolution_reads_as_the_issue_asks(briefings, tracer):
    """Who adopted it, its title, what its paragraph asks of whom (the source's verb), the subprogramme it mandates
    counted among its body's mandates, what that work is and costs, and what was set up in view of it."""
    text = briefings["64/3"].summary_text()
    assert text[0].startswith("The Commission on Narcotic Drugs adopted resolution 64/3, “Promoting scientific")
    assert text[1].startswith("In operative paragraph 18 it encourages UNODC to continue and enhance its collaboration")
    sp2 = DPK + "programme-a-80-6-sect-16-sp-2"
    same_body = count(tracer, "?m dpo:verb dpk:verb-legislative-mandate ; dpo:calledFor $p ; dpo:issuedIn ?x . "
                              "?x dpo:adoptedBy dpk:org-cnd", p=sp2)
    listed = next(s for s in text if "lists it among" in s)
    assert f"among the {same_body} Commission on Narcotic Drugs resolutions and decisions the graph holds as" in listed
    assert "its subprogramme 2, “A comprehensive and balanced approach to counter the world drug problem”" in listed
    plan = next(s for s in text if s.startswith("The plan of subprogramme 2"))
    will = count(tracer, "$p dpo:plansActivity ?x", p=sp2)
    # a subcategory's total ("Parliamentary documentation (number of documents)": no item number, its numbered
    # items under it) is no deliverable of its own: counted with them, Table 16.4 would give 21, not 16
    delivers = count(tracer, "$p dpo:delivers ?x", p=sp2) - count(
        tracer, "$p dpo:delivers ?x . ?x dpo:deliverableSubcategory ?c . FILTER NOT EXISTS { ?x dpo:itemLabel ?i } "
                "FILTER EXISTS { $p dpo:delivers ?y . ?y dpo:deliverableSubcategory ?c ; dpo:itemLabel ?j }", p=sp2)
    assert delivers == 16
    results = count(tracer, "$p dpo:plansResult ?x", p=sp2)
    assert f"{will} things it will do" in plan and f"{results} planned results" in plan and f"{delivers} deliverables" in plan
    cost = next(s for s in text if s.startswith("Table 16.31"))  # the table's figures, not "its resources are": the
    assert "gives 4 posts and US$ 855.5 thousand in the 2026 estimate" in cost  # subprogramme's 39 extrabudgetary
    assert "its resources" not in cost.lower()  # posts stand in Table 16.24
    assert any("ITWG" in s and "was set up" in s and "SDG 3.5" in s for s in text)
    assert not any("(Commission on Narcotic Drugs, row" in s for s in text)


def test_the_cost_sentence_cites_the_printed_cells(briefings):
    b = briefings[SP2]
    cost = next(s for s in b.summary if s.kind == "resources")
    title = "Subprogramme 2: evolution of financial and post resources"  # the table named by its own printed title
    assert {e.quote for e in cost.evidence} == {"4", "855.5", title} and f"“{title}”" in cost.text
    assert all("Table 16.31" in e.locator and ("2026 estimate" in e.locator or e.quote == title)
               for e in cost.evidence)


def test_a_subprogramme_counts_its_mandates_by_body(briefings, tracer):
    sp2 = DPK + "programme-a-80-6-sect-16-sp-2"
    total = count(tracer, "?m dpo:verb dpk:verb-legislative-mandate ; dpo:calledFor $p ; dpo:issuedIn ?x", p=sp2)
    ga = count(tracer, "?m dpo:verb dpk:verb-legislative-mandate ; dpo:calledFor $p ; dpo:issuedIn ?x . "
                       "?x dpo:adoptedBy dpk:org-general-assembly", p=sp2)
    line = next(s for s in briefings[SP2].summary_text() if "legislative mandates:" in s)
    assert line.startswith(f"The graph holds {total} resolutions and decisions as its legislative mandates")
    assert f"{ga} of the General Assembly" in line
    inferred = next(s for s in briefings[SP2].summary if s.kind == "part of")
    assert "(inferred, not stated: " in inferred.words()  # the section does not say it in words


def test_a_body_counts_what_it_adopted_and_what_serves_it(briefings, tracer):
    text = briefings["CND"].summary_text()
    adopted = count(tracer, "?x dpo:adoptedBy dpk:org-cnd")
    assert text[0].startswith(f"The graph holds {adopted} resolutions and decisions the Commission on Narcotic Drugs adopted")
    assert "and 69 more, listed below" in text[0] or f"and {adopted - 3} more, listed below" in text[0]
    assert any(re.match(r"Their legislative-mandate rows call for subprogrammes 2, 6, 8", s) for s in text)
    served = count(tracer, "?x dpo:forBody dpk:org-cnd")
    assert any(s.startswith(f"{served} deliverables are prepared for it or serve it") for s in text)


def test_a_working_group_and_its_member(briefings, tracer):
    itwg = briefings["ITWG"].summary_text()
    assert itwg[0].startswith("Interagency Technical Working Group") and "in its source's words: “In view of the above" in itwg[0]
    members = count(tracer, "?x org:organization dpk:itwg")
    assert any(s.startswith(f"It has {members} members; UNODC and WHO co-lead it") for s in itwg)
    unicef = briefings["UNICEF"].summary_text()
    assert unicef[0].startswith("It is a member of the Interagency Technical Working Group") and "(ITWG)" in unicef[0]
    assert any(s.startswith("The ITWG's overall goal: substantial increase in inter-agency coordination")
               and "4 specific objectives" in s for s in unicef)


def test_no_sentence_puts_a_fact_on_the_wrong_subject(briefings, tracer):
    """Each sentence names its subject; what it says of that subject holds in the graph, per relation kind."""
    holds = {
        "legislative mandate": "?m dpo:verb dpk:verb-legislative-mandate ; dpo:calledFor $s ; dpo:issuedIn ?x",
        "plan": "{ $s dpo:plansActivity ?x } UNION { $s dpo:delivers ?x } UNION { $s dpo:plansResult ?x }",
        "plan parts": "?x dcterms:isPartOf $s ; a dpo:Programme",
        "parts' plan": "?part dcterms:isPartOf $s . { ?part dpo:plansActivity ?x } UNION { ?part dpo:delivers ?x } "
                       "UNION { ?part dpo:plansResult ?x }",
        "resources": "?x dpo:refProgramme $s",
        "provision": "$s dpo:issuedIn ?x",
        "set up in view of": "$s dpo:respondsTo ?x",
        "members": "?x org:organization $s",
        "member of": "?x org:member $s",
        "adopted": "?x dpo:adoptedBy $s",
        "adopted by": "$s dpo:adoptedBy ?x",
        "deliverables for": "?x dpo:forBody $s",
        "objectives": "$s dpo:hasObjective ?x",
        "implements": "?x dpo:implementedBy $s",
        "mandated by": "?m dpo:calledFor $s ; dpo:issuedIn ?x",
    }
    checked = set()
    for term, b in briefings.items():
        for sentence in b.summary:
            if sentence.kind in holds:
                assert count(tracer, holds[sentence.kind], s=sentence.subject) >= 1, (term, sentence.kind, sentence.text)
                checked.add(sentence.kind)
    assert checked >= {"legislative mandate", "plan", "resources", "provision", "members", "adopted", "adopted by",
                       "plan parts", "parts' plan"}


def test_a_subprogramme_set_out_in_parts_does_what_its_parts_plan(tracer):
    """Sect. 24 sets subprogramme 1 out in three lettered parts, each with its own plan, and none of its own: a
    resolution mandating subprogramme 1 is said to lead to the parts' work (the trace had stopped at subprogramme 1,
    and resolution-work counted 0 activities and 0 deliverables). The parts are named, their tie to the subprogramme
    said to be inferred; the counts are the graph's and resolution-work's."""
    from drugpolicy_kg.uses.summary import Summarizer

    sp1 = DPK + "programme-a-80-6-sect-24-sp-1"
    b = Briefing(tracer.trace("HRC 52/24", "forward"))
    text = b.summary_text()
    parts = next(s for s in text if s.startswith("The plan of subprogramme 1 is set out in 3 parts:"))
    assert "(a) Human rights mainstreaming, (b) Right to development and (c) Research and analysis" in parts
    assert "(inferred, not stated: The section sets it out under subprogramme 1, as one of its lettered parts" in parts
    plans = next(s for s in text if s.startswith("Their plans list"))
    activities = count(tracer, "?p dcterms:isPartOf $s . ?p dpo:plansActivity ?x", s=sp1)
    results = count(tracer, "?p dcterms:isPartOf $s . ?p dpo:plansResult ?x", s=sp1)
    summarizer = Summarizer(tracer)
    rows = [str(d) for p in tracer._linked(sp1, DCT + "isPartOf", "in") for d in tracer._linked(str(p), DPO + "delivers", "out")]
    delivered = len(rows) - sum(len(summarizer.subtotals([str(d) for d in tracer._linked(str(p), DPO + "delivers", "out")]))
                                for p in tracer._linked(sp1, DCT + "isPartOf", "in"))
    assert (activities, results) == (15, 9) and delivered == 28
    assert f"{activities} things they will do" in plans and f"{results} planned results" in plans
    assert f"{delivered} deliverables" in plans
    assert count(tracer, "$s dpo:plansActivity ?x", s=sp1) == 0  # none of its own: the parts' are what it does
    hops = [h for h in b.trace.forward for h in h.children for h in h.children if h.relation == "has part"]
    assert len(hops) == 3  # the trace reads dcterms:isPartOf from a programme as "has part", not "has paragraph"


def test_a_recognition_says_it_asks_nothing(briefings):
    """What a source does not say is said: 59/3 recognizes the ISN's efforts and mandates nothing of it."""
    line = next(s for s in briefings["59/3"].summary_text() if "recognizes" in s)
    assert "(it asks for no action: not a mandate)" in line
    isn = briefings["ISN"].summary
    absent = [s for s in isn if s.absent]
    assert [s.text for s in absent] == ["That provision asks nothing of it, and no source in the graph names a "
                                        "resolution that mandates the ISN."]


def test_every_format_tells_the_same_summary(tracer):
    from drugpolicy_kg.tables import markdown_safe

    t = tracer.trace("64/3", "both")
    sentences = Briefing(t).summary_text(cite=lambda n: "")
    text = " ".join(render(t, "text").split())
    md = render(t, "markdown")
    page = render(t, "html")

    for s in sentences:
        words = s.strip()
        assert " ".join(words.split()) in text
        assert markdown_safe(words) in md
        assert escape(words) in page


def test_the_key_quotes_follow_the_summary_and_the_hops_come_after(tracer):
    t = tracer.trace("64/3", "both")
    text = render(t, "text")
    assert text.index("Key quotes:") < text.index("What it leads to")
    page = render(t, "html")
    assert page.index('class="key"') < page.index('class="rest"') < page.index("What it leads to")


def test_the_word_briefing_has_the_same_first_page(tmp_path, tracer):
    import docx

    from drugpolicy_kg.uses.trace_render import to_docx

    t = tracer.trace("ITWG", "both")
    target = tmp_path / "b.docx"
    target.write_bytes(to_docx(t))
    doc = docx.Document(str(target))
    paragraphs = doc.paragraphs
    texts = [p.text for p in paragraphs]
    summary = Briefing(t).summary_text()
    assert texts[2:2 + len(summary)] == summary
    key = [p for p in paragraphs if p.style.name == "Quote"]
    assert key and key[0].text.startswith("[1] “")
    body = doc.element.body.xml
    assert body.index('w:type="page"') < body.index("What it leads to")  # the hops start on page 2


def test_listing_counts_the_rest():
    assert listing(["a"]) == "a" and listing(["a", "b"]) == "a and b"
    assert listing(["a", "b", "c", "d", "e"]) == "a, b, c and 2 more, listed below"
    assert listing(["a", "b", "c", "d"], noun=("other body", "other bodies")) == "a, b, c and 1 other body, listed below"
    assert programmes_phrase(["A/80/6 (Sect. 16), subprogramme 9, component 1: x", "A/80/6 (Sect. 16), subprogramme 2: y",
                              "Programme of A/80/6 (Sect. 24): z"]) == \
        "subprogrammes 2 and 9 (component 1) of A/80/6 (Sect. 16) and the programme of A/80/6 (Sect. 24) as a whole"


@pytest.mark.slow
@pytest.mark.parametrize("term", ["64/3", "ITWG", "CND"])
@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_printed_briefing_has_its_summary_and_key_quotes_on_page_one(browser, tracer, tmp_path, term, paper):
    """Printed from Chromium, the summary and its quotes fit the first page; the hops start on the second."""
    import io

    from pypdf import PdfReader

    from drugpolicy_kg.uses.trace_render import to_html

    t = tracer.trace(term, "both")
    target = tmp_path / "b.html"
    target.write_text(to_html(t), encoding="utf-8")
    page = browser.open(target.as_uri())
    reader = PdfReader(io.BytesIO(page.pdf(format=paper, print_background=False)))
    assert len(reader.pages) >= 2
    first = " ".join(reader.pages[0].extract_text().split())
    b = Briefing(t)
    for sentence in b.summary_text(cite=lambda n: ""):
        assert " ".join(sentence.split()[:6]) in first, sentence
    for note in b.key_notes():  # each key quote's number and its last words are on page 1
        assert f"[{note.n}]" in first and " ".join(note.evidence.quote.split()[-3:]) in first, note.n
    assert "What it leads to" not in first and "About it" not in first
    second = " ".join(reader.pages[1].extract_text().split())
    assert second.startswith(("About it", "What it leads to", "What leads to it")), second[:80]


def test_a_bounded_trace_keeps_the_entitys_own_links_and_its_summary(tracer):
    """A site page bounds its trace (#30): past the limit, an entity two links away is named and not followed; the
    entity's own links, what they reach, and so the summary's sentences are the same as unbounded."""
    full = tracer.trace("CND", "both")
    bounded = tracer.trace("CND", "both", max_hops=60)

    def near(trace, depth):
        return {(way, d, h.iri) for way in ("forward", "backward") for top in getattr(trace, way)
                for d, h in [(0, top), *((1, c) for c in top.children)] if d <= depth}

    assert near(bounded, 0) == near(full, 0)
    assert near(bounded, 1) >= near(full, 1)  # (an entity the full trace reached first by a longer path is expanded
    #                                            here where the bounded trace meets it)
    assert [s.words() for s in bounded.summary] == [s.words() for s in full.summary]
    hops = [h for top in bounded.forward for h in top.walk()]
    assert any(h.truncated for h in hops) and not any(h.truncated for top in full.forward for h in top.walk())
    assert len(hops) < sum(1 for top in full.forward for _ in top.walk())
    assert "its further links are on its own trace" in render(bounded, "text")


def test_a_briefing_printed_to_a_terminal_cannot_drive_it(tmp_path):
    """`trace --format html` to a terminal printed a label's ESC raw: HTML escaping is for browsers, not terminals."""
    import os
    import shutil
    import sys

    from .conftest import ROOT, on_terminal

    project = tmp_path / "proj"  # a small project whose ISN label holds a terminal's title-setting escape
    shutil.copytree(ROOT / "ontology", project / "ontology")
    shutil.copytree(ROOT / "queries", project / "queries")
    (project / "data" / "sources").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "isn-brochure.ttl", project / "data")
    shutil.copy(ROOT / "data" / "sources" / "isn-brochure.txt", project / "data" / "sources")
    ttl = (project / "data" / "isn-brochure.ttl").read_text(encoding="utf-8")
    (project / "data" / "isn-brochure.ttl").write_text(
        ttl.replace('"UNODC-WHO Informal Scientific Network"@en', '"UNODC-WHO Informal \\u001b]0;owned\\u0007Network"@en'),
        encoding="utf-8")
    code, out, stderr = on_terminal([sys.executable, "-m", "drugpolicy_kg.cli", "--project", str(project), "trace",
                                     "ISN", "--format", "html"], env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert code == 0, stderr[-500:]
    assert b"<html" in out and b"\x1b" not in out and b"\\x1b]0;owned" in out


def test_an_entity_says_which_section_s_programme_it_implements_and_how_that_is_known(tracer):
    """UNODC and OHCHR: the programme of the section that plans their work, said as inferred (the sections say whose
    plan it is by what the Office is responsible for, or by the part the plan stands under, never "implements"), with
    the words that show it; a network the source says it implements (the ISN), as stated. Read beside the trace, not
    as a hop of it: 64/3 OP18 addresses UNODC, and would otherwise seem to lead to all UNODC implements."""
    from drugpolicy_kg.uses.trace_render import Briefing

    unodc = Briefing(tracer.trace("UNODC", "both"))
    said = [s for s in unodc.summary if s.kind == "implements"]
    assert said[0].text.startswith("It implements Programme of A/80/6 (Sect. 16)") and "inferred, not stated" in said[0].words()
    assert said[0].evidence[0].quote.startswith("16.1 The United Nations Office on Drugs and Crime (UNODC) is responsible")
    assert any("Informal Scientific Network" in s.text and "inferred" not in s.words() for s in said)
    ohchr = [s for s in Briefing(tracer.trace("OHCHR", "both")).summary if s.kind == "implements"]
    assert ohchr[0].text.startswith("It implements Programme of A/80/6 (Sect. 24)")
    assert ohchr[0].evidence[0].quote == "I. Office of the United Nations High Commissioner for Human Rights"
    isn = tracer.trace("ISN", "backward")
    assert DPK + "res-cnd-64-3" not in {h.iri for tree in isn.backward for h in tree.walk()}


def test_an_adoption_stated_somewhere_is_cited_by_the_quote_that_states_it(tracer):
    """75/314's adoption by the General Assembly is stated by the heading of the list it stands in ("General Assembly
    resolutions"), and inferred from a resources table's row by the group row above it: the briefing's sentence cites
    the heading (it had cited the row, the first in order), and does not call the adoption inferred."""
    b = Briefing(tracer.trace("75/314", "both"))
    first = b.summary[0]
    assert "adopted" in first.text and "inferred" not in b.summary_text()[0]
    assert first.evidence and not first.evidence[0].inferred


def test_a_target_nothing_links_points_to_its_goal_and_claims_nothing_of_the_target(tracer):
    """The budget names goals, not targets: a target's briefing says that nothing links it, then what the graph links
    to its goal (counted from the graph), as a pointer with no quote; a goal nothing serves adds nothing."""
    lines = Briefing(tracer.trace("SDG 16.4", "both")).summary_text()
    served = count(tracer, "?x dpo:serves $goal", goal="http://metadata.un.org/sdg/16")
    assert served >= 2
    assert lines[0].startswith("Nothing in the graph links SDG 16.4"), lines
    assert lines[1] == (f"Its goal, SDG 16, is served by {served} entities in the graph (a trace of “SDG 16” names "
                        "them); the graph does not say which of them work towards SDG 16.4."), lines
    b = Briefing(tracer.trace("SDG 16.4", "both"))
    assert all(s.absent and not s.evidence for s in b.summary)
    assert count(tracer, "?x dpo:serves $goal", goal="http://metadata.un.org/sdg/1") == 0
    assert len(Briefing(tracer.trace("SDG 1.1", "both")).summary_text()) == 1


def test_a_goal_names_its_targets_that_something_serves_with_the_quote(briefings):
    """SDG 3's own trace had not named target 3.5, which the ITWG aims at: the goal's briefing says so, cited."""
    b = briefings["SDG 3"]
    said = [s for s in b.summary if s.kind == "target served"]
    assert [s.words() for s in said] == ["Of its targets, SDG 3.5 is served by ITWG."]
    assert said[0].evidence and all("3.5" in e.quote for e in said[0].evidence)
    assert not [s for s in briefings["SDG 16"].summary if s.kind == "target served"]  # (the budget names goals only)
