"""What ``query --endpoint`` needs beyond sending a query: which graph holds the data, and names resolved there.

- ``push`` remembers, per endpoint, the graph it wrote (``pushed.json`` in the cache folder, with
  no credentials in it); ``query --endpoint`` without ``--graph`` queries that graph and says so.
- When a query finds nothing in the server's default graph, the server is asked which named
  graphs hold data, and the user is told where to look.
- A name or acronym given as a parameter is resolved on the server queried, not in the local copy:
  the name travels as a bound value (a VALUES block), never as query text.
"""

from __future__ import annotations

import json
import urllib.parse

from drugpolicy_kg.errors import UsageError, json_loads

PUSHED = "pushed.json"
FIND_NAME = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?s WHERE { ?s rdfs:label|skos:altLabel ?l . FILTER(isIRI(?s) && LCASE(STR(?l)) = LCASE(STR(?name))) }
ORDER BY ?s LIMIT 5"""
GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g LIMIT 20"


def endpoint_key(endpoint: str) -> str:
    """The endpoint without user, password, query or fragment: what is remembered and shown.

    >>> endpoint_key("http://user:secret@127.0.0.1:7878/query?x=1")
    'http://127.0.0.1:7878/query'
    """
    parts = urllib.parse.urlsplit(endpoint)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _memo():
    from drugpolicy_kg.graph.store import cache_root

    return cache_root() / PUSHED


def remember_push(endpoint: str, graph: str) -> None:
    """Note the graph ``push`` wrote on this endpoint (best effort: a read-only cache just remembers nothing)."""
    from drugpolicy_kg.atomic import atomic_write

    path = _memo()
    try:
        data = json_loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[endpoint_key(endpoint)] = graph
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
    except OSError:
        pass


def pushed_graph(endpoint: str) -> str | None:
    """The graph ``push`` last wrote on this endpoint, if it remembers one."""
    try:
        data = json_loads(_memo().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    graph = data.get(endpoint_key(endpoint)) if isinstance(data, dict) else None
    return graph if isinstance(graph, str) else None


def graphs_with_data(endpoint: str, timeout: float, creds) -> list[str]:
    from drugpolicy_kg.sparql.endpoint import remote_query

    try:
        result = remote_query(endpoint, GRAPHS, timeout=timeout, creds=creds)
    except Exception:  # noqa: BLE001 - only a hint: a server that will not say gets no hint
        return []
    return [str(r[0]) for r in result.rows if r and r[0] is not None]


def resolver(endpoint: str, graph: str | None, timeout: float, creds):
    """A resolver of names and acronyms that asks the server (on ``graph``); the name is a bound value."""
    import pyoxigraph as ox

    from drugpolicy_kg.sparql.endpoint import remote_query
    from drugpolicy_kg.sparql.query import with_values

    def resolve(term: str) -> str:
        text = with_values(FIND_NAME, {"name": ox.Literal(term)})
        rows = remote_query(endpoint, text, default_graph=graph, timeout=timeout, creds=creds).rows
        if not rows:
            raise UsageError(f"no entity named {term!r} on {endpoint_key(endpoint)}"
                             + (f" in <{graph}>" if graph else "") + "; give an IRI or prefix:name instead")
        return str(rows[0][0])

    return resolve
