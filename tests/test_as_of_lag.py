"""Issue 11 item 7: a past year is judged on what was available then (as-of), with a lag note."""

from __future__ import annotations

import shutil

from conftest import cli_json
from envplan.plan.model import Indicator, Plan, YearValue
from envplan.plan.targets import LevelTarget
from envplan.rules.compute import compute_plan


def _plan() -> Plan:
    # FY2021–2030, current year 2024; a 3-year lag: the 2021 figure arrives in FY2024.
    ind = Indicator(
        id="G1", name="温室効果ガス排出量", category="1", unit="千t-CO2", direction="lower", baseline_fy=2019, baseline_value=100.0,
        target_wording="2030年度までに50千t-CO2", target=LevelTarget(year=2030, value=50), department="D", data_lag=3,
        values={2020: YearValue(actual=98.0), 2021: YearValue(actual=60.0)},
    )
    return Plan(name="架空市環境基本計画", municipality="架空市", start_fy=2021, end_fy=2030, current_fy=2024,
                categories=[{"code": "1", "name": "脱炭素"}], departments=[{"code": "D", "name": "環境課"}], indicators=[ind])


def test_past_year_uses_only_what_had_arrived():
    plan = _plan()
    r22 = compute_plan(plan, 2022).indicators[0]
    assert r22.evaluated_fy == 2019  # not 2021: that figure arrived only in FY2024
    assert "2019年度の値" in r22.lag_note and "2020年度・2021年度" in r22.lag_note and "使いません" in r22.lag_note
    y21 = next(y for y in r22.years if y.fy == 2021)
    assert y21.status == "評価不能" and y21.actual is None and "2024年度に届きます" in y21.explanation and "60千t-CO2" in y21.explanation
    r23 = compute_plan(plan, 2023).indicators[0]
    assert r23.evaluated_fy == 2020 and next(y for y in r23.years if y.fy == 2020).actual == 98
    # The current year uses every value entered: 2021 (60) on the line 100 → 50 (expected 90.9) is 順調.
    r24 = compute_plan(plan, 2024).indicators[0]
    assert r24.evaluated_fy == 2021 and r24.status == "順調" and "使いません" not in r24.lag_note
    # Without a lag nothing is hidden in a past year.
    plan.indicators[0].data_lag = 0
    r = compute_plan(plan, 2022).indicators[0]
    assert r.evaluated_fy == 2022 and r.lag_note == "" and next(y for y in r.years if y.fy == 2021).actual == 60


def test_compute_fy_of_a_past_year_through_the_cli(sample_masters, tmp_path):
    master = tmp_path / "m.xlsx"
    shutil.copy2(sample_masters["shinagawa"], master)  # current year 2022; S01 has a 2-year lag
    for fy, v in ((2019, "1500"), (2020, "1400")):
        code, data = cli_json("year", "correct", str(master), "--indicator", "S01", "--fy", str(fy), "--actual", v, "--allow-frozen", "--json")
        assert code == 0, data
    code, data = cli_json("compute", str(master), "--fy", "2021", "--json")
    s01 = next(i for i in data["indicators"] if i["id"] == "S01")
    assert s01["evaluated_fy"] == 2019 and "2020年度" in s01["lag_note"]
    code, data = cli_json("compute", str(master), "--fy", "2022", "--json")
    assert next(i for i in data["indicators"] if i["id"] == "S01")["evaluated_fy"] == 2020


def test_change_list_takes_the_previous_status_from_the_computed_rule():
    """The site's change list (「指標: 前年度の状況 → 今年度の状況」) names last year's status by the same rule
    the compute uses (rules.compute.status_in): with a 1-year lag, FY2023 was judged on the 2022 figure,
    which is missing, so it was 「評価不能」 — not the status of the older 2021 figure."""
    from envplan.report.context import build_report
    from envplan.rules.compute import status_in

    plan = _plan()
    ind = plan.indicators[0]
    ind.data_lag = 1
    ind.values = {2021: YearValue(actual=95.0), 2023: YearValue(actual=60.0)}
    now, before = compute_plan(plan, 2024), compute_plan(plan, 2023)
    assert before.indicators[0].status == status_in(now.indicators[0], 2023, 1) == "評価不能"
    assert next(y for y in now.indicators[0].years if y.fy == 2021).status not in ("評価不能", now.indicators[0].status)
    r = build_report(plan, now, before)
    changes = [c.text for c in r.changes if c.text.startswith(f"{ind.name}: ")]
    assert changes == [f"{ind.name}: 評価不能 → {now.indicators[0].status}"], changes
