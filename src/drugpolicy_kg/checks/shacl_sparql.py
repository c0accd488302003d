"""The project's SHACL shapes compiled to SPARQL and run on Oxigraph: the fast validator for large graphs.

pySHACL stays the reference (and the default below ``AUTO_LIMIT`` triples); this
engine implements the SHACL Core constraints that ``ontology/shapes.ttl`` uses
and refuses a shape that uses anything else, so it can never silently pass a
constraint it does not know. A test holds both engines to the same findings
on every violating fixture and on a benchmark graph with injected violations.

Supported: targets ``sh:targetClass`` (with ``rdfs:subClassOf*``) and
``sh:targetSubjectsOf``; on property shapes with an IRI path ``sh:minCount``,
``sh:maxCount``, ``sh:datatype``, ``sh:class``, ``sh:languageIn``,
``sh:uniqueLang``, ``sh:pattern``, ``sh:minLength``, ``sh:minInclusive``, ``sh:nodeKind``,
``sh:hasValue``, ``sh:or`` (of ``sh:class`` / ``sh:datatype``) and ``sh:node``
(to a node shape whose property shapes use ``sh:hasValue``); on node shapes
``sh:nodeKind`` and ``sh:pattern``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from drugpolicy_kg.errors import InputError
from drugpolicy_kg.resources import PREFIXES

if TYPE_CHECKING:
    from rdflib import Graph

SH = PREFIXES["sh"]
AUTO_LIMIT = 50_000
PREFIX = "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
KNOWN_PROPERTY = {"path", "name", "message", "minCount", "maxCount", "datatype", "class", "languageIn", "uniqueLang",
                  "pattern", "minLength", "nodeKind", "hasValue", "or", "node", "description", "severity", "minInclusive"}
KNOWN_NODE = {"name", "message", "targetClass", "targetSubjectsOf", "property", "nodeKind", "pattern", "description",
              "severity"}
XSD = PREFIXES["xsd"]
# Lexical forms, so an ill-typed literal ("eighteen"^^xsd:positiveInteger) fails as it does in pySHACL.
LEXICAL = {
    XSD + "positiveInteger": r"^[+]?0*[1-9][0-9]*$",
    XSD + "integer": r"^[+-]?[0-9]+$",
    XSD + "date": r"^-?[0-9]{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(Z|[+-][0-9]{2}:[0-9]{2})?$",
    XSD + "gYear": r"^-?[0-9]{4,}(Z|[+-][0-9]{2}:[0-9]{2})?$",
    XSD + "gYearMonth": r"^-?[0-9]{4,}-(0[1-9]|1[0-2])(Z|[+-][0-9]{2}:[0-9]{2})?$",
}
INTEGER_SUBTYPES = {XSD + t for t in ("positiveInteger", "nonNegativeInteger", "negativeInteger", "nonPositiveInteger",
                                     "long", "int", "short", "byte", "unsignedLong", "unsignedInt")}
NODE_KINDS = {SH + "IRI": "isIRI(?v)", SH + "Literal": "isLiteral(?v)", SH + "BlankNode": "isBlank(?v)",
              SH + "BlankNodeOrIRI": "(isBlank(?v) || isIRI(?v))"}


@dataclass(frozen=True)
class Check:
    """One compiled constraint: a SELECT of ?this (and ?v) for the nodes that violate it."""

    shape: str       # the property shape (or node shape) reported as sh:sourceShape
    path: str        # the property, or "" for node-level constraints
    message: str
    query: str
    severity: str = "Violation"  # sh:severity of the shape that reports it


def _n3(term) -> str:
    return term.n3()


def _list(graph: Graph, head) -> list:
    from rdflib.collection import Collection

    return list(Collection(graph, head))


def compile_shapes(shapes: Graph) -> list[Check]:
    """Compile every node shape with targets into SPARQL checks.

    >>> from drugpolicy_kg.resources import Project
    >>> from drugpolicy_kg.graph.loader import parse_file
    >>> len(compile_shapes(parse_file(Project.open().shapes))) > 25
    True
    """
    from rdflib import BNode, URIRef

    sh = lambda local: URIRef(SH + local)  # noqa: E731
    checks: list[Check] = []
    for node_shape in sorted(set(shapes.subjects(sh("targetClass"), None)) | set(shapes.subjects(sh("targetSubjectsOf"), None)),
                             key=str):
        _refuse_unknown(shapes, node_shape, KNOWN_NODE)
        targets = [f"{{ ?this rdf:type/rdfs:subClassOf* {_n3(c)} }}" for c in shapes.objects(node_shape, sh("targetClass"))]
        targets += [f"{{ ?this {_n3(p)} ?any }}" for p in shapes.objects(node_shape, sh("targetSubjectsOf"))]
        target = "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(sorted(targets)) + " } }"
        node_msg = str(shapes.value(node_shape, sh("message")) or "")
        node_sev = str(shapes.value(node_shape, sh("severity")) or SH + "Violation").rsplit("#", 1)[-1]
        for kind in shapes.objects(node_shape, sh("nodeKind")):
            checks.append(Check(str(node_shape), "", node_msg,
                                f"SELECT ?this ?v WHERE {{ {target} BIND(?this AS ?v) FILTER(!{NODE_KINDS[str(kind)]}) }}", node_sev))
        for pattern in shapes.objects(node_shape, sh("pattern")):
            checks.append(Check(str(node_shape), "", node_msg,
                                f"SELECT ?this ?v WHERE {{ {target} BIND(?this AS ?v) "
                                f"FILTER(isBlank(?this) || !REGEX(STR(?this), {_n3(pattern)})) }}", node_sev))
        for prop in shapes.objects(node_shape, sh("property")):
            _refuse_unknown(shapes, prop, KNOWN_PROPERTY)
            path = shapes.value(prop, sh("path"))
            if not isinstance(path, URIRef):
                raise InputError(f"shape {prop}: only IRI paths are supported by the SPARQL validator")
            report_shape = node_shape if isinstance(prop, BNode) else prop
            msg = str(shapes.value(prop, sh("message")) or node_msg)
            sev = shapes.value(prop, sh("severity"))  # a property shape's own severity: SHACL does not inherit it
            sev = str(sev).rsplit("#", 1)[-1] if sev is not None else "Violation"
            checks += _property_checks(shapes, prop, str(report_shape), str(path), msg, target, sev)
    return checks


def _refuse_unknown(shapes: Graph, shape, known: set[str]) -> None:
    for p in set(shapes.predicates(shape, None)):
        if str(p).startswith(SH) and str(p)[len(SH):] not in known:
            raise InputError(f"shape {shape}: sh:{str(p)[len(SH):]} is not supported by the SPARQL validator; "
                             "use --engine pyshacl")


def _value_test(shapes: Graph, member) -> str:
    """A SPARQL expression true when ?v satisfies one sh:or member ([sh:class C] or [sh:datatype D])."""
    from rdflib import URIRef

    cls = shapes.value(member, URIRef(SH + "class"))
    if cls is not None:
        return f"EXISTS {{ ?v rdf:type/rdfs:subClassOf* {_n3(cls)} }}"
    dt = shapes.value(member, URIRef(SH + "datatype"))
    if dt is not None:
        return f"(isLiteral(?v) && DATATYPE(?v) = {_n3(dt)})"
    raise InputError(f"sh:or member {member}: only sh:class or sh:datatype members are supported by the SPARQL validator")


def _property_checks(shapes: Graph, prop, shape: str, path: str, msg: str, target: str,
                     severity: str = "Violation") -> list[Check]:
    from rdflib import URIRef

    def v(local):
        return shapes.value(prop, URIRef(SH + local))

    p = f"<{path}>"
    values = f"{target} ?this {p} ?v ."
    out = []

    def add(query):
        out.append(Check(shape, path, msg, "SELECT ?this ?v WHERE { " + query + " }", severity))

    if v("minCount") is not None:
        n = int(v("minCount"))
        add(f"{{ SELECT ?this (COUNT(DISTINCT ?x) AS ?c) WHERE {{ {target} OPTIONAL {{ ?this {p} ?x }} }} GROUP BY ?this }} "
            f"FILTER(?c < {n})")
    if v("maxCount") is not None:
        n = int(v("maxCount"))
        add(f"{{ SELECT ?this (COUNT(DISTINCT ?x) AS ?c) WHERE {{ {target} ?this {p} ?x }} GROUP BY ?this }} FILTER(?c > {n})")
    dt = v("datatype")
    if dt is not None:
        if str(dt) == "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString":
            add(f"{values} FILTER(!isLiteral(?v) || LANG(?v) = \"\")")
        else:
            lexical = LEXICAL.get(str(dt))
            ill_typed = f' || !REGEX(STR(?v), "{lexical}")' if lexical else ""
            # Oxigraph stores integer subtypes (xsd:positiveInteger ...) as xsd:integer: accept that type
            # for them; the lexical pattern still enforces the subtype's range.
            types = f"{_n3(dt)}, <{XSD}integer>" if str(dt) in INTEGER_SUBTYPES else _n3(dt)
            add(f"{values} FILTER(!isLiteral(?v) || !(DATATYPE(?v) IN ({types})){ill_typed})")
    cls = v("class")
    if cls is not None:
        add(f"{values} FILTER NOT EXISTS {{ ?v rdf:type/rdfs:subClassOf* {_n3(cls)} }}")
    langs = v("languageIn")
    if langs is not None:
        allowed = ", ".join(_n3(lang) for lang in _list(shapes, langs))
        add(f"{values} FILTER(!isLiteral(?v) || !(LCASE(LANG(?v)) IN ({allowed.lower()})))")
    if v("uniqueLang") is not None and v("uniqueLang").toPython():
        add(f"{{ SELECT ?this (?lang AS ?v) WHERE {{ {target} ?this {p} ?x BIND(LANG(?x) AS ?lang) FILTER(?lang != \"\") }} "
            f"GROUP BY ?this ?lang HAVING (COUNT(DISTINCT ?x) > 1) }}")
    pattern = v("pattern")
    if pattern is not None:
        add(f"{values} FILTER(isBlank(?v) || !REGEX(STR(?v), {_n3(pattern)}))")
    low = v("minInclusive")
    if low is not None:
        add(f"{values} FILTER(isBlank(?v) || isIRI(?v) || !COALESCE(?v >= {_n3(low)}, false))")
    min_len = v("minLength")
    if min_len is not None:
        add(f"{values} FILTER(isBlank(?v) || STRLEN(STR(?v)) < {int(min_len)})")
    kind = v("nodeKind")
    if kind is not None:
        add(f"{values} FILTER(!{NODE_KINDS[str(kind)]})")
    has = v("hasValue")
    if has is not None:
        add(f"{target} FILTER NOT EXISTS {{ ?this {p} {_n3(has)} }} BIND({_n3(has)} AS ?v)")
    alternatives = v("or")
    if alternatives is not None:
        tests = " || ".join(_value_test(shapes, m) for m in _list(shapes, alternatives))
        add(f"{values} FILTER(!({tests}))")
    node = v("node")
    if node is not None:
        conditions = []
        for inner in shapes.objects(node, URIRef(SH + "property")):
            ip, iv = shapes.value(inner, URIRef(SH + "path")), shapes.value(inner, URIRef(SH + "hasValue"))
            if ip is None or iv is None or set(shapes.predicates(inner, None)) - {URIRef(SH + "path"), URIRef(SH + "hasValue")}:
                raise InputError(f"sh:node {node}: only property shapes with sh:hasValue are supported by the SPARQL validator")
            conditions.append(f"EXISTS {{ ?v {_n3(ip)} {_n3(iv)} }}")
        add(f"{values} FILTER(!({' && '.join(conditions) or 'true'}))")
    return out


def run(store, checks: list[Check]) -> list[tuple[str, str, str, str, str, str]]:
    """Run compiled checks on the project's store (union as default graph): (focus, path, shape, message, value, severity) per finding."""
    out = []
    for c in checks:
        for sol in store.query(PREFIX + c.query):
            focus, value = sol["this"], sol["v"]
            out.append((focus.value if focus is not None else "", c.path, c.shape, c.message,
                        value.value if value is not None else "", c.severity))
    return out
