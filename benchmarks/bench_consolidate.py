"""Figures for `envplan consolidate`: N filled returns (N = 100, 1,000) for a synthetic plan
with 60 indicators across 30 departments and for the bundled Shinagawa sample (its 8
departments' own templates), consolidated end to end (a fresh process: read every
return, verify, plan, write the master once, feedback), against a naive baseline in the
same run that loads each return fully with openpyxl (the same consolidation with the
reader swapped), and the reader's floor (python-calamine reading every sheet of every file).

Returns are made from the issued templates by writing the values into the
sheet XML, as a spreadsheet program would save them (openpyxl would take
minutes just to generate 1,000 files). Of N returns, each department sends about
N/(its departments): every one is read and verified; the latest per department wins.

Usage: python benchmarks/bench_consolidate.py [N ...]   (default: 100 1000)
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

N_DEPARTMENTS = 30
N_INDICATORS = 60
JOBS = 2
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
# The naive baseline and the reader's floor run from their own script: this one's imports
# (statistics, xml.sax with urllib and ssl, a fiftieth of a second) would be counted in them.
NAIVE_RUNS = str(Path(__file__).with_name("naive_runs.py"))


def synthetic_plan():
    from envplan.plan.model import Category, Department, Indicator, Phase, Plan, Policy, Project, Rating, YearValue
    from envplan.plan.targets import AnnualMinimumTarget, LevelTarget

    rng = random.Random(4)
    depts = [Department(code=f"D{d:02d}", name=f"第{d}課") for d in range(1, N_DEPARTMENTS + 1)]
    inds = []
    for i in range(N_INDICATORS):
        base = rng.uniform(50, 5000)
        values = {fy: YearValue(actual=round(base * (1 - 0.01 * (fy - 2013)) * rng.uniform(0.98, 1.02), 1)) for fy in range(2013, 2022)}
        target = LevelTarget(year=2022, value=round(base * 0.85, 1)) if i % 3 else AnnualMinimumTarget(value=2)
        inds.append(
            Indicator(
                id=f"I{i:03d}", name=f"指標{i}", category="C", unit="t", direction="lower" if i % 3 else "higher",
                baseline_fy=2012, baseline_value=round(base, 1), target_wording="（合成）", target=target,
                department=depts[i % N_DEPARTMENTS].code, data_lag=1 if i % 4 == 0 else 0, values=values,
                lower_bound=0, upper_bound=round(base * 3),
            )
        )
    projects = [
        Project(id=f"P{p}", number=str(p), name=f"プロジェクト{p}", category="C", departments=[depts[p * 3].code],
                phases=[Phase(name="実施", start_fy=2013, end_fy=2022)])
        for p in range(10)
    ]
    policies = [
        Policy(code=f"9{p:07d}", title=f"施策{p}", evaluation_fy=2022, department=depts[p * 6].code,
               ratings=[Rating(fy=2021, rating="B")], results="（合成）")
        for p in range(5)
    ]
    return Plan(name="合成計画（ベンチマーク）", start_fy=2013, end_fy=2022, current_fy=2022,
                categories=[Category(code="C", name="分野")], departments=depts, indicators=inds,
                projects=projects, policies=policies)


# --- returns written like a spreadsheet program saves them --------------------------------


def _sheet_paths(z: zipfile.ZipFile) -> dict[str, str]:
    workbook = z.read("xl/workbook.xml").decode()
    rels = z.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'<Relationship[^>]*Id="(rId\d+)"[^>]*Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="(rId\d+)"', rels)})
    out = {}
    for name, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="(rId\d+)"', workbook):
        target = targets[rid].lstrip("/")
        out[name] = target if target.startswith("xl/") else f"xl/{target}"
    return out


def _set_cell(xml: str, ref: str, value: object) -> str:
    pattern = re.compile(rf'<c r="{ref}"((?: s="\d+")?)(?: t="\w+")?\s*(?:/>|>.*?</c>)')
    if isinstance(value, (int, float)):
        repl = rf'<c r="{ref}"\1><v>{value}</v></c>'
    else:
        repl = rf'<c r="{ref}"\1 t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'
    new, n = pattern.subn(repl, xml, count=1)
    if n != 1:
        raise ValueError(f"input cell {ref} is not in the template XML")
    return new


class TemplateKit:
    """A template's parts, to stamp out filled returns fast."""

    def __init__(self, template: Path, plan) -> None:
        from envplan.survey.template_fill import input_cells

        self.cells = input_cells(template)
        with zipfile.ZipFile(template) as z:
            self.parts = {n: z.read(n) for n in z.namelist()}
            self.sheets = _sheet_paths(z)
        self.plan = plan

    def filled(self, i: int, rng: random.Random, *, mistake: bool) -> bytes:
        xml = {}
        answered = []
        for key, spec in self.cells.items():
            value = self._answer(key, rng)
            if value is None:
                continue
            path = self.sheets[spec.sheet]
            xml[path] = _set_cell(xml.get(path) or self.parts[path].decode(), spec.ref, value)
            answered.append(key)
        actuals = [k for k in answered if k[0] == "value" and k[3] == "actual"]
        if mistake and actuals:
            spec = self.cells[actuals[0]]
            path = self.sheets[spec.sheet]
            xml[path] = re.sub(rf'<c r="{spec.ref}"([^>]*)><v>[^<]*</v></c>', rf'<c r="{spec.ref}"\1 t="inlineStr"><is><t>未確定の数字</t></is></c>'.replace(' t="inlineStr" t=', " t="), xml[path], count=1)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_700_000_000 + i * 61))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
            for name, data in self.parts.items():
                if name in xml:
                    data = xml[name].encode()
                elif name == "docProps/core.xml":
                    data = re.sub(rb"<dcterms:modified([^>]*)>[^<]*<", b"<dcterms:modified\\1>" + stamp.encode() + b"<", data)
                out.writestr(name, data)
        return buf.getvalue()

    def _answer(self, key, rng):
        kind = key[0]
        if kind == "value" and key[3] == "actual":
            ind = self.plan.indicator(key[1])
            last = [v.actual for y, v in sorted(ind.values.items()) if v.actual is not None and y < key[2]]
            return round(last[-1] * rng.uniform(0.97, 1.03), 1) if last else None
        if kind == "value" and key[3] == "mark":
            return "速報" if rng.random() < 0.1 else None
        if kind == "value":
            return "（合成）備考" if rng.random() < 0.2 else None

        if kind == "project":
            return rng.choice(["予定どおり", "遅れ"]) if key[3] == "status" else "（合成）コメント"
        if kind == "rating":
            return rng.choice(["AⅠ", "AⅡ", "B"]) if key[3] == "rating" else "（合成）理由"
        if kind == "policy":
            return "（合成）成果" if key[2] == "results" else None
        if kind == "budget":
            return rng.randint(1000, 90000)
        if kind == "department":
            return f"担当{rng.randint(1, 9)}" if key[2] == "contact" else None
        return None


def make_inbox(kits: list[TemplateKit], n: int, inbox: Path) -> None:
    inbox.mkdir(parents=True)
    rng = random.Random(n)
    for i in range(n):
        kit = kits[i % len(kits)]
        data = kit.filled(i, rng, mistake=(i % 97 == 13))
        (inbox / f"return_{i:05d}.xlsx").write_bytes(data)


# --- measuring a run ------------------------------------------------------------------


def _tree_rss_kb(pid: int) -> int:
    total, stack, seen = 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def measure(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, peak RSS of the whole process tree in MB, process)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t
    done.set()
    sampler.join()
    return wall, peak / 1024, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _fresh(master: Path, folder: Path) -> Path:
    from envplan.survey.template_identity import key_path

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / master.name
    shutil.copy2(master, target)
    shutil.copy2(key_path(master), key_path(target))
    return target


def _counts(proc: subprocess.CompletedProcess) -> dict:
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    data = json.loads(proc.stdout)
    return {k: data[k] for k in ("accepted", "rejected", "unchanged", "changes")}


def plans():
    """The plans measured: the synthetic one (many departments and indicators), and the bundled
    Shinagawa sample with its own templates (8 departments: about N/8 returns each)."""
    from envplan.plan.samples import load_sample

    return [("合成計画", synthetic_plan()), ("品川区の見本", load_sample("shinagawa"))]


def main(sizes: list[int]) -> None:
    from precompiled import precompile

    precompile()  # every measured process starts from envplan's bytecode, as an installed one does
    print(f"CPU {os.cpu_count()}、--jobs {JOBS}、各 {REPEAT} 回の中央値（返送ファイルの作成時間は含まない）")
    print(f"負荷平均（開始時）: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, plan in plans():
        measure_plan(name, plan, sizes)
    print(f"負荷平均（1分・5分・15分）: {' '.join(f'{x:.2f}' for x in os.getloadavg())} — 他の処理が動いていると時間はぶれます")


def measure_plan(name: str, plan, sizes: list[int]) -> None:  # type: ignore[no-untyped-def]
    from envplan.survey.template_issue import issue_templates
    from envplan.workbook.writer import save_master

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        master = root / "master.xlsx"
        save_master(plan, master)
        templates = issue_templates(master, root / "templates")
        kits = [TemplateKit(t, plan) for t in templates]
        print(f"\n計画: {name}（指標 {len(plan.indicators)}、所管課 {len(plan.departments)}、様式 {len(templates)} 件）")
        print(f"{'N':>6} {'方式':<28} {'時間(s)':>8} {'最大メモリ(MB)':>14} {'ファイル/秒':>10}  結果")
        for n in sizes:
            inbox = root / f"inbox_{n}"
            make_inbox(kits, n, inbox)
            runs = [
                (f"envplan --jobs {JOBS}（calamine）", [sys.executable, "-m", "envplan", "consolidate", "MASTER", str(inbox), "--jobs", str(JOBS), "--json"]),
                ("envplan --jobs 1（calamine）", [sys.executable, "-m", "envplan", "consolidate", "MASTER", str(inbox), "--jobs", "1", "--json"]),
                ("素朴な方式（openpyxl 全読込）", [sys.executable, NAIVE_RUNS, "--baseline", "MASTER", str(inbox)]),
                ("読込の下限（calamine 全シート）", [sys.executable, NAIVE_RUNS, "--floor", str(inbox)]),
            ]
            figures = {}
            for label, cmd in runs:
                walls, peaks = [], []
                for k in range(REPEAT):
                    # Each run starts from the same master, so each does the whole work.
                    fresh = _fresh(master, root / f"run_{n}_{len(figures)}_{k}")
                    wall, peak, proc = measure([str(fresh) if c == "MASTER" else c for c in cmd])
                    counts = _counts(proc)
                    walls.append(wall)
                    peaks.append(peak)
                wall, peak = statistics.median(walls), max(peaks)
                figures[label] = wall
                spread = f"（{min(walls):.2f}～{max(walls):.2f}）" if REPEAT > 1 else ""
                print(f"{n:>6} {label:<28} {wall:>8.2f} {peak:>14.0f} {n / wall:>10.0f}  {counts} {spread}", flush=True)
            ours, single, naive, low = (figures[r[0]] for r in runs)
            # Two decimals: 2.96 shown as "3.0" would read as the N=100 target met.
            met = "達成" if naive / ours >= (10 if n >= 1000 else 3) else "未達"
            print(f"{n:>6} 素朴な方式との比: {naive / ours:.2f} 倍速い（--jobs 1: {naive / single:.2f} 倍）。目標: N=1000 で 10 倍以上、N=100 で 3 倍以上 → {met}", flush=True)
            floor_met = f" → {'達成' if ours / low <= 2 else '未達'}" if n >= 1000 else ""
            print(f"{n:>6} 読込の下限との比: {ours / low:.2f} 倍（--jobs 1: {single / low:.2f} 倍）。目標: N=1000 で 2 倍以内{floor_met}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000])
