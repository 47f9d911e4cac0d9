"""Helpers for the template / consolidation tests: issue, fill, tamper."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import openpyxl

from envplan.plan.model import Plan
from envplan.survey.reporting import departments_to_issue
from envplan.survey.template_fill import fill_template
from envplan.survey.template_identity import key_path, load_key
from envplan.survey.template_issue import issue_templates
from envplan.survey.template_layout import IDENTITY_SHEET
from envplan.workbook.io import CalamineSource
from envplan.workbook.reader import read_master


def issue(master: Path, out: Path, fy: int | None = None) -> dict[str, Path]:
    """Templates by department code."""
    paths = issue_templates(master, out, fy)
    plan = read_plan(master)
    by_name = {d.name: d.code for d in departments_to_issue(plan)}
    out_map = {}
    for p in paths:
        name = p.stem.split("_", 2)[2]
        out_map[by_name[name]] = p
    return out_map


def read_plan(master: Path) -> Plan:
    source = CalamineSource(master)
    try:
        reading = read_master(source)
    finally:
        source.close()
    assert reading.plan is not None, [d.message for d in reading.diagnostics.errors]
    return reading.plan


def fill(template: Path, answers: dict[tuple[Any, ...], Any], out: Path) -> Path:
    return fill_template(template, answers, out)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edit_cells(src: Path, edits: dict[tuple[str, str], Any], out: Path) -> Path:
    """Change cells as someone who unprotected the sheet would."""
    wb = openpyxl.load_workbook(src)
    for (sheet, ref), value in edits.items():
        wb[sheet][ref].value = value
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def set_identity(src: Path, field: str, value: str, out: Path) -> Path:
    """Rewrite one field of the hidden identity (a forgery without the key)."""
    wb = openpyxl.load_workbook(src)
    ws = wb[IDENTITY_SHEET]
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
        if row[0].value == field:
            row[1].value = value
            break
    else:
        raise KeyError(field)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def copy(src: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or src.name)
    shutil.copy2(src, target)
    return target


def key_hex(master: Path) -> str:
    return load_key(master).hex()


def issued_master(sample: Path, folder: Path) -> tuple[Path, dict[str, Path]]:
    """A copy of a sample master in `folder` with its templates issued (the base of the return tests)."""
    master = folder / "master.xlsx"
    master.write_bytes(sample.read_bytes())
    return master, issue(master, folder / "templates")


def copy_master(src: Path, folder: Path) -> Path:
    """A private copy of an issued master, with its signing key beside it."""
    target = folder / "master.xlsx"
    shutil.copy2(src, target)
    shutil.copy2(key_path(src), key_path(target))
    return target


def set_setting(master: Path, key: str, value: Any) -> str:
    """Type a value into the 設定 sheet, as staff would in Excel; returns the cell."""
    wb = openpyxl.load_workbook(master)
    ws = wb["設定"]
    row = next(r for r in ws.iter_rows(min_row=4) if r[0].value == key)
    row[2].value = value
    wb.save(master)
    return row[2].coordinate


def type_levels(master: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """Replace the 評価区分 sheet's levels (symbol, label, colour, rule) by `rows`, as staff would type them."""
    wb = openpyxl.load_workbook(master)
    ws = wb["評価区分"]
    for r in range(4, ws.max_row + 1):
        for c in range(1, 5):
            ws.cell(r, c).value = None
    for i, values in enumerate(rows):
        for c, v in enumerate(values, start=1):
            ws.cell(4 + i, c).value = v
    wb.save(master)
