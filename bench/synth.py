"""A deterministic generator of synthetic data shaped like ours, for benchmarks.

It grows the real graph with synthetic resolutions, paragraphs, mandates,
organizations, bodies, memberships, objectives, events, publications and the
evidence for each fact (evidence per statement: every fact is reified under the
``dpo:states`` of a quote about its subject, spread over that subject's quotes),
using the project's own ontology, so the result conforms to the shapes. ``violations=K`` injects exactly K known SHACL violations, one of a
rotating set of kinds per injection, each detected once by both validators.

The quotes are sentences of a synthetic source text written beside the data,
so the quote check runs on synthetic data too.
"""

from __future__ import annotations

import random
from pathlib import Path

from drugpolicy_kg.atomic import atomic_write  # noqa: E402 (run as a script too)
from drugpolicy_kg.resources import PREFIXES

DPO, DPK, DCT, ORG, BIBO, XSD, RDF = (PREFIXES[k] for k in ("dpo", "dpk", "dcterms", "org", "bibo", "xsd", "rdf"))
RDF_TYPE = RDF + "type"
RDFS_LABEL = PREFIXES["rdfs"] + "label"
ALT = PREFIXES["skos"] + "altLabel"
SDG_TARGETS = [f"3.{i}" for i in range(1, 10)] + ["5.1", "5.2", "8.5", "10.2", "16.3", "16.6", "16.7"]
VERBS = ["requests", "encourages", "invites", "urges", "calls-upon", "decides"]  # verbs that direct action: mandates
ROLES = ["member", "member", "member", "observer", "co-lead"]
SOURCE_FILE = "bench-synthetic.txt"
# kinds of injected violation, each caught by exactly one property shape
VIOLATION_KINDS = ["resolution-number", "membership-role", "mandate-actor", "evidence-locator", "date-type"]


EXEMPT = {RDF_TYPE, RDFS_LABEL}  # facts that need no evidence (see sparql/builtin/facts-evidence.rq)


class _Writer:
    def __init__(self):
        self.lines: list[str] = []
        self.text: list[str] = []
        self.pending: dict[str, list[tuple[str, str]]] = {}  # subject -> facts (predicate, object as N-Triples) to evidence
        self.quotes: dict[str, list[tuple[str, str]]] = {}   # subject -> its evidence nodes and quotes
        self.statements = 0

    def _fact(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"<{s}> <{p}> {o} .")
        if p not in EXEMPT and s.startswith(DPK):
            self.pending.setdefault(s, []).append((p, o))

    def iri(self, s: str, p: str, o: str) -> None:
        self._fact(s, p, f"<{o}>")

    def lit(self, s: str, p: str, value: str, lang: str | None = None, dt: str | None = None) -> None:
        tail = f"@{lang}" if lang else (f"^^<{dt}>" if dt else "")
        self._fact(s, p, f'"{_esc(value)}"{tail}')

    def close(self) -> None:
        """Reify every pending fact under a quote about its subject (one made up if the subject has none);
        a quote that states no fact is not written (the shapes refuse evidence attached to nothing)."""
        for s, facts in self.pending.items():
            evs = self.quotes.get(s) or [(s.replace("/id/", "/id/ev-", 1) + "-facts",
                                          f"Facts about {s.rsplit('/', 1)[-1]} are recorded.", "synthetic para.")]
            used = set()
            for k, (p, o) in enumerate(facts):
                ev, quote, _ = evs[k % len(evs)]
                used.add(k % len(evs))
                self.statements += 1
                b = f"_:st{self.statements}"
                self.lines.append(f"<{ev}> <{DPO}states> {b} .")
                self.lines.append(f"{b} <{RDF}subject> <{s}> .")
                self.lines.append(f"{b} <{RDF}predicate> <{p}> .")
                self.lines.append(f"{b} <{RDF}object> {o} .")
                self.lines.append(f'{b} <{DPO}statedAs> "{_esc(quote[:24])}" .')
            for k in sorted(used):
                self._write_evidence(*evs[k])
        self.pending.clear()
        self.quotes.clear()

    def evidence(self, node: str, ev: str, quote: str, locator: str | None = "synthetic para.") -> None:
        """A quote about ``node``; written by :meth:`close` with the facts it states."""
        self.quotes.setdefault(node, []).append((ev, quote, locator))

    def _write_evidence(self, ev: str, quote: str, locator: str | None) -> None:
        self.lines.append(f"<{ev}> <{RDF_TYPE}> <{DPO}Evidence> .")
        self.lines.append(f"<{ev}> <{DCT}source> <{DPK}doc-bench-synthetic> .")
        if locator is not None:
            self.lines.append(f'<{ev}> <{DPO}locator> "{locator}" .')
        self.lines.append(f'<{ev}> <{DPO}quote> "{_esc(quote)}" .')
        n = len(self.text)  # the quote stands inside a longer paragraph of the source, as real quotes do
        self.text.append(f"{FILLER[n % len(FILLER)]} {quote} {FILLER[(n + 1) % len(FILLER)]}")


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


FILLER = ["In the period under review, delegations exchanged views at length.",
          "Several speakers underlined the importance of the matter.",
          "The secretariat introduced the relevant documentation.",
          "Reference was made to earlier decisions on the subject."]


def _unit(w: _Writer, i: int, rng: random.Random, orgs: list[str], violation: str | None, cap: int, bodies: list[str]) -> None:
    """One cluster, skewed like real mandates: 3 new organizations; a body whose membership is Zipf-sized
    (up to ``cap``, drawn from every organization so far, so organizations sit in many bodies); a resolution
    of 1 to 40 operative paragraphs with mandates that call for activities and, in chains of up to five
    units, for the previous unit's body; an objective, an SDG target, a meeting and a publication;
    entities with one to four quotes, each quote embedded in a longer paragraph of the source text."""
    u = f"s{i}"
    new_orgs = []
    for k in range(3):
        o = f"{DPK}org-{u}-{k}"
        w.iri(o, RDF_TYPE, ORG + "FormalOrganization")
        w.lit(o, RDFS_LABEL, f"Synthetic Organization {u}-{k}", "en")
        w.lit(o, ALT, f"SO{u.upper()}{k}", "en")
        w.evidence(o, f"{DPK}ev-{u}-org{k}", f"Synthetic Organization {u}-{k} takes part in the work ({u}).")
        new_orgs.append(o)
    body = f"{DPK}body-{u}"
    w.iri(body, RDF_TYPE, DPO + "WorkingGroup")
    w.lit(body, RDFS_LABEL, f"Synthetic Working Group {u}", "en")
    w.evidence(body, f"{DPK}ev-{u}-body", f"The Synthetic Working Group {u} was launched.")
    size = min(cap, max(2, int(rng.paretovariate(1.0) * 2)))  # Zipf-like: most bodies small, a few huge
    members = new_orgs + rng.sample(orgs, k=min(size, len(orgs)))
    for k, member in enumerate(members):
        m = f"{DPK}membership-{u}-{k}"
        w.iri(m, RDF_TYPE, ORG + "Membership")
        w.lit(m, RDFS_LABEL, f"Membership {u}-{k}", "en")
        w.iri(m, ORG + "member", member)
        w.iri(m, ORG + "organization", body)
        if not (violation == "membership-role" and k == 0):
            w.iri(m, ORG + "role", f"{DPK}role-{ROLES[k % len(ROLES)]}")
        w.evidence(m, f"{DPK}ev-{u}-m{k}", f"Membership {u}-{k} in the Synthetic Working Group {u} was agreed.")
    orgs.extend(new_orgs)
    res, act = f"{DPK}res-{u}", f"{DPK}activity-{u}"
    session, number = 100 + i // 999, i % 999 + 1
    w.iri(res, RDF_TYPE, DPO + "Resolution")
    w.lit(res, RDFS_LABEL, f"Synthetic resolution {session}/{number}", "en")
    w.lit(res, DPO + "resolutionNumber", f"{session}-{number}" if violation == "resolution-number" else f"{session}/{number}")
    w.iri(res, DPO + "adoptedBy", DPK + "org-cnd")
    w.lit(res, DCT + "date", str(2000 + i % 25), dt=XSD + "gYear")
    for q in range(1 + (i % 4)):  # several quotes for one entity
        w.evidence(res, f"{DPK}ev-{u}-res{q}", f"Resolution {session}/{number} was adopted by the Commission ({q}).")
    paragraphs = 40 if i == 1 else rng.randint(1, 40)  # unit 1 is the busy resolution the benchmark traces
    verb = VERBS[i % len(VERBS)]
    for n in range(1, paragraphs + 1):
        para = f"{DPK}res-{u}-op{n}"
        w.iri(para, RDF_TYPE, DPO + "OperativeParagraph")
        w.lit(para, RDFS_LABEL, f"Synthetic resolution {session}/{number}, operative paragraph {n}", "en")
        w.lit(para, DPO + "paragraphNumber", str(n), dt=XSD + "integer")
        w.iri(para, DCT + "isPartOf", res)
        w.iri(res, DCT + "hasPart", para)
        w.evidence(para, f"{DPK}ev-{u}-para{n}", f"Operative paragraph {n} of resolution {session}/{number}.")
        if n == 1 or n % 4 == 0:  # a mandate in every fourth paragraph
            mandate = f"{DPK}mandate-{u}-{n}"
            w.iri(mandate, RDF_TYPE, DPO + "Mandate")
            w.lit(mandate, RDFS_LABEL, f"{session}/{number} OP{n} {verb} {u}", "en")
            w.iri(mandate, DPO + "issuedIn", para)
            w.iri(mandate, DPO + "verb", f"{DPK}verb-{verb}")
            # the injected violation: a mandate addressed to an activity, not an actor
            w.iri(mandate, DPO + "addresses", act if (violation == "mandate-actor" and n == 1) else new_orgs[0])
            w.iri(mandate, DPO + "calledFor", act)
            if n > 1 and bodies and i % 5:  # chains: a later resolution calls for an earlier unit's body
                w.iri(mandate, DPO + "calledFor", bodies[-1])
            w.evidence(mandate, f"{DPK}ev-{u}-mandate{n}",
                       f"Resolution {session}/{number} {verb} Synthetic Organization {u}-0 to act (paragraph {n}).",
                       locator=None if (violation == "evidence-locator" and n == 1) else f"synthetic para. {n}")
            if n == 1:
                w.iri(body, DPO + "respondsTo", mandate)
    bodies.append(body)
    w.iri(act, RDF_TYPE, DPO + "Activity")
    w.lit(act, RDFS_LABEL, f"Synthetic activity {u}", "en")
    w.evidence(act, f"{DPK}ev-{u}-act", f"The synthetic activity {u} was called for.")
    obj = f"{DPK}objective-{u}"
    w.iri(obj, RDF_TYPE, DPO + "SpecificObjective")
    w.lit(obj, RDFS_LABEL, f"Synthetic objective {u}", "en")
    w.lit(obj, DCT + "description", f"improve synthetic outcome {u}", "en")
    w.evidence(obj, f"{DPK}ev-{u}-obj", f"The objective is to improve synthetic outcome {u}.")
    w.iri(body, DPO + "hasObjective", obj)
    w.iri(body, DPO + "serves", f"http://metadata.un.org/sdg/{SDG_TARGETS[i % len(SDG_TARGETS)]}")
    ev = f"{DPK}event-{u}"
    w.iri(ev, RDF_TYPE, DPO + "Meeting")
    w.lit(ev, RDFS_LABEL, f"Meeting of the Synthetic Working Group {u}", "en")
    w.lit(ev, DCT + "date", f"{2000 + i % 25}-0{1 + i % 9}-1{i % 10}" if violation != "date-type" else "sometime",
          dt=XSD + "date" if violation != "date-type" else None)
    w.iri(ev, DPO + "meetingOf", body)
    w.iri(ev, DPO + "organizer", new_orgs[1])
    w.iri(ev, DPO + "participant", new_orgs[2])
    w.lit(ev, DPO + "eventStatus", "held")
    w.evidence(ev, f"{DPK}ev-{u}-event", f"The Synthetic Working Group {u} met.")
    pub = f"{DPK}pub-{u}"
    w.iri(pub, RDF_TYPE, BIBO + "AcademicArticle")
    w.lit(pub, RDFS_LABEL, f"Synthetic findings {u}", "en")
    w.lit(pub, DCT + "title", f"Synthetic findings {u}", "en")
    w.iri(pub, DCT + "creator", new_orgs[0])
    w.iri(pub, DCT + "creator", new_orgs[1])
    w.lit(pub, DPO + "publicationDate", str(2000 + i % 25), dt=XSD + "gYear")
    w.lit(pub, BIBO + "volume", str(1 + i % 30))
    w.evidence(pub, f"{DPK}ev-{u}-pub", f"Synthetic findings {u} were published.")
    w.close()


def generate(triples: int, seed: int = 1, violations: int = 0, base_triples: int = 0) -> tuple[str, str, int]:
    """N-Triples and source text for about ``triples - base_triples`` synthetic triples.

    >>> nt, text, n = generate(3000, seed=7)
    >>> n > 2500 and nt.count("\\n") == n and generate(3000, seed=7)[0] == nt
    True
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not security
    w = _Writer()
    w.iri(DPK + "doc-bench-synthetic", RDF_TYPE, DPO + "SourceDocument")
    w.lit(DPK + "doc-bench-synthetic", RDFS_LABEL, "Synthetic benchmark source", "en")
    w.lit(DPK + "doc-bench-synthetic", DPO + "textFile", SOURCE_FILE)
    w.evidence(DPK + "doc-bench-synthetic", DPK + "ev-bench-source", "This is the synthetic benchmark source.")
    orgs = [DPK + "org-unodc", DPK + "org-who"]
    bodies: list[str] = []
    target = max(0, triples - base_triples)
    cap = max(5, target // 300)  # the largest body: thousands of members at 1M triples
    i = 0
    injected = 0
    spacing = None
    while len(w.lines) < target or (violations and injected < violations):
        if spacing is None and i == 1:
            per_unit = max(len(w.lines), 1)
            spacing = max(1, (target // per_unit) // max(violations, 1)) if violations else None
        kind = None
        if violations and injected < violations and (spacing is None or i % spacing == 0):
            kind = VIOLATION_KINDS[injected % len(VIOLATION_KINDS)]
            injected += 1
        _unit(w, i, rng, orgs, kind, cap, bodies)
        i += 1
    return "\n".join(w.lines) + "\n", "\n".join(w.text) + "\n", len(w.lines)


def write_project_data(project_root: Path, triples: int, seed: int = 1, violations: int = 0, base_triples: int = 0) -> int:
    """Write ``data/bench.nt`` and its source text into a project folder; return the synthetic triples written."""
    nt, text, n = generate(triples, seed, violations, base_triples)
    with atomic_write(Path(project_root) / "data" / "bench.nt") as fh:
        fh.write(nt)
    with atomic_write(Path(project_root) / "data" / "sources" / SOURCE_FILE) as fh:
        fh.write(text)
    return n


def copy_project(source: Path, out: Path, who: str = "synth") -> Path:
    """Copy ``source``'s ontology, data and queries into ``out`` (each one ``out`` lacks), refusing a folder that
    holds something else: the start of this generator and of the other shapes' (``who`` names it in the refusal)."""
    import shutil

    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / "data").is_dir():
        raise SystemExit(f"{who}: {out} exists and is not a project folder; choose an empty or new folder")
    for d in ("ontology", "data", "queries"):
        if not (out / d).exists() and (Path(source) / d).is_dir():
            shutil.copytree(Path(source) / d, out / d)
    return out


def make_project(source: Path, out: Path, triples: int, seed: int = 1, violations: int = 0, exact: bool = False) -> int:
    """Copy ``source``'s ontology, data and queries into ``out`` and grow its data; return the synthetic triples."""
    out = copy_project(source, out)
    return write_project_data(out, triples, seed, violations, base_triples=0 if exact else 36_500)


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="bench/synth.py", description="Write a project copy grown with deterministic synthetic data.")
    p.add_argument("--triples", type=int, required=True, help="about how many triples the project should hold in all")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--violations", type=int, default=0, help="inject this many known SHACL violations")
    p.add_argument("--out", required=True, metavar="DIR", help="the project folder to write")
    p.add_argument("--project", default=str(Path(__file__).resolve().parents[1]), metavar="DIR", help="the project to copy")
    p.add_argument("--exact", action="store_true", help="add --triples synthetic triples, not counting the real data")
    args = p.parse_args(argv)
    n = make_project(Path(args.project), Path(args.out), args.triples, args.seed, args.violations, args.exact)
    print(f"wrote {n} synthetic triples ({args.violations} violations injected) into {Path(args.out) / 'data' / 'bench.nt'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
