"""A plan of the size a city has (issue 11): 300 indicators, 40 departments,
30 policies, 10 categories — for the test that every sheet, template and page
copes with it, and for `make bench`."""

from __future__ import annotations

from envplan.plan.model import BudgetLine, Category, Department, Indicator, Opinion, Phase, Plan, Policy, Project, ProjectStatus, Rating, YearValue
from envplan.plan.targets import LevelTarget, PlanValuesTarget


def city_sized_plan(n_indicators: int = 300, n_departments: int = 40, n_policies: int = 30) -> Plan:
    start, end, current = 2021, 2030, 2024
    cats = [Category(code=str(k + 1), name=f"分野{k + 1}") for k in range(10)]
    depts = [Department(code=f"D{k + 1:02d}", name=f"第{k + 1}課") for k in range(n_departments)]
    inds = []
    for i in range(n_indicators):
        lag = i % 4
        plan_values = i % 5 == 0
        values = {fy: YearValue(plan=100.0 + fy - start if plan_values else None, actual=100.0 + (fy - start) * (1 + i % 3)) for fy in range(start, current + 1 - lag)}
        if plan_values:
            values.update({fy: YearValue(plan=100.0 + fy - start) for fy in range(current + 1 - lag, end + 1)})
        inds.append(
            Indicator(
                id=f"I{i + 1:03d}", name=f"指標{i + 1}", category=cats[i % len(cats)].code, unit="t", direction="higher",
                baseline_fy=start, baseline_value=100.0, target_wording="年度ごとの計画値" if plan_values else "2030年度までに130t",
                target=PlanValuesTarget() if plan_values else LevelTarget(year=end, value=130.0), department=depts[i % n_departments].code,
                data_lag=lag, policy=f"P{i % n_policies + 1:02d}" if i < 3 * n_policies else "", values=values,
            )
        )
    policies = [
        Policy(
            code=f"P{p + 1:02d}", sheet_no=p + 1, title=f"施策{p + 1}", evaluation_fy=current, department=depts[p % n_departments].code,
            ratings=[Rating(fy=current - 1, rating="B", reason="一定程度推進")] if p % 2 else [],
            reference_indicators=[inds[(p + k * n_policies) % n_indicators].id for k in range(3)],
            budget=[BudgetLine(fy=current, kind="予算", amount=1000.0 * (p + 1))] if p % 3 else [],
        )
        for p in range(n_policies)
    ]
    projects = [
        Project(
            id=f"PJ{k + 1:02d}", name=f"プロジェクト{k + 1}", category=cats[k % len(cats)].code, departments=[depts[k].code, depts[k + 1].code],
            phases=[Phase(name="検討", start_fy=start, end_fy=start + 1), Phase(name="実施", start_fy=start + 2, end_fy=end)],
            statuses=[ProjectStatus(fy=current - 1, status="予定どおり")],
        )
        for k in range(12)
    ]
    opinions = [Opinion(id=f"O{k + 1}", fy=current, source="住民意見", subject="indicator", subject_id=inds[k].id, text=f"意見{k + 1}") for k in range(20)]
    return Plan(
        name="緑川市環境基本計画", municipality="緑川市", start_fy=start, end_fy=end, current_fy=current,
        categories=cats, departments=depts, indicators=inds, policies=policies, projects=projects, opinions=opinions,
    )
