"""The workbook interface on a book open in Excel (xlwings `Book`).

`LiveBookSource` reads each sheet with one bulk read (its used range from A1);
`LiveBookSink` writes a result table as one block of values, so the core runs
unchanged on a live book. Only what the result needs is formatted, and only
on sheets we create: a sheet the user already has keeps its formatting
(widths, fonts, colours outside the cells we mark).

Hyperlinks to cells are written as HYPERLINK formulas inside that one block;
text that Excel would turn into a number, date or formula is written with
Excel's text prefix ('), so what the core wrote is what the cell shows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from envplan.workbook import xlsx_style as st
from envplan.workbook.cells import col_letter
from envplan.workbook.io import CellMark, ResultTable, SheetGrid

NOTE_PREFIX = "【envplan】"
HEADER_ROW = 3  # as in xlsx_results: title, note, header, then data


def _hex(fill: Any) -> str:
    return "#" + str(fill.fgColor.rgb)[-6:]


HEADER_COLOR = _hex(st.HEADER_FILL)
MARK_COLORS = {"error": _hex(st.ERROR_FILL), "warning": _hex(st.WARNING_FILL), "ok": _hex(st.OK_FILL)}

# Text Excel would read as something else when assigned: numbers (also full-width),
# dates, times, percentages, booleans, formulas.
_COERCIBLE = re.compile(r"^\s*([=+\-@]|[(]?[$¥￥]?\s*[0-9.]|(true|false)\s*$)", re.IGNORECASE)


def excel_text(value: Any) -> Any:
    """The value to assign so that Excel keeps a text as text."""
    if isinstance(value, str) and value and _COERCIBLE.match(unicodedata.normalize("NFKC", value)):
        return "'" + value
    return value


def hyperlink_formula(target: str, text: Any) -> str:
    shown = "" if text is None else str(text)
    return f'=HYPERLINK("#{target.replace(chr(34), chr(34) * 2)}","{shown.replace(chr(34), chr(34) * 2)}")'


class LiveBookSource:
    """Values of an open book, one bulk read per sheet (cached for the run)."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.label = book.name
        self._cache: dict[str, SheetGrid] = {}

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def grid(self, sheet: str) -> SheetGrid:
        if sheet not in self._cache:
            ws = self.book.sheets[sheet]
            last = ws.used_range.last_cell
            values = ws.range((1, 1), (last.row, last.column)).options(ndim=2).value
            self._cache[sheet] = SheetGrid(sheet, [list(row) for row in values])
        return self._cache[sheet]


def table_block(table: ResultTable) -> list[list[Any]]:
    """The whole result sheet as one rectangular block of values from A1."""
    width = max(len(table.header), 1)

    def row(values: Sequence[Any]) -> list[Any]:
        return [excel_text(v) for v in values] + [None] * (width - len(values))

    block = [row([table.title]), row([table.note]), row(table.header)]
    for i, values in enumerate(table.rows):
        cells = row(values)
        for (ri, ci), target in table.links.items():
            if ri == i and ci < width:
                cells[ci] = hyperlink_formula(target, values[ci] if ci < len(values) else "")
        block.append(cells)
    return block


def _runs(rows: dict[int, str]) -> list[tuple[int, int, str]]:
    """Consecutive row indexes with the same style: (first, last, style)."""
    runs: list[tuple[int, int, str]] = []
    for i in sorted(rows):
        if runs and runs[-1][1] == i - 1 and runs[-1][2] == rows[i]:
            runs[-1] = (runs[-1][0], i, rows[i])
        else:
            runs.append((i, i, rows[i]))
    return runs


class LiveBookSink:
    """Result tables and cell marks written into an open book."""

    def __init__(self, book: Any) -> None:
        self.book = book

    def _sheet(self, name: str) -> tuple[Any, bool]:
        names = [s.name for s in self.book.sheets]
        if name in names:
            return self.book.sheets[name], False
        return self.book.sheets.add(name, after=self.book.sheets[len(names) - 1]), True

    def write_table(self, table: ResultTable) -> None:
        ws, created = self._sheet(table.sheet)
        block = table_block(table)
        width = len(block[0])
        last_row = len(block)
        if not created:
            old = ws.used_range.last_cell
            ws.range((1, 1), (max(old.row, 1), max(old.column, 1))).clear_contents()
            if old.row > HEADER_ROW:
                # Our own row colouring from a previous run; other formatting stays.
                ws.range((HEADER_ROW + 1, 1), (old.row, 1)).color = None
        ws.range((1, 1), (last_row, width)).value = block
        for col, fmt in table.number_formats.items():
            if col < width and table.rows:
                if fmt != st.BY_VALUE:
                    ws.range((HEADER_ROW + 1, col + 1), (last_row, col + 1)).number_format = fmt
                    continue
                # Each cell its value's own format: set run by run of the same format (a call per run).
                shown = {i: st.shown_format(fmt, row[col] if col < len(row) else None) for i, row in enumerate(table.rows)}
                for first, last, cell_format in _runs(shown):
                    ws.range((HEADER_ROW + 1 + first, col + 1), (HEADER_ROW + 1 + last, col + 1)).number_format = cell_format
        for first, last, style in _runs(table.row_styles):
            if style in MARK_COLORS:
                ws.range((HEADER_ROW + 1 + first, 1), (HEADER_ROW + 1 + last, 1)).color = MARK_COLORS[style]
        if table.printed_columns:  # as the file door prints it: the columns to the last printed one
            ws.page_setup.print_area = f"$A$1:${col_letter(table.printed_columns)}${max(last_row, HEADER_ROW + 1)}"
        table_range = ws.range((HEADER_ROW, 1), (max(last_row, HEADER_ROW + 1), width))
        existing = [t for t in ws.tables if t.range is not None and t.range.row == HEADER_ROW and t.range.column == 1]
        if existing:
            existing[0].resize(table_range)
        elif table.header:
            ws.tables.add(source=table_range, name=None, table_style_name=st.TABLE_STYLE.name)
        if created:
            ws["A1"].font.bold = True
            ws["A1"].font.size = 14
            header = ws.range((HEADER_ROW, 1), (HEADER_ROW, width))
            header.color = HEADER_COLOR
            header.font.bold = True
            header.font.color = "#FFFFFF"
            for c, w in enumerate(table.widths[:width], 1):
                ws.range(f"{col_letter(c)}:{col_letter(c)}").column_width = w
            if table.hidden:
                _hide(ws)

    def refresh_guide(self, plan: Any) -> None:
        """使い方's title and plan summary (name, period, current year) written from the
        plan, as the file door writes them: only those cells, found by their labels in
        column A, so the rest of the sheet stays as staff left it."""
        from envplan.workbook.guide_text import GUIDE_SUMMARY_ROWS, guide_summary, guide_title
        from envplan.workbook.layout import layout

        name = layout()["guide"].name
        if name not in [s.name for s in self.book.sheets]:
            return
        ws = self.book.sheets[name]
        grid = LiveBookSource(self.book).grid(name)
        cells = [((1, 1), guide_title(plan))]
        rows: dict[str, int] = {}
        for r in range(1, min(grid.max_row, GUIDE_SUMMARY_ROWS) + 1):
            rows.setdefault(str(grid.value(r, 1) or "").strip(), r)
        cells += [((rows[label], 2), value) for label, value in guide_summary(plan) if label in rows]
        for (r, c), value in cells:
            if grid.value(r, c) != value:  # a cell already right is left alone (the book stays unchanged)
                ws.range((r, c)).value = excel_text(value)

    def mark_cells(self, marks: Sequence[CellMark]) -> None:
        """Colour each cell and add a note with the message, unless the cell
        already has a note (the user's notes are never overwritten)."""
        names = {s.name for s in self.book.sheets}
        for m in marks:
            if m.sheet not in names or not m.cell:
                continue
            rng = self.book.sheets[m.sheet].range(m.cell)
            rng.color = MARK_COLORS.get(m.severity, MARK_COLORS["error"])
            if rng.note is None:
                rng.add_note(NOTE_PREFIX + m.message)

    def unmark_cells(self, cells: Sequence[tuple[str, str]]) -> None:
        """Undo `mark_cells` of an earlier run on these cells: clear the colour and
        remove our note (recognised by its prefix where the engine can read it)."""
        names = {s.name for s in self.book.sheets}
        for sheet, cell in cells:
            if sheet not in names or not cell:
                continue
            rng = self.book.sheets[sheet].range(cell)
            rng.color = None
            note = rng.note
            if note is not None and _is_our_note(note):
                note.delete()


def _hide(ws: Any) -> None:
    """Very hidden on desktop Excel (COM: xlSheetVeryHidden = 2); hidden where the
    engine offers only a bool (xlwings Server / Office.js)."""
    try:
        ws.api.Visible = 2
    except Exception:  # not a COM sheet
        ws.visible = False


def _is_our_note(note: Any) -> bool:
    try:
        return str(note.text).startswith(NOTE_PREFIX)
    except NotImplementedError:  # engines that cannot read note text synchronously
        return False


def unsaved_changes(book: Any) -> bool:
    """True when the book has changes not saved to its file. Windows Excel
    (COM `Saved`) and macOS Excel (`saved`) say so; a remote client may send
    `book.saved`; an engine that cannot tell counts as saved."""
    api = book.api
    if isinstance(api, dict):
        return api.get("book", {}).get("saved") is False
    saved = getattr(api, "Saved", None)
    if saved is None:
        try:
            saved = api.saved.get()
        except Exception:  # noqa: BLE001 — no way to ask this engine
            return False
    return not bool(saved)


def _row_runs(writes: Sequence[Any]) -> list[list[Any]]:
    """Writes of one sheet grouped into runs of adjacent cells in a row, so each
    run is one assignment (accepted values of a year sit side by side)."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    cells = []
    for w in writes:
        letters, row = coordinate_from_string(w.ref)
        cells.append((row, column_index_from_string(letters), w))
    cells.sort(key=lambda t: (t[0], t[1]))
    runs: list[list[Any]] = []
    for row, col, w in cells:
        if runs and runs[-1][-1][0] == row and runs[-1][-1][1] == col - 1 and not w.number_format and not runs[-1][-1][2].number_format:
            runs[-1].append((row, col, w))
        else:
            runs.append([(row, col, w)])
    return runs


def _wrap_long_texts(ws: Any, cells: list[tuple[int, int, Any]]) -> None:
    """A text wider than its layout text column wraps, and Excel fits its row's height to it
    (the file door writes one so too: whole on screen and on paper)."""
    from envplan.workbook.layout import text_column

    texts = [(row, col, value) for row, col, value in cells if isinstance(value, str)]
    if not texts:
        return
    width = max([ws.used_range.last_cell.column] + [col for _, col, _ in texts])
    header = ws.range((HEADER_ROW, 1), (HEADER_ROW, width)).value
    header = header if isinstance(header, list) else [header]
    rows = set()
    for row, col, value in texts:
        spec = text_column(ws.name, col, header[col - 1])
        if spec is not None and st.wraps_in(value, spec.width):
            ws.range((row, col)).wrap_text = True
            rows.add(row)
    for row in sorted(rows):  # Excel's own fit over the row's cells (the file door estimates it)
        ws.range((row, 1), (row, width)).rows.autofit()


class LiveMasterSink(LiveBookSink):
    """The live door of `master_changes.MasterEditSink`: consolidation's edits
    applied to the open book (the file under Excel is never written)."""

    def write_cells(self, writes: Sequence[Any]) -> None:
        by_sheet: dict[str, list[Any]] = {}
        for w in writes:
            by_sheet.setdefault(w.sheet, []).append(w)
        for sheet, items in by_sheet.items():
            ws = self.book.sheets[sheet]
            runs = _row_runs(items)
            for run in runs:
                row, col, first = run[0]
                rng = ws.range((row, col), (row, col + len(run) - 1))
                rng.value = [[excel_text(w.value) for _, _, w in run]]
                if first.number_format:
                    rng.number_format = first.number_format
            _wrap_long_texts(ws, [(row, col, w.value) for run in runs for row, col, w in run])

    def _table_bounds(self, ws: Any) -> tuple[Any, int, int, int]:
        tables = list(ws.tables)
        if tables and tables[0].range is not None:
            rng = tables[0].range
            return tables[0], rng.row, rng.column + rng.shape[1] - 1, rng.row + rng.shape[0] - 1
        last = ws.used_range.last_cell
        return None, HEADER_ROW, last.column, last.row

    def append_rows(self, append: Any) -> None:
        ws = self.book.sheets[append.sheet]
        table, top, last_col, last_row = self._table_bounds(ws)
        grid = LiveBookSource(self.book).grid(append.sheet)
        # An empty table keeps one blank row: fill it rather than skip it.
        last = last_row
        while last > top and grid.row_is_blank(last, range(1, last_col + 1)):
            last -= 1
        width = max([last_col] + [len(r) for r in append.rows])
        block = []
        for i, values in enumerate(append.rows):
            cells = [excel_text(v) for v in values] + [None] * (width - len(values))
            for (ri, ci), target in append.links.items():
                if ri == i and ci < width:
                    cells[ci] = hyperlink_formula(target, values[ci] if ci < len(values) else "")
            block.append(cells)
        if not block:
            return
        start = last + 1
        ws.range((start, 1), (start + len(block) - 1, width)).value = block
        for col, fmt in append.number_formats.items():
            ws.range((start, col + 1), (start + len(block) - 1, col + 1)).number_format = fmt
        if table is not None:
            table.resize(ws.range((top, 1), (max(last_row, start + len(block) - 1), width)))
        _wrap_long_texts(ws, [(start + i, c + 1, v) for i, values in enumerate(append.rows) for c, v in enumerate(values)])

    def add_year_column(self, sheet: str, fy: int) -> None:
        from envplan.plan.years import wareki
        from envplan.workbook.layout import NOTE_ROW

        ws = self.book.sheets[sheet]
        table, top, last_col, last_row = self._table_bounds(ws)
        grid = LiveBookSource(self.book).grid(sheet)
        filled = [c for c in range(1, grid.max_col + 1) if grid.value(HEADER_ROW, c) not in (None, "")]
        col = (max(filled) if filled else 0) + 1
        ws.range((NOTE_ROW, col), (HEADER_ROW, col)).value = [[wareki(fy)], [f"{fy}年度"]]
        ws.range((HEADER_ROW + 1, col), (max(last_row, HEADER_ROW + 1), col)).number_format = st.INPUT_NUMBER_FORMAT
        if table is not None:
            table.resize(ws.range((top, 1), (last_row, max(col, last_col))))

    def rewrite_policy_form(self, plan: Any, policy: Any, sheet: str) -> None:
        """The evaluation sheet's values, laid out by the same writer as the file
        door, written as one block; the open sheet keeps its formatting."""
        import openpyxl

        from envplan.workbook.writer import write_policy_form

        wb = openpyxl.Workbook()
        form = write_policy_form(wb, plan, policy)
        block = [[excel_text(c.value) for c in row] for row in form.iter_rows(min_row=1, max_row=form.max_row, max_col=form.max_column)]
        ws, created = self._sheet(sheet)
        if not created:
            old = ws.used_range.last_cell
            ws.range((1, 1), (max(old.row, 1), max(old.column, 1))).clear_contents()
        ws.range((1, 1), (len(block), len(block[0]))).value = block
