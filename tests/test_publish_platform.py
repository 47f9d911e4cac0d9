"""The site as an indicator platform (issue 14 §3): each indicator's metadata, its table as CSV and
chart as SVG, the reporting status, the search index and the update history (お知らせ) from the
change log. The pages themselves are checked in the browser loops of test_publish_a11y.py."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl

from envplan.plan.illustrative import add_illustrative_actuals
from envplan.plan.samples import load_sample
from envplan.report.platform import fold
from envplan.report.publish import publish
from envplan.report.typeset import plain
from envplan.survey.yearly import correction_changes, run_on_master
from envplan.workbook.layout import HEADER_ROW, layout


def _set_cells(master: Path, sheet_key: str, row_id: str, values: dict[str, str]) -> None:
    """Type into a table sheet's row (found by its first column), as staff would in Excel."""
    spec = layout()[sheet_key]
    wb = openpyxl.load_workbook(master)
    ws = wb[spec.name]
    headers = {c.value: c.column for c in ws[HEADER_ROW]}
    row = next(r[0].row for r in ws.iter_rows(min_row=HEADER_ROW + 1) if r[0].value == row_id)
    for key, value in values.items():
        ws.cell(row, headers[spec.column(key).header]).value = value
    wb.save(master)


def test_platform_pages_and_files(sample_masters: dict[str, Path], tmp_path: Path) -> None:
    master = tmp_path / "m.xlsx"
    master.write_bytes(sample_masters["shinagawa"].read_bytes())
    _set_cells(master, "indicators", "S03", {"source": "大気汚染常時監視測定局の測定結果", "update_frequency": "毎年度"})
    _set_cells(master, "departments", "環境課", {"phone": "03-0000-0000"})
    run_on_master(master, lambda st: correction_changes(st, "S03", 2022, "actual", "99", reason="転記の誤り", at="2026-06-15T10:00:00"))
    run_on_master(master, lambda st: correction_changes(st, "S01", 2020, "note", "速報値から確定値へ", reason="確定", at="2026-07-01T09:00:00"))
    out = tmp_path / "site"
    result = publish(master, out, pdf=False)
    plan = add_illustrative_actuals(load_sample("shinagawa"))

    # Metadata: what is filled in is shown, an empty field is left out.
    s03 = plain((out / "indicators" / "s03.html").read_text(encoding="utf-8"))
    assert "<dt>出典</dt><dd>大気汚染常時監視測定局の測定結果</dd>" in s03 and "<dt>更新頻度</dt><dd>毎年度</dd>" in s03
    assert '<time datetime="2026-06-15">令和8年6月15日</time>' in s03 and "電話 03-0000-0000" in s03
    s05 = plain((out / "indicators" / "s05.html").read_text(encoding="utf-8"))
    assert "<dt>出典</dt>" not in s05 and "<dt>更新頻度</dt>" not in s05 and "最終更新日" not in s05 and "問い合わせ先（所管課）" in s05

    # The table as CSV (what the page's table shows) and the chart as an SVG file.
    rows = list(csv.DictReader(io.StringIO((out / "downloads" / "s03.csv").read_text(encoding="utf-8-sig"))))
    assert [int(r["年度"]) for r in rows] == sorted({int(r["年度"]) for r in rows}) and rows
    assert next(r for r in rows if r["年度"] == "2022")["実績値"] == "99"
    assert list(rows[0])[:4] == ["指標ID", "指標名", "単位", "年度"] and "状況" in rows[0] and "評価区分" in rows[0]
    assert '<a href="../downloads/s03.csv" download>' in s03 and '<a href="../downloads/s03.svg" download>' in s03
    svg = ET.parse(out / "downloads" / "s03.svg").getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.find("{http://www.w3.org/2000/svg}title").text.endswith("の推移")
    assert len(list((out / "downloads").glob("*.csv"))) == len(plan.indicators)

    # Reporting status: per category and year, the indicators with an actual value.
    status = plain((out / "status.html").read_text(encoding="utf-8"))
    with_2012 = sum(1 for i in plan.indicators if i.actual(2012) is not None)
    total_row = status[status.index("<tfoot>") :]
    assert f'<td class="num">{len(plan.indicators)}</td><td class="num">{with_2012}</td>' in total_row

    # The search index: every indicator, its page, its words folded as search.js folds what is typed.
    index = json.loads((out / "search-index.json").read_text(encoding="utf-8"))
    assert len(index["indicators"]) == len(plan.indicators)
    assert all((out / e["url"]).is_file() for e in index["indicators"])
    assert fold("ＣＯ２ ハイシュツ") == "co2 はいしゅつ"
    assert (out / "assets" / "search-index.js").read_text(encoding="utf-8").startswith("window.ENVPLAN_SEARCH_INDEX = {")

    # お知らせ from the change log: one notice per day and kind, newest first, linking the indicators.
    news = plain((out / "updates.html").read_text(encoding="utf-8"))
    assert news.index("令和8年7月1日") < news.index("令和8年6月15日")
    assert news.count("数値などを修正しました（1件）") == 2 and 'href="indicators/s03.html"' in news
    assert "updates.html" in result.pages and 'href="updates.html">お知らせ' in plain((out / "index.html").read_text(encoding="utf-8"))


def test_a_master_without_the_new_columns_still_reads(sample_masters: dict[str, Path], tmp_path: Path) -> None:
    """出典 and 更新頻度 came after masters were in use: a master without those columns publishes."""
    master = tmp_path / "m.xlsx"
    master.write_bytes(sample_masters["kawasaki"].read_bytes())
    wb = openpyxl.load_workbook(master)
    ws = wb[layout()["indicators"].name]
    for header in ("出典", "更新頻度"):
        col = next(c.column for c in ws[HEADER_ROW] if c.value == header)
        ws.delete_cols(col)
    wb.save(master)
    out = tmp_path / "site"
    publish(master, out, pdf=False)
    assert not (out / "updates.html").exists()  # no change log: no お知らせ page, no link to one
    assert "updates.html" not in (out / "index.html").read_text(encoding="utf-8")
