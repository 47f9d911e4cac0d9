"""Publishing a large plan: 200 indicators over 10 fiscal years, with and
without the PDF. Targets (issue 5): with PDF under 15 s, without under 3 s,
on 2 cores.

Run: .venv/bin/python benchmarks/bench_publish.py [--indicators N] [--years N]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from pathlib import Path

from envplan.plan.illustrative import add_illustrative_actuals
from envplan.plan.model import BudgetLine, Category, Department, Indicator, Phase, Plan, Policy, Project, ProjectStatus, Rating, RelatedPlan, SubProject, YearValue
from envplan.plan.samples import load_sample
from envplan.plan.targets import LevelTarget, PlanValuesTarget
from envplan.report.publish import publish
from envplan.workbook.writer import save_master

TARGET_WITH_PDF = 15.0
TARGET_WITHOUT_PDF = 3.0


def make_plan(n_indicators: int = 200, n_years: int = 10, seed: int = 5) -> Plan:
    """A plan shaped like the Shinagawa roadmap, scaled up: the sample's
    indicators repeated with new IDs, ten policies with reference indicators."""
    rng = random.Random(seed)
    sample = add_illustrative_actuals(load_sample("shinagawa"))
    start = 2013
    end = start + n_years - 1
    cats = [Category(code=f"C{k}", name=name) for k, name in enumerate(("地球環境", "自然環境", "生活環境", "快適環境", "共通"), 1)]
    depts = [Department(code=f"D{k:02d}", name=f"環境部第{k}課") for k in range(1, 11)]
    inds: list[Indicator] = []
    for k in range(n_indicators):
        base = sample.indicators[k % len(sample.indicators)]
        ind = base.model_copy(deep=True)
        ind.id = f"X{k + 1:03d}"
        ind.name = f"{base.name}（地区{k // len(sample.indicators) + 1}）"
        ind.category = cats[k % len(cats)].code
        ind.department = depts[k % len(depts)].code
        ind.illustrative = True
        ind.values = {fy: v for fy, v in ind.values.items() if fy <= end}
        if k % 7 == 0:  # some indicators carry per-year plan values, like the Kawasaki ones
            ind.target = PlanValuesTarget()
            ind.target_wording = "各年度の計画値"
            ind.direction = "higher"
            ind.unit = "件"
            ind.baseline_fy, ind.baseline_value = start, 100.0
            ind.data_lag = 0
            ind.values = {fy: YearValue(plan=100.0 + 10 * (fy - start), actual=round(100 + 10 * (fy - start) * rng.uniform(0.7, 1.2))) for fy in range(start, end + 1)}
        elif isinstance(ind.target, LevelTarget) and ind.target.year > end:
            ind.target = LevelTarget(year=end, value=ind.target.value)
        inds.append(ind)
    projects = [
        Project(
            id=f"P{k}", number="①②③④⑤⑥⑦⑧⑨⑩"[k - 1], name=f"重点プロジェクト{k}", category=cats[k % len(cats)].code, departments=[depts[k - 1].code],
            phases=[Phase(name="仕組み検討", start_fy=start, end_fy=start + 1), Phase(name="事業の開始", start_fy=start + 2, end_fy=start + 3), Phase(name="事業の拡大", start_fy=start + 4, end_fy=end)],
            statuses=[ProjectStatus(fy=fy, status=rng.choice(["予定どおり", "前倒し", "遅れ"])) for fy in range(start, end + 1)],
        )
        for k in range(1, 11)
    ]
    policies = []
    for k in range(10):
        refs = [i.id for i in inds if i.target.kind == "plan_values"][3 * k: 3 * k + 3]
        policies.append(
            Policy(
                code=f"{41300000 + k}", title=f"施策{k + 1} 環境技術を活かした取組", evaluation_fy=end, department=depts[k].code,
                basic_policy="環境を守り自然と調和したまちづくり", period_name="実行計画", period_start_fy=end - 2, period_end_fy=end,
                issues="●" + "地球温暖化などの環境問題に国境はなく、地球規模での環境改善は喫緊の課題です。" * 3,
                overview="●" + "本市に蓄積している環境技術を活かした交流や技術移転を促します。" * 3,
                goals="●持続可能な社会の地球規模での実現を目指します。",
                results="●" + "国際環境技術展を開催し、情報発信や国際的ビジネスマッチングの場の提供を行いました。" * 4,
                remaining_issues="●推進方針に基づいてプロジェクト等を具体的に展開する必要があります。",
                ratings=[Rating(fy=fy, rating="AⅡ", reason="着実に推進したが新たな課題がある" if fy == end else "") for fy in range(end - 2, end + 1)],
                future_direction="●取組を継続し、先進的な取組の情報交換を図ります。",
                reference_indicators=refs,
                budget=[BudgetLine(fy=fy, kind=kind, amount=rng.randint(10_000, 50_000)) for fy in range(end - 2, end + 1) for kind in ("予算", "決算")],
                subprojects=[SubProject(name=f"事務事業{j}") for j in range(1, 5)],
            )
        )
    for ind in inds:
        if any(ind.id in p.reference_indicators for p in policies):
            ind.policy = next(p.code for p in policies if ind.id in p.reference_indicators)
    related = [RelatedPlan(id=f"R{k:02d}", name=f"関連計画{k}", start_fy=start - 3 + k, end_fy=start + 5 + k) for k in range(1, 11)]
    return Plan(
        name="ベンチマーク市環境基本計画", municipality="ベンチマーク市", start_fy=start, end_fy=end, current_fy=end,
        illustrative_note=sample.illustrative_note, categories=cats, departments=depts, indicators=inds, projects=projects,
        related_plans=related, policies=policies,
    )


def main() -> bool:
    ap = argparse.ArgumentParser()
    ap.add_argument("--indicators", type=int, default=200)
    ap.add_argument("--years", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan = make_plan(args.indicators, args.years)
        master = folder / "bench_master.xlsx"
        save_master(plan, master)
        print(f"publish: {len(plan.indicators)} indicators × {args.years} fiscal years, {len(plan.policies)} policies, {len(plan.projects)} projects")
        ok = True
        for with_pdf, limit in ((False, TARGET_WITHOUT_PDF), (True, TARGET_WITH_PDF)):
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            t = time.perf_counter()
            res = publish(master, folder / ("site-pdf" if with_pdf else "site"), pdf=with_pdf)
            took = time.perf_counter() - t
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            own = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
            ok &= took < limit
            label = "with PDF   " if with_pdf else "without PDF"
            stages = ", ".join(f"{k} {v:.2f}" for k, v in res.seconds.items() if k != "total")
            load = os.getloadavg()[0]
            pdf = f"; report {res.report_pdf_pages} pages, sheets {res.evaluation_sheet_pages} pages" if with_pdf else ""
            print(f"  {label}: {took:6.2f} s (target < {limit:.0f} s) {'OK' if took < limit else 'SLOW'} — {len(res.pages)} HTML pages{pdf}")
            print(f"      stages (s): {stages}")
            print(f"      CPU time in Python {own:.2f} s (the browser's is not counted); load average at the end {load:.2f} on {os.cpu_count()} cores — other work on the machine slows the figures")
    return ok


if __name__ == "__main__":
    from precompiled import precompile  # benchmarks/, beside this file (the tests load this module by its path for make_plan)

    precompile()
    main()  # figures only: `make bench` runs every benchmark whatever the outcome
