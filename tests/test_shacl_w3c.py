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
