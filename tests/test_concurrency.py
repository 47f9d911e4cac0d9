"""Two runs on one master at once: one is refused with a message, never both writing.

Real CLI processes against the real lock; the compute/consolidate interleaving
that would write stale results is reproduced step by step with the functions
the CLI uses.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run_cli
from crash_kit import copy_master, prepare, snapshot
from envplan.survey.consolidate import consolidate
from envplan.workbook.compute_master import compute_source, write_results
from envplan.workbook.io import CalamineSource
from envplan.workbook.store import MasterBusyError, MasterLock, master_version
from envplan.workbook.xlsx_results import update_master
from returns_kit import sha


@pytest.fixture(scope="module")
def setup(sample_masters, tmp_path_factory):
    return prepare(sample_masters["all"], tmp_path_factory.mktemp("concurrency"))


class _Run:
    """A CLI process whose output goes to files (a full pipe would stall it)."""

    def __init__(self, folder: Path, name: str, *args: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.out, self.err = folder / f"{name}.out", folder / f"{name}.err"
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "envplan", *args], stdout=out, stderr=err)

    def result(self) -> tuple[int, str, str]:
        code = self.proc.wait(timeout=300)
        return code, self.out.read_text(encoding="utf-8"), self.err.read_text(encoding="utf-8", errors="replace")


def _start(folder: Path, name: str, *args: str) -> _Run:
    return _Run(folder, name, *args)


def test_two_consolidations_at_once(setup, tmp_path):
    for attempt in range(3):
        master = copy_master(setup.master, tmp_path / f"a{attempt}")
        procs = [_start(tmp_path / "logs", f"{attempt}_{i}", "consolidate", str(master), str(setup.inbox), "--json", "--feedback", str(tmp_path / f"fb{attempt}_{i}")) for i in range(2)]
        results = [p.result() for p in procs]
        written = []
        for code, out, err in results:
            assert "Traceback" not in err, err
            data = json.loads(out)
            if code == 2:
                assert "別の処理が使用中" in data["error"]["message"], data
            else:
                assert code == 0, (code, err)
                written.append(data["written"])
        assert written.count(True) == 1, results  # exactly one wrote; the other was refused or found nothing to do
        assert snapshot(master) == setup.after  # the changes once, not twice, nothing lost


def test_consolidate_is_refused_while_compute_writes(setup, tmp_path):
    master = copy_master(setup.master, tmp_path / "m")
    with update_master(master):  # what `envplan compute` holds while it writes its sheets
        proc = run_cli("consolidate", master, setup.inbox, "--json")
        assert proc.returncode == 2 and "別の処理が使用中" in json.loads(proc.stdout)["error"]["message"]
    assert snapshot(master) == setup.before
    assert consolidate(master, setup.inbox).rejected == 0 and snapshot(master) == setup.after


def test_compute_is_refused_while_consolidate_writes(setup, tmp_path):
    master = copy_master(setup.master, tmp_path / "m")
    before = sha(master)
    with MasterLock(master):  # what `envplan consolidate` holds for its whole run
        proc = run_cli("compute", master, "--json")
    assert proc.returncode == 2, proc.stderr
    message = json.loads(proc.stdout)["error"]["message"]
    assert "結果を書き込めません" in message and "別の処理が使用中" in message
    assert sha(master) == before


def test_results_are_never_written_onto_a_master_changed_since_it_was_read(setup, tmp_path):
    """compute reads, consolidate writes in between, compute would write stale results: refused."""
    master = copy_master(setup.master, tmp_path / "m")
    version = master_version(master)
    source = CalamineSource(master)
    run = compute_source(source)
    source.close()
    assert run.result is not None
    consolidate(master, setup.inbox)  # lands between compute's read and its write
    changed = sha(master)
    with pytest.raises(MasterBusyError, match="読み込んだ後に別の処理"):
        with update_master(master, expected_version=version) as sink:
            write_results(sink, run.result)
    assert sha(master) == changed and snapshot(master) == setup.after
    with update_master(master, expected_version=master_version(master)) as sink:  # unchanged since read: written
        write_results(sink, run.result)


def test_compute_and_consolidate_started_together(setup, tmp_path):
    """Whatever the timing, the master ends whole, with the imported values exactly once."""
    for attempt in range(3):  # the timings vary; every outcome below must hold whichever comes first
        master = copy_master(setup.master, tmp_path / f"r{attempt}")
        consolidating = _start(tmp_path / "logs", f"c{attempt}", "consolidate", str(master), str(setup.inbox), "--json", "--feedback", str(tmp_path / f"fb{attempt}"))
        time.sleep(0.1 * attempt)
        computing = _start(tmp_path / "logs", f"k{attempt}", "compute", str(master), "--json")
        (c_code, c_out, c_err), (k_code, k_out, k_err) = consolidating.result(), computing.result()
        assert "Traceback" not in c_err + k_err, c_err + k_err
        assert c_code in (0, 2) and k_code in (0, 2), (c_code, c_err, k_code, k_err)
        if c_code == 2:
            assert "使用中" in json.loads(c_out)["error"]["message"]
        if k_code == 2:
            assert "使用中" in (m := json.loads(k_out)["error"]["message"]) or "読み込んだ後に別の処理" in m
        state = snapshot(master)
        assert state == (setup.after if c_code == 0 else setup.before)


def test_ctrl_c_while_the_lock_is_taken_leaves_no_lock(tmp_path, monkeypatch):
    """Ctrl-C inside MasterLock's own start (after the lock file is made and held, before `with`
    can call __exit__) releases and removes it; the next run takes the lock at once."""
    import envplan.workbook.store as store

    master = tmp_path / "master.xlsx"
    master.write_bytes(b"")
    lock = store.lock_path(master)

    def interrupted(_master: Path) -> None:
        assert lock.exists()  # made and held by then
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "remove_orphans", interrupted)
    with pytest.raises(KeyboardInterrupt):
        with MasterLock(master, check_office=False):
            pass
    assert not lock.exists()
    monkeypatch.undo()
    with MasterLock(master, check_office=False):
        assert lock.exists()
    assert not lock.exists()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX: the lock is an flock")
def test_ctrl_c_while_the_lock_file_is_made_leaves_no_lock(tmp_path, monkeypatch):
    """Ctrl-C between making the lock file and locking it, delivered by the system to another
    thread (a run with workers has several; Python raises it in the main thread all the same):
    held back until the lock is taken, then released with it; no empty lock file is left."""
    import threading

    import envplan.workbook.store as store

    master = tmp_path / "master.xlsx"
    master.write_bytes(b"")
    lock = store.lock_path(master)
    flock = store.fcntl.flock

    def interrupted_flock(fd: int, op: int) -> None:
        assert lock.exists()  # made, not yet locked
        other = threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT))  # the system hands it to that thread
        other.start()
        other.join()
        flock(fd, op)

    monkeypatch.setattr(store.fcntl, "flock", interrupted_flock)
    with pytest.raises(KeyboardInterrupt):
        with MasterLock(master, check_office=False):
            pytest.fail("the run went on after Ctrl-C")
    monkeypatch.undo()
    assert not lock.exists()
    with MasterLock(master, check_office=False):
        assert lock.exists()
    assert not lock.exists()


def test_a_ctrl_c_handler_set_outside_python_is_left_alone(tmp_path, monkeypatch):
    """Embedded, Python may find a Ctrl-C handler it did not set (getsignal gives None, which
    cannot be set back): the lock and the workers' hand-outs then leave the handler alone."""
    import envplan.survey.read_workers as read_workers
    import envplan.workbook.store as store

    swapped: list[object] = []

    def foreign_handler_swap(signum: int, handler: object) -> None:
        swapped.append(handler)
        if handler is None:
            raise TypeError("signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a callable object")

    monkeypatch.setattr(signal, "getsignal", lambda signum: None)
    monkeypatch.setattr(signal, "signal", foreign_handler_swap)
    master = tmp_path / "master.xlsx"
    master.write_bytes(b"")
    with MasterLock(master, check_office=False):
        assert store.lock_path(master).exists()
    with read_workers.sigint_ignored():
        pass
    assert swapped == []
