"""`envplan consolidate MASTER INBOX [--jobs N] [--json]`: ingest the departments' returns."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from envplan.cli.app import EXIT_INVALID, EXIT_OK, app, console, emit_json, escape, existing_file, fail
from envplan.cli.commands import Argument, Exit, Option
from envplan.cli.startup import importing, take_reader_ahead, worker_count

if TYPE_CHECKING:
    from envplan.survey.assessment import ConsolidationResult
    from envplan.survey.return_files import ReturnReader

# Above this many files, the table lists only the files that need attention (差戻し, 未記入,
# warnings): printing a table of a thousand rows takes seconds and nobody reads it.
SUMMARY_OVER = 50
SUMMARY_ROWS = 30

STATUS_JA = {"accepted": "[green]受理[/]", "rejected": "[red]差戻し[/]", "unchanged": "変更なし", "superseded": "新しい提出あり", "blank": "[yellow]未記入[/]"}


@app.command()
def consolidate(
    master: Path = Argument(help="マスターワークブック"),
    inbox: Path = Argument(help="返送された様式を集めたフォルダ"),
    jobs: int = Option(0, "--jobs", help="読み込みに使うプロセス数 （このプロセスを含む。0 = ファイル数と CPU 数から自動）"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
    feedback: Path | None = Option(None, "--feedback", help="差戻し・確認のファイルの出力先 （既定: 受付フォルダ内の 「フィードバック」）"),
    verbose: bool = Option(False, "--verbose", "-v", help=f"ファイルが{SUMMARY_OVER}件を超えても、全件の表を出す"),
    allow_frozen: bool = Option(False, "--allow-frozen", help="確定済みの年度の値の変更も取り込む （変更履歴に 「取込（確定年度）」 と記録）"),
) -> None:
    """返送された様式を検証してマスターに取り込む （差戻しがあれば終了コード1）。"""
    from envplan.survey.return_files import reading_ahead

    existing_file(master, as_json)
    if not inbox.exists():
        fail(f"受付フォルダが見つかりません: {inbox}", f"inbox folder not found: {inbox}", as_json=as_json)
    if not inbox.is_dir():
        fail(f"受付フォルダには、返送されたファイルを集めたフォルダを指定してください（{inbox} はファイルです）", f"the inbox must be a folder: {inbox}", as_json=as_json)
    if inbox.resolve() == master.resolve().parent:  # the master and its key would be read as returns
        fail(
            f"受付フォルダに、マスターと同じフォルダ（{inbox}）は指定できません。返送ファイル用のフォルダ（例: 受付）を作り、そこに集めてください",
            "the inbox must not be the master's own folder",
            as_json=as_json,
        )
    if jobs < 0:
        fail(f"--jobs は 0 以上の整数です（指定: {jobs}）", "--jobs must be 0 or more", as_json=as_json)
    workers = worker_count(jobs)
    # Its workers read while the rest is imported: started before the command's imports (cli/startup.py), or now.
    ahead = take_reader_ahead(master, inbox, workers) or reading_ahead(master, inbox, jobs=workers)
    with ahead if ahead is not None else contextlib.nullcontext():
        result = _run(master, inbox, workers, feedback, allow_frozen, as_json, ahead)
    if as_json:
        emit_json({"ok": result.rejected == 0, **result.to_json()})
    else:
        _print(result, verbose=verbose)
    raise Exit(EXIT_INVALID if result.rejected else EXIT_OK)


def _run(master: Path, inbox: Path, workers: int, feedback: Path | None, allow_frozen: bool, as_json: bool, ahead: ReturnReader | None) -> ConsolidationResult:
    from envplan.cli.master import print_diagnostics

    with importing("envplan.survey.consolidate", "envplan.workbook.xlsx_master_edits"):  # with those it imports as it begins
        import envplan.workbook.xlsx_master_edits  # noqa: F401
        from envplan.survey.consolidate import ConsolidationError
        from envplan.survey.consolidate import consolidate as run

    try:
        with console.status("取り込んでいます…") as status:

            def progress(i: int, n: int, name: str) -> None:
                status.update(f"読み込み {i}/{n}: {name}")

            return run(master, inbox, jobs=workers, feedback_dir=feedback, allow_frozen=allow_frozen, progress=progress, reader=ahead)
    except ConsolidationError as e:
        if e.diagnostics and not as_json:
            print_diagnostics(e.diagnostics)
        if as_json and e.diagnostics:
            emit_json({"ok": False, "error": {"message": str(e), "message_en": e.message_en}, "errors": [d.to_json() for d in e.diagnostics]})
            console.print(f"[bold red]エラー:[/] {escape(str(e))}")
            raise Exit(e.exit_code) from None
        fail(str(e), e.message_en, as_json=as_json, code=e.exit_code)


def _print(result, *, verbose: bool = False) -> None:
    if not result.files:
        console.print(f"[yellow]受付フォルダ {escape(result.inbox)} に返送ファイルがありません。[/]返送された .xlsx ファイルを、このフォルダの直下に置いてください")
    files = result.files
    summary = len(files) > SUMMARY_OVER and not verbose
    if summary:
        attention = [f for f in files if f.status in ("rejected", "blank") or (f.warnings and f.status == "accepted")]
        files = sorted(attention, key=lambda f: ({"rejected": 0, "blank": 1}.get(f.status, 2), f.file))[:SUMMARY_ROWS]
    from rich.table import Table  # rich only when a table is drawn (output.py)

    table = Table(header_style="bold")
    for col in ("ファイル", "所管課", "結果", "変更", "エラー", "警告", "内容"):
        table.add_column(col, overflow="fold")
    for f in files:
        first = (f.errors or f.warnings or [{"message": ""}])[0]
        where = f"{first.get('sheet', '')}!{first.get('cell', '')} " if first.get("cell") else ""
        # File names and the values quoted in messages are the departments' text, not markup.
        table.add_row(escape(f.file), escape(f.department_name or f.department or "－"), STATUS_JA[f.status], str(f.changes), str(len(f.errors)), str(len(f.warnings)), escape(where + first["message"]))
    if files:
        console.print(table)
    if summary:
        shown = len(files)
        need = sum(1 for f in result.files if f.status in ("rejected", "blank") or (f.warnings and f.status == "accepted"))
        console.print(
            f"ファイル {len(result.files):,} 件のうち、確認が必要な {need:,} 件"
            + (f"の先頭 {shown} 件" if need > shown else "")
            + "を表示しました（全件の表は --verbose、または --json で）"
        )
    console.print(
        f"{result.fy}年度: 受理 {result.accepted}、差戻し {result.rejected}、未記入 {result.blank}、変更なし {result.unchanged}、新しい提出で置き換え {result.superseded}、変更した値 {result.changes} 件"
        + ("" if result.written else "（マスターは変更していません）")
    )
    for r in result.submissions:
        if r.get("fy") == result.fy and r.get("status") in ("差戻し", "未記入") and r.get("applied_file"):
            console.print(f"{escape(str(r['department_name']))}: 最新の提出は{r['status']}のため、先に受理した「{escape(str(r['applied_file']))}」の値がそのまま有効です")
    waiting = [r["department_name"] for r in result.submissions if r.get("status") in ("未提出", "未記入")]
    if waiting:
        console.print(f"未提出・未記入: {escape('、'.join(waiting))}")
    feedback = [f.feedback for f in result.files if f.feedback]
    if feedback:
        console.print(f"差戻し・確認のファイル {len(feedback)} 件: {escape(str(Path(feedback[0]).parent))}")
    if result.backup:
        console.print(f"前のマスターのバックアップ: {escape(result.backup)}")
    if result.not_returns:
        console.print(
            f"[yellow]様式ではないため読み込まなかったファイル（送り状・PDF など）:[/] {escape('、'.join(result.not_returns))}"
            "（内容をご確認ください。回答は様式の .xlsx で提出してもらってください）"
        )
    if result.ignored:
        console.print(f"読み込まなかったもの（ロックファイル等。フォルダの中は読みません）: {escape('、'.join(result.ignored))}")
