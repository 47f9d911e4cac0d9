"""The CLI's shared parts: the typer app, console output, JSON and exit codes.

Exit codes: 0 success, 1 validation errors or rejected files, 2 usage or
environment error (missing file, master busy, missing tool).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

app = typer.Typer(
    name="envplan",
    help="環境基本計画の進行管理: マスターワークブックの作成・検証・集計・様式発行・取込・公表",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Progress and tables go to stderr so that --json leaves stdout to one JSON object.
console = Console(stderr=True, highlight=False)

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_ENVIRONMENT = 2


def emit_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def fail(message: str, message_en: str, *, as_json: bool = False, code: int = EXIT_ENVIRONMENT) -> NoReturn:
    if as_json:
        emit_json({"ok": False, "error": {"message": message, "message_en": message_en}})
    console.print(f"[bold red]エラー:[/] {message}")
    raise typer.Exit(code)


def existing_file(path: Path, as_json: bool) -> Path:
    if not path.exists():
        fail(f"ファイルが見つかりません: {path}", f"file not found: {path}", as_json=as_json)
    if path.is_dir():
        fail(f"フォルダではなくワークブックのファイルを指定してください: {path}", f"expected a workbook file, got a folder: {path}", as_json=as_json)
    return path
