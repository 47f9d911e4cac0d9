"""Loading a workbook with openpyxl for editing, faster where openpyxl spends its time.

On load, openpyxl gives every merged range's edge cells the borders of its top-left cell
(`MergedCellRange.format`), setting one cell at a time: each setting hashes and compares
whole `Border` objects, about half of loading a master whose 評価票 sheets hold hundreds
of merged ranges. Within `fast_merge_format`, openpyxl loads with an equivalent of that step which computes
each distinct (border, edge, top-left border) combination once and gives the cells its
style index, and gives each top-left cell the sides of its bottom-right one the same way
(`MergedCellRange._get_borders`): the same workbook, cell for cell (tests/test_xlsx_load.py compares both). The
評価票 writer's own `merge_cells` calls go the same way inside `fast_merge_format`.

`fast_load` adds the inline strings (the form openpyxl writes every text in): openpyxl builds a
rich-text `Text` object for each to take its plain text; a cell holding one plain `<t>` has
its text taken directly (every other cell goes openpyxl's way).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.styles.borders import Border
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._reader import FORMULA_TAG, INLINE_STRING, WorkSheetParser
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.xml.constants import SHEET_MAIN_NS

from envplan.workbook.openpyxl_patches import MethodPatch
from envplan.workbook.xlsx_style import style_indexes, workbook_memo

EDGES = ("top", "left", "right", "bottom")
TEXT_TAG = f"{{{SHEET_MAIN_NS}}}t"


def load_for_edit(path: Path) -> Workbook:
    """A workbook loaded with openpyxl to be edited and saved again (the master, a return made
    into its feedback copy): the faster way, and an .xlsm with its macros."""
    path = Path(path)
    with fast_load():
        return openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")


@contextmanager
def fast_merge_format() -> Iterator[None]:
    """Within: openpyxl's loads and `merge_cells` (the 評価票 writer merges its fields) format
    merged ranges the faster way."""
    with _MERGE_FORMAT.active():
        yield


@contextmanager
def fast_load() -> Iterator[None]:
    """Within: openpyxl loads (for editing) format merged ranges and read inline strings the faster way."""
    with _MERGE_FORMAT.active(), _INLINE_STRINGS.active():
        yield


_original_parse_cell = WorkSheetParser.parse_cell


def _parse_cell(self: WorkSheetParser, element: Any) -> dict[str, Any]:
    """As WorkSheetParser.parse_cell for an inline string of one plain <t> (no formula, no runs)."""
    if element.get("t") != "inlineStr" or self.rich_text or (not self.data_only and element.find(FORMULA_TAG) is not None):
        return _original_parse_cell(self, element)
    child = element.find(INLINE_STRING)
    if child is None or len(child) != 1 or child[0].tag != TEXT_TAG or len(child[0]):
        return _original_parse_cell(self, element)
    coordinate = element.get("r")
    style_id = element.get("s", 0)
    if style_id:
        style_id = int(style_id)
    if coordinate:
        row, column = coordinate_to_tuple(coordinate)
        self.col_counter = column
    else:
        self.col_counter += 1
        row, column = self.row_counter, self.col_counter
    return {"row": row, "column": column, "value": child[0].text or "", "data_type": "s", "style_id": style_id}


def _format(self: MergedCellRange) -> None:
    """As MergedCellRange.format, each distinct border combination computed once."""
    ws = self.ws
    borders = ws.parent._borders
    memo = workbook_memo(ws.parent, "merge_borders")
    start = self.start_cell
    for name in EDGES:
        # As MergedCellRange.format: the top-left cell's side on this edge, if it has a style.
        anchor_id = style_indexes(start).borderId
        side = getattr(borders[anchor_id], name)
        if side and side.style is None:
            continue
        for row, col in getattr(self, name):
            cell = ws._cells.get((row, col))
            if cell is None:
                cell = MergedCell(ws, row=row, column=col)
                ws._cells[(row, col)] = cell
            indexes = style_indexes(cell)
            key = (indexes.borderId, anchor_id, name)
            new_id = memo.get(key)
            if new_id is None:
                new_id = memo[key] = borders.add(borders[indexes.borderId] + Border(**{name: side}))
            indexes.borderId = new_id


def _get_borders(self: MergedCellRange) -> None:
    """As MergedCellRange._get_borders (the top-left cell takes the right and bottom sides of
    the bottom-right one), each distinct pair of borders combined once."""
    ws = self.ws
    start = ws._cells.get((self.min_row, self.min_col))
    if start is None:
        start = ws.cell(row=self.min_row, column=self.min_col)
    self.start_cell = start
    end = ws._cells.get((self.max_row, self.max_col))
    if end is None:
        return
    borders = ws.parent._borders
    memo = workbook_memo(ws.parent, "merge_corners")
    start_ids, end_id = style_indexes(start), style_indexes(end).borderId
    key = (start_ids.borderId, end_id)
    new_id = memo.get(key)
    if new_id is None:
        corner = borders[end_id]
        new_id = memo[key] = borders.add(borders[start_ids.borderId] + Border(right=corner.right, bottom=corner.bottom))
    start_ids.borderId = new_id


_MERGE_FORMAT = MethodPatch((MergedCellRange, "format", _format), (MergedCellRange, "_get_borders", _get_borders))
_INLINE_STRINGS = MethodPatch((WorkSheetParser, "parse_cell", _parse_cell))


__all__ = ["fast_load", "fast_merge_format", "load_for_edit"]
