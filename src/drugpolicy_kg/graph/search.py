"""Full-text search over the graph: entities by their names, facts by the words of the quotes that state them.

The index is an SQLite FTS5 database (in the standard library) kept beside the store it was built
from (``search.sqlite`` in the store's folder): a store never changes once built, so neither does
its index. It is built the first time a search asks for it, in a temporary file moved into place
in one step; a read-only cache is indexed in memory for each search instead.

What the user types never becomes query syntax: it is split into words, and each word is given
to FTS5 as a quoted string (so ``NEAR``, ``OR``, ``*``, ``"`` or ``:`` in the text are words, not
operators). Every word must occur; results are ranked by BM25. Matching ignores case and
diacritics ("resolución" finds "resolucion").
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from pathlib import Path

from drugpolicy_kg.errors import UsageError
from drugpolicy_kg.records import Record
from drugpolicy_kg.resources import PREFIXES

INDEX_FILE = "search.sqlite"
INDEX_VERSION = "2"  # (2: SDG goals and targets by their codes, with their kinds)
TOKENIZER = "unicode61 remove_diacritics 2"
# Every name and every typing, with no filter: which subjects are the graph's own entities (IRIs in its namespace or the
# SDG concepts') and which names are English or untagged is asked in Python (see _entity_rows), in the engine's
# order. Filtered in the query, each subject was written out as text to test its start: at a million triples 0.55 and
# 0.89 s, against 0.30 and 0.53 s read whole (the same rows: tests/test_search.py holds the filtered forms)
NAMES = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?s ?name WHERE { ?s rdfs:label|skos:altLabel|skos:prefLabel|dcterms:title ?name }"""
TYPES = "SELECT ?s ?t WHERE { ?s a ?t }"
ENTITY_PREFIXES = (PREFIXES["dpk"], PREFIXES["sdg"])
# an SDG goal or target, found by its code as people write it and named as trace names it ("SDG 3.5: ...")
SDG_CODES = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX sdgo: <http://metadata.un.org/sdg/ontology#>
SELECT ?s ?title WHERE {
  VALUES ?t { sdgo:Goal sdgo:Target }
  ?s a ?t .
  OPTIONAL { ?s skos:prefLabel ?title FILTER(LANGMATCHES(LANG(?title), "en")) }
}"""
QUOTES = """
PREFIX dpo: <https://w3id.org/drugpolicy-kg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?ev ?quote ?locator ?source WHERE {
  { SELECT ?ev ?quote WHERE { ?ev dpo:quote ?quote } }
  OPTIONAL { SELECT ?ev ?locator WHERE { ?ev dpo:locator ?locator } }
  OPTIONAL { SELECT ?ev ?source WHERE { { SELECT ?ev ?doc WHERE { ?ev dcterms:source ?doc } }
                                       { SELECT ?doc ?source WHERE { ?doc rdfs:label ?source } } } }
}"""
# the facts each quote states, apart: joined to the quotes above, each quote's text came back once per fact it states
# (152,000 rows for 45,000 quotes at a million triples). Here and in QUOTES each pattern is a list of its own, which
# Oxigraph joins by hashing, where as one group it looked each quote's statement, locator and source up one by one:
# at a million triples STATES 2.5 -> 1.5 s and QUOTES 1.2 -> 0.5 s, the same rows on six stores (tests/test_search.py
# holds their plain forms)
STATES = """
PREFIX dpo: <https://w3id.org/drugpolicy-kg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?ev ?s ?p WHERE {
  { SELECT ?ev ?st WHERE { ?ev dpo:states ?st } }
  { SELECT ?st ?s WHERE { ?st rdf:subject ?s } }
  { SELECT ?st ?p WHERE { ?st rdf:predicate ?p } }
}"""


class EntityHit(Record):
    __slots__ = ("iri", "label", "kind", "matched")

    def __init__(self, iri: str, label: str, kind: str, matched: str):
        self.iri, self.label, self.kind = iri, label, kind
        self.matched = matched  # the name that matched, with the matched words in [brackets]


class QuoteHit(Record):
    __slots__ = ("quote", "snippet", "locator", "source", "states")

    def __init__(self, quote: str, snippet: str, locator: str, source: str, states: list[dict] | None = None):
        self.quote = quote
        self.snippet = snippet  # the quote around the matched words, which are in [brackets]
        self.locator, self.source = locator, source
        self.states = states if states is not None else []  # [{"subject", "label", "property"}] the facts it states


class SearchResult(Record):
    __slots__ = ("text", "entities", "quotes")

    def __init__(self, text: str, entities: list[EntityHit], quotes: list[QuoteHit]):
        self.text, self.entities, self.quotes = text, entities, quotes


def fts_query(text: str) -> str:
    """The user's text as an FTS5 query that can only mean "all these words": each word a quoted string. A number
    written in parts ("1.1", "64/3") is one quoted string, its parts then a phrase (standing together, in order):
    "SDG 1.1" had found every target whose code holds a 1.

    >>> fts_query('harm reduction'), fts_query('NEAR(a b) OR "x*"'), fts_query("SDG 1.1, res. 64/3")
    ('"harm" "reduction"', '"NEAR" "a" "b" "OR" "x"', '"SDG" "1.1" "res" "64/3"')
    """
    words = re.findall(r"\d+(?:[./]\d+)+|\w+", text)
    if not words:
        raise UsageError("give words to search for (letters or digits)")
    return " ".join('"' + w.replace('"', '""') + '"' for w in words[:32])


def _build(gs, con: sqlite3.Connection) -> None:
    from drugpolicy_kg.sparql.results import compact
    from drugpolicy_kg.uses.trace import sdg_code

    con.executescript(f"""
        CREATE VIRTUAL TABLE names USING fts5(name, iri UNINDEXED, tokenize='{TOKENIZER}');
        CREATE VIRTUAL TABLE quotes USING fts5(quote, ev UNINDEXED, locator UNINDEXED, source UNINDEXED,
                                               tokenize='{TOKENIZER}');
        CREATE TABLE entity (iri TEXT PRIMARY KEY, label TEXT, kind TEXT);
        CREATE TABLE states (ev TEXT, subject TEXT, property TEXT);
        CREATE INDEX states_ev ON states (ev);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
    """)
    labels: dict[str, str] = {}
    names = set()
    for s, name in _entity_rows(gs, NAMES, english=True):
        names.add((name, s))
        labels.setdefault(s, name)
    for s, title in gs.select(SDG_CODES):
        code = sdg_code(s)
        names.add((code, s))
        labels[s] = f"{code}: {title}" if title is not None else code
    con.executemany("INSERT INTO names (name, iri) VALUES (?, ?)", sorted(names))
    kinds: dict[str, str] = {}
    for s, t in _entity_rows(gs, TYPES):
        kind = t.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        if kind not in ("Concept", "Entity", "SourceDocument", "Statement") or s not in kinds:
            kinds[s] = kind
    con.executemany("INSERT INTO entity VALUES (?, ?, ?)",
                    sorted((s, labels.get(s, s.rsplit("/", 1)[-1]), kinds.get(s, "")) for s in set(labels) | set(kinds)))
    quotes: dict[str, tuple[str, str, str]] = {}  # evidence -> (its quote, locator, source): of several, the least,
    for ev, quote, locator, source in gs.select(QUOTES):  # whatever order the engine gives them in
        row = quote, locator or "", source or ""
        known = quotes.get(ev)
        if known is None or row < known:
            quotes[ev] = row
    con.executemany("INSERT INTO quotes (quote, ev, locator, source) VALUES (?, ?, ?, ?)",
                    [(quote, ev, locator, source) for ev, (quote, locator, source) in sorted(quotes.items())])
    states = {(ev, s, compact(p)) for ev, s, p in gs.select(STATES) if ev in quotes}
    con.executemany("INSERT INTO states VALUES (?, ?, ?)", sorted(states))
    con.execute("INSERT INTO meta VALUES ('version', ?)", (INDEX_VERSION,))
    con.commit()


def _entity_rows(gs, text: str, english: bool = False):
    """(subject, value) as text, of the rows of ``text`` (a SELECT of two) whose subject is an IRI of the graph's own
    (ENTITY_PREFIXES), in the engine's order; with ``english``, only those whose value is an untagged or English
    literal (as ``FILTER(LANG(?v) = "" || LANGMATCHES(LANG(?v), "en"))``: "en", "EN-gb", not "fr" or an IRI)."""
    import pyoxigraph as ox

    named, literal = ox.NamedNode, ox.Literal
    for s, value in gs.query(text):
        if type(s) is not named or not s.value.startswith(ENTITY_PREFIXES):
            continue
        if english:
            if type(value) is not literal:
                continue
            language = (value.language or "").lower()
            if language and language != "en" and not language.startswith("en-"):
                continue
        yield s.value, value.value


def open_index(gs) -> sqlite3.Connection:
    """The store's search index, built if missing (atomically, beside the store; in memory where that is read-only)."""
    path = gs.location / INDEX_FILE if gs.location is not None else None
    if path is not None and path.is_file():
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == (INDEX_VERSION,):
                return con
        except sqlite3.DatabaseError:
            pass  # damaged or of another version: build it again
        con.close()
    if path is not None:
        import tempfile

        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=".search-", suffix=".sqlite.tmp", dir=path.parent)
            os.close(fd)
            con = sqlite3.connect(tmp)
            try:
                _build(gs, con)
            finally:
                con.close()
            os.replace(tmp, path)
            return sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        except OSError:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
    con = sqlite3.connect(":memory:")
    _build(gs, con)
    return con


def search(gs, text: str, limit: int = 20) -> SearchResult:
    """Entities whose names hold every word of ``text``, and quotes that do, best first."""
    if not 1 <= limit <= 2**31 - 1:
        raise UsageError(f"--limit must be a whole number from 1 to {2**31 - 1}, got {limit}")
    match = fts_query(text)
    return _search(open_index(gs), text, match, limit)


def search_built(location: Path, text: str, limit: int = 20) -> SearchResult | None:
    """The same search on the index of a built store, without opening the store; None if it has no index yet."""
    path = location / INDEX_FILE
    if not 1 <= limit <= 2**31 - 1:
        raise UsageError(f"--limit must be a whole number from 1 to {2**31 - 1}, got {limit}")
    match = fts_query(text)
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        if con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() != (INDEX_VERSION,):
            con.close()
            return None
    except sqlite3.DatabaseError:
        return None
    return _search(con, text, match, limit)


def _search(con: sqlite3.Connection, text: str, match: str, limit: int) -> SearchResult:
    try:
        entities: list[EntityHit] = []
        seen: set[str] = set()
        rows = con.execute("SELECT iri, highlight(names, 0, '[', ']') FROM names WHERE names MATCH ? "
                           "ORDER BY rank, iri LIMIT ?", (match, limit * 4)).fetchall()
        for iri, matched in rows:
            if iri in seen:
                continue
            seen.add(iri)
            label, kind = con.execute("SELECT label, kind FROM entity WHERE iri = ?", (iri,)).fetchone() or (iri, "")
            entities.append(EntityHit(iri, label, kind, matched))
            if len(entities) == limit:
                break
        quotes = []
        for ev, quote, snip, locator, source in con.execute(
                "SELECT ev, quote, snippet(quotes, 0, '[', ']', '…', 24), locator, source FROM quotes "
                "WHERE quotes MATCH ? ORDER BY rank, ev LIMIT ?", (match, limit)).fetchall():
            states = [{"subject": s, "label": (con.execute("SELECT label FROM entity WHERE iri = ?", (s,)).fetchone()
                                               or (s,))[0], "property": p}
                      for s, p in con.execute("SELECT subject, property FROM states WHERE ev = ? ORDER BY subject, property",
                                              (ev,)).fetchall()]
            quotes.append(QuoteHit(quote, snip, locator, source, states))
        return SearchResult(text, entities, quotes)
    except sqlite3.OperationalError as exc:  # (the query is built from quoted words only: this is not the user's)
        raise UsageError(f"search failed: {exc}") from None
    finally:
        con.close()


def index_file(gs) -> Path | None:
    return gs.location / INDEX_FILE if gs.location is not None else None
