"""The benchmark: each stage of the pipeline at about 10k, 100k and 1M triples, on the default path
(Oxigraph for loading, querying and validation) and on a plain rdflib + pySHACL baseline.

    python bench/run_bench.py                 # everything: writes bench/results.json, results.md, scaling.png
    python bench/run_bench.py --sizes 10000 100000

Each (size, path) runs in a fresh subprocess, so the peak memory of each stage is that process's
peak resident set (ru_maxrss) when the stage ends. A path is stopped after STAGE_BUDGET seconds in
one stage; the stages it did not reach are recorded as not measured.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

SIZES = [10_000, 100_000, 1_000_000]
BASE_TRIPLES = 10_700  # the real graph, which every size includes
PATH_BUDGET = {"default": 600, "baseline": 420}  # seconds per (size, path) run
OUT = ROOT / "bench"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_project(size: int, violations: int = 0) -> Path:
    from bench.synth import write_project_data

    root = Path(tempfile.mkdtemp(prefix=f"dpkg-bench-{size}-"))
    for d in ("ontology", "data", "queries"):
        shutil.copytree(ROOT / d, root / d)
    write_project_data(root, size, seed=1, violations=violations, base_triples=BASE_TRIPLES)
    return root


# ------------------------------------------------------------ one path, in its own process --

def run_path(path: str, project_dir: str, out: str) -> None:
    from drugpolicy_kg.graph.loader import load_fast
    from drugpolicy_kg.resources import Project
    from drugpolicy_kg.sparql.query import bind_params, list_queries

    project = Project.open(project_dir)
    records = []

    def stage(name, fn):
        t = time.perf_counter()
        result = fn()
        records.append({"stage": name, "seconds": round(time.perf_counter() - t, 4), "peak_mb": round(rss_mb(), 1)})
        with open(out, "w") as fh:
            json.dump(records, fh)
        return result

    if path == "default":
        graph = stage("load", lambda: load_fast(project))
        store = graph.store._inner
        stage("validate", lambda: _validate_default(graph, store, project))
        queries = list_queries(project)
        for q in queries:
            subs = {}
            import pyoxigraph as ox

            from drugpolicy_kg.graph.oxi import to_oxigraph_term

            subs = {ox.Variable(k): to_oxigraph_term(v) for k, v in bind_params(q, {}).items()} or None
            stage(f"query:{q.name}", lambda q=q, subs=subs: _drain(store.query(q.text, substitutions=subs)))
    else:
        graph = stage("load", lambda: _load_plain_rdflib(project))
        stage("validate", lambda: _validate_baseline(graph, project))
        for q in list_queries(project):
            bindings = bind_params(q, {})
            stage(f"query:{q.name}", lambda q=q, b=bindings: _drain(graph.query(q.text, initBindings=b)))
    stage("trace", lambda: _trace(graph))
    nets = stage("networks", lambda: _networks(graph))
    if path == "default":  # the views code is the same on both paths: measured once, on the default path
        stage("views", lambda: _views(graph, nets, Path(out).with_suffix(".site")))


def _load_plain_rdflib(project):
    """The baseline load: rdflib's own parsers into one in-memory Graph (no named graphs, no derived shortcut)."""
    from rdflib import Graph

    from drugpolicy_kg.graph.loader import import_files

    graph = Graph()
    for path in project.ontology_files() + import_files(project) + project.data_files():
        graph.parse(path, format="nt" if path.suffix == ".nt" else "turtle")
    return graph


def _drain(result):
    """Read every row (an ASK answer is read by asking for its truth)."""
    try:
        return sum(1 for _ in result)
    except TypeError:
        return bool(result)


def _validate_default(graph, store, project):
    from drugpolicy_kg.checks.quotes import check_quotes
    from drugpolicy_kg.checks.shacl_sparql import compile_shapes, run
    from drugpolicy_kg.graph.loader import parse_file
    from drugpolicy_kg.sparql.queryfile import read_query_file

    found = run(store, compile_shapes(parse_file(project.shapes)))
    for path in project.check_files():
        found += list(store.query(read_query_file(path).text))
    n, problems = check_quotes(graph, project.sources_dir)
    return len(found) + len(problems)


def _validate_baseline(graph, project):
    import pyshacl

    from drugpolicy_kg.checks.quotes import check_quotes
    from drugpolicy_kg.graph.loader import parse_file
    from drugpolicy_kg.sparql.queryfile import read_query_file

    conforms, _, _ = pyshacl.validate(graph, shacl_graph=parse_file(project.shapes), inference="none")
    found = sum(len(list(graph.query(read_query_file(p).text))) for p in project.check_files())
    _, problems = check_quotes(graph, project.sources_dir)
    return conforms, found, len(problems)


def _trace(graph):
    from drugpolicy_kg.uses.trace import Tracer
    from drugpolicy_kg.uses.trace_render import render

    t = Tracer(graph)
    return len(render(t.trace("64/3", "both"), "json")) + len(render(t.trace("ITWG", "backward"), "json"))


def _networks(graph):
    from drugpolicy_kg.uses.networks import build_networks

    return build_networks(graph, ("collaboration", "mandates"))


def _views(graph, nets, out_dir):
    from drugpolicy_kg.atomic import folder_lock
    from drugpolicy_kg.uses.views import _write_site

    with folder_lock(out_dir):
        _write_site(graph, out_dir, nets)
    shutil.rmtree(out_dir, ignore_errors=True)


# ------------------------------------------------------------------------- the driver --

def cli_startup() -> dict:
    def best(cmd):
        times = []
        for _ in range(7):
            t = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            times.append(time.perf_counter() - t)
        return min(times)

    exe = [sys.executable]
    bare = best([*exe, "-c", "pass"])
    help_ = best([*exe, "-m", "drugpolicy_kg.cli", "--help"])
    listq = best([*exe, "-m", "drugpolicy_kg.cli", "query", "--list"])
    return {"python_c_pass_s": round(bare, 4), "help_s": round(help_, 4), "query_list_s": round(listq, 4),
            "help_ratio": round(help_ / bare, 2)}


def serve_load(requests: int = 200, workers: int = 50) -> dict:
    import urllib.parse
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from drugpolicy_kg.graph.loader import load_dataset, union_graph
    from drugpolicy_kg.resources import Project
    from drugpolicy_kg.sparql.server import OxigraphServer, load_store

    tmp = Path(tempfile.mkdtemp())
    union_graph(load_dataset(Project.open(ROOT))).serialize(tmp / "g.nt", format="nt", encoding="utf-8")
    load_store(tmp / "store", tmp / "g.nt")
    q = urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://www.w3.org/ns/org#Membership> }")
    latencies, ok = [], 0
    with OxigraphServer(tmp / "store") as server:
        def ask(_):
            t = time.perf_counter()
            req = urllib.request.Request(f"{server.query_url}?query={q}", headers={"Accept": "text/csv"})  # noqa: S310
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback
                body = resp.read().decode()
            return time.perf_counter() - t, resp.status == 200 and body.split()[-1] == "19"

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for latency, good in pool.map(ask, range(requests)):
                latencies.append(latency)
                ok += good
        wall = time.perf_counter() - start
    shutil.rmtree(tmp, ignore_errors=True)
    latencies.sort()
    return {"requests": requests, "concurrency": workers, "correct": ok, "requests_per_s": round(requests / wall, 1),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2)}


def measure(size: int, path: str) -> list[dict]:
    project = make_project(size)
    out = Path(tempfile.mkdtemp()) / f"{size}-{path}.json"
    cmd = [sys.executable, __file__, "--run-path", path, str(project), str(out)]
    try:
        proc = subprocess.run(cmd, timeout=PATH_BUDGET[path], capture_output=True, text=True)
        status = "ok" if proc.returncode == 0 else f"failed: {proc.stderr.strip().splitlines()[-1:]}"
    except subprocess.TimeoutExpired:
        status = f"stopped after {PATH_BUDGET[path]} s"
    records = json.loads(out.read_text()) if out.exists() else []
    shutil.rmtree(project, ignore_errors=True)
    for r in records:
        r.update(size=size, path=path)
    print(f"{size:>9} {path:8} {status}: {len(records)} stages, {sum(r['seconds'] for r in records):.1f} s", flush=True)
    return records, status


def count_triples(size: int) -> int:
    project = make_project(size)
    from drugpolicy_kg.graph.loader import load_fast
    from drugpolicy_kg.resources import Project

    n = len(load_fast(Project.open(project)).store._inner)
    shutil.rmtree(project, ignore_errors=True)
    return n


PIPELINE = ("load", "validate", "query:*", "trace", "networks")


def pipeline_seconds(records) -> float:
    return sum(r["seconds"] for r in records if r["stage"] in ("load", "validate", "trace", "networks")
               or r["stage"].startswith("query:"))


def summarise(results: dict) -> str:
    rows = results["runs"]
    sizes = sorted({r["size"] for r in rows})
    stages = list(dict.fromkeys(r["stage"] for r in rows))
    by = {(r["size"], r["path"], r["stage"]): r for r in rows}
    lines = ["| stage | " + " | ".join(f"{results['triples'][str(s)]:,} default | baseline | × faster" for s in sizes) + " |",
             "|---|" + "---|---|---|" * len(sizes)]
    for st in stages:
        cells = []
        for s in sizes:
            d, b = by.get((s, "default", st)), by.get((s, "baseline", st))
            ratio = f"{b['seconds'] / d['seconds']:.0f}" if d and b and d["seconds"] > 0 else "–"
            cells += [f"{d['seconds']:.3f} s" if d else "–", f"{b['seconds']:.3f} s" if b else "not measured", ratio]
        lines.append(f"| {st} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| size | path | pipeline (load, validate, all queries, trace, networks) | peak memory | status |")
    lines.append("|---|---|---|---|---|")
    for s in sizes:
        for p in ("default", "baseline"):
            recs = [r for r in rows if r["size"] == s and r["path"] == p]
            peak = max((r["peak_mb"] for r in recs), default=0)
            lines.append(f"| {results['triples'][str(s)]:,} | {p} | {pipeline_seconds(recs):.1f} s | {peak:.0f} MB | "
                         f"{results['status'][f'{s}-{p}']} |")
    return "\n".join(lines)


def plot(results: dict, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["runs"]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    groups = ["load", "validate", "queries (sum)", "trace", "networks", "views"]
    for ax, path in zip(axes, ("default", "baseline")):
        for g in groups:
            xs, ys = [], []
            for s in sorted({r["size"] for r in rows}):
                recs = [r for r in rows if r["size"] == s and r["path"] == path and
                        (r["stage"].startswith("query:") if g == "queries (sum)" else r["stage"] == g)]
                if recs:
                    xs.append(results["triples"][str(s)])
                    ys.append(max(sum(r["seconds"] for r in recs), 1e-4))
            if xs:
                ax.plot(xs, ys, "o-", label=g)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{path} path")
        ax.set_xlabel("triples")
        ax.grid(True, which="both", color="#eee")
    axes[0].set_ylabel("seconds")
    axes[0].legend()
    fig.suptitle("drugpolicy-kg: time per stage against graph size (log-log)")
    fig.tight_layout()
    fig.savefig(png, dpi=100)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="*", type=int, default=SIZES)
    ap.add_argument("--run-path", nargs=3, metavar=("PATH", "PROJECT", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.run_path:
        run_path(*args.run_path)
        return 0
    started = time.time()
    results = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "runs": [], "status": {}, "triples": {}}
    for size in args.sizes:
        results["triples"][str(size)] = count_triples(size)
        for path in ("default", "baseline"):
            records, status = measure(size, path)
            results["runs"] += records
            results["status"][f"{size}-{path}"] = status
    results["cli"] = cli_startup()
    results["serve_load"] = serve_load()
    results["total_seconds"] = round(time.time() - started, 1)
    (OUT / "results.json").write_text(json.dumps(results, indent=1))
    table = summarise(results)
    cli, load = results["cli"], results["serve_load"]
    (OUT / "results.md").write_text(
        f"# Benchmark results\n\nMachine: {results['machine']['cpus']} cores, Python {results['machine']['python']}; "
        f"whole run {results['total_seconds']} s.\n\n{table}\n\n"
        f"`drugpolicy-kg --help`: {cli['help_s'] * 1000:.0f} ms against `python -c pass` {cli['python_c_pass_s'] * 1000:.0f} ms "
        f"(ratio {cli['help_ratio']}); `query --list`: {cli['query_list_s'] * 1000:.0f} ms.\n\n"
        f"`serve` under load: {load['requests']} requests, {load['concurrency']} at a time: {load['correct']} correct, "
        f"{load['requests_per_s']} requests/s, p50 {load['p50_ms']} ms, p99 {load['p99_ms']} ms.\n")
    plot(results, OUT / "scaling.png")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
