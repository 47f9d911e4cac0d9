"""One server per work folder, in one process or several workers.

A server's state is in its work folder (shared_state: the cookie key, the
request counts, the filing lock, the log): the workers of one `envplan serve
--workers N` share it. A second, separate server on the same folders would
share it without being the same server (it would clear the staging folder of
uploads the first is judging), so the process that starts the server holds a
lock on the work folder as long as it runs (the kernel frees it when the
process ends, however it ends) and a second one is refused.

On Windows (no flock for the shared log and filing lock between processes),
the server runs one worker and refuses more, saying why.
"""

from __future__ import annotations

from pathlib import Path

from envplan.server.config import ConfigError
from envplan.server.shared_state import fcntl
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
            "作業フォルダはサーバー1つにつき1つです（ログインの鍵・回数の上限・提出の受付の記録を置くため）。"
            "すでに動いているサーバーを使うか（複数のプロセスで動かすときは --workers N）、止めてから起動してください",
            f"the work folder {work} is in use by another envplan serve ({holder or 'unknown process'}); one server per work folder (use --workers N for several processes)",
        ) from None


def worker_count(workers: int, web_concurrency: str | None) -> int:
    """The worker processes asked for (--workers, else uvicorn's WEB_CONCURRENCY); more than one refused where unsupported."""
    asked = workers
    if workers == 1 and web_concurrency and web_concurrency.strip():
        try:
            asked = int(web_concurrency)
        except ValueError:
            raise ConfigError(f"環境変数 WEB_CONCURRENCY の値が数ではありません（{web_concurrency}）", f"WEB_CONCURRENCY is not a number: {web_concurrency}") from None
    if asked < 1:
        raise ConfigError(f"ワーカーの数は1以上にしてください（指定: {asked}）", f"the number of workers must be at least 1 (got {asked})")
    if asked > 1 and fcntl is None:
        raise ConfigError(
            f"この OS（Windows）では envplan serve は1つのプロセスで動きます（指定されたワーカー数: {asked}）。ワーカーの間でログと提出の受付を"
            "ロックする仕組み（flock）がないためです。--workers を付けず（環境変数 WEB_CONCURRENCY も消して）起動してください。1つのプロセスで、通常の提出の判定は1秒未満です",
            f"on Windows envplan serve runs as one process (asked for {asked} workers): start it without --workers / WEB_CONCURRENCY",
        )
    return asked
