"""The demo's survey round: issue templates, fill them as departments would,
consolidate, handle a return with mistakes and two resubmissions, open the next year.

Every value typed here is illustrative (the sample's indicators are flagged
例示値) and each note says so; nothing is presented as a real figure.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import openpyxl

from envplan.demo.context import DEMO_SAMPLE, DemoContext
from envplan.plan.model import Plan
from envplan.survey.consolidate import FEEDBACK_DIR_NAME, ConsolidationResult, consolidate
from envplan.survey.template_fill import fill_template, input_cells
from envplan.survey.template_identity import key_path
from envplan.survey.template_issue import issue_templates
from envplan.survey.template_layout import InputSpec
from envplan.workbook.fields import FieldKey
from envplan.workbook.io import CalamineSource
from envplan.workbook.reader import read_master

STATUS_CYCLE = ("予定どおり", "前倒し", "遅れ")
NOTE = "例示値（デモ用）"


def _plan(master: Path) -> Plan:
    source = CalamineSource(master)
    try:
        reading = read_master(source)
    finally:
        source.close()
    assert reading.plan is not None
    return reading.plan


def department_answers(plan: Plan, cells: dict[FieldKey, InputSpec], issued: dict[FieldKey, Any]) -> dict[FieldKey, Any]:
    """What a department types: figures where the template is blank (near the last
    known one), the status of the projects it leads, its own part of the projects
    it is a co-department of, a note, its contact."""
    answers: dict[FieldKey, Any] = {}
    projects = 0
    for key in cells:
        kind = key[0]
        if kind == "value" and key[3] == "actual" and issued.get(key) is None:
            ind = plan.indicator(key[1])
            if ind and key[2] > plan.current_fy - ind.data_lag:
                continue  # that figure has not been published yet (data lag): a department leaves it blank
            last = [v for y in sorted(ind.values) if y < key[2] and (v := ind.values[y].actual) is not None] if ind else []
            if last:
                rng = random.Random(f"{key[1]}-{key[2]}")
                value = last[-1] * rng.uniform(0.97, 1.03)
                answers[key] = round(value, 2) if abs(last[-1]) < 100 else round(value)
                answers[("value", key[1], key[2], "note")] = NOTE
        elif kind == "project" and key[3] == "status":
            proj = next(p for p in plan.projects if p.id == key[1])
            phase = proj.phase_in(key[2])
            answers[key] = STATUS_CYCLE[projects % len(STATUS_CYCLE)]
            answers[(*key[:3], "comment")] = f"（例示）{phase.name if phase else '事業'}を実施"
            projects += 1
        elif kind == "project_part" and key[4] == "comment":
            # A co-department reports its own part of the project (its status word is optional).
            proj = next(p for p in plan.projects if p.id == key[1])
            dept = plan.department(key[3])
            answers[key] = f"（例示）{dept.name if dept else key[3]}の担当部分として{part.name if (part := proj.phase_in(key[2])) else '事業'}に協力"
            answers[(*key[:4], "status")] = "予定どおり"
        elif kind == "department" and key[2] == "contact":
            answers[key] = "例示 担当者"
    return answers


def _issued(template: Path) -> dict[FieldKey, Any]:
    from envplan.survey.return_reader import read_return

    reading = read_return(CalamineSource(template))
    return {inp.spec.key: inp.issued for inp in reading.inputs}


def step_survey(ctx: DemoContext) -> None:
    master = ctx.masters[DEMO_SAMPLE]
    plan = _plan(master)
    templates = issue_templates(master, ctx.out / "照会様式")
    ctx.lines.append(f"照会様式（{plan.current_fy}年度、{len(templates)}課）: {templates[0].parent}")
    inbox = ctx.out / "受付"
    if inbox.exists():
        shutil.rmtree(inbox)
    # The last department has not answered yet: it shows as 未提出.
    answering = templates[:-1]
    mistaken = answering[1]
    intended: dict[str, Any] = {}  # what the mistaken department meant to type, by file
    for template in answering:
        cells = input_cells(template)
        answers = department_answers(plan, cells, _issued(template))
        if template == mistaken:
            numeric = [k for k in cells if k[0] == "value" and k[3] == "actual"]
            intended[template.name.replace("進行管理照会_", "回答_")] = answers.get(numeric[0]) or _issued(template).get(numeric[0])
            answers[numeric[0]] = "3O.5"  # a letter O for a zero: an error
            if len(numeric) > 1:
                answers[numeric[1]] = f"約{answers.get(numeric[1]) or _issued(template).get(numeric[1]) or 1:,}"  # 約: a warning
        fill_template(template, answers, inbox / template.name.replace("進行管理照会_", "回答_"))
    first = consolidate(master, inbox)
    rejected = [f for f in first.files if f.status == "rejected"]
    ctx.lines.append(
        f"取込（1回目）: 受理 {first.accepted}、差戻し {first.rejected}、変更した値 {first.changes} 件"
        + "".join(f" — 差戻し: {f.department_name}（{f.errors[0]['sheet']}!{f.errors[0]['cell']} {f.errors[0]['message'][:40]}…）" for f in rejected)
    )
    for f in rejected:
        ctx.lines.append(f"差戻しのファイル（直す箇所に色とコメント）: {f.feedback}")
    after = _plan(master)
    parts = [(p, r) for p in after.projects for r in p.parts_in(after.current_fy)]
    if parts:
        names = {d.code: d.name for d in after.departments}
        ctx.lines.append(
            "関係課の取組（関係課の取組シート、公表サイトのロードマップ）: "
            + "、".join(f"{p.number}{names.get(r.department, r.department)}「{r.status or '状況なし'}」" for p, r in parts)
            + "（プロジェクト全体の状況は主担当の課の報告）"
        )
    # Resubmissions: the rejected department fixes its feedback copy; another corrects a figure.
    for f in rejected:
        _fix_feedback(Path(f.feedback), f.errors, inbox / f.file, intended.get(f.file))
    corrected = _correct_one_figure(answering[0], inbox, plan)
    second = consolidate(master, inbox)
    ctx.lines.append(
        f"再提出の取込（2回目）: 受理 {second.accepted}、差戻し {second.rejected}、変更なし {second.unchanged}、変更した値 {second.changes} 件"
        + (f"（{corrected}）" if corrected else "")
        + " → 変更履歴シートに変更前 → 変更後"
    )
    _status_lines(ctx, second)
    third = consolidate(master, inbox)
    ctx.lines.append(f"同じ受付フォルダで再実行: 変更した値 {third.changes} 件（マスターは{'変更なし' if not third.written else '更新'}）")


def _fix_feedback(feedback: Path, errors: list[dict[str, str]], target: Path, value: Any) -> None:
    """The department corrects the highlighted cell of its feedback copy and sends that file back."""
    wb = openpyxl.load_workbook(feedback)
    for e in errors:
        if e["sheet"] and e["cell"] and e["code"].startswith("NUMBER"):
            wb[e["sheet"]][e["cell"]].value = value
    wb.save(target)


def _correct_one_figure(template: Path, inbox: Path, plan: Plan) -> str:
    """The department re-sends its return with one figure corrected."""
    returned = inbox / template.name.replace("進行管理照会_", "回答_")
    cells = input_cells(returned)
    wb = openpyxl.load_workbook(returned)
    for key, spec in cells.items():
        if key[0] == "value" and key[3] == "actual":
            cell = wb[spec.sheet][spec.ref]
            if isinstance(cell.value, (int, float)):
                corrected = cell.value * 1.01  # typed as precisely as the figure it corrects
                cell.value = round(corrected, 2) if abs(cell.value) < 100 else round(corrected)
                wb.save(returned)
                ind = plan.indicator(key[1])
                return f"{ind.name if ind else key[1]} {key[2]}年度の実績値を修正して再提出"
    return ""


def _status_lines(ctx: DemoContext, result: ConsolidationResult) -> None:
    rows = result.submissions
    counts: dict[str, list[str]] = {}
    for r in rows:
        counts.setdefault(str(r["status"]), []).append(str(r["department_name"]))
    summary = "、".join(f"{status} {len(names)}" for status, names in counts.items())
    waiting = counts.get("未提出", [])
    ctx.lines.append(f"提出状況（提出状況シート）: {summary}" + (f"（未提出: {'、'.join(waiting)}）" if waiting else ""))


def step_next_year(ctx: DemoContext) -> None:
    """Open the next year on a copy of the master, and issue its templates."""
    from envplan.survey.yearly import open_year_changes, run_on_master

    src = ctx.masters[DEMO_SAMPLE]
    folder = ctx.out / "次年度"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    master = folder / src.name
    shutil.copy2(src, master)
    shutil.copy2(key_path(src), key_path(master))
    yplan, _backup = run_on_master(master, open_year_changes)
    templates = issue_templates(master, folder / "照会様式")
    fy = yplan.summary["fy"]
    ctx.lines.append(
        f"次年度を開く（コピー）: {master} — {fy}年度を開き、{yplan.summary['frozen_through_fy']}年度までの値を確定。"
        f"{fy}年度の照会様式 {len(templates)} 件: {templates[0].parent}"
    )


__all__ = ["step_survey", "step_next_year", "FEEDBACK_DIR_NAME"]
