"""Illustrative actuals for a plan whose source carries none (the Shinagawa roadmap).

They exist so the demo can run the whole cycle. Every indicator that gets them
is flagged `illustrative`, and the plan carries a note; the workbook and the
report say plainly that these are not real figures. The values are
deterministic (seeded by indicator ID) so tests and the demo are repeatable.
"""

from __future__ import annotations

import random

from envplan.plan.model import Indicator, Plan, YearValue
from envplan.plan.targets import (
    AnnualMinimumTarget,
    ChangeTarget,
    ContinueTarget,
    ImproveTarget,
    IncreaseTarget,
    LevelTarget,
    StateTarget,
    YearOverYearTarget,
)

ILLUSTRATIVE_NOTE = (
    "実績値・基準値は、デモのために生成した例示値です。実際の数値ではありません。"
    "（原資料のロードマップには実績値が掲載されていないため）"
)

# Units of things counted one by one: their values are whole numbers.
_COUNT_UNITS = ("回", "ヶ所", "箇所", "地区", "施設", "台", "事業所", "件", "校", "人", "団体")

# Per indicator kind of story, so the demo shows every status: share of the way
# from baseline to target reached by the newest year (1.0 = on the path).
_PACE = {
    "S01": 0.9, "S02": 1.1, "S05": 0.75, "S06": 0.55, "S10": 1.2, "S11": 0.4, "S14": 1.0, "S15": 1.3,
}
# Starting points where the seed gives none (plausible magnitudes for a Tokyo ward).
_BASELINE = {
    "S01": 1_520.0, "S02": 1.95, "S03": 12.0, "S05": 510.0, "S06": 24.5, "S08": 46.0, "S10": 0.0,
    "S11": 21.4, "S13": 9_800.0, "S14": 1.0, "S15": 62.0, "S16": 40.0,
}


def add_illustrative_actuals(plan: Plan, *, only: set[str] | None = None) -> Plan:
    """A copy of the plan with illustrative baselines and actuals (up to the
    current year, less each indicator's data lag) for indicators without actuals."""
    plan = plan.model_copy(deep=True)
    touched = False
    for ind in plan.indicators:
        if (only and ind.id not in only) or any(v.actual is not None for v in ind.values.values()):
            continue
        _fill(plan, ind)
        touched = True
    if touched:
        plan.illustrative_note = ILLUSTRATIVE_NOTE
    return plan


def _fill(plan: Plan, ind: Indicator) -> None:
    rng = random.Random(ind.id)
    last = plan.current_fy - ind.data_lag
    years = range(plan.start_fy, last + 1)
    t = ind.target
    base = _BASELINE.get(ind.id)
    if ind.baseline_fy is not None and base is not None:
        ind.baseline_value = base
        ind.values[ind.baseline_fy] = YearValue(actual=base)
    ind.illustrative = True
    values: dict[int, float] = {}
    if isinstance(t, (LevelTarget, ChangeTarget)) and base is not None and ind.baseline_fy is not None:
        goal = t.value if isinstance(t, LevelTarget) else base * (1 + t.percent / 100)
        pace = _PACE.get(ind.id, 1.0)
        span = max(1, t.year - ind.baseline_fy)
        for fy in years:
            share = min(1.3, pace * (fy - ind.baseline_fy) / span)
            noise = 1 + rng.uniform(-0.01, 0.01)
            values[fy] = (base + (goal - base) * share) * noise
    elif isinstance(t, IncreaseTarget) and base is not None:
        level = base
        for fy in years:
            level += rng.choice((0, 1, 1, 2, 3))
            values[fy] = level
    elif isinstance(t, AnnualMinimumTarget):
        for fy in years:
            values[fy] = t.value + rng.choice((0, 1, 2, 3)) if fy != 2020 else max(0, t.value - 1)
    elif isinstance(t, ContinueTarget):
        for fy in years:
            values[fy] = rng.randint(8, 20)
    elif isinstance(t, ImproveTarget) and base is not None:
        for fy in years:
            values[fy] = base + (fy - plan.start_fy) * 0.6 + rng.uniform(-1.5, 1.5)
    elif isinstance(t, StateTarget):
        for fy in years:
            if t.year is None:
                values[fy] = 100.0 if fy not in (2016,) else 80.0
            else:
                values[fy] = min(100.0, 60.0 + 5 * (fy - plan.start_fy))
    elif isinstance(t, YearOverYearTarget) and base is not None:
        level = base
        for fy in years:
            level *= 0.93 if fy != last else 1.04
            values[fy] = level
    whole = ind.unit in _COUNT_UNITS
    for fy, v in values.items():
        ind.values[fy] = YearValue(actual=float(round(v)) if whole else _round(v, base))


def _round(value: float, scale: float | None) -> float:
    if scale is not None and abs(scale) < 10:
        return round(value, 2)
    if scale is not None and abs(scale) < 100:
        return round(value, 1)
    return float(round(value))
