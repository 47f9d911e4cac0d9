"""A plan of any size a city has (issue 11: drop-downs stopped at row 204, about
67 indicators): 300 indicators, 40 departments and 30 policies work in every
sheet of the master, every department's template and every page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from city_sized import city_sized_plan
from conftest import cli_json
from envplan.workbook.layout import HEADER_ROW, layout
from envplan.workbook.writer import save_master

# Rows staff may add by hand below what envplan wrote: 300 indicators typed into a blank master are 900 rows of 指標実績.
ROOM = 900
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _sheet_xml(master: Path) -> dict[str, ET.Element]:
    wb = openpyxl.load_workbook(master, read_only=True)
    names = wb.sheetnames
    wb.close()
    with zipfile.ZipFile(master) as z:
        return {name: ET.fromstring(z.read(f"xl/worksheets/sheet{k}.xml")) for k, name in enumerate(names, 1)}


@pytest.mark.slow
def test_a_city_sized_plan_works_in_every_sheet_template_and_page(tmp_path: Path) -> None:
    plan = city_sized_plan()
    master = tmp_path / "master.xlsx"
    save_master(plan, master)
    code, data = cli_json("validate", master, "--json")
    assert code == 0 and data["errors"] == [] and data["indicators"] == 300 and data["policies"] == 30, data["errors"][:3]

    # Every drop-down and year check reaches past the last row of its sheet, with room for rows staff add.
    lay = layout()
    wb = openpyxl.load_workbook(master)
    xml = _sheet_xml(master)
    for key in ("indicators", "values", "projects", "project_status", "project_parts", "opinions", "revisions", "related_plans"):
        spec = lay[key]
        last = wb[spec.name].max_row
        checked = [c for c in spec.columns if c.type in ("choice", "year") and (c.type == "year" or c.list)]
        for col in checked:
            letter = openpyxl.utils.get_column_letter(spec.index(col.key))
            ends = [
                range_boundaries(part)[3]
                for dv in xml[spec.name].iter(f"{{{NS['m']}}}dataValidation")
                for part in (dv.get("sqref") or "").split()
                if re.fullmatch(rf"{letter}\d+(:{letter}\d+)?", part)
            ]
            assert ends and min(ends) >= last + ROOM, (spec.name, col.header, ends, last)
    # The department and category lists offer every code.
    for name, count in (("list_departments", 40), ("list_categories", 10)):
        ref = wb.defined_names[name].attr_text
        assert range_boundaries(ref.split("!")[1].replace("$", ""))[3] >= HEADER_ROW + count, (name, ref)

    code, data = cli_json("issue", master, "--out", tmp_path / "templates", "--json")
    assert code == 0, data
    templates = sorted((tmp_path / "templates").glob("*.xlsx"))
    assert len(templates) == 40
    out = tmp_path / "site"
    code, data = cli_json("publish", master, "--out", out, "--no-pdf", "--json")
    assert code == 0, data
    assert len(list((out / "indicators").glob("*.html"))) == 300
    assert len(list((out / "policies").glob("*.html"))) == 31


def test_a_blank_master_has_drop_downs_for_a_city_sized_plan_typed_by_hand(tmp_path: Path) -> None:
    master = tmp_path / "master.xlsx"
    assert cli_json("init", master, "--start", "2021", "--end", "2030", "--current", "2024", "--json")[0] == 0
    spec = layout()["values"]
    letter = openpyxl.utils.get_column_letter(spec.index("row_kind"))
    ends = [range_boundaries(part)[3] for dv in _sheet_xml(master)[spec.name].iter(f"{{{NS['m']}}}dataValidation") for part in (dv.get("sqref") or "").split() if part.startswith(letter)]
    assert ends and min(ends) >= HEADER_ROW + ROOM, ends  # was row 204: about 67 indicators
