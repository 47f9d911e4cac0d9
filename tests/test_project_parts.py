"""Co-departments (関係課) report their own part of a priority project: the
master keeps it, templates ask for it, consolidation imports it (owned, logged,
frozen years respected, the closed-year record covers it), publication shows it.
All on real files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from envplan.plan.illustrative import add_illustrative_actuals
from envplan.plan.model import Plan, ProjectPartReport
from envplan.plan.samples import load_sample
from envplan.report.typeset import plain
from envplan.survey.consolidate import consolidate
from envplan.survey.template_fill import input_cells
from envplan.survey.template_identity import key_path
from envplan.workbook.io import CalamineSource
from envplan.workbook.validation import validate_source
from envplan.workbook.writer import save_master
from returns_kit import edit_cells, fill, issue, read_plan, set_setting

PART_SHEET = "関係課の取組"
FY = 2022
LAST_YEAR = "（例示）前年度は区内の緑地調査に協力"


def _plan(**parts: list[ProjectPartReport]) -> Plan:
    plan = add_illustrative_actuals(load_sample("shinagawa"))
    for proj in plan.projects:
        if proj.id in parts:
            proj.part_reports = parts[proj.id]
    return plan


@pytest.fixture(scope="module")
def parts_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shinagawa with 環境課's report on its part of ④ for last year (④ is led by 都市計画課)."""
    path = tmp_path_factory.mktemp("parts") / "master.xlsx"
    save_master(_plan(P4=[ProjectPartReport(fy=FY - 1, department="環境課", status="予定どおり", comment=LAST_YEAR)]), path)
    issue(path, path.parent / "warm-key")  # creates the signing key once
    return path


@pytest.fixture
def master(parts_master: Path, tmp_path: Path) -> Path:
    target = tmp_path / "master.xlsx"
    shutil.copy2(parts_master, target)
    shutil.copy2(key_path(parts_master), key_path(target))
    return target


def _log(master: Path) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(master)["変更履歴"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def _answers(comment: str = "（例示）区立小中学校の環境学習に講師を派遣", status: str | None = "遅れ") -> dict[tuple[Any, ...], Any]:
    return {
        ("project_part", "P4", FY, "環境課", "status"): status,
        ("project_part", "P4", FY, "環境課", "comment"): comment,
        ("project_part", "P5", FY, "環境課", "comment"): "（例示）体験学習の教材を提供",
    }


def test_part_reports_round_trip_through_the_master(parts_master: Path) -> None:
    plan = read_plan(parts_master)
    p4 = next(p for p in plan.projects if p.id == "P4")
    assert p4.part_reports == [ProjectPartReport(fy=FY - 1, department="環境課", status="予定どおり", comment=LAST_YEAR)]
    assert plan == _plan(P4=p4.part_reports)
    ws = openpyxl.load_workbook(parts_master)[PART_SHEET]
    assert [c.value for c in ws[3]] == ["プロジェクトID", "年度", "所管課", "状況", "取組の状況"]
    assert [c.value for c in ws[4]] == ["P4", FY - 1, "環境課", "予定どおり", LAST_YEAR]


def test_co_department_template_asks_for_its_part_and_shows_last_year(parts_master: Path, tmp_path: Path) -> None:
    templates = issue(parts_master, tmp_path / "t")
    env = input_cells(templates["環境課"])
    part_keys = sorted(k for k in env if k[0] == "project_part")
    assert part_keys == [("project_part", p, FY, "環境課", w) for p in ("P4", "P5") for w in ("comment", "status")]
    assert not any(k[0] == "project" and k[1] in ("P4", "P5") for k in env), "the lead's status stays the lead's"
    wb = openpyxl.load_workbook(templates["環境課"])
    ws = wb["重点プロジェクト"]
    status, comment = env[("project_part", "P4", FY, "環境課", "status")], env[("project_part", "P4", FY, "環境課", "comment")]
    assert status.kind == "choice:project_statuses" and comment.kind == "text"
    for spec in (status, comment):
        assert not ws[spec.ref].protection.locked and ws[spec.ref].fill.fgColor.rgb.endswith("FFF2CC")
    row = ws[status.ref].row
    assert ws.cell(row, 7).value == LAST_YEAR and ws.cell(row, 6).value == "予定どおり" and ws.cell(row, 7).protection.locked
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list" and status.ref in str(dv.sqref)]
    assert lists and "予定どおり" in lists[0].formula1
    guide = " ".join(str(c.value) for row in wb["記入方法"].iter_rows() for c in row if c.value)
    assert "関係課としての取組" in guide
    # The lead (都市計画課) keeps its own inputs and sees what 環境課 reported last year.
    lead = input_cells(templates["都市計画課"])
    assert ("project", "P4", FY, "status") in lead and not any(k[0] == "project_part" for k in lead)
    texts = [c.value for row in openpyxl.load_workbook(templates["都市計画課"])["重点プロジェクト"].iter_rows() for c in row]
    assert "関係課の取組（参考）" in texts and LAST_YEAR in texts and "環境部環境課" in texts


def test_co_department_part_is_consolidated_logged_and_replaced(master: Path, tmp_path: Path) -> None:
    templates = issue(master, tmp_path / "t")
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], _answers(), inbox / "env.xlsx")
    result = consolidate(master, inbox)
    assert (result.accepted, result.rejected, result.changes) == (1, 0, 3), result.files[0].errors
    p4 = next(p for p in read_plan(master).projects if p.id == "P4")
    assert p4.part_in(FY, "環境課") == ProjectPartReport(fy=FY, department="環境課", status="遅れ", comment="（例示）区立小中学校の環境学習に講師を派遣")
    assert p4.status_in(FY) is None, "the project's own status is still the lead's to give"
    log = [r for r in _log(master) if r["シート"] == PART_SHEET]
    assert len(log) == 3 and all(r["区分"] == "取込" and r["所管課"] == "環境課" and r["変更前"] == "（空欄）" for r in log)
    assert {r["変更後"] for r in log} == {"遅れ", "（例示）区立小中学校の環境学習に講師を派遣", "（例示）体験学習の教材を提供"}
    ws = openpyxl.load_workbook(master)[PART_SHEET]
    for r in log:  # the log's cell is where the value now is
        assert ws[r["セル"]].value == r["変更後"]
    assert consolidate(master, inbox).changes == 0  # the same inbox again changes nothing
    # A resubmission replaces the earlier report: old → new in the log.
    fill(templates["環境課"], _answers("（例示）講師派遣を3校に拡大", status=None), inbox / "env.xlsx")
    again = consolidate(master, inbox)
    assert (again.accepted, again.changes) == (1, 2)
    p4 = next(p for p in read_plan(master).projects if p.id == "P4")
    assert p4.part_in(FY, "環境課") == ProjectPartReport(fy=FY, department="環境課", status=None, comment="（例示）講師派遣を3校に拡大")
    last = {r["変更前"]: r["変更後"] for r in _log(master)[-2:]}
    assert last == {"遅れ": "（空欄）", "（例示）区立小中学校の環境学習に講師を派遣": "（例示）講師派遣を3校に拡大"}
    checked = validate_source(CalamineSource(master))
    assert not checked.diagnostics.errors and not checked.diagnostics.warnings


def test_co_department_cannot_write_the_leads_status(master: Path, tmp_path: Path) -> None:
    templates = issue(master, tmp_path / "t")
    filled = fill(templates["環境課"], _answers(), tmp_path / "filled.xlsx")
    ws = openpyxl.load_workbook(filled)["重点プロジェクト"]
    lead_row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == "P4")  # the first P4 row: the project as a whole
    edit_cells(filled, {("重点プロジェクト", f"H{lead_row}"): "完了"}, tmp_path / "inbox" / "env.xlsx")  # unprotected and typed: not an input cell
    before = read_plan(master)
    result = consolidate(master, tmp_path / "inbox")
    f = result.files[0]
    assert f.status == "rejected" and any(e["code"] == "RETURN_UNEXPECTED_CELL" and e["cell"] == f"H{lead_row}" for e in f.errors), f.errors
    assert read_plan(master) == before


def test_frozen_year_needs_allow_frozen_and_the_record_catches_an_edit(master: Path, tmp_path: Path) -> None:
    from envplan.survey.yearly import frozen_edit_changes, run_on_master

    templates = issue(master, tmp_path / "t")
    set_setting(master, "frozen_through_fy", FY)  # closed after the templates went out
    fill(templates["環境課"], _answers(), tmp_path / "inbox" / "env.xlsx")
    refused = consolidate(master, tmp_path / "inbox")
    errors = refused.files[0].errors
    assert refused.files[0].status == "rejected" and {e["code"] for e in errors} == {"RETURN_FROZEN_YEAR"} and len(errors) == 3
    allowed = consolidate(master, tmp_path / "inbox", allow_frozen=True)
    assert allowed.files[0].status == "accepted" and allowed.changes == 3
    assert {r["区分"] for r in _log(master) if r["シート"] == PART_SHEET} == {"取込（確定年度）"}
    # The closed year's part is recorded: typing over it in Excel is caught at its cell, and restored.
    ws = openpyxl.load_workbook(master)[PART_SHEET]
    row = next(r for r in range(4, ws.max_row + 1) if (ws.cell(r, 1).value, ws.cell(r, 2).value) == ("P4", FY))
    edit_cells(master, {(PART_SHEET, f"E{row}"): "書き換え"}, master)
    found = [d for d in validate_source(CalamineSource(master)).diagnostics.errors if d.code == "FROZEN_EDITED"]
    assert [(d.sheet, d.cell) for d in found] == [(PART_SHEET, f"E{row}")] and "環境部環境課の取組の状況" in found[0].message
    run_on_master(master, lambda s: frozen_edit_changes(s, restore=True), tolerate=("FROZEN_EDITED",))
    assert openpyxl.load_workbook(master)[PART_SHEET][f"E{row}"].value == "（例示）区立小中学校の環境学習に講師を派遣"
    assert not validate_source(CalamineSource(master)).diagnostics.errors


def test_part_rows_are_validated_at_their_cell(tmp_path: Path) -> None:
    path = tmp_path / "m.xlsx"
    save_master(
        _plan(
            P4=[
                ProjectPartReport(fy=FY, department="不明課", comment="a"),
                ProjectPartReport(fy=FY, department="公園課", comment="b"),  # not on ④
                ProjectPartReport(fy=FY, department="都市計画課", comment="c"),  # ④'s lead
            ]
        ),
        path,
    )
    wb = openpyxl.load_workbook(path)
    ws = wb[PART_SHEET]
    ws.append(["P4", FY, "公園課", "遅い", "d"])  # a duplicate of row 6, with a status not in the list
    ws.append(["P9", FY, "環境課", None, "e"])
    wb.save(path)
    diags = validate_source(CalamineSource(path)).diagnostics
    found = {(d.code, d.severity, d.cell) for d in diags.items if d.sheet == PART_SHEET}
    assert found == {
        ("PROJECT_PART_NOT_ON_PROJECT", "warning", "C4"),  # the model keeps the project's order of departments first
        ("UNKNOWN_DEPARTMENT", "error", "C5"),
        ("PROJECT_PART_NOT_ON_PROJECT", "warning", "C6"),
        ("CHOICE_INVALID", "error", "D7"),
        ("UNKNOWN_PROJECT", "error", "A8"),
    }
    lead = next(d for d in diags.items if d.sheet == PART_SHEET and d.cell == "C4")
    assert "主担当" in lead.message and "プロジェクト進捗" in lead.message
    wb = openpyxl.load_workbook(path)
    wb[PART_SHEET]["D7"] = None  # now a readable duplicate of row 6
    wb.save(path)
    dup = [d for d in validate_source(CalamineSource(path)).diagnostics.errors if d.code == "DUPLICATE_ID"]
    assert [(d.sheet, d.cell) for d in dup] == [(PART_SHEET, "B7")]


def test_a_master_without_the_parts_sheet_gets_it_with_the_first_report(master: Path, tmp_path: Path) -> None:
    templates = issue(master, tmp_path / "t")
    wb = openpyxl.load_workbook(master)
    del wb[PART_SHEET]  # a master made before the sheet existed
    wb.save(master)
    assert all(not p.part_reports for p in read_plan(master).projects)
    fill(templates["環境課"], _answers(), tmp_path / "inbox" / "env.xlsx")
    result = consolidate(master, tmp_path / "inbox")
    assert (result.accepted, result.changes) == (1, 3)
    p4 = next(p for p in read_plan(master).projects if p.id == "P4")
    assert p4.part_in(FY, "環境課") is not None and p4.part_in(FY, "環境課").status == "遅れ"
    cells = {r["セル"] for r in _log(master) if r["シート"] == PART_SHEET}
    ws = openpyxl.load_workbook(master)[PART_SHEET]
    assert cells == {"D4", "E4", "E5"} and ws["E4"].value == "（例示）区立小中学校の環境学習に講師を派遣"


def test_publication_shows_co_department_reports_escaped(tmp_path: Path) -> None:
    from envplan.report.context import build_report
    from envplan.report.pdf import report_html
    from envplan.report.publish import publish
    from envplan.rules.compute import compute_plan

    hostile = "<b>太字</b>の取組"
    plan = _plan(
        P4=[
            ProjectPartReport(fy=FY - 1, department="環境課", status="予定どおり", comment=LAST_YEAR),
            ProjectPartReport(fy=FY, department="環境課", status="遅れ", comment=hostile),
        ]
    )
    path = tmp_path / "m.xlsx"
    save_master(plan, path)
    site = tmp_path / "site"
    publish(path, site, pdf=False)
    html = plain((site / "roadmap.html").read_text(encoding="utf-8"))
    assert "<b>太字" not in html and "&lt;b&gt;太字&lt;/b&gt;の取組" in html
    assert "関係課の取組</h3>" in html and LAST_YEAR in html and "環境部環境課（△ 遅れ）" in html
    r = build_report(plan, compute_plan(plan))
    r.files = {"csv": "c", "json": "j"}
    printed = plain(report_html(r))
    assert "関係課の取組：" in printed and "&lt;b&gt;太字&lt;/b&gt;の取組" in printed and LAST_YEAR not in printed  # the report year's only
