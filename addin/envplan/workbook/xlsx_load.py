"""Loading a workbook with openpyxl for editing, faster where openpyxl spends its time.

On load, openpyxl gives every merged range's edge cells the borders of its top-left cell
(`MergedCellRange.format`), setting one cell at a time: each setting hashes and compares
whole `Border` objects, about half of loading a master whose 評価票 sheets hold hundreds
of merged ranges. Within `fast_merge_format`, openpyxl loads with an equivalent of that step which computes
each distinct (border, edge, top-left border) combination once and gives the cells its
style index: the same workbook, cell for cell (tests/test_xlsx_load.py compares both). The
評価票 writer's own `merge_cells` calls go the same way inside `fast_merge_format`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from openpyxl.cell.cell import MergedCell
from openpyxl.styles.borders import Border
from openpyxl.worksheet.merge import MergedCellRange

from envplan.workbook.xlsx_style import style_indexes

EDGES = ("top", "left", "right", "bottom")
_PATCH_LOCK = threading.Lock()  # the patched method is global to openpyxl: one load at a time


@contextmanager
def fast_merge_format() -> Iterator[None]:
    """Within: openpyxl's loads and `merge_cells` (the 評価票 writer merges its fields) format
    merged ranges the faster way."""
    with _PATCH_LOCK, _fast_merge_format():
        yield


@contextmanager
def _fast_merge_format() -> Iterator[None]:
    def format(self: MergedCellRange) -> None:
        ws = self.ws
        borders = ws.parent._borders
        # Kept on the workbook, as xlsx_style.styled keeps its indexes: the border list only grows.
        memo: dict[tuple[int, int, str], int] = ws.parent.__dict__.setdefault("_envplan_merge_borders", {})
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

    original = MergedCellRange.format
    MergedCellRange.format = format
    try:
        yield
    finally:
        MergedCellRange.format = original


__all__ = ["fast_merge_format"]
