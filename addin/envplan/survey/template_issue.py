"""Issuing one template workbook per department (`envplan issue`).

A template holds only the department's own indicators, priority projects and
policies, and its contact person. Definitions and past years are locked (grey);
input cells are unlocked (yellow), each with data validation. Sheets are
protected without a password: the protection prevents accidents, not reading.
A very hidden sheet carries the signed identity (see `template_identity.py`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.worksheet import Worksheet

from envplan.plan.diagnostics import Diagnostic
from envplan.plan.model import RATING_LEGEND, Department, Indicator, Plan, Policy, Project
from envplan.plan.schemes import shown_levels
from envplan.plan.targets import DIRECTION_LABELS
from envplan.plan.years import fy_label, wareki
from envplan.rules.compute import usable_scheme
from envplan.rules.freeze_rules import budget_frozen, input_years, year_frozen
from envplan.survey.input_cells import LEVEL_SEPARATOR, validation_for
from envplan.survey.reporting import departments_to_issue, project_lead
from envplan.survey.template_identity import CONTENT_SECTION, SignedContent, TemplateIdentity, canonical, content_chunks, key_id, load_or_create_key, now_iso, sign
from envplan.survey.template_layout import (
    CONTACT_SHEET,
    GUIDE_SHEET,
    IDENTITY_SHEET,
    INDICATOR_SHEET,
    PROJECT_SHEET,
    InputSpec,
    SheetMode,
    policy_sheet,
    template_file_name,
)
from envplan.workbook import xlsx_style as st
from envplan.workbook.cells import cell_ref, col_letter
from envplan.workbook.store import save_atomically

ROW_KINDS = {"plan": "計画値", "actual": "実績値", "mark": "速報・確定", "note": "備考", "level": "評価", "reason": "評価の理由"}
MIDDLE = st.Alignment(vertical="center")
WRAP_MIDDLE = st.Alignment(wrap_text=True, vertical="center")


class TemplateIssueError(RuntimeError):
    """The master cannot be used to issue templates (it has errors)."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


# --- which departments get a template --------------------------------------


def dept_indicators(plan: Plan, dept: str) -> list[Indicator]:
    return [i for i in plan.indicators if i.department == dept]


def dept_projects(plan: Plan, dept: str) -> list[Project]:
    return [p for p in plan.projects if dept in p.departments]


def dept_policies(plan: Plan, dept: str) -> list[Policy]:
    return [p for p in plan.policies if p.department == dept]


def template_years(plan: Plan, fy: int, indicators: list[Indicator]) -> list[int]:
    """Year columns of the department's indicator sheet, up to `fy`: the years its indicators have
    a value for or ask for. Not the plan's other years (another department's baseline year, or a
    baseline year whose value is in the 基準値 column): they would be empty columns."""
    years: set[int] = set()
    for ind in indicators:
        years.update(y for y, v in ind.values.items() if v.actual is not None or v.plan is not None or v.note)
        years.update(input_years(plan, ind, fy))
    if not years:
        years.add(fy)
    # No gaps: a year between two shown years stays, so the row reads as a time series.
    return list(range(min(years), min(max(years), fy) + 1)) if min(years) <= fy else [fy]


# --- the workbook -------------------------------------------------------------


@dataclass
class _Book:
    """A template being built: remembers input cells and how each sheet is checked."""

    wb: Workbook
    inputs: list[InputSpec] = field(default_factory=list)
    sheets: list[tuple[str, SheetMode]] = field(default_factory=list)

    def sheet(self, name: str, mode: SheetMode) -> Worksheet:
        ws = self.wb.create_sheet(name)
        self.sheets.append((name, mode))
        return ws

    def locked(self, ws: Worksheet, row: int, col: int, value: Any, *, fmt: str = "", wrap: bool = False, fill: bool = True) -> None:
        cell = ws.cell(row, col)
        st.set_text(cell, value)
        wraps = wrap or (isinstance(value, str) and len(value) > 24)
        st.styled(cell, font=st.BODY_FONT, fill=st.LOCKED_FILL if fill else None, border=st.BOX, alignment=WRAP_MIDDLE if wraps else MIDDLE)
        if fmt:
            cell.number_format = fmt

    def input(self, ws: Worksheet, row: int, col: int, value: Any, spec_key: tuple[Any, ...], kind: str, label: str, unit: str = "", *, fmt: str = "") -> InputSpec:
        cell = ws.cell(row, col)
        st.set_text(cell, value)
        st.styled(cell, font=st.BODY_FONT, fill=st.INPUT_FILL, border=st.BOX, protection=st.UNLOCKED, alignment=WRAP_MIDDLE if kind == "text" else MIDDLE)
        if fmt:
            cell.number_format = fmt
        spec = InputSpec(ws.title, cell_ref(row, col), spec_key, kind, label, unit)
        self.inputs.append(spec)
        return spec


def build_template(plan: Plan, dept: Department, fy: int, key: bytes, *, issued_at: str | None = None, template_id: str | None = None) -> Workbook:
    """The template workbook of one department for one fiscal year."""
    book = _Book(Workbook())
    book.wb.remove(book.wb.active)
    indicators = dept_indicators(plan, dept.code)
    projects = dept_projects(plan, dept.code)
    policies = dept_policies(plan, dept.code)
    _guide_sheet(book, plan, dept, fy, indicators, projects, policies)
    if indicators:
        _indicator_sheet(book, plan, dept, fy, indicators)
    if projects:
        _project_sheet(book, plan, dept, fy, projects)
    for policy in policies:
        _policy_sheet(book, plan, policy, fy)
    _contact_sheet(book, dept)
    _validations(book)
    identity = TemplateIdentity(
        plan=plan.name,
        municipality=plan.municipality,
        department=dept.code,
        department_name=dept.name,
        fy=fy,
        issued_at=issued_at or now_iso(),
        template_id=template_id or uuid.uuid4().hex,
        key_id=key_id(key),
    )
    content = SignedContent(identity, list(book.sheets), _manifest(book), list(book.inputs))
    _identity_sheet(book.wb, content, sign(content, key))
    for ws in book.wb.worksheets:
        _protect(ws)
    book.wb.security = WorkbookProtection(lockStructure=True)
    book.wb.active = 0
    return book.wb


def _manifest(book: _Book) -> dict[tuple[str, str], str]:
    manifest: dict[tuple[str, str], str] = {}
    for name, _mode in book.sheets:
        ws = book.wb[name]
        for row in ws.iter_rows():
            for cell in row:
                text = canonical(cell.value)
                if text:
                    manifest[(name, cell.coordinate)] = text
    return manifest


def _protect(ws: Worksheet) -> None:
    # No password: protection stops accidental edits; staff may still widen columns.
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.selectLockedCells = False
    ws.protection.selectUnlockedCells = False


# --- sheets -------------------------------------------------------------------


def _guide_sheet(book: _Book, plan: Plan, dept: Department, fy: int, indicators: list[Indicator], projects: list[Project], policies: list[Policy]) -> None:
    ws = book.sheet(GUIDE_SHEET, "info")
    ws.column_dimensions["A"].width = 4
    ws.column_dimensions["B"].width = 100
    st.write_title(ws, "")
    st.set_text(ws["A1"], f"{plan.name}　進行管理の照会（{fy_label(fy)}）")  # names are data: never a formula
    st.set_text(ws["A2"], f"{dept.name} 御中")
    ws["A2"].font = st.LABEL_FONT
    lines: list[tuple[str, str]] = [("section", "お願いしたいこと")]
    n = 1
    if indicators:
        lag_note = "。データの遅れがある指標は、今回届く年度の欄も黄色です（入手できた年度だけで構いません）" if any(i.data_lag for i in indicators) else ""
        lines.append(("item", f"{n}. 「{INDICATOR_SHEET}」シート: {fy}年度の実績値と備考を黄色の欄に入力してください（{len(indicators)}件）{lag_note}。"))
        n += 1
    own_projects = [p for p in projects if project_lead(p) == dept.code]
    if own_projects:
        lines.append(("item", f"{n}. 「{PROJECT_SHEET}」シート: 主担当のプロジェクトの{fy}年度の状況を一覧から選び、コメントを入力してください（{len(own_projects)}件）。"))
        n += 1
    part_projects = [p for p in projects if dept.code in p.co_departments()]
    if part_projects:
        lines.append(
            (
                "item",
                f"{n}. 「{PROJECT_SHEET}」シートの「{PART_TABLE_TITLE}」の表: 関係課として担当する部分の{fy}年度の取組の状況を入力してください（{len(part_projects)}件）。"
                "当課の担当部分の状況も一覧から選べます（任意）。プロジェクト全体の状況は主担当の課が入力します。",
            )
        )
        n += 1
    for p in policies:
        lines.append(("item", f"{n}. 「{policy_sheet(p.code)}」シート: 施策「{p.title}」の成果・課題・自己評価・今後の方向性・事業費を入力してください。"))
        n += 1
    lines.append(("item", f"{n}. 「{CONTACT_SHEET}」シート: 担当者のお名前と連絡先を確認・入力してください。"))
    lines += [
        ("section", "入力のしかた"),
        ("item", "・黄色のセルだけに入力できます。灰色のセル（指標の定義や過去の年度の値）は変更できません。"),
        ("item", "・シートの保護にパスワードはありませんが、保護を解除して灰色のセルを変えたり行を足したりした様式は取り込めず、差し戻しになります。"),
        ("item", "・数値は全角でも半角でも、桁区切り（1,324）付きでも構いません。値がないときは空欄か「－」にしてください。"),
        *(
            [("item", f"・実績値が速報値（後で確定値に改める見込みの値）のときは、その下の「{ROW_KINDS['mark']}」の欄で「速報」を選んでください（空欄は確定値）。"
                      "前に速報値で報告した年度は、確定値が出たら実績値を直し「確定」を選んでください（確定済みの年度でも入力できます）。")]
            if indicators else []
        ),
        ("item", "・「約500」のような概数や「440g」のような単位付きの入力は読み取りますが、確認のお願い（警告）をお返しします。"),
        ("item", "・状況や評価区分は、セルを選ぶと出る一覧から選んでください。"),
        ("section", "保存と提出"),
        ("item", "・このファイルのまま、Excel ブック（.xlsx）形式で保存して返送してください。ファイル名は変えても構いません。"),
        ("item", "・LibreOffice で入力した場合も「Excel 2007-365 (.xlsx)」形式で保存すれば取り込めます。.xls や .ods 形式では取り込めません。"),
        ("item", "・出し直すときは、直した同じファイルを送ってください。新しいほうで前の回答を置き換えます。"),
        ("item", "・差し戻しのときは、直す箇所に色とコメントを付けたファイル（先頭に「確認事項」シート）をお返しします。そのファイルを直して送ってください（色は消さなくて構いません）。"),
        ("section", "この様式について"),
        ("item", f"・計画: {plan.name}" + (f"（{plan.municipality}）" if plan.municipality else "")),
        ("item", f"・対象年度: {fy_label(fy)}"),
        ("item", f"・所管課: {dept.name}（コード {dept.code}）"),
        ("item", "・色の意味: 黄色＝入力欄、灰色＝変更できない欄、赤・橙＝確認が必要な欄（差し戻し・確認のファイルのみ）"),
    ]
    if plan.illustrative_note:
        lines.append(("item", f"・注意: {plan.illustrative_note}"))
    r = 4
    for kind, text in lines:
        cell = ws.cell(r, 1 if kind == "section" else 2)
        st.set_text(cell, text)
        cell.font = st.SECTION_FONT if kind == "section" else st.BODY_FONT
        if kind == "item":
            cell.alignment = st.WRAP
            ws.row_dimensions[r].height = st.wrapped_height(text, 100)
        r += 1
    st.a4(ws, landscape=False, title_rows=None)


def _header(ws: Worksheet, row: int, headers: list[tuple[str, float]]) -> None:
    for c, (text, width) in enumerate(headers, 1):
        st.style_header(ws.cell(row, c, text))
        ws.column_dimensions[col_letter(c)].width = width
    # Tall enough for a heading that wraps in its narrow column (プロジェクトID, データの遅れ):
    # Excel does not grow a row for wrapped text on its own in a written file.
    ws.row_dimensions[row].height = max(st.wrapped_height(text, width) for text, width in headers)


def level_symbols(plan: Plan) -> list[str]:
    """The symbols a section may give as its 評価: the levels of the plan's evaluation scheme, as shown."""
    return list(dict.fromkeys(lv.symbol for lv in shown_levels(usable_scheme(plan))))


def _indicator_sheet(book: _Book, plan: Plan, dept: Department, fy: int, indicators: list[Indicator]) -> None:
    ws = book.sheet(INDICATOR_SHEET, "strict")
    symbols = LEVEL_SEPARATOR.join(level_symbols(plan))
    years = template_years(plan, fy, indicators)
    st.write_title(ws, f"指標の実績（{dept.name}・{fy_label(fy)}）", "黄色の欄に入力してください。灰色の欄は変更できません。")
    fixed: list[tuple[str, float]] = [("指標ID", 10), ("指標名", 30), ("単位", 10), ("方向", 12), ("目標（原文）", 28), ("基準年度", 9), ("基準値", 10), ("データの遅れ", 9), ("区分", 7)]
    _header(ws, 3, fixed)
    first_year_col = len(fixed) + 1
    for j, y in enumerate(years):
        c = first_year_col + j
        st.style_header(ws.cell(3, c, f"{y}年度"))
        w = ws.cell(2, c, wareki(y))
        w.font = st.NOTE_FONT
        w.alignment = st.CENTER
        ws.column_dimensions[col_letter(c)].width = 11
    ws.cell(2, 1).alignment = st.Alignment(wrap_text=False)
    r = 4
    for ind in indicators:
        kinds = (["plan"] if any(v.plan is not None for v in ind.values.values()) else []) + ["actual", "mark", "note", "level", "reason"]
        open_years = set(input_years(plan, ind, fy))
        for k, kind in enumerate(kinds):
            book.locked(ws, r, 1, ind.id)
            if k == 0:
                ws.row_dimensions[r].height = max(st.wrapped_height(ind.name, 30), st.wrapped_height(ind.target_wording, 28))
                book.locked(ws, r, 2, ind.name, wrap=True)
                book.locked(ws, r, 3, ind.unit)
                book.locked(ws, r, 4, DIRECTION_LABELS[ind.direction])
                book.locked(ws, r, 5, ind.target_wording, wrap=True)
                book.locked(ws, r, 6, ind.baseline_fy, fmt=st.YEAR_FORMAT)
                book.locked(ws, r, 7, ind.baseline_value, fmt=st.number_format_for(ind.baseline_value))
                book.locked(ws, r, 8, f"{ind.data_lag}年" if ind.data_lag else "なし")
            else:
                for c in range(2, 9):
                    book.locked(ws, r, c, None)
            book.locked(ws, r, 9, ROW_KINDS[kind])
            if kind == "note":
                ws.row_dimensions[r].height = max((st.wrapped_height(ind.values[y].note, 11) for y in years if y in ind.values and ind.values[y].note), default=15.0)
            for j, y in enumerate(years):
                c = first_year_col + j
                v = ind.values.get(y)
                if kind in ("level", "reason"):  # the section's own 評価 of the year, beside the computed level
                    judged = ind.judgement(y)
                    current = (getattr(judged, kind) or None) if judged else None
                    if y in open_years:
                        label = f"{ind.id} {ind.name} {y}年度の{ROW_KINDS[kind]}"
                        book.input(ws, r, c, current, ("judgement", ind.id, y, kind), "level" if kind == "level" else "text", label, symbols if kind == "level" else "")
                    else:
                        book.locked(ws, r, c, current, wrap=kind == "reason")
                    continue
                current = getattr(v, kind) if v is not None else None
                if kind == "note":
                    current = current or None
                if kind != "plan" and y in open_years:
                    label = f"{ind.id} {ind.name} {y}年度の{ROW_KINDS[kind]}"
                    input_kind = {"actual": "number", "mark": "choice:value_marks"}.get(kind, "text")
                    book.input(ws, r, c, current, ("value", ind.id, y, kind), input_kind, label, ind.unit if kind == "actual" else "", fmt=st.INPUT_NUMBER_FORMAT if kind == "actual" else "")
                else:
                    book.locked(ws, r, c, current, fmt=st.number_format_for(current) if kind == "actual" or kind == "plan" else "", wrap=kind == "note")
            r += 1
    ws.freeze_panes = ws.cell(4, 3)
    st.a4(ws, landscape=True)


PART_TABLE_TITLE = "関係課としての取組"
PARTS_SHOWN_TITLE = "関係課の取組（参考）"


def _project_sheet(book: _Book, plan: Plan, dept: Department, fy: int, projects: list[Project]) -> None:
    ws = book.sheet(PROJECT_SHEET, "strict")
    part_projects = [p for p in projects if dept.code in p.co_departments()]
    note = "状況は一覧から選んでください。主担当が別の課のプロジェクトは、全体の状況をその課が入力します"
    note += f"（当課の担当部分の取組は下の「{PART_TABLE_TITLE}」の表に入力します）。" if part_projects else "。"
    st.write_title(ws, f"重点プロジェクトの進捗（{dept.name}・{fy_label(fy)}）", note)
    _header(
        ws,
        3,
        [("プロジェクトID", 12), ("番号", 6), ("プロジェクト名", 36), ("主担当", 14), (f"{fy}年度の段階", 20), ("前年度の状況", 12), ("前年度のコメント", 30), (f"{fy}年度の状況", 14), ("コメント", 48)],
    )
    names = {d.code: d.name for d in plan.departments}
    frozen = year_frozen(plan, fy)
    for r, p in enumerate(projects, 4):
        phase = p.phase_in(fy)
        prev = p.status_in(fy - 1)
        cur = p.status_in(fy)
        lead = project_lead(p)
        for c, value in enumerate((p.id, p.number, p.name, names.get(lead, lead), phase.name if phase else "", prev.status if prev else "", prev.comment if prev else ""), 1):
            book.locked(ws, r, c, value or None, wrap=c in (3, 5, 7))
        if lead == dept.code and not frozen:
            book.input(ws, r, 8, cur.status if cur else None, ("project", p.id, fy, "status"), "choice:project_statuses", f"{p.number}{p.name} {fy}年度の状況")
            book.input(ws, r, 9, cur.comment if cur and cur.comment else None, ("project", p.id, fy, "comment"), "text", f"{p.number}{p.name} {fy}年度のコメント")
        else:
            book.locked(ws, r, 8, cur.status if cur else None)
            book.locked(ws, r, 9, (cur.comment if cur and cur.comment else None) or (f"主担当（{names.get(lead, lead)}）が入力します" + ("（当課の取組は下の表）" if p in part_projects and not frozen else "") if lead != dept.code else "確定済みの年度です"), wrap=True)
        texts = ((p.name, 36), (phase.name if phase else "", 20), (prev.comment if prev else "", 30), (cur.comment if cur else "", 48))
        ws.row_dimensions[r].height = max(30.0, *(st.wrapped_height(t, w) for t, w in texts))
    r = 4 + len(projects) + 1
    if part_projects:
        r = _part_table(book, ws, r, plan, dept, fy, part_projects, frozen)
    shown = [(p, d) for p in projects if project_lead(p) == dept.code for d in p.co_departments() if p.part_in(fy - 1, d) or p.part_in(fy, d)]
    if shown:
        _parts_shown(book, ws, r, fy, shown, names)
    ws.freeze_panes = "B4"
    st.a4(ws, landscape=True)


def _part_heading(ws: Worksheet, r: int, title: str, note: str, headers: list[str]) -> int:
    """A second table on the project sheet: its title and note, then its header row."""
    ws.cell(r, 1, title).font = st.SECTION_FONT
    st.set_text(ws.cell(r + 1, 1), note)
    ws.cell(r + 1, 1).font = st.NOTE_FONT
    for c, text in enumerate(headers, 1):
        st.style_header(ws.cell(r + 2, c, text))
    ws.row_dimensions[r + 2].height = 30  # two lines: 「前年度の当課の状況」 in a narrow column
    return r + 3


def _part_table(book: _Book, ws: Worksheet, r: int, plan: Plan, dept: Department, fy: int, projects: list[Project], frozen: bool) -> int:
    """A co-department's own part of each project it is on: its status word (optional) and 取組の状況."""
    names = {d.code: d.name for d in plan.departments}
    r = _part_heading(
        ws,
        r,
        f"{PART_TABLE_TITLE}（{dept.name}の担当部分）",
        "当課が担当する部分について、取組の状況を入力してください。状況（当課の担当部分）は任意です。",
        ["プロジェクトID", "番号", "プロジェクト名", "主担当", f"{fy}年度の段階", "前年度の当課の状況", "前年度の当課の取組", f"{fy}年度の当課の状況", f"{fy}年度の当課の取組の状況"],
    )
    for p in projects:
        phase = p.phase_in(fy)
        prev, cur = p.part_in(fy - 1, dept.code), p.part_in(fy, dept.code)
        lead = project_lead(p)
        for c, value in enumerate((p.id, p.number, p.name, names.get(lead, lead), phase.name if phase else "", prev.status if prev else "", prev.comment if prev else ""), 1):
            book.locked(ws, r, c, value or None, wrap=c in (3, 5, 7))
        what = f"{p.number}{p.name} {fy}年度の{dept.name}の"
        if not frozen:
            book.input(ws, r, 8, cur.status if cur else None, ("project_part", p.id, fy, dept.code, "status"), "choice:project_statuses", what + "状況")
            book.input(ws, r, 9, cur.comment if cur and cur.comment else None, ("project_part", p.id, fy, dept.code, "comment"), "text", what + "取組の状況")
        else:
            book.locked(ws, r, 8, cur.status if cur else None)
            book.locked(ws, r, 9, (cur.comment if cur and cur.comment else None) or "確定済みの年度です", wrap=True)
        texts = ((p.name, 36), (phase.name if phase else "", 20), (prev.comment if prev else "", 30), (cur.comment if cur else "", 48))
        ws.row_dimensions[r].height = max(30.0, *(st.wrapped_height(t, w) for t, w in texts))
        r += 1
    return r + 1


def _parts_shown(book: _Book, ws: Worksheet, r: int, fy: int, shown: list[tuple[Project, str]], names: dict[str, str]) -> int:
    """For the lead: what its co-departments reported last year (and this year, when already received)."""
    r = _part_heading(
        ws,
        r,
        PARTS_SHOWN_TITLE,
        "主担当のプロジェクトについて、関係課が報告した担当部分の取組です（関係課が入力します。ここでは変更できません）。",
        ["プロジェクトID", "番号", "プロジェクト名", "関係課", "", "前年度の状況", "前年度の取組", f"{fy}年度の状況", f"{fy}年度の取組の状況"],
    )
    for p, d in shown:
        prev, cur = p.part_in(fy - 1, d), p.part_in(fy, d)
        values = (p.id, p.number, p.name, names.get(d, d), None, prev.status if prev else None, prev.comment if prev else None, cur.status if cur else None, cur.comment if cur else None)
        for c, value in enumerate(values, 1):
            book.locked(ws, r, c, value or None, wrap=c in (3, 7, 9))
        texts = ((p.name, 36), (prev.comment if prev else "", 30), (cur.comment if cur else "", 48))
        ws.row_dimensions[r].height = max(30.0, *(st.wrapped_height(t, w) for t, w in texts))
        r += 1
    return r + 1


def _policy_sheet(book: _Book, plan: Plan, policy: Policy, fy: int) -> None:
    name = policy_sheet(policy.code)
    ws = book.sheet(name, "strict")
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 90
    st.write_title(ws, f"施策進行管理・評価票の記入（{policy.code} {policy.title}・{fy_label(fy)}）", "黄色の欄に入力してください。")
    current = policy.evaluation_fy == fy
    rating = policy.rating_in(fy)
    prev_rating = policy.rating_in(fy - 1)
    r = 4

    def label(text: str) -> None:
        cell = ws.cell(r, 1, text)
        cell.font = st.LABEL_FONT
        cell.fill = st.LABEL_FILL
        cell.border = st.BOX
        cell.alignment = st.WRAP

    def fixed(text: str, value: Any) -> None:
        nonlocal r
        label(text)
        book.locked(ws, r, 2, value, wrap=True)
        r += 1

    def field(text: str, value: Any, key: tuple[Any, ...], kind: str, unit: str = "", *, height: float = 0) -> None:
        nonlocal r
        label(text)
        book.input(ws, r, 2, value, key, kind, f"施策{policy.code} {text}", unit, fmt="#,##0" if kind == "amount" else "")
        if height:
            ws.row_dimensions[r].height = height
        r += 1

    fixed("施策課題番号", policy.code)
    fixed("施策課題", policy.title)
    fixed("評価年度", fy_label(fy))
    fixed("施策の目標", policy.goals or None)
    fixed("前年度の評価区分", f"{prev_rating.rating}（{fy - 1}年度）" if prev_rating else None)
    if not current:
        # A new evaluation year: last year's texts are shown for reference, the inputs start blank.
        for text, value in ((f"{policy.evaluation_fy}年度の成果（参考）", policy.results), (f"{policy.evaluation_fy}年度の残された課題（参考）", policy.remaining_issues)):
            if value:
                fixed(text, value)
                ws.row_dimensions[r - 1].height = 90
    r += 1
    frozen = year_frozen(plan, fy)
    field("解決すべき課題に対する当該年度の成果", policy.results if current else None, ("policy", policy.code, "results"), "text", height=120)
    field("残された課題、新たな課題、社会環境の変化等", policy.remaining_issues if current else None, ("policy", policy.code, "remaining_issues"), "text", height=90)
    if not frozen:
        field(f"評価区分（{fy}年度の自己評価）", rating.rating if rating else None, ("rating", policy.code, fy, "rating"), "choice:ratings")
        field("評価区分とした理由", rating.reason if rating and rating.reason else None, ("rating", policy.code, fy, "reason"), "text", height=60)
    fixed("評価区分の凡例", RATING_LEGEND)
    field("今後の取組や方向性及び改善に向けた考え方", policy.future_direction or None, ("policy", policy.code, "future_direction"), "text", height=90)
    r += 1
    cell = ws.cell(r, 1, f"事業費（{policy.budget_label}・単位: {policy.budget_unit}）")
    cell.font = st.SECTION_FONT
    r += 1
    for y, kind in ((fy, "予算"), (fy, "決算見込"), (fy - 1, "決算")):
        if budget_frozen(plan, y, kind):
            continue
        line = next((b for b in policy.budget if b.fy == y and b.kind == kind), None)
        field(f"{y}年度 {kind}", line.amount if line else None, ("budget", policy.code, y, kind), "amount", policy.budget_unit)
    st.a4(ws, landscape=False, title_rows=None)


def _contact_sheet(book: _Book, dept: Department) -> None:
    ws = book.sheet(CONTACT_SHEET, "strict")
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 50
    st.write_title(ws, "担当者", "この照会についての問い合わせ先になる方を入力してください。")
    rows = [("所管課コード", dept.code, None), ("課名", dept.name, None), ("担当者", dept.contact, "contact"), ("電話", dept.phone, "phone"), ("メール", dept.email, "email")]
    for r, (text, value, key) in enumerate(rows, 4):
        cell = ws.cell(r, 1, text)
        cell.font = st.LABEL_FONT
        cell.fill = st.LABEL_FILL
        cell.border = st.BOX
        if key:
            book.input(ws, r, 2, value or None, ("department", dept.code, key), "text", f"{dept.name}の{text}")
        else:
            book.locked(ws, r, 2, value)


def _validations(book: _Book) -> None:
    """Data validation on every input: numbers and amounts (a warning, so 「－」 can
    still be typed), drop-down lists (strict), text length (a warning)."""
    groups: dict[tuple[str, str, str], list[InputSpec]] = {}
    for spec in book.inputs:
        groups.setdefault((spec.sheet, spec.kind, spec.unit), []).append(spec)
    for (sheet, kind, unit), specs in groups.items():
        dv = validation_for(kind, unit)
        for spec in specs:
            dv.add(spec.ref)
        book.wb[sheet].add_data_validation(dv)


def _identity_sheet(wb: Workbook, content: SignedContent, signature: str) -> None:
    ws = wb.create_sheet(IDENTITY_SHEET)
    ws.sheet_state = "veryHidden"
    ws["A1"] = "envplan 様式情報（取込に使います。変更しないでください）"
    r = 3
    for k, v in content.identity.fields().items():
        ws.cell(r, 1, k)
        st.set_text(ws.cell(r, 2), v)
        r += 1
    ws.cell(r, 1, "signature")
    ws.cell(r, 2, signature)
    r += 2
    ws.cell(r, 1, "[sheets]")
    r += 1
    for name, mode in content.sheets:
        st.set_text(ws.cell(r, 1), name)
        ws.cell(r, 2, mode)
        r += 1
    r += 1
    ws.cell(r, 1, CONTENT_SECTION)
    r += 1
    for chunk in content_chunks(content):
        st.set_text(ws.cell(r, 1), chunk)
        r += 1


# --- issuing files ------------------------------------------------------------


def read_plan_for_issue(master: Path) -> Plan:
    """The master's plan, refusing a master with errors (templates would carry them)."""
    from envplan.workbook.io import UnreadableWorkbook, open_workbook

    try:
        source = open_workbook(master)
    except UnreadableWorkbook as e:
        raise TemplateIssueError(e.message) from e
    try:
        return plan_for_issue(source, master.name)
    finally:
        source.close()


def plan_for_issue(source: Any, name: str) -> Plan:
    """The plan of a master already open (a file, or the book Excel sent the server), refusing errors."""
    from envplan.workbook.validation import validate_source

    result = validate_source(source)
    if result.plan is None or result.diagnostics.errors:
        errors = result.diagnostics.errors
        raise TemplateIssueError(f"マスター {name} にエラーが {len(errors)} 件あります。envplan validate で確認して直してから発行してください", errors)
    return result.plan


def issue_templates(master: Path, out_dir: Path, fy: int | None = None) -> list[Path]:
    """Write one template per department into `out_dir`; returns their paths."""
    master = Path(master)
    return issue_for_plan(read_plan_for_issue(master), master, Path(out_dir), fy)


def issue_for_plan(plan: Plan, master: Path, out_dir: Path, fy: int | None = None) -> list[Path]:
    """Templates for a plan already read from `master` (whose key signs them)."""
    year = plan.current_fy if fy is None else fy
    if not plan.start_fy - 1 <= year <= plan.end_fy + 10:
        raise TemplateIssueError(f"{year}年度は計画期間（{plan.start_fy}～{plan.end_fy}年度）から離れすぎています")
    key = load_or_create_key(master)
    out_dir.mkdir(parents=True, exist_ok=True)
    issued_at = now_iso()
    paths = []
    for dept in departments_to_issue(plan):
        wb = build_template(plan, dept, year, key, issued_at=issued_at)
        path = out_dir / template_file_name(year, dept.name)
        save_atomically(wb, path, ".issue.")
        paths.append(path)
    return paths


__all__ = ["issue_templates", "build_template", "TemplateIssueError"]
