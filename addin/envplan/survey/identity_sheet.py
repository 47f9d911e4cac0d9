"""The identity sheet of a return read from the XML the safety scan has already inflated.

Every file of an inbox is first read by its identity sheet alone (whose return it is, when
it was issued). Opening the workbook with python-calamine for that one sheet costs a third of
a millisecond a file (it reads the shared strings and styles first); the sheet's few text cells
are taken here from the bytes the scan has inflated and checked, in a tenth of that.

This is no second workbook reader: it reads only text cells, in the forms Excel, LibreOffice and
openpyxl write, and gives up (None) on anything else — a number, an escape it does not know, a
part the scan streamed. Its reading is used only when the signature verifies it, which no
misreading can produce; any other outcome is read again by calamine, whose verdict stands.
"""

from __future__ import annotations

import re

from envplan.workbook.cells import col_number
from envplan.workbook.io import SheetGrid

# A text cell as openpyxl, Excel and LibreOffice write it (r, then s, then t): inline, shared or a
# plain string result. The sheet is read only when every cell in it is one of these.
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: s="[0-9]+")? t="(inlineStr|s|str)"'
    rb'(?: ?/>|><is><t( xml:space="preserve")?>([^<]*)</t></is></c>|><v>([^<]*)</v></c>)'
)
_SIMPLE_SHARED = re.compile(rb'<si><t( xml:space="preserve")?>([^<]*)</t></si>')
_XML_SPACE = b" \t\n\r"
_SHARED = re.compile(rb"<si>(.*?)</si>", re.S)
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)  # Japanese Excel's readings: not the text
_TEXT = re.compile(rb"<t(\s[^>]*)?>([^<]*)</t>|<t(?:\s[^>]*)?/>")
_ENTITY = re.compile(r"&(amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


class IdentitySheetSource:
    """A `WorkbookSource` holding the sheet names and one sheet's grid."""

    def __init__(self, label: str, names: list[str], grid: SheetGrid) -> None:
        self.label, self._names, self._grid = label, names, grid

    def sheet_names(self) -> list[str]:
        return list(self._names)

    def grid(self, sheet: str) -> SheetGrid:
        if sheet != self._grid.name:
            raise KeyError(sheet)
        return self._grid


def identity_source(label: str, names: list[str], sheet: str, sheet_xml: bytes | None, shared_xml: bytes | None) -> IdentitySheetSource | None:
    """The sheet's text cells as a source for `read_return(identity_only=True)`, or None."""
    if sheet_xml is None:
        return None
    found = _CELL.findall(sheet_xml)
    if not found or len(found) != sheet_xml.count(b"<c "):
        return None  # a cell of another kind or form (a number, a formula, rich text)
    shared: list[str] | None = None
    cells: dict[tuple[int, int], str] = {}
    for col, row, kind, preserve, inline, value in found:
        if kind == b"s" and value:
            if shared is None:
                shared = _shared_strings(shared_xml)
            if shared is None or not value.isdigit() or int(value) >= len(shared):
                return None
            text: str | None = shared[int(value)]
        else:
            raw = inline or value
            # Space at either end of a text without xml:space="preserve" is a reader's to keep or drop: calamine's.
            text = _unescape(raw) if preserve or raw.strip(_XML_SPACE) == raw else None
        if text is None:
            return None
        cells[(int(row), col_number(col.decode()))] = text
    rows = max(r for r, _ in cells)
    cols = max(c for _, c in cells)
    grid = [[""] * cols for _ in range(rows)]
    for (r, c), text in cells.items():
        grid[r - 1][c - 1] = text
    return IdentitySheetSource(label, names, SheetGrid(sheet, grid))


def _shared_strings(xml: bytes | None) -> list[str] | None:
    """The shared strings in order, or None."""
    if xml is None:
        return None
    simple = _SIMPLE_SHARED.findall(xml)
    if len(simple) == xml.count(b"<si>"):
        texts = [_unescape(t) if preserve or t.strip(_XML_SPACE) == t else None for preserve, t in simple]
    else:  # rich text or Japanese readings somewhere: each item by its pieces
        texts = [_text(item[1]) for item in _SHARED.finditer(xml)]
    if any(t is None for t in texts):
        return None
    return [t for t in texts if t is not None]


def _text(body: bytes) -> str | None:
    """The text of an <is> or <si>: its <t> pieces (of plain text or of runs), without readings."""
    if b"<rPh" in body:
        body = _PHONETIC.sub(b"", body)
    pieces = _TEXT.findall(body)
    if not pieces or b"<t" not in body:
        return None
    # Only <t>, runs (<r>, <rPr> and its properties) and phonetic settings: nothing else to lose.
    rest = _TEXT.sub(b"", body)
    if re.search(rb"<(?!/?(?:r|rPr|is|phoneticPr|rFont|b|i|u|sz|color|family|charset|scheme|vertAlign|strike|outline|shadow|condense|extend)\b)", rest):
        return None
    texts = [_unescape(t) if b'xml:space="preserve"' in attrs or t.strip(_XML_SPACE) == t else None for attrs, t in pieces]
    if any(t is None for t in texts):
        return None
    return "".join(t for t in texts if t is not None)


def _unescape(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text or "_x" in text:  # line ends a parser would change; Excel's _xHHHH_ escapes
        return None
    if "&" not in text:
        return text
    names = _ENTITY.findall(text)
    if text.count("&") != len(names):
        return None  # an entity XML does not define (no DTD is allowed)
    if any(n.startswith("#") and _code(n) > 0x10FFFF for n in names):
        return None
    return _ENTITY.sub(_entity, text)


def _entity(m: re.Match[str]) -> str:
    name = m[1]
    if name in _NAMED:
        return _NAMED[name]
    return chr(_code(name))


def _code(name: str) -> int:
    return int(name[2:], 16) if name.startswith("#x") else int(name[1:])


__all__ = ["IdentitySheetSource", "identity_source"]
