"""Build: merge ontology, imports and data into one graph and write it out.

Every output file is written to a temporary file and renamed into place, so a
failed or interrupted build leaves the previous outputs whole. Nothing is
written unless every input parsed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from drugpolicy_kg.atomic import atomic_write, folder_lock
from drugpolicy_kg.errors import UsageError
from drugpolicy_kg.graph.loader import load_dataset, union_graph
from drugpolicy_kg.resources import PREFIXES, Project

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

FORMATS = {
    "ttl": ("turtle", ".ttl"),
    "nt": ("nt", ".nt"),
    "jsonld": ("json-ld", ".jsonld"),
    "trig": ("trig", ".trig"),
}
STEM = "drugpolicy-kg"


def check_format(fmt: str) -> str:
    """Return the rdflib format name for one of ours, or raise a UsageError listing the accepted ones.

    >>> check_format("ttl")
    'turtle'
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; accepted: {', '.join(FORMATS)}")
    return FORMATS[fmt][0]


def jsonld_context() -> dict[str, str]:
    """The local JSON-LD context: our prefixes, so no remote context is ever fetched."""
    return dict(PREFIXES)


def serialize(ds: Dataset, fmt: str) -> bytes:
    """Serialise the dataset: ``trig`` keeps one named graph per file; the others are the union."""
    name = check_format(fmt)
    if fmt == "trig":
        return ds.serialize(format="trig", encoding="utf-8")
    graph: Graph = union_graph(ds)
    if fmt == "jsonld":
        return graph.serialize(format="json-ld", context=jsonld_context(), indent=1, encoding="utf-8")
    return graph.serialize(format=name, encoding="utf-8")


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
    ds = load_dataset(project)
    payloads = {fmt: serialize(ds, fmt) for fmt in formats}
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
