"""A mandate list's rows from where its characters stand on a page (sources/pdflist.py), on pages laid out as
LibreOffice prints the budget sections' lists: a symbol column one character a line or printed whole, two newspaper
columns, a row cut by the column's foot; and a table whose first column reads like symbols, which is not a list."""

from __future__ import annotations

from drugpolicy_kg.sources.extract import standard_spacing
from drugpolicy_kg.sources.pdflist import bands, continues

SIZE = 8.5
WIDTH = 4.3  # every character's width here
PITCH = 9.8  # a cell's next line
PAD = 14.0   # a row's first line after the row above


def text_at(text: str, x: float, top: float, font: str = "LiberationSerif") -> list[dict]:
    """The characters of ``text`` on one line from ``x``, a space as a character of its own (as pdfplumber gives)."""
    return [{"text": ch, "x0": x + i * WIDTH, "x1": x + (i + 1) * WIDTH, "top": top, "bottom": top + SIZE,
             "size": SIZE, "fontname": font} for i, ch in enumerate(text)]


def stacked(symbol: str, x: float, top: float) -> list[dict]:
    """A symbol printed one character a line."""
    return [c for i, ch in enumerate(symbol) for c in text_at(ch, x, top + i * PITCH)]


def read(chars: list[dict]) -> list:
    found, _ = bands(chars, 7, 50, 800)
    return [r for b in found for r in b.rows]


def test_a_stacked_column_in_two_newspaper_columns_gives_its_rows_and_joins_a_row_cut_by_the_column():
    chars = [*text_at("General Assembly resolutions", 60, 80, "LiberationSerif-Italic")]
    top = 100.0
    chars += stacked("S-20/2", 100, top) + text_at("Political Declaration", 112, top)
    top += 5 * PITCH + PAD
    chars += stacked("48/12", 100, top) + text_at("Measures to strengthen international", 112, top)
    chars += text_at("cooperation against drugs", 112, top + PITCH)
    top += 4 * PITCH + PAD
    chars += stacked("79", 100, top) + text_at("Combating intolerance,", 112, top)  # the column's foot
    chars += stacked("/180", 300, 100) + text_at("incitement to violence", 312, 100)  # the next column's head
    chars += stacked("79/186", 300, 100 + 3 * PITCH + PAD) + text_at("Follow-up to the Congress", 312,
                                                                     100 + 3 * PITCH + PAD)
    rows = read(chars)
    assert [(r.symbol, r.title) for r in rows] == [
        ("S-20/2", "Political Declaration"),
        ("48/12", "Measures to strengthen international cooperation against drugs"),
        ("79", "Combating intolerance,"), ("/180", "incitement to violence"), ("79/186", "Follow-up to the Congress")]
    assert [r.goes_on for r in rows] == [True, False, False, True, False]
    assert continues(rows[2], rows[3]) and not continues(rows[1], rows[2])
    rows[2].join(rows[3])
    assert (rows[2].symbol, rows[2].title) == ("79/180", "Combating intolerance, incitement to violence")


def test_a_symbol_printed_whole_and_wrapping_stays_with_its_row():
    chars, top = [], 100.0
    for symbol_lines, title_lines in ((["41/128"], ["Declaration on the right to development"]),
                                      (["12/2; 24/24;", "36/21"], ["Cooperation with the United Nations", "in the field"]),
                                      (["Decision", "56/116"], ["Enhancing the support capabilities"]),
                                      (["66/149"], ["World Down Syndrome Day"])):
        for i in range(max(len(symbol_lines), len(title_lines))):
            if i < len(symbol_lines):
                chars += text_at(symbol_lines[i], 60, top + i * PITCH)
            if i < len(title_lines):
                chars += text_at(title_lines[i], 150, top + i * PITCH)
        top += max(len(symbol_lines), len(title_lines)) * PITCH + PAD - PITCH
    assert [(r.symbol, r.title) for r in read(chars)] == [
        ("41/128", "Declaration on the right to development"),
        ("12/2; 24/24; 36/21", "Cooperation with the United Nations in the field"),
        ("Decision 56/116", "Enhancing the support capabilities"), ("66/149", "World Down Syndrome Day")]


def test_a_table_of_figures_by_period_is_not_a_list():
    chars = []
    for i, period in enumerate(("2022/23", "2023/24", "2024/25")):
        chars += text_at(period, 60, 100 + i * PAD) + text_at("12.5", 200, 100 + i * PAD) + text_at(
            "(1 277.6)", 260, 100 + i * PAD)
    assert bands(chars, 1, 50, 800) == ([], set())


def test_running_text_that_opens_with_a_symbol_is_not_a_list():
    chars = []
    for i in range(4):
        chars += text_at("79/234 on the strengthening of the Council and its work", 123, 100 + i * PITCH)
    assert read(chars) == []


def test_a_symbol_read_from_stacked_characters_is_read_in_its_standard_spacing():
    assert [standard_spacing(s) for s in ("Decision2022/316", "1946/9(I)", "2370(2017)", "415(V)", "34/180")] == [
        "Decision 2022/316", "1946/9 (I)", "2370 (2017)", "415 (V)", "34/180"]


def test_a_page_of_a_hundred_thousand_characters_is_read_in_linear_time():
    """4,000 rows down one page, stacked and printed whole (a hostile PDF: a real page holds a few thousand
    characters). Measured 0.7 s for each; the reader that looked for each line's nearest line among all of them, and
    for each row's lines among all the column's, took 36 s for the stacked one."""
    import time

    for layout in ("stacked", "whole"):
        chars, top = [], 60.0
        for i in range(4000):
            symbol = f"{i % 90 + 10}/{i % 9 + 1}"
            chars += (stacked(symbol, 100, top) if layout == "stacked" else text_at(symbol, 100, top)) + text_at(
                "Title of the instrument", 160, top)
            top += (len(symbol) - 1 if layout == "stacked" else 0) * PITCH + PAD
        started = time.monotonic()
        rows = [r for b in bands(chars, 1, 0, top + 100)[0] for r in b.rows]
        assert time.monotonic() - started < 20, layout
        assert len(rows) == 4000 and rows[-1].symbol == f"{3999 % 90 + 10}/{3999 % 9 + 1}", layout


def _titles_alone_page(second_head: str, last: str = "Integrated and Balanced Strategy to the",
                       heading: str = "Commission on Narcotic Drugs statements and declarations"):
    """A list with symbols, then (under ``heading``) titles alone in the same two columns, each opening where the
    symbols stand; the left column's foot is ``last`` and the right one's head is ``second_head``."""
    chars = [*text_at("Commission on Narcotic Drugs resolutions", 60, 80, "LiberationSerif-Bold")]
    chars += stacked("64/3", 100, 100) + text_at("Promoting scientific approaches", 112, 100)
    chars += stacked("67/4", 300, 100) + text_at("Preventing drug overdose", 312, 100)
    chars += text_at(heading, 60, 100 + 4 * PITCH + PAD, "LiberationSerif-Bold")
    top = 100 + 6 * PITCH + PAD
    chars += text_at("Political Declaration and Plan", 100, top) + text_at("Action", 100, top + PITCH)
    chars += text_at("Joint Ministerial Statement of the 2014", 100, top + PITCH + PAD)
    chars += text_at("high-level review by the Commission of an", 100, top + 2 * PITCH + PAD)  # the measure
    chars += text_at(last, 100, top + 3 * PITCH + PAD)
    chars += text_at(second_head, 300, top) + text_at("Drug Problem", 300, top + PITCH)
    chars += text_at("Ministerial Declaration of 2019", 300, top + PITCH + PAD)
    return chars


def test_titles_alone_under_a_list_heading_are_rows_and_a_title_cut_by_the_column_goes_on():
    """"Commission on Narcotic Drugs statements and declarations" (Sect. 16): declarations with no symbol, each title
    across the symbol's cell and the title's, in the lists' two columns. The right column's first line goes on with
    the left column's last where its first word would not have fitted there (the line broke as lines break)."""
    rows = read(_titles_alone_page("Counter the World"))
    assert [(r.symbol, r.title, r.spans) for r in rows[2:]] == [
        ("", "Political Declaration and Plan Action", True),
        ("", "Joint Ministerial Statement of the 2014 high-level review by the Commission of an Integrated and "
             "Balanced Strategy to the", True),
        ("", "Counter the World Drug Problem", True), ("", "Ministerial Declaration of 2019", True)]
    assert [r.goes_on for r in rows[2:]] == [False, False, True, False]
    assert continues(rows[3], rows[4])
    assert [(r.symbol, r.spans) for r in rows[:2]] == [("64/3", False), ("67/4", False)]


def test_a_title_alone_that_would_have_fitted_on_the_last_line_starts_a_row():
    rows = read(_titles_alone_page("Counter the World", last="Balanced Strategy"))
    assert [(r.title, r.goes_on) for r in rows[4:]] == [("Counter the World Drug Problem", False),
                                                        ("Ministerial Declaration of 2019", False)]


def test_lines_under_a_heading_that_names_no_list_are_left_to_the_page():
    """Under a heading that names no resolutions, decisions, statements or declarations, lines opening where the
    symbols stand are not a list (a table of policymaking organs, Sect. 24)."""
    rows = read(_titles_alone_page("Counter the World", heading="Policymaking organs"))
    assert [r.symbol for r in rows] == ["64/3", "67/4"]
