"""`envplan target WORDING... [--unit U] [--base-fy Y] [--direction D] [--json]`: read target wordings.

Prints, per wording, the structured target the wording states or why it cannot
be read (exit 1 when any cannot). No workbook is needed: anyone can script it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from envplan.cli.app import EXIT_INVALID, EXIT_OK, app, console, escape, parse_fy_option
from envplan.cli.commands import Argument, Exit, Option

_DIRECTIONS = {"higher": "higher", "lower": "lower", "大きいほどよい": "higher", "小さいほどよい": "lower"}


@app.command()
def target(
    wordings: list[str] = Argument(help="目標の文言（複数可）"),
    unit: str = Option("", "--unit", help="指標の単位（例: t-CO2）"),
    base_fy: str | None = Option(None, "--base-fy", help="指標の基準年度（例: 2013）"),
    direction: str | None = Option(None, "--direction", help="指標の方向: higher か lower"),
    as_json: bool = Option(False, "--json", help="結果を JSON の配列で標準出力に出す"),
) -> None:
    """目標の文言を読み取り、構造化した目標か読めない理由を示す。

    種別・年度・値・基準年度・単位・方向・目安・中間目標を表示します。読めない文言があれば終了コード1。
    """
    from envplan.plan.target_wording import TargetWordingError, read_target

    base = parse_fy_option(base_fy, as_json, option="--base-fy")
    d = None
    if direction is not None:
        d = _DIRECTIONS.get(direction.strip())
        if d is None:
            from envplan.cli.app import fail

            fail(f"--direction は higher または lower で指定してください（「{direction}」）", f"--direction must be higher or lower, not {direction!r}", as_json=as_json)
    results: list[dict[str, Any]] = []
    for wording in wordings:
        try:
            r = read_target(wording, unit=unit, base_fy=base, direction=d)  # type: ignore[arg-type]
            results.append({"wording": wording, "ok": True, "target": r.as_json(), "reason": None, "reason_en": None})
        except TargetWordingError as e:
            results.append({"wording": wording, "ok": False, "target": None, "reason": e.reason, "reason_en": e.reason_en})
    if as_json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    else:
        for item in results:
            _print(item)
    raise Exit(EXIT_OK if all(i["ok"] for i in results) else EXIT_INVALID)


def _print(item: dict[str, Any]) -> None:
    out = console.print
    if not item["ok"]:
        out(f"[red]✕[/] 「{escape(item['wording'])}」 読めません: {escape(item['reason'])}")
        return
    t = item["target"]
    out(f"[green]○[/] 「{escape(item['wording'])}」 → {escape(t['reading'])}")
    rows = [
        ("種別", t["kind_label"]),
        ("目標年度", f"{t['year']}年度" if t["year"] is not None else "文言にない（目標年度の欄で指定）"),
    ]
    if t["start_fy"] is not None:
        rows.append(("期間の最初", f"{t['start_fy']}年度"))
    if t["value"] is not None:
        rows.append(("目標値", f"{t['value']:,g}"))
    if t["percent"] is not None:
        rows.append(("増減率", f"{t['percent']:+g}%"))
    if t["base_fy"] is not None:
        rows.append(("基準年度", f"{t['base_fy']}年度（{t['base_source']}）"))
    elif t["kind"] == "change":
        rows.append(("基準年度", "文言にない（指標の基準年度）"))
    rows += [("単位", t["unit"] or "－"), ("方向", {"higher": "大きいほどよい", "lower": "小さいほどよい"}.get(t["direction"] or "", "文言からは決まらない"))]
    if t["comparator"]:
        rows.append(("比較", t["comparator"]))
    rows.append(("目安（程度・概ね・約）", "はい" if t["approximate"] else "いいえ"))
    if t["interim_targets"]:
        rows.append(("中間目標", "、".join(f"{i['fy']}年度 {i['value']:,g}" for i in t["interim_targets"])))
    if t["previous_value"] is not None:
        rows.append(("変更前の値", f"{t['previous_value']:,g}"))
    if t["scope"]:
        rows.append(("範囲", t["scope"]))
    for n in t["notes"]:
        rows.append(("注記", n))
    for k, v in rows:
        out(f"    {k}: {escape(str(v))}")
