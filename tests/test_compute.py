"""compute_plan on the samples (read back from real master workbooks) and on
small plans that exercise each target kind's rule, the data lag and the ratings."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import examples
from envplan.plan.model import Category, Department, Indicator, Plan, Policy, Rating, SubProject, TargetRevision, YearValue
from envplan.plan.targets import (
    AnnualMinimumTarget,
    ChangeTarget,
    ContinueTarget,
    ImproveTarget,
    IncreaseTarget,
    LevelTarget,
    PlanValuesTarget,
    StateTarget,
    YearOverYearTarget,
)
from envplan.rules.attainment import STATUS_ICONS, STATUSES
from envplan.rules.compute import PlanResult, compute_plan
from envplan.rules.opensdg import OPENSDG_STATUSES
from envplan.workbook.io import CalamineSource
from envplan.workbook.reader import read_master
from strategies import plans


def _from_workbook(path: Path, fy: int | None = None) -> PlanResult:
    reading = read_master(CalamineSource(path))
    assert reading.plan is not None and not reading.diagnostics.errors
    return compute_plan(reading.plan, fy)


def _rates(result: PlanResult, ind_id: str) -> list[float | None]:
    ind = result.indicator(ind_id)
    assert ind is not None
    return [None if y.achievement_rate is None else round(y.achievement_rate * 100, 1) for y in ind.years if 2011 <= y.fy <= 2013]


def test_kawasaki_achievement_rates(sample_masters) -> None:
    result = _from_workbook(sample_masters["kawasaki"])
    assert result.fy == 2013
    assert _rates(result, "K41303000-1") == [109.2, 71.3, 91.4]  # 視察受入
    assert _rates(result, "K41303000-2") == [115.0, 106.7, 123.8]  # 研修講義
    assert _rates(result, "K41303000-3") == [100.0, 97.4, 90.0]  # かわさきコンパクト
    ind = result.indicator("K41303000-1")
    assert ind is not None
    y2012 = next(y for y in ind.years if y.fy == 2012)
    assert (y2012.plan, y2012.actual, y2012.status) == (600, 428, "遅れ")
    assert "428人 ÷ 計画値 600人 = 71.3%" in y2012.explanation


def test_kawasaki_ratings_history_and_suggestion(sample_masters) -> None:
    result = _from_workbook(sample_masters["kawasaki"])
    (pol,) = result.policies
    assert (pol.code, pol.self_rating, pol.suggested_rating, pol.disagrees) == ("41303000", "AⅡ", "AⅡ", False)
    assert pol.ratings_history == {2011: "AⅡ", 2012: "AⅡ", 2013: "AⅡ"}
    history = {h.fy: (h.self_rating, h.suggested_rating, h.disagrees) for h in pol.history}
    # 2012: 71.3% (遅れ), 106.7% (達成), 97.4% (やや遅れ) → mean 0.5 → B, unlike the department's AⅡ
    assert history == {2011: ("AⅡ", "AⅡ", False), 2012: ("AⅡ", "B", True), 2013: ("AⅡ", "AⅡ", False)}
    assert "平均 0.67" in pol.reason and "AⅡ" in pol.reason
    assert pol.indicator_statuses == {"K41303000-1": "やや遅れ", "K41303000-2": "達成", "K41303000-3": "やや遅れ"}


def test_shinagawa_every_indicator_has_a_status_and_an_explanation(sample_masters) -> None:
    result = _from_workbook(sample_masters["shinagawa"])
    assert len(result.indicators) == 17
    kinds = {i.target_kind for i in result.indicators}
    assert {"annual_minimum", "year_over_year", "state", "continue", "level", "change", "increase", "improve"} <= kinds
    for ind in result.indicators:
        assert ind.status in STATUSES and ind.status != "評価不能", (ind.id, ind.explanation)
        assert ind.status_icon == STATUS_ICONS[ind.status]
        assert ind.opensdg_status in OPENSDG_STATUSES
        assert ind.explanation and ind.opensdg_explanation
        assert ind.illustrative
        for y in ind.years:
            assert y.explanation, (ind.id, y.fy)
    assert "例示値" in result.illustrative_note
    # the CO2 figure is two years behind: FY2020 is the newest in FY2022, and the output says so
    co2 = result.indicator("S01")
    assert co2 is not None and (co2.evaluated_fy, co2.latest_fy) == (2020, 2020)
    assert "2022年度時点で入手できる最新の値は2020年度" in co2.lag_note
    late = next(y for y in co2.years if y.fy == 2022)
    assert late.status == "評価不能" and "データの遅れ" in late.explanation
    total = result.summary[-1]
    assert total.category_name == "全体" and total.total == 17 and sum(total.counts.values()) == 17
    assert sum(r.total for r in result.summary[:-1]) == 17


# ---- small plans, one rule at a time ---------------------------------------------------


def _plan(*indicators: Indicator, policies: tuple[Policy, ...] = (), fy: int = 2016) -> Plan:
    return Plan(
        name="テスト計画", start_fy=2013, end_fy=2022, current_fy=fy,
        categories=[Category(code="C", name="分野C"), Category(code="D", name="分野D")],
        departments=[Department(code="X", name="課X")],
        indicators=list(indicators), policies=list(policies),
    )


def _ind(id: str, target, values: dict[int, float], **kw) -> Indicator:
    return Indicator(
        id=id, name=f"指標{id}", category=kw.pop("category", "C"), target_wording="（テスト）", target=target, department="X",
        values={fy: YearValue(actual=v) for fy, v in values.items()}, **kw,
    )


def _status(plan: Plan, id: str, fy: int | None = None) -> str:
    r = compute_plan(plan, fy).indicator(id)
    assert r is not None
    return r.status


def test_level_target_lower_is_better_on_the_path() -> None:
    ind = _ind("L", LevelTarget(year=2020, value=1324), {2016: 1422}, direction="lower", baseline_fy=2012, baseline_value=1520)
    r = compute_plan(_plan(ind)).indicator("L")
    assert r is not None
    y = next(y for y in r.years if y.fy == 2016)
    assert y.expected == pytest.approx(1422) and y.status == "順調"
    assert y.progress_rate == pytest.approx(0.5)
    assert y.achievement_rate == pytest.approx(1324 / 1422)  # lower: target ÷ actual
    assert "小さいほどよい" in y.explanation


def test_change_target_needs_a_baseline() -> None:
    with_base = _ind("C1", ChangeTarget(year=2017, percent=-5), {2016: 95.5}, direction="lower", baseline_fy=2012, baseline_value=100)
    r = compute_plan(_plan(with_base)).indicator("C1")
    assert r is not None and r.target_value == pytest.approx(95) and r.status == "順調"  # expected 96 in 2016
    no_base = _ind("C2", ChangeTarget(year=2017, percent=-5), {2016: 95.5}, direction="lower")
    r = compute_plan(_plan(no_base)).indicator("C2")
    assert r is not None and r.status == "評価不能" and "基準年度" in r.explanation


def test_annual_minimum_counts_years_met() -> None:
    ind = _ind("A", AnnualMinimumTarget(value=2), {2013: 2, 2014: 3, 2015: 1, 2016: 2})
    r = compute_plan(_plan(ind)).indicator("A")
    assert r is not None
    assert [y.status for y in r.years] == ["達成", "達成", "悪化", "達成"]  # 2015: 50% and down on 2014
    assert "4年度のうち3年度で達成" in r.explanation


def test_year_over_year_streak() -> None:
    down = _ind("Y", YearOverYearTarget(), {2012: 100, 2013: 95, 2014: 90, 2015: 88, 2016: 80}, direction="lower", baseline_fy=2012)
    r = compute_plan(_plan(down)).indicator("Y")
    assert r is not None and r.status == "達成" and "2013年度から毎年減少" in r.explanation
    broken = _ind("Y", YearOverYearTarget(), {2012: 100, 2013: 95, 2014: 97, 2015: 90, 2016: 80}, direction="lower", baseline_fy=2012)
    assert _status(_plan(broken), "Y") == "順調"  # decreasing again since 2015, but 2014 went up
    assert _status(_plan(broken), "Y", 2014) == "悪化"
    flat = _ind("Y", YearOverYearTarget(), {2015: 90, 2016: 90}, direction="lower")
    assert _status(_plan(flat), "Y") == "遅れ"
    gap = _ind("Y", YearOverYearTarget(), {2016: 90}, direction="lower")
    r = compute_plan(_plan(gap)).indicator("Y")
    assert r is not None and r.status == "評価不能" and "前年度" in r.explanation


def test_state_maintain_and_reach_by_year() -> None:
    keep = _ind("S", StateTarget(threshold=100), {2013: 100, 2014: 80, 2015: 80, 2016: 100})
    r = compute_plan(_plan(keep)).indicator("S")
    assert r is not None and [y.status for y in r.years] == ["達成", "悪化", "遅れ", "達成"]
    reach = _ind("R", StateTarget(year=2022, threshold=100), {2013: 60, 2016: 75})  # path 60 → 100: 73.3 in 2016
    assert _status(_plan(reach), "R") == "順調"


def test_continue_increase_improve() -> None:
    cont = _ind("K", ContinueTarget(), {2014: 5, 2015: 0, 2016: 0})
    r = compute_plan(_plan(cont)).indicator("K")
    assert r is not None and [y.status for y in r.years[1:]] == ["達成", "悪化", "遅れ"]
    inc = _ind("I", IncreaseTarget(year=2022), {2012: 10, 2016: 10}, baseline_fy=2012)
    assert _status(_plan(inc), "I") == "やや遅れ"
    assert _status(_plan(_ind("I", IncreaseTarget(year=2016), {2012: 10, 2016: 10}, baseline_fy=2012)), "I") == "遅れ"
    assert _status(_plan(_ind("I", IncreaseTarget(), {2012: 10, 2016: 12}, baseline_fy=2012)), "I") == "達成"
    better = _ind("M", ImproveTarget(subject="満足度"), {2013: 40, 2016: 45})  # no baseline: the first actual is the start
    r = compute_plan(_plan(better)).indicator("M")
    assert r is not None and r.status == "達成" and "最初の実績" in r.explanation
    worse = _ind("M", ImproveTarget(), {2013: 40, 2016: 35})
    assert _status(_plan(worse), "M") == "悪化"


def test_data_lag_without_the_figure_says_so() -> None:
    ind = _ind("G", LevelTarget(year=2020, value=50), {2013: 90, 2014: 85}, direction="lower", baseline_fy=2012, baseline_value=100, data_lag=2)
    r = compute_plan(_plan(ind)).indicator("G")
    assert r is not None
    assert r.evaluated_fy == 2014 and r.latest_fy == 2014 and r.status != "評価不能"
    r = compute_plan(_plan(ind, fy=2017)).indicator("G")
    assert r is not None and r.evaluated_fy == 2015 and r.status == "評価不能"
    assert "2015年度の実績は未入力" in r.lag_note and "最新の実績は2014年度" in r.explanation


def test_revised_target_applies_to_its_own_years() -> None:
    ind = _ind(
        "V", LevelTarget(year=2022, value=40), {2014: 80, 2016: 60}, direction="lower", baseline_fy=2012, baseline_value=100,
        revisions=[TargetRevision(revised_fy=2015, old_wording="2020年度までに70", old_target=LevelTarget(year=2020, value=70))],
    )
    r = compute_plan(_plan(ind)).indicator("V")
    assert r is not None
    y2014 = next(y for y in r.years if y.fy == 2014)
    assert "見直し前の目標" in y2014.explanation and y2014.achievement_rate == pytest.approx(70 / 80)
    y2016 = next(y for y in r.years if y.fy == 2016)
    assert "見直し前" not in y2016.explanation and y2016.achievement_rate == pytest.approx(40 / 60)


def test_plan_values_without_plan_is_not_evaluable() -> None:
    ind = _ind("P", PlanValuesTarget(), {2016: 5})
    r = compute_plan(_plan(ind)).indicator("P")
    assert r is not None and r.status == "評価不能"


def _policy(refs: list[str], *, rating: str | None = None, issues: str = "", subprojects=()) -> Policy:
    return Policy(
        code="P1", title="施策1", evaluation_fy=2016, department="X", reference_indicators=refs,
        ratings=[Rating(fy=2016, rating=rating)] if rating else [], remaining_issues=issues, subprojects=list(subprojects),
    )


def test_suggested_rating_rule() -> None:
    good = _ind("G", AnnualMinimumTarget(value=1), {2016: 3})
    bad = _ind("B", AnnualMinimumTarget(value=10), {2015: 9, 2016: 1})
    both = compute_plan(_plan(good, bad, policies=(_policy(["G", "B"], rating="AⅠ"),))).policies[0]
    assert (both.suggested_rating, both.disagrees) == ("B", True)  # mean 0.5
    only_good = compute_plan(_plan(good, policies=(_policy(["G"], rating="AⅠ"),))).policies[0]
    assert (only_good.suggested_rating, only_good.disagrees) == ("AⅠ", False)
    with_issues = compute_plan(_plan(good, policies=(_policy(["G"], issues="●課題あり"),))).policies[0]
    assert with_issues.suggested_rating == "AⅡ" and with_issues.self_rating is None and not with_issues.disagrees
    only_bad = compute_plan(_plan(bad, policies=(_policy(["B"]),))).policies[0]
    assert only_bad.suggested_rating == "C"
    projects = [SubProject(name="事業1", status="完了"), SubProject(name="事業2", status="未着手"), SubProject(name="事業3", status="（記入なし）")]
    mixed = compute_plan(_plan(bad, policies=(_policy(["B"], subprojects=projects),))).policies[0]
    assert mixed.suggested_rating == "B" and "平均 0.33" in mixed.reason  # (0 + 1 + 0) / 3 ≥ 0.3
    assert "事務事業「事業1」 完了（1）" in mixed.reason and "除外" in mixed.reason
    nothing = compute_plan(_plan(policies=(_policy([]),))).policies[0]
    assert nothing.suggested_rating is None and "評価案を出せません" in nothing.reason


def test_rating_thresholds_come_from_settings() -> None:
    good = _ind("G", AnnualMinimumTarget(value=1), {2016: 3})
    bad = _ind("B", AnnualMinimumTarget(value=10), {2015: 9, 2016: 1})
    plan = _plan(good, bad, policies=(_policy(["G", "B"]),))
    plan.settings.rating_a_score = 0.5
    assert compute_plan(plan).policies[0].suggested_rating == "AⅠ"


def test_summary_counts_by_category() -> None:
    a = _ind("A", AnnualMinimumTarget(value=1), {2016: 3})
    b = _ind("B", AnnualMinimumTarget(value=1), {2016: 0}, category="D")
    c = _ind("C", AnnualMinimumTarget(value=1), {})
    result = compute_plan(_plan(a, b, c))
    rows = {r.category: (r.counts, r.total) for r in result.summary}
    assert rows["C"][1] == 2 and rows["C"][0]["達成"] == 1 and rows["C"][0]["評価不能"] == 1
    assert rows["D"][0]["遅れ"] == 1
    assert rows[""][1] == 3
    data = result.to_json()
    assert data["summary"][-1]["counts"]["達成"] == 1


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=plans())
def test_any_plan_computes_with_explanations(plan: Plan) -> None:
    result = compute_plan(plan)
    for ind in result.indicators:
        assert ind.status in STATUSES and ind.opensdg_status in OPENSDG_STATUSES and ind.explanation
        assert all(y.status in STATUSES and y.explanation for y in ind.years)
    for pol in result.policies:
        assert pol.disagrees == (pol.self_rating is not None and pol.suggested_rating is not None and pol.self_rating != pol.suggested_rating)


@pytest.mark.parametrize(
    ("wording", "unit", "direction", "target", "actual", "tolerance", "met"),
    [
        ("2020年度までに31%程度", "%", "higher", 31, 30, 0.05, True),  # 3.2% short, within 5%
        ("2020年度までに31%程度", "%", "higher", 31, 29, 0.05, False),  # 6.5% short
        ("2020年度までに31%程度", "%", "higher", 31, 30, 0.0, False),  # no tolerance set: the value itself
        ("2020年度までに31%", "%", "higher", 31, 30, 0.05, False),  # an exact target
        ("2020年度までに約440g/人・日", "g/人・日", "lower", 440, 455, 0.05, True),  # 3.4% over, lower is better
        ("2020年度までに概ね440g/人・日", "g/人・日", "lower", 440, 470, 0.05, False),
    ],
)
def test_an_approximate_target_is_met_within_the_settings_tolerance(wording, unit, direction, target, actual, tolerance, met) -> None:
    ind = _ind("A", LevelTarget(year=2020, value=target), {2020: actual}, direction=direction, unit=unit, baseline_fy=2012, baseline_value=target * (0.5 if direction == "higher" else 1.5))
    ind = ind.model_copy(update={"target_wording": wording})
    plan = _plan(ind, fy=2020)
    plan.settings.approximate_tolerance = tolerance
    y = next(y for y in compute_plan(plan).indicator("A").years if y.fy == 2020)
    assert (y.status == "達成") is met, y.explanation
    if met:
        word = next(w for w in ("程度", "概ね", "約") if w in wording)
        assert f"目標は「{word}」の目安のため" in y.explanation and "許容幅 5.0% 以内" in y.explanation


def test_an_interim_target_is_judged_beside_the_final_one() -> None:
    """「300台以上（中間目標：2018年200台）」: two live targets; the interim one judged on its own year's actual."""
    wording = "2022年度までに300台以上（中間目標：2018年200台）"
    met = _ind("M", LevelTarget(year=2022, value=300), {2018: 210, 2020: 240}, unit="台", baseline_fy=2012, baseline_value=100).model_copy(update={"target_wording": wording})
    missed = met.model_copy(update={"id": "N", "values": {2018: YearValue(actual=190), 2020: YearValue(actual=240)}})
    result = compute_plan(_plan(met, missed, fy=2020))
    m, n = result.indicator("M"), result.indicator("N")
    assert [(t.fy, t.value, t.actual, t.status) for t in m.other_targets] == [(2018, 200, 210, "達成")]
    assert [(t.fy, t.status) for t in n.other_targets] == [(2018, "未達成")]
    assert m.target_value == 300 and m.status != "評価不能"  # the final target is judged as before
    assert "中間目標（2018年度 200台）: 2018年度の実績 210台 が届いているため「達成」" in m.explanation
    early = compute_plan(_plan(met.model_copy(update={"values": {2016: YearValue(actual=150)}}), fy=2016)).indicator("M")
    assert [(t.status, t.actual) for t in early.other_targets] == [("まだ先", None)]
    plain_target = compute_plan(_plan(_ind("P", LevelTarget(year=2022, value=300), {2018: 210}, unit="台"), fy=2020)).indicator("P")
    assert plain_target.other_targets == []  # （テスト）: no wording to read, no second target invented


def test_the_report_shows_the_interim_target_beside_the_final_one() -> None:
    from envplan.plan.illustrative import add_illustrative_actuals
    from envplan.plan.samples import load_sample
    from envplan.report.context import build_report
    from envplan.report.pdf import report_html
    from envplan.report.typeset import plain

    plan = add_illustrative_actuals(load_sample("shinagawa"))
    s06 = plan.indicator("S06")
    s06.target_wording = "平成34年度までに31%（中間目標：2017年度25%）"
    result = compute_plan(plan)
    [t] = result.indicator("S06").other_targets
    r = build_report(plan, result)
    r.files = {"csv": "c", "json": "j"}
    assert f"もう1つの目標 — {t.explanation}" in plain(report_html(r))


def test_a_period_total_sums_the_years_of_its_period() -> None:
    """「3年間（H28~H30）で300kW導入」: the period's actuals summed against the total; on the way, against
    the total spread evenly over the period."""
    from envplan.plan.targets import PeriodTotalTarget

    target = PeriodTotalTarget(start_fy=2016, year=2018, value=300)
    ind = _ind("T", target, {2015: 500, 2016: 90, 2017: 110, 2018: 120}, unit="kW")
    years = {y.fy: y for y in compute_plan(_plan(ind, fy=2019)).indicator("T").years}
    assert years[2015].status == "評価不能" and "期間の前" in years[2015].explanation  # 500 before the period does not count
    assert years[2016].status == "やや遅れ" and years[2016].expected == pytest.approx(100)  # 90 of 100
    assert years[2017].status == "順調" and "90kW ＋ 110kW = 200kW" in years[2017].explanation
    assert years[2018].status == "達成" and years[2018].achievement_rate == pytest.approx(320 / 300)
    assert years[2019].status == "達成"  # after the period the total stays as it ended
    short = _ind("U", target, {2016: 90, 2017: 100, 2018: 100}, unit="kW")
    assert _status(_plan(short, fy=2018), "U") == "遅れ"  # 290 when the period ended
    gap = _ind("V", target, {2016: 90, 2018: 100}, unit="kW")
    y = next(y for y in compute_plan(_plan(gap, fy=2018)).indicator("V").years if y.fy == 2018)
    assert y.status == "評価不能" and "2017年度の実績がない" in y.explanation


def test_a_period_total_is_stored_in_the_workbook_and_checked_against_its_wording(tmp_path: Path) -> None:
    from envplan.plan.targets import PeriodTotalTarget, build_target, target_note
    from envplan.workbook.validation import validate_source
    from envplan.workbook.writer import save_master

    target = PeriodTotalTarget(start_fy=2016, year=2018, value=300)
    assert build_target("period_total", year=2018, value=300, note=target_note(target)) == target
    with pytest.raises(ValueError, match="期間の最初の年度"):
        build_target("period_total", year=2018, value=300, note="")
    ind = _ind("T", target, {2016: 90}, unit="kW").model_copy(update={"target_wording": "3年間（H28~H30）で太陽光発電を300kW導入する"})
    path = tmp_path / "m.xlsx"
    save_master(_plan(ind), path)
    run = validate_source(CalamineSource(path))
    assert run.plan is not None and run.plan.indicator("T").target == target
    assert not [d for d in run.diagnostics.items if d.code.startswith("TARGET_WORDING")], run.diagnostics.items
    other = ind.model_copy(update={"target": PeriodTotalTarget(start_fy=2015, year=2018, value=300)})
    save_master(_plan(other), path)
    mismatch = [d for d in validate_source(CalamineSource(path)).diagnostics.items if d.code == "TARGET_WORDING_MISMATCH"]
    assert mismatch and "期間の最初の年度" in mismatch[0].message and "2016年度から" in mismatch[0].message


def test_a_band_to_keep_is_met_inside_it_whichever_the_direction(tmp_path: Path) -> None:
    """「20～30℃を維持」: inside the band (ends included) is kept; outside, moving away from it is 悪化."""
    from envplan.plan.target_wording import read_target
    from envplan.plan.targets import MaintainTarget, build_target, target_note
    from envplan.workbook.validation import validate_source
    from envplan.workbook.writer import save_master

    target = MaintainTarget(value=20, upper=30)
    assert read_target("水温を20～30℃の範囲に維持", unit="℃").to_target() == target
    ind = _ind("B", target, {2014: 20, 2015: 31, 2016: 33, 2017: 32, 2018: 30}, unit="℃").model_copy(update={"target_wording": "20～30℃を維持"})
    years = {y.fy: y for y in compute_plan(_plan(ind, fy=2018)).indicator("B").years}
    assert [years[f].status for f in (2014, 2015, 2016, 2017, 2018)] == ["達成", "悪化", "悪化", "遅れ", "達成"]
    assert "範囲の内側" in years[2018].explanation and "上限との差 2℃" in years[2017].explanation
    assert build_target("maintain", year=None, value=20, note=target_note(target)) == target
    with pytest.raises(ValueError, match="上限"):
        build_target("maintain", year=None, value=20, note="30まで")
    path = tmp_path / "b.xlsx"
    save_master(_plan(ind), path)
    run = validate_source(CalamineSource(path))
    assert run.plan is not None and run.plan.indicator("B").target == target
    assert not [d for d in run.diagnostics.items if d.code.startswith("TARGET_WORDING")]
    save_master(_plan(ind.model_copy(update={"target": MaintainTarget(value=20)})), path)
    mismatch = [d for d in validate_source(CalamineSource(path)).diagnostics.items if d.code == "TARGET_WORDING_MISMATCH"]
    assert mismatch and "範囲の上限" in mismatch[0].message and "上限 30" in mismatch[0].message


def test_the_schemes_final_target_rule_allows_the_same_tolerance() -> None:
    ind = _ind("A", LevelTarget(year=2020, value=31), {2020: 30}, unit="%", baseline_fy=2012, baseline_value=15).model_copy(update={"target_wording": "2020年度までに31%程度"})
    plan = _plan(ind, fy=2020)
    plan.settings.evaluation_scheme = "達成・未達成（○×）"
    assert compute_plan(plan).indicator("A").level_symbol == "×"  # no tolerance set: 30 is short of 31
    plan.settings.approximate_tolerance = 0.05
    assert compute_plan(plan).indicator("A").level_symbol == "○"  # 3.2% short of an approximate target
    exact = plan.model_copy(update={"indicators": [ind.model_copy(update={"target_wording": "2020年度までに31%"})]}, deep=True)
    assert compute_plan(exact).indicator("A").level_symbol == "×"
