"""Talk to any SPARQL 1.1 server: run queries (SPARQLWrapper) and push the graph.

Credentials never come from the command line: set ``DRUGPOLICY_KG_USER`` and
``DRUGPOLICY_KG_PASSWORD`` (and ``DRUGPOLICY_KG_AUTH=digest`` for digest
authentication; basic is the default), or put ``user:password`` in the file
named by ``DRUGPOLICY_KG_CREDENTIALS_FILE``. Every failure (refused, timed
out, HTTP 4xx/5xx, an unexpected content type) is an
:class:`~drugpolicy_kg.errors.EndpointError`: exit code 3, one line naming
the endpoint and the status, and never the password.
"""

from __future__ import annotations

import base64
import http.client
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drugpolicy_kg import __version__
from drugpolicy_kg.errors import EndpointError, UsageError, json_loads
from drugpolicy_kg.sparql.results import Result, from_sparql_json
from drugpolicy_kg.threads import within

if TYPE_CHECKING:
    from rdflib import Graph

USER_AGENT = f"drugpolicy-kg/{__version__} (+https://w3id.org/drugpolicy-kg)"
POST_ABOVE = 1500  # characters: longer queries go by POST
DEFAULT_TIMEOUT = 30.0
STILL_ARRIVING = "the answer was still arriving when the time was up (--timeout SECONDS allows longer)"
MAX_ANSWER = 1 << 30  # bytes of one answer from a server (1 GiB): a table of millions of rows still fits


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str
    scheme: str = "basic"

    def __repr__(self) -> str:  # never print the password
        return f"Credentials(user={self.user!r}, password='***', scheme={self.scheme!r})"


def credentials_from_env(env=None) -> Credentials | None:
    """Read credentials from the environment (or a file it names); None when none are set.

    >>> credentials_from_env({"DRUGPOLICY_KG_USER": "ana", "DRUGPOLICY_KG_PASSWORD": "s3cret"})
    Credentials(user='ana', password='***', scheme='basic')
    """
    env = os.environ if env is None else env
    user, password = env.get("DRUGPOLICY_KG_USER"), env.get("DRUGPOLICY_KG_PASSWORD")
    path = env.get("DRUGPOLICY_KG_CREDENTIALS_FILE")
    if path and not (user and password):
        from drugpolicy_kg.atomic import read_regular

        raw = read_regular(path, "credentials file (DRUGPOLICY_KG_CREDENTIALS_FILE)", 64 * 1024)  # no FIFO, no device
        user, _, password = raw.decode("utf-8", "replace").partition("\n")[0].strip().partition(":")
    if not (user and password):
        return None
    from drugpolicy_kg.errors import register_secret

    register_secret(user, password)
    scheme = env.get("DRUGPOLICY_KG_AUTH", "basic").lower()
    if scheme not in ("basic", "digest"):
        raise UsageError("DRUGPOLICY_KG_AUTH must be 'basic' or 'digest'")
    return Credentials(user, password, scheme)


def _fail(endpoint: str, what: str, creds: Credentials | None) -> EndpointError:
    """One line naming the endpoint (without any user:password in it) and what failed; no credential in it, in
    plain text or encoded (a server may quote the header it refused)."""
    from drugpolicy_kg.sparql.remote import endpoint_key

    msg = f"{endpoint_key(endpoint)}: {what}"
    if creds is not None:
        pair = f"{creds.user}:{creds.password}".encode()
        for secret in (creds.password, base64.b64encode(pair).decode(), base64.b64encode(pair).decode().rstrip("="),
                       urllib.parse.quote(creds.password, safe="")):
            if secret:
                msg = msg.replace(secret, "***")
    return EndpointError(msg)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect, but never carry credentials to another origin (scheme, host and port)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            old_o, new_o = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(new.full_url)
            if new_o.scheme.lower() not in ("http", "https"):  # urllib follows ftp: too; a SPARQL server never means it
                return None  # not followed: the 3xx is the answer, an HTTP error
            if (old_o.scheme, old_o.hostname, old_o.port) != (new_o.scheme, new_o.hostname, new_o.port):
                for name in ("Authorization", "Proxy-authorization", "Cookie"):
                    new.headers.pop(name, None)
                    new.unredirected_hdrs.pop(name, None)
        return new


# SPARQLWrapper opens its requests with urllib's global opener: this process's carries credentials to their origin only
urllib.request.install_opener(urllib.request.build_opener(_SameOriginRedirects))


def _describe(exc: BaseException) -> str:
    """One line for a failure of the HTTP layer."""
    if isinstance(exc, urllib.error.HTTPError):
        body = ""
        try:
            body = exc.read(300).decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - the body is a courtesy only
            body = ""
        body = " ".join(body.split())[:200]
        return f"HTTP {exc.code} {exc.reason}" + (f": {body}" if body else "")
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return "timed out"
        return f"connection failed: {reason}"
    if isinstance(exc, AnswerTooLarge):
        return str(exc)
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timed out" + (f": {exc}" if str(exc) == STILL_ARRIVING else "")
    if isinstance(exc, (ConnectionError, http.client.HTTPException)):
        return f"connection failed: {exc.__class__.__name__}: {exc}"
    return f"{exc.__class__.__name__}: {exc}"


_SW_STATUS = {"QueryBadFormed": 400, "Unauthorized": 401, "EndPointNotFound": 404, "URITooLong": 414,
              "EndPointInternalError": 500}


def _describe_sparqlwrapper(exc: Exception) -> str:
    """'HTTP 500 (EndPointInternalError): <start of the server's answer>' from a SPARQLWrapper exception."""
    name = exc.__class__.__name__
    text = " ".join(str(exc).split())
    body = text.split("Response:", 1)[1].strip() if "Response:" in text else ""
    if body.startswith(("b'", 'b"')):
        body = body[2:-1]
    status = _SW_STATUS.get(name)
    head = f"HTTP {status} ({name})" if status else name
    return head + (f": {body[:200]}" if body else "")


def remote_query(endpoint: str, text: str, default_graph: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, creds: Credentials | None = None) -> Result:
    """Run one query on a SPARQL 1.1 endpoint with SPARQLWrapper; content negotiation only."""
    from SPARQLWrapper import DIGEST, JSON, POST, TURTLE, URLENCODED, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    sw = SPARQLWrapper(endpoint, agent=USER_AGENT)
    sw.setOnlyConneg(True)
    sw.setTimeout(int(max(1, timeout)))
    sw.setQuery(text)
    if len(text) > POST_ABOVE:
        sw.setMethod(POST)
        sw.setRequestMethod(URLENCODED)
    if default_graph:
        sw.addDefaultGraph(default_graph)
    if creds is not None:
        sw.setCredentials(creds.user, creds.password)
        if creds.scheme == "digest":
            sw.setHTTPAuth(DIGEST)
    from drugpolicy_kg.sparql.query import query_form

    sw.queryType = query_form(text) or sw.queryType  # (the form as the query's syntax gives it: see query_form)
    graph_result = sw.queryType in ("CONSTRUCT", "DESCRIBE")
    sw.setReturnFormat(TURTLE if graph_result else JSON)
    started = time.monotonic()

    def exchange():
        response = sw.query()
        ctype = (response.info().get("content-type") or "").split(";")[0].strip().lower()
        return ctype, read_answer(response.response, started + timeout)

    try:
        ctype, body = _within(timeout + 1, exchange)
    except SPARQLWrapperException as exc:
        raise _fail(endpoint, _describe_sparqlwrapper(exc), creds) from None
    except Exception as exc:  # noqa: BLE001 - every transport failure ends as exit 3
        raise _fail(endpoint, _describe(exc), creds) from None
    if graph_result:
        fmt = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
               "application/ld+json": "json-ld", "text/plain": "nt",
               # pre-registration Turtle types, still sent by Virtuoso 7
               "application/turtle": "turtle", "application/x-turtle": "turtle"}.get(ctype)
        if fmt is None:
            raise _fail(endpoint, f"unexpected content type {ctype or '(none)'} for a graph result", creds)
        return Result("graph", graph=parse_graph_answer(body, fmt, lambda why: _fail(endpoint, why, creds)))
    if ctype not in ("application/sparql-results+json", "application/json"):
        raise _fail(endpoint, f"unexpected content type {ctype or '(none)'}; expected application/sparql-results+json", creds)
    try:
        return from_sparql_json(json_loads(body))
    except (ValueError, KeyError, TypeError) as exc:
        raise _fail(endpoint, f"unreadable JSON results: {exc}", creds) from None


class AnswerTooLarge(OSError):
    pass


def read_answer(resp, deadline: float, limit: int | None = None) -> bytes:
    """A server's answer, read whole before ``deadline`` (a ``time.monotonic()``) and up to ``limit`` bytes.

    The socket's timeout bounds each wait, not the answer: a server sending a byte a second held ``query --timeout
    3`` forever, and one sending without end grew the process by gigabytes (16 GB in a minute). Either is now an
    error naming the cause (exit 3).

    >>> import io
    >>> read_answer(io.BufferedReader(io.BytesIO(b"abc")), time.monotonic() + 5)
    b'abc'
    >>> read_answer(io.BufferedReader(io.BytesIO(b"abcdef")), time.monotonic() + 5, limit=4)
    Traceback (most recent call last):
    ...
    drugpolicy_kg.sparql.endpoint.AnswerTooLarge: the answer passed 4 bytes; narrow the query (LIMIT) or ask the server for less
    """
    limit = MAX_ANSWER if limit is None else limit
    parts, size = [], 0
    while True:
        chunk = resp.read1(1 << 16)
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > limit:
            raise AnswerTooLarge(f"the answer passed {limit} bytes; narrow the query (LIMIT) or ask the server for less")
        if time.monotonic() > deadline:
            raise TimeoutError(STILL_ARRIVING)
        parts.append(chunk)


def parse_graph_answer(body: bytes, fmt: str, fail) -> Graph:
    """A server's graph answer, read by Oxigraph's parsers, which fetch nothing: a JSON-LD ``@context`` naming a URL
    or a file is an error, not a request; an RDF/XML answer that declares entities (a DTD) is refused before
    parsing, so a few hundred bytes cannot expand to gigabytes."""
    import pyoxigraph as ox

    from drugpolicy_kg.graph.oxi import rdflib_graph

    form = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "xml": ox.RdfFormat.RDF_XML,
            "json-ld": ox.RdfFormat.JSON_LD}[fmt]
    if fmt == "xml" and (b"<!ENTITY" in body or b"<!DOCTYPE" in body):
        raise fail("an RDF/XML answer that declares a DTD or entities is refused")
    try:
        return rdflib_graph([q.triple for q in ox.parse(body, format=form)])
    except (SyntaxError, ValueError, OSError) as exc:
        raise fail(f"unreadable {fmt} answer: {str(exc)[:200]}") from None


# ------------------------------------------------------------------- push --

@dataclass
class PushReport:
    endpoint: str
    graph: str
    method: str
    triples_sent: int
    triples_on_server: int


def _within(seconds: float, exchange):
    """One exchange with a server, in a thread of its own that is left when the time is up: the socket's timeout
    bounds each wait, so a server sending its headers a byte a second would otherwise hold the caller for ever."""
    return within(seconds, exchange, "drugpolicy-kg-exchange", overdue=STILL_ARRIVING)


def _request(url: str, method: str, data: bytes | None, headers: dict, timeout: float, creds: Credentials | None):
    return _within(timeout + 1, lambda: _exchange(url, method, data, headers, timeout, creds))


def _exchange(url: str, method: str, data: bytes | None, headers: dict, timeout: float, creds: Credentials | None):
    req = urllib.request.Request(url, data=data, method=method, headers={"User-Agent": USER_AGENT, **headers})  # noqa: S310
    handlers = []
    if creds is not None:
        mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, url, creds.user, creds.password)
        if creds.scheme == "digest":
            handlers.append(urllib.request.HTTPDigestAuthHandler(mgr))
        else:
            token = base64.b64encode(f"{creds.user}:{creds.password}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
    opener = urllib.request.build_opener(_SameOriginRedirects, *handlers)
    started = time.monotonic()
    with opener.open(req, timeout=timeout) as resp:  # noqa: S310 - the user names the endpoint
        return resp.status, read_answer(resp, started + timeout)


def _update(update_url: str, text: str, timeout: float, creds: Credentials | None) -> None:
    body = urllib.parse.urlencode({"update": text}).encode()
    _request(update_url, "POST", body, {"Content-Type": "application/x-www-form-urlencoded"}, timeout, creds)


def count_triples(endpoint: str, graph: str, timeout: float = DEFAULT_TIMEOUT, creds: Credentials | None = None) -> int:
    """How many triples the named graph holds on the server."""
    from rdflib import URIRef

    r = remote_query(endpoint, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {URIRef(graph).n3()} {{ ?s ?p ?o }} }}",
                     timeout=timeout, creds=creds)
    return int(r.rows[0][0]) if r.rows else 0


GENID_AUTHORITY, GENID_PATH = "https://w3id.org", "/drugpolicy-kg/.well-known/genid/"
GENID = GENID_AUTHORITY + GENID_PATH  # where a pushed blank node gets its IRI (either writer)


@dataclass
class Payload:
    """What a push sends: N-Triples, each triple once, blank nodes skolemized, and how many triples."""

    nt: bytes
    triples: int


def store_payload(gs, name: str | None = None) -> Payload:
    """The union of a project's store (or one named graph of it) as a push sends it, written by Oxigraph.

    Blank nodes become well-known IRIs (RDF 1.1, section 3.5): some servers (Virtuoso) refuse blank nodes in
    INSERT DATA, and chunks must not split one blank node into several. (rdflib's copy, skolemize and serializer
    took 24 s for the shipped graph's 275,000 triples; this takes about one.)"""
    import pyoxigraph as ox

    from drugpolicy_kg.resources import internal_query

    def named(term):
        return ox.NamedNode(GENID + term.value) if isinstance(term, ox.BlankNode) else term

    if name is None:
        triples = (ox.Triple(sol["s"], sol["p"], sol["o"]) for sol in gs.query(internal_query("union-triples.rq")))
    else:
        triples = (q.triple for q in gs.store.quads_for_pattern(None, None, None, ox.NamedNode(name)))
    out = [ox.Triple(named(t.subject), t.predicate, named(t.object)) for t in triples]
    return Payload(ox.serialize(out, format=ox.RdfFormat.N_TRIPLES) or b"", len(out))


def graph_payload(graph: Graph) -> Payload:
    """An rdflib graph as a push sends it (see :func:`store_payload`)."""
    graph = graph.skolemize(authority=GENID_AUTHORITY, basepath=GENID_PATH)
    return Payload(graph.serialize(format="nt", encoding="utf-8"), len(graph))


def push(graph: Graph | Payload, endpoint: str, target: str, gsp: str | None = None, update: str | None = None,
         chunk: int = 1000, timeout: float = DEFAULT_TIMEOUT, creds: Credentials | None = None,
         progress=None) -> PushReport:
    """Replace the named graph ``target`` on the server with ``graph`` (an rdflib graph, or a store's
    :func:`store_payload`).

    First the SPARQL 1.1 Graph Store Protocol: one PUT of N-Triples replaces
    the graph atomically (a re-run leaves one copy). If the server has no
    Graph Store endpoint, chunked ``INSERT DATA`` into a fresh staging graph,
    then ``MOVE`` it onto the target in one update, so the target is never
    half-written. Blank nodes are skolemized first. The count on the server is checked afterwards.
    """
    from rdflib import URIRef

    if not target or ":" not in target:
        raise UsageError(f"--graph must be an absolute IRI, got {target!r}")
    if not isinstance(chunk, int) or chunk < 1:
        raise UsageError(f"--chunk must be a whole number of at least 1, got {chunk!r}")
    URIRef(target).n3()  # refuses IRIs that cannot be written safely
    payload = graph if isinstance(graph, Payload) else graph_payload(graph)
    nt, sent = payload.nt, payload.triples
    method = None
    if gsp:
        url = gsp + ("&" if "?" in gsp else "?") + urllib.parse.urlencode({"graph": target})
        try:
            if progress:
                progress(0, sent)
            _request(url, "PUT", nt, {"Content-Type": "application/n-triples"}, timeout, creds)
            if progress:
                progress(sent, sent)
            method = "graph-store PUT"
        except urllib.error.HTTPError as exc:
            if exc.code not in (404, 405, 415, 501) or not update:
                raise _fail(gsp, _describe(exc), creds) from None
        except Exception as exc:  # noqa: BLE001
            raise _fail(gsp, _describe(exc), creds) from None
    if method is None:
        if not update:
            raise UsageError("give --gsp URL (Graph Store Protocol) or --update URL (SPARQL Update) to push")
        staging = URIRef(f"{target}#staging-{uuid.uuid4().hex}")
        lines = [line for line in nt.decode("utf-8").split("\n") if line.strip()]  # not splitlines(): literals may hold U+2028 etc.
        try:
            _update(update, f"DROP SILENT GRAPH {staging.n3()}", timeout, creds)
            for start in range(0, len(lines), chunk):
                part = "\n".join(lines[start:start + chunk])
                _update(update, f"INSERT DATA {{ GRAPH {staging.n3()} {{\n{part}\n}} }}", timeout, creds)
                if progress:
                    progress(min(start + chunk, len(lines)), len(lines))
            _update(update, f"MOVE SILENT GRAPH {staging.n3()} TO GRAPH {URIRef(target).n3()}", timeout, creds)
        except BaseException as exc:  # a failure, Ctrl-C or SIGTERM: the staging graph is removed on every exit path
            try:
                _update(update, f"DROP SILENT GRAPH {staging.n3()}", timeout, creds)
            except Exception:  # noqa: BLE001, S110 - best effort; the target graph was not touched
                pass
            if not isinstance(exc, Exception):
                raise
            raise _fail(update, _describe(exc), creds) from None
        method = "SPARQL Update into a staging graph, then MOVE"
    on_server = count_triples(endpoint, target, timeout, creds)
    if on_server != sent:
        raise _fail(endpoint, f"pushed {sent} triples but the graph holds {on_server}", creds)
    return PushReport(endpoint, target, method, sent, on_server)
