"""Mandate tracing: which resolution mandates which activity, hop by hop, with the words that say so.

The trace is computed from the graph by following a small set of relations
(the *edge kinds* below), never from a table of facts: a resolution added to
``data/`` is traceable with no code change. Each hop carries the evidence of the
very triple it follows (evidence per statement: source, locator, verbatim quote);
a hop no quote states says so, and a hop that is inferred rather than stated is
shown as inferred, with its reasoning.

A provision is read with the source's own verb ("encourages", "recognizes"); only a
provision whose verb directs action is a mandate, and only a mandate "calls for"
anything. A body "set up in view of" a mandate was set up for reasons the source
gives, of which the mandate is one: the trace says "in view of", never "called for by".

Forward, from a resolution::

    resolution -> operative paragraph -> provision (verb) -> actor addressed / partner
               -> activity called for (mandates only) -> bodies set up in view of it
               -> their objectives -> the SDG targets and recommendations they serve

Backward, from a body, activity, actor or SDG target: the same relations
followed in reverse, up to every resolution that reaches it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from drugpolicy_kg.errors import UsageError
from drugpolicy_kg.resources import PREFIXES

if TYPE_CHECKING:
    from rdflib import Graph


DPO = PREFIXES["dpo"]
DCT = PREFIXES["dcterms"]
RDFS_LABEL = PREFIXES["rdfs"] + "label"
SKOS = PREFIXES["skos"]

# The relations a trace follows, read in the forward direction:
# (predicate, follow the triple subject->object ("out") or object->subject ("in"),
#  how the hop reads forward, how it reads backward). Backward follows each the other way.
# Paragraphs are reached through dcterms:isPartOf, the link the shapes require of every paragraph.
EDGES = [
    (DCT + "isPartOf", "in", "has paragraph", "part of"),
    (DPO + "issuedIn", "in", "issues", "issued in"),
    (DPO + "addresses", "out", "addresses", "addressed by"),      # read with the provision's verb, see Tracer.reading
    (DPO + "withPartner", "out", "with partner", "named as partner by"),
    (DPO + "calledFor", "out", "calls for", "called for by"),
    (DPO + "respondsTo", "in", "in view of it, set up", "set up in view of (a reason the source gives, not a mandate)"),
    (DPO + "hasObjective", "out", "has objective", "objective of"),
    (DPO + "serves", "out", "serves", "served by"),
]
FORWARD = [(pred, way, reads) for pred, way, reads, _ in EDGES]
BACKWARD = [(pred, "out" if way == "in" else "in", reads) for pred, way, _, reads in EDGES]
ORPHAN_CLASSES = [DPO + "InterAgencyMechanism", DPO + "Activity", DPO + "Programme"]



@dataclass
class Evidence:
    """A quote that states one fact; ``inferred`` when the quote implies the fact without stating it."""

    source: str
    source_file: str
    locator: str
    quote: str
    inferred: bool = False
    reasoning: str = ""

    def note(self) -> str:
        """How a view marks an inferred fact, in words ("" for a stated one)."""
        return f"inferred, not stated in words: {self.reasoning}" if self.inferred else ""


# Facts (subject, predicate, object as text) -> the quotes that state them.
FactEvidence = dict[tuple[str, str, str], list[Evidence]]


@dataclass
class Hop:
    """One node of a trace tree; ``relation`` says how it is reached from its parent."""

    iri: str
    label: str
    kind: str
    relation: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    children: list[Hop] = field(default_factory=list)
    seen_before: bool = False

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    @property
    def inferred(self) -> bool:
        """The link to this hop is inferred, not stated: every quote that gives it is marked inferred."""
        return bool(self.evidence) and all(e.inferred for e in self.evidence)

    def to_dict(self) -> dict:
        return {
            "iri": self.iri, "label": self.label, "type": self.kind, "relation": self.relation,
            "inferred": self.inferred,
            "seen_before": self.seen_before,
            "evidence": [e.__dict__ for e in self.evidence],
            "children": [c.to_dict() for c in self.children],
        }


@dataclass
class Trace:
    term: str
    root: Hop
    direction: str
    forward: list[Hop] = field(default_factory=list)
    backward: list[Hop] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"term": self.term, "root": {k: v for k, v in self.root.to_dict().items() if k != "children"},
                "direction": self.direction,
                "forward": [h.to_dict() for h in self.forward], "backward": [h.to_dict() for h in self.backward]}

    def resolutions(self) -> list[Hop]:
        """The resolutions a backward trace reaches, each once."""
        return [h for tree in self.backward for h in tree.walk() if h.kind == "Resolution" and not h.seen_before]


def norm(text: str) -> str:
    """Lower-case and drop everything but letters and digits, so 'CND 64/3' matches 'cnd-64-3'.

    >>> norm("CND 64/3"), norm("U.N.O.D.C.")
    ('cnd643', 'unodc')
    """
    return re.sub(r"[\W_]+", "", text.casefold())


class Tracer:
    """Traces over one graph; build once, trace many terms.

    >>> from drugpolicy_kg.resources import Project
    >>> from drugpolicy_kg.graph.store import GraphStore
    >>> t = Tracer(GraphStore.open(Project.open()).rdflib())
    >>> t.resolve("64/3").rsplit("/", 1)[-1]
    'res-cnd-64-3'
    """

    def __init__(self, graph: Graph):
        from rdflib import RDF, URIRef

        self.graph = graph
        self._URIRef = URIRef
        self._type = RDF.type
        self._evidence: dict[str, FactEvidence] | None = None  # subject -> its facts' quotes; all, once asked for
        self._evidence_cache: dict[str, FactEvidence] = {}
        self.index: dict[str, set[str]] = {}
        self.names: dict[str, str] = {}
        self._indexed = False
        self._labels: dict[str, str] = {}
        self._kinds: dict[str, str] = {}

    @staticmethod
    def _evidence_rows(rows) -> dict[str, FactEvidence]:
        """Rows of ``statement-evidence.rq`` (plain values) grouped by subject, then by fact; sorted, so output repeats."""
        out: dict[str, FactEvidence] = {}
        for s, p, o, doc, doclabel, file, locator, quote, inferred, reasoning in rows:
            ev = Evidence(str(doclabel or doc or ""), str(file or ""), str(locator or ""), str(quote),
                          str(inferred) in ("true", "1"), str(reasoning or ""))
            out.setdefault(str(s), {}).setdefault((str(s), str(p), str(o)), []).append(ev)
        for facts in out.values():
            for items in facts.values():
                items.sort(key=lambda e: (e.source_file, e.locator, e.quote))
        return out

    def _query_evidence(self, subject: str | None) -> dict[str, FactEvidence]:
        from drugpolicy_kg.resources import internal_query

        names = ("s", "p", "o", "doc", "doclabel", "file", "locator", "quote", "inferred", "reasoning")
        inner = getattr(self.graph.store, "_inner", None)  # an Oxigraph store: read its rows directly
        text = internal_query("statement-evidence.rq")
        if inner is not None:
            import pyoxigraph as ox

            subs = {ox.Variable("s"): ox.NamedNode(subject)} if subject else None
            rows = ([None if sol[n] is None else sol[n].value for n in names]
                    for sol in inner.query(text, substitutions=subs))
        else:
            rows = self.graph.query(text, initBindings={"s": self._URIRef(subject)} if subject else None)
        return self._evidence_rows(rows)

    @property
    def evidence(self) -> dict[str, FactEvidence]:
        """Every entity's facts and their quotes, fetched in one query the first time (for building whole networks)."""
        if self._evidence is None:
            self._evidence = self._query_evidence(None)
        return self._evidence

    def facts_of(self, node: str) -> FactEvidence:
        """One entity's facts and their quotes: from the bulk table if loaded, else one bound query."""
        if self._evidence is not None:
            return self._evidence.get(node, {})
        if node not in self._evidence_cache:
            self._evidence_cache[node] = self._query_evidence(node).get(node, {})
        return self._evidence_cache[node]

    def evidence_of(self, node: str) -> list[Evidence]:
        """Every quote stating a fact about the node, each once, stated before inferred."""
        seen, out = set(), []
        for _fact, items in sorted(self.facts_of(node).items()):
            for e in items:
                if (e.source_file, e.locator, e.quote) not in seen:
                    seen.add((e.source_file, e.locator, e.quote))
                    out.append(e)
        return sorted(out, key=lambda e: e.inferred)

    def _build_index(self) -> None:
        from rdflib import RDF, URIRef

        graph = self.graph
        for s, o in graph.subject_objects(URIRef(RDFS_LABEL)):
            self._index(s, str(o))
            if ": " in str(o):  # "A/80/6 (Sect. 16), subprogramme 2: A comprehensive ..." is found by its head too
                self._index(s, str(o).split(": ", 1)[0])
        for s, o in graph.subject_objects(URIRef(SKOS + "altLabel")):
            self._index(s, str(o))
        for s in graph.subjects(RDF.type, URIRef("http://metadata.un.org/sdg/ontology#Target")):
            self._index(s, "SDG " + str(s).rsplit("/", 1)[-1])
        for s in graph.subjects(RDF.type, URIRef("http://metadata.un.org/sdg/ontology#Goal")):
            self._index(s, "SDG " + str(s).rsplit("/", 1)[-1])
        for s, o in graph.subject_objects(URIRef(DPO + "resolutionNumber")):
            for variant in (str(o), "CND " + str(o), "resolution " + str(o), "CND resolution " + str(o)):
                self._index(s, variant)
        self._indexed = True

    def _index(self, node, name: str) -> None:
        if not str(node).startswith(PREFIXES["dpk"]):
            if not str(node).startswith("http://metadata.un.org/sdg/"):
                return
        key = norm(name)
        if key:
            self.index.setdefault(key, set()).add(str(node))
            self.names.setdefault(key, name)

    # ------------------------------------------------------------ lookup --

    def resolve(self, term: str) -> str:
        """Find the node a user means: an IRI, a resolution number, an acronym or a name."""
        term = term.strip()
        if not self._indexed:
            self._build_index()
        if re.match(r"^https?://", term):
            if (self._URIRef(term), None, None) in self.graph:
                return term
            raise UsageError(f"no entity with IRI {term} in the graph")
        for key in (norm(term), norm(term.removeprefix("sdg ").removeprefix("SDG "))):
            hits = self.index.get(key)
            if hits:
                return sorted(hits, key=lambda n: (not n.startswith(PREFIXES["dpk"]), n))[0]
        close = difflib.get_close_matches(norm(term), list(self.index), n=5, cutoff=0.5)
        hint = "; did you mean: " + ", ".join(self.names[c] for c in close) if close else ""
        raise UsageError(f"nothing in the graph matches {term!r}{hint}")

    def label(self, node: str) -> str:
        """The English label of a node (SDG concepts prefixed with their code); remembered."""
        if node in self._labels:
            return self._labels[node]
        self._labels[node] = value = self._label(node)
        return value

    def _label(self, node: str) -> str:
        n = self._URIRef(node)
        prefix = "SDG " + node.rsplit("/", 1)[-1] + ": " if node.startswith("http://metadata.un.org/sdg/") else ""
        for p in (RDFS_LABEL, SKOS + "prefLabel"):
            for lbl in self.graph.objects(n, self._URIRef(p)):
                if getattr(lbl, "language", None) in (None, "en"):
                    return prefix + str(lbl)
        return node.rsplit("/", 1)[-1]

    def kind(self, node: str) -> str:
        """A node's most telling type name (a mandate's with its verb); remembered."""
        if node not in self._kinds:
            self._kinds[node] = self._kind(node)
        return self._kinds[node]

    def _kind(self, node: str) -> str:
        types = sorted(str(t).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
                       for t in self.graph.objects(self._URIRef(node), self._type))
        preferred = [t for t in types if t not in ("Concept", "Entity", "SourceDocument")]
        if "Mandate" in preferred:  # a mandate is also a provision: name the narrower class
            preferred = ["Mandate"]
        kind = (preferred or types or ["Thing"])[0]
        if kind in ("Mandate", "Provision"):
            verbs = self.verbs(node)
            kind += "".join(f": {v}" for v in verbs)
            if kind.startswith("Provision"):
                kind += " (asks for no action: not a mandate)"
        return kind

    def verbs(self, node: str) -> list[str]:
        """The source's verb(s) of a provision, as the verb scheme labels them."""
        return sorted(self.label(str(v)) for v in self.graph.objects(self._URIRef(node), self._URIRef(DPO + "verb")))

    def reading(self, predicate: str, reads: str, provision: str) -> str:
        """How a hop reads: a provision addresses an actor with the source's verb ("encourages", "recognizes")."""
        if predicate == DPO + "addresses":
            verbs = self.verbs(provision)
            if verbs:
                return " / ".join(verbs) if reads == "addresses" else f"named by a provision that {' / '.join(verbs)} it"
        return reads

    def hop_evidence(self, subject: str, predicate: str, obj: str) -> list[Evidence]:
        """The quotes that state this one triple (evidence per statement); [] when none does."""
        return self.facts_of(subject).get((subject, predicate, obj), [])

    # ------------------------------------------------------------ traversal --

    def _expand(self, node: str, edges, relation: str, seen: set[str], ev: list[Evidence], depth: int) -> Hop:
        hop = Hop(node, self.label(node), self.kind(node), relation, ev)
        if node in seen or depth > 12:
            hop.seen_before = True
            return hop
        seen.add(node)
        n = self._URIRef(node)
        for pred, way, reads in edges:
            p = self._URIRef(pred)
            nexts = self.graph.objects(n, p) if way == "out" else self.graph.subjects(p, n)
            for nxt in sorted(set(nexts), key=str):
                if not isinstance(nxt, self._URIRef):
                    continue
                s, o = (node, str(nxt)) if way == "out" else (str(nxt), node)
                child = self._expand(str(nxt), edges, self.reading(pred, reads, s), seen, self.hop_evidence(s, pred, o),
                                     depth + 1)
                hop.children.append(child)
        return hop

    def trace(self, term: str, direction: str = "both") -> Trace:
        """Trace a term forward (what it leads to), backward (what mandates it) or both."""
        if direction not in ("forward", "backward", "both"):
            raise UsageError(f"unknown direction {direction!r}; accepted: forward, backward, both")
        node = self.resolve(term)
        root = Hop(node, self.label(node), self.kind(node), evidence=self.evidence_of(node)[:1])
        result = Trace(term, root, direction)
        if direction in ("forward", "both"):
            result.forward = self._expand(node, FORWARD, "", set(), [], 0).children
        if direction in ("backward", "both"):
            result.backward = self._expand(node, BACKWARD, "", set(), [], 0).children
        return result

    def orphans(self) -> list[tuple[str, str, str]]:
        """Bodies, programmes and activities that no resolution in the graph reaches: (iri, label, type).

        Reached means what a backward trace follows to a resolution through a mandate (a provision
        whose verb directs action): the mandate addresses it, names it as partner or calls for it, or
        it was set up in view of such a mandate (``sparql/builtin/unreached-bodies.rq``).
        """
        from drugpolicy_kg.resources import internal_query

        nodes = sorted(str(row[0]) for row in self.graph.query(internal_query("unreached-bodies.rq")))
        return [(n, self.label(n), self.kind(n)) for n in nodes]
