"""Counts that summarise the graph: triples, entities per class, facts per source."""

from __future__ import annotations

from dataclasses import dataclass, field

from drugpolicy_kg.graph.store import GraphStore
from drugpolicy_kg.resources import GRAPH_BASE, Project, internal_query


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
    17
    """
    gs = GraphStore.open(project)
    st = Stats(triples=gs.triples)
    for name, n in gs.graphs.items():
        if name.startswith(GRAPH_BASE) and n:
            st.graphs[name[len(GRAPH_BASE):]] = n
    from drugpolicy_kg.sparql.results import compact

    for cls, n in gs.select(internal_query("class-counts.rq")):
        st.classes.append((compact(cls), int(n)))
    for doc, label, quotes, statements, nodes in gs.select(internal_query("source-counts.rq")):
        st.sources.append({"source": str(label or doc), "quotes": int(quotes), "statements": int(statements),
                           "evidenced_nodes": int(nodes)})
    return st
