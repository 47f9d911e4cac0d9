"""Proposing a structured target from its Japanese wording.

The proposal is a help for whoever types a plan in, not an oracle: it returns
the target, the direction the wording implies (if any), the unit and what it
read, or raises `TargetWordingError` saying what it could not read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from envplan.plan.numbers import read_number
from envplan.plan.targets import (
    AnnualMinimumTarget,
    ChangeTarget,
    ContinueTarget,
    Direction,
    ImproveTarget,
    IncreaseTarget,
    LevelTarget,
    PlanValuesTarget,
    StateTarget,
    YearOverYearTarget,
    _Target,
)
from envplan.plan.years import YearError, parse_fy


class TargetWordingError(ValueError):
    def __init__(self, wording: str, reason: str) -> None:
        super().__init__(f"目標の文言「{wording}」を解釈できません: {reason}")
        self.wording = wording
        self.reason = reason


@dataclass(frozen=True)
class TargetProposal:
    target: _Target
    direction: Direction | None  # None: the wording does not say
    unit: str
    reading: str  # what was recognised, in Japanese


_YEAR = r"(?P<year>(?:平成|令和|昭和|[HRS])\s*(?:\d{1,3}|元)年度?|\d{4}年度?)"
_BY = rf"^{_YEAR}(?:まで|末まで)に"
_NUMBER = r"(?P<num>[0-9０-９][0-9０-９,，.．]*)"

# Words whose amount is better smaller when the wording alone does not say.
_LOWER_IS_BETTER = ("CO2", "CO₂", "排出", "ごみ", "廃棄", "撤去", "放置", "騒音", "事故")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().replace("　", "").replace(" ", "")


def _direction_from_words(*texts: str) -> Direction | None:
    joined = "".join(texts)
    if any(w in joined for w in ("以上", "増", "向上", "拡大")):
        return "higher"
    if any(w in joined for w in ("以下", "減", "削減", "抑制")):
        return "lower"
    if any(w in joined for w in _LOWER_IS_BETTER):
        return "lower"
    return None


def propose_target(wording: str, *, name: str = "") -> TargetProposal:
    """Read a target wording such as 「平成32年度までに1,324千t-CO2」.
    `name` (the indicator's name) helps only to guess a direction."""
    raw = wording
    text = _norm(wording)
    if not text:
        raise TargetWordingError(raw, "文言が空です")

    if re.fullmatch(r"(各年度の)?計画値(による|のとおり|どおり)?", text):
        return TargetProposal(PlanValuesTarget(), None, "", "年度ごとの計画値")

    if text in ("継続して実施", "継続実施", "継続して開催", "毎年実施"):
        return TargetProposal(ContinueTarget(), "higher", "", "毎年の継続実施")

    m = re.fullmatch(r"前年(?:度)?比(?P<dir>減|増)を?毎年(?:継続)?", text)
    if m:
        d: Direction = "lower" if m["dir"] == "減" else "higher"
        return TargetProposal(YearOverYearTarget(), d, "", f"前年比{m['dir']}を毎年")

    m = re.fullmatch(r"年(?:間)?(?P<num>\d+)(?P<unit>回|件|校|人)以上(?P<what>.*)", text)
    if m:
        return TargetProposal(
            AnnualMinimumTarget(value=float(m["num"])), "higher", m["unit"], f"毎年{m['num']}{m['unit']}以上{m['what']}"
        )

    m = re.fullmatch(r"(?P<scope>.*?)(?:で)?(?P<state>環境基準(?:の)?達成)を(?:毎年)?維持", text)
    if m:
        return TargetProposal(StateTarget(scope=m["scope"]), "higher", "%", f"{m['state']}の維持")

    m = re.fullmatch(r"(?P<subject>.+?)の向上", text)
    if m:
        return TargetProposal(ImproveTarget(subject=m["subject"]), "higher", "", f"{m['subject']}の向上")

    m = re.match(_BY, text)
    if not m:
        raise TargetWordingError(raw, "「○年度までに…」「年○回以上」「…を維持」などの形ではありません")
    try:
        year = parse_fy(m["year"])
    except YearError as e:
        raise TargetWordingError(raw, e.reason) from e
    rest = text[m.end():]
    return _by_year(raw, year, rest, name)


def _by_year(raw: str, year: int, rest: str, name: str) -> TargetProposal:
    m = re.fullmatch(r"基準年(?:度)?比(?P<num>[\d.]+)(?:%|％|パーセント)(?P<dir>減|増|削減)", rest)
    if m:
        pct = float(m["num"]) * (1 if m["dir"] == "増" else -1)
        d: Direction = "higher" if pct > 0 else "lower"
        return TargetProposal(ChangeTarget(year=year, percent=pct), d, "%", f"基準年比{m['num']}%{m['dir']}")

    m = re.fullmatch(r"(?P<scope>.*?)で?(?P<state>環境基準(?:の)?達成)", rest)
    if m:
        return TargetProposal(StateTarget(year=year, scope=m["scope"]), "higher", "%", f"{m['scope']}{m['state']}")

    m = re.fullmatch(r"(?P<what>.+?)の(?P<dir>増|増加|拡大)", rest)
    if m:
        return TargetProposal(IncreaseTarget(year=year), "higher", "", f"{m['what']}の増加")

    m = re.fullmatch(r"(?P<what>.+?)の向上", rest)
    if m:
        return TargetProposal(ImproveTarget(year=year, subject=m["what"]), "higher", "", f"{m['what']}の向上")

    m = re.fullmatch(_NUMBER + r"(?P<unit>.*?)(?P<cmp>以上|以下|未満)?(?P<verb>設置|指定|達成|整備|開催|認定)?(?P<extra>\(.*\))?", rest)
    if m:
        reading = read_number(m["num"])
        if reading.value is None:
            raise TargetWordingError(raw, f"目標値「{m['num']}」を数値として読めません")
        unit = m["unit"]
        direction = _direction_from_words(m["cmp"] or "") or _direction_from_words(unit, name)
        note = f"（{m['extra'][1:-1]}）" if m["extra"] else ""
        return TargetProposal(
            LevelTarget(year=year, value=reading.value),
            direction,
            unit,
            f"{reading.value:g}{unit}{m['cmp'] or ''}{m['verb'] or ''}{note}",
        )
    raise TargetWordingError(raw, f"「{rest}」の部分を目標値として読めません")
