"""review: candidates become facts of the graph only through a person's decision and the checks."""

from __future__ import annotations

import json

import pytest

from drugpolicy_kg.checks.validate import validate
from drugpolicy_kg.cli import main
from drugpolicy_kg.errors import InputError
from drugpolicy_kg.graph.store import GraphStore
from drugpolicy_kg.resources import Project
from drugpolicy_kg.sources.review import Decisions, interactive, load_draft, review
from drugpolicy_kg.uses.trace import Tracer

from .conftest import ROOT

SECT16 = ROOT / "data" / "sources" / "un-documents" / "A_80_6_Sect.16.docx"
SECT24 = ROOT / "data" / "sources" / "un-documents" / "A_80_6_Sect.24.docx"
DPK = "https://w3id.org/drugpolicy-kg/id/"


@pytest.fixture
def small(small_project, tmp_path):
    """A fresh copy of the project without the reviewed section, to review into."""
    import shutil

    dst = tmp_path / "p"
    for d in ("ontology", "data", "queries"):
        shutil.copytree(small_project.root / d, dst / d)
    shutil.rmtree(dst / "data" / "reviews", ignore_errors=True)
    return Project.open(dst)


_DRAFTS: dict[tuple, bytes] = {}  # drafts made by the command, by document and the whole of the project's data


def draft_of(project, doc, tmp_path, capsys=None):
    """The command's draft of ``doc`` in ``project``. The same document and the same project (every file under data/,
    decisions included, and the ontology) make the same draft, so it is made once per module and copied (the ingest
    took a second each time, in eleven tests); a test that reads what the command says makes its own."""
    import hashlib

    out = tmp_path / "draft.json"
    made_from = hashlib.sha256(doc.read_bytes())
    for folder in (project.data_dir, project.root / "ontology"):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                made_from.update(str(path.relative_to(project.root)).encode() + b"\0" + path.read_bytes())
    key = (str(doc), made_from.hexdigest())
    if key in _DRAFTS:
        out.write_bytes(_DRAFTS[key])
        return out
    assert main(["--project", str(project.root), "ingest", str(doc), "-o", str(out)]) == 0
    _DRAFTS[key] = out.read_bytes()
    return out


def test_the_default_graph_holds_the_unodc_section(project, dataset):
    """A/80/6 (Sect. 16) is reviewed into data/: trace 64/3 reaches the subprogramme it mandates."""
    assert (project.data_dir / "a-80-6-sect-16.ttl").is_file()
    assert (project.sources_dir / "a-80-6-sect-16.txt").is_file()
    tracer = Tracer(dataset.rdflib())
    t = tracer.trace("64/3", "forward")
    reached = {h.iri for tree in t.forward for h in tree.walk()}
    assert DPK + "programme-a-80-6-sect-16-sp-2" in reached
    back = tracer.trace("A/80/6 (Sect. 16), subprogramme 2", "backward")
    assert DPK + "res-cnd-64-3" in {h.iri for h in back.resolutions()}
    # the budget lists 59/3 among the mandates of subprogramme 6 (the brochure only says it recognizes the ISN)
    six = tracer.trace("A/80/6 (Sect. 16), subprogramme 6", "backward")
    assert DPK + "res-cnd-59-3" in {h.iri for h in six.resolutions()}
    decisions = json.loads((project.data_dir / "reviews" / "a-80-6-sect-16.json").read_text())
    assert sum(k == "legislative-mandate" for k in decisions["accepted"].values()) >= 420


def test_the_shipped_section_is_what_ingest_and_review_make_of_it_today(tmp_path):
    """The reviewed data file is derived: ingest of the Word file, then the decisions kept beside it. When a reader
    fix changed a value (a document symbol lost its full stop, "A/80/50." became "A/80/50"), the shipped file kept
    the old one. Ingest and review again, with no new decision: the same bytes, and nothing left pending that was
    accepted before under another id."""
    from .conftest import make_copy

    project = Project.open(make_copy(tmp_path, full=True))
    shipped = (project.data_dir / "a-80-6-sect-16.ttl").read_bytes()
    draft = tmp_path / "draft.json"
    assert main(["--project", str(project.root), "ingest", str(SECT16), "-o", str(draft)]) == 0
    out = review(project, load_draft(draft))
    assert out.refused == []
    assert (project.data_dir / "a-80-6-sect-16.ttl").read_bytes() == shipped
    pending = [c for c in load_draft(draft)["candidates"] if c["status"] == "pending"]
    assert all(c["kind"] == "reference" and c["facts"]["form"] == "resolution or decision number" for c in pending), \
        [c["id"] for c in pending if c["kind"] != "reference" or c["facts"]["form"] != "resolution or decision number"]


def test_one_resolution_many_sources(dataset):
    """CND 64/3 from the conference room paper and from the budget is one node, with the evidence of both."""
    rows = dataset.select("""
        SELECT DISTINCT ?file WHERE {
          ?ev dpo:states ?st ; dcterms:source/dpo:textFile ?file .
          ?st rdf:subject dpk:res-cnd-64-3 ; rdf:predicate dcterms:title }""")
    assert sorted(r[0] for r in rows) == ["a-80-6-sect-16.txt", "cnd65-crp-itwg-inaugural-meeting.txt"]
    assert dataset.select("SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r dpo:resolutionNumber \"64/3\" }") == [("1",)]


def test_footnotes_reach_the_graph_with_the_words_that_tie_them(dataset):
    """A footnote marked in a mandate row is a note on that mandate, stated by the footnote, whose locator says where
    the mark stands; a footnote of a strategy item names resolutions the activity refers to, with their body; a
    footnote of a plain paragraph makes the section refer to the resolutions it names with their body."""
    rows = dataset.select("""
        SELECT ?symbol ?note ?loc WHERE {
          ?m a dpo:Mandate ; dpo:issuedIn/dpo:resolutionNumber ?symbol ; skos:scopeNote ?note .
          ?ev dpo:states [ rdf:subject ?m ; rdf:predicate skos:scopeNote ; rdf:object ?note ] ; dpo:locator ?loc .
          FILTER(?symbol IN ("1997/30", "1999/28")) }""")
    assert sorted(r[0] for r in rows) == ["1997/30", "1999/28"]
    assert all(r[1].startswith("In particular the annex, entitled \u201cGuidelines for Action on Children") for r in rows)
    assert all(r[2].startswith("footnote 1, its mark in para. 16.10, Subprogramme 5, Economic and Social Council")
               and r[2].endswith("row 9") for r in rows)
    cited = dataset.select("""
        SELECT ?label WHERE { ?a a dpo:PlannedActivity ; dpo:paragraphNumber "16.56" ; dpo:itemLabel "(c)" ;
                              dcterms:references ?r . ?r rdfs:label ?label } ORDER BY ?label""")
    assert [r[0] for r in cited] == ["General Assembly resolution 72/194", "General Assembly resolution 72/284",
                                     "General Assembly resolution 74/175", "Security Council resolution 2482 (2019)"]
    assert dataset.ask("""ASK { dpk:doc-a-80-6-sect-16 dcterms:references dpk:res-cnd-63-1, dpk:res-cnd-65-3 .
                                   dpk:res-cnd-63-1 dpo:adoptedBy dpk:org-cnd }""") is True


def test_accept_all_writes_checked_facts(small, tmp_path, capsys):
    draft = draft_of(small, SECT16, tmp_path)
    capsys.readouterr()
    assert main(["--project", str(small.root), "review", str(draft), "--accept", "all"]) == 0
    out = capsys.readouterr().out
    assert "refused by the checks" in out and "wrote" in out
    report = validate(small)
    assert report.conforms and report.coverage == 1.0, [f.message for f in report.findings][:3]
    text = (small.data_dir / "a-80-6-sect-16.ttl").read_text()
    assert "dpo:states" in text and "dpo:hasEvidence" not in text
    # a second review with nothing new writes the same file, byte for byte
    assert main(["--project", str(small.root), "review", str(draft), "--accept", "all"]) == 0
    assert (small.data_dir / "a-80-6-sect-16.ttl").read_text() == text


def test_rejections_are_remembered(small, tmp_path, capsys):
    draft = draft_of(small, SECT16, tmp_path)
    cands = json.loads(draft.read_text())["candidates"]
    mandate = next(c for c in cands if c["kind"] == "legislative-mandate" and c["facts"]["symbol"] == "64/3")
    assert main(["--project", str(small.root), "review", str(draft), "--reject", mandate["id"], "--reason", "checked by hand"]) == 0
    assert main(["--project", str(small.root), "review", str(draft), "--accept", "legislative-mandate"]) == 0
    dec = Decisions.load(small, "a-80-6-sect-16")
    assert dec.rejected[mandate["id"]] == "checked by hand" and mandate["id"] not in dec.accepted
    # ingesting the same document again does not bring it back
    capsys.readouterr()
    again = draft_of(small, SECT16, tmp_path)
    assert "rejected at an earlier review stay rejected" in capsys.readouterr().out
    status = {c["id"]: c["status"] for c in json.loads(again.read_text())["candidates"]}
    assert status[mandate["id"]] == "rejected"
    # naming the id accepts it after all
    assert main(["--project", str(small.root), "review", str(again), "--accept", mandate["id"]]) == 0
    assert mandate["id"] in Decisions.load(small, "a-80-6-sect-16").accepted


def test_a_candidate_that_fails_the_checks_is_refused_with_its_reason(small, tmp_path):
    draft_path = draft_of(small, SECT16, tmp_path)
    draft = load_draft(draft_path)
    rows = [c for c in draft["candidates"] if c["kind"] == "legislative-mandate"][:5]
    rows[0]["quote"] = rows[0]["quote"] + " (words the document does not have)"
    rows[1]["facts"]["symbol"] = "not-a-number"
    out = review(small, draft, [c["id"] for c in rows])
    refused = {c["id"]: why for c, why in out.refused}
    assert set(refused) == {rows[0]["id"], rows[1]["id"]}
    assert "verbatim" in refused[rows[0]["id"]] and "not-a-number" in refused[rows[1]["id"]]
    assert len(out.accepted) == 3 and validate(small).conforms


def test_a_malformed_resolution_number_is_refused_by_the_shapes_rule_before_the_checks_run(small, tmp_path, monkeypatch):
    """Sect. 24 prints rows whose number the project's own sh:pattern for dpo:resolutionNumber refuses ("44/15 53/3"
    read from one cell): they are refused while the facts are built, so the checks run once (a second round over the
    whole project had cost Sect. 24's review about 11 s)."""
    from drugpolicy_kg.sources import review as rv

    rule, message = rv._number_rule(small.shapes)
    draft = load_draft(draft_of(small, SECT24, tmp_path))
    mandates = [c for c in draft["candidates"] if c["kind"] == "legislative-mandate" and c["facts"].get("symbol")
                and c["facts"].get("instrument", "resolution") == "resolution"]
    bad = [c for c in mandates if not rule.search(c["facts"]["symbol"])]
    good = [c for c in mandates if rule.search(c["facts"]["symbol"])][:2]
    assert bad and message.startswith("Exactly one dpo:resolutionNumber")
    calls = []
    real = rv._check
    monkeypatch.setattr(rv, "_check", lambda *a: calls.append(1) or real(*a))
    out = review(small, draft, [c["id"] for c in [bad[0], *good]])
    refused = {c["id"]: why for c, why in out.refused}
    assert list(refused) == [bad[0]["id"]]
    assert refused[bad[0]["id"]] == f"{bad[0]['facts']['symbol']!r} is not a resolution's number: {message}"
    assert len(calls) == 1 and len(out.accepted) == 2


def test_nothing_is_written_when_the_project_itself_fails(small, tmp_path):
    draft = load_draft(draft_of(small, SECT16, tmp_path))
    (small.data_dir / "zz-broken.ttl").write_text(
        "@prefix dpk: <https://w3id.org/drugpolicy-kg/id/> . @prefix dpo: <https://w3id.org/drugpolicy-kg/ontology#> .\n"
        'dpk:itwg dpo:foundingDate "2021" .\n', encoding="utf-8")
    from drugpolicy_kg.errors import InputError

    with pytest.raises(InputError, match="does not pass its checks"):
        review(small, draft, ["subprogramme"])
    assert not (small.data_dir / "a-80-6-sect-16.ttl").exists()
    assert not (small.data_dir / "reviews" / "a-80-6-sect-16.json").exists()


def test_interactive(small, tmp_path):
    draft = load_draft(draft_of(small, SECT16, tmp_path))
    answers = iter(["a", "x", "r", "s", "q"])
    said = []
    acc, rej = interactive(draft, Decisions.load(small, "a-80-6-sect-16"), ask=lambda _: next(answers), say=said.append)
    assert len(acc) == 1 and len(rej) == 1 and acc[0] != rej[0]
    assert any("“" in line for line in said)
    acc, rej = interactive(draft, Decisions.load(small, "a-80-6-sect-16"), ask=lambda _: (_ for _ in ()).throw(EOFError()))
    assert acc == rej == []


def test_bad_draft_is_one_line_and_exit_2(small, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    for text in ("{not json", '{"format": ' + "[" * 200_000 + "]" * 200_000 + "}"):  # malformed; nested too deep
        bad.write_text(text, encoding="utf-8")
        assert main(["--project", str(small.root), "review", str(bad)]) == 2
        err = capsys.readouterr().err
        assert "not a draft" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["--project", str(small.root), "review", str(tmp_path / "missing.json")]) == 2
    draft = draft_of(small, SECT16, tmp_path)
    capsys.readouterr()
    assert main(["--project", str(small.root), "review", str(draft), "--accept", "nonsense"]) == 2
    assert "no candidate or kind" in capsys.readouterr().err


@pytest.mark.parametrize("field,value,message", [
    ("id", "leg-../../../etc/passwd", "id: 'leg-../../../etc/passwd' does not match"),
    ("id", "leg-0123456789\n", "id"),
    ("kind", "mandate<script>", "kind"),
])
def test_a_tampered_draft_is_refused_before_anything_is_written(small, tmp_path, capsys, field, value, message):
    """The draft is a file a person or a program may edit: a candidate id becomes part of the IRIs review mints and
    says which candidate a decision is about, so an id or a kind ingest never writes refuses the draft, whole, in one
    line."""
    import json

    draft = draft_of(small, SECT16, tmp_path)
    data = json.loads(draft.read_text(encoding="utf-8"))
    data["candidates"][3][field] = value
    draft.write_text(json.dumps(data), encoding="utf-8")
    before = sorted(p.name for p in (small.root / "data").iterdir())
    capsys.readouterr()
    assert main(["--project", str(small.root), "review", str(draft), "--accept", "all"]) == 2
    err = capsys.readouterr().err
    assert "candidate 4 is not as ingest writes it" in err and message in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in (small.root / "data").iterdir()) == before


@pytest.mark.parametrize("field,value,message", [
    ("locator", "para. 1\x1b[2J\x1b[31m", "locator: a control character (U+001B)"),
    ("start", "12", "start: '12' is not of type 'integer'"),
])
def test_a_tampered_candidate_is_refused_alone_with_its_reason(small, tmp_path, capsys, field, value, message):
    """Any other value ingest never writes refuses that candidate only, saying what is wrong; the others are
    reviewed, and nothing of the tampered one (its control characters) reaches the data."""
    import json

    draft = draft_of(small, SECT16, tmp_path)
    data = json.loads(draft.read_text(encoding="utf-8"))
    tampered = data["candidates"][3]
    tampered[field] = value
    draft.write_text(json.dumps(data), encoding="utf-8")
    out = review(small, load_draft(draft), ["all"])
    assert [(c["id"], why) for c, why in out.refused if c["id"] == tampered["id"]] == \
        [(tampered["id"], f"not as ingest writes it ({message})")]
    assert out.accepted and all(c["id"] != tampered["id"] for c in out.accepted)
    assert "\x1b" not in out.data_file.read_text(encoding="utf-8")


def test_controls_in_a_value_are_written_as_escapes():
    from rdflib import Graph

    from drugpolicy_kg.sources.review import _Writer

    w = _Writer("d", "https://w3id.org/drugpolicy-kg/id/doc-d")
    lit = w.lit("a\x00b\x1bc\x7fd\te", "en")
    assert not any(ch in lit for ch in "\x00\x1b\x7f")
    g = Graph().parse(data=f"<http://e/s> <http://e/p> {lit} .", format="turtle")
    assert str(next(iter(g.objects()))) == "a\x00b\x1bc\x7fd\te"


def test_listing_shows_candidates_and_counts(small, tmp_path, capsys):
    draft = draft_of(small, SECT16, tmp_path)
    capsys.readouterr()
    assert main(["--project", str(small.root), "review", str(draft), "--kind", "objective"]) == 0
    out = capsys.readouterr().out
    assert out.count("objective") >= 8 and "pending" in out


@pytest.mark.slow
def test_another_section_it_has_never_seen(small, tmp_path):
    """A/80/6 (Sect. 24), OHCHR: ingested and reviewed into a copy; its mandates become checked facts."""
    draft = load_draft(draft_of(small, SECT24, tmp_path))
    n = sum(c["kind"] == "legislative-mandate" for c in draft["candidates"])
    out = review(small, draft, ["legislative-mandate", "subprogramme", "objective", "sdg"])
    accepted = sum(c["kind"] == "legislative-mandate" for c in out.accepted)
    assert accepted >= 0.95 * n, (accepted, n, [why for _, why in out.refused][:5])
    report = validate(small)
    assert report.conforms and report.coverage == 1.0
    gs = GraphStore.open(small)
    assert gs.ask('ASK { ?r dpo:resolutionNumber ?n ; dpo:adoptedBy ?b . ?b rdfs:label "Human Rights Council"@en }')


def test_organizations_named_join_the_graph_as_the_same_nodes(small, tmp_path):
    """A document naming WHO and a body the graph lacks: WHO is the graph's node, the other a new one named as the
    document names it; the document references both, each through its quote, and the project still validates."""
    doc = tmp_path / "E_CN.7_2099_1.txt"
    doc.write_text("E/CN.7/2099/1\n\n1.1 The Commission met with the World Health Organization (WHO) and the Financial "
                   "Action Task Force (FATF) in Vienna.\n", encoding="utf-8")
    draft = draft_of(small, doc, tmp_path)
    cands = {c["facts"]["acronym"]: c for c in json.loads(draft.read_text())["candidates"] if c["kind"] == "organization"}
    assert cands["WHO"]["facts"]["match"]["iri"] == DPK + "org-who"
    assert main(["--project", str(small.root), "review", str(draft), "--accept", "organization"]) == 0
    gs = GraphStore.open(Project.open(small.root))
    refs = {str(o) for (o, _) in gs.select("SELECT ?o ?d WHERE { ?d dcterms:references ?o }", d=DPK + "doc-e-cn-7-2099-1")}
    assert refs == {DPK + "org-who", DPK + "org-fatf"}
    assert [(str(a), str(b)) for a, b, _ in gs.select("SELECT ?l ?a ?o WHERE { ?o rdfs:label ?l ; skos:altLabel ?a }",
                                                       o=DPK + "org-fatf")] == [("Financial Action Task Force", "FATF")]
    assert {str(lab) for lab, _ in gs.select("SELECT ?l ?o WHERE { ?o rdfs:label ?l }", o=DPK + "org-who")} == {
        "World Health Organization"}
    assert validate(Project.open(small.root)).conforms


def test_a_document_with_no_programme_plan_names_a_target_and_has_no_programme(small, tmp_path):
    """A paper that is no programme plan ("E/CN.7/2099/2": no programme of work) and names target 3.5: the document
    references the target, in the sentence's words. No programme of it serves the target, and the graph names no
    programme of it at all (a review had minted "Programme of ...", and stated it served what the sentence only
    names)."""
    doc = tmp_path / "E_CN.7_2099_2.txt"
    doc.write_text("E/CN.7/2099/2\n\n1. The international community recognized health target 3.5 of the Sustainable "
                   "Development Goals, calling for strengthening prevention and treatment.\n", encoding="utf-8")
    draft = draft_of(small, doc, tmp_path)
    sdg = [c for c in json.loads(draft.read_text())["candidates"] if c["kind"] == "sdg"]
    assert [(c["facts"]["scope"], c["facts"]["target"]) for c in sdg] == [("document", "3.5")]
    assert main(["--project", str(small.root), "review", str(draft), "--accept", "all"]) == 0
    gs = GraphStore.open(Project.open(small.root))
    node = DPK + "doc-e-cn-7-2099-2"
    assert gs.ask(f"ASK {{ <{node}> dcterms:references <http://metadata.un.org/sdg/3.5> }}")
    assert not gs.ask("ASK { ?p dpo:serves <http://metadata.un.org/sdg/3.5> ; rdfs:label ?l . "
                      "FILTER(CONTAINS(STR(?l), 'E/CN.7/2099/2')) }")
    assert not gs.ask(f"ASK {{ <{DPK}programme-e-cn-7-2099-2> ?p ?o }}")
    assert validate(Project.open(small.root)).conforms


@pytest.mark.parametrize("iri", ["dpk:org-unodc owl:sameAs dpk:org-who", DPK + "org-who> owl:sameAs <" + DPK + "org-unodc",
                                 DPK + "org-nobody", "javascript:alert(1)"])
def test_a_hand_edited_match_never_reaches_the_graph(small, tmp_path, iri):
    """A draft's organization match is the graph's node or nothing: an IRI of no organization of the graph, or
    Turtle syntax in its place, refuses that candidate; the others go in and the project validates."""
    doc = tmp_path / "E_CN.7_2099_3.txt"
    doc.write_text("E/CN.7/2099/3\n\n1.1 The Commission met with the World Health Organization (WHO) and the Financial "
                   "Action Task Force (FATF) in Vienna.\n", encoding="utf-8")
    draft_path = draft_of(small, doc, tmp_path)
    draft = json.loads(draft_path.read_text())
    for c in draft["candidates"]:
        if c["kind"] == "organization" and c["facts"]["acronym"] == "WHO":
            c["facts"]["match"]["iri"] = iri
    draft_path.write_text(json.dumps(draft), encoding="utf-8")
    out = review(small, load_draft(draft_path), ["organization"])
    assert [c["facts"]["acronym"] for c, _ in out.refused] == ["WHO"]
    assert [c["facts"]["acronym"] for c in out.accepted] == ["FATF"]
    written = (small.data_dir / "e-cn-7-2099-3.ttl").read_text(encoding="utf-8")
    assert "sameAs" not in written and "org-nobody" not in written and "javascript" not in written
    assert validate(Project.open(small.root)).conforms


def test_an_acceptance_the_new_draft_no_longer_has_is_dropped_rejections_stay(small, tmp_path):
    doc = tmp_path / "E_CN.7_2099_2.txt"
    doc.write_text("E/CN.7/2099/2\n\n1.1 The Commission met the World Health Organization (WHO).\n", encoding="utf-8")
    draft = load_draft(draft_of(small, doc, tmp_path))
    dec = Decisions.load(small, draft["document"]["id"])
    dec.accepted["sdg-0000000000"] = "sdg"       # from an earlier draft, by detectors since changed
    dec.rejected["org-0000000000"] = "not this"  # a rejection is kept whatever the draft holds
    review(small, draft, ["all"], decisions=dec)
    kept = json.loads(dec.path.read_text())
    assert "sdg-0000000000" not in kept["accepted"] and kept["rejected"]["org-0000000000"] == "not this"
    assert set(kept["accepted"].values()) == {"organization"}


def test_reviews_of_one_project_take_turns(small, tmp_path):
    """A review waits while another command holds the project's data folder, and then runs whole."""
    import subprocess
    import sys
    import time

    from drugpolicy_kg.atomic import folder_lock

    draft = draft_of(small, SECT16, tmp_path)
    data_file = small.data_dir / "a-80-6-sect-16.ttl"
    with folder_lock(small.data_dir):
        proc = subprocess.Popen([sys.executable, "-m", "drugpolicy_kg.cli", "--project", str(small.root), "review",
                                 str(draft), "--accept", "subprogramme"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        time.sleep(3)
        assert proc.poll() is None, "the review ran while the folder was held"
        assert not data_file.exists()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert data_file.is_file() and "accepted: 11" in out


@pytest.mark.parametrize("doc_id", ["dataset", "cnd65-crp-itwg", "cnd65-crp-itwg-inaugural-meeting"])
def test_a_review_never_replaces_files_no_review_wrote(small, tmp_path, capsys, doc_id):
    """Review writes data/<id>.ttl and data/sources/<id>.txt. An id naming a curated file replaced it: `--doc-id
    dataset` replaced the dataset's description, `cnd65-crp-itwg` the hand-curated ITWG facts, and the name of a
    curated file's source text would have replaced the text its quotes are checked against. Ingest warns; review
    refuses in one line and writes nothing. A review's own files (decisions beside them) are rewritten as before."""
    import hashlib

    doc = tmp_path / "doc.txt"
    doc.write_text("A/80/6 (Sect. 16)\n\nThe Commission on Narcotic Drugs (CND) and the World Health Organization "
                   "(WHO) work together on SDG target 3.5.\n", encoding="utf-8")

    def tree():
        return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(small.data_dir.rglob("*"))
                if p.is_file() and p.name != ".drugpolicy-kg.lock"}  # (the lock reviews take turns by)

    before = tree()
    draft = tmp_path / "draft.json"
    assert main(["--project", str(small.root), "ingest", str(doc), "--doc-id", doc_id, "-o", str(draft)]) == 0
    assert f"document id '{doc_id}' is taken" in capsys.readouterr().err
    assert main(["--project", str(small.root), "review", str(draft), "--accept", "all"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a review's" in err[0], err
    assert tree() == before
    # a new id is the review's own: written, then written again
    assert main(["--project", str(small.root), "ingest", str(doc), "--doc-id", "new-doc", "-o", str(draft)]) == 0
    assert "is taken" not in capsys.readouterr().err
    for _ in range(2):
        assert main(["--project", str(small.root), "review", str(draft), "--accept", "all"]) == 0
    assert (small.data_dir / "new-doc.ttl").is_file() and (small.data_dir / "reviews" / "new-doc.json").is_file()


def test_an_impossible_masthead_date_is_left_out_not_every_fact_refused(small, tmp_path):
    """ "31 February" made the document's date ill-typed, and the checks then refused every candidate with it."""
    doc = tmp_path / "E_CN.7_2099_4.txt"
    doc.write_text("E/CN.7/2099/4\n\n31 February 2099\n\n1.1 The Commission met with the World Health Organization "
                   "(WHO) and the Financial Action Task Force (FATF) in Vienna.\n", encoding="utf-8")
    draft = load_draft(draft_of(small, doc, tmp_path))
    assert draft["document"].get("date", "") == ""
    out = review(small, draft, ["organization"])
    assert out.refused == [] and len(out.accepted) == 2
    assert validate(Project.open(small.root)).conforms


def test_another_document_under_an_id_a_review_wrote_is_refused(small, tmp_path):
    """A different document reviewed under an existing id replaced the first one's facts without a word."""
    first, second = tmp_path / "E_CN.7_2099_5.txt", tmp_path / "E_CN.7_2099_6.txt"
    first.write_text("E/CN.7/2099/5\n\n1.1 The Commission met the World Health Organization (WHO).\n", encoding="utf-8")
    second.write_text("E/CN.7/2099/6\n\n1.1 The Commission met the Financial Action Task Force (FATF).\n",
                      encoding="utf-8")
    review(small, load_draft(draft_of(small, first, tmp_path)), ["organization"])
    before = (small.data_dir / "e-cn-7-2099-5.ttl").read_bytes()
    draft = tmp_path / "second.json"
    assert main(["--project", str(small.root), "ingest", str(second), "--doc-id", "e-cn-7-2099-5", "-o", str(draft)]) == 0
    with pytest.raises(InputError) as exc:
        review(small, load_draft(draft), ["organization"])
    assert "holds 'E/CN.7/2099/5'" in str(exc.value) and "--doc-id" in str(exc.value)
    assert (small.data_dir / "e-cn-7-2099-5.ttl").read_bytes() == before


def test_an_id_belongs_to_the_file_its_facts_were_read_from(small, tmp_path):
    """Without a UN symbol to tell two documents apart, a different file under an id a review wrote is refused (its
    SHA-256 differs); the same file reviewed again is the same document."""
    first, second = tmp_path / "notes-a.txt", tmp_path / "notes-b.txt"
    first.write_text("1.1 The Commission met the World Health Organization (WHO).\n", encoding="utf-8")
    second.write_text("1.1 The Commission met the Financial Action Task Force (FATF).\n", encoding="utf-8")
    drafts = {}
    for name, doc in (("first", first), ("second", second)):
        drafts[name] = tmp_path / f"{name}.json"
        assert main(["--project", str(small.root), "ingest", str(doc), "--doc-id", "plain-notes", "-o",
                     str(drafts[name])]) == 0
    assert not load_draft(drafts["first"])["document"].get("symbol")
    review(small, load_draft(drafts["first"]), ["organization"])
    before = (small.data_dir / "plain-notes.ttl").read_bytes()
    with pytest.raises(InputError) as exc:
        review(small, load_draft(drafts["second"]), ["organization"])
    assert "another file" in str(exc.value) and "--doc-id" in str(exc.value)
    assert (small.data_dir / "plain-notes.ttl").read_bytes() == before
    review(small, load_draft(drafts["first"]), ["organization"])  # the same file again: its own id


@pytest.mark.parametrize("edit", ["text-nul-esc", "facts-of-another-shape", "match-not-an-object", "decisions-a-list"])
def test_a_hand_edited_draft_or_decisions_file_is_one_line_never_exit_70(small, tmp_path, capsys, edit):
    """NUL and ESC in a draft's text went into data/sources/; a fact of another shape, or a malformed decisions file,
    gave exit 70 (an internal error)."""
    doc = tmp_path / "E_CN.7_2099_8.txt"
    doc.write_text("E/CN.7/2099/8\n\n1.1 The Commission met the World Health Organization (WHO) and the Financial "
                   "Action Task Force (FATF).\n", encoding="utf-8")
    path = draft_of(small, doc, tmp_path)
    draft = json.loads(path.read_text())
    first = next(c for c in draft["candidates"] if c["kind"] == "organization")
    if edit == "text-nul-esc":
        draft["text"] += "\x00\x1b[31m"
    elif edit == "facts-of-another-shape":
        first["facts"]["acronym"] = {"a": 1}
    elif edit == "match-not-an-object":
        first["facts"]["match"] = "oops"
    else:
        (small.data_dir / "reviews").mkdir(exist_ok=True)
        (small.data_dir / "reviews" / "e-cn-7-2099-8.json").write_text('{"accepted": [1, 2]}', encoding="utf-8")
    path.write_text(json.dumps(draft), encoding="utf-8")
    capsys.readouterr()
    code = main(["--project", str(small.root), "review", str(path), "--accept", "organization"])
    err = capsys.readouterr().err
    assert code in (0, 2) and "internal error" not in err, err
    if edit in ("text-nul-esc", "decisions-a-list"):
        assert code == 2 and not (small.data_dir / "sources" / "e-cn-7-2099-8.txt").exists()
    else:  # the malformed candidate is refused with its reason, the other goes in
        assert code == 0
        written = (small.data_dir / "e-cn-7-2099-8.ttl").read_text(encoding="utf-8")
        assert ("FATF" in written) != (first["facts"].get("acronym") == "FATF")
    assert "\x00" not in "".join(p.read_text(encoding="utf-8", errors="replace")
                                 for p in (small.data_dir / "sources").glob("*.txt"))


def test_a_review_killed_between_its_renames_is_completed_by_the_next_command(small, tmp_path):
    """SIGKILL cannot be made to wait: killed after renaming the document's text and before its facts, a review
    published the text alone, and the next review refused the id. Its journal lets the next command finish it."""
    import os
    import subprocess
    import sys

    doc = tmp_path / "E_CN.7_2099_7.txt"
    doc.write_text("E/CN.7/2099/7\n\n1.1 The Commission met the World Health Organization (WHO).\n", encoding="utf-8")
    draft = draft_of(small, doc, tmp_path)
    killer = ("import os, signal, sys\nreal = os.replace\ncount = [0]\n"
              "def replace(a, b):\n    real(a, b)\n    count[0] += 1\n"
              "    if str(b).endswith('.txt'): os.kill(os.getpid(), signal.SIGKILL)\n"
              "os.replace = replace\n"
              "from drugpolicy_kg.cli import main\n"
              f"main(['--project', {str(small.root)!r}, 'review', {str(draft)!r}, '--accept', 'all'])\n")
    proc = subprocess.run([sys.executable, "-c", killer], capture_output=True, text=True, timeout=300,
                          env={**os.environ})
    assert proc.returncode == -9, proc.stderr[-1000:]
    doc_id = load_draft(draft)["document"]["id"]
    journal = small.data_dir / ".review-journal.json"
    assert journal.is_file() and (small.sources_dir / f"{doc_id}.txt").is_file()
    assert not (small.data_dir / f"{doc_id}.ttl").is_file()  # cut short: the text alone was published
    assert main(["--project", str(small.root), "stats"]) == 0  # the next command completes the change first
    assert not journal.exists()
    assert (small.data_dir / f"{doc_id}.ttl").is_file() and (small.data_dir / "reviews" / f"{doc_id}.json").is_file()
    assert not list(small.data_dir.rglob("*.tmp"))
    assert main(["--project", str(small.root), "review", str(draft), "--accept", "all"]) == 0
    assert validate(Project.open(small.root)).conforms


def test_a_journal_never_committed_changes_nothing(tmp_path):
    from drugpolicy_kg.atomic import finish_interrupted, write_all

    target = tmp_path / "a.txt"
    target.write_text("old")
    (tmp_path / "j.json").write_text("{not json")
    assert finish_interrupted(tmp_path / "j.json") == 0 and target.read_text() == "old"
    assert not (tmp_path / "j.json").exists()
    write_all({target: b"new", tmp_path / "b.txt": b"b"}, journal=tmp_path / "j.json")
    assert target.read_text() == "new" and not (tmp_path / "j.json").exists()


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ANY_JSON = st.recursive(st.none() | st.booleans() | st.integers(-3, 10**12) | st.floats(allow_nan=False) |
                        st.text(max_size=12) | st.sampled_from(["", "dpk:org-who", "http://a b", "64/3", "\x00", "\x1b[2J",
                                                                "https://w3id.org/drugpolicy-kg/id/org-who> a <x"]),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                        max_leaves=6)


def _paths(value, at=()):
    """Every place in a candidate a program could change: each key of each object, each item of each list."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*at, k)
            yield from _paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield (*at, i)
            yield from _paths(v, (*at, i))


@pytest.fixture(scope="module")
def plain_draft(small_project, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("draft")
    doc = tmp / "E_CN.7_2099_9.txt"
    doc.write_text("E/CN.7/2099/9\n\n1.1 The Commission met the World Health Organization (WHO) and the Financial Action "
                   "Task Force (FATF), pursuant to Commission on Narcotic Drugs resolution 64/3 and General Assembly "
                   "resolution 70/1.\n1.2 The subprogramme will contribute to Sustainable Development Goals 3 and 16, in "
                   "particular target 3.5.\n", encoding="utf-8")
    out = tmp / "draft.json"
    assert main(["--project", str(small_project.root), "ingest", str(doc), "-o", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_draft_changed_anywhere_to_anything_is_reviewed_or_refused_in_one_line(small_project, plain_draft, tmp_path,
                                                                                 capsys, data):
    """Any value of any type at any depth of any candidate: review answers 0 or 2 in lines of its own, never an
    internal error, and what it writes is Turtle that parses, with no value pasted in as syntax."""
    import shutil
    import uuid

    from rdflib import Graph

    draft = json.loads(json.dumps(plain_draft))
    n = data.draw(st.integers(0, len(draft["candidates"]) - 1))
    cand = draft["candidates"][n]
    path = data.draw(st.sampled_from(sorted(_paths(cand), key=str)))
    *parents, last = path
    holder = cand
    for p in parents:
        holder = holder[p]
    holder[last] = data.draw(ANY_JSON)
    root = tmp_path / uuid.uuid4().hex
    for d in ("ontology", "data", "queries"):
        shutil.copytree(small_project.root / d, root / d)
    shutil.rmtree(root / "data" / "reviews", ignore_errors=True)
    path_file = root / "draft.json"
    path_file.write_text(json.dumps(draft), encoding="utf-8")
    capsys.readouterr()
    for how in ([], ["--accept", "all"]):  # the list of what there is to decide, and the decision
        code = main(["--project", str(root), "review", str(path_file), *how])
        err = capsys.readouterr().err
        assert code in (0, 2) and "internal error" not in err and "Traceback" not in err, (path, how, err)
    written = root / "data" / "e-cn-7-2099-9.ttl"
    if written.exists():
        graph = Graph().parse(written, format="turtle")
        same_as = [o for o in graph.objects(None, __import__("rdflib").OWL.sameAs)]
        assert not same_as, same_as
    shutil.rmtree(root)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_what_the_compiled_schema_passes_jsonschema_passes(plain_draft, data):
    """review passes a candidate on the compiled schema's word (fastjsonschema) and asks jsonschema where and what only
    of one it fails: so whatever the compiled schema finds valid, jsonschema must find valid too, for a candidate
    or a whole draft changed at any place to any value (a kind changed too: each kind's facts are checked)."""
    from drugpolicy_kg.sources.review import _compiled, _validator

    draft = json.loads(json.dumps(plain_draft))
    whole = data.draw(st.booleans())
    value = draft if whole else draft["candidates"][data.draw(st.integers(0, len(draft["candidates"]) - 1))]
    for _ in range(data.draw(st.integers(0, 3))):
        path = data.draw(st.sampled_from(sorted(_paths(value), key=str)))
        *parents, last = path
        holder = value
        for p in parents:
            holder = holder[p]
        holder[last] = data.draw(ANY_JSON | st.sampled_from(
            ["deliverable", "resource", "legislative-mandate", "mandate-cost", "sdg", 0, 1.0, True, [], {}]))
    part = "draft" if whole else "candidate"
    fast = _compiled(part)(value)
    slow = not any(True for _ in _validator(part).iter_errors(value))
    assert slow or not fast, (part, value)
    if not whole and value is draft["candidates"][0]:
        assert fast == slow  # (an unchanged candidate: both pass it)


def _resolution_reviewed(small, tmp_path, text: str, accepted: int):
    """``text`` (a resolution's) ingested into ``small`` and its operative paragraphs accepted: all ``accepted`` of
    them, none refused; the validation report and the store it leaves."""
    doc = tmp_path / "resolution.txt"
    doc.write_text(text, encoding="utf-8")
    draft = tmp_path / "d.json"
    assert main(["--project", str(small.root), "ingest", str(doc), "-o", str(draft)]) == 0
    out = review(small, load_draft(draft), ["operative-paragraph"], [], "", 0.0, None)
    assert out.refused == [] and len(out.accepted) == accepted
    return validate(Project.open(small.root)), GraphStore.open(Project.open(small.root))


def test_operative_paragraphs_are_reviewed_into_mandates_a_trace_follows(small, tmp_path):
    """A resolution's operative paragraphs, accepted: the resolution (its number stated by the line that names it, its
    body by the preamble's "The Commission on Narcotic Drugs,", marked inferred with the reasoning), each paragraph
    part of it, a mandate (or, for "welcomes", a provision) issued in it with its verb, the organizations it addresses
    and its partners, and the activity it calls for; the project conforms, and a trace of the resolution reaches the
    organizations through the paragraphs, with their words."""
    from .test_ingest import CND_RESOLUTION

    report, gs = _resolution_reviewed(small, tmp_path, CND_RESOLUTION, 4)
    assert report.conforms
    res, op2 = DPK + "res-cnd-99-7", DPK + "mandate-cnd-99-7-op2"
    rows = {(p.rsplit("#", 1)[-1].rsplit("/", 1)[-1], o) for p, o in gs.select(f"SELECT ?p ?o WHERE {{ <{op2}> ?p ?o }}")}
    assert {("type", "https://w3id.org/drugpolicy-kg/ontology#Mandate"), ("verb", DPK + "verb-requests"),
            ("addresses", DPK + "org-unodc"), ("withPartner", DPK + "org-who"), ("issuedIn", res + "-op2"),
            ("calledFor", DPK + "activity-cnd-99-7-op2")} <= rows
    assert gs.select("SELECT ?m WHERE { ?m a dpo:Provision ; dpo:verb dpk:verb-welcomes ; dpo:addresses dpk:org-who "
                     "FILTER NOT EXISTS { ?m dpo:calledFor ?x } }") == [(DPK + "mandate-cnd-99-7-op4",)]
    inferred = gs.select(f"SELECT ?why ?q WHERE {{ ?ev dpo:states ?st ; dpo:quote ?q . ?st rdf:subject <{res}> ; "
                         "rdf:predicate dpo:adoptedBy ; rdf:object dpk:org-cnd ; dpo:inferred true ; dpo:reasoning ?why }")
    assert [q for _w, q in inferred] == ["The Commission on Narcotic Drugs,"]
    number = gs.select(f"SELECT ?q WHERE {{ ?ev dpo:states ?st ; dpo:quote ?q . ?st rdf:subject <{res}> ; "
                       "rdf:predicate dpo:resolutionNumber }")
    assert number == [("Resolution 99/7",)]
    assert gs.select(f"SELECT ?t WHERE {{ <{res}> dcterms:title ?t }}") == [("Strengthening prevention among young people",)]
    from drugpolicy_kg.uses.trace_render import Briefing

    opening = Briefing(Tracer(gs.rdflib()).trace("99/7", "both")).summary_text()[0]
    assert opening.startswith("The Commission on Narcotic Drugs adopted resolution 99/7 (inferred, not stated: The "
                              "resolution's text opens with") and "“Strengthening prevention among young people”" in opening
    trace = Tracer(gs.rdflib()).trace("99/7", "forward")
    reached = {h.iri: h for tree in trace.forward for h in tree.walk()}
    assert {DPK + "org-unodc", DPK + "org-who", DPK + "activity-cnd-99-7-op2"} <= set(reached)
    assert any(e.quote.startswith("2. Requests the United Nations Office on Drugs and Crime")
               for e in reached[DPK + "org-unodc"].evidence)


def test_an_operative_paragraph_is_described_in_one_line():
    """The review's list and its questions say what an operative paragraph provides: its resolution and number, its
    verb, whom (or the words, where they name no organization), with whom and what it asks; a provision says so."""
    from drugpolicy_kg.sources.review import describe

    res = {"issuer": "Commission on Narcotic Drugs", "issuer_code": "cnd", "symbol": "99/7", "instrument": "resolution",
           "named": {"quote": "Resolution 99/7", "locator": "opening text", "start": 0}, "opened": None}
    c = {"id": "ope-0123456789", "kind": "operative-paragraph", "quote": "2. Requests ...", "locator": "para. 2",
         "start": 10, "end": 25, "facts": {"resolution": res, "paragraph": "2", "verb": "requests", "directs_action": True,
                                           "addressed": "the United Nations Office on Drugs and Crime",
                                           "addressees": ["United Nations Office on Drugs and Crime"],
                                           "partners": ["World Health Organization"], "action": "report"}}
    assert describe(c) == ("99/7 OP2: requests United Nations Office on Drugs and Crime with World Health Organization "
                           "to report")
    c["facts"].update(verb="welcomes", directs_action=False, addressees=[], partners=[], action="",
                      addressed="the work of the Board")
    assert describe(c) == "99/7 OP2: welcomes 'the work of the Board' (no organization) (a provision: asks for no action)"


def test_an_operative_paragraphs_items_are_the_activities_it_calls_for(small, tmp_path):
    """"Requests the United Nations Office on Drugs and Crime:" then "(a) To report ...;" "(b) To support ...;":
    the mandate calls for one activity per item, each described and stated by its own item (its locator "para. 1
    (a)"), the Office associated with each by the paragraph; the project conforms, with no warning that the mandate
    does not say what it calls for."""
    report, gs = _resolution_reviewed(small, tmp_path, (
        "Resolution 99/3\n\nThe Commission on Narcotic Drugs,\n\n1. Requests the United Nations Office on Drugs and "
        "Crime:\n\n(a) To report on the implementation of the present resolution;\n\n(b) To support Member States, "
        "upon request.\n"), 1)
    assert report.conforms and not [f for f in report.findings if "calledFor" in str(f)]
    rows = gs.select("SELECT ?a ?d ?loc WHERE { dpk:mandate-cnd-99-3-op1 dpo:calledFor ?a . ?a dcterms:description ?d ; "
                     "prov:wasAssociatedWith dpk:org-unodc . ?ev dpo:states ?st ; dpo:locator ?loc . ?st rdf:subject "
                     "dpk:mandate-cnd-99-3-op1 ; rdf:predicate dpo:calledFor ; rdf:object ?a } ORDER BY ?a")
    assert rows == [(DPK + "activity-cnd-99-3-op1-a", "report on the implementation of the present resolution", "para. 1 (a)"),
                    (DPK + "activity-cnd-99-3-op1-b", "support Member States, upon request", "para. 1 (b)")]


def test_a_general_assembly_resolution_says_who_adopted_it_and_when(small, tmp_path):
    """"Resolution adopted by the General Assembly on 17 December 2099" states both, in words: the adoption is
    stated by that line (not inferred from "The General Assembly," below it) and the date is the resolution's
    dcterms:date; the briefing says "adopted resolution 99/9, “...”, on 2099-12-17" and calls nothing inferred."""
    from drugpolicy_kg.uses.trace_render import Briefing

    report, gs = _resolution_reviewed(small, tmp_path, (
        "A/RES/99/9\n\nResolution adopted by the General Assembly on 17 December 2099\n\n99/9. International "
        "cooperation\n\nThe General Assembly,\n\n1.\tRequests the United Nations Office on Drugs and Crime to report.\n"), 1)
    assert report.conforms
    rows = gs.select("SELECT ?p ?q ?inf WHERE { ?ev dpo:states ?st ; dpo:quote ?q . ?st rdf:subject dpk:res-ga-99-9 ; "
                     "rdf:predicate ?p . OPTIONAL { ?st dpo:inferred ?inf } FILTER(?p IN (dpo:adoptedBy, dcterms:date)) }")
    quote = "Resolution adopted by the General Assembly on 17 December 2099"
    assert sorted(rows) == [("http://purl.org/dc/terms/date", quote, None),
                            ("https://w3id.org/drugpolicy-kg/ontology#adoptedBy", quote, None)]
    opening = Briefing(Tracer(gs.rdflib()).trace("99/9", "both")).summary_text()[0]
    assert opening.startswith("The General Assembly adopted resolution 99/9, “International cooperation”, on 2099-12-17")
    assert "inferred" not in opening
