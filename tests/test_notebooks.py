"""The three notebooks are committed without outputs and run top to bottom, each within a time limit."""

from __future__ import annotations

import json

import pytest

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TIME_LIMIT = 300  # seconds per cell


def test_three_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01-analyst-sparql.ipynb", "02-researcher-networks.ipynb",
                                           "03-policymaker-trace.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, \
                f"{path.name} has outputs: clear them (jupyter nbconvert --clear-output --inplace {path.name})"
    assert sum(c["cell_type"] == "markdown" for c in nb["cells"]) >= 4, "each notebook explains itself in prose"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_runs_top_to_bottom(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=TIME_LIMIT, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code")
    if path.stem.startswith("02"):  # the SDG matrix and the timeline show inline, as images, not as a figure's repr
        images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        assert len(images) >= 2
        assert not any("<Figure size" in o.get("data", {}).get("text/plain", "") and "image/png" not in o.get("data", {})
                       for c in nb.cells for o in c.get("outputs", []))


PAYLOAD = '<img src=x onerror="window.__xss=1">'
EVIL_TTL = """
@prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> . @prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix org: <http://www.w3.org/ns/org#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
dpk:ev-evil a dpo:Evidence ; dcterms:source dpk:doc-cnd65-crp-itwg ; dpo:locator LABEL ; dpo:quote QUOTE ;
    dpo:states [ rdf:subject dpk:membership-evil ; rdf:predicate org:member ; rdf:object dpk:org-evil ] .
dpk:ev-evil-2 a dpo:Evidence ; dcterms:source dpk:doc-cnd65-crp-itwg ; dpo:locator LABEL ; dpo:quote QUOTE ;
    dpo:states [ rdf:subject dpk:itwg ; rdf:predicate dpo:respondsTo ; rdf:object dpk:mandate-cnd-64-3-op18 ] .
dpk:org-evil a org:FormalOrganization ; rdfs:label LABEL ; skos:altLabel LABEL .
dpk:membership-evil a org:Membership ; rdfs:label LABEL ; org:member dpk:org-evil ;
    org:organization dpk:itwg ; org:role dpk:role-member .
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["02-researcher-networks", "03-policymaker-trace"])
def test_notebooks_show_hostile_data_as_text_in_a_browser(name, tmp_path, browser):
    """The notebooks run on a copy of the data where a member of the ITWG is named by a script payload, and a quote
    of the 64/3 trace holds it; their
    outputs (Markdown traces, tables, the network view's iframe), rendered to HTML as nbconvert does (it sanitizes
    less than JupyterLab) and opened in Chromium, run nothing."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nbconvert = pytest.importorskip("nbconvert")
    from rdflib import Literal

    from .conftest import make_copy

    root = make_copy(tmp_path / "project", keep=("a-80-6-sect-16",))  # the notebooks trace UNODC's subprogrammes
    (root / "data" / "evil.ttl").write_text(EVIL_TTL.replace("LABEL", Literal(PAYLOAD).n3()).replace(
        "QUOTE", Literal(f"The {PAYLOAD} joined.").n3()), encoding="utf-8")
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("KnowledgeGraph()", f"KnowledgeGraph({str(root)!r})")
    nbclient.NotebookClient(nb, timeout=TIME_LIMIT, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = json.dumps([o for c in nb.cells for o in c.get("outputs", [])])
    assert "onerror" in shown, "the payload reached the outputs (else this test tests nothing)"
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    page_file = tmp_path / f"{name}.html"
    page_file.write_text(body, encoding="utf-8")
    page = browser.open(page_file.as_uri())
    page.wait_for_timeout(2000)
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    frames = page.frames
    for frame in frames[1:]:  # the network view's sandboxed iframe
        assert frame.evaluate("window.__xss") is None
        assert frame.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    page.close()
