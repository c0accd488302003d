"""The ontology documents itself, reuses standard vocabularies from local copies, and loads offline."""

from __future__ import annotations

import socket

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from drugpolicy_kg.graph.loader import import_files, parse_file, read_catalog
from drugpolicy_kg.graph.store import GraphStore, project_inputs

DPO = Namespace("https://w3id.org/drugpolicy-kg/ontology#")
ONTO = URIRef("https://w3id.org/drugpolicy-kg/ontology")
VANN = Namespace("http://purl.org/vocab/vann/")


@pytest.fixture(scope="module")
def onto(project):
    return parse_file(project.ontology_dir / "drugpolicy.ttl")


def test_ontology_metadata(onto):
    for p in (DCTERMS.title, DCTERMS.description, DCTERMS.creator, DCTERMS.license, OWL.versionIRI,
              DCTERMS.created, DCTERMS.modified, VANN.preferredNamespacePrefix):
        assert onto.value(ONTO, p) is not None, p


def test_every_term_documented(onto):
    terms = [s for s in onto.subjects(RDF.type, None) if str(s).startswith(str(DPO))]
    assert len(terms) >= 60
    for t in terms:
        assert onto.value(t, RDFS.label) is not None, f"{t} has no rdfs:label"
        assert onto.value(t, SKOS.definition) is not None, f"{t} has no skos:definition"
        assert onto.value(t, RDFS.isDefinedBy) == ONTO, f"{t} has no rdfs:isDefinedBy"


def test_imports_resolve_to_local_files(project, onto):
    catalog = read_catalog(project.catalog)
    for iri in onto.objects(ONTO, OWL.imports):
        assert str(iri) in catalog, f"owl:imports {iri} is not in the catalog"
        assert catalog[str(iri)].is_file()
    assert len(import_files(project)) == 8


def test_used_terms_of_reused_vocabularies_are_declared(project, dataset):
    declared = Graph()
    for f in import_files(project):
        parse_file(f, declared)
    namespaces = ["http://www.w3.org/ns/org#", "http://www.w3.org/2004/02/skos/core#", "http://purl.org/dc/terms/",
                  "http://www.w3.org/ns/prov#", "http://purl.org/ontology/bibo/", "https://w3id.org/un/ontology/undo/"]
    used = set()
    for _s, p, o in dataset.rdflib().triples((None, None, None)):
        for term in (p, o if p == RDF.type else None):
            if isinstance(term, URIRef) and any(str(term).startswith(ns) for ns in namespaces):
                used.add(term)
    shapes = parse_file(project.shapes)
    used |= {t for t in shapes.all_nodes() if isinstance(t, URIRef) and any(str(t).startswith(ns) for ns in namespaces)}
    missing = sorted(str(t) for t in used if (t, RDF.type, None) not in declared)
    assert missing == []


def test_loading_never_touches_the_network(project, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access while loading")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert GraphStore.in_memory(project_inputs(project)).triples > 10000


RDF_TYPE = str(RDF.type)


@pytest.fixture(scope="module")
def split_graph(dataset):
    """The store's named graphs as two lists of triples: the ontology and imported vocabularies, and the data (read
    once for the module: 270,000 triples)."""
    import pyoxigraph as ox

    schema, data = [], set()
    for graph in dataset.store.named_graphs():
        g = graph.value
        quads = dataset.store.quads_for_pattern(None, None, None, graph)
        if g.endswith("/graph/drugpolicy") or "/graph/imports/" in g:
            schema += [q.triple for q in quads]
        else:
            data.update(q.triple for q in quads)
    assert schema and data and isinstance(next(iter(data)), ox.Triple)
    return schema, data


def owl_rl_sample(split, extra=()) -> Graph:
    """The part of the graph the OWL 2 RL reasoner needs to judge its consistency: the ontology and the imported
    vocabularies whole, and of the data one node per signature (its types, the properties it has with the kind or
    datatype of each value, the properties that point at it), with all its own triples and one triple per property
    pointing at it. OWL RL is monotonic, so a subset of a consistent graph is consistent; and a node's types follow,
    through domains, ranges and subclasses, from its signature alone, so a clash on any node shows on the one that
    stands for its signature. 270,000 data triples become about 2,000, and the reasoner's minutes become seconds.
    Which node stands for a signature, and which triple for a property pointing at it, is the first in the order of
    their N-Triples forms: the sample is the same in every run."""
    import pyoxigraph as ox

    schema, data = split
    data = data | set(extra)
    types, out, into = {}, {}, {}
    for t in data:
        s, p, o = t.subject, t.predicate.value, t.object
        if p == RDF_TYPE:
            types.setdefault(s, set()).add(o.value)
        out.setdefault(s, set()).add((p, o.datatype.value if isinstance(o, ox.Literal) else "node"))
        if not isinstance(o, ox.Literal):
            into.setdefault(o, set()).add(p)
    standing: dict = {}
    for n in sorted(set(out) | set(into), key=str):
        standing.setdefault((frozenset(types.get(n, ())), frozenset(out.get(n, ())), frozenset(into.get(n, ()))), n)
    keep = set(standing.values())
    kept, pointing = [], {}
    for t in data:
        if t.subject in keep:
            kept.append(t)
        elif not isinstance(t.object, ox.Literal) and t.object in keep:
            pointing.setdefault((t.object, t.predicate), []).append(t)
    kept += [min(ts, key=str) for ts in pointing.values()]
    return Graph().parse(data=ox.serialize(schema + sorted(kept, key=str), format=ox.RdfFormat.N_TRIPLES), format="nt")


def _owl_rl_errors(g: Graph) -> list[str]:
    import owlrl

    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
    return sorted(str(m) for m in g.objects(None, URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")))


@pytest.fixture(scope="module")
def owl_rl_closure(split_graph):
    """The OWL 2 RL closure of the sample (see :func:`owl_rl_sample`) and the reasoner's errors, made once."""
    g = owl_rl_sample(split_graph)
    return g, _owl_rl_errors(g)


@pytest.mark.slow
def test_owl_rl_reasoner_finds_no_inconsistency(owl_rl_closure):
    """OWL 2 RL (owlrl) over the ontology, the full published vocabularies it imports, and the data (one node per
    signature, see :func:`owl_rl_sample`).

    PROV-O's disjointness of prov:Activity and prov:Entity, its domains and ranges, ORG's and
    SKOS's axioms all apply: the first release made 8 events and activities prov:Entity too.
    """
    g, errors = owl_rl_closure
    assert errors == []
    # the reasoner did run with the real axioms: a meeting is a dpo:Event, and so a prov:Activity
    events = set(g.subjects(RDF.type, DPO.Event))
    assert events and all((e, RDF.type, URIRef("http://www.w3.org/ns/prov#Activity")) in g for e in events)


@pytest.mark.slow
def test_owl_rl_finds_the_clash_the_first_release_had(split_graph, owl_rl_closure):
    """The sample keeps what the reasoner needs: one event made a prov:Entity too, among 270,000 triples, is found.
    (The reasoner goes on from the closure of the sample without it: OWL RL is monotonic, so the closure of the two
    together is the closure of that closure and the triple.)"""
    import pyoxigraph as ox

    from drugpolicy_kg.graph.oxi import to_rdflib_term

    clash = ox.Triple(ox.NamedNode("https://w3id.org/drugpolicy-kg/id/event-itwg-inaugural-meeting"),
                      ox.NamedNode(RDF_TYPE), ox.NamedNode("http://www.w3.org/ns/prov#Entity"))
    own = [t for t in split_graph[1] if t.subject == clash.subject]  # the event's triples (the sample may have kept
    assert own                                                        # another node for its signature), and the clash
    closed, errors = owl_rl_closure
    assert errors == []
    g = Graph()
    for t in closed:
        g.add(t)
    for t in [*own, clash]:
        g.add(tuple(to_rdflib_term(x) for x in (t.subject, t.predicate, t.object)))
    assert _owl_rl_errors(g) != []


def test_imports_are_the_full_vocabularies(project):
    """Not term lists: PROV-O's disjointness axiom and ORG's domains are there."""
    g = Graph()
    for f in import_files(project):
        parse_file(f, g)
    PROV = Namespace("http://www.w3.org/ns/prov#")
    assert (PROV.Entity, OWL.disjointWith, PROV.Activity) in g or (PROV.Activity, OWL.disjointWith, PROV.Entity) in g
    assert g.value(URIRef("http://www.w3.org/ns/org#memberOf"), RDFS.domain) is not None
