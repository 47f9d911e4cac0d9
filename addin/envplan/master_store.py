"""Safe writes of the master workbook: one writer at a time, atomic replace,
the previous version kept as a timestamped backup.

A run takes `MasterLock` (a lock file beside the master, created exclusively)
and refuses to write while Excel or LibreOffice has the master open (their
`~$name` / `.~lock.name#` files). The new content is written to a temporary
file in the same folder, flushed to disk, then renamed over the master, so a
crash leaves either the old or the new file, never a mixture.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

BACKUP_DIR_NAME = "バックアップ"
KEEP_BACKUPS = 30


class MasterBusyError(RuntimeError):
    """Another run holds the lock, or a spreadsheet program has the master open."""


class MasterWriteError(RuntimeError):
    """The master could not be written (disk full, permissions); it is unchanged."""


def lock_path(master: Path) -> Path:
    return master.with_name(f".{master.name}.envplan.lock")


def office_lock_files(master: Path) -> list[Path]:
    """Files Excel (~$name) and LibreOffice (.~lock.name#) create while a book is open."""
    candidates = [master.with_name("~$" + master.name), master.with_name(f".~lock.{master.name}#")]
    return [p for p in candidates if p.exists()]


class MasterLock:
    """Exclusive lock on a master for the length of a run."""

    def __init__(self, master: str | Path, *, wait_seconds: float = 0.0, check_office: bool = True) -> None:
        self.master = Path(master)
        self.path = lock_path(self.master)
        self.wait_seconds = wait_seconds
        self.check_office = check_office
        self._fd: int | None = None

    def __enter__(self) -> "MasterLock":
        if self.check_office:
            open_by = office_lock_files(self.master)
            if open_by:
                raise MasterBusyError(
                    f"{self.master.name} は Excel などで開かれています（{open_by[0].name}）。閉じてから実行してください"
                )
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                self._fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                os.write(self._fd, f"{os.getpid()}@{socket.gethostname()} {dt.datetime.now().isoformat()}\n".encode())
                return self
            except FileExistsError:
                if self._stale():
                    self.path.unlink(missing_ok=True)
                    continue
                if time.monotonic() >= deadline:
                    holder = self.path.read_text(encoding="utf-8", errors="replace").strip()
                    raise MasterBusyError(
                        f"{self.master.name} は別の処理が使用中です（{holder}）。終わるのを待ってから実行してください"
                    ) from None
                time.sleep(0.2)

    def _stale(self) -> bool:
        """A lock left by a process on this machine that no longer runs."""
        try:
            holder = self.path.read_text(encoding="utf-8").split()[0]
            pid_text, host = holder.split("@", 1)
            if host != socket.gethostname():
                return False
            os.kill(int(pid_text), 0)
            return False
        except ProcessLookupError:
            return True
        except (OSError, ValueError, IndexError):
            return False

    def __exit__(self, *exc: Any) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self.path.unlink(missing_ok=True)


def backup(master: Path) -> Path | None:
    """Copy the current master to バックアップ/name.YYYYmmdd-HHMMSS.xlsx; keep the newest few."""
    if not master.exists():
        return None
    folder = master.parent / BACKUP_DIR_NAME
    folder.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{master.stem}.{stamp}{master.suffix}"
    shutil.copy2(master, target)
    olds = sorted(folder.glob(f"{master.stem}.*{master.suffix}"))
    for old in olds[:-KEEP_BACKUPS]:
        old.unlink(missing_ok=True)
    return target


def atomic_save(workbook: Any, master: Path, *, keep_backup: bool = True) -> Path | None:
    """Save an openpyxl workbook over `master` atomically. Returns the backup path."""
    master = Path(master)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{master.stem}.", suffix=".tmp.xlsx", dir=master.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        workbook.save(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        saved_backup = backup(master) if keep_backup else None
        os.replace(tmp, master)
        _fsync_dir(master.parent)
        return saved_backup
    except OSError as e:
        raise MasterWriteError(f"{master.name} を保存できませんでした（{e.strerror or e}）。元のファイルは変更されていません") from e
    finally:
        tmp.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
