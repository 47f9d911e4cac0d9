"""Who to chase and what to tell them: the departments whose return for the target year is still
未提出, 未記入 or 差戻し by the master's 提出状況 sheet, each a mail to the contact in 所管課.

Also the first 照会's mail (each department's template attached). The texts name the plan, the
year, the deadline and what is missing; the municipality's words come from its name, nothing of
any one city is written here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envplan.plan.model import Department, Plan
from envplan.plan.years import fy_label, parse_date
from envplan.survey.consolidate import FEEDBACK_DIR_NAME
from envplan.survey.feedback import REJECTED_SUFFIX, WARNED_SUFFIX
from envplan.survey.mail_drafts import Mail
from envplan.survey.reporting import departments_to_issue
from envplan.survey.return_files import inspect_return
from envplan.survey.template_identity import key_id
from envplan.survey.template_layout import template_file_name
from envplan.workbook.changes import MasterStateError, load_master_state
from envplan.workbook.io import UnreadableWorkbook, open_workbook

NOT_SUBMITTED, BLANK, RETURNED = "未提出", "未記入", "差戻し"
CHASED = (NOT_SUBMITTED, BLANK, RETURNED)
WEEKDAYS = "月火水木金土日"


class ReminderError(Exception):
    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message)
        self.message_en = message_en


@dataclass
class Reminder:
    department: Department  # its contact and email as the mail uses them (the last return's, else 所管課's)
    status: str  # 未提出 / 未記入 / 差戻し
    file: str  # the latest return's file name ("" when none)
    errors: int
    note: str  # the tracker's 内容: the first error, or what was left blank
    attachments: list[Path]
    missing: list[str]  # attachments that should be there but are not (said in the output)
    to_source: str = "所管課"  # where the address came from: 所管課 / the 担当者 sheet of the last return


def read_round(master: Path) -> tuple[Plan, list[dict[str, Any]]]:
    """The master's plan and its 提出状況 rows of the target year."""
    try:
        source = open_workbook(master)
    except UnreadableWorkbook as e:
        raise ReminderError(e.message, e.message_en) from e
    try:
        state = load_master_state(source)
    except MasterStateError as e:
        raise ReminderError(str(e), "the master has errors; run envplan validate") from e
    finally:
        source.close()
    fy = state.plan.current_fy
    return state.plan, [r for r in state.submissions if r.get("fy") == fy]


def reminders(
    plan: Plan, submissions: list[dict[str, Any]], feedback_dir: Path | None, templates_dir: Path | None, inbox: Path | None = None, key: bytes = b""
) -> list[Reminder]:
    """`inbox` and the master's `key`: read the 担当者 sheet of each department's last return there."""
    recorded = {r.get("department"): r for r in submissions}
    out = []
    for dept in departments_to_issue(plan):
        row = recorded.get(dept.code) or {}
        status = str(row.get("status") or NOT_SUBMITTED)  # never consolidated: nothing received yet
        if status not in CHASED:
            continue
        file = str(row.get("file") or "")
        attachments: list[Path] = []
        missing: list[str] = []
        if status in (RETURNED, BLANK) and file:
            # consolidate names the copy after the return: 回答_要修正.xlsx (差戻し), 回答_確認.xlsx (未記入)
            suffix = REJECTED_SUFFIX if status == RETURNED else WARNED_SUFFIX
            names = [f"{Path(file).stem}{suffix}{ext}" for ext in dict.fromkeys((Path(file).suffix.lower(), ".xlsx"))]
            found = [feedback_dir / n for n in names if feedback_dir is not None and (feedback_dir / n).is_file()]
            if found:
                attachments.append(found[0])
            elif status == RETURNED:
                missing.append(names[0])
        if status == NOT_SUBMITTED and templates_dir is not None:
            template = templates_dir / template_file_name(plan.current_fy, dept.name)
            if template.is_file():
                attachments.append(template)
            else:
                missing.append(template.name)
        to_source = "所管課"
        if inbox is not None and key and file:
            contact, email = return_contact(inbox / file, str(row.get("sha256") or ""), dept.code, key)
            if email:  # the person who sent the last return, who will fix it
                dept = dept.model_copy(update={"contact": contact or dept.contact, "email": email})
                to_source = "回答の担当者シート"
        out.append(Reminder(dept, status, file, int(row.get("errors") or 0), str(row.get("note") or ""), attachments, missing, to_source))
    return out


def return_contact(path: Path, sha256: str, dept: str, key: bytes) -> tuple[str, str]:
    """(担当者, メール) typed on the 担当者 sheet of the return the tracker records, read through the
    same safety scan and signature check as consolidation; ("", "") when it is not that very file
    (moved, replaced), not ours, or another department's."""
    if not path.is_file():
        return "", ""
    rf = inspect_return(path, key, key_id(key))
    ident = rf.reading.identity if rf.reading is not None else None
    if not rf.attributable or ident is None or ident.department != dept or (sha256 and rf.sha256 != sha256):
        return "", ""
    assert rf.reading is not None
    found = {inp.spec.key[2]: inp.value for inp in rf.reading.inputs if inp.spec.key[:2] == ("department", dept)}
    email = str(found.get("email") or "").strip()
    return str(found.get("contact") or "").strip(), email if "@" in email else ""


def default_feedback_dir(inbox: Path | None) -> Path | None:
    return inbox / FEEDBACK_DIR_NAME if inbox is not None else None


def deadline_text(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）" if day else ""


def parse_deadline(text: str) -> dt.date:
    """2026-12-15, 2026/12/15, 2026年12月15日, 令和8年12月15日 → a date; ValueError otherwise."""
    return parse_date(text)


def _sender_line(plan: Plan) -> str:
    """Who writes: the 発行者 setting (e.g. ○○市 環境局 環境政策課), else the municipality's plan office."""
    return plan.publisher or f"{plan.municipality} 環境計画の担当".strip()


def _signature(plan: Plan) -> str:
    lines = ["――――", _sender_line(plan)]
    if plan.contact:
        lines.append(plan.contact)
    return "\n".join(lines)


def _greeting(dept: Department) -> str:
    return f"{dept.name}\n{dept.contact} 様" if dept.contact else f"{dept.name} ご担当者 様"


def reminder_mail(plan: Plan, r: Reminder, deadline: dt.date | None) -> Mail:
    fy = fy_label(plan.current_fy)
    due = f"{deadline_text(deadline)}までに" if deadline else "お早めに"
    what = {NOT_SUBMITTED: "ご提出のお願い", BLANK: "ご記入のお願い", RETURNED: "修正のお願い"}[r.status]
    lines = [_greeting(r.department), "", f"{_sender_line(plan)}です。", f"{plan.name}の進行管理（{fy}）の照会について、{what}です。", ""]
    if r.status == NOT_SUBMITTED:
        lines.append(f"{r.department.name}からの回答（照会様式）が、まだ届いていません。")
        if any(p.suffix.lower() == ".xlsx" for p in r.attachments):
            lines.append(f"照会様式（{r.attachments[0].name}）を添付します。記入して、{due}ご提出ください。")
        else:
            lines.append(f"お送りした照会様式に記入して、{due}ご提出ください。")
    elif r.status == BLANK:
        lines.append(f"ご提出いただいた「{r.file}」は、記入が必要な欄が空欄のままでした。")
        if r.note:
            lines.append(f"内容: {r.note}")
        if r.attachments:
            lines.append(f"添付の「{r.attachments[0].name}」に記入して保存し、{due}送り直してください。")
        else:
            lines.append(f"同じファイルに記入して、{due}送り直してください。")
    else:
        lines.append(f"ご提出いただいた「{r.file}」に、直していただきたい箇所（エラー）が{r.errors}件あり、取り込めませんでした。")
        if r.note:
            lines.append(f"最初のエラー: {r.note}")
        if r.attachments:
            lines.append(f"添付の「{r.attachments[0].name}」の先頭の「確認事項」シートに全件と、色とコメントの付いたセルがあります。")
            lines.append(f"このファイルを直して保存し、{due}送り直してください。")
        else:
            lines.append(f"確認事項の一覧は環境計画の担当からお送りします。直して、{due}送り直してください。")
    if deadline:
        lines += ["", f"提出期限: {deadline_text(deadline)}"]
    lines += ["", "ご不明な点は、下記までお問い合わせください。", "", _signature(plan)]
    subject = f"【{what}】{plan.name} 進行管理の照会（{fy}）" + (f" 期限{deadline.month}月{deadline.day}日" if deadline else "")
    return Mail(r.department.code, r.department.name, r.department.email.strip(), r.department.contact, subject, "\n".join(lines) + "\n", list(r.attachments))


def issue_mail(plan: Plan, dept: Department, fy: int, template: Path, deadline: dt.date | None) -> Mail:
    label = fy_label(fy)
    due = f"{deadline_text(deadline)}までに" if deadline else ""
    lines = [
        _greeting(dept),
        "",
        f"{_sender_line(plan)}です。",
        f"{plan.name}の進行管理のため、{label}の実績と取組の状況を照会します。",
        "",
        f"添付の照会様式（{template.name}）の黄色の欄に記入し、保存して{due}ご提出ください。",
        "記入方法は様式の「記入方法」シートにあります。灰色の欄やシートの構成は変えないでください。",
    ]
    if deadline:
        lines += ["", f"提出期限: {deadline_text(deadline)}"]
    lines += ["", "ご不明な点は、下記までお問い合わせください。", "", _signature(plan)]
    subject = f"【照会】{plan.name} 進行管理（{label}）" + (f" 期限{deadline.month}月{deadline.day}日" if deadline else "")
    return Mail(dept.code, dept.name, dept.email.strip(), dept.contact, subject, "\n".join(lines) + "\n", [template])
