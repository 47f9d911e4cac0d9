"""The year columns of 指標実績, 工程表 and 関連計画 fitted to a plan's years, after
its period changed (`envplan period`).

The sheets are edited in place, never written again: a year column is inserted
where its year belongs, dressed like its neighbouring year column, and an empty
one is deleted — so column widths, fills, fonts, number formats, comments, row
heights, frozen panes, conditional formats and data validations that staff set
stay, and move with their columns (see xlsx_columns). A column that holds
anything (a value, a comment, a formula staff wrote) is never deleted.
"""

from __future__ import annotations

import unicodedata
from copy import copy
from dataclasses import dataclass, field
from typing import Any

from openpyxl.cell.cell import MergedCell
from openpyxl.formula.translate import Translator
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from envplan.plan.local_words import layout_variants
from envplan.plan.model import Plan
from envplan.plan.years import YearError, parse_fy, wareki
from envplan.workbook import xlsx_style as st
from envplan.workbook.cells import col_letter, is_blank
from envplan.workbook.layout import HEADER_ROW, NOTE_ROW, SheetSpec, layout
from envplan.workbook.writer import GRID_FONT, YEAR_SHEETS, related_grid_formula, related_grid_years
from envplan.workbook.xlsx_columns import covering_dimension, delete_columns, insert_columns, name_table_columns

HEADER_SEARCH_ROWS = 10  # as the reader looks for a table's header


@dataclass
class FittedSheet:
    """What fitting did to one sheet's year columns."""

    sheet: str
    before: list[int]
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)  # outside the plan's years, kept for what they hold

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def _norm(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip() if value is not None else ""


def _header_row(ws: Worksheet, spec: SheetSpec) -> int | None:
    first = _norm(spec.columns[0].header)
    for r in range(1, min(ws.max_row, HEADER_SEARCH_ROWS) + 1):
        if any(_norm(c.value) == first for c in ws[r]):
            return r
    return None


def _columns(ws: Worksheet, spec: SheetSpec, header_row: int) -> tuple[dict[str, int], dict[int, int]]:
    """(column key → column, fiscal year → column) from the header row."""
    fixed = {_norm(h): c.key for c in spec.columns for h in layout_variants(c.header)}
    keys: dict[str, int] = {}
    years: dict[int, int] = {}
    for c in range(1, ws.max_column + 1):
        text = _norm(ws.cell(header_row, c).value)
        if not text:
            continue
        if text in fixed:
            keys.setdefault(fixed[text], c)
            continue
        try:
            years.setdefault(parse_fy(text), c)
        except YearError:
            continue  # validate names a header it cannot read; it is no year column
    return keys, years


def _holds_something(ws: Worksheet, col: int, header_row: int, computed: bool) -> bool:
    """Whether deleting the column would lose anything staff typed. `computed`: the
    sheet's year cells are envplan's formulas (関連計画), not input."""
    for (r, c), cell in ws._cells.items():
        if c != col or r <= header_row or isinstance(cell, MergedCell):
            continue
        if cell.comment is not None:
            return True
        value = cell.value
        if is_blank(value):
            continue
        if computed and isinstance(value, str) and value.startswith("="):
            continue
        return True
    return False


def _wanted(key: str, plan: Plan) -> list[int]:
    years = plan.years()
    return related_grid_years(plan, years) if key == "related_plans" else years


def fit_year_columns(wb: Workbook, plan: Plan) -> list[FittedSheet]:
    """Give each year sheet of `wb` a column for every year of `plan` (its period,
    baseline years and years holding values), and delete the empty ones it no longer needs."""
    lay = layout()
    fitted: list[FittedSheet] = []
    for key in YEAR_SHEETS:
        spec = lay[key]
        if spec.name not in wb.sheetnames:
            continue
        ws = wb[spec.name]
        header_row = _header_row(ws, spec)
        if header_row is None:
            continue  # validate has said the sheet has no header; nothing to fit
        keys, years = _columns(ws, spec, header_row)
        done = FittedSheet(spec.name, sorted(years))
        wanted = set(_wanted(key, plan))
        for fy in sorted((fy for fy in years if fy not in wanted), key=lambda fy: -years[fy]):
            if _holds_something(ws, years[fy], header_row, key == "related_plans"):
                done.kept.append(fy)
                continue
            delete_columns(ws, years[fy])
            done.removed.append(fy)
            keys, years = _columns(ws, spec, header_row)
        for fy in sorted(wanted - set(years)):
            _insert_year(ws, spec, key, header_row, keys, years, fy)
            done.added.append(fy)
            keys, years = _columns(ws, spec, header_row)
        done.removed.sort()
        done.kept.sort()
        if done.changed:
            name_table_columns(ws)
            st.fit_print_width(ws)
        fitted.append(done)
    return fitted


def _insert_year(ws: Worksheet, spec: SheetSpec, key: str, header_row: int, keys: dict[str, int], years: dict[int, int], fy: int) -> None:
    """A column for `fy`, after the year before it (or before the year after it),
    formatted like that neighbouring year column."""
    block = (min(years.values()), max(years.values())) if years else None
    earlier = [y for y in years if y < fy]
    later = [y for y in years if y > fy]
    if earlier:
        source: int | None = years[max(earlier)]
        assert source is not None
        at = source + 1
    elif later:
        at = years[min(later)]
        source = at + 1  # the later year, once moved right
    else:
        at = max(keys.values(), default=0) + 1
        source = None
    insert_columns(ws, at, 1, block=block)
    note_row = header_row - (HEADER_ROW - NOTE_ROW)
    if source is not None:
        for r in range(1, ws.max_row + 1):
            src = ws._cells.get((r, source))
            if src is not None and src.has_style and not isinstance(src, MergedCell):
                ws.cell(r, at)._style = copy(src._style)
        dim = covering_dimension(ws, source)
        if covering_dimension(ws, at) is None and dim is not None and dim.width:
            ws.column_dimensions[col_letter(at)].width = dim.width
    else:
        st.style_header(ws.cell(header_row, at))
        ws.cell(note_row, at).font = st.NOTE_FONT
        ws.cell(note_row, at).alignment = st.CENTER
        ws.column_dimensions[col_letter(at)].width = spec.year_width or 10
    ws.cell(header_row, at).value = f"{fy}年度"
    if note_row >= 1:
        ws.cell(note_row, at).value = wareki(fy)
    if key == "related_plans":
        _related_grid(ws, spec, header_row, keys, at, source)


def _related_grid(ws: Worksheet, spec: SheetSpec, header_row: int, keys: dict[str, int], at: int, source: int | None) -> None:
    """The new year's ■ cells of 関連計画: the neighbour's formula moved over (as
    Excel's fill does), or envplan's own where there is no neighbour."""
    id_col = keys.get("id", 1)
    letters = {k: col_letter(keys[k]) if k in keys else col_letter(spec.index(k)) for k in ("start_fy", "end_fy", "kind")}
    last = max((r for (r, c), cell in ws._cells.items() if c == id_col and r > header_row and not is_blank(cell.value)), default=header_row)
    for r in range(header_row + 1, last + 1):
        cell = ws.cell(r, at)
        src = ws._cells.get((r, source)) if source is not None else None
        if src is not None and isinstance(src.value, str) and src.value.startswith("="):
            cell.value = Translator(src.value, origin=src.coordinate).translate_formula(cell.coordinate)
        elif is_blank(ws.cell(r, id_col).value):
            continue
        else:
            cell.value = related_grid_formula(r, at, letters["start_fy"], letters["end_fy"], letters["kind"])
            if source is None:
                cell.alignment = st.CENTER
                cell.font = GRID_FONT


__all__ = ["FittedSheet", "fit_year_columns"]
