"""Find the files a project loads, and parse one Turtle file with rdflib (for shapes and tests).

Loading never touches the network: ``owl:imports`` are resolved through
``ontology/catalog-v001.xml`` to files in ``ontology/imports/``. The project's
files themselves are loaded by Oxigraph into one store (:mod:`drugpolicy_kg.graph.store`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from drugpolicy_kg.errors import InputError
from drugpolicy_kg.resources import Project

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing: 3 ms of every command's start)
if TYPE_CHECKING:
    from rdflib import Graph



def read_catalog(catalog: Path) -> dict[str, Path]:
    """Map vocabulary IRIs to local files, from an OASIS XML catalog (as Protege and the ODK write it).

    >>> from drugpolicy_kg.resources import Project
    >>> cat = read_catalog(Project.open().catalog)
    >>> cat["http://www.w3.org/ns/org"].name
    'org.ttl'
    """
    if not catalog.is_file():
        return {}
    try:
        root = ET.parse(catalog).getroot()  # noqa: S314 -- the project's own catalog; expat resolves no external entities
    except ET.ParseError as exc:
        line, col = exc.position
        raise InputError(f"not a valid XML catalog: {exc}", str(catalog), line, col + 1) from None
    out = {}
    folder = catalog.parent.resolve()
    for el in root.iter():
        if el.tag.endswith("uri") and el.get("name") and el.get("uri"):
            path = (folder / el.get("uri")).resolve()
            if not path.is_relative_to(folder):  # "/etc/passwd", "../../x.ttl", a link out: never loaded or published
                raise InputError(f"catalog maps {el.get('name')} to {el.get('uri')}: an import is a file in the "
                                 "ontology folder, never a path or a link out of it", str(catalog))
            out[el.get("name")] = path
    return out


def parse_file(path: Path, graph: Graph | None = None) -> Graph:
    """Parse one Turtle (or N-Triples, or RDF/XML ``.owl``) file; a syntax error becomes an InputError naming file, line and column."""
    from rdflib import Graph
    from rdflib.plugins.parsers.notation3 import BadSyntax

    graph = Graph() if graph is None else graph
    from drugpolicy_kg.atomic import read_regular

    data = read_regular(path)
    fmt = {".nt": "nt", ".owl": "xml", ".rdf": "xml"}.get(path.suffix, "turtle")
    try:
        graph.parse(data=data, format=fmt, publicID=path.resolve().as_uri())
    except BadSyntax as exc:  # Turtle
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
