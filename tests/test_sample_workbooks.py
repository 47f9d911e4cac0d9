"""The built sample workbooks hold every wording, name and figure of the seeds,
and LibreOffice opens them, converts them to PDF and saves them back readable."""

import shutil
import subprocess

import openpyxl
import pytest

from conftest import require, soffice_convert
from envplan.plan.samples import load_sample
from envplan.workbook.io import CalamineSource
from envplan.workbook.reader import read_master
from test_target_wording import EXPECTED

SHINAGAWA_NAMES = [
    "品川区のCO2排出量", "一世帯あたりの品川区の家庭部門CO2排出量", "公共施設への再生可能エネルギー導入量",
    "地球温暖化防止に関する環境講座の継続的な開催", "区民一人一日あたりの収集ごみ量", "資源化率",
    "スケルトン清掃車を使った環境学習", "世論調査などによる環境意識アンケート", "河川における環境基準の達成状況",
    "水辺に親しめる空間の整備・開放", "みどり率の増加", "大気測定局における環境基準の達成状況",
    "放置自転車・放置バイクの撤去台数", "景観「重点地区」の指定地区数", "庁舎などからの単位床面積あたりのCO2排出量",
    "エコパワーカンパニーの認定事業所数", "体験型の環境学習機会の提供",
]
KAWASAKI_FIGURES = [
    745, 250, 273, 600, 428, 950, 868, 37, 40, 46, 90, 96, 130, 161, 28, 36, 38, 37,
    43769, 38182, 39173, 37355, 34473, 38802, 21959, 21165,
]


def _cells(path):
    wb = openpyxl.load_workbook(path)
    strings, numbers = [], []
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, str) and not v.startswith("="):
                    strings.append(v)
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    numbers.append(v)
    return strings, numbers


def test_every_shinagawa_wording_and_name_is_in_the_workbook(sample_masters):
    strings, _ = _cells(sample_masters["shinagawa"])
    for text in list(EXPECTED) + SHINAGAWA_NAMES:
        assert text in strings, text
    plan = load_sample("shinagawa")
    for p in plan.projects:
        assert p.name in strings
        for ph in p.phases:
            assert ph.name in strings
    for rp in plan.related_plans:
        assert rp.name in strings
    assert any("H34時点で入手可能な最新データがH32" in s for s in strings)


def test_every_kawasaki_sentence_and_figure_is_in_the_workbook(sample_masters):
    strings, numbers = _cells(sample_masters["kawasaki"])
    plan = load_sample("kawasaki")
    policy = plan.policies[0]
    for field in ("title", "basic_policy", "policy_direction", "basic_measure", "related_departments", "issues", "overview", "goals", "results", "remaining_issues", "future_direction"):
        assert getattr(policy, field) in strings, field
    for r in policy.ratings:
        assert r.rating == "AⅡ" and r.rating in strings
    assert policy.ratings[-1].reason in strings
    for g in policy.glossary:
        assert g.term in strings and g.description in strings
    for s in policy.subprojects:
        assert s.name in strings
    for ind in plan.indicators:
        assert ind.name in strings and ind.description in strings
    assert "41303000" in strings
    for figure in KAWASAKI_FIGURES:
        assert figure in numbers, figure


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", ["shinagawa", "kawasaki", "all"])
def test_libreoffice_converts_to_pdf(name, sample_masters, tmp_path):
    src = tmp_path / f"{name}.xlsx"
    shutil.copy2(sample_masters[name], src)
    pdf = soffice_convert(src, "pdf", tmp_path)
    assert pdf.stat().st_size > 10_000
    pdftotext = require("pdftotext")
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "使い方" in text or "進行管理ワークブック" in text
    if name != "shinagawa":
        # The policy form's reference indicator figures are formulas: LibreOffice computed them.
        assert "施策進行管理・評価票" in text and "868" in text


@pytest.mark.libreoffice
def test_master_saved_by_libreoffice_reads_back_the_same(sample_masters, tmp_path):
    src = tmp_path / "all.xlsx"
    shutil.copy2(sample_masters["all"], src)
    # A provisional figure marked as staff do (速報 in the indicator's 速報・確定 row) survives too.
    wb = openpyxl.load_workbook(src)
    ws = wb["指標実績"]
    years = {c.value: c.column for c in ws[3]}
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == "S03" and ws.cell(r, 4).value == "速報・確定")
    ws.cell(row, years["2022年度"]).value = "速報"
    wb.save(src)
    outdir = tmp_path / "lo"
    outdir.mkdir()
    saved = soffice_convert(src, "xlsx:Calc MS Excel 2007 XML", outdir)
    original = read_master(CalamineSource(src)).plan
    assert original is not None and original.indicator("S03").provisional(2022)
    reading = read_master(CalamineSource(saved))
    assert not reading.diagnostics.errors, [d.to_json() for d in reading.diagnostics.errors][:5]
    assert reading.plan == original
