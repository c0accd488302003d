"""Lint the code like the data: ruff with bugbear and security rules must pass."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(ROOT / ".venv" / "bin" / "ruff")
    proc = subprocess.run([ruff, "check", "src", "tests", "tools", "bench"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr + f"\nfix: {sys.executable} -m ruff check --fix src tests tools bench"


@pytest.mark.parametrize("args", [["--help"], ["query", "--list"], ["trace", "--help"]])
def test_cli_startup_imports_nothing_heavy(args):
    code = f"import sys, drugpolicy_kg.cli as c\ntry:\n    c.main({args!r})\nexcept SystemExit:\n    pass\n" \
           "heavy = [m for m in ('rdflib', 'pyshacl', 'pyvis', 'networkx', 'SPARQLWrapper', 'pyoxigraph') if m in sys.modules]\n" \
           "print('HEAVY', heavy)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr


def test_the_package_imports_where_fcntl_does_not_exist():
    """fcntl is Unix-only: the store module imported it at the top, so the package did not import on Windows."""
    import subprocess
    import sys

    code = ("import builtins\nreal = builtins.__import__\n"
            "def imp(name, *a, **k):\n    if name == 'fcntl': raise ImportError('no fcntl')\n    return real(name, *a, **k)\n"
            "builtins.__import__ = imp\n"
            "import drugpolicy_kg.cli, drugpolicy_kg.graph.store, drugpolicy_kg.api, drugpolicy_kg.atomic\nprint('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
