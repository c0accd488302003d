"""A fifth shape of data: many data files, each with a source document of its own. The other generators write one
data file quoting one source text (``synth.py``, ``othershape.py``, ``thinshape.py``) or copy the shipped
sections' (``planshape.py``); a project that grows document by document, as the budget sections and conference room
papers come, holds hundreds of files, each its own named graph and source. This one makes ``bench/synth.py``'s
units (the same skew: Zipf-sized bodies drawn from every organization so far, resolutions of 1 to 40 paragraphs)
and spreads them over ``--files`` data files in order, each with its own source document, text file and quotes; a
body of one file lists members described in others, as real documents name what others describe.

    python bench/manyfiles.py --triples 1000000 --files 800 --out /tmp/many   # a copy of the project, grown
    drugpolicy-kg --project /tmp/many query facts-per-source

Like the other shapes it is not #30's independent run (kept out of the project): a shape for a class of input.
"""

from __future__ import annotations

import random
from pathlib import Path

DPK = "https://w3id.org/drugpolicy-kg/id/"
SHARED_DOC = f"<{DPK}doc-bench-synthetic>"  # the source synth.py's evidence names: each file's own, here


def doc_of(i: int) -> tuple[str, str]:
    """The IRI of file ``i``'s source document and its text file's name."""
    return f"{DPK}doc-manyfiles-{i:04d}", f"manyfiles-{i:04d}.txt"


def generate_files(triples: int, files: int, seed: int = 1):
    """Yield (file number, N-Triples, source text) for about ``triples`` synthetic triples in ``files`` files:
    ``synth.py``'s units in its order, a file closed once the files so far hold their shares (each at least one
    unit: with more files than units, more triples than asked)."""
    try:
        from bench import synth
    except ImportError:  # run as a file: synth.py beside it
        import synth

    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not security
    w = synth._Writer()
    orgs = [DPK + "org-unodc", DPK + "org-who"]
    bodies: list[str] = []
    cap = max(5, triples // 300)  # the largest body, as synth.generate sizes it
    share = triples / max(1, files)
    i = written = 0
    for f in range(files):
        while written + len(w.lines) < (f + 1) * share or not w.lines:  # (counted in all: no file's excess adds up)
            synth._unit(w, i, rng, orgs, None, cap, bodies)
            i += 1
        doc, text_file = doc_of(f)
        head = [f"<{doc}> <{synth.RDF_TYPE}> <{synth.DPO}SourceDocument> .",
                f'<{doc}> <{synth.RDFS_LABEL}> "Many-files source {f}"@en .',
                f'<{doc}> <{synth.DPO}textFile> "{text_file}" .']
        body = "\n".join(w.lines).replace(SHARED_DOC, f"<{doc}>")
        yield f, "\n".join(head) + "\n" + body + "\n", "\n".join(w.text) + "\n"
        written += len(w.lines)
        w.lines.clear()
        w.text.clear()


def write_files(project: Path, triples: int, files: int, seed: int = 1) -> int:
    """Write the files into ``project``'s data/ and data/sources/; return the triples written."""
    from drugpolicy_kg.atomic import atomic_write

    n = 0
    for f, nt, text in generate_files(triples, files, seed):
        _, text_file = doc_of(f)
        with atomic_write(project / "data" / f"manyfiles-{f:04d}.nt") as fh:
            fh.write(nt)
        with atomic_write(project / "data" / "sources" / text_file) as fh:
            fh.write(text)
        n += nt.count("\n")
    return n


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # (run as a file, as imported: synth.py beside it)
    from synth import copy_project

    p = argparse.ArgumentParser(prog="bench/manyfiles.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--triples", type=int, required=True, help="about how many triples to add, in all the files")
    p.add_argument("--files", type=int, default=800, help="how many data files, each with its own source (default 800)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, metavar="DIR", help="the project folder to write (a copy of --project)")
    p.add_argument("--project", default=str(Path(__file__).resolve().parents[1]), metavar="DIR")
    args = p.parse_args(argv)
    if args.files < 1 or args.triples < 1:
        p.error("--triples and --files must be at least 1")
    out = copy_project(Path(args.project), Path(args.out), "manyfiles")
    n = write_files(out, args.triples, args.files, args.seed)
    print(f"wrote {n} triples in {args.files} data files, each with its own source, into {out / 'data'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
