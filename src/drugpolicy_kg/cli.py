"""The ``drugpolicy-kg`` command: parses options and calls one library function per command.

Heavy libraries (rdflib, pyshacl, ...) are imported inside the commands, so
``--help`` answers at once. Errors become one line on stderr and an exit code
(see :mod:`drugpolicy_kg.errors`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from drugpolicy_kg import __version__
from drugpolicy_kg.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_NONCONFORMING,
    EXIT_OK,
    DrugPolicyKGError,
    UsageError,
)
from drugpolicy_kg.tables import terminal_safe
from drugpolicy_kg.uses import VIEW_NAMES

EXPORT_FORMATS = ["ttl", "nt", "jsonld", "trig", "nq"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2, like every bad input
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _project(args):
    from drugpolicy_kg.resources import Project

    return Project.open(args.project)


def _store(args):
    """The project's graph store, built first if the inputs changed (see :mod:`drugpolicy_kg.graph.store`)."""
    from drugpolicy_kg.graph.store import GraphStore

    return GraphStore.open(_project(args))


def _write_out(data: bytes) -> None:
    """``data`` to standard output, after any text already printed, every byte of it (one write of a pipe may take
    less: see :func:`~drugpolicy_kg.threads.write_all`)."""
    from drugpolicy_kg.threads import write_all

    sys.stdout.flush()
    write_all(sys.stdout.buffer, data)


def cmd_build(args) -> int:
    from drugpolicy_kg.atomic import output_folder
    from drugpolicy_kg.graph.build import build

    output_folder(args.out)  # (refused before the graph is read, not after)
    written = build(_project(args), Path(args.out), args.format, publish_url=args.publish_url)
    for fmt, path in written.items():
        print(terminal_safe(f"{fmt:7} {path}"))
    return EXIT_OK


SUMMARY_OVER = 20  # a validation table longer than this is followed by its findings counted by kind
SUMMARY_KINDS = 10  # the kinds of finding that count names


def cmd_validate(args) -> int:
    from drugpolicy_kg.checks.validate import validate
    from drugpolicy_kg.progress import Progress
    from drugpolicy_kg.threads import collector_off

    progress = Progress("validate")  # (on a terminal only: where each part is, as a million triples take a minute)
    try:
        report = validate(_project(args), [Path(f) for f in args.files], quotes=not args.no_quotes, engine=args.engine,
                          progress=progress)
    finally:
        progress.close()
    errors = report.violations  # (a look through every finding: once)
    main.verdict = EXIT_OK if not errors else EXIT_NONCONFORMING  # kept if the reader goes away (| head)
    # the report written with the collector off, as it was made (see collector_off): its findings live to the end and
    # writing them as a table or JSON makes no cycle; with it on, its full collections walked the 953,002 findings of
    # the thin shape at a million triples again and again (the table 11.5 s, 8.6 s without them). (Turtle is written
    # by rdflib, whose graph and serializer may make cycles: with the collector on.)
    with collector_off() if args.format != "ttl" else contextlib.nullcontext():
        _write_report(args, report, errors)
    return EXIT_OK if not errors else EXIT_NONCONFORMING


def _write_report(args, report, errors: int) -> None:
    """The report in ``args.format``; ``errors``: its violations (``report.violations``, counted once)."""
    import itertools

    from drugpolicy_kg.tables import format_table, table_lines

    if args.format == "json":
        for chunk in report.json_chunks():  # (written as made: a million findings' JSON is not held whole)
            sys.stdout.write(chunk)
        sys.stdout.write("\n")
    elif args.format == "ttl":
        for chunk in report.ttl_chunks():  # (written as made, as the JSON is)
            sys.stdout.write(chunk)
    else:
        if report.findings:
            shorts: dict[str, str] = {}  # a path -> its local name (a few paths among a million findings)

            def short_path(f) -> str:
                short = shorts.get(f.path)
                if short is None:
                    short = shorts[f.path] = f.path.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
                return short

            def rows():  # (made as they are written, twice: a table of a million findings is not held whole)
                return ([f.severity, f.focus_label or f.focus.rsplit("/", 1)[-1], short_path(f),
                         f.message + (f" (value: {f.value})" if f.value else ""), f.source_file or "-"]
                        for f in report.findings)

            lines = table_lines(["severity", "focus", "path", "message", "source file"], rows, max_width=70)
            while chunk := list(itertools.islice(lines, 10_000)):
                sys.stdout.write("\n".join(chunk) + "\n")
            if len(report.findings) > SUMMARY_OVER:  # a long list: what kinds of finding it holds, the commonest first
                kinds: dict[tuple[str, str, str], list] = {}  # (severity, rule, path): the count, a message
                for f in report.findings:
                    kind = kinds.setdefault((f.severity, f.rule.rsplit("#", 1)[-1].rsplit("/", 1)[-1], short_path(f)),
                                            [0, f.message])
                    kind[0] += 1
                common = sorted(kinds.items(), key=lambda kv: (-kv[1][0], kv[0]))
                print(f"\n{len(report.findings):,} findings of {len(kinds):,} kinds (rule and path), the commonest first:")
                print(format_table(["findings", "severity", "rule", "path", "message (the first)"],
                                   [[f"{n:,}", *kind, message] for kind, (n, message) in common[:SUMMARY_KINDS]],
                                   max_width=60))
                if len(common) > SUMMARY_KINDS:
                    print(f"and {len(common) - SUMMARY_KINDS:,} more kinds "
                          f"({sum(n for _, (n, _m) in common[SUMMARY_KINDS:]):,} findings), listed above")
        warnings = len(report.findings) - errors
        if report.conforms:
            verdict = "conforms"
        elif not errors:  # SHACL: any result means it does not conform; warnings do not fail the exit code
            verdict = f"passes with {warnings} warning(s) (in SHACL's terms it does not conform)"
        else:
            verdict = f"does not conform: {errors} violation(s)" + (f", {warnings} warning(s)" if warnings else "")
        print(f"statement coverage: {report.facts_with_evidence} of {report.facts} facts have a quote that states them "
              f"({100 * report.coverage:.1f}%); {report.statements} statements, {report.inferred} marked inferred")
        if report.note:
            print(terminal_safe(report.note))
        print(f"{report.triples} triples, SHACL ({report.engine}) + {report.checks_run} checks + {report.quotes_checked} quotes: {verdict}")


def cmd_export(args) -> int:
    from drugpolicy_kg.atomic import atomic_write
    from drugpolicy_kg.graph.build import serialize
    data = serialize(_store(args), args.format)
    if args.output in (None, "-"):
        _write_out(data)
    else:
        with atomic_write(args.output, "wb") as fh:
            fh.write(data)
        print(terminal_safe(f"wrote {args.output} ({len(data)} bytes)"), file=sys.stderr)
    return EXIT_OK


def cmd_stats(args) -> int:
    import json

    from drugpolicy_kg.graph.stats import compute_stats
    from drugpolicy_kg.tables import format_table

    st = compute_stats(_project(args))
    if args.format == "json":
        print(json.dumps(st.to_dict(), indent=2))
        return EXIT_OK
    print(f"triples: {st.triples}\n")
    print(format_table(["named graph", "triples"], sorted(st.graphs.items())))
    print()
    print(format_table(["class", "entities"], st.classes))
    print()
    print(format_table(["source", "quotes", "statements (quote, fact)", "entities"],
                       [[s["source"], s["quotes"], s["statements"], s["evidenced_nodes"]] for s in st.sources]))
    return EXIT_OK


def cmd_trace(args) -> int:
    from drugpolicy_kg.atomic import atomic_write
    from drugpolicy_kg.graph.answers import Answers

    args.term = " ".join(args.term)  # (the words as given, unquoted or quoted: one term)
    if args.site:
        from drugpolicy_kg.atomic import output_folder

        output_folder(args.site)  # (refused before the graph is read, not after)
    elif not args.orphans and not args.term.strip():
        raise UsageError("give a TERM to trace (a resolution number such as 64/3, an acronym, a name or an IRI), or --orphans")
    fmt = args.format or ("docx" if args.output and str(args.output).lower().endswith(".docx") else "text")
    if fmt == "docx" and not args.site and not args.orphans and (not args.output or args.output == "-"):
        raise UsageError("--format docx writes a Word file: give it with -o FILE.docx")  # (before the graph is read)
    question = None if args.site or args.orphans else ("trace", args.term, args.direction, args.all, fmt)
    text = None
    if question and not args.fresh:  # the same trace of the same store, made before: read back, the store unopened
        kept = Answers.of_built(_project(args))
        text = kept.get(kept.key(*question))
    if text is not None:
        text = text if fmt == "docx" else text.decode("utf-8")
    else:
        from drugpolicy_kg.uses.trace import EVIDENCE_MEMO, NAMES_MEMO, Tracer
        from drugpolicy_kg.uses.trace_render import PER_RELATION, SITE_HOPS, render, write_site

        gs = _store(args)
        tracer = Tracer(gs.view(), names_memo=gs.memo(*NAMES_MEMO),  # (the store itself: no rdflib imported)
                        evidence_memo=gs.memo(EVIDENCE_MEMO))
        if args.site:
            from drugpolicy_kg.atomic import folder_lock, prune_site

            with folder_lock(args.site):
                written = write_site(tracer, Path(args.site), _project(args), views_href=args.views)
                removed = prune_site(args.site, written)
            print(terminal_safe(f"wrote {len(written)} files; open {Path(args.site) / 'index.html'}"))
            _say_removed(removed, args.site)
            return EXIT_OK
        if args.orphans:
            from drugpolicy_kg.tables import format_table

            rows = tracer.orphans()
            print(format_table(["body or activity", "type", "iri"], [[label, kind, iri] for iri, label, kind in rows],
                               max_width=90))
            print(f"{len(rows)} bodies or activities that no resolution in the graph reaches")
            return EXIT_OK
        if args.all:
            text = render(tracer.trace(args.term, args.direction), fmt)
        else:  # as the trace site bounds a page: past SITE_HOPS hops, further entities are named, each with its own trace
            text = render(tracer.trace(args.term, args.direction, max_hops=SITE_HOPS, per_relation=PER_RELATION)
                          .bounded(PER_RELATION), fmt)
        if question:
            kept = Answers.beside(gs)
            kept.keep(kept.key(*question), text)
    if isinstance(text, bytes):  # a Word document: to a file only (refused above without one)
        with atomic_write(args.output, "wb") as fh:
            fh.write(text)
        print(terminal_safe(f"wrote {args.output}"), file=sys.stderr)
    elif args.output and args.output != "-":
        with atomic_write(args.output) as fh:
            fh.write(text)
        print(terminal_safe(f"wrote {args.output}"), file=sys.stderr)
    elif fmt != "text" and sys.stdout.isatty():  # HTML, Markdown, JSON escape for their readers, not the terminal's
        print("\n".join(terminal_safe(line) for line in text.split("\n")))
    else:
        print(text)
    return EXIT_OK


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--param expects KEY=VALUE, got {pair!r}")
        out[key.strip()] = value
    return out


def cmd_query(args) -> int:
    from drugpolicy_kg.resources import Project
    from drugpolicy_kg.sparql.queryfile import read_query_file
    project = Project.open(args.project)
    if args.prefixes:
        from drugpolicy_kg.resources import PREFIXES

        for prefix, iri in sorted(PREFIXES.items()):
            print(f"PREFIX {prefix}: <{iri}>")
        return EXIT_OK
    if args.list:
        from drugpolicy_kg.sparql.query import list_queries

        for q in list_queries(project):
            params = ", ".join(f"{k}={v}" for k, v in q.params.items()) or "-"
            print(terminal_safe(q.name) + "\n    " + terminal_safe(q.summary)  # a project's query files: its text
                  + "\n    " + terminal_safe(f"audience: {q.audience or '-'}; params: {params}"))
        return EXIT_OK
    if args.sparql is None and args.name and args.name.endswith(".rq"):
        read_query_file(Path(args.name))  # a clear error for a missing or unreadable file
    from drugpolicy_kg.sparql.query import bind_params, prepare, with_prefixes, with_values

    q = prepare(project, args.name, args.sparql)
    given = _params(args.param)
    if args.endpoint:
        from drugpolicy_kg.sparql import remote
        from drugpolicy_kg.sparql.endpoint import credentials_from_env, remote_query
        from drugpolicy_kg.sparql.results import render

        creds = credentials_from_env()
        graph = args.graph or remote.pushed_graph(args.endpoint)
        if graph and not args.graph:
            print(terminal_safe(f"querying <{graph}>, the graph push wrote on {remote.endpoint_key(args.endpoint)} "
                                "(--graph IRI to choose another)"), file=sys.stderr)

        def ask_and_render():  # each answer is read within --timeout; the whole, headers too, within a little more
            bindings = bind_params(q, given, resolve=remote.resolver(args.endpoint, graph, args.timeout, creds))
            result = remote_query(args.endpoint, with_prefixes(with_values(q.text, bindings)), default_graph=graph,
                                  timeout=args.timeout, creds=creds)
            if result.kind == "select" and not result.rows and not graph:
                held = remote.graphs_with_data(args.endpoint, args.timeout, creds)
                if held:
                    print(terminal_safe(f"warning: no rows in the server's default graph; these named graphs hold "
                                        f"data: {', '.join('<' + g + '>' for g in held[:5])} (query one with --graph "
                                        "IRI)"), file=sys.stderr)
            fmt = args.format or _format_from_name(args.output) or ("ttl" if result.kind == "graph" else "table")
            return render(result, fmt, None)

        # each request gives up within --timeout (+1 s for a server dripping its headers), with its own message; this
        # is the backstop for the two a query may make, with room for a busy machine
        data = _bounded(ask_and_render, 2 * args.timeout + 10, "query")
    else:
        from drugpolicy_kg.graph.answers import Answers, unstable

        question = None  # what names this query's answer kept beside the store: the store, the text (its parameters'
        if not (args.allow_network or unstable(q.text)):  # defaults with it), the parameters as given, the form
            fmt = args.format or _format_from_name(args.output)
            question = ("query", q.text, sorted(given.items()), fmt, args.wide,
                        _table_width() if fmt in (None, "table") and not args.wide else None)
        data = None
        if question and not args.fresh:  # asked before of the same store: read back without opening the store
            kept = Answers.of_built(project)
            data = kept.get(kept.key(*question))
        if data is None:
            import pyoxigraph as ox

            from drugpolicy_kg.sparql.query import LocalEngine
            from drugpolicy_kg.sparql.results import render_native

            engine = LocalEngine(project)
            bindings = bind_params(q, given, resolve=engine.resolver())

            def run_and_render():
                result = engine.execute(q.text, bindings, str(q.path or q.name), allow_network=args.allow_network)
                fmt = args.format or _format_from_name(args.output) or ("ttl" if isinstance(result, ox.QueryTriples)
                                                                        else "table")
                return render_native(result, fmt, wide=args.wide)

            data = _bounded(run_and_render, args.timeout, "query")
            if question:
                kept = Answers.beside(engine.gs)
                kept.keep(kept.key(*question), data)
    data = data if isinstance(data, bytes) else data.encode("utf-8")
    if args.output and args.output != "-":
        from drugpolicy_kg.atomic import atomic_write

        with atomic_write(args.output, "wb") as fh:
            fh.write(data)
        print(terminal_safe(f"wrote {args.output}"), file=sys.stderr)
    else:
        _write_out(data)
    if data.endswith(b"\n(0 rows)\n") and not args.endpoint:
        _none_for(q.params, given)
    return EXIT_OK


def _none_for(params: dict[str, str], given: dict[str, str]) -> None:
    """A table of no rows for an entity the user named (``given``: the parameters as written, of those the query
    takes an entity for: its default, in ``params``, is an IRI): where the graph holds other facts of it, which a
    trace shows (59/3 has no operative paragraph in the graph, but is a mandate of subprogrammes), one line on
    stderr says so. A value bound as a literal (a language, a year) is no entity, and gets none."""
    import shlex

    for key, value in ((k, v.strip()) for k, v in given.items() if params.get(k, "").startswith("<")):
        if not value or value.startswith(('"', "'")):
            continue
        term = value[1:-1] if value.startswith("<") and value.endswith(">") else value
        print(terminal_safe(f"drugpolicy-kg: no rows for {key}={value}; what else the graph holds of it: "
                            f"drugpolicy-kg trace {shlex.quote(term)}"), file=sys.stderr)


# Commands run whole in a worker thread by main (see _bounded): they only read the store and write files atomically,
# so a hard stop leaves every output whole. build, push, review and serve are not among them: they publish in steps
# that signals must not cut (build blocks them while it renames), or serve until stopped.
BOUNDED = {"validate": 1800.0, "stats": 300.0, "trace": 600.0, "views": 3600.0, "search": 60.0, "export": 600.0}


def _bounded(work, seconds: float, what: str, written: str = "nothing was written"):
    """Run ``work`` (queries, the engine releases the GIL) in a thread, so that Ctrl-C and SIGTERM are heard at once
    and a time limit holds, whatever a query does. On either, the temporary files being written are removed and the
    process leaves; ``written`` says what that leaves. Returns what ``work`` returns, or raises what it raised."""
    import os

    from drugpolicy_kg.atomic import abandon_pending
    from drugpolicy_kg.threads import Overdue, within

    message = f"{what}: stopped after {seconds:g} s (--timeout SECONDS allows longer); {written}"
    try:
        return within(seconds, work, f"drugpolicy-kg-{what}", collect=True, overdue=message)
    except Overdue as exc:
        if exc.args != (message,):  # the work's own (a server's answer too slow): its caller's to report
            raise
        if not getattr(main, "as_process", False):  # called from Python: the caller decides
            raise UsageError(message) from None
        abandon_pending()
        say_error(message)
        sys.stderr.flush()
        os._exit(EXIT_BAD_INPUT)  # the engine cannot be stopped from here: leave without waiting for it
    except KeyboardInterrupt:
        if not getattr(main, "as_process", False):
            raise
        abandon_pending()
        say_error(f"interrupted; {written}", prefix="drugpolicy-kg: ")
        sys.stderr.flush()
        os._exit(130)


def _table_width() -> int:
    """The width a table is fitted to (the terminal's): part of a kept answer's key."""
    import shutil

    return shutil.get_terminal_size((120, 24)).columns


def _format_from_name(path: str | None) -> str | None:
    """The result format an output file's extension names (``out.json`` -> json), if any.

    >>> _format_from_name("rows.csv"), _format_from_name("g.nt"), _format_from_name("notes.txt")
    ('csv', 'nt', None)
    """
    if not path or path == "-":
        return None
    ext = Path(path).suffix.lower().lstrip(".")
    return {"csv": "csv", "tsv": "tsv", "json": "json", "srj": "json", "xml": "xml", "srx": "xml", "ttl": "ttl",
            "nt": "nt", "jsonld": "jsonld"}.get(ext)


def cmd_push(args) -> int:
    from drugpolicy_kg.sparql.endpoint import credentials_from_env, push, store_payload

    gs = _store(args)  # --chunk and --timeout were checked by their argparse types, before anything else

    def progress(done, total):
        if total > 20000 or args.progress:
            width = 30
            filled = int(width * done / max(total, 1))
            print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} triples", end="", file=sys.stderr, flush=True)
            if done >= total:
                print(file=sys.stderr)

    # each source's graph under its own IRI, as local queries see them; or the union under one
    names = list(gs.graphs) if args.named_graphs else [None]
    for name in names:
        graph = store_payload(gs, name)
        report = push(graph, args.endpoint, name or args.graph, gsp=args.gsp, update=args.update, chunk=args.chunk,
                      timeout=args.timeout, creds=credentials_from_env(), progress=progress)
        from drugpolicy_kg.sparql.remote import remember_push

        remember_push(args.endpoint, report.graph)
        print(f"pushed {report.triples_sent} triples to <{report.graph}> by {report.method}; "
              f"the server holds {report.triples_on_server}")
    return EXIT_OK


def cmd_serve(args) -> int:
    from drugpolicy_kg.sparql.server import serve

    return serve(_store(args), args.host, args.port, writable=args.writable, say=lambda m: print(m, flush=True),
                 timeout=args.timeout, project=_project(args), allow_network=args.allow_network,
                 read_deadline=args.read_deadline)


def cmd_views(args) -> int:
    from drugpolicy_kg.atomic import output_folder
    from drugpolicy_kg.uses.networks import VIEWS
    from drugpolicy_kg.uses.views import write_site

    views = VIEWS if args.view == "all" else (args.view,)
    output_folder(args.out)  # (refused before the graph is read, not after)
    gs = _store(args)
    shared = {"auto": None, "each": False, "shared": True}[args.entity_pages]
    written = write_site(gs.view(), Path(args.out), views, store=gs.location / "db" if gs.location else None,
                         project=_project(args), shared_pages=shared)
    print(terminal_safe(f"wrote {len(written)} files; open {Path(args.out) / 'index.html'}"))
    _say_removed(written.removed, args.out)
    if any(name.startswith("entities/part-") for name in written):
        print("the entity pages share files, a hundred to a file (each entity at its anchor): "
              + ("--entity-pages each gives each its own" if args.entity_pages == "auto" else "as asked"))
    if any(name.startswith("entities/index-") for name in written):  # (a paged index: see write_index)
        from drugpolicy_kg.uses.entities import INDEX_PER_PAGE

        print(f"the entity index lists them by kind, {INDEX_PER_PAGE:,} names to a page "
              f"({Path(args.out) / 'entities' / 'index.html'} lists the pages)")
    return EXIT_OK


def _say_removed(removed: list[str], folder: str) -> None:
    """Say what a site's run removed: the files its last run had written there and this one did not."""
    if removed:
        print(terminal_safe(f"removed {len(removed)} file{'s' if len(removed) > 1 else ''} that the last run wrote "
                            f"into {folder} and this one did not, e.g. {removed[0]}"))


def cmd_search(args) -> int:
    from drugpolicy_kg.graph.search import search, search_built
    from drugpolicy_kg.graph.store import GraphStore
    from drugpolicy_kg.tables import fit_table

    text = " ".join(args.text)
    built = GraphStore.built_location(_project(args))  # a built store with its index: the index alone answers
    found = search_built(built, text, args.limit) if built is not None else None
    if found is None:
        found = search(_store(args), text, args.limit)
    if args.format == "json":
        print(json.dumps(found.to_dict(), ensure_ascii=False, indent=1))
        return EXIT_OK
    from drugpolicy_kg.sparql.results import compact

    print(f"Entities named with “{terminal_safe(found.text)}” ({len(found.entities)})")
    if found.entities:
        print(fit_table(["name", "type", "iri"], [[e.label, e.kind, compact(e.iri)] for e in found.entities])[0])
    print()
    print(f"Quotes with those words ({len(found.quotes)}), best first")
    for i, q in enumerate(found.quotes, 1):
        print(f"{i:>3}. “{terminal_safe(q.snippet)}”")
        print(f"     — {terminal_safe(q.source)}, {terminal_safe(q.locator)}")
        facts = "; ".join(f"{terminal_safe(st['label'])} {st['property']}" for st in q.states[:4])
        if facts:
            print(terminal_safe(f"     states: {facts}" + (f" and {len(q.states) - 4} more" if len(q.states) > 4 else "")))
    if not found.entities and not found.quotes:
        print("(nothing found: every word must occur)")
    return EXIT_OK


def cmd_ingest(args) -> int:
    from drugpolicy_kg.sources.ingest import ingest, organization_rows, sdg_targets, write_draft
    from drugpolicy_kg.sources.reader import read_document
    from drugpolicy_kg.sources.review import Decisions, mark_decided, not_reviews_own
    doc = read_document(Path(args.file))  # first: a document that cannot be read is refused before the store is built
    gs = _store(args)
    draft = ingest(Path(args.file), args.doc_id, sdg_targets(gs), organization_rows(gs),
                   _project(args).data_dir / "reference" / "un-entities.csv", doc=doc)
    decided = mark_decided(draft, Decisions.load(_project(args), draft["document"]["id"]))
    out = Path(args.output or f"{draft['document']['id']}.draft.json")
    write_draft(draft, out)
    doc, summary = draft["document"], draft["summary"]
    kinds = ", ".join(f"{n} {k}" for k, n in summary["by_kind"].items())
    print(terminal_safe(f"{doc['symbol'] or doc['file']} ({doc['date'] or 'no date found'}): {doc['title']}"))
    print(f"{summary['candidates']} candidates ({kinds}); {summary['mandate_rows_read']} mandate-list rows read")
    if summary.get("tables", "read") != "read":
        print(f"tables {summary['tables']}")
    for name, n in summary.get("operative_paragraphs", {}).items():
        print(terminal_safe(f"operative paragraphs of {name}: {n}"))
    if summary.get("operative_unread"):
        print(f"{summary['operative_unread']} paragraph(s) open as a resolution's operative ones (\"N. Requests ...\"), "
              "but the text names no resolution and body above them (\"Resolution 66/2\" and \"The Commission on "
              "Narcotic Drugs,\"): not read")
    pending = sum(c["status"] == "pending" for c in draft["candidates"])
    print(terminal_safe(f"wrote {out}; {pending} candidates pending review"
                        + (f" ({decided} rejected at an earlier review stay rejected)" if decided else "")))
    taken = not_reviews_own(_project(args), doc["id"])
    if taken:  # the draft is harmless; its review would replace curated files, and will refuse
        say_error(taken, prefix="drugpolicy-kg: warning: ")
    return EXIT_OK


def cmd_review(args) -> int:
    from drugpolicy_kg.sources.review import Decisions, describe, interactive, load_draft, review
    from drugpolicy_kg.tables import format_table

    project = _project(args)
    draft = load_draft(Path(args.draft))
    dec = Decisions.load(project, draft["document"]["id"])
    accept, reject = list(args.accept or []), list(args.reject or [])
    if args.interactive:
        acc, rej = interactive(draft, dec)
        accept, reject = accept + acc, reject + rej
    if not accept and not reject:  # list what there is to decide
        def status(c):
            return "accepted" if c["id"] in dec.accepted else ("rejected" if c["id"] in dec.rejected else
                                                                 str(c.get("status") or "pending"))
        cands = [c for c in draft["candidates"] if args.kind in (None, c["kind"])]
        rows = [[c["id"], c["kind"], status(c), str(c.get("confidence", "")), describe(c), str(c.get("locator", ""))]
                for c in cands]
        print(format_table(["id", "kind", "status", "confidence", "facts", "locator"], rows, max_width=60))
        counts: dict[str, int] = {}
        for c in draft["candidates"]:
            counts[status(c)] = counts.get(status(c), 0) + 1
        print(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + ". Accept with --accept all|KIND|ID, reject with --reject.")
        return EXIT_OK
    out = review(project, draft, accept, reject, args.reason or "", args.min_confidence, dec)
    by_kind: dict[str, int] = {}
    for c in out.accepted:
        by_kind[c["kind"]] = by_kind.get(c["kind"], 0) + 1
    print(f"accepted: {len(out.accepted)} (" + ", ".join(f"{n} {k}" for k, n in sorted(by_kind.items())) + ")"
          + f"; rejected: {len(out.rejected)}; refused by the checks: {len(out.refused)}")
    for c, why in out.refused[:20]:
        print(terminal_safe(f"  refused {c['id']} ({c['kind']}, {c.get('locator')}): {why}"))
    if len(out.refused) > 20:
        print(f"  ... and {len(out.refused) - 20} more")
    if out.data_file:
        print(terminal_safe(f"wrote {out.data_file} and {project.sources_dir / (draft['document']['id'] + '.txt')}; "
                            f"the graph now has {out.triples} triples"))
    print(terminal_safe(f"decisions kept in {dec.path}"))
    return EXIT_OK


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="drugpolicy-kg", description="A knowledge graph of drug-policy actors and mandates, with the evidence for every fact.",
                epilog="Exit codes: 0 ok, 1 does not conform / check found something, 2 bad input or usage, 3 remote endpoint failed.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--project", metavar="DIR",
                   help="a folder holding ontology/, data/ and queries/ (default: the data that ships with the package)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    b = sub.add_parser("build", help="merge ontology, imports and data; write Turtle, N-Triples, JSON-LD and TriG")
    b.add_argument("--out", default="build", metavar="DIR", help="output folder (default: ./build)")
    b.add_argument("--format", action="append", choices=EXPORT_FORMATS, help="only these formats (repeatable; default: all)")
    b.add_argument("--publish-url", metavar="URL", help="where the built files will be published: also write "
                                                         "w3id.htaccess, the w3id.org redirect rules pointing there")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="SHACL shapes, violation queries and quotes against sources; exit 1 if the data does not conform")
    v.add_argument("files", nargs="*", metavar="FILE", help="extra Turtle files to validate together with the project's data")
    v.add_argument("--format", default="table", choices=["table", "ttl", "json"], help="report format (default: table)")
    v.add_argument("--no-quotes", action="store_true", help="skip checking quotes against the source texts")
    v.add_argument("--engine", default="auto", choices=["auto", "pyshacl", "sparql"],
                   help="SHACL engine: pyshacl (reference), sparql (shapes compiled to SPARQL on Oxigraph, fast), "
                        "auto: pyshacl up to 50,000 triples (default)")
    v.set_defaults(func=cmd_validate)

    e = sub.add_parser("export", help="write the merged graph in one format to a file or stdout")
    e.add_argument("--format", default="ttl", choices=EXPORT_FORMATS, help="serialisation (default: ttl)")
    e.add_argument("-o", "--output", metavar="FILE", help="output file, or - for stdout (default)")
    e.set_defaults(func=cmd_export)

    s = sub.add_parser("stats", help="triples, entities per class, facts per source")
    s.add_argument("--format", default="table", choices=["table", "json"])
    s.set_defaults(func=cmd_stats)
    q = sub.add_parser("query", help="run a competency question or your own SPARQL, locally or on any SPARQL 1.1 endpoint",
                       epilog="Credentials for --endpoint come from DRUGPOLICY_KG_USER / DRUGPOLICY_KG_PASSWORD "
                              "(DRUGPOLICY_KG_AUTH=basic|digest) or DRUGPOLICY_KG_CREDENTIALS_FILE, never the command line.")
    q.add_argument("name", nargs="?", metavar="NAME|FILE.rq", help="a query from 'query --list', or a .rq file")
    q.add_argument("--sparql", metavar="TEXT", help="the query text itself")
    q.add_argument("--list", action="store_true", help="list the competency questions with summaries and parameters")
    q.add_argument("--prefixes", action="store_true", help="list the prefixes every query may use without declaring them")
    q.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="bind a parameter: <IRI>, prefix:name, \"literal\", or a name/acronym such as ITWG (repeatable)")
    q.add_argument("--format", choices=["table", "csv", "tsv", "json", "xml", "ttl", "nt", "jsonld"],
                   help="table, csv, tsv, json, xml for SELECT/ASK; ttl, nt, jsonld for CONSTRUCT/DESCRIBE")
    q.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE instead of stdout; the format follows the extension (.csv, .tsv, .json, .xml, "
                        ".ttl, .nt, .jsonld) unless --format says otherwise")
    q.add_argument("--wide", action="store_true", help="table: show every value whole (by default cells are cut, "
                                                        "with a note, to fit the terminal)")
    q.add_argument("--endpoint", metavar="URL", type=http_url, help="run on this SPARQL 1.1 query endpoint instead of locally")
    q.add_argument("--graph", metavar="IRI", type=absolute_iri,
                   help="with --endpoint: the default graph to query (e.g. where 'push' put the data)")
    q.add_argument("--timeout", type=seconds, default=30.0, metavar="SECONDS",
                   help="stop a query that runs longer, locally or on --endpoint (default: 30)")
    q.add_argument("--allow-network", action="store_true",
                   help="let a local query use SERVICE or LOAD (refused by default: local queries stay on this machine)")
    q.add_argument("--fresh", action="store_true", help="ask the store again, even where the same query of the same "
                   "store was answered before (an answer is kept beside the store and read back by default; this one "
                   "replaces it)")
    q.set_defaults(func=cmd_query)

    pu = sub.add_parser("push", help="upload the graph to a SPARQL 1.1 server, replacing one named graph")
    pu.add_argument("--endpoint", required=True, metavar="URL", type=http_url,
                    help="the server's SPARQL query endpoint (to check the count)")
    pu.add_argument("--graph", default="https://w3id.org/drugpolicy-kg/graph/all", metavar="IRI", type=absolute_iri,
                    help="the named graph to replace (default: %(default)s)")
    pu.add_argument("--named-graphs", action="store_true",
                    help="replace each of the project's named graphs (one per source file) under its own IRI, instead of "
                         "the union in --graph; queries then see them with GRAPH, and the union where the server's default "
                         "graph is the union of all graphs (Virtuoso; Oxigraph with --union-default-graph)")
    pu.add_argument("--gsp", metavar="URL", type=http_url, help="the Graph Store Protocol endpoint (Oxigraph: http://host:port/store)")
    pu.add_argument("--update", metavar="URL", type=http_url, help="the SPARQL Update endpoint, used when there is no Graph Store endpoint")
    pu.add_argument("--chunk", type=count, default=1000, metavar="N",
                    help="triples per INSERT DATA (default: 1000; Virtuoso's parser runs out of memory near 5000)")
    pu.add_argument("--timeout", type=seconds, default=60.0, metavar="SECONDS")
    pu.add_argument("--progress", action="store_true", help="always show the progress bar")
    pu.set_defaults(func=cmd_push)

    se = sub.add_parser("serve", help="a local SPARQL 1.1 endpoint (Oxigraph) on the graph, with a query page and entity pages")
    se.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    se.add_argument("--port", type=port_number, default=7878, help="port (default: 7878; 0 picks a free one)")
    se.add_argument("--writable", action="store_true", help="accept SPARQL Update and Graph Store writes (default: read-only)")
    se.add_argument("--allow-network", action="store_true",
                    help="let clients' queries use SERVICE and LOAD (refused by default: the server reaches no other server)")
    se.add_argument("--timeout", type=seconds, default=30.0, metavar="SECONDS",
                    help="stop a query that runs longer (default: 30; the client gets a 503)")
    se.add_argument("--read-deadline", type=seconds, default=20.0, metavar="SECONDS",
                    help="the time a client has to send a whole request, however slowly it sends it (default: 20; "
                         "then the connection is closed)")
    se.set_defaults(func=cmd_serve)

    vw = sub.add_parser("views", help="network pages (two-mode affiliations, projections, mandate chains, whole graph), "
                                      "entity pages, exports, SDG matrix, timeline")
    vw.add_argument("--out", default="build/site", metavar="DIR", help="site folder (default: build/site)")
    vw.add_argument("--view", default="all", choices=[*VIEW_NAMES, "all"],
                    help="one network page only (the entity pages, traces and index are always written)")
    vw.add_argument("--entity-pages", default="auto", choices=["auto", "each", "shared"],
                    help="a file per entity (each), or a hundred entities to a file, each at its anchor (shared); "
                         "auto (default): shared where the graph has more than 20,000 entities")
    vw.set_defaults(func=cmd_views)


    se = sub.add_parser("search", help="find entities by name and facts by the words of their quotes (ranked)")
    se.add_argument("text", nargs="+", metavar="WORDS", help="the words to find; every one must occur")
    se.add_argument("--limit", type=count, default=20, metavar="N", help="at most N entities and N quotes (default 20)")
    se.add_argument("--format", default="table", choices=["table", "json"])
    se.set_defaults(func=cmd_search)
    ig = sub.add_parser("ingest", help="read a UN document (.docx, .txt) into a draft of candidate facts, each with its quote")
    ig.add_argument("file", metavar="FILE", help="the document: .docx, .pdf or .txt")
    ig.add_argument("--doc-id", metavar="ID", type=doc_id, help="the document's id in the graph (default: from its symbol)")
    ig.add_argument("-o", "--output", metavar="DRAFT", help="the draft to write (default: ID.draft.json)")
    ig.set_defaults(func=cmd_ingest)

    from drugpolicy_kg.sources import KINDS  # the candidate kinds, one list, without the ingestion code

    rv = sub.add_parser("review", help="accept or reject a draft's candidate facts; accepted ones are checked and written to data/")
    rv.add_argument("draft", metavar="DRAFT", help="a draft written by `ingest`")
    rv.add_argument("--accept", nargs="+", metavar="WHAT", help=f"all, a kind ({', '.join(KINDS)}) or candidate ids")
    rv.add_argument("--reject", nargs="+", metavar="WHAT", help="as --accept; remembered, so ingesting again keeps them out")
    rv.add_argument("--reason", metavar="TEXT", help="why (kept with the rejection)")
    rv.add_argument("--min-confidence", type=float, default=0.0, metavar="X",
                    help="with --accept all or a kind: only candidates of at least this confidence")
    rv.add_argument("--kind", choices=KINDS,
                    help="when listing: only this kind")
    rv.add_argument("--interactive", action="store_true", help="decide one by one: [a]ccept, [r]eject, [s]kip, [q]uit")
    rv.set_defaults(func=cmd_review)

    t = sub.add_parser("trace", help="which resolution mandates which activity, hop by hop, with the quotes that say so")
    t.add_argument("term", nargs="*", metavar="TERM",  # (several words are one term: `trace SDG 3.5`, unquoted)
                   help="a resolution number (64/3, CND 64/3, 64/3 OP18), a document symbol (E/CN.7/2021/10), "
                        "an acronym or name (ITWG, CND), an SDG code (SDG 3.5), or an IRI or prefixed name (dpk:itwg); "
                        "several words, quoted or not, are one term")
    t.add_argument("--direction", default="both", choices=["forward", "backward", "both"],
                   help="forward: what it leads to; backward: what mandates it (default: both)")
    t.add_argument("--format", default=None, choices=["text", "markdown", "html", "json", "docx"],
                   help="default: text, or docx when -o ends in .docx (a Word file for briefing packs)")
    t.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    t.add_argument("--all", action="store_true",
                   help="list every link: by default at most 20 of one kind under each entity are listed and the "
                        "rest counted (a body that adopted hundreds of resolutions), and past 250 entities in one "
                        "direction further ones are named, not followed (their own trace follows them)")
    t.add_argument("--orphans", action="store_true", help="list bodies and activities that no resolution reaches")
    t.add_argument("--fresh", action="store_true", help="trace on the store again, even where the same trace of the "
                   "same store was made before (a trace is kept beside the store and read back by default; this one "
                   "replaces it)")
    t.add_argument("--site", metavar="DIR", help="write a site to walk: a page per entity the traces reach, linked, "
                                                 "with the source documents' text and an index")
    t.add_argument("--views", default="../site/index.html", metavar="URL", type=page_link,
                   help="with --site: where the pages link to the network views (default: ../site/index.html)")
    t.set_defaults(func=cmd_trace)
    for name, limit in BOUNDED.items():  # each has a time limit, and Ctrl-C stops it at once (main runs it bounded)
        sub.choices[name].add_argument("--timeout", type=seconds, default=limit, metavar="SECONDS",
                                       help=f"stop after this many seconds (default: {limit:g})")
    for command in sub.choices.values():  # "validate --project DIR" as well as "--project DIR validate"; given
        # after the command it wins, and where it is not given there, the value before it stays (SUPPRESS)
        command.add_argument("--project", metavar="DIR", default=argparse.SUPPRESS,
                             help="the project folder, as before the command")
    return p


def seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above 0."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds above 0, got {text}")
    return value


MAX_COUNT = 2**31 - 1


def count(text: str) -> int:
    """An argparse type: a whole number from 1 to 2^31 - 1 (SQLite and the engines take no more)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_COUNT}, got {value}")
    return value


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free one) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {value}")
    return value


def doc_id(text: str) -> str:
    """An argparse type: a document id as review accepts it (it becomes part of IRIs and file names)."""
    from drugpolicy_kg.sources.ingest import DOC_ID

    if not DOC_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"lower-case letters, digits and hyphens (at most 81), got {text!r}")
    return text


SPACE_OR_CONTROL = r"[\x00-\x20\x7f]"  # never in a link or a server's URL given on the command line


def page_link(text: str) -> str:
    """An argparse type: where a page links to, a relative reference or an http(s) URL; never a script
    (``javascript:``), data or file URL, which a shared site would carry to its readers."""
    import re

    if re.search(SPACE_OR_CONTROL, text) or (re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text)
                                               and not re.match(r"^https?://[^/]", text, re.I)):
        raise argparse.ArgumentTypeError(f"a relative link or an http(s) URL, without spaces, got {text!r}")
    return text


def http_url(text: str) -> str:
    """An argparse type: a server's URL, http or https only; a file:, ftp: or data: URL would make urllib read a local
    file or speak another protocol. Any user:password in it stays out of the message."""
    import re
    import urllib.parse

    from drugpolicy_kg.errors import register_secret

    # whatever stands before the last "@" may be a user and password, whichever characters they hold: never shown
    shown = re.sub(r"(?<=//).*@", "***@", text, flags=re.S)
    userinfo = re.match(r"^[a-z][a-z0-9+.-]*://(.*)@", text, re.I | re.S)
    if userinfo:  # remembered, so that no later message shows it
        user, _, password = userinfo.group(1).partition(":")
        register_secret(user, password)
        register_secret(urllib.parse.unquote(user), urllib.parse.unquote(password))
    if not re.match(r"^https?://[^/?#\s]", text, re.I) or re.search(SPACE_OR_CONTROL, text):
        raise argparse.ArgumentTypeError(f"an http(s) URL without spaces or control characters, got {shown!r}")
    try:  # a "#", "/" or "?" in a password ends the host early: the port would be read from the password
        parts = urllib.parse.urlsplit(text)
        ok = bool(parts.hostname) and (parts.port is None or 0 < parts.port < 65536)
    except ValueError:
        ok = False
    if not ok:
        raise argparse.ArgumentTypeError(f"cannot read the host and port of {shown!r} (a user or password holding "
                                         "'#', '/', '?' or '@' must be percent-encoded)")
    return text


def absolute_iri(text: str) -> str:
    """An argparse type: an absolute IRI (a graph's name), checked as the query parameters' IRIs are."""
    from drugpolicy_kg.sparql.query import parse_value

    try:
        parse_value(f"<{text}>")
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


OUTPUTS = {"build": ("out",), "views": ("out",), "trace": ("site", "output"), "export": ("output",),
           "query": ("output",), "ingest": ("output",)}  # (a draft in data/ was loaded as data by the next command)


def _outside_inputs(args) -> None:
    """Refuse an output that would land among what the commands read: `build --out data` replaced the curated
    ``data/dataset.ttl`` and left the whole graph in ``data/``, loaded twice by the next command. An output may
    not be, or lie in, the project's ``ontology/``, ``data/`` or ``queries/``; a folder may not be the project's
    own (``build`` writes ``ontology/drugpolicy.ttl`` into its folder)."""
    names = [n for n in OUTPUTS.get(args.command, ()) if getattr(args, n, None) not in (None, "-")]
    if not names:
        return
    project = _project(args)
    for name in names:
        given = getattr(args, name)
        try:
            target = Path(given).expanduser().resolve()
        except (OSError, RuntimeError):  # a link loop: the writer says so in its own words
            continue
        shown = given if Path(given).is_absolute() else f"{given} ({target})"
        for folder in (project.ontology_dir, project.data_dir, project.queries_dir):
            if target.is_relative_to(folder.resolve()):
                raise UsageError(f"{shown}: lies in the project's {folder.name}/ folder, which holds what the "
                                 "commands read; write it elsewhere")
        if name in ("out", "site") and target == project.root.resolve():
            raise UsageError(f"{shown}: is the project's own folder; give a folder of its own (default: build/)")


def _uses_network(args) -> bool:
    """Whether the command may reach the network, as the user asked: ``push``, ``serve`` (its clients come from the
    machine's loopback) and ``query`` with ``--endpoint`` or ``--allow-network``. Every other command, run as a
    process, leaves the network first (``threads.leave_network``)."""
    if args.command in ("push", "serve"):
        return True
    return args.command == "query" and bool(getattr(args, "endpoint", None) or getattr(args, "allow_network", False))


# The commands that hold much for long (networks, exports): their threads, and the engine's building the store where
# it is not built yet, share two heaps (see threads.few_heaps: at a million triples, a `views` that built the store
# first held 70 MB more to its end without it). The others keep the C library's default (`validate`'s two threads).
FEW_HEAPS = ("views", "build")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code.

    >>> main(["--project", "/nonexistent", "stats"])
    2
    """
    import os
    import signal

    # the first thing: a SIGTERM during start-up or argument parsing unwinds too (a process, not a test's call), as
    # Ctrl-C does (Python's own handler raises KeyboardInterrupt), so temporary files are removed and outputs stay whole
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler) if argv is None else None
    main.as_process = argv is None
    if main.as_process:  # a process's own stderr: a library's traceback never reaches it (tests keep their logging)
        sys.meta_path.insert(0, _OneLineWarnings())  # (installed as the first library that logs is imported)
    try:
        if sys.stdout is None:  # started with fd 1 closed (`cmd >&-`): Python would drop every line unsaid
            say_error("standard output is closed; redirect it to a file or /dev/null")
            return EXIT_BAD_INPUT
        parser = make_parser()
        args = parser.parse_args(argv)
        _outside_inputs(args)
        if main.as_process and not _uses_network(args):
            from drugpolicy_kg.threads import leave_network

            leave_network()  # (before any thread starts: the kernel gives namespaces to a process of one thread only)
        if main.as_process and args.command in FEW_HEAPS:
            from drugpolicy_kg.threads import few_heaps, one_blas_thread

            few_heaps()  # (before any thread starts, so that its threads share the heaps too)
            one_blas_thread()  # (before numpy is imported)
        if main.as_process and args.command in BOUNDED:
            left = ("every file already written is whole; none is half-written" if args.command in ("views", "trace", "export")
                    else "nothing was written")
            return _bounded(lambda: args.func(args), args.timeout, args.command, left)
        return args.func(args)
    except DrugPolicyKGError as exc:
        say_error(str(exc))
        for choice in getattr(exc, "choices", []):
            say_error(choice, prefix="  ")
        return exc.exit_code
    except KeyboardInterrupt:
        say_error("interrupted", prefix="drugpolicy-kg: ")
        return 130
    except BrokenPipeError:  # the reader went away (| head): say nothing more, and do not fail at exit either
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return getattr(main, "verdict", EXIT_OK)
    except OSError as exc:  # the environment: a full disk, a read-only folder, a name too long
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        say_error(f"{exc.strerror or exc}{where}")
        return EXIT_BAD_INPUT
    except UnicodeError as exc:
        say_error(f"text that is not valid in its encoding: {exc.reason if hasattr(exc, 'reason') else exc}")
        return EXIT_BAD_INPUT
    except SystemExit:
        raise
    except Exception as exc:  # a bug: one line (the traceback with DRUGPOLICY_KG_DEBUG=1)
        if _interrupted(exc):  # Ctrl-C or SIGTERM inside an import, which Python can wrap (a RuntimeError)
            say_error("interrupted", prefix="drugpolicy-kg: ")
            return 130
        if os.environ.get("DRUGPOLICY_KG_DEBUG"):
            raise
        say_error(f"internal error ({type(exc).__name__}: {str(exc)[:300]}); please report it, with "
                  "DRUGPOLICY_KG_DEBUG=1 for the traceback")
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` was caused by a KeyboardInterrupt (an interrupt raised in a class's ``__set_name__``, as an
    import runs, comes out as a RuntimeError whose cause it is)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


MAX_SAID = 1200  # characters of an error line: its beginning and its end (the advice) are kept


def say_error(message: str, prefix: str = "drugpolicy-kg: error: ") -> None:
    """One line on stderr, escaped for the terminal, and written even where stderr cannot encode it all."""
    from drugpolicy_kg.errors import scrub

    text = scrub(terminal_safe(message))  # no credential is ever printed, whole, encoded or cut short
    if len(text) > MAX_SAID:  # a value echoed whole (a 100,000-character search term) would flood the terminal
        cut = len(text) - MAX_SAID + 40
        text = f"{text[:MAX_SAID * 2 // 3]} [... {cut} characters ...] {text[-(MAX_SAID // 3 - 40):]}"
    line = prefix + text + "\n"
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
    except UnicodeEncodeError:  # PYTHONIOENCODING=ascii and the like
        sys.stderr.write(line.encode("ascii", "backslashreplace").decode("ascii"))
    except OSError:
        pass


LOGGING_LIBRARIES = ("rdflib", "pyshacl", "owlrl")  # what they log reaches stderr one line each (_OneLineWarnings)


class _OneLineWarnings:
    """What the libraries log (rdflib prints a traceback for each literal it cannot read) as one line each, once,
    escaped, without the traceback; the check that names the cause is ``validate``'s."""

    def __init__(self):
        self.seen: set[str] = set()
        self.handler = None  # (made as it is installed: logging is imported then)

    def emit(self, record) -> None:
        import re

        msg = record.getMessage().splitlines()[0] if record.getMessage() else ""
        if msg.startswith("Failed to convert Literal lexical form to value"):
            dt = re.search(r"Datatype=(\S+?),", msg)
            msg = (f"a literal is not a valid {dt.group(1) if dt else 'value of its datatype'}; "
                   "`drugpolicy-kg validate` names it (ill-typed-literal)")
        if msg and msg not in self.seen:
            self.seen.add(msg)
            say_error(msg, prefix="drugpolicy-kg: warning: ")

    def find_spec(self, name, path=None, target=None):
        """As an import hook: install the handler when a library that logs is first imported (a command that
        imports none, as a warm `query` or `trace`, does not import logging: 6 ms). Finds no module itself."""
        if name.partition(".")[0] in LOGGING_LIBRARIES:
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(self)
            self.install()
        return None

    def install(self) -> None:
        import logging

        if self.handler is None:
            self.handler = logging.Handler(logging.WARNING)
            self.handler.emit = self.emit  # type: ignore[method-assign]

        for name in LOGGING_LIBRARIES:
            logger = logging.getLogger(name)
            if self.handler not in logger.handlers:
                logger.addHandler(self.handler)
            logger.propagate = False


def run() -> None:
    """The process's command (``drugpolicy_kg.__main__`` sets SIGTERM's handler before this module is imported)."""
    import signal

    try:
        code = main()
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM in the instants before main's own boundary or after it
        say_error("interrupted", prefix="drugpolicy-kg: ")
        code = 130
    # The command has returned and what it wrote is whole: a SIGTERM from here on changes nothing, and the process
    # leaves with the command's code. (Python gives a handler back to the system's default as it shuts down, and a
    # SIGTERM then ended a finished build with -15; an ignored signal it leaves ignored.)
    for _ in range(3):  # (a SIGTERM that came as the command returned is run by signal.signal itself, first)
        try:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            break
        except KeyboardInterrupt:
            continue
    if code == 130:  # interrupted, and unwound: leave now, as a bounded command does. Left to shut down, about one
        import os  # interrupted build in 200 ended by SIGINT (-2) after saying "interrupted"

        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(130)
    sys.exit(code)


if __name__ == "__main__":
    run()
