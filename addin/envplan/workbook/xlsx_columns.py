"""Inserting and deleting whole columns of a sheet loaded with openpyxl, the way
Excel does it.

openpyxl's own `insert_cols`/`delete_cols` move the cells only. Here everything
staff may have set by hand follows its column: cell values, styles, comments and
links; column widths and hidden columns; merged cells; the Excel Table (its
columns and filter); data validations and conditional formats; the print area,
print titles and page breaks; the frozen panes; and every formula of the book
(cells, defined names, validation and formatting rules) that points at a moved
cell, rewritten as Excel rewrites it (a reference to a deleted cell becomes #REF!).

`block`: the run of columns the inserted ones belong to (the year columns). A
range that covered the whole block grows to cover the new columns too, even when
they go at the block's left or right edge, where Excel would leave it as it was.
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell.cell import MergedCell
from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.dimensions import ColumnDimension, DimensionHolder
from openpyxl.worksheet.table import TableColumn
from openpyxl.worksheet.worksheet import Worksheet

from envplan.workbook.cells import col_letter

Span = tuple[int, int]


class _Shift:
    """Where a column, and a span of columns, go: an insertion of `count` columns
    before `at`, or (count < 0) a deletion of the columns `at`..`at - count - 1`."""

    def __init__(self, at: int, count: int, block: Span | None) -> None:
        self.at, self.count, self.block = at, count, block

    def col(self, c: int) -> int | None:
        if c < self.at:
            return c
        if self.count > 0:
            return c + self.count
        gone = -self.count
        return None if c < self.at + gone else c - gone

    def span(self, c1: int, c2: int) -> Span | None:
        if self.count > 0:
            n1 = c1 if c1 < self.at else c1 + self.count
            n2 = c2 if c2 < self.at else c2 + self.count
            if self.block is not None and c1 <= self.block[0] and c2 >= self.block[1]:
                if self.at == self.block[0] and c1 == self.at:
                    n1 = c1  # the new columns open the block: a range over the block takes them in
                if self.at == self.block[1] + 1 and c2 == self.block[1]:
                    n2 = c2 + self.count  # ...or close it
            return n1, n2
        first, last = self.at, self.at - self.count - 1
        if c1 >= first and c2 <= last:
            return None
        n1 = c1 if c1 < first else (first if c1 <= last else c1 + self.count)
        n2 = c2 if c2 < first else (first - 1 if c2 <= last else c2 + self.count)
        return n1, n2


def insert_columns(ws: Worksheet, at: int, count: int = 1, *, block: Span | None = None) -> None:
    """Insert `count` empty columns before column `at` (see the module's note on `block`)."""
    _apply(ws, _Shift(at, count, block))


def delete_columns(ws: Worksheet, at: int, count: int = 1) -> None:
    """Delete the columns `at`..`at + count - 1`."""
    _apply(ws, _Shift(at, -count, None))


def _apply(ws: Worksheet, shift: _Shift) -> None:
    wb = ws.parent
    _move_cells(ws, shift)
    _move_merged(ws, shift)
    _move_dimensions(ws, shift)
    _move_tables(ws, shift)
    _move_rules(ws, shift)
    _move_page(ws, shift)
    _move_formulas(wb, ws, shift)


# --- cells --------------------------------------------------------------------------


def _move_cells(ws: Worksheet, shift: _Shift) -> None:
    moved: dict[tuple[int, int], Any] = {}
    for (r, c), cell in ws._cells.items():
        nc = shift.col(c)
        if nc is None:
            continue
        cell.column = nc
        moved[(r, nc)] = cell
        if cell.hyperlink is not None:
            cell.hyperlink.ref = cell.coordinate
    ws._cells = moved


def _move_merged(ws: Worksheet, shift: _Shift) -> None:
    kept = []
    for mcr in list(ws.merged_cells.ranges):
        span = shift.span(mcr.min_col, mcr.max_col)
        if span is None or shift.col(mcr.min_col) is None:
            # Its first cell is gone: the merge goes, the cells left are ordinary empty cells.
            if span is not None:
                for r in range(mcr.min_row, mcr.max_row + 1):
                    for c in range(span[0], span[1] + 1):
                        if isinstance(ws._cells.get((r, c)), MergedCell):
                            del ws._cells[(r, c)]
            continue
        start = shift.col(mcr.min_col)
        if start is not None and span[0] < start:
            span = (start, span[1])  # a merge keeps its first cell (the one holding its value) first
        mcr.min_col, mcr.max_col = span
        for r in range(mcr.min_row, mcr.max_row + 1):
            for c in range(span[0] + 1, span[1] + 1):
                if (r, c) not in ws._cells:  # the inserted columns inside the merge
                    ws._cells[(r, c)] = MergedCell(ws, row=r, column=c)
        kept.append(mcr)
    ws.merged_cells.ranges = set(kept)


def _move_dimensions(ws: Worksheet, shift: _Shift) -> None:
    dims = list(ws.column_dimensions.values())
    holder = DimensionHolder(worksheet=ws, default_factory=ws._add_column)
    for dim in dims:
        dim.reindex()
        if dim.min is None or dim.max is None:
            continue
        span = shift.span(dim.min, dim.max)
        if span is None:
            continue
        dim.min, dim.max = span
        dim.index = col_letter(span[0])
        holder[dim.index] = dim
    ws.column_dimensions = holder


def covering_dimension(ws: Worksheet, col: int) -> ColumnDimension | None:
    """The column's dimension, also when it is one of a range (<col min max>)."""
    for dim in ws.column_dimensions.values():
        dim.reindex()
        if dim.min is not None and dim.max is not None and dim.min <= col <= dim.max:
            return dim
    return None


def _move_tables(ws: Worksheet, shift: _Shift) -> None:
    for table in ws.tables.values():
        c1, r1, c2, r2 = range_boundaries(table.ref)
        span = shift.span(c1, c2)
        if span is None:
            continue  # (a table of deleted columns only: Excel removes it; ours never are)
        columns = list(table.tableColumns)
        if shift.count > 0:
            inserted = span[1] - span[0] - (c2 - c1)
            if inserted:
                first_new = max(shift.at, span[0]) - span[0]
                next_id = max((tc.id for tc in columns), default=0) + 1
                for i in range(inserted):
                    name = ws.cell(r1, span[0] + first_new + i).value
                    columns.insert(first_new + i, TableColumn(id=next_id + i, name=str(name) if name not in (None, "") else f"列{next_id + i}"))
        else:
            gone = range(shift.at, shift.at - shift.count)
            columns = [tc for i, tc in enumerate(columns) if c1 + i not in gone]
        table.tableColumns = columns
        table.ref = f"{col_letter(span[0])}{r1}:{col_letter(span[1])}{r2}"
        if table.autoFilter is not None:
            _move_filter(table.autoFilter, c1, span[0], shift, table.ref)
        if getattr(table, "sortState", None) is not None and table.sortState.ref:
            table.sortState = None  # a sort's keys name columns by position: staff sort again
    if ws.auto_filter.ref:
        c1, r1, c2, r2 = range_boundaries(ws.auto_filter.ref)
        span = shift.span(c1, c2)
        if span is None:
            ws.auto_filter.ref = None
        else:
            ref = f"{col_letter(span[0])}{r1}:{col_letter(span[1])}{r2}"
            _move_filter(ws.auto_filter, c1, span[0], shift, ref)


def name_table_columns(ws: Worksheet) -> None:
    """Each Table column named by its header cell, as Excel requires (after new
    columns got their headers)."""
    for table in ws.tables.values():
        c1, r1, _c2, _r2 = range_boundaries(table.ref)
        for i, tc in enumerate(table.tableColumns):
            header = ws.cell(r1, c1 + i).value
            if header not in (None, ""):
                tc.name = str(header)


def _move_filter(flt: Any, old_first: int, new_first: int, shift: _Shift, ref: str) -> None:
    flt.ref = ref
    kept = []
    for fc in flt.filterColumn:
        nc = shift.col(old_first + fc.colId)
        if nc is not None:
            fc.colId = nc - new_first
            kept.append(fc)
    flt.filterColumn = kept


# --- validations and conditional formats --------------------------------------------


def _move_ranges(sqref: Any, shift: _Shift) -> MultiCellRange:
    out = []
    for rng in MultiCellRange(str(sqref)).ranges:
        span = shift.span(rng.min_col, rng.max_col)
        if span is not None:
            out.append(CellRange(min_col=span[0], min_row=rng.min_row, max_col=span[1], max_row=rng.max_row))
    return MultiCellRange(out)


def _move_rules(ws: Worksheet, shift: _Shift) -> None:
    title = ws.title
    kept = []
    for dv in ws.data_validations.dataValidation:
        sqref = _move_ranges(dv.sqref, shift)
        if not sqref.ranges:
            continue
        dv.sqref = sqref
        dv.formula1 = _formula_text(dv.formula1, title, title, shift)
        dv.formula2 = _formula_text(dv.formula2, title, title, shift)
        kept.append(dv)
    ws.data_validations.dataValidation = kept
    from openpyxl.formatting.formatting import ConditionalFormattingList

    old = ws.conditional_formatting
    new = ConditionalFormattingList()
    for cf in old:
        sqref = _move_ranges(cf.sqref, shift)
        if not sqref.ranges:
            continue
        for rule in cf.rules:
            rule.formula = [_formula_text(f, title, title, shift) or f for f in (rule.formula or [])]
            new.add(str(sqref), rule)  # (keeps each rule's priority)
    new.max_priority = max(new.max_priority, old.max_priority)
    ws.conditional_formatting = new


def _move_page(ws: Worksheet, shift: _Shift) -> None:
    if ws.freeze_panes:
        letters = re.match(r"[A-Z]+", ws.freeze_panes)
        if letters:
            c = column_index_from_string(letters.group())
            row = ws.freeze_panes[letters.end():]
            nc = shift.col(c) if c > 1 else 1
            if nc is None:
                nc = shift.at
            if nc != c:
                ws.freeze_panes = f"{col_letter(nc)}{row}"
    if ws._print_area:
        parts = []
        for part in str(ws.print_area).split(","):
            ref = part.rpartition("!")[2].replace("$", "")
            c1, r1, c2, r2 = range_boundaries(ref)
            span = shift.span(c1, c2)
            if span is not None:
                parts.append(f"{col_letter(span[0])}{r1}:{col_letter(span[1])}{r2}")
        ws.print_area = parts or None
    if ws.print_title_cols:
        a, _, b = ws.print_title_cols.replace("$", "").partition(":")
        span = shift.span(column_index_from_string(a), column_index_from_string(b or a))
        ws._print_cols = None
        if span is not None:
            ws.print_title_cols = f"{col_letter(span[0])}:{col_letter(span[1])}"
    kept = []
    for brk in ws.col_breaks.brk:
        nc = shift.col(brk.id + 1)  # a break's id is the column left of it (0-based = the column number)
        if nc is not None:
            brk.id = nc - 1
            kept.append(brk)
    ws.col_breaks.brk = kept


# --- formulas -----------------------------------------------------------------------

_CELL = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?)([0-9]+)$")
_COL = re.compile(r"^(\$?)([A-Za-z]{1,3})$")
_ROW = re.compile(r"^\$?[0-9]+$")


def _sheet_of(prefix: str) -> str:
    name = prefix[:-1]
    if name.startswith("'") and name.endswith("'"):
        name = name[1:-1].replace("''", "'")
    return name


def _shift_reference(text: str, here: str, sheet: str, shift: _Shift) -> str:
    """One reference of a formula, moved if it points into `sheet` (the formula is on `here`)."""
    prefix = ""
    ref = text
    if "!" in text:
        prefix, ref = text[: text.rindex("!") + 1], text[text.rindex("!") + 1 :]
        if "[" in prefix or ":" in prefix.strip("'"):
            return text  # another workbook, or a 3-D reference
        if _sheet_of(prefix) != sheet:
            return text
    elif here != sheet:
        return text
    parts = ref.split(":")
    if len(parts) == 1:
        m = _CELL.match(ref)
        if not m:
            return text
        nc = shift.col(column_index_from_string(m.group(2).upper()))
        return f"{prefix}#REF!" if nc is None else f"{prefix}{m.group(1)}{col_letter(nc)}{m.group(3)}{m.group(4)}"
    if len(parts) != 2:
        return text
    if all(_ROW.match(p) for p in parts):
        return text
    ends = [_CELL.match(p) or _COL.match(p) for p in parts]
    if not all(ends):
        return text
    a, b = ends
    assert a is not None and b is not None
    span = shift.span(column_index_from_string(a.group(2).upper()), column_index_from_string(b.group(2).upper()))
    if span is None:
        return f"{prefix}#REF!"

    def end(m: re.Match[str], col: int) -> str:
        rest = f"{m.group(3)}{m.group(4)}" if m.re is _CELL else ""
        return f"{m.group(1)}{col_letter(col)}{rest}"

    return f"{prefix}{end(a, span[0])}:{end(b, span[1])}"


# Anything in a formula that may be a column of a reference (A1, $AB$12, C:C): a cheap
# test before parsing, since parsing every formula of a city's master once per step is slow.
_MAYBE_CELL = re.compile(r"([A-Za-z]{1,3})\$?[0-9]")
_MAYBE_COLUMNS = re.compile(r"([A-Za-z]{1,3})\s*:\s*\$?([A-Za-z]{1,3})")


def _may_move(formula: str, shift: _Shift) -> bool:
    letters = [m.group(1) for m in _MAYBE_CELL.finditer(formula)]
    letters += [g for m in _MAYBE_COLUMNS.finditer(formula) for g in m.groups()]
    return any(column_index_from_string(x.upper()) >= shift.at for x in letters)


def _shift_formula(formula: str, here: str, sheet: str, shift: _Shift) -> str:
    """A formula ("=…") with its references into `sheet` moved."""
    if not _may_move(formula, shift):
        return formula
    try:
        tok = Tokenizer(formula)
    except Exception:  # a formula openpyxl cannot parse is left as Excel wrote it
        return formula
    changed = False
    for t in tok.items:
        if t.type == Token.OPERAND and t.subtype == Token.RANGE:
            new = _shift_reference(t.value, here, sheet, shift)
            if new != t.value:
                t.value, changed = new, True
    return tok.render() if changed else formula


def _formula_text(text: str | None, here: str, sheet: str, shift: _Shift) -> str | None:
    """A formula stored without its "=" (validations, rules, defined names)."""
    if not text:
        return text
    moved = _shift_formula("=" + text, here, sheet, shift)
    return moved[1:]


def _move_formulas(wb: Workbook, ws: Worksheet, shift: _Shift) -> None:
    from openpyxl.worksheet.formula import ArrayFormula

    sheet = ws.title
    for other in wb.worksheets:
        here = other.title
        if here != sheet and not _mentions(other, sheet):
            continue
        for cell in other._cells.values():
            value = cell.value
            if isinstance(value, str) and value.startswith("=") and (here == sheet or sheet in value):
                cell.value = _shift_formula(value, here, sheet, shift)
            elif isinstance(value, ArrayFormula) and value.text and (here == sheet or sheet in value.text):
                value.text = _shift_formula(value.text, here, sheet, shift)
            link = cell.hyperlink
            if link is not None and link.location and (here == sheet or sheet in link.location):
                # A link into the sheet follows its cell, as a formula does.
                link.location = _formula_text(link.location, here, sheet, shift)
        if here != sheet:
            for dv in other.data_validations.dataValidation:
                dv.formula1 = _formula_text(dv.formula1, here, sheet, shift)
                dv.formula2 = _formula_text(dv.formula2, here, sheet, shift)
    names: list[Any] = list(wb.defined_names.values())
    for other in wb.worksheets:
        names.extend(other.defined_names.values())
    for dn in names:
        if dn.attr_text and sheet in dn.attr_text:
            dn.attr_text = _formula_text(dn.attr_text, "", sheet, shift)


def _mentions(ws: Worksheet, sheet: str) -> bool:
    """Whether any formula or link of `ws` may name `sheet` (a cheap test before parsing)."""
    return any(
        (isinstance(c.value, str) and c.value.startswith("=") and sheet in c.value) or (c.hyperlink is not None and sheet in (c.hyperlink.location or ""))
        for c in ws._cells.values()
    ) or any(sheet in (dv.formula1 or "") + (dv.formula2 or "") for dv in ws.data_validations.dataValidation)

__all__ = ["covering_dimension", "delete_columns", "insert_columns", "name_table_columns"]
