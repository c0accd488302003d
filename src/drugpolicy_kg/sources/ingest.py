"""``ingest``: read a UN document and write a draft of candidate facts for a person to review.

The draft is a JSON file (``build`` never loads it): the document's metadata (symbol, date,
title, job number, sha256), and every candidate with its verbatim quote, locator, offsets,
the detector that found it, a confidence and a status (``pending``; ``rejected`` where a check
already refused it, for instance "Sustainable Development Goal 20"). Every quote is checked
against the document's text before anything is written; the file is written atomically.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from drugpolicy_kg.errors import InputError
from drugpolicy_kg.resources import GRAPH_BASE, internal_query
from drugpolicy_kg.sources.extract import extract
from drugpolicy_kg.sources.organizations import Index, from_entity_list, from_graph
from drugpolicy_kg.sources.plan import grid_kept
from drugpolicy_kg.sources.reader import Document, read_document

DRAFT_FORMAT = 1
DOC_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,80}")  # a document's id: part of the IRIs and file names review writes


def doc_id_for(symbol: str, path: Path) -> str:
    """A file-name-safe id from the document's symbol (or its file name), as ``DOC_ID`` allows.

    >>> doc_id_for("A/80/6 (Sect. 16)", Path("x.docx"))
    'a-80-6-sect-16'
    >>> len(doc_id_for("", Path("é" * 50 + "x" * 200 + ".txt")))
    81
    """
    base = symbol or path.stem
    return re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:81].strip("-") or "document"


def organization_rows(gs) -> list:
    """The graph's organizations by every name they have, with the graph that names them."""
    return gs.select(internal_query("organization-names.rq"))


def sdg_targets(gs) -> set[str]:
    """The codes of the SDG targets in the graph's concept scheme (3.5, 16.a ...)."""
    rows = gs.select(internal_query("sdg-targets.rq"))
    return {r[0].rsplit("/", 1)[-1] for r in rows}


def organization_index(org_rows, entity_list: Path | None, leave_out: str = "") -> Index:
    """What organization names are matched against: the graph's organizations (``organization-names.rq`` rows, less
    the graph ``leave_out``, the document's own earlier review) and the UN entity list."""
    graph = from_graph([r for r in org_rows if str(r[2]) != leave_out])
    return Index(graph + (from_entity_list(entity_list) if entity_list else []))


def ingest(path: Path, doc_id: str | None = None, targets: set[str] | None = None, org_rows=(),
           entity_list: Path | None = None, doc: Document | None = None) -> dict:
    """The draft for one document, as a dict (see :func:`write_draft`); ``doc`` is the document at ``path`` if its
    caller has read it already (the command reads it before the project's store, so a document it cannot read is
    refused without waiting for a store to be built)."""
    doc = doc if doc is not None else read_document(path)
    doc_id = doc_id or doc_id_for(doc.symbol, Path(path))
    found = extract(doc, targets, organization_index(org_rows, entity_list, GRAPH_BASE + doc_id))
    bad = [c for c in found.candidates if doc.text[c.start:c.end] != c.quote or not doc.quote_ok(c.quote)]
    if bad:  # a detector bug, never the user's: refuse rather than write a quote that is not in the source
        raise InputError(f"{len(bad)} candidate quote(s) do not stand verbatim in the document (first: {bad[0].quote[:60]!r})",
                         str(path))
    counts: dict[str, int] = {}
    for c in found.candidates:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    return {
        "format": DRAFT_FORMAT,
        "document": {"id": doc_id, "file": Path(path).name, "sha256": doc.sha256,
                     "symbol": doc.symbol, "date": doc.date, "title": doc.title, "job_number": doc.job_number,
                     "segments": len(doc.segments), "characters": len(doc.text)},
        "summary": {"candidates": len(found.candidates), "by_kind": dict(sorted(counts.items())),
                    "mandate_rows_read": found.rows_seen,
                    "operative_paragraphs": found.operative, "operative_unread": found.operative_unread,
                    "tables": (
                        "mandate lists read from the page; deliverables tables where it prints each figure's year "
                        "and status; resources tables where every row's figures check each other; the other "
                        f"tables, and {doc.tables_skipped:,} lines of figures and other tables, not read: ingest the "
                        ".docx for them" if doc.path.suffix.lower() == ".pdf" else
                        "read" if grid_kept(doc)
                        else "not read: text keeps no table grid (empty and merged cells are lost); ingest the .docx")},
        "candidates": [c.to_dict() for c in found.candidates],
        "text": doc.text,
    }


def write_draft(draft: dict, out: Path) -> None:
    """The draft as JSON, one candidate a line: readable, a diff of two runs shows one line per changed candidate,
    and fast (Python's JSON encoder uses its C speed-ups only without ``indent``: 30,000 candidates took 6 s
    indented, 0.3 s so)."""
    from drugpolicy_kg.atomic import atomic_write

    def dumps(value) -> str:
        return json.dumps(value, ensure_ascii=False)

    with atomic_write(out) as fh:
        fields = []
        for key, value in draft.items():
            if key == "candidates" and value:
                fields.append(f" {dumps(key)}: [\n  " + ",\n  ".join(dumps(c) for c in value) + "\n ]")
            else:
                fields.append(f" {dumps(key)}: {dumps(value)}")
        fh.write("{\n" + ",\n".join(fields) + "\n}\n")
