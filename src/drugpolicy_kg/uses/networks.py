"""Networks derived from the graph (never hand-listed), with metrics, for researchers.

Two-mode (affiliation) networks, drawn as such, each edge one tie with its kinds and quotes:

- ``affiliations``: organizations and the bodies, meetings and publications they take part in
  (member, observer, co-lead, implementer, organizer, participant, author);
- ``resolutions``: resolutions and what their provisions bear on: the subprogrammes, bodies and
  activities their mandates call for, the actors they address, what was set up in view of them;
- ``sdgs``: subprogrammes (and other entities that state it) and the SDGs they serve.

One-mode projections, each fact counted once:

- ``collaboration``: organizations tied when they take part in the same thing. A tie is counted
  once per passage that states it: a membership and the meeting list that states it in the same
  paragraph are one tie, not two. The edge says which bodies and roles, and the passages.
- ``co-mandated``: subprogrammes tied when one resolution mandates both; weight = resolutions.

And the directed chains:

- ``mandates``: resolution -> paragraph -> mandate -> actors -> bodies and activities ->
  objectives -> SDG targets, following the same relations as :mod:`drugpolicy_kg.uses.trace`;
- ``full``: every named entity of the project's data and the SDG concepts it links to.

Every node carries ``label`` (short, for the canvas), ``name`` (in full), ``category``, ``title``
(a plain-text tooltip with the evidence) and, after :func:`add_metrics`, ``degree``,
``weighted_degree``, ``betweenness`` and ``community``. Each network's ``graph`` attributes say
what it is (``mode``), its density and communities, and ``notes`` say where a metric means little.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from sys import intern
from typing import TYPE_CHECKING

from drugpolicy_kg.resources import PREFIXES, internal_query
from drugpolicy_kg.tables import xml_safe
from drugpolicy_kg.uses import VIEW_NAMES
from drugpolicy_kg.uses.trace import DPO, FORWARD, RDF_TYPE, RDFS_LABEL, ROOT_ONLY, Evidence, Tracer, sdg_code
from drugpolicy_kg.uses.trace import natural as _natural

if TYPE_CHECKING:
    import networkx as nx
    from rdflib import Graph

DPK = PREFIXES["dpk"]
SDG = PREFIXES["sdg"]
VIEWS = VIEW_NAMES

# One colour and shape per category, the same in every view (and in the legend).
STYLE = {
    "Organization": ("#1f77b4", "dot"),
    "Unit": ("#6baed6", "dot"),
    "Body": ("#d62728", "diamond"),
    "Resolution": ("#2ca02c", "square"),
    "Paragraph": ("#98df8a", "square"),
    "Mandate": ("#ff7f0e", "triangle"),
    "Activity": ("#9467bd", "hexagon"),
    "Objective": ("#c5b0d5", "ellipse"),
    "SDG": ("#17becf", "star"),
    "Event": ("#8c564b", "triangleDown"),
    "Publication": ("#e377c2", "box"),
    "Membership": ("#bcbd22", "dot"),
    "Other": ("#7f7f7f", "dot"),
}
# Most specific first: the first class an entity has (through rdfs:subClassOf*) decides its category.
CATEGORY_OF_CLASS = [
    (DPO + "InterAgencyMechanism", "Body"),
    (PREFIXES["org"] + "OrganizationalUnit", "Unit"),
    (PREFIXES["org"] + "Post", "Unit"),
    (PREFIXES["org"] + "Organization", "Organization"),
    (DPO + "Resolution", "Resolution"),
    (DPO + "OperativeParagraph", "Paragraph"),
    (DPO + "Mandate", "Mandate"),
    (DPO + "Objective", "Objective"),
    ("http://metadata.un.org/sdg/ontology#Goal", "SDG"),
    ("http://metadata.un.org/sdg/ontology#Target", "SDG"),
    (DPO + "Event", "Event"),
    (PREFIXES["prov"] + "Activity", "Activity"),
    (PREFIXES["org"] + "Membership", "Membership"),
    (PREFIXES["bibo"] + "Document", "Publication"),
    (PREFIXES["bibo"] + "Journal", "Publication"),
    ("https://w3id.org/un/ontology/undo/Recommendation", "Publication"),
]
FACTS = [  # literal properties shown as key facts in tooltips
    (DPO + "resolutionNumber", "number"), (PREFIXES["dcterms"] + "date", "date"), (DPO + "startDate", "from"),
    (DPO + "endDate", "to"), (DPO + "foundingDate", "founded"), (DPO + "publicationDate", "published"),
    (DPO + "location", "place"), (DPO + "eventStatus", "status"), (DPO + "documentSymbol", "symbol"),
    (DPO + "meetingCadence", "meets"), (DPO + "membershipDescription", "members"), (DPO + "roleQualifier", "as"),
]
TOOLTIP_QUOTES = 1  # quotes in a tooltip, in full; the side panel and the entity page have them all


def quote_line(ev) -> str:
    """One quote, in full, with its source and locator, and marked if inferred (with the reasoning)."""
    return f"“{ev.quote}” ({ev.source}, {ev.locator})" + (f" [{ev.note()}]" if ev.inferred else "")


class Describer:
    """Labels, categories and tooltips for nodes of one graph, computed once."""

    def __init__(self, graph: Graph, tracer: Tracer | None = None):
        from drugpolicy_kg.graph.oxi import term_types

        URIRef = self._iri = term_types(graph)[0]  # noqa: N806 - the graph's own IRI type
        self.graph = graph
        self.tracer = tracer or Tracer(graph)
        self.category: dict[str, str] = {}
        for cls, cat in reversed(CATEGORY_OF_CLASS):  # most specific last, so it wins
            for sub in graph.transitive_subjects(URIRef(PREFIXES["rdfs"] + "subClassOf"), URIRef(cls)):
                for s in graph.subjects(URIRef(RDF_TYPE), sub):
                    self.category[str(s)] = cat
        self._altlabel = URIRef(PREFIXES["skos"] + "altLabel")
        self._attrs: dict[str, dict] = {}
        self._values: dict[str, dict[str, list[str]]] | None = None

    def values(self, node: str, prop: str) -> list[str]:
        """The texts of ``node``'s ``prop`` values, for the few properties a node's label and tooltip show: each
        read once for every subject (a network of 45,000 nodes asked the store 90,000 times, one node at a time)."""
        if self._values is None:
            iri = self._iri
            self._values = {}
            for q in dict.fromkeys((str(self._altlabel), DPO + "resolutionNumber", DPO + "adoptedBy",
                                    *(p for p, _ in FACTS))):
                by: dict[str, list[str]] = {}
                self._values[q] = by
                for s, o in self.graph.subject_objects(iri(q)):
                    if isinstance(s, iri):  # (a blank node's label is not an IRI's)
                        by.setdefault(str(s), []).append(str(o))
        return self._values.get(prop, {}).get(node, [])

    def acronym(self, node: str) -> str:
        alts = sorted(self.values(node, str(self._altlabel)))
        return alts[0] if alts else ""

    def short(self, node: str) -> str:
        """A short on-canvas label: the acronym, an SDG code, the head of a long "head: title" label
        ("Sect. 16, subprogramme 2"), or the label cut to 40 characters. The full name is the node's ``name``."""
        import re

        if node.startswith(SDG):
            return sdg_code(node)
        acr = self.acronym(node)
        if acr and len(acr) <= 20:
            return acr
        label = self.tracer.label(node)
        number = next(iter(self.values(node, DPO + "resolutionNumber")), "")
        if number and len(label) > 24:  # "Commission on Narcotic Drugs resolution 64/3" -> "CND 64/3"
            from drugpolicy_kg.uses.trace import ABBREVIATIONS

            bodies = self.values(node, DPO + "adoptedBy")
            issuer = next((self.acronym(b) or ABBREVIATIONS.get(self.tracer.label(b), ("",))[0] for b in bodies), "")
            return f"{issuer} res. {number}" if " " in issuer else f"{issuer or 'res.'} {number}"
        if len(label) > 40 and " is a " in label and len(label.split(" is a ", 1)[0]) <= 24:
            return label.split(" is a ", 1)[0]  # "64/3 is a legislative mandate of ..." -> "64/3"
        if len(label) > 40 and ": " in label:
            head = re.sub(r"^[A-Z]+/\d+/\d+ \((Sect\. \d+)\), ", r"\1, ", label.split(": ", 1)[0])
            if len(head) <= 40:
                return head
        return label if len(label) <= 40 else label[:39] + "…"


    def title(self, node: str) -> str:
        """A plain-text tooltip: label, type, acronym, key facts, and up to two quotes with their source."""
        lines = [self.tracer.label(node), f"type: {self.tracer.kind(node)}"]
        acronym = self.acronym(node)
        if acronym:
            lines.append(f"acronym: {acronym}")
        for prop, name in FACTS:
            given = self.values(node, prop)
            if given:
                lines.append(f"{name}: {', '.join(sorted(given))}")
        self.tracer.evidence  # noqa: B018 -- load every entity's quotes in one query, once
        evidence = self.tracer.evidence_of(node)
        lines += [quote_line(ev) for ev in evidence[:TOOLTIP_QUOTES]]
        more = len({ev.quote for ev in evidence} - {ev.quote for ev in evidence[:TOOLTIP_QUOTES]})
        if more:
            lines.append(f"(+{more} more quote{'s' if more > 1 else ''}: click the node)")
        inferred = sorted({f"{p.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}: {e.note()}"
                           for (_, p, _), items in self.tracer.facts_of(node).items() for e in items if e.inferred})
        lines += [f"[inferred] {text}" for text in inferred]
        return "\n".join(lines)

    def node_attrs(self, node: str) -> dict:
        """The node's attributes, made once however many networks draw it (a network copies them into its own)."""
        attrs = self._attrs.get(node)
        if attrs is None:
            attrs = self._attrs[node] = {"label": self.short(node), "name": self.tracer.label(node),
                                         "category": self.category.get(node, "Other"), "type": self.tracer.kind(node),
                                         "title": self.title(node), "iri": node}
        return attrs

    def add_node(self, g: nx.Graph, node: str, key: str | None = None, **extra) -> None:
        """Add the entity as a node (under ``key`` where it is drawn twice), unless it is there already."""
        if (key or node) not in g:
            g.add_node(key or node, **self.node_attrs(node), **extra)


def _passages(evidence) -> set[tuple[str, str]]:
    """The passages (source, locator) that state a fact."""
    return {(e.source_file or e.source, e.locator) for e in evidence}


def passage_texts(pairs) -> list[str]:
    """The passages ``pairs`` ((source, locator)) as a tie lists them, "source, locator", sorted, each once. Each text
    is one object however many ties list it (``sys.intern``: a passage that states thousands of ties was as many
    strings, 121,154 copies of one at a million triples of bench/synth.py)."""
    return sorted({intern(f"{src}, {loc}") for src, loc in pairs})


AS_CONTEXT = "#as-context"  # the node key of an organization drawn in the context mode too (its IRI is ``iri``)


def _groups_sharing(stated: dict[str, set]) -> list[set[str]]:
    """Keys grouped where their sets share a member, transitively (the connected components of "shares one").

    >>> sorted(map(sorted, _groups_sharing({"a": {1}, "b": {1, 2}, "c": {2}, "d": {3}})))
    [['a', 'b', 'c'], ['d']]
    """
    groups: list[tuple[set[str], set]] = []
    for key, members in stated.items():
        keys, seen = {key}, set(members)
        for g in [g for g in groups if g[1] & seen]:
            groups.remove(g)
            keys |= g[0]
            seen |= g[1]
        groups.append((keys, seen))
    return [keys for keys, _ in groups]


def relation_words(graph: Graph, predicate: str, cache: dict[str, str]) -> str:
    """A property in words: its English label, camel case split ("wasAssociatedWith" -> "was associated with")."""
    if predicate not in cache:
        from drugpolicy_kg.graph.oxi import term_types

        URIRef = term_types(graph)[0]  # noqa: N806
        labels = [str(v) for v in graph.objects(URIRef(predicate), URIRef(RDFS_LABEL))
                  if getattr(v, "language", None) in (None, "en")]
        text = sorted(labels)[0] if labels else predicate.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text).split()  # ORG's own labels: "has SubOrganization"
        cache[predicate] = " ".join(w if w.isupper() else w.lower() for w in words)
    return cache[predicate]


def _tie_title(kinds: list[str], quotes: list) -> str:
    """A tie's tooltip: its kinds and its first quote (one object per text: ties of the same kinds and first quote,
    a resolution's parts, repeat it)."""
    return intern("; ".join(kinds) + "".join("\n" + quote_line(e) for e in quotes[:1]) +
                  (f"\n(+{len(quotes) - 1} more quotes)" if len(quotes) > 1 else ""))


def affiliations(graph: Graph, describer: Describer | None = None) -> nx.Graph:
    """Organizations and the bodies, meetings and publications they take part in (two-mode): one edge per
    organization and context, with the roles and the quotes that state them.

    >>> from drugpolicy_kg.resources import Project
    >>> from drugpolicy_kg.graph.store import GraphStore
    >>> g = affiliations(GraphStore.open(Project.open()).rdflib())
    >>> g.graph["mode"], g.nodes["https://w3id.org/drugpolicy-kg/id/itwg"]["bipartite"]
    ('two-mode', 1)
    """
    import networkx as nx

    d = describer or Describer(graph)
    g = nx.Graph(name="affiliations", mode="two-mode", modes="organizations | what they take part in")
    rows = sorted(graph.query(internal_query("collaboration-roles.rq")))
    # An organization that others take part in, and that itself takes part in something (the ISN: UNODC and WHO
    # implement it, and it authors statements), is drawn once in each mode, so no tie joins two of one kind.
    both = {str(r[0]) for r in rows} & {str(r[1]) for r in rows}
    for org, context, role, s, p in rows:
        org, context, role = str(org), str(context), intern(str(role))  # (a role is one of a few words, on every tie)
        d.add_node(g, org, bipartite=0)
        key = context + AS_CONTEXT if context in both else context
        if key not in g:
            d.add_node(g, context, key=key, bipartite=1)
            if key != context:
                g.nodes[key]["name"] += " (as what others take part in)"
        quotes = d.tracer.hop_evidence(str(s), str(p), org)
        if g.has_edge(org, key):
            tie = g[org][key]
            tie["roles"] = sorted(set(tie["roles"]) | {role})
            tie["quotes"] += [e for e in quotes if e not in tie["quotes"]]
        else:
            g.add_edge(org, key, roles=[role], quotes=list(quotes), weight=1)
    if both:
        g.graph["notes"] = ["Drawn once in each mode, as it both takes part and is taken part in: "
                            + "; ".join(sorted(d.tracer.label(n) for n in both)) + "."]
    for _, _, tie in g.edges(data=True):
        tie["label"] = intern("/".join(tie["roles"]))
        tie["kinds"] = tie["roles"]
        tie["title"] = _tie_title(tie["roles"], tie["quotes"])
        tie["passages"] = passage_texts(_passages(tie["quotes"]))
    return g


LARGE_GROUP = 30  # organizations in a context beyond which co-membership alone ties no pair (see collaboration)


def collaboration(graph: Graph, describer: Describer | None = None, two_mode: nx.Graph | None = None) -> nx.Graph:
    """Organizations tied when they take part in the same body, meeting or publication (the one-mode projection
    of :func:`affiliations`), every organization of the two-mode view drawn, tied or not.

    What every one of three or more organizations takes part in ties two of them only where both hold the same role
    in it that most do not (two co-leads of a body all are members of): otherwise it would tie each to each (the
    projection of one list is a complete graph, which says nothing of who works with whom). So does a body, meeting
    or list of more than ``LARGE_GROUP`` organizations: being two of its many members says little of working
    together, and its pairs would outnumber every other tie (a body of 1,060 members alone makes 561,270). The
    graph's notes name what is so left out, and the two-mode view draws it.

    A tie is counted once per passage that states it: where the ties of two organizations to two contexts are
    stated by the same passage (a membership and the meeting list of the same paragraph), they are one tie.
    ``weight`` is the number of ties so counted; ``contexts``, ``roles`` and ``passages`` say which.

    >>> from drugpolicy_kg.resources import Project
    >>> from drugpolicy_kg.graph.store import GraphStore
    >>> g = collaboration(GraphStore.open(Project.open()).rdflib())
    >>> g.has_edge("https://w3id.org/drugpolicy-kg/id/org-unodc", "https://w3id.org/drugpolicy-kg/id/org-who")
    True
    """
    from collections import Counter

    import networkx as nx

    d = describer or Describer(graph)
    two = two_mode if two_mode is not None else affiliations(graph, d)
    g = nx.Graph(name="collaboration", mode="one-mode", modes="organizations")
    contexts = [c for c, b in two.nodes(data="bipartite") if b == 1]
    tied = {o for c in contexts if len(two[c]) > 1 for o in two[c]}  # organizations that share anything with another
    everyone = sorted(c for c in contexts if len(tied) > 2 and tied <= set(two[c]))
    large = sorted(c for c in contexts if len(two[c]) > LARGE_GROUP and c not in everyone)
    usual = {c: Counter("/".join(two[c][o]["roles"]) for o in two[c]).most_common(1)[0][0] for c in everyone + large}

    # The pairs each context ties (see above), gathered context by context: the pairs of organizations that share
    # nothing are never looked at (2,400 organizations make 2.9 million pairs)
    tied_by: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in contexts:
        members = sorted(two[c])
        if c in usual:  # only those of one role that is not the usual one, with each other
            same: dict[tuple, list[str]] = defaultdict(list)
            for o in members:
                if "/".join(two[c][o]["roles"]) != usual[c]:
                    same[tuple(two[c][o]["roles"])].append(o)
            groups = list(same.values())
        else:
            groups = [members]
        for group in groups:
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    tied_by[a, b].append(c)
    for o in sorted(tied):
        d.add_node(g, o)
    for a, b in sorted(tied_by):
        shared = sorted(tied_by[a, b])
        # One tie per group of contexts whose statements share a passage.
        stated = {c: _passages(two[a][c]["quotes"]) | _passages(two[b][c]["quotes"]) or {("", c)} for c in shared}
        groups = _groups_sharing(stated)
        ctx = [two.nodes[c]["name"] for c in shared]
        roles = [intern(f"{two.nodes[c]['name']}: {'/'.join(two[a][c]['roles'])} – {'/'.join(two[b][c]['roles'])}")
                 for c in shared]  # (one object per text: a context's roles repeat over its members' pairs)
        passages = passage_texts(pair for c in shared for pair in stated[c] if pair[0])
        quotes = []
        for c in shared:
            for e in two[a][c]["quotes"] + two[b][c]["quotes"]:
                if e not in quotes:
                    quotes.append(e)
        # the pairs of one group share their label and tooltip, one object each (88,040 copies of a few thousand
        # tooltips, 38 MB, at a million triples of bench/synth.py)
        title = f"{len(groups)} tie{'s' if len(groups) > 1 else ''} (each stated once): " + "; ".join(roles)
        g.add_edge(a, b, weight=len(groups), label=intern(", ".join(two.nodes[c]["label"] for c in shared)),
                   contexts=ctx, roles=roles, kinds=roles, passages=passages, quotes=quotes,
                   title=intern(title + "".join("\n" + quote_line(e) for e in quotes[:1])))
    notes = []
    if everyone:
        names = "; ".join(f"{two.nodes[c]['name']} (most as {usual[c]})"
                          for c in sorted(everyone, key=lambda c: two.nodes[c]["name"]))
        notes.append(f"All {len(tied)} organizations take part in: {names}. These tie two organizations only where "
                     "both hold the same other role there (two co-leads, two organizers): else each would be "
                     "tied to each, a complete graph that says nothing of who works with whom. The affiliations "
                     "view draws them; an organization with no other tie is drawn alone.")
    if large:
        biggest = sorted(large, key=lambda c: (-len(two[c]), two.nodes[c]["name"]))
        names = "; ".join(f"{two.nodes[c]['name']} ({len(two[c])}, most as {usual[c]})" for c in biggest[:5])
        notes.append(f"{len(large)} bodies, meetings or lists of more than {LARGE_GROUP} organizations tie two of them "
                     "only where both hold the same other role there: being two of many members says little of "
                     f"working together. The largest: {names}{'; ...' if len(large) > 5 else ''}. The affiliations "
                     "view draws them.")
    if notes:
        g.graph["notes"] = notes
    g.graph["why_complete"] = _why_complete(g, two, d, "organizations", "take part in")
    return g


def _why_complete(g: nx.Graph, two: nx.Graph, d: Describer, whom: str, verb: str) -> str:
    """Where a projection is complete, the two-mode nodes that tie all its nodes at once, in words (from the data)."""
    nodes = set(g)
    covering = sorted(d.tracer.label(two.nodes[c]["iri"]) for c in two if c not in nodes and nodes <= set(two[c]))
    if len(nodes) < 2 or not covering:
        return ""
    return (f"all {len(nodes)} {whom} {verb} {'; '.join(covering)}, and the one-mode projection of one shared list "
            "is complete. The two-mode view shows who is tied to what.")


def resolutions(graph: Graph, describer: Describer | None = None) -> nx.Graph:
    """Resolutions and what their provisions bear on (two-mode): the subprogrammes, bodies and activities their
    mandates call for, the actors they address or name as partners, and what was set up in view of them. Each edge
    is one resolution and one target, with the kinds of tie (a provision's own verb) and their quotes."""
    import networkx as nx

    d = describer or Describer(graph)
    g = nx.Graph(name="resolutions", mode="two-mode", modes="resolutions | what they bear on")
    for res, target, kind, s, p, o in sorted(graph.query(internal_query("resolution-ties.rq"))):
        res, target, kind, s = str(res), str(target), str(kind), str(s)
        if kind == "addresses":  # read with the provision's verb: "encourages (addresses)"
            verbs = d.tracer.verbs(s)
            kind = f"{'/'.join(verbs)} (addresses)" if verbs else kind
        kind = intern(kind)  # (one of a few words, on every tie)
        d.add_node(g, res, bipartite=0)
        d.add_node(g, target, bipartite=1)
        quotes = d.tracer.hop_evidence(s, str(p), str(o))
        if g.has_edge(res, target):
            tie = g[res][target]
            tie["kinds"] = sorted(set(tie["kinds"]) | {kind})
            tie["provisions"] = sorted(set(tie["provisions"]) | {s})
            tie["quotes"] += [e for e in quotes if e not in tie["quotes"]]
        else:
            g.add_edge(res, target, kinds=[kind], provisions=[s], quotes=list(quotes))
    for _, _, tie in g.edges(data=True):
        # a mandate's tie: the provision directs action (a dpo:Mandate) and calls for the target or addresses it
        tie["mandates"] = any(d.tracer.kind(p).startswith("mandate") for p in tie["provisions"]) and any(
            k == "calls for" or k.endswith("(addresses)") for k in tie["kinds"])
        tie["weight"] = len(tie["provisions"])
        label = ", ".join(tie["kinds"])
        if tie["quotes"] and all(e.inferred for e in tie["quotes"]):
            label += " [inferred]"
        tie["label"] = intern(label)
        tie["title"] = _tie_title(tie["kinds"], tie["quotes"])
        tie["passages"] = passage_texts(_passages(tie["quotes"]))
    return g


def co_mandated(graph: Graph, describer: Describer | None = None, two_mode: nx.Graph | None = None) -> nx.Graph:
    """Subprogrammes and other targets tied when one resolution mandates both (the one-mode projection of
    :func:`resolutions` onto its targets, through the ties of mandates only: a provision that recognizes, names a
    partner or in view of which something was set up mandates nothing); weight = the resolutions they share."""
    import networkx as nx

    d = describer or Describer(graph)
    two = two_mode if two_mode is not None else resolutions(graph, d)
    g = nx.Graph(name="co-mandated", mode="one-mode", modes="what resolutions bear on")
    # only ties of a mandate count: a resolution that recognizes one body and names another as partner mandates neither
    by_target = {n: {r for r in two[n] if two[r][n].get("mandates")} for n, b in two.nodes(data="bipartite") if b == 1}
    by_resolution: dict[str, list[str]] = defaultdict(list)
    for n in sorted(by_target):
        for r in by_target[n]:
            by_resolution[r].append(n)
    # a resolution that mandates more than LARGE_GROUP things ties no two of them (as a body of many members ties no
    # two members in the collaboration view): being two of its many targets says little, and its pairs would
    # outnumber every other tie (one resolution of 479 targets makes 114,481)
    large = sorted(r for r, ts in by_resolution.items() if len(ts) > LARGE_GROUP)
    shared_by: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r, ts in by_resolution.items():  # (pairs gathered resolution by resolution: those that share none never looked at)
        if len(ts) <= LARGE_GROUP:
            for i, a in enumerate(ts):
                for b in ts[i + 1:]:
                    shared_by[a, b].append(r)
    for a, b in sorted(shared_by):
        shared = sorted(shared_by[a, b])
        d.add_node(g, a)
        d.add_node(g, b)
        names = sorted((d.short(r) for r in shared), key=_natural)
        # what supports the tie: the quotes of the two mandates it is derived from, for each shared resolution
        quotes = list({ev.key: ev for r in shared for end in (a, b) for ev in two[r][end].get("quotes", [])}.values())
        g.add_edge(a, b, weight=len(shared), label=intern(f"{len(shared)} resolution{'s' if len(shared) > 1 else ''}"),
                   kinds=["mandated by the same resolution"], resolutions=names, quotes=quotes,
                   title=intern(f"{len(shared)} resolution{'s' if len(shared) > 1 else ''} mandate both: "
                                + ", ".join(names[:30]) + (f" and {len(names) - 30} more" if len(names) > 30 else "")))
    if large:
        biggest = sorted(large, key=lambda r: (-len(by_resolution[r]), two.nodes[r]["name"]))
        names = "; ".join(f"{two.nodes[r]['name']} ({len(by_resolution[r])})" for r in biggest[:5])
        many = len(large) > 1
        g.graph["notes"] = [f"{len(large)} resolution{'s' if many else ''} that mandate{'' if many else 's'} more than "
                            f"{LARGE_GROUP} things tie{'' if many else 's'} none of them here: being two of many things "
                            f"one resolution mandates says little. {'The largest' if many else 'It'}: {names}"
                            f"{'; ...' if len(large) > 5 else ''}. The resolutions view draws them."]
    g.graph["why_complete"] = _why_complete(g, two, d, "of them", "are mandated by")
    return g


def sdgs(graph: Graph, describer: Describer | None = None) -> nx.Graph:
    """Subprogrammes (and the other entities that state it) and the SDGs they serve (two-mode), each edge with the
    quote that states it; targets are drawn as themselves, not folded into goals."""
    import networkx as nx

    d = describer or Describer(graph)
    URIRef = d._iri  # noqa: N806
    g = nx.Graph(name="sdgs", mode="two-mode", modes="what serves | SDG goals and targets")
    serves = DPO + "serves"
    for s, o in sorted(graph.subject_objects(URIRef(serves))):
        s, o = str(s), str(o)
        if not o.startswith(SDG):
            continue
        d.add_node(g, s, bipartite=0)
        d.add_node(g, o, bipartite=1)
        quotes = d.tracer.hop_evidence(s, serves, o)
        label = "serves" + (" [inferred]" if quotes and all(e.inferred for e in quotes) else "")
        g.add_edge(s, o, weight=1, kinds=[label], label=label, quotes=quotes, title=_tie_title([label], quotes),
                   passages=passage_texts(_passages(quotes)))
    return g


def sdg_matrix(graph: Graph, describer: Describer | None = None) -> tuple[list[str], list[str], list[list[int]]]:
    """Subprogramme x goal: how many of its stated SDG links fall under each goal (a target counts for its goal).
    Returns the row names, the 17 goal numbers, and the counts. Every ``dpo:Programme`` is a row, in the natural
    order of their names, so a subprogramme that states no SDG shows as an empty row, not as nothing."""
    d = describer or Describer(graph)
    URIRef = d._iri  # noqa: N806
    programmes = {str(p) for p in graph.subjects(URIRef(RDF_TYPE), URIRef(DPO + "Programme"))}
    counts: dict[str, dict[str, int]] = {d.short(p): defaultdict(int) for p in programmes}
    for s, o in graph.subject_objects(URIRef(DPO + "serves")):
        s, o = str(s), str(o)
        if s in programmes and o.startswith(SDG):
            counts[d.short(s)][o[len(SDG):].split(".", 1)[0]] += 1
    rows = sorted(counts, key=_natural)
    goals = [str(n) for n in range(1, 18)]
    return rows, goals, [[counts[r].get(goal, 0) for goal in goals] for r in rows]


def mandates(graph: Graph, describer: Describer | None = None) -> nx.DiGraph:
    """Resolutions to SDG targets, hop by hop, with the relation on each edge."""
    import networkx as nx

    d = describer or Describer(graph)
    URIRef = d._iri  # noqa: N806
    g = nx.DiGraph(name="mandates", mode="directed", modes="resolution to SDG, hop by hop")
    # One query per relation, then a breadth-first walk in Python: per-node lookups cost too much at scale.
    nexts_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    chain = [e for e in FORWARD if e[0] not in ROOT_ONLY]  # the mandate chain; who adopted what is not a step of it
    for pred, way, _ in chain:
        for s, o in graph.query(f"SELECT ?s ?o WHERE {{ ?s <{pred}> ?o FILTER(isIRI(?s) && isIRI(?o)) }}"):
            a, b = (str(s), str(o)) if way == "out" else (str(o), str(s))
            nexts_of[(a, pred)].append(b)
    starts = sorted(str(r) for r in graph.subjects(URIRef(RDF_TYPE), URIRef(DPO + "Resolution")))
    todo, seen = deque(starts), set()
    while todo:
        node = todo.popleft()
        if node in seen:
            continue
        seen.add(node)
        d.add_node(g, node)
        for pred, way, reads in chain:
            for nxt in sorted(set(nexts_of.get((node, pred), ()))):
                d.add_node(g, nxt)
                s, o = (node, nxt) if way == "out" else (nxt, node)
                quotes = d.tracer.hop_evidence(s, pred, o)
                reads = d.tracer.reading(pred, reads, s)
                if quotes and all(e.inferred for e in quotes):
                    reads += " [inferred]"
                # one object per text: the same reading and first quote stand on many ties (a resolution's parts)
                reads = intern(reads)
                title = intern(reads + "".join("\n" + quote_line(e) for e in quotes[:1]))
                if g.has_edge(node, nxt):  # two relations between the same pair: one edge, both names
                    g[node][nxt]["label"] = intern(g[node][nxt]["label"] + ", " + reads)
                    g[node][nxt]["title"] = intern(g[node][nxt]["title"] + "\n" + title)
                    g[node][nxt]["kinds"].append(reads)
                    g[node][nxt]["quotes"].extend(quotes)
                else:  # (the quotes that state the edge go to the exports too)
                    g.add_edge(node, nxt, label=reads, relation=reads, title=title, weight=1, kinds=[reads],
                               quotes=list(quotes))
                todo.append(nxt)
    return g


def full(graph: Graph, describer: Describer | None = None) -> nx.DiGraph:
    """Every named entity of the data (and the SDG concepts it links to); edges are their IRI-valued properties."""
    import networkx as nx

    from drugpolicy_kg.graph.oxi import AN_IRI, predicate_values

    d = describer or Describer(graph)
    URIRef = d._iri  # noqa: N806
    g = nx.DiGraph(name="full", mode="directed", modes="every named entity")
    named = {str(s) for s in graph.subjects(URIRef(RDFS_LABEL), None) if str(s).startswith(DPK)}
    skip = {DPO + "states", DPO + "mandates"}
    words: dict[str, str] = {}
    edges = []
    for s in sorted(named):
        for p, o, what, _ in predicate_values(graph, s):  # (as text: no term made for each of a million values)
            if what != AN_IRI or p in skip:
                continue
            if o in named or (o.startswith(SDG) and d.category.get(o) == "SDG"):
                edges.append((s, o, p))
    for s in sorted(named):
        d.add_node(g, s)
    for s, o, p in edges:
        d.add_node(g, o)
        name = relation_words(graph, p, words)  # "was associated with", not the local name "wasAssociatedWith"
        quotes = d.tracer.evidence.get(s, {}).get((s, p, o), [])
        if quotes and all(e.inferred for e in quotes):
            name += " [inferred]"
        name = intern(name)  # (one object per text: a few relations' words, on every tie)
        if g.has_edge(s, o):
            g[s][o]["label"] = intern(g[s][o]["label"] + ", " + name)
            g[s][o]["kinds"].append(name)
            g[s][o]["quotes"].extend(quotes)
            g[s][o]["title"] = _tie_title(g[s][o]["kinds"], g[s][o]["quotes"])
        else:
            g.add_edge(s, o, label=name, relation=name, title=_tie_title([name], quotes), weight=1, kinds=[name],
                       quotes=list(quotes))
    return g


BUILDERS = {"affiliations": affiliations, "collaboration": collaboration, "resolutions": resolutions,
            "co-mandated": co_mandated, "sdgs": sdgs, "mandates": mandates, "full": full}
PROJECTION_OF = {"collaboration": "affiliations", "co-mandated": "resolutions"}


EXACT_BETWEENNESS_LIMIT = 500
BETWEENNESS_SAMPLE = 64


def undirected(g: nx.Graph) -> nx.Graph:
    """``g`` itself if undirected, else its ties as an undirected graph for the metrics and the layout: the nodes in
    ``g``'s order, no attribute but each tie's weight, the later one's for a tie both ways, as ``to_undirected()``
    merges them. That deep-copies every attribute (the quotes too): 2-4 s of `views`.

    >>> import networkx as nx
    >>> g = nx.DiGraph([("a", "b", {"weight": 2, "quotes": ["q"]}), ("b", "a", {"weight": 3}), ("b", "c", {})])
    >>> sorted(undirected(g).edges(data=True))
    [('a', 'b', {'weight': 3}), ('b', 'c', {})]
    """
    import networkx as nx

    if not g.is_directed():
        return g
    out = nx.Graph()
    out.add_nodes_from(g)
    for a, ties in g.adjacency():
        for b, data in ties.items():
            if "weight" in data:
                out.add_edge(a, b, weight=data["weight"])
            else:
                out.add_edge(a, b)
    return out


BETWEENNESS_CELLS = 1_000_000  # the numbers an array of :func:`betweenness` holds at most (a block of sources)


def betweenness(g: nx.Graph, k: int | None = None, seed: int = 42) -> dict:
    """Normalized betweenness of an undirected graph, as networkx's ``betweenness_centrality(g, k, seed=seed)``
    computes it (the same sources sampled, the same counting and scaling: equal to it within rounding, tested), but
    breadth first from many sources at once in sparse matrices: on the shipped views' seven networks, 0.11 s where
    networkx took 2.35 s.

    Paths are counted level by level (the paths to a node are the sum of those to its neighbours a level nearer the
    source) and the dependencies summed back the same way (Brandes' accumulation), for a block of sources at a time.
    """
    import random

    import numpy as np
    import scipy.sparse as sp

    nodes = list(g)
    n = len(nodes)
    out = dict.fromkeys(nodes, 0.0)
    if n < 3:
        return out
    sampled = k is not None and k != n
    sources = random.Random(seed).sample(nodes, k) if sampled else nodes  # noqa: S311 - networkx's sample, not a secret
    at = {v: i for i, v in enumerate(nodes)}
    pairs = [(at[a], at[b]) for a, b in g.edges() if a != b]  # a tie to itself is on no shortest path
    # Only the nodes with a tie are counted: a node with none is on no path, and a path from it reaches nothing (the
    # whole-graph network of a million triples of thin entities: 171,134 nodes, most of them alone). Numbered in
    # g's order still, so each row of the products sums the same values in the same order.
    tied = sorted({i for pair in pairs for i in pair})
    index = dict(zip(tied, range(len(tied))))
    rows = [index[i] for i, j in pairs] + [index[j] for i, j in pairs]
    cols = rows[len(pairs):] + rows[:len(pairs)]
    size = len(tied)
    adj = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
    adj.data[:] = 1.0  # (a tie stated twice is one tie)
    total = np.zeros(n)
    starts = [index[at[v]] for v in sources if at[v] in index]
    block = max(1, min(len(starts), BETWEENNESS_CELLS // max(size, 1)))  # sources at a time: (size, block) arrays
    # The (size, block) arrays are few and written over in place; each holds at most BETWEENNESS_CELLS numbers (8 MB):
    # at 32 MB, a dozen of them at once were 215 MB of the command's process for a moment (the whole-graph network
    # above). The same operations on the same values, so the same bits: where(mask, x, 0.0) is x with 0.0 written
    # where the mask is not.
    for start in range(0, len(starts), block):
        src = np.array(starts[start:start + block])
        cols_b = np.arange(len(src))
        dist = np.full((size, len(src)), -1, dtype=np.int32)  # (a level is at most n)
        sigma = np.zeros((size, len(src)))
        dist[src, cols_b], sigma[src, cols_b] = 0, 1.0
        frontier, level = sigma.copy(), 0
        while True:
            reach = adj @ frontier
            new = (reach > 0) & (dist < 0)
            if not new.any():
                break
            level += 1
            dist[new], sigma[new] = level, reach[new]
            np.logical_not(new, out=new)
            reach[new] = 0.0
            frontier = reach
        del frontier, reach, new
        delta = np.zeros_like(sigma)
        safe = np.where(sigma > 0, sigma, 1.0)
        coeff = np.empty_like(sigma)
        for lvl in range(level, 0, -1):
            np.add(1.0, delta, out=coeff)
            np.divide(coeff, safe, out=coeff)
            coeff[dist != lvl] = 0.0
            back = adj @ coeff
            np.multiply(sigma, back, out=back)
            back[dist != lvl - 1] = 0.0
            delta += back
            del back
        del coeff, safe, sigma
        delta[dist <= 0] = 0.0
        total[tied] += delta.sum(axis=1)
        del delta, dist
    pairs_n = n - 1  # the (s, t) pairs a path through v can join, v not an end (networkx's rescaling)
    if sampled:
        chosen = {at[v] for v in sources}
        on_source = 1 / ((k - 1) * (pairs_n - 1)) if k > 1 else float("nan")
        elsewhere = 1 / (k * (pairs_n - 1))
        return {v: float(total[i]) * (on_source if i in chosen else elsewhere) for i, v in enumerate(nodes)}
    scale = 1 / (pairs_n * (pairs_n - 1))
    return {v: float(total[i]) * scale for i, v in enumerate(nodes)}


def louvain_communities(g: nx.Graph, seed: int = 42, threshold: float = 0.0000001) -> list[set]:
    """The communities ``networkx.community.louvain_communities(g, weight="weight", seed=seed)`` finds in an
    undirected graph (resolution 1), found the same way in about half its time (tested to agree on every network the
    views draw and on random ones).

    The same steps, in the same order, with the same arithmetic: the graph copied edge by edge as networkx copies it
    (so each node's neighbours come in the same order), the nodes shuffled by ``random.Random(seed)`` at each level,
    each node's move weighed against its neighbours' communities in the order networkx meets them (the first of
    equal gains wins), the modularity between levels summed as networkx sums it. What differs is the bookkeeping:
    nodes are numbers and communities lists, not networkx graphs (a level's graph was built through ``add_edge``,
    a node's neighbour weights through a function call and a defaultdict, the modularity through edge views)."""
    import random

    import networkx as nx

    nodes = list(g)
    if g.is_directed() or g.is_multigraph():  # (the views' metrics ask for undirected graphs only)
        return nx.community.louvain_communities(g, weight="weight", seed=seed, threshold=threshold)
    if g.number_of_edges() == 0:
        return [{u} for u in nodes]
    at = {u: i for i, u in enumerate(nodes)}
    rng = random.Random(seed)  # noqa: S311 - networkx's own generator, for its shuffles: no secret here
    # the copy networkx makes (add_weighted_edges_from over g's edges, default weight 1): neighbours in edge order
    adj: list[dict] = [{} for _ in nodes]
    for u, v, w in g.edges(data="weight", default=1):
        a, b = at[u], at[v]
        adj[a][b] = w
        adj[b][a] = w
    degrees = [_weighted_degree(adj, i) for i in range(len(nodes))]
    m = sum(degrees) / 2
    # the modularity of the singletons, which networkx takes with g's own degrees (summed in g's order of neighbours;
    # a singleton's inside is its tie to itself, the same weight in the copy)
    mod = _modularity([d for _, d in g.degree(weight="weight")], [(i,) for i in range(len(nodes))], adj)
    # (each level's partition is made once its moves are done, a set of g's nodes per community: networkx's is a
    # set per node from the start, moved node by node, and copied at each level; at a million triples of thin
    # entities, three sets for each of the whole-graph network's 171,134 nodes, most of them alone, had made the
    # communities take 230 MB more of the command's process for a moment)
    partition, inner, _ = _one_level(adj, degrees, m, nodes, None, rng)
    while True:
        new_mod = _modularity(degrees, inner, adj)
        if new_mod - mod <= threshold:
            return partition
        mod = new_mod
        adj = _next_level(adj, inner)
        degrees = [_weighted_degree(adj, i) for i in range(len(adj))]
        following, inner, improvement = _one_level(adj, degrees, m, None, partition, rng)
        if not improvement:
            return partition
        partition = following


def _weighted_degree(adj: list[dict], i: int):
    """networkx's weighted degree: the weights in neighbour order, a self-loop's once more at the end."""
    nbrs = adj[i]
    return sum(nbrs.values()) + (i in nbrs and nbrs[i])


def _modularity(degrees: list, communities: list, adj: list[dict]) -> float:
    """networkx's ``modularity`` (undirected, resolution 1), summed in its order: per community, the weights of the
    ties inside it (each once), then its degrees."""
    deg_sum = sum(degrees)
    m = deg_sum / 2
    norm = 1 / deg_sum**2

    def contribution(community):
        comm = set(community)
        inside, seen = 0, set()
        for u in comm:
            for v, w in adj[u].items():
                if v not in seen and v in comm:
                    inside += w
            seen.add(u)
        degree_sum = sum(degrees[u] for u in comm)
        return inside / m - degree_sum * degree_sum * norm

    return sum(map(contribution, communities))


def _one_level(adj: list[dict], degrees: list, m: float, nodes: list | None, members: list[set] | None, rng):
    """One level of Louvain's moves: networkx's ``_one_level`` (undirected, resolution 1) on numbered nodes. The
    level's node ``u`` stands for ``nodes[u]`` (the first level) or for the set ``members[u]`` of g's nodes (a later
    one). Returns the partition of g's nodes, the level's nodes in each community (lists), in the order of the
    communities' numbers (networkx's), and whether a node moved."""
    n = len(adj)
    node2com = list(range(n))
    stot = list(degrees)
    nbrs = [{v: w for v, w in ties.items() if v != u} if u in ties else ties for u, ties in enumerate(adj)]  # (read only)
    order = list(range(n))
    rng.shuffle(order)
    denominator = 2 * m**2
    moves, improvement = 1, False
    while moves > 0:
        moves = 0
        for u in order:
            if not nbrs[u]:  # (a node with no tie stays where it is, its own community: no gain is above 0)
                continue
            best_mod = 0
            best_com = own = node2com[u]
            weights: dict = {}
            for v, w in nbrs[u].items():
                c = node2com[v]
                weights[c] = weights.get(c, 0.0) + w
            if own not in weights:  # (networkx reads it from a defaultdict: it joins the end of the list at 0.0)
                weights[own] = 0.0
            degree = degrees[u]
            stot[own] -= degree
            remove_cost = -weights[own] / m + (stot[own] * degree) / denominator
            for c, w in weights.items():
                gain = remove_cost + w / m - (stot[c] * degree) / denominator
                if gain > best_mod:
                    best_mod = gain
                    best_com = c
            stot[best_com] += degree
            if best_com != own:
                improvement = True
                moves += 1
                node2com[u] = best_com
    inner: dict[int, list[int]] = {}
    for u in range(n):
        inner.setdefault(node2com[u], []).append(u)
    communities = [inner[c] for c in sorted(inner)]
    partition = []
    for level_nodes in communities:
        if nodes is not None:
            partition.append({nodes[u] for u in level_nodes})
        else:
            part: set = set()
            for u in level_nodes:
                part.update(members[u])
            partition.append(part)
    return partition, communities, improvement


def _next_level(adj: list[dict], inner: list[list[int]]) -> list[dict]:
    """networkx's ``_gen_graph``: a node per community (``inner``: each community's nodes of the level), the ties
    between communities summed in the order networkx adds them (the edges of the level, node by node, each once)."""
    com_of = [0] * len(adj)
    for i, part in enumerate(inner):
        for u in part:
            com_of[u] = i
    out: list[dict] = [{} for _ in inner]
    seen = set()
    for u in range(len(adj)):
        for v, w in adj[u].items():
            if v in seen:
                continue
            a, b = com_of[u], com_of[v]
            total = w + out[a].get(b, 0)
            out[a][b] = total
            out[b][a] = total
        seen.add(u)
    return out


def add_metrics(g: nx.Graph, seed: int = 42) -> None:
    """Degree, weighted degree, betweenness and Louvain community (seeded), as node attributes; the network's
    density and number of communities as graph attributes, and ``metric_notes`` where a metric means little.

    Betweenness is exact up to 500 nodes; above, it is estimated from 64 sampled sources (seeded):
    exact betweenness is cubic and does not finish at benchmark scale.

    >>> import networkx as nx
    >>> g = nx.complete_graph(4)
    >>> add_metrics(g)
    >>> g.graph["density"], g.graph["communities"], g.graph["metric_notes"][0][:24]
    (1.0, 1, 'Every node is tied to ev')
    """
    import networkx as nx

    und = undirected(g)
    sample = BETWEENNESS_SAMPLE if len(und) > EXACT_BETWEENNESS_LIMIT else None
    between = betweenness(und, k=sample, seed=seed)
    communities = louvain_communities(und, seed=seed) if len(und) else []
    ranked = sorted(communities, key=lambda c: (-len(c), min(map(str, c))))
    community_of = {n: i for i, members in enumerate(ranked) for n in members}
    for n in g.nodes:
        g.nodes[n]["degree"] = und.degree(n)
        g.nodes[n]["weighted_degree"] = und.degree(n, weight="weight")
        g.nodes[n]["betweenness"] = round(between.get(n, 0.0), 6)
        g.nodes[n]["community"] = community_of.get(n, -1)
    density = round(nx.density(und), 4) if len(und) > 1 else 0.0
    notes = []
    if len(und) > 1 and density == 1.0:  # a complete graph has no community structure: one community, not a split
        ranked = [set(und)]
        for n in g.nodes:
            g.nodes[n]["community"] = 0
        why = g.graph.get("why_complete") or "the data put them all on one list."
        notes.append("Every node is tied to every other (density 1.0), so betweenness is 0 for all and there is one "
                     f"community: {why} Weights and the kinds of tie on the edges are what differ.")
    if g.graph.get("mode") == "two-mode":
        notes.append("A two-mode network: edges join the two kinds only, never two of one kind. Degree counts the "
                     "other kind's nodes; betweenness here measures brokerage across the two modes, and communities "
                     "group both kinds together.")
    if sample:
        notes.append(f"Betweenness is estimated from {sample} sampled sources (seeded): the network has "
                     f"{len(und):,} nodes.")
    g.graph.update(density=density, communities=len(ranked), metric_notes=notes)


def notes_of(g: nx.Graph) -> list[str]:
    """What a reader should know about a network: what its data make of it, then what its metrics mean."""
    return list(g.graph.get("notes", [])) + list(g.graph.get("metric_notes", []))


def unique_labels(g: nx.Graph) -> int:
    """Give every node a drawn label no other node of the network has; return how many were changed.

    Nodes that share a short label are told apart, in this order, by their kind ("ISN (network)", the one entity
    drawn in both modes of a two-mode network), by the start and end of their full name ("A/80/6 (Sect. 16), su…para.
    16.23 (a)": a cut label keeps the end that differs), and last by a number."""
    changed = 0
    for _round in range(4):
        groups: dict[str, list] = defaultdict(list)
        for n, data in g.nodes(data=True):
            groups[data.get("label", str(n))].append(n)
        clashes = {label: nodes for label, nodes in groups.items() if len(nodes) > 1}
        if not clashes:
            return changed
        taken = set(groups)
        for label, nodes in sorted(clashes.items()):
            kinds = {g.nodes[n].get("category", "") for n in nodes}
            for i, n in enumerate(sorted(nodes, key=str)):
                name = str(g.nodes[n].get("name") or label)
                if _round == 0 and len(kinds) == len(nodes):
                    new = f"{label} ({g.nodes[n].get('category', '').lower()})"
                elif _round <= 1 and len(name) > 40:
                    new = f"{name[:16]}…{name[-(23 - 1):]}"
                elif _round <= 1:
                    new = name
                else:
                    new = f"{label} ·{i + 1}"
                if new not in taken:
                    g.nodes[n]["label"] = new
                    taken.add(new)
                    changed += 1
    return changed


def build_networks(graph: Graph, views=VIEWS, tracer: Tracer | None = None, settle=None) -> dict[str, nx.Graph]:
    """Build the named views with metrics (a projection reuses its two-mode network when both are asked for); no two
    nodes of a network share a drawn label. ``tracer``: one over ``graph`` to share (its labels and quotes, read
    once for the networks and the pages). ``settle``: called after each network is built (the views collect what
    building it left)."""
    d = Describer(graph, tracer)
    out: dict[str, nx.Graph] = {}
    made: dict[str, nx.Graph] = {}
    for name in views:
        if name in PROJECTION_OF:
            base = PROJECTION_OF[name]
            if base not in made:
                made[base] = BUILDERS[base](graph, d)
            g = BUILDERS[name](graph, d, made[base])
        else:
            g = made[name] = made.get(name) or BUILDERS[name](graph, d)
        unique_labels(g)
        add_metrics(g)
        out[name] = g
        if settle is not None:
            settle()
    return out


def flat_value(v):
    """A value as the exports write it (see :func:`flat_copy`), or None where they leave it out."""
    if isinstance(v, (list, tuple, set)):
        items = list(v)
        if items and all(isinstance(x, Evidence) for x in items):
            return xml_safe(" | ".join(quote_line(x) for x in items))
        return xml_safe("; ".join(map(str, items)))
    if isinstance(v, str):
        return xml_safe(v)
    return v  # (a number or a boolean, as it is; None: left out)


def flat_data(data: dict) -> dict:
    """An edge's (or any item's) attributes as the exports write them."""
    out = {}
    for k, v in data.items():
        if (f := flat_value(v)) is not None:
            out[k] = f
    return out


def _as_node(data: dict) -> dict:
    """A node's attributes with its full name as ``label``, the canvas's short label as ``short_label``."""
    if "name" in data:
        data = dict(data)
        data["short_label"], data["label"] = data.get("label", ""), data["name"]
    return data


def flat_node(data: dict) -> dict:
    """A node's attributes as the exports write them."""
    return flat_data(_as_node(data))


def flat_id(n):
    """A node's id as the exports write it."""
    return xml_safe(n) if isinstance(n, str) else n


def flat_graph(attrs: dict) -> dict:
    """A network's own attributes as GraphML writes them: texts and numbers, lists joined."""
    joined = {k: "; ".join(map(str, v)) if isinstance(v, list) else v for k, v in attrs.items()}
    return {k: xml_safe(v) if isinstance(v, str) else v for k, v in joined.items() if isinstance(v, (str, int, float))}


def flat_copy(g: nx.Graph) -> nx.Graph:
    """A copy for GraphML and GEXF: text kept whole, numbers kept typed.

    ``label`` is the full name (the canvas's short label is ``short_label``); lists are joined by '; ', quotes
    by ' | ' each with its source and locator; every text is made what XML can hold (a U+0001 in a label would
    make the file ill-formed: it becomes a visible escape).
    """
    # built in one pass, each attribute made flat as it is copied (a relabelled copy changed in place took twice as long)
    ids = {n: flat_id(n) for n in g}
    h = g.__class__()
    h.add_nodes_from((ids[n], flat_node(d)) for n, d in g.nodes(data=True))
    h.add_edges_from((ids[a], ids[b], flat_data(d)) for a, b, d in g.edges(data=True))
    h.graph = flat_graph(g.graph)
    return h
