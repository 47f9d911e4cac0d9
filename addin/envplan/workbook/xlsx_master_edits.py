"""The file door of `MasterEditSink`: edits applied to a master loaded with openpyxl.

`edit_master` is the whole safe write: the caller holds the `MasterLock` for
the run; the master is loaded, edited and saved once, atomically, with the
previous version kept as a timestamped backup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.table import Table, TableColumn
from openpyxl.worksheet.worksheet import Worksheet

from envplan.plan.model import Plan, Policy
from envplan.plan.years import wareki
from envplan.workbook import xlsx_style as st
from envplan.workbook.cells import col_letter
from envplan.workbook.changes import CellWrite, MasterEdits, RowAppend, apply_edits, rows_for_sheet
from envplan.workbook.layout import HEADER_ROW, NOTE_ROW, layout, text_column
from envplan.workbook.legacy_formats import retire_legacy_number_formats
from envplan.workbook.store import atomic_save, close_workbook
from envplan.workbook.xlsx_load import fast_merge_format, load_for_edit
from envplan.workbook.xlsx_results import OpenpyxlResultSink, links_by_row, write_body_row


class OpenpyxlMasterSink(OpenpyxlResultSink):
    def write_cells(self, writes: Sequence[CellWrite]) -> None:
        grown: set[tuple[str, int]] = set()
        for w in writes:
            ws = self.wb[w.sheet]
            cell = ws[w.ref]
            st.set_text(cell, w.value)
            if w.number_format:
                cell.number_format = w.number_format
            width = _text_column_width(ws, cell.column)
            if width is not None and st.wraps_in(w.value, width):
                st.wrap_text(cell)  # a department's long comment shows whole, as the writer shows one
                grown.add((w.sheet, cell.row))
        for sheet, row in sorted(grown):
            st.fit_row(self.wb[sheet], row)

    def append_rows(self, append: RowAppend) -> None:
        ws = self.wb[append.sheet]
        table = _table_of(ws)
        if table is not None:
            min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        else:
            min_col, min_row, max_col, max_row = 1, HEADER_ROW, ws.max_column, ws.max_row
        # The writer leaves one empty row in an empty table: fill it rather than skip it.
        last = max_row
        while last > min_row and all(ws.cell(last, c).value in (None, "") for c in range(min_col, max_col + 1)):
            last -= 1
        links = links_by_row(append.links)
        for i, values in enumerate(append.rows):
            write_body_row(ws, last + 1 + i, values, number_formats=append.number_formats, links=links.get(i, {}))
        new_last = max(max_row, last + len(append.rows))
        if table is not None:
            _set_ref(table, f"{col_letter(min_col)}{min_row}:{col_letter(max_col)}{new_last}")
        if ws.print_area:
            ws.print_area = f"A1:{col_letter(max_col)}{new_last}"

    def add_year_column(self, sheet: str, fy: int) -> None:
        ws = self.wb[sheet]
        last_col = max((c for c in range(1, ws.max_column + 1) if ws.cell(HEADER_ROW, c).value not in (None, "")), default=0)
        c = last_col + 1
        header = ws.cell(HEADER_ROW, c, f"{fy}年度")
        st.style_header(header)
        note = ws.cell(NOTE_ROW, c, wareki(fy))
        note.font = st.NOTE_FONT
        note.alignment = st.CENTER
        previous = ws.column_dimensions[col_letter(last_col)].width if last_col else 11
        ws.column_dimensions[col_letter(c)].width = previous or 11
        table = _table_of(ws)
        last_row = ws.max_row
        if table is not None:
            min_col, min_row, _max_col, last_row = range_boundaries(table.ref)
            table.tableColumns.append(TableColumn(id=max((tc.id for tc in table.tableColumns), default=0) + 1, name=f"{fy}年度"))
            _set_ref(table, f"{col_letter(min_col)}{min_row}:{col_letter(c)}{last_row}")
        for r in range(HEADER_ROW + 1, last_row + 1):
            cell = ws.cell(r, c)
            cell.font = st.BODY_FONT
            cell.number_format = st.INPUT_NUMBER_FORMAT
        if ws.print_area:
            ws.print_area = f"A1:{col_letter(c)}{last_row}"
        st.fit_print_width(ws)  # the new column may make fitting to the page's width illegible

    def append_log(self, key: str, rows: list[list[Any]], *, links: dict[tuple[int, int], str] | None = None, number_formats: dict[int, str] | None = None) -> None:
        """Rows for a log-like sheet of the layout (変更履歴), below its table, or the
        sheet made with them when it has no table yet (as `rows_for_sheet` decides)."""
        spec = layout()[key]
        ws = self.wb[spec.name] if spec.name in self.wb.sheetnames else None
        exists = ws is not None and ws.cell(HEADER_ROW, 1).value == spec.columns[0].header
        edit = rows_for_sheet(spec, rows, exists=exists, links=links, number_formats=number_formats)
        if isinstance(edit, RowAppend):
            self.append_rows(edit)
        else:
            self.write_table(edit)

    def rewrite_policy_form(self, plan: Plan, policy: Policy, sheet: str) -> None:
        from envplan.workbook.writer import write_policy_form

        index = self.wb.sheetnames.index(sheet) if sheet in self.wb.sheetnames else len(self.wb.sheetnames)
        title = None
        if sheet in self.wb.sheetnames:
            title = self.wb[sheet]["A1"].value  # staff's own title stays as they wrote it
            self.wb.remove(self.wb[sheet])
        ws = write_policy_form(self.wb, plan, policy)
        if isinstance(title, str) and title.strip():
            ws["A1"].value = title
        self.wb._sheets.remove(ws)  # keep the sheet where staff had it
        self.wb._sheets.insert(index, ws)


def _text_column_width(ws: Worksheet, column: int) -> float | None:
    """The width of the layout's text column at this place (see `layout.text_column`), else None."""
    if text_column(ws.title, column, ws.cell(HEADER_ROW, column).value) is None:
        return None
    return st.column_width(ws, column)


def _table_of(ws: Worksheet) -> Table | None:
    return next(iter(ws.tables.values()), None)


def _set_ref(table: Table, ref: str) -> None:
    table.ref = ref
    if table.autoFilter is not None:
        table.autoFilter.ref = ref


def edit_master(
    master: Path,
    edits: MasterEdits,
    *,
    policy_sheets: dict[str, str] | None = None,
    also: Callable[[OpenpyxlMasterSink], Any] | None = None,
    workbook: Workbook | None = None,
) -> Path | None:
    """Load (or take the `workbook` the caller loaded from `master` under the same lock), apply,
    save atomically (caller holds the lock). Returns the backup's path."""
    master = Path(master)
    wb = workbook if workbook is not None else load_for_edit(master)
    try:
        with fast_merge_format():  # the 評価票 writer merges its fields
            sink = OpenpyxlMasterSink(wb)
            apply_edits(edits, sink, policy_sheets)
            if also is not None:
                also(sink)
            if edits.plan is not None:
                from envplan.workbook.writer import refresh_plan_sheets

                refresh_plan_sheets(wb, edits.plan, policy_sheets)
        retire_legacy_number_formats(wb)
        return atomic_save(wb, master)
    finally:
        close_workbook(wb)


__all__ = ["OpenpyxlMasterSink", "edit_master"]
