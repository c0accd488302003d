"""Build: write the project's graph out, from its store, in every format.

Every output file is written to a temporary file and renamed into place, so a
failed or interrupted build leaves the previous outputs whole. Nothing is
written unless every input parsed. Outputs are sorted, so the same inputs give
byte-identical files (blank node labels aside).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from drugpolicy_kg.atomic import folder_lock
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
GRAPH_FORMATS = ("trig", "nq")  # the formats written from the named graphs; the others write their union


def check_format(fmt: str) -> str:
    """Return the name of one of our formats, or raise a UsageError listing the accepted ones.

    >>> check_format("ttl")
    'Turtle'
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; accepted: {', '.join(FORMATS)}")
    return FORMATS[fmt][0]


JSONLD_KEYWORDS = {"id", "type", "value", "language", "graph", "context", "list", "set", "reverse", "index", "base",
                   "vocab", "container", "nest", "prefix", "propagate", "protected", "version", "json", "none",
                   "direction", "import", "included"}
TERMS = """SELECT ?p (COUNT(*) AS ?n) (SUM(IF(isLiteral(?o), 0, 1)) AS ?refs)
           (SUM(IF(isLiteral(?o) && DATATYPE(?o) = <http://www.w3.org/2001/XMLSchema#string>, 1, 0)) AS ?plain)
           WHERE { ?s ?p ?o } GROUP BY ?p"""
CLASSES = "SELECT DISTINCT ?c WHERE { ?s a ?c FILTER(isIRI(?c)) }"


def jsonld_context(gs: GraphStore | None = None) -> dict:
    """The local JSON-LD context (no remote context is ever fetched): our prefixes and, given a store, a term for
    every property and class its data uses, named by the IRI's last part where that name is unique ("label",
    "adoptedBy", "Mandate"); a property whose values are all IRIs is typed ``@id``, so its values are plain strings.
    With the terms, a JSON-LD file reads as plain JSON."""
    from drugpolicy_kg.sparql.results import compact

    ctx: dict = dict(PREFIXES)
    if gs is None:
        return ctx

    def local(iri: str) -> str:
        return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]

    props = [(str(p), int(n), int(refs)) for p, n, refs, _plain in gs.select(TERMS)]
    classes = [str(c) for (c,) in gs.select(CLASSES)]
    counts: dict[str, int] = {}
    for iri in [p for p, _, _ in props] + classes:
        counts[local(iri)] = counts.get(local(iri), 0) + 1
    usable = {name for name, n in counts.items()
              if n == 1 and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) and name.lower() not in JSONLD_KEYWORDS
              and name not in PREFIXES}
    rdf_type = PREFIXES["rdf"] + "type"
    for iri, n, refs in sorted(props):
        name = local(iri)
        if iri == rdf_type or name not in usable:
            continue
        ctx[name] = {"@id": compact(iri).strip("<>"), "@type": "@id"} if refs == n else {"@id": compact(iri).strip("<>")}
    for iri in sorted(classes):
        if local(iri) in usable:
            ctx[local(iri)] = compact(iri).strip("<>")
    return ctx


def _jsonld(triples, ctx: dict):
    """The triples as compacted JSON-LD under ``ctx``, one node object per subject, streamed as bytes (a million
    triples never become one Python structure)."""
    import json

    import pyoxigraph as ox

    from drugpolicy_kg.sparql.results import compact

    terms = {v["@id"] if isinstance(v, dict) else v: (k, v) for k, v in ctx.items() if k not in PREFIXES}
    XSD_STRING = PREFIXES["xsd"] + "string"
    RDF_TYPE = PREFIXES["rdf"] + "type"

    def ref(term) -> str:
        if isinstance(term, ox.BlankNode):
            return "_:" + term.value
        c = compact(term.value)
        return c[1:-1] if c.startswith("<") else c

    def value(term, as_id: bool):
        if isinstance(term, (ox.NamedNode, ox.BlankNode)):
            return ref(term) if as_id else {"@id": ref(term)}
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value == XSD_STRING:
            return term.value
        return {"@value": term.value, "@type": ref(term.datatype)}

    yield b'{"@context": ' + json.dumps(ctx, ensure_ascii=False, indent=1).encode() + b',\n "@graph": [\n'
    first = True
    current, node = None, None

    def flush():  # one value plainly, several as a list
        return json.dumps({k: v[0] if isinstance(v, list) and len(v) == 1 and k != "@type" else v
                           for k, v in node.items()}, ensure_ascii=False, sort_keys=True).encode()

    for t in triples:
        if t.subject != current:
            if node is not None:
                yield (b"" if first else b",\n") + flush()
                first = False
            current, node = t.subject, {"@id": ref(t.subject)}
        p = t.predicate.value
        if p == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            cls = terms.get(compact(t.object.value).strip("<>"))
            node.setdefault("@type", []).append(cls[0] if cls else ref(t.object))
            continue
        term = terms.get(compact(p).strip("<>"))
        key = term[0] if term else ref(t.predicate)
        as_id = bool(term) and isinstance(term[1], dict) and term[1].get("@type") == "@id"
        node.setdefault(key, []).append(value(t.object, as_id))
    if node is not None:
        yield (b"" if first else b",\n") + flush()
    yield b"\n]}\n"


class _Dump:
    """What the formats are written from, read from the store once for all of them: the named graphs' quads (TriG,
    N-Quads) and the union's triples (Turtle, N-Triples, JSON-LD), each sorted so that a build repeats byte for byte.

    The store writes each graph as N-Triples itself (Oxigraph's writer, no Python object per triple); the lines are
    sorted as bytes, which is the order of their text, and parsed back only for a format that needs terms."""

    def __init__(self, gs: GraphStore):
        self.gs = gs
        self._nquads: bytes | None = None
        self._ntriples: bytes | None = None
        self._context: dict | None = None

    @property
    def context(self) -> dict:
        if self._context is None:
            self._context = jsonld_context(self.gs)
        return self._context

    def _lines(self, graph) -> list[bytes]:
        import pyoxigraph as ox

        lines = self.gs.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph).splitlines()
        lines.sort()
        return lines

    @property
    def nquads(self) -> bytes:
        """The named graphs as N-Quads, graph by graph in the order of their IRIs (the store's default graph is their
        union, and is not written again)."""
        if self._nquads is None:
            parts = []
            for graph in sorted(self.gs.store.named_graphs(), key=str):
                suffix = b" " + str(graph).encode("utf-8") + b" ."
                parts.extend(line[:-2] + suffix for line in self._lines(graph))  # "<s> <p> <o> ." + the graph
            self._nquads = b"\n".join(parts) + b"\n" if parts else b""
        return self._nquads

    @property
    def ntriples(self) -> bytes:
        """The union (the store's default graph), each triple once, as N-Triples."""
        if self._ntriples is None:
            import pyoxigraph as ox

            lines = self._lines(ox.DefaultGraph())
            self._ntriples = b"\n".join(lines) + b"\n" if lines else b""
        return self._ntriples

    def let_go_of_triples(self) -> None:
        self._ntriples = None

    def let_go_of_quads(self) -> None:
        self._nquads = None

    @property
    def quads(self):
        import pyoxigraph as ox

        return ox.parse(self.nquads, format=ox.RdfFormat.N_QUADS)

    @property
    def triples(self):
        import pyoxigraph as ox

        return ox.parse(self.ntriples, format=ox.RdfFormat.N_TRIPLES)


def serialize(gs: GraphStore, fmt: str, dump: _Dump | None = None) -> bytes:
    """Serialise the store: ``trig`` and ``nq`` keep the named graphs; the others write the union once per triple.
    ``dump``: what several formats of one build share."""
    import pyoxigraph as ox

    check_format(fmt)
    dump = dump or _Dump(gs)
    if fmt == "nq":
        return dump.nquads
    if fmt == "trig":
        return ox.serialize(dump.quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
    if fmt == "jsonld":
        # compacted under the project's context, written node by node (rdflib's writer took 2.5 GB at 1M)
        return b"".join(_jsonld(dump.triples, dump.context))
    if fmt == "nt":
        return dump.ntriples
    return ox.serialize(dump.triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)


DATASET_GRAPH = "https://w3id.org/drugpolicy-kg/graph/dataset"


def publication_files(gs: GraphStore, project: Project, publish_url: str | None) -> dict[str, bytes]:
    """What a publisher puts beside the dumps: the dataset's description (VoID, DCAT), the ontology and its
    documentation, and, given where the files will be published, the w3id redirect rules."""
    import pyoxigraph as ox

    from drugpolicy_kg.graph.ontodoc import htaccess, ontology_html

    quads = gs.store.quads_for_pattern(None, None, None, ox.NamedNode(DATASET_GRAPH))
    triples = sorted((q.triple for q in quads), key=str)
    files = {"dataset.ttl": ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)}
    onto = project.ontology_dir / "drugpolicy.ttl"
    if onto.is_file():
        files["ontology/drugpolicy.ttl"] = onto.read_bytes()
        files["ontology.html"] = ontology_html(onto).encode("utf-8")
    if publish_url:
        if not re.match(r"^https?://[^\s]+$", publish_url):
            raise UsageError(f"--publish-url must be an http(s) URL, got {publish_url!r}")
        files["w3id.htaccess"] = htaccess(publish_url).encode("utf-8")
    return files


def build(project: Project, out_dir: Path, formats: list[str] | None = None, publish_url: str | None = None) -> dict[str, Path]:
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
    from drugpolicy_kg.atomic import write_all

    written = {fmt: out_dir / (STEM + FORMATS[fmt][1]) for fmt in formats}
    extras = publication_files(gs, project, publish_url)
    written.update((name, out_dir / name) for name in extras)
    dump = _Dump(gs)

    def outputs():
        """Each file made as it is written, the union's formats first: what they share let go once the last of them
        is made, so the build holds one format's bytes at a time, not all five (a million triples of programme plans,
        their long literals: 1,504 -> 1,164 MB for the whole build)."""
        union = [f for f in formats if f not in GRAPH_FORMATS]
        for fmt in union + [f for f in formats if f in GRAPH_FORMATS]:
            data = serialize(gs, fmt, dump)
            if union and fmt == union[-1]:
                dump.let_go_of_triples()
            yield written[fmt], data
            data = None
        dump.let_go_of_quads()
        for name, data in extras.items():
            yield out_dir / name, data
        yield out_dir / "context.jsonld", json.dumps({"@context": dump.context}, indent=1).encode("utf-8")

    with folder_lock(out_dir):
        write_all(outputs())  # every output, or none: a build is published whole
    return written
