"""Look of the workbooks we write with openpyxl: fonts, fills, tables, print setup."""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import Cell as XlCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
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
# Numbers as typed: thousands separators, decimals only when present.
NUMBER_FORMAT = "#,##0.########"


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


def style_header(cell: XlCell) -> None:
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = CENTER
    cell.border = BOX


def add_table(ws: Worksheet, name: str, ref: str) -> None:
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TABLE_STYLE
    ws.add_table(table)


def a4(ws: Worksheet, *, landscape: bool, title_rows: str | None = "1:3") -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "&P / &N"
    ws.oddHeader.right.text = "&A"


def internal_link(cell: XlCell, location: str) -> None:
    """A hyperlink to a place in the same workbook ("'Sheet'!A1"), styled as a link."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=location, display=str(cell.value or ""))
    cell.font = LINK_FONT
