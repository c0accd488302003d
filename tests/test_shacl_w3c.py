"""Conformance with the W3C SHACL core test suite (98 tests, ``tests/w3c-shacl/core``).

The compiled engine (``validate --engine sparql``, and ``auto`` above 50,000 triples) must, on every test, either
refuse the shapes graph (it names the feature it does not support) or give the expected report: never a wrong
answer. It was wrong on 67 of them (reporting "conforms" where violations were expected) before it learned the
targets, paths, parameters, literal checks and shapes inside shapes it now implements, and to refuse the rest: now
97 right, 1 refused.
pySHACL, the reference, is held to the suite too.
"""

from __future__ import annotations

from collections import Counter

import pytest

from .conftest import FIGURES
from .w3c_shacl import cases, grade, run_pyshacl, run_sparql_engine

CASES = cases()
TALLY: dict[str, Counter] = {"sparql": Counter(), "pyshacl": Counter()}


def test_the_suite_is_all_there():
    assert len(CASES) == 98
    assert {c.name.split("/")[0] for c in CASES} == {"complex", "misc", "node", "path", "property", "targets",
                                                     "validation-reports"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_compiled_engine_is_right_or_refuses(case):
    outcome = grade(case, *run_sparql_engine(case))
    TALLY["sparql"][outcome] += 1
    FIGURES["W3C SHACL core, compiled engine"] = ", ".join(f"{k} {v}" for k, v in sorted(TALLY["sparql"].items()))
    assert outcome != "wrong"


def test_the_compiled_engine_answers_most_of_the_suite():
    """Refusing everything would be safe and useless: the engine answers the tests of what the project's shapes use
    (and more), right."""
    right = sum(grade(c, *run_sparql_engine(c)) == "right" for c in CASES)
    assert right >= 97


# Where pySHACL, run as here (data and shapes graphs parsed by rdflib), gives another report than the suite expects:
# in the three sh:node tests it also reports the inner shape's own results for the value nodes (which carry no target
# of theirs in the expected report), and rdflib reads sh:uniqueLang "1"^^xsd:boolean as true.
PYSHACL_KNOWN_WRONG = {"node/node-001", "property/node-001", "property/node-002", "property/uniqueLang-002"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pyshacl_is_right(case):
    outcome = grade(case, *run_pyshacl(case))
    TALLY["pyshacl"][outcome] += 1
    FIGURES["W3C SHACL core, pySHACL"] = ", ".join(f"{k} {v}" for k, v in sorted(TALLY["pyshacl"].items()))
    if case.name in PYSHACL_KNOWN_WRONG:
        pytest.xfail("a known pySHACL deviation")
    assert outcome == "right"


MAX_COUNT_DATA = """@prefix ex: <http://example.org/> .
ex:a ex:p 1, 2 . ex:b ex:p 1 . ex:c ex:p 1, 2, 3 ; ex:q 1 . ex:d ex:q 1, 2 ; a ex:C . ex:e a ex:C .
ex:f ex:r 1, 2 . ex:g ex:p ex:f . ex:h ex:q 1 .
"""
MAX_COUNT_SHAPES = """@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
ex:SubjectsOfP a sh:PropertyShape ; sh:targetSubjectsOf ex:p ; sh:path ex:p ; sh:maxCount 1 .
ex:SubjectsOfPOrC a sh:NodeShape ; sh:targetSubjectsOf ex:p ; sh:targetClass ex:C ;
    sh:property [ sh:path ex:p ; sh:maxCount 2 ] , [ sh:path ex:q ; sh:maxCount 1 ] .
ex:SubjectsOfR a sh:NodeShape ; sh:targetSubjectsOf ex:r ; sh:property [ sh:path [ sh:inversePath ex:p ] ; sh:maxCount 0 ] .
ex:SubjectsOfQ a sh:NodeShape ; sh:targetSubjectsOf ex:q ; sh:property [ sh:path ex:q ; sh:maxCount 1 ;
    sh:node [ sh:property [ sh:path ex:p ; sh:maxCount 1 ] ] ] .
"""


def test_max_count_over_the_subjects_it_targets_agrees_with_pyshacl(tmp_path):
    """A shape that targets the subjects of the path it bounds (sh:targetSubjectsOf ex:p, sh:path ex:p) is compiled
    to count every node's values and keep the targeted ones; with other targets beside it, another path, an inverse
    path and a nested shape (compiled as before), the compiled engine finds what pySHACL finds, and each kind of
    shape finds something."""
    from drugpolicy_kg.checks.shacl_sparql import compile_shapes, read_shapes

    from .w3c_shacl import Case, run_pyshacl, run_sparql_engine

    data, shapes = tmp_path / "data.ttl", tmp_path / "shapes.ttl"
    data.write_text(MAX_COUNT_DATA, encoding="utf-8")
    shapes.write_text(MAX_COUNT_SHAPES, encoding="utf-8")
    case = Case("maxCount over its targets", shapes, data, shapes, False, Counter())
    assert run_sparql_engine(case) == run_pyshacl(case)
    found = run_sparql_engine(case)[1]
    assert sorted(focus.rsplit("/", 1)[-1] for focus, _path, _c in found.elements()) == ["a", "c", "c", "d", "d", "f"]
    checks = compile_shapes(read_shapes(shapes))
    counted_first = [c for c in checks if "GROUP BY ?this HAVING (COUNT(DISTINCT ?x) >" in c.query]
    # the counted nodes joined with the targets listed once: a FILTER EXISTS there was planned now one way, now another
    assert not any("FILTER EXISTS" in c.query for c in checks)
    assert sorted(c.path.rsplit("/", 1)[-1] for c in counted_first) == ["p", "p", "q"]  # (not ex:q beside a class)
