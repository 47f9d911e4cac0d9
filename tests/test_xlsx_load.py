"""Merged ranges formatted the faster way give the same workbook as openpyxl's own way, cell for cell."""

from __future__ import annotations

import io
import zipfile

import openpyxl
from openpyxl.styles import Border, Side

from envplan.workbook.xlsx_load import fast_merge_format


def _styles(wb: openpyxl.Workbook) -> dict[tuple[str, int, int], tuple[object, ...]]:
    out = {}
    for ws in wb.worksheets:
        for (row, col), cell in ws._cells.items():
            out[(ws.title, row, col)] = (type(cell).__name__, cell.value, repr(cell.border), repr(cell.font), repr(cell.fill), cell.number_format)
    return out


def _saved_sheets(wb: openpyxl.Workbook) -> dict[str, bytes]:
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/") or n == "xl/styles.xml"}


def test_load_for_edit_is_openpyxls_load(sample_masters, tmp_path):
    # The sample master's 評価票 sheets are full of bordered merged ranges; add awkward ones too:
    # a merge whose top-left cell has a side without a style, and one over cells with their own borders.
    src = openpyxl.load_workbook(sample_masters["all"])
    ws = src.worksheets[0]
    thick, thin = Side(style="thick", color="FF0000"), Side(style="thin")
    ws["H2"].border = Border(top=thick, left=Side(), bottom=thin)
    ws["I3"].border = Border(right=thin)
    ws.merge_cells("H2:J4")
    ws["H8"].border = Border(left=thin, right=thick)
    ws.merge_cells("H8:H12")
    path = tmp_path / "m.xlsx"
    src.save(path)
    # A bottom-right cell with sides of its own, saved as a spreadsheet program may leave it:
    # on loading, the top-left cell takes its right and bottom sides.
    raw = openpyxl.load_workbook(path)
    raw.worksheets[0]["K5"].border = Border(top=thin)
    raw.worksheets[0]["M7"].border = Border(right=thick, bottom=thick, left=thin)
    raw.worksheets[0].merged_cells.add("K5:M7")  # (added as read from a file, without openpyxl's formatting)
    raw.save(path)
    merges = sum(len(w.merged_cells.ranges) for w in openpyxl.load_workbook(path).worksheets)
    assert merges > 50
    with fast_merge_format():
        ours = openpyxl.load_workbook(path)
    theirs = openpyxl.load_workbook(path)
    assert _styles(ours) == _styles(theirs)
    assert _saved_sheets(ours) == _saved_sheets(theirs)
    # The library's own method is back in place after the load.
    from openpyxl.worksheet.merge import MergedCellRange

    assert MergedCellRange.format.__module__ == MergedCellRange._get_borders.__module__ == "openpyxl.worksheet.merge"
    assert ours.worksheets[0]["K5"].border.right.style == "thick"  # the case above did happen


def test_policy_forms_written_within_are_the_same(tmp_path):
    """The 評価票 writer merges its fields: the master written within is the master written without."""
    from envplan.plan.samples import load_sample
    from envplan.workbook.writer import save_master

    plan = load_sample("all")
    with fast_merge_format():
        save_master(plan, tmp_path / "a.xlsx")
    save_master(plan, tmp_path / "b.xlsx")
    parts = []
    for name in ("a.xlsx", "b.xlsx"):
        with zipfile.ZipFile(tmp_path / name) as z:
            parts.append({n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/") or n == "xl/styles.xml"})
    assert parts[0] == parts[1] and any(b"<mergeCell " in xml for xml in parts[0].values())


def test_styled_sets_what_openpyxls_descriptors_set():
    """xlsx_style.styled finds each style's index once per workbook; the saved book is the same."""
    from envplan.workbook import xlsx_style as st

    books = [openpyxl.Workbook(), openpyxl.Workbook()]
    for k, wb in enumerate(books):
        ws = wb.active
        for r in range(1, 30):
            for c in range(1, 6):
                cell = ws.cell(r, c, r * c)
                cell.number_format = "0.0"
                font, fill, border, alignment = (st.BODY_FONT if c % 2 else st.LABEL_FONT), (st.LABEL_FILL if r % 3 else None), (st.BOX if r % 2 else None), st.WRAP
                protection = st.UNLOCKED if r % 4 == 0 else None
                if k == 0:
                    st.styled(cell, font=font, fill=fill, border=border, alignment=alignment, protection=protection)
                else:
                    cell.font, cell.alignment = font, alignment
                    if fill is not None:
                        cell.fill = fill
                    if border is not None:
                        cell.border = border
                    if protection is not None:
                        cell.protection = protection
    saved = []
    for wb in books:
        buf = io.BytesIO()
        wb.save(buf)
        with zipfile.ZipFile(buf) as z:
            saved.append({n: z.read(n) for n in ("xl/styles.xml", "xl/worksheets/sheet1.xml")})
    assert saved[0] == saved[1]


def test_inline_strings_read_the_faster_way_are_openpyxls_reading(sample_masters, tmp_path):
    """fast_load: text of one plain <t> taken directly, every other cell openpyxl's way; the same
    workbook, cell for cell, and saved the same."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    from envplan.workbook.xlsx_load import fast_load

    src = openpyxl.load_workbook(sample_masters["all"])
    ws = src.worksheets[0]
    ws["H2"] = "  前後の空白  "
    ws["H3"] = ""
    ws["H4"] = "a & <b>"
    ws["H5"] = CellRichText("太字", TextBlock(InlineFont(b=True), "と普通"))  # runs: openpyxl's way
    ws["H6"] = "=LEN(H4)"
    path = tmp_path / "m.xlsx"
    src.save(path)
    assert b"<r>" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    with fast_load():
        ours = openpyxl.load_workbook(path)
    theirs = openpyxl.load_workbook(path)
    assert _styles(ours) == _styles(theirs)
    assert {(ws.title, c.coordinate): c.data_type for ws in ours.worksheets for row in ws.iter_rows() for c in row} == {
        (ws.title, c.coordinate): c.data_type for ws in theirs.worksheets for row in ws.iter_rows() for c in row
    }
    assert _saved_sheets(ours) == _saved_sheets(theirs)
    from openpyxl.worksheet._reader import WorkSheetParser

    assert WorkSheetParser.parse_cell.__module__ == "openpyxl.worksheet._reader"


def test_loads_may_overlap_and_nest(tmp_path):
    """Two threads loading at once (a server), and a load inside a merge-formatting context:
    both patched while any is open, openpyxl's own methods back after the last (a lock held
    for the whole load made the nested case wait for ever)."""
    import threading

    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.worksheet.merge import MergedCellRange

    from envplan.workbook.xlsx_load import fast_load

    originals = (WorkSheetParser.parse_cell, MergedCellRange.format)
    path = tmp_path / "m.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "あ"
    wb.active.merge_cells("A1:C2")
    wb.save(path)
    inside, release = threading.Event(), threading.Event()
    loaded: list[str] = []

    def other() -> None:
        with fast_load():
            inside.set()
            release.wait(10)
            loaded.append(openpyxl.load_workbook(path).active["A1"].value)

    thread = threading.Thread(target=other)
    thread.start()
    assert inside.wait(10)
    done = threading.Event()

    def nested() -> None:
        with fast_merge_format(), fast_load():
            loaded.append(openpyxl.load_workbook(path).active["A1"].value)
        done.set()

    threading.Thread(target=nested, daemon=True).start()
    assert done.wait(10), "a load waited for another context to close"
    assert (WorkSheetParser.parse_cell, MergedCellRange.format) != originals  # the other thread's context is still open
    release.set()
    thread.join(10)
    assert loaded == ["あ", "あ"]
    assert (WorkSheetParser.parse_cell, MergedCellRange.format) == originals
