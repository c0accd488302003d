"""Terms between pyoxigraph (the store, the engine) and rdflib (for the libraries that need its types).

The project's graph lives in an Oxigraph store (:mod:`drugpolicy_kg.graph.store`);
these convert its terms, rows and triples where rdflib's are wanted (pySHACL,
JSON-LD, results for Python callers).
"""

from __future__ import annotations

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing: 3 ms of every command's start)
if TYPE_CHECKING:
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


def rdflib_rows(solutions) -> tuple[list[str], list[tuple]]:
    """The variables and rows of an Oxigraph SELECT result, with rdflib terms (None for unbound)."""
    names = [v.value for v in solutions.variables]
    return names, [tuple(to_rdflib_term(sol[n]) for n in names) for sol in solutions]


def rdflib_graph(triples, identifier: str | None = None) -> Graph:
    """An in-memory rdflib Graph, with the project's prefixes, of (subject, predicate, object) Oxigraph terms
    (``Triple``s, a quad's ``.triple``, or three-variable solutions)."""
    from rdflib import Graph

    from drugpolicy_kg.resources import PREFIXES

    g = Graph(identifier=identifier)
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, replace=True)
    seen: dict = {}  # each term converted once: a graph names the same predicates, classes and entities again and again

    def term(t):
        try:
            return seen[t]
        except KeyError:
            seen[t] = converted = to_rdflib_term(t)
            return converted

    add, context = g.store.add, g  # (Graph.add checks each term's type: these are rdflib's own terms)
    for s, p, o in triples:
        add((term(s), term(p), term(o)), context, quoted=False)
    return g


def store_of(graph):
    """The Oxigraph store behind an rdflib graph (oxrdflib: every store of the project), or None for any other."""
    return getattr(getattr(graph, "store", None), "_inner", None)


def value_rows(graph, text: str, bindings: dict[str, str] | None = None):
    """The rows of a SELECT as plain values (str, None where unbound), in the query's column order.

    On a graph backed by Oxigraph (oxrdflib: every store of the project) the store answers directly, with no rdflib
    term made per value; any other rdflib Graph answers through rdflib. ``bindings``: variables bound to IRIs."""
    inner = store_of(graph)
    if inner is not None:
        import pyoxigraph as ox

        subs = {ox.Variable(k): ox.NamedNode(v) for k, v in bindings.items()} if bindings else None
        for sol in inner.query(text, substitutions=subs):
            yield tuple(None if term is None else term.value for term in sol)
    else:
        from rdflib import URIRef

        for row in graph.query(text, initBindings={k: URIRef(v) for k, v in (bindings or {}).items()} or None):
            yield tuple(None if term is None else str(term) for term in row)


AN_IRI, A_LITERAL, A_BLANK = 0, 1, 2  # what an object is, in :func:`predicate_values`


def predicate_values(graph, subject: str) -> list[tuple[str, str, int, str | None]]:
    """:meth:`StoreView.predicate_values` of any graph: over rdflib, read through its terms (the same rows)."""
    if isinstance(graph, StoreView):
        return graph.predicate_values(subject)
    from rdflib import BNode, Literal, URIRef

    out = []
    for p, o in graph.predicate_objects(URIRef(subject)):
        if isinstance(o, Literal):
            out.append((str(p), str(o), A_LITERAL, o.language))
        else:
            out.append((str(p), str(o), A_BLANK if isinstance(o, BNode) else AN_IRI, None))
    return out


class IRI(str):
    """An IRI as a plain string: a term of :class:`StoreView` (rdflib's URIRef plays this part over rdflib)."""


class Blank(str):
    """A blank node's label in the store: a term of :class:`StoreView`."""


class Lit(str):
    """A literal's lexical form, with its language tag or datatype IRI: a term of :class:`StoreView`."""

    def __new__(cls, value: str, language: str | None = None, datatype: str | None = None):
        lit = super().__new__(cls, value)
        lit.language, lit.datatype = language, datatype
        return lit


_AS_VIEW: dict = {}  # pyoxigraph's term type -> the function making this view's term of it (filled on first use)


def _as_view_init() -> None:
    """Fill ``_AS_VIEW``: one dictionary lookup a term, where a chain of isinstance checks (and an import statement
    run again each call) took a quarter of reading an entity's facts."""
    import pyoxigraph as ox

    def literal(t):
        lang = t.language
        return Lit(t.value, lang, None if lang else t.datatype.value)

    _AS_VIEW.update({ox.NamedNode: lambda t: IRI(t.value), ox.BlankNode: lambda t: Blank(t.value),
                     ox.Literal: literal, type(None): lambda t: None})


class StoreView:
    """The union graph of an Oxigraph store (its default graph) through the few of rdflib's Graph methods that the
    tracer, the networks, the entity and question pages read: ``objects``, ``subjects``, ``subject_objects``,
    ``predicate_objects``, ``subject_predicates``, ``transitive_subjects``, ``value``, ``in`` and ``query``. Terms
    are plain strings (:class:`IRI`, :class:`Lit`, :class:`Blank`), so that a trace imports no rdflib: importing it
    took 0.25-0.3 s of a warm `trace`'s 0.8 s (#30). ``store_of`` finds the store behind it, as behind oxrdflib's.

    Unlike rdflib's terms, these compare and sort as their text: a literal equals an IRI spelled the same, and rows
    of numbers sort as text (the commands that read a view sort nothing where that differs; their outputs are
    byte-identical to the same commands over rdflib, tested)."""

    def __init__(self, store):
        import types

        self.store = types.SimpleNamespace(_inner=store)  # (where store_of looks, as on oxrdflib's store)
        self._store = store

    @staticmethod
    def term(t):
        """A pyoxigraph term as this view's (None stays None).

        >>> import pyoxigraph as ox
        >>> [StoreView.term(t) for t in (ox.NamedNode("http://x/a"), ox.Literal("5", datatype=ox.NamedNode(
        ...     "http://www.w3.org/2001/XMLSchema#integer")), ox.Literal("b", language="en"), None)]
        ['http://x/a', '5', 'b', None]
        """
        try:
            return _AS_VIEW[type(t)](t)
        except KeyError:
            if not _AS_VIEW:
                _as_view_init()
                return StoreView.term(t)
            return str(t)  # (a quoted triple: not in the project's data)

    @staticmethod
    def _node(t):
        """This view's term (or any string: an IRI) as pyoxigraph's; None where no such term can be."""
        import pyoxigraph as ox

        if t is None:
            return None
        try:
            if isinstance(t, Blank):
                return ox.BlankNode(t)
            if hasattr(t, "datatype") or hasattr(t, "language"):  # a literal, this view's or rdflib's
                lang = getattr(t, "language", None)
                if lang:
                    return ox.Literal(str(t), language=lang)
                dt = getattr(t, "datatype", None)
                return ox.Literal(str(t), datatype=ox.NamedNode(str(dt))) if dt else ox.Literal(str(t))
            return ox.NamedNode(str(t))
        except ValueError:  # not an IRI: nothing in the store is that term
            return False

    def _quads(self, s, p, o):
        import pyoxigraph as ox

        s, p, o = self._node(s), self._node(p), self._node(o)
        if False in (s, p, o):
            return iter(())
        return self._store.quads_for_pattern(s, p, o, ox.DefaultGraph())

    def objects(self, subject, predicate):
        term = self.term
        return [term(q.object) for q in self._quads(subject, predicate, None)]

    def subjects(self, predicate, obj):
        term = self.term
        return [term(q.subject) for q in self._quads(None, predicate, obj)]

    def subject_objects(self, predicate):
        term = self.term
        return [(term(q.subject), term(q.object)) for q in self._quads(None, predicate, None)]

    def value(self, subject, predicate):
        """One object of ``subject`` by ``predicate``, or None (as rdflib's ``Graph.value``)."""
        return next((self.term(q.object) for q in self._quads(subject, predicate, None)), None)

    def predicate_objects(self, subject):
        term = self.term
        return [(term(q.predicate), term(q.object)) for q in self._quads(subject, None, None)]

    def predicate_values(self, subject) -> list[tuple[str, str, int, str | None]]:
        """``subject``'s predicates and objects as text, with no term made for either: (predicate, value, what the
        value is: :data:`AN_IRI`, :data:`A_LITERAL` or :data:`A_BLANK`, a literal's language or None). What an
        entity's page and side panel read of it, in the order :meth:`predicate_objects` gives."""
        import pyoxigraph as ox

        named, literal = ox.NamedNode, ox.Literal
        out = []
        for q in self._quads(subject, None, None):
            o = q.object
            t = type(o)
            if t is literal:
                out.append((q.predicate.value, o.value, A_LITERAL, o.language))
            else:
                out.append((q.predicate.value, o.value, AN_IRI if t is named else A_BLANK, None))
        return out

    def subject_predicates(self, obj):
        term = self.term
        return [(term(q.subject), term(q.predicate)) for q in self._quads(None, None, obj)]

    def named_subject_predicates(self, obj) -> list[tuple[str, str]]:
        """What links to ``obj`` from an IRI: (subject, predicate) as text. The statements about facts whose object
        is ``obj`` (blank nodes, thousands for a popular entity at scale) are passed over before any is converted."""
        import pyoxigraph as ox

        return [(q.subject.value, q.predicate.value) for q in self._quads(None, None, obj)
                if isinstance(q.subject, ox.NamedNode)]

    def transitive_subjects(self, predicate, obj):
        """``obj``, then what links to it by ``predicate``, and so on, each once (as rdflib's)."""
        seen, todo, out = set(), [obj], []
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            out.append(node if isinstance(node, (IRI, Blank, Lit)) else IRI(node))
            todo.extend(reversed(self.subjects(predicate, node)))
        return out

    def __contains__(self, triple) -> bool:
        return next(iter(self._quads(*triple)), None) is not None

    def query(self, text: str, initBindings: dict | None = None) -> list[tuple]:  # noqa: N803 - rdflib's name
        """A SELECT's rows as tuples of this view's terms (None where unbound), with the project's prefixes."""
        import pyoxigraph as ox

        from drugpolicy_kg.resources import PREFIXES

        subs = {ox.Variable(k): self._node(v) for k, v in (initBindings or {}).items()}
        if False in subs.values():
            return []
        return [tuple(self.term(t) for t in sol) for sol in self._store.query(text, prefixes=PREFIXES,
                                                                               substitutions=subs or None)]


def term_types(graph) -> tuple[type, type]:
    """The types of ``graph``'s IRIs and literals (an IRI is made by calling the first): :class:`IRI` and
    :class:`Lit` for a :class:`StoreView`, rdflib's URIRef and Literal for any rdflib graph."""
    if isinstance(graph, StoreView):
        return IRI, Lit
    from rdflib import Literal, URIRef

    return URIRef, Literal
