"""Network views: derived from the graph, exported, and checked in a real headless Chromium."""

from __future__ import annotations

import shutil

import networkx as nx
import pytest

from drugpolicy_kg.cli import main
from drugpolicy_kg.graph.store import GraphStore
from drugpolicy_kg.resources import Project
from drugpolicy_kg.uses.networks import STYLE, build_networks
from drugpolicy_kg.uses.views import render_page, write_site

DPK = "https://w3id.org/drugpolicy-kg/id/"
PAYLOAD = '<img src=x onerror="window.__xss=1">'


@pytest.fixture(scope="module")
def nets(graph):
    return build_networks(graph)


@pytest.fixture(scope="module")
def site(graph, tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    write_site(graph, out)
    return out


def test_collaboration_is_derived(nets):
    g = nets["collaboration"]
    unodc, who, ohchr = DPK + "org-unodc", DPK + "org-who", DPK + "org-ohchr"
    assert g.has_edge(unodc, who)
    assert g[unodc][who]["weight"] == 3  # ITWG co-leads, ISN implementers, inaugural meeting organizers
    assert "ITWG: co-lead – co-lead" in g[unodc][who]["roles"]
    assert "ITWG: member – observer" in g[DPK + "org-ilo"][ohchr]["roles"]
    assert g.number_of_nodes() >= 17


def test_mandate_network_runs_from_resolutions_to_sdg(nets):
    g = nets["mandates"]
    assert nx.has_path(g, DPK + "res-cnd-64-3", "http://metadata.un.org/sdg/3.5")
    # the brochure never links 58/7 to the ISN; 59/3 recognizes it (a provision, not a mandate), and the edge says so
    assert not (DPK + "res-cnd-58-7" in g and nx.has_path(g, DPK + "res-cnd-58-7", DPK + "isn"))
    assert g[DPK + "provision-cnd-59-3-isn"][DPK + "isn"]["label"] == "recognizes"
    assert g[DPK + "res-cnd-64-3"][DPK + "res-cnd-64-3-op18"]["label"] == "has paragraph"


def test_metrics_and_style(nets):
    for name, g in nets.items():
        for n, d in g.nodes(data=True):
            assert {"degree", "betweenness", "community", "title", "category"} <= set(d), (name, n)
            assert d["category"] in STYLE
    assert nets["full"].nodes[DPK + "itwg"]["category"] == nets["mandates"].nodes[DPK + "itwg"]["category"] == "Body"


def test_metrics_are_deterministic(graph):
    a, b = build_networks(graph, ["collaboration"]), build_networks(graph, ["collaboration"])
    assert dict(a["collaboration"].nodes(data="community")) == dict(b["collaboration"].nodes(data="community"))


def test_exports_load_back(site, nets):
    for name, g in nets.items():
        for reader, ext in ((nx.read_graphml, "graphml"), (nx.read_gexf, "gexf")):
            back = reader(site / f"{name}.{ext}")
            assert back.number_of_nodes() == g.number_of_nodes() and back.number_of_edges() == g.number_of_edges()
    back = nx.read_graphml(site / "collaboration.graphml")
    edge = back[DPK + "org-unodc"][DPK + "org-who"]
    assert "ITWG" in edge["contexts"] and isinstance(edge["contexts"], str)


def test_site_files_and_offline_markup(site):
    for f in ("index.html", "collaboration.html", "mandates.html", "full.html", "timeline.png", "timeline.svg",
              "collaboration-metrics.csv", "traces/index.html", "traces/res-cnd-64-3.html"):
        assert (site / f).is_file(), f
    assert (site / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for page in site.glob("*.html"):
        text = page.read_text()
        assert "cdn.jsdelivr" not in text and "cdnjs" not in text, page.name
        assert 'src="http' not in text and 'href="http' not in text, page.name
    index = (site / "index.html").read_text()
    for link in ("collaboration.html", "mandates.graphml", "full.gexf", "timeline.svg", "traces/index.html"):
        assert f'href="{link}"' in index


def test_cli_views(tmp_path, capsys):
    assert main(["views", "--out", str(tmp_path / "s"), "--view", "mandates"]) == 0
    assert (tmp_path / "s" / "mandates.html").is_file() and not (tmp_path / "s" / "full.html").exists()


def drawn_counts(page):
    page.wait_for_function("typeof network !== 'undefined' && window.dpkReady === true", timeout=20000)
    return page.evaluate("[network.body.data.nodes.length, network.body.data.edges.length]")


@pytest.mark.slow
@pytest.mark.parametrize("view", ["collaboration", "mandates", "full"])
def test_page_in_chromium(browser, site, nets, view, tmp_path):
    from PIL import Image

    page = browser.open((site / f"{view}.html").as_uri())
    assert drawn_counts(page) == [nets[view].number_of_nodes(), nets[view].number_of_edges()]
    page.wait_for_timeout(1500)
    shot = site / f"{view}.png"
    page.screenshot(path=str(shot))
    colors = Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50, "the screenshot looks blank"
    assert page.errors == []
    assert [u for u in page.requests if not u.startswith(("file:", "data:", "blob:"))] == []
    page.close()


@pytest.mark.slow
def test_index_in_chromium(browser, site):
    page = browser.open((site / "index.html").as_uri())
    assert page.evaluate("document.querySelectorAll('a[href$=\".html\"]').length") >= 4
    assert page.evaluate("document.querySelector('img').naturalWidth") > 100
    assert page.errors == [] and [u for u in page.requests if not u.startswith(("file:", "data:"))] == []
    page.close()


@pytest.fixture(scope="module")
def evil_site(tmp_path_factory, small_project):
    """A copy of the project (the two short sources: pages small enough to hover a node) with script payloads
    in a label, a quote (and its source), and a heading."""
    root = tmp_path_factory.mktemp("evil")
    for d in ("ontology", "data", "queries"):
        shutil.copytree(small_project.root / d, root / d)
    (root / "data" / "sources" / "evil.txt").write_text(f"The {PAYLOAD} Office joined.\n", encoding="utf-8")
    from rdflib import Literal

    lab = Literal(PAYLOAD, lang="en").n3()
    quote = Literal(f"The {PAYLOAD} Office joined.").n3()
    src = Literal(f"Evil {PAYLOAD} source", lang="en").n3()
    loc = Literal(PAYLOAD).n3()
    (root / "data" / "evil.ttl").write_text(f"""
@prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> . @prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix org: <http://www.w3.org/ns/org#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
dpk:doc-evil a dpo:SourceDocument ; rdfs:label {src} ; dpo:textFile "evil.txt" .
dpk:ev-evil a dpo:Evidence ; dcterms:source dpk:doc-evil ; dpo:locator {loc} ; dpo:quote {quote} ;
    dpo:states [ rdf:subject dpk:org-evil ; rdf:predicate skos:altLabel ; rdf:object {lab} ] ,
        [ rdf:subject dpk:membership-evil ; rdf:predicate org:member ; rdf:object dpk:org-evil ] .
dpk:org-evil a org:FormalOrganization ; rdfs:label {lab} ; skos:altLabel {lab} .
dpk:membership-evil a org:Membership ; rdfs:label "Evil member"@en ; org:member dpk:org-evil ;
    org:organization dpk:itwg ; org:role dpk:role-member .
""", encoding="utf-8")
    graph = GraphStore.open(Project.open(root)).rdflib()
    out = root / "site"
    write_site(graph, out)
    nets = build_networks(graph, ["collaboration"])
    (out / "heading.html").write_text(render_page(nets["collaboration"], PAYLOAD, PAYLOAD), encoding="utf-8")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("page_name", ["collaboration.html", "full.html", "heading.html", "index.html",
                                       "traces/itwg.html", "traces/index.html"])
def test_payloads_do_not_execute(browser, evil_site, page_name):
    assert PAYLOAD not in (evil_site / page_name).read_text()
    page = browser.open((evil_site / page_name).as_uri())
    if page_name != "index.html" and not page_name.startswith("traces"):
        drawn_counts(page)
        node = "https://w3id.org/drugpolicy-kg/id/org-evil"
        page.evaluate("(id) => { network.setOptions({physics: false}); network.focus(id, {scale: 3}); }", node)
        page.wait_for_timeout(300)
        xy = page.evaluate("(id) => { var p = network.getPositions([id])[id]; return network.canvasToDOM(p); }", node)
        box = page.evaluate("document.getElementById('mynetwork').getBoundingClientRect().toJSON()")
        for dx in (0, 1, 2):  # vis shows a tooltip after the pointer rests on a node: move onto it, then rest
            page.mouse.move(box["x"] + xy["x"] + dx, box["y"] + xy["y"])
            page.wait_for_timeout(400)
        page.wait_for_timeout(800)
        tip = page.evaluate("(document.querySelector('div.vis-tooltip') || {}).innerHTML || ''")
        under = page.evaluate("(p) => network.getNodeAt(p)", xy)
        assert "&lt;img" in tip and "<img" not in tip, (under, tip[:200])
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert not [u for u in page.requests if u.endswith("/x")]
    page.close()
