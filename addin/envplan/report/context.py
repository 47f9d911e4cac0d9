"""What the report shows, gathered once from the plan and its computed
attainment: the web site, the PDF and the open data all read this.

Pure: no files are read or written here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from envplan.plan.local_words import LocalWords, local_words
from envplan.plan.model import RATING_LEGEND, Indicator, Opinion, Plan, Policy, Project, ProjectStatus, TargetRevision
from envplan.plan.numbers import indicator_digits
from envplan.plan.targets import (
    DIRECTION_LABELS,
    KIND_LABELS,
    AnnualMinimumTarget,
    ChangeTarget,
    DecreaseTarget,
    ImproveTarget,
    IncreaseTarget,
    LevelTarget,
    MaintainTarget,
    StateTarget,
    Target,
    describe_target,
    target_year,
)
from envplan.plan.years import fy_label, range_label
from envplan.report.charts import Chart, IndicatorChartData, OldTarget, PeriodRow, indicator_chart, period_chart
from envplan.report.formatting import num, rate, slug
from envplan.rules.compute import level_in, status_in
from envplan.rules.results import IndicatorResult, PlanResult, PolicyResult, RatingYear, SummaryRow, YearResult

# CSS class per status; the icon and the word always go with the colour.
STATUS_CLASSES: dict[str, str] = {
    "達成": "achieved",
    "順調": "on-track",
    "やや遅れ": "slightly-behind",
    "遅れ": "behind",
    "悪化": "worse",
    "評価不能": "na",
}
STATUS_RANK = {"達成": 5, "順調": 4, "やや遅れ": 3, "遅れ": 2, "悪化": 1}

PROJECT_STATUS_ICONS: dict[str, str] = {"完了": "●", "前倒し": "◎", "予定どおり": "○", "遅れ": "△", "未着手": "－"}
PROJECT_STATUS_CLASSES: dict[str, str] = {"完了": "achieved", "前倒し": "achieved", "予定どおり": "on-track", "遅れ": "behind", "未着手": "na"}


@dataclass
class StatusInfo:
    name: str
    icon: str
    css: str
    meaning: str


@dataclass
class YearRow:
    fy: int
    plan: str
    actual: str
    expected: str
    achievement: str
    compared: str  # what 達成率 is taken against, e.g. 「目標値 1,324千t-CO2」
    progress: str
    status: StatusInfo
    explanation: str
    note: str
    evaluated: bool
    raw: YearResult


@dataclass
class IndicatorView:
    ind: Indicator
    res: IndicatorResult
    slug: str
    number: int  # 1-based position in the plan
    category_name: str
    category_slug: str
    department_name: str
    status: StatusInfo
    direction_label: str
    target_kind_label: str
    target_structured: str
    baseline: str
    latest_actual: str
    latest_fy: int | None
    chart: Chart | None
    print_chart: Chart | None  # narrower, relatively larger type, for the A4 report
    rows: list[YearRow]
    evaluated: YearRow | None
    opinions: list[Opinion]
    revisions: list[TargetRevision]
    previous_status: StatusInfo | None = None
    digits: int = 0  # decimal places of every figure of this indicator, on every page
    opensdg_note: str = ""  # why Open SDG's word points the other way from the status, when it does
    basis_lead: str = ""  # 評価の根拠 in one plain sentence, before the formulas
    latest_provisional: bool = False  # the newest actual is a provisional figure (速報値)

    @property
    def any_provisional(self) -> bool:
        return any(r.raw.provisional for r in self.rows)


@dataclass
class CategoryView:
    code: str
    name: str
    slug: str
    indicators: list[IndicatorView]
    counts: dict[str, int]
    total: int


@dataclass
class ProjectPhaseCell:
    name: str
    start: int
    end: int
    span: int
    current: bool


@dataclass
class PartView:
    """A co-department's report on its part of a project for one year (関係課の取組)."""

    fy: int
    department_name: str
    status: str  # "" when the co-department gave no status word
    status_icon: str
    comment: str


@dataclass
class ProjectView:
    project: Project
    category_name: str
    departments: str
    cells: list[ProjectPhaseCell | int]  # a phase, or an empty fiscal year
    current_phase: str
    status: ProjectStatus | None
    status_icon: str
    status_css: str
    opinions: list[Opinion]
    parts: list[PartView] = field(default_factory=list)  # the report year's
    part_history: list[PartView] = field(default_factory=list)  # every year's, by year


@dataclass
class IndicatorTargetMark:
    view: IndicatorView
    target_fy: int | None
    span_label: str  # for a target without a year: 「毎年」 or 「計画期間を通じて」


@dataclass
class RefIndicatorView:
    number: str  # ①
    ind: Indicator | None
    id: str
    rows: list[tuple[int, str, str]]  # fy, plan, actual
    status: StatusInfo | None
    slug: str

    def row(self, fy: int) -> tuple[int, str, str] | None:
        """This indicator's row for `fy`, or None: the indicators of one sheet need
        not have values for the same years (a data lag, plan values ahead)."""
        return next((r for r in self.rows if r[0] == fy), None)


@dataclass
class BudgetView:
    years: list[int]
    kinds: dict[int, list[str]]  # fy → kinds in form order
    amounts: dict[tuple[int, str], str]


@dataclass
class PolicyView:
    policy: Policy
    res: PolicyResult | None
    check: RatingYear | None  # own rating against the suggestion, in the sheet's evaluation year
    slug: str
    department_name: str
    period: str
    ratings: list[tuple[int, str, str]]  # fy, rating, reason
    legend: str
    references: list[RefIndicatorView]
    reference_years: list[int]  # every year any reference indicator has a value for
    budget: BudgetView
    opinions: list[Opinion]


@dataclass
class Change:
    text: str
    href: str = ""
    kind: str = ""  # better | worse | new | info


@dataclass
class GlossaryItem:
    term: str
    description: str
    source: str


@dataclass
class ReportData:
    plan: Plan
    result: PlanResult
    fy: int
    title: str
    generated: dt.date
    statuses: list[StatusInfo]
    indicators: list[IndicatorView]
    categories: list[CategoryView]
    overall: dict[str, int]
    overall_total: int
    changes: list[Change]  # statuses, projects, opinions
    new_figures: list[Change]  # indicators with a figure that arrived this year (the first NEW_FIGURES_SHOWN)
    new_figures_total: int
    changes_more: int  # changes left out of `changes` (CHANGES_SHOWN at most are listed)
    previous_fy: int | None
    years: list[int]  # the plan's roadmap years
    projects: list[ProjectView]
    target_marks: list[IndicatorTargetMark]
    related_chart: Chart
    related_print_chart: Chart
    related_rows: list[PeriodRow]
    policies: list[PolicyView]
    glossary: list[GlossaryItem]
    plan_opinions: list[Opinion]
    illustrative: bool
    settings_rows: list[tuple[str, str]]
    files: dict[str, str] = field(default_factory=dict)  # what → relative path (PDF, CSV…)
    level_css: str = ""  # colours of the chosen scheme's levels (empty for the six levels, which site.css has)

    @property
    def fy_text(self) -> str:
        return fy_label(self.fy)

    @property
    def words(self) -> LocalWords:
        """The municipality's words (市民意見, 市の考え方・対応) for the pages."""
        return local_words(self.plan.municipality)


def status_info(name: str, icon: str | None = None) -> StatusInfo:
    from envplan.rules.attainment import STATUS_ICONS, STATUS_MEANINGS

    return StatusInfo(name, icon or STATUS_ICONS.get(name, "－"), STATUS_CLASSES.get(name, "na"), STATUS_MEANINGS.get(name, ""))


class Levels:
    """What the pages show for a status: envplan's six levels, or the levels of the scheme the plan
    chose (its symbols, labels and colours; levels.css gives each its readable colours)."""

    def __init__(self, result: PlanResult) -> None:
        from envplan.rules.attainment import STATUSES

        self.default = result.default_scheme
        self.shown = result.shown_levels
        if self.default:
            self.infos = [status_info(st) for st in STATUSES]
            self.by_key = {f"{i.icon} {i.name}": i for i in self.infos}
            self.keys = list(STATUSES)
            return
        labels = [lv["label"] for lv in self.shown]
        self.infos = [
            StatusInfo(lv["label"] if labels.count(lv["label"]) == 1 else lv["key"], lv["symbol"], f"lv{n}", lv["meaning"]) for n, lv in enumerate(self.shown, 1)
        ]
        self.by_key = {lv["key"]: info for lv, info in zip(self.shown, self.infos)}
        self.keys = [lv["key"] for lv in self.shown]
        self.scores = {lv["key"]: lv["score"] for lv in self.shown}

    def of_year(self, y: YearResult) -> StatusInfo:
        return status_info(y.status, y.status_icon) if self.default else self.level(y.level_symbol, y.level_label)

    def of_indicator(self, res: IndicatorResult) -> StatusInfo:
        return status_info(res.status, res.status_icon) if self.default else self.level(res.level_symbol, res.level_label)

    def level(self, symbol: str, label: str) -> StatusInfo:
        key = f"{symbol.strip()} {label.strip()}".strip()
        return self.by_key.get(key) or StatusInfo(label, symbol, "na", "")

    def counts(self, row: SummaryRow | None) -> dict[str, int]:
        """Indicators per shown level, keyed by the StatusInfo name (what the templates look up)."""
        if row is None:
            return {i.name: 0 for i in self.infos}
        if self.default:
            return {st: row.counts.get(st, 0) for st in self.keys}
        return {i.name: row.level_counts.get(k, 0) for k, i in zip(self.keys, self.infos)}

    def css(self) -> str:
        """Colour rules of the chosen scheme's levels (none for the six levels: site.css has them).
        Text colours keep 4.5:1 on the fill and on white; a fill too dark for that was lightened (validate says so)."""
        if self.default:
            return ""
        rules = []
        for lv, info in zip(self.shown, self.infos):
            c, fill, text = info.css, lv["colour"], lv["text"]
            rules.append(
                f".status-{c} {{ background: #{fill}; color: #{text}; }} .status-card-{c} {{ border-top-color: #{text}; }} "
                f".status-card-{c} .card-icon {{ color: #{text}; }} .status-cell-{c} {{ background: #{fill}; color: #{text}; }} .yg-{c} {{ color: #{text}; }}"
            )
        return "\n".join(rules)


def build_report(plan: Plan, result: PlanResult, previous: PlanResult | None = None, *, today: dt.date | None = None) -> ReportData:
    fy = result.fy
    levels = Levels(result)
    cat_slugs = {c.code: slug(c.code, "c") for c in plan.categories}
    used: set[str] = set()
    views: list[IndicatorView] = []
    for n, ind in enumerate(plan.indicators, 1):
        res = result.indicator(ind.id)
        if res is None:
            continue
        s = _unique(slug(ind.id, "i"), used)
        prev = previous.indicator(ind.id) if previous else None
        views.append(_indicator_view(plan, ind, res, s, n, cat_slugs.get(ind.category, ""), fy, prev, levels))
    by_cat: dict[str, list[IndicatorView]] = {}
    for v in views:
        by_cat.setdefault(v.ind.category, []).append(v)
    categories = []
    for c in plan.categories:
        row = next((r for r in result.summary if r.category == c.code), None)
        inds = by_cat.get(c.code, [])
        if not inds and row is None:
            continue
        categories.append(CategoryView(c.code, c.name, cat_slugs[c.code], inds, levels.counts(row), row.total if row else len(inds)))
    overall_row = next((r for r in result.summary if r.category == ""), None)
    overall = levels.counts(overall_row)
    policies = [_policy_view(plan, p, result.policy(p.code), views) for p in plan.policies]
    related_rows, related_chart, related_print_chart = _related(plan, fy)
    changes = _changes(plan, views, previous, fy, levels)
    return ReportData(
        plan=plan,
        result=result,
        fy=fy,
        title=f"{plan.name} 進捗状況",
        generated=today or dt.date.today(),
        statuses=levels.infos,
        level_css=levels.css(),
        indicators=views,
        categories=categories,
        overall=overall,
        overall_total=overall_row.total if overall_row else len(views),
        changes=[c for c in changes if c.kind != "new"][:CHANGES_SHOWN],
        changes_more=max(0, len([c for c in changes if c.kind != "new"]) - CHANGES_SHOWN),
        new_figures=[c for c in changes if c.kind == "new"][:NEW_FIGURES_SHOWN],
        new_figures_total=len([c for c in changes if c.kind == "new"]),
        previous_fy=previous.fy if previous else None,
        years=list(range(plan.start_fy, plan.end_fy + 1)),
        projects=[_project_view(plan, p, fy) for p in plan.projects],
        target_marks=[_target_mark(v) for v in views],
        related_chart=related_chart,
        related_print_chart=related_print_chart,
        related_rows=related_rows,
        policies=policies,
        glossary=_glossary(plan),
        plan_opinions=[o for o in plan.opinions if o.subject == "plan"],
        illustrative=any(i.illustrative for i in plan.indicators),
        settings_rows=_settings_rows(plan),
    )


def _unique(s: str, used: set[str]) -> str:
    base, k = s, 2
    while s in used:
        s, k = f"{base}-{k}", k + 1
    used.add(s)
    return s


def basis_lead(row: YearRow | None, status: str) -> str:
    """評価の根拠 in words a reader follows without the formulas: which figure was compared with which."""
    if row is None or row.actual == "－":
        return f"判定に使える実績値がまだないため、「{status}」としています。"
    compared = []
    if row.plan != "－":
        compared.append(f"計画値 {row.plan}")
    if row.expected != "－":
        compared.append(f"目標への道筋の見込み値 {row.expected}")
    elif row.compared:
        compared.append(row.compared)
    against = f"を{'・'.join(compared)}と比べ" if compared else "から判断し"
    rate = f"（達成率 {row.achievement}）" if row.achievement != "－" else ""
    return f"{fy_label(row.fy)}の実績値 {row.actual}{against}、「{status}」としています{rate}。"


OPENSDG_FORWARD = ("target_achieved", "substantial_progress", "moderate_progress")


def opensdg_note(status: str, sdg_status: str, sdg_label: str) -> str:
    """One plain sentence when the plan's status and Open SDG's word point opposite ways
    (悪化 beside 大きく前進): a reader would not otherwise understand the two."""
    opposite = (status in ("遅れ", "悪化") and sdg_status in OPENSDG_FORWARD) or (status in ("達成", "順調") and sdg_status == "deterioration")
    if not opposite:
        return ""
    return (
        f"この計画の判定（{status}）は、その年度の実績を目標への道筋（見込み値）や目標値・前年度と比べた結果です。"
        f"Open SDG の評価（{sdg_label}）は、基準年度から最新の値までの年平均の変化の速さで見る、国際比較のための別の方法です。"
        "見る点が違うため、向きが異なることがあります。"
    )


def _indicator_view(
    plan: Plan, ind: Indicator, res: IndicatorResult, s: str, n: int, cat_slug: str, fy: int, prev: IndicatorResult | None, levels: Levels | None = None
) -> IndicatorView:
    levels = levels or Levels(PlanResult(plan_name=plan.name, fy=fy))
    dept = plan.department(ind.department)
    cat = plan.category(ind.category)
    evaluated_fy = res.evaluated_fy
    digits = indicator_digits(ind.typed_figures())
    rows = []
    for y in res.years:
        v = ind.values.get(y.fy)
        rows.append(
            YearRow(
                fy=y.fy,
                plan=num(y.plan, ind.unit, digits),
                actual=num(y.actual, ind.unit, digits),
                expected=num(y.expected, ind.unit, digits),
                achievement=rate(y.achievement_rate),
                compared=f"{y.compared_label} {num(y.compared_with, ind.unit, digits)}" if y.compared_with is not None else "",
                progress=rate(y.progress_rate),
                status=levels.of_year(y),
                explanation=y.explanation,
                note=v.note if v else "",
                evaluated=y.fy == evaluated_fy,
                raw=y,
            )
        )
    evaluated = next((r for r in rows if r.evaluated), None)
    latest_fy = res.latest_fy
    latest_actual = num(ind.actual(latest_fy), ind.unit, digits) if latest_fy is not None else "－"
    baseline = "－"
    if ind.baseline_fy is not None:
        baseline = f"{fy_label(ind.baseline_fy)} {num(ind.baseline_value, ind.unit, digits)}" if ind.baseline_value is not None else fy_label(ind.baseline_fy)
    view = IndicatorView(
        ind=ind,
        res=res,
        slug=s,
        number=n,
        category_name=cat.name if cat else ind.category,
        category_slug=cat_slug,
        department_name=dept.name if dept else ind.department,
        status=levels.of_indicator(res),
        direction_label=DIRECTION_LABELS.get(ind.direction, ind.direction),
        target_kind_label=KIND_LABELS.get(ind.target.kind, ind.target.kind),
        target_structured=describe_target(ind.target, ind.unit, digits),
        baseline=baseline,
        latest_actual=latest_actual,
        latest_provisional=latest_fy is not None and ind.provisional(latest_fy),
        digits=digits,
        opensdg_note=opensdg_note(res.status, res.opensdg_status, res.opensdg_label),
        basis_lead=basis_lead(evaluated, res.status if levels.default else f"{res.level_symbol} {res.level_label}".strip()),
        latest_fy=latest_fy,
        chart=None,
        print_chart=None,
        rows=rows,
        evaluated=evaluated,
        opinions=[o for o in plan.opinions if o.subject == "indicator" and o.subject_id == ind.id],
        revisions=list(ind.revisions),
        previous_status=levels.of_indicator(prev) if prev else None,
    )
    data = _chart_data(plan, ind, res, s, fy)
    view.chart = indicator_chart(data)
    data.uid = f"pchart-{s}"
    view.print_chart = indicator_chart(data, width=520, height=300, font=16.5)  # drawn 103 mm wide: 16.5 units print at 9.2 pt, the era years (×0.88) at 8.1 pt
    return view


def _chart_data(plan: Plan, ind: Indicator, res: IndicatorResult, s: str, fy: int) -> IndicatorChartData:
    t = ind.target
    years = [y for y in ind.values] + [plan.start_fy, plan.end_fy]
    years += [y for y in (res.baseline_fy, res.target_fy, target_year(t)) if y is not None]
    d = IndicatorChartData(
        uid=f"chart-{s}",
        title=f"{ind.name}の推移",
        unit=ind.unit,
        first_fy=min(years),
        last_fy=max(years),
        actual={y: v.actual for y, v in ind.values.items() if v.actual is not None},
        plan={y: v.plan for y, v in ind.values.items() if v.plan is not None},
        current_fy=res.evaluated_fy if res.evaluated_fy is not None else fy,
        illustrative=ind.illustrative,
        digits=indicator_digits(ind.typed_figures()),
    )
    # The path and target as compute.py evaluated them (it fills a missing baseline from the first actual).
    base, base_fy = res.baseline_value, res.baseline_fy
    goal, goal_fy = res.target_value, res.target_fy
    if isinstance(t, (LevelTarget, ChangeTarget)) and goal is not None and goal_fy is not None:
        d.target_point = (goal_fy, goal)
        d.target_label = f"目標（{goal_fy}年度）"
        if base is not None and base_fy is not None and base_fy < goal_fy:
            d.path = [(base_fy, base), (goal_fy, goal)]
    elif isinstance(t, AnnualMinimumTarget):
        d.target_line, d.target_label = t.value, f"毎年の目標（{num(t.value, ind.unit, d.digits)}以上）"
    elif isinstance(t, StateTarget):
        d.target_line, d.target_label = t.threshold, f"達成の基準（{num(t.threshold, ind.unit, d.digits)}）"
    elif isinstance(t, MaintainTarget) and goal is not None:
        d.target_line, d.target_label = goal, f"維持する水準（{num(goal, ind.unit, d.digits)}）"
    elif isinstance(t, DecreaseTarget) and base is not None:
        d.target_line, d.target_label = base, f"基準値（{num(base, ind.unit, d.digits)}。これを下回るのが目標）"
    elif isinstance(t, (IncreaseTarget, ImproveTarget)) and base is not None:
        d.target_line, d.target_label = base, f"基準値（{num(base, ind.unit, d.digits)}。これを上回るのが目標）"
    if base is not None and base_fy is not None and base_fy not in d.actual:
        d.baseline = (base_fy, base)  # typed as 基準値 only: drawn all the same, its year is on the axis
    for rev in ind.revisions:
        # The years the replaced target applied, as the judgement takes them (rules.indicator_rules.target_in).
        first = max(rev.valid_from_fy if rev.valid_from_fy is not None else d.first_fy, d.first_fy)
        last = min(rev.valid_to_fy if rev.valid_to_fy is not None else rev.revised_fy - 1, d.last_fy)
        old = _old_target(rev.old_target, base_fy, base, first, last, ind.unit, d.digits)
        if old is not None:
            d.old_targets.append(old)
            d.target_from_fy = max(d.target_from_fy or last + 1, last + 1)
    d.summary = _chart_summary(ind, d, res)
    return d


def _old_target(t: Target, base_fy: int | None, base: float | None, first: int, last: int, unit: str, digits: int | None) -> OldTarget | None:
    """A replaced target as the chart draws it over the years it applied; None when it has nothing to draw."""
    if last < first:
        return None
    if isinstance(t, (LevelTarget, ChangeTarget)):
        goal = t.value if isinstance(t, LevelTarget) else None if base is None else base * (1 + t.percent / 100)
        if goal is None or base is None or base_fy is None or base_fy >= t.year:
            return None
        return OldTarget("目標への道筋（改定前）", first, last, path=[(base_fy, base), (t.year, goal)])
    level = (
        t.value if isinstance(t, AnnualMinimumTarget)
        else t.threshold if isinstance(t, StateTarget)
        else (t.value if t.value is not None else base) if isinstance(t, MaintainTarget)
        else base if isinstance(t, (IncreaseTarget, DecreaseTarget, ImproveTarget))
        else None
    )
    if level is None:
        return None
    return OldTarget(f"目標（改定前: {num(level, unit, digits)}）", first, last, level=level)


def _chart_summary(ind: Indicator, d: IndicatorChartData, res: IndicatorResult) -> str:
    parts = [f"{ind.name}（単位: {ind.unit or 'なし'}）の年度別の値を示す折れ線グラフ。"]
    if d.actual:
        ys = sorted(d.actual)
        kind = "実績値（例示値）" if ind.illustrative else "実績値"
        parts.append(
            f"{kind}は{fy_label(ys[0])}の{num(d.actual[ys[0]], ind.unit, d.digits)}から"
            f"{fy_label(ys[-1])}の{num(d.actual[ys[-1]], ind.unit, d.digits)}まで{len(ys)}か年分。"
        )
        provisional = [y for y in ys if ind.provisional(y)]
        if provisional:
            parts.append(f"うち{'・'.join(fy_label(y) for y in provisional)}の値は速報値。")
    else:
        parts.append("実績値はまだありません。")
    if d.plan:
        ys = sorted(d.plan)
        parts.append(f"計画値は{fy_label(ys[0])}～{fy_label(ys[-1])}の{len(ys)}か年分。")
    if d.target_point:
        parts.append(f"目標は{fy_label(d.target_point[0])}までに{num(d.target_point[1], ind.unit, d.digits)}。")
        if d.path:
            parts.append("基準値から目標値への直線（目標への道筋）を点線で示す。")
    elif d.target_line is not None:
        parts.append(f"{d.target_label}を横線で示す。")
    for o in d.old_targets:
        parts.append(f"{fy_label(o.first_fy)}～{fy_label(o.last_fy)}は見直し前の目標で判定しており、その{'目標への道筋' if o.path else '目標'}を細かい点線で示す。")
    if d.baseline:
        parts.append(f"基準値は{fy_label(d.baseline[0])}の{num(d.baseline[1], ind.unit, d.digits)}。")
    parts.append(f"評価は「{res.status}」。各年度の数値は下の表のとおり。")
    return "".join(parts)


def _target_mark(v: IndicatorView) -> IndicatorTargetMark:
    t = v.ind.target
    ty = target_year(t)
    if ty is not None:
        return IndicatorTargetMark(v, ty, "")
    every = t.kind in ("annual_minimum", "year_over_year", "state", "continue", "plan_values")
    return IndicatorTargetMark(v, None, "毎年" if every else "計画期間を通じて")


def _project_view(plan: Plan, p: Project, fy: int) -> ProjectView:
    cells: list[ProjectPhaseCell | int] = []
    y = plan.start_fy
    phases = sorted(p.phases, key=lambda ph: ph.start_fy)
    while y <= plan.end_fy:
        ph = next((ph for ph in phases if ph.start_fy <= y <= ph.end_fy), None)
        if ph is None:
            cells.append(y)
            y += 1
            continue
        end = min(ph.end_fy, plan.end_fy)
        cells.append(ProjectPhaseCell(ph.name, ph.start_fy, ph.end_fy, end - y + 1, ph.start_fy <= fy <= ph.end_fy))
        y = end + 1
    current = p.phase_in(fy)
    st = p.status_in(fy)
    cat = plan.category(p.category)
    depts = "、".join((plan.department(d).name if plan.department(d) else d) for d in p.departments)  # type: ignore[union-attr]
    return ProjectView(
        project=p,
        category_name=cat.name if cat else p.category,
        departments=depts,
        cells=cells,
        current_phase=current.name if current else "（この年度の段階なし）",
        status=st,
        status_icon=PROJECT_STATUS_ICONS.get(st.status, "－") if st else "－",
        status_css=PROJECT_STATUS_CLASSES.get(st.status, "na") if st else "na",
        opinions=[o for o in plan.opinions if o.subject == "project" and o.subject_id == p.id],
        parts=_part_views(plan, p, [fy]),
        part_history=_part_views(plan, p, sorted({r.fy for r in p.part_reports})),
    )


def _part_views(plan: Plan, p: Project, years: list[int]) -> list[PartView]:
    out = []
    for y in years:
        for r in p.parts_in(y):
            dept = plan.department(r.department)
            icon = PROJECT_STATUS_ICONS.get(r.status, "－") if r.status else ""
            out.append(PartView(y, dept.name if dept else r.department, r.status or "", icon, r.comment))
    return out


def _policy_view(plan: Plan, p: Policy, res: PolicyResult | None, views: list[IndicatorView]) -> PolicyView:
    from envplan.workbook.policy_form import CIRCLED

    dept = plan.department(p.department)
    refs = []
    by_id = {v.ind.id: v for v in views}
    for k, ind_id in enumerate(p.reference_indicators):
        ind = plan.indicator(ind_id)
        rows = []
        if ind:
            for fy in sorted(ind.values):
                val = ind.values[fy]
                rows.append((fy, num(val.plan), num(val.actual) + ("（速報）" if val.provisional else "")))
        v = by_id.get(ind_id)
        refs.append(RefIndicatorView(CIRCLED[k] if k < len(CIRCLED) else str(k + 1), ind, ind_id, rows, v.status if v else None, v.slug if v else ""))
    years = sorted({b.fy for b in p.budget})
    kinds: dict[int, list[str]] = {}
    amounts: dict[tuple[int, str], str] = {}
    for b in p.budget:
        kinds.setdefault(b.fy, [])
        if b.kind not in kinds[b.fy]:
            kinds[b.fy].append(b.kind)
        amounts[(b.fy, b.kind)] = num(b.amount)
    period = ""
    if p.period_start_fy or p.period_end_fy:
        period = range_label(p.period_start_fy, p.period_end_fy)
    check = None
    if res is not None:
        check = next((h for h in res.history if h.fy == p.evaluation_fy), None) or next((h for h in res.history if h.fy == res.fy), None)
    return PolicyView(
        policy=p,
        res=res,
        check=check,
        slug=slug(p.code, "policy"),
        department_name=dept.name if dept else p.department,
        period=period,
        ratings=[(r.fy, r.rating, r.reason) for r in sorted(p.ratings, key=lambda r: r.fy)],
        legend=RATING_LEGEND,
        references=refs,
        reference_years=sorted({r[0] for ref in refs for r in ref.rows}),
        budget=BudgetView(years, kinds, amounts),
        opinions=[o for o in plan.opinions if o.subject == "policy" and o.subject_id == p.code],
    )


def _related(plan: Plan, fy: int) -> tuple[list[PeriodRow], Chart, Chart]:
    rows = [PeriodRow(f"{plan.name}（本計画）", plan.start_fy, plan.end_fy, "this")]
    for r in plan.related_plans:
        rows.append(PeriodRow(r.name, r.start_fy, r.end_fy, "milestone" if r.kind == "milestone" else "related", r.note))
    described = []
    for row in rows:
        if row.kind == "milestone":
            described.append(f"{row.label}: {fy_label(row.start) if row.start else '年度不明'}")
        elif row.start is None and row.end is None:
            described.append(f"{row.label}: 期間の記載なし")
        elif row.end is None:
            described.append(f"{row.label}: {fy_label(row.start)}から（終期の定めなし）")  # type: ignore[arg-type]
        else:
            described.append(f"{row.label}: {range_label(row.start, row.end)}")
    summary = "本計画と関連計画の計画期間を年度の横棒で示す図。" + "。".join(described) + "。"
    chart = period_chart("chart-related", "関連計画の計画期間", rows, fy, summary, font=15, cell_px=32)  # shown about 1:1 at the site's width
    printed = period_chart("pchart-related", "関連計画の計画期間", rows, fy, summary, font=17, cell_px=24, min_width=900)
    return rows, chart, printed


def opinion_heading(source: str) -> str:
    """「区民意見」「事業者意見」 stay as they are; a body's name gets 「の意見」 (推進会議 → 推進会議の意見)."""
    return source if source.endswith("意見") else f"{source}の意見"


# On a big plan the summary lists stay readable: the worst news first, then the rest counted.
CHANGES_SHOWN = 20
NEW_FIGURES_SHOWN = 30


def _status_before(v: IndicatorView, fy: int, levels: Levels | None = None) -> str:
    """The indicator's status (or level of the chosen scheme) as published the year before, by the rule
    the compute uses for a past year (rules.compute.status_in / level_in): judged on the figure of
    fy − 1 − lag, 「評価不能」 when that figure is missing (not the status of an older one), and a
    figure that arrived only this year does not count as known last year."""
    lag = v.res.data_lag or 0
    if levels is None or levels.default:
        return status_in(v.res, fy - 1, lag)
    return level_in(v.res, fy - 1, lag) or levels.keys[-1]


def _changes(plan: Plan, views: list[IndicatorView], previous: PlanResult | None, fy: int, levels: Levels | None = None) -> list[Change]:
    out: list[Change] = []
    if previous is None:
        return out
    status_changes: list[Change] = []
    for v in views:
        prev = previous.indicator(v.ind.id)
        if prev is None:
            continue
        href = f"indicators/{v.slug}.html"
        before = _status_before(v, fy, levels)
        now = v.res.status if levels is None or levels.default else f"{v.res.level_symbol} {v.res.level_label}".strip()
        if before != now:
            rank: dict[str, Any] = STATUS_RANK if levels is None or levels.default else levels.scores
            a, b = rank.get(before), rank.get(now)
            kind = "info" if a is None or b is None or a == b else ("better" if b > a else "worse")
            status_changes.append(Change(f"{v.ind.name}: {before} → {now}", href, kind))
        # New this year: the figure of the year that arrives in this fiscal year (fy − lag), or any newer one.
        arrived = fy - (v.res.data_lag or 0)
        row = next((y for y in v.res.years if y.fy == arrived and y.actual is not None), None)
        if row is not None or (v.res.latest_fy is not None and v.res.latest_fy != prev.latest_fy):
            year = row.fy if row is not None else v.res.latest_fy
            value = next((r.actual for r in v.rows if r.fy == year), v.latest_actual)
            out.append(Change(f"{v.ind.name}（{fy_label(year)}: {value}）", href, "new"))  # type: ignore[arg-type]
    order = {"worse": 0, "better": 1, "info": 2}
    out += sorted(status_changes, key=lambda c: order.get(c.kind, 3))
    for p in plan.projects:
        status_now, before_p = p.status_in(fy), p.status_in(fy - 1)
        if status_now and (before_p is None or before_p.status != status_now.status):
            was = f"{before_p.status} → " if before_p else ""
            out.append(Change(f"重点プロジェクト{p.number}{p.name}: {was}{status_now.status}", "roadmap.html", "info"))
    for o in plan.opinions:
        if o.fy == fy:
            out.append(Change(f"{opinion_heading(local_words(plan.municipality).opinion_source(o.source))}が寄せられました（{o.text[:40]}{'…' if len(o.text) > 40 else ''}）", "", "info"))
    return out


BUILTIN_TERMS: tuple[tuple[str, str], ...] = (
    ("達成率", "実績値が目標値（または年度別の計画値）に対してどこまで届いたかの割合。大きいほどよい指標は 実績値÷目標値、小さいほどよい指標は 目標値÷実績値。100%以上で目標に届いています。"),
    ("進捗率", "基準年度から目標に向けて、必要な変化のうちどれだけ進んだかの割合。（実績値−基準値）÷（目標値−基準値）。"),
    ("目標への道筋", "基準年度の基準値と目標年度の目標値を直線で結んだ線。各年度の「見込み値」はこの線上の値で、実績値と比べて順調か遅れかを判定します。"),
    ("基準年度・基準値", "目標や進み具合を測る出発点となる年度とその年度の値。"),
    ("データの遅れ", "統計の確定に時間がかかるため、ある年度の時点で入手できる最新の値が数年前のものになること（例: CO2排出量は2年遅れ）。評価はその年度に入手できる最新の値で行います。"),
    ("Open SDG の進捗評価", "国連の持続可能な開発目標（SDGs）の国内外のデータ公開基盤で使われる評価方法。年平均成長率（CAGR）の実績と、目標達成に必要な成長率の比で評価します。"),
    ("例示値", "デモのために生成した値で、実際の数値ではありません。例示値を含む指標には、その旨を表示しています。"),
)


def _glossary(plan: Plan) -> list[GlossaryItem]:
    items = [GlossaryItem(g.term, g.description, "計画") for g in plan.glossary]
    for p in plan.policies:
        items += [GlossaryItem(g.term, g.description, f"施策「{p.title}」") for g in p.glossary]
    items += [GlossaryItem(t, d, "この報告書の用語") for t, d in BUILTIN_TERMS]
    return items


def _settings_rows(plan: Plan) -> list[tuple[str, str]]:
    s = plan.settings
    return [
        ("「順調」とする進み具合", f"{rate(s.on_track_ratio)}以上"),
        ("「やや遅れ」とする進み具合", f"{rate(s.slightly_behind_ratio)}以上（未満は「遅れ」）"),
        ("Open SDG: 目標達成に向け順調", f"比率 {num(s.opensdg_high)} 以上"),
        ("Open SDG: 一定の進捗", f"比率 {num(s.opensdg_med)} 以上"),
        ("Open SDG: 限定的な進捗", f"比率 {num(s.opensdg_low)} 以上（未満は悪化）"),
    ]
