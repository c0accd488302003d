"""One store under every command: the project's files in an Oxigraph store on disk.

Every file the project loads (the ontology, its local imports, the data) goes into
its own named graph; the ``dpo:mandates`` shortcut is derived by a SPARQL Update
(``derive-mandates.ru``) into the graph ``graph/derived``. The default graph is the
union of all graphs, as a set (each file is loaded into it too: a fact two sources
state is one triple there, not two); queries see it, and each graph by name.

The store is built once for a given content of the inputs and reused: its folder
is named by a fingerprint of the inputs (their bytes, the graph each goes into,
and the derivation), under the cache folder (``$DRUGPOLICY_KG_CACHE``, else
``$XDG_CACHE_HOME/drugpolicy-kg``, else ``~/.cache/drugpolicy-kg``). A command
whose inputs changed builds a new store, says so on stderr, and publishes it
with one rename; commands that find it open it read-only, so any number of them
can read it at once. A build holds a lock on its fingerprint, so two commands
started together build once.

Only the most recently used stores are kept. A store that a process has open (a
notebook, ``serve``, a test session) holds a shared lock on its ``in-use`` file for
as long as it is open, and is never removed: before this lock, a build for another
copy of the data removed a store under a notebook that was reading it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import time
from pathlib import Path

from drugpolicy_kg.errors import InputError, json_loads
from drugpolicy_kg.records import FrozenRecord
from drugpolicy_kg.resources import GRAPH_BASE, Project, internal_query

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing: 3 ms of every command's start)
if TYPE_CHECKING:
    import pyoxigraph
    from rdflib import Dataset, Graph

STORE_FORMAT = "7"  # bump when what a store holds or how it is laid out changes for the same inputs (describe() included)
DERIVED_GRAPH = GRAPH_BASE + "derived"
KEEP_STORES = 6  # the most recently used stores kept in the cache; older ones are removed
LOOKED_UP = ("http://", "https://", "urn:", "file:")  # the subjects whose graphs are looked up (see graphs_of)
_STORE_DIR = re.compile(r"^store-[0-9a-f]{24}$")
_TMP_DIR = re.compile(r"^\.tmp-store-[0-9a-f]{24}-\d+$")


class Input(FrozenRecord):
    """One file the store loads, and the named graph it goes into."""

    __slots__ = ("path", "graph")  # path: Path, graph: str (its IRI)

    @property
    def format(self) -> str:
        return {".nt": "nt", ".owl": "xml", ".rdf": "xml"}.get(self.path.suffix, "ttl")


def cache_root() -> Path:
    """Where built stores are kept.

    >>> os.environ["DRUGPOLICY_KG_CACHE"] = "/tmp/x"; str(cache_root())
    '/tmp/x'
    >>> del os.environ["DRUGPOLICY_KG_CACHE"]
    """
    if os.environ.get("DRUGPOLICY_KG_CACHE"):
        return Path(os.environ["DRUGPOLICY_KG_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "drugpolicy-kg"


def project_inputs(project: Project) -> list[Input]:
    """Every file the store loads, in a fixed order, each with its named graph; special files are refused."""
    from drugpolicy_kg.graph.loader import import_files

    if not project.data_files():
        raise InputError("no data files found (expected data/*.ttl)", str(project.data_dir))
    files = project.ontology_files() + import_files(project) + project.data_files()
    out = []
    for path in files:
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror}", str(path)) from None
        if not stat.S_ISREG(mode):
            raise InputError("not a regular file (a FIFO, device or socket is never read)", str(path))
        out.append(Input(path, project.graph_iri(path)))
    return out


def _file_digest(path: Path, memo: dict) -> str:
    """The sha256 of a file, remembered by (size, mtime, inode) so a warm start reads no large file."""
    st = path.stat()
    key = str(path.resolve())
    sig = [st.st_size, st.st_mtime_ns, st.st_ino]
    hit = memo.get(key)
    if hit and hit[:3] == sig:
        return hit[3]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    memo[key] = [*sig, h.hexdigest()]
    return h.hexdigest()


def fingerprint(inputs: list[Input], cache: Path | None = None) -> str:
    """A digest of everything that decides the store's content: format, derivation, each file and its graph."""
    memo_path = (cache or cache_root()) / "digests.json"
    try:
        memo = json_loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    before = json.dumps(memo, sort_keys=True)
    h = hashlib.sha256(STORE_FORMAT.encode())
    h.update(internal_query("derive-mandates.ru").encode())
    h.update(internal_query("graph-sizes.rq").encode())
    h.update(internal_query("dataset-partitions.rq").encode())
    for inp in inputs:
        h.update(b"\0" + inp.graph.encode() + b"\0" + _file_digest(inp.path, memo).encode())
    if json.dumps(memo, sort_keys=True) == before:  # a warm start writes nothing
        return h.hexdigest()[:24]
    with contextlib.suppress(OSError):
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo_path.with_name(f".digests-{os.getpid()}.tmp")
        tmp.write_text(json.dumps(memo))
        os.replace(tmp, memo_path)
    return h.hexdigest()[:24]


def _load(store: pyoxigraph.Store, inp: Input, named: bool = True) -> None:
    """Load one input into its named graph (``named``) or into the default graph."""
    import pyoxigraph as ox

    fmt = {"nt": ox.RdfFormat.N_TRIPLES, "xml": ox.RdfFormat.RDF_XML}.get(inp.format, ox.RdfFormat.TURTLE)
    try:
        with open(inp.path, "rb") as fh:
            bom = fh.read(3) == b"\xef\xbb\xbf"  # a UTF-8 byte-order mark (some editors write one): read past it
        graph = ox.NamedNode(inp.graph) if named else ox.DefaultGraph()
        # no base IRI: a relative IRI is an error naming its line, never a file:/// path of this machine
        if bom:
            store.bulk_load(inp.path.read_bytes()[3:], format=fmt, to_graph=graph)
        else:
            store.bulk_load(path=str(inp.path), format=fmt, to_graph=graph)
    except SyntaxError as exc:
        first = (str(exc).splitlines() or ["syntax error"])[0]
        first = re.sub(r"^Parser error at line \d+ (?:between columns \d+ and \d+|column \d+): ", "", first)
        first = re.sub(r" \([^()]*, line \d+\)$", "", first)
        if "No scheme found" in first:  # parsed without a base on purpose
            first = "a relative IRI: write IRIs in full (https://...) or with a declared prefix"
        kind = {"nt": "N-Triples", "xml": "RDF/XML"}.get(inp.format, "Turtle")
        raise InputError(f"{kind} syntax error: {first}", str(inp.path), exc.lineno, exc.offset) from None
    except UnicodeError as exc:
        raise InputError(f"not UTF-8 text: {exc}", str(inp.path)) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc}", str(inp.path)) from None


LARGE_FILE = 64 * 1024 * 1024  # bytes of a data file whose two loads do not run at once (see fill)


def fill(store: pyoxigraph.Store, inputs: list[Input], compact: bool = False) -> dict:
    """Load the inputs into ``store`` (one named graph each, and the default graph), derive, describe (and compact the
    store's files, ``compact``: for a store on disk), and return the counts.

    Each file is loaded into its named graph, and into the default graph, which is so the union of all graphs as a
    set (a fact two sources state is one triple there; Oxigraph's union-as-default mode would give it once per
    graph). Loading twice is the bulk loader's fast path: a tenth of the cost of copying the quads afterwards.

    Two loads run at once, the largest files' first: Oxigraph's bulk loader leaves Python's lock while it parses and
    writes, and a store's content is a set, the same whatever the order (a cold build of the shipped graph: 3.7 s
    of loading to 2.0 s on two cores). A file of ``LARGE_FILE`` bytes or more is loaded by one load at a time, the
    others beside it: the bulk loader's memory grows with the file. An error is the first failing file's in the
    project's order."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    def size(inp: Input) -> int:
        try:
            return inp.path.stat().st_size
        except OSError:
            return 0  # (its load says why)

    sizes = [size(inp) for inp in inputs]
    large = threading.Lock()  # one large file's load at a time: two at once took 1.65 GB at a million triples

    def load(i: int, named: bool) -> None:
        with large if sizes[i] >= LARGE_FILE else contextlib.nullcontext():
            _load(store, inputs[i], named)

    by_size = sorted(range(len(inputs)), key=lambda i: sizes[i], reverse=True)
    big = [i for i in by_size if sizes[i] >= LARGE_FILE]
    # a large file's named graph first, the small files beside it, its default graph last (so no worker waits idle)
    order = [(i, True) for i in big] + [(i, named) for i in by_size if i not in big for named in (True, False)] + \
        [(i, False) for i in big]
    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        loads = {(i, named): pool.submit(load, i, named) for i, named in order}
        for key in sorted(loads):  # (the project's order)
            loads[key].result()
    store.update(internal_query("derive-mandates.ru"))
    if not compact:
        return describe(store)
    # The bulk loader leaves each load's sorted files side by side. Compacted into one sorted run per index, with its
    # filters, a look-up by subject or object reads one file, not one of each load: 28 -> 24 µs a subject's facts on
    # the third shape of data, whose `views` (365,000 entities read one by one) took 111-119 s against 128-133 s, a
    # trace of its busiest organization 0.88-0.91 s against 0.96-1.02 s; the shipped graph's `trace CND` 0.45-0.48 s
    # against 0.50-0.52 s. Oxigraph compacts outside Python's lock, here beside the counts, which add a few triples
    # in a small file of their own: a cold build takes no longer (18.3-18.6 s at a million triples, 17.9-18.5 s
    # before); compacted after the counts, it took 3.6 s more, for 24 -> 22 µs a look-up.
    with ThreadPoolExecutor(max_workers=1) as compacting:
        compacted = compacting.submit(store.optimize)
        meta = describe(store)
    compacted.result()
    return meta


DATASET = "https://w3id.org/drugpolicy-kg/dataset"
DATASET_GRAPH = GRAPH_BASE + "dataset"
VOID = "http://rdfs.org/ns/void#"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


def partition_iri(kind: str, iri: str) -> str:
    """The IRI :func:`describe` gives the part of the dataset that is a named graph (``kind`` "graph") or a class
    ("class"): ``iri`` encoded as SPARQL's ENCODE_FOR_URI does (all but the unreserved characters, in UTF-8).

    >>> partition_iri("class", "http://www.w3.org/ns/org#Membership")
    'https://w3id.org/drugpolicy-kg/dataset/class/http%3A%2F%2Fwww.w3.org%2Fns%2Forg%23Membership'
    """
    import urllib.parse

    return f"{DATASET}/{kind}/{urllib.parse.quote(iri, safe='')}"


def describe(store: pyoxigraph.Store) -> dict:
    """Describe the dataset's counts (VoID) into the dataset graph and the default graph, and return them.

    Into <https://w3id.org/drugpolicy-kg/dataset>: a ``void:subset`` per named graph of data (``sd:name``,
    ``void:triples``), a ``void:classPartition`` per class (``void:class``, ``void:entities``), the entities in the
    project's namespace, and last the union's triples, counted as the published dump holds them: with this
    description, its counts included (the triple that states the count is the one not yet in the store when it is
    counted, hence + 1). Queries read the counts, each after what it counts is written; Python writes the triples
    (the SPARQL update that did it read the store inside a transaction, and the counts were read again after it:
    1.5 s against 0.9 s on the shipped graph). Returns the triples of the union and of each named graph, as :func:`counts` would."""
    import pyoxigraph as ox

    sd_name = ox.NamedNode("http://www.w3.org/ns/sparql-service-description#name")
    a = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    ds, void = ox.NamedNode(DATASET), (lambda name: ox.NamedNode(VOID + name))
    per_graph: dict[str, int] = {}
    triples: list[tuple] = []

    def part(kind: str, iri: str):
        return ox.NamedNode(partition_iri(kind, iri))

    for sol in store.query(internal_query("graph-sizes.rq")):
        g, n = sol["g"], ox.Literal(sol["n"].value, datatype=sol["n"].datatype)
        per_graph[g.value] = int(n.value)
        if g.value != DATASET_GRAPH:
            sub = part("graph", g.value)
            triples += [(ds, void("subset"), sub), (sub, a, void("Dataset")), (sub, sd_name, g), (sub, void("triples"), n)]
    per_graph[DATASET_GRAPH] = per_graph.get(DATASET_GRAPH, 0) + _add_to_dataset(store, triples)
    triples = []
    for sol in store.query(internal_query("dataset-partitions.rq")):
        cls, n = sol["class"], ox.Literal(sol["n"].value, datatype=sol["n"].datatype)
        if cls is not None:
            cp = part("class", cls.value)
            triples += [(ds, void("classPartition"), cp), (cp, void("class"), cls), (cp, void("entities"), n)]
        else:
            triples.append((ds, void("entities"), n))
    per_graph[DATASET_GRAPH] += _add_to_dataset(store, triples)
    union = _count(store, "union-size.rq")
    last = (ds, void("triples"), ox.Literal(str(union + 1), datatype=ox.NamedNode(XSD_INTEGER)))
    union += ox.Quad(*last, ox.DefaultGraph()) not in store
    per_graph[DATASET_GRAPH] += _add_to_dataset(store, [last])
    return {"triples": union, "graphs": dict(sorted(per_graph.items()))}


def _add_to_dataset(store: pyoxigraph.Store, triples: list[tuple]) -> int:
    """Add the triples to the dataset graph and the default graph; how many the dataset graph did not hold."""
    import pyoxigraph as ox

    graph = ox.NamedNode(DATASET_GRAPH)
    new = sum(ox.Quad(*t, graph) not in store for t in dict.fromkeys(triples))
    store.extend([ox.Quad(s, p, o, g) for s, p, o in triples for g in (graph, ox.DefaultGraph())])
    return new


def _count(store: pyoxigraph.Store, name: str) -> int:
    return int(next(iter(store.query(internal_query(name))))["n"].value)


def counts(store: pyoxigraph.Store) -> dict:
    """Triples in the union (the default graph: each distinct triple once) and per named graph."""
    per_graph = {sol["g"].value: int(sol["n"].value) for sol in store.query(internal_query("graph-sizes.rq"))}
    return {"triples": _count(store, "union-size.rq"), "graphs": dict(sorted(per_graph.items()))}


def memo_in(location: Path, name: str, suffix: str = ".json") -> Path:
    """Where to keep what is read once from the store in the folder ``location`` and reused by later runs: a file in
    that folder, whose content never changes (the folder is named by its inputs), named with the package's version
    so that a new release reads it afresh."""
    from drugpolicy_kg import __version__

    return Path(location) / f"{name}-{__version__}{suffix}"


class GraphStore:
    """The project's graph in Oxigraph: the union as default graph, each source's graph by name.

    >>> gs = GraphStore.open(Project.open())
    >>> gs.ask("ASK { GRAPH ?g { ?s a <https://w3id.org/drugpolicy-kg/ontology#WorkingGroup> } }")
    True
    """

    def __init__(self, store: pyoxigraph.Store, meta: dict, location: Path | None = None, inputs=(),
                 in_use: int | None = None):
        self.store = store
        self.meta = meta
        self.location = location
        self.inputs = list(inputs)
        self._rdflib: Dataset | None = None
        self._in_use = in_use  # a descriptor holding a shared lock on the store's in-use file (see _prune)

    def __del__(self):
        fd, self._in_use = getattr(self, "_in_use", None), None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    # ------------------------------------------------------------------ opening --

    @classmethod
    def open(cls, project: Project, say=None) -> GraphStore:
        """Open the store for the project's current inputs, building it first if they changed."""
        import pyoxigraph as ox

        from drugpolicy_kg.atomic import finish_interrupted
        from drugpolicy_kg.resources import REVIEW_JOURNAL

        finish_interrupted(project.data_dir / REVIEW_JOURNAL)  # a review cut short by SIGKILL: its files all new first
        inputs = project_inputs(project)
        cache = cache_root()
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the store cache: {exc.strerror} (set DRUGPOLICY_KG_CACHE to a writable folder)",
                             str(cache)) from None
        fp = fingerprint(inputs, cache)
        final = cache / f"store-{fp}"
        in_use = None
        for _attempt in range(3):  # a store pruned between finding and locking it is built again
            if not (final / "meta.json").is_file():
                with _lock(cache / f".lock-{fp}"):
                    if not (final / "meta.json").is_file():
                        _build(inputs, cache, fp, final, say)
                        from drugpolicy_kg.threads import give_back_memory

                        give_back_memory()
            in_use = _hold(final)
            if in_use is not None:
                break
        try:
            if in_use is None:
                raise OSError("removed while being opened, three times")
            meta = json_loads((final / "meta.json").read_text())
            store = ox.Store.read_only(str(final / "db"))
        except (OSError, ValueError) as exc:
            if in_use is not None:
                os.close(in_use)
            if _limited(exc):  # this process may not open it (open-files limit, memory, rights): the store is fine
                raise InputError(f"cannot open the graph store: {exc}", str(final)) from None
            # damaged: removed so that the next run builds it again, unless another process has it open (a serve)
            removed = _remove_unless_held(final, cache)
            raise InputError(f"the cached store could not be opened ({exc}); " +
                             ("run the command again to rebuild it" if removed else
                              "another process has it open, so it is kept: stop that process and run the command again"),
                             str(final)) from None
        with contextlib.suppress(OSError):
            os.utime(final)
        return cls(store, meta, final, inputs, in_use)

    @staticmethod
    def built_location(project: Project) -> Path | None:
        """The folder of the store for the project's current inputs if it is built, without opening it (None if not):
        for what is kept beside it (the index of words, answers). As :meth:`open` does, a review cut short is
        completed first (so the inputs are whole), and the store found is marked as used (the last a prune removes)."""
        from drugpolicy_kg.atomic import finish_interrupted
        from drugpolicy_kg.resources import REVIEW_JOURNAL

        finish_interrupted(project.data_dir / REVIEW_JOURNAL)
        cache = cache_root()
        final = cache / f"store-{fingerprint(project_inputs(project), cache)}"
        if not (final / "meta.json").is_file():
            return None
        with contextlib.suppress(OSError):
            os.utime(final)
        return final

    @classmethod
    def in_memory(cls, inputs: list[Input]) -> GraphStore:
        """A store in memory (for validating extra files with the project's data)."""
        import pyoxigraph as ox

        store = ox.Store()
        meta = fill(store, inputs)
        return cls(store, meta, None, inputs)

    # ------------------------------------------------------------------ reading --

    @property
    def triples(self) -> int:
        return self.meta["triples"]

    @property
    def graphs(self) -> dict[str, int]:
        return self.meta["graphs"]

    def query(self, text: str, substitutions: dict | None = None):
        """Run a query on the default graph, the union of all graphs as a set (named graphs stay reachable with GRAPH).

        The project's prefixes (``resources.PREFIXES``) are predeclared; a PREFIX in the text overrides one.
        """
        from drugpolicy_kg.resources import PREFIXES

        return self.store.query(text, substitutions=substitutions or None, prefixes=PREFIXES)

    def memo(self, name: str, suffix: str = ".json") -> Path | None:
        """Where to keep what is read from this store once and reused by later runs (the index of names a trace
        resolves terms with): see :func:`memo_in`; None for a store in memory."""
        return memo_in(self.location, name, suffix) if self.location is not None else None

    def ask(self, text: str) -> bool:
        return bool(self.query(text))

    def select(self, text: str, **bindings) -> list[tuple]:
        """Rows of plain values (``str`` or None) of a SELECT; ``bindings`` are IRIs bound by name."""
        import pyoxigraph as ox

        subs = {ox.Variable(k): ox.NamedNode(v) for k, v in bindings.items()}
        # a solution iterates its values in the order of the query's variables (faster than looking each up by name)
        return [tuple(None if term is None else term.value for term in sol) for sol in self.query(text, subs)]

    def graphs_of(self, subject: str, predicate: str | None = None) -> list[str]:
        """The named graphs that state a triple about ``subject`` (with ``predicate`` if given), sorted."""
        import pyoxigraph as ox

        if not subject.startswith(LOOKED_UP):
            return []
        pred = ox.NamedNode(predicate) if predicate else None
        return sorted({q.graph_name.value for q in self.store.quads_for_pattern(ox.NamedNode(subject), pred, None, None)
                       if isinstance(q.graph_name, ox.NamedNode)})

    def view(self):
        """The union through the few graph methods the tracer reads, with no rdflib (:class:`oxi.StoreView`)."""
        from drugpolicy_kg.graph.oxi import StoreView

        return StoreView(self.store)

    def rdflib(self) -> Dataset:
        """The store behind rdflib's API (oxrdflib), the union as default graph: for code written against rdflib.

        Nothing is copied: each lookup goes to the store.
        """
        if self._rdflib is None:
            self._rdflib = rdflib_dataset(self.store)
        return self._rdflib

    def union_graph(self) -> Graph:
        """A copy of the union in an in-memory rdflib Graph, for libraries that need one (pySHACL, JSON-LD)."""
        from drugpolicy_kg.graph.oxi import rdflib_graph

        return rdflib_graph(self.query(internal_query("union-triples.rq")))

    def named_graph(self, name: str) -> Graph:
        """A copy of one named graph in an in-memory rdflib Graph."""
        import pyoxigraph as ox

        from drugpolicy_kg.graph.oxi import rdflib_graph

        return rdflib_graph((q.triple for q in self.store.quads_for_pattern(None, None, None, ox.NamedNode(name))), name)


def rdflib_dataset(store) -> Dataset:
    """An Oxigraph store behind rdflib's API (oxrdflib), the union as default graph, the project's prefixes bound."""
    from oxrdflib import OxigraphStore
    from rdflib import Dataset

    from drugpolicy_kg.resources import PREFIXES

    ds = Dataset(store=OxigraphStore(store=store), default_union=False)  # the default graph is the union
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns, replace=True)
    return ds


@contextlib.contextmanager
def _lock(path: Path):
    from drugpolicy_kg.locks import exclusive

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        exclusive(fd)
        yield
    finally:
        os.close(fd)


def _build(inputs: list[Input], cache: Path, fp: str, final: Path, say) -> None:
    import pyoxigraph as ox

    (say or _say)(f"building the graph store from {len(inputs)} files (their content has no store yet) ...")
    started = time.monotonic()
    tmp = cache / f".tmp-store-{fp}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(mode=0o700)
        store = ox.Store(str(tmp / "db"))
        meta = fill(store, inputs, compact=True)
        meta.update(fingerprint=fp, format=STORE_FORMAT, files=[[str(i.path), i.graph] for i in inputs],
                    built=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        store.flush()
        del store
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        shutil.rmtree(final, ignore_errors=True)  # a damaged one without meta.json
        os.rename(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    (say or _say)(f"built in {time.monotonic() - started:.1f} s: {meta['triples']} triples in {len(meta['graphs'])} graphs")
    _prune(cache, keep=final)


def _say(message: str) -> None:
    from drugpolicy_kg.tables import terminal_safe

    print(f"drugpolicy-kg: {terminal_safe(message)}", file=sys.stderr, flush=True)


IN_USE = "in-use"


def _hold(final: Path) -> int | None:
    """A descriptor with a shared lock on the store's in-use file, once the store is sure to be there (None if it
    was removed meanwhile). _prune takes the lock exclusively before it removes a store, so it never removes one
    that is held."""
    from drugpolicy_kg.locks import shared

    try:
        fd = os.open(final / IN_USE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # the folder is gone
        return None
    shared(fd)
    if not (final / "meta.json").is_file():  # pruned between finding it and locking it
        os.close(fd)
        return None
    return fd


def _prune(cache: Path, keep: Path) -> None:
    """Remove all but the most recently used stores, except those a process holds open, and leftovers of builds
    that were killed."""

    def used(p: Path) -> float:
        try:
            return p.stat().st_mtime
        except OSError:
            return 0.0

    stores = sorted((p for p in cache.iterdir() if _STORE_DIR.match(p.name) and p != keep), key=used, reverse=True)
    for old in stores[KEEP_STORES - 1:]:
        _remove_unless_held(old, cache)
    for tmp in cache.iterdir():
        m = _TMP_DIR.match(tmp.name)
        if m and not _alive(int(tmp.name.rsplit("-", 1)[1])):
            shutil.rmtree(tmp, ignore_errors=True)


def _remove_unless_held(store_dir: Path, cache: Path) -> bool:
    """Remove a store unless a process holds it open (its shared lock); whether it was removed."""
    from drugpolicy_kg.locks import exclusive

    try:
        fd = os.open(store_dir / IN_USE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return False  # removed by another process meanwhile
    try:
        if not exclusive(fd, blocking=False):
            return False  # open in a process: kept
        doomed = cache / f".tmp-{store_dir.name}-{os.getpid()}"
        try:
            os.rename(store_dir, doomed)  # while locked: an opener that locks after this finds no meta.json
        except OSError:
            return False
    finally:
        os.close(fd)
    shutil.rmtree(doomed, ignore_errors=True)
    return True


def _limited(exc: BaseException) -> bool:
    """Whether opening failed for a limit of this process (open files, memory, rights), not for the store's state.

    >>> _limited(OSError(24, "Too many open files")), _limited(OSError("Corruption: bad block"))
    (True, False)
    >>> _limited(OSError("Oxigraph needs at least 96 file descriptors ..., only 20 allowed"))
    True
    """
    import errno

    if getattr(exc, "errno", None) in (errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.EACCES, errno.EPERM):
        return True
    text = str(exc).lower()
    return any(w in text for w in ("file descriptor", "too many open files", "permission denied", "cannot allocate"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
