"""Crashes and full disks while the master is written.

SIGKILL at random points of a real `envplan consolidate` (a few points here;
many in `make bench`), a write that fails because the file may not grow
(RLIMIT_FSIZE, no privileges needed), a genuinely full file system (a small
tmpfs in a user namespace, where the system allows one) and a backup that
fails half-way: the master is always whole and either as before or as after,
with a message that says what happened.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from crash_kit import copy_master, kill_once, prepare, snapshot
from envplan.survey.consolidate import ConsolidationError, consolidate
from envplan.survey.template_identity import key_path
from envplan.workbook import store as master_store
from envplan.workbook.store import BACKUP_DIR_NAME, MasterBusyError, MasterLock, MasterWriteError, atomic_save, lock_path
from returns_kit import sha


@pytest.fixture(scope="module")
def setup(sample_masters, tmp_path_factory):
    return prepare(sample_masters["all"], tmp_path_factory.mktemp("crash"))


def test_sigkill_during_consolidate_leaves_the_state_before_or_after(setup, tmp_path):
    # Two anywhere in the run (as parts of its measured length: a fixed 0.8 s came after the end once
    # the run got faster), three while the new master is being written (tens of milliseconds).
    points = [(False, setup.full_run_seconds * 0.5), (False, setup.full_run_seconds * 0.8), (True, 0.0), (True, 0.01), (True, 0.03)]
    outcomes = [kill_once(setup, tmp_path / f"k{i}", during_write=w, delay=d) for i, (w, d) in enumerate(points)]
    for o in outcomes:
        assert o.intact and o.backup_ok and o.next_run_ok, o
    killed = [o for o in outcomes if o.phase != "finished"]
    assert len(killed) >= 3, outcomes
    assert any(o.phase in ("during write", "after replace") for o in killed), outcomes


def _hold_lock_in_child(master: Path, *, without_flock: bool = False) -> subprocess.Popen[bytes]:
    code = textwrap.dedent(
        f"""
        import sys, time
        from envplan.workbook import store as master_store
        if {without_flock!r}:
            master_store.fcntl = None
        with master_store.MasterLock({str(master)!r}):
            print("locked", flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"locked"
    return proc


@pytest.mark.parametrize("without_flock", [False, True], ids=["flock", "lock-file"])
def test_a_killed_holder_never_leaves_the_master_locked(tmp_path, monkeypatch, without_flock):
    master = tmp_path / "m.xlsx"
    master.write_bytes(b"x")
    if without_flock:
        monkeypatch.setattr(master_store, "fcntl", None)
    proc = _hold_lock_in_child(master, without_flock=without_flock)
    with pytest.raises(MasterBusyError, match="別の処理が使用中"):
        with MasterLock(master):
            pass
    (tmp_path / f".{master.stem}.abc.tmp.xlsx").write_bytes(b"half")  # what the killed run was writing
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with MasterLock(master):  # at once: no waiting for a timeout
        assert not list(tmp_path.glob(".*.tmp.xlsx"))
    assert not lock_path(master).exists()


def test_two_waiting_runs_never_hold_the_lock_together(tmp_path):
    """Many processes contend for one lock; a shared counter file shows they never overlap."""
    master = tmp_path / "m.xlsx"
    master.write_bytes(b"x")
    code = textwrap.dedent(
        f"""
        import os, time
        from pathlib import Path
        from envplan.workbook.store import MasterLock
        inside = Path({str(tmp_path / 'inside')!r})
        for _ in range(15):
            with MasterLock({str(master)!r}, wait_seconds=60):
                fd = os.open(inside, os.O_CREAT | os.O_EXCL | os.O_WRONLY)  # fails if another holder is inside
                time.sleep(0.002)
                os.close(fd)
                os.unlink(inside)
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE) for _ in range(4)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors


def _limited(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_write_that_fails_leaves_the_master_unchanged_with_a_clear_message(setup, tmp_path):
    master = copy_master(setup.master, tmp_path / "m")
    before = sha(master)
    proc = subprocess.run(
        [sys.executable, "-m", "envplan", "consolidate", str(master), str(setup.inbox), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limited(master.stat().st_size // 2),
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert "保存できませんでした" in error["message"] and "ディスクの空き容量が足りません" in error["message"]
    assert "元のファイルは変更されていません" in error["message"]
    assert sha(master) == before
    assert not list(master.parent.glob(".*.tmp.xlsx")) and not lock_path(master).exists()
    backups = master.parent / BACKUP_DIR_NAME
    assert not backups.exists() or not any(backups.iterdir())
    result = consolidate(master, setup.inbox)  # with room again, the same inbox goes in
    assert result.rejected == 0 and snapshot(master) == setup.after


def _can_mount_tmpfs(tmp_path: Path) -> bool:
    if not shutil.which("unshare"):
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {probe}"], capture_output=True, timeout=30)
    return proc.returncode == 0


@pytest.mark.parametrize("room", ["no room for the new master", "no room for the backup"])
def test_a_full_file_system(setup, tmp_path, room):
    """The master on a tmpfs just too small, mounted in a private user namespace."""
    if not _can_mount_tmpfs(tmp_path):
        pytest.skip("this system does not allow a tmpfs in a user namespace (covered by the RLIMIT_FSIZE test)")
    size = setup.master.stat().st_size
    key = key_path(setup.master)
    fs_kb = (size + 24 * 1024) // 1024 if room.startswith("no room for the new") else (2 * size + 40 * 1024) // 1024
    disk = tmp_path / "disk"
    out = tmp_path / "out"
    disk.mkdir()
    out.mkdir()
    script = f"""
        set -e
        mount -t tmpfs -o size={fs_kb}k tmpfs {disk}
        cp {setup.master} {key} {disk}/
        set +e
        {sys.executable} -m envplan consolidate {disk}/{setup.master.name} {setup.inbox} --json --feedback {out}/feedback > {out}/result.json 2> {out}/stderr.txt
        echo $? > {out}/rc
        cp -a {disk}/. {out}/disk/
    """
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rc = int((out / "rc").read_text())
    stderr = (out / "stderr.txt").read_text()
    assert rc == 2 and "Traceback" not in stderr, stderr
    error = json.loads((out / "result.json").read_text())["error"]
    assert "ディスクの空き容量が足りません" in error["message"] and "元のファイルは変更されていません" in error["message"]
    left = out / "disk"
    assert sha(left / setup.master.name) == sha(setup.master)
    assert not list(left.glob(".*.tmp.xlsx")) and not lock_path(left / setup.master.name).exists()
    backups = left / BACKUP_DIR_NAME
    assert not backups.exists() or not list(backups.iterdir())  # no half backup either


def test_a_backup_that_fails_half_way_leaves_nothing_behind(setup, tmp_path, monkeypatch):
    master = copy_master(setup.master, tmp_path / "m")
    before = sha(master)

    def half_copy(src, dst, *a, **k):  # type: ignore[no-untyped-def]
        Path(dst).write_bytes(Path(src).read_bytes()[:1000])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(master_store.shutil, "copy2", half_copy)
    with pytest.raises(ConsolidationError) as e:
        consolidate(master, setup.inbox)
    assert "ディスクの空き容量が足りません" in str(e.value) and e.value.exit_code == 2
    assert sha(master) == before
    assert list((master.parent / BACKUP_DIR_NAME).iterdir()) == []
    assert not list(master.parent.glob(".*.tmp.xlsx"))


def test_write_errors_say_what_to_do(tmp_path):
    class FailingBook:
        def __init__(self, err: int) -> None:
            self.err = err

        def save(self, path):  # type: ignore[no-untyped-def]
            Path(path).write_bytes(b"PK partial")
            raise OSError(self.err, os.strerror(self.err))

    master = tmp_path / "m.xlsx"
    master.write_bytes(b"original")
    for err, text in ((errno.ENOSPC, "空き容量"), (errno.EACCES, "権限")):
        with pytest.raises(MasterWriteError, match=text):
            atomic_save(FailingBook(err), master)
        assert master.read_bytes() == b"original" and not list(tmp_path.glob(".*.tmp.xlsx"))


def test_lock_wait_gives_way_when_the_holder_finishes(tmp_path):
    master = tmp_path / "m.xlsx"
    master.write_bytes(b"x")
    proc = _hold_lock_in_child(master)
    started = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    with MasterLock(master, wait_seconds=10):
        assert time.monotonic() - started < 5
    proc.wait()
