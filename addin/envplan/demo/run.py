"""`envplan demo`: the yearly cycle on the bundled samples, step by step.

Each capability adds its step to `STEPS`; a step gets the output folder and
returns lines that tell the user where to look.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from envplan.demo.context import DemoContext, Step
from envplan.demo.frozen import step_frozen_edit
from envplan.demo.returns import step_next_year, step_survey
from envplan.demo.safety import step_safety
from envplan.plan.illustrative import add_illustrative_actuals
from envplan.plan.samples import load_sample
from envplan.workbook.writer import save_master


def step_init(ctx: DemoContext) -> None:
    for name in ("shinagawa", "kawasaki"):
        plan = load_sample(name)
        if name == "shinagawa":
            plan = add_illustrative_actuals(plan)
        path = ctx.out / f"{name}_master.xlsx"
        save_master(plan, path)
        ctx.masters[name] = path
        ctx.lines.append(f"マスターワークブック（{plan.name}）: {path}")


def step_validate(ctx: DemoContext) -> None:
    from envplan.workbook.io import CalamineSource
    from envplan.workbook.validation import validate_source
    from envplan.workbook.xlsx_results import update_master

    for name, path in ctx.masters.items():
        result = validate_source(CalamineSource(path))
        if not result.ok:
            raise RuntimeError(f"サンプル {name} の検証でエラー: {[d.message for d in result.diagnostics.errors][:5]}")
        with update_master(path) as sink:
            sink.write_table(result.table())
        ctx.lines.append(f"検証（{name}）: {result.summary} → 検証結果シート")


def step_compute(ctx: DemoContext) -> None:
    from envplan.rules.compute import shown_counts
    from envplan.workbook.compute_master import compute_source, write_results
    from envplan.workbook.io import CalamineSource
    from envplan.workbook.xlsx_results import update_master

    for name, path in ctx.masters.items():
        run = compute_source(CalamineSource(path))
        if run.result is None:
            raise RuntimeError(f"サンプル {name} を集計できません: {[d.message for d in run.validation.diagnostics.errors][:5]}")
        with update_master(path) as sink:
            write_results(sink, run.result)
        total = run.result.summary[-1]
        counts = "、".join(f"{name} {n}" for name, n in shown_counts(run.result, total) if n)
        ctx.lines.append(f"達成状況（{name}、{run.result.fy}年度時点）: 指標 {total.total} 件 — {counts} → 達成状況シート")
        for p in run.result.policies:
            mark = "不一致" if p.disagrees else "一致"
            ctx.lines.append(f"  施策 {p.code}: 所管課の評価 {p.self_rating or '－'}、評価案 {p.suggested_rating or '－'}（{mark}）")


def step_addin(ctx: DemoContext) -> None:
    from envplan.excel.addin_build import build_addin

    result = build_addin(ctx.out / "excel-addin")
    ctx.lines.append(f"Excel アドイン（環境計画タブ・ワークシート関数）: {result.path}（Windows では envplan addin install で組み込み）")


def step_publish(ctx: DemoContext) -> None:
    """Step ④: the web site, the PDF report and evaluation sheets, open data."""
    from envplan.report.publish import PublishError, publish

    for name, path in ctx.masters.items():
        out = ctx.out / f"site-{name}"
        try:
            res = publish(path, out)
        except PublishError as e:  # no browser for the PDF on this machine: publish the rest, say so
            res = publish(path, out, pdf=False)
            ctx.lines.append(f"公表（{name}）: PDF は作成できませんでした — {e}")
        ctx.lines.append(f"公表 Web サイト（{res.plan_name}、{len(res.pages)} ページ）: {res.site_index}")
        if res.report_pdf:
            ctx.lines.append(f"公表 年次報告書 PDF（A4 {res.report_pdf_pages} ページ）: {res.report_pdf}")
        if res.evaluation_sheets:
            ctx.lines.append(f"公表 施策評価票 PDF（A4 {res.evaluation_sheet_pages} ページ）: {res.evaluation_sheets}")
        ctx.lines.append(f"公表 オープンデータ（CSV・JSON）: {Path(res.open_data['csv']).parent}")


STEPS: list[tuple[str, Step]] = [
    ("マスターワークブックの作成", step_init),
    ("入力の検証", step_validate),
    ("照会様式の発行と所管課の回答の取込", step_survey),
    ("壊れた・危険な返送ファイルの安全確認", step_safety),
    ("達成状況と評価案の集計", step_compute),
    ("Excel アドインの作成", step_addin),
    ("次年度を開く", step_next_year),
    ("確定済みの値の直接修正の検出と承認", step_frozen_edit),
    ("公表（Web サイト・PDF 報告書・評価票・オープンデータ）", step_publish),
]


def run_demo(out: Path, progress: Callable[[str], None] = lambda s: None) -> DemoContext:
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(out=out)
    for title, step in STEPS:
        progress(title)
        step(ctx)
    return ctx
