"""Issue 11, done when: a third city's plan built from the blank master exactly as a
user would — the CLI and cell edits only — through init → validate → compute → issue
→ fill (openpyxl and LibreOffice) → consolidate → publish with the PDF → year open
→ issue, with a few figures checked against hand-computed values and every output
grepped for the samples' words."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from conftest import cli_json, require, soffice_convert
from envplan.report.typeset import plain  # pages read as text, without the line-break markup
from test_third_city import _leaks, _texts_of_xlsx

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice, pytest.mark.browser]


def _column(ws: Any, header: str, row: int = 3) -> int:
    """The column whose header (row 3) reads `header`, as a person finds it."""
    return next(c.column for c in ws[row] if c.value == header)


def _append(ws: Any, values: dict[str, Any]) -> int:
    r = 4
    while ws.cell(r, 1).value not in (None, ""):
        r += 1
    for header, value in values.items():
        ws.cell(r, _column(ws, header), value)
    return r


def _type_the_plan(master: Path) -> None:
    """What staff type into the blank master in Excel."""
    wb = openpyxl.load_workbook(master)
    for code, name in (("1", "脱炭素"), ("2", "資源循環")):
        _append(wb["分野"], {"コード": code, "分野名": name})
    for code, name, person in (("D1", "環境政策課", "緑 一郎"), ("D2", "資源循環課", "川 花子")):
        _append(wb["所管課"], {"コード": code, "課名": name, "担当者": person})
    ind = wb["指標"]
    _append(ind, {
        "指標ID": "G1", "分野": "1", "指標名": "温室効果ガス排出量", "単位": "千t", "方向": "小さいほどよい", "基準年度": "令和3年度", "基準値": 1000,
        "目標（原文）": "2030年度までに800千t", "目標種別": "年度までの水準", "目標年度": "R12", "目標値": 800, "所管課": "D1", "データの遅れ（年）": 2,
    })
    _append(ind, {
        "指標ID": "R1", "分野": "2", "指標名": "リサイクル率", "単位": "%", "方向": "大きいほどよい",
        "目標（原文）": "年度ごとの計画値", "目標種別": "年度別計画値", "所管課": "D2",
    })
    values = wb["指標実績"]
    rows = {
        ("G1", "計画値"): {}, ("G1", "実績値"): {2021: 1000, 2022: 960}, ("G1", "備考"): {2022: "速報"},
        ("R1", "計画値"): {fy: 20 + fy - 2021 for fy in range(2021, 2031)}, ("R1", "実績値"): {2021: 19, 2022: 20, 2023: 21}, ("R1", "備考"): {},
    }
    for (ind_id, kind), by_year in rows.items():
        r = _append(values, {"指標ID": ind_id, "区分": kind})
        for fy, v in by_year.items():
            values.cell(r, _column(values, f"{fy}年度"), v)
    _append(wb["重点プロジェクト"], {"プロジェクトID": "PJ1", "プロジェクト名": "再エネ導入", "分野": "1", "所管課（カンマ区切り）": "D1,D2"})
    phases = wb["工程表"]
    r = _append(phases, {"プロジェクトID": "PJ1"})
    phases.cell(r, _column(phases, "2022年度"), "導入")
    for fy in (2023, 2024):
        phases.cell(r, _column(phases, f"{fy}年度"), "→")
    opinions = wb["意見"]
    _append(opinions, {"意見ID": "O1", "年度": "R6", "区分": "市民意見", "対象種別": "計画全体", "意見": "再エネをもっと増やしてほしい", "市の考え方・対応": "補助制度を拡充します"})
    wb.save(master)


def _fill(template: Path, sheet: str, row_id: str, column: str, value: Any, out: Path, *, kind_col: str | None = None, kind: str | None = None) -> Path:
    """Type one answer into a department's template, found by its row's ID and the column header."""
    wb = openpyxl.load_workbook(template)
    ws = wb[sheet]
    col = _column(ws, column)
    row = next(
        r[0].row for r in ws.iter_rows(min_row=4)
        if r[0].value == row_id and (kind_col is None or ws.cell(r[0].row, _column(ws, kind_col)).value == kind)
    )
    ws.cell(row, col, value)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def _indicator(data: dict, ind_id: str) -> dict:
    return next(i for i in data["indicators"] if i["id"] == ind_id)


def test_a_third_city_from_the_blank_master_to_the_published_report(tmp_path: Path) -> None:
    require("chromium")
    master = tmp_path / "master.xlsx"
    code, data = cli_json("init", master, "--municipality", "緑川市", "--name", "緑川市環境基本計画", "--start", "2021", "--end", "2030", "--current", "2024", "--json")
    assert code == 0, data
    _type_the_plan(master)
    code, data = cli_json("add", "policy", master, "--code", "P01", "--title", "脱炭素のまちづくり", "--department", "D1", "--json")
    assert code == 0, data
    code, data = cli_json("validate", master, "--json")
    assert code == 0 and data["errors"] == [], data["errors"]
    assert (data["indicators"], data["projects"], data["policies"]) == (2, 1, 1)

    code, data = cli_json("compute", master, "--json")
    assert code == 0, data
    g1 = _indicator(data, "G1")
    # Lag 2: in 2024 the latest figure is 2022's. Progress (960 − 1000) ÷ (800 − 1000) = 20 %;
    # expected on the straight line 1000 → 800 over 2021–2030: 1000 − 200 × 1/9 = 977.78; 40 ÷ 22.2 = 180 % → 順調.
    assert g1["evaluated_fy"] == 2022 and g1["status"] == "順調"
    y2022 = next(y for y in g1["years"] if y["fy"] == 2022)
    assert y2022["progress_rate"] == pytest.approx(0.2) and y2022["expected"] == pytest.approx(1000 - 200 / 9)
    assert _indicator(data, "R1")["status"] == "評価不能"  # 2024 not reported yet

    code, data = cli_json("issue", master, "--out", tmp_path / "templates", "--json")
    assert code == 0 and len(data["templates"]) == 2, data
    templates = {Path(t).stem.rsplit("_", 1)[1]: Path(t) for t in data["templates"]}
    inbox = tmp_path / "inbox"
    # 資源循環課 fills in with openpyxl (as Excel would save it); 環境政策課 with LibreOffice.
    _fill(templates["資源循環課"], "指標", "R1", "2024年度", "２３．１", inbox / "d2.xlsx", kind_col="区分", kind="実績値")
    filled = _fill(templates["環境政策課"], "重点プロジェクト", "PJ1", "2024年度の状況", "予定どおり", tmp_path / "filled" / "d1.xlsx")
    saved = soffice_convert(filled, "xlsx", tmp_path / "lo")
    (inbox / "d1.xlsx").write_bytes(saved.read_bytes())
    code, data = cli_json("consolidate", master, inbox, "--json")
    assert code == 0, data
    assert sorted(f["status"] for f in data["files"]) == ["accepted", "accepted"], data["files"]

    code, data = cli_json("compute", master, "--json")
    assert code == 0
    r1 = _indicator(data, "R1")
    # 2024: actual 23.1 against the plan value 20 + (2024 − 2021) = 23 → 達成, rate 23.1 ÷ 23.
    assert r1["evaluated_fy"] == 2024 and r1["status"] == "達成"
    y2024 = next(y for y in r1["years"] if y["fy"] == 2024)
    assert y2024["actual"] == pytest.approx(23.1) and y2024["achievement_rate"] == pytest.approx(23.1 / 23)

    site = tmp_path / "site"
    code, data = cli_json("publish", master, "--out", site, "--json")
    assert code == 0, data
    index = plain((site / "index.html").read_text(encoding="utf-8"))
    assert "緑川市" in index and "市民意見" in index and "市の考え方・対応" in index
    pdf = subprocess.run([require("pdftotext"), "-enc", "UTF-8", str(site / "annual-report.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "市民意見" in "".join(pdf.split()) and "緑川市" in pdf

    code, data = cli_json("year", "open", master, "--json")
    assert code == 0 and data["fy"] == 2025, data
    code, data = cli_json("issue", master, "--out", tmp_path / "templates-2025", "--json")
    assert code == 0 and all("2025年度" in t for t in data["templates"]), data
    guide = openpyxl.load_workbook(master)["使い方"]
    assert (guide["B3"].value, guide["B5"].value) == ("緑川市環境基本計画", "2025年度（令和7年度）")

    found: dict[str, list[str]] = {}
    for path in [master, *sorted(tmp_path.glob("templates*/*.xlsx")), *sorted(site.rglob("*"))]:
        if path.is_dir():
            continue
        if path.suffix == ".xlsx":
            text = _texts_of_xlsx(path)
        elif path.suffix == ".pdf":
            text = subprocess.run([require("pdftotext"), "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True).stdout
        else:
            text = path.read_bytes().decode("utf-8", "replace")
        if _leaks(text):
            found[str(path.relative_to(tmp_path))] = _leaks(text)
    assert found == {}
