"""``review``: a person accepts or rejects the candidate facts of a draft; accepted facts join the graph.

    drugpolicy-kg review DRAFT                      # list the candidates and what was decided
    drugpolicy-kg review DRAFT --accept all         # or KIND, or candidate ids; --reject likewise
    drugpolicy-kg review DRAFT --interactive        # one by one: [a]ccept, [r]eject, [s]kip, [q]uit

Decisions are kept in ``data/reviews/<doc-id>.json`` (accepted and rejected ids, with the reason
for a rejection), so ingesting the same document again does not bring a rejected candidate back,
and a later review adds to what was accepted. Every accepted candidate is written into
``data/<doc-id>.ttl`` in the evidence-per-statement model (each fact reified under the quote that
states it: the row, and the headings it stands under), and the document's text, as read, into
``data/sources/<doc-id>.txt``, which the quotes are checked against.

The gate: before anything is written, the new data file is loaded with the project into a store
in memory and checked (the shapes compiled to SPARQL, the violation checks, evidence per
statement, every quote verbatim in the text). A candidate whose facts fail is **refused** with
the reason and left out; the others are checked again without it. Files are replaced atomically
(text, then data, then decisions), so an interrupted review leaves the previous files whole.

Entities are matched, not duplicated: a resolution is ``res-<body>-<symbol>`` (CND 64/3 from the
budget is the same ``dpk:res-cnd-64-3`` as from the conference room paper, with the evidence of
both), an issuing body is the graph's organization of that name when there is one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from drugpolicy_kg.errors import InputError, UsageError, json_loads
from drugpolicy_kg.resources import GRAPH_BASE, PREFIXES, Project
from drugpolicy_kg.sources import KINDS  # (also review.KINDS)
from drugpolicy_kg.sources.organizations import fold
from drugpolicy_kg.sources.plan import status_of, table_name
from drugpolicy_kg.sources.reader import MONTHS

DPK, DPO = PREFIXES["dpk"], PREFIXES["dpo"]
QB = "http://purl.org/linked-data/cube#"
PER_CENT = "per cent"  # the unit of a resources table's "Percentage" column (a change, in per cent)
PERCENT_HEAD = re.compile(r"(?i)^percentage$")
TYPES = {"resolution": "Resolution", "decision": "Decision", "convention": "Convention",
         "declaration": "Declaration", "statement": "Declaration"}
PREFIX_OF = {"resolution": "res", "decision": "dec", "convention": "conv", "declaration": "decl", "statement": "decl"}


LABEL_LIMIT = 160  # characters of a label review makes of a paragraph's words (a mandate's, an activity's)
VERB_WORDS = {"calls-upon": "calls upon", "takes-note": "takes note of"}  # a mandate verb's words, where not its key


def slug(text: str, limit: int = 60) -> str:
    """IRI-safe: lower case, runs of anything else than letters and digits as one hyphen.

    >>> slug("64/3"), slug("S-30/1"), slug("2117 (2013)")
    ('64-3', 's-30-1', '2117-2013')
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-") or "x"


# ------------------------------------------------------------------ decisions --

def not_reviews_own(project: Project, doc_id: str) -> str:
    """Why a document id may not be written by review ("" if it may): review replaces ``data/<id>.ttl`` and
    ``data/sources/<id>.txt``, so an id naming a file that no review wrote (``dataset``, ``cnd65-crp-itwg``, the
    text of a curated file's quotes) would replace curated data. Review's own files have decisions beside them."""
    if (project.data_dir / "reviews" / f"{doc_id}.json").is_file():
        return ""
    for path in (project.data_dir / f"{doc_id}.ttl", project.data_dir / f"{doc_id}.nt",
                 project.sources_dir / f"{doc_id}.txt"):
        if path.exists() or path.is_symlink():
            return (f"document id {doc_id!r} is taken: data/{path.relative_to(project.data_dir)} is not a review's "
                    f"(there is no data/reviews/{doc_id}.json); give the document another id (ingest --doc-id)")
    return ""


@dataclass
class Decisions:
    """What a person decided about a document's candidates; kept beside the data."""

    path: Path
    document: str
    accepted: dict[str, str] = field(default_factory=dict)   # id -> kind
    rejected: dict[str, str] = field(default_factory=dict)   # id -> reason

    @classmethod
    def load(cls, project: Project, doc_id: str) -> Decisions:
        path = project.data_dir / "reviews" / f"{doc_id}.json"
        if not path.is_file():
            return cls(path, doc_id)
        try:
            data = json_loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the review decisions: {exc}", str(path)) from None
        parts = [data.get(k, {}) if isinstance(data, dict) else None for k in ("accepted", "rejected")]
        if not all(isinstance(p, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in p.items())
                   for p in parts):
            raise InputError("not a review's decisions file (\"accepted\" and \"rejected\" map candidate ids to text): "
                             "restore it from version control or delete it to decide again", str(path))
        return cls(path, doc_id, dict(parts[0]), dict(parts[1]))

    def to_json(self) -> str:
        return json.dumps({"document": self.document, "accepted": dict(sorted(self.accepted.items())),
                           "rejected": dict(sorted(self.rejected.items()))}, indent=1, ensure_ascii=False) + "\n"


def load_draft(path: Path) -> dict:
    """A draft written by ``ingest``; a clear error for anything else."""
    from drugpolicy_kg.atomic import read_regular
    from drugpolicy_kg.sources.ingest import DOC_ID, DRAFT_FORMAT

    raw = read_regular(path, "draft")
    try:
        draft = json_loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"not a draft (JSON written by `drugpolicy-kg ingest`): {exc}", str(path)) from None
    if not isinstance(draft, dict) or draft.get("format") != DRAFT_FORMAT:
        raise InputError(f"not a draft of format {DRAFT_FORMAT} (written by `drugpolicy-kg ingest`)", str(path))
    error = _schema_error(draft, "draft")
    if error:
        at, message = error
        what = f"candidate {at[1] + 1} is not as ingest writes it ({_problem(at[2:], message)})" \
            if at[:1] == ("candidates",) else f"not a draft as `drugpolicy-kg ingest` writes it ({_problem(at, message)})"
        raise InputError(f"{what}; ingest the document again", str(path))
    if not DOC_ID.fullmatch(draft["document"]["id"]):
        raise InputError("the draft's document id must be lower-case letters, digits and hyphens", str(path))
    from drugpolicy_kg.tables import first_control

    at = first_control(draft["text"])
    if at >= 0:  # the text becomes data/sources/<id>.txt, the quotes' reference: ingest writes no control character
        raise InputError(f"the draft's text holds a control character (U+{ord(draft['text'][at]):04X} at offset {at}); "
                         "ingest the document again", str(path))
    return draft


def _schema_error(value, part: str) -> tuple[tuple, str] | None:
    """What keeps ``value`` from being the ``part`` ("draft" or "candidate") that ingest writes, by the draft's
    JSON Schema (``draft.schema.json``, checked at every depth): where (the path of keys and indexes) and what, the
    shallowest first; None if nothing."""
    if _compiled(part)(value):
        return None  # (what ingest writes: nearly every value; jsonschema then says where and what of the others)
    errors = sorted(_validator(part).iter_errors(value), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    return (tuple(errors[0].absolute_path), errors[0].message) if errors else None


def _problem(at, message: str) -> str:
    """A problem in a few words, safe on a terminal: "start: '12' is not of type 'integer'"."""
    from drugpolicy_kg.tables import terminal_safe

    return terminal_safe(f"{'/'.join(map(str, at)) or 'the whole'}: {message}")[:160]


@functools.lru_cache(maxsize=2)
def _compiled(part: str):
    """The schema for ``part`` compiled to Python by fastjsonschema: is a value valid? (1,450 candidates of a budget
    section: 0.07 s, against 1.0 s for jsonschema's walk.) Formats are not asserted, as jsonschema's validator does
    not. fastjsonschema reads draft 7, where a ``$ref`` hides the keywords beside it (in 2020-12 both apply): each
    such schema is given as the ``allOf`` of the two, the same in either draft; $defs is reached by JSON pointer. A
    test holds it to this: what the compiled schema passes, jsonschema passes, for values changed anywhere."""
    import fastjsonschema

    def draft7(node):
        if isinstance(node, list):
            return [draft7(x) for x in node]
        if not isinstance(node, dict):
            return node
        node = {k: (v if k in ("const", "enum") else draft7(v)) for k, v in node.items()}
        if "$ref" in node and len(node) > 1:
            return {"allOf": [{"$ref": node.pop("$ref")}, node]}
        return node

    schema = {k: v for k, v in _schema().items() if k not in ("$schema", "$id", "$ref")}
    schema = {**draft7(schema), "$schema": "http://json-schema.org/draft-07/schema#",
              "$ref": f"#/$defs/{part}" if part != "draft" else _schema()["$ref"]}
    check = fastjsonschema.compile(schema, use_formats=False)

    def valid(value) -> bool:
        try:
            check(value)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return valid


@functools.lru_cache(maxsize=1)
def _schema() -> dict:
    from importlib.resources import files

    return json_loads((files("drugpolicy_kg.sources") / "draft.schema.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=2)
def _validator(part: str):
    import sys

    # jsonschema reads an optional IRI-syntax checker at import where one is installed (rfc3987-syntax, which a
    # Jupyter install brings): it builds a grammar, about 3 s. The draft's schema checks no format, so it is kept out.
    blocked = "rfc3987_syntax" not in sys.modules and "jsonschema" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # an import of it raises ImportError, which jsonschema expects
    try:
        from jsonschema import Draft202012Validator
    finally:
        if blocked:
            del sys.modules["rfc3987_syntax"]

    schema = _schema()
    if part != "draft":
        schema = {**schema, "$ref": f"#/$defs/{part}"}
    return Draft202012Validator(schema)


def candidate_problem(c: dict) -> str:
    """What is wrong with a candidate of a draft that was edited by hand or by a program, or "" if nothing: any
    value of a type or shape ingest does not write, at any depth, or a control character in any text."""
    from drugpolicy_kg.tables import first_control

    error = _schema_error(c, "candidate")
    if error:
        return _problem(*error)

    def strings(value, at=()):
        if isinstance(value, str):
            yield at, value
        elif isinstance(value, dict):
            for k, v in value.items():
                yield from strings(v, (*at, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from strings(v, (*at, i))

    for at, text in strings(c):
        n = first_control(text)
        if n >= 0:
            return _problem(at, f"a control character (U+{ord(text[n]):04X})")
    return ""


def select(candidates: list[dict], specs: list[str]) -> list[dict]:
    """The candidates that ``specs`` name: ``all``, a kind, or candidate ids; an unknown name is an error."""
    ids = {c["id"]: c for c in candidates}
    chosen: dict[str, dict] = {}
    for spec in specs:
        if spec == "all":
            chosen.update(ids)
        elif spec in KINDS:
            chosen.update({c["id"]: c for c in candidates if c["kind"] == spec})
        elif spec in ids:
            chosen[spec] = ids[spec]
        else:
            raise UsageError(f"no candidate or kind {spec!r} in the draft; kinds: all, {', '.join(KINDS)}")
    return list(chosen.values())


# ------------------------------------------------------------------ the Turtle --

IRI_SAFE = re.compile(r"https?://[^\x00-\x20<>\"{}|^`\\]+")


class _Writer:
    """Collects facts and the evidence that states each, then writes deterministic Turtle."""

    def __init__(self, doc_id: str, doc_node: str):
        from rdflib import Literal, URIRef

        self.Literal, self.URIRef = Literal, URIRef
        self.doc_id, self.doc_node = doc_id, doc_node
        self.facts: dict[str, dict[str, set[str]]] = {}       # subject -> predicate -> objects (as Turtle terms)
        self.evidence: dict[str, dict] = {}                   # evidence IRI -> {quote, locator, statements}
        self.owner: dict[str, set[str]] = {}                  # IRI -> candidate ids that wrote facts about it

    def term(self, value) -> str:
        """An IRI or a literal as Turtle: a string is an absolute http(s) IRI with no character Turtle would read as
        syntax, or a literal :meth:`lit` made; anything else (a hand-edited draft's "dpk:a owl:sameAs dpk:b") is
        refused, never pasted into the file."""
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            if not IRI_SAFE.fullmatch(value):
                raise _Refuse(f"not an IRI the graph can hold: {value[:80]!r}")
            return self.URIRef(value).n3()
        if isinstance(value, str):
            if not value.startswith('"'):
                raise _Refuse(f"not an IRI or a literal: {value[:80]!r}")
            return value
        return value.n3()

    def lit(self, text: str, lang: str | None = None, datatype: str | None = None) -> str:
        from drugpolicy_kg.tables import turtle_safe

        return turtle_safe(self.Literal(text, lang=lang, datatype=self.URIRef(datatype) if datatype else None).n3())

    def fact(self, cid: str, s: str, p: str, o: str, ev: dict | None = None, stated_as: str = "", reasoning: str = "") -> None:
        """A triple, and (unless exempt) the statement of it under the evidence ``ev``."""
        self.facts.setdefault(s, {}).setdefault(p, set()).add(self.term(o))
        self.owner.setdefault(s, set()).add(cid)
        if ev is None:
            return
        node = self.evidence.setdefault(ev["iri"], {"quote": ev["quote"], "locator": ev["locator"], "states": {},
                                                    "row": ev.get("row"), "columns": ev.get("columns", ()),
                                                    "context": ev.get("context", ())})
        extra = ""
        if stated_as:
            extra += f" ; dpo:statedAs {self.lit(stated_as)}"
        if reasoning:
            extra += f" ; dpo:inferred true ; dpo:reasoning {self.lit(reasoning)}"
        node["states"][(s, p, self.term(o))] = extra
        self.owner.setdefault(ev["iri"], set()).add(cid)

    def turtle(self) -> str:
        out = [f"# Facts stated by {self.doc_id}, accepted at review (drugpolicy-kg review). Do not edit by hand:",
               "# a review writes this file again from the draft and the decisions in data/reviews/.", ""]
        out += [f"@prefix {p}: <{PREFIXES[p]}> ." for p in ("dpo", "dpk", "rdf", "rdfs", "xsd", "skos", "dcterms", "bibo", "sdg")]
        out.append("")
        for s in sorted(self.facts):
            preds = self.facts[s]
            lines = [f"{self.URIRef(s).n3()}"]
            items = sorted(preds.items(), key=lambda kv: (kv[0] != "a", kv[0]))
            body = " ;\n    ".join(f"{'a' if p == 'a' else self.URIRef(p).n3()} {', '.join(sorted(os))}" for p, os in items)
            out.append(lines[0] + " " + body + " .")
        out.append("")
        for ev in sorted(self.evidence):
            e = self.evidence[ev]
            # each statement gets an IRI from what it states and the quote that states it (blank nodes by the
            # thousand make graph comparison slow, and their labels change from one load to the next)
            named = {}
            for (s, p, o), extra in e["states"].items():
                digest = hashlib.sha256("\0".join((ev, s, p, o)).encode()).hexdigest()[:16]
                named[f"{DPK}st-{self.doc_id}-{digest}"] = (s, p, o, extra)
            cell = ""
            if e.get("row") is not None:  # a table cell: its row, its column's header and the table's own lines
                cell = f"    dpo:rowText {self.lit(e['row'])} ;\n"
                for c in sorted(set(e["columns"])):
                    cell += f"    dpo:columnText {self.lit(c)} ;\n"
                for c in sorted(set(e["context"])):
                    cell += f"    dpo:contextText {self.lit(c)} ;\n"
            out.append(f"{self.URIRef(ev).n3()} a dpo:Evidence ; dcterms:source {self.URIRef(self.doc_node).n3()} ;\n"
                       f"    dpo:locator {self.lit(e['locator'])} ;\n    dpo:quote {self.lit(e['quote'])} ;\n{cell}"
                       f"    dpo:states {', '.join(self.URIRef(n).n3() for n in sorted(named))} .")
            for n in sorted(named):
                s, p, o, extra = named[n]
                out.append(f"{self.URIRef(n).n3()} a rdf:Statement ; rdf:subject {self.URIRef(s).n3()} ; "
                           f"rdf:predicate {self.URIRef(p).n3()} ; rdf:object {o}{extra} .")
        return "\n".join(out) + "\n"


RDF_TYPE = "a"
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
DCT = PREFIXES["dcterms"]


def _iso_words(iso: str) -> str:
    """2025-04-10 -> 10 April 2025, as UN documents print dates."""
    y, m, d = iso.split("-")
    return f"{int(d)} {MONTHS[int(m) - 1]} {y}"


class _Builder:
    """Turns accepted candidates into facts and evidence, minting (or matching) one IRI per entity."""

    def __init__(self, draft: dict, orgs: dict[str, str], labelled: set[str] = frozenset(),
                 number_rule: tuple[re.Pattern, str] | None = None):
        doc = draft["document"]
        self.labelled = labelled  # entities the graph already names (matched, not minted)
        self.number_rule = number_rule  # the shapes' rule for a resolution's number: (pattern, message)
        self.draft, self.doc = draft, doc
        self.doc_id = doc["id"]
        self.doc_node = f"{DPK}doc-{self.doc_id}"
        self.w = _Writer(self.doc_id, self.doc_node)
        self.orgs = orgs        # organization name (casefolded) -> IRI, from the graph
        self.text = draft["text"]
        self.programme = f"{DPK}programme-{self.doc_id}"
        self.sym = doc.get("symbol") or self.doc_id

    def ev(self, quote: str, locator: str, start: int) -> dict:
        return {"iri": f"{DPK}ev-{self.doc_id}-at-{start}", "quote": quote, "locator": locator}

    def line_ev(self, line: dict) -> dict:
        """:meth:`ev` of a line a candidate quotes besides its own quote (its "quote", "locator" and "start")."""
        return self.ev(line["quote"], line["locator"], line["start"])

    def document(self) -> None:
        d, w = self.doc, self.w
        w.fact("document", self.doc_node, RDF_TYPE, f"{DPO}SourceDocument")
        w.fact("document", self.doc_node, RDF_TYPE, f"{PREFIXES['bibo']}Document")
        label = f"{d.get('symbol') or self.doc_id}: {d.get('title') or ''}".rstrip(": ")
        w.fact("document", self.doc_node, f"{RDFS}label", w.lit(label, "en"))
        w.fact("document", self.doc_node, f"{DPO}textFile", w.lit(f"{self.doc_id}.txt"))
        if d.get("file"):
            w.fact("document", self.doc_node, f"{DPO}sourceFile", w.lit(d["file"]))
        if d.get("sha256"):
            w.fact("document", self.doc_node, f"{DPO}sourceSha256", w.lit(d["sha256"]))
        for value, prop, words in ((d.get("symbol"), f"{DPO}documentSymbol", d.get("symbol")),
                                   (d.get("date"), f"{DCT}date", _iso_words(d["date"]) if d.get("date") else "")):
            at = self.text.find(words) if words else -1
            if value and at >= 0:
                line_start = self.text.rfind("\n", 0, at) + 1
                line = self.text[line_start:self.text.find("\n", at)]
                obj = w.lit(value, datatype=PREFIXES["xsd"] + "date") if prop.endswith("date") else w.lit(value)
                w.fact("document", self.doc_node, prop, obj, self.ev(line, "page header", line_start))

    def programme_node(self) -> str:
        """The section's programme, named once a candidate belongs to it: a document with no programme plan (a
        conference room paper) has none, and the graph is not to say it has."""
        if self.programme not in self.w.facts:
            d, w = self.doc, self.w
            w.fact("document", self.programme, RDF_TYPE, f"{DPO}Programme")
            title = (d.get("title") or "").split(": ", 1)[-1] or self.doc_id
            w.fact("document", self.programme, f"{RDFS}label",
                   w.lit(f"Programme of {d.get('symbol') or self.doc_id}: {title}", "en"))
        return self.programme

    def scope_node(self, facts: dict) -> str:
        scope = facts.get("scope", "programme")
        if scope == "programme":
            return self.programme_node()
        m = re.match(r"subprogramme (\d+)(?:, component (\d+)| \(([a-z])\))?", scope)
        if not m:
            return self.programme_node()
        node = f"{self.programme}-sp-{m.group(1)}" + (f"-c-{m.group(2)}" if m.group(2) else "") + (
            f"-{m.group(3)}" if m.group(3) else "")
        label = f"{self.doc.get('symbol') or self.doc_id}, {scope}" + (f": {facts['scope_title']}" if facts.get("scope_title") else "")
        if node not in self.w.facts:
            self.w.fact("scope", node, RDF_TYPE, f"{DPO}Programme")
            self.w.fact("scope", node, f"{RDFS}label", self.w.lit(label, "en"))
        return node

    def org(self, name: str) -> str:
        hit = self.orgs.get(fold(name))
        if hit:
            return hit  # the graph's organization of that name or acronym: matched, not duplicated
        node = f"{DPK}org-{slug(name)}"
        self.orgs[fold(name)] = node
        self.w.fact("org", node, RDF_TYPE, f"{PREFIXES['org']}FormalOrganization")
        self.w.fact("org", node, f"{RDFS}label", self.w.lit(name, "en"))
        return node

    def add(self, c: dict) -> None:
        getattr(self, "_" + c["kind"].replace("-", "_"))(c)

    @staticmethod
    def instrument(f: dict) -> str:
        """The IRI of the instrument a mandate row names: by body and symbol, or by its title."""
        kind = f.get("instrument", "resolution")
        key = f.get("symbol") or f.get("title", "")
        if f.get("symbol"):
            return f"{DPK}{PREFIX_OF.get(kind, 'res')}-{f.get('issuer_code') or 'un'}-{slug(key)}"
        # named by its title only: the title, and a digest so two long titles never meet
        return f"{DPK}{PREFIX_OF.get(kind, 'res')}-{slug(key, 50)}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"

    def _legislative_mandate(self, c: dict) -> None:
        f, w, cid = c["facts"], self.w, c["id"]
        row = self.ev(c["quote"], c["locator"], c["start"])
        ctx = f.get("context") or {}
        kind = f.get("instrument", "resolution")
        key = f.get("symbol") or f.get("title", "")
        inst = self.instrument(f)
        w.fact(cid, inst, RDF_TYPE, f"{DPO}{TYPES.get(kind, 'Resolution')}")
        if inst not in self.labelled:  # an entity the graph has keeps its label: one label per entity
            name = f"{f['issuer']} {kind} {f['symbol']}" if f.get("issuer") and f.get("symbol") else (f.get("title") or key)
            w.fact(cid, inst, f"{RDFS}label", w.lit(name, "en"))
        if f.get("symbol"):
            self._numbered(kind, f["symbol"])
            # (a symbol read from a column printed one character a line keeps the words the row prints)
            w.fact(cid, inst, f"{DPO}resolutionNumber" if kind == "resolution" else f"{DCT}identifier", w.lit(f["symbol"]), row,
                   stated_as=f.get("printed") or "")
        if f.get("title"):
            w.fact(cid, inst, f"{DCT}title", w.lit(f["title"], "en"), row)
        if f.get("issuer") and ctx.get("issuer"):
            h = ctx["issuer"]
            w.fact(cid, inst, f"{DPO}adoptedBy", self.org(f["issuer"]), self.ev(h["quote"], h["locator"], h["start"]))
        mandate = f"{DPK}mandate-{self.doc_id}-{cid}"
        scope = self.scope_node(f)
        w.fact(cid, mandate, RDF_TYPE, f"{DPO}Mandate")
        row_no = ROW_AT_END.search(c["locator"])  # a list may name an instrument twice: one mandate per row
        # (the document named: two sections may list one resolution at the same row of the same scope)
        w.fact(cid, mandate, f"{RDFS}label", w.lit(f"{key} is a legislative mandate of {self.sym}, "
                                                    f"{f.get('scope', 'the programme')}"
                                                    + (f" ({f.get('issuer') or 'list'}, row {row_no.group(1)})" if row_no else ""), "en"))
        w.fact(cid, mandate, f"{DPO}issuedIn", inst, row, stated_as=f.get("printed") or f.get("symbol") or "")
        if ctx.get("list"):
            h = ctx["list"]
            w.fact(cid, mandate, f"{DPO}verb", f"{DPK}verb-legislative-mandate", self.ev(h["quote"], h["locator"], h["start"]))
        if ctx.get("scope"):
            h = ctx["scope"]
            w.fact(cid, mandate, f"{DPO}calledFor", scope, self.ev(h["quote"], h["locator"], h["start"]), stated_as=h["quote"])
        elif ctx.get("list"):
            h = ctx["list"]
            w.fact(cid, mandate, f"{DPO}calledFor", scope, self.ev(h["quote"], h["locator"], h["start"]),
                   reasoning="The row stands in the list of legislative mandates before the first subprogramme: "
                             "the section lists there the mandates of the programme as a whole.")
        self._cited(c, mandate)

    def _cited(self, c: dict, node: str) -> None:
        """The instruments an item's own words name with their body, as what ``node`` (the activity, the expected
        result) refers to; and the footnotes marked in the row or item ``c`` quotes: each one's words as a note on
        ``node`` (the mandate, the activity), the instruments it names as what ``node`` refers to, stated by the
        footnote, whose locator says where its mark stands (the mark is what ties it to ``node``)."""
        ev = self.ev(c["quote"], c["locator"], c["start"])
        for res in c["facts"].get("instruments") or ():  # named in the item's own words, with their body
            inst = self.instrument(res)
            self._instrument_named(c, res, inst, ev)
            self.w.fact(c["id"], node, f"{DCT}references", inst, ev, stated_as=res["symbol"])
        for fn in c["facts"].get("footnotes") or ():
            ev = {"iri": f"{DPK}ev-{self.doc_id}-at-{fn['start']}-mark-{c['start']}", "quote": fn["quote"],
                  "locator": f"{fn['locator']}, its mark in {fn['mark']}"}
            self.w.fact(c["id"], node, f"{SKOS}scopeNote", self.w.lit(fn["quote"], "en"), ev)
            for res in fn.get("instruments") or ():
                inst = self.instrument(res)
                self._instrument_named(c, res, inst, ev)
                self.w.fact(c["id"], node, f"{DCT}references", inst, ev, stated_as=res["symbol"])

    def _subprogramme(self, c: dict) -> None:
        f = c["facts"]
        node = self.scope_node({**f, "scope_title": f.get("title", "")})
        self.w.fact(c["id"], node, f"{DCT}title", self.w.lit(f["title"], "en"), self.ev(c["quote"], c["locator"], c["start"]))
        part = f.get("component") or ""
        if part:  # a component, or a lettered part, is a part of its subprogramme (which is the programme's)
            whole = self.scope_node({"scope": f"subprogramme {f['number']}"})
            reasoning = (f"The section sets it out under subprogramme {f['number']}, as one of its "
                         f"{'lettered parts' if part.isalpha() else 'components'}: a part of that subprogramme.")
        else:
            whole = self.programme_node()
            reasoning = "The section numbers it as one of its subprogrammes: a part of the section's programme."
        self.w.fact(c["id"], node, f"{DCT}isPartOf", whole, self.ev(c["quote"], c["locator"], c["start"]),
                    reasoning=reasoning)

    def _objective(self, c: dict) -> None:
        f = c["facts"]
        scope = self.scope_node(f)
        node = f"{DPK}objective-{self.doc_id}-{slug(f.get('scope', 'programme'))}"
        ev = self.ev(c["quote"], c["locator"], c["start"])
        self.w.fact(c["id"], node, RDF_TYPE, f"{DPO}Objective")
        # the section's symbol first: "subprogramme 1" alone is UNODC's and OHCHR's; never cut inside a word
        label = f"{self.sym}, {f.get('scope', 'programme')}, objective: {_short(f['objective'])}"
        self.w.fact(c["id"], node, f"{RDFS}label", self.w.lit(label, "en"))
        self.w.fact(c["id"], node, f"{DCT}description", self.w.lit(f["objective"], "en"), ev)
        self.w.fact(c["id"], scope, f"{DPO}hasObjective", node, ev)

    def _sdg(self, c: dict) -> None:
        f = c["facts"]
        code = f.get("target") or f.get("goal")
        ev = self.ev(c["quote"], c["locator"], c["start"])
        if f.get("scope") == "document":  # a document with no programme plan names the Goal or target: no more
            self.w.fact(c["id"], self.doc_node, f"{DCT}references", f"{PREFIXES['sdg']}{code}", ev)
            return
        self.w.fact(c["id"], self.scope_node(f), f"{DPO}serves", f"{PREFIXES['sdg']}{code}", ev)

    def _reference(self, c: dict) -> None:
        f = c["facts"]
        if f.get("form") == "resolution number with its body":  # "Resolution 63/1 and 65/3 of the Commission on ..."
            ev = self.ev(c["quote"], c["locator"], c["start"])
            inst = self.instrument(f)
            self._instrument_named(c, f, inst, ev)
            self.w.fact(c["id"], self.doc_node, f"{DCT}references", inst, ev, stated_as=f["symbol"])
            return
        if f.get("form") != "document symbol":
            raise _Refuse("a resolution number in running text does not say which body adopted it; add it by hand")
        node = f"{DPK}doc-{slug(f['symbol'])}"
        ev = self.ev(c["quote"], c["locator"], c["start"])
        self.w.fact(c["id"], node, RDF_TYPE, f"{PREFIXES['bibo']}Document")
        self.w.fact(c["id"], node, f"{RDFS}label", self.w.lit(f"Document {f['symbol']}", "en"))
        self.w.fact(c["id"], node, f"{DPO}documentSymbol", self.w.lit(f["symbol"]), ev)
        self.w.fact(c["id"], self.doc_node, f"{DCT}references", node, ev)

    def _graph_match(self, f: dict) -> str | None:
        """The graph's organization a candidate's draft matched it to, if any. ingest matches to the graph's
        organizations only: any other IRI is a hand-edited draft's, and refuses the candidate."""
        iri = (f.get("match") or {}).get("iri")
        if iri and iri not in set(self.orgs.values()):
            raise _Refuse(f"the match {str(iri)[:80]!r} is no organization of the graph")
        return iri or None

    def _implementer(self, c: dict) -> None:
        """The entity whose programme the section plans: the section's programme ``dpo:implementedBy`` it, inferred
        (the section says whose plan it is by where the plan stands or by what the entity is responsible for, not in
        the word "implements"); the graph's organization of that name or acronym, else a new one named by the quote."""
        f, w, cid = c["facts"], self.w, c["id"]
        if fold(f["name"]) not in fold(c["quote"]):
            raise _Refuse("the quote does not name the organization")
        ev = self.ev(c["quote"], c["locator"], c["start"])
        node = self._graph_match(f) or self.orgs.get(fold(f["name"])) or (
            self.orgs.get(fold(f["acronym"])) if f.get("acronym") else None)
        if not node:
            node = f"{DPK}org-{slug(f.get('acronym') or f['name'])}"
            w.fact(cid, node, RDF_TYPE, f"{PREFIXES['org']}FormalOrganization")
            w.fact(cid, node, f"{RDFS}label", w.lit(f["name"], "en"), ev)
            self.orgs[fold(f["name"])] = node
        why = ("The section's programme plan stands under its part headed by the entity's name: the plan is the "
               "entity's." if f["how"] == "part" else
               "The section's overall orientation opens with what the entity is responsible for: the programme it "
               "plans is the entity's.")
        w.fact(cid, self.programme_node(), f"{DPO}implementedBy", node, ev, stated_as=f["name"], reasoning=why)

    def _organization(self, c: dict) -> None:
        """The document names an organization: ``dcterms:references`` from the document to it; the graph's node where
        the match is the graph's (or a node this review already made), otherwise a new one, named as the quote names it."""
        f, w, cid = c["facts"], self.w, c["id"]
        ev = self.ev(c["quote"], c["locator"], c["start"])
        quote = fold(c["quote"])
        name = f.get("name", "") if f.get("name") and fold(f["name"]) in quote else ""
        acronym = f.get("acronym", "") if f.get("acronym") and f["acronym"] in c["quote"] else ""
        if not (name or acronym):
            raise _Refuse("the quote names the organization by neither its name nor its acronym")
        match = f.get("match") or {}
        node = self._graph_match(f) or self.orgs.get(fold(name or acronym)) or (self.orgs.get(fold(acronym)) if acronym else None)
        if not node:
            node = f"{DPK}org-{slug(match.get('entity') or acronym or name)}"  # the UN entity list's key where it has one
            w.fact(cid, node, RDF_TYPE, f"{PREFIXES['org']}FormalOrganization")
            w.fact(cid, node, f"{RDFS}label", w.lit(name or acronym, "en"), ev)
            if name and acronym:
                w.fact(cid, node, f"{PREFIXES['skos']}altLabel", w.lit(acronym, "en"), ev)
            for key in (name, acronym):
                if key:
                    self.orgs[fold(key)] = node
        words = next(m.group(0) for form in (f"{name} ({acronym})", name, acronym) if form
                     for m in [re.search(r"\s+".join(map(re.escape, form.split())), c["quote"], re.I)] if m)
        w.fact(cid, self.doc_node, f"{DCT}references", node, ev, stated_as=words)


    # ------------------------------------------------------------ the programme plan --

    def _plan_node(self, kind: str, c: dict, label: str, cls: str, link: str, text_key: str = "text") -> str:
        """A node for one item of a subprogramme's plan, linked from its subprogramme, its words as its description."""
        f, w, cid = c["facts"], self.w, c["id"]
        ev = self.ev(c["quote"], c["locator"], c["start"])
        scope = self.scope_node(f)
        key = "-".join(x for x in (f.get("paragraph", ""), f.get("item", ""), f.get("number", "")) if x) or cid
        node = f"{DPK}{kind}-{self.doc_id}-{slug(f.get('scope', 'programme'))}-{slug(key)}"
        w.fact(cid, node, RDF_TYPE, f"{DPO}{cls}")
        w.fact(cid, node, f"{RDFS}label", w.lit(label, "en"))
        w.fact(cid, node, f"{DCT}description", w.lit(f[text_key], "en"), ev)
        w.fact(cid, scope, f"{DPO}{link}", node, ev)
        if f.get("paragraph"):
            w.fact(cid, node, f"{DPO}paragraphNumber", w.lit(f["paragraph"]), ev, **(
                {} if f["paragraph"] in c["quote"] else {"reasoning": (
                    f"The item stands in the lettered list that paragraph {f['paragraph']} opens, before the next "
                    "numbered paragraph.")}))
        if f.get("item"):  # "(a)(iv)": the quote prints its own mark, "(iv)"
            own = re.findall(r"\([a-z0-9]+\)", f["item"])
            w.fact(cid, node, f"{DPO}itemLabel", w.lit(f["item"]), ev, stated_as=own[-1] if own else f["item"])
        return node

    def _activity(self, c: dict) -> None:
        f = c["facts"]
        self._cited(c, self._plan_node("activity", c, f"{self.sym}, {f['scope']}, para. {f['paragraph']} {f['item']}: will "
                                       f"{_short(_lower_first(f['text']))}",
                        "PlannedActivity", "plansActivity"))

    def _expected_result(self, c: dict) -> None:
        f = c["facts"]
        self._cited(c, self._plan_node("expected-result", c, f"{self.sym}, {f['scope']}, para. {f['paragraph']} {f['item']}: expected "
                                              f"to result in {_short(_lower_first(f['text']))}".replace("  ", " "),
                        "ExpectedResult", "expectsResult"))

    def _planned_result(self, c: dict) -> None:
        f = c["facts"]
        node = self._plan_node("result", c, f"{self.sym}, {f['scope']}, result {f['number']}: {_short(f['title'])}",
                               "PlannedResult", "plansResult", text_key="title")
        self.w.fact(c["id"], node, f"{DPO}ordinal", self.w.lit(f["number"], datatype=PREFIXES["xsd"] + "positiveInteger"),
                    self.ev(c["quote"], c["locator"], c["start"]))

    def _performance_measure(self, c: dict) -> None:
        f, w, cid = c["facts"], self.w, c["id"]
        ev = self.ev(c["quote"], c["locator"], c["start"])
        scope = self.scope_node(f)
        node = f"{DPK}measure-{self.doc_id}-{slug(f['scope'])}-{hashlib.sha256(c['quote'].encode()).hexdigest()[:8]}"
        w.fact(cid, node, RDF_TYPE, f"{DPO}PerformanceMeasure")
        w.fact(cid, node, f"{RDFS}label", w.lit(f"{self.sym}, {f['scope']}, {c['locator']}: performance measure: "
                                                f"{_short(f['title'])}", "en"))
        w.fact(cid, node, f"{DCT}title", w.lit(f["title"], "en"), ev)
        if f.get("result"):
            result = f"{DPK}result-{self.doc_id}-{slug(f['scope'])}-{slug(f['result'])}"
            w.fact(cid, result, f"{DPO}measuredBy", node, ev, reasoning=(
                f"The measure is printed under \"Result {f['result']}\" of {f['scope']}, before its next result: the "
                "document gives each planned result its performance measures there."))
        else:
            w.fact(cid, scope, f"{DPO}measuredBy", node, ev, reasoning=(
                f"The measure is printed under {f['scope']}'s programme performance, before its first planned result."))

    def _cell_ev(self, c: dict, cell: dict) -> dict:
        f = c["facts"]
        # the row named by its first cell, shortened and so not in quotation marks (a quote is never cut)
        row, page = _row_and_page(c["locator"])
        where = f"{table_name(f['table'])}, row {row} ({_short(c['quote'].split(chr(9))[0], 60)}), " \
                f"column \u201c{cell['column']}\u201d{page}"
        return {"iri": f"{DPK}ev-{self.doc_id}-at-{cell['start']}", "quote": cell["printed"], "locator": where,
                "row": c["quote"], "columns": cell.get("heads") or [], "context": f.get("context") or []}

    def _dataset(self, c: dict, kind: str) -> str:
        f, w, cid = c["facts"], self.w, c["id"]
        node = f"{DPK}dataset-{self.doc_id}-table-{slug(f['table'])}"
        if node not in self.w.facts:
            w.fact(cid, node, RDF_TYPE, f"{QB}DataSet")
            part = f"{f['part']}, " if f.get("part") else ""
            w.fact(cid, node, f"{RDFS}label", w.lit(f"{self.sym}, {part}{table_name(f['table'])}: {f['table_title']}", "en"))
        title_ev = {"iri": f"{DPK}ev-{self.doc_id}-table-{slug(f['table'])}", "quote": table_name(f['table']),
                    "locator": table_name(f['table']), "row": None}
        w.fact(cid, node, f"{DCT}title", w.lit(f["table_title"], "en"), {**title_ev, "quote": f["table_title"],
                                                                          "iri": title_ev["iri"] + "-title"})
        w.fact(cid, node, f"{DCT}identifier", w.lit(table_name(f['table'])), title_ev)
        w.fact(cid, node, f"{QB}structure", f"{DPO}{kind}Structure", title_ev, stated_as=table_name(f['table']))
        w.fact(cid, node, f"{DCT}source", self.doc_node, title_ev, stated_as=table_name(f['table']))
        if f.get("part"):  # a section of several entities' budgets: the part it stands under, by its heading
            w.fact(cid, node, f"{DPO}sectionPart", w.lit(f["part"], "en"),
                   self.ev(f["part"], f.get("part_locator") or f"heading \u201c{f['part']}\u201d", f["part_start"]),
                   reasoning="The table stands under the section's part of this heading, before the next part's.")
        return node

    def _observe(self, c: dict, cell: dict, dataset: str, subject_dims: list[tuple[str, str, str]], measure: str,
                 unit: str, unit_words: str) -> str | None:
        """One printed figure as a qb:Observation of ``dataset``: its dimensions, its measure and unit, each stated by
        the cell's evidence (the cell, its row, its column's header and the table's lines)."""
        f, w, cid = c["facts"], self.w, c["id"]
        ev = self._cell_ev(c, cell)
        node = f"{DPK}obs-{self.doc_id}-at-{cell['start']}"
        # a figure that is not a number as printed ("53 00") has no measure: not a Data Cube observation (IC-14 wants
        # one), but a misprint of the same table, with the same dimensions, kept as printed with a note
        observed = bool(cell.get("value"))
        w.fact(cid, node, RDF_TYPE, f"{QB}Observation" if observed else f"{DPO}Misprint")
        w.fact(cid, node, f"{RDFS}label", w.lit(f"{self.sym}, {c['locator']} ({_short(c['quote'].split(chr(9))[0], 60)}), "
                                                f"{cell['column']}: {cell['printed']}", "en"))
        w.fact(cid, node, f"{QB}dataSet" if observed else f"{DCT}isPartOf", dataset, ev, stated_as=table_name(f['table']))
        for p, o, words in subject_dims:
            w.fact(cid, node, p, o, ev, stated_as=words)
        heads = cell.get("heads") or [cell["column"]]
        w.fact(cid, node, f"{DPO}refColumn", w.lit(cell["column"]), ev, stated_as=heads[-1])
        # the period and its status come from the heading that prints a year ("2024 expenditure", "2026 planned"),
        # never from a heading over other columns ("Object of expenditure" names what is spent, not a status)
        dated = next((h for h in reversed(heads) if re.match(r"^\d{4}\b", h)), "")
        m = re.match(r"^(\d{4})\b", dated)
        if m:
            w.fact(cid, node, f"{DPO}refPeriod", w.lit(m.group(1), datatype=PREFIXES["xsd"] + "gYear"), ev)
        status = status_of(dated)
        if status:
            w.fact(cid, node, f"{DPO}refStatus", f"{DPK}status-{status[0]}", ev, stated_as=status[1])
        if cell.get("value"):
            w.fact(cid, node, f"{DPO}{measure}", w.lit(cell["value"], datatype=PREFIXES["xsd"] + "decimal"), ev,
                   stated_as=cell["printed"])
        else:  # a figure that is not a number as printed: kept as printed, with the note
            w.fact(cid, node, f"{DPO}printedValue", w.lit(cell["printed"]), ev)
            w.fact(cid, node, f"{SKOS}note", w.lit(cell["note"], "en"))
        if unit:
            w.fact(cid, node, f"{DPO}unit", w.lit(unit, "en"), ev, stated_as=unit_words)
        self._notes(c, node, cell.get("marks"))  # "641a": the table's note a qualifies the figure
        return node

    def _notes(self, c: dict, node: str, marks) -> None:
        """The table's notes a cell marks ("641a", "projects" with a raised "a"), each a ``skos:note`` of ``node`` in
        the note's own words, stated by the note where it is printed (one evidence for each note, however many
        cells mark it)."""
        f = c["facts"]
        for m in marks or ():  # (each {"mark": one letter, "text", "start", "end"}: the draft's schema says so)
            self.w.fact(c["id"], node, f"{SKOS}note", self.w.lit(m["text"], "en"),
                        {"iri": f"{DPK}ev-{self.doc_id}-at-{m['start']}", "quote": m["text"],
                         "locator": f"{table_name(f['table'])}, note {m['mark']}", "row": None})

    def _deliverable(self, c: dict) -> None:
        f, w, cid = c["facts"], self.w, c["id"]
        ev = self.ev(c["quote"], c["locator"], c["start"])
        scope = self.scope_node(f)
        node = f"{DPK}deliverable-{self.doc_id}-table-{slug(f['table'])}-row-{_row_and_page(c['locator'])[0]}"
        w.fact(cid, node, RDF_TYPE, f"{DPO}Deliverable")
        name = f["label"] if f["level"] != "described" else f"{f['subcategory']}: {f['label']}"
        w.fact(cid, node, f"{RDFS}label", w.lit(f"{self.sym}, {c['locator']}: {_short(name, 140)}", "en"))
        # a row printed with a note's raised mark ("projectsa"): its name is said without it, its words with it
        printed = f.get("printed") if isinstance(f.get("printed"), str) and f.get("printed") else ""
        w.fact(cid, node, f"{DCT}description", w.lit(f["label"], "en"), ev, stated_as=printed)
        w.fact(cid, scope, f"{DPO}delivers", node, ev, stated_as=printed)
        self._notes(c, node, f.get("notes"))
        if f.get("category"):
            w.fact(cid, node, f"{DPO}deliverableCategory", w.lit(f["category"], "en"), ev, reasoning=(
                f"The row stands under the category row \"{f['category']}\" of {table_name(f['table'])}."))
        if f.get("subcategory") and f["level"] != "subcategory":
            w.fact(cid, node, f"{DPO}deliverableSubcategory", w.lit(f["subcategory"], "en"), ev, reasoning=(
                f"The row stands under the subcategory row \"{f['subcategory']}\" of {table_name(f['table'])}."))
        elif f.get("subcategory"):
            w.fact(cid, node, f"{DPO}deliverableSubcategory", w.lit(f["subcategory"], "en"), ev)
        if f.get("number"):
            w.fact(cid, node, f"{DPO}itemLabel", w.lit(f["number"]), ev)
        if f.get("body"):
            w.fact(cid, node, f"{DPO}forBody", self.org(f["body"]), ev, stated_as=f["body"])
        if not f.get("cells"):
            return
        dataset = self._dataset(c, "Deliverables")
        dims = [(f"{DPO}refDeliverable", node, f["label"] if f["level"] != "subcategory" else f["subcategory"]),
                (f"{DPO}refProgramme", scope, _scope_words(f))]
        for cell in f["cells"]:
            self._observe(c, cell, dataset, dims, "count", f.get("unit", ""), f.get("unit", ""))

    def _resource(self, c: dict) -> None:
        from drugpolicy_kg.sources.plan import unit_key

        f, w = c["facts"], self.w
        scope = self.scope_node(f)
        dataset = self._dataset(c, "Resources")
        item = " / ".join([*f.get("path", []), f["item"]]) if f.get("path") else f["item"]
        unit_words = next((u for u in (f.get("table_unit") or "").split("/")
                           if unit_key(u) == f.get("unit")), f.get("table_unit") or "")
        dims = [(f"{DPO}refProgramme", scope, _scope_words(f)), (f"{DPO}refItem", w.lit(item, "en"), f["item"])]
        res = f.get("resolution") or {}
        inst = self.instrument({"instrument": res["instrument"], "symbol": res["symbol"],
                                "issuer_code": res["issuer_code"]}) if res else None
        for cell in f["cells"]:
            # a change in per cent ("Percentage", under "Changes") is not in the table's money or posts: its own
            # heading gives its unit
            head = (cell.get("heads") or [cell["column"]])[-1]
            unit, words = (PER_CENT, head) if PERCENT_HEAD.match(head) else (unit_key(unit_words), unit_words)
            obs = self._observe(c, cell, dataset, dims, "amount", unit, words)
            if inst and obs:
                w.fact(c["id"], obs, f"{DPO}pursuantTo", inst, self._cell_ev(c, cell), stated_as=res["symbol"])
        if inst:
            self._instrument_named(c, res, inst, self.ev(c["quote"], c["locator"], c["start"]))

    def _numbered(self, kind: str, symbol: str) -> None:
        """Refuse, before anything is checked, a resolution whose number the project's shapes would refuse ("44/15
        53/3" read from one cell): the same finding the checks give, without a whole second round of checking."""
        if kind == "resolution" and self.number_rule and not self.number_rule[0].search(symbol):
            raise _Refuse(f"{symbol!r} is not a resolution's number: {self.number_rule[1]}")

    def _instrument_named(self, c: dict, res: dict, inst: str, ev: dict) -> None:
        """The instrument a cost or a new-mandate row names: its number and the body that adopted it, stated by ``ev``
        (the graph's node where it has one: the same IRI as the mandate lists mint)."""
        w = self.w
        kind = res.get("instrument", "resolution")
        self._numbered(kind, res["symbol"])
        w.fact(c["id"], inst, RDF_TYPE, f"{DPO}{TYPES.get(kind, 'Resolution')}")
        w.fact(c["id"], inst, f"{DPO}resolutionNumber" if kind == "resolution" else f"{DCT}identifier",
               w.lit(res["symbol"]), ev)
        if res.get("group"):  # a row of a table of new mandates: the body is named by the group row above it
            w.fact(c["id"], inst, f"{DPO}adoptedBy", self.org(res["issuer"]), ev, reasoning=(
                f"The row stands under the group row \"{res['group']}\" of its table, which names the body."))
        else:
            w.fact(c["id"], inst, f"{DPO}adoptedBy", self.org(res["issuer"]), ev, stated_as=res["issuer"])
        if inst not in self.labelled and f"{RDFS}label" not in w.facts.get(inst, {}):
            w.fact(c["id"], inst, f"{RDFS}label", w.lit(f"{res['issuer']} {kind} {res['symbol']}", "en"))

    def _operative_paragraph(self, c: dict) -> None:
        """A resolution's operative paragraph: the resolution (its number and the body that adopted it, stated by the
        opening lines that name them), the paragraph, part of it, and what it provides: a dpo:Mandate where its verb
        directs action, else a dpo:Provision, with its verb, the organizations it addresses and its partners, and for
        a mandate the activity it calls for (what follows "to"), each stated by the paragraph's own words. IRIs as
        the graph's hand-made ones (res-cnd-64-3-op18, mandate-cnd-64-3-op18): a paragraph ingested again is the same
        node."""
        f, w, cid = c["facts"], self.w, c["id"]
        res, number = f["resolution"], int(f["paragraph"])
        named, opened = res["named"], res["opened"]
        quote = c["quote"]
        if not re.match(rf"{number}\.\s", quote):
            raise _Refuse(f"the quote is not paragraph {number}")
        if res["symbol"] not in named["quote"] or (opened and res["issuer"] not in opened["quote"]) or (
                not opened and res["issuer"] not in named["quote"]):
            raise _Refuse("the opening lines quoted do not name the resolution and its body")
        verb_words = VERB_WORDS.get(f["verb"], f["verb"])
        for text in (*f["addressees"], *f["partners"], f["action"]):
            if text and fold(text) not in fold(quote):
                raise _Refuse(f"the paragraph does not say {text[:60]!r}")
        ev = self.ev(quote, c["locator"], c["start"])
        at_name = self.line_ev(named)
        inst = self.instrument(res)
        self._numbered("resolution", res["symbol"])
        w.fact(cid, inst, RDF_TYPE, f"{DPO}Resolution")
        w.fact(cid, inst, f"{DPO}resolutionNumber", w.lit(res["symbol"]), at_name, stated_as=res["symbol"])
        # the body: named with the number, or "Resolution adopted by the General Assembly ..." (said in words), or
        # only the preamble's "The Commission on Narcotic Drugs," (inferred)
        said_by = at_name if opened is None else self.line_ev(opened)
        inferred = opened is not None and not re.match(rf"Resolution adopted by the {re.escape(res['issuer'])}\b",
                                                       opened["quote"])
        w.fact(cid, inst, f"{DPO}adoptedBy", self.org(res["issuer"]), said_by, stated_as=res["issuer"],
               reasoning=f"The resolution's text opens with \"{opened['quote'][:120]}\", the body whose words its "
                         "paragraphs are; it does not say in words that the body adopted it." if inferred else "")
        if inst not in self.labelled and f"{RDFS}label" not in w.facts.get(inst, {}):
            w.fact(cid, inst, f"{RDFS}label", w.lit(f"{res['issuer']} resolution {res['symbol']}", "en"))
        title = res.get("title")
        if title:  # the line between its number and its preamble, or after "79/190. "
            if title["text"] not in title["quote"]:
                raise _Refuse("the title quoted is not the line that gives it")
            w.fact(cid, inst, f"{DCT}title", w.lit(title["text"], "en"), self.line_ev(title))
        day = res.get("adopted_on")
        if day:  # "Resolution adopted by the General Assembly on 17 December 2024"
            if day["words"] not in day["quote"] or _iso_words(day["date"]) != day["words"]:
                raise _Refuse("the adoption date quoted is not the date given")
            w.fact(cid, inst, f"{DCT}date", w.lit(day["date"], datatype=PREFIXES["xsd"] + "date"), self.line_ev(day),
                   stated_as=day["words"])
        para = f"{inst}-op{number}"
        w.fact(cid, para, RDF_TYPE, f"{DPO}OperativeParagraph")
        if para not in self.labelled:
            w.fact(cid, para, f"{RDFS}label", w.lit(f"Resolution {res['symbol']}, operative paragraph {number}", "en"))
        w.fact(cid, para, f"{DPO}paragraphNumber", w.lit(str(number), datatype=PREFIXES["xsd"] + "integer"), ev,
               stated_as=f"{number}.")
        within = (f"The paragraph stands in the text whose opening names the resolution (\"{named['quote'][:120]}\"); "
                  "the paragraph itself does not name it.")
        w.fact(cid, para, f"{DCT}isPartOf", inst, at_name, stated_as=res["symbol"], reasoning=within)
        w.fact(cid, inst, f"{DCT}hasPart", para, ev, stated_as=f"{number}.", reasoning=within)
        provision = f"{DPK}mandate-{res['issuer_code']}-{slug(res['symbol'])}-op{number}"
        w.fact(cid, provision, RDF_TYPE, f"{DPO}{'Mandate' if f['directs_action'] else 'Provision'}")
        w.fact(cid, provision, f"{DPO}issuedIn", para, ev, stated_as=f"{number}.")
        said = re.search(r"\b" + r"\s+".join(map(re.escape, verb_words.split())) + r"\b", quote, re.IGNORECASE)
        if said is None:
            raise _Refuse(f"the paragraph does not say {verb_words!r}")
        w.fact(cid, provision, f"{DPO}verb", f"{DPK}verb-{f['verb']}", ev, stated_as=said.group(0))
        whom = [self.org(n) for n in f["addressees"]]
        for n, org in zip(f["addressees"], whom, strict=True):
            w.fact(cid, provision, f"{DPO}addresses", org, ev, stated_as=n)
        for n in f["partners"]:
            w.fact(cid, provision, f"{DPO}withPartner", self.org(n), ev, stated_as=n)
        if provision not in self.labelled:
            to = f" {f['addressed']}" if f["addressed"] else ""
            what = f" to {f['action']}" if f["action"] else (
                " to: " + "; ".join(f"({i['mark']}) {i['what']}" for i in f["items"]) if f.get("items") else "")
            label = f"{res['symbol']} OP{number} {verb_words}{to}{what}"
            w.fact(cid, provision, f"{RDFS}label", w.lit(_short(label, LABEL_LIMIT), "en"))
        if not f["directs_action"]:
            return
        base = f"{DPK}activity-{res['issuer_code']}-{slug(res['symbol'])}-op{number}"
        asked = [(base, f["action"], ev)] if f["action"] else []
        for item in f.get("items") or ():  # "(a) To report ...;": each item stated by its own words
            if not re.fullmatch(r"[a-z]{1,4}", item["mark"]) or item["what"] not in item["quote"] or \
                    not item["quote"].startswith(f"({item['mark']})"):
                raise _Refuse(f"item ({str(item['mark'])[:4]}) is not as its quote gives it")
            asked.append((f"{base}-{item['mark']}", item["what"], self.line_ev(item)))
        for activity, what, said in asked:
            w.fact(cid, provision, f"{DPO}calledFor", activity, said, stated_as=what)
            w.fact(cid, activity, RDF_TYPE, f"{DPO}Activity")
            if activity not in self.labelled:
                w.fact(cid, activity, f"{RDFS}label", w.lit(_short(what[:1].upper() + what[1:], LABEL_LIMIT), "en"))
            w.fact(cid, activity, f"{DCT}description", w.lit(what, "en"), said)
            for n, org in zip(f["addressees"], whom, strict=True):  # (the paragraph names whom it asks)
                w.fact(cid, activity, f"{PREFIXES['prov']}wasAssociatedWith", org, ev, stated_as=n)

    def _mandate_cost(self, c: dict) -> None:
        f, w, cid = c["facts"], self.w, c["id"]
        if not f.get("issuer"):
            raise _Refuse("the sentence does not name the body that adopted the instrument; add it by hand")
        from drugpolicy_kg.sources.extract import body_code

        ev = self.ev(c["quote"], c["locator"], c["start"])
        res = {"instrument": f.get("instrument", "resolution"), "symbol": f["symbol"], "issuer": f["issuer"],
               "issuer_code": body_code(f["issuer"])}
        inst = self.instrument(res)
        self._instrument_named(c, res, inst, ev)
        scope = self.scope_node(f)
        node = f"{DPK}cost-{self.doc_id}-{cid}"
        w.fact(cid, node, RDF_TYPE, f"{DPO}MandateCost")
        words = f.get("change_words") or f["printed"]  # "a decrease of $250,500": the amount is -250500
        w.fact(cid, node, f"{RDFS}label", w.lit(f"{self.sym}, {c['locator']}: {_short(words, 90)} pursuant to "
                                                f"{f['issuer']} {res['instrument']} {f['symbol']} ({f['scope']})", "en"))
        parts = f.get("parts") or []
        w.fact(cid, node, f"{DPO}amount", w.lit(f["amount"], datatype=PREFIXES["xsd"] + "decimal"), ev,
               stated_as=words, reasoning=(
                   f"The sentence gives the {f.get('change') or 'amount'} by object of expenditure "
                   f"({', '.join(parts)}) and no total: the amount is their sum"
                   f"{', negative for a ' + f['change'] if f['amount'].startswith('-') else ''}.") if parts else "")
        w.fact(cid, node, f"{DPO}unit", w.lit("United States dollars", "en"), ev, stated_as="$")
        w.fact(cid, node, f"{DPO}pursuantTo", inst, ev, stated_as=f["words"])
        w.fact(cid, node, f"{DPO}costOf", scope, ev, **({"stated_as": m.group(0)} if (
            m := re.search(r"[Ss]ubprogramme \d+", c["quote"])) else {"reasoning": (
                f"The sentence stands in the explanation of resource changes for {f['scope']}.")}))


ROW_AT_END = re.compile(r"row (\d+)((?:, p\. \d+)?)$")  # a row's locator ends so; a page's adds the page: ", p. 19"


def _row_and_page(locator: str) -> tuple[str, str]:
    """A table row's number in its candidate's locator, and the page the locator names, as a locator's end.

    >>> _row_and_page("Table 16.9, row 14"), _row_and_page("Table 16.9, row 14, p. 56")
    (('14', ''), ('14', ', p. 56'))
    """
    m = ROW_AT_END.search(locator)
    return (m.group(1), m.group(2)) if m else (locator.rsplit("row ", 1)[-1], "")


def _short(text: str, limit: int = 100) -> str:
    """``text`` cut at a word boundary with an ellipsis, never inside a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "\u2026"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _scope_words(f: dict) -> str:
    """The words of a table's title that name its subprogramme ("Subprogramme 2"), or the title's first words."""
    m = re.match(r"^(Subprogramme \d+(?:, component \d+| \([a-z]\))?|[^:]{1,60})", f.get("table_title", ""))
    return m.group(1) if m else f.get("table_title", "")[:20]


class _Refuse(Exception):
    pass


def _number_rule(shapes: Path) -> tuple[re.Pattern, str] | None:
    """The pattern and message of the project's shape for ``dpo:resolutionNumber`` (sh:pattern; None where it has
    none, or no shapes), read from the shapes file, so the rule is the project's own, never a copy of it."""
    if not shapes.is_file():
        return None
    from rdflib import Namespace, URIRef

    from drugpolicy_kg.graph.loader import parse_file

    sh = Namespace("http://www.w3.org/ns/shacl#")
    g = parse_file(shapes)
    for shape in g.subjects(sh.path, URIRef(f"{DPO}resolutionNumber")):
        pattern = g.value(shape, sh.pattern)
        if pattern is not None:
            flags = str(g.value(shape, sh.flags) or "")
            return re.compile(str(pattern), re.I if "i" in flags else 0), str(g.value(shape, sh.message) or "")
    return None


# ------------------------------------------------------------------ the review --

@dataclass
class Outcome:
    accepted: list[dict] = field(default_factory=list)
    refused: list[tuple[dict, str]] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    data_file: Path | None = None
    triples: int = 0


def _orgs_of(gs, leave_out: str) -> dict[str, str]:
    """Organization names (folded) -> IRI, as the graph has them outside the graph ``leave_out``."""
    from drugpolicy_kg.sources.ingest import organization_rows

    return {fold(name): iri for iri, name, g in organization_rows(gs) if g != leave_out}


def _check(project: Project, doc_id: str, turtle: str, text: str) -> tuple[list[tuple[str, str]], int]:
    """Load the project with the new data file in memory and check it: (focus IRI, reason) per finding, triples."""
    from drugpolicy_kg.checks.quotes import normalise
    from drugpolicy_kg.checks.statements import check_statements
    from drugpolicy_kg.checks.validate import run_checks, run_shacl_sparql
    from drugpolicy_kg.graph.store import GraphStore, Input, project_inputs
    from drugpolicy_kg.threads import Background

    target = project.data_dir / f"{doc_id}.ttl"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{doc_id}.ttl"
        path.write_text(turtle, encoding="utf-8")
        inputs = [i for i in project_inputs(project) if i.path.resolve() != target.resolve()]
        gs = GraphStore.in_memory([*inputs, Input(path, GRAPH_BASE + doc_id)])
        view = gs.rdflib()

        def shapes_and_checks() -> list[tuple[str, str]]:
            out = []
            if project.shapes.is_file():
                out += [(f.focus, f.message) for f in run_shacl_sparql(view, project.shapes, gs) if f.severity == "Violation"]
            return out + [(f.focus, f.message) for f in run_checks(view, project, gs)[1]]

        # in a second thread while this one checks the statements, as validate does: the engine's passes overlap
        worker = Background(shapes_and_checks, "drugpolicy-kg-review-shapes", collect=True)
        statements = [(p.focus, p.message) for p in check_statements(gs, project).problems]
        found: list[tuple[str, str]] = worker.result() + statements
        flat = normalise(text)
        # (a bound variable must be projected: Oxigraph substitutes only those)
        for ev, quote, _g in gs.select("SELECT ?ev ?q ?g WHERE { GRAPH ?g { ?ev dpo:quote ?q } }", g=GRAPH_BASE + doc_id):
            if normalise(quote) not in flat:
                found.append((ev, f"quote not found verbatim in the document's text: {quote[:60]!r}"))
        return found, gs.triples


def review(project: Project, draft: dict, accept: list[str] = (), reject: list[str] = (), reason: str = "",
           min_confidence: float = 0.0, decisions: Decisions | None = None) -> Outcome:
    """Record decisions and (re)write the document's data file from every accepted candidate that passes the checks.

    One review of a project at a time (a lock on ``data/``): two at once would each pass the checks without the
    other's file, and could together write a graph that does not. The text, the data and the decisions are
    published in one step that signals wait for, so an interrupted review leaves all three as they were."""
    from drugpolicy_kg.atomic import folder_lock

    with folder_lock(project.data_dir):
        return _review(project, draft, accept, reject, reason, min_confidence, decisions)


def _same_document(gs, doc_id: str, symbol: str, sha256: str = "") -> None:
    """Refuse a draft of another document under an id a review already wrote: it would replace that document's
    facts without a word. An id belongs to the file its facts were read from (its SHA-256); another file is the same
    document only when both carry the same UN symbol (a revised edition, the same section printed to PDF)."""
    rows = gs.select("SELECT ?p ?v ?g ?doc WHERE { GRAPH ?g { ?doc ?p ?v } "
                     "FILTER(?p IN (dpo:documentSymbol, dpo:sourceSha256)) }", g=GRAPH_BASE + doc_id, doc=f"{DPK}doc-{doc_id}")
    held_symbols = sorted(str(row[1]) for row in rows if str(row[0]).endswith("documentSymbol"))
    held_hashes = sorted(str(row[1]) for row in rows if str(row[0]).endswith("sourceSha256"))
    if not held_symbols and not held_hashes or sha256 and sha256 in held_hashes:
        return
    if symbol and held_symbols:
        if symbol in held_symbols:
            return
        raise InputError(f"data/{doc_id}.ttl holds {held_symbols[0]!r}, and this draft is {symbol!r}: ingest it again "
                         "with --doc-id ID to give it an id of its own")
    if held_hashes:
        raise InputError(f"data/{doc_id}.ttl holds the facts of another file (SHA-256 {held_hashes[0][:12]}…), and this "
                         "draft names no UN symbol that would make it the same document: ingest it again with --doc-id "
                         "ID to give it an id of its own")


def _review(project: Project, draft: dict, accept, reject, reason: str, min_confidence: float,
            decisions: Decisions | None) -> Outcome:
    from drugpolicy_kg.atomic import finish_interrupted, write_all
    from drugpolicy_kg.graph.store import GraphStore
    from drugpolicy_kg.resources import REVIEW_JOURNAL

    finish_interrupted(project.data_dir / REVIEW_JOURNAL)  # a review cut short by SIGKILL: completed first
    doc_id = draft["document"]["id"]
    dec = decisions or Decisions.load(project, doc_id)
    taken = not_reviews_own(project, doc_id)
    if taken:
        raise InputError(taken)
    cands = draft["candidates"]
    by_id = {c["id"]: c for c in cands}
    malformed = {c["id"]: problem for c in cands if (problem := candidate_problem(c))}
    named = {c["id"] for c in cands} & (set(accept) | set(reject))  # ids named one by one: the person's explicit word
    for c in select(cands, list(reject)):
        dec.rejected[c["id"]] = reason or "rejected at review"
        dec.accepted.pop(c["id"], None)
    for c in select(cands, list(accept)):
        if c["id"] not in named:  # "all" or a kind: not what was rejected (now or before, or by a check at ingest),
            if c["id"] in dec.rejected or c.get("status") == "rejected":  # nor below the confidence asked for
                continue
            if c["id"] not in malformed and float(c.get("confidence", 0)) < min_confidence:
                continue
        elif c["id"] in set(reject):
            continue
        dec.accepted[c["id"]] = c["kind"]
        dec.rejected.pop(c["id"], None)
    chosen = [by_id[i] for i in sorted(dec.accepted) if i in by_id]
    out = Outcome(rejected=[by_id[i] for i in dec.rejected if i in by_id])
    gs = GraphStore.open(project)
    _same_document(gs, doc_id, str(draft["document"].get("symbol") or ""), str(draft["document"].get("sha256") or ""))
    target_graph = GRAPH_BASE + doc_id  # this document's own earlier facts do not count as the graph's
    orgs = _orgs_of(gs, target_graph)
    labelled = {s for s, _own in gs.select(
        "SELECT DISTINCT ?s ?own WHERE { GRAPH ?g { ?s rdfs:label ?l } FILTER(?g != ?own) }", own=target_graph)}
    # a candidate that is not as ingest writes it is refused alone, with what is wrong; the others go on
    refused: dict[str, str] = {i: f"not as ingest writes it ({why})" for i, why in malformed.items() if i in dec.accepted}
    number_rule = _number_rule(project.shapes)
    for _round in range(6):
        b = _Builder(draft, dict(orgs), labelled, number_rule)
        b.document()
        kept = []
        newly_refused = False
        for c in chosen:
            if c["id"] in refused:
                continue
            try:
                b.add(c)
                kept.append(c)
            except _Refuse as exc:
                refused[c["id"]] = str(exc)
                newly_refused = True
            except (AttributeError, TypeError, KeyError, ValueError, IndexError) as exc:
                # a value of the wrong shape in a hand-edited draft: that candidate is refused, saying what broke
                refused[c["id"]] = f"its facts are not as ingest writes them ({type(exc).__name__}: {str(exc)[:80]})"
                newly_refused = True
        if newly_refused:  # a refused candidate may have written part of its facts: build again without it
            continue
        turtle = b.w.turtle()
        found, triples = _check(project, doc_id, turtle, draft["text"])
        if not found:
            break
        blamed = False
        for focus, why in found:
            for cid in b.w.owner.get(focus, ()):
                if cid in by_id and cid not in refused:
                    refused[cid] = why
                    blamed = True
        if not blamed:  # a finding no candidate owns: the project itself does not conform; write nothing
            focus, why = found[0]
            raise InputError(f"the project does not pass its checks with this document's facts ({focus}: {why}); "
                             "run `drugpolicy-kg validate`")
    else:
        raise InputError("review could not find a set of candidates that passes the checks")
    out.accepted = kept
    out.refused = [(by_id[i], why) for i, why in refused.items()]
    for i in refused:
        dec.accepted.pop(i, None)
    for i in [i for i in dec.accepted if i not in by_id]:  # an acceptance of a candidate this draft no longer has
        del dec.accepted[i]                                 # (the detectors changed): its facts are not written
    data_file = project.data_dir / f"{doc_id}.ttl"
    files: dict[Path, bytes] = {}
    if kept:
        files[project.sources_dir / f"{doc_id}.txt"] = draft["text"].encode("utf-8")
        files[data_file] = turtle.encode("utf-8")
        out.data_file, out.triples = data_file, triples
    files[dec.path] = dec.to_json().encode("utf-8")
    write_all(files, journal=project.data_dir / REVIEW_JOURNAL)
    return out


def mark_decided(draft: dict, dec: Decisions) -> int:
    """Set the status of candidates already decided (so a rejection sticks when the document is ingested again)."""
    n = 0
    for c in draft["candidates"]:
        if c["id"] in dec.rejected:
            c["status"], c["note"] = "rejected", f"rejected at an earlier review: {dec.rejected[c['id']]}"
            n += 1
        elif c["id"] in dec.accepted:
            c["status"] = "accepted"
    return n


def describe(c: dict) -> str:
    """A candidate's facts in one line, as the review lists and asks about them (or what is wrong with them)."""
    problem = candidate_problem(c)
    if problem:
        return f"not as ingest writes it ({problem}): it will be refused"
    f = c["facts"]
    if c["kind"] == "organization":
        named = f"{f.get('name')} ({f.get('acronym')})" if f.get("name") and f.get("acronym") else (f.get("name") or f.get("acronym"))
        m = f.get("match") or {}
        to = (f"the graph's {m['known_as']}" if m.get("iri") else f"{m.get('known_as')} of the UN entity list (new in the graph)"
              ) if m else "no organization the graph or the UN entity list knows (new in the graph)"
        return f"{named} -> {to}; named {f.get('mentions', 1)} time(s)"
    if c["kind"] == "operative-paragraph":
        res = f.get("resolution") or {}
        whom = ", ".join(f.get("addressees") or ()) or (f"{f['addressed']!r} (no organization)" if f.get("addressed") else "")
        verb = VERB_WORDS.get(f.get("verb"), f.get("verb"))
        return (f"{res.get('symbol')} OP{f.get('paragraph')}: {verb}"
                + (f" {whom}" if whom else "") + (f" with {', '.join(f['partners'])}" if f.get("partners") else "")
                + (f" to {f['action']}" if f.get("action") else "")
                + (" to: " + "; ".join(f"({i['mark']}) {i['what']}" for i in f["items"]) if f.get("items") else "")
                + ("" if f.get("directs_action") else " (a provision: asks for no action)"))
    return "; ".join(f"{v}" for k, v in f.items() if k in ("symbol", "title", "scope", "goal", "target", "objective") and v)


def interactive(draft: dict, dec: Decisions, ask=input, say=print) -> tuple[list[str], list[str]]:
    """One by one over the pending candidates: [a]ccept, [r]eject, [s]kip, [q]uit. Returns (accept ids, reject ids)."""
    from drugpolicy_kg.tables import terminal_safe

    acc, rej = [], []
    pending = [c for c in draft["candidates"] if c["id"] not in dec.accepted and c["id"] not in dec.rejected]
    for n, c in enumerate(pending, 1):
        say(terminal_safe(f"[{n}/{len(pending)}] {c['id']} {c['kind']} (confidence {c.get('confidence')}): {describe(c)}"))
        say(terminal_safe(f"    “{c.get('quote')}” — {c.get('locator')}"))
        if c.get("note"):
            say(terminal_safe(f"    note: {c['note']}"))
        while True:
            try:
                answer = ask("    [a]ccept, [r]eject, [s]kip, [q]uit? ").strip().lower()[:1]
            except EOFError:
                answer = "q"
            if answer in ("a", "r", "s", "q"):
                break
        if answer == "q":
            break
        if answer == "a":
            acc.append(c["id"])
        elif answer == "r":
            rej.append(c["id"])
    return acc, rej
