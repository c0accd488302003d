"""The dataset description against the official DCAT-AP 3.0.1 shapes (``tests/dcat-ap``, see its README): the
mandatory properties and the ranges with no violation; the recommended ones as far as the facts exist (what is left
is listed, so a new warning fails)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace

from .conftest import ROOT

SHAPES = ROOT / "tests" / "dcat-ap"
SH = Namespace("http://www.w3.org/ns/shacl#")
DESCRIPTION = "https://w3id.org/drugpolicy-kg/graph/dataset"
# Recommended properties no source states, so the description leaves them out: whether the dumps will stay
# (availability), the kind of publisher and licence in the EU's vocabularies, the places and years the data cover.
NOT_STATED = {("publisher", "type"), ("drugpolicy-kg.ttl", "availability"), ("drugpolicy-kg.nt", "availability"),
              ("drugpolicy-kg.trig", "availability"), ("drugpolicy-kg.nq", "availability"),
              ("drugpolicy-kg.jsonld", "availability"), ("", "type"), ("dataset", "spatial"), ("dataset", "temporal")}


@pytest.fixture(scope="module")
def description(dataset) -> Graph:
    """The description as the dump publishes it: its graph, and what the union says of the concepts it uses."""
    g = Graph()
    g.parse(data=dataset.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(DESCRIPTION)), format="nt")
    for theme in list(g.objects(None, Namespace("http://www.w3.org/ns/dcat#").theme)):
        for sol in dataset.store.query(f"SELECT ?p ?o WHERE {{ <{theme}> ?p ?o }}"):
            g.parse(data=f"<{theme}> {sol['p']} {sol['o']} .", format="nt")
    return g


def _results(graph: Graph, shapes_file: str):
    import pyshacl

    _, report, _ = pyshacl.validate(graph, shacl_graph=Graph().parse(SHAPES / shapes_file), inference="none",
                                    allow_warnings=True)
    return [(str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
             str(report.value(r, SH.focusNode)).rsplit("/", 1)[-1],
             str(report.value(r, SH.resultPath)).rsplit("/", 1)[-1].rsplit("#", 1)[-1])
            for r in report.subjects(SH.resultSeverity, None)]


@pytest.mark.parametrize("shapes_file", ["shapes.ttl", "range.ttl"])
def test_the_description_passes_the_mandatory_shapes_and_ranges(description, shapes_file):
    assert _results(description, shapes_file) == []


def test_the_recommended_properties_are_there_where_a_fact_exists(description):
    left = {(focus, path) for severity, focus, path in _results(description, "shapes_recommended.ttl")}
    assert left == NOT_STATED


def test_the_counts_are_those_of_the_published_dump(dataset, tmp_path):
    """void:triples is the number of triples the N-Triples dump holds, the description's own included."""
    from drugpolicy_kg.cli import main

    assert main(["export", "--format", "nt", "-o", str(tmp_path / "all.nt")]) == 0
    # bytes split on newlines only: str.splitlines would also split a literal at U+2028
    lines = sum(1 for line in (tmp_path / "all.nt").read_bytes().split(b"\n") if line.strip())
    stated = int(next(iter(dataset.store.query(
        "SELECT ?n WHERE { <https://w3id.org/drugpolicy-kg/dataset> <http://rdfs.org/ns/void#triples> ?n }")))["n"].value)
    assert stated == lines
    formats = {sol["f"].value.rsplit(".", 1)[-1] for sol in dataset.store.query(
        "SELECT ?f WHERE { <https://w3id.org/drugpolicy-kg/dataset> <http://www.w3.org/ns/dcat#distribution> ?f }")}
    assert formats == {"ttl", "nt", "trig", "nq", "jsonld"}  # every format `build` writes is described
