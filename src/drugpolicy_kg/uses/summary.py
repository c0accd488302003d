"""A briefing's summary: a few plain sentences about the traced entity, one template per relation.

Each sentence is about one subject (the traced entity, or one subprogramme it leads to), uses the source's verb,
names the first few items and counts the rest ("and 38 more, listed below"), and ends with the numbers of the quotes
that state it. Counts, years and money are read from the graph, never written by hand; a sentence resting on an
inferred fact says so with the reasoning; a sentence that says what the graph does *not* hold ("No programme budget
section in the graph lists it as a legislative mandate") cites nothing and is marked ``absent``.

The model (:class:`Sentence`) is rendered by every format the same way (``trace_render``): the text, escaped for the
format, then the citations.
"""

from __future__ import annotations

import re

from drugpolicy_kg.records import Record
from drugpolicy_kg.resources import PREFIXES
from drugpolicy_kg.uses.trace import DCT, DPO, FORWARD, SKOS, Evidence, Hop, Trace, natural, sdg_code

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing: 3 ms of every command's start)
if TYPE_CHECKING:
    from drugpolicy_kg.uses.trace import Tracer

NAMED = 3           # items named in a sentence; the rest are counted
OWN_WORDS_MAX = 400  # an entity's own words open its summary when they are this short
NAMED_SDGS = 12     # SDGs are named by their codes, so more fit
MAX_SENTENCES = 8
PLAN_RELATIONS = ("will", "is expected to result in", "plans result", "delivers")
ESTIMATE = "2026 estimate"


class Sentence(Record):
    """One sentence of the summary: its words, the quotes that state it, and how it stands: ``subject`` is the IRI
    the sentence is about, ``kind`` the template that made it (one per relation kind), ``absent`` that it says what the
    graph does not hold (no quote can state it)."""

    __slots__ = ("text", "evidence", "subject", "kind", "absent")

    def __init__(self, text: str, evidence: list[Evidence] | None = None, subject: str = "", kind: str = "",
                 absent: bool = False):
        self.text, self.evidence = text, evidence if evidence is not None else []
        self.subject, self.kind, self.absent = subject, kind, absent

    @property
    def inferred(self) -> str:
        """The reasoning, when every quote behind the sentence only implies what it says ("" when stated)."""
        return reasons(self.evidence)

    def words(self) -> str:
        """The sentence as read, inferred facts said in words (the citations are the renderer's)."""
        why = self.inferred.rstrip(". ")
        text = self.text[:-1] + f" (inferred, not stated: {why})." if why and self.text.endswith(".") else self.text
        return re.sub(r"([.!?])”\.$", r"\1”", text)  # “... cooperation.” ends the sentence


def reasons(evidence: list[Evidence]) -> str:
    """The reasoning, each once, when every one of ``evidence`` only implies what it is quoted for ("" when any
    states it, or there is none)."""
    if evidence and all(e.inferred for e in evidence):
        return "; ".join(dict.fromkeys(e.reasoning for e in evidence if e.reasoning)) or "inferred"
    return ""


def counted(n: int, singular: str, plural: str = "") -> str:
    """'1 provision', '3 provisions'."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def listing(names: list[str], total: int | None = None, noun: tuple[str, str] = ("more", "more"),
            limit: int = NAMED) -> str:
    """'A', 'A and B', 'A, B and C', 'A, B, C and 5 more, listed below' (``noun``: how the rest are called)."""
    total = len(names) if total is None else total
    shown = names[:limit]
    rest = total - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" and {rest} {noun[0] if rest == 1 else noun[1]}, listed below"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def programmes_phrase(labels: list[str]) -> str:
    """'subprogrammes 2, 6 and 8 of A/80/6 (Sect. 16) and the programme of A/80/6 (Sect. 24) as a whole'."""
    by_doc: dict[str, list[str]] = {}
    whole: list[str] = []
    for label in labels:
        head = _head(label)
        doc, sep, part = head.partition(", subprogramme ")
        if sep:
            number, comma, component = part.partition(", ")
            by_doc.setdefault(doc, []).append(f"{number} ({component})" if comma else part)
        elif head.startswith("Programme of "):
            whole.append(f"the programme of {head[len('Programme of '):]} as a whole")
        else:
            whole.append(head)
    said = [f"subprogramme{'s' if len(parts) > 1 else ''} {listing(sorted(parts, key=natural), limit=len(parts))} of {doc}"
            for doc, parts in by_doc.items()]
    return listing(said + whole, limit=len(said) + len(whole))


def quoted(text: str) -> str:
    return f"“{text}”"


EXCERPT = 90  # characters of a long quote shown in a sentence, cut at a word, with an ellipsis


def excerpt(e: Evidence) -> str:
    """A quote's words as printed, the first ``EXCERPT`` characters of a long one: what stands between quotation
    marks in a sentence is always the source's own text (a label is not; it is never put in quotation marks)."""
    text = " ".join(e.quote.split())
    if ", row " in e.locator:  # a table row: its words, not the figures printed after them ("... trends 5 – – –")
        words = re.sub(r"(?:\s+(?:[\d.,()]+|[–—-]))+$", "", text)
        if words != text and len(words) <= EXCERPT:
            return quoted(words + "…")
    if len(text) <= EXCERPT:
        return quoted(text)
    return quoted(text[:EXCERPT].rsplit(" ", 1)[0].rstrip(",;:") + "…")


def after_colon(label: str) -> str:
    """A plan item's words without the locator its label starts with ("A/80/6 (Sect. 16), ..., para. 16.30 (a): ...")."""
    head, sep, rest = label.partition(": ")
    return rest if sep and re.match(r"^[A-Z]+/", head) else label


class Summarizer:
    """Writes the sentences of a trace's summary; reads counts and figures from the tracer's graph, once each."""

    def __init__(self, tracer: Tracer):
        self.t = tracer
        self._resources: dict[str, list[tuple[str, str, Evidence | None, str]]] = {}
        self._rows: dict[tuple[str, str], str] = {}
        self._counts: dict[str, dict[str, set[str]]] = {}  # a programme's mandates by body: a site asks 1,300 times

    # -- reading the graph --
    def _types(self, node: str) -> set[str]:
        return {str(c).rsplit("#", 1)[-1] for c in self.t._linked(node, RDF_TYPE, "out")}

    def _literal(self, node: str, pred: str) -> str:
        values = sorted(str(v) for v in self.t.graph.objects(self.t._URIRef(node), self.t._URIRef(pred)))
        return values[0] if values else ""

    def _row_value(self, row: str, pred: str) -> str:
        """A deliverable row's value, remembered: a site's traces of the resolutions calling for one programme
        read its hundreds of rows again for each of them."""
        key = (row, pred)
        if key not in self._rows:
            self._rows[key] = self._literal(row, pred)
        return self._rows[key]

    def subtotals(self, rows: list[str]) -> set[str]:
        """Among a programme's deliverable rows, the subcategories' totals: a row with no item number of a
        subcategory whose numbered items are among the rows ("Parliamentary documentation (number of documents)"
        over "1. Reports to the Commission ..."). Counted with its items, the work would be counted twice (as the
        query resolution-work counts it)."""
        sub = {r: self._row_value(r, DPO + "deliverableSubcategory") for r in rows}
        item = {r: self._row_value(r, DPO + "itemLabel") for r in rows}
        numbered = {sub[r] for r in rows if item[r]}
        return {r for r in rows if not item[r] and sub[r] and sub[r] in numbered}

    def _fact(self, node: str, pred: str, obj: str | None = None) -> list[Evidence]:
        """The quotes stating (node, pred, obj), or of any object of pred when obj is None."""
        return [e for (s, p, o), items in sorted(self.t.facts_of(node).items())
                if s == node and p == pred and (obj is None or o == obj) for e in items]

    def short(self, node: str) -> str:
        """The name people use: an acronym the graph gives (UNODC, ITWG), else the label."""
        alts = sorted((str(a) for a in self.t.graph.objects(self.t._URIRef(node), self.t._URIRef(SKOS + "altLabel"))
                       if str(a).isupper() and " " not in str(a)), key=len)
        return alts[0] if alts else self.t.label(node)

    def _with_short(self, h: Hop) -> str:
        """A hop's label, with the name people use after it where that differs: 'Informal Scientific Network (ISN)'."""
        short = self.short(h.iri)
        return f"{h.label} ({short})" if short != h.label else h.label

    def document(self, evidence: Evidence | None) -> str:
        """The document a quote is from, as people cite it: 'the Proposed programme budget for 2026, A/80/6 (Sect. 16)'."""
        if evidence is None:
            return ""
        title = evidence.source.partition(": ")[2].split(",")[0]
        return f"the {title[0].lower() + title[1:]}, {evidence.symbol}," if title and evidence.symbol else evidence.source

    def issuer_of(self, resolution: str) -> str:
        bodies = sorted(map(str, self.t._linked(resolution, DPO + "adoptedBy", "out")))
        return bodies[0] if bodies else ""

    def legislative(self, mandate: str) -> bool:
        """A row of a budget section's list of legislative mandates (its verb), not a provision of a resolution."""
        return any(str(v) == LEGISLATIVE for v in self.t._linked(mandate, DPO + "verb", "out"))

    def mandate_counts(self, programme: str) -> dict[str, set[str]]:
        """The instruments whose legislative-mandate rows call for ``programme``, by issuing body's IRI ("" unknown);
        read once per programme (do not change what it returns)."""
        if programme not in self._counts:
            out: dict[str, set[str]] = {}
            for m in self.t._linked(programme, DPO + "calledFor", "in"):
                if not self.legislative(str(m)):
                    continue
                for r in self.t._linked(str(m), DPO + "issuedIn", "out"):
                    out.setdefault(self.issuer_of(str(r)), set()).add(str(r))
            self._counts[programme] = out
        return self._counts[programme]

    def resources(self, programme: str) -> list[tuple[str, str, Evidence | None, str, str]]:
        """A programme's 2026 estimate as its own resources table prints it (own-resources.rq's rule), the "Total"
        rows: (value, unit, quote, table title, table)."""
        if programme not in self._resources:
            from drugpolicy_kg.resources import internal_query

            rows = self.t.graph.query(internal_query("own-resources.rq"), initBindings={"p": self.t._URIRef(programme)})
            found = []
            for _p, obs, _item, value, unit, title, _table, ds in rows:
                ev = self._fact(str(obs), DPO + "amount")
                found.append((str(value), str(unit), ev[0] if ev else None, str(title), str(ds)))
            if len({unit for _, unit, *_ in found}) != len(found):  # two figures in one unit: not one total
                found = []
            found.sort(key=lambda r: (r[1] != "posts", r[1]))  # posts, then money
            self._resources[programme] = found
        return self._resources[programme]

    # -- the sentences --
    def sentences(self, trace: Trace) -> list[Sentence]:
        root = trace.root
        types = self._types(root.iri)
        forward = trace.forward if trace.direction in ("forward", "both") else []
        backward = trace.backward if trace.direction in ("backward", "both") else []
        out: list[Sentence] = []
        if types & {"Resolution", "Decision", "Convention", "Declaration"}:
            out += self._instrument(root, forward, backward)
        elif "Programme" in types:
            out += self._programme(root, forward, backward)
        else:
            out += self._entity(root, forward, backward)
        if self.t.kind(root.iri) == "SDG goal":
            out += self._targets_served(root)
        out = [s for s in out if s.text]
        if not out:
            out.append(Sentence(f"Nothing in the graph links {root.label} to a resolution, body or activity yet.",
                                subject=root.iri, kind="nothing", absent=True))
            out += self._broader_served(root)
        return out[:MAX_SENTENCES]

    def _targets_served(self, root: Hop) -> list[Sentence]:
        """An SDG goal's targets that the graph says something serves, each with the quotes that say so (SDG 3's
        target 3.5, which the ITWG aims at: the goal's own trace had not named it)."""
        out = []
        for target in sorted(map(str, self.t._linked(root.iri, SKOS + "narrower", "out")), key=natural):
            if self.t.kind(target) != "SDG target":
                continue
            serving = sorted({str(x) for x in self.t._linked(target, DPO + "serves", "in")}, key=natural)
            evidence = [e for x in serving for e in self._fact(x, DPO + "serves", target)]
            if serving and evidence:
                out.append(Sentence(f"Of its targets, {sdg_code(target)} is served by {listing([self.short(x) for x in serving])}.",
                                    evidence[:3], target, "target served"))
        return out[:3]

    def _broader_served(self, root: Hop) -> list[Sentence]:
        """Where nothing links an SDG target, what links its goal: a pointer to another trace, said as
        what the graph holds of the goal, never of the target (the budget names goals, not targets)."""
        out = []
        for broader in self.t._linked(root.iri, SKOS + "broader", "out"):
            if self.t.kind(str(broader)) != "SDG goal":  # (a target's goal only: an indicator's is a target)
                continue
            serving = {str(s) for s in self.t._linked(str(broader), DPO + "serves", "in")}
            if serving:
                code = sdg_code(str(broader))
                out.append(Sentence(
                    f"Its goal, {code}, is served by {counted(len(serving), 'entity', 'entities')} in the graph (a trace "
                    f"of “{code}” names them); the graph does not say which of them work towards "
                    f"{sdg_code(root.iri)}.", subject=str(broader), kind="broader", absent=True))
        return out

    # a resolution, decision or other instrument
    def _instrument(self, root: Hop, forward: list[Hop], backward: list[Hop]) -> list[Sentence]:
        out = [self._adopted(root, backward)]
        provisions = [(p, m) for p in forward if p.relation == "has paragraph"
                      for m in p.children if m.relation == "issues"]
        provisions += [(None, m) for m in forward if m.relation == "issues" and not self.legislative(m.iri)]
        for paragraph, m in provisions[:2]:
            out.append(self._provision(paragraph, m))
        if len(provisions) > 2:
            more = len(provisions) - 2
            out.append(Sentence(f"It has {more} more provision{'s' if more > 1 else ''} in the graph, listed below.",
                                [e for _, m in provisions[2:3] for e in m.evidence[:1]], root.iri, "provisions"))
        rows = [m for m in forward if m.relation == "issues" and self.legislative(m.iri)]
        programmes = [(m, p) for m in rows for p in m.children if p.relation == "calls for"]
        for m, p in programmes[:2]:
            out.append(self._listed_among(root, m, p))
        if len(programmes) > 2:
            out.append(Sentence(f"It is a legislative mandate of {len(programmes) - 2} more subprogrammes, listed below.",
                                [e for m, _ in programmes[2:3] for e in m.evidence[:1]], root.iri, "mandate rows"))
        if programmes:  # the work of the first subprogramme (a section's programme as a whole says less)
            first = min((p for _, p in programmes), key=lambda p: (", subprogramme " not in p.label, 0))
            out += [*self._work(first), self._cost(first)]
        elif not any(self.t._linked(root.iri, DPO + "mandates", "out")):
            out.append(Sentence(f"No programme budget section in the graph lists {self._name(root)} as a legislative "
                                "mandate, and no source here states that it mandates any body or activity.",
                                subject=root.iri, kind="no mandate", absent=True))
        set_up = [h for _, m in provisions for h in m.children if h.relation == "in view of it, set up"]
        for h in set_up[:1]:
            serves = self._serves([c for c in h.children if c.relation == "serves"], "it serves")
            out.append(Sentence(f"In view of it, among other reasons the source gives, the {self._with_short(h)} "
                                f"was set up{'; ' + serves.text if serves.text else '.'}",
                                _unique(h.evidence[:1] + serves.evidence), h.iri, "set up in view of"))
        return out

    def _name(self, root: Hop) -> str:
        number = self._literal(root.iri, DPO + "resolutionNumber")
        kind = root.kind.split(":")[0]
        return f"{kind} {number}" if number and kind in ("resolution", "decision") else root.label

    def _adopted(self, root: Hop, backward: list[Hop]) -> Sentence:
        name = self._name(root)
        title = self._literal(root.iri, DCT + "title")
        title_ev = self._title_evidence(root.iri)
        body = self.issuer_of(root.iri)
        date = self._literal(root.iri, DCT + "date")
        date_ev = self._fact(root.iri, DCT + "date")[:1]
        when = f" in {date}" if re.fullmatch(r"\d{4}", date) else f" on {date}" if date else ""
        what = f"{name}, {quoted(title)}," if title else name
        if body:
            said = sorted(self._fact(root.iri, DPO + "adoptedBy", body), key=lambda e: e.inferred)  # (stated first)
            ev = said[:1]
            what = what if when else what.rstrip(",")  # "adopted resolution 59/3, “...”, in 2016."
            why = reasons(said).rstrip(". ")
            if why and any(not e.inferred for e in title_ev + date_ev):
                # (its title stated, its adoption inferred: the sentence says which part is; all inferred, Sentence does)
                name_part = what.split(",", 1)
                what = f"{name_part[0]} (inferred, not stated: {why})" + (f",{name_part[1]}" if len(name_part) > 1 else "")
            return Sentence(f"The {self.t.label(body)} adopted {what}{when}.", ev + title_ev + date_ev,
                            root.iri, "adopted by")
        return Sentence(f"{what.rstrip(',')} is a {root.kind}; no source in the graph says which body adopted it.",
                        title_ev, root.iri, "instrument")

    def _provision(self, paragraph: Hop | None, m: Hop) -> Sentence:
        verbs = [v for v in self.t.verbs(m.iri)]
        label = m.label
        start = min((label.find(v) for v in verbs if label.find(v) >= 0), default=-1)
        if start >= 0:
            says = label[start:]
        else:
            addressed = [h.label for h in m.children if h.relation in verbs or h.relation == "addresses"]
            says = f"{' / '.join(verbs) or 'addresses'} {listing(addressed)}".strip()
        partners = [h.label for h in m.children if h.relation == "with partner"]
        if partners and not any(self._mentions(says, p) for p in partners):
            says += f", naming {listing(partners)} as partner{'s' if len(partners) > 1 else ''}"
        if "not a mandate" in m.kind:  # what it does not say: a recognition asks nothing of anyone
            says += " (it asks for no action: not a mandate)"
        if paragraph is not None:
            kind = paragraph.kind.split(":")[0]
            number = self._literal(paragraph.iri, DPO + "paragraphNumber")
            where = f"In {kind} {number} it" if number else f"In {paragraph.label} it"
        else:
            where = "It"
        evidence = list(m.evidence[:1]) + [e for h in m.children if h.relation == "with partner" for e in h.evidence[:1]]
        return Sentence(f"{where} {says}.", _unique(evidence), m.iri, "provision")

    def _mentions(self, text: str, label: str) -> bool:
        if label in text:
            return True
        acronyms = {w for w in re.findall(r"\b[A-Z]{2,}\b", text)}
        initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", label) if w[0].isupper())
        return initials in acronyms

    def _listed_among(self, root: Hop, row: Hop, programme: Hop) -> Sentence:
        counts = self.mandate_counts(programme.iri)
        body = self.issuer_of(root.iri)
        same = len(counts.get(body, set())) if body else 0
        total = sum(len(v) for v in counts.values())
        document = self.document(row.evidence[0] if row.evidence else None) or "a programme budget section"
        whose = (f"the {same} {self.t.label(body)} resolutions and decisions" if body and same
                 else f"the {total} resolutions and decisions")
        # counted in the graph, and said so: a row the checks refused at review (Sect. 24's "27/31/Corr.1") is listed
        # by the section and not held, so the section's own count may be one more
        text = (f"{document[0].upper() + document[1:]} lists it among {whose} the graph holds as legislative mandates of "
                f"{self._programme_name(programme, own=True)}.")
        return Sentence(text, _unique(row.evidence[:1] + programme.evidence[:1] + self._title_evidence(programme.iri)),
                        programme.iri, "legislative mandate")

    def _title_evidence(self, node: str) -> list[Evidence]:
        return self._fact(node, DCT + "title")[:1]

    def _programme_name(self, p: Hop, own: bool = False) -> str:
        """'A/80/6 (Sect. 16), subprogramme 2, “A comprehensive ...”'; ``own``: 'its subprogramme 2, “...”' (the
        document was just named)."""
        title = self._literal(p.iri, DCT + "title")
        head = _head(p.label)
        if own and ", " in head:
            head = "its " + head.split(", ", 1)[1]
        elif own and head.startswith("Programme of "):
            head = "its programme as a whole"
        return f"{head}, {quoted(title)}" if title else head

    def _plan_of(self, programme: str) -> dict[str, list[tuple[str, list[Evidence]]]]:
        """A programme's plan read from the graph, by how the trace reads each relation: (node, quotes), in the
        trace's order (for parts of a programme the trace has not followed that far)."""
        out = {}
        for pred, _way, reads in FORWARD:
            if reads in PLAN_RELATIONS:
                nodes = sorted((str(n) for n in self.t._linked(programme, pred, "out")), key=lambda n: (natural(self.t.label(n)), n))
                out[reads] = [(n, self.t.hop_evidence(programme, pred, n)) for n in nodes]
        return out

    def _work(self, p: Hop, children: list[Hop] | None = None) -> list[Sentence]:
        """What the plan says the subprogramme will do, plans and delivers: counted, the first of each named (from
        ``children``: the traced subprogramme's are the trace's forward hops, not the root hop's). A subprogramme
        whose plan is set out in components or lettered parts (Sect. 24's subprogramme 1: (a), (b), (c)) is said to
        do what its parts' plans list, and the parts are named."""
        hops = p.children if children is None else children
        by = {r: [(h.iri, h.evidence) for h in hops if h.relation == r] for r in PLAN_RELATIONS}
        totals: set[str] = set()
        parts: list[str] = []
        if not any(by.values()):
            parts = sorted({str(n) for n in self.t._linked(p.iri, DCT + "isPartOf", "in") if "Programme" in self._types(str(n))},
                           key=lambda n: natural(self.t.label(n)))
            for part in parts:
                plan = self._plan_of(part)
                for r in PLAN_RELATIONS:
                    by[r] += plan.get(r, [])
                totals |= self.subtotals([n for n, _ in plan.get("delivers", [])])
        else:
            totals = self.subtotals([n for n, _ in by["delivers"]])
        said, ev = [], []
        if by["will"]:
            first = by["will"][0][1]
            said.append(f"{counted(len(by['will']), 'thing')} {'they' if parts else 'it'} will do"
                        + (f" (the first: {excerpt(first[0])})" if first else ""))
            ev += first[:1]
        if by["plans result"]:
            said.append(counted(len(by["plans result"]), "planned result"))
            ev += by["plans result"][0][1][:1]
        if by["delivers"]:  # named: one that serves a body the graph knows (a row alone can be a heading or a body)
            items = [(n, e) for n, e in by["delivers"] if n not in totals]  # a subcategory's total is no more deliverables
            serving = [(n, e) for n, e in items if self.t._linked(n, DPO + "forBody", "out")]
            text = counted(len(items), "deliverable")
            if serving:
                node, quotes = serving[0]
                bodies = sorted(self.short(str(b)) for b in self.t._linked(node, DPO + "forBody", "out"))
                text += (f" (among them {excerpt(quotes[0])}, for the {listing(bodies)})"
                         if quotes else f" (among them one for the {listing(bodies)})")
                ev += quotes[:1]
            else:
                ev += items[0][1][:1] if items else []
            said.append(text)
        if not said:
            return []
        head = _head(p.label)
        whose = head.split(", ", 1)[-1] if ", " in head else head.replace("Programme of ", "") + " as a whole"
        if parts:  # named as the section heads them, "(a) Human rights mainstreaming"; the parts' tie to it is
            names = [self._part_name(part) for part in parts]  # inferred (their place under its heading): said so
            ties = _unique([e for part in parts for e in self._fact(part, DCT + "isPartOf", p.iri)[:1]])
            return [Sentence(f"The plan of {whose} is set out in {counted(len(parts), 'part')}: "
                             f"{listing(names, limit=len(names))}.", ties, p.iri, "plan parts"),
                    Sentence(f"Their plans list {listing(said, limit=len(said))}.", _unique(ev), p.iri, "parts' plan")]
        return [Sentence(f"The plan of {whose} lists {listing(said, limit=len(said))}.", _unique(ev), p.iri, "plan")]

    def _part_name(self, part: str) -> str:
        """A component or lettered part as its section heads it: '(a) Human rights mainstreaming', 'component 1,
        “Provision of ...”'."""
        head = _head(self.t.label(part))
        which = head.split(", ", 1)[-1]
        title = self._literal(part, DCT + "title")
        letter = re.search(r"\(([a-z])\)$", which)
        if letter and title:
            return f"({letter.group(1)}) {title}"
        return f"{which.split(', ')[-1]}, {quoted(title)}" if title else which

    def _cost(self, p: Hop) -> Sentence:
        figures = self.resources(p.iri)
        if not figures:
            return Sentence("")
        said = [_amount(e.quote if e is not None else value, unit) for value, unit, e, *_ in figures]  # as printed
        ev = [e for _v, _u, e, *_ in figures if e is not None]
        table = ev[0].locator.split(",")[0] if ev else "Its resources table"
        named = self._title_evidence(figures[0][4])
        # the table's figures, as the table's: not "its resources are" (a subprogramme's own table is its regular
        # budget; what other sources fund stands in other tables, or in none the graph holds)
        title = f", {quoted(named[0].quote)}," if named else ""
        return Sentence(f"{table}{title} gives {listing(said)} in the {ESTIMATE} (its Total rows).",
                        _unique(named + ev), p.iri, "resources")

    def _serves(self, hops: list[Hop], opening: str) -> Sentence:
        sdgs = {h.label.split(":")[0]: h for h in hops if h.label.startswith("SDG ")}
        if not sdgs:
            return Sentence("")
        names = sorted(sdgs, key=natural)
        ev = [e for n in names[:NAMED] for e in sdgs[n].evidence[:1]]
        return Sentence(f"{opening} {listing(names, limit=NAMED_SDGS)}.", _unique(ev), "", "serves")

    # a subprogramme
    def _programme(self, root: Hop, forward: list[Hop], backward: list[Hop]) -> list[Sentence]:
        out = []
        parents = [h for h in backward if h.relation == "part of"]
        if parents:
            out.append(Sentence(f"{self._programme_name(root)} is part of {parents[0].label}.",
                                parents[0].evidence[:1], root.iri, "part of"))
        counts = self.mandate_counts(root.iri)
        if counts:
            total = sum(len(v) for v in counts.values())
            by = sorted(counts.items(), key=lambda kv: (-len(kv[1]), self.t.label(kv[0]) if kv[0] else "~"))
            said = [f"{len(v)} of the {self.t.label(b)}" if b else f"{len(v)} of no body the graph names"
                    for b, v in by]
            rows = [h for h in backward if h.relation == "called for by"]
            out.append(Sentence(f"The graph holds {total} resolutions and decisions as its legislative mandates: "
                                f"{listing(said, noun=('of another body', 'of other bodies'))}.",
                                _unique([e for h in rows[:1] for e in h.evidence[:1]]  # the heading, a row
                                        + [e for h in rows[:1] for c in h.children if c.relation == "issued in"
                                           for e in c.evidence[:1]]), root.iri, "mandated by"))
        objectives = [h for h in forward if h.relation == "has objective"]
        if objectives:
            words = quoted(objectives[0].own.quote) if objectives[0].own else objectives[0].label
            out.append(Sentence(f"Its objective: {words}.",
                                objectives[0].evidence[:1] + ([objectives[0].own] if objectives[0].own else []),
                                root.iri, "objective"))
        out += [*self._work(root, forward), self._cost(root)]
        out.append(self._serves([h for h in forward if h.relation == "serves"], "Its work serves"))
        return out

    # an organization, body, working group, activity, SDG target or any other entity
    def _entity(self, root: Hop, forward: list[Hop], backward: list[Hop]) -> list[Sentence]:
        out = []
        if root.own is not None and len(root.own.quote) <= OWN_WORDS_MAX:  # what it is, in its source's words
            out.append(Sentence(f"{root.label} ({self.short(root.iri)}), in its source's words: {quoted(root.own.quote)}.",
                                [root.own], root.iri, "own words"))
        adopted = [h for h in forward if h.relation == "adopted"]
        if adopted:
            called = {c.iri: c for h in adopted for m in h.children if m.relation == "issues"
                      for c in m.children if c.relation == "calls for"}
            names = [h.label for h in adopted]
            held = counted(len(adopted), "resolution or decision", "resolutions and decisions")
            out.append(Sentence(f"The graph holds {held} the {root.label} adopted, "
                                f"{'among them ' if len(names) > NAMED else ''}{listing(names)}.",
                                [e for h in adopted[:NAMED] for e in h.evidence[:1]], root.iri, "adopted"))
            if called:
                progs = sorted(called.values(), key=lambda h: natural(h.label))
                out.append(Sentence(f"Their legislative-mandate rows call for {programmes_phrase([p.label for p in progs])}.",
                                    [e for p in progs[:NAMED] for e in p.evidence[:1]], root.iri, "calls for"))
        # what it implements, read here and not a hop of the trace: a trace through an organization would join any
        # provision addressing it to all it implements (64/3 OP18 addresses UNODC, which implements the ISN)
        implements = sorted((str(n) for n in self.t._linked(root.iri, DPO + "implementedBy", "in")),
                            key=lambda n: ("Programme" not in self._types(n), natural(self.t.label(n))))
        for node in implements[:2]:  # one sentence each: a section's programme is inferred, a network's stated
            out.append(Sentence(f"It implements {self.t.label(node)}.", self._fact(node, DPO + "implementedBy", root.iri)[:1],
                                root.iri, "implements"))
        if len(implements) > 2:
            out.append(Sentence(f"It implements {len(implements) - 2} more in the graph.",
                                self._fact(implements[2], DPO + "implementedBy", root.iri)[:1], root.iri, "implements"))
        first_of: dict[str, Hop] = {}  # each member once, at its first membership (two of one member: one member)
        led: dict[str, None] = {}      # the members that co-lead it, in order
        for h in forward:
            if h.relation.startswith("has member"):
                first_of.setdefault(h.iri, h)
                if "co-lead" in h.relation:
                    led[h.iri] = None
        members = list(first_of.values())
        if members:
            leads = [self.short(iri) for iri in led]
            text = f"It has {counted(len(members), 'member')}"
            if leads:
                text += f"; {listing(leads)} co-lead{'s' if len(leads) == 1 else ''} it"
            others = [h for h in members if h.iri not in led]  # (named: the first NAMED; the rest counted)
            named = listing([self.short(h.iri) for h in others[:NAMED]], len(others))
            if not others:
                text += "."
            elif leads:
                text += f"; the others include {named}."
            else:  # (no co-lead: there are no others to speak of)
                text += f": {named}." if len(others) <= NAMED else f", among them {named}."
            out.append(Sentence(text, _unique([e for h in members[:NAMED] for e in h.evidence[:1]]), root.iri,
                                "members"))
        member_of = [h for h in forward if h.relation.startswith("member of")]
        out += self._member_of(member_of, root.iri)
        objectives = [h for h in forward if h.relation == "has objective"]
        if objectives:
            out.append(self._objectives("Its", objectives, root.iri))
        out.append(self._serves([h for h in forward if h.relation == "serves"], "It serves"))
        served = [h for h in forward if h.relation == "prepared or served by"]
        if served:
            kinds = sorted({h.kind for h in served})
            noun = counted(len(served), kinds[0]) if len(kinds) == 1 else counted(len(served), "piece", "pieces") + " of work"
            named = [excerpt(h.evidence[0]) if h.evidence else after_colon(h.label) for h in served[:NAMED]]
            out.append(Sentence(f"{noun[0].upper() + noun[1:]} {'is' if len(served) == 1 else 'are'} prepared for it or "
                                f"serve{'s' if len(served) == 1 else ''} it: {listing(named, len(served))}.",
                                [e for h in served[:NAMED] for e in h.evidence[:1]], root.iri, "deliverables for"))
        reasons = [h for h in backward if h.relation.startswith("set up in view of")]
        if reasons:
            named = listing([h.label for h in reasons], limit=2)
            out.append(Sentence(f"The source gives {counted(len(reasons), 'reason')} it was set up "
                                f"({_not_mandates(len(reasons))})"
                                + (f", among them {named}." if len(reasons) > 2 else f": {named}."),
                                [e for h in reasons[:2] for e in h.evidence[:1]], root.iri, "set up in view of"))
        addressed = [h for h in backward if h.relation.startswith("named by a provision") or h.relation == "addressed by"]
        if addressed:
            out.append(Sentence(f"{len(addressed)} provision{'s' if len(addressed) != 1 else ''} in the graph "
                                f"address{'' if len(addressed) != 1 else 'es'} it: {listing([h.label for h in addressed])}.",
                                [e for h in addressed[:NAMED] for e in h.evidence[:1]], root.iri, "addressed by"))
            if all("not a mandate" in h.kind for h in addressed) and not any(
                    h.kind.startswith("mandate") for h in backward):  # what the sources do not say
                out.append(Sentence(f"{'That provision asks' if len(addressed) == 1 else 'Those provisions ask'} "
                                    "nothing of it, and no source in the "
                                    f"graph names a resolution that mandates the {self.short(root.iri)}.",
                                    subject=root.iri, kind="no mandate", absent=True))
        for h in member_of[:1]:
            backward_of = [r for b in backward if b.iri == h.iri for r in b.children
                           if r.relation.startswith("set up in view of")]
            if backward_of:
                out.append(Sentence(f"The source gives {counted(len(backward_of), 'reason')} the {self.short(h.iri)} was set up "
                                    f"({_not_mandates(len(backward_of))}).",
                                    backward_of[0].evidence[:1], h.iri,
                                    "set up in view of"))
            objectives = [c for c in h.children if c.relation == "has objective"]
            if objectives:
                out.append(self._objectives(f"The {self.short(h.iri)}'s", objectives, h.iri))
        if not out or all(not s.text for s in out):
            out += self._generic(root, forward + backward)
        return out

    def _member_of(self, hops: list[Hop], subject: str) -> list[Sentence]:
        """The bodies it is in, each once (two memberships of one body are one body), with its role there: a
        sentence each for one or two bodies, else one that counts them by role and names the first few."""
        bodies: dict[str, tuple[Hop, list[str]]] = {}  # body IRI -> its first hop, the roles it holds there
        for h in hops:
            role = h.relation[len("member of"):].strip(" ()") or "member"
            _first, roles = bodies.setdefault(h.iri, (h, []))
            if role not in roles:
                roles.append(role)
        if len(bodies) <= 2:
            out = []
            for h, roles in bodies.values():
                role = " and ".join(roles)
                out.append(Sentence(f"It is {_article(role)} {role} of the {self._with_short(h)}.", h.evidence[:1],
                                    subject, "member of"))
            return out
        by_role: dict[str, int] = {}
        for _h, roles in bodies.values():
            for role in roles:
                by_role[role] = by_role.get(role, 0) + 1
        if len(by_role) == 1:
            role = next(iter(by_role))
            opening = f"It is {_article(role)} {role} of {len(bodies)} bodies"
        else:
            opening = (f"It is in {len(bodies)} bodies ("
                       + "; ".join(f"{role} of {n}" for role, n in sorted(by_role.items(), key=lambda kv: (-kv[1], kv[0])))
                       + ")")
        first = [h for h, _roles in list(bodies.values())[:NAMED]]
        named = listing([self.short(h.iri) for h in first], len(bodies))
        return [Sentence(f"{opening}: {named}." if len(bodies) <= NAMED else f"{opening}, among them {named}.",
                         _unique([e for h in first for e in h.evidence[:1]]), subject, "member of")]

    def _objectives(self, whose: str, objectives: list[Hop], subject: str) -> Sentence:
        """"Its goal is ...; its 4 specific objectives include ... and 2 more": the kinds as the source names them."""
        def words(h: Hop) -> str:  # "ITWG objective 1: global advocacy ..." -> "global advocacy ..."
            return h.label.split(": ", 1)[1] if ": " in h.label else h.label

        kinds: dict[str, list[Hop]] = {}
        for h in objectives:
            kinds.setdefault(h.kind, []).append(h)
        parts = []
        for kind, items in kinds.items():
            if len(items) == 1:
                parts.append(f"{kind}: {words(items[0])}")
            else:
                parts.append(f"{len(items)} {kind}s: {listing([words(h) for h in items], limit=2)}")
        named = [h for items in kinds.values() for h in items[:2]]
        return Sentence(f"{whose} {'; '.join(parts)}.", [e for h in named for e in h.evidence[:1]], subject,
                        "objectives")

    def _generic(self, root: Hop, hops: list[Hop]) -> list[Sentence]:
        """What no template above reads: what the entity is, then one sentence per relation in the source's words."""
        out = []
        if root.kind not in ("thing", "") and root.evidence:
            out.append(Sentence(f"{root.label} is {_article(root.kind)} {root.kind}.", root.evidence[:1], root.iri,
                                "is a"))
        by: dict[str, list[Hop]] = {}
        for h in hops:
            by.setdefault(h.relation, []).append(h)
        for rel, items in by.items():
            if not rel:
                continue
            evidence = [e for h in items[:NAMED] for e in h.evidence[:1]]
            if rel == "figure":  # a deliverable's printed figures: "2024 planned: 1"
                said = [h.label.rsplit("), ", 1)[-1] for h in items]
                out.append(Sentence(f"The section prints {counted(len(items), 'figure')} for it: "
                                    f"{listing(said, limit=6)}.", evidence, root.iri, "figures"))
            elif all(h.kind == "programme" for h in items):
                out.append(Sentence(f"It {_predicate(rel)} {programmes_phrase([h.label for h in items])}.",
                                    evidence, root.iri, "generic"))
            else:
                out.append(Sentence(f"It {_predicate(rel)} {listing([h.label for h in items])}.", evidence, root.iri,
                                    "generic"))
        return out


def _not_mandates(n: int) -> str:
    """What n reasons a body was set up for are not (the source gives reasons, not mandates)."""
    return "a reason, not a mandate" if n == 1 else "reasons, not mandates"


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


RDF_TYPE = PREFIXES["rdf"] + "type"
LEGISLATIVE = PREFIXES["dpk"] + "verb-legislative-mandate"


def _head(label: str) -> str:
    """A programme's label without its title: 'A/80/6 (Sect. 16), subprogramme 2'."""
    return label.split(": ", 1)[0]


def _predicate(relation: str) -> str:
    """A relation read after 'It': 'served by' -> 'is served by', 'objective of' -> 'is an objective of'."""
    first = relation.split(" ")[0]
    if relation.endswith((" by", " in", " to")) and first.endswith("ed"):
        return "is " + relation
    if relation.endswith(" of"):
        noun = relation[:-3]
        return f"is {_article(noun)} {relation}" if noun != "part" else "is part of"
    return relation


def _amount(value: str, unit: str) -> str:
    """A printed figure with its unit in words: '855.5' 'thousands of US$' -> 'US$ 855.5 thousand'."""
    if unit == "thousands of US$":
        return f"US$ {value} thousand"
    if unit in ("US$", "United States dollars"):
        return f"US$ {value}"
    return f"{value} {unit}"


def _unique(evidence: list[Evidence]) -> list[Evidence]:
    """Each quote once (``Evidence.key``), the first of each, in the order given."""
    seen, out = set(), []
    for e in evidence:
        if e.key not in seen:
            seen.add(e.key)
            out.append(e)
    return out
