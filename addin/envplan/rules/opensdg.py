"""The Open SDG progress measure, as implemented by sdg-build (`sdg/ProgressMeasure.py`,
class `SeriesProgress`), for one series — so our results are comparable with
the national SDG platforms built on Open SDG.

The rules, in the order sdg-build applies them:
- values without a number are dropped; the current year is the newest year;
- a target of 0 is replaced by 0.001;
- if the base year has no value, the first later year with one is the base year
  (sdg-build fails when there is none; here that is `not_available`);
- the target is achieved when the current value is at or beyond the target in
  the desired direction — then the status is `target_achieved` whatever else
  (even with a single data point);
- a base value of 0 is replaced by 0.001; base and current values of opposite
  signs, a base year after the current year, or fewer than two years of data
  give no progress value (`not_available`);
- without a target: progress = sign × d × CAGR(base → current), compared with
  0.015 / 0.005 / 0, the positive thresholds multiplied by the limit
  coefficient C when a natural limit is given;
- with a target: progress = sign × d × CAGR_observed ÷ |CAGR_required|, compared
  with 0.95 / 0.60 / 0 (a limit is ignored);
- `substantial_progress` ≥ high > `moderate_progress` ≥ med > `limited_progress`
  ≥ low > `deterioration`.
CAGR = (y_t / y_0)^(1 / (t − t_0)) − 1; d = +1 for "positive", −1 for "negative";
sign = −1 when the base value is negative. The score (−5…5) is sdg-build's too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

OpenSdgDirection = Literal["positive", "negative"]

OPENSDG_STATUSES: tuple[str, ...] = (
    "target_achieved",
    "substantial_progress",
    "moderate_progress",
    "limited_progress",
    "deterioration",
    "not_available",
)
OPENSDG_LABELS: dict[str, str] = {
    "target_achieved": "目標達成",
    "substantial_progress": "大きく前進",
    "moderate_progress": "前進（加速が必要）",
    "limited_progress": "わずかな前進",
    "deterioration": "悪化",
    "not_available": "評価不能",
}
TARGET_THRESHOLDS = {"high": 0.95, "med": 0.6, "low": 0.0}  # ratio of observed to required CAGR
GROWTH_THRESHOLDS = {"high": 0.015, "med": 0.005, "low": 0.0}  # CAGR without a target
ZERO_REPLACEMENT = 0.001
LIMIT_EXPONENT = 4.44


@dataclass
class OpenSdgProgress:
    """Every component of the calculation, for explanations."""

    status: str
    method: int  # 1: no quantitative target, 2: with a target
    base_year: int | None = None
    base_value: float | None = None
    current_year: int | None = None
    current_value: float | None = None
    target: float | None = None
    target_year: int | None = None
    direction: int = 1
    sign: int = 1
    limit: float | None = None
    thresholds: dict[str, float] = field(default_factory=dict)
    progress_value: float | None = None
    score: float | None = None
    notes: list[str] = field(default_factory=list)  # Japanese, why a rule applied

    @property
    def label(self) -> str:
        return OPENSDG_LABELS[self.status]


def growth(current: float, base: float, current_year: int, base_year: int) -> float:
    """Compound annual growth rate."""
    return (current / base) ** (1 / (current_year - base_year)) - 1


def opensdg_progress(
    values: Mapping[int, float | None],
    *,
    direction: OpenSdgDirection,
    base_year: int,
    target_year: int,
    target: float | None = None,
    limit: float | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> OpenSdgProgress:
    if direction not in ("positive", "negative"):
        raise ValueError(f'direction must be "positive" or "negative", not {direction!r}')
    d = 1 if direction == "positive" else -1
    notes: list[str] = []
    if target == 0:
        notes.append("目標値0は0.001に置き換えて計算")
        target = ZERO_REPLACEMENT
    method = 1 if target is None else 2
    result = OpenSdgProgress("not_available", method, target=target, target_year=target_year, direction=d, limit=limit, notes=notes)
    data = {int(y): float(v) for y, v in values.items() if v is not None and not math.isnan(float(v))}
    if not data:
        notes.append("値がありません")
        return result
    current_year = max(data)
    result.current_year, result.current_value = current_year, data[current_year]
    if base_year not in data:
        later = [y for y in data if y > base_year]
        if not later:
            notes.append(f"基準年（{base_year}）以降の値がありません")
            return result
        notes.append(f"基準年（{base_year}）の値がないため、その後の最初の年（{min(later)}）を基準年とした")
        base_year = min(later)
    base_value = data[base_year]
    result.base_year, result.base_value = base_year, base_value
    result.sign = -1 if base_value < 0 else 1
    result.thresholds = _thresholds(method, base_value, limit, thresholds, notes)
    achieved = target is not None and ((d == -1 and result.current_value <= target) or (d == 1 and result.current_value >= target))
    result.progress_value = _progress_value(result, notes)
    result.status = progress_status(result.progress_value, result.thresholds, achieved)
    result.score = _score(result, achieved)
    return result


def opensdg_status(
    values: Mapping[int, float | None],
    *,
    direction: OpenSdgDirection,
    base_year: int,
    target_year: int,
    target: float | None = None,
    limit: float | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> str:
    """One of `OPENSDG_STATUSES` for a series of year → value (see the module doc)."""
    return opensdg_progress(
        values, direction=direction, base_year=base_year, target_year=target_year, target=target, limit=limit, thresholds=thresholds
    ).status


def limit_coefficient(base_value: float, limit: float) -> float:
    """C: scales the positive thresholds down when the base value is near a natural limit."""
    base, lim = abs(base_value), abs(limit)
    if base >= 2 * lim:  # first, so that C = 1 when base and limit are both 0
        return 1.0
    if base <= lim:
        return 1 - (base / lim) ** LIMIT_EXPONENT
    return 1 - ((2 * lim - base) / lim) ** LIMIT_EXPONENT


def _thresholds(method: int, base_value: float, limit: float | None, user: Mapping[str, float] | None, notes: list[str]) -> dict[str, float]:
    out = dict(GROWTH_THRESHOLDS if method == 1 else TARGET_THRESHOLDS)
    out.update(user or {})
    if limit is not None:
        if method == 1:
            coeff = limit_coefficient(base_value, limit)
            for key in ("high", "med", "low"):
                out[key] *= coeff
            out["coefficient"] = coeff
            notes.append(f"上限・下限 {limit} に近いためしきい値に係数 {coeff:.3f} を掛けた")
        else:
            notes.append("目標値があるため上限・下限は使わない")
    return out


def _progress_value(r: OpenSdgProgress, notes: list[str]) -> float | None:
    assert r.base_value is not None and r.current_value is not None and r.base_year is not None and r.current_year is not None
    base = r.base_value
    if base == 0:
        notes.append("基準値0は0.001に置き換えて計算")
        base = ZERO_REPLACEMENT
        r.base_value = base
    cur = r.current_value
    if (base > 0 and cur < 0) or (base < 0 and cur > 0):
        notes.append("基準値と最新値の符号が異なるため計算できません")
        return None
    if r.base_year > r.current_year:
        notes.append("基準年が最新の年より後です")
        return None
    if r.current_year - r.base_year < 1:
        notes.append("2年以上の値が必要です")
        return None
    observed = growth(cur, base, r.current_year, r.base_year)
    if r.method == 1:
        return r.sign * r.direction * observed
    assert r.target is not None and r.target_year is not None
    if r.target_year == r.base_year:
        notes.append("目標年が基準年と同じため必要な成長率を計算できません")
        return None
    if r.target / base < 0:
        # sdg-build (numpy) gets nan from a negative number's fractional power: no status.
        notes.append("目標値と基準値の符号が異なるため計算できません")
        return math.nan
    required = growth(r.target, base, r.target_year, r.base_year)
    numerator = r.sign * r.direction * observed
    if required == 0:
        # sdg-build divides numpy floats here: ±inf, or nan (no status) for 0/0.
        return math.copysign(math.inf, numerator) if numerator != 0 else math.nan
    return numerator / abs(required)


def progress_status(value: float | None, thresholds: Mapping[str, float], target_achieved: bool = False) -> str:
    if target_achieved:
        return "target_achieved"
    if value is None or math.isnan(value):
        return "not_available"
    if value >= thresholds["high"]:
        return "substantial_progress"
    if value >= thresholds["med"]:
        return "moderate_progress"
    if value >= thresholds["low"]:
        return "limited_progress"
    return "deterioration"


def _score(r: OpenSdgProgress, achieved: bool) -> float | None:
    """sdg-build's score (−5…5; 5 when the target is achieved), for aggregation."""
    if achieved:
        return 5.0
    v = r.progress_value
    if v is None or math.isnan(v):
        return None
    t = r.thresholds
    if r.method == 1:
        coeff = t.get("coefficient", 1.0)
        if v < t["low"]:
            return max(125 * v - 2.5, -5.0)
        if coeff == 0:
            return 5.0
        if v >= t["high"]:
            return min(500 * v / coeff - 5, 5.0)
        if v >= t["med"]:
            return 250 * v / coeff - 1.25
        return 500 * v / coeff - 2.5
    if v >= t["med"]:
        return min(7.1429 * v - 4.2857, 5.0)
    return max(4.1667 * v - 2.5, -5.0)
