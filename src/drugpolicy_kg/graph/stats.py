"""Counts that summarise the graph: triples, entities per class, facts per source."""

from __future__ import annotations

from dataclasses import dataclass, field

from drugpolicy_kg.graph.store import GraphStore
from drugpolicy_kg.resources import GRAPH_BASE, Project

CLASS_COUNTS = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  ?s a ?class .
  FILTER(STRSTARTS(STR(?s), "https://w3id.org/drugpolicy-kg/id/")
         || (STRSTARTS(STR(?s), "http://metadata.un.org/sdg/") && !STRSTARTS(STR(?s), "http://metadata.un.org/sdg/ontology")))
} GROUP BY ?class ORDER BY DESC(?n) ?class"""

FACTS_PER_SOURCE = """
PREFIX dpo: <https://w3id.org/drugpolicy-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?doc ?label (COUNT(DISTINCT ?ev) AS ?quotes) (COUNT(DISTINCT ?node) AS ?nodes) WHERE {
  ?ev a dpo:Evidence ; dcterms:source ?doc .
  OPTIONAL { ?doc rdfs:label ?label }
  OPTIONAL { ?node dpo:hasEvidence ?ev }
} GROUP BY ?doc ?label ORDER BY ?doc"""


@dataclass
class Stats:
    triples: int = 0
    graphs: dict[str, int] = field(default_factory=dict)
    classes: list[tuple[str, int]] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)


def compute_stats(project: Project) -> Stats:
    """Compute the summary of a project's graph.

    >>> s = compute_stats(Project.open())
    >>> dict(s.classes)["org:Membership"]
    19
    """
    gs = GraphStore.open(project)
    st = Stats(triples=gs.triples)
    for name, n in gs.graphs.items():
        if name.startswith(GRAPH_BASE) and n:
            st.graphs[name[len(GRAPH_BASE):]] = n
    from drugpolicy_kg.sparql.results import compact

    for cls, n in gs.select(CLASS_COUNTS):
        st.classes.append((compact(cls), int(n)))
    for doc, label, quotes, nodes in gs.select(FACTS_PER_SOURCE):
        st.sources.append({"source": str(label or doc), "quotes": int(quotes), "evidenced_nodes": int(nodes)})
    return st
