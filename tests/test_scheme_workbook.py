"""Choosing and defining an evaluation scheme in the workbook (設定 and 評価区分 sheets), through the real CLI."""

from __future__ import annotations

import shutil

import openpyxl
import pytest

from conftest import cli_json, run_cli
from envplan.report.typeset import plain  # pages read as text, without the line-break markup


@pytest.fixture
def master(sample_masters, tmp_path):
    path = tmp_path / "shinagawa.xlsx"
    shutil.copy2(sample_masters["shinagawa"], path)
    return path


def _set(master, key: str, value: str) -> None:
    wb = openpyxl.load_workbook(master)
    ws = wb["設定"]
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == key)
    ws.cell(row, 3).value = value
    wb.save(master)


def _levels(master, rows: list[tuple[str, str, str, str]]) -> None:
    wb = openpyxl.load_workbook(master)
    ws = wb["評価区分"]
    for r in range(4, ws.max_row + 1):
        for c in range(1, 5):
            ws.cell(r, c).value = None
    for i, row in enumerate(rows):
        for c, v in enumerate(row, start=1):
            ws.cell(4 + i, c).value = v
    wb.save(master)


def _column(master, title_start: str) -> tuple[list[str], list[list]]:
    ws = openpyxl.load_workbook(master)["達成状況"]
    header = [c.value for c in ws[3]]
    col = next(i for i, h in enumerate(header) if h and h.startswith(title_start))
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4) if r[0].value]
    return header[col], [r[col] for r in rows]


def test_the_blank_master_shows_the_default_scheme(master):
    ws = openpyxl.load_workbook(master)["評価区分"]
    rules = [ws.cell(r, 4).value for r in range(4, 10)]
    assert rules[0] == "状況が「達成」" and rules[-1] == "その他"


def test_a_ready_scheme_chosen_in_settings_drives_the_result_sheet(master):
    _set(master, "evaluation_scheme", "達成・未達成（○×）")
    code, data = cli_json("compute", str(master), "--json")
    assert code == 0, data
    assert data["scheme_name"] == "達成・未達成（○×）"
    assert {i["level_symbol"] for i in data["indicators"]} <= {"○", "×", "－"}
    header, values = _column(master, "評価区分（")
    assert header == "評価区分（達成・未達成（○×））" and set(values) <= {"○ 達成", "× 未達成", "－ 評価できない"}
    for i in data["indicators"]:  # the section's status stays as computed beside the level
        assert i["status"] and i["level_reason"]
    topics = [r[0].value for r in openpyxl.load_workbook(master)["判定ルール"].iter_rows(min_row=4) if r[0].value]
    assert "評価区分: 達成・未達成（○×）" in topics and "評価区分 ○ 達成" in topics


def test_the_plans_own_scheme_from_the_sheet(master):
    _set(master, "evaluation_scheme", "評価区分シート")
    _levels(master, [("－", "未確定", "EDEDED", "実績なし"), ("A", "年度目標を達成", "C6EFCE", "年度目標を達成"), ("B", "改善", "FFEB9C", "前年度より改善"), ("C", "その他", "FFC7CE", "その他")])
    code, data = cli_json("compute", str(master), "--json")
    assert code == 0, data
    assert data["scheme_name"] == "評価区分シートの区分"
    assert {i["level_symbol"] for i in data["indicators"]} <= {"－", "A", "B", "C"}
    # round trip: validate again (the sheet is the plan's own and stays as typed)
    code, val = cli_json("validate", str(master), "--json", "--no-write")
    assert code == 0 and not [w for w in val["warnings"] if w["code"].startswith("SCHEME")]


@pytest.mark.parametrize(("setting", "rows", "word"), [
    ("とても細かい方式", None, "ありません"),
    ("評価区分シート", [("A", "年度目標を達成", "C6EFCE", "年度目標を達成"), ("B", "未達成", "FFC7CE", "達成率（年度）70%未満")], "その他"),
    ("評価区分シート", [("A", "良い", "C6EFCE", "とても良い"), ("B", "その他", "FFC7CE", "その他")], "使える書き方"),
])
def test_validate_explains_a_scheme_it_cannot_use(master, setting, rows, word):
    _set(master, "evaluation_scheme", setting)
    if rows:
        _levels(master, rows)
    code, val = cli_json("validate", str(master), "--json", "--no-write")
    errors = [e for e in val["errors"] if e["code"] == "SCHEME_INVALID"]
    assert code == 1 and errors and word in errors[0]["message"] and errors[0]["sheet"], errors
    if rows is None:
        assert run_cli("compute", str(master)).returncode == 1  # no computation with an unusable scheme


def test_levels_edited_without_choosing_the_sheet_are_flagged(master):
    _levels(master, [("A", "達成", "C6EFCE", "年度目標を達成"), ("B", "その他", "FFC7CE", "その他")])
    code, val = cli_json("validate", str(master), "--json", "--no-write")
    assert [w for w in val["warnings"] if w["code"] == "SCHEME_SHEET_UNUSED"], val["warnings"]


def test_the_site_and_open_data_show_the_chosen_scheme(master, tmp_path):
    _set(master, "evaluation_scheme", "最終目標・年度目標・前年度比（◎○△▲－）")
    out = tmp_path / "site"
    proc = run_cli("publish", str(master), "--out", str(out), "--no-pdf")
    assert proc.returncode == 0, proc.stderr
    pages = [plain(p.read_text(encoding="utf-8")) for p in out.rglob("*.html")]
    assert any("評価区分（最終目標・年度目標・前年度比（◎○△▲－））" in p for p in pages)
    method = next(p for p in pages if "判定のルール（詳細）" in p)
    assert "評価区分: 最終目標・年度目標・前年度比（◎○△▲－）" in method and "前年度の実績より望ましい向きに変わった" in method
    csv = next(out.rglob("*.csv")).read_text(encoding="utf-8-sig")
    assert "評価区分" in csv.splitlines()[0]


def _judge(master, rows: list[tuple[str, int, str, str]]) -> None:
    wb = openpyxl.load_workbook(master)
    ws = wb["指標の評価"]
    for i, row in enumerate(rows):
        for c, v in enumerate(row, start=1):
            ws.cell(4 + i, c).value = v
    wb.save(master)


def test_the_sections_own_judgement_beside_the_computed_level(master):
    _set(master, "evaluation_scheme", "達成・未達成（○×）")
    code, data = cli_json("compute", str(master), "--json")
    computed = {i["id"]: i["level_symbol"] for i in data["indicators"]}
    evaluated = {i["id"]: i["evaluated_fy"] for i in data["indicators"]}
    other = {"○": "×", "×": "○", "－": "○"}
    _judge(master, [("S06", evaluated["S06"], computed["S06"], "数値のとおり"), ("S05", evaluated["S05"], other[computed["S05"]], "印刷された評価")])
    code, data = cli_json("compute", str(master), "--json")
    assert code == 0, data
    by = {i["id"]: i for i in data["indicators"]}
    assert (by["S06"]["own_level"], by["S06"]["level_agrees"]) == (computed["S06"], True)
    assert (by["S05"]["own_level"], by["S05"]["level_agrees"], by["S05"]["level_symbol"]) == (other[computed["S05"]], False, computed["S05"])  # both kept
    assert by["S01"]["level_agrees"] is None
    ws = openpyxl.load_workbook(master)["達成状況"]
    header = [c.value for c in ws[3]]
    s05 = next([c.value for c in r] for r in ws.iter_rows(min_row=4) if r[0].value == "S05")
    assert s05[header.index("所管課の評価")] == other[computed["S05"]] and s05[header.index("一致")] == "✕ 不一致"
    # round trip: the judgements stay as typed, and an unknown symbol is flagged
    _judge(master, [("S06", evaluated["S06"], "◎", "")])
    code, val = cli_json("validate", str(master), "--json", "--no-write")
    unknown = [w for w in val["warnings"] if w["code"] == "JUDGEMENT_UNKNOWN_LEVEL"]
    assert unknown and "◎" in unknown[0]["message"] and unknown[0]["cell"].startswith("C"), unknown


def test_the_pdf_report_shows_the_level_and_the_sections_judgement():
    from envplan.plan.model import Judgement
    from envplan.plan.samples import load_sample
    from envplan.report.context import build_report
    from envplan.report.pdf import report_html
    from envplan.rules.compute import compute_plan

    plan = load_sample("shinagawa")
    plan.settings.evaluation_scheme = "達成・未達成（○×）"
    result = compute_plan(plan)
    s06 = result.indicator("S06")
    own = "×" if s06.level_symbol != "×" else "○"
    plan.indicator("S06").judgements.append(Judgement(fy=s06.evaluated_fy, level=own, reason="印刷された評価"))
    r = build_report(plan, compute_plan(plan))
    r.files = {"csv": "c", "json": "j"}
    printed = plain(report_html(r))
    assert "評価区分（達成・未達成（○×））" in printed and f"所管課の評価: {own}（不一致）" in printed
    assert "評価区分: 達成・未達成（○×）" in printed  # the method section describes the scheme
