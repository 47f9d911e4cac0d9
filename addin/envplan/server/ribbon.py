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

import os
import re
import threading
from typing import Any

from envplan import __version__
from envplan.excel import actions
from envplan.excel.addin_build import ADDIN_NAME
from envplan.server.config import ServerConfig

RUNNING = threading.Lock()  # one ribbon action at a time: each holds a whole book in memory
HEX = re.compile(r"(?:[0-9A-Fa-f]{4}){0,2000}")
# The add-in's macro xlwings runs with the button pressed in 確定値's question (server mode only).
FROZEN_CALLBACK = f"'{ADDIN_NAME}'!EnvplanRibbon.EnvplanFrozenAnswer"


class RibbonRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def server_diagnosis(config: ServerConfig) -> list[str]:
    import xlwings

    works = "検証・集計・取込・確定値・診断"  # actions.SERVER_ACTIONS
    return [
        "○ サーバー方式: ボタンはサーバーの envplan が処理します（この PC に Python は不要です）。",
        f"○ サーバー: envplan {__version__} / xlwings {xlwings.__version__}",
        f"○ サーバー方式で使えるボタン: {works}（取込はサーバーの受付フォルダ、つまり提出ページで受け付けた回答を取り込みます）",
        "✕ サーバー方式で使えないもの: 様式発行・公表（マスターのファイルから作るため）、ワークシート関数（ENVPLAN_ で始まる関数。デスクトップ方式が必要です）",
        "   → これらは計画の担当課の Python の入った PC のアドイン、またはコマンド（envplan issue / envplan publish）で行います。",
        "○ 確定値: 一覧と質問を表示し、押したボタン（はい・いいえ・キャンセル）をアドインがもう一度サーバーに送って続けます。",
    ]


def run_action(config: ServerConfig, action: str, payload: Any, query: dict[str, str]) -> dict[str, Any]:
    """The actions Excel is to carry out (book.json()), for one button press."""
    import xlwings as xw

    if action not in actions.SERVER_ACTIONS and action not in actions.DESKTOP_ONLY:
        raise RibbonRefused(404, f"ボタン「{action}」はありません")
    if not isinstance(payload, dict) or "sheets" not in payload or "book" not in payload:
        raise RibbonRefused(400, "ブックの内容（xlwings の JSON）が送られていません")
    if not os.environ.get("XLWINGS_LICENSE_KEY"):
        raise RibbonRefused(503, "サーバーに xlwings のライセンスキー（環境変数 XLWINGS_LICENSE_KEY）が設定されていません。サーバーの管理者に連絡してください")
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
        elif action == "frozen_edits":
            reason = query.get("reason_hex", "")
            if not HEX.fullmatch(reason):
                raise RibbonRefused(400, "理由の形式が正しくありません")
            actions.frozen_edits_on_server(book, reason, query.get("answer", ""), FROZEN_CALLBACK)
        elif action == "about":
            actions.about_server(book, server_diagnosis(config))
        else:
            actions.not_on_server(book, action)
        return book.json()
