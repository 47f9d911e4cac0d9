"""Saving a workbook with openpyxl, faster where openpyxl spends its time.

Without lxml, openpyxl serialises every cell as an ElementTree element through
et_xmlfile's pure-Python incremental writer: about two thirds of saving a master. Within
`fast_cell_write`, the cells of a row are written as the same XML text directly, byte for
byte what openpyxl writes (tests/test_xlsx_save.py compares whole saved workbooks); cells
this does not handle the same way (formulas, rich text, dates) go through openpyxl's own
writer. Each sheet is also written in memory rather than to a temporary file of its own (31 files
created, read back and removed for a master: slow where a virus scanner opens each).
With lxml installed openpyxl writes through lxml, and nothing is changed.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# The standard library's own escaping, which et_xmlfile calls for text: the same bytes.
from xml.etree.ElementTree import _escape_attrib, _escape_cdata  # type: ignore[attr-defined]

import openpyxl
from openpyxl.cell._writer import write_cell
from openpyxl.cell.rich_text import CellRichText
from openpyxl.comments.comment_sheet import CommentRecord
from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from envplan.workbook.openpyxl_patches import MethodPatch
from envplan.workbook.xlsx_style import workbook_memo

_original_sheet = ExcelWriter.write_worksheet


@contextmanager
def fast_cell_write() -> Iterator[None]:
    """Within: openpyxl's saves write plain cells as text (same output, a fraction of the time)."""
    if openpyxl.LXML:
        yield
        return
    with _PATCH.active():
        yield


def _write_worksheet(self: ExcelWriter, ws: Any) -> None:
    """openpyxl's `ExcelWriter.write_worksheet`, the sheet's XML written to memory."""
    if self.workbook.write_only:
        _original_sheet(self, ws)
        return
    ws._drawing = SpreadsheetDrawing()
    ws._drawing.charts = ws._charts
    ws._drawing.images = ws._images
    out = io.BytesIO()
    writer = WorksheetWriter(ws, out=out)
    writer.write()
    ws._rels = writer._rels
    self._archive.writestr(ws.path[1:], out.getvalue())
    self.manifest.append(ws)


def _write_row(self: WorksheetWriter, xf: Any, row: list[Any], row_idx: int) -> None:
    """openpyxl's `WorksheetWriter.write_row`, with the row and its plain cells written as text."""
    write = xf._file  # the raw output, inside the <sheetData> element openpyxl has opened
    dims = self.ws.row_dimensions.get(row_idx)
    attrs = "".join(f' {k}="{_escape_attrib(v)}"' for k, v in dims) if dims is not None else ""
    pieces = [f'<row r="{row_idx}"{attrs}>']
    # Each style's index found once (openpyxl hashes every cell's style array in Python).
    ids, styles = workbook_memo(self.ws.parent, "cell_style_ids"), self.ws.parent._cell_styles
    for cell in row:
        if cell._comment is not None:
            self.ws._comments.append(CommentRecord.from_cell(cell))
        style = cell._style
        key = tuple(style) if style is not None else ()
        has_style = any(key)  # as Cell.has_style
        if cell._value is None and not has_style and not cell._comment:
            continue
        style_id = None
        if has_style:  # as Cell.style_id: the style's index in the workbook's list, added if new
            style_id = ids.get(key)
            if style_id is None:
                style_id = ids[key] = styles.add(style)
        text = _cell_xml(cell, style_id)
        if text is None:
            write("".join(pieces))
            pieces = []
            write_cell(xf, self.ws, cell, has_style)
        else:
            pieces.append(text)
    pieces.append("</row>")
    write("".join(pieces))


def _cell_xml(cell: Any, style_id: int | None) -> str | None:
    """A cell as openpyxl's `etree_write_cell` serialises it, or None where that is not plain."""
    kind = cell.data_type
    value = cell._value
    if kind in ("d", "f") or isinstance(value, CellRichText):
        return None
    if cell.hyperlink:
        cell.parent._hyperlinks.append(cell.hyperlink)
    head = f'<c r="{cell.coordinate}" s="{style_id}"' if style_id is not None else f'<c r="{cell.coordinate}"'
    head += ' t="inlineStr"' if kind == "s" else f' t="{kind}"'
    if value is None or value == "":
        return head + " />"
    if kind == "s":
        stripped = value.strip()
        space = ' xml:space="preserve"' if stripped and value != stripped else ""
        return f"{head}><is><t{space}>{_escape_cdata(value)}</t></is></c>"
    text = safe_string(value)
    return f"{head}><v>{_escape_cdata(text)}</v></c>" if text else f"{head}><v /></c>"


_PATCH = MethodPatch((WorksheetWriter, "write_row", _write_row), (ExcelWriter, "write_worksheet", _write_worksheet))

__all__ = ["fast_cell_write"]
