"""`envplan compute MASTER [--fy YEAR] [--json]`: attainment and ratings."""

from __future__ import annotations

from pathlib import Path

from envplan.cli.app import EXIT_INVALID, EXIT_OK, app, console, emit_json, escape, existing_file, fail, master_error_en, open_workbook, parse_fy_option
from envplan.cli.commands import Argument, Exit, Option


@app.command()
def compute(
    master: Path = Argument(help="マスターワークブック"),
    fy: str | None = Option(None, "--fy", help="集計する年度（2022、令和4年度、R4 など。既定は設定シートの対象年度）"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """達成状況（達成率・進捗率・状況・Open SDG 方式）と施策の評価案を集計し、結果シートを書き込む。"""
    existing_file(master, as_json)  # before the heavy imports: a wrong path or year is said at once
    year = parse_fy_option(fy, as_json)
    from envplan.cli.master import print_diagnostics
    from envplan.workbook.compute_master import compute_source, write_results
    from envplan.workbook.store import MasterBusyError, MasterWriteError, master_version
    from envplan.workbook.writer import refresh_plan_sheets
    from envplan.workbook.xlsx_results import update_master

    read_version = master_version(master)  # issue 7: the results are written only onto the master they come from
    source = open_workbook(master, as_json)
    try:
        run = compute_source(source, year)
    finally:
        source.close()  # before the file is replaced
    diags = run.validation.diagnostics
    if run.result is None:
        if as_json:
            emit_json({**run.validation.to_json(str(master)), "ok": False, "computed": False})
        else:
            print_diagnostics(diags.errors + diags.warnings)
            console.print(f"[red]入力にエラーが {len(diags.errors)} 件あるため集計しませんでした。[/]envplan validate で確認し、直してから再実行してください。")
        raise Exit(EXIT_INVALID)
    result = run.result
    plan = run.validation.plan
    assert plan is not None
    if year is not None and not (plan.start_fy - 10 <= year <= plan.end_fy + 10):
        given = f"--fy {fy}" + ("" if str(fy).strip() == str(year) else f"（{year}年度）")
        fail(f"{given} は計画期間（{plan.start_fy}～{plan.end_fy}年度）から離れすぎています", f"--fy {year} is far outside the plan period", as_json=as_json)
    try:
        with update_master(master, expected_version=read_version) as sink:
            sheets = write_results(sink, result)
            refresh_plan_sheets(sink.wb, plan, run.validation.reading.policy_sheets)
    except (MasterBusyError, MasterWriteError) as e:
        fail(f"結果を書き込めません: {e}", f"cannot write the results: {master_error_en(e)}", as_json=as_json)
    if as_json:
        emit_json({"ok": True, "file": str(master), "sheets": sheets, "warnings": [d.to_json() for d in diags.warnings], **result.to_json()})
    else:
        print_summary(result)
        if result.illustrative_note:
            console.print(f"[yellow]注意:[/] {escape(result.illustrative_note)}")
        console.print(f"[green]書き込みました:[/] {escape(master.name)} の {'・'.join(sheets)} シート（警告 {len(diags.warnings)} 件）")
    raise Exit(EXIT_OK)


def print_summary(result) -> None:
    from rich.table import Table  # rich only when a table is drawn (output.py)

    from envplan.rules.compute import shown_counts

    table = Table(title=f"達成状況（{result.fy}年度時点）", header_style="bold")
    table.add_column("分野", overflow="fold")
    for name, _n in shown_counts(result, result.summary[-1]) if result.summary else []:
        table.add_column(escape(name), justify="right")
    table.add_column("合計", justify="right")
    for row in result.summary:
        table.add_row(escape(row.category_name), *[str(n) for _name, n in shown_counts(result, row)], str(row.total))
    console.print(table)
    disagreements = [p for p in result.policies if p.disagrees]
    for p in result.policies:
        mark = "✕ 不一致" if p.disagrees else ("○ 一致" if p.self_rating and p.suggested_rating else "－")
        console.print(f"施策 {escape(str(p.code))} {escape(p.name)}: 所管課 {p.self_rating or '－'} / 評価案 {p.suggested_rating or '－'}（{mark}）")
    if disagreements:
        console.print(f"[yellow]所管課の評価区分と評価案が一致しない施策が {len(disagreements)} 件あります（施策評価案シート）[/]")
