"""The safety checks made on a returned file before any parser reads it (return_safety.py).

Files are generated here from real issued templates; nothing binary is committed.
"""

from __future__ import annotations

import io
import os
import re
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from envplan.plan.diagnostics import CODES_EN, DiagnosticList
from envplan.plan.numbers import read_number
from envplan.survey import return_safety
from envplan.survey.return_files import inspect_return
from envplan.survey.return_safety import SafetyLimits, annotate, check_file, scan_return
from envplan.survey.template_identity import key_id, load_key
from envplan.survey.template_layout import INDICATOR_SHEET
from hostile_corpus import (
    BASE_ANSWERS,
    BILLION_LAUGHS,
    CONTACT,
    NOTE,
    NUM,
    inline,
    lying_sizes_zip,
    replace_cell,
    rewrite_zip,
    with_many_rows,
    with_shared_string,
    zip_bomb_member,
)
from returns_kit import fill, issue

MB = 1024 * 1024


@pytest.fixture(scope="module")
def kit(sample_masters, tmp_path_factory):
    folder = tmp_path_factory.mktemp("safety")
    master = folder / "master.xlsx"
    master.write_bytes(sample_masters["all"].read_bytes())
    templates = issue(master, folder / "templates")
    base = fill(templates["環境課"], BASE_ANSWERS, folder / "base.xlsx").read_bytes()
    # The cells below name 2021 and 2022 of S01/S02 by column: S and T (the year columns start
    # at 2012, the first year the department's indicators have a value for).
    ws = openpyxl.load_workbook(folder / "base.xlsx")[INDICATOR_SHEET]
    assert (ws["S3"].value, ws["T3"].value) == ("2021年度", "2022年度")
    return master, templates, base


def _codes(scan) -> list[str]:
    return [d.code for d in scan.problems]


def test_every_code_has_an_english_description():
    source = Path(return_safety.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'"((?:RETURN|TEXT)_[A-Z_]+)"', source))
    assert codes and codes <= set(CODES_EN), codes - set(CODES_EN)
    assert return_safety.REFUSED_UNOPENED <= set(CODES_EN)


def test_issued_and_filled_templates_pass_the_scan(kit):
    # The scan's speed is measured in benchmarks/bench_consolidate.py, not timed here.
    _, templates, base = kit
    for path in [*templates.values()]:
        scan = scan_return(path.read_bytes(), path.name)
        assert scan.ok and scan.problems == [], (path.name, scan.problems)
        assert "_様式情報" in scan.sheets
    scan = scan_return(base, "base.xlsx")
    assert scan.problems == [] and scan.formulas == {} and scan.error_values == {} and scan.merges == {}


def test_file_checks_before_reading(tmp_path):
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    assert check_file(fifo).code == "RETURN_NOT_A_FILE"  # returns at once: a pipe is never opened
    link = tmp_path / "zero.xlsx"
    link.symlink_to("/dev/zero")
    assert check_file(link).code == "RETURN_NOT_A_FILE"
    big = tmp_path / "big.xlsx"
    with open(big, "wb") as f:
        f.truncate(21 * MB)
    d = check_file(big)
    assert d.code == "RETURN_TOO_LARGE" and "21.0 MB" in d.message and "20.0 MB" in d.message
    assert check_file(tmp_path / "missing.xlsx").code == "RETURN_UNREADABLE"
    small = tmp_path / "ok.xlsx"
    small.write_bytes(b"PK")
    assert check_file(small) is None


def test_zip_bomb_is_refused_before_anything_is_inflated(kit, monkeypatch):
    _, _, base = kit
    bomb = zip_bomb_member(base, 100 * MB)
    assert len(bomb) < 1 * MB
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(name) or real_open(self, name, *a, **k))
    scan = scan_return(bomb, "bomb.xlsx")
    assert _codes(scan) == ["RETURN_ZIP_BOMB"] and opened == []
    assert "圧縮爆弾" in scan.problems[0].message and "xl/media/padding.xml" in scan.problems[0].message


def test_a_part_that_lies_about_its_size_is_refused_with_bounded_work(kit):
    _, _, base = kit
    liar = lying_sizes_zip(base)
    tracemalloc.start()
    try:
        scan = scan_return(liar, "liar.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert _codes(scan) == ["RETURN_TRUNCATED"]
    assert peak < 8 * MB  # the 64 MB it would inflate to is never held


@pytest.mark.parametrize("part", ["sheet", "xl/styles.xml", "xl/workbook.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels", "docProps/core.xml"])
def test_billion_laughs_in_any_part_is_refused_at_the_doctype(kit, part):
    _, _, base = kit
    if part == "sheet":
        part = "xl/worksheets/sheet4.xml"
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        original = z.read(part)
    body = re.sub(rb"^<\?xml[^>]*\?>", b"", original)
    bomb = rewrite_zip(base, {part: BILLION_LAUGHS.encode() + body})
    scan = scan_return(bomb, "laughs.xlsx")  # returns at all: the entities were never expanded
    assert _codes(scan) == ["RETURN_XML_ENTITIES"], scan.problems
    assert part in scan.problems[0].message


def test_the_fast_reader_itself_does_not_expand_entities(kit, tmp_path):
    """Belt and braces: python-calamine refuses unknown entities even if the scan were bypassed."""
    import python_calamine

    _, _, base = kit
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        body = re.sub(rb"^<\?xml[^>]*\?>", b"", z.read("xl/worksheets/sheet4.xml"))
    body = body.replace(b'<c r="B6"', b'<c r="B6" t="inlineStr"><is><t>&lol9;</t></is></c><c r="Z6"', 1)
    path = tmp_path / "laughs.xlsx"
    path.write_bytes(rewrite_zip(base, {"xl/worksheets/sheet4.xml": BILLION_LAUGHS.encode() + body}))
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    with pytest.raises(Exception, match="entity"):
        book.get_sheet_by_name("担当者").to_python()


def test_many_rows_are_refused_early_with_bounded_memory(kit):
    _, _, base = kit
    big = with_many_rows(base, INDICATOR_SHEET, 100_000)
    tracemalloc.start()
    try:
        scan = scan_return(big, "rows.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (d,) = scan.problems
    assert d.code == "RETURN_TOO_MANY_ROWS" and d.sheet == INDICATOR_SHEET and d.cell.endswith("5001")
    assert "5,001行目" in d.message
    assert peak < 4 * MB  # refused early: the memory stays small (the time is in benchmarks)


@pytest.mark.parametrize(
    ("limits", "code"),
    [
        (SafetyLimits(max_rows=10), "RETURN_TOO_MANY_ROWS"),
        (SafetyLimits(max_cols=5), "RETURN_TOO_MANY_COLUMNS"),
        (SafetyLimits(max_cells=50), "RETURN_TOO_MANY_CELLS"),
        (SafetyLimits(max_grid_cells=100), "RETURN_TOO_MANY_CELLS"),
        (SafetyLimits(max_sheets=3), "RETURN_TOO_MANY_SHEETS"),
        (SafetyLimits(max_members=5), "RETURN_ZIP_BOMB"),
        (SafetyLimits(max_total_bytes=50_000), "RETURN_ZIP_BOMB"),
        (SafetyLimits(max_part_bytes=10_000), "RETURN_ZIP_BOMB"),
        (SafetyLimits(max_string_chars=20), "RETURN_STRING_TOO_LONG"),
        (SafetyLimits(max_file_bytes=1000), "RETURN_TOO_LARGE"),
    ],
)
def test_each_limit_refuses(kit, limits, code):
    _, _, base = kit
    scan = scan_return(base, "r.xlsx", limits)
    assert [d.code for d in scan.errors] == [code]
    assert scan.errors[0].message


def test_formulas_error_values_and_merges_are_recorded(kit):
    _, _, base = kit
    data = replace_cell(base, INDICATOR_SHEET, "S4", lambda s: f'<c r="S4"{s}><f>1000+390</f><v>1390</v></c>')
    data = replace_cell(data, INDICATOR_SHEET, "T4", lambda s: f'<c r="T4"{s}><f t="shared" si="0"/></c>')
    data = replace_cell(data, INDICATOR_SHEET, "T6", lambda s: f'<c r="T6"{s} t="str"><f>""</f><v></v></c>')
    data = replace_cell(data, INDICATOR_SHEET, "T8", lambda s: f'<c r="T8"{s} t="e"><v>#N/A</v></c>')
    data = rewrite_zip(data, {"xl/worksheets/sheet2.xml": lambda b: b.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="U10:V11"/></mergeCells>', 1)})
    scan = scan_return(data, "f.xlsx")
    assert scan.ok, scan.problems
    f = scan.formulas
    assert f[(INDICATOR_SHEET, "S4")].cached and f[(INDICATOR_SHEET, "S4")].formula == "1000+390"
    assert not f[(INDICATOR_SHEET, "T4")].cached  # a shared formula with no saved result
    assert f[(INDICATOR_SHEET, "T6")].cached  # an empty string is a saved result
    assert scan.error_values == {(INDICATOR_SHEET, "T8"): "#N/A"}
    assert scan.merges == {INDICATOR_SHEET: [(10, 21, 11, 22)]}


@pytest.mark.parametrize("merges", [3, 12])
def test_a_scan_for_the_identity_sheet_alone_skips_what_only_a_whole_reading_reports(kit, monkeypatch, merges):
    """Merged ranges (formulas, error values) are recorded for `annotate`, which a reading by the
    identity sheet alone never runs: its scan judges that sheet by the fast scan even with them
    (without four more passes over it), unless they could be more than `max_flagged_cells` allows,
    so that the verdict is the full parser's in both cases."""
    from envplan.survey.template_layout import IDENTITY_SHEET

    _, _, base = kit
    part = scan_return(base, "r.xlsx").sheet_parts[IDENTITY_SHEET]
    refs = "".join(f'<mergeCell ref="X{i}:Y{i}"/>' for i in range(1, merges + 1))
    data = rewrite_zip(base, {part: lambda b: b.replace(b"</sheetData>", f'</sheetData><mergeCells count="{merges}">{refs}</mergeCells>'.encode(), 1)})
    only = frozenset({IDENTITY_SHEET})
    original = return_safety._fast_scan
    judged: list[bool] = []

    def judging(*args, **kwargs):  # type: ignore[no-untyped-def]
        judged.append(original(*args, **kwargs))
        return judged[-1]

    for limits in (return_safety.LIMITS, SafetyLimits(max_flagged_cells=10)):
        judged.clear()
        monkeypatch.setattr(return_safety, "_fast_scan", judging)
        fast = scan_return(data, "r.xlsx", limits, only_sheets=only)
        monkeypatch.setattr(return_safety, "_fast_scan", lambda *a, **k: False)
        full = scan_return(data, "r.xlsx", limits, only_sheets=only)
        assert [(d.code, d.sheet) for d in fast.problems] == [(d.code, d.sheet) for d in full.problems]
        if limits is return_safety.LIMITS:
            assert judged == [True] and fast.ok  # by the fast scan, merges and all
        else:  # as many merges as the limit allows could be in the part: the parser counts them
            assert judged == [False]
            assert [d.code for d in fast.errors] == (["RETURN_TOO_MANY_CELLS"] if merges > 10 else [])
    assert scan_return(data, "r.xlsx").merges[IDENTITY_SHEET][:1] == [(1, 24, 1, 25)]  # a whole scan records them


def _inspect(kit, data: bytes, tmp_path: Path, name: str = "r.xlsx"):
    master, _, _ = kit
    path = tmp_path / name
    path.write_bytes(data)
    key = load_key(master)
    return inspect_return(path, key, key_id(key))


def test_inputs_with_formulas_errors_and_merges_are_reported_with_their_cell(kit, tmp_path):
    _, _, base = kit
    data = replace_cell(base, INDICATOR_SHEET, "S4", lambda s: f'<c r="S4"{s}><f>1000+390</f><v>1390</v></c>')
    data = replace_cell(data, INDICATOR_SHEET, "T4", lambda s: f'<c r="T4"{s}><f>A1*2</f></c>')
    data = replace_cell(data, INDICATOR_SHEET, "T6", lambda s: f'<c r="T6"{s} t="e"><v>#DIV/0!</v></c>')
    data = rewrite_zip(data, {"xl/worksheets/sheet2.xml": lambda b: b.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="S7:T7"/></mergeCells>', 1)})
    rf = _inspect(kit, data, tmp_path)
    assert rf.attributable
    by_cell = {(d.cell, d.code): d for d in rf.reading.diagnostics.items}
    assert by_cell[("S4", "RETURN_FORMULA")].severity == "warning"
    assert by_cell[("T4", "RETURN_FORMULA_NO_VALUE")].severity == "error"
    assert "=A1*2" in by_cell[("T4", "RETURN_FORMULA_NO_VALUE")].message
    assert by_cell[("T6", "RETURN_CELL_ERROR")].severity == "error" and "#DIV/0!" in by_cell[("T6", "RETURN_CELL_ERROR")].message
    assert by_cell[("T7", "RETURN_MERGED_INPUT")].severity == "error" and "S7:T7" in by_cell[("T7", "RETURN_MERGED_INPUT")].message
    assert ("S7", "RETURN_MERGED_INPUT") not in by_cell  # the first cell of a merge shows its value
    values = {inp.spec.ref: inp.value for inp in rf.reading.inputs if inp.spec.sheet == INDICATOR_SHEET}
    assert values["S4"] == 1390 and values["T4"] is None and values["T6"] is None
    assert all(d.file == "r.xlsx" for d in rf.reading.diagnostics.items)


def test_shared_strings_are_read_and_checked(kit, tmp_path):
    _, _, base = kit
    sheet, ref = INDICATOR_SHEET, "S6"  # S01's 備考 (below its 実績値 and 速報・確定)
    rf = _inspect(kit, with_shared_string(base, sheet, ref, "共有文字列の備考"), tmp_path)
    assert rf.attributable and not rf.reading.diagnostics.errors
    assert next(i.value for i in rf.reading.inputs if i.spec.key == NOTE) == "共有文字列の備考"


def test_macros_and_external_links_are_flagged_as_warnings(kit, tmp_path):
    from hostile_corpus import with_external_link, with_macros

    _, _, base = kit
    rf = _inspect(kit, with_macros(base), tmp_path, "m.xlsm")
    assert rf.attributable and [d.code for d in rf.reading.diagnostics.items] == ["RETURN_MACROS"]
    assert "実行せず" in rf.reading.diagnostics.items[0].message
    rf = _inspect(kit, with_external_link(base, INDICATOR_SHEET, "S4"), tmp_path, "l.xlsx")
    codes = [d.code for d in rf.reading.diagnostics.items]
    assert "RETURN_EXTERNAL_LINK" in codes and "RETURN_FORMULA" in codes and not rf.reading.diagnostics.errors


def test_password_protected_workbook_is_refused_with_what_to_do(kit, tmp_path):
    from hostile_corpus import _encrypt

    _, _, base = kit
    rf = _inspect(kit, _encrypt(base, "p@ss"), tmp_path)
    (d,) = rf.problems
    assert d.code == "RETURN_ENCRYPTED" and "パスワード" in d.message and "消して保存" in d.message


def test_text_inputs_are_cleaned_with_warnings(kit, tmp_path):
    _, _, base = kit
    data = replace_cell(base, "担当者", "B6", inline("B6", "環境_x0001_太郎\u202e"))
    rf = _inspect(kit, data, tmp_path)
    contact = next(i for i in rf.reading.inputs if i.spec.key == CONTACT)
    assert contact.value == "環境太郎"
    codes = {d.code: d for d in rf.reading.diagnostics.items}
    assert codes["TEXT_CONTROL_CHARS"].cell == "B6" and "U+0001" in codes["TEXT_CONTROL_CHARS"].message
    assert "U+202E" in codes["TEXT_BIDI_CONTROL"].message


_INVISIBLE = st.sampled_from(["\x00", "\x01", "\x08", "\x0b", "\x1f", "\x7f", "\x85", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\ufeff", "\ud800", "\uffff"])


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.one_of(st.text(max_size=5), _INVISIBLE), max_size=12).map("".join))
def test_cleaned_text_is_always_writable_and_never_silently_changed(text):
    from envplan.survey.return_safety import _BIDI, _CONTROL, _clean_text

    diags = DiagnosticList()
    cleaned = _clean_text(text, "備考", "指標", "S5", diags)
    ws = openpyxl.Workbook().active
    ws["A1"] = cleaned  # openpyxl refuses characters XML cannot hold: cleaned text never has them
    ws.parent.save(io.BytesIO())
    assert cleaned == (_BIDI.sub("", _CONTROL.sub("", text)).strip() or None)  # nothing else is changed
    warned = {d.code for d in diags.items} & {"TEXT_CONTROL_CHARS", "TEXT_BIDI_CONTROL"}
    assert bool(warned) == bool(_CONTROL.search(text) or _BIDI.search(text))  # every removal is reported


def test_a_number_typed_with_400_digits_is_not_infinity():
    reading = read_number("9" * 400)
    assert reading.error == "NUMBER_NOT_FINITE" and reading.value is None


def test_annotate_without_findings_changes_nothing(kit, tmp_path):
    _, _, base = kit
    rf = _inspect(kit, base, tmp_path)
    before = [(i.spec.key, i.value) for i in rf.reading.inputs]
    annotate(rf.reading, scan_return(base, "again"))
    assert [(i.spec.key, i.value) for i in rf.reading.inputs] == before
    assert next(i.value for i in rf.reading.inputs if i.spec.key == NUM) == 1390

