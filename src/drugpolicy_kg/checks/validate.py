"""Validate the graph: SHACL shapes, SPARQL violation checks, and quotes against sources.

Three kinds of finding, one report:

- ``shacl``: pySHACL with ``ontology/shapes.ttl`` over the merged graph;
- ``check``: every ``queries/checks/*-violation.rq`` must return zero rows
  (each row is a finding; its ``#+ message:`` header says what is wrong);
- ``evidence``: every quote must stand verbatim in its source text, every fact about a
  project entity must be stated by a quote (evidence per statement: the coverage figure is
  reported), and a quote must name the value of each fact it states where that can be
  tested (:mod:`drugpolicy_kg.checks.statements`).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from dataclasses import dataclass, field, fields
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from drugpolicy_kg.errors import InputError
from drugpolicy_kg.graph.loader import parse_file
from drugpolicy_kg.resources import GRAPH_BASE, PREFIXES, Project
from drugpolicy_kg.sparql.queryfile import read_query_file
from drugpolicy_kg.threads import collector_off

if TYPE_CHECKING:
    from rdflib import Graph

    from drugpolicy_kg.graph.store import GraphStore


CHECKS_BASE = "https://w3id.org/drugpolicy-kg/shapes#check-"  # sh:sourceShape of a finding of the project's own checks
_ALT_LABEL = PREFIXES["skos"] + "altLabel"  # a finding's focus is named by its first, else by its first rdfs:label
_RDFS_LABEL = PREFIXES["rdfs"] + "label"  # (see _label)


@dataclass(slots=True)  # (slots: a validation can make a million of them)
class Finding:
    kind: str
    severity: str
    focus: str
    focus_label: str
    path: str
    message: str
    rule: str
    source_file: str
    component: str = ""  # the SHACL constraint component (sh:SPARQLConstraintComponent for the project's own checks)
    value: str = ""      # the offending value, where there is one


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    quotes_checked: int = 0
    checks_run: int = 0
    triples: int = 0
    engine: str = ""
    facts: int = 0               # facts about project entities that need evidence
    facts_with_evidence: int = 0
    statements: int = 0          # reified statements hung on evidence
    inferred: int = 0            # of which marked dpo:inferred
    note: str = ""               # why the engine is not the one asked for (auto, shapes the compiled engine refuses)

    @property
    def coverage(self) -> float:
        return 1.0 if not self.facts else self.facts_with_evidence / self.facts

    @property
    def violations(self) -> int:
        return sum(f.severity == "Violation" for f in self.findings)

    @property
    def passes(self) -> bool:
        """No violation: what the exit code says (warnings and infos do not fail validation, as pySHACL's
        ``allow_warnings``)."""
        return not self.violations

    @property
    def conforms(self) -> bool:
        """SHACL's ``sh:conforms``: no result at all, of any severity."""
        return not self.findings

    def to_json(self) -> str:
        """The report as JSON: its figures indented, then its findings, one finding (an object of text fields) a line.
        (Indented whole by ``json.dumps``, 155,373 findings took 2.6 s to write: ``asdict`` copies each deeply, and
        an indented dump is Python's encoder, not C's; a line each is C's, and greps as one.)"""
        return "".join(self.json_chunks())

    def json_chunks(self, size: int = 10_000):
        """:meth:`to_json` in pieces, ``size`` findings at a time, to be written as they are made: made whole, the
        953,002 findings of the thin shape of data at a million triples were a list of dictionaries, a string of
        400 MB and two copies of it (the command at 2.7 GB)."""
        head = json.dumps(
            {"conforms": self.conforms, "passes": self.passes,
             "violations": self.violations, "triples": self.triples,
             "engine": self.engine, "engine_note": self.note, "checks_run": self.checks_run,
             "quotes_checked": self.quotes_checked, "facts": self.facts, "facts_with_evidence": self.facts_with_evidence,
             "statement_coverage": round(self.coverage, 4), "statements": self.statements, "inferred_statements": self.inferred,
             "findings": []},
            indent=2, ensure_ascii=False,
        )
        if not self.findings:
            yield head
            return
        yield head.removesuffix('"findings": []\n}') + '"findings": [\n'
        names = [f.name for f in fields(Finding)]
        # '}, {"kind": ' stands only between two findings: within a text, a quote is escaped (\")
        between, after = "}, {" + json.dumps(names[0]) + ": ", "},\n    {" + json.dumps(names[0]) + ": "
        for at in range(0, len(self.findings), size):
            listed = json.dumps([{n: getattr(f, n) for n in names} for f in self.findings[at:at + size]],
                                ensure_ascii=False)
            yield (",\n" if at else "") + "    " + listed[1:-1].replace(between, after)
        yield "\n  ]\n}"

    def to_graph(self) -> Graph:
        """The report as a SHACL ``sh:ValidationReport`` (checks and quotes included as results)."""
        from rdflib import Graph

        return Graph().parse(data="".join(self.ttl_chunks()), format="turtle")

    def ttl_chunks(self, size: int = 10_000):
        """The report as a SHACL ``sh:ValidationReport`` in Turtle (checks and quotes included as results), in pieces
        of ``size`` results, to be written as they are made (made as an rdflib graph, the 155,373 findings of the
        second shape of data at a million triples held 1.7 GB). Each text is written as Oxigraph writes a term; a
        focus or value that is an IRI as an IRI, else as a literal; a check's second column as the result's path
        where it is an IRI (the duplicate-label check's is the label it found: then the result's value)."""
        import pyoxigraph as ox

        sh, rdf = PREFIXES["sh"], PREFIXES["rdf"]
        yield (f"@prefix sh: <{sh}> .\n@prefix rdf: <{rdf}> .\n\n"
               f"_:report a sh:ValidationReport ;\n    sh:conforms {'true' if self.conforms else 'false'} .\n")

        def term(text: str) -> str:
            return str(ox.NamedNode(text)) if _is_iri(text) else str(ox.Literal(text))

        for at in range(0, len(self.findings), size):
            out = []
            for f in self.findings[at:at + size]:
                parts = ["a sh:ValidationResult", f"sh:resultSeverity {term(sh + f.severity)}"]
                if f.focus:
                    parts.append(f"sh:focusNode {term(f.focus)}")
                if f.path and _is_iri(f.path):
                    parts.append(f"sh:resultPath {ox.NamedNode(f.path)}")
                if f.value or (f.path and not _is_iri(f.path)):
                    parts.append(f"sh:value {term(f.value or f.path)}")
                parts.append(f"sh:resultMessage {ox.Literal(f.message)}")
                parts.append(f"sh:sourceConstraintComponent {term(f.component or sh + 'SPARQLConstraintComponent')}")
                if f.rule:  # the project's own checks are named by IRIs under the shapes namespace
                    parts.append(f"sh:sourceShape {term(f.rule if '://' in f.rule else CHECKS_BASE + f.rule)}")
                out.append("_:report sh:result [\n    " + " ;\n    ".join(parts) + "\n] .\n")
            yield "".join(out)



def _label(graph: Graph, node) -> str:
    from rdflib import RDFS, SKOS

    for p in (SKOS.altLabel, RDFS.label):
        for o in graph.objects(node, p):
            return str(o)
    return ""


def _file_of(gs: GraphStore, node, path=None) -> str:
    """The data file (named graph) that states the offending triple, or else any triple about the node."""
    from rdflib import URIRef

    if not isinstance(node, URIRef):
        return ""
    for pred in ([str(path)] if isinstance(path, URIRef) else []) + [None]:
        found = _file_among(gs.graphs_of(str(node), pred))
        if found:
            return found
    return ""


def _file_among(graphs) -> str:
    """Of the named graphs that state a triple: the project's data file to name (a file given with ``--extra``
    first, else the last by name), or "" where none is the project's."""
    names = sorted(n[len(GRAPH_BASE):] for n in graphs if n.startswith(GRAPH_BASE))
    extra = [n for n in names if n.startswith("extra/")]
    return (extra or names)[-1] if names else ""


def _first_label(alt: str | None, label: str | None) -> str:
    """A node's name in a finding: its first skos:altLabel, else its first rdfs:label (as :func:`_label`), else ""."""
    return (alt if alt is not None else label) or ""


BULK_SHARE = 10  # _Where reads every node at once for a batch of findings about one node for each 10 triples or more


_IRI = re.compile(r'[a-zA-Z][a-zA-Z0-9+.-]*://[^\x00-\x20<>"{}|\\^`]*')


def _is_iri(text: str) -> bool:
    """Whether a finding's text is written as an IRI (an absolute one, with nothing an IRI may not hold), else as a
    literal.

    >>> _is_iri("https://w3id.org/drugpolicy-kg/id/itwg"), _is_iri("same name institute"), _is_iri("http://a b")
    (True, False, False)
    """
    return _IRI.fullmatch(text) is not None


class _Where:
    """Each finding's focus label and data file, looked up once per node (and path) for one validation: one node
    can be the focus of thousands of findings (a body of 16,666 members; on skewed data at a million triples,
    155,373 findings had spent about 25 s of a profile's samples in the lookups), and a node with many triples is
    costly to look through each time.

    Reading from the store (``from_store``), a named node's triples are gone through once, for its label and the
    graphs that state anything about it: a node stated in one graph only (nearly every node) has that graph for its
    file whatever the path, with no second look-up. On the second shape of data at a million triples, 153,263
    (node, path) look-ups and 70,320 labels had taken 11 s of the command's CPU, in a thread the others waited for."""

    def __init__(self, graph: Graph, gs: GraphStore, from_store: bool = False):
        self.graph, self.gs, self.from_store = graph, gs, from_store  # (from_store: ``graph`` is ``gs``'s own data)
        self._labels: dict = {}
        self._files: dict = {}  # (node, path) -> its file, for a node stated in several graphs
        self._graph_files: dict[frozenset, str] = {}  # the graphs stating a node's triples -> the file they name
        self._nodes: dict[str, tuple[str, frozenset]] = {}  # IRI -> (its label, the graphs stating a triple about it)
        self._all_read = False  # every named node's, at once (see look_up)
        self._reading = threading.Lock()

    def look_up(self, iris) -> None:
        """Before a batch of findings about the nodes ``iris`` (their text; any that is no named node is passed
        over): where those not read yet are many for the store's size (one for each :data:`BULK_SHARE` of its
        triples, or more), every named node's label and graphs are read at once, in one pass over the store's
        labels and one query for the graphs of every subject, instead of one look-up a node. (On the thin shape of
        data at a million triples, 365,000 nodes looked up one by one took 23 s of `validate`'s 65 s; the pass
        costs about 5 s whatever the findings.) Either way each node gets the same label and graphs."""
        if not self.from_store or self._all_read:
            return
        from drugpolicy_kg.graph.store import LOOKED_UP

        nodes = self._nodes
        todo = {iri for iri in iris if iri.startswith(LOOKED_UP) and iri not in nodes}
        if len(todo) * BULK_SHARE < max(self.gs.triples, 1):
            return
        with self._reading:  # (the shapes' thread and the statements' may both come here: one reads, the other waits)
            if not self._all_read:
                self._read_all()

    def _read_all(self) -> None:
        """:meth:`_node` of every named node of the store at once (see :meth:`look_up`). A subject's first label
        in the store's order by predicate, then value (the default graph, the union, first) is the first met in its
        predicate's index, which gives the same order by value, then subject."""
        import pyoxigraph as ox

        from drugpolicy_kg.graph.store import LOOKED_UP

        store = self.gs.store
        firsts: dict[str, dict[str, str]] = {_ALT_LABEL: {}, _RDFS_LABEL: {}}
        # (read from the default graph, the union, which holds every label once: the same first labels in half the
        # reads of every graph's, 1.2 s against 2.6 s on the thin shape at a million triples)
        for prop, first in firsts.items():
            for q in store.quads_for_pattern(None, ox.NamedNode(prop), None, ox.DefaultGraph()):
                s = q.subject
                if type(s) is ox.NamedNode and s.value not in first:
                    first[s.value] = q.object.value
        graphs: dict[str, frozenset] = {}
        shared: dict[frozenset, frozenset] = {}  # (a few sets of graphs among 400,000 nodes: each made once)
        named = ox.NamedNode
        # (blank subjects passed over here, after DISTINCT: filtered in the query, each of the store's quads was
        # tested, 4.4 s against 2.5 s on the thin shape at a million triples)
        for s, g in store.query("SELECT DISTINCT ?s ?g WHERE { GRAPH ?g { ?s ?p ?o } }"):
            if type(s) is not named:
                continue
            held = frozenset((g.value, *graphs.get(s.value, ())))
            graphs[s.value] = shared.setdefault(held, held)
        alts, labels = firsts[_ALT_LABEL], firsts[_RDFS_LABEL]
        nodes, none = self._nodes, frozenset()
        for iri in {*alts, *labels, *graphs}:
            if iri.startswith(LOOKED_UP) and iri not in nodes:
                nodes[iri] = (_first_label(alts.get(iri), labels.get(iri)), graphs.get(iri, none))
        self._all_read = True

    def label(self, node) -> str:
        if node not in self._labels:
            self._labels[node] = self._read_label(node)
        return self._labels[node]

    def _read_label(self, node) -> str:
        from rdflib import URIRef

        if not (self.from_store and isinstance(node, URIRef)):
            return _label(self.graph, node)
        return self._node(str(node))[0]

    def _node(self, iri: str) -> tuple[str, frozenset]:
        """A named node's label (its first skos:altLabel, else its first rdfs:label, as :func:`_label` takes them)
        and the named graphs that state a triple about it, from one pass over its triples. The store gives a
        subject's triples by predicate, then object, then graph, the default graph's first: the first label met
        here is the one a look-up of that predicate alone gives first."""
        if iri not in self._nodes:
            if self._all_read:  # (every subject of the store read: one not among them is none, and has none)
                return self._nodes.get(iri, ("", frozenset()))
            import pyoxigraph as ox

            from drugpolicy_kg.graph.store import LOOKED_UP

            alt = label = None
            graphs = set()
            if iri.startswith(LOOKED_UP):
                for q in self.gs.store.quads_for_pattern(ox.NamedNode(iri), None, None, None):
                    p = q.predicate.value
                    if alt is None and p == _ALT_LABEL:
                        alt = q.object.value
                    elif label is None and p == _RDFS_LABEL:
                        label = q.object.value
                    g = q.graph_name
                    if type(g) is ox.NamedNode:
                        graphs.add(g.value)
            self._nodes[iri] = (_first_label(alt, label), frozenset(graphs))
        return self._nodes[iri]

    def file(self, node, path=None) -> str:
        from rdflib import URIRef

        if self.from_store and isinstance(node, URIRef):
            return self.file_of_iri(str(node), str(path) if isinstance(path, URIRef) else None)
        key = (node, path)
        if key not in self._files:
            self._files[key] = _file_of(self.gs, node, path)
        return self._files[key]

    def label_of_iri(self, iri: str) -> str:
        """:meth:`label` of a named node given as its IRI (read from the store: no rdflib term made for it)."""
        from rdflib import URIRef

        return self._node(iri)[0] if self.from_store else self.label(URIRef(iri))

    def file_of_iri(self, iri: str, path: str | None = None) -> str:
        """:meth:`file` of a named node given as its IRI, and its path's IRI (None: none)."""
        if not self.from_store:
            from rdflib import URIRef

            return self.file(URIRef(iri), URIRef(path) if path else None)
        graphs = self._node(iri)[1]
        if len(graphs) <= 1 or not path:  # its file whatever the path: from its graphs, not kept per node and path
            if graphs not in self._graph_files:  # (953,002 findings' keys held 390 MB at the command's peak)
                self._graph_files[graphs] = _file_among(graphs)
            return self._graph_files[graphs]
        key = (iri, path)
        if key not in self._files:  # stated in several: the one stating the path's triple
            self._files[key] = _file_among(self.gs.graphs_of(iri, path)) or _file_among(graphs)
        return self._files[key]


def guard_shapes(shapes_graph, path: Path) -> None:
    """Refuse shapes whose SPARQL (``sh:select``, ``sh:ask``, ``sh:construct``, ``sh:update``, ``sh:prefixes``-based
    SPARQL constraints and targets) would reach the network: pySHACL runs them with rdflib, which fetches SERVICE."""
    from rdflib.namespace import SH

    from drugpolicy_kg.sparql.query import network_use, words_anywhere

    for pred in (SH.select, SH.ask, SH.construct, SH.update):
        for text in shapes_graph.objects(None, pred):
            try:
                used = network_use(str(text), update=pred == SH.update)
            except SyntaxError:  # pySHACL adds the shape's own prefixes to the text, which the guard cannot see;
                used = words_anywhere(str(text))  # so a text that does not parse alone counts either word anywhere
            if used:
                raise InputError(f"a shape's SPARQL may not use {', '.join(used)}: it would reach the network", str(path))


def run_shacl(graph: Graph, shapes: Path, ds: GraphStore, where: _Where | None = None) -> list[Finding]:
    import pyshacl
    from rdflib import Namespace, URIRef

    SH = Namespace(PREFIXES["sh"])
    shapes_graph = parse_file(shapes)
    guard_shapes(shapes_graph, shapes)
    _, report, _ = pyshacl.validate(graph, shacl_graph=shapes_graph, inference="none", allow_warnings=True)
    where = where or _Where(graph, ds)
    out = []
    top_results = [r for rep in report.subjects(SH.conforms, None) for r in report.objects(rep, SH.result)]
    for r in top_results:  # top level only: results nested under sh:detail explain a top-level one
        focus = report.value(r, SH.focusNode)
        path = report.value(r, SH.resultPath)
        shape = report.value(r, SH.sourceShape)
        msgs = [str(m) for m in report.objects(r, SH.resultMessage)]
        shape_msg = shapes_graph.value(shape, SH.message) if shape is not None else None
        if shape is not None and not isinstance(shape, URIRef):  # anonymous property shape: name its node shape
            shape = shapes_graph.value(None, SH.property, shape) or shape
            shape_msg = shape_msg or shapes_graph.value(shape, SH.message)
        message = str(shape_msg) if shape_msg is not None else (msgs[0] if msgs else "")
        value = report.value(r, SH.value)
        out.append(Finding(
            kind="shacl", severity=str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
            focus=str(focus), focus_label=where.label(focus), path=str(path or ""),
            message=message, rule=str(shape or ""), source_file=where.file(focus, path),
            component=str(report.value(r, SH.sourceConstraintComponent) or ""), value="" if value is None else str(value),
        ))
    return out


def run_shacl_sparql(graph: Graph, shapes: Path, ds: GraphStore, checks=None, tick=None,
                     where: _Where | None = None, rows: list[tuple[int, str, str, str]] | None = None) -> list[Finding]:
    """The same shapes compiled to SPARQL and run on Oxigraph (see :mod:`drugpolicy_kg.checks.shacl_sparql`);
    ``checks``, where the caller has compiled them already; ``tick(done, total)`` after each compiled query;
    ``rows``: :func:`shape_rows` of these checks, where they were run already (by :class:`_ShapesApart`)."""
    from rdflib import URIRef

    from drugpolicy_kg.checks.shacl_sparql import compile_shapes, read_shapes

    if checks is None:
        checks = compile_shapes(read_shapes(shapes))
    where = where or _Where(graph, ds)
    out = [Finding(kind="shacl", severity=checks[i].severity, focus=focus, focus_label="", path=path,
                   message=checks[i].message, rule=checks[i].shape, source_file="", component=checks[i].component,
                   value=value)
           for i, focus, value, path in (shape_rows(ds, checks, tick) if rows is None else rows)]
    where.look_up(f.focus for f in out)  # (every finding's node known first: read together where they are many)
    for f in out:
        focus, path = f.focus, f.path
        node = URIRef(focus) if "://" in focus else focus
        f.focus_label = where.label(node) if "://" in focus else ""
        f.source_file = where.file(node, URIRef(path) if "://" in path and " " not in path else None)
    return out


def shape_rows(ds, checks: list, tick=None) -> list[tuple[int, str, str, str]]:
    """The findings of compiled ``checks`` on the store ``ds`` (the project's, or a pyoxigraph ``Store`` whose
    default graph is the union) as plain values: (the check's number in ``checks``, focus node, value, path), a
    node's text "" where it is unbound."""
    from drugpolicy_kg.checks.shacl_sparql import run_terms

    number = {id(c): i for i, c in enumerate(checks)}
    return [(number[id(check)], focus.value if focus is not None else "", value.value if value is not None else "",
             path) for check, focus, value, path in run_terms(ds, checks, tick)]


def run_checks(graph: Graph, project: Project, ds: GraphStore, tick=None,
               where: _Where | None = None, rows: tuple[int, list] | None = None) -> tuple[int, list[Finding]]:
    """Run every ``*-violation.rq`` (on Oxigraph); each row is a finding about its first variable. ``tick(done,
    total)`` after each. ``rows``: :func:`check_rows`, where they were run already (by :class:`_ShapesApart`)."""
    from drugpolicy_kg.graph.oxi import to_rdflib_term

    where = where or _Where(graph, ds)
    out = []
    files, found = check_rows(project, ds, tick) if rows is None else rows
    for message, rule, terms in found:
        where.look_up(t.value for t, _ in terms if hasattr(t, "value"))
        for first, second in terms:
            focus = to_rdflib_term(first)
            out.append(Finding(
                kind="check", severity="Violation", focus=str(focus), focus_label=where.label(focus),
                path=str(to_rdflib_term(second)) if second is not None else "",
                message=message, rule=rule, source_file=where.file(focus),
            ))
    return files, out


def check_rows(project: Project, ds, tick=None) -> tuple[int, list[tuple[str, str, list[tuple]]]]:
    """Every ``*-violation.rq`` of ``project`` run on the store ``ds`` (the project's, or a pyoxigraph ``Store``
    whose default graph is the union): how many, and for each its message, its name and its rows' first two values
    (Oxigraph terms, the second None where there is none or it is unbound). A check that is no SELECT, or would
    reach the network, is an InputError naming its file."""
    from drugpolicy_kg.graph.store import GraphStore
    from drugpolicy_kg.sparql.query import network_use

    out = []
    files = project.check_files()
    for done, path in enumerate(files):
        if tick is not None:
            tick(done, len(files))
        q = read_query_file(path)
        try:
            used = network_use(q.text)
        except SyntaxError as exc:
            raise InputError(f"SPARQL syntax error: {exc}", str(path)) from None
        if used:  # a check runs on this machine's data only
            raise InputError(f"a check may not use {', '.join(used)}: it would reach the network", str(path))
        try:
            result = ds.query(q.text) if isinstance(ds, GraphStore) else ds.query(q.text, prefixes=PREFIXES)
        except SyntaxError as exc:
            raise InputError(f"SPARQL syntax error: {exc}", str(path)) from None
        if not hasattr(result, "variables"):  # ASK, CONSTRUCT, DESCRIBE: a check names what it found
            raise InputError("a check must be a SELECT query whose first column is the entity found", str(path))
        two = [v.value for v in result.variables][:2]
        out.append((q.meta.get("message", q.summary), q.name,
                    [(sol[two[0]], sol[two[1]] if len(two) > 1 else None) for sol in result]))
    return len(files), out


SHAPES_APART = True  # the compiled shapes run by a process of their own where the store is on disk (_ShapesApart)


class _ShapesApart:
    """The compiled shapes and the project's checks run by a process of their own (``python -c``) on the store in
    the folder ``db``, opened read-only, while this one checks the statements and quotes: run in a thread beside
    them, as before, the two held the interpreter's lock by turns (on the thin shape of data at a million triples,
    the shapes' 10.6 s of queries and the statements' 9 s of Python, with the findings' labels, did not overlap).
    It is sent the compiled ``checks`` (pickled, so numbered alike in both) and sends back :func:`shape_rows` and
    :func:`check_rows` (plain values and Oxigraph terms, pickled) through its pipes, nothing through a file: a
    command stopped or killed leaves nothing behind. This process makes the findings, their labels and files.
    ``tick(stage, done, total)`` is called as it says how far it is. The process stops when this one does, even by
    SIGKILL (Linux)."""

    def __init__(self, db: Path, project: Project, checks: list, tick):
        import pickle
        import subprocess
        import tempfile

        from drugpolicy_kg.threads import start_helper, write_all

        self._err = tempfile.TemporaryFile()
        self._tick, self._error, self._rows = tick, None, None
        self.proc = start_helper("drugpolicy_kg.checks.validate:_shapes_main", str(db), str(project.root),
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err)
        self._listener = threading.Thread(target=self._listen, daemon=True)
        self._listener.start()
        try:
            write_all(self.proc.stdin, pickle.dumps(checks, protocol=pickle.HIGHEST_PROTOCOL))
            self.proc.stdin.close()
        except OSError:  # it died at once: result() says why
            pass

    def _listen(self) -> None:
        """Read what the process says, a JSON list a line: ["tick", stage, done, total], ["error", message, where],
        or ["rows", N] followed by N bytes: the rows, pickled."""
        from drugpolicy_kg.threads import read_exactly

        out = self.proc.stdout
        for line in out:
            try:
                said = json.loads(line)
            except ValueError:
                continue
            if not isinstance(said, list):
                continue
            if said[:1] == ["tick"] and len(said) == 4:
                self._tick(*said[1:])
            elif said[:1] == ["error"] and len(said) == 3:
                self._error = said[1:]
            elif said[:1] == ["rows"] and len(said) == 2 and isinstance(said[1], int):
                self._rows = read_exactly(out, said[1])

    def result(self) -> tuple[list, tuple[int, list]]:
        """:func:`shape_rows` and :func:`check_rows`, once the process has run them; its InputError (a check that is
        no SELECT, or would reach the network) raised here as it was there."""
        import pickle

        from drugpolicy_kg.errors import DrugPolicyKGError
        from drugpolicy_kg.threads import last_line

        code = self.proc.wait()
        self._listener.join()
        if self._error is not None:
            raise InputError(self._error[0], self._error[1] or None)
        if code != 0 or self._rows is None:
            self._err.seek(0)
            raise DrugPolicyKGError("checking the shapes failed: " + (
                last_line(self._err.read()) or f"the process running them ended (exit {code}) without its findings"))
        try:
            return pickle.loads(self._rows)  # noqa: S301 - sent by the process this command started
        except (pickle.UnpicklingError, EOFError, ValueError) as exc:  # (cut short: its pipe ended first)
            raise DrugPolicyKGError(f"checking the shapes failed: its findings came back cut short "
                                    f"({len(self._rows):,} bytes: {exc})") from None

    def stop(self) -> None:
        """Stop the process if it still runs."""
        from drugpolicy_kg.sparql.server import stop_process

        stop_process(self.proc)
        self._err.close()


def _shapes_main() -> None:  # pragma: no cover - runs in the process _ShapesApart starts
    """The process of :class:`_ShapesApart`: arguments the store's ``db`` folder and the project's root; the
    compiled checks, pickled, on standard input."""
    import pickle
    import signal
    import sys

    from drugpolicy_kg.threads import write_all

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (Ctrl-C is the command's to answer: this process ends with it)
    db, root = sys.argv[1:3]
    out = sys.stdout.buffer

    def say(*what) -> None:
        write_all(out, json.dumps(list(what)).encode() + b"\n")

    try:
        import pyoxigraph as ox

        checks = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - sent by the command that started this process
        store = ox.Store.read_only(db)
        shapes = shape_rows(store, checks, lambda done, total: say("tick", "shapes", done, total))
        found = check_rows(Project.open(root), store, lambda done, total: say("tick", "checks", done, total))
        rows = pickle.dumps((shapes, found), protocol=pickle.HIGHEST_PROTOCOL)
        say("rows", len(rows))
        write_all(out, rows)  # (every byte: one write of a pipe may take less, see write_all)
    except InputError as exc:
        say("error", exc.message, exc.path)
        sys.exit(2)


ENGINES = ("auto", "pyshacl", "sparql")


def validate(project: Project, extra: list[Path] | None = None, quotes: bool = True, engine: str = "auto",
             progress=None) -> Report:
    """Validate a project, with optional extra Turtle files loaded as data (each into its own graph ``extra/NAME``).

    >>> validate(Project.open()).conforms  # doctest: +SKIP
    True

    (Not run as a doctest: tests/test_validation.py runs the same check of the shipped project, once, shared.)
    """
    return validate_store(store_with(project, extra), project, quotes, engine, progress)


def store_with(project: Project, extra: list[Path] | None = None) -> GraphStore:
    """The store ``validate`` checks: the project's own, or, with extra Turtle files, one in memory holding the
    project's data and each file in its own graph ``extra/NAME``."""
    from drugpolicy_kg.graph.store import GraphStore, Input, project_inputs

    if not extra:
        return GraphStore.open(project)
    added = []
    for path in extra:
        if not path.is_file():
            raise InputError("file not found (or not a regular file)", str(path))
        added.append(Input(path, GRAPH_BASE + "extra/" + project.graph_iri(path).rsplit("/", 1)[-1]))
    return GraphStore.in_memory(project_inputs(project) + added)


def validate_store(gs: GraphStore, project: Project, quotes: bool = True, engine: str = "auto",
                   progress=None) -> Report:
    """Validate an opened store against the project's shapes, checks and sources; ``progress``: a
    :class:`drugpolicy_kg.progress.Progress` told where each part is (the command's, on a terminal).

    ``engine``: ``pyshacl`` (the reference, on a copy of the union in rdflib), ``sparql`` (the shapes
    compiled to SPARQL, run on the store), or ``auto``: pyshacl up to 50,000 triples, SPARQL above unless the shapes
    use what the SPARQL engine refuses.
    """
    from rdflib import URIRef

    from drugpolicy_kg.checks.quotes import check_quotes
    from drugpolicy_kg.checks.shacl_sparql import AUTO_LIMIT
    from drugpolicy_kg.checks.statements import check_statements
    from drugpolicy_kg.progress import Progress
    from drugpolicy_kg.threads import Background

    if engine not in ENGINES:
        raise InputError(f"unknown validation engine {engine!r}; accepted: {', '.join(ENGINES)}")
    report = Report(triples=gs.triples)
    compiled = None
    if engine == "auto":
        engine = "sparql" if gs.triples > AUTO_LIMIT else "pyshacl"
        if engine == "sparql" and project.shapes.is_file():
            from drugpolicy_kg.checks.shacl_sparql import compile_shapes, read_shapes

            try:  # shapes the compiled engine refuses go to the reference engine, never unchecked
                compiled = compile_shapes(read_shapes(project.shapes))
            except InputError as exc:
                engine = "pyshacl"
                report.note = ("validated with pySHACL, not the compiled engine, which refuses these shapes: "
                               + exc.message.split("; use --engine")[0])
    elif engine == "sparql" and project.shapes.is_file():  # (compiled once: the shapes' own process runs these)
        from drugpolicy_kg.checks.shacl_sparql import compile_shapes, read_shapes

        compiled = compile_shapes(read_shapes(project.shapes))  # (shapes it refuses: the error, the engine asked)
    report.engine = engine
    # the compiled engine's passes make many findings and rows that live on, and next to no cycles: on the second
    # shape of data at 1M the collector's 22 full walks over them took 3.8 s and freed 6,109 objects (see
    # collector_off)
    with collector_off() if engine == "sparql" else contextlib.nullcontext():
        view = gs.rdflib()
        where = _Where(view, gs, from_store=True)
        progress = progress or Progress("validate", enabled=False)

        def tick(stage: str):
            return lambda done, total: progress.stage(stage, f"{done}/{total}" if done < total else "done")

        # the compiled shapes and the project's checks run by a process of their own where the store is on disk
        # (see _ShapesApart); this one makes their findings
        apart = None
        if engine == "sparql" and gs.location is not None and SHAPES_APART:
            try:
                apart = _ShapesApart(gs.location / "db", project, compiled or [],
                                     lambda stage, done, total: tick(stage)(done, total))
            except OSError:  # no process can be started here (none left, no Python to start): a thread, as before
                apart = None

        try:
            def shapes_and_checks() -> tuple[list[Finding], int, list[Finding]]:
                rows = apart.result() if apart is not None else None
                shacl = []
                if project.shapes.is_file():
                    if engine == "sparql":
                        shacl = run_shacl_sparql(view, project.shapes, gs, compiled, tick("shapes"), where,
                                                 rows=None if rows is None else rows[0])
                    else:
                        progress.stage("shapes", "(pySHACL)")
                        shacl = run_shacl(gs.union_graph(), project.shapes, gs, where)
                        progress.stage("shapes", "done")
                found = run_checks(view, project, gs, tick("checks"), where, rows=None if rows is None else rows[1])
                progress.stage("checks", "done")
                return (shacl, *found)

            # the shapes and the project's checks in a second thread, while this one checks statements and quotes: both are
            # mostly the engine's passes over the store, which run side by side (14.5 s in turn on the shipped graph)
            worker = Background(shapes_and_checks, "drugpolicy-kg-shapes", collect=True) if engine == "sparql" else None
            # the quotes too, in a third: alone at the end, their 4-5 s on skewed data at a million triples had one core
            # idle while the other read them (the shapes' thread done), and the three threads fill two cores till then
            quoting = (Background(lambda: check_quotes(view, project.sources_dir), "drugpolicy-kg-quotes", collect=True)
                       if quotes and worker is not None else None)
            if worker is None:
                shacl, report.checks_run, found = shapes_and_checks()
            progress.stage("statements", "…")
            st = check_statements(gs, project)
            progress.stage("statements", "done")
            report.facts, report.facts_with_evidence = st.facts, st.covered
            report.statements, report.inferred = st.statements, st.inferred
            where.look_up(p.focus for p in st.problems)
            for p in st.problems:  # (a named node by its IRI: no rdflib term made for each of 500,000 problems)
                named = "://" in p.focus
                report.findings.append(Finding(
                    kind="evidence", severity="Violation", focus=p.focus, path=p.path, message=p.message, rule=p.rule,
                    focus_label=where.label_of_iri(p.focus) if named else where.label(p.focus),
                    source_file=p.graph.removeprefix(GRAPH_BASE) or (
                        where.file_of_iri(p.focus, p.path or None) if named
                        else where.file(p.focus, URIRef(p.path) if p.path else None)),
                ))
            if quotes:
                progress.stage("quotes", "…")
                report.quotes_checked, problems = (quoting.result() if quoting is not None
                                                   else check_quotes(view, project.sources_dir))
                progress.stage("quotes", "done")
                for p in problems:
                    report.findings.append(Finding(
                        kind="evidence", severity="Violation", focus=p.evidence, focus_label="", path="",
                        message=p.message, rule="quote-verbatim", source_file=p.source,
                    ))
            if worker is not None:
                shacl, report.checks_run, found = worker.result()
            report.findings += shacl + found
            report.findings.sort(key=attrgetter("kind", "rule", "focus"))  # (in C: no Python call a finding)
            return report
        finally:
            if apart is not None:
                apart.stop()
