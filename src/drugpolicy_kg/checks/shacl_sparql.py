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
``sh:lessThanOrEquals``, ``sh:qualifiedValueShape`` (with its counts and ``sh:qualifiedValueShapesDisjoint``) and
property shapes nested in property shapes (each value validated as a focus node, reported once per focus node it is
reached from); on property and node shapes ``sh:datatype``, ``sh:class``, ``sh:nodeKind``, ``sh:languageIn``
(language ranges, as ``langMatches``), ``sh:pattern`` (with ``sh:flags``), ``sh:minLength``, ``sh:maxLength``, the
four bounds, ``sh:hasValue``, ``sh:in``, ``sh:equals``, ``sh:disjoint``, and the shape-based ``sh:node``, ``sh:and``,
``sh:or``, ``sh:not``, ``sh:xone``; on node shapes ``sh:closed`` with ``sh:ignoredProperties``. A shape used inside
another is compiled into one SPARQL expression that is true when a node conforms to it (:class:`_Nested`).
Refused: a shape that refers to itself (SHACL leaves recursion undefined), nesting deeper than ``MAX_NESTING``,
a qualified value shape inside another shape, ``sh:lessThan`` on a node shape used inside another, and every
parameter outside SHACL Core (``sh:sparql`` ...).

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
                "minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "hasValue", "in", "or", "node", "and",
                "not", "xone"}
QUALIFIED = {"qualifiedValueShape", "qualifiedMinCount", "qualifiedMaxCount", "qualifiedValueShapesDisjoint"}
MAX_NESTING = 16  # shapes inside shapes (sh:node, sh:and ..., property shapes in property shapes), deeper is refused
TARGETS = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")
PAIR_PARAMS = {"equals", "disjoint", "lessThan", "lessThanOrEquals"}
KNOWN_PROPERTY = ANNOTATIONS | VALUE_PARAMS | PAIR_PARAMS | QUALIFIED | {"path", "minCount", "maxCount", "uniqueLang",
                                                                         "deactivated", "property",
                                                             *TARGETS}
# (the qualified counts without sh:qualifiedValueShape do not make a constraint: SHACL ignores them)
KNOWN_NODE = ANNOTATIONS | VALUE_PARAMS | {"equals", "disjoint"} | {"property", "deactivated", "closed",
                                                                     "ignoredProperties", *TARGETS} | QUALIFIED - {"qualifiedValueShape"}
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
NODE_KINDS = {SH + "IRI": "isIRI({v})", SH + "Literal": "isLiteral({v})", SH + "BlankNode": "isBlank({v})",
              SH + "BlankNodeOrIRI": "(isBlank({v}) || isIRI({v}))",
              SH + "BlankNodeOrLiteral": "(isBlank({v}) || isLiteral({v}))", SH + "IRIOrLiteral": "(isIRI({v}) || isLiteral({v}))"}
COMPONENT = {"minCount": "MinCount", "maxCount": "MaxCount", "datatype": "Datatype", "class": "Class",
             "nodeKind": "NodeKind", "languageIn": "LanguageIn", "uniqueLang": "UniqueLang", "pattern": "Pattern",
             "minLength": "MinLength", "maxLength": "MaxLength", "minInclusive": "MinInclusive",
             "maxInclusive": "MaxInclusive", "minExclusive": "MinExclusive", "maxExclusive": "MaxExclusive",
             "hasValue": "HasValue", "in": "In", "or": "Or", "node": "Node", "equals": "Equals",
             "disjoint": "Disjoint", "lessThan": "LessThan", "lessThanOrEquals": "LessThanOrEquals", "closed": "Closed",
             "and": "And", "not": "Not", "xone": "Xone", "qualifiedMinCount": "QualifiedMinCount",
             "qualifiedMaxCount": "QualifiedMaxCount"}


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
        targets += [_subjects_of(_n3(p)) for p in shapes.objects(shape, sh("targetSubjectsOf"))]
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


def _subjects_of(p: str) -> str:
    """The target pattern of sh:targetSubjectsOf ``p`` (in SPARQL): a part of the shape's target, and what a property
    shape on that path looks for in it (see _property_checks)."""
    return f"{{ ?this {p} ?any }}"


def _count(value, holder, local: str) -> int:
    """A cardinality or length parameter as the integer SHACL says it is; anything else is refused in one line."""
    try:
        n = int(str(value))
    except ValueError:
        n = -1
    if n < 0:
        raise InputError(f"shape {holder}: sh:{local} {value} is not a non-negative integer")
    return n


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


def _ill_typed(dt, var: str = "?v") -> str:
    """A SPARQL expression true when ``var`` is not a well-formed literal of datatype ``dt``."""
    dt = str(dt)
    if dt == PREFIXES["rdf"] + "langString":
        return f'(!isLiteral({var}) || LANG({var}) = "")'
    if dt in INTEGER_SUBTYPES:
        raise InputError(f"sh:datatype <{dt}> cannot be checked by the SPARQL validator (Oxigraph stores integer "
                         "subtypes as xsd:integer); use --engine pyshacl")
    test = f"!isLiteral({var}) || DATATYPE({var}) != <{dt}>"
    if dt in LEXICAL:
        test += f" || !REGEX(STR({var}), {_sparql_string(LEXICAL[dt])})"
    if dt in CASTS:
        test += f" || !COALESCE(isLiteral(<{dt}>(STR({var}))), false)"
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


def _property_checks(shapes: Graph, prop, shape: str, target: str, msg: str, severity: str = "Violation",
                     vias: tuple[str, ...] = ()) -> list[Check]:
    """The checks of one property shape: its cardinality, then each value's constraints, its qualified value shape,
    and the property shapes nested in it (validated with each value as focus node). ``vias`` are the variables
    ``target`` binds besides ?this, one per enclosing property shape: a node reached as a value from two focus nodes
    is validated twice, and SHACL reports each result once for each."""
    key = " ".join(("?this", *vias))
    from rdflib import URIRef

    node = shapes.value(prop, URIRef(SH + "path"))
    p = sparql_path(shapes, node)
    path = str(node) if isinstance(node, URIRef) else p  # a complex path is reported in SPARQL's syntax
    low, high = shapes.value(prop, URIRef(SH + "minCount")), shapes.value(prop, URIRef(SH + "maxCount"))
    out = []
    fewest = _count(low, prop, "minCount") if low is not None else None
    if fewest == 1:  # the focus nodes with no value: a join the engine makes once, not a count per focus node (the
        # statements' three sh:minCount 1 at a million triples: 4.9 s to 1.7 s)
        out.append(_check(shape, path, msg, severity, "minCount", f"{{ SELECT DISTINCT {key} WHERE {{ {target} }} }} "
                          f"MINUS {{ ?this {p} ?x }}"))
    elif fewest is not None:
        out.append(_check(shape, path, msg, severity, "minCount", f"{{ SELECT {key} (COUNT(DISTINCT ?x) AS ?c) WHERE {{ "
                          f"{target} OPTIONAL {{ ?this {p} ?x }} }} GROUP BY {key} }} FILTER(?c < {fewest})"))
    if high is not None and (vias or _subjects_of(p) not in target):
        out.append(_check(shape, path, msg, severity, "maxCount", f"{{ SELECT {key} (COUNT(DISTINCT ?x) AS ?c) WHERE {{ "
                          f"{target} ?this {p} ?x }} GROUP BY {key} }} FILTER(?c > {_count(high, prop, 'maxCount')})"))
    elif high is not None:  # the shape targets the subjects of this path (sh:targetSubjectsOf), each of which it counts:
        # the nodes with too many values first, then those the shape targets (the targets listed and joined first, the
        # statements' three sh:maxCount 1 on skewed data at a million triples took 0.7 s each, now 0.22 s; a path many
        # other nodes have, such as a title, would be counted for all of them: there the targets come first). They
        # are joined with the targets listed once, not kept by FILTER EXISTS, which Oxigraph planned now one way, now
        # another: 35 ms or 0.7 s for a date's sh:maxCount on 365,000 thin entities, about one run in two
        out.append(_check(shape, path, msg, severity, "maxCount", f"{{ SELECT ?this (COUNT(DISTINCT ?x) AS ?c) WHERE {{ "
                          f"?this {p} ?x }} GROUP BY ?this HAVING (COUNT(DISTINCT ?x) > {_count(high, prop, 'maxCount')}) "
                          f"}} {{ SELECT DISTINCT ?this WHERE {{ {target} }} }}"))
    if _true(shapes.value(prop, URIRef(SH + "uniqueLang"))):
        out.append(_check(shape, path, msg, severity, "uniqueLang", f"{{ SELECT {key} (?lang AS ?v) WHERE {{ {target} "
                          f"?this {p} ?x BIND(LANG(?x) AS ?lang) FILTER(?lang != \"\") }} GROUP BY {key} ?lang "
                          f"HAVING (COUNT(DISTINCT ?x) > 1) }}"))
    qualified = shapes.value(prop, URIRef(SH + "qualifiedValueShape"))
    if qualified is not None:
        shared = _Nested(shapes)
        counted = shared.conforms(qualified, "?q")
        if _true(shapes.value(prop, URIRef(SH + "qualifiedValueShapesDisjoint"))):
            siblings = {s for parent in shapes.subjects(URIRef(SH + "property"), prop)
                        for sibling in shapes.objects(parent, URIRef(SH + "property")) if sibling != prop
                        for s in shapes.objects(sibling, URIRef(SH + "qualifiedValueShape")) if s != qualified}
            counted = " && ".join([counted] + [f"!{shared.conforms(s, '?q')}" for s in sorted(siblings, key=str)])
        count = (f"{{ SELECT {key} (COUNT(DISTINCT ?q) AS ?c) WHERE {{ {target} OPTIONAL {{ ?this {p} ?q "
                 f"FILTER({counted}) }} }} GROUP BY {key} }}")
        for local, op in (("qualifiedMinCount", "<"), ("qualifiedMaxCount", ">")):
            bound = shapes.value(prop, URIRef(SH + local))
            if bound is not None:
                out.append(_check(shape, path, msg, severity, local, f"{count} FILTER(?c {op} {_count(bound, prop, local)})"))
    # value nodes are a set: a sequence path reached through two intermediate nodes gives one value, not two
    values = f"{{ SELECT DISTINCT {key} ?v WHERE {{ {target} ?this {p} ?v }} }}"
    out += _constraints(shapes, prop, shape, path, values, target, msg, severity, p)
    nested = list(shapes.objects(prop, URIRef(SH + "property")))
    if nested and len(vias) >= MAX_NESTING:
        raise InputError(f"shape {prop}: property shapes nest deeper than {MAX_NESTING}: refused")
    for inner in nested:
        _refuse_unknown(shapes, inner, KNOWN_PROPERTY)
        if _true(shapes.value(inner, URIRef(SH + "deactivated"))):
            continue
        if shapes.value(inner, URIRef(SH + "path")) is None:
            raise InputError(f"shape {prop}: sh:property {inner} has no sh:path")
        via = f"?_via{len(vias) + 1}"
        inner_target = (f"{{ SELECT DISTINCT ?this {' '.join(vias)} {via} WHERE {{ {{ SELECT {' '.join(vias)} (?this AS {via}) "
                        f"WHERE {{ {target} }} }} {via} {p} ?this }} }}")
        inner_sev = shapes.value(inner, URIRef(SH + "severity"))
        out += _property_checks(shapes, inner, str(inner), inner_target, str(shapes.value(inner, URIRef(SH + "message")) or ""),
                                str(inner_sev).rsplit("#", 1)[-1] if inner_sev is not None else "Violation", (*vias, via))
    return out


def _constraints(shapes: Graph, holder, shape: str, path: str, values: str, target: str, msg: str,
                 severity: str, p: str = "") -> list[Check]:
    """The value constraints on ``holder``: each a SELECT of the focus nodes (?this) and values (?v) that fail it.
    ``values`` binds ?this and ?v: each value of the path ``p`` (SPARQL), or (node shapes, ``p`` empty) the focus
    node itself."""
    from rdflib import URIRef

    out = []

    def add(local, where):
        out.append(_check(shape, path, msg, severity, local, where))

    for local, test in _Nested(shapes).value_tests(holder, "?v"):
        if local != "class":
            add(local, f"{values} FILTER({test})")
    for cls in shapes.objects(holder, URIRef(SH + "class")):  # the values that are no instance: a join the engine
        # makes once, not a search per value (the shapes' sh:class at a million triples: 3.9 s to 0.8 s)
        add("class", f"{values} MINUS {{ ?v rdf:type/rdfs:subClassOf* {_n3(cls)} }}")
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
    if _true(shapes.value(holder, URIRef(SH + "closed"))):
        add("closed", f"{target} ?this ?path ?v ." + _closed_filter(shapes, holder, "?path"))
    return out


def _closed_filter(shapes: Graph, holder, var: str) -> str:
    """The FILTER of sh:closed: the property ``var`` is none of the shape's sh:property paths (IRIs: the properties of
    a complex path are not allowed by it) nor of its sh:ignoredProperties ("" when nothing is allowed)."""
    from rdflib import URIRef

    paths = (shapes.value(ps, URIRef(SH + "path")) for ps in shapes.objects(holder, URIRef(SH + "property")))
    allowed = {str(x) for x in paths if isinstance(x, URIRef)}
    ignored = shapes.value(holder, URIRef(SH + "ignoredProperties"))
    allowed |= {str(x) for x in _list(shapes, ignored)} if ignored is not None else set()
    listed = ", ".join(f"<{a}>" for a in sorted(allowed))
    return f" FILTER({var} NOT IN ({listed}))" if listed else ""


class _Nested:
    """SPARQL expressions for what SHACL says of one node: whether it violates a value constraint, and whether it
    conforms to a whole shape (the shape-based constraints sh:node, sh:and, sh:or, sh:not, sh:xone and the qualified
    value shapes ask that). Each expression is true or false, never an error: an error counts as a violation, so a
    constraint the engine cannot evaluate on a node fails it rather than passing it."""

    def __init__(self, shapes: Graph):
        self.shapes = shapes
        self.count = 0
        self.stack: list = []

    def fresh(self) -> str:
        self.count += 1
        return f"?_n{self.count}"

    def value(self, holder, local: str):
        from rdflib import URIRef

        return self.shapes.value(holder, URIRef(SH + local))

    def objects(self, holder, local: str) -> list:
        from rdflib import URIRef

        return list(self.shapes.objects(holder, URIRef(SH + local)))

    def value_tests(self, holder, var: str) -> list[tuple[str, str]]:
        """(component, expression true when ``var`` violates it) for each constraint on ``holder`` that is checked
        value by value."""
        out = []
        for dt in self.objects(holder, "datatype"):
            out.append(("datatype", _ill_typed(dt, var)))
        for cls in self.objects(holder, "class"):
            out.append(("class", f"NOT EXISTS {{ {var} rdf:type/rdfs:subClassOf* {_n3(cls)} }}"))
        for kind in self.objects(holder, "nodeKind"):
            if str(kind) not in NODE_KINDS:
                raise InputError(f"shape {holder}: sh:nodeKind {kind} is not a node kind")
            out.append(("nodeKind", "!" + NODE_KINDS[str(kind)].format(v=var)))
        langs = self.value(holder, "languageIn")
        if langs is not None:
            ranges = " || ".join(f"langMatches(LANG({var}), {_sparql_string(str(lang))})"
                                 for lang in _list(self.shapes, langs))
            out.append(("languageIn", f'(!isLiteral({var}) || LANG({var}) = "" || !({ranges or "false"}))'))
        for pattern in self.objects(holder, "pattern"):
            flags = self.value(holder, "flags")
            extra = f", {_sparql_string(str(flags))}" if flags is not None else ""
            out.append(("pattern", f"(isBlank({var}) || !COALESCE(REGEX(STR({var}), "
                                   f"{_sparql_string(str(pattern))}{extra}), false))"))
        for local, op in (("minLength", "<"), ("maxLength", ">")):
            for n in self.objects(holder, local):
                out.append((local, f"(isBlank({var}) || STRLEN(STR({var})) {op} {_count(n, holder, local)})"))
        for local, op in (("minInclusive", ">="), ("maxInclusive", "<="), ("minExclusive", ">"), ("maxExclusive", "<")):
            for bound in self.objects(holder, local):
                out.append((local, f"!COALESCE(isLiteral({var}) && {var} {op} {_n3(bound)}, false)"))
        members = self.value(holder, "in")
        if members is not None:
            allowed = " || ".join(f"sameTerm({var}, {_n3(m)})" for m in _list(self.shapes, members))
            out.append(("in", f"!({allowed or 'false'})"))
        for shape in self.objects(holder, "node"):
            out.append(("node", "!" + self.conforms(shape, var)))
        for shape in self.objects(holder, "not"):
            out.append(("not", self.conforms(shape, var)))
        for members in self.objects(holder, "and"):
            out.append(("and", "!(" + (" && ".join(self.conforms(m, var) for m in _list(self.shapes, members)) or "true")
                        + ")"))
        for members in self.objects(holder, "or"):
            out.append(("or", "!(" + (" || ".join(self.conforms(m, var) for m in _list(self.shapes, members)) or "false")
                        + ")"))
        for members in self.objects(holder, "xone"):
            counted = " + ".join(f"IF({self.conforms(m, var)}, 1, 0)" for m in _list(self.shapes, members))
            out.append(("xone", f"({counted or '0'}) != 1"))
        return [(local, f"COALESCE({test}, true)") for local, test in out]

    def conforms(self, shape, var: str) -> str:
        """An expression true when the node ``var`` conforms to ``shape`` (node or property shape): no constraint of
        it, nor of its property shapes, is violated."""
        if shape in self.stack:
            raise InputError(f"shape {shape} refers to itself through sh:node, sh:and, sh:or, sh:not or sh:xone: "
                             "SHACL leaves recursive shapes undefined, and the SPARQL validator refuses them")
        if len(self.stack) >= MAX_NESTING:
            raise InputError(f"shapes nest deeper than {MAX_NESTING} through sh:node, sh:and, sh:or, sh:not or sh:xone: refused")
        is_property = self.value(shape, "path") is not None
        _refuse_unknown(self.shapes, shape, (KNOWN_PROPERTY if is_property else KNOWN_NODE) - {"qualifiedValueShape"})
        if _true(self.value(shape, "deactivated")):
            return "true"
        self.stack.append(shape)
        try:
            tests = self.focus_tests(shape, var) if is_property else self.node_tests(shape, var)
        finally:
            self.stack.pop()
        return "!(" + (" || ".join(tests) or "false") + ")"

    def node_tests(self, shape, var: str) -> list[str]:
        """Expressions true when the node ``var`` violates a constraint of the node shape ``shape``."""
        out = [test for _local, test in self.value_tests(shape, var)]
        out += [f"!sameTerm({var}, {_n3(has)})" for has in self.objects(shape, "hasValue")]
        for q in self.objects(shape, "equals"):
            other = self.fresh()
            out.append(f"(NOT EXISTS {{ {var} {_n3(q)} {var} }} || EXISTS {{ {var} {_n3(q)} {other} "
                       f"FILTER(!sameTerm({other}, {var})) }})")
        out += [f"EXISTS {{ {var} {_n3(q)} {var} }}" for q in self.objects(shape, "disjoint")]
        if self.objects(shape, "lessThan") or self.objects(shape, "lessThanOrEquals"):
            raise InputError(f"shape {shape}: sh:lessThan on a node shape is not supported by the SPARQL validator; "
                             "use --engine pyshacl")
        if _true(self.value(shape, "closed")):
            used, value = self.fresh(), self.fresh()
            out.append(f"EXISTS {{ {var} {used} {value} .{_closed_filter(self.shapes, shape, used)} }}")
        out += ["!" + conforms for conforms in self.property_conforms(shape, var)]
        return out

    def property_conforms(self, shape, var: str) -> list[str]:
        """For each property shape of ``shape`` (sh:property), the expression true when ``var`` conforms to it, where
        it can be false."""
        out = []
        for prop in self.objects(shape, "property"):
            if self.value(prop, "path") is None:
                raise InputError(f"shape {shape}: sh:property {prop} has no sh:path")
            conforms = self.conforms(prop, var)
            if conforms != "true":
                out.append(conforms)
        return out

    def focus_tests(self, prop, var: str) -> list[str]:
        """Expressions true when the focus node ``var`` violates a constraint of the property shape ``prop``."""
        p = sparql_path(self.shapes, self.value(prop, "path"))
        y = self.fresh()
        out = []
        low, high = self.value(prop, "minCount"), self.value(prop, "maxCount")
        low = _count(low, prop, "minCount") if low is not None else 0
        if low == 1:
            out.append(f"NOT EXISTS {{ {var} {p} {y} }}")
        elif low > 1:
            c = self.fresh()
            out.append(f"NOT EXISTS {{ {{ SELECT {var} (COUNT(DISTINCT {y}) AS {c}) WHERE {{ {var} {p} {y} }} "
                       f"GROUP BY {var} }} FILTER({c} >= {low}) }}")
        if high is not None:
            c = self.fresh()
            out.append(f"EXISTS {{ {{ SELECT {var} (COUNT(DISTINCT {y}) AS {c}) WHERE {{ {var} {p} {y} }} "
                       f"GROUP BY {var} }} FILTER({c} > {_count(high, prop, 'maxCount')}) }}")
        if _true(self.value(prop, "uniqueLang")):
            other = self.fresh()
            out.append(f"EXISTS {{ {var} {p} {y} . {var} {p} {other} FILTER(!sameTerm({y}, {other}) && "
                       f'isLiteral({y}) && isLiteral({other}) && LANG({y}) != "" && LANG({y}) = LANG({other})) }}')
        out += [f"NOT EXISTS {{ {var} {p} {_n3(has)} }}" for has in self.objects(prop, "hasValue")]
        out += [f"EXISTS {{ {var} {p} {y} FILTER({test}) }}" for _local, test in self.value_tests(prop, y)]
        for q in self.objects(prop, "equals"):
            out.append(f"(EXISTS {{ {var} {p} {y} FILTER NOT EXISTS {{ {var} {_n3(q)} {y} }} }} || "
                       f"EXISTS {{ {var} {_n3(q)} {y} FILTER NOT EXISTS {{ {var} {p} {y} }} }})")
        out += [f"EXISTS {{ {var} {p} {y} . {var} {_n3(q)} {y} }}" for q in self.objects(prop, "disjoint")]
        for local, op in (("lessThan", "<"), ("lessThanOrEquals", "<=")):
            for q in self.objects(prop, local):
                other = self.fresh()
                out.append(f"EXISTS {{ {var} {p} {y} . {var} {_n3(q)} {other} FILTER(!COALESCE({y} {op} {other}, false)) }}")
        out += [f"EXISTS {{ {var} {p} {y} FILTER(!{conforms}) }}" for conforms in self.property_conforms(prop, y)]
        return out


def run_terms(store, checks: list[Check], tick=None):
    """Run compiled checks on a store (pyoxigraph ``Store`` or the project's, union as default graph): each finding
    as (check, focus node, value, path), Oxigraph terms but the path: the check's, or (sh:closed) the property found.
    ``tick(done, total)`` after each check, where given."""
    for i, c in enumerate(checks, 1):
        varies = "?path" in c.query
        for sol in store.query(PREFIX + c.query):
            yield c, sol["this"], sol["v"], (sol["path"].value if varies and sol["path"] is not None else c.path)
        if tick is not None:
            tick(i, len(checks))


def run(store, checks: list[Check]) -> list[tuple[str, str, str, str, str, str]]:
    """Run compiled checks on the project's store (union as default graph): (focus, path, shape, message, value, severity) per finding."""
    return [(focus.value if focus is not None else "", c.path, c.shape, c.message, value.value if value is not None else "",
             c.severity) for c, focus, value, _path in run_terms(store, checks)]
