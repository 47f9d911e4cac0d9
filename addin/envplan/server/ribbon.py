"""The ribbon's buttons through the server (xlwings Server): an add-in built with
`envplan addin build --server URL` posts the open workbook as JSON to
`URL/xlwings/<action>` (xlwings' `RunRemotePython`, with the installation's API
key as its `auth`); the server runs **the same** ribbon function on
`xw.Book(json=...)` and answers with the actions Excel then carries out.

The remote engine is xlwings PRO (PolyForm Noncommercial for government
institutions, a commercial licence otherwise): its licence key is read from
the server's environment (XLWINGS_LICENSE_KEY), never from a request.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
import zipfile
from pathlib import Path
from typing import Any

from envplan import __version__
from envplan.excel import actions
from envplan.excel.addin_build import ADDIN_NAME
from envplan.server.config import ServerConfig

TEMPLATES_ZIP = "/status/templates.zip"  # the last templates issued through the server, for the section (login)
ISSUED = ".envplan-issued.json"
RUNNING = threading.Lock()  # one ribbon action at a time: each holds a whole book in memory
HEX = re.compile(r"(?:[0-9A-Fa-f]{4}){0,2000}")
# The add-in's macro xlwings runs with the button pressed in 確定値's question (server mode only).
FROZEN_CALLBACK = f"'{ADDIN_NAME}'!EnvplanRibbon.EnvplanFrozenAnswer"


def _record_issue(folder: Path, names: list[str]) -> None:
    """Which files the last issue made (the folder may hold older ones): the zip holds just these."""
    tmp = folder / f".{ISSUED}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / ISSUED)


def issued_zip(folder: Path) -> bytes | None:
    """The last issue's templates as one zip, or None before any. Only plain files directly in the
    folder, named in the record the server wrote: nothing a request names is opened."""
    try:
        names = json.loads((folder / ISSUED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = [folder / n for n in names if isinstance(n, str) and n == Path(n).name and not n.startswith(".")]
    files = [f for f in files if f.is_file() and not f.is_symlink()]
    if not files:
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            z.write(f, f.name)
    return buffer.getvalue()


class RibbonRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def server_diagnosis(config: ServerConfig) -> list[str]:
    import xlwings

    works = "検証・集計・様式発行・取込・公表・確定値・診断"  # actions.SERVER_ACTIONS
    outputs = []
    for label, folder, key in (("様式発行", config.templates_dir, "templates_dir"), ("公表", config.site, "site")):
        outputs.append(f"○ {label}の出力先（サーバー）: {folder}" if folder else f"✕ {label}: サーバーの設定に出力先（{key}）がないため使えません。サーバーの管理者に連絡してください")
    return [
        "○ サーバー方式: ボタンはサーバーの envplan が処理します（この PC に Python は不要です）。",
        f"○ サーバー: envplan {__version__} / xlwings {xlwings.__version__}",
        f"○ サーバー方式で使えるボタン: {works}（取込はサーバーの受付フォルダ、つまり提出ページで受け付けた回答を取り込みます）",
        *outputs,
        "   → 様式発行・公表で作ったものはサーバーに置かれ、メッセージのアドレス（担当課のページ）から取り出せます。",
        "✕ サーバー方式で使えないもの: ワークシート関数（ENVPLAN_ で始まる関数。デスクトップ方式が必要です）",
        "○ 確定値: 一覧と質問を表示し、押したボタン（はい・いいえ・キャンセル）をアドインがもう一度サーバーに送って続けます。",
    ]


def run_action(config: ServerConfig, action: str, payload: Any, query: dict[str, str], base_url: str = "") -> dict[str, Any]:
    """The actions Excel is to carry out (book.json()), for one button press. `base_url`: the
    server's address as the request reached it, for the links (config.public_url wins)."""
    import xlwings as xw

    if action not in actions.SERVER_ACTIONS:
        raise RibbonRefused(404, f"ボタン「{action}」はありません")
    if not isinstance(payload, dict) or "sheets" not in payload or "book" not in payload:
        raise RibbonRefused(400, "ブックの内容（xlwings の JSON）が送られていません")
    if not os.environ.get("XLWINGS_LICENSE_KEY"):
        raise RibbonRefused(503, "サーバーに xlwings のライセンスキー（環境変数 XLWINGS_LICENSE_KEY）が設定されていません。サーバーの管理者に連絡してください")
    base = (config.public_url or base_url).rstrip("/")
    with RUNNING:
        try:
            book = xw.Book(json=payload)
        except Exception as e:  # a payload the remote engine cannot take: the client's problem, said plainly
            raise RibbonRefused(400, f"ブックの内容を読み取れません（{type(e).__name__}）") from e
        if action == "validate":
            actions.validate(book)
        elif action == "compute":
            actions.compute(book)
        elif action == "consolidate":
            actions.consolidate_on_server(book, config.master, config.inbox)
        elif action == "issue_templates":
            if config.templates_dir is None:
                actions.not_configured(book, "様式発行", "templates_dir")
            else:
                outcome = actions.issue_templates_on_server(book, config.master, actions.ServerPlace(config.templates_dir, f"{base}{TEMPLATES_ZIP}", f"{base}/upload"))
                if outcome.ok:
                    _record_issue(config.templates_dir, [Path(f).name for f in outcome.details["files"]])
        elif action == "publish":
            if config.site is None:
                actions.not_configured(book, "公表", "site")
            else:
                actions.publish_on_server(book, actions.ServerPlace(config.site, f"{base}/site/"))
        elif action == "frozen_edits":
            reason = query.get("reason_hex", "")
            if not HEX.fullmatch(reason):
                raise RibbonRefused(400, "理由の形式が正しくありません")
            actions.frozen_edits_on_server(book, reason, query.get("answer", ""), FROZEN_CALLBACK)
        else:
            actions.about_server(book, server_diagnosis(config))
        return book.json()
