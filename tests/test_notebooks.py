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
