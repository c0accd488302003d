"""Every quote stands verbatim in its source text, and every source text is cited."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, Namespace

from drugpolicy_kg.checks.quotes import QUOTES, check_quotes, normalise

DPO = Namespace("https://w3id.org/drugpolicy-kg/ontology#")


def test_sources_are_the_four_documents(project):
    """The two short sources, and the texts read from the two reviewed budget sections (their Word files beside them)."""
    names = sorted(p.name for p in project.sources_dir.glob("*.txt"))
    assert names == ["a-80-6-sect-16.txt", "a-80-6-sect-24.txt", "cnd65-crp-itwg-inaugural-meeting.txt", "isn-brochure.txt"]
    assert (project.sources_dir / "un-documents" / "A_80_6_Sect.16.docx").is_file()
    assert (project.sources_dir / "un-documents" / "A_80_6_Sect.24.docx").is_file()


def test_every_quote_verbatim_and_every_source_cited(graph, project):
    n, problems = check_quotes(graph, project.sources_dir)
    assert n >= 60, "fewer quotes than expected: was evidence lost?"
    assert problems == []


def test_each_quote_individually(graph, project):
    texts = {p.name: normalise(p.read_text(encoding="utf-8")) for p in project.sources_dir.glob("*.txt")}
    rows = list(graph.query(QUOTES))
    assert len(rows) >= 60
    for ev, _doc, file, quote, _row in rows:  # (a table cell's row: checked by check_quotes)
        assert normalise(str(quote)) in texts[str(file)], f"{ev}: {quote!r}"


def test_a_changed_word_is_caught(graph, project):
    g = Graph()
    for t in graph:
        g.add(t)
    ev = next(g.subjects(DPO.quote, Literal("ILO (International Labour Organization)")))
    g.remove((ev, DPO.quote, None))
    g.add((ev, DPO.quote, Literal("ILO (International Labor Organization)")))
    _, problems = check_quotes(g, project.sources_dir)
    assert len(problems) == 1 and "not found verbatim" in problems[0].message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("a\n  b", "a b"), ("**World Health\nOrganization**", "World Health Organization"),
     ("[Booklet 5](#)", "Booklet 5"), ("Goals \\(SDGs\\)", "Goals (SDGs)"), ("*World Psychiatry*,", "World Psychiatry,")],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_normalise_keeps_words_and_punctuation():
    assert normalise("Children’s Fund") != normalise("Children's Fund")
    assert normalise("64/3") == "64/3"


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(["Synthetic", "Organization", "s0-1", "s0-12", "takes", "part", "in", "the",
                                        "work", "Operative", "paragraph", "1", "of", "resolution", "100/2", "."]),
                      min_size=1, max_size=60),
       cuts=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 120)), max_size=25),
       strays=st.lists(st.text(alphabet="abcs0-1 .", min_size=1, max_size=30), max_size=5))
def test_the_one_pass_quote_search_finds_what_a_search_per_quote_finds(words, cuts, strays):
    """check_quotes looks every quote up in one pass over the text (by its first characters where a word starts); it
    must find exactly the quotes a plain search finds: pieces of the text starting anywhere, inside words too, many
    sharing a start, and strings that are not there."""
    from drugpolicy_kg.checks.quotes import _standing_in

    text = " ".join(words)
    quotes = {text[a:a + n].strip() for a, n in cuts if text[a:a + n].strip()} | {s.strip() for s in strays if s.strip()}
    assert _standing_in(text, quotes) == {q for q in quotes if q in text}
