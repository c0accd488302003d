"""The wheel ships every file of ontology/, data/ and queries/ as the checkout has it; `build` works from it outside
the checkout."""

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
    names = set(zipfile.ZipFile(wheel).namelist())
    # every file of the project the commands read (ontology, shapes, data, sources, reviews, queries and checks),
    # byte for byte where the package finds it
    shipped = {f"drugpolicy_kg/_resources/{p.relative_to(ROOT).as_posix()}": p for d in ("ontology", "data", "queries")
               for p in (ROOT / d).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert len(shipped) > 50 and not set(shipped) - names, sorted(set(shipped) - names)[:3]
    assert "drugpolicy_kg/py.typed" in names and "drugpolicy_kg/templates/trace.html" in names
    with zipfile.ZipFile(wheel) as zf:
        assert all(zf.read(name) == path.read_bytes() for name, path in shipped.items())
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
    # (validate reads the same files through the same root: the shapes and checks are among those held equal above)
