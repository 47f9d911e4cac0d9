"""Choosing and defining an evaluation scheme in the workbook (設定 and 評価区分 sheets), through the real CLI."""

from __future__ import annotations

import json
import re
import shutil

import openpyxl
import pytest

from conftest import cli_json, run_cli
from envplan.report.typeset import plain  # pages read as text, without the line-break markup
from returns_kit import set_setting, type_levels


@pytest.fixture
def master(sample_masters, tmp_path):
    path = tmp_path / "shinagawa.xlsx"
    shutil.copy2(sample_masters["shinagawa"], path)
    return path


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
    set_setting(master, "evaluation_scheme", "達成・未達成（○×）")
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
    set_setting(master, "evaluation_scheme", "評価区分シート")
    type_levels(master, [("－", "未確定", "EDEDED", "実績なし"), ("A", "年度目標を達成", "C6EFCE", "年度目標を達成"), ("B", "改善", "FFEB9C", "前年度より改善"), ("C", "その他", "FFC7CE", "その他")])
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
    set_setting(master, "evaluation_scheme", setting)
    if rows:
        type_levels(master, rows)
    code, val = cli_json("validate", str(master), "--json", "--no-write")
    errors = [e for e in val["errors"] if e["code"] == "SCHEME_INVALID"]
    assert code == 1 and errors and word in errors[0]["message"] and errors[0]["sheet"], errors
    if rows is None:
        assert run_cli("compute", str(master)).returncode == 1  # no computation with an unusable scheme


def test_levels_edited_without_choosing_the_sheet_are_flagged(master):
    type_levels(master, [("A", "達成", "C6EFCE", "年度目標を達成"), ("B", "その他", "FFC7CE", "その他")])
    code, val = cli_json("validate", str(master), "--json", "--no-write")
    assert [w for w in val["warnings"] if w["code"] == "SCHEME_SHEET_UNUSED"], val["warnings"]


def _judge(master, rows: list[tuple[str, int, str, str]]) -> None:
    wb = openpyxl.load_workbook(master)
    ws = wb["指標の評価"]
    for i, row in enumerate(rows):
        for c, v in enumerate(row, start=1):
            ws.cell(4 + i, c).value = v
    wb.save(master)


def test_the_sections_own_judgement_beside_the_computed_level(master):
    set_setting(master, "evaluation_scheme", "達成・未達成（○×）")
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
    # the summary cards, the counts table and the badges are in the scheme's levels, coloured by it
    html = report_html(r)
    cards = re.sub(r"<[^>]+>|\s", "", html.split('class="status-cards">')[1].split("</ul>")[0])
    whole = r.result.summary[-1].level_counts
    assert cards == "".join(f"{k.replace(' ', '')}{n}" for k, n in whole.items()), cards
    assert "status-lv1" in html and ".status-lv2 { background: #FFC7CE" in html and 'class="status status-achieved' not in html


def _style_rules(html: str) -> dict[str, dict[str, str]]:
    """CSS rules of the page's level colours: selector → {property: value}."""
    css = "".join(re.findall(r"<style>(.*?)</style>", html, re.S))
    return {sel.strip(): dict(p.strip().split(": ") for p in body.split(";") if p.strip()) for sel, body in re.findall(r"([^{}]+)\{([^}]*)\}", css)}


def test_a_plans_own_symbols_labels_and_colours_everywhere_never_the_six_levels(master, tmp_path):
    """○△× of the plan's own 評価区分 sheet, with one fill too dark for black text: the summary sheet, the
    site's summary and category pages, the open data count and colour by those levels, and the colour is
    lightened to keep 4.5:1 (validate says so)."""
    from envplan.plan.schemes import contrast_ratio

    set_setting(master, "evaluation_scheme", "評価区分シート")
    type_levels(master, [
        ("―", "実績なし", "EDEDED", "実績なし"),
        ("○", "目標達成又は改善", "C6EFCE", "年度目標を達成"),
        ("○", "目標達成又は改善", "C6EFCE", "前年度より改善（±1%）"),
        ("△", "横ばい", "FFEB9C", "前年度から変化なし（±1%）"),
        ("×", "悪化", "A00000", "その他"),  # dark red: black text on it is 2.5:1
    ])
    from envplan.workbook.io import CalamineSource
    from envplan.workbook.validation import validate_source

    val = validate_source(CalamineSource(master)).diagnostics
    adjusted = [w for w in val.warnings if w.code == "SCHEME_COLOUR_ADJUSTED"]
    assert not val.errors and len(adjusted) == 1 and "A00000" in adjusted[0].message and adjusted[0].cell.startswith("C8"), adjusted
    code, data = cli_json("compute", str(master), "--json")  # also writes the result sheets
    keys = ["○ 目標達成又は改善", "△ 横ばい", "× 悪化", "― 実績なし"]  # one ○ for its two rules; 'no judgement' last
    assert [lv["key"] for lv in data["shown_levels"]] == keys
    whole = data["summary"][-1]
    assert sum(whole["level_counts"].values()) == whole["total"] == len(data["indicators"])
    for k in keys:
        assert whole["level_counts"][k] == sum(1 for i in data["indicators"] if f"{i['level_symbol']} {i['level_label']}" == k)
    ws = openpyxl.load_workbook(master)["達成状況_集計"]
    assert [c.value for c in ws[3]] == ["分野", *keys, "合計"]
    fills = {lv["key"]: lv["colour"] for lv in data["shown_levels"]}
    assert fills["× 悪化"] != "A00000" and contrast_ratio(fills["× 悪化"], "000000") >= 4.5

    out = tmp_path / "site"
    proc = run_cli("publish", str(master), "--out", str(out), "--no-pdf")
    assert proc.returncode == 0, proc.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    cards = re.sub(r"<[^>]+>|\s", "", index.split('class="status-cards">')[1].split("</ul>")[0])
    for k in keys:
        symbol, label = k.split(" ")
        assert f"{symbol}{label}{whole['level_counts'][k]}指標" in cards, cards
    for six in ("順調", "やや遅れ", "評価不能", "✕", "▲"):
        assert six not in cards
    rules = _style_rules(index)
    for n in range(1, 5):  # the badge text keeps 4.5:1 on its fill and on the page's white
        badge = rules[f".status-lv{n}"]
        fill, text = badge["background"].lstrip("#"), badge["color"].lstrip("#")
        assert contrast_ratio(fill, text) >= 4.5 and contrast_ratio(text, "FFFFFF") >= 4.5
    assert rules[".status-lv3"]["background"] == f"#{fills['× 悪化']}"
    category = next(p for p in (out / "categories").glob("*.html") if "分野別の指標の状況" in plain(p.read_text(encoding="utf-8")))
    page = plain(category.read_text(encoding="utf-8"))
    assert "やや遅れ" not in page.split("この分野の指標は")[1].split("。")[1]
    doc = json.loads(next(out.rglob("indicators.json")).read_text(encoding="utf-8"))
    assert [lv["level"] for lv in doc["evaluation_scheme"]["levels"]] == keys
    pages = [plain(p.read_text(encoding="utf-8")) for p in out.rglob("*.html")]
    assert any("評価区分（評価区分シートの区分）" in p for p in pages)
    method = next(p for p in pages if "判定のルール（詳細）" in p)
    assert "評価区分: 評価区分シートの区分" in method and "前年度の実績より望ましい向きに変わった" in method
    csv = (out / "data" / "indicators.csv").read_text(encoding="utf-8-sig")
    assert "評価区分" in csv.splitlines()[0] and "× 悪化" in csv


def test_a_two_axis_scheme_through_the_workbook_the_sheets_and_the_report(tmp_path):
    """目標の達成 × 前年度からの変化 (「Ab」): the 評価区分 sheet shows both axes and reads back as chosen, the
    years get pairs, the summary counts pairs, the report shows them, and the section's 「Ab」 is compared."""
    from envplan.plan.illustrative import add_illustrative_actuals
    from envplan.plan.model import Judgement
    from envplan.plan.samples import load_sample
    from envplan.report.context import build_report
    from envplan.report.pdf import report_html
    from envplan.rules.compute import compute_plan
    from envplan.workbook.io import CalamineSource
    from envplan.workbook.validation import validate_source
    from envplan.workbook.writer import save_master

    plan = add_illustrative_actuals(load_sample("shinagawa"))
    plan.settings.evaluation_scheme = "目標の達成と前年度比の2軸（A・B・C × a・b・c）"
    path = tmp_path / "two.xlsx"
    save_master(plan, path)
    sheet = openpyxl.load_workbook(path)["評価区分"]
    labels = [sheet.cell(r, 2).value for r in range(4, sheet.max_row + 1) if sheet.cell(r, 2).value]
    assert labels[:2] == ["目標の達成: 実績なし", "目標の達成: 最終目標を達成"] and "前年度からの変化: 前年度より改善" in labels
    run = validate_source(CalamineSource(path))
    assert not run.diagnostics.errors and not [w for w in run.diagnostics.warnings if w.code.startswith("SCHEME")]
    result = compute_plan(plan)
    symbols = {y.level_symbol for i in result.indicators for y in i.years}
    assert symbols <= {"－", *(a + b for a in "ABC" for b in "abc－")} and any(len(s) == 2 for s in symbols)
    whole = result.summary[-1]
    assert sum(whole.level_counts.values()) == whole.total and "Ab 最終目標を達成・前年度から変化なし" in whole.level_counts
    s06 = result.indicator("S06")
    pick = next(y for y in s06.years if len(y.level_symbol) == 2)
    assert "目標の達成: 「" in pick.level_reason and "前年度からの変化: 「" in pick.level_reason
    plan.indicator("S06").judgements.append(Judgement(fy=pick.fy, level=pick.level_symbol[0] + "c", reason="印刷された評価"))
    again = compute_plan(plan).indicator("S06")
    judged = next(y for y in again.years if y.fy == pick.fy)
    assert judged.own_level == pick.level_symbol[0] + "c" and judged.level_agrees is (pick.level_symbol[1] == "c")
    r = build_report(plan, compute_plan(plan))
    r.files = {"csv": "c", "json": "j"}
    html = report_html(r)
    cards = re.sub(r"<[^>]+>|\s", "", html.split('class="status-cards">')[1].split("</ul>")[0])
    assert "Aa最終目標を達成・前年度より改善" in cards and "順調" not in cards
    assert "評価区分の2つの軸" in plain(html)


def test_the_sections_judgement_is_shown_beside_the_six_levels_too():
    from envplan.plan.illustrative import add_illustrative_actuals
    from envplan.plan.model import Judgement
    from envplan.plan.samples import load_sample
    from envplan.report.context import build_report
    from envplan.report.pdf import report_html
    from envplan.rules.compute import compute_plan

    plan = add_illustrative_actuals(load_sample("shinagawa"))  # the default scheme
    s06 = compute_plan(plan).indicator("S06")
    own = "✕" if s06.level_symbol != "✕" else "◎"
    plan.indicator("S06").judgements.append(Judgement(fy=s06.evaluated_fy, level=own, reason="課の判断"))
    r = build_report(plan, compute_plan(plan))
    r.files = {"csv": "c", "json": "j"}
    printed = plain(report_html(r))
    assert f"所管課の評価: {own}（不一致）" in printed and "評価区分（envplan の6区分（既定））" in printed
