"""`envplan issue MASTER --out DIR [--fy YEAR]`: one template per department."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from envplan.cli.app import EXIT_ENVIRONMENT, EXIT_INVALID, app, console, emit_json, existing_file, fail, os_error_text, parse_fy_option

__all__ = ["issue", "parse_fy_option"]  # parse_fy_option: also used by cli_year


@app.command()
def issue(
    master: Path = typer.Argument(..., help="マスターワークブック"),
    out: Path = typer.Option(..., "--out", help="様式を書き出すフォルダ"),
    fy: str | None = typer.Option(None, "--fy", help="照会する年度（2022、令和4年度、R4 など。既定は設定シートの対象年度）"),
    as_json: bool = typer.Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """所管課ごとの照会様式（入力用ワークブック）を発行する。"""
    from envplan.cli.master import print_diagnostics
    from envplan.survey.template_identity import key_path
    from envplan.survey.template_issue import TemplateIssueError, issue_for_plan, read_plan_for_issue

    existing_file(master, as_json)
    year = parse_fy_option(fy, as_json)
    if out.exists() and not out.is_dir():
        fail(f"--out にはフォルダを指定してください（{out} はファイルです）", f"--out must be a folder: {out}", as_json=as_json)
    try:
        plan = read_plan_for_issue(master)
        paths = issue_for_plan(plan, master, out, year)
    except TemplateIssueError as e:
        # The master's errors are the input's fault (1); an unreadable file or a far year, the command's (2).
        code = EXIT_INVALID if e.diagnostics else EXIT_ENVIRONMENT
        english = "the master has errors; run envplan validate" if e.diagnostics else "cannot issue the templates: the master cannot be read or the fiscal year is far outside the plan period"
        if as_json:
            emit_json({"ok": False, "error": {"message": str(e), "message_en": english}, "errors": [d.to_json() for d in e.diagnostics]})
        print_diagnostics(e.diagnostics)
        console.print(f"[bold red]エラー:[/] {escape(str(e))}")
        raise typer.Exit(code) from None
    except OSError as e:
        fail(f"様式を書き出せません（{os_error_text(e)}）", f"cannot write the templates: {e}", as_json=as_json)
    year = plan.current_fy if year is None else year
    if as_json:
        emit_json({"ok": True, "fy": year, "out": str(out), "templates": [str(p) for p in paths], "key": str(key_path(master))})
        return
    for p in paths:
        console.print(f"  {escape(p.name)}")
    console.print(f"[green]{year}年度の照会様式を {len(paths)} 件発行しました:[/] {escape(str(out))}")
    if year != plan.current_fy:
        console.print(f"[yellow]注意:[/] 設定シートの対象年度は {plan.current_fy}年度です。取込は対象年度の様式だけを受け付けます（envplan year open で年度を進めてください）。")
    console.print(f"署名鍵 {escape(key_path(master).name)} はマスターと同じフォルダに置いたままにし、所管課には送らないでください。")
