"""Every case of the hostile corpus through the real `envplan consolidate`.

Each return ends in a clean reject (with the expected error code) or an
accept-with-warnings, never a traceback; a rejected return leaves every value
and the change log of the master as they were; files that cannot be attributed
to a department leave the master byte for byte unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from conftest import run_cli
from envplan.plan.diagnostics import CODES_EN
from envplan.report.typeset import plain
from envplan.survey.consolidate import consolidate
from envplan.survey.template_identity import key_path
from hostile_corpus import build_corpus, other_plan_templates
from returns_kit import issue, read_plan, sha


@pytest.fixture(scope="module")
def env(sample_masters, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    master = folder / "master.xlsx"
    master.write_bytes(sample_masters["all"].read_bytes())
    templates = issue(master, folder / "templates")
    (folder / "empty").mkdir()
    consolidate(master, folder / "empty")  # every department recorded as 未提出: later runs of refused files write nothing
    corpus = build_corpus(templates, folder / "gen", other_plan_templates=other_plan_templates(master, folder / "other"))
    return master, corpus


def _copy_master(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "master.xlsx"
    shutil.copy2(src, target)
    shutil.copy2(key_path(src), key_path(target))
    return target


def _log(master: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(master)["変更履歴"]
    return [r for r in ws.iter_rows(min_row=4, values_only=True) if any(v is not None for v in r)]


def test_corpus_covers_the_issue(env):
    _, corpus = env
    names = {c.name for c in corpus.cases}
    required = {
        "zip_bomb", "billion_laughs", "encrypted", "macros_xlsm", "external_link", "formula_with_cached_value", "formula_without_value",
        "truncated_zip", "zip_not_workbook", "other_product", "other_plan_other_key", "other_plan_same_key", "sheet_renamed",
        "sheet_deleted", "sheets_reordered", "row_hidden_and_edited", "identity_unhidden_edited", "merged_over_input", "rows_100000",
        "string_1mb_inline", "string_1mb_shared", "control_characters", "rtl_marks", "emoji", "html", "formula_injection",
        "date_in_number", "negative_indicator", "negative_amount", "nan_value", "inf_value", "signature_copied", "identity_sheet_copied",
    }
    assert required <= names, required - names
    for case in corpus.cases:
        assert all(code in CODES_EN for code in case.codes), case.name
    assert {c.name for c in corpus.cases if c.attributable} == set(ATTRIBUTABLE)


def test_unattributable_returns_in_one_cli_run(env, tmp_path):
    """One scheduler run over an inbox of every file that is not a usable return."""
    src, corpus = env
    master = _copy_master(src, tmp_path / "m")
    inbox = tmp_path / "inbox"
    cases = {c.file_name: c for c in corpus.cases if not c.attributable}
    for case in cases.values():
        case.write(inbox)
    before = sha(master)
    proc = run_cli("consolidate", master, inbox, "--json", timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["rejected"] == len(cases) and data["accepted"] == 0 and data["changes"] == 0
    for f in data["files"]:
        case = cases[f["file"]]
        codes = {e["code"] for e in f["errors"]}
        assert f["status"] == "rejected" and codes & case.codes, (case.name, f["errors"])
        assert all(e["message"] and e["message_en"] for e in f["errors"])
        assert Path(f["feedback"]).exists(), case.name  # a list of what to fix, also for a file never opened
    assert sha(master) == before
    assert not list(master.parent.glob(".*.tmp.xlsx"))


ATTRIBUTABLE = [
    "other_plan_same_key", "identity_sheet_copied", "row_hidden_and_edited", "sheet_renamed", "sheet_deleted", "sheets_reordered",
    "merged_over_input", "formula_with_cached_value", "formula_without_value", "error_value", "external_link", "macros_xlsm",
    "control_characters", "rtl_marks", "emoji", "html", "formula_injection", "date_in_number", "boolean_in_number", "nan_value",
    "inf_value", "huge_digits", "negative_indicator", "negative_amount",
]


@pytest.mark.parametrize("name", ATTRIBUTABLE)
def test_attributable_case(env, tmp_path, name):
    src, corpus = env
    case = next(c for c in corpus.cases if c.name == name)
    assert case.attributable
    master = _copy_master(src, tmp_path / "m")
    inbox = tmp_path / "inbox"
    case.write(inbox)
    plan_before, log_before = read_plan(master), _log(master)
    result = consolidate(master, inbox)
    (f,) = result.files
    errors = {e["code"] for e in f.errors}
    warnings = {w["code"] for w in f.warnings}
    assert f.status == case.expect, (f.status, f.errors, f.warnings)
    if case.expect == "rejected":
        assert errors & case.codes, f.errors
        assert read_plan(master) == plan_before and _log(master) == log_before  # nothing partial
    else:
        assert case.codes <= warnings and not errors, (f.errors, f.warnings)
        assert case.check is not None
        case.check(read_plan(master), master)
    for d in f.errors + f.warnings:
        assert d["message"] and d["code"] in CODES_EN
        if d["code"].startswith(("RETURN_FORMULA", "RETURN_CELL", "RETURN_MERGED", "TEXT_", "NUMBER_")):
            assert d["sheet"] and d["cell"], d  # cell-level problems name the sheet and cell
    if f.feedback:
        assert openpyxl.load_workbook(f.feedback).sheetnames[0] == "確認事項"


def test_hostile_text_reaches_the_public_site_inert(env, tmp_path):
    """HTML and a formula-like note accepted from a return are shown as text on the site and in open data."""
    from envplan.report.publish import publish
    from envplan.survey.template_fill import input_cells
    from hostile_corpus import BASE_ANSWERS, inline, replace_cell
    from returns_kit import fill

    src, _ = env
    master = _copy_master(src, tmp_path / "m")
    templates = issue(master, tmp_path / "t")
    html = '<script>alert("x")</script><b>速報</b>'
    injection = '=HYPERLINK("http://example.invalid/","x")'
    note2 = input_cells(templates["環境課"])[("value", "S02", 2021, "note")]
    filled = fill(templates["環境課"], {**BASE_ANSWERS, ("value", "S01", 2021, "note"): html, ("value", "S02", 2021, "actual"): 2.1}, tmp_path / "f.xlsx")
    data = replace_cell(filled.read_bytes(), note2.sheet, note2.ref, inline(note2.ref, injection.replace('"', "&quot;")))
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "r.xlsx").write_bytes(data)
    result = consolidate(master, tmp_path / "inbox")
    assert result.files[0].status == "accepted" and {"TEXT_MARKUP", "TEXT_FORMULA_LIKE"} <= {w["code"] for w in result.files[0].warnings}
    site = publish(master, tmp_path / "site", pdf=False)
    page = plain((Path(site.site_index).parent / "indicators" / "s01.html").read_text(encoding="utf-8"))
    assert "&lt;script&gt;alert" in page and "<script>alert" not in page
    rows = list(csv.DictReader(io.StringIO(Path(site.open_data["csv"]).read_text(encoding="utf-8-sig"))))
    notes = [v for row in rows for v in row.values() if v and "HYPERLINK" in v]
    assert notes == ["'" + injection]  # neutralised: a spreadsheet opening the open data shows it as text


def _scan_verdict(scan) -> tuple:  # type: ignore[no-untyped-def]
    return (
        sorted((d.code, d.sheet, d.cell, d.severity) for d in scan.problems),
        sorted((k, f.formula, f.cached) for k, f in scan.formulas.items()),
        sorted(scan.error_values.items()),
        sorted((k, sorted(v)) for k, v in scan.merges.items()),
        scan.sheets,
    )


def test_the_fast_scan_gives_the_verdicts_of_the_full_parser(env, monkeypatch):
    """Issue 13 §4: every case of the corpus (and the real returns in it) judged by the C-speed scan
    as by the element-by-element parser it replaces for small parts."""
    from envplan.survey import return_safety
    from envplan.survey.return_safety import scan_return

    _, corpus = env
    cases = [c for c in corpus.cases if c.data]
    assert len(cases) > 20
    fast_used = 0
    original = return_safety._fast_scan

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal fast_used
        judged = original(*args, **kwargs)
        fast_used += judged
        return judged

    monkeypatch.setattr(return_safety, "_fast_scan", counting)
    fast = {c.name: _scan_verdict(scan_return(c.data, c.file_name)) for c in cases}
    assert fast_used > 50  # most parts of ordinary returns take the fast path
    monkeypatch.setattr(return_safety, "_fast_scan", lambda *args, **kwargs: False)
    full = {c.name: _scan_verdict(scan_return(c.data, c.file_name)) for c in cases}
    assert fast == full


def test_a_scan_for_the_identity_sheet_alone_gives_the_verdicts_of_the_full_parser(env, monkeypatch):
    """The same for the scan made to read a return by its identity sheet alone (`only_sheets`),
    which leaves out the passes that only find what is recorded for a whole reading."""
    from envplan.survey import return_safety
    from envplan.survey.return_safety import scan_return
    from envplan.survey.template_layout import IDENTITY_SHEET

    _, corpus = env
    cases = [c for c in corpus.cases if c.data]
    only = frozenset({IDENTITY_SHEET})

    def verdict(c):  # type: ignore[no-untyped-def]
        scan = scan_return(c.data, c.file_name, only_sheets=only)
        return sorted((d.code, d.sheet, d.cell, d.severity) for d in scan.problems), scan.sheets

    fast = {c.name: verdict(c) for c in cases}
    monkeypatch.setattr(return_safety, "_fast_scan", lambda *args, **kwargs: False)
    assert fast == {c.name: verdict(c) for c in cases}
