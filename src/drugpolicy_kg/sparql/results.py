"""Query results, engine-neutral, and their serialisations.

SELECT and ASK results follow the W3C specifications exactly:
SPARQL 1.1 Query Results JSON Format, CSV and TSV Formats, and XML Format.
CONSTRUCT and DESCRIBE results are RDF graphs (Turtle, N-Triples, JSON-LD).
"""

from __future__ import annotations

import io
import json
import re
from functools import lru_cache

from drugpolicy_kg.errors import UsageError
from drugpolicy_kg.records import Record

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing: 3 ms of every command's start)
if TYPE_CHECKING:
    from rdflib import Graph

TABULAR = ("table", "csv", "tsv", "json", "xml")
GRAPH_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class Result(Record):
    """What a query returned: ``kind`` is ``select``, ``ask`` or ``graph``; ``rows`` hold rdflib terms, None for
    unbound."""

    __slots__ = ("kind", "variables", "rows", "boolean", "graph")

    def __init__(self, kind: str, variables: list[str] | None = None, rows: list[tuple] | None = None,
                 boolean: bool | None = None, graph: Graph | None = None):
        self.kind = kind
        self.variables = variables if variables is not None else []
        self.rows = rows if rows is not None else []
        self.boolean, self.graph = boolean, graph

    def row_set(self) -> set[tuple]:
        return {tuple(None if t is None else t.n3() for t in r) for r in self.rows}


_SHORT = {  # Turtle's bare forms, which the TSV format uses where the lexical form allows them
    "http://www.w3.org/2001/XMLSchema#integer": re.compile(r"[+-]?[0-9]+"),
    "http://www.w3.org/2001/XMLSchema#decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    "http://www.w3.org/2001/XMLSchema#double": re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+"),
    "http://www.w3.org/2001/XMLSchema#boolean": re.compile(r"true|false"),
}


def _ntriples(term) -> str:
    """A term in Turtle syntax, as the TSV format wants: numbers and booleans bare, strings escaped.

    >>> from rdflib import Literal, XSD
    >>> _ntriples(Literal("44", datatype=XSD.integer)), _ntriples(Literal("1e3", datatype=XSD.double, normalize=False))
    ('44', '1e3')
    """
    from rdflib import Literal

    if isinstance(term, Literal) and term.datatype is not None:
        dt = str(term.datatype)
        if dt == XSD_STRING:
            term = Literal(str(term))
        elif dt in _SHORT and _SHORT[dt].fullmatch(str(term)):
            return str(term)
    return term.n3()


def to_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON Format.

    >>> from rdflib import Literal, URIRef
    >>> print(to_json(Result("select", ["x"], [(Literal("a", lang="en"),)])))
    {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "a", "xml:lang": "en"}}]}}
    """
    from rdflib import BNode, URIRef

    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)})
    bindings = []
    for row in result.rows:
        b = {}
        for var, term in zip(result.variables, row):
            if term is None:
                continue
            if isinstance(term, URIRef):
                b[var] = {"type": "uri", "value": str(term)}
            elif isinstance(term, BNode):
                b[var] = {"type": "bnode", "value": str(term)}
            else:
                lit = {"type": "literal", "value": str(term)}
                if term.language:
                    lit["xml:lang"] = term.language
                elif term.datatype is not None and str(term.datatype) != XSD_STRING:
                    lit["datatype"] = str(term.datatype)
                b[var] = lit
        bindings.append(b)
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}}, ensure_ascii=False)


def to_csv(result: Result) -> str:
    """SPARQL 1.1 CSV: header of variable names, plain values, RFC 4180 quoting, CRLF line ends."""
    import csv

    from rdflib import BNode

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if result.kind == "ask":
        w.writerow(["_askResult"])
        w.writerow(["true" if result.boolean else "false"])
        return buf.getvalue()
    w.writerow(result.variables)
    for row in result.rows:
        w.writerow(["" if t is None else ("_:" + str(t) if isinstance(t, BNode) else str(t)) for t in row])
    return buf.getvalue()


def to_tsv(result: Result) -> str:
    """SPARQL 1.1 TSV: header of ``?var``, values in Turtle syntax, tab-separated, LF line ends.

    >>> from rdflib import Literal, URIRef
    >>> to_tsv(Result("select", ["s", "o"], [(URIRef("http://x/a"), Literal('say "hi"\\tnow'))]))
    '?s\\t?o\\n<http://x/a>\\t"say \\\\"hi\\\\"\\\\tnow"\\n'
    """
    if result.kind == "ask":
        return "?_askResult\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join("?" + v for v in result.variables)]
    for row in result.rows:
        cells = []
        for t in row:
            cell = "" if t is None else _ntriples(t)
            cells.append(cell.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r"))
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def to_xml(result: Result) -> str:
    """SPARQL Query Results XML Format."""
    from xml.sax.saxutils import escape as xml_escape
    from xml.sax.saxutils import quoteattr

    from rdflib import BNode, URIRef

    out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "  <head>"]
    out += [f"    <variable name={quoteattr(v)}/>" for v in result.variables]
    out.append("  </head>")
    if result.kind == "ask":
        out.append(f"  <boolean>{'true' if result.boolean else 'false'}</boolean>")
    else:
        out.append("  <results>")
        for row in result.rows:
            out.append("    <result>")
            for var, t in zip(result.variables, row):
                if t is None:
                    continue
                if isinstance(t, URIRef):
                    val = f"<uri>{xml_escape(str(t))}</uri>"
                elif isinstance(t, BNode):
                    val = f"<bnode>{xml_escape(str(t))}</bnode>"
                elif t.language:
                    val = f"<literal xml:lang={quoteattr(t.language)}>{xml_escape(str(t))}</literal>"
                elif t.datatype is not None and str(t.datatype) != XSD_STRING:
                    val = f"<literal datatype={quoteattr(str(t.datatype))}>{xml_escape(str(t))}</literal>"
                else:
                    val = f"<literal>{xml_escape(str(t))}</literal>"
                out.append(f"      <binding name={quoteattr(var)}>{val}</binding>")
            out.append("    </result>")
        out.append("  </results>")
    out.append("</sparql>")
    return "\n".join(out) + "\n"


def to_table(result: Result, namespace_manager=None) -> str:
    if result.kind == "ask":
        return "true" if result.boolean else "false"

    def show(t):
        if t is None:
            return ""
        if namespace_manager is not None and hasattr(t, "n3") and not hasattr(t, "language"):
            try:
                return t.n3(namespace_manager)
            except Exception:  # noqa: BLE001 - fall back to the plain IRI
                return str(t)
        return str(t)

    return table_text(result.variables, [[show(t) for t in r] for r in result.rows]).rstrip("\n")


def render(result: Result, fmt: str, namespace_manager=None) -> str | bytes:
    """Serialise a result; a graph format for a table result (or the reverse) is a UsageError."""
    if result.kind == "graph":
        if fmt not in GRAPH_FORMATS:
            raise UsageError(f"a CONSTRUCT or DESCRIBE result is a graph: use --format {', '.join(GRAPH_FORMATS)}")
        return result.graph.serialize(format=GRAPH_FORMATS[fmt], encoding="utf-8")
    if fmt not in TABULAR:
        raise UsageError(f"a SELECT or ASK result is a table: use --format {', '.join(TABULAR)}")
    if fmt == "table":
        return to_table(result, namespace_manager) + "\n"
    if fmt == "json" or result.kind == "ask":
        return {"csv": to_csv, "tsv": to_tsv, "json": lambda r: to_json(r) + "\n", "xml": to_xml}[fmt](result)
    import pyoxigraph as ox  # CSV, TSV and XML by Oxigraph's writers, from the JSON form of the same rows

    solutions = ox.parse_query_results(to_json(result).encode("utf-8"), format=ox.QueryResultsFormat.JSON)
    data = solutions.serialize(format={"csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV,
                                       "xml": ox.QueryResultsFormat.XML}[fmt])
    return xml_line_ends(data) if fmt == "xml" else data


def xml_line_ends(data: bytes) -> bytes:
    r"""A carriage return in XML text must be written as a character reference, or every XML reader turns it
    into a line feed (XML 1.0, 2.11); Oxigraph's writer leaves it raw. A control character XML 1.0 cannot carry at
    all, not even as a reference (ESC, NUL ...), is refused in one line: the file would not be XML.

    >>> xml_line_ends(b"<literal>a\rb</literal>")
    b'<literal>a&#13;b</literal>'
    """
    bad = re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", data)
    if bad:
        raise UsageError(f"a value holds the control character U+{bad.group()[0]:04X}, which XML 1.0 cannot carry: "
                         "use --format json, csv or tsv for these results")
    return data.replace(b"\r", b"&#13;")


@lru_cache(maxsize=1 << 16)  # a dump compacts the same predicates and classes hundreds of thousands of times
def compact(iri: str) -> str:
    """An IRI as a prefixed name where one of the project's prefixes fits, else in <...>.

    >>> compact("https://w3id.org/drugpolicy-kg/id/itwg"), compact("http://example.org/x")
    ('dpk:itwg', '<http://example.org/x>')
    """
    from drugpolicy_kg.resources import PREFIXES

    best = max((ns for ns in PREFIXES.values() if iri.startswith(ns)), key=len, default=None)
    if best is not None and re.fullmatch(r"[A-Za-z_][\w.-]*", iri[len(best):]) and not iri.endswith("."):
        prefix = next(p for p, ns in PREFIXES.items() if ns == best)
        return f"{prefix}:{iri[len(best):]}"
    return f"<{iri}>"


def table_text(names: list[str], rows: list[list[str]], wide: bool = False) -> str:
    """The table as the terminal shows it, with its row count and, where cells were cut to fit, a note saying so."""
    from drugpolicy_kg.tables import fit_table

    text, cut = fit_table(names, rows, wide=wide)
    note = f"; {cut} values cut to fit the terminal: --wide shows them whole, --format csv or json keeps them" if cut else ""
    return f"{text}\n({len(rows)} rows{note})\n"


def render_native(res, fmt: str, wide: bool = False) -> bytes:
    """Serialise an Oxigraph result as the command line prints it: the W3C result formats by Oxigraph's own
    writers, the table by ours, graphs sorted (so the same query gives the same bytes every run)."""
    import pyoxigraph as ox

    if isinstance(res, ox.QueryTriples):
        if fmt not in GRAPH_FORMATS:
            raise UsageError(f"a CONSTRUCT or DESCRIBE result is a graph: use --format {', '.join(GRAPH_FORMATS)}")
        triples = sorted(set(res), key=str)
        if fmt == "jsonld":
            from drugpolicy_kg.graph.build import jsonld_context
            from drugpolicy_kg.graph.oxi import rdflib_graph

            return rdflib_graph(triples).serialize(format="json-ld", context=jsonld_context(), indent=1, encoding="utf-8")
        from drugpolicy_kg.resources import PREFIXES

        form = ox.RdfFormat.TURTLE if fmt == "ttl" else ox.RdfFormat.N_TRIPLES
        return ox.serialize(triples, format=form, prefixes=PREFIXES if fmt == "ttl" else None)
    if fmt not in TABULAR:
        raise UsageError(f"a SELECT or ASK result is a table: use --format {', '.join(TABULAR)}")
    if isinstance(res, ox.QueryBoolean):  # CSV and TSV define no boolean form: ours writes a header, as Jena does
        out = render(Result("ask", boolean=bool(res)), fmt)
        return out if isinstance(out, bytes) else out.encode("utf-8")
    if fmt != "table":
        form = {"csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV,
                "json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML}[fmt]
        data = res.serialize(format=form)
        return xml_line_ends(data) if fmt == "xml" else data
    if isinstance(res, ox.QueryBoolean):
        return (b"true" if res else b"false") + b"\n"
    names = [v.value for v in res.variables]

    def show(t):
        if t is None:
            return ""
        if isinstance(t, ox.NamedNode):
            return compact(t.value)
        if isinstance(t, ox.BlankNode):
            return "_:" + t.value
        return t.value

    rows = [[show(sol[n]) for n in names] for sol in res]
    return table_text(names, rows, wide).encode("utf-8")


def from_sparql_json(data: dict) -> Result:
    """Read a SPARQL JSON result (as remote endpoints return it) into a Result."""
    from rdflib import BNode, Literal, URIRef

    if "boolean" in data:
        return Result("ask", boolean=bool(data["boolean"]))
    variables = list(data.get("head", {}).get("vars", []))
    rows = []
    for b in data.get("results", {}).get("bindings", []):
        row = []
        for v in variables:
            t = b.get(v)
            if t is None:
                row.append(None)
            elif t["type"] == "uri":
                row.append(URIRef(t["value"]))
            elif t["type"] == "bnode":
                row.append(BNode(t["value"]))
            else:
                lang, dt = t.get("xml:lang"), t.get("datatype")
                if lang:
                    row.append(Literal(t["value"], lang=lang))
                elif dt and dt != XSD_STRING:
                    row.append(Literal(t["value"], datatype=URIRef(dt), normalize=False))
                else:
                    row.append(Literal(t["value"]))
        rows.append(tuple(row))
    return Result("select", variables, rows)
