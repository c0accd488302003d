"""Render a :class:`~drugpolicy_kg.uses.trace.Trace` as a terminal tree, Markdown, HTML or JSON.

JSON shape (``--format json``)::

    {"term": str, "direction": "forward|backward|both",
     "root": {"iri", "label", "type", "relation", "inferred", "seen_before", "evidence"},
     "forward": [Hop], "backward": [Hop]}
    Hop = {"iri", "label", "type", "relation", "inferred", "seen_before",
           "evidence": [{"source", "source_file", "locator", "quote", "inferred", "reasoning"}], "children": [Hop]}

``relation`` says how a hop is reached from its parent ("issues", the provision's own
verb such as "encourages" or "recognizes", "set up in view of" ...); ``evidence`` holds the
quotes that state that very link; ``inferred`` marks a link the source implies but does not
state (each such quote carries its ``reasoning``); ``seen_before`` marks a node already
expanded higher up. Every renderer shows an inferred link as inferred, and a link no quote
states as such.
"""

from __future__ import annotations

import html
import json

from drugpolicy_kg.uses.trace import Hop, Trace

SECTIONS = (("forward", "What it leads to"),
            ("backward", "What leads to it: resolutions, their provisions, and the reasons the sources give"))
NO_QUOTE = "no quote in the graph states this link"


def _sections(trace: Trace):
    for key, title in SECTIONS:
        hops = getattr(trace, key)
        if trace.direction in (key, "both"):
            yield key, title, hops


def _head(h: Hop) -> str:
    rel = f"{h.relation} → " if h.relation else ""
    more = " (see above)" if h.seen_before else ""
    return f"{rel}{h.label} [{h.kind}]{more}"


def to_text(trace: Trace, width: int = 110) -> str:
    """A tree for the terminal, drawn with rich; every hop shows its quotes; data is escaped for the terminal."""
    from rich.console import Console
    from rich.markup import escape as markup_escape
    from rich.tree import Tree

    from drugpolicy_kg.tables import terminal_safe

    def escape(text) -> str:
        return markup_escape(terminal_safe(text))

    def add(tree, h: Hop):
        rel = f"[dim]{escape(h.relation)} →[/dim] " if h.relation else ""
        more = " [dim](see above)[/dim]" if h.seen_before else ""
        flag = " [yellow]\\[inferred][/yellow]" if h.inferred else ""
        branch = tree.add(f"{rel}[bold]{escape(h.label)}[/bold] [cyan]\\[{escape(h.kind)}][/cyan]{flag}{more}")
        for e in h.evidence:
            branch.add(f"[green]“{escape(e.quote)}”[/green] [dim]— {escape(e.source)}, {escape(e.locator)}[/dim]")
            if e.inferred:
                branch.add(f"[yellow]{escape(e.note())}[/yellow]")
        if h.relation and not h.evidence:
            branch.add(f"[red]{NO_QUOTE}[/red]")
        for c in h.children:
            add(branch, c)

    import io

    console = Console(file=io.StringIO(), width=width, record=True, color_system=None, force_terminal=False)
    root = trace.root
    for _, title, hops in _sections(trace):
        tree = Tree(f"[bold]{escape(root.label)}[/bold] [cyan]\\[{escape(root.kind)}][/cyan] — {escape(title)}")
        if not hops:
            tree.add("[dim](nothing in the graph)[/dim]")
        for h in hops:
            add(tree, h)
        console.print(tree)
    return console.export_text()


def to_markdown(trace: Trace) -> str:
    """A briefing: nested list, each hop with its quote as a blockquote-style line; data is escaped for Markdown."""
    from drugpolicy_kg.tables import markdown_safe as m

    lines = [f"# Mandate trace: {m(trace.root.label)}", "", f"*{m(trace.root.kind)}* — {m(trace.root.iri)}", ""]

    def add(h: Hop, depth: int):
        pad = "  " * depth
        rel = f"*{m(h.relation)}* → " if h.relation else ""
        flag = " **\\[inferred\\]**" if h.inferred else ""
        lines.append(f"{pad}- {rel}**{m(h.label)}** ({m(h.kind)}){flag}{' — see above' if h.seen_before else ''}")
        for e in h.evidence:
            lines.append(f"{pad}  > “{m(e.quote)}” — {m(e.source)}, {m(e.locator)}")
            if e.inferred:
                lines.append(f"{pad}  > *{m(e.note())}*")
        if h.relation and not h.evidence:
            lines.append(f"{pad}  > *{NO_QUOTE}*")
        for c in h.children:
            add(c, depth + 1)

    for _, title, hops in _sections(trace):
        lines += [f"## {title}", ""]
        if not hops:
            lines.append("Nothing in the graph.")
        for h in hops:
            add(h, 0)
        lines.append("")
    return "\n".join(lines)


def to_json(trace: Trace) -> str:
    return json.dumps(trace.to_dict(), indent=2, ensure_ascii=False)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4;color:#222}}
ul{{list-style:none;padding-left:1.2rem;border-left:2px solid #ddd}} li{{margin:.4rem 0}}
.rel{{color:#666;font-style:italic}} .kind{{color:#06c;font-size:.85em}} .seen{{color:#999}}
blockquote{{margin:.2rem 0 .2rem .5rem;padding:.2rem .6rem;border-left:3px solid #4a4;background:#f6fff6;font-size:.92em}}
cite{{color:#666;font-style:normal;font-size:.85em}} nav a{{margin-right:1rem}}
.inferred{{color:#a60;font-weight:bold;font-size:.85em}}
</style></head><body>
<nav>{nav}</nav>
<h1>{title}</h1>
<p><span class="kind">{kind}</span> <code>{iri}</code></p>
{body}
</body></html>
"""


def to_html(trace: Trace, nav: str = "") -> str:
    """A standalone page; every value from the data is escaped, and the page loads nothing."""
    e = html.escape

    def add(h: Hop) -> str:
        rel = f'<span class="rel">{e(h.relation)} →</span> ' if h.relation else ""
        seen = ' <span class="seen">(see above)</span>' if h.seen_before else ""
        quotes = "".join(f"<blockquote>“{e(ev.quote)}” <cite>— {e(ev.source)}, {e(ev.locator)}</cite>"
                         + (f'<br><span class="inferred">{e(ev.note())}</span>' if ev.inferred else "")
                         + "</blockquote>" for ev in h.evidence)
        if h.relation and not h.evidence:
            quotes = f'<p class="inferred">{e(NO_QUOTE)}</p>'
        seen += ' <span class="inferred">[inferred]</span>' if h.inferred else ""
        kids = "<ul>" + "".join(add(c) for c in h.children) + "</ul>" if h.children else ""
        return f'<li>{rel}<strong>{e(h.label)}</strong> <span class="kind">{e(h.kind)}</span>{seen}{quotes}{kids}</li>'

    body = ""
    for _, title, hops in _sections(trace):
        items = "".join(add(h) for h in hops) or "<li>Nothing in the graph.</li>"
        body += f"<h2>{e(title)}</h2><ul>{items}</ul>"
    return PAGE.format(title=e(f"Mandate trace: {trace.root.label}"), kind=e(trace.root.kind), iri=e(trace.root.iri),
                       body=body, nav=nav)


RENDERERS = {"text": to_text, "markdown": to_markdown, "html": to_html, "json": to_json}


def render(trace: Trace, fmt: str) -> str:
    """Render in one of ``text``, ``markdown``, ``html``, ``json``."""
    from drugpolicy_kg.errors import UsageError

    if fmt not in RENDERERS:
        raise UsageError(f"unknown format {fmt!r}; accepted: {', '.join(RENDERERS)}")
    return RENDERERS[fmt](trace)


def write_site(tracer, out_dir, max_pages: int = 300) -> list:
    """One HTML page per resolution and per body, up to ``max_pages`` (plus index.html), written atomically."""
    import re
    from pathlib import Path

    from drugpolicy_kg.atomic import atomic_write

    out = Path(out_dir)
    from drugpolicy_kg.resources import internal_query

    q = internal_query("trace-pages.rq")
    nodes = sorted(str(r[0]) for r in tracer.graph.query(q))
    more = max(0, len(nodes) - max_pages)
    nodes = nodes[:max_pages]
    pages = {n: re.sub(r"[^a-z0-9-]+", "-", n.rsplit("/", 1)[-1].lower()) + ".html" for n in nodes}
    nav = '<a href="index.html">All traces</a>'
    written = []
    for node, name in pages.items():
        trace = tracer.trace(node, "both")
        with atomic_write(out / name) as fh:
            fh.write(to_html(trace, nav=nav))
        written.append(out / name)
    items = "".join(f'<li><a href="{html.escape(name)}">{html.escape(tracer.label(n))}</a> '
                    f'<span class="kind">{html.escape(tracer.kind(n))}</span></li>' for n, name in pages.items())
    orphans = "".join(f"<li>{html.escape(label)} <span class=\"kind\">{html.escape(kind)}</span></li>"
                      for _, label, kind in tracer.orphans()) or "<li>None.</li>"
    index = PAGE.format(title="Mandate traces", kind="index", iri="", nav="",
                        body=f"<h2>Resolutions and bodies</h2><ul>{items}</ul>"
                             + (f"<p>And {more} more: trace them with <code>drugpolicy-kg trace</code>.</p>" if more else "")
                             + f"<h2>Bodies and activities no resolution reaches</h2><ul>{orphans}</ul>")
    with atomic_write(out / "index.html") as fh:
        fh.write(index)
    written.append(out / "index.html")
    return written
