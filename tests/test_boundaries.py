"""Reliability round two (#17): outputs written only where they should be, exits that say what happened, and no
traceback for what the environment does."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
import subprocess
import sys
import time

import pytest

from drugpolicy_kg.atomic import TMP_SUFFIX, atomic_write, folder_lock, scratch_folder, write_page
from drugpolicy_kg.cli import main
from drugpolicy_kg.errors import EXIT_BUSY, EXIT_INTERNAL, BusyError, InputError

from .conftest import ROOT

VIOLATION = ROOT / "tests" / "fixtures" / "violations" / "dangling-reference.ttl"


def said(stderr: str) -> list[str]:
    """What a command said on stderr, without the store's progress lines (a cold cache builds the store first)."""
    return [line for line in stderr.splitlines() if not line.startswith(("drugpolicy-kg: building the graph store",
                                                                          "drugpolicy-kg: built in"))]


def cli(*args, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "drugpolicy_kg.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300, **kw)


def test_new_files_follow_the_umask(tmp_path, small_project):
    out = tmp_path / "g.nt"
    proc = subprocess.run(f"umask 077; {sys.executable} -m drugpolicy_kg.cli --project {small_project.root} export "
                          f"--format nt -o {out}", shell=True,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_an_existing_file_keeps_its_mode(tmp_path):
    out = tmp_path / "keep.txt"
    out.write_text("old")
    out.chmod(0o640)
    with atomic_write(out) as fh:
        fh.write("new")
    assert out.read_text() == "new" and stat.S_IMODE(out.stat().st_mode) == 0o640


def test_output_onto_a_folder_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["export", "--format", "nt", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a folder" in err and len(err.strip().splitlines()) == 1 and tmp_path.is_dir()


@pytest.mark.parametrize("args", [["build", "--out"], ["trace", "--site"], ["views", "--out"]])
def test_a_folder_option_onto_a_file_is_one_line_and_exit_2(tmp_path, capsys, args):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    assert main([*args, str(target)]) == 2
    err = capsys.readouterr().err
    assert "exists and is not a folder" in err and len(err.strip().splitlines()) == 1
    assert target.read_text() == "mine"


def test_a_device_is_written_into_never_replaced(tmp_path, small_project):
    if not os.access("/dev/null", os.W_OK):
        pytest.skip("/dev/null is not writable here")
    assert main(["--project", str(small_project.root), "export", "--format", "nt", "-o", "/dev/null"]) == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # still the device, not a regular file renamed onto it


def test_only_our_own_stale_temporary_files_are_cleaned_up(tmp_path):
    mine = tmp_path / f".old{TMP_SUFFIX}"
    theirs = tmp_path / "sub" / ".notes.tmp"
    theirs.parent.mkdir()
    for f in (mine, theirs):
        f.write_text("x")
        old = time.time() - 7200
        os.utime(f, (old, old))
    with folder_lock(tmp_path):
        pass
    assert not mine.exists() and theirs.exists()


def test_a_killed_writer_s_scratch_folder_is_cleaned_up_with_what_it_held(tmp_path):
    """A scratch folder left by a killed process (its temporary pages in it) goes as its temporary files do."""
    left = tmp_path / "entities" / f".4242-0{TMP_SUFFIX}"
    (left / f".a.html.4242-1{TMP_SUFFIX}").parent.mkdir(parents=True)
    (left / f".a.html.4242-1{TMP_SUFFIX}").write_text("half a pa")
    page = tmp_path / "entities" / "a.html"
    page.write_text("whole")
    for f in (left, left / f".a.html.4242-1{TMP_SUFFIX}"):
        old = time.time() - 7200
        os.utime(f, (old, old))
    with folder_lock(tmp_path):
        pass
    assert not left.exists() and page.read_text() == "whole"


def test_pages_written_through_a_scratch_folder_land_whole_and_leave_nothing(tmp_path):
    with scratch_folder(tmp_path) as scratch:
        assert scratch.parent == tmp_path and scratch.name.endswith(TMP_SUFFIX)
        assert write_page(tmp_path / "p.html", "<p>one</p>", scratch)
        with pytest.raises(RuntimeError), atomic_write(tmp_path / "p.html", scratch=scratch) as fh:
            fh.write("<p>half")
            assert list(scratch.iterdir())  # the temporary file is made there, not beside the page
            raise RuntimeError("stopped")
    assert (tmp_path / "p.html").read_text() == "<p>one</p>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.html"]  # the scratch folder went with the block


def test_a_page_that_holds_the_same_bytes_is_not_written_again_and_a_changed_one_is(tmp_path):
    page = tmp_path / "p.html"
    assert write_page(page, "<p>caf\u00e9</p>")
    os.utime(page, (1_000_000, 1_000_000))
    assert not write_page(page, "<p>caf\u00e9</p>") and page.stat().st_mtime == 1_000_000
    assert write_page(page, "<p>cafe!</p>")  # the same length in bytes, other bytes
    assert page.read_text(encoding="utf-8") == "<p>cafe!</p>"
    assert write_page(page, "<p>caf\u00e9</p> and more") and page.read_text(encoding="utf-8").endswith("more")


def test_a_held_lock_is_busy_exit_4_not_bad_input(tmp_path):
    with folder_lock(tmp_path):
        with pytest.raises(BusyError) as info, folder_lock(tmp_path, timeout=0.2):
            pass
    assert info.value.exit_code == EXIT_BUSY == 4


def test_validate_under_a_closed_pipe_keeps_its_verdict(tmp_path, small_project):
    """`validate FILE | head -1` under pipefail: the non-conforming verdict survives the reader leaving (on the project
    without the budget sections: the pipe, not the data, is tested)."""
    proc = subprocess.run(f"set -o pipefail; {sys.executable} -m drugpolicy_kg.cli --project {small_project.root} "
                          f"validate --no-quotes {VIOLATION} | head -c 1",
                          shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_an_ascii_only_terminal_gets_the_message_not_a_traceback(tmp_path):
    proc = cli("trace", "Résolution inconnue ✓", env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "nothing in the graph matches" in proc.stderr


def test_a_bug_is_one_line_and_exit_70(monkeypatch, capsys):
    import drugpolicy_kg.cli as c

    def broken(args):
        raise RuntimeError("boom \x1b[31m")

    monkeypatch.setattr(c, "cmd_stats", broken)
    monkeypatch.delenv("DRUGPOLICY_KG_DEBUG", raising=False)
    assert main(["stats"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "internal error (RuntimeError: boom \\x1b[31m)" in err and len(err.strip().splitlines()) == 1


def test_an_unreadable_target_folder_is_input_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads and writes every folder")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    with pytest.raises((InputError, PermissionError)):
        with atomic_write(locked / "x.txt") as fh:
            fh.write("x")


def test_a_relative_iri_is_refused_not_turned_into_a_local_path(tmp_path):
    from .conftest import make_copy

    project = make_copy(tmp_path)
    (project / "data" / "zz-relative.ttl").write_text('<relative-thing> <http://www.w3.org/2000/01/rdf-schema#label> "x" .\n',
                                                      encoding="utf-8")
    proc = cli("--project", str(project), "export", "--format", "nt", "-o", str(tmp_path / "out.nt"),
               env={"DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 2 and "zz-relative.ttl:1:1" in proc.stderr and "a relative IRI" in proc.stderr
    assert not (tmp_path / "out.nt").exists()


def test_graph_exports_stay_well_formed_xml_whatever_the_labels_hold():
    import io
    import xml.etree.ElementTree as ET

    import networkx as nx

    from drugpolicy_kg.uses.netfiles import gexf, graphml
    from drugpolicy_kg.uses.networks import flat_copy

    g = nx.Graph(name='a "name" & <more>')
    g.add_node("https://x/a\x01", label="bad \x01 label \ufffe", roles=["a\x02", "b"])
    g.add_node("https://x/b", label="=HYPERLINK(\"http://evil\")", note="</data><data key='d0'>x</data>")
    g.add_edge("https://x/a\x01", "https://x/b", title="quote \x0b here", label="a\r\nb\tc 'q' \"q\"", weight=2)
    flat = flat_copy(g)
    for writer, reader in ((graphml, nx.read_graphml), (gexf, nx.read_gexf)):
        text = writer(flat)
        ET.fromstring(text.encode())  # well-formed: the forbidden characters became visible escapes
        assert "\\x01" in text
        back = reader(io.BytesIO(text.encode()))  # and every value comes back as it was, markup and all
        assert back.nodes["https://x/b"]["note"] == "</data><data key='d0'>x</data>"
        assert back.edges["https://x/a\\x01", "https://x/b"]["label"] == "a\r\nb\tc 'q' \"q\""


def test_our_csv_cells_never_run_as_formulas():
    from drugpolicy_kg.tables import spreadsheet_safe

    assert [spreadsheet_safe(v) for v in ("=1+1", "+1", "@SUM(A1)", "-x", "\tx", "ok", 3)] == [
        "'=1+1", "'+1", "'@SUM(A1)", "'-x", "'\tx", "ok", 3]


@pytest.mark.parametrize("args,message", [
    (["serve", "--port", "70000"], "a port is 0 to 65535"),
    (["query", "organizations", "--endpoint", "http://127.0.0.1:9/query", "--timeout", "inf"], "finite number of seconds"),
    (["push", "--endpoint", "http://127.0.0.1:9/query", "--timeout", "nan"], "finite number of seconds"),
    (["push", "--endpoint", "http://127.0.0.1:9/query", "--update", "http://127.0.0.1:9/u", "--chunk", "-1"],
     "whole number from 1"),
    (["push", "--endpoint", "http://127.0.0.1:9/query", "--update", "http://127.0.0.1:9/u", "--chunk", "0"],
     "whole number from 1"),
    (["search", "stigma", "--limit", "99999999999999999999"], "whole number from 1 to 2147483647"),
    (["search", "stigma", "--limit", "2.5"], "not a whole number"),
    (["query", "members-of-body", "--param", "body=\udcff"], "not UTF-8 text"),  # the byte 0xFF on the command line
    (["query", "members-of-body", "--param", 'body="\udcff"@en'], "not UTF-8 text"),
    (["ingest", "data/sources/isn-brochure.txt", "--doc-id", "../../x"], "lower-case letters, digits and hyphens"),
    (["ingest", "data/sources/isn-brochure.txt", "--doc-id", "a>b"], "lower-case letters, digits and hyphens"),
    (["trace", "--site", "SITE", "--views", "javascript:alert(1)//"], "a relative link or an http(s) URL"),
    (["trace", "--site", "SITE", "--views", " JavaScript:alert(1)"], "a relative link or an http(s) URL"),
    (["trace", "--site", "SITE", "--views", "data:text/html,<script>x</script>"], "a relative link or an http(s) URL"),
    (["trace", "  "], "give a TERM to trace"),
])
def test_bad_options_are_one_line_exit_2(args, message, tmp_path):
    args = [str(tmp_path / "site") if a == "SITE" else str(ROOT / a) if a.startswith("data/") else a for a in args]
    proc = cli(*args)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("link", ["../site/index.html", "views/index.html#node=x", "https://example.org/site/",
                                  "HTTP://example.org/a?b=c", "index.html"])
def test_page_links_that_are_relative_or_http_are_taken_as_given(link):
    from drugpolicy_kg.cli import page_link

    assert page_link(link) == link


def test_bad_project_files_are_one_line_exit_2(tmp_path):
    from .conftest import make_copy

    project = make_copy(tmp_path)
    env = {"DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")}
    check = project / "queries" / "checks" / "zz-ask-violation.rq"
    check.write_text("ASK { ?s ?p ?o }\n")
    proc = cli("--project", str(project), "validate", env=env)
    assert proc.returncode == 2 and "a check must be a SELECT query" in proc.stderr
    check.unlink()
    (project / "data" / "zz-bom.ttl").write_bytes(b"\xef\xbb\xbf@prefix dpk: <https://w3id.org/drugpolicy-kg/id/> .\n")
    assert cli("--project", str(project), "stats", env=env).returncode == 0  # a byte-order mark is read past
    (project / "data" / "sources" / "isn-brochure.txt").write_bytes(b"caf\xe9\n")
    proc = cli("--project", str(project), "validate", env=env)
    assert proc.returncode == 2 and "isn-brochure.txt: not UTF-8 text (byte 3)" in proc.stderr


def test_the_environment_failing_is_one_line_never_a_traceback(tmp_path, small_project):
    """A full disk (/dev/full), a closed stdout, a file name one byte under the limit and one over it (exports of the
    project without the budget sections)."""
    small = ("--project", str(small_project.root))
    proc = cli(*small, "export", "--format", "nt", "-o", "/dev/full")
    assert proc.returncode == 2 and said(proc.stderr) == ["drugpolicy-kg: error: No space left on device"]
    proc = subprocess.run(f"{sys.executable} -m drugpolicy_kg.cli stats >&-", shell=True, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(said(proc.stderr)) == 1
    longest = tmp_path / ("n" * 251 + ".nt")  # 255 bytes: the most a name may have
    assert cli(*small, "export", "--format", "nt", "-o", str(longest)).returncode == 0 and longest.stat().st_size > 1000
    proc = cli(*small, "export", "--format", "nt", "-o", str(tmp_path / ("n" * 300 + ".nt")))
    assert proc.returncode == 2 and "File name too long" in proc.stderr and "Traceback" not in proc.stderr


def test_a_full_disk_midway_leaves_the_old_file_whole(tmp_path, monkeypatch, capsys, small_project):
    """Fault injection: the disk fills while the new file is written; the old one stays, no temporary is left."""
    import errno

    out = tmp_path / "graph.nt"
    out.write_text("the old export\n", encoding="utf-8")
    real = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    try:
        assert main(["--project", str(small_project.root), "export", "--format", "nt", "-o", str(out)]) == 2
    finally:
        monkeypatch.setattr(os, "fsync", real)
    assert "No space left on device" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "the old export\n" and not list(tmp_path.glob(f"*{TMP_SUFFIX}"))


def test_data_file_names_and_iri_escapes(tmp_path):
    """A data file named with a space loads; an IRI escape that makes a space (``\\u0020``) is one line naming
    file, line and column."""
    from .conftest import make_copy

    project = make_copy(tmp_path)
    env = {"DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")}
    (project / "data" / "my notes.ttl").write_text(
        '<https://w3id.org/drugpolicy-kg/id/x> <http://www.w3.org/2000/01/rdf-schema#comment> "a note" .\n',
        encoding="utf-8")
    assert cli("--project", str(project), "stats", env=env).returncode == 0
    (project / "data" / "zz-escape.ttl").write_text(
        '<https://w3id.org/drugpolicy-kg/id/a\\u0020b> <http://www.w3.org/2000/01/rdf-schema#comment> "x" .\n',
        encoding="utf-8")
    proc = cli("--project", str(project), "stats", env=env)
    assert proc.returncode == 2 and "zz-escape.ttl:1:1: Turtle syntax error: Invalid IRI code point" in proc.stderr
    assert len(said(proc.stderr)) == 1


def test_several_outputs_change_together_or_not_at_all(tmp_path, monkeypatch):
    from drugpolicy_kg.atomic import write_all

    targets = [tmp_path / n for n in ("a.ttl", "b.nt", "c.jsonld")]
    write_all({t: b"old" for t in targets})
    calls = []
    real = os.fsync

    def interrupted_at_the_third(fd):
        calls.append(fd)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C or SIGTERM while the third file is written
        real(fd)

    monkeypatch.setattr(os, "fsync", interrupted_at_the_third)
    with pytest.raises(KeyboardInterrupt):
        write_all({t: b"new" for t in targets})
    monkeypatch.setattr(os, "fsync", real)
    assert [t.read_bytes() for t in targets] == [b"old"] * 3  # all the old ones, none of the new
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ttl", "b.nt", "c.jsonld"]  # no temporary left
    write_all({t: b"new" for t in targets})
    assert [t.read_bytes() for t in targets] == [b"new"] * 3


@pytest.mark.parametrize("deep", [
    "SELECT * WHERE " + "{ " * 20000 + "?s ?p ?o" + " }" * 20000,
    "SELECT * WHERE { ?s ?p ?o FILTER(" + "!" * 20000 + "?o) }",           # made the query command segfault
    "SELECT * WHERE { ?s ?p " + "[ ?q " * 5000 + "1" + " ]" * 5000 + " }",  # (exit 139) before the guard knew them
    "SELECT * WHERE { ?s " + "^" * 5000 + "?p ?o }",
], ids=["braces", "negations", "brackets", "inverse-paths"])
def test_a_deeply_nested_query_is_refused_not_a_crash(deep):
    proc = cli("query", "--sparql", deep)
    assert proc.returncode == 2 and "nest deeper than 200" in proc.stderr


@pytest.mark.parametrize("text,used", [
    ("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", ["SERVICE"]),
    ("PREFIX ex: <http://x/> SELECT * { ?s ex:p\\# ?o . SERVICE <http://y/> { ?a ?b ?c } }", ["SERVICE"]),
    ("SELECT * { ?s ?p 'SERVICE <http://x/>' } # SERVICE", []),
    ("SELECT ?load ?service { ?load a <http://schema.org/Service> }", []),
    ("LOAD <http://x/data.ttl>", ["LOAD"]),
    ("SELECT * { SeRvIcE SILENT ?endpoint { ?s ?p ?o } }", ["SERVICE"]),
    ("SELECT * { \\u0053ERVICE <http://x/> { ?s ?p ?o } }", ["SERVICE"]),  # read as SPARQL reads it: escapes first
    ("SELECT * { ?s ?p '\\u0027 } SERVICE <http://x/> { ?a ?b ?c } #' }", ["SERVICE"]),  # an escaped quote ends it
    ('VERSION "1.2" SELECT * { SERVICE <http://x/> { ?s ?p ?o } }', ["SERVICE"]),  # a grammar rdflib does not read
    ('VERSION "1.2" SELECT * { ?s ?p "no network, only the word service" }', []),  # ... Oxigraph's is read
    ('VERSION "1.2" SELECT * { ?s ?p <<( ?a ?b ?c )>> . sErViCe <http://x/> { } }', ["SERVICE"]),  # (a triple term)
    ("PREFIX service: <http://x/> SELECT * { ?s service:load service:x }", []),  # (a prefix: overwritten alike)
    ("INSERT DATA { <http://x/a> <http://x/b> 'LOAD' } ; LOAD SILENT <http://x/> INTO GRAPH <http://x/g>", ["LOAD"]),
    # Oxigraph reads escapes only inside strings: "\u0022" is one quote to it, while a reading of escapes first saw
    # the start of a long string that hid the SERVICE up to the comment; both readings are checked
    ('SELECT * { BIND("\\u0022" AS ?x) SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } # """ AS ?y)\n}', ["SERVICE"]),
    ("SELECT * { BIND('\\u0027' AS ?x) SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } # ''' AS ?y)\n}", ["SERVICE"]),
])
def test_network_use_is_read_from_the_grammar(text, used):
    from drugpolicy_kg.sparql.query import network_use

    assert network_use(text, None) == used  # (a query or an update)


def test_a_query_the_guard_cannot_parse_never_reaches_a_listening_socket():
    """SPARQL 1.2's VERSION and codepoint escapes, which rdflib's parser does not read: the query is refused, and the
    listener on loopback is never called. A text Oxigraph cannot parse is refused as a syntax error, in one line,
    before anything runs, whatever words it holds."""
    from .servers import Untouched

    with Untouched() as srv:
        for text in (f'VERSION "1.2" SELECT * {{ BIND(<http://x/\\u0041> AS ?z) SERVICE <http://127.0.0.1:{srv.port}/> '
                     "{ ?s ?p ?o } }",
                     f"SELECT * {{ \\u0053ERVICE <http://127.0.0.1:{srv.port}/> {{ ?s ?p ?o }} }}"):
            proc = cli("query", "--sparql", text)
            assert proc.returncode == 2 and "SERVICE" in proc.stderr, proc.stderr
            srv.assert_untouched()
        broken = f"SELECT * {{ ?s ?p 'service' . SERVICE <http://127.0.0.1:{srv.port}/> {{ ?s ?p ?o }} ] }}"
        proc = cli("query", "--sparql", f"SELECT * {{ ?s ?p ?o }} ) # service\n{broken}")
        assert proc.returncode == 2 and "SPARQL syntax error" in proc.stderr and len(proc.stderr.splitlines()) == 1
        srv.assert_untouched()


def test_what_oxigraph_reads_as_no_keyword_is_run_not_refused():
    """The words as a string, a name, a prefix or a variable, in SPARQL 1.2 that rdflib's parser does not read (the
    guard used rdflib's grammar and refused every such text that held either word anywhere): answered."""
    text = ('VERSION "1.2" PREFIX service: <http://x/> SELECT ?load WHERE { VALUES ?load { "a LOAD" service:load } '
            "BIND(<<( ?load service:p 'service' )>> AS ?t) }")
    proc = cli("query", "--sparql", text, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["load", "a LOAD", "http://x/load"]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

NETWORK_FRAGMENTS = ["SERVICE <http://127.0.0.1:1/> { ?s ?p ?o }", "SERVICE SILENT <http://127.0.0.1:1/> {}", "{", "}",
                     "(", ")", '"', "'", '"""', "'''", "\\", "\\u0022", "\\u0027", "\\u0053ERVICE", "\\u003E", "#",
                     "\n", " ", "BIND(", " AS ?x)", " AS ?y)", "<http://x/", ">", "?s ?p ?o .", "FILTER(", "1", ".",
                     "VALUES ?v {", "OPTIONAL {", "service", "LOAD", 'BIND("\\u0022" AS ?q)', "BIND('\\u0027' AS ?q)",
                     "<http://x/\\u003E>", '# """', "# '''", "<<( ?a ?b ?c )>>", "?service", "service:", ":service",
                     "@en-service", "SeRvIcE", "\\u0073ervice", "PREFIX service: <http://x/>"]


@settings(max_examples=250, deadline=None)
@given(parts=st.lists(st.sampled_from(NETWORK_FRAGMENTS), min_size=1, max_size=14))
def test_whatever_oxigraph_reads_as_service_the_guard_finds(parts):
    """Oxigraph is the judge: a text that Oxigraph runs to the point of calling a SERVICE (on port 1, which its client
    refuses before connecting, so nothing leaves) is one the guard refuses; the texts are built from the pieces that
    shift where strings, IRIs and comments end."""
    import pyoxigraph as ox

    from drugpolicy_kg.sparql.query import network_use

    text = "SELECT * WHERE { " + "".join(parts) + "\n}"
    called = False
    try:
        result = ox.Store().query(text)
        list(result) if not isinstance(result, ox.QueryBoolean) else bool(result)
    except OSError as exc:
        called = "port 1 is not allowed" in str(exc)
    except SyntaxError:
        return
    except (ValueError, RuntimeError):
        pass
    used = network_use(text)  # (a text Oxigraph parses is never called a syntax error by the guard)
    assert not called or "SERVICE" in used, text


def test_a_prefix_named_like_a_network_word_is_refused_as_the_text_s_own_error():
    """Drawn by Hypothesis: "service:", a prefix never declared. The scanner looked for the word in no code at all
    and failed with an IndexError (an internal error) instead of refusing the text with Oxigraph's message; in the
    second reading of a text with a codepoint escape (where `\\u0022` opens a long string), instead of failing closed."""
    from drugpolicy_kg.sparql.query import network_use

    with pytest.raises(SyntaxError, match="Prefix not found"):
        network_use("SELECT * WHERE { ?s service:x ?o }")
    assert network_use('SELECT * WHERE { BIND("\\u0022" AS ?q)#BIND("\\u0022" AS ?q)service:\n}') == ["SERVICE"]
    assert network_use('SELECT * WHERE { BIND("\\u0022" AS ?q) SERVICE <http://x/> {} }') == ["SERVICE"]


@settings(max_examples=300, deadline=None)
@given(value=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
       lang=st.sampled_from([None, "en", "fr-CA"]), other=st.text(max_size=20))
def test_a_bound_value_never_changes_the_query_structure(value, lang, other):
    """Whatever the value holds (quotes, braces, newlines, a trailing backslash), the query sent to a server has
    exactly the structure it had: one VALUES row, two variables bound, and the values come back unchanged."""
    import pyoxigraph as ox

    from drugpolicy_kg.sparql.query import with_values

    text = with_values("SELECT ?a ?b WHERE { }", {"a": ox.Literal(value, language=lang) if lang else ox.Literal(value),
                                                   "b": ox.Literal(other)})
    rows = list(ox.Store().query(text))
    assert len(rows) == 1
    assert rows[0]["a"].value == value and rows[0]["b"].value == other
    assert (rows[0]["a"].language or None) == (lang.lower() if lang else None)


def test_the_quote_check_stays_linear_on_brackets():
    from drugpolicy_kg.checks.quotes import normalise

    started = time.perf_counter()
    for text in ("[" * 120_000, "[(" * 60_000, "[a](" * 30_000):
        normalise(text)
    assert time.perf_counter() - started < 2  # it took 40-50 s on 120 KB before
    assert normalise("see [the ITWG](https://x/itwg) and [Goals \\(SDGs\\) 3](#)") == "see the ITWG and Goals (SDGs) 3"


CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_a_runaway_query_stops_at_its_time_limit(tmp_path):
    out = tmp_path / "rows.csv"
    started = time.monotonic()
    proc = cli("query", "--sparql", CARTESIAN, "--timeout", "2", "-o", str(out))
    assert proc.returncode == 2 and "stopped after 2 s" in proc.stderr and not out.exists()
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_runaway_query_hears_sigterm_and_ctrl_c(sig):
    import signal

    proc = subprocess.Popen([sys.executable, "-m", "drugpolicy_kg.cli", "query", "--sparql", CARTESIAN, "--timeout", "600"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    started = time.monotonic()
    proc.send_signal(getattr(signal, sig))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and time.monotonic() - started < 10


def working(proc, seconds=120):
    """Wait until the command runs its work in the worker thread main starts for it (a second thread in /proc)."""
    import os

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        if len(os.listdir(f"/proc/{proc.pid}/task")) >= 2:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(("sig", "command"), [("SIGTERM", ["validate"]), ("SIGINT", ["trace", "--site", "SITE"]),
                                              ("SIGTERM", ["views", "--out", "SITE"])])
def test_long_commands_hear_signals_at_once_and_leave_no_half_file(sig, command, tmp_path):
    """validate, trace --site and views run their queries in a worker: a signal stops them at once (not after the
    current query), the temporary file being written is removed, and a file written before the run stays whole."""
    import signal

    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("the page of an earlier run", encoding="utf-8")
    args = [str(site) if a == "SITE" else a for a in command]
    proc = subprocess.Popen([sys.executable, "-m", "drugpolicy_kg.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert working(proc), "the command never started its work"
    time.sleep(1.5)
    started = time.monotonic()
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=60)
    lines = said(err)
    assert proc.returncode == 130 and len(lines) == 1 and "interrupted" in lines[0], err
    assert time.monotonic() - started < 10
    assert not list(site.rglob("*.drugpolicy-kg.tmp"))
    index = (site / "index.html").read_text(encoding="utf-8")
    assert index == "the page of an earlier run" or index.rstrip().endswith("</html>")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the worker's end is Linux's")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_views_stops_its_trace_writer_with_it(sig, tmp_path):
    """views writes the trace pages in a process of its own: whether the command is stopped (SIGTERM) or killed
    (SIGKILL), that process ends too and leaves no temporary file or folder behind."""
    import os
    import signal

    site, tmp = tmp_path / "site", tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "drugpolicy_kg.cli", "views", "--view", "collaboration", "--out", str(site)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)})
    writer = _child_running(proc, "_pages_main", every=0.1)
    assert writer, "views never started its trace writer"
    deadline = time.monotonic() + 60  # until it is writing pages
    while time.monotonic() < deadline and not (site / "traces").is_dir():
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(getattr(signal, sig))
    proc.communicate(timeout=60)
    assert _gone(writer, "_pages_main")
    time.sleep(0.5)
    assert not list(site.rglob("*.drugpolicy-kg.tmp"))
    assert not list(tmp.iterdir())  # nor the folder where the two processes share out the entity pages


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the worker's end is Linux's")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_validate_stops_its_shapes_process_with_it(sig, tmp_path):
    """validate runs the compiled shapes in a process of their own: whether the command is stopped (SIGTERM) or
    killed (SIGKILL), that process ends too and leaves nothing behind."""
    import os
    import signal

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "drugpolicy_kg.cli", "validate", "--engine", "sparql"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)})
    worker = _child_running(proc, "_shapes_main", every=0.02)  # (caught while it runs: a second or two)
    assert worker, "validate never started its shapes process"
    proc.send_signal(getattr(signal, sig))
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert _gone(worker, "_shapes_main")
    assert not list(tmp.iterdir())


def _child_running(proc: subprocess.Popen, marker: str, every: float, within: float = 120) -> int | None:
    """The id of ``proc``'s child process whose command line holds ``marker``, once there is one (None: none came
    within ``within`` seconds, or ``proc`` ended); looked for every ``every`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and proc.poll() is None:
        for pid in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split():
            with contextlib.suppress(OSError):
                if marker in open(f"/proc/{pid}/cmdline").read():
                    return int(pid)
        time.sleep(every)
    return None


def _gone(pid: int, marker: str, within: float = 20) -> bool:
    """Whether the process ``pid`` (whose command line held ``marker``) has ended within ``within`` seconds (its id
    since taken by another process counts as ended)."""
    def alive() -> bool:
        with contextlib.suppress(OSError):
            return marker in open(f"/proc/{pid}/cmdline").read()
        return False

    deadline = time.monotonic() + within
    while time.monotonic() < deadline and alive():
        time.sleep(0.1)
    return not alive()


def test_a_site_s_list_of_its_files_removes_nothing_outside_it(tmp_path):
    """prune_site removes only regular files inside the site's folder that its last list names: a list that names
    a path out of the folder (by ``..``, absolute, or through a symbolic link, to a file or a folder), a folder, or
    a file changed after the list was written, removes none of them."""
    import os

    from drugpolicy_kg.atomic import SITE_LIST, prune_site

    site, outside = tmp_path / "site", tmp_path / "outside"
    site.mkdir()
    outside.mkdir()
    (outside / "precious.txt").write_text("keep", encoding="utf-8")
    (site / "linked.html").symlink_to(outside / "precious.txt")
    (site / "door").symlink_to(outside)
    (site / "a-folder").mkdir()
    (site / "old.html").write_text("stale", encoding="utf-8")
    (site / "changed.html").write_text("changed since", encoding="utf-8")
    names = ["../outside/precious.txt", str(outside / "precious.txt"), "linked.html", "door/precious.txt",
             "a-folder", "old.html", "changed.html", ""]
    (site / SITE_LIST).write_text("\n".join(names) + "\n", encoding="utf-8")
    later = (site / SITE_LIST).stat().st_mtime + 60
    os.utime(site / "changed.html", (later, later))
    assert prune_site(site, [site / "index.html"]) == ["old.html"]
    assert (outside / "precious.txt").read_text(encoding="utf-8") == "keep"
    assert (site / "linked.html").is_symlink() and (site / "a-folder").is_dir() and (site / "changed.html").is_file()
    assert (site / SITE_LIST).read_text(encoding="utf-8") == "index.html\n"


def test_long_commands_stop_at_their_time_limit(tmp_path):
    started = time.monotonic()
    proc = cli("views", "--out", str(tmp_path / "site"), "--timeout", "1")
    lines = said(proc.stderr)
    assert proc.returncode == 2 and len(lines) == 1 and "views: stopped after 1 s" in lines[0], proc.stderr
    assert time.monotonic() - started < 60
    assert not list((tmp_path / "site").rglob("*.drugpolicy-kg.tmp")) if (tmp_path / "site").exists() else True
    assert cli("validate", "--timeout", "0").returncode == 2  # a limit must be above 0


HOSTILE = ["<script>alert(1)</script>", "\x1b[2J\x1b[31mconforms", "=HYPERLINK(\"http://evil\")", "[x](javascript:alert(1))",
           "a\x01b\x0bc\ufffe", "../../etc/passwd", "\u202eevil\u202c", "*bold* _em_ `code` # head", "x\r\ny", "\"'&<>"]


@settings(max_examples=200, deadline=None)
@given(extra=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_every_output_boundary_holds_against_the_same_hostile_strings(extra):
    """One set of hostile strings (and generated ones) through each output's single escaping function."""
    import html
    import re as _re
    import xml.etree.ElementTree as ET

    from markdown_it import MarkdownIt

    from drugpolicy_kg.tables import markdown_safe, spreadsheet_safe, terminal_safe, xml_safe
    from drugpolicy_kg.uses.trace_render import page_names

    md = MarkdownIt("commonmark")
    for text in [*HOSTILE, extra]:
        assert "<" not in html.escape(text) and ">" not in html.escape(text)  # HTML
        shown = md.render(markdown_safe(text))  # Markdown, rendered as JupyterLab and GitHub do
        assert not _re.search(r"<(?!/?p>)", shown), shown
        assert not _re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", terminal_safe(text).replace(" ", ""))
        ET.fromstring(f"<r a={xml_quote(xml_safe(text))}>{xml_text(xml_safe(text))}</r>")  # XML: well-formed
        cell = spreadsheet_safe(text)
        assert not (isinstance(cell, str) and cell[:1] and cell[:1] in "=+-@\t\r")  # CSV for spreadsheets
        name = page_names([f"https://w3id.org/drugpolicy-kg/id/{text}"])[f"https://w3id.org/drugpolicy-kg/id/{text}"]
        assert _re.fullmatch(r"[a-z0-9-]+(-[0-9a-f]{8})?\.html", name)  # a file name, never a path


def test_a_projects_query_files_reach_the_terminal_escaped(tmp_path):
    """A cloned project's query files are its data too: their names and headers reach the terminal through
    `query --list` as visible escapes."""
    from .conftest import make_copy

    project = make_copy(tmp_path)
    (project / "queries" / "zz-evil.rq").write_text(
        "#+ summary: evil \x1b[2J\x1b[31mRED\n#+ audience: x\x1b]0;title\x07\nSELECT * WHERE { ?s ?p ?o } LIMIT 1\n",
        encoding="utf-8")
    (project / "queries" / "zz-a\x1b[31mb.rq").write_text("SELECT * WHERE { ?s ?p ?o } LIMIT 1\n", encoding="utf-8")
    proc = cli("--project", str(project), "query", "--list", env={"DRUGPOLICY_KG_CACHE": str(tmp_path / "c")})
    assert proc.returncode == 0 and "evil \\x1b[2J" in proc.stdout and "zz-a\\x1b[31mb" in proc.stdout
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout


def xml_quote(text: str) -> str:
    from xml.sax.saxutils import quoteattr

    return quoteattr(text)


def xml_text(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


def test_a_shape_may_not_reach_the_network(tmp_path):
    from .conftest import make_copy

    project = make_copy(tmp_path)
    shapes = project / "ontology" / "shapes.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8") + '''
dps:RemoteShape a sh:NodeShape ; sh:targetClass dpo:WorkingGroup ;
    sh:sparql [ sh:select """SELECT $this WHERE { SERVICE <http://127.0.0.1:9/sparql> { $this ?p ?o } }""" ] .
''', encoding="utf-8")
    proc = cli("--project", str(project), "validate", "--engine", "pyshacl", env={"DRUGPOLICY_KG_CACHE": str(tmp_path / "c")})
    assert proc.returncode == 2 and "a shape's SPARQL may not use SERVICE" in proc.stderr


@functools.lru_cache(maxsize=1)
def _small_union(root: str):
    from drugpolicy_kg.graph.store import GraphStore
    from drugpolicy_kg.resources import Project

    return GraphStore.open(Project.open(root)).union_graph()


HOSTILE_TEXT = st.one_of(st.sampled_from(HOSTILE), st.text(alphabet=st.characters(blacklist_categories=("Cs",)),
                                                           min_size=1, max_size=30))


def _hostile_added(text: str) -> list:
    """The triples that give one organization of the small project `text` as its name, acronym, quote and locator."""
    from rdflib import BNode, Literal, Namespace, URIRef
    from rdflib.namespace import RDF, RDFS, SKOS

    dpk, dpo = Namespace("https://w3id.org/drugpolicy-kg/id/"), Namespace("https://w3id.org/drugpolicy-kg/ontology#")
    org = Namespace("http://www.w3.org/ns/org#")
    evil, m, ev, st_ = dpk["org-evil"], dpk["membership-evil"], BNode(), BNode()
    return [(evil, RDF.type, org.FormalOrganization), (evil, RDFS.label, Literal(text, lang="en")),
            (evil, SKOS.altLabel, Literal(text)), (m, RDF.type, org.Membership), (m, org.member, evil),
            (m, org.organization, dpk.itwg), (m, org.role, dpk["role-member"]), (ev, RDF.type, dpo.Evidence),
            (ev, dpo.quote, Literal(f"The {text} joined.")), (ev, dpo.locator, Literal(text)),
            (ev, URIRef("http://purl.org/dc/terms/source"), dpk["doc-cnd65-crp-itwg"]), (ev, dpo.states, st_),
            (st_, RDF.subject, m), (st_, RDF.predicate, org.member), (st_, RDF.object, evil)]


def _hostile_pages(g, text: str) -> dict:
    """The trace, entity and network pages written while the organization is named `text` (and the objects they
    came from, for the checks that read more than the HTML)."""
    from drugpolicy_kg.uses.entities import Entities, entity_html
    from drugpolicy_kg.uses.networks import build_networks
    from drugpolicy_kg.uses.trace import Tracer
    from drugpolicy_kg.uses.trace_render import render
    from drugpolicy_kg.uses.views import render_page

    added = _hostile_added(text)
    evil = str(added[0][0])
    for t in added:
        g.add(t)
    try:
        trace = Tracer(g).trace(evil, "both")
        ents = Entities(g)
        net = build_networks(g, ["affiliations"])["affiliations"]
        return {"trace": trace, "net": net, "trace html": render(trace, "html"),
                "entity page": entity_html(ents, evil, lambda i: None, lambda e: None),
                "network page": render_page(net, text, text, {n: ents.panel(d.get("iri", n), None)
                                                              for n, d in net.nodes(data=True)})}
    finally:
        for t in added:
            g.remove(t)


@functools.lru_cache(maxsize=1)
def _harmless_pages(root: str) -> dict:
    """The same pages with a harmless name: what every page holds whatever the data (its tags, its scripts)."""
    return _hostile_pages(_small_union(root), "Harmless Name")


_AMPERSAND = re.compile(r"&(?:amp|#38|#x26);", re.I)


def _raw_in(text: str, page: str) -> bool:
    """Whether ``text`` stands raw in ``page``: found with a "<" or ">" of it, or with an "&" of it that does not open
    the escaped ampersand ("&amp;"). Escaped, "0&" is "0&amp;": found as text, but not raw (Hypothesis drew it)."""
    for m in re.finditer(re.escape(text), page):
        if "<" in text or ">" in text:
            return True
        if any(not _AMPERSAND.match(page, m.start() + i) for i, c in enumerate(text) if c == "&"):
            return True
    return False


@settings(max_examples=12, deadline=None)
@given(text=HOSTILE_TEXT)
def test_every_output_command_holds_against_hostile_data(small_project, text):
    """A name, an acronym, a quote and a locator of the data set to the same hostile string, then every output the
    commands write from them: trace in each format, the entity page, a network page with its side-panel data, the
    GraphML and GEXF exports and the node CSV. Each stays what it is (no markup, script, formula or ill-formed XML).
    A marked text (one with <, > or &) may not appear raw in a page, unless the page holds it whatever the data: a
    lone "<" is in every tag, and no escaping can take it out of them."""
    import csv
    import io
    import json
    import re as _re
    import xml.etree.ElementTree as ET
    import zipfile

    import networkx as nx
    from markdown_it import MarkdownIt

    from drugpolicy_kg.uses.trace_render import render
    from drugpolicy_kg.uses.views import _write_exports

    root = str(small_project.root)
    pages = _hostile_pages(_small_union(root), text)
    harmless = _harmless_pages(root)
    for where in ("trace html", "entity page", "network page"):
        if any(c in text for c in "<>&") and text not in harmless[where]:
            assert not _raw_in(text, pages[where]), where
    trace = pages["trace"]
    shown = render(trace, "text")
    assert not _re.search(r"[\x00-\x08\x0b-\x1f\x7f\x9b]", shown), "terminal: control characters escaped"
    md = MarkdownIt("commonmark").render(render(trace, "markdown"))
    assert "<script" not in md and "<img" not in md and 'href="javascript:' not in md
    assert json.loads(render(trace, "json"))["root"]["label"] == text
    zipfile.ZipFile(io.BytesIO(render(trace, "docx"))).testzip()
    page = pages["network page"]
    data = page.split('<script type="application/json" id="dpk-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and json.loads(data)["facts"][str(_hostile_added(text)[0][0])]["name"] == text
    out = small_project.root / "fuzz-exports"
    out.mkdir(exist_ok=True)
    _write_exports(out, "affiliations", pages["net"], {})
    for ext in ("graphml", "gexf"):
        ET.parse(out / f"affiliations.{ext}")
    assert any(d.get("label") for _, d in nx.read_graphml(out / "affiliations.graphml").nodes(data=True))
    with open(out / "affiliations-nodes.csv", newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row if cell), row


@pytest.mark.parametrize("text", ["<", ">", "&", "<script>alert(1)</script>", "&lt;b&gt;", "a<b", "0&", "R&D"])
def test_a_marked_name_is_never_raw_in_a_page_unless_every_page_holds_it(small_project, text):
    """The rule the fuzzing above applies, on the texts that once broke it ("<" and "0&" drawn by Hypothesis) and on
    ones it must still catch."""
    root = str(small_project.root)
    pages, harmless = _hostile_pages(_small_union(root), text), _harmless_pages(root)
    for where in ("trace html", "entity page", "network page"):
        assert not _raw_in(text, pages[where]) or text in harmless[where], where
    assert "<script>alert(1)</script>" not in harmless["trace html"]


@pytest.mark.parametrize("args", [
    ["query", "organizations", "--format", "csv"],
    ["query", "--sparql", "SELECT ?s WHERE { ?s a ?t } LIMIT 3"],
    ["search", "stigma"],
    ["trace", "64/3"],
    ["stats"],
])
def test_a_command_that_succeeds_says_nothing_on_stderr(args):
    """Standard error is for what a user must read: a successful run leaves it empty (no warning from the engine
    about results freed on another thread, no progress lines once the store is built)."""
    proc = cli(*args)
    assert proc.returncode == 0 and proc.stdout
    assert proc.stderr == ""


COMMANDS_READING = {"query-file": ["query", "{}"], "draft": ["review", "{}", "--accept", "all"], "document": ["ingest", "{}"],
                    "project-query-file": ["--project", "PROJECT", "query", "--list"]}


@pytest.mark.parametrize("kind,command", [
    pytest.param(kind, args, id=f"{name}-{kind}") for name, args in COMMANDS_READING.items()
    for kind in ("fifo", "folder", "device") if not (kind == "device" and args[0] == "--project")])  # no mknod as a user
def test_an_input_that_is_not_a_regular_file_is_refused_not_waited_on(tmp_path, kind, command):
    """A FIFO with no writer would block a reader forever, /dev/zero never ends, a folder cannot be read: each input a
    command reads by name is opened without blocking and refused from its descriptor, in one line."""
    from .conftest import make_copy

    suffix = {"query": ".rq", "review": ".json", "ingest": ".txt"}[command[0]] if command[0] != "--project" else ".rq"
    project = make_copy(tmp_path) if command[0] == "--project" else None
    where = (project / "queries" / f"zz{suffix}") if project else (tmp_path / f"input{suffix}")
    if kind == "fifo":
        os.mkfifo(where)
    elif kind == "folder":
        where.mkdir()
    else:
        where = "/dev/zero"
    args = [str(project) if a == "PROJECT" else str(where) if a == "{}" else a for a in command]
    started = time.monotonic()
    proc = cli(*args, env={"DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 2, proc.stderr
    lines = said(proc.stderr)
    assert len(lines) == 1 and "not a regular file" in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    assert "building the graph store" not in proc.stderr  # refused first: no one waits for a store to hear it
    assert time.monotonic() - started < 240  # cli() gives up at 300 s: a hang fails, not blocks the suite


def test_a_text_file_named_by_the_data_never_leaves_data_sources(tmp_path):
    """A dpo:textFile is a file name in data/sources/. One that is a path, or a link out of the folder, made the quote
    check read that file and `views` and `trace --site` copy it whole into their published source pages."""
    from .conftest import make_copy

    project = make_copy(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-TOKEN-12345: the International Narcotics Control Board\n", encoding="utf-8")
    data = project / "data" / "cnd65-crp-itwg.ttl"
    text = data.read_text(encoding="utf-8")
    assert 'dpo:textFile "cnd65-crp-itwg-inaugural-meeting.txt"' in text
    env = {"DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")}
    (project / "data" / "sources" / "link.txt").symlink_to(secret)
    for named in (str(secret), "link.txt"):  # a path ("../x.txt" is refused by the same rule), a link out
        data.write_text(text.replace('"cnd65-crp-itwg-inaugural-meeting.txt"', f'"{named}"'), encoding="utf-8")
        site, views = tmp_path / "traces", tmp_path / "site"
        assert cli("--project", str(project), "trace", "--site", str(site), env=env).returncode == 0
        assert cli("--project", str(project), "views", "--view", "affiliations", "--out", str(views),
                   env=env).returncode == 0
        pages = [p for p in [*site.rglob("*.html"), *views.rglob("*.html")] if "SECRET-TOKEN" in p.read_text("utf-8")]
        assert pages == [], named
        proc = cli("--project", str(project), "validate", env=env)
        assert proc.returncode == 1 and "source text not found" in proc.stdout, proc.stdout[-2000:]


def test_what_a_command_says_about_its_files_and_inputs_is_safe_and_short(tmp_path, small_project):
    """The lines saying what was written echoed the file name raw: `export -o $'\\e[31m…'` sent the escape to the
    terminal (build, trace, views, ingest, review likewise). An error echoing a 100,000-character term printed all
    of it; an error line now keeps its beginning and its end. (The project without the budget sections, from a cold
    store cache.)"""
    env = {"DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")}
    small = ("--project", str(small_project.root))
    name = tmp_path / "\x1b[31mred\x07"
    for args in (["export", "--format", "nt", "-o", f"{name}.nt"], ["build", "--out", f"{name}-build", "--format", "nt"],
                 ["trace", "64/3", "-o", f"{name}.md"]):
        proc = cli(*small, *args, env=env)
        assert proc.returncode == 0, proc.stderr
        said_all = proc.stdout + proc.stderr
        assert "\x1b" not in said_all and "\x07" not in said_all and "\\x1b[31mred" in said_all, (args, said_all)
    term = "a" * 100_000
    proc = cli(*small, "trace", term + "END", env=env)
    lines = said(proc.stderr)
    assert proc.returncode == 2 and len(lines) == 1 and len(lines[0]) < 1300, len(proc.stderr)
    assert "characters ...]" in lines[0] and lines[0].startswith("drugpolicy-kg: error:"), lines[0][:200]
    assert lines[0].rstrip().endswith(cli("trace", "zzzqqq-none", env=env).stderr.strip().split("zzzqqq-none")[-1])


def test_no_output_lands_among_what_the_commands_read(tmp_path):
    """`build --out data` replaced the curated data/dataset.ttl with the build's and left the whole graph in data/,
    so the next command loaded every fact twice (14,136 violations). Every output, file or folder, is refused in the
    project's ontology/, data/ and queries/ (and a folder output as the project's own folder), before anything is
    read or written."""
    import hashlib

    from .conftest import make_copy

    project = make_copy(tmp_path)

    def tree():
        return {str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(project.rglob("*")) if p.is_file()}

    before = tree()
    env = {"DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")}
    link = tmp_path / "link"
    link.symlink_to(project / "data")
    for args in (["build", "--out", str(project / "data")], ["build", "--out", str(project)],
                 ["build", "--out", str(link)], ["views", "--out", str(project / "queries" / "site")],
                 ["trace", "--site", str(project / "ontology")], ["trace", "64/3", "-o", str(project / "data" / "t.md")],
                 ["export", "-o", str(project / "data" / "all.nt")],
                 ["query", "organizations", "-o", str(project / "data" / "orgs.csv")],
                 ["ingest", str(project / "data" / "sources" / "isn-brochure.txt"), "-o", str(project / "data" / "d.ttl")]):
        proc = cli("--project", str(project), *args, env=env)
        lines = said(proc.stderr)
        assert proc.returncode == 2 and len(lines) == 1, (args, proc.stderr)
        assert "write it elsewhere" in lines[0] or "project's own folder" in lines[0], (args, proc.stderr)
    assert tree() == before
    proc = cli("--project", str(project), "build", "--out", str(tmp_path / "out"), env=env)
    assert proc.returncode == 0 and (tmp_path / "out" / "drugpolicy-kg.ttl").is_file(), proc.stderr


def test_the_catalog_maps_imports_only_to_files_in_the_ontology_folder(tmp_path):
    """The catalog's file names are the project's words, like a dpo:textFile: one naming a Turtle file elsewhere on
    the machine made `build` merge it into the graph (and `push` publish it) as if it were a vocabulary."""
    from .conftest import make_copy

    project = make_copy(tmp_path)
    secret = tmp_path / "secret.ttl"
    secret.write_text('<https://example.org/secret> <https://example.org/token> "SECRET-TOKEN-12345" .\n',
                      encoding="utf-8")
    catalog = project / "ontology" / "catalog-v001.xml"
    text = catalog.read_text(encoding="utf-8")
    assert 'uri="imports/vann.ttl"' in text
    (project / "ontology" / "imports" / "link.ttl").symlink_to(secret)
    env = {"DRUGPOLICY_KG_CACHE": str(tmp_path / "cache")}
    for named in (str(secret), "../../secret.ttl", "imports/link.ttl"):  # a path, a way up, a link out
        catalog.write_text(text.replace('uri="imports/vann.ttl"', f'uri="{named}"'), encoding="utf-8")
        out = tmp_path / "out"
        proc = cli("--project", str(project), "build", "--out", str(out), env=env)
        lines = said(proc.stderr)
        assert proc.returncode == 2 and len(lines) == 1 and "never a path or a link out of it" in lines[0], proc.stderr
        assert not any("SECRET-TOKEN" in p.read_text("utf-8") for p in out.rglob("*") if p.is_file()), named


@pytest.mark.parametrize("url", ["http://admin:S3CRETPW#x@127.0.0.1:9/sparql", "http://admin:S3CRETPW@127.0.0.1:99999/q",
                                 "http://admin:S3CRETPW/x@127.0.0.1:9/sparql"])
def test_an_endpoint_whose_host_cannot_be_read_is_refused_without_its_password(url):
    """A '#' in a password ended the host early; the port was read from the password and an internal error printed
    it."""
    proc = cli("query", "organizations", "--endpoint", url)
    assert proc.returncode == 2 and "S3CRETPW" not in proc.stderr + proc.stdout and "internal error" not in proc.stderr
    assert "argument --endpoint: cannot read the host and port of 'http://***@127.0.0.1:" in proc.stderr, proc.stderr


def _damaged_word_files(tmp_path):
    """The shipped Word file damaged the ways archives are: flipped bytes in a compressed part, an unknown compression
    method, the encrypted flag, cut short."""
    import zipfile

    src = ROOT / "data" / "sources" / "un-documents" / "A_80_6_Sect.24.docx"
    data = bytes(src.read_bytes())
    info = zipfile.ZipFile(src).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    flipped = bytearray(data)
    for k in range(start + 200, start + 260):
        flipped[k] ^= 0xFF

    def central(method: int | None = None, flag: int = 0) -> bytes:
        out = bytearray(data)
        at = out.find(b"PK\x01\x02")
        while at != -1:
            n = int.from_bytes(out[at + 28:at + 30], "little")
            if bytes(out[at + 46:at + 46 + n]) == b"word/document.xml":
                if method is not None:
                    out[at + 10:at + 12] = method.to_bytes(2, "little")
                    out[info.header_offset + 8:info.header_offset + 10] = method.to_bytes(2, "little")
                out[at + 8] |= flag
            at = out.find(b"PK\x01\x02", at + 4)
        return bytes(out)

    cases = {"flipped": bytes(flipped), "method": central(method=99), "encrypted": central(flag=1),
             "truncated": data[: len(data) // 2]}
    paths = {}
    for name, content in cases.items():
        paths[name] = tmp_path / f"{name}.docx"
        paths[name].write_bytes(content)
    return paths


@pytest.mark.parametrize("damage", ["flipped", "method", "encrypted", "truncated"])
def test_a_damaged_word_file_is_one_line_and_exit_2(tmp_path, capsys, damage):
    path = _damaged_word_files(tmp_path)[damage]
    assert main(["ingest", str(path), "-o", str(tmp_path / "draft.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "internal error" not in err[0]
    assert not (tmp_path / "draft.json").exists()


def test_views_hears_its_page_writer_through_what_else_is_printed(tmp_path, small_project):
    """The process that writes the trace and entity pages tells the command what it wrote, a JSON line at a time, on
    its standard output. A line printed there by anything else (here a sitecustomize, as a site's Python may have,
    printing at start-up and at exit) stopped the command from hearing it: it failed with "exit 0" and nothing
    more. Such lines are passed over, and the process puts its own printing aside once it runs."""
    site_dir = tmp_path / "site-packages-of-this-machine"
    site_dir.mkdir()
    (site_dir / "sitecustomize.py").write_text(
        "import atexit\nprint('hello from a library')\natexit.register(print, '{not json')\n", encoding="utf-8")
    out = tmp_path / "site"
    proc = cli("--project", str(small_project.root), "views", "--view", "collaboration", "--out", str(out),
               env={"PYTHONPATH": os.pathsep.join(filter(None, [str(site_dir), os.environ.get("PYTHONPATH")]))})
    assert proc.returncode == 0, proc.stderr[-600:]
    assert (out / "collaboration.html").is_file() and list((out / "traces").glob("*.html"))



@pytest.mark.parametrize("width", [1, 4, 60])
def test_a_table_cell_is_the_same_whether_its_text_is_plain_or_not(width):
    """A plain text (printable, single spaces) is its own cell, with no pass over it: the same cell as the whole
    treatment gives (white space made one space, control characters escaped, the cut), for texts of every kind,
    control characters, bidi overrides, non-breaking and other spaces among them."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from drugpolicy_kg.tables import cell_text, terminal_safe

    def whole(text: str) -> str:
        c = terminal_safe(" ".join(text.split()))
        return c if len(c) <= width else c[: width - 1] + "…"

    alphabet = st.sampled_from(list("ab é1 ") + ["  ", "\t", "\n", "\x1b", "\x85", "\xa0", "\u2028", "\u202e",
                                                   "\u2066", "\u3000", "\x7f", "\u200b"])

    @settings(max_examples=400, deadline=None)
    @given(st.lists(alphabet, max_size=12).map("".join) | st.text(max_size=80))
    def check(text):
        assert cell_text(text, width) == whole(text)

    check()
