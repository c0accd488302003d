"""Ingest of a document printed to PDF: the Word files printed by LibreOffice give the same running-text facts, with
page numbers in their locators, the same deliverables figures wherever the page prints their columns' headings, and
the same resources figures wherever a table's figures check each other; the tables not read are counted and the
draft says so; a damaged PDF is one line."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from drugpolicy_kg.cli import main
from drugpolicy_kg.sources.extract import extract
from drugpolicy_kg.sources.reader import read_document

from .conftest import FIXTURES, ROOT

SECT16 = ROOT / "data" / "sources" / "un-documents" / "A_80_6_Sect.16.docx"
SECT24 = ROOT / "data" / "sources" / "un-documents" / "A_80_6_Sect.24.docx"
# what a page states in running text; tables (deliverables, resources, mandate lists) need the Word file's grid
TEXT_KINDS = {"activity", "expected-result", "performance-measure", "planned-result", "sdg", "objective",
              "subprogramme", "reference"}

pytestmark = pytest.mark.slow


PRINTED = FIXTURES / "printed"


def printed_pdf(source):
    """``source`` as LibreOffice printed it (``tests/fixtures/printed``, written by ``tools/print_fixtures.py``)."""
    return PRINTED / (source.stem + ".pdf")


def test_the_prints_are_of_the_sources_as_they_are_today():
    """Each PDF the tests read was printed from the source in the repository now, byte for byte (the source's
    sha256 at printing time), and is the file printed then: a changed source is printed again
    (``tools/print_fixtures.py``), never tested through an old print."""
    manifest = json.loads((PRINTED / "printed.json").read_text(encoding="utf-8"))
    assert sorted(manifest) == sorted(p.name for p in PRINTED.glob("*.pdf")) and len(manifest) == 3
    for name, entry in manifest.items():
        assert hashlib.sha256((ROOT / entry["source"]).read_bytes()).hexdigest() == entry["source_sha256"], name
        assert hashlib.sha256((PRINTED / name).read_bytes()).hexdigest() == entry["pdf_sha256"], name
        assert printed_pdf(ROOT / entry["source"]).name == name and entry["printed_by"].startswith("LibreOffice")


@pytest.fixture(scope="module")
def printed():
    """Both budget sections, as their Word files and as LibreOffice printed them to PDF."""
    return {word: (read_document(word), read_document(printed_pdf(word))) for word in (SECT16, SECT24)}


def test_a_text_printed_as_saved_reads_in_its_order_with_no_symbol_it_does_not_print():
    """The conference room paper's text printed as it was saved: its footnotes stand where the text keeps them, in
    the body's size, with numbered paragraphs going on below ("* E/CN.7/2022/1.", then "5. No inter-agency ...").
    They are no page's footnotes: the page reads in the text's order, each candidate under the paragraph that holds
    it (the footnotes had been taken for the page's, and paragraph 6 joined to 4), and the paper has no symbol of its
    own (the agenda's in the footnote, and a citation's, had been taken for it)."""
    text = ROOT / "data" / "sources" / "cnd65-crp-itwg-inaugural-meeting.txt"
    pdf = printed_pdf(text)

    def facts(doc):
        return sorted(repr((c.kind, " ".join(c.quote.split()), re.sub(r", p\. \d+$", "", c.locator),
                            sorted((k, v) for k, v in c.facts.items() if k != "context"))) for c in extract(doc).candidates)

    saved, page = read_document(text), read_document(pdf)
    assert len(facts(saved)) >= 4 and facts(page) == facts(saved)  # (references, the SDG target, by paragraph)
    assert [(d.symbol, d.date) for d in (saved, page)] == [("", "2022-03-09")] * 2
    assert " ".join(page.text.split()).index("5. No inter-agency") < " ".join(page.text.split()).index("6. In view")
    # printed with narrow margins, a page's first lines stand in the band of running heads: they are the body's (the
    # end of paragraph 5 and the opening of 12 had been read as page headers, and paragraph 6 joined to 5)
    numbered = [s.number for s in page.segments if s.kind == "paragraph" and s.number]
    assert numbered == [s.number for s in saved.segments if s.kind == "paragraph" and s.number] == \
        [str(n) for n in range(1, 15)]
    assert not [s.text for s in page.segments if s.kind == "margin"]
    assert "organizations, ...”." in " ".join(page.text.split())


def _facts(doc) -> set:
    return {repr((c.kind, sorted((k, v) for k, v in c.facts.items() if k not in ("context", "footnotes", "instruments")),
                  c.status)) for c in extract(doc).candidates if c.kind in TEXT_KINDS}


@pytest.mark.parametrize("word", [SECT16, SECT24], ids=["Sect.16", "Sect.24"])
def test_a_printed_section_gives_the_running_text_facts_of_its_word_file(printed, word):
    """Objectives, strategy items, expected and planned results, performance measures, SDG links, subprogramme titles
    and references: at least 98% of the Word file's, and no more than 2% that it does not give (measured: all)."""
    docx, pdf = printed[word]
    a, b = _facts(docx), _facts(pdf)
    assert len(a) > 100
    assert len(a & b) >= 0.98 * len(a), sorted(a - b)[:3]
    assert len(b - a) <= 0.02 * len(a), sorted(b - a)[:3]
    assert (pdf.symbol, pdf.date, pdf.job_number, pdf.title) == (docx.symbol, docx.date, docx.job_number, docx.title)


def test_footnotes_and_their_marks_are_read_from_the_page(printed):
    """The footnotes under the rule at a page's foot, each from its raised number, and each raised mark in the text
    kept with the paragraph or item it stands in: the same footnotes and the same marks as the Word file's."""
    docx, pdf = printed[SECT16]

    def notes(doc):
        return {s.number: " ".join(s.text.split()) for s in doc.segments if s.kind == "footnote" and s.number}

    def marks(doc):
        return {(s.text.split(" ")[0], tuple(s.notes)) for s in doc.segments if s.notes and s.kind != "row"}

    assert notes(pdf) == notes(docx) and len(notes(docx)) == 9
    # the five in the mandate rows are in a table, which a page does not give; the four in paragraphs and items are
    assert marks(pdf) == marks(docx) == {("(c)", ("6", "7")), ("(b)", ("8",)), ("16.137", ("9",))}
    item = next(c for c in extract(pdf).candidates if c.kind == "activity" and c.facts["paragraph"] == "16.56"
                and c.facts["item"] == "(c)")
    assert [(i["issuer"], i["symbol"]) for fn in item.facts["footnotes"] for i in fn["instruments"]][:3] == [
        ("General Assembly", "72/194"), ("General Assembly", "72/284"), ("General Assembly", "74/175")]


def test_each_locator_names_the_page_that_shows_it(printed):
    """Every segment's locator ends with its page, and that page, read by another library (pypdf's own text
    extraction, not pdfplumber's on which the reader stands), shows the segment's words."""
    from pypdf import PdfReader

    _, pdf = printed[SECT24]
    pages = [" ".join((p.extract_text() or "").split()) for p in PdfReader(pdf.path).pages]
    checked = 0
    for seg in pdf.segments:
        if seg.kind == "margin":
            continue
        assert seg.locator.endswith(f", p. {seg.page}"), seg.locator
        if seg.kind == "row":  # a row's cells stand apart and wrap, line by line: the words of its first cell
            first = next(c for c in seg.cells if c).split()
            assert set(first[:6]) <= set(pages[seg.page - 1].split()), (seg.page, first[:6])
        else:
            head = " ".join(seg.text.split()[:4])
            assert head in pages[seg.page - 1], (seg.page, head)
        checked += 1
    assert checked > 300


def _pages_with(pdf, tmp_path, *phrases: str):
    """A PDF of the masthead's pages and of the pages around each segment of ``pdf`` (the fixture's reading) that
    shows one of ``phrases``: the page it starts on and those before and after (a list's lead-in, a table's heading).
    The command reads a whole document as the fixture does; its own path needs no 114 pages of it."""
    from pypdf import PdfReader, PdfWriter

    keep = {1, 2} | {p for s in pdf.segments if s.page and any(x in s.text for x in phrases) for p in (s.page - 1, s.page, s.page + 1)}
    reader = PdfReader(pdf.path)
    writer = PdfWriter()
    for n in sorted(keep & set(range(1, len(reader.pages) + 1))):
        writer.add_page(reader.pages[n - 1])
    out = tmp_path / "pages.pdf"
    with open(out, "wb") as fh:
        writer.write(fh)
    return out


def test_ingest_of_a_pdf_says_which_tables_it_read(printed, tmp_path, capsys):
    _, pdf = printed[SECT16]
    draft = tmp_path / "draft.json"
    pages = _pages_with(pdf, tmp_path, "deliverables for the period", "pursuant to General Assembly resolution")
    assert main(["ingest", str(pages), "--doc-id", "a-80-6-sect-16-printed", "-o", str(draft)]) == 0
    out = capsys.readouterr().out
    assert "mandate lists read from the page" in out and "not read: ingest the .docx for them" in out
    import json

    data = json.loads(draft.read_text())
    kinds = {c["kind"] for c in data["candidates"]}
    assert {"deliverable", "mandate-cost"} <= kinds
    assert all(data["text"][c["start"]:c["end"]] == c["quote"] for c in data["candidates"])


def _mandates(doc) -> dict:
    """A document's mandate rows as their facts: (scope, issuer, instrument, symbol, title) -> the candidates."""
    out: dict = {}
    for c in extract(doc).candidates:
        if c.kind == "legislative-mandate":
            f = c.facts
            out.setdefault((f["scope"], f["issuer"], f["instrument"], f["symbol"], f["title"]), []).append(c)
    return out


@pytest.mark.parametrize("word, share", [(SECT16, 0.985), (SECT24, 0.99)], ids=["Sect.16", "Sect.24"])
def test_a_printed_mandate_list_gives_the_word_files_rows(printed, word, share):
    """The mandate lists, whether the page prints their symbol column one character a line (Sect. 16: "S", "-", "2",
    "0") or whole (Sect. 24), in two newspaper columns, with rows cut by a column or a page: the Word file's
    instruments, each with its scope, issuer, symbol and title. Measured: 425 of 431 in Sect. 16 (the four
    declarations with no symbol, each title across both cells, among them; the six rows of a list whose heading
    LibreOffice leaves off the page are read with no issuer, never the list's above), 877 of 883 in Sect. 24. No row read from a
    page names an issuer, a symbol or a title the Word file does not give it; the footnote marks in rows are the
    Word file's; every quote stands at its offsets and its locator names its page."""
    docx, pdf = printed[word]
    a, b = _mandates(docx), _mandates(pdf)
    assert len(set(a) & set(b)) >= share * len(a), sorted(set(a) - set(b))[:3]
    untitled = {k for k in a if not k[3]}  # conventions and declarations listed with no symbol: the title alone
    assert untitled <= set(b) and bool(untitled) == (word == SECT16), sorted(untitled - set(b))[:3]
    for key in set(b) - set(a):  # read from the page only: a list that lost its heading, never guessed
        assert key[1] == "" and all(c.confidence <= 0.3 and "no heading of its own" in c.note for c in b[key]), key
    for cands in b.values():
        for c in cands:
            assert pdf.text[c.start:c.end] == c.quote and re.search(r", p\. \d+$", c.locator), c.locator
    spaced = [c for cs in b.values() for c in cs if "printed one character a line" in c.note]
    assert bool(spaced) == (word == SECT16)  # "Decision2022/316" on the page, read as "Decision 2022/316", said so

    def row_marks(doc):
        return sorted((s.cells[0], tuple(s.notes)) for s in doc.segments if s.kind == "row" and s.notes)

    assert row_marks(pdf) == row_marks(docx)


def test_a_printed_section_is_reviewed_into_a_project_and_traced_to_its_pages(printed, tmp_path, capsys):
    """The printed Sect. 16's legislative mandates (its masthead and the pages of its lists), ingested and reviewed
    into a project that does not hold it, as a user would: every candidate of confidence 0.8 or more is accepted and
    none is refused by the project's checks, which review runs before it writes (a symbol read in its standard
    spacing keeps the printed words as dpo:statedAs, each row's mandate is named by its row: both were refused), and
    `trace 64/3` quotes the row with its page."""
    from pypdf import PdfReader, PdfWriter

    from .conftest import make_copy

    _, pdf = printed[SECT16]
    pages = sorted({s.page for s in pdf.segments if s.kind == "row" and s.locator.startswith("para. 16.10")})
    reader, writer = PdfReader(pdf.path), PdfWriter()
    for n in [1, 2, *range(pages[0], pages[-1] + 1)]:
        writer.add_page(reader.pages[n - 1])
    lists = tmp_path / "A_80_6_Sect.16-lists.pdf"
    with open(lists, "wb") as fh:
        writer.write(fh)
    project = make_copy(tmp_path)
    (project / "data" / "reviews" / "a-80-6-sect-16.json").unlink()  # the Word file's decisions: not this review's
    draft = tmp_path / "draft.json"
    assert main(["--project", str(project), "ingest", str(lists), "--doc-id", "a-80-6-sect-16", "-o", str(draft)]) == 0
    capsys.readouterr()
    assert main(["--project", str(project), "review", str(draft), "--accept", "all", "--min-confidence", "0.8"]) == 0
    out = capsys.readouterr().out
    accepted = re.search(r"accepted: \d+ \(.*?(\d+) legislative-mandate", out)
    assert accepted and int(accepted.group(1)) >= 400 and "refused by the checks: 0" in out, out[:400]
    assert main(["--project", str(project), "trace", "64/3"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"Commission on Narcotic Drugs resolutions and decisions, row \d+, p\. \d+", out), out[:600]


def _plan_facts(doc, kind: str, spaces: bool = True) -> list[str]:
    """A document's candidates of one kind as their facts, without offsets (a PDF's text is not the Word file's);
    ``spaces=False``: without their spaces too (LibreOffice prints some words against each other, "B.Generation",
    "andAdministration", and breaks a heading's word over two lines, "planne" above "d": the reader keeps the words
    as printed)."""
    def bare(x):
        if isinstance(x, dict):
            if "part_locator" in x:  # the heading of the section's part the table stands under: its page added
                x = {**x, "part_locator": re.sub(r", p\. \d+$", "", x["part_locator"])}
            return {k: bare(v) for k, v in x.items() if k not in ("start", "end", "context", "part_start")}
        if isinstance(x, str) and not spaces:
            return "".join(x.split())
        return [bare(v) for v in x] if isinstance(x, list) else x
    return [repr(sorted(bare(c.facts).items())) for c in extract(doc).candidates if c.kind == kind]


@pytest.mark.parametrize("word, share", [(SECT16, 0.3), (SECT24, 1.0)], ids=["Sect.16", "Sect.24"])
def test_a_printed_deliverables_table_gives_the_word_files_figures(printed, word, share):
    """Every deliverable a page gives is one the Word file gives, row, column and figure alike (no figure differs
    from the print), up to the spaces the print leaves out ("B.Generation"), each kept as printed; measured, of the
    Word file's deliverables: 63 of 198 in Sect. 16, where LibreOffice leaves most tables' year headings out of the
    print (refused: a figure under no heading has no period), and 146 of 146 in Sect. 24 (its Table 24.18's
    headings read over their columns, however evenly their words stand, and "2025 planne d" read as 2025, planned)."""
    docx, pdf = printed[word]
    a, b = _plan_facts(docx, "deliverable", spaces=False), _plan_facts(pdf, "deliverable", spaces=False)
    assert b and not set(b) - set(a), sorted(set(b) - set(a))[:2]
    assert len(b) >= share * len(a)
    figures = sum(len(c.facts["cells"]) for c in extract(pdf).candidates if c.kind == "deliverable")
    assert figures >= 100
    assert pdf.tables_skipped > 100  # resources tables and charts: counted, not read


@pytest.mark.parametrize("word, tables", [(SECT16, 9), (SECT24, 13)], ids=["Sect.16", "Sect.24"])
def test_a_printed_resources_table_is_read_only_where_its_figures_check_each_other(printed, word, tables):
    """A page's resources table is read where every row's figures check each other (the year's figure, its change
    and the next year's; the changes by kind; the percentage) under the budget's usual headings: every figure read
    from the page is the Word file's, row, path, column and value, up to spaces (measured: 9 tables and 164 figures
    of Sect. 16, 13 tables and 541 figures of Sect. 24). The others are refused whole: Table 16.20, whose headings
    LibreOffice leaves out of the print, and Table 24.33, whose own "8.6" does not match its change, among them."""
    docx, pdf = printed[word]

    def cells(doc, only=None):
        out = {}
        for c in extract(doc).candidates:
            if c.kind == "resource" and (only is None or c.facts["table"] in only):
                for cell in c.facts["cells"]:
                    key = (c.facts["table"], c.facts["item"], " / ".join(c.facts["path"]), cell["column"])
                    out["".join(repr(key).split())] = cell["printed"]
        return out

    from drugpolicy_kg.sources.plan import PAGE_COLUMNS

    from_page = [c for c in extract(pdf).candidates if c.kind == "resource"]
    read = {c.facts["table"] for c in from_page}
    assert len(read) == tables and not read & {"16.20", "16.23", "16.24", "24.33", "24.36", "24.27"}
    assert {cell["column"] for c in from_page for cell in c.facts["cells"]} \
        <= PAGE_COLUMNS  # word for word: no heading with a word the page cut ("expenditu re")
    page, word_file = cells(pdf), cells(docx, read)
    assert page == word_file and len(page) > 150


@pytest.mark.parametrize("word", [SECT16, SECT24], ids=["Sect.16", "Sect.24"])
def test_a_printed_section_gives_the_costs_of_new_mandates_of_its_word_file(printed, word):
    """"$250,500 ... pursuant to General Assembly resolution 79/1", each under its paragraph and item as in Word: a
    line that wraps to "24.99 and annex IV" (a reference, the space of a word after it) opens no paragraph 24.99."""
    docx, pdf = printed[word]
    a, b = _plan_facts(docx, "mandate-cost"), _plan_facts(pdf, "mandate-cost")
    assert len(a) >= 5 and sorted(a) == sorted(b)
    assert not [s for s in pdf.segments if s.kind == "paragraph" and s.text.startswith("24.99 and annex")]


def _encrypted_pdf(path) -> None:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=612, height=792)
    w.encrypt("secret")
    with open(path, "wb") as fh:
        w.write(fh)


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"\x00" * 40),
     "a damaged or unreadable PDF"),
    (lambda p: p.write_text("not a PDF at all, only a name that says so\n"), "a damaged or unreadable PDF"),
    (_encrypted_pdf, "encrypted"),
], ids=["cut-short", "not-a-pdf", "encrypted"])
def test_a_pdf_that_cannot_be_read_is_one_line(tmp_path, capsys, make, words):
    path = tmp_path / "bad.pdf"
    make(path)
    assert main(["ingest", str(path), "-o", str(tmp_path / "d.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err and "Traceback" not in err
    assert not (tmp_path / "d.json").exists()


def test_the_lean_reading_of_characters_gives_pdfplumber_s_own_fields(printed):
    """The reader converts each character with only the fields it and pdfplumber's text extraction use; on the
    printed pages those fields are pdfplumber's own, value for value (its full conversion, colours and all, took a
    third of the reading), and everything else on a page is pdfplumber's conversion."""
    import pdfplumber

    from drugpolicy_kg.sources.pdf import _lean_characters

    _, pdf = printed[SECT24]
    with pdfplumber.open(pdf.path) as whole, pdfplumber.open(pdf.path) as lean:
        compared = 0
        for theirs, ours in list(zip(whole.pages, lean.pages, strict=True))[:6]:
            _lean_characters(ours)
            assert len(ours.chars) == len(theirs.chars) > 100
            for a, b in zip(theirs.chars, ours.chars, strict=True):
                assert {k: a[k] for k in b} == b
                compared += 1
            assert ours.rects == theirs.rects and ours.lines == theirs.lines
    assert compared > 1000


def _line(text: str, top: float, size: float = 10.0, kind: str = "body"):
    from types import SimpleNamespace

    from drugpolicy_kg.sources.pdf import _Line

    words = text.split()
    step = len(text) * size * 0.5 / max(len(words), 1)  # as wide as its characters, words a space apart
    placed = [SimpleNamespace(x0=72 + i * step, x1=72 + (i + 1) * step - size * 0.25) for i in range(len(words))]
    return _Line(text, 72.0, top, top + size, size, "", 2, kind=kind, words=placed)


@pytest.mark.parametrize(("head", "body"), [
    ("A/80/6 (Sect. 16)", False), ("Page 3 of 12", False), ("25-05830 3/114", False), ("10 April 2025", False),
    ("Section 16", False),  # a short line: a running head
    ("Proposed programme budget for 2026: international drug control, 10 April 2025", False),  # as wide, dated
    ("international and regional entities and organizations, and their work", True)])
def test_a_line_in_the_head_band_is_the_bodys_only_where_it_reads_as_the_body(head, body):
    """_body_in_margins: a line standing where running heads do, in the body's size, at a paragraph's pitch over the
    body's first line, is the body's where it is as wide as the body's lines and prints nothing a running head does;
    a symbol, a page or job number, a date or a short title stays a running head. Further off, or in another size, a
    line stays a running head whatever it says."""
    from drugpolicy_kg.sources.pdf import _body_in_margins

    for top, size, kept in ((66.0, 10.0, body), (40.0, 10.0, False), (66.0, 8.5, False)):
        lines = [_line(head, top, size, kind="margin"),
                 _line("the paragraph goes on here, as wide as a line of the body is printed", 77.8),
                 _line("and on, to its end.", 89.1)]
        _body_in_margins(lines, 10.0)
        assert (lines[0].kind != "margin") == kept, (head, top, size)


def test_a_paragraph_numbered_in_one_level_opens_where_its_number_hangs():
    """_continues: a line that opens with "6." standing out from its text (as a UN document prints a paragraph's
    number: "6.     In view of ...") starts a paragraph, as "16.28" does; "6. In" a word's space apart (a reference
    cut at the line's end, "paragraph\\n6. In ...") goes on with the paragraph above."""
    from types import SimpleNamespace

    from drugpolicy_kg.sources.pdf import _continues, _Line

    def line(gap: float) -> _Line:
        words = [SimpleNamespace(x0=72.0, x1=80.0), SimpleNamespace(x0=80.0 + gap, x1=95.0 + gap)]
        return _Line("6. In view of the above", 72.0, 100.0, 110.0, 10.0, "", 1, words=words)

    above = [_Line("the paragraph above goes on", 72.0, 88.6, 98.6, 10.0, "", 1)]
    assert _continues(above, line(2.5), 10.0, False)
    assert not _continues(above, line(20.0), 10.0, False)
