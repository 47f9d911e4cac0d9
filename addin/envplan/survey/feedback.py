"""Feedback files for departments: a copy of their returned workbook with the
problem cells highlighted and commented, and a list sheet (確認事項) in front,
so they can fix that same file and send it back.

Highlighting changes only fills and comments, never values, so the returned
feedback copy still verifies against its signature. A file that cannot be
opened as a workbook gets a workbook holding only the list.

A copy is made from a `FeedbackJob` (what the run decided about the file, no more), in
memory: so the reader's worker processes can make them while this process writes the
master (this module imports neither the plan model nor pydantic, which a worker does not
have loaded), and the files are written only once the run has succeeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook

from envplan.plan.diagnostics import Diagnostic
from envplan.survey.input_cells import input_number_format, validation_for
from envplan.survey.return_safety import REFUSED_UNOPENED
from envplan.survey.template_layout import FEEDBACK_SHEET, IDENTITY_SHEET
from envplan.workbook.io import CellMark, ResultTable
from envplan.workbook.store import close_workbook, workbook_bytes, write_atomically
from envplan.workbook.xlsx_load import load_for_edit
from envplan.workbook.xlsx_results import OpenpyxlResultSink

if TYPE_CHECKING:
    from envplan.survey.assessment import Assessment, ConsolidationPlan

REJECTED_SUFFIX = "_要修正"
WARNED_SUFFIX = "_確認"


@dataclass(frozen=True)
class FeedbackJob:
    """What a feedback copy is made from."""

    source: str  # the returned file
    file: str  # its name, as the list shows it
    status: str
    at: str
    diagnostics: tuple[Diagnostic, ...]
    problem_inputs: tuple[tuple[tuple[str, str], tuple[str, str]], ...]  # ((sheet, cell), (kind, unit))

    @classmethod
    def of(cls, a: Assessment, at: str) -> FeedbackJob:
        return cls(a.rf.path, a.rf.file, a.status, at, tuple(a.diagnostics), tuple(a.problem_inputs.items()))

    @property
    def keeps_copy(self) -> bool:
        """A copy of the file itself (else the list alone): xlsx/xlsm the safety scan let through.
        Issue 7: a file the safety scan refused is never opened by a parser, here either."""
        refused = any(d.code in ("RETURN_ENCRYPTED_OR_XLS", *REFUSED_UNOPENED) for d in self.diagnostics if d.severity == "error")
        return Path(self.source).suffix.lower() in (".xlsx", ".xlsm") and not refused

    def name(self, opened: bool) -> str:
        src = Path(self.source)
        tag = REJECTED_SUFFIX if self.status == "rejected" else WARNED_SUFFIX
        return f"{src.stem}{tag}{src.suffix.lower() if opened else '.xlsx'}"


def feedback_jobs(cplan: ConsolidationPlan) -> list[FeedbackJob]:
    """What each rejected or warned return's feedback copy is made from, in the run's order."""
    return [FeedbackJob.of(a, cplan.at) for a in cplan.assessments if a.needs_feedback]


def write_feedback(cplan: ConsolidationPlan, out_dir: Path, made: Sequence[tuple[str, bytes]] | None = None) -> list[Path]:
    """One feedback file per rejected or warned return; sets `assessment.feedback`.
    `made`: the copies (name, contents) of `feedback_jobs`, made already (by the reader's
    workers, while the master was written); else they are made here, one after another."""
    todo = [a for a in cplan.assessments if a.needs_feedback]
    if not todo:
        return []
    if made is None:
        made = [render(FeedbackJob.of(a, cplan.at)) for a in todo]
    out_dir.mkdir(parents=True, exist_ok=True)
    return [_written(a, out_dir, copy) for a, copy in zip(todo, made, strict=True)]


def feedback_for(a: Assessment, out_dir: Path, at: str) -> Path:
    """The feedback file of one return, written into `out_dir`."""
    return _written(a, out_dir, render(FeedbackJob.of(a, at)))


def _written(a: Assessment, out_dir: Path, copy: tuple[str, bytes]) -> Path:
    name, data = copy
    path = out_dir / name
    write_atomically(data, path, ".feedback.")
    a.feedback = str(path)
    return path


def render(job: FeedbackJob) -> tuple[str, bytes]:
    """The feedback copy of one return: its file name and its contents."""
    wb: Workbook | None = None
    if job.keeps_copy:
        try:
            wb = load_for_edit(Path(job.source))
        except Exception:  # a file calamine could read but openpyxl cannot: the list alone still helps
            wb = None
    keep_copy = wb is not None
    if wb is None:
        wb = Workbook()
        wb.remove(wb.active)
    try:
        sink = OpenpyxlResultSink(wb)
        if keep_copy:
            _restore_inputs(wb, job)
            if IDENTITY_SHEET in wb.sheetnames:  # LibreOffice saves a very hidden sheet as hidden: Excel would let it be shown
                wb[IDENTITY_SHEET].sheet_state = "veryHidden"
            sink.mark_cells([CellMark(d.sheet, d.cell, f"{d.message}", d.severity) for d in job.diagnostics if d.sheet in wb.sheetnames and d.cell])
        if FEEDBACK_SHEET in wb.sheetnames:
            wb.remove(wb[FEEDBACK_SHEET])  # the list of an earlier round
        sink.write_table(_list_table(job, keep_copy))
        ws = wb[FEEDBACK_SHEET]
        wb._sheets.remove(ws)
        wb._sheets.insert(0, ws)
        wb.active = 0
        for other in wb.worksheets[1:]:
            other.sheet_view.tabSelected = False
        return job.name(keep_copy), workbook_bytes(wb)
    finally:
        close_workbook(wb)


def _restore_inputs(wb: Workbook, job: FeedbackJob) -> None:
    """Each problem input cell gets back the number format and validation it was issued with:
    a cell left in a date format would read the clerk's corrected 5 as 1900-01-05 again."""
    for (sheet, ref), (kind, unit) in job.problem_inputs:
        if sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        ws[ref].number_format = input_number_format(kind)
        if not any(ref in dv.sqref for dv in ws.data_validations.dataValidation):
            dv = validation_for(kind, unit)
            dv.add(ref)
            ws.add_data_validation(dv)


def _list_table(job: FeedbackJob, is_copy: bool) -> ResultTable:
    if job.status == "rejected":
        head = "差し戻し: 次の「エラー」を直してください。"
        how = "色とコメントの付いたセルを直し、このファイルを保存して送り直してください（色は消さなくて構いません）。" if is_copy else "お送りした様式（.xlsx）に入力して送り直してください。"
    elif job.status == "blank":
        head = "未記入: 入力欄が空欄のまま提出されました。"
        how = "このファイルに記入して保存し、送り直してください。"
    else:
        head = "受理しました。次の「警告」の箇所を確認してください。"
        how = "値が正しければ対応は不要です。誤りがあれば、このファイルを直して送り直してください。"
    styles: dict[int, str] = {}
    rows, links = [], {}
    for i, d in enumerate(sorted(job.diagnostics, key=lambda d: (d.severity != "error", d.sheet, _row_of(d.cell)))):
        rows.append(["エラー" if d.severity == "error" else "警告", d.sheet, d.cell, d.message, d.value])
        if is_copy and d.sheet and d.cell:
            links[(i, 2)] = f"'{d.sheet}'!{d.cell}"
        styles[i] = d.severity
    return ResultTable(
        sheet=FEEDBACK_SHEET,
        title=f"確認事項: {job.file}",
        note=f"{head}{how}（{job.at} 取込）",
        header=["種別", "シート", "セル", "内容", "入力値"],
        rows=rows,
        widths=[8, 18, 8, 90, 24],
        links=links,
        row_styles=styles,
    )


def _row_of(ref: str) -> int:
    digits = "".join(ch for ch in ref if ch.isdigit())
    return int(digits) if digits else 0
