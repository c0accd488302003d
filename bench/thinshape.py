"""A third shape of synthetic data: thin entities, many of them, and no quotes.

``bench/synth.py`` and ``bench/othershape.py`` state every fact with a quote, as the project's data does, so a
million triples hold about 50,000 entities (a fact and its quote take about a dozen triples). Data from elsewhere
need not: here a million triples hold about 365,000 entities of two or three triples each (120,000 organizations,
1,000 working groups, 150,000 memberships, 44,000 resolutions and as many paragraphs), no fact has a quote, and the
memberships pile up Pareto-wise on a few groups and organizations (a group of 84,793 memberships of 35,921
organizations; an organization in 39,989 memberships of 222 groups). What a command does per entity, per finding or
per membership shows here: see docs/scale.md.

    python bench/thinshape.py --triples 1000000 --out /tmp/thin   # a copy of the project, grown
    drugpolicy-kg --project /tmp/thin trace torg1                  # the organization in 222 groups
"""

from __future__ import annotations

import random
from pathlib import Path

DPK = "https://w3id.org/drugpolicy-kg/id/"
DPO = "https://w3id.org/drugpolicy-kg/ontology#"
ORG = "http://www.w3.org/ns/org#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DCT = "http://purl.org/dc/terms/"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"


def generate(triples: int, seed: int = 7) -> tuple[str, int]:
    """N-Triples of about ``triples`` triples (at least the organizations', groups' and memberships' share of a
    million: about 690,000 lines below that, scaled with ``triples``).

    >>> nt, n = generate(20000)
    >>> n >= 20000 and nt.count("\\n") == n and "Thin group 1" in nt and "dpo:quote" not in nt
    True
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not security
    scale = triples / 1_000_000
    lines: list[str] = []

    def t(s: str, p: str, o: str) -> None:
        lines.append(f"<{s}> <{p}> {o} .")

    orgs = [f"{DPK}torg{i}" for i in range(max(10, int(120_000 * scale)))]
    for i, o in enumerate(orgs):
        t(o, RDF_TYPE, f"<{ORG}Organization>")
        t(o, LABEL, f'"Thin organization {i}"@en')
    groups = [f"{DPK}tgrp{i}" for i in range(max(4, int(1_000 * scale)))]
    for i, g in enumerate(groups):
        t(g, RDF_TYPE, f"<{DPO}WorkingGroup>")
        t(g, LABEL, f'"Thin group {i}"@en')
    for n in range(max(10, int(150_000 * scale))):  # (a Pareto draw is at least 1: group 0 has no member)
        m = f"{DPK}tmem{n}"
        g = groups[int(rng.paretovariate(1.2)) % len(groups)]
        o = orgs[int(rng.paretovariate(1.1)) % len(orgs) if n % 2 else rng.randrange(len(orgs))]
        t(m, RDF_TYPE, f"<{ORG}Membership>")
        t(m, ORG + "member", f"<{o}>")
        t(m, ORG + "organization", f"<{g}>")
    r = 0
    while len(lines) < triples:
        res = f"{DPK}tres{r}"
        t(res, RDF_TYPE, f"<{DPO}Resolution>")
        t(res, LABEL, f'"Thin resolution {r}"@en')
        t(res, DPO + "adoptedBy", f"<{DPK}org-cnd>")
        t(res, DCT + "date", f'"{2000 + r % 25}-0{1 + r % 9}-11"^^<{XSD_DATE}>')
        for p in range(rng.randint(0, 2)):
            para = f"{res}-p{p}"
            t(para, RDF_TYPE, f"<{DPO}OperativeParagraph>")
            t(para, DCT + "isPartOf", f"<{res}>")
            t(para, DPO + "addresses", f"<{orgs[rng.randrange(len(orgs))]}>")
        r += 1
    return "\n".join(lines) + "\n", len(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    from drugpolicy_kg.atomic import atomic_write

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # (run as a file, as imported: synth.py beside it)
    from synth import copy_project

    p = argparse.ArgumentParser(prog="bench/thinshape.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--triples", type=int, required=True, help="about how many triples to add")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", required=True, metavar="DIR", help="the project folder to write (a copy of --project)")
    p.add_argument("--project", default=str(Path(__file__).resolve().parents[1]), metavar="DIR")
    args = p.parse_args(argv)
    out = copy_project(Path(args.project), Path(args.out), "thinshape")
    nt, n = generate(args.triples, args.seed)
    with atomic_write(out / "data" / "thinshape.nt") as fh:
        fh.write(nt)
    print(f"wrote {n} triples into {out / 'data' / 'thinshape.nt'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
