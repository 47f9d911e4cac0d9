"""`envplan issue MASTER --out DIR [--fy YEAR]`: one template per department."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envplan.cli.app import EXIT_ENVIRONMENT, EXIT_INVALID, app, console, emit_json, escape, existing_file, fail, os_error_text, parse_fy_option
from envplan.cli.commands import REQUIRED, Argument, Exit, Option

if TYPE_CHECKING:
    from envplan.plan.model import Plan

__all__ = ["issue", "parse_fy_option"]  # parse_fy_option: also used by cli_year


@app.command()
def issue(
    master: Path = Argument(help="マスターワークブック"),
    out: Path = Option(REQUIRED, "--out", help="様式を書き出すフォルダ"),
    fy: str | None = Option(None, "--fy", help="照会する年度（2022、令和4年度、R4 など。既定は設定シートの対象年度）"),
    mail_drafts: bool = Option(False, "--mail-drafts", help="様式を添付したメールの下書き（.eml）も作る"),
    deadline: str | None = Option(None, "--deadline", help="メールに書く提出期限（例: 2026-12-15）"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """所管課ごとの照会様式（入力用ワークブック）を発行する。"""
    from envplan.cli.master import print_diagnostics
    from envplan.survey.template_identity import key_path
    from envplan.survey.template_issue import TemplateIssueError, issue_for_plan, read_plan_for_issue

    existing_file(master, as_json)
    year = parse_fy_option(fy, as_json)
    from envplan.cli.remind import deadline_option

    day = deadline_option(deadline, as_json)
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
        raise Exit(code) from None
    except OSError as e:
        fail(f"様式を書き出せません（{os_error_text(e)}）", f"cannot write the templates: {e}", as_json=as_json)
    year = plan.current_fy if year is None else year
    drafts: list[dict[str, str]] = []
    not_mailed: list[dict[str, str]] = []
    if mail_drafts:
        from envplan.survey.mail_drafts import DraftWriteError

        try:
            drafts, not_mailed = _mail_drafts(plan, paths, year, day or plan.response_deadline)  # 設定の回答期限 unless --deadline
        except DraftWriteError as e:
            fail(
                f"メールの下書き {e.path} を書き出せません（{os_error_text(e.error)}）。様式は発行済みです。下書きは1通も作っていません",
                f"cannot write the mail draft {e.path} (the templates were issued; no draft was written): {e.error}",
                as_json=as_json,
            )
        except OSError as e:
            fail(f"メールの下書きを書き出せません（{os_error_text(e)}）。様式は発行済みです。下書きは1通も作っていません", f"cannot write the mail drafts (the templates were issued; no draft was written): {e}", as_json=as_json)
    if as_json:
        extra = {"mails": drafts, "not_mailed": not_mailed} if mail_drafts else {}
        emit_json({"ok": True, "fy": year, "out": str(out), "templates": [str(p) for p in paths], "key": str(key_path(master)), **extra})
        return
    for p in paths:
        console.print(f"  {escape(p.name)}")
    console.print(f"[green]{year}年度の照会様式を {len(paths)} 件発行しました:[/] {escape(str(out))}")
    if mail_drafts:
        from envplan.cli.remind import print_not_mailed, print_past_deadline

        if drafts:
            console.print(f"様式を添付したメールの下書き（.eml）を {len(drafts)} 通、様式の横に作りました。")
            print_past_deadline(day or plan.response_deadline)
        print_not_mailed(not_mailed)
    if year != plan.current_fy:
        console.print(f"[yellow]注意:[/] 設定シートの対象年度は {plan.current_fy}年度です。取込は対象年度の様式だけを受け付けます（envplan year open で年度を進めてください）。")
    console.print(f"署名鍵 {escape(key_path(master).name)} はマスターと同じフォルダに置いたままにし、所管課には送らないでください。")


def _mail_drafts(plan: Plan, paths: list[Path], fy: int, day: dt.date | None) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Beside each template, a draft to its department with the template attached."""
    from envplan.survey.mail_drafts import ENV_FROM, write_drafts
    from envplan.survey.reminders import issue_mail
    from envplan.survey.reporting import departments_to_issue
    from envplan.survey.template_layout import template_file_name

    by_name = {p.name: p for p in paths}
    mails, not_mailed = [], []
    for dept in departments_to_issue(plan):
        template = by_name[template_file_name(fy, dept.name)]
        mail = issue_mail(plan, dept, fy, template, day)
        why = mail.unmailable()
        if why is not None:
            not_mailed.append({"department": dept.code, "department_name": dept.name, "to": mail.to, "reason": why[0], "reason_en": why[1]})
            continue
        mails.append((dept, template, mail))
    folder = paths[0].parent if paths else Path()
    written = write_drafts([m for _, _, m in mails], folder, f"照会_{fy}年度", os.environ.get(ENV_FROM, "")) if mails else []
    drafts = [
        {"department": dept.code, "department_name": dept.name, "to": mail.to, "file": str(path), "attachments": [template.name]}
        for (dept, template, mail), path in zip(mails, written, strict=True)
    ]
    return drafts, not_mailed
