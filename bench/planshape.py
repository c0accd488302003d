"""A fourth shape of data: the programme plans, many times over. The other generators grow resolutions, bodies,
memberships and their quotes; none of them makes what the budget sections state of each subprogramme (its
objective, planned activities and results, deliverables, the Data Cube observations of its deliverables and
resources tables, the legislative mandates that list it). This one copies the shipped sections' plans ``K`` times
over, each copy's subprogrammes, mandates, activities, results, deliverables, tables, observations and evidence
under IRIs of its own (the shipped IRI with ``-planK``), while the resolutions, bodies, conventions and the source
documents stay shared: so a resolution the budget lists as a mandate of one subprogramme mandates ``K + 1`` of them,
and every copied fact keeps its quote, which stays verbatim in the shipped source text.

    python bench/planshape.py --triples 1000000 --out /tmp/plans   # a copy of the project, grown
    drugpolicy-kg --project /tmp/plans trace 64/3

Like ``othershape.py`` it is not #30's independent run (kept out of the project): a shape for a class of input. The
copies' labels are the shipped ones (the duplicate-label check reports them), so a name like "subprogramme 2" is a
choice among the copies, never a guess.
"""

from __future__ import annotations

from pathlib import Path

DPO = "https://w3id.org/drugpolicy-kg/ontology#"
QB = "http://purl.org/linked-data/cube#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# what a copy makes anew: the plan's own kinds, the evidence and the reified statements (IRIs in the shipped data;
# a blank node is made anew too), so that each copied fact has its own statement and quote; everything else
# (resolutions, bodies, documents, verbs, units, SDG concepts) stays shared, and a statement about a shared entity
# (a resolution's title, as a budget section lists it) is copied as another statement of the same fact
COPIED = {DPO + k for k in ("Programme", "PlannedActivity", "Deliverable", "Mandate", "MandateCost", "ExpectedResult",
                            "PlannedResult", "PerformanceMeasure", "Objective", "Evidence")} | {
    QB + "Observation", QB + "DataSet", "http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement"}
SECTIONS = ("a-80-6-sect-16.ttl", "a-80-6-sect-24.ttl")


def plan_quads(project: Path) -> tuple[list, set[str]]:
    """The shipped sections' triples that a copy repeats (those about a copied entity or a blank node), and the IRIs
    a copy renames."""
    import pyoxigraph as ox

    quads = []
    for name in SECTIONS:
        with open(project / "data" / name, "rb") as fh:
            quads.extend(ox.parse(fh, format=ox.RdfFormat.TURTLE))
    renamed = {q.subject.value for q in quads
               if q.predicate.value == RDF_TYPE and isinstance(q.subject, ox.NamedNode) and q.object.value in COPIED}
    kept = [q for q in quads if isinstance(q.subject, ox.BlankNode) or q.subject.value in renamed]
    return kept, renamed


def write_copies(quads: list, renamed: set[str], copies: int, fh) -> int:
    """Write ``copies`` copies of ``quads`` as N-Triples to ``fh``; return the triples written."""
    import pyoxigraph as ox

    n = 0
    for k in range(1, copies + 1):
        memo: dict = {}

        def term(t, k=k, memo=memo):
            got = memo.get(t)
            if got is None:
                if isinstance(t, ox.BlankNode):
                    got = ox.BlankNode(f"plan{k}x{t.value}")
                elif isinstance(t, ox.NamedNode) and t.value in renamed:
                    got = ox.NamedNode(f"{t.value}-plan{k}")
                else:
                    got = t
                memo[t] = got
            return got

        triples = [ox.Triple(term(q.subject), q.predicate, term(q.object)) for q in quads]
        fh.write(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
        n += len(triples)
    return n


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    from drugpolicy_kg.atomic import atomic_write

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # (run as a file, as imported: synth.py beside it)
    from synth import copy_project

    p = argparse.ArgumentParser(prog="bench/planshape.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--triples", type=int, required=True,
                   help="about how many triples to add, in whole copies of the plans (about 250,000 triples each)")
    p.add_argument("--out", required=True, metavar="DIR", help="the project folder to write (a copy of --project)")
    p.add_argument("--project", default=str(Path(__file__).resolve().parents[1]), metavar="DIR")
    args = p.parse_args(argv)
    quads, renamed = plan_quads(Path(args.project))
    copies = max(1, round(args.triples / len(quads)))
    out = copy_project(Path(args.project), Path(args.out), "planshape")
    with atomic_write(out / "data" / "planshape.nt", "wb", encoding=None) as fh:
        n = write_copies(quads, renamed, copies, fh)
    print(f"wrote {n} triples ({copies} copies of the plans' {len(quads)}) into {out / 'data' / 'planshape.nt'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
