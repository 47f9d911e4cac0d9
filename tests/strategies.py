"""Hypothesis strategies that build whole plans, for round-trip tests."""

from __future__ import annotations

from hypothesis import strategies as st

from envplan.plan.model import (
    BUDGET_KINDS,
    OPINION_SOURCES,
    PROJECT_STATUSES,
    RATINGS,
    BudgetLine,
    Category,
    Department,
    GlossaryEntry,
    Indicator,
    Opinion,
    Phase,
    Plan,
    Policy,
    Project,
    ProjectPartReport,
    ProjectStatus,
    Rating,
    RelatedPlan,
    Settings,
    SubProject,
    TargetRevision,
    YearValue,
)
from envplan.plan.targets import (
    AnnualMinimumTarget,
    ChangeTarget,
    ContinueTarget,
    ImproveTarget,
    IncreaseTarget,
    LevelTarget,
    PeriodTotalTarget,
    PlanValuesTarget,
    StateTarget,
    YearOverYearTarget,
)

# What people type: kana, kanji, Latin, digits, punctuation, and text that
# a spreadsheet would take for a formula if written carelessly.
ALPHABET = "あいうえおアイウ環境計画指標目標値ABCabcxyz0123456789 ()（）・、。%％=+-@<>&\"'\n"
text = st.text(alphabet=ALPHABET, max_size=40).map(str.strip)
required_text = text.filter(bool)
codes = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=6)
years = st.integers(min_value=1995, max_value=2060)
# Excel keeps 15 significant digits of what is typed; those are the numbers a
# workbook can hold, and they must come back exactly.
numbers = st.one_of(
    st.integers(min_value=-10**9, max_value=10**9).map(float),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False).map(lambda x: float(f"{x:.15g}")),
)
amounts = numbers.map(abs)
ratios = st.floats(0.1, 1.5).map(lambda x: float(f"{x:.15g}"))
optional_numbers = st.one_of(st.none(), numbers)

targets = st.one_of(
    st.builds(LevelTarget, year=years, value=numbers),
    st.builds(ChangeTarget, year=years, percent=numbers),
    st.builds(AnnualMinimumTarget, value=numbers),
    st.just(YearOverYearTarget()),
    st.builds(IncreaseTarget, year=st.one_of(st.none(), years)),
    st.builds(StateTarget, year=st.one_of(st.none(), years), threshold=numbers, scope=text),
    st.just(ContinueTarget()),
    st.builds(ImproveTarget, year=st.one_of(st.none(), years), subject=text),
    st.just(PlanValuesTarget()),
    st.tuples(years, years, numbers).map(lambda t: PeriodTotalTarget(start_fy=min(t[0], t[1]), year=max(t[0], t[1]), value=t[2])),
)


def _marked(v: YearValue) -> st.SearchStrategy[YearValue]:
    """A year's value with a 速報・確定 mark on its actual sometimes (a mark needs an actual)."""
    if v.actual is None:
        return st.just(v)
    return st.sampled_from([None, "速報", "確定"]).map(lambda m: v.model_copy(update={"mark": m}))


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    cats = draw(st.lists(st.builds(Category, code=codes, name=required_text), min_size=1, max_size=3, unique_by=lambda c: c.code))
    depts = draw(
        st.lists(
            st.builds(Department, code=codes, name=required_text, contact=text, phone=text, email=text),
            min_size=1,
            max_size=3,
            unique_by=lambda d: d.code,
        )
    )
    cat_codes = st.sampled_from([c.code for c in cats])
    dept_codes = st.sampled_from([d.code for d in depts])
    ind_ids = draw(st.lists(codes, min_size=0, max_size=4, unique=True))
    indicators = []
    for ind_id in ind_ids:
        values = draw(st.dictionaries(years, st.builds(YearValue, plan=optional_numbers, actual=optional_numbers, note=text).flatmap(_marked), max_size=4))
        revisions = draw(
            st.lists(
                st.builds(
                    TargetRevision,
                    revised_fy=years,
                    old_wording=required_text,
                    old_target=targets,
                    valid_from_fy=st.one_of(st.none(), years),
                    valid_to_fy=st.one_of(st.none(), years),
                    reason=text,
                ),
                max_size=2,
            )
        )
        indicators.append(
            Indicator(
                id=ind_id,
                name=draw(required_text),
                category=draw(cat_codes),
                unit=draw(text.filter(lambda t: "\n" not in t)),
                direction=draw(st.sampled_from(["higher", "lower"])),
                baseline_fy=draw(st.one_of(st.none(), years)),
                baseline_value=draw(optional_numbers),
                target_wording=draw(required_text),
                target=draw(targets),
                department=draw(dept_codes),
                data_lag=draw(st.integers(0, 10)),
                lower_bound=draw(optional_numbers),
                upper_bound=draw(optional_numbers),
                policy=draw(st.one_of(st.just(""), codes)),
                description=draw(text),
                notes=draw(text),
                illustrative=draw(st.booleans()),
                values=values,
                revisions=revisions,
            )
        )
    projects = []
    for pid in draw(st.lists(codes, max_size=3, unique=True)):
        phases, fy = [], draw(years)
        names = draw(st.lists(required_text.filter(lambda t: "\n" not in t), max_size=3, unique=True))
        for name in names:
            length = draw(st.integers(0, 3))
            phases.append(Phase(name=name, start_fy=fy, end_fy=fy + length))
            fy += length + 1 + draw(st.integers(0, 2))
        statuses = [
            ProjectStatus(fy=y, status=draw(st.sampled_from(PROJECT_STATUSES)), comment=draw(text))
            for y in sorted(draw(st.sets(years, max_size=3)))
        ]
        proj_depts = draw(st.lists(dept_codes, max_size=3, unique=True))
        # Co-departments' reports (関係課の取組): the status word is optional.
        parts = [
            ProjectPartReport(fy=y, department=d, status=draw(st.one_of(st.none(), st.sampled_from(PROJECT_STATUSES))), comment=draw(text))
            for d in proj_depts[1:]
            for y in sorted(draw(st.sets(years, max_size=2)))
        ]
        projects.append(
            Project(
                id=pid,
                number=draw(text.filter(lambda t: "\n" not in t)),
                name=draw(required_text),
                category=draw(cat_codes),
                departments=proj_depts,
                description=draw(text),
                phases=phases,
                statuses=statuses,
                part_reports=parts,
            )
        )
    related = []
    for rid in draw(st.lists(codes, max_size=3, unique=True)):
        start = draw(st.one_of(st.none(), years))
        end = draw(st.one_of(st.none(), st.integers(start or 1995, 2080)))
        related.append(RelatedPlan(id=rid, name=draw(required_text), kind=draw(st.sampled_from(["related", "milestone"])), start_fy=start, end_fy=end, note=draw(text)))
    policies = []
    for code in draw(st.lists(codes, max_size=2, unique=True)):
        policies.append(
            Policy(
                code=code,
                sheet_no=draw(st.integers(1, 99)),
                title=draw(required_text),
                evaluation_fy=draw(years),
                department=draw(dept_codes),
                basic_policy=draw(text),
                policy_direction=draw(text),
                basic_measure=draw(text),
                related_departments=draw(text),
                priority=draw(text),
                period_name=draw(text.filter(lambda t: "\n" not in t)),
                period_start_fy=draw(st.one_of(st.none(), years)),
                period_end_fy=draw(st.one_of(st.none(), years)),
                issues=draw(text),
                overview=draw(text),
                goals=draw(text),
                results=draw(text),
                remaining_issues=draw(text),
                ratings=[Rating(fy=y, rating=draw(st.sampled_from(RATINGS)), reason=draw(text)) for y in sorted(draw(st.sets(years, max_size=3)))],
                direction_from_fy=draw(st.one_of(st.none(), years)),
                future_direction=draw(text),
                reference_indicators=draw(st.lists(st.sampled_from(ind_ids), max_size=3, unique=True)) if ind_ids else [],
                budget_label=draw(required_text.filter(lambda t: "\n" not in t)),
                budget_unit=draw(required_text.filter(lambda t: "\n" not in t)),
                budget=draw(st.lists(st.builds(BudgetLine, fy=years, kind=st.sampled_from(BUDGET_KINDS), amount=amounts), max_size=4)),
                subprojects=draw(st.lists(st.builds(SubProject, name=required_text, status=text), max_size=3)),
                glossary=draw(st.lists(st.builds(GlossaryEntry, term=required_text, description=required_text), max_size=3)),
            )
        )
    opinions = draw(
        st.lists(
            st.builds(
                Opinion,
                id=codes,
                fy=years,
                source=st.sampled_from(OPINION_SOURCES),
                subject=st.sampled_from(["plan", "indicator", "project", "policy"]),
                subject_id=st.one_of(st.just(""), codes),
                text=required_text,
                response=text,
            ),
            max_size=3,
            unique_by=lambda o: o.id,
        )
    )
    start = draw(years)
    end = start + draw(st.integers(0, 12))
    return Plan(
        name=draw(required_text),
        municipality=draw(text),
        start_fy=start,
        end_fy=end,
        current_fy=draw(st.integers(start, end)),
        frozen_through_fy=draw(st.one_of(st.none(), years)),
        data_note=draw(text),
        illustrative_note=draw(text),
        source_note=draw(text),
        settings=Settings(
            on_track_ratio=draw(ratios),
            slightly_behind_ratio=draw(ratios),
            jump_warning_factor=draw(ratios.map(lambda x: float("%.15g" % (x * 5)))),
            max_reference_indicators=draw(st.integers(1, 10)),
        ),
        categories=cats,
        departments=depts,
        indicators=indicators,
        projects=projects,
        related_plans=related,
        policies=policies,
        opinions=opinions,
        glossary=draw(st.lists(st.builds(GlossaryEntry, term=required_text, description=required_text), max_size=2)),
    )


@st.composite
def publishable_plans(draw: st.DrawFn) -> Plan:
    """Plans a city could really keep: every reference resolves and every year lies
    in the plan period, but otherwise anything goes — any period, data lags, missing
    years, policies with or without ratings and budgets, no projects, no policies."""
    start = draw(st.integers(2000, 2035))
    end = start + draw(st.integers(0, 11))
    period = st.integers(start, end)
    cats = draw(st.lists(st.builds(Category, code=codes, name=required_text), min_size=1, max_size=3, unique_by=lambda c: c.code))
    depts = draw(st.lists(st.builds(Department, code=codes, name=required_text), min_size=1, max_size=3, unique_by=lambda d: d.code))
    cat_codes = st.sampled_from([c.code for c in cats])
    dept_codes = st.sampled_from([d.code for d in depts])
    small = st.one_of(st.none(), st.integers(0, 1000).map(float), st.floats(0, 1000, allow_nan=False).map(lambda x: float(f"{x:.6g}")))
    policy_codes = draw(st.lists(codes, max_size=3, unique=True))
    ind_ids = draw(st.lists(codes, max_size=5, unique=True))
    indicators = []
    for ind_id in ind_ids:
        baseline_fy = draw(st.one_of(st.none(), period))
        target = draw(
            st.one_of(
                st.builds(LevelTarget, year=st.just(end), value=numbers.map(abs)),
                st.builds(ChangeTarget, year=st.just(end), percent=st.integers(-50, 50).map(float)) if baseline_fy is not None else st.nothing(),
                st.builds(AnnualMinimumTarget, value=amounts),
                st.just(YearOverYearTarget()),
                st.builds(IncreaseTarget, year=st.one_of(st.none(), st.just(end))),
                st.just(ContinueTarget()),
                st.just(PlanValuesTarget()),
            )
        )
        values = draw(st.dictionaries(period, st.builds(YearValue, plan=small, actual=small, note=text).flatmap(_marked), max_size=end - start + 1))
        indicators.append(
            Indicator(
                id=ind_id,
                name=draw(required_text),
                category=draw(cat_codes),
                unit=draw(text.filter(lambda t: "\n" not in t)),
                direction=draw(st.sampled_from(["higher", "lower"])),
                baseline_fy=baseline_fy,
                baseline_value=draw(small) if baseline_fy is not None else None,
                target_wording=draw(required_text),
                target=target,
                department=draw(dept_codes),
                data_lag=draw(st.integers(0, 3)),
                policy=draw(st.sampled_from(["", *policy_codes])),
                values=values,
            )
        )
    projects = []
    for pid in draw(st.lists(codes, max_size=2, unique=True)):
        first = draw(period)
        projects.append(
            Project(
                id=pid,
                name=draw(required_text),
                category=draw(cat_codes),
                departments=[draw(dept_codes)],
                phases=[Phase(name=draw(required_text.filter(lambda t: "\n" not in t)), start_fy=first, end_fy=draw(st.integers(first, end)))],
                statuses=[ProjectStatus(fy=y, status=draw(st.sampled_from(PROJECT_STATUSES)), comment=draw(text)) for y in sorted(draw(st.sets(period, max_size=2)))],
            )
        )
    policies = []
    for number, code in enumerate(policy_codes, 1):
        policies.append(
            Policy(
                code=code,
                sheet_no=number,
                title=draw(required_text),
                evaluation_fy=draw(period),
                department=draw(dept_codes),
                overview=draw(text),
                ratings=[Rating(fy=y, rating=draw(st.sampled_from(RATINGS)), reason=draw(text)) for y in sorted(draw(st.sets(period, max_size=2)))],
                reference_indicators=draw(st.lists(st.sampled_from(ind_ids), max_size=3, unique=True)) if ind_ids else [],
                budget=draw(st.lists(st.builds(BudgetLine, fy=period, kind=st.sampled_from(BUDGET_KINDS), amount=amounts), max_size=3, unique_by=lambda b: (b.fy, b.kind))),
            )
        )
    subjects = [("plan", "")] + [("indicator", i) for i in ind_ids] + [("project", p.id) for p in projects] + [("policy", c) for c in policy_codes]
    opinions = []
    for k, (subject, subject_id) in enumerate(draw(st.lists(st.sampled_from(subjects), max_size=2))):
        opinions.append(Opinion(id=f"O{k + 1}", fy=draw(period), source=draw(st.sampled_from(OPINION_SOURCES)), subject=subject, subject_id=subject_id, text=draw(required_text), response=draw(text)))
    return Plan(
        name=draw(required_text.filter(lambda t: "\n" not in t)),
        municipality=draw(st.sampled_from(["", "架空市", "山川町", "森野村", "海辺区"])),
        start_fy=start,
        end_fy=end,
        current_fy=draw(period),
        categories=cats,
        departments=depts,
        indicators=indicators,
        projects=projects,
        policies=policies,
        opinions=opinions,
    )
