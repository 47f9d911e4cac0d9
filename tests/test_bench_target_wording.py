"""The corpus figures of `make bench` must catch a misreading: the comparison itself, on a small corpus written here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

_spec = importlib.util.spec_from_file_location("bench_target_wording", Path(__file__).resolve().parent.parent / "benchmarks" / "bench_target_wording.py")
assert _spec and _spec.loader
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_corpus_notation_is_turned_into_fields():
    assert bench.expected({"fy": 2030, "value": "-42.6%"}, None) == {"year": 2030, "percent": -42.6}
    assert bench.expected({"period": "2030年", "value": "-40% vs 2017年度"}, None) == {"year": 2030, "percent": -40.0, "base_fy": 2017}
    assert bench.expected({"period": "令和2年度", "value": "-5% or more vs FY2014 (≈571)"}, None)["comparator"] == "以上"
    assert bench.expected({"value": "< FY2013 value"}, None) == {"kind": "decrease", "base_fy": 2013}
    assert bench.expected({"value": "≈50"}, None) == {"approximate": True, "value": 50.0}
    assert bench.expected({"value": "87 → 46"}, None) == {"previous_value": 87.0, "value": 46.0}
    assert bench.expected({"value": 300, "comparator": ">="}, [{"period": "2026年", "value": 200}]) == {"value": 300.0, "comparator": "以上", "interim": [(2026, 200.0)]}


def test_a_misreading_is_listed(tmp_path):
    corpus = [{"id": "x", "indicators": [
        {"indicator_id": "x#1", "name": "排出量", "unit": "t-CO2", "direction": "lower_better", "target_wording": "2030年度までに2013年度比46%削減",
         "target": {"fy": 2030, "value": "-45% vs 2013"}},  # parsed differently on purpose
        {"indicator_id": "x#2", "name": "台数", "unit": "台", "direction": "higher_better", "target_wording": "300台以上（中間目標：2026年200台）",
         "target": {"value": 300, "comparator": ">="}, "interim_targets": [{"period": "2026年", "value": 200}]},
        {"indicator_id": "x#3", "name": "率", "unit": "%", "direction": "lower_better", "target_wording": "4.0%以上", "target": None},
    ]}]
    path = tmp_path / "corpus.yaml"
    path.write_text(yaml.safe_dump(corpus, allow_unicode=True), encoding="utf-8")
    res = bench.run(path)
    assert [w[0] for w in res["wrong"]] == ["x#1"] and "percent -46.0 ≠ -45.0" in res["wrong"][0][2]
    assert len(res["read"]) == 2 and [u[0] for u in res["unreadable"]] == ["4.0%以上"]
