"""A third city's plan (issue 11): its words follow the municipality, and nothing of
the bundled samples (Shinagawa 品川区, Kawasaki 川崎市) reaches any of its files —
the master, the departments' templates, the site, the PDF and the open data."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import cli_json
from envplan.plan.local_words import local_words, opinion_source_value
from envplan.plan.model import BudgetLine, Category, Department, Indicator, Opinion, Phase, Plan, Policy, Project, Rating, YearValue
from envplan.plan.targets import LevelTarget, PlanValuesTarget
from envplan.report.typeset import plain  # pages read as text, without the line-break markup
from envplan.workbook.layout import HEADER_ROW, layout
from envplan.workbook.writer import save_master

# What of the samples must never appear in another city's files.
SAMPLE_WORDS = ("品川", "川崎", "Shinagawa", "Kawasaki", "shinagawa", "kawasaki", "区民", "区の考え方", "区立")


def third_plan() -> Plan:
    return Plan(
        name="緑川市環境基本計画",
        municipality="緑川市",
        start_fy=2021,
        end_fy=2030,
        current_fy=2024,
        categories=[Category(code="1", name="脱炭素"), Category(code="2", name="資源循環")],
        departments=[Department(code="D1", name="環境政策課"), Department(code="D2", name="資源循環課")],
        indicators=[
            Indicator(
                id="G1", name="温室効果ガス排出量", category="1", unit="千t", direction="lower", baseline_fy=2021, baseline_value=1000,
                target_wording="2030年度までに800千t", target=LevelTarget(year=2030, value=800), department="D1", data_lag=2, policy="P01",
                values={2021: YearValue(actual=1000), 2022: YearValue(actual=960)},
            ),
            Indicator(
                id="R1", name="リサイクル率", category="2", unit="%", direction="higher", target_wording="年度ごとの計画値", target=PlanValuesTarget(),
                department="D2", policy="P01", values={fy: YearValue(plan=20 + fy - 2021, actual=(19 + fy - 2021) if fy <= 2023 else None) for fy in range(2021, 2031)},
            ),
        ],
        projects=[Project(id="PJ1", name="再エネ導入", category="1", departments=["D1", "D2"], phases=[Phase(name="導入", start_fy=2022, end_fy=2026)])],
        policies=[
            Policy(
                code="P01", title="脱炭素のまちづくり", evaluation_fy=2024, department="D1", overview="市域の排出削減を進める",
                ratings=[Rating(fy=2023, rating="B", reason="一定程度推進")], reference_indicators=["G1", "R1"],
                budget=[BudgetLine(fy=2024, kind="予算", amount=12000)],
            )
        ],
        opinions=[
            Opinion(id="O1", fy=2024, source="市民意見", subject="plan", text="再エネをもっと増やしてほしい", response="補助制度を拡充します"),
            Opinion(id="O2", fy=2024, source="推進会議", subject="policy", subject_id="P01", text="進捗の見える化を"),
        ],
    )


def test_local_words_follow_the_municipality() -> None:
    assert [local_words(m).residents_opinion for m in ("品川区", "緑川市", "山川町", "森野村", "東京都", "北海道", "京都府", "神奈川県", "")] == [
        "区民意見", "市民意見", "町民意見", "村民意見", "都民意見", "道民意見", "府民意見", "県民意見", "住民意見"
    ]
    assert local_words("緑川市").response == "市の考え方・対応" and local_words("").response == "考え方・対応"
    assert {opinion_source_value(s) for s in ("区民意見", "市民意見", "住民意見", "町民意見")} == {"住民意見"}


def _texts_of_xlsx(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith((".xml", ".rels", ".vml")))


def _leaks(text: str) -> list[str]:
    return [w for w in SAMPLE_WORDS if w in text]


@pytest.mark.slow
def test_a_third_city_has_its_own_words_and_nothing_of_the_samples(tmp_path: Path) -> None:
    master = tmp_path / "master.xlsx"
    save_master(third_plan(), master)
    for args in (("validate", master, "--json"), ("compute", master, "--json")):
        code, data = cli_json(*args)
        assert code == 0, data
    code, data = cli_json("issue", master, "--out", tmp_path / "templates", "--json")
    assert code == 0, data
    # Without the PDF here: the end-to-end test (test_new_city_e2e) greps a third city's PDF.
    code, data = cli_json("publish", master, "--out", tmp_path / "site", "--no-pdf", "--json")
    assert code == 0, data

    # The master speaks of 市民: the opinion sheet, its drop-down list, the guide.
    wb = openpyxl.load_workbook(master)
    ws = wb[layout()["opinions"].name]
    assert ws["A1"].value == "市民意見・事業者意見・推進会議の意見"
    headers = [c.value for c in ws[HEADER_ROW]]
    assert "市の考え方・対応" in headers
    assert ws.cell(HEADER_ROW + 1, layout()["opinions"].index("source")).value == "市民意見"
    lists = wb["_リスト"]
    assert "市民意見" in [c.value for col in lists.iter_cols() for c in col]
    # The site and the PDF say 市民意見 and 市の考え方・対応.
    index = plain((tmp_path / "site" / "index.html").read_text(encoding="utf-8"))
    assert "市民意見" in index and "市の考え方・対応" in index

    found: dict[str, list[str]] = {}
    outputs = [master, *sorted((tmp_path / "templates").rglob("*.xlsx")), *sorted((tmp_path / "site").rglob("*"))]
    assert len(outputs) > 20
    for path in outputs:
        if path.is_dir():
            continue
        if path.suffix == ".xlsx":
            text = _texts_of_xlsx(path)
        else:
            text = path.read_bytes().decode("utf-8", "replace")
        if _leaks(text):
            found[str(path.relative_to(tmp_path))] = _leaks(text)
    assert found == {}


def test_an_opinion_typed_with_another_resident_word_is_read(tmp_path: Path) -> None:
    """市民意見 typed in a ward's master (or 区民意見 in a city's) is the residents' opinion, not an error."""
    master = tmp_path / "master.xlsx"
    save_master(third_plan(), master)
    wb = openpyxl.load_workbook(master)
    ws = wb[layout()["opinions"].name]
    ws.cell(HEADER_ROW + 2, layout()["opinions"].index("source")).value = "区民意見"
    wb.save(master)
    code, data = cli_json("validate", master, "--json")
    assert code == 0 and data["errors"] == [], data


def test_policy_sheets_without_a_number_are_numbered_by_their_place_and_keep_their_title(tmp_path: Path) -> None:
    from envplan.workbook.io import CalamineSource
    from envplan.workbook.reader import read_master
    from envplan.workbook.xlsx_master_edits import OpenpyxlMasterSink

    plan = third_plan()
    second = plan.policies[0].model_copy(update={"code": "P02", "title": "資源循環", "reference_indicators": []})
    plan.policies.append(second)
    master = tmp_path / "master.xlsx"
    save_master(plan, master)
    wb = openpyxl.load_workbook(master)
    for code in ("P01", "P02"):
        wb[layout().policy_sheet_name(code)]["A1"].value = "施策進行管理・評価票"  # staff's own title, no number
    wb.save(master)
    reading = read_master(CalamineSource(master))
    assert reading.plan is not None and reading.diagnostics.errors == []
    assert [(p.code, p.sheet_no) for p in reading.plan.policies] == [("P01", 1), ("P02", 2)]  # not all (1)
    # Rewriting a sheet (as consolidate does) keeps the title staff wrote.
    wb = openpyxl.load_workbook(master)
    OpenpyxlMasterSink(wb).rewrite_policy_form(reading.plan, reading.plan.policies[1], layout().policy_sheet_name("P02"))
    assert wb[layout().policy_sheet_name("P02")]["A1"].value == "施策進行管理・評価票"
