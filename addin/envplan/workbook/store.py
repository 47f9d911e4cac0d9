"""Safe writes of the master workbook: one writer at a time, atomic replace,
the previous version kept as a timestamped backup.

A run takes `MasterLock` (a lock file beside the master, held with `flock`
where available so that a killed run never leaves it behind) and refuses to write while Excel or LibreOffice has the master open (their
`~$name` / `.~lock.name#` files). The new content is written to a temporary
file in the same folder, flushed to disk, then renamed over the master, so a
crash leaves either the old or the new file, never a mixture.
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import io
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from envplan.workbook.xlsx_save import fast_cell_write
from envplan.workbook.xlsx_style import excel_print_titles

try:  # POSIX: a lock the kernel releases when its process dies
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

BACKUP_DIR_NAME = "バックアップ"
KEEP_BACKUPS = 30
EMPTY_LOCK_STALE_SECONDS = 30


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
    """Exclusive lock on a master for the length of a run.

    Where the system offers it (POSIX), the lock is an advisory `flock` on the
    lock file, which the kernel releases when the process ends, however it ends:
    a run killed with SIGKILL never leaves a lock behind, and no stale-lock
    guessing can let two runs in. Elsewhere the lock file is created
    exclusively and a lock whose process no longer runs is taken over.
    Taking the lock also removes temporary files a killed run left behind.
    """

    def __init__(self, master: str | Path, *, wait_seconds: float = 0.0, check_office: bool = True) -> None:
        self.master = Path(master)
        self.path = lock_path(self.master)
        self.wait_seconds = wait_seconds
        self.check_office = check_office
        self._fd: int | None = None

    def __enter__(self) -> MasterLock:
        if self.check_office:
            open_by = office_lock_files(self.master)
            if open_by:
                raise MasterBusyError(
                    f"{self.master.name} は Excel などで開かれています（{open_by[0].name}）。閉じてから実行してください"
                )
        deadline = time.monotonic() + self.wait_seconds
        acquire = self._acquire_flock if fcntl is not None else self._acquire_exclusive_file
        try:
            while not _without_ctrl_c(acquire):
                if time.monotonic() >= deadline:
                    try:
                        holder = self.path.read_text(encoding="utf-8", errors="replace").strip()
                    except OSError:
                        holder = ""
                    raise MasterBusyError(f"{self.master.name} は別の処理が使用中です（{holder or '処理中'}）。終わるのを待ってから実行してください")
                time.sleep(0.1)
            remove_orphans(self.master)  # only a run holding this lock writes temporary files: these are a killed run's
        except BaseException:  # Ctrl-C while taking the lock: `with` never calls __exit__, so the lock is released here
            self.__exit__(None, None, None)
            raise
        return self

    def _holder(self) -> bytes:
        return f"{os.getpid()}@{socket.gethostname()} {dt.datetime.now().isoformat()}\n".encode()

    def _acquire_flock(self) -> bool:
        assert fcntl is not None
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by another run
            os.close(fd)
            return False
        try:
            same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the previous holder removed the file after we opened it: lock the new one
            os.close(fd)
            return self._acquire_flock()
        self._fd = fd  # held from here: released (and the file removed) by __exit__
        os.ftruncate(fd, 0)
        os.write(fd, self._holder())
        return True

    def _acquire_exclusive_file(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if self._stale():
                self.path.unlink(missing_ok=True)
                return self._acquire_exclusive_file()
            return False
        os.write(fd, self._holder())
        self._fd = fd
        return True

    def _stale(self) -> bool:
        """A lock file left by a process on this machine that no longer runs (no flock available)."""
        try:
            text = self.path.read_text(encoding="utf-8")
            if not text.strip():
                # Killed between creating the lock and writing its holder: stale once clearly abandoned.
                return time.time() - self.path.stat().st_mtime > EMPTY_LOCK_STALE_SECONDS
            holder = text.split()[0]
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
            # Removed while still held: a run that opened the old file finds it gone and retries.
            self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None


def _without_ctrl_c(acquire: Callable[[], bool]) -> bool:
    """`acquire()` with Ctrl-C held back until it returns, then raised: the lock file is either
    not made, or made and held (and released by MasterLock), never made and left behind by an
    interrupt between creating and locking it. Python runs its Ctrl-C handler in the main
    thread whichever thread the system hands the signal to (a run with workers has several), so
    the handler is swapped for one that only notes it: a signal mask would hold it back in
    this thread alone."""
    noted: list[Any] = []
    if signal.getsignal(signal.SIGINT) is None:  # a handler set outside Python (embedded): not ours to swap
        return acquire()
    try:
        previous = signal.signal(signal.SIGINT, lambda _signum, frame: noted.append(frame))
    except ValueError:  # not the main thread, where no Ctrl-C is raised
        return acquire()
    try:
        return acquire()
    finally:
        signal.signal(signal.SIGINT, previous)
        if noted:
            if callable(previous):
                previous(signal.SIGINT, noted[0])  # Python's own handler: KeyboardInterrupt, here
            elif previous != signal.SIG_IGN:
                signal.raise_signal(signal.SIGINT)  # the system's default: the process ends as it would have


def master_version(master: Path) -> tuple[int, int, int]:
    """Identifies the file as read: an atomic save replaces it (new inode, time, size)."""
    st = os.stat(master)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def backup(master: Path) -> Path | None:
    """Copy the current master to バックアップ/name.YYYYmmdd-HHMMSS.xlsx; keep the newest few."""
    if not master.exists():
        return None
    folder = master.parent / BACKUP_DIR_NAME
    folder.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{master.stem}.{stamp}{master.suffix}"
    # Copied under a temporary name and renamed: a crash or a full disk never leaves a half backup.
    tmp = folder / f".{target.name}.tmp"
    try:
        shutil.copy2(master, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    olds = sorted(folder.glob(f"{master.stem}.*{master.suffix}"))
    for old in olds[:-KEEP_BACKUPS]:
        old.unlink(missing_ok=True)
    return target


@contextmanager
def _saved_beside(workbook: Any, path: Path, prefix: str, suffix: str) -> Iterator[Path]:
    """The workbook saved to a temporary file beside `path` (same disk, so the move
    into place is one rename), removed unless the caller moved it there."""
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with excel_print_titles(workbook), fast_cell_write():
            workbook.save(tmp)
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def save_atomically(workbook: Any, path: Path, prefix: str) -> None:
    """Save an openpyxl workbook as `path` in one step: a reader (or a crash) never
    sees half a file. For the files envplan hands out: templates, feedback copies.
    `prefix`: an ASCII name for the temporary file, which a failure message may show."""
    write_atomically(workbook_bytes(workbook), path, prefix)


def workbook_bytes(workbook: Any) -> bytes:
    """An openpyxl workbook saved in memory, as the files envplan hands out are written (a
    worker process makes a feedback copy, the parent writes it once the run has succeeded)."""
    buffer = io.BytesIO()
    with excel_print_titles(workbook), fast_cell_write():
        workbook.save(buffer)
    return buffer.getvalue()


def write_atomically(data: bytes, path: Path, prefix: str) -> None:
    """Write `data` as `path` in one step (a temporary file beside it, renamed into place)."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=path.suffix, dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_save(workbook: Any, master: Path, *, keep_backup: bool = True) -> Path | None:
    """Save an openpyxl workbook over `master` atomically, flushed to disk, the previous
    version kept as a backup. Returns the backup path."""
    master = Path(master)
    try:
        with _saved_beside(workbook, master, f".{master.stem}.", ".tmp.xlsx") as tmp:  # the name remove_orphans looks for
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            saved_backup = backup(master) if keep_backup else None
            os.replace(tmp, master)
        fsync_dir(master.parent)
        return saved_backup
    except OSError as e:
        _release_quietly(e)
        raise MasterWriteError(f"{master.name} を保存できませんでした（{write_error_reason(e)}）。元のファイルは変更されていません") from e


def close_workbook(workbook: Any) -> None:
    """Done with an openpyxl workbook: a macro-enabled one keeps its macros in an open zip
    (`vba_archive`), closed here rather than by the garbage collector, which may free its
    buffer first and print an error about it."""
    archive = getattr(workbook, "vba_archive", None)
    if archive is not None:
        archive.close()
        workbook.vba_archive = None


def _release_quietly(e: BaseException) -> None:
    """Free the failed writer now: closing it fails again on the full disk, and Python would
    print that second failure as an 'Exception ignored' traceback after our clear message."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda *_: None
    try:
        traceback.clear_frames(e.__traceback__)
        gc.collect()
    finally:
        sys.unraisablehook = hook


def write_error_reason(e: OSError) -> str:
    """What a failed write means for the person at the desk."""
    if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"ディスクの空き容量が足りません。空きを作ってから実行し直してください: {e.strerror or e}"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"このフォルダに書き込む権限がありません: {e.strerror or e}"
    return str(e.strerror or e)


def remove_orphans(master: Path) -> list[Path]:
    """Temporary files a killed run left beside the master and in the backup folder."""
    found = list(master.parent.glob(f".{master.stem}.*.tmp.xlsx")) + list((master.parent / BACKUP_DIR_NAME).glob(f".{master.stem}.*.tmp"))
    for path in found:
        path.unlink(missing_ok=True)
    return found


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (the directory entry itself is flushed)."""
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
