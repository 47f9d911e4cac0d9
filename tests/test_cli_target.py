"""The `envplan target` verb, and `year revise` / `validate` on wordings real plans print (real CLI, real workbooks)."""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest

from conftest import cli_json, run_cli
from returns_kit import read_plan


def test_target_verb_json_list_and_exit_code():
    proc = run_cli("target", "令和12年度までに46%削減（2013年度比）", "300台以上（中間目標：2026年200台）", "4.0%以上", "--unit", "台", "--json")
    assert proc.returncode == 1, proc.stderr  # one cannot be read
    items = json.loads(proc.stdout)
    assert [i["ok"] for i in items] == [True, True, False]
    assert set(items[0]) == {"wording", "ok", "target", "reason", "reason_en"}
    t = items[0]["target"]
    assert (t["kind"], t["year"], t["percent"], t["base_fy"], t["direction"]) == ("change", 2030, -46.0, 2013, "lower")
    assert items[1]["target"]["interim_targets"] == [{"fy": 2026, "value": 200.0}] and items[1]["target"]["comparator"] == "以上"
    assert items[2]["target"] is None and "単位" in items[2]["reason"]


def test_target_verb_base_year_and_direction_options():
    proc = run_cli("target", "エネルギー消費原単位を8.8%削減する", "--base-fy", "平成21年度")
    assert proc.returncode == 0, proc.stderr
    assert "2009年度（指定）" in proc.stderr and "-8.8%" in proc.stderr and "小さいほどよい" in proc.stderr
    proc = run_cli("target", "25%以上", "--unit", "%", "--direction", "higher")
    assert proc.returncode == 0 and "大きいほどよい" in proc.stderr, proc.stderr
    proc = run_cli("target", "4.0%以上", "--unit", "%", "--direction", "lower")
    assert proc.returncode == 1 and "読めません" in proc.stderr and "Traceback" not in proc.stderr


@pytest.fixture
def master(sample_masters, tmp_path):
    path = tmp_path / "shinagawa.xlsx"
    shutil.copy2(sample_masters["shinagawa"], path)
    return path


def test_revise_stores_a_change_against_the_named_base_year(master):
    # S01: 千t-CO2, base year 2012. The wording used to become a level of 2012.
    code, data = cli_json("year", "revise", str(master), "--indicator", "S01", "--wording", "2022年度までに2012年度比55%削減", "--json")
    assert code == 0, data
    t = read_plan(master).indicator("S01").target
    assert (t.kind, t.year, t.percent) == ("change", 2022, -55)
    code, data = cli_json("year", "revise", str(master), "--indicator", "S01", "--wording", "令和4年度までに46%削減", "--json")
    assert code == 0, data
    t = read_plan(master).indicator("S01").target
    assert (t.kind, t.year, t.percent) == ("change", 2022, -46)
    code, val = cli_json("validate", str(master), "--json", "--no-write")
    assert not [w for w in val["warnings"] if w["code"].startswith("TARGET_WORDING") and "S01" in w["message"] + w.get("cell", "")]


@pytest.mark.parametrize(("wording", "code", "word"), [
    ("2030年度までに2013年度比55%削減", "TARGET_WORDING_MISMATCH", "基準年度"),  # the indicator's base year is 2012
    ("1,000千t-CO2以下（中間目標：2026年1,200千t-CO2）", "TARGET_WORDING_UNREADABLE", "中間目標"),
    ("20年度までに05年度比で25%以上削減", "TARGET_WORDING_UNREADABLE", "2桁"),
    ("1,000千t-CO2以下", "TARGET_WORDING_UNREADABLE", "目標年度"),
])
def test_revise_refuses_what_it_cannot_store_exactly(master, wording, code, word):
    before = master.read_bytes()
    rc, data = cli_json("year", "revise", str(master), "--indicator", "S01", "--wording", wording, "--json")
    assert rc == 1 and data["error"]["code"] == code and word in data["error"]["message"], data
    assert master.read_bytes() == before  # nothing stored


def test_revise_refuses_fields_that_contradict_a_readable_wording(master):
    rc, data = cli_json("year", "revise", str(master), "--indicator", "S01", "--wording", "2022年度までに2012年度比55%削減",
                        "--kind", "年度までの水準", "--year", "2022", "--value", "2012", "--json")
    assert rc == 1 and data["error"]["code"] == "TARGET_WORDING_MISMATCH" and "目標種別" in data["error"]["message"]
    # with the interim target given as the plan value of its year, the final target can be set by fields
    rc, data = cli_json("year", "revise", str(master), "--indicator", "S01", "--wording", "1,000千t-CO2以下（中間目標：2026年1,200千t-CO2）",
                        "--kind", "年度までの水準", "--year", "2022", "--value", "1000", "--json")
    assert rc == 0, data


def test_validate_names_the_field_and_both_values(master):
    wb = openpyxl.load_workbook(master)
    ws = wb["指標"]
    header_row = next(r for r in range(1, 10) if any(c.value == "目標（原文）" for c in ws[r]))
    cols = {c.value: c.column for c in ws[header_row]}
    row = next(r for r in range(header_row + 1, ws.max_row + 1) if ws.cell(r, cols["指標ID"]).value == "S06")
    ws.cell(r := row, cols["目標（原文）"]).value = "令和4年度までに35%以上"  # entered value stays 31
    wb.save(master)
    code, val = cli_json("validate", str(master), "--json", "--no-write")
    mism = [w for w in val["warnings"] if w["code"] == "TARGET_WORDING_MISMATCH"]
    assert len(mism) == 1 and "目標値" in mism[0]["message"] and "「35」" in mism[0]["message"] and "「31」" in mism[0]["message"], mism
    assert r == row
