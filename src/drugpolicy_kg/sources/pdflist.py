"""A mandate list printed on pages, put back into rows: a symbol column beside the instruments' titles.

LibreOffice prints a budget section's mandate lists in two newspaper columns a page, and some with the symbol column
one character wide: "S", "-", "2", "0", "/", "2" stand one under another. Others it prints whole ("41/128",
"12/2; 24/24;" over two lines), as most prints do. A reader of the page reads both, and so does this module:

- **symbols**: a run of characters each alone on its line (nothing within half an em either side), one under
  another at a line's pitch, among them a digit and a "/", "(" or "-"; or a cell (words apart from the next by more
  than an em) that holds nothing but symbols, where three lines or more open one at the same place across the page.
  A running text line that opens with a symbol ("79/234 on the ...") is one cell with more words: not one;
- **zones**: lists printed stacked and printed whole, one under the other, are read apart, each with its columns (a
  page may have lost the heading between them);
- **columns**: each symbol column and, to its right up to the next, its titles; a line that is not the list's (a
  heading all bold or italic, a line standing left of the first column, one running across a column's edge) is
  left to the page's reader;
- **bands**: the stretches down which the list runs, lines a row's padding apart at most; in a band the left column
  is read before the right, as a newspaper's;
- **rows**: a step down a column wider than its line pitch (a cell's padding), or a line opening a symbol when the
  symbol above is whole, starts one; its symbol is its symbol lines in order (stacked characters joined as they
  stand), its title its lines joined;
- a row cut by a column or a page goes on at the top of the next (see :func:`continues`); the page's reader joins
  them, and starts another table where the layout changes with no heading between;
- **titles alone**: a list with no symbols (Sect. 16's "Commission on Narcotic Drugs statements and declarations",
  each title in a cell across both), right under a heading that names a list, on a page of lists whose columns it
  keeps, is read the same way, its rows with no symbol; the next column's first row goes on with the last one's only
  where its first word would not have fitted on that row's last line (see :func:`_wraps`);
- a table whose rows open with symbol-like cells and hold only figures beside ("2023/24  12.5") is no list.

A space that falls at a line's end is not printed, so a stacked symbol has none where its line broke
("Decision2022/316", "1946/9(I)"): the reader keeps what the page shows, and the list's reader (``extract``) reads
such a symbol in its standard spacing, says so on the candidate, and keeps the printed words.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field

from drugpolicy_kg.sources.pdftable import words_of

ALONE = 0.45     # a stacked character has no other within this many ems either side on its line
PITCH = 1.35     # a step down a stacked column within this many ems is the next line of one cell
ROW_STEP = 1.2   # a step wider than this many times the column's line pitch starts a row
FIGURES = re.compile(r"^[\d\s,.()–-]*$")  # a line of figures ("1 258.3 (83.9) –")
MIN_RUN = 3      # characters stacked one under another, at least, for a stacked column
NEXT_LINE = 1.8  # a line within this many ems of a band's first or last goes on with it (a row's padding is ~1.6)
WHOLE = re.compile(r"^(?:(?:[Dd]ecision ?)?(?:S-|ES-|PRST/)?\d{1,4}/\d{1,4}(?: ?\([A-Z]+\))?(?: ?[A-Z](?: ?and ?[A-Z])?)?"
                   r"|\d{3,4} ?\(\d{4}\)|\d{1,4} ?\([IVXL]+\))$")


@dataclass
class ListRow:
    symbol: str
    title: str
    top: float
    page: int
    goes_on: bool = False  # the first row of a column or a page that may be the last one's continuation
    lines: list[str] = field(default_factory=list)  # the title's lines, to join with the row before
    stacked: bool = False  # its symbol printed one character a line
    marks: list[str] = field(default_factory=list)  # footnote numbers raised in it
    spans: bool = False  # a title alone, across the symbol's cell and the title's (a list of titles alone)

    def join(self, after: ListRow) -> None:
        """``after`` goes on with this row (a row cut by a column or a page)."""
        if after.symbol:
            self.symbol = (self.symbol + after.symbol if self.stacked and after.stacked
                           else join_lines([x for x in (self.symbol, after.symbol) if x]))
        self.lines += after.lines
        self.marks += after.marks
        self.title = join_lines(self.lines)


@dataclass
class Band:
    top: float
    bottom: float
    rows: list[ListRow]
    layout: tuple = ()  # its symbols stacked or printed whole: (True,) or (False,)


def join_lines(lines: list[str]) -> str:
    """Lines of one paragraph or cell as one text: a line ending in a hyphen inside a word ("open-") joins the next
    without a space ("open-ended"), as a reader reads it.

    >>> join_lines(["standing open-", "ended working group", "on drugs"])
    'standing open-ended working group on drugs'
    """
    text = ""
    for ln in lines:
        if not text:
            text = ln
            continue
        joined = text.endswith("-") and len(text) > 1 and text[-2].isalpha() and ln[:1].isalpha()
        text = text + ("" if joined else " ") + ln
    return " ".join(text.split())


def whole_symbol(symbol: str) -> bool:
    """Is ``symbol`` (stacked characters read so far, ";"-separated) a whole symbol, or several?

    >>> [whole_symbol(s) for s in ("34/180;70/131", "Decision2022/316", "2462(", "79", "1946/9(I)")]
    [True, True, False, False, True]
    """
    return all(WHOLE.match(p.strip()) for p in symbol.split(";"))


def _lines(chars: list) -> list[list]:
    """Characters grouped into lines by where they stand. A character or two set apart from the rest of their line
    (a ";" a point and a half higher than its digits, "78/186; 79/157") join the nearest line within a third of their
    size; the two newspaper columns' lines, on baselines of their own, stay apart."""
    raw: list[list] = []
    for c in sorted(chars, key=lambda c: (float(c["top"]), float(c["x0"]))):
        if raw and abs(float(raw[-1][0]["top"]) - float(c["top"])) < 0.5:
            raw[-1].append(c)
        else:
            raw.append([c])
    big = [i for i, ln in enumerate(raw) if sum(1 for c in ln if c["text"].strip()) > 2]
    big_tops = [float(raw[i][0]["top"]) for i in big]
    keep = [True] * len(raw)
    for i, ln in enumerate(raw):
        if not big or sum(1 for c in ln if c["text"].strip()) > 2:
            continue
        top = float(ln[0]["top"])
        at = bisect.bisect_left(big_tops, top)
        near = min((k for k in (at - 1, at) if 0 <= k < len(big)), key=lambda k: abs(big_tops[k] - top))
        if abs(big_tops[near] - top) < float(ln[0]["size"]) / 3:
            raw[big[near]].extend(ln)
            keep[i] = False
    return [ln for ln, k in zip(raw, keep, strict=True) if k]


def _stacked_runs(lines: list[list]) -> list[list]:
    """The runs of stacked characters on a page: at least ``MIN_RUN`` characters, each alone on its line, one under
    another at a line's pitch, among them a digit and a "/", "(" or "-" (a symbol's)."""
    alone = []
    for ln in lines:
        seen = sorted((c for c in ln if c["text"].strip()), key=lambda c: float(c["x0"]))
        for i, c in enumerate(seen):
            reach = float(c["size"]) * ALONE
            left = i > 0 and float(c["x0"]) - float(seen[i - 1]["x1"]) < reach
            right = i + 1 < len(seen) and float(seen[i + 1]["x0"]) - float(c["x1"]) < reach
            if not left and not right and len(c["text"]) == 1:
                alone.append(c)
    out = []
    for cs in _at_one_place(alone, lambda c: float(c["x0"])):
        cs.sort(key=lambda c: float(c["top"]))
        run = [cs[0]]
        for a, b in [*zip(cs, cs[1:], strict=False), (cs[-1], None)]:
            if b is not None and 0 < float(b["top"]) - float(a["top"]) <= PITCH * float(a["size"]):
                run.append(b)
                continue
            text = "".join(c["text"] for c in run)
            if len(run) >= MIN_RUN and re.search(r"\d", text) and re.search(r"[/(-]", text):
                out.append(run)
            run = [b] if b is not None else []
    return out


SYMBOL_CELL = re.compile(r"^(?:[Dd]ecision ?)?(?:S-|ES-|PRST/)?\d{1,4}/\d{1,4}\b|^\d{3,4} ?\(\d{4}\)|^\d{1,4} ?\([IVXL]+\)")


def _cells(line: list, size: float) -> list[list]:
    """A line's characters parted into cells where they stand more than an em apart."""
    out: list[list] = []
    for c in sorted((c for c in line if c["text"].strip()), key=lambda c: float(c["x0"])):
        if out and float(c["x0"]) - float(out[-1][-1]["x1"]) <= size:
            out[-1].append(c)
        else:
            out.append([c])
    return out


@dataclass
class _Anchor:
    """Where a symbol stands: a run of stacked characters, or a cell that opens with a whole symbol."""
    top: float
    bottom: float
    x0: float
    x1: float
    stacked: bool
    after: float | None = None  # where the next cell on the line starts (a symbol printed whole: its title)


def _anchors(lines: list[list]) -> list[_Anchor]:
    """The page's symbols: runs of stacked characters, and cells opening with a symbol printed whole ("41/128",
    "Decision 55/115") at a place across the page where three lines or more open one."""
    found = [_Anchor(float(r[0]["top"]), float(r[-1]["top"]), min(float(c["x0"]) for c in r),
                     max(float(c["x1"]) for c in r), True) for r in _stacked_runs(lines)]
    cells = []
    for ln in lines:
        parts = _cells(ln, float(ln[0]["size"]))
        for i, cell in enumerate(parts):
            text = _text(cell, float(cell[0]["size"]))
            # the cell holds symbols and nothing else ("41/128", "12/2; 24/24;", "Decision"): a line of running text
            # that opens with a symbol ("79/234 on the ...") is one cell with more words
            if SYMBOL_CELL.match(text) and whole_symbol(text.rstrip(";").rstrip()) or text == "Decision":
                after = float(parts[i + 1][0]["x0"]) if i + 1 < len(parts) else None
                top = float(cell[0]["top"])
                cells.append(_Anchor(top, top, float(cell[0]["x0"]), float(cell[-1]["x1"]), False, after))
    found += [a for g in _at_one_place(cells, lambda a: a.x0) if len(g) >= MIN_RUN for a in g]
    return sorted(found, key=lambda a: a.top)


def _columns(anchors: list[_Anchor], size: float) -> list[tuple[float, float, bool]]:
    """A zone's columns, left to right: (x0 of its symbols, where its titles start, stacked or not)."""
    out = []
    for group in _at_one_place(anchors, lambda a: a.x0):
        x0, stacked = group[0].x0, group[0].stacked
        width = max(a.x1 for a in group)
        titles = [a.after for a in group if a.after is not None and a.after - a.x1 < 20 * size]
        split = width + 1.5 if stacked or not titles else min(titles) - 1
        out.append((x0, split, stacked))
    return out


def _at_one_place(items: list, x0) -> list[list]:
    """``items`` sorted across the page and grouped where their left edges (``x0(item)``) stand within a point and
    a half of the one before: the characters of a stacked column, the cells of a symbol column."""
    groups: list[list] = []
    for item in sorted(items, key=x0):
        if groups and x0(item) - x0(groups[-1][-1]) < 1.5:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def _text(chars: list, size: float) -> str:
    """Characters of one line as text: words where ``pdftable.words_of`` parts them (a printed space, or a gap wider
    than a fifth of the size), one space between."""
    return " ".join(w.text for w in words_of(chars, size))


def _font_kind(c: dict) -> str:
    name = str(c.get("fontname", ""))
    return "bold" if "Bold" in name else "italic" if re.search("Italic|Oblique", name) else ""


def bands(chars: list, page: int, top_limit: float, bottom_limit: float,
          raised: list[list] | None = None) -> tuple[list[Band], set[int]]:
    """The page's mandate-list bands, their rows in reading order, and the ids of the characters they hold.
    ``raised`` are the page's raised numbers (footnote marks, each a run of characters, not among ``chars``): one
    standing in a row's place is that row's mark."""
    body = [c for c in chars if top_limit <= float(c["top"]) <= bottom_limit]  # spaces too: they part words
    all_lines = _lines(body)
    anchors = _anchors(all_lines)
    # zones: a list printed stacked and one printed whole, one under the other, are two lists (a page may have lost
    # the heading between them), each read with its own columns
    zones: list[list[_Anchor]] = []
    for a in anchors:
        if zones and zones[-1][-1].stacked == a.stacked:
            zones[-1].append(a)
        else:
            zones.append([a])
    out, used = [], set()
    for i, zone in enumerate(zones):
        lo = top_limit if i == 0 else zone[0].top - 0.5
        hi = zones[i + 1][0].top - 0.5 if i + 1 < len(zones) else bottom_limit + 1
        lines = [ln for ln in all_lines if lo <= float(ln[0]["top"]) < hi]
        zone_bands, zone_used = _zone_bands(lines, zone, page, raised)
        out += zone_bands
        used |= zone_used
    return out, used


def _zone_bands(lines: list[list], anchors: list[_Anchor], page: int,
                raised: list[list] | None) -> tuple[list[Band], set[int]]:
    """One zone's bands (see :func:`bands`)."""
    columns = _columns(anchors, max(float(c["size"]) for ln in lines for c in ln))
    # the list's size: its symbols' (the page's body may be larger)
    size = Counter(round(float(c["size"]) * 2) / 2 for ln in lines for c in ln
                   if any(x0 - 1 <= float(c["x0"]) < split for x0, split, _ in columns)).most_common(1)[0][0]
    first_x = columns[0][0]
    edges = [x0 for x0, _, _ in columns[1:]] + [float("inf")]

    def foreign(ln: list) -> bool:
        """Is a line not the list's: a heading (all bold or italic), a line standing left of the first column (a
        paragraph's number), or one running across a column's edge (a paragraph the width of the page)?"""
        seen = sorted((c for c in ln if c["text"].strip()), key=lambda c: float(c["x0"]))
        if not seen or float(seen[0]["x1"]) < first_x - 1 or all(_font_kind(c) for c in seen):
            return True
        for edge in edges[:-1]:
            if any(float(c["x0"]) < edge - 1 < float(c["x1"]) for c in seen):
                return True
            if any(float(a["x1"]) <= edge - 1 <= float(b["x0"]) and float(b["x0"]) - float(a["x1"]) < size * 0.6
                   for a, b in zip(seen, seen[1:], strict=False)):
                return True
        return False

    # each column's pieces, line by line: its symbol's characters and its title's (up to the next column)
    elements: list[tuple[float, int, str, list]] = []  # (top, column, "symbol" or "title", the line's characters)
    opens: list[float] = []  # the tops of the lines with a symbol's characters
    outside: list[float] = []  # the tops of the lines that are not the list's
    headings: list[tuple[float, str]] = []  # those that are headings (all bold or italic): (top, text)
    for ln in lines:
        if foreign(ln):
            outside.append(float(ln[0]["top"]))
            if all(_font_kind(c) for c in ln if c["text"].strip()):
                headings.append((float(ln[0]["top"]), _text(ln, size)))
            continue
        for k, ((x0, split, _), edge) in enumerate(zip(columns, edges, strict=True)):
            sym = [c for c in ln if x0 - 1 <= float(c["x0"]) < split and c["text"].strip()]
            title = [c for c in ln if float(c["x0"]) >= split and float(c["x1"]) < edge - 1]
            if sym and title and min(float(c["x0"]) for c in title if c["text"].strip()) - max(
                    float(c["x1"]) for c in sym) < size * ALONE:  # text running on across the column's split (a
                title, sym = sorted(sym + title, key=lambda c: float(c["x0"])), []  # cell spanning both): a title
            if sym:
                elements.append((float(sym[0]["top"]), k, "symbol", sym))
                opens.append(float(sym[0]["top"]))
            if title:
                elements.append((float(title[0]["top"]), k, "title", title))
    elements.sort(key=lambda e: e[0])
    # the bands: from each line with a symbol, up and down through the lines that go on at the list's spacing (a
    # row's padding is wider than a line's, never two lines), stopping at a line that is not the list's
    # (one pass down the lines: a step wider than NEXT_LINE ems, or a foreign line between, cuts the chain of lines;
    # a chain that holds a symbol is a band)
    tops = sorted({e[0] for e in elements})
    outside.sort()
    reach = NEXT_LINE * size
    chains: list[list[float]] = []
    for t in tops:
        prev = chains[-1][-1] if chains else None
        cut = prev is None or t - prev > reach or bisect.bisect_right(outside, t) > bisect.bisect_right(outside, prev)
        if cut:
            chains.append([t])
        else:
            chains[-1].append(t)
    opened = set(opens)
    starts = [e[0] for e in elements]

    def group(top: float, bottom: float) -> list:
        return elements[bisect.bisect_left(starts, top - 0.5):bisect.bisect_right(starts, bottom + 0.5)]

    spans = []
    for c in chains:
        g = group(c[0], c[-1])
        if not any(t in opened for t in c) or sum(1 for e in g if e[2] == "symbol") < 2:
            continue  # one stray figure is not a list
        titles = ["".join(ch["text"] for ch in e[3]) for e in g if e[2] == "title"]
        if titles and all(FIGURES.match(t) for t in titles):
            continue  # a table's rows whose first cells read like symbols ("2023/24"): figures beside, not titles
        spans.append((c[0], c[-1], False))
    if spans:  # among lists, a list of titles alone in their columns (see :func:`_titles_alone`)
        spans += [(c[0], c[-1], True) for c in chains if not any(t in opened for t in c)
                  and _titles_alone(group(c[0], c[-1]), c[0], columns, headings, size)]
        spans.sort()
    out, used = [], set()
    for top, bottom, alone in spans:
        g = group(top, bottom)
        rows: list[ListRow] = []
        for k, ((x0, _, stacked), edge) in enumerate(zip(columns, edges, strict=True)):
            col_rows = _rows([e for e in g if e[1] == k], page, size, stacked)
            if col_rows and alone:  # no symbol to tell: see _wraps
                col_rows[0].goes_on = k > 0 and _wraps([e for e in g if e[1] == k - 1], [e for e in g if e[1] == k],
                                                       size)
                for r in col_rows:
                    r.spans = True
            elif col_rows:
                col_rows[0].goes_on = True
            row_tops = [r.top - size / 2 for r in col_rows]
            for run in raised or []:  # a mark raised in a row's place is the row's
                at = float(run[0]["top"])
                i = bisect.bisect_right(row_tops, at) - 1
                if col_rows and x0 - 1 <= float(run[0]["x0"]) < edge - 1 and i >= 0 and at < bottom + size:
                    col_rows[i].marks.append("".join(c["text"] for c in run))
                    used.update(id(c) for c in run)
            rows += col_rows
        used.update(id(c) for e in g for c in e[3])
        out.append(Band(top, bottom + size, rows, tuple(sorted({st for _, _, st in columns}))))
    return out, used


def _titles_alone(g: list, top: float, columns: list, headings: list[tuple[float, str]], size: float) -> bool:
    """Is a stretch of lines with no symbol a list of titles alone ("Commission on Narcotic Drugs statements and
    declarations": "Political Declaration and Plan of Action ...", in Word a cell across both the symbol's and the
    title's)? It stands right under a heading that names a list ("... statements and declarations", within three
    ems), on a page of lists whose columns it keeps: every line opens where a column's symbols stand, none runs
    across a column's edge (those are the page's running text)."""
    from drugpolicy_kg.sources.extract import ISSUER_HEADING

    above = [(t, text) for t, text in headings if t < top]
    if not g or not above or top - above[-1][0] > 3 * size or not ISSUER_HEADING.match(above[-1][1]):
        return False
    return all(e[2] == "title" and abs(_left(e[3]) - columns[e[1]][0]) < 1.5 for e in g)


def _left(chars: list) -> float:
    return min(float(c["x0"]) for c in chars if c["text"].strip())


def _wraps(before: list, after: list, size: float) -> bool:
    """Does the first line of a column of titles alone (``after``'s elements) go on with the last line of the column
    before: would its first word not have fitted on that line, so that the line broke there as a line breaks, not
    as a cell ends? The column's measure is the widest of its lines."""
    if not before or not after:
        return False
    last = max(before, key=lambda e: e[0])[3]
    measure = max(float(c["x1"]) for e in before for c in e[3] if c["text"].strip())
    first = sorted((c for c in min(after, key=lambda e: e[0])[3]), key=lambda c: float(c["x0"]))
    word = words_of(first, size)[0]
    end = max(float(c["x1"]) for c in last if c["text"].strip())
    return end + size * 0.25 + (word.x1 - word.x0) > measure + 0.5


def _rows(col: list, page: int, size: float, stacked: bool) -> list[ListRow]:
    """One column's rows in a band: a step wider than the column's line pitch starts one."""
    if not col:
        return []
    tops = sorted({round(e[0], 1) for e in col})
    # the line pitch: the smallest step down the column (a cell's next line); a row's padding makes a wider one
    pitch = min((b - a for a, b in zip(tops, tops[1:], strict=False) if b - a >= 0.9 * size), default=size * 1.15)
    # a line opening a symbol opens a row, unless the symbol line above runs on ("12/2; 24/24;" / "36/21; 42/28",
    # "Decision" / "56/116")
    opening, runs_on = set(), False
    for e in ([] if stacked else [e for e in col if e[2] == "symbol"]):
        text = _text(e[3], size)
        if SYMBOL_CELL.match(text) and not runs_on:
            opening.add(round(e[0], 1))
        runs_on = not whole_symbol(text)  # "12/2; 24/24;", "Decision": the symbol goes on on the next line
    starts = [tops[0]] + [b for a, b in zip(tops, tops[1:], strict=False) if b - a > ROW_STEP * pitch or b in opening]
    rows = []
    by_row: list[list] = [[] for _ in starts]
    for e in sorted(col, key=lambda e: e[0]):
        by_row[max(0, bisect.bisect_right(starts, round(e[0], 1)) - 1)].append(e)
    for start, mine in zip(starts, by_row, strict=True):
        pieces = [_text(e[3], size) for e in mine if e[2] == "symbol"]
        lines = [_text(e[3], size) for e in mine if e[2] == "title"]
        rows.append(ListRow("".join(pieces) if stacked else join_lines(pieces), join_lines(lines), start, page,
                            lines=lines, stacked=stacked))
    return rows


def continues(before: ListRow, row: ListRow) -> bool:
    """Does ``row`` (the first of a column or a page) go on with ``before`` (see the module's docstring)?"""
    if not row.symbol:
        return True
    if row.symbol[:1] in "/;)" or row.title[:1].islower():
        return True
    if before.title and not row.title:
        return True
    return not whole_symbol(before.symbol)
