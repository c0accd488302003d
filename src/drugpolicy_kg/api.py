"""A small facade for notebooks and scripts: the graph, the questions, a server, the networks, the traces.

>>> kg = KnowledgeGraph()
>>> kg.query("members-of-body", body="ITWG").rows[0][-1].toPython() in ("co-lead", "member", "observer")
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from drugpolicy_kg.errors import UsageError
from drugpolicy_kg.resources import Project
from drugpolicy_kg.uses import VIEW_NAMES

if TYPE_CHECKING:
    import networkx as nx

    from drugpolicy_kg.sparql.results import Result
    from drugpolicy_kg.uses.trace import Trace


class KnowledgeGraph:
    """The project's graph, loaded once, with the package's uses as methods."""

    def __init__(self, project: str | Path | None = None):
        from drugpolicy_kg.sparql.query import LocalEngine

        self.project = Project.open(project)
        self.engine = LocalEngine(self.project)
        self.graph = self.engine.graph
        self._tracer = None

    def __len__(self) -> int:
        return self.engine.gs.triples

    def questions(self) -> list[dict]:
        """The competency questions: name, summary, audience, parameters with defaults."""
        from drugpolicy_kg.sparql.query import list_queries

        return [{"name": q.name, "summary": q.summary, "audience": q.audience, "params": q.params}
                for q in list_queries(self.project)]

    def query(self, name_or_sparql: str, endpoint: str | None = None, graph: str | None = None, **params: str) -> Result:
        """Run a question by name (or SPARQL text) with parameters bound, locally or on ``endpoint``."""
        from drugpolicy_kg.sparql.endpoint import credentials_from_env, remote_query
        from drugpolicy_kg.sparql.query import bind_params, find_query, parse_query_text, with_prefixes, with_values

        text = name_or_sparql.strip()
        q = parse_query_text(text) if any(c.isspace() for c in text) else find_query(self.project, text)
        if endpoint:  # names resolve on the server queried
            from drugpolicy_kg.sparql.remote import resolver

            resolve = resolver(endpoint, graph, 30.0, credentials_from_env())
        else:
            resolve = self.engine.resolver()
        bindings = bind_params(q, {k: str(v) for k, v in params.items()}, resolve=resolve)
        if endpoint:
            return remote_query(endpoint, with_prefixes(with_values(q.text, bindings)), default_graph=graph,
                                creds=credentials_from_env())
        return self.engine.run(q.text, bindings, q.name)

    @contextlib.contextmanager
    def server(self, graph_iri: str = "https://w3id.org/drugpolicy-kg/graph/all") -> Iterator[str]:
        """A local, read-only SPARQL endpoint holding this graph in ``graph_iri``; yields its query URL, stops on exit.

        The graph is copied into a store of its own (a bulk load of the union, a second or two) and served by the
        project's own front, as ``serve`` serves (a process of its own, on a free loopback port): writes refused,
        SERVICE and LOAD refused and its engine without network, a foreign ``Host`` refused, the nesting of a query
        bounded. The copy is removed when the block ends."""
        import json
        import shutil
        import subprocess
        import tempfile

        import pyoxigraph as ox

        from drugpolicy_kg.errors import EndpointError
        from drugpolicy_kg.sparql.server import stop_process
        from drugpolicy_kg.threads import Overdue, last_line, start_helper, within, write_all

        where = Path(tempfile.mkdtemp(prefix="drugpolicy-kg-server-"))
        proc = None
        try:
            copy = ox.Store(str(where / "db"))
            data = self.engine.gs.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
            copy.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph_iri))
            copy.flush()
            del copy
            proc = start_helper("drugpolicy_kg.api:_serve_copy", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
            write_all(proc.stdin, json.dumps({"store": str(where / "db"), "project": str(self.project.root)}).encode())
            proc.stdin.close()
            try:  # its first line: "SPARQL endpoint: http://127.0.0.1:PORT/query   query page: ..."
                first = within(120, proc.stdout.readline, overdue="the local endpoint did not start within 120 s")
            except Overdue as exc:
                raise EndpointError(str(exc)) from None
            if not first.startswith(b"SPARQL endpoint: "):
                stop_process(proc)
                raise EndpointError("the local endpoint did not start: "
                                    + (last_line(proc.stderr.read()) or "no reason given"))
            yield first.split()[2].decode()
        finally:
            stop_process(proc)
            shutil.rmtree(where, ignore_errors=True)

    def networks(self, views=VIEW_NAMES) -> dict[str, nx.Graph]:
        """The network views with metrics (see :mod:`drugpolicy_kg.uses.networks`)."""
        from drugpolicy_kg.uses.networks import build_networks

        return build_networks(self.graph, views)

    def search(self, text: str, limit: int = 20):
        """Entities by name and facts by the words of their quotes, ranked (see :mod:`drugpolicy_kg.graph.search`)."""
        from drugpolicy_kg.graph.search import search

        return search(self.engine.gs, text, limit)

    def trace(self, term: str, direction: str = "both") -> Trace:
        """A mandate trace (see :mod:`drugpolicy_kg.uses.trace`); render it with :func:`drugpolicy_kg.uses.trace_render.render`."""
        from drugpolicy_kg.uses.trace import Tracer

        self._tracer = self._tracer or Tracer(self.graph)
        return self._tracer.trace(term, direction)


def to_dataframe(result: Result):
    """A SELECT result as a pandas DataFrame of plain Python values (IRIs as strings)."""
    try:
        import pandas as pd
    except ImportError:
        raise UsageError("a DataFrame needs pandas: pip install 'drugpolicy-kg[notebooks]'") from None

    def plain(t):
        if t is None:
            return None
        value = t.toPython() if hasattr(t, "toPython") else t
        return str(value) if not isinstance(value, (int, float, bool, str)) else value

    return pd.DataFrame([[plain(t) for t in row] for row in result.rows], columns=result.variables)


def notebook_view(g: nx.Graph, title: str, guide: str = "", height: int = 600, graph=None):
    """An interactive view for Jupyter: the offline page in a sandboxed iframe (no CDN, works without network).

    Given the rdflib ``graph`` the network came from, clicking a node opens the side panel with its facts and quotes.
    """

    from IPython.display import HTML

    from drugpolicy_kg.uses.views import render_page

    facts = None
    if graph is not None:
        from drugpolicy_kg.uses.entities import Entities

        ents = Entities(graph)
        facts = {n: ents.panel(d.get("iri", n), None) for n, d in g.nodes(data=True) if ents.is_entity(d.get("iri", n))}
    page = render_page(g, title, guide, facts)
    from drugpolicy_kg.pages import render

    return HTML(render("frame.html", page=page, height=int(height)))


def _serve_copy() -> None:  # pragma: no cover - runs in the process KnowledgeGraph.server starts
    """Serve the store copied for :meth:`KnowledgeGraph.server` through the project's front, on a free loopback port,
    until SIGTERM."""
    import json
    import sys

    from drugpolicy_kg.graph.store import GraphStore
    from drugpolicy_kg.sparql.server import serve

    job = json.loads(sys.stdin.buffer.read())
    project = Project.open(job["project"])
    sys.exit(serve(GraphStore.open(project), "127.0.0.1", 0, project=project, engine_store=Path(job["store"]),
                   say=lambda m: print(m, flush=True)))
