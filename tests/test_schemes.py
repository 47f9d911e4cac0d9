"""Evaluation schemes as data: the shipped schemes on hand-worked cases, rules read
back from their words, unusable schemes explained, and levels that partition the inputs."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envplan.plan.schemes import DEFAULT_SCHEME, READY_SCHEMES, SCHEMES_BY_KEY, Level, Rule, Scheme, SchemeError, check_scheme, level_key, pair_levels, parse_rule, shown_levels
from envplan.rules.attainment import STATUSES
from envplan.rules.scheme_eval import Facts, holds, level_for


def F(actual=None, *, year=None, final=None, progress=None, previous=None, baseline=None, status="評価不能", direction="higher"):
    return Facts(actual=actual, direction=direction, year_target=year, final_target=final, progress=progress, previous=previous, baseline=baseline, status=status)


def sym(key: str, f: Facts) -> str:
    return level_for(SCHEMES_BY_KEY[key], f)[0].symbol


def test_at_least_four_ready_choices_besides_the_default_and_all_usable():
    assert READY_SCHEMES[0] is DEFAULT_SCHEME and len(READY_SCHEMES) >= 5
    for s in READY_SCHEMES:
        assert check_scheme(s) == [], s.key
        assert s.description and all(lv.rule.describe() for lv in s.levels)


def test_default_scheme_is_the_six_statuses():
    assert [lv.label for lv in DEFAULT_SCHEME.levels] == list(STATUSES)
    for status, icon in zip(STATUSES, "◎○△▲✕－"):
        assert sym("six_levels", F(1.0, status=status)) == icon


def test_final_year_trend_by_hand():
    # higher is better; final target 100, this year's target 60
    assert sym("final_year_trend", F(None, year=60, final=100)) == "－"  # figure not yet available
    assert sym("final_year_trend", F(100, year=60, final=100, previous=90)) == "◎"
    assert sym("final_year_trend", F(61, year=60, final=100, previous=70)) == "○"
    assert sym("final_year_trend", F(55, year=60, final=100, previous=50)) == "△"
    assert sym("final_year_trend", F(55, year=60, final=100, previous=55)) == "▲"  # not better
    assert sym("final_year_trend", F(55, year=60, final=100, previous=58)) == "▲"
    # lower is better: 40 ≤ 45 meets the year's target
    assert sym("final_year_trend", F(40, year=45, final=30, previous=50, direction="lower")) == "○"


def test_rate_bands_by_hand():
    assert sym("rate_bands_100_90_80", F(100, year=100)) == "◎"
    assert sym("rate_bands_100_90_80", F(95, year=100)) == "○"
    assert sym("rate_bands_100_90_80", F(90, year=100)) == "○"  # 90% is in 90–100
    assert sym("rate_bands_100_90_80", F(89.9, year=100)) == "△"
    assert sym("rate_bands_100_90_80", F(79, year=100)) == "×"
    assert sym("rate_bands_100_90_80", F(125, year=100, direction="lower")) == "△"  # 100 ÷ 125 = 80%
    assert sym("rate_bands_100_90_80", F(5)) == "－"  # no target
    assert sym("rate_bands_100_90_80", F(None, year=100)) == "－"


def test_year_target_abc_by_hand():
    assert sym("year_target_abc_70", F(100, year=100)) == "A"
    assert sym("year_target_abc_70", F(70, year=100)) == "B"
    assert sym("year_target_abc_70", F(69, year=100)) == "C"


def test_progress_bands_by_hand():
    assert sym("progress_abcd_90_70_50", F(1, progress=0.95)) == "A"
    assert sym("progress_abcd_90_70_50", F(1, progress=0.7)) == "B"
    assert sym("progress_abcd_90_70_50", F(1, progress=0.5)) == "C"
    assert sym("progress_abcd_90_70_50", F(1, progress=-0.2)) == "D"


def test_target_or_trend_by_hand():
    assert sym("target_or_trend", F(100, year=90, previous=120)) == "○"  # met, though lower than last year
    assert sym("target_or_trend", F(80, year=90, previous=70)) == "○"  # improved
    assert sym("target_or_trend", F(80.5, year=90, previous=80)) == "△"  # within ±1%
    assert sym("target_or_trend", F(70, year=90, previous=80)) == "×"
    assert sym("target_or_trend", F(70, previous=80, direction="lower")) == "○"
    assert sym("target_or_trend", F(70)) == "―"  # nothing to compare with
    assert sym("target_or_trend", F(None)) == "―"


def test_met_not_met_by_hand():
    assert sym("met_not_met", F(30, final=30, direction="lower")) == "○"
    assert sym("met_not_met", F(31, final=30, direction="lower")) == "×"
    assert sym("met_not_met", F(None, final=30)) == "－"


@pytest.mark.parametrize("rule", [lv.rule for s in READY_SCHEMES for lv in s.levels] + [Rule(kind="trend", trend="worse", against="baseline", tolerance=0.05)])
def test_rules_read_back_from_their_words(rule):
    assert parse_rule(rule.text()) == rule


@pytest.mark.parametrize(("text", "word"), [("", "空"), ("達成率（年度）", "範囲"), ("進捗率90%以上50%未満", "範囲が空"), ("状況が「まあまあ」", "ありません"), ("とても良い", "使える書き方")])
def test_rules_it_cannot_read_are_explained(text, word):
    with pytest.raises(SchemeError, match=word):
        parse_rule(text)


def test_unusable_schemes_are_explained():
    no_catch_all = Scheme("x", "x", "", (Level("A", "達成", "C6EFCE", parse_rule("年度目標を達成")), Level("B", "未達成", "FFC7CE", parse_rule("達成率（年度）70%未満"))))
    assert any("その他" in p and "どの区分にも当たらない" in p for p in check_scheme(no_catch_all))
    shadowed = Scheme("y", "y", "", (Level("A", "何でも", "C6EFCE", parse_rule("その他")), Level("B", "達成", "FFC7CE", parse_rule("年度目標を達成"))))
    assert any("選ばれることがありません" in p for p in check_scheme(shadowed))
    clash = Scheme("z", "z", "", (Level("A", "達成", "C6EFCE", parse_rule("年度目標を達成")), Level("A", "未達成", "zz", parse_rule("その他"))))
    problems = check_scheme(clash)
    assert any("違う意味" in p for p in problems) and any("RRGGBB" in p for p in problems)
    # a scheme without a catch-all still gives a level, and says so
    level, why = level_for(no_catch_all, F(80, year=100))
    assert level.symbol == "B" and "設定を確認" in why


_num = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False))
facts = st.builds(
    Facts, actual=_num, direction=st.sampled_from(["higher", "lower"]), year_target=_num, final_target=_num,
    progress=st.one_of(st.none(), st.floats(-5, 5, allow_nan=False)), previous=_num, baseline=_num, status=st.sampled_from(STATUSES),
)


def _axes(scheme):
    return [replace(scheme, second=None)] + ([scheme.second] if scheme.second else [])


@given(f=facts)
def test_levels_partition_the_inputs(f):
    for whole in READY_SCHEMES:
        level, _why = level_for(whole, f)
        # exactly one of the levels shown and counted (for two axes: one pair)
        assert [s.key for s in shown_levels(whole)].count(level_key(level.symbol, level.label)) == 1
        assert (level.symbol, level.label) in [(lv.symbol, lv.label) for lv in pair_levels(whole)]
        for scheme in _axes(whole):
            _one_axis_partitions(scheme, f)


def _one_axis_partitions(scheme, f):
    if True:
        level, why = level_for(scheme, f)
        matching = [lv for lv in scheme.levels if holds(lv.rule, f)]
        # every case gets exactly one level: the first whose rule holds (the last is その他, so one always does)
        assert matching and level is matching[0] and "設定を確認" not in why
        # the band levels of a scheme never overlap: at most one band holds
        bands = [lv for lv in scheme.levels if lv.rule.kind == "band" and holds(lv.rule, f)]
        assert len(bands) <= 1, (scheme.key, [b.label for b in bands])
        # the three trend words never hold together
        trends = {lv.rule.trend for lv in scheme.levels if lv.rule.kind == "trend" and holds(lv.rule, f)}
        assert len(trends) <= 1


# ---- the chosen scheme drives the policy rating suggestion, explained in words ------------------------

def test_policy_rating_suggestion_scores_the_chosen_schemes_levels():
    from envplan.plan.model import EvaluationLevel
    from envplan.plan.samples import load_sample
    from envplan.rules.compute import compute_plan

    plan = load_sample("kawasaki")
    default = compute_plan(plan).policies[0]
    assert default.suggested_rating == "AⅡ" and "評価区分「" not in default.reason  # the six levels: as before
    # the plan's own two levels: the derived 評価点 are ◎ 1 and △ 0 (first level 1, last 0)
    plan.settings.evaluation_scheme = "評価区分シート"
    plan.evaluation_levels = [
        EvaluationLevel(symbol="◎", label="計画どおり", colour="C6EFCE", rule="達成率（年度）100%以上"),
        EvaluationLevel(symbol="－", label="実績なし", colour="EDEDED", rule="実績なし"),
        EvaluationLevel(symbol="△", label="計画未満", colour="FFEB9C", rule="その他"),
    ]
    result = compute_plan(plan)
    levels = {i.name: i.level_symbol for i in result.indicators}
    assert sorted(levels.values()) == sorted(["◎", "△", "△"])  # FY2013: one indicator at 100% or more, two below
    pol = result.policies[0]
    # mean (1 + 0 + 0) / 3 = 0.33: B (≥ 0.3, < 0.6) where the six levels gave A
    assert pol.suggested_rating == "B" and pol.disagrees and pol.self_rating == "AⅡ"
    assert pol.reason.startswith("参考指標は評価区分「評価区分シートの区分」の区分を評価点にします（◎ 計画どおり 1、△ 計画未満 0（－ 実績なし は除外））")
    assert "平均 0.33" in pol.reason and "◎ 計画どおり（1）" in pol.reason
    rule = next(r.text for r in result.rules if r.topic == "施策の評価案")
    assert "評価区分（評価区分シートの区分）の区分を評価点" in rule and "△ 計画未満 0" in rule


def test_ready_schemes_score_every_evaluable_level_and_leave_out_the_dashes():
    from envplan.plan.schemes import shown_levels

    for scheme in READY_SCHEMES:
        shown = shown_levels(scheme)
        assert len({s.key for s in shown}) == len(shown)
        for s in shown:
            assert (s.score is None) == (s.symbol in "－―"), (scheme.key, s.key)
        scores = [s.score for s in shown if s.score is not None]
        if scheme.second is None:
            assert scores == sorted(scores, reverse=True), scheme.key
        assert max(scores) == 1 and min(scores) == 0, scheme.key


def test_two_axes_by_hand():
    """Target attainment (capital) and the change from last year (lower case), side by side: 「Ab」."""
    assert sym("attainment_and_trend", F(None, year=60, final=100, previous=50)) == "－"  # no figure: nothing to pair
    assert sym("attainment_and_trend", F(100, year=60, final=100, previous=90)) == "Aa"
    assert sym("attainment_and_trend", F(61, year=60, final=100, previous=61)) == "Bb"
    assert sym("attainment_and_trend", F(55, year=60, final=100, previous=58)) == "Cc"
    assert sym("attainment_and_trend", F(55, year=60, final=100)) == "C－"  # nothing to compare with last year
    assert sym("attainment_and_trend", F(40, year=45, final=30, previous=50, direction="lower")) == "Ba"
    level, why = level_for(SCHEMES_BY_KEY["attainment_and_trend"], F(61, year=60, final=100, previous=70))
    assert (level.symbol, level.label) == ("Bc", "年度目標を達成・前年度より悪化")
    assert why.startswith("目標の達成: 「年度目標を達成」") and "前年度からの変化: 「前年度より悪化（±1%）」" in why
    assert level.describe() == (
        "目標の達成: 実績がその年度の目標（計画値。なければ直線上の見込み値）に届いている、"
        "前年度からの変化: 前年度の実績より望ましくない向きに変わった（差が1%以内は変化なし）"
    )
    assert level.score == 0.375  # (0.75 + 0) / 2
    broken = replace(SCHEMES_BY_KEY["attainment_and_trend"], second=Scheme("s", "s", "", (Level("a", "改善", "FFFFFF", parse_rule("前年度より改善")),)))
    assert any(p.startswith("前年度からの変化: 最後の区分") for p in check_scheme(broken))


@given(st.from_regex(r"[0-9A-F]{6}", fullmatch=True))
def test_a_levels_colours_keep_its_words_readable(colour):
    from envplan.plan.schemes import contrast_ratio, readable_fill, text_colour

    fill = readable_fill(colour)
    assert contrast_ratio(fill, "000000") >= 4.5  # Excel's black text on the cell
    assert (fill == colour) == (contrast_ratio(colour, "000000") >= 4.5)  # changed only when it must be
    text = text_colour(fill)
    assert contrast_ratio(text, fill) >= 4.5 and contrast_ratio(text, "FFFFFF") >= 4.5  # badge, and card icon on white


def test_shipped_colours_are_used_as_given():
    from envplan.plan.schemes import colour_problems

    assert all(colour_problems(s) == [] for s in READY_SCHEMES)
