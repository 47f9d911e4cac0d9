"""The faster load for editing gives the same workbook as openpyxl's own load, cell for cell."""

from __future__ import annotations

import io
import zipfile

import openpyxl
from openpyxl.styles import Border, Side

from envplan.workbook.xlsx_load import load_for_edit


def _styles(wb: openpyxl.Workbook) -> dict[tuple[str, int, int], tuple[object, ...]]:
    out = {}
    for ws in wb.worksheets:
        for (row, col), cell in ws._cells.items():
            out[(ws.title, row, col)] = (type(cell).__name__, cell.value, repr(cell.border), repr(cell.font), repr(cell.fill), cell.number_format)
    return out


def _saved_sheets(wb: openpyxl.Workbook) -> dict[str, bytes]:
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/") or n == "xl/styles.xml"}


def test_load_for_edit_is_openpyxls_load(sample_masters, tmp_path):
    # The sample master's 評価票 sheets are full of bordered merged ranges; add awkward ones too:
    # a merge whose top-left cell has a side without a style, and one over cells with their own borders.
    src = openpyxl.load_workbook(sample_masters["all"])
    ws = src.worksheets[0]
    thick, thin = Side(style="thick", color="FF0000"), Side(style="thin")
    ws["H2"].border = Border(top=thick, left=Side(), bottom=thin)
    ws["I3"].border = Border(right=thin)
    ws.merge_cells("H2:J4")
    ws["H8"].border = Border(left=thin, right=thick)
    ws.merge_cells("H8:H12")
    path = tmp_path / "m.xlsx"
    src.save(path)
    merges = sum(len(w.merged_cells.ranges) for w in openpyxl.load_workbook(path).worksheets)
    assert merges > 50
    ours, theirs = load_for_edit(path), openpyxl.load_workbook(path)
    assert _styles(ours) == _styles(theirs)
    assert _saved_sheets(ours) == _saved_sheets(theirs)
    # The library's own method is back in place after the load.
    from openpyxl.worksheet.merge import MergedCellRange

    assert MergedCellRange.format.__module__ == "openpyxl.worksheet.merge"
