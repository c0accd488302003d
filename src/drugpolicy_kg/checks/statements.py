"""Evidence per statement: which facts a quote states, and whether it really states them.

Every fact about a project entity is linked to the quote(s) that state it by an RDF
reification hung on the evidence (``?ev dpo:states [ rdf:subject ?s ; rdf:predicate ?p ;
rdf:object ?o ]``). Three checks, run by ``validate``:

- **coverage**: every fact (the exempt kinds aside, see ``sparql/builtin/facts.rq``)
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
from typing import TYPE_CHECKING

from drugpolicy_kg.checks.quotes import normalise
from drugpolicy_kg.resources import PREFIXES, internal_query
from drugpolicy_kg.sources.reader import MONTHS

if TYPE_CHECKING:
    from drugpolicy_kg.graph.store import GraphStore

XSD = PREFIXES["xsd"]
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
                "nineteen", "twenty"]
# Values drawn from a closed list rather than from the source's words: "held"/"foreseen", a language code.
CONTROLLED = {PREFIXES["dpo"] + "eventStatus", PREFIXES["dcterms"] + "language"}


@dataclass(frozen=True)
class StatementProblem:
    focus: str
    path: str
    message: str
    rule: str


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


def _fold(text: str) -> str:
    """Normalise for comparison: Markdown and whitespace as the quote check does, case, quote marks and dashes."""
    text = normalise(text).casefold()
    return text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"}))


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
        word = NUMBER_WORDS[int(n)] if n.isdigit() and int(n) < len(NUMBER_WORDS) else None
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


def check_statements(gs: GraphStore) -> StatementReport:
    """Coverage, held and quote-states-value checks over an opened store.

    >>> from drugpolicy_kg.resources import Project
    >>> from drugpolicy_kg.graph.store import GraphStore
    >>> rep = check_statements(GraphStore.open(Project.open()))
    >>> rep.coverage, rep.problems
    (1.0, [])
    """
    rep = StatementReport()
    exempt = {sol["s"].value for sol in gs.query(internal_query("exempt-subjects.rq"))}
    facts = {(str(sol["s"]), str(sol["p"]), str(sol["o"])): sol for sol in gs.query(internal_query("facts.rq"))
             if sol["s"].value not in exempt}
    names: dict[str, list[str]] = defaultdict(list)
    for sol in gs.query(internal_query("value-names.rq")):
        names[sol["o"].value].append(sol["name"].value)

    quotes: dict = defaultdict(list)
    info: dict = {}
    for sol in gs.query(internal_query("statements-quotes.rq")):
        st = sol["st"]
        if sol["quote"] is not None:
            quotes[st].append(sol["quote"].value)
        info.setdefault(st, sol)
    rep.statements = len(info)
    stated = {(str(sol["s"]), str(sol["p"]), str(sol["o"])) for sol in info.values()
              if sol["s"] is not None and sol["p"] is not None and sol["o"] is not None}
    rep.facts = len(facts)
    for key, sol in sorted(facts.items()):
        if key in stated:
            rep.covered += 1
        else:
            rep.problems.append(StatementProblem(
                sol["s"].value, sol["p"].value,
                f"no quote states this fact (value: {_show(sol['o'])}): add it to the dpo:states of the evidence that says it",
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
        key = (str(s), str(p), str(o))
        if key not in facts and not _holds(gs, s, p, o):  # a fact exempt from evidence may be stated too
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


def _holds(gs, s, p, o) -> bool:
    """Does the graph hold the triple (terms bound as values, never written into the query)?"""
    import pyoxigraph as ox

    return bool(gs.query("ASK { ?s ?p ?o }", {ox.Variable("s"): s, ox.Variable("p"): p, ox.Variable("o"): o}))


def _show(term) -> str:
    value = term.value if term is not None else ""
    return value if len(value) <= 80 else value[:77] + "..."
