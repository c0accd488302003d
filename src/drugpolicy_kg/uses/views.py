"""Interactive network pages (pyvis), the site around them, exports and a timeline.

pyvis is unmaintained and has sharp edges, so it is used here and nowhere else:

- its template is rendered by our own Jinja environment with **autoescape on**,
  with ``tooltip_link``, ``select_menu`` and ``filter_menu`` off (those render data
  as raw HTML); node and edge data reach the page only through ``tojson``;
- ``cdn_resources="in_line"`` inlines vis-network; the two Bootstrap CDN tags the
  template still adds are removed, and a test checks no request leaves the page;
- a Content-Security-Policy forbids any network access from the page;
- positions are computed by networkx with a fixed seed; past ``PHYSICS_LIMIT``
  nodes physics is off, so large views stay responsive;
- tooltips are plain text (vis-network shows a string title as text).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from drugpolicy_kg.atomic import atomic_write
from drugpolicy_kg.uses.networks import STYLE, VIEWS, build_networks, flat_copy

if TYPE_CHECKING:
    import networkx as nx
    from rdflib import Graph

PHYSICS_LIMIT = 300
AGGREGATE_LIMIT = 3000  # past this many nodes a page shows communities, not nodes
TIMELINE_POINTS = 80  # past this many dated items, count them per year
EDGE_LABEL_LIMIT = 60  # past this many edges, relation names go to edge tooltips only
SEED = 42
TITLES = {
    "collaboration": ("Collaboration network",
                      "Organizations linked when they hold roles in the same body, take part in the same meeting, "
                      "or co-author a publication. Edge width: number of shared ties."),
    "mandates": ("Mandate network",
                 "From each resolution through its paragraphs and mandates to the actors addressed, the bodies and "
                 "activities that result, their objectives and the SDG targets they serve."),
    "full": ("Whole graph", "Every named entity in the data and how they link; facts and quotes are in the tooltips."),
}
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
       "font-src data:; connect-src 'none'")
_REMOTE_TAG = re.compile(r"<(link|script)\b[^>]*(?:href|src)=\"https?://[^\"]*\"[^>]*>(?:\s*</script>)?", re.S)
_EMPTY_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>")


def _template():
    import jinja2
    import pyvis

    root = Path(pyvis.__file__).parent / "templates"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(root)), autoescape=True)
    return env.get_template("template.html")


def layout(g: nx.Graph, seed: int = SEED) -> dict:
    """Seeded positions, scaled for the canvas."""
    import networkx as nx

    if len(g) == 0:
        return {}
    k = 2.5 / max(len(g), 1) ** 0.5
    iterations = 100 if len(g) <= PHYSICS_LIMIT else 20  # large views: a rougher layout, in seconds not minutes
    pos = nx.spring_layout(g.to_undirected() if g.is_directed() else g, seed=seed, k=k, iterations=iterations)
    scale = 60 * max(len(g), 4) ** 0.5
    return {n: (round(float(x) * scale, 2), round(float(y) * scale, 2)) for n, (x, y) in pos.items()}


def vis_data(g: nx.Graph) -> tuple[list[dict], list[dict]]:
    """Node and edge records for vis-network: colour and shape by category, size by degree."""
    pos = layout(g)
    degrees = [d.get("degree", 0) for _, d in g.nodes(data=True)] or [0]
    low, span = min(degrees), (max(degrees) - min(degrees)) or 1
    edge_labels = g.number_of_edges() <= EDGE_LABEL_LIMIT
    nodes = []
    for n, d in g.nodes(data=True):
        color, shape = STYLE.get(d.get("category", "Other"), STYLE["Other"])
        x, y = pos.get(n, (0, 0))
        metrics = f"\ndegree {d.get('degree', 0)} · betweenness {d.get('betweenness', 0):.3f} · community {d.get('community', -1)}"
        nodes.append({"id": n, "label": d.get("label", n), "title": d.get("title", "") + metrics, "group": d.get("category", "Other"),
                      "color": color, "shape": shape, "size": 10 + 22 * (d.get("degree", 0) - low) / span,
                      "x": x, "y": y, "community": d.get("community", -1)})
    edges = []
    for a, b, d in g.edges(data=True):
        edges.append({"from": a, "to": b, "label": d.get("label", "") if edge_labels else "", "title": d.get("title", ""),
                      "value": d.get("weight", 1), "arrows": "to" if g.is_directed() else ""})
    return nodes, edges


def options(n_nodes: int) -> dict:
    physics = n_nodes <= PHYSICS_LIMIT
    return {
        "physics": {"enabled": physics, "stabilization": {"iterations": 150},
                    "barnesHut": {"gravitationalConstant": -8000, "springLength": 140}},
        "layout": {"randomSeed": SEED, "improvedLayout": n_nodes <= 150},
        "interaction": {"hover": True, "tooltipDelay": 150, "navigationButtons": False},
        "edges": {"font": {"size": 9, "align": "middle"}, "smooth": n_nodes <= PHYSICS_LIMIT,
                  "color": {"inherit": False, "color": "#aaaaaa"}, "scaling": {"min": 1, "max": 6}},
        "nodes": {"font": {"size": 12}},
    }


CONTROLS = """
<div id="dpk-controls" style="font-family:system-ui,sans-serif;padding:.5rem 1rem;border-bottom:1px solid #ddd">
  <a href="index.html">&larr; all views</a>
  <strong style="margin-left:1rem">{title}</strong> &middot; <span id="dpk-counts">{n_nodes} nodes, {n_edges} edges</span>
  <p style="margin:.3rem 0;color:#555">{guide}</p>
  <label>Find: <input id="dpk-search" type="search" list="dpk-names" placeholder="name or acronym" size="30"></label>
  <datalist id="dpk-names">{options}</datalist>
  <span style="margin-left:1rem">Show:</span> {filters}
</div>
"""
SCRIPT = """
<script>
(function () {
  function byLabel(text) {
    var t = text.trim().toLowerCase();
    if (!t) return [];
    return nodes.get({filter: function (n) {
      return String(n.label).toLowerCase() === t || String(n.title).toLowerCase().split("\\n")[0] === t; }})
      .concat(nodes.get({filter: function (n) { return String(n.title).toLowerCase().indexOf(t) >= 0; }}));
  }
  document.getElementById("dpk-search").addEventListener("change", function (e) {
    var hits = byLabel(e.target.value);
    if (hits.length) { network.selectNodes([hits[0].id]); network.focus(hits[0].id, {scale: 1.2, animation: true}); }
  });
  document.querySelectorAll("input.dpk-type").forEach(function (box) {
    box.addEventListener("change", function () {
      var shown = {};
      document.querySelectorAll("input.dpk-type").forEach(function (b) { shown[b.value] = b.checked; });
      nodes.update(nodes.get().map(function (n) { return {id: n.id, hidden: !shown[n.group]}; }));
    });
  });
  window.dpkReady = true;
})();
</script>
"""


def aggregate(g: nx.Graph, top: int = 8) -> nx.Graph:
    """Collapse each community into one node (size: members; edges: links between communities).

    >>> import networkx as nx
    >>> g = nx.Graph([(1, 2), (2, 3), (4, 5)])
    >>> for n, c in ((1, 0), (2, 0), (3, 0), (4, 1), (5, 1)):
    ...     g.nodes[n].update(community=c, degree=g.degree(n), name=str(n), category="Organization", label=str(n))
    >>> aggregate(g).number_of_nodes()
    2
    """
    from collections import Counter

    import networkx as nx

    members: dict[int, list] = {}
    for n, d in g.nodes(data=True):
        members.setdefault(d.get("community", -1), []).append(n)
    agg = nx.Graph(name=f"{g.graph.get('name', 'graph')} (communities)")
    for c, nodes in members.items():
        ranked = sorted(nodes, key=lambda n: (-g.nodes[n].get("degree", 0), str(n)))
        cats = Counter(g.nodes[n].get("category", "Other") for n in nodes)
        main = cats.most_common(1)[0][0]
        names = [g.nodes[n].get("name", str(n)) for n in ranked[:top]]
        agg.add_node(f"community-{c}", label=f"{g.nodes[ranked[0]].get('label', '')} +{len(nodes) - 1}",
                     name=f"Community {c}", category=main, degree=len(nodes), members=len(nodes),
                     title=f"Community {c}: {len(nodes)} nodes\nmost connected: " + "; ".join(names)
                           + "\ntypes: " + ", ".join(f"{k} {v}" for k, v in cats.most_common()))
    weights: Counter = Counter()
    for a, b in g.edges():
        ca, cb = g.nodes[a].get("community", -1), g.nodes[b].get("community", -1)
        if ca != cb:
            weights[tuple(sorted((ca, cb)))] += 1
    for (ca, cb), w in weights.items():
        agg.add_edge(f"community-{ca}", f"community-{cb}", weight=w, label="", title=f"{w} links")
    return agg


def render_page(g: nx.Graph, title: str, guide: str) -> str:
    """One self-contained page: vis-network inlined, data escaped, no external request.

    Past ``AGGREGATE_LIMIT`` nodes, communities are drawn instead of nodes, so the page stays usable.
    """
    if g.number_of_nodes() > AGGREGATE_LIMIT:
        g = aggregate(g)
        title += f" — {g.number_of_nodes()} communities"
        guide += (" This view is large: each node is a community (Louvain); its tooltip names the most "
                  "connected members. The full network is in the GraphML and GEXF exports.")
    nodes, edges = vis_data(g)
    page = _template().render(
        height="85vh", width="100%", bgcolor="#ffffff", font_color=False, heading="", nodes=nodes, edges=edges,
        options=json.dumps(options(len(nodes))), physics_enabled=len(nodes) <= PHYSICS_LIMIT, use_DOT=False,
        dot_lang="", widget=False, bgcolor_=None, conf=False, tooltip_link=False, neighborhood_highlight=False,
        select_menu=False, filter_menu=False, notebook=False, cdn_resources="in_line",
    )
    page = _REMOTE_TAG.sub("", page)
    page = _EMPTY_HEADING.sub("", page)
    categories = sorted({n["group"] for n in nodes})
    filters = " ".join(
        f'<label style="margin-right:.6rem"><input type="checkbox" class="dpk-type" value="{html.escape(c)}" checked> '
        f'<span style="color:{STYLE.get(c, STYLE["Other"])[0]}">&#9679;</span> {html.escape(c)}</label>' for c in categories)
    names = "".join(f'<option value="{html.escape(n["label"])}"></option>' for n in sorted(nodes, key=lambda n: n["label"]))
    controls = CONTROLS.format(title=html.escape(title), guide=html.escape(guide), n_nodes=len(nodes), n_edges=len(edges),
                               options=names, filters=filters)
    head = (f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            f"<title>{html.escape(title)} — drugpolicy-kg</title>")
    page = page.replace("<head>", "<head>\n" + head, 1)
    page = re.sub(r"<body>", lambda m: "<body>\n" + controls, page, count=1)
    return page.replace("</body>", SCRIPT + "</body>", 1)


def timeline_image(graph: Graph, png: Path, svg: Path) -> int:
    """Dated events, resolutions and publications on a time axis (PNG and SVG); returns how many were drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from drugpolicy_kg.resources import internal_query

    q = internal_query("dated-items.rq")
    rows = {}
    for item, d, label, alt in graph.query(q):
        text = str(d)
        year = int(text[:4])
        month = int(text[5:7]) if len(text) >= 7 else 6
        day = int(text[8:10]) if len(text) >= 10 else 15
        x = year + (month - 1) / 12 + (day - 1) / 365
        name = str(alt) if alt is not None and len(str(alt)) < 12 else str(label)
        rows[str(item)] = (x, text, name if len(name) <= 60 else name[:59] + "…")
    items = sorted(rows.values())
    if len(items) <= TIMELINE_POINTS:
        fig, ax = plt.subplots(figsize=(12, 0.32 * max(len(items), 6) + 1.2))
        for i, (x, text, name) in enumerate(items):
            ax.plot([x], [i], "o", color="#d62728")
            ax.annotate(f"{text}  {name}", (x, i), xytext=(6, -3), textcoords="offset points", fontsize=8)
        ax.set_yticks([])
        if items:
            ax.set_xlim(items[0][0] - 0.5, items[-1][0] + 4)
        ax.set_title("drugpolicy-kg: dated events, resolutions and publications")
    else:  # too many to name: how many dated items per year
        from collections import Counter

        per_year = Counter(int(x) for x, _, _ in items)
        years = sorted(per_year)
        fig, ax = plt.subplots(figsize=(12, 4))
        ax.bar(years, [per_year[y] for y in years], color="#d62728")
        ax.set_ylabel("dated items")
        ax.set_title(f"drugpolicy-kg: {len(items):,} dated events, resolutions and publications per year")
    ax.grid(axis="x", color="#eeeeee")
    fig.tight_layout()
    for path, fmt in ((png, "png"), (svg, "svg")):
        with atomic_write(path, "wb") as fh:
            fig.savefig(fh, format=fmt, dpi=110, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
    return len(items)


INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>drugpolicy-kg: network views</title>
<style>body{{font-family:system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;line-height:1.45}}
td,th{{padding:.2rem .6rem;text-align:left}} .sw{{display:inline-block;width:.9rem;height:.9rem;border-radius:50%}}
img{{max-width:100%;border:1px solid #eee}}</style></head><body>
<h1>drugpolicy-kg: network views</h1>
<p>Built from the knowledge graph: every node and edge comes from a statement in the data, and the tooltips quote
the source documents. Hover a node to read who or what it is and the words that put it there; drag to move, scroll to
zoom; use <em>Find</em> to jump to a name or acronym and the <em>Show</em> boxes to filter by type.</p>
<h2>Views</h2><table><tr><th>view</th><th>nodes</th><th>edges</th><th>what it shows</th><th>exports</th></tr>{rows}</table>
<h2>Legend</h2><p>The same colour and shape mean the same type in every view; node size grows with degree.</p>
<table>{legend}</table>
<h2>Timeline</h2><p><a href="timeline.svg">SVG</a> · <a href="timeline.png">PNG</a></p>
<img src="data:image/png;base64,{timeline}" alt="Timeline of dated events, resolutions and publications">
<h2>Mandate traces</h2><p>One page per resolution and per body, each hop with its quote: <a href="traces/index.html">traces</a>.</p>
<h2>Ontology</h2><p>Every class and property of the project's vocabulary: <a href="ontology.html">ontology documentation</a>.</p>
</body></html>
"""


def write_site(graph: Graph, out_dir: Path, views=VIEWS) -> dict[str, Path]:
    """Write the pages, exports, metrics, timeline, trace pages and index (holding the folder's lock)."""
    from drugpolicy_kg.atomic import folder_lock

    out_dir = Path(out_dir)
    nets = build_networks(graph, views)
    with folder_lock(out_dir):
        return _write_site(graph, out_dir, nets)


def _write_site(graph: Graph, out_dir: Path, nets: dict) -> dict[str, Path]:
    import base64
    import csv
    import io

    import networkx as nx

    from drugpolicy_kg.tables import spreadsheet_safe
    from drugpolicy_kg.uses.trace import Tracer
    from drugpolicy_kg.uses.trace_render import write_site as write_traces

    written: dict[str, Path] = {}
    rows = []
    for name, g in nets.items():
        title, guide = TITLES[name]
        page = out_dir / f"{name}.html"
        with atomic_write(page) as fh:
            fh.write(render_page(g, title, guide))
        flat = flat_copy(g)
        for ext, writer in (("graphml", nx.write_graphml), ("gexf", nx.write_gexf)):
            buf = io.BytesIO()
            writer(flat, buf)
            with atomic_write(out_dir / f"{name}.{ext}", "wb") as fh:
                fh.write(buf.getvalue())
            written[f"{name}.{ext}"] = out_dir / f"{name}.{ext}"
        with atomic_write(out_dir / f"{name}-metrics.csv", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["iri", "label", "category", "degree", "betweenness", "community"])
            for n, d in sorted(g.nodes(data=True), key=lambda x: (-x[1]["degree"], x[0])):
                w.writerow([spreadsheet_safe(x) for x in (n, d["name"], d["category"], d["degree"], d["betweenness"],
                                                          d["community"])])
        written[f"{name}.html"] = page
        written[f"{name}-metrics.csv"] = out_dir / f"{name}-metrics.csv"
        exports = " · ".join(f'<a href="{name}.{x}">{x}</a>' for x in ("graphml", "gexf")) + \
            f' · <a href="{name}-metrics.csv">metrics CSV</a>'
        rows.append(f'<tr><td><a href="{name}.html">{html.escape(title)}</a></td><td>{g.number_of_nodes()}</td>'
                    f"<td>{g.number_of_edges()}</td><td>{html.escape(guide)}</td><td>{exports}</td></tr>")
    timeline_image(graph, out_dir / "timeline.png", out_dir / "timeline.svg")
    written["timeline.png"], written["timeline.svg"] = out_dir / "timeline.png", out_dir / "timeline.svg"
    for path in write_traces(Tracer(graph), out_dir / "traces", views_href="../index.html"):
        written["traces/" + path.name] = path
    from drugpolicy_kg.graph.ontodoc import ontology_html
    from drugpolicy_kg.resources import Project

    onto = Project.open().ontology_dir / "drugpolicy.ttl"
    if onto.is_file():
        with atomic_write(out_dir / "ontology.html") as fh:
            fh.write(ontology_html(onto))
        written["ontology.html"] = out_dir / "ontology.html"
    legend = "".join(f'<tr><td><span class="sw" style="background:{c}"></span></td><td>{html.escape(cat)}</td>'
                     f"<td>{html.escape(shape)}</td></tr>" for cat, (c, shape) in STYLE.items())
    png = base64.b64encode((out_dir / "timeline.png").read_bytes()).decode()
    with atomic_write(out_dir / "index.html") as fh:
        fh.write(INDEX.format(csp=CSP, rows="".join(rows), legend=legend, timeline=png))
    written["index.html"] = out_dir / "index.html"
    return written
