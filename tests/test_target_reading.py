"""The wording reader on the styles real plans print (wordings copied from
../shared/real_plans/corpus.yaml and the issue), what it must refuse, and the
attainment rules of the target kinds real plans added."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from envplan.plan.model import Indicator, Plan, Settings, YearValue
from envplan.plan.target_wording import DatedValue, TargetWordingError, compare_reading, read_target
from envplan.plan.targets import ChangeTarget, DecreaseTarget, LevelTarget, MaintainTarget, PeriodTotalTarget
from envplan.plan.years import parse_fy
from envplan.rules.indicator_rules import evaluate_indicator

# (wording, reader options) → the fields the reading must have; fields not listed must be empty/None.
READ = [
    # change against a named base year, in its forms
    ("令和12年度までに46%削減（2013年度比）", {}, dict(kind="change", year=2030, percent=-46, base_fy=2013, base_source="文言")),
    ("2030年度までに2013年度比50%削減", {}, dict(kind="change", year=2030, percent=-50, base_fy=2013)),
    ("2030年度までに2013年度比55%削減", {}, dict(kind="change", year=2030, percent=-55, base_fy=2013)),
    ("…2019年度比20%削減", {}, dict(kind="change", percent=-20, base_fy=2019)),
    ("2030年には、温室効果ガス排出量を2016年比で55%削減", {}, dict(kind="change", year=2030, percent=-55, base_fy=2016)),
    ("電気使用量を、平成21年度を基準にして23.0%削減する", {}, dict(kind="change", percent=-23, base_fy=2009)),
    ("平成22年度の電力・石油の使用量を平成12年度に比べて16%削減する取組を進める", {}, dict(kind="change", year=2010, percent=-16, base_fy=2000)),
    ("平成22年度の温暖化ガス排出量を平成2年度から6%削減することを目標", {}, dict(kind="change", year=2010, percent=-6, base_fy=1990)),
    ("平成27年度までに基準年度（平成21年度）と比較して温室効果ガス総排出量3%削減", {}, dict(kind="change", year=2015, percent=-3, base_fy=2009)),
    ("平成29(2017)年度において…温室効果ガス総排出量を平成24(2012)年度の総排出量を基準として、8.5%（約7.6万t-CO2）以上削減することを目指す",
     {"unit": "t-CO2"}, dict(kind="change", year=2017, percent=-8.5, base_fy=2012, comparator="以上", unit="%")),
    ("2030年度までの温室効果ガス削減目標 -42.6%（2013年度比）", {}, dict(kind="change", year=2030, percent=-42.6, base_fy=2013)),
    ("「1人1日当たりごみ排出量」を「2019年度比7パーセント削減」します。", {}, dict(kind="change", percent=-7, base_fy=2019)),
    ("2030(平成42)年度までに温室効果ガスを2005(平成17)年度比で40%削減する。", {}, dict(kind="change", year=2030, percent=-40, base_fy=2005)),
    # base year only in the indicator's name, or given
    ("40%削減", {"unit": "万t", "name": "プラスチック焼却量（2017年度比）"}, dict(kind="change", percent=-40, base_fy=2017, base_source="指標名")),
    ("エネルギー消費原単位…を8.8%削減する", {"base_fy": 2009}, dict(kind="change", percent=-8.8, base_fy=2009, base_source="指定")),
    # two base years: the one given settles it
    ("2020(平成32)年度までに温室効果ガス排出量を2005(平成17)年度比で7%削減する（1990(平成2)年度比で12%削減）。",
     {"base_fy": 2005}, dict(kind="change", year=2020, percent=-7, base_fy=2005)),
    # 以上 / 以下, at least a cut
    ("300基以上", {}, dict(kind="level", value=300, comparator="以上", unit="基", direction="higher")),
    ("913g/人・日以下", {"unit": "g/人・日"}, dict(kind="level", value=913, comparator="以下", unit="g/人・日", direction="lower")),
    ("25%以上", {"unit": "%", "direction": "higher"}, dict(kind="level", value=25, comparator="以上", unit="%", direction="higher")),
    ("1人1日当たりごみ発生量を令和2年度において、平成26年度より5%以上削減する。", {}, dict(kind="change", year=2020, percent=-5, base_fy=2014, comparator="以上")),
    # approximate
    ("50%程度", {"unit": "%"}, dict(kind="level", value=50, unit="%", approximate=True)),
    # interim targets and dated steps
    ("300台以上（中間目標：2026年200台）", {"unit": "台"}, dict(kind="level", value=300, unit="台", comparator="以上", direction="higher", interim=(DatedValue(2026, 200),))),
    ("（2035年目標）100%非ガソリン化（中間目標：2026年15%）", {"unit": "%"}, dict(kind="level", year=2035, value=100, unit="%", interim=(DatedValue(2026, 15),))),
    ("37%（中間目標：2025年度31%）", {"unit": "%"}, dict(kind="level", value=37, unit="%", interim=(DatedValue(2025, 31),))),
    ("56,000kW（2026年度）74,000kW（2030年度）", {"unit": "kW"}, dict(kind="level", year=2030, value=74000, unit="kW", interim=(DatedValue(2026, 56000),))),
    # 割 / 半減, ゼロ, scale words
    ("2030年度までに半減（2000年度比）", {"unit": "万t"}, dict(kind="change", year=2030, percent=-50, base_fy=2000, unit="%", direction="lower")),
    ("平成32年度のごみ量をピーク時（平成12年度）と比べて半分以下の39万トン", {"unit": "トン"},
     dict(kind="level", year=2020, value=390000, percent=-50, base_fy=2000, comparator="以下", unit="トン", direction="lower")),
    ("2030年度までに3割削減", {}, dict(kind="change", year=2030, percent=-30, unit="%", direction="lower")),
    ("ゼロ", {"unit": "日"}, dict(kind="level", value=0, unit="日")),
    ("6万基", {"unit": "基"}, dict(kind="level", value=60000, unit="基")),
    ("410万t", {"unit": "万t"}, dict(kind="level", value=410, unit="万t")),
    # maintain
    ("114ha（維持）", {"unit": "ha"}, dict(kind="maintain", value=114, unit="ha")),
    ("100%を維持", {"unit": "%"}, dict(kind="maintain", value=100, unit="%")),
    ("現状維持", {}, dict(kind="maintain")),
    # 増加 / 向上 / 減少, reduce from an earlier year, year-on-year, every year
    ("増加", {}, dict(kind="increase", direction="higher")),
    ("向上", {}, dict(kind="improve", direction="higher")),
    ("ガソリン使用量を、平成25年度より削減する", {}, dict(kind="decrease", base_fy=2013, direction="lower")),
    ("毎年前年度より減少", {}, dict(kind="year_over_year", direction="lower")),
    ("毎年度継続して開催", {}, dict(kind="continue", direction="higher")),
    ("年間25,000人以上", {}, dict(kind="annual_minimum", value=25000, unit="人", comparator="以上", direction="higher")),
    ("毎年10回以上", {}, dict(kind="annual_minimum", value=10, unit="回", comparator="以上", direction="higher")),
    ("職員研修を、年2回以上開催する", {"unit": "回/年"}, dict(kind="annual_minimum", value=2, unit="回/年", comparator="以上", direction="higher")),
    ("令和12年度までに全測定局で環境基準を達成", {}, dict(kind="state", year=2030, value=100, unit="%", scope="全測定局", direction="higher")),
    # per-period totals
    ("3年間（H17~H19）で自然エネルギーを5万kW導入する", {"unit": "kW"}, dict(kind="period_total", start_fy=2005, year=2007, value=50000, unit="kW")),
    # a percentage and an absolute value together; old → new
    ("61.9（20%減）", {"unit": "GJ/百万円"}, dict(kind="level", value=61.9, percent=-20, unit="GJ/百万円", direction="lower")),
    ("1人1日当たりごみ発生量を令和12年度において、令和元年度より10%以上削減する。611グラム→550グラム", {"unit": "グラム"},
     dict(kind="level", year=2030, value=550, percent=-10, base_fy=2019, comparator="以下", unit="グラム", previous_value=611, direction="lower")),
    ("87 (old) → 46 (revised)", {"unit": "%"}, dict(kind="level", value=46, previous_value=87, unit="%")),
    # 全角, 、 as a thousands separator, ▲ as a minus sign, era years that never happened
    ("２０３０年度までに▲４６％（２０１３年度比）", {}, dict(kind="change", year=2030, percent=-46, base_fy=2013)),
    ("年間25、000人以上", {}, dict(kind="annual_minimum", value=25000, unit="人", comparator="以上", direction="higher")),
    ("平成35年度の温室効果ガス排出量を、平成25年度比で、23.5%削減することを目標とします。", {}, dict(kind="change", year=2023, percent=-23.5, base_fy=2013)),
    ("平成32年度までに1,324千t-CO2", {}, dict(kind="level", year=2020, value=1324, unit="千t-CO2")),
    # N割 is N × 10 % in every form, never a value in a unit 「割…」
    ("5割増", {}, dict(kind="change", percent=50, unit="%", direction="higher")),
    ("温室効果ガス排出量を3割以上削減", {"unit": "t-CO2"}, dict(kind="change", percent=-30, comparator="以上", unit="%", direction="lower")),
    ("約3割削減", {}, dict(kind="change", percent=-30, approximate=True, unit="%", direction="lower")),
    ("2割程度削減", {}, dict(kind="change", percent=-20, approximate=True, unit="%", direction="lower")),
    ("リサイクル率を3割", {"unit": "%"}, dict(kind="level", value=30, unit="%")),
    # N倍 / 倍増: a multiple of the base, a change of (N − 1) × 100 %, as 半減 is −50 %
    ("再生可能エネルギー導入量を2倍にする", {"unit": "kW"}, dict(kind="change", percent=100, unit="%", direction="higher")),
    ("2030年度までに太陽光発電の導入量を2013年度の約1.5倍に増やす", {}, dict(kind="change", year=2030, percent=50, base_fy=2013, approximate=True, unit="%", direction="higher")),
    ("環境学習の参加者数を倍増", {"unit": "人"}, dict(kind="change", percent=100, unit="%", direction="higher")),
    ("2030年度までに2倍以上", {}, dict(kind="change", year=2030, percent=100, comparator="以上", unit="%", direction="higher")),
    # ...unless the indicator is itself counted in 倍 (a ratio)
    ("2030年度までに1.5倍", {"unit": "倍"}, dict(kind="level", year=2030, value=1.5, unit="倍")),
    ("緑被率80%を維持することを目標とする", {"unit": "%"}, dict(kind="maintain", value=80, unit="%")),
    ("80%を維持を目標とする", {}, dict(kind="maintain", value=80, unit="%")),
    ("苦情の処理を5日以内", {"unit": "日"}, dict(kind="level", value=5, unit="日", comparator="以下", direction="lower")),  # 以内 includes 5, as 以下
    # the level to reach: 「…にする」
    ("2025年度における1人1日当たりの家庭ごみ排出量を500g以下にする", {"unit": "g/人・日"}, dict(kind="level", year=2025, value=500, unit="g/人・日", comparator="以下", direction="lower")),
    ("リサイクル率を50%にする", {"unit": "%"}, dict(kind="level", value=50, unit="%")),
    ("2030年度までに事故件数をゼロにする", {"unit": "件"}, dict(kind="level", year=2030, value=0, unit="件")),
    # 「1人1日当たり」 before the figure, for an indicator counted per person (without one: refused below)
    ("市民1人1日当たり850g（令和7年度）", {"unit": "g/人・日"}, dict(kind="level", year=2025, value=850, unit="g/人・日")),
    ("1人1日当たり500g以下", {"unit": "g/人・日"}, dict(kind="level", value=500, unit="g/人・日", comparator="以下", direction="lower")),
    # the target year as tables print it next to the value
    ("2030年度：46%削減（2013年度比）", {}, dict(kind="change", year=2030, percent=-46, base_fy=2013, unit="%", direction="lower")),
    ("目標（2030年度）：46%削減", {}, dict(kind="change", year=2030, percent=-46, unit="%", direction="lower")),
    ("【令和12年度】46%削減", {}, dict(kind="change", year=2030, percent=-46, unit="%", direction="lower")),
    ("2030年度目標 46%削減", {}, dict(kind="change", year=2030, percent=-46, unit="%", direction="lower")),
    ("30%（2030年度）", {"unit": "%"}, dict(kind="level", year=2030, value=30, unit="%")),
    # 「X年度の…を基準として」 with … another year: the first year is the target year, not the base
    ("令和12年度の2013年度を基準にして46%削減", {}, dict(kind="change", year=2030, percent=-46, base_fy=2013, unit="%", direction="lower")),
    ("2030年度に2013年度の2倍", {}, dict(kind="change", year=2030, percent=100, base_fy=2013, unit="%", direction="higher")),
    # the end of a fiscal year by its month: March 2031 ends 2030年度
    ("令和13年3月末までに46%削減（2013年度比）", {}, dict(kind="change", year=2030, percent=-46, base_fy=2013, unit="%", direction="lower")),
    # the verbs and signs as written: 減らす・増やす, 「46%の削減」「46%を削減」, マイナス・プラス
    ("ごみを10%減らします", {}, dict(kind="change", percent=-10, unit="%", direction="lower")),
    ("46%の削減を目指します", {}, dict(kind="change", percent=-46, unit="%", direction="lower")),
    ("46%を削減", {}, dict(kind="change", percent=-46, unit="%", direction="lower")),
    ("マイナス46%", {}, dict(kind="change", percent=-46, unit="%", direction="lower")),
    ("2030年度までにプラス10%", {}, dict(kind="change", year=2030, percent=10, unit="%", direction="higher")),
    ("5%以上の削減", {}, dict(kind="change", percent=-5, comparator="以上", unit="%", direction="lower")),
    ("少なくとも5%削減", {}, dict(kind="change", percent=-5, comparator="以上", unit="%", direction="lower")),
]

_DEFAULTS = dict(year=None, value=None, percent=None, base_fy=None, comparator="", approximate=False, interim=(), start_fy=None, previous_value=None)


@pytest.mark.parametrize(("wording", "opts", "expected"), READ, ids=[w[:24] for w, _, _ in READ])
def test_reads_the_styles_of_real_plans(wording, opts, expected):
    r = read_target(wording, **opts)
    for key, default in _DEFAULTS.items():
        want = expected.get(key, default)
        got = getattr(r, key)
        assert got == pytest.approx(want) if isinstance(want, float) else got == want, (key, got, want)
    for key in ("kind", "unit", "direction", "base_source", "scope"):
        if key in expected:
            assert getattr(r, key) == expected[key], (key, getattr(r, key))
    assert r.reading


# (wording, options, a word the reason must contain, the part named)
REFUSE = [
    ("4.0%以上", {"unit": "%", "direction": "lower"}, "決まりません", ""),  # a share of 4% or a cut of 4%?
    ("20年度の温室効果ガスの総排出量を、05年度比で25%以上削減する", {}, "2桁", "20年度"),
    ("2020(平成32)年度までに温室効果ガス排出量を2005(平成17)年度比で7%削減する（1990(平成2)年度比で12%削減）。", {}, "基準年度が複数", ""),
    ("30%削減", {"unit": "%", "name": "東京のエネルギー消費量（2000年比）"}, "指標の値そのもの", ""),
    ("0.07ppm以下", {"unit": "% (局数)"}, "単位", ""),
    ("464gg/人・日以下 (sic)", {"unit": "g/人・日"}, "単位", ""),
    ("原則ZEV化", {}, "読めません", ""),  # the whole wording: no part to name
    ("リサイクル率を全国一の40%を目指す", {}, "読めません", "全国一の40%"),
    ("40%削減（固定）", {"name": "都有施設 温室効果ガス排出量（2000年度比）"}, "括弧", "（固定）"),
    ("庁有車を100%非ガソリン化 乗用車（2024年度まで）※特種車両等を除く", {}, "※", "※特種車両等を除く"),
    ("2010年度までに1人あたりのCO2の排出量を1990年レベル（2.03t《炭素換算》）以下に低減する", {}, "目標年度か基準年度か", "1990年"),
    ("3年間（H17~H20）で自然エネルギーを5万kW導入する", {}, "年数が合いません", ""),
    ("毎年前年度比5%削減", {}, "読めません", ""),  # not a 5% cut against a base: every year against the last
    ("1人1日当たり500g以下", {}, "どれが目標値か", ""),
    # 倍 where it cannot be a multiple of the base: never a level of 2 in a unit 「倍」
    ("2倍（2026年度）3倍（2030年度）", {}, "倍率", "2倍"),
    ("毎年2倍以上", {}, "倍率", "2倍以上"),
    ("2030年度までに2倍", {"unit": "%"}, "指標の値そのもの", "2倍"),  # a share doubled, or a share of 2?
    ("2030年度までに2倍", {"unit": "kW", "direction": "lower"}, "逆", ""),
    ("0.5倍", {}, "1倍以下", ""),
    ("3割", {"unit": "t"}, "単位", ""),
    # how much to change is not the value to reach: never a level of 15,000 in 「t削減」
    ("CO2排出量を15,000t削減", {}, "減らす量", "15,000t削減"),
    ("2030年度までに15万t-CO2削減", {"unit": "t-CO2"}, "減らす量", "15万t-CO2削減"),
    ("参加者を100人増", {}, "増やす量", "100人増"),
    ("1,000tを削減", {}, "減らす量", ""),  # not a cut of no size with 「1,000t」 for its subject
    ("最大5%削減", {}, "上限", "最大"),  # a cap: read as a cut it would be reached by any larger one
    ("5%以内の増加", {}, "上限", ""),
    ("2020年度比で10ポイント向上", {"unit": "%"}, "増やす量", "10ポイント向上"),
    ("年平均2%削減", {}, "読めません", ""),  # a yearly rate, not one cut against the base
    ("年率3%増加", {}, "読めません", ""),
    ("R12 46%削減", {}, "空白", ""),  # not 1246%
    ("5、10回", {}, "「、」", ""),  # not 510 (「25、000人」 is a thousands separator)
    ("2030年度 46%削減", {}, "目標年度か基準年度か", "2030年度"),  # a year merely beside the value: its role is not said
    ("100%（毎年度）", {"unit": ""}, "読めません", ""),
    ("令和12年度の2倍", {}, "目標年度か基準年度か", "令和12年度の"),
    ("2030年4月までに100件", {}, "目標年度か基準年度か", "2030年"),  # before April (2029年度) or within 2030年度?  # twice that year's figure, or twice the base by then?
    # 未満・超 exclude the value itself, which the judgement (以上・以下) counts as reached
    ("0.06ppm未満", {"unit": "ppm"}, "未満", ""),  # (the whole wording: no part to name)
    ("2030年度までに100件超", {}, "超", "100件超"),
    # a level to keep is judged every year: with a target year it is not read as a level of 「%を維持」
    ("2030年度までに80%を維持", {}, "水準の維持", "80%を維持"),
    ("令和12年度までに緑被率を30%を維持", {"unit": "%"}, "水準の維持", "30%を維持"),
    ("", {}, "空", ""),
]


@pytest.mark.parametrize(("wording", "opts", "word", "part"), REFUSE, ids=[w[:20] or "empty" for w, _, _, _ in REFUSE])
def test_says_what_it_cannot_read_and_where(wording, opts, word, part):
    with pytest.raises(TargetWordingError) as e:
        read_target(wording, **opts)
    assert word in e.value.reason
    if part:
        assert part in e.value.reason
    assert e.value.reason_en


def test_to_target_refuses_what_the_model_cannot_hold():
    r = read_target("300台以上（中間目標：2026年200台）", unit="台")
    with pytest.raises(TargetWordingError, match="中間目標"):
        r.to_target(year=2030)
    with pytest.raises(TargetWordingError, match="目標年度"):
        read_target("50%", unit="%").to_target()
    assert read_target("50%", unit="%").to_target(year=2030) == LevelTarget(year=2030, value=50)
    # a total over a period is a target kind of its own (期間の合計)
    assert read_target("3年間（H17~H19）で自然エネルギーを5万kW導入する", unit="kW").to_target() == PeriodTotalTarget(start_fy=2005, year=2007, value=50000)
    assert read_target("令和12年度までに46%削減（2013年度比）").to_target() == ChangeTarget(year=2030, percent=-46)
    assert read_target("ガソリン使用量を、平成25年度より削減する").to_target() == DecreaseTarget()
    assert read_target("114ha（維持）", unit="ha").to_target() == MaintainTarget(value=114)
    # A state to reach needs its year; a state to keep does not.
    with pytest.raises(TargetWordingError, match="目標年度"):
        read_target("全測定局で環境基準を達成").to_target()
    assert read_target("全測定局で環境基準を達成").to_target(year=2030).year == 2030
    assert read_target("環境基準達成を維持").to_target().year is None


def test_compare_names_the_field_and_both_values():
    r = read_target("令和12年度までに46%削減（2013年度比）")
    assert compare_reading(r, ChangeTarget(year=2030, percent=-46), baseline_fy=2013) == []
    wrong = compare_reading(r, ChangeTarget(year=2030, percent=-40), baseline_fy=2012)
    assert [(m.key, m.wording_value, m.entered_value) for m in wrong] == [("target_value", "-46", "-40"), ("baseline_fy", "2013年度（文言）", "2012年度")]
    assert "目標値" in wrong[0].text() and "-46" in wrong[0].text() and "-40" in wrong[0].text()
    # A year the wording leaves out is no mismatch; a value with its change matches either kind.
    assert compare_reading(read_target("61.9（20%減）"), LevelTarget(year=2020, value=61.9), baseline_fy=2004) == []
    assert compare_reading(read_target("61.9（20%減）"), ChangeTarget(year=2020, percent=-20), baseline_fy=2004) == []
    # An interim target is checked against the plan value of its year.
    r2 = read_target("300台以上（中間目標：2026年200台）")
    assert compare_reading(r2, LevelTarget(year=2030, value=300), baseline_fy=None, plan_values={2026: 200}) == []
    assert [m.key for m in compare_reading(r2, LevelTarget(year=2030, value=300), baseline_fy=None)] == ["plan"]


@given(
    year=st.integers(2000, 2060),
    base=st.integers(1990, 1999),
    pct=st.integers(1, 99),
    form=st.sampled_from(["{y}年度までに{b}年度比{p}%削減", "{y}年度までに{p}%削減（{b}年度比）", "{y}年度までに、{b}年度を基準にして{p}%削減する",
                          "{y}年度の排出量を{b}年度比で{p}%削減する", "{y}年度までに{b}年度比▲{p}%"]),
    wide=st.booleans(),
)
def test_change_wordings_never_misread(year, base, pct, form, wide):
    wording = form.format(y=year, b=base, p=pct)
    if wide:
        wording = wording.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789%"})
    r = read_target(wording)
    assert (r.kind, r.year, r.percent, r.base_fy) == ("change", year, -pct, base)


@given(
    year=st.integers(2000, 2060),
    value=st.integers(1, 9_999_999),
    unit=st.sampled_from(["t-CO2", "台", "kW", "人", "g/人・日", "ha"]),
    cmp=st.sampled_from(["", "以上", "以下"]),
    era=st.booleans(),
    comma=st.booleans(),
    interim=st.one_of(st.none(), st.integers(1, 999)),
)
def test_level_wordings_never_misread(year, value, unit, cmp, era, comma, interim):
    y = f"令和{year - 2018}年度" if era and year >= 2019 else f"{year}年度"
    v = f"{value:,}" if comma else str(value)
    wording = f"{y}までに{v}{unit}{cmp}" + (f"（中間目標：{year - 1}年度{interim}{unit}）" if interim is not None else "")
    r = read_target(wording, unit=unit)
    assert (r.kind, r.year, r.value, r.unit, r.comparator) == ("level", year, value, unit, cmp)
    assert r.interim == (() if interim is None else (DatedValue(year - 1, interim),))
    assert r.direction == {"以上": "higher", "以下": "lower"}.get(cmp)


# Words that change what a figure means: a reading that leaves one in its unit (「t削減」「倍に」「%を維持」
# 「ppm未満」) has taken a change, a multiple, a state or a comparator for a value.
MEANING_WORDS = ("削減", "減", "増", "向上", "倍", "割", "を", "に", "未満", "超", "以内", "以上", "以下", "程度", "維持", "達成")


@settings(max_examples=examples(300))
@given(
    year=st.sampled_from(["", "2030年度までに", "令和12年度に", "2030年度の", "令和7年度末までに"]),
    subject=st.sampled_from(["", "温室効果ガス排出量を", "ごみの量を", "参加者数を", "緑被率を", "設置件数を"]),
    figure=st.sampled_from(["46", "1,000", "3万", "0.5", "1.5", "2", "100", "15,000"]),
    unit=st.sampled_from(["", "%", "t", "t-CO2", "件", "人", "g/人・日", "ポイント", "kW"]),
    word=st.sampled_from(["", "削減", "増", "増加", "向上", "倍", "倍に", "倍以上", "割", "割削減", "割増", "未満", "超", "以内", "以上", "以下",
                          "程度", "以上削減", "を維持", "に維持", "程度削減", "導入", "設置", "達成", "を削減", "の削減", "減らす",
                          "減らします", "を増加", "増やす"]),
    ending=st.sampled_from(["", "する", "を目指す", "とします", "します", "を目標とする", "。"]),
    indicator_unit=st.sampled_from(["", "%", "t-CO2", "件", "人", "kW"]),
)
def test_no_reading_keeps_a_word_of_meaning_in_its_unit(year, subject, figure, unit, word, ending, indicator_unit):
    """Whatever the wording, a reading either places each word (削減 → a change, 以上 → a comparator,
    倍 → a multiple of the base, を維持 → a level to keep) or refuses with a reason: never a value
    whose unit swallowed it."""
    wording = f"{year}{subject}{figure}{unit}{word}{ending}"
    try:
        r = read_target(wording, unit=indicator_unit)
    except TargetWordingError as e:
        assert e.reason and e.reason_en
        return
    assert not any(w in (r.unit or "") for w in MEANING_WORDS), (wording, indicator_unit, r.kind, r.value, r.unit)
    assert r.kind not in ("decrease", "increase", "improve"), (wording, r.kind)  # a figure was said: its size is not dropped
    if r.kind == "level" and r.value is not None:  # the figure as written (万 and 割 as their scale)
        n = float(figure.replace(",", "").replace("万", ""))
        assert r.value in (n, n * 10_000, n * 10 if "割" in word else n), (wording, r.value)


@settings(max_examples=examples(500))
@given(
    target_year=st.sampled_from(["2030年度", "令和12年度", "2025年", "平成32年度", "2030(令和12)年度"]),
    at=st.sampled_from(["{y}までに", "{y}に", "{y}において", "（{y}目標）", "{y}：", "【{y}】", "{y}の"]),
    base=st.sampled_from(["2013年度", "平成25年度", "2019年"]),
    said=st.sampled_from(["", "{b}比", "{b}比で", "{b}を基準にして", "{b}より", "{b}と比べて", "（{b}比）"]),
    subject=st.sampled_from(["", "温室効果ガス排出量を", "ごみ排出量を", "再エネ導入量を"]),
    figure=st.sampled_from(["46%削減", "10%増", "2倍", "1.5倍以上", "3割削減", "30%程度削減", "50%以上", "1,000人", "3万t", "ゼロ"]),
    after=st.sampled_from(["", "（中間目標：2025年度20%）", "を目指す", "する", "。"]),
)
def test_years_bases_and_signs_are_the_wording_s(target_year, at, base, said, subject, figure, after):
    """Whatever the order of the parts, a reading's target year and base year are years the wording names
    in those roles, a cut is never read as a rise (nor the reverse), and an interim target is kept."""
    wording = at.format(y=target_year) + subject + said.format(b=base) + figure + after
    try:
        r = read_target(wording)
    except TargetWordingError as e:
        assert e.reason and e.reason_en
        return
    named = {y: parse_fy(y if y.endswith("度") else y + "度") for y in (target_year, base)}
    if r.year is not None:
        assert r.year == named[target_year], (wording, r.year)
    if r.base_fy is not None:
        assert said and r.base_fy == named[base], (wording, r.base_fy)
    if r.kind == "change":
        assert (r.percent or 0) < 0 if ("削減" in figure) else (r.percent or 0) > 0, (wording, r.percent)
    if "中間目標" in after:
        assert r.interim, wording


# ---- attainment rules of the new kinds -----------------------------------------------------


def _plan(ind: Indicator) -> Plan:
    return Plan(name="テスト計画", municipality="架空市", start_fy=2021, end_fy=2030, current_fy=2024, settings=Settings(),
                categories=[{"code": "1", "name": "分野"}], departments=[{"code": "D", "name": "課"}], indicators=[ind])


def _ind(target, wording, values, direction="higher", baseline=(2020, 100.0)):
    return Indicator(id="X1", name="指標", category="1", unit="ha", direction=direction, baseline_fy=baseline[0], baseline_value=baseline[1],
                     target_wording=wording, target=target, department="D", values={fy: YearValue(actual=v) for fy, v in values.items()})


def test_maintain_rule_by_hand():
    ind = _ind(MaintainTarget(value=114), "114ha（維持）", {2021: 114, 2022: 113, 2023: 112, 2024: 115})
    res = evaluate_indicator(_plan(ind), ind, 2024)
    by = {y.fy: y.status for y in res.years}
    # kept, lost (kept the year before) → 悪化, lower again → 悪化, kept again
    assert (by[2021], by[2022], by[2023], by[2024]) == ("達成", "悪化", "悪化", "達成")
    ind2 = _ind(MaintainTarget(), "現状維持", {2021: 99, 2022: 99})
    by2 = {y.fy: y for y in evaluate_indicator(_plan(ind2), ind2, 2022).years}
    assert by2[2021].status == "悪化" and by2[2021].compared_with == 100  # the baseline is the level to keep
    assert by2[2022].status == "遅れ" and "基準値" in by2[2022].explanation


def test_decrease_rule_by_hand():
    ind = _ind(DecreaseTarget(year=2026), "ガソリン使用量を、令和2年度より削減する", {2021: 90, 2022: 100, 2023: 101}, direction="lower")
    by = {y.fy: y.status for y in evaluate_indicator(_plan(ind), ind, 2023).years}
    assert (by[2021], by[2022], by[2023]) == ("達成", "やや遅れ", "悪化")
