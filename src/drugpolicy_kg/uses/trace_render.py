"""Render a :class:`~drugpolicy_kg.uses.trace.Trace` as a briefing note: terminal text, Markdown, HTML, Word or JSON.

Every rendering reads the same way (:class:`Briefing`):

1. **What was traced**: the entity, its type in words, and how the term matched it ("its acronym",
   "a document symbol it carries", "the words of its name"), with the other entities the term could mean.
2. **A summary first**: three to eight plain sentences (:mod:`drugpolicy_kg.uses.summary`: who adopted it, what
   it asks of whom, the work it mandates, what that delivers and costs), each ending with the numbers of the
   quotes that state it; those quotes follow in full ("Key quotes"), and the hops start on the next printed page.
3. **The hops**, forward and backward: each with the source's verb, the entity's own words where the
   graph has them (OP18's wording, an objective's text), and the quote that states *that* hop. Each
   quote is printed once, numbered, where it is first needed; later it is referred to by its number.
   A link that is inferred, not stated, is marked so with its reasoning; a link no quote states says so.
   A long list (a subprogramme's 60 mandates) is grouped by the body that issued each instrument,
   with counts; in HTML the groups beyond a screenful start collapsed (and open for printing).

JSON shape (``--format json``)::

    {"term", "matched", "also": [str], "direction": "forward|backward|both",
     "summary": [str], "sentences": [{"text", "notes": [int], "subject", "kind", "absent"}],
     "notes": [{"n", "quote", "source", "source_file", "locator", "inferred", "reasoning"}],
     "root": {...}, "forward": [Hop], "backward": [Hop]}
    Hop = {"iri", "label", "type", "relation", "inferred", "seen_before", "truncated", "group",
           "evidence": [{"source", "source_file", "locator", "quote", "inferred", "reasoning"}],
           "own_words": {...} | null, "children": [Hop]}

Data never reaches an output unescaped: terminal text through ``terminal_safe``, Markdown through
``markdown_safe``, HTML through the templates' autoescaping (:mod:`drugpolicy_kg.pages`), Word through ``xml_safe``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

from drugpolicy_kg.records import Record
from drugpolicy_kg.uses.trace import GROUP_OVER, Evidence, Hop, Trace, natural

SECTIONS = (("forward", "What it leads to"),
            ("backward", "What leads to it: resolutions, their provisions, and the reasons the sources give"))
NO_QUOTE = "no quote in the graph states this link"
TRUNCATED = "its further links are on its own trace"  # a hop past the trace's size limit (Tracer.trace max_hops)
SCREENFUL = 20         # hops shown open in HTML before further groups start collapsed
PER_RELATION = 20      # hops of one relation under one node that `trace` shows (--all: every one)


def omitted_text(h: Hop) -> str:
    """The line that stands for the hops a bounded trace leaves out (``Hop.omitted``)."""
    return f"and {h.omitted:,} more “{h.relation}” (not listed here: trace --all lists every one, as does the trace site)"


def counted(hops: list[Hop]) -> int:
    """How many hops a list stands for, those a bounded trace leaves out included."""
    return sum(h.omitted or 1 for h in hops)


class Note(Record):
    __slots__ = ("n", "evidence")

    def __init__(self, n: int, evidence: Evidence):
        self.n, self.evidence = n, evidence

    def to_dict(self) -> dict:
        return {"n": self.n, **self.evidence.to_dict()}


def short_source(e: Evidence) -> str:
    """A UN document by its symbol ("A/80/6 (Sect. 16)"), as the key quotes cite it; any other by its name."""
    return e.symbol or e.source


class Briefing:
    """A trace laid out as a briefing: numbered notes (each quote once), a summary, sections of hops."""

    def __init__(self, trace: Trace):
        self.trace = trace
        self.notes: list[Note] = []
        self._numbers: dict[tuple, int] = {}
        self._quoted: dict[int, list[Evidence]] = {}  # id(hop) -> quotes_of(hop), for the hops of this trace
        self.sections = [(key, title, hops) for key, title in SECTIONS
                         if trace.direction in (key, "both") for hops in [getattr(trace, key)]]
        self.summary = trace.summary
        for sentence in self.summary:  # the summary's quotes first: they are printed under it, on the first page
            for e in sentence.evidence:
                self.number(e)
        for h in self.in_order():  # then in the order the renderings print them
            self._number_hop(h)

    def in_order(self):
        """The root, then every hop as the renderings print them (depth first, long lists grouped)."""
        def dfs(h: Hop):
            yield h
            for _, kids in groups_of(h.children):
                for c in kids:
                    yield from dfs(c)

        yield self.trace.root
        for _, _, hops in self.sections:
            for _, kids in groups_of(hops):
                for top in kids:
                    yield from dfs(top)

    # -- notes --
    def number(self, e: Evidence) -> int:
        k = e.key
        if k not in self._numbers:
            self._numbers[k] = len(self.notes) + 1
            self.notes.append(Note(self._numbers[k], e))
        return self._numbers[k]

    def _number_hop(self, h: Hop) -> None:
        for e in self.quotes_for(h):
            self.number(e)

    def quotes_for(self, h: Hop) -> list[Evidence]:
        """``quotes_of(h)``, worked out once per hop of the trace (a site renders 220,000 hops)."""
        if id(h) not in self._quoted:
            self._quoted[id(h)] = self.quotes_of(h)
        return self._quoted[id(h)]

    @staticmethod
    def quotes_of(h: Hop) -> list[Evidence]:
        """The entity's own words first (where they are not the link's quote), then the quotes stating the link, then
        the footnotes that qualify it."""
        keys = {e.key for e in h.evidence}
        own = [h.own] if h.own is not None and h.own.key not in keys and not h.seen_before else []
        return own + list(h.evidence) + ([e for e in h.notes if e.key not in keys] if not h.seen_before else [])

    @staticmethod
    def role(h: Hop, e: Evidence) -> str:
        """What a quote is to its hop, where it is not the link's own quote: "its own words: ", "its footnote: "."""
        if e in h.evidence:
            return ""
        return "its own words: " if e is h.own else ("its footnote: " if e in h.notes else "")

    # -- summary --
    def summary_text(self, cite=lambda n: f"[{n}]", escape=lambda s: s) -> list[str]:
        """The summary's sentences as read (``summary.Sentence.words``), escaped, each followed by its citations."""
        out = []
        for sentence in self.summary:
            cites = " ".join(cite(n) for n in self.cites(sentence))
            out.append(escape(sentence.words()) + (" " + cites if cites else ""))
        return out

    def cites(self, sentence) -> list[int]:
        """The note numbers a summary sentence ends with, each once, in the order of its quotes."""
        return list(dict.fromkeys(self.number(e) for e in sentence.evidence))

    def key_notes(self) -> list[Note]:
        """The notes the summary cites, in number order: printed in full under the summary (the briefing's first
        page), so the hops below refer back to them."""
        cited = {self._numbers[e.key] for s in self.summary for e in s.evidence}
        return [n for n in self.notes if n.n in cited]

    def matched_line(self) -> str:
        t = self.trace
        how = "" if t.matched in ("", "its IRI") else f", matched by {t.matched} from “{t.term}”"
        line = f"Traced: {t.root.label} ({t.root.kind}){how}."
        if t.also:
            line += " The term could also mean: " + "; ".join(t.also) + "."
        return line


def groups_of(children: list[Hop]) -> list[tuple[str, list[Hop]]]:
    """A long list of hops grouped by issuing body (``Hop.group``), in the order of the first of each; a short one as is.
    What a bounded trace leaves out is counted last, outside the groups."""
    left_out = [c for c in children if c.omitted]
    children = [c for c in children if not c.omitted]
    if len(children) <= GROUP_OVER or not any(c.group for c in children):
        return [("", children + left_out)]
    out: dict[str, list[Hop]] = {}
    for c in children:
        out.setdefault(c.group or "other", []).append(c)
    return sorted(out.items(), key=lambda kv: (-len(kv[1]), natural(kv[0]))) + ([("", left_out)] if left_out else [])


def _relation_counts(hops: list[Hop]) -> str:
    counts: dict[str, int] = {}
    for h in hops:
        counts[h.relation] = counts.get(h.relation, 0) + 1
    return ", ".join(f"{n} {rel}" for rel, n in counts.items())


# ------------------------------------------------------------------ terminal --

def to_text(trace: Trace, width: int = 110) -> str:
    """A tree for the terminal (box-drawing lines, wrapped to ``width``); each quote once; data escaped."""
    import textwrap

    from drugpolicy_kg.tables import terminal_safe as esc

    b = Briefing(trace)
    shown: set[int] = set()
    out: list[str] = []

    def say(text: str, lead: str = "", rest: str | None = None) -> None:
        """``text`` wrapped to the width, the first line after ``lead``, the others after ``rest``."""
        rest = lead if rest is None else rest
        out.extend(textwrap.wrap(text, width=max(40, width), initial_indent=lead, subsequent_indent=rest,
                                 break_long_words=False, break_on_hyphens=False) or [lead.rstrip()])

    def node(lines: list[tuple[str, list]], prefix: str) -> None:
        """Children of a tree node: (text, its own children) pairs, drawn under ``prefix``."""
        for i, (text, kids) in enumerate(lines):
            last = i == len(lines) - 1
            say(text, prefix + ("└── " if last else "├── "), prefix + ("    " if last else "│   ") + ("│   " if kids else "    "))
            node(kids, prefix + ("    " if last else "│   "))

    def quotes(h: Hop) -> list[tuple[str, list]]:
        rows = []
        for e in b.quotes_of(h):
            n = b.number(e)
            own = b.role(h, e)
            if n in shown:
                rows.append((f"{own}quote [{n}], above", []))
            else:
                shown.add(n)
                rows.append((f"[{n}] {own}“{esc(e.quote)}” — {esc(e.source)}, {esc(e.locator)}", []))
            if e.inferred and e in h.evidence:
                rows.append((esc(e.note()), []))
        if h.relation and not h.evidence and not h.seen_before:
            rows.append((NO_QUOTE, []))
        return rows

    def hop(h: Hop) -> tuple[str, list]:
        if h.omitted:
            return f"… {esc(omitted_text(h))}", []
        rel = f"{esc(h.relation)} → " if h.relation else ""
        flag = " [inferred]" if h.inferred else ""
        more = " (see above)" if h.seen_before else f" ({TRUNCATED})" if h.truncated else ""
        return f"{rel}{esc(h.label)} ({esc(h.kind)}){flag}{more}", quotes(h) + grouped(h.children)

    def grouped(hops: list[Hop]) -> list[tuple[str, list]]:
        rows = []
        for group, kids in groups_of(hops):
            items = [hop(c) for c in kids]
            rows += [(f"{esc(group)} ({len(kids)}: {esc(_relation_counts(kids))})", items)] if group else items
        return rows

    say(esc(b.matched_line()))
    out.append("")
    for line in b.summary_text(escape=esc):
        say(line)
    out.append("")
    key = b.key_notes()
    if key:
        say("Key quotes:")
        for note in key:
            shown.add(note.n)
            say(f"[{note.n}] “{esc(note.evidence.quote)}” — {esc(short_source(note.evidence))}, "
                f"{esc(note.evidence.locator)}", "  ", "    ")
        out.append("")
    root = trace.root
    about = quotes(root)
    if about:
        say("About it:")
        node(about, "")
        out.append("")
    for _, title, hops in b.sections:
        say(f"{esc(root.label)} ({esc(root.kind)}) — {esc(title)} ({counted(hops)})")
        node(grouped(hops) or [("(nothing in the graph)", [])], "")
        out.append("")
    for note in (n for n in b.notes if n.n not in shown):  # quotes only the summary cites
        say(f"[{note.n}] “{esc(note.evidence.quote)}” — {esc(note.evidence.source)}, {esc(note.evidence.locator)}")
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------ Markdown --

def to_markdown(trace: Trace) -> str:
    """A briefing in Markdown: summary with footnote numbers, nested lists, each quote once; data escaped."""
    from drugpolicy_kg.tables import markdown_safe as m

    b = Briefing(trace)
    shown: set[int] = set()
    lines = [f"# Mandate trace: {m(trace.root.label)}", "", f"*{m(b.matched_line())}*", ""]
    for s in b.summary_text(cite=lambda n: f"\\[{n}\\]", escape=m):
        lines += [s, ""]
    key = b.key_notes()
    if key:
        lines += ["**Key quotes**", ""]
        for note in key:
            shown.add(note.n)
            lines.append(f"> \\[{note.n}\\] “{m(note.evidence.quote)}” — {m(short_source(note.evidence))}, "
                         f"{m(note.evidence.locator)}")
            lines.append(">")
        lines[-1] = ""
    about_at = len(lines)

    def quotes(h: Hop, pad: str):
        for e in b.quotes_of(h):
            n = b.number(e)
            own = b.role(h, e)
            if n in shown:
                lines.append(f"{pad}  > {own}quote \\[{n}\\], above")
            else:
                shown.add(n)
                lines.append(f"{pad}  > \\[{n}\\] {own}“{m(e.quote)}” — {m(e.source)}, {m(e.locator)}")
            if e.inferred and e in h.evidence:
                lines.append(f"{pad}  > *{m(e.note())}*")
        if h.relation and not h.evidence and not h.seen_before:
            lines.append(f"{pad}  > *{NO_QUOTE}*")

    def add(h: Hop, depth: int):
        pad = "  " * depth
        if h.omitted:
            lines.append(f"{pad}- *{m(omitted_text(h))}*")
            return
        rel = f"*{m(h.relation)}* → " if h.relation else ""
        flag = " **\\[inferred\\]**" if h.inferred else ""
        tail = " — see above" if h.seen_before else f" — {TRUNCATED}" if h.truncated else ""
        lines.append(f"{pad}- {rel}**{m(h.label)}** ({m(h.kind)}){flag}{tail}")
        quotes(h, pad)
        for group, kids in groups_of(h.children):
            d = depth + 1
            if group:
                lines.append(f"{'  ' * d}- **{m(group)}** ({len(kids)})")
                d += 1
            for c in kids:
                add(c, d)

    quotes(trace.root, "")
    if len(lines) > about_at:
        lines.insert(about_at, "About it:")
        lines.append("")
    for _, title, hops in b.sections:
        lines += [f"## {m(title)} ({counted(hops)})", ""]
        if not hops:
            lines.append("Nothing in the graph.")
        for group, kids in groups_of(hops):
            if group:
                lines.append(f"- **{m(group)}** ({len(kids)})")
            for h in kids:
                add(h, 1 if group else 0)
        lines.append("")
    unshown = [note for note in b.notes if note.n not in shown]
    if unshown:
        lines += ["## Quotes cited above", ""]
        lines += [f"\\[{n.n}\\] “{m(n.evidence.quote)}” — {m(n.evidence.source)}, {m(n.evidence.locator)}  " for n in unshown]
    return "\n".join(lines)


# ------------------------------------------------------------------ JSON --

def to_json(trace: Trace) -> str:
    b = Briefing(trace)
    data = trace.to_dict()
    data["summary"] = b.summary_text()
    data["sentences"] = [{"text": sen.words(), "notes": b.cites(sen),
                          "subject": sen.subject, "kind": sen.kind, "absent": sen.absent} for sen in b.summary]
    data["notes"] = [n.to_dict() for n in b.notes]
    return json.dumps(data, indent=2, ensure_ascii=False)


# ------------------------------------------------------------------ HTML --

END, END_GROUP = {"t": "end"}, {"t": "end-group"}  # (to_html's items that close a hop's list, a group's)


def to_html(trace: Trace, nav: list[tuple[str, str]] = (), link=None, source_link=None) -> str:
    """A standalone page (``templates/trace.html``); every value from the data is escaped by the template, and the
    page loads nothing. ``nav``: (href, text) pairs.

    ``link(iri)`` gives the href of an entity's page (or None), ``source_link(evidence)`` the href of the
    quoted passage in its source document's page (or None): the site passes them, a single page does not.
    """
    from drugpolicy_kg.pages import document

    link = link or (lambda iri: None)
    source_link = source_link or (lambda ev: None)
    b = Briefing(trace)
    shown: set[int] = set()
    count = [0]

    def quotes(h: Hop) -> list[dict]:
        out = []
        for ev in b.quotes_for(h):
            n = b.number(ev)
            q = {"n": n, "role": b.role(h, ev), "again": n in shown,
                 "note": ev.note() if ev.inferred and ev in h.evidence else ""}
            if not q["again"]:
                shown.add(n)
                q.update(quote=ev.quote, source=ev.source, locator=ev.locator, href=source_link(ev))
            out.append(q)
        return out

    def entries(hops: list[Hop], out: list[dict]) -> list[dict]:
        """The hops as the page lists them, flat and in order: a hop with children opens a list that an "end" item
        closes, a group of hops (one issuing body's) opens one that an "end-group" closes. (One template loop over
        them, not a macro called per hop: 220,000 hops on a site.)"""
        for group, kids in groups_of(hops):
            if group:
                is_open = count[0] < SCREENFUL  # (what a screen holds before this group)
                out.append({"t": "group", "group": group, "count": len(kids), "relations": _relation_counts(kids),
                            "open": is_open})
                for c in kids:
                    hop(c, out)
                out.append(END_GROUP)
            else:
                for c in kids:
                    hop(c, out)
        return out

    def hop(h: Hop, out: list[dict]) -> None:
        count[0] += 1
        if h.omitted:
            out.append({"t": "more", "omitted": omitted_text(h)})
            return
        out.append({"t": "hop", "rel": h.relation, "label": h.label, "href": link(h.iri), "kind": h.kind,
                    "seen": h.seen_before, "truncated": h.truncated, "inferred": h.inferred, "quotes": quotes(h),
                    "no_quote": NO_QUOTE if h.relation and not h.evidence and not h.seen_before else "",
                    "kids": bool(h.children)})
        if h.children:
            entries(h.children, out)
            out.append(END)

    summary = [{"text": sentence.words(), "cites": b.cites(sentence)} for sentence in b.summary]
    key = []
    for note in b.key_notes():
        shown.add(note.n)
        ev = note.evidence
        key.append({"n": note.n, "quote": ev.quote, "source": short_source(ev), "locator": ev.locator,
                    "href": source_link(ev)})
    root_quotes = quotes(trace.root)
    sections = [{"title": title, "count": counted(hops), "entries": entries(hops, [])} for _, title, hops in b.sections]
    unshown = [{"n": n.n, "quote": n.evidence.quote, "source": n.evidence.source, "locator": n.evidence.locator}
               for n in b.notes if n.n not in shown]
    return document("trace.html", f"Mandate trace: {trace.root.label}", list(nav), matched=b.matched_line(),
                    kind=trace.root.kind, iri=trace.root.iri, summary=summary, key=key, root_quotes=root_quotes,
                    sections=sections, unshown=unshown, truncated=TRUNCATED)


# ------------------------------------------------------------------ Word --

def to_docx(trace: Trace) -> bytes:
    """A Word document (python-docx) for a briefing pack: title, summary, hops as nested bullets, each quote once."""
    import io

    from docx import Document
    from docx.shared import Pt, RGBColor

    from drugpolicy_kg.tables import xml_safe as x

    b = Briefing(trace)
    shown: set[int] = set()
    doc = Document()
    doc.core_properties.title = x(f"Mandate trace: {trace.root.label}")[:255]
    doc.add_heading(x(f"Mandate trace: {trace.root.label}"), level=1)
    p = doc.add_paragraph()
    run = p.add_run(x(b.matched_line()))
    run.italic = True
    for s in b.summary_text():
        doc.add_paragraph(x(s))
    key = b.key_notes()
    if key:
        doc.add_heading("Key quotes", level=2)
        for note in key:
            shown.add(note.n)
            q = doc.add_paragraph(style="Quote")
            q.add_run(x(f"[{note.n}] “{note.evidence.quote}”"))
            meta = q.add_run(x(f" — {short_source(note.evidence)}, {note.evidence.locator}"))
            meta.font.size = Pt(8.5)
    doc.add_page_break()  # the summary and its quotes are the first page; the hops follow

    def bullet(depth: int, *runs: tuple[str, bool]):
        """A bullet at ``depth`` made of (text, bold) runs; Word's list styles go three deep, then indent."""
        style = "List Bullet" if depth == 0 else f"List Bullet {min(depth + 1, 3)}"
        para = doc.add_paragraph(style=style)
        if depth > 2:
            para.paragraph_format.left_indent = Pt(18 * (depth + 1))
        for text, bold in runs:
            para.add_run(x(text)).bold = bold
        return para

    def quotes(h: Hop, depth: int):
        for ev in b.quotes_of(h):
            n = b.number(ev)
            own = b.role(h, ev)
            q = doc.add_paragraph()
            q.paragraph_format.left_indent = Pt(18 * (depth + 2))
            if n in shown:
                q.add_run(x(f"{own}quote [{n}], above")).italic = True
            else:
                shown.add(n)
                q.style = "Quote"
                q.add_run(x(f"[{n}] {own}“{ev.quote}”"))
                meta = q.add_run(x(f" — {ev.source}, {ev.locator}"))
                meta.font.size = Pt(8.5)
                meta.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
            if ev.inferred and ev in h.evidence:
                q.add_run(x(f" ({ev.note()})")).font.color.rgb = RGBColor(0xAA, 0x66, 0x00)
        if h.relation and not h.evidence and not h.seen_before:
            doc.add_paragraph(NO_QUOTE).paragraph_format.left_indent = Pt(18 * (depth + 2))

    def add(h: Hop, depth: int):
        if h.omitted:
            bullet(depth, (omitted_text(h), False))
            return
        rel = f"{h.relation} → " if h.relation else ""
        tail = (f" ({h.kind})" + (" [inferred]" if h.inferred else "") + (" — see above" if h.seen_before else "")
                + (f" — {TRUNCATED}" if h.truncated else ""))
        bullet(depth, (rel, False), (h.label, True), (tail, False))
        quotes(h, depth)
        for group, kids in groups_of(h.children):
            d = depth + 1
            if group:
                bullet(d, (group, True), (f" ({len(kids)})", False))
                d += 1
            for c in kids:
                add(c, d)

    if b.quotes_of(trace.root):
        doc.add_paragraph("About it:")
        quotes(trace.root, -1)
    for _, title, hops in b.sections:
        doc.add_heading(x(f"{title} ({counted(hops)})"), level=2)
        if not hops:
            doc.add_paragraph("Nothing in the graph.")
        for group, kids in groups_of(hops):
            if group:
                bullet(0, (group, True), (f" ({len(kids)})", False))
            for h in kids:
                add(h, 1 if group else 0)
    unshown = [note for note in b.notes if note.n not in shown]
    if unshown:
        doc.add_heading("Quotes cited above", level=2)
        for note in unshown:
            doc.add_paragraph(x(f"[{note.n}] “{note.evidence.quote}” — {note.evidence.source}, {note.evidence.locator}"))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


RENDERERS = {"text": to_text, "markdown": to_markdown, "html": to_html, "json": to_json, "docx": to_docx}
BINARY = {"docx"}


def render(trace: Trace, fmt: str):
    """Render in one of ``text``, ``markdown``, ``html``, ``json`` (str) or ``docx`` (bytes)."""
    from drugpolicy_kg.errors import UsageError

    if fmt not in RENDERERS:
        raise UsageError(f"unknown format {fmt!r}; accepted: {', '.join(RENDERERS)}")
    return RENDERERS[fmt](trace)


# ------------------------------------------------------------------ the site --

def page_names(nodes: list[str]) -> dict[str, str]:
    """A file name per entity: its IRI's last part, made safe; where two would meet, each gets a digest of its IRI.

    >>> page_names(["https://x/id/res-cnd-64-3", "https://y/id/res-cnd-64-3"])["https://x/id/res-cnd-64-3"][:15]
    'res-cnd-64-3-59'

    The site's own pages keep their names: an entity called "index" or "source-..." gets a digest too.

    >>> page_names(["https://x/id/index"])["https://x/id/index"] != "index.html"
    True
    """
    import re

    base = {n: re.sub(r"[^a-z0-9-]+", "-", n.rsplit("/", 1)[-1].lower()).strip("-")[:80] or "entity" for n in nodes}
    counts: dict[str, int] = {}
    for b in base.values():
        counts[b] = counts.get(b, 0) + 1
    return {n: (f"{b}-{hashlib.sha256(n.encode()).hexdigest()[:8]}"
                if counts[b] > 1 or b == "index" or b.startswith("source-") else b) + ".html"
            for n, b in base.items()}


def _marked(line: str, quotes: list[str]) -> list[tuple[str, bool]]:
    """A line cut into (text, highlighted) parts: each quote it holds is highlighted, the longest first.

    >>> _marked("a b c b", ["b"])
    [('a ', False), ('b', True), (' c ', False), ('b', True)]
    """
    parts = [(line, False)]
    for q in quotes:
        cut: list[tuple[str, bool]] = []
        for text, marked in parts:
            if marked or q not in text:
                cut.append((text, marked))
                continue
            pieces = text.split(q)
            for i, piece in enumerate(pieces):
                if i:
                    cut.append((q, True))
                if piece:
                    cut.append((piece, False))
        parts = cut
    return parts


SCAN_FROM = 4000  # quotes of one source from which a source page finds them in one pass over its text


def _source_page(name: str, label: str, text: str, quotes: Iterable[str], nav: list[tuple[str, str]],
                 locators: dict[str, set[str]] | None = None) -> tuple[str, dict[str, str], dict[tuple[str, str], str]]:
    """A source document's text, a paragraph a line with anchors (its own number where it has one, else its line),
    and the quoted passages highlighted; returns the page, per quote the anchor of the first line that holds it,
    and, per (quote, locator) of ``locators`` (quote -> the locators it is quoted at), the anchor where a quote that
    stands on several lines is placed otherwise by its locator (see :class:`_Places`: a table cell's "33" stands
    first in the contents' page numbers). Such a quote is highlighted on the lines its locators name only (the
    shipped Section 16's "5" stands on 396 lines)."""
    import re
    from bisect import bisect_right

    from drugpolicy_kg.checks.quotes import HEAD, normalise, places, starts_of
    from drugpolicy_kg.pages import document

    lines = text.split("\n")
    folded = [normalise(line) for line in lines]
    longest_first = sorted((q for q in quotes if q), key=lambda q: (-len(q), q))  # (ties too: the same page every run)

    def starts(rows: list[str]) -> tuple[str, list[int]]:
        joined, at, pos = "\n".join(rows), [], 0
        for row in rows:
            at.append(pos)
            pos += len(row) + 1
        return joined, at

    def lines_holding(needle: str, joined: str, at: list[int]) -> list[int]:
        """The 0-based lines of ``joined`` where ``needle`` (no line break in it, so never across two lines) stands,
        each once, in order: one search of the whole text per quote, not one per line and quote."""
        found, pos = [], joined.find(needle)
        while pos >= 0:
            i = bisect_right(at, pos) - 1
            if not found or found[-1] != i:
                found.append(i)
            pos = joined.find(needle, pos + 1)
        return found

    def all_lines_holding(needles: set[str], joined: str, at: list[int]) -> dict[str, list[int]]:
        """``lines_holding`` for many needles at once: one pass over the text, each place looked up by the
        characters that start there (a search of a 7 MB text per quote took minutes for 45,000 quotes at a million
        triples); a needle shorter than the lookup is searched for alone."""
        if len(needles) < SCAN_FROM:  # (a few thousand searches in C are quicker than one pass in Python)
            return {q: lines_holding(q, joined, at) for q in needles if q}
        out = {q: lines_holding(q, joined, at) for q in needles if q and len(q) < HEAD}
        for pos, piece in places(joined, needles, starts_of(joined, needles)):
            i = bisect_right(at, pos) - 1
            found = out.setdefault(piece, [])
            if not found or found[-1] != i:
                found.append(i)
        return out

    raw, raw_at = starts(lines)
    flat, flat_at = starts(folded)
    in_raw = all_lines_holding({q for q in longest_first if "\n" not in q}, raw, raw_at)
    in_flat = all_lines_holding({normalise(q) for q in longest_first if len(q) > 20}, flat, flat_at)
    holding: dict[int, list[str]] = {}  # line -> the quotes standing in it, longest first
    anchors: dict[str, str] = {}
    first: dict[int, list[str]] = {}  # line -> the quotes it is the first to hold, as they stand or folded (long ones)
    lines_placed: dict[tuple[str, str], int] = {}  # (quote, locator) -> the line its locator names, where not its first
    where_is = None
    for q in longest_first:
        standing = [i for i in in_raw.get(q, ()) if lines[i].strip()]
        where = standing
        if len(q) > 20:
            nq = normalise(q)
            where = where + [i for i in (in_flat.get(nq, ()) if nq else []) if lines[i].strip()]
        if where:
            first.setdefault(min(where), []).append(q)
            among = sorted(set(where))
            if locators and q in locators and len(among) > 1:  # on several lines: marked where its locators put it
                where_is = where_is or _Places(lines)
                named = {locator: where_is.place(among, locator) for locator in sorted(locators[q])}
                lines_placed.update(((q, locator), i) for locator, i in named.items() if i != among[0])
                standing = [i for i in standing if i in named.values()]
        for i in standing:
            holding.setdefault(i, []).append(q)

    def anchor_of(i: int) -> str:
        """The anchor of the 0-based line ``i``: its paragraph's own number where it starts with one, else its line."""
        num = re.match(r"^(\d{1,3}\.\d{1,3})\s", lines[i])
        return f"p{num.group(1)}" if num else f"l{i + 1}"

    shown = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        anchor = anchor_of(i)
        for q in first.get(i, []):
            anchors[q] = anchor
        shown.append({"anchor": anchor, "number": i + 1, "parts": _marked(line, holding.get(i, []))})
    for q in longest_first:  # a quote that runs over lines: the first line that starts it
        if q not in anchors:
            head = normalise(q)[:40]
            hit = lines_holding(head, flat, flat_at)[:1] if head else []
            if hit:
                anchors[q] = anchor_of(hit[0])
    placed = {key: anchor_of(i) for key, i in lines_placed.items()}
    page_html = document("source.html", f"Source: {label}", nav, file=name, found=len(anchors), lines=shown)
    return page_html, anchors, placed


_HEADING = re.compile(r"(Table \d+\.\d+|Figure \S+|Annex [IVXLC]+)\s*$")  # a table's, figure's or annex's own line
_NUMBERED = re.compile(r"(\d{1,3}\.\d{1,3})\s")  # a numbered paragraph's line
_IN_PARAGRAPH = re.compile(r"(?:after )?para\. (\d{1,3}\.\d{1,3})(?![\d.])")
_IN_TABLE = re.compile(r"(Table \d+\.\d+|Annex [IVXLC]+)(?![\w.])")
_ROW_LABEL = re.compile(r", row \d+ \((.+?)\)(?:, column “|$)")
_HEADING_QUOTED = re.compile(r"heading “(.*)”$")
LOCATOR_READ = 1000  # characters of a locator _Places reads at most (the shipped data's longest: under 300)


class _Places:
    """Where, among the lines of a source that hold a quote, its locator puts it: the quote's own line for a
    heading; for a table or an annex, the first of them between the table's own line ("Table 16.30") and the next
    table, figure or annex, the row's (its line starts with the row's label) where there is one; for a paragraph (and
    a list after it), the first between its numbered line and the next. Otherwise, or where none of them is there,
    the first line that holds it. (The locators are the project's own: "Table 16.30, row 10 (Total), column ...",
    "para. 16.10, Subprogramme 5, ..., row 30", "heading “...”".)"""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.headings: dict[str, int] = {}
        self.heading_lines: list[int] = []
        self.paragraphs: dict[str, int] = {}
        self.paragraph_lines: list[int] = []
        for i, line in enumerate(lines):
            if m := _HEADING.match(line.strip()):
                self.headings.setdefault(m.group(1), i)
                self.heading_lines.append(i)
            elif m := _NUMBERED.match(line):
                self.paragraphs.setdefault(m.group(1), i)
                self.paragraph_lines.append(i)

    @staticmethod
    def _block(start: int, starts: list[int], end: int) -> range:
        from bisect import bisect_right

        after = bisect_right(starts, start)
        return range(start, starts[after] if after < len(starts) else end)

    def place(self, where: list[int], locator: str) -> int:
        """The line of ``where`` (ascending, more than one) that ``locator`` points to. (A locator longer than any
        the project writes, LOCATOR_READ, is not read: its first line; the row's pattern would take time in its
        square on one made of ", row 1 (" again and again.)"""
        if len(locator) > LOCATOR_READ:
            return where[0]
        if m := _HEADING_QUOTED.match(locator):
            own = [i for i in where if self.lines[i].strip() == m.group(1)]
            return own[0] if own else where[0]
        block = None
        if (m := _IN_PARAGRAPH.match(locator)) and m.group(1) in self.paragraphs:
            block = self._block(self.paragraphs[m.group(1)], self.paragraph_lines, len(self.lines))
        elif (m := _IN_TABLE.match(locator)) and m.group(1) in self.headings:
            block = self._block(self.headings[m.group(1)], self.heading_lines, len(self.lines))
        inside = [i for i in where if block is not None and i in block]
        if not inside:
            return where[0]
        if m := _ROW_LABEL.search(locator):
            label = m.group(1).rstrip("…").strip()
            row = [i for i in inside if label and self.lines[i].startswith(label)]
            if row:
                return row[0]
        return inside[0]


def passage_of(links: dict[tuple, str], ev) -> str | None:
    """The link of ``ev``'s passage among ``links`` (per (file, quote), and per (file, quote, locator) where its
    locator places the quote elsewhere than its first line: see :func:`_source_page`), or None."""
    return links.get((ev.source_file, ev.quote, ev.locator)) or links.get((ev.source_file, ev.quote))


class SiteFiles(list):
    """The files a site wrote, and ``pages``: the page of each entity (IRI -> file name)."""

    pages: dict[str, str]


# The entities a site gives a mandate trace of their own, besides the resolutions and bodies it starts from: the
# instruments, actors and programmes a policymaker traces. Every other entity (a mandate row, a deliverable, an
# observation of a table) is named on the traces that reach it, and linked to its entity page where there is one.
TRACED_KINDS = frozenset({"resolution", "decision", "convention", "declaration", "organization", "programme",
                          "network", "working group", "body", "entity", "organizationalunit"})
SITE_HOPS = 250  # hops per direction on a site page: further entities are named, each followed on its own page


def write_source_pages(sources: dict[str, dict[str, set[str]]], labels: dict[str, str], project, out,
                       nav: list[tuple[str, str]]) -> tuple[dict[tuple, str], list]:
    """A page per source document in ``out`` with the quotes ``sources`` gives it highlighted (file -> quote -> the
    locators it is quoted at), titled by ``labels`` (file -> the document's label); returns the links of their
    passages (see :func:`passage_of`) and the pages written. (A trace site's sources, and the views' site's.)"""
    from drugpolicy_kg.atomic import write_page
    from drugpolicy_kg.resources import source_text

    links: dict[tuple, str] = {}
    written = []
    for file, quotes in sorted(sources.items()):
        path = source_text(project.sources_dir, file)  # a file name there, never a path: the page copies it
        if path is None:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        page_html, found, placed = _source_page(file, labels.get(file, file), text, quotes, nav, quotes)
        name = "source-" + page_names([file])[file]
        write_page(out / name, page_html)
        written.append(out / name)
        for q, a in found.items():
            links[(file, q)] = f"{name}#{a}"
        for (q, locator), a in placed.items():
            links[(file, q, locator)] = f"{name}#{a}"
    return links, written


def write_site(tracer, out_dir, project=None, max_pages: int = 3000, views_href: str = "../site/index.html",
               entity_href=None, max_hops: int | None = SITE_HOPS, followed=None, on_pages=None,
               source_links: dict[tuple, str] | None = None, sources_href: str = "") -> SiteFiles:
    """A site to walk: a trace page per resolution and body and per entity their traces mention (up to ``max_pages``),
    each linked to the pages of the entities it mentions, to the views and to the source documents' pages, where the
    quoted passages are highlighted; and an index. Every file is written atomically.

    ``entity_href(iri)``, where given, is the link to the entity's own page (all its facts), added to each page's
    navigation, and the link of an entity that has no trace page. ``followed(iri)`` says which of the entities the
    traces mention get a trace page of their own (the resolutions and bodies always do); by default those of the
    kinds in ``TRACED_KINDS``. ``on_pages(pages)`` is told the page of each entity traced as soon as the traces are
    made, before any page is written. ``source_links``, where given, are the source pages written already (per
    (source file, quote), the page and the anchor of its passage, from ``out_dir`` at ``sources_href``): the site
    links there and writes none of its own (the views' site: one page per source, the entity pages' too)."""
    from pathlib import Path

    from drugpolicy_kg.atomic import atomic_write, write_page
    from drugpolicy_kg.resources import Project, internal_query, source_text
    from drugpolicy_kg.threads import collector_off

    project = project or Project.open()
    out = Path(out_dir)
    main = sorted(str(r[0]) for r in tracer.graph.query(internal_query("trace-pages.rq")))
    tracer.index_links()  # many traces: read the links once, and every entity's quotes in one query
    tracer.evidence  # noqa: B018
    if followed is None:
        def followed(iri: str) -> bool:
            return tracer.kind(iri).split(":")[0] in TRACED_KINDS
    traces = {}
    order = list(main)
    queued = set(order)
    i = 0
    with collector_off():  # (the traces live until their pages are written, and make no cycles: at 1M the
        # collector's walks over them found nothing to free and took about 2.5 s of views' second process)
        while i < len(order) and len(order) <= max_pages:  # the main pages, then what they mention, breadth first
            node = order[i]
            traces[node] = t = tracer.trace(node, "both", max_hops=max_hops)
            for top in t.forward + t.backward:
                for h in top.walk():
                    if h.iri not in queued and len(order) < max_pages and followed(h.iri):
                        order.append(h.iri)
                        queued.add(h.iri)
            i += 1
    names = page_names(list(traces))
    if on_pages is not None:
        on_pages(names)
    sources: dict[str, dict[str, set[str]]] = {}  # file -> quote -> its locators
    for t in traces.values():
        for h in [t.root, *(x for top in t.forward + t.backward for x in top.walk())]:
            for ev in Briefing.quotes_of(h):
                if ev.source_file:
                    sources.setdefault(ev.source_file, {}).setdefault(ev.quote, set()).add(ev.locator)
    nav = [("index.html", "All traces"), (views_href, "Network views")]
    written = SiteFiles()
    written.pages = names
    if source_links is not None:  # the source pages are written: their passages are linked
        anchors = {key: sources_href + link for key, link in source_links.items() if key[1] in sources.get(key[0], ())}
    else:
        labels = {file: next((ev.source for t in traces.values() for ev in Briefing.quotes_of(t.root)
                              if ev.source_file == file), file) for file in sources}
        anchors, pages = write_source_pages(sources, labels, project, out, nav)
        written.extend(pages)

    def link(iri: str):
        return names.get(iri) or (entity_href(iri) if entity_href else None)

    def source_link(ev: Evidence):
        return passage_of(anchors, ev)

    for node, t in traces.items():
        own = entity_href(node) if entity_href else None
        page_nav = nav + ([(own, "Everything the graph says about it")] if own else [])
        write_page(out / names[node], to_html(t, nav=page_nav, link=link, source_link=source_link))
        written.append(out / names[node])
    by_kind: dict[str, list[str]] = {}
    for node in traces:
        by_kind.setdefault(tracer.kind(node).split(":")[0], []).append(node)
    from drugpolicy_kg.pages import document

    kinds = [{"name": kind, "open": len(nodes) <= SCREENFUL,
              "entries": [(names[n], tracer.label(n)) for n in sorted(nodes, key=lambda n: natural(tracer.label(n)))]}
             for kind, nodes in sorted(by_kind.items(), key=lambda kv: (kv[0] not in ("resolution", "working group",
                                                                                       "network", "organization"), kv[0]))]
    source_items = [(sources_href + "source-" + page_names([f])[f], f) for f in sorted(sources)
                    if source_text(project.sources_dir, f)]
    index = document("traces.html", "Mandate traces", [(views_href, "Network views")], pages=len(traces), kinds=kinds,
                     more=len(main) + 1 > max_pages, sources=source_items,
                     orphans=[(label, kind) for _, label, kind in tracer.orphans()])
    with atomic_write(out / "index.html", durable=False) as fh:
        fh.write(index)
    written.append(out / "index.html")
    return written
