"""Killing `envplan consolidate` with SIGKILL and checking what it leaves behind.

A run is prepared once (a master, the issued templates, an inbox of filled
returns) and run to the end on a copy to know the state after. Each kill point
then starts the real CLI on a fresh copy of the master, kills its whole process
group at a chosen moment — anywhere in the run, or while the new master is
being written (its temporary file exists) — and checks that the master opens
and equals the state before or the state after, never a mixture; that a
backup of the state before exists when the master was replaced; and that the
next run succeeds and leaves no lock or temporary file behind.
Used by tests/test_crash_safety.py (a few points) and benchmarks/bench_reliability.py (many).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import openpyxl

from envplan.demo.returns import department_answers
from envplan.plan.model import Plan
from envplan.survey.return_reader import read_return
from envplan.survey.template_fill import fill_template, input_cells
from envplan.survey.template_identity import key_path
from envplan.workbook.io import CalamineSource
from envplan.workbook.store import BACKUP_DIR_NAME, lock_path
from returns_kit import issue, read_plan

Phase = Literal["before write", "during write", "after replace", "finished"]


@dataclass(frozen=True)
class Snapshot:
    """What a consolidation changes: the plan, the change log (without its times), the tracker."""

    plan: Plan
    log: tuple[tuple[Any, ...], ...]
    submissions: tuple[tuple[Any, ...], ...]


def snapshot(master: Path) -> Snapshot:
    plan = read_plan(master)
    source = CalamineSource(master)
    try:
        log_rows = source.grid("変更履歴").rows[3:]
        sub_rows = source.grid("提出状況").rows[3:]
    finally:
        source.close()
    log = tuple(tuple(r[1:]) for r in log_rows if any(v not in (None, "") for v in r))
    subs = tuple((r[0], r[1], r[3], r[5], r[6]) for r in sub_rows if any(v not in (None, "") for v in r))
    return Snapshot(plan, log, subs)


@dataclass
class KillSetup:
    master: Path  # pristine: the state before
    inbox: Path
    before: Snapshot
    after: Snapshot
    full_run_seconds: float


def _issued(template: Path) -> dict[Any, Any]:
    source = CalamineSource(template)
    try:
        return {inp.spec.key: inp.issued for inp in read_return(source).inputs}
    finally:
        source.close()


def prepare(sample_master: Path, work: Path, *, copies: int = 0, jobs: int = 1) -> KillSetup:
    """A master and an inbox with every department's filled return (plus `copies` older copies)."""
    work.mkdir(parents=True, exist_ok=True)
    master = work / "master.xlsx"
    master.write_bytes(sample_master.read_bytes())
    templates = issue(master, work / "templates")
    plan = read_plan(master)
    inbox = work / "inbox"
    inbox.mkdir()
    for dept, template in sorted(templates.items()):
        answers = department_answers(plan, input_cells(template), _issued(template))
        filled = fill_template(template, answers, inbox / f"{dept}.xlsx")
        for i in range(copies // len(templates)):
            old = inbox / f"{dept}_{i:03d}_old.xlsx"
            shutil.copy2(filled, old)
            os.utime(old, (1_000_000 + i, 1_000_000 + i))  # older: read and verified, then superseded
    before = snapshot(master)
    ref = work / "reference"
    ref_master = copy_master(master, ref)
    started = time.perf_counter()
    proc = _cli(ref_master, inbox, jobs)
    proc.wait(timeout=600)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, (ref / "stderr.txt").read_text(encoding="utf-8", errors="replace")
    after = snapshot(ref_master)
    assert after.plan != before.plan and len(after.log) > len(before.log)
    return KillSetup(master, inbox, before, after, elapsed)


def copy_master(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / src.name
    shutil.copy2(src, target)
    shutil.copy2(key_path(src), key_path(target))
    return target


def _cli(master: Path, inbox: Path, jobs: int) -> subprocess.Popen[bytes]:
    with open(master.parent / "stderr.txt", "wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "envplan", "consolidate", str(master), str(inbox), "--json", "--jobs", str(jobs), "--feedback", str(master.parent / "feedback")],
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # its own process group: the kill takes the workers too
        )


def _temp_files(master: Path) -> list[Path]:
    return list(master.parent.glob(f".{master.stem}.*.tmp.xlsx"))


@dataclass
class KillOutcome:
    delay: float
    phase: Phase
    intact: bool  # the master opened and equalled the state before or after
    backup_ok: bool
    next_run_ok: bool
    detail: str = ""


def kill_once(setup: KillSetup, folder: Path, *, during_write: bool, delay: float, jobs: int = 1) -> KillOutcome:
    """Start the CLI, SIGKILL its process group after `delay` seconds (counted from the
    moment the new master's temporary file appears when `during_write`), then check."""
    master = copy_master(setup.master, folder)
    proc = _cli(master, setup.inbox, jobs)
    started = time.perf_counter()
    saw_temp = False
    if during_write:
        while proc.poll() is None and not _temp_files(master) and time.perf_counter() - started < 120:
            time.sleep(0.001)
        saw_temp = bool(_temp_files(master))
        started = time.perf_counter()
    while proc.poll() is None and time.perf_counter() - started < delay:
        time.sleep(0.001)
        saw_temp = saw_temp or bool(_temp_files(master))
    finished = proc.poll() is not None
    if not finished:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return check_after_kill(setup, master, finished=finished, saw_temp=saw_temp, delay=delay)


def check_after_kill(setup: KillSetup, master: Path, *, finished: bool, saw_temp: bool, delay: float) -> KillOutcome:
    detail = ""
    try:
        with zipfile.ZipFile(master) as z:
            assert z.testzip() is None
        openpyxl.load_workbook(master, read_only=True).close()
        state = snapshot(master)
        intact = state == setup.before or state == setup.after
        if not intact:
            detail = "the master equals neither the state before nor after"
    except Exception as e:  # any failure to open is exactly what must never happen
        state, intact, detail = None, False, f"{type(e).__name__}: {e}"
    replaced = state is not None and state == setup.after and state != setup.before
    phase: Phase = "finished" if finished else ("after replace" if replaced else ("during write" if saw_temp else "before write"))
    backups = sorted((master.parent / BACKUP_DIR_NAME).glob(f"{master.stem}.*{master.suffix}"))
    backup_ok = True
    if replaced:
        backup_ok = bool(backups) and snapshot(backups[-1]) == setup.before
    for b in backups:  # every backup there is whole
        try:
            openpyxl.load_workbook(b, read_only=True).close()
        except Exception as e:
            backup_ok, detail = False, f"broken backup {b.name}: {e}"
    next_run_ok = _next_run(setup, master)
    return KillOutcome(delay, phase, intact, backup_ok, next_run_ok, detail)


def _next_run(setup: KillSetup, master: Path) -> bool:
    from envplan.survey.consolidate import consolidate

    result = consolidate(master, setup.inbox, feedback_dir=master.parent / "feedback")
    ok = result.rejected == 0 and snapshot(master) == setup.after
    leftovers = _temp_files(master) + list((master.parent / BACKUP_DIR_NAME).glob(".*.tmp")) + ([lock_path(master)] if lock_path(master).exists() else [])
    return ok and not leftovers


def kill_points(setup: KillSetup, n: int, seed: int) -> list[tuple[bool, float]]:
    """Half anywhere in the run, half while the new master is written."""
    rng = random.Random(seed)
    points = []
    for i in range(n):
        if i % 2 == 0:
            points.append((False, rng.uniform(0.2, setup.full_run_seconds)))
        else:
            points.append((True, rng.uniform(0.0, 0.2)))  # the save, backup and replace take about 0.2 s
    return points
