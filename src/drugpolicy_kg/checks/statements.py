"""Evidence per statement: which facts a quote states, and whether it really states them.

Every fact about a project entity is linked to the quote(s) that state it by an RDF
reification hung on the evidence (``?ev dpo:states [ rdf:subject ?s ; rdf:predicate ?p ;
rdf:object ?o ]``). Three checks, run by ``validate``:

- **coverage**: every fact (the exempt kinds aside, see :data:`EXEMPT_PROPERTIES`)
  has at least one statement; the figure is reported as facts with evidence / facts;
- **held**: every statement reifies a triple the graph holds (a quote cannot "state" a fact
  that is not there, for instance after the fact was edited);
- **the quote states the value**: where a check can test it, one of the statement's quotes
  names the value. A year, a month, a day and a number must stand in the quote (a date
  as "22 February 2022"); a string value must stand in it word for word; an IRI value must
  be named by one of its labels, titles, descriptions, numbers, symbols or notations; or
  the statement says, in ``dpo:statedAs``, the words of the quote that state it, and those
  words must stand in the quote. An inferred statement (``dpo:inferred true``) is not
  stated in words, so it must give its ``dpo:reasoning`` instead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from drugpolicy_kg.checks.quotes import normalise
from drugpolicy_kg.resources import PREFIXES, internal_query
from drugpolicy_kg.sources.reader import MONTHS

if TYPE_CHECKING:
    from drugpolicy_kg.graph.store import GraphStore
    from drugpolicy_kg.resources import Project

XSD = PREFIXES["xsd"]
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
                "nineteen", "twenty"]
# Values drawn from a closed list rather than from the source's words: "held"/"foreseen", a language code.
CONTROLLED = {PREFIXES["dpo"] + "eventStatus", PREFIXES["dcterms"] + "language"}
RDF = PREFIXES["rdf"]
# A fact is a triple whose subject is in the project's namespace (https://w3id.org/drugpolicy-kg/id/) and needs a
# quote stating it (evidence per statement), but for these properties, exempt, and why (the docs' model page lists
# them too):
#   rdf:type                     the curators' classification, not a claim of the source;
#   rdfs:label                   a display name the curators write (the source's own names are skos:altLabel and
#                                dcterms:title, which need evidence);
#   skos:note, skos:scopeNote, skos:editorialNote, skos:definition, rdfs:comment
#                                the curators' notes about the data;
#   dpo:textFile, dpo:sourceFile, dpo:sourceSha256
#                                where the source's text is kept, which file it was read from, and its digest;
#   skos:exactMatch, owl:sameAs  identity links from the reference data (data/reference/), whose provenance is the
#                                dataset node that file carries;
#   dpo:mandates                 derived at build time from provisions that have evidence.
# The subjects that are themselves evidence or statements (for their own properties, below), vocabulary
# (skos:Concept, skos:ConceptScheme) or dataset descriptions (prov:Entity) are exempt too: see exempt-subjects.rq
# and facts-owned.rq.
EXEMPT_PROPERTIES = frozenset({
    RDF + "type", PREFIXES["rdfs"] + "label", PREFIXES["skos"] + "note", PREFIXES["skos"] + "scopeNote",
    PREFIXES["skos"] + "editorialNote", PREFIXES["skos"] + "definition", PREFIXES["rdfs"] + "comment",
    PREFIXES["dpo"] + "textFile", PREFIXES["dpo"] + "sourceFile", PREFIXES["dpo"] + "sourceSha256",
    PREFIXES["skos"] + "exactMatch", PREFIXES["owl"] + "sameAs", PREFIXES["dpo"] + "mandates"})
# What evidence and a reified statement say of themselves: the quote and where it stands, the fact it states. Any
# other property of such a node is a fact like any other, and needs a quote.
OWN_PROPERTIES = {
    PREFIXES["dpo"] + "Evidence": {RDF + "type", PREFIXES["dcterms"] + "source", PREFIXES["dpo"] + "locator",
                                   PREFIXES["dpo"] + "quote", PREFIXES["dpo"] + "states",
                                   # a table cell's: its row, header cells and table lines (checked by checks/quotes.py)
                                   PREFIXES["dpo"] + "rowText", PREFIXES["dpo"] + "columnText", PREFIXES["dpo"] + "contextText"},
    RDF + "Statement": {RDF + "type", RDF + "subject", RDF + "predicate", RDF + "object", PREFIXES["dpo"] + "statedAs",
                        PREFIXES["dpo"] + "inferred", PREFIXES["dpo"] + "reasoning"},
}


@dataclass(frozen=True)
class StatementProblem:
    focus: str
    path: str
    message: str
    rule: str
    graph: str = ""  # the named graph that holds the triple, where the focus alone cannot say (a blank node)


@dataclass
class StatementReport:
    facts: int = 0
    covered: int = 0
    statements: int = 0
    inferred: int = 0
    problems: list[StatementProblem] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return 1.0 if not self.facts else self.covered / self.facts


FOLD = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})


@lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    """Normalise for comparison: Markdown and whitespace as the quote check does, case, quote marks and dashes.
    (Remembered: a table's row and column words are the quotes of every cell in them.)"""
    return normalise(text).casefold().translate(FOLD)


def _contains_number(text: str, digits: str) -> bool:
    return re.search(rf"(?<![\d.,]){re.escape(digits)}(?![\d])", text) is not None


def _names_literal(text: str, lexical: str, datatype: str | None) -> bool:
    """Whether the folded quote ``text`` states the literal value."""
    dt = (datatype or "").removeprefix(XSD)
    if dt in ("gYear", "gYearMonth", "date", "dateTime"):
        m = re.match(r"(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", lexical)
        if not m:
            return False
        year, month, day = m.groups()
        ok = _contains_number(text, year)
        if month:
            ok = ok and MONTHS[int(month) - 1].casefold() in text
        if day:
            ok = ok and _contains_number(text, str(int(day)))
        return ok
    if dt in ("integer", "int", "positiveInteger", "nonNegativeInteger", "decimal"):
        n = lexical.lstrip("+")
        word = NUMBER_WORDS[int(n)] if n.isdecimal() and int(n) < len(NUMBER_WORDS) else None  # ("²" is a digit, no number)
        return _contains_number(text, n) or (word is not None and re.search(rf"\b{word}\b", text) is not None)
    value = _fold(lexical)
    if re.fullmatch(r"[\d.]+", value):
        return _contains_number(text, value)
    return value in text


def _names_iri(text: str, names: list[str]) -> bool:
    for name in names:
        n = _fold(name)
        if not n:
            continue
        if re.fullmatch(r"[\d.]+", n):
            if _contains_number(text, n):
                return True
        elif len(n) <= 6:  # an acronym or a short word: whole words only ("WHO" is not in "whole")
            if re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", text):
                return True
        elif n in text:
            return True
    return False


def _exempt(gs: GraphStore, vocabulary: set[str]) -> set[str]:
    """Subjects none of whose triples need a quote: concepts, schemes and dataset descriptions typed so by the
    ontology, an import or the reference data. (What evidence and statements say of themselves, facts-owned.rq leaves
    out: see :func:`_facts`.)"""
    return {sol["s"].value for sol in gs.query(internal_query("exempt-subjects.rq")) if sol["g"].value in vocabulary}


def _facts(gs: GraphStore, exempt: set[str]) -> set:
    """Every fact that needs a quote, as the engine's terms (which compare and hash as RDF terms do). A property
    at a time from the store's index, the exempt ones never read; what evidence and statements say of themselves (the
    bulk of a graph: 420,000 of a million triples) is left out by the engine, in one anti-join per kind. One query
    filtering every triple, then the rows in Python, took 8.5 s at a million triples."""
    import pyoxigraph as ox

    namespace = PREFIXES["dpk"]
    owned = set().union(*OWN_PROPERTIES.values())
    out = set()
    for sol in gs.query("SELECT DISTINCT ?p WHERE { ?s ?p ?o }"):
        p = sol["p"]
        if p.value in EXEMPT_PROPERTIES or p.value in owned:
            continue
        for s, o in _pairs(gs, p.value):
            if isinstance(s, ox.NamedNode) and s.value.startswith(namespace) and s.value not in exempt:
                out.add((s, p, o))
    # those properties, of nodes they are not their own of: the query leaves out the evidence and the statements
    # themselves (each row was checked again against a list of every statement's own properties, which changed no
    # row: the anti-joins say the same, and listing 300,000 statements at a million triples took 2-3 s)
    for sol in gs.query(internal_query("facts-owned.rq")):
        s = sol["s"]
        if isinstance(s, ox.NamedNode) and s.value.startswith(namespace) and s.value not in exempt:
            out.add((s, sol["p"], sol["o"]))
    return out


def _outside(gs: GraphStore, vocabulary: set[str]) -> list[StatementProblem]:
    """Triples of a data file whose subject is outside the project's namespace (or a blank node that is no
    statement): the evidence checks cannot see them, so they would land with no quote."""
    import pyoxigraph as ox

    from drugpolicy_kg.graph.store import DATASET

    data_graphs = sorted({i.graph for i in gs.inputs} - vocabulary)
    if not data_graphs:
        return []
    graphs = " ".join(str(ox.NamedNode(g)) for g in data_graphs)  # IRIs the project's file names made, as IRIs
    rows = list(gs.query(internal_query("outside-subjects.rq").replace("VALUES ?g { }", f"VALUES ?g {{ {graphs} }}", 1)))
    rows = [sol for sol in rows if not (isinstance(sol["s"], ox.NamedNode) and (  # the dataset and its partitions
        sol["s"].value == DATASET or sol["s"].value.startswith(DATASET + "/")))]
    described = {(sol["g"].value, sol["s"]) for sol in gs.query(internal_query("dataset-described.rq"))} if rows else set()
    out = []
    for sol in rows:
        if (sol["g"].value, sol["s"]) in described:
            continue
        s = sol["s"]
        focus = s.value if isinstance(s, ox.NamedNode) else str(s)  # a blank node as _:id
        out.append(StatementProblem(
            focus, sol["p"].value,
            f"a triple about {focus[:80]}, outside the project's namespace ({PREFIXES['dpk']}): no check can tie it to "
            f"a quote (value: {_show(sol['o'])}); name the entity under that namespace with the evidence that states "
            "it, or put reference data in data/reference/ with its source", "subject-outside-namespace",
            sol["g"].value))
    return out


def _ill_typed(gs: GraphStore) -> list[StatementProblem]:
    """Literals whose lexical form their datatype does not allow, in any graph, each with its file."""
    out = []
    for sol in gs.query(internal_query("ill-typed-literals.rq")):
        s, o = sol["s"], sol["o"]
        focus = s.value if hasattr(s, "value") and not str(s).startswith("_:") else str(s)
        out.append(StatementProblem(
            focus, sol["p"].value,
            f"{_show(o)!r} is not a valid xsd:{o.datatype.value.removeprefix(XSD)}: write the value as the datatype "
            "spells it (a date as 2022-02-22, a year as 2022, a number in digits)", "ill-typed-literal",
            sol["g"].value))
    return out


def check_statements(gs: GraphStore, project: Project) -> StatementReport:
    """Coverage, held and quote-states-value checks over an opened store.

    >>> from drugpolicy_kg.resources import Project
    >>> from drugpolicy_kg.graph.store import GraphStore
    >>> rep = check_statements(GraphStore.open(Project.open()), Project.open())  # doctest: +SKIP
    >>> rep.coverage, rep.problems  # doctest: +SKIP
    (1.0, [])

    (Not run as a doctest: ``validate`` runs it, and tests/test_validation.py checks what it says of the shipped
    project.)
    """
    from drugpolicy_kg.threads import Background

    rep = StatementReport()
    vocabulary = project.vocabulary_graphs()
    # the two passes that find a triple no quote check can see (outside the namespace, ill-typed) in a thread of their
    # own: the engine's passes overlap on a second core, while this one reads the facts and the statements
    apart = Background(lambda: _outside(gs, vocabulary) + _ill_typed(gs), "drugpolicy-kg-outside", collect=True)
    facts = _facts(gs, _exempt(gs, vocabulary))
    rep.problems += apart.result()
    names: dict[str, list[str]] = defaultdict(list)
    for sol in gs.query(internal_query("value-names.rq")):
        names[sol["o"].value].append(sol["name"].value)

    words: dict = defaultdict(list)  # evidence -> its quote (a cell: its row, column and context too)
    for sol in gs.query(internal_query("evidence-quotes.rq")):
        words[sol["ev"]].append(sol["quote"].value)
    info = _statements(gs)
    quotes = {st: [w for ev in part["evs"] for w in words.get(ev, [])] for st, part in info.items()}
    rep.statements = len(info)
    stated = {(sol["s"], sol["p"], sol["o"]) for sol in info.values()
              if sol["s"] is not None and sol["p"] is not None and sol["o"] is not None}
    rep.facts = len(facts)
    unstated = sorted((tuple(map(str, key)), key) for key in facts if key not in stated)  # (keys differ)
    rep.covered = len(facts) - len(unstated)
    for _, (s, p, o) in unstated:
        rep.problems.append(StatementProblem(
            s.value, p.value,
            f"no quote states this fact (value: {_show(o)}): add it to the dpo:states of the evidence that says it",
            "fact-without-evidence"))

    def problem(focus: str, path: str, message: str, rule: str) -> None:
        rep.problems.append(StatementProblem(focus, path, message, rule))

    for st, sol in info.items():
        s, p, o = sol["s"], sol["p"], sol["o"]
        focus = s.value if s is not None else sol["ev"].value
        if s is None or p is None or o is None:
            problem(sol["ev"].value, "", "a statement of this evidence lacks its rdf:subject, rdf:predicate or rdf:object",
                    "statement-incomplete")
            continue
        if (s, p, o) not in facts and not _holds(gs, s, p, o):  # a fact exempt from evidence may be stated too
            problem(focus, p.value, f"this evidence states a fact the graph does not hold (value: {_show(o)})",
                    "statement-not-held")
            continue
        if sol["inferred"] is not None and sol["inferred"].value in ("true", "1"):
            rep.inferred += 1
            if sol["reasoning"] is None or not sol["reasoning"].value.strip():
                problem(focus, p.value, "an inferred statement must say in dpo:reasoning how it follows from its quote",
                        "inferred-without-reasoning")
            continue
        texts = sorted(_fold(q) for q in quotes.get(st, []))
        # a value may run over two quotes (a sentence split by a footnote at a page break): try them in either order
        joined = " ".join(texts) + " | " + " ".join(reversed(texts))
        said = sol["statedAs"].value if sol["statedAs"] is not None else None
        if said is not None:
            if not any(_fold(said) in t for t in texts):
                problem(focus, p.value, f"dpo:statedAs {said[:60]!r} does not stand in the statement's quote",
                        "stated-as-not-in-quote")
            continue
        if p.value in CONTROLLED:
            continue  # a closed-list value: only dpo:statedAs can tie it to the quote's words
        if hasattr(o, "datatype"):  # a literal
            ok = _names_literal(joined, o.value, o.datatype.value if o.datatype is not None else None)
        else:
            ok = _names_iri(joined, names.get(o.value, []))
        if not ok:
            problem(focus, p.value,
                    f"the quote does not name the value {_show(o)}: quote the words that state it, or give them in dpo:statedAs",
                    "quote-does-not-state-value")
    return rep


STATEMENT_PARTS = {"s": RDF + "subject", "p": RDF + "predicate", "o": RDF + "object", "statedAs": PREFIXES["dpo"] + "statedAs",
                   "inferred": PREFIXES["dpo"] + "inferred", "reasoning": PREFIXES["dpo"] + "reasoning"}


def _pairs(gs: GraphStore, prop: str):
    """(subject, object) of every triple of the property ``prop`` (an IRI), from the store's index."""
    import pyoxigraph as ox

    for q in gs.store.quads_for_pattern(None, ox.NamedNode(prop), None, ox.DefaultGraph()):
        yield q.subject, q.object


def _statements(gs: GraphStore) -> dict:
    """Every statement some evidence states (``dpo:states``), with the evidence that states it ("evs", the first as
    "ev") and its parts (``STATEMENT_PARTS``: None where it has none), read a property at a time from the store's
    index. (One query with an OPTIONAL per part looked each part up once per statement: 6 s at a million triples.)"""
    info: dict = {}
    for ev, st in _pairs(gs, PREFIXES["dpo"] + "states"):
        if st in info:
            info[st]["evs"].append(ev)
        else:
            info[st] = dict.fromkeys(STATEMENT_PARTS, None) | {"ev": ev, "evs": [ev]}
    for key, prop in STATEMENT_PARTS.items():
        for st, value in _pairs(gs, prop):
            part = info.get(st)
            # (a malformed statement with two values of a part: the least, in N-Triples, whatever the store's order,
            # so that its findings are the same from one store of the data to the next)
            if part is not None and (part[key] is None or str(value) < str(part[key])):
                part[key] = value
    return info


def _holds(gs, s, p, o) -> bool:
    """Does the graph hold the triple (terms bound as values, never written into the query)?"""
    import pyoxigraph as ox

    return bool(gs.query("ASK { ?s ?p ?o }", {ox.Variable("s"): s, ox.Variable("p"): p, ox.Variable("o"): o}))


def _show(term) -> str:
    value = term.value if term is not None else ""
    return value if len(value) <= 80 else value[:77] + "..."
