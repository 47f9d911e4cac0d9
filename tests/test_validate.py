"""`envplan validate` on the samples and on hand-broken copies."""

import openpyxl
import pytest

from conftest import cli_json, run_cli
from envplan.workbook.cells import cell_ref
from envplan.workbook.layout import FIRST_DATA_ROW, HEADER_ROW, layout


def _col(sheet_key: str, key: str) -> int:
    return layout()[sheet_key].index(key)


def _indicator_row(ws, ind_id: str) -> int:
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        if ws.cell(r, 1).value == ind_id:
            return r
    raise AssertionError(ind_id)


def _value_cell(ws, ind_id: str, kind: str, fy: int) -> str:
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(HEADER_ROW, c).value == f"{fy}年度")
    row = next(r for r in range(FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, 1).value == ind_id and ws.cell(r, 4).value == kind)
    return cell_ref(row, col)


@pytest.mark.parametrize("name", ["shinagawa", "kawasaki", "all"])
def test_samples_validate_clean(name, master_copy):
    path = master_copy(name)
    code, data = cli_json("validate", path, "--json")
    assert code == 0, data["errors"]
    assert data["errors"] == []
    expected = {"shinagawa": (17, 5, 11, 0), "kawasaki": (3, 0, 0, 1), "all": (20, 5, 11, 1)}[name]
    assert (data["indicators"], data["projects"], data["related_plans"], data["policies"]) == expected
    # Kawasaki's 2010 row (the year before its 2011–2013 period) and Shinagawa's baseline year are no strays.
    assert [w for w in data["warnings"] if w["code"] == "VALUE_OUTSIDE_PERIOD"] == []
    # The result is written into the workbook's validation sheet.
    wb = openpyxl.load_workbook(path)
    assert "エラー 0 件" in wb[layout()["validation"].name]["A2"].value


def test_hand_broken_copy_names_the_cells(master_copy):
    path = master_copy("shinagawa")
    wb = openpyxl.load_workbook(path)
    ind = wb[layout()["indicators"].name]
    vals = wb[layout()["values"].name]
    r1, r2, r4 = _indicator_row(ind, "S01"), _indicator_row(ind, "S02"), _indicator_row(ind, "S04")
    ind.cell(r1, _col("indicators", "target_year")).value = 2030  # outside 2013–2022
    ind.cell(r2, _col("indicators", "department")).value = "存在しない課"
    ind.cell(r4, _col("indicators", "id")).value = "S03"  # duplicate
    bad_number = _value_cell(vals, "S05", "実績値", 2018)
    vals[bad_number] = "たくさん"
    fullwidth = _value_cell(vals, "S06", "実績値", 2018)
    vals[fullwidth] = "１，３２４"
    approx = _value_cell(vals, "S13", "実績値", 2018)
    vals[approx] = "約500"
    settings = wb[layout()["settings"].name]
    code_row = next(r for r in range(1, settings.max_row + 1) if settings.cell(r, 1).value == "municipality_code")
    settings.cell(code_row, 3).value = "131092"  # 品川区 is 131091: a wrong check digit
    licence_row = next(r for r in range(1, settings.max_row + 1) if settings.cell(r, 1).value == "licence")
    settings.cell(licence_row, 3).value = "独自の規約"
    wb.save(path)

    code, data = cli_json("validate", path, "--json")
    assert code == 1
    errors = {(e["sheet"], e["cell"], e["code"]) for e in data["errors"]}
    assert ("指標", cell_ref(r1, _col("indicators", "target_year")), "YEAR_OUTSIDE_PLAN") in errors
    assert ("指標", cell_ref(r2, _col("indicators", "department")), "UNKNOWN_DEPARTMENT") in errors
    assert ("指標", cell_ref(r4, _col("indicators", "id")), "DUPLICATE_ID") in errors
    assert ("指標実績", bad_number, "NUMBER_INVALID") in errors
    assert ("設定", f"C{code_row}", "SETTING_INVALID") in errors
    [wrong_code] = [e["message"] for e in data["errors"] if e["cell"] == f"C{code_row}"]
    assert "全国地方公共団体コード" in wrong_code and "検査数字（6桁目）が 2" in wrong_code and "131091" in wrong_code
    assert any(w["sheet"] == "設定" and w["cell"] == f"C{licence_row}" and "独自の規約" in w["message"] for w in data["warnings"])
    for e in data["errors"]:
        assert e["message"] and e["message_en"] and e["code"]
    # Full-width digits with separators are a number, silently normalised; 約 is a warning.
    located = {(e["sheet"], e["cell"]) for e in data["errors"] + data["warnings"]}
    assert ("指標実績", fullwidth) not in {(e["sheet"], e["cell"]) for e in data["errors"]}
    warnings = {(w["sheet"], w["cell"], w["code"]) for w in data["warnings"]}
    assert ("指標実績", approx, "NUMBER_APPROXIMATE") in warnings
    assert located

    # The human output names the same cells, in Japanese.
    proc = run_cli("validate", path, "--no-write")
    assert proc.returncode == 1
    assert f"指標実績!{bad_number}" in proc.stderr and "数値として読めません" in proc.stderr
    # The validation sheet links to each problem cell.
    wb = openpyxl.load_workbook(path)
    ws = wb[layout()["validation"].name]
    links = {ws.cell(r, 3).hyperlink.location for r in range(4, ws.max_row + 1) if ws.cell(r, 3).hyperlink}
    assert f"'指標実績'!{bad_number}" in links


def test_empty_open_data_settings_are_warned_with_their_cells(master_copy):
    """Open data is always published: an empty 全国地方公共団体コード or licence (利用条件) in 設定 is
    warned, naming the sheet and cell, in Japanese and in English (--json); publishing still works."""
    path = master_copy("shinagawa")
    wb = openpyxl.load_workbook(path)
    settings = wb[layout()["settings"].name]
    rows = {settings.cell(r, 1).value: r for r in range(1, settings.max_row + 1)}
    settings.cell(rows["municipality_code"], 3).value = None
    settings.cell(rows["licence"], 3).value = "　"  # a full-width space is empty too
    wb.save(path)
    code, data = cli_json("validate", path, "--json")
    assert code == 0 and data["errors"] == [], data["errors"]
    found = {w["code"]: w for w in data["warnings"] if w["code"].startswith("OPEN_DATA_")}
    code_w, licence_w = found["OPEN_DATA_CODE_MISSING"], found["OPEN_DATA_LICENCE_MISSING"]
    assert (code_w["sheet"], code_w["cell"]) == ("設定", f"C{rows['municipality_code']}")
    assert (licence_w["sheet"], licence_w["cell"]) == ("設定", f"C{rows['licence']}")
    assert "全国地方公共団体コード" in code_w["message"] and "6桁" in code_w["message"]
    assert "利用条件" in licence_w["message"] and "CC BY 4.0" in licence_w["message"]
    assert "local government code" in code_w["message_en"] and f"設定!C{rows['municipality_code']}" in code_w["message_en"]
    assert "licence" in licence_w["message_en"]


def test_accepted_normalised_values_reach_the_model(master_copy):
    from envplan.workbook.io import CalamineSource
    from envplan.workbook.reader import read_master

    path = master_copy("shinagawa")
    wb = openpyxl.load_workbook(path)
    vals = wb[layout()["values"].name]
    vals[_value_cell(vals, "S06", "実績値", 2018)] = "１，３２４"
    vals[_value_cell(vals, "S13", "実績値", 2018)] = "約500"
    vals[_value_cell(vals, "S05", "実績値", 2018)] = "－"
    ind = wb[layout()["indicators"].name]
    ind.cell(_indicator_row(ind, "S01"), _col("indicators", "baseline_fy")).value = "平成24年度"
    wb.save(path)
    plan = read_master(CalamineSource(path)).plan
    assert plan.indicator("S06").actual(2018) == 1324
    assert plan.indicator("S13").actual(2018) == 500
    assert plan.indicator("S05").actual(2018) is None
    assert plan.indicator("S01").baseline_fy == 2012


def test_missing_sheet_and_missing_file(master_copy, tmp_path):
    path = master_copy("kawasaki")
    wb = openpyxl.load_workbook(path)
    del wb[layout()["departments"].name]
    wb.save(path)
    code, data = cli_json("validate", path, "--json", "--no-write")
    assert code == 1
    assert any(e["code"] == "LAYOUT_MISSING_SHEET" and e["sheet"] == "所管課" for e in data["errors"])
    code, data = cli_json("validate", tmp_path / "nothing.xlsx", "--json")
    assert code == 2 and "見つかりません" in data["error"]["message"]
    not_a_book = tmp_path / "text.xlsx"
    not_a_book.write_text("hello")
    code, data = cli_json("validate", not_a_book, "--json")
    assert code == 2 and data["error"]["message_en"]


def test_init_refuses_to_overwrite(tmp_path):
    path = tmp_path / "m.xlsx"
    assert run_cli("init", path, "--sample", "kawasaki").returncode == 0
    proc = run_cli("init", path, "--sample", "kawasaki")
    assert proc.returncode == 2 and "--force" in proc.stderr
    assert run_cli("init", path, "--sample", "nowhere", "--force").returncode == 2


def test_a_negative_budget_figure_is_refused_at_its_cell(master_copy):
    # A template refuses a negative 予算・決算, so the master must too, or a master
    # could issue a figure that no department can return unchanged.
    path = master_copy("kawasaki")
    wb = openpyxl.load_workbook(path)
    ws = next(wb[n] for n in wb.sheetnames if n.startswith("評価票"))
    cell = next(
        c for row in ws.iter_rows() for c in row
        if c.column == 4 and isinstance(c.value, (int, float)) and ws.cell(c.row, 2).value in ("予算", "決算", "計画事業費", "決算見込")
    )
    cell.value = -1
    wb.save(path)
    code, data = cli_json("validate", path, "--json", "--no-write")
    assert code == 1
    assert (ws.title, cell.coordinate, "NUMBER_INVALID") in {(e["sheet"], e["cell"], e["code"]) for e in data["errors"]}
