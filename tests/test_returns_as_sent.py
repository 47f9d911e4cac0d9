"""Returns as departments really send them, and what Excel shows in the files we write
(issue 13 §2): variants of the status words, a phone number typed as a number, the
instructions sheet deleted, and the xlsx XML of templates, masters and change logs."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import cli_json
from envplan.survey.consolidate import consolidate
from envplan.survey.template_layout import GUIDE_SHEET, INDICATOR_SHEET
from envplan.workbook.layout import MAX_SHEET_NAME, SHEET_NAME_FORBIDDEN, layout
from returns_kit import copy_master, fill, issued_master, read_plan

P1_STATUS = ("project", "P1", 2022, "status")
S01_2021 = ("value", "S01", 2021, "actual")


@pytest.fixture(scope="module")
def base(sample_masters, tmp_path_factory):
    return issued_master(sample_masters["all"], tmp_path_factory.mktemp("as_sent"))


@pytest.fixture
def master(base, tmp_path):
    return copy_master(base[0], tmp_path)


@pytest.fixture
def templates(base):
    return base[1]


def _codes(f: dict) -> list[str]:
    return [d["code"] for d in f["errors"] + f["warnings"]]


def test_an_obvious_variant_of_a_status_word_is_accepted_with_a_warning(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], {S01_2021: 1390, P1_STATUS: "予定通り", ("project", "P3", 2022, "status"): "遅延"}, inbox / "環境課.xlsx")
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 0, data
    f = data["files"][0]
    assert f["status"] == "accepted" and _codes(f).count("CHOICE_VARIANT") == 2
    assert any("「予定通り」を「予定どおり」として読みました" in w["message"] for w in f["warnings"])
    projects = {p.id: p for p in read_plan(master).projects}
    assert projects["P1"].status_in(2022).status == "予定どおり" and projects["P3"].status_in(2022).status == "遅れ"


def test_look_alike_marks_and_other_spellings_of_a_choice_are_read_with_a_warning(master, templates, tmp_path):
    """〇 (U+3007) for ○ and × (U+00D7) for ✕ look the same on screen; 速報値 for 速報 and A2 for AⅡ
    are what a clerk types without the list. Each is read as the choice, with a warning naming it."""
    inbox = tmp_path / "inbox"
    fill(
        templates["環境課"],
        {
            S01_2021: 1390,
            ("value", "S01", 2021, "mark"): "速報値",
            ("judgement", "S01", 2021, "level"): "〇",
            ("judgement", "S02", 2021, "level"): "×",
        },
        inbox / "環境課.xlsx",
    )
    fill(templates["地球環境推進室"], {("rating", "41303000", 2022, "rating"): "A2", ("rating", "41303000", 2022, "reason"): "一部未達のため"}, inbox / "地球環境推進室.xlsx")
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    by_dept = {f["department"]: f for f in data["files"]}
    env, kawasaki = by_dept["環境課"], by_dept["地球環境推進室"]
    assert env["status"] == "accepted" and not env["errors"], env["errors"]
    messages = [w["message"] for w in env["warnings"] if w["code"] == "CHOICE_VARIANT"]
    assert len(messages) == 3 and any("「〇」を「○」として読みました" in m for m in messages) and any("「速報値」を「速報」" in m for m in messages), messages
    assert kawasaki["status"] == "accepted" and "CHOICE_VARIANT" in _codes(kawasaki), kawasaki["errors"]
    plan = read_plan(master)
    assert plan.indicator("S01").values[2021].mark == "速報"
    assert plan.indicator("S01").judgement(2021).level == "○" and plan.indicator("S02").judgement(2021).level == "✕"
    assert plan.policy("41303000").rating_in(2022).rating == "AⅡ"


def test_a_word_that_is_no_status_is_still_rejected(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], {S01_2021: 1390, P1_STATUS: "順調"}, inbox / "環境課.xlsx")
    f = consolidate(master, inbox).files[0]
    assert f.status == "rejected" and "CHOICE_INVALID" in _codes(f.model_dump())


def test_a_phone_number_typed_as_a_number_gets_a_warning(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], {S01_2021: 1390, ("department", "環境課", "phone"): 354321111}, inbox / "環境課.xlsx")
    f = consolidate(master, inbox).files[0]
    assert f.status == "accepted"
    phone = [w for w in f.warnings if w["code"] == "PHONE_AS_NUMBER"]
    assert phone and phone[0]["sheet"] == "担当者" and "先頭の0" in phone[0]["message"]


def test_deleting_the_instructions_sheet_is_a_warning_not_a_reject(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    filled = fill(templates["環境課"], {S01_2021: 1390}, tmp_path / "filled.xlsx")
    wb = openpyxl.load_workbook(filled)
    del wb[GUIDE_SHEET]
    inbox.mkdir()
    wb.save(inbox / "環境課.xlsx")
    f = consolidate(master, inbox).files[0]
    assert f.status == "accepted" and f.changes >= 1
    assert "RETURN_GUIDE_SHEET_MISSING" in _codes(f.model_dump())
    assert read_plan(master).indicator("S01").values[2021].actual == 1390


# --- what Excel shows: the XML of the files we write ------------------------------------


def _styles_formats(path: Path) -> dict[int, str]:
    xml = zipfile.ZipFile(path).read("xl/styles.xml").decode()
    return {int(i): f for i, f in re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', xml)}


def test_template_number_formats_show_whole_numbers_without_a_point(templates):
    for path in templates.values():
        formats = _styles_formats(path)
        # 「#,##0.##」: Excel shows 1324 as 「1,324.」 (LibreOffice hides the point, so only the XML tells).
        assert not [f for f in formats.values() if re.search(r"0\.#", f)], (path.name, formats)
    wb = openpyxl.load_workbook(templates["環境課"])
    ws = wb[INDICATOR_SHEET]
    col = {ws.cell(3, c).value: c for c in range(1, ws.max_column + 1)}
    cell = ws.cell(4, col["2020年度"])
    assert cell.value == 1346 and cell.number_format == "General"  # an input: shows what is typed
    cell = ws.cell(4, col["2019年度"])
    assert cell.value == 1375 and cell.number_format == "#,##0"  # a locked past year
    cell = ws.cell(9, col["2019年度"])  # S02's 実績値 (below S01's 実績値, 速報・確定, 備考, 評価 and 評価の理由)
    assert cell.value == 1.72 and cell.number_format == "#,##0.00"


def test_the_master_shows_whole_numbers_without_a_point(master, tmp_path):
    """The same audit on the master, as written and after a computation writes its result sheets:
    its figures as typed (General), each computed figure with its own decimals (1,324 / 1,324.5)."""
    from conftest import cli_json

    assert cli_json("compute", str(master), "--json")[0] in (0, 1)
    formats = _styles_formats(master)
    assert not [f for f in formats.values() if re.search(r"0\.#", f)], formats
    wb = openpyxl.load_workbook(master)
    shown = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=4):
            for c in row:
                if isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
                    shown.setdefault(ws.title, set()).add((c.number_format, float(c.value).is_integer()))
    assert ("General", True) in shown["指標実績"] and ("General", False) in shown["指標実績"]
    results = {fmt for (fmt, whole) in shown["達成状況"] if fmt not in ("General", '0"年度"', "0.0%")}
    assert "#,##0" in results and any(f.startswith("#,##0.0") for f in results), shown["達成状況"]


def test_a_master_made_before_gets_the_formats_of_a_new_one_when_next_saved(master, templates, tmp_path):
    """A master written with the old formats (#,##0.######## in 指標実績, #,##0.## in a 評価票, as envplan
    wrote them before): the next consolidation retires them on envplan's sheets, not on the section's own."""
    wb = openpyxl.load_workbook(master)
    numbers = [c for ws in (wb["指標実績"], wb["指標"]) for row in ws.iter_rows(min_row=4) for c in row if isinstance(c.value, (int, float))]
    for c in numbers:
        c.number_format = "#,##0.########"
    own = wb.create_sheet("課の集計")
    own["A1"] = 1324
    own["A1"].number_format = "#,##0.##"  # the section's own sheet and format: left as it is
    wb.save(master)
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], {S01_2021: 1390}, inbox / "環境課.xlsx")
    assert consolidate(master, inbox).written
    wb = openpyxl.load_workbook(master)
    left = [c.coordinate for ws in (wb["指標実績"], wb["指標"]) for row in ws.iter_rows(min_row=4) for c in row if c.number_format == "#,##0.########"]
    assert left == [] and wb["課の集計"]["A1"].number_format == "#,##0.##"


def test_template_has_no_empty_year_columns(templates):
    """Issue 11 item 9: no columns for years none of the department's indicators has a value for."""
    wb = openpyxl.load_workbook(templates["環境課"])
    ws = wb[INDICATOR_SHEET]
    year_cols = [c for c in range(1, ws.max_column + 1) if re.fullmatch(r"\d{4}年度", str(ws.cell(3, c).value or ""))]
    assert year_cols
    for c in year_cols:
        filled = [ws.cell(r, c).value for r in range(4, ws.max_row + 1) if ws.cell(r, c).value is not None]
        inputs = [r for r in range(4, ws.max_row + 1) if ws.cell(r, c).protection.locked is False]
        assert filled or inputs, f"empty column {ws.cell(3, c).value}"
    assert ws.cell(3, year_cols[0]).value == "2012年度"  # S01's first value; 2010 and 2011 were empty


def test_print_titles_are_written_the_way_excel_writes_them(templates):
    xml = zipfile.ZipFile(templates["環境課"]).read("xl/workbook.xml").decode()
    titles = re.findall(r'<definedName name="_xlnm.Print_Titles"[^>]*>([^<]*)</definedName>', xml)
    assert titles
    for t in titles:
        parts = t.split(",")
        if len(parts) == 2:  # columns first, then rows, as Excel writes them
            assert re.search(r"!\$[A-Z]+:\$[A-Z]+$", parts[0]) and re.search(r"!\$\d+:\$\d+$", parts[1]), t
    assert any(len(t.split(",")) == 2 for t in titles)
    ws = openpyxl.load_workbook(templates["環境課"])[INDICATOR_SHEET]
    assert (ws.print_title_rows, ws.print_title_cols) == ("$1:$3", "$A:$B")  # and read back the same


def test_master_validation_lists_are_stored_without_an_equals_sign(tmp_path):
    master = tmp_path / "blank.xlsx"
    rc, _ = cli_json("init", str(master), "--json")
    assert rc == 0
    with zipfile.ZipFile(master) as z:
        formulas = [f for name in z.namelist() if name.startswith("xl/worksheets/sheet") for f in re.findall(r"<formula1>([^<]*)</formula1>", z.read(name).decode())]
    assert any(f.startswith("list_") for f in formulas), formulas
    assert not [f for f in formulas if f.startswith("=")]


def test_change_log_links_are_locations_in_the_book(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], {S01_2021: 1390}, inbox / "環境課.xlsx")
    consolidate(master, inbox)
    fill(templates["環境課"], {S01_2021: 1402}, inbox / "環境課.xlsx")
    consolidate(master, inbox)  # the second run appends to 変更履歴
    wb = openpyxl.load_workbook(master)
    links = [c.hyperlink for row in wb["変更履歴"].iter_rows() for c in row if c.hyperlink is not None]
    assert len(links) >= 2
    for link in links:
        assert link.location and not link.target, (link.location, link.target)


@pytest.mark.parametrize("code", ["41303000", "A/B:C*?", "[施策]", "x" * 40, "施策コードがとても長い" * 4, "'引用'"])
def test_policy_sheet_names_are_ones_excel_accepts(code):
    name = layout().policy_sheet_name(code)
    assert 1 <= len(name) <= MAX_SHEET_NAME and not (set(name) & SHEET_NAME_FORBIDDEN) and not name.startswith("'") and not name.endswith("'")
    wb = openpyxl.Workbook()
    wb.create_sheet(name)  # openpyxl refuses what Excel refuses
    if code == "41303000":
        assert name == "評価票_41303000"


def test_two_long_codes_never_share_a_sheet():
    lay = layout()
    a, b = "x" * 40 + "1", "x" * 40 + "2"
    assert lay.policy_sheet_name(a) != lay.policy_sheet_name(b)
    assert lay.policy_sheet_name("A/B") != lay.policy_sheet_name("A:B")


def test_a_libreoffice_resave_keeps_one_print_titles_name_per_sheet(templates, tmp_path):
    from conftest import soffice_convert

    src = tmp_path / "t.xlsx"
    src.write_bytes(templates["環境課"].read_bytes())
    out = soffice_convert(src, 'xlsx:Calc MS Excel 2007 XML', tmp_path / "lo")
    xml = zipfile.ZipFile(out).read("xl/workbook.xml").decode()
    sheets = re.findall(r'<definedName[^>]*localSheetId="(\d+)"[^>]*name="_xlnm.Print_Titles"', xml) + re.findall(r'<definedName[^>]*name="_xlnm.Print_Titles"[^>]*localSheetId="(\d+)"', xml)
    assert sheets and len(sheets) == len(set(sheets)), xml


def test_editing_a_grey_past_year_cell_says_what_the_cell_is(master, templates, tmp_path):
    from returns_kit import edit_cells

    wb = openpyxl.load_workbook(templates["環境課"])
    ws = wb[INDICATOR_SHEET]
    col = {ws.cell(3, c).value: ws.cell(3, c).column_letter for c in range(1, ws.max_column + 1)}
    inbox = tmp_path / "inbox"
    edit_cells(templates["環境課"], {(INDICATOR_SHEET, f"{col['2019年度']}4"): 1380}, inbox / "環境課.xlsx")
    f = consolidate(master, inbox).files[0]
    assert f.status == "rejected"
    [e] = [e for e in f.errors if e["code"] == "RETURN_PAST_YEAR_EDITED"]
    assert "S01 2019年度の実績値の欄" in e["message"] and "発行時「1375」" in e["message"] and "黄色の欄に入力" not in e["message"]


S08_2022 = ("value", "S08", 2022, "actual")  # a % indicator of 環境課 (50.6 issued)


def _percent_typed(template: Path, out: Path, value: float, fmt: str, key: tuple = S08_2022) -> Path:
    """What Excel stores for 「28.4%」 typed into a cell: 0.284, shown with a percent format."""
    from envplan.survey.template_fill import fill_template, input_cells

    filled = fill_template(template, {S01_2021: 1390}, out)
    spec = input_cells(filled)[key]
    wb = openpyxl.load_workbook(filled)
    wb[spec.sheet][spec.ref].value = value
    wb[spec.sheet][spec.ref].number_format = fmt
    wb.save(out)
    return out


@pytest.mark.parametrize("through_libreoffice", [False, True])
def test_a_percent_formatted_cell_is_read_as_percent_points(master, templates, tmp_path, through_libreoffice):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    made = _percent_typed(templates["環境課"], tmp_path / "made" / "環境課.xlsx", 0.284, "0.0%")
    if through_libreoffice:
        from conftest import soffice_convert

        made = soffice_convert(made, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    (inbox / "環境課.xlsx").write_bytes(made.read_bytes())
    f = consolidate(master, inbox).files[0]
    assert f.status == "accepted", f.errors
    assert read_plan(master).indicator("S08").values[2022].actual == pytest.approx(28.4)
    assert "PERCENT_LOOKS_LIKE_FRACTION" not in _codes(f.model_dump())


def test_a_percentage_typed_for_a_figure_not_in_percent_is_refused_naming_the_format(master, templates, tmp_path):
    """「50%」 typed for S01 (千t-CO2) is stored as 0.5: neither 0.5 nor 50 can be taken for sure."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _percent_typed(templates["環境課"], inbox / "環境課.xlsx", 0.5, "0%", key=S01_2021)
    result = consolidate(master, inbox)
    f = result.files[0]
    assert f.status == "rejected"
    [e] = [e for e in f.errors if e["code"] == "NUMBER_IS_PERCENT"]
    assert "表示形式がパーセント" in e["message"] and "「50%」" in e["message"] and "千t-CO2" in e["message"], e["message"]
    assert result.changes == 0
    copy = openpyxl.load_workbook(f.feedback)[e["sheet"]][e["cell"]]
    assert "%" not in copy.number_format  # the feedback copy is back in the issued format: the clerk's 1390 is read as 1390


def test_a_fraction_on_a_percent_indicator_gets_a_warning(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], {S01_2021: 1390, S08_2022: 0.284}, inbox / "環境課.xlsx")
    f = consolidate(master, inbox).files[0]
    assert f.status == "accepted"
    [w] = [w for w in f.warnings if w["code"] == "PERCENT_LOOKS_LIKE_FRACTION"]
    assert "28.4 と入力してください" in w["message"]
    assert read_plan(master).indicator("S08").values[2022].actual == pytest.approx(0.284)  # never changed silently


def test_the_feedback_copy_restores_the_format_so_the_fix_is_read(master, templates, tmp_path):
    """A cell left in a date format reads the clerk's 5 as 1900-01-05: the feedback copy gives the
    cell back its number format and validation, so the corrected copy is accepted."""
    from envplan.survey.template_fill import fill_template, input_cells

    inbox = tmp_path / "inbox"
    filled = fill_template(templates["環境課"], {S01_2021: 1390}, tmp_path / "made.xlsx")
    spec = input_cells(filled)[S08_2022]
    wb = openpyxl.load_workbook(filled)
    ws = wb[spec.sheet]
    ws[spec.ref].value = 5
    ws[spec.ref].number_format = "yyyy/m/d"
    ws.data_validations.dataValidation = [dv for dv in ws.data_validations.dataValidation if spec.ref not in dv.sqref]  # pasted over
    inbox.mkdir()
    wb.save(inbox / "環境課.xlsx")
    f = consolidate(master, inbox).files[0]
    assert f.status == "rejected"
    [e] = [e for e in f.errors if e["cell"] == spec.ref]
    assert e["code"] == "NUMBER_IS_DATE" and "表示形式" in e["message"]
    copy_wb = openpyxl.load_workbook(f.feedback)
    cell = copy_wb[spec.sheet][spec.ref]
    assert cell.number_format == "General"
    assert any(spec.ref in dv.sqref and dv.type == "decimal" for dv in copy_wb[spec.sheet].data_validations.dataValidation)
    cell.value = 5  # the clerk retypes the figure in the feedback copy and sends it back
    (inbox / "環境課.xlsx").unlink()
    copy_wb.save(inbox / "環境課_修正.xlsx")
    again = consolidate(master, inbox)
    assert [x.status for x in again.files] == ["accepted"], [x.errors for x in again.files]
    assert read_plan(master).indicator("S08").values[2022].actual == 5


def _structural(template: Path, out: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    from envplan.survey.template_fill import fill_template

    filled = fill_template(template, {S01_2021: 1390}, out)
    wb = openpyxl.load_workbook(filled)
    edit(wb[INDICATOR_SHEET])
    wb.save(out)
    return out


def _first_two_blocks(ws) -> tuple[list[int], list[int]]:  # type: ignore[no-untyped-def]
    """The rows of the first two indicators (S01's, then S02's), however many rows each has."""
    ids = [ws.cell(r, 1).value for r in range(4, ws.max_row + 1)]
    first, second = ids[0], next(i for i in ids if i != ids[0])
    return [4 + n for n, i in enumerate(ids) if i == first], [4 + n for n, i in enumerate(ids) if i == second]


def _sort_two_blocks(ws) -> None:  # type: ignore[no-untyped-def]
    """S02's block moved above S01's, as a sort by ID descending would."""
    a, b = _first_two_blocks(ws)
    order = b + a
    rows = {r: [ws.cell(r, c).value for c in range(1, ws.max_column + 1)] for r in order}
    for r, src in zip(a + b, order):
        for c, v in enumerate(rows[src], 1):
            ws.cell(r, c).value = v


def _sort_two_blocks_and_edit_one(ws) -> None:  # type: ignore[no-untyped-def]
    a, b = _first_two_blocks(ws)
    _sort_two_blocks(ws)
    ws.cell((a + b)[len(b)], 3).value = "kt"  # a unit changed in a moved row: the row is no longer as issued, so not matched back


def test_sorted_rows_are_matched_back_by_their_ids(master, templates, tmp_path):
    """Issue 13 §2: the indicator rows sorted (S02 above S01), each row whole: accepted with a
    warning, and each value lands on the indicator of its row, not on the row's old position."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    wb = openpyxl.load_workbook(templates["環境課"])
    ws = wb[INDICATOR_SHEET]
    a, b = _first_two_blocks(ws)
    assert (ws.cell(a[0], 1).value, ws.cell(b[0], 1).value) == ("S01", "S02")
    year = next(c for c in range(1, ws.max_column + 1) if ws.cell(3, c).value == "2022年度")
    _structural(templates["環境課"], inbox / "環境課.xlsx", lambda ws: None)
    wb = openpyxl.load_workbook(inbox / "環境課.xlsx")
    ws = wb[INDICATOR_SHEET]
    ws.cell(a[0], year).value, ws.cell(b[0], year).value = 111, 222  # S01 and S02 2022, typed before sorting
    _sort_two_blocks(ws)
    wb.save(inbox / "環境課.xlsx")
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    f = data["files"][0]
    assert rc == 0 and f["status"] == "accepted", f["errors"][:3]
    [w] = [w for w in f["warnings"] if w["code"] == "RETURN_ROWS_SORTED"]
    assert "行が並べ替えられていましたが、指標IDで照合して受け付けました" in w["message"] and w["sheet"] == INDICATOR_SHEET
    plan = read_plan(master)
    assert plan.indicator("S01").values[2021].actual == 1390
    assert plan.indicator("S01").values[2022].actual == 111 and plan.indicator("S02").values[2022].actual == 222


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda ws: ws.insert_rows(6), "6行目に行が挿入されています"),
        (lambda ws: ws.delete_rows(12, 2), "発行時の12行目（S02 評価）・13行目（S02 評価の理由）が削除されています"),  # S02: rows 9–13
        (lambda ws: ws.delete_rows(6), "発行時の6行目（S01 備考）が削除されています"),  # in the middle of S01's rows 4–8
        (lambda ws: ws.delete_rows(4), "発行時の4行目（S01 実績値）が削除されています"),
        (_sort_two_blocks_and_edit_one, "行が並べ替えられています"),
        (lambda ws: ws.insert_cols(3), "C列に列が挿入されています"),
    ],
    ids=["row inserted", "rows deleted", "a middle row deleted", "a first row deleted", "rows sorted and a definition changed", "column inserted"],
)
def test_a_structural_edit_is_one_clear_message(master, templates, tmp_path, edit, expected):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _structural(templates["環境課"], inbox / "環境課.xlsx", edit)
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 1
    f = data["files"][0]
    on_sheet = [e for e in f["errors"] if e["sheet"] == INDICATOR_SHEET]
    assert len(on_sheet) == 1, [e["message"] for e in on_sheet][:5]
    assert on_sheet[0]["code"] == "RETURN_STRUCTURE_CHANGED" and expected in on_sheet[0]["message"], on_sheet[0]["message"]
