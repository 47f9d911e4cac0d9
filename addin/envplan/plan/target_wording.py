"""Reading a target from its Japanese wording, exactly or not at all.

`read_target` turns a wording as plans print it (「2030年度までに2013年度比46%削減」,
「300台以上（中間目標：2026年200台）」, 「114ha（維持）」 …) into a `TargetReading`:
every part the wording states (kind, year, value or percentage, base year, unit,
direction, approximate, interim targets, dated steps, period, old → new), and
nothing it does not state (a missing target year stays None: it comes from the
目標年度 column). When a part cannot be read, or can be read in two ways, it raises
`TargetWordingError` naming the part and why: the reader never guesses.

`TargetReading.to_target` then makes the stored target of the model, or says
why the model cannot hold what the wording says (an interim target, say).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

from envplan.plan.targets import (
    KIND_LABELS,
    AnnualMinimumTarget,
    ChangeTarget,
    ContinueTarget,
    DecreaseTarget,
    Direction,
    ImproveTarget,
    IncreaseTarget,
    LevelTarget,
    MaintainTarget,
    PeriodTotalTarget,
    PlanValuesTarget,
    StateTarget,
    Target,
    YearOverYearTarget,
    _Target,
)
from envplan.plan.years import YearError, parse_fy


class TargetWordingError(ValueError):
    def __init__(self, wording: str, reason: str, part: str = "", reason_en: str = "") -> None:
        where = f"（「{part}」の部分）" if part and part != wording else ""
        super().__init__(f"目標の文言「{wording}」を解釈できません{where}: {reason}")
        self.wording = wording
        self.reason = reason + where
        self.part = part
        self.reason_en = reason_en or reason


@dataclass(frozen=True)
class DatedValue:
    fy: int
    value: float


# Reading kinds beyond the stored ones: a total over a period has no stored kind yet.
READING_KIND_LABELS: dict[str, str] = {**KIND_LABELS, "period_total": "期間の合計"}


@dataclass(frozen=True)
class TargetReading:
    """What a wording states. None / empty means: the wording does not say."""

    wording: str
    kind: str
    year: int | None = None
    value: float | None = None  # level, threshold share, yearly minimum, level to keep, period total
    percent: float | None = None  # signed change against the base year (−46 = 46% cut)
    base_fy: int | None = None
    base_source: str = ""  # 文言 / 指標名 / 指定: where the base year was found
    unit: str = ""
    direction: Direction | None = None
    comparator: str = ""  # 以上 / 以下 when the wording says so
    approximate: bool = False  # 程度・概ね・約
    interim: tuple[DatedValue, ...] = ()  # 中間目標 and earlier dated steps
    start_fy: int | None = None  # first year of a period total
    upper: float | None = None  # the upper end of a band to keep (「20～30℃を維持」: value 20, upper 30)
    previous_value: float | None = None  # the old figure of 「old → new」
    scope: str = ""  # state targets: where the state is to hold
    kept: bool = False  # a state to keep every year (…を維持), not one to reach by a year
    notes: tuple[str, ...] = field(default=())

    @property
    def reading(self) -> str:
        return describe_reading(self)

    def to_target(self, *, year: int | None = None) -> Target:
        """The stored target. `year` fills a target year the wording does not state.
        Raises TargetWordingError when the model cannot hold everything the wording says."""
        y = self.year if self.year is not None else year
        if self.interim:
            steps = "、".join(f"{d.fy}年度 {d.value:g}" for d in self.interim)
            raise TargetWordingError(
                self.wording,
                f"中間目標・途中の年度の目標（{steps}）は目標種別の欄では表せません。"
                "最終目標を目標種別・目標年度・目標値で、途中の年度の目標を指標実績のその年度の計画値として入力してください",
                reason_en="interim targets cannot be stored as the target; enter them as plan values of their years",
            )
        k = self.kind
        if k == "period_total":
            assert self.start_fy is not None and self.year is not None and self.value is not None
            return PeriodTotalTarget(start_fy=self.start_fy, year=self.year, value=self.value)
        if k == "level":
            if y is None:
                raise TargetWordingError(self.wording, "目標年度が文言にありません。目標年度を指定してください", reason_en="the wording gives no target year")
            assert self.value is not None
            return LevelTarget(year=y, value=self.value)
        if k == "change":
            if y is None:
                raise TargetWordingError(self.wording, "目標年度が文言にありません。目標年度を指定してください", reason_en="the wording gives no target year")
            assert self.percent is not None
            return ChangeTarget(year=y, percent=self.percent)
        if k == "annual_minimum":
            assert self.value is not None
            return AnnualMinimumTarget(value=self.value)
        if k == "maintain":
            return MaintainTarget(value=self.value, upper=self.upper)
        if k == "state":
            if y is None and not self.kept:
                raise TargetWordingError(self.wording, "達成する目標年度が文言にありません。目標年度を指定してください（毎年の維持なら「…を維持」）", reason_en="the wording gives no year to reach the state by")
            return StateTarget(year=y, threshold=100.0 if self.value is None else self.value, scope=self.scope)
        if k == "increase":
            return IncreaseTarget(year=y)
        if k == "decrease":
            return DecreaseTarget(year=y)
        if k == "improve":
            return ImproveTarget(year=y, subject=self.scope)
        if k == "year_over_year":
            return YearOverYearTarget()
        if k == "continue":
            return ContinueTarget()
        return PlanValuesTarget()

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "kind_label": READING_KIND_LABELS[self.kind],
            "year": self.year,
            "value": self.value,
            "percent": self.percent,
            "base_fy": self.base_fy,
            "base_source": self.base_source or None,
            "unit": self.unit,
            "direction": self.direction,
            "comparator": self.comparator or None,
            "approximate": self.approximate,
            "interim_targets": [{"fy": d.fy, "value": d.value} for d in self.interim],
            "start_fy": self.start_fy,
            "upper": self.upper,
            "previous_value": self.previous_value,
            "scope": self.scope or None,
            "kept": self.kept,
            "notes": list(self.notes),
            "reading": self.reading,
        }


@dataclass(frozen=True)
class TargetProposal:
    target: _Target
    direction: Direction | None  # None: the wording does not say
    unit: str
    reading: str  # what was recognised, in Japanese


def describe_reading(r: TargetReading) -> str:
    def n(v: float | None) -> str:
        return "" if v is None else f"{v:,g}"

    by = f"{r.year}年度までに" if r.year is not None else ""
    approx = "程度" if r.approximate else ""
    base = f"{r.base_fy}年度比" if r.base_fy is not None else "基準年度比"
    if r.kind == "level":
        text = f"{by}{n(r.value)}{r.unit}{approx}{r.comparator}"
        if r.percent is not None:
            text += f"（{base}{abs(r.percent):g}%{'減' if r.percent < 0 else '増'}）"
    elif r.kind == "change":
        text = f"{by}{base}{abs(r.percent or 0):g}%{approx}{r.comparator}{'減' if (r.percent or 0) < 0 else '増'}"
        if r.value is not None:
            text += f"（{n(r.value)}{r.unit}）"
    elif r.kind == "annual_minimum":
        text = f"毎年{n(r.value)}{r.unit}以上"
    elif r.kind == "maintain":
        text = f"{n(r.value)}{r.unit}を維持" if r.value is not None else "現状（基準年度の水準）を維持"
        if r.upper is not None:
            text = f"{n(r.value)}～{n(r.upper)}{r.unit}の範囲を維持"
    elif r.kind == "state":
        text = f"{r.scope}で達成を維持" if r.kept else f"{by}{r.scope}で達成"
    elif r.kind == "period_total":
        text = f"{r.start_fy}～{r.year}年度の合計で{n(r.value)}{r.unit}"
    elif r.kind in ("increase", "decrease", "improve"):
        word = {"increase": "増加", "decrease": "減少", "improve": "向上"}[r.kind]
        text = f"{by}{r.base_fy}年度より{word}" if r.base_fy is not None else f"{by}{r.scope + 'の' if r.scope else ''}{word}"
    elif r.kind == "year_over_year":
        text = "毎年、前年度より改善"
    elif r.kind == "continue":
        text = "毎年継続して実施"
    else:
        text = "各年度の計画値"
    if r.interim:
        text += "（" + "、".join(f"{d.fy}年度 {n(d.value)}{r.unit}" for d in r.interim) + "）"
    if r.previous_value is not None:
        text += f"（{n(r.previous_value)} から変更）"
    return text


# ---- normalising ------------------------------------------------------------------------

_SCALES = {"万": 10_000.0, "千": 1_000.0, "億": 100_000_000.0}
_PERCENT = r"(?:%|パーセント)"
_NUM = r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?"
_ERA = r"(?:平成|令和|昭和|[HRS])"
# A year as plans print it: 2030年度, 令和12年度, 平成32年度, H32, 2020(平成32)年度, 平成24(2012)年度, 2035年.
_YEAR = rf"(?:\d{{4}}(?:\({_ERA}(?:\d{{1,2}}|元)\))?|{_ERA}(?:\d{{1,2}}|元)(?:\(\d{{4}}\))?)年度?"
_TWO_DIGIT_YEAR = r"(?<![0-9年度成和HRS])\d{2}年度"


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).strip()
    for ch in "〜～~―–—":
        t = t.replace(ch, "～")
    t = t.replace("−", "-").replace("→", "→")
    t = re.sub(r"(?<=\d)、(?=\d{3}(?!\d))", ",", t)  # 25、000人: 、 as a thousands separator
    t = t.replace("、", "").replace(" ", "").replace("\u3000", "")
    for q in "「」『』":
        t = t.replace(q, "")
    return t.rstrip("。.")


def _number(raw: str) -> float:
    return float(raw.replace(",", ""))


def _strip_endings(t: str) -> str:
    t = t.rstrip("。.")
    for ending in _SOFT_ENDINGS:
        if t.endswith(ending) and len(t) > len(ending):
            return t[: -len(ending)]
    return t


def _year(wording: str, raw: str) -> int:
    # 「2030年」 and 「2030年度」 name the same target year in plans (the corpus mixes them).
    if raw.endswith("年") and not raw.endswith("年度"):
        raw = raw + "度"
    try:
        return parse_fy(raw)
    except YearError as e:
        raise TargetWordingError(wording, f"年度「{raw}」を読めません（{e.reason}）", raw) from e


def _counted_in_times(unit: str) -> bool:
    """An indicator whose value is itself a multiple (a ratio counted in 倍)."""
    return bool(unit) and unicodedata.normalize("NFKC", unit).strip().startswith("倍")


def _same_unit(a: str, b: str) -> bool:
    def canon(u: str) -> str:
        u = unicodedata.normalize("NFKC", u).replace(" ", "").replace("パーセント", "%")
        u = u.replace("ヶ所", "か所").replace("箇所", "か所").replace("ケ所", "か所").replace("m2", "㎡").replace("m²", "㎡")
        u = u.replace("m3", "㎥").replace("m³", "㎥")
        return u
    return canon(a) == canon(b)


# Words a subject before the figure never holds: they change what the figure means (see `general`).
_NOT_IN_A_SUBJECT = r"毎年|前年|比|年間|年平均|年率|累計"

_SOFT_ENDINGS = (
    "することを目標とします", "することを目標とする", "することを目標", "することを目指します", "することを目指す",
    "を目指します", "を目指す", "をめざす", "を目標とします", "を目標とする", "を目標", "する取組を進める", "とします", "とする",
    "します", "する",
)


class _Reader:
    def __init__(self, wording: str, *, unit: str, base_fy: int | None, direction: Direction | None, name: str) -> None:
        self.wording = wording
        self.unit = unit
        self.given_base = base_fy
        self.given_direction = direction
        self.name = name
        self.notes: list[str] = []

    def fail(self, reason: str, part: str = "", en: str = "") -> TargetWordingError:
        return TargetWordingError(self.wording, reason, part, en)

    # The value part: 「300台以上」「6万基」「50%程度」「ゼロ」「913g/人・日以下」
    def quantity(self, text: str, *, per_year: bool = False) -> tuple[float, str, bool, str]:
        """(value in the indicator's unit, unit as read, approximate, comparator)."""
        if text.endswith("に") and not text.endswith("倍に"):
            text = text[:-1]  # 「500g以下にする」「50%にする」「ゼロにする」: the level to reach
        if text == "ゼロ":
            return 0.0, self.unit, False, ""
        m = re.fullmatch(rf"(?P<a1>約|概ね|おおむね)?(?P<num>{_NUM})(?P<scale>[万千億]?)(?P<unit>(?:[^\d.,].*?)?)(?P<a2>程度)?(?P<cmp>以上|以下|以内|未満|超)?", text)
        if not m:
            raise self.fail("目標値として読めません", text, "not a value")
        if m["cmp"] in ("未満", "超"):
            # The judgement counts a value equal to the target as reaching it (以上・以下): 未満・超 exclude it.
            raise self.fail(
                f"「{m['cmp']}」（目標値と等しい値を含まない）は判定で表せません。「以上」「以下」で表せるなら、そのように指定してください",
                text, "未満/超 (exclusive) cannot be judged",
            )
        value = _number(m["num"])
        unit = m["unit"].replace("パーセント", "%")
        scale = m["scale"]
        if scale:
            # Without the indicator's unit the scale stays in the unit (「1,324千t-CO2」); with it,
            # the value is converted only when the unit is the same without the scale (「6万基」 for 基).
            if not self.unit or _same_unit(scale + unit, self.unit):
                unit = scale + unit
            else:
                value *= _SCALES[scale]
        if per_year and self.unit and unit and _same_unit(unit + "/年", self.unit):
            unit = self.unit  # 「年2回以上」 for an indicator counted in 回/年
        if re.search(r"[^\x00-\x7F]\d", unit):
            # 「1人1日当たり500g」: the first figure is not the value; units themselves carry digits only as in t-CO2, m3
            raise self.fail("数値のあとに別の数値が続き、どれが目標値かが決まりません", text, "more than one figure: which is the target?")
        change = re.search(r"(削減|減少|低減|減|増加|増|向上|拡大|改善|減らす|増やす|減らします|増やします)$", unit)
        if change:
            # 「15,000t削減」「100人増」「10ポイント向上」: how much to change, not the value to reach
            raise self.fail(
                f"「{text}」は{'減らす' if '減' in change[1] else '増やす'}量（基準の値との差）で、到達する値ではありません。"
                "差の大きさの目標は表せないため、基準の値から到達する値を求めて、目標種別「年度までの水準」で指定してください",
                text, "an amount of change, not a value to reach",
            )
        if "倍" in unit and not _counted_in_times(self.unit):
            # 「2倍」 is a multiple of the base, not the indicator's value (read as a change where it stands alone)
            raise self.fail("「N倍」は基準の値に対する倍率で、ここでは目標値として読めません。目標種別「基準年比の増減」で増減率（2倍なら +100%）を指定してください", text, "N倍 is a multiple of the base, not a value")
        if self.unit and unit and "/" in self.unit and _same_unit(unit, self.unit.split("/")[0]):
            unit = self.unit  # 「…1人1日当たり…500g」 for g/人・日: the unit before its 「/」, as a department's cell is read
        if self.unit and unit and not _same_unit(unit, self.unit):
            raise self.fail(f"目標値の単位「{unit}」が指標の単位「{self.unit}」と違います", text, "the unit differs from the indicator's")
        if re.search(r"を|未満|超|以内|以上|以下|程度|維持|達成|割|毎年|減ら|増や|上げ|下げ", unit):  # 「80%を維持」「46件割」: a phrase, never a unit
            raise self.fail("目標値として読めません", text, "not a value")
        return value, unit or self.unit, bool(m["a1"] or m["a2"]), {"以内": "以下"}.get(m["cmp"] or "", m["cmp"] or "")  # (以内 includes the value, as 以下)

    def check_direction(self, wording_direction: Direction | None, part: str) -> Direction | None:
        d = self.given_direction
        if d and wording_direction and d != wording_direction:
            raise self.fail(
                f"文言は「{'大きいほどよい' if wording_direction == 'higher' else '小さいほどよい'}」と読めますが、指標の方向は逆です。"
                "文言が指標の値そのものの目標か、変化の大きさの目標かが決まりません",
                part, "the wording's direction contradicts the indicator's",
            )
        return wording_direction or d

    def read(self) -> TargetReading:
        spaced = re.search(r"[0-9０-９](?:[ \u3000]+|、(?![0-9０-９]{3}(?![0-9０-９])))[0-9０-９]", self.wording)
        if spaced:  # 「R12 46%削減」: removing the space would make one figure of two (1246%)
            raise self.fail("数字と数字の間に空白か「、」があり、1つの数か2つの数かが決まりません", spaced[0], "a space or 、 between two figures")
        t = _norm(self.wording)
        if not t:
            raise self.fail("文言が空です", en="the wording is empty")
        if re.search(_TWO_DIGIT_YEAR, t):
            part = re.search(_TWO_DIGIT_YEAR, t)
            assert part
            raise self.fail("元号のない2桁の年度は、西暦の下2桁か和暦かが決まりません（例: 2020年度、令和2年度と書いてください）", part[0], "a two-digit year without an era is ambiguous")
        t = self.plain_forms(t)
        t = _strip_endings(t)
        simple = self.simple(t)
        if simple is not None:
            return simple
        return self.general(t)

    def plain_forms(self, t: str) -> str:
        """The wording's forms that every rule below reads one way, said that way (or refused)."""
        # N割 is N × 10 % wherever it stands (「5割増」「3割以上削減」「約3割削減」「3割」), so that no
        # rule reads 割 as a unit of the value (割合 is a word, not a figure).
        t = re.sub(rf"(?P<n>{_NUM})割(?!合)", lambda m: f"{_number(m['n']) * 10:g}%", t)
        # 「マイナス46%」「プラス10%」 are signs; 「46%を削減」「46%の削減」 say 「46%削減」 (not a subject 「46%」 and a cut of no size)
        t = re.sub(r"マイナス(?=\d)", "-", t)
        t = re.sub(r"プラス(?=\d)", "+", t)
        t = re.sub(r"減らします|減らす", "削減", t)  # (the verbs as the nouns every rule reads)
        t = re.sub(r"増やします|増やす", "増加", t)
        t = re.sub(r"(%|パーセント)(以上)?[をの](?=削減|減少|低減|増加)", r"\1\2", t)
        # 「最大5%削減」「上限」: a cap on the change, which no target kind holds (read as a cut it would be reached by more)
        capped = re.search(r"(?:最大|最高|上限)(?=[ではの]?(?:約|概ね|おおむね)?[-▲△+]?\d)|以内の(?:削減|増加)", t)
        if capped:
            raise self.fail(f"「{capped[0]}」の付いた目標（増減の上限）は表せません。目標種別・年度・値を指定してください", capped[0], "a cap on the change cannot be expressed")
        t = re.sub(r"(?:少なくとも|最低)(?P<q>(?:約|概ね|おおむね)?[-▲△+]?\d[\d,.]*(?:%|パーセント))(?!以上)", r"\g<q>以上", t)  # at least N %
        # 「2031年3月末までに」: the end of 2030年度. (Another month is left as written, and refused: 「2030年4月までに」
        # may mean before April, in 2029年度, or within it.)
        t = re.sub(rf"(?:\d{{4}}|{_ERA}(?:\d{{1,2}}|元))年0?3月末?(?:時点|現在)?", lambda m: f"{_year(self.wording, m[0])}年度", t)
        return t

    def simple(self, t: str) -> TargetReading | None:
        w = self.wording
        if re.fullmatch(r"(各年度の)?計画値(による|のとおり|どおり)?", t):
            return TargetReading(w, "plan_values")
        if re.fullmatch(r"(毎年度?)?(継続して|継続)(実施|開催)|毎年(度)?(実施|開催)|継続実施", t):
            return TargetReading(w, "continue", direction="higher")
        m = re.fullmatch(r"(?:毎年度?)?前年度?(?:比|より)(?P<d>減|減少|削減|増|増加)(?:を毎年(?:度)?(?:継続)?)?", t) or re.fullmatch(
            r"毎年度?前年度?(?:比|より)(?P<d>減|減少|削減|増|増加)", t
        )
        if m:
            d: Direction = "lower" if "減" in m["d"] else "higher"
            return TargetReading(w, "year_over_year", direction=self.check_direction(d, t))
        m = re.fullmatch(r"(?:(?P<subj>.+?)(?:を|で))?(?:毎年度?|年間?)(?P<q>.+?以上)(?P<verb>開催|実施|提供|参加|設置)?", t)
        if m:
            value, unit, approx, _ = self.quantity(m["q"], per_year=True)
            return TargetReading(w, "annual_minimum", value=value, unit=unit, approximate=approx, comparator="以上", direction=self.check_direction("higher", t))
        if t in ("現状維持", "現状を維持"):
            return TargetReading(w, "maintain", unit=self.unit, direction=self.given_direction)
        band = re.fullmatch(r"(?:[^\d～]+?を)?(?P<lo>[^～を]+?)～(?P<hi>[^～]+?)(?:の範囲|の間)?(?:\(維持\)|(?:を|に|で)(?:毎年)?維持)", t)
        if band and not re.search("環境基準", t):  # a band to stay in: both ends must read, in the same unit
            lo, lo_unit, lo_approx, lo_cmp = self.quantity(band["lo"])
            hi, hi_unit, hi_approx, hi_cmp = self.quantity(band["hi"])
            if lo_cmp or hi_cmp:
                raise self.fail("範囲の両端に「以上・以下」があり、範囲の意味が決まりません", band[0], "a band with 以上/以下 at its ends")
            unit = hi_unit or lo_unit
            if lo_unit and hi_unit and not _same_unit(lo_unit, hi_unit):
                raise self.fail(f"範囲の両端の単位（{lo_unit}・{hi_unit}）が違います", band[0], "the band's ends have different units")
            if lo >= hi:
                raise self.fail(f"範囲の下限 {lo:g} が上限 {hi:g} 以上です", band[0], "the band's lower end is not below its upper end")
            return TargetReading(w, "maintain", value=lo, upper=hi, unit=unit, approximate=lo_approx or hi_approx, direction=self.given_direction)
        # 114ha（維持） / 100%を維持 / 緑被率を80%に維持 / 緑被率80%を維持 (a subject before the figure)
        m = re.fullmatch(r"(?P<q>[^()]+?)\(維持\)|(?:[^\d()]+?を?)?(?P<q2>(?:約|概ね|おおむね)?\d[^()]*?|ゼロ)(?:を|に|で)(?:毎年)?維持", t)
        if m and not re.search("環境基準", t) and not re.search(_YEAR, t):  # (with a year: see `core`)
            value, unit, approx, cmp = self.quantity(m["q"] or m["q2"])
            return TargetReading(w, "maintain", value=value, unit=unit, approximate=approx, comparator=cmp, direction=self.given_direction)
        m = re.fullmatch(r"(?P<scope>.*?)(?:で)?環境基準(?:の)?達成を(?:毎年)?維持", t)
        if m:
            return TargetReading(w, "state", unit="%", scope=m["scope"] or "", direction="higher", kept=True)
        if t in ("増加", "増", "拡大"):
            return TargetReading(w, "increase", direction="higher")
        if t in ("減少", "削減", "減"):
            return TargetReading(w, "decrease", direction="lower")
        if t == "向上":
            return TargetReading(w, "improve", direction="higher")
        m = re.fullmatch(r"(?P<subject>[^\d]+?)の向上", t)
        if m:
            return TargetReading(w, "improve", scope=m["subject"], direction="higher")
        return None

    def general(self, t: str) -> TargetReading:
        w = self.wording
        interim: list[DatedValue] = []
        notes = self.notes
        previous: float | None = None
        year: int | None = None
        bases: list[int] = []
        base_source = ""

        # Revision notes: 「60%削減※50%削減から変更」; scope notes 「※特種車両等を除く」 change nothing we read.
        m = re.search(r"※(?P<old>.+?)から変更$", t)
        if m:
            notes.append(f"見直し前: {m['old']}")
            t = t[: m.start()]
        if "※" in t:
            raise self.fail("「※」の注記（対象の範囲など）は目標の欄では表せません。目標の補足に書き、目標種別・年度・値を指定してください", t[t.index("※"):], "a ※ note (scope) cannot be expressed")

        # Interim targets: （中間目標：2026年200台）
        for m in list(re.finditer(rf"\(中間目標[:：](?P<y>{_YEAR})(?P<q>[^()]*)\)", t)):
            if not re.search(r"\d", m["q"]):
                raise self.fail("中間目標に数値がありません（数値でない中間目標は表せません）", m[0], "the interim target has no figure")
            value, _, _, _ = self.quantity(m["q"])
            interim.append(DatedValue(_year(w, m["y"]), value))
        t = re.sub(rf"\(中間目標[:：]{_YEAR}[^()]*\)", "", t)

        # The target year as a table prints it before the value: 「（2035年目標）」「2030年度目標」「目標（2030年度）：」
        # 「【2030年度】」「2030年度：」 (a year merely next to the value, 「2030年度 46%削減」, stays unread: its role is not said).
        m = re.match(rf"^(?:\((?P<y1>{_YEAR})目標\)|(?P<y2>{_YEAR})目標[:：]?|目標\((?P<y3>{_YEAR})\)[:：]?|【(?P<y4>{_YEAR})】|(?P<y5>{_YEAR})[:：])", t)
        if m:
            year = _year(w, next(g for g in (m["y1"], m["y2"], m["y3"], m["y4"], m["y5"]) if g))
            t = t[m.end():]

        # Dated steps in one cell: 56,000kW（2026年度）74,000kW（2030年度）
        steps = re.findall(rf"([^()]+?)\(({_YEAR})\)", t)
        if len(steps) >= 2 and re.fullmatch(rf"(?:[^()]+?\({_YEAR}\))+", t):
            dated = []
            for q, y in steps:
                value, unit, approx, cmp = self.quantity(q)
                dated.append((_year(w, y), value, unit, approx, cmp))
            dated.sort()
            *early, last = dated
            interim += [DatedValue(fy, v) for fy, v, *_ in early]
            return TargetReading(
                w, "level", year=last[0], value=last[1], unit=last[2], approximate=last[3], comparator=last[4],
                interim=tuple(sorted(interim, key=lambda d: d.fy)), direction=self.given_direction,
            )

        # One value and its year after it, as each of the dated steps above: 「46%削減（2030年度）」「30%（2030年度）」
        m = re.fullmatch(rf"(?P<rest>[^()]+?)\((?P<y>{_YEAR})\)", t)
        if m and year is None:
            year = _year(w, m["y"])
            t = m["rest"]

        # Old → new figures: 「611グラム→550グラム」 after a sentence; 「87(old)→46(revised)」 alone.
        m = re.search(r"(?P<a>[0-9][0-9,.]*[^0-9→]*?)→(?P<b>[0-9][0-9,.]*[^0-9→]*)$", t)
        if m:
            a = re.sub(r"\((old|旧)\)$", "", m["a"])
            b = re.sub(r"\((revised|new|新|見直し後)\)$", "", m["b"])
            prev_value, _, _, _ = self.quantity(a)
            new_value, new_unit, _, _ = self.quantity(b)
            head = _strip_endings(t[: m.start()])
            if not head:
                return TargetReading(w, "level", value=new_value, unit=new_unit, previous_value=prev_value, direction=self.given_direction)
            previous, arrow_value, arrow_unit = prev_value, new_value, new_unit
            t = head
        else:
            arrow_value = None
            arrow_unit = ""

        # Period totals: 3年間（H17~H19）で自然エネルギーを5万kW導入
        m = re.fullmatch(rf"(?P<n>\d+)年間\((?P<a>{_YEAR}|{_ERA}\d{{1,2}})～(?P<b>{_YEAR}|{_ERA}\d{{1,2}})\)で(?:.+?を)?(?P<q>.+?)(?:導入|整備|削減|設置)?", t)
        if m:
            first_fy, last_fy = _year(w, m["a"]), _year(w, m["b"])
            if last_fy - first_fy + 1 != int(m["n"]):
                raise self.fail(f"{m['n']}年間と{first_fy}～{last_fy}年度の年数が合いません", m[0], "the period's length disagrees with its years")
            value, unit, approx, _ = self.quantity(m["q"])
            return TargetReading(w, "period_total", year=last_fy, start_fy=first_fy, value=value, unit=unit, approximate=approx, direction=self.given_direction)

        # Base years: X年度比 / X年比 / X年度に比べて / X年度と比較して / X年度を基準にして / X年度の…を基準として / X年度より / X年度から
        # A base in brackets first: （2013年度比）, （1990(平成2)年度比で12%削減）
        for m in list(re.finditer(rf"\((?P<y>{_YEAR})比(?:で)?(?P<rest>[^()]*)\)", t)):
            if m["rest"]:
                notes.append(f"併記: {m['y']}比{m['rest']}")
            bases.append(_year(w, m["y"]))
        t = re.sub(rf"\({_YEAR}比(?:で)?[^()]*\)", "", t)
        # (「X年度の…を基準として」: the … is a quantity's name, never another year — 「令和12年度の2013年度を基準にして」
        # has its target year first.)
        base_re = (
            rf"(?:(?:基準年度?|ピーク時)\((?P<y1>{_YEAR})\)|(?P<y2>{_YEAR}))(?:の(?:(?!{_YEAR})[^を比])*?を基準(?:にして|として)|を基準(?:にして|として)"
            rf"|と比較して|と比べて|に比べて|比で?|より|から|の(?=(?:約|概ね|おおむね)?\d[\d,.]*倍))"
        )
        for m in list(re.finditer(base_re, t)):
            if m[0].endswith("の") and not re.search(_YEAR, t[: m.start()] + t[m.end():]):
                # 「令和12年度の2倍」: twice that year's figure, or twice the base by that year? Said only with a target year.
                raise self.fail("この年度が目標年度か基準年度かが文言から決まりません", m[0], "a year whose role is unclear")
            bases.append(_year(w, m["y1"] or m["y2"]))
        t_nobase = re.sub(base_re, "", t)
        t = t_nobase
        if "基準年比" in t or "基準年度比" in t:
            t = t.replace("基準年度比", "").replace("基準年比", "")
            base_source = "指標の基準年度"
        if len(set(bases)) > 1:
            if self.given_base in bases:
                notes.append("基準年度が複数あり、指定の基準年度で読みました: " + "、".join(f"{b}年度" for b in bases))
                bases = [self.given_base]
            else:
                raise self.fail(
                    "基準年度が複数あります（" + "、".join(f"{b}年度" for b in dict.fromkeys(bases)) + "）。どの基準年度で判定するかを指定してください",
                    en="the wording names more than one base year",
                )
        base = bases[0] if bases else None
        if base is not None:
            base_source = "文言"
        else:
            nm = re.search(rf"\((?P<y>{_YEAR})比\)", _norm(self.name)) if self.name else None
            if nm:
                base, base_source = _year(w, nm["y"]), "指標名"
            elif self.given_base is not None:
                base, base_source = self.given_base, base_source or "指定"

        # The target year: X年度までに / X年度において / X年度における / X年度には / X年度の / X年度まで(の)
        for m in list(re.finditer(rf"\(?(?P<y>{_YEAR})(?:末)?(?:までに|までの|まで\)|において|における|には|に|の)", t)):
            y = _year(w, m["y"])
            if year is not None and y != year:
                raise self.fail(f"目標年度が2つあります（{year}年度と{y}年度）", m[0], "two target years")
            year = y
            t = t.replace(m[0], "", 1)
        if re.search(_YEAR, t):
            part = re.search(_YEAR, t)
            assert part
            raise self.fail("この年度が目標年度か基準年度かが文言から決まりません", part[0], "a year whose role is unclear")

        # What remains: [subject を] core. 「温室効果ガス排出量を55%削減」「リサイクル率を27%以上」「ごみ量を…削減」
        core = _strip_endings(t)
        # The subject: the first 「…を」 followed by the figure; or a subject without を (「温室効果ガス総排出量3%削減」).
        m = re.fullmatch(r"(?P<subj>.+?)を(?P<core>(?:約|概ね|おおむね|[-▲△]|\d|ゼロ|半減|半分|倍増|削減|減少|低減|増加).*)", core)
        # A subject never holds 毎年・前年・比・年間・年平均・年率・累計: those change what the figure means
        # (「毎年前年度比5%削減」「年平均2%削減」: every year against the last, not once against the base).
        # Nor is it a figure itself: 「1,000tを削減」 is an amount to cut, not a cut of 「1,000t」 (see `quantity`).
        if m and not re.search(rf"{_NOT_IN_A_SUBJECT}|当たり$", m["subj"]) and not (re.match(r"(?:約|概ね|おおむね)?[-▲△+]?\d", m["subj"]) and not re.search("当たり|あたり", m["subj"])):
            core = m["core"]
        elif not m:
            m = re.fullmatch(r"(?P<subj>[^\d()]+?)(?P<core>(?:約|概ね|おおむね|[-▲△]|\d).*%.*(?:削減|減|増加|増))", core)
            if m and not m["subj"].endswith(("約", "概ね", "おおむね")) and not re.search(_NOT_IN_A_SUBJECT, m["subj"]):
                core = m["core"]
        core = re.sub(r"^(?:.*?削減目標)(?=[-▲△])", "", core)  # 「温室効果ガス削減目標 -42.6%」

        reading = self.core(core, year=year, base=base, base_source=base_source)
        if interim:
            reading = replace(reading, interim=tuple(sorted(interim, key=lambda d: d.fy)))
        if previous is not None:
            if reading.kind == "level" and arrow_value != reading.value:
                raise self.fail(f"目標値 {reading.value:g} と「→」の後の値 {arrow_value:g} が違います", en="the figure after → differs")
            if reading.kind == "change" and reading.value is None:
                # 「…10%以上削減する。611グラム→550グラム」: the figure after → is the level to reach.
                cmp = ("以下" if (reading.percent or 0) < 0 else "以上") if reading.comparator else ""
                reading = replace(reading, kind="level", value=arrow_value, unit=arrow_unit or self.unit, comparator=cmp)
            reading = replace(reading, previous_value=previous)
        if reading.base_fy is None and reading.kind in ("change",) and base_source:
            reading = replace(reading, base_source=base_source)
        return replace(reading, notes=tuple(notes))

    def core(self, core: str, *, year: int | None, base: int | None, base_source: str) -> TargetReading:
        w = self.wording
        bs = base_source if base is not None else ""
        # 「1人1日当たり500g以下」 for an indicator counted per person (g/人・日): the 1 is the 「per」, not the
        # value. Without such a unit the figures stay ambiguous (refused in `quantity`).
        m = re.fullmatch(r"(?:[市区町村県都府道]民)?1人(?:1日)?(?:当たり|あたり)の?(?P<rest>(?:約|概ね|おおむね)?\d.*)", core)
        if m and "/人" in unicodedata.normalize("NFKC", self.unit):
            core = m["rest"]
        # Change without a size: 「平成25年度より削減」
        if core in ("削減", "減少", "低減", "減"):
            if base is None:
                return TargetReading(w, "decrease", year=year, direction=self.check_direction("lower", core))
            return TargetReading(w, "decrease", year=year, base_fy=base, base_source=bs, direction=self.check_direction("lower", core))
        if core in ("増加", "増", "拡大"):
            return TargetReading(w, "increase", year=year, base_fy=base, base_source=bs, direction=self.check_direction("higher", core))
        m = re.fullmatch(r"(?P<what>[^\d]+?)の(?P<d>増|増加|拡大|向上|減少|削減)", core)
        if m:
            kind = {"向上": "improve", "減少": "decrease", "削減": "decrease"}.get(m["d"], "increase")
            d0: Direction = "lower" if kind == "decrease" else "higher"
            return TargetReading(w, kind, year=year, base_fy=base, base_source=bs, scope=m["what"] if kind == "improve" else "",
                                 direction="higher" if kind == "increase" else self.check_direction(d0, core))
        if re.fullmatch(r"[^()]+?を(?:毎年)?維持", core):
            raise self.fail(
                "水準の維持（「…を維持」）は毎年の判定のため、目標年度や基準年度とは一緒に表せません。年度を外すか、目標種別・年度・値を指定してください",
                core, "a level to keep has no target year",
            )
        # 半減 (optionally followed by the same figure as a percentage: 「半減50%」); N割 reads as N × 10 % (`read`)
        m = re.fullmatch(rf"半減(?P<h>{_NUM}{_PERCENT})?", core)
        if m:
            pct = -50.0
            if m["h"] and _number(m["h"].replace("%", "").replace("パーセント", "")) != 50:
                raise self.fail("半減と併記の割合が合いません", core, "半減 and the percentage disagree")
            return self.change(core, pct, year, base, bs, approx=False, cmp="")
        # A multiple of the base: 2倍 / 1.5倍に / 約2倍に増やす / 2倍以上 / 倍増 (2倍): a change of (N − 1) × 100 %,
        # as 半減 is one of −50 %. An indicator counted in 倍 (a ratio) has 「2倍」 as its value: read below as a level.
        m = re.fullmatch(
            rf"(?P<a1>約|概ね|おおむね)?(?:(?P<num>{_NUM})倍(?P<a2>程度)?(?P<cmp>以上)?|(?P<double>倍増))"
            r"(?:に?(?:増や|拡大|引き上げ|高め|増加)?(?:す|する|します|る|ます)?)?",
            core,
        )
        if m and not _counted_in_times(self.unit):
            times = 2.0 if m["double"] else _number(m["num"])
            if times <= 1:
                raise self.fail(f"「{times:g}倍」は増やす目標として読めません（1倍以下）", core, "a multiple of 1 or less")
            return self.change(core, round((times - 1) * 100, 6), year, base, bs, approx=bool(m["a1"] or m["a2"]), cmp="以上" if m["cmp"] else "")
        # 「半分以下の39万トン」: a level stated with the share of the base it means
        m = re.fullmatch(r"半分以下の(?P<q>.+)", core)
        if m:
            value, unit, approx, _ = self.quantity(m["q"])
            return TargetReading(w, "level", year=year, value=value, unit=unit, approximate=approx, comparator="以下", percent=-50.0,
                                 base_fy=base, base_source=bs, direction=self.check_direction("lower", core))
        # Percent change: 46%削減 / 5%以上削減 / 20%程度削減 / -42.6% / ▲46% / 7パーセント削減 / 8.5%(約7.6万t-CO2)以上削減
        m = re.fullmatch(
            rf"(?P<a1>約|概ね|おおむね)?(?P<sign>[-▲△+])?(?P<num>{_NUM}){_PERCENT}(?P<amount>\((?:約)?[0-9][^()]*\))?(?P<a2>程度)?(?P<cmp>以上)?"
            r"(?P<dir>削減|減少|低減|減らす|減らします|減|増加|増やす|増やします|増)?(?:\((?P<extra>[^()]*)\))?",
            core,
        )
        if m and (m["dir"] or m["sign"]):
            if m["extra"]:
                raise self.fail("括弧の中を読めません", f"（{m['extra']}）", "unreadable text in brackets")
            if m["sign"] and m["dir"]:
                raise self.fail("符号（▲・－）と「削減・増加」が両方あり、向きが決まりません", core, "both a sign and a direction word")
            pct = _number(m["num"])
            down = m["sign"] in ("-", "▲", "△") or (m["dir"] or "").startswith(("削", "減", "低"))
            if m["amount"]:
                self.notes.append(f"削減量の併記: {m['amount'][1:-1]}")
            return self.change(core, -pct if down else pct, year, base, bs, approx=bool(m["a1"] or m["a2"]), cmp="以上" if m["cmp"] else "")
        # A value with its change: 61.9（20%減）
        m = re.fullmatch(rf"(?P<q>[^()]+?)\((?P<num>{_NUM}){_PERCENT}(?P<dir>削減|減|増)\)", core)
        if m:
            value, unit, approx, cmp = self.quantity(m["q"])
            pct = _number(m["num"]) * (-1 if "減" in m["dir"] else 1)
            d: Direction = "lower" if pct < 0 else "higher"
            return TargetReading(
                w, "level", year=year, value=value, unit=unit, approximate=approx, comparator=cmp, percent=pct,
                base_fy=base, base_source=bs, direction=self.check_direction(d, core),
            )
        # 全局で環境基準達成 / …全測定局で環境基準を達成
        m = re.fullmatch(r"(?P<scope>.*?)で?環境基準(?:の)?(?:を)?達成", core)
        if m:
            return TargetReading(w, "state", year=year, value=100.0, unit="%", scope=m["scope"].removesuffix("の"), direction="higher")
        # State at every station: 全測定局で環境基準を達成 / 各測定局の年平均において10μg/m3以下を安定して達成
        m = re.fullmatch(r"(?P<scope>(?:全|各|すべての)(?:測定局|局|地点|測定地点).*?)(?:で|において)?(?P<what>.*?)を?(?P<stable>安定して)?達成", core)
        if m:
            scope = (m["scope"] + (m["what"] or "")).rstrip("をで")
            if m["stable"]:
                self.notes.append("安定して（毎年）の達成")
            return TargetReading(w, "state", year=year, value=100.0, unit="%", scope=scope, direction="higher")
        # Raise to / reduce to: 40パーセントまで高めます / 39万トンまで削減
        m = re.fullmatch(r"(?P<q>.+?)(?:まで|に)(?P<v>高め|引き上げ|増や|向上|削減|低減|減ら)(?:ます|る|す)?", core)
        if m:
            value, unit, approx, cmp = self.quantity(m["q"])
            d2: Direction = "higher" if m["v"] in ("高め", "引き上げ", "増や", "向上") else "lower"
            return TargetReading(w, "level", year=year, value=value, unit=unit, approximate=approx, comparator="以上" if d2 == "higher" else "以下", direction=self.check_direction(d2, core))
        # A level: 300台以上 / 50%程度 / 100%非ガソリン化 / ゼロ / 5ヶ所以上設置
        m = re.fullmatch(r"(?P<q>.+?)(?P<verb>非ガソリン化|ZEV化|設置|指定|達成|整備|開催|認定|導入)?(?:\(新規\))?", core)
        if m and (re.match(r"^(約|概ね|おおむね)?\d", m["q"]) or m["q"] in ("ゼロ", "ゼロに")):
            value, unit, approx, cmp = self.quantity(m["q"])
            wd: Direction | None = {"以上": "higher", "以下": "lower"}.get(cmp)  # type: ignore[assignment]
            if cmp == "以上" and _same_unit(unit, "%") and self.given_direction != "higher":
                raise self.fail(
                    "「N%以上」だけでは、割合がN%以上なのか、N%以上の削減なのかが決まりません（指標の方向が「大きいほどよい」なら割合と読みます）",
                    core, "「N%以上」 alone may be a share or a cut",
                )
            if core.endswith("(新規)"):
                self.notes.append("新規")
            return TargetReading(
                w, "level", year=year, value=value, unit=unit, approximate=approx, comparator=cmp,
                base_fy=None, direction=self.check_direction(wd, core) if wd else self.given_direction,
            )
        raise self.fail("目標値・増減の割合・状態のどれとしても読めません", core, "not a value, a change or a state")

    def change(self, part: str, pct: float, year: int | None, base: int | None, bs: str, *, approx: bool, cmp: str) -> TargetReading:
        if self.unit and "%" in unicodedata.normalize("NFKC", self.unit):
            raise self.fail(
                f"指標の単位が「{self.unit}」のため、「{part}」が指標の値そのもの（削減率など）の目標か、指標の値の増減の割合かが決まりません",
                part, "the indicator is itself a percentage: a level or a change?",
            )
        d: Direction = "lower" if pct < 0 else "higher"
        return TargetReading(
            self.wording, "change", year=year, percent=pct, base_fy=base, base_source=bs, unit="%",
            approximate=approx, comparator=cmp, direction=self.check_direction(d, part),
        )


def read_target(
    wording: str, *, unit: str = "", base_fy: int | None = None, direction: Direction | None = None, name: str = ""
) -> TargetReading:
    """Read a target wording exactly, or raise TargetWordingError saying which part
    cannot be read and why. `unit`, `base_fy`, `direction` and `name` are the
    indicator's: they settle what the wording leaves open (a base year in the
    name 「（2017年度比）」, whether 「25%以上」 is a share)."""
    return _Reader(wording, unit=unit, base_fy=base_fy, direction=direction, name=name).read()


def propose_target(wording: str, *, name: str = "", unit: str = "", direction: Direction | None = None) -> TargetProposal:
    """The stored target a wording states, when it states all of it (used where a
    whole target is needed from the wording alone)."""
    r = read_target(wording, name=name, unit=unit, direction=direction)
    return TargetProposal(r.to_target(), r.direction, r.unit, r.reading)


@dataclass(frozen=True)
class FieldMismatch:
    """A part of the wording that disagrees with an entered field."""

    field: str  # the column's name as the workbook shows it
    key: str  # the field key: target_kind, target_year, target_value, baseline_fy, plan
    wording_value: str
    entered_value: str

    def text(self) -> str:
        return f"{self.field}: 文言では「{self.wording_value}」、入力は「{self.entered_value}」"


def compare_reading(
    r: TargetReading, target: Target, *, baseline_fy: int | None, plan_values: dict[int, float | None] | None = None
) -> list[FieldMismatch]:
    """The fields where the entered target says something else than the wording.
    Only what the wording states is compared: a target year it leaves out is not a mismatch."""
    from envplan.plan.targets import target_value, target_year

    def fmt(v: float | int | None) -> str:
        return "（空欄）" if v is None else f"{v:,g}"

    out: list[FieldMismatch] = []
    entered_kind: str = target.kind
    # 「61.9（20%減）」 and 「…10%以上削減。611→550」 state a level and a change: either kind matches.
    kinds = {r.kind} | ({"change"} if r.kind == "level" and r.percent is not None else set())
    if entered_kind not in kinds:
        out.append(FieldMismatch("目標種別", "target_kind", READING_KIND_LABELS[r.kind], KIND_LABELS.get(entered_kind, entered_kind)))
        return out
    if r.year is not None and target_year(target) != r.year:
        out.append(FieldMismatch("目標年度", "target_year", f"{r.year}年度", fmt(target_year(target)) if target_year(target) is None else f"{target_year(target)}年度"))
    entered = target_value(target)
    stated: float | None
    if entered_kind == "change":
        stated = r.percent
    elif entered_kind == "state":
        stated = r.value if r.value is not None else 100.0
    else:
        stated = r.value
    if entered_kind in ("level", "change", "annual_minimum", "state", "maintain", "period_total") and stated is not None and entered != stated:
        out.append(FieldMismatch("目標値", "target_value", fmt(stated), fmt(entered)))
    entered_upper = target.upper if isinstance(target, MaintainTarget) else None
    if entered_kind == "maintain" and r.upper != entered_upper:
        shown = "（空欄）" if entered_upper is None else f"上限 {entered_upper:g}"
        out.append(FieldMismatch("範囲の上限（目標の補足）", "target_note", "（空欄）" if r.upper is None else f"上限 {r.upper:g}", shown))
    if entered_kind == "period_total" and r.start_fy is not None and getattr(target, "start_fy", None) != r.start_fy:
        out.append(FieldMismatch("期間の最初の年度（目標の補足）", "target_note", f"{r.start_fy}年度から", f"{getattr(target, 'start_fy', None)}年度から"))
    if r.base_fy is not None and r.base_source in ("文言", "指標名") and baseline_fy != r.base_fy:
        out.append(FieldMismatch("基準年度", "baseline_fy", f"{r.base_fy}年度（{r.base_source}）", fmt(baseline_fy) if baseline_fy is None else f"{baseline_fy}年度"))
    for d in r.interim:
        entered_plan = (plan_values or {}).get(d.fy)
        if entered_plan != d.value:
            out.append(FieldMismatch(f"{d.fy}年度の計画値（中間目標）", "plan", fmt(d.value), fmt(entered_plan)))
    return out
