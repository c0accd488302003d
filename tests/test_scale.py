"""The fast path (Oxigraph behind rdflib's API) and the synthetic benchmark data."""

from __future__ import annotations

import shutil
import sys

import pytest

from bench.synth import VIOLATION_KINDS, generate, write_project_data
from drugpolicy_kg.checks.validate import validate
from drugpolicy_kg.cli import main
from drugpolicy_kg.graph.store import GraphStore
from drugpolicy_kg.resources import Project
from drugpolicy_kg.uses.networks import build_networks
from drugpolicy_kg.uses.trace import Tracer
from drugpolicy_kg.uses.trace_render import render

from .conftest import ROOT


def test_generator_is_deterministic_and_sized():
    a, text_a, n = generate(20_000, seed=3)
    b, text_b, _ = generate(20_000, seed=3)
    assert a == b and text_a == text_b
    assert 19_000 <= n <= 21_000
    assert generate(20_000, seed=4)[0] != a


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, small_project):
    def make(violations):  # grown from the two short sources: pySHACL checks it twice per case
        root = tmp_path_factory.mktemp(f"synth{violations}")
        for d in ("ontology", "data", "queries"):
            shutil.copytree(small_project.root / d, root / d)
        write_project_data(root, 20_000, seed=2, violations=violations, base_triples=16_000)
        return Project.open(root)
    return make


def test_synthetic_data_conforms(synthetic):
    report = validate(synthetic(0), engine="sparql")
    assert report.findings == [] and report.triples > 18_000


@pytest.mark.parametrize("violations", [1, 5, 7])
def test_both_validators_find_exactly_the_injected_violations(synthetic, violations):
    project = synthetic(violations)
    shacl = {}
    for engine in ("pyshacl", "sparql"):
        report = validate(project, engine=engine, quotes=False)
        shacl[engine] = {(f.focus, f.rule) for f in report.findings if f.kind == "shacl"}
    assert shacl["pyshacl"] == shacl["sparql"]
    assert len(shacl["sparql"]) == violations
    kinds = {rule.rsplit("#", 1)[-1] for _, rule in shacl["sparql"]}
    assert len(kinds) == min(violations, len(VIOLATION_KINDS))


def test_store_behind_rdflib_gives_the_same_answers_as_an_rdflib_copy(tmp_path, small_project):
    """Trace and networks read the store itself (StoreView: the commands) or through oxrdflib (the Python API); an
    in-memory rdflib copy of the union must agree with both: the traces on the project with Sect. 16, whose plan
    64/3's trace reaches, the networks on the project without the budget sections (rdflib's own SPARQL takes
    seconds over the plan's mandates; the comparison is of the ways of reading)."""
    from drugpolicy_kg.resources import Project

    from .conftest import make_copy

    gs = GraphStore.open(Project.open(make_copy(tmp_path, keep=("a-80-6-sect-16",))))
    slow, fast, direct = gs.union_graph(), gs.rdflib(), gs.view()
    assert len(set(fast.triples((None, None, None)))) == len(slow) == gs.triples
    tracers = [Tracer(g) for g in (slow, fast, direct)]  # (one each for both terms: its index of names read once)
    for term, direction in (("64/3", "both"), ("ISN", "backward")):
        want, *others = (render(t.trace(term, direction), "json") for t in tracers)
        assert others == [want, want]
    gs = GraphStore.open(small_project)
    slow, fast, direct = gs.union_graph(), gs.rdflib(), gs.view()
    views = ("collaboration", "mandates")
    a = build_networks(slow, views)
    assert a["mandates"].number_of_edges() > 0
    for b in (build_networks(fast, views), build_networks(direct, views)):
        for name in a:
            norm = (lambda e: e) if a[name].is_directed() else frozenset
            assert {norm(e) for e in a[name].edges} == {norm(e) for e in b[name].edges}
            assert dict(a[name].nodes(data="title")) == dict(b[name].nodes(data="title"))


def test_large_views_are_aggregated():
    import networkx as nx

    from drugpolicy_kg.uses.networks import add_metrics
    from drugpolicy_kg.uses.views import AGGREGATE_LIMIT, render_page

    g = nx.connected_caveman_graph(400, 10)  # 4,000 nodes in 400 tight groups
    for n in g:
        g.nodes[n].update(label=str(n), name=f"node {n}", category="Organization", title=f"node {n}")
    add_metrics(g)
    assert g.number_of_nodes() > AGGREGATE_LIMIT
    page = render_page(g, "big", "guide")
    assert "communities" in page and len(page) < 3_000_000


def test_bench_data_script(tmp_path, small_project):
    """The script as `make bench` runs it, on the project without the budget sections (what it adds is the same)."""
    import subprocess
    import sys

    script = ROOT / "bench" / "synth.py"
    proc = subprocess.run([sys.executable, str(script), "--triples", "15000", "--seed", "5", "--violations", "2",
                           "--project", str(small_project.root), "--out", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "data" / "bench.nt").stat().st_size > 100_000
    assert (tmp_path / "data" / "sources" / "bench-synthetic.txt").is_file()
    assert main(["--project", str(tmp_path), "validate", "--engine", "sparql"]) == 1


def test_the_bench_says_how_busy_the_machine_was_beside_each_time(monkeypatch):
    """#30: a figure taken on a loaded machine is slower; `make bench` records the one-minute load average as each
    command starts and writes it beside the time (and says nothing where the system gives no load)."""
    import os
    import sys

    from bench import run_bench

    rec = run_bench.run([sys.executable, "-c", "pass"], dict(os.environ))
    assert rec["exit"] == 0 and isinstance(rec["load"], float) and rec["load"] >= 0
    assert run_bench.fmt_s({**rec, "seconds": 0.25, "load": 1.26}) == "0.25 s (load 1.3)"
    assert run_bench.fmt_s({"seconds": 0.25, "exit": 0}) == "0.25 s"  # (measured before loads were recorded)

    def no_load():
        raise OSError("no load average here")

    monkeypatch.setattr(os, "getloadavg", no_load)
    assert run_bench.load_now() is None


def test_the_bench_measures_the_command_s_memory_not_its_own():
    """A child forked from the benchmark started with the benchmark's pages, and Linux keeps that peak through exec:
    every warm command of a run was reported at 428 MB, the benchmark's own size (`trace ITWG` takes 47 MB). Measured
    from a small launcher, a command reports its own peak, however large the benchmark is."""
    import os
    import sys

    from bench import run_bench

    ballast = bytearray(300 * 1024 * 1024)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1  # (touched: resident)
    rec = run_bench.run([sys.executable, "-c", "pass"], dict(os.environ))
    assert rec["exit"] == 0 and rec["peak_mb"] < 100, rec
    grown = run_bench.run([sys.executable, "-c", "b = bytearray(150 * 2**20); b[::4096] = b'x' * len(b[::4096])"],
                          dict(os.environ))
    assert grown["exit"] == 0 and 150 <= grown["peak_mb"] < 250, grown
    assert run_bench.run([sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ))["exit"] == 3
    del ballast


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the processes are read from /proc")
def test_the_bench_counts_the_memory_of_all_a_command_s_processes_together():
    """views runs three processes at a million triples; the largest one's peak is not what the command holds. A
    command whose two processes each hold 120 MB of their own is reported at about 240 MB together."""
    import os

    from bench import run_bench

    two = ("import os, time\n"
           "pid = os.fork()\n"
           "b = bytearray(120 * 2**20); b[::4096] = b'x' * len(b[::4096])\n"  # (each its own pages, touched)
           "time.sleep(1.5)\n"
           "os._exit(0) if pid == 0 else os.waitpid(pid, 0)\n")
    rec = run_bench.run([sys.executable, "-c", two], dict(os.environ))
    assert rec["exit"] == 0 and rec["peak_mb"] < 200 <= rec["tree_mb"] < 400, rec
    alone = run_bench.run([sys.executable, "-c", "import time; time.sleep(0.6)"], dict(os.environ))
    assert alone["tree_mb"] < 100, alone


def test_the_second_shape_of_data_is_traced_drawn_and_asked_about(tmp_path, small_project, capsys):
    """``bench/othershape.py``'s data (a group of every organization, one organization in every group, a resolution
    of 600 paragraphs, seven organizations of one name), through the commands: a name seven bear is a choice, the
    hub is traced bounded, and co-mandated leaves out the resolution that mandates hundreds of things."""
    import itertools
    import json
    import subprocess
    import sys

    script = ROOT / "bench" / "othershape.py"
    proc = subprocess.run([sys.executable, str(script), "--triples", "10000", "--project", str(small_project.root),
                           "--out", str(tmp_path / "p")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    project = ["--project", str(tmp_path / "p")]
    assert main([*project, "trace", "Same Name Institute"]) == 2
    err = capsys.readouterr().err
    assert "could mean 24 entities: all named 'Same Name Institute'" in err and "xorg0  Same Name Institute" in err
    assert main([*project, "trace", "Independent group 0", "--format", "json"]) == 0
    hub = json.loads(capsys.readouterr().out)
    members = [h for h in hub["forward"] if h["relation"].startswith("has member")]
    assert sum(h.get("omitted", 0) for h in members) > 100 and len([h for h in members if "iri" in h]) <= 25

    from drugpolicy_kg.graph.store import GraphStore
    from drugpolicy_kg.resources import Project
    from drugpolicy_kg.uses.networks import build_networks

    nets = build_networks(GraphStore.open(Project.open(tmp_path / "p")).view(), ["co-mandated"])
    assert "Independent resolution 900/1" in " ".join(nets["co-mandated"].graph["notes"])

    # its unlabelled provisions and the facts its quotes do not name: a long report, then its findings by kind
    assert main([*project, "validate", "--no-quotes", "--engine", "sparql"]) == 1
    out = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(out) if "kinds (rule and path), the commonest first:" in line)
    rows = list(itertools.takewhile(lambda line: line[:1].isdigit(), out[at + 3:]))
    counts = [int(line.split()[0].replace(",", "")) for line in rows]
    assert counts == sorted(counts, reverse=True) and len(counts) <= 10
    assert int(out[at].split()[0].replace(",", "")) == sum(counts) + sum(
        int(line.split("(")[1].split()[0].replace(",", "")) for line in out if line.startswith("and ") and "more kinds" in line)
    assert any("NamedEntityShape-label" in line and " label " in line for line in rows)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim: Linux only")
def test_freed_heap_pages_go_back_to_the_system():
    """After a pass that made and dropped much (building the store, reading every quote), ``give_back_memory`` hands
    the C library's free pages back: 100 MB of blocks freed under one still held (so the library cannot shrink its
    heap from the top by itself) leave the process's resident memory, where without it they stay."""
    import subprocess

    code = """
import sys
from drugpolicy_kg.threads import give_back_memory
def anon():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) // 1024 for line in f if line.startswith("RssAnon"))
blocks = [bytes(4000) for _ in range(25_000)]  # (past 512 bytes each: the C library's heap, not Python's arenas)
pin = bytes(4000)  # above them: the heap cannot give back its top
del blocks
before = anon()
if sys.argv[1] == "give":
    give_back_memory()
print(before, anon())
"""
    held = {}
    for how in ("keep", "give"):
        out = subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True, check=True).stdout
        held[how] = [int(x) for x in out.split()]
    kept_before, kept_after = held["keep"]
    before, after = held["give"]
    assert kept_before - kept_after < 20, held  # without it, the freed blocks stay resident
    assert before - after > 60, held  # with it, most of the 100 MB goes back


def test_threads_started_after_few_heaps_share_two_heaps():
    """``few_heaps`` (what `views` and `build` call before their first thread) holds the threads started after it to
    two of the C library's heaps, where each would otherwise take one of its own (what is freed in one stays with
    it): eight threads each allocating while the others do, counted by the library's own report."""
    import subprocess

    code = """
import ctypes, sys, threading
from drugpolicy_kg.threads import few_heaps
if sys.argv[1] == "few":
    few_heaps()
go = threading.Barrier(8)
def work():
    go.wait()
    blocks = [bytes(2000) for _ in range(2000)]  # (past 512 bytes each: the C library's heap, not Python's arenas)
    go.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL("libc.so.6").malloc_stats()  # one "Arena n:" block per heap, on stderr
"""
    heaps = {}
    for how in ("default", "few"):
        err = subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True, check=True).stderr
        heaps[how] = err.count("Arena ")
    assert heaps["few"] <= 2 < heaps["default"], heaps


def test_the_quotes_kept_by_a_process_of_their_own_are_those_read_here(dataset, tmp_path):
    """`views` reads every entity's quotes from the store in a process of its own where they are not kept yet
    (``keep_evidence_apart``), so that it and its second process read them from the memo: the memo holds the quotes a
    tracer reads from the store itself, row for row; a memo already there is left as it is; and where the process
    cannot read the store, nothing is kept and the caller reads them as before."""
    import os

    from drugpolicy_kg.uses.trace import Tracer, _read_rows, keep_evidence_apart

    memo = tmp_path / "evidence.json"
    assert keep_evidence_apart(dataset.location / "db", memo)
    kept = Tracer(dataset.view(), evidence_memo=memo).evidence
    assert kept == Tracer(dataset.view()).evidence and kept
    stamp = os.stat(memo).st_mtime_ns
    assert keep_evidence_apart(dataset.location / "db", memo) and os.stat(memo).st_mtime_ns == stamp
    assert _read_rows(memo) is not None
    missing = tmp_path / "none.json"
    assert not keep_evidence_apart(tmp_path / "no-store" / "db", missing) and not missing.exists()


def test_the_networks_keep_one_object_per_repeated_text(dataset):
    """The pairs of one group share their tooltip, the ties of one passage its text: each such text is one object
    however many ties hold it (at a million triples of bench/synth.py, 88,040 copies of a few thousand tooltips had
    held 38 MB in the process that draws the views)."""
    from collections import Counter, defaultdict

    from drugpolicy_kg.uses import VIEW_NAMES

    nets = build_networks(dataset.view(), VIEW_NAMES)
    uses = Counter()
    for name, g in nets.items():
        texts = defaultdict(set)
        for _, _, d in g.edges(data=True):
            for text in [d.get("title", ""), d.get("label", ""), *d.get("passages", []), *d.get("roles", [])]:
                if isinstance(text, str) and text:
                    texts[text].add(id(text))
                    uses[name, text] += 1
        shared = [t for t, ids in texts.items() if len(ids) > 1]
        assert not shared, f"{name}: {len(shared)} texts held as several objects, e.g. {shared[0][:80]!r}"
    assert sum(1 for n in uses.values() if n > 1) > 100  # (texts that do repeat: the test has something to hold)


def test_the_benchmark_names_the_file_system_it_writes_to(tmp_path):
    """The report says where the commands' outputs went (a disk or memory: a 1.9 GB site is seconds apart)."""
    import sys

    from bench import run_bench

    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/mounts")
    assert run_bench.file_system("/proc") == "proc"
    assert run_bench.file_system("/proc/self/status") == "proc"  # (the longest mount point that holds it)
    assert run_bench.file_system(str(tmp_path)) not in (None, "proc")


def test_the_thin_shape_of_data_is_summed_up_by_distinct_bodies_and_members(tmp_path, small_project, capsys):
    """``bench/thinshape.py``'s data (thin entities, no quotes, memberships piled on a few groups and organizations):
    the trace's summary counts the groups an organization is in and a group's members each once, as the data (read
    here from its N-Triples, not through the project) hold them, however many memberships repeat them."""
    import re
    import subprocess
    import sys

    script = ROOT / "bench" / "thinshape.py"
    proc = subprocess.run([sys.executable, str(script), "--triples", "20000", "--project", str(small_project.root),
                           "--out", str(tmp_path / "p")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    ties: dict[str, dict[str, str]] = {}
    for s, p, o in re.findall(r"^<[^>]*/(tmem\d+)> <http://www.w3.org/ns/org#(member|organization)> <[^>]*/([^/>]+)> \.$",
                               (tmp_path / "p" / "data" / "thinshape.nt").read_text(), re.M):
        ties.setdefault(s, {})[p] = o
    groups_of_torg1 = {t["organization"] for t in ties.values() if t["member"] == "torg1"}
    members_of_tgrp1 = {t["member"] for t in ties.values() if t["organization"] == "tgrp1"}
    memberships = sum(1 for t in ties.values() if t["member"] == "torg1")
    assert len(groups_of_torg1) > 3 and memberships > len(groups_of_torg1)  # (what the test is about)
    assert len(members_of_tgrp1) < sum(1 for t in ties.values() if t["organization"] == "tgrp1")
    project = ["--project", str(tmp_path / "p")]
    assert main([*project, "trace", "torg1"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"It is a member of {len(groups_of_torg1)} bodies, among them " in out
    assert main([*project, "trace", "Thin group 1"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"It has {len(members_of_tgrp1)} members, among them " in out


def test_the_plans_shape_copies_each_fact_with_a_statement_and_quote_of_its_own():
    """bench/planshape.py: every fact of a copy (its subject renamed) has a reified statement of the copy stating it,
    stated by evidence of the copy whose quote is the shipped one; the resolutions stay shared, so a copied mandate
    is issued in a shipped resolution; two copies are two sets of IRIs."""
    import io

    import pyoxigraph as ox

    from bench.planshape import plan_quads, write_copies

    quads, renamed = plan_quads(ROOT)
    out = io.BytesIO()
    n = write_copies(quads, renamed, 2, out)
    triples = list(ox.parse(out.getvalue(), format=ox.RdfFormat.N_TRIPLES))
    assert n == len(triples) == 2 * len(quads)
    rdf, dpo = "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "https://w3id.org/drugpolicy-kg/ontology#"
    by = {}
    for t in triples:
        by.setdefault(t.subject.value, []).append(t)
    stated = set()
    for ts in by.values():
        parts = {t.predicate.value: t.object for t in ts}
        if rdf + "subject" in parts:
            stated.add((parts[rdf + "subject"].value, parts[rdf + "predicate"].value, parts[rdf + "object"]))
    quoted = {t.object.value for t in triples if t.predicate.value == dpo + "states"}
    assert quoted and all(s.endswith(("-plan1", "-plan2")) for s in quoted)  # the copies' statements, not the shipped
    exempt = {rdf + "type", "http://www.w3.org/2000/01/rdf-schema#label"}
    facts = [t for t in triples if t.subject.value.endswith(("-plan1", "-plan2")) and t.predicate.value not in exempt
             and not t.subject.value.rsplit("/", 1)[-1].startswith(("st-", "ev-"))
             and t.predicate.value not in (rdf + "subject", rdf + "predicate", rdf + "object")]
    missing = [t for t in facts if (t.subject.value, t.predicate.value, t.object) not in stated]
    assert facts and not missing, missing[:5]
    issued = {t.object.value for t in triples if t.predicate.value == dpo + "issuedIn"}
    assert issued and not any(r.endswith(("-plan1", "-plan2")) for r in issued)  # shared resolutions


def test_the_many_files_shape_gives_each_file_its_own_source_and_conforms(tmp_path, small_project, capsys):
    """bench/manyfiles.py, run as a user runs it: each data file's evidence names its own source document, whose
    text holds every quote of that file; bodies list members described in other files; the grown project conforms
    (its statements, quotes and shapes), and facts-per-source gives a row for each file's source."""
    import re
    import subprocess
    import sys

    script = ROOT / "bench" / "manyfiles.py"
    out = tmp_path / "p"
    proc = subprocess.run([sys.executable, str(script), "--triples", "8000", "--files", "4", "--project",
                           str(small_project.root), "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    files = sorted((out / "data").glob("manyfiles-*.nt"))
    assert [f.name for f in files] == [f"manyfiles-{i:04d}.nt" for i in range(4)]
    described, members = {}, []
    for i, f in enumerate(files):
        text = f.read_text()
        sources = set(re.findall(r"<http://purl.org/dc/terms/source> <([^>]+)>", text))
        assert sources == {f"https://w3id.org/drugpolicy-kg/id/doc-manyfiles-{i:04d}"}
        source_text = (out / "data" / "sources" / f"manyfiles-{i:04d}.txt").read_text()
        quotes = re.findall(r'<https://w3id.org/drugpolicy-kg/ontology#quote> "((?:[^"\\]|\\.)*)"', text)
        assert quotes and all(q in source_text for q in quotes)
        described.update((s, i) for s in re.findall(r"^<([^>]+)> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>",
                                                     text, re.M))
        members += [(i, o) for o in re.findall(r"<http://www.w3.org/ns/org#member> <([^>]+)>", text)]
    assert any(described.get(o, i) != i for i, o in members)  # a member described in another file
    project = ["--project", str(out)]
    assert main([*project, "validate"]) == 0
    assert "conforms" in capsys.readouterr().out
    assert main([*project, "query", "facts-per-source", "--format", "csv"]) == 0
    rows = capsys.readouterr().out
    assert all(f"manyfiles-{i:04d}.txt" in rows for i in range(4))
