"""The CLI's shared parts: the command tree, console output, JSON, exit codes, and
the outer `run` that turns usage errors, Ctrl-C and unexpected failures into a
Japanese message (and one JSON object with --json) instead of a traceback.

Exit codes: 0 success, 1 validation errors or rejected files, 2 usage or
environment error (missing file, wrong format, master busy, a folder that
cannot be written, missing tool), 3 unexpected error (a defect; the traceback
is written to a log file), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any, NoReturn

from envplan.cli.commands import Exit, Group, HelpRequested, UsageError
from envplan.cli.output import console, escape

app = Group("envplan", help="環境基本計画の進行管理: マスターワークブックの作成・検証・集計・様式発行・取込・公表")

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_ENVIRONMENT = 2
EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130

MASTER_SUFFIXES = (".xlsx", ".xlsm")
# What to do with a file of another format given as the master.
OTHER_FORMATS = {
    ".xls": "Excel 97-2003 形式（.xls）のため読めません。Excel で開き、「名前を付けて保存」で「Excel ブック (*.xlsx)」を選んで保存し直してください",
    ".xlsb": "Excel バイナリ形式（.xlsb）のため読めません。Excel で開き、「名前を付けて保存」で「Excel ブック (*.xlsx)」を選んで保存し直してください",
    ".ods": "OpenDocument 形式（.ods）のため読めません。LibreOffice の「名前を付けて保存」で「Excel 2007-365 (.xlsx)」を選んで保存し直してください",
    ".csv": "CSV のため読めません。マスターワークブック（.xlsx）を指定してください（新しく作るときは envplan init）",
}
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # .xls, and any password-protected Office file
INTERRUPTED_MESSAGE = (
    "中断しました（Ctrl+C）。マスターは一時ファイルに書いてから置き換えるため、実行前か完了後のどちらかの状態です。"
    "必要なら同じコマンドを実行し直してください"
)


JSON_INDENT_MAX = 200_000  # characters: a larger result is written on one line


def emit_json(data: dict[str, Any]) -> None:
    # The standard library encodes at C speed only without indentation: a large result (the
    # table of a 1,000-file inbox) is written compact, a small one indented for people to read.
    text = json.dumps(data, ensure_ascii=False, default=str)
    if len(text) <= JSON_INDENT_MAX:
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(text + "\n")


def fail(message: str, message_en: str, *, as_json: bool = False, code: int = EXIT_ENVIRONMENT) -> NoReturn:
    if as_json:
        emit_json({"ok": False, "error": {"message": message, "message_en": message_en}})
    console.print(f"[bold red]エラー:[/] {escape(message)}")  # a file name like [draft].xlsx is text, not markup
    raise Exit(code)


def existing_file(path: Path, as_json: bool) -> Path:
    """The master workbook named on the command line: an existing .xlsx file, checked
    before any reader touches it (a pipe would hang it, an .xls would give a library's English)."""
    if not path.exists():
        fail(f"ファイルが見つかりません: {path}", f"file not found: {path}", as_json=as_json)
    if path.is_dir():
        fail(f"フォルダではなくワークブックのファイルを指定してください: {path}", f"expected a workbook file, got a folder: {path}", as_json=as_json)
    if not path.is_file():
        fail(f"{path} は通常のファイルではありません（パイプや装置など）。マスターワークブック（.xlsx）を指定してください", f"{path} is not a regular file", as_json=as_json)
    suffix = path.suffix.lower()
    if suffix not in MASTER_SUFFIXES:
        advice = OTHER_FORMATS.get(suffix, "マスターワークブックは .xlsx 形式のファイルです（拡張子が .xlsx のファイルを指定してください）")
        fail(f"{path.name} は {advice}", f"{path.name}: the master must be an .xlsx workbook (got {suffix or 'no extension'})", as_json=as_json)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as e:
        fail(f"{path} を読めません（{os_error_text(e)}）", f"cannot read {path}: {e}", as_json=as_json)
    if head == OLE_MAGIC:
        fail(
            f"{path.name} はパスワード付きのブックか、拡張子だけが .xlsx の .xls 形式のファイルです。Excel で開き、"
            "パスワードを外して（［ファイル］→［情報］→［ブックの保護］）「Excel ブック (*.xlsx)」で保存し直してください",
            f"{path.name} is password-protected or an .xls file renamed to .xlsx",
            as_json=as_json,
        )
    if not head.startswith(b"PK"):
        fail(
            f"{path.name} は .xlsx 形式のワークブックではありません（中身が別の形式か、空のファイルです）。マスターワークブックを指定してください",
            f"{path.name} is not an .xlsx workbook (not a zip file)",
            as_json=as_json,
        )
    if _is_survey_template(path):
        fail(
            f"{path.name} は所管課への照会様式（または返送された回答）で、マスターワークブックではありません。マスターワークブックを指定してください",
            f"{path.name} is a department template or return, not the master",
            as_json=as_json,
        )
    return path


def _is_survey_template(path: Path) -> bool:
    """A template (or a return) has the signed identity sheet; a master never has. Read from the
    book's sheet list alone (a bad zip is left for the reader to explain)."""
    import zipfile
    from xml.etree.ElementTree import _escape_attrib  # type: ignore[attr-defined]  # as openpyxl writes workbook.xml (workbook/xlsx_save.py too)

    from envplan.survey.template_layout import IDENTITY_SHEET

    try:
        with zipfile.ZipFile(path) as z:
            book = z.read("xl/workbook.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    # ElementTree is imported already (openpyxl); xml.sax.saxutils would bring urllib and ssl, a fiftieth of a second.
    return f'name="{_escape_attrib(IDENTITY_SHEET)}"'.encode() in book


def open_workbook(path: Path, as_json: bool) -> Any:
    """The master opened with the fast reader; a damaged file is said plainly (exit 2)."""
    from envplan.workbook.io import UnreadableWorkbook
    from envplan.workbook.io import open_workbook as open_fast

    try:
        return open_fast(path)
    except UnreadableWorkbook as e:  # a damaged or truncated zip
        fail(
            f"{e.message}。壊れているか、途中で切れています。Excel で開けるか確かめてください。開けないときは バックアップ/ の以前のファイルを使ってください",
            e.message_en,
            as_json=as_json,
        )


def master_error_en(e: Exception) -> str:
    """English for --json of the master store's errors (their messages are Japanese)."""
    from envplan.workbook.store import MasterBusyError

    if isinstance(e, MasterBusyError):
        return "the master is in use (another run, or open in Excel/LibreOffice) or was replaced since it was read; nothing was written"
    return "the master could not be written (disk full or no permission); it is unchanged"


def os_error_text(e: OSError) -> str:
    """A failed file operation, said for the person at the desk (with the path)."""
    from envplan.workbook.store import write_error_reason

    reasons = {
        errno.EEXIST: "同じ名前のファイルが既にあります",
        errno.ENOTDIR: "途中にフォルダでないファイルがあります",
        errno.EISDIR: "ファイルではなくフォルダです",
        errno.ENOENT: "見つかりません",
        errno.EBUSY: "使用中のため変更できません（マウントされたフォルダなど）",
        errno.ENAMETOOLONG: "名前が長すぎます",
    }
    reason = (reasons.get(e.errno) if e.errno is not None else None) or write_error_reason(e)  # disk full, no permission, read-only
    return f"{e.filename}: {reason}" if e.filename else reason


def parse_fy_option(fy: str | None, as_json: bool, option: str = "--fy") -> int | None:
    """A fiscal year typed as an option (2022, 令和4年度, R4, H34 ...); exit 2 when unreadable."""
    from envplan.plan.years import YearError, parse_fy

    if fy is None:
        return None
    try:
        return parse_fy(fy)
    except YearError as e:
        fail(f"{option}「{fy}」を年度として読めません（{e.reason}）", f"cannot read {option} {fy!r} as a fiscal year", as_json=as_json)


# --- the outer run: what `envplan` does around the commands ---------------------


def run(args: list[str] | None = None) -> int:
    """Run `envplan` with `args`; returns the exit code. No traceback ever reaches the user."""
    from envplan.cli.commands import resolve

    args = sys.argv[1:] if args is None else list(args)
    as_json = "--json" in args[: args.index("--")] if "--" in args else "--json" in args
    ctrl_c = _CtrlC()
    try:
        with ctrl_c:
            command, arguments = resolve(app, args, "envplan")
            command.callback(**arguments)
    except HelpRequested as h:
        from envplan.cli.help import print_help

        print_help(h.node, h.path)
        return h.code
    except UsageError as e:
        return _usage_error(e, as_json)
    except KeyboardInterrupt:
        return _interrupted(as_json)
    except Exit as e:
        return e.exit_code
    except Exception as e:  # noqa: BLE001 — the last line: a message, never a traceback
        if ctrl_c.seen:  # Ctrl-C, handed back by a library as an error of its own
            return _interrupted(as_json)
        return _unexpected(e, args, as_json)
    return EXIT_OK


class _CtrlC:
    """Ctrl-C noted as it arrives, then KeyboardInterrupt as with Python's own handler. Code of a
    library that calls back into Python may turn that KeyboardInterrupt into an error of its own
    (pydantic-core building a model's validator on its first use: SchemaError "KeyboardInterrupt"),
    which is still the user's Ctrl-C, not a defect to log."""

    def __init__(self) -> None:
        self.seen = False
        self._previous: Any = None

    def __enter__(self) -> _CtrlC:
        try:
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # only in place of Python's own
                self._previous = signal.signal(signal.SIGINT, self._note)
        except ValueError:  # not the main thread: signals are not ours to change
            pass
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None and signal.getsignal(signal.SIGINT) == self._note:
            signal.signal(signal.SIGINT, self._previous)

    def _note(self, signum: int, frame: Any) -> None:
        self.seen = True
        raise KeyboardInterrupt


def prompt(text: str, default: str = "", show_default: bool = True) -> str:
    """A question at the terminal (`envplan init` without its options); Enter takes `default`."""
    from rich.prompt import Prompt

    return Prompt.ask(escape(text), default=default, show_default=show_default, console=console.rich)


def _interrupted(as_json: bool) -> int:
    if as_json:
        emit_json({"ok": False, "error": {"message": INTERRUPTED_MESSAGE, "message_en": "interrupted (Ctrl-C); the master is as before or fully updated"}})
    console.print(f"[bold red]{INTERRUPTED_MESSAGE}[/]")
    return EXIT_INTERRUPTED


def _usage_error(e: UsageError, as_json: bool) -> int:
    if as_json:
        emit_json({"ok": False, "error": {"message": str(e), "message_en": e.message_en}})
    console.print(f"[bold red]エラー:[/] {escape(str(e))}")
    console.print(f"使い方は {e.command_path} --help で表示します", markup=False)
    return EXIT_ENVIRONMENT


def _unexpected(e: Exception, args: list[str], as_json: bool) -> int:
    log = _write_log(e, args)
    if isinstance(e, OSError):  # a folder or file the system refused: the environment, not a defect
        message = f"ファイルを読み書きできませんでした（{os_error_text(e)}）。処理は中断しました。詳細: {log}"
        code = EXIT_ENVIRONMENT
    else:
        message = (
            f"予期しないエラーが発生しました（{type(e).__name__}: {e}）。処理は中断しました。"
            f"マスターは実行前か完了後のどちらかの状態です。詳細を記録しました: {log}（情報システム担当に渡してください）"
        )
        code = EXIT_UNEXPECTED
    if as_json:
        emit_json({"ok": False, "error": {"message": message, "message_en": f"{type(e).__name__}: {e} (details: {log})"}})
    console.print(f"[bold red]エラー:[/] {escape(message)}")
    return code


def _write_log(e: BaseException, args: list[str]) -> str:
    from envplan.paths import log_dir

    folder = log_dir()
    path = folder / f"envplan-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(f"envplan {' '.join(args)}\n{''.join(traceback.format_exception(e))}", encoding="utf-8")
    except OSError:
        return "（ログを書けませんでした）"
    return str(path)


def fy_option(value: str | None, what: str, as_json: bool) -> int | None:
    """A year typed on the command line, in any form the workbook accepts (2021, R3, 令和3年度)."""
    from envplan.plan.years import YearError, parse_fy

    if value is None:
        return None
    try:
        return parse_fy(value.strip())
    except YearError:
        fail(f"{what}「{value}」を年度として読めません（例: 2021、R3、令和3年度）", f"{what} {value!r} is not a fiscal year", as_json=as_json, code=EXIT_INVALID)
