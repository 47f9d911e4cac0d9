"""Consolidating the departments' returned templates into the master (`envplan consolidate`).

Two halves, so the Excel door can apply the same changes to the open book:

- *plan* (`Consolidator`, pure given the returns): decide per file whether it
  is accepted, rejected or changes nothing; the values it changes (with the
  old value, the file, its SHA-256, the department, the cell); the change-log
  rows, the submissions table and the feedback each file needs;
- *apply* (`master_changes.apply_edits` into a `MasterEditSink`): the file door
  writes the master once, atomically, under the run's lock.

Rules: a return must be ours (signature), of the master's fiscal year, with its
definitions untouched and only fields its department owns; every value is
read and checked by the same rules as `validate`. Errors reject the whole
return (no partial writes); warnings are reported and the values accepted.
Of several returns of one department, the latest that passes the checks is
applied; a later rejected one is sent back and supersedes nothing.
Running again on the same inbox changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from envplan.plan.diagnostics import Diagnostic, DiagnosticList
from envplan.plan.model import Indicator, Plan
from envplan.plan.years import fy_label
from envplan.rules.freeze_rules import budget_frozen, value_frozen, year_frozen
from envplan.survey.assessment import Assessment, ConsolidationPlan, ConsolidationResult
from envplan.survey.inbox import is_not_a_return, list_inbox
from envplan.survey.read_workers import FEEDBACK_WRITER
from envplan.survey.reporting import departments_to_issue, describe_value, project_lead
from envplan.survey.return_files import Handout, OpenSource, ReturnFile, ReturnReader, WorkersLost, time_key
from envplan.survey.return_reader import CellDeviation, ReturnInput, same_value
from envplan.survey.template_identity import TemplateIdentity, key_id
from envplan.survey.template_layout import IDENTITY_SHEET
from envplan.workbook.changes import KIND_IMPORT, KIND_IMPORT_FROZEN, MasterState, apply_to_plan, changelog_edit, check_placeable, resolve_edits, same_as_logged
from envplan.workbook.fields import ChangeOrigin, FieldChange, encode_key, now_text, plan_value
from envplan.workbook.io import ResultTable
from envplan.workbook.layout import layout
from envplan.workbook.validation import _check_values as check_values  # the same plausibility rules as validate

SUBMITTED, RETURNED, NOT_SUBMITTED, BLANK = "受理", "差戻し", "未提出", "未記入"
MAX_BLANK_LISTED = 8
MAX_DEVIATIONS_REPORTED = 40
# Texts of a policy that belong to one evaluation year (the template leaves them blank for a new year).
YEARLY_POLICY_TEXTS = ("results", "remaining_issues")


def _shown_time(text: str) -> str:
    """A signed ISO time (「2026-12-02T22:40:09+09:00」) as 受付日時 shows its times: this
    machine's local time, 「2026-12-02 22:40:09」. Text that is no such time is shown as it is."""
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return (t.astimezone() if t.tzinfo else t).strftime("%Y-%m-%d %H:%M:%S")


class Consolidator:
    """Judges returns one by one as they are read, keeping in memory only two
    returns of each department (so memory does not grow with the inbox): its
    latest return, and its latest return that passes the checks (the one applied).
    `prepare_consolidation` feeds each department's returns latest first and
    stops reading whole at the first that passes (`supersede_unread` for the rest).

    Every return is judged against the master as it was before the run, so the
    verdict on a file never depends on which other files came with it: the
    master after any split of the arrivals into runs is the master after one run."""

    def __init__(self, state: MasterState, *, at: str | None = None, allow_frozen: bool = False) -> None:
        self.state = state
        self.plan = state.plan
        self.at = at or now_text()
        self.allow_frozen = allow_frozen
        self.done: list[Assessment] = []
        self.latest: dict[str, Assessment] = {}  # department → its latest return, passing or not
        self.applied: dict[str, Assessment] = {}  # department → its latest return that passes the checks
        self.ignored: list[str] = []
        self.not_returns: list[str] = []  # cover letters and the like, beside the returns
        self._owners = self._foreign_ids()
        self._indicators = {i.id: i for i in self.plan.indicators}  # looked up for every input of every return

    def _indicator(self, ind_id: str) -> Indicator | None:
        return self._indicators.get(ind_id)

    def _foreign_ids(self) -> dict[str, str]:
        """Every indicator and project ID → the department that reports it."""
        owners = {i.id: i.department for i in self.plan.indicators}
        owners.update({p.id: project_lead(p) for p in self.plan.projects})
        return owners

    # --- reading files in --------------------------------------------------------

    def identify(self, rf: ReturnFile) -> str | None:
        """The department whose return `rf` is, from its identity alone (`rf` may be read by
        its identity sheet only); None when it is rejected as it is (not ours, tampered, of
        another plan or an unknown department), which is then recorded."""
        a = self._attributed(rf)
        return a.identity.department if a is not None and a.identity is not None else None

    def add(self, rf: ReturnFile) -> None:
        """Judge a return read whole, and keep it if it is its department's latest or latest passing one."""
        a = self._attributed(rf)
        if a is None:
            return
        ident = a.identity
        assert ident is not None
        self._judge(a)
        cells = {(d.sheet, d.cell) for d in a.diagnostics if d.cell}
        a.problem_inputs = {(i.spec.sheet, i.spec.ref): (i.spec.kind, i.spec.unit) for i in a.rf.reading.inputs if (i.spec.sheet, i.spec.ref) in cells} if a.rf.reading else {}
        a.rf.reading = _slim(a.rf.reading)  # what is left to do needs the verdict, not the cells
        self._place(a, ident.department)

    def settled(self, departments: list[str]) -> list[Assessment]:
        """The files whose verdict is final once `departments` have had their returns judged
        (a department's are judged from the latest on): the files turned away as they were, the
        superseded ones, and those departments' latest and applied returns."""
        return [*self.done, *(a for dept in departments for a in (self.latest.get(dept), self.applied.get(dept)) if a is not None)]

    def supersede_unread(self, rf: ReturnFile, dept: str) -> None:
        """An older return of a department whose later one passes: superseded without being read whole."""
        newer = self.applied.get(dept) or self.latest[dept]
        self._supersede(Assessment(rf), newer)

    def _attributed(self, rf: ReturnFile) -> Assessment | None:
        a = Assessment(rf)
        if not rf.attributable:
            a.diagnostics += rf.problems
            if rf.reading is not None:
                a.diagnostics += rf.reading.diagnostics.items
            a.status = "rejected"
            self.done.append(a)
            return None
        ident = a.identity
        assert ident is not None
        if ident.plan != self.plan.name:
            a.add("RETURN_OTHER_PLAN", f"この様式は計画「{ident.plan}」のものです。このマスターの計画は「{self.plan.name}」です", value=ident.plan)
        elif self.plan.department(ident.department) is None:
            a.add("RETURN_UNKNOWN_DEPARTMENT", f"様式の所管課「{ident.department}」はマスターの所管課シートにありません", value=ident.department)
        if a.errors:
            a.status = "rejected"
            self.done.append(a)
            return None
        return a

    def _place(self, a: Assessment, dept: str) -> None:
        """Keep `a` if it is the department's latest return or its latest passing one;
        whatever drops out of both is superseded (a rejected later return supersedes nothing)."""
        before = [x for x in (self.latest.get(dept), self.applied.get(dept)) if x is not None]
        latest = self.latest.get(dept)
        if latest is None or time_key(a.rf) >= time_key(latest.rf):
            self.latest[dept] = a
        applied = self.applied.get(dept)
        if a.status in ("accepted", "unchanged") and (applied is None or time_key(a.rf) >= time_key(applied.rf)):
            self.applied[dept] = a
        kept = {id(self.latest[dept]), id(self.applied.get(dept))}
        seen: set[int] = set()
        for x in (*before, a):
            if id(x) in kept or id(x) in seen:
                continue
            seen.add(id(x))
            newer = self.applied[dept] if x.status in ("accepted", "unchanged") else self.latest[dept]
            self._supersede(x, newer)

    def _supersede(self, older: Assessment, newer: Assessment) -> None:
        older.superseded_by = newer.rf.file
        older.status = "superseded"
        older.changes = []
        older.diagnostics = []
        same = older.rf.sha256 == newer.rf.sha256  # the same file sent twice (回答.xlsx, 回答 (1).xlsx)
        older.add(
            "RETURN_SUPERSEDED",
            f"同じ内容のファイル「{newer.rf.file}」と重複しているため、このファイルは取り込みませんでした（値は「{newer.rf.file}」から取り込みます）"
            if same
            else f"同じ所管課のより新しい提出「{newer.rf.file}」があるため、このファイルは取り込みませんでした",
            severity="warning",
            value=newer.rf.file,
        )
        self.done.append(older)

    # --- the run's result -------------------------------------------------------------

    def finish(self) -> ConsolidationPlan:
        changes: list[FieldChange] = []
        for dept, a in self.latest.items():
            applied = self.applied.get(dept)
            if applied is not None:
                self.done.append(applied)
                if applied.status == "accepted":
                    changes += applied.changes
            if a is not applied:
                self.done.append(a)
        plan_after = apply_to_plan(self.plan, changes)
        edits = resolve_edits(self.state, changes, plan_after)
        log = changelog_edit(self.state, changes)
        if isinstance(log, ResultTable):
            edits.tables.append(log)
        elif log is not None:
            edits.appends.append(log)
        submissions, changed = self._submissions()
        if changed:
            edits.tables.append(submissions_table(submissions, self.plan))
        order = {id(a): i for i, a in enumerate(self.done)}
        assessments = sorted(self.done, key=lambda a: (a.rf.file, order[id(a)]))
        return ConsolidationPlan(self.plan.current_fy, self.at, assessments, changes, edits, submissions, changed, plan_after, self.ignored, self.not_returns)

    def _judge(self, a: Assessment) -> None:
        ident = a.identity
        reading = a.rf.reading
        assert ident is not None and reading is not None
        fy = self.plan.current_fy
        if ident.fy != fy:
            a.add(
                "RETURN_WRONG_YEAR",
                f"この様式は{fy_label(ident.fy)}用です。いまは{fy_label(fy)}の照会です。{fy}年度の様式に入力して提出してください",
                value=ident.fy,
            )
            a.status = "rejected"
            return
        if self._imported_before(ident.department, a.rf.sha256):
            # This very file was imported before: never re-applied (staff edits since then stay).
            a.status = "unchanged"
            return
        a.diagnostics += reading.diagnostics.items
        self._deviations(a, reading.deviations, ident.department)
        for sheet in reading.extra_sheets:
            a.add("RETURN_EXTRA_SHEET", f"シート「{sheet}」は様式にないシートのため、取り込みません", sheet, severity="warning")
        self._fractions(a, reading.inputs)
        allowed = [inp for inp in reading.inputs if self._may_write(a, inp, ident.department)]
        if not a.errors:
            a.changes = self._changes(a, allowed, ident)
            self._plausibility(a, allowed)
        if a.errors:
            a.status = "rejected"
            a.changes = []
            return
        missing = self._blank_required(reading.inputs, ident.fy)
        if missing and not any(inp.edited for inp in reading.inputs if inp.spec.key[0] != "department"):
            # Sent back as issued (perhaps with the contact filled) while it asks for figures:
            # nothing to apply, and the tracker keeps chasing it (未記入); it supersedes nothing.
            a.status = "blank"
            a.changes = []
            contact = any(inp.edited for inp in reading.inputs if inp.spec.key[0] == "department")
            where = "担当者の欄のほかは発行時のままです" if contact else "発行時のままです"
            a.add("RETURN_BLANK", f"入力欄がすべて空欄です（{where}）。記入して提出し直してください", severity="warning")
            return
        if missing:
            names = "、".join(inp.spec.label for inp in missing[:MAX_BLANK_LISTED])
            more = f" ほか{len(missing) - MAX_BLANK_LISTED}か所" if len(missing) > MAX_BLANK_LISTED else ""
            first = missing[0].spec
            a.add("RETURN_REQUIRED_BLANK", f"記入が必要な欄が{len(missing)}か所空欄です: {names}{more}。分かる範囲で記入してください", first.sheet, first.ref, severity="warning")
        a.status = "accepted"

    def _blank_required(self, inputs: list[ReturnInput], fy: int) -> list[ReturnInput]:
        """The required inputs left blank: the actual each indicator is due to report this year
        (the year its data lag reaches), each project's status (a co-department's is optional),
        each policy's rating."""
        blank = []
        for inp in inputs:
            key = inp.spec.key
            ind = self._indicator(key[1]) if key[0] == "value" else None
            required = (
                (ind is not None and key[3] == "actual" and key[2] == fy - ind.data_lag)
                or (key[0] == "project" and key[3] == "status")
                or (key[0] == "rating" and key[3] == "rating")
            )
            if required and inp.value is None and not _said_no_value(inp.found):
                blank.append(inp)
        return blank

    def _fractions(self, a: Assessment, inputs: list[ReturnInput]) -> None:
        """A % indicator given 0.284 where its figures are like 28.4: a fraction typed for a percentage?"""
        for inp in inputs:
            spec = inp.spec
            if spec.key[0] != "value" or spec.key[3] != "actual" or spec.unit not in ("%", "％") or not inp.edited:
                continue
            value = inp.value
            if not isinstance(value, float) or not 0 < value <= 1:
                continue
            ind = self._indicator(spec.key[1])
            known = [v.actual for v in ind.values.values() if v.actual is not None] if ind else []
            if ind is not None and ind.baseline_value is not None:
                known.append(ind.baseline_value)
            if known and max(abs(k) for k in known) <= 1:
                continue  # an indicator of small percentages: nothing unusual
            a.add(
                "PERCENT_LOOKS_LIKE_FRACTION",
                f"{spec.label}: {value:g} が入力されています（単位は%）。{value * 100:g}% のことなら {value * 100:g} と入力してください。{value:g}% で正しければ、このままで構いません",
                spec.sheet,
                spec.ref,
                "warning",
                inp.found,
            )

    def _deviations(self, a: Assessment, deviations: list[CellDeviation], dept: str) -> None:
        names = {d.code: d.name for d in self.plan.departments}
        foreign_rows: set[tuple[str, int]] = set()
        reported = 0
        for dev in deviations:
            row = int("".join(ch for ch in dev.ref if ch.isdigit()))
            owner = self._owners.get(dev.found)
            if dev.mode == "strict" and owner and owner != dept and not dev.issued:
                if (dev.sheet, row) not in foreign_rows:
                    foreign_rows.add((dev.sheet, row))
                    a.add(
                        "RETURN_FOREIGN_ROW",
                        f"「{dev.found}」は{names.get(owner, owner)}の担当です。この様式（{names.get(dept, dept)}）では入力できません。{row}行目を削除してください",
                        dev.sheet,
                        dev.ref,
                        value=dev.found,
                    )
                continue
            if (dev.sheet, row) in foreign_rows:
                continue
            if reported >= MAX_DEVIATIONS_REPORTED:
                reported += 1
                continue
            reported += 1
            if dev.mode == "info":
                a.add("RETURN_IGNORED_CELL", f"このセルへの入力（「{dev.found[:40]}」）は取り込まれません。入力は黄色の欄にお願いします", dev.sheet, dev.ref, "warning", dev.found)
            elif past := dev.what:
                a.add(
                    "RETURN_PAST_YEAR_EDITED",
                    f"このセルは{past}の欄です（灰色: 様式からは変更できない年度です。黄色の欄は別の年度です）。"
                    f"元に戻してください（発行時「{dev.issued[:40] or '（空欄）'}」）。過去の年度の値の訂正は、計画の事務局（環境部門）にご連絡ください",
                    dev.sheet,
                    dev.ref,
                    value=dev.found,
                )
            elif dev.issued:
                a.add(
                    "RETURN_LOCKED_CHANGED",
                    f"このセルは変更できません（発行時「{dev.issued[:40]}」→ 提出「{dev.found[:40] if dev.found else '（空欄）'}」）。元に戻してください",
                    dev.sheet,
                    dev.ref,
                    value=dev.found,
                )
            else:
                a.add("RETURN_UNEXPECTED_CELL", f"このセルは入力欄ではありません（「{dev.found[:40]}」が入力されています）。削除して、黄色の欄に入力してください", dev.sheet, dev.ref, value=dev.found)
        if reported > MAX_DEVIATIONS_REPORTED:
            a.add("RETURN_LOCKED_CHANGED", f"ほかにも発行時から変わったセルが{reported - MAX_DEVIATIONS_REPORTED}か所あります。お送りした様式に入力し直してください")

    def _may_write(self, a: Assessment, inp: ReturnInput, dept: str) -> bool:
        """Ownership, frozen years and a place in the master, checked against the master as it is now."""
        key, spec = inp.spec.key, inp.spec
        plan = self.plan
        names = {d.code: d.name for d in plan.departments}
        kind = key[0]
        owner: str | None = None
        frozen = False
        if kind in ("value", "judgement"):  # a year's 評価 goes with its figure: owned and closed alike
            ind = plan.indicator(key[1])
            owner = ind.department if ind else None
            frozen = ind is not None and value_frozen(plan, ind, key[2])
        elif kind == "project":
            proj = next((p for p in plan.projects if p.id == key[1]), None)
            owner = project_lead(proj) if proj else None
            frozen = year_frozen(plan, key[2])
        elif kind == "project_part":
            # A co-department writes its own part only, while it is on the project.
            proj = next((p for p in plan.projects if p.id == key[1]), None)
            owner = (key[3] if key[3] in proj.co_departments() else project_lead(proj)) if proj else None
            frozen = year_frozen(plan, key[2])
        elif kind in ("policy", "rating", "budget"):
            pol = plan.policy(key[1])
            owner = pol.department if pol else None
            frozen = (kind == "rating" and year_frozen(plan, key[2])) or (kind == "budget" and budget_frozen(plan, key[2], key[3]))
        elif kind == "department":
            owner = key[1] if plan.department(key[1]) else None
        if owner is None:
            if not inp.edited and inp.value is None:
                return False  # gone from the master and left blank: nothing to import
            a.add("RETURN_UNKNOWN_ROW", f"{spec.label}: マスターにこの項目がなくなっています（削除されたか、IDが変わりました）", spec.sheet, spec.ref, value=inp.found)
            return False
        if owner != dept:
            if not inp.edited:
                return False  # reassigned since issue and untouched: not this department's to write
            a.add("RETURN_NOT_OWNER", f"{spec.label}: この項目は現在{names.get(owner, owner)}の担当です。この様式からは入力できません", spec.sheet, spec.ref, value=inp.found)
            return False
        if frozen and inp.edited and not self.allow_frozen:
            a.add(
                "RETURN_FROZEN_YEAR",
                f"{spec.label}: この年度は確定済みのため変更できません（変更が必要なときは環境課にご連絡ください）",
                spec.sheet,
                spec.ref,
                value=inp.found,
            )
            return False
        problem = check_placeable(self.state, key) if inp.edited or inp.value is not None else None
        if problem:
            a.add("RETURN_MASTER_NO_PLACE", f"{spec.label}: {problem}", spec.sheet, spec.ref)
            return False
        return True

    def _changes(self, a: Assessment, inputs: list[ReturnInput], ident: TemplateIdentity) -> list[FieldChange]:
        plan = self.plan
        dept = ident.department
        by_key = {inp.spec.key: inp for inp in inputs}
        out: list[FieldChange] = []
        held_over: list[tuple[ReturnInput, Any]] = []
        for inp in inputs:
            key, spec = inp.spec.key, inp.spec
            new, cur = inp.value, plan_value(plan, key)
            if not self._pair_ok(a, inp, by_key, cur):
                continue
            if self._of_an_earlier_year(key, ident.fy):
                # Last year's results stay until this year's evaluation replaces them (below).
                held_over.append((inp, cur))
                cur = None
            if same_value(new, cur):
                continue
            # The master value differs from the issued one because of this department's own
            # earlier return (a resubmission), not because staff edited it since.
            last = self.state.last_change.get(encode_key(key))
            by_this = last is not None and last[0] == dept and same_as_logged(last[1], cur)
            if not same_value(cur, inp.issued) and not by_this:
                if same_value(new, inp.issued):
                    a.add(
                        "RETURN_MASTER_NEWER",
                        f"{spec.label}: 様式の発行後にマスターで変更されています（発行時 {describe_value(inp.issued, spec.unit)} → 現在 {describe_value(cur, spec.unit)}）。提出の値は発行時のままのため、マスターの値を残しました",
                        spec.sheet,
                        spec.ref,
                        "warning",
                    )
                    continue
                a.add(
                    "RETURN_OVERRIDES_MASTER",
                    f"{spec.label}: 様式の発行後にマスターで変更されていた値（{describe_value(cur, spec.unit)}）を、提出の値（{describe_value(new, spec.unit)}）で置き換えました",
                    spec.sheet,
                    spec.ref,
                    "warning",
                )
            frozen = self._is_frozen(key)
            origin = ChangeOrigin(KIND_IMPORT_FROZEN if frozen else KIND_IMPORT, self.at, dept, a.rf.file, a.rf.sha256, f"{spec.sheet}!{spec.ref}")
            out.append(FieldChange(key, spec.label, plan_value(plan, key), new, origin))
        touched = sorted({ch.key[1] for ch in out if ch.key[0] in ("policy", "rating", "budget")})
        for code in touched:
            pol = plan.policy(code)
            if pol is not None and pol.evaluation_fy != ident.fy:
                origin = ChangeOrigin(KIND_IMPORT, self.at, dept, a.rf.file, a.rf.sha256, "")
                out.append(FieldChange(("policy", code, "evaluation_fy"), f"施策{code} 評価年度", pol.evaluation_fy, ident.fy, origin))
                # This year's evaluation replaces last year's texts, also where left blank.
                for inp, cur in held_over:
                    if inp.spec.key[1] == code and inp.value is None and cur is not None:
                        origin = ChangeOrigin(KIND_IMPORT, self.at, dept, a.rf.file, a.rf.sha256, f"{inp.spec.sheet}!{inp.spec.ref}")
                        out.append(FieldChange(inp.spec.key, inp.spec.label, cur, None, origin))
        return out

    def _of_an_earlier_year(self, key: tuple[Any, ...], fy: int) -> bool:
        """A policy's yearly texts (results, remaining issues) written for an earlier evaluation year."""
        if key[0] != "policy" or key[2] not in YEARLY_POLICY_TEXTS:
            return False
        pol = self.plan.policy(key[1])
        return pol is not None and pol.evaluation_fy != fy

    def _pair_ok(self, a: Assessment, inp: ReturnInput, by_key: dict[tuple[Any, ...], ReturnInput], cur: Any) -> bool:
        """A project's status and a policy's rating carry the row: a comment or reason needs one."""
        key, spec = inp.spec.key, inp.spec
        if key[0] not in ("project", "rating", "judgement"):
            return True
        main = {"project": "status", "rating": "rating", "judgement": "level"}[key[0]]
        if key[3] == main:
            if inp.value is None and cur is not None and key[0] == "project":
                a.add("RETURN_STATUS_CLEARED", f"{spec.label}: 状況は空欄にできません。一覧から選んでください", spec.sheet, spec.ref)
                return False
            return True
        partner = by_key.get((*key[:3], main))
        has_main = (partner.value if partner else None) is not None or plan_value(self.plan, (*key[:3], main)) is not None
        if inp.value is not None and not has_main:
            what = {"project": "状況", "rating": "評価区分", "judgement": "評価"}[key[0]]
            cell = partner.spec.ref if partner else spec.ref
            a.add("REQUIRED", f"{spec.label}を入力するときは、{what}も一覧から選んでください", spec.sheet, cell)
            return False
        return True

    def _is_frozen(self, key: tuple[Any, ...]) -> bool:
        plan = self.plan
        if key[0] in ("value", "judgement"):
            ind = plan.indicator(key[1])
            return ind is not None and value_frozen(plan, ind, key[2])
        if key[0] in ("project", "project_part", "rating"):
            return year_frozen(plan, key[2])
        if key[0] == "budget":
            return budget_frozen(plan, key[2], key[3])
        return False

    def _plausibility(self, a: Assessment, inputs: list[ReturnInput]) -> None:
        """The range and jump checks of validate, on the indicator as it would be after this return."""
        value_changes = [ch for ch in a.changes if ch.key[0] == "value"]
        if not value_changes:
            return
        ids = {ch.key[1] for ch in value_changes}
        # Only the indicators this return touches: copying the whole plan per return is needless work.
        # Value changes replace YearValue entries of `values` only: a copy of that dict per indicator is enough.
        touched = [i.model_copy(update={"values": dict(i.values)}) for i in self.plan.indicators if i.id in ids]
        merged = apply_to_plan(self.plan.model_copy(update={"indicators": touched, "projects": [], "policies": []}), value_changes, copy=False)
        cells = {("value", *inp.spec.key[1:]): (inp.spec.sheet, inp.spec.ref) for inp in inputs if inp.spec.key[0] == "value"}
        diags = DiagnosticList()
        for ind_id in sorted(ids):
            ind = merged.indicator(ind_id)
            assert ind is not None
            check_values(diags, merged, ind, lambda key: cells.get(key, ("", "")))
        changed = {(ch.key[1], ch.key[2]) for ch in value_changes}
        for d in diags.items:
            if not d.cell:
                continue  # about a year this return did not touch: the master's own matter
            key = next((k for k, at in cells.items() if at == (d.sheet, d.cell)), None)
            if key is not None and (key[1], key[2]) in changed:
                d.file = a.rf.file
                a.diagnostics.append(d)

    # --- submissions ----------------------------------------------------------------

    def _recorded(self, dept: str) -> dict[str, Any] | None:
        fy = self.plan.current_fy
        return next((r for r in self.state.submissions if r.get("fy") == fy and r.get("department") == dept), None)

    def _imported_before(self, dept: str, sha256: str) -> bool:
        """This very file's values were applied by an earlier run (and are never re-applied:
        staff edits since then stay). A master from before 値を取り込んだファイル had only the status."""
        recorded = self._recorded(dept)
        if recorded is None:
            return False
        if recorded.get("applied_sha256"):
            return bool(recorded.get("applied_sha256") == sha256)
        return bool(recorded.get("sha256") == sha256 and recorded.get("status") == SUBMITTED)

    def _submissions(self) -> tuple[list[dict[str, Any]], bool]:
        """The tracker shows each department's latest return; a rejected one notes whose values stand."""
        fy = self.plan.current_fy
        names = {d.code: d.name for d in self.plan.departments}
        rows = {(r.get("fy"), r.get("department")): dict(r) for r in self.state.submissions}
        before = {k: dict(v) for k, v in rows.items()}
        for dept in (d.code for d in departments_to_issue(self.plan)):
            rows.setdefault((fy, dept), _submission_row(fy, dept, names.get(dept, dept), NOT_SUBMITTED))
        for dept, a in self.latest.items():
            if a.status == "unchanged":
                continue
            ident = a.identity
            assert ident is not None
            recorded = self._recorded(dept) or {}
            status = {"rejected": RETURNED, "blank": BLANK}.get(a.status, SUBMITTED)
            applied = self.applied.get(dept)
            applied_file = applied.rf.file if applied else recorded.get("applied_file") or ""
            applied_sha = applied.rf.sha256 if applied else recorded.get("applied_sha256") or ""
            if recorded.get("sha256") == a.rf.sha256 and recorded.get("status") == status and (recorded.get("applied_sha256") or "") == applied_sha:
                # The same verdict on the same file as the last run, the same file's values standing:
                # nothing new to record. (An earlier file applied only now, behind a rejected later
                # one taken in before, is new: unrecorded, it would be applied again every run.)
                continue
            if applied is not None and applied.status == "accepted":
                changes = len(applied.changes)
            elif applied_sha and applied_sha == recorded.get("applied_sha256"):
                changes = recorded.get("changes") or 0  # what the standing file changed when it was applied
            else:
                changes = 0
            if a.status in ("rejected", "blank"):
                note = a.errors[0].message if a.errors else a.diagnostics[0].message
                if applied_file:
                    note = f"{note}（先に受理した「{applied_file}」の値がそのまま有効です）"
            else:
                note = "確認のお願い（警告）があります" if a.warnings else ""
            rows[(fy, dept)] = _submission_row(
                fy,
                dept,
                names.get(dept, dept),
                status,
                received_at=self.at,
                file=a.rf.file,
                sha256=a.rf.sha256,
                errors=len(a.errors),
                warnings=len(a.warnings),
                changes=changes,
                issued_at=_shown_time(ident.issued_at),
                note=note,
                applied_file=applied_file,
                applied_sha256=applied_sha,
            )
        order = {d.code: i for i, d in enumerate(self.plan.departments)}
        result = sorted(rows.values(), key=lambda r: (-(r.get("fy") or 0), order.get(str(r.get("department")), 999), str(r.get("department"))))
        return result, rows != before


def _said_no_value(found: Any) -> bool:
    """「－」「未集計」 typed in a cell: the clerk's answer that there is no figure (yet), not a blank
    (a text the number reader reads as no value, as it does everywhere)."""
    from envplan.plan.numbers import read_number

    if not isinstance(found, str) or not found.strip():
        return False
    reading = read_number(found)
    return reading.ok and reading.value is None


def _submission_row(fy: int, dept: str, name: str, status: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {c.key: None for c in layout()["submissions"].columns}
    row.update(fy=fy, department=dept, department_name=name, status=status)
    for k, v in fields.items():
        row[k] = v if v != "" else None
    return row


def submissions_table(rows: list[dict[str, Any]], plan: Plan) -> ResultTable:
    spec = layout()["submissions"]
    keys = [c.key for c in spec.columns]
    fy = plan.current_fy
    current = [r for r in rows if r.get("fy") == fy]
    counts = {s: sum(1 for r in current if r.get("status") == s) for s in (SUBMITTED, RETURNED, BLANK, NOT_SUBMITTED)}
    note = f"{fy_label(fy)}: 受理 {counts[SUBMITTED]}、差戻し {counts[RETURNED]}、未記入 {counts[BLANK]}、未提出 {counts[NOT_SUBMITTED]}（{spec.note}）"
    status_col = keys.index("status")
    return ResultTable(
        sheet=spec.name,
        title=spec.title,
        note=note,
        header=[c.header for c in spec.columns],
        rows=[[r.get(k) for k in keys] for r in rows],
        widths=[c.width for c in spec.columns],
        number_formats={0: '0"年度"'},
        text_fills={status_col: {SUBMITTED: "C6EFCE", RETURNED: "F8CBAD", BLANK: "FFE699", NOT_SUBMITTED: "FFE699"}},
        printed_columns=spec.printed_columns(),
    )


def _slim(reading: Any) -> Any:
    """Keep only what a superseded return still needs (its identity)."""
    if reading is None:
        return None
    reading.inputs = []
    reading.deviations = []
    reading.diagnostics = DiagnosticList()
    return reading


# --- the whole run on files ----------------------------------------------------------


class ConsolidationError(RuntimeError):
    """An environment problem: no master, no inbox, no key, master busy or invalid."""

    def __init__(self, message: str, message_en: str, diagnostics: list[Diagnostic] | None = None, exit_code: int = 2) -> None:
        super().__init__(message)
        self.message_en = message_en
        self.diagnostics = diagnostics or []
        self.exit_code = exit_code


def prepare_consolidation(
    state: MasterState,
    inbox: Path,
    key: bytes,
    *,
    jobs: int = 1,
    allow_frozen: bool = False,
    open_source: OpenSource | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    reader: ReturnReader | None = None,
    settled: Callable[[list[Assessment], str], None] | None = None,
) -> ConsolidationPlan:
    """Read the inbox (in `jobs` processes, or with the caller's `reader`) and plan the changes;
    writes nothing. The Excel door calls this with a state read from the open book. `settled`:
    told, as the judging goes on, of files whose verdict is final (`Consolidator.settled`) and
    the run's time (what their feedback copies are made of, so they can be begun)."""

    files, ignored = list_inbox(inbox)
    consolidator = Consolidator(state, allow_frozen=allow_frozen)
    # Folders are listed too (not read): a return filed in a subfolder must not go unnoticed.
    consolidator.ignored = [
        p.name if p.is_file() else f"{p.name}/" for p in ignored if p.name != FEEDBACK_DIR_NAME and not p.name.startswith(".") and not is_not_a_return(p)
    ]
    consolidator.not_returns = [p.name for p in ignored if is_not_a_return(p)]
    try:
        with contextlib.nullcontext(reader) if reader is not None else ReturnReader(key, key_id(key), jobs=jobs, open_source=open_source) as reader:
            _judge_inbox(consolidator, files, reader, progress, settled)
    except WorkersLost as e:
        # Not done again here: what ended the worker (memory) may be a file that would end this process too.
        shown = "、".join(e.files[:5]) + (f" ほか {len(e.files) - 5} 件" if len(e.files) > 5 else "")
        raise ConsolidationError(
            "読み込み用のプロセスが途中で終了しました（メモリ不足などのおそれがあります）。マスターは変更していません。"
            f"読み終わらなかったファイル（{len(e.files)} 件）: {shown}。--jobs 1 で実行し直してください（それでも止まるときは、これらのファイルのどれかが大きすぎるおそれがあります）",
            f"a reading worker process ended during the run (out of memory?); the master is unchanged. Unfinished: {', '.join(e.files)}. Run again with --jobs 1",
        ) from e
    return consolidator.finish()


def _judge_inbox(
    consolidator: Consolidator,
    files: list[Path],
    reader: ReturnReader,
    progress: Callable[[int, int, str], None] | None,
    settled: Callable[[list[Assessment], str], None] | None,
) -> None:
    """Every file of the inbox read and judged (`prepare_consolidation`)."""
    # First every file by its identity alone: whose return it is and when it was issued.
    queues: dict[str, list[ReturnFile]] = {}
    for i, rf in enumerate(reader.read(files, identity_only=True), 1):
        dept = consolidator.identify(rf)
        if dept is not None:
            queues.setdefault(dept, []).append(rf)
        if progress:
            progress(i, len(files), rf.file)
    for queue in queues.values():
        queue.sort(key=time_key, reverse=True)
    if settled is not None:
        settled(consolidator.settled([]), consolidator.at)
    # Then, per department, its returns read whole from the latest on, until one passes:
    # the older ones are superseded by it whatever they hold, so they are not read whole
    # (the verdict is the same as judging every file; only the reading is saved).
    while queues:
        batch = {dept: queue.pop(0) for dept, queue in queues.items()}
        judged: list[str] = []
        for (dept, first), rf in zip(batch.items(), reader.read([Path(f.path) for f in batch.values()])):
            if rf.sha256 != first.sha256:
                rf.problems.append(
                    Diagnostic("RETURN_CHANGED_WHILE_READING", "取込の途中でファイルが置き換えられました。もう一度取込を実行してください", IDENTITY_SHEET, "", "error", file=rf.file)
                )
            consolidator.add(rf)
            queue = queues[dept]
            if dept in consolidator.applied or not queue:
                for older in queue:
                    consolidator.supersede_unread(older, dept)
                del queues[dept]
                judged.append(dept)
        if settled is not None and judged:
            settled(consolidator.settled(judged), consolidator.at)


def consolidate(
    master: Path,
    inbox: Path,
    *,
    jobs: int = 1,
    feedback_dir: Path | None = None,
    allow_frozen: bool = False,
    open_source: OpenSource | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    reader: ReturnReader | None = None,
) -> ConsolidationResult:
    """Consolidate every return in `inbox` into `master` (file door). `reader`: one the caller
    set reading the inbox already (`return_files.reading_ahead`), used when it has the master's key."""
    from envplan.survey.template_identity import SigningKeyError, load_key
    from envplan.workbook.changes import MasterStateError, load_master_state
    from envplan.workbook.io import UnreadableWorkbook, open_workbook
    from envplan.workbook.store import MasterBusyError, MasterLock, MasterWriteError, close_workbook
    from envplan.workbook.xlsx_load import load_for_edit
    from envplan.workbook.xlsx_master_edits import edit_master

    master, inbox = Path(master), Path(inbox)
    if not master.is_file():
        raise ConsolidationError(f"マスターが見つかりません: {master}", f"master not found: {master}")
    if not inbox.is_dir():
        raise ConsolidationError(f"受付フォルダが見つかりません: {inbox}", f"inbox folder not found: {inbox}")
    try:
        key = load_key(master)
    except SigningKeyError as e:
        raise ConsolidationError(str(e), "the signing key beside the master is missing or unreadable") from e
    backup: Path | None = None
    try:
        if reader is None or reader.key != key or reader.open_source is not open_source:
            reader = ReturnReader(key, key_id(key), jobs=jobs, open_source=open_source)
        with MasterLock(master), reader:
            # The workers read who sent what while the master is read, then get ready for the feedback copies.
            if not reader.prefetching:  # one set reading ahead (`reading_ahead`) has listed the inbox already
                reader.prefetch(list_inbox(inbox)[0], then_import=(FEEDBACK_WRITER,))
            try:
                source = open_workbook(master)
            except UnreadableWorkbook as e:
                raise ConsolidationError(e.message, e.message_en) from e
            try:
                state = load_master_state(source)
            except MasterStateError as e:
                raise ConsolidationError(str(e), "the master has errors; run envplan validate", e.diagnostics, exit_code=1) from e
            finally:
                source.close()
            # While workers read, this process loads the master for the write it will most likely make.
            workbook = _loaded_early(load_for_edit, master) if reader.unread else None
            copies = FeedbackCopies(reader)
            cplan = prepare_consolidation(
                state, inbox, key, jobs=jobs, allow_frozen=allow_frozen, open_source=open_source, progress=progress, reader=reader, settled=copies.begin if reader.has_workers else None
            )
            feedback_to = feedback_dir or inbox / FEEDBACK_DIR_NAME
            needs_feedback = any(a.needs_feedback for a in cplan.assessments)
            if needs_feedback:
                _check_writable(feedback_to)  # before the master changes: the run stops whole or completes whole
                copies.begin_all(cplan)
            else:
                reader.finish()  # the workers wind down while the master is written (else when leaving `with`)
            if cplan.write_needed:
                backup = edit_master(master, cplan.edits, policy_sheets=state.reading.policy_sheets, workbook=workbook)
            elif workbook is not None:
                close_workbook(workbook)
            made = copies.results() if needs_feedback else None
    except MasterBusyError as e:
        raise ConsolidationError(str(e), "the master is in use (another run, or open in Excel/LibreOffice)") from e
    except MasterWriteError as e:
        raise ConsolidationError(str(e), "the master could not be written; it is unchanged") from e
    try:
        _write_feedback(cplan, feedback_to, made)
    except OSError as e:  # e.g. the disk filled up after the master was written
        from envplan.workbook.store import write_error_reason

        done = "マスターへの取込は完了しましたが、" if backup or cplan.write_needed else "マスターは変更していませんが、"
        raise ConsolidationError(
            f"{done}差戻し・確認のファイルを {feedback_to} に書き込めませんでした（{write_error_reason(e)}）。"
            "空きを作るか --feedback で書き込めるフォルダを指定して、同じコマンドを実行し直してください",
            "the feedback files could not be written" + ("; the master was updated" if cplan.write_needed else ""),
        ) from e
    return result_of(cplan, master, inbox, backup)


def _write_feedback(cplan: ConsolidationPlan, out_dir: Path, made: list[tuple[str, bytes]] | None = None) -> None:
    """The feedback files, if any file needs one: their writer (and the workbook layer it brings,
    a tenth of a second to import) is loaded only then. `made`: the copies, made already."""
    if any(a.needs_feedback for a in cplan.assessments):
        from envplan.survey.feedback import write_feedback

        write_feedback(cplan, out_dir, made)


class FeedbackCopies:
    """The feedback copies of a run, handed to the reader's workers as soon as a file's verdict is
    final (`prepare_consolidation`'s `settled`): the workers, idle once every file is read, make
    them while this process judges the other files and writes the master; it makes the ones no
    worker has started by then itself."""

    def __init__(self, reader: ReturnReader) -> None:
        self._reader = reader
        self._handout: Handout[Any, tuple[str, bytes]] | None = None
        self._begun: dict[str, tuple[int, Any]] = {}  # file path → (task number, its FeedbackJob)
        self._tasks: list[int] = []  # `begin_all`: the copies `feedback_jobs` lists, by task number

    def begin(self, assessments: list[Assessment], at: str) -> None:
        """The copies of those of `assessments` that need one and have none begun."""
        new = [a for a in assessments if a.needs_feedback and a.rf.path not in self._begun]
        if not new:
            return
        from envplan.survey.feedback import FeedbackJob

        self._hand_out([FeedbackJob.of(a, at) for a in new])

    def begin_all(self, cplan: ConsolidationPlan) -> None:
        """Every copy the run needs (`feedback_jobs`). One begun on a verdict that is not the
        final one after all (the job differs) is begun again: the copies never depend on when
        they were begun."""
        from envplan.survey.feedback import feedback_jobs

        jobs = feedback_jobs(cplan)
        self._hand_out([job for job in jobs if self._begun.get(job.source, (0, None))[1] != job])
        self._tasks = [self._begun[job.source][0] for job in jobs]

    def results(self) -> list[tuple[str, bytes]]:
        """The copies of `begin_all`, in its order."""
        assert self._handout is not None
        made = self._handout.results(redo_here=True)  # the master is written by now: a copy a worker left unmade is made here
        return [made[i] for i in self._tasks]

    def _hand_out(self, jobs: list[Any]) -> None:
        if self._handout is None:
            from envplan.survey.feedback import render

            self._handout = self._reader.hand_out(render, [])
        first = len(self._handout)
        self._begun.update((job.source, (i, job)) for i, job in enumerate(jobs, first))
        self._handout.add(jobs)


def _loaded_early(load: Callable[[Path], Any], master: Path) -> Any:
    """The master loaded for editing before it is known to be needed; None when that fails (a run
    that writes nothing never needed it, and one that writes loads it again and says why)."""
    try:
        return load(master)
    except Exception:  # noqa: BLE001
        return None


def _check_writable(folder: Path) -> None:
    """Raise ConsolidationError unless files can be created in `folder` (created if missing)."""
    import tempfile

    from envplan.workbook.store import write_error_reason

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise ConsolidationError(
            f"差戻し・確認のファイルの出力先 {folder} に書き込めません（{write_error_reason(e)}）。"
            "マスターは変更していません。--feedback で書き込めるフォルダを指定してください",
            f"the feedback folder {folder} cannot be written; the master is unchanged",
        ) from e


FEEDBACK_DIR_NAME = "フィードバック"


def consolidate_into(
    state: MasterState,
    sink: Any,
    inbox: Path,
    key: bytes,
    *,
    master_label: str = "",
    jobs: int = 1,
    feedback_dir: Path | None = None,
    allow_frozen: bool = False,
) -> ConsolidationResult:
    """The same run for a master that is open elsewhere (the Excel door): `state`
    read from the open book, edits applied through its `MasterEditSink`. The
    caller saves the book; nothing is applied when nothing changed."""
    from envplan.workbook.changes import apply_edits

    cplan = prepare_consolidation(state, Path(inbox), key, jobs=jobs, allow_frozen=allow_frozen)
    if cplan.write_needed:
        apply_edits(cplan.edits, sink, state.reading.policy_sheets)
    _write_feedback(cplan, feedback_dir or Path(inbox) / FEEDBACK_DIR_NAME)
    return result_of(cplan, Path(master_label or "master"), Path(inbox), None)


def result_of(cplan: ConsolidationPlan, master: Path, inbox: Path, backup: Path | None) -> ConsolidationResult:
    plan = cplan.plan_after
    return ConsolidationResult(
        master=str(master),
        inbox=str(inbox),
        fy=cplan.fy,
        accepted=cplan.count("accepted"),
        rejected=cplan.count("rejected"),
        unchanged=cplan.count("unchanged"),
        superseded=cplan.count("superseded"),
        blank=cplan.count("blank"),
        changes=len(cplan.changes),
        written=cplan.write_needed,
        backup=str(backup) if backup else "",
        ignored=cplan.ignored,
        not_returns=cplan.not_returns,
        files=[a.outcome(plan) for a in cplan.assessments],
        submissions=[r for r in cplan.submissions if r.get("fy") == cplan.fy],
    )
