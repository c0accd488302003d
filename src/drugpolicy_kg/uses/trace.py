"""Mandate tracing: which resolution mandates which activity, hop by hop, with the words that say so.

The trace is computed from the graph by following a small set of relations
(the *edge kinds* below), never from a table of facts: a resolution added to
``data/`` is traceable with no code change. Each hop carries the evidence of the
very triple it follows (evidence per statement: source, locator, verbatim quote);
a hop no quote states says so, and a hop that is inferred rather than stated is
shown as inferred, with its reasoning.

A provision is read with the source's own verb ("encourages", "recognizes"); only a
provision whose verb directs action is a mandate, and only a mandate "calls for"
anything. A body "set up in view of" a mandate was set up for reasons the source
gives, of which the mandate is one: the trace says "in view of", never "called for by".

Forward, from a resolution::

    resolution -> operative paragraph -> provision (verb) -> actor addressed / partner
               -> activity called for (mandates only) -> bodies set up in view of it
               -> their objectives -> the SDG targets and recommendations they serve

Backward, from a body, activity, actor or SDG target: the same relations
followed in reverse, up to every resolution that reaches it.
"""

from __future__ import annotations

import functools
import heapq
import re
from collections import Counter

from drugpolicy_kg.errors import UsageError
from drugpolicy_kg.records import Record
from drugpolicy_kg.resources import PREFIXES

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing: 3 ms of every command's start)
if TYPE_CHECKING:
    from pathlib import Path

    from rdflib import Graph


DPO = PREFIXES["dpo"]
DCT = PREFIXES["dcterms"]
RDFS_LABEL = PREFIXES["rdfs"] + "label"
RDF_TYPE = PREFIXES["rdf"] + "type"
SKOS = PREFIXES["skos"]

# The relations a trace follows, read in the forward direction:
# (predicate, follow the triple subject->object ("out") or object->subject ("in"),
#  how the hop reads forward, how it reads backward). Backward follows each the other way.
# Paragraphs are reached through dcterms:isPartOf, the link the shapes require of every paragraph.
EDGES = [
    (DCT + "isPartOf", "in", "has paragraph", "part of"),
    (DPO + "issuedIn", "in", "issues", "issued in"),
    (DPO + "addresses", "out", "addresses", "addressed by"),      # read with the provision's verb, see Tracer.reading
    (DPO + "withPartner", "out", "with partner", "named as partner by"),
    (DPO + "calledFor", "out", "calls for", "called for by"),
    (DPO + "respondsTo", "in", "in view of it, set up", "set up in view of (a reason the source gives, not a mandate)"),
    (DPO + "hasObjective", "out", "has objective", "objective of"),
    (DPO + "serves", "out", "serves", "served by"),
    (DPO + "adoptedBy", "in", "adopted", "adopted by"),
    # the programme plan: what a subprogramme will do, is expected to achieve, plans, delivers (and whom it serves)
    (DPO + "plansActivity", "out", "will", "planned by"),
    (DPO + "expectsResult", "out", "is expected to result in", "expected of"),
    (DPO + "plansResult", "out", "plans result", "planned result of"),
    (DPO + "delivers", "out", "delivers", "delivered by"),
    (DPO + "refDeliverable", "in", "figure", "figure of"),
    (DPO + "forBody", "in", "prepared or served by", "prepares or serves"),
    (DPO + "costOf", "in", "cost tied to a mandate", "cost of"),
    (DPO + "pursuantTo", "in", "cost pursuant to it", "pursuant to"),
]
FORWARD = [(pred, way, reads) for pred, way, reads, _ in EDGES]
BACKWARD = [(pred, "out" if way == "in" else "in", reads) for pred, way, _, reads in EDGES]
# Membership goes through its own node (org:Membership: member, organization, role). An organization is traced to the
# bodies it is a member of in both directions: forward to what the body does, backward to what mandates the body.
ORG = PREFIXES["org"]
MEMBERSHIP = (ORG + "member", ORG + "organization", ORG + "role")
# A node's memberships are read by hashing every membership's ends (not looked up one by one) from this many on, and
# where they are at least one in HASHED_SHARE of the store's: on the thin shape at a million triples, looking one up
# took about 22 µs, reading one of all about 2.2 µs (its other end and role)
HASHED_TIES = 2_000
HASHED_SHARE = 4
ENGLISH_OR_PLAIN = 'FILTER(!isLiteral(?l) || lang(?l) IN ("", "en"))'  # a label the trace shows (see Tracer.label)
# The words an entity is given in its own source, shown before the quote that states the link to it:
# OP18's words, an objective's wording, an activity's description, a resolution's title.
OWN_WORDS = [DPO + "mandateDescription", DCT + "description", DCT + "title", DPO + "verb", DPO + "addresses"]
OWN_WORDS_MIN = 30
# How the types read in a trace, beyond the classes' own labels.
KIND_PRIORITY = ("organization", "working group", "network", "inter-agency mechanism", "body", "programme", "resolution",
                 "decision", "convention", "declaration", "mandate", "provision", "activity", "objective")
BODY_KINDS = KIND_PRIORITY.index("programme")  # the kinds before it are bodies: a source's names for them are indexed
ROOT_ONLY = {DPO + "adoptedBy"}  # (with membership): followed from the traced entity itself
GROUP_OVER = 12  # more children than this are grouped by issuing body in the renderings
PREFETCH_CHUNK = 400  # entities whose facts Tracer.prefetch reads in one query
NAMES_FORMAT = 3  # of the kept index of names (Tracer.names_memo): change it when the index's reading changes (3: norm keeps
# numbers apart, "sdg1.1")
SLACK = 5  # a bounded trace (Trace.bounded) lists a relation whole when it has at most this many more hops
PROGRAMME_PART = "has part"  # how dcterms:isPartOf reads forward from a programme to its parts (not "has paragraph")
SDG_NS = PREFIXES["sdg"]  # the UN's SDG concepts (goals, targets, indicators)
ORPHAN_CLASSES = [DPO + "InterAgencyMechanism", DPO + "Activity", DPO + "Programme"]



class Evidence(Record):
    """A quote that states one fact; ``inferred`` when the quote implies the fact without stating it. (Slotted: each
    of a site's processes holds every quote of the graph, 152,390 of them at a million triples of bench/synth.py.)"""

    __slots__ = ("source", "source_file", "locator", "quote", "inferred", "reasoning")

    def __init__(self, source: str, source_file: str, locator: str, quote: str, inferred: bool = False,
                 reasoning: str = ""):
        self.source, self.source_file, self.locator, self.quote = source, source_file, locator, quote
        self.inferred, self.reasoning = inferred, reasoning

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two quotes the same quote: the file, the place in it, the words."""
        return (self.source_file, self.locator, self.quote)

    @property
    def symbol(self) -> str:
        """The UN document symbol the source's name starts with ("A/80/6 (Sect. 16)"), or "" for another source."""
        symbol, sep, _ = self.source.partition(": ")
        return symbol if sep and "/" in symbol else ""

    def note(self) -> str:
        """How a view marks an inferred fact, in words ("" for a stated one)."""
        return f"inferred, not stated in words: {self.reasoning}" if self.inferred else ""


# Facts (subject, predicate, object as text) -> the quotes that state them.
FactEvidence = dict[tuple[str, str, str], list[Evidence]]


class Hop(Record):
    """One node of a trace tree; ``relation`` says how it is reached from its parent.

    ``own``: the entity's own words in its source, where the graph has them; ``notes``: footnotes that qualify it ("In
    particular the annex ..."); ``group``: the issuing body of the instrument behind this hop (to group long lists);
    ``truncated``: its own links are left out, the trace reached its size limit (see Tracer.trace); ``omitted``: not an
    entity, how many more hops of its relation a bounded trace leaves out."""

    __slots__ = ("iri", "label", "kind", "relation", "evidence", "children", "seen_before", "own", "notes", "group",
                 "truncated", "omitted")

    def __init__(self, iri: str, label: str, kind: str, relation: str = "", evidence: list[Evidence] | None = None,
                 children: list[Hop] | None = None, seen_before: bool = False, own: Evidence | None = None,
                 notes: list[Evidence] | None = None, group: str = "", truncated: bool = False, omitted: int = 0):
        self.iri, self.label, self.kind, self.relation = iri, label, kind, relation
        self.evidence = evidence if evidence is not None else []
        self.children = children if children is not None else []
        self.seen_before, self.own = seen_before, own
        self.notes = notes if notes is not None else []
        self.group, self.truncated, self.omitted = group, truncated, omitted

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    @property
    def inferred(self) -> bool:
        """The link to this hop is inferred, not stated: every quote that gives it is marked inferred."""
        return bool(self.evidence) and all(e.inferred for e in self.evidence)

    def to_dict(self) -> dict:
        return {
            "iri": self.iri, "label": self.label, "type": self.kind, "relation": self.relation,
            "inferred": self.inferred,
            "seen_before": self.seen_before,
            "evidence": [e.to_dict() for e in self.evidence],
            "own_words": self.own.to_dict() if self.own else None,
            "footnotes": [e.to_dict() for e in self.notes],
            "group": self.group,
            "truncated": self.truncated,
            **({"omitted": self.omitted} if self.omitted else {}),
            "children": [c.to_dict() for c in self.children],
        }


class _ReadLater:
    """A field of :class:`Hop` that a :class:`_HopLater` reads when first asked for: its reader (``_read_<name>``,
    None once read or where the value was given) is called once, and the value kept in the field's own slot."""

    def __init__(self, name: str):
        self.slot, self.reader = getattr(Hop, name), f"_read_{name}"

    def __get__(self, hop, owner=None):
        if hop is None:
            return self
        read = getattr(hop, self.reader)
        if read is not None:
            setattr(hop, self.reader, None)
            self.slot.__set__(hop, read())
        return self.slot.__get__(hop)

    def __set__(self, hop, value) -> None:
        setattr(hop, self.reader, None)
        self.slot.__set__(hop, value)


class _HopLater(Hop):
    """A hop whose quotes (``read``) and type in words (``read_kind``) are read when first asked for: one a bounded
    trace counts but does not show (of a body addressed by 1,664 mandates, 20 are shown: the quotes of the others
    were read, each mandate's statements one by one, for nothing but what the summary asks of a few; of a group of
    16,666 members, each member's type). Each is read once; None: given, as on any hop."""

    __slots__ = ("_read_evidence", "_read_kind")
    evidence = _ReadLater("evidence")
    kind = _ReadLater("kind")

    def __init__(self, iri: str, label: str, kind: str, relation: str = "", *args, read=None, read_kind=None,
                 **kwargs):
        if args or kwargs:  # (every field given: dataclasses.replace)
            self._read_evidence = self._read_kind = None
            Hop.__init__(self, iri, label, kind, relation, *args, **kwargs)
        else:  # Hop's defaults, set in its slots here: a bounded trace makes one of these for each hop it counts
            # (79,978 for an organization in 39,989 memberships), and Hop's __init__ with its three lists made by
            # factories and two fields set through _ReadLater took about 0.1 s of them (a test holds the fields
            # to Hop's own)
            self.iri, self.label, self.relation, self.children, self.seen_before = iri, label, relation, [], False
            self.own, self.notes, self.group, self.truncated, self.omitted = None, [], "", False, 0
            _HOP_KIND.__set__(self, kind)
            _HOP_EVIDENCE.__set__(self, [])
        self._read_evidence, self._read_kind = read, read_kind


_HOP_KIND, _HOP_EVIDENCE = Hop.kind, Hop.evidence  # (Hop's own slots, under _HopLater's readers)


class Trace(Record):
    """What a trace found: the traced entity (``root``), the trees forward and backward, and the summary: ``matched``
    says how the term was matched, in words; ``also`` the other entities the term could mean; ``summary`` holds the
    briefing's sentences (summary.Sentence), written by the tracer."""

    __slots__ = ("term", "root", "direction", "forward", "backward", "matched", "also", "summary")

    def __init__(self, term: str, root: Hop, direction: str, forward: list[Hop] | None = None,
                 backward: list[Hop] | None = None, matched: str = "", also: list[str] | None = None,
                 summary: list | None = None):
        self.term, self.root, self.direction = term, root, direction
        self.forward = forward if forward is not None else []
        self.backward = backward if backward is not None else []
        self.matched = matched
        self.also = also if also is not None else []
        self.summary = summary if summary is not None else []

    def to_dict(self) -> dict:
        return {"term": self.term, "matched": self.matched, "also": self.also,
                "root": {k: v for k, v in self.root.to_dict().items() if k != "children"},
                "direction": self.direction,
                "forward": [h.to_dict() for h in self.forward], "backward": [h.to_dict() for h in self.backward]}

    def bounded(self, per_relation: int) -> Trace:
        """The trace with at most ``per_relation`` hops of each relation under each node (the first, in the trace's
        order), the rest counted by one hop of ``Hop.omitted``: what a terminal or a briefing can show of an entity
        with hundreds of links. The summary is the whole trace's (it counts everything); where something is left out,
        what it says is "listed below" is "listed or counted below"."""
        def cut(hops: list[Hop]) -> list[Hop]:
            kept: list[Hop] = []
            more: dict[str, int] = {}
            for h, keep in zip(hops, kept_in_bound([h.relation for h in hops], per_relation, [h.iri for h in hops])):
                if keep:
                    kept.append(h.replace(children=cut(h.children)))
                else:
                    more[h.relation] = more.get(h.relation, 0) + 1
            return kept + [Hop("", f"{n:,} more", "", rel, omitted=n) for rel, n in more.items()]

        forward, backward = cut(self.forward), cut(self.backward)
        summary = self.summary
        if any(h.omitted for top in forward + backward for h in top.walk()):  # "and 578 more, listed below": some are
            summary = [sen.replace(text=sen.text.replace("listed below", "listed or counted below"))
                       for sen in summary]
        return self.replace(forward=forward, backward=backward, summary=summary)

    def resolutions(self) -> list[Hop]:
        """The resolutions a backward trace reaches, each once."""
        return [h for tree in self.backward for h in tree.walk() if h.kind == "resolution" and not h.seen_before]


def _id(node: str) -> str:
    """The id a user can give for ``node``: its IRI without the project's namespace ("res-cnd-64-3")."""
    return node.removeprefix(PREFIXES["dpk"])


def kept_in_bound(relations: list[str], per_relation: int, targets: list[str]) -> list[bool]:
    """Which of a node's hops (their relations and targets, in the trace's order) a bounded trace shows: the first
    ``per_relation`` of each relation, or all of one that has at most SLACK more ("and 2 more" would save nothing).
    A relation cut short shows each target once (an organization's 39,989 memberships of 222 groups showed its first
    20 memberships, all of one group): a hop to a target it shows already is counted.

    >>> kept_in_bound(["a"] * 3 + ["b"] * 9, 2, "abcdefghijkl")  # (b: 9 is more than 2 + SLACK)
    [True, True, True, True, True, False, False, False, False, False, False, False]
    >>> kept_in_bound(["b"] * 9, 2, ["x", "x", "x", "y", "y", "z", "z", "z", "z"])  # (two shown: x and y)
    [True, False, False, True, False, False, False, False, False]
    """
    total: dict[str, int] = {}
    for r in relations:
        total[r] = total.get(r, 0) + 1
    shown: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    out = []
    for i, r in enumerate(relations):
        keep = total[r] <= per_relation + SLACK
        if not keep and shown.get(r, 0) < per_relation:
            keep = (r, targets[i]) not in seen
        if keep:
            shown[r] = shown.get(r, 0) + 1
            seen.add((r, targets[i]))
        out.append(keep)
    return out


# the relations whose hops a bounded trace follows all of, shown or not, where the summary reads their links: a
# resolution's paragraphs, the provisions they or the instruments a body adopted issue, what those call for or set
# up; by the depth of the entity they are links of (0: the traced one). Elsewhere the summary reads the links of the
# first hop of a relation only, which is shown, so followed.
FOLLOWED = {"has paragraph": 0, "adopted": 0, "issues": 1, "calls for": 1, "in view of it, set up": 2}


class _Membership:
    """The quotes of a hop through a membership, read only if the hop is followed (see Tracer._expand): the
    statement of the membership's tie to the next node, else of its tie to the traced one."""

    __slots__ = ("membership", "first", "second")

    def __init__(self, membership: str, first: tuple[str, str], second: tuple[str, str]):
        self.membership, self.first, self.second = membership, first, second


class _Link:
    """The quotes of a hop through a link (``triple``: subject, predicate, object), read where the hop is followed,
    and where it is only counted, when asked for (see _HopLater)."""

    __slots__ = ("triple",)

    def __init__(self, subject: str, predicate: str, obj: str):
        self.triple = subject, predicate, obj


_NUMBERS_AND_WORDS = re.compile(r"(\d+)|(\D+)")


@functools.lru_cache(maxsize=1 << 13)  # (the labels of a site's entities are sorted by again and again: at a million
def natural(text: str) -> tuple:       # triples, 2.8 s of views' two processes made the same keys anew)
    """A sort key that orders numbers as numbers: 16.2 before 16.10, SDG 3 before SDG 10.

    >>> sorted(["SDG 10", "SDG 3", "16.10", "16.2"], key=natural)
    ['16.2', '16.10', 'SDG 3', 'SDG 10']
    >>> sorted(["km²", "x1²", "²", "x1"], key=natural)  # (a superscript two is a character, not a number)
    ['km²', 'x1', 'x1²', '²']
    """
    return tuple((0, int(number), "") if number else (1, 0, words.casefold())
                 for number, words in _NUMBERS_AND_WORDS.findall(text))


def sdg_code(node: str) -> str:
    """How people write an SDG goal or target, from its IRI: "SDG 3.5" (the UN's concepts carry the code padded too,
    "03.05", which no one types); "" for any other node.

    >>> sdg_code("http://metadata.un.org/sdg/3.5"), sdg_code("https://w3id.org/drugpolicy-kg/id/itwg")
    ('SDG 3.5', '')
    """
    return "SDG " + node[len(SDG_NS):] if node.startswith(SDG_NS) else ""


def norm(text: str) -> str:
    """Lower-case and drop everything but letters and digits, so 'CND 64/3' matches 'cnd-64-3'; numbers that stand
    apart stay apart (a dot between them), so SDG target 1.1 is not goal 11, nor resolution 6/43 resolution 64/3.

    >>> norm("CND 64/3"), norm("cnd-64-3"), norm("U.N.O.D.C."), norm("SDG 1.1"), norm("SDG 11"), norm("16.30 (f)")
    ('cnd64.3', 'cnd64.3', 'unodc', 'sdg1.1', 'sdg11', '16.30f')
    """
    parts = _ALNUM.findall(text.casefold())
    return "".join([*parts[:1], *(("." if a[-1].isdigit() and b[0].isdigit() else "") + b
                                  for a, b in zip(parts, parts[1:]))])


_ALNUM = re.compile(r"[^\W_]+")


# Words a user writes for the words in names: "sp 2", "subprogram 2", "section 16"
WORD_FORMS = {"sp": "subprogramme", "subprogram": "subprogramme", "subprogrammes": "subprogramme",
              "subprograms": "subprogramme", "section": "sect", "sec": "sect", "res": "resolution",
              "resolutions": "resolution", "program": "programme", "para": "paragraph", "paras": "paragraph"}


# Short names people write for bodies the graph names in full (resolver aliases, not facts of the graph): "GA 70/1"
ABBREVIATIONS = {"General Assembly": ("GA", "UNGA"), "Economic and Social Council": ("ECOSOC",),
                 "Security Council": ("SC", "UNSC"), "Human Rights Council": ("HRC",),
                 "Conference of the Parties to the United Nations Convention against Transnational Organized Crime":
                     ("UNTOC COP",),
                 "Conference of the States Parties to the United Nations Convention against Corruption": ("UNCAC COSP",)}
# The UN's symbols of adopted resolutions, read as "<body> resolution <number>": A/RES/70/1 is General Assembly 70/1
RESOLUTION_SYMBOLS = [(re.compile(r"^A/HRC/RES/(.+)$", re.I), "Human Rights Council resolution {}"),
                      (re.compile(r"^A/RES/(.+)$", re.I), "General Assembly resolution {}"),
                      (re.compile(r"^E/RES/(.+)$", re.I), "Economic and Social Council resolution {}"),
                      (re.compile(r"^S/RES/(.+)$", re.I), "Security Council resolution {}")]
INDEX_PREFIXES = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("rdf", "rdfs", "skos", "dcterms", "dpo", "sdgo")) + \
    "PREFIX qb: <http://purl.org/linked-data/cube#>\n"
CLOSE_SPELLING = 0.88  # a misspelt name is taken for the one name this close to it (difflib's ratio), else asked
NEAR = 0.5  # ... and names this close are offered when nothing matches


class NearNames:
    """The names closest in spelling to a term: what ``difflib.get_close_matches(term, names, n, cutoff)`` gives, the
    same names in the same order, with their scores, without scoring every name.

    difflib scores a name only if its ``quick_ratio`` (the characters it shares with the term, counted) reaches the
    cutoff; that bound is computed here for all names at once, from a table of each name's character counts (numpy),
    and only the names that pass it are scored. On the shipped graph's 18,600 names, a term like no name (a typo of
    punctuation, random text) takes about 1 ms where difflib took 90 ms; a misspelt name shares its letters with
    thousands of names, which are all scored, as difflib scores them. A name not found was looked up twice (for a
    close spelling, then for the hint); the answer is now kept."""

    def __init__(self, names: list[str]):
        import numpy as np

        self.names = names
        alphabet = sorted({c for name in names for c in name})
        self.column = {c: i for i, c in enumerate(alphabet)}
        self.counts = np.zeros((len(names), len(alphabet) + 1), dtype=np.int32)  # the last column: no name's character
        for row, name in enumerate(names):
            for c, k in Counter(name).items():
                self.counts[row, self.column[c]] = k
        self.lengths = np.array([len(n) for n in names], dtype=np.int64)
        self._memo: dict[tuple[str, int, float], list[tuple[float, str]]] = {}

    def __call__(self, term: str, n: int = 5, cutoff: float = NEAR) -> list[tuple[float, str]]:
        """The ``n`` names that score at least ``cutoff`` (difflib's ratio), best first, each with its score."""
        key = (term, n, cutoff)
        if key not in self._memo:
            self._memo[key] = self._near(term, n, cutoff)
        return self._memo[key]

    def _near(self, term: str, n: int, cutoff: float) -> list[tuple[float, str]]:
        import numpy as np

        if not self.names:
            return []
        mine = np.zeros(self.counts.shape[1], dtype=np.int32)
        for c, k in Counter(term).items():
            mine[self.column.get(c, -1)] += k
        shared = np.minimum(self.counts, mine).sum(axis=1)
        total = self.lengths + len(term)
        # difflib's _calculate_ratio: 2 * matches / total, 1.0 where both are empty
        bound = np.where(total > 0, 2.0 * shared / np.maximum(total, 1), 1.0)
        import difflib  # (only where a name is not found: not imported by every command)

        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(term)
        scored = []
        for row in np.flatnonzero(bound >= cutoff):
            matcher.set_seq1(self.names[row])
            score = matcher.ratio()
            if score >= cutoff:
                scored.append((score, self.names[row]))
        return heapq.nlargest(n, scored)


def words_of(text: str) -> list[str]:
    """The words of a name or a term, lower-cased, in order, in one form each ("UN" is "united nations").

    >>> words_of("A/80/6 (Sect. 16), subprogramme 2: Justice")
    ['a', '80', '6', 'sect', '16', 'subprogramme', '2', 'justice']
    >>> words_of("SP 2, section 16")
    ['subprogramme', '2', 'sect', '16']
    >>> words_of("UN Office on Drugs and Crime")[:3]
    ['united', 'nations', 'office']
    """
    out = []
    for w in re.findall(r"[^\W_]+", text.casefold()):
        out += ["united", "nations"] if w == "un" else [WORD_FORMS.get(w, w)]
    return out


def _word_match(term: list[str], name: list[str]) -> tuple[int, int] | None:
    """How closely a name holds a term's words, best first: (0, -1) if they end it, in order and side by side
    ("subprogramme 1" ends the head "A/80/6 (Sect. 24), subprogramme 1", not "... subprogramme 1 (b)", a component);
    (0, 0) if they stand in it so; else (1, -k) for all of them in it, k of the term's neighbouring pairs side by side
    there too; None if a word is missing, or a number does not follow the word it follows in the term.

    >>> name = words_of("A/80/6 (Sect. 16), subprogramme 2: A comprehensive approach")
    >>> _word_match(words_of("subprogramme 2"), name), _word_match(words_of("Sect. 16 subprogramme 2"), name)
    ((0, 0), (0, 0))
    >>> _word_match(words_of("subprogramme 2 sect 16"), name), _word_match(words_of("subprogramme 5"), name)
    ((1, -2), None)
    >>> _word_match(words_of("subprogramme 16"), name) is None  # its 16 is the section's
    True
    >>> _word_match(words_of("sect 24 subprogramme 1"), words_of("A/80/6 (Sect. 24), subprogramme 1"))
    (0, -1)
    """
    if not set(term) <= set(name):
        return None
    n = len(term)
    if name[-n:] == term:
        return (0, -1)
    if any(name[i:i + n] == term for i in range(len(name) - n + 1)):
        return (0, 0)
    pairs = set(zip(name, name[1:]))
    if any(b.isdigit() and (a, b) not in pairs for a, b in zip(term, term[1:])):
        return None  # a number qualifies the word before it: "subprogramme 12" is not "subprogramme 3 ... row 12"
    return (1, -sum(pair in pairs for pair in zip(term, term[1:])))


class _KeptNames:
    """The index of names of :class:`Tracer` kept in an SQLite file beside the store (see ``Tracer._build_index``):
    ``index`` (key -> nodes), ``names`` (key -> the name as written) and ``how`` ((key, node) -> how the key names
    the node), each a mapping that looks one key up in the file and reads the whole table only when iterated."""

    def __init__(self, db):
        self.db = db
        self.index = _Lookup(lambda k: {n for (n,) in db.execute("SELECT node FROM names WHERE key = ?", (k,))} or None,
                             lambda: _grouped(db.execute("SELECT key, node FROM names ORDER BY rowid")))
        self.names = _Lookup(lambda k: next((n for (n,) in db.execute("SELECT name FROM display WHERE key = ?", (k,))), None),
                             lambda: dict(db.execute("SELECT key, name FROM display ORDER BY rowid")))
        self.how = _Lookup(lambda kn: next((h for (h,) in db.execute("SELECT how FROM names WHERE key = ? AND node = ?", kn)),
                                           None),
                           lambda: {(k, n): h for k, n, h in db.execute("SELECT key, node, how FROM names ORDER BY rowid")})

    @classmethod
    def open(cls, path: Path):
        """The kept index, or None where the file is not one this version wrote whole (it is then built again)."""
        import sqlite3

        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            if db.execute("SELECT format FROM meta").fetchone() != (NAMES_FORMAT,):
                db.close()
                return None
            return cls(db)
        except (sqlite3.Error, OSError, ValueError):
            return None

    @staticmethod
    def write(path: Path, index: dict, names: dict, how: dict) -> None:
        """Keep the index in ``path``: written to a temporary file beside it and renamed into place, so a reader finds
        the whole or nothing; a folder it cannot write to keeps nothing (the index is built on each run)."""
        import contextlib
        import os
        import sqlite3

        from drugpolicy_kg.atomic import open_temporary

        try:
            fd, tmp = open_temporary(path, None)  # (as the umask says, as the store's other files)
        except OSError:
            return
        os.close(fd)
        try:
            db = sqlite3.connect(tmp)
            try:
                db.execute("CREATE TABLE meta (format INTEGER)")
                db.execute("INSERT INTO meta VALUES (?)", (NAMES_FORMAT,))
                db.execute("CREATE TABLE names (key TEXT, node TEXT, how TEXT)")
                db.executemany("INSERT INTO names VALUES (?, ?, ?)",
                               ((k, n, how.get((k, n), "its name")) for k, nodes in index.items() for n in sorted(nodes)))
                db.execute("CREATE INDEX names_key ON names (key)")
                db.execute("CREATE TABLE display (key TEXT PRIMARY KEY, name TEXT)")
                db.executemany("INSERT INTO display VALUES (?, ?)", names.items())
                db.commit()
            finally:
                db.close()
            os.replace(tmp, path)
        except (sqlite3.Error, OSError):
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _grouped(rows) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for key, node in rows:
        out.setdefault(key, set()).add(node)
    return out


class _Lookup:
    """A read-only mapping over one table of :class:`_KeptNames`: ``one(key)`` (None where absent) for a lookup,
    ``whole()`` for the table, read once when the mapping is iterated."""

    def __init__(self, one, whole):
        self._one, self._whole, self._all = one, whole, None

    def _table(self) -> dict:
        if self._all is None:
            self._all = self._whole()
        return self._all

    def get(self, key, default=None):
        value = self._all.get(key) if self._all is not None else self._one(key)
        return default if value is None else value

    def __contains__(self, key) -> bool:
        return self.get(key) is not None

    def __getitem__(self, key):
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self):
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def items(self):
        return self._table().items()

    def values(self):
        return self._table().values()

    def keys(self):
        return self._table().keys()


def evidence_rows(store, subjects=None, described: dict | None = None):
    """The rows ``statement-evidence.rq`` gives, read from an Oxigraph ``store``'s default graph (the union) pattern by
    pattern and joined in Python: the same bag of rows (tested).

    Unbound (``subjects`` None), each predicate's table is read whole, once: 1.3 s where the query takes 2.6-3 s on
    the shipped graph, for the views and the trace site, which read every entity's quotes. Bound to ``subjects``
    (IRIs, as text), each statement about them and each of its parts is looked up in the store's indexes: a trace
    asks for the few hundred entities it reaches, in a fraction of the time the query with their ``VALUES`` took.
    ``described`` keeps what was read of each node for the calls that share it (a tracer's): one quote often states
    facts of many entities, and its source is one node for all."""
    import pyoxigraph as ox

    union = ox.DefaultGraph()
    rdf = PREFIXES["rdf"]
    states = ox.NamedNode(DPO + "states")

    if subjects is None:
        def values(predicate: str):  # keyed by term, not by text: an IRI and a literal never meet
            out: dict = {}
            for q in store.quads_for_pattern(None, ox.NamedNode(predicate), None, union):
                out.setdefault(q.subject, []).append(q.object)
            return out.get

        pairs = ((q.subject, q.object) for q in store.quads_for_pattern(None, states, None, union))
    else:
        described = {} if described is None else described  # node -> its values by predicate: a statement's, a
        # quote's or a source's, read at once

        def values(predicate: str):
            def get(node, default=()):
                if isinstance(node, ox.Literal):  # (a literal is no subject: a source given as text)
                    return default
                by_predicate = described.get(node)
                if by_predicate is None:  # one look-up per node, not one per predicate (4 to 10 of them)
                    by_predicate = described[node] = {}
                    for q in store.quads_for_pattern(node, None, None, union):
                        by_predicate.setdefault(q.predicate.value, []).append(q.object)
                return by_predicate.get(predicate) or default
            return get

        about = ox.NamedNode(rdf + "subject")
        nodes = [ox.NamedNode(n) for n in dict.fromkeys(subjects)]
        statements = dict.fromkeys(q.subject for n in nodes for q in store.quads_for_pattern(None, about, n, union))
        pairs = ((q.subject, st) for st in statements for q in store.quads_for_pattern(None, states, st, union))

    def text(term) -> str | None:
        return None if term is None else term.value

    subjects_of, predicates, objects = values(rdf + "subject"), values(rdf + "predicate"), values(rdf + "object")
    quotes, locators, sources = values(DPO + "quote"), values(DPO + "locator"), values(DCT + "source")
    inferred, reasoning = values(DPO + "inferred"), values(DPO + "reasoning")
    labels, files = values(RDFS_LABEL), values(DPO + "textFile")
    wanted = None if subjects is None else set(nodes)
    unbound = (None,)
    for ev, st in pairs:
        said = quotes(ev, ())
        if not said:
            continue
        docs = [(d.value, text(label), text(file)) for d in sources(ev, ()) for label in labels(d, unbound)
                for file in files(d, unbound)] or [(None, None, None)]
        for s in subjects_of(st, ()):
            if wanted is not None and s not in wanted:
                continue
            for p in predicates(st, ()):
                for o in objects(st, ()):
                    fact = s.value, p.value, o.value
                    for quote in said:
                        for inf in inferred(st, unbound):
                            for why in reasoning(st, unbound):
                                for loc in locators(ev, unbound):
                                    for doc, label, file in docs:
                                        yield (*fact, doc, label, file, text(loc), quote.value, text(inf), text(why))


DESCRIBED_LIMIT = 100_000  # nodes a tracer keeps what it read of (see Tracer._described_so_far); one trace read
# 248 to 7,310 (the shipped graph's CND 3,333; the organization in 2,500 groups of the second shape at 1M 7,310)
NAMES_MEMO = ("names", ".sqlite")  # the name and suffix of the file beside a store that keeps its index of names
EVIDENCE_MEMO = "evidence-1"  # the name of the file beside a store that keeps its evidence rows (see Tracer.evidence)


def _read_rows(memo: Path) -> list | None:
    """The evidence rows kept in ``memo``, or None where there is none or it is not a list of ten-value rows."""
    import json

    try:
        rows = json.loads(memo.read_bytes())
    except (OSError, ValueError):
        return None
    ok = isinstance(rows, list) and all(
        isinstance(r, list) and len(r) == 10 and all(v is None or isinstance(v, str) for v in r) for r in rows)
    return rows if ok else None


def _keep_rows(memo: Path, evidence: dict[str, FactEvidence]) -> None:
    """Keep ``evidence`` as rows in ``memo`` (written whole or not at all; a folder that cannot take it is passed by)."""
    import contextlib
    import json

    from drugpolicy_kg.atomic import atomic_write

    rows = [[s, p, o, None, ev.source or None, ev.source_file or None, ev.locator or None, ev.quote,
             "true" if ev.inferred else None, ev.reasoning or None]
            for facts in evidence.values() for (s, p, o), items in facts.items() for ev in items]
    with contextlib.suppress(OSError), atomic_write(memo, durable=False) as fh:
        fh.write(json.dumps(rows, ensure_ascii=False))


def keep_evidence_apart(store: Path, memo: Path) -> bool:
    """Read every entity's quotes from the store in the folder ``store`` (its ``db``) into ``memo`` in a process of
    its own (``python -c``), unless ``memo`` holds them already; returns whether it does now. Whoever reads them
    from the memo after holds them in less: read from the store, they left at a million triples about 110 MB of the
    heap in pieces (what the reading made and dropped) that the process kept to its end, where read from the memo
    they leave none. (Where the process fails, the caller reads them as before.)"""
    import subprocess
    import sys

    from drugpolicy_kg.threads import die_with_parent

    if memo.is_file():  # (read whole only where it is used: a memo that is no list of rows is read afresh there)
        return True
    try:
        done = subprocess.run(  # noqa: S603 - this Python, this package
            [sys.executable, "-c", "from drugpolicy_kg.uses.trace import _evidence_main; _evidence_main()",
             str(store), str(memo)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None, check=False)
    except OSError:
        return False
    return done.returncode == 0 and memo.is_file()


def _evidence_main() -> None:  # pragma: no cover - runs in the process keep_evidence_apart starts
    import sys
    from pathlib import Path

    import pyoxigraph as ox

    from drugpolicy_kg.graph.oxi import StoreView

    store, memo = sys.argv[1:3]
    Tracer(StoreView(ox.Store.read_only(store)), evidence_memo=Path(memo)).evidence  # noqa: B018 - kept in the memo


class Tracer:
    """Traces over one graph; build once, trace many terms.

    >>> from drugpolicy_kg.resources import Project
    >>> from drugpolicy_kg.graph.store import GraphStore
    >>> t = Tracer(GraphStore.open(Project.open()).rdflib())
    >>> t.resolve("64/3").rsplit("/", 1)[-1]
    'res-cnd-64-3'
    """

    def __init__(self, graph: Graph, names_memo: Path | None = None, evidence_memo: Path | None = None):
        from drugpolicy_kg.graph.oxi import IRI, StoreView, store_of

        self.graph = graph
        self._inner = store_of(graph)  # the Oxigraph store, where there is one
        self.names_memo = names_memo  # where the index of names is kept once built (beside the store it indexes)
        self.evidence_memo = evidence_memo  # where every entity's quotes are kept once read (see evidence)
        if isinstance(graph, StoreView):  # the store itself, its terms plain strings: no rdflib (see StoreView)
            self._URIRef, self._term = IRI, StoreView.term
        else:
            from rdflib import URIRef

            self._URIRef, self._term = URIRef, self._rdflib_term
        self._type = self._URIRef(RDF_TYPE)
        self._evidence: dict[str, FactEvidence] | None = None  # subject -> its facts' quotes; all, once asked for
        self._evidence_cache: dict[str, FactEvidence] = {}
        self._described: dict = {}  # what the quotes' look-ups read of each node (see evidence_rows; emptied past
        # DESCRIBED_LIMIT nodes, for a tracer kept for many traces)
        self.index: dict[str, set[str]] = {}
        self.names: dict[str, str] = {}
        self.how: dict[tuple[str, str], str] = {}  # (key, node) -> how the key names the node, in words
        self._indexed = False
        self._phrase_cache: dict[str, list[str]] | None = None
        self._near: NearNames | None = None
        self._labels: dict[str, str] = {}
        self._all_labels = False  # every labelled IRI's label read (see read_labels)
        self._kinds: dict[str, str] = {}
        self._class_names: dict[str, str] = {}
        self._adjacency: dict[tuple[str, str], dict[str, list[str]]] | None = None  # see index_links
        self._steps: dict[tuple[str, bool], list] = {}  # a node's steps below a trace's root, once links are indexed
        self._root_ties: tuple[str | None, dict] = (None, {})  # (see _ties: the last node's, read once)
        self._memberships: int | None = None  # the store's, as its description counts them (see _many_ties)
        self._summarizer = None  # uses.summary.Summarizer, made on the first trace
        self._counted: dict = {}  # a trace's counted hops through its root's memberships (see trace)
        self._own_words: dict[str, Evidence | None] = {}
        self._notes: dict[str, list[Evidence]] = {}

    @staticmethod
    def _evidence_rows(rows) -> dict[str, FactEvidence]:
        """Rows of ``statement-evidence.rq`` (plain values) grouped by subject, then by fact; sorted, so output repeats."""
        from sys import intern

        out: dict[str, FactEvidence] = {}
        # one object per repeated text (sys.intern, as the networks' ties have it): a source's name and file, a
        # locator, a subject, a property, a reasoning stand in thousands of rows, each read (from JSON or the store)
        # as a string of its own (at a million triples of bench/synth.py, 152,390 quotes: about 50 MB less in each of
        # the views' two processes, measured by PSS)
        for s, p, o, doc, doclabel, file, locator, quote, inferred, reasoning in rows:
            s = intern(str(s))
            ev = Evidence(intern(str(doclabel or doc or "")), intern(str(file or "")), intern(str(locator or "")),
                          str(quote), str(inferred) in ("true", "1"), intern(str(reasoning or "")))
            out.setdefault(s, {}).setdefault((s, intern(str(p)), str(o)), []).append(ev)
        for facts in out.values():
            for items in facts.values():
                items.sort(key=lambda e: e.key)
        return out

    def _described_so_far(self) -> dict:
        """What earlier look-ups of quotes read of each node, for the next (emptied once it holds DESCRIBED_LIMIT)."""
        if len(self._described) > DESCRIBED_LIMIT:
            self._described.clear()
        return self._described

    def _query_evidence(self, subject: str | None) -> dict[str, FactEvidence]:
        from drugpolicy_kg.graph.oxi import value_rows
        from drugpolicy_kg.resources import internal_query

        if self._inner is not None:  # read pattern by pattern and joined here: every entity's in 45% of the query's
            try:                      # time, one entity's in its statements' index entries
                return self._evidence_rows(evidence_rows(  # (every entity's: what it read is let go after, not
                    self._inner, None if subject is None else [subject],  # kept: at 1M it held 115 MB to the end)
                    {} if subject is None else self._described_so_far()))
            except ValueError:  # a subject that is no IRI (a blank node's label): the store's terms cannot name it
                return {}
        rows = value_rows(self.graph, internal_query("statement-evidence.rq"), {"s": subject} if subject else None)
        return self._evidence_rows(rows)

    @property
    def evidence(self) -> dict[str, FactEvidence]:
        """Every entity's facts and their quotes, fetched in one query the first time (for building whole networks).

        With an ``evidence_memo``, the rows are kept there once read and read back by later runs (JSON, 0.3 s where
        reading the store takes 1.3 s on the shipped graph); a memo that is not a list of such rows is read afresh."""
        if self._evidence is None:
            memo = self.evidence_memo if self._inner is not None else None
            rows = _read_rows(memo) if memo is not None else None
            if rows is None:
                from drugpolicy_kg.threads import give_back_memory

                self._evidence = self._query_evidence(None)
                give_back_memory()  # (the rows read from the store and dropped: 285 -> 237 MB resident at 1M)
                if memo is not None:
                    _keep_rows(memo, self._evidence)
            else:
                self._evidence = self._evidence_rows(rows)
        return self._evidence

    def facts_of(self, node: str) -> FactEvidence:
        """One entity's facts and their quotes: from the bulk table if loaded, else one bound query."""
        if self._evidence is not None:
            return self._evidence.get(node, {})
        if node not in self._evidence_cache:
            self._evidence_cache[node] = self._query_evidence(node).get(node, {})
        return self._evidence_cache[node]

    def prefetch(self, nodes) -> None:
        """Read the facts and quotes of many entities in a few queries (``VALUES``, 400 at a time) instead of one
        query each: a trace reaching a body's thousand members asks for them all at once. The terms are written by
        Oxigraph's own IRI writer, never pasted from text."""
        if self._evidence is not None:
            return
        todo = sorted({n for n in nodes if n not in self._evidence_cache and n.startswith(("http://", "https://"))})
        if len(todo) < 2:
            return  # one entity: its own bound query, as facts_of asks
        import pyoxigraph as ox

        from drugpolicy_kg.graph.oxi import value_rows
        from drugpolicy_kg.resources import internal_query

        if self._inner is not None:  # looked up in the store's indexes (see evidence_rows)
            iris = []
            for n in todo:
                try:
                    ox.NamedNode(n)
                except ValueError:
                    continue  # a term that is no IRI: facts_of asks for it alone
                iris.append(n)
            found = self._evidence_rows(evidence_rows(self._inner, iris, self._described_so_far()))
            for n in iris:
                self._evidence_cache[n] = found.get(n, {})
            return
        text = internal_query("statement-evidence.rq")
        for i in range(0, len(todo), PREFETCH_CHUNK):
            chunk = todo[i:i + PREFETCH_CHUNK]
            try:
                values = " ".join(str(ox.NamedNode(n)) for n in chunk)
            except ValueError:
                continue  # a term that is no IRI: facts_of asks for each alone
            found = self._evidence_rows(value_rows(self.graph, text.replace("WHERE {", f"WHERE {{ VALUES ?s {{ {values} }}", 1)))
            for n in chunk:
                self._evidence_cache[n] = found.get(n, {})

    def evidence_of(self, node: str) -> list[Evidence]:
        """Every quote stating a fact about the node, each once, stated before inferred."""
        seen, out = set(), []
        for _fact, items in sorted(self.facts_of(node).items()):
            for e in items:
                if e.key not in seen:
                    seen.add(e.key)
                    out.append(e)
        return sorted(out, key=lambda e: e.inferred)

    def _build_index(self) -> None:
        """Every name the graph gives an entity, by how it names it: read from ``names_memo`` where an earlier run kept
        it (a store's content never changes: its folder is named by its inputs), else built and kept there.

        The kept index is an SQLite file: a term named whole ("100/2", "ITWG") is looked up by its key, so a trace
        reads a few rows of it, not all of it (at a million triples, reading the index whole took 0.8 s of a 1.2 s
        trace); the whole is read only when a term must be matched against every name (its words, a misspelling)."""
        if self.names_memo is not None and self.names_memo.is_file():
            kept = _KeptNames.open(self.names_memo)
            if kept is not None:
                self.index, self.names, self.how = kept.index, kept.names, kept.how
                self._indexed = True
                return
        self._read_index()
        if self.names_memo is not None:
            _KeptNames.write(self.names_memo, self.index, self.names, self.how)

    def _read_index(self) -> None:
        """Every name the graph gives an entity, by how it names it; read in a few queries straight from the store."""
        from drugpolicy_kg.graph.oxi import value_rows

        def rows(where: str, columns: str = "?s ?o"):
            return value_rows(self.graph, f"{INDEX_PREFIXES}SELECT {columns} WHERE {{ {where} }}")

        # (each pattern a list of its own, joined by hashing or taken away by MINUS, not looked up row by row: at a
        # million triples the index took 4.7 s to build, the first trace on a new store; the same rows)
        # a figure's label ends with its value ("..., Changes: Percentage: 3.5"): a value is not a name to match
        for s, o in rows("{ SELECT ?s ?o WHERE { ?s rdfs:label ?o } } MINUS { ?s a qb:Observation }"):
            self._index(s, o, "its name")
            if ": " in o:  # "A/80/6 (Sect. 16), subprogramme 2: A comprehensive ..." is found by its head too
                self._index(s, o.split(": ", 1)[0], "the head of its name")
        for s, o in rows("?s skos:altLabel ?o"):
            self._index(s, o, "its acronym or other name")
        for s, o in rows("{ SELECT ?s ?o WHERE { ?s dcterms:title ?o } } MINUS { ?s a qb:Observation }"):
            self._index(s, o, "its title")
        # the words a source names a body with: "Office of the United Nations High Commissioner for Human Rights"
        for s, name in rows("{ SELECT ?st ?name WHERE { ?st dpo:statedAs ?name } } "
                            "{ SELECT ?st ?s WHERE { ?st rdf:object ?s FILTER(isIRI(?s)) } }", "DISTINCT ?s ?name"):
            if self._kind_order(s) < BODY_KINDS:  # (its kind only, no label read)
                self._index(s, name, "a name a source gives it")
                self._index(s, re.sub(r"\s*\([^()]*\)$", "", name), "a name a source gives it")
        for (s,) in rows("?s a sdgo:Target", "?s"):
            for form in ("SDG {}", "target {}", "SDG target {}", "{}"):  # "3.5", a target's code alone
                self._index(s, form.format(s.rsplit("/", 1)[-1]), "its SDG code")
        for (s,) in rows("?s a sdgo:Goal", "?s"):
            for form in ("SDG {}", "Goal {}", "Sustainable Development Goal {}", "SDG goal {}"):
                self._index(s, form.format(s.rsplit("/", 1)[-1]), "its SDG code")
        for s, o, decision, label, acronym in rows(
                "?s dpo:resolutionNumber ?o BIND(EXISTS { ?s a dpo:Decision } AS ?decision) "
                "OPTIONAL { ?s dpo:adoptedBy ?body OPTIONAL { ?body rdfs:label ?label FILTER(LANG(?label) IN ('', 'en')) } "
                "OPTIONAL { ?body skos:altLabel ?acronym } }", "?s ?o ?decision ?label ?acronym"):
            word = "decision" if decision == "true" else "resolution"
            self._index(s, o, "its number")
            self._index(s, f"{word} {o}", "its number")
            for name in {label, acronym, *ABBREVIATIONS.get(label or "", ())} - {None}:
                for form in ("{b} {n}", "{b} {w} {n}", "{w} {n} of the {b}"):
                    self._index(s, form.format(b=name, w=word, n=o), "its body and number")
        for s, o in rows("?s dpo:documentSymbol ?o"):
            self._index(s, o, "a document symbol it carries")
        for s, o in rows("?s dcterms:identifier ?o"):
            self._index(s, o, "its identifier")
        for para, number, res in rows("{ SELECT ?para ?n WHERE { ?para dpo:paragraphNumber ?n } } "
                                      "{ SELECT ?para ?of WHERE { ?para dcterms:isPartOf ?of } } "
                                      "{ SELECT ?of ?r WHERE { ?of dpo:resolutionNumber ?r } }", "?para ?n ?r"):
            for form in ("{r} OP{n}", "{r} op {n}", "{r} operative paragraph {n}", "{r}, OP{n}"):  # "64/3 OP18"
                self._index(para, form.format(r=res, n=number), "its resolution and paragraph number")
        for node in {n for nodes in self.index.values() for n in nodes}:
            if node.startswith(PREFIXES["dpk"]):
                self._index(node, node[len(PREFIXES["dpk"]):], "its id")
        self._indexed = True

    def _index(self, node, name: str, how: str = "its name") -> None:
        if not str(node).startswith(PREFIXES["dpk"]):
            if not str(node).startswith(SDG_NS):
                return
        key = norm(name)
        if key:
            self.index.setdefault(key, set()).add(str(node))
            self.names.setdefault(key, name)
            self.how.setdefault((key, str(node)), how)

    # ------------------------------------------------------------ lookup --

    def _rank(self, node: str) -> tuple:
        """Which of several matches a user most likely means: a body before a meeting or document named after it."""
        return (not node.startswith(PREFIXES["dpk"]), self._kind_order(node), len(self.label(node)), node)

    def _kind_order(self, node: str) -> int:
        """Where the node's kind stands in KIND_PRIORITY (a body's before BODY_KINDS; any other kind last)."""
        kind = self.kind(node).split(":")[0]
        return next((i for i, k in enumerate(KIND_PRIORITY) if kind.endswith(k)), len(KIND_PRIORITY))

    def resolve(self, term: str) -> str:
        """Find the node a user means: an IRI, a resolution number, a document symbol, an acronym or a name."""
        return self.resolve_explained(term)[0]

    def resolve_explained(self, term: str) -> tuple[str, str, list[str]]:
        """(node, how it was matched in words, other nodes the term could mean).

        In this order: an IRI; an identifier, symbol, number or name as a whole (a UN resolution symbol such as
        A/RES/70/1 read as its body and number); the words of the term standing together in a name; the term without
        a body named at its start or end ("UNODC subprogramme 9 component 1"); the words anywhere in a name; a close
        spelling of one name. Where a number or a whole name would pick one of several things of the same kind
        ("subprogramme 2", "10/1", the title "The right to food" that seven resolutions bear), the choices are given
        (``UsageError``), one per line with the id that names each, never a guess."""
        term = " ".join(term.split())
        curie = re.fullmatch(r"([A-Za-z][\w.-]*):([^\s/][^\s]*)", term)
        if curie and curie.group(1) in PREFIXES:  # a prefixed name, as query --param takes it: dpk:res-cnd-64-3
            term = PREFIXES[curie.group(1)] + curie.group(2)
        if re.match(r"^https?://", term):  # (before the index of names is built: an IRI needs none)
            if (self._URIRef(term), None, None) in self.graph:
                return term, "its IRI", []
            raise UsageError(f"no entity with IRI {term} in the graph")
        if not self._indexed:
            self._build_index()
        for pattern, form in RESOLUTION_SYMBOLS:
            m = pattern.match(term)
            if m and norm(term) not in self.index:
                term = form.format(m.group(1))
        found = self._exact(term) or self._by_words(term, strong=True) or self._in_context(term) \
            or self._by_words(term, strong=False) or self._close(term)
        if found is None:
            close = self._near_names(norm(term))
            hint = "; did you mean: " + ", ".join(self.names[c] for _score, c in close) if close else ""
            raise UsageError(f"nothing in the graph matches {term!r}{hint}")
        ranked, how, others, ambiguous = found
        if ambiguous:
            self._ask(term, ranked)
        return ranked[0], how, others

    def _ask(self, term: str, nodes: list[str]) -> None:
        """Refuse to guess between things of one kind that one number names: the choices, one per line."""
        nodes = sorted(nodes, key=lambda n: (natural(self.label(n)), natural(_id(n))))  # (copy2 before copy10)
        lines = [f"{_id(n)}  {self.label(n)}" for n in nodes[:12]]
        more = [f"... and {len(nodes) - 12} more"] if len(nodes) > 12 else []
        names = list(dict.fromkeys(self.label(n) for n in nodes))  # each name once, however many bear it
        which = (f"all named {names[0]!r}" if len(names) == 1 else
                 "; ".join(names[:3]) + (f"; and {len(names) - 3:,} more names" if len(names) > 3 else ""))
        raise UsageError(f"{term!r} could mean {len(nodes):,} entities: {which}. Name one more closely or by its id:",
                         [*lines, *more])

    def _told_apart(self, node: str, others: list[str]) -> list[str]:
        """The names of ``others`` as a reader can tell them from ``node`` and from each other: a name that two of
        them bear (or the traced entity) is followed by its id."""
        labels = [self.label(n) for n in [node, *others]]
        return [f"{label} ({_id(n)})" if labels.count(label) > 1 else label for n, label in zip(others, labels[1:])]

    def _tied(self, ranked: list[str]) -> list[str]:
        """The candidates as likely as the first: the same kind."""
        return [n for n in ranked if self._rank(n)[:2] == self._rank(ranked[0])[:2]]

    def _exact(self, term: str):
        dotted = re.fullmatch(r"\d+\.\d+[a-z]?", term.strip(), flags=re.I)  # "1.1": an SDG target's code, as the UN
        for key in (norm(term), norm(re.sub(r"^sdg\s+", "", term, flags=re.I))):  # writes it (a resolution is 1/1)
            hits = self.index.get(key)
            if hits:
                ranked = sorted(hits, key=self._rank)
                if dotted:
                    ranked.sort(key=lambda n: self.how.get((key, n)) != "its SDG code")  # (stable: the rest as ranked)
                tied = self._tied(ranked)
                ambiguous = len(tied) > 1  # one name, several things of one kind: "The right to food" is 7 resolutions
                return (tied if ambiguous else ranked), self.how.get((key, ranked[0]), "its name"), ranked[1:], ambiguous
        return None

    def _by_words(self, term: str, strong: bool):
        """The term's words in a name, as words ("2" is not the 2 of "A/80/6" nor of "16.2"): standing together
        (``strong``), or anywhere in it."""
        tokens = words_of(term)
        if not tokens:
            return None
        best: dict[str, tuple[int, int]] = {}
        for key, phrase in self._phrases().items():
            tier = _word_match(tokens, phrase)
            if tier is not None and (tier[0] == 0) == strong:
                for node in self.index[key]:
                    best[node] = min(tier, best.get(node, tier))
        if not best:
            return None
        top = min(t[0] for t in best.values())
        # the closest match first; then the likelier kind; then a name the words end ("subprogramme 1", not its
        # component "subprogramme 1 (b)") before one they stand inside
        ranked = sorted((n for n, t in best.items() if t[0] == top),
                        key=lambda n: (self._rank(n)[:2], best[n], self._rank(n)[2:]))
        tied = [n for n in ranked if self._rank(n)[:2] == self._rank(ranked[0])[:2] and best[n] == best[ranked[0]]]
        ambiguous = len(tied) > 1  # as close a match, of one kind: a choice for the user, never a guess
        how = "the words of its name, in order" if strong else "the words of its name"
        others = sorted((n for n in best if n != ranked[0]), key=lambda n: (best[n], self._rank(n)))
        return (tied if ambiguous else ranked), how, others, ambiguous

    def _in_context(self, term: str):
        """A body named at the start or end of the term, and the rest a name ("UNODC subprogramme 9 component 1",
        "subprogramme 2 of OHCHR"): the rest is resolved, and the answer says that the body was read as context."""
        words = term.split()
        for cut in range(1, len(words)):
            for body, rest in ((words[:cut], words[cut:]), (words[-cut:], words[:-cut])):
                rest_text = re.sub(r"^(of|in|for|at)\s+|\s+(of|in|for|at)$", "", " ".join(rest), flags=re.I)
                hits = self.index.get(norm(" ".join(body)))
                if not rest_text or not hits or not any(self._kind_order(h) < BODY_KINDS for h in hits):
                    continue
                found = self._exact(rest_text) or self._by_words(rest_text, strong=True)
                if found:
                    ranked, how, others, ambiguous = found
                    named = " ".join(body)
                    bodies = {h for h in hits if self._kind_order(h) < BODY_KINDS}
                    theirs = [n for n in ranked if self._implementers(n) & bodies]
                    if ambiguous and theirs and len(theirs) < len(ranked):  # "OHCHR subprogramme 1": the one of the
                        # section whose programme the graph says OHCHR implements (inferred from the section)
                        return theirs, (f"{how}, '{rest_text}', of the section whose programme '{named}' implements "
                                        "(inferred from the section)"), [n for n in ranked if n not in theirs], \
                            len(theirs) > 1
                    return ranked, f"{how}, '{rest_text}' ({self._whose(ranked[0], named, bodies)})", others, ambiguous
        return None

    def _whose(self, node: str, named: str, bodies: set[str]) -> str:
        """What the graph says of whose ``node`` is, beside the body ``named`` in the term (read as context): that
        body implements its section's programme; another does (never passed over in silence); or the graph does not
        say."""
        implementers = self._implementers(node)
        direct = {str(o) for o in self._linked(node, DPO + "implementedBy", "out")}
        what = "it" if direct else "its section's programme"
        if implementers & bodies:
            return f"'{named}' was read as context: it implements {what}" + ("" if direct else ", inferred from the section")
        if implementers:
            others = " and ".join(sorted(self.label(i) for i in implementers))
            return (f"'{named}' was read as context, but the graph says {others} "
                    f"{'implement' if len(implementers) > 1 else 'implements'} {what}, not '{named}'"
                    + ("" if direct else " (inferred from the section)"))
        return f"'{named}' was read as context: the graph does not say whose it is"

    def _implementers(self, node: str) -> set[str]:
        """Who implements a programme, or the programme its subprogramme or component is part of (two levels up)."""
        out, level = set(), {node}
        for _ in range(3):
            out |= {str(o) for n in level for o in self._linked(n, DPO + "implementedBy", "out")}
            level = {str(o) for n in level for o in self._linked(n, DCT + "isPartOf", "out")}
        return out

    def _close(self, term: str):
        """A misspelt name ("Commision on Narcotic Drugs"): read as the one name closest to it, if close enough."""
        key = norm(term)
        scored = [(score, k) for score, k in self._near_names(key) if score >= CLOSE_SPELLING]
        if not scored or (len(scored) > 1 and scored[1][0] == scored[0][0]):
            return None
        ranked, _how, others, ambiguous = self._exact(self.names[scored[0][1]])
        return ranked, f"a close spelling of its name '{self.names[scored[0][1]]}'", others, ambiguous

    def _near_names(self, key: str) -> list[tuple[float, str]]:
        """The five index keys closest in spelling to ``key``, with their scores (see :class:`NearNames`); those at
        least ``CLOSE_SPELLING`` close are the ones ``difflib.get_close_matches`` gives with that cutoff."""
        if self._near is None:
            self._near = NearNames(list(self.index))
        return self._near(key)

    def _phrases(self) -> dict[str, list[str]]:
        """Each index key's name as its list of words (see :func:`words_of`); made once."""
        if self._phrase_cache is None:
            self._phrase_cache = {key: words_of(name) for key, name in self.names.items()}
        return self._phrase_cache

    def label(self, node: str) -> str:
        """The English label of a node (SDG concepts prefixed with their code); remembered."""
        if node in self._labels:
            return self._labels[node]
        self._labels[node] = value = self._label(node)
        return value

    def read_labels(self) -> None:
        """Read every IRI's label at once, in one pass per label property (for a site, which shows nearly every
        entity: at a million triples, 46,000 look-ups of about 35 µs each, in each of its two processes); after it,
        a node with no label is known to have none. The labels are :meth:`label`'s: a subject's labels come in the
        order its own look-up reads them (the store's order of their values), an English or untagged one first. Over
        an rdflib graph (no such order), labels are read one node at a time, as they are asked for."""
        from drugpolicy_kg.graph.oxi import IRI

        if self._inner is None or self._all_labels:
            return
        found: dict[str, str] = {}
        for p in (RDFS_LABEL, SKOS + "prefLabel"):
            for s, lbl in self.graph.subject_objects(self._URIRef(p)):
                if type(s) is IRI and s not in found and getattr(lbl, "language", None) in (None, "en"):
                    found[s] = str(lbl)
        for s, lbl in found.items():
            if s not in self._labels:
                self._labels[str(s)] = self._label_of(str(s), lbl)
        self._all_labels = True

    @staticmethod
    def _label_of(node: str, label: str | None) -> str:
        """What :meth:`label` shows of ``node`` with its ``label`` (None: it has none)."""
        if label is None:
            return node.rsplit("/", 1)[-1]
        code = sdg_code(node)
        return f"{code}: {label}" if code else label

    def _label(self, node: str) -> str:
        if self._all_labels:
            return self._label_of(node, None)
        n = self._URIRef(node)
        for p in (RDFS_LABEL, SKOS + "prefLabel"):
            for lbl in self.graph.objects(n, self._URIRef(p)):
                if getattr(lbl, "language", None) in (None, "en"):
                    return self._label_of(node, str(lbl))
        return self._label_of(node, None)

    def kind(self, node: str) -> str:
        """A node's most telling type name (a mandate's with its verb); remembered."""
        if node not in self._kinds:
            self._kinds[node] = self._kind(node)
        return self._kinds[node]

    def read_kinds(self, nodes, typings: dict[str, list] | None = None) -> None:
        """Read the types of all of ``nodes`` in one pass over the store's typings, for :meth:`kind` (a site asks
        for every entity's: at a million triples, 45,700 look-ups in each of views' two processes), or take them
        from ``typings`` (node -> its types, every one, as the graph's terms: see
        :func:`~drugpolicy_kg.uses.entities.entity_iris`). The kinds are those :meth:`kind` gives (a node's types
        are sorted before they are read)."""
        if self._inner is None:
            return
        wanted = {n: [] for n in nodes if n not in self._kinds}
        if not wanted:
            return
        if typings is not None:
            wanted = {n: typings.get(n, []) for n in wanted}
        else:
            for s, t in self.graph.subject_objects(self._type):
                types = wanted.get(str(s))  # (an rdflib term hashes otherwise than its text)
                if types is not None:
                    types.append(t)
        for node, types in wanted.items():
            self._kinds[node] = self._kind(node, types)

    def _kind(self, node: str, types: list | None = None) -> str:
        """The type in words, from the class's own label ("organization", "operative paragraph"); ``types``: the
        node's, where they are read already."""
        types = sorted(self.graph.objects(self._URIRef(node), self._type) if types is None else types, key=str)
        names = {str(t).rsplit("#", 1)[-1].rsplit("/", 1)[-1]: t for t in types}
        preferred = [n for n in sorted(names) if n not in ("Concept", "Entity", "SourceDocument", "Document")]
        if "Mandate" in preferred:  # a mandate is also a provision: name the narrower class
            preferred = ["Mandate"]
        name = (preferred or sorted(names) or ["Thing"])[0]
        words = self._class_words(names[name]) if name in names else "thing"
        if name in ("Mandate", "Provision"):
            verbs = self.verbs(node)
            words += "".join(f": {v}" for v in verbs)
            if name == "Provision":
                words += " (asks for no action: not a mandate)"
        return words

    def _class_words(self, cls) -> str:
        """A class's English label, lower-cased as running text does ("Formal Organization" -> "organization");
        remembered (an entity page asks it of each of its types: 45,000 pages at a million triples)."""
        key = str(cls)
        if key not in self._class_names:
            self._class_names[key] = self._read_class_words(cls)
        return self._class_names[key]

    def _read_class_words(self, cls) -> str:
        name = str(cls).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        label = next((str(lbl) for lbl in self.graph.objects(cls, self._URIRef(RDFS_LABEL))
                      if getattr(lbl, "language", None) in (None, "en")), "")
        if not label:  # CamelCase to words
            label = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
        label = re.sub(r"^[Ff]ormal [Oo]rgani[sz]ation$", "organization", label)
        label = {"Goal": "SDG goal", "Target": "SDG target"}.get(label, label)
        return " ".join(w if w.isupper() or w.startswith("SDG") else w.lower() for w in label.split())

    def own_words(self, node: str) -> Evidence | None:
        """The quote that gives the entity's own words (its description, title, a provision's wording), if any;
        remembered (a site of traces asks for the same entity's words hundreds of thousands of times)."""
        if node not in self._own_words:
            self._own_words[node] = self._find_own_words(node)
        return self._own_words[node]

    def notes_of(self, node: str) -> list[Evidence]:
        """The footnotes that qualify the entity (``skos:scopeNote``, stated by the footnote whose mark stands in the
        row or item that states the entity); remembered, as its own words are."""
        if node not in self._notes:
            self._notes[node] = [e for (s, p, _o), items in sorted(self.facts_of(node).items())
                                 if s == node and p == SKOS + "scopeNote" for e in items]
        return self._notes[node]

    def _find_own_words(self, node: str) -> Evidence | None:
        facts = self.facts_of(node)
        for pred in OWN_WORDS:
            for (s, p, _o), items in sorted(facts.items()):
                for e in items:  # words, not a heading ("Legislative mandates" states a verb, it is no wording)
                    if s == node and p == pred and len(e.quote) >= OWN_WORDS_MIN:
                        return e
        return None

    def issuer(self, node: str) -> str:
        """The body that adopted the instrument behind a hop (a mandate's resolution, a paragraph's), or ""."""
        candidates = [node, *map(str, self._linked(node, DPO + "issuedIn", "out"))]
        candidates += [str(w) for c in list(candidates) for w in self._linked(c, DCT + "isPartOf", "out")]
        for c in candidates:
            for body in sorted(map(str, self._linked(c, DPO + "adoptedBy", "out"))):
                return self.label(body)
        return ""

    def verbs(self, node: str) -> list[str]:
        """The source's verb(s) of a provision, as the verb scheme labels them."""
        return sorted(self.label(str(v)) for v in self._linked(node, DPO + "verb", "out"))

    def reading(self, predicate: str, reads: str, provision: str) -> str:
        """How a hop reads: a provision addresses an actor with the source's verb ("encourages", "recognizes")."""
        if predicate == DPO + "addresses":
            verbs = self.verbs(provision)
            if verbs:
                return " / ".join(verbs) if reads == "addresses" else f"named by a provision that {' / '.join(verbs)} it"
        if predicate == DCT + "isPartOf" and reads == "has paragraph" and self.kind(provision) == "programme":
            return PROGRAMME_PART  # a subprogramme of a section's programme, a component or lettered part of a subprogramme
        return reads

    def hop_evidence(self, subject: str, predicate: str, obj: str) -> list[Evidence]:
        """The quotes that state this one triple (evidence per statement); [] when none does."""
        return self.facts_of(subject).get((subject, predicate, obj), [])

    # ------------------------------------------------------------ traversal --

    def index_links(self) -> None:
        """Read every link a trace follows once, into dictionaries (for tracing many entities: a site). One pass per
        predicate replaces a lookup per node, predicate and direction; the traces are the same."""
        if self._adjacency is not None:
            return
        preds = {pred for pred, *_ in EDGES} | set(MEMBERSHIP) | {DPO + "verb", DPO + "issuedIn", DCT + "isPartOf",
                                                                 DPO + "adoptedBy"}
        adjacency: dict[tuple[str, str], dict[str, list[str]]] = {}
        for pred in preds:
            out, back = adjacency.setdefault((pred, "out"), {}), adjacency.setdefault((pred, "in"), {})
            for s, o in self.graph.subject_objects(self._URIRef(pred)):
                out.setdefault(str(s), []).append(o)
                back.setdefault(str(o), []).append(s)
        self._adjacency = adjacency

    def forget_traversal(self) -> None:
        """Let go of what only traces read: the links indexed (:meth:`index_links`), each node's steps, own words and
        notes, the summarizer. A site's entity pages, written after its traces, read none of it; later traces read
        the store again, as before the links were indexed."""
        self._adjacency = None
        self._steps, self._own_words, self._notes = {}, {}, {}
        self._summarizer = None

    def _linked(self, node: str, pred: str, way: str) -> list:
        """The terms linked to ``node`` by ``pred``: its objects ("out") or its subjects ("in")."""
        if self._adjacency is not None and (pred, way) in self._adjacency:
            return self._adjacency[(pred, way)].get(node, [])
        if self._inner is not None:  # the store itself: no rdflib pattern made and matched per call
            return self._linked_in_store(node, pred, way)
        n, p = self._URIRef(node), self._URIRef(pred)
        return list(self.graph.objects(n, p) if way == "out" else self.graph.subjects(p, n))

    def _rdflib_term(self, t):
        """A pyoxigraph term as rdflib's: IRIs made directly, any other term by oxrdflib's converter."""
        import pyoxigraph as ox
        from oxrdflib._converter import from_ox

        return self._URIRef(t.value) if isinstance(t, ox.NamedNode) else from_ox(t)

    def _linked_in_store(self, node: str, pred: str, way: str) -> list:
        """:meth:`_linked` read from the Oxigraph store behind the graph (its default graph, the union, as every
        query of the project reads it), as the graph's own terms."""
        import pyoxigraph as ox

        try:
            n, p = ox.NamedNode(node), ox.NamedNode(pred)
        except ValueError:
            return []  # not an IRI: nothing links to it
        quads = (self._inner.quads_for_pattern(n, p, None, ox.DefaultGraph()) if way == "out"
                 else self._inner.quads_for_pattern(None, p, n, ox.DefaultGraph()))
        term = self._term
        return [term(q.object) if way == "out" else term(q.subject) for q in quads]

    def _expand(self, node: str, edges, relation: str, seen: set[str], ev: list[Evidence], depth: int,
                budget: list[int] | None = None, bound: int | None = None) -> Hop:
        hop = Hop(node, self.label(node), self.kind(node), relation, ev, own=self.own_words(node), notes=self.notes_of(node))
        if node in seen or depth > 12:
            hop.seen_before = True
            return hop
        if budget is not None:
            budget[0] -= 1
            if budget[0] < 0 and depth >= 3:  # the entity's links, and theirs, are always followed
                hop.truncated = True
                return hop
        seen.add(node)
        forward = edges is FORWARD
        memo = self._adjacency is not None and depth > 0  # below the root a node's steps are the same in every trace
        steps = self._steps.get((node, forward)) if memo else None
        if steps is None:
            steps = self._steps_of(node, edges, depth)
            if memo:
                self._steps[(node, forward)] = steps
        # A bounded trace (``bound``: what Trace.bounded will show of each relation) follows the hops it shows, and
        # those whose links the summary reads (FOLLOWED): the rest are counted, named, not followed, and a hop through
        # a membership among them has no quotes read either (a body of 16,000 members: 20 followed). What the summary
        # reads of them is there: their number, names, kinds and roles, the quotes of the first few.
        kept = (kept_in_bound([r for r, *_ in steps], bound, [nxt for _r, nxt, _ev in steps]) if bound is not None
                else [True] * len(steps))
        follow = [keep or depth <= FOLLOWED.get(reads, -1) for keep, (reads, _n, _ev) in zip(kept, steps)]
        self.prefetch([node] + [x for go, (_r, nxt, ev) in zip(follow, steps) if go  # (in one query)
                                for x in ((nxt, ev.membership) if isinstance(ev, _Membership) else (nxt,))])
        children, label, kind, partial = hop.children, self.label, self.kind, functools.partial  # (once a node:
        counted = self._counted  # (the loop runs once a counted hop, 79,978 times in a trace)
        for go, (reads, nxt, ev) in zip(follow, steps):
            if not go:  # counted, not shown
                if type(ev) is _Membership:  # the root's memberships (only a root's steps go through them): a hop
                    # no quote is read for is its target and relation alone, one object for each pair, in both
                    # directions and for each membership of one member in one role (a group's 84,793 memberships of
                    # 35,921 organizations: 35,921 hops made)
                    made = counted.get((nxt, reads))
                    if made is None:
                        made = counted[(nxt, reads)] = _HopLater(nxt, label(nxt), "", reads, read_kind=partial(kind, nxt))
                    children.append(made)
                    continue
                children.append(_HopLater(nxt, label(nxt), "", reads, read_kind=partial(kind, nxt),
                                          read=partial(self.hop_evidence, *ev.triple)))
                continue
            if isinstance(ev, _Membership):
                ev = self.hop_evidence(ev.membership, *ev.first) or self.hop_evidence(ev.membership, *ev.second)
            else:
                ev = self.hop_evidence(*ev.triple)
            if reads == "adopted by" and depth > 0:  # who adopted an instrument: named, not traced on from there
                hop.children.append(Hop(nxt, self.label(nxt), self.kind(nxt), reads, ev))
                continue
            hop.children.append(self._expand(nxt, edges, reads, seen, ev, depth + 1, budget, bound))
        if len(hop.children) > GROUP_OVER:  # a long list: each child says which body issued it, to group by
            for go, child in zip(follow, hop.children):
                if go:
                    child.group = self.issuer(child.iri)
        return hop

    def _steps_of(self, node: str, edges, depth: int) -> list[tuple[str, str, _Link | _Membership]]:
        """The steps a trace takes from ``node``: (how the link reads, the next node, where its quotes are), in the
        order the trace lists them."""
        links = []  # (predicate, way, how it reads, the nodes it links to)
        for pred, way, reads in edges:
            if pred in ROOT_ONLY and way == "in" and depth > 0:
                continue  # a body's adoptions start a trace from it; mid-trace only "adopted by" is named
            links.append((pred, way, reads, [n for n in set(self._linked(node, pred, way)) if isinstance(n, self._URIRef)]))
        steps = []  # (relation, next node, where its quotes are: read once the trace knows which hops it follows)
        for pred, way, reads, nodes in links:
            for nxt in nodes:
                s, o = (node, str(nxt)) if way == "out" else (str(nxt), node)
                steps.append((self.reading(pred, reads, s), str(nxt), _Link(s, pred, o)))
        member, organization, _role = MEMBERSHIP
        forward = edges is FORWARD
        # their quotes are read once the trace knows which hops it follows (a body with 16,000 members: a bounded
        # trace follows 20 of them), all at once (see _expand)
        if depth == 0:  # the bodies it is a member of, its role
            steps += self._membership_steps(node, member, organization, "member of")
        if depth == 0 and forward:  # a body's members
            steps += self._membership_steps(node, organization, member, "has member")
        order = {reads: i for i, (_, _, reads) in enumerate(edges)}
        order[PROGRAMME_PART] = order.get("has paragraph", 0)
        steps.sort(key=lambda st: (order.get(st[0], len(order)), natural(self.label(st[1])), st[1],
                                   getattr(st[2], "membership", "")))  # (two ties to one body: by their ids)
        return steps

    def _membership_steps(self, node: str, mine: str, other: str, reads: str) -> list[tuple[str, str, _Membership]]:
        """:meth:`_steps_of`'s steps through ``node``'s memberships of which it is the ``mine`` end, unsorted: made
        once for both directions of a trace, where its root's ties are kept (see :meth:`_ties`)."""
        key = ("steps", mine, reads)
        known = self._root_ties[1] if self._root_ties[0] == node else None
        if known is not None and key in known:
            return known[key]
        steps = [(f"{reads} ({', '.join(roles)})" if roles else reads, x, _Membership(m, (other, x), (mine, node)))
                 for m, x, roles in self._ties(node, mine, other)]
        known = self._root_ties[1] if self._root_ties[0] == node else None  # (the ties just read started it)
        if known is not None:
            known[key] = steps
        return steps

    def _ties(self, node: str, mine: str, other: str) -> list[tuple[str, str, list[str]]]:
        """The memberships (IRIs) that have ``node`` as their ``mine`` (org:member or org:organization): each
        membership, its ``other`` end, and its roles' labels, sorted. Where the links are not indexed, read from the
        store in one query: one look-up per membership and per role took 0.8 s of a trace of a group of 16,666
        members at a million triples."""
        role = MEMBERSHIP[2]
        if self._inner is not None and self._adjacency is None:
            # a trace in both directions reads its root's ties twice, the same: read once (an organization in 40,000
            # memberships: 0.5 s a time); only the last node's are kept
            if self._root_ties[0] != node:
                self._root_ties = (node, {})
            known = self._root_ties[1]
            if (mine, other) not in known:
                known[(mine, other)] = self._read_ties(node, mine, other)
            return known[(mine, other)]
        out = []
        for m in {str(m) for m in self._linked(node, mine, "in") if isinstance(m, self._URIRef)}:  # (as the query)
            roles = sorted(self.label(str(r)) for r in self._linked(m, role, "out"))
            out += [(m, str(x), roles) for x in self._linked(m, other, "out")]
        return out

    def _read_ties(self, node: str, mine: str, other: str) -> list[tuple[str, str, list[str]]]:
        """:meth:`_ties` read from the store, in one query (and one for the other ends' labels, where the ties are
        many).

        Where the node's memberships are a large share of the store's (HASHED_SHARE), every membership's other end
        and role are read whole and joined by hashing, not looked up membership by membership: an organization in
        39,989 of 150,000 memberships, 0.89 s -> 0.43 s; its 222 bodies' labels are then read once each, not once per
        membership. Below that share, looking up each costs less than reading them all."""
        import pyoxigraph as ox

        role = MEMBERSHIP[2]
        try:
            node_term = ox.NamedNode(node)
        except ValueError:
            return []  # not an IRI: nothing links to it
        bound = {ox.Variable("node"): node_term}
        m_, o_, r_, label_ = (ox.NamedNode(p) for p in (mine, other, role, RDFS_LABEL))
        hashed = self._many_ties(node_term, m_)
        # (the predicates are the project's constants, the node bound: Oxigraph writes them all)
        ties: dict[str, tuple[dict[str, None], set[str]]] = {}
        labels: dict[str, set[str]] = {}  # each other end's English or untagged labels
        ends_read: dict[str, object] = {}  # (hashed) the other ends that are nodes, as terms: their labels read after
        joined = (f"{{ SELECT ?node ?m WHERE {{ ?m {m_} ?node . FILTER(isIRI(?m)) }} }} {{ SELECT ?m ?x WHERE {{ ?m {o_} ?x }} }} "
                  f"OPTIONAL {{ {{ SELECT ?m ?r WHERE {{ ?m {r_} ?r }} }} }}")

        def tie(m: str, end, r) -> None:  # a membership, its other end and one of its roles (None: none), as read
            known = ties.get(m)
            if known is None:
                known = ties[m] = ({}, set())
            known[0][end.value] = None
            if r is not None:
                known[1].add(r.value)
            if hashed and type(end) is not ox.Literal:
                ends_read[end.value] = end

        if hashed and mine == MEMBERSHIP[0]:
            # an organization's memberships: a row per body and role, the memberships' IRIs (no space in an IRI)
            # joined, as the bodies repeat (39,989 memberships of 222 groups: 0.40 -> 0.26 s, 222 rows read); a
            # body's members are mostly each in one of its memberships, and grouped cost more than they saved
            for row in self._inner.query(f"SELECT ?node ?x ?r (GROUP_CONCAT(STR(?m); separator=\" \") AS ?ms) "
                                         f"WHERE {{ {joined} }} GROUP BY ?node ?x ?r", substitutions=bound):
                for m in row[3].value.split(" "):
                    tie(m, row[1], row[2])
        else:
            query = (f"SELECT ?node ?m ?x ?r WHERE {{ {joined} }}" if hashed else
                     f"SELECT ?node ?m ?x ?r ?l WHERE {{ ?m {m_} ?node . FILTER(isIRI(?m)) ?m {o_} ?x . "
                     f"OPTIONAL {{ ?m {r_} ?r }} OPTIONAL {{ ?x {label_} ?l {ENGLISH_OR_PLAIN} }} }}")
            for row in self._inner.query(query, substitutions=bound):
                tie(row[1].value, row[2], row[3])
                if not hashed and row[4] is not None:
                    labels.setdefault(row[2].value, set()).add(row[4].value)
        if not self._all_labels:  # the label :meth:`label` would read, where a node has one only (several: the
            if hashed:  # first in the store's order, which its own look-up reads; a literal at the other end, as
                # bad data may have it, has none, as the query's OPTIONAL finds none)
                labels = self._english_labels({x: t for x, t in ends_read.items() if x not in self._labels})
            for x, found in labels.items():
                if len(found) == 1 and x not in self._labels:
                    self._labels[x] = self._label_of(x, next(iter(found)))
        return [(m, x, sorted(self.label(r) for r in roles)) for m, (ends, roles) in ties.items() for x in ends]

    def _many_ties(self, node, mine) -> bool:
        """Whether ``node`` (a term) is the ``mine`` end of at least HASHED_TIES memberships and of at least one in
        HASHED_SHARE of the store's (its void:entities of org:Membership: none counted, never)."""
        import pyoxigraph as ox

        from drugpolicy_kg.graph.store import VOID, partition_iri

        count = next(iter(self._inner.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?m {mine} {node} }}")))[0]
        n = int(count.value)
        if n < HASHED_TIES:
            return False
        if self._memberships is None:
            part = ox.NamedNode(partition_iri("class", ORG + "Membership"))
            said = [q.object.value for q in self._inner.quads_for_pattern(part, ox.NamedNode(VOID + "entities"), None,
                                                                          ox.DefaultGraph())]
            self._memberships = int(said[0]) if len(said) == 1 and said[0].isdigit() else 0
        return 0 < self._memberships <= n * HASHED_SHARE

    def _english_labels(self, nodes: dict[str, object]) -> dict[str, set[str]]:
        """Each node's English or untagged labels (rdfs:label), as the ties' query reads them; ``nodes``: their
        text -> their term, each looked up in the store's index of its own: the labels of a group's 16,666 members
        in 0.32 s, where queries of PREFETCH_CHUNK of them with ``VALUES`` took 0.55 s (35,921 members: 0.69 s
        against 1.24 s; a body's 1,060: 15 ms against 34 ms)."""
        import pyoxigraph as ox

        out: dict[str, set[str]] = {}
        label, union, literal = ox.NamedNode(RDFS_LABEL), ox.DefaultGraph(), ox.Literal
        for x, term in nodes.items():
            for q in self._inner.quads_for_pattern(term, label, None, union):
                o = q.object
                if type(o) is not literal or o.language in (None, "en"):  # (ENGLISH_OR_PLAIN)
                    out.setdefault(x, set()).add(o.value)
        return out

    def trace(self, term: str, direction: str = "both", max_hops: int | None = None,
              per_relation: int | None = None) -> Trace:
        """Trace a term forward (what it leads to), backward (what mandates it) or both.

        ``max_hops`` bounds each direction: past that many hops, an entity three or more links away is named but not
        followed further (``Hop.truncated``: its own trace goes on). The traced entity's links, and their links, are
        always followed, so what the summary reads does not depend on it. None: no bound.

        ``per_relation``: the trace is for :meth:`Trace.bounded` with that bound, which shows that many hops of each
        relation: hops it will not show are named, not followed, unless the summary reads their links (FOLLOWED), and
        a membership among them has no quotes read (a body of 16,000 members is traced as its first 20 and a count).
        None: every hop is followed."""
        if direction not in ("forward", "backward", "both"):
            raise UsageError(f"unknown direction {direction!r}; accepted: forward, backward, both")
        node, how, also = self.resolve_explained(term)
        root = Hop(node, self.label(node), self.kind(node), evidence=self.evidence_of(node)[:1], own=self.own_words(node),
                   notes=self.notes_of(node))
        result = Trace(term, root, direction, matched=how, also=self._told_apart(node, also[:5]))
        # a hop through one of the root's memberships that neither direction shows is made once for both: it is read
        # and never changed after (an organization in 39,989 memberships: 0.2-0.3 s of its trace made them twice)
        self._counted = {}
        if direction in ("forward", "both"):
            budget = None if max_hops is None else [max_hops]
            result.forward = self._expand(node, FORWARD, "", set(), [], 0, budget, per_relation).children
        if direction in ("backward", "both"):
            budget = None if max_hops is None else [max_hops]
            result.backward = self._expand(node, BACKWARD, "", set(), [], 0, budget, per_relation).children
        self._counted = {}
        if self._summarizer is None:
            from drugpolicy_kg.uses.summary import Summarizer

            self._summarizer = Summarizer(self)
        result.summary = self._summarizer.sentences(result)
        return result

    def orphans(self) -> list[tuple[str, str, str]]:
        """Bodies, programmes and activities that no resolution in the graph reaches: (iri, label, type).

        Reached means what a backward trace follows to a resolution through a mandate (a provision
        whose verb directs action): the mandate addresses it, names it as partner or calls for it, or
        it was set up in view of such a mandate (``sparql/builtin/unreached-bodies.rq``).
        """
        from drugpolicy_kg.resources import internal_query

        nodes = sorted(str(row[0]) for row in self.graph.query(internal_query("unreached-bodies.rq")))
        return [(n, self.label(n), self.kind(n)) for n in nodes]
