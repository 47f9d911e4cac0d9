"""The bundled sample plans, kept as readable YAML under `workbook/samples/`."""

from __future__ import annotations

from typing import Literal

import yaml

from envplan.paths import SAMPLES_DIR
from envplan.plan.model import Plan

SampleName = Literal["shinagawa", "kawasaki", "all"]
SAMPLE_NAMES: tuple[str, ...] = ("shinagawa", "kawasaki", "all")


def load_sample(name: str) -> Plan:
    if name == "all":
        return merge_plans(load_sample("shinagawa"), load_sample("kawasaki"))
    if name not in SAMPLE_NAMES:
        raise ValueError(f"サンプル「{name}」はありません（{'、'.join(SAMPLE_NAMES)}）")
    with open(SAMPLES_DIR / f"{name}.yaml", encoding="utf-8") as f:
        return Plan.model_validate(yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))  # libyaml when present: faster


def merge_plans(main: Plan, other: Plan) -> Plan:
    """One workbook holding both plans: `main` gives the plan's name and period,
    `other` adds its categories, departments, indicators and policies."""
    merged = main.model_copy(deep=True)
    for field in ("categories", "departments", "indicators", "projects", "related_plans", "policies", "opinions", "glossary"):
        ours = getattr(merged, field)
        keys = {_key(x) for x in ours}
        for item in getattr(other, field):
            if _key(item) in keys:
                raise ValueError(f"統合する計画で {field} の「{_key(item)}」が重複しています")
            ours.append(item.model_copy(deep=True))
    merged.source_note = "\n".join(n for n in (main.source_note, other.source_note) if n)
    return merged


def _key(item: object) -> str:
    for attr in ("id", "code", "term"):
        if hasattr(item, attr):
            return str(getattr(item, attr))
    raise TypeError(type(item).__name__)
