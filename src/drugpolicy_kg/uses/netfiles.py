"""A network as GraphML and as GEXF 1.2, written as text in one pass: what networkx's writers make of it (its
readers give back the same nodes, edges, attributes and types, tested), in a fifth of their time and with no date
in the file, so that the same graph gives the same bytes on any day.

The graph is :func:`drugpolicy_kg.uses.networks.flat_copy`'s: every value a text XML can hold, a number or a
boolean. Each attribute gets one type, the widest its values need (text over decimal over integer); a boolean
mixed with anything else is written as text."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

XML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}  # (GraphML's and GEXF's names alike)


def _widest(types: set[type]) -> type:
    if types == {bool}:
        return bool
    if str in types or bool in types:
        return str
    return float if float in types else int


def _kinds(items) -> dict[str, type]:
    """Each attribute's name and the one type its values are written as, in the order the names first occur."""
    return _widest_of({k: type(v) for k, v in data.items()} for data in items)


def _widest_of(type_maps) -> dict[str, type]:
    """:func:`_kinds` of items given as their attributes' types."""
    seen: dict[str, set[type]] = {}
    for types in type_maps:
        for k, t in types.items():
            seen.setdefault(k, set()).add(t if t in XML_TYPES else str)
    return {k: _widest(t) for k, t in seen.items()}


def _text(value, kind: type) -> str:
    if kind is bool:
        return "true" if value else "false"
    if kind is float:
        return repr(float(value))
    return str(value)


def graphml(g: nx.Graph) -> str:
    """``g`` as a GraphML document (keys d0, d1 ... for the graph's, the nodes' and the edges' attributes)."""
    return "".join(graphml_parts(g))


def graphml_parts(g: nx.Graph):
    """:func:`graphml`'s document piece by piece, to be written as it is made (never whole in memory)."""
    doc = _GraphML(g.graph, _kinds(d for _, d in g.nodes(data=True)), _kinds(d for _, _, d in g.edges(data=True)),
                   g.is_directed())
    yield from doc.head()
    for n, d in g.nodes(data=True):
        yield doc.node(n, d)
    for a, b, d in g.edges(data=True):
        yield doc.edge(a, b, d)
    yield doc.tail()


class _GraphML:
    """A GraphML document's pieces: its head (the keys of the attributes' ``kinds``), a node, an edge, its tail."""

    def __init__(self, attrs: dict, node_kinds: dict[str, type], edge_kinds: dict[str, type], directed: bool):
        self.attrs, self.directed = attrs, directed
        self.kinds = {"graph": _kinds([attrs]), "node": node_kinds, "edge": edge_kinds}
        self.keys: dict[tuple[str, str], str] = {}
        for scope, kinds in self.kinds.items():
            for name in kinds:
                self.keys[(scope, name)] = f"d{len(self.keys)}"

    def head(self):
        yield ("<?xml version='1.0' encoding='utf-8'?>\n"
               '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
               'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
               'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
               'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
        yield "".join(f'<key id="{self.keys[(scope, name)]}" for="{scope}" attr.name={quoteattr(name)} '
                      f'attr.type="{XML_TYPES[kind]}"/>\n'
                      for scope, kinds in self.kinds.items() for name, kind in kinds.items())
        yield f'<graph edgedefault="{"directed" if self.directed else "undirected"}">'
        yield self._data("graph", self.attrs) + "\n"

    def _data(self, scope: str, values: dict) -> str:
        kinds = self.kinds[scope]
        return "".join(f'<data key="{self.keys[(scope, k)]}">{_escape(_text(v, kinds[k]))}</data>'
                       for k, v in values.items())

    def node(self, n, d: dict) -> str:
        return f"<node id={quoteattr(str(n))}>{self._data('node', d)}</node>\n"

    def edge(self, a, b, d: dict) -> str:
        return f"<edge source={quoteattr(str(a))} target={quoteattr(str(b))}>{self._data('edge', d)}</edge>\n"

    @staticmethod
    def tail() -> str:
        return "</graph></graphml>\n"


# what GEXF writes as a node's or an edge's own XML attribute, not as one of its declared attributes
_NODE_OWN = ("label",)
_EDGE_OWN = ("label", "weight")


def gexf(g: nx.Graph) -> str:
    """``g`` as a GEXF 1.2 document: a node's and an edge's ``label`` and an edge's ``weight`` as their own XML
    attributes, everything else as declared attributes (ids 0, 1 ... the nodes' first); the graph's ``name`` as its
    name (GEXF holds no other graph attribute)."""
    return "".join(gexf_parts(g))


def gexf_parts(g: nx.Graph):
    """:func:`gexf`'s document piece by piece, to be written as it is made (never whole in memory)."""
    doc = _GEXF(str(g.graph.get("name", "")), _kinds(d for _, d in g.nodes(data=True)),
                _kinds(d for _, _, d in g.edges(data=True)), g.is_directed())
    yield from doc.head()
    for n, d in g.nodes(data=True):
        yield doc.node(n, d)
    yield doc.between()
    for i, (a, b, d) in enumerate(g.edges(data=True)):
        yield doc.edge(i, a, b, d)
    yield doc.tail()


class _GEXF:
    """A GEXF document's pieces: its head (the attributes' ``kinds``, the own ones aside), a node, the line between
    the nodes and the edges, an edge, its tail."""

    def __init__(self, name: str, node_kinds: dict[str, type], edge_kinds: dict[str, type], directed: bool):
        self.name, self.directed = name, directed
        self.kinds = {"node": {k: t for k, t in node_kinds.items() if k not in _NODE_OWN},
                      "edge": {k: t for k, t in edge_kinds.items() if k not in _EDGE_OWN}}
        self.ids: dict[tuple[str, str], str] = {}
        for scope, kinds in self.kinds.items():
            for name in kinds:
                self.ids[(scope, name)] = str(len(self.ids))

    def head(self):
        out = ["<?xml version='1.0' encoding='utf-8'?>\n",
               '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
               'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n',
               "  <meta>\n    <creator>drugpolicy-kg</creator>\n  </meta>\n",
               f'  <graph defaultedgetype="{"directed" if self.directed else "undirected"}" mode="static" '
               f'name={quoteattr(self.name)}>\n']
        for scope, kinds in self.kinds.items():
            if kinds:
                out.append(f'    <attributes mode="static" class="{scope}">\n')
                out.extend(f'      <attribute id="{self.ids[(scope, k)]}" title={quoteattr(k)} type="{XML_TYPES[t]}" />\n'
                           for k, t in kinds.items())
                out.append("    </attributes>\n")
        yield "".join(out)
        yield "    <nodes>\n"

    def _values(self, scope: str, data: dict, own) -> str:
        kinds = self.kinds[scope]
        items = "".join(f'<attvalue for="{self.ids[(scope, k)]}" value={quoteattr(_text(v, kinds[k]))} />'
                        for k, v in data.items() if k not in own)
        return f"<attvalues>{items}</attvalues>" if items else ""

    def node(self, n, d: dict) -> str:
        return (f'      <node id={quoteattr(str(n))} label={quoteattr(str(d.get("label", n)))}>'
                f"{self._values('node', d, _NODE_OWN)}</node>\n")

    @staticmethod
    def between() -> str:
        return "    </nodes>\n    <edges>\n"

    def edge(self, i: int, a, b, d: dict) -> str:
        extra = "".join(f" {k}={quoteattr(str(d[k]))}" for k in _EDGE_OWN if k in d)
        return (f'      <edge source={quoteattr(str(a))} target={quoteattr(str(b))} id="{i}"{extra}>'
                f"{self._values('edge', d, _EDGE_OWN)}</edge>\n")

    @staticmethod
    def tail() -> str:
        return "    </edges>\n  </graph>\n</gexf>\n"


def write_both(g: nx.Graph, graphml_out, gexf_out) -> None:
    """``g``'s GraphML and GEXF written side by side in one pass over it, each node's and edge's values made flat (see
    :func:`drugpolicy_kg.uses.networks.flat_copy`) as it is written and dropped after: the bytes of
    :func:`graphml_parts` and :func:`gexf_parts` of the flat copy, without the copy (at a million triples, the copy
    of the largest network held its quotes' text again, about 100 MB, while it was written)."""
    from drugpolicy_kg.uses.networks import flat_data, flat_graph, flat_id, flat_node, flat_types

    node_kinds = _widest_of(flat_types(d, node=True) for _, d in g.nodes(data=True))
    edge_kinds = _widest_of(flat_types(d) for _, _, d in g.edges(data=True))
    attrs = flat_graph(g.graph)
    ml = _GraphML(attrs, node_kinds, edge_kinds, g.is_directed())
    gx = _GEXF(str(attrs.get("name", "")), node_kinds, edge_kinds, g.is_directed())
    graphml_out.writelines(ml.head())
    gexf_out.writelines(gx.head())
    for n, d in g.nodes(data=True):
        n, d = flat_id(n), flat_node(d)
        graphml_out.write(ml.node(n, d))
        gexf_out.write(gx.node(n, d))
    gexf_out.write(gx.between())
    for i, (a, b, d) in enumerate(g.edges(data=True)):
        a, b, d = flat_id(a), flat_id(b), flat_data(d)
        graphml_out.write(ml.edge(a, b, d))
        gexf_out.write(gx.edge(i, a, b, d))
    graphml_out.write(ml.tail())
    gexf_out.write(gx.tail())


def _escape(text: str) -> str:  # (a carriage return kept as one: a parser reads a bare one as a line feed)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def quoteattr(text: str) -> str:
    """``text`` as a quoted XML attribute value: markup escaped, and the white space a parser would normalize (line
    breaks, tabs) kept as character references (what ``xml.sax.saxutils.quoteattr`` does, in a third of its time)."""
    return '"' + (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
                  .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")) + '"'
