"""The master workbook is built from the model and read back into it losslessly."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import examples
from envplan.plan.samples import load_sample
from envplan.workbook.io import CalamineSource
from envplan.workbook.reader import read_master
from envplan.workbook.writer import save_master
from strategies import plans


def _round_trip(plan, path: Path):
    save_master(plan, path)
    reading = read_master(CalamineSource(path))
    assert not reading.diagnostics.errors, [d.to_json() for d in reading.diagnostics.errors]
    return reading.plan


@pytest.mark.parametrize("name", ["shinagawa", "kawasaki", "all"])
def test_samples_round_trip(name, tmp_path):
    plan = load_sample(name)
    assert _round_trip(plan, tmp_path / "m.xlsx") == plan


def test_illustrative_sample_round_trips(sample_masters):
    from envplan.plan.illustrative import add_illustrative_actuals

    plan = add_illustrative_actuals(load_sample("shinagawa"))
    back = read_master(CalamineSource(sample_masters["shinagawa"])).plan
    assert back == plan
    assert all(i.illustrative for i in back.indicators)
    assert "実際の数値ではありません" in back.illustrative_note


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(plan=plans())
def test_any_plan_round_trips(plan, tmp_path_factory):
    path = tmp_path_factory.mktemp("rt") / "m.xlsx"
    back = _round_trip(plan, path)
    assert back == plan
