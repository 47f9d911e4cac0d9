"""The identity sheet read from the scan's XML (survey/identity_sheet.py) reads what calamine
reads, or gives up; whatever it gives up on is read by calamine, with the same verdict."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import envplan.survey.return_files as return_files
from conftest import soffice_convert
from envplan.survey.identity_sheet import identity_source
from envplan.survey.return_files import inspect_return
from envplan.survey.template_identity import key_id, load_key
from envplan.survey.template_layout import IDENTITY_SHEET
from envplan.workbook.io import CalamineSource
from returns_kit import fill, issued_master, set_identity

S01_2021 = ("value", "S01", 2021, "actual")
VERIFIED = return_files._verified_identity  # the reader's own, before any test replaces it


@pytest.fixture(scope="module")
def base(sample_masters, tmp_path_factory):
    return issued_master(sample_masters["shinagawa"], tmp_path_factory.mktemp("identity"))


def _parts(path: Path, sheet: str) -> tuple[list[str], bytes, bytes | None]:
    """(sheet names, the sheet's XML, the shared strings' XML) as the scan would keep them."""
    from envplan.survey.return_safety import scan_return

    scan = scan_return(path.read_bytes(), path.name, only_sheets=frozenset({sheet}))
    assert scan.ok, scan.problems
    shared = [xml for name, xml in scan.kept.items() if name.endswith("sharedStrings.xml")]
    return scan.sheets, scan.kept[scan.sheet_parts[sheet]], shared[0] if shared else None


def _calamine_texts(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    source = CalamineSource(path)
    try:
        rows = source.grid(sheet).rows
    finally:
        source.close()
    return {(r, c): v for r, row in enumerate(rows, 1) for c, v in enumerate(row, 1) if v != ""}


def _fast_texts(path: Path, sheet: str) -> dict[tuple[int, int], str] | None:
    names, xml, shared = _parts(path, sheet)
    source = identity_source(path.name, names, sheet, xml, shared)
    if source is None:
        return None
    assert source.sheet_names() == names
    return {(r, c): v for r, row in enumerate(source.grid(sheet).rows, 1) for c, v in enumerate(row, 1) if v != ""}


def _readings(path: Path, key: bytes, *, fast: bool, monkeypatch) -> tuple:  # type: ignore[no-untyped-def]
    used: list[bool] = []

    def spy(*args):  # type: ignore[no-untyped-def]
        reading = VERIFIED(*args) if fast else None
        used.append(reading is not None)
        return reading

    monkeypatch.setattr(return_files, "_verified_identity", spy)
    rf = inspect_return(path, key, key_id(key), identity_only=True)
    reading = rf.reading
    return (rf.attributable, [d.code for d in rf.problems], reading.content if reading else None, reading.signature if reading else None), any(used)


def test_returns_as_issued_and_as_libreoffice_saves_them_read_the_same(base, tmp_path, monkeypatch):
    master, templates = base
    key = load_key(master)
    template = next(t for t in templates.values() if "環境" in t.name)
    filled = fill(template, {S01_2021: 1390}, tmp_path / "filled.xlsx")
    resaved = soffice_convert(filled, "xlsx", tmp_path / "lo")  # shared strings, LibreOffice's XML
    forged = set_identity(filled, "department", "財政課", tmp_path / "forged.xlsx")
    for path, fast_expected in ((filled, True), (resaved, True), (forged, False)):
        assert _fast_texts(path, IDENTITY_SHEET) == _calamine_texts(path, IDENTITY_SHEET)
        fast, used = _readings(path, key, fast=True, monkeypatch=monkeypatch)
        slow, _ = _readings(path, key, fast=False, monkeypatch=monkeypatch)
        assert fast == slow
        assert used is fast_expected  # a forgery fails the signature: calamine reads it again, and judges it
    names, xml, shared = _parts(resaved, IDENTITY_SHEET)
    assert shared is not None and b't="s"' in xml  # the shared-string form was the one read


xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff", whitelist_characters="\t\n"), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(st.lists(xml_text, min_size=1, max_size=12))
@example([" "])  # openpyxl writes no xml:space for spaces alone; calamine reads the cell as empty
@example(["  前", "後 ", "\n"])
def test_any_text_reads_as_calamine_reads_it_or_not_at_all(tmp_path_factory, texts):
    path = tmp_path_factory.mktemp("texts") / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = IDENTITY_SHEET
    for i, text in enumerate(texts, 1):
        if text.startswith("="):
            text = "'" + text
        ws.cell(i, 1 + i % 3, text)
    wb.save(path)
    fast = _fast_texts(path, IDENTITY_SHEET)
    if fast is not None:
        assert fast == _calamine_texts(path, IDENTITY_SHEET)


def test_what_it_does_not_read_it_leaves_to_calamine(tmp_path):
    path = tmp_path / "n.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = IDENTITY_SHEET
    ws["A1"], ws["B1"] = "fy", 2022  # a number: not a text cell
    wb.save(path)
    assert _fast_texts(path, IDENTITY_SHEET) is None
    names, xml, _ = _parts(path, IDENTITY_SHEET)
    assert identity_source("x", names, IDENTITY_SHEET, xml.replace(b"<v>2022</v>", b"<v>1</v>").replace(b't="n"', b't="s"'), None) is None  # no shared strings to look in
    inline = b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&copy;</t></is></c></row></sheetData></worksheet>'
    assert identity_source("x", names, IDENTITY_SHEET, inline, None) is None  # an entity XML does not define
    escaped = inline.replace(b"&copy;", b"a_x000D_b")
    assert identity_source("x", names, IDENTITY_SHEET, escaped, None) is None  # Excel's own escapes: calamine's to decode
    phonetic = b'<sst><si><t>\xe7\xac\xac1\xe8\xaa\xb2</t><rPh sb="0" eb="1"><t>\xe3\x83\x80\xe3\x82\xa4</t></rPh><phoneticPr fontId="1"/></si></sst>'
    cell = b'<worksheet><sheetData><row r="2"><c r="B2" t="s"><v>0</v></c></row></sheetData></worksheet>'
    source = identity_source("x", names, IDENTITY_SHEET, cell, phonetic)
    assert source is not None and source.grid(IDENTITY_SHEET).rows == [["", ""], ["", "第1課"]]  # the reading (ダイ) is not the text
