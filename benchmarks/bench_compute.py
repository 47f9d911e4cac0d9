"""Figures for `envplan compute`: the pure computation on a large synthetic plan,
and the whole CLI run (read, validate, compute, write) on the sample masters."""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def large_plan(n_indicators: int = 1000, years: int = 20):
    from envplan.plan.model import Category, Department, Indicator, Plan, Policy, Rating, YearValue
    from envplan.plan.targets import AnnualMinimumTarget, ContinueTarget, LevelTarget, PlanValuesTarget, StateTarget, YearOverYearTarget

    rng = random.Random(1)
    start = 2010
    kinds = [
        lambda: LevelTarget(year=start + years - 1, value=50.0),
        lambda: AnnualMinimumTarget(value=2),
        lambda: YearOverYearTarget(),
        lambda: StateTarget(threshold=100),
        lambda: ContinueTarget(),
        lambda: PlanValuesTarget(),
    ]
    inds = []
    for i in range(n_indicators):
        values = {fy: YearValue(plan=100 - (fy - start) * 2, actual=100 - (fy - start) * 2 * rng.uniform(0.5, 1.2)) for fy in range(start, start + years)}
        inds.append(Indicator(
            id=f"I{i:04d}", name=f"指標{i}", category="C", direction="lower", baseline_fy=start - 1, baseline_value=100.0,
            target_wording="（合成）", target=kinds[i % len(kinds)](), department="X", data_lag=i % 3, values=values,
        ))
    policies = [
        Policy(code=f"P{p}", title=f"施策{p}", evaluation_fy=start + years - 1, department="X",
               reference_indicators=[f"I{(p * 3 + k) % n_indicators:04d}" for k in range(3)],
               ratings=[Rating(fy=start + years - 1, rating="AⅡ")], period_start_fy=start, period_end_fy=start + years - 1)
        for p in range(n_indicators // 10)
    ]
    return Plan(name="合成計画", start_fy=start, end_fy=start + years - 1, current_fy=start + years - 1,
                categories=[Category(code="C", name="分野")], departments=[Department(code="X", name="課")],
                indicators=inds, policies=policies)


def main() -> None:
    from envplan.rules.compute import compute_plan

    plan = large_plan()
    t = time.perf_counter()
    result = compute_plan(plan)
    dt = time.perf_counter() - t
    print(f"compute_plan: {len(plan.indicators)} 指標 × {len(result.indicators[0].years)} 年度、施策 {len(plan.policies)}: {dt:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        for sample, extra in (("shinagawa", ["--illustrative"]), ("kawasaki", [])):
            master = Path(tmp) / f"{sample}.xlsx"
            subprocess.run([sys.executable, "-m", "envplan", "init", str(master), "--sample", sample, *extra], check=True, capture_output=True)
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "envplan", "compute", str(master), "--json"], check=True, capture_output=True)
            print(f"envplan compute（{sample}、プロセス起動・検証・書き込みを含む）: {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
