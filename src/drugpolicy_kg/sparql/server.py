"""A local SPARQL 1.1 endpoint, and Oxigraph's own server for those who push to one.

``serve`` answers on the project's built store (see :mod:`drugpolicy_kg.graph.store`: nothing is
copied), with the union of all graphs as the default graph and each source's graph by name;
SPARQL Update and Graph Store writes are refused, queries time out, and it binds 127.0.0.1 unless
told otherwise. ``--writable`` serves a copy in a temporary store. Its engine is
:mod:`drugpolicy_kg.sparql.engine`. :class:`OxigraphServer` starts the server of the PyPI package
``oxigraph`` (``api`` and the tests push to it).
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from drugpolicy_kg.errors import EndpointError, UsageError
from drugpolicy_kg.threads import die_with_parent


def oxigraph_binary() -> str:
    """The ``oxigraph`` command installed beside this Python, or on PATH."""
    here = Path(sys.executable).parent / "oxigraph"
    if here.is_file():
        return str(here)
    found = shutil.which("oxigraph")
    if not found:
        raise UsageError("the Oxigraph server is not installed: pip install oxigraph")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    """Poll ``url`` until it answers (any HTTP status), the process dies, or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise EndpointError(f"{url}: the server exited with code {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a loopback URL we built
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise EndpointError(f"{url}: no answer after {timeout:.0f} s")


def stop_process(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    """Terminate a child process (a server, a worker), kill it if it does not stop within ``grace`` seconds, reap it."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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


def serve(gs, host: str = "127.0.0.1", port: int = 7878, writable: bool = False, say=print,
          timeout: float = 30.0, project=None, allow_network: bool = False) -> int:
    """Serve the store ``gs`` until Ctrl-C or SIGTERM. Blocks; returns 0 after a clean stop (the engine is stopped).

    The front (the query page, entity pages, search, the SPARQL endpoint) listens on the address asked for; the
    engine behind it is :mod:`drugpolicy_kg.sparql.engine`, worker processes reachable through the front alone."""
    import pyoxigraph as ox

    from drugpolicy_kg.sparql.engine import Engine

    with tempfile.TemporaryDirectory(prefix="drugpolicy-kg-serve-") as tmp:
        location = gs.location
        if writable or location is None:  # writes must not reach the shared, content-addressed store: serve a copy
            location = Path(tmp) / "store"
            location.mkdir()  # (RocksDB makes only the last folder of its path)
            copy = ox.Store(str(location / "db"))
            copy.bulk_extend(gs.store.quads_for_pattern(None, None, None, None))
            copy.flush()
            del copy
        # the store's default graph is already the union of its named graphs, as a set
        import threading

        from drugpolicy_kg.resources import Project
        from drugpolicy_kg.sparql.front import AsyncFront, make_handler

        engine = Engine(location / "db", writable=writable, timeout=timeout, allow_network=allow_network)
        try:
            front = AsyncFront((host, port), make_handler(gs, project or Project.open(), engine, allow_network))
        except OSError as exc:  # before any banner: the port is taken, or the address is not this machine's
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        thread = threading.Thread(target=front.serve_forever, name="drugpolicy-kg-front", daemon=True)

        def on_term(signum, frame):  # a service manager's stop: shut down as on Ctrl-C
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, on_term)
        try:
            try:
                engine.start()
            except OSError as exc:
                raise EndpointError(str(exc)) from None
            thread.start()
            mode = "read-write: SPARQL Update and Graph Store writes ACCEPTED" if writable else \
                "read-only: SPARQL Update and Graph Store writes are refused"
            exposed = "" if host in ("127.0.0.1", "localhost", "::1") else " (listening beyond this machine!)"
            shown = f"http://{'[' + host + ']' if ':' in host else host}:{front.server_address[1]}"
            network = "the engine may reach the network (--allow-network)" if allow_network else \
                "the engine has no network" if engine.isolated else \
                "SERVICE and LOAD are refused (this system gives the engine no namespace of its own)"
            say(f"SPARQL endpoint: {shown}/query   query page: {shown}/")
            say(f"{gs.triples} triples in {len(gs.graphs)} named graphs (their union is the default graph), {mode}, "
                f"bound to {host}{exposed}; {network}. Ctrl-C to stop.")
            while thread.is_alive():
                thread.join(0.5)
            say("the front stopped by itself")
            return 3
        except KeyboardInterrupt:
            say("stopping")
            return 0
        finally:
            front.shutdown() if thread.is_alive() else None
            front.server_close()
            engine.stop()
            signal.signal(signal.SIGTERM, previous)
