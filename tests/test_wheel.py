"""The wheel ships ontology/, data/ and queries/; `build` works from it outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from .conftest import ROOT


@pytest.mark.slow
def test_wheel_build_runs_outside_checkout(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("drugpolicy_kg-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("drugpolicy_kg/_resources/ontology/drugpolicy.ttl", "drugpolicy_kg/_resources/ontology/shapes.ttl",
                   "drugpolicy_kg/_resources/data/cnd65-crp-itwg.ttl", "drugpolicy_kg/_resources/data/sources/isn-brochure.txt",
                   "drugpolicy_kg/_resources/queries/checks/dangling-reference-violation.rq", "drugpolicy_kg/py.typed"):
        assert needed in names, needed
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run([sys.executable, "-c", "import drugpolicy_kg.cli as c, sys; sys.exit(c.main(['build']))"],
                          cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (work / "build" / "drugpolicy-kg.ttl").stat().st_size > 100000
    proc = subprocess.run([sys.executable, "-c", "import drugpolicy_kg.resources as r; print(r.default_root())"],
                          cwd=work, env=env, capture_output=True, text=True)
    assert str(site) in proc.stdout
    proc = subprocess.run([sys.executable, "-c", "import drugpolicy_kg.cli as c, sys; sys.exit(c.main(['validate']))"],
                          cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
