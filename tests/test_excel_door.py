"""The Excel door driven through xlwings' remote engine: the same master read
and written through a live `Book` and through files must give the same
results, and each ribbon action must leave the book as a user expects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlwings as xw

from envplan.excel import actions as excel_actions
from envplan.excel.live_workbook import MARK_COLORS, NOTE_PREFIX, LiveBookSink, LiveBookSource, excel_text, table_block
from envplan.workbook.compute_master import compute_source, write_results
from envplan.workbook.io import CalamineSource, CellMark, ResultTable
from envplan.workbook.reader import read_master
from envplan.workbook.validation import validate_source, validation_table
from envplan.workbook.writer import save_master
from envplan.workbook.xlsx_results import update_master
from xlwings_remote import apply_actions, book_payload


def broken_master(path: Path) -> Path:
    """A master with an unreadable number and an unreadable year."""
    wb = openpyxl.load_workbook(path)
    wb["指標実績"]["F8"] = "abc"
    ws = wb["指標"]
    ws["F4"] = "平成九十九年"
    wb.save(path)
    return path


def shown(value: Any) -> Any:
    """What a cell written by the live door shows: text prefix and HYPERLINK resolved."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    if isinstance(value, str) and value.startswith('=HYPERLINK("#'):
        return value.rsplit(',"', 1)[1][:-2].replace('""', '"')
    return None if value == "" else value


def link_target(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith('=HYPERLINK("#'):
        return value[len('=HYPERLINK("#') :].split('",', 1)[0].replace('""', '"')
    return None


def file_sheet(path: Path, sheet: str) -> list[list[Any]]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column)]


def assert_same_sheet(file_path: Path, applied: Any, sheet: str) -> None:
    """Values, links and row colours of a result sheet equal between the doors."""
    wb = openpyxl.load_workbook(file_path)
    ws = wb[sheet]
    live = applied.values[sheet]
    rows = max(ws.max_row, len(live))
    for r in range(1, rows + 1):
        for c in range(1, ws.max_column + 1):
            want = ws.cell(r, c).value
            got = applied.value(sheet, r, c)
            # openpyxl stores floats with 15-16 significant digits
            expected = pytest.approx(want, rel=1e-12) if isinstance(want, float) else want
            assert shown(got) == expected, f"{sheet}!{ws.cell(r, c).coordinate}: live {got!r} vs file {want!r}"
            link = ws.cell(r, c).hyperlink
            file_link = None if link is None else (link.location or (link.target or "").removeprefix("#"))
            assert link_target(got) == file_link, f"link at {sheet}!{ws.cell(r, c).coordinate}"
        if r > 3 and r <= ws.max_row:
            fill = ws.cell(r, 1).fill
            file_colour = f"#{str(fill.fgColor.rgb)[-6:]}" if fill.fill_type == "solid" else None
            assert applied.colors.get((sheet, f"A{r}")) == file_colour, f"row colour of {sheet}!A{r}"


# --- reading ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["shinagawa", "kawasaki"])
def test_same_model_from_file_and_from_live_book(sample_masters: dict[str, Path], name: str) -> None:
    path = sample_masters[name]
    from_file = read_master(CalamineSource(path))
    from_live = read_master(LiveBookSource(xw.Book(json=book_payload(path))))
    assert from_file.plan is not None and from_live.plan is not None
    assert from_live.plan == from_file.plan
    assert [(d.code, d.sheet, d.cell) for d in from_live.diagnostics.items] == [(d.code, d.sheet, d.cell) for d in from_file.diagnostics.items]


def test_same_diagnostics_from_file_and_live_book_for_bad_entries(master_copy) -> None:  # type: ignore[no-untyped-def]
    path = broken_master(master_copy("shinagawa"))
    from_file = validate_source(CalamineSource(path)).diagnostics.items
    from_live = validate_source(LiveBookSource(xw.Book(json=book_payload(path)))).diagnostics.items
    key = lambda d: (d.severity, d.code, d.sheet, d.cell, d.message)  # noqa: E731
    assert sorted(map(key, from_live)) == sorted(map(key, from_file))
    assert {("指標実績", "F8"), ("指標", "F4")} <= {(d.sheet, d.cell) for d in from_file if d.severity == "error"}


def test_live_source_reads_each_sheet_in_one_bulk_read(sample_masters: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    book = xw.Book(json=book_payload(sample_masters["shinagawa"]))
    source = LiveBookSource(book)
    reads: list[str] = []
    original = xw.Range.value.fget

    def counting(self):  # type: ignore[no-untyped-def]
        reads.append(self.sheet.name)
        return original(self)

    monkeypatch.setattr(xw.Range, "value", property(counting, xw.Range.value.fset))
    read_master(source)
    assert reads and len(reads) == len(set(reads)), "a sheet was read more than once (cell-by-cell reading)"


# --- writing ----------------------------------------------------------------------


def test_validation_results_written_both_ways_are_equal(master_copy) -> None:  # type: ignore[no-untyped-def]
    path = broken_master(master_copy("shinagawa"))
    diags = validate_source(CalamineSource(path)).diagnostics.items
    table = validation_table(diags, f"エラー {len(diags)} 件")
    payload = book_payload(path)
    book = xw.Book(json=payload)
    LiveBookSink(book).write_table(table)
    sets = [a for a in book.json()["actions"] if a["func"] == "setValues"]
    assert len(sets) == 1, "the table must be written as one block"
    applied = apply_actions(payload, book.json()["actions"])
    with update_master(path) as sink:
        sink.write_table(table)
    assert_same_sheet(path, applied, "検証結果")


def test_attainment_results_written_both_ways_are_equal(master_copy) -> None:  # type: ignore[no-untyped-def]
    path = master_copy("all")
    run = compute_source(CalamineSource(path))
    assert run.result is not None
    payload = book_payload(path)
    book = xw.Book(json=payload)
    live_sheets = write_results(LiveBookSink(book), run.result)
    actions = book.json()["actions"]
    applied = apply_actions(payload, actions)
    with update_master(path) as sink:
        file_sheets = write_results(sink, run.result)
    assert live_sheets == file_sheets
    # Computed figures get their own value's format in Excel too (1,324 / 1,324.5), never the
    # column marker itself nor the format Excel shows as 「1,324.」.
    from envplan.workbook import xlsx_style as st

    formats = {a["args"][0] for a in actions if a["func"] == "setNumberFormat"}
    assert "#,##0" in formats and st.BY_VALUE not in formats and "#,##0.########" not in formats, formats
    for sheet in file_sheets:
        assert_same_sheet(path, applied, sheet)


def test_marks_written_both_ways_are_equal(master_copy) -> None:  # type: ignore[no-untyped-def]
    path = master_copy("shinagawa")
    marks = [CellMark("指標実績", "F8", "数値として読めません", "error"), CellMark("指標", "B4", "分野を確認", "warning")]
    payload = book_payload(path)
    book = xw.Book(json=payload)
    LiveBookSink(book).mark_cells(marks)
    applied = apply_actions(payload, book.json()["actions"])
    with update_master(path) as sink:
        sink.mark_cells(marks)
    wb = openpyxl.load_workbook(path)
    for m in marks:
        cell = wb[m.sheet][m.cell]
        assert applied.colors[(m.sheet, m.cell)] == f"#{str(cell.fill.fgColor.rgb)[-6:]}" == MARK_COLORS[m.severity]
        assert applied.notes[(m.sheet, m.cell)] == NOTE_PREFIX + cell.comment.text


def test_existing_result_sheet_keeps_its_table_and_formatting(master_copy) -> None:  # type: ignore[no-untyped-def]
    path = master_copy("kawasaki")
    table = ResultTable("検証結果", "検証結果", ["種別", "内容"], [["エラー", "x"], ["警告", "y"]], row_styles={0: "error"})
    with update_master(path) as sink:  # a results sheet with an Excel table, as the CLI leaves it
        sink.write_table(table)
    book = xw.Book(json=book_payload(path))
    LiveBookSink(book).write_table(ResultTable("検証結果", "検証結果", ["種別", "内容"], [["警告", "z"]] * 5))
    funcs = [a["func"] for a in book.json()["actions"]]
    assert "resizeTable" in funcs and "addTable" not in funcs and "addSheet" not in funcs
    assert "setColumnWidth" not in funcs and "setFontProperty" not in funcs, "the user's formatting of an existing sheet is kept"


@pytest.mark.parametrize("text", ["2020", "１，３２４", "-5", "=SUM(A1)", "+1", "2020/4/1", "TRUE", "50%"])
def test_text_that_excel_would_convert_keeps_its_prefix(text: str) -> None:
    assert excel_text(text) == "'" + text
    assert excel_text("指標実績") == "指標実績" and excel_text(12.5) == 12.5


def test_block_is_rectangular_and_links_are_formulas() -> None:
    table = ResultTable("S", "T", ["a", "b", "c"], [["x", 'say "hi"'], ["y", "B2", 3]], links={(0, 1): "'指標'!B2"})
    block = table_block(table)
    assert {len(r) for r in block} == {3}
    assert block[3][1] == '=HYPERLINK("#\'指標\'!B2","say ""hi""")'
    assert shown(block[3][1]) == 'say "hi"' and link_target(block[3][1]) == "'指標'!B2"


# --- the ribbon actions -------------------------------------------------------------


def run_action(action: str, path: Path, **payload_kwargs: Any) -> tuple[excel_actions.ActionOutcome, Any]:
    payload = book_payload(path, **payload_kwargs)
    book = xw.Book(json=payload)
    outcome = excel_actions.ACTIONS[action](book)
    return outcome, apply_actions(payload, book.json()["actions"])


def test_validate_action_marks_cells_writes_sheet_and_says_so(master_copy) -> None:  # type: ignore[no-untyped-def]
    path = broken_master(master_copy("shinagawa"))
    outcome, applied = run_action("validate", path)
    assert outcome.ok and outcome.level == "warning"
    assert outcome.details["errors"] >= 2
    assert applied.colors[("指標実績", "F8")] == MARK_COLORS["error"]
    assert "数値として読めません" in applied.notes[("指標実績", "F8")]
    assert ("指標", "F4") in applied.notes
    cells = {shown(applied.value("検証結果", r, 3)) for r in range(4, 4 + outcome.details["errors"] + outcome.details["warnings"])}
    assert {"F8", "F4"} <= cells
    assert len(applied.alerts) == 1
    alert = applied.alerts[0]
    assert alert["mode"] == "critical" and alert["title"] == "環境計画 - 検証"
    assert "エラー" in alert["prompt"] and "指標実績!F8" in alert["prompt"]
    assert outcome.progress[0].startswith("ワークブックを読み込んでいます")


def test_validate_again_after_fixing_clears_the_old_marks(master_copy) -> None:  # type: ignore[no-untyped-def]
    path = master_copy("shinagawa")
    original = openpyxl.load_workbook(path)
    f8, f4 = original["指標実績"]["F8"].value, original["指標"]["F4"].value
    broken_master(path)
    outcome, applied = run_action("validate", path)
    # The user saves what the first run wrote, fixes the cells and validates again.
    wb = openpyxl.load_workbook(path)
    ws = wb["検証結果"]
    for r, row in enumerate(applied.values["検証結果"], 1):
        for c, v in enumerate(row, 1):
            ws.cell(r, c).value = shown(v)
    wb["指標実績"]["F8"] = f8
    wb["指標"]["F4"] = f4
    wb.save(path)
    second, applied2 = run_action("validate", path)
    assert second.details["errors"] == 0
    assert second.details["unmarked"] >= 2
    assert applied2.colors[("指標実績", "F8")] is None and applied2.colors[("指標", "F4")] is None
    assert applied2.alerts[0]["mode"] == "info"


def test_validate_action_on_a_book_that_is_not_a_master(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "家計簿"
    wb.save(path)
    outcome, applied = run_action("validate", path)
    assert not outcome.ok and "マスターワークブックではありません" in outcome.message
    assert applied.alerts[0]["mode"] == "critical"
    assert "検証結果" not in applied.values


def test_compute_action_updates_attainment_sheets(master_copy) -> None:  # type: ignore[no-untyped-def]
    path = master_copy("all")
    outcome, applied = run_action("compute", path)
    assert outcome.ok, outcome.message
    assert "達成状況" in outcome.details["sheets"]
    for sheet in outcome.details["sheets"]:
        assert sheet in applied.values and applied.value(sheet, 3, 1)
    assert sum(outcome.details["statuses"].values()) == 20
    assert "達成状況を集計しました" in applied.alerts[0]["prompt"] and applied.alerts[0]["mode"] == "info"


def guide_summary(applied: Any) -> list[Any]:
    """使い方 A1 and B3–B5 as the ribbon left them."""
    return [shown(applied.value("使い方", r, c)) for r, c in ((1, 1), (3, 2), (4, 2), (5, 2))]


def test_validate_and_compute_actions_show_the_plan_as_it_is_in_the_guide(master_copy) -> None:  # type: ignore[no-untyped-def]
    """Staff change 設定 by hand; the ribbon's 検証 and 集計 rewrite 使い方's summary, as the CLI does."""
    from returns_kit import set_setting

    path = master_copy("kawasaki")
    set_setting(path, "name", "環境基本計画（改定版）")
    set_setting(path, "current_fy", "平成24年度")
    _, applied = run_action("validate", path)
    assert guide_summary(applied) == ["環境基本計画（改定版） 進行管理ワークブック", "環境基本計画（改定版）", "2011年度（平成23年度）～2013年度（平成25年度）", "2012年度（平成24年度）"]
    assert shown(applied.value("使い方", 3, 1)) == "計画"  # only the values: the labels and the rest stay
    set_setting(path, "name", "環境基本計画（第2次）")
    outcome, applied = run_action("compute", path)
    assert outcome.ok, outcome.message
    assert guide_summary(applied)[:2] == ["環境基本計画（第2次） 進行管理ワークブック", "環境基本計画（第2次）"]


def test_compute_action_refuses_a_master_with_errors(master_copy) -> None:  # type: ignore[no-untyped-def]
    path = broken_master(master_copy("shinagawa"))
    outcome, applied = run_action("compute", path)
    assert not outcome.ok and "集計しませんでした" in outcome.message
    before = set(openpyxl.load_workbook(path, read_only=True).sheetnames)
    assert set(applied.values) == before, "nothing is written when the entries have errors"


def test_issue_action_writes_templates_beside_the_master(master_copy) -> None:  # type: ignore[no-untyped-def]
    path = master_copy("kawasaki")
    outcome, applied = run_action("issue_templates", path)
    assert outcome.ok, outcome.message
    folder = path.parent / excel_actions.ISSUE_DIR
    files = sorted(folder.glob("*.xlsx"))
    assert files and [str(f) for f in files] == sorted(outcome.details["files"])
    assert str(folder) in applied.alerts[0]["prompt"]


def test_file_actions_refuse_unsaved_changes(master_copy) -> None:  # type: ignore[no-untyped-def]
    path = master_copy("kawasaki")
    for action in ("issue_templates", "consolidate", "publish"):
        outcome, applied = run_action(action, path, saved=False)
        assert not outcome.ok and "保存されていない変更" in outcome.message, action
        assert applied.alerts[0]["mode"] == "critical"
    assert not (path.parent / excel_actions.ISSUE_DIR).exists()
    outcome, _ = run_action("publish", path, name="Book1")
    assert "まだ保存されていません" in outcome.message


def test_unexpected_failure_becomes_a_message_and_a_log(master_copy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import envplan.workbook.validation

    def boom(source):  # type: ignore[no-untyped-def]
        raise KeyError("壊れた値")

    monkeypatch.setattr(envplan.workbook.validation, "validate_source", boom)
    monkeypatch.setattr(excel_actions, "log_dir", lambda: tmp_path / "logs")
    outcome, applied = run_action("validate", master_copy("kawasaki"))
    assert not outcome.ok and outcome.message.startswith("予期しないエラーが発生しました（KeyError")
    assert "Traceback" not in outcome.message
    log = Path(outcome.log)
    assert log.is_file() and "Traceback" in log.read_text(encoding="utf-8") and "壊れた値" in log.read_text(encoding="utf-8")
    assert applied.alerts[0]["mode"] == "critical" and str(log) in applied.alerts[0]["prompt"]


def test_about_action_reports_checks(master_copy) -> None:  # type: ignore[no-untyped-def]
    outcome, applied = run_action("about", master_copy("kawasaki"))
    assert outcome.ok and "envplan" in outcome.message and "○" in outcome.message
    assert applied.alerts[0]["title"] == "環境計画 - 診断"


def test_publish_action_writes_the_publication_beside_the_master(master_copy, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import envplan.report.publish

    real = envplan.report.publish.publish
    calls = []

    def without_pdf(master, out_dir, *, pdf=True, **kw):  # type: ignore[no-untyped-def]
        calls.append(pdf)  # the button asks for the PDF; it is left out here only for speed (publish's own tests make it)
        return real(master, out_dir, pdf=False, **kw)

    monkeypatch.setattr(envplan.report.publish, "publish", without_pdf)
    path = master_copy("kawasaki")
    outcome, applied = run_action("publish", path)
    assert outcome.ok, outcome.message
    assert calls == [True]
    folder = path.parent / excel_actions.PUBLISH_DIR
    assert (folder / "index.html").is_file()
    prompt = applied.alerts[0]["prompt"]
    assert str(folder) in prompt and "ホームページ" in prompt and applied.alerts[0]["mode"] == "info"


def test_consolidate_action_applies_accepted_values_to_the_open_book(master_copy) -> None:  # type: ignore[no-untyped-def]
    from envplan.survey.consolidate import consolidate as consolidate_files
    from returns_kit import fill, issue

    path = master_copy("shinagawa")
    templates = issue(path, path.parent / "issued")
    stale = openpyxl.load_workbook(path)
    stale["使い方"]["B3"], stale["使い方"]["B5"] = "（計画名を入力してください）", "2026年度"  # 使い方 gone stale
    stale.save(path)
    dept, template = next(iter(templates.items()))
    answers = {("value", "S01", 2022, "note"): "速報値（取込テスト）"}
    fill(template, answers, path.parent / excel_actions.INBOX_DIR / template.name)
    outcome, applied = run_action("consolidate", path)
    assert outcome.ok, outcome.message
    assert outcome.details["accepted"] == 1 and outcome.details["changes"] == 1 and outcome.details["written"] is True
    assert "受理 1 件" in applied.alerts[0]["prompt"] and "保存してください" in applied.alerts[0]["prompt"]
    before = openpyxl.load_workbook(path)
    # The file under Excel is untouched; the same inbox through the file door gives the same cells.
    result = consolidate_files(path, path.parent / excel_actions.INBOX_DIR)
    assert result.accepted == 1
    after = openpyxl.load_workbook(path)
    ws_after, ws_before = after["指標実績"], before["指標実績"]
    changed = [
        (c.coordinate, c.value)
        for row in ws_after.iter_rows()
        for c in row
        if c.value != ws_before[c.coordinate].value
    ]
    assert changed and all(shown(applied.value("指標実績", ws_after[ref].row, ws_after[ref].column)) == value for ref, value in changed)
    assert any("速報値（取込テスト）" == v for _, v in changed)
    log = applied.values["変更履歴"]
    assert any(template.name in str(v) for row in log for v in row), "the change log row names the returned file"
    assert guide_summary(applied)[1:] == ["第二次品川区環境計画", "2013年度（平成25年度）～2022年度（令和4年度）", "2022年度（令和4年度）"]


def test_consolidate_action_applies_co_department_parts_like_the_file_door(master_copy) -> None:  # type: ignore[no-untyped-def]
    """A co-department's report on its part of a project (関係課の取組): the open book gets the rows the file gets."""
    from envplan.survey.consolidate import consolidate as consolidate_files
    from returns_kit import fill, issue

    path = master_copy("shinagawa")
    templates = issue(path, path.parent / "issued")
    answers = {("project_part", "P4", 2022, "環境課", "status"): "遅れ", ("project_part", "P5", 2022, "環境課", "comment"): "（例示）教材を提供"}
    fill(templates["環境課"], answers, path.parent / excel_actions.INBOX_DIR / "env.xlsx")
    outcome, applied = run_action("consolidate", path)
    assert outcome.ok and outcome.details["accepted"] == 1 and outcome.details["changes"] == 2, outcome.message
    result = consolidate_files(path, path.parent / excel_actions.INBOX_DIR)
    assert result.changes == 2
    rows = [r[:5] for r in file_sheet(path, "関係課の取組")[3:]]
    assert rows == [["P4", 2022, "環境課", "遅れ", None], ["P5", 2022, "環境課", None, "（例示）教材を提供"]]
    live = [[shown(applied.value("関係課の取組", r, c)) for c in range(1, 6)] for r in (4, 5)]
    assert live == rows


def test_consolidate_action_creates_the_inbox_when_missing(master_copy) -> None:  # type: ignore[no-untyped-def]
    path = master_copy("kawasaki")
    outcome, applied = run_action("consolidate", path)
    assert not outcome.ok and (path.parent / excel_actions.INBOX_DIR).is_dir()
    assert "フォルダがなかったので作成しました" in applied.alerts[0]["prompt"]


def test_the_submissions_table_prints_the_same_columns_from_both_doors(master_copy) -> None:  # type: ignore[no-untyped-def]
    """提出状況 written into the open book (the ribbon's 取込) gets the print area the file door
    gives it, up to 「内容」 and over all its rows: a print area left from an earlier run would
    cut off the rows a new year adds."""
    from envplan.plan.samples import load_sample
    from envplan.survey.consolidate import submissions_table

    path = master_copy("shinagawa")
    plan = load_sample("shinagawa")
    rows = [{"fy": plan.current_fy, "department": d.code, "department_name": d.name, "status": "未提出"} for d in plan.departments]
    table = submissions_table(rows, plan)
    assert table.printed_columns and table.header[table.printed_columns - 1] == "内容"
    book = xw.Book(json=book_payload(path))
    LiveBookSink(book).write_table(table)
    areas = [a["args"] for a in book.json()["actions"] if a["func"] == "setPrintArea"]
    last = 3 + len(rows)
    assert areas == [[f"$A$1:$I${last}"]]
    with update_master(path) as sink:
        sink.write_table(table)
    assert openpyxl.load_workbook(path)["提出状況"].print_area == f"'提出状況'!$A$1:$I${last}"


def test_consolidate_action_wraps_a_long_comment_and_has_excel_fit_its_row(master_copy) -> None:  # type: ignore[no-untyped-def]
    """A department's comment wider than its column, taken into the open book (the ribbon's 取込),
    wraps and Excel fits the row's height to it, as the file door writes it: in a cell written
    into its row and in a row added for it. A short one, and a number, are left as they were."""
    from envplan.plan.model import ProjectStatus
    from envplan.plan.samples import load_sample
    from returns_kit import fill, issue

    plan = load_sample("shinagawa")
    plan.projects[0] = plan.projects[0].model_copy(update={"statuses": [ProjectStatus(fy=2022, status="予定どおり", comment="（例示）")]})
    path = master_copy("shinagawa")
    save_master(plan, path)
    templates = issue(path, path.parent / "issued")
    comment = "太陽光発電設備の共同購入事業を継続し、区内の集合住宅の管理組合向け説明会を年3回開催した。次年度は事業者向けにも拡大する予定である"
    answers = {
        ("project", "P1", 2022, "comment"): comment,  # into its row (row 4)
        ("project", "P3", 2022, "status"): "予定どおり",
        ("project", "P3", 2022, "comment"): comment,  # a row added for it (row 5)
        ("value", "S01", 2022, "note"): "短い備考",
    }
    fill(templates["環境課"], answers, path.parent / excel_actions.INBOX_DIR / "env.xlsx")
    outcome, applied = run_action("consolidate", path)
    assert outcome.ok and outcome.details["accepted"] == 1, outcome.message
    order = openpyxl.load_workbook(path, read_only=True).sheetnames
    sheet = order.index("プロジェクト進捗")

    def on_sheet(func: str) -> list[tuple[int, int, Any]]:
        return [(a["start_row"] + 1, a["start_column"] + 1, a["args"]) for a in applied.other if a["func"] == func and a["sheet_position"] == sheet]

    assert [shown(applied.value("プロジェクト進捗", r, 4)) for r in (4, 5)] == [comment, comment]
    assert on_sheet("setWrapText") == [(4, 4, [True]), (5, 4, [True])]
    fits = [a for a in applied.other if a["func"] == "setAutofit" and a["sheet_position"] == sheet]
    assert [(a["start_row"] + 1, a["args"]) for a in fits] == [(4, ["rows"]), (5, ["rows"])]
    assert all(a["start_column"] == 0 and a["column_count"] == 4 for a in fits)  # over the row's cells, A to D
    wrapped_elsewhere = [a for a in applied.other if a["func"] == "setWrapText" and a["sheet_position"] != sheet]
    assert wrapped_elsewhere == []  # the short note in 指標実績 is not wrapped
