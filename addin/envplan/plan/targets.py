"""Structured targets: one model per kind of target found in a plan's roadmap.

Each kind has its own attainment rule (see `attainment.py`). The kinds share
four workbook columns (種別, 年度, 値, 補足); each kind uses only some of them.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar, cast, get_args

from pydantic import BaseModel, ConfigDict, Field

Direction = Literal["higher", "lower"]

DIRECTION_LABELS: dict[str, str] = {"higher": "大きいほどよい", "lower": "小さいほどよい"}


class _Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # validators built on first use: a command that never validates one pays nothing at its start


class LevelTarget(_Target):
    """A level to reach by a year: 平成32年度までに1,324千t-CO2."""

    kind: Literal["level"] = "level"
    year: int
    value: float


class ChangeTarget(_Target):
    """A change against the baseline year by a year: 平成29年度までに基準年比5％減.
    `percent` is signed: −5 means a 5% decrease."""

    kind: Literal["change"] = "change"
    year: int
    percent: float


class AnnualMinimumTarget(_Target):
    """At least a count every year: 年2回以上開催."""

    kind: Literal["annual_minimum"] = "annual_minimum"
    value: float


class YearOverYearTarget(_Target):
    """Better than the previous year, every year: 前年比減を毎年継続.
    Which way is better comes from the indicator's direction."""

    kind: Literal["year_over_year"] = "year_over_year"


class IncreaseTarget(_Target):
    """More than at baseline by a year: 平成34年度までに導入施設数の増."""

    kind: Literal["increase"] = "increase"
    year: int | None = None


class DecreaseTarget(_Target):
    """Less than at baseline by a year: ガソリン使用量を、平成25年度より削減する.
    The wording gives no size; the baseline year is the indicator's 基準年度."""

    kind: Literal["decrease"] = "decrease"
    year: int | None = None


class MaintainTarget(_Target):
    """A level to keep every year: 114ha（維持）, 100%を維持. Without a value
    (現状維持) the level to keep is the baseline value. Which side of the level
    counts as kept comes from the indicator's direction."""

    kind: Literal["maintain"] = "maintain"
    value: float | None = None
    upper: float | None = None  # a band to stay in (「20～30℃を維持」): value is its lower end, upper its upper end


class StateTarget(_Target):
    """A state to keep (環境基準達成を維持) or to reach by a year
    (平成34年度までに全局で環境基準達成). The actual is the share (%) of
    monitoring points in that state; `threshold` is the share that counts."""

    kind: Literal["state"] = "state"
    year: int | None = None
    threshold: float = 100.0
    scope: str = ""


class ContinueTarget(_Target):
    """Keep doing something: 継続して実施. The actual counts how often it was done."""

    kind: Literal["continue"] = "continue"


class ImproveTarget(_Target):
    """A survey result to improve: 環境満足度の向上."""

    kind: Literal["improve"] = "improve"
    year: int | None = None
    subject: str = ""


class PeriodTotalTarget(_Target):
    """A total over a period: 3年間（H17~H19）で自然エネルギーを5万kW導入する. Each year's actual is that
    year's amount; the actuals of start_fy … year are summed and compared with the value."""

    kind: Literal["period_total"] = "period_total"
    start_fy: int
    year: int
    value: float


class PlanValuesTarget(_Target):
    """A plan value for each year (the Kawasaki 参考指標)."""

    kind: Literal["plan_values"] = "plan_values"


Target = Annotated[
    LevelTarget | ChangeTarget | AnnualMinimumTarget | YearOverYearTarget | IncreaseTarget | DecreaseTarget | MaintainTarget | StateTarget | ContinueTarget | ImproveTarget | PeriodTotalTarget | PlanValuesTarget,
    Field(discriminator="kind"),
]

TARGET_CLASSES: dict[str, type[_Target]] = {
    cls.model_fields["kind"].default: cls for cls in get_args(get_args(Target)[0])
}

KIND_LABELS: dict[str, str] = {
    "level": "年度までの水準",
    "change": "基準年比の増減",
    "annual_minimum": "毎年の下限",
    "year_over_year": "前年比の改善を毎年",
    "increase": "基準年からの増加",
    "decrease": "基準年からの減少",
    "maintain": "水準の維持",
    "state": "状態の達成・維持",
    "continue": "継続実施",
    "improve": "調査結果の向上",
    "plan_values": "年度別計画値",
    "period_total": "期間の合計",
}
KIND_BY_LABEL = {label: kind for kind, label in KIND_LABELS.items()}


def target_year(target: _Target) -> int | None:
    return getattr(target, "year", None)


def target_value(target: _Target) -> float | None:
    """The figure in the workbook's 目標値 column for this kind."""
    if isinstance(target, (LevelTarget, AnnualMinimumTarget, MaintainTarget, PeriodTotalTarget)):
        return target.value
    if isinstance(target, ChangeTarget):
        return target.percent
    if isinstance(target, StateTarget):
        return target.threshold
    return None


def target_note(target: _Target) -> str:
    if isinstance(target, StateTarget):
        return target.scope
    if isinstance(target, ImproveTarget):
        return target.subject
    if isinstance(target, PeriodTotalTarget):
        return f"{target.start_fy}年度から"
    if isinstance(target, MaintainTarget) and target.upper is not None:
        return f"上限 {target.upper:g}"
    return ""


_T = TypeVar("_T")


def build_target(kind: str, *, year: int | None, value: float | None, note: str) -> Target:
    """The inverse of (target_year, target_value, target_note): raises ValueError
    with a Japanese message when a field the kind needs is missing."""
    if kind not in TARGET_CLASSES:
        raise ValueError(f"目標種別「{kind}」は使えません（{'、'.join(KIND_LABELS.values())}）")
    label = KIND_LABELS[kind]

    def need(v: _T | None, what: str) -> _T:
        if v is None:
            raise ValueError(f"目標種別「{label}」には{what}が必要です")
        return v

    if kind == "level":
        return LevelTarget(year=need(year, "目標年度"), value=need(value, "目標値"))
    if kind == "change":
        return ChangeTarget(year=need(year, "目標年度"), percent=need(value, "目標値（基準年比の％。減少は負の数）"))
    if kind == "annual_minimum":
        return AnnualMinimumTarget(value=need(value, "目標値（毎年の下限）"))
    if kind == "state":
        return StateTarget(year=year, threshold=100.0 if value is None else value, scope=note)
    if kind == "increase":
        return IncreaseTarget(year=year)
    if kind == "decrease":
        return DecreaseTarget(year=year)
    if kind == "maintain":
        import re
        import unicodedata

        text = unicodedata.normalize("NFKC", note or "").replace(",", "").strip()
        if not text:
            return MaintainTarget(value=value)
        m = re.fullmatch(r"上限\s*(-?\d+(?:\.\d+)?)", text)
        if not m:
            raise ValueError(f"目標種別「{label}」の目標の補足「{note}」を読めません。範囲を維持するときは「上限 30」のように上限を書きます（目標値が下限）")
        upper = float(m[1])
        low = need(value, "目標値（範囲の下限）")
        if upper < low:
            raise ValueError(f"目標種別「{label}」の範囲の上限 {upper:g} が下限（目標値）{low:g} より小さくなっています")
        return MaintainTarget(value=low, upper=upper)
    if kind == "improve":
        return ImproveTarget(year=year, subject=note)
    if kind == "period_total":
        from envplan.plan.years import YearError, parse_fy

        first = note.strip().removesuffix("から").strip()
        if not first:
            raise ValueError(f"目標種別「{label}」には目標の補足に期間の最初の年度が必要です（例: 2005年度から）")
        try:
            start = parse_fy(first)
        except YearError as e:
            raise ValueError(f"目標種別「{label}」の目標の補足「{note}」を期間の最初の年度として読めません（例: 2005年度から）: {e.reason}") from None
        end = need(year, "目標年度（期間の最後の年度）")
        if start > end:
            raise ValueError(f"目標種別「{label}」の期間の最初の年度 {start}年度 が最後の年度 {end}年度 より後です")
        return PeriodTotalTarget(start_fy=start, year=end, value=need(value, "目標値（期間の合計）"))
    return cast(Target, TARGET_CLASSES[kind]())


def describe_target(target: _Target, unit: str = "", digits: int | None = None) -> str:
    """A short Japanese description of the structured form; values with `digits`
    decimal places (the indicator's displayed precision) when given."""
    from envplan.plan.numbers import format_number
    from envplan.plan.years import fy_label

    if isinstance(target, LevelTarget):
        return f"{fy_label(target.year)}までに {format_number(target.value, unit, digits=digits)}"
    if isinstance(target, ChangeTarget):
        sign = "減" if target.percent < 0 else "増"
        return f"{fy_label(target.year)}までに基準年比 {format_number(abs(target.percent))}% {sign}"
    if isinstance(target, AnnualMinimumTarget):
        return f"毎年 {format_number(target.value, unit, digits=digits)} 以上"
    if isinstance(target, YearOverYearTarget):
        return "毎年、前年度より改善"
    if isinstance(target, IncreaseTarget):
        by = f"{fy_label(target.year)}までに" if target.year else ""
        return f"{by}基準年度より増加"
    if isinstance(target, DecreaseTarget):
        by = f"{fy_label(target.year)}までに" if target.year else ""
        return f"{by}基準年度より減少"
    if isinstance(target, MaintainTarget) and target.upper is not None and target.value is not None:
        return f"毎年 {format_number(target.value, unit)}～{format_number(target.upper, unit)} の範囲を維持"
    if isinstance(target, MaintainTarget):
        level = format_number(target.value, unit) if target.value is not None else "基準年度の水準"
        return f"毎年 {level} を維持"
    if isinstance(target, StateTarget):
        scope = f"{target.scope}で" if target.scope else ""
        share = "" if target.threshold == 100 else f"（{format_number(target.threshold)}%以上）"
        if target.year:
            return f"{fy_label(target.year)}までに{scope}達成{share}"
        return f"{scope}達成を毎年維持{share}"
    if isinstance(target, ContinueTarget):
        return "毎年継続して実施（実施回数1以上）"
    if isinstance(target, ImproveTarget):
        by = f"{fy_label(target.year)}までに" if target.year else ""
        return f"{by}{target.subject or '調査結果'}が基準年度より向上"
    if isinstance(target, PeriodTotalTarget):
        return f"{fy_label(target.start_fy)}～{fy_label(target.year)}の合計で {format_number(target.value, unit, digits=digits)}"
    return "各年度の計画値"
