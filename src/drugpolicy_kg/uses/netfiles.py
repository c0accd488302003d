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


def _kinds(items, none_left_out: bool = False) -> dict[str, type]:
    """Each attribute's name and the one type its values are written as, in the order the names first occur (a list,
    a set or a text is written as text; ``none_left_out``: a None is left out, as a flat copy leaves it, see
    :func:`drugpolicy_kg.uses.networks.flat_data`)."""
    seen: dict[str, set[type]] = {}
    for data in items:
        for k, v in data.items():
            if v is None and none_left_out:
                continue
            types = seen.get(k)
            if types is None:
                seen[k] = types = set()
            types.add(type(v))
    return {k: _widest({t if t in XML_TYPES else str for t in types}) for k, types in seen.items()}


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
    of the largest network held its quotes' text again, about 100 MB, while it was written). Each value is made flat
    and escaped once for both files (see :class:`_BothValues`)."""
    from drugpolicy_kg.uses.networks import _as_node, flat_graph, flat_id

    node_kinds = _kinds((_as_node(d) for _, d in g.nodes(data=True)), none_left_out=True)
    edge_kinds = _kinds((d for _, _, d in g.edges(data=True)), none_left_out=True)
    attrs = flat_graph(g.graph)
    ml = _GraphML(attrs, node_kinds, edge_kinds, g.is_directed())
    gx = _GEXF(str(attrs.get("name", "")), node_kinds, edge_kinds, g.is_directed())
    graphml_out.writelines(ml.head())
    gexf_out.writelines(gx.head())
    node_values, edge_values = _BothValues(ml, gx, "node", _NODE_OWN), _BothValues(ml, gx, "edge", _EDGE_OWN)
    for n, d in g.nodes(data=True):
        n = flat_id(n)
        data, values, own = node_values(_as_node(d))
        node_id = quoteattr(str(n))
        graphml_out.write(f"<node id={node_id}>{data}</node>\n")
        gexf_out.write(f'      <node id={node_id} label={quoteattr(str(own.get("label", n)))}>{values}</node>\n')
    gexf_out.write(gx.between())
    for i, (a, b, d) in enumerate(g.edges(data=True)):
        data, values, own = edge_values(d)
        ends = f"source={quoteattr(str(flat_id(a)))} target={quoteattr(str(flat_id(b)))}"
        own_attrs = "".join(f" {k}={quoteattr(str(own[k]))}" for k in _EDGE_OWN if k in own)
        graphml_out.write(f"<edge {ends}>{data}</edge>\n")
        gexf_out.write(f'      <edge {ends} id="{i}"{own_attrs}>{values}</edge>\n')
    graphml_out.write(ml.tail())
    gexf_out.write(gx.tail())


SHORT_TEXT = 100  # texts up to this long are made flat and escaped once per export and remembered (labels, kinds,
MEMO_LIMIT = 100_000  # categories: a network's edges repeat a few dozen of them), up to this many


class _BothValues:
    """One scope's (nodes' or edges') values, as they are in the network, made flat (see
    :func:`drugpolicy_kg.uses.networks.flat_value`) and escaped once for both files: a GraphML ``<data>`` run, a
    GEXF ``<attvalues>`` element (whose attribute values are the GraphML texts with three more characters escaped,
    see :func:`_attribute_of_escaped`), and the flat values of the scope's own GEXF attributes."""

    def __init__(self, ml: _GraphML, gx: _GEXF, scope: str, own: tuple[str, ...]):
        self.kinds, self.own = ml.kinds[scope], own
        self.data = {k: f'<data key="{ml.keys[(scope, k)]}">' for k in self.kinds}
        self.values = {k: f'<attvalue for="{gx.ids[(scope, k)]}" value="' for k in self.kinds if k not in own}
        self.memo: dict[str, tuple[str, str, str]] = {}  # a short text -> (flat, escaped, escaped as an attribute)

    def _short(self, v: str) -> tuple[str, str, str]:
        from drugpolicy_kg.tables import xml_safe

        made = self.memo.get(v)
        if made is None:
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            flat = xml_safe(v)
            text = _escape(flat)
            made = self.memo[v] = (flat, text, _attribute_of_escaped(text))
        return made

    def __call__(self, d: dict) -> tuple[str, str, dict]:
        from drugpolicy_kg.uses.networks import flat_value

        kinds, data, values, own = self.kinds, self.data, self.values, self.own
        ml, gx, flat_own = [], [], {}
        for k, v in d.items():
            if type(v) is str and len(v) <= SHORT_TEXT:  # (a text's kind is always text)
                flat, text, attribute = self._short(v)
            else:
                flat = flat_value(v)
                if flat is None:
                    continue
                text = _escape(flat if type(flat) is str and kinds[k] is str else _text(flat, kinds[k]))
                attribute = None
            ml.append(f"{data[k]}{text}</data>")
            if k in values:
                gx.append(f'{values[k]}{attribute or _attribute_of_escaped(text)}" />')
            if k in own:
                flat_own[k] = flat
        return "".join(ml), f"<attvalues>{''.join(gx)}</attvalues>" if gx else "", flat_own


def _attribute_of_escaped(escaped: str) -> str:
    r""":func:`quoteattr`'s inside of a text, from the text as :func:`_escape` made it (which escaped &, <, > and the
    carriage return already).

    >>> t = 'a&b<c>"d"\n\te\rf'
    >>> '"' + _attribute_of_escaped(_escape(t)) + '"' == quoteattr(t)
    True
    """
    return escaped.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _escape(text: str) -> str:  # (a carriage return kept as one: a parser reads a bare one as a line feed)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def quoteattr(text: str) -> str:
    """``text`` as a quoted XML attribute value: markup escaped, and the white space a parser would normalize (line
    breaks, tabs) kept as character references (what ``xml.sax.saxutils.quoteattr`` does, in a third of its time)."""
    return '"' + (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
                  .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")) + '"'
