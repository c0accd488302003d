"""Read a UN document into its text and its segments, each with a locator a reader can follow.

A ``.docx`` is a zip of XML (ECMA-376): the body's paragraphs and tables are read in order
from ``word/document.xml``, footnotes from ``word/footnotes.xml``, and the document's
symbol, date and job number from its page headers and footers, where the UN prints them.
A ``.txt`` is read as Word saves one (a paragraph a line, table cells separated by tabs) or as
hard-wrapped paragraphs separated by blank lines. Nothing is fetched; the XML
parser resolves no external entity, and the archive's members are size-capped.

The document's *text* is what quotes are checked against: every segment's text stands in
it at ``[start, end)``, and the same text is written to ``data/sources/`` beside the data.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from drugpolicy_kg.errors import InputError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_MEMBER = 64 * 1024 * 1024  # bytes of one uncompressed XML part: a zip bomb stops here
MAX_PARTS = 192 * 1024 * 1024  # bytes of all the parts read, uncompressed: a bomb of many parts stops here too
MAX_DOCUMENT = 256 * 1024 * 1024  # bytes of the file itself (the UN's longest budget sections are a few MB)
PARA_NUMBER = re.compile(r"^(\d{1,3}\.\d{1,3})\s*(?=\S)")        # 16.28
# a paragraph numbered in one level, as a report, a conference room paper, a resolution's operative part or a budget
# section's annex numbers them: "5. No inter-agency mechanism ..." (a heading so numbered is read as a heading first)
ONE_LEVEL = re.compile(r"^(\d{1,3})\.\s+(?=\S)")
ANNEX = re.compile(r"^Annex(?: [IVXLC]{1,7}| \d{1,2}| [A-Z])?$")  # "Annex IV": the paragraphs below are numbered anew
# a paragraph's number or an item's mark, then a tab, then its text (no other tab): Word saves a hanging number so
# ("1.\tRequests ..."); a paragraph, not a table's row of two cells
NUMBER_TAB = re.compile(r"^(?:\d{1,3}\.(?:\d{1,3})?|\((?:[a-z]{1,4}|[ivx]{1,6}|\d{1,2})\))\t[^\t]+$")
NUMBERED = re.compile(r"\d{1,3}\.(?:\d{1,3})?\s+\S")  # a numbered paragraph's opening: "5. No ...", "16.28 The ..."
ITEM_MARK = re.compile(r"^\(([a-z]{1,4}|[ivx]{1,6}|\d{1,2})\)\s*(?=\S)")  # (a), (iv), (1)
BULLET = re.compile(r"^[•\u2022\u25cf\-–]\s*")
# A UN document symbol: never ends with a full stop ("see A/80/50."), and may carry addenda, revisions and
# corrigenda ("A/80/6/Add.1", "ST/AI/189/Add.9/Rev.2") or a budget section ("A/80/6 (Sect. 16)").
# Every repetition is bounded (at most 8 parts of 24 characters; the UN's longest symbols have 5 or 6), so a text of
# "A/A/A/..." costs linear time, not quadratic.
SYMBOL = re.compile(r"\b[A-Z]{1,6}/(?:[A-Z0-9.\-]{1,24}/){0,8}[A-Z0-9.\-]{0,24}\d(?:[A-Z0-9.\-]{0,24}[A-Z0-9])?"
                    r"(?:/(?:Add|Rev|Corr|Amend|Sup)\.\d{1,4}){0,4}(?: \((?:Sect|Part)\. [0-9A-Z]{1,6}\))?")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # as UN documents print dates ("10 April 2025"); the quote checks use them too
DATE = re.compile(rf"\b(\d{{1,2}}) ({'|'.join(MONTHS)}) (\d{{4}})\b")
JOB = re.compile(r"\b(\d{2}-\d{5})\b")


@dataclass
class Segment:
    """One paragraph, list item, heading, table row or footnote of a document."""

    kind: str                 # heading | paragraph | item | row | footnote | margin (a page header or footer line)
    text: str                 # as it stands in Document.text
    start: int
    end: int
    locator: str              # "para. 16.28", "para. 16.10, General Assembly resolutions, row 3"
    number: str = ""          # the document's own number: 16.28, (a), a footnote's number
    style: str = ""           # the Word paragraph style, where there is one (H1, H23 ...)
    cells: list[str] = field(default_factory=list)  # a table row's cells
    spans: list[int] = field(default_factory=list)  # the grid columns each cell spans (Word's gridSpan); [] = one each
    table: int = 0            # which table of the document a row belongs to (1, 2 ...; 0 = not a row)
    notes: list[str] = field(default_factory=list)  # the footnotes whose marks stand in it (Word's footnoteReference ids)
    page: int = 0             # the page it starts on, where the file has pages (a PDF); 0 = not known
    # a table row's superscript runs, per cell: (start, end) in the cell's text ("641a": [(3, 4)]); [] = none known
    raised: list[list[tuple[int, int]]] = field(default_factory=list)


@dataclass
class Document:
    path: Path
    sha256: str
    text: str
    segments: list[Segment]
    symbol: str = ""
    date: str = ""            # ISO 8601, as the document prints it (10 April 2025 -> 2025-04-10)
    title: str = ""
    job_number: str = ""
    tables_skipped: int = 0   # lines of tables and figures a PDF's reading left out (a page keeps no table grid)
    _folded: tuple[str, str] | None = field(default=None, repr=False, compare=False)

    def footnotes_of(self, seg: Segment) -> list[Segment]:
        """The footnotes whose marks stand in ``seg``, in the order of the marks (a .txt has no marks: none)."""
        if not seg.notes:
            return []
        by_number = {s.number: s for s in self.segments if s.kind == "footnote"}
        return [by_number[n] for n in seg.notes if n in by_number]

    def quote_ok(self, quote: str) -> bool:
        """Does ``quote`` stand verbatim in the text (white space folded, as the quote check does)?"""
        from drugpolicy_kg.checks.quotes import normalise

        if self._folded is None or self._folded[0] is not self.text:  # folded once per text, not once per quote
            self._folded = (self.text, normalise(self.text))
        return normalise(quote) in self._folded[1]


def read_document(path: Path) -> Document:
    """Read a .docx, .pdf or .txt UN document.

    >>> doc = read_document(Path(__file__).resolve().parents[3] / "data" / "sources" / "isn-brochure.txt")
    >>> doc.segments[0].kind, len(doc.text) > 1000
    ('paragraph', True)
    """
    from drugpolicy_kg.atomic import read_regular

    path = Path(path)
    data = read_regular(path, "document", MAX_DOCUMENT)
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return _read_docx(path, data, digest)
    if suffix == ".txt":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text (byte {exc.start}); convert it to UTF-8 first", str(path)) from None
        from drugpolicy_kg.tables import first_control

        at = first_control(text)
        if at >= 0:
            raise InputError(f"holds a control character (U+{ord(text[at]):04X} at character {at}) that a text document "
                             "never does: a binary file, or text saved as UTF-16 (save it as UTF-8)", str(path))
        return _read_text(path, text, digest)
    if suffix == ".pdf":
        from drugpolicy_kg.sources.pdf import read_pdf

        return read_pdf(path, data, digest)
    raise InputError(f"unknown document type {suffix or '(no extension)'}; ingest reads .docx, .pdf and .txt", str(path))


# ------------------------------------------------------------------------ .txt --

def _read_text(path: Path, text: str, digest: str) -> Document:
    """Plain text as the UN's documents are saved to it (Word's "plain text": one paragraph a line, table cells
    separated by tabs) or as typed (paragraphs hard-wrapped, separated by blank lines): a block of short lines with
    no tab, number or bullet of its own is one wrapped paragraph; any other line is a segment of its own."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    walk = _Walker()
    for block in re.split(r"\n[ \t\f\v]*\n", text):
        lines = [ln.rstrip() for ln in block.split("\n") if ln.strip()]
        if not lines:
            continue
        own_lines = len(lines) == 1 or any("\t" in ln or len(ln) > 100 for ln in lines) or all(
            PARA_NUMBER.match(ln.strip()) or ITEM_MARK.match(ln.strip()) or BULLET.match(ln.strip()) for ln in lines[1:])
        if not own_lines:
            walk.paragraph(" ".join(" ".join(lines).split()))
            continue
        for ln in lines:
            if "\t" in ln.strip() and not NUMBER_TAB.match(ln.strip()):
                walk.row([" ".join(c.split()) for c in ln.strip().split("\t")])
            else:
                walk.paragraph(" ".join(ln.split()))
    doc = Document(path, digest, walk.builder.text(), walk.segments)
    _metadata_from_text(doc)
    return doc


# ------------------------------------------------------------------------ .docx --

def _xml(zf: zipfile.ZipFile, name: str):
    import xml.etree.ElementTree as ET

    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_MEMBER:
        raise InputError(f"{name} is {info.file_size} bytes uncompressed: larger than a document part can be")
    with zf.open(info) as fh:
        raw = fh.read(MAX_MEMBER + 1)
    # Word writes its parts in UTF-8: another encoding (UTF-16 with or without its mark, or one a declaration names)
    # is refused first, so that the byte check below reads the text the parser will read
    declared = re.match(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)""", raw.lstrip(b"\xef\xbb\xbf"))
    if (raw.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")) or b"\x00" in raw[:200]
            or (declared and declared.group(1).lower() not in (b"utf-8", b"utf8"))):
        raise InputError(f"{name} is not UTF-8, which a Word document always is; refused")
    # anywhere, not only at the start: comments may stand before a DOCTYPE, and Word escapes "<" in text
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise InputError(f"{name} declares a DTD or entities, which a Word document never does; refused")
    try:
        return ET.fromstring(raw)  # noqa: S314 - no DTD (checked above), so no entity expansion
    except ET.ParseError as exc:
        raise InputError(f"{name} is not well-formed XML: {exc}") from None


RAISED_OPEN, RAISED_CLOSE = "\ue000", "\ue001"  # around a superscript run's text, while a cell's raised spans are found


def _para_text(p, raised: bool = False) -> str:
    """A paragraph's visible text: runs' text, tabs and breaks as spaces; field codes left out. ``raised``: each
    superscript run's text between RAISED_OPEN and RAISED_CLOSE (see :func:`_cell_text`)."""
    if raised:
        out = []
        for r in p.iter(W + "r"):
            align = r.find(f"{W}rPr/{W}vertAlign")
            parts = []
            for el in r:
                if el.tag == W + "t":
                    parts.append((el.text or "").replace(RAISED_OPEN, "").replace(RAISED_CLOSE, ""))
                elif el.tag in (W + "tab", W + "br", W + "cr"):
                    parts.append(" ")
                elif el.tag == W + "noBreakHyphen":
                    parts.append("-")
            text = "".join(parts)
            core = text.strip()
            if core and align is not None and align.get(W + "val") == "superscript":  # spaces stay outside the marks
                lead, trail = text[:len(text) - len(text.lstrip())], text[len(text.rstrip()):]
                text = lead + RAISED_OPEN + core + RAISED_CLOSE + trail
            out.append(text)
        return " ".join("".join(out).split())
    out = []
    for el in p.iter():
        tag = el.tag
        if tag == W + "t":
            out.append(el.text or "")
        elif tag in (W + "tab", W + "br", W + "cr"):
            out.append(" ")
        elif tag == W + "noBreakHyphen":
            out.append("-")
    return " ".join("".join(out).split())


def _cell_text(tc) -> tuple[str, list[tuple[int, int]]]:
    """A table cell's text, and where in it the superscript runs stand ("projectsa", its "a" raised: the note mark at
    [8, 9)); no spans where the two readings of the cell would differ (the text is the plain reading's, always)."""
    paras = list(tc.iter(W + "p"))
    text = " ".join(" ".join(_para_text(p) for p in paras).split())
    marked = " ".join(" ".join(_para_text(p, raised=True) for p in paras).split())
    if RAISED_OPEN not in marked:
        return text, []
    plain, spans, start = [], [], 0
    for ch in marked:
        if ch == RAISED_OPEN:
            start = len(plain)
        elif ch == RAISED_CLOSE:
            spans.append((start, len(plain)))
        else:
            plain.append(ch)
    return (text, spans) if "".join(plain) == text else (text, [])


def _note_marks(el) -> list[str]:
    """The ids of the footnotes marked in a paragraph or table row, each once, in order."""
    return list(dict.fromkeys(fr.get(W + "id", "") for fr in el.iter(W + "footnoteReference") if fr.get(W + "id")))


def _grid_span(tc) -> int:
    """How many grid columns a table cell spans (``w:gridSpan``; 1 where none is given or the value is not a number)."""
    gs = tc.find(f"{W}tcPr/{W}gridSpan")
    val = gs.get(W + "val", "1") if gs is not None else "1"
    return max(1, min(int(val), 64)) if val.isdecimal() else 1  # (isdigit passes "²", which int() refuses)


def _style(p) -> str:
    ps = p.find(f"{W}pPr/{W}pStyle")
    return ps.get(W + "val", "") if ps is not None else ""


def _read_docx(path: Path, data: bytes, digest: str) -> Document:
    import io

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError("not a Word document (.docx is a zip archive; this is not one)", str(path)) from None
    with zf:
        try:
            names = set(zf.namelist())
            header_names = sorted(n for n in names if re.fullmatch(r"word/(header|footer)\d*\.xml", n))
            parts = [zf.getinfo(n) for n in ["word/document.xml", "word/footnotes.xml", *header_names] if n in names]
            total = sum(i.file_size for i in parts)
            if total > MAX_PARTS:
                raise InputError(f"its {len(parts)} parts are {total:,} bytes uncompressed: larger than a document can be")
            root = _xml(zf, "word/document.xml")
            if root is None:
                raise InputError("no word/document.xml: not a Word document")
            headers = [_xml(zf, n) for n in header_names]
            notes = _xml(zf, "word/footnotes.xml")
        except InputError as exc:
            raise InputError(exc.message, str(path)) from None
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
            # a damaged archive (bad CRC, truncated, "invalid distance"), an encrypted part or an unknown compression
            # method: the archive's own words, in one line
            raise InputError(f"a damaged or unreadable Word document ({exc.__class__.__name__}: {str(exc)[:160]})",
                             str(path)) from None
    body = root.find(W + "body")
    walk = _Walker()
    builder, segments = walk.builder, walk.segments
    for el in list(body) if body is not None else []:
        if el.tag == W + "p":
            text = _para_text(el)
            if text:
                walk.paragraph(text, _style(el)).notes = _note_marks(el)
        elif el.tag == W + "tbl":
            walk.rows_start()
            for tr in el.iter(W + "tr"):
                tcs = list(tr.iter(W + "tc"))
                cells = [_cell_text(tc) for tc in tcs]
                seg = walk.row([text for text, _ in cells], [_grid_span(tc) for tc in tcs])
                if seg is not None:
                    seg.notes = _note_marks(tr)
                    seg.raised = [spans for _, spans in cells] if any(spans for _, spans in cells) else []
    if notes is not None:
        for fn in notes.iter(W + "footnote"):
            fid = fn.get(W + "id", "")
            if fid.startswith("-") or fid in ("0",):
                continue
            text = " ".join(_para_text(p) for p in fn.iter(W + "p")).strip()
            if text:
                walk.footnote(text, fid)
    for name, part_xml in zip(header_names, headers, strict=True):  # the page headers and footers, after the body
        if part_xml is None:
            continue
        where = "page header" if "header" in name else "page footer"
        for p in part_xml.iter(W + "p"):
            walk.margin(_para_text(p).strip(), where)
    doc = Document(path, digest, builder.text(), segments)
    metadata_from_margins(doc, [_para_text(p) for h in headers if h is not None for p in h.iter(W + "p")])
    return doc


# ------------------------------------------------------------------------ shared --

class _Walker:
    """Segments in reading order, with what a locator needs: the heading, subprogramme and numbered paragraph above."""

    def __init__(self):
        self.builder = _Builder()
        self.segments: list[Segment] = []
        self.context = ""     # the nearest heading above, for locators of rows and unnumbered paragraphs
        self.part = ""        # the subprogramme (or component) heading above, where there is one
        self.last_para = ""   # where the nearest numbered paragraph above is: "para. 16.28", "Annex IV, para. 1"
        self.annex = ""       # the annex heading above ("Annex IV"), where there is one
        self.row_no = 0       # rows of the current table
        self.table_no = 0     # tables so far
        self.in_rows = False  # the last segment was a row (a .txt's tables are runs of rows)
        self.margins_seen: set[str] = set()

    def paragraph(self, text: str, style: str = "") -> Segment:
        seg = self.builder.add(text, "paragraph")
        seg.style = style
        _classify(seg, self.context, self.last_para, self.annex)
        if seg.kind == "heading":
            self.context = seg.text
            if ANNEX.match(seg.text):
                self.annex = seg.text
            if re.match(r"^Subprogramme \d+", seg.text):
                self.part = seg.text
            elif seg.text in ("Legislative mandates", "Programme of work", "Deliverables", "Evaluation activities"):
                self.part = ""
        elif seg.kind == "paragraph" and seg.number:
            self.last_para = seg.locator
        self.row_no = 0
        self.in_rows = False
        self.segments.append(seg)
        return seg

    def footnote(self, text: str, number: str, page: int = 0) -> Segment:
        seg = self.builder.add(text, "footnote")
        seg.number, seg.locator, seg.page = number, f"footnote {number}" if number else "footnote", page
        self.segments.append(seg)
        return seg

    def margin(self, text: str, where: str, page: int = 0) -> Segment | None:
        """A running head or foot, each line once, after the body (the body's offsets stay as they are)."""
        if not text or text in self.margins_seen:
            return None
        self.margins_seen.add(text)
        seg = self.builder.add(text, "margin")
        seg.locator, seg.page = where, page
        self.segments.append(seg)
        return seg

    def rows_start(self) -> None:
        self.row_no = 0
        self.table_no += 1
        self.in_rows = True

    def row(self, cells: list[str], spans: list[int] | None = None) -> Segment | None:
        if not any(cells):
            return None
        if not self.in_rows:  # a .txt: a row after other text starts a table
            self.rows_start()
        self.row_no += 1
        seg = self.builder.add("\t".join(c for c in cells if c), "row")
        seg.cells, seg.number, seg.table = cells, str(self.row_no), self.table_no
        seg.spans = list(spans) if spans and any(n > 1 for n in spans) else []
        where = ", ".join(x for x in (self.last_para,
                                      self.part if self.part != self.context else "", self.context) if x)
        seg.locator = f"{where}, row {self.row_no}" if where else f"table row {self.row_no}"
        self.segments.append(seg)
        return seg


class _Builder:
    """Joins segment texts with newlines and keeps each segment's offsets."""

    def __init__(self):
        self.parts: list[str] = []
        self.offset = 0

    def add(self, text: str, kind: str) -> Segment:
        seg = Segment(kind, text, self.offset, self.offset + len(text), "")
        self.parts.append(text)
        self.offset += len(text) + 1
        return seg

    def text(self) -> str:
        return "\n".join(self.parts) + "\n"


STRUCTURAL = re.compile(r"^(Legislative mandates|Deliverables|Objective|Strategy|Programme of work|Evaluation activities|"
                        r"Overall orientation|Programme performance in 2024|Planned results for 2026|"
                        r"Subprogramme \d+.*|Component \d+.*|Conventions and protocols|Conventions|"
                        r".{3,120} (resolutions|decisions|resolutions and decisions|statements and declarations)|"
                        r"(?:[A-Z]|[IVX]{1,5})\. [A-Z][^.]{2,150}|Annex [IVX]{1,5})$")  # "B. Proposed post ...", "II. ...", "Annex I"


def _classify(seg: Segment, context: str, last_para: str = "", annex: str = "") -> None:
    """Kind, number and locator of a paragraph: heading, numbered paragraph, list item or plain paragraph.
    (``last_para``: the locator of the numbered paragraph above; ``annex``: the annex heading above.)

    >>> seg = Segment("paragraph", "5. No inter-agency mechanism exists.", 0, 36, "")
    >>> _classify(seg, "I. Background"); seg.kind, seg.number, seg.locator
    ('paragraph', '5', 'para. 5')
    >>> _classify(seg, "I. Background", "Annex IV, para. 4", "Annex IV"); seg.locator
    'Annex IV, para. 5'
    """
    text = seg.text
    m = PARA_NUMBER.match(text)
    if m:
        seg.kind, seg.number, seg.locator = "paragraph", m.group(1), f"para. {m.group(1)}"
        return
    m = ITEM_MARK.match(text)
    if m:
        seg.kind, seg.number = "item", f"({m.group(1)})"
        seg.locator = f"{last_para} {seg.number}" if last_para else f"{context}, item {seg.number}"
        return
    if (seg.style.startswith("H") and len(text) <= 200) or (STRUCTURAL.match(text) and len(text) <= 200):
        seg.kind, seg.locator = "heading", f"heading \u201c{text}\u201d"
        return
    m = ONE_LEVEL.match(text)
    if m:
        seg.kind, seg.number = "paragraph", m.group(1)
        seg.locator = ", ".join(x for x in (annex, f"para. {m.group(1)}") if x)
        return
    if BULLET.match(text):
        seg.kind = "item"
    where = f"after {last_para}" if last_para else ""
    if context and where.startswith(f"after {context},"):  # "after Annex II, para. 1": the annex said once
        context = ""
    seg.locator = ", ".join(x for x in (where, context) if x) or "opening text"


def _iso(m: re.Match) -> str:
    """The masthead's date as xsd:date, or "" for a date no calendar has ("31 February 2025"): a document's date is
    left out rather than written ill-typed, which would fail every fact of the document at review.

    >>> _iso(DATE.search("31 February 2025")), _iso(DATE.search("29 February 2024"))
    ('', '2024-02-29')
    """
    import datetime

    months = list(MONTHS)
    year, month, day = int(m.group(3)), months.index(m.group(2)) + 1, int(m.group(1))
    try:
        datetime.date(year, month, day)
    except ValueError:
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


MASTHEAD_NOTE = re.compile(r"(?:Distr\.|Original\b|Language\b).*|(?:(?:Arabic|Chinese|English|French|Russian|Spanish)"
                           r"(?:,? (?:and )?(?:Arabic|Chinese|English|French|Russian|Spanish))* only)|"
                           r"General|Limited|Restricted")  # "Distr.: General", "English only"
NOTE_MARK = re.compile(r"^(?:\*|\d{1,3}\s|[\u00b9\u00b2\u00b3\u2070-\u2079])")  # a footnote's mark: "* E/CN.7/2022/1."


def own_symbol(lines: list[str]) -> str:
    """The document's own symbol among masthead or running-head ``lines``: the first that stands at a line's start or
    end, as a masthead prints it ("United Nations   A/80/6 (Sect. 16)", "E/CN.7/2022/CRP.3"). Never a symbol inside a
    sentence or a footnote: a conference room paper's "* E/CN.7/2022/1." is the provisional agenda it cites, not
    its own symbol (which its saved text may not print at all: then none).

    >>> own_symbol(["United Nations A/80/6 (Sect. 16)", "Distr.: General"])
    'A/80/6 (Sect. 16)'
    >>> own_symbol(["* E/CN.7/2022/1.", "1 OP18, Resolution 64/3 ..., E/2021/28, E/CN.7/2021/10."])
    ''
    """
    for line in lines:
        text = line.strip()
        if NOTE_MARK.match(text):
            continue
        for m in SYMBOL.finditer(text):
            if m.start() == 0 or m.end() == len(text):
                return m.group(0)
    return ""


def metadata_from_margins(doc: Document, margins: list[str]) -> None:
    """Symbol, date and job number from the running heads and feet and the masthead (``margins``, their lines), then
    from the opening text for what they do not give."""
    doc.symbol = own_symbol(margins)
    joined = " ".join(margins)
    d = DATE.search(joined)
    doc.date = _iso(d) if d else ""
    j = JOB.search(joined)
    doc.job_number = j.group(1) if j else ""
    _metadata_from_text(doc)


def _metadata_from_text(doc: Document) -> None:
    """Symbol, date and title from the opening text where the headers did not give them: from the lines before the
    first numbered paragraph (the cover, the masthead), never from a sentence or a footnote, and from a line at either
    end that is nothing but a symbol or a date (a saved .txt keeps the running heads at the end, a typed one the
    masthead at the top). A document that prints neither gets none: a date or a symbol a sentence cites (the
    meeting's, the agenda's) is not the document's."""
    masthead: list[Segment] = []
    for s in doc.segments[:40]:
        if s.kind == "paragraph" and NUMBERED.match(s.text):  # "1. This ...", "16.1 The ..."
            break
        if s.kind in ("margin", "paragraph", "heading", "row"):  # (a masthead is often a table's row)
            masthead.append(s)
    edges = [s for s in (*doc.segments[:40], *doc.segments[-40:]) if s.kind in ("margin", "paragraph", "heading")]
    if not doc.symbol:
        alone = next((s.text for s in edges if SYMBOL.fullmatch(s.text.strip())), "")
        doc.symbol = alone.strip() or own_symbol([c for s in masthead for c in (s.cells if s.kind == "row" else [s.text])])
    if not doc.date:
        alone = next((DATE.fullmatch(s.text.strip()) for s in edges if DATE.fullmatch(s.text.strip())), None)
        issued = next((m for s in masthead for c in (s.cells if s.kind == "row" else [s.text])
                       if (m := re.fullmatch(rf"Distr\.: \w+,? ?{DATE.pattern}", c.strip()))),
                      None)  # "Distr.: General 10 April 2025" on one line
        d = alone or (DATE.search(issued.group(0)) if issued else None)
        doc.date = _iso(d) if d else ""
    # the title as the cover gives it: "Proposed programme budget for 2026, Section 16: International drug control ..."
    cover = [s for s in doc.segments[:40] if s.kind != "row"]
    budget = next((s.text for s in cover if re.fullmatch(r"Proposed programme budget for \d{4}", s.text)), "")
    for i, s in enumerate(cover):
        if re.fullmatch(r"Section \d+[A-Z]?", s.text) and i + 1 < len(cover):
            doc.title = ", ".join(x for x in (budget, f"{s.text}: {cover[i + 1].text}") if x)
            return
    named = [s for s in cover if not (SYMBOL.fullmatch(s.text.strip()) or DATE.fullmatch(s.text.strip())
                                      or MASTHEAD_NOTE.fullmatch(s.text.strip()))]
    if named:  # the first line that is not the masthead's bare date, symbol, distribution or language
        doc.title = named[0].text[:200]
