"""Adding a policy evaluation sheet (施策進行管理・評価票) to a master
(`envplan add policy`): the sheet in the standard layout, numbered after the
existing ones, with its line in 施策一覧 and 使い方 — a blank master has no sheet
to copy, and a copied sheet would keep another policy's contents."""

from __future__ import annotations

from pathlib import Path

from envplan.plan.model import Plan, Policy
from envplan.workbook.changes import KIND_POLICY_ADD, MasterEdits, MasterState, RowAppend, changelog_note_row, load_master_state, rows_for_sheet
from envplan.workbook.fields import ChangeOrigin, now_text
from envplan.workbook.io import CalamineSource, ResultTable
from envplan.workbook.layout import SHEET_NAME_FORBIDDEN, layout
from envplan.workbook.store import MasterLock
from envplan.workbook.writer import write_policy_form
from envplan.workbook.xlsx_master_edits import OpenpyxlMasterSink, edit_master
from envplan.workbook.xlsx_style import YEAR_FORMAT

# Excel refuses these in a sheet name, and a name longer than 31 characters.


class AddPolicyError(RuntimeError):
    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message)
        self.message_en = message_en


def new_policy(plan: Plan, code: str, title: str, department: str | None, fy: int | None) -> Policy:
    """The policy to add, checked against the plan (Japanese errors naming what to fix)."""
    code, title = code.strip(), title.strip()
    if not code or not title:
        raise AddPolicyError("施策コードと施策課題（--code・--title）を指定してください", "give --code and --title")
    if plan.policy(code) is not None:
        raise AddPolicyError(f"施策コード「{code}」の評価票は既にあります", f"policy {code} already has a sheet")
    # A new code is kept to what a sheet name, a file name and a URL can all hold as it is (a
    # long one is fine: its sheet gets a shortened name). Codes already in a master are read as they are.
    bad = sorted(set(code) & SHEET_NAME_FORBIDDEN)
    if bad:
        raise AddPolicyError(
            f"施策コード「{code}」には、シート名に使えない文字（{' '.join(bad)}）が含まれています。これらの文字を除いたコードを指定してください",
            f"policy code {code!r} holds characters a sheet name cannot ({' '.join(bad)})",
        )
    codes = [d.code for d in plan.departments]
    if department is None:
        if len(codes) != 1:
            listed = "、".join(codes) if codes else "（「所管課」シートに課がありません）"
            raise AddPolicyError(f"作成課を --department で指定してください（所管課のコード: {listed}）", "give the department with --department")
        department = codes[0]
    department = department.strip()
    if department not in codes:
        raise AddPolicyError(f"作成課「{department}」は「{layout()['departments'].name}」シートにありません（所管課のコード: {'、'.join(codes)}）", f"department {department} is not on the departments sheet")
    return Policy(code=code, sheet_no=len(plan.policies) + 1, title=title, evaluation_fy=fy if fy is not None else plan.current_fy, department=department)


def add_policy(master: Path, code: str, title: str, *, department: str | None = None, fy: int | None = None) -> tuple[Policy, str, Path | None]:
    """Add the sheet; returns the policy, its sheet's name and the backup of the previous master."""
    master = Path(master)
    with MasterLock(master):
        source = CalamineSource(master)
        try:
            state = load_master_state(source)
        finally:
            source.close()
        policy = new_policy(state.plan, code, title, department, fy)
        after = state.plan.model_copy(update={"policies": [*state.plan.policies, policy]})
        sheets = {**state.reading.policy_sheets, policy.code: layout().policy_sheet_name(policy.code)}
        last = [sheets[p.code] for p in state.plan.policies]

        def write(sink: OpenpyxlMasterSink) -> None:
            wb = sink.wb
            ws = write_policy_form(wb, after, policy)
            # After the last policy sheet, or after 施策一覧: where staff look for it.
            anchor = last[-1] if last else layout()["policies"].name
            if anchor in wb.sheetnames:
                wb._sheets.remove(ws)
                wb._sheets.insert(wb.sheetnames.index(anchor) + 1, ws)

        edits = MasterEdits(plan=after)
        log = _log_row(state, policy, sheets[policy.code])
        if isinstance(log, RowAppend):
            edits.appends.append(log)
        else:
            edits.tables.append(log)
        backup = edit_master(master, edits, policy_sheets=sheets, also=write)
    return policy, sheets[policy.code], backup


def _log_row(state: MasterState, policy: Policy, sheet: str) -> RowAppend | ResultTable:
    """The change-log row of the new sheet: when, which department's policy, what sheet."""
    spec = layout()["changelog"]
    origin = ChangeOrigin(KIND_POLICY_ADD, now_text(), department=policy.department)
    row = changelog_note_row(
        origin,
        f"施策進行管理・評価票({policy.sheet_no})（シート「{sheet}」）",
        sheet,
        None,
        policy.title,
        fy=policy.evaluation_fy,
        cell="A1",
    )  # no field key: a sheet was added, no field of an existing policy changed
    keys = [c.key for c in spec.columns]
    return rows_for_sheet(spec, [row], exists=state.changelog_started, links={(0, keys.index("cell")): f"'{sheet}'!A1"}, number_formats={keys.index("fy"): YEAR_FORMAT})
