"""Attainment of a whole plan for one fiscal year: per indicator, per year,
per policy, with a summary. Pure: reads a `Plan`, returns a `PlanResult`.

The result models are the contract other parts (publication, Excel door)
code against; `to_json()` is the `envplan compute --json` object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from .model import Plan, Policy

if TYPE_CHECKING:
    from .workbook_io import ResultTable


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class YearResult(_Result):
    """One fiscal year of one indicator. Rates are fractions (1.0 = 100%)."""

    fy: int
    plan: float | None = None  # 計画値 entered for the year (None when the plan sets none)
    actual: float | None = None  # 実績値
    compared_with: float | None = None  # the value 達成率 is taken against (計画値, 目標値, 前年度実績, …)
    compared_label: str = ""  # what compared_with is, in Japanese
    achievement_rate: float | None = None  # 達成率
    progress_rate: float | None = None  # 進捗率
    expected: float | None = None  # 見込み値: on the straight path from baseline to target (or the year's required value)
    status: str = "評価不能"  # one of attainment.STATUSES
    status_icon: str = "－"
    explanation: str = ""  # how the figures were obtained (values, years, rule)


class IndicatorResult(_Result):
    id: str
    name: str
    category: str  # Category.code
    category_name: str = ""
    department: str = ""  # Department.code
    unit: str = ""
    direction: str = "higher"
    target_kind: str = ""
    target_wording: str = ""
    baseline_fy: int | None = None  # start of the path (基準年度, or the first actual when none is set)
    baseline_value: float | None = None
    target_fy: int | None = None
    target_value: float | None = None  # numeric target, when the kind has one
    status: str = "評価不能"  # status in the evaluated year (the newest figure allowed by the lag)
    status_icon: str = "－"
    opensdg_status: str = "not_available"
    opensdg_label: str = ""  # Japanese label of opensdg_status
    opensdg_explanation: str = ""
    evaluated_fy: int | None = None  # the fiscal year whose figure is evaluated
    latest_fy: int | None = None  # newest fiscal year with an actual value
    data_lag: int = 0
    lag_note: str = ""  # e.g. 「2022年度時点で入手できる最新の値は2020年度（2年遅れ）」
    explanation: str = ""
    illustrative: bool = False
    years: list[YearResult] = Field(default_factory=list)


class RatingYear(_Result):
    fy: int
    self_rating: str | None = None
    suggested_rating: str | None = None
    disagrees: bool = False
    reason: str = ""


class PolicyResult(_Result):
    code: str
    name: str
    fy: int
    self_rating: str | None = None  # 所管課の自己評価
    suggested_rating: str | None = None  # 指標・事業から導いた評価案
    disagrees: bool = False
    reason: str = ""  # how the suggested rating was obtained
    ratings_history: dict[int, str] = Field(default_factory=dict)  # fy → the department's rating, as on the Kawasaki sheet
    history: list[RatingYear] = Field(default_factory=list)  # per year: own rating, suggestion, disagreement
    indicator_statuses: dict[str, str] = Field(default_factory=dict)  # Indicator.id → status


class SummaryRow(_Result):
    category: str  # Category.code ("" for the whole plan)
    category_name: str
    counts: dict[str, int]  # status → number of indicators
    total: int


class RuleText(_Result):
    topic: str
    text: str


class PlanResult(_Result):
    plan_name: str
    fy: int
    indicators: list[IndicatorResult] = Field(default_factory=list)
    policies: list[PolicyResult] = Field(default_factory=list)
    summary: list[SummaryRow] = Field(default_factory=list)  # per category, then the total ("" category)
    rules: list[RuleText] = Field(default_factory=list)  # the rules applied, in Japanese
    illustrative_note: str = ""  # set when some actuals are made-up demo values

    def indicator(self, id: str) -> IndicatorResult | None:
        return next((i for i in self.indicators if i.id == id), None)

    def policy(self, code: str) -> PolicyResult | None:
        return next((p for p in self.policies if p.code == code), None)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def compute_plan(plan: Plan, fy: int | None = None) -> PlanResult:
    """Attainment of every indicator and a suggested rating for every policy,
    as of fiscal year `fy` (default: the plan's current year)."""
    from .indicator_rules import evaluate_indicator

    fy = plan.current_fy if fy is None else fy
    indicators = [evaluate_indicator(plan, ind, fy) for ind in plan.indicators]
    by_id = {r.id: r for r in indicators}
    # A policy is shown as of its latest evaluation when the plan's year is later
    # (its sheet for this year has not been filled yet).
    policies = [policy_result(plan, pol, min(fy, pol.evaluation_fy), by_id, plan_fy=fy) for pol in plan.policies]
    return PlanResult(
        plan_name=plan.name,
        fy=fy,
        indicators=indicators,
        policies=policies,
        summary=summarise(plan, indicators),
        rules=rules_text(plan),
        illustrative_note=plan.illustrative_note if any(i.illustrative for i in plan.indicators) else "",
    )


def attainment_table(result: PlanResult) -> list["ResultTable"]:
    """The result sheets (達成状況 and its companions) for a ResultSink; see attainment_sheet.py."""
    from .attainment_sheet import attainment_tables

    return attainment_tables(result)


def status_in(result: IndicatorResult, fy: int, lag: int) -> str:
    """An indicator's status as seen in `fy` (its figure for fy − lag)."""
    y = next((r for r in result.years if r.fy == fy - lag), None)
    return y.status if y else "評価不能"


def policy_result(plan: Plan, pol: Policy, fy: int, indicators: dict[str, IndicatorResult], *, plan_fy: int | None = None) -> PolicyResult:
    from .ratings import indicator_evidence, project_evidence, suggest_rating

    s = plan.settings
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
            evidence.append(indicator_evidence(r.name, status))
        if y == pol.evaluation_fy:
            evidence += [project_evidence(sp.name, sp.status) for sp in pol.subprojects]
        new_issues, note = _new_issues(pol, y)
        suggested, reason = suggest_rating(evidence, new_issues=new_issues, issues_note=note, a_score=s.rating_a_score, b_score=s.rating_b_score)
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


def summarise(plan: Plan, indicators: list[IndicatorResult]) -> list[SummaryRow]:
    from .attainment import STATUSES

    rows = []
    codes = [c.code for c in plan.categories] + sorted({i.category for i in indicators} - {c.code for c in plan.categories})
    for code in codes:
        members = [i for i in indicators if i.category == code]
        if not members:
            continue
        cat = plan.category(code)
        counts = {st: sum(1 for i in members if i.status == st) for st in STATUSES}
        rows.append(SummaryRow(category=code, category_name=cat.name if cat else code, counts=counts, total=len(members)))
    counts = {st: sum(1 for i in indicators if i.status == st) for st in STATUSES}
    rows.append(SummaryRow(category="", category_name="全体", counts=counts, total=len(indicators)))
    return rows


def rules_text(plan: Plan) -> list[RuleText]:
    from .attainment import STATUS_ICONS, STATUS_MEANINGS
    from .indicator_rules import KIND_RULES
    from .ratings import RATING_RULE
    from .targets import KIND_LABELS

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
    rules.append(RuleText(topic="施策の評価案", text=RATING_RULE))
    return rules
