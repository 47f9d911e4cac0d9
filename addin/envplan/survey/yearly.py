"""The yearly cycle on the master: open the next fiscal year, revise a target
(見直し) keeping the old one with its period, correct a value of a closed year.

Each operation is planned as `FieldChange`s (pure: `open_year_changes`,
`revision_changes`, `correction_changes`) and applied like consolidation's
changes, so everything lands in the change log. `year_edits` says what an
operation writes; `run_on_master` is the file door (lock, read, plan, write once
atomically with a backup), the ribbon applies the same edits to the open book.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envplan.plan.model import VALUE_MARKS, Indicator, Plan, TargetRevision
from envplan.plan.numbers import read_number
from envplan.plan.target_wording import TargetReading, TargetWordingError, compare_reading, read_target
from envplan.plan.targets import KIND_LABELS, build_target, target_note, target_value, target_year
from envplan.plan.years import fy_label
from envplan.rules.freeze_rules import value_frozen
from envplan.workbook.changes import (
    KIND_CORRECTION,
    KIND_CORRECTION_FROZEN,
    KIND_FROZEN_RESTORE,
    KIND_PERIOD,
    KIND_REVISION,
    KIND_YEAR_OPEN,
    MasterEdits,
    MasterState,
    apply_to_plan,
    changelog_edit,
    changelog_note_row,
    check_placeable,
    resolve_edits,
)
from envplan.workbook.fields import ChangeOrigin, FieldChange, now_text, plan_value
from envplan.workbook.io import ResultTable
from envplan.workbook.layout import MARK_ROW, layout
from envplan.workbook.xlsx_master_edits import OpenpyxlMasterSink
from envplan.workbook.xlsx_style import YEAR_FORMAT
from envplan.workbook.year_sheets import fit_year_columns

# Years after the plan's end that can still be opened, for figures that arrive late
# (the same margin `validate` allows for 対象年度, the current_fy setting).
LATE_YEARS = 5


class YearCycleError(RuntimeError):
    """An operation the master does not allow (with a Japanese message)."""

    def __init__(self, message: str, message_en: str, code: str = "YEAR_INVALID") -> None:
        super().__init__(message)
        self.message_en = message_en
        self.code = code


def _indicator(plan: Plan, indicator_id: str) -> Indicator:
    ind = plan.indicator(indicator_id)
    if ind is None:
        raise YearCycleError(f"指標ID「{indicator_id}」はマスターにありません", f"indicator {indicator_id} not found", "UNKNOWN_INDICATOR")
    return ind


@dataclass
class YearPlan:
    """The changes of one operation, and year columns it adds."""

    changes: list[FieldChange]
    year_columns: list[tuple[str, int]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    log_only: bool = False  # the master already holds the new values: log and record them, write no cell
    fit_year_columns: bool = False  # the period changed: the year-column sheets get its columns (in place)


def open_year_changes(state: MasterState, *, at: str | None = None) -> YearPlan:
    """Open `current_fy + 1`: the finished year is frozen (with data lag: each
    indicator's figure freezes once the round it was due in is closed)."""
    plan = state.plan
    at = at or now_text()
    old, new = plan.current_fy, plan.current_fy + 1
    if new > plan.end_fy + LATE_YEARS:
        raise YearCycleError(
            f"計画期間（～{plan.end_fy}年度）の終了から{LATE_YEARS}年を超える年度は開けません。次の計画のマスターを作成してください（envplan init）",
            "the plan ended too long ago; create the next plan's master",
            "YEAR_OUTSIDE_PLAN",
        )
    origin = ChangeOrigin(KIND_YEAR_OPEN, at, note=f"{fy_label(new)}を開く")
    changes = [FieldChange(("setting", "current_fy"), "対象年度", old, new, origin)]
    if plan.frozen_through_fy is None or plan.frozen_through_fy < old:
        changes.append(FieldChange(("setting", "frozen_through_fy"), "確定済みの年度（この年度まで）", plan.frozen_through_fy, old, origin))
    for ch in changes:
        problem = check_placeable(state, ch.key)
        if problem:
            raise YearCycleError(problem, f"the master has no place for {ch.key}")
    columns = [] if new in state.value_years else [(layout()["values"].name, new)]
    return YearPlan(changes, columns, {"fy": new, "frozen_through_fy": old, "added_year_column": bool(columns)})


def period_changes(state: MasterState, start: int, end: int, current: int | None = None, *, at: str | None = None) -> YearPlan:
    """Set the plan period to `start`–`end` (and the current year): the year-column
    sheets get a column for every year of it. Refused when a value typed inside the
    old period would end up outside the new one (its column would go)."""
    plan = state.plan
    at = at or now_text()
    if end < start:
        raise YearCycleError(f"終了年度（{end}年度）が開始年度（{start}年度）より前です", "the end year is before the start year")
    if current is None:
        current = plan.current_fy if start <= plan.current_fy <= end else min(max(plan.current_fy, start), end)
    if not start <= current <= end:
        raise YearCycleError(f"対象年度（{current}年度）が新しい計画期間（{start}～{end}年度）から外れています", "the current year is outside the new period", "YEAR_OUTSIDE_PLAN")
    old_period = range(plan.start_fy, plan.end_fy + 1)
    new_period = range(start, end + 1)
    stranded: list[str] = []
    for ind in plan.indicators:
        for fy, value in sorted(ind.values.items()):
            if fy in old_period and fy not in new_period and fy != ind.baseline_fy and not value.is_empty():
                for kind in ("plan", "actual", "mark", "note"):
                    if getattr(value, kind) not in (None, ""):
                        sheet, ref = state.reading.where.get(("value", ind.id, fy, kind), ("", ""))
                        stranded.append(f"{sheet}!{ref}（指標「{ind.id}」の{fy}年度）")
    for proj in plan.projects:
        for ph in proj.phases:
            if any(fy in old_period and fy not in new_period for fy in range(ph.start_fy, ph.end_fy + 1)):
                stranded.append(f"{layout()['phases'].name}（プロジェクト「{proj.id}」の段階「{ph.name}」）")
    if stranded:
        more = f" ほか{len(stranded) - 5}件" if len(stranded) > 5 else ""
        raise YearCycleError(
            f"新しい計画期間（{start}～{end}年度）の外になる年度に値があるため、その列を削除できません: {'、'.join(stranded[:5])}{more}。値を移すか消してから実行してください",
            f"values would fall outside the new period {start}-{end}: {len(stranded)} cells; move or clear them first",
            "VALUE_OUTSIDE_PERIOD",
        )
    origin = ChangeOrigin(KIND_PERIOD, at, note=f"{start}～{end}年度")
    changes = [
        FieldChange(("setting", key), label, old, new, origin)
        for key, label, old, new in (
            ("start_fy", "計画期間（開始年度）", plan.start_fy, start),
            ("end_fy", "計画期間（終了年度）", plan.end_fy, end),
            ("current_fy", "対象年度", plan.current_fy, current),
        )
        if old != new
    ]
    for ch in changes:
        problem = check_placeable(state, ch.key)
        if problem:
            raise YearCycleError(problem, f"the master has no place for {ch.key}")
    after = plan.model_copy(update={"start_fy": start, "end_fy": end, "current_fy": current})
    before_columns = set(state.reading.year_columns.get("values", ("", {}))[1])
    added = sorted(set(after.years()) - before_columns)
    removed = sorted(before_columns - set(after.years()))
    summary = {"start_fy": start, "end_fy": end, "fy": current, "added_years": added, "removed_years": removed}
    return YearPlan(changes, [], summary, fit_year_columns=bool(changes or added or removed))


def revision_changes(
    state: MasterState,
    indicator_id: str,
    wording: str,
    *,
    kind: str | None = None,
    year: int | None = None,
    value: float | None = None,
    note: str | None = None,
    revised_fy: int | None = None,
    reason: str = "",
    at: str | None = None,
) -> YearPlan:
    """Replace an indicator's target; the old one is kept on 目標見直し with the years it applied to."""
    plan = state.plan
    ind = _indicator(plan, indicator_id)
    wording = wording.strip()
    if not wording:
        raise YearCycleError("新しい目標の文言（--wording）を入力してください", "the new target wording is empty", "REQUIRED")
    # The wording is read with what the indicator knows (unit, base year, direction, name).
    try:
        reading: TargetReading | None = read_target(wording, unit=ind.unit, base_fy=ind.baseline_fy, direction=ind.direction, name=ind.name)
        read_error: TargetWordingError | None = None
    except TargetWordingError as e:
        reading, read_error = None, e
    if kind is not None:
        labels = {v: k for k, v in KIND_LABELS.items()}
        kind_key = labels.get(kind, kind)
        try:
            target = build_target(kind_key, year=year, value=value, note=note or "")
        except ValueError as e:
            raise YearCycleError(str(e), "the structured target is incomplete", "TARGET_INVALID") from e
        if reading is not None:
            # The fields given must not contradict a wording that can be read: never store both.
            wrong = [mm for mm in compare_reading(reading, target, baseline_fy=ind.baseline_fy) if mm.key != "plan"]
            if wrong:
                raise YearCycleError(
                    f"目標の文言「{wording}」（{reading.reading}）と指定の値が一致しません: " + "。".join(mm.text() for mm in wrong),
                    "the given fields contradict the wording: " + "; ".join(f"{mm.key}: {mm.wording_value} vs {mm.entered_value}" for mm in wrong),
                    "TARGET_WORDING_MISMATCH",
                )
    else:
        if reading is None:
            assert read_error is not None
            raise YearCycleError(
                f"目標の文言「{wording}」を読み取れません（{read_error.reason}）。--kind・--year・--value で構造化して指定してください",
                f"the target wording could not be read ({read_error.reason_en}); give --kind/--year/--value",
                "TARGET_WORDING_UNREADABLE",
            )
        if reading.base_fy is not None and reading.base_source in ("文言", "指標名") and reading.base_fy != ind.baseline_fy:
            raise YearCycleError(
                f"目標の文言の基準年度（{reading.base_fy}年度）が指標の基準年度（{ind.baseline_fy or '空欄'}）と違います。"
                "先に指標の基準年度・基準値を直すか、--kind・--year・--value で指定してください",
                "the wording's base year differs from the indicator's baseline year",
                "TARGET_WORDING_MISMATCH",
            )
        try:
            target = reading.to_target(year=year)
        except TargetWordingError as e:
            raise YearCycleError(
                f"目標の文言「{wording}」は「{reading.reading}」と読めますが、そのままでは保存できません: {e.reason}",
                f"the wording was read but cannot be stored as it is: {e.reason_en}",
                "TARGET_WORDING_UNREADABLE",
            ) from e
    if target == ind.target and wording == ind.target_wording:
        raise YearCycleError("新しい目標が今の目標と同じです", "the new target equals the current one", "TARGET_INVALID")
    revised = revised_fy or plan.current_fy
    if not plan.start_fy <= revised <= plan.end_fy + 10:
        raise YearCycleError(f"見直し年度 {revised} が計画期間から外れています", "the revision year is outside the plan period", "YEAR_OUTSIDE_PLAN")
    valid_from = max((r.revised_fy for r in ind.revisions), default=plan.start_fy)
    old = TargetRevision(revised_fy=revised, old_wording=ind.target_wording, old_target=ind.target, valid_from_fy=valid_from, valid_to_fy=revised - 1, reason=reason)
    origin = ChangeOrigin(KIND_REVISION, at or now_text(), department=ind.department, note=reason)
    label = f"{ind.id} {ind.name}"
    changes = [FieldChange(("revision", ind.id, revised), f"{label} 旧目標（{valid_from}～{revised - 1}年度）", None, old, origin)]
    new_fields = {
        "target_wording": wording,
        "target_kind": KIND_LABELS[target.kind],
        "target_year": target_year(target),
        "target_value": target_value(target),
        "target_note": target_note(target) or None,
    }
    names = {"target_wording": "目標（原文）", "target_kind": "目標種別", "target_year": "目標年度", "target_value": "目標値", "target_note": "目標の補足"}
    for attr, new in new_fields.items():
        cur = plan_value(plan, ("indicator", ind.id, attr))
        if cur != new:
            changes.append(FieldChange(("indicator", ind.id, attr), f"{label} {names[attr]}", cur, new, origin))
    for ch in changes:
        problem = check_placeable(state, ch.key)
        if problem:
            raise YearCycleError(problem, f"the master has no place for {ch.key}")
    return YearPlan(changes, summary={"indicator": ind.id, "revised_fy": revised, "old_wording": ind.target_wording, "new_wording": wording, "old_valid": [valid_from, revised - 1]})


def correction_changes(
    state: MasterState,
    indicator_id: str,
    fy: int,
    what: str | None,
    text: str = "",
    *,
    mark: str | None = None,
    allow_frozen: bool = False,
    reason: str = "",
    at: str | None = None,
) -> YearPlan:
    """Correct one figure (実績値・計画値・備考) of an indicator, and/or the mark of its actual
    (`mark`: 速報 | 確定). A closed year needs `allow_frozen`, except a provisional figure
    (速報値): it stays open to its final figure (freeze_rules.value_frozen)."""
    plan = state.plan
    ind = _indicator(plan, indicator_id)
    names = {"actual": "実績値", "plan": "計画値", "note": "備考"}
    if what is not None and what not in names:
        raise YearCycleError(f"修正できるのは {'・'.join(names.values())} です", "only actual, plan or note can be corrected", "CHOICE_INVALID")
    if mark is not None and what not in (None, "actual"):
        raise YearCycleError("速報・確定は実績値に付ける印です。--provisional・--final は --actual と一緒か、単独で指定してください",
                             "--provisional / --final go with --actual or alone", "CHOICE_INVALID")
    if mark is not None and mark not in VALUE_MARKS:
        raise YearCycleError(f"速報・確定は {'・'.join(VALUE_MARKS)} のどちらかです", "the mark is 速報 or 確定", "CHOICE_INVALID")
    wanted: list[tuple[str, Any]] = []
    if what == "note":
        wanted.append(("note", text.strip() or None))
    elif what is not None:
        reading = read_number(text, ind.unit)
        if not reading.ok:
            raise YearCycleError(f"{ind.name}の{fy}年度{names[what]}: {reading.error_message}", "the value is not a number", reading.error or "NUMBER_INVALID")
        wanted.append((what, reading.value))
    if mark is not None:
        actual = dict(wanted).get("actual", ind.actual(fy))
        if actual is None:
            raise YearCycleError(
                f"{ind.name}の{fy}年度には実績値がないため、「{mark}」の印を付けられません。--actual で実績値も指定してください",
                "the year has no actual to mark; give --actual too",
                "VALUE_MARK_WITHOUT_ACTUAL",
            )
        wanted.append(("mark", mark))
    if not wanted:
        raise YearCycleError("修正する値を指定してください", "nothing to correct", "CHOICE_INVALID")
    frozen = value_frozen(plan, ind, fy)
    if frozen and not allow_frozen:
        raise YearCycleError(
            f"{fy_label(fy)}の{ind.name}は確定済みです（確定済みの年度: {plan.frozen_through_fy}年度まで、データの遅れ {ind.data_lag}年）。"
            "変更するときは --allow-frozen を付けてください（変更履歴に「確定年度の修正」として残ります）",
            "the fiscal year is closed; use --allow-frozen",
            "YEAR_FROZEN",
        )
    changes: list[FieldChange] = []
    origin = ChangeOrigin(KIND_CORRECTION_FROZEN if frozen else KIND_CORRECTION, at or now_text(), department=ind.department, note=reason)
    for field_name, new in wanted:
        key = ("value", ind.id, fy, field_name)
        problem = check_placeable(state, key)
        if problem:
            raise YearCycleError(problem, f"the master has no place for {key}", "RETURN_MASTER_NO_PLACE")
        cur = plan_value(plan, key)
        if cur == new:
            continue
        label = f"{ind.id} {ind.name} {fy}年度の{names.get(field_name, MARK_ROW)}"
        changes.append(FieldChange(key, label, cur, new, origin))
    if not changes:
        return YearPlan([], summary={"indicator": ind.id, "fy": fy, "unchanged": True})
    return YearPlan(changes, summary={"indicator": ind.id, "fy": fy, "frozen": frozen, "mark": mark})


FROZEN_EDITED = "FROZEN_EDITED"


def frozen_edits_found(state: MasterState, cells: Sequence[str] = ()) -> list[Any]:
    """The closed-year values changed outside envplan (validate's FROZEN_EDITED), as
    `frozen_record.FrozenEdit`s; `cells` ("指標実績!F8") limits them to those cells.
    The CLI and the ribbon's 確定値 button list and resolve the same ones."""
    from envplan.workbook.frozen_record import find_edits

    record = state.frozen_record
    if record is None:
        raise YearCycleError(
            "このマスターには確定値の記録がまだありません。記録は次に envplan がマスターに書き込むとき（取込・年度更新・修正）に作られます",
            "the master has no record of frozen values yet; it is created by the next envplan write",
            "FROZEN_RECORD_MISSING",
        )
    edits = find_edits(state.plan, state.reading, record)
    if cells:
        wanted = {_cell_name(c): c for c in cells}
        chosen = [e for e in edits if _cell_name(e.location) in wanted]
        unknown = [text for name, text in wanted.items() if name not in {_cell_name(e.location) for e in chosen}]
        if unknown:
            listed = "、".join(e.location for e in edits) or "なし"
            raise YearCycleError(
                f"指定したセル {'、'.join(unknown)} に確定済みの値の変更はありません（変更のあるセル: {listed}）",
                f"no frozen value was edited at {', '.join(unknown)}",
                "FROZEN_NOT_EDITED",
            )
        edits = chosen
    return edits


def frozen_edit_changes(
    state: MasterState,
    *,
    restore: bool,
    reason: str = "",
    cells: Sequence[str] = (),
    at: str | None = None,
) -> YearPlan:
    """Closed-year values changed outside envplan (validate's FROZEN_EDITED), resolved:
    accepted (logged as 確定年度の修正, recorded; the cells stay as staff typed them)
    or restored (the recorded values written back, logged as 確定値の復元).
    `cells` ("指標実績!F8") limits it to those cells."""
    from envplan.workbook.frozen_record import owner_of

    edits = frozen_edits_found(state, cells)
    if not restore and not reason.strip():
        raise YearCycleError("修正の理由を --reason で入力してください（変更履歴に残します）", "give the reason for the edit with --reason", "REQUIRED")
    at = at or now_text()
    plan = state.plan
    changes: list[FieldChange] = []
    if restore:
        problems = [p for p in (_restore_problem(state, e) for e in edits) if p]
        if problems:
            raise YearCycleError(
                "次の値は記録の値に戻せません。" + " ".join(problems) + " 変更を認める場合は accept-frozen-edits（Excel ではリボンの「確定値」で「はい」）を使ってください",
                "some recorded values cannot be written back (their row or sheet is gone); accept them or restore the rows by hand",
                "FROZEN_NOT_RESTORABLE",
            )
        note = reason.strip() or "envplan を通さない変更を記録の値に戻す"
        # A status or rating first: the comment or reason of a row put back needs it.
        for e in sorted(edits, key=lambda e: e.key[0] in ("project", "rating") and e.key[3] not in ("status", "rating")):
            changes.append(FieldChange(e.key, e.label, e.current, e.recorded, ChangeOrigin(KIND_FROZEN_RESTORE, at, department=owner_of(plan, e.key), note=note)))
    else:
        note = f"envplan を通さない変更を承認: {reason.strip()}"
        for e in edits:
            changes.append(FieldChange(e.key, e.label, e.recorded, e.current, ChangeOrigin(KIND_CORRECTION_FROZEN, at, department=owner_of(plan, e.key), note=note)))
    verb = "restored" if restore else "accepted"
    return YearPlan(changes, summary={verb: len(changes), "edits": [e.to_json() for e in edits]}, log_only=not restore)


def _cell_name(text: str) -> str:
    """'指標実績'!$F$8 and 指標実績!f8 name the same cell."""
    sheet, _, ref = text.strip().rpartition("!")
    return f"{sheet.strip().strip(chr(39))}!{ref.replace('$', '').upper()}"


def _restore_problem(state: MasterState, e: Any) -> str | None:
    from envplan.workbook.frozen_record import show, subject_exists

    kind = e.key[0]
    if not subject_exists(state.plan, e.key):
        return f"{e.label}（記録 {show(e.recorded)}）: 指標・プロジェクト・施策がマスターにありません。"
    if kind == "project" and e.key[3] == "status" and e.recorded is None:
        return f"{e.location}: {e.label}は記録では空欄です。記録にない進捗の行は、その行を削除してください。"
    problem = check_placeable(state, e.key)
    return f"{e.label}: {problem}" if problem else None


def year_edits(state: MasterState, yplan: YearPlan) -> MasterEdits:
    """What an operation writes to the master: its cells (none when `log_only`), its
    year columns, the record of closed-year values and the change-log rows. The same
    edits go to the file (`run_on_master`) or to the book open in Excel (the ribbon)."""
    from envplan.workbook.frozen_record import record_edit

    if yplan.log_only:
        edits = MasterEdits(plan=state.plan)
        record = record_edit(state.frozen_record, yplan.changes, state.plan)
        if record is not None:
            edits.tables.append(record)
    else:
        plan_after = apply_to_plan(state.plan, yplan.changes)
        edits = resolve_edits(state, yplan.changes, plan_after)
    edits.year_columns = list(yplan.year_columns)
    log = changelog_edit(state, yplan.changes)
    if isinstance(log, ResultTable):
        edits.tables.append(log)
    elif log is not None:
        edits.appends.append(log)
    return edits


def run_on_master(master: Path, make: Callable[[MasterState], YearPlan], *, tolerate: Sequence[str] = ()) -> tuple[YearPlan, Path | None]:
    """Lock the master, plan with `make`, apply and log the changes; returns (plan, backup).
    `tolerate`: error codes of the master that this operation resolves (FROZEN_EDITED)."""
    from envplan.workbook.changes import load_master_state
    from envplan.workbook.io import CalamineSource
    from envplan.workbook.store import MasterLock
    from envplan.workbook.xlsx_master_edits import edit_master

    master = Path(master)
    with MasterLock(master):
        source = CalamineSource(master)
        try:
            state = load_master_state(source, tolerate=tolerate)
        finally:
            source.close()
        yplan = make(state)
        if not yplan.changes and not yplan.year_columns and not yplan.fit_year_columns:
            return yplan, None
        also = None
        if yplan.fit_year_columns:
            after = apply_to_plan(state.plan, yplan.changes)
            also = lambda sink: _fit_and_log(sink, after, yplan)  # noqa: E731
        backup = edit_master(master, year_edits(state, yplan), policy_sheets=state.reading.policy_sheets, also=also)
    return yplan, backup


def _fit_and_log(sink: OpenpyxlMasterSink, plan: Plan, yplan: YearPlan) -> None:
    """The year-column sheets fitted to the new period in place, and each sheet's
    columns added or deleted logged in 変更履歴 (with the period's setting changes)."""
    fitted = fit_year_columns(sink.wb, plan)
    values = layout()["values"].name
    for f in fitted:
        if f.sheet == values:  # what was done, not what was planned (a column holding a comment stays)
            yplan.summary["added_years"], yplan.summary["removed_years"] = f.added, f.removed
            if f.kept:
                yplan.summary["kept_years"] = f.kept
    at = yplan.changes[0].origin.at if yplan.changes else now_text()
    origin = ChangeOrigin(KIND_PERIOD, at, note=f"{plan.start_fy}～{plan.end_fy}年度")
    rows: list[Any] = []
    links: dict[tuple[int, int], str] = {}
    sheet_col = [c.key for c in layout()["changelog"].columns].index("sheet")
    for f in fitted:
        if not f.changed:
            continue
        after = sorted((set(f.before) - set(f.removed)) | set(f.added))
        what = "、".join(part for part in (_years_text(f.added, "を追加"), _years_text(f.removed, "を削除")) if part)
        links[(len(rows), sheet_col)] = f"'{f.sheet}'!A1"
        rows.append(changelog_note_row(origin, f"年度の列（{what}）", f.sheet, _span_text(f.before), _span_text(after)))
    if rows:
        sink.append_log("changelog", rows, links=links, number_formats={2: YEAR_FORMAT})


def _years_text(years: list[int], verb: str) -> str:
    return f"{_span_text(years)}{verb}" if years else ""


def _span_text(years: list[int]) -> str:
    """2021～2025年度, 2021～2025・2027年度: runs of years, as they read in a plan."""
    runs: list[list[int]] = []
    for fy in sorted(years):
        if runs and fy == runs[-1][-1] + 1:
            runs[-1].append(fy)
        else:
            runs.append([fy])
    return "・".join(f"{r[0]}～{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs) + "年度" if runs else ""
