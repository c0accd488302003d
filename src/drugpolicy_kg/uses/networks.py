"""Networks derived from the graph (never hand-listed), with metrics, for researchers.

- ``collaboration``: organizations linked when they hold roles in the same body
  (member, observer, co-lead, implementer), organize the same event, or
  co-author a publication; weight = number of shared ties, attributes say which
  bodies and roles.
- ``mandates``: resolution -> paragraph -> mandate -> actors -> bodies and
  activities -> objectives -> SDG targets, following the same relations as
  :mod:`drugpolicy_kg.uses.trace`.
- ``full``: every named entity of the project's data and the SDG concepts it
  links to; literals go into tooltips, not nodes.

Every node carries ``label``, ``category``, ``title`` (a plain-text tooltip
with the evidence) and, after :func:`add_metrics`, ``degree``,
``betweenness`` and ``community``.
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import TYPE_CHECKING

from drugpolicy_kg.resources import PREFIXES, internal_query
from drugpolicy_kg.uses.trace import DPO, FORWARD, ROOT_ONLY, Tracer

if TYPE_CHECKING:
    import networkx as nx
    from rdflib import Graph

DPK = PREFIXES["dpk"]
SDG = PREFIXES["sdg"]
VIEWS = ("collaboration", "mandates", "full")

# One colour and shape per category, the same in every view (and in the legend).
STYLE = {
    "Organization": ("#1f77b4", "dot"),
    "Unit": ("#6baed6", "dot"),
    "Body": ("#d62728", "diamond"),
    "Resolution": ("#2ca02c", "square"),
    "Paragraph": ("#98df8a", "square"),
    "Mandate": ("#ff7f0e", "triangle"),
    "Activity": ("#9467bd", "hexagon"),
    "Objective": ("#c5b0d5", "ellipse"),
    "SDG": ("#17becf", "star"),
    "Event": ("#8c564b", "triangleDown"),
    "Publication": ("#e377c2", "box"),
    "Membership": ("#bcbd22", "dot"),
    "Other": ("#7f7f7f", "dot"),
}
# Most specific first: the first class an entity has (through rdfs:subClassOf*) decides its category.
CATEGORY_OF_CLASS = [
    (DPO + "InterAgencyMechanism", "Body"),
    (PREFIXES["org"] + "OrganizationalUnit", "Unit"),
    (PREFIXES["org"] + "Post", "Unit"),
    (PREFIXES["org"] + "Organization", "Organization"),
    (DPO + "Resolution", "Resolution"),
    (DPO + "OperativeParagraph", "Paragraph"),
    (DPO + "Mandate", "Mandate"),
    (DPO + "Objective", "Objective"),
    ("http://metadata.un.org/sdg/ontology#Goal", "SDG"),
    ("http://metadata.un.org/sdg/ontology#Target", "SDG"),
    (DPO + "Event", "Event"),
    (PREFIXES["prov"] + "Activity", "Activity"),
    (PREFIXES["org"] + "Membership", "Membership"),
    (PREFIXES["bibo"] + "Document", "Publication"),
    (PREFIXES["bibo"] + "Journal", "Publication"),
    ("https://w3id.org/un/ontology/undo/Recommendation", "Publication"),
]
FACTS = [  # literal properties shown as key facts in tooltips
    (DPO + "resolutionNumber", "number"), (PREFIXES["dcterms"] + "date", "date"), (DPO + "startDate", "from"),
    (DPO + "endDate", "to"), (DPO + "foundingDate", "founded"), (DPO + "publicationDate", "published"),
    (DPO + "location", "place"), (DPO + "eventStatus", "status"), (DPO + "documentSymbol", "symbol"),
    (DPO + "meetingCadence", "meets"), (DPO + "membershipDescription", "members"), (DPO + "roleQualifier", "as"),
]
MAX_TOOLTIP_QUOTE = 300


def quote_line(ev) -> str:
    """One quote for a tooltip: cut to MAX_TOOLTIP_QUOTE, with its source and locator, and marked if inferred."""
    quote = ev.quote if len(ev.quote) <= MAX_TOOLTIP_QUOTE else ev.quote[: MAX_TOOLTIP_QUOTE - 1] + "…"
    return f"“{quote}” ({ev.source}, {ev.locator})" + (" [inferred]" if ev.inferred else "")


class Describer:
    """Labels, categories and tooltips for nodes of one graph, computed once."""

    def __init__(self, graph: Graph, tracer: Tracer | None = None):
        from rdflib import RDF, RDFS, URIRef

        self.graph = graph
        self.tracer = tracer or Tracer(graph)
        self.category: dict[str, str] = {}
        for cls, cat in reversed(CATEGORY_OF_CLASS):  # most specific last, so it wins
            for sub in graph.transitive_subjects(RDFS.subClassOf, URIRef(cls)):
                for s in graph.subjects(RDF.type, sub):
                    self.category[str(s)] = cat
        self._altlabel = URIRef(PREFIXES["skos"] + "altLabel")

    def acronym(self, node: str) -> str:
        from rdflib import URIRef

        alts = sorted(str(a) for a in self.graph.objects(URIRef(node), self._altlabel))
        return alts[0] if alts else ""

    def short(self, node: str) -> str:
        """A short on-canvas label: the acronym, an SDG code, or the label cut to 40 characters."""
        if node.startswith(SDG):
            return "SDG " + node[len(SDG):]
        acr = self.acronym(node)
        if acr and len(acr) <= 20:
            return acr
        label = self.tracer.label(node)
        return label if len(label) <= 40 else label[:39] + "…"

    def title(self, node: str) -> str:
        """A plain-text tooltip: label, type, acronym, key facts, and up to two quotes with their source."""
        from rdflib import URIRef

        values: dict[str, list[str]] = defaultdict(list)
        for p, o in self.graph.predicate_objects(URIRef(node)):  # one lookup for every fact
            values[str(p)].append(str(o))
        lines = [self.tracer.label(node), f"type: {self.tracer.kind(node)}"]
        alts = sorted(values.get(str(self._altlabel), []))
        if alts:
            lines.append(f"acronym: {alts[0]}")
        for prop, name in FACTS:
            if values.get(prop):
                lines.append(f"{name}: {', '.join(sorted(values[prop]))}")
        seen = set()
        self.tracer.evidence  # noqa: B018 -- load every entity's quotes in one query, once
        for ev in self.tracer.evidence_of(node):
            if ev.quote in seen or len(seen) == 2:
                continue
            seen.add(ev.quote)
            lines.append(quote_line(ev))
        inferred = sorted({f"{p.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}: {e.note()}"
                           for (_, p, _), items in self.tracer.facts_of(node).items() for e in items if e.inferred})
        lines += [f"[inferred] {text}" for text in inferred]
        return "\n".join(lines)

    def add_node(self, g: nx.Graph, node: str) -> None:
        if node in g:
            return
        cat = self.category.get(node, "Other")
        g.add_node(node, label=self.short(node), name=self.tracer.label(node), category=cat,
                   type=self.tracer.kind(node), title=self.title(node), iri=node)


def collaboration(graph: Graph, describer: Describer | None = None) -> nx.Graph:
    """Organizations linked by shared bodies, events and publications.

    >>> from drugpolicy_kg.resources import Project
    >>> from drugpolicy_kg.graph.store import GraphStore
    >>> g = collaboration(GraphStore.open(Project.open()).rdflib())
    >>> g.has_edge("https://w3id.org/drugpolicy-kg/id/org-unodc", "https://w3id.org/drugpolicy-kg/id/org-who")
    True
    """
    import networkx as nx

    d = describer or Describer(graph)
    q = internal_query("collaboration-roles.rq")
    by_context: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for org, context, role in graph.query(q):
        by_context[str(context)][str(org)].add(str(role))
    g = nx.Graph(name="collaboration")
    ties: dict[tuple[str, str], dict] = {}
    for context, members in by_context.items():
        ctx_label = d.short(context)
        orgs = sorted(members)
        for o in orgs:
            d.add_node(g, o)
        for i, a in enumerate(orgs):
            for b in orgs[i + 1:]:
                tie = ties.setdefault((a, b), {"contexts": [], "roles": []})
                tie["contexts"].append(ctx_label)
                tie["roles"].append(f"{ctx_label}: {'/'.join(sorted(members[a]))} – {'/'.join(sorted(members[b]))}")
    for (a, b), tie in sorted(ties.items()):
        g.add_edge(a, b, weight=len(tie["contexts"]), label=", ".join(sorted(set(tie["contexts"]))),
                   contexts=sorted(set(tie["contexts"])), roles=sorted(tie["roles"]),
                   title="shared: " + "; ".join(sorted(tie["roles"])))
    g.remove_nodes_from([n for n in list(g) if g.degree(n) == 0])  # an author alone collaborates with no one
    return g


def mandates(graph: Graph, describer: Describer | None = None) -> nx.DiGraph:
    """Resolutions to SDG targets, hop by hop, with the relation on each edge."""
    import networkx as nx
    from rdflib import RDF, URIRef

    d = describer or Describer(graph)
    g = nx.DiGraph(name="mandates")
    # One query per relation, then a breadth-first walk in Python: per-node lookups cost too much at scale.
    nexts_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    chain = [e for e in FORWARD if e[0] not in ROOT_ONLY]  # the mandate chain; who adopted what is not a step of it
    for pred, way, _ in chain:
        for s, o in graph.query(f"SELECT ?s ?o WHERE {{ ?s <{pred}> ?o FILTER(isIRI(?s) && isIRI(?o)) }}"):
            a, b = (str(s), str(o)) if way == "out" else (str(o), str(s))
            nexts_of[(a, pred)].append(b)
    starts = sorted(str(r) for r in graph.subjects(RDF.type, URIRef(DPO + "Resolution")))
    todo, seen = deque(starts), set()
    while todo:
        node = todo.popleft()
        if node in seen:
            continue
        seen.add(node)
        d.add_node(g, node)
        for pred, way, reads in chain:
            for nxt in sorted(set(nexts_of.get((node, pred), ()))):
                d.add_node(g, nxt)
                s, o = (node, nxt) if way == "out" else (nxt, node)
                quotes = d.tracer.hop_evidence(s, pred, o)
                reads = d.tracer.reading(pred, reads, s)
                if quotes and all(e.inferred for e in quotes):
                    reads += " [inferred]"
                title = reads + "".join("\n" + quote_line(e) for e in quotes[:1])
                if g.has_edge(node, nxt):  # two relations between the same pair: one edge, both names
                    g[node][nxt]["label"] += ", " + reads
                    g[node][nxt]["title"] += "\n" + title
                else:
                    g.add_edge(node, nxt, label=reads, relation=reads, title=title, weight=1)
                todo.append(nxt)
    return g


def full(graph: Graph, describer: Describer | None = None) -> nx.DiGraph:
    """Every named entity of the data (and the SDG concepts it links to); edges are their IRI-valued properties."""
    import networkx as nx
    from rdflib import RDFS, URIRef

    d = describer or Describer(graph)
    g = nx.DiGraph(name="full")
    named = {str(s) for s in graph.subjects(RDFS.label, None) if str(s).startswith(DPK)}
    skip = {DPO + "states", DPO + "mandates"}
    edges = []
    for s in sorted(named):
        for p, o in graph.predicate_objects(URIRef(s)):
            if not isinstance(o, URIRef) or str(p) in skip:
                continue
            o = str(o)
            if o in named or (o.startswith(SDG) and d.category.get(o) == "SDG"):
                edges.append((s, o, str(p)))
    for s in sorted(named):
        d.add_node(g, s)
    for s, o, p in edges:
        d.add_node(g, o)
        name = p.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        quotes = d.tracer.evidence.get(s, {}).get((s, p, o), [])
        if quotes and all(e.inferred for e in quotes):
            name += " [inferred]"
        if g.has_edge(s, o):
            g[s][o]["label"] += ", " + name
        else:
            g.add_edge(s, o, label=name, relation=name, title=name, weight=1)
    return g


BUILDERS = {"collaboration": collaboration, "mandates": mandates, "full": full}


EXACT_BETWEENNESS_LIMIT = 500
BETWEENNESS_SAMPLE = 64


def add_metrics(g: nx.Graph, seed: int = 42) -> None:
    """Degree, betweenness and Louvain community (seeded), as node attributes.

    Betweenness is exact up to 500 nodes; above, it is estimated from 64 sampled sources (seeded):
    exact betweenness is cubic and does not finish at benchmark scale.
    """
    import networkx as nx

    und = g.to_undirected() if g.is_directed() else g
    sample = BETWEENNESS_SAMPLE if len(und) > EXACT_BETWEENNESS_LIMIT else None
    between = nx.betweenness_centrality(und, k=sample, seed=seed)
    communities = nx.community.louvain_communities(und, weight="weight", seed=seed) if len(und) else []
    community_of = {n: i for i, members in enumerate(sorted(communities, key=lambda c: (-len(c), min(c)))) for n in members}
    for n in g.nodes:
        g.nodes[n]["degree"] = und.degree(n)
        g.nodes[n]["betweenness"] = round(between.get(n, 0.0), 6)
        g.nodes[n]["community"] = community_of.get(n, -1)


def build_networks(graph: Graph, views=VIEWS) -> dict[str, nx.Graph]:
    """Build the named views with metrics."""
    d = Describer(graph)
    out = {}
    for name in views:
        g = BUILDERS[name](graph, d)
        add_metrics(g)
        out[name] = g
    return out


def flat_copy(g: nx.Graph) -> nx.Graph:
    """A copy with only scalar attributes (lists joined by '; '), as GraphML and GEXF require, and every text made
    what XML can hold (a U+0001 in a label would make the file ill-formed: it becomes a visible escape)."""
    import networkx as nx

    from drugpolicy_kg.tables import xml_safe

    h = nx.relabel_nodes(g, {n: xml_safe(n) for n in g if isinstance(n, str) and xml_safe(n) != n}, copy=True)
    for _, data in list(h.nodes(data=True)) + [(None, e[2]) for e in h.edges(data=True)]:
        for k, v in list(data.items()):
            if isinstance(v, (list, tuple, set)):
                data[k] = xml_safe("; ".join(map(str, v)))
            elif isinstance(v, str):
                data[k] = xml_safe(v)
            elif v is None:
                del data[k]
    h.graph = {k: xml_safe(v) if isinstance(v, str) else v for k, v in h.graph.items() if isinstance(v, (str, int, float))}
    return h
