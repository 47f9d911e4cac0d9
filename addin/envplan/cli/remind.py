"""`envplan remind MASTER [--out DIR] [--smtp HOST:PORT] [--deadline DATE] [--json]`: 督促のメール."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from envplan.cli.app import EXIT_ENVIRONMENT, EXIT_INVALID, app, console, emit_json, escape, existing_file, fail, os_error_text
from envplan.cli.commands import Argument, Exit, Option


def deadline_option(text: str | None, as_json: bool) -> dt.date | None:
    from envplan.survey.reminders import parse_deadline

    if text is None:
        return None
    try:
        return parse_deadline(text)
    except ValueError:
        fail(f"--deadline「{text}」を日付として読めません（例: 2026-12-15、2026年12月15日）", f"cannot read --deadline {text!r} as a date", as_json=as_json)


def smtp_option(server: str, sender: str | None, starttls: bool, as_json: bool) -> Any:
    from envplan.survey.mail_drafts import ENV_FROM, parse_server, settings_from_env

    try:
        host, port = parse_server(server)
    except ValueError:
        fail(f"--smtp「{server}」をメールサーバーとして読めません（例: mail.example.jp:587）", f"cannot read --smtp {server!r} as HOST:PORT", as_json=as_json)
    settings = settings_from_env(host, port, sender, starttls)
    if not settings.sender:
        fail(f"差出人のアドレスがありません。--from で指定するか、環境変数 {ENV_FROM} を設定してください", "no sender: give --from or set ENVPLAN_SMTP_FROM", as_json=as_json)
    return settings


@app.command()
def remind(
    master: Path = Argument(help="マスターワークブック"),
    inbox: Path | None = Option(None, "--inbox", help="取込の受付フォルダ（差戻しのファイルを添付）"),
    feedback: Path | None = Option(None, "--feedback", help="差戻しのファイルのフォルダ（取込の --feedback）"),
    templates: Path | None = Option(None, "--templates", help="照会様式のフォルダ（未提出の課に添付）"),
    out: Path | None = Option(None, "--out", help="下書き（.eml）の出力先（既定: マスターの横の 督促メール）"),
    deadline: str | None = Option(None, "--deadline", help="提出期限（例: 2026-12-15、2026年12月15日）"),
    smtp: str | None = Option(None, "--smtp", help="送信するメールサーバー HOST:PORT（ログインは環境変数で）"),
    sender: str | None = Option(None, "--from", help="差出人（既定: ENVPLAN_SMTP_FROM）"),
    starttls: bool = Option(False, "--starttls", help="STARTTLS を必須にする"),
    as_json: bool = Option(False, "--json", help="結果を JSON で標準出力に出す"),
) -> None:
    """未提出・未記入・差戻しの所管課への督促メールを作る。

    既定は .eml の下書き（Outlook などで開いて送信）、--smtp を指定すると送信します。
    送信のログインは環境変数 ENVPLAN_SMTP_USER と ENVPLAN_SMTP_PASSWORD で指定します（ワークブックやコマンドには書きません）。
    """
    from envplan.survey.mail_drafts import MailError, MailSender
    from envplan.survey.reminders import ReminderError, default_feedback_dir, read_round, reminder_mail, reminders

    existing_file(master, as_json)
    for option, folder in (("--inbox", inbox), ("--feedback", feedback), ("--templates", templates)):
        if folder is not None and not folder.is_dir():
            fail(f"{option} のフォルダが見つかりません: {folder}", f"{option} folder not found: {folder}", as_json=as_json)
    if out is not None and out.exists() and not out.is_dir():
        fail(f"--out にはフォルダを指定してください（{out} はファイルです）", f"--out must be a folder: {out}", as_json=as_json)
    day = deadline_option(deadline, as_json)
    settings = smtp_option(smtp, sender, starttls, as_json) if smtp else None
    try:
        plan, rows = read_round(master)
    except ReminderError as e:
        fail(str(e), e.message_en, as_json=as_json, code=EXIT_INVALID if "validate" in e.message_en else EXIT_ENVIRONMENT)
    day = day or plan.response_deadline  # --deadline, else the 回答期限 row of 設定
    key = b""
    if inbox is not None:
        from envplan.survey.template_identity import SigningKeyError, load_key

        try:
            key = load_key(master)  # to trust the 担当者 sheet of a return, as consolidation does
        except SigningKeyError as e:
            fail(str(e), "the master's signing key cannot be read", as_json=as_json)
    chased = reminders(plan, rows, feedback or default_feedback_dir(inbox), templates, inbox, key)
    mails = [(r, reminder_mail(plan, r, day)) for r in chased]
    checked = [(r, m, m.unmailable()) for r, m in mails]
    to_mail = [(r, m) for r, m, why in checked if why is None]
    not_mailed = [
        {"department": m.department, "department_name": m.department_name, "status": r.status, "to": m.to, "reason": why[0], "reason_en": why[1]}
        for r, m, why in checked
        if why is not None
    ]
    entries: list[dict[str, Any]] = []
    folder = out or master.parent / "督促メール"
    prefix = f"督促_{plan.current_fy}年度"
    if settings is None:
        from envplan.survey.mail_drafts import ENV_FROM, DraftWriteError, write_drafts

        try:
            paths = write_drafts([m for _, m in to_mail], folder, prefix, sender or os.environ.get(ENV_FROM, ""))
        except DraftWriteError as e:
            fail(f"下書き {e.path} を書き込めません（{os_error_text(e.error)}）。下書きは1通も作っていません", f"cannot write the draft {e.path}: {e.error}; no draft was written", as_json=as_json)
        except OSError as e:
            fail(f"下書きを {folder} に書き込めません（{os_error_text(e)}）。下書きは1通も作っていません", f"cannot write the drafts: {e}; no draft was written", as_json=as_json)
        entries = [_entry(r, m, file=str(path)) for (r, m), path in zip(to_mail, paths, strict=True)]
    elif to_mail:  # nothing to send: no session with the server at all
        try:
            with MailSender(settings) as mailer:
                for r, m in to_mail:
                    mailer.send(m)
                    entries.append(_entry(r, m, sent=True))
        except MailError as e:
            done = f"（送信済み: {'、'.join(e2['department_name'] for e2 in entries)}。残りは送信していません）" if entries else "（1通も送信していません）"
            if as_json:
                emit_json({"ok": False, "error": {"message": f"{e}{done}", "message_en": e.message_en}, "fy": plan.current_fy, "mails": entries, "not_mailed": not_mailed})
            console.print(f"[bold red]エラー:[/] {escape(str(e))}{escape(done)}")
            raise Exit(EXIT_ENVIRONMENT) from None
    if as_json:
        emit_json({"ok": True, "fy": plan.current_fy, "deadline": day.isoformat() if day else None, "mails": entries, "not_mailed": not_mailed})
        return
    _print(plan.current_fy, entries, not_mailed, chased, folder if settings is None else None, day)


def _entry(r: Any, m: Any, **where: Any) -> dict[str, Any]:
    return {
        "department": m.department,
        "department_name": m.department_name,
        "to": m.to,
        "to_from": r.to_source,
        "status": r.status,
        **where,
        "attachments": [p.name for p in m.attachments],
        "missing_attachments": list(r.missing),
    }


def _print(fy: int, entries: list[dict[str, Any]], not_mailed: list[dict[str, Any]], chased: list[Any], folder: Path | None, day: dt.date | None) -> None:
    if not chased:
        console.print(f"[green]{fy}年度: 督促が必要な所管課はありません[/]（未提出・未記入・差戻しなし）")
        return
    for e in entries:
        files = f" 添付: {'、'.join(e['attachments'])}" if e["attachments"] else ""
        console.print(f"  {escape(e['status'])}  {escape(e['department_name'])} <{escape(e['to'])}>{escape(files)}")
        for name in e["missing_attachments"]:
            console.print(f"    [yellow]添付できません:[/] {escape(name)} が見つかりません（--inbox / --feedback / --templates を確認してください）")
    if entries:
        verb = f"下書きを {len(entries)} 通作りました: {folder}" if folder is not None else f"{len(entries)} 通送信しました"
        console.print(f"[green]{fy}年度の督促メール:[/] {escape(verb)}")
    print_past_deadline(day)
    if day is None and entries:
        console.print("[yellow]注意:[/] 提出期限を書いていません（設定シートの「回答期限」か --deadline で指定できます）")
    print_not_mailed(not_mailed)


def print_not_mailed(not_mailed: list[dict[str, Any]]) -> None:
    """The departments no mail was made for, each with why (remind, and issue --mail-drafts)."""
    if not_mailed:
        console.print("[yellow]メールを作らなかった所管課[/]（所管課シートの「メール」を確認してください）:")
    for n in not_mailed:
        status = f"（{n['status']}）" if n.get("status") else ""
        console.print(f"  {escape(n['department_name'])}{escape(status)}: {escape(n['reason'])}")


def print_past_deadline(day: dt.date | None) -> None:
    """A deadline already past in a mail (remind, and issue --mail-drafts): said, not refused."""
    if day is not None and day < dt.date.today():
        console.print(f"[yellow]注意:[/] 提出期限 {day.isoformat()} は今日より前です。日付を確かめてください")
