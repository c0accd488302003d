"""Candidate facts from a UN programme-budget section, each with its verbatim quote and locator.

The genre (A/80/6 and its siblings) states, section by section:

- **legislative mandates**: under the heading "Legislative mandates", for the programme and
  then per subprogramme (and component), lists headed by the issuing body ("Commission on
  Narcotic Drugs resolutions and decisions"), one table row per instrument (symbols, title;
  a row "34/180; 70/131" is two resolutions), and conventions as bullets;
- the **programme of work**: per subprogramme its title, its **objective** ("The objective,
  to which this subprogramme contributes, is to ...") and a strategy that names the
  **Sustainable Development Goals** it helps Member States reach.

Detectors work on the structure (headings, rows, numbered paragraphs), not on one file's
page layout. Each candidate carries the detector that found it and a confidence; every
quote is a piece of the document's text, checked verbatim before the draft is written.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields

from drugpolicy_kg.sources.organizations import BODY_WORDS, PAIR, PAIR_REVERSED, Index, Known, fold
from drugpolicy_kg.sources.plan import Strategy, programme_plan, scope_label
from drugpolicy_kg.sources.reader import BULLET, DATE, SYMBOL, Document, Segment, _iso

_WHAT = r"(?:resolutions?|decisions?|statements?|declarations?)"
ISSUER_HEADING = re.compile(rf"^(?P<body>.+?) (?P<what>{_WHAT}(?: and {_WHAT})?)$")
# "President's statement agreed upon by the Human Rights Council", "Declarations adopted by the General Assembly"
ISSUER_AFTER = re.compile(rf"^(?P<what>(?:President[’']s )?{_WHAT}(?: and {_WHAT})?)"
                          r" (?:agreed upon|adopted|issued|made|approved) by (?:the )?(?P<body>[A-Z].+?)\.?$", re.I)
CONVENTIONS = re.compile(r"^(Conventions|Treaties|Conventions and protocols|International conventions)( and protocols)?$", re.I)
SUBPROGRAMME = re.compile(r"^Subprogramme (\d+)(?:,? [Cc]omponent (\d+))?\.?$")
COMPONENT = re.compile(r"^Component (\d+)\.?$")
# the part after the programme of work ("B. Proposed post and non-post resource requirements for 2026"), a numbered
# part ("II. Committee on Missing Persons in Cyprus") or an annex
END_OF_WORK = re.compile(r"^(?:[B-Z]\. Proposed post and non-post resource requirements|[IVX]+\. |Annex\b)")
PART_HEADING = re.compile(r"^\(([a-z])\) ([A-Z][^.;:]{2,80})$")  # "(b) Right to development": a part's title, no sentence
END_OF_MANDATES = {"Deliverables", "Evaluation activities", "Programme of work"}
RES_SYMBOL = re.compile(r"^(?:(?P<dec>[Dd]ecision) )?(?P<sym>(?:S-|ES-)?\d{1,4}/\d{1,4}(?: \([A-Z]+\))?(?: [A-Z](?: and [A-Z])?)?)$")
SC_SYMBOL = re.compile(r"^(?P<sym>\d{3,4} \(\d{4}\)"                      # Security Council: 2117 (2013)
                       r"|\d{2,4}(?: [A-Z](?: and [A-Z])?)? \([IVXL]+\)"     # early ECOSOC / GA: 834 (IX), 2106 A (XX)
                       r"|\d{1,4}/\d{1,4}/Corr\.\d+"                       # a corrigendum: 27/31/Corr.1
                       r"|PRST/(?:OS/)?\d{1,3}/\d{1,3})$")                  # a president's statement: PRST/22/1, PRST/OS/18/1
# "to which this subprogramme contributes", "to which component 1 of this subprogramme contributes"
OBJECTIVE = re.compile(r"The objective, to which (?:this (?:subprogramme|programme|component)|(?:component|part) \w{1,3} of this "
                       r"subprogramme) contributes, is (?P<obj>to .+?)\.?$")
# "Sustainable Development Goals 3, 4, 5, 10 and 16", "in particular, Goals 5, 11 and 16", "Goals 3, 16, and 17", "Goal 3"
SDG_MENTION = re.compile(r"(?P<sd>Sustainable Development )?\bGoals? (?P<list>\d{1,2}(?:(?:, | and |, and )\d{1,2})*)\b")
TARGET_MENTION = re.compile(r"\b[Tt]argets? (?P<list>\d{1,2}\.[0-9a-z]{1,2}(?:(?:, | and |, and )\d{1,2}\.[0-9a-z]{1,2})*)")
RES_IN_TEXT = re.compile(r"\b(?:General Assembly |Council |Commission )?(?:resolutions?|decisions?) (?P<sym>(?:S-)?\d{1,4}/\d{1,4})\b")
BODY_CODES = {
    "General Assembly": "ga", "Economic and Social Council": "ecosoc", "Security Council": "sc",
    "Commission on Narcotic Drugs": "cnd", "Commission on Crime Prevention and Criminal Justice": "ccpcj",
    "Human Rights Council": "hrc", "Commission on the Status of Women": "csw", "Commission on Human Rights": "chr",
}


@dataclass
class Candidate:
    """One fact a detector found, waiting for a person's decision."""

    id: str
    kind: str            # legislative-mandate | subprogramme | objective | sdg | reference | organization | implementer
    facts: dict
    quote: str
    locator: str
    start: int
    end: int
    detector: str
    confidence: float
    status: str = "pending"
    note: str = ""

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # (asdict deep-copies: a third of a large ingest)


def _cid(kind: str, *key: str) -> str:
    """A stable id: the same fact of the same document gets the same id on every run (so rejections stick)."""
    return kind[:3] + "-" + hashlib.sha256("\0".join((kind, *key)).encode()).hexdigest()[:10]


def body_code(body: str) -> str:
    """A short code for an issuing body, used in the IRIs minted at review.

    >>> body_code("Commission on Narcotic Drugs"), body_code("Conference of the States Parties to the Convention")
    ('cnd', 'cotspttc')
    """
    if body in BODY_CODES:
        return BODY_CODES[body]
    return "".join(w[0] for w in re.findall(r"[A-Za-z]+", body)).lower()[:12] or "body"


@dataclass
class _Scope:
    level: str = "programme"        # programme | subprogramme
    number: str = ""
    component: str = ""
    title: str = ""
    heading: Segment | None = None  # the "Subprogramme 2" heading it starts at (None for the programme)

    @property
    def label(self) -> str:
        return scope_label(self.level, self.number, self.component)


@dataclass
class Extraction:
    candidates: list[Candidate] = field(default_factory=list)
    rows_seen: int = 0          # mandate-list rows read (the recall denominator)
    operative: dict[str, int] = field(default_factory=dict)  # resolution ("CND resolution 66/2") -> paragraphs read
    operative_unread: int = 0   # paragraphs that open as operative ones where no resolution and body are named

    def add(self, c: Candidate) -> None:
        self.candidates.append(c)


def extract(doc: Document, sdg_targets: set[str] | None = None, organizations: Index | None = None) -> Extraction:
    """Every candidate fact of a programme-budget section (organizations only where an index to match them is given)."""
    out = Extraction()
    bodies = _body_names(doc)
    _mandates(doc, out)
    _programme_of_work(doc, out, sdg_targets)
    _implementer(doc, out, organizations)
    for c in programme_plan(doc):
        out.add(c)
    _references(doc, out, bodies)
    _operative_paragraphs(doc, out, bodies, organizations)
    if organizations is not None:
        _organizations(doc, out, organizations)
    seen, unique = set(), []
    for c in out.candidates:
        if c.id not in seen:
            seen.add(c.id)
            unique.append(c)
    out.candidates = unique
    _footnotes(doc, out, bodies)
    return out


NOTED = ("legislative-mandate", "activity", "expected-result")  # the candidates a footnote mark can qualify


def _footnotes(doc: Document, out: Extraction, bodies: list[str]) -> None:
    """A footnote whose mark stands in a mandate row or a strategy item qualifies it ("In particular the annex,
    entitled ..."; "See General Assembly resolutions 72/194, 72/284 and 74/175."): kept with the candidate, each with
    its words, its place, where its mark stands and the instruments it names with their body. A strategy item or
    expected result keeps the instruments its own words name with their body too."""
    import bisect

    noted = [s for s in doc.segments if s.notes]
    starts = [s.start for s in noted]
    for c in out.candidates:
        if c.kind in ("activity", "expected-result"):  # "(b) ... pursuant to Human Rights Council resolution 55/29"
            c.facts["instruments"] = named_instruments(c.quote, bodies)
        i = bisect.bisect_right(starts, c.start) - 1
        if c.kind not in NOTED or i < 0 or not noted[i].start <= c.start < noted[i].end:
            continue
        seg = noted[i]
        c.facts["footnotes"] = [{"number": n.number, "quote": n.text, "locator": n.locator, "start": n.start,
                                 "end": n.end, "mark": seg.locator,
                                 "instruments": [m for m in named_instruments(n.text, bodies)]}
                                for n in doc.footnotes_of(seg)]


_SYM = r"(?:(?:S-|ES-)?\d{1,4}/\d{1,4}|\d{3,4} \(\d{4}\))"   # 63/1, S-20/2, 2482 (2019)
_SYMS = rf"{_SYM}(?:(?:, | and |, and ){_SYM})*"


def _body_names(doc: Document) -> list[str]:
    """The bodies whose instruments a sentence can name: the UN's principal organs and commissions, and every body
    the document's mandate lists name as an issuer; longest first, so "Economic and Social Council" wins over
    "Council"."""
    from drugpolicy_kg.sources.plan import _issuers

    return sorted(set(BODY_CODES) | set(_issuers(doc)), key=len, reverse=True)


def named_instruments(text: str, bodies: list[str]) -> list[dict]:
    """Resolutions and decisions a sentence names together with the body that adopted them: "General Assembly
    resolutions 72/194, 72/284 and 74/175", "Resolution 63/1 and 65/3 of the Commission on Narcotic Drugs",
    "Security Council resolution 2482 (2019)". A number whose body the sentence does not name is not one of them.

    >>> [(m["issuer"], m["symbol"]) for m in named_instruments(
    ...     "Resolution 63/1 and 65/3 of the Commission on Narcotic Drugs.", ["Commission on Narcotic Drugs"])]
    [('Commission on Narcotic Drugs', '63/1'), ('Commission on Narcotic Drugs', '65/3')]
    """
    if not bodies:
        return []
    names = "|".join(re.escape(b) for b in bodies)
    what = r"(?P<what>[Rr]esolutions?|[Dd]ecisions?)"
    found = []
    for rx in (re.compile(rf"\b(?P<body>{names})(?:[’']s?)? {what} (?P<list>{_SYMS})"),
               re.compile(rf"\b{what} (?P<list>{_SYMS}) (?:of|adopted by) the (?P<body>{names})\b")):
        for m in rx.finditer(text):
            kind = "decision" if m.group("what").lower().startswith("decision") else "resolution"
            for sym in re.findall(_SYM, m.group("list")):
                found.append({"issuer": m.group("body"), "issuer_code": body_code(m.group("body")), "symbol": sym,
                              "instrument": kind, "words": m.group(0), "at": m.start(), "end": m.end()})
    seen, unique = set(), []
    for f in sorted(found, key=lambda f: f["at"]):
        if (f["issuer"], f["symbol"]) not in seen:
            seen.add((f["issuer"], f["symbol"]))
            unique.append(f)
    return unique


def _where(seg: Segment | None) -> dict | None:
    """A heading a fact depends on, as evidence: its words, locator and offsets."""
    return None if seg is None else {"quote": seg.text, "locator": seg.locator, "start": seg.start, "end": seg.end}


def _mandate(out: Extraction, seg: Segment, scope: _Scope, issuer: str, instrument: str, symbol: str, title: str,
             detector: str, confidence: float, note: str = "", quote: str | None = None,
             headings: tuple[Segment | None, Segment | None] = (None, None), span: tuple[int, int] | None = None,
             printed: str = "") -> None:
    """Add one legislative-mandate candidate: an instrument listed for a scope, quoted by its row (or bullet).

    ``headings`` are the "Legislative mandates" heading and the issuer's list heading the row stands under;
    with the scope's own heading they are the words that state the row's place (kept in ``facts["context"]``).
    """
    facts = {"instrument": instrument, "issuer": issuer, "issuer_code": body_code(issuer) if issuer else "", "symbol": symbol,
             "title": title, "scope": scope.label, "scope_title": scope.title,
             "context": {"list": _where(headings[0]), "issuer": _where(headings[1]), "scope": _where(scope.heading)}}
    if printed and printed != symbol:  # the symbol as the row prints it, where it is read in another spacing
        facts["printed"] = printed
    key = _cid("legislative-mandate", scope.label, issuer, instrument, symbol or title, seg.locator)
    if span is not None:  # a part of the row: quoted alone, at its own offsets
        a, b = span
        out.add(Candidate(key, "legislative-mandate", facts, seg.text[a:b], seg.locator, seg.start + a, seg.start + b,
                          detector, confidence, note=note))
        return
    out.add(Candidate(key, "legislative-mandate", facts, quote if quote is not None else seg.text, seg.locator,
                      seg.start, seg.end, detector, confidence, note=note))


def _mandates(doc: Document, out: Extraction) -> None:
    in_region = False
    scope = _Scope()
    issuer, what, expect_title = None, None, False
    region_seg = issuer_seg = None
    list_table = 0    # the table the rows under the issuer's heading are in (0: none yet)
    headless = False  # rows of a table that follows another with no heading of its own
    for seg in doc.segments:
        text = seg.text.strip()
        if seg.kind == "heading" and text == "Legislative mandates":
            in_region, region_seg = True, seg
            continue
        if not in_region:
            continue
        if seg.kind == "heading" and text in END_OF_MANDATES:
            break
        m = SUBPROGRAMME.match(text)
        if m and seg.kind != "row":
            scope = _Scope("subprogramme", m.group(1), m.group(2) or "", heading=seg)
            issuer, issuer_seg, expect_title = None, None, True
            continue
        ih = (ISSUER_AFTER.match(text) or ISSUER_HEADING.match(text)) if seg.kind != "row" else None
        if expect_title and seg.kind != "row" and not ih and not CONVENTIONS.match(text):
            scope.title, expect_title = text, False
            out.add(Candidate(_cid("subprogramme", scope.label, text), "subprogramme",
                              {"number": scope.number, "component": scope.component, "title": text, "scope": scope.label},
                              text, seg.locator, seg.start, seg.end, "mandates-list: subprogramme heading", 0.95))
            continue
        if ih:
            issuer, what, issuer_seg = ih.group("body").strip(), ih.group("what").lower(), seg
            list_table, headless = 0, False
            continue
        if seg.kind != "row" and CONVENTIONS.match(text):
            issuer, what, issuer_seg = "", "conventions", seg
            list_table, headless = 0, False
            continue
        if seg.kind == "row" and issuer is not None:
            if list_table and seg.table != list_table:  # a second table under one heading: its own heading is not
                issuer, what, headless = "", "unknown", True  # on the page (a print that lost it), so no issuer
            list_table = seg.table
        if seg.kind == "item" and what == "conventions" and BULLET.match(text):
            title = BULLET.sub("", text).strip()
            out.rows_seen += 1
            _mandate(out, seg, scope, "", "convention", "", title, "mandates-list: bullet", 0.95,
                     headings=(region_seg, issuer_seg))
            continue
        # a one-cell row of a table saved as text is a plain line: "2370 (2017)", or a declaration's title
        one_cell = seg.kind == "paragraph" and not seg.number and (
            _symbols_only(text) or bool(what) and ("declaration" in what or "statement" in what))
        if issuer is not None and (seg.kind == "row" or one_cell):
            before = len(out.candidates)
            _mandate_row(seg, issuer, what, scope, out, (region_seg, issuer_seg))
            if what == "unknown":  # kept for review (recall), never accepted on a bulk "yes" (precision)
                for c in out.candidates[before:]:
                    c.confidence = min(c.confidence, 0.3)
                    c.note = ("a list that follows another with no heading of its own (the page prints none): the "
                              "body that issued it is not known" if headless else
                              f"the list heading {issuer_seg.text!r} names no issuing body in a form the reader knows")
            continue
        if seg.kind == "heading" or (seg.kind == "paragraph" and not seg.number):
            # a list heading of a form not known here (in a .txt, any unnumbered line that is not a row):
            # the rows under it must not inherit the last issuer
            issuer, what, issuer_seg = "", "unknown", seg
            list_table, headless = 0, False


def _symbols_only(text: str) -> bool:
    """Is ``text`` nothing but instrument symbols ("2370 (2017)", "34/180; 70/131")?"""
    parts = [standard_spacing(p.strip()) for p in text.split(";")]
    return all(p and (RES_SYMBOL.match(p) or SC_SYMBOL.match(p)) for p in parts)


MAX_ROW_QUOTE = 4000  # characters of a mandate list's row quoted whole with each of its instruments; the longest
                     # mandate rows of the two budget sections are under 400


def _mandate_row(seg: Segment, issuer: str, what: str, scope: _Scope, out: Extraction,
                 headings: tuple[Segment | None, Segment | None]) -> None:
    cells = [c.strip() for c in (seg.cells or [seg.text])]
    filled = [c for c in cells if c]
    if not filled:
        return
    out.rows_seen += 1
    first = cells[0] if cells and cells[0] else filled[0]
    title = next((c for c in cells[1:] if c), "") if cells and cells[0] else ""
    printed = [p.strip() for p in first.split(";") if p.strip()]
    parts = [_read_symbol(p) for p in printed]
    parsed = [(RES_SYMBOL.match(p) or SC_SYMBOL.match(p)) for p in parts]
    default_kind = "decision" if what.startswith("decision") else ("declaration" if "declaration" in what or "statement" in what
                                                                   else "resolution")
    if not any(parsed) and len(filled) >= 2:  # two cells: the first holds symbols, even of a form not known here
        parsed = [None] * len(parts)
    elif not any(parsed):  # one cell and no symbol: a declaration or statement named by its title
        title = " ".join(filled)
        kind = "declaration" if re.search(r"[Dd]eclaration", title) else ("statement" if "tatement" in title else default_kind)
        _mandate(out, seg, scope, issuer, kind, "", title, "mandates-list: row without symbol", 0.8, "no symbol in the row",
                 headings=headings)
        return
    if len(seg.text) > MAX_ROW_QUOTE:  # no mandate list has such a row: each part is quoted alone, without the title
        at = 0
        for part, shown, m in zip(parts, printed, parsed):
            a = seg.text.find(shown, at)
            at = a + len(shown)
            _mandate(out, seg, scope, issuer, default_kind, m.group("sym") if m else part, "",
                     "mandates-list: row too long to quote whole", 0.4,
                     f"the row is {len(seg.text):,} characters long, which no mandate list's row is: the quote is this "
                     "part alone, so the row's title is left out", headings=headings, span=(a, at))
        return
    for part, shown, m in zip(parts, printed, parsed):
        spacing = "" if part == shown else (
            f"the row prints the symbol {shown!r}, read as {part!r}: its column is printed one character a line, "
            "and a space at a line's end does not show")
        if m is not None and m.group("sym").startswith("PRST/"):
            _mandate(out, seg, scope, issuer, "statement", part, title, "mandates-list: row, president's statement", 0.95,
                     headings=headings)
            continue
        if m is None:
            _mandate(out, seg, scope, issuer, default_kind, part, title, "mandates-list: row, unrecognised symbol", 0.5,
                     f"symbol {part!r} is not of a known form", headings=headings)
            continue
        kind = "decision" if m.groupdict().get("dec") else ("resolution" if default_kind == "declaration" else default_kind)
        if what == "resolutions and decisions" and not m.groupdict().get("dec"):
            kind = "resolution"
        _mandate(out, seg, scope, issuer, kind, m.group("sym"), title, "mandates-list: row", 0.98 if title else 0.9,
                 "; ".join(x for x in (spacing, "" if title else "the row gives no title") if x), headings=headings,
                 printed=shown if spacing else "")


def _read_symbol(printed: str) -> str:
    """A row's symbol as the list reads it: as printed, or in the standard spacing where only that is of a known form
    (a symbol from a column printed one character a line); one of a form not known stays as printed."""
    if RES_SYMBOL.match(printed) or SC_SYMBOL.match(printed):
        return printed
    spaced = standard_spacing(printed)
    return spaced if RES_SYMBOL.match(spaced) or SC_SYMBOL.match(spaced) else printed


def standard_spacing(symbol: str) -> str:
    """A symbol read from a column printed one character a line, where a space at a line's end does not show, in
    the spacing the lists print it with; any other symbol as it is.

    >>> [standard_spacing(s) for s in ("Decision2022/316", "1946/9(I)", "2370(2017)", "59/113AandB", "70/1")]
    ['Decision 2022/316', '1946/9 (I)', '2370 (2017)', '59/113 A and B', '70/1']
    """
    out = re.sub(r"^([Dd]ecision)(?=\d)", r"\1 ", symbol)
    out = re.sub(r"(?<=\d)\((?=(?:[A-Z]+|\d{4})\)$)", " (", out)
    return re.sub(r"(?<=\d)([A-Z])(?:and([A-Z]))?$", lambda m: f" {m[1]}" + (f" and {m[2]}" if m[2] else ""), out)


SENTENCE_REACH = 1500  # characters a quote reaches either side of what it states, looking for the sentence's ends


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence of ``text`` around [start, end): its bounds. A sentence that runs on past ``SENTENCE_REACH``
    characters either side is cut at a space within that reach (the quote stays verbatim, only shorter), so a
    paragraph with no full stop and many mentions costs linear time and a draft of its own size, not quadratic.

    >>> _sentence("First one. The ISN met; it agreed. Done.", 11, 18)
    (11, 23)
    >>> a, b = _sentence("word " * 10000, 25000, 25004)
    >>> 25000 - a <= SENTENCE_REACH and b - 25004 <= SENTENCE_REACH
    True
    """
    lo, hi = max(0, start - SENTENCE_REACH), min(len(text), end + SENTENCE_REACH)
    a = max(text.rfind(". ", lo, start), text.rfind("; ", lo, start))
    if a >= 0:
        a += 2
    elif lo == 0:
        a = 0
    else:  # no sentence start within reach: from the first word boundary in it
        a = text.find(" ", lo, start) + 1 or start
    b = min((i for i in (text.find(". ", end, hi), text.find("; ", end, hi)) if i >= 0), default=-1)
    if b >= 0:
        b += 1
    elif hi == len(text):
        b = hi
    else:
        b = text.rfind(" ", end, hi)
        b = hi if b < 0 else b
    return a, min(len(text), b)


RESPONSIBLE = re.compile(r"^\d{1,3}\.1 The (?P<name>[A-Z][^()]{3,150}?)(?: \((?P<acronym>[A-Z][A-Za-z-]{1,12})\))? "
                         r"is responsible for\b")  # "16.1 The United Nations Office on Drugs and Crime (UNODC) is ..."


def _implementer(doc: Document, out: Extraction, index: Index | None = None) -> None:
    """The entity whose programme the section plans, where the section says whose: the part its programme plan
    stands under, headed by the entity's name ("I. Office of the United Nations High Commissioner for Human Rights",
    then "A. Proposed programme plan for 2026 ..."), or the overall orientation's first paragraph, which says what the
    entity is responsible for ("16.1 The United Nations Office on Drugs and Crime (UNODC) is responsible for ...").
    Neither says "implements" in words: the candidate says how it is inferred."""
    from drugpolicy_kg.sources.plan import PART

    part: Segment | None = None
    segments = iter(doc.segments)
    for seg in segments:
        text = seg.text.strip()
        if seg.kind in ("heading", "paragraph") and PART.match(text):  # (a saved text keeps no heading styles)
            part = seg
        if seg.kind in ("heading", "paragraph") and text == "Overall orientation":
            break
    else:
        return  # no programme plan

    def match(name: str, acronym: str) -> dict | None:  # the graph's organization, as organization candidates match
        k = (index.name(name) or (index.acronym(acronym) if acronym else None)) if index is not None else None
        return None if k is None or not k.iri else {"iri": k.iri, "entity": k.entity, "known_as": k.shown}

    if part is not None:
        name = PART.match(part.text.strip()).group("name")
        out.add(Candidate(_cid("implementer", name), "implementer",
                          {"name": name, "acronym": "", "how": "part", "match": match(name, "")},
                          part.text, part.locator, part.start, part.end, "programme plan under the entity's part", 0.85))
        return
    first = next((s for s in segments if s.kind == "paragraph" and re.match(r"\d{1,3}\.\d{1,3}\s", s.text)), None)
    m = RESPONSIBLE.match(first.text) if first is not None else None
    if m:
        a, b = _sentence(first.text, m.start("name"), m.end())
        name, acronym = m.group("name"), m.group("acronym") or ""
        out.add(Candidate(_cid("implementer", name), "implementer",
                          {"name": name, "acronym": acronym, "how": "responsible", "match": match(name, acronym)},
                          first.text[a:b], first.locator, first.start + a, first.start + b,
                          "overall orientation: the entity responsible", 0.85))


def _programme_of_work(doc: Document, out: Extraction, sdg_targets: set[str] | None) -> None:
    strategy = Strategy()
    scope = _Scope()
    expect_title = False
    in_work = False
    part_seg: Segment | None = None  # a "(b) Right to development" item, until running text follows it
    past_work = False
    # a document with no programme of work (a conference room paper, a report) has no programme: a Goal or target it
    # names is one it names ("document"), not one a programme of it serves
    plan = any(s.kind == "heading" and s.text.strip() == "Programme of work" for s in doc.segments)
    for seg in doc.segments:
        text = seg.text.strip()
        if seg.kind == "heading" and text == "Programme of work":
            in_work = True
            continue
        if seg.kind == "heading" and in_work and END_OF_WORK.match(text):
            in_work, past_work, scope = False, True, _Scope()  # the resources part: no subprogramme's work after this
            continue
        m = SUBPROGRAMME.match(text)
        if m and seg.kind != "row" and in_work:
            scope = _Scope("subprogramme", m.group(1), m.group(2) or "")
            expect_title = True
            continue
        cm = COMPONENT.match(text)
        if cm and seg.kind == "heading" and in_work and scope.level == "subprogramme":
            scope = _Scope("subprogramme", scope.number, cm.group(1))  # "Subprogramme 9", then "Component 1": its title next
            expect_title = True
            continue
        if expect_title and seg.kind != "row":
            scope.title, expect_title = re.sub(r"^\([a-z]\)\s*", "", text), False
            out.add(Candidate(_cid("subprogramme", scope.label, scope.title), "subprogramme",
                              {"number": scope.number, "component": scope.component, "title": scope.title, "scope": scope.label},
                              text, seg.locator, seg.start, seg.end, "programme of work: subprogramme heading", 0.95))
            continue
        if in_work and seg.kind in ("paragraph", "item", "heading"):
            for c in strategy.feed(seg, scope.label, scope.title):
                out.add(c)
        if seg.kind in ("paragraph", "item"):
            om = OBJECTIVE.search(text)
            part = PART_HEADING.match(part_seg.text) if part_seg is not None else None
            if om and in_work and part and scope.level == "subprogramme":
                # "(b) Right to development" above an objective (headings between): a lettered part of the
                # subprogramme (Sect. 24's "Subprogramme 1 (b)"), with an objective of its own
                scope = _Scope("subprogramme", scope.number, part.group(1), part.group(2), heading=part_seg)
                out.add(Candidate(_cid("subprogramme", scope.label, scope.title), "subprogramme",
                                  {"number": scope.number, "component": scope.component, "title": scope.title,
                                   "scope": scope.label}, part_seg.text, part_seg.locator, part_seg.start, part_seg.end,
                                  "programme of work: lettered part heading", 0.9))
            part_seg = seg if seg.kind == "item" and PART_HEADING.match(text) and in_work else None
            if om and in_work:
                a, b = om.start(), om.end()
                out.add(Candidate(_cid("objective", scope.label, om.group("obj")), "objective",
                                  {"scope": scope.label, "scope_title": scope.title, "objective": om.group("obj")},
                                  text[a:b], seg.locator, seg.start + a, seg.start + b, "objective sentence", 0.97))
        if seg.kind == "row":
            continue
        where = scope.label if in_work else "programme" if plan else "document"
        mentions = [(m, [g for g in re.findall(r"\d{1,2}", m.group("list"))], "goal list") for m in SDG_MENTION.finditer(text)]
        mentions += [(m, re.findall(r"\d{1,2}\.[0-9a-z]{1,2}", m.group("list")), "target") for m in TARGET_MENTION.finditer(text)]
        for m, codes, form in mentions:
            a, b = _sentence(text, m.start(), m.end())
            said = m.groupdict().get("sd") or form == "target" or re.search(
                r"Sustainable Development|\bSDGs?\b|2030 Agenda", text[max(0, a - 600):b]) or re.search(
                r"(?:progress towards|achievement of|achieving|in particular,?) (?:the )?$", text[max(0, m.start() - 40):m.start()])
            for code in codes:
                target = code if "." in code else ""
                valid = (sdg_targets is None or target in sdg_targets) if target else 1 <= int(code) <= 17
                note = "" if valid else (f"{code} is not a target of the SDG concept scheme" if target
                                         else f"{code} is not one of the 17 goals")
                confidence = (0.85 if target else 0.9) if valid else 0.0
                if valid and not said:
                    confidence, note = 0.4, "the sentence says \"Goal\" without saying these are Sustainable Development Goals"
                if valid and past_work:  # "UNODC integrates environmental management (target 12.6)": the office's
                    confidence = 0.4     # operations, not the work of a subprogramme
                    note = ("stated after the programme of work (resources, executive direction): the sentence may be "
                            "about the office's operations, not what its programme serves")
                out.add(Candidate(_cid("sdg", where, ("t" + target) if target else code, seg.locator), "sdg",
                                  {"scope": where, "scope_title": scope.title if in_work else "",
                                   "goal": code.split(".")[0], "target": target},
                                  text[a:b], seg.locator, seg.start + a, seg.start + b, f"SDG mention: {form}",
                                  confidence, status="pending" if valid else "rejected", note=note))


def _references(doc: Document, out: Extraction, bodies: list[str]) -> None:
    """Resolutions and documents named in running text (not in the mandate lists); a resolution whose body the
    sentence names ("Resolution 63/1 and 65/3 of the Commission on Narcotic Drugs") as that body's (one of
    ``bodies``)."""
    for seg in doc.segments:
        if seg.kind not in ("paragraph", "item", "footnote"):
            continue
        named = named_instruments(seg.text, bodies)
        for f in named:
            a, b = _sentence(seg.text, f["at"], f["end"])
            out.add(Candidate(_cid("reference", seg.locator, f["issuer"], f["symbol"]), "reference",
                              {"symbol": f["symbol"], "issuer": f["issuer"], "issuer_code": f["issuer_code"],
                               "instrument": f["instrument"], "named_as": f["words"],
                               "form": "resolution number with its body"},
                              seg.text[a:b], seg.locator, seg.start + a, seg.start + b,
                              "reference in text: number and body", 0.85))
        with_body = {f["symbol"] for f in named}
        for m in RES_IN_TEXT.finditer(seg.text):
            if m.group("sym") in with_body:  # found above with its body
                continue
            a, b = _sentence(seg.text, m.start(), m.end())
            out.add(Candidate(_cid("reference", seg.locator, m.group("sym")), "reference",
                              {"symbol": m.group("sym"), "form": "resolution or decision number"},
                              seg.text[a:b], seg.locator, seg.start + a, seg.start + b, "reference in text: number", 0.6,
                              note="the issuing body is not always named in the sentence"))
        for m in SYMBOL.finditer(seg.text):
            if m.group(0) == doc.symbol:  # the document naming itself (its running head)
                continue
            a, b = _sentence(seg.text, m.start(), m.end())
            out.add(Candidate(_cid("reference", seg.locator, m.group(0)), "reference",
                              {"symbol": m.group(0), "form": "document symbol"},
                              seg.text[a:b], seg.locator, seg.start + a, seg.start + b, "reference in text: document symbol", 0.8))


# An operative paragraph of a resolution: its number, then the verb that says what the body does ("1. Requests the
# United Nations Office on Drugs and Crime to ..."), perhaps after "Also", "Further" ... Each verb is the mandate-verb
# scheme's concept of that name (ontology/drugpolicy.ttl, dpk:scheme-mandate-verbs): the first six direct action.
OPERATIVE_VERBS = {"requests": "requests", "calls upon": "calls-upon", "calls on": "calls-upon", "urges": "urges",
                   "decides": "decides", "encourages": "encourages", "invites": "invites", "recognizes": "recognizes",
                   "welcomes": "welcomes", "takes note of": "takes-note", "notes": "takes-note", "approves": "approves"}
DIRECTIVE = {"requests", "calls-upon", "urges", "decides", "encourages", "invites"}
OPERATIVE = re.compile(r"^\d{1,3}\. (?:(?:Also|Further|Furthermore|Again|Once again|Strongly|Hereby|Therefore|Finally|"
                       r"Lastly|Accordingly|Moreover|Respectfully|Earnestly|Further also|Also further),? ){0,2}"
                       rf"(?P<verb>(?i:{'|'.join(sorted(OPERATIVE_VERBS, key=len, reverse=True))}))\b ?(?P<rest>.*)$",
                       re.S)
# the body that adopts the resolution, as its preamble opens ("The Commission on Narcotic Drugs,") or as the UN heads
# a resolution ("Resolution adopted by the General Assembly on 16 December 2024")
PREAMBLE = re.compile(r"^The (?P<body>[A-Z][\w’'\- ]{2,120}?),$")
ADOPTED_BY = re.compile(r"^Resolution adopted by the (?P<body>[A-Z][\w’'\- ]{2,120}?)(?: on \d.*| at .*)?$")
# the resolution's own number in its opening: "Resolution 64/3", "79/190. International cooperation ...", "A/RES/79/190"
# (a typed text's wrapped block joins "Resolution 64/3" and its title on the next line: "Resolution 64/3 Promoting ...")
OWN_NUMBER = re.compile(r"^(?:Resolution (?P<a>(?:S-)?\d{1,4}/\d{1,4})\.?|(?P<b>\d{1,4}/\d{1,4})\. \S.*|"
                        r"A/RES/(?P<c>(?:S-|ES-)?\d{1,4}/\d{1,4})|Resolution (?P<d>(?:S-)?\d{1,4}/\d{1,4}) [A-Z]\S*(?: \S+)+)$")
# "in cooperation with the World Health Organization", up to the infinitive that says what is asked ("..., to
# develop ..."): an organization named in what is asked is not a partner
PARTNER = re.compile(r"\bin (?:close |full )?(?:cooperation|collaboration|consultation|coordination|partnership) "
                     r"with (?P<who>[^;:]+?)(?=,? to\s|[;:]|$)")


class _Resolutions:
    """Which resolution the text is at, read line by line: a line that names one ("Commission on Narcotic Drugs
    resolution 66/2", "Resolution 64/3", "79/190. International cooperation ...", "A/RES/79/190") opens its text,
    until the next such line (a report holds several, each numbering its paragraphs from 1); its body is named with
    it, or by its preamble ("The Commission on Narcotic Drugs,") or the General Assembly's heading ("Resolution
    adopted by the General Assembly ..."). Each comes with the line that names its number (``named``) and, where the
    body is named apart, the line that names it (``opened``). A resolution cited inside a sentence ("Recalling its
    resolution 64/3") opens nothing."""

    def __init__(self, bodies: list[str]):
        self.bodies = bodies
        self.current: dict | None = None

    @staticmethod
    def _line(seg: Segment) -> dict:
        return {"quote": seg.text, "locator": seg.locator, "start": seg.start}

    def read(self, seg: Segment) -> None:
        text = seg.text.strip()
        together = [f for f in named_instruments(text, self.bodies) if f["instrument"] == "resolution" and f["at"] == 0
                    and f["end"] >= len(text.rstrip(". "))]  # the whole line: "Commission on ... resolution 66/2"
        m = OWN_NUMBER.match(text)
        cur = self.current
        if together or m:
            symbol = together[0]["symbol"] if together else (m.group("a") or m.group("b") or m.group("c") or m.group("d"))
            if not (cur and cur["symbol"] == symbol):  # (the masthead's "A/RES/79/190", then its "79/190. ...")
                cur = self.current = {"symbol": symbol, "issuer": "", "named": self._line(seg), "opened": None,
                                      "fixed": False, "title": None, "lines_after": 0, "adopted_on": None}
            if together and not cur["fixed"]:  # the body named with the number: no other line changes it
                cur.update(issuer=together[0]["issuer"], opened=None, fixed=True)
            elif m and m.group("c") and not cur["issuer"]:  # "A/RES/79/190": the General Assembly's, by its symbol
                cur.update(issuer="General Assembly", opened=self._line(seg))
            elif m and m.group("b"):  # "79/190. International cooperation ...": its title after its number
                cur.update(title=dict(self._line(seg), text=text[text.index(". ") + 2:].strip()), lines_after=-1)
            elif m and m.group("d"):  # "Resolution 64/3 Promoting ...": the same, joined
                cur.update(title=dict(self._line(seg), text=text[len(f"Resolution {m.group('d')} "):].strip()),
                           lines_after=-1)
            return
        m = PREAMBLE.match(text) or ADOPTED_BY.match(text)
        day = DATE.search(text) if m is not None and m.re is ADOPTED_BY else None
        if day and cur is not None and _iso(day):  # "Resolution adopted by the General Assembly on 17 December 2024"
            cur["adopted_on"] = dict(self._line(seg), date=_iso(day), words=day.group(0))
        if m and cur is not None and BODY_WORDS.search(m.group("body")):
            if cur["lines_after"] != 1:  # a title is the one line between the number and the body: none, or two
                cur["title"] = cur["title"] if cur["lines_after"] == -1 else None
            cur["lines_after"] = -1  # (no title after the preamble opens)
            if not cur["fixed"]:  # ("Resolution adopted by the General Assembly ..." says it in words: it stays)
                cur.update(issuer=m.group("body"), opened=self._line(seg), fixed=m.re is ADOPTED_BY)
        elif cur is not None and cur["lines_after"] >= 0 and seg.kind != "margin":
            # "Resolution 64/3", then its title on a line of its own, then "The Commission on Narcotic Drugs,"
            cur["lines_after"] += 1
            cur["title"] = dict(self._line(seg), text=text) if cur["lines_after"] == 1 and len(text) <= 300 else None

    def resolution(self) -> dict | None:
        """The resolution the text is at, where both its number and its body are named (else None: whose the
        paragraphs are is not guessed)."""
        cur = self.current
        if cur is None or not cur["issuer"]:
            return None
        title = cur["title"] if cur["lines_after"] == -1 else None  # (known once the preamble has opened)
        return {"issuer": cur["issuer"], "issuer_code": body_code(cur["issuer"]), "symbol": cur["symbol"],
                "instrument": "resolution", "named": cur["named"], "opened": cur["opened"], "title": title,
                "adopted_on": cur["adopted_on"]}


ASKED_ITEM = re.compile(r"^\((?P<mark>[a-z]{1,4})\)\s*(?:[Tt]o\s+)?(?P<what>\S.*?)[;.,]?(?:\s+and)?$", re.S)


def _asked_items(segments: list[Segment], at: int) -> list[dict]:
    """The lettered items under the operative paragraph ``segments[at]`` ("(a) To report on ...;"), up to the next
    paragraph or heading: each with its mark, what it asks for ("report on ...") and where it stands."""
    out = []
    for seg in segments[at + 1:]:
        if seg.kind != "item":
            break
        m = ASKED_ITEM.match(seg.text)
        if m is None:
            break
        out.append({"mark": m.group("mark"), "what": m.group("what").strip(), "quote": seg.text, "locator": seg.locator,
                    "start": seg.start})
    return out


def _named_organizations(text: str, index: Index | None) -> list[str]:
    """The organizations ``text`` names by their full name or acronym, as the index knows them, each once, in order."""
    if index is None:
        return []
    found: dict[str, int] = {}
    for rx in (index.name_re, index.acr_re):
        for m in rx.finditer(text) if rx is not None else ():
            found.setdefault(" ".join(m.group(0).split()), m.start())
    return sorted(found, key=found.get)


def _operative_paragraphs(doc: Document, out: Extraction, bodies: list[str], index: Index | None) -> None:
    """The operative paragraphs of a resolution's text: per paragraph, its number, its verb, whom it addresses (the
    words between the verb and "to", and the organizations among them), with whom ("in cooperation with ...") and
    what it asks for (what follows "to"). A verb that directs action makes a mandate; "welcomes", "takes note of"
    and the like a provision, which must name an organization. The quote is the whole paragraph."""
    at = _Resolutions(bodies)
    segments = doc.segments
    for i, seg in enumerate(segments):
        if seg.kind in ("paragraph", "heading", "margin") and not seg.number:
            at.read(seg)
        if not (seg.kind == "paragraph" and seg.number and "." not in seg.number):
            continue
        m = OPERATIVE.match(seg.text)
        res = at.resolution() if m is not None else None
        if res is None:
            out.operative_unread += m is not None
            continue
        verb = OPERATIVE_VERBS[" ".join(m.group("verb").lower().split())]
        rest = m.group("rest").strip()
        to = re.search(r"(?:^|\s)to\s", rest)
        if to:  # "the United Nations Office on Drugs and Crime" | "to" | "continue to support ..."
            addressed, action = rest[:to.start()].strip(), rest[to.end():].strip().rstrip(";:.,")
        else:  # "Requests the Office:", its items below: whom, and no activity in the paragraph's own words
            addressed, action = rest.rstrip(";:.,"), ""
        if verb == "decides" and not rest.startswith("to "):  # "Decides that ...": what it decides, no one addressed
            addressed, action = "", rest.rstrip(";:.,")
        if verb not in DIRECTIVE:
            addressed, action = rest.rstrip(";:.,"), ""
        partner = PARTNER.search(rest)
        partners = _named_organizations(partner.group("who"), index) if partner else []
        addressees = [n for n in _named_organizations(addressed, index) if n not in partners]
        # "Requests the Office:", then "(a) To report ...;" "(b) To support ...": each item one thing it asks for
        items = _asked_items(segments, i) if verb in DIRECTIVE and not action and rest.rstrip().endswith(":") else []
        if not addressees and not action and not items:
            continue  # no organization named and nothing asked for: nothing the graph can hold of it
        facts = {"resolution": res, "paragraph": seg.number, "verb": verb, "directs_action": verb in DIRECTIVE,
                 "addressed": addressed, "addressees": addressees, "partners": partners, "action": action,
                 "items": items}
        doubt = "" if addressees or not addressed else \
            f"the paragraph addresses {addressed[:80]!r}, which names no organization the graph or the UN list knows"
        name = f"{res['issuer']} resolution {res['symbol']}"
        out.operative[name] = out.operative.get(name, 0) + 1
        out.add(Candidate(_cid("operative-paragraph", res["issuer_code"], res["symbol"], seg.number),
                          "operative-paragraph", facts, seg.text, seg.locator, seg.start, seg.end,
                          "operative paragraph of a resolution", 0.8 if addressees or not addressed else 0.6,
                          note=doubt))


def _initials_suffix(words: list[str], acronym: str) -> str:
    """The last words of ``words`` whose capitals spell ``acronym`` ("... the Financial Action Task Force", "FATF"),
    or "" where none does."""
    letters = [ch for ch in acronym.upper() if ch.isalpha()]
    for i in range(len(words)):
        caps = [w[0].upper() for w in words[i:] if w[:1].isupper()]
        if words[i][:1].isupper() and caps == letters:
            return " ".join(words[i:])
    return ""


def _organizations(doc: Document, out: Extraction, index: Index) -> None:
    """Organizations named in the text: one candidate per organization, quoting the sentence that names it most fully."""
    found: dict[str, dict] = {}

    def record(known: Known | None, name: str, acronym: str, seg: Segment, a: int, b: int, rank: int, doubt: str,
               confidence: float) -> None:
        key = known.key if known is not None else "new:" + (acronym or name).casefold()
        entry = found.setdefault(key, {"known": known, "name": "", "acronym": "", "forms": {}, "mentions": 0,
                                       "best": None, "doubt": doubt, "confidence": confidence})
        entry["mentions"] += 1
        form = f"{name} ({acronym})" if name and acronym else (name or acronym)
        entry["forms"].setdefault(form, None)  # a dict: in the order found, each once, at O(1) a mention
        rank = (rank, seg.kind in ("paragraph", "item", "footnote") and not seg.locator.startswith("Contents"))
        if entry["best"] is None or rank > entry["best"][0]:  # the fullest naming, in running text before a list
            qa, qb = (0, len(seg.text)) if seg.kind in ("row", "heading") else _sentence(seg.text, a, b)
            entry.update(best=(rank, seg, qa, qb), name=name or entry["name"], acronym=acronym or entry["acronym"],
                         doubt=doubt, confidence=confidence)

    for seg in doc.segments:
        if seg.kind == "margin":
            continue
        text = seg.text
        taken = bytearray(len(text))  # 1 where a naming already found stands: a mask, so each check costs O(1)
        pairs = [m for m in PAIR.finditer(text)]
        in_pair = bytearray(len(text))
        for p in pairs:
            in_pair[p.start():p.end()] = b"\x01" * (p.end() - p.start())
        pairs += [m for m in PAIR_REVERSED.finditer(text) if not in_pair[m.start()]]
        for m in pairs:
            words, acr = m.group("long").split(" "), m.group("acr")
            if sum(ch.isupper() for ch in acr) < 2:  # "Council (Human Rights Council)" names no acronym
                continue
            known_name, name = None, ""
            for i in range(len(words)):  # the longest run of the words before "(ACR)" that is a known name
                if index.name(" ".join(words[i:])):
                    known_name, name = index.name(" ".join(words[i:])), " ".join(words[i:])
                    break
            known_acr = index.acronym(acr)
            start = m.start("long") + len(m.group("long")) - len(name) if name else m.start("long")
            start = min(start, m.start())  # (in "ACR (Name)" the pair starts at the acronym)
            taken[start:m.end()] = b"\x01" * (m.end() - start)
            if known_name is not None and known_acr is not None and known_name is not known_acr:
                record(known_name, name, acr, seg, start, m.end(), 3,
                       f"the name is {known_name.shown}, but the acronym {acr} is {known_acr.shown}: which is meant?", 0.3)
            elif known_name is not None:
                record(known_name, name, acr, seg, start, m.end(), 3, "", 0.95)
            elif known_acr is not None:
                guess = _initials_suffix(words, acr) or m.group("long")
                record(known_acr, guess, acr, seg, start, m.end(), 3,
                       f"the acronym is {known_acr.shown}'s, the name {guess!r} is not its name", 0.6)
            else:  # neither list knows it: an organization's only if the capitals spell the acronym and the words
                guess = _initials_suffix(words, acr)  # end as a body's name does ("... Task Force")
                if guess and BODY_WORDS.search(guess):
                    record(None, guess, acr, seg, start, m.end(), 3,
                           "neither the graph nor the UN entity list has this name or acronym", 0.5)
        for rx, rank in ((index.name_re, 2), (index.acr_re, 1)):
            for m in rx.finditer(text) if rx is not None else ():
                if taken[m.start()]:
                    continue
                taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
                if rank == 2:
                    k = index.name(m.group(0))
                    record(k, " ".join(m.group(0).split()), "", seg, m.start(), m.end(), 2, "", 0.9)
                else:
                    k = index.acronym(m.group(0))
                    record(k, "", m.group(0), seg, m.start(), m.end(), 1,
                           f"named by its acronym only: {m.group(0)} is {k.shown} in the "
                           + ("graph" if k.iri else "UN entity list"), 0.7 if k.iri else 0.6)
    for key, e in found.items():
        _, seg, a, b = e["best"]
        k: Known | None = e["known"]
        doubt = e["doubt"]
        if doubt.startswith("named by its acronym only") and any("(" in f or " " in f for f in e["forms"]):
            doubt = ""  # named in full elsewhere in the document: the acronym alone is not the best mention
        facts = {"name": e["name"], "acronym": e["acronym"], "forms": list(e["forms"]), "mentions": e["mentions"],
                 "match": None if k is None else {"iri": k.iri, "entity": k.entity, "known_as": k.shown,
                                                  "by": "the graph" if k.iri and fold(e["name"]) not in map(fold, k.aliases)
                                                  else ("the UN entity list" if not k.iri else
                                                        "the UN entity list's name for the graph's " + k.shown)}}
        out.add(Candidate(_cid("organization", key), "organization", facts, seg.text[a:b], seg.locator,
                          seg.start + a, seg.start + b, "organization named in text", e["confidence"], note=doubt))
