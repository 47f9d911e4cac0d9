"""The one small interface through which the core reads and writes workbooks.

Two implementations: files (python-calamine to read fast, openpyxl to write)
and a live workbook open in Excel (xlwings `Book`, in `live_workbook.py`).
The core sees only `WorkbookSource` (values by sheet) and `ResultSink`
(result tables written as whole ranges).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from envplan.workbook.cells import Cell, is_blank


@dataclass
class SheetGrid:
    """The values of one sheet, rows[0] being row 1 and rows[r][0] column A."""

    name: str
    rows: list[list[Any]]

    def value(self, row: int, col: int) -> Any:
        if 1 <= row <= len(self.rows):
            r = self.rows[row - 1]
            if 1 <= col <= len(r):
                v = r[col - 1]
                return None if v == "" else v
        return None

    def cell(self, row: int, col: int) -> Cell:
        return Cell(self.name, row, col, self.value(row, col))

    @property
    def max_row(self) -> int:
        return len(self.rows)

    @property
    def max_col(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def row_is_blank(self, row: int, cols: Sequence[int] | None = None) -> bool:
        cols = cols if cols is not None else range(1, self.max_col + 1)
        return all(is_blank(self.value(row, c)) for c in cols)


class WorkbookSource(Protocol):
    label: str  # file name or book name, for messages

    def sheet_names(self) -> list[str]: ...

    def grid(self, sheet: str) -> SheetGrid: ...


@dataclass
class CellMark:
    """A cell to draw attention to (highlight and comment)."""

    sheet: str
    cell: str
    message: str
    severity: str = "error"


@dataclass
class ResultTable:
    """A result sheet: title, header and rows, written as one block from A1."""

    sheet: str
    title: str
    header: list[str]
    rows: list[list[Any]]
    note: str = ""
    widths: list[float] = field(default_factory=list)
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # (row index, col index) → "Sheet!A1"
    number_formats: dict[int, str] = field(default_factory=dict)  # col index → format
    row_styles: dict[int, str] = field(default_factory=dict)  # row index → style name (error, warning, ok, ...)
    # col index → {cell text → fill colour "RRGGBB"}: conditional formatting, so a
    # colour follows the text if staff edit or sort; the text itself carries the meaning.
    text_fills: dict[int, dict[str, str]] = field(default_factory=dict)
    # A record envplan keeps for itself (確定値の記録): very hidden where the door
    # can do it, so that it is not offered by Excel's 再表示 and nobody edits it by accident.
    hidden: bool = False
    # The columns printed, from the first (None: all); those after it are for checking on screen.
    printed_columns: int | None = None


class ResultSink(Protocol):
    def write_table(self, table: ResultTable) -> None: ...

    def mark_cells(self, marks: Sequence[CellMark]) -> None: ...


class CalamineSource:
    """Reads a workbook file fast, values only (cached results for formulas)."""

    def __init__(self, path: str | Path) -> None:
        import python_calamine

        self.path = Path(path)
        self.label = self.path.name
        self._book = python_calamine.CalamineWorkbook.from_path(str(self.path))
        self._cache: dict[str, SheetGrid] = {}

    def sheet_names(self) -> list[str]:
        return list(self._book.sheet_names)

    def grid(self, sheet: str) -> SheetGrid:
        if sheet not in self._cache:
            rows = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            self._cache[sheet] = SheetGrid(sheet, [list(r) for r in rows])
        return self._cache[sheet]

    def close(self) -> None:
        close = getattr(self._book, "close", None)
        if close:
            close()


class MemorySource:
    """A workbook held as grids (used in tests and by the live-workbook door)."""

    def __init__(self, grids: dict[str, list[list[Any]]], label: str = "memory") -> None:
        self.label = label
        self._grids = {name: SheetGrid(name, rows) for name, rows in grids.items()}

    def sheet_names(self) -> list[str]:
        return list(self._grids)

    def grid(self, sheet: str) -> SheetGrid:
        return self._grids[sheet]


class UnreadableWorkbook(Exception):
    """A file the fast reader cannot open as a workbook (not a zip, encrypted, damaged): the
    words every door says it with, for its own error to carry."""

    def __init__(self, path: Path, cause: Exception) -> None:
        self.message = f"{path.name} をワークブックとして読めません（{type(cause).__name__}: {cause}）"
        self.message_en = f"cannot read {path.name} as a workbook: {cause}"
        super().__init__(self.message)


def open_workbook(path: Path) -> CalamineSource:
    """The workbook at `path`, opened with the fast reader; UnreadableWorkbook when it cannot be."""
    try:
        return CalamineSource(path)
    except Exception as e:  # the reader's own errors: not a workbook, encrypted, broken zip
        raise UnreadableWorkbook(Path(path), e) from e
