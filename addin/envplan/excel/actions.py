"""What the ribbon buttons run: one function per button, called by xlwings'
RunPython on the workbook the user has open (`xw.Book.caller()`).

    RunPython "import envplan.excel.actions; envplan.excel.actions.validate()"

Each action shows its progress in Excel's status bar and ends with one
message box in Japanese. No exception leaves an action: an expected problem
(not a master, unsaved changes, errors in the entries) is said plainly; an
unexpected one is logged with its traceback and reported with the log's
path, so Excel never shows a Python traceback. Each returns an
`ActionOutcome` (for tests and for callers other than Excel).

Validation, computation and 確定値 (closed-year values typed over) read and
write the open book itself (live door).
Issuing, consolidating and publishing work from the saved master file, so
they first ask for the book to be saved; consolidation then applies the
accepted values to the open book, never to the file under Excel. Through the
section's server (at the end of this module) they work on the book Excel sent,
also only when it is saved, and write into the server's own folders.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envplan.excel.live_workbook import LiveBookSink, LiveBookSource, unsaved_changes
from envplan.paths import log_dir

TITLE = "環境計画"
ISSUE_DIR = "照会様式"
INBOX_DIR = "回答"
PUBLISH_DIR = "公表資料"
MAX_LISTED = 8  # problems listed in a message box; the rest are on the result sheet


class ActionError(Exception):
    """A problem the user can fix; its message (Japanese) is shown as is."""


@dataclass
class ActionOutcome:
    action: str
    ok: bool  # the action ran to its end (it may still have found problems in the entries)
    message: str
    level: str = "info"  # info | warning | error: the icon of the message box
    progress: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    log: str = ""


class _Ui:
    """Status bar and message box of the Excel the action runs in."""

    def __init__(self, book: Any, action: str) -> None:
        self.book = book
        self.action = action
        self.progress: list[str] = []

    def status(self, text: str) -> None:
        self.progress.append(text)
        self._set_status(f"{TITLE}（{self.action}）: {text}")

    def _set_status(self, value: Any) -> None:
        try:
            self.book.app.status_bar = value
        except NotImplementedError:  # engines without a status bar (e.g. the remote one)
            pass

    def ask(self, prompt: str, buttons: str = "yes_no_cancel", callback: str | None = None) -> str | None:
        """A question in a message box: "yes", "no", "cancel" or "ok" — None from an
        engine that cannot answer while the action runs (xlwings Server, which instead
        runs the VBA macro `callback` with the button pressed)."""
        self._set_status(False)  # the question replaces the progress text
        answer = self.book.app.alert(prompt, title=f"{TITLE} - {self.action}", buttons=buttons, mode="critical", callback=callback)
        return str(answer).lower() if answer else None

    def finish(self, outcome: ActionOutcome) -> None:
        self._set_status(False)  # False gives the status bar back to Excel
        mode = "info" if outcome.level == "info" else "critical"
        self.book.app.alert(outcome.message, title=f"{TITLE} - {self.action}", mode=mode)


Body = Callable[[Any, _Ui], tuple[str, str, dict[str, Any]]]
DEFERRED = "deferred"  # a body's level: it asked a question answered by a later call; no closing message


def _run(action: str, book: Any, body: Body) -> ActionOutcome:
    if book is None:
        import xlwings as xw

        book = xw.Book.caller()
    ui = _Ui(book, action)
    try:
        message, level, details = body(book, ui)
        if level == DEFERRED:  # a question whose answer comes back in another call (xlwings Server)
            ui._set_status(False)
            return ActionOutcome(action, True, message, "info", ui.progress, details)
        outcome = ActionOutcome(action, True, message, level, ui.progress, details)
    except ActionError as e:
        outcome = ActionOutcome(action, False, str(e), "error", ui.progress)
    except Exception as e:  # noqa: BLE001 — every failure must end as a message box, never a traceback dialog
        log = _log_failure(action, e)
        outcome = ActionOutcome(
            action,
            False,
            f"予期しないエラーが発生しました（{type(e).__name__}: {e}）。\n処理は中断しました。\n詳細を記録しました: {log}\nこのファイルを情報システム担当に渡してください。",
            "error",
            ui.progress,
            log=str(log),
        )
    ui.finish(outcome)
    return outcome


def _log_failure(action: str, error: BaseException) -> Path:
    folder = log_dir()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"envplan-{stamp}-{os.getpid()}.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(f"envplan {action}\n{''.join(traceback.format_exception(error))}", encoding="utf-8")
    except OSError:
        return Path("(ログを書けませんでした)")
    return path


# --- helpers --------------------------------------------------------------------


def _require_master(source: LiveBookSource) -> None:
    from envplan.workbook.layout import layout

    settings = layout()["settings"].name
    if settings not in source.sheet_names():
        raise ActionError(
            f"「{source.label}」は環境計画のマスターワークブックではありません（「{settings}」シートがありません）。\nマスターワークブックを開いて、そのウィンドウでボタンを押してください。"
        )


def _saved_master(book: Any) -> Path:
    """The master's file, which must be saved: the file-based actions read it from disk."""
    path = Path(book.fullname)
    if not path.is_absolute() or not path.is_file():
        raise ActionError("このブックはまだ保存されていません。マスターワークブックとして保存してから実行してください。")
    if unsaved_changes(book):
        raise ActionError("保存されていない変更があります。先に上書き保存（Ctrl+S）してから実行してください。")
    return path


def _problem_lines(diags: list[Any]) -> str:
    lines = [f"・{d.location}: {d.message}" if d.location else f"・{d.message}" for d in diags[:MAX_LISTED]]
    if len(diags) > MAX_LISTED:
        lines.append(f"…ほか {len(diags) - MAX_LISTED} 件")
    return "\n".join(lines)


def _open_folder(path: Path) -> bool:
    """Show the folder in Explorer (Windows) — elsewhere the message gives its path."""
    if sys.platform == "win32" and hasattr(os, "startfile"):
        try:
            os.startfile(str(path))  # type: ignore[attr-defined]
            return True
        except OSError:
            return False
    return False


# --- the buttons ----------------------------------------------------------------


def validate(book: Any = None) -> ActionOutcome:
    """検証: results sheet, problem cells highlighted with a note, a summary."""
    return _run("検証", book, _validate)


def _validate(book: Any, ui: _Ui) -> tuple[str, str, dict[str, Any]]:
    from envplan.workbook.io import CellMark
    from envplan.workbook.layout import layout
    from envplan.workbook.validation import validate_source

    ui.status("ワークブックを読み込んでいます…")
    source = LiveBookSource(book)
    _require_master(source)
    previous = _previous_marks(source, layout()["validation"].name)
    ui.status("入力を検証しています…")
    result = validate_source(source)
    errors, warnings = result.diagnostics.errors, result.diagnostics.warnings
    summary = result.summary
    ui.status("検証結果を書き込んでいます…")
    sink = LiveBookSink(book)
    sink.unmark_cells(previous)
    sink.write_table(result.table())
    marks = _one_mark_per_cell([CellMark(d.sheet, d.cell, d.message, d.severity) for d in errors + warnings if d.sheet and d.cell])
    sink.mark_cells(marks)
    if result.plan is not None:
        sink.refresh_guide(result.plan)  # 使い方 shows the plan as it is, as after envplan validate
    sheet = layout()["validation"].name
    if errors:
        message = f"検証しました: {summary}。\n問題のあるセルに色とコメントを付け、「{sheet}」シートに一覧を書きました。\n\n{_problem_lines(errors)}"
        level = "warning"
    elif warnings:
        message = f"検証しました: {summary}。エラーはありません。\n警告の内容は「{sheet}」シートと、色の付いたセルのコメントで確認してください。\n\n{_problem_lines(warnings)}"
        level = "info"
    else:
        message = f"検証しました: エラー・警告はありません。（「{sheet}」シート）"
        level = "info"
    return message, level, {"errors": len(errors), "warnings": len(warnings), "marked": len(marks), "unmarked": len(previous)}


def _one_mark_per_cell(marks: list[Any]) -> list[Any]:
    """A cell with an error and a warning (an edited closed value that also jumps) gets one
    note with both and the error's colour; marked one by one, the warning would win."""
    from envplan.workbook.io import CellMark

    by_cell: dict[tuple[str, str], Any] = {}
    for m in marks:
        first = by_cell.get((m.sheet, m.cell))
        if first is None:
            by_cell[(m.sheet, m.cell)] = m
        else:
            severity = "error" if "error" in (first.severity, m.severity) else first.severity
            by_cell[(m.sheet, m.cell)] = CellMark(m.sheet, m.cell, f"{first.message}\n{m.message}", severity)
    return list(by_cell.values())


def _previous_marks(source: LiveBookSource, sheet: str) -> list[tuple[str, str]]:
    """Cells the previous 検証 marked, from its results sheet (columns シート and セル)."""
    if sheet not in source.sheet_names():
        return []
    grid = source.grid(sheet)
    header = [str(v or "") for v in (grid.rows[2] if len(grid.rows) >= 3 else [])]
    if "シート" not in header or "セル" not in header:
        return []
    s_col, c_col = header.index("シート") + 1, header.index("セル") + 1
    cells = []
    for r in range(4, grid.max_row + 1):
        name, ref = grid.value(r, s_col), grid.value(r, c_col)
        if name and ref:
            cells.append((str(name), str(ref).lstrip("'")))
    return cells


def compute(book: Any = None) -> ActionOutcome:
    """集計: attainment sheets of the open book updated."""
    return _run("集計", book, _compute)


def _compute(book: Any, ui: _Ui) -> tuple[str, str, dict[str, Any]]:
    from envplan.rules.attainment import STATUSES
    from envplan.rules.compute import shown_counts
    from envplan.workbook.compute_master import compute_source, write_results

    ui.status("ワークブックを読み込んでいます…")
    source = LiveBookSource(book)
    _require_master(source)
    ui.status("達成状況を計算しています…")
    run = compute_source(source)
    errors = run.validation.diagnostics.errors
    if run.result is None:
        raise ActionError(
            f"入力にエラーが {len(errors)} 件あるため集計しませんでした。「検証」ボタンで確認し、直してから実行してください。\n\n{_problem_lines(errors)}"
        )
    result = run.result
    ui.status("結果のシートを書き込んでいます…")
    sink = LiveBookSink(book)
    sheets = write_results(sink, result)
    if run.validation.plan is not None:
        sink.refresh_guide(run.validation.plan)
    whole = [row for row in result.summary if not row.category]  # the whole-plan row, when there is one
    rows = whole or result.summary
    totals = {s: sum(row.counts.get(s, 0) for row in rows) for s in STATUSES}
    levels: dict[str, int] = {}
    for row in rows:  # the chosen scheme's levels (or the six statuses), as the sheets show them
        for name, n in shown_counts(result, row):
            levels[name] = levels.get(name, 0) + n
    counts = "、".join(f"{name} {n}" for name, n in levels.items() if n)
    disagreements = [p for p in result.policies if p.disagrees]
    lines = [f"{result.fy}年度時点の達成状況を集計しました（指標 {sum(totals.values())} 件）。", counts, f"更新したシート: {'・'.join(sheets)}"]
    if disagreements:
        lines.append(f"所管課の評価区分と評価案が一致しない施策が {len(disagreements)} 件あります。")
    if result.illustrative_note:
        lines.append(f"注意: {result.illustrative_note}")
    return "\n".join(lines), "info", {"fy": result.fy, "sheets": sheets, "statuses": totals, "levels": levels, "disagreements": len(disagreements)}


def issue_templates(book: Any = None) -> ActionOutcome:
    """様式発行: one template per department in 照会様式 beside the master."""
    return _run("様式発行", book, _issue)


def _issue(book: Any, ui: _Ui) -> tuple[str, str, dict[str, Any]]:
    from envplan.survey.template_issue import issue_templates as issue

    master = _saved_master(book)
    out = master.parent / ISSUE_DIR
    paths = _issued(ui, lambda: issue(master, out))
    opened = _open_folder(out)
    where = "フォルダを開きました" if opened else "保存先"
    return (
        f"照会様式を {len(paths)} 件作成しました。\n{where}: {out}\n{_file_names(paths)}\n\n所管課に送り、回答は「{INBOX_DIR}」フォルダ（{master.parent / INBOX_DIR}）に集めてください。",
        "info",
        {"folder": str(out), "files": [str(p) for p in paths]},
    )


def _issued(ui: _Ui, issue: Callable[[], list[Path]]) -> list[Path]:
    from envplan.survey.template_issue import TemplateIssueError

    ui.status("所管課ごとの照会様式を作成しています…")
    try:
        return issue()
    except TemplateIssueError as e:
        raise ActionError(f"照会様式を作成できません: {e}\n\n{_problem_lines(e.diagnostics)}".rstrip()) from None


def _file_names(paths: list[Path]) -> str:
    names = "\n".join(f"・{p.name}" for p in paths[:MAX_LISTED])
    return names + (f"\n…ほか {len(paths) - MAX_LISTED} 件" if len(paths) > MAX_LISTED else "")


def consolidate(book: Any = None) -> ActionOutcome:
    """取込: returns in 回答 beside the master checked and applied to the open book."""
    return _run("取込", book, _consolidate)


def _consolidate(book: Any, ui: _Ui) -> tuple[str, str, dict[str, Any]]:
    master = _saved_master(book)
    inbox = master.parent / INBOX_DIR
    if not inbox.is_dir():
        inbox.mkdir(parents=True, exist_ok=True)
        raise ActionError(f"回答を入れるフォルダがなかったので作成しました: {inbox}\n所管課から戻ったファイルをこのフォルダに入れてから、もう一度「取込」を押してください。")
    try:
        from envplan.survey import consolidate as consolidation
    except ImportError:
        raise ActionError("このバージョンの envplan には取込の機能がありません。コマンドの envplan consolidate を使ってください。") from None
    ui.status("回答を検査しています…")
    return consolidation_in_book(consolidation, master, inbox, book, ui)


def consolidation_in_book(consolidation: Any, master: Path, inbox: Path, book: Any, ui: _Ui) -> tuple[str, str, dict[str, Any]]:
    """The consolidation's plan made from the open book, its edits applied to
    the open book (the user saves it), the feedback files beside the returns."""
    from envplan.excel.live_workbook import LiveMasterSink
    from envplan.survey.feedback import write_feedback
    from envplan.survey.template_identity import SigningKeyError, load_key
    from envplan.workbook.changes import MasterStateError, apply_edits, load_master_state

    source = LiveBookSource(book)
    _require_master(source)
    try:
        key = load_key(master)
    except SigningKeyError as e:
        raise ActionError(f"{e}\n様式を発行したときの鍵ファイルがマスターと同じフォルダに必要です。") from None
    try:
        state = load_master_state(source)
    except MasterStateError as e:
        raise ActionError(f"マスターにエラーがあるため取り込めません: {e}\n「検証」で確認してください。\n\n{_problem_lines(e.diagnostics)}".rstrip()) from None

    def progress(done: int, total: int, name: str) -> None:
        ui.status(f"回答を検査しています（{done}/{total}）: {name}")

    try:
        cplan = consolidation.prepare_consolidation(state, inbox, key, progress=progress)
    except consolidation.ConsolidationError as e:
        raise ActionError(str(e)) from None
    sink = LiveMasterSink(book)
    if cplan.write_needed:
        ui.status("受理した値をこのブックに書き込んでいます…")
        apply_edits(cplan.edits, sink, state.reading.policy_sheets)
    sink.refresh_guide(cplan.plan_after)
    feedback_dir = inbox / consolidation.FEEDBACK_DIR_NAME
    write_feedback(cplan, feedback_dir)
    result = consolidation.result_of(cplan, master, inbox, None)
    lines = [
        f"{result.fy}年度の回答を取り込みました: 受理 {result.accepted} 件、差戻し {result.rejected} 件、変更なし {result.unchanged} 件（変更した値 {result.changes} 件）。"
    ]
    if result.written:
        lines.append("このブックに書き込みました。内容を確認して保存してください（保存するまでファイルは変わりません）。")
    rejected = [f for f in result.files if f.status == "rejected"]
    if rejected:
        lines.append(f"差戻しの理由は、所管課に返すファイルとして {feedback_dir} に書きました。")
        lines += [f"・{f.file}" for f in rejected[:MAX_LISTED]]
    if result.not_returns:
        lines.append(f"様式ではないため読み込まなかったファイル（送り状・PDF など。内容をご確認ください）: {'、'.join(result.not_returns[:MAX_LISTED])}")
    if result.ignored:
        lines.append(f"様式ではないため無視したファイル: {'、'.join(result.ignored[:MAX_LISTED])}")
    return "\n".join(lines), "warning" if rejected else "info", result.to_json()


def publish(book: Any = None) -> ActionOutcome:
    """公表: web site, PDF report, evaluation sheets and open data in 公表資料."""
    return _run("公表", book, _publish)


def _publish(book: Any, ui: _Ui) -> tuple[str, str, dict[str, Any]]:
    from envplan.report.publish import publish as build

    master = _saved_master(book)
    out = master.parent / PUBLISH_DIR
    result, pdf_skipped = _published(ui, lambda pdf: build(master, out, pdf=pdf))
    opened = _open_folder(out)
    lines = _publication_lines(result, f"{'フォルダを開きました' if opened else '保存先'}: {out}", result.site_index, str, str(out / "data"))
    return _published_message(lines, result, pdf_skipped)


def _publication_lines(result: Any, saved: str, site: str, file_link: Callable[[str], str], data: str) -> list[str]:
    """What was published and where, for both doors (a folder on this PC, or the server's URLs)."""
    lines = [f"{result.fy}年度の公表資料を作成しました（指標 {result.indicators} 件、評価票 {result.policies} 件）。", saved, f"ホームページ: {site}"]
    if result.report_pdf:
        lines.append(f"年次報告書（PDF）: {file_link(result.report_pdf)}")
    if result.evaluation_sheets:
        lines.append(f"評価票（PDF）: {file_link(result.evaluation_sheets)}")
    if result.open_data:
        lines.append(f"オープンデータ: {data}")
    return lines


def _published(ui: _Ui, build: Callable[[bool], Any]) -> tuple[Any, str]:
    """The publication with its PDF, or without when this machine cannot make one: (result, why not)."""
    from envplan.report.publish import PublishError

    ui.status("ホームページ・報告書・オープンデータを作成しています（1分ほどかかることがあります）…")
    try:
        return build(True), ""
    except PublishError as e:
        if not e.pdf_unavailable:
            raise ActionError(f"公表資料を作成できません: {e}") from None
        # No browser or font for the PDF on this machine: the site and open data do not need them.
        ui.status("PDF を作れないため、ホームページとオープンデータだけを作成しています…")
        try:
            return build(False), str(e)
        except PublishError as e2:
            raise ActionError(f"公表資料を作成できません: {e2}") from None


def _published_message(lines: list[str], result: Any, pdf_skipped: str) -> tuple[str, str, dict[str, Any]]:
    if result.warnings:
        lines.append(f"警告 {len(result.warnings)} 件（「検証」で確認できます）")
    if pdf_skipped:
        lines.append(f"\nPDF（年次報告書・評価票）は作成しませんでした。理由: {pdf_skipped}")
        return "\n".join(lines), "warning", {**result.to_json(), "pdf_skipped": pdf_skipped}
    return "\n".join(lines), "info", result.to_json()


def about(book: Any = None) -> ActionOutcome:
    """診断: versions and settings, with what to fix."""
    return _run("診断", book, _about)


def _about(book: Any, ui: _Ui) -> tuple[str, str, dict[str, Any]]:
    from envplan.excel.addin_install import doctor

    ui.status("設定を確認しています…")
    report = doctor(in_excel=True)
    lines = [f"{'○' if c.ok else '✕'} {c.label}: {c.detail}" + ("" if c.ok else f"\n   → {c.fix}") for c in report.checks]
    return "\n".join(lines), "info" if report.ok else "warning", report.to_json()


FROZEN_LISTED = 10  # edits listed in the 確定値 question; the count says how many more


def frozen_edits(book: Any = None, reason_hex: str = "") -> ActionOutcome:
    """確定値: closed-year values typed over in the open book, listed, then accepted
    as corrections (with the reason the button asked for) or restored.

    The ribbon's VBA asks for the reason before calling (an InputBox works in Excel
    on Windows and macOS alike) and passes it as hexadecimal UTF-16 code units, so
    quotes, line breaks and any character reach Python intact in the RunPython line."""
    return _run("確定値", book, lambda b, ui: _frozen_edits(b, ui, text_from_hex(reason_hex)))


def text_from_hex(code_units: str) -> str:
    """The text `HexText` of EnvplanRibbon.bas encoded: 4 hex digits per UTF-16 code unit."""
    code_units = code_units.strip()
    try:
        if len(code_units) % 4:
            raise ValueError(len(code_units))
        return bytes.fromhex(code_units).decode("utf-16-be")
    except ValueError:  # a broken surrogate pair is a UnicodeDecodeError, a ValueError too
        raise ActionError("入力された理由を読み取れませんでした。もう一度「確定値」ボタンを押してください。") from None


def _frozen_edits(book: Any, ui: _Ui, reason: str, answer: str | None = None, callback: str | None = None) -> tuple[str, str, dict[str, Any]]:
    from envplan.excel.live_workbook import LiveMasterSink
    from envplan.survey.yearly import FROZEN_EDITED, YearCycleError, frozen_edit_changes, frozen_edits_found, year_edits
    from envplan.workbook.changes import MasterStateError, apply_edits, load_master_state
    from envplan.workbook.frozen_record import edit_values

    ui.status("ワークブックを読み込んでいます…")
    source = LiveBookSource(book)
    _require_master(source)
    try:
        state = load_master_state(source, tolerate=(FROZEN_EDITED,))
    except MasterStateError as e:
        raise ActionError(f"マスターに確定値の変更のほかにもエラーがあります。「検証」で確認して直してから実行してください。\n\n{_problem_lines(e.diagnostics)}".rstrip()) from None
    ui.status("確定済みの値を記録と照らし合わせています…")
    try:
        edits = frozen_edits_found(state)
    except YearCycleError as e:
        raise ActionError(str(e)) from None
    if not edits:
        return "確定済みの年度の値で、envplan を通さずに変更されたものはありません。", "info", {"edits": [], "answer": None}
    lines = [f"・{e.location} {e.label}: {edit_values(state.plan, e)}" for e in edits[:FROZEN_LISTED]]
    if len(edits) > FROZEN_LISTED:
        lines.append(f"…ほか {len(edits) - FROZEN_LISTED} 件")
    accept = f"理由「{reason.strip()}」を付けて変更履歴に残します" if reason.strip() else "理由が空欄のため、今回は認められません"
    question = (
        f"確定済みの年度の値が {len(edits)} 件、envplan を通さずに変更されています。\n\n" + "\n".join(lines) + "\n\n"
        f"はい: 確定年度の修正として認める（{accept}）\n"
        "いいえ: 記録の値に戻す（このブックのセルに書き戻し、変更履歴に残します）\n"
        "キャンセル: 何もしない"
    )
    if answer is None:
        answer = ui.ask(question, "yes_no_cancel", callback=callback)
        if answer is None and callback:  # xlwings Server: the callback brings the answer in a second call
            return "", DEFERRED, {"edits": [e.to_json() for e in edits], "answer": None}
    details: dict[str, Any] = {"edits": [e.to_json() for e in edits], "answer": answer}
    if answer not in ("yes", "no"):
        why = "" if answer == "cancel" else "（この Excel では選んだボタンを受け取れません。コマンドの envplan year accept-frozen-edits / restore-frozen を使ってください）"
        return f"何も変更しませんでした{why}。", "info", details
    restore = answer == "no"
    if not restore and not reason.strip():
        raise ActionError("修正の理由が空欄のため、変更を認めませんでした。\nもう一度「確定値」ボタンを押し、最初の欄に理由（変更履歴に残します）を入力してください。")
    try:
        yplan = frozen_edit_changes(state, restore=restore, reason=reason)
    except YearCycleError as e:
        raise ActionError(str(e)) from None
    ui.status("記録の値をこのブックに書き戻しています…" if restore else "変更履歴と確定値の記録をこのブックに書き込んでいます…")
    sink = LiveMasterSink(book)
    written = year_edits(state, yplan)
    apply_edits(written, sink, state.reading.policy_sheets)
    sink.refresh_guide(written.plan or state.plan)
    n = len(yplan.changes)
    if restore:
        done = f"{n} 件を記録の値に戻しました（変更履歴に「確定値の復元」として残しました）。"
    else:
        done = f"{n} 件の変更を確定年度の修正として認めました（変更履歴に残し、確定値の記録を更新しました）。"
    message = (
        f"{done}\nこのブックに書き込みました。内容を確認して保存してください（保存するまでファイルは変わりません）。\n"
        "「検証」をもう一度押すと、前回の検証でセルに付けた色とコメントが消えます。"
    )
    return message, "info", {**details, **yplan.summary, "changes": n}


ACTIONS: dict[str, Callable[..., ActionOutcome]] = {
    "validate": validate,
    "compute": compute,
    "issue_templates": issue_templates,
    "consolidate": consolidate,
    "publish": publish,
    "about": about,
    "frozen_edits": frozen_edits,
}


# --- the same buttons through the section's server (xlwings Server: envplan serve) ----------

# The buttons that run on the server on the book Excel sends (xw.Book(json=...)); the others
# need files on the staff PC (or the worksheet functions, which need the desktop mode).
SERVER_ACTIONS = ("validate", "compute", "issue_templates", "consolidate", "publish", "frozen_edits", "about")


@dataclass(frozen=True)
class ServerPlace:
    """Where the server put what a button made: its folder on the server (for the section's
    administrator) and the address at which the user gets it (the server's /status page)."""

    folder: Path
    url: str
    upload_url: str = ""  # 様式発行: where the departments send their returns


def _server_book(book: Any) -> LiveBookSource:
    """The book Excel sent, which must be a master saved as it is shown: what the server makes from
    it is then what the master's file holds, the file the uploads and 取込 are checked against."""
    source = LiveBookSource(book)
    _require_master(source)
    if unsaved_changes(book):
        raise ActionError("保存されていない変更があります。先に上書き保存（Ctrl+S）してから実行してください。")
    return source


def issue_templates_on_server(book: Any, master: Path, place: ServerPlace) -> ActionOutcome:
    """様式発行 through the server: the templates of the open book, signed with the key of the
    server's master (the key the upload page checks), written into the server's templates folder."""

    def body(b: Any, ui: _Ui) -> tuple[str, str, dict[str, Any]]:
        from envplan.survey.template_issue import issue_for_plan, plan_for_issue

        source = _server_book(b)
        paths = _issued(ui, lambda: issue_for_plan(plan_for_issue(source, source.label), master, place.folder))
        return (
            f"照会様式を {len(paths)} 件作成しました（サーバーのフォルダ {place.folder}）。\n"
            f"ダウンロード（まとめた zip）: {place.url}\n（環境計画の担当課のページにログインして開きます）\n{_file_names(paths)}\n\n"
            f"所管課に送り、回答は提出ページ {place.upload_url} から提出してもらってください。",
            "info",
            {"folder": str(place.folder), "files": [str(p) for p in paths], "download": place.url},
        )

    return _run("様式発行", book, body)


def publish_on_server(book: Any, place: ServerPlace) -> ActionOutcome:
    """公表 through the server: the publication of the open book, written into the server's site
    folder (which it serves at /site/), with the PDF when the server has a browser for it."""

    def body(b: Any, ui: _Ui) -> tuple[str, str, dict[str, Any]]:
        from envplan.report.publish import publish_source

        source = _server_book(b)
        result, pdf_skipped = _published(ui, lambda pdf: publish_source(source, source.label, place.folder, pdf=pdf))
        base = place.url.rstrip("/")
        lines = _publication_lines(result, f"保存先（サーバー）: {place.folder}", f"{base}/", lambda p: f"{base}/{Path(p).name}", f"{base}/data/")
        message, level, details = _published_message(lines, result, pdf_skipped)
        return message, level, {**details, "site_url": f"{base}/"}

    return _run("公表", book, body)


def consolidate_on_server(book: Any, master: Path, inbox: Path) -> ActionOutcome:
    """取込 through the server: the returns of the server's inbox (uploaded at /upload), checked
    with the server's signing key against the open book and applied to it, as the desktop 取込 does."""

    def body(b: Any, ui: _Ui) -> tuple[str, str, dict[str, Any]]:
        from envplan.survey import consolidate as consolidation

        ui.status("回答を検査しています…")
        return consolidation_in_book(consolidation, master, inbox, b, ui)

    return _run("取込", book, body)


def frozen_edits_on_server(book: Any, reason_hex: str, answer: str, callback: str) -> ActionOutcome:
    """確定値 through the server, in two calls: the first lists the edits and asks, with `callback`
    (a VBA macro of the add-in) to run with the button pressed; the callback calls again with
    `answer` (yes / no / cancel), which then does what the desktop button does on that answer.
    The question is modal, so the book cannot change between the two calls."""
    given = answer.lower() or None
    if given not in (None, "yes", "no", "cancel"):

        def refuse(b: Any, ui: _Ui) -> tuple[str, str, dict[str, Any]]:
            raise ActionError("答えを読み取れませんでした。もう一度「確定値」ボタンを押してください。")

        return _run("確定値", book, refuse)
    return _run("確定値", book, lambda b, ui: _frozen_edits(b, ui, text_from_hex(reason_hex), answer=given, callback=callback))


def not_configured(book: Any, label: str, key: str) -> ActionOutcome:
    """A button whose output folder the server's configuration does not name: said plainly, nothing done."""

    def body(b: Any, ui: _Ui) -> tuple[str, str, dict[str, Any]]:
        raise ActionError(f"サーバーの設定に「{label}」の出力先（{key}）がないため、サーバー方式では実行できません。\nサーバーの管理者に、設定ファイルへ {key} を書いてもらってください。")

    return _run(label, book, body)


def about_server(book: Any, lines: list[str]) -> ActionOutcome:
    """診断 through the server: what the server runs, and which buttons work in this mode."""
    return _run("診断", book, lambda b, ui: ("\n".join(lines), "info", {"lines": lines}))
