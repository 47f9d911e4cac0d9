"""Open data by Japanese conventions (issue 14 §4) and the analyst's API: the published
CSV/JSON read back with the csv module and pandas, the 全国地方公共団体コード and its
check digit, the baseline rows, the licence, the further datasets, `envplan.read_master`'s
frames against figures of the samples, and a third city's open data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import envplan
from envplan.plan.model import ProjectPartReport, ProjectStatus
from envplan.plan.municipality_code import check_digit, code_problem
from envplan.plan.open_licence import find_licence
from envplan.plan.samples import load_sample
from envplan.report.analysis import MasterError
from envplan.report.context import build_report
from envplan.report.frames import DATASETS, INDICATOR_FIELDS
from envplan.report.opendata import write_open_data
from envplan.report.publish import publish
from envplan.rules.compute import compute_plan
from envplan.workbook.layout import HEADER_ROW, layout
from envplan.workbook.writer import save_master
from test_third_city import SAMPLE_WORDS, third_plan


@pytest.fixture(scope="module")
def published(sample_masters: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both samples published without the PDF: name → their data folder."""
    out = {}
    for name in ("shinagawa", "kawasaki"):
        res = publish(sample_masters[name], tmp_path_factory.mktemp("od") / name, pdf=False)
        out[name] = Path(res.open_data["csv"]).parent
    return out


def _csv_rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # BOM for Excel, CRLF
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def _frame(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"全国地方公共団体コード": str, "分野コード": str, "施策コード": str})


# --- the code and the settings --------------------------------------------------------


def test_check_digit_of_real_codes_and_wrong_ones_explained() -> None:
    # 品川区, 川崎市, 札幌市, 東京都, 大阪市, 北海道: the codes 総務省 lists.
    for code in ("131091", "141305", "011002", "130001", "271004", "010006"):
        assert check_digit(code[:5]) == int(code[5]) and code_problem(code) == "", code
    assert code_problem("１３１０９１") == ""  # full-width digits as typed
    assert "検査数字（6桁目）が 2" in code_problem("131092") and "131091" in code_problem("131092")
    five = code_problem("13109")
    assert "5桁" in five and "131091" in five and "読み替えません" in five  # 13109 or 013109? not guessed
    assert "01～47" in code_problem("991234") and "数字以外" in code_problem("13-109")
    assert find_licence("CC-BY 4.0").name == "CC BY 4.0" and find_licence("公共データ利用規約(第1.0版)").name == "公共データ利用規約（第1.0版）"
    assert find_licence("CC BY") is None  # which version: not guessed


@given(st.integers(1, 47), st.integers(0, 999), st.integers(0, 9))
def test_a_code_is_accepted_only_with_its_own_check_digit(pref: int, town: int, last: int) -> None:
    five = f"{pref:02d}{town:03d}"
    weighted = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2)))
    right = (11 - weighted % 11) % 10  # 総務省: the last digit of 11 − (weighted sum mod 11)
    assert check_digit(five) == right
    assert (code_problem(f"{five}{last}") == "") == (last == right)


def test_an_older_master_reads_and_a_wrong_code_is_refused(tmp_path: Path) -> None:
    """validate's message naming the cell is tested on the CLI in test_validate (hand-broken copy)."""
    plan = load_sample("kawasaki")
    plan.municipality_code = "141306"
    master = tmp_path / "master.xlsx"
    save_master(plan, master)
    wb = openpyxl.load_workbook(master)
    settings, ind_sheet = wb[layout()["settings"].name], wb[layout()["indicators"].name]
    row = next(r for r in range(1, settings.max_row + 1) if settings.cell(r, 1).value == "municipality_code")
    assert settings.cell(row, 3).number_format == "@"  # a text cell: Excel keeps a leading 0 when it is retyped
    with pytest.raises(MasterError) as e:
        envplan.read_master(master)
    assert "検証エラーが 1 件" in str(e.value) and "検査数字（6桁目）が 6" in str(e.value)
    assert (e.value.diagnostics[0].sheet, e.value.diagnostics[0].cell) == ("設定", f"C{row}")

    # An older master: the 指標 sheet without the 出典 and 更新頻度 columns of this version.
    headers = [c.value for c in ind_sheet[HEADER_ROW]]
    for name in ("更新頻度", "出典"):
        ind_sheet.delete_cols(headers.index(name) + 1)
    settings.cell(row, 3).value = "141305"
    wb.save(master)
    m = envplan.read_master(master)
    assert m.plan.municipality_code == "141305" and {i.source for i in m.plan.indicators} == {""}
    assert set(m.indicators_frame()["update_frequency"]) == {"毎年度"}


# --- the published files of both samples -------------------------------------------------


def test_sample_open_data_read_back(published: dict[str, Path]) -> None:
    shin, kawa = published["shinagawa"], published["kawasaki"]
    assert sorted(p.name for p in shin.iterdir()) == ["README.txt", "indicators.csv", "indicators.json", "projects.csv", "projects.json"]
    assert sorted(p.name for p in kawa.iterdir()) == ["README.txt", "budgets.csv", "budgets.json", "indicators.csv", "indicators.json", "ratings.csv", "ratings.json"]

    rows = _csv_rows(shin / "indicators.csv")
    assert list(rows[0]) == [f.header for f in INDICATOR_FIELDS]
    assert "見込み値" in rows[0] and not any("期待値" in h for h in rows[0])
    assert {r["全国地方公共団体コード"] for r in rows} == {"131091"} and {(r["都道府県名"], r["市区町村名"]) for r in rows} == {("東京都", "品川区")}
    assert {r["分野コード"] for r in rows} == {"1", "2", "3", "4", "5"} and "地球環境" in {r["分野"] for r in rows}
    s01 = {int(r["年度"]): r for r in rows if r["指標ID"] == "S01"}
    base = s01[2012]  # the baseline year's row, missing before
    assert (base["年度の区分"], base["実績値"], base["状況"]) == ("基準年度", "1520", "")
    assert all((r["基準年度"], r["基準値"], r["目標年度"], r["目標値"]) == ("2012", "1520", "2020", "1324") for r in s01.values())
    assert sorted(s01) == list(range(2012, 2023)) and s01[2020]["評価年度"] == "1"

    kr = _csv_rows(kawa / "indicators.csv")
    k2010 = next(r for r in kr if r["指標ID"] == "K41303000-1" and r["年度"] == "2010")
    assert (k2010["計画値"], k2010["実績値"], k2010["年度の区分"], k2010["状況"]) == ("745", "745", "計画期間前", "")
    assert {r["全国地方公共団体コード"] for r in kr} == {"141305"} and {r["分野コード"] for r in kr} == {"K1"}

    # 達成率 and 進捗率 can be recomputed from the row alone.
    df = pd.concat([_frame(shin / "indicators.csv"), _frame(kawa / "indicators.csv")])
    assert check_digit(df["全国地方公共団体コード"].iloc[0][:5]) == int(df["全国地方公共団体コード"].iloc[0][5])
    rated = df[df["達成率"].notna()]
    assert len(rated) > 60
    higher = rated["望ましい方向"] == "大きいほどよい"
    recomputed = (rated["実績値"] / rated["達成率の比較値"]).where(higher, rated["達成率の比較値"] / rated["実績値"])
    assert (recomputed - rated["達成率"]).abs().max() < 1e-5
    path = df[df["進捗率"].notna() & df["比較の対象"].eq("目標値")]
    assert len(path) > 10
    progress = (path["実績値"] - path["基準値"]) / (path["目標値"] - path["基準値"])
    assert (progress - path["進捗率"]).abs().max() < 1e-5

    # The JSON: the same rows, the licence, null for a missing number.
    doc = json.loads((shin / "indicators.json").read_text(encoding="utf-8"))
    assert len(doc["records"]) == len(rows) and doc["municipality_code"] == "131091"
    types = {f["key"]: f["type"] for f in doc["fields"]}
    assert (types["fiscal_year"], types["actual_value"], types["indicator"]) == ("integer", "number", "string")
    assert doc["license"]["name"] == "CC BY 4.0" and doc["license"]["url"].startswith("https://creativecommons.org/licenses/by/4.0/")
    rec = next(r for r in doc["records"] if r["indicator_id"] == "S01" and r["fiscal_year"] == 2012)
    assert rec["actual_value"] == 1520 and rec["expected_value"] is None and rec["municipality_code"] == "131091"
    readme = (shin / "README.txt").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme and "https://creativecommons.org/licenses/by/4.0/deed.ja" in readme and "BOM" in readme
    assert "projects.csv" in readme and "budgets.csv" not in readme


def test_further_datasets_of_the_samples(published: dict[str, Path]) -> None:
    shin, kawa = published["shinagawa"], published["kawasaki"]
    ratings = _csv_rows(kawa / "ratings.csv")
    assert [(r["年度"], r["所管課の評価"], r["評価案"], r["評価案と不一致"]) for r in ratings] == [
        ("2011", "AⅡ", "AⅡ", "0"), ("2012", "AⅡ", "B", "1"), ("2013", "AⅡ", "AⅡ", "0")
    ]
    assert ratings[0]["施策コード"] == "41303000" and ratings[0]["全国地方公共団体コード"] == "141305"
    budgets = _frame(kawa / "budgets.csv")
    assert len(budgets) == 8 and set(budgets["単位"]) == {"千円"} and set(budgets["区分名"]) == {"事業費合計"}
    assert budgets.set_index(["年度", "種別"]).loc[(2011, "予算"), "金額"] == 43769
    assert budgets.set_index(["年度", "種別"]).loc[(2013, "決算見込"), "金額"] == 21165
    projects = _frame(shin / "projects.csv")
    assert set(projects["報告の区分"]) == {"主担当"} and len(projects) == 5 * 10  # 5 projects × the plan's 10 years
    p1 = projects[projects["プロジェクトID"] == "P1"].set_index("年度")
    assert p1.loc[2015, "工程の段階"] == "事業の開始" and p1.loc[2013, "報告した課"] == "環境部環境課"
    for folder in (shin, kawa):
        for csv_path in folder.glob("*.csv"):
            doc = json.loads(csv_path.with_suffix(".json").read_text(encoding="utf-8"))
            assert len(doc["records"]) == len(_csv_rows(csv_path)) and doc["license"]["name"] == "CC BY 4.0", csv_path


# --- the analyst's API ---------------------------------------------------------------


def test_read_master_frames(sample_masters: dict[str, Path]) -> None:
    k = envplan.read_master(sample_masters["kawasaki"])
    ind = k.indicators_frame()
    assert ind.shape == (12, len(INDICATOR_FIELDS)) and list(ind.columns) == [f.key for f in INDICATOR_FIELDS]
    assert str(ind["fiscal_year"].dtype) == "Int64" and str(ind["actual_value"].dtype) == "Float64"
    one = ind[ind["indicator_id"] == "K41303000-1"].set_index("fiscal_year")
    assert one.loc[2010, "actual_value"] == 745 and one.loc[2013, "plan_value"] == 950 and one.loc[2013, "actual_value"] == 868
    assert one.loc[2012, "status"] == "遅れ" and abs(one.loc[2012, "achievement_rate"] - 428 / 600) < 1e-6
    assert pd.isna(one.loc[2010, "achievement_rate"])  # missing, not 0
    assert k.ratings_frame().shape == (3, len(DATASETS[2].fields)) and k.projects_frame().empty
    b = k.budgets_frame()
    assert b.shape == (8, len(DATASETS[3].fields)) and b.groupby("kind")["amount"].sum()["予算"] == 43769 + 37355 + 21959
    assert list(k.columns("budgets")["header"])[:3] == ["全国地方公共団体コード", "都道府県名", "市区町村名"]

    s = envplan.read_master(sample_masters["shinagawa"], fy=2021)
    df = s.indicators_frame()
    s01 = df[df["indicator_id"] == "S01"].set_index("fiscal_year")
    assert s.fy == 2021 and list(s01.index) == list(range(2012, 2022))
    # As of 2021 with a 2-year lag, the 2020 figure (arriving in 2022) is not yet known.
    assert s01.loc[2019, "actual_value"] == 1375 and pd.isna(s01.loc[2020, "actual_value"]) and s01.loc[2019, "evaluated"] == 1
    assert s.projects_frame()["status"].eq("").all() and s.ratings_frame().empty


# --- a third city ----------------------------------------------------------------------


def test_a_third_citys_open_data_is_its_own(tmp_path: Path) -> None:
    plan = third_plan()
    plan.municipality_code, plan.prefecture, plan.city, plan.licence = f"20999{check_digit('20999')}", "長野県", "緑川市", "公共データ利用規約（第1.0版）"
    plan.indicators[0].source, plan.indicators[0].update_frequency = "緑川市温室効果ガス排出量推計", "毎年度（2年遅れ）"
    plan.projects[0].statuses.append(ProjectStatus(fy=2024, status="遅れ", comment="用地の調整"))
    plan.projects[0].part_reports = [ProjectPartReport(fy=2024, department="D2", status="予定どおり", comment="広報を実施")]
    result = compute_plan(plan)
    files = write_open_data(build_report(plan, result, None), tmp_path / "data")
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == sorted([f"{d.name}.{x}" for d in DATASETS for x in ("csv", "json")] + ["README.txt"])
    leaks = {p.name: [w for w in (*SAMPLE_WORDS, "131091", "141305", "東京都", "神奈川県") if w in p.read_text(encoding="utf-8-sig")] for p in files.values()}
    assert all(not v for v in leaks.values()), leaks
    rows = _csv_rows(files["csv"])
    g1 = [r for r in rows if r["指標ID"] == "G1"]
    assert {r["全国地方公共団体コード"] for r in rows} == {plan.municipality_code} and code_problem(plan.municipality_code) == ""
    assert {(r["出典"], r["更新頻度"]) for r in g1} == {("緑川市温室効果ガス排出量推計", "毎年度（2年遅れ）")}
    assert {r["更新頻度"] for r in rows if r["指標ID"] == "R1"} == {"毎年度"}
    assert g1[0]["年度の区分"] == "基準年度" and g1[0]["実績値"] == "1000"
    projects = _csv_rows(files["projects_csv"])
    y24 = [(r["報告した課"], r["報告の区分"], r["状況"], r["取組の状況"]) for r in projects if r["年度"] == "2024"]
    assert y24 == [("環境政策課", "主担当", "遅れ", "用地の調整"), ("資源循環課", "関係課", "予定どおり", "広報を実施")]
    assert not [r for r in projects if int(r["年度"]) > 2024 and r["状況"]]
    doc = json.loads(files["json"].read_text(encoding="utf-8"))
    assert doc["license"]["name"] == "公共データ利用規約（第1.0版）" and "digital.go.jp" in doc["license"]["url"]
    assert "公共データ利用規約（第1.0版）" in files["readme"].read_text(encoding="utf-8")
