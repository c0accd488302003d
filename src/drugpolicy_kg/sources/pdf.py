"""Read a UN document printed to PDF into the same segments as its Word file gives, page by page.

A PDF holds positioned characters, not paragraphs: pdfplumber (MIT, on pdfminer.six) gives the characters with
their font, size and place, and this module puts the document back together the way a reader of the page does:

- the **running heads and feet** (the top and bottom bands of each page: "Section 16 ...", "25-05233 5/114") are
  margin lines, each once, from which the symbol, date and job number come, as from a Word file's headers;
- the **footnotes** are the lines under the short rule at the foot of a page, each starting at its raised number;
  a raised number in the text above is the footnote's mark, kept with the paragraph it stands in;
- **paragraphs** are lines of the body's size joined until a paragraph number ("16.28"), a list mark ("(a)", a
  bullet), a change of font (a heading) or a blank line starts the next; a paragraph cut by a page break is joined
  again; a line ending in a hyphen inside a word joins the next without a space;
- **mandate lists** (a symbol column beside the instruments' titles, in two newspaper columns) are put back into
  rows by ``pdflist``, whether the page prints the symbols whole or, as LibreOffice does, one character a line; a
  row cut by a column or a page is joined again;
- **tables** (lines across columns, or in a smaller size than the body's) are put back into rows and cells by
  ``pdftable`` where a table's caption ("Table 16.4", "Annex III") stands above them; the rest (a figure's labels,
  a grid not found) is not read, and its lines are counted. The programme plan reads a page's deliverables table
  only where the page prints each figure's year and status over it, and a page's resources table only where every
  row's figures check each other (its headings wrap in narrow columns, cut where no hyphen shows, and a print may
  leave some out: ``plan._checked_on_the_page``): read the Word file for the others.

Each segment's locator ends with the page it starts on ("para. 16.28, p. 12"). Nothing is fetched; a damaged,
encrypted or oversized PDF is refused in one line.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from drugpolicy_kg.errors import InputError
from drugpolicy_kg.sources.pdflist import bands as list_bands
from drugpolicy_kg.sources.pdflist import continues, join_lines
from drugpolicy_kg.sources.pdftable import TableLine, rows, words_of
from drugpolicy_kg.sources.plan import ANNEX, TABLE_NO
from drugpolicy_kg.sources.reader import (
    BULLET,
    ITEM_MARK,
    NUMBERED,
    ONE_LEVEL,
    PARA_NUMBER,
    SYMBOL,
    Document,
    _Walker,
    metadata_from_margins,
)

MAX_PAGES = 2000        # the UN's longest budget sections run to a few hundred pages
HEAD, FOOT = 0.085, 0.925  # the bands of a page (fractions of its height) that hold running heads and feet
RAISED = 0.7            # a digit under this fraction of the body's size is a footnote number or mark
SMALL = 0.95            # a line under this fraction of the body's size is a table's or a figure's
UNIT = re.compile(r"^\([^()]+\)$")  # "(Thousands of United States dollars)" over a table: a paragraph, as in Word
TERMINAL = (".", ":", ";", "?", "!", "”", ")")
# a line that is nothing but a structural label is a heading of its own, however close the next line stands: Word
# prints "Subprogramme 2" and the subprogramme's title as two headings, a page shows two bold lines
ALONE = re.compile(r"^(?:Subprogramme \d+(?:, component \d+)?|Component \d+|Section \d+[A-Z]?|Part [IVXL]+|Programme \d+|"
                   r"Table \d+\.\d+(?: \(\d+\))?|Figure \d+\.[IVXL]+|Annex [IVXL]+|Objective|Strategy|Deliverables)\.?$")


@dataclass
class _Line:
    text: str
    x0: float
    top: float
    bottom: float
    size: float
    font: str             # "bold", "italic" or "" (the line's characters all of one kind)
    page: int
    kind: str = "body"    # body | note (under the footnote rule) | margin (a running head or foot) | table
    number: str = ""      # a note line's footnote number, where it opens the footnote
    marks: list[str] = field(default_factory=list)  # footnote numbers raised in the line
    words: list = field(default_factory=list)        # its words with their places (pdftable.Word), for tables
    rules: list = field(default_factory=list)        # short rules drawn right under it: (x0, x1)
    rows: list = field(default_factory=list)         # a mandate list's rows (kind "list": pdflist.ListRow)
    layout: tuple = ()                               # and its columns (pdflist.Band.layout)


def read_pdf(path: Path, data: bytes, digest: str) -> Document:
    """A PDF's segments and text (see the module's docstring)."""
    try:
        import pdfplumber
        from pdfminer.pdfdocument import PDFPasswordIncorrect
    except ImportError:  # pragma: no cover - a declared dependency
        raise InputError("reading a PDF needs pdfplumber (pip install pdfplumber)", str(path)) from None
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise InputError(f"{len(pdf.pages):,} pages: more than a UN document has ({MAX_PAGES:,})", str(path))
            for page in pdf.pages:
                _lean_characters(page)
            first = pdf.pages[0] if pdf.pages else None
            # the masthead's symbol is printed in two sizes ("A" large, "/80/6 (Sect. 16)" smaller), a few points
            # apart: the top band read as one line gives it whole
            masthead = (first.crop((0, 0, float(first.width), float(first.height) * HEAD)).extract_text(y_tolerance=12)
                        if first is not None else "") or ""
            pages = []
            for n, page in enumerate(pdf.pages, 1):
                pages.append(_page_lines(page, n))
                page.close()  # its characters and layout, once read: a 114-page section held 530 MB of them
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many kinds for a damaged file; each is one line here
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc  # pdfplumber wraps pdfminer's
        if isinstance(cause, PDFPasswordIncorrect) or isinstance(exc.__context__, PDFPasswordIncorrect):
            raise InputError("an encrypted PDF: save it without a password first", str(path)) from None
        raise InputError(f"a damaged or unreadable PDF ({cause.__class__.__name__}: {str(cause)[:160]})",
                         str(path)) from None
    body_size = _body_size(pages)
    walk = _Walker()
    margins: list[_Line] = []
    notes: list[tuple[str, _Line]] = []  # (number, first line) and continuation lines as ("", line)
    skipped = 0
    para: list[_Line] = []
    table: list[_Line] = []
    captioned = False  # a table's caption stands above with no numbered paragraph since: its grid is read

    def flush() -> None:
        nonlocal captioned
        if not para:
            return
        text = join_lines([ln.text for ln in para])
        whole_font = para[0].font if all(ln.font == para[0].font for ln in para) else ""
        heading = (whole_font in ("bold", "italic") or para[0].size > body_size * 1.1) and len(text) <= 200
        seg = walk.paragraph(text, "H" if heading else "")
        if TABLE_NO.match(seg.text) or ANNEX.match(seg.text):
            captioned = True  # "Table 16.4", "Annex III": the grid below it is a table's, to be read
        elif seg.kind == "paragraph" and seg.number:
            captioned = False
        seg.page = para[0].page
        seg.notes = list(dict.fromkeys(m for ln in para for m in ln.marks))
        para.clear()

    def flush_table() -> None:
        nonlocal skipped
        if not table:
            return
        found = rows([TableLine(ln.words, ln.top, ln.size, ln.page, ln.rules) for ln in table])
        # a figure's labels, a grid not found, or a list under no table's caption (a mandate list, which LibreOffice
        # prints one character a line): not guessed
        if found is None or not captioned or walk.context.startswith("Figure"):
            skipped += len(table)
        else:
            walk.rows_start()
            for row in found:
                seg = walk.row(row.cells, row.spans)
                if seg is not None:
                    seg.page, seg.raised = row.page, row.raised
        table.clear()

    def flush_list() -> None:
        for r in listed:
            seg = walk.row([r.title] if r.spans else [r.symbol, r.title])
            if seg is not None:
                seg.page, seg.notes = r.page, list(dict.fromkeys(r.marks))
        listed.clear()

    listed: list = []  # a mandate list's rows read so far: the last may go on in the next column or page
    layout: tuple = ()  # the last list's columns (pdflist.Band.layout)
    for lines in pages:
        first_on_page = True
        for ln in lines:
            if ln.kind == "margin":
                margins.append(ln)
                continue
            if ln.kind == "note":
                notes.append((ln.number, ln))
                continue
            if ln.kind == "list":
                flush()
                flush_table()
                if (listed or walk.in_rows) and layout and ln.layout != layout:
                    # a list laid out otherwise, with no heading between: another table (LibreOffice may leave its
                    # heading off the page), never the last list's rows
                    flush_list()
                    walk.rows_start()
                layout = ln.layout
                for r in ln.rows:
                    if r.goes_on and listed and continues(listed[-1], r):
                        listed[-1].join(r)
                    else:
                        listed.append(r)
                continue
            flush_list()
            # a table's line; a unit line over a table ("(Thousands of ...)") is a paragraph before it, as in Word
            if (ln.kind == "table" or ln.size < body_size * SMALL) and (table or not UNIT.match(ln.text)):
                flush()
                table.append(ln)
                continue
            flush_table()
            if para and (ALONE.match(para[-1].text) or ALONE.match(ln.text)
                         or not _continues(para, ln, body_size, first_on_page)):
                flush()
            para.append(ln)
            first_on_page = False
    flush()
    flush_table()
    flush_list()
    for number, text, page in _footnotes(notes):
        walk.footnote(text, number, page)
    for ln in margins:
        walk.margin(ln.text, "page header" if ln.top < 400 else "page footer", ln.page)
    for seg in walk.segments:
        if seg.page and seg.kind != "margin":
            seg.locator = f"{seg.locator}, p. {seg.page}"
    doc = Document(path, digest, walk.builder.text(), walk.segments)
    metadata_from_margins(doc, [" ".join(ln.split()) for ln in masthead.splitlines()] + [ln.text for ln in margins])
    doc.tables_skipped = skipped
    return doc


def _continues(para: list[_Line], ln: _Line, body_size: float, first_on_page: bool) -> bool:
    """Does ``ln`` go on with the paragraph whose lines are ``para``?"""
    text = ln.text
    if BULLET.match(text) or (PARA_NUMBER.match(text) or ONE_LEVEL.match(text) or ITEM_MARK.match(text)) and _hanging(ln):
        return False
    last = para[-1]
    if ln.font != last.font or abs(ln.size - last.size) > 0.5:
        return False  # a heading starts, or ends
    if first_on_page:  # a page break: the paragraph goes on unless it had ended; a heading does not go on
        ended = " ".join(x.text for x in para).rstrip().endswith(TERMINAL) or bool(ln.font)
        return not ended or text[:1].islower()
    return ln.top - last.top <= 1.45 * max(ln.size, body_size)


def _hanging(ln: _Line) -> bool:
    """Does a line open with a paragraph's number or an item's mark standing out from its text, as the document
    prints them ("24.98    As shown", "(b)    Subprogramme 1")? A line that wraps to "24.99 and annex IV" (a
    reference to paragraph 24.99 cut at the line's end) has the space of a word after the number."""
    w = ln.words
    return len(w) < 2 or w[1].x0 - w[0].x1 > ln.size * 0.6


def _footnotes(notes: list[tuple[str, _Line]]) -> list[tuple[str, str, int]]:
    """The footnotes as (number, text, page): a line that starts with a raised number (or an asterisk) starts one,
    the lines after it go on with it."""
    out: list[tuple[str, list[str], int]] = []
    for number, ln in notes:
        if number or ln.text.startswith("*") or not out:
            out.append((number, [ln.text], ln.page))
        else:
            out[-1][1].append(ln.text)
    return [(n, " ".join(" ".join(parts).split()), page) for n, parts, page in out]


def _body_size(pages: list[list[_Line]]) -> float:
    """The body text's size: the size of the lines that open a numbered paragraph (tables, in a smaller size, may
    hold more characters), or the commonest size where no paragraph is numbered."""
    sizes = Counter(ln.size for lines in pages for ln in lines if ln.kind == "body" and PARA_NUMBER.match(ln.text))
    if not sizes:
        sizes = Counter(ln.size for lines in pages for ln in lines if ln.kind == "body" for _ in ln.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _lean_characters(page) -> None:
    """A page of pdfplumber's whose characters are read with only the fields this reader and pdfplumber's own text
    extraction use (text, font, size, place, orientation). pdfplumber resolves every field of every character
    (colours, colour spaces, graphic state): a third of reading a page, for nothing read here. Anything else on the
    page (rules, curves, images, a name given as bytes) goes through pdfplumber's own conversion."""
    from pdfminer.layout import LTChar

    whole = page.process_object
    mb_x0, mb_top = page.mediabox[0], page.mediabox[1]
    height, doctop, number = page.height, page.initial_doctop, page.page_number

    def process(obj):
        if type(obj) is not LTChar or not isinstance(obj.fontname, str):
            return whole(obj)
        top = (height - obj.y1) + mb_top
        return {"text": obj.get_text(), "fontname": obj.fontname, "size": obj.size, "adv": obj.adv,
                "upright": obj.upright, "matrix": obj.matrix, "x0": obj.x0 + mb_x0, "x1": obj.x1 + mb_x0,
                "y0": obj.y0, "y1": obj.y1, "width": obj.width, "height": obj.height, "top": top,
                "bottom": (height - obj.y0) + mb_top, "doctop": doctop + top, "object_type": "char",
                "page_number": number}

    page.process_object = process


def _page_lines(page, number: int) -> list:
    """A page's lines, each with its kind: margin, note (a footnote's line, with its number where it starts one) or
    body (with the footnote marks raised in it)."""
    height, width = float(page.height), float(page.width)
    page = page.filter(lambda o: o.get("object_type") != "char" or o.get("upright", True))  # rotated text: a stamp
    chars = page.chars
    if not chars:
        return []
    sizes = Counter(round(c["size"] * 2) / 2 for c in chars)
    common = sizes.most_common(1)[0][0]
    raised = [c for c in chars if c["size"] < common * RAISED and (c["text"].isdigit() or c["text"] == "*")]
    raised_ids = {id(c) for c in raised}
    flat = [(float(r["x0"]), float(r["x1"]), float(r["top"])) for r in (*page.rects, *page.lines)
            if float(r["bottom"]) - float(r["top"]) <= 2]  # the page's horizontal rules: (x0, x1, top)
    rule = min((top for x0, x1, top in flat if 30 < x1 - x0 < width * 0.4 and top > height * 0.4),
               default=None)  # the short rule above the footnotes
    # a mandate list whose symbol column is printed one character a line: its rows, read apart from the lines
    lists, listed = list_bands([c for c in chars if id(c) not in raised_ids], number, height * HEAD, height * FOOT,
                               _runs(raised))
    rest = page.filter(lambda o: o.get("object_type") != "char" or (id(o) not in raised_ids and id(o) not in listed))
    out = [_Line("", 0.0, band.top, band.bottom, 0.0, "", number, kind="list", rows=band.rows, layout=band.layout)
           for band in lists]
    for ln in rest.extract_text_lines(return_chars=True, strip=True):
        cs = ln["chars"]
        if not ln["text"].strip() or not cs:
            continue
        top, bottom = float(ln["top"]), float(ln["bottom"])
        fonts = {("bold" if "Bold" in c["fontname"] else "italic" if re.search("Italic|Oblique", c["fontname"]) else "")
                 for c in cs if c["text"].strip()}
        size = Counter(round(c["size"] * 2) / 2 for c in cs).most_common(1)[0][0]
        line = _Line(" ".join(ln["text"].split()), float(ln["x0"]), top, bottom, size,
                     fonts.pop() if len(fonts) == 1 else "", number, words=words_of(cs, size))
        if top < height * HEAD or top > height * FOOT:
            line.kind = "margin"
        elif _columns(line.words, line.size):
            line.kind = "table"
        out.append(line)
    out.sort(key=lambda ln: ln.top)
    if number > 1:  # (the first page's head band holds the masthead: its lines are read as margins, for its symbol)
        _body_in_margins(out, common)
    # no rule drawn (a cover page), or a note above it: the footnotes start at the first line low on the page that
    # opens with an asterisk or a raised number, smaller than the page's text or with no numbered paragraph under it
    # (a text printed as it was saved keeps "* E/CN.7/2022/1." in the body's size, paragraphs going on below it)
    def opens_with_number(ln: _Line) -> bool:
        return any(abs(float(c["x0"]) - ln.x0) < 8 and ln.top - 4 <= float(c["top"]) <= ln.bottom for c in raised)

    def paragraphs_below(ln: _Line) -> bool:
        return any(o.kind == "body" and o.top > ln.top and NUMBERED.match(o.text) for o in out)

    opening = next((ln.top - 1 for ln in out if ln.kind == "body" and ln.top > height * 0.6
                    and (re.match(r"\*+ ", ln.text) or ln.size < common and opens_with_number(ln))
                    and (ln.size < common or not paragraphs_below(ln))), None)
    if opening is not None and (rule is None or opening < rule):
        rule = opening
    for ln in out:
        if ln.kind == "body" and rule is not None and ln.top > rule:
            ln.kind = "note"
    # a table's cells stand in lines of a word or two, offset from each other: after a line across its columns, every
    # line goes on with the table until a paragraph number, a structural heading or a blank line
    in_table, last_top = False, 0.0
    for ln in sorted((ln for ln in out if ln.kind in ("body", "table")), key=lambda ln: ln.top):
        if ln.kind == "table":
            in_table = True
        elif in_table and (ln.top - last_top > 1.8 * ln.size or PARA_NUMBER.match(ln.text) or ALONE.match(ln.text)):
            in_table = False
        elif in_table:
            ln.kind = "table"
        last_top = ln.top
    # raised digits: a footnote's number where they open a line under the rule, a mark in the body line they stand in
    for group in _runs([c for c in raised if id(c) not in listed]):
        digits = "".join(c["text"] for c in group)
        x0, top = float(group[0]["x0"]), float(group[0]["top"])
        host = min((ln for ln in out if ln.kind != "margin" and ln.top - 4 <= top <= ln.bottom),
                   key=lambda ln: abs(ln.top - top), default=None)
        if host is None or not digits.isdigit():
            continue
        if host.kind == "note" and x0 <= host.x0 + 1:
            host.number = digits
        elif host.kind == "body":
            host.marks.append(digits)
    # the short rules drawn right under a line (a table's heading over the columns it spans), for the table reader
    short = [(x0, x1, top) for x0, x1, top in flat if 20 < x1 - x0 < width * 0.7]
    for ln in out:
        ln.rules = [(a, b) for a, b, top in short if ln.bottom <= top <= ln.bottom + ln.size * 1.2]
    notes = sorted((ln for ln in out if ln.kind == "note"), key=lambda ln: ln.top)
    if notes and not (notes[0].number or notes[0].text.startswith("*")):
        for ln in notes:  # the rule opens no footnote (a table's or a figure's rule): its lines are the page's body
            ln.kind = "body"
    return out


PITCH = 1.45  # the most a paragraph's next line stands below its last, in sizes of the text (see _continues)
# what a running head or foot prints: a page number ("3/114", "- 3 -", "Page 3"), a job number, a symbol, a date
RUNNING = re.compile(r"^(?:[-\u2013 ]*\d+(?:/\d+)?[-\u2013 ]*|Page \d+(?: of \d+)?|\d{2}-\d{5}\b.*|.*\b\d{1,2} [A-Z][a-z]+ \d{4})$")


def _body_in_margins(lines: list[_Line], common: float) -> None:
    """The lines in a page's bands for running heads and feet that are the body's, where a page was printed with
    narrow margins (a text file printed as it was saved starts a page's text in the head's band, a paragraph going on
    from the page before). Such a line is in the body's size (``common``, the page's), as wide as half the widest
    line of the page at least, prints nothing a running head or foot does (a page number, a job number, a symbol, a
    date), and stands as near the body's first (or last) line as a paragraph's next line, or the one after a blank
    line; the lines between are the body's too. A running head stands apart: the UN's, in a smaller size, by three
    times it. ``lines``: sorted top to bottom."""
    inner = [ln for ln in lines if ln.kind != "margin"]
    if not inner:
        return
    widest = max(_width(ln) for ln in inner)
    for band, neighbour in (([ln for ln in lines if ln.kind == "margin" and ln.top < inner[0].top][::-1], inner[0]),
                            ([ln for ln in lines if ln.kind == "margin" and ln.top > inner[-1].top], inner[-1])):
        for ln in band:  # outwards from the body: a line is the body's where the one it touches is
            if (abs(ln.size - common) > 0.5 or abs(ln.top - neighbour.top) > 2 * PITCH * ln.size
                    or _width(ln) < widest / 2 or RUNNING.match(ln.text) or SYMBOL.fullmatch(ln.text)):
                break
            ln.kind = "table" if _columns(ln.words, ln.size) else "body"
            neighbour = ln


def _width(ln: _Line) -> float:
    """How wide a line is printed, from its first word to its last."""
    return (ln.words[-1].x1 - ln.words[0].x0) if ln.words else 0.0


def _columns(words: list, size: float) -> bool:
    """Does a line run across the columns of a table? Its spaces between words (``pdftable.words_of``'s words, apart
    by more than a fifth of the size), past the first (a paragraph's number, a list mark or a bullet hangs out by a
    wide one), are of two kinds: the words' own and, more than an em and three times those, the gaps between cells;
    or one gap wider than two and a half ems. A justified line's spaces are all stretched alike, and never so far."""
    gaps = [b.x0 - a.x1 for a, b in zip(words, words[1:], strict=False) if b.x0 - a.x1 > size * 0.2]
    gaps = sorted(gaps[1:])
    if gaps and gaps[-1] > 2.5 * size:  # wider than any justified line stretches a space: a figure's labels, cells
        return True
    return len(gaps) >= 2 and gaps[-1] > size and gaps[-1] > 3 * gaps[len(gaps) // 2]


def _runs(chars: list) -> list[list]:
    """Raised characters side by side (a two-digit number is two characters) as runs."""
    runs: list[list] = []
    for c in sorted(chars, key=lambda c: (round(float(c["top"])), float(c["x0"]))):
        if runs and abs(float(runs[-1][-1]["top"]) - float(c["top"])) < 1 and \
                float(c["x0"]) - float(runs[-1][-1]["x1"]) < 1.5:
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs
