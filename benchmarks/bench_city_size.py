"""A plan of the size a city has (issue 11): 300 indicators, 40 departments, 30
policies — the whole cycle through the CLI as staff run it: init-time master
write, validate, compute, issue (40 templates), publish without the PDF, and a
period change that adds five years on each side.
No target of its own: the figures show where a big plan's time goes.

Run: .venv/bin/python benchmarks/bench_city_size.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from city_sized import city_sized_plan  # noqa: E402  (the test suite's builder, one definition)
from envplan.workbook.writer import save_master  # noqa: E402


def _cli(*args: str) -> float:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "envplan", *args], capture_output=True, text=True)
    took = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"envplan {args[0]} failed: {proc.stderr[-400:]}")
    return took


def main() -> None:
    plan = city_sized_plan()
    print(f"city-sized plan: {len(plan.indicators)} indicators, {len(plan.departments)} departments, {len(plan.policies)} policies")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        master = folder / "master.xlsx"
        t = time.perf_counter()
        save_master(plan, master)
        print(f"  write master:   {time.perf_counter() - t:6.2f} s ({master.stat().st_size // 1024} KiB)")
        print(f"  validate:       {_cli('validate', str(master), '--json'):6.2f} s")
        print(f"  compute:        {_cli('compute', str(master), '--json'):6.2f} s")
        print(f"  issue (40):     {_cli('issue', str(master), '--out', str(folder / 'templates'), '--json'):6.2f} s")
        print(f"  publish no PDF: {_cli('publish', str(master), '--out', str(folder / 'site'), '--no-pdf', '--json'):6.2f} s")
        # Five years more on each side: 30 year columns inserted in place over 3 sheets.
        print(f"  period ±5 years: {_cli('period', str(master), '--start', '2016', '--end', '2035', '--json'):5.2f} s")


if __name__ == "__main__":
    main()
