"""A local SPARQL 1.1 endpoint.

``serve`` answers on the project's built store (see :mod:`drugpolicy_kg.graph.store`: nothing is
copied), with the union of all graphs as the default graph and each source's graph by name;
SPARQL Update and Graph Store writes are refused, queries time out, and it binds 127.0.0.1 unless
told otherwise. ``--writable`` serves a copy in a temporary store. Its engine is
:mod:`drugpolicy_kg.sparql.engine`; the Python API's ``KnowledgeGraph.server()`` serves a copy of the graph through
the same front.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from drugpolicy_kg.errors import EndpointError, UsageError


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


def serve(gs, host: str = "127.0.0.1", port: int = 7878, writable: bool = False, say=print,
          timeout: float = 30.0, project=None, allow_network: bool = False, engine_store: Path | None = None,
          read_deadline: float | None = None) -> int:
    """Serve the store ``gs`` until Ctrl-C or SIGTERM. Blocks; returns 0 after a clean stop (the engine is stopped).

    The front (the query page, entity pages, search, the SPARQL endpoint) listens on the address asked for; the
    engine behind it is :mod:`drugpolicy_kg.sparql.engine`, worker processes reachable through the front alone.
    ``engine_store``: the folder of another store the engine answers queries from (read-only: the Python API's copy
    of the union in one named graph), while the pages still read ``gs``."""
    import pyoxigraph as ox

    from drugpolicy_kg.sparql.engine import Engine

    copying = writable or gs.location is None  # writes must not reach the shared, content-addressed store: a copy
    # (a folder made only for a copy: a read-only server stopped by SIGKILL leaves nothing behind)
    with tempfile.TemporaryDirectory(prefix="drugpolicy-kg-serve-") if copying else contextlib.nullcontext() as tmp:
        location = gs.location
        if copying:
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

        if engine_store is not None and writable:
            raise UsageError("another store is served read-only")
        engine = Engine(engine_store or location / "db", writable=writable, timeout=timeout, allow_network=allow_network)
        try:
            front = AsyncFront((host, port), make_handler(gs, project or Project.open(), engine), read_deadline)
        except OSError as exc:  # before any banner: the port is taken, or the address is not this machine's
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        thread = threading.Thread(target=front.serve_forever, name="drugpolicy-kg-front", daemon=True)

        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)  # a service manager's stop: as Ctrl-C
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
