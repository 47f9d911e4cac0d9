"""`envplan init` and `envplan validate`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from envplan.cli.app import EXIT_INVALID, EXIT_OK, app, console, emit_json, existing_file, fail, master_error_en, open_workbook, os_error_text
from envplan.plan.diagnostics import Diagnostic
from envplan.workbook.store import MasterBusyError, MasterLock, MasterWriteError


@app.command()
def init(
    master: Path = typer.Argument(..., help="作成するマスターワークブック（.xlsx）"),
    sample: str | None = typer.Option(None, "--sample", help="サンプル計画: shinagawa | kawasaki | all"),
    illustrative: bool = typer.Option(False, "--illustrative", help="実績のない指標に例示値 （実データではない値） を入れる"),
    force: bool = typer.Option(False, "--force", help="既存のファイルを上書きする（前のファイルは バックアップ/ に残る）"),
    as_json: bool = typer.Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """マスターワークブックを作成する。"""
    from envplan.plan.illustrative import add_illustrative_actuals
    from envplan.plan.model import Plan
    from envplan.plan.samples import SAMPLE_NAMES, load_sample  # here, not at the top: every envplan start would load the model
    from envplan.workbook.writer import save_master

    if sample is not None and sample not in SAMPLE_NAMES:
        fail(f"--sample は {' / '.join(SAMPLE_NAMES)} のいずれかです（指定: {sample}）", f"--sample must be one of {SAMPLE_NAMES}", as_json=as_json)
    if master.is_dir():
        fail(f"{master} はフォルダです。作成するファイルの名前（例: {master / 'master.xlsx'}）を指定してください", f"{master} is a folder; give the file to create", as_json=as_json)
    # .xlsx only: the master is written without macros, and Excel refuses such a file named .xlsm.
    if master.suffix.lower() != ".xlsx":
        fail(f"マスターワークブックの拡張子は .xlsx にしてください（指定: {master.name}）", "the master workbook must be an .xlsx file", as_json=as_json)
    if master.exists() and not force:
        fail(f"{master} は既にあります。上書きするときは --force を付けてください", f"{master} exists; use --force to overwrite", as_json=as_json)
    if sample:
        plan = load_sample(sample)
    else:
        import datetime as dt

        from envplan.plan.years import parse_fy

        today = dt.date.today()
        fy = parse_fy(today.year if today.month >= 4 else today.year - 1)
        plan = Plan(name="（計画名を入力してください）", start_fy=fy, end_fy=fy + 9, current_fy=fy)
    if illustrative:
        plan = add_illustrative_actuals(plan)
    try:
        master.parent.mkdir(parents=True, exist_ok=True)
        if master.exists():  # --force: not under Excel or another run
            with MasterLock(master):
                save_master(plan, master)
        else:
            save_master(plan, master)
    except (MasterBusyError, MasterWriteError) as e:
        fail(f"{master} を作成できません: {e}", f"cannot create {master}: {master_error_en(e)}", as_json=as_json)
    except OSError as e:
        fail(f"{master} を作成できません（{os_error_text(e)}）", f"cannot create {master}: {e}", as_json=as_json)
    if as_json:
        emit_json({"ok": True, "file": str(master), "indicators": len(plan.indicators), "projects": len(plan.projects), "related_plans": len(plan.related_plans), "policies": len(plan.policies)})
        return
    console.print(
        f"[green]作成しました:[/] {escape(str(master))}（指標 {len(plan.indicators)}、重点プロジェクト {len(plan.projects)}、"
        f"関連計画 {len(plan.related_plans)}、施策 {len(plan.policies)}）"
    )


def print_diagnostics(diags: list[Diagnostic], limit: int = 200) -> None:
    if not diags:
        return
    table = Table(show_lines=False, header_style="bold")
    for col in ("種別", "場所", "コード", "内容"):
        table.add_column(col, overflow="fold")
    for d in diags[:limit]:
        kind = "[red]エラー[/]" if d.severity == "error" else "[yellow]警告[/]"
        table.add_row(kind, escape(d.location), d.code, escape(d.message))  # values typed in cells are text, not markup
    console.print(table)
    if len(diags) > limit:
        console.print(f"…ほか {len(diags) - limit} 件（すべては検証結果シートまたは --json で確認できます）")


@app.command()
def validate(
    master: Path = typer.Argument(..., help="マスターワークブック"),
    as_json: bool = typer.Option(False, "--json", help="結果を JSON で標準出力に出す"),
    write: bool = typer.Option(True, "--write/--no-write", help="検証結果シートをワークブックに書き込む"),
) -> None:
    """入力を検証する（エラーがあれば終了コード1）。"""
    existing_file(master, as_json)  # before the heavy imports: a wrong path is said at once
    from envplan.workbook.layout import layout
    from envplan.workbook.validation import validate_source
    from envplan.workbook.xlsx_results import update_master

    source = open_workbook(master, as_json)
    try:
        result = validate_source(source)
        is_master = layout()["settings"].name in source.sheet_names()
    finally:
        source.close()  # before the file is replaced
    errors, warnings = result.diagnostics.errors, result.diagnostics.warnings
    summary = result.summary
    written = False
    if write and not is_master:  # a template or another workbook given by mistake: leave it untouched
        console.print(f"[yellow]検証結果シートは書き込みませんでした:[/] {escape(master.name)} には「{layout()['settings'].name}」シートがなく、マスターワークブックではないようです")
    elif write:
        try:
            with update_master(master) as sink:
                sink.write_table(result.table())
            written = True
        except (MasterBusyError, MasterWriteError) as e:
            console.print(f"[yellow]検証結果シートは書き込めませんでした:[/] {escape(str(e))}")
    if as_json:
        emit_json({**result.to_json(str(master)), "written": written})
    else:
        print_diagnostics(errors + warnings)
        counts = result.counts()
        console.print(
            f"指標 {counts['indicators']}、重点プロジェクト {counts['projects']}、関連計画 {counts['related_plans']}、施策 {counts['policies']} を検証: "
            + (f"[red]{summary}[/]" if errors else f"[green]{summary}[/]")
        )
    raise typer.Exit(EXIT_INVALID if errors or result.plan is None else EXIT_OK)
