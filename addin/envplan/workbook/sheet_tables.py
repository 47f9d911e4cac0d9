"""Finding a table in a sheet by its header row and reading its rows by column header."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from envplan.plan.diagnostics import DiagnosticList
from envplan.plan.local_words import layout_variants
from envplan.plan.years import YearError, parse_fy
from envplan.workbook.cells import Cell, cell_ref
from envplan.workbook.io import SheetGrid
from envplan.workbook.layout import SheetSpec

HEADER_SEARCH_ROWS = 10


def _norm(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip() if value is not None else ""


@dataclass
class TableRow:
    row: int
    cells: dict[str, Cell]
    years: dict[int, Cell] = field(default_factory=dict)

    sheet: str = ""

    def __getitem__(self, key: str) -> Cell:
        # An optional column the sheet does not have reads as a blank cell.
        return self.cells[key] if key in self.cells else Cell(self.sheet, self.row, 0, None)


@dataclass
class Table:
    sheet: str
    header_row: int
    columns: dict[str, int]  # key → column number
    year_columns: dict[int, int]  # fiscal year → column number
    rows: list[TableRow]

    def ref(self, row: int, key: str) -> str:
        return cell_ref(row, self.columns[key])


def read_table(grid: SheetGrid, spec: SheetSpec, diags: DiagnosticList) -> Table | None:
    """Rows of a table sheet as cells keyed by column key. Blank rows are skipped.
    Missing required columns are errors; the table is then None."""
    # A header in the municipality's words ({resident}, {response}) is found in any municipality's.
    wanted = {_norm(h): c for c in spec.columns for h in layout_variants(c.header)}
    first = spec.columns[0]
    header_row = None
    for r in range(1, min(grid.max_row, HEADER_SEARCH_ROWS) + 1):
        if any(_norm(grid.value(r, c)) == _norm(first.header) for c in range(1, grid.max_col + 1)):
            header_row = r
            break
    if header_row is None:
        diags.error("LAYOUT_MISSING_COLUMN", f"見出し「{first.header}」の行が見つかりません（{HEADER_SEARCH_ROWS}行目まで探しました）", grid.name, "A1")
        return None
    columns: dict[str, int] = {}
    year_columns: dict[int, int] = {}
    for c in range(1, grid.max_col + 1):
        text = _norm(grid.value(header_row, c))
        if not text:
            continue
        if text in wanted:
            columns.setdefault(wanted[text].key, c)
        elif spec.has_years:
            try:
                fy = parse_fy(text)
            except YearError:
                diags.error("LAYOUT_BAD_YEAR_COLUMN", f"列見出し「{text}」を年度として読めません（例: 2020年度）", grid.name, cell_ref(header_row, c), text)
                continue
            if fy in year_columns:
                diags.error("LAYOUT_BAD_YEAR_COLUMN", f"年度「{fy}年度」の列が2つあります", grid.name, cell_ref(header_row, c), text)
                continue
            year_columns[fy] = c
    missing = [c for c in spec.columns if c.key not in columns and c.type != "formula" and not c.optional]
    for col in missing:
        diags.error("LAYOUT_MISSING_COLUMN", f"列「{col.header}」が見つかりません。見出しの文字を元に戻してください", grid.name, cell_ref(header_row, 1))
    if missing:
        return None
    data_cols = list(columns.values()) + list(year_columns.values())
    rows: list[TableRow] = []
    for r in range(header_row + 1, grid.max_row + 1):
        input_cols = [columns[c.key] for c in spec.columns if c.type != "formula" and c.key in columns] + list(year_columns.values())
        if grid.row_is_blank(r, input_cols or data_cols):
            continue
        rows.append(
            TableRow(
                row=r,
                cells={key: grid.cell(r, c) for key, c in columns.items()},
                years={fy: grid.cell(r, c) for fy, c in year_columns.items()},
                sheet=grid.name,
            )
        )
    return Table(grid.name, header_row, columns, year_columns, rows)
