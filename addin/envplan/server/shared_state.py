"""What the server's worker processes share, kept in its work folder: the key
that signs login cookies and CSRF tokens, the per-client request counts (a
small SQLite file), a lock for filing uploads once, and the request log,
rotated by size whichever process writes it.

With one process these cost nothing noticeable; with `envplan serve --workers N`
they make a login valid on every worker, a rate limit count every worker's
requests, and the same upload filed once.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from envplan.server.config import ServerConfig

try:  # POSIX: a lock the kernel releases when its process dies
    import fcntl
except ImportError:  # Windows runs one worker (single_process.refuse_workers): the thread locks suffice
    fcntl = None  # type: ignore[assignment]

SESSION_KEY = "session.key"
RATES = "requests-per-client.sqlite3"


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (held by the open file: freed however the process ends)."""
    if fcntl is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def session_key(work: Path) -> bytes:
    """The signing key of the section's cookies, made once (owner-only file), the same for every worker
    and kept across restarts (a restart does not log the section out)."""
    path = work / SESSION_KEY
    if not path.exists():
        tmp = work / f".{SESSION_KEY}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic and never over a key another worker made first
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


class SharedRateLimiter:
    """At most `limit` events per client in any `window` seconds, counted over every worker process
    (a table in the work folder; a lost count after a crash only forgives a few requests)."""

    def __init__(self, path: Path, bucket: str, limit: int, window: float = 60.0) -> None:
        self.bucket, self.limit, self.window = bucket, limit, window
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE IF NOT EXISTS events (bucket TEXT NOT NULL, client TEXT NOT NULL, at REAL NOT NULL)")
        self._db.execute("CREATE INDEX IF NOT EXISTS events_by_client ON events (bucket, client, at)")
        self._db.execute("CREATE INDEX IF NOT EXISTS events_by_time ON events (at)")

    def allow(self, client: str) -> float:
        """0 when allowed (and counted), else the seconds to wait."""
        now = time.time()  # the wall clock: the same in every process
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM events WHERE at <= ?", (now - self.window,))
                n, first = self._db.execute("SELECT COUNT(*), MIN(at) FROM events WHERE bucket = ? AND client = ?", (self.bucket, client)).fetchone()
                if n >= self.limit:
                    return max(1.0, first + self.window - now)
                self._db.execute("INSERT INTO events VALUES (?, ?, ?)", (self.bucket, client, now))
                return 0.0
            finally:
                self._db.execute("COMMIT")


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """The request log rotated by size with several processes writing it: each line is written under
    a lock, to the file now at the log's name (reopened when another process has rotated it)."""

    def __init__(self, filename: Path, max_bytes: int, backups: int) -> None:
        super().__init__(filename, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True)
        self._lock_file = Path(filename).with_name(f".{Path(filename).name}.lock")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            with file_lock(self._lock_file):
                if self.stream is not None and not _same_file(self.stream.fileno(), self.baseFilename):
                    self.stream.close()
                    self.stream = None
                super().emit(record)  # checks the size (of the file as it is now), rotates, writes
                if self.stream is not None:
                    self.stream.flush()
        except Exception:  # noqa: BLE001 — logging must never fail a request
            self.handleError(record)


def _same_file(fd: int, path: str) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except OSError:
        return False


def configure_request_log(config: ServerConfig) -> None:
    """The request log: one JSON line per request (who, what, outcome), never a file's contents; rotated by size."""
    handler = SharedRotatingFileHandler(config.log_file, config.log_max_bytes, config.log_backups)
    handler.setFormatter(logging.Formatter("%(message)s"))
    requests_log = logging.getLogger("envplan.server.requests")
    requests_log.addHandler(handler)
    requests_log.setLevel(logging.INFO)
