"""Interactive network pages (pyvis), the site around them, exports, the SDG coverage matrix and a timeline.

pyvis builds the network: nodes, edges and vis-network options go through its public ``Network`` API
(``add_node``, ``add_edge``, ``options``, ``get_network_data``). The page is pyvis's own template, rendered with
its own switches (``cdn_resources="in_line"``, ``select_menu``, ``filter_menu`` and ``neighborhood_highlight``
off). We render that template ourselves rather than call ``Network.generate_html``, for three reasons:

- ``generate_html`` switches to an HTML tooltip (``popup.innerHTML = title``) as soon as any node's title
  contains the letters "href": a quote mentioning "href" would then run as markup;
- its Jinja environment does not autoescape; ours does, so a value can reach the page only through ``tojson``;
- ``add_edge`` on an undirected ``Network`` compares each new edge with every edge before it (quadratic): the
  network is built as directed (networkx already holds one edge per pair) and arrows are set per edge.

What pyvis has no option for is added around its page, in plain DOM code that sets text only: the controls
(find, filter by kind, colour by kind or community, size by a metric, fit, PNG and SVG export), a legend drawn
with the same shapes as the canvas, tooltips that wrap, a side panel with the clicked node's facts and quotes,
and a first zoom at which labels are legible. The two Bootstrap CDN tags the template adds are removed, and a
Content-Security-Policy forbids any network access from the page.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote as urlquote

from drugpolicy_kg.atomic import atomic_write, prune_site, scratch_folder, write_page
from drugpolicy_kg.pages import json_for_script, script
from drugpolicy_kg.threads import collector_off
from drugpolicy_kg.uses.entities import PER_FILE, shares_files
from drugpolicy_kg.uses.networks import STYLE, VIEWS, build_networks, notes_of, sdg_matrix, undirected

if TYPE_CHECKING:
    import networkx as nx
    from rdflib import Graph

PHYSICS_LIMIT = 300
AGGREGATE_LIMIT = 3000  # past this many nodes a page shows communities, not nodes
TIMELINE_POINTS = 80  # past this many dated items, count them per year
EDGE_LABEL_LIMIT = 60  # past this many edges, relation names go to edge tooltips only
SEED = 42
FONT = 16         # node label size, in canvas units
EDGE_FONT = 12    # edge labels: smaller than node labels
LEGIBLE_PX = 13   # the first view draws node labels at least this tall (rendered pixels)
SIZE_MIN, SIZE_MAX = 6, 30  # node radius for a metric of 0 and for the largest
TITLES = {
    "affiliations": ("Affiliations (two-mode)",
                     "Organizations (one kind) and the bodies, meetings and publications they take part in (the other); "
                     "each edge is one tie, with the roles and the quotes that state them."),
    "collaboration": ("Collaboration (one-mode projection)",
                      "Organizations tied when they take part in the same body, meeting or publication; a tie stated "
                      "by one passage counts once. Edge width: ties."),
    "resolutions": ("Resolutions and what they mandate (two-mode)",
                    "Resolutions (one kind) and the subprogrammes, bodies and activities their provisions bear on (the "
                    "other); each edge says how (calls for, addresses, set up in view of) with its quotes."),
    "co-mandated": ("Co-mandated (one-mode projection)",
                    "Subprogrammes and other targets tied when one resolution bears on both; edge width: resolutions "
                    "they share."),
    "sdgs": ("Subprogrammes and the SDGs they serve (two-mode)",
             "What serves (one kind) and the SDG goals and targets it serves (the other), each link with its quote."),
    "mandates": ("Mandate chains",
                 "From each resolution through its paragraphs and mandates to the actors addressed, the bodies and "
                 "activities that result, their objectives and the SDG targets they serve."),
    "full": ("Whole graph", "Every named entity in the data and how they link; facts and quotes are in the side panel."),
}
# The question each network answers: at the top of its pages and in the index of views (#28)
ASKS = {
    "affiliations": "Which bodies, meetings and publications does each organization take part in, and in what role?",
    "collaboration": "Who works with whom, beyond the lists every organization is on?",
    "resolutions": "Which resolutions bear on which subprogrammes, bodies and activities, and how?",
    "co-mandated": "Which subprogrammes and activities does one resolution mandate together?",
    "sdgs": "Which SDG goals and targets does each subprogramme and body say it serves?",
    "mandates": "Through which paragraphs, mandates and actors does a resolution reach an activity and an SDG target?",
    "full": "How does any entity link to any other, with the words that say so?",
}
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
       "font-src data:; connect-src 'none'")
_REMOTE_TAG = re.compile(r"<(link|script)\b[^>]*(?:href|src)=\"https?://[^\"]*\"[^>]*>(?:\s*</script>)?", re.S)
_EMPTY_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>")
# Colours of communities (matplotlib's tab20, which tells 20 apart); past 20 they repeat.
COMMUNITY_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                     "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
                     "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"]
# Each vis-network shape as the legend and the SVG export draw it: a polygon on the unit square (-1..1, y down), or
# "circle" / "ellipse" / "box". One table for both, so the legend, the export and the canvas agree.
SHAPES = {
    "dot": "circle",
    "ellipse": "ellipse",
    "box": "box",
    "square": [(-1, -1), (1, -1), (1, 1), (-1, 1)],
    "diamond": [(0, -1), (1, 0), (0, 1), (-1, 0)],
    "triangle": [(0, -1), (1, 0.75), (-1, 0.75)],
    "triangleDown": [(0, 1), (1, -0.75), (-1, -0.75)],
    "hexagon": [(round(math.cos(a), 3), round(math.sin(a), 3)) for a in (math.pi / 3 * i for i in range(6))],
    "star": [(round(r * math.sin(a), 3), round(-r * math.cos(a), 3))
             for i in range(10) for r, a in [((1 if i % 2 == 0 else 0.45), math.pi / 5 * i)]],
}
METRICS = ("weighted_degree", "degree", "betweenness")


def symbol(shape: str, colour: str, size: int = 14) -> dict:
    """A legend symbol's geometry (``templates/symbols.html`` draws it): the vis-network shape ``shape`` in
    ``colour``, on a square of ``size`` pixels."""
    h = size / 2
    geometry = SHAPES.get(shape, "circle")
    points = "" if isinstance(geometry, str) else " ".join(f"{h + x * (h - 1):.2f},{h + y * (h - 1):.2f}" for x, y in geometry)
    return {"size": size, "h": h, "colour": colour, "shape": shape,
            "geometry": geometry if isinstance(geometry, str) else "polygon", "points": points}


@functools.cache
def _template():
    """pyvis's page template, compiled once (a new environment for each of the 48 pages had compiled it 48 times)."""
    import jinja2
    import pyvis

    root = Path(pyvis.__file__).parent / "templates"
    from drugpolicy_kg.pages import template_class

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(root)), autoescape=True, auto_reload=False)
    env.template_class = template_class()
    return env.get_template("template.html")


SPARSE_LAYOUT = 500  # from this many nodes on networkx lays out with sparse matrices; spring() is its dense method


def spring(g: nx.Graph, k: float, iterations: int, seed: int, threshold: float = 1e-4):
    """Fruchterman-Reingold positions, scaled into [-1, 1]: networkx's dense ``spring_layout`` (the same seeded start,
    the same forces, k²/d apart and a·d²/k along a tie of weight a, the same cooling and stop), in a third to a fifth
    of the time of a reimplementation that followed networkx's arithmetic to the bit (a page of 300 nodes: 8-20 ms
    against 37-66 ms; networkx itself took 150 ms).

    Each step reads one (n, n) array of forces once, in one matrix product: the push on node i along x is
    Σ_j (x_i - x_j)·f_ij = x_i·Σ_j f_ij - Σ_j f_ij·x_j, so ``f @ [1, x, y]`` gives every node's sums (the diagonal,
    a node on itself, set to 0). The forces are worked out in single precision, the positions kept in double. Summed
    in another order and precision than networkx's, positions drift apart from networkx's over the steps, as any two
    runs of this iteration in different arithmetic do (by up to a fifth of the page on the tests' graphs); one step
    agrees with networkx's to single precision, and the layouts are as good by the measures the tests take (ties
    as short against the page, as few nodes on top of each other). Where the browser's physics runs (every page of
    at most PHYSICS_LIMIT nodes), these positions only seed it."""
    import numpy as np

    nodes = list(g)
    n = len(nodes)
    if n == 1:
        return {nodes[0]: np.zeros(2)}
    at = {v: i for i, v in enumerate(nodes)}
    a = np.zeros((n, n))
    for u, v, w in g.edges(data="weight", default=1):
        a[at[u], at[v]] = a[at[v], at[u]] = w
    rows, cols = np.nonzero(a)  # the pull along ties, worked out where there is a tie only
    pull = (a[rows, cols] / k).astype(np.float32)
    ties = rows * n + cols  # (their places in the flattened arrays)
    del a
    pos = np.random.RandomState(seed).rand(n, 2)
    x, y = pos[:, 0].copy(), pos[:, 1].copy()
    t = max(x.max() - x.min(), y.max() - y.min()) * 0.1  # the largest step; it cools linearly to 0
    dt = t / (iterations + 1)
    # two (n, n) arrays, made once and written over in place: 720 kB together at 300 nodes, within a core's cache
    square, force = np.empty((n, n), np.float32), np.empty((n, n), np.float32)
    flat_square, flat_force = square.reshape(-1), force.reshape(-1)
    diagonal = np.arange(n) * (n + 1)
    kk = np.float32(k * k)
    sums = np.empty((n, 3), np.float32)  # the columns 1, x, y of the matrix product
    sums[:, 0] = 1
    xs, ys = sums[:, 1], sums[:, 2]  # (views of its columns: x and y in single precision, written each step)
    for _ in range(iterations):
        xs[:], ys[:] = x, y
        np.subtract.outer(xs, xs, out=square)
        np.multiply(square, square, out=square)
        np.subtract.outer(ys, ys, out=force)
        np.multiply(force, force, out=force)
        np.add(square, force, out=square)
        np.maximum(square, np.float32(1e-4), out=square)  # a distance of at least 0.01, as networkx clips it
        np.divide(kk, square, out=force)  # k²/d²: the push, times the offset it is along
        flat_force[diagonal] = 0
        flat_force[ties] -= pull * np.sqrt(flat_square[ties])  # - a·d/k: the pull
        total = force @ sums
        px = x * total[:, 0] - total[:, 1]
        py = y * total[:, 0] - total[:, 2]
        length = np.sqrt(px * px + py * py)
        np.maximum(length, 0.01, out=length)
        scale = t / length
        sx, sy = px * scale, py * scale
        x += sx
        y += sy
        t -= dt
        if np.linalg.norm(np.column_stack([sx, sy])) / n < threshold:
            break
    pos = np.column_stack([x, y])
    pos -= pos.mean(axis=0)
    top = np.abs(pos).max()
    if top > 0:
        pos *= 1 / top
    return dict(zip(nodes, pos))


def layout(g: nx.Graph, seed: int = SEED) -> dict:
    """Seeded positions, scaled for the canvas."""
    import networkx as nx

    if len(g) == 0:
        return {}
    k = 2.5 / max(len(g), 1) ** 0.5
    # where the browser's physics runs (every page of at most PHYSICS_LIMIT nodes) these positions only seed its 150
    # steps of stabilization. Measured on the shipped views' 48 pages: 50 steps here leave 5,240 node pairs closer than
    # 25 px where 100 left 19,285 (the longer run contracts dense parts), edges as long relative to the page, in 6.9 s
    # instead of 12.9 s
    iterations = 50 if len(g) <= PHYSICS_LIMIT else 20  # large views: a rougher layout, in seconds not minutes
    und = undirected(g)
    pos = (spring(und, k, iterations, seed) if len(g) < SPARSE_LAYOUT else
           nx.spring_layout(und, seed=seed, k=k, iterations=iterations))
    scale = 60 * max(len(g), 4) ** 0.5
    return {n: (round(float(x) * scale, 2), round(float(y) * scale, 2)) for n, (x, y) in pos.items()}


def node_size(value: float, top: float) -> float:
    """A node's radius in proportion to its metric (vis's own scaling stretches min..max over the whole range, so
    16 against 18 would look like 1 against 10). The page's *Size by* uses the same rule."""
    return round(SIZE_MIN + (SIZE_MAX - SIZE_MIN) * max(value, 0) / top, 2) if top > 0 else SIZE_MIN


def vis_data(g: nx.Graph) -> tuple[list[dict], list[dict]]:
    """Node and edge records for vis-network: colour and shape by category, size by weighted degree."""
    from drugpolicy_kg.uses.entities import panel_quotes

    pos = layout(g)
    edge_labels = g.number_of_edges() <= EDGE_LABEL_LIMIT
    top = max((d.get("weighted_degree", 0) for _, d in g.nodes(data=True)), default=0) or 1
    top_weight = max((d.get("weight", 1) for _, _, d in g.edges(data=True)), default=1) or 1
    nodes = []
    for n, d in g.nodes(data=True):
        kind = d.get("category", "Other")
        color, shape = STYLE.get(kind, STYLE["Other"])
        x, y = pos.get(n, (0, 0))
        metrics = {m: d.get(m, 0) for m in METRICS}
        tip = (d.get("title", "") + f"\ndegree {metrics['degree']} · weighted degree {metrics['weighted_degree']:g} · "
               f"betweenness {metrics['betweenness']:.3f} · community {d.get('community', -1)}")
        nodes.append({"id": n, "label": d.get("label", n), "title": tip, "kind": kind, "color": color,
                      "shape": shape, "size": node_size(metrics["weighted_degree"], top), "metrics": metrics,
                      "x": x, "y": y, "community": d.get("community", -1), "mode": d.get("bipartite", -1)})
    edges = []
    for a, b, d in g.edges(data=True):
        rec = {"from": a, "to": b, "label": d.get("label", "") if edge_labels else "", "title": d.get("title", ""),
               "width": round(1 + 5 * d.get("weight", 1) / top_weight, 2), "weight": d.get("weight", 1),
               "arrows": "to" if g.is_directed() else ""}
        if "quotes" in d:  # a tie of the data (not one between groups): what a click on it shows, every quote whole
            rec["kinds"] = list(d.get("kinds") or [d.get("label", "")])
            rec["quotes"] = panel_quotes(d["quotes"])
        edges.append(rec)
    return nodes, edges


def options(n_nodes: int) -> dict:
    physics = n_nodes <= PHYSICS_LIMIT
    return {
        "physics": {"enabled": physics, "stabilization": {"iterations": 150, "fit": False},
                    "barnesHut": {"gravitationalConstant": -8000, "springLength": 160}},
        "layout": {"randomSeed": SEED, "improvedLayout": n_nodes <= 150},
        "interaction": {"hover": True, "tooltipDelay": 150, "navigationButtons": False},
        "edges": {"font": {"size": EDGE_FONT, "align": "middle", "strokeWidth": 3}, "smooth": physics,
                  "color": {"inherit": False, "color": "#aaaaaa"}},
        "nodes": {"font": {"size": FONT, "strokeWidth": 3, "strokeColor": "#ffffff"}},
    }


def _pyvis_network(nodes: list[dict], edges: list[dict]):
    """The nodes and edges through pyvis's public API (see the module's docstring for ``directed=True``)."""
    from pyvis.network import Network

    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line", select_menu=False,
                  filter_menu=False, neighborhood_highlight=False)
    for rec in nodes:
        rec = dict(rec)
        net.add_node(rec.pop("id"), label=rec.pop("label"), shape=rec.pop("shape"), color=rec.pop("color"), **rec)
    for rec in edges:
        rec = dict(rec)
        net.add_edge(rec.pop("from"), rec.pop("to"), **rec)
    net.options = options(len(nodes))
    return net


def aggregate(g: nx.Graph, top: int = 8, groups: list[list] | None = None) -> nx.Graph:
    """Collapse each community (or each of ``groups``, nodes "group-1", "group-2" ...) into one node (size: members;
    edges: links between them).

    >>> import networkx as nx
    >>> g = nx.Graph([(1, 2), (2, 3), (4, 5)])
    >>> for n, c in ((1, 0), (2, 0), (3, 0), (4, 1), (5, 1)):
    ...     g.nodes[n].update(community=c, degree=g.degree(n), name=str(n), category="Organization", label=str(n))
    >>> aggregate(g).number_of_nodes()
    2
    """
    from collections import Counter

    import networkx as nx

    members: dict = {}
    if groups is not None:
        members = {i: list(x) for i, x in enumerate(groups, 1)}
    else:
        for n, d in g.nodes(data=True):
            members.setdefault(d.get("community", -1), []).append(n)
    word = "group" if groups is not None else "community"
    of = {n: c for c, nodes in members.items() for n in nodes}
    agg = nx.Graph(name=f"{g.graph.get('name', 'graph')} ({word}s)")
    for c, nodes in members.items():
        ranked = sorted(nodes, key=lambda n: (-g.nodes[n].get("degree", 0), str(n)))
        cats = Counter(g.nodes[n].get("category", "Other") for n in nodes)
        main = cats.most_common(1)[0][0]
        names = [g.nodes[n].get("name", str(n)) for n in ranked[:top]]
        agg.add_node(f"{word}-{c}", label=f"{g.nodes[ranked[0]].get('label', '')} +{len(nodes) - 1}",
                     name=f"{word.capitalize()} {c}", category=main, degree=len(nodes), weighted_degree=len(nodes),
                     members=len(nodes), community=c if groups is None else g.nodes[ranked[0]].get("community", -1),
                     title=f"{word.capitalize()} {c}: {len(nodes)} nodes\nmost connected: " + "; ".join(names)
                           + "\ntypes: " + ", ".join(f"{k} {v}" for k, v in cats.most_common()))
    weights: Counter = Counter()
    for a, b in g.edges():
        ca, cb = of.get(a, -1), of.get(b, -1)
        if ca != cb:
            weights[tuple(sorted((ca, cb), key=str))] += 1
    for (ca, cb), w in weights.items():
        agg.add_edge(f"{word}-{ca}", f"{word}-{cb}", weight=w, label="", title=f"{w} links")
    return agg


VIEW_LIMIT = 300  # nodes a page draws at most: a larger network opens as its groups, each group a page of its own


@dataclass
class ViewPage:
    """One page of a view: the graph it draws, the notes it shows and, for an overview, each group node's page."""

    file: str
    graph: nx.Graph
    title: str
    notes: list[str] = field(default_factory=list)
    groups: dict[str, tuple[str, int]] = field(default_factory=dict)  # group node -> (its page, members)
    parent: str = ""

    def iris(self) -> dict[str, str]:
        """The entity each node drawn stands for (node -> IRI; a node drawn twice is keyed apart), groups left out."""
        return {n: self.graph.nodes[n].get("iri", n) for n in self.graph if n not in self.groups}


def _groups(g: nx.Graph, depth: int) -> tuple[list[list], str]:
    """How to split a network too large to draw: its Louvain communities (the whole network's at the top, the
    group's own below), or else its kinds of node; largest first."""
    from drugpolicy_kg.uses.networks import louvain_communities

    if depth == 0:
        by: dict = {}
        for n, d in g.nodes(data=True):
            by.setdefault(d.get("community", -1), []).append(n)
        groups = list(by.values())
    else:
        groups = [list(c) for c in louvain_communities(undirected(g), seed=SEED)]  # (networkx's, found faster)
    how = "its Louvain communities"
    if len(groups) <= 1:
        by = {}
        for n, d in g.nodes(data=True):
            by.setdefault(d.get("category", "Other"), []).append(n)
        groups, how = list(by.values()), "its kinds of node"
    return sorted((sorted(x, key=str) for x in groups), key=lambda x: (-len(x), str(x[0]))), how


def _pack(groups: list[list], limit: int) -> list[list]:
    """Small groups packed together (first fit, largest first) into groups of at most ``limit`` nodes, so that a page
    is drawn for each packed group, not for each handful of nodes; a group over ``limit`` stays whole (its page is
    split again)."""
    bins: list[list] = []
    # the first bin with room is found in a tree of the bins' room (each node the most room of the bins under it),
    # not by trying every bin: the whole-graph network of a million triples of thin entities has 171,134 nodes,
    # most of them a community of their own, packed into about 600 bins (2.6 s of trying)
    size = 1
    while size < len(groups) + 1:
        size *= 2
    room = [-1] * (2 * size)  # (a bin not yet opened, or holding a group over the limit: no room)

    def set_room(i: int, value: int) -> None:
        i += size
        room[i] = value
        while i > 1:
            i //= 2
            room[i] = max(room[2 * i], room[2 * i + 1])

    def first_with(need: int) -> int | None:
        if room[1] < need:
            return None
        i = 1
        while i < size:
            i = 2 * i if room[2 * i] >= need else 2 * i + 1
        return i - size

    for x in groups:
        at = first_with(len(x)) if len(x) <= limit else None
        if at is None:
            at = len(bins)
            bins.append([])
        bins[at].extend(x)
        set_room(at, limit - len(bins[at]) if len(bins[at]) <= limit else -1)
    return sorted(bins, key=lambda b: (-len(b), str(b[0])))


def ordered_subgraph(g: nx.Graph, nodes) -> nx.Graph:
    """A copy of ``g`` on ``nodes``, in the order given, its edges in ``g``'s order. networkx's own ``subgraph`` walks
    the nodes through a set, whose order changes from one process to the next with Python's string hashing, and
    Louvain's communities and the seeded layout follow that order: the same data drew different pages each run."""
    keep = set(nodes)
    sub = g.__class__()
    sub.graph.update(g.graph)
    sub.add_nodes_from((n, g.nodes[n]) for n in nodes)
    sub.add_edges_from((a, b, d) for a, b, d in g.edges(nodes, data=True) if a in keep and b in keep)
    return sub


def _leaves(g: nx.Graph, limit: int, depth: int = 0) -> tuple[list[list], str]:
    """``g``'s nodes in groups of at most ``limit``: its communities, the large ones split by their own communities
    (three levels at most), and what still will not split cut in order of connectedness."""
    if g.number_of_nodes() <= limit:
        return [sorted(g.nodes, key=str)], ""
    groups, how = _groups(g, depth) if depth < 3 else ([], "")
    if len(groups) <= 1:
        rank = sorted(g.nodes, key=lambda n: (-g.nodes[n].get("weighted_degree", 0), str(n)))
        return [rank[i:i + limit] for i in range(0, len(rank), limit)], "the most connected first"
    out: list[list] = []
    for x in groups:
        out += _leaves(ordered_subgraph(g, x), limit, depth + 1)[0] if len(x) > limit else [x]
    return out, how


def split_view(g: nx.Graph, name: str, title: str, limit: int = VIEW_LIMIT) -> list[ViewPage]:
    """The pages that draw ``g`` with at most ``limit`` nodes each: ``g`` itself where it is small enough; else an
    overview whose nodes are groups of ``g``'s nodes (its communities, large ones split by their own, small ones
    packed together up to ``limit``), each group a page of its own, opened from the overview's side panel."""
    file = f"{name}.html"
    if g.number_of_nodes() <= limit:
        return [ViewPage(file, g, title)]
    leaves, how = _leaves(g, limit)
    groups = _pack(leaves, limit)
    agg = aggregate(g, groups=groups)
    whole = (g.number_of_nodes(), g.number_of_edges(), g.graph.get("density", 0), g.graph.get("communities", 0))
    agg.graph.update(whole=whole, overview=True)
    overview = ViewPage(file, agg, title, [
        f"This network has {g.number_of_nodes():,} nodes, more than a page draws at once ({limit}): each node here is "
        f"a group of at most {limit} of them ({how}, small ones together), sized by its members, with the links "
        "between groups as edges. Open a group (click it, then the link in the side panel) to draw its members. "
        "The whole network is in the GraphML, GEXF and CSV exports."])
    pages = [overview]
    for i, members in enumerate(groups, 1):
        sub = ordered_subgraph(g, members)
        sub.graph.update(whole=whole, overview=False)
        out = sum(1 for a, b in g.edges(members) if (a in sub) != (b in sub))
        top = g.nodes[max(members, key=lambda n: (g.nodes[n].get("weighted_degree", 0), str(n)))].get("label", "")
        overview.groups[f"group-{i}"] = (f"{name}-{i}.html", len(members))
        pages.append(ViewPage(f"{name}-{i}.html", sub, f"{title} — group {i} of {len(groups)}: {top} and "
                              f"{len(members) - 1:,} more", [f"Group {i} of the {g.number_of_nodes():,} nodes of this "
                              f"network; {out:,} of its links go to other groups (the overview draws them)."],
                              parent=file))
    return pages


def _community_legend(g: nx.Graph, top: int = 12) -> tuple[list[dict], int]:
    """The largest communities, each with its colour, size and two most connected members; and how many more."""
    members: dict[int, list] = {}
    for n, c in g.nodes(data="community"):
        members.setdefault(c if c is not None else -1, []).append(n)
    items = []
    for c, nodes in sorted(members.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]:
        ranked = sorted(nodes, key=lambda n: (-g.nodes[n].get("degree", 0), str(n)))
        items.append({"symbol": symbol("dot", COMMUNITY_COLOURS[max(c, 0) % len(COMMUNITY_COLOURS)]), "size": len(nodes),
                      "names": ", ".join(str(g.nodes[n].get("label", n)) for n in ranked[:2])})
    return items, len(members) - top


def render_page(g: nx.Graph, title: str, guide: str, facts: dict | None = None, pages: str = "entities/",
                more_notes: list[str] = (), back: str = "", question: str = "") -> str:
    """One self-contained page: vis-network inlined, data escaped, no external request.

    ``facts`` maps a node to its side-panel record (:meth:`Entities.panel`); ``pages`` is where entity pages are.
    Past ``AGGREGATE_LIMIT`` nodes, communities are drawn instead of nodes, so the page stays usable.
    """
    notes = notes_of(g) + list(more_notes)
    whole = g.graph.get("whole")  # a page of a network drawn in groups: the network's own figures, and this page's
    stats = (f"{whole[0]:,} nodes, {whole[1]:,} edges, density {whole[2]:g}, {whole[3]} communities; "
             + (f"drawn as {g.number_of_nodes():,} groups" if g.graph.get("overview") else
                f"this page draws {g.number_of_nodes():,} of the nodes and the {g.number_of_edges():,} edges among them")
             if whole else
             f"{g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges, density {g.graph.get('density', 0):g}, "
             f"{g.graph.get('communities', 0)} communities")
    if g.number_of_nodes() == 0:
        notes.append("This view is empty: the graph holds none of the facts it is drawn from.")
    if g.number_of_nodes() > AGGREGATE_LIMIT:
        g = aggregate(g)
        title += f" — {g.number_of_nodes()} communities"
        notes.append("This view is large: each node is a community (Louvain); its tooltip names the most connected "
                     "members. The full network is in the GraphML, GEXF and CSV exports.")
        facts = {}
    nodes, edges = vis_data(g)
    quotes = shared_quotes(edges, (facts or {}).values())
    net = _pyvis_network(nodes, edges)
    data_nodes, data_edges, _heading, height, width, opts = net.get_network_data()
    page = _template().render(
        height=height, width=width, bgcolor="#ffffff", font_color=False, heading="", nodes=data_nodes,
        edges=data_edges, options=opts, physics_enabled=len(nodes) <= PHYSICS_LIMIT, use_DOT=False,
        dot_lang="", widget=False, bgcolor_=None, conf=False, tooltip_link=False, neighborhood_highlight=False,
        select_menu=False, filter_menu=False, notebook=False, cdn_resources="in_line",
    )
    page = _REMOTE_TAG.sub("", page)
    page = _EMPTY_HEADING.sub("", page)
    centre = max(g.nodes, key=lambda n: (g.nodes[n].get("weighted_degree", g.nodes[n].get("degree", 0)), str(n)),
                 default="")
    data = {"facts": facts or {}, "quotes": quotes, "pages": pages, "font": FONT, "edgeFont": EDGE_FONT,
            "legible": LEGIBLE_PX, "centre": centre,
            "physics": len(nodes) <= PHYSICS_LIMIT, "sizeMin": SIZE_MIN, "sizeMax": SIZE_MAX,
            "name": g.graph.get("name", "network"), "title": title,
            "kindColours": {k: v[0] for k, v in STYLE.items()}, "communityColours": COMMUNITY_COLOURS,
            "shapes": SHAPES}
    communities, more = _community_legend(g)
    parts = _network_parts().make_module(vars={
        "title": title, "guide": guide, "stats": stats, "notes": notes, "back": back, "question": question,
        "names": sorted(str(n["label"]) for n in nodes), "communities": communities, "communities_more": more,
        "kinds": [(c, symbol(STYLE.get(c, STYLE["Other"])[1], STYLE.get(c, STYLE["Other"])[0]))
                  for c in sorted({n["kind"] for n in nodes})],
        "csp": CSP, "data": json_for_script(data), "script": script("network")})
    # Spliced into pyvis's page at its own tags: our head after its <head>; the controls where its body opens the
    # canvas's card, which the side panel then shares a row with; the panel, data and script before its </body>.
    head, body, end = "<head>", re.compile(r"<body>\s*<div class=\"card\""), "</body>"
    page = page.replace(head, head + "\n" + str(parts.head()), 1)
    page = body.sub(lambda m: str(parts.controls()), page, count=1)
    return page.replace(end, str(parts.tail()) + end, 1)


def shared_quotes(edges: list[dict], panels) -> list[list[str]]:
    """Each quote a page shows once: the edges' quotes and the side panels' (``panels``: :meth:`Entities.panel`
    records) become their places in the list returned, which the page's script reads them from (network.js's
    ``quote``). A quote states many ties and facts: a page of a million triples' collaboration network carried
    47,869 quotes on its 22,387 ties, 1,084 of them different (6 MB of its 17.5 MB)."""
    table: list[list[str]] = []
    at: dict[tuple, int] = {}

    def place(q) -> int:
        key = tuple(q)
        i = at.get(key)
        if i is None:
            i = at[key] = len(table)
            table.append(q)
        return i

    for rec in edges:
        if "quotes" in rec:
            rec["quotes"] = [place(q) for q in rec["quotes"]]
    for panel in panels:
        for fact in panel.get("facts", ()):
            fact[2] = [place(q) for q in fact[2]]
    return table


def _network_parts():
    from drugpolicy_kg.pages import environment

    return environment().get_template("network.html")


def _figure(width: float, height: float):
    """A matplotlib Figure without pyplot (no backend is chosen, no global state), which a notebook shows inline as a
    PNG whatever its matplotlib backend: the figure answers IPython's ``_repr_png_``."""
    import io

    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))

    def png() -> bytes:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        return buf.getvalue()

    fig._repr_png_ = png
    return fig


def _save(fig, png: Path, svg: Path) -> None:
    """The figure as PNG and SVG, the same bytes from the same data (no date; the SVG's ids from a fixed salt)."""
    import matplotlib

    for path, fmt in ((png, "png"), (svg, "svg")):
        with atomic_write(path, "wb", durable=False) as fh, matplotlib.rc_context({"svg.hashsalt": "drugpolicy-kg"}):
            fig.savefig(fh, format=fmt, dpi=110, metadata={"Date": None} if fmt == "svg" else None)


MARKERS = {"dot": "o", "ellipse": "o", "box": "s", "square": "s", "diamond": "D", "triangle": "^",
           "triangleDown": "v", "hexagon": "h", "star": "*"}


def dated_items(graph: Graph) -> list[tuple[float, float, str, str, str]]:
    """(start, end, date as written, name, category) of every dated item; a year-only date spans its year and a
    month-only date its month, so neither is drawn at a day the source never gave. A date no calendar has (month
    13, 30 February: `validate` reports it) is not drawn, rather than drawn a year or a month from where it says.

    An item is named by its shortest non-blank acronym under 12 characters (then the first by its text), else by its
    first label as text sorts them, at the first of its dates, as text sorts them, that a calendar has. (It had been
    whichever row the engine gave last:
    the ISN, with the acronyms "ISN" and "Informal Scientific Network", was drawn under its full name.)"""
    import datetime

    from drugpolicy_kg.resources import internal_query
    from drugpolicy_kg.uses.networks import Describer

    d = Describer(graph)
    found: dict[str, tuple[list, list, list]] = {}  # item -> its dates, labels and acronyms
    for item, date, label, alt in graph.query(internal_query("dated-items.rq")):
        dates, labels, alts = found.setdefault(str(item), ([], [], []))
        dates.append(str(date))
        labels.append(str(label))
        if alt is not None and 0 < len(str(alt).strip()) < 12:  # (an empty acronym names nothing)
            alts.append(str(alt))

    def calendar(text: str):  # (year, month, day as written) of a date some calendar has, else None
        m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", text)
        if not m:
            return None
        try:
            datetime.date(max(int(m.group(1)), 1), int(m.group(2) or 1), int(m.group(3) or 1))
        except ValueError:
            return None
        return int(m.group(1)), m.group(2), m.group(3)

    rows = []
    for item, (dates, labels, alts) in found.items():
        text, parts = next(((t, parts) for t in sorted(set(dates)) if (parts := calendar(t))), (None, None))
        if parts is None:
            continue
        year, month, day = parts
        if month is None:
            start, end = year, year + 1
        elif day is None:
            start = year + (int(month) - 1) / 12
            end = start + 1 / 12
        else:
            start = end = year + (int(month) - 1) / 12 + (int(day) - 1) / 365
        name = min(alts, key=lambda a: (len(a), a)) if alts else min(labels)
        name = name if len(name) <= 60 else name[:59] + "…"
        rows.append((start, end, text[:10], name, d.category.get(item, "Other")))
    return sorted(rows)


def timeline_figure(graph: Graph):
    """Dated events, resolutions and publications on a time axis: colour and shape by kind (the views' own), a
    year-only date drawn across its year, labels kept inside the frame. Returns (figure, items drawn)."""
    from collections import Counter

    items = dated_items(graph)
    kinds = sorted({k for *_, k in items})
    if len(items) <= TIMELINE_POINTS:
        fig = _figure(12, 0.34 * max(len(items), 6) + 1.6)
        ax = fig.add_subplot()
        lo = min((s for s, *_ in items), default=2000) - 0.5
        hi = max((e for _, e, *_ in items), default=2001) + 0.5
        mid = (lo + hi) / 2
        for i, (start, end, text, name, kind) in enumerate(items):
            colour, shape = STYLE.get(kind, STYLE["Other"])
            if end > start:  # a year or a month: the span the source gives
                ax.plot([start, end], [i, i], "-", color=colour, linewidth=5, solid_capstyle="butt", alpha=0.6)
            ax.plot([start], [i], MARKERS.get(shape, "o"), color=colour, markeredgecolor="#333", markersize=7)
            right = start < mid
            x = end if right else start
            ax.annotate(f"{text}  {name}", (x, i), xytext=(8 if right else -8, -3), textcoords="offset points",
                        fontsize=8, ha="left" if right else "right", annotation_clip=True)
        ax.set_xlim(lo, hi)
        ax.set_ylim(-1, max(len(items), 1))
        ax.set_yticks([])
        ax.invert_yaxis()
        ax.set_title("drugpolicy-kg: dated events, resolutions and publications")
    else:  # too many to name: how many dated items per year, stacked by kind
        per = Counter((int(s), k) for s, _, _, _, k in items)
        years = sorted({y for y, _ in per})
        fig = _figure(12, 4)
        ax = fig.add_subplot()
        bottom = [0] * len(years)
        for kind in kinds:
            heights = [per.get((y, kind), 0) for y in years]
            ax.bar(years, heights, bottom=bottom, color=STYLE.get(kind, STYLE["Other"])[0], label=kind)
            bottom = [b + h for b, h in zip(bottom, heights)]
        ax.set_ylabel("dated items")
        ax.set_title(f"drugpolicy-kg: {len(items):,} dated events, resolutions and publications per year")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker=MARKERS.get(STYLE.get(k, STYLE["Other"])[1], "o"), linestyle="",
                      color=STYLE.get(k, STYLE["Other"])[0], markeredgecolor="#333", label=k) for k in kinds]
    if len(items) <= TIMELINE_POINTS:
        handles.append(Line2D([], [], color="#777", linewidth=5, alpha=0.6, label="year or month only: its span"))
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=min(len(handles), 6),
                  fontsize=8, frameon=False)
    ax.grid(axis="x", color="#eeeeee")
    fig.tight_layout()
    return fig, len(items)


def timeline_image(graph: Graph, png: Path, svg: Path) -> int:
    """The timeline as PNG and SVG; returns how many items were drawn."""
    fig, n = timeline_figure(graph)
    _save(fig, png, svg)
    return n


def sdg_heatmap_figure(graph: Graph):
    """The SDG coverage matrix (subprogramme x goal) as a heat map: each cell counts the stated links to the goal or
    its targets. Returns (figure, rows, goals, counts)."""
    rows, goals, counts = sdg_matrix(graph)
    fig = _figure(10, 0.42 * max(len(rows), 3) + 1.8)
    ax = fig.add_subplot()
    top = max((c for row in counts for c in row), default=0) or 1
    image = ax.imshow(counts or [[0] * len(goals)], cmap="Blues", vmin=0, vmax=top, aspect="auto")
    ax.set_xticks(range(len(goals)), [f"SDG {g}" for g in goals], rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    for i, row in enumerate(counts):
        for j, c in enumerate(row):
            if c:
                ax.text(j, i, str(c), ha="center", va="center", fontsize=8, color="white" if c > top / 2 else "#123")
    ax.set_title("SDG coverage: the goals each programme and subprogramme states it serves", fontsize=10)
    from matplotlib.ticker import MaxNLocator

    fig.colorbar(image, ax=ax, label="stated links", shrink=0.8, ticks=MaxNLocator(integer=True))
    fig.tight_layout()
    return fig, rows, goals, counts


def write_site(graph: Graph, out_dir: Path, views=VIEWS, store: Path | None = None, project=None,
               shared_pages: bool | None = None) -> dict[str, Path]:
    """Write the pages, exports, metrics, SDG matrix, timeline, entity pages, trace pages and index (holding the
    folder's lock).

    ``store``: the folder of the Oxigraph store behind ``graph``, where there is one. The trace pages are then
    written by a process of their own, reading the store, started first, while this one draws the views; then both
    write the entity pages, each taking the next run of them that the other has not taken (so on two cores the site
    takes about half the time of the whole work, however the two halves differ). ``project``: whose source texts and
    ontology the pages show (default: the shipped project). ``shared_pages``: whether the entities' pages share
    files, a hundred to a file (None: where the graph has more than 20,000 entities; see
    :func:`~drugpolicy_kg.uses.entities.page_links`)."""
    from drugpolicy_kg.atomic import folder_lock
    from drugpolicy_kg.resources import Project
    from drugpolicy_kg.threads import Background
    from drugpolicy_kg.uses.entities import Entities, page_links
    from drugpolicy_kg.uses.trace import Tracer, keep_evidence_apart

    out_dir = Path(out_dir)
    project = project or Project.open()
    with folder_lock(out_dir):
        memo = _evidence_memo(store)
        # every entity's quotes, read from the store by a process of its own where they are not kept yet, so that
        # both processes here read them from the memo (see keep_evidence_apart), while this one reads the rest
        quotes = Background(lambda: keep_evidence_apart(Path(store), memo), "drugpolicy-kg-quotes") \
            if memo is not None and not memo.is_file() else None
        tracer = Tracer(graph, evidence_memo=memo)  # one for the networks and the pages: labels, kinds and quotes
        ents = Entities(graph, tracer)  # read once
        names = page_links(ents.iris, shared_pages)
        if quotes is not None:
            tracer.read_labels()
            ents.read_kinds()
            quotes.result()
        apart = _PagesApart(store, out_dir, names, project.root, "affiliations" in views) if store is not None else None
        try:
            with collector_off():  # (what is read lives to the end: see _settle)
                tracer.evidence  # noqa: B018 - every entity's quotes in one query, not one query for each of 6,000 pages
                tracer.read_labels()  # (the networks draw every entity; read already where the quotes were kept first)
                ents.read_kinds()
            _settle()
            with collector_off():  # (a network, once built, lives on; what building it left is collected after it)
                nets = build_networks(graph, views, tracer, settle=_settle)
            if apart is None:  # (the other process, where there is one, reads them for itself: here, at a million
                tracer.index_links()  # triples they held about 50 MB that the drawings never read)
            _settle()
            return _write_pages(graph, out_dir, nets, tracer, ents, names, apart, project)
        finally:
            if apart is not None:
                apart.stop()


def _settle() -> None:
    """What this process has read so far lives as long as it does: the cyclic garbage collector stops walking it.
    (A collection of the oldest objects walks every one; at a million triples, writing the site ran that walk over
    the read graph, the networks and the quotes again and again: about a sixth of its time.) Reading it, the
    collector is off (:func:`~drugpolicy_kg.threads.collector_off`): its collections there found nothing to
    collect, and took 1.5 s of the command's process at 1M and 3 s of the other's; building the networks, it
    collected the little that each network left, and took 4 s (20.1 -> 16.2 s of CPU with one collection after
    each network instead)."""
    import gc

    from drugpolicy_kg.threads import give_back_memory

    give_back_memory()  # (collects first)
    gc.freeze()


ENTITY_RUN = PER_FILE  # entity pages a process takes at a time (about a tenth of a second of work): where the
# pages share files, each run the entities of one file
EXTRAS_RUN = "extras"  # the run of the pages beside the networks (_write_extras): the process free first takes it


def _evidence_memo(store: str | Path | None) -> Path | None:
    """Where the quotes of every entity are kept beside the store in the folder ``store`` (its ``db``)."""
    from drugpolicy_kg.graph.store import memo_in
    from drugpolicy_kg.uses.trace import EVIDENCE_MEMO

    return memo_in(Path(store).parent, EVIDENCE_MEMO) if store is not None else None


class _Runs:
    """The runs of entity pages, shared by the processes writing them: each takes a run by creating its file in a
    folder both know (created exclusively, so one process gets it), and whichever is free first takes the next.
    ``folder`` None: one process writes them all."""

    def __init__(self, folder: str | None):
        self.folder = folder

    def take(self, name: str) -> bool:
        import os

        if self.folder is None:
            return True
        try:
            os.close(os.open(os.path.join(self.folder, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except (FileExistsError, FileNotFoundError):  # taken, or the command is stopping (the folder is gone)
            return False
        return True


EXPORT_RUN = "export-"  # + a network's name: the run of its exports, which either process may take (see _offer_export)
OFFERS_DONE = "offers-done"  # the file in the runs' folder that says no network will be offered any more


def _offer_export(runs: _Runs, name: str, g: nx.Graph) -> bool:
    """Offer the exports of network ``name`` to whichever process is free first: ``g`` kept, pickled, in the runs'
    folder (made by ``tempfile.mkdtemp``: this user's only), complete before it is named ``NAME.network``. At a
    million triples the exports of the networks drawn first are an eighth of this process's work, while the other
    process, done with its traces, waited for its share of the entity pages. False where it cannot be kept there
    (a full temporary folder): the caller writes them."""
    import os
    import pickle

    part = Path(runs.folder) / f".{name}.network.part"
    try:
        with open(part, "wb") as fh, collector_off():
            pickle.dump(g, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(part, Path(runs.folder) / f"{name}.network")
    except OSError:
        part.unlink(missing_ok=True)
        return False
    return True


# what the work costs, in seconds of one process (the thin shape's views at a million triples: 365,116 entity pages
# in 89 s of the two processes, its two large networks drawn at 0.17-0.20 ms a node, their exports 5 s each for
# about 220,000 nodes and edges)
PAGE_COST, DRAW_COST, EXPORT_COST = 0.24e-3, 0.18e-3, 23e-6
# a network of more nodes is never offered, whatever the time it would save: the other process would unpickle and
# hold it whole while this one is near its most (the thin shape's 129,118-node mandates network: about 200 MB at
# once, both processes together 1,575 MB in a run at stop 64, where the runs that kept it were within 1,460 MB)
OFFER_NODES = 60_000


def _worth_offering(runs: _Runs, entities: int, g: nx.Graph, to_draw: list[nx.Graph]) -> bool:
    """Is it worth offering ``g``'s exports to the other process? Only where it would otherwise run out of entity
    pages while this one draws and exports what is left (``to_draw``: the networks not drawn yet; ``entities``: the
    pages in all): pickled and unpickled, a network costs both processes more than its exports, and the other holds
    it whole while it writes them (on the thin shape's 365,116 entities, a 129,000-node network: 200 MB more at the
    peak of the two, with entity pages left for a minute). Offered, the exports of the networks drawn first are an
    eighth of this process's work where the other has few pages (bench/synth.py's million triples)."""
    import os

    if g.number_of_nodes() > OFFER_NODES:
        return False
    try:
        taken = sum(name.isdigit() for name in os.listdir(runs.folder))
    except OSError:
        return False
    pages_left = max(entities - taken * ENTITY_RUN, 0)
    left_here = sum(n.number_of_nodes() * DRAW_COST for n in to_draw) + EXPORT_COST * sum(
        n.number_of_nodes() + n.number_of_edges() for n in (g, *to_draw))
    return pages_left * PAGE_COST < left_here


def _take_exports(runs: _Runs, out_dir: Path, names: dict[str, str]) -> list[str]:
    """Write the exports of each network offered so far (:func:`_offer_export`) whose run this process takes, the
    largest first; returns the files written."""
    import os
    import pickle

    from drugpolicy_kg.threads import give_back_memory

    try:
        files = [Path(runs.folder) / f for f in os.listdir(runs.folder) if f.endswith(".network")]
    except FileNotFoundError:  # the command is stopping (the folder is gone)
        return []
    sizes = {}
    for path in files:
        try:
            sizes[path] = path.stat().st_size
        except FileNotFoundError:  # (taken meanwhile: its taker removes it)
            continue
    written: list[str] = []
    for path in sorted(sizes, key=lambda f: (-sizes[f], f.name)):
        name = path.name[:-len(".network")]
        if not runs.take(EXPORT_RUN + name):  # (the other process's; a file is removed only by whoever took its run)
            continue
        with open(path, "rb") as fh, collector_off():
            g = pickle.load(fh)  # noqa: S301 - written by the command's own process, into a folder of its own
        path.unlink()
        written += _write_exports(out_dir, name, g, names)
        del g
        give_back_memory()
    return written


class _PagesApart:
    """The trace pages of the site, written by a process of their own (``python -c``: nothing of the caller's
    ``__main__`` is run again) from the store at ``store``, opened read-only; then the source pages (their links:
    :meth:`source_links`) and what the site holds beside the networks (:meth:`extras`) while this process draws;
    then runs of the entity pages, shared with this process (:class:`_Runs`), once :meth:`drawn` has said where the
    views draw each entity (their "appears in" links). It says the page of each entity traced (:meth:`trace_pages`)
    as soon as it has made the traces.
    The process stops when this one does, even by SIGKILL (Linux), and then removes the file it was writing."""

    def __init__(self, store: Path, out_dir: Path, names: dict[str, str], project_root: Path, with_affiliations: bool):
        import subprocess
        import tempfile
        import threading

        from drugpolicy_kg.threads import start_helper

        self.runs = _Runs(tempfile.mkdtemp(prefix="drugpolicy-kg-views-"))
        self._err = tempfile.TemporaryFile()
        self._said: dict[str, object] = {}
        self._heard = threading.Condition()
        self._ended, self._why = False, ""
        self.proc = start_helper("drugpolicy_kg.uses.views:_pages_main", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=self._err)
        threading.Thread(target=self._listen, daemon=True).start()
        # (not the names themselves: the process makes them as this one did, from the same entities, and checks that
        # they are the same; sent, 26 MB of JSON at a million triples of thin entities, they held about 50 MB there)
        self._send({"store": str(store), "out": str(out_dir), "entities": _digest(names),
                    "shared": shares_files(names), "project": str(project_root),
                    "runs": self.runs.folder, "affiliations": with_affiliations})

    def _listen(self) -> None:
        """Read what the process says, a JSON object a line, as it says it (so that it never waits on a full pipe)."""
        import json

        why = "its output ended"
        try:
            for line in self.proc.stdout:
                try:
                    message = json.loads(line)
                except ValueError:
                    message = None
                if not isinstance(message, dict):  # something else printed (at start-up, before the process
                    why = f"it printed {line[:80]!r}"  # puts its own output aside): not a message, kept to say
                    continue
                with self._heard:
                    self._said.update(message)
                    self._heard.notify_all()
        except Exception as exc:  # noqa: BLE001 - whatever stops the listening is said when the wait fails
            why = f"what it said could not be read ({exc.__class__.__name__}: {str(exc)[:120]})"
        finally:
            with self._heard:
                self._ended, self._why = True, why
                self._heard.notify_all()

    def _send(self, message: dict, last: bool = False) -> None:
        import json

        from drugpolicy_kg.threads import write_all

        try:  # one line each; the pipe is closed after the last, so the process never waits on a dead one
            write_all(self.proc.stdin, json.dumps(message).encode() + b"\n")
            if last:
                self.proc.stdin.close()
        except OSError:  # it died: result() says why
            pass

    def drawn(self, drawn: Drawn) -> None:
        """Where each view draws each entity: the process can write entity pages."""
        self._send({"shown_in": drawn.to_json()}, last=True)

    def _wait_for(self, key: str):
        with self._heard:
            self._heard.wait_for(lambda: key in self._said or self._ended)
            if key in self._said:
                return self._said[key]
        self._failed()

    def _failed(self):
        from drugpolicy_kg.errors import DrugPolicyKGError
        from drugpolicy_kg.threads import last_line

        self.proc.wait()
        self._err.seek(0)
        raise DrugPolicyKGError("writing the trace and entity pages failed: " + (
            last_line(self._err.read()) or f"the process writing them ended (exit {self.proc.returncode}) before it "
                                           f"said what it wrote: {self._why}"))

    def trace_pages(self) -> dict[str, str]:
        """The page of each entity traced (IRI -> file name), once the process has made the traces."""
        return self._wait_for("pages")

    def source_links(self) -> dict[tuple, str]:
        """The links of the passages on the source pages the process wrote (see :func:`_source_pages`)."""
        return {tuple(key): link for *key, link in self._wait_for("sources")}

    def extras(self) -> dict[str, Path]:
        """The files the process wrote beside the networks (:func:`_write_extras`)."""
        return {name: Path(path) for name, path in self._wait_for("extras").items()}

    def offers_done(self) -> None:
        """No network will be offered any more: the process, done with its entity pages, need not wait for one."""
        self.runs.take(OFFERS_DONE)  # (its file made, as a run's is)

    def result(self) -> tuple[list[Path], list[Path], list[str]]:
        """The trace pages and the entity pages the process wrote, and the exports it wrote (file names in the
        site's folder), once it has written them."""
        done = self._wait_for("files")
        if self.proc.wait() != 0:
            self._failed()
        return [Path(f) for f in done], [Path(f) for f in self._said["entities"]], list(self._said["exports"])

    def stop(self) -> None:
        """Stop the process if it still runs. The folder of runs goes first: that tells the process that this one
        lives and cleans up (without it, the process cleans up after a command that died)."""
        import shutil

        from drugpolicy_kg.sparql.server import stop_process

        shutil.rmtree(self.runs.folder, ignore_errors=True)
        if not self.proc.stdin.closed:
            self._send({"shown_in": None}, last=True)
        stop_process(self.proc)
        self._err.close()


def _digest(names: dict[str, str]) -> str:
    """A digest of the entities' pages (IRI and link, in order): the same in both processes of the site or none."""
    import hashlib

    h = hashlib.sha256()
    for iri, link in names.items():
        h.update(f"{iri}\t{link}\n".encode())
    return h.hexdigest()


def _pages_main() -> None:  # pragma: no cover - runs in the process _PagesApart starts
    """The process writing the trace and entity pages (:class:`_PagesApart`). An error ends it at once, its message
    the last line of its error output (which the command reports): left to end the interpreter, it ended in a fatal
    error instead, the thread reading the command's messages holding standard input."""
    import os
    import sys
    import traceback

    try:
        _pages_run()
    except Exception as exc:  # noqa: BLE001 - every error is said, then the process ends
        from drugpolicy_kg.errors import DrugPolicyKGError

        if not isinstance(exc, DrugPolicyKGError):
            traceback.print_exc()
        print(str(exc) if isinstance(exc, DrugPolicyKGError) else f"{exc.__class__.__name__}: {exc}", file=sys.stderr,
              flush=True)
        os._exit(1)


def _pages_run() -> None:  # pragma: no cover - runs in the process _PagesApart starts
    import json
    import os
    import shutil
    import signal
    import sys
    import time

    import pyoxigraph as ox

    from drugpolicy_kg.atomic import abandon_pending, clear_after_kill
    from drugpolicy_kg.errors import DrugPolicyKGError
    from drugpolicy_kg.graph.oxi import StoreView
    from drugpolicy_kg.resources import Project
    from drugpolicy_kg.threads import Background, give_back_memory, write_all
    from drugpolicy_kg.uses.entities import Entities, page_links, write_index
    from drugpolicy_kg.uses.trace import Tracer

    job: dict = {}
    parent = os.getppid()

    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # (a command killed sends it twice: as the thread that started
        abandon_pending()                               # this process ends, and as the last one does)
        if job and os.path.isdir(job["runs"]):  # the command died without stopping this process (which removes the
            shutil.rmtree(job["runs"], ignore_errors=True)  # folder first): clean up after it
            clear_after_kill(job["out"])
        os._exit(143)

    told = os.fdopen(os.dup(1), "wb")  # what this process says to the command, on a descriptor of
    os.dup2(2, 1)  # its own: whatever else writes to standard output (a library's print) goes to the error output

    def say(message: dict) -> None:  # (each byte of it, even where a write takes less: see write_all)
        write_all(told, (json.dumps(message) + "\n").encode("utf-8"))

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's to hear; it stops this process
    job.update(json.loads(sys.stdin.buffer.readline()))
    # The command's second message (where its views draw each entity: 1.75 MB of JSON on the shipped graph, 11.2 MB
    # at 1M) is read as soon as it is sent, and parsed when it is needed: left in the pipe until this process had
    # written its traces, it filled the pipe and held the command's process in its write, idle, from its networks on
    # (on the shipped graph its networks were done at 3.7 s and its drawing, about 4 s, began at about 15 s; `views`
    # took 16.3-17.4 s instead of 21.1-21.4 s, and 76 s instead of 84 s at 1M)
    def listen() -> bytes:
        try:
            return sys.stdin.buffer.readline()
        except OSError:
            return b""

    listener = Background(listen, "drugpolicy-kg-listen")
    graph = StoreView(ox.Store.read_only(job["store"]))
    with collector_off():  # (what is read lives to the end: see _settle)
        tracer = Tracer(graph, evidence_memo=_evidence_memo(job["store"]))
        # the entities and their kinds first: their types, read with them, are let go once the kinds are made (read
        # after the traces' links, at a million triples of thin entities the two had held 745 MB of this process at
        # once while the command built its networks, the two processes then 1.58 GB)
        ents = Entities(graph, tracer)
        ents.read_kinds()
        tracer.evidence  # noqa: B018
        tracer.read_labels()  # (every entity has a page)
        tracer.index_links()  # (what the traces read; all of it kept out of the collector's walks, see _settle)
    _settle()
    out, project = Path(job["out"]), Project.open(job["project"])
    names = page_links(ents.iris, job["shared"])
    if _digest(names) != job["entities"]:
        raise DrugPolicyKGError("the graph's entities are not those the command read: was the store rebuilt meanwhile?")

    def traces_made(pages: dict[str, str]) -> None:  # the traces, made (the collector off): they live until their
        say({"pages": pages})                         # pages are written
        _settle()

    sources = _source_pages(ents, out / "entities", ENTITY_NAV, project)  # (first: the traces link to them)
    traced = _write_traces(tracer, out, project, names, sources, on_pages=traces_made)
    tracer.forget_traversal()  # (the entity pages read none of it)
    _settle()
    say({"sources": [[*key, link] for key, link in sources.items()]})
    runs = _Runs(job["runs"])
    extras = _write_extras(graph, out, project, names, job["affiliations"]) if runs.take(EXTRAS_RUN) else {}
    say({"extras": {name: str(path) for name, path in extras.items()}})
    _settle()  # (what the extras made, matplotlib's figures among them, given back while the command draws)
    # the index of the entity pages, here while the command builds and splits its networks (this process has
    # nothing else to do until it is told where they draw each entity): written last by the command, it had added
    # 2.3 s to the end of the site of a million triples of thin entities
    index = write_index(ents, out / "entities", names, ENTITY_NAV)
    shown_in = json.loads(listener.result() or b'{"shown_in": null}')["shown_in"]
    if shown_in is None:  # the command stopped before its views were drawn
        sys.exit(1)
    exported: list[str] = []

    def exports() -> None:  # the networks the command has offered so far, before each run of entity pages
        exported.extend(_take_exports(runs, out, names))

    entity_files = _write_entities(ents, out, names, Drawn.from_json(shown_in), traced.pages, runs, sources,
                                   between=exports)
    # what is left is taking the exports the command offers while it draws its last networks: what the pages read is
    # let go and given back (it stayed about 670 MB beside the command's drawing, at a million triples of thin
    # entities, where the two together were the most the site took)
    files = [str(p) for p in traced]
    del ents, tracer, traced, shown_in, sources, graph
    import gc

    gc.unfreeze()  # (see _settle: what the collector was kept from walking can be collected again)
    give_back_memory()
    while not os.path.exists(os.path.join(job["runs"], OFFERS_DONE)):  # its last networks are still being drawn
        if not os.path.isdir(job["runs"]) or os.getppid() != parent:
            sys.exit(1)  # the command is stopping, or is gone (where nothing stops this process with it)
        exports()
        time.sleep(0.05)
    exports()
    say({"files": files, "entities": [str(p) for p in [*entity_files, *index]], "exports": exported})


def _write_extras(graph: Graph, out_dir: Path, project, names: dict[str, str], with_affiliations: bool) -> dict[str, Path]:
    """What the site holds beside the networks, read from ``graph``: the SDG coverage (PNG, SVG, CSV), the timeline
    (PNG, SVG), the question pages and the ontology's page. (By whichever of the site's processes is free first: each
    has its own reader of the store; see EXTRAS_RUN.)"""
    written: dict[str, Path] = {}
    fig, m_rows, goals, counts = sdg_heatmap_figure(graph)
    _save(fig, out_dir / "sdg-coverage.png", out_dir / "sdg-coverage.svg")
    _csv(out_dir / "sdg-coverage.csv", ["programme"] + [f"SDG {g}" for g in goals],
         ([r] + row for r, row in zip(m_rows, counts)))
    for f in ("sdg-coverage.png", "sdg-coverage.svg", "sdg-coverage.csv"):
        written[f] = out_dir / f
    timeline_image(graph, out_dir / "timeline.png", out_dir / "timeline.svg")
    written["timeline.png"], written["timeline.svg"] = out_dir / "timeline.png", out_dir / "timeline.svg"
    from drugpolicy_kg.uses.questions import write_questions

    written.update(write_questions(graph, out_dir, names.get, with_affiliations=with_affiliations))
    from drugpolicy_kg.graph.ontodoc import ontology_html

    onto = project.ontology_dir / "drugpolicy.ttl"
    if onto.is_file():
        with atomic_write(out_dir / "ontology.html", durable=False) as fh:
            fh.write(ontology_html(onto))
        written["ontology.html"] = out_dir / "ontology.html"
    return written


def _write_traces(tracer, out_dir: Path, project, names: dict[str, str], source_links: dict[tuple, str],
                  on_pages=None):
    """The site's trace pages, in ``out_dir/traces``, linked to the views, to the entity pages ``names`` gives and to
    the source pages beside them (``source_links``, see :func:`_source_pages`: one page per source in the site, where
    the trace pages had made their own of each, the same text again: at a million triples the synthetic source's,
    10 MB, took 2 s)."""
    from drugpolicy_kg.uses.trace_render import write_site as write_traces

    return write_traces(tracer, out_dir / "traces", project, views_href="../index.html",
                        entity_href=lambda iri: ("../entities/" + names[iri]) if iri in names else None,
                        on_pages=on_pages, source_links=source_links, sources_href="../entities/")


def _csv(path: Path, header: list[str], rows) -> None:
    import csv

    from drugpolicy_kg.tables import spreadsheet_safe

    with atomic_write(path, newline="", durable=False) as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            w.writerow([spreadsheet_safe(x) for x in row])


def export_files(name: str) -> list[str]:
    """The files :func:`_write_exports` writes of network ``name``."""
    return [f"{name}.graphml", f"{name}.gexf", f"{name}-nodes.csv", f"{name}-edges.csv"]


def _write_exports(out_dir: Path, name: str, g: nx.Graph, names: dict[str, str]) -> list[str]:
    """GraphML, GEXF and the node and edge CSVs of one network; returns the file names (:func:`export_files`)."""
    from drugpolicy_kg.uses.netfiles import write_both
    from drugpolicy_kg.uses.networks import quote_line

    files = export_files(name)
    graphml, gexf, nodes_csv, edges_csv = files
    # both as they are made, in one pass (a million triples' networks are hundreds of MB of XML)
    with atomic_write(out_dir / graphml, durable=False) as ml, atomic_write(out_dir / gexf, durable=False) as gx:
        write_both(g, ml, gx)
    _csv(out_dir / nodes_csv,
         ["iri", "name", "label", "category", "mode", "degree", "weighted_degree", "betweenness", "community", "page"],
         ([n, d.get("name", ""), d.get("label", ""), d.get("category", ""), d.get("bipartite", ""), d.get("degree", 0),
           d.get("weighted_degree", 0), d.get("betweenness", 0), d.get("community", -1),
           ("entities/" + names[n]) if n in names else ""]
          for n, d in sorted(g.nodes(data=True), key=lambda x: (-x[1].get("weighted_degree", 0), x[0]))))
    _csv(out_dir / edges_csv, ["source", "target", "source_name", "target_name", "weight", "kinds", "quotes"],
         ([a, b, g.nodes[a].get("name", ""), g.nodes[b].get("name", ""), d.get("weight", 1),
           "; ".join(d.get("kinds", [d.get("label", "")])), " | ".join(quote_line(e) for e in d.get("quotes", []))]
          for a, b, d in sorted(g.edges(data=True), key=lambda x: (str(x[0]), str(x[1])))))
    return files


def _source_pages(ents, out_dir: Path, nav: str, project) -> dict[tuple, str]:
    """A page per source document in ``out_dir`` with every quote of the graph highlighted; returns the links of
    their passages (see :func:`~drugpolicy_kg.uses.trace_render.passage_of`)."""
    from drugpolicy_kg.uses.trace_render import write_source_pages

    quotes: dict[str, dict[str, set[str]]] = {}  # file -> quote -> the locators it is quoted at
    labels: dict[str, str] = {}
    for facts in ents.tracer.evidence.values():
        for items in facts.values():
            for ev in items:
                if ev.source_file:
                    quotes.setdefault(ev.source_file, {}).setdefault(ev.quote, set()).add(ev.locator)
                    labels.setdefault(ev.source_file, ev.source)
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_source_pages(quotes, labels, project, out_dir, nav)[0]


ENTITY_NAV = [("index.html", "All entities"), ("../index.html", "Network views"), ("../traces/index.html", "Mandate traces")]


class Drawn:
    """Where the views draw each entity, for the "appears in" links of its page: the views, the pages' files, and for
    each entity of the entity list (in its order) a short text of (view, page) index pairs, "0.12 3.40" ("" where no
    view draws it), with the node drawn where it is not the entity's IRI. Kept so, it is what the other process is
    told as JSON: as view -> IRI -> (page, node), parsed there, it held about 100 MB more of that process at a
    million triples of thin entities (every IRI and page name a string of its own, once for each view)."""

    def __init__(self, views: list[str], files: list[str], at: list[str], nodes: dict[str, str]):
        self.views, self.files, self.at, self.nodes = views, files, at, nodes  # nodes: "view IRI" -> node

    @classmethod
    def of(cls, shown_in: dict[str, dict[str, tuple[str, str]]], iris: list[str]) -> Drawn:
        """From view -> entity IRI -> (the page drawing it, its node), for the entities ``iris``."""
        files: list[str] = []
        index: dict[str, int] = {}
        at: list[list[str]] = [[] for _ in iris]
        where = {iri: i for i, iri in enumerate(iris)}
        nodes = {}
        for v, drawn in enumerate(shown_in.values()):
            for iri, (file, node) in drawn.items():
                if iri not in where:
                    continue
                f = index.get(file)
                if f is None:
                    f = index[file] = len(files)
                    files.append(file)
                at[where[iri]].append(f"{v}.{f}")
                if node != iri:
                    nodes[f"{v} {iri}"] = node
        return cls(list(shown_in), files, [" ".join(a) for a in at], nodes)

    def to_json(self) -> dict:
        return {"views": self.views, "files": self.files, "at": self.at, "nodes": self.nodes}

    @classmethod
    def from_json(cls, data: dict) -> Drawn:
        return cls(data["views"], data["files"], data["at"], data["nodes"])

    def links(self, iri: str, position: int) -> list[tuple[str, str]]:
        """The (href, view title) of each page drawing the entity ``iri``, the ``position``-th of the entity list."""
        out = []
        for pair in self.at[position].split():
            v, f = (int(x) for x in pair.split("."))
            node = self.nodes.get(f"{v} {iri}", iri)
            out.append((f'../{self.files[f]}#node={urlquote(node, safe="")}', TITLES[self.views[v]][0]))
        return out


def _write_entities(ents, out_dir: Path, names: dict[str, str], drawn: Drawn, trace_pages: dict[str, str],
                    runs: _Runs, source_links: dict[tuple, str], between=None) -> list[Path]:
    """The entity pages that ``runs`` gives this process, in ``out_dir/entities``, their quotes linked to the source
    pages (``source_links``, see :func:`_source_pages`): each page links to where the views draw the entity
    (``drawn``) and to its trace page."""
    import bisect

    from drugpolicy_kg.uses.entities import write_pages

    (out_dir / "entities").mkdir(parents=True, exist_ok=True)

    def appears_in(iri: str) -> list[tuple[str, str]]:
        items = drawn.links(iri, bisect.bisect_left(ents.iris, iri))  # (the entity list is sorted)
        if iri in trace_pages:
            items.append((f"../traces/{trace_pages[iri]}", "Mandate trace"))
        return items

    written = []
    with scratch_folder(out_dir / "entities") as scratch:  # (the other process writes into the same folder)
        for start in range(0, len(ents.iris), ENTITY_RUN):
            if between is not None:
                between()
            if runs.take(str(start)):
                written += write_pages(ents, out_dir / "entities", names, source_links, appears_in, ENTITY_NAV,
                                       ents.iris[start:start + ENTITY_RUN], scratch=scratch)
    return written


def _write_pages(graph: Graph, out_dir: Path, nets: dict, tracer, ents, names: dict[str, str], apart,
                 project) -> dict[str, Path]:
    """(``tracer``: write_site's, which built the networks, every quote already read; ``apart``: the process writing
    the trace and entity pages, or None to write them here.)"""
    import base64

    written: dict[str, Path] = {}
    shown_in: dict[str, dict[str, tuple[str, str]]] = {}  # view -> entity IRI -> (the page drawing it, its node)
    split: dict[str, list[ViewPage]] = {}
    for name, g in nets.items():  # where the pages draw each entity first: it is what the entity pages need
        split[name] = split_view(g, name, TITLES[name][0])
        shown_in[name] = {i: (vp.file, n) for vp in split[name] for n, i in vp.iris().items()}
    drawn_at = Drawn.of(shown_in, ents.iris)
    del shown_in
    if apart is not None:  # the other process writes entity pages while this one draws the networks (at 1M triples
        apart.drawn(drawn_at)  # it had waited 40 s for the drawings)
    _settle()  # (the pages to draw live until drawn; so does each drawn entity's facts: settled network by network)
    rows = []
    with_affiliations = "affiliations" in nets
    runs = _Runs(None) if apart is None else apart.runs
    last = list(split)[-1] if split else None
    # a network at a time: its pages drawn, then its exports written (or offered to the other process: all but the
    # last, which this process writes as soon as it is drawn), then the network let go, so that the later drawings
    # run beside fewer networks (drawn all first, the seven networks and every drawn entity's facts were held
    # together: the most this process held)
    # how many drawings to come draw each entity: its facts, read once for them all, are let go after the last (kept
    # to the end of the drawings, on the third shape of data's 365,000 entities they grew this process by about
    # 200 MB while it drew, when the other process writes entity pages beside it)
    to_draw: dict[str, int] = {}
    for pages in split.values():
        for vp in pages:
            for i in vp.iris().values():
                if ents.is_entity(i):
                    to_draw[i] = to_draw.get(i, 0) + 1
    for name in list(split):
        pages = split.pop(name)
        guide = TITLES[name][1]
        for vp in pages:
            drawn = [(n, i) for n, i in vp.iris().items() if ents.is_entity(i)]
            facts = {n: ents.panel(i, names.get(i)) for n, i in drawn}
            for _n, i in drawn:
                to_draw[i] -= 1
                if not to_draw[i]:
                    del to_draw[i]
                    ents.forget(i)
            for node, (href, members) in vp.groups.items():
                facts[node] = {"name": vp.graph.nodes[node].get("label", node), "kind": "group of nodes", "facts": [],
                               "href": href, "members": members}
            page = out_dir / vp.file
            write_page(page, render_page(vp.graph, vp.title, guide, facts, more_notes=vp.notes, back=vp.parent,
                                         question=ASKS.get(name, "")))
            written[vp.file] = page
            # drawn: the page's graph let go (settled with its views, G.nodes and G.adj, which refer back to it, the
            # collector never walks it: emptied, it is freed; a network drawn whole is its own page, let go after its
            # exports). At once, not once the network's pages are all drawn: the whole-graph network of a million
            # triples of thin entities is 1,000 pages, each its nodes' attributes copied
            if vp.graph is not nets[name]:
                vp.graph.__dict__.clear()
        if len(pages) > 1:
            guide += f" Drawn in {len(pages)} pages of at most {VIEW_LIMIT} nodes: an overview of its groups, and each group."
        del pages
        vp = facts = None  # (the loop's last page, its drawing's records)
        g = nets.pop(name)
        if apart is not None and name != last and _worth_offering(runs, len(ents.iris), g, list(nets.values())) \
                and _offer_export(runs, name, g):
            files = export_files(name)  # (listed once written, by whichever process takes them)
        else:
            files = _write_exports(out_dir, name, g, names)
            written.update({f: out_dir / f for f in files})
        rows.append({"name": name, "title": TITLES[name][0], "question": ASKS.get(name, ""),
                     "nodes": g.number_of_nodes(), "edges": g.number_of_edges(),
                     "density": f"{g.graph.get('density', 0):g}", "communities": g.graph.get("communities", 0),
                     "guide": guide, "notes": notes_of(g),
                     "exports": [(f, f[len(name):].lstrip("-.")) for f in files]})
        # let go of the network once written: its views (G.nodes, G.adj) refer back to it, and what the process had
        # read was put out of the collector's reach (_settle), so only emptying it breaks that cycle (at a million
        # triples the process went from 1,037 to 786 MB through its exports, where it had held its size)
        g.__dict__.clear()
        _settle()
    ents.forget()  # (each drawn entity's facts were let go after its last drawing; an entity page reads its own again)
    if apart is not None:  # the exports the other process has not taken (busy with its traces), written here
        apart.offers_done()
        written.update({f: out_dir / f for f in _take_exports(runs, out_dir, names)})
    _settle()
    from drugpolicy_kg.uses.entities import write_index
    from drugpolicy_kg.uses.questions import QUESTIONS, WHO_WITH_WHOM

    listed = QUESTIONS + ([WHO_WITH_WHOM] if with_affiliations else [])
    questions = [(q.href, q.question) for q in listed]
    # The pages beside the networks go to the process free first: on the shipped graph this one, done drawing while
    # the other still writes the traces (its CPU half idle); at a million triples, the other.
    extras = _write_extras(graph, out_dir, project, names, with_affiliations) if runs.take(EXTRAS_RUN) else None
    if apart is None:
        sources = _source_pages(ents, out_dir / "entities", ENTITY_NAV, project)
        traced = _write_traces(tracer, out_dir, project, names, sources)
        entity_files = _write_entities(ents, out_dir, names, drawn_at, traced.pages, runs, sources)
    else:  # the other process makes the traces: both write the entity pages, then it is done
        sources = apart.source_links()
        entity_files = _write_entities(ents, out_dir, names, drawn_at, apart.trace_pages(), runs, sources)
        traced, theirs, exported = apart.result()
        entity_files += theirs
        written.update({f: out_dir / f for f in exported})
    written.update(apart.extras() if extras is None else extras)  # (None: the other process took them)
    if apart is None:  # (the other process, where there is one, has written the index of the entity pages)
        entity_files += write_index(ents, out_dir / "entities", names, ENTITY_NAV)
    for path in traced:
        written["traces/" + path.name] = path
    for path in entity_files:
        written["entities/" + path.name] = path
    for page in {link.partition("#")[0] for link in sources.values()}:  # (the source pages, by either process)
        written["entities/" + page] = out_dir / "entities" / page
    from drugpolicy_kg.pages import render

    png = base64.b64encode((out_dir / "timeline.png").read_bytes()).decode()
    heat = base64.b64encode((out_dir / "sdg-coverage.png").read_bytes()).decode()
    with atomic_write(out_dir / "index.html", durable=False) as fh:
        fh.write(render("views-index.html", title="drugpolicy-kg: network views", nav=[], csp=CSP, page_class="views",
                        rows=rows, legend=[(cat, symbol(shape, c, 16)) for cat, (c, shape) in STYLE.items()],
                        timeline=png, heatmap=heat, n_entities=len(ents.iris), questions=questions,
                        per_file=PER_FILE if shares_files(names) else 1))
    written["index.html"] = out_dir / "index.html"
    written = SiteWritten(written)
    written.removed = prune_site(out_dir, written.values())  # (what an earlier run wrote here and this one did not)
    return written


class SiteWritten(dict):
    """The files a site wrote (name in its folder -> path), and ``removed``: those its last run had written there
    and this one did not, removed (:func:`~drugpolicy_kg.atomic.prune_site`)."""

    removed: list[str]
