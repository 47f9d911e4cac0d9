"""The suggested rating of a policy (施策の評価区分の案): A/B/C, with Ⅰ/Ⅱ for A.

Rule (also in the workbook's 判定ルール sheet and the README):
- Evidence: the status of each reference indicator (参考指標) in the year, and
  the 達成状況 of each subordinate project (配下の事務事業) when it is one of the
  words in `PROJECT_SCORES`. 評価不能 indicators and unknown words are left out.
- Score: 達成・順調 = 1, やや遅れ = 0.5, 遅れ・悪化 = 0. The mean of the scores
  gives A (≥ rating_a_score, default 0.6), B (≥ rating_b_score, default 0.3)
  or C. No evidence: no suggestion.
- A is AⅡ when new issues are recorded (「残された課題、新たな課題」 is filled
  in for the evaluation year), else AⅠ. For earlier years, whose issues text is
  not kept, the Ⅰ/Ⅱ of the department's own A rating of that year is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

STATUS_SCORES: dict[str, float] = {"達成": 1.0, "順調": 1.0, "やや遅れ": 0.5, "遅れ": 0.0, "悪化": 0.0}
# 達成状況 words of subordinate projects (and the 重点プロジェクト statuses).
PROJECT_SCORES: dict[str, float] = {
    "達成": 1.0,
    "完了": 1.0,
    "順調": 1.0,
    "予定どおり": 1.0,
    "前倒し": 1.0,
    "概ね達成": 0.5,
    "おおむね達成": 0.5,
    "一部達成": 0.5,
    "やや遅れ": 0.5,
    "遅れ": 0.0,
    "未達成": 0.0,
    "未着手": 0.0,
    "中止": 0.0,
}
RATING_RULE = (
    "参考指標の状況と配下の事務事業の達成状況を評価点にします（達成・順調・完了・予定どおり 1、やや遅れ・概ね達成 0.5、"
    "遅れ・悪化・未達成・未着手 0。評価不能と読めない語は除外）。平均が A の評価点（既定 0.6）以上で A、"
    "B の評価点（既定 0.3）以上で B、それ未満で C。A は「残された課題、新たな課題」の記載があれば AⅡ、なければ AⅠ。"
    "所管課の評価区分と評価案が違うときは「不一致」として示します（評価案は目安で、評価区分を決めるのは所管課です）。"
)




def scheme_rating_rule(scheme_name: str, scores: str) -> str:
    """RATING_RULE for a plan that chose another evaluation scheme: its levels are the indicators' scores."""
    return (
        f"参考指標は、その年度の評価区分（{scheme_name}）の区分を評価点にします（{scores}）。配下の事務事業の達成状況は"
        "達成・順調・完了・予定どおり 1、やや遅れ・概ね達成 0.5、遅れ・未達成・未着手 0（読めない語は除外）。"
        "平均が A の評価点（既定 0.6）以上で A、B の評価点（既定 0.3）以上で B、それ未満で C。"
        "A は「残された課題、新たな課題」の記載があれば AⅡ、なければ AⅠ。"
        "所管課の評価区分と評価案が違うときは「不一致」として示します（評価案は目安で、評価区分を決めるのは所管課です）。"
    )


@dataclass(frozen=True)
class Evidence:
    label: str  # e.g. 参考指標「かわさきコンパクトへの参加団体数」
    status: str  # the status or 達成状況 word
    score: float | None  # None: left out


def indicator_evidence(name: str, status: str) -> Evidence:
    return Evidence(f"参考指標「{name}」", status, STATUS_SCORES.get(status))


def project_evidence(name: str, status: str) -> Evidence:
    word = status.strip()
    return Evidence(f"事務事業「{name}」", word, PROJECT_SCORES.get(word))


def suggest_rating(
    evidence: list[Evidence],
    *,
    new_issues: bool,
    issues_note: str = "",
    a_score: float = 0.6,
    b_score: float = 0.3,
) -> tuple[str | None, str]:
    """(suggested rating or None, the reason in Japanese)."""
    used = [e for e in evidence if e.score is not None]
    left_out = [e for e in evidence if e.score is None and e.status]
    if not used:
        reason = "評価の根拠となる参考指標の状況・事務事業の達成状況がないため、評価案を出せません"
        if left_out:
            reason += "（除外: " + "、".join(f"{e.label} {e.status}" for e in left_out) + "）"
        return None, reason
    mean = sum(e.score for e in used if e.score is not None) / len(used)
    if mean >= a_score:
        letter, why = "A", f"A の評価点 {a_score:g} 以上"
    elif mean >= b_score:
        letter, why = "B", f"B の評価点 {b_score:g} 以上、A の評価点 {a_score:g} 未満"
    else:
        letter, why = "C", f"B の評価点 {b_score:g} 未満"
    rating = letter
    parts = [
        "評価点: " + "、".join(f"{e.label} {e.status}（{e.score:g}）" for e in used),
        f"平均 {mean:.2f}（{why}）→ {letter}",
    ]
    if left_out:
        parts.append("除外: " + "、".join(f"{e.label} {e.status}" for e in left_out))
    if letter == "A":
        rating = "AⅡ" if new_issues else "AⅠ"
        note = issues_note or ("残された課題・新たな課題の記載あり" if new_issues else "新たな課題の記載なし")
        parts.append(f"{note} → {rating}")
    return rating, "。".join(parts)
