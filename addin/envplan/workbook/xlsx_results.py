"""Writing result sheets into a master file with openpyxl (the file door of
`ResultSink`); `update_master` wraps a change in lock + atomic save."""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from envplan.workbook import xlsx_style as st
from envplan.workbook.cells import col_letter
from envplan.workbook.io import CellMark, ResultTable
from envplan.workbook.legacy_formats import retire_legacy_number_formats
from envplan.workbook.store import MasterBusyError, MasterLock, atomic_save, close_workbook, master_version
from envplan.workbook.xlsx_load import load_for_edit

ROW_FILLS = {"error": st.ERROR_FILL, "warning": st.WARNING_FILL, "ok": st.OK_FILL}
COMMENT_AUTHOR = "envplan"


class OpenpyxlResultSink:
    def __init__(self, workbook: Workbook) -> None:
        self.wb = workbook

    def write_table(self, table: ResultTable) -> None:
        """Replace the sheet's content (keeping its position) with the table."""
        if table.sheet in self.wb.sheetnames:
            old = self.wb[table.sheet]
            index = self.wb.sheetnames.index(table.sheet)
            self.wb.remove(old)
            ws = self.wb.create_sheet(table.sheet, index)
        else:
            ws = self.wb.create_sheet(table.sheet)
        st.write_title(ws, table.title, table.note)
        header_row = 3
        for c, text in enumerate(table.header, 1):
            st.style_header(ws.cell(header_row, c, text))
            if c <= len(table.widths):
                ws.column_dimensions[col_letter(c)].width = table.widths[c - 1]
        links = links_by_row(table.links)
        for i, row in enumerate(table.rows):
            write_body_row(ws, header_row + 1 + i, row, number_formats=table.number_formats, links=links.get(i, {}), fill=ROW_FILLS.get(table.row_styles.get(i, "")))
        last = header_row + max(1, len(table.rows))
        for ci, fills in table.text_fills.items():
            col = col_letter(ci + 1)
            for text, colour in fills.items():
                rule = CellIsRule(operator="equal", formula=[_excel_text(text)], fill=PatternFill("solid", fgColor=colour, bgColor=colour))
                ws.conditional_formatting.add(f"{col}{header_row + 1}:{col}{last}", rule)
        if table.header:
            st.add_table(ws, f"tbl_r{zlib.crc32(table.sheet.encode())}", f"A{header_row}:{col_letter(len(table.header))}{last}")
        ws.freeze_panes = ws.cell(header_row + 1, 1)
        if table.printed_columns:
            ws.print_area = f"A1:{col_letter(table.printed_columns)}{last}"
        st.a4(ws, landscape=True)
        if table.hidden:
            ws.sheet_state = "veryHidden"

    def mark_cells(self, marks: Sequence[CellMark]) -> None:
        for m in marks:
            if m.sheet not in self.wb.sheetnames or not m.cell:
                continue
            ws = self.wb[m.sheet]
            cell = ws[m.cell]
            if isinstance(cell, MergedCell):  # a hidden cell of a merged range: mark the range's first cell
                merged = next((r for r in ws.merged_cells.ranges if m.cell in r), None)
                if merged is None:
                    continue
                cell = ws.cell(merged.min_row, merged.min_col)
            cell.fill = ROW_FILLS.get(m.severity, st.ERROR_FILL)
            cell.comment = Comment(m.message, COMMENT_AUTHOR, width=320, height=120)


def _excel_text(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def write_body_row(ws: Worksheet, r: int, values: Sequence[Any], *, number_formats: dict[int, str], links: dict[int, str], fill: PatternFill | None = None) -> None:
    """Row `r` of a table: the values in the body font, a long text wrapped in a row tall enough
    for it, the columns' number formats (column index → format), links to places in the book
    (column index → "'Sheet'!A1", as Excel writes them) and the row's fill on its first cell."""
    cells = []
    for c, value in enumerate(values, 1):
        cell = ws.cell(r, c)
        cells.append(cell)
        st.set_text(cell, value)
        st.styled(cell, font=st.BODY_FONT, fill=fill if c == 1 else None, alignment=st.WRAP if st.wraps_in(value, st.column_width(ws, c)) else None)
        if c - 1 in number_formats:
            cell.number_format = st.shown_format(number_formats[c - 1], value)
    for ci, target in links.items():
        st.internal_link(ws.cell(r, ci + 1), target)
    st.fit_wrapped_row(ws, cells)


def links_by_row(links: dict[tuple[int, int], str]) -> dict[int, dict[int, str]]:
    """(row index, column index) → target, grouped by row."""
    rows: dict[int, dict[int, str]] = {}
    for (ri, ci), target in links.items():
        rows.setdefault(ri, {})[ci] = target
    return rows


@contextmanager
def update_master(path: str | Path, *, wait_seconds: float = 0.0, expected_version: tuple[int, int, int] | None = None) -> Iterator[OpenpyxlResultSink]:
    """Open the master for writing results; saved atomically (with a backup) on success.
    With `expected_version` (from `master_version` when the results' input was read),
    refuses if another run replaced the master since: results never land on data they were not computed from."""
    path = Path(path)
    with MasterLock(path, wait_seconds=wait_seconds):
        if expected_version is not None and master_version(path) != expected_version:
            raise MasterBusyError(f"{path.name} は読み込んだ後に別の処理（取込など）で更新されました。結果は書き込んでいません。もう一度実行してください")
        wb = load_for_edit(path)
        try:
            yield OpenpyxlResultSink(wb)
            retire_legacy_number_formats(wb)
            atomic_save(wb, path)
        finally:
            close_workbook(wb)
