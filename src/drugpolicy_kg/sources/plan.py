"""Candidate facts from a programme plan: what a subprogramme will do, what it delivers, what it costs.

A section of the UN's proposed programme budget (A/80/6 and its siblings) states, per subprogramme
(and component, or lettered part):

- its **strategy**: "To contribute to the objective, the subprogramme will:" and a lettered list,
  items (a), (b) ... with sub-items (i), (ii) ...; "The above-mentioned work is expected to result
  in:" and its list (or one sentence);
- its **planned results** ("Result 1: ...") and the titles of their **performance measures**;
- its **deliverables** table ("Subprogramme 2: deliverables for the period 2024–2026, by category
  and subcategory"): categories (A. ...), subcategories with their unit ("Parliamentary
  documentation (number of documents)") and numbered items, each with a figure per column
  ("2024 planned", "2024 actual" ...);
- its **resources**: tables in thousands of US$, US$ or posts, by object of expenditure, source of
  funding, component and subprogramme, or resolution ("Requirements to implement new mandates");
- the **amounts tied to new mandates** in the explanation of variances ("$144,700 ... pursuant to
  General Assembly resolution 79/234").

Every figure is read as printed: "–" is no figure (never 0), "(1 277.6)" is negative, and a figure
that is not a number as printed ("2.679.6") is kept as printed with a note, never corrected. Tables
are read on Word's grid (a header cell spanning columns names each of them), so two-row headers
("Changes" over "Technical adjustments", "New/expanded mandates" ...) give each column its full name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from drugpolicy_kg.sources.reader import Document, Segment

TABLE_NO = re.compile(r"^Table (?P<no>[0-9]{1,3}[A-Z]?\.[0-9]{1,3}[A-Z]?)$")  # "Table 16.4", "Table 24.27"
# an annex's heading: the table under it has no number of its own ("Annex III", "Overall summary of financial and post
# resources"), and is named by the annex
ANNEX = re.compile(r"^Annex (?P<no>[IVXL]{1,6})$")
# a section's part, where a section holds several entities' budgets: "I. Office of the United Nations High Commissioner
# for Human Rights", "III. Independent Institution on Missing Persons in the Syrian Arab Republic" (Sect. 24)
PART = re.compile(r"^(?P<no>[IVX]{1,4})\. (?P<name>[A-Z]\S*(?: \S+){1,30})$")
TABLE_NOTE = re.compile(r"^(?P<mark>[a-z]) (?P<text>\S.{0,2000})$")  # under a table: "a Includes 33 temporary posts."
NOTE_MARK = re.compile(r"^[a-z](?:,[a-z]){0,5}$")  # a raised "a", "a,b": the marks of a table's notes
DELIVERABLES_TITLE = re.compile(r"^(?P<scope>.{3,200}?): deliverables for the period (?:of )?(?P<period>\d{4}[–-]\d{4})"
                                r"(?:, by category and subcategory)?$")
STATUS_WORDS = ("planned", "actual", "approved", "estimate", "proposed", "expenditure")


def _breakable(word: str) -> str:
    """A pattern of the word as a narrow cell may print it, broken by a line's end without a hyphen ("planne" above
    "d": read back as "planne d")."""
    return " ?".join(map(re.escape, word))


# a figure's status as a heading prints it, the word whole or broken (the printed words are kept: dpo:statedAs)
STATUS = re.compile(r"\b(?P<status>" + "|".join(map(_breakable, STATUS_WORDS)) + r")\b", re.I)
# a deliverables table's figure column: "2024 actual" (or "2025 planne d" where the print broke the word)
PERIOD_HEAD = re.compile(r"^\d{4} (?:" + _breakable("planned") + "|" + _breakable("actual") + ")$")
CROSS_CUTTING = re.compile(r"^Cross-cutting deliverables for the period")
UNIT_LINE = re.compile(r"^\((?P<unit>[A-Z][A-Za-z /,.-]{3,80})\)$")  # "(Thousands of United States dollars)"
SUBTABLE = re.compile(r"^\((?P<no>\d{1,2})\) (?P<name>[A-Z][^.]{2,80})$")  # "(1) Regular budget"
# "B. Generation and transfer of knowledge"; a print may set the name against its letter ("B.Generation ...")
CATEGORY = re.compile(r"^(?P<letter>[A-H])\.(?: |(?=[A-Z][a-z]))(?P<name>[A-Z].{2,150})$")
NUMBERED = re.compile(r"^(?P<no>\d{1,3})\. (?P<text>\S.*)$")
SUBCATEGORY_UNIT = re.compile(r"^(?P<name>.+?)\s*\((?P<unit>(?:number|value|amount|total) of [^()]{2,80})\)$")
FIGURE = re.compile(r"^(?P<neg>\()?(?P<num>[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})*(?:\.[0-9]+)?)(?(neg)\))$")
NUMERIC_LOOKING = re.compile(r"^\(?[0-9][0-9 .,\u00a0\u202f]*\)?$")  # a figure, perhaps misprinted ("2.679.6")
NO_FIGURE = {"–", "-", "—", "..", "…"}
STRATEGY_LEAD = re.compile(r"To contribute to the objective,? the (?P<who>subprogramme|component|programme|office|Office|"
                           r"[A-Za-z ]{3,60}) will(?: [^:]{0,200})?:$")
STRATEGY_INLINE = re.compile(r"To contribute to the objective,? the (?:subprogramme|component|programme) will (?P<text>[a-z][^:]+\.)$")
RESULTS_LEAD = re.compile(r"The above-mentioned work is expected to result in:?$")
RESULTS_INLINE = re.compile(r"The above-mentioned work is expected to result in (?P<text>[^:]+?\.)$")
RESULT = re.compile(r"^Result (?P<no>\d{1,2}): (?P<title>\S.{2,400})$")
MEASURE = re.compile(r"^Performance measure: (?P<title>\S.{2,400})$")
ROMAN = re.compile(r"^\((?P<r>i{1,3}|iv|v|vi{1,3}|ix|x|xi{1,3})\)$")
AMOUNT = re.compile(r"\$(?P<num>[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?)(?! million| billion)")
INSTRUMENT_IN_TEXT = re.compile(
    r"\b(?:pursuant to|in accordance with|relat(?:ed|ing) to|in line with|as mandated (?:by|in)|mandated by|under)"
    r" (?:the )?(?P<body>General Assembly|Economic and Social Council|Security Council|Human Rights Council|"
    r"Commission on Narcotic Drugs|Commission on Crime Prevention and Criminal Justice)? ?"
    r"(?P<kind>resolution|decision|President[’']s statement) (?P<sym>(?:S-)?\d{1,4}/\d{1,4})")
CLAUSE_MARK = re.compile(r"(?=\((?:i{1,3}|iv|v|vi{1,3}|ix|x)\) )")


def status_of(heading: str) -> tuple[str, str] | None:
    """(the status, as the heading prints it) of a figure's dated heading, or None.

    >>> status_of("2025 planne d"), status_of("2024 expenditure"), status_of("Posts")
    (('planned', 'planne d'), ('expenditure', 'expenditure'), None)
    """
    m = STATUS.search(heading)
    return (m.group("status").replace(" ", "").lower(), m.group("status")) if m else None


def figure(printed: str) -> tuple[Decimal | None, str]:
    """A printed figure as a number, and a note where it is not one as printed.

    >>> figure("1 277.6"), figure("(83.9)"), figure("–")
    ((Decimal('1277.6'), ''), (Decimal('-83.9'), ''), (None, ''))
    >>> figure("2.679.6")[0], figure("2.679.6")[1].startswith('printed as "2.679.6", which is not a number')
    (None, True)
    """
    text = printed.strip()
    if not text or text in NO_FIGURE:
        return None, ""
    m = FIGURE.match(text)
    if m:
        try:
            value = Decimal(re.sub(r"[ \u00a0\u202f]", "", m.group("num")))
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            return None, f"printed as {text!r}, not read as a number"
        return (-value if m.group("neg") else value), ""
    if NUMERIC_LOOKING.match(text):
        return None, (f'printed as "{text}", which is not a number as printed (a misprint in the source); '
                      "kept as printed, not corrected")
    return None, ""


@dataclass
class Cell:
    column: str        # the column's full name: "2024 planned", "Changes: Technical adjustments"
    printed: str       # as printed
    start: int         # offsets of the printed cell in the document's text
    end: int
    value: str = ""    # the figure as a decimal string ("" where the cell holds none)
    note: str = ""     # a printed defect
    heads: list[str] = field(default_factory=list)  # the printed header cells over it, top to bottom
    marks: list[dict] = field(default_factory=list)  # the table's notes marked on the figure ("641a": note a)

    def to_dict(self) -> dict:
        return {"column": self.column, "printed": self.printed, "start": self.start, "end": self.end,
                "value": self.value, "note": self.note, "heads": self.heads, "marks": self.marks}


def _spread(items: list, spans: list[int], blank=None) -> list:
    """A row's per-cell ``items`` on the table's grid: a cell spanning n columns stands in each of them, or (with a
    ``blank``) in the first, the n - 1 others holding the blank."""
    if not spans:
        return list(items)
    out: list = []
    for item, n in zip(items, spans, strict=False):
        out.extend([item] * n if blank is None else [item] + [blank] * (n - 1))
    return out


def _raised(seg: Segment) -> list[list[tuple[int, int]]]:
    """The row's raised runs per cell (none known: none in each)."""
    return seg.raised or [[] for _ in seg.cells]


def grid(seg: Segment) -> list[str]:
    """A row's cells on the table's grid: a cell spanning n columns stands in the first and leaves n - 1 empty."""
    return _spread(seg.cells, seg.spans, "")


def grid_raised(seg: Segment) -> list[list[tuple[int, int]]]:
    """``seg.raised`` on the grid of :func:`grid`: a cell spanning n columns in the first, none in the n - 1."""
    return _spread(_raised(seg), seg.spans, [])


def cell_offsets(seg: Segment) -> list[tuple[int, int] | None]:
    """Where each of ``grid(seg)``'s cells stands in the document's text (None for an empty cell): the row's text is
    its non-empty cells joined by tabs."""
    out: list[tuple[int, int] | None] = []
    at = seg.start
    cells = seg.cells
    spans = seg.spans or [1] * len(cells)
    for cell, n in zip(cells, spans, strict=False):
        if cell:
            out.append((at, at + len(cell)))
            at += len(cell) + 1
        else:
            out.append(None)
        out.extend([None] * (n - 1))
    return out


@dataclass
class Table:
    number: str                    # "16.4"; an annex's table, which has no number: "Annex III"
    title: str = ""
    title_seg: Segment | None = None
    number_seg: Segment | None = None
    unit: str = ""                 # as the table's unit line prints it: "Thousands of United States dollars"
    subtable: str = ""             # "(1) Regular budget"
    rows: list[Segment] = field(default_factory=list)
    subtables: dict[int, str] = field(default_factory=dict)  # the first row of a part -> its label
    subtable_pending: bool = False  # a "(2) ..." line was read and its rows have not come yet
    # the notes printed under it, by mark, with where their words stand: {"a": {"mark": "a", "text": "Includes ...",
    # "start": ..., "end": ...}}
    notes: dict[str, dict] = field(default_factory=dict)
    part: Segment | None = None     # the section's part it stands under ("III. Independent Institution ..."), if any

    @property
    def on_pages(self) -> bool:
        """Was the table read from the words of printed pages (a PDF), not from a Word file's grid?"""
        return bool(self.rows and self.rows[0].page)

    @property
    def name(self) -> str:
        """How the document names the table: "Table 16.4", "Annex III"."""
        return table_name(self.number)

    def marked(self, letters: list[str]) -> list[dict]:
        """The table's notes that these raised letters mark (a letter with no note under the table: none)."""
        return [self.notes[m] for m in letters if m in self.notes]

    @property
    def kind(self) -> str:
        if DELIVERABLES_TITLE.match(self.title) or CROSS_CUTTING.match(self.title):
            return "deliverables"
        if re.search(r"United States dollars|number of posts|Number of posts", self.unit):
            return "resources"
        return "other"


def table_name(number: str) -> str:
    """A table's name as printed, from its number: "16.4" -> "Table 16.4"; an annex's table is named by the annex.

    >>> table_name("16.4"), table_name("Annex III")
    ('Table 16.4', 'Annex III')
    """
    return number if ANNEX.match(number) else f"Table {number}"


def tables(doc: Document) -> list[Table]:
    """The document's numbered tables: "Table 16.4", its title and unit line, and the rows of the Word table(s) after
    them (a table in parts, "(1) Regular budget", "(2) Other assessed", keeps its number); and the table an annex
    holds under its title without a number of its own ("Annex III", "Overall summary of financial and post
    resources"), named by the annex."""
    out: list[Table] = []
    current: Table | None = None
    seen_rows = False
    part: Segment | None = None  # the section's part the text stands in (none before the first, or in an annex)
    in_annex = False
    for seg in doc.segments:
        text = seg.text.strip()
        if seg.kind == "heading" and PART.match(text) and not in_annex:
            part = seg
        if seg.kind in ("heading", "paragraph") and TABLE_NO.match(text):
            current = Table(TABLE_NO.match(text).group("no"), number_seg=seg, part=part)
            out.append(current)
            seen_rows = False
            continue
        if seg.kind == "heading" and ANNEX.match(text):
            part, in_annex = None, True  # an annex's "I. Background and methodology" is no part of the section's
            current = Table(text, number_seg=seg)
            out.append(current)
            seen_rows = False
            continue
        if current is None or seg.kind in ("footnote", "margin"):
            continue
        if seg.kind == "row":
            if current.rows and seg.table != current.rows[-1].table and not current.subtable_pending:
                current = None  # a second Word table with no number of its own: not this table's
                continue
            if current.subtable and current.subtable_pending:
                current.subtables[len(current.rows)] = current.subtable
            current.subtable_pending = False
            current.rows.append(seg)
            seen_rows = True
            continue
        m = SUBTABLE.match(text)
        if m and seg.kind in ("item", "paragraph", "heading"):
            current.subtable, current.subtable_pending = text, True
            continue
        if not seen_rows:
            u = UNIT_LINE.match(text)
            if u:
                current.unit = u.group("unit")
            elif not current.title and not text.startswith("Note:"):
                current.title, current.title_seg = text, seg
            continue
        note = TABLE_NOTE.match(text)
        if note and seg.kind == "paragraph" and seg.style in ("FootnoteText", "") and seen_rows:
            # the table's own notes, right under its rows ("a Includes 33 temporary posts."; Word's footnotes are not)
            at = seg.start + note.start("text")
            current.notes[note.group("mark")] = {"mark": note.group("mark"), "text": note.group("text"), "start": at,
                                                 "end": at + len(note.group("text"))}
            continue
        current = None  # running text after the rows: the table has ended
    return [t for t in out if t.rows]


def _part(t: Table) -> dict:
    """The section's part a table stands under, for its candidates: its heading and where the heading stands (none
    in a section of one entity, as Sect. 16)."""
    if t.part is None:
        return {}
    return {"part": t.part.text.strip(), "part_start": t.part.start, "part_locator": t.part.locator}


def scope_of_title(title: str) -> tuple[str, str, str]:
    """(level, number, component) named at the start of a table's title: "Subprogramme 9, component 1: ...",
    "Subprogramme 1 (a): ...", "Subprogramme 2: ..."; the programme for any other ("Overall: ...").

    >>> scope_of_title("Subprogramme 9, component 1: deliverables for the period 2024–2026")
    ('subprogramme', '9', '1')
    >>> scope_of_title("Subprogramme 1 (b): deliverables"), scope_of_title("Overall: proposed posts")
    (('subprogramme', '1', 'b'), ('programme', '', ''))
    """
    m = re.match(r"^Subprogramme (\d+)(?:,? [Cc]omponent (\d+)| \(([a-z])\))?\s*[:.]", title)
    if not m:
        m2 = re.search(r"\bunder subprogramme (\d+)\b", title)  # "Requirements to implement new mandates under subprogramme 1"
        return ("subprogramme", m2.group(1), "") if m2 else ("programme", "", "")
    return "subprogramme", m.group(1), m.group(2) or m.group(3) or ""


def scope_label(level: str, number: str, component: str) -> str:
    """How a scope is named in candidates and labels: "programme", "subprogramme 2", "subprogramme 9, component 1",
    "subprogramme 1 (b)" (a lettered part, as the document names it)."""
    if level == "programme":
        return "programme"
    if component.isalpha():
        return f"subprogramme {number} ({component})"
    return f"subprogramme {number}" + (f", component {component}" if component else "")


def _carried(seg: Segment) -> list[str]:
    """A header row on the grid, a cell spanning columns standing in each of them."""
    return _spread(seg.cells, seg.spans)


def unmarked(cell: str, raised: list[tuple[int, int]]) -> tuple[str, list[str]]:
    """A cell without the raised marks of its table's notes, and the marks: "641a" with its "a" raised is ("641",
    ["a"]); "Regular budgeta" is ("Regular budget", ["a"]). Only what Word prints raised counts (a reader's
    ``Segment.raised``), so a name that ends in a letter keeps it.

    >>> unmarked("1 979a,b", [(5, 8)]), unmarked("Cuba", [])
    (('1 979', ['a', 'b']), ('Cuba', []))
    """
    out, marks, at = [], [], 0
    for a, b in raised:
        if NOTE_MARK.match(cell[a:b]):
            out.append(cell[at:a])
            marks += cell[a:b].split(",")
            at = b
    out.append(cell[at:])
    return " ".join("".join(out).split()), marks


def _column_heads(header_rows: list[Segment]) -> list[list[str]]:
    """The header cells over each grid column, top to bottom, from one or two header rows, without the raised marks
    of the table's notes: a cell spanning columns names each of them, and the row below adds its own words; a column
    that only continues a spanning cell of the lowest row has none (its cells stand in the spanning cell's first
    column). A column's name is its cells joined by ": ".

    >>> top = Segment("row", "", 0, 0, "", cells=["Item", "2025", "Changes", "2026"], spans=[1, 1, 2, 1])
    >>> low = Segment("row", "", 0, 0, "", cells=["", "", "Technical", "Other", ""])
    >>> [": ".join(h) for h in _column_heads([top, low])]
    ['Item', '2025', 'Changes: Technical', 'Changes: Other', '2026']

    Where a cell of the lowest row spans grid columns, the rows above name it by every column it covers: Word's
    grid may give a group's heading one column less than the cells below it ("Other assessed" over three columns,
    its first cell "2025 estimate" over a spacer column and the first of the three).

    >>> top = Segment("row", "", 0, 0, "", cells=["", "Regular budget", "", "Other assessed"], spans=[1, 2, 1, 2])
    >>> low = Segment("row", "", 0, 0, "", cells=["", "2025", "2026", "2025", "2026"], spans=[1, 1, 1, 2, 1])
    >>> [": ".join(h) for h in _column_heads([top, low])][1:]
    ['Regular budget: 2025', 'Regular budget: 2026', 'Other assessed: 2025', '', 'Other assessed: 2026']
    """
    grids = [[unmarked(c, r)[0] for c, r in zip(_carried(row), _spread(_raised(row), row.spans), strict=False)]
             for row in header_rows]
    width = max(len(g) for g in grids)
    low = header_rows[-1]
    covers: list[range] = [range(i, i + 1) for i in range(width)]
    if low.spans:
        at = 0
        for n in low.spans:
            covers[at] = range(at, min(at + n, width))
            for k in range(at + 1, min(at + n, width)):
                covers[k] = range(0)
            at += n
    heads = []
    for i in range(width):
        parts: list[str] = []
        for g in grids:
            for k in covers[i]:
                cell = g[k] if k < len(g) else ""
                if cell and cell not in parts:
                    parts.append(cell)
        heads.append(parts)
    return heads


def _is_header(seg: Segment) -> bool:
    cells = [c for c in grid(seg)[1:] if c]
    return bool(cells) and not any(figure(c)[0] is not None or c in NO_FIGURE for c in cells)


@dataclass
class PlanRow:
    """One row of a deliverables or resources table, read."""

    table: Table
    seg: Segment
    label: str
    cells: list[Cell]
    path: list[str]          # the group rows above it: category, subcategory, "Financial resources by ...", ...
    printed: str = ""        # its first cell as printed, where a raised note mark makes it differ from ``label``
    notes: list[dict] = field(default_factory=list)  # the table's notes its first cell marks (as Cell.marks)
    columns: list[str] = field(default_factory=list)  # the columns of the header over it (its part's own)


def _header_at(rows: list[Segment], i: int) -> list[Segment]:
    """The header rows starting at row ``i`` (at most three): none where row ``i`` is not one."""
    header: list[Segment] = []
    for seg in rows[i:i + 3]:
        if not _is_header(seg):
            break
        header.append(seg)
    return header


def _bare(row: Segment) -> list[str]:
    """A row's cells without white space: a heading printed again, wrapped elsewhere ("expenditu re"), is the same."""
    return ["".join(c.split()) for c in grid(row)]


def read_table(t: Table) -> tuple[list[str], list[PlanRow]]:
    """The columns of a table, and its rows: with figures, with text, or group rows (a label alone).

    A table in parts may head each part with columns of its own: Table 24.24 gives its regular budget nine columns
    (expenditure, approved, four columns of changes, percentage, estimate) and its other assessed and extrabudgetary
    parts five (expenditure, estimate, change, percentage, estimate). A header row met below the first rows heads the
    rows after it, up to the next: a part's figures are named by the part's own headings, never by the first part's
    (they had been, by position: "425.4" under "2024 expenditure" was read as a technical adjustment)."""
    rows = t.rows
    header = _header_at(rows, 0)
    heads = _column_heads(header) if header else []
    columns = [": ".join(h) for h in heads]
    first = columns
    # a header again is a row of headings that opens with the first column's heading ("Component/subprogramme"),
    # as the first header does: not a row of words in the figures' columns ("Membership: 18 experts")
    stub = {" ".join(grid(h)[0].split()) for h in header if grid(h) and grid(h)[0].strip()}
    out: list[PlanRow] = []
    path: list[str] = []
    closed = False  # the row before closed its group with a subtotal
    skip: set[int] = set(range(len(header)))
    for i, seg in enumerate(rows):
        if i in t.subtables:  # (a part's first row: its own header, or its first row of figures)
            path = [t.subtables[i]]
        if i in skip:
            continue
        g = grid(seg)
        again = _header_at(rows, i) if g and " ".join(g[0].split()) in stub else []
        if again:  # a part's own header (or the first one printed again): it names the columns below it
            skip.update(range(i, i + len(again)))
            if _bare(again[-1]) != _bare(header[-1]):  # (the first header printed again, on a new page, may lack
                heads = _column_heads(again)           # the row of headings that span columns: the first stands)
                columns = [": ".join(h) for h in heads]
            continue
        raised = grid_raised(seg)
        label, letters = unmarked(g[0], raised[0]) if g else ("", [])  # "Committee on Missing Persons in Cyprus", c raised
        first_printed = g[0] if g and g[0] != label else ""
        row_notes = t.marked(letters)
        offsets = cell_offsets(seg)
        values = g[1:]
        filled = [c for c in values if c]
        if not filled:
            closed = False
            path = _group_path(t, path, label)
            out.append(PlanRow(t, seg, label, [], list(path), first_printed, row_notes))  # a group, a category or a text-only deliverable
            continue
        row_path = list(path)
        if t.kind != "deliverables" and closed:
            # after a subtotal: a row with figures stands at the top again, and heads a group of its own when
            # rows with figures and a subtotal of their own follow it ("Other staff costs", then "Redeployment",
            # "Conversion", "Subtotal"), as an object of expenditure with its changes below it
            row_path = path = [p for p in path if SUBTABLE.match(p)]
            if _heads_a_subtotal(rows, i):
                path = path + [label]
        closed = bool(SUBTOTAL.match(label))
        if GRAND_TOTAL.match(label):  # "Total (1+2)" totals the parts it names: it stands under none of them
            row_path = []
        cells = []
        # a row with fewer grid cells than columns (merged cells Word did not mark): align its figures to the right
        shift = max(0, len(columns) - len(g)) if columns else 0
        for j, printed in enumerate(values, start=1):
            if not printed:
                continue
            col = columns[j + shift] if columns and j + shift < len(columns) else f"column {j + 1}"
            bare, letters = unmarked(printed, raised[j] if j < len(raised) else [])
            value, note = figure(bare)  # "641a": 641, qualified by the table's note a
            marks = t.marked(letters)
            where = offsets[j] if j < len(offsets) else None
            if where is None:
                continue
            if value is None and not note:
                continue  # "–" is no figure; text in a figure's column is no figure either
            head = heads[j + shift] if columns and j + shift < len(heads) else []
            if not head:
                continue  # a figure under no printed heading (a page that lost its header row): its period is unknown
            cells.append(Cell(col, printed, where[0], where[1], "" if value is None else format(value, "f"), note,
                              list(dict.fromkeys(head)), marks))
        out.append(PlanRow(t, seg, label, cells, row_path, first_printed, row_notes, list(columns)))
    return first, out


SUBTOTAL = re.compile(r"(?i)subtotal\b")
GRAND_TOTAL = re.compile(r"(?i)^total\s*\(\d+(?:\s*\+\s*\d+)+\)$")  # "Total (1+2)", "Total (1+2+3)"


def _heads_a_subtotal(rows: list[Segment], i: int) -> bool:
    """Whether the rows after row ``i`` are rows with figures up to a subtotal of their own: a bare "Subtotal", with
    no group row or total between ("Subtotal, 1" is the subtotal of part (1), "Subtotal, C" of component C)."""
    for seg in rows[i + 1:]:
        g = grid(seg)
        label = g[0] if g else ""
        if not any(g[1:]) or label.lower().startswith("total"):
            return False
        if SUBTOTAL.match(label):
            return label.strip().lower() == "subtotal"
    return False


def _group_path(t: Table, path: list[str], label: str) -> list[str]:
    """The groups a row stands under, after a group row ``label``."""
    base = [p for p in path if SUBTABLE.match(p)]
    if t.kind == "deliverables":
        if CATEGORY.match(label):
            return base + [label]
        return [p for p in path if SUBTABLE.match(p) or CATEGORY.match(p)] + [label]
    return base + [label]


UNITS = {
    "thousands of united states dollars": "thousands of US$",
    "united states dollars": "US$",
    "number of posts": "posts",
}


def unit_of(table: Table, path: list[str]) -> str:
    """The unit a resources table's figure is in: the table's unit line, where it names two ("Thousands of United
    States dollars/number of posts") the one the figure's group names ("Post resources by category": posts)."""
    names = [u.strip().lower() for u in table.unit.split("/")]
    if len(names) > 1:
        group = " ".join(path).lower()
        if "post" in group and "financial" not in group:
            names = [n for n in names if "post" in n] or names
        else:
            names = [n for n in names if "post" not in n] or names
    return unit_key(names[0]) if names else ""


def unit_key(words: str) -> str:
    """A unit line's words as the graph writes the unit: "Thousands of United States dollars" -> "thousands of US$"."""
    w = words.strip().lower()
    return UNITS.get(w, w)


# ------------------------------------------------------------------ candidates --

def _cand(kind: str, key: tuple, facts: dict, quote: str, locator: str, start: int, end: int, detector: str,
          confidence: float, note: str = ""):
    from drugpolicy_kg.sources.extract import Candidate, _cid

    return Candidate(_cid(kind, *key), kind, facts, quote, locator, start, end, detector, confidence, note=note)


class Strategy:
    """Reads, paragraph by paragraph within a subprogramme, its strategy list ("will: (a) ... (i) ..."), its expected
    results ("is expected to result in: (a) ..." or in one sentence), its planned results ("Result 1: ...") and the
    titles of its performance measures."""

    def __init__(self):
        self.mode = ""        # "activity" | "expected-result" | ""
        self.para = ""
        self.letter = ""
        self.result = ""      # the planned result the measures below belong to
        self.scope_key = ""

    def feed(self, seg: Segment, scope: str, scope_title: str) -> list:
        text = seg.text.strip()
        out = []
        if scope != self.scope_key:
            self.scope_key, self.mode, self.result = scope, "", ""
        base = {"scope": scope, "scope_title": scope_title}
        m = RESULT.match(text)
        if m and seg.kind in ("paragraph", "heading"):
            self.result, self.mode = m.group("no"), ""
            out.append(_cand("planned-result", (scope, m.group("no"), m.group("title")),
                             {**base, "number": m.group("no"), "title": m.group("title")}, text, seg.locator,
                             seg.start, seg.end, "programme plan: planned result", 0.95))
            return out
        m = MEASURE.match(text)
        if m and seg.kind in ("paragraph", "heading"):
            out.append(_cand("performance-measure", (scope, self.result, m.group("title")),
                             {**base, "result": self.result, "title": m.group("title")}, text, seg.locator,
                             seg.start, seg.end, "programme plan: performance measure", 0.9,
                             "" if self.result else "stated before any planned result: a measure of the programme's "
                                                    "performance in the past year"))
            return out
        if seg.kind == "paragraph" and seg.number:
            body = text[len(seg.number):].strip()
            self.mode, self.letter, self.para = "", "", seg.number
            if STRATEGY_LEAD.search(body):
                self.mode = "activity"
            elif RESULTS_LEAD.search(body):
                self.mode = "expected-result"
            else:
                inline = RESULTS_INLINE.search(body)
                if inline:
                    a = seg.start + len(seg.text) - len(body) + inline.start()
                    quote = seg.text[a - seg.start:]
                    out.append(_cand("expected-result", (scope, seg.number, ""),
                                     {**base, "paragraph": seg.number, "item": "", "text": inline.group("text")},
                                     quote, f"para. {seg.number}", a, a + len(quote),
                                     "programme plan: expected result (one sentence)", 0.9))
            return out
        if seg.kind == "item" and self.mode and seg.number:
            mark = seg.number
            is_roman = bool(ROMAN.match(mark)) and bool(self.letter) and not (mark == "(i)" and self.letter == "(h)")
            if is_roman:
                item = self.letter + mark
            else:
                self.letter = item = mark
            body = text[len(mark):].strip()
            out.append(_cand(self.mode, (scope, self.para, item),
                             {**base, "paragraph": self.para, "item": item, "text": body},
                             seg.text, f"para. {self.para} {item}", seg.start, seg.end,
                             f"programme plan: {'strategy' if self.mode == 'activity' else 'expected result'} item", 0.95))
            return out
        if seg.kind in ("heading", "paragraph"):
            self.mode = ""
        return out


def _issuers(doc: Document) -> list[str]:
    """The bodies the document's mandate lists name as issuers ("Commission on Narcotic Drugs resolutions"), longest
    first: the bodies a deliverable can serve."""
    from drugpolicy_kg.sources.extract import ISSUER_AFTER, ISSUER_HEADING

    names: set[str] = set()
    for seg in doc.segments:
        if seg.kind in ("heading", "paragraph") and len(seg.text) < 150:
            m = ISSUER_AFTER.match(seg.text.strip()) or ISSUER_HEADING.match(seg.text.strip())
            if m and re.match(r"^[A-Z]", m.group("body")) and re.search(
                    r"Assembly|Council|Commission|Board|Conference|Committee", m.group("body")):
                names.add(m.group("body").strip())
    return sorted(names, key=len, reverse=True)


SERVED_HEAD = re.compile(r"(?i)\b(?:meetings?|sessions?|documents?|documentation|reports?|notes?|services|briefings?)\b")
SERVED_BY = re.compile(r"(?i)\b(?:to|of|for):?\s+(?:the\s+)?$")  # "Report to the ", "Meetings of: The "
OTHER_ORGAN = re.compile(r"\b(?:Working Group|Committee|Subcommittee|Board|Bureau|Commission|Conference|Council)\b")
SUBSIDIARY = re.compile(r"\s+(?:Advisory\s+)?(?:Committee|Subcommittee|Working Group|Board|Bureau)\b")


def _served_body(text: str, bodies: list[str]) -> str:
    """The body a deliverable serves, where its words say so: it opens with the body ("The Commission on Narcotic
    Drugs on issues related to ...", "Meetings of: The General Assembly"), or its meetings, sessions, documents,
    reports or notes are of, to or for the body ("Annual reports to the Economic and Social Council on the
    Commission on Narcotic Drugs ...": the Council, not the Commissions the reports are about).

    A body named otherwise is not one the deliverable serves: "Forms for reporting ... under related Economic and
    Social Council resolutions", "a database on resolutions and decisions by the Commission", "expert advice to ...
    independent experts of the Human Rights Council", a body named after another organ unless the row is addressed
    to it ("the Working Group on Communications and ... the provisional agenda of the Human Rights Council", but
    "Reports of the Working Group on the Universal Periodic Review to the Human Rights Council"), the parent of
    another ("the subsidiary bodies of the Commission", "the Human Rights Council Advisory Committee"). Those rows
    name no body served ("")."""
    hits = sorted((m.start(), -len(body), m.end(), body) for body in bodies
                   for m in re.finditer(r"(?<![\w-])" + re.escape(body) + r"(?![\w-])", text))
    for start, _length, end, body in hits:
        before = text[:start]
        if re.search(r"(?:subsidiary bodies|bureau|members|secretariat|president|chair)(?: of)?(?: the)? ?$", before.lower()):
            continue
        if SUBSIDIARY.match(text[end:]):
            continue  # "Human Rights Council Advisory Committee": another body, the Council's
        if re.fullmatch(r"(?i)\s*(?:the\s+)?", before):
            return body
        if SERVED_HEAD.search(before) and SERVED_BY.search(before) and (
                re.search(r"(?i)\bto\s+(?:the\s+)?$", before) or not OTHER_ORGAN.search(before)):
            return body  # (addressed "to" the body, whoever writes: "Reports of the Working Group ... to the Council")
    return ""


def _context(t: Table, extra: list[str] = ()) -> list[str]:
    """The lines that say where a table's cell stands: the table's number, title and unit line, and the group rows
    above the cell's row."""
    lines = [t.name, t.title]
    if t.unit:
        lines.append(f"({t.unit})")
    return [x for x in lines + list(extra) if x]


def deliverables(t: Table, bodies: list[str]) -> list:
    level, number, component = scope_of_title(t.title) if not CROSS_CUTTING.match(t.title) else ("programme", "", "")
    scope = scope_label(level, number, component)
    columns, rows = read_table(t)
    out = []
    if t.on_pages and not all(PERIOD_HEAD.match(c) for c in columns[1:] or [""]):
        return out  # a page's grid whose header does not name each figure's year and status: not guessed
    if t.on_pages:  # (a header printed again on a later page names the columns below it: the same rule holds there)
        for r in rows:
            r.cells = [c for c in r.cells if PERIOD_HEAD.match(c.column)]
    category = subcategory = unit = group = ""
    sub_row = ""
    for r in rows:
        label = r.label
        cat = CATEGORY.match(label)
        base = {"scope": scope, "table": t.number, "table_title": t.title, **_part(t)}
        where = f"{t.name}, row {r.seg.number}" + (f", p. {r.seg.page}" if r.seg.page else "")
        if cat and not r.cells:
            category, subcategory, unit, group = label, "", "", ""
            continue
        sub = SUBCATEGORY_UNIT.match(label)
        num = NUMBERED.match(label)
        if sub and not num:
            subcategory, unit, group = sub.group("name"), sub.group("unit"), ""
            sub_row = r.seg.text
            facts = {**base, "category": category, "subcategory": subcategory, "unit": unit, "level": "subcategory",
                     "number": "", "label": label, "printed": r.printed, "notes": r.notes, "group": "", "body": "",
                     "cells": [c.to_dict() for c in r.cells], "context": _context(t, [category])}
            out.append(_cand("deliverable", (t.number, label, r.seg.number), facts, r.seg.text, where,
                             r.seg.start, r.seg.end, "deliverables table: subcategory total", 0.95))
            continue
        if num:
            body = _served_body(num.group("text") if not group else f"{group} {num.group('text')}", bodies)
            facts = {**base, "category": category, "subcategory": subcategory, "unit": unit, "level": "item",
                     "number": num.group("no"), "label": num.group("text"), "printed": r.printed, "notes": r.notes,
                     "group": group,
                     "body": body,
                     "cells": [c.to_dict() for c in r.cells], "context": _context(t, [category, sub_row, group])}
            out.append(_cand("deliverable", (t.number, label, r.seg.number), facts, r.seg.text, where,
                             r.seg.start, r.seg.end, "deliverables table: numbered deliverable", 0.95,
                             "" if unit else "no subcategory with a unit stands above this row"))
            continue
        if not r.cells and label.endswith(":"):  # "Meetings of:": the words the items below complete
            group = label
            continue
        if t.on_pages and any(re.search(r"[A-Za-z]{2}", c) for c in grid(r.seg)[1:]):
            continue  # a page's row with words in a figure's column: a cell's justified text read as several
        if not r.cells and ":" in label and category:  # "Consultation, advice and advocacy: ...": a deliverable in words
            name, _, what = label.partition(":")
            facts = {**base, "category": category, "subcategory": name.strip(), "unit": "", "level": "described",
                     "number": "", "label": what.strip(), "group": "", "body": _served_body(what, bodies), "cells": [],
                     "context": _context(t, [category])}
            out.append(_cand("deliverable", (t.number, label, r.seg.number), facts, r.seg.text, where,
                             r.seg.start, r.seg.end, "deliverables table: deliverable described", 0.9))
    return out


def resources(t: Table) -> list:
    from drugpolicy_kg.sources.extract import ISSUER_HEADING, RES_SYMBOL, body_code

    level, number, component = scope_of_title(t.title)
    scope = scope_label(level, number, component)
    _columns, rows = read_table(t)
    if t.on_pages and not _checked_on_the_page(rows):  # (its place still marks where the explanation of resource
        return []                                        # changes starts)
    out = []
    for r in rows:
        if not r.cells:
            continue
        unit = unit_of(t, r.path)
        facts = {"scope": scope, "table": t.number, "table_title": t.title, "table_unit": t.unit, "unit": unit,
                 "path": r.path, "item": r.label, "resolution": {}, "cells": [c.to_dict() for c in r.cells],
                 "context": _context(t, r.path), **_part(t)}
        group = r.path[-1] if r.path else ""
        ih = ISSUER_HEADING.match(group) if group else None
        sym = RES_SYMBOL.match(r.label)
        if ih and sym:
            body = ih.group("body").strip()
            facts["resolution"] = {"issuer": body, "issuer_code": body_code(body), "symbol": sym.group("sym"),
                                   "instrument": "decision" if sym.group("dec") else "resolution", "group": group}
        defects = [c for c in r.cells if c.note]
        sums = adds_up(r)
        note = "; ".join([f"column {c.column!r}: {c.note}" for c in defects] + sums)
        out.append(_cand("resource", (t.number, r.label, r.seg.number, "/".join(r.path)), facts, r.seg.text,
                         f"{t.name}, row {r.seg.number}", r.seg.start, r.seg.end, "resources table: row",
                         0.8 if defects or sums else 0.95, note))
    return out


PAGE_COLUMNS = {  # the budget's usual headings, word for word (a word the page cut, "expenditu re", is none of them)
    "2024 expenditure", "2025 approved", "2025 estimate", "2026 estimate", "2026 proposed", "Change", "Percentage",
    "Changes: Technical adjustments", "Changes: New/expanded mandates", "Changes: New/ expanded mandates",
    "Changes: Other", "Changes: Total", "Changes: Percentage"}


def _checked_on_the_page(rows: list[PlanRow]) -> bool:
    """Whether a resources table read from a page can be trusted column by column. A page's headings wrap in narrow
    columns and a word is cut where no hyphen shows ("expen" / "ded"); LibreOffice's print leaves some headings out
    altogether. So a page's table is read only where every row's figures check each other: each row's header has the
    year's figure, its change and the next year's, every figure stands under one of the budget's usual headings, and
    every row adds up (:func:`adds_up`). Measured on both sections printed by LibreOffice: 22 tables pass, every
    figure of them the Word file's, row, column and value; the others (headings missing or spanning, no changes to
    check, a misprint of the budget's own) are refused whole."""
    figures = [r for r in rows if r.cells]
    if not figures:
        return False
    for r in figures:
        if _checked_columns(r.columns) is None:
            return False
        if any(" ".join(c.column.split()) not in PAGE_COLUMNS for c in r.cells) or adds_up(r):
            return False
    return True


BASE_COLUMNS = ("2025 approved", "2025 estimate")
END_COLUMNS = ("2026 estimate", "2026 proposed")
CHANGE_COLUMNS = ("Changes: Total", "Change")
PERCENT_COLUMNS = ("Changes: Percentage", "Percentage")


def _checked_columns(columns: list[str]) -> tuple[str, str, str] | None:
    """The columns of a header that check each other: the year's figure, its change and the next year's (None where
    one of them is missing)."""
    found = tuple(next((c for c in names if c in columns), None) for names in (BASE_COLUMNS, END_COLUMNS, CHANGE_COLUMNS))
    return None if None in found else found


def adds_up(r: PlanRow) -> list[str]:
    """Where a resources row's figures do not add up as printed, what does not (empty where they do, or where its
    header has no such columns): the year's figure plus its change is the next year's; the changes by kind sum to
    their total; the percentage is the change over the year's figure (to the print's rounding, 0.15). A figure read
    under the wrong column shows here; so does a misprint of the budget's own (Table 24.33 prints "8.6" for a change
    of (1 414.7) on 16 513.0). "–" counts as 0. Said in the candidate's note, for the reviewer: the figures are kept
    as printed."""
    cols = r.columns
    checked = _checked_columns(cols)
    if checked is None:
        return []
    base, end, total = checked
    values = {c.column: Decimal(c.value) for c in r.cells if c.value}
    b, e, ch = values.get(base, Decimal(0)), values.get(end, Decimal(0)), values.get(total, Decimal(0))
    # each figure is rounded on its own (to the last digit printed): sums may differ by that much a term
    unit = Decimal(1).scaleb(min((v.as_tuple().exponent for k, v in values.items() if k not in PERCENT_COLUMNS),
                                 default=0))
    out = []
    if abs(b + ch - e) > unit:
        out.append(f"the figures do not add up as printed: {base} {b} and {total} {ch} make {b + ch}, not {end} {e}")
    kinds = [c for c in cols if c.startswith("Changes: ") and c not in CHANGE_COLUMNS + PERCENT_COLUMNS]
    if kinds and abs(sum(values.get(c, Decimal(0)) for c in kinds) - ch) > unit * max(1, len(kinds) - 1):
        out.append(f"the changes by kind ({', '.join(str(values.get(c, 0)) for c in kinds)}) do not add up to "
                   f"{total} {ch} as printed")
    percent = next((c for c in PERCENT_COLUMNS if c in cols and c in values), None)
    if percent and b:
        computed = ch / b * 100
        if abs(computed - values[percent]) > Decimal("0.15") or (computed < 0) != (values[percent] < 0):
            out.append(f"{percent} is printed {values[percent]}; {total} over {base} is {computed:.1f}")
    return out


def mandate_costs(doc: Document, start_at: int) -> list:
    """Amounts the explanation of resource changes ties to a resolution: per clause ("(i) an increase of $X ... pursuant
    to General Assembly resolution 79/1"), the clause's first amount, where the clause names one instrument."""
    out = []
    scope = "programme"
    for seg in doc.segments:
        if seg.start < start_at or seg.kind not in ("paragraph", "item"):
            continue
        sm = re.match(r"^\([a-z]\) Subprogramme (\d+)\b", seg.text)
        if seg.kind == "item" and re.match(r"^\([a-z]\) ", seg.text):
            scope = f"subprogramme {sm.group(1)}" if sm else "programme"
        elif seg.kind == "paragraph" and seg.number:
            scope = "programme"
        text = seg.text
        bounds = [m.start() for m in CLAUSE_MARK.finditer(text)] + [len(text)]
        pieces = [(0, bounds[0])] + list(zip(bounds, bounds[1:]))
        for a, b in pieces:
            clause = text[a:b]
            insts = list(INSTRUMENT_IN_TEXT.finditer(clause))
            amounts = list(AMOUNT.finditer(clause))
            if not insts or not amounts:
                continue
            # sentences within the clause: the amount and the instrument must share one
            for sa, sb in _sentences(clause):
                s_insts = [m for m in insts if sa <= m.start() < sb]
                s_amounts = [m for m in amounts if sa <= m.start() < sb]
                if not s_insts or not s_amounts:
                    continue
                inst, amount = s_insts[0], s_amounts[0]
                quote = clause[sa:sb].strip().rstrip(";")
                qa = a + sa + (len(clause[sa:sb]) - len(clause[sa:sb].lstrip()))
                sure = len(s_insts) == 1
                body = inst.group("body") or ""
                change = _change(clause, sa, amount, s_amounts)
                facts = {"scope": scope, "amount": change["amount"], "printed": amount.group(0),
                         "issuer": body, "symbol": inst.group("sym"),
                         "instrument": {"decision": "decision", "resolution": "resolution"}.get(
                             inst.group("kind"), "statement"), "words": inst.group(0),
                         "change": change["change"], "change_words": change["words"], "parts": change["parts"]}
                note = "" if body else "the sentence does not name the body that adopted the instrument"
                if not sure:
                    note = "; ".join(x for x in (note, "the sentence names more than one instrument: check which the "
                                                          "amount is for") if x)
                out.append(_cand("mandate-cost", (seg.locator, inst.group("sym"), amount.group(0), str(qa)), facts,
                                 quote, seg.locator, seg.start + qa, seg.start + qa + len(quote),
                                 "explanation of resource changes: amount and instrument in one sentence",
                                 0.85 if sure and body else 0.5, note))
    return out


DECREASE = re.compile(r"(?i)\b(?:decrease|reduction|removal|lower)\b")
CHANGE_WORD = re.compile(r"(?i)\b(?:an? |the )?(?:increase|decrease|reduction|removal|provision|additional requirements|"
                         r"higher provision|lower provision)\b")
LISTED = re.compile(r"^(?:,\s*(?:and\s+)?|\s+and\s+)[a-z][a-z ,'-]*?\s\($")  # ", consultants ($", " and travel ($"


def _change(clause: str, sa: int, amount: re.Match, amounts: list[re.Match]) -> dict:
    """What a sentence's amount is: the change it names before it ("a decrease of $250,500": "decrease", the amount
    negative, as the budget's tables print a decrease), and, where the sentence gives the change only by object of
    expenditure ("The provision under other staff costs ($1,200), consultants ($86,700) ... and general operating
    expenses ($41,600)"), the amounts it lists, whose sum is the amount (the sum is not printed: the fact is marked
    inferred where the graph states it). The words from the change to the amount (or the list's end) are its
    ``words``."""
    words = list(CHANGE_WORD.finditer(clause, sa, amount.start()))
    start = words[-1].start() if words else amount.start()
    decrease = bool(words) and bool(DECREASE.search(words[-1].group(0)))
    parts = [amount]
    if clause[amount.start() - 1:amount.start()] == "(":  # "under posts ($228,200)": an amount by object; more?
        for nxt in amounts[amounts.index(amount) + 1:]:
            between = clause[parts[-1].end():nxt.start()]
            if not between.startswith(")") or not LISTED.match(between[1:]):
                break
            parts.append(nxt)
    end = parts[-1].end() + (1 if clause[parts[-1].end():parts[-1].end() + 1] == ")" else 0)
    total = sum(Decimal(m.group("num").replace(",", "")) for m in parts)
    return {"amount": format(-total if decrease else total, "f"),
            "change": re.sub(r"(?i)^(?:an?|the) ", "", words[-1].group(0)).lower() if words else "",
            "words": clause[start:end].strip(), "parts": [m.group(0) for m in parts] if len(parts) > 1 else []}


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence bounds of ``text`` (a full stop and a space, not after "para" or "resolution" numbers' points)."""
    out, at = [], 0
    for m in re.finditer(r"\.(?= [A-Z(])", text):
        out.append((at, m.end()))
        at = m.end()
    out.append((at, len(text)))
    return [(a, b) for a, b in out if text[a:b].strip()]


def grid_kept(doc: Document) -> bool:
    """Does the document keep its tables' grid (a Word file: every cell, merged ones marked)? Text saved from Word
    drops empty cells, so a figure's column cannot be told: its tables are not read (the strategy, results and
    measures still are), rather than read into the wrong columns."""
    return doc.path.suffix.lower() in (".docx", ".pdf")  # a PDF's reader puts its words back in their columns


def programme_plan(doc: Document) -> list:
    """The candidates of the programme plan's tables and of its explanation of resource changes (the strategy,
    results and measures are read by :class:`Strategy` within the programme of work)."""
    out = []
    bodies = _issuers(doc)
    first_resources = None
    if not grid_kept(doc):  # a .txt keeps no empty cell and no merged one: its figures cannot be put in their columns
        return out
    for t in tables(doc):
        if t.kind == "deliverables":
            out += deliverables(t, bodies)
        elif t.kind == "resources":
            out += resources(t)
            if first_resources is None and t.number_seg is not None:
                first_resources = t.number_seg.start
    if first_resources is not None:
        out += mandate_costs(doc, first_resources)
    return out
