"""The attainment rules as small pure functions (also behind the worksheet UDFs).

Rates are fractions (1.0 = 100%). `None` means "cannot be computed" (a value
is missing or a division by zero would be needed); callers say why.

達成率 for lower-is-better indicators is plan ÷ actual (not the mirror
1 − (actual − plan) ÷ plan): it stays a ratio, 100% means exactly on plan,
above 100% means better than plan, and it is the reciprocal of the
higher-is-better rate, so swapping the direction mirrors the result.
"""

from __future__ import annotations

from typing import Literal

Direction = Literal["higher", "lower"]

STATUSES: tuple[str, ...] = ("達成", "順調", "やや遅れ", "遅れ", "悪化", "評価不能")
# A text mark per status so that status is never carried by colour alone.
STATUS_ICONS: dict[str, str] = {"達成": "◎", "順調": "○", "やや遅れ": "△", "遅れ": "▲", "悪化": "✕", "評価不能": "－"}
STATUS_EN: dict[str, str] = {
    "達成": "achieved",
    "順調": "on_track",
    "やや遅れ": "slightly_behind",
    "遅れ": "behind",
    "悪化": "worsened",
    "評価不能": "not_evaluable",
}
# Fill colours for conditional formatting (light, so black text keeps AA contrast).
STATUS_FILLS: dict[str, str] = {
    "達成": "C6EFCE",
    "順調": "DDEBF7",
    "やや遅れ": "FFEB9C",
    "遅れ": "FCE4D6",
    "悪化": "FFC7CE",
    "評価不能": "EDEDED",
}
STATUS_MEANINGS: dict[str, str] = {
    "達成": "目標（その年度の計画値・毎年の目標を含む）に届いている",
    "順調": "目標への直線上の見込みどおり、またはそれ以上に進んでいる",
    "やや遅れ": "見込みに届かないが、設定の割合（既定80%）以上進んでいる",
    "遅れ": "見込みの設定の割合（既定80%）に届かない",
    "悪化": "基準（基準値・前年度）より目標から遠ざかっている",
    "評価不能": "値がない、基準値がない等のため判定できない",
}

DEFAULT_ON_TRACK = 1.0
DEFAULT_SLIGHTLY_BEHIND = 0.8


def status_label(status: str) -> str:
    """"◎ 達成": the icon and the word together."""
    return f"{STATUS_ICONS.get(status, '')} {status}".strip()


def better(a: float, b: float, direction: Direction) -> bool:
    """a is strictly better than b."""
    return a > b if direction == "higher" else a < b


def reaches(actual: float, target: float, direction: Direction) -> bool:
    """actual is at the target or beyond it in the good direction."""
    return actual >= target if direction == "higher" else actual <= target


def achievement_rate(actual: float | None, plan: float | None, direction: Direction = "higher") -> float | None:
    """達成率: actual ÷ plan when higher is better, plan ÷ actual when lower is better.
    None when a value is missing, the divisor is not positive or the other value is negative."""
    if actual is None or plan is None:
        return None
    num, den = (actual, plan) if direction == "higher" else (plan, actual)
    if den <= 0 or num < 0:
        return None
    return num / den


def progress_rate(actual: float | None, baseline: float | None, target: float | None) -> float | None:
    """進捗率: (actual − baseline) ÷ (target − baseline); the sign carries the direction,
    so it reads the same for higher- and lower-is-better indicators."""
    if actual is None or baseline is None or target is None or target == baseline:
        return None
    return (actual - baseline) / (target - baseline)


def expected_value(
    baseline_fy: int | None,
    baseline_value: float | None,
    target_fy: int | None,
    target_value: float | None,
    fy: int,
) -> float | None:
    """The value on the straight line from (baseline_fy, baseline_value) to
    (target_fy, target_value) in `fy`; the target itself after the target year.
    None before the baseline year or without a usable baseline/target."""
    if None in (baseline_fy, baseline_value, target_fy, target_value):
        return None
    assert baseline_fy is not None and baseline_value is not None and target_fy is not None and target_value is not None
    if target_fy <= baseline_fy or fy < baseline_fy:
        return None
    if fy >= target_fy:
        return target_value
    return baseline_value + (target_value - baseline_value) * (fy - baseline_fy) / (target_fy - baseline_fy)


def pace(actual: float, baseline: float, expected: float) -> float | None:
    """進み具合: the share of the expected progress made ((actual − baseline) ÷ (expected − baseline))."""
    if expected == baseline:
        return None
    return (actual - baseline) / (expected - baseline)


def status_for(
    actual: float | None,
    *,
    direction: Direction,
    baseline: float | None,
    target: float | None,
    expected: float | None,
    on_track: float = DEFAULT_ON_TRACK,
    slightly_behind: float = DEFAULT_SLIGHTLY_BEHIND,
) -> str:
    """The status of a value on the way from a baseline to a target (the path rule).

    In order: no value or no target → 評価不能; at or beyond the target → 達成
    (whatever the path); worse than the baseline → 悪化; then the pace against
    the expected value: ≥ on_track → 順調, ≥ slightly_behind → やや遅れ, else 遅れ.
    In the baseline year itself (nothing expected yet) a value not worse than
    the baseline is 順調.
    """
    if actual is None or target is None:
        return "評価不能"
    if reaches(actual, target, direction):
        return "達成"
    if baseline is None or expected is None:
        return "評価不能"
    if better(baseline, actual, direction):
        return "悪化"
    p = pace(actual, baseline, expected)
    if p is None:
        return "順調"
    return band(p, on_track, slightly_behind)


def band(ratio: float, on_track: float = DEFAULT_ON_TRACK, slightly_behind: float = DEFAULT_SLIGHTLY_BEHIND) -> str:
    """順調 / やや遅れ / 遅れ for a ratio (pace or achievement rate)."""
    if ratio >= on_track:
        return "順調"
    if ratio >= slightly_behind:
        return "やや遅れ"
    return "遅れ"


def plan_value_status(
    actual: float | None,
    plan: float | None,
    *,
    direction: Direction,
    previous: float | None = None,
    on_track: float = DEFAULT_ON_TRACK,
    slightly_behind: float = DEFAULT_SLIGHTLY_BEHIND,
) -> str:
    """The status against a plan value set for the year itself (Kawasaki 参考指標):
    達成率 ≥ 100% → 達成; ≥ on_track → 順調; ≥ slightly_behind → やや遅れ;
    below that, worse than the previous year's actual → 悪化, else 遅れ."""
    rate = achievement_rate(actual, plan, direction)
    if actual is None or plan is None:
        return "評価不能"
    if reaches(actual, plan, direction):
        return "達成"
    if rate is None:
        return "評価不能"
    status = band(rate, on_track, slightly_behind)
    if status == "遅れ" and previous is not None and better(previous, actual, direction):
        return "悪化"
    return status
