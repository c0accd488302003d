"""The programme plan, read from the two budget sections as the UN issued them (Word files): every figure as printed,
in the column Word's grid puts it in, with the words that state it. The expected values were read off the print by
hand (the tables and paragraphs named in each test)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from drugpolicy_kg.sources.extract import extract
from drugpolicy_kg.sources.plan import figure
from drugpolicy_kg.sources.reader import read_document

ROOT = Path(__file__).resolve().parents[1]
SECT16 = ROOT / "data" / "sources" / "un-documents" / "A_80_6_Sect.16.docx"
SECT24 = ROOT / "data" / "sources" / "un-documents" / "A_80_6_Sect.24.docx"


@pytest.fixture(scope="module")
def found():
    out = {}
    for path in (SECT16, SECT24):
        doc = read_document(path)
        out[path.name] = (doc, extract(doc).candidates)
    return out


def _of(cands, kind, **facts):
    return [c for c in cands if c.kind == kind and all(c.facts.get(k) == v for k, v in facts.items())]


def test_figures_are_read_as_printed():
    assert figure("1 277.6") == (Decimal("1277.6"), "")
    assert figure("(1 277.6)") == (Decimal("-1277.6"), "")  # negative, as the budget prints it
    assert figure("–") == (None, "")                          # no value, never 0
    value, note = figure("2.679.6")                           # a misprint: kept as printed, with a note
    assert value is None and "2.679.6" in note and "not corrected" in note
    assert figure("53 00")[0] is None                         # a thousands group of two digits is no number either


def test_deliverables_of_subprogramme_2(found):
    """Table 16.4: item 4, meetings of the Commission on Narcotic Drugs, 21 three-hour meetings each year; item 2, a
    "–" in three columns (no figure, not zero); the subcategory's unit in its own words."""
    _doc, cands = found[SECT16.name]
    item4 = _of(cands, "deliverable", table="16.4", number="4")[0]
    assert item4.facts["scope"] == "subprogramme 2"
    assert item4.facts["unit"] == "number of three-hour meetings"
    assert item4.facts["body"] == "Commission on Narcotic Drugs"
    assert [(c["column"], c["value"]) for c in item4.facts["cells"]] == [
        ("2024 planned", "21"), ("2024 actual", "21"), ("2025 planned", "21"), ("2026 planned", "21")]
    item2 = _of(cands, "deliverable", table="16.4", number="2")[0]
    assert [(c["column"], c["value"]) for c in item2.facts["cells"]] == [("2024 planned", "5")]
    item5 = _of(cands, "deliverable", table="16.4", number="5")[0]
    assert item5.facts["body"] == ""  # "The subsidiary bodies of the Commission": not the Commission itself
    doc_text = found[SECT16.name][0].text
    for c in item4.facts["cells"]:  # each cell's offsets hold the printed cell
        assert doc_text[c["start"]:c["end"]] == c["printed"]


def test_resources_on_the_grid_with_two_row_headers(found):
    """Table 16.20 (thousands of US$): "Other staff costs", "Changes" over "Technical adjustments" is (83.9), negative;
    Table 16.31: subprogramme 2's total for 2026 is 855.5 thousand dollars and its posts, 4."""
    _doc, cands = found[SECT16.name]
    row = _of(cands, "resource", table="16.20", item="Other staff costs")[0]
    cells = {c["column"]: c["value"] for c in row.facts["cells"]}
    assert cells["Changes: Technical adjustments"] == "-83.9"
    assert cells["2026 estimate"] == "387.4" and row.facts["unit"] == "thousands of US$"
    totals = {tuple(c.facts["path"]): c for c in _of(cands, "resource", table="16.31", item="Total")}
    money = {c["column"]: c["value"] for c in totals[("Financial resources by main category of expenditure",)].facts["cells"]}
    posts = totals[("Post resources by category",)]
    assert money["2026 estimate"] == "855.5"
    assert posts.facts["unit"] == "posts" and posts.facts["scope"] == "subprogramme 2"


def test_new_mandates_table_ties_figures_to_resolutions(found):
    """Table 24.27 (United States dollars): the row "75/314" under "General Assembly resolutions" costs 54 200 in all."""
    _doc, cands = found[SECT24.name]
    row = _of(cands, "resource", table="24.27", item="75/314")[0]
    assert row.facts["resolution"]["issuer"] == "General Assembly" and row.facts["resolution"]["symbol"] == "75/314"
    assert row.facts["unit"] == "US$"
    # the header "Object of expenditure" spans every column after "Resolution", "Total" too, as printed
    assert {c["column"]: c["value"] for c in row.facts["cells"]}["Object of expenditure: Total"] == "54200"
    hrc = _of(cands, "resource", table="24.27", item="28/14")[0]
    assert hrc.facts["resolution"]["issuer"] == "Human Rights Council"


def test_strategy_items_and_sub_items(found):
    """Para. 16.30: (a) with sub-items (i) to (iv), then (b) to (f): ten items of subprogramme 2; para. 16.31, three
    expected results."""
    _doc, cands = found[SECT16.name]
    items = [c.facts["item"] for c in _of(cands, "activity", scope="subprogramme 2", paragraph="16.30")]
    assert items == ["(a)", "(a)(i)", "(a)(ii)", "(a)(iii)", "(a)(iv)", "(b)", "(c)", "(d)", "(e)", "(f)"]
    assert len(_of(cands, "expected-result", scope="subprogramme 2", paragraph="16.31")) == 3
    # Sect. 24 states some expected results in one sentence ("is expected to result in enhanced knowledge ...")
    one = _of(found[SECT24.name][1], "expected-result", paragraph="24.44")
    assert len(one) == 1 and one[0].facts["text"].startswith("enhanced knowledge")


def test_every_objective_the_components_too(found):
    _doc, cands = found[SECT16.name]
    scopes = sorted(c.facts["scope"] for c in cands if c.kind == "objective")
    assert "subprogramme 9, component 1" in scopes and "subprogramme 9, component 2" in scopes
    assert len(scopes) == 10
    assert len([c for c in found[SECT24.name][1] if c.kind == "objective"]) == 6


def test_goals_in_every_wording(found):
    """Para. 16.70: "in particular, Goals 5, 11 and 16" (no "Sustainable Development" before it)."""
    _doc, cands = found[SECT16.name]
    sp5 = sorted(c.facts["goal"] for c in cands if c.kind == "sdg" and c.facts["scope"] == "subprogramme 5"
                 and c.confidence >= 0.85)
    assert sp5 == ["11", "16", "5"]


def test_planned_results_and_costs(found):
    _doc, cands = found[SECT16.name]
    assert len([c for c in cands if c.kind == "planned-result"]) == 30  # three per subprogramme and component
    cost = [c for c in cands if c.kind == "mandate-cost" and c.facts["symbol"] == "79/234"]
    assert cost and cost[0].facts["amount"] == "144700" and cost[0].facts["issuer"] == "General Assembly"
    assert "$144,700" in cost[0].quote


def test_a_subtotal_closes_its_group_and_the_rows_after_it_stand_where_the_print_puts_them():
    from drugpolicy_kg.sources.plan import read_table, tables

    def items(path, number):
        t = next(t for t in tables(read_document(path)) if t.number == number and t.kind != "deliverables")
        return [(" / ".join(r.path), r.label) for r in read_table(t)[1] if r.cells]

    # Table 24.28: "Other staff costs" is an object of expenditure beside "Posts", with changes and a subtotal of
    # its own; "Total" totals the whole table, not its last group
    rows = items(SECT24, "24.28")
    assert ("Posts", "Redeployment") in rows and ("Other staff costs", "Redeployment") in rows
    assert ("", "Other staff costs") in rows and ("Other staff costs", "Subtotal") in rows
    assert ("", "Total") in rows and len(rows) == len(set(rows))  # no two rows read as the same item
    # Table 16.23 (1): "D. Programme support" is a component beside C, and "Subtotal, 1" is part (1)'s, not D's
    rows = items(SECT16, "16.23")
    assert ("(1) Regular budget", "D. Programme support") in rows and ("(1) Regular budget", "Subtotal, 1") in rows
    assert ("(1) Regular budget / C. Programme of work", "Subtotal, C") in rows
    # "Total (1+2)" totals both parts: it stands under neither (it had been read as part (2)'s)
    assert ("", "Total (1+2)") in rows and not any(label.startswith("Total (") for path, label in rows if path)
    assert ("", "Total (1+2+3)") in items(SECT24, "24.24")


@pytest.mark.parametrize("name, table, part, item, figures", [
    # read off the print: each part of these tables heads its figures with columns of its own
    (SECT24.name, "24.24", "(2) Other assessed", "1. Human rights mainstreaming, right to development, and research and "
     "analysis", [("2024 expenditure", "425.4"), ("2025 estimate", "522.6"), ("Change", "211.4"),
                  ("Percentage", "40.5"), ("2026 estimate", "734.0")]),
    (SECT24.name, "24.25", "(2) Other assessed", "1. Human rights mainstreaming, right to development, and research and "
     "analysis", [("2025 estimate", "2"), ("Change", "1"), ("2026 estimate", "3")]),
    (SECT16.name, "16.23", "(2) Extrabudgetary", "5. Justice",
     [("2024 expenditure", "87 155.9"), ("2025 estimate", "74 603.2"), ("Change", "491.7"), ("Percentage", "0.7"),
      ("2026 estimate", "75 094.9")]),
    (SECT16.name, "16.23", "(1) Regular budget", "5. Justice",
     [("2024 expenditure", "1 497.1"), ("2025 approved", "1 538.7"), ("2026 estimate", "1 538.7")]),
])
def test_a_part_of_a_table_names_its_figures_by_its_own_header(found, name, table, part, item, figures):
    """Tables 24.24, 24.25, 16.23 and 16.24 come in parts (regular budget, other assessed, extrabudgetary), and each
    part after the first has a header of its own, with fewer columns than the first: its figures are named by it.
    They had been named by the first part's header, by position: 425.4, printed under "2024 expenditure", was read
    as a technical adjustment, and the graph said so."""
    rows = [c for c in _of(found[name][1], "resource", table=table) if c.facts["item"] == item
            and c.facts["path"][:1] == [part]]
    assert len(rows) == 1
    assert [(cell["column"], cell["printed"]) for cell in rows[0].facts["cells"]] == figures


def _printed_figures(doc, kinds):
    """Where each figure printed in a table of the given kinds stands: (table name, offset, cell), marked figures
    ("641a") included; the contents' page numbers are no figures of the plan."""
    from drugpolicy_kg.sources.plan import cell_offsets, grid, grid_raised, tables, unmarked

    kind_of = {r.table: t for t in tables(doc) for r in t.rows}
    out = []
    for seg in doc.segments:
        t = kind_of.get(seg.table)
        if seg.kind != "row" or t is None or t.kind not in kinds:
            continue
        for j, (cell, at, raised) in enumerate(zip(grid(seg), cell_offsets(seg), grid_raised(seg), strict=False)):
            if j and at is not None and figure(unmarked(cell, raised)[0]) != (None, ""):
                out.append((t.name, at[0], cell))
    return out


@pytest.mark.parametrize("name", [SECT16.name, SECT24.name])
def test_every_figure_of_every_deliverables_and_resources_table_is_read(found, name):
    """The whole of each section's deliverables and resources tables, numbered or an annex's: every printed figure,
    a footnote mark on it or not, becomes a cell of a candidate at the offsets it is printed at."""
    doc, cands = found[name]
    read = {cell["start"] for c in cands for cell in c.facts.get("cells") or ()}
    printed = _printed_figures(doc, ("deliverables", "resources"))
    assert len(printed) > 1100
    assert [p for p in printed if p[1] not in read] == []


def test_an_annex_table_two_row_header_and_figures_with_note_marks(found):
    """A/80/6 (Sect. 24), annex III, "Overall summary of financial and post resources": a table with no number,
    named by its annex; its group headings span three columns while the first cell under each spans a spacer column
    and the first of the three; "641a" is 641 posts qualified by note a; "Cyprusc" is Cyprus, with note c."""
    _doc, cands = found[SECT24.name]
    rows = {(c.facts["path"][-1] if c.facts["path"] else "", c.facts["item"]): c
            for c in _of(cands, "resource", table="Annex III")}
    ohchr = "Office of the United Nations High Commissioner for Human Rights"
    money = {cell["column"]: (cell["value"], cell["printed"]) for cell in rows[("Financial resources", ohchr)].facts["cells"]}
    assert money["Regular budget: 2025 approved"] == ("246472.0", "246 472.0")
    assert money["Other assessed: 2025 estimate"] == ("2503.3", "2 503.3")
    assert money["Extrabudgetary: Variance"] == ("-12544.6", "(12 544.6)")
    assert rows[("Financial resources", ohchr)].facts["unit"] == "thousands of US$"
    posts = rows[("Post resources", ohchr)]
    assert posts.facts["unit"] == "posts"
    cells = {cell["column"]: cell for cell in posts.facts["cells"]}
    first = cells["Regular budget: 2025 approved"]
    assert (first["value"], first["printed"]) == ("641", "641a")
    assert [(m["mark"], m["text"]) for m in first["marks"]] == [("a", "Includes 33 temporary posts.")]
    both = cells["Total: 2025 estimate"]
    assert both["value"] == "1979" and [m["mark"] for m in both["marks"]] == ["a", "b"]
    assert ("Post resources", "Committee on Missing Persons in Cyprus") in rows
    # a name that ends in a note's letter keeps it: only a raised letter is a mark ("Republic", note c exists)
    assert ("Post resources", "Independent Institution on Missing Persons in the Syrian Arab Republic") in rows
    doc = found[SECT24.name][0]
    for m in first["marks"]:  # the note's words stand where the mark points
        assert doc.text[m["start"]:m["end"]] == m["text"]


def test_a_note_mark_is_not_part_of_a_name(found):
    """Table 24.42 prints "2024 expenditure" with note a's mark raised: the column is "2024 expenditure", so its
    cells are dated and given their status like every other's; Table 16.4's subcategory is "Field and technical
    cooperation projects", its raised "a" the mark of the note under the table."""
    _doc, cands = found[SECT24.name]
    columns = {cell["column"] for c in _of(cands, "resource", table="24.42") for cell in c.facts["cells"]}
    assert "2024 expenditure" in columns and not any(col.endswith("expenditurea") for col in columns)
    _doc, cands = found[SECT16.name]
    subcategories = {c.facts["subcategory"] for c in _of(cands, "deliverable", table="16.4")}
    assert "Field and technical cooperation projects" in subcategories
    assert not any(s.endswith("projectsa") for s in subcategories)
    row = next(c for c in _of(cands, "deliverable", table="16.4", level="subcategory")
               if c.facts["subcategory"] == "Field and technical cooperation projects")
    assert row.facts["printed"] == "Field and technical cooperation projectsa (number of projects)"
    assert [n["text"] for n in row.facts["notes"]] == [
        "For field and technical cooperation projects on drug supply reduction and publications thereon, please refer "
        "to deliverables B.6 and B.10 under table 16.3."]


def test_a_figure_s_year_and_status_come_from_the_heading_that_prints_them(dataset):
    """"Object of expenditure: Other staff costs" names what is spent, not a status: a column whose headings print
    no year has no period and no status (116 figures of the new-mandates tables had been given "expenditure")."""
    rows = dataset.select("""SELECT ?col ?status WHERE { ?o dpo:refColumn ?col ; dpo:refStatus ?status }""")
    assert rows
    for col, status in rows:
        year = next((h for h in reversed(str(col).split(": ")) if h[:4].isdigit()), "")
        assert year and str(status).rsplit("-", 1)[-1] in year.lower(), (col, status)


def test_a_misprinted_figure_is_kept_as_printed_and_its_row_s_other_figures_are_read(dataset):
    """Sect. 24, Table 24.27, row 22 prints "53 00" as a total: kept as printed with a note, as a dpo:Misprint of
    its table (no measure, so no qb:Observation), and the row's 53,800 under "Other staff costs" is read."""
    misprints = dataset.select("""SELECT ?printed ?table ?note WHERE {
        ?m a dpo:Misprint ; dpo:printedValue ?printed ; dcterms:isPartOf ?table ; skos:note ?note }""")
    assert [(str(p), str(t).rsplit("/", 1)[-1]) for p, t, _ in misprints] == [
        ("53 00", "dataset-a-80-6-sect-24-table-24-27")]
    assert "not corrected" in str(misprints[0][2])
    same_row = dataset.select("""SELECT ?amount ?t WHERE { ?o a qb:Observation ; qb:dataSet ?t ; dpo:amount ?amount ;
        dpo:refItem ?item ; dpo:refColumn "Object of expenditure: Other staff costs" FILTER(STRENDS(STR(?item), "56/20")) }""",
                              t="https://w3id.org/drugpolicy-kg/id/dataset-a-80-6-sect-24-table-24-27")
    assert [str(a) for a, _t in same_row] == ["53800"]


def test_a_category_printed_against_its_letter_is_a_category_and_a_broken_heading_names_its_period():
    """What LibreOffice prints of Sect. 16, Table 16.19: "B.Generation and transfer of knowledge" (no space: the rows
    under it were given category A) and headings "2024 planne d" (a word broken over two lines in a narrow cell)."""
    from drugpolicy_kg.sources.plan import CATEGORY, PERIOD_HEAD, status_of

    assert CATEGORY.match("B.Generation and transfer of knowledge").group("letter") == "B"
    assert CATEGORY.match("B. Generation and transfer of knowledge").group("name") == "Generation and transfer of knowledge"
    assert not CATEGORY.match("E.g. the Board") and not CATEGORY.match("A.I. tools")
    assert PERIOD_HEAD.match("2024 planne d") and PERIOD_HEAD.match("2024 actual") and not PERIOD_HEAD.match("2024")
    assert status_of("2024 planne d") == ("planned", "planne d")


def test_a_percentage_is_in_per_cent_not_in_the_table_s_unit(dataset):
    """A resources table's "Percentage" column (the change, in per cent) is printed under "(Thousands of United States
    dollars)" with the rest: its figures are in per cent, stated by their own heading; the graph had given them the
    table's unit ("24.4 thousands of US$"). No other figure is in per cent."""
    rows = dataset.select("""
        SELECT ?column ?unit (COUNT(?obs) AS ?n) WHERE { ?obs dpo:refColumn ?column ; dpo:unit ?unit ; dpo:amount ?v }
        GROUP BY ?column ?unit""")
    by = {(column, unit): int(n) for column, unit, n in rows}
    percent = {column for column, unit in by if unit == "per cent"}
    assert percent == {c for c, _ in by if c.rsplit(": ", 1)[-1] == "Percentage"} and percent
    assert sum(n for (c, u), n in by.items() if u == "per cent") > 100
    stated = dataset.select("""
        SELECT DISTINCT ?words WHERE { ?obs dpo:unit "per cent"@en .
          ?st rdf:subject ?obs ; rdf:predicate dpo:unit ; dpo:statedAs ?words }""")
    assert stated == [("Percentage",)]


@pytest.mark.parametrize("text, body", [
    ("Meetings of the Commission on Narcotic Drugs", "Commission on Narcotic Drugs"),
    ("Meetings of: The General Assembly (Third and Fifth Committees)", "General Assembly"),
    ("The Commission on Narcotic Drugs on issues related to drug demand reduction", "Commission on Narcotic Drugs"),
    ("Annual reports to the Economic and Social Council on the Commission on Narcotic Drugs and the Commission on "
     "Crime Prevention and Criminal Justice", "Economic and Social Council"),   # reports to the Council, about them
    ("Reports of the Working Group on the Universal Periodic Review to the Human Rights Council", "Human Rights Council"),
    ("Forms for treaty-mandated reporting by Member States under the 1961, 1971 and 1988 Conventions and related "
     "Economic and Social Council resolutions", ""),                         # the Council's resolutions, not the Council
    ("online information; database on resolutions and decisions by the Commission on Narcotic Drugs", ""),
    ("expert advice to Member States, special rapporteurs and independent experts of the Human Rights Council", ""),
    ("Plenary meetings of the Human Rights Council Advisory Committee", ""),     # another body, the Council's
    ("Reports on annotations to the agenda to the Working Group on Situations and to the provisional agenda of the "
     "Human Rights Council", ""),
    ("Meetings of the subsidiary bodies of the Commission on Narcotic Drugs", ""),
])
def test_a_deliverable_serves_the_body_its_words_say_it_serves(text, body):
    """A deliverable is linked to a body (dpo:forBody) where it opens with the body or its meetings, documents or
    reports are of, to or for it; a body the row names otherwise is not one it serves. The graph had linked
    "Annual reports to the Economic and Social Council on the Commission on Narcotic Drugs and the Commission on Crime
    Prevention and Criminal Justice" to the Commission on Crime Prevention, and "Forms for ... related Economic and
    Social Council resolutions" to the Council."""
    from drugpolicy_kg.sources.plan import _served_body

    bodies = ["Commission on Crime Prevention and Criminal Justice", "Commission on Narcotic Drugs",
              "Economic and Social Council", "Human Rights Council", "General Assembly"]
    assert _served_body(text, bodies) == body


@pytest.mark.parametrize("name, symbol, printed, amount, words, parts", [
    (SECT24.name, "79/1", "$250,500", "-250500", "a decrease of $250,500", []),     # para. 24.98 (b)(iii)
    (SECT24.name, "55/28", "$369,300", "-369300", "a decrease of $369,300", []),
    (SECT24.name, "79/1", "$228,200", "228200", "an increase under posts ($228,200)", []),
    (SECT16.name, "79/234", "$144,700", "144700", "Additional requirements of $144,700", []),
    # para. 16.151 (i): the provision given by object of expenditure only, no total printed
    (SECT16.name, "79/243", "$1,200", "315000", "The provision under other staff costs ($1,200), consultants ($86,700), "
     "travel of staff ($52,600), contractual services ($132,900) and general operating expenses ($41,600)",
     ["$1,200", "$86,700", "$52,600", "$132,900", "$41,600"]),
    (SECT16.name, "79/243", "$24,900", "-102900", "The removal of one-time provisions under experts ($24,900), travel of "
     "representatives ($33,800) and furniture and equipment ($44,200)", ["$24,900", "$33,800", "$44,200"]),
])
def test_an_amount_tied_to_a_mandate_is_the_change_the_sentence_names(found, name, symbol, printed, amount, words,
                                                                       parts):
    """The explanation of resource changes ties amounts to resolutions: a decrease is negative (it had been read as a
    cost of $250,500), and a change given only by object of expenditure is the sum of the amounts listed (it had been
    the first of them, $1,200 of a $315,000 provision), with the words that give it."""
    _doc, cands = found[name]
    cost = [c.facts for c in cands if c.kind == "mandate-cost" and c.facts["symbol"] == symbol
            and c.facts["printed"] == printed]
    assert len(cost) == 1
    assert (cost[0]["amount"], cost[0]["change_words"], cost[0]["parts"]) == (amount, words, parts)
    assert words in [c.quote for c in cands if c.kind == "mandate-cost" and c.facts["printed"] == printed][0]


def test_a_summed_amount_is_marked_inferred_with_its_reasoning(dataset):
    """The graph states a summed amount as inferred, with the parts in its reasoning; a decrease is negative."""
    rows = dataset.select("""
        SELECT ?amount ?words ?why WHERE { ?c a dpo:MandateCost ; dpo:amount ?amount .
          ?st rdf:subject ?c ; rdf:predicate dpo:amount ; dpo:statedAs ?words .
          OPTIONAL { ?st dpo:inferred true ; dpo:reasoning ?why } }""")
    by = {a: (w, why) for a, w, why in rows}
    assert by["315000"][1] and "$1,200, $86,700, $52,600, $132,900, $41,600" in by["315000"][1]
    assert by["-102900"][1] and "negative for a removal" in by["-102900"][1]
    assert by["-250500"] == ("a decrease of $250,500", None)
    assert sum(1 for _a, (_w, why) in by.items() if why) == 2


def test_a_row_whose_figures_do_not_add_up_is_said_so_to_the_reviewer(found):
    """A resources row's figures are checked against each other (the year's figure and its change make the next
    year's; the changes by kind sum to their total; the percentage is the change over the year), to the print's
    rounding: in the two sections only the budget's own four inconsistencies are flagged, kept as printed, with a
    note and a lower confidence. A part's figures read under the first part's columns (as before a part's own header
    was read: 425.4 as a technical adjustment) would not add up, and say so."""
    from drugpolicy_kg.sources.plan import Cell, PlanRow, adds_up

    flagged = sorted((c.locator, c.facts["item"]) for name in (SECT16.name, SECT24.name) for c in found[name][1]
                     if c.kind == "resource" and ("add up" in c.note or " over " in c.note))
    assert flagged == [("Table 16.24, row 17", "Total (1+2)"), ("Table 16.38, row 10", "Total"),
                       ("Table 24.33, row 5", "Non-post"), ("Table 24.36, row 6", "Total")]
    assert all(c.confidence == 0.8 for name in (SECT16.name, SECT24.name) for c in found[name][1]
               if c.kind == "resource" and (c.locator, c.facts["item"]) in flagged)
    first = ["", "2024 expenditure", "2025 approved", "Changes: Technical adjustments", "Changes: New/ expanded mandates",
             "Changes: Other", "Changes: Total", "Changes: Percentage", "2026 estimate"]

    def row(columns, cells):
        return PlanRow(None, None, "1. Human rights mainstreaming", [Cell(c, v, 0, 0, v) for c, v in cells], [],
                       columns=columns)

    misread = row(first, [("Changes: Technical adjustments", "425.4"), ("Changes: New/ expanded mandates", "522.6"),
                          ("Changes: Total", "211.4"), ("Changes: Percentage", "40.5"), ("2026 estimate", "734.0")])
    said = adds_up(misread)
    assert len(said) == 2 and said[0].startswith("the figures do not add up") and "changes by kind" in said[1]
    right = row(["", "2024 expenditure", "2025 estimate", "Change", "Percentage", "2026 estimate"],
                [("2024 expenditure", "425.4"), ("2025 estimate", "522.6"), ("Change", "211.4"),
                 ("Percentage", "40.5"), ("2026 estimate", "734.0")])
    assert adds_up(right) == []


def test_a_mandate_s_label_names_its_document(dataset):
    """Two sections may list one resolution at the same row of the same scope (General Assembly resolution 70/1 is
    row 15 of the programme lists of Sect. 16 and of Sect. 24 as printed): each mandate's label names its document,
    so no two mandates share one (the checks had refused the second section's)."""
    rows = dataset.select("""
        SELECT ?m ?label ?doc WHERE { ?m a dpo:Mandate ; rdfs:label ?label .
          ?st rdf:subject ?m ; rdf:predicate dpo:issuedIn . ?ev dpo:states ?st ; dcterms:source/dpo:documentSymbol ?doc }""")
    budget = [(m, label, doc) for m, label, doc in rows if doc.startswith("A/80/6")]
    assert len({m for m, _, _ in budget}) > 1000
    assert all(f" is a legislative mandate of {doc}, " in label for _m, label, doc in budget)
    labels = {}
    for m, label, _doc in rows:
        labels.setdefault(label.lower(), set()).add(m)
    assert [label for label, ms in labels.items() if len(ms) > 1] == []


def test_a_table_names_the_part_of_the_section_it_stands_under(found, dataset):
    """A/80/6 (Sect. 24) holds three entities' budgets, each under a part of its own ("I. Office of the United Nations
    High Commissioner for Human Rights", "II. Committee on Missing Persons in Cyprus", "III. Independent Institution
    on Missing Persons in the Syrian Arab Republic"), and two of their tables share the title "Overall: evolution of
    financial and post resources" (24.26, OHCHR's; 24.42, the Institution's). Each table's figures name its part,
    inferred from where the table stands, with the part's heading as the quote; an annex's own "I. Background and
    methodology" is no part, and Sect. 16 (one entity) has none."""
    parts = {}
    for name in (SECT16.name, SECT24.name):
        for c in found[name][1]:
            if c.kind in ("resource", "deliverable"):
                parts.setdefault((name, c.facts["table"]), set()).add(c.facts.get("part", ""))
    assert {p for (name, _), ps in parts.items() if name == SECT16.name for p in ps} == {""}
    office, cyprus, syria = ("I. Office of the United Nations High Commissioner for Human Rights",
                             "II. Committee on Missing Persons in Cyprus",
                             "III. Independent Institution on Missing Persons in the Syrian Arab Republic")
    assert parts[(SECT24.name, "24.26")] == parts[(SECT24.name, "24.1")] == {office}
    assert parts[(SECT24.name, "24.38")] == {cyprus} and parts[(SECT24.name, "24.42")] == {syria}
    assert parts[(SECT24.name, "Annex III")] == {""}
    rows = dataset.select(
        "SELECT ?t ?part ?q ?why WHERE { ?ds dcterms:identifier ?t ; dpo:sectionPart ?part . "
        "?ev dpo:states ?st ; dpo:quote ?q . ?st rdf:subject ?ds ; rdf:predicate dpo:sectionPart ; dpo:reasoning ?why }")
    got = {str(t): (str(part), str(q)) for t, part, q, _why in rows}
    assert got["Table 24.42"] == (syria, syria) and got["Table 24.26"] == (office, office)
    assert not any(t.startswith("Table 16.") for t in got)
