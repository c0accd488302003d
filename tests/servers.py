"""Real servers for the tests, on 127.0.0.1 and free ports, in temporary folders, stopped by the tests: Oxigraph's
own server (the PyPI package ``oxigraph``, pinned with ``pyoxigraph`` in the dev extra: the tests push to it and compare
its answers) and Virtuoso; and a listener nothing may reach (:class:`Untouched`).

In CI (CI=true) a missing server binary fails the test instead of skipping it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from drugpolicy_kg.errors import EndpointError, UsageError
from drugpolicy_kg.sparql.server import free_port, stop_process, wait_for_http
from drugpolicy_kg.threads import die_with_parent

from .conftest import IN_CI


def oxigraph_binary() -> str:
    """The ``oxigraph`` command installed beside this Python, or on PATH."""
    here = Path(sys.executable).parent / "oxigraph"
    if here.is_file():
        return str(here)
    found = shutil.which("oxigraph")
    if not found:
        raise UsageError("the Oxigraph server is not installed: pip install oxigraph")
    return found


def load_store(location: Path, nt_file: Path) -> None:
    """Load an N-Triples file into an Oxigraph store folder (default graph)."""
    proc = subprocess.run([oxigraph_binary(), "load", "--location", str(location), "--file", str(nt_file)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise UsageError(f"oxigraph load failed: {proc.stderr.strip()[:500]}")


class OxigraphServer:
    """Start and stop an Oxigraph server; use as a context manager.

    Endpoints: ``query_url`` (SPARQL query), ``update_url`` (SPARQL Update, not
    when read-only), ``store_url`` (Graph Store Protocol).
    """

    def __init__(self, location: Path | None = None, host: str = "127.0.0.1", port: int = 0, read_only: bool = True,
                 union_default_graph: bool = False, timeout: float | None = None):
        self._tmp = None
        self.union_default_graph, self.timeout = union_default_graph, timeout
        if location is None:
            self._tmp = tempfile.mkdtemp(prefix="drugpolicy-kg-oxigraph-")
            location = Path(self._tmp)
        self.location, self.host, self.read_only = Path(location), host, read_only
        self.port = port or free_port(host)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def query_url(self) -> str:
        return self.url + "/query"

    @property
    def update_url(self) -> str:
        return self.url + "/update"

    @property
    def store_url(self) -> str:
        return self.url + "/store"

    def start(self, timeout: float = 30.0) -> OxigraphServer:
        cmd = [oxigraph_binary(), "serve-read-only" if self.read_only else "serve",
               "--location", str(self.location), "--bind", f"{self.host}:{self.port}"]
        if self.union_default_graph:
            cmd.append("--union-default-graph")
        if self.timeout:
            cmd += ["--timeout-s", str(max(1, int(self.timeout)))]
        # The server's log goes to a file, not a pipe nobody reads (a full pipe would stall the server).
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._log,  # noqa: S603
                                     preexec_fn=die_with_parent)
        try:
            wait_for_http(self.url + "/query?query=ASK%7B%7D", timeout, self.proc)
        except EndpointError as exc:
            self._log.seek(0)
            tail = self._log.read()[-300:].decode("utf-8", "replace").strip()
            self.stop()
            raise EndpointError(f"{exc}{': ' + tail if tail else ''}") from None
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def require(binary: str, install_hint: str) -> str:
    path = shutil.which(binary)
    if path:
        return path
    message = f"{binary} not found; {install_hint}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def start_oxigraph() -> OxigraphServer:
    try:
        oxigraph_binary()
    except Exception as exc:  # noqa: BLE001
        (pytest.fail if IN_CI else pytest.skip)(str(exc))
    return OxigraphServer(read_only=False).start()


# MaxQueryExecutionTime is the tests' client timeout (300 s): under a CI machine's load, Virtuoso once ran the
# sources-differ query (0.3-1.2 s here, with or without two busy loops beside it) past 120 s and ended it with
# SR171 "Transaction timed out"; the tests compare answers, not speed.
VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = ., {d}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
MaxQueryMem = 500M
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
ServerThreads = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 300
"""


class VirtuosoServer:
    """Debian's virtuoso-opensource, configured in a temporary folder; SPARQL Update allowed on /sparql."""

    def __init__(self):
        self.binary = require("virtuoso-t", "install Debian's virtuoso-opensource (make test does)")
        self.isql = require("isql-vt", "install Debian's virtuoso-opensource (make test does)")
        self.dir = Path(tempfile.mkdtemp(prefix="drugpolicy-kg-virtuoso-"))
        self.sql_port, self.http_port = free_port(), free_port()
        self.proc = None

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    update_url = query_url

    def start(self) -> VirtuosoServer:
        ini = self.dir / "virtuoso.ini"
        ini.write_text(VIRTUOSO_INI.format(d=self.dir, sql=self.sql_port, http=self.http_port), encoding="utf-8")
        self.proc = subprocess.Popen([self.binary, "+foreground", "+configfile", str(ini)], cwd=self.dir,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_http(self.query_url + "?query=ASK%7B%7D", 90, self.proc)
            grant = 'GRANT SPARQL_UPDATE TO "SPARQL"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET (\'nobody\', 7);'
            for _ in range(20):
                done = subprocess.run([self.isql, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={grant}"],
                                      capture_output=True, text=True, timeout=60)
                if done.returncode == 0:
                    break
                time.sleep(0.5)
            else:
                raise RuntimeError(f"could not configure Virtuoso: {done.stdout} {done.stderr}")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        stop_process(self.proc, grace=30)
        shutil.rmtree(self.dir, ignore_errors=True)


class Untouched:
    """A socket listening on loopback, at ``port``, that nothing may reach: the tests aim a SERVICE, a redirect or a
    network call at it, then :meth:`assert_untouched` (no connection came within ``wait`` seconds)."""

    def __init__(self, wait: float = 0.5):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(wait)
        self.port = self.sock.getsockname()[1]

    def assert_untouched(self) -> None:
        with pytest.raises(TimeoutError):
            conn, _ = self.sock.accept()
            conn.close()

    def __enter__(self) -> Untouched:
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()
