"""Department templates: what `envplan issue` writes, checked on the files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from conftest import cli_json, examples
from envplan.survey.reporting import departments_to_issue
from envplan.survey.return_reader import check_signature, read_return, same_value
from envplan.survey.template_identity import canonical, key_id, key_path
from envplan.survey.template_issue import build_template
from envplan.survey.template_layout import CONTACT_SHEET, GUIDE_SHEET, IDENTITY_SHEET, INDICATOR_SHEET, POLICY_SHEET_PREFIX, PROJECT_SHEET
from envplan.workbook.fields import plan_value
from envplan.workbook.io import CalamineSource
from returns_kit import issue, key_hex, read_plan
from strategies import plans


@pytest.fixture(scope="module")
def issued(sample_masters, tmp_path_factory):
    folder = tmp_path_factory.mktemp("issued")
    master = folder / "master.xlsx"
    master.write_bytes(sample_masters["all"].read_bytes())
    return master, issue(master, folder / "out")


def test_cli_issues_one_named_template_per_department(sample_masters, tmp_path):
    master = tmp_path / "m.xlsx"
    master.write_bytes(sample_masters["all"].read_bytes())
    code, data = cli_json("issue", str(master), "--out", str(tmp_path / "out"), "--fy", "令和4年度", "--json")
    assert code == 0, data
    assert data["fy"] == 2022
    names = sorted(Path(p).name for p in data["templates"])
    plan = read_plan(master)
    assert names == sorted(f"進行管理照会_2022年度_{d.name}.xlsx" for d in departments_to_issue(plan))
    assert "進行管理照会_2022年度_環境部環境課.xlsx" in names
    assert key_path(master).exists() and Path(data["key"]) == key_path(master)


def test_template_holds_only_the_departments_rows(issued):
    master, templates = issued
    plan = read_plan(master)
    for dept, path in templates.items():
        wb = openpyxl.load_workbook(path)
        own = {i.id for i in plan.indicators if i.department == dept}
        if own:
            ids = {r[0] for r in wb[INDICATOR_SHEET].iter_rows(min_row=4, values_only=True) if r[0]}
            assert ids == own
        projects = {p.id for p in plan.projects if dept in p.departments}
        if projects:
            # The main table ends at the first blank row (a co-department's own-part table follows).
            main = []
            for r in wb[PROJECT_SHEET].iter_rows(min_row=4, values_only=True):
                if not r[0]:
                    break
                main.append(r[0])
            assert set(main) == projects
        policies = {f"{POLICY_SHEET_PREFIX}{p.code}" for p in plan.policies if p.department == dept}
        assert {s for s in wb.sheetnames if s.startswith(POLICY_SHEET_PREFIX)} == policies
        assert wb.sheetnames[0] == GUIDE_SHEET and CONTACT_SHEET in wb.sheetnames


def test_sheets_protected_inputs_unlocked_styled_and_validated(issued):
    _, templates = issued
    path = templates["地球環境推進室"]  # indicators with plan values, a policy, budget
    reading = read_return(CalamineSource(path))
    wb = openpyxl.load_workbook(path)
    assert wb[IDENTITY_SHEET].sheet_state == "veryHidden"
    assert wb.security.lockStructure
    for name, _mode in reading.content.sheets:
        ws = wb[name]
        assert ws.protection.sheet and not ws.protection.password  # no password: readable, safe from accidents
    inputs = {(s.sheet, s.ref): s for s in reading.content.inputs}
    for (sheet, ref), spec in inputs.items():
        cell = wb[sheet][ref]
        assert cell.protection.locked is False, (sheet, ref)
        assert cell.fill.fgColor.rgb.endswith("FFF2CC"), (sheet, ref)
        covered = [dv for dv in wb[sheet].data_validations.dataValidation if ref in dv.sqref]
        assert len(covered) == 1, (sheet, ref, spec.kind)
        dv = covered[0]
        expected = {"number": "decimal", "amount": "decimal", "text": "textLength"}.get(spec.kind, "list")
        assert dv.type == expected
    kinds = {s.kind for s in inputs.values()}
    assert {"number", "text", "amount", "choice:ratings"} <= kinds
    # A definition cell is locked.
    assert wb[INDICATOR_SHEET]["B4"].protection.locked is not False
    rating = next(s for s in inputs.values() if s.kind == "choice:ratings")
    dv = next(dv for dv in wb[rating.sheet].data_validations.dataValidation if rating.ref in dv.sqref)
    assert dv.formula1 == '"AⅠ,AⅡ,B,C"' and dv.errorStyle in (None, "stop")


def test_project_status_dropdown_and_lead_department(issued):
    _, templates = issued
    wb = openpyxl.load_workbook(templates["環境課"])
    ws = wb[PROJECT_SHEET]
    rows: dict = {}
    for r in ws.iter_rows(min_row=4):
        if r[0].value:
            rows.setdefault(r[0].value, r)  # the main table's row (its own part of P4 follows below)
    assert rows["P1"][7].protection.locked is False  # 環境課 leads P1
    assert rows["P4"][7].protection.locked is not False  # 都市計画課 leads P4
    assert "都市計画課" in str(rows["P4"][8].value)
    dv = next(dv for dv in ws.data_validations.dataValidation if rows["P1"][7].coordinate in dv.sqref)
    assert dv.formula1 == '"予定どおり,前倒し,遅れ,完了,未着手"'


def test_data_lag_opens_the_years_whose_figure_arrives_now(issued):
    _, templates = issued
    reading = read_return(CalamineSource(templates["環境課"]))
    years = {s.key[2] for s in reading.content.inputs if s.key[:2] == ("value", "S01") and s.key[3] == "actual"}
    assert years == {2020, 2021, 2022}  # CO2: 2 years late (H34時点の最新データがH32)
    years = {s.key[2] for s in reading.content.inputs if s.key[:2] == ("value", "S03") and s.key[3] == "actual"}
    assert years == {2022}


def test_identity_is_signed_and_the_key_never_leaves_the_master_folder(issued):
    master, templates = issued
    key = bytes.fromhex(key_hex(master))
    for path in templates.values():
        reading = read_return(CalamineSource(path))
        assert not reading.diagnostics.items and not reading.deviations
        assert check_signature(reading, key, key_id(key)) is None
        with zipfile.ZipFile(path) as z:
            blob = b"".join(z.read(n) for n in z.namelist())
        assert key.hex().encode() not in blob and key not in blob
    assert check_signature(read_return(CalamineSource(next(iter(templates.values())))), b"x" * 32, key_id(b"x" * 32)).code == "RETURN_OTHER_KEY"


def test_issue_refuses_a_master_with_errors(sample_masters, tmp_path):
    master = tmp_path / "m.xlsx"
    wb = openpyxl.load_workbook(sample_masters["shinagawa"])
    wb["指標"]["A4"].value = "S02"  # a duplicate indicator ID
    wb.save(master)
    code, data = cli_json("issue", str(master), "--out", str(tmp_path / "out"), "--json")
    assert code == 1 and data["errors"] and data["errors"][0]["code"] == "DUPLICATE_ID"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


_numbers = hst.one_of(hst.integers(-10**9, 10**9), hst.floats(-1e9, 1e9, allow_nan=False).map(lambda x: float(f"{x:.15g}")))
_texts = hst.text(alphabet="あ環境ABCabc0123 ()=+-@<>&\"'\n\r", max_size=30)


@settings(max_examples=examples(15), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(values=hst.lists(hst.one_of(_numbers, _texts), min_size=1, max_size=30))
def test_canonical_text_survives_a_write_and_read(values, tmp_path):
    """What openpyxl writes, calamine reads back as the same canonical text."""
    from envplan.workbook.xlsx_style import set_text

    wb = openpyxl.Workbook()
    for i, v in enumerate(values, 1):
        set_text(wb.active.cell(i, 1), v)
    path = tmp_path / "v.xlsx"
    wb.save(path)
    grid = CalamineSource(path).grid(wb.active.title)
    for i, v in enumerate(values, 1):
        assert canonical(grid.value(i, 1)) == canonical(v)


@settings(max_examples=examples(12), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=plans())
def test_any_plan_template_reads_back_as_issued(plan, tmp_path):
    """For any plan and department: the issued template verifies, no cell deviates,
    and each input cell carries the master's current value of its field."""
    key = b"k" * 32
    for dept in plan.departments[:2]:
        path = tmp_path / f"{dept.code}.xlsx"
        build_template(plan, dept, plan.current_fy, key).save(path)
        reading = read_return(CalamineSource(path))
        assert reading.content is not None
        assert check_signature(reading, key, key_id(key)) is None
        assert reading.deviations == []
        assert [d.code for d in reading.diagnostics.errors] == []
        keys = [i.spec.key for i in reading.inputs]
        assert len(keys) == len(set(keys))
        for inp in reading.inputs:
            assert same_value(inp.value, inp.issued), inp.spec
            if inp.spec.key[0] in ("value", "project", "budget", "department"):
                expected = plan_value(plan, inp.spec.key)
                expected = canonical(expected) or None if inp.spec.kind == "text" else expected
                assert same_value(inp.issued, expected), (inp.spec.key, inp.issued, expected)
        json.dumps([i.spec.key for i in reading.inputs])


@pytest.mark.parametrize("code", ["ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "41303/000:[A]*?\\x"])
def test_a_policy_code_no_sheet_name_can_hold_gives_a_template_excel_opens_and_a_return_that_lands(code, tmp_path):
    """Issue 13 §2: a code too long for a sheet name, or holding []:*?/\\, gets a shortened safe
    sheet in the template as in the master; the template survives a LibreOffice re-save (which
    cuts names Excel refuses) and its return is accepted, the policy's texts landing."""
    from conftest import soffice_convert
    from envplan.plan.samples import load_sample
    from envplan.survey.consolidate import consolidate
    from envplan.workbook.layout import MAX_SHEET_NAME, SHEET_NAME_FORBIDDEN
    from envplan.workbook.writer import save_master
    from returns_kit import fill

    plan = load_sample("kawasaki")
    old = plan.policies[0].code
    plan = plan.model_copy(
        update={
            "policies": [p.model_copy(update={"code": code}) if p.code == old else p for p in plan.policies],
            "indicators": [i.model_copy(update={"policy": code}) if i.policy == old else i for i in plan.indicators],
        }
    )
    master = tmp_path / "master.xlsx"
    save_master(plan, master)
    templates = issue(master, tmp_path / "out")
    dept = plan.policy(code).department
    with zipfile.ZipFile(templates[dept]) as z:
        names = [n for n in openpyxl.load_workbook(templates[dept], read_only=True).sheetnames]
        assert z.testzip() is None
    policy_sheets = [n for n in names if n.startswith(POLICY_SHEET_PREFIX)]
    assert len(policy_sheets) == 1 and len(policy_sheets[0]) <= MAX_SHEET_NAME and not set(policy_sheets[0]) & SHEET_NAME_FORBIDDEN, names
    guide = openpyxl.load_workbook(templates[dept])[GUIDE_SHEET]
    assert any(policy_sheets[0] in str(c.value) for r in guide.iter_rows() for c in r if c.value)  # the guide names the sheet as it is

    filled = fill(templates[dept], {("policy", code, "results"): "●フォーラムを開催しました。"}, tmp_path / "filled" / "return.xlsx")
    resaved = soffice_convert(filled, "xlsx:Calc MS Excel 2007 XML", tmp_path / "resaved")
    assert policy_sheets[0] in openpyxl.load_workbook(resaved, read_only=True).sheetnames
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    resaved.rename(inbox / "return.xlsx")
    result = consolidate(master, inbox)
    assert result.rejected == 0, [f.errors for f in result.files]
    assert read_plan(master).policy(code).results == "●フォーラムを開催しました。"
