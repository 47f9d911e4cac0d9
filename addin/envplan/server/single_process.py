"""One server process per work folder.

The server keeps some of its state in its own process: the key that signs the
section's login cookies and CSRF tokens (made at start), the per-client rate
limits, the lock that files an upload once however often it is sent, the
rotation of the request log. Two processes on the same folders (`uvicorn
--workers N`, WEB_CONCURRENCY, or a second `envplan serve` on another port)
would each keep their own: logins valid on one worker only, N times the rate
limit, the same upload filed twice, a log rotated under the other's feet. So
the server refuses to run so: it holds a lock on its work folder for as long
as it runs (the kernel frees it when the process ends, however it ends), and
`envplan serve` refuses more than one worker. One process is enough for a
section: a verdict takes a fraction of a second (benchmarks/bench_serve.py).
"""

from __future__ import annotations

from pathlib import Path

from envplan.server.config import ConfigError
from envplan.workbook.store import MasterBusyError, MasterLock, lock_path

LOCK_NAME = "envplan-serve"


def take_work_folder(work: Path) -> MasterLock:
    """The work folder's lock, held until the process ends (or the lock is released)."""
    work.mkdir(parents=True, exist_ok=True)
    lock = MasterLock(work / LOCK_NAME, check_office=False)
    try:
        return lock.__enter__()
    except MasterBusyError:
        try:
            holder = lock_path(work / LOCK_NAME).read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            holder = ""
        raise ConfigError(
            f"作業フォルダ {work} は、すでに動いている別の envplan serve（{holder or 'プロセス不明'}）が使っています。"
            "サーバーは1つの作業フォルダにつき1つのプロセスで動かします（ログインの確認・回数の上限・提出の受付をそのプロセスが管理するため）。"
            "すでに動いているサーバーを使うか、止めてから起動してください",
            f"the work folder {work} is in use by another envplan serve ({holder or 'unknown process'}); run one server process per work folder",
        ) from None


def refuse_workers(workers: int, web_concurrency: str | None) -> None:
    """More than one worker process: refused, saying why (see the module's docstring)."""
    asked = workers
    if web_concurrency and web_concurrency.strip():
        try:
            asked = max(asked, int(web_concurrency))
        except ValueError:
            raise ConfigError(f"環境変数 WEB_CONCURRENCY の値が数ではありません（{web_concurrency}）", f"WEB_CONCURRENCY is not a number: {web_concurrency}") from None
    if asked > 1:
        raise ConfigError(
            f"envplan serve は1つのプロセスで動きます（指定されたワーカー数: {asked}）。ログインの確認・回数の上限・提出の受付をそのプロセスが管理するため、"
            "複数のワーカー（--workers、環境変数 WEB_CONCURRENCY）では正しく動きません。--workers を付けず（WEB_CONCURRENCY も消して）起動してください。"
            "1つのプロセスで、通常の提出の判定は1秒未満です",
            f"envplan serve runs as one process (asked for {asked} workers): sessions, rate limits and upload filing are kept in the process; start it without --workers / WEB_CONCURRENCY",
        )
