"""Bridge to pyoxigraph: the fast SPARQL engine for checks and queries.

rdflib stays the reference for parsing and SHACL; SPARQL that scans the
whole graph runs on an in-memory Oxigraph store (see ../shared measurements:
10-100x faster than rdflib's evaluator on the same rows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyoxigraph
    from rdflib import Graph


def to_oxigraph_term(term):
    """Convert one rdflib term to its pyoxigraph twin.

    >>> from rdflib import Literal
    >>> to_oxigraph_term(Literal("x", lang="en"))
    <Literal value=x language=en>
    """
    import pyoxigraph as ox

    if isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        return term
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def to_rdflib_term(term):
    """Convert a pyoxigraph term back to rdflib."""
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    dt = term.datatype.value
    if dt == "http://www.w3.org/2001/XMLSchema#string":
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(dt), normalize=False)  # keep the lexical form as the store has it


def store_from_graph(graph: Graph) -> pyoxigraph.Store:
    """Copy an rdflib graph into a new in-memory Oxigraph store (default graph)."""
    import pyoxigraph as ox

    store = ox.Store()
    dg = ox.DefaultGraph()
    store.bulk_extend(
        ox.Quad(to_oxigraph_term(s), to_oxigraph_term(p), to_oxigraph_term(o), dg) for s, p, o in graph
    )
    return store


def select(store: pyoxigraph.Store, query: str) -> list[tuple]:
    """Run a SELECT on the store; rows of rdflib terms (None for unbound)."""
    solutions = store.query(query)
    names = [v.value for v in solutions.variables]
    return [tuple(to_rdflib_term(sol[n]) for n in names) for sol in solutions]
