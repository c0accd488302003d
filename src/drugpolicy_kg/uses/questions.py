"""Pages that each answer one question researchers ask of the programme plans, drawn from what answers it.

Where the network views show how everything links, these start from a question: which bodies' resolutions make up
each subprogramme's mandate (a matrix, a click away from the instruments and the budget rows that list them); where
two entities' mandates overlap (the subprogrammes joined by the instruments both sections list, never a complete
graph); how old the mandates are (years stated, and years read from a number, drawn apart); what each subprogramme
delivers, for whom, and with what resources. Who works with whom is the two-mode affiliations network.

The figures are counted in the store (``sparql/builtin/question-*.rq``) and the pages are Jinja2 templates with
autoescaping (``templates/``), one layout and one stylesheet: the code passes data, never markup. No page runs a
script.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drugpolicy_kg.atomic import atomic_write
from drugpolicy_kg.graph.oxi import value_rows
from drugpolicy_kg.resources import internal_query
from drugpolicy_kg.uses.trace import natural

if TYPE_CHECKING:
    from collections.abc import Callable

    from rdflib import Graph

QUERIES = "drugpolicy_kg/sparql/builtin/question-*.rq"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
NO_BODY = "(no body stated)"
BAR_PX = 320  # the longest bar of a chart


@dataclass(frozen=True)
class Question:
    href: str
    question: str
    what: str


QUESTIONS = [
    Question("mandate-landscape.html", "Which bodies' resolutions make up each subprogramme's mandate, and how much of it?",
             "a matrix of issuing bodies by subprogramme, per entity"),
    Question("mandate-overlap.html", "Which resolutions task two entities at once, and where do their mandates overlap?",
             "subprogrammes of two entities joined by the instruments both list"),
    Question("mandate-age.html", "How old are the mandates an entity works under?",
             "instruments by decade, stated and read years apart, per body"),
    Question("work-and-resources.html", "What does each subprogramme deliver, for whom, and with what resources?",
             "2026 deliverables by category, bodies served, posts and money"),
]
WHO_WITH_WHOM = Question("affiliations.html", "Who works with whom, and through which body?",
                         "organizations and the bodies they belong to or co-lead (the two-mode network)")


def short_programme(label: str) -> str:
    """A subprogramme's short name for a column: "A/80/6 (Sect. 16), subprogramme 9, component 1: ..." is
    "9, component 1"; the section's programme itself is "programme".

    >>> short_programme("A/80/6 (Sect. 16), subprogramme 2: A comprehensive approach")
    'subprogramme 2'
    >>> short_programme("Programme of A/80/6 (Sect. 24): Human rights")
    'the programme as a whole'
    """
    head = label.split(": ", 1)[0]
    if head.startswith("Programme of "):
        return "the programme as a whole"
    return re.sub(r"^.*?\),\s*", "", head)


def _quote(text: str) -> str:
    """A budget row as a quote: its cells (tab-separated in the source text) with a middle dot between."""
    return " · ".join(c.strip() for c in text.split("\t") if c.strip())


def landscape(graph: Graph, page: Callable[[str], str | None]) -> tuple[list[dict], list[list[str]], dict]:
    """The mandate landscape per entity, and its CSV rows; also each instrument's entities and subprogrammes (for the
    overlap)."""
    cells: dict = defaultdict(lambda: defaultdict(dict))  # entity -> (body, programme) -> instrument -> row
    labels: dict[str, str] = {}
    rows_of: dict[str, int] = defaultdict(int)
    where: dict[str, set[tuple[str, str]]] = defaultdict(set)  # instrument -> {(entity, programme)}
    seen_rows: set = set()
    for (entity, entity_label, prog, prog_label, body, inst, inst_label, title, quote, locator,
         doc) in value_rows(graph, internal_query("question-landscape.rq")):
        labels[entity], labels[prog], labels[inst] = entity_label, prog_label, inst_label
        item = cells[entity][(body, prog)].setdefault(inst, {"label": inst_label, "title": title or "",
                                                              "page": page(inst), "quotes": []})
        if quote and (quote, locator) not in {(q["raw"], q["locator"]) for q in item["quotes"]}:
            item["quotes"].append({"raw": quote, "text": _quote(quote), "locator": locator or "", "doc": doc or ""})
        if (entity, body, prog, inst, locator) not in seen_rows:
            seen_rows.add((entity, body, prog, inst, locator))
            rows_of[entity] += 1
        where[inst].add((entity, prog))
    entities, csv_rows = [], []
    for e_index, entity in enumerate(sorted(cells, key=lambda e: natural(labels[e]))):
        by_cell = cells[entity]
        programmes = sorted({p for _b, p in by_cell}, key=lambda p: natural(labels[p]))
        bodies = sorted({b for b, _p in by_cell},
                        key=lambda b: (-len({i for (bb, _p), items in by_cell.items() if bb == b for i in items}), b))
        top = max(len(items) for items in by_cell.values())
        body_rows = []
        for b_index, body in enumerate(bodies):
            row_cells = []
            for p_index, prog in enumerate(programmes):
                items = by_cell.get((body, prog), {})
                alpha = round(0.12 + 0.88 * len(items) / top, 2) if items else 0
                instruments = sorted(items.values(), key=lambda i: natural(i["label"]))
                for i in instruments:
                    i["quotes"].sort(key=lambda q: natural(q["locator"]))
                row_cells.append({"count": len(items), "alpha": alpha, "dark": alpha > 0.55,
                                  "id": f"c{e_index}-{b_index}-{p_index}", "programme": labels[prog],
                                  "instruments": instruments})
                csv_rows += [[labels[entity], body, labels[prog], i["label"], i["title"]] for i in instruments]
            total = len({i for (bb, _p), items in by_cell.items() if bb == body for i in items})
            body_rows.append({"label": body, "cells": row_cells, "total": total})
        entities.append({"label": labels[entity], "bodies": body_rows, "rows": rows_of[entity],
                         "total": len({i for items in by_cell.values() for i in items}),
                         "programmes": [{"label": labels[p], "short": short_programme(labels[p])} for p in programmes]})
    return entities, csv_rows, {"where": where, "labels": labels}


def overlap(found: dict, page: Callable[[str], str | None]) -> tuple[list[dict], list[list]]:
    """Pairs of entities, each with the pairs of their subprogrammes that instruments of both join."""
    where, labels = found["where"], found["labels"]
    links: dict = defaultdict(lambda: defaultdict(set))  # (entity a, entity b) -> (prog a, prog b) -> instruments
    for inst, places in where.items():
        for ea, pa in places:
            for eb, pb in places:
                if natural(labels[ea]) < natural(labels[eb]):
                    links[(ea, eb)][(pa, pb)].add(inst)
    pairs, csv_rows = [], []
    for (ea, eb), joined in sorted(links.items(), key=lambda kv: (natural(labels[kv[0][0]]), natural(labels[kv[0][1]]))):
        left = sorted({a for a, _b in joined}, key=lambda p: natural(labels[p]))
        right = sorted({b for _a, b in joined}, key=lambda p: natural(labels[p]))
        step, top = 28, max(len(s) for s in joined.values())
        y_of = {p: 30 + step * i for i, p in enumerate(left)} | {p: 30 + step * i for i, p in enumerate(right)}
        rows = []
        for (a, b), insts in sorted(joined.items(), key=lambda kv: (-len(kv[1]), natural(labels[kv[0][0]]),
                                                                     natural(labels[kv[0][1]]))):
            named = sorted(insts, key=lambda i: natural(labels[i]))
            rows.append({"a": labels[a], "b": labels[b], "count": len(insts), "y1": y_of[a], "y2": y_of[b],
                         "stroke": round(1 + 9 * len(insts) / top, 1),
                         "names": "; ".join(labels[i] for i in named[:12]) + (" ..." if len(named) > 12 else ""),
                         "instruments": [{"label": labels[i], "page": page(i)} for i in named]})
            csv_rows += [[labels[a], labels[b], labels[i]] for i in named]
        shared = {i for insts in joined.values() for i in insts}
        pairs.append({"left": labels[ea], "right": labels[eb], "left_short": labels[ea].split(":")[0],
                      "right_short": labels[eb].split(":")[0], "shared": len(shared), "links": rows,
                      "x1": 260, "x2": 620, "width": 900, "height": 40 + step * max(len(left), len(right)),
                      "left_nodes": [{"y": y_of[p], "label": labels[p], "short": short_programme(labels[p])} for p in left],
                      "right_nodes": [{"y": y_of[p], "label": labels[p], "short": short_programme(labels[p])} for p in right]})
    return pairs, csv_rows


def age(graph: Graph) -> tuple[list[dict], list[list]]:
    """Instruments by decade per entity, the year stated or read from the number, and per body their span."""
    by_entity: dict = defaultdict(dict)  # entity -> instrument -> (body, year, basis)
    for entity, inst, body, year, basis in value_rows(graph, internal_query("question-age.rq")):
        known = by_entity[entity].get(inst)
        if known is None or (known[2] != "stated" and basis == "stated"):
            by_entity[entity][inst] = (body, int(year) if year else None, basis)
    entities, csv_rows = [], []
    for entity in sorted(by_entity, key=natural):
        items = by_entity[entity]
        years = [y for _b, y, _s in items.values() if y is not None]
        decades = sorted({y // 10 * 10 for y in years})
        counts = {d: {"stated": 0, "read": 0} for d in decades}
        for _b, y, basis in items.values():
            if y is not None:
                counts[y // 10 * 10]["stated" if basis == "stated" else "read"] += 1
        top = max((c["stated"] + c["read"] for c in counts.values()), default=1)
        bodies = defaultdict(list)
        for b, y, _s in items.values():
            bodies[b].append(y)
        entities.append({
            "label": entity, "total": len(items), "dated": len(years),
            "stated": sum(c["stated"] for c in counts.values()), "read": sum(c["read"] for c in counts.values()),
            "undated": len(items) - len(years), "median": int(statistics.median_low(years)) if years else None,
            "decades": [{"decade": d, **counts[d], "stated_px": round(BAR_PX * counts[d]["stated"] / top),
                         "read_px": round(BAR_PX * counts[d]["read"] / top)} for d in decades],
            "bodies": [{"label": b, "total": len(ys), "dated": len([y for y in ys if y is not None]),
                        "earliest": min((y for y in ys if y is not None), default="–"),
                        "median": statistics.median_low([y for y in ys if y is not None]) if any(y is not None for y in ys) else "–",
                        "latest": max((y for y in ys if y is not None), default="–")}
                       for b, ys in sorted(bodies.items(), key=lambda kv: (-len(kv[1]), kv[0]))]})
        csv_rows += [[entity, b, y if y is not None else "", basis] for b, y, basis in sorted(
            items.values(), key=lambda v: (v[0], v[1] or 0))]
    return entities, csv_rows


def _number(value: str) -> str:
    """A printed figure with thousands separators, as many decimals as printed."""
    whole, _, frac = value.partition(".")
    try:
        return f"{int(whole):,}" + (f".{frac}" if frac else "")
    except ValueError:
        return value


def work(graph: Graph, page: Callable[[str], str | None]) -> tuple[list[dict], list[list]]:
    """Per subprogramme: 2026 planned deliverables by category and unit, bodies served, posts and money."""
    labels: dict[str, str] = {}
    # (programme, category, subcategory, unit) -> printed total of the subcategory, and the sum of its rows
    totals: dict = {}
    items: dict = defaultdict(float)
    served: dict = defaultdict(set)
    for prog, label, category, subcategory, total, unit, value, _deliverable, body in value_rows(
            graph, internal_query("question-work.rq")):
        labels[prog] = label
        key = (prog, category or "(no category)", subcategory or "", unit or "")
        try:
            figure = float(value)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(figure):  # ("NaN" and "INF" are doubles, not counts: added, the sum would print as nan)
            continue
        if total == "true":
            totals[key] = totals.get(key, 0.0) + figure
        else:
            items[key] += figure
        if body:
            served[prog].add(body)
    sums: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))  # prog -> category -> unit -> sum
    for key in set(totals) | set(items):  # a subcategory's printed total where it has one, else its rows added up
        prog, category, _sub, unit = key
        sums[prog][category][unit] += totals.get(key, items.get(key, 0.0))
    money, posts = {}, {}
    for prog, _obs, item, value, unit, *_ in value_rows(graph, internal_query("own-resources.rq")):
        if str(item).startswith("Post"):  # posts and money of its own table (own-resources.rq), never of two mixed
            posts[prog] = _number(value)
        else:
            money[prog] = f"{_number(value)} {unit}"
    for prog in set(money) | set(posts):
        labels.setdefault(prog, "")
    missing = [p for p, lbl in labels.items() if not lbl]
    if missing:
        from drugpolicy_kg.graph.oxi import term_types

        URIRef = term_types(graph)[0]  # noqa: N806 - the graph's own IRI type

        for p in missing:
            labels[p] = str(graph.value(URIRef(p), URIRef("http://www.w3.org/2000/01/rdf-schema#label")) or p)
    by_section: dict = defaultdict(list)
    csv_rows = []
    for prog in sorted(labels, key=lambda p: natural(labels[p])):
        section = re.match(r"^(?:Programme of )?(.*?\))", labels[prog])
        categories = [{"category": c, "units": [{"unit": re.sub(r"^number of ", "", u), "value": f"{v:g}"}
                                                for u, v in sorted(units.items())]}
                      for c, units in sorted(sums[prog].items(), key=lambda kv: natural(kv[0]))]
        by_section[section.group(1) if section else "other"].append({
            "label": labels[prog], "page": page(prog), "posts": posts.get(prog), "money": money.get(prog),
            "categories": categories, "bodies": sorted(served[prog])})
        csv_rows += [[labels[prog], posts.get(prog, ""), money.get(prog, ""), c["category"], u["unit"], u["value"]]
                     for c in categories for u in c["units"]] or [[labels[prog], posts.get(prog, ""), money.get(prog, ""), "", "", ""]]
    return [{"label": s, "programmes": ps} for s, ps in sorted(by_section.items(), key=lambda kv: natural(kv[0]))], csv_rows


def write_questions(graph: Graph, out_dir: Path, page: Callable[[str], str | None],
                    with_affiliations: bool = True) -> dict[str, Path]:
    """Write the question pages, their CSV files and the list of questions into ``out_dir``; return what was written.
    ``page``: an entity's page name under ``entities/`` (None: it has none)."""
    from drugpolicy_kg.pages import render as render_template
    from drugpolicy_kg.uses.views import _csv

    written: dict[str, Path] = {}

    def render(name: str, template: str, question: Question | None, csv: tuple[list[str], list] | None, **data):
        if csv is not None:
            csv_name = name.removesuffix(".html") + ".csv"
            _csv(out_dir / csv_name, csv[0], csv[1])
            written[csv_name] = out_dir / csv_name
        text = render_template(template, question=question.question if question else "Questions",
                               csv=csv_name if csv is not None else "", csp=CSP, root="", queries=QUERIES, **data)
        with atomic_write(out_dir / name, durable=False) as fh:
            fh.write(text)
        written[name] = out_dir / name

    entities, land_rows, found = landscape(graph, page)
    render(QUESTIONS[0].href, "landscape.html", QUESTIONS[0],
           (["entity", "body", "subprogramme", "instrument", "title"], land_rows), entities=entities)
    pairs, overlap_rows = overlap(found, page)
    render(QUESTIONS[1].href, "overlap.html", QUESTIONS[1],
           (["subprogramme", "other subprogramme", "shared instrument"], overlap_rows), pairs=pairs)
    ages, age_rows = age(graph)
    render(QUESTIONS[2].href, "age.html", QUESTIONS[2], (["entity", "body", "year", "basis"], age_rows), entities=ages)
    sections, work_rows = work(graph, page)
    render(QUESTIONS[3].href, "work.html", QUESTIONS[3],
           (["subprogramme", "posts 2026", "resources 2026", "deliverable category", "unit", "planned 2026"], work_rows),
           entities=sections)
    listed = QUESTIONS + ([WHO_WITH_WHOM] if with_affiliations else [])
    render("questions.html", "questions.html", None, None, pages=listed)
    return written
