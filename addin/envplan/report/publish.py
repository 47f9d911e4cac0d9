"""Publication (step ④ of the PDCA cycle): from the master workbook alone,
a static web site, a PDF annual report, printable evaluation sheets and open
data, written into one output folder.

The master is only read. Everything is built in a staging folder beside the
output and swapped in at the end, so a failed run leaves the previous
publication as it was. An existing output folder is replaced only when an
earlier `publish` made it (it holds our marker file).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from envplan.plan.diagnostics import Diagnostic
from envplan.report.a11y_results import RESULTS_JSON, A11yResults, A11yResultsError, A11yView, load_results, results_view
from envplan.report.context import ReportData, build_report
from envplan.report.opendata import CSV_NAME, FIELDS, JSON_NAME, README_NAME, write_open_data
from envplan.report.platform import build_platform
from envplan.report.site import write_site
from envplan.rules.compute import compute_plan

MARKER = ".envplan-publish.json"
REPORT_PDF = "annual-report.pdf"
SHEETS_PDF = "evaluation-sheets.pdf"
DATA_DIR = "data"


class PublishError(RuntimeError):
    """Publishing cannot proceed; `diagnostics` holds the master's errors, if that is why."""

    def __init__(
        self, message: str, message_en: str, *, diagnostics: list[Diagnostic] | None = None, invalid_input: bool = False, pdf_unavailable: bool = False
    ) -> None:
        super().__init__(message)
        self.message_en = message_en
        self.diagnostics = diagnostics or []
        self.invalid_input = invalid_input  # the master's fault (exit 1), not the environment's (exit 2)
        self.pdf_unavailable = pdf_unavailable  # only the PDF failed (no browser or font): publishing with pdf=False would work


class PublishResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    master: str
    out_dir: str
    plan_name: str
    fy: int
    site_index: str
    pages: list[str] = Field(default_factory=list)  # every HTML page, relative to out_dir
    report_pdf: str | None = None
    report_pdf_pages: int | None = None
    evaluation_sheets: str | None = None
    evaluation_sheet_pages: int | None = None
    open_data: dict[str, str] = Field(default_factory=dict)  # csv / json (indicators), projects_csv … budgets_json, readme → path
    indicators: int = 0
    policies: int = 0
    warnings: list[str] = Field(default_factory=list)
    a11y_results: str | None = None  # the accessibility results published (JSON), when any
    a11y_pages: int | None = None  # pages the results cover
    a11y_problem_pages: list[str] = Field(default_factory=list)  # pages with a violation
    seconds: dict[str, float] = Field(default_factory=dict)  # time per stage

    def to_json(self) -> dict[str, Any]:
        return {"ok": True, **self.model_dump(mode="json")}


def publish(
    master: Path,
    out_dir: Path,
    *,
    pdf: bool = True,
    fy: int | None = None,
    today: dt.date | None = None,
    a11y_check: bool = False,
    a11y_results: Path | None = None,
) -> PublishResult:
    """Publish the plan in `master` as of fiscal year `fy` (default: the plan's current year).

    `a11y_check` tests every page with axe-core in headless Chromium and publishes the results;
    `a11y_results` publishes those of an earlier run (a file such a run wrote) instead."""
    timer = _Timer()
    out_dir = out_dir.resolve()
    _check_out_dir(out_dir)
    if a11y_check and a11y_results is not None:
        raise PublishError("--a11y-check と --a11y-results は同時に指定できません", "--a11y-check and --a11y-results cannot be given together")
    given_results = _load_a11y_results(a11y_results) if a11y_results is not None else None
    plan, warnings, history = _read_plan(master)
    timer.lap("read")
    return _publish_plan(plan, warnings, history, str(master), out_dir, timer, pdf=pdf, fy=fy, today=today, a11y_check=a11y_check, given_results=given_results)


def publish_source(source: Any, name: str, out_dir: Path, *, pdf: bool = True, fy: int | None = None, today: dt.date | None = None) -> PublishResult:
    """Publish a master already open (the book Excel sent to the server), named `name` in messages."""
    timer = _Timer()
    out_dir = out_dir.resolve()
    _check_out_dir(out_dir)
    plan, warnings, history = _validated_plan(source, name)
    timer.lap("read")
    return _publish_plan(plan, warnings, history, name, out_dir, timer, pdf=pdf, fy=fy, today=today)


def _publish_plan(
    plan: Any,
    warnings: list[str],
    history: Any,
    master: str,
    out_dir: Path,
    timer: _Timer,
    *,
    pdf: bool,
    fy: int | None,
    today: dt.date | None,
    a11y_check: bool = False,
    given_results: A11yResults | None = None,
) -> PublishResult:
    if fy is not None and not plan.start_fy <= fy <= plan.end_fy:
        raise PublishError(
            f"年度 {fy} は計画期間（{plan.start_fy}～{plan.end_fy}年度）の外です",
            f"fiscal year {fy} is outside the plan period {plan.start_fy}-{plan.end_fy}",
        )
    result = compute_plan(plan, fy)
    previous = compute_plan(plan, result.fy - 1) if result.fy - 1 >= plan.start_fy else None
    timer.lap("compute")
    report = build_report(plan, result, previous, today=today)
    report.files = {"csv": f"{DATA_DIR}/{CSV_NAME}", "json": f"{DATA_DIR}/{JSON_NAME}", "readme": f"{DATA_DIR}/{README_NAME}"}
    if pdf:
        report.files["report_pdf"] = REPORT_PDF
        if report.policies:
            report.files["sheets_pdf"] = SHEETS_PDF
    timer.lap("prepare")

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    # The PDF is printed beside the rest: while the report's final (tagged) printing keeps one core busy,
    # the open data and the site are written on the other (about a second and a half off the total).
    printing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="envplan-pdf") if pdf else None
    pdfs: Future[tuple[Any, Any, float]] | None = None
    try:
        if printing is not None:
            pdfs = _start_pdfs(printing, report, staging)
            timer.lap("pdf_start")
        data = write_open_data(report, staging / DATA_DIR)
        report.files.update({k: f"{DATA_DIR}/{p.name}" for k, p in data.items()})  # the further datasets, when the plan has their rows
        timer.lap("open_data")
        tested: list[A11yResults] = []

        def accessibility(site_pages: dict[str, str]) -> A11yView | None:
            if given_results is not None:
                tested.append(given_results)
                return results_view(given_results, site_pages, from_file=True)
            timer.lap("site")
            results = _run_a11y_check(staging, sorted(site_pages), plan.name, report.fy)
            timer.lap("a11y")
            tested.append(results)
            return results_view(results, site_pages)

        pages = write_site(report, staging, data_fields=list(FIELDS), platform=build_platform(report, history), a11y=accessibility if (a11y_check or given_results is not None) else None)
        for results in tested:
            (staging / RESULTS_JSON).write_text(results.to_json(), encoding="utf-8")
        timer.lap("site.results" if tested and given_results is None else "site")
        res = PublishResult(
            master=str(master),
            out_dir=str(out_dir),
            plan_name=plan.name,
            fy=report.fy,
            site_index=str(out_dir / "index.html"),
            pages=[p.relative_to(staging).as_posix() for p in pages],
            open_data={k: str(out_dir / p.relative_to(staging)) for k, p in data.items()},
            indicators=len(report.indicators),
            policies=len(report.policies),
            warnings=warnings,
        )
        for results in tested:
            res.a11y_results = str(out_dir / RESULTS_JSON)
            res.a11y_pages = len(results.pages)
            failing = [p.page for p in results.pages if p.violations]
            res.a11y_problem_pages = failing
            if failing:
                res.warnings.append(f"アクセシビリティの自動検査で問題が見つかったページが {len(failing)} あります（{'、'.join(failing[:5])}{' ほか' if len(failing) > 5 else ''}）。試験結果のページに載せています")
        if pdfs is not None:
            _finish_pdfs(pdfs, report, out_dir, res, timer)
        (staging / MARKER).write_text(
            json.dumps({"generator": "envplan publish", "master": str(master), "fy": report.fy, "created": dt.datetime.now().isoformat(timespec="seconds")}, ensure_ascii=False),
            encoding="utf-8",
        )
        _swap_in(staging, out_dir)
        timer.lap("finish")
    except BaseException:
        if printing is not None:
            printing.shutdown(wait=True)  # the printing thread writes into staging: let it end first
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if printing is not None:
            printing.shutdown(wait=True)
    res.seconds = timer.laps
    return res


def _load_a11y_results(path: Path) -> A11yResults:
    try:
        return load_results(path)
    except A11yResultsError as e:
        raise PublishError(str(e), e.message_en, invalid_input=True) from e


def _run_a11y_check(site: Path, pages: list[str], plan_name: str, fy: int) -> A11yResults:
    from envplan.report.a11y_check import AxeMissing, check_site
    from envplan.report.chromium import BrowserError

    try:
        return check_site(site, pages, plan=plan_name, fy=fy)
    except AxeMissing as e:
        raise PublishError(str(e), e.message_en) from e
    except BrowserError as e:
        raise PublishError(f"アクセシビリティの検査に使うブラウザーを動かせません: {e}", f"cannot run the browser for the accessibility check: {getattr(e, 'message_en', e)}") from e


def _start_pdfs(printing: ThreadPoolExecutor, report: ReportData, staging: Path) -> Future[tuple[Any, Any, float]]:
    """Start printing the PDFs in `printing`; returns when the final printing has started (or printing failed)."""
    from envplan.report.pdf import write_pdfs

    started = threading.Event()

    def job() -> tuple[Any, Any, float]:
        start = time.perf_counter()
        outcome, sheets = write_pdfs(report, staging / REPORT_PDF, staging / SHEETS_PDF if report.policies else None, final_print=started.set)
        return outcome, sheets, time.perf_counter() - start

    future = printing.submit(job)
    future.add_done_callback(lambda _: started.set())  # never wait for a printing that failed
    started.wait()
    return future


def _finish_pdfs(pdfs: Future[tuple[Any, Any, float]], report: ReportData, out_dir: Path, res: PublishResult, timer: _Timer) -> None:
    from envplan.report.chromium import BrowserError
    from envplan.report.fonts import FontError

    try:
        outcome, sheets, took = pdfs.result()
    except (BrowserError, FontError) as e:
        raise PublishError(str(e), f"cannot make the PDF: {getattr(e, 'message_en', e)}", pdf_unavailable=True) from e
    timer.lap("pdf_wait")  # the printing's time after the site was written
    timer.laps["pdf"] = round(took, 3)  # the whole printing, from its start beside the open data and the site
    timer.laps.update({f"pdf.{k}": v for k, v in outcome.seconds.items()})
    res.report_pdf, res.report_pdf_pages = str(out_dir / REPORT_PDF), outcome.pages
    res.warnings += outcome.notes
    missing = set(outcome.missing_glyphs)
    if sheets is not None:
        res.evaluation_sheets, res.evaluation_sheet_pages = str(out_dir / SHEETS_PDF), sheets.pages
        missing |= sheets.missing_glyphs
        res.warnings += sheets.notes
    if missing:
        res.warnings.append(f"PDF のフォントにない文字があり、正しく印刷されない可能性があります: {' '.join(sorted(missing))}")


def _read_plan(master: Path):
    from envplan.workbook.io import UnreadableWorkbook, open_workbook

    if not master.is_file():
        raise PublishError(f"マスターワークブックが見つかりません: {master}", f"master workbook not found: {master}")
    try:
        source = open_workbook(master)
    except UnreadableWorkbook as e:
        raise PublishError(e.message, e.message_en) from e
    return _validated_plan(source, master.name)


def _validated_plan(source: Any, name: str):
    from envplan.workbook.change_history import read_change_history
    from envplan.workbook.validation import validate_source

    result = validate_source(source)
    errors = result.diagnostics.errors
    if result.plan is None or errors:
        first = "; ".join(f"{d.location}: {d.message}" for d in errors[:3])
        raise PublishError(
            f"{name} に検証エラーが {len(errors)} 件あるため公表できません（envplan validate で確認してください）。{first}",
            f"{name} has {len(errors)} validation errors; fix them before publishing",
            diagnostics=errors,
            invalid_input=True,
        )
    warnings = [f"{d.location}: {d.message}" for d in result.diagnostics.warnings]
    return result.plan, warnings, read_change_history(source)


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise PublishError(f"出力先はフォルダを指定してください: {out_dir}", f"the output must be a folder: {out_dir}")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise PublishError(
            f"出力先 {out_dir} には公表用以外のファイルがあります。空のフォルダか、以前に公表したフォルダを指定してください",
            f"{out_dir} holds files not written by envplan publish; choose an empty folder or an earlier publication",
        )


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Replace out_dir with staging: rename the old one aside, rename the new
    one in, then delete the old one (a crash in between leaves both, never half)."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except OSError:
        old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


class _Timer:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.last, 3)
        self.last = now
        self.laps["total"] = round(now - self.start, 3)
