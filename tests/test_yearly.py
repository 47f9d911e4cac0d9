"""The yearly cycle: open the next year, frozen years, target revisions, on real files."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from conftest import cli_json
from envplan.survey.consolidate import consolidate, consolidate_into
from envplan.survey.template_identity import load_key
from envplan.workbook.changes import CellWrite, RowAppend, load_master_state
from envplan.workbook.io import CalamineSource, CellMark, ResultTable
from returns_kit import fill, issue, read_plan, set_setting


@pytest.fixture
def master(sample_masters, tmp_path):
    path = tmp_path / "shinagawa.xlsx"
    shutil.copy2(sample_masters["shinagawa"], path)
    return path


def _log(master: Path) -> list[dict]:
    ws = openpyxl.load_workbook(master)["変更履歴"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]




def test_open_next_year_freezes_the_finished_one_and_issues_templates(master, tmp_path):
    code, data = cli_json("year", "open", str(master), "--issue", str(tmp_path / "2023"), "--json")
    assert code == 0, data
    assert (data["fy"], data["frozen_through_fy"], data["added_year_column"]) == (2023, 2022, True)
    plan = read_plan(master)
    assert (plan.current_fy, plan.frozen_through_fy) == (2023, 2022)
    code, val = cli_json("validate", str(master), "--json", "--no-write")
    assert code == 0 and val["ok"], val["errors"]
    header = [c.value for c in openpyxl.load_workbook(master)["指標実績"][3]]
    assert header[-1] == "2023年度"
    log = _log(master)
    assert [(r["区分"], r["項目"].split("（")[0], r["変更前"], r["変更後"]) for r in log] == [
        ("年度更新", "対象年度", 2022, 2023),
        ("年度更新", "確定済みの年度", "（空欄）", 2022),
    ]
    assert len(data["templates"]) == 8 and all("2023年度" in Path(p).name for p in data["templates"])
    env = next(Path(p) for p in data["templates"] if "環境部環境課" in p)
    from envplan.survey.template_fill import input_cells

    cells = input_cells(env)
    co2 = sorted(k[2] for k in cells if k[:2] == ("value", "S01") and k[3] == "actual")
    assert co2 == [2021, 2022, 2023]  # 2 years late: 2020 was due in FY2022, now closed
    assert sorted(k[2] for k in cells if k[:2] == ("value", "S03") and k[3] == "actual") == [2023]


def test_new_year_round_trip_and_old_templates_rejected(master, tmp_path):
    old = issue(master, tmp_path / "2022")
    cli_json("year", "open", str(master), "--json")
    new = issue(master, tmp_path / "2023")
    inbox = tmp_path / "inbox"
    fill(new["環境課"], {("value", "S01", 2021, "actual"): 1360, ("value", "S03", 2023, "actual"): 31}, inbox / "new.xlsx")
    fill(old["清掃事務所"], {("value", "S05", 2022, "actual"): 470}, inbox / "old.xlsx")
    result = consolidate(master, inbox)
    by = {f.file: f for f in result.files}
    assert by["new.xlsx"].status == "accepted" and by["new.xlsx"].changes == 2
    assert by["old.xlsx"].status == "rejected" and by["old.xlsx"].errors[0]["code"] == "RETURN_WRONG_YEAR"
    plan = read_plan(master)
    assert plan.indicator("S01").values[2021].actual == 1360 and plan.indicator("S03").values[2023].actual == 31


def test_frozen_year_needs_the_flag_and_is_logged(master):
    cli_json("year", "open", str(master), "--json")
    code, data = cli_json("year", "correct", str(master), "--indicator", "S03", "--fy", "2022", "--actual", "30", "--json")
    assert code == 1 and data["error"]["code"] == "YEAR_FROZEN"
    assert read_plan(master).indicator("S03").values[2022].actual != 30
    # A lagged figure of a recent year is still open: S01 (2 years late) for FY2021.
    code, data = cli_json("year", "correct", str(master), "--indicator", "S01", "--fy", "2021", "--actual", "1,350", "--json")
    assert code == 0 and data["changes"] == 1
    code, data = cli_json("year", "correct", str(master), "--indicator", "S03", "--fy", "2022", "--actual", "30", "--allow-frozen", "--reason", "集計誤りの訂正", "--json")
    assert code == 0 and data["changes"] == 1 and data["frozen"]
    assert read_plan(master).indicator("S03").values[2022].actual == 30
    last = _log(master)[-1]
    assert last["区分"] == "確定年度の修正" and "集計誤りの訂正" in last["項目"] and last["変更後"] == 30


def test_consolidating_into_a_frozen_year_needs_allow_frozen(master, tmp_path):
    templates = issue(master, tmp_path / "t")
    set_setting(master, "frozen_through_fy", 2022)  # closed early, after the templates went out
    fill(templates["清掃事務所"], {("value", "S05", 2022, "actual"): 471}, tmp_path / "inbox" / "c.xlsx")
    refused = consolidate(master, tmp_path / "inbox")
    assert refused.files[0].status == "rejected" and refused.files[0].errors[0]["code"] == "RETURN_FROZEN_YEAR"
    allowed = consolidate(master, tmp_path / "inbox", allow_frozen=True)
    assert allowed.files[0].status == "accepted"
    assert _log(master)[-1]["区分"] == "取込（確定年度）"


def test_target_revision_keeps_the_old_target_with_its_period(master):
    code, data = cli_json(
        "year", "revise", str(master), "--indicator", "S06", "--wording", "令和4年度までに35％", "--fy", "2018", "--reason", "中間見直し", "--json"
    )
    assert code == 0, data
    plan = read_plan(master)
    ind = plan.indicator("S06")
    assert ind.target_wording == "令和4年度までに35％" and ind.target.value == 35 and ind.target.year == 2022
    rev = ind.revisions[-1]
    assert (rev.old_wording, rev.valid_from_fy, rev.valid_to_fy, rev.revised_fy, rev.reason) == ("平成34年度までに31％", 2013, 2017, 2018, "中間見直し")
    assert rev.old_target.value == 31
    code, val = cli_json("validate", str(master), "--json", "--no-write")
    assert code == 0, val["errors"]
    kinds = {r["区分"] for r in _log(master)}
    assert kinds == {"目標見直し"}
    code, data = cli_json("year", "revise", str(master), "--indicator", "S06", "--wording", "令和4年度までに35％", "--json")
    assert code == 1 and data["error"]["code"] == "TARGET_INVALID"  # nothing to revise


class RecordingSink:
    """A door that only records what it is asked to do (as the Excel door receives it)."""

    def __init__(self) -> None:
        self.cells: list[CellWrite] = []
        self.appends: list[RowAppend] = []
        self.forms: list[str] = []
        self.tables: list[str] = []

    def write_cells(self, writes: Sequence[CellWrite]) -> None:
        self.cells += writes

    def append_rows(self, append: RowAppend) -> None:
        self.appends.append(append)

    def add_year_column(self, sheet: str, fy: int) -> None:
        raise AssertionError("no year column expected")

    def rewrite_policy_form(self, plan: Any, policy: Any, sheet: str) -> None:
        self.forms.append(sheet)

    def write_table(self, table: ResultTable) -> None:
        self.tables.append(table.sheet)

    def mark_cells(self, marks: Sequence[CellMark]) -> None:
        pass


def test_planned_changes_apply_through_any_sink(sample_masters, tmp_path):
    """The plan half needs only a WorkbookSource of the master; the apply half only a sink."""
    master = tmp_path / "all.xlsx"
    shutil.copy2(sample_masters["all"], master)
    templates = issue(master, tmp_path / "t")
    fill(
        templates["地球環境推進室"],
        {("value", "K41303000-3", 2022, "actual"): 41, ("rating", "41303000", 2022, "rating"): "B"},
        tmp_path / "inbox" / "r.xlsx",
    )
    state = load_master_state(CalamineSource(master))
    before = master.read_bytes()
    sink = RecordingSink()
    result = consolidate_into(state, sink, tmp_path / "inbox", load_key(master), master_label=master.name)
    assert result.accepted == 1 and result.changes == 5  # value, rating, evaluation year, and the 2013 texts replaced by this year's (blank)
    value_cell = state.where[("value", "K41303000-3", 2022, "actual")]
    assert CellWrite(value_cell[0], value_cell[1], 41.0, "General") in sink.cells
    assert sink.forms == ["評価票_41303000"]
    assert sink.tables == ["変更履歴", "提出状況"]
    assert master.read_bytes() == before  # the door saves its book; the file was not touched
