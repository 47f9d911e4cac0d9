"""Cells written the faster way (`fast_cell_write`) give the same file as openpyxl's own writer, byte for byte."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.formula import ArrayFormula

from envplan.workbook.xlsx_save import fast_cell_write


def _parts(wb: openpyxl.Workbook, *, fast: bool) -> dict[str, bytes]:
    buf = io.BytesIO()
    if fast:
        with fast_cell_write():
            wb.save(buf)
    else:
        wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # core.xml: the save's time


def _same_both_ways(make) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """Saving twice changes a workbook (openpyxl records outline levels), so each way saves its own."""
    theirs, ours = _parts(make(), fast=False), _parts(make(), fast=True)
    assert ours.keys() == theirs.keys()
    differing = [n for n in theirs if ours[n] != theirs[n]]
    assert not differing, differing
    return ours


def test_masters_and_templates_save_the_same(sample_masters, tmp_path):
    from envplan.survey.template_issue import issue_templates

    books: list[Path] = list(sample_masters.values())
    books += issue_templates(sample_masters["shinagawa"], tmp_path / "templates")[:3]
    for path in books:
        parts = _same_both_ways(lambda path=path: openpyxl.load_workbook(path))
        assert any(b"<row " in xml for xml in parts.values())


def test_every_kind_of_cell_saves_the_same():
    def make() -> openpyxl.Workbook:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "値 & <種類>"
        values = [
            "ふつうの文字", "  前後に空白  ", "   ", "", "改行\nあり", 'a<b & "c" > d', "\t字下げ",
            0, -3, 12345678901234567, 1.5, 1e-20, -0.0, float("nan"), float("inf"), True, False, None,
            dt.date(2024, 3, 31), dt.datetime(2024, 4, 1, 9, 30), dt.time(12, 0), dt.timedelta(days=2),
            "=SUM(A1:A3)", CellRichText("太字", TextBlock(InlineFont(b=True), "と普通")), "#N/A",
        ]
        for r, value in enumerate(values, 1):
            ws.cell(r, 1, value)
            ws.cell(r, 2, value).font = Font(bold=True)  # styled: an s= attribute
        ws["A30"].data_type = "e"
        ws["C1"] = ArrayFormula("C1:C2", "=A2:A3*2")
        ws["D1"].fill = PatternFill("solid", fgColor="FFEE00")  # styled and empty
        ws["D2"].hyperlink = "https://example.jp/?a=1&b=2"
        ws["D2"].value = "リンク"
        ws["D3"].hyperlink = "#'値 & <種類>'!A1"
        ws["D4"].comment = Comment("確認してください", "envplan")
        ws.merge_cells("E1:F3")
        ws.row_dimensions[5].height = 30
        ws.row_dimensions[6].hidden = True
        ws.row_dimensions[40].height = 12  # a row with nothing but its height
        ws.row_dimensions[7].outlineLevel = 1
        return wb

    parts = _same_both_ways(make)
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert b'xml:space="preserve"' in sheet and b"<f>" in sheet and b'<row r="40"' in sheet


cell_values = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 40), st.integers(1, 8), cell_values, st.booleans()), max_size=60))
def test_any_cells_save_the_same(cells):
    def make() -> openpyxl.Workbook:
        wb = openpyxl.Workbook()
        ws = wb.active
        for row, col, value, bold in cells:
            if isinstance(value, str) and value.startswith("="):
                value = " " + value  # a formula is another kind of cell, covered above
            cell = ws.cell(row, col, value)
            if bold:
                cell.font = Font(bold=True)
        return wb

    _same_both_ways(make)


def test_openpyxls_writer_is_back_after_the_save():
    from openpyxl.worksheet import _writer
    from openpyxl.writer.excel import ExcelWriter

    original, original_sheet = WorksheetWriter.write_row, ExcelWriter.write_worksheet
    temporary = list(_writer.ALL_TEMP_FILES)
    with fast_cell_write():
        with fast_cell_write():  # nested (or in another thread): still patched until the last one ends
            pass
        assert WorksheetWriter.write_row is not original or openpyxl.LXML
        openpyxl.Workbook().save(io.BytesIO())
        assert _writer.ALL_TEMP_FILES == temporary  # each sheet written in memory, no file of its own
    assert WorksheetWriter.write_row is original and ExcelWriter.write_worksheet is original_sheet


def test_a_file_listing_the_same_style_twice_saves_the_same(tmp_path):
    """A spreadsheet program may list one cell style twice in styles.xml (cells pointing at either
    copy): each style's index, found once per save, is the index openpyxl would give."""
    import re

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in range(1, 9):
        ws.cell(r, 1, r).number_format = "0.0"
        ws.cell(r, 2, f"文字{r}").font = openpyxl.styles.Font(bold=bool(r % 2))
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    twice = tmp_path / "twice.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(twice, "w") as out:
        styles = src.read("xl/styles.xml").decode()
        xfs = re.search(r"<cellXfs count=\"(\d+)\">(.*?)</cellXfs>", styles, re.S)
        assert xfs is not None
        items = re.findall(r"<xf .*?(?:/>|</xf>)", xfs.group(2), re.S)
        copies = len(items) - 1  # every style but the default listed a second time
        for name in src.namelist():
            data = src.read(name).decode()
            if name == "xl/styles.xml":
                data = data.replace(xfs.group(0), f'<cellXfs count="{len(items) + copies}">{"".join(items + items[1:])}</cellXfs>')
            elif name.startswith("xl/worksheets/"):
                # Odd rows point at the second copy of their style.
                data = re.sub(r'(<c r="[A-Z]+(\d+)" s=")(\d+)"', lambda m: f'{m.group(1)}{int(m.group(3)) + (copies if int(m.group(2)) % 2 and int(m.group(3)) else 0)}"', data)
            out.writestr(name, data)
    assert copies >= 2
    loaded = openpyxl.load_workbook(twice)
    assert len(loaded._cell_styles) > len(openpyxl.load_workbook(plain)._cell_styles)
    _same_both_ways(lambda: openpyxl.load_workbook(twice))
