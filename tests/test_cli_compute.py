"""`envplan compute` as a user runs it: a subprocess on real master files,
the sheets read back with openpyxl and opened in LibreOffice."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import openpyxl
import pytest

from conftest import cli_json, require, run_cli

STATUS_TEXTS = {"◎ 達成", "○ 順調", "△ やや遅れ", "▲ 遅れ", "✕ 悪化", "－ 評価不能"}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(ws) -> list[tuple]:
    return [r for r in ws.iter_rows(min_row=4, values_only=True) if any(v is not None for v in r)]


def test_compute_json_on_kawasaki(master_copy) -> None:
    master = master_copy("kawasaki")
    code, data = cli_json("compute", master, "--json")
    assert code == 0 and data["ok"] and data["fy"] == 2013
    assert {"fy", "indicators", "policies", "summary"} <= set(data)
    ind = next(i for i in data["indicators"] if i["id"] == "K41303000-1")
    assert {"id", "name", "status", "opensdg_status", "latest_fy", "years"} <= set(ind)
    years = {y["fy"]: y for y in ind["years"]}
    assert {"fy", "plan", "actual", "achievement_rate", "progress_rate", "expected"} <= set(years[2011])
    assert round(years[2011]["achievement_rate"], 3) == 1.092  # a fraction, 1.0 = 100%
    assert years[2012]["plan"] == 600 and years[2012]["actual"] == 428
    (pol,) = data["policies"]
    assert {k: pol[k] for k in ("code", "self_rating", "suggested_rating", "disagrees")} == {
        "code": "41303000", "self_rating": "AⅡ", "suggested_rating": "AⅡ", "disagrees": False,
    }
    assert data["summary"][-1]["counts"] == {"達成": 1, "順調": 0, "やや遅れ": 2, "遅れ": 0, "悪化": 0, "評価不能": 0}
    assert data["sheets"] == ["達成状況", "達成状況_年度別", "達成状況_集計", "施策評価案", "判定ルール"]


def test_compute_writes_the_sheets_with_icons_and_conditional_formatting(master_copy) -> None:
    master = master_copy("shinagawa")
    proc = run_cli("compute", master)
    assert proc.returncode == 0, proc.stderr
    assert "達成状況（2022年度時点）" in proc.stderr and "例示値" in proc.stderr
    wb = openpyxl.load_workbook(master)
    ws = wb["達成状況"]
    header = [c.value for c in ws[3]]
    rows = _rows(ws)
    assert len(rows) == 17
    status_col = header.index("状況")
    assert {r[status_col] for r in rows} <= STATUS_TEXTS  # icon and word, never colour alone
    s01 = next(r for r in rows if r[0] == "S01")
    assert s01[header.index("評価した年度")] == 2020 and "2020年度の値" in s01[header.index("データの遅れ")]
    assert ws.cell(4, header.index("達成率") + 1).number_format == "0.0%"
    rules = [(str(cf.sqref), r.formula[0]) for cf in ws.conditional_formatting for r in cf.rules]
    col = openpyxl.utils.get_column_letter(status_col + 1)
    assert (f"{col}4:{col}20", '"◎ 達成"') in rules and len([r for r in rules if r[0].startswith(col)]) == 6
    # the default evaluation scheme is the six statuses: its level column says the same
    level_col = header.index("評価区分（envplan の6区分（既定））")
    assert all(r[level_col] == r[status_col] for r in rows)
    assert "例示値" in ws["A2"].value
    years = _rows(wb["達成状況_年度別"])
    years_header = [c.value for c in wb["達成状況_年度別"][3]]
    assert len(years) == 17 * 10 and all(r[years_header.index("説明")] for r in years)  # every year explained
    summary = _rows(wb["達成状況_集計"])
    assert summary[-1][0] == "全体" and summary[-1][-1] == 17
    topics = [r[0] for r in _rows(wb["判定ルール"])]
    assert "達成率" in topics and "Open SDG 方式" in topics and "施策の評価案" in topics
    # the master still validates, and computing again gives the same sheets
    assert run_cli("validate", master, "--no-write").returncode == 0
    assert run_cli("compute", master).returncode == 0
    again = openpyxl.load_workbook(master)
    assert _rows(again["達成状況"]) == rows


def test_compute_fy_option(master_copy) -> None:
    master = master_copy("kawasaki")
    code, data = cli_json("compute", master, "--fy", "平成24年度", "--json")
    assert code == 0 and data["fy"] == 2012
    pol = data["policies"][0]
    assert (pol["self_rating"], pol["suggested_rating"], pol["disagrees"]) == ("AⅡ", "B", True)
    assert [h["fy"] for h in pol["history"]] == [2011, 2012]
    wb = openpyxl.load_workbook(master)
    flags = [r[5] for r in _rows(wb["施策評価案"])]
    assert flags == ["○ 一致", "✕ 不一致"]


def test_compute_refuses_a_master_with_errors_and_writes_nothing(master_copy) -> None:
    master = master_copy("kawasaki")
    wb = openpyxl.load_workbook(master)
    ws = wb["指標実績"]
    target = next(c for row in ws.iter_rows(min_row=4) for c in row if isinstance(c.value, (int, float)) and c.value == 428)
    target.value = "四百"
    wb.save(master)
    before = _sha(master)
    code, data = cli_json("compute", master, "--json")
    assert code == 1 and data["ok"] is False and data["computed"] is False
    err = next(e for e in data["errors"] if e["cell"] == target.coordinate)
    assert err["sheet"] == "指標実績" and err["message_en"]
    assert _sha(master) == before


def test_inconsistent_rating_thresholds_are_an_error_naming_the_cell(master_copy) -> None:
    master = master_copy("kawasaki")
    wb = openpyxl.load_workbook(master)
    ws = wb["設定"]
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == "rating_b_score")
    ws.cell(row, 3).value = 0.9  # above the A score (0.6)
    wb.save(master)
    code, data = cli_json("compute", master, "--json")
    assert code == 1
    err = next(e for e in data["errors"] if e["code"] == "SETTING_INVALID")
    assert (err["sheet"], err["cell"]) == ("設定", f"C{row}")


@pytest.mark.parametrize("args, code", [(["--fy", "来年"], 2), (["--fy", "1900"], 2)])
def test_compute_usage_errors(master_copy, args, code) -> None:
    master = master_copy("kawasaki")
    proc = run_cli("compute", master, *args)
    assert proc.returncode == code and "エラー" in proc.stderr


def test_compute_missing_file(tmp_path) -> None:
    code, data = cli_json("compute", tmp_path / "none.xlsx", "--json")
    assert code == 2 and data["ok"] is False


def test_libreoffice_shows_icons_and_percentages(master_copy, tmp_path) -> None:
    """The sheets as LibreOffice displays them (cell text as shown, every sheet to CSV)."""
    soffice = require("soffice")
    import subprocess

    master = master_copy("kawasaki")
    assert run_cli("compute", master).returncode == 0
    out = tmp_path / "csv"
    out.mkdir()
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1", "--outdir", str(out), str(master)],
        capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    with open(out / f"{master.stem}-達成状況_年度別.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    shown = {(r[0], r[2]): r for r in rows[3:]}
    assert shown[("K41303000-1", "2012年度")][7] == "71.3%"
    assert shown[("K41303000-3", "2013年度")][7] == "90.0%"
    assert shown[("K41303000-2", "2013年度")][10] == "◎ 達成"
