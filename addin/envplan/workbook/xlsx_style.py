"""Look of the workbooks we write with openpyxl: fonts, fills, tables, print setup."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from openpyxl.cell.cell import Cell as XlCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

FONT_NAME = "游ゴシック"
TITLE_FONT = Font(name=FONT_NAME, size=14, bold=True, color="1F3864")
NOTE_FONT = Font(name=FONT_NAME, size=9, color="595959")
HEADER_FONT = Font(name=FONT_NAME, size=10, bold=True, color="FFFFFF")
BODY_FONT = Font(name=FONT_NAME, size=10)
LABEL_FONT = Font(name=FONT_NAME, size=10, bold=True)
SECTION_FONT = Font(name=FONT_NAME, size=11, bold=True, color="1F3864")
LINK_FONT = Font(name=FONT_NAME, size=10, color="0563C1", underline="single")

HEADER_FILL = PatternFill("solid", fgColor="2F5496")
LABEL_FILL = PatternFill("solid", fgColor="D9E1F2")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # cells a department fills in
LOCKED_FILL = PatternFill("solid", fgColor="F2F2F2")
ERROR_FILL = PatternFill("solid", fgColor="F8CBAD")
WARNING_FILL = PatternFill("solid", fgColor="FFE699")
OK_FILL = PatternFill("solid", fgColor="C6EFCE")

THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)

UNLOCKED = Protection(locked=False)

TABLE_STYLE = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)

YEAR_FORMAT = '0"年度"'
# A cell someone types a number into (a template's input, the master's figures): any number
# shows as typed in Excel and LibreOffice (1324, 1324.5), never rounded by a fixed count of
# decimals, never with a trailing point. (「#,##0.########」, used before, shows a whole number
# as 「1,324.」 in Excel; LibreOffice hides the point.)
INPUT_NUMBER_FORMAT = "General"
# A computed figure no one types over (a result table's column): each cell gets the format of
# its own value (number_format_for), thousands separators and exactly its decimals.
BY_VALUE = "by value"
MAX_SHOWN_DECIMALS = 8


def number_format_for(value: Any) -> str:
    """The format that shows this very number with thousands separators and exactly its
    decimals (1,324 / 1,324.5), in Excel as in LibreOffice; General for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return INPUT_NUMBER_FORMAT
    if float(value).is_integer():
        return "#,##0"
    decimals = f"{abs(float(value)):.{MAX_SHOWN_DECIMALS}f}".rstrip("0").split(".")[1]
    return "#,##0." + "0" * len(decimals)


def shown_format(fmt: str, value: Any) -> str:
    """A column's number format for one of its cells (BY_VALUE: the value's own)."""
    return number_format_for(value) if fmt == BY_VALUE else fmt


def set_text(cell: XlCell, value: Any) -> None:
    """Write a value; a text starting with '=' stays text, never a formula."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def write_title(ws: Worksheet, title: str, note: str = "") -> None:
    ws["A1"] = title
    ws["A1"].font = TITLE_FONT
    if note:
        ws["A2"] = note
        ws["A2"].font = NOTE_FONT
    ws.row_dimensions[1].height = 24


_STYLE_IDS = {
    "font": ("_fonts", "fontId"),
    "fill": ("_fills", "fillId"),
    "border": ("_borders", "borderId"),
    "alignment": ("_alignments", "alignmentId"),
    "protection": ("_protections", "protectionId"),
}


def workbook_memo(wb: Any, name: str) -> dict[Any, Any]:
    """A cache kept on the workbook of style indexes found once (its style lists only grow, so an
    index found stays right for as long as the workbook lives)."""
    memo: dict[Any, Any] = wb.__dict__.setdefault(f"_envplan_{name}", {})
    return memo


def style_indexes(cell: Any) -> StyleArray:
    """The cell's style indexes, made as openpyxl's style descriptors make them (a cell read or
    made without a style has none yet)."""
    if not cell._style:
        cell._style = StyleArray()
    return cell._style


def styled(
    cell: XlCell, *, font: Font | None = None, fill: PatternFill | None = None, border: Border | None = None, alignment: Alignment | None = None, protection: Protection | None = None
) -> None:
    """`cell.font = font` and so on, as openpyxl's style descriptors set them, with each style
    object's index in the workbook's style table found once per workbook: openpyxl hashes and
    compares the whole object again for every cell it is set on, most of the time spent writing
    a 評価票 or a result table (the module's constant styles are set on thousands of cells)."""
    wb = cell.parent.parent
    memo = workbook_memo(wb, "style_ids")
    indexes = style_indexes(cell)
    for kind, obj in (("font", font), ("fill", fill), ("border", border), ("alignment", alignment), ("protection", protection)):
        if obj is None:
            continue
        table, key = _STYLE_IDS[kind]
        hit = memo.get((kind, id(obj)))
        if hit is None or hit[0] is not obj:
            hit = memo[(kind, id(obj))] = (obj, getattr(wb, table).add(obj))
        setattr(indexes, key, hit[1])


def style_header(cell: XlCell) -> None:
    styled(cell, font=HEADER_FONT, fill=HEADER_FILL, alignment=CENTER, border=BOX)


def add_table(ws: Worksheet, name: str, ref: str) -> None:
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TABLE_STYLE
    ws.add_table(table)


# Printing: a sheet is shrunk to the page's width only while its 10 pt body
# stays at 7.5 pt or more. A wider sheet prints at 80 % over several pages
# across, its frozen key columns and header rows repeated on each.
MIN_FIT_SCALE = 0.75
SPLIT_SCALE = 80  # per cent
A4_MM = (210.0, 297.0)
SIDE_MARGIN_IN = 0.5
DEFAULT_COL_WIDTH = 8.43  # Excel's, in characters of the default font


def a4(ws: Worksheet, *, landscape: bool, title_rows: str | None = "1:3") -> None:
    """A4 page setup; call once the sheet's columns and frozen panes are set."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = SIDE_MARGIN_IN
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    fit_print_width(ws)
    ws.oddFooter.center.text = "&P / &N"
    ws.oddHeader.right.text = "&A"


@contextmanager
def excel_print_titles(workbook: Any) -> Iterator[None]:
    """While saving: print titles of rows and columns written the way Excel writes them
    (columns first). openpyxl writes the rows first; a LibreOffice re-save then writes the
    name twice, and Excel offers to repair the file."""
    from openpyxl.utils import quote_sheetname
    from openpyxl.workbook.defined_name import DefinedName

    moved = []
    for ws in getattr(workbook, "worksheets", []):
        rows, cols = ws.print_title_rows, ws.print_title_cols
        if rows and cols and "_xlnm.Print_Titles" not in ws.defined_names:
            q = quote_sheetname(ws.title)
            ws.defined_names["_xlnm.Print_Titles"] = DefinedName("_xlnm.Print_Titles", attr_text=f"{q}!{_absolute(cols)},{q}!{_absolute(rows)}")
            ws._print_rows = ws._print_cols = None  # the setters ignore None
            moved.append((ws, rows, cols))
    try:
        yield
    finally:
        for ws, rows, cols in moved:
            del ws.defined_names["_xlnm.Print_Titles"]
            ws.print_title_rows, ws.print_title_cols = rows, cols


def _absolute(span: str) -> str:
    """"A:B" or "$A:$B" → "$A:$B"; "1:3" → "$1:$3"."""
    return ":".join(p if p.startswith("$") else f"${p}" for p in span.split(":"))


def column_width(ws: Worksheet, col: int) -> float:
    """A column's width in characters of the default font."""
    dim = ws.column_dimensions.get(get_column_letter(col))  # .get: looking up must not add a column
    return dim.width if dim is not None and dim.width else DEFAULT_COL_WIDTH


def column_width_px(ws: Worksheet, column: int) -> float:
    """Screen pixels of a column (Excel: characters x 7 px + 5 px padding, default font)."""
    dim = ws.column_dimensions.get(get_column_letter(column))
    if dim is not None and dim.hidden:
        return 0.0
    return column_width(ws, column) * 7 + 5


def width_scale(ws: Worksheet) -> float:
    """The scale at which the sheet's used columns fit the printable width of its page."""
    landscape = ws.page_setup.orientation == "landscape"
    page_in = (A4_MM[1] if landscape else A4_MM[0]) / 25.4
    printable_px = (page_in - (ws.page_margins.left or 0) - (ws.page_margins.right or 0)) * 96
    used_px = sum(column_width_px(ws, c) for c in range(1, last_printed_column(ws) + 1))
    return printable_px / used_px if used_px else 1.0


def last_printed_column(ws: Worksheet) -> int:
    """The last column the sheet prints: its print area's, else its last used column."""
    if not ws.print_area:
        return ws.max_column
    return max(range_boundaries(part.rsplit("!", 1)[-1].replace("$", ""))[2] or ws.max_column for part in ws.print_area.split(","))


def fit_print_width(ws: Worksheet) -> None:
    """Fit to the page's width when that stays legible, else split across pages
    with the frozen key columns repeated (call again after adding columns)."""
    _wrap_overflow(ws)
    if width_scale(ws) >= MIN_FIT_SCALE:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.page_setup.scale = None
        ws._print_cols = None  # (the setter ignores None: a sheet fitted again keeps no title columns)
        return
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.fitToWidth = ws.page_setup.fitToHeight = None
    ws.page_setup.scale = SPLIT_SCALE
    ws.page_setup.pageOrder = "overThenDown"  # a band of rows, all its columns, then the next band
    key_cols = frozen_columns(ws)
    ws.print_title_cols = f"A:{get_column_letter(key_cols)}" if key_cols else None


def _wrap_overflow(ws: Worksheet) -> None:
    """Wrap texts of the last column that would run past it: a spreadsheet
    application shrinks the whole page to fit text overflowing the last column.
    The title and note rows above the header may run on."""
    last = last_printed_column(ws)
    width = column_width(ws, last)
    wrapped = set()
    for row in ws.iter_rows(min_row=3, min_col=last, max_col=last):
        cell = row[0]
        if isinstance(cell.value, str) and not cell.alignment.wrap_text and text_width(cell.value) > width:
            wrap_text(cell)
            wrapped.add(cell.row)
    rows: dict[int, list[XlCell]] = {r: [] for r in wrapped}
    for (r, _c), cell in ws._cells.items() if wrapped else ():
        if r in rows:
            rows[r].append(cell)
    for cells in rows.values():
        fit_wrapped_row(ws, cells)


def text_width(text: str) -> int:
    """Width in characters of the default font: a CJK character takes two."""
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in text.split("\n")), default=0)


def wraps_in(value: Any, width: float) -> bool:
    """Whether a text in a column `width` characters wide is set to wrap: one with line breaks or
    wider than the column (a CJK character takes two), but not one word of ASCII (a SHA-256, a
    field key, a path), which is copied, not read: wrapped, it would only be cut at arbitrary
    characters over several lines; the cell holds it whole."""
    if not isinstance(value, str) or (value.isascii() and len(value.split()) == 1):
        return False
    room = line_room(width)
    if "\n" in value.strip() or len(value) > room:  # (each character takes one at least)
        return True
    return len(value) * 2 > room and text_width(value) > room  # (two at most)


def line_room(width: float) -> float:
    """How much text (in characters of the default font) one line of a `width` column holds."""
    return max(6.0, width * 0.95)


def wrap_text(cell: XlCell) -> None:
    """The cell's text wrapped, read from the top; its other alignment (horizontal) kept."""
    alignment = cell.parent.parent._alignments[style_indexes(cell).alignmentId]
    if not alignment.wrap_text:
        styled(cell, alignment=_top(alignment.horizontal, True))


def fit_row(ws: Worksheet, row: int) -> None:
    """`fit_wrapped_row` for the cells row `row` has (none is made)."""
    cells = [ws._cells[(row, c)] for c in range(1, ws.max_column + 1) if (row, c) in ws._cells]
    if cells:
        fit_wrapped_row(ws, cells)


LINE_POINTS = 15.0  # a line of the 10–11 pt body text, with its leading
MAX_ROW_POINTS = 409.0  # Excel's highest row


def wrapped_lines(text: str, width: float) -> int:
    """Lines that `text` takes wrapped in a column `width` characters wide."""
    per_line = line_room(width)
    return sum(max(1, math.ceil(text_width(part) / per_line)) for part in text.split("\n"))


def wrapped_height(text: Any, width: float, *, empty: float = 15.0, padding: float = 3.0) -> float:
    """Points for a row whose cell of `width` characters holds `text` wrapped. Excel does not
    grow a row for wrapped text in a file it opens (nor does LibreOffice for an .xlsx): without a
    height written, the text past the first line is cut off, on screen and on paper."""
    if not isinstance(text, str) or not text:
        return empty
    return min(MAX_ROW_POINTS, LINE_POINTS * wrapped_lines(text, width) + padding)


def fit_wrapped_row(ws: Worksheet, cells: list[XlCell]) -> None:
    """The row of `cells` (those written in it) tall enough for their wrapped texts of more than
    one line (see `wrapped_height`), its other cells then reading from the top as the wrapped
    text does; a row already as tall is left as it is."""
    alignments = ws.parent._alignments  # (read directly: openpyxl's cell.alignment makes a proxy each time)
    tallest = 0.0
    for cell in cells:
        text = cell.value
        if isinstance(text, str) and alignments[style_indexes(cell).alignmentId].wrap_text:
            width = column_width(ws, cell.column)
            if wrapped_lines(text, width) > 1:
                tallest = max(tallest, wrapped_height(text, width))
    if not tallest:
        return
    dim = ws.row_dimensions[cells[0].row]
    if tallest > (dim.height or 0):
        dim.height = tallest
        for cell in cells:
            alignment = alignments[style_indexes(cell).alignmentId]
            if cell.value is not None and alignment.vertical is None:
                styled(cell, alignment=_top(alignment.horizontal, alignment.wrap_text))


_TOPS: dict[tuple[str | None, bool | None], Alignment] = {}


def _top(horizontal: str | None, wrap: bool | None) -> Alignment:
    # One object per kind, so that `styled` finds its index once.
    key = (horizontal, wrap)
    if key not in _TOPS:
        _TOPS[key] = Alignment(horizontal=horizontal, vertical="top", wrap_text=wrap)
    return _TOPS[key]


def frozen_columns(ws: Worksheet) -> int:
    """How many columns are frozen on screen: the same key columns repeat on paper."""
    if not ws.freeze_panes:
        return 0
    letters, _row = coordinate_from_string(ws.freeze_panes)
    return column_index_from_string(letters) - 1


def internal_link(cell: XlCell, location: str) -> None:
    """A hyperlink to a place in the same workbook ("'Sheet'!A1"), styled as a link."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=location, display=str(cell.value or ""))
    styled(cell, font=LINK_FONT)
