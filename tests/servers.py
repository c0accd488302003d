"""Real servers for the tests, on 127.0.0.1 and free ports, in temporary folders, stopped by the tests.

In CI (CI=true) a missing server binary fails the test instead of skipping it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from drugpolicy_kg.sparql.server import OxigraphServer, free_port, oxigraph_binary, stop_process, wait_for_http

from .conftest import IN_CI


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
MaxQueryExecutionTime = 120
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
