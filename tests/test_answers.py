"""Answers kept beside the store (graph/answers.py): `query` and `trace` read back what the same question of the same
store printed before, and ask the store afresh whenever anything that shapes the answer differs."""

from __future__ import annotations

import os
import uuid

import pytest

from drugpolicy_kg.cli import main
from drugpolicy_kg.graph import answers
from drugpolicy_kg.graph.answers import Answers, stamp_of, unstable
from drugpolicy_kg.graph.store import GraphStore


@pytest.fixture
def asked(monkeypatch):
    """How many times the store was asked a query (every local query goes through GraphStore.query)."""
    calls = []
    real = GraphStore.query

    def counting(self, text, substitutions=None):
        calls.append(text)
        return real(self, text, substitutions)

    monkeypatch.setattr(GraphStore, "query", counting)
    return calls


def fresh_text(body: str = "SELECT ?g ?label WHERE { ?g a dpo:WorkingGroup ; rdfs:label ?label } ORDER BY ?g ?label") -> str:
    return f"# {uuid.uuid4()}\n{body}"  # a question no other test asked: nothing is kept for it yet


def tagged_text() -> tuple[str, str]:
    """A question whose answer holds a word of its own (to find its file among the answers other tests keep)."""
    tag = uuid.uuid4().hex
    return fresh_text(f'SELECT ?g ("{tag}" AS ?tag) WHERE {{ ?g a dpo:WorkingGroup }}'), tag


def answer_file(dataset, tag: str):
    kept = Answers.beside(dataset)
    found = [p for p in kept.folder.glob("*.answer") if tag.encode() in p.read_bytes()]
    assert len(found) == 1, found
    return found[0]


def run(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_a_query_is_answered_once_then_read_back(asked, capsys):
    text = fresh_text()
    first = run(capsys, "query", "--sparql", text)
    n = len(asked)
    assert n >= 1 and ("ITWG" in first or "Interagency" in first)
    assert run(capsys, "query", "--sparql", text) == first
    assert len(asked) == n, "the second run asked the store again"
    assert run(capsys, "query", "--sparql", text, "--fresh") == first
    assert len(asked) == n + 1, "--fresh did not ask the store"
    assert run(capsys, "query", "--sparql", text) == first and len(asked) == n + 1  # what --fresh found is kept too


def test_fresh_replaces_what_was_kept(capsys, dataset):
    text, tag = tagged_text()
    first = run(capsys, "query", "--sparql", text)
    newest = answer_file(dataset, tag)
    newest.write_bytes(b"\0" * 32 + b"stale " + tag.encode())  # an answer damaged: not read back, and --fresh writes it anew
    assert run(capsys, "query", "--sparql", text, "--fresh") == first
    assert newest.read_bytes()[32:] == first.encode("utf-8")


def test_what_shapes_an_answer_is_in_its_key(asked, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "70")  # a table cuts the long names to fit, --wide does not
    text = fresh_text()
    outs = set()
    for argv in (["--format", "csv"], ["--format", "json"], ["--format", "table"], ["--format", "table", "--wide"]):
        before = len(asked)
        outs.add(run(capsys, "query", "--sparql", text, *argv))
        assert len(asked) > before, f"{argv}: read back another format's answer"
    assert len(outs) == 4
    monkeypatch.setenv("COLUMNS", "40")  # a table fitted to another terminal is another answer
    before = len(asked)
    narrow = run(capsys, "query", "--sparql", text, "--format", "table")
    assert len(asked) > before and max(len(line) for line in narrow.splitlines()[:3]) <= 40
    before = len(asked)  # the same once more: read back
    assert run(capsys, "query", "--sparql", text, "--format", "table") == narrow and len(asked) == before


def test_parameters_are_in_the_key(asked, capsys):
    text = fresh_text("SELECT ?x ?p WHERE { ?x ?p ?o } ORDER BY ?p LIMIT 3")
    a = run(capsys, "query", "--sparql", text, "--param", "x=<https://w3id.org/drugpolicy-kg/id/org-itwg>")
    before = len(asked)
    b = run(capsys, "query", "--sparql", text, "--param", "x=<https://w3id.org/drugpolicy-kg/id/org-unodc>")
    assert len(asked) > before and a != b and "org-unodc" in b
    before = len(asked)  # a literal of the same text is another question
    run(capsys, "query", "--sparql", text, "--param", "x=https://w3id.org/drugpolicy-kg/id/org-unodc")
    assert len(asked) > before


@pytest.mark.parametrize("call", ["RAND()", "NOW()", "STRUUID()", "uuid()", "bnode( )"])
def test_a_query_that_may_answer_differently_is_never_kept(asked, capsys, call):
    text = fresh_text(f"SELECT (COUNT(*) AS ?n) WHERE {{ BIND({call} AS ?x) }}")
    assert unstable(text)
    for expected in (1, 2):
        run(capsys, "query", "--sparql", text)
        assert len(asked) == expected


def test_a_changed_package_or_engine_asks_afresh(asked, capsys, monkeypatch):
    text = fresh_text()
    run(capsys, "query", "--sparql", text)
    monkeypatch.setattr(answers, "_STAMP", "another version of the code")
    before = len(asked)
    run(capsys, "query", "--sparql", text)
    assert len(asked) == before + 1


def test_the_stamp_follows_every_edit(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "render.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "page.html").write_text("<p>")
    first = stamp_of(tmp_path)
    assert stamp_of(tmp_path) == first
    (tmp_path / "pkg" / "render.py").write_text("x = 22\n")
    second = stamp_of(tmp_path)
    assert second != first
    os.utime(tmp_path / "pkg" / "page.html", ns=(1, 1))
    third = stamp_of(tmp_path)
    assert third != second
    (tmp_path / "pkg" / "notes.txt").write_text("not code")  # a file that shapes no answer
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "render.cpython-311.json").write_text("{}")  # (nor what Python caches)
    assert stamp_of(tmp_path) == third


def test_a_damaged_answer_is_asked_afresh(asked, capsys, dataset):
    text, tag = tagged_text()
    first = run(capsys, "query", "--sparql", text)
    newest = answer_file(dataset, tag)
    data = bytearray(newest.read_bytes())
    data[-2] ^= 0x20  # one character of the answer changed: its digest no longer holds
    newest.write_bytes(bytes(data))
    before = len(asked)
    assert run(capsys, "query", "--sparql", text) == first
    assert len(asked) == before + 1


def test_trace_is_answered_once_then_read_back(capsys, monkeypatch, tmp_path):
    from drugpolicy_kg.uses.trace import Tracer

    traced = []
    real = Tracer.trace

    def counting(self, *a, **k):
        traced.append(a)
        return real(self, *a, **k)

    monkeypatch.setattr(Tracer, "trace", counting)
    monkeypatch.setattr(answers, "_STAMP", str(uuid.uuid4()))  # traces other tests made are not read back here
    first = run(capsys, "trace", "ITWG")
    assert "ITWG" in first and len(traced) == 1
    assert run(capsys, "trace", "ITWG") == first and len(traced) == 1
    assert run(capsys, "trace", "ITWG", "--direction", "backward") != first and len(traced) == 2
    assert run(capsys, "trace", "ITWG", "--format", "json") != first and len(traced) == 3
    assert run(capsys, "trace", "ITWG", "--fresh") == first and len(traced) == 4
    docs = [tmp_path / "a.docx", tmp_path / "b.docx"]
    for doc in docs:
        run(capsys, "trace", "ITWG", "-o", str(doc))
    assert len(traced) == 5 and docs[0].read_bytes() == docs[1].read_bytes()
    assert docs[0].read_bytes()[:2] == b"PK"


def test_the_folder_keeps_the_most_recently_read_within_its_limit(tmp_path):
    kept = Answers(tmp_path / "answers", entry_limit=1000, folder_limit=3000)
    keys = [kept.key("q", i) for i in range(6)]
    for i, key in enumerate(keys[:3]):
        kept.keep(key, bytes([65 + i]) * 900)
        os.utime(kept.folder / f"{key}.answer", ns=(10**9 * (i + 1), 10**9 * (i + 1)))
    assert kept.get(keys[0]) == b"A" * 900  # read now: the first is the most recent
    kept.keep(keys[3], b"D" * 900)  # 4 x 932 bytes > 3000: the least recently read go, down to 2250
    left = {p.name for p in kept.folder.iterdir()}
    assert left == {f"{keys[0]}.answer", f"{keys[3]}.answer"}
    assert sum(p.stat().st_size for p in kept.folder.iterdir()) <= 3000
    kept.keep(keys[4], b"E" * 1001)  # over the entry limit: not kept
    assert kept.get(keys[4]) is None


def test_what_cannot_be_kept_is_passed_by(tmp_path):
    assert Answers(None).get(Answers(None).key("q")) is None
    Answers(None).keep("0" * 64, b"x")  # a store in memory keeps nothing
    kept = Answers(tmp_path / "answers")
    assert kept.get("../../etc/passwd") is None  # a key is a digest, never a path
    kept.keep("../outside", b"x")
    assert not (tmp_path / "outside.answer").exists() and not (tmp_path / "answers").exists()
    if os.geteuid() != 0:  # (root writes anywhere)
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro").chmod(0o500)
        try:
            ro = Answers(tmp_path / "ro" / "answers")
            key = ro.key("q")
            ro.keep(key, b"rows")  # a read-only cache: no error, nothing kept
            assert ro.get(key) is None
        finally:
            (tmp_path / "ro").chmod(0o700)


def imports_of(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("argv", [["query", "--sparql", "SELECT ?g WHERE { ?g a dpo:WorkingGroup } # {nonce}"],
                                  ["trace", "ITWG", "--format", "markdown", "--direction", "backward"]])
def test_an_answer_read_back_opens_no_store(argv, tmp_path):
    """A process reading an answer back imports neither Oxigraph nor a library that logs (nor logging itself):
    the start of the command, a file read, and nothing else."""
    import subprocess
    import sys

    argv = [a.replace("{nonce}", str(uuid.uuid4())) for a in argv]
    env = {**os.environ, "DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")}  # (a trace kept by another test: not here)
    runs = [subprocess.run([sys.executable, "-X", "importtime", "-m", "drugpolicy_kg", *argv], capture_output=True,
                           text=True, timeout=300, env=env) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr[-2000:]
    assert runs[0].stdout == runs[1].stdout and ("ITWG" in runs[1].stdout or "itwg" in runs[1].stdout)
    assert "pyoxigraph" in imports_of(runs[0].stderr)
    assert not {"pyoxigraph", "logging", "rdflib", "drugpolicy_kg.uses.trace"} & imports_of(runs[1].stderr)


def test_something_else_standing_where_an_answer_goes_is_never_read_or_written(tmp_path):
    """A FIFO, a folder or a link where an answer's file would be (a cache folder someone else wrote in): not read
    (a FIFO would block the command for ever), not written into, not followed."""
    kept = Answers(tmp_path / "answers")
    kept.folder.mkdir()
    fifo, folder, link = (kept.key("q", i) for i in range(3))
    os.mkfifo(kept.folder / f"{fifo}.answer")
    (kept.folder / f"{folder}.answer").mkdir()
    target = tmp_path / "elsewhere"
    target.write_bytes(b"\0" * 32 + b"x")
    (kept.folder / f"{link}.answer").symlink_to(target)
    for key in (fifo, folder, link):
        assert kept.get(key) is None
        kept.keep(key, b"rows")
        assert kept.get(key) is None
    assert target.read_bytes() == b"\0" * 32 + b"x"
    assert (kept.folder / f"{fifo}.answer").is_fifo() and (kept.folder / f"{folder}.answer").is_dir()
