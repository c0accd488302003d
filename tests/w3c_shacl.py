"""Run the W3C SHACL core test suite (``tests/w3c-shacl/core``) against a validator and grade each test.

A test is ``right`` when the validator's report matches the expected one (``sh:conforms`` and, result for result,
focus node, path and constraint component), ``refused`` when the validator says it does not support what the test
uses, and ``wrong`` otherwise: a wrong answer is the one outcome a validator may never give.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

SUITE = Path(__file__).parent / "w3c-shacl" / "core"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
SH = Namespace("http://www.w3.org/ns/shacl#")
XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass
class Case:
    name: str          # area/file#entry
    file: Path
    data: Path
    shapes: Path
    conforms: bool | None  # None: the processor is expected to fail (sht:Failure)
    results: Counter


NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float")}


def _key(term) -> str:
    """A node as reports compare it: blank nodes alike (their labels differ between graphs), numbers by value
    (Oxigraph stores "4.0"^^xsd:decimal as "4")."""
    if term is None:
        return ""
    kind = term.__class__.__name__
    if kind in ("BNode", "BlankNode"):
        return "_:"
    if kind == "Literal":
        value = str(term) if isinstance(term, Literal) else term.value
        datatype = str(term.datatype or "") if isinstance(term, Literal) else term.datatype.value
        language = term.language or ""
        if datatype in NUMERIC:
            try:
                value = str(Decimal(value).normalize())
            except InvalidOperation:
                pass
        if language:
            return f'"{value}"@{language.lower()}'
        return f'"{value}"^^{datatype or XSD + "string"}'
    return term.value if hasattr(term, "value") and not isinstance(term, URIRef) else str(term)


def cases() -> list[Case]:
    out = []
    for area in sorted(p for p in SUITE.iterdir() if p.is_dir()):
        for file in sorted(area.glob("*.ttl")):
            if file.name == "manifest.ttl":
                continue
            g = Graph()
            g.parse(file, format="turtle", publicID=file.as_uri())
            for manifest in g.subjects(RDF.type, MF.Manifest):
                for entry in Collection(g, g.value(manifest, MF.entries)):
                    action = g.value(entry, MF.action)
                    data = Path(str(g.value(action, SHT.dataGraph)).removeprefix("file://"))
                    shapes = Path(str(g.value(action, SHT.shapesGraph)).removeprefix("file://"))
                    result = g.value(entry, MF.result)
                    if result == SHT.Failure:
                        out.append(Case(f"{area.name}/{file.stem}", file, data, shapes, None, Counter()))
                        continue
                    found = Counter()
                    for r in g.objects(result, SH.result):
                        found[(_key(g.value(r, SH.focusNode)), _key(g.value(r, SH.resultPath)),
                               str(g.value(r, SH.sourceConstraintComponent)))] += 1
                    out.append(Case(f"{area.name}/{file.stem}", file, data, shapes,
                                    bool(g.value(result, SH.conforms).toPython()), found))
    return out


def grade(case: Case, conforms: bool | None, results: Counter | None) -> str:
    """right, refused or wrong. ``conforms`` None: the validator refused."""
    if conforms is None:
        return "refused"
    if case.conforms is None:
        return "wrong"  # it should have failed, and answered
    return "right" if conforms == case.conforms and results == case.results else "wrong"


def run_sparql_engine(case: Case) -> tuple[bool | None, Counter | None]:
    """The project's compiled engine: compile the shapes graph, run on Oxigraph over the data graph."""
    import pyoxigraph as ox

    from drugpolicy_kg.checks.shacl_sparql import compile_shapes, read_shapes, run_terms
    from drugpolicy_kg.errors import InputError

    try:
        checks = compile_shapes(read_shapes(case.shapes))
    except InputError:
        return None, None
    store = ox.Store()
    store.load(path=str(case.data), format=ox.RdfFormat.TURTLE, base_iri=case.data.as_uri())
    found = Counter()
    for check, focus, _value, path in run_terms(store, checks):
        found[(_key(focus), path if path.startswith(("http:", "https:", "urn:")) else ("_:" if path else ""),
               check.component)] += 1
    return not found, found


def run_pyshacl(case: Case) -> tuple[bool | None, Counter | None]:
    import pyshacl
    from pyshacl.errors import ReportableRuntimeError

    data, shapes = Graph(), Graph()
    data.parse(case.data, format="turtle", publicID=case.data.as_uri())
    shapes.parse(case.shapes, format="turtle", publicID=case.shapes.as_uri())
    try:
        conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=False)
    except ReportableRuntimeError:
        return None, None
    found = Counter()
    for r in report.subjects(RDF.type, SH.ValidationResult):
        found[(_key(report.value(r, SH.focusNode)), _key(report.value(r, SH.resultPath)),
               str(report.value(r, SH.sourceConstraintComponent)))] += 1
    return conforms, found

