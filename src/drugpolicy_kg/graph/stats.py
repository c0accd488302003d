"""Counts that summarise the graph: triples, entities per class, facts per source."""

from __future__ import annotations

from drugpolicy_kg.errors import json_loads
from drugpolicy_kg.graph.store import GraphStore
from drugpolicy_kg.records import Record
from drugpolicy_kg.resources import GRAPH_BASE, Project, internal_query


class Stats(Record):
    __slots__ = ("triples", "graphs", "classes", "sources")

    def __init__(self, triples: int = 0, graphs: dict[str, int] | None = None,
                 classes: list[tuple[str, int]] | None = None, sources: list[dict] | None = None):
        self.triples = triples
        self.graphs = graphs if graphs is not None else {}
        self.classes = classes if classes is not None else []
        self.sources = sources if sources is not None else []


def compute_stats(project: Project) -> Stats:
    """Compute the summary of a project's graph.

    A store never changes once built, so its summary is kept beside it (``stats.json`` in the
    store's folder, written atomically the first time it is asked for): later calls read it.

    >>> s = compute_stats(Project.open())
    >>> dict(s.classes)["org:Membership"]
    17
    """
    import json

    gs = GraphStore.open(project)
    from drugpolicy_kg.sparql.results import compact

    # the memo keeps whole IRIs, shown with the prefixes of the code reading it (a prefix added later applies)
    memo = gs.memo("stats-2")
    if memo is not None and memo.is_file():
        try:
            data = json_loads(memo.read_text(encoding="utf-8"))
            return Stats(data["triples"], data["graphs"], [(compact(c), int(n)) for c, n in data["classes"]],
                         data["sources"])
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable: compute again
    st = Stats(triples=gs.triples)
    for name, n in gs.graphs.items():
        if name.startswith(GRAPH_BASE) and n:
            st.graphs[name[len(GRAPH_BASE):]] = n
    classes = [(cls, int(n)) for cls, n in gs.select(internal_query("class-counts.rq"))]
    st.classes = [(compact(cls), n) for cls, n in classes]
    for doc, label, quotes, statements, nodes in gs.select(internal_query("source-counts.rq")):
        st.sources.append({"source": str(label or doc), "quotes": int(quotes), "statements": int(statements),
                           "evidenced_nodes": int(nodes)})
    if memo is not None:
        from drugpolicy_kg.atomic import atomic_write

        try:
            with atomic_write(memo) as fh:
                json.dump({"triples": st.triples, "graphs": st.graphs, "classes": classes, "sources": st.sources}, fh)
        except OSError:
            pass  # a read-only cache: the summary is simply computed each time
    return st
