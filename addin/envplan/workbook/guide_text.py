"""The text of the master workbook's 使い方 (how to use) sheet."""

from __future__ import annotations

from envplan.plan.local_words import local_words
from envplan.plan.model import Plan
from envplan.plan.schemes import CUSTOM_SCHEME, READY_SCHEMES
from envplan.plan.targets import KIND_LABELS
from envplan.plan.years import range_label
from envplan.workbook.layout import MARK_ROW, layout

# What each target kind means and which columns it uses.
KIND_HELP: dict[str, str] = {
    "level": "目標年度までに目標値に到達する（例: 平成32年度までに1,324千t-CO2）。目標年度・目標値を使います。",
    "change": "目標年度までに基準年度の値から目標値（％）だけ増減する（例: 基準年比5％減 → −5）。目標年度・目標値を使います。",
    "annual_minimum": "毎年、目標値以上を実施する（例: 年2回以上開催 → 2）。目標値を使います。",
    "year_over_year": "毎年、前年度より改善する（例: 前年比減を毎年継続）。改善の向きは「方向」の列で決まります。",
    "increase": "目標年度までに基準年度より増やす（例: 導入施設数の増）。目標年度を使います。",
    "decrease": "目標年度までに基準年度より減らす（例: ガソリン使用量を、平成25年度より削減する）。基準年度・基準値を使い、目標年度は任意です。",
    "maintain": "水準を毎年維持する（例: 114ha（維持）、100%を維持）。目標値が維持する水準で、空欄なら基準値（現状維持）。どちら側が維持かは「方向」の列で決まります。範囲を維持するとき（例: 20～30℃を維持）は、目標値に下限、目標の補足に「上限 30」。",
    "state": "状態を維持する／目標年度までに達成する（例: 環境基準達成を維持、全局で環境基準達成）。実績は達成した地点・局の割合（％）で、目標値は達成とみなす割合（既定100）。目標の補足に範囲（例: 全局）。",
    "continue": "継続して実施する。実績は実施回数で、1回以上で実施とみなします。",
    "improve": "調査結果を基準年度より向上させる（例: 環境満足度の向上）。目標の補足に対象（例: 環境満足度）。",
    "plan_values": "年度ごとの計画値に対して評価する（施策の評価票の参考指標など）。計画値は「指標実績」シートの計画値の行に入力します。",
    "period_total": "期間の各年度の実績（その年度の量）の合計が目標値に届く（例: 3年間（H17~H19）で5万kW導入）。目標年度が期間の最後の年度、目標値が合計、目標の補足に期間の最初の年度（例: 2005年度から）。",
}


GUIDE_SUMMARY_ROWS = 10  # the summary's labels are looked for in the first rows of 使い方


def guide_title(plan: Plan) -> str:
    """使い方!A1."""
    return f"{plan.name} 進行管理ワークブック"


def guide_summary(plan: Plan) -> list[tuple[str, str]]:
    """The plan as it is, at the top of 使い方 (label in column A, value in B):
    written again whenever envplan writes the master, from the CLI or the ribbon."""
    rows = [
        ("計画", plan.name),
        ("計画期間", range_label(plan.start_fy, plan.end_fy)),
        ("対象年度", range_label(plan.current_fy, plan.current_fy)),
    ]
    if plan.illustrative_note:
        rows.append(("例示値について", plan.illustrative_note))
    return rows


def guide_lines(plan: Plan, sheets: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(kind, column A, column B) rows: kind is section, item or link."""
    lay = layout()
    words = local_words(plan.municipality)
    rows: list[tuple[str, str, str]] = [("item", label, value) for label, value in guide_summary(plan)]
    rows += [
        ("section", "このワークブックについて", ""),
        ("item", "役割", "計画の指標・目標値、重点プロジェクト、関連計画、施策の評価票をまとめた進行管理の台帳（マスター）です。リボン「環境計画」またはコマンド envplan で検証・集計・様式発行・取込・公表を行います。"),
        ("item", "編集してよい所", "表の中の値。行の追加は表の最終行の下に続けて入力します（表が自動で広がります）。見出しの文字は変えないでください（列は見出しで探すため、列の並べ替えは可能です）。"),
        ("item", "年度の書き方", "西暦（2020）、2020年度、令和2年度、平成32年度、H32、R2 のどれでも読み取ります。表示は「2020年度（令和2年度）」の形にそろえます。"),
        ("item", "数値の書き方", "全角数字・桁区切り（１，３２４）も読み取ります。「約500」は500として読み、警告を出します。値がないときは空欄または「－」「未集計」。"),
        ("item", "速報値と確定値", f"実績値が速報値（後で確定値に改める数値）のときは、「{lay['values'].name}」シートのその指標の「{MARK_ROW}」の行の、その年度の欄に「速報」と入力します（一覧から選べます。空欄は確定値）。"
         "速報値は達成状況・公表サイト・報告書・オープンデータで「速報値」と示します。確定値が出たら実績値を直し「確定」にします（所管課の様式からでも、envplan year correct --actual 値 --final でも）。"
         "確定済みの年度でも速報値は確定値に改められ、変更履歴に前の値と新しい値が残ります。確定値になった値は、ほかの確定済みの値と同じく変更できなくなります。"),
        ("item", "自動のシート", "検証結果・達成状況・提出状況・変更履歴・施策一覧は処理のたびに作り直されます。編集しないでください。"),
        ("section", "シート一覧", ""),
    ]
    for key in ("settings", "categories", "departments", "indicators", "values", "revisions", "judgements", "projects", "phases", "project_status", "project_parts", "related_plans", "policies", "opinions", "glossary", "evaluation_levels", "validation", "attainment", "attainment_years", "attainment_summary", "ratings", "attainment_rules", "submissions", "changelog"):
        spec = lay[key]
        rows.append(("link", spec.name, words.fill(spec.title) + (f"：{words.fill(spec.note)}" if spec.note else "")))
    for p in plan.policies:
        rows.append(("link", (sheets or {}).get(p.code) or lay.policy_sheet_name(p.code), f"施策進行管理・評価票：{p.title}"))
    rows.append(("section", "目標種別", ""))
    for kind, label in KIND_LABELS.items():
        rows.append(("item", label, KIND_HELP[kind]))
    rows.append(("section", "評価区分（状況の判定方式）", ""))
    rows.append(("item", "選び方", f"設定シートの「評価区分」に、用意した方式の名前（{'、'.join(s.name for s in READY_SCHEMES)}）か「{CUSTOM_SCHEME}」を入力します。"))
    rows.append(("item", "自分で決める", "評価区分シートに、記号・区分・色・判定の条件を上から順に入力します。上から順に調べ、最初に条件に当たった区分になります。最後の条件は「その他」にします。"))
    rows.append(("item", "条件の書き方", "最終目標を達成／年度目標を達成／達成率（年度）90%以上100%未満／達成率（最終）70%以上／進捗率50%以上／前年度より改善（±1%）／前年度から変化なし（±1%）／前年度より悪化／基準値より改善／実績なし／目標なし／状況が「順調」／その他"))
    return rows
