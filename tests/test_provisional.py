"""速報値 and 確定値: a provisional figure marked in the master, in a return and by `year correct`,
shown in the results, the site, the print report and the open data, restated to its final figure
after its year is closed (change log old → new), while a final figure of a closed year stays frozen."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from conftest import cli_json, run_cli
from envplan.survey.template_fill import input_cells
from envplan.workbook.io import CalamineSource
from envplan.workbook.validation import validate_source
from returns_kit import fill, issue, read_plan

MARK_ROW = "速報・確定"


@pytest.fixture
def master(sample_masters: dict[str, Path], tmp_path: Path) -> Path:
    path = tmp_path / "shinagawa.xlsx"
    shutil.copy2(sample_masters["shinagawa"], path)
    return path


def _mark_cell(path: Path, ind_id: str, fy: int) -> str:
    ws = openpyxl.load_workbook(path)["指標実績"]
    header = {c.value: c.column for c in ws[3]}
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == ind_id and ws.cell(r, 4).value == MARK_ROW)
    return ws.cell(row, header[f"{fy}年度"]).coordinate


def _type(path: Path, cells: dict[str, object], sheet: str = "指標実績") -> None:
    """Cell edits as staff make them in Excel."""
    wb = openpyxl.load_workbook(path)
    for ref, value in cells.items():
        wb[sheet][ref].value = value
    wb.save(path)


def _errors(path: Path) -> list[tuple[str, str, str]]:
    """validate's errors (code, sheet, cell), in-process: the CLI's validate is tested elsewhere."""
    source = CalamineSource(path)
    try:
        return [(d.code, d.sheet, d.cell) for d in validate_source(source).diagnostics.errors]
    finally:
        source.close()


def _log(path: Path) -> list[dict]:
    rows = list(openpyxl.load_workbook(path)["変更履歴"].iter_rows(min_row=3, values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def _sheet_rows(path: Path, sheet: str) -> list[dict]:
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(min_row=3, values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_mark_in_master_is_shown_in_results_site_print_and_open_data(master: Path, tmp_path: Path) -> None:
    _type(master, {_mark_cell(master, "S03", 2022): "速報"})
    assert _errors(master) == []
    proc = run_cli("compute", str(master))
    assert proc.returncode == 0, proc.stderr
    shown = {r["指標ID"]: r["速報・確定"] for r in _sheet_rows(master, "達成状況") if r["指標ID"]}
    assert shown["S03"] == "速報値" and shown["S04"] == "確定値"
    years = {(r["指標ID"], r["年度"]): r["速報・確定"] for r in _sheet_rows(master, "達成状況_年度別") if r["指標ID"]}
    assert years[("S03", 2022)] == "速報値" and years[("S03", 2021)] == "確定値"

    out = tmp_path / "site"
    code, pub = cli_json("publish", str(master), "--out", str(out), "--no-pdf", "--json")
    assert code == 0, pub
    page = (out / "indicators" / "s03.html").read_text(encoding="utf-8")
    # In words beside the figure (not colour only), explained under the table and in the chart's text.
    assert re.search(r"28施設<span class=\"tag tag-provisional\">速報値</span>", page), page[:2000]
    assert "provisional-note" in page and "速報値。" in page.replace("<wbr>", "")
    assert "tag-provisional" not in (out / "indicators" / "s04.html").read_text(encoding="utf-8")
    listing = (out / "indicators.html").read_text(encoding="utf-8")
    assert listing.count("tag-provisional") == 1

    with (out / "data" / "indicators.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    marks = {(r["指標ID"], r["年度"]): r["速報・確定"] for r in rows}
    assert marks[("S03", "2022")] == "速報値" and marks[("S03", "2021")] == "確定値"
    assert all(m == "" for (i, y), m in marks.items() if not next(r for r in rows if (r["指標ID"], r["年度"]) == (i, y))["実績値"])
    doc = json.loads((out / "data" / "indicators.json").read_text(encoding="utf-8"))
    rec = next(r for r in doc["records"] if (r["indicator_id"], r["fiscal_year"]) == ("S03", 2022))
    assert rec["value_status"] == "速報値" and any(f["key"] == "value_status" for f in doc["fields"])

    # The print report (the PDF's HTML): the figure says （速報）, with the note under the grid.
    from envplan.report.context import build_report
    from envplan.report.pdf import report_html
    from envplan.rules.compute import compute_plan

    plan = read_plan(master)
    report = build_report(plan, compute_plan(plan))
    report.files = {"csv": "indicators.csv", "json": "indicators.json"}
    printed = report_html(report).replace("<wbr>", "")
    assert "28<br>（速報）" in printed and "（速報）は速報値です" in printed


def test_bad_marks_are_explained_with_sheet_and_cell(master: Path) -> None:
    no_value = _mark_cell(master, "S01", 2022)  # S01 (2 years late) has no 2022 figure
    bad_word = _mark_cell(master, "S03", 2021)
    _type(master, {no_value: "速報", bad_word: "たぶん"})
    code, data = cli_json("validate", str(master), "--json", "--no-write")
    assert code == 1
    errors = {(e["sheet"], e["cell"]): e for e in data["errors"]}
    assert errors[("指標実績", no_value)]["code"] == "VALUE_MARK_WITHOUT_ACTUAL"
    assert "実績値がありません" in errors[("指標実績", no_value)]["message"] and "provisional" in errors[("指標実績", no_value)]["message_en"]
    assert errors[("指標実績", bad_word)]["code"] == "CHOICE_INVALID" and "速報、確定" in errors[("指標実績", bad_word)]["message"]


def test_return_marks_provisional_then_final_figure_arrives_after_the_year_is_closed(master: Path, tmp_path: Path) -> None:
    templates = issue(master, tmp_path / "2022")
    fill(templates["環境課"], {("value", "S03", 2022, "actual"): 29, ("value", "S03", 2022, "mark"): "速報"}, tmp_path / "in1" / "env.xlsx")
    # A 速報 mark on a year without a figure is refused, naming the return's cell.
    waste = templates["清掃事務所"]
    spec = input_cells(waste)[("value", "S05", 2022, "mark")]
    fill(waste, {("value", "S05", 2022, "actual"): None, ("value", "S05", 2022, "mark"): "速報"}, tmp_path / "in1" / "waste.xlsx")
    code, res = cli_json("consolidate", str(master), str(tmp_path / "in1"), "--json")
    by = {Path(f["file"]).name: f for f in res["files"]}
    assert code == 1 and by["env.xlsx"]["status"] == "accepted" and by["waste.xlsx"]["status"] == "rejected", res
    assert any(e["code"] == "VALUE_MARK_WITHOUT_ACTUAL" and e["cell"] == spec.ref for e in by["waste.xlsx"]["errors"]), by["waste.xlsx"]
    v = read_plan(master).indicator("S03").values[2022]
    assert (v.actual, v.mark) == (29, "速報")

    code, data = cli_json("year", "open", str(master), "--issue", str(tmp_path / "2023"), "--json")
    assert code == 0, data
    env = next(Path(p) for p in data["templates"] if "環境課" in Path(p).name)
    cells = input_cells(env)
    # The closed year's provisional figure is asked for again (for its 確定値); a final one is not.
    assert ("value", "S03", 2022, "actual") in cells and ("value", "S03", 2022, "mark") in cells
    assert ("value", "S04", 2022, "actual") not in cells
    fill(env, {("value", "S03", 2022, "actual"): 26.5, ("value", "S03", 2022, "mark"): "確定"}, tmp_path / "in2" / "env.xlsx")
    code, res = cli_json("consolidate", str(master), str(tmp_path / "in2"), "--json")
    assert code == 0, res
    v = read_plan(master).indicator("S03").values[2022]
    assert (v.actual, v.mark) == (26.5, "確定")
    log = [(r["区分"], r["項目"], r["変更前"], r["変更後"]) for r in _log(master) if r["年度"] == 2022 and "S03" in (r["項目"] or "")]
    assert log[-2:] == [
        ("取込", "S03 公共施設への再生可能エネルギー導入量 2022年度の実績値（速報値を確定値に改定）", 29, 26.5),
        ("取込", "S03 公共施設への再生可能エネルギー導入量 2022年度の速報・確定", "速報", "確定"),
    ]
    assert _errors(master) == []  # the closed-year record took the final figure
    # Now final, the closed year's figure is frozen like any other.
    code, data = cli_json("year", "correct", str(master), "--indicator", "S03", "--fy", "2022", "--actual", "27", "--json")
    assert code == 1 and data["error"]["code"] == "YEAR_FROZEN"


def test_year_correct_restates_a_closed_provisional_figure_and_final_ones_stay_frozen(master: Path) -> None:
    # A master made before marks existed (no 速報・確定 rows): the first mark appends the row.
    wb = openpyxl.load_workbook(master)
    ws = wb["指標実績"]
    for r in range(ws.max_row, 3, -1):
        if ws.cell(r, 4).value == MARK_ROW:
            ws.delete_rows(r)
    wb.save(master)
    code, data = cli_json("year", "correct", str(master), "--indicator", "S05", "--fy", "2022", "--provisional", "--json")
    assert code == 0, data
    assert read_plan(master).indicator("S05").values[2022].mark == "速報"
    old = read_plan(master).indicator("S05").values[2022].actual

    code, data = cli_json("year", "open", str(master), "--json")
    assert code == 0, data
    code, data = cli_json("year", "correct", str(master), "--indicator", "S05", "--fy", "2022", "--actual", "440", "--final", "--reason", "確定値の公表", "--json")
    assert code == 0, data
    v = read_plan(master).indicator("S05").values[2022]
    assert (v.actual, v.mark) == (440, "確定")
    log = [(r["区分"], r["項目"].split(" ", 2)[-1], r["変更前"], r["変更後"]) for r in _log(master) if r["年度"] == 2022]
    assert log[-2:] == [
        ("修正", "2022年度の実績値（速報値を確定値に改定）（確定値の公表）", int(old) if float(old).is_integer() else old, 440),
        ("修正", "2022年度の速報・確定（確定値の公表）", "速報", "確定"),
    ]
    # A final figure of a closed year is refused as before (the restated one, and one never provisional).
    for ind_id, args in (("S05", ["--provisional"]), ("S04", ["--actual", "4", "--final"])):
        code, data = cli_json("year", "correct", str(master), "--indicator", ind_id, "--fy", "2022", *args, "--json")
        assert code == 1 and data["error"]["code"] == "YEAR_FROZEN", data
    # Re-marked 速報 in Excel, the now final figure is reported as a closed value edited outside envplan.
    _type(master, {_mark_cell(master, "S05", 2022): "速報"})
    assert _errors(master) == [("FROZEN_EDITED", "指標実績", _mark_cell(master, "S05", 2022))]


def test_evaluation_sheet_reference_figure_says_provisional() -> None:
    from envplan.plan.samples import load_sample
    from envplan.report.context import build_report
    from envplan.report.pdf import sheets_html
    from envplan.rules.compute import compute_plan

    plan = load_sample("kawasaki")
    ind = plan.indicator(plan.policies[0].reference_indicators[0])
    assert ind is not None
    fy = max(y for y, v in ind.values.items() if v.actual is not None)
    ind.values[fy] = ind.values[fy].model_copy(update={"mark": "速報"})
    report = build_report(plan, compute_plan(plan))
    report.files = {"csv": "indicators.csv", "json": "indicators.json"}
    html = sheets_html(report).replace("<wbr>", "")
    assert html.count("（速報）") == 1
