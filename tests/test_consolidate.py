"""Consolidating returned templates into the master, on real files.

Templates are issued once from the combined sample (Shinagawa with its
illustrative actuals, and Kawasaki's policy sheet); each test works on its own
copy of the master and its signing key.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from conftest import cli_json, run_cli, soffice_convert
from envplan.survey.consolidate import ConsolidationError, consolidate
from envplan.survey.template_identity import key_path
from envplan.survey.template_layout import CONTACT_SHEET, FEEDBACK_SHEET, INDICATOR_SHEET
from envplan.workbook.store import MasterLock
from returns_kit import copy, copy_master, edit_cells, fill, issue, issued_master, read_plan, set_identity, sha

S01_2021 = ("value", "S01", 2021, "actual")
S05_2022 = ("value", "S05", 2022, "actual")


@pytest.fixture(scope="module")
def base(sample_masters, tmp_path_factory):
    return issued_master(sample_masters["all"], tmp_path_factory.mktemp("base"))


@pytest.fixture
def master(base, tmp_path):
    """A private copy of the master with its key."""
    return copy_master(base[0], tmp_path)


@pytest.fixture
def templates(base):
    return base[1]


def _env_answers(s01: object = "１，３９０") -> dict:
    return {
        S01_2021: s01,
        ("value", "S01", 2021, "note"): "速報値",
        ("project", "P1", 2022, "status"): "予定どおり",
        ("project", "P1", 2022, "comment"): "民間事業者2社と協定を締結",
        ("department", "環境課", "contact"): "環境 太郎",
        ("department", "環境課", "phone"): "03-0000-0000",
    }


def _log_rows(master: Path) -> list[dict]:
    ws = openpyxl.load_workbook(master)["変更履歴"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    if not rows or rows[0][0] != "日時":
        return []
    header = rows[0]
    return [dict(zip(header, r)) for r in rows[1:] if any(v is not None for v in r)]


def _submissions(master: Path) -> dict[str, dict]:
    ws = openpyxl.load_workbook(master)["提出状況"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    header = rows[0]
    return {r[1]: dict(zip(header, r)) for r in rows[1:] if r[1]}


def test_filled_template_round_trip(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], _env_answers(), inbox / "環境課.xlsx")
    fill(
        templates["地球環境推進室"],
        {
            ("policy", "41303000", "results"): "●フォーラムを開催しました。",
            ("rating", "41303000", 2022, "rating"): "AⅠ",
            ("rating", "41303000", 2022, "reason"): "計画どおり推進したため",
            ("budget", "41303000", 2022, "予算"): "２１，９５９",
            ("value", "K41303000-1", 2022, "actual"): 1200,
        },
        inbox / "地球環境推進室.xlsm".replace(".xlsm", ".xlsx"),
    )
    code, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert code == 0, data
    assert (data["accepted"], data["rejected"], data["unchanged"]) == (2, 0, 0)
    # 6 + 5, the policy's evaluation year moving to 2022, and its 2013 remaining issues
    # replaced by this year's (left blank): last year's texts do not pass for this year's.
    assert data["changes"] == 13
    env = next(f for f in data["files"] if f["department"] == "環境課")
    assert env["status"] == "accepted" and env["errors"] == [] and env["changes"] == 6
    plan = read_plan(master)
    assert plan.indicator("S01").values[2021].actual == 1390
    assert plan.indicator("S01").values[2021].note == "速報値"
    p1 = next(p for p in plan.projects if p.id == "P1")
    assert p1.status_in(2022).status == "予定どおり" and "協定" in p1.status_in(2022).comment
    assert plan.department("環境課").contact == "環境 太郎"
    pol = plan.policy("41303000")
    assert pol.results == "●フォーラムを開催しました。" and pol.evaluation_fy == 2022 and pol.remaining_issues == ""
    kawasaki = next(f for f in data["files"] if f["department"] == "地球環境推進室")
    assert [w["code"] for w in kawasaki["warnings"]] == ["RETURN_REQUIRED_BLANK"]  # two indicators of the sheet left blank
    assert pol.rating_in(2022).rating == "AⅠ" and pol.rating_in(2013).rating == "AⅡ"  # history kept
    assert any(b.fy == 2022 and b.kind == "予算" and b.amount == 21959 for b in pol.budget)
    assert plan.indicator("K41303000-1").values[2022].actual == 1200
    log = _log_rows(master)
    assert len(log) == 13
    cleared = next(r for r in log if r["項目キー"] == '["policy","41303000","remaining_issues"]')
    assert cleared["変更前"].startswith("●(仮称)川崎市グリーン") and cleared["変更後"] == "（空欄）"
    row = next(r for r in log if r["項目キー"] == '["value","S01",2021,"actual"]')
    assert (row["変更前"], row["変更後"], row["所管課"], row["提出ファイル"]) == ("（空欄）", 1390, "環境課", "環境課.xlsx")
    assert row["SHA-256"] == sha(inbox / "環境課.xlsx") and row["提出ファイルのセル"].startswith("指標!")
    assert row["シート"] == "指標実績" and row["セル"]
    subs = _submissions(master)
    assert subs["環境課"]["状況"] == "受理" and subs["清掃事務所"]["状況"] == "未提出"
    assert subs["環境課"]["SHA-256"] == sha(inbox / "環境課.xlsx")
    backups = list((master.parent / "バックアップ").glob("master.*.xlsx"))
    assert len(backups) == 1  # the master was written once, the old one kept


def test_second_run_changes_nothing(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], _env_answers(), inbox / "a.xlsx")
    first = consolidate(master, inbox)
    assert first.accepted == 1 and first.changes == 6
    before = sha(master)
    second = consolidate(master, inbox)
    assert (second.accepted, second.rejected, second.unchanged, second.changes) == (0, 0, 1, 0)
    assert not second.written and sha(master) == before
    assert len(list((master.parent / "バックアップ").iterdir())) == 1


def test_resubmission_replaces_values_and_logs_old_to_new(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], _env_answers(), inbox / "環境課.xlsx")
    consolidate(master, inbox)
    # The corrected return replaces the first one in the inbox, as a department would send it.
    fill(templates["環境課"], _env_answers("1,402"), inbox / "環境課.xlsx")
    result = consolidate(master, inbox)
    assert (result.accepted, result.changes) == (1, 1)
    assert read_plan(master).indicator("S01").values[2021].actual == 1402
    last = _log_rows(master)[-1]
    assert (last["変更前"], last["変更後"]) == (1390, 1402)
    assert _submissions(master)["環境課"]["SHA-256"] == sha(inbox / "環境課.xlsx")


def test_two_returns_of_one_department_the_later_wins(master, templates, tmp_path):
    import time

    inbox = tmp_path / "inbox"
    # Same template (same issue time): the workbook's own save time decides, not the name.
    fill(templates["環境課"], _env_answers("1,395"), inbox / "1回目.xlsx")
    time.sleep(1.1)
    fill(templates["環境課"], _env_answers("1,380"), inbox / "0_later.xlsx")
    result = consolidate(master, inbox)
    by_file = {f.file: f for f in result.files}
    assert by_file["0_later.xlsx"].status == "accepted"
    assert by_file["1回目.xlsx"].status == "superseded" and by_file["1回目.xlsx"].superseded_by == "0_later.xlsx"
    assert by_file["1回目.xlsx"].warnings[0]["code"] == "RETURN_SUPERSEDED"
    assert read_plan(master).indicator("S01").values[2021].actual == 1380
    assert _submissions(master)["環境課"]["ファイル"] == "0_later.xlsx"


def _rejected(master: Path, inbox: Path, code: str) -> dict:
    before = read_plan(master)
    log_before = _log_rows(master)
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 1, data
    assert data["rejected"] == 1 and data["changes"] == 0
    f = data["files"][0]
    assert f["status"] == "rejected"
    assert code in [e["code"] for e in f["errors"]], f["errors"]
    assert read_plan(master) == before and _log_rows(master) == log_before  # no value touched
    return next(e for e in f["errors"] if e["code"] == code)


def test_tampered_locked_cell_is_rejected(master, templates, tmp_path):
    filled = fill(templates["環境課"], _env_answers(), tmp_path / "f.xlsx")
    edit_cells(filled, {(INDICATOR_SHEET, "B4"): "品川区のCO2排出量（改）"}, tmp_path / "inbox" / "t.xlsx")
    err = _rejected(master, tmp_path / "inbox", "RETURN_LOCKED_CHANGED")
    assert (err["sheet"], err["cell"]) == (INDICATOR_SHEET, "B4")
    assert "変更できません" in err["message"] and "品川区のCO2排出量" in err["message"]


def test_wrong_fiscal_year_is_rejected(master, tmp_path):
    other = issue(master, tmp_path / "old", fy=2021)
    fill(other["環境課"], {("value", "S03", 2021, "actual"): 30}, tmp_path / "inbox" / "r.xlsx")
    err = _rejected(master, tmp_path / "inbox", "RETURN_WRONG_YEAR")
    assert "2021年度（令和3年度）用" in err["message"] and "2022年度" in err["message"]
    assert _submissions(master)["環境課"]["状況"] == "差戻し"


def test_forged_department_is_rejected(master, templates, tmp_path):
    filled = fill(templates["環境課"], _env_answers(), tmp_path / "f.xlsx")
    set_identity(filled, "department", "清掃事務所", tmp_path / "inbox" / "forged.xlsx")
    err = _rejected(master, tmp_path / "inbox", "RETURN_SIGNATURE_INVALID")
    assert "変更されている" in err["message"]


def test_rows_of_another_department_are_rejected(master, templates, tmp_path):
    filled = fill(templates["環境課"], _env_answers(), tmp_path / "f.xlsx")
    ws_rows = openpyxl.load_workbook(filled)[INDICATOR_SHEET].max_row
    r = ws_rows + 1
    edit_cells(filled, {(INDICATOR_SHEET, f"A{r}"): "S05", (INDICATOR_SHEET, f"I{r}"): "実績値", (INDICATOR_SHEET, f"V{r}"): 480}, tmp_path / "inbox" / "x.xlsx")
    err = _rejected(master, tmp_path / "inbox", "RETURN_FOREIGN_ROW")
    assert err["cell"] == f"A{r}" and "清掃事務所" in err["message"]


@pytest.mark.parametrize(
    ("name", "content", "code", "message"),
    [
        ("notes.xlsx", b"this is not a workbook\n", "RETURN_NOT_WORKBOOK", "ワークブック（.xlsx）ではありません"),
        ("old.xls", bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600, "RETURN_XLS", "「.xls形式は読み込めません。.xlsx形式で保存し直してください」"),
        ("truncated.xlsx", None, "RETURN_TRUNCATED", "途中で切れているか壊れています"),
    ],
)
def test_files_that_are_not_returns_are_rejected_and_the_master_untouched(master, templates, tmp_path, name, content, code, message):
    (tmp_path / "empty").mkdir()
    consolidate(master, tmp_path / "empty")  # the first run records every department as 未提出
    before = sha(master)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    if content is None:
        data = fill(templates["環境課"], _env_answers(), tmp_path / "f.xlsx").read_bytes()
        content = data[: len(data) // 2]
    (inbox / name).write_bytes(content)
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 1 and data["rejected"] == 1
    f = data["files"][0]
    assert f["file"] == name and f["status"] == "rejected" and f["department"] == ""
    assert f["errors"][0]["code"] == code and message in f["errors"][0]["message"]
    assert sha(master) == before
    feedback = Path(f["feedback"])
    assert feedback.exists() and openpyxl.load_workbook(feedback).sheetnames == [FEEDBACK_SHEET]


def test_values_are_normalised_and_checked_like_validate(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    fill(templates["清掃事務所"], {S05_2022: "約４８０ｇ", ("value", "S06", 2022, "actual"): 350}, inbox / "c.xlsx")
    result = consolidate(master, inbox)
    f = result.files[0]
    assert f.status == "accepted", f.errors
    codes = {w["code"] for w in f.warnings}
    assert {"NUMBER_APPROXIMATE", "NUMBER_UNIT_STRIPPED", "VALUE_JUMP"} <= codes  # 資源化率 24% → 350%
    jump = next(w for w in f.warnings if w["code"] == "VALUE_JUMP")
    assert jump["sheet"] == INDICATOR_SHEET and jump["cell"]
    assert read_plan(master).indicator("S05").values[2022].actual == 480
    assert Path(f.feedback).name == "c_確認.xlsx"


def test_bad_number_rejects_the_whole_return_with_a_feedback_copy(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    answers = _env_answers()
    answers[("value", "S03", 2022, "actual")] = "たくさん"
    fill(templates["環境課"], answers, inbox / "env.xlsx")
    result = consolidate(master, inbox)
    f = result.files[0]
    assert f.status == "rejected" and f.changes == 0
    err = f.errors[0]
    assert err["code"] == "NUMBER_INVALID" and err["sheet"] == INDICATOR_SHEET and "たくさん" in err["message"]
    assert read_plan(master).indicator("S01").values.get(2021) is None  # nothing partial
    feedback = Path(f.feedback)
    wb = openpyxl.load_workbook(feedback)
    assert wb.sheetnames[0] == FEEDBACK_SHEET
    listed = [r for r in wb[FEEDBACK_SHEET].iter_rows(min_row=4, values_only=True) if r[0]]
    assert listed[0][:3] == ("エラー", INDICATOR_SHEET, err["cell"])
    marked = wb[INDICATOR_SHEET][err["cell"]]
    assert marked.comment is not None and "たくさん" in marked.comment.text
    # The department fixes the feedback copy and sends it back: accepted.
    fixed = tmp_path / "inbox2"
    edit_cells(feedback, {(INDICATOR_SHEET, err["cell"]): 31}, fixed / feedback.name)
    again = consolidate(master, fixed)
    assert again.files[0].status == "accepted", again.files[0].errors
    assert read_plan(master).indicator("S03").values[2022].actual == 31


def test_master_edit_after_issue_is_kept_when_the_return_left_it(master, templates, tmp_path):
    wb = openpyxl.load_workbook(master)
    ws = wb["所管課"]
    row = next(r for r in ws.iter_rows(min_row=4) if r[0].value == "環境課")
    row[2].value = "品川 花子"  # staff set the contact after the templates went out
    wb.save(master)
    answers = {S01_2021: 1390}
    fill(templates["環境課"], answers, tmp_path / "inbox" / "e.xlsx")
    result = consolidate(master, tmp_path / "inbox")
    f = result.files[0]
    assert f.status == "accepted" and "RETURN_MASTER_NEWER" in {w["code"] for w in f.warnings}
    assert read_plan(master).department("環境課").contact == "品川 花子"


def test_libreoffice_saved_return_is_accepted(master, templates, tmp_path):
    filled = fill(templates["環境課"], _env_answers(), tmp_path / "filled" / "環境課.xlsx")
    saved = soffice_convert(filled, "xlsx", tmp_path / "lo")
    inbox = tmp_path / "inbox"
    copy(saved, inbox)
    result = consolidate(master, inbox)
    f = result.files[0]
    assert f.status == "accepted", f.errors
    assert f.changes == 6
    plan = read_plan(master)
    assert plan.indicator("S01").values[2021].actual == 1390
    assert next(p for p in plan.projects if p.id == "P1").status_in(2022).status == "予定どおり"


def test_the_feedback_copy_of_a_libreoffice_return_hides_the_identity_sheet_again(master, templates, tmp_path):
    """LibreOffice saves the very hidden 様式情報 as merely hidden (Excel's 再表示 would show it); the
    feedback copy, the file the clerk edits next, has it very hidden again."""
    from envplan.survey.template_layout import IDENTITY_SHEET

    filled = fill(templates["環境課"], _env_answers("たくさん"), tmp_path / "filled" / "環境課.xlsx")
    saved = soffice_convert(filled, "xlsx", tmp_path / "lo")
    assert openpyxl.load_workbook(saved)[IDENTITY_SHEET].sheet_state == "hidden"  # what LibreOffice made of it
    inbox = tmp_path / "inbox"
    copy(saved, inbox)
    f = consolidate(master, inbox).files[0]
    assert f.status == "rejected" and f.feedback
    assert openpyxl.load_workbook(f.feedback)[IDENTITY_SHEET].sheet_state == "veryHidden"


def test_concurrent_runs_are_refused(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], _env_answers(), inbox / "e.xlsx")
    before = sha(master)
    with MasterLock(master):
        proc = run_cli("consolidate", str(master), str(inbox))
    assert proc.returncode == 2
    assert "別の処理が使用中" in proc.stderr
    (master.parent / f"~${master.name}").write_text("excel")
    code, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert code == 2 and "Excel などで開かれています" in data["error"]["message"]
    assert sha(master) == before


def test_missing_key_is_an_environment_error(master, tmp_path):
    key_path(master).unlink()
    (tmp_path / "inbox").mkdir()
    with pytest.raises(ConsolidationError) as e:
        consolidate(master, tmp_path / "inbox")
    assert e.value.exit_code == 2 and "署名鍵" in str(e.value)


def test_a_return_may_not_write_a_field_reassigned_to_another_department(master, templates, tmp_path):
    fill(templates["環境課"], _env_answers(), tmp_path / "inbox" / "e.xlsx")
    wb = openpyxl.load_workbook(master)
    ws = wb["指標"]
    dept_col = next(c.column for c in ws[3] if c.value == "所管課")
    row = next(r for r in ws.iter_rows(min_row=4) if r[0].value == "S01")
    ws.cell(row[0].row, dept_col).value = "清掃事務所"  # S01 moved to another department after issue
    wb.save(master)
    result = consolidate(master, tmp_path / "inbox")
    f = result.files[0]
    assert f.status == "rejected"
    err = next(e for e in f.errors if e["code"] == "RETURN_NOT_OWNER")
    assert "清掃事務所" in err["message"] and err["sheet"] == INDICATOR_SHEET


def test_contact_sheet_is_an_input_and_a_contact_of_another_department_is_not(master, templates, tmp_path):
    filled = fill(templates["環境課"], {("department", "環境課", "email"): "kankyo@example.jp", S01_2021: 1390}, tmp_path / "inbox" / "e.xlsx")
    assert consolidate(master, filled.parent).files[0].status == "accepted"
    assert read_plan(master).department("環境課").email == "kankyo@example.jp"
    wb = openpyxl.load_workbook(filled)
    assert wb[CONTACT_SHEET]["B4"].value == "環境課"


def test_parallel_reading_gives_the_same_result(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    for dept, path in templates.items():
        copy(path, inbox, f"{dept}.xlsx")
    fill(templates["環境課"], _env_answers(), inbox / "環境課.xlsx")
    result = consolidate(master, inbox, jobs=2)
    # Templates sent back as issued are 未記入 where they ask for something (a project's status),
    # 受理 where every figure due was already in them; whichever process read them.
    assert (result.accepted, result.blank, result.rejected) == (5, 4, 0)
    assert result.changes == 6


def _set_value(master: Path, ind: str, fy: int, kind: str, value: object) -> None:
    from envplan.workbook.io import CalamineSource
    from envplan.workbook.reader import read_master

    sheet, ref = read_master(CalamineSource(master)).where[("value", ind, fy, kind)]
    wb = openpyxl.load_workbook(master)
    wb[sheet][ref].value = value
    wb.save(master)


def test_staff_edit_after_an_import_is_not_undone(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], _env_answers(), inbox / "環境課.xlsx")
    consolidate(master, inbox)
    _set_value(master, "S01", 2021, "actual", 1400)  # staff correct the figure in Excel
    rerun = consolidate(master, inbox)
    assert rerun.files[0].status == "unchanged" and rerun.changes == 0
    assert read_plan(master).indicator("S01").values[2021].actual == 1400
    # A real resubmission still replaces it, and says that it overrode a master edit.
    fill(templates["環境課"], _env_answers("1,395"), inbox / "環境課.xlsx")
    again = consolidate(master, inbox)
    f = again.files[0]
    assert f.status == "accepted" and "RETURN_OVERRIDES_MASTER" in {w["code"] for w in f.warnings}
    assert read_plan(master).indicator("S01").values[2021].actual == 1395
    assert _log_rows(master)[-1]["変更前"] == 1400


def _consolidated(master: Path, inbox: Path) -> tuple[int, dict, dict[str, dict]]:
    """`envplan consolidate --json` run for real: (exit code, the JSON, each file's entry by name)."""
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    return rc, data, {f["file"]: f for f in data.get("files", [])}


def _in_order(*paths: Path) -> None:
    """Modification times in the given order (the save times may fall in one second)."""
    import os

    for i, p in enumerate(paths):
        os.utime(p, (1_800_000_000 + i, 1_800_000_000 + i))


def test_a_later_rejected_return_supersedes_nothing_and_batching_does_not_matter(base, master, templates, tmp_path):
    """Issue 13 §1: the latest return that passes the checks is applied, in one run or in two."""
    inbox = tmp_path / "inbox"
    v1 = fill(templates["環境課"], _env_answers("1,395"), inbox / "v1.xlsx")
    v2 = fill(templates["環境課"], _env_answers("たくさん"), inbox / "v2.xlsx")
    _in_order(v1, v2)
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 1, data
    by_file = {f["file"]: f for f in data["files"]}
    assert by_file["v1.xlsx"]["status"] == "accepted" and by_file["v1.xlsx"]["changes"] > 0
    assert by_file["v2.xlsx"]["status"] == "rejected" and by_file["v2.xlsx"]["feedback"]
    assert by_file["v2.xlsx"]["superseded_by"] == "" and by_file["v1.xlsx"]["superseded_by"] == ""
    assert read_plan(master).indicator("S01").values[2021].actual == 1395
    row = _submissions(master)["環境課"]
    assert (row["状況"], row["ファイル"], row["値を取り込んだファイル"]) == ("差戻し", "v2.xlsx", "v1.xlsx")
    assert "先に受理した「v1.xlsx」の値がそのまま有効です" in row["内容"]
    one_run = read_plan(master)

    # The same files arriving in two runs give the same master and the same tracker status.
    second = tmp_path / "second"
    second.mkdir()
    m2 = copy_master(base[0], second)
    inbox2 = tmp_path / "inbox2"
    copy(v1, inbox2)
    assert cli_json("consolidate", str(m2), str(inbox2), "--json")[0] == 0
    copy(v2, inbox2)
    _in_order(inbox2 / "v1.xlsx", inbox2 / "v2.xlsx")
    rc, data = cli_json("consolidate", str(m2), str(inbox2), "--json")
    assert rc == 1
    by_file = {f["file"]: f for f in data["files"]}
    assert by_file["v1.xlsx"]["status"] == "unchanged" and by_file["v2.xlsx"]["status"] == "rejected"
    assert read_plan(m2) == one_run
    row2 = _submissions(m2)["環境課"]
    assert (row2["状況"], row2["値を取り込んだファイル"]) == ("差戻し", "v1.xlsx")
    # Running again on the same inbox changes nothing.
    before = m2.read_bytes()
    rc, data = cli_json("consolidate", str(m2), str(inbox2), "--json")
    assert rc == 1 and data["written"] is False and m2.read_bytes() == before


def test_a_rejected_return_taken_in_before_the_valid_one_records_the_values_that_landed(base, master, templates, tmp_path):
    """The later rejected v2 consolidated alone first, then v1 arriving: v1's values land and the
    tracker says so, as after one run over both; a staff correction made after that is kept by
    every later run (v1 is recorded as applied, never applied again)."""
    inbox = tmp_path / "inbox"
    v1 = fill(templates["環境課"], _env_answers("1,395"), tmp_path / "made" / "v1.xlsx")
    v2 = fill(templates["環境課"], _env_answers("たくさん"), tmp_path / "made" / "v2.xlsx")
    _in_order(v1, v2)
    (tmp_path / "one").mkdir()
    one = copy_master(base[0], tmp_path / "one")
    both = tmp_path / "both"
    copy(v1, both)
    copy(v2, both)
    _in_order(both / "v1.xlsx", both / "v2.xlsx")
    assert cli_json("consolidate", str(one), str(both), "--json")[0] == 1

    copy(v2, inbox)
    assert cli_json("consolidate", str(master), str(inbox), "--json")[0] == 1
    assert _submissions(master)["環境課"]["状況"] == "差戻し"
    copy(v1, inbox)
    _in_order(inbox / "v1.xlsx", inbox / "v2.xlsx")
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 1 and {f["file"]: f["status"] for f in data["files"]} == {"v1.xlsx": "accepted", "v2.xlsx": "rejected"}
    assert read_plan(master) == read_plan(one)
    shown = ("状況", "エラー", "警告", "変更", "内容", "ファイル", "値を取り込んだファイル", "SHA-256", "取り込んだファイルのSHA-256")
    row, row_one = _submissions(master)["環境課"], _submissions(one)["環境課"]
    assert {k: row[k] for k in shown} == {k: row_one[k] for k in shown}
    assert row["値を取り込んだファイル"] == "v1.xlsx" and "先に受理した「v1.xlsx」の値がそのまま有効です" in row["内容"]

    # The section corrects v1's value in the master; the next run keeps the correction.
    wb = openpyxl.load_workbook(master)
    ws = wb["指標実績"]
    column = next(c.column for c in ws[3] if c.value == "2021年度")
    row = next(r[0].row for r in ws.iter_rows(min_row=4) if r[0].value == "S01" and r[3].value == "実績値")
    assert ws.cell(row, column).value == 1395
    ws.cell(row, column).value = 1396
    wb.save(master)
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 1 and data["changes"] == 0, data
    assert {f["file"]: f["status"] for f in data["files"]}["v1.xlsx"] == "unchanged"
    assert read_plan(master).indicator("S01").values[2021].actual == 1396
    out = run_cli("consolidate", str(master), str(inbox))
    assert "最新の提出は差戻しのため、先に受理した「v1.xlsx」の値がそのまま有効です" in out.stdout + out.stderr  # said on the console too


def test_the_same_file_sent_twice_is_said_to_be_a_duplicate(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    v1 = fill(templates["環境課"], _env_answers("1,395"), inbox / "回答.xlsx")
    twice = copy(v1, inbox, "回答 (1).xlsx")
    _in_order(v1, twice)
    result = consolidate(master, inbox)
    by_file = {f.file: f for f in result.files}
    assert by_file["回答 (1).xlsx"].status == "accepted" and by_file["回答.xlsx"].status == "superseded"
    [w] = by_file["回答.xlsx"].warnings
    assert "同じ内容のファイル「回答 (1).xlsx」と重複している" in w["message"], w


def test_an_older_return_is_reported_as_superseded(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    v1 = fill(templates["環境課"], _env_answers("1,395"), inbox / "v1.xlsx")
    v2 = fill(templates["環境課"], _env_answers("1,380"), inbox / "v2.xlsx")
    _in_order(v1, v2)
    rc, data, by_file = _consolidated(master, inbox)
    assert rc == 0, data
    assert (by_file["v1.xlsx"]["status"], by_file["v1.xlsx"]["superseded_by"]) == ("superseded", "v2.xlsx")
    assert data["superseded"] == 1 and data["unchanged"] == 0
    out = run_cli("consolidate", str(master), str(inbox))
    text = out.stdout + out.stderr
    assert "新しい提出あり" in text and "新しい提出で置き換え 1" in text


def test_a_blank_return_is_a_warning_and_the_tracker_keeps_chasing_it(master, templates, tmp_path):
    """Issue 13 §2: the template sent back with only the contact filled is 未記入, not 受理."""
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], {("department", "環境課", "contact"): "環境 太郎"}, inbox / "環境課.xlsx")
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 0, data
    f = data["files"][0]
    assert (f["status"], f["changes"], data["blank"]) == ("blank", 0, 1)
    assert [w["code"] for w in f["warnings"]] == ["RETURN_BLANK"] and "入力欄がすべて空欄です（担当者の欄のほかは発行時のままです）" in f["warnings"][0]["message"]
    assert _submissions(master)["環境課"]["状況"] == "未記入"
    out = run_cli("consolidate", str(master), str(inbox))
    assert "未記入" in out.stdout + out.stderr and "環境部環境課" in out.stdout + out.stderr  # listed with those still to chase


def test_a_later_blank_return_supersedes_nothing(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    v1 = fill(templates["環境課"], _env_answers("1,395"), inbox / "v1.xlsx")
    v2 = fill(templates["環境課"], {}, inbox / "v2.xlsx")
    _in_order(v1, v2)
    result = consolidate(master, inbox)
    assert {f.file: f.status for f in result.files} == {"v1.xlsx": "accepted", "v2.xlsx": "blank"}
    assert "入力欄がすべて空欄です（発行時のままです）" in next(f for f in result.files if f.file == "v2.xlsx").warnings[0]["message"]
    assert read_plan(master).indicator("S01").values[2021].actual == 1395
    row = _submissions(master)["環境課"]
    assert row["状況"] == "未記入" and "先に受理した「v1.xlsx」の値がそのまま有効です" in row["内容"]


def test_a_partly_filled_return_names_the_required_inputs_left_blank(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], {("value", "S01", 2022, "actual"): 1380}, inbox / "環境課.xlsx")
    result = consolidate(master, inbox)
    f = result.files[0]
    assert f.status == "accepted" and f.changes == 1
    blank = [w for w in f.warnings if w["code"] == "RETURN_REQUIRED_BLANK"]
    assert len(blank) == 1, f.warnings
    message = blank[0]["message"]
    # The figures due this year are there (prefilled or typed); the two projects' statuses are not.
    # A co-department's status (④⑤) is optional, and S01/S02's 2022 figures are not due (2-year lag).
    assert "2か所" in message and "①" in message and "③" in message and "④" not in message and "S0" not in message
    assert blank[0]["sheet"] == "重点プロジェクト" and blank[0]["cell"] == "H4"


def test_a_figure_answered_with_a_dash_is_not_listed_as_blank(master, templates, tmp_path):
    """「－」 (or 未集計) typed for a figure due this year is the clerk's answer that there is none:
    not a blank input to chase (the value stays empty, as 「－」 always reads)."""
    from envplan.survey.template_fill import input_cells

    template = templates["地球環境推進室"]
    due = [k for k in input_cells(template) if k[0] == "value" and k[2] == 2022 and k[3] == "actual"]
    assert len(due) >= 2
    rating = {("rating", "41303000", 2022, "rating"): "AⅠ"}
    inbox = tmp_path / "inbox"
    fill(template, {**rating, due[0]: "ー", **{k: "－" for k in due[1:-1]}, due[-1]: "未集計"}, inbox / "地球環境推進室.xlsx")
    f = consolidate(master, inbox).files[0]
    codes = [w["code"] for w in f.warnings]
    assert f.status == "accepted" and "RETURN_REQUIRED_BLANK" not in codes, f.warnings
    assert codes.count("NUMBER_NO_VALUE") == 1  # 「ー」, the kana long mark: read as 「－」, and said
    # Left empty instead, the same figures are listed.
    (tmp_path / "again").mkdir()
    other = copy_master(master, tmp_path / "again")
    fill(template, rating, tmp_path / "again" / "inbox" / "地球環境推進室.xlsx")
    f = consolidate(other, tmp_path / "again" / "inbox").files[0]
    [w] = [w for w in f.warnings if w["code"] == "RETURN_REQUIRED_BLANK"]
    assert f"{len(due)}か所" in w["message"], w


def test_a_cover_letter_is_listed_as_not_a_return(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], _env_answers(), inbox / "環境課.xlsx")
    (inbox / "送付状.docx").write_bytes(b"PK\x03\x04not really a document")
    (inbox / "回答の説明.pdf").write_bytes(b"%PDF-1.4\n")
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 0, data  # nobody's 差戻し
    assert data["rejected"] == 0 and sorted(data["not_returns"]) == ["回答の説明.pdf", "送付状.docx"]
    assert [f["file"] for f in data["files"]] == ["環境課.xlsx"]
    out = run_cli("consolidate", str(master), str(inbox))
    assert "様式ではないため読み込まなかったファイル" in out.stdout + out.stderr and "送付状.docx" in out.stdout + out.stderr


def test_a_large_inbox_prints_a_summary_and_the_full_table_with_verbose(master, templates, tmp_path):
    inbox = tmp_path / "inbox"
    one = fill(templates["環境課"], _env_answers(), tmp_path / "one.xlsx")
    for i in range(55):
        copy(one, inbox, f"r{i:03d}.xlsx")
    copy(templates["都市計画課"], inbox, "blank.xlsx")  # sent back as issued (it leads ④): 未記入, listed
    out = run_cli("consolidate", str(master), str(inbox), "--jobs", "1")
    text = out.stdout + out.stderr
    assert "ファイル 56 件のうち、確認が必要な" in text and "--verbose" in text
    assert "blank.xlsx" in text and "r000.xlsx" not in text
    verbose = run_cli("consolidate", str(master), str(inbox), "--jobs", "1", "--verbose")
    assert "r000.xlsx" in verbose.stdout + verbose.stderr and "r054.xlsx" in verbose.stdout + verbose.stderr


def test_the_sections_own_judgement_travels_through_the_template_into_the_master(master, templates, tmp_path):
    """評価 per indicator and year: issued as a list of the scheme's symbols beside the actual, read back,
    carried into the 指標の評価 sheet (logged), and shown beside the computed level with the flag."""
    wb = openpyxl.load_workbook(templates["環境課"])
    ws = wb["指標"]
    kinds = {ws.cell(r, 9).value for r in range(4, ws.max_row + 1)}
    assert {"評価", "評価の理由"} <= kinds
    level_cells = [dv for dv in ws.data_validations.dataValidation if dv.promptTitle == "評価"]
    assert level_cells and level_cells[0].formula1 == '"◎,○,△,▲,✕,－"'  # the default scheme's symbols
    inbox = tmp_path / "inbox"
    fill(templates["環境課"], {**_env_answers(), ("judgement", "S01", 2021, "level"): "△", ("judgement", "S01", 2021, "reason"): "速報値で判断"}, inbox / "環境課.xlsx")
    fill(templates["地球環境推進室"], {("value", "K41303000-1", 2022, "actual"): 1200, ("judgement", "K41303000-1", 2022, "level"): "Z"}, inbox / "地球環境推進室.xlsx")
    code, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert code == 1 and (data["accepted"], data["rejected"]) == (1, 1), data
    bad = next(f for f in data["files"] if f["department"] == "地球環境推進室")
    assert [e["code"] for e in bad["errors"]] == ["CHOICE_INVALID"] and "評価" in bad["errors"][0]["message"], bad
    plan = read_plan(master)
    j = plan.indicator("S01").judgement(2021)
    assert (j.level, j.reason) == ("△", "速報値で判断")
    ws = openpyxl.load_workbook(master)["指標の評価"]
    assert ("S01", 2021, "△", "速報値で判断") in [tuple(r[:4]) for r in ws.iter_rows(min_row=4, values_only=True)]
    row = next(r for r in _log_rows(master) if r["項目キー"] == '["judgement","S01",2021,"level"]')
    assert (row["変更前"], row["変更後"], row["シート"]) == ("（空欄）", "△", "指標の評価") and row["セル"].startswith("C")
    from envplan.rules.compute import compute_plan

    y2021 = next(y for y in compute_plan(plan).indicator("S01").years if y.fy == 2021)
    assert y2021.own_level == "△" and y2021.level_agrees is (y2021.level_symbol == "△")


def _with_doctype_in(path: Path, sheet: str) -> None:
    """A billion-laughs DOCTYPE put into one sheet's part (any parser opening it would be at risk)."""
    from hostile_corpus import rewrite_zip, sheet_part

    data = path.read_bytes()
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    path.write_bytes(rewrite_zip(data, {sheet_part(data, sheet): lambda xml: bomb + xml.split(b"?>", 1)[-1]}))


def test_an_older_return_is_superseded_without_being_read_whole(master, templates, tmp_path):
    """Issue 13 §4: of a department's returns, the latest that passes is read whole; an older one is
    known by its identity sheet alone (what it holds elsewhere cannot change the verdict)."""
    inbox = tmp_path / "inbox"
    spare = fill(templates["環境課"], _env_answers("1,370"), tmp_path / "spare" / "v0.xlsx")  # saved first
    old = fill(templates["環境課"], _env_answers("1,380"), inbox / "v1.xlsx")
    _with_doctype_in(old, INDICATOR_SHEET)
    new = fill(templates["環境課"], _env_answers("1,395"), inbox / "v2.xlsx")
    _in_order(old, new)
    rc, data, by_file = _consolidated(master, inbox)
    assert rc == 0, data
    assert (by_file["v1.xlsx"]["status"], by_file["v1.xlsx"]["superseded_by"]) == ("superseded", "v2.xlsx")
    assert read_plan(master).indicator("S01").values[2021].actual == 1395

    # The latest one damaged: it is refused, and the older one is then read whole (and refused too).
    _with_doctype_in(new, INDICATOR_SHEET)
    fine = copy(spare, inbox)
    _in_order(fine, old, new)
    rc, data, by_file = _consolidated(master, inbox)
    assert {by_file[n]["status"] for n in ("v1.xlsx", "v2.xlsx")} == {"rejected"}, data
    assert {e["code"] for n in ("v1.xlsx", "v2.xlsx") for e in by_file[n]["errors"]} == {"RETURN_XML_ENTITIES"}
    assert by_file["v0.xlsx"]["status"] == "accepted" and read_plan(master).indicator("S01").values[2021].actual == 1370


def test_a_template_with_the_earlier_identity_rows_still_verifies(master, templates, tmp_path):
    """Templates issued before the identity's inputs and manifest were written as one JSON text
    (a row per input and per cell) are read and verified the same."""
    from envplan.survey.return_reader import read_return
    from envplan.survey.template_identity import CONTENT_SECTION
    from envplan.survey.template_layout import IDENTITY_SHEET
    from envplan.workbook.io import CalamineSource

    src = fill(templates["環境課"], _env_answers("1,395"), tmp_path / "filled.xlsx")
    source = CalamineSource(src)
    content = read_return(source).content
    source.close()
    assert content is not None and content.inputs and content.manifest
    wb = openpyxl.load_workbook(src)
    ws = wb[IDENTITY_SHEET]
    start = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == CONTENT_SECTION)
    assert ws.max_row - start < len(content.manifest) / 10  # the compact form: a few cells, not a row per cell
    ws.delete_rows(start, ws.max_row - start + 1)
    rows: list[list[str]] = [["[inputs]"], *[[i.sheet, i.ref, i.key_text, i.kind, i.unit, i.label] for i in content.inputs], [], ["[manifest]"]]
    rows += [[sheet, ref, text] for (sheet, ref), text in content.manifest.items()]
    for r, values in enumerate(rows, start):
        for c, value in enumerate(values, 1):
            ws.cell(r, c).value = value
            ws.cell(r, c).data_type = "s"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    wb.save(inbox / "earlier.xlsx")
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 0 and data["files"][0]["status"] == "accepted", data
    assert read_plan(master).indicator("S01").values[2021].actual == 1395


def test_a_file_replaced_between_the_two_readings_is_sent_back(master, templates, tmp_path):
    """The identity read first and the whole read later must be of the same file (SHA-256)."""
    inbox = tmp_path / "inbox"
    old = fill(templates["環境課"], _env_answers("1,380"), inbox / "v1.xlsx")
    new = fill(templates["環境課"], _env_answers("1,395"), inbox / "v2.xlsx")
    _in_order(old, new)
    other = fill(templates["環境課"], _env_answers("1,111"), tmp_path / "other.xlsx")

    def replace_after_the_identities(i: int, n: int, name: str) -> None:
        if i == n:  # every identity read: the latest file is swapped before it is read whole
            new.write_bytes(other.read_bytes())

    result = consolidate(master, inbox, progress=replace_after_the_identities)
    by_file = {f.file: f for f in result.files}
    assert by_file["v2.xlsx"].status == "rejected" and by_file["v2.xlsx"].errors[0]["code"] == "RETURN_CHANGED_WHILE_READING"
    assert by_file["v1.xlsx"].status == "accepted" and read_plan(master).indicator("S01").values[2021].actual == 1380


def test_a_macro_enabled_return_leaves_no_zip_open(master, templates, tmp_path):
    """openpyxl keeps an .xlsm's macros in an open zip: the feedback copy's workbook closes it, so the
    garbage collector never meets it later with its buffer already freed (and prints an error)."""
    import gc
    import zipfile

    inbox = tmp_path / "inbox"
    filled = fill(templates["環境課"], _env_answers("千三百九十"), tmp_path / "r.xlsx")  # sent back: it gets a feedback copy
    inbox.mkdir()
    filled.rename(inbox / "r.xlsm")
    gc.collect()
    gc.disable()  # what the run leaves behind stays where this test can see it
    try:
        result = consolidate(master, inbox)
        left_open = [z for z in gc.get_objects() if isinstance(z, zipfile.ZipFile) and z.mode in ("a", "w") and z.fp is not None]
    finally:
        gc.enable()
    assert result.files[0].status == "rejected" and result.files[0].feedback
    assert not left_open
