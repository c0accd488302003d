"""A table printed on pages, put back into rows and cells from where its words stand.

A PDF keeps no table grid: a table is words at places. A reader finds the grid the way the eye does:

- **columns** are the runs of the page's width that the table's cells cover, read from the lines that hold two cells
  or more (a line of one cell may span several columns: "C. Substantive deliverables"). A stretch that hardly any
  line covers (a header spanning three columns crosses two gaps that every figure leaves open) is a gap between
  columns;
- **rows** start where the space between two lines is wider than a line's own spacing (a cell's padding), or where a
  line puts words in a column that the row being read already has (two figures are never one cell);
- a **cell** is its column's words in the row, top to bottom; a word that runs across columns makes a cell that spans
  them, as Word's ``gridSpan`` does; raised letters (a table note's mark, "641\u1d43") are kept with where they stand.

A table that cannot be read as a grid is refused whole, never guessed: a column one character wide whose characters
stand one a line (LibreOffice prints some narrow columns that way) would give symbols like "S" and "2".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

RAISED = 0.75   # a character under this fraction of its line's size is raised (a note mark)
ROW_GAP = 1.25  # a step between lines wider than this many times their size starts a row (a cell's padding)
MARK = re.compile(r"^(?:\d{1,3}|[A-Z]|[ivx]{1,5})\.$|^\([a-z]{1,4}\)$")  # an item's number: "2.", "B.", "(iv)"
FIGURE = re.compile(r"^\(?[\d ,.–-]+\)?[a-z]?$")


@dataclass
class Word:
    text: str
    x0: float
    x1: float
    raised: list[tuple[int, int]] = field(default_factory=list)  # raised runs in ``text``


@dataclass
class TableLine:
    words: list[Word]
    top: float
    size: float
    page: int
    rules: list[tuple[float, float]] = field(default_factory=list)  # short rules drawn right under it: (x0, x1)


@dataclass
class Row:
    cells: list[str]
    spans: list[int]
    raised: list[list[tuple[int, int]]]
    page: int


def words_of(chars: list, size: float) -> list[Word]:
    """A line's characters as words: split where a space is printed or the gap between two characters is wider than
    a fifth of the line's size."""
    words: list[Word] = []
    cur: list = []

    def flush() -> None:
        if not cur:
            return
        text, runs = "", []
        for c in cur:
            if float(c["size"]) < size * RAISED and c["text"].isalpha():
                if runs and runs[-1][1] == len(text):
                    runs[-1] = (runs[-1][0], len(text) + len(c["text"]))
                else:
                    runs.append((len(text), len(text) + len(c["text"])))
            text += c["text"]
        words.append(Word(text, float(cur[0]["x0"]), float(cur[-1]["x1"]), runs))
        cur.clear()

    for c in sorted(chars, key=lambda c: float(c["x0"])):
        if not c["text"].strip():
            flush()
            continue
        if cur and float(c["x0"]) - float(cur[-1]["x1"]) > size * 0.2:
            flush()
        cur.append(c)
    flush()
    return words


def _justified(line: TableLine) -> bool:
    """Is the line a cell's justified text: its spaces all stretched alike (however wide), its words words, not
    figures ("2024 2024 2025 2026" is a header's, one figure among words is a sentence's: "over 170,000 observations")?"""
    gaps = sorted(b.x0 - a.x1 for a, b in zip(line.words, line.words[1:], strict=False))
    figures = sum(1 for w in line.words[1:] if FIGURE.match(w.text))
    if len(gaps) < 3 or figures > 1 or len(line.words) - figures < 4:
        return False
    median = max(gaps[len(gaps) // 2], line.size * 0.2)
    # alike: all but the widest within a third of the median of each other (headings over columns stand unevenly)
    return gaps[-1] <= 2 * median and gaps[-2] - gaps[0] <= max(1.0, median / 3)


def _over_columns(line: TableLine, cols: list[tuple[float, float]]) -> bool:
    """Does each word of the line stand over a column of its own past the first, one word a column ("planned actual
    planned planned", each over its figures)? Then it is a header's line, however evenly its words stand: a
    justified line of a cell runs on from the first column's text."""
    hits = [[i for i, (a, b) in enumerate(cols) if w.x0 < b and w.x1 > a] for w in line.words]
    return all(len(h) == 1 and h[0] > 0 for h in hits) and len({h[0] for h in hits}) == len(hits)


def _phrases(line: TableLine) -> list[tuple[float, float]]:
    """The stretches of a line that its cells cover: words closer than two thirds of the line's size are one, and a
    justified line is one."""
    if _justified(line):
        return [(line.words[0].x0, line.words[-1].x1)]
    out: list[list[float]] = []
    for w in line.words:
        if out and w.x0 - out[-1][1] <= line.size * 0.66:
            out[-1][1] = max(out[-1][1], w.x1)
        else:
            out.append([w.x0, w.x1])
    return [(a, b) for a, b in out]


def columns(lines: list[TableLine]) -> list[tuple[float, float]]:
    """The table's columns as (x0, x1), left to right (see the module's docstring)."""
    multi = [ph for ln in lines if len(ph := _phrases(ln)) >= 2]
    if not multi:
        return []
    edges = sorted({round(x, 1) for ph in multi for a, b in ph for x in (a, b)})
    allowed = len(multi) // 8  # a gap hardly any line covers: a spanning header's, a long label's
    cols: list[list[float]] = []
    for a, b in zip(edges, edges[1:], strict=False):
        mid = (a + b) / 2
        covered = sum(1 for ph in multi if any(x0 <= mid <= x1 for x0, x1 in ph))
        if covered > allowed:
            if cols and cols[-1][1] >= a:
                cols[-1][1] = b
            else:
                cols.append([a, b])
    return [(a, b) for a, b in cols]


def rows(lines: list[TableLine]) -> list[Row] | None:
    """The table's rows, or None where its lines make no grid (see the module's docstring)."""
    if sum(1 for ln in lines if ln.words and len(ln.words[0].text) == 1) > 0.4 * len(lines):
        return None  # a column one character wide, its text standing one character a line
    cols = columns(lines)
    first = [w for ln in lines if not _justified(ln) for w in ln.words if w.x1 <= cols[0][1] + 0.5] if cols else []
    if len(cols) > 2 and first and all(MARK.match(w.text) for w in first):
        # item numbers printed out in the margin of the first column ("2.", "10." left of their labels): one column
        cols = [(cols[0][0], cols[1][1]), *cols[2:]]
    if len(cols) < 2:
        return None
    out: list[Row] = []
    grid: list[dict[int, list[Word]]] = []
    spans: list[dict[int, int]] = []
    pages: list[int] = []
    last: TableLine | None = None
    for ln in lines:
        placed: dict[int, list[Word]] = {}
        span: dict[int, int] = {}
        whole = _justified(ln) and not _over_columns(ln, cols) and Word("", ln.words[0].x0, ln.words[-1].x1)
        for w in ln.words:
            at = whole or w
            hit = [i for i, (a, b) in enumerate(cols) if at.x0 < b and at.x1 > a] or [_nearest(cols, at)]
            under = next(((a, b) for a, b in ln.rules if a - 1 <= (w.x0 + w.x1) / 2 <= b + 1), None)
            if under is not None and not FIGURE.match(w.text):
                # a heading with a rule drawn under it ("Changes" over five columns) spans the columns the rule spans
                hit = [i for i, (a, b) in enumerate(cols) if under[0] - 1 <= (a + b) / 2 <= under[1] + 1] or hit
            placed.setdefault(hit[0], []).append(w)
            if len(hit) > 1:
                span[hit[0]] = max(span.get(hit[0], 1), hit[-1] - hit[0] + 1)
        new = (last is None or ln.page != last.page and not _continues(grid[-1], placed)
               or ln.page == last.page and ln.top - last.top > ROW_GAP * max(ln.size, last.size)
               or any(i in grid[-1] and any(FIGURE.match(w.text) for w in ws) for i, ws in placed.items() if i > 0))
        if new:
            grid.append({})
            spans.append({})
            pages.append(ln.page)
        for i, ws in placed.items():
            grid[-1].setdefault(i, []).extend(ws)
        for i, n in span.items():
            spans[-1][i] = max(spans[-1].get(i, 1), n)
        last = ln
    for cells, span, page in zip(grid, spans, pages, strict=True):
        row_cells, row_spans, row_raised = [], [], []
        i = 0
        while i < len(cols):
            text, raised = _join(cells.get(i, []))
            n = span.get(i, 1)
            # a cell whose words run past its column's edge: the columns it covers are one cell (a span starts only
            # where a word was placed, so ``text`` is never empty here)
            for j in range(i + 1, i + n):
                if cells.get(j):
                    more, more_raised = _join(cells[j])
                    raised += [(a + len(text) + 1, b + len(text) + 1) for a, b in more_raised]
                    text = f"{text} {more}"
            row_cells.append(text)
            row_spans.append(n)
            row_raised.append(raised)
            i += n
        out.append(Row(row_cells, row_spans if any(n > 1 for n in row_spans) else [],
                       row_raised if any(row_raised) else [], page))
    return _without_repeated_header(out)


def _nearest(cols: list[tuple[float, float]], w: Word) -> int:
    mid = (w.x0 + w.x1) / 2
    return min(range(len(cols)), key=lambda i: min(abs(mid - cols[i][0]), abs(mid - cols[i][1])))


def _continues(row: dict[int, list[Word]], placed: dict[int, list[Word]]) -> bool:
    """Does a page's first line go on with the row the page before ended with? Only where it adds to the first
    column alone, in lower case (a label cut by the page break)."""
    return set(placed) == {0} and bool(placed[0]) and placed[0][0].text[:1].islower() and 0 in row


def _join(words: list[Word]) -> tuple[str, list[tuple[int, int]]]:
    """A cell's words as its text (a word cut by a hyphen at a line's end joins the next), with the raised runs."""
    text, raised = "", []
    for w in words:
        joined = not text or text.endswith("-") and len(text) > 1 and text[-2].isalpha() and w.text[:1].isalpha()
        glue = "" if joined else " "
        base = len(text) + len(glue)
        raised += [(a + base, b + base) for a, b in w.raised]
        text += glue + w.text
    return text, raised


def _without_repeated_header(out: list[Row]) -> list[Row]:
    """A table's header printed again on each page it runs onto is read once."""
    if len(out) < 2:
        return out
    head = out[0]
    keep = [out[0]]
    after_header = False
    for prev, row in zip(out, out[1:], strict=False):
        if row.page != prev.page and row.cells == head.cells:
            after_header = True
            continue
        if after_header and row.cells[0][:1].islower() and not any(row.cells[1:]) and len(keep) > 1:
            # a label the page break cut, its rest under the header printed again: one cell
            keep[-1].cells[0] = f"{keep[-1].cells[0]} {row.cells[0]}"
            after_header = False
            continue
        after_header = False
        keep.append(row)
    return keep
