"""Mandate tracing: which resolution mandates which activity, hop by hop, with the words that say so.

The trace is computed from the graph by following a small set of relations
(the *edge kinds* below), never from a table of facts: a resolution added to
``data/`` is traceable with no code change. Each hop carries the evidence
(source, locator, verbatim quote) for the triple it follows.

Forward, from a resolution::

    resolution -> operative paragraph -> mandate (verb) -> actor addressed / partner
               -> activity or body called for -> bodies launched in view of the mandate
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

if TYPE_CHECKING:
    from rdflib import Graph

DPO = "https://w3id.org/drugpolicy-kg/ontology#"
DCT = "http://purl.org/dc/terms/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"

# The relations a trace follows, read in the forward direction:
# (predicate, follow the triple subject->object ("out") or object->subject ("in"),
#  how the hop reads forward, how it reads backward). Backward follows each the other way.
# Paragraphs are reached through dcterms:isPartOf, the link the shapes require of every paragraph.
EDGES = [
    (DCT + "isPartOf", "in", "has paragraph", "part of"),
    (DPO + "issuedIn", "in", "issues", "issued in"),
    (DPO + "addresses", "out", "addresses", "addressed by"),
    (DPO + "withPartner", "out", "with partner", "named as partner by"),
    (DPO + "calledFor", "out", "calls for", "called for by"),
    (DPO + "respondsTo", "in", "taken up by", "set up in view of"),
    (DPO + "hasObjective", "out", "has objective", "objective of"),
    (DPO + "serves", "out", "serves", "served by"),
]
FORWARD = [(pred, way, reads) for pred, way, reads, _ in EDGES]
BACKWARD = [(pred, "out" if way == "in" else "in", reads) for pred, way, _, reads in EDGES]
ORPHAN_CLASSES = [DPO + "InterAgencyMechanism", DPO + "Activity", DPO + "Programme"]

EVIDENCE = """
PREFIX dpo: <https://w3id.org/drugpolicy-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?node ?ev ?prop ?doc ?doclabel ?file ?locator ?quote WHERE {
  ?node dpo:hasEvidence ?ev .
  ?ev dpo:quote ?quote .
  OPTIONAL { ?ev dpo:supportsProperty ?prop }
  OPTIONAL { ?ev dpo:locator ?locator }
  OPTIONAL { ?ev dcterms:source ?doc . OPTIONAL { ?doc rdfs:label ?doclabel } OPTIONAL { ?doc dpo:textFile ?file } }
}"""


@dataclass
class Evidence:
    source: str
    source_file: str
    locator: str
    quote: str


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

    def to_dict(self) -> dict:
        return {
            "iri": self.iri, "label": self.label, "type": self.kind, "relation": self.relation,
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
        self._evidence: dict[str, list[tuple[str | None, Evidence]]] | None = None  # all, once asked for
        self._evidence_cache: dict[str, list[tuple[str | None, Evidence]]] = {}
        self.index: dict[str, set[str]] = {}
        self.names: dict[str, str] = {}
        self._indexed = False
        self._labels: dict[str, str] = {}
        self._kinds: dict[str, str] = {}

    @staticmethod
    def _sorted(items):  # query rows come in no fixed order: make output repeatable
        items.sort(key=lambda item: (item[0] or "", item[1].source_file, item[1].locator, item[1].quote))
        return items

    def _evidence_rows(self, rows) -> dict[str, list[tuple[str | None, Evidence]]]:
        out: dict[str, list[tuple[str | None, Evidence]]] = {}
        for node, _ev, prop, _doc, doclabel, file, locator, quote in rows:
            out.setdefault(str(node), []).append(
                (str(prop) if prop is not None else None,
                 Evidence(str(doclabel or _doc or ""), str(file or ""), str(locator or ""), str(quote))))
        for items in out.values():
            self._sorted(items)
        return out

    @property
    def evidence(self) -> dict[str, list[tuple[str | None, Evidence]]]:
        """Every node's evidence, fetched in one query the first time (for building whole networks)."""
        if self._evidence is None:
            inner = getattr(self.graph.store, "_inner", None)  # an Oxigraph store: read its rows directly
            if inner is not None:
                names = ("node", "ev", "prop", "doc", "doclabel", "file", "locator", "quote")
                rows = ([None if sol[n] is None else sol[n].value for n in names]
                        for sol in inner.query(EVIDENCE, use_default_graph_as_union=True))
            else:
                rows = self.graph.query(EVIDENCE)
            self._evidence = self._evidence_rows(rows)
        return self._evidence

    def evidence_of(self, node: str) -> list[tuple[str | None, Evidence]]:
        """One node's evidence: from the bulk table if loaded, else one bound query (cheap on large graphs)."""
        if self._evidence is not None:
            return self._evidence.get(node, [])
        if node not in self._evidence_cache:
            rows = self.graph.query(EVIDENCE, initBindings={"node": self._URIRef(node)})
            self._evidence_cache[node] = self._evidence_rows(rows).get(node, [])
        return self._evidence_cache[node]

    def _build_index(self) -> None:
        from rdflib import RDF, URIRef

        graph = self.graph
        for s, o in graph.subject_objects(URIRef(RDFS_LABEL)):
            self._index(s, str(o))
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
        if not str(node).startswith("https://w3id.org/drugpolicy-kg/id/"):
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
                return sorted(hits, key=lambda n: (not n.startswith("https://w3id.org/drugpolicy-kg/id/"), n))[0]
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
        kind = (preferred or types or ["Thing"])[0]
        if kind == "Mandate":
            verbs = [self.label(str(v)) for v in self.graph.objects(self._URIRef(node), self._URIRef(DPO + "verb"))]
            kind += "".join(f": {v}" for v in verbs)
        return kind

    def hop_evidence(self, subject: str, predicate: str, obj: str) -> list[Evidence]:
        """Quotes for one triple: evidence naming the predicate (subject first, then object), else general evidence."""
        def unique(items):
            return list({(e.source_file, e.locator, e.quote): e for e in items}.values())

        of_subject, of_object = self.evidence_of(subject), self.evidence_of(obj)
        candidates = (
            [e for prop, e in of_subject if prop == predicate],
            [e for prop, e in of_object if prop == predicate],
            [e for prop, e in of_subject if prop is None],
            [e for prop, e in of_object if prop is None],
            [e for _, e in of_subject],
            [e for _, e in of_object],
        )
        for found in candidates:
            if found:
                return unique(found)[:2]
        return []

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
                child = self._expand(str(nxt), edges, reads, seen, self.hop_evidence(s, pred, o), depth + 1)
                hop.children.append(child)
        return hop

    def trace(self, term: str, direction: str = "both") -> Trace:
        """Trace a term forward (what it leads to), backward (what mandates it) or both."""
        if direction not in ("forward", "backward", "both"):
            raise UsageError(f"unknown direction {direction!r}; accepted: forward, backward, both")
        node = self.resolve(term)
        root = Hop(node, self.label(node), self.kind(node), evidence=[e for _, e in self.evidence_of(node)][:1])
        result = Trace(term, root, direction)
        if direction in ("forward", "both"):
            result.forward = self._expand(node, FORWARD, "", set(), [], 0).children
        if direction in ("backward", "both"):
            result.backward = self._expand(node, BACKWARD, "", set(), [], 0).children
        return result

    def orphans(self) -> list[tuple[str, str, str]]:
        """Bodies, programmes and activities that no resolution in the graph reaches: (iri, label, type).

        Reached means what a backward trace follows to a resolution: a mandate issued in a resolution
        (or one of its paragraphs) addresses it, names it as partner or calls for it, or it was set up
        in view of such a mandate.
        """
        q = """
        PREFIX dpo: <https://w3id.org/drugpolicy-kg/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?item WHERE {
          VALUES ?top { dpo:InterAgencyMechanism dpo:Activity dpo:Programme }
          ?cls rdfs:subClassOf* ?top . ?item a ?cls .
          MINUS { ?m dpo:addresses|dpo:withPartner|dpo:calledFor ?item .
                  ?m dpo:issuedIn/dcterms:isPartOf* ?res . ?res a dpo:Resolution }
          MINUS { ?item dpo:respondsTo ?m . ?m dpo:issuedIn/dcterms:isPartOf* ?res . ?res a dpo:Resolution }
        }"""
        nodes = sorted(str(row[0]) for row in self.graph.query(q))
        return [(n, self.label(n), self.kind(n)) for n in nodes]
