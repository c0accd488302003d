"""The front of ``serve``: the project's query page, entity pages and search, with the SPARQL endpoint behind it.

``serve`` runs this small HTTP server on the address the user asked for, with Oxigraph behind it in
worker processes only this server can reach (:mod:`drugpolicy_kg.sparql.engine`). It answers:

- ``/`` the query page: the project's prefixes already declared, every competency question as a
  ready example with its summary, results in a table whose project IRIs open the entity's page,
  and a search box. The page loads nothing from anywhere else (its Content-Security-Policy allows
  only this server), unlike Oxigraph's stock page, which fetched a prefix list from the internet;
- ``/entity?iri=...`` what the graph says about an entity: its facts, each with the quotes that
  state it, and the links to it;
- ``/search?q=...`` the search of :mod:`drugpolicy_kg.graph.search`, as JSON;
- ``/examples.json`` the competency questions; ``/query`` (and ``/update``, ``/store``, refused
  by a read-only server) answered by the engine, with a size limit on the request body.

Every value from the data reaches the page as text (``html.escape`` here, ``textContent`` in the
script); nothing the user types becomes query text except in ``/query``, where it is the query.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler

from drugpolicy_kg.resources import PREFIXES

MAX_BODY = 1 << 20          # bytes of a request body passed to the endpoint
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
            "base-uri 'none'; form-action 'self'")  # (what a page's <meta> may say)
CSP = PAGE_CSP + "; frame-ancestors 'none'"  # the header: frame-ancestors is honoured there only

def examples(project) -> list[dict]:
    """The competency questions, each runnable as it stands: the project's prefixes declared, defaults bound."""
    from drugpolicy_kg.sparql.query import bind_params, list_queries, with_prefixes, with_values

    out = []
    for q in list_queries(project):
        text = with_prefixes(with_values(q.text, bind_params(q, {})))
        out.append({"name": q.name, "summary": q.summary, "audience": q.audience, "text": text})
    return out


def _entity_csp() -> str:
    """The entity page's policy: nothing loaded, only its own print script, allowed by its hash."""
    from drugpolicy_kg.pages import document_csp

    return document_csp(("print",)) + "; frame-ancestors 'none'"


ENTITY_CSP = _entity_csp()


def _valid_iri(iri: str) -> bool:
    """Whether Oxigraph takes ``iri`` as an IRI ("http://a b" is none: it made the page raise, and no answer left).

    >>> _valid_iri("https://w3id.org/drugpolicy-kg/id/itwg"), _valid_iri("http://a b/<x>")
    (True, False)
    """
    import pyoxigraph as ox

    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return True


def entity_page(gs, iri: str, ents) -> tuple[int, str]:
    """What the graph says about one entity: the page the views' site writes for it (one renderer for both), with its
    links pointing at this server's own entity pages."""
    import pyoxigraph as ox

    from drugpolicy_kg.pages import document
    from drugpolicy_kg.uses.entities import entity_html

    nav = [("./", "Query page")]
    node = ox.NamedNode(iri)
    if not any(True for _ in gs.store.quads_for_pattern(node, None, None, ox.DefaultGraph())) and \
            not any(True for _ in gs.store.quads_for_pattern(None, None, node, ox.DefaultGraph())):
        return 404, document("notice.html", "Not in the graph", nav, text="No triple names", code=iri, after=".")

    def link(target: str) -> str | None:
        return "entity?iri=" + urllib.parse.quote(target, safe="") if ents.is_entity(target) else None

    return 200, entity_html(ents, iri, link, lambda ev: None, nav=nav)


def void_description(gs, host: str) -> bytes:
    """The dataset's VoID and DCAT description (``/.well-known/void``, as VoID suggests), with this server's
    SPARQL endpoint added where the request names a host."""
    import re

    import pyoxigraph as ox

    from drugpolicy_kg.graph.store import DATASET, DATASET_GRAPH, VOID

    ds = ox.NamedNode(DATASET)
    quads = gs.store.quads_for_pattern(None, None, None, ox.NamedNode(DATASET_GRAPH))
    triples = sorted({q.triple for q in quads}, key=str)
    if re.fullmatch(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?", host):
        triples.append(ox.Triple(ds, ox.NamedNode(VOID + "sparqlEndpoint"),
                                 ox.NamedNode(f"http://{host}/query")))
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)


def make_handler(gs, project, engine):
    """The request handler, bound to the store, the project and the SPARQL ``engine`` (its ``answer`` method:
    :class:`drugpolicy_kg.sparql.engine.Engine`)."""
    from drugpolicy_kg.pages import json_for_script, render, script

    page = render("serve.html", title="drugpolicy-kg: SPARQL", nav=[], csp=PAGE_CSP, page_class="serve",
                  prefixes=json_for_script(PREFIXES))
    app_js = script("serve")
    example_json = json.dumps(examples(project), ensure_ascii=False).encode("utf-8")
    entities = []  # built on the first entity page asked for, then kept: the store does not change under a server

    lock = threading.Lock()

    def ents():
        from drugpolicy_kg.uses.entities import Entities

        with lock:
            if not entities:
                entities.append(Entities(gs.view()))
        return entities[0]

    class Handler(BaseHTTPRequestHandler):
        server_version = "drugpolicy-kg"
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet: a service logs nothing it was not asked to
            pass

        def handle(self):
            """The one request :class:`AsyncFront`'s loop read whole (``closing``: whether the connection ends)."""
            self.handle_one_request()
            self.closing = self.close_connection

        def handle_one_request(self):
            """A fault of a handler is a 500 in one line, never a traceback on the console."""
            try:
                super().handle_one_request()
            except OSError:  # nobody to answer
                self.close_connection = True
            except Exception as exc:  # noqa: BLE001 - the boundary of a request: it is answered, the server goes on
                import sys

                from drugpolicy_kg.errors import scrub

                self.close_connection = True
                print(scrub(f"drugpolicy-kg serve: internal error on {self.command} {urllib.parse.urlsplit(self.path or '').path}: "
                            f"{type(exc).__name__}: {exc}")[:300], file=sys.stderr, flush=True)
                with contextlib.suppress(OSError):
                    self.send(500, b"internal error: the server could not answer this request",
                              "text/plain; charset=utf-8", {"Connection": "close"})

        def parse_request(self) -> bool:
            """The request line and headers, read once and strictly: a header that decides how the request is read or
            where it goes (``SINGLE_HEADERS``) given twice is a 400, never read one way here and another by the
            engine behind."""
            if not super().parse_request():
                return False
            for name in SINGLE_HEADERS:
                if len(self.headers.get_all(name) or []) > 1:
                    self.close_connection = True
                    self.send(400, f"refused: the request has more than one {name} header".encode(),
                              "text/plain; charset=utf-8", {"Connection": "close"})
                    return False
            return True

        def send(self, status: int, body: bytes, ctype: str, extra: dict | None = None, csp: str = CSP) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", csp)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self):
            self.do_GET()

        def stranger(self) -> str:
            """Why a browser's request from elsewhere may not be served ("" if it may). A page the user visits can
            make the browser send requests here: by DNS rebinding, a name of the attacker's that resolves to this
            machine (refused unless the Host is this server's own loopback name), or by a cross-site form post to
            ``/update`` or ``/store``, which a writable server would carry out (refused when the Origin is another)."""
            host = (self.headers.get("Host") or "").strip().lower()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if host and ipaddress_is_loopback(self.server.server_address[0]) and name not in LOOPBACK_NAMES:
                return f"refused: Host {host!r} is not this server's name (localhost, 127.0.0.1 or [::1])"
            writes = urllib.parse.urlsplit(self.path).path in ("/update", "/store") and self.command not in ("GET", "HEAD")
            origin = (self.headers.get("Origin") or "").strip().lower()
            site = (self.headers.get("Sec-Fetch-Site") or "").strip().lower()
            if writes and (origin and origin != f"http://{host}" or site in ("cross-site", "same-site")):
                return f"refused: a write sent by a page of another origin ({origin or site})"
            return ""

        def do_GET(self):
            refused = self.stranger()
            if refused:
                return self.send(403, refused.encode("utf-8", "replace"), "text/plain; charset=utf-8")
            url = urllib.parse.urlsplit(self.path)
            args = urllib.parse.parse_qs(url.query)
            if url.path == "/":
                return self.send(200, page.encode("utf-8"), "text/html; charset=utf-8")
            if url.path == "/app.js":
                return self.send(200, app_js.encode("utf-8"), "text/javascript; charset=utf-8")
            if url.path == "/examples.json":
                return self.send(200, example_json, "application/json")
            if url.path == "/entity":
                iri = (args.get("iri") or [""])[0]
                if not iri.startswith(("http://", "https://")) or not _valid_iri(iri):
                    return self.send(400, b"give ?iri=<an http(s) IRI>", "text/plain; charset=utf-8")
                status, text = entity_page(gs, iri, ents())
                return self.send(status, text.encode("utf-8"), "text/html; charset=utf-8", csp=ENTITY_CSP)
            if url.path == "/search":
                from drugpolicy_kg.errors import DrugPolicyKGError
                from drugpolicy_kg.graph.search import search

                try:
                    found = search(gs, (args.get("q") or [""])[0], 20)
                except DrugPolicyKGError as exc:
                    return self.send(400, json.dumps({"error": str(exc)}).encode(), "application/json")
                return self.send(200, json.dumps(found.to_dict(), ensure_ascii=False).encode("utf-8"), "application/json")
            if url.path in ("/query", "/update", "/store"):
                return self.proxy()
            if url.path in ("/.well-known/void", "/dataset"):
                return self.send(200, void_description(gs, self.headers.get("Host") or ""), "text/turtle; charset=utf-8")
            return self.send(404, b"not found", "text/plain; charset=utf-8")

        def do_POST(self):
            refused = self.stranger()
            if refused:
                return self.send(403, refused.encode("utf-8", "replace"), "text/plain; charset=utf-8",
                                 {"Connection": "close"})
            if urllib.parse.urlsplit(self.path).path in ("/query", "/update", "/store"):
                return self.proxy()
            return self.send(404, b"not found", "text/plain; charset=utf-8")

        do_PUT = do_DELETE = do_POST

        def proxy(self):
            length = int(self.headers.get("Content-Length") or 0)  # (one, digits, at most MAX_BODY: AsyncFront read it)
            body = self.rfile.read(length) if length > 0 else None
            refused = self.refusal(body)
            if refused:
                return self.send(400, refused.encode(), "text/plain; charset=utf-8")  # (too deep; a network keyword: the engine, 403)
            url = urllib.parse.urlsplit(self.path)
            status, media, data = engine.answer(self.command, url.path, url.query,
                                                self.headers.get("Content-Type") or "", self.headers.get("Accept") or "",
                                                body)
            return self.send(status, data, media)

        def refusal(self, body: bytes | None) -> str:
            """Why this request may not reach the engine ("" if it may): nesting deep enough to exhaust the engine's
            stack. (SERVICE and LOAD are refused by the engine, which reads the text it runs with its own parser.)"""
            from drugpolicy_kg.sparql.query import MAX_NESTING, TOO_DEEP, nesting_depth

            url = urllib.parse.urlsplit(self.path)
            texts = [v for k, vs in urllib.parse.parse_qs(url.query).items() if k in ("query", "update") for v in vs]
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if body:
                decoded = body.decode("utf-8", "replace")
                if ctype == "application/x-www-form-urlencoded":
                    texts += [v for k, vs in urllib.parse.parse_qs(decoded).items() if k in ("query", "update") for v in vs]
                elif ctype in ("application/sparql-query", "application/sparql-update"):
                    texts.append(decoded)
            for text in texts:
                if nesting_depth(text) > MAX_NESTING:
                    return f"refused: {TOO_DEEP}"
            return ""

    return Handler


# Headers a request may carry once: two of them could be read one way by the front's checks and another by the engine.
SINGLE_HEADERS = ("Host", "Content-Type", "Content-Length", "Transfer-Encoding", "Content-Encoding", "Origin",
                  "Sec-Fetch-Site", "Authorization")
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


def ipaddress_is_loopback(address: str) -> bool:
    """Whether the server listens only on this machine (127.0.0.0/8, ::1): then only its own names may be asked for.

    >>> ipaddress_is_loopback("127.0.0.1"), ipaddress_is_loopback("::1"), ipaddress_is_loopback("0.0.0.0")
    (True, True, False)
    """
    import ipaddress

    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


READ_DEADLINE = 20.0       # seconds to send one whole request (line, headers, body), however it is dripped


MAX_OPEN = 2048            # connections held open at once by the event loop; beyond, 503 and closed
WORKERS = 16               # requests answered at once (each a thread: the engine, entity pages, search)
MAX_HEAD = 64 * 1024       # bytes of a request line and headers
WRITE_DEADLINE = 60.0      # seconds for a client to take an answer


class _Buffered:
    """What a request handler reads and writes, in memory: the request read whole by the event loop, the answer
    collected for the event loop to send. (A handler never touches the client's socket.)"""

    def __init__(self, raw: bytes):
        import io

        self.rfile = io.BytesIO(raw)
        self.answer = io.BytesIO()

    def makefile(self, mode: str, *args, **kw):
        return self.rfile if "r" in mode else self.answer

    def sendall(self, data: bytes) -> None:
        self.answer.write(data)


class AsyncFront:
    """The front's listener: one asyncio loop reads every connection's requests, so idle, dripping, oversized or
    malformed connections cost no thread and cannot take the places of well-behaved clients; a request read whole
    (within ``read_deadline``, READ_DEADLINE unless given, at most MAX_HEAD of headers and MAX_BODY of body) is
    answered by one of WORKERS threads through the request handler, and the loop sends the answer. The interface is
    socketserver's (``server_address``, ``serve_forever``, ``shutdown``, ``server_close``, ``RequestHandlerClass``)."""

    def __init__(self, address: tuple[str, int], handler_class, read_deadline: float | None = None):
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        host, port = address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.create_server((host, port), family=family, backlog=1024)
        self.server_address = self.socket.getsockname()[:2]
        self.RequestHandlerClass = handler_class
        self.read_deadline = read_deadline or READ_DEADLINE
        self.loop = asyncio.new_event_loop()
        self.pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="drugpolicy-kg-answer")
        self.open = 0
        self._stopped = threading.Event()

    # -- socketserver's interface --
    def serve_forever(self) -> None:
        import asyncio

        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._connection, sock=self.socket,
                                                                   limit=MAX_HEAD))
        try:
            self.loop.run_forever()
        finally:
            server.close()
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            for task in pending:  # the connections still open: closed, each coroutine told so and finished
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.close()
            self._stopped.set()

    def shutdown(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._stopped.wait(10)

    def server_close(self) -> None:
        self.socket.close()
        self.pool.shutdown(wait=False, cancel_futures=True)

    # -- one connection --
    async def _connection(self, reader, writer) -> None:
        import asyncio

        if self.open >= MAX_OPEN:
            writer.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            writer.close()
            return
        self.open += 1
        peer = writer.get_extra_info("peername") or ("", 0)
        try:
            while True:
                try:
                    raw, closing = await asyncio.wait_for(self._request(reader), self.read_deadline)
                except _Refused as refused:
                    writer.write(refused.answer)
                    await asyncio.wait_for(writer.drain(), WRITE_DEADLINE)
                    return
                except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                    return  # idle, dripping past the deadline, or gone: closed without an answer
                if raw is None:
                    return
                answer, keep = await self.loop.run_in_executor(self.pool, self._answer, raw, peer)
                writer.write(answer)
                await asyncio.wait_for(writer.drain(), WRITE_DEADLINE)
                if closing or not keep:
                    return
        except (TimeoutError, ConnectionError, OSError):
            return
        finally:
            self.open -= 1
            writer.close()

    async def _request(self, reader) -> tuple[bytes | None, bool]:
        """One request read whole: its head, and its body by its one Content-Length. None at the end of the stream."""
        import asyncio

        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial.strip():
                return None, True
            raise
        except asyncio.LimitOverrunError:
            raise _Refused(431, "request headers too large") from None
        fields = head.split(b"\r\n")[1:]
        lengths = [line.split(b":", 1)[1].strip() for line in fields if line[:15].lower() == b"content-length:"]
        chunked = any(line[:18].lower() == b"transfer-encoding:" for line in fields)
        if len(lengths) != 1:  # none: no body; two: the handler refuses the request (one strict reading)
            return head, bool(lengths) or chunked
        if not lengths[0].isdigit():
            raise _Refused(400, "bad Content-Length")
        size = int(lengths[0])
        if size > MAX_BODY:
            raise _Refused(413, "request body too large")
        return head + (await reader.readexactly(size) if size else b""), chunked

    def _answer(self, raw: bytes, peer) -> tuple[bytes, bool]:
        """Run the request handler on one request read whole; its answer, and whether the connection may stay open."""
        conn = _Buffered(raw)
        handler = self.RequestHandlerClass(conn, peer, self)
        return conn.answer.getvalue(), not getattr(handler, "closing", True)


class _Refused(Exception):
    """A request refused while it is read (too large, malformed), with the answer to send before closing."""

    def __init__(self, status: int, message: str):
        import http

        reason = http.HTTPStatus(status).phrase
        body = message.encode()
        self.answer = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                       f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
        super().__init__(message)
