"""Build: write the project's graph out, from its store, in every format.

Every output file is written to a temporary file and renamed into place, so a
failed or interrupted build leaves the previous outputs whole. Nothing is
written unless every input parsed. Outputs are sorted, so the same inputs give
byte-identical files (blank node labels aside).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from drugpolicy_kg.atomic import atomic_write, folder_lock
from drugpolicy_kg.errors import UsageError
from drugpolicy_kg.resources import PREFIXES, Project

if TYPE_CHECKING:
    from drugpolicy_kg.graph.store import GraphStore

FORMATS = {  # ours: (name, file extension); trig and nq keep one named graph per source file
    "ttl": ("Turtle", ".ttl"),
    "nt": ("N-Triples", ".nt"),
    "jsonld": ("JSON-LD", ".jsonld"),
    "trig": ("TriG", ".trig"),
    "nq": ("N-Quads", ".nq"),
}
STEM = "drugpolicy-kg"


def check_format(fmt: str) -> str:
    """Return the name of one of our formats, or raise a UsageError listing the accepted ones.

    >>> check_format("ttl")
    'Turtle'
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; accepted: {', '.join(FORMATS)}")
    return FORMATS[fmt][0]


def jsonld_context() -> dict[str, str]:
    """The local JSON-LD context: our prefixes, so no remote context is ever fetched."""
    return dict(PREFIXES)


def serialize(gs: GraphStore, fmt: str) -> bytes:
    """Serialise the store: ``trig`` and ``nq`` keep the named graphs; the others write the union once per triple."""
    import pyoxigraph as ox

    from drugpolicy_kg.resources import internal_query

    check_format(fmt)
    if fmt in ("trig", "nq"):
        # the named graphs only: the store's default graph is their union, which a reader of TriG rebuilds
        quads = sorted((q for q in gs.store.quads_for_pattern(None, None, None, None) if isinstance(q.graph_name, ox.NamedNode)),
                       key=lambda q: (str(q.graph_name), str(q.triple)))
        form = ox.RdfFormat.TRIG if fmt == "trig" else ox.RdfFormat.N_QUADS
        return ox.serialize(quads, format=form, prefixes=PREFIXES if fmt == "trig" else None)
    triples = sorted((ox.Triple(*sol) for sol in gs.query(internal_query("union-triples.rq"))), key=str)
    if fmt == "jsonld":
        # Oxigraph's writer (expanded node objects, full IRIs), put under our context inline: absolute IRIs mean
        # the same under any context, so the triples are Oxigraph's, and no remote context is ever named. Spliced
        # as bytes: a million triples never become Python objects (rdflib's writer took 2.5 GB at 1M).
        import json

        body = ox.serialize(triples, format=ox.RdfFormat.JSON_LD)
        return b'{"@context": ' + json.dumps(jsonld_context()).encode() + b',\n "@graph": ' + body + b"}\n"
    if fmt == "nt":
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)


def build(project: Project, out_dir: Path, formats: list[str] | None = None) -> dict[str, Path]:
    """Load the project and write one file per format into ``out_dir``; return what was written.

    >>> import tempfile, pathlib
    >>> written = build(Project.open(), pathlib.Path(tempfile.mkdtemp()), ["nt"])
    >>> written["nt"].name
    'drugpolicy-kg.nt'
    """
    formats = formats or list(FORMATS)
    for fmt in formats:
        check_format(fmt)
    from drugpolicy_kg.graph.store import GraphStore

    gs = GraphStore.open(project)
    payloads = {fmt: serialize(gs, fmt) for fmt in formats}
    written = {}
    with folder_lock(out_dir):
        for fmt, data in payloads.items():
            path = out_dir / (STEM + FORMATS[fmt][1])
            with atomic_write(path, "wb") as fh:
                fh.write(data)
            written[fmt] = path
        with atomic_write(out_dir / "context.jsonld") as fh:
            json.dump({"@context": jsonld_context()}, fh, indent=1)
    return written
