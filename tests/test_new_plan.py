"""A new city's plan (issue 11): `envplan init` takes the municipality, the plan and
its period; `envplan period` changes the period later; validate reports year
columns that do not match 設定 and values outside the period."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl

from conftest import cli_json, run_cli
from envplan.plan.model import Category, Department, Indicator, Phase, Plan, Project, YearValue
from envplan.plan.targets import LevelTarget
from envplan.workbook.layout import HEADER_ROW, layout
from envplan.workbook.writer import save_master
from returns_kit import set_setting


def _year_headers(master: Path, key: str) -> list[str]:
    ws = openpyxl.load_workbook(master)[layout()[key].name]
    return [str(c.value) for c in ws[HEADER_ROW] if c.value and str(c.value).endswith("年度") and str(c.value)[:4].isdigit()]


def _settings(master: Path) -> dict[str, object]:
    ws = openpyxl.load_workbook(master)[layout()["settings"].name]
    return {r[0]: r[2] for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if r[0]}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_init_takes_the_plan_and_builds_its_year_columns(tmp_path: Path) -> None:
    master = tmp_path / "master.xlsx"
    code, data = cli_json("init", master, "--municipality", "緑川市", "--name", "緑川市環境基本計画", "--start", "R3", "--end", "2030", "--current", "令和6年度", "--json")
    assert code == 0 and data["ok"], data
    settings = _settings(master)
    assert (settings["municipality"], settings["name"], settings["start_fy"], settings["end_fy"], settings["current_fy"]) == ("緑川市", "緑川市環境基本計画", 2021, 2030, 2024)
    expected = [f"{fy}年度" for fy in range(2021, 2031)]
    assert _year_headers(master, "values") == expected
    assert _year_headers(master, "phases") == expected
    code, data = cli_json("validate", master, "--json")
    assert code == 0 and data["errors"] == [], data


def test_init_refuses_a_period_that_cannot_be(tmp_path: Path) -> None:
    master = tmp_path / "master.xlsx"
    proc = run_cli("init", master, "--start", "2030", "--end", "2021")
    assert proc.returncode == 1 and "開始年度" in proc.stdout + proc.stderr and not master.exists()
    proc = run_cli("init", master, "--start", "2021", "--end", "2030", "--current", "2035")
    assert proc.returncode == 1 and "対象年度" in proc.stdout + proc.stderr and not master.exists()
    proc = run_cli("init", master, "--start", "来年")
    assert proc.returncode == 1 and "来年" in proc.stdout + proc.stderr and not master.exists()


def _plan_2026(tmp_path: Path) -> Path:
    """A plan made for 2026–2035 with values in 2026 and 2033 and a project phase."""
    plan = Plan(
        name="緑川市環境基本計画",
        municipality="緑川市",
        start_fy=2026,
        end_fy=2035,
        current_fy=2026,
        categories=[Category(code="1", name="脱炭素")],
        departments=[Department(code="D1", name="環境政策課")],
        indicators=[
            Indicator(
                id="G1",
                name="温室効果ガス排出量",
                category="1",
                unit="千t",
                direction="lower",
                target_wording="2030年度までに800千t",
                target=LevelTarget(year=2030, value=800),
                department="D1",
                values={2026: YearValue(actual=950), 2033: YearValue(plan=700)},
            )
        ],
        projects=[Project(id="P1", name="再エネ導入", category="1", departments=["D1"], phases=[Phase(name="導入", start_fy=2026, end_fy=2028)])],
    )
    master = tmp_path / "master.xlsx"
    save_master(plan, master)
    return master


def _value_cell(master: Path, ind_id: str, kind: str, fy: int) -> tuple[openpyxl.Workbook, str]:
    wb = openpyxl.load_workbook(master)
    ws = wb[layout()["values"].name]
    col = next(c.column for c in ws[HEADER_ROW] if c.value == f"{fy}年度")
    row = next(r[0].row for r in ws.iter_rows(min_row=HEADER_ROW + 1) if r[0].value == ind_id and r[3].value == kind)
    return wb, ws.cell(row, col).coordinate


def test_validate_reports_missing_year_columns_and_values_outside_the_period(tmp_path: Path) -> None:
    master = _plan_2026(tmp_path)
    set_setting(master, "start_fy", 2021)  # staff change the period in 設定 by hand
    set_setting(master, "end_fy", "令和12年度")
    code, data = cli_json("validate", master, "--json")
    assert code == 1
    missing = [e for e in data["errors"] if e["code"] == "YEAR_COLUMNS_MISSING"]
    assert {e["sheet"] for e in missing} == {layout()["values"].name, layout()["phases"].name}, data["errors"]
    assert all("2021～2025年度" in e["message"] for e in missing)
    _, ref = _value_cell(master, "G1", "計画値", 2033)
    outside = [w for w in data["warnings"] if w["code"] == "VALUE_OUTSIDE_PERIOD"]
    assert [(w["sheet"], w["cell"]) for w in outside] == [(layout()["values"].name, ref)], data["warnings"]


def test_values_outside_the_period_are_flagged_unless_they_belong_there(tmp_path: Path) -> None:
    """A value before the period is the plan's reference when the years from it run into
    the period without a gap; a value after the end is expected up to the current year
    (a late year opened). Anything else outside the period is flagged."""
    master = _plan_2026(tmp_path)  # values: 2026 actual, 2033 plan
    set_setting(master, "start_fy", 2028)
    set_setting(master, "end_fy", 2032)
    set_setting(master, "current_fy", 2033)
    code, data = cli_json("validate", master, "--json", "--no-write")
    _, ref_2026 = _value_cell(master, "G1", "実績値", 2026)
    def outside(data: dict) -> list[str]:  # the indicator's values (the project's phase 2026–2028 is another warning)
        return [w["cell"] for w in data["warnings"] if w["code"] == "VALUE_OUTSIDE_PERIOD" and "指標「G1」" in w["message"]]

    assert outside(data) == [ref_2026], data  # 2027 is empty: 2026 is cut off from the period
    wb, ref_2027 = _value_cell(master, "G1", "実績値", 2027)
    wb[layout()["values"].name][ref_2027] = 940
    wb.save(master)
    code, data = cli_json("validate", master, "--json", "--no-write")
    assert outside(data) == [], data


def test_period_adds_year_columns_and_refuses_to_drop_a_column_with_values(tmp_path: Path) -> None:
    master = _plan_2026(tmp_path)
    before = _digest(master)
    proc = run_cli("period", master, "--start", "2021", "--end", "2030")
    assert proc.returncode == 1 and "指標実績!L4" in proc.stderr and "2033" in proc.stderr, proc.stdout + proc.stderr
    assert _digest(master) == before  # refused: nothing written
    wb, ref = _value_cell(master, "G1", "計画値", 2033)
    wb[layout()["values"].name][ref].value = None  # the stray value cleared by hand
    wb.save(master)
    code, data = cli_json("period", master, "--start", "2021", "--end", "2030", "--current", "2024", "--json")
    assert code == 0 and data["ok"], data
    assert data["added_years"] == [2021, 2022, 2023, 2024, 2025] and data["removed_years"] == [2031, 2032, 2033, 2034, 2035]
    expected = [f"{fy}年度" for fy in range(2021, 2031)]
    assert _year_headers(master, "values") == expected and _year_headers(master, "phases") == expected
    settings = _settings(master)
    assert (settings["start_fy"], settings["end_fy"], settings["current_fy"]) == (2021, 2030, 2024)
    wb, ref = _value_cell(master, "G1", "実績値", 2026)
    assert wb[layout()["values"].name][ref].value == 950  # values move with their year
    code, data = cli_json("validate", master, "--json")
    assert code == 0 and data["errors"] == [] and not [w for w in data["warnings"] if w["code"] == "VALUE_OUTSIDE_PERIOD"], data
    log = openpyxl.load_workbook(master)[layout()["changelog"].name]
    assert any("計画期間の変更" in str(c.value) for row in log.iter_rows() for c in row)


def test_period_repairs_a_period_changed_by_hand(tmp_path: Path) -> None:
    master = _plan_2026(tmp_path)
    wb, ref = _value_cell(master, "G1", "計画値", 2033)
    wb[layout()["values"].name][ref].value = None
    wb.save(master)
    set_setting(master, "start_fy", 2021)
    set_setting(master, "end_fy", 2030)
    assert cli_json("validate", master, "--json")[0] == 1
    code, data = cli_json("period", master, "--start", "2021", "--end", "2030", "--json")
    assert code == 0 and data["added_years"] == [2021, 2022, 2023, 2024, 2025], data
    assert cli_json("validate", master, "--json")[0] == 0
    # 設定 already said 2021–2030: the columns are the whole change, and they are logged.
    log = openpyxl.load_workbook(master)[layout()["changelog"].name]
    rows = [r for r in log.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if r[1] == "計画期間の変更"]
    assert [(r[4], r[5]) for r in rows][:1] == [("年度の列（2021～2025年度を追加、2031～2035年度を削除）", layout()["values"].name)], rows


def test_period_keeps_what_staff_formatted_by_hand(tmp_path: Path) -> None:
    """Changing the period inserts and deletes year columns in place: widths, fills,
    comments, number formats, row heights, frozen panes, conditional formats, data
    validations and formulas set by hand stay with their years (the sheets used to be
    written again from the plan, losing all of it)."""
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    master = _plan_2026(tmp_path)
    values, phases, related = (layout()[k].name for k in ("values", "phases", "related_plans"))
    wb = openpyxl.load_workbook(master)
    ws = wb[values]
    col = {int(str(c.value)[:4]): c.column_letter for c in ws[HEADER_ROW] if str(c.value or "").endswith("年度")}
    _, g1_actual = _value_cell(master, "G1", "実績値", 2027)
    row = int(g1_actual[1:])  # the 実績値 row of G1
    ws.column_dimensions[col[2027]].width = 23
    ws[f"{col[2028]}{row}"].fill = PatternFill("solid", fgColor="FFFF00")
    ws[f"{col[2029]}{row}"].comment = Comment("県の速報値を待つ", "環境政策課")
    ws[f"{col[2030]}{row}"].number_format = "0.000"
    ws[f"{col[2030]}{row}"].font = Font(bold=True)
    ws[f"{col[2035]}{row}"].comment = Comment("最終年度の注", "環境政策課")  # keeps 2035's column
    ws.row_dimensions[row].height = 42
    ws.freeze_panes = f"{col[2027]}{row}"
    ws.merge_cells(f"A1:{col[2035]}1")  # the title centred over the whole table
    ws.column_dimensions.group(col[2031], col[2032], hidden=True)  # two years folded away
    ws.conditional_formatting.add(f"{col[2026]}{row}:{col[2035]}{row}", CellIsRule(operator="greaterThan", formula=[f"${col[2026]}${row}"], fill=PatternFill("solid", fgColor="FFC7CE")))
    dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
    dv.add(f"{col[2031]}{row}")
    ws.add_data_validation(dv)
    wb[phases].column_dimensions["D"].width = 30  # 2027 of the 工程表
    memo = wb.create_sheet("メモ")
    memo["A1"] = f"='{values}'!{col[2026]}{row}"
    memo["A2"] = f"=SUM('{values}'!{col[2026]}{row}:{col[2035]}{row})"
    memo["A3"] = f"='{values}'!{col[2034]}{row}"  # a column that goes: Excel's #REF!
    wb.save(master)

    code, data = cli_json("period", master, "--start", "2024", "--end", "2033", "--json")
    assert code == 0 and data["ok"], data
    assert data["added_years"] == [2024, 2025] and data["removed_years"] == [2034] and data["kept_years"] == [2035], data
    wb = openpyxl.load_workbook(master)
    ws = wb[values]
    new = {int(str(c.value)[:4]): c.column_letter for c in ws[HEADER_ROW] if str(c.value or "").endswith("年度")}
    assert sorted(new) == [*range(2024, 2034), 2035]
    assert new[2026] == col[2028]  # two years came in before 2026: every column moved right by two
    assert ws[f"{new[2026]}{row}"].value == 950  # the value moved with its year
    assert ws.column_dimensions[new[2027]].width == 23
    assert ws[f"{new[2028]}{row}"].fill.fgColor.rgb == "00FFFF00"
    assert ws[f"{new[2029]}{row}"].comment.text == "県の速報値を待つ"
    assert ws[f"{new[2030]}{row}"].number_format == "0.000" and ws[f"{new[2030]}{row}"].font.b
    assert ws[f"{new[2035]}{row}"].comment.text == "最終年度の注"
    assert ws.row_dimensions[row].height == 42
    assert ws.freeze_panes == f"{new[2027]}{row}"
    assert {str(m) for m in ws.merged_cells.ranges} == {f"A1:{new[2035]}1"}
    folded = [(d.min, d.max) for d in ws.column_dimensions.values() if d.hidden]
    assert folded == [(openpyxl.utils.column_index_from_string(new[2031]), openpyxl.utils.column_index_from_string(new[2032]))]
    [cf] = list(ws.conditional_formatting)
    assert str(cf.sqref) == f"{new[2024]}{row}:{new[2035]}{row}" and cf.rules[0].formula == [f"${new[2026]}${row}"]
    assert any(str(d.sqref) == f"{new[2031]}{row}" for d in ws.data_validations.dataValidation)
    # The new years look like their neighbours, and the Table and print area take them in.
    assert ws[f"{new[2024]}{HEADER_ROW}"].fill.fgColor.rgb == ws[f"{new[2026]}{HEADER_ROW}"].fill.fgColor.rgb
    assert ws[f"{new[2024]}{HEADER_ROW - 1}"].value == "令和6年度"
    table = next(iter(ws.tables.values()))
    assert table.ref.endswith(f"{new[2035]}{table.ref.rsplit(new[2035], 1)[-1]}") and [tc.name for tc in table.tableColumns][4:6] == ["2024年度", "2025年度"]
    assert f"${new[2035]}$" in ws.print_area
    assert wb["メモ"]["A1"].value == f"='{values}'!{new[2026]}{row}"
    assert wb["メモ"]["A2"].value == f"=SUM('{values}'!{new[2024]}{row}:{new[2035]}{row})"
    assert wb["メモ"]["A3"].value == f"='{values}'!#REF!"
    assert wb[phases].column_dimensions["F"].width == 30  # 工程表: 2027 moved from D to F
    assert _year_headers(master, "related_plans")[:2] == ["2024年度", "2025年度"]
    log = [r for r in wb[layout()["changelog"].name].iter_rows(min_row=HEADER_ROW + 1, values_only=True) if r[0]]
    assert [(r[1], r[4], r[5], r[7], r[8]) for r in log if str(r[4]).startswith("年度の列")][:2] == [
        ("計画期間の変更", "年度の列（2024～2025年度を追加、2034年度を削除）", values, "2026～2035年度", "2024～2033・2035年度"),
        ("計画期間の変更", "年度の列（2024～2025年度を追加、2034～2035年度を削除）", phases, "2026～2035年度", "2024～2033年度"),
    ]
    code, data = cli_json("validate", master, "--json")
    assert code == 0 and data["errors"] == [], data


# --- year cells accept every form the reader understands ---------------------------------


def _validations(master: Path) -> dict[str, list[dict[str, str]]]:
    """Every <dataValidation> of each worksheet, as Excel reads it from the file's XML."""
    import re
    import xml.etree.ElementTree as ET
    import zipfile

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main", "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    with zipfile.ZipFile(master) as z:
        book = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        out: dict[str, list[dict[str, str]]] = {}
        for sheet in book.find("m:sheets", ns) or []:
            target = targets[sheet.get(f"{{{ns['r']}}}id")]
            path = re.sub(r"^/?(xl/)?", "xl/", target)
            root = ET.fromstring(z.read(path))
            out[sheet.get("name") or ""] = [{**dv.attrib, "formula1": dv.findtext("m:formula1", "", ns)} for dv in root.iter(f"{{{ns['m']}}}dataValidation")]
    return out


def test_year_cells_accept_era_years_in_excel_and_the_reader_normalises_them(tmp_path: Path) -> None:
    from envplan.workbook.cells import col_letter
    from envplan.workbook.io import CalamineSource
    from envplan.workbook.reader import read_master

    master = _plan_2026(tmp_path)
    lay = layout()
    year_cols = {lay[k].name: {col_letter(lay[k].index(c.key)) for c in lay[k].columns if c.type == "year"} for k in ("indicators", "revisions", "project_status", "project_parts", "related_plans", "opinions")}
    found = _validations(master)
    for sheet, cols in year_cols.items():
        for col in cols:
            rules = [dv for dv in found[sheet] if any(part.startswith(col) and part[len(col)].isdigit() for part in dv["sqref"].split())]
            assert rules, (sheet, col)
            for dv in rules:
                # Excel's default errorStyle is stop: it refuses 令和3年度 in a whole-number cell.
                assert dv.get("errorStyle") in ("warning", "information"), (sheet, col, dv)
                assert dv.get("type") == "custom" and "ISTEXT" in dv["formula1"], (sheet, col, dv)
    assert not [dv for dvs in found.values() for dv in dvs if dv.get("type") in ("whole", "decimal", "date") and dv.get("errorStyle", "stop") == "stop"]

    wb = openpyxl.load_workbook(master)

    def put(key: str, row: dict[str, object]) -> None:
        ws = wb[lay[key].name]
        r = HEADER_ROW + 1
        while ws.cell(r, 1).value not in (None, ""):
            r += 1
        for k, v in row.items():
            ws.cell(r, lay[key].index(k), v)

    ind = wb[lay["indicators"].name]
    ind.cell(HEADER_ROW + 1, lay["indicators"].index("baseline_fy"), "R3")
    ind.cell(HEADER_ROW + 1, lay["indicators"].index("baseline_value"), 1000)
    put("project_status", {"id": "P1", "fy": "令和8年度", "status": "予定どおり"})
    put("related_plans", {"id": "R1", "kind": "関連計画", "name": "緑川市地球温暖化対策実行計画", "start_fy": "平成30年度", "end_fy": "2030(R12)年度"})
    put("opinions", {"id": "O1", "fy": "Ｒ８", "source": "その他", "subject": "計画全体", "text": "よい計画です"})
    wb.save(master)
    reading = read_master(CalamineSource(master))
    assert reading.plan is not None and reading.diagnostics.errors == [], reading.diagnostics.errors
    plan = reading.plan
    assert plan.indicators[0].baseline_fy == 2021
    assert [s.fy for s in plan.projects[0].statuses] == [2026]
    assert (plan.related_plans[0].start_fy, plan.related_plans[0].end_fy) == (2018, 2030)
    assert plan.opinions[0].fy == 2026


def test_the_guide_shows_the_plan_as_it_is(tmp_path: Path) -> None:
    """使い方 B3–B5 follow 設定 after validate, compute, year open and period."""
    master = tmp_path / "master.xlsx"
    assert cli_json("init", master, "--start", "2026", "--end", "2035", "--current", "2026", "--json")[0] == 0
    set_setting(master, "name", "緑川市環境基本計画")
    set_setting(master, "municipality", "緑川市")

    def guide() -> list[object]:
        ws = openpyxl.load_workbook(master)[layout()["guide"].name]
        return [ws["A1"].value, ws["B3"].value, ws["B4"].value, ws["B5"].value]

    assert cli_json("validate", master, "--json")[0] == 0
    assert guide() == ["緑川市環境基本計画 進行管理ワークブック", "緑川市環境基本計画", "2026年度（令和8年度）～2035年度（令和17年度）", "2026年度（令和8年度）"]
    assert cli_json("period", master, "--start", "2021", "--end", "2030", "--current", "2024", "--json")[0] == 0
    assert guide()[2:] == ["2021年度（令和3年度）～2030年度（令和12年度）", "2024年度（令和6年度）"]
    assert cli_json("year", "open", master, "--json")[0] == 0
    assert guide()[3] == "2025年度（令和7年度）"
    set_setting(master, "name", "緑川市環境基本計画（改定版）")
    assert cli_json("compute", master, "--json")[0] == 0
    assert guide()[1] == "緑川市環境基本計画（改定版）"


# --- adding policy evaluation sheets to a blank master ------------------------------------


def test_add_policy_writes_a_numbered_sheet_listed_in_the_index_and_the_guide(tmp_path: Path) -> None:
    master = tmp_path / "master.xlsx"
    assert cli_json("init", master, "--municipality", "緑川市", "--name", "緑川市環境基本計画", "--start", "2021", "--end", "2030", "--current", "2024", "--json")[0] == 0
    wb = openpyxl.load_workbook(master)
    depts = wb[layout()["departments"].name]
    for r, (code, name) in enumerate((("D1", "環境政策課"), ("D2", "資源循環課")), HEADER_ROW + 1):
        depts.cell(r, 1, code)
        depts.cell(r, 2, name)
    wb.save(master)
    proc = run_cli("add", "policy", master, "--code", "P01", "--title", "脱炭素のまちづくり")
    assert proc.returncode == 1 and "--department" in proc.stderr and "D1" in proc.stderr  # two departments: which?
    code, data = cli_json("add", "policy", master, "--code", "P01", "--title", "脱炭素のまちづくり", "--department", "D1", "--json")
    assert code == 0 and data["sheet_no"] == 1, data
    code, data = cli_json("add", "policy", master, "--code", "P02", "--title", "資源循環の推進", "--department", "D2", "--fy", "R6", "--json")
    assert code == 0 and data["sheet_no"] == 2, data
    code, data = cli_json("add", "policy", master, "--code", "P01", "--title", "重複", "--department", "D1", "--json")
    assert code == 1 and "既にあります" in data["error"]["message"]
    code, data = cli_json("add", "policy", master, "--code", "P03", "--title", "x", "--department", "D9", "--json")
    assert code == 1 and "D9" in data["error"]["message"]
    code, data = cli_json("add", "policy", master, "--code", "P[1]:2", "--title", "x", "--department", "D1", "--json")
    assert code == 1 and "使えない文字（: [ ]）" in data["error"]["message"] and "評価票_" not in data["error"]["message"], data

    wb = openpyxl.load_workbook(master)
    names = wb.sheetnames
    p1, p2 = layout().policy_sheet_name("P01"), layout().policy_sheet_name("P02")
    assert names.index(p2) == names.index(p1) + 1 == names.index(layout()["policies"].name) + 2
    assert wb[p1]["A1"].value == "施策進行管理・評価票(1)" and wb[p2]["A1"].value == "施策進行管理・評価票(2)"
    index = wb[layout()["policies"].name]
    assert [(index.cell(r, 1).value, index.cell(r, 2).value) for r in (HEADER_ROW + 1, HEADER_ROW + 2)] == [("P01", p1), ("P02", p2)]
    guide = [c.value for c in wb[layout()["guide"].name]["A"]]
    assert p1 in guide and p2 in guide
    log = wb[layout()["changelog"].name]  # who (the department), when, what: like every other change
    added = [r for r in log.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if r[1] == "評価票の追加"]
    assert [(r[2], r[3], r[4], r[5], r[7], r[8]) for r in added] == [
        (2024, "D1", f"施策進行管理・評価票(1)（シート「{p1}」）", p1, "（空欄）", "脱炭素のまちづくり"),
        (2024, "D2", f"施策進行管理・評価票(2)（シート「{p2}」）", p2, "（空欄）", "資源循環の推進"),
    ]
    assert all(str(r[0])[:4].isdigit() for r in added)
    code, data = cli_json("validate", master, "--json")
    assert code == 0 and data["policies"] == 2, data
    out = tmp_path / "site"
    assert run_cli("publish", master, "--out", out, "--no-pdf").returncode == 0
    assert len(list((out / "policies").glob("*.html"))) == 3  # two sheets and the list


def test_the_policy_index_follows_sheets_staff_copied(tmp_path: Path) -> None:
    """施策一覧 stayed empty beside policy sheets staff made themselves: it follows them on validate."""
    from test_third_city import third_plan

    master = tmp_path / "master.xlsx"
    plan = third_plan()
    save_master(plan, master)
    wb = openpyxl.load_workbook(master)
    copy = wb.copy_worksheet(wb[layout().policy_sheet_name("P01")])
    copy.title = "評価票_P09"
    ws = copy
    code_cell = next(c for row in ws.iter_rows() for c in row if c.value == "P01")
    code_cell.value = "P09"
    ws["A1"].value = "施策進行管理・評価票"
    index = wb[layout()["policies"].name]
    index.delete_rows(HEADER_ROW + 1, 5)  # the index emptied, as staff found it
    wb.save(master)
    assert cli_json("validate", master, "--json")[0] == 0
    index = openpyxl.load_workbook(master)[layout()["policies"].name]
    assert [index.cell(r, 1).value for r in (HEADER_ROW + 1, HEADER_ROW + 2)] == ["P01", "P09"]
    assert index.cell(HEADER_ROW + 2, 2).value == "評価票_P09"


def test_init_asks_for_what_is_missing_at_a_terminal(tmp_path: Path) -> None:
    """At a terminal, init asks for the municipality, name, period and current year;
    from a pipe it never asks (the tests above run that way)."""
    import os
    import pty
    import select
    import sys
    import time

    master = tmp_path / "master.xlsx"
    pid, fd = pty.fork()
    if pid == 0:  # the child: envplan at a terminal
        os.execvpe(sys.executable, [sys.executable, "-m", "envplan", "init", str(master)], {**os.environ, "COLUMNS": "200"})
    answers = iter(["山川町", "山川町環境基本計画", "R4", "2031", "2025"])
    seen, deadline = b"", time.monotonic() + 60
    prompts = 0
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        while seen.count(b":") > prompts:  # each prompt ends with ': '
            prompts += 1
            os.write(fd, (next(answers, "") + "\n").encode())
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, seen.decode("utf-8", "replace")
    settings = _settings(master)
    assert (settings["municipality"], settings["name"], settings["start_fy"], settings["end_fy"], settings["current_fy"]) == ("山川町", "山川町環境基本計画", 2022, 2031, 2025)
    assert _year_headers(master, "values")[0] == "2022年度"
