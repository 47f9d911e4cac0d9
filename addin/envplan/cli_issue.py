"""`envplan issue MASTER --out DIR [--fy YEAR]`: one template per department."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .cli_app import EXIT_INVALID, app, console, emit_json, existing_file, fail


def parse_fy_option(fy: str | None, as_json: bool) -> int | None:
    from .years import YearError, parse_fy

    if fy is None:
        return None
    try:
        return parse_fy(fy)
    except YearError as e:
        fail(f"--fy の年度を読めません: {e}", f"cannot read --fy {fy!r} as a fiscal year", as_json=as_json)


@app.command()
def issue(
    master: Path = typer.Argument(..., help="マスターワークブック"),
    out: Path = typer.Option(..., "--out", help="様式を書き出すフォルダ"),
    fy: Optional[str] = typer.Option(None, "--fy", help="照会する年度（2022、令和4年度、R4 など。既定は設定シートの対象年度）"),
    as_json: bool = typer.Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """所管課ごとの照会様式（入力用ワークブック）を発行する。"""
    from .cli_master import print_diagnostics
    from .template_identity import key_path
    from .template_issue import TemplateIssueError, issue_for_plan, read_plan_for_issue

    existing_file(master, as_json)
    year = parse_fy_option(fy, as_json)
    try:
        plan = read_plan_for_issue(master)
        paths = issue_for_plan(plan, master, out, year)
    except TemplateIssueError as e:
        if as_json:
            emit_json({"ok": False, "error": {"message": str(e)}, "errors": [d.to_json() for d in e.diagnostics]})
        else:
            print_diagnostics(e.diagnostics)
            console.print(f"[red]{e}[/]")
        raise typer.Exit(EXIT_INVALID)
    except OSError as e:
        fail(f"様式を書き出せません: {e}", f"cannot write the templates: {e}", as_json=as_json)
    year = plan.current_fy if year is None else year
    if as_json:
        emit_json({"ok": True, "fy": year, "out": str(out), "templates": [str(p) for p in paths], "key": str(key_path(master))})
        return
    for p in paths:
        console.print(f"  {p.name}")
    console.print(f"[green]{year}年度の照会様式を {len(paths)} 件発行しました:[/] {out}")
    if year != plan.current_fy:
        console.print(f"[yellow]注意:[/] 設定シートの対象年度は {plan.current_fy}年度です。取込は対象年度の様式だけを受け付けます（envplan year open で年度を進めてください）。")
    console.print(f"署名鍵 {key_path(master).name} はマスターと同じフォルダに置いたままにし、所管課には送らないでください。")
