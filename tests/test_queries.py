"""Competency questions: headers, expected results, and the same answers locally, on Oxigraph and on Virtuoso."""

from __future__ import annotations

import json
import re
import time

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from drugpolicy_kg.cli import main
from drugpolicy_kg.resources import Project
from drugpolicy_kg.sparql.endpoint import graph_payload, push, remote_query, store_payload
from drugpolicy_kg.sparql.query import LocalEngine, bind_params, list_queries, query_form, values_clause, with_values
from drugpolicy_kg.sparql.results import to_tsv

from .conftest import FIGURES, FIXTURES, ROOT

EXPECTED = ROOT / "tests" / "expected"
QUERIES = list_queries(Project.open(ROOT))
IDS = [q.name for q in QUERIES]
GRAPH = "https://w3id.org/drugpolicy-kg/graph/test"
# Queries that find nothing in the shipped data, by design: a test below gives each something to find.
EMPTY_ON_REAL_DATA = {"sources-differ"}


@pytest.fixture(scope="module")
def engine():
    return LocalEngine(Project.open(ROOT))


@pytest.fixture(scope="module")
def small_engine(tmp_path_factory):
    """The project without the budget sections, where what is tried is how a push travels, not what it carries."""
    from .conftest import make_copy

    return LocalEngine(Project.open(make_copy(tmp_path_factory.mktemp("small-engine"))))


def rows_of(result):
    head, *rows = to_tsv(result).splitlines()
    return head, set(rows)


def expected_rows(name):
    head, *rows = (EXPECTED / f"{name}.tsv").read_text(encoding="utf-8").splitlines()
    return head, set(rows)


def test_query_folder_found():
    assert len(QUERIES) >= 15
    assert FIXTURES.is_dir()


@pytest.mark.parametrize("query", QUERIES, ids=IDS)
def test_header_and_prefixes(query):
    assert query.summary, f"{query.name}: no '#+ summary:'"
    assert query.audience in ("analyst", "researcher", "policymaker"), query.name
    assert "params" in query.meta, f"{query.name}: no '#+ params:' line"
    declared = set(re.findall(r"^PREFIX\s+(\w*):", query.text, re.M))
    body = "\n".join(line for line in query.text.splitlines() if not line.startswith(("#", "PREFIX")))
    used = set(re.findall(r"(?<![\w<\"?])([a-z][\w-]*):\w", body)) - {"http", "https"}
    assert used <= declared, f"{query.name} uses undeclared prefixes {used - declared}"


SECTIONS = ("A/80/6 (Sect. 16)", "A/80/6 (Sect. 24)")
BY_SECTION = [q for q in QUERIES if q.params.get("document") == '""']


@pytest.mark.parametrize("query", BY_SECTION, ids=[q.name for q in BY_SECTION])
def test_document_restricts_a_query_to_one_section(engine, query):
    """Every ready query with a ``document`` parameter answers for one budget section: the two sections' rows are the
    whole, row for row (a query that counts, as mandates-by-year, counts within the section: its rows are only held
    to be there)."""
    from collections import Counter

    def rows(document: str) -> Counter:
        r = engine.run(query.text, bind_params(query, {"document": document}))
        at = r.variables.index("document")
        return Counter(tuple(None if t is None else t.n3() for k, t in enumerate(row) if k != at) for row in r.rows)

    whole, parts = rows(""), [rows(s) for s in SECTIONS]
    assert any(parts) and all(sum(p.values()) <= sum(whole.values()) for p in parts), query.name  # (Sect. 24 names
    # no Goal a subprogramme serves: its one target, 12.6, is the office's operations, refused at review)
    select = re.search(r"^SELECT .*$", query.text, re.M).group(0)
    if "COUNT(" not in select:
        assert parts[0] + parts[1] == whole, query.name


# other values each parameter is tried with, beside its default: as a user names them (resolved to IRIs as `query
# --param` resolves them), or literals
OTHER_VALUES = {"document": ["A/80/6 (Sect. 24)", "no such section"], "body": ["UNODC", "CND", "Human Rights Council"],
                "actor": ["UNODC", "WHO"], "resolution": ["70/1", "res-hrc-31-1"], "activity": ["ISN"],
                "target": ["<http://metadata.un.org/sdg/5.2>"], "goal": ["<http://metadata.un.org/sdg/5>"],
                "lang": ['"en"', '"zz"'], "meeting": ["<https://w3id.org/drugpolicy-kg/id/event-cnd-65>"],
                "programme": ["A/80/6 (Sect. 24), subprogramme 2"], "subject": ["ITWG"]}


@pytest.mark.parametrize("query", [q for q in QUERIES if q.params], ids=[q.name for q in QUERIES if q.params])
def test_values_bound_in_the_text_too_give_the_substitutions_rows(engine, query):
    """The local engine binds a query's parameters as substitutions and in a VALUES block opening its WHERE clause
    (Oxigraph orders the patterns knowing the values only from the block): the same rows as the substitutions alone
    gave, for each parameter's default and other values."""
    import pyoxigraph as ox

    from drugpolicy_kg.graph.oxi import to_oxigraph_term

    def answer(res):
        return bool(res) if isinstance(res, ox.QueryBoolean) else sorted(tuple(map(str, r)) for r in res)

    def substituted_only(bindings):
        return answer(engine.gs.query(query.text, {ox.Variable(k): to_oxigraph_term(v) for k, v in bindings.items()}))

    def both(bindings):
        return answer(engine.execute(query.text, bindings, query.name))

    others = dict(OTHER_VALUES)
    if query.params.get("document", "").startswith("<"):  # (a source document by its IRI, not a section's symbol)
        others["document"] = ["<https://w3id.org/drugpolicy-kg/id/doc-cnd65-crp-itwg>"]
    tried = [{}] + [{name: value} for name in query.params for value in others[name]]
    found = 0
    for asked in tried:
        bindings = bind_params(query, asked, engine.resolver())
        expected = substituted_only(bindings)
        assert both(bindings) == expected, (query.name, asked)
        found += bool(expected)
    assert found, query.name


def test_a_parameter_a_ready_query_does_not_take_is_named_with_those_it_does(capsys):
    """"--param foo=1" on a query that declares its parameters (none, or others) is one line naming what it takes,
    not the engine's words about a variable missing from its projection."""
    assert main(["query", "organizations", "--param", "foo=1"]) == 2
    assert capsys.readouterr().err.strip().endswith("unknown parameter(s) foo for organizations; accepted: none")
    assert main(["query", "deliverables", "--param", "section=x"]) == 2
    assert "accepted: document" in capsys.readouterr().err


@pytest.mark.parametrize("query", QUERIES, ids=IDS)
def test_local_result_matches_expected(engine, query):
    result = engine.run(query.text, bind_params(query, {}), query.name)
    if result.kind == "graph":
        assert isomorphic(result.graph, Graph().parse(EXPECTED / f"{query.name}.nt", format="nt"))
    else:
        assert rows_of(result) == expected_rows(query.name)
        assert result.kind == "ask" or result.rows or query.name in EMPTY_ON_REAL_DATA, \
            f"{query.name} returns no rows on the real data"


def test_expected_files_cover_every_query():
    names = {p.stem for p in EXPECTED.iterdir()}
    assert names == set(IDS)


def test_injection_string_matches_nothing(engine, capsys):
    evil = 'fr" ) } UNION { ?target ?p ?title } #'
    query = next(q for q in QUERIES if q.name == "sdg-target-titles")
    bindings = bind_params(query, {"lang": evil})
    assert engine.run(query.text, bindings).rows == []
    assert "UNION" not in values_clause(bindings).split('"')[0]
    assert main(["query", "sdg-target-titles", "--param", f"lang={evil}", "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip() == "goal,lang,target,code,title"


def test_params_by_name_and_errors(capsys):
    assert main(["query", "members-of-body", "--param", "body=ITWG", "--format", "tsv"]) == 0
    assert "observer" in capsys.readouterr().out
    # the brochure names no members of the ISN: UNODC and WHO implement it (dpo:implementedBy)
    assert main(["query", "members-of-body", "--param", "body=ISN", "--format", "tsv"]) == 0
    assert capsys.readouterr().out.count("\n") == 1
    assert main(["query", "members-of-body", "--param", "nope=1"]) == 2
    assert "accepted: body" in capsys.readouterr().err
    assert main(["query", "members-of-bdy"]) == 2
    assert "did you mean: members-of-body" in capsys.readouterr().err
    assert main(["query", "--sparql", "SELECT * WHERE {\n  ?s ?p \n}"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"--sparql:3:\d+: SPARQL syntax error", err) and "Traceback" not in err
    assert main(["query", "members-of-body", "--format", "ttl"]) == 2
    assert main(["query", "membership-graph", "--format", "nt"]) == 0
    assert "http://www.w3.org/ns/org#memberOf" in capsys.readouterr().out


def test_a_query_named_is_read_from_its_own_file(copy_project, capsys):
    """`query NAME` reads queries/NAME.rq alone (reading and checking all 38 took a third of a warm query's time):
    a broken file beside it no longer stops it, while a name with no file of its own is still looked up among all,
    and `--list` still reads them all and names the broken one."""
    (copy_project / "queries" / "zz-broken.rq").write_bytes(b"SELECT * WHERE { ?s ?p \xff }")  # (not UTF-8)
    assert main(["--project", str(copy_project), "query", "sdg-links", "--format", "tsv"]) == 0
    assert capsys.readouterr().out.startswith("?")
    assert main(["--project", str(copy_project), "query", "--list"]) == 2
    assert "zz-broken.rq" in capsys.readouterr().err
    assert main(["--project", str(copy_project), "query", "sdg-link"]) == 2
    assert "zz-broken.rq" in capsys.readouterr().err  # (the listing it needs for a suggestion)
    (copy_project / "queries" / "zz-broken.rq").unlink()
    assert main(["--project", str(copy_project), "query", "sdg-link"]) == 2
    assert "did you mean: sdg-links" in capsys.readouterr().err


def test_query_list_shows_summaries_and_params(capsys):
    assert main(["query", "--list"]) == 0
    out = capsys.readouterr().out
    assert "members-of-body" in out and "body=<https://w3id.org/drugpolicy-kg/id/itwg>" in out
    assert out.count("audience:") == len(QUERIES)


@pytest.fixture(scope="module")
def local_graph(engine):
    return engine.graph


def _push_and_compare(engine, endpoint_query, gsp, update, quirks):
    first = push(store_payload(engine.gs), endpoint_query, GRAPH, gsp=gsp, update=update, timeout=300)
    assert first.triples_sent == first.triples_on_server == engine.gs.triples
    mismatched = []
    for query in QUERIES:
        bindings = bind_params(query, {})
        started = time.monotonic()
        for attempt in (1, 2):
            try:
                # (the answers are compared, not the speed: a loaded machine may take Virtuoso past the default 30 s;
                # every query takes it under 1.1 s alone, yet twice in a suite run it stalled on one past 300 s, not
                # reproduced: a stall is retried once and counted in the run's figures, a refusal fails at once)
                result = remote_query(endpoint_query, with_values(query.text, bindings), default_graph=GRAPH, timeout=120)
                break
            except Exception as exc:  # name the query the server refused, and how long it took
                stalled = "timed out" in str(exc)
                if attempt == 1 and stalled:
                    FIGURES[f"server stalls retried ({endpoint_query.rsplit(':', 1)[-1]})"] = query.name
                    continue
                raise AssertionError(f"{query.name} (after {time.monotonic() - started:.1f} s): {exc}") from None
        if result.kind == "graph":
            if not isomorphic(result.graph, Graph().parse(EXPECTED / f"{query.name}.nt", format="nt")):
                mismatched.append(query.name)
        else:
            got = {quirks(r, query.name) for r in rows_of(result)[1]}
            want = {quirks(r, query.name) for r in expected_rows(query.name)[1]}
            if got != want:
                mismatched.append((query.name, sorted(got - want)[:3], sorted(want - got)[:3]))
    return mismatched


def test_a_push_sends_what_rdflib_would_write_in_a_fraction_of_the_time(small_engine):
    """`push` writes its N-Triples with Oxigraph from the store; rdflib's copy, skolemize and serializer (the way
    before, and still the way for an rdflib graph) write the same triples: the same count, the same triples apart
    from the names blank nodes get, read back by a parser."""
    import pyoxigraph as ox

    a, b = store_payload(small_engine.gs), graph_payload(small_engine.gs.union_graph())

    def read(payload):
        triples = list(ox.parse(payload.nt, format=ox.RdfFormat.N_TRIPLES))
        return len(triples), {t for t in triples if "/.well-known/genid/" not in str(t)}

    assert a.triples == b.triples == small_engine.gs.triples and read(a) == read(b)
    assert sum(1 for t in ox.parse(a.nt, format=ox.RdfFormat.N_TRIPLES) if "/.well-known/genid/" in str(t)) == sum(
        1 for t in ox.parse(b.nt, format=ox.RdfFormat.N_TRIPLES) if "/.well-known/genid/" in str(t))


@pytest.mark.slow
def test_oxigraph_server_same_answers(engine, oxigraph_server):
    mismatched = _push_and_compare(engine, oxigraph_server.query_url, oxigraph_server.store_url, None, concat_order)
    assert mismatched == [], mismatched


@pytest.mark.slow
@pytest.mark.parametrize("server, how", [("oxigraph_server", "gsp"), ("oxigraph_server", "update"),
                                         ("virtuoso_server", "update")])
def test_a_second_push_leaves_exactly_one_copy(small_engine, request, server, how):
    """Pushing the same graph again replaces it, by the Graph Store Protocol or by SPARQL Update, on Oxigraph and on
    Virtuoso: the server holds one copy, never two."""
    srv = request.getfixturevalue(server)
    kw = {"gsp": srv.store_url} if how == "gsp" else {"update": srv.update_url}
    graph = f"{GRAPH}-twice-{how}"
    payload = store_payload(small_engine.gs)
    first = push(payload, srv.query_url, graph, timeout=300, **kw)
    again = push(payload, srv.query_url, graph, timeout=300, **kw)
    assert first.triples_on_server == again.triples_on_server == small_engine.gs.triples


@pytest.mark.slow
def test_oxigraph_update_fallback_then_move(small_engine, oxigraph_server):
    """Without the Graph Store Protocol, a push goes as SPARQL Update in chunks into a staging graph, then MOVE."""
    engine = small_engine
    report = push(store_payload(engine.gs), oxigraph_server.query_url, GRAPH + "-update", update=oxigraph_server.update_url, chunk=2000,
                  timeout=180)
    assert report.method.startswith("SPARQL Update") and report.triples_on_server == engine.gs.triples
    # this push's own staging graphs (the server is shared with other tests of the worker: an interrupted push of
    # test_reliability may leave one of its own, a known open case of #31)
    staging = remote_query(oxigraph_server.query_url,
                           "SELECT ?g WHERE { GRAPH ?g { } FILTER(STRSTARTS(STR(?g), '" + GRAPH + "-update#staging')) }")
    assert staging.rows == []


XSD = "http://www.w3.org/2001/XMLSchema#"


NAME_PAIRS = {"organizations": (2, 3), "members-of-body": (3, 4), "participants-of-meeting": (3, 4),
              "corroboration": (4, 5)}  # MIN and MAX of strings  # the acronym and alsoKnownAs columns


def concat_order(row: str, _name: str = "") -> str:
    """GROUP_CONCAT joins a group's values in the order the engine meets them, which SPARQL leaves open: compare
    the values of a " | "-joined cell as a set."""
    return "\t".join(" | ".join(sorted(c.strip('"').split(" | "))) if " | " in c else c for c in row.split("\t"))


def datatype_quirks(row: str, name: str = "") -> str:
    """Documented quirks (README): Oxigraph returns values of integer subtypes such as xsd:positiveInteger
    typed xsd:integer (so TSV writes them bare); Virtuoso keeps the stored type. Compare them as integers.
    Virtuoso returns booleans as "0"/"1"^^xsd:boolean; compare them as false/true. MIN and MAX over
    strings follow the server's collation (Virtuoso's ignores case), so the two names an organization
    has may come out in either column: compare them as a pair."""
    row = re.sub(rf'"([+-]?[0-9]+)"\^\^<{XSD}(?:positiveInteger|nonNegativeInteger|int|long|integer)>', r"\1", row)
    row = row.replace(f'"0"^^<{XSD}boolean>', "false").replace(f'"1"^^<{XSD}boolean>', "true")
    cells = row.split("\t")
    if name in NAME_PAIRS:
        a, b = NAME_PAIRS[name]
        if cells[b]:
            cells[a], cells[b] = sorted((cells[a], cells[b]))
    return concat_order("\t".join(cells))


@pytest.mark.slow
def test_virtuoso_same_answers(engine, virtuoso_server):
    mismatched = _push_and_compare(engine, virtuoso_server.query_url, None, virtuoso_server.update_url, datatype_quirks)
    assert mismatched == [], mismatched


SELECTS = [q for q in QUERIES if query_form(q.text) == "SELECT"]  # (a CONSTRUCT may hold a sub-select)


@pytest.mark.parametrize("query", SELECTS, ids=[q.name for q in SELECTS])
def test_serialisations_match_oxigraphs_own(engine, query):
    """Our CSV and TSV writers are byte-identical to Oxigraph's for the same rows; JSON is equal once parsed."""
    import json

    import pyoxigraph as ox

    from drugpolicy_kg.graph.oxi import to_oxigraph_term
    from drugpolicy_kg.sparql.results import to_csv, to_json, to_xml

    bindings = bind_params(query, {})
    subs = {ox.Variable(k): to_oxigraph_term(v) for k, v in bindings.items()} or None
    ours = engine.run(query.text, bindings)

    answer = engine.gs.query(query.text, subs).serialize(format=ox.QueryResultsFormat.JSON)

    def theirs(fmt):  # Oxigraph's writers on Oxigraph's rows, the query run once (its own JSON, read back)
        return ox.parse_query_results(answer, format=ox.QueryResultsFormat.JSON).serialize(format=fmt).decode()

    assert to_csv(ours) == theirs(ox.QueryResultsFormat.CSV)
    assert to_tsv(ours) == theirs(ox.QueryResultsFormat.TSV)
    assert json.loads(to_json(ours)) == json.loads(theirs(ox.QueryResultsFormat.JSON))
    parsed = ox.parse_query_results(to_xml(ours).encode(), format=ox.QueryResultsFormat.XML)
    assert len(list(parsed)) == len(ours.rows)


def test_ask_and_describe(capsys):
    assert main(["query", "body-serves-target", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"head": {}, "boolean": True}
    assert main(["query", "body-serves-target", "--param", "target=sdg:16", "--format", "csv"]) == 0
    assert capsys.readouterr().out == "_askResult\r\nfalse\r\n"
    assert main(["query", "--sparql", "DESCRIBE <https://w3id.org/drugpolicy-kg/id/itwg>", "--format", "nt"]) == 0
    out = capsys.readouterr().out
    assert "<https://w3id.org/drugpolicy-kg/id/itwg> <http://www.w3.org/2004/02/skos/core#altLabel> \"ITWG\"@en" in out


SHORT_TITLE = "Promoting evidence-based drug prevention"


def _sources_differ_with_another_source(project, name: str, more_text: str = "", more_data: str = "") -> list[tuple]:
    """sources-differ's rows once a source ``name`` (its text file and data file) gives resolution 64/3 a short title
    by a quote on line 1, with ``more_text`` and ``more_data`` beside it."""
    (project / "data" / "sources" / f"{name}.txt").write_text(
        f"Resolution 64/3, entitled {SHORT_TITLE}.\n{more_text}", encoding="utf-8")
    (project / "data" / f"{name}.ttl").write_text(f"""
@prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> . @prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
dpk:doc-{name} a dpo:SourceDocument ; rdfs:label "Another source"@en ; dpo:textFile "{name}.txt" .
dpk:res-cnd-64-3 dcterms:title "{SHORT_TITLE}"@en .
dpk:ev-{name} a dpo:Evidence ; dcterms:source dpk:doc-{name} ; dpo:locator "line 1" ;
    dpo:quote "Resolution 64/3, entitled {SHORT_TITLE}." ;
    dpo:states [ rdf:subject dpk:res-cnd-64-3 ; rdf:predicate dcterms:title ; rdf:object "{SHORT_TITLE}"@en ] .
{more_data}
""", encoding="utf-8")
    engine = LocalEngine(Project.open(project))
    q = next(q for q in QUERIES if q.name == "sources-differ")
    return [tuple(str(v) for v in r) for r in engine.run(q.text, {}).rows]


def test_sources_differ_finds_a_disagreement(copy_project):
    """Two sources giving one resolution two titles: the query shows both values, each with its source."""
    rows = _sources_differ_with_another_source(copy_project, "zz-other")
    assert any(r[0].endswith("res-cnd-64-3") and "zz-other.txt" in (r[3], r[5]) for r in rows), rows


@pytest.mark.parametrize("also_states_the_other", [False, True])
def test_sources_differ_passes_over_a_source_that_states_both_values(copy_project, also_states_the_other):
    """A source that gives both titles does not differ from one that gives one of them: the pair is shown only where
    the first source does not also state the second value (the query's MINUS of what the first file states)."""
    real = ("Promoting scientific evidence-based, quality, affordable and comprehensive drug prevention, treatment, "
            "sustained recovery and related support services")
    both = also_states_the_other
    also = (f"""dpk:ev-aa-other2 a dpo:Evidence ; dcterms:source dpk:doc-aa-other ; dpo:locator "line 2" ;
    dpo:quote "{real}" ; dpo:states [ rdf:subject dpk:res-cnd-64-3 ; rdf:predicate dcterms:title ; rdf:object "{real}"@en ] .""")
    rows = _sources_differ_with_another_source(copy_project, "aa-other", f"Also known as {real}.\n" if both else "",
                                               also if both else "")
    ours = [r for r in rows if r[0].endswith("res-cnd-64-3")]
    if both:
        assert ours == [], rows
    else:
        assert len(ours) == 1 and ours[0][3] == "aa-other.txt" and ours[0][2] == SHORT_TITLE
        assert ours[0][4] == real and ours[0][5] != "aa-other.txt", ours


# ------------------------------------------------------------ analysts (#15) --

def test_project_prefixes_need_no_declaration(capsys):
    assert main(["query", "--sparql", "SELECT ?o WHERE { ?o a org:FormalOrganization ; skos:altLabel 'CND'@en }"]) == 0
    assert "dpk:org-cnd" in capsys.readouterr().out
    assert main(["query", "--prefixes"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert "PREFIX dpk: <https://w3id.org/drugpolicy-kg/id/>" in listed and len(listed) >= 10


@pytest.mark.parametrize("text,message", [
    ("SELECT ?o WHERE { ?o a foo:Bar }", "undefined prefix 'foo:' (known: bibo, dcat, dcterms, dpk, dpo"),
    ("PREFIX x: <http://x/> INSERT DATA { x:a x:b x:c }", "updates are not run by query"),
    ("# a comment\nDELETE WHERE { ?s ?p ?o }", "updates are not run by query"),
    ("SELECT * { ?s ?p 'foo:bar' } # bar:baz", None),  # in a literal or a comment it is no prefix
    ("SELECT ?load ?service { ?load a schema:Service }", "undefined prefix 'schema:'"),
])
def test_one_line_for_what_query_cannot_run(capsys, text, message):
    code = main(["query", "--sparql", text])
    err = capsys.readouterr().err
    if message is None:
        assert code == 0 and "error" not in err  # (stderr may say the store was built for this run)
    else:
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_a_parameter_bound_in_the_text_leaves_the_users_query_its_own_words(capsys):
    """The VALUES block the local engine opens the WHERE clause with never shows: a query that BINDs the parameter
    itself answers as substitution alone answers it (no rows), and a syntax error is placed in the user's text, not
    in the text with the block."""
    assert main(["query", "--sparql", "SELECT ?x WHERE { BIND(1 AS ?x) }", "--param", "x=2"]) == 0
    assert "(0 rows)" in capsys.readouterr().out
    assert main(["query", "--sparql", "SELECT ?x WHERE { ?x ?p ", "--param", "x=dpk:itwg"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("drugpolicy-kg: error: --sparql:1:25: SPARQL syntax error")  # (the block would move it)


@pytest.mark.parametrize("query", QUERIES, ids=IDS)
def test_every_competency_query_orders_its_rows_totally(query):
    """The last ORDER BY names every projected variable, so ties are broken and the output repeats byte for byte."""
    if query_form(query.text) != "SELECT":  # ASK, CONSTRUCT: written sorted by the command
        return
    body = re.sub(r"#.*", "", query.text)
    select = re.search(r"SELECT\s+(?:DISTINCT\s+)?(.*?)\s*WHERE", body, re.S)
    head = select.group(1)
    while "(" in head:  # an expression "(... AS ?x)" projects ?x only, whatever it uses inside
        head = re.sub(r"\(([^()]*)\)", lambda m: " ".join(re.findall(r"AS\s+(\?\w+)", m.group(1))), head)
    projected = re.findall(r"\?(\w+)", head)
    order = re.findall(r"^ORDER BY(.*)$", body, re.M)
    assert order, query.name
    assert set(projected) <= set(re.findall(r"\?(\w+)", order[-1])), query.name


def test_the_same_command_gives_the_same_bytes_from_a_store_built_another_way(engine):
    """Two stores from the same files loaded in the opposite order answer every query with the same bytes: the
    commands' own store (the files in order, on disk) and one in memory from the files in reverse."""
    import pyoxigraph as ox

    from drugpolicy_kg.graph.oxi import to_oxigraph_term
    from drugpolicy_kg.graph.store import GraphStore, project_inputs
    from drugpolicy_kg.sparql.results import render_native

    inputs = project_inputs(engine.project)
    assert [str(p) for p in inputs] != [str(p) for p in reversed(inputs)]
    stores = [engine.gs, GraphStore.in_memory(list(reversed(inputs)))]
    assert stores[0].triples == stores[1].triples
    for q in QUERIES:
        subs = {ox.Variable(k): to_oxigraph_term(v) for k, v in bind_params(q, {}).items()} or None
        fmt = "nt" if q.name == "membership-graph" else "csv"
        outs = {render_native(gs.query(q.text, subs), fmt) for gs in stores}
        assert len(outs) == 1, q.name


@pytest.mark.parametrize("name,key", [("organizations", 0), ("members-of-body", 1), ("co-leadership", 2),
                                      ("participants-of-meeting", 1)])
def test_an_entity_with_several_names_is_one_row(engine, name, key):
    q = next(q for q in QUERIES if q.name == name)
    rows = engine.run(q.text, bind_params(q, {})).rows
    keys = [r[key] for r in rows]
    assert len(keys) == len(set(keys)), name


def test_the_table_fits_and_says_what_it_cut(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["query", "evidence-for-statement"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()[:-1]) <= 100
    assert re.search(r"\(\d+ rows; \d+ values cut to fit the terminal: --wide shows them whole", out)
    assert main(["query", "evidence-for-statement", "--wide"]) == 0
    wide = capsys.readouterr().out
    assert "OHCHR (Office of the High Commissioner for Human Rights - observer)" in wide
    assert "cut" not in wide.splitlines()[-1]


def test_output_format_follows_the_file_extension(tmp_path):
    for ext, check in (("json", lambda b: json.loads(b)["results"]), ("csv", lambda b: b.startswith(b"organization,")),
                       ("tsv", lambda b: b.startswith(b"?organization\t")), ("xml", lambda b: b"<sparql" in b)):
        out = tmp_path / f"rows.{ext}"
        assert main(["query", "organizations", "-o", str(out)]) == 0
        assert check(out.read_bytes()), ext
    out = tmp_path / "g.nt"
    assert main(["query", "membership-graph", "-o", str(out)]) == 0
    assert out.read_text().startswith("<")


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40), min_size=1, max_size=5))
def test_every_result_format_reads_back_into_oxigraph_and_rdflib(values):
    """Literals with line breaks, quotes, backslashes and tabs: each W3C format, as written for a remote result,
    parses back in Oxigraph and in rdflib to the same values."""
    import io

    import pyoxigraph as ox
    from rdflib import Literal
    from rdflib.query import Result as RdfResult

    from drugpolicy_kg.sparql.results import Result, render

    result = Result("select", ["v"], [(Literal(v),) for v in values])
    xml_legal = not any(re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", v) for v in values)
    for fmt, form in (("json", ox.QueryResultsFormat.JSON), ("xml", ox.QueryResultsFormat.XML),
                      ("tsv", ox.QueryResultsFormat.TSV), ("csv", ox.QueryResultsFormat.CSV)):
        if fmt == "xml" and not xml_legal:  # XML 1.0 cannot hold these characters at all: JSON and TSV can
            continue
        data = render(result, fmt)
        data = data if isinstance(data, bytes) else data.encode("utf-8")
        if fmt == "csv":  # CSV is lossy by design (Oxigraph and rdflib refuse to read it): Python's csv reader
            import csv  # must get the values back
            rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
            assert [r[0] if r else "" for r in rows[1:]] == values
            continue
        back = [sol["v"].value for sol in ox.parse_query_results(data, format=form)]
        assert back == values, fmt
        if fmt == "tsv" and re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]", "".join(values)):
            continue  # rdflib's TSV reader chokes on a raw control character inside a quoted literal (its bug)
        parsed = RdfResult.parse(io.BytesIO(data), format=fmt)
        assert [str(r[0]) for r in parsed] == values, fmt


def test_xml_results_refuse_what_xml_cannot_carry(capsys, tmp_path):
    """XML 1.0 has no form for U+001B, not even a character reference: the file was not XML. Refused in one line,
    nothing written; a carriage return is a reference and stays."""
    from xml.dom.minidom import parseString

    target = tmp_path / "r.xml"
    assert main(["query", "--sparql", 'SELECT ("a\\u001bb" AS ?x) WHERE {}', "--format", "xml", "-o", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "U+001B" in err[0] and "XML 1.0 cannot carry" in err[0] and not target.exists()
    assert main(["query", "--sparql", 'SELECT ("a\\rb" AS ?x) WHERE {}', "--format", "xml", "-o", str(target)]) == 0
    doc = parseString(target.read_bytes())
    assert doc.getElementsByTagName("literal")[0].firstChild.data == "a\rb"


def _own_table_rule(text: str) -> list[str]:
    """The inner ``SELECT DISTINCT ?p ?ds`` of a query, line by line without indentation: the own-table rule (its
    braces matched in the query's syntax, comments and literals blanked as the engine's checks read it)."""
    from drugpolicy_kg.sparql.query import _code

    code = _code(text)
    start = code.index("SELECT DISTINCT ?p ?ds WHERE {")
    depth, end = 0, start
    for end in range(code.index("{", start), len(code)):
        depth += {"{": 1, "}": -1}.get(code[end], 0)
        if depth == 0:
            break
    return [line.strip() for line in text[start:end + 1].splitlines()]


def test_a_programme_s_own_resources_table_is_one_rule(engine):
    """The summary, the question pages and `resolution-work` take a programme's posts and money from one table, by
    one rule (own-resources.rq): resolution-work holds the rule word for word, and gives, for every resolution and
    programme, the figures own-resources gives."""
    from drugpolicy_kg.resources import internal_query

    own_text = internal_query("own-resources.rq")
    work = next(q for q in QUERIES if q.name == "resolution-work")
    assert _own_table_rule(work.text) == _own_table_rule(own_text)
    own: dict = {}
    for p, _obs, _item, value, unit, *_ in engine.run(own_text, {}).rows:
        own.setdefault(str(p), {})["posts" if str(unit) == "posts" else "money"] = (str(value), str(unit))
    assert len(own) == 15 and own["https://w3id.org/drugpolicy-kg/id/programme-a-80-6-sect-24"] == {
        "posts": ("702", "posts"), "money": ("249426.7", "thousands of US$")}  # Table 24.26: OHCHR's, part I
    text = re.sub(r"\?p rdfs:label \?programme", "?p rdfs:label ?programme . BIND(?p AS ?iri)", work.text)
    text = text.replace("SELECT ?resolution ?programme", "SELECT ?iri ?resolution ?programme", 1)
    rows = engine.run(text, {}).rows
    assert len(rows) > 1000
    for iri, _r, _label, _a, _d, posts, money, unit in rows:
        want = own.get(str(iri), {})
        assert (None if posts is None else str(posts)) == (want["posts"][0] if "posts" in want else None), iri
        assert (None if money is None else (str(money), str(unit))) == want.get("money"), iri


def test_a_programme_with_tables_none_of_them_its_total_has_no_figures(tmp_path):
    """Executive direction's table and programme support's are tables of a programme, never its total: with two such
    and no "Overall" one, neither the tool nor resolution-work gives posts or money (and never mixes two tables)."""
    import pyoxigraph as ox

    from drugpolicy_kg.resources import internal_query

    data = """@prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> . @prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .
    @prefix qb: <http://purl.org/linked-data/cube#> . @prefix dcterms: <http://purl.org/dc/terms/> .
    @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    dpk:m dpo:issuedIn dpk:r ; dpo:verb dpk:verb-legislative-mandate ; dpo:calledFor dpk:p, dpk:q .
    dpk:p rdfs:label "P" . dpk:q rdfs:label "Q" .
    dpk:t1 dcterms:title "Executive direction and management: evolution of financial and post resources" ;
      dcterms:identifier "Table 1.1" .
    dpk:t2 dcterms:title "Programme support: evolution of financial and post resources" ; dcterms:identifier "Table 1.2" .
    dpk:t3 dcterms:title "Subprogramme 1: evolution of financial and post resources" ; dcterms:identifier "Table 1.3" .
    dpk:o1 dpo:refProgramme dpk:p ; qb:dataSet dpk:t1 ; dpo:refItem "Post resources / Total" ; dpo:refColumn "2026 estimate" ;
      dpo:amount 4.0 ; dpo:unit "posts" .
    dpk:o2 dpo:refProgramme dpk:p ; qb:dataSet dpk:t2 ; dpo:refItem "Financial resources / Total" ;
      dpo:refColumn "2026 estimate" ; dpo:amount 900.0 ; dpo:unit "thousands of US$" .
    dpk:o3 dpo:refProgramme dpk:q ; qb:dataSet dpk:t3 ; dpo:refItem "Post resources / Total" ; dpo:refColumn "2026 estimate" ;
      dpo:amount 7.0 ; dpo:unit "posts" .
    """
    store = ox.Store()
    store.load(data.encode(), ox.RdfFormat.TURTLE)
    own = [(s["p"].value, s["value"].value) for s in store.query(internal_query("own-resources.rq"))]
    assert own == [("https://w3id.org/drugpolicy-kg/id/q", "7")]  # its only table; p has two, neither its total
    work = next(q for q in QUERIES if q.name == "resolution-work")
    got = {(s["programme"].value, None if s["posts2026"] is None else s["posts2026"].value, s["money2026"])
           for s in store.query(work.text)}
    assert got == {("P", None, None), ("Q", "7", None)}


def test_resolution_work_counts_a_subcategory_s_total_only_where_no_numbered_item_of_it_stands_beside_it():
    """A deliverable with no item number whose subcategory has numbered items delivered by the same programme or part
    is their total, not counted beside them; one whose subcategory has none there, or that has no subcategory, counts.
    Another programme's numbered items do not make a total of this one's row; a lettered part's total is its own."""
    import pyoxigraph as ox

    data = """@prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> . @prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .
    @prefix dcterms: <http://purl.org/dc/terms/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    dpk:m dpo:issuedIn dpk:r ; dpo:verb dpk:verb-legislative-mandate ; dpo:calledFor dpk:p, dpk:q, dpk:s .
    dpk:p rdfs:label "P" . dpk:q rdfs:label "Q" . dpk:s rdfs:label "S" ; dcterms:isPartOf dpk:section .
    dpk:p dpo:delivers dpk:item1, dpk:total, dpk:alone, dpk:plain .
    dpk:item1 dpo:deliverableSubcategory dpk:c ; dpo:itemLabel "1." .
    dpk:total dpo:deliverableSubcategory dpk:c .
    dpk:alone dpo:deliverableSubcategory dpk:c2 .
    dpk:q dpo:delivers dpk:qitem, dpk:qtotal .
    dpk:qitem dpo:deliverableSubcategory dpk:c2 ; dpo:itemLabel "1." .
    dpk:qtotal dpo:deliverableSubcategory dpk:c2 .
    dpk:partA dcterms:isPartOf dpk:s ; dpo:delivers dpk:aitem, dpk:atotal .
    dpk:partB dcterms:isPartOf dpk:s ; dpo:delivers dpk:btotal .
    dpk:aitem dpo:deliverableSubcategory dpk:c ; dpo:itemLabel "1." .
    dpk:atotal dpo:deliverableSubcategory dpk:c .
    dpk:btotal dpo:deliverableSubcategory dpk:c .
    """
    store = ox.Store()
    store.load(data.encode(), ox.RdfFormat.TURTLE)
    work = next(q for q in QUERIES if q.name == "resolution-work")
    got = {s["programme"].value: s["deliverables"].value for s in store.query(work.text)}
    # P: item1, alone (no numbered c2 of P's) and plain; Q: qitem; S: part A's item, part B's row (no item of B's)
    assert got == {"P": "3", "Q": "1", "S": "2"}


def test_resolutions_concerning_every_actor_are_found_at_once_and_as_each_actor_s(dataset):
    """resolutions-concerning-actor with no actor bound (as an analyst pasting it into a SPARQL server runs it) lists
    every actor's resolutions, each actor's rows those the query bound to that actor gives; and it makes its UNION
    once, not once per resolution (that took 18.8 s on the shipped graph and grows with resolutions times
    provisions: 3,000 of each took 12 s, and the 6,000 below fail the generous bound; now 0.02 s for 3,000)."""
    import pyoxigraph as ox

    text = (ROOT / "queries" / "resolutions-concerning-actor.rq").read_text(encoding="utf-8")

    def rows(store, actor=None):
        subs = {ox.Variable("actor"): ox.NamedNode(actor)} if actor else None
        return [tuple(None if t is None else t.value for t in sol) for sol in store.query(text, substitutions=subs)]

    every = rows(dataset.store)
    actors = sorted({r[0] for r in every})
    assert len(actors) >= 10 and len(every) >= 100
    for actor in actors:
        assert rows(dataset.store, actor) == [r for r in every if r[0] == actor], actor

    n = 6000
    lines = ["@prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> . @prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .",
             "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
             'dpk:v skos:prefLabel "requests"@en ; dpo:directsAction true .']
    lines += [f'dpk:r{i} a dpo:Resolution ; dpo:resolutionNumber "{i}/1" . '
              f"dpk:p{i} dpo:issuedIn dpk:r{i} ; dpo:verb dpk:v ; dpo:addresses dpk:a{i % 50} ." for i in range(n)]
    store = ox.Store()
    store.load("\n".join(lines).encode(), ox.RdfFormat.TURTLE)
    started = time.perf_counter()
    assert len(rows(store)) == n
    assert time.perf_counter() - started < 10


def test_no_rows_for_an_entity_named_points_to_its_trace(capsys):
    """59/3 has no operative paragraph in the graph, but is a mandate of subprogrammes: a table of no rows says where
    to look (on stderr, the table itself unchanged), and the command it names works; an answer with rows, or a
    value the query takes as a literal (a language), adds nothing."""
    assert main(["query", "mandates-of-resolution", "--param", "resolution=59/3", "--fresh"]) == 0
    out, err = capsys.readouterr()
    assert out.endswith("\n(0 rows)\n")
    assert err == "drugpolicy-kg: no rows for resolution=59/3; what else the graph holds of it: drugpolicy-kg trace 59/3\n"
    assert main(["trace", "59/3"]) == 0
    assert "59/3" in capsys.readouterr().out
    assert main(["query", "mandates-of-resolution", "--param", "resolution=CND 64/3"]) == 0
    assert "no rows" not in capsys.readouterr().err
    for lang in ('lang="xx"', "lang=xx"):  # a literal, quoted or not, is no entity: no trace to point to
        assert main(["query", "sdg-target-titles", "--param", lang]) == 0
        out, err = capsys.readouterr()
        assert out.endswith("\n(0 rows)\n") and "no rows" not in err


def test_trace_takes_a_prefixed_name_as_query_param_does(capsys):
    assert main(["trace", "dpk:res-cnd-59-3"]) == 0
    assert capsys.readouterr().out.startswith("Traced: CND resolution 59/3")
    assert main(["trace", "dpk:no-such-thing"]) == 2
    assert "no entity with IRI https://w3id.org/drugpolicy-kg/id/no-such-thing" in capsys.readouterr().err
