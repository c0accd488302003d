"""Check every quote in the graph against the text of its source document.

Quotes are compared after :func:`normalise`: runs of whitespace become one
space, and the Markdown markup of the source renderings (``**bold**``,
``*italic*``, ``[link](#)``, backslash escapes) is dropped. Nothing else is
forgiven: a changed word, letter or punctuation mark fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from drugpolicy_kg.errors import InputError
from drugpolicy_kg.graph.oxi import value_rows
from drugpolicy_kg.resources import internal_query, source_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from rdflib import Graph

_LINK = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")  # no "[" inside: each scan stops at the next "[", so linear
_ESCAPE = re.compile(r"\\([()\[\]*_#\\.!-])")


@lru_cache(maxsize=1 << 16)  # the same quotes are normalised again in every trace page that shows them
def normalise(text: str) -> str:
    """Collapse whitespace and drop Markdown markup.

    >>> normalise("**World Health\\nOrganization**")
    'World Health Organization'
    >>> normalise("[Goals \\\\(SDGs\\\\) 3](#)")
    'Goals (SDGs) 3'
    """
    text = _LINK.sub(r"\1", text)
    text = _ESCAPE.sub(r"\1", text)
    text = text.replace("**", "").replace("*", "")
    return " ".join(text.split())


@dataclass(frozen=True)
class QuoteProblem:
    evidence: str
    source: str
    message: str


QUOTES = internal_query("quotes.rq")
CELLS = internal_query("cell-quotes.rq")


def _in_order(rows) -> list[tuple]:
    """Rows of plain values (None where unbound) sorted, so that what is checked first, and the problems' order, never
    depend on the order the engine joins in (a quote with two sources is checked against the least first).

    >>> _in_order([("b", None), ("a", "x"), ("b", "")])
    [('a', 'x'), ('b', ''), ('b', None)]
    """
    return sorted(rows, key=lambda row: tuple((v is None, v or "") for v in row))


def _check_cells(graph, texts: dict[str, str], lines: dict[str, set[str]]) -> list[QuoteProblem]:
    """The evidence of a table cell: its row must be a line of the source, the quote one of that row's cells (the row's
    text separates them by tabs), and each header cell and table line that places it must stand in the source."""
    problems: list[QuoteProblem] = []
    seen: set[tuple[str, str]] = set()
    placed: dict[tuple[str, str], bool] = {}
    for ev, file, quote, row, line in _in_order(value_rows(graph, CELLS)):
        name = file or ""
        if not texts.get(name):
            continue  # no text to check against: said once by the quote check above
        if (ev, "row") not in seen:
            seen.add((ev, "row"))
            raw_row = row
            if normalise(raw_row) not in lines.get(name, ()):
                problems.append(QuoteProblem(ev, name, f"the cell's row is not a line of {name}: {raw_row[:80]!r}"))
            elif quote not in [c.strip() for c in raw_row.split("\t")]:
                problems.append(QuoteProblem(ev, name, f"the quote {quote[:40]!r} is not a cell of its row "
                                                            f"{raw_row[:80]!r}"))
        if line is not None and (ev, line) not in seen:
            seen.add((ev, line))
            if (name, line) not in placed:  # a header or table line places every cell under it: searched for once
                placed[(name, line)] = normalise(line) in texts[name]
            if not placed[(name, line)]:
                problems.append(QuoteProblem(ev, name, f"the cell's header or table line is not in {name}: {line[:80]!r}"))
    return problems


class _Unsure(NamedTuple):
    """A quote no whole line of its source is, searched for in the text after all quotes are read."""

    evidence: str
    source: str
    folded: str  # normalised
    quote: str  # as written


HEAD = 16  # characters of a quote's start looked up where a word of the text starts


def places(text: str, quotes, starts) -> Iterator[tuple[int, str]]:
    """Each (place, quote) where one of ``quotes`` at least HEAD characters long stands in ``text`` starting at one of
    the places ``starts``: looked up there by its first HEAD characters, one pass for all the quotes (thousands may
    share a start: one lookup per length). Shorter quotes are never found so.

    >>> list(places("on Narcotic Drugs and on Narcotic Drugs", {"on Narcotic Drugs", "Narcotic Drugs and on"}, range(40)))
    [(0, 'on Narcotic Drugs'), (3, 'Narcotic Drugs and on'), (22, 'on Narcotic Drugs')]
    """
    by_head: dict[str, dict[int, set[str]]] = {}  # the first characters -> length -> the quotes so long
    for q in quotes:
        if len(q) >= HEAD:
            by_head.setdefault(q[:HEAD], {}).setdefault(len(q), set()).add(q)
    if not by_head:
        return
    get = by_head.get
    for at in starts:
        lengths = get(text[at:at + HEAD])
        if lengths:
            for length, same in lengths.items():
                piece = text[at:at + length]
                if piece in same:
                    yield at, piece


FEW_STARTS = 32  # distinct two-character starts of the quotes up to which :func:`starts_of` finds their places


def starts_of(text: str, quotes) -> Iterable[int]:
    """The places of ``text`` that :func:`places` need look at for ``quotes``, ascending: where the first two
    characters of one at least HEAD long stand, found by searching for each such pair; every place where the quotes
    start in more than FEW_STARTS ways (each pair one more pass over the text, and the places found so many that
    looking at every one was quicker). A million triples' synthetic source, 7 MB and 39,983 quotes in five ways:
    98,000 places, 0.15 s where looking at all 7 million took 0.9 s.

    >>> text = "on Narcotic Drugs and on Narcotic Drugs"
    >>> quotes = {"on Narcotic Drugs", "Narcotic Drugs and on"}
    >>> list(starts_of(text, quotes))
    [0, 3, 22, 25]
    >>> list(places(text, quotes, starts_of(text, quotes))) == list(places(text, quotes, range(len(text))))
    True
    """
    pairs = {q[:2] for q in quotes if len(q) >= HEAD}
    if len(pairs) > FEW_STARTS:
        return range(len(text) - HEAD + 1)
    at = []
    for pair in pairs:
        i = text.find(pair)
        while i >= 0:
            at.append(i)
            i = text.find(pair, i + 1)  # (overlapping places too: "aa" stands twice in "aaa")
    at.sort()  # (no place twice: two pairs never start at the same place)
    return at


def _standing_in(text: str, quotes: set[str]) -> set[str]:
    """The ``quotes`` that stand in ``text``: each looked up by its first characters where a word of the text starts,
    one pass over the text for all of them (a search of the whole text per quote took 30 s for 45,000 quotes at a
    million triples); a quote not found so (shorter than the lookup, starting inside a word, or not there) is searched
    for in the whole text, as before.

    >>> sorted(_standing_in("the Commission on Narcotic Drugs met in Vienna", {"Commission on Narcotic Drugs met",
    ...                                                                            "ission on Narcotic", "Vienna", "Geneva"}))
    ['Commission on Narcotic Drugs met', 'Vienna', 'ission on Narcotic']
    """
    found = {q for _, q in places(text, quotes, (m.start() for m in re.finditer(r"(?<!\S)\S", text)))}
    return found | {q for q in quotes - found if q in text}


def check_quotes(graph: Graph, sources_dir: Path) -> tuple[int, list[QuoteProblem]]:
    """Return (quotes checked, problems): quotes not found verbatim, sources without text, text never cited.

    >>> from drugpolicy_kg.resources import Project
    >>> from drugpolicy_kg.graph.store import GraphStore
    >>> p = Project.open()
    >>> n, problems = check_quotes(GraphStore.open(p).rdflib(), p.sources_dir)
    >>> n > 50, problems
    (True, [])
    """
    texts: dict[str, str] = {}
    lines: dict[str, set[str]] = {}  # whole normalised lines: a set lookup before the substring search
    problems: list[QuoteProblem | _Unsure] = []
    cited: set[str] = set()
    searched: dict[str, set[str]] = {}  # file -> the normalised quotes no whole line of it is
    n = 0
    for ev, doc, file, quote, row in _in_order(value_rows(graph, QUOTES)):
        n += 1
        if row is None and len(str(quote).strip()) < 3:
            problems.append(QuoteProblem(str(ev), str(doc), f"a quote of a passage is at least 3 characters: {str(quote)!r} "
                                                            "says nothing a reader could find (a table cell's evidence "
                                                            "gives its row in dpo:rowText)"))
        if file is None:
            problems.append(QuoteProblem(str(ev), str(doc), "the evidence's source has no dpo:textFile to check the quote against"))
            continue
        name = str(file)
        cited.add(name)
        if name not in texts:
            path = source_text(sources_dir, name)
            if path is None:
                problems.append(QuoteProblem(str(ev), name, f"source text not found: no file {name!r} in {sources_dir} "
                                             "(a dpo:textFile is a file name there, never a path or a link out of it)"))
                texts[name] = ""
                continue
            try:
                raw = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError as exc:
                raise InputError(f"not UTF-8 text (byte {exc.start}): save it as UTF-8", str(path)) from None
            except OSError as exc:
                raise InputError(f"cannot read the source text: {exc.strerror}", str(path)) from None
            texts[name] = normalise(raw)
            lines[name] = {normalise(line) for line in raw.splitlines()}
        q = normalise(str(quote))
        if texts[name] and q not in lines.get(name, ()):
            searched.setdefault(name, set()).add(q)
            problems.append(_Unsure(str(ev), name, q, str(quote)))  # (a problem if the search below does not find it)
    found = {name: _standing_in(texts[name], quotes) for name, quotes in searched.items()}
    problems = [p if isinstance(p, QuoteProblem) else  # (in the order the quotes were read in)
                QuoteProblem(p.evidence, p.source, f"quote not found verbatim in {p.source}: {p.quote[:80]!r}")
                for p in problems if isinstance(p, QuoteProblem) or p.folded not in found[p.source]]
    problems += _check_cells(graph, texts, lines)
    if sources_dir.is_dir():
        for path in sorted(sources_dir.glob("*.txt")):
            if path.name not in cited:
                problems.append(QuoteProblem("", path.name, f"source text {path.name} is cited by no evidence"))
    return n, problems
