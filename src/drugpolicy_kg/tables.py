"""Plain-text tables for the terminal, and the escaping of data for the terminal and Markdown.

No dependency, so ``--help`` stays fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence

# C0 and C1 control characters (an ESC starts a terminal escape sequence), DEL, and the bidi
# overrides that can make text display as something else.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~])")  # what can start markup inside a line of text
# What XML 1.0 cannot hold at all (a Word file, GraphML, GEXF): C0 controls but tab and newlines, lone surrogates,
# U+FFFE and U+FFFF
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def terminal_safe(text: object) -> str:
    r"""Data as the terminal may show it: control characters become visible escapes, never act.

    >>> print(terminal_safe("a\x1b[31mred"))
    a\x1b[31mred
    """
    def visible(m: re.Match) -> str:
        code = ord(m.group())
        if m.group() in "\t\n\r":  # white space: shown as a space (a row's cells, a line break in a quote)
            return " "
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROL.sub(visible, "" if text is None else str(text))


def xml_safe(text: object) -> str:
    r"""Data as XML can hold it: a character XML forbids becomes a visible escape, the rest stays as it is.

    >>> xml_safe("a\x01b\tc")
    'a\\x01b\tc'
    """
    return _XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                            "" if text is None else str(text))


# Controls a text document never holds (tab, line and page breaks aside): a NUL says UTF-16 or a binary file, an
# ESC a terminal's escape sequence.
_TEXT_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
# What a Turtle file written by the project spells as \u escapes: every C0 control but tab and line breaks, and DEL
_TURTLE_ESCAPED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def first_control(text: str) -> int:
    r"""The offset of the first control character a text document never holds, or -1.

    >>> first_control("a\tb\nc"), first_control("a\x00b")
    (-1, 1)
    """
    m = _TEXT_CONTROL.search(text)
    return m.start() if m else -1


def turtle_safe(n3: str) -> str:
    r"""A term in Turtle, with the control characters written as \u escapes (Turtle reads them back as the same
    characters): a NUL or an ESC in a data file would make it binary to grep and diff, or act on the terminal that
    shows it.

    >>> print(turtle_safe('"a\x1bb"'))
    "a\u001Bb"
    """
    return _TURTLE_ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04X}", n3)


def spreadsheet_safe(value: object) -> object:
    """A CSV cell as a spreadsheet may open it: text that a spreadsheet would run as a formula (it begins with
    =, +, -, @, a tab or a carriage return) gets a leading apostrophe, as OWASP advises; numbers stay numbers.

    >>> spreadsheet_safe("=HYPERLINK(1)"), spreadsheet_safe("-3"), spreadsheet_safe(-3), spreadsheet_safe("UNODC")
    ("'=HYPERLINK(1)", "'-3", -3, 'UNODC')
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def markdown_safe(text: object) -> str:
    r"""Data as Markdown text: one line, control characters escaped, and every character that can open markup
    inside a line backslashed (a link needs its "[", so parentheses stay plain).

    >>> print(markdown_safe("*bold* [link](x) <b> UNODC-WHO (ISN)"))
    \*bold\* \[link\](x) \<b\> UNODC-WHO (ISN)
    >>> "calls for" + markdown_safe(" A/80/6 ") + "and"  # a piece of a sentence keeps the spaces around it
    'calls for A/80/6 and'
    """
    raw = str("" if text is None else text)
    out = _MARKDOWN.sub(r"\\\1", terminal_safe(" ".join(raw.split())))
    # at the start of a line, "-", "+", "=" and "1." begin a list or a heading underline: keep them text
    out = re.sub(r"^(\d+)([.)])", r"\1\\\2", out)  # "1." -> "1\." (a digit cannot be escaped, its dot can)
    out = re.sub(r"^([-+=])", r"\\\1", out)
    if not out:
        return " " if raw[:1].isspace() else ""
    return (" " if raw[:1].isspace() else "") + out + (" " if raw[-1:].isspace() else "")


def fit_table(headers: Sequence[str], rows: Sequence[Sequence[object]], width: int | None = None,
              wide: bool = False) -> tuple[str, int]:
    """Align columns to fit ``width`` (the terminal's, by default): the widest columns give way first, down to 8
    characters, and a cell that no longer fits is cut with an ellipsis. Returns the table and how many cells were
    cut, so the caller can say so; ``wide`` cuts nothing.

    >>> text, cut = fit_table(["a", "b"], [["x" * 50, "y" * 50]], width=40)
    >>> cut, max(len(line) for line in text.splitlines()) <= 40
    (2, True)
    """
    import shutil

    body = [[terminal_safe(" ".join(str("" if v is None else v).split())) for v in r] for r in rows]
    natural = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(headers)]
    widths = list(natural)
    if not wide:
        room = (width or shutil.get_terminal_size((120, 24)).columns) - 2 * (len(headers) - 1)
        cap = max(natural, default=0)  # the widest columns give way to one common cap, the narrow ones keep theirs
        while cap > 8 and sum(min(w, cap) for w in natural) > room:
            cap -= 1
        widths = [min(w, cap) for w in natural]
    cut = 0

    def cell(s: str, w: int) -> str:
        nonlocal cut
        if len(s) <= w:
            return s.ljust(w)
        cut += 1
        return s[: w - 1] + "…"

    lines = ["  ".join(h[:w].ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(cell(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(lines), cut


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]], max_width: int = 60) -> str:
    """Align columns; cells longer than ``max_width`` are cut with an ellipsis.

    >>> print(format_table(["a", "bb"], [[1, "x"], [22, "yy"]]))
    a   bb
    --  --
    1   x
    22  yy
    """
    return "\n".join(table_lines(headers, rows, max_width))


CELLS_KEPT = 100_000  # the distinct texts table_lines keeps made into cells (the repeated ones come early)
ROWS_AT_ONCE = 4_096  # the rows table_lines makes into cells together, column by column


def cell_text(text: str, max_width: int) -> str:
    r"""A value as a table cell: its white space one space, control characters made visible, cut to ``max_width``
    with an ellipsis. A text of printable characters and single spaces (nearly every one) is its own cell, with no
    pass over it (a validation's 953,002 findings: about two million values, nearly all unlike each other).

    >>> cell_text("a\tb  c", 5), cell_text("a\x1b[31m", 20), cell_text("abcdef", 4)
    ('a b c', 'a\\x1b[31m', 'abc…')
    """
    if not (text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "):
        text = terminal_safe(" ".join(text.split()))
    return text if len(text) <= max_width else text[: max_width - 1] + "…"


def table_lines(headers: Sequence[str], rows: Sequence[Sequence[object]] | Callable[[], Iterable[Sequence[object]]],
                max_width: int = 60) -> Iterator[str]:
    """:func:`format_table`'s lines, one at a time: the rows are gone through twice (their widths, then their
    lines), never held as cells or text whole. ``rows``: a sequence, or what gives them anew when called. (A
    validation of 953,002 findings held its table three times: its cells, its lines and their text, 320 MB.)
    The rows are taken :data:`ROWS_AT_ONCE` at a time and made into cells a column at a time, where a cell made
    already is looked up, not made again (one function call a cell, 9.5 million of them, had been most of the 10 s
    the 953,002 findings' table took).

    >>> list(table_lines(["a"], lambda: iter([["x"], [None]])))
    ['a', '-', 'x', '']
    """
    import itertools

    made: dict[str, str] = {}  # a text -> its cell: a long table repeats most of its values (155,000 findings of a
    # validation at a million triples: a few dozen severities, messages, paths and files among them)
    n = len(headers)

    def columns(chunk: list[Sequence[object]], full: list[bool] | None = None) -> list[list[str]]:
        """The chunk's cells, a column at a time (an empty list for a column ``full`` says is at its widest)."""
        if any(len(r) != n for r in chunk):
            raise ValueError(f"a row of the table has not {n} cells")
        get = made.get
        out = []
        for i, values in enumerate(zip(*chunk)):  # (a chunk is never empty)
            cells = []
            out.append(cells)
            if full is not None and full[i]:
                continue
            for v in values:
                text = v if type(v) is str else "" if v is None else str(v)
                c = get(text)
                if c is None:
                    c = cell_text(text, max_width)
                    if len(made) < CELLS_KEPT:
                        made[text] = c
                cells.append(c)
        return out

    def chunks() -> Iterator[list[Sequence[object]]]:
        it = iter(rows() if callable(rows) else rows)
        while chunk := list(itertools.islice(it, ROWS_AT_ONCE)):
            yield chunk

    widths = [len(h) for h in headers]
    for chunk in chunks():  # (a cell is cut to max_width: a column that is that wide already is not made into cells
        # for its width, only for its lines; the focus and message columns of a long validation, about half the pass)
        for i, cells in enumerate(columns(chunk, [w >= max_width for w in widths])):
            if cells:
                widths[i] = max(widths[i], max(map(len, cells)))
    yield "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    yield "  ".join("-" * w for w in widths)
    for chunk in chunks():
        padded = [[c.ljust(w) for c in cells] for cells, w in zip(columns(chunk), widths)]
        if not padded:  # (no columns: a blank line a row)
            yield from [""] * len(chunk)
        for parts in zip(*padded):
            yield "  ".join(parts).rstrip()
