"""The project's SHACL shapes compiled to SPARQL and run on Oxigraph: the fast validator for large graphs.

pySHACL stays the reference (and the default below ``AUTO_LIMIT`` triples); this
engine implements part of SHACL Core and refuses a shapes graph that uses anything
else, so it never silently passes a constraint it does not know. It is measured
with the W3C SHACL core test suite (``tests/test_shacl_w3c.py``): on every test it
either refuses or gives the expected report (conforms, and each result's focus node,
path and constraint component); a test holds both engines to the same findings on
every violating fixture and on a benchmark graph with injected violations.

Supported: the targets ``sh:targetClass`` (with ``rdfs:subClassOf*``), ``sh:targetNode``,
``sh:targetSubjectsOf``, ``sh:targetObjectsOf`` and implicit class targets (a shape that
is an ``rdfs:Class``); ``sh:deactivated``; every property path (sequence, alternative,
inverse, zero-or-more, one-or-more, zero-or-one), as a SPARQL property path; on property
shapes ``sh:minCount``, ``sh:maxCount``, ``sh:uniqueLang``, ``sh:lessThan``,
``sh:lessThanOrEquals``; on property and node shapes ``sh:datatype``, ``sh:class``,
``sh:nodeKind``, ``sh:languageIn`` (language ranges, as ``langMatches``), ``sh:pattern``
(with ``sh:flags``), ``sh:minLength``, ``sh:maxLength``, the four bounds, ``sh:hasValue``,
``sh:in``, ``sh:equals``, ``sh:disjoint``, ``sh:or`` (of members that use ``sh:class``,
``sh:datatype`` or ``sh:nodeKind`` only) and ``sh:node`` (to a node shape whose property
shapes use ``sh:hasValue`` only); on node shapes ``sh:closed`` with ``sh:ignoredProperties``.
Refused: ``sh:and``, ``sh:not``, ``sh:xone``, the qualified value shapes, ``sh:or`` and
``sh:node`` beyond the forms above, and property shapes nested in property shapes.

Refused, because Oxigraph cannot tell: ``sh:datatype`` of an integer subtype
(``xsd:nonNegativeInteger`` ...), since Oxigraph stores such values as ``xsd:integer``;
for the same reason a value typed with an integer subtype passes ``sh:datatype xsd:integer``.
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
PREFIX = ("PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
          "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n")
# What each constraint parameter is, by the shape it stands on
ANNOTATIONS = {"name", "message", "description", "severity", "order", "group", "defaultValue"}
VALUE_PARAMS = {"datatype", "class", "nodeKind", "languageIn", "pattern", "flags", "minLength", "maxLength",
                "minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "hasValue", "in", "or", "node"}
TARGETS = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")
PAIR_PARAMS = {"equals", "disjoint", "lessThan", "lessThanOrEquals"}
KNOWN_PROPERTY = ANNOTATIONS | VALUE_PARAMS | PAIR_PARAMS | {"path", "minCount", "maxCount", "uniqueLang", "deactivated",
                                                             *TARGETS}
KNOWN_NODE = ANNOTATIONS | VALUE_PARAMS | {"equals", "disjoint"} | {"property", "deactivated", "closed",
                                                                     "ignoredProperties", *TARGETS}
XSD = PREFIXES["xsd"]
# Lexical forms, so an ill-typed literal ("eighteen"^^xsd:integer) fails as it does in pySHACL.
LEXICAL = {
    XSD + "integer": r"^[+-]?[0-9]+$",
    XSD + "decimal": r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$",
    XSD + "boolean": r"^(true|false|1|0)$",
    XSD + "gYear": r"^-?[0-9]{4,}(Z|[+-][0-9]{2}:[0-9]{2})?$",
    XSD + "gYearMonth": r"^-?[0-9]{4,}-(0[1-9]|1[0-2])(Z|[+-][0-9]{2}:[0-9]{2})?$",
}
# Types whose values Oxigraph checks when it casts: an impossible date ("2023-02-30") does not cast
CASTS = {XSD + "date", XSD + "dateTime", XSD + "time", XSD + "double", XSD + "float", XSD + "duration"}
INTEGER_SUBTYPES = {XSD + t for t in ("positiveInteger", "nonNegativeInteger", "negativeInteger", "nonPositiveInteger",
                                     "long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort",
                                     "unsignedByte")}
NODE_KINDS = {SH + "IRI": "isIRI(?v)", SH + "Literal": "isLiteral(?v)", SH + "BlankNode": "isBlank(?v)",
              SH + "BlankNodeOrIRI": "(isBlank(?v) || isIRI(?v))", SH + "BlankNodeOrLiteral": "(isBlank(?v) || isLiteral(?v))",
              SH + "IRIOrLiteral": "(isIRI(?v) || isLiteral(?v))"}
COMPONENT = {"minCount": "MinCount", "maxCount": "MaxCount", "datatype": "Datatype", "class": "Class",
             "nodeKind": "NodeKind", "languageIn": "LanguageIn", "uniqueLang": "UniqueLang", "pattern": "Pattern",
             "minLength": "MinLength", "maxLength": "MaxLength", "minInclusive": "MinInclusive",
             "maxInclusive": "MaxInclusive", "minExclusive": "MinExclusive", "maxExclusive": "MaxExclusive",
             "hasValue": "HasValue", "in": "In", "or": "Or", "node": "Node", "equals": "Equals",
             "disjoint": "Disjoint", "lessThan": "LessThan", "lessThanOrEquals": "LessThanOrEquals", "closed": "Closed"}


@dataclass(frozen=True)
class Check:
    """One compiled constraint: a SELECT of ?this (and ?v) for the nodes that violate it."""

    shape: str       # the property shape (or node shape) reported as sh:sourceShape
    path: str        # the property, or "" for node-level constraints
    message: str
    query: str
    severity: str = "Violation"  # sh:severity of the shape that reports it
    component: str = ""          # the SHACL constraint component, e.g. sh:MinCountConstraintComponent


def _n3(term) -> str:
    return term.n3()


def _list(graph: Graph, head) -> list:
    from rdflib.collection import Collection

    return list(Collection(graph, head))


def read_shapes(path) -> Graph:
    """A shapes graph with its literals as written: rdflib would read ``sh:uniqueLang "1"^^xsd:boolean`` as true,
    which SHACL does not (only the literal true activates a boolean parameter)."""
    import rdflib

    from drugpolicy_kg.graph.loader import parse_file

    saved, rdflib.NORMALIZE_LITERALS = rdflib.NORMALIZE_LITERALS, False
    try:
        return parse_file(path)
    finally:
        rdflib.NORMALIZE_LITERALS = saved


def compile_shapes(shapes: Graph) -> list[Check]:
    """Compile every shape with targets into SPARQL checks; refuse (``InputError``) what this engine cannot check.

    >>> from drugpolicy_kg.resources import Project
    >>> len(compile_shapes(read_shapes(Project.open().shapes))) > 25
    True
    """
    from rdflib import RDF, RDFS, BNode, URIRef

    sh = lambda local: URIRef(SH + local)  # noqa: E731
    classes = {RDFS.Class} | set(shapes.transitive_subjects(RDFS.subClassOf, RDFS.Class))
    shape_nodes = set(shapes.subjects(RDF.type, sh("NodeShape"))) | set(shapes.subjects(RDF.type, sh("PropertyShape")))
    implicit = {s for s in shape_nodes if any((s, RDF.type, c) in shapes for c in classes)}  # a shape that is a class
    checks: list[Check] = []
    for shape in sorted({s for t in TARGETS for s in shapes.subjects(sh(t), None)} | implicit, key=str):
        is_property = shapes.value(shape, sh("path")) is not None
        _refuse_unknown(shapes, shape, KNOWN_PROPERTY if is_property else KNOWN_NODE)
        if _true(shapes.value(shape, sh("deactivated"))):
            continue
        targets = [f"{{ ?this rdf:type/rdfs:subClassOf* {_n3(c)} }}" for c in shapes.objects(shape, sh("targetClass"))]
        if shape in implicit:
            targets.append(f"{{ ?this rdf:type/rdfs:subClassOf* {_n3(shape)} }}")
        nodes = list(shapes.objects(shape, sh("targetNode")))
        if nodes:
            targets.append("{ VALUES ?this { " + " ".join(_n3(n) for n in nodes) + " } }")
        targets += [f"{{ ?this {_n3(p)} ?any }}" for p in shapes.objects(shape, sh("targetSubjectsOf"))]
        targets += [f"{{ ?any {_n3(p)} ?this }}" for p in shapes.objects(shape, sh("targetObjectsOf"))]
        target = "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(sorted(targets)) + " } }"
        msg = str(shapes.value(shape, sh("message")) or "")
        sev = str(shapes.value(shape, sh("severity")) or SH + "Violation").rsplit("#", 1)[-1]
        if is_property:
            checks += _property_checks(shapes, shape, str(shape), target, msg, sev)
        else:
            checks += _constraints(shapes, shape, str(shape), "", f"{target} BIND(?this AS ?v)", target, msg, sev)
            for prop in shapes.objects(shape, sh("property")):
                _refuse_unknown(shapes, prop, KNOWN_PROPERTY - set(TARGETS))
                if _true(shapes.value(prop, sh("deactivated"))):
                    continue
                report_shape = shape if isinstance(prop, BNode) else prop
                prop_msg = str(shapes.value(prop, sh("message")) or msg)
                prop_sev = shapes.value(prop, sh("severity"))  # a property shape's own severity: SHACL does not inherit it
                prop_sev = str(prop_sev).rsplit("#", 1)[-1] if prop_sev is not None else "Violation"
                checks += _property_checks(shapes, prop, str(report_shape), target, prop_msg, prop_sev)
    return checks


def _true(value) -> bool:
    """Whether a boolean parameter is the literal true ("1"^^xsd:boolean is another literal: it does not count)."""
    return value is not None and str(value) == "true" and str(getattr(value, "datatype", "")) == XSD + "boolean"


def _refuse_unknown(shapes: Graph, shape, known: set[str]) -> None:
    for p in set(shapes.predicates(shape, None)):
        if str(p).startswith(SH) and str(p)[len(SH):] not in known:
            raise InputError(f"shape {shape}: sh:{str(p)[len(SH):]} is not supported by the SPARQL validator; "
                             "use --engine pyshacl")


def _sparql_string(text: str) -> str:
    """A SPARQL string literal holding ``text`` as is (a regular expression's backslashes included)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def _value_test(shapes: Graph, member) -> str:
    """A SPARQL expression true when ?v satisfies one sh:or member ([sh:class C], [sh:datatype D], [sh:nodeKind K])."""
    from rdflib import URIRef

    used = {str(p)[len(SH):] for p in shapes.predicates(member, None) if str(p).startswith(SH)}
    tests = []
    for local in sorted(used):
        value = shapes.value(member, URIRef(SH + local))
        if local == "class":
            tests.append(f"EXISTS {{ ?v rdf:type/rdfs:subClassOf* {_n3(value)} }}")
        elif local == "datatype":
            tests.append(f"!({_ill_typed(value)})")
        elif local == "nodeKind" and str(value) in NODE_KINDS:
            tests.append(NODE_KINDS[str(value)])
        elif local not in ANNOTATIONS:
            raise InputError(f"sh:or member {member}: sh:{local} is not supported there by the SPARQL validator; "
                             "use --engine pyshacl")
    if not tests:
        raise InputError(f"sh:or member {member}: only sh:class, sh:datatype or sh:nodeKind members are supported by "
                         "the SPARQL validator; use --engine pyshacl")
    return "(" + " && ".join(tests) + ")"


def _ill_typed(dt) -> str:
    """A SPARQL expression true when ?v is not a well-formed literal of datatype ``dt``."""
    dt = str(dt)
    if dt == PREFIXES["rdf"] + "langString":
        return '(!isLiteral(?v) || LANG(?v) = "")'
    if dt in INTEGER_SUBTYPES:
        raise InputError(f"sh:datatype <{dt}> cannot be checked by the SPARQL validator (Oxigraph stores integer "
                         "subtypes as xsd:integer); use --engine pyshacl")
    test = f"!isLiteral(?v) || DATATYPE(?v) != <{dt}>"
    if dt in LEXICAL:
        test += f" || !REGEX(STR(?v), {_sparql_string(LEXICAL[dt])})"
    if dt in CASTS:
        test += f" || !COALESCE(isLiteral(<{dt}>(STR(?v))), false)"
    return f"({test})"


def sparql_path(shapes: Graph, node, depth: int = 0) -> str:
    """A SHACL property path as a SPARQL property path: an IRI, a sequence (an RDF list), sh:alternativePath,
    sh:inversePath, sh:zeroOrMorePath, sh:oneOrMorePath, sh:zeroOrOnePath."""
    from rdflib import RDF, URIRef

    if depth > 32:
        raise InputError("a property path nests deeper than 32: refused")
    if isinstance(node, URIRef):
        return _n3(node)
    if shapes.value(node, RDF.first) is not None:
        members = _list(shapes, node)
        if len(members) < 2:
            raise InputError(f"a sequence path needs two members or more: {node}")
        return "(" + "/".join(sparql_path(shapes, m, depth + 1) for m in members) + ")"
    kinds = {str(p)[len(SH):]: o for p, o in shapes.predicate_objects(node) if str(p).startswith(SH)}
    if len(kinds) == 1:
        (kind, inner), = kinds.items()
        if kind == "alternativePath":
            members = _list(shapes, inner)
            if len(members) < 2:
                raise InputError(f"an alternative path needs two members or more: {node}")
            return "(" + "|".join(sparql_path(shapes, m, depth + 1) for m in members) + ")"
        suffix = {"zeroOrMorePath": "*", "oneOrMorePath": "+", "zeroOrOnePath": "?"}.get(kind)
        if suffix:
            return "(" + sparql_path(shapes, inner, depth + 1) + ")" + suffix
        if kind == "inversePath":
            return "^(" + sparql_path(shapes, inner, depth + 1) + ")"
    raise InputError(f"{node} is not a SHACL property path the SPARQL validator knows; use --engine pyshacl")


def _check(shape: str, path: str, msg: str, severity: str, local: str, where: str) -> Check:
    """One compiled constraint ``local`` (sh:minCount ...): a SELECT of the focus nodes and values ``where`` finds."""
    extra = " ?path" if "?path" in where else ""  # sh:closed reports the property it found
    return Check(shape, path, msg, f"SELECT ?this ?v{extra} WHERE {{ {where} }}", severity,
                 SH + COMPONENT[local] + "ConstraintComponent")


def _property_checks(shapes: Graph, prop, shape: str, target: str, msg: str, severity: str = "Violation") -> list[Check]:
    """The checks of one property shape: its cardinality, then each value's constraints."""
    from rdflib import URIRef

    node = shapes.value(prop, URIRef(SH + "path"))
    p = sparql_path(shapes, node)
    path = str(node) if isinstance(node, URIRef) else p  # a complex path is reported in SPARQL's syntax
    low, high = shapes.value(prop, URIRef(SH + "minCount")), shapes.value(prop, URIRef(SH + "maxCount"))
    out = []
    if low is not None:
        out.append(_check(shape, path, msg, severity, "minCount", f"{{ SELECT ?this (COUNT(DISTINCT ?x) AS ?c) WHERE {{ "
                          f"{target} OPTIONAL {{ ?this {p} ?x }} }} GROUP BY ?this }} FILTER(?c < {int(low)})"))
    if high is not None:
        out.append(_check(shape, path, msg, severity, "maxCount", f"{{ SELECT ?this (COUNT(DISTINCT ?x) AS ?c) WHERE {{ "
                          f"{target} ?this {p} ?x }} GROUP BY ?this }} FILTER(?c > {int(high)})"))
    if _true(shapes.value(prop, URIRef(SH + "uniqueLang"))):
        out.append(_check(shape, path, msg, severity, "uniqueLang", f"{{ SELECT ?this (?lang AS ?v) WHERE {{ {target} "
                          f"?this {p} ?x BIND(LANG(?x) AS ?lang) FILTER(?lang != \"\") }} GROUP BY ?this ?lang "
                          f"HAVING (COUNT(DISTINCT ?x) > 1) }}"))
    # value nodes are a set: a sequence path reached through two intermediate nodes gives one value, not two
    values = f"{{ SELECT DISTINCT ?this ?v WHERE {{ {target} ?this {p} ?v }} }}"
    return out + _constraints(shapes, prop, shape, path, values, target, msg, severity, p)


def _constraints(shapes: Graph, holder, shape: str, path: str, values: str, target: str, msg: str,
                 severity: str, p: str = "") -> list[Check]:
    """The value constraints on ``holder``: each a SELECT of the focus nodes (?this) and values (?v) that fail it.
    ``values`` binds ?this and ?v: each value of the path ``p`` (SPARQL), or (node shapes, ``p`` empty) the focus
    node itself."""
    from rdflib import URIRef

    def v(local):
        return shapes.value(holder, URIRef(SH + local))

    out = []

    def add(local, where):
        out.append(_check(shape, path, msg, severity, local, where))

    for dt in shapes.objects(holder, URIRef(SH + "datatype")):
        add("datatype", f"{values} FILTER({_ill_typed(dt)})")
    for cls in shapes.objects(holder, URIRef(SH + "class")):
        add("class", f"{values} FILTER NOT EXISTS {{ ?v rdf:type/rdfs:subClassOf* {_n3(cls)} }}")
    for kind in shapes.objects(holder, URIRef(SH + "nodeKind")):
        if str(kind) not in NODE_KINDS:
            raise InputError(f"shape {holder}: sh:nodeKind {kind} is not a node kind")
        add("nodeKind", f"{values} FILTER(!{NODE_KINDS[str(kind)]})")
    langs = v("languageIn")
    if langs is not None:
        ranges = " || ".join(f"langMatches(LANG(?v), {_sparql_string(str(lang))})" for lang in _list(shapes, langs))
        add("languageIn", f"{values} FILTER(!isLiteral(?v) || LANG(?v) = \"\" || !({ranges or 'false'}))")
    for pattern in shapes.objects(holder, URIRef(SH + "pattern")):
        flags = v("flags")
        extra = f", {_sparql_string(str(flags))}" if flags is not None else ""
        add("pattern", f"{values} FILTER(isBlank(?v) || !COALESCE(REGEX(STR(?v), {_sparql_string(str(pattern))}{extra}), false))")
    for local, op in (("minLength", "<"), ("maxLength", ">")):
        for n in shapes.objects(holder, URIRef(SH + local)):
            add(local, f"{values} FILTER(isBlank(?v) || STRLEN(STR(?v)) {op} {int(n)})")
    for local, op in (("minInclusive", ">="), ("maxInclusive", "<="), ("minExclusive", ">"), ("maxExclusive", "<")):
        for bound in shapes.objects(holder, URIRef(SH + local)):
            add(local, f"{values} FILTER(!COALESCE(isLiteral(?v) && ?v {op} {_n3(bound)}, false))")
    for has in shapes.objects(holder, URIRef(SH + "hasValue")):
        if p:
            add("hasValue", f"{target} FILTER NOT EXISTS {{ ?this {p} {_n3(has)} }} BIND({_n3(has)} AS ?v)")
        else:
            add("hasValue", f"{values} FILTER(!sameTerm(?v, {_n3(has)}))")
    own = f"?this {p} ?o" if p else "BIND(?this AS ?o)"  # (the focus node's value nodes, as ?o)
    for q in shapes.objects(holder, URIRef(SH + "equals")):
        add("equals", f"{{ {values} FILTER NOT EXISTS {{ ?this {_n3(q)} ?v }} }} UNION "
                      f"{{ {target} ?this {_n3(q)} ?v FILTER NOT EXISTS {{ {own} FILTER(sameTerm(?o, ?v)) }} }}")
    for q in shapes.objects(holder, URIRef(SH + "disjoint")):
        add("disjoint", f"{values} ?this {_n3(q)} ?v .")
    for local, op in (("lessThan", "<"), ("lessThanOrEquals", "<=")):
        for q in shapes.objects(holder, URIRef(SH + local)):
            add(local, f"{values} ?this {_n3(q)} ?other . FILTER(!COALESCE(?v {op} ?other, false))")
    if _true(v("closed")):
        paths = (shapes.value(ps, URIRef(SH + "path")) for ps in shapes.objects(holder, URIRef(SH + "property")))
        allowed = {str(x) for x in paths if isinstance(x, URIRef)}  # properties of complex paths are not allowed by it
        ignored = v("ignoredProperties")
        allowed |= {str(x) for x in _list(shapes, ignored)} if ignored is not None else set()
        listed = ", ".join(f"<{a}>" for a in sorted(allowed))
        add("closed", f"{target} ?this ?path ?v ." + (f" FILTER(?path NOT IN ({listed}))" if listed else ""))
    members = v("in")
    if members is not None:
        allowed = " ".join(_n3(m) for m in _list(shapes, members))
        add("in", f"{values} FILTER NOT EXISTS {{ VALUES ?allowed {{ {allowed} }} FILTER(sameTerm(?v, ?allowed)) }}")
    for alternatives in shapes.objects(holder, URIRef(SH + "or")):
        tests = " || ".join(_value_test(shapes, m) for m in _list(shapes, alternatives))
        add("or", f"{values} FILTER(!({tests or 'false'}))")
    for node in shapes.objects(holder, URIRef(SH + "node")):
        extra = {str(p)[len(SH):] for p in shapes.predicates(node, None) if str(p).startswith(SH)} - ANNOTATIONS - {"property"}
        if extra:
            raise InputError(f"sh:node {node}: a node shape with sh:{', sh:'.join(sorted(extra))} is not supported by the "
                             "SPARQL validator; use --engine pyshacl")
        conditions = []
        for inner in shapes.objects(node, URIRef(SH + "property")):
            ip, iv = shapes.value(inner, URIRef(SH + "path")), shapes.value(inner, URIRef(SH + "hasValue"))
            if ip is None or iv is None or set(shapes.predicates(inner, None)) - {URIRef(SH + "path"), URIRef(SH + "hasValue")}:
                raise InputError(f"sh:node {node}: only property shapes with sh:hasValue are supported by the SPARQL "
                                 "validator; use --engine pyshacl")
            conditions.append(f"EXISTS {{ ?v {_n3(ip)} {_n3(iv)} }}")
        add("node", f"{values} FILTER(!({' && '.join(conditions) or 'true'}))")
    return out


def run_terms(store, checks: list[Check]):
    """Run compiled checks on a store (pyoxigraph ``Store`` or the project's, union as default graph): each finding
    as (check, focus node, value, path), Oxigraph terms but the path: the check's, or (sh:closed) the property found."""
    for c in checks:
        varies = "?path" in c.query
        for sol in store.query(PREFIX + c.query):
            yield c, sol["this"], sol["v"], (sol["path"].value if varies and sol["path"] is not None else c.path)


def run(store, checks: list[Check]) -> list[tuple[str, str, str, str, str, str]]:
    """Run compiled checks on the project's store (union as default graph): (focus, path, shape, message, value, severity) per finding."""
    return [(focus.value if focus is not None else "", c.path, c.shape, c.message, value.value if value is not None else "",
             c.severity) for c, focus, value, _path in run_terms(store, checks)]
