"""What computing a plan yields: per indicator, per year, per policy, with a
summary. These models are the contract other parts (the result sheets,
publication, the Excel door) code against; `PlanResult.to_json()` is the
`envplan compute --json` object.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class YearResult(_Result):
    """One fiscal year of one indicator. Rates are fractions (1.0 = 100%)."""

    fy: int
    plan: float | None = None  # 計画値 entered for the year (None when the plan sets none)
    actual: float | None = None  # 実績値
    provisional: bool = False  # the actual is a provisional figure (速報値), to be restated by its 確定値
    compared_with: float | None = None  # the value 達成率 is taken against (計画値, 目標値, 前年度実績, …)
    compared_label: str = ""  # what compared_with is, in Japanese
    achievement_rate: float | None = None  # 達成率
    progress_rate: float | None = None  # 進捗率
    expected: float | None = None  # 見込み値: on the straight path from baseline to target (or the year's required value)
    status: str = "評価不能"  # one of attainment.STATUSES
    status_icon: str = "－"
    explanation: str = ""  # how the figures were obtained (values, years, rule)
    level_symbol: str = ""  # the level of the plan's evaluation scheme (評価区分)
    level_label: str = ""
    level_reason: str = ""
    own_level: str = ""  # the section's own 評価 for the year (指標の評価 sheet), kept beside the computed level
    own_reason: str = ""
    level_agrees: bool | None = None  # None: no own 評価


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
    provisional: bool = False  # the evaluated year's actual is a provisional figure (速報値)
    years: list[YearResult] = Field(default_factory=list)
    level_symbol: str = ""  # the evaluated year's level in the plan's evaluation scheme (評価区分)
    level_label: str = ""
    level_reason: str = ""
    own_level: str = ""  # the section's own 評価 for the year (指標の評価 sheet), kept beside the computed level
    own_reason: str = ""
    level_agrees: bool | None = None  # None: no own 評価
    other_targets: list[OtherTarget] = Field(default_factory=list)  # live targets besides the final one (中間目標)


class OtherTarget(_Result):
    """A second live target of the indicator (an interim target in the wording, a dated step), judged by itself."""

    fy: int
    value: float
    actual: float | None = None  # the actual of its year (None: not yet in, or the year is still ahead)
    status: str = ""  # 達成 / 未達成 / 実績なし / まだ先
    explanation: str = ""


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
    level_counts: dict[str, int] = Field(default_factory=dict)  # level key 「◎ 達成」 of the plan's scheme → number of indicators


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
    scheme_name: str = ""  # the evaluation scheme (評価区分) the levels come from
    scheme_levels: list[dict[str, str]] = Field(default_factory=list)  # symbol, label, colour, rule, meaning: in order
    scheme_key: str = ""  # six_levels, a ready scheme's key, or custom
    # The levels as counted and shown (one per symbol and label; 'no judgement' last): key, symbol, label,
    # colour (fill, readable), given_colour, text (colour), meaning, evaluable, score.
    shown_levels: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def default_scheme(self) -> bool:
        return self.scheme_key in ("", "six_levels")

    def indicator(self, id: str) -> IndicatorResult | None:
        return next((i for i in self.indicators if i.id == id), None)

    def policy(self, code: str) -> PolicyResult | None:
        return next((p for p in self.policies if p.code == code), None)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


IndicatorResult.model_rebuild()
