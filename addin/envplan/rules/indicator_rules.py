"""Attainment of one indicator, year by year, by the rule of its target kind.

Each kind's rule is documented in `KIND_RULES` (shown in the workbook's
判定ルール sheet and the README). Every year carries an explanation: the
values, the years and the rule that gave the figures and the status.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache

from envplan.plan.model import Indicator, Plan, Settings
from envplan.plan.numbers import format_number, indicator_digits
from envplan.plan.target_wording import TargetWordingError, read_target
from envplan.plan.targets import (
    AnnualMinimumTarget,
    ChangeTarget,
    ContinueTarget,
    DecreaseTarget,
    ImproveTarget,
    IncreaseTarget,
    LevelTarget,
    MaintainTarget,
    PeriodTotalTarget,
    PlanValuesTarget,
    StateTarget,
    Target,
    YearOverYearTarget,
)
from envplan.rules.attainment import (
    STATUS_ICONS,
    Direction,
    achievement_rate,
    band,
    better,
    expected_value,
    pace,
    plan_value_status,
    progress_rate,
    reaches,
    status_for,
)
from envplan.rules.opensdg import OPENSDG_LABELS, OpenSdgDirection, OpenSdgProgress, opensdg_progress
from envplan.rules.results import IndicatorResult, OtherTarget, YearResult

KIND_RULES: dict[str, str] = {
    "level": (
        "基準年度の基準値と目標年度の目標値を結ぶ直線上の値を各年度の見込み値とし（目標年度以降は目標値）、"
        "目標値に届けば「達成」（文言が「程度・概ね・約」の目安なら設定の許容幅まで届かなくても「達成」）、基準値より悪ければ「悪化」、それ以外は進み具合 =（実績−基準値）÷（見込み値−基準値）で"
        "「順調」「やや遅れ」「遅れ」。達成率は計画値（入力があれば）または目標値に対する割合。"
    ),
    "change": "目標値を 基準値 ×（1 ＋ 増減率）として、水準の目標と同じ規則で判定します。基準値が必要です。",
    "period_total": (
        "期間の最初の年度（目標の補足）から目標年度までの各年度の実績（その年度の量）を合計し、目標値（期間の合計）と比べます。"
        "合計が届けば「達成」（小さいほどよい指標は期間の終わりに）、期間が終わって届かなければ「遅れ」、"
        "途中の年度は 合計 ÷ 見込み（目標の合計を期間の年度数で均等に割った、その年度までの分）で「順調」「やや遅れ」「遅れ」。"
        "期間の年度の実績が1つでも欠けていれば「評価不能」。達成率は 合計 ÷ 目標値。"
    ),
    "annual_minimum": (
        "各年度、実績が目標値以上なら「達成」。達成率（実績÷目標値）が「順調」「やや遅れ」の割合以上ならその区分、"
        "それ未満で前年度より減っていれば「悪化」、そうでなければ「遅れ」。何年度達成したかも示します。"
    ),
    "year_over_year": (
        "各年度、前年度の実績より改善していれば達成側。計画期間の最初から毎年改善が続いていれば「達成」、"
        "途中で途切れた後に改善していれば「順調」、前年度と同じなら「遅れ」、前年度より悪ければ「悪化」。"
    ),
    "increase": "基準値（基準年度の値。なければ計画期間の最初の実績）より増えていれば「達成」、同じなら目標年度前は「やや遅れ」・目標年度以降は「遅れ」、減っていれば「悪化」。",
    "decrease": "基準値（基準年度の値。なければ計画期間の最初の実績）より減っていれば「達成」、同じなら目標年度前は「やや遅れ」・目標年度以降は「遅れ」、増えていれば「悪化」。",
    "maintain": (
        "維持する水準は目標値（空欄なら基準値）。各年度、実績がその水準以上（小さいほどよい指標では以下）なら「達成」（維持）。"
        "水準を外れた年度は、前年度は維持していたか前年度より悪ければ「悪化」、そうでなければ「遅れ」。"
        "範囲の維持（目標の補足に「上限 30」: 目標値が下限）は、実績が下限以上・上限以下なら「達成」、外れた年度は前年度より範囲から"
        "離れていれば「悪化」、そうでなければ「遅れ」（方向にかかわらず）。"
    ),
    "state": (
        "実績は状態を満たす地点・局の割合（％）。目標値（既定100％）以上なら「達成」。"
        "維持の目標では、下回った年度は前年度から下がっていれば「悪化」、そうでなければ「遅れ」。"
        "目標年度のある目標では、起点から目標値への直線上の見込み値で水準の目標と同じく判定します。"
    ),
    "continue": "実績は実施回数。1回以上なら「達成」、0回のとき前年度に実施していれば「悪化」（中断）、そうでなければ「遅れ」。",
    "improve": "基準値（なければ計画期間の最初の実績）より望ましい向きに変わっていれば「達成」、同じなら目標年度前は「やや遅れ」・以降は「遅れ」、悪くなっていれば「悪化」。",
    "plan_values": (
        "各年度の計画値に対する達成率（大きいほどよい: 実績÷計画値、小さいほどよい: 計画値÷実績）が100％以上なら「達成」、"
        "「順調」「やや遅れ」の割合以上ならその区分、それ未満で前年度より悪ければ「悪化」、そうでなければ「遅れ」。"
    ),
}


def pct(rate: float | None) -> str:
    return "－" if rate is None else f"{rate * 100:.1f}%"


@dataclass
class _Ctx:
    plan: Plan
    ind: Indicator
    fy: int  # the fiscal year of the computation
    s: Settings

    @property
    def unit(self) -> str:
        return self.ind.unit

    @cached_property
    def digits(self) -> int:
        # The indicator's one displayed precision (as on the published pages); once per indicator.
        return indicator_digits(self.ind.typed_figures())

    def n(self, v: float | None) -> str:
        return format_number(v, self.unit, digits=self.digits) if v is not None else "－"

    def actual(self, fy: int) -> float | None:
        v = self.ind.actual(fy)
        if v is None and fy == self.ind.baseline_fy:
            return self.ind.baseline_value
        return v


def target_in(ind: Indicator, fy: int) -> tuple[Target, str]:
    """The target valid in `fy`: an old target replaced by a revision (見直し) still
    applies to the years of its period. Returns (target, wording)."""
    for rev in ind.revisions:
        last = rev.valid_to_fy if rev.valid_to_fy is not None else rev.revised_fy - 1
        first = rev.valid_from_fy if rev.valid_from_fy is not None else -10_000
        if first <= fy <= last:
            return rev.old_target, f"見直し前の目標「{rev.old_wording}」（{rev.revised_fy}年度に見直し）"
    return ind.target, ""


def start_point(c: _Ctx) -> tuple[int | None, float | None, str]:
    """The start of the path: the baseline (基準年度・基準値), or the first actual
    in the plan period when no baseline is set."""
    ind = c.ind
    if ind.baseline_fy is not None:
        value = ind.baseline_value if ind.baseline_value is not None else ind.actual(ind.baseline_fy)
        if value is not None:
            return ind.baseline_fy, value, f"基準値 {c.n(value)}（{ind.baseline_fy}年度）"
    firsts = sorted(fy for fy, v in ind.values.items() if v.actual is not None and fy >= c.plan.start_fy)
    if firsts:
        fy0 = firsts[0]
        return fy0, ind.actual(fy0), f"基準値がないため計画期間の最初の実績 {c.n(ind.actual(fy0))}（{fy0}年度）を起点とする"
    return None, None, "基準値がありません"


def final_target(c: _Ctx, target: Target, start_value: float | None) -> tuple[int | None, float | None]:
    """(target year, numeric target) where the kind has them."""
    if isinstance(target, LevelTarget):
        return target.year, target.value
    if isinstance(target, ChangeTarget):
        return target.year, None if start_value is None else start_value * (1 + target.percent / 100)
    if isinstance(target, StateTarget):
        return target.year, target.threshold
    if isinstance(target, AnnualMinimumTarget):
        return None, target.value
    if isinstance(target, PlanValuesTarget):
        plans = sorted(fy for fy, v in c.ind.values.items() if v.plan is not None)
        return (plans[-1], c.ind.plan_value(plans[-1])) if plans else (None, None)
    if isinstance(target, (IncreaseTarget, DecreaseTarget, ImproveTarget)):
        return target.year, None
    if isinstance(target, MaintainTarget):
        return None, target.value if target.value is not None else start_value
    if isinstance(target, PeriodTotalTarget):
        return target.year, target.value
    return None, None


# ---- the rules, one year at a time -------------------------------------------------


def _year(fy: int, **kw: object) -> YearResult:
    y = YearResult(fy=fy, **kw)
    y.status_icon = STATUS_ICONS[y.status]
    return y


def _path_year(c: _Ctx, fy: int, target: Target, direction: Direction) -> YearResult:
    actual, plan = c.ind.actual(fy), c.ind.plan_value(fy)
    by, bv, bnote = start_point(c)
    if isinstance(target, ChangeTarget) and (c.ind.baseline_fy is None or by != c.ind.baseline_fy):
        return _year(fy, actual=actual, plan=plan, explanation="基準年比の目標ですが、基準年度・基準値がないため判定できません")
    ty, tv = final_target(c, target, bv)
    expected = expected_value(by, bv, ty, tv, fy)
    compared, label = (plan, "計画値") if plan is not None else (tv, "目標値")
    rate = achievement_rate(actual, compared, direction)
    prog = progress_rate(actual, bv, tv)
    status = status_for(
        actual, direction=direction, baseline=bv, target=tv, expected=expected,
        on_track=c.s.on_track_ratio, slightly_behind=c.s.slightly_behind_ratio,
    )
    parts = [f"実績 {c.n(actual)}" if actual is not None else f"{fy}年度の実績がありません"]
    if isinstance(target, ChangeTarget) and tv is not None:
        parts.append(f"目標値 = 基準値 {c.n(bv)} ×（1 {'−' if target.percent < 0 else '＋'} {format_number(abs(target.percent))}%）= {c.n(tv)}（{ty}年度）")
    elif tv is not None:
        parts.append(f"目標値 {c.n(tv)}（{ty}年度）")
    parts.append(bnote)
    if rate is not None:
        formula = f"実績 {c.n(actual)} ÷ {label} {c.n(compared)}" if direction == "higher" else f"{label} {c.n(compared)} ÷ 実績 {c.n(actual)}（小さいほどよい指標）"
        parts.append(f"達成率 = {formula} = {pct(rate)}")
    if prog is not None:
        parts.append(f"進捗率 =（実績 − 基準値）÷（目標値 − 基準値）= {pct(prog)}")
    if expected is not None:
        parts.append(f"見込み値（{by}年度 {c.n(bv)} → {ty}年度 {c.n(tv)} の直線上）= {c.n(expected)}")
    reason = _path_reason(c, status, actual, bv, tv, expected, direction)
    if status != "達成" and actual is not None and tv is not None:
        near = _within_tolerance(c, target, fy, actual, tv, direction)
        if near:
            status, reason = "達成", near
    parts.append(reason)
    return _year(
        fy, plan=plan, actual=actual, compared_with=compared, compared_label=label, achievement_rate=rate,
        progress_rate=prog, expected=expected, status=status, explanation="。".join(p for p in parts if p),
    )


@lru_cache(maxsize=4096)
def _approximate(wording: str, unit: str, base_fy: int | None, direction: str, name: str) -> str:
    """The word (程度・概ね・約) that makes a wording approximate, when it reads exactly; "" otherwise."""
    try:
        r = read_target(wording, unit=unit, base_fy=base_fy, direction=direction, name=name)  # type: ignore[arg-type]
    except TargetWordingError:
        return ""
    if not r.approximate:
        return ""
    return next((w for w in ("程度", "概ね", "おおむね", "約") if w in wording), "程度")


def approximate_word(ind: Indicator) -> str:
    """程度・概ね・約 when the indicator's (current) target wording reads exactly as approximate, else ""."""
    return _approximate(ind.target_wording, ind.unit, ind.baseline_fy, ind.direction, ind.name)


def _within_tolerance(c: _Ctx, target: Target, fy: int, actual: float, tv: float, direction: Direction) -> str:
    """Why a year short of an approximate target (「50%程度」) counts as met: the shortfall is within the
    設定's tolerance. "" when the target is exact, no tolerance is set, or the shortfall is larger."""
    tol = c.s.approximate_tolerance
    if tol <= 0 or tv == 0:
        return ""
    _, revised = target_in(c.ind, fy)
    wording = next((r.old_wording for r in c.ind.revisions if revised and r.old_target == target), c.ind.target_wording)
    word = _approximate(wording, c.ind.unit, c.ind.baseline_fy, c.ind.direction, c.ind.name)
    if not word:
        return ""
    short = (tv - actual) / abs(tv) if direction == "higher" else (actual - tv) / abs(tv)
    if not 0 < short <= tol + 1e-12:
        return ""
    return (
        f"目標は「{word}」の目安のため、目標値 {c.n(tv)} に {pct(short)} 届かないものの、"
        f"設定の許容幅 {pct(tol)} 以内なので「達成」"
    )


def _path_reason(c: _Ctx, status: str, actual: float | None, bv: float | None, tv: float | None, expected: float | None, direction: Direction) -> str:
    if status == "達成":
        return "目標値に届いているため「達成」"
    if status == "悪化":
        return "基準値より悪いため「悪化」"
    if status == "評価不能":
        if actual is None:
            return "実績がないため「評価不能」"
        if tv is None:
            return "目標値がないため「評価不能」"
        return "基準値・見込み値がないため「評価不能」"
    assert actual is not None and bv is not None and expected is not None
    p = pace(actual, bv, expected)
    if p is None:
        return f"起点の年度で基準値より悪くないため「{status}」"
    return f"進み具合 =（実績 − 基準値）÷（見込み値 − 基準値）= {pct(p)} → 「{status}」（順調 {pct(c.s.on_track_ratio)}以上、やや遅れ {pct(c.s.slightly_behind_ratio)}以上）"


def _plan_values_year(c: _Ctx, fy: int, target: Target, direction: Direction) -> YearResult:
    actual, plan = c.ind.actual(fy), c.ind.plan_value(fy)
    previous = c.actual(fy - 1)
    by, bv, _ = start_point(c)
    ty, tv = final_target(c, target, bv)
    status = plan_value_status(
        actual, plan, direction=direction, previous=previous,
        on_track=c.s.on_track_ratio, slightly_behind=c.s.slightly_behind_ratio,
    )
    rate = achievement_rate(actual, plan, direction)
    prog = progress_rate(actual, bv, tv) if by is not None and by < fy else None
    parts = [f"計画値 {c.n(plan)}、実績 {c.n(actual)}"]
    if rate is not None:
        formula = f"実績 {c.n(actual)} ÷ 計画値 {c.n(plan)}" if direction == "higher" else f"計画値 {c.n(plan)} ÷ 実績 {c.n(actual)}（小さいほどよい指標）"
        parts.append(f"達成率 = {formula} = {pct(rate)}")
    if prog is not None:
        parts.append(f"進捗率 =（実績 − {by}年度 {c.n(bv)}）÷（{ty}年度の計画値 {c.n(tv)} − {c.n(bv)}）= {pct(prog)}")
    if status == "達成":
        parts.append("計画値に届いているため「達成」")
    elif status == "悪化":
        parts.append(f"達成率が {pct(c.s.slightly_behind_ratio)} 未満で前年度（{c.n(previous)}）より悪いため「悪化」")
    elif status == "評価不能":
        parts.append("計画値または実績がないため「評価不能」")
    else:
        parts.append(f"達成率 {pct(rate)} → 「{status}」（順調 {pct(c.s.on_track_ratio)}以上、やや遅れ {pct(c.s.slightly_behind_ratio)}以上）")
    return _year(
        fy, plan=plan, actual=actual, compared_with=plan, compared_label="計画値", achievement_rate=rate,
        progress_rate=prog, expected=plan, status=status, explanation="。".join(parts),
    )


def _annual_year(c: _Ctx, fy: int, target: Target, direction: Direction) -> YearResult:
    assert isinstance(target, AnnualMinimumTarget)
    actual, previous, v = c.ind.actual(fy), c.actual(fy - 1), target.value
    status = plan_value_status(
        actual, v, direction="higher", previous=previous,
        on_track=c.s.on_track_ratio, slightly_behind=c.s.slightly_behind_ratio,
    )
    rate = achievement_rate(actual, v, "higher")
    parts = [f"毎年の目標 {c.n(v)} 以上、実績 {c.n(actual)}"]
    if rate is not None:
        parts.append(f"達成率 = 実績 ÷ 目標値 = {pct(rate)}")
    parts.append({
        "達成": "目標値以上のため「達成」",
        "悪化": f"目標値に届かず前年度（{c.n(previous)}）より少ないため「悪化」",
        "評価不能": "実績がないため「評価不能」",
    }.get(status, f"目標値に届かず達成率 {pct(rate)} → 「{status}」"))
    return _year(
        fy, plan=c.ind.plan_value(fy), actual=actual, compared_with=v, compared_label="毎年の目標値",
        achievement_rate=rate, expected=v, status=status, explanation="。".join(parts),
    )


def _yoy_year(c: _Ctx, fy: int, target: Target, direction: Direction) -> YearResult:
    actual, previous = c.ind.actual(fy), c.actual(fy - 1)
    word = "減少" if direction == "lower" else "増加"
    base = dict(plan=c.ind.plan_value(fy), actual=actual, compared_with=previous, compared_label="前年度実績")
    if actual is None:
        return _year(fy, **base, explanation=f"{fy}年度の実績がないため「評価不能」")
    if previous is None:
        return _year(fy, **base, explanation=f"前年度（{fy - 1}年度）の実績がないため「評価不能」")
    rate = achievement_rate(actual, previous, direction)
    head = f"前年度 {c.n(previous)} → {c.n(actual)}"
    if rate is not None:
        head += f"（達成率 = {'前年度 ÷ 実績' if direction == 'lower' else '実績 ÷ 前年度'} = {pct(rate)}）"
    if better(actual, previous, direction):
        streak_start, broken = _streak(c, fy, direction)
        if not broken:
            status, why = "達成", f"{streak_start}年度から毎年{word}が続いているため「達成」"
        else:
            status, why = "順調", f"前年度より{word}（{streak_start}年度から継続）。それ以前に{word}しなかった年度があるため「順調」"
    elif actual == previous:
        status, why = "遅れ", f"前年度と同じで{word}していないため「遅れ」"
    else:
        status, why = "悪化", f"前年度より{'増加' if direction == 'lower' else '減少'}したため「悪化」"
    return _year(fy, **base, achievement_rate=rate, status=status, explanation=f"{head}。{why}")


def _streak(c: _Ctx, fy: int, direction: Direction) -> tuple[int, bool]:
    """(first year of the unbroken run of improvements ending in fy, whether a
    year since the start of the plan (or the first comparable year) broke it)."""
    first = fy
    while True:
        prev, before = c.actual(first - 1), c.actual(first - 2)
        if prev is None or before is None or not better(prev, before, direction):
            break
        first -= 1
    # Broken if an earlier comparable year within the plan period did not improve.
    broken = any(
        c.actual(y) is not None and c.actual(y - 1) is not None
        for y in range(c.plan.start_fy, first)
    )
    return first, broken


def _increase_year(c: _Ctx, fy: int, target: Target, direction: Direction) -> YearResult:
    actual = c.ind.actual(fy)
    by, bv, bnote = start_point(c)
    ty = getattr(target, "year", None)
    word = "増加" if isinstance(target, IncreaseTarget) else "減少" if isinstance(target, DecreaseTarget) else "向上"
    base = dict(plan=c.ind.plan_value(fy), actual=actual, compared_with=bv, compared_label="基準値")
    if actual is None:
        return _year(fy, **base, explanation=f"{fy}年度の実績がないため「評価不能」")
    if bv is None or by is None:
        return _year(fy, **base, explanation="基準値がないため「評価不能」")
    if fy <= by:
        return _year(fy, **base, explanation=f"{bnote}。起点の年度のため「評価不能」")
    if better(actual, bv, direction):
        status, why = "達成", f"基準値より{word}しているため「達成」"
    elif actual == bv:
        late = ty is not None and fy >= ty
        status = "遅れ" if late else "やや遅れ"
        why = f"基準値と同じで{'目標年度に達しても' if late else 'まだ'}{word}していないため「{status}」"
    else:
        status, why = "悪化", "基準値より悪くなっているため「悪化」"
    return _year(fy, **base, status=status, explanation=f"{bnote}、実績 {c.n(actual)}。{why}")


def _state_year(c: _Ctx, fy: int, target: Target, direction: Direction) -> YearResult:
    assert isinstance(target, StateTarget)
    if target.year is not None:
        y = _path_year(c, fy, target, "higher")
        y.compared_label = "目標とする割合" if y.compared_label == "目標値" else y.compared_label
        return y
    actual, previous, th = c.ind.actual(fy), c.actual(fy - 1), target.threshold
    rate = achievement_rate(actual, th, "higher")
    if actual is None:
        status, why = "評価不能", "実績がないため「評価不能」"
    elif actual >= th:
        status, why = "達成", f"{format_number(th)}%以上のため「達成」（維持）"
    elif previous is not None and (previous >= th or actual < previous):
        status, why = "悪化", f"{format_number(th)}%を下回り、前年度（{c.n(previous)}）から下がったため「悪化」"
    else:
        status, why = "遅れ", f"{format_number(th)}%を下回っているため「遅れ」"
    return _year(
        fy, plan=c.ind.plan_value(fy), actual=actual, compared_with=th, compared_label="目標とする割合",
        achievement_rate=rate, expected=th, status=status, explanation=f"実績 {c.n(actual)}。{why}",
    )


def _band_year(c: _Ctx, fy: int, target: MaintainTarget) -> YearResult:
    """A band to stay in (「20～30℃を維持」): inside (ends included) is kept, whichever the indicator's direction."""
    assert target.value is not None and target.upper is not None
    lo, hi = target.value, target.upper
    actual, previous = c.ind.actual(fy), c.actual(fy - 1)
    head = f"維持する範囲 {c.n(lo)}～{c.n(hi)}（目標値が下限、目標の補足が上限）"
    base = dict(plan=c.ind.plan_value(fy), actual=actual, compared_label="維持する範囲")

    def outside(v: float) -> float:
        return lo - v if v < lo else v - hi if v > hi else 0.0

    if actual is None:
        status, why = "評価不能", "実績がないため「評価不能」"
    elif outside(actual) == 0:
        status, why = "達成", f"実績 {c.n(actual)} が範囲の内側のため「達成」（維持）"
    elif previous is not None and outside(previous) < outside(actual):
        status, why = "悪化", f"実績 {c.n(actual)} が範囲を外れ、前年度（{c.n(previous)}）より範囲から離れたため「悪化」"
    else:
        status, why = "遅れ", f"実績 {c.n(actual)} が範囲を外れているため「遅れ」（{'下限' if actual < lo else '上限'}との差 {c.n(outside(actual))}）"
    return _year(fy, **base, status=status, explanation=f"{head}。{why}")


def _maintain_year(c: _Ctx, fy: int, target: Target, direction: Direction) -> YearResult:
    assert isinstance(target, MaintainTarget)
    if target.upper is not None and target.value is not None:
        return _band_year(c, fy, target)
    actual, previous = c.ind.actual(fy), c.actual(fy - 1)
    _, bv, bnote = start_point(c)
    level, whence = (target.value, "目標値") if target.value is not None else (bv, bnote)
    side = "以下" if direction == "lower" else "以上"
    base = dict(plan=c.ind.plan_value(fy), actual=actual, compared_with=level, compared_label="維持する水準", expected=level)
    if level is None:
        return _year(fy, **base, explanation="維持する水準（目標値・基準値）がないため「評価不能」")
    rate = achievement_rate(actual, level, direction)
    head = f"維持する水準 {c.n(level)}（{whence}）{side}"
    if actual is None:
        status, why = "評価不能", "実績がないため「評価不能」"
    elif reaches(actual, level, direction):
        status, why = "達成", f"実績 {c.n(actual)} が水準{side}のため「達成」（維持）"
    elif previous is not None and (reaches(previous, level, direction) or better(previous, actual, direction)):
        status, why = "悪化", f"実績 {c.n(actual)} が水準を外れ、前年度（{c.n(previous)}）より悪いか前年度は維持していたため「悪化」"
    else:
        status, why = "遅れ", f"実績 {c.n(actual)} が水準を外れているため「遅れ」"
    return _year(fy, **base, achievement_rate=rate, status=status, explanation=f"{head}。{why}")


def _continue_year(c: _Ctx, fy: int, target: Target, direction: Direction) -> YearResult:
    actual, previous = c.ind.actual(fy), c.actual(fy - 1)
    if actual is None:
        status, why = "評価不能", "実績がないため「評価不能」"
    elif actual >= 1:
        status, why = "達成", f"{format_number(actual)}回実施しているため「達成」"
    elif previous is not None and previous >= 1:
        status, why = "悪化", "前年度は実施したが今年度は実施していない（中断）ため「悪化」"
    else:
        status, why = "遅れ", "実施していないため「遅れ」"
    return _year(
        fy, plan=c.ind.plan_value(fy), actual=actual, compared_with=1.0, compared_label="実施（1回以上）",
        expected=1.0, status=status, explanation=why,
    )


YearRule = Callable[[_Ctx, int, Target, Direction], YearResult]
def _period_total_year(c: _Ctx, fy: int, target: Target, direction: Direction) -> YearResult:
    """「3年間（H17~H19）で…5万kW導入」: the actuals of the period's years so far, summed, against the total;
    the expected total so far is the total spread evenly over the period's years."""
    assert isinstance(target, PeriodTotalTarget)
    actual, plan = c.ind.actual(fy), c.ind.plan_value(fy)
    first, last, total = target.start_fy, target.year, target.value
    span = f"{first}～{last}年度の合計 {c.n(total)}"
    if fy < first:
        return _year(fy, actual=actual, plan=plan, explanation=f"期間の合計の目標（{span}）の期間の前の年度のため判定しません")
    upto = min(fy, last)
    years = list(range(first, upto + 1))
    missing = [y for y in years if c.ind.actual(y) is None]
    if missing:
        return _year(fy, actual=actual, plan=plan, explanation=f"期間の合計の目標（{span}）: {'・'.join(f'{y}年度' for y in missing)}の実績がないため合計できず「評価不能」")
    so_far = sum(c.ind.actual(y) or 0.0 for y in years)
    expected = total * len(years) / (last - first + 1)
    rate = achievement_rate(so_far, total, direction)
    parts = [f"期間の合計の目標（{span}）", f"{first}～{upto}年度の実績の合計 = " + " ＋ ".join(c.n(c.ind.actual(y)) for y in years) + f" = {c.n(so_far)}"]
    if reaches(so_far, total, direction) and (direction == "higher" or upto == last):
        status = "達成"
        parts.append("合計が目標に届いているため「達成」")
    elif direction == "lower" and not reaches(so_far, total, direction):
        status = "悪化"
        parts.append("期間の途中で合計が目標を超えたため「悪化」")
    elif upto == last:
        status = "遅れ"
        parts.append("期間が終わり、合計が目標に届かなかったため「遅れ」")
    else:
        ratio = so_far / expected if direction == "higher" else (expected / so_far if so_far else 1.0)
        status = band(ratio, c.s.on_track_ratio, c.s.slightly_behind_ratio)
        parts.append(
            f"見込み（目標の合計を期間の{last - first + 1}年度に均等に割った{len(years)}年度分）= {c.n(expected)}、"
            f"合計 ÷ 見込み = {pct(so_far / expected)} → 「{status}」（順調 {pct(c.s.on_track_ratio)}以上、やや遅れ {pct(c.s.slightly_behind_ratio)}以上）"
        )
    return _year(
        fy, plan=plan, actual=actual, compared_with=total, compared_label="期間の合計の目標", achievement_rate=rate,
        expected=expected, status=status, explanation="。".join(parts),
    )


RULES: dict[type, YearRule] = {
    PeriodTotalTarget: _period_total_year,
    LevelTarget: _path_year,
    ChangeTarget: _path_year,
    PlanValuesTarget: _plan_values_year,
    AnnualMinimumTarget: _annual_year,
    YearOverYearTarget: _yoy_year,
    IncreaseTarget: _increase_year,
    ImproveTarget: _increase_year,
    DecreaseTarget: _increase_year,
    MaintainTarget: _maintain_year,
    StateTarget: _state_year,
    ContinueTarget: _continue_year,
}


def year_result(c: _Ctx, fy: int) -> YearResult:
    target, revision_note = target_in(c.ind, fy)
    direction: Direction = "higher" if isinstance(target, IncreaseTarget) else "lower" if isinstance(target, DecreaseTarget) else c.ind.direction
    y = RULES[type(target)](c, fy, target, direction)
    if revision_note:
        y.explanation = f"{revision_note}で判定。{y.explanation}"
    return y


# ---- one indicator ------------------------------------------------------------------


def as_of(ind: Indicator, fy: int, current_fy: int) -> tuple[Indicator, dict[int, float]]:
    """The indicator as it stood in a past year `fy`: with a data lag, the actual of a
    year y arrives in y + lag, so actuals of years after fy − lag were not known then.
    Returns (the indicator without them, the hidden actuals). The current year and
    later ones use every value entered (a figure that arrived early counts)."""
    if fy >= current_fy or ind.data_lag == 0:
        return ind, {}
    cutoff = fy - ind.data_lag
    hidden = {y: v.actual for y, v in ind.values.items() if y > cutoff and v.actual is not None}
    if not hidden:
        return ind, {}
    values = {y: (v.model_copy(update={"actual": None}) if y in hidden else v) for y, v in ind.values.items()}
    return ind.model_copy(update={"values": values}), hidden


def evaluate_indicator(plan: Plan, ind: Indicator, fy: int) -> IndicatorResult:
    ind, hidden = as_of(ind, fy, plan.current_fy)
    c = _Ctx(plan, ind, fy, plan.settings)
    lag = ind.data_lag
    with_actual = sorted(y for y, v in ind.values.items() if v.actual is not None and y <= fy)
    latest = with_actual[-1] if with_actual else None
    evaluated = fy - lag if latest is None or latest <= fy - lag else latest
    years: list[YearResult] = []
    for y in range(min(plan.start_fy, evaluated), fy + 1):
        r = year_result(c, y)
        if y in hidden:
            r.explanation = (
                f"データの遅れ（{lag}年）のため、{y}年度の値は{y + lag}年度に届きます。{fy}年度時点では未確定のため、"
                f"今入力されている実績 {c.n(hidden[y])} はこの年度の判定に使いません"
            )
        elif r.actual is None and y > evaluated:
            r.explanation = f"データの遅れ（{lag}年）のため、{y}年度の値は{y + lag}年度に確定します（{fy}年度時点では未確定）"
        if r.actual is not None and ind.provisional(y):
            r.provisional = True
            r.explanation = f"{r.explanation}（実績は速報値です。確定値が出たら改めます）" if r.explanation else "実績は速報値です。確定値が出たら改めます"
        years.append(r)
    current = next(r for r in years if r.fy == evaluated)
    by, bv, _ = start_point(c)
    target, _ = target_in(ind, evaluated)
    ty, tv = final_target(c, target, bv)
    category = plan.category(ind.category)
    result = IndicatorResult(
        id=ind.id, name=ind.name, category=ind.category, category_name=category.name if category else ind.category,
        department=ind.department, unit=ind.unit, direction=ind.direction, target_kind=target.kind,
        target_wording=ind.target_wording, baseline_fy=by, baseline_value=bv, target_fy=ty, target_value=tv,
        status=current.status, status_icon=current.status_icon, evaluated_fy=evaluated, latest_fy=latest,
        data_lag=lag, lag_note=_lag_note(fy, lag, evaluated, latest, hidden), illustrative=ind.illustrative, years=years,
        provisional=current.provisional,
    )
    sdg = _opensdg(c, target, evaluated)
    result.opensdg_status, result.opensdg_label = sdg.status, sdg.label
    result.opensdg_explanation = opensdg_explanation(sdg)
    result.explanation = _indicator_explanation(c, current, years, evaluated, target)
    result.other_targets = other_targets(c, evaluated)
    if result.other_targets:
        result.explanation += "。" + "。".join(t.explanation for t in result.other_targets)
    return result


def other_targets(c: _Ctx, evaluated: int) -> list[OtherTarget]:
    """The interim targets and dated steps of the wording (「（中間目標：2026年200台）」), each judged on the
    actual of its own year, beside the final target: both are live. Read exactly or not at all."""
    ind = c.ind
    try:
        reading = read_target(ind.target_wording, unit=ind.unit, base_fy=ind.baseline_fy, direction=ind.direction, name=ind.name)
    except TargetWordingError:
        return []
    out = []
    for d in reading.interim:
        what = f"中間目標（{d.fy}年度 {c.n(d.value)}）"
        actual = c.actual(d.fy)
        if d.fy > evaluated:
            status, why = "まだ先", f"{what}: {d.fy}年度の実績はまだ評価していません（評価した年度は{evaluated}年度）"
        elif actual is None:
            status, why = "実績なし", f"{what}: {d.fy}年度の実績がありません"
        elif reaches(actual, d.value, ind.direction):
            status, why = "達成", f"{what}: {d.fy}年度の実績 {c.n(actual)} が届いているため「達成」"
        else:
            status, why = "未達成", f"{what}: {d.fy}年度の実績 {c.n(actual)} が届いていないため「未達成」"
        out.append(OtherTarget(fy=d.fy, value=d.value, actual=actual if d.fy <= evaluated else None, status=status, explanation=why))
    return out


def _lag_note(fy: int, lag: int, evaluated: int, latest: int | None, hidden: dict[int, float] | None = None) -> str:
    if lag == 0 or evaluated > fy - lag:
        return ""
    note = f"データの遅れ（{lag}年）: {fy}年度時点で入手できる最新の値は{fy - lag}年度の値です"
    if latest is None or latest < fy - lag:
        note += f"（{fy - lag}年度の実績は未入力）"
    if hidden:
        later = "・".join(f"{y}年度" for y in sorted(hidden))
        note += f"。過去の年度の集計のため、{fy}年度より後に届いた値（{later}）は使いません（その年度時点での判定）"
    return note


def _indicator_explanation(c: _Ctx, current: YearResult, years: list[YearResult], evaluated: int, target: Target) -> str:
    head = f"{evaluated}年度の値で判定" + (f"（{c.fy}年度時点、データの遅れ{c.ind.data_lag}年）" if evaluated != c.fy else "")
    if current.actual is None:
        prior = [r for r in years if r.fy < evaluated and r.actual is not None]
        tail = f"最新の実績は{prior[-1].fy}年度（{c.n(prior[-1].actual)}）" if prior else "実績はまだありません"
        return f"{head}。{evaluated}年度の実績が未入力のため「評価不能」。{tail}"
    text = f"{head}。{current.explanation}"
    if isinstance(target, (AnnualMinimumTarget, ContinueTarget, StateTarget, MaintainTarget)) and getattr(target, "year", None) is None:
        judged = [r for r in years if r.status != "評価不能" and r.fy <= evaluated]
        met = [r for r in judged if r.status == "達成"]
        if judged:
            text += f"。{judged[0].fy}～{evaluated}年度の{len(judged)}年度のうち{len(met)}年度で達成"
    return text


def _opensdg(c: _Ctx, target: Target, evaluated: int) -> OpenSdgProgress:
    ind, s = c.ind, c.s
    values: dict[int, float | None] = {y: v.actual for y, v in ind.values.items() if y <= evaluated}
    by, bv, _ = start_point(c)
    if ind.baseline_fy is not None and ind.baseline_value is not None:
        values.setdefault(ind.baseline_fy, ind.baseline_value)
    direction: OpenSdgDirection = "positive" if isinstance(target, IncreaseTarget) or ind.direction == "higher" else "negative"
    if isinstance(target, (AnnualMinimumTarget, StateTarget, ContinueTarget)):
        direction = "positive"
    if isinstance(target, DecreaseTarget):
        direction = "negative"
    ty, tv = final_target(c, target, bv)
    if isinstance(target, ContinueTarget):
        tv = 1.0
    if isinstance(target, PeriodTotalTarget):
        tv = None  # a total over years is no level a yearly figure grows toward: the growth of the yearly amounts
    if tv is not None and ty is None:
        ty = c.plan.end_fy
    base_year = by if by is not None else c.plan.start_fy
    if tv is None:
        thresholds = {"high": s.opensdg_growth_high, "med": s.opensdg_growth_med, "low": s.opensdg_low}
        limit = 100.0 if ind.unit in ("%", "％") and direction == "positive" else None
        return opensdg_progress(values, direction=direction, base_year=base_year, target_year=ty or c.plan.end_fy, limit=limit, thresholds=thresholds)
    thresholds = {"high": s.opensdg_high, "med": s.opensdg_med, "low": s.opensdg_low}
    return opensdg_progress(values, direction=direction, base_year=base_year, target_year=ty or c.plan.end_fy, target=tv, thresholds=thresholds)


def opensdg_explanation(p: OpenSdgProgress) -> str:
    parts: list[str] = []
    if p.base_year is not None and p.current_year is not None:
        parts.append(f"基準年度 {p.base_year}年度（{format_number(p.base_value)}）→ 最新 {p.current_year}年度（{format_number(p.current_value)}）")  # fiscal years, as every year of the plan
    if p.progress_value is not None and math.isnan(p.progress_value):
        parts.append("目標値が基準値と同じため成長率の比は計算できません")
    elif p.progress_value is not None:
        if p.method == 2:
            parts.append(f"観測された年平均成長率（CAGR）÷ 目標に必要な成長率（目標 {format_number(p.target)}、{p.target_year}年度）= {p.progress_value:.3f}")
            parts.append(f"しきい値 {format_number(p.thresholds['high'])} / {format_number(p.thresholds['med'])} / {format_number(p.thresholds['low'])}")
        else:
            parts.append(f"望ましい向きの年平均成長率（CAGR）= {p.progress_value * 100:.2f}%")
            parts.append(
                "しきい値 " + " / ".join(f"{p.thresholds[k] * 100:.2f}%" for k in ("high", "med", "low"))
                + ("" if p.thresholds.get("coefficient") is None else f"（上限による係数 {p.thresholds['coefficient']:.3f} 適用後）")
            )
    parts += p.notes
    # The reader's word only: the internal code (limited_progress …) is for the open data, not the text.
    return "Open SDG 方式: " + "、".join(parts) + f" → {OPENSDG_LABELS[p.status]}"


__all__ = ["KIND_RULES", "approximate_word", "as_of", "evaluate_indicator", "other_targets", "target_in", "start_point"]
