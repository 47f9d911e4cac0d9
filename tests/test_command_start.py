"""How an `envplan` command's process starts (cli/startup.py): the reading workers started before
the command's imports, through the launcher script users run as well as `python -m envplan`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envplan.cli.startup import consolidate_arguments, take_reader_ahead, worker_count
from envplan.survey.inbox import list_inbox
from envplan.survey.return_files import ReturnReader
from envplan.survey.template_identity import key_id, load_key
from returns_kit import copy_master, fill, issued_master, read_plan, set_identity

S01_2021 = ("value", "S01", 2021, "actual")
S05_2022 = ("value", "S05", 2022, "actual")


@pytest.fixture(scope="module")
def base(sample_masters, tmp_path_factory):
    return issued_master(sample_masters["shinagawa"], tmp_path_factory.mktemp("start"))


@pytest.fixture(scope="module")
def inbox(base, tmp_path_factory):
    """Ninety returns (enough for a worker, 40 for each process): several of each department, one rejected, so the workers have work."""
    _, templates = base
    folder = tmp_path_factory.mktemp("inbox")
    answers = [{S01_2021: 1390 + i} for i in range(3)] + [{S05_2022: 480 + i} for i in range(3)] + [{S01_2021: "未確定"}]
    made = []
    for i, answer in enumerate(answers):
        key = next(iter(answer))
        template = next(t for t in templates.values() if key in _inputs(t))
        made.append(fill(template, answer, folder / f"filled-{i}.xlsx"))
    # Not judged as ours: a forged department (its signature fails) and a cell error beside it.
    set_identity(fill(templates[next(iter(templates))], {S01_2021: "未確定"}, folder / "forged-src.xlsx"), "department", "財政課", folder / "forged.xlsx")
    (folder / "forged-src.xlsx").unlink()
    for i in range(90 - len(made) - 1):
        shutil.copy2(made[i % 6], folder / f"copy-{i:03}.xlsx")
    return folder


def _inputs(template: Path) -> dict:
    from envplan.survey.template_fill import input_cells

    return input_cells(template)


def _consolidate(command: list[str], master: Path, inbox: Path, jobs: str) -> dict:
    proc = subprocess.run([*command, "consolidate", str(master), str(inbox), "--jobs", jobs, "--json", "--feedback", str(master.parent / "fb")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr  # returns are sent back
    assert "Traceback" not in proc.stderr, proc.stderr
    data = json.loads(proc.stdout)
    files = sorted((f["file"], f["status"], tuple(sorted(d["code"] for d in f["errors"] + f["warnings"]))) for f in data["files"])
    feedback = {Path(f["feedback"]).name: _feedback_copy(Path(f["feedback"])) for f in data["files"] if f["feedback"]}
    return {k: data[k] for k in ("accepted", "rejected", "superseded", "changes")} | {"files": files, "feedback": feedback}


def _feedback_copy(path: Path) -> tuple:
    """What a department sees in its feedback copy: the list (but the time of the run), the sheets, the marked cells."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    listed = [row for row in wb.worksheets[0].iter_rows(min_row=3, values_only=True)]
    marked = sorted((ws.title, c.coordinate, c.comment.text, c.fill.fgColor.rgb) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.comment)
    return wb.sheetnames, listed, marked


def test_the_launcher_and_python_m_consolidate_alike_with_workers_or_without(base, inbox, tmp_path):
    """`envplan` (the script pip writes) is run again by every worker multiprocessing spawns:
    its start must neither start readers of its own there nor change what is read."""
    launcher = Path(sys.executable).with_name("envplan")
    assert launcher.exists()
    runs = {}
    for name, command, jobs in (("launcher", [str(launcher)], "2"), ("module", [sys.executable, "-m", "envplan"], "2"), ("alone", [sys.executable, "-m", "envplan"], "1")):
        (tmp_path / name).mkdir()
        master = copy_master(base[0], tmp_path / name)
        runs[name] = (_consolidate(command, master, inbox, jobs), read_plan(master))
    assert runs["launcher"] == runs["module"] == runs["alone"]  # feedback copies too, made by the worker or not
    counts, plan = runs["launcher"]
    assert len(counts["feedback"]) >= 2 and all(listed for _, listed, _ in counts["feedback"].values())
    assert counts["accepted"] >= 1 and counts["rejected"] == 2 and counts["superseded"] > 70
    forged = next(f for f in counts["files"] if f[0] == "forged.xlsx")
    assert forged[1] == "rejected" and forged[2] == ("RETURN_SIGNATURE_INVALID",)  # by its identity alone, however it was read
    assert plan.indicator("S01").values[2021].actual in (1390, 1391, 1392)


def _processes_with(marker: str) -> list[int]:
    """The processes whose environment holds `marker` (what a command and its workers inherit)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")
def test_a_command_ends_with_its_workers_ended_and_its_output_whole(base, inbox, tmp_path):
    """`end_process` skips freeing the objects one by one, never the end itself: the reading
    workers have exited when the command has, the exit handlers ran, the exit code and the whole
    --json output are there; a reader that stops reading (`| head`) gets no traceback."""
    import uuid

    marker = f"ENVPLAN_TEST_RUN={uuid.uuid4().hex}"
    master = copy_master(base[0], tmp_path)
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    proc = subprocess.run([sys.executable, "-m", "envplan", "consolidate", str(master), str(inbox), "--jobs", "2", "--json"], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr  # returns sent back: exit code 1
    assert len(json.loads(proc.stdout)["files"]) == len(list_inbox(inbox)[0])
    assert _processes_with(marker) == []  # no worker left behind
    # A pipe closed early: the command still ends with its own code, without a traceback.
    (tmp_path / "again").mkdir()
    shell = f"'{sys.executable}' -m envplan consolidate '{copy_master(base[0], tmp_path / 'again')}' '{inbox}' --jobs 2 --json | head -c 10"
    piped = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True, timeout=300, env=env)
    assert piped.stdout == proc.stdout[:10] and "Traceback" not in piped.stderr and "Exception ignored" not in piped.stderr, piped.stderr
    assert piped.returncode == 1
    assert _processes_with(marker) == []


def test_a_prefetched_reading_is_used_only_for_the_same_files(base, inbox):
    key = load_key(base[0])
    files = list_inbox(inbox)[0]
    with ReturnReader(key, key_id(key), jobs=2) as plain:
        expected = [(rf.file, rf.sha256, rf.attributable) for rf in plain.read(files, identity_only=True)]
    with ReturnReader(key, key_id(key), jobs=2) as reader:
        reader.prefetch(files)
        got = [(rf.file, rf.sha256, rf.attributable) for rf in reader.read(files, identity_only=True)]
    assert got == expected
    with ReturnReader(key, key_id(key), jobs=2) as reader:
        reader.prefetch(files[1:])  # the inbox changed between the first look and the reading
        got = [(rf.file, rf.sha256, rf.attributable) for rf in reader.read(files, identity_only=True)]
    assert got == expected


def test_a_small_inbox_is_read_ahead_by_identity_and_each_departments_latest_whole(base, inbox):
    """Ahead (`prefetch`, up to WHOLE_AHEAD_UP_TO files) a worker reads every file by its identity
    sheet and, of each department, the latest returns whole (WHOLE_AHEAD_PER_DEPARTMENT): the ones
    the consolidation reads whole first. Those readings are what reading them whole gives; the
    others are read whole only when asked."""
    from envplan.survey.return_files import WHOLE_AHEAD_PER_DEPARTMENT, time_key

    key = load_key(base[0])
    files = list_inbox(inbox)[0]
    with ReturnReader(key, key_id(key), jobs=2) as plain:
        by_identity = list(plain.read(files, identity_only=True))
        by_department: dict[str, list] = {}
        for rf in by_identity:
            if rf.attributable:
                by_department.setdefault(rf.reading.identity.department, []).append(rf)
        latest = [rf for rfs in by_department.values() for rf in sorted(rfs, key=time_key, reverse=True)[:WHOLE_AHEAD_PER_DEPARTMENT]]
        expected_whole = {rf.path: rf for rf in plain.read([Path(r.path) for r in latest])}
    assert len(by_department) >= 2 and len(by_department) * WHOLE_AHEAD_PER_DEPARTMENT == len(latest) < len(files)
    with ReturnReader(key, key_id(key), jobs=2) as reader:
        reader.prefetch(files)
        deadline = time.monotonic() + 120
        while reader.unread and time.monotonic() < deadline:  # as while the command imports: else this process reads the chunk itself
            time.sleep(0.05)
        got = list(reader.read(files, identity_only=True))
        assert [(rf.file, rf.attributable, rf.reading is not None and bool(rf.reading.inputs)) for rf in got] == [
            (rf.file, rf.attributable, rf.reading is not None and bool(rf.reading.inputs)) for rf in by_identity
        ]  # readings by identity, as asked
        assert set(reader._read_whole) == set(expected_whole)
        for rf in reader.read([Path(p) for p in expected_whole]):
            want = expected_whole[rf.path]
            assert (rf.sha256, [(i.spec.ref, i.value) for i in rf.reading.inputs]) == (want.sha256, [(i.spec.ref, i.value) for i in want.reading.inputs])


@pytest.mark.parametrize(("share_before_import", "expected"), [(4, ["reading", "import"]), (100, ["import", "reading"])])
def test_a_large_inbox_puts_off_the_feedback_writers_import_until_the_reading_whole(base, inbox, monkeypatch, share_before_import, expected):
    """Beyond WHOLE_AHEAD_UP_TO files the workers are busy reading who sent what until the barrier:
    the import `prefetch` was asked for is queued only once the reading whole is handed out, after
    it when that reading is large enough to share (SHARE_BEFORE_IMPORT), before it otherwise. What
    is read is the same either way."""
    from envplan.survey import return_files

    monkeypatch.setattr(return_files, "WHOLE_AHEAD_UP_TO", 10)  # the 90 files are a large inbox
    monkeypatch.setattr(return_files, "SHARE_BEFORE_IMPORT", share_before_import)
    order: list[str] = []
    hand_out, preload = ReturnReader.hand_out, ReturnReader.preload
    monkeypatch.setattr(ReturnReader, "hand_out", lambda self, fn, items, **kw: order.append("reading" if fn is return_files._inspect_all else fn.__name__) or hand_out(self, fn, items, **kw))
    monkeypatch.setattr(ReturnReader, "preload", lambda self, modules: modules and order.append("import") or preload(self, modules))
    key = load_key(base[0])
    files = list_inbox(inbox)[0]
    with ReturnReader(key, key_id(key), jobs=2) as reader:
        reader.prefetch(files, then_import=("envplan.survey.feedback",))
        assert order == ["reading"]  # by identity; the import is put off
        identities = list(reader.read(files, identity_only=True))
        whole = [Path(rf.path) for rf in identities if rf.attributable][:8]
        order.clear()
        read = [(rf.file, rf.sha256, bool(rf.reading and rf.reading.inputs)) for rf in reader.read(whole)]
    assert order == expected
    assert len(read) == 8 and all(inputs for _, _, inputs in read)


def test_a_reader_started_for_other_arguments_is_not_taken(base, inbox, monkeypatch):
    import envplan.cli.startup as startup

    key = load_key(base[0])
    reader = ReturnReader(key, key_id(key), jobs=2)
    reader.prefetch(list_inbox(inbox)[0])
    monkeypatch.setattr(startup, "_ahead", ((base[0], inbox, 2), reader))
    assert take_reader_ahead(base[0], inbox, 3) is None and reader.unread == 0  # stopped
    monkeypatch.setattr(startup, "_ahead", ((base[0], inbox, 2), reader))
    assert take_reader_ahead(base[0], inbox, 2) is reader
    assert take_reader_ahead(base[0], inbox, 2) is None  # taken once


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["consolidate", "m.xlsx", "受付"], ("m.xlsx", "受付", 0)),
        (["consolidate", "m.xlsx", "受付", "--jobs", "2", "--json"], ("m.xlsx", "受付", 2)),
        (["consolidate", "--jobs=3", "-v", "m.xlsx", "受付"], ("m.xlsx", "受付", 3)),
        (["consolidate", "m.xlsx", "--feedback", "fb", "受付", "--allow-frozen"], ("m.xlsx", "受付", 0)),
        (["consolidate", "m.xlsx", "受付", "--feedback=fb"], ("m.xlsx", "受付", 0)),
        (["consolidate", "m.xlsx", "受付", "--help"], None),
        (["consolidate", "m.xlsx"], None),
        (["consolidate", "m.xlsx", "受付", "--jobs", "x"], None),
        (["consolidate", "m.xlsx", "受付", "--jobs"], None),
        (["validate", "m.xlsx", "受付"], None),
        ([], None),
    ],
)
def test_the_first_look_at_the_arguments(args, expected):
    got = consolidate_arguments(args)
    assert got == (None if expected is None else (Path(expected[0]), Path(expected[1]), worker_count(expected[2])))


option_words = st.sampled_from(["--json", "--verbose", "-v", "--allow-frozen", "--jobs", "--feedback", "--jobs=2", "--feedback=fb"])
plain_words = st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(option_words, plain_words, st.sampled_from(["1", "4", "0"])), max_size=7))
def test_a_first_look_never_disagrees_with_the_command_itself(words):
    """Whatever the first look makes of a command line, the command reads the same master, inbox and
    --jobs from it (else the reader would be started for files the command never reads)."""
    from envplan.cli.commands import HelpRequested, UsageError, resolve
    from envplan.cli.main import app

    args = ["consolidate", *words]
    got = consolidate_arguments(args)
    if got is None:
        return
    try:
        _, called = resolve(app, args, "envplan")
    except (UsageError, HelpRequested):  # a line the command refuses: the reader is stopped unused
        return
    assert (called["master"], called["inbox"], worker_count(called["jobs"])) == got


def test_a_command_does_not_import_numpy():
    """openpyxl would import numpy (a tenth of a second) at every start; pandas still can."""
    code = (
        "import sys\n"
        "from envplan.cli.startup import prepare_process\n"
        "prepare_process(['--version'])\n"
        "assert 'openpyxl' in sys.modules and 'numpy' not in sys.modules, sorted(sys.modules)\n"
        "import envplan.cli.main\n"
        "assert 'numpy' not in sys.modules\n"
        "import numpy\n"
        "from openpyxl import Workbook\n"
        "cell = Workbook().active['A1']\n"
        "cell.value = 1.5\n"
        "assert cell.value == 1.5 and cell.data_type == 'n'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_commands_modules_are_imported_without_collections_and_set_aside_once():
    """`importing` (a command's own modules): no collection while they are imported, then they
    are frozen out of the collector's passes; in a process that has them already (one running
    commands in turn, as the server's tests do), nothing more is frozen, and collection goes on."""
    code = (
        "import gc, sys\n"
        "from envplan.cli.startup import importing\n"
        "seen = []\n"
        "gc.callbacks.append(lambda phase, info: seen.append(phase))\n"
        "before = gc.get_freeze_count()\n"
        "with importing('envplan.survey.consolidate'):\n"
        "    assert not gc.isenabled()\n"
        "    import envplan.survey.consolidate\n"
        "assert gc.isenabled() and not seen and gc.get_freeze_count() > before\n"
        "frozen = gc.get_freeze_count()\n"
        "with importing('envplan.survey.consolidate'):\n"
        "    assert gc.isenabled()\n"
        "assert gc.isenabled() and gc.get_freeze_count() == frozen\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_openpyxl_imported_later_leaves_numpy_out_once():
    """The hook waits for openpyxl's first import (a reading worker may never need it), then leaves
    the import system as it was; where numpy is already there, openpyxl uses it as ever."""
    code = (
        "import sys\n"
        "from envplan.workbook.openpyxl_import import keep_numpy_out_of_openpyxl\n"
        "before = list(sys.meta_path)\n"
        "keep_numpy_out_of_openpyxl()\n"
        "keep_numpy_out_of_openpyxl()\n"
        "assert len(sys.meta_path) == len(before) + 1\n"
        "import json, email\n"
        "assert len(sys.meta_path) == len(before) + 1  # other imports pass it by\n"
        "import openpyxl.workbook\n"
        "assert 'numpy' not in sys.modules and sys.meta_path == before\n"
        "import numpy, pandas\n"
        "assert pandas.DataFrame({'a': [1]}).shape == (1, 1)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    code = (
        "import sys, numpy\n"
        "from envplan.workbook.openpyxl_import import keep_numpy_out_of_openpyxl\n"
        "before = list(sys.meta_path)\n"
        "keep_numpy_out_of_openpyxl()\n"
        "assert sys.meta_path == before\n"
        "from openpyxl.compat.numbers import NUMERIC_TYPES\n"
        "assert numpy.float64 in NUMERIC_TYPES\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_worker_making_feedback_copies_does_not_import_numpy(base):
    """A reading worker starts with nothing imported; the one that makes feedback copies imports
    openpyxl, and leaves numpy out as the command's own process does."""
    import os

    from worker_probe import numpy_after_feedback_import

    key = load_key(base[0])
    with ReturnReader(key, key_id(key), jobs=2) as reader:
        reader.start(1000)
        results = reader.hand_out(numpy_after_feedback_import, range(24)).results()
    by_workers = [(has_openpyxl, has_numpy) for _, pid, has_openpyxl, has_numpy in results if pid != os.getpid()]
    assert by_workers, results
    assert set(by_workers) == {(True, False)}, results


HEAVY = ("envplan.survey.return_files", "pydantic", "openpyxl", "yaml", "envplan.survey.feedback")


def test_the_workers_start_before_the_reader_is_imported():
    """cli/startup counts the inbox and starts the workers with the standard library alone; each
    worker imports the reader as it starts (while this process imports it too), and neither the
    plan's models nor the layout's YAML, which reading never needs."""
    code = (
        "import json, sys\n"
        "from envplan.survey.inbox import list_inbox\n"
        "from envplan.survey.read_workers import start_pool\n"
        f"heavy = {HEAVY!r}\n"
        "assert not [m for m in heavy if m in sys.modules], sorted(sys.modules)\n"
        "pool = start_pool(1, preload=('envplan.survey.return_files',))\n"
        "from worker_probe import loaded\n"
        "print(json.dumps(pool.submit(loaded, heavy).result(timeout=120)))\n"
        "pool.shutdown()\n"
    )
    tests = str(Path(__file__).parent)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, cwd=tests, env={**os.environ, "PYTHONPATH": os.pathsep.join([tests, *sys.path])})
    assert proc.returncode == 0, proc.stderr
    _, in_worker = json.loads(proc.stdout)
    assert in_worker == ["envplan.survey.return_files"], in_worker


def test_the_workers_get_the_feedback_writer_ready_while_idle(base):
    """consolidate has the workers import the copies' writer once they have read what they were
    handed, so a copy handed out later starts without that import."""
    from envplan.survey.feedback import render
    from envplan.survey.read_workers import FEEDBACK_WRITER
    from worker_probe import loaded_slowly

    assert render.__module__ == FEEDBACK_WRITER
    key = load_key(base[0])
    for preload, expected in (((), []), ((FEEDBACK_WRITER,), [FEEDBACK_WRITER])):
        with ReturnReader(key, key_id(key), jobs=2) as reader:
            reader.start(1000)
            reader.preload(preload)
            results = reader.hand_out(loaded_slowly, [(FEEDBACK_WRITER,)] * 24).results()
        by_workers = [names for pid, names in results if pid != os.getpid()]
        assert by_workers and all(names == expected for names in by_workers), (preload, results)


def _modules_loaded_by(args: list[str], modules: tuple[str, ...]) -> tuple[str, str, list[str]]:
    """Run `envplan ARGS` in a fresh process: its stdout and stderr, and which of `modules` it imported."""
    code = (  # the command ends the process itself (cli/startup.end_process): the report comes just before
        "import os, sys, runpy; wanted = sys.argv[1].split(','); sys.argv = ['envplan', *sys.argv[2:]]\n"
        "end = os._exit\n"
        "def report(code):\n"
        "    print('LOADED', sorted(m for m in sys.modules if m in wanted), flush=True)\n"
        "    end(code)\n"
        "os._exit = report\n"
        "runpy.run_module('envplan', run_name='__main__')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, ",".join(modules), *args], capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert "LOADED" in out, (out[-300:], proc.stderr[-2000:])
    return out[: out.index("LOADED")], proc.stderr, json.loads(out[out.index("LOADED") + 7 :].strip().replace("'", '"'))


def test_a_consolidation_without_feedback_does_not_load_the_template_builder(base, tmp_path):
    """The feedback writer (and the template builder it needs, with the rules it brings) is imported
    only when a file needs a feedback copy; the consolidation's own judging needs neither. Its
    --json output is drawn without rich (the console's library is imported only to draw)."""
    master = copy_master(base[0], tmp_path)
    inbox = tmp_path / "inbox"
    fill(base[1]["公園課"], {("value", "S11", 2022, "actual"): 22.0, ("department", "公園課", "contact"): "公園 次郎"}, inbox / "ok.xlsx")  # complete: no warning
    out, _, loaded = _modules_loaded_by(["consolidate", str(master), str(inbox), "--json"], ("envplan.survey.template_issue", "envplan.survey.feedback", "rich", "rich.console"))
    data = json.loads(out)
    assert data["accepted"] == 1 and not data["files"][0]["feedback"], data
    assert loaded == [], loaded


def test_the_console_is_made_when_something_is_drawn(base, tmp_path):
    """Without --json the same run draws its table and summary with rich (on stderr)."""
    master = copy_master(base[0], tmp_path)
    inbox = tmp_path / "inbox"
    fill(base[1]["公園課"], {("value", "S11", 2022, "actual"): 22.0, ("department", "公園課", "contact"): "公園 次郎"}, inbox / "[draft] ok.xlsx")
    _, err, loaded = _modules_loaded_by(["consolidate", str(master), str(inbox), "--verbose"], ("rich.console", "rich.table"))
    assert "[draft] ok.xlsx" in err, err  # a file name with brackets is text, not markup
    assert "受理 1" in err, err
    assert loaded == ["rich.console", "rich.table"], loaded


def _slow_pid(item: int) -> tuple[int, int]:
    import os
    import time

    time.sleep(0.05)
    return item, os.getpid()


@pytest.mark.parametrize("jobs", [1, 2])
def test_work_handed_to_the_workers_comes_back_in_order_whoever_did_it(base, jobs):
    """The feedback copies are made so while the master is written: the workers take tasks from
    the first, this process does the ones not started yet from the last, the results in order."""
    import os

    key = load_key(base[0])
    with ReturnReader(key, key_id(key), jobs=jobs) as reader:
        reader.start(1000)
        work = reader.hand_out(_slow_pid, range(24))
        results = work.results()
    assert [item for item, _ in results] == list(range(24))
    doers = [pid for _, pid in results]
    if jobs == 1:
        assert set(doers) == {os.getpid()}
    else:  # both processes did some: the first by a worker, the last here
        assert doers[0] != os.getpid() and doers[-1] == os.getpid()


def test_a_task_queued_for_a_busy_worker_is_done_here(base):
    """The pool queues the next task for a worker while it is busy with one (it can no longer be
    taken back): a task is done by the process that claims it first, so this process, with
    nothing else to do, does that queued one too rather than wait a whole task for the worker."""
    from worker_probe import pid_after

    key = load_key(base[0])
    with ReturnReader(key, key_id(key), jobs=2) as reader:
        reader.start(1000)
        reader.hand_out(pid_after, [0.0]).results()  # the worker is up
        work = reader.hand_out(pid_after, [1.5, 0.0, 0.0])
        time.sleep(0.3)  # the worker is on the first task, the second queued for it
        started = time.perf_counter()
        doers = work.results()
        waited = time.perf_counter() - started
    assert doers[0] != os.getpid() and doers[1:] == [os.getpid()] * 2, doers
    assert waited > 0.5  # the first one was the worker's: its result was waited for


def test_a_worker_that_ends_leaves_its_task_unfinished_never_dropped(base):
    """A worker ended by the system (out of memory) takes its task with it: the results say so
    (`WorkersLost`, naming the task's file), or with `redo_here` do it here; the tasks it had not
    started are done here, and so is all that is handed out after the pool broke."""
    from envplan.survey.return_files import WorkersLost
    from worker_probe import ends_in_a_worker, pid_after

    key = load_key(base[0])
    tasks = [("/inbox/doomed.xlsx", 0.0), ("/inbox/b.xlsx", 0.0), ("/inbox/c.xlsx", 0.0)]
    for redo_here in (False, True):
        with ReturnReader(key, key_id(key), jobs=2) as reader:
            reader.start(1000)
            reader.hand_out(pid_after, [0.0]).results()  # the worker is up
            work = reader.hand_out(ends_in_a_worker, tasks[:1])
            deadline = time.monotonic() + 30
            while work.unfinished() and time.monotonic() < deadline:  # the worker took it and ended
                time.sleep(0.01)
            work.add(tasks[1:])  # handed out to a broken pool: done here
            if redo_here:
                assert work.results(redo_here=True) == [os.getpid()] * 3
            else:
                with pytest.raises(WorkersLost) as lost:
                    work.results()
                assert lost.value.files == ["doomed.xlsx"]
            assert reader.hand_out(pid_after, [0.0, 0.0]).results() == [os.getpid()] * 2


def _is_reading_worker(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"spawn_main" in cmdline


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")
def test_a_reading_worker_killed_mid_run_stops_the_run_with_the_master_unchanged(base, inbox, tmp_path):
    """The system ends a reading worker (out of memory, `kill -9`) while it reads its share of the
    inbox: the run stops with exit code 2 and a message naming what was left unread, the master
    byte for byte as it was; never a traceback (exit code 3) or a master without those files.
    The kill races the worker's reading (a tenth of a second): a run the kill came too late for
    ends normally, and the test tries again."""
    stopped = 0
    for attempt in range(5):
        run = tmp_path / str(attempt)
        (run / "tmp").mkdir(parents=True)
        master = copy_master(base[0], run)
        before = master.read_bytes()
        env = {**os.environ, "TMPDIR": str(run / "tmp")}  # the run's claim files, where this test sees them
        proc = subprocess.Popen(
            [sys.executable, "-m", "envplan", "consolidate", str(master), str(inbox), "--jobs", "2", "--json", "--feedback", str(run / "fb")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if any((run / "tmp").glob("envplan-tasks-*/0")):  # a worker took the first chunk
                for pid in _processes_with(f"TMPDIR={run / 'tmp'}"):  # the command, its worker, the resource tracker
                    if _is_reading_worker(pid):
                        os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.001)
        out, err = proc.communicate(timeout=300)
        assert "Traceback" not in err, err
        if proc.returncode == 2:
            stopped += 1
            assert master.read_bytes() == before
            assert "読み込み用のプロセスが途中で終了しました" in err and "マスターは変更していません" in err and "--jobs 1" in err, err
            assert ".xlsx" in err.split("読み終わらなかったファイル（")[1], err
            message = json.loads(out)
            assert "worker" in json.dumps(message), out
            break
        assert proc.returncode == 1, err  # too late: the run was whole (returns sent back, as without the kill)
        assert len(json.loads(out)["files"]) == len(list_inbox(inbox)[0])
    assert stopped, "no run was stopped by the kill"


def test_handed_out_tasks_leave_no_claims_behind(base, tmp_path, monkeypatch):
    """The claim files live in a folder of the run's own, removed once the results are in, and
    when the run stops before taking them (an error, Ctrl-C)."""
    from worker_probe import pid_after

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # TMPDIR is read again
    key = load_key(base[0])
    with ReturnReader(key, key_id(key), jobs=2) as reader:
        reader.start(1000)
        reader.hand_out(pid_after, [0.0, 0.0]).results()
        assert list(tmp_path.iterdir()) == []
        reader.hand_out(pid_after, [0.2, 0.2])
        assert [p.name[:13] for p in tmp_path.iterdir()] == ["envplan-tasks"]
    assert list(tmp_path.iterdir()) == []


def test_feedback_copies_are_begun_while_the_other_files_are_judged(base, inbox, tmp_path, monkeypatch):
    """With workers, a file's feedback copy is handed to them as soon as its verdict is final
    (here the forged return, turned away by its identity, and the departments judged first),
    before the judging is over; the copies are those of a run without workers."""
    from envplan.survey import consolidate as run

    begun_before_planned: list[int] = []
    begin_all = run.FeedbackCopies.begin_all

    def spy(self, cplan):  # type: ignore[no-untyped-def]
        begun_before_planned.append(len(self._begun))
        return begin_all(self, cplan)

    monkeypatch.setattr(run.FeedbackCopies, "begin_all", spy)
    copies = {}
    for jobs in (2, 1):
        (tmp_path / str(jobs)).mkdir()
        master = copy_master(base[0], tmp_path / str(jobs))
        result = run.consolidate(master, inbox, jobs=jobs, feedback_dir=tmp_path / str(jobs) / "fb")
        copies[jobs] = {Path(f.feedback).name: _feedback_copy(Path(f.feedback))[1:] for f in result.files if f.feedback}
    assert begun_before_planned[0] >= 1 and begun_before_planned[1] == 0, begun_before_planned
    assert copies[2] == copies[1] and len(copies[1]) >= 2


def test_an_inbox_is_listed_by_what_each_entry_is(tmp_path):
    """The listing by `os.scandir` entry types judges each entry as `is_ignored` does on its
    path: folders (also one named like a file, a link to one), lock and hidden files, attachments
    (a link to one too) are set aside; returns, and links to them, are read."""
    from envplan.survey.inbox import is_ignored

    inbox = tmp_path / "受付"
    inbox.mkdir()
    for name in ("b.xlsx", "a.XLSX", "~$b.xlsx", ".~lock.b.xlsx#", ".hidden.xlsx", "Thumbs.db", "送付状.PDF", "memo.docx", "c.xlsm", "d.ods", "e", "f.x.xlsx"):
        (inbox / name).write_bytes(b"x")
    (inbox / "サブフォルダ").mkdir()
    (inbox / "folder.pdf").mkdir()
    (inbox / "link.xlsx").symlink_to(inbox / "b.xlsx")
    (inbox / "link-dir.xlsx").symlink_to(inbox / "サブフォルダ")
    (inbox / "link.pdf").symlink_to(inbox / "送付状.PDF")
    (inbox / "dangling.xlsx").symlink_to(inbox / "missing.xlsx")
    files, ignored = list_inbox(inbox)
    entries = sorted(inbox.iterdir(), key=lambda p: p.name)
    assert files == [p for p in entries if not is_ignored(p)]
    assert ignored == [p for p in entries if is_ignored(p)]
    assert [p.name for p in files] == ["a.XLSX", "b.xlsx", "c.xlsm", "d.ods", "dangling.xlsx", "e", "f.x.xlsx", "link.xlsx"]
