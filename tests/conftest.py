"""Shared fixtures: the shipped project, loaded once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from drugpolicy_kg.graph.store import GraphStore
from drugpolicy_kg.resources import Project

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config):
    """Built stores go to a folder of this test run (commands started by tests inherit it), not the user's cache.
    A suite started in the background by a shell (`make test &`, nohup) inherits Ctrl-C ignored, and so would every
    command a test starts, which then never hears the SIGINT the signal tests send (an ignored signal stays ignored
    across exec): the suite handles it again, so the commands it starts begin with Ctrl-C as a terminal gives it."""
    import signal
    import tempfile

    if _sigint_ignored():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if "DRUGPOLICY_KG_TEST_TMP" not in os.environ:  # the run's one temporary folder (workers inherit it)
        config.temp_folder = os.environ["DRUGPOLICY_KG_TEST_TMP"] = tempfile.mkdtemp(prefix="drugpolicy-kg-test-")
    # Whatever the run makes with ``tempfile`` (doctests, notebooks, the commands tests start, pytest's own tmp_path)
    # goes in it, and it goes when the run ends: runs had left 200 folders (1.5 GB: a doctest's build, 47 MB, each
    # time) in the machine's temporary folder, and a CI run on a nearly full disk failed for want of space.
    # (multiprocessing's own temporary folder first, where it is made without this: it removes it when the process
    # exits, after the run's folder is gone: made in it, its removal failed with a traceback after the summary)
    import multiprocessing.util

    multiprocessing.util.get_temp_dir()
    os.environ["TMPDIR"] = tempfile.tempdir = os.environ["DRUGPOLICY_KG_TEST_TMP"]
    if "DRUGPOLICY_KG_CACHE" not in os.environ:
        config.cache_folder = os.environ["DRUGPOLICY_KG_CACHE"] = tempfile.mkdtemp(prefix="drugpolicy-kg-test-cache-")
    if "DRUGPOLICY_KG_TEST_SHARED" not in os.environ:  # what tests share across workers (tests/shared.py)
        config.shared_folder = os.environ["DRUGPOLICY_KG_TEST_SHARED"] = tempfile.mkdtemp(
            prefix="drugpolicy-kg-test-shared-")


def signal_set(pid: int | str, field: str, signum: int) -> bool | None:
    """Whether ``signum`` is in a process's signal mask ``field`` as the kernel sees it (Linux's /proc/PID/status:
    ``SigIgn`` ignored, ``SigCgt`` caught by a handler); None where that cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            mask = next((line.split()[1] for line in fh if line.startswith(f"{field}:")), None)
    except OSError:
        return None
    return None if mask is None else bool(int(mask, 16) & (1 << (signum - 1)))


def _sigint_ignored() -> bool:
    """Whether this process ignores Ctrl-C as the kernel sees it (what the commands a test starts inherit)."""
    import signal

    ignored = signal_set("self", "SigIgn", signal.SIGINT)
    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN if ignored is None else ignored


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """A test (its fixtures too) that leaves this process ignoring Ctrl-C (a library setting SIG_IGN in-process) would
    make every command later tests start ignore the SIGINT they send: it is named in the run's figures, and Ctrl-C
    is handled again."""
    import signal

    before = _sigint_ignored()
    yield
    if not before and _sigint_ignored():
        FIGURES["left the test process ignoring SIGINT (handled again)"] = " ".join(
            filter(None, [FIGURES.get("left the test process ignoring SIGINT (handled again)"), item.nodeid]))
        signal.signal(signal.SIGINT, signal.default_int_handler)


_MODULE: list[str] = [""]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """At each new test module, what is alive is collected once and then frozen (``gc.freeze``): a worker's
    session fixtures (stores, networks, sites) and what its earlier modules left are millions of objects, and every
    full collection in a later test walked them all again. A pySHACL run took four times as long in the suite as
    alone (validate 0.64 s alone, 2.24 s beside three million objects, 0.74 s with them frozen). Frozen objects are
    still freed when nothing refers to them; only a cycle among them that dies later stays until the worker ends."""
    import gc

    module = item.nodeid.split("::", 1)[0]
    if module != _MODULE[0]:
        _MODULE[0] = module
        gc.collect()
        gc.freeze()


def on_terminal(command: list[str], stream: str = "stdout", timeout: float = 300,
                **popen) -> tuple[int, bytes, bytes]:
    """Run ``command`` with its ``stream`` ("stdout" or "stderr") on a pseudo-terminal and the other on a pipe: its
    exit code, what the terminal showed and what the pipe got. The terminal is read while the command writes (read
    only once it had ended, a command that wrote more than the terminal buffers waited in its write: a test timed
    out so in CI)."""
    import pty
    import subprocess

    leader, follower = pty.openpty()
    other = "stderr" if stream == "stdout" else "stdout"
    try:
        proc = subprocess.Popen(command, **{stream: follower, other: subprocess.PIPE}, **popen)
        os.close(follower)
        follower = None
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # (EIO: the command has closed its end of the terminal)
                break
            if not chunk:
                break
            seen += chunk
        piped = getattr(proc, other).read()
        getattr(proc, other).close()
        return proc.wait(timeout=timeout), seen, piped
    finally:
        os.close(leader)
        if follower is not None:
            os.close(follower)


def make_copy(tmp_path: Path, full: bool = False, keep: tuple[str, ...] = ()) -> Path:
    """A copy of the shipped project (ontology, data, queries) to change in a test.

    By default without the reviewed programme-budget sections (270,000 of the graph's triples): a test of how a
    command treats its inputs, outputs or errors does not need them, and every command on the full copy would
    build its store and read them again. ``full=True`` for a test about the reviewed data itself; ``keep`` names
    reviewed documents to keep."""
    dst = tmp_path / "proj"
    for d in ("ontology", "data", "queries"):
        shutil.copytree(ROOT / d, dst / d)
    if not full:
        for reviewed in (dst / "data" / "reviews").glob("*.json"):
            if reviewed.stem in keep:
                continue
            (dst / "data" / f"{reviewed.stem}.ttl").unlink(missing_ok=True)
            (dst / "data" / "sources" / f"{reviewed.stem}.txt").unlink(missing_ok=True)
    return dst


@pytest.fixture
def copy_project(tmp_path) -> Path:
    return make_copy(tmp_path)


@pytest.fixture(scope="session")
def small_project(tmp_path_factory) -> Project:
    """The project without the ingested programme-budget sections: the two short sources the violation fixtures
    are written against, small enough for pySHACL to check dozens of times."""
    return Project.open(make_copy(tmp_path_factory.mktemp("small")))


@pytest.fixture(scope="session")
def project() -> Project:
    return Project.open(ROOT)


@pytest.fixture(scope="session")
def dataset(project) -> GraphStore:
    """The project's store: the union as default graph, each file's graph by name."""
    return GraphStore.open(project)


@pytest.fixture(scope="session", autouse=True)
def _shipped_store_built(dataset):
    """Build the shipped project's store before any test runs (1 s), so that a test checking a command's stderr
    does not see the one-time "building the graph store" lines because it happened to run first."""


@pytest.fixture(scope="session")
def graph(dataset):
    """A copy of the union in an in-memory rdflib Graph."""
    return dataset.union_graph()


@pytest.fixture(scope="session")
def oxigraph_server():
    from .servers import start_oxigraph

    server = start_oxigraph()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def virtuoso_server():
    from .servers import VirtuosoServer

    server = VirtuosoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from .browser import Browser

    b = Browser()
    yield b
    b.close()


def pytest_unconfigure(config):
    """The run's temporary folder, the shared folder and the stores' cache go with the session that made them (the
    controller, or a run without workers): a run had left its 280 MB of stores in the temporary folder, every run
    again."""
    for made in ("shared_folder", "cache_folder", "temp_folder"):
        if getattr(config, made, None):
            shutil.rmtree(getattr(config, made), ignore_errors=True)


FIGURES: dict[str, str] = {}  # figures tests report (fuzz cases, faults injected, requests served)


def pytest_sessionfinish(session):
    """Under pytest-xdist a worker sends its figures to the controller, which prints them all."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["figures"] = dict(FIGURES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    FIGURES.update(getattr(node, "workeroutput", {}).get("figures", {}))


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures")
        for key, value in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{key}: {value}")
