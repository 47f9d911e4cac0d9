"""Evaluating one indicator's year with an evaluation scheme (see plan/schemes.py).

The facts a rule looks at are taken from the computed year (rules/indicator_rules.py):
the actual, the year's target (plan value, else the expected value on the path),
the final target, the achievement and progress rates, last year's actual, the
baseline and envplan's own status. The first level whose rule holds is the level.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from envplan.plan.schemes import Level, Rule, Scheme, pair
from envplan.rules.attainment import Direction, achievement_rate, reaches
from envplan.rules.results import IndicatorResult, YearResult


@dataclass(frozen=True)
class Facts:
    actual: float | None
    direction: Direction
    year_target: float | None  # the year's plan value, else the expected value
    final_target: float | None
    progress: float | None
    previous: float | None
    baseline: float | None
    status: str
    tolerance: float = 0.0  # an approximate final target (「50%程度」): met this share short of it (設定の許容幅)

    @property
    def rate_year(self) -> float | None:
        return achievement_rate(self.actual, self.year_target, self.direction)

    @property
    def rate_final(self) -> float | None:
        return achievement_rate(self.actual, self.final_target, self.direction)


def facts_for(result: IndicatorResult, year: YearResult, tolerance: float = 0.0) -> Facts:
    previous = next((y.actual for y in result.years if y.fy == year.fy - 1), None)
    direction: Direction = "lower" if result.direction == "lower" else "higher"
    year_target = year.plan if year.plan is not None else year.expected
    return Facts(
        actual=year.actual, direction=direction, year_target=year_target, final_target=result.target_value,
        progress=year.progress_rate, previous=previous, baseline=result.baseline_value, status=year.status, tolerance=tolerance,
    )


def _near(actual: float, target: float, direction: Direction, tolerance: float) -> bool:
    """Short of the target by no more than the tolerance (a share of the target)."""
    if tolerance <= 0 or target == 0:
        return False
    short = (target - actual) / abs(target) if direction == "higher" else (actual - target) / abs(target)
    return short <= tolerance + 1e-12


def _trend(actual: float, ref: float, direction: Direction, tolerance: float) -> str:
    """better / same / worse; within ±tolerance (relative to |ref|) counts as the same."""
    if actual == ref:
        return "same"
    change = (actual - ref) / abs(ref) if ref != 0 else (1.0 if actual > ref else -1.0)
    if abs(change) <= tolerance:
        return "same"
    good = change > 0 if direction == "higher" else change < 0
    return "better" if good else "worse"


def holds(rule: Rule, f: Facts) -> bool:
    """Whether a rule holds for the facts. A rule about a figure that is missing does not hold."""
    k = rule.kind
    if k == "otherwise":
        return True
    if k == "no_figure":
        return f.actual is None
    if k == "no_target":
        return f.final_target is None and f.year_target is None
    if k == "status":
        return f.status == rule.status
    if f.actual is None:
        return False
    if k == "final_met":
        return f.final_target is not None and (reaches(f.actual, f.final_target, f.direction) or _near(f.actual, f.final_target, f.direction, f.tolerance))
    if k == "year_met":
        return f.year_target is not None and reaches(f.actual, f.year_target, f.direction)
    if k == "band":
        x = {"rate_year": f.rate_year, "rate_final": f.rate_final, "progress": f.progress}[rule.metric or "rate_year"]
        if x is None:
            return False
        return (rule.low is None or x >= rule.low) and (rule.high is None or x < rule.high)
    ref = f.previous if rule.against == "previous" else f.baseline
    if ref is None:
        return False
    return _trend(f.actual, ref, f.direction, rule.tolerance) == rule.trend


def level_for(scheme: Scheme, f: Facts) -> tuple[Level, str]:
    """(the level, why) — the first level whose rule holds. A usable scheme (check_scheme)
    ends with その他, so there is always one; otherwise the last level is used and said so.
    A two-axis scheme judges each axis so and gives the pair (「Ab」), with both reasons."""
    if scheme.second is not None:
        a, why_a = level_for(replace(scheme, second=None), f)
        b, why_b = level_for(scheme.second, f)
        both = pair(scheme, a, b)
        if both is a:
            return a, why_a
        return both, f"{scheme.axes[0]}: {why_a}。{scheme.axes[1]}: {why_b}。よって「{both.symbol} {both.label}」"
    for lv in scheme.levels:
        if holds(lv.rule, f):
            return lv, f"「{lv.rule.text()}」に当たるため「{lv.symbol} {lv.label}」"
    last = scheme.levels[-1]
    return last, f"どの区分の条件にも当たらないため最後の区分「{last.symbol} {last.label}」（評価区分の設定を確認してください）"
