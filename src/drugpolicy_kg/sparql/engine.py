"""serve's SPARQL engine: Oxigraph (pyoxigraph) in worker processes that only the front can reach.

A worker is a child process joined to the front by a socket pair: it has no address, so no
other program on the machine can send it a request (Oxigraph's own server listened on a
loopback port that anyone on the machine could reach, past every protection of the front).
On Linux a worker runs in network and user namespaces of its own unless ``--allow-network``:
it has no network at all, so no query, however it is written, can make it fetch anything.

A request goes to an idle worker; one that does not answer within the query timeout is killed
and replaced, as is one that dies (a query that crashes the engine costs that query only). The
worker speaks the SPARQL 1.1 Protocol and the Graph Store Protocol as Oxigraph's server did:
``/query`` (GET, POST form, POST ``application/sparql-query``), ``/update`` and ``/store``
(writes refused unless the store was opened writable), results in the format the ``Accept``
header asks for.

Messages on the socket are :class:`multiprocessing.connection.Connection` frames holding
bytes only (a JSON head, then the body): nothing is unpickled.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from drugpolicy_kg.threads import die_with_parent, leave_network, within, write_all

STARTUP = 60.0      # seconds for a worker to open the store and say it is ready
TEXT = "text/plain; charset=utf-8"
LISTEN = os.name != "posix"  # no descriptor passing (Windows): a listener with a key instead of a socket pair
LISTEN_FAMILY = "AF_PIPE" if os.name == "nt" else "AF_UNIX"


def _isolate() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Linux: the worker dies with the front (PR_SET_PDEATHSIG) and gets network and user namespaces of its own, with
    no interface but a loopback nobody else shares (where namespaces are not allowed, the front's guard stays the only
    one, and :meth:`Engine.isolated` says so)."""
    # (the front looks whether it took); then the parent-death signal, which a change of credentials would clear
    leave_network()
    die_with_parent()


class Engine:
    """A pool of engine workers on the store at ``location``; ``answer`` one request with one of them.

    Writable: one worker (the store has one writer). Read-only: ``workers`` of them, each with the store open
    read-only."""

    def __init__(self, location: Path, writable: bool = False, workers: int = 2, timeout: float = 30.0,
                 allow_network: bool = False, guard: bool = True):
        self.location, self.writable, self.timeout = Path(location), writable, timeout
        self.allow_network = allow_network
        self.guard = guard and not allow_network  # (False only in a test of the network namespace behind the guard)
        self.size = 1 if writable else max(1, workers)
        self.idle: queue.Queue = queue.Queue()
        self.procs: set = set()
        self.isolated = False
        self._lock = threading.Lock()
        self._closed = False

    # -- the workers --
    def _spawn(self):
        """A new worker, ready (the store open); its process and the front's end of the connection.

        POSIX: a socket pair, one end passed to the worker, so it has no address at all. Elsewhere (Windows, where a
        descriptor cannot be passed so): a listener on a private address that accepts one connection, from a client
        that proves it knows a key of 32 random bytes given to the worker on its standard input."""
        import tempfile
        from multiprocessing.connection import Connection, Listener

        isolate = sys.platform.startswith("linux") and not self.allow_network
        log = tempfile.TemporaryFile()  # noqa: SIM115 - the worker's stderr: a file, never a pipe nobody reads
        common = {"stdout": subprocess.DEVNULL, "stderr": log, "env": {**os.environ, "PYTHONUNBUFFERED": "1"}}
        mode = "writable" if self.writable else "read-only"
        network = "guard" if self.guard else "no-guard"
        if not LISTEN:
            mine, theirs = socket.socketpair()
            try:
                proc = subprocess.Popen(  # noqa: S603 - this Python, this package
                    [sys.executable, "-m", "drugpolicy_kg.sparql.engine", str(theirs.fileno()), str(self.location), mode,
                     network],
                    pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                    preexec_fn=_isolate if isolate else die_with_parent, **common)
            finally:
                theirs.close()
            conn = Connection(mine.detach())
        else:
            key = os.urandom(32)
            with Listener(family=LISTEN_FAMILY, authkey=key) as listener:
                proc = subprocess.Popen(  # noqa: S603 - this Python, this package
                    [sys.executable, "-m", "drugpolicy_kg.sparql.engine", "listener", str(self.location), mode, network],
                    stdin=subprocess.PIPE, **common)
                write_all(proc.stdin, json.dumps({"address": listener.address, "key": key.hex()}).encode())
                proc.stdin.close()
                try:  # (a worker that dies before it connects must not keep this waiting: a deadline)
                    conn = within(STARTUP, listener.accept, "drugpolicy-kg-engine-accept")
                except Exception as exc:  # noqa: BLE001 - overdue, refused (a wrong key) or gone: the same end
                    self._end(proc, None, log)
                    raise OSError(f"the SPARQL engine did not connect ({type(exc).__name__})") from None
        if not conn.poll(STARTUP):
            self._end(proc, conn, log)
            raise OSError("the SPARQL engine did not start")
        try:
            conn.recv_bytes()  # "ready"
        except (EOFError, OSError):
            proc.wait(5) if proc.poll() is None else None
            log.seek(0)
            err = log.read()[-300:].decode("utf-8", "replace").strip()
            self._end(proc, conn, log)
            raise OSError(f"the SPARQL engine stopped while starting{': ' + err if err else ''}") from None
        self.isolated = _own_network(proc.pid)
        proc.log = log
        with self._lock:
            self.procs.add(proc)
        return proc, conn

    def _end(self, proc, conn, log=None) -> None:
        with contextlib.suppress(OSError, AttributeError):
            conn.close()
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        for f in (log, getattr(proc, "log", None)):
            if f is not None:
                f.close()
        with self._lock:
            self.procs.discard(proc)

    def start(self) -> Engine:
        for _ in range(self.size):
            self.idle.put(self._spawn())
        return self

    def stop(self) -> None:
        self._closed = True
        while True:
            try:
                proc, conn = self.idle.get_nowait()
            except queue.Empty:
                break
            self._end(proc, conn)
        with self._lock:
            left = list(self.procs)
        for proc in left:  # (busy ones: killed; their threads see the end of the stream)
            if proc.poll() is None:
                proc.kill()

    # -- one request --
    def answer(self, method: str, path: str, query: str, content_type: str, accept: str,
               body: bytes | None) -> tuple[int, str, bytes]:
        """The engine's answer to one request: its status, media type and body."""
        try:
            proc, conn = self.idle.get(timeout=self.timeout)
        except queue.Empty:
            return 503, TEXT, b"the SPARQL engine is busy: try again"
        head = json.dumps({"method": method, "path": path, "query": query, "content_type": content_type,
                           "accept": accept}).encode()
        keep = False
        try:
            conn.send_bytes(head)
            conn.send_bytes(body or b"")
            if not conn.poll(self.timeout):
                return 503, TEXT, f"the query ran past {self.timeout:g} s and was stopped".encode()
            status_head = json.loads(conn.recv_bytes())
            data = conn.recv_bytes()
            keep = True
            return status_head["status"], status_head["type"], data
        except (EOFError, OSError, ValueError):
            return 500, TEXT, b"the SPARQL engine stopped on this request; it has been started again"
        finally:
            if keep:
                self.idle.put((proc, conn))
            else:  # timed out or died: replaced, so the next request finds a worker with nothing left running
                self._end(proc, conn)
                if not self._closed:
                    with contextlib.suppress(OSError):
                        self.idle.put(self._spawn())


def _own_network(pid: int) -> bool:
    """Whether process ``pid`` has a network namespace other than this process's (Linux; False elsewhere)."""
    try:
        return os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")
    except OSError:
        return False


# ---------------------------------------------------------------- the worker --

RESULT_TYPES = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values")
GRAPH_TYPES = ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json", "text/n3")
DATASET_TYPES = ("application/n-quads", "application/trig")


def negotiate(accept: str, offers: tuple[str, ...]) -> str | None:
    """The offer the ``Accept`` header prefers (the first offer where it says nothing or anything); None if it
    accepts none of them.

    >>> negotiate("text/csv;q=0.5, application/sparql-results+json", RESULT_TYPES)
    'application/sparql-results+json'
    >>> negotiate("", GRAPH_TYPES), negotiate("text/*", GRAPH_TYPES), negotiate("image/png", GRAPH_TYPES)
    ('text/turtle', 'text/turtle', None)
    """
    if not accept.strip():
        return offers[0]
    best, best_q = None, 0.0
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        if media in ("*/*", ""):
            found = offers[0]
        elif media.endswith("/*"):
            found = next((o for o in offers if o.startswith(media[:-1])), None)
        else:
            found = media if media in offers else None
        if found and q > best_q:  # (the first of equal preference)
            best, best_q = found, q
    return best


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _one(args: dict, name: str) -> str:
    values = args.get(name) or []
    if len(values) != 1:
        raise Refused(400, f"give exactly one {name} parameter")
    return values[0]


def _graphs(ox, args: dict, name: str):
    try:
        return [ox.NamedNode(v) for v in args.get(name, [])] or None
    except ValueError as exc:
        raise Refused(400, f"{name}: not an IRI: {exc}") from None


def _media(accept: str, offers: tuple[str, ...], what: str) -> str:
    """The offer ``accept`` prefers; a 406 naming the offers where it accepts none."""
    media = negotiate(accept, offers)
    if media is None:
        raise Refused(406, f"{what} are given as " + ", ".join(offers))
    return media


def _empty(ox, store, target) -> None:
    """Empty ``target``: the whole dataset (None), a named graph (removed) or the default graph."""
    if target is None:
        store.clear()
    elif isinstance(target, ox.NamedNode):
        store.remove_graph(target)
    else:
        store.clear_graph(target)


def _serialize(ox, result, accept: str) -> tuple[str, bytes]:
    if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)):
        media = _media(accept, RESULT_TYPES, "results")
        return media, result.serialize(format=ox.QueryResultsFormat.from_media_type(media))
    media = _media(accept, GRAPH_TYPES, "graphs")
    return media, result.serialize(format=ox.RdfFormat.from_media_type(media))


def handle(ox, store, writable: bool, req: dict, body: bytes, guard: bool = True) -> tuple[int, str, bytes]:
    """One request of the SPARQL Protocol or the Graph Store Protocol, on the store. With ``guard`` (serve without
    --allow-network), a query or update that Oxigraph reads as using SERVICE or LOAD is refused (403), here where
    the text is the one run: the front cannot have read another."""
    import urllib.parse

    method, path = req["method"], req["path"]
    args = urllib.parse.parse_qs(req["query"], keep_blank_values=True)
    ctype = req["content_type"].split(";")[0].strip().lower()
    accept = req["accept"]
    if path in ("/query", "/update"):
        name = path[1:]
        if method in ("GET", "HEAD") and name == "query":
            text = _one(args, name)
        elif method == "POST" and ctype == "application/x-www-form-urlencoded":
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            args = {k: args.get(k, []) + form.get(k, []) for k in {*args, *form}}
            text = _one(args, name)
        elif method == "POST" and ctype == f"application/sparql-{name}":
            text = body.decode("utf-8", "replace")
        elif method == "POST":
            raise Refused(415, f"send the {name} as application/sparql-{name} or as a form")
        else:
            raise Refused(405, f"{method} is not a way to send a {name}")
        if guard:
            from drugpolicy_kg.sparql.query import network_use

            used = network_use(text, update=name == "update", prefixes={})  # (a SyntaxError: 400, as the engine's)
            if used:
                raise Refused(403, f"refused: {', '.join(used)} would make this server reach the network "
                                   "(start it with --allow-network to permit that)")
        if name == "query":
            result = store.query(text, default_graph=_graphs(ox, args, "default-graph-uri"),
                                 named_graphs=_graphs(ox, args, "named-graph-uri"))
            media, data = _serialize(ox, result, accept)
            return 200, media, data
        if not writable:
            raise Refused(403, "this server is read-only: SPARQL Update is refused (serve --writable accepts it)")
        store.update(text)
        return 204, TEXT, b""
    if path == "/store":
        graph = args.get("graph")
        if graph and "default" in args:
            raise Refused(400, "give ?graph=IRI or ?default, not both")
        target = ox.DefaultGraph() if "default" in args else (ox.NamedNode(graph[0]) if graph else None)
        if method in ("GET", "HEAD"):
            if target is None:
                media = _media(accept, DATASET_TYPES, "datasets")
                return 200, media, store.dump(format=ox.RdfFormat.from_media_type(media))
            if isinstance(target, ox.NamedNode) and not store.contains_named_graph(target):
                raise Refused(404, f"no graph {target.value}")
            media = _media(accept, GRAPH_TYPES, "graphs")
            return 200, media, store.dump(format=ox.RdfFormat.from_media_type(media), from_graph=target)
        if not writable:
            raise Refused(403, "this server is read-only: Graph Store writes are refused (serve --writable accepts them)")
        if method == "DELETE":
            if isinstance(target, ox.NamedNode) and not store.contains_named_graph(target):
                raise Refused(404, f"no graph {target.value}")
            _empty(ox, store, target)
            return 204, TEXT, b""
        if method in ("PUT", "POST"):
            fmt = ox.RdfFormat.from_media_type(ctype) if ctype else None
            if fmt is None:
                raise Refused(415, "send RDF as " + ", ".join(GRAPH_TYPES + DATASET_TYPES))
            if target is None and not fmt.supports_datasets:
                raise Refused(400, "give ?graph=IRI or ?default for a graph's triples")
            existed = target is None or isinstance(target, ox.DefaultGraph) or store.contains_named_graph(target)
            quads = list(ox.parse(body, format=fmt))  # all of it read first: RDF that does not parse changes nothing
            if target is not None:
                quads = [ox.Quad(q.subject, q.predicate, q.object, target) for q in quads]
            if method == "PUT":
                _empty(ox, store, target)
            store.extend(quads)
            return (204 if existed else 201), TEXT, b""
        raise Refused(405, f"{method} is not a Graph Store method")
    raise Refused(404, "not found")


def worker(fd: str, location: str, writable: bool, guard: bool = True) -> int:  # pragma: no cover - runs in the worker process
    """The worker's loop: open the store, say so, then answer requests until the front closes the connection."""
    from multiprocessing.connection import Client, Connection

    import pyoxigraph as ox

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the front's to handle; it stops the workers
    if fd == "listener":
        where = json.loads(sys.stdin.buffer.read())
        conn = Client(where["address"], family=LISTEN_FAMILY, authkey=bytes.fromhex(where["key"]))
    else:
        conn = Connection(int(fd))
    store = ox.Store(location) if writable else ox.Store.read_only(location)
    conn.send_bytes(b"ready")
    while True:
        try:
            req = json.loads(conn.recv_bytes())
            body = conn.recv_bytes()
        except (EOFError, OSError):
            return 0
        try:
            status, media, data = handle(ox, store, writable, req, body, guard)
        except Refused as exc:
            status, media, data = exc.status, TEXT, str(exc).encode()
        except SyntaxError as exc:  # (pyoxigraph's for a query and an update, and for RDF sent to /store)
            what = "RDF" if req["path"] == "/store" else "SPARQL"
            status, media, data = 400, TEXT, f"{what} syntax error: {exc}".encode()
        except (ValueError, OSError, RuntimeError) as exc:
            status, media, data = 400, TEXT, f"{type(exc).__name__}: {exc}"[:2000].encode()
        if writable and status in (200, 201, 204):
            with contextlib.suppress(OSError):
                store.flush()
        conn.send_bytes(json.dumps({"status": status, "type": media}).encode())
        conn.send_bytes(data)


if __name__ == "__main__":  # pragma: no cover - the worker process
    sys.exit(worker(sys.argv[1], sys.argv[2], sys.argv[3] == "writable", sys.argv[4:] != ["no-guard"]))
