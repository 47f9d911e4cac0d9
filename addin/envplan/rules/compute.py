"""Attainment of a whole plan for one fiscal year: per indicator, per year,
per policy, with a summary. Pure: reads a `Plan`, returns a `PlanResult`
(the result models are in `results.py`).
"""

from __future__ import annotations

from dataclasses import asdict

from envplan.plan.model import Indicator, Plan, Policy
from envplan.plan.schemes import DEFAULT_SCHEME, Level, Scheme, SchemeError, check_scheme, level_key, plan_scheme, score_text, shown_levels
from envplan.plan.targets import KIND_LABELS
from envplan.rules.attainment import STATUS_ICONS, STATUS_MEANINGS, STATUSES
from envplan.rules.indicator_rules import KIND_RULES, approximate_word, evaluate_indicator
from envplan.rules.ratings import RATING_RULE, Evidence, indicator_evidence, project_evidence, scheme_rating_rule, suggest_rating
from envplan.rules.results import IndicatorResult, PlanResult, PolicyResult, RatingYear, RuleText, SummaryRow, YearResult
from envplan.rules.scheme_eval import facts_for, level_for

__all__ = ["IndicatorResult", "PlanResult", "PolicyResult", "RatingYear", "RuleText", "SummaryRow", "YearResult", "compute_plan", "policy_result", "status_in", "summarise", "rules_text", "shown_counts"]


def compute_plan(plan: Plan, fy: int | None = None) -> PlanResult:
    """Attainment of every indicator and a suggested rating for every policy,
    as of fiscal year `fy` (default: the plan's current year)."""
    fy = plan.current_fy if fy is None else fy
    indicators = [evaluate_indicator(plan, ind, fy) for ind in plan.indicators]
    scheme = usable_scheme(plan)
    for ind, result in zip(plan.indicators, indicators):
        tolerance = plan.settings.approximate_tolerance if approximate_word(ind) else 0.0
        apply_scheme(scheme, result, ind, tolerance)
    by_id = {r.id: r for r in indicators}
    # A policy is shown as of its latest evaluation when the plan's year is later
    # (its sheet for this year has not been filled yet).
    policies = [policy_result(plan, pol, min(fy, pol.evaluation_fy), by_id, plan_fy=fy, scheme=scheme) for pol in plan.policies]
    return PlanResult(
        plan_name=plan.name,
        fy=fy,
        indicators=indicators,
        policies=policies,
        summary=summarise(plan, indicators, scheme),
        rules=rules_text(plan),
        illustrative_note=plan.illustrative_note if any(i.illustrative for i in plan.indicators) else "",
        scheme_name=scheme.name,
        scheme_levels=[
            {"symbol": lv.symbol, "label": lv.label, "colour": lv.colour, "rule": lv.rule.text(), "meaning": lv.rule.describe(), "axis": axis}
            for axis, lv in axis_levels(scheme)
        ],
        scheme_key=scheme.key,
        shown_levels=[asdict(s) for s in shown_levels(scheme)],
    )


def axis_levels(scheme: Scheme) -> list[tuple[str, Level]]:
    """(axis name, level) of each axis in order; the axis name is "" for a one-axis scheme."""
    if scheme.second is None:
        return [("", lv) for lv in scheme.levels]
    return [(scheme.axes[0], lv) for lv in scheme.levels] + [(scheme.axes[1], lv) for lv in scheme.second.levels]


def usable_scheme(plan: Plan) -> Scheme:
    """The plan's evaluation scheme; the default when it cannot be used (validate reports why,
    and compute does not run on a master with errors)."""
    try:
        scheme = plan_scheme(plan)
    except SchemeError:
        return DEFAULT_SCHEME
    return scheme if not check_scheme(scheme) else DEFAULT_SCHEME


def apply_scheme(scheme: Scheme, result: IndicatorResult, ind: Indicator | None = None, tolerance: float = 0.0) -> None:
    """Each year's level in the scheme, beside envplan's own status (which stays as computed),
    and the section's own 評価 beside both with whether it agrees (neither overwrites the other)."""
    for y in result.years:
        level, why = level_for(scheme, facts_for(result, y, tolerance))
        y.level_symbol, y.level_label, y.level_reason = level.symbol, level.label, why
        own = ind.judgement(y.fy) if ind is not None else None
        if own is not None:
            y.own_level, y.own_reason = own.level, own.reason
            y.level_agrees = own.level.strip() == level.symbol.strip()
    current = next((y for y in result.years if y.fy == result.evaluated_fy), None)
    if current is not None:
        result.level_symbol, result.level_label, result.level_reason = current.level_symbol, current.level_label, current.level_reason
        result.own_level, result.own_reason, result.level_agrees = current.own_level, current.own_reason, current.level_agrees


def status_in(result: IndicatorResult, fy: int, lag: int) -> str:
    """An indicator's status as seen in `fy` (its figure for fy − lag)."""
    y = next((r for r in result.years if r.fy == fy - lag), None)
    return y.status if y else "評価不能"


def level_in(result: IndicatorResult, fy: int, lag: int) -> str:
    """An indicator's level key (「◎ 達成」) as seen in `fy` (its figure for fy − lag); "" when no year."""
    y = next((r for r in result.years if r.fy == fy - lag), None)
    return level_key(y.level_symbol, y.level_label) if y else ""


def policy_result(
    plan: Plan, pol: Policy, fy: int, indicators: dict[str, IndicatorResult], *, plan_fy: int | None = None, scheme: Scheme = DEFAULT_SCHEME
) -> PolicyResult:
    """The policy's suggested rating per year. With the six levels, the indicators' statuses are scored
    (ratings.STATUS_SCORES); with another scheme, each level's 評価点 (plan/schemes.py), said in the reason."""
    s = plan.settings
    default = scheme.key == DEFAULT_SCHEME.key
    scores = {lv.key: lv.score for lv in shown_levels(scheme)}
    years = set(r.fy for r in pol.ratings if r.fy <= fy) | {fy}
    if pol.period_start_fy is not None:
        years |= set(range(pol.period_start_fy, min(fy, pol.period_end_fy or fy) + 1))
    history: list[RatingYear] = []
    statuses: dict[str, str] = {}
    for y in sorted(years):
        evidence = []
        for ind_id in pol.reference_indicators:
            r = indicators.get(ind_id)
            if r is None:
                continue
            status = r.status if y == (plan_fy or fy) else status_in(r, y, r.data_lag)
            if y == fy:
                statuses[ind_id] = status
            if default:
                evidence.append(indicator_evidence(r.name, status))
            else:
                key = level_key(r.level_symbol, r.level_label) if y == (plan_fy or fy) else level_in(r, y, r.data_lag)
                evidence.append(Evidence(f"参考指標「{r.name}」", key, scores.get(key)))
        if y == pol.evaluation_fy:
            evidence += [project_evidence(sp.name, sp.status) for sp in pol.subprojects]
        new_issues, note = _new_issues(pol, y)
        suggested, reason = suggest_rating(evidence, new_issues=new_issues, issues_note=note, a_score=s.rating_a_score, b_score=s.rating_b_score)
        if not default:
            reason = f"参考指標は評価区分「{scheme.name}」の区分を評価点にします（{score_text(scheme)}）。" + reason
        own = pol.rating_in(y)
        self_rating = own.rating if own else None
        disagrees = self_rating is not None and suggested is not None and self_rating != suggested
        if disagrees:
            reason += f"。所管課の評価区分 {self_rating} と評価案 {suggested} が一致しません"
        history.append(RatingYear(fy=y, self_rating=self_rating, suggested_rating=suggested, disagrees=disagrees, reason=reason))
    now = next(h for h in history if h.fy == fy)
    return PolicyResult(
        code=pol.code, name=pol.title, fy=fy, self_rating=now.self_rating, suggested_rating=now.suggested_rating,
        disagrees=now.disagrees, reason=now.reason, ratings_history={r.fy: r.rating for r in sorted(pol.ratings, key=lambda r: r.fy)},
        history=history, indicator_statuses=statuses,
    )


def _new_issues(pol: Policy, fy: int) -> tuple[bool, str]:
    """Ⅱ (new issues) or Ⅰ: from the issues text in the evaluation year, otherwise
    from the department's own A rating of that year (the issues text of earlier years is not kept)."""
    own = pol.rating_in(fy)
    if fy != pol.evaluation_fy and own is not None and own.rating.startswith("A"):
        return own.rating == "AⅡ", f"{fy}年度の所管課の評価 {own.rating} による新たな課題の有無"
    has = bool(pol.remaining_issues.strip())
    return has, "残された課題・新たな課題の記載あり" if has else "新たな課題の記載なし"


def summarise(plan: Plan, indicators: list[IndicatorResult], scheme: Scheme = DEFAULT_SCHEME) -> list[SummaryRow]:
    """Indicators per category by status and by the scheme's levels (the level counts are what is shown)."""
    keys = [lv.key for lv in shown_levels(scheme)]

    def by_level(members: list[IndicatorResult]) -> dict[str, int]:
        return {k: sum(1 for i in members if level_key(i.level_symbol, i.level_label) == k) for k in keys}

    rows = []
    codes = [c.code for c in plan.categories] + sorted({i.category for i in indicators} - {c.code for c in plan.categories})
    for code in codes:
        members = [i for i in indicators if i.category == code]
        if not members:
            continue
        cat = plan.category(code)
        counts = {st: sum(1 for i in members if i.status == st) for st in STATUSES}
        rows.append(SummaryRow(category=code, category_name=cat.name if cat else code, counts=counts, total=len(members), level_counts=by_level(members)))
    counts = {st: sum(1 for i in indicators if i.status == st) for st in STATUSES}
    rows.append(SummaryRow(category="", category_name="全体", counts=counts, total=len(indicators), level_counts=by_level(indicators)))
    return rows


def shown_counts(result: PlanResult, row: SummaryRow) -> list[tuple[str, int]]:
    """(level, number of indicators) as shown to a reader: the chosen scheme's levels (「B 達成率70%以上」),
    or with the six levels the statuses with their icons (「◎ 達成」)."""
    if result.default_scheme or not result.shown_levels:
        return [(f"{STATUS_ICONS[s]} {s}", row.counts.get(s, 0)) for s in STATUSES]
    return [(lv["key"], row.level_counts.get(lv["key"], 0)) for lv in result.shown_levels]


def rules_text(plan: Plan) -> list[RuleText]:
    s = plan.settings
    rules = [
        RuleText(topic="状況の区分", text="、".join(f"{STATUS_ICONS[k]} {k}: {v}" for k, v in STATUS_MEANINGS.items())),
        RuleText(
            topic="しきい値（設定シート）",
            text=f"順調: 進み具合（または達成率）{s.on_track_ratio:.0%}以上、やや遅れ: {s.slightly_behind_ratio:.0%}以上、それ未満は遅れ",
        ),
        RuleText(
            topic="達成率",
            text="大きいほどよい指標は 実績 ÷ 計画値（目標値）、小さいほどよい指標は 計画値（目標値）÷ 実績。"
            "小さいほどよい指標も「100%以上なら計画どおり以上」と読めるように比の向きを逆にしています（大きいほどよい場合の逆数）。",
        ),
        RuleText(topic="進捗率", text="（実績 − 基準値）÷（目標値 − 基準値）。基準値から目標値までのうち、どれだけ進んだか。"),
        RuleText(topic="見込み値", text="基準年度の基準値と目標年度の目標値を結ぶ直線上のその年度の値（目標年度以降は目標値）。"),
        RuleText(
            topic="データの遅れ",
            text="指標の「データの遅れ（年）」の分だけ前の年度の値で判定します（例: 2022年度時点で遅れ2年なら2020年度の値）。"
            "その年度の値が未入力なら「評価不能」とし、最新の値の年度を示します。",
        ),
    ]
    rules += [RuleText(topic=f"目標種別: {KIND_LABELS[k]}", text=v) for k, v in KIND_RULES.items()]
    rules.append(
        RuleText(
            topic="Open SDG 方式",
            text=f"Open SDG（sdg-build）の進捗評価。年平均成長率 CAGR =（最新値 ÷ 基準値）^(1 ÷ 年数) − 1。"
            f"数値目標のある指標は 観測CAGR ÷ 目標に必要なCAGR を {s.opensdg_high:g} / {s.opensdg_med:g} / {s.opensdg_low:g} と比べ、"
            f"数値目標のない指標は望ましい向きのCAGRを {s.opensdg_growth_high:g} / {s.opensdg_growth_med:g} / {s.opensdg_low:g} と比べます"
            "（大きく前進 / 前進（加速が必要）/ わずかな前進 / 悪化）。目標に届いていれば目標達成。"
            "基準年の値がなければその後の最初の年を基準年とし、値が2年分ない場合は評価不能。基準値・目標値の0は0.001に置き換え。"
            "％の指標（大きいほどよい）は上限100％に近いほどしきい値を下げます。",
        )
    )
    scheme = usable_scheme(plan)
    rules.append(RuleText(topic="施策の評価案", text=RATING_RULE if scheme.key == DEFAULT_SCHEME.key else scheme_rating_rule(scheme.name, score_text(scheme))))
    rules.append(RuleText(topic=f"評価区分: {scheme.name}", text=scheme.description + "上から順に調べ、最初に当たった区分にします。"))
    if scheme.second is not None:
        rules.append(RuleText(topic="評価区分の2つの軸", text=f"「{scheme.axes[0]}」と「{scheme.axes[1]}」をそれぞれ上から順に調べ、2つの記号を並べます（実績がなければ「{scheme.axes[0]}」の記号だけ）。"))
    rules += [
        RuleText(topic=f"評価区分 {axis + ': ' if axis else ''}{lv.symbol} {lv.label}", text=f"{lv.rule.describe()}（条件: {lv.rule.text()}）") for axis, lv in axis_levels(scheme)
    ]
    return rules
