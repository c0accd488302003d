"""A table's rows and cells from where its words stand on a page (sources/pdftable.py), on lines laid out as a
LibreOffice or Word print lays them: right-aligned figures, labels that wrap, a cell's padding between rows, a
justified cell across the table, a header printed again on the next page, item numbers out in the margin."""

from __future__ import annotations

from drugpolicy_kg.sources.pdftable import TableLine, Word, rows

SIZE = 9.0
FIGURE_COLS = (444, 479, 515, 550)  # right edges of the four figure columns


def line(top: float, label: str = "", figures=(), x: float = 123, page: int = 1, words=None) -> TableLine:
    out, at = [], x
    for w in label.split():
        out.append(Word(w, at, at + 3.6 * len(w)))
        at += 3.6 * len(w) + 2.5
    for right, f in zip(FIGURE_COLS, figures, strict=False):
        if f:
            out.append(Word(f, right - 3.6 * len(f), right))
    return TableLine(words or out, top, SIZE, page)


HEADER = [line(170, "", ("2024", "2024", "2025", "2026")),
          line(178, "Category and subcategory", ("planned", "actual", "planned", "planned"))]


def test_figures_go_to_their_columns_and_a_wrapped_label_stays_in_its_row():
    got = rows([*HEADER,
                line(198, "A. Facilitation of the intergovernmental process"),
                line(212, "Substantive services for meetings", ("3", "–", "3", "12")),
                line(226, "1. The Commission on Narcotic Drugs and its", ("1", "1", "", "1")),
                line(236, "subsidiary bodies")])
    assert [r.cells for r in got] == [
        ["Category and subcategory", "2024 planned", "2024 actual", "2025 planned", "2026 planned"],
        ["A. Facilitation of the intergovernmental process", "", "", "", ""],
        ["Substantive services for meetings", "3", "–", "3", "12"],
        ["1. The Commission on Narcotic Drugs and its subsidiary bodies", "1", "1", "", "1"]]


def test_two_lines_of_figures_are_two_rows_even_without_padding():
    got = rows([*HEADER, line(188, "Publications", ("3", "4", "5", "3")), line(198, "Technical materials",
                                                                                  ("21", "17", "22", "19"))])
    assert [r.cells[0] for r in got[1:]] == ["Publications", "Technical materials"]


def test_a_justified_cell_across_the_table_is_one_cell_spanning_it():
    text = "Consultation, advice and advocacy: advisory services in the fields of drug control".split()
    space = (550 - 123 - 4 * sum(map(len, text))) / (len(text) - 1)  # stretched spaces, each alike, to the right edge
    words, at = [], 123.0
    for w in text:
        words.append(Word(w, at, at + 4 * len(w)))
        at += 4 * len(w) + space
    got = rows([*HEADER, line(198, "Publications", ("3", "4", "5", "3")), TableLine(words, 212, SIZE, 1)])
    assert got[-1].cells == ["Consultation, advice and advocacy: advisory services in the fields of drug control"]
    assert got[-1].spans == [5]


def test_a_header_printed_again_on_the_next_page_is_read_once_and_a_cut_label_is_joined():
    got = rows([*HEADER, line(700, "5. Training events on effective participation of", ("30", "36", "20", "35")),
                *[TableLine(h.words, h.top, SIZE, 2) for h in HEADER],
                line(198, "civil society organizations", page=2),
                line(212, "Publications", ("3", "4", "5", "3"), page=2)])
    assert [r.cells[0] for r in got] == ["Category and subcategory",
                                         "5. Training events on effective participation of civil society organizations",
                                         "Publications"]
    assert [r.page for r in got] == [1, 1, 2]


def test_item_numbers_out_in_the_margin_stay_with_their_labels():
    got = rows([*HEADER, line(198, "1. The Fifth Committee", ("1", "1", "1", "1")),
                line(212, "2.", x=74, words=[Word("2.", 74, 81), Word("The", 89, 104), Word("Advisory", 106, 146),
                                             Word("Committee", 148, 193), Word("1", 440, 444), Word("1", 475, 479),
                                             Word("1", 510, 515), Word("1", 546, 550)]),
                line(226, "3. The Committee for Programme", ("1", "1", "1", "1"))])
    assert [r.cells[0] for r in got[1:]] == ["1. The Fifth Committee", "2. The Advisory Committee",
                                             "3. The Committee for Programme"]
    assert all(len(r.cells) == 5 for r in got)


def test_a_column_printed_one_character_a_line_is_refused_not_guessed():
    stacked = [TableLine([Word(ch, 123, 128), Word("Political", 134, 165)] if i == 0 else [Word(ch, 123, 128)],
                         700 + 10 * i, SIZE, 1) for i, ch in enumerate("S-20/2")]
    assert rows(stacked) is None


def test_lines_of_one_cell_each_make_no_grid():
    assert rows([line(100, "Only words"), line(110, "and more words")]) is None


def test_a_raised_note_mark_is_kept_with_where_it_stands():
    got = rows([*HEADER, line(198, "Posts", words=[Word("Posts", 123, 145), Word("641a", 425, 444, [(3, 4)]),
                                                   Word("1", 475, 479), Word("2", 510, 515), Word("3", 546, 550)])])
    assert got[-1].cells[1] == "641a" and got[-1].raised[1] == [(3, 4)]


def test_a_heading_with_a_rule_under_it_spans_the_columns_the_rule_spans():
    """"Changes" printed once over five columns, a short rule under it from the first to the last: one cell spanning
    them, as Word's gridSpan says; headings standing unevenly over their columns are not one justified cell."""
    tops = (440, 479, 515, 550)
    heads = ["Technical", "New", "Other", "Total"]
    changes = TableLine([Word("Changes", 480, 510)], 170, SIZE, 1, rules=[(420, 552)])
    names = TableLine([Word("Category", 123, 160)] + [Word(h, right - 3.6 * len(h), right) for right, h in
                                                      zip(tops, heads, strict=True)], 186, SIZE, 1)
    got = rows([changes, names, line(206, "Posts", ("1 113.6", "–", "(17.5)", "1 096.1"))])
    assert [(r.cells, r.spans) for r in got] == [
        (["", "Changes"], [1, 4]),
        (["Category", "Technical", "New", "Other", "Total"], []),
        (["Posts", "1 113.6", "–", "(17.5)", "1 096.1"], [])]


def test_a_raised_mark_in_a_spanning_cell_keeps_its_place():
    """A heading spanning columns from its second one, with a note's mark raised ("Changesa"): the mark stands where
    it is printed in the cell's text."""
    changes = TableLine([Word("Changesa", 480, 514, [(7, 8)])], 170, SIZE, 1, rules=[(420, 552)])
    got = rows([changes, line(186, "Posts", ("1 113.6", "–", "(17.5)", "1 096.1"))])
    cell = got[0].cells[1]
    assert cell == "Changesa" and got[0].raised[1] == [(7, 8)] and cell[7:8] == "a"


def test_a_header_line_of_one_word_a_column_is_read_over_its_columns_however_evenly_it_stands():
    """LibreOffice's print of Sect. 24, Table 24.18: "2024 2024 2025 2026" above "planned actual planne planned",
    each word right-aligned over its figures, and "d" (the rest of "planned") on the line below. The second line's
    spaces are nearly alike, as a justified cell's are, and it was read as one cell across the table: the table's
    columns had no year and status, and all its figures were refused. One word over each figure column is a header."""
    def header_line(top, texts, widths):
        return TableLine([Word(t, right - w, right) for t, right, w in zip(texts, FIGURE_COLS, widths, strict=True)],
                         top, 7.0, 1)

    lines = [header_line(160, ("2024", "2024", "2025", "2026"), (15, 15, 15, 15)),
             header_line(168, ("planned", "actual", "planne", "planned"), (25, 19, 21, 24)),
             TableLine([Word("Category", 123, 151), Word("and", 153, 164), Word("subcategory", 167, 204),
                        Word("d", 511, 515)], 176, 7.0, 1),
             line(198, "Publications", ("3", "4", "5", "3"))]
    got = rows(lines)
    assert got[0].cells == ["Category and subcategory", "2024 planned", "2024 actual", "2025 planne d", "2026 planned"]
    assert got[1].cells == ["Publications", "3", "4", "5", "3"]
