"""Open data in the style of the 自治体標準オープンデータセット: each dataset of frames.py
(indicators × year, project statuses, policy ratings, budgets) as CSV (UTF-8 with BOM, so
Excel opens it with the right encoding; CRLF) and as JSON, written from its pandas
DataFrame, with a README naming the licence, the files and every column.

Every row starts with the publisher (全国地方公共団体コード, 都道府県名, 市区町村名).
A dataset without rows (a plan without projects or evaluation sheets) is left out.

In the CSV a text that a spreadsheet would run as a formula (= + - @) gets a
leading apostrophe. The JSON keeps texts exactly: no program reading JSON
evaluates formulas, and altering the data there would only corrupt it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from envplan.plan.municipality_code import normalise_code
from envplan.plan.open_licence import find_licence
from envplan.report.context import ReportData
from envplan.report.formatting import neutralise_formula
from envplan.report.frames import DATASETS, INDICATOR_FIELDS, Dataset, Field

CSV_NAME = "indicators.csv"
JSON_NAME = "indicators.json"
README_NAME = "README.txt"
JSON_TYPES = {"text": "string", "int": "integer", "float": "number"}  # JSON Schema's names, for a reader of `fields`
FIELDS: tuple[Field, ...] = INDICATOR_FIELDS  # the indicators' columns, listed on the site's open data page


def csv_text(frame: pd.DataFrame, fields: tuple[Field, ...]) -> str:
    """The frame as CSV text: Japanese headers, numbers as typed (%.12g: no binary noise such as
    0.30000000000000004, 1520 not 1520.0), an absent value empty, formulas neutralised in texts."""
    out = frame[[f.key for f in fields]].copy()
    for f in fields:
        if not f.numeric:
            out[f.key] = out[f.key].fillna("").map(neutralise_formula)
    out.columns = [f.header for f in fields]
    return out.to_csv(index=False, lineterminator="\r\n", float_format="%.12g")


def json_records(frame: pd.DataFrame, fields: tuple[Field, ...]) -> list[dict[str, Any]]:
    """The frame's rows as plain JSON values (int, float, str): a missing value is null, never NaN or 0."""
    keys = [f.key for f in fields]
    plain = frame[keys].astype(object)
    return plain.where(frame[keys].notna(), None).to_dict("records")


def json_text(meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """The document with its metadata indented and one record a line: readable, and written by
    json's C encoder (an indented dump of every record takes seconds on a city's plan)."""
    head = json.dumps({**meta, "records": None}, ensure_ascii=False, indent=1)
    tail = '"records": null\n}'
    assert head.endswith(tail)
    rows = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in records)
    return head[: -len(tail)] + '"records": [' + (f"\n{rows}\n ]" if rows else "]") + "\n}\n"


def licence_json(r: ReportData) -> dict[str, str]:
    lic = find_licence(r.plan.licence)
    if lic is None:
        return {"name": r.plan.licence, "url": "", "note": "" if r.plan.licence else "利用条件は設定されていません"}
    return {"name": lic.name, "url": lic.url, "note": lic.attribution}


def written_datasets(r: ReportData) -> list[tuple[Dataset, pd.DataFrame]]:
    """The datasets with rows, built from the report's plan and result (the indicators always)."""
    out = []
    for d in DATASETS:
        frame = d.build(r.plan, r.result)
        if d.name == "indicators" or len(frame):
            out.append((d, frame))
    return out


def write_open_data(r: ReportData, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    datasets = written_datasets(r)
    for d, frame in datasets:
        csv_path = folder / f"{d.name}.csv"
        # "utf-8-sig" writes the BOM Excel needs to read UTF-8.
        csv_path.write_text(csv_text(frame, d.fields), encoding="utf-8-sig", newline="")
        json_path = folder / f"{d.name}.json"
        meta = {
            "title": f"{r.plan.name} {d.title}",
            "municipality_code": frame_code(r),
            "prefecture": r.plan.prefecture,
            "city": r.plan.city,
            "municipality": r.plan.municipality,
            "publisher": r.plan.publisher or r.plan.municipality,
            "plan": r.plan.name,
            "fiscal_year": r.fy,
            "generated": r.generated.isoformat(),
            "license": licence_json(r),
            "row": d.row,
            "illustrative_note": r.plan.illustrative_note if r.illustrative else "",
            "fields": [{"key": f.key, "header": f.header, "type": JSON_TYPES[f.kind], "description": f.description} for f in d.fields],
        }
        if d.name == "indicators":
            meta["evaluation_scheme"] = scheme_doc(r)
        json_path.write_text(json_text(meta, json_records(frame, d.fields)), encoding="utf-8")
        key = "" if d.name == "indicators" else f"{d.name}_"
        paths[f"{key}csv"], paths[f"{key}json"] = csv_path, json_path
    readme = folder / README_NAME
    readme.write_text(readme_text(r, [d for d, _ in datasets]), encoding="utf-8")
    paths["readme"] = readme
    return paths


def frame_code(r: ReportData) -> str:
    return normalise_code(r.plan.municipality_code)


def scheme_doc(r: ReportData) -> dict[str, Any]:
    """The evaluation scheme the 評価区分 column is in: its levels in order, with what each means and its colour."""
    return {
        "name": r.result.scheme_name,
        "levels": [
            {"level": lv["key"], "symbol": lv["symbol"], "label": lv["label"], "meaning": lv["meaning"], "colour": f"#{lv['colour']}"}
            for lv in r.result.shown_levels
        ],
    }


def readme_text(r: ReportData, datasets: list[Dataset] | None = None) -> str:
    datasets = datasets if datasets is not None else [d for d, _ in written_datasets(r)]
    lic = licence_json(r)
    ident = "　".join(x for x in (frame_code(r), r.plan.prefecture, r.plan.city or r.plan.municipality) if x)
    lines = [
        f"{r.plan.name}　オープンデータ（{r.fy_text}）",
        "",
        f"作成: {r.plan.publisher or r.plan.municipality}　{r.generated.isoformat()}",
    ]
    if ident:
        lines.append(f"地方公共団体: {ident}")
    lines += ["", "利用条件（ライセンス）"]
    if lic["name"]:
        lines.append(f"  {lic['name']}　{lic['url']}" if lic["url"] else f"  {lic['name']}")
        if lic["note"]:
            lines.append(f"  {lic['note']}。")
        lines.append(f"  出典の表示の例: 「{r.plan.publisher or r.plan.municipality}『{r.plan.name}』オープンデータ」")
    else:
        lines.append("  利用条件は設定されていません（問い合わせ先にご確認ください）。")
    if r.plan.contact:
        lines += ["", f"問い合わせ先: {r.plan.contact}"]
    lines += [
        "",
        "ファイル（CSV は文字コード UTF-8・BOM 付き・改行 CRLF で、Excel でそのまま開けます。JSON は UTF-8 で、同じ内容を records に1行ずつ、fields に項目の説明、license に利用条件）",
    ]
    for d in datasets:
        lines.append(f"  {d.name}.csv ／ {d.name}.json　{d.title}（1行が「{d.row}」）")
    for d in datasets:
        lines += ["", f"{d.title}（{d.name}.csv）の項目（CSV の列名 ／ JSON のキー：内容）"]
        lines += [f"  {f.header} ／ {f.key}：{f.description}" for f in d.fields]
    lines += [
        "",
        "注意",
        "  ・数値の空欄は「値なし」です（0 ではありません）。",
        "  ・達成率・進捗率は割合（1 = 100%）です。達成率は、大きいほどよい指標は 実績値÷達成率の比較値、小さいほどよい指標は 達成率の比較値÷実績値 で再計算できます。",
        "  ・進捗率は（実績値−基準値）÷（目標値−基準値）です。",
        "  ・基準年度の行（年度の区分が「基準年度」）と、値のある計画期間の前の年度の行も載せています。状況は判定した年度の行だけにあります。",
        f"  ・評価区分は「{r.result.scheme_name}」の区分です: " + "、".join(f"{lv['key']}（{lv['meaning']}）" for lv in r.result.shown_levels) + "。",
        "  ・「速報・確定」が「速報値」の実績値は速報の数値で、確定値が出たら改めます（改めた値と前の値は、次の公表のデータで置き換わります）。",
        "  ・CSV では、文字の値が = + - @ で始まる場合、表計算ソフトで数式として実行されないよう先頭に ' を付けています。",
    ]
    if r.illustrative:
        lines.append("  ・「例示値」が 1 の行の実績値は、デモのために生成した値で、実際の数値ではありません。")
    if r.plan.data_note:
        lines.append(f"  ・{r.plan.data_note}")
    return "\r\n".join(lines) + "\r\n"
