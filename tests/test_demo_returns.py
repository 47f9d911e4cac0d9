"""The demo's survey round and next-year step, run on a fresh sample master."""

from __future__ import annotations

import shutil

import openpyxl

from envplan.demo.context import DemoContext
from envplan.demo.returns import step_next_year, step_survey
from returns_kit import read_plan


def test_demo_survey_round_and_next_year(sample_masters, tmp_path):
    master = tmp_path / "shinagawa_master.xlsx"
    shutil.copy2(sample_masters["shinagawa"], master)
    ctx = DemoContext(out=tmp_path, masters={"shinagawa": master})
    step_survey(ctx)
    text = "\n".join(ctx.lines)
    assert "取込（1回目）: 受理 6、差戻し 1" in text
    assert "再提出の取込（2回目）: 受理 2、差戻し 0" in text
    assert "未提出: 教育委員会事務局指導課" in text
    assert "同じ受付フォルダで再実行: 変更した値 0 件（マスターは変更なし）" in text
    feedback = next((tmp_path / "受付" / "フィードバック").glob("*_要修正.xlsx"))
    assert openpyxl.load_workbook(feedback).sheetnames[0] == "確認事項"
    plan = read_plan(master)
    # Every project has its 2022 status, except the one led by the department that has not answered.
    assert {p.id for p in plan.projects if p.status_in(2022) is None} == {p.id for p in plan.projects if p.departments[0] == "指導課"}
    # 環境課 reports its own part of ④ and ⑤ (led by 都市計画課 and 指導課), shown in the demo's lines.
    parts = {(p.id, r.department) for p in plan.projects for r in p.parts_in(2022) if r.comment}
    assert parts == {("P4", "環境課"), ("P5", "環境課")}
    assert "関係課の取組（関係課の取組シート" in text and "④環境部環境課「予定どおり」" in text
    statuses = {r[3] for r in openpyxl.load_workbook(master)["提出状況"].iter_rows(min_row=4, values_only=True) if r[0]}
    assert statuses == {"受理", "未提出"}
    step_next_year(ctx)
    nxt = read_plan(tmp_path / "次年度" / master.name)
    assert (nxt.current_fy, nxt.frozen_through_fy) == (2023, 2022)
    assert len(list((tmp_path / "次年度" / "照会様式").glob("*.xlsx"))) == 8
