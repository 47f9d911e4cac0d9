"""`envplan init` and `envplan validate`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from envplan.cli.app import EXIT_INVALID, EXIT_OK, app, console, emit_json, escape, existing_file, fail, fy_option, master_error_en, open_workbook, os_error_text, prompt
from envplan.cli.commands import REQUIRED, Argument, Exit, Option
from envplan.plan.diagnostics import Diagnostic
from envplan.workbook.store import MasterBusyError, MasterLock, MasterWriteError

if TYPE_CHECKING:
    from envplan.plan.model import Plan


@app.command()
def init(
    master: Path = Argument(help="作成するマスターワークブック（.xlsx）"),
    sample: str | None = Option(None, "--sample", help="サンプル計画: shinagawa | kawasaki | all"),
    illustrative: bool = Option(False, "--illustrative", help="実績のない指標に例示値 （実データではない値） を入れる"),
    force: bool = Option(False, "--force", help="既存のファイルを上書きする（前のファイルは バックアップ/ に残る）"),
    municipality: str | None = Option(None, "--municipality", help="自治体名（例: 緑川市）。市民・町民などの呼び方が決まる"),
    name: str | None = Option(None, "--name", help="計画名"),
    start: str | None = Option(None, "--start", help="計画期間の開始年度（例: 2021、令和3年度）"),
    end: str | None = Option(None, "--end", help="計画期間の終了年度（省略時は開始年度＋9）"),
    current: str | None = Option(None, "--current", help="対象年度（既定: 今の年度か開始年度）"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """マスターワークブックを作成する。

    空のマスターは --municipality・--name・--start・--end・--current で自治体と計画期間を指定します
    （端末から実行して省略すると、その場で尋ねます）。年度の列は計画期間の分だけ作られます。
    """
    from envplan.plan.illustrative import add_illustrative_actuals
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
        if any(v is not None for v in (municipality, name, start, end, current)):
            fail("--sample と --municipality・--name・--start・--end・--current は同時に指定できません", "--sample cannot be combined with the plan options", as_json=as_json)
        plan = load_sample(sample)
    else:
        plan = _blank_plan(municipality, name, start, end, current, as_json)
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


def _blank_plan(municipality: str | None, name: str | None, start: str | None, end: str | None, current: str | None, as_json: bool) -> Plan:
    """The blank master's plan from the options; what is missing is asked for when a
    person is at the terminal (never when the input is a pipe or a script)."""
    import datetime as dt
    import sys

    from envplan.plan.model import Plan

    today = dt.date.today()
    this_fy = today.year if today.month >= 4 else today.year - 1
    if sys.stdin.isatty() and not as_json:
        municipality = municipality if municipality is not None else prompt("自治体名（例: 緑川市）", default="", show_default=False)
        name = name if name is not None else prompt("計画名", default="", show_default=False)
        start = start if start is not None else prompt("計画期間の開始年度", default=str(this_fy))
        first = fy_option(start, "開始年度", as_json) or this_fy
        end = end if end is not None else prompt("計画期間の終了年度", default=str(first + 9))
        current = current if current is not None else prompt("対象年度", default=str(min(max(this_fy, first), fy_option(end, "終了年度", as_json) or first + 9)))
    s = fy_option(start, "開始年度", as_json)
    s = this_fy if s is None else s
    e = fy_option(end, "終了年度", as_json)
    e = s + 9 if e is None else e
    if e < s:
        fail(f"終了年度（{e}年度）が開始年度（{s}年度）より前です", "the end year is before the start year", as_json=as_json, code=EXIT_INVALID)
    c = fy_option(current, "対象年度", as_json)
    c = (this_fy if s <= this_fy <= e else s) if c is None else c
    if not s <= c <= e:
        fail(f"対象年度（{c}年度）が計画期間（{s}～{e}年度）から外れています", "the current year is outside the plan period", as_json=as_json, code=EXIT_INVALID)
    return Plan(name=(name or "").strip() or "（計画名を入力してください）", municipality=(municipality or "").strip(), start_fy=s, end_fy=e, current_fy=c)


def print_diagnostics(diags: list[Diagnostic], limit: int = 200) -> None:
    if not diags:
        return
    from rich.table import Table  # rich only when a table is drawn (output.py)

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
    master: Path = Argument(help="マスターワークブック"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
    write: bool = Option(True, "--write/--no-write", help="検証結果シートをワークブックに書き込む"),
) -> None:
    """入力を検証する（エラーがあれば終了コード1）。"""
    existing_file(master, as_json)  # before the heavy imports: a wrong path is said at once
    from envplan.workbook.layout import layout
    from envplan.workbook.validation import validate_source
    from envplan.workbook.writer import refresh_plan_sheets
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
                if result.plan is not None:
                    refresh_plan_sheets(sink.wb, result.plan, result.reading.policy_sheets)
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
    raise Exit(EXIT_INVALID if errors or result.plan is None else EXIT_OK)


add_app = app.group("add", help="マスターに評価票などを追加する")


@add_app.command("policy")
def add_policy(
    master: Path = Argument(help="マスターワークブック"),
    code: str = Option(REQUIRED, "--code", help="施策コード（例: P01）。シート名は 評価票_コード になります"),
    title: str = Option(REQUIRED, "--title", help="施策課題（施策の名前）"),
    department: str | None = Option(None, "--department", help="作成課のコード（所管課が1つだけなら省略可）"),
    fy: str | None = Option(None, "--fy", help="評価年度（省略時は対象年度）"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """施策進行管理・評価票のシートを追加する。

    標準の様式の評価票シートを作り、施策一覧と使い方に載せます。番号は施策一覧の順です。
    """
    existing_file(master, as_json)
    from envplan.workbook.changes import MasterStateError
    from envplan.workbook.policy_add import AddPolicyError
    from envplan.workbook.policy_add import add_policy as add

    year = fy_option(fy, "評価年度", as_json)
    try:
        policy, sheet, backup = add(master, code, title, department=department, fy=year)
    except AddPolicyError as e:
        fail(str(e), e.message_en, as_json=as_json, code=EXIT_INVALID)
    except MasterStateError as e:
        if not as_json:
            print_diagnostics(e.diagnostics)
        fail(str(e), "the master has errors; run envplan validate", as_json=as_json, code=EXIT_INVALID)
    except (MasterBusyError, MasterWriteError) as e:
        fail(str(e), "the master is in use or cannot be written", as_json=as_json)
    if as_json:
        emit_json({"ok": True, "code": policy.code, "sheet": sheet, "sheet_no": policy.sheet_no, "backup": str(backup) if backup else ""})
        return
    console.print(f"[green]追加しました:[/] シート「{escape(sheet)}」（施策進行管理・評価票({policy.sheet_no})、{escape(policy.title)}）")
    if backup:
        console.print(f"前のマスターのバックアップ: {backup}")
