"""Read the ontology, its local imports and the data into one RDF dataset.

Loading never touches the network: ``owl:imports`` are resolved through
``ontology/catalog-v001.xml`` to files in ``ontology/imports/``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from drugpolicy_kg.errors import InputError
from drugpolicy_kg.resources import GRAPH_BASE, PREFIXES, Project

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

DERIVED_GRAPH = GRAPH_BASE + "derived"


def read_catalog(catalog: Path) -> dict[str, Path]:
    """Map vocabulary IRIs to local files, from an OASIS XML catalog (as Protege and the ODK write it).

    >>> from drugpolicy_kg.resources import Project
    >>> cat = read_catalog(Project.open().catalog)
    >>> cat["http://www.w3.org/ns/org"].name
    'org-terms.ttl'
    """
    if not catalog.is_file():
        return {}
    try:
        root = ET.parse(catalog).getroot()  # noqa: S314 -- the project's own catalog; expat resolves no external entities
    except ET.ParseError as exc:
        line, col = exc.position
        raise InputError(f"not a valid XML catalog: {exc}", str(catalog), line, col + 1) from None
    out = {}
    for el in root.iter():
        if el.tag.endswith("uri") and el.get("name") and el.get("uri"):
            out[el.get("name")] = (catalog.parent / el.get("uri")).resolve()
    return out


def parse_file(path: Path, graph: Graph | None = None) -> Graph:
    """Parse one Turtle file; a syntax error becomes an InputError naming file, line and column."""
    from rdflib import Graph
    from rdflib.plugins.parsers.notation3 import BadSyntax

    graph = Graph() if graph is None else graph
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", str(path)) from None
    fmt = "nt" if path.suffix == ".nt" else "turtle"
    try:
        graph.parse(data=data, format=fmt, publicID=path.resolve().as_uri())
    except BadSyntax as exc:
        text = exc._str if isinstance(exc._str, bytes) else str(exc._str).encode()
        start = text.rfind(b"\n", 0, exc._i) + 1
        column = len(text[start : exc._i].decode("utf-8", "replace")) + 1
        raise InputError(f"Turtle syntax error: {exc._why}", str(path), exc.lines + 1, column) from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text: {exc.reason}", str(path), line) from None
    except Exception as exc:  # rdflib raises bare Exceptions for some bad terms
        raise InputError(f"cannot parse as Turtle: {exc}", str(path)) from None
    return graph


def import_files(project: Project) -> list[Path]:
    """The local files that the ontology's owl:imports resolve to, in catalog order."""
    catalog = read_catalog(project.catalog)
    return [p for p in dict.fromkeys(catalog.values()) if p.is_file()]


def load_dataset(project: Project, with_imports: bool = True) -> Dataset:
    """Load the whole project into a Dataset: one named graph per file, plus the derived graph.

    >>> ds = load_dataset(Project.open())
    >>> len(ds) > 1000
    True
    """
    from rdflib import Dataset, URIRef

    ds = Dataset(default_union=True)
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns, replace=True)
    files = project.ontology_files() + (import_files(project) if with_imports else []) + project.data_files()
    if not project.data_files():
        raise InputError("no data files found (expected data/*.ttl)", str(project.data_dir))
    for path in files:
        parse_file(path, ds.graph(URIRef(project.graph_iri(path))))
    derive(ds)
    return ds


def derive(ds: Dataset) -> int:
    """Add the derived ``dpo:mandates`` shortcut from Mandate nodes into its own named graph."""
    from rdflib import URIRef

    derived = ds.graph(URIRef(DERIVED_GRAPH))
    rows = ds.query(
        """
        PREFIX dpo: <https://w3id.org/drugpolicy-kg/ontology#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT DISTINCT ?res ?target WHERE {
          ?m a dpo:Mandate ; dpo:issuedIn ?issuer .
          ?issuer dcterms:isPartOf* ?res . ?res a dpo:Resolution .
          { ?m dpo:calledFor ?target } UNION { ?m dpo:addresses ?target }
        }"""
    )
    n = 0
    for res, target in rows:
        derived.add((res, URIRef(PREFIXES["dpo"] + "mandates"), target))
        n += 1
    return n


def load_fast(project: Project) -> Graph:
    """Load the whole project into one rdflib Graph backed by an Oxigraph store (oxrdflib).

    The fast path for large graphs: Oxigraph's parsers (about 10x rdflib's) and SPARQL engine behind
    rdflib's API, so the same library code runs on it. No named graphs; the ``dpo:mandates`` shortcut
    is derived as in :func:`load_dataset`.
    """
    import pyoxigraph as ox
    from rdflib import Graph
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    graph = Graph(store="Oxigraph", identifier=DATASET_DEFAULT_GRAPH_ID)  # triples live in the default graph
    store = graph.store._inner
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, replace=True)
    files = project.ontology_files() + import_files(project) + project.data_files()
    for path in files:
        fmt = ox.RdfFormat.N_TRIPLES if path.suffix == ".nt" else ox.RdfFormat.TURTLE
        try:
            store.load(path=str(path), format=fmt, base_iri=path.resolve().as_uri(), to_graph=ox.DefaultGraph())
        except SyntaxError as exc:
            import re

            m = re.search(r"(\d+):(\d+)", str(exc))
            raise InputError(f"syntax error: {exc}", str(path), *(map(int, m.groups()) if m else ())) from None
        except OSError as exc:
            raise InputError(f"cannot read file: {exc}", str(path)) from None
    store.update("""PREFIX dpo: <https://w3id.org/drugpolicy-kg/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/>
      INSERT { ?res dpo:mandates ?target } WHERE {
        ?m a dpo:Mandate ; dpo:issuedIn ?issuer . ?issuer dcterms:isPartOf* ?res . ?res a dpo:Resolution .
        { ?m dpo:calledFor ?target } UNION { ?m dpo:addresses ?target } }""")
    return graph


def union_graph(ds: Dataset) -> Graph:
    """All triples of all named graphs as one Graph (what SHACL and queries see)."""
    from rdflib import Graph

    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, replace=True)
    for quad in ds.quads((None, None, None, None)):
        g.add(quad[:3])
    return g
