import pytest

from envplan.plan.samples import load_sample
from envplan.plan.target_wording import TargetWordingError, propose_target
from envplan.plan.targets import (
    AnnualMinimumTarget,
    ChangeTarget,
    ContinueTarget,
    ImproveTarget,
    IncreaseTarget,
    LevelTarget,
    StateTarget,
    YearOverYearTarget,
)

# The 17 target wordings of the Shinagawa roadmap, exactly as in the seed.
EXPECTED = {
    "平成32年度までに1,324千t-CO2": (LevelTarget(year=2020, value=1324), None, "千t-CO2"),
    "平成32年度までに1.7t-CO2/世帯": (LevelTarget(year=2020, value=1.7), None, "t-CO2/世帯"),
    "平成34年度までに導入施設数の増": (IncreaseTarget(year=2022), "higher", ""),
    "年2回以上開催": (AnnualMinimumTarget(value=2), "higher", "回"),
    "平成34年度までに440g/人・日": (LevelTarget(year=2022, value=440), None, "g/人・日"),
    "平成34年度までに31％": (LevelTarget(year=2022, value=31), None, "%"),
    "継続して実施": (ContinueTarget(), "higher", ""),
    "環境満足度の向上": (ImproveTarget(subject="環境満足度"), "higher", ""),
    "環境基準達成を維持": (StateTarget(), "higher", "%"),
    "平成33年度までに5ヶ所以上設置（新規）": (LevelTarget(year=2021, value=5), "higher", "ヶ所"),
    "平成33年度までに22.6%": (LevelTarget(year=2021, value=22.6), None, "%"),
    "平成34年度までに全局で環境基準達成": (StateTarget(year=2022, scope="全局"), "higher", "%"),
    "前年比減を毎年継続": (YearOverYearTarget(), "lower", ""),
    "平成30年度までに4地区指定": (LevelTarget(year=2018, value=4), None, "地区"),
    "平成29年度までに基準年比5％減": (ChangeTarget(year=2017, percent=-5), "lower", "%"),
    "平成34年度までに認定事業所数の増": (IncreaseTarget(year=2022), "higher", ""),
    "年間1回以上開催": (AnnualMinimumTarget(value=1), "higher", "回"),
}


@pytest.mark.parametrize("wording", EXPECTED)
def test_all_17_shinagawa_wordings(wording):
    target, direction, unit = EXPECTED[wording]
    p = propose_target(wording)
    assert p.target == target
    assert p.direction == direction
    assert p.unit == unit
    assert p.reading


def test_sample_targets_agree_with_their_wording():
    plan = load_sample("shinagawa")
    assert len(plan.indicators) == 17
    assert {i.target_wording for i in plan.indicators} == set(EXPECTED)
    for ind in plan.indicators:
        assert propose_target(ind.target_wording, name=ind.name).target == ind.target, ind.id


def test_direction_is_never_guessed_from_the_name():
    # The wording 「…100万t」 does not say which way is better; the name is not read for it.
    assert propose_target("平成34年度までに100万t", name="CO2排出量").direction is None
    assert propose_target("平成34年度までに440g/人・日", name="区民一人一日あたりの収集ごみ量").direction is None


def test_era_and_western_years():
    assert propose_target("令和7年度までに50%").target == LevelTarget(year=2025, value=50)
    assert propose_target("2030年度までに基準年比46%削減").target == ChangeTarget(year=2030, percent=-46)


@pytest.mark.parametrize("wording", ["", "できるだけ減らす", "平成32年度までに", "平成32年度までにたくさん", "平成99999年度までに5件"])
def test_says_clearly_when_it_cannot(wording):
    with pytest.raises(TargetWordingError) as e:
        propose_target(wording)
    assert "解釈できません" in str(e.value)
