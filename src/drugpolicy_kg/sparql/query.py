"""Run the competency questions (``queries/*.rq``) or any SPARQL, locally or on a remote endpoint.

User values never enter the query text unescaped:

- remotely, each is written by :func:`sparql_term` (Oxigraph's own N-Triples
  writer: IRIs and language tags are validated when the term is made, strings
  are escaped) into a ``VALUES`` block opening the query's WHERE clause (see
  :func:`with_values`);
- locally, they are *bound* (pyoxigraph ``substitutions``, the SEP-0007
  equivalent of rdflib's ``initBindings``) and carried by the same block, from
  which Oxigraph's planner learns them (see :meth:`LocalEngine.execute`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from drugpolicy_kg.errors import InputError, UsageError
from drugpolicy_kg.resources import PREFIXES, Project
from drugpolicy_kg.sparql.queryfile import QueryFile, parse_query_text, read_query_file
from drugpolicy_kg.sparql.results import Result

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing: 3 ms of every command's start)
if TYPE_CHECKING:
    pass

_IRI_BAD = re.compile(r'[\s<>"{}|^`\\]')
_LITERAL = re.compile(r'^"((?:[^"\\]|\\.)*)"(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*)|\^\^<([^<>"\s]+)>)?$', re.S)
_POSITION = re.compile(r"error at (\d+):(\d+)")


def list_queries(project: Project) -> list[QueryFile]:
    """The competency questions shipped in ``queries/`` (the checks in ``queries/checks`` are not listed).

    >>> len(list_queries(Project.open())) >= 15
    True
    """
    if not project.queries_dir.is_dir():
        return []
    return [read_query_file(p) for p in sorted(project.queries_dir.glob("*.rq"))]


def find_query(project: Project, name: str) -> QueryFile:
    """A query by name (``members-of-body``) or by path (``my.rq``); a miss suggests close names."""
    path = Path(name)
    if name.endswith(".rq") or "/" in name or path.exists():  # a path, never a query's name: read (or refused) as one
        if not path.exists():
            raise UsageError(f"query file not found: {name}")
        return read_query_file(path)
    folder = project.queries_dir
    if folder.is_dir() and f"{name}.rq" in os.listdir(folder):  # its own file only: reading and checking all 38
        return read_query_file(folder / f"{name}.rq")  # took a third of a warm query's time
    queries = {q.name: q for q in list_queries(project)}
    if name in queries:
        return queries[name]
    import difflib  # (only where a name is not found: not imported by every command)

    close = difflib.get_close_matches(name, list(queries), n=4, cutoff=0.4)
    hint = f"; did you mean: {', '.join(close)}" if close else "; run 'drugpolicy-kg query --list'"
    raise UsageError(f"unknown query {name!r}{hint}")


def parse_value(text: str, default: str | None = None, resolve=None):
    r"""Turn a ``--param`` value into one RDF term (a pyoxigraph term), never into query text.

    Accepted: ``<IRI>``, ``prefix:name`` (our prefixes), a quoted literal
    (``"fr"``, ``"x"@en``, ``"1"^^<...>``), or bare text: a name or acronym when
    the parameter's default is an IRI (``ITWG``), else a plain literal.

    >>> sparql_term(parse_value("<http://x/a>"))
    '<http://x/a>'
    >>> sparql_term(parse_value('fr" } UNION { ?s ?p ?o', default='"en"'))
    '"fr\\" } UNION { ?s ?p ?o"'
    >>> sparql_term(parse_value("dpk:itwg"))
    '<https://w3id.org/drugpolicy-kg/id/itwg>'
    """
    import pyoxigraph as ox

    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes of another encoding on the command line (Python keeps them as surrogates)
        raise UsageError(f"not UTF-8 text: {text!r}; give the value in UTF-8") from None

    def iri(value: str, what: str):
        if not value or _IRI_BAD.search(value):
            raise UsageError(f"not a valid absolute {what}: {value!r}")
        try:
            return ox.NamedNode(value)
        except ValueError as exc:
            raise UsageError(f"not a valid absolute {what}: {value!r} ({exc})") from None

    if text.startswith("<") and text.endswith(">"):
        return iri(text[1:-1], "IRI")
    m = _LITERAL.match(text)
    if m:
        value = re.sub(r'\\(["\\])', r"\1", m.group(1))
        try:
            if m.group(2):
                return ox.Literal(value, language=m.group(2))
            if m.group(3):
                return ox.Literal(value, datatype=iri(m.group(3), "datatype IRI"))
            return ox.Literal(value)
        except ValueError as exc:
            raise UsageError(f"not a valid literal {text!r}: {exc}") from None
    prefix, _, local = text.partition(":")
    if local and prefix in PREFIXES and re.fullmatch(r"[\w.\-]+", local):
        return iri(PREFIXES[prefix] + local, "IRI")
    if default is not None and default.startswith("<"):
        if resolve is None:
            raise UsageError(f"expected an IRI in <...> or a prefixed name, got {text!r}")
        return iri(resolve(text), "IRI")
    return ox.Literal(text)


def sparql_term(term) -> str:
    r"""The one way a value becomes query text: a pyoxigraph term (or an rdflib one, converted) in N-Triples syntax,
    which SPARQL reads as the same term.

    >>> import pyoxigraph as ox
    >>> sparql_term(ox.Literal('x" } ; DROP ALL ; #\n'))
    '"x\\" } ; DROP ALL ; #\\n"'
    """
    import pyoxigraph as ox

    from drugpolicy_kg.graph.oxi import to_oxigraph_term

    term = to_oxigraph_term(term)
    if isinstance(term, ox.BlankNode):
        raise UsageError("a blank node cannot be sent as a parameter value")
    return str(term)


def bind_params(query: QueryFile, given: dict[str, str], resolve=None, use_defaults: bool = True) -> dict:
    """Bindings for a query: its defaults, overridden by ``given``; unknown names are a UsageError."""
    unknown = set(given) - set(query.params)
    if unknown and (query.params or "params" in query.meta):  # a query that declares what it takes (maybe nothing)
        raise UsageError(f"unknown parameter(s) {', '.join(sorted(unknown))} for {query.name}; "
                         f"accepted: {', '.join(query.params) or 'none'}")
    if unknown:
        # a free-form query: every --param names a variable of the query text
        for name in unknown:
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise UsageError(f"not a variable name: {name!r}")
    out = {}
    if use_defaults:
        for name, default in query.params.items():
            if default:
                out[name] = parse_value(default)
    for name, value in given.items():
        out[name] = parse_value(value, query.params.get(name), resolve)
    return out


def values_clause(bindings: dict) -> str:
    r"""A VALUES block carrying bindings, each term written by :func:`sparql_term`.

    >>> import pyoxigraph as ox
    >>> values_clause({"lang": ox.Literal('x" } ; DROP ALL ; #')})
    ' VALUES (?lang) { ("x\\" } ; DROP ALL ; #") } '
    """
    if not bindings:
        return ""
    for name in bindings:
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise UsageError(f"not a variable name: {name!r}")
    names = " ".join("?" + n for n in bindings)
    terms = " ".join(sparql_term(t) for t in bindings.values())
    return f" VALUES ({names}) {{ ({terms}) }} "


def _scan(text: str):
    """Yield (offset, token) for SPARQL code outside comments, string literals and IRIs.

    Tokens are single characters, except runs of letters, which come whole (keywords, names).
    """
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            i = j + len(quote)
            continue
        if c == "<":
            m = re.match(r"<[^<>\"{}|^`\\\s]*>", text[i:])
            if m:
                i += m.end()
                continue
        if c == "\\":  # an escape in a local name (ex:p\#): the next character is part of the name, never a comment
            yield i, text[i:i + 2]
            i += 2
            continue
        if c.isalpha():
            m = re.match(r"\w+", text[i:])  # isalpha() is Unicode-wide, so is \w
            yield i, m.group(0)
            i += m.end()
            continue
        yield i, c
        i += 1


def _top_level_braces(text: str) -> tuple[str, list[int]]:
    """The query form keyword and the offsets of the ``{`` that open groups at nesting depth 0."""
    form, opens, depth, previous = "", [], 0, ""
    for pos, tok in _scan(text):
        if tok == "{":
            if depth == 0:
                opens.append(pos)
            depth += 1
        elif tok == "}":
            depth -= 1
        elif not form and tok.upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            form = tok.upper()
        elif form == "CONSTRUCT" and not opens and previous.upper() == "CONSTRUCT" and tok.upper() == "WHERE":
            form = "CONSTRUCT-WHERE"
        if not tok.isspace():
            previous = tok
    return form, opens


def query_form(text: str) -> str:
    """The query's form, "SELECT", "ASK", "CONSTRUCT" or "DESCRIBE" ("" for none), read from its syntax: words in its
    comments, strings and IRIs are not keywords (SPARQLWrapper's own reading strips every other line of a comment and
    took a CONSTRUCT whose comment spoke of a sub-select for a SELECT).

    >>> query_form("# what to ask\\nCONSTRUCT { ?s ?p ?o } WHERE { { SELECT ?s ?p ?o WHERE { ?s ?p ?o } } }")
    'CONSTRUCT'
    >>> query_form("PREFIX ex: <http://x/construct#> SELECT ('ASK' AS ?a) WHERE {}")
    'SELECT'
    """
    return _top_level_braces(text)[0].replace("-WHERE", "")


NETWORK_KEYWORDS = ("SERVICE", "LOAD")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")


def _code(text: str) -> str:
    """The query with comments, string literals and IRIs blanked out (same offsets): what is left is syntax."""
    out = [c if c == "\n" else " " for c in text]
    for pos, tok in _scan(text):
        out[pos:pos + len(tok)] = tok
    return "".join(out)


_DECLARED = re.compile(r"(?i)\bPREFIX\s+([A-Za-z][\w.-]*)?:")
_USED = re.compile(r"(?<![\w?$.:\-])([A-Za-z][\w.-]*)?:(?=[\w%\\]|[\s;,.)\]}]|$)")


def check_query(text: str, where: str = "query") -> None:
    """Refuse, with one line, what ``query`` cannot run: an update, or a prefix neither declared nor predeclared.

    >>> check_query("SELECT ?o WHERE { ?o a org:FormalOrganization }")
    >>> check_query("SELECT * { ?s a foo:Bar }")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    drugpolicy_kg.errors.UsageError: query: undefined prefix 'foo:' (known: bibo, dcat, dcterms, dpk, dpo, ...)
    """
    from drugpolicy_kg.resources import PREFIXES

    code = _code(text)
    m = re.match(r"\s*(?:(?:PREFIX\s+[\w.-]*:|BASE)\s*)*([A-Za-z]+)", code, re.I)
    if m and m.group(1).upper() in UPDATE_KEYWORDS:
        raise UsageError(f"{where}: updates are not run by query (it only reads); change the data files and build, "
                         "or send an update to a server with push --update")
    declared = set(_DECLARED.findall(code))
    for prefix in _USED.findall(code):
        if prefix not in declared and prefix not in PREFIXES:
            raise UsageError(f"{where}: undefined prefix '{prefix}:' (known: {', '.join(sorted(PREFIXES))})")


def with_prefixes(text: str) -> str:
    """The query with a PREFIX line for each predeclared prefix it uses but does not declare (for a remote server,
    which knows none of ours).

    >>> with_prefixes("SELECT * { ?o a org:Post }").splitlines()[0]
    'PREFIX org: <http://www.w3.org/ns/org#>'
    """
    from drugpolicy_kg.resources import PREFIXES

    code = _code(text)
    declared = set(_DECLARED.findall(code))
    needed = sorted({p for p in _USED.findall(code) if p in PREFIXES and p not in declared})
    return "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in needed) + text


def network_use(text: str, update: bool | None = False, prefixes: dict | None = None) -> list[str]:
    r"""The keywords of a query (or, with ``update``, an update; None: either) that would make the engine fetch from
    the network, SERVICE and LOAD, as Oxigraph's own parser reads the text: not ``?load``, not ``schema:Service``,
    not inside a string, an IRI or a comment, and SPARQL 1.2 (``VERSION``, triple terms) read as Oxigraph reads it.

    pyoxigraph gives no parser apart from running a query, and a query cannot be run to see whether it calls a
    SERVICE. So every place where either word is written, in any case, is overwritten with as many ``z`` (a word
    no rule of the grammar takes), and Oxigraph parses that text, on an empty store of its own, never run further
    (a SELECT's rows are not asked for). If it parses, no keyword was there: a keyword's place takes only a keyword.
    If it does not, and Oxigraph stops within a keyword's length of an overwritten place, a keyword was there. If it
    stops anywhere else, the text has a syntax error of its own, raised as :class:`SyntaxError` with Oxigraph's
    message: such a text is refused, never scanned for what it might mean.

    Codepoint escapes are read both ways a parser may read them: only inside strings and IRIs, as Oxigraph does
    (there ``"\u0022"`` is a string of one quote, not the start of a long string that hides what follows), and
    first, before anything else, as SPARQL 1.1 (19.2) says and rdflib (pySHACL's engine) does: ``\u0053ERVICE`` is
    SERVICE. A keyword either reading finds counts; in the second reading a text that does not parse counts every
    word it holds (no engine of ours reads it so; it fails closed).

    >>> network_use('SELECT * { SERVICE <http://x/> { ?s ?p ?o } }')
    ['SERVICE']
    >>> network_use('SELECT * { ?s ?p "SERVICE" } # LOAD'), network_use('SELECT ?load { ?load a dcat:DataService }')
    ([], [])
    >>> network_use('VERSION "1.2" SELECT * { ?s ?p "the word service" }'), network_use('LOAD <http://x/>', None)
    ([], ['LOAD'])
    >>> network_use('SELECT * { ?s ?p "service" ')
    Traceback (most recent call last):
    ...
    SyntaxError: error at 1:28: expected one of ",", ".", ";", "@", "^^", "{", "{|", "}", "~", [_]
    """
    if prefixes is None:
        prefixes = PREFIXES
    found: set[str] = set()
    for own, reading in ((True, text), (False, _codepoints(text))):
        if not own and reading == text:
            break  # (no escape: one reading)
        words = list(_NETWORK_WORD.finditer(reading))
        if not words:
            continue  # neither word anywhere in this reading, in any case: not as a keyword
        if nesting_depth(reading) > MAX_NESTING:  # (before any parser sees it: deep nesting exhausts its stack)
            raise SyntaxError(TOO_DEEP)
        masked = _NETWORK_WORD.sub(lambda m: "z" * len(m.group()), reading)
        error = _oxigraph_syntax_error(masked, update, {_NETWORK_WORD.sub("z", k): v for k, v in prefixes.items()})
        if error is None:
            continue
        message, at = error
        # Which of the two the message says (the text is refused either way): a word within reach of where Oxigraph
        # stopped, standing as a word of its own outside strings, IRIs and comments; not a prefix not declared, which
        # is the text's own error wherever it is (the overwriting kept every prefix's name)
        code = _code(reading) if "Prefix not found" not in message else ""
        near = [m for m in words if m.start() <= at <= m.start() + _KEYWORD_REACH and _standing_alone(code, m)]
        if near:
            found.update(_word_of(m.group()) for m in near)
        elif own:
            raise SyntaxError(message)
        else:
            found.update(_word_of(m.group()) for m in words)
    return sorted(found)


# both words in any case, by any folding an engine might apply ("ſ" is "s"): more places than Oxigraph's ASCII
# case-insensitive keywords, never fewer
_NETWORK_WORD = re.compile("|".join(NETWORK_KEYWORDS), re.IGNORECASE)
# how far past the start of a word Oxigraph's parser may say it stopped when the word stood where a keyword goes:
# it reads as many characters as the longest keyword it tries there ("OPTIONAL", "CONSTRUCT") before it gives up
_KEYWORD_REACH = 16


def _standing_alone(code: str, m: re.Match) -> bool:
    """Whether the word found is, by the scanner's reading, a word of its own in the syntax: not in a string, an
    IRI or a comment, not part of a name, a variable or a language tag. ``code`` "": none is (a prefix not found).

    >>> m = re.search("service", "?s service:x ?o")
    >>> _standing_alone("?s service:x ?o", m), _standing_alone("", m)
    (False, False)
    """
    if code[m.start():m.end()] != m.group():  # (blanked: in a string, an IRI or a comment; or no code at all)
        return False
    before = code[m.start() - 1] if m.start() else " "
    after = code[m.end()] if m.end() < len(code) else " "
    return not re.match(r"[\w?$:@-]", before) and not re.match(r"[\w:-]", after)


def _word_of(written: str) -> str:
    return "SERVICE" if len(written) == len("SERVICE") else "LOAD"


def words_anywhere(text: str) -> list[str]:
    """SERVICE and LOAD written anywhere in the text or in its reading of escapes, in any case: what a guard that
    cannot parse a text (a fragment another tool completes) must assume."""
    return sorted({_word_of(m.group()) for reading in (text, _codepoints(text)) for m in _NETWORK_WORD.finditer(reading)})


def _oxigraph_syntax_error(text: str, update: bool | None, prefixes: dict) -> tuple[str, int] | None:
    """Oxigraph's syntax error for the text and where it stops (an offset in characters); None if it parses. The
    text holds neither SERVICE nor LOAD (they were overwritten), so nothing it could do reaches the network."""
    import pyoxigraph as ox

    errors = []
    for as_update in ((False, True) if update is None else (update,)):
        store = ox.Store()
        try:
            if as_update:
                store.update(text, prefixes=prefixes)
            else:
                store.query(text, prefixes=prefixes)  # (a SELECT's or CONSTRUCT's rows are never asked for)
            return None
        except SyntaxError as exc:
            m = _POSITION.search(str(exc))
            at = len(text)
            if m:
                line, col = int(m.group(1)), int(m.group(2))
                lines = text.split("\n")
                at = sum(len(x) + 1 for x in lines[:line - 1]) + col - 1
            errors.append((at, str(exc)))
        except Exception as exc:  # noqa: BLE001 - not a syntax error, yet no answer: what it is cannot be told, so
            errors.append((-1, f"{type(exc).__name__}: {exc}"))  # it fails closed (refused, as a text that does not parse)
    at, message = max(errors)  # (the grammar that read further is the one the text was written in)
    return message, at


_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _codepoints(text: str) -> str:
    """The query as the SPARQL grammar reads it: codepoint escapes replaced by their characters (SPARQL 1.1, 19.2);
    an escape naming no character is left as written (the engine refuses it)."""
    def one(m: re.Match) -> str:
        cp = int(m.group(1) or m.group(2), 16)
        return chr(cp) if cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF else m.group(0)

    return _CODEPOINT.sub(one, text) if "\\u" in text or "\\U" in text else text


MAX_NESTING = 200
TOO_DEEP = f"braces, brackets, parentheses and unary operators nest deeper than {MAX_NESTING}"  # (query and serve say it)


def nesting_depth(text: str) -> int:
    """How deeply a query nests (outside strings, IRIs and comments): braces, parentheses and brackets (blank node
    property lists), and a run of unary operators (``!``, ``-``, ``+``, ``^``), each of which a parser descends into
    as one more level: 20,000 ``!`` or 5,000 nested ``[`` crashed the engine's parser.

    >>> nesting_depth("SELECT * { { ?s ?p ( 1 ) } }")
    3
    >>> nesting_depth("SELECT * { ?s ?p [ ?q [ ?r 1 ] ] FILTER(!!!?x) }")
    5
    """
    depth = top = run = 0
    for _, tok in _scan(text):
        if tok in ("{", "(", "["):
            depth += 1
            run = 0
        elif tok in ("}", ")", "]"):
            depth -= 1
            run = 0
        elif tok in ("!", "-", "+", "^"):
            run += 1
        elif not tok.isspace():
            run = 0
        top = max(top, depth + run)
    return top


def with_values(text: str, bindings: dict) -> str:
    """The query with a VALUES block opening its WHERE clause: how bindings travel to a remote endpoint.

    Placed first in the outermost group, the block binds the variables before any FILTER sees them,
    as local binding does; the values are rendered by rdflib, so they cannot change the query.

    >>> import pyoxigraph as ox
    >>> with_values("SELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x", {"p": ox.NamedNode("http://x/p")})
    'SELECT ?x WHERE { VALUES (?p) { (<http://x/p>) }  ?x ?p ?o } ORDER BY ?x'
    """
    if not bindings:
        return text
    form, opens = _top_level_braces(text)
    index = 1 if form == "CONSTRUCT" else 0
    if len(opens) <= index:
        raise UsageError("cannot find the WHERE clause to bind parameters in")
    at = opens[index] + 1
    return text[:at] + values_clause(bindings) + text[at:]


def syntax_error(exc: Exception, where: str) -> InputError:
    m = _POSITION.search(str(exc))
    line, col = (int(m.group(1)), int(m.group(2))) if m else (None, None)
    return InputError(f"SPARQL syntax error: {exc}", where, line, col)


class LocalEngine:
    """Queries on the project's store (see :mod:`drugpolicy_kg.graph.store`): the union of all graphs is
    the default graph, and each source's graph is there by name (``GRAPH ?g``).

    >>> e = LocalEngine(Project.open())
    >>> e.run("ASK { ?s a <https://w3id.org/drugpolicy-kg/ontology#WorkingGroup> }").boolean
    True
    >>> e.run("ASK { GRAPH <https://w3id.org/drugpolicy-kg/graph/cnd65-crp-itwg> { ?s ?p ?o } }").boolean
    True
    """

    def __init__(self, project: Project, graph_store=None):
        from drugpolicy_kg.graph.store import GraphStore

        self.project = project
        self.gs = graph_store or GraphStore.open(project)
        self.store = self.gs.store

    @property
    def graph(self):
        """The store behind rdflib's API (names, labels, namespace prefixes)."""
        return self.gs.rdflib()

    def resolver(self):
        tracer = None

        def resolve(term: str) -> str:
            from drugpolicy_kg.uses.trace import NAMES_MEMO, Tracer

            nonlocal tracer
            tracer = tracer or Tracer(self.gs.view(), names_memo=self.gs.memo(*NAMES_MEMO))
            return tracer.resolve(term)

        return resolve

    def execute(self, text: str, bindings: dict | None = None, where: str = "query", allow_network: bool = False):
        """Run on the local store and return Oxigraph's own result; a query that would reach the network
        (SERVICE, LOAD) is refused unless ``allow_network``."""
        import pyoxigraph as ox

        if nesting_depth(text) > MAX_NESTING:
            raise UsageError(f"{where}: {TOO_DEEP}: refused")
        if not allow_network:
            try:
                used = network_use(text)
            except SyntaxError as exc:  # (a text Oxigraph cannot parse is refused here, never run)
                raise syntax_error(exc, where) from None
            if used:
                raise UsageError(f"{where}: {', '.join(used)} would reach the network from a local query; "
                                 "pass --allow-network to permit it")
        from drugpolicy_kg.graph.oxi import to_oxigraph_term

        subs = {ox.Variable(k): to_oxigraph_term(v) for k, v in (bindings or {}).items()}
        valued = None
        if subs:
            # bound twice: Oxigraph orders a query's patterns without knowing what its substitutions bind (a member
            # of a million triples' memberships looked up after reading them all), so the values also open the
            # WHERE clause, written as the remote path writes them (with_values); the substitutions still bind
            # them inside UNIONs, where a VALUES block outside would be joined only after each branch is read whole.
            # Bound both ways, resolutions-concerning-actor 13 ms -> 0.4 ms at 1M, mandates-of-resolution 274 ->
            # 53 ms; the same rows (tested on every shipped query with parameters)
            try:
                valued = with_values(text, bindings)
            except UsageError:  # no WHERE clause to open (DESCRIBE <x>), a blank node: the substitutions alone
                pass

        def ask(query_text: str):
            try:
                return self.gs.query(query_text, subs)
            except RuntimeError as exc:  # e.g. a bound variable the SELECT does not project
                raise UsageError(f"{where}: cannot bind the parameters: {exc}") from None

        if valued is not None:
            try:
                return ask(valued)
            except SyntaxError:  # (a value the query itself BINDs: the query as written says what is wrong)
                pass
        try:
            return ask(text)
        except SyntaxError as exc:
            raise syntax_error(exc, where) from None

    def run(self, text: str, bindings: dict | None = None, where: str = "query", allow_network: bool = False) -> Result:
        """Run on the local store; the result with rdflib terms (for Python callers: notebooks, tests)."""
        import pyoxigraph as ox

        from drugpolicy_kg.graph.oxi import rdflib_graph, rdflib_rows

        res = self.execute(text, bindings, where, allow_network)
        if isinstance(res, ox.QueryBoolean):
            return Result("ask", boolean=bool(res))
        if isinstance(res, ox.QuerySolutions):
            return Result("select", *rdflib_rows(res))
        return Result("graph", graph=rdflib_graph(res))


def prepare(project: Project, name: str | None, sparql: str | None) -> QueryFile:
    """The query to run: a shipped name, a file, or text given with ``--sparql``."""
    if sparql is not None:
        return parse_query_text(sparql, name="--sparql")
    if not name:
        raise UsageError("give a query NAME or FILE.rq, or --sparql TEXT (see 'drugpolicy-kg query --list')")
    return find_query(project, name)
