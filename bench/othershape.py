"""A second generator of skewed data, written apart from ``bench/synth.py`` and shaped otherwise, to try the commands
on data the project's own generator never makes.

Its shapes: one working group whose members are every organization (16,666 at a million triples); one organization
in every group (2,500) and addressed by every other mandate; one resolution of 600 operative paragraphs, each with a
mandate; one organization in seven named "Same Name Institute"; names in six scripts with quotes, ampersands and
angle brackets; and, unlike ``synth.py``, paragraphs, mandates and memberships with no ``rdfs:label`` (the shapes
report them, so ``validate`` has 155,000 violations to report). Every fact but a label or a type is stated by a quote
of a source text written beside the data.

    python bench/othershape.py --triples 1000000 --out /tmp/other   # a copy of the project, grown
    drugpolicy-kg --project /tmp/other trace "Same Name Institute"  # a choice, never a guess

It is not the independent run #30 asks for (that one is kept out of the project); it is a second shape, for a
class of input rather than one example.
"""

from __future__ import annotations

import random
from pathlib import Path

DPK = "https://w3id.org/drugpolicy-kg/id/"
DPO = "https://w3id.org/drugpolicy-kg/ontology#"
ORG = "http://www.w3.org/ns/org#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
SOURCE = "othershape.txt"
NAMES = ["Ωmega Ağency", "Agence «spéciale»", "Организация", "机构", "Org & Co <x>", "O'Brien Trust"]


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.text: list[str] = []
        self.quotes = 0

    def t(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"<{s}> <{p}> {o} .")

    def iri(self, s: str, p: str, o: str) -> None:
        self.t(s, p, f"<{o}>")

    def lit(self, s: str, p: str, value: str, lang: str | None = "en", dt: str | None = None) -> None:
        self.t(s, p, f'"{_esc(value)}"' + (f"^^<{dt}>" if dt else f"@{lang}" if lang else ""))

    def fact(self, s: str, p: str, o: str) -> tuple[str, str]:
        self.iri(s, p, o)
        return p, f"<{o}>"

    def evidence(self, s: str, facts: list[tuple[str, str]], quote: str) -> None:
        """``quote`` in the source text, stating each of ``facts`` (predicate, object as N-Triples) about ``s``."""
        self.quotes += 1
        e = f"{DPK}oev{self.quotes}"
        self.text.append(f"Paragraph {self.quotes}. {quote} Further words follow here.")
        self.iri(e, RDF + "type", DPO + "Evidence")
        self.lit(e, DPO + "quote", quote, lang=None)
        self.lit(e, DPO + "locator", f"para. {self.quotes}", lang=None)
        self.iri(e, DCT + "source", DPK + "doc-othershape")
        for k, (p, o) in enumerate(facts):
            st = f"{DPK}ost{self.quotes}-{k}"
            self.iri(e, DPO + "states", st)
            self.iri(st, RDF + "type", RDF + "Statement")
            self.iri(st, RDF + "subject", s)
            self.iri(st, RDF + "predicate", p)
            self.t(st, RDF + "object", o)


def generate(triples: int, seed: int = 99) -> tuple[str, str, int]:
    """N-Triples and source text of about ``triples`` triples.

    >>> nt, text, n = generate(20000)
    >>> n > 19000 and nt.count("\\n") == n and "Same Name Institute" in nt
    True
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not security
    w = _Out()
    w.iri(DPK + "doc-othershape", RDF + "type", DPO + "SourceDocument")
    w.lit(DPK + "doc-othershape", RDFS + "label", "Second synthetic shape")
    w.lit(DPK + "doc-othershape", DPO + "textFile", SOURCE, lang=None)
    orgs = []
    for k in range(max(10, triples // 60)):
        o = f"{DPK}xorg{k}"
        orgs.append(o)
        w.iri(o, RDF + "type", ORG + "FormalOrganization")
        name = f"{NAMES[k % len(NAMES)]} {k}" if k % 7 else "Same Name Institute"
        w.lit(o, RDFS + "label", name)
        if k % 3:
            w.lit(o, SKOS + "altLabel", f"X{k}")
        w.evidence(o, [], f"{name} takes part.")
    popular, bodies, n = orgs[0], [], 0
    for b in range(max(4, triples // 400)):
        body = f"{DPK}xbody{b}"
        bodies.append(body)
        w.iri(body, RDF + "type", DPO + "WorkingGroup")
        w.lit(body, RDFS + "label", f"Independent group {b}")
        w.evidence(body, [], f"Independent group {b} was set up.")
        size = len(orgs) if b == 0 else (rng.randint(1, 6) if b % 100 else 200)
        for m in sorted({popular} | set(rng.sample(orgs, min(size, len(orgs))))):
            n += 1
            ms = f"{DPK}xmem{n}"
            w.iri(ms, RDF + "type", ORG + "Membership")
            facts = [w.fact(ms, ORG + "member", m), w.fact(ms, ORG + "organization", body),
                     w.fact(ms, ORG + "role", DPK + "role-member")]
            w.evidence(ms, facts, f"Membership {n} of group {b} was agreed.")
    r = 0
    while len(w.lines) < triples:
        res, number = f"{DPK}xres{r}", f"900/{r + 1}"
        w.iri(res, RDF + "type", DPO + "Resolution")
        w.lit(res, RDFS + "label", f"Independent resolution {number}")
        w.lit(res, DPO + "resolutionNumber", number, lang=None)
        w.iri(res, DPO + "adoptedBy", DPK + "org-cnd")
        w.lit(res, DCT + "date", f"{2001 + r % 20}-0{1 + r % 9}-15", dt=XSD + "date")
        w.evidence(res, [(DPO + "resolutionNumber", f'"{number}"'), (DPO + "adoptedBy", f"<{DPK}org-cnd>")],
                   f"Resolution {number} was adopted.")
        for p_ in range(1, (600 if r == 0 else rng.randint(1, 5)) + 1):
            para, mandate = f"{res}-op{p_}", f"{res}-m{p_}"
            w.iri(para, RDF + "type", DPO + "OperativeParagraph")
            w.lit(para, DPO + "paragraphNumber", str(p_), dt=XSD + "integer")
            w.evidence(para, [w.fact(para, DCT + "isPartOf", res)], f"Operative paragraph {p_} of {number}.")
            w.iri(res, DCT + "hasPart", para)
            who = popular if p_ % 2 else rng.choice(orgs)
            body = bodies[0] if p_ % 3 == 0 else rng.choice(bodies)
            w.iri(mandate, RDF + "type", DPO + "Mandate")
            w.iri(mandate, DPO + "verb", DPK + "verb-requests")
            facts = [w.fact(mandate, DPO + "issuedIn", para), w.fact(mandate, DPO + "addresses", who),
                     w.fact(mandate, DPO + "calledFor", body)]
            w.evidence(mandate, facts, f"{number} requests action in paragraph {p_}.")
        r += 1
    return "\n".join(w.lines) + "\n", "\n".join(w.text) + "\n", len(w.lines)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    from drugpolicy_kg.atomic import atomic_write

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # (run as a file, as imported: synth.py beside it)
    from synth import copy_project

    p = argparse.ArgumentParser(prog="bench/othershape.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--triples", type=int, required=True, help="about how many triples to add")
    p.add_argument("--seed", type=int, default=99)
    p.add_argument("--out", required=True, metavar="DIR", help="the project folder to write (a copy of --project)")
    p.add_argument("--project", default=str(Path(__file__).resolve().parents[1]), metavar="DIR")
    args = p.parse_args(argv)
    out = copy_project(Path(args.project), Path(args.out), "othershape")
    nt, text, n = generate(args.triples, args.seed)
    with atomic_write(out / "data" / "othershape.nt") as fh:
        fh.write(nt)
    with atomic_write(out / "data" / "sources" / SOURCE) as fh:
        fh.write(text)
    print(f"wrote {n} triples into {out / 'data' / 'othershape.nt'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
