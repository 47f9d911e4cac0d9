"""The plan: a typed model of everything the master workbook holds.

Nothing here knows about Excel or the CLI. Codes (IDs) link the parts:
an indicator names its category and department by code, a policy names its
reference indicators by ID.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from envplan.plan.local_words import opinion_source_value
from envplan.plan.targets import Direction, Target
from envplan.plan.vocabulary import PROJECT_STATUSES as PROJECT_STATUSES  # the words, re-exported
from envplan.plan.vocabulary import RATINGS as RATINGS
from envplan.plan.vocabulary import VALUE_MARK_LABELS as VALUE_MARK_LABELS
from envplan.plan.vocabulary import VALUE_MARKS as VALUE_MARKS
from envplan.plan.vocabulary import ProjectStatusValue, RatingValue, ValueMark

RATING_LEGEND = (
    "A 施策が順調に推進したもの（新たな課題等 Ⅰ 無 Ⅱ 有） "
    "B 施策が一定程度推進したもの C 施策が推進していないもの"
)

BudgetKind = Literal["予算", "決算", "計画事業費", "決算見込"]
BUDGET_KINDS: tuple[str, ...] = ("予算", "決算", "計画事業費", "決算見込")

# 住民意見 is shown as 区民意見 / 市民意見 / 町民意見 … after the municipality (local_words).
OpinionSource = Literal["住民意見", "事業者意見", "推進会議", "その他"]
OPINION_SOURCES: tuple[str, ...] = ("住民意見", "事業者意見", "推進会議", "その他")
OpinionSubject = Literal["plan", "indicator", "project", "policy"]
OPINION_SUBJECT_LABELS: dict[str, str] = {"plan": "計画全体", "indicator": "指標", "project": "重点プロジェクト", "policy": "施策"}

A11yLevel = Literal["A", "AA", "AAA"]
A11yConformance = Literal["準拠", "一部準拠", "配慮"]  # the 対応度 of JIS X 8341-3:2016 (ウェブアクセシビリティ基盤委員会)

RelatedPlanKind = Literal["related", "milestone"]
RELATED_PLAN_KIND_LABELS: dict[str, str] = {"related": "関連計画", "milestone": "本計画の節目"}


class _Model(BaseModel):
    # Surrounding spaces are never meaningful in a cell; stripping them keeps round trips exact.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, str_strip_whitespace=True, defer_build=True)  # validators built on first use: a command that never validates one pays nothing at its start


class Category(_Model):
    code: str
    name: str


class Department(_Model):
    code: str
    name: str
    contact: str = ""  # 担当者
    phone: str = ""
    email: str = ""




class YearValue(_Model):
    plan: float | None = None
    actual: float | None = None
    note: str = ""
    mark: ValueMark | None = None  # of the actual; None: not marked (a final figure)

    def is_empty(self) -> bool:
        return self.plan is None and self.actual is None and not self.note and self.mark is None

    @property
    def provisional(self) -> bool:
        return self.mark == "速報" and self.actual is not None


class TargetRevision(_Model):
    """A target replaced by a plan revision (見直し), kept with its period."""

    revised_fy: int
    old_wording: str
    old_target: Target
    valid_from_fy: int | None = None
    valid_to_fy: int | None = None
    reason: str = ""


class Judgement(_Model):
    """The section's own 評価 of an indicator's year (a symbol of the plan's evaluation scheme),
    kept beside the computed level: a document may print a rating its own figures contradict."""

    fy: int
    level: str
    reason: str = ""


class Indicator(_Model):
    id: str
    name: str
    category: str  # Category.code
    unit: str = ""
    direction: Direction = "higher"
    baseline_fy: int | None = None
    baseline_value: float | None = None
    target_wording: str  # the target as the plan words it
    target: Target
    department: str  # Department.code
    data_lag: int = Field(default=0, ge=0, le=10)  # years between a fiscal year and its figure
    lower_bound: float | None = None  # plausible range, for warnings
    upper_bound: float | None = None
    policy: str = ""  # Policy.code when this is a policy's reference indicator
    description: str = ""
    notes: str = ""
    source: str = ""  # 出典: where the figures come from (a statistic, a survey), for the open data
    update_frequency: str = ""  # 更新頻度 of the figure (毎年度, 5年ごと…); empty: the plan's yearly cycle
    illustrative: bool = False  # the actuals are made up for the demo, not real
    values: dict[int, YearValue] = Field(default_factory=dict)
    revisions: list[TargetRevision] = Field(default_factory=list)
    judgements: list[Judgement] = Field(default_factory=list)

    def judgement(self, fy: int) -> Judgement | None:
        return next((j for j in self.judgements if j.fy == fy), None)

    @model_validator(mode="after")
    def _drop_empty_years(self) -> Indicator:
        # An empty year is the same as no year: keeps round trips exact.
        empty = [fy for fy, v in self.values.items() if v.is_empty()]
        for fy in empty:
            del self.values[fy]
        return self

    def typed_figures(self) -> list[float | None]:
        """The figures typed into the workbook for this indicator (baseline, target, plan and
        actual values; not computed ones): they decide the precision it is shown with."""
        out: list[float | None] = [self.baseline_value]
        out += [getattr(self.target, name, None) for name in ("value", "threshold")]
        for v in self.values.values():
            out += [v.plan, v.actual]
        return [x for x in out if x is None or isinstance(x, (int, float))]

    def actual(self, fy: int) -> float | None:
        v = self.values.get(fy)
        return v.actual if v else None

    def plan_value(self, fy: int) -> float | None:
        v = self.values.get(fy)
        return v.plan if v else None

    def provisional(self, fy: int) -> bool:
        """The actual of `fy` is a provisional figure (速報値), to be restated by its 確定値."""
        v = self.values.get(fy)
        return v.provisional if v else False


class Phase(_Model):
    name: str
    start_fy: int
    end_fy: int

    @model_validator(mode="after")
    def _order(self) -> Phase:
        if self.end_fy < self.start_fy:
            raise ValueError(f"段階「{self.name}」の終了年度が開始年度より前です")
        return self


class ProjectStatus(_Model):
    fy: int
    status: ProjectStatusValue
    comment: str = ""


class ProjectPartReport(_Model):
    """A co-department's (関係課) report on its own part of a project for one year.

    The project's status stays the lead's (`ProjectStatus`): ratings and the
    roadmap need one status per year. A co-department says how its part went
    (取組の状況) and may add its own status word, so a lagging part is visible
    without changing the project's status."""

    fy: int
    department: str  # Department.code, one of the project's departments other than the lead
    status: ProjectStatusValue | None = None
    comment: str = ""

    def is_empty(self) -> bool:
        return self.status is None and not self.comment


class Project(_Model):
    id: str
    number: str = ""  # ①
    name: str
    category: str
    departments: list[str] = Field(default_factory=list)  # the first is the lead (主担当), the others co-departments (関係課)
    description: str = ""
    phases: list[Phase] = Field(default_factory=list)
    statuses: list[ProjectStatus] = Field(default_factory=list)
    part_reports: list[ProjectPartReport] = Field(default_factory=list)

    @model_validator(mode="after")
    def _canonical_parts(self) -> Project:
        # An empty report is the same as none, and reports are kept by year and the
        # project's order of departments: keeps round trips exact.
        order = {d: i for i, d in enumerate(self.departments)}
        parts = sorted((r for r in self.part_reports if not r.is_empty()), key=lambda r: (r.fy, order.get(r.department, len(order)), r.department))
        if parts != self.part_reports:
            self.part_reports = parts
        return self

    def phase_in(self, fy: int) -> Phase | None:
        return next((p for p in self.phases if p.start_fy <= fy <= p.end_fy), None)

    def status_in(self, fy: int) -> ProjectStatus | None:
        return next((s for s in self.statuses if s.fy == fy), None)

    def co_departments(self) -> list[str]:
        """The departments that report their own part (関係課): all listed but the lead (the first)."""
        lead = self.departments[0] if self.departments else ""
        return list(dict.fromkeys(d for d in self.departments[1:] if d != lead))

    def part_in(self, fy: int, department: str) -> ProjectPartReport | None:
        return next((r for r in self.part_reports if r.fy == fy and r.department == department), None)

    def parts_in(self, fy: int) -> list[ProjectPartReport]:
        """The co-departments' reports of a year, in the order the project lists its departments."""
        return [r for r in self.part_reports if r.fy == fy]


class RelatedPlan(_Model):
    id: str
    name: str
    kind: RelatedPlanKind = "related"
    start_fy: int | None = None  # None: not stated
    end_fy: int | None = None  # None: open-ended
    note: str = ""


class Rating(_Model):
    fy: int
    rating: RatingValue
    reason: str = ""


class BudgetLine(_Model):
    fy: int
    kind: BudgetKind
    amount: float = Field(ge=0)  # 予算・決算 are never negative; templates refuse a negative figure too


class SubProject(_Model):
    name: str
    status: str = ""  # 第3期実行計画期間の達成状況


class GlossaryEntry(_Model):
    term: str
    description: str


class Policy(_Model):
    """A 施策進行管理・評価票: every field of the Kawasaki form."""

    code: str  # 施策課題番号, e.g. 41303000
    sheet_no: int = 1
    title: str  # 施策課題
    evaluation_fy: int
    department: str  # 作成課 (Department.code)
    basic_policy: str = ""  # 基本政策
    policy_direction: str = ""  # 政策の基本方向
    basic_measure: str = ""  # 基本施策
    related_departments: str = ""  # 関係課
    priority: str = ""  # 重点
    period_name: str = ""  # 第3期実行計画
    period_start_fy: int | None = None
    period_end_fy: int | None = None
    issues: str = ""  # 当該施策によって解決すべき課題
    overview: str = ""  # 施策の概要
    goals: str = ""  # 施策の目標
    results: str = ""  # 解決すべき課題に対する当該年度の成果
    remaining_issues: str = ""  # 残された課題、新たな課題、社会環境の変化等
    ratings: list[Rating] = Field(default_factory=list)
    direction_from_fy: int | None = None  # 「2014年度以降の方向性」
    future_direction: str = ""
    reference_indicators: list[str] = Field(default_factory=list)  # Indicator.id
    budget_label: str = "事業費合計"
    budget_unit: str = "千円"
    budget: list[BudgetLine] = Field(default_factory=list)
    subprojects: list[SubProject] = Field(default_factory=list)
    glossary: list[GlossaryEntry] = Field(default_factory=list)

    def rating_in(self, fy: int) -> Rating | None:
        return next((r for r in self.ratings if r.fy == fy), None)

    @property
    def self_rating(self) -> str | None:
        r = self.rating_in(self.evaluation_fy)
        return r.rating if r else None


class Opinion(_Model):
    id: str
    fy: int
    source: OpinionSource
    subject: OpinionSubject = "plan"
    subject_id: str = ""
    text: str
    response: str = ""

    @field_validator("source", mode="before")
    @classmethod
    def _neutral_source(cls, value: object) -> object:
        # 区民意見 of older masters and samples, 市民意見 of a city: one stored value.
        return opinion_source_value(value.strip()) if isinstance(value, str) else value


class Settings(_Model):
    """Thresholds and options kept in the workbook's 設定 sheet."""

    on_track_ratio: float = 1.0  # 順調: actual at least this share of the expected path
    slightly_behind_ratio: float = 0.8  # やや遅れ: at least this share; below is 遅れ
    approximate_tolerance: float = 0.0  # a target worded 程度・概ね・約 counts as met within this share of it (0: exactly)
    jump_warning_factor: float = 3.0  # warn when a value is more than ×f or under ÷f of last year
    max_reference_indicators: int = 3
    opensdg_high: float = 0.95
    opensdg_med: float = 0.60
    opensdg_low: float = 0.0
    opensdg_growth_high: float = 0.015  # Open SDG without a quantitative target: CAGR thresholds
    opensdg_growth_med: float = 0.005
    rating_a_score: float = 0.6  # suggested rating A: mean evidence score at least this (see ratings.py)
    rating_b_score: float = 0.3  # B: at least this; below is C
    evaluation_scheme: str = "envplan の6区分（既定）"  # a ready scheme's name (plan/schemes.py) or 評価区分シート


class EvaluationLevel(_Model):
    """A row of the 評価区分 sheet: used when 設定 says 評価区分シート (see plan/schemes.py)."""

    symbol: str
    label: str
    colour: str = ""
    rule: str


class Plan(_Model):
    name: str
    municipality: str = ""
    start_fy: int
    end_fy: int
    current_fy: int
    frozen_through_fy: int | None = None  # years up to this one are closed
    data_note: str = ""  # e.g. 「H34時点で入手可能な最新データがH32」
    illustrative_note: str = ""
    source_note: str = ""  # how the data was transcribed
    publisher: str = ""  # 発行者 on the cover and the site (the municipality when empty)
    contact: str = ""  # 問い合わせ先 on every page's footer and the cover
    municipality_code: str = ""  # 全国地方公共団体コード, 6 digits with the check digit (open data)
    prefecture: str = ""  # 都道府県名 (open data)
    city: str = ""  # 市区町村名 (open data; empty for a prefecture's plan)
    licence: str = ""  # the open data's licence (plan/open_licence.py), e.g. CC BY 4.0
    response_deadline: dt.date | None = None  # 回答期限 of the survey: written in the survey and reminder mails
    settings: Settings = Field(default_factory=Settings)
    categories: list[Category] = Field(default_factory=list)
    departments: list[Department] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    projects: list[Project] = Field(default_factory=list)
    related_plans: list[RelatedPlan] = Field(default_factory=list)
    policies: list[Policy] = Field(default_factory=list)
    opinions: list[Opinion] = Field(default_factory=list)
    glossary: list[GlossaryEntry] = Field(default_factory=list)
    evaluation_levels: list[EvaluationLevel] = Field(default_factory=list)
    # The site's accessibility policy (ウェブアクセシビリティ方針, 総務省「みんなの公共サイト運用ガイドライン」).
    a11y_level: A11yLevel = "AA"  # 目標とする適合レベル of JIS X 8341-3:2016
    a11y_conformance: A11yConformance = "準拠"  # 対応度
    a11y_deadline: str = ""  # 達成期限, as the policy words it; left out of the page when empty
    a11y_scope: str = ""  # 対象範囲; the whole site when empty
    a11y_exceptions: str = ""  # 例外事項; left out when empty

    def indicator(self, id: str) -> Indicator | None:
        return next((i for i in self.indicators if i.id == id), None)

    def department(self, code: str) -> Department | None:
        return next((d for d in self.departments if d.code == code), None)

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    def policy(self, code: str) -> Policy | None:
        return next((p for p in self.policies if p.code == code), None)

    def years(self) -> list[int]:
        """Every fiscal year the workbook shows a column for."""
        years = set(range(self.start_fy, self.end_fy + 1))
        for ind in self.indicators:
            years.update(ind.values)
            if ind.baseline_fy is not None:
                years.add(ind.baseline_fy)
        for proj in self.projects:
            for ph in proj.phases:
                years.update(range(ph.start_fy, ph.end_fy + 1))
        return sorted(years)
