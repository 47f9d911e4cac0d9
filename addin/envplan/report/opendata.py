"""Open data: one row per indicator × fiscal year, as CSV (UTF-8 with BOM, so
Excel opens it with the right encoding) and as JSON, with a description file.

In the CSV a text that a spreadsheet would run as a formula (= + - @) gets a
leading apostrophe. The JSON keeps texts exactly: no program reading JSON
evaluates formulas, and altering the data there would only corrupt it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envplan.plan.years import wareki
from envplan.report.context import ReportData
from envplan.report.formatting import neutralise_formula

CSV_NAME = "indicators.csv"
JSON_NAME = "indicators.json"
README_NAME = "README.txt"


@dataclass(frozen=True)
class Field:
    key: str
    header: str
    description: str
    numeric: bool = False


FIELDS: tuple[Field, ...] = (
    Field("plan", "計画名", "計画の名称"),
    Field("municipality", "自治体名", "計画を所管する自治体"),
    Field("category_code", "分野コード", "指標の分野のコード"),
    Field("category", "分野", "指標の分野の名称"),
    Field("indicator_id", "指標ID", "指標の識別子（計画の中で一意）"),
    Field("indicator", "指標名", "指標の名称"),
    Field("unit", "単位", "計画値・実績値・見込み値の単位"),
    Field("direction", "望ましい方向", "大きいほどよい／小さいほどよい"),
    Field("target_wording", "目標（原文）", "計画書に記載された目標の文言"),
    Field("department", "所管課", "指標を所管する課"),
    Field("fiscal_year", "年度", "年度（西暦。4月から翌年3月まで）", numeric=True),
    Field("fiscal_year_wareki", "年度（和暦）", "年度の和暦表記"),
    Field("plan_value", "計画値", "その年度の計画値（空欄は計画値なし）", numeric=True),
    Field("actual_value", "実績値", "その年度の実績値（空欄は未集計・データなし）", numeric=True),
    Field("expected_value", "見込み値", "目標への道筋（基準値と目標値を結ぶ直線）上の、その年度の値（空欄は対象外）。サイトの「見込み値」と同じ", numeric=True),
    Field("achievement_rate", "達成率", "実績値の目標値（計画値）に対する割合。1 = 100%", numeric=True),
    Field("progress_rate", "進捗率", "基準値から目標値までのうち進んだ割合。1 = 100%", numeric=True),
    Field("status", "状況", "達成／順調／やや遅れ／遅れ／悪化／評価不能"),
    Field("evaluation_level", "評価区分", "計画が選んだ評価区分（記号と区分名）。方式は設定の「評価区分」"),
    Field("evaluated", "評価年度", "報告の対象年度に評価に使った年度なら 1"),
    Field("illustrative", "例示値", "実績値がデモ用の例示値（実際の数値ではない）なら 1"),
    Field("note", "備考", "その年度の値についての注記"),
    Field("value_status", "速報・確定", "実績値が速報値（後に確定値で改められることがある）なら「速報値」、確定値なら「確定値」（実績値がなければ空欄）"),
)


def records(r: ReportData) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for v in r.indicators:
        ind = v.ind
        for y in v.rows:
            raw = y.raw
            rows.append(
                {
                    "plan": r.plan.name,
                    "municipality": r.plan.municipality,
                    "category_code": ind.category,
                    "category": v.category_name,
                    "indicator_id": ind.id,
                    "indicator": ind.name,
                    "unit": ind.unit,
                    "direction": v.direction_label,
                    "target_wording": ind.target_wording,
                    "department": v.department_name,
                    "fiscal_year": y.fy,
                    "fiscal_year_wareki": wareki(y.fy),
                    "plan_value": raw.plan,
                    "actual_value": raw.actual,
                    "expected_value": raw.expected,
                    "achievement_rate": _round(raw.achievement_rate),
                    "progress_rate": _round(raw.progress_rate),
                    "status": raw.status,
                    "evaluation_level": f"{raw.level_symbol} {raw.level_label}".strip(),
                    "evaluated": 1 if y.evaluated else 0,
                    "illustrative": 1 if ind.illustrative and raw.actual is not None else 0,
                    "note": y.note,
                    "value_status": None if raw.actual is None else "速報値" if raw.provisional else "確定値",
                }
            )
    return rows


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 6)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{int(value)}" if value.is_integer() else f"{value:.12g}"  # no binary noise such as 0.30000000000000004
    if isinstance(value, int):
        return str(value)
    return neutralise_formula(str(value))


def csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow([f.header for f in FIELDS])
    for row in rows:
        w.writerow([_cell(row[f.key]) for f in FIELDS])
    return buf.getvalue()


def write_open_data(r: ReportData, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rows = records(r)
    csv_path = folder / CSV_NAME
    # "utf-8-sig" writes the BOM Excel needs to read UTF-8.
    csv_path.write_text(csv_text(rows), encoding="utf-8-sig", newline="")
    json_path = folder / JSON_NAME
    doc = {
        "title": f"{r.plan.name} 指標の年度別データ",
        "municipality": r.plan.municipality,
        "plan": r.plan.name,
        "fiscal_year": r.fy,
        "generated": r.generated.isoformat(),
        "illustrative_note": r.plan.illustrative_note if r.illustrative else "",
        "fields": [{"key": f.key, "header": f.header, "description": f.description} for f in FIELDS],
        "records": rows,
    }
    json_path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    readme = folder / README_NAME
    readme.write_text(readme_text(r), encoding="utf-8")
    return {"csv": csv_path, "json": json_path, "readme": readme}


def readme_text(r: ReportData) -> str:
    lines = [
        f"{r.plan.name}　指標の年度別データ（{r.fy_text}）",
        "",
        f"作成: {r.plan.municipality}　{r.generated.isoformat()}",
        "",
        "ファイル",
        f"  {CSV_NAME}  CSV（文字コード UTF-8、BOM 付き、改行 CRLF）。1行が「指標 × 年度」。",
        f"  {JSON_NAME}  同じ内容の JSON（records に1行ずつ、fields に項目の説明）。",
        "",
        "項目（CSV の列名 ／ JSON のキー：内容）",
    ]
    lines += [f"  {f.header} ／ {f.key}：{f.description}" for f in FIELDS]
    lines += [
        "",
        "注意",
        "  ・数値の空欄は「値なし」です（0 ではありません）。",
        "  ・達成率・進捗率は割合（1 = 100%）です。",
        "  ・「速報・確定」が「速報値」の実績値は速報の数値で、確定値が出たら改めます（改めた値と前の値は、次の公表のデータで置き換わります）。",
        "  ・CSV では、文字の値が = + - @ で始まる場合、表計算ソフトで数式として実行されないよう先頭に ' を付けています。",
    ]
    if r.illustrative:
        lines.append("  ・「例示値」が 1 の行の実績値は、デモのために生成した値で、実際の数値ではありません。")
    if r.plan.data_note:
        lines.append(f"  ・{r.plan.data_note}")
    return "\r\n".join(lines) + "\r\n"
