"""`envplan demo`: a closed-year value typed over in Excel is found and settled.

On the next-year copy of the demo (`demo_returns.step_next_year`), one closed
actual is typed over the way Excel saves it (no envplan), `validate` finds it
at its cell, it is accepted with a reason (the same operation as `envplan year
accept-frozen-edits` and the ribbon's 確定値 button), and `validate` is clean.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from envplan.demo.context import DEMO_SAMPLE, DemoContext

if TYPE_CHECKING:
    from envplan.plan.model import Plan
    from envplan.workbook.validation import ValidationResult

DEMO_REASON = "デモ: 県の確定値に差し替え（例示の値）"


def step_frozen_edit(ctx: DemoContext) -> None:
    import openpyxl

    from envplan.survey.yearly import FROZEN_EDITED, frozen_edit_changes, run_on_master
    from envplan.workbook.frozen_record import frozen_fields, show

    master = ctx.out / "次年度" / ctx.masters[DEMO_SAMPLE].name
    before = _validate(master)
    plan = before.plan
    assert plan is not None
    where = before.reading.where
    # The latest closed actual that has a figure: the kind of value replaced by a later, final figure.
    typed = [k for k in frozen_fields(plan) if k[0] == "value" and k[3] == "actual" and k in where and isinstance(_actual(plan, k), (int, float))]
    key = max(typed, key=lambda k: k[2])
    ind = plan.indicator(key[1])
    assert ind is not None
    old = _actual(plan, key)
    new = old + 1
    sheet, ref = where[key]
    wb = openpyxl.load_workbook(master)
    wb[sheet][ref] = new
    wb.save(master)
    found = [d for d in _validate(master).diagnostics.errors if d.code == FROZEN_EDITED]
    if [(d.sheet, d.cell) for d in found] != [(sheet, ref)]:
        raise RuntimeError(f"確定済みの値の直接の変更を検出できませんでした: {[d.message for d in found]}")
    yplan, _backup = run_on_master(master, lambda state: frozen_edit_changes(state, restore=False, reason=DEMO_REASON), tolerate=(FROZEN_EDITED,))
    after = _validate(master)
    if after.diagnostics.errors:
        raise RuntimeError(f"承認の後も検証でエラー: {[d.message for d in after.diagnostics.errors][:5]}")
    ctx.lines.append(
        f"確定値の直接修正（次年度のコピー）: {ind.name}の{key[2]}年度実績を Excel で {show(old, ind.unit)} → {show(new, ind.unit)} に書き換え"
        f" → 検証が {sheet}!{ref} に FROZEN_EDITED → 理由を付けて認め（{len(yplan.changes)} 件、変更履歴に「確定年度の修正」）"
        " → 再検証でエラー 0 件（Excel ではリボンの「確定値」ボタン）"
    )


def _actual(plan: Plan, key: tuple[Any, ...]) -> Any:
    ind = plan.indicator(key[1])
    v = ind.values.get(key[2]) if ind else None
    return v.actual if v else None


def _validate(master: Path) -> ValidationResult:
    from envplan.workbook.io import CalamineSource
    from envplan.workbook.validation import validate_source

    source = CalamineSource(master)
    try:
        return validate_source(source)
    finally:
        source.close()


__all__ = ["step_frozen_edit"]
