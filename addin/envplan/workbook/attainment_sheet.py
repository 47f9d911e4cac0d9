"""The result sheets of `envplan compute` (and the 集計 button), as `ResultTable`s:
達成状況, 達成状況_年度別, 達成状況_集計, 施策評価案 and 判定ルール.

Status cells hold the icon and the word (「◎ 達成」) so that the meaning never
depends on colour; conditional formatting adds the colour.
"""

from __future__ import annotations

from envplan.rules.attainment import STATUS_FILLS, STATUSES, status_label
from envplan.rules.results import PlanResult, YearResult
from envplan.workbook.io import ResultTable
from envplan.workbook.layout import layout
from envplan.workbook.xlsx_style import BY_VALUE

PERCENT = "0.0%"
NUMBER = BY_VALUE  # computed figures: each cell its own decimals (xlsx_style)
STATUS_TEXT_FILLS = {status_label(s): STATUS_FILLS[s] for s in STATUSES}
AGREEMENT_FILLS = {"✕ 不一致": STATUS_FILLS["悪化"], "○ 一致": STATUS_FILLS["達成"]}


def _level(symbol: str, label: str) -> str:
    """「◎ 最終目標を達成」: the level's symbol and words, never colour alone."""
    return f"{symbol} {label}".strip()


def _agreement(agrees: bool | None) -> str | None:
    return None if agrees is None else ("○ 一致" if agrees else "✕ 不一致")


def level_fills(result: PlanResult) -> dict[str, str]:
    """Fill per level cell text: the readable colour (a fill too dark for black text is lightened; validate says so)."""
    if result.shown_levels:
        return {lv["key"]: lv["colour"] for lv in result.shown_levels}
    return {_level(lv["symbol"], lv["label"]): lv["colour"] for lv in result.scheme_levels if lv.get("colour")}


def _level_words(result: PlanResult) -> str:
    """The levels the plan's figures are counted in: the chosen scheme's, else the six statuses."""
    if result.shown_levels and not result.default_scheme:
        return "　".join(lv["key"] for lv in result.shown_levels)
    return "　".join(status_label(s) for s in STATUSES)


def _note(result: PlanResult, text: str) -> str:
    extra = f" ※{result.illustrative_note}" if result.illustrative_note else ""
    return text + extra


def mark_text(y: YearResult | None) -> str | None:
    """速報値 / 確定値 for a year with an actual (None without one): the words, not a colour."""
    if y is None or y.actual is None:
        return None
    return "速報値" if y.provisional else "確定値"


def attainment_tables(result: PlanResult) -> list[ResultTable]:
    return [indicator_table(result), years_table(result), summary_table(result), ratings_table(result), rules_table(result)]


def indicator_table(result: PlanResult) -> ResultTable:
    spec = layout()["attainment"]
    header = [
        "指標ID", "分野", "指標名", "目標（原文）", "評価した年度", "状況", "実績値", "単位", "比較した値",
        "達成率", "進捗率", "見込み値", "Open SDG 方式", "データの遅れ", "説明", "Open SDG 方式の説明", f"評価区分（{result.scheme_name}）", "評価区分の理由", "所管課の評価", "一致",
        "速報・確定",
    ]
    rows = []
    for i in result.indicators:
        y = next((r for r in i.years if r.fy == i.evaluated_fy), None)
        compared = "" if y is None or y.compared_with is None else f"{y.compared_label} {_num(y.compared_with)}"
        rows.append([
            i.id, i.category_name, i.name + ("（例示値）" if i.illustrative else ""), i.target_wording,
            i.evaluated_fy, status_label(i.status), y.actual if y else None, i.unit, compared,
            y.achievement_rate if y else None, y.progress_rate if y else None, y.expected if y else None,
            i.opensdg_label, i.lag_note, i.explanation, i.opensdg_explanation, _level(i.level_symbol, i.level_label), i.level_reason,
            i.own_level or None, _agreement(i.level_agrees), mark_text(y),
        ])
    return ResultTable(
        sheet=spec.name,
        title=f"{spec.title}（{result.fy}年度時点）",
        note=_note(result, _indicator_note(result)),
        header=header,
        rows=rows,
        widths=[12, 14, 36, 30, 11, 12, 12, 12, 22, 9, 9, 12, 18, 30, 80, 60, 22, 40, 12, 10, 10],
        number_formats={4: '0"年度"', 6: NUMBER, 9: PERCENT, 10: PERCENT, 11: NUMBER},
        text_fills={5: STATUS_TEXT_FILLS, 16: level_fills(result), 19: AGREEMENT_FILLS},
    )


def _indicator_note(result: PlanResult) -> str:
    if result.default_scheme or not result.shown_levels:
        return f"{result.plan_name}。状況は記号と文字で示します（{_level_words(result)}）。判定の方法は「判定ルール」シート。"
    return (
        f"{result.plan_name}。評価区分（{result.scheme_name}）は記号と文字で示します（{_level_words(result)}）。"
        "「状況」の列は envplan の6区分（評価区分の条件に使うことがあります）。判定の方法は「判定ルール」シート。"
    )


def years_table(result: PlanResult) -> ResultTable:
    spec = layout()["attainment_years"]
    header = ["指標ID", "指標名", "年度", "計画値", "実績値", "比較した値", "比較の基準", "達成率", "進捗率", "見込み値", "状況", "説明", "評価区分", "所管課の評価", "一致", "速報・確定"]
    rows = [
        [i.id, i.name, y.fy, y.plan, y.actual, y.compared_with, y.compared_label, y.achievement_rate, y.progress_rate, y.expected, status_label(y.status), y.explanation,
         _level(y.level_symbol, y.level_label), y.own_level or None, _agreement(y.level_agrees), mark_text(y)]
        for i in result.indicators
        for y in i.years
    ]
    return ResultTable(
        sheet=spec.name,
        title=f"{spec.title}（{result.fy}年度時点）",
        note=_note(result, "達成率・進捗率は割合（100% = 計画どおり・目標どおり）。小さいほどよい指標の達成率は 比較した値 ÷ 実績。"),
        header=header,
        rows=rows,
        widths=[12, 34, 9, 12, 12, 12, 14, 9, 9, 12, 12, 90, 22, 12, 10, 10],
        number_formats={2: '0"年度"', 3: NUMBER, 4: NUMBER, 5: NUMBER, 7: PERCENT, 8: PERCENT, 9: NUMBER},
        text_fills={10: STATUS_TEXT_FILLS, 12: level_fills(result), 14: AGREEMENT_FILLS},
    )


def summary_table(result: PlanResult) -> ResultTable:
    spec = layout()["attainment_summary"]
    if result.default_scheme or not result.shown_levels:
        header = ["分野", *[status_label(s) for s in STATUSES], "合計"]
        rows = [[r.category_name, *[r.counts.get(s, 0) for s in STATUSES], r.total] for r in result.summary]
        what = "状況別"
    else:  # the chosen scheme's levels, never the six statuses
        keys = [lv["key"] for lv in result.shown_levels]
        header = ["分野", *keys, "合計"]
        rows = [[r.category_name, *[r.level_counts.get(k, 0) for k in keys], r.total] for r in result.summary]
        what = f"評価区分（{result.scheme_name}）の区分別"
    return ResultTable(
        sheet=spec.name,
        title=f"{spec.title}（{result.fy}年度時点）",
        note=_note(result, f"各分野の指標の数を{what}に数えたものです。最終行は計画全体。"),
        header=header,
        rows=rows,
        widths=[34, *[11 if result.default_scheme else 16] * (len(header) - 2), 9],
        row_styles={len(rows) - 1: "ok"} if rows else {},
    )


def agreement_text(self_rating: str | None, suggested: str | None, disagrees: bool) -> str:
    if self_rating is None or suggested is None:
        return "－ 比較不可"
    return "✕ 不一致" if disagrees else "○ 一致"


def ratings_table(result: PlanResult) -> ResultTable:
    spec = layout()["ratings"]
    header = ["施策コード", "施策課題", "年度", "所管課の評価区分", "評価案", "一致", "評価案の根拠"]
    rows = [
        [p.code, p.name, h.fy, h.self_rating or "", h.suggested_rating or "", agreement_text(h.self_rating, h.suggested_rating, h.disagrees), h.reason]
        for p in result.policies
        for h in p.history
    ]
    return ResultTable(
        sheet=spec.name,
        title=f"{spec.title}（{result.fy}年度時点）",
        note="評価区分: A 施策が順調に推進したもの（新たな課題等 Ⅰ 無 Ⅱ 有）、B 施策が一定程度推進したもの、C 施策が推進していないもの。評価案は参考指標と事務事業から導いた目安です。",
        header=header,
        rows=rows,
        widths=[12, 34, 9, 14, 10, 12, 100],
        number_formats={2: '0"年度"'},
        text_fills={5: AGREEMENT_FILLS},
    )


def rules_table(result: PlanResult) -> ResultTable:
    spec = layout()["attainment_rules"]
    return ResultTable(
        sheet=spec.name,
        title=spec.title,
        note="しきい値は「設定」シートで変更できます（変更後に集計し直してください）。",
        header=["項目", "ルール"],
        rows=[[r.topic, r.text] for r in result.rules],
        widths=[28, 120],
    )


def _num(v: float) -> str:
    from envplan.plan.numbers import format_number

    return format_number(v)
