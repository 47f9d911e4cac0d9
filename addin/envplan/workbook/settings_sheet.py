"""The 設定 sheet: the plan's basic facts and the thresholds, one per row.

Rows are found by their key (column A), so staff may reorder them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

from envplan.plan.model import Plan, Settings
from envplan.plan.open_licence import licence_names
from envplan.plan.schemes import CUSTOM_SCHEME, READY_SCHEMES

Kind = Literal["text", "year", "number", "int", "date"]


@dataclass(frozen=True)
class SettingRow:
    key: str
    label: str
    kind: Kind
    note: str
    required: bool = False
    on_plan: bool = True  # a Plan field; otherwise a Settings field
    choices: tuple[str, ...] = ()  # the only values allowed, when set


def _choices(field: str) -> tuple[str, ...]:
    """The values a Literal field of the plan allows (A・AA・AAA …)."""
    return tuple(get_args(Plan.model_fields[field].annotation))


SETTING_ROWS: tuple[SettingRow, ...] = (
    SettingRow("name", "計画名", "text", "計画の正式名称", required=True),
    SettingRow("municipality", "自治体名", "text", "正式な名称（例: ○○市）。末尾の区・市・町・村・都・道・府・県から「市民意見」「市の考え方・対応」などの呼び方が決まります"),
    SettingRow("start_fy", "計画期間（開始年度）", "year", "西暦または和暦（例: 2013、平成25年度）", required=True),
    SettingRow("end_fy", "計画期間（終了年度）", "year", "", required=True),
    SettingRow("current_fy", "対象年度", "year", "実績を集計する年度（様式発行・集計の既定値）", required=True),
    SettingRow("frozen_through_fy", "確定済みの年度（この年度まで）", "year", "この年度までの値は確定済みで、取込では変更されません"),
    SettingRow("data_note", "データの遅れに関する注記", "text", "例: H34時点で入手可能な最新データがH32"),
    SettingRow("illustrative_note", "例示値に関する注記", "text", "例示値（実データではない値）を含む場合の説明"),
    SettingRow("source_note", "出典・転記の方針", "text", ""),
    SettingRow("publisher", "発行者", "text", "報告書の表紙とサイトに載せる発行者（例: ○○市 環境局 環境政策課）。空欄なら自治体名"),
    SettingRow("contact", "問い合わせ先", "text", "サイトの各ページの下と報告書の表紙に載せる問い合わせ先（担当課・電話・メールなど）。空欄なら載せません"),
    SettingRow("municipality_code", "全国地方公共団体コード", "text", "オープンデータの各行に載せる6桁のコード（総務省の5桁の団体コードと検査数字）。先頭の0を消さないよう文字列で入力してください"),
    SettingRow("prefecture", "都道府県名", "text", "オープンデータの「都道府県名」列（例: ○○県）"),
    SettingRow("city", "市区町村名", "text", "オープンデータの「市区町村名」列（例: ○○市）。都道府県の計画では空欄"),
    SettingRow("licence", "オープンデータの利用条件", "text", "オープンデータの README と JSON に載せるライセンス。次のどれか: " + licence_names()),
    SettingRow("response_deadline", "回答期限", "date", "所管課の照会への回答の期限（例: 2026-12-15、令和8年12月15日）。照会メール（issue --mail-drafts）と督促メール（remind）に書きます（--deadline で別の日を指定できます）"),
    SettingRow("on_track_ratio", "「順調」とする進み具合", "number", "進み具合 =（実績値−基準値）÷（その年度の見込み値−基準値）。見込み値は基準年度の基準値と目標年度の目標値を結ぶ直線上の値。進み具合がこの割合以上なら「順調」（既定 1.0 = 100%）。年度別計画値の指標では達成率（計画値に対する割合）で判定", on_plan=False),
    SettingRow("slightly_behind_ratio", "「やや遅れ」とする進み具合", "number", "この割合以上「順調」未満なら「やや遅れ」、未満なら「遅れ」（既定 0.8 = 80%）", on_plan=False),
    SettingRow("approximate_tolerance", "目安の目標（程度・概ね・約）の許容幅", "number", "目標の文言が「50%程度」「概ね」「約」のとき、実績が目標値にこの割合まで届かなくても「達成」とします（例: 0.05 = 目標値の5%以内。既定 0 = 目標値どおり）。判定の説明に書きます", on_plan=False),
    SettingRow("jump_warning_factor", "前年比の急変とみなす倍率", "number", "前年度の値のこの倍を超える、またはこの分の1を下回る値に警告（既定 3）", on_plan=False),
    SettingRow("max_reference_indicators", "施策の参考指標の上限数", "int", "評価票1枚に載せる参考指標の数（既定 3）", on_plan=False),
    SettingRow("opensdg_high", "Open SDG: 目標達成に向け順調（比率）", "number", "観測CAGR/必要CAGR の比がこれ以上（既定 0.95）", on_plan=False),
    SettingRow("opensdg_med", "Open SDG: 一定の進捗（比率）", "number", "既定 0.60", on_plan=False),
    SettingRow("opensdg_low", "Open SDG: 限定的な進捗（比率）", "number", "既定 0（これ未満は悪化）。数値目標のない指標の成長率にも同じ値を使います", on_plan=False),
    SettingRow("opensdg_growth_high", "Open SDG: 数値目標なしで順調とする年平均成長率", "number", "数値目標のない指標（増加・向上・前年比など）は、望ましい向きの年平均成長率（CAGR）がこれ以上で「大きく前進」（既定 0.015 = 1.5%）", on_plan=False),
    SettingRow("opensdg_growth_med", "Open SDG: 数値目標なしで一定の進捗とする年平均成長率", "number", "これ以上で「前進（加速が必要）」、0以上で「わずかな前進」、0未満で「悪化」（既定 0.005 = 0.5%）", on_plan=False),
    SettingRow("rating_a_score", "施策の評価案を A とする評価点", "number", "参考指標・配下の事務事業の評価点（達成・順調 1、やや遅れ 0.5、遅れ・悪化 0）の平均がこれ以上で A（既定 0.6）。A のうち「残された課題、新たな課題」の記載があれば AⅡ、なければ AⅠ", on_plan=False),
    SettingRow("evaluation_scheme", "評価区分（状況の判定方式）", "text", "次のどれか: " + "、".join(f"「{x.name}」（{x.description}）" for x in READY_SCHEMES) + f"、または「{CUSTOM_SCHEME}」（評価区分シートの区分と条件を使う）", on_plan=False),
    SettingRow("rating_b_score", "施策の評価案を B とする評価点", "number", "平均がこれ以上 A 未満で B、未満で C（既定 0.3）", on_plan=False),
    SettingRow("a11y_level", "ウェブアクセシビリティ: 目標とする適合レベル", "text", "JIS X 8341-3:2016 の適合レベル（A・AA・AAA のどれか。既定 AA）。サイトの「ウェブアクセシビリティ方針」に載せます", choices=_choices("a11y_level")),
    SettingRow("a11y_conformance", "ウェブアクセシビリティ: 対応度", "text", "準拠・一部準拠・配慮 のどれか（既定 準拠）", choices=_choices("a11y_conformance")),
    SettingRow("a11y_deadline", "ウェブアクセシビリティ: 達成期限", "text", "例: 2027年3月31日。空欄なら方針に期限を載せません"),
    SettingRow("a11y_scope", "ウェブアクセシビリティ: 対象範囲", "text", "空欄なら、このサイト（進捗状況のページ）の全ページ"),
    SettingRow("a11y_exceptions", "ウェブアクセシビリティ: 例外事項", "text", "対象から除くもの（例: PDF の年次報告書）。空欄なら載せません"),
)


def settings_rows(plan: Plan) -> list[dict[str, Any]]:
    rows = []
    for s in SETTING_ROWS:
        value = getattr(plan, s.key) if s.on_plan else getattr(plan.settings, s.key)
        rows.append({"key": s.key, "label": s.label, "value": value, "note": s.note})
    return rows


def default_settings() -> Settings:
    return Settings()
