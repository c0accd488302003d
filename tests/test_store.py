"""One store under every command: named graphs kept, built once per content of the inputs, shared safely."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pyoxigraph as ox
import pytest

from drugpolicy_kg.cli import main
from drugpolicy_kg.graph.store import GraphStore, cache_root, project_inputs
from drugpolicy_kg.resources import GRAPH_BASE, Project
from drugpolicy_kg.sparql.endpoint import remote_query

from .conftest import ROOT, make_copy

ITWG = "https://w3id.org/drugpolicy-kg/id/itwg"
WHICH_GRAPH = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{ITWG}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }} }} ORDER BY ?g"
SOURCE_GRAPH = GRAPH_BASE + "cnd65-crp-itwg"


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "drugpolicy_kg.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_which_graph_states_this_fact_locally(dataset):
    rows = dataset.select(WHICH_GRAPH)
    assert rows == [(SOURCE_GRAPH,)]
    # the union is the default graph: the same fact without GRAPH
    assert dataset.ask(f"ASK {{ <{ITWG}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}")
    assert GRAPH_BASE + "derived" in dataset.graphs and dataset.graphs[GRAPH_BASE + "derived"] > 0


def test_which_graph_from_the_query_command(capsys):
    assert main(["query", "--sparql", WHICH_GRAPH, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [SOURCE_GRAPH]


# (pushed from the project without the budget sections: what is tried is that each source keeps its named graph)
@pytest.mark.slow
def test_which_graph_on_oxigraph_server(oxigraph_server, small_project, capsys):
    assert main(["--project", str(small_project.root), "push", "--named-graphs", "--endpoint", oxigraph_server.query_url,
                 "--gsp", oxigraph_server.store_url]) == 0
    result = remote_query(oxigraph_server.query_url, WHICH_GRAPH)
    # the shared test server also holds other tests' graphs (the union pushed into one graph): look at ours
    graphs = GraphStore.open(small_project).graphs
    assert [str(r[0]) for r in result.rows if str(r[0]) in graphs] == [SOURCE_GRAPH]


@pytest.mark.slow
def test_which_graph_on_virtuoso(virtuoso_server, small_project, capsys):
    assert main(["--project", str(small_project.root), "push", "--named-graphs", "--endpoint", virtuoso_server.query_url,
                 "--update", virtuoso_server.update_url]) == 0
    result = remote_query(virtuoso_server.query_url, WHICH_GRAPH)
    graphs = GraphStore.open(small_project).graphs
    assert [str(r[0]) for r in result.rows if str(r[0]) in graphs] == [SOURCE_GRAPH]


def test_export_keeps_named_graphs(tmp_path, dataset):
    for fmt, form in (("trig", ox.RdfFormat.TRIG), ("nq", ox.RdfFormat.N_QUADS)):
        out = tmp_path / f"g.{fmt}"
        assert main(["export", "--format", fmt, "-o", str(out)]) == 0
        quads = list(ox.parse(path=str(out), format=form))
        graphs = {q.graph_name.value for q in quads}
        assert graphs == set(dataset.graphs)
        assert len(quads) == sum(dataset.graphs.values())


def test_same_export_twice_is_byte_identical(tmp_path, small_project):
    """(The project without the budget sections: blank nodes, lists and every kind of literal, in a tenth of the
    time.)"""
    small = ["--project", str(small_project.root)]
    for fmt in ("nt", "ttl"):
        a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        assert main([*small, "export", "--format", fmt, "-o", str(a)]) == 0
        assert main([*small, "export", "--format", fmt, "-o", str(b)]) == 0
        assert a.read_bytes() == b.read_bytes()


def test_built_once_reused_rebuilt_when_content_changes(tmp_path):
    proj = make_copy(tmp_path)
    env = {"DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")}
    first = run_cli("--project", str(proj), "stats", "--format", "json", env=env)
    assert first.returncode == 0, first.stderr
    assert "building the graph store" in first.stderr
    second = run_cli("--project", str(proj), "stats", "--format", "json", env=env)
    assert second.returncode == 0 and second.stderr == ""
    assert first.stdout == second.stdout
    # touched but unchanged: the content decides, so no rebuild
    data = proj / "data" / "isn-brochure.ttl"
    os.utime(data, (time.time() + 5, time.time() + 5))
    assert run_cli("--project", str(proj), "stats", env=env).stderr == ""
    # changed: rebuilt, says so, and the new fact is there
    with data.open("a", encoding="utf-8") as fh:
        fh.write('\n<https://w3id.org/drugpolicy-kg/id/isn> <http://www.w3.org/2004/02/skos/core#note> "added" .\n')
    third = run_cli("--project", str(proj), "query", "--sparql",
                    'ASK { <https://w3id.org/drugpolicy-kg/id/isn> skos:note "added" }', env=env)
    assert "building the graph store" in third.stderr
    assert "true" in third.stdout.lower()
    stores = [p for p in (tmp_path / "cache").iterdir() if p.name.startswith("store-")]
    assert len(stores) == 2


def test_a_store_built_on_disk_is_compacted_with_the_same_content(small_project, tmp_path, monkeypatch):
    """The bulk loader's files are compacted once the loads and the derived mandates are in (look-ups read one file
    per index, not one per load); the content and counts are those of a store left as loaded, and a command's store
    is built that way, not only one filled by hand."""
    from drugpolicy_kg.graph import store as store_mod

    calls: list[str] = []

    class Recording:  # pyoxigraph's Store, each method call noted
        def __init__(self, inner):
            self._inner = inner

        def __contains__(self, quad):
            return quad in self._inner

        def __getattr__(self, name):
            attr = getattr(self._inner, name)
            if not callable(attr):
                return attr

            def call(*args, **kwargs):
                calls.append(name)
                return attr(*args, **kwargs)
            return call

    inputs = project_inputs(small_project)
    plain = ox.Store(str(tmp_path / "plain"))
    counts = store_mod.fill(plain, inputs)
    compacted = ox.Store(str(tmp_path / "compacted"))
    assert store_mod.fill(Recording(compacted), inputs, compact=True) == counts
    assert calls.count("optimize") == 1 and calls.index("optimize") > calls.index("update")  # after the derivation
    assert "optimize" not in calls[:calls.index("update")]

    def named(store):  # (blank nodes are labelled afresh by each load)
        quads = list(store.quads_for_pattern(None, None, None, None))
        return len(quads), {q for q in quads if not any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object))}
    assert named(compacted) == named(plain)

    asked = []
    real_fill = store_mod.fill
    monkeypatch.setattr(store_mod, "fill", lambda store, inputs, compact=False: asked.append(compact) or
                        real_fill(store, inputs, compact))
    monkeypatch.setenv("DRUGPOLICY_KG_CACHE", str(tmp_path / "cache"))
    built = GraphStore.open(small_project)
    assert asked == [True] and built.triples == counts["triples"]


def test_commands_started_together_build_once_and_all_read(tmp_path):
    proj = make_copy(tmp_path)
    env = {**os.environ, "DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")}
    procs = [subprocess.Popen([sys.executable, "-m", "drugpolicy_kg.cli", "--project", str(proj), cmd],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for cmd in ("stats", "stats", "validate", "stats")]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [o[1] for o in outs]
    assert sum("building the graph store" in err for _, err in outs) == 1
    assert len([p for p in (tmp_path / "cache").iterdir() if p.name.startswith("store-")]) == 1


def test_a_fifo_in_data_is_refused_not_read(tmp_path):
    proj = make_copy(tmp_path)
    os.mkfifo(proj / "data" / "pipe.ttl")
    proc = run_cli("--project", str(proj), "stats", env={"DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 2
    assert "not a regular file" in proc.stderr and "Traceback" not in proc.stderr


def test_syntax_error_names_file_line_and_column(tmp_path):
    proj = make_copy(tmp_path)
    (proj / "data" / "broken.ttl").write_text("@prefix : <http://x/> .\n:a :b :c :d .\n", encoding="utf-8")
    proc = run_cli("--project", str(proj), "stats", env={"DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 2
    assert "broken.ttl:2:" in proc.stderr and "Turtle syntax error" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2  # the building note and one error line


def test_of_several_broken_files_the_first_in_order_is_named_every_time(tmp_path):
    """Files load two at a time; the error is still the first failing file's, in the project's order."""
    from drugpolicy_kg.graph.store import project_inputs
    from drugpolicy_kg.resources import Project

    proj = make_copy(tmp_path)
    for name in ("zz-broken.ttl", "aa-broken.ttl"):
        (proj / "data" / name).write_text("@prefix : <http://x/> .\n:a :b :c :d .\n", encoding="utf-8")
    order = [i.path.name for i in project_inputs(Project.open(proj))]
    first = min(("aa-broken.ttl", "zz-broken.ttl"), key=order.index)
    for _ in range(2):
        proc = run_cli("--project", str(proj), "stats", env={"DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")})
        assert proc.returncode == 2 and f"{first}:2:" in proc.stderr, proc.stderr


def test_a_data_file_with_a_space_in_its_name(tmp_path):
    proj = make_copy(tmp_path)
    shutil.move(proj / "data" / "isn-brochure.ttl", proj / "data" / "isn brochure.ttl")
    gs = GraphStore.in_memory(project_inputs(Project.open(proj)))
    assert GRAPH_BASE + "isn%20brochure" in gs.graphs


def test_a_store_held_open_is_never_pruned(tmp_path, monkeypatch):
    """Builds for other data prune the least recently used stores, but never one a process has open (a notebook, a
    test session): removing it broke the reader's next query with a missing .sst file."""
    from drugpolicy_kg.graph import store as st

    monkeypatch.setenv("DRUGPOLICY_KG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(st, "KEEP_STORES", 2)
    proj = make_copy(tmp_path)
    held = GraphStore.open(Project.open(proj))
    built = []
    for i in range(3):
        (proj / "data" / "zz.ttl").write_text(f"<https://w3id.org/drugpolicy-kg/id/x{i}> a "
                                              "<http://www.w3.org/2004/02/skos/core#Concept> .\n")
        time.sleep(0.05)  # distinct use times
        built.append(GraphStore.open(Project.open(proj)).location)  # dropped at once: its lock is released
    left = {p for p in (tmp_path / "cache").iterdir() if p.name.startswith("store-")}
    assert held.location in left, "a store in use was removed"
    assert built[0] not in left, "the least recently used store that nobody holds is removed"
    assert built[1] in left and built[2] in left
    assert sum(1 for _ in held.query("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }")) >= held.triples  # every file read
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".tmp-")]


def test_cache_folder_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DRUGPOLICY_KG_CACHE", str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c"
    monkeypatch.delenv("DRUGPOLICY_KG_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_root() == tmp_path / "x" / "drugpolicy-kg"


def test_jsonld_export_reads_as_plain_json_and_means_the_same(tmp_path, small_project):
    """Terms from the context ("label", "hasObjective"), IRIs as strings where a property only ever points at IRIs;
    read back, the same triples as the N-Triples export: by Oxigraph on the whole graph, and by rdflib too on the
    project without the budget sections (the same writer; rdflib's JSON-LD reader takes about 20 s on the whole)."""
    import json

    from rdflib import BNode, Graph

    def export(project, name):
        jl, nt = tmp_path / f"{name}.jsonld", tmp_path / f"{name}.nt"
        assert main(["--project", str(project), "export", "--format", "jsonld", "-o", str(jl)]) == 0
        assert main(["--project", str(project), "export", "--format", "nt", "-o", str(nt)]) == 0
        return jl, nt

    jl, nt = export(ROOT, "whole")
    doc = json.loads(jl.read_text(encoding="utf-8"))
    assert doc["@context"]["hasObjective"] == {"@id": "dpo:hasObjective", "@type": "@id"}
    itwg = next(n for n in doc["@graph"] if n["@id"] == "dpk:itwg")
    assert itwg["@type"] == ["WorkingGroup"] and "dpk:itwg-objective-1" in itwg["hasObjective"]
    assert itwg["altLabel"] == {"@language": "en", "@value": "ITWG"}

    def ground(quads):  # the triples without blank nodes, as N-Triples terms
        return {tuple(str(x) for x in (q.subject, q.predicate, q.object)) for q in quads
                if not any(isinstance(x, ox.BlankNode) for x in (q.subject, q.object))}

    read_jl = list(ox.parse(path=str(jl), format=ox.RdfFormat.JSON_LD))
    read_nt = list(ox.parse(path=str(nt), format=ox.RdfFormat.N_TRIPLES))
    assert len(read_jl) == len(read_nt) > 200_000 and ground(read_jl) == ground(read_nt)
    small_jl, small_nt = export(small_project.root, "small")
    a, b = Graph().parse(small_jl, format="json-ld"), Graph().parse(small_nt, format="nt")
    rdf_ground = lambda g: {t for t in g if not any(isinstance(x, BNode) for x in t)}  # noqa: E731
    assert len(a) == len(b) > 1000 and rdf_ground(a) == rdf_ground(b)
    context = json.loads((tmp_path / "context.jsonld").read_text()) if (tmp_path / "context.jsonld").exists() else None
    assert context is None or "hasObjective" in context["@context"]


def test_the_dataset_describes_itself(dataset):
    """VoID and DCAT: title, licence, sources with their terms, dumps, and counts per class and per graph."""
    rows = dataset.select("""PREFIX void: <http://rdfs.org/ns/void#> PREFIX dcat: <http://www.w3.org/ns/dcat#>
        SELECT ?licence ?triples (COUNT(DISTINCT ?src) AS ?sources) (COUNT(DISTINCT ?dist) AS ?dumps)
               (COUNT(DISTINCT ?cp) AS ?classes) (COUNT(DISTINCT ?sub) AS ?graphs) WHERE {
          ?ds a void:Dataset, dcat:Dataset ; dcterms:license ?licence ; void:triples ?triples ;
              prov:wasDerivedFrom ?src ; dcat:distribution ?dist ; void:classPartition ?cp ; void:subset ?sub .
          FILTER(?ds = <https://w3id.org/drugpolicy-kg/dataset>) } GROUP BY ?licence ?triples""")
    licence, triples, sources, dumps, classes, graphs = rows[0]
    assert str(licence) == "https://creativecommons.org/licenses/by/4.0/" and int(str(triples)) > 30000
    assert (int(str(sources)), int(str(dumps))) == (4, 5) and int(str(classes)) > 20 and int(str(graphs)) >= 14
    rights = dataset.select("""SELECT ?doc ?rights WHERE { <https://w3id.org/drugpolicy-kg/dataset>
        prov:qualifiedDerivation [ prov:entity ?doc ; dcterms:rights ?rights ] }""")
    assert len(rights) == 4 and all(str(r) for _, r in rights)
    itwg = dataset.select("""PREFIX void: <http://rdfs.org/ns/void#> SELECT ?n WHERE {
        <https://w3id.org/drugpolicy-kg/dataset> void:classPartition [ void:class dpo:WorkingGroup ; void:entities ?n ] }""")
    assert [int(str(n)) for (n,) in itwg] == [1]


def test_the_description_counts_what_the_store_holds(dataset):
    """Each count the build writes is what a query of the built store counts: the union's triples (the triple that
    states it included), each named graph's triples, each class's entities (the subsets typed void:Dataset among
    them); and the counts the store keeps in its metadata are the same."""
    from drugpolicy_kg.graph.store import counts

    void = "PREFIX void: <http://rdfs.org/ns/void#> PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> "
    ds = "<https://w3id.org/drugpolicy-kg/dataset>"
    now = counts(dataset.store)
    assert {k: dataset.meta[k] for k in ("triples", "graphs")} == now
    [(stated,)] = dataset.select(f"{void} SELECT ?n WHERE {{ {ds} void:triples ?n }}")
    assert int(str(stated)) == now["triples"]
    subsets = {str(g): int(str(n)) for g, n in dataset.select(
        f"{void} SELECT ?g ?n WHERE {{ {ds} void:subset [ sd:name ?g ; void:triples ?n ] }}")}
    assert subsets == {g: n for g, n in now["graphs"].items() if not g.endswith("/graph/dataset")}
    partitions = {str(c): int(str(n)) for c, n in dataset.select(
        f"{void} SELECT ?c ?n WHERE {{ {ds} void:classPartition [ void:class ?c ; void:entities ?n ] }}")}
    recount = {str(c): int(str(n)) for c, n in dataset.select(
        "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?c } GROUP BY ?c")}
    assert partitions == recount and partitions["http://rdfs.org/ns/void#Dataset"] == len(subsets) + 1


def _limited_files(limit: int):
    def apply():  # pragma: no cover - runs in the child
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    return apply


def test_a_store_this_process_may_not_open_is_kept_and_a_held_damaged_one_too(small_project, tmp_path):
    """Opening can fail for the process (too few open files allowed) or for the store (damaged). The first leaves
    the store as it is, with what to do; the second removes it to be built again, unless another process holds it
    (a running serve): `ulimit -n 20; stats` had removed the store from under a serve."""
    env = {"DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")}
    root = str(small_project.root)
    assert run_cli("--project", root, "stats", env=env).returncode == 0
    store_dir = next((tmp_path / "cache").glob("store-*"))
    proc = subprocess.run([sys.executable, "-m", "drugpolicy_kg.cli", "--project", root, "stats"], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=300, preexec_fn=_limited_files(20))
    assert proc.returncode == 2 and "cannot open the graph store" in proc.stderr and "Traceback" not in proc.stderr
    assert (store_dir / "meta.json").is_file()
    again = run_cli("--project", root, "stats", env=env)
    assert again.returncode == 0 and "building" not in again.stderr  # the same store, not rebuilt
    # damaged (its files gone) while another process holds it: kept, and said so
    from drugpolicy_kg.locks import shared

    fd = os.open(store_dir / "in-use", os.O_RDWR)
    shared(fd)
    try:
        for f in (store_dir / "db").iterdir():
            if f.name.startswith(("CURRENT", "MANIFEST")):
                f.unlink()
        held = run_cli("--project", root, "stats", env=env)
        assert held.returncode == 2 and "another process has it open" in held.stderr, held.stderr
        assert (store_dir / "meta.json").is_file()
    finally:
        os.close(fd)
    freed = run_cli("--project", root, "stats", env=env)
    assert freed.returncode == 2 and "run the command again to rebuild it" in freed.stderr
    assert run_cli("--project", root, "stats", env=env).returncode == 0
