"""Filling a template as a department would, by field key (for the demo and tests).

`answers` maps a field key (e.g. ("value", "S05", 2022, "actual")) to what the
person types, which may be text like 「約480」 or 「１，３２４」.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

from envplan.survey.return_reader import read_return
from envplan.survey.template_layout import InputSpec
from envplan.workbook.fields import FieldKey
from envplan.workbook.io import CalamineSource


def input_cells(template: Path) -> dict[FieldKey, InputSpec]:
    """The template's input cells by field key."""
    source = CalamineSource(template)
    try:
        reading = read_return(source)
    finally:
        source.close()
    if reading.content is None:
        raise ValueError(f"{template.name} は照会様式ではありません")
    return {spec.key: spec for spec in reading.content.inputs}


def fill_template(template: Path, answers: dict[FieldKey, Any], out: Path) -> Path:
    """Type the answers into the input cells and save as `out` (like Excel would)."""
    cells = input_cells(template)
    missing = [k for k in answers if k not in cells]
    if missing:
        raise KeyError(f"様式 {template.name} に入力欄がありません: {missing[:3]}")
    wb = openpyxl.load_workbook(template)
    for key, value in answers.items():
        spec = cells[key]
        wb[spec.sheet][spec.ref].value = value
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
