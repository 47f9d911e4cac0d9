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
        for fy in sorted(fy for fy in years if fy not in wanted):
            (done.kept if _holds_something(ws, years[fy], header_row, key == "related_plans") else done.removed).append(fy)
        # Runs of adjacent columns go in one step each: every step rewrites the book's formulas.
        for first, count in _runs(sorted((years[fy] for fy in done.removed), reverse=True)):
            delete_columns(ws, first, count)
        keys, years = _columns(ws, spec, header_row)
        for group in _insert_groups(sorted(wanted - set(years)), years):
            _insert_years(ws, spec, key, header_row, keys, years, group)
            done.added.extend(group)
            keys, years = _columns(ws, spec, header_row)
        if done.changed:
            name_table_columns(ws)
            st.fit_print_width(ws)
        fitted.append(done)
    return fitted


def _runs(columns: list[int]) -> list[tuple[int, int]]:
    """Columns in descending order as (first column, count) runs of adjacent ones."""
    runs: list[tuple[int, int]] = []
    for c in columns:
        if runs and runs[-1][0] == c + 1:
            runs[-1] = (c, runs[-1][1] + 1)
        else:
            runs.append((c, 1))
    return runs


def _insert_groups(missing: list[int], years: dict[int, int]) -> list[list[int]]:
    """The missing years, grouped by the gap between existing year columns they go in."""
    groups: dict[int | None, list[int]] = {}
    for fy in missing:
        groups.setdefault(max((y for y in years if y < fy), default=None), []).append(fy)
    return list(groups.values())


def _insert_years(ws: Worksheet, spec: SheetSpec, key: str, header_row: int, keys: dict[str, int], years: dict[int, int], group: list[int]) -> None:
    """Columns for the years of `group` (consecutive in the sheet's order), after the
    year before them (or before the year after them), formatted like that neighbouring year column."""
    block = (min(years.values()), max(years.values())) if years else None
    earlier = [y for y in years if y < group[0]]
    later = [y for y in years if y > group[-1]]
    count = len(group)
    source: int | None
    if earlier:
        source = years[max(earlier)]
        at = source + 1
    elif later:
        at = years[min(later)]
        source = at + count  # the later year, once moved right
    else:
        at = max(keys.values(), default=0) + 1
        source = None
    insert_columns(ws, at, count, block=block)
    note_row = header_row - (HEADER_ROW - NOTE_ROW)
    for i, fy in enumerate(group):
        col = at + i
        if source is not None:
            for r in range(1, ws.max_row + 1):
                src = ws._cells.get((r, source))
                if src is not None and src.has_style and not isinstance(src, MergedCell):
                    ws.cell(r, col)._style = copy(src._style)
            dim = covering_dimension(ws, source)
            if covering_dimension(ws, col) is None and dim is not None and dim.width:
                ws.column_dimensions[col_letter(col)].width = dim.width
        else:
            st.style_header(ws.cell(header_row, col))
            ws.cell(note_row, col).font = st.NOTE_FONT
            ws.cell(note_row, col).alignment = st.CENTER
            ws.column_dimensions[col_letter(col)].width = spec.year_width or 10
        ws.cell(header_row, col).value = f"{fy}年度"
        if note_row >= 1 and not isinstance(ws.cell(note_row, col), MergedCell):  # (staff may have merged the note across)
            ws.cell(note_row, col).value = wareki(fy)
        if key == "related_plans":
            _related_grid(ws, spec, header_row, keys, col, source)


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
