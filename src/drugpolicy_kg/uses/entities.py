"""What the graph says about one entity, with the words that say it: for the view's side panel and a page per entity.

Every entity gets a page: each fact (property, value) with the quotes that state it, their source and locator (a link
to the passage in the source document's page), inferred facts marked with their reasoning, the links to it from
other entities, and the views and traces it appears in. :func:`entity_facts` collects them once for both the pages and
the view's side panel, so the two never differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from drugpolicy_kg.resources import PREFIXES
from drugpolicy_kg.uses.trace import RDF_TYPE, RDFS_LABEL, Evidence, Tracer, natural

if TYPE_CHECKING:
    from rdflib import Graph

DPK = PREFIXES["dpk"]
SDG = PREFIXES["sdg"]
# Nodes that record evidence, not entities of the domain: they are shown with the facts they support.
NOT_ENTITIES = {PREFIXES["dpo"] + "Evidence", PREFIXES["rdf"] + "Statement"}
MAX_INCOMING = 500  # links listed on a page; the count says how many more
@dataclass(slots=True)
class Fact:
    """One property value of an entity and the quotes that state it."""

    prop: str
    prop_label: str
    value: str            # the literal's text, or the IRI
    is_iri: bool
    value_label: str      # what a reader sees: the label of an IRI, the text of a literal (with its language)
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def inferred(self) -> bool:
        return bool(self.evidence) and all(e.inferred for e in self.evidence)


def entity_iris(graph: Graph, typings: dict[str, list] | None = None) -> list[str]:
    """Every entity of the project (a typed IRI in its namespace that is not an evidence record) and every SDG concept
    the data link to, sorted. ``typings``, where given, gets the types of each (as the graph's terms, in the order the
    graph gives them), read in the same pass over the graph's typings."""
    from drugpolicy_kg.graph.oxi import term_types

    URIRef = term_types(graph)[0]  # noqa: N806 - the graph's own IRI type
    skip = {URIRef(c) for c in NOT_ENTITIES}
    out = set()
    types: dict[str, list] = {}
    classes: dict = {}  # (each class's term once: a million triples of thin entities read 365,000 copies of a few)
    for s, t in graph.subject_objects(URIRef(RDF_TYPE)):
        text = str(s)  # (rdflib's URIRef.startswith takes one prefix: str() of a tuple of two)
        if isinstance(s, URIRef) and text.startswith((DPK, SDG)):
            types.setdefault(text, []).append(classes.setdefault(t, t))
            if t not in skip and text.startswith(DPK):
                out.add(text)
    for _, o in graph.subject_objects(URIRef(PREFIXES["dpo"] + "serves")):
        if str(o).startswith(SDG):
            out.add(str(o))
    if typings is not None:
        typings.update((iri, types.get(iri, [])) for iri in out)
    return sorted(out)


class Entities:
    """Facts, labels and links of every entity of one graph, computed on demand and remembered."""

    def __init__(self, graph: Graph, tracer: Tracer | None = None):
        from drugpolicy_kg.graph.oxi import term_types

        self.graph = graph
        self.tracer = tracer or Tracer(graph)
        self._URIRef = term_types(graph)[0]
        self._prop_labels: dict[str, str] = {}
        self._natural_props: dict[str, list] = {}  # a property label's sort key (a few dozen, asked for every fact)
        self._label_prop = self._URIRef(RDFS_LABEL)
        self._typings: dict[str, list] | None = {}
        self.iris = entity_iris(graph, self._typings)
        self._is_entity = set(self.iris)
        self._facts: dict[str, list[Fact]] = {}  # the views ask for an entity's facts on every page drawing it

    def is_entity(self, iri: str) -> bool:
        return iri in self._is_entity

    def read_kinds(self) -> None:
        """Every entity's kind for the tracer (:meth:`Tracer.read_kinds`), from the types read with the entities
        (the two had each read every typing of the graph: at a million triples, 0.6 s of each of views' two
        processes)."""
        if self._typings is not None:
            self.tracer.read_kinds(self.iris, self._typings)
            self._typings = None

    def acronyms(self) -> dict[str, list[str]]:
        """Each entity's alternative labels (acronyms), sorted, read in one pass over them (a look-up per entity
        took 5.5 s of the index of 365,000 entities' pages, in the process the site waited for)."""
        found: dict[str, set[str]] = {}
        for s, a in self.graph.subject_objects(self._URIRef(PREFIXES["skos"] + "altLabel")):
            if self.is_entity(str(s)):
                found.setdefault(str(s), set()).add(str(a))
        return {iri: sorted(names) for iri, names in found.items()}

    def prop_label(self, prop: str) -> str:
        """A property's English label from the ontology, else its local name."""
        if prop not in self._prop_labels:
            label = next((str(x) for x in self.graph.objects(self._URIRef(prop), self._label_prop)
                          if getattr(x, "language", None) in (None, "en")), "")
            self._prop_labels[prop] = label or prop.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        return self._prop_labels[prop]

    def facts(self, iri: str) -> list[Fact]:
        """The entity's own facts (it is the subject), labels first, each with the quotes that state it (read once,
        then remembered: do not change the list)."""
        if iri not in self._facts:
            self._facts[iri] = self._read_facts(iri)
        return self._facts[iri]

    def forget(self, iri: str | None = None) -> None:
        """Let go of the entity's remembered facts (its page is written: nothing reads them again), or of every
        entity's (None: the views are drawn)."""
        if iri is None:
            self._facts.clear()
        else:
            self._facts.pop(iri, None)

    def _read_facts(self, iri: str) -> list[Fact]:
        from drugpolicy_kg.graph.oxi import A_BLANK, AN_IRI, predicate_values

        quotes = self.tracer.facts_of(iri)
        label, class_words, prop_label = self.tracer.label, self.tracer._class_words, self.prop_label
        out = []
        for p, value, what, language in predicate_values(self.graph, iri):
            if what == A_BLANK:
                continue  # a blank node: the evidence records, shown with the facts they state
            if what == AN_IRI:
                shown = class_words(self._URIRef(value)) if p == RDF_TYPE else label(value)
            else:
                shown = value + (f" @{language}" if language else "")
            out.append(Fact(p, prop_label(p), value, what == AN_IRI, shown, list(quotes.get((iri, p, value), []))))
        first = {RDFS_LABEL: 0, PREFIXES["skos"] + "prefLabel": 0, PREFIXES["skos"] + "altLabel": 1,
                 RDF_TYPE: 2}
        by_label = self._natural_props
        for f in out:
            if f.prop_label not in by_label:
                by_label[f.prop_label] = natural(f.prop_label)
        return sorted(out, key=lambda f: (first.get(f.prop, 3), by_label[f.prop_label], natural(f.value_label)))

    def incoming(self, iri: str, first: int | None = None) -> tuple[int, list[tuple[str, str, list[Evidence]]]]:
        """The entities that link to this one: how many links, and the ``first`` of them (all by default) as
        (subject, property, quotes), sorted by property and name (the quotes read for those only: a body with
        thousands of members shows a page's worth)."""
        import heapq

        named = getattr(self.graph, "named_subject_predicates", None)  # (the store's view: statements skipped)
        pairs = named(iri) if named else [(str(s), str(p)) for s, p in self.graph.subject_predicates(self._URIRef(iri))]
        links = [(s, p) for s, p in pairs if self.is_entity(s)]

        def order(link):
            return natural(self.prop_label(link[1])), natural(self.tracer.label(link[0]))

        shown = sorted(links, key=order) if first is None else heapq.nsmallest(first, links, key=order)  # (as sorted)
        return len(links), [(s, p, list(self.tracer.facts_of(s).get((s, p, iri), []))) for s, p in shown]

    def panel(self, iri: str, page: str | None) -> dict:
        """The side panel's record: plain values only, for JSON (the page renders them as text). Made afresh from the
        remembered facts each time: kept, the records of a million triples' 45,701 drawn entities held about 100 MB
        until the site was written."""
        return {
            "name": self.tracer.label(iri), "kind": self.tracer.kind(iri), "iri": iri, "page": page,
            "facts": [[f.prop_label, f.value_label, panel_quotes(f.evidence)]
                      for f in self.facts(iri) if f.prop != RDFS_LABEL],
        }


def panel_quotes(evidence: list[Evidence]) -> list[list[str]]:
    """Quotes as a network page's side panel shows them (network.js's ``quote``): [words, source, locator, how it is
    inferred, "" where stated], for an entity's facts and for a tie alike."""
    return [[e.quote, e.source, e.locator, e.note()] for e in evidence]


def _quotes(evidence: list[Evidence], source_link: Callable[[Evidence], str | None]) -> list[dict]:
    return [{"quote": ev.quote, "source": ev.source, "locator": ev.locator, "href": source_link(ev),
             "note": ev.note() if ev.inferred else ""} for ev in evidence]


def entity_record(ents: Entities, iri: str, link: Callable[[str], str | None],
                  source_link: Callable[[Evidence], str | None], appears_in: list[tuple[str, str]] | None = None) -> dict:
    """What a page shows of one entity (``templates/entity-body.html``): every fact with its quotes, the links to it,
    and where it appears (``appears_in``: (href, text) pairs; None leaves the section out)."""
    def name(target: str) -> dict:
        return {"label": ents.tracer.label(target), "href": link(target)}

    facts = []
    for f in ents.facts(iri):
        entity = f.is_iri and ents.is_entity(f.value)
        facts.append({"prop": f.prop_label, "value": name(f.value) if entity else {"label": f.value_label, "href": None},
                      "iri": f.value if f.is_iri and not entity and f.prop != RDF_TYPE else "",
                      "inferred": f.inferred, "quotes": _quotes(f.evidence, source_link),
                      "unstated": not f.evidence and f.prop not in (RDF_TYPE, RDFS_LABEL)})
    count, incoming = ents.incoming(iri, MAX_INCOMING)
    links = [{"source": name(s), "prop": ents.prop_label(p), "quotes": _quotes(ev[:1], source_link)}
             for s, p, ev in incoming]
    return {"name": ents.tracer.label(iri), "kind": ents.tracer.kind(iri), "iri": iri, "facts": facts,
            "incoming": links, "incoming_count": count, "incoming_more": max(0, count - MAX_INCOMING),
            "appears_in": appears_in}


def entity_html(ents: Entities, iri: str, link: Callable[[str], str | None],
                source_link: Callable[[Evidence], str | None], appears_in: list[tuple[str, str]] | None = None,
                nav: list[tuple[str, str]] = ()) -> str:
    """One entity's own page (``templates/entity.html``): :func:`entity_record` under the entity's name."""
    from drugpolicy_kg.pages import document

    record = entity_record(ents, iri, link, source_link, appears_in)
    return document("entity.html", record["name"], list(nav), e=record)


# A graph of more entities than SHARED_ABOVE gets no file per entity: its entities' pages share files, PER_FILE to a
# file in the order of their IRIs, each an anchor there. (Creating a file costs 50-150 µs on this project's
# benchmark machine, whatever its size: the third shape of data's 365,116 pages took 20-50 s of the kernel's time
# alone, and the folder of them is slow to copy, list and serve.)
SHARED_ABOVE = 20_000
PER_FILE = 100


def page_links(iris: list[str], shared: bool | None = None) -> dict[str, str]:
    """Where each entity's page is, as a link from the entity pages' folder: a file of its own (named by
    :func:`~drugpolicy_kg.uses.trace_render.page_names`), or, where the pages share files (``shared``; None: where
    there are more than SHARED_ABOVE entities), its anchor on the file it shares with the PER_FILE entities around it
    in ``iris``'s order.

    >>> iris = [f"https://x/id/e{i}" for i in range(250)]
    >>> page_links(iris)["https://x/id/e7"], page_links(iris, shared=True)["https://x/id/e207"]
    ('e7.html', 'part-3.html#e207')
    """
    from drugpolicy_kg.uses.trace_render import page_names

    names = page_names(iris)
    if not (len(iris) > SHARED_ABOVE if shared is None else shared):
        return names
    width = len(str(-(-len(iris) // PER_FILE)))
    return {iri: f"{part_file(i // PER_FILE + 1, width)}#{names[iri][:-len('.html')]}" for i, iri in enumerate(iris)}


def shares_files(names: dict[str, str]) -> bool:
    """Whether the entity pages of ``names`` (:func:`page_links`) share files."""
    return "#" in next(iter(names.values()), "")


def part_file(number: int, width: int = 1) -> str:
    """The file name of the ``number``-th shared page (1-based), its number padded to ``width`` digits."""
    return f"part-{number:0{width}d}.html"


def write_pages(ents: Entities, out_dir: Path, names: dict[str, str], source_pages: dict[tuple, str],
                appears_in: Callable[[str], list[tuple[str, str]]], nav: list[tuple[str, str]],
                iris: list[str] | None = None, scratch: Path | None = None) -> list[Path]:
    """The pages of the entities ``iris`` (default: all) into ``out_dir``, where ``names`` (:func:`page_links`) puts
    them: a page each, or each file the entities share (``iris`` must then hold all of a file's entities, as runs of
    PER_FILE from a multiple of it do); returns the files.
    (``scratch``: where the temporary files are made, see :func:`drugpolicy_kg.atomic.scratch_folder`.)"""
    from itertools import groupby

    from drugpolicy_kg.atomic import write_page
    from drugpolicy_kg.pages import document
    from drugpolicy_kg.uses.trace_render import passage_of

    written = []

    def link(target: str) -> str | None:
        return names.get(target) if ents.is_entity(target) else None

    def source_link(ev: Evidence) -> str | None:
        return passage_of(source_pages, ev)

    for file, members in groupby(ents.iris if iris is None else iris, key=lambda i: names[i].partition("#")[0]):
        members = list(members)
        if "#" not in names[members[0]]:  # (a page of its own)
            text = entity_html(ents, members[0], link, source_link, appears_in(members[0]), nav)
        else:
            records = []
            for iri in members:
                records.append(entity_record(ents, iri, link, source_link, appears_in(iri)))
                records[-1]["anchor"] = names[iri].partition("#")[2]
            number, width = int(file[len("part-"):-len(".html")]), len(file) - len("part-.html")  # (see part_file)
            first = (number - 1) * PER_FILE + 1
            last = first + len(members) - 1
            text = document("entities-part.html", f"Entities {first:,}–{last:,} of {len(names):,}",
                            [*nav, *_part_nav(number, width, len(names))], entities=records, first=first, last=last,
                            total=len(names))
        write_page(out_dir / file, text, scratch)
        for iri in members:  # (kept, the facts of a million triples' 45,701 pages grew the process by about 100 MB)
            ents.forget(iri)
        written.append(out_dir / file)
    return written


def _part_nav(number: int, width: int, entities: int) -> list[tuple[str, str]]:
    """The ``number``-th shared page's links to the pages before and after it (of ``entities`` entities' pages)."""
    total = -(-entities // PER_FILE)
    return _around(part_file(number - 1, width) if number > 1 else None,
                   part_file(number + 1, width) if number < total else None)


def _around(before: str | None, after: str | None) -> list[tuple[str, str]]:
    """A page's links to the pages before and after it in a run of pages (None: there is none)."""
    return ([(before, "Previous page")] if before else []) + ([(after, "Next page")] if after else [])


# The index of a graph of more entities than SHARED_ABOVE is paged: a page of INDEX_PER_PAGE names at a time, by
# kind, and a first page of those pages. (The third shape of data's 365,111 names on one page, 22 MB, took Chromium
# 8-9 s to load, and more than four minutes to filter.)
INDEX_PER_PAGE = 2_000


def write_index(ents: Entities, out_dir: Path, names: dict[str, str], nav: list[tuple[str, str]],
                per_page: int | None = None) -> list[Path]:
    """The index of the entity pages, by kind and name, into ``out_dir``; returns its files. ``per_page``: names to a
    page (None: all on one where there are at most SHARED_ABOVE entities, else INDEX_PER_PAGE). One page is written as
    it is made (an entry at a time, never the whole page in memory); a paged index is ``index.html``, each kind's
    pages with the first and last names on each, and the pages ``index-K-P.html`` (kind K, its page P)."""
    from drugpolicy_kg.atomic import atomic_write, write_page
    from drugpolicy_kg.pages import document, document_chunks

    by_kind: dict[str, list[str]] = {}
    acronyms = ents.acronyms()
    for iri in ents.iris:
        by_kind.setdefault(ents.tracer.kind(iri).split(":")[0], []).append(iri)
    label = ents.tracer.label
    if per_page is None and len(ents.iris) > SHARED_ABOVE:
        per_page = INDEX_PER_PAGE

    def entries(iris: list[str]):
        for i in iris:
            yield {"href": names[i], "label": label(i), "acronyms": ", ".join(acronyms.get(i, ()))}

    def in_order(iris: list[str]) -> list[str]:
        return sorted(iris, key=lambda i: natural(label(i)))

    if per_page is None:
        kinds = ({"name": kind, "count": len(iris), "entries": entries(in_order(iris))}
                 for kind, iris in sorted(by_kind.items()))
        with atomic_write(out_dir / "index.html", durable=False) as fh:
            fh.writelines(document_chunks("entities.html", "Entities", nav, scripts=("print", "filter"),
                                          count=len(ents.iris), kinds=kinds, page=None))
        return [out_dir / "index.html"]
    written, listed = [], []
    for k, (kind, iris) in enumerate(sorted(by_kind.items()), 1):
        iris = in_order(iris)
        pages = [iris[at:at + per_page] for at in range(0, len(iris), per_page)]
        files = [index_file(k, p, len(pages)) for p in range(1, len(pages) + 1)]
        listed.append({"name": kind, "count": len(iris), "pages": [
            {"href": file, "first": label(page[0]), "last": label(page[-1])} for file, page in zip(files, pages)]})
        for p, (file, page) in enumerate(zip(files, pages)):
            first, last = p * per_page + 1, p * per_page + len(page)
            around = _around(files[p - 1] if p else None, files[p + 1] if p + 1 < len(files) else None)
            text = document("entities.html", f"Entities: {kind}, {first:,}–{last:,} of {len(iris):,}",
                            [*nav, *around], scripts=("print", "filter"), count=len(ents.iris),
                            kinds=[{"name": kind, "count": len(iris), "entries": entries(page)}],
                            page={"first": first, "last": last})
            write_page(out_dir / file, text)
            written.append(out_dir / file)
    text = document("entities-pages.html", "Entities", nav, count=len(ents.iris), kinds=listed, per_page=per_page)
    write_page(out_dir / "index.html", text)
    return [out_dir / "index.html", *written]


def index_file(kind: int, page: int, pages: int) -> str:
    """The file name of a paged index's ``page``-th page (of ``pages``) of its ``kind``-th kind (both 1-based)."""
    return f"index-{kind}-{page:0{len(str(pages))}d}.html"
