"""A field of the plan, named by a key, and a change to it.

A field key says which master field a value belongs to (an input cell of a
department template names one; so does a row of the change log). Both the
master's change machinery (`changes.py`) and the closed-year record
(`frozen_record.py`) speak in field keys, so they live below both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from envplan.plan.model import Plan
from envplan.plan.targets import DIRECTION_LABELS, KIND_LABELS, target_note, target_value, target_year
from envplan.workbook.field_keys import FieldKey as FieldKey  # re-exported: the keys' old home
from envplan.workbook.field_keys import decode_key as decode_key
from envplan.workbook.field_keys import encode_key as encode_key
from envplan.workbook.settings_sheet import SETTING_ROWS

# Field keys (which master field an input cell fills) and their text form: in field_keys.


@dataclass(frozen=True)
class ChangeOrigin:
    kind: str  # KIND_*
    at: str  # ISO time of the run
    department: str = ""
    file: str = ""
    sha256: str = ""
    cell: str = ""  # in the returned file: 指標!V4
    note: str = ""  # a reason (目標見直しの理由, 修正の理由)


@dataclass(frozen=True)
class FieldChange:
    key: FieldKey
    label: str  # what the field is, in Japanese
    old: Any
    new: Any
    origin: ChangeOrigin


def plan_value(plan: Plan, key: FieldKey) -> Any:
    """The current value of a field key in the plan (None when absent)."""
    kind = key[0]
    if kind == "value":
        _, ind_id, fy, what = key
        ind = plan.indicator(ind_id)
        v = ind.values.get(fy) if ind else None
        if v is None:
            return None
        value = getattr(v, what)
        return value if value != "" else None
    if kind == "project":
        _, pid, fy, what = key
        proj = next((p for p in plan.projects if p.id == pid), None)
        s = proj.status_in(fy) if proj else None
        return (getattr(s, what) or None) if s else None
    if kind == "project_part":
        _, pid, fy, dept, what = key
        proj = next((p for p in plan.projects if p.id == pid), None)
        part = proj.part_in(fy, dept) if proj else None
        return (getattr(part, what) or None) if part else None
    if kind == "policy":
        _, code, attr = key
        pol = plan.policy(code)
        return (getattr(pol, attr) or None) if pol else None
    if kind == "rating":
        _, code, fy, what = key
        pol = plan.policy(code)
        r = pol.rating_in(fy) if pol else None
        return (getattr(r, what) or None) if r else None
    if kind == "judgement":
        _, ind_id, fy, what = key
        ind = plan.indicator(ind_id)
        j = ind.judgement(fy) if ind else None
        return (getattr(j, what) or None) if j else None
    if kind == "budget":
        _, code, fy, budget_kind = key
        pol = plan.policy(code)
        line = next((b for b in pol.budget if b.fy == fy and b.kind == budget_kind), None) if pol else None
        return line.amount if line else None
    if kind == "department":
        _, code, attr = key
        d = plan.department(code)
        return (getattr(d, attr) or None) if d else None
    if kind == "setting":
        row = next(r for r in SETTING_ROWS if r.key == key[1])
        return getattr(plan, row.key) if row.on_plan else getattr(plan.settings, row.key)
    if kind == "indicator":
        _, ind_id, attr = key
        ind = plan.indicator(ind_id)
        if ind is None:
            return None
        return indicator_field(ind, attr)
    if kind == "revision":
        return None  # a revision is only ever added
    raise ValueError(f"unknown field key {key!r}")


def indicator_field(ind: Any, attr: str) -> Any:
    if attr == "target_kind":
        return KIND_LABELS[ind.target.kind]
    if attr == "target_year":
        return target_year(ind.target)
    if attr == "target_value":
        return target_value(ind.target)
    if attr == "target_note":
        return target_note(ind.target) or None
    if attr == "direction":
        return DIRECTION_LABELS[ind.direction]
    return getattr(ind, attr)


def now_text() -> str:
    return dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
