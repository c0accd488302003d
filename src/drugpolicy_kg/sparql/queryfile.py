"""Read SPARQL query files and their ``#+ key: value`` headers.

A query file starts with comment lines such as::

    #+ summary: Members of a body, with their roles
    #+ audience: analyst
    #+ params: body=<https://w3id.org/drugpolicy-kg/id/itwg>, lang="en"

``params`` lists the variables a user may bind, each with its default written
as a SPARQL term (an IRI in angle brackets, or a quoted literal).
"""

from __future__ import annotations

import re
from pathlib import Path

from drugpolicy_kg.errors import InputError
from drugpolicy_kg.records import Record

MAX_QUERY_FILE = 16 * 1024 * 1024  # bytes: room for a large VALUES block; a file beyond is not a query

_HEADER = re.compile(r"^#\+\s*([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_PARAM = re.compile(r"""\s*([A-Za-z_]\w*)\s*=\s*(<[^<>"\s]*>|"(?:[^"\\]|\\.)*"(?:@[A-Za-z-]+)?|[^,\s]+)\s*(?:,|$)""")


class QueryFile(Record):
    __slots__ = ("name", "text", "meta", "params", "path")

    def __init__(self, name: str, text: str, meta: dict[str, str] | None = None, params: dict[str, str] | None = None,
                 path: Path | None = None):
        self.name, self.text = name, text
        self.meta = meta if meta is not None else {}
        self.params = params if params is not None else {}
        self.path = path

    @property
    def summary(self) -> str:
        return self.meta.get("summary", "")

    @property
    def audience(self) -> str:
        return self.meta.get("audience", "")


def parse_params(spec: str, where: str = "") -> dict[str, str]:
    """Parse a ``#+ params:`` value into {name: default term}.

    >>> parse_params('body=<http://x/a>, lang="en"')
    {'body': '<http://x/a>', 'lang': '"en"'}
    >>> parse_params('')
    {}
    """
    out: dict[str, str] = {}
    pos = 0
    spec = spec.strip()
    while pos < len(spec):
        m = _PARAM.match(spec, pos)
        if not m:
            raise InputError(
                f"bad '#+ params:' header near {spec[pos:pos + 30]!r}; expected name=<IRI> or name=\"literal\", comma-separated",
                where,
            )
        out[m.group(1)] = m.group(2)
        pos = m.end()
    return out


def parse_query_text(text: str, name: str = "query", path: Path | None = None) -> QueryFile:
    """Split a query file's text into its header and its SPARQL.

    >>> q = parse_query_text('#+ summary: Hi\\n#+ params: a=<http://x/>\\nSELECT * {}')
    >>> q.summary, q.params
    ('Hi', {'a': '<http://x/>'})
    """
    meta: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = _HEADER.match(line)
        if m:
            meta[m.group(1).lower()] = m.group(2)
    params = parse_params(meta.get("params", ""), str(path or name))
    from drugpolicy_kg.sparql.query import check_query

    check_query(text, str(path or name))
    return QueryFile(name=name, text=text, meta=meta, params=params, path=path)


def read_query_file(path: Path) -> QueryFile:
    """Read one ``.rq`` file; an unreadable file is an InputError."""
    from drugpolicy_kg.atomic import read_regular

    try:
        text = read_regular(path, "query file", MAX_QUERY_FILE).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read query file: not UTF-8 (byte {exc.start})", str(path)) from None
    name = path.stem
    return parse_query_text(text, name=name, path=path)
