"""Reliability figures for `envplan consolidate` (issue 7), printed for the README:

1. the hostile corpus, each case through the real CLI in its own inbox:
   outcome (rejected / accepted with warnings), codes, no traceback, and the
   master unchanged by every rejected file;
2. peak memory (the process's max RSS) consolidating the 100,000-row return,
   against a normal return, and what the fast reader alone would take without
   the limits;
3. SIGKILL at many points of a large run (every department plus older copies,
   --jobs 2): where each kill landed and whether the master was intact;
4. a write that fails (RLIMIT_FSIZE) and a full tmpfs (where the system allows one);
5. pairs of consolidations started together: refused vs written, never both;
6. the merge property with more hypothesis examples than `make test` runs.

Environment: BENCH_KILLS (default 40), BENCH_PAIRS (10), BENCH_EXAMPLES (30).
Usage: python benchmarks/bench_reliability.py
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

KILLS = int(os.environ.get("BENCH_KILLS", "40"))
PAIRS = int(os.environ.get("BENCH_PAIRS", "10"))
EXAMPLES = int(os.environ.get("BENCH_EXAMPLES", "30"))
MB = 1024 * 1024


def sample_master(folder: Path) -> Path:
    from envplan.plan.illustrative import add_illustrative_actuals
    from envplan.plan.samples import load_sample
    from envplan.workbook.writer import save_master

    path = folder / "sample_all.xlsx"
    save_master(add_illustrative_actuals(load_sample("all")), path)
    return path


# Peak memory is read from /proc/self/status (VmHWM) at the child's exit: unlike ru_maxrss it
# does not include the memory of this (large) process the child was forked from.
PEAK_WRAPPER = """
import atexit, runpy, sys
out = sys.argv.pop(1)
def report():
    with open("/proc/self/status") as f:
        hwm = next(line for line in f if line.startswith("VmHWM"))
    with open(out, "w") as f:
        f.write(hwm.split()[1])
atexit.register(report)
module = sys.argv.pop(1)
sys.argv[0] = module
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def run_measured(args: list[str], **kwargs) -> tuple[int, str, str, int]:  # type: ignore[no-untyped-def]
    """Run `python -m module ...`; returns (exit code, stdout, stderr, peak RSS in KB of that process)."""
    assert args[:2] == [sys.executable, "-m"], args
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        proc = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, str(peak_file), *args[2:]], capture_output=True, text=True, **kwargs)
        peak = int(peak_file.read_text()) if peak_file.exists() else 0
        return proc.returncode, proc.stdout, proc.stderr, peak


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "envplan", *args]


def fresh_master(src: Path, folder: Path) -> Path:
    from crash_kit import copy_master

    return copy_master(src, folder)


# --- 1. hostile corpus -------------------------------------------------------------------------


def bench_corpus(work: Path, master_src: Path) -> None:
    from envplan.survey.consolidate import consolidate
    from hostile_corpus import build_corpus, other_plan_templates
    from returns_kit import issue, read_plan, sha

    base = work / "corpus"
    base.mkdir()
    master = base / "master.xlsx"
    master.write_bytes(master_src.read_bytes())
    templates = issue(master, base / "templates")
    (base / "empty").mkdir()
    consolidate(master, base / "empty")
    corpus = build_corpus(templates, base / "gen", other_plan_templates=other_plan_templates(master, base / "other"))
    print(f"\n1. Hostile corpus: {len(corpus.cases)} cases, each through `envplan consolidate --json` in its own inbox")
    print(f"   {'case':28s} {'expected':9s} {'outcome':9s} {'exit':4s} {'master':9s} codes")
    counts: Counter[str] = Counter()
    failures = []
    for case in corpus.cases:
        folder = base / "runs" / case.name
        m = fresh_master(master, folder)
        inbox = folder / "inbox"
        case.write(inbox)
        before_sha, before_plan = sha(m), read_plan(m)
        code, out, err, _ = run_measured(cli("consolidate", str(m), str(inbox), "--json"))
        data = json.loads(out)
        (f,) = data["files"]
        codes = sorted({d["code"] for d in f["errors"] + f["warnings"]})
        traceback = "Traceback" in err
        if f["status"] == "rejected":
            unchanged = read_plan(m) == before_plan
            master_note = "unchanged" if unchanged else "CHANGED"
            if not case.attributable:
                unchanged = unchanged and sha(m) == before_sha
                master_note = "identical" if unchanged else "CHANGED"
        else:
            unchanged, master_note = True, "updated"
        ok = f["status"] == case.expect and not traceback and unchanged and (
            bool(set(codes) & case.codes) if case.expect == "rejected" else case.codes <= set(codes)
        )
        counts[f["status"] + ("" if ok else " (UNEXPECTED)")] += 1
        if not ok:
            failures.append(case.name)
        print(f"   {case.name:28s} {case.expect:9s} {f['status']:9s} {code:<4d} {master_note:9s} {', '.join(codes)}")
    print(f"   => {len(corpus.cases)} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + f"; tracebacks 0 expected; as expected: {len(corpus.cases) - len(failures)}/{len(corpus.cases)}")
    if failures:
        print(f"   !! not as expected: {failures}")


# --- 2. peak memory ------------------------------------------------------------------------------


def bench_memory(work: Path, master_src: Path) -> None:
    from envplan.survey.template_layout import INDICATOR_SHEET
    from hostile_corpus import BASE_ANSWERS, DEPT, with_many_rows
    from returns_kit import fill, issue

    base = work / "memory"
    base.mkdir()
    master = base / "master.xlsx"
    master.write_bytes(master_src.read_bytes())
    templates = issue(master, base / "templates")
    normal = fill(templates[DEPT], BASE_ANSWERS, base / "normal.xlsx")
    big = base / "rows_100000.xlsx"
    big.write_bytes(with_many_rows(normal.read_bytes(), INDICATOR_SHEET, 100_000))
    print(f"\n2. Peak memory (max RSS of the process) — the 100,000-row return is {big.stat().st_size / MB:.1f} MB on disk")
    rows = []
    for label, path in (("a normal return", normal), ("the 100,000-row return", big)):
        m = fresh_master(master, base / label.replace(" ", "_"))
        inbox = base / (label.replace(" ", "_") + "_inbox")
        inbox.mkdir()
        shutil.copy2(path, inbox / path.name)
        started = time.perf_counter()
        code, out, _, rss = run_measured(cli("consolidate", str(m), str(inbox), "--json"))
        elapsed = time.perf_counter() - started
        status = json.loads(out)["files"][0]["status"]
        rows.append((label, rss, elapsed, status, code))
        print(f"   consolidate with {label:24s}: {rss / 1024:7.1f} MB peak, {elapsed:5.2f} s, {status}")
    delta = (rows[1][1] - rows[0][1]) / 1024
    print(f"   => the 100,000-row return adds {delta:+.1f} MB to the peak (bounded: the scan stops at row {5001:,} before any parser reads the sheet)")
    probe = base / "probe.py"
    probe.write_text(
        textwrap.dedent(
            f"""
            import python_calamine
            book = python_calamine.CalamineWorkbook.from_path({str(big)!r})
            rows = book.get_sheet_by_name({INDICATOR_SHEET!r}).to_python(skip_empty_area=False)
            print(len(rows))
            """
        )
    )
    _, out, _, rss = run_measured([sys.executable, "-m", "probe"], cwd=base, env={**os.environ, "PYTHONPATH": str(base)})
    print(f"   for comparison, the fast reader alone (no envplan) reading that sheet builds {int(out.strip()):,} rows: {rss / 1024:.1f} MB peak")


# --- 3. SIGKILL --------------------------------------------------------------------------------------


def bench_kills(work: Path, master_src: Path) -> None:
    from crash_kit import kill_once, kill_points, prepare

    setup = prepare(master_src, work / "kill_setup", copies=150, jobs=2)
    n_files = len(list(setup.inbox.iterdir()))
    print(f"\n3. SIGKILL during `envplan consolidate --jobs 2` ({n_files} returns, {len(setup.after.log) - len(setup.before.log)} values changed; a full run takes {setup.full_run_seconds:.1f} s)")
    points = kill_points(setup, KILLS, seed=7)
    phases: Counter[str] = Counter()
    intact = backups = next_ok = killed = 0
    problems = []
    for i, (during_write, delay) in enumerate(points):
        o = kill_once(setup, work / "kills" / f"k{i:03d}", during_write=during_write, delay=delay, jobs=2)
        phases[o.phase] += 1
        if o.phase != "finished":
            killed += 1
            intact += o.intact
            backups += o.backup_ok
            next_ok += o.next_run_ok
            if not (o.intact and o.backup_ok and o.next_run_ok):
                problems.append(o)
    print(f"   kill points tried: {len(points)}; landed: " + ", ".join(f"{k} {v}" for k, v in sorted(phases.items())))
    print(f"   => of {killed} runs killed: master intact (before or after, opens) {intact}/{killed}; backup of the state before present when replaced {backups}/{killed}; next run succeeded with no lock or temp file left {next_ok}/{killed}")
    for p in problems:
        print(f"   !! {p}")


# --- 4. failed writes ----------------------------------------------------------------------------------


def bench_disk_full(work: Path, master_src: Path) -> None:
    import resource

    from crash_kit import prepare
    from returns_kit import sha

    setup = prepare(master_src, work / "disk_setup")
    print("\n4. A write that fails")
    m = fresh_master(setup.master, work / "disk" / "rlimit")
    before = sha(m)
    limit = m.stat().st_size // 2

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    code, out, err, _ = run_measured(cli("consolidate", str(m), str(setup.inbox), "--json"), preexec_fn=limited)
    message = json.loads(out)["error"]["message"]
    print(f"   file size limit {limit:,} B: exit {code}, master {'unchanged' if sha(m) == before else 'CHANGED'}, traceback {'yes' if 'Traceback' in err else 'no'}")
    print(f"   message: {message}")
    if shutil.which("unshare"):
        disk, out_dir = work / "disk" / "tmpfs", work / "disk" / "tmpfs_out"
        disk.mkdir(parents=True)
        out_dir.mkdir(parents=True)
        from envplan.survey.template_identity import key_path

        size_kb = (setup.master.stat().st_size + 24 * 1024) // 1024
        script = f"""
            mount -t tmpfs -o size={size_kb}k tmpfs {disk} || exit 99
            cp {setup.master} {key_path(setup.master)} {disk}/
            {sys.executable} -m envplan consolidate {disk}/{setup.master.name} {setup.inbox} --json --feedback {out_dir}/fb > {out_dir}/r.json 2>/dev/null
            echo $? > {out_dir}/rc
            sha256sum {disk}/{setup.master.name} | cut -c1-64 > {out_dir}/sha
        """
        proc = subprocess.run(["unshare", "-rm", "sh", "-c", textwrap.dedent(script)], capture_output=True, text=True)
        if proc.returncode == 99 or not (out_dir / "rc").exists():
            print("   tmpfs: not available on this system (user namespaces not allowed)")
        else:
            rc = (out_dir / "rc").read_text().strip()
            same = (out_dir / "sha").read_text().strip() == sha(setup.master)
            msg = json.loads((out_dir / "r.json").read_text())["error"]["message"]
            print(f"   full tmpfs of {size_kb} KB: exit {rc}, master {'unchanged' if same else 'CHANGED'}; message: {msg}")


# --- 5. concurrency -------------------------------------------------------------------------------------


def bench_pairs(work: Path, master_src: Path) -> None:
    from crash_kit import prepare, snapshot

    setup = prepare(master_src, work / "pair_setup")
    outcomes: Counter[str] = Counter()
    double = 0
    for i in range(PAIRS):
        m = fresh_master(setup.master, work / "pairs" / f"p{i}")
        procs = [subprocess.Popen(cli("consolidate", str(m), str(setup.inbox), "--json", "--feedback", str(m.parent / f"fb{j}")), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for j in range(2)]
        results = [(p.returncode, out) for p in procs for out in [p.communicate()[0]]]
        wrote = sum(1 for code, out in results if code == 0 and json.loads(out).get("written"))
        refused = sum(1 for code, _ in results if code == 2)
        double += wrote > 1
        outcomes[f"{wrote} wrote, {refused} refused"] += 1
        assert snapshot(m) == setup.after
    print(f"\n5. Two consolidations started together, {PAIRS} times: " + "; ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())) + f"; both writing: {double}")


# --- 6. merge property ---------------------------------------------------------------------------------------


def bench_property() -> None:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_merge_property.py")],
        capture_output=True,
        text=True,
        env={**os.environ, "ENVPLAN_PROPERTY_EXAMPLES": str(EXAMPLES)},
        cwd=ROOT,
    )
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-300:]
    print(f"\n6. Merge property (hypothesis, {EXAMPLES} examples of up to 3 runs x 3 submissions): {last} in {time.perf_counter() - started:.0f} s")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="envplan-reliability-") as tmp:
        work = Path(tmp)
        master = sample_master(work)
        bench_corpus(work, master)
        bench_memory(work, master)
        bench_kills(work, master)
        bench_disk_full(work, master)
        bench_pairs(work, master)
        bench_property()


if __name__ == "__main__":
    main()
