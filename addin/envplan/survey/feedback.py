"""Feedback files for departments: a copy of their returned workbook with the
problem cells highlighted and commented, and a list sheet (確認事項) in front,
so they can fix that same file and send it back.

Highlighting changes only fills and comments, never values, so the returned
feedback copy still verifies against its signature. A file that cannot be
opened as a workbook gets a workbook holding only the list.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from envplan.survey.assessment import Assessment, ConsolidationPlan
from envplan.survey.return_safety import REFUSED_UNOPENED
from envplan.survey.template_issue import input_number_format, validation_for
from envplan.survey.template_layout import FEEDBACK_SHEET
from envplan.workbook.io import CellMark, ResultTable
from envplan.workbook.store import close_workbook, save_atomically
from envplan.workbook.xlsx_load import load_for_edit
from envplan.workbook.xlsx_results import OpenpyxlResultSink

REJECTED_SUFFIX = "_要修正"
WARNED_SUFFIX = "_確認"


def write_feedback(cplan: ConsolidationPlan, out_dir: Path) -> list[Path]:
    """One feedback file per rejected or warned return; sets `assessment.feedback`."""
    written = []
    for a in cplan.assessments:
        if not a.needs_feedback:
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        path = feedback_for(a, out_dir, cplan.at)
        a.feedback = str(path)
        written.append(path)
    return written


def feedback_for(a: Assessment, out_dir: Path, at: str) -> Path:
    src = Path(a.rf.path)
    rejected = a.status == "rejected"
    tag = REJECTED_SUFFIX if rejected else WARNED_SUFFIX
    wb: Workbook | None = None
    suffix = src.suffix.lower()
    # Issue 7: a file the safety scan refused is never opened by a parser, here either.
    if suffix in (".xlsx", ".xlsm") and not any(d.code in ("RETURN_ENCRYPTED_OR_XLS", *REFUSED_UNOPENED) for d in a.errors):
        try:
            wb = load_for_edit(src)
        except Exception:  # a file calamine could read but openpyxl cannot: the list alone still helps
            wb = None
    keep_copy = wb is not None
    if wb is None:
        wb = Workbook()
        wb.remove(wb.active)
        suffix = ".xlsx"
    sink = OpenpyxlResultSink(wb)
    if keep_copy:
        _restore_inputs(wb, a)
        sink.mark_cells([CellMark(d.sheet, d.cell, f"{d.message}", d.severity) for d in a.diagnostics if d.sheet in wb.sheetnames and d.cell])
    if FEEDBACK_SHEET in wb.sheetnames:
        wb.remove(wb[FEEDBACK_SHEET])  # the list of an earlier round
    sink.write_table(_list_table(a, at, keep_copy))
    ws = wb[FEEDBACK_SHEET]
    wb._sheets.remove(ws)
    wb._sheets.insert(0, ws)
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
    path = out_dir / f"{src.stem}{tag}{suffix}"
    try:
        save_atomically(wb, path, ".feedback.")
    finally:
        close_workbook(wb)
    return path


def _restore_inputs(wb: Workbook, a: Assessment) -> None:
    """Each problem input cell gets back the number format and validation it was issued with:
    a cell left in a date format would read the clerk's corrected 5 as 1900-01-05 again."""
    for (sheet, ref), (kind, unit) in a.problem_inputs.items():
        if sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        ws[ref].number_format = input_number_format(kind)
        if not any(ref in dv.sqref for dv in ws.data_validations.dataValidation):
            dv = validation_for(kind, unit)
            dv.add(ref)
            ws.add_data_validation(dv)


def _list_table(a: Assessment, at: str, is_copy: bool) -> ResultTable:
    if a.status == "rejected":
        head = "差し戻し: 次の「エラー」を直してください。"
        how = "色とコメントの付いたセルを直し、このファイルを保存して送り直してください（色は消さなくて構いません）。" if is_copy else "お送りした様式（.xlsx）に入力して送り直してください。"
    elif a.status == "blank":
        head = "未記入: 入力欄が空欄のまま提出されました。"
        how = "このファイルに記入して保存し、送り直してください。"
    else:
        head = "受理しました。次の「警告」の箇所を確認してください。"
        how = "値が正しければ対応は不要です。誤りがあれば、このファイルを直して送り直してください。"
    styles: dict[int, str] = {}
    rows, links = [], {}
    for i, d in enumerate(sorted(a.diagnostics, key=lambda d: (d.severity != "error", d.sheet, _row_of(d.cell)))):
        rows.append(["エラー" if d.severity == "error" else "警告", d.sheet, d.cell, d.message, d.value])
        if is_copy and d.sheet and d.cell:
            links[(i, 2)] = f"'{d.sheet}'!{d.cell}"
        styles[i] = d.severity
    return ResultTable(
        sheet=FEEDBACK_SHEET,
        title=f"確認事項: {a.rf.file}",
        note=f"{head}{how}（{at} 取込）",
        header=["種別", "シート", "セル", "内容", "入力値"],
        rows=rows,
        widths=[8, 18, 8, 90, 24],
        links=links,
        row_styles=styles,
    )


def _row_of(ref: str) -> int:
    digits = "".join(ch for ch in ref if ch.isdigit())
    return int(digits) if digits else 0
