"""Evaluation schemes (評価区分) as data: how a plan turns one indicator's year into a level.

A scheme lists its levels in order; each level has a symbol, a label, a colour
and a rule from a small vocabulary. The first level whose rule holds is the
year's level. Rules are written in Japanese as a city would write them in the
評価区分 sheet and read by `parse_rule`:

    最終目標を達成            the final target is met
    年度目標を達成            the year's target (its plan value) is met
    達成率（年度）90%以上100%未満   achievement rate against the year's plan value within a band
    達成率（最終）70%以上     … against the final target
    進捗率50%以上             progress rate within a band
    前年度より改善（±1%）     better / 変化なし / 悪化 than last year (or 基準値より…), within a tolerance
    実績なし                  no figure yet (data lag or not entered)
    目標なし                  no target to judge against
    状況が「順調」            envplan's own six-level status (the default scheme)
    その他                    anything else (the last level of a usable scheme)

The ready schemes below are the ways real plans judge progress (see
../shared/real_plans/README.md), described by what they do, not by whose they are.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Literal

from envplan.plan.model import Plan

RuleKind = Literal["final_met", "year_met", "band", "trend", "no_figure", "no_target", "status", "otherwise"]
Metric = Literal["rate_year", "rate_final", "progress"]
Trend = Literal["better", "same", "worse"]

METRIC_LABELS: dict[str, str] = {"rate_year": "達成率（年度）", "rate_final": "達成率（最終）", "progress": "進捗率"}
TREND_LABELS: dict[str, str] = {"better": "改善", "same": "変化なし", "worse": "悪化"}


class SchemeError(ValueError):
    """A scheme or a rule that cannot be used, with the reason in Japanese."""


@dataclass(frozen=True)
class Rule:
    kind: RuleKind
    metric: Metric | None = None
    low: float | None = None  # band: low ≤ x (fractions: 0.9 = 90%)
    high: float | None = None  # band: x < high
    trend: Trend | None = None
    against: Literal["previous", "baseline"] = "previous"
    tolerance: float = 0.0  # relative: 0.01 = ±1%
    status: str = ""

    def text(self) -> str:
        """The rule in the words of the sheet (parse_rule reads it back)."""
        if self.kind == "final_met":
            return "最終目標を達成"
        if self.kind == "year_met":
            return "年度目標を達成"
        if self.kind == "band":
            assert self.metric is not None
            lo = f"{_pct(self.low)}%以上" if self.low is not None else ""
            hi = f"{_pct(self.high)}%未満" if self.high is not None else ""
            return f"{METRIC_LABELS[self.metric]}{lo}{hi}"
        if self.kind == "trend":
            assert self.trend is not None
            ref = "前年度" if self.against == "previous" else "基準値"
            word = {"better": "より改善", "same": "から変化なし", "worse": "より悪化"}[self.trend]
            tol = f"（±{_pct(self.tolerance)}%）" if self.tolerance else ""
            return f"{ref}{word}{tol}"
        if self.kind == "no_figure":
            return "実績なし"
        if self.kind == "no_target":
            return "目標なし"
        if self.kind == "status":
            return f"状況が「{self.status}」"
        return "その他"

    def describe(self) -> str:
        """The rule as a sentence for the 判定ルール sheet and the method page."""
        if self.kind == "final_met":
            return "実績が最終目標（目標年度の目標値）に届いている（目標が「程度」などの目安なら設定の許容幅まで）"
        if self.kind == "year_met":
            return "実績がその年度の目標（計画値。なければ直線上の見込み値）に届いている"
        if self.kind == "band":
            assert self.metric is not None
            what = {"rate_year": "その年度の目標に対する達成率", "rate_final": "最終目標に対する達成率", "progress": "進捗率"}[self.metric]
            lo = f"{_pct(self.low)}%以上" if self.low is not None else ""
            hi = f"{_pct(self.high)}%未満" if self.high is not None else ""
            return f"{what}が{lo}{hi}"
        if self.kind == "trend":
            ref = "前年度の実績" if self.against == "previous" else "基準値"
            tol = f"（差が{_pct(self.tolerance)}%以内は変化なし）" if self.tolerance else ""
            word = {"better": "より望ましい向きに変わった", "same": "と変わらない", "worse": "より望ましくない向きに変わった"}[self.trend or "same"]
            return f"{ref}{word}{tol}"
        if self.kind == "no_figure":
            return "その年度の実績がまだない（データの遅れ・未入力）"
        if self.kind == "no_target":
            return "判定に使う目標値がない"
        if self.kind == "status":
            return f"envplan の状況（6区分）が「{self.status}」"
        return "上のどれにも当たらない"


@dataclass(frozen=True)
class Level:
    symbol: str
    label: str
    colour: str  # fill, RRGGBB (light, so black text keeps AA contrast)
    rule: Rule
    score: float | None = None  # 評価点 for the policy rating suggestion (None: left out); see level_scores
    meaning: str = ""  # the level in words when it is not one rule (a two-axis level: both axes' rules)

    def describe(self) -> str:
        return self.meaning or self.rule.describe()


@dataclass(frozen=True)
class Scheme:
    """One axis of levels, first match wins. A two-axis scheme (attainment and progress: 「Ab」) has a
    `second` axis judged separately on the same facts; its levels as shown are the pairs (pair_levels)."""

    key: str
    name: str
    description: str
    levels: tuple[Level, ...]
    second: Scheme | None = None
    axes: tuple[str, str] = ("", "")  # the two axes' names, e.g. 目標の達成・進み具合

    def level(self, symbol: str) -> Level | None:
        return next((lv for lv in pair_levels(self) if lv.symbol == symbol), None)


def pair(scheme: Scheme, a: Level, b: Level) -> Level:
    """The level of a two-axis scheme for the first axis's level a and the second's b: 「A」+「b」 → 「Ab」.
    When the first axis cannot judge (no figure), the second has nothing to add: the level is a alone."""
    if not_evaluable(a):
        return a
    first, second = scheme.axes
    score = a.score if a.score is None or b.score is None else round((a.score + b.score) / 2, 3)
    return Level(
        a.symbol + b.symbol, f"{a.label}・{b.label}", a.colour, a.rule, score,
        meaning=f"{first}: {a.describe()}、{second}: {b.describe()}",
    )


def pair_levels(scheme: Scheme) -> tuple[Level, ...]:
    """The levels a year can get: the scheme's own, or for two axes every pair (first axis in order, then second)."""
    if scheme.second is None:
        return scheme.levels
    out: dict[str, Level] = {}
    for a in scheme.levels:
        for b in scheme.second.levels:
            lv = pair(scheme, a, b)
            out.setdefault(f"{lv.symbol} {lv.label}", lv)
    return tuple(out.values())


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v * 100:g}"


# ---- reading a rule as typed in the sheet ---------------------------------------------------

_SIX = ("達成", "順調", "やや遅れ", "遅れ", "悪化", "評価不能")


def parse_rule(text: str) -> Rule:
    """Read one rule of the 評価区分 sheet; SchemeError says what is wrong."""
    t = unicodedata.normalize("NFKC", str(text or "")).replace(" ", "").replace("\u3000", "")
    t = t.replace("(", "（").replace(")", "）")
    if not t:
        raise SchemeError("判定の条件が空です")
    fixed = {"最終目標を達成": "final_met", "最終目標達成": "final_met", "年度目標を達成": "year_met", "年度目標達成": "year_met",
             "計画値を達成": "year_met", "実績なし": "no_figure", "目標なし": "no_target", "その他": "otherwise"}
    if t in fixed:
        return Rule(kind=fixed[t])  # type: ignore[arg-type]
    m = re.fullmatch(r"状況が[「『]?(?P<s>[^」』]+)[」』]?", t)
    if m:
        if m["s"] not in _SIX:
            raise SchemeError(f"状況「{m['s']}」はありません（{'・'.join(_SIX)}）")
        return Rule(kind="status", status=m["s"])
    m = re.fullmatch(r"(?P<m>達成率（年度）|達成率（最終）|進捗率)(?:(?P<lo>\d+(?:\.\d+)?)%以上)?(?:(?P<hi>\d+(?:\.\d+)?)%未満)?", t)
    if m:
        metric = {"達成率（年度）": "rate_year", "達成率（最終）": "rate_final", "進捗率": "progress"}[m["m"]]
        lo = float(m["lo"]) / 100 if m["lo"] else None
        hi = float(m["hi"]) / 100 if m["hi"] else None
        if lo is None and hi is None:
            raise SchemeError(f"「{text}」に範囲（例: 90%以上100%未満）がありません")
        if lo is not None and hi is not None and lo >= hi:
            raise SchemeError(f"「{text}」の範囲が空です（下限 {m['lo']}% が上限 {m['hi']}% 以上）")
        return Rule(kind="band", metric=metric, low=lo, high=hi)  # type: ignore[arg-type]
    m = re.fullmatch(r"(?P<ref>前年度|基準値)(?:より|から|と比べて)?(?P<w>改善|変化なし|悪化)(?:（±(?P<tol>\d+(?:\.\d+)?)%）)?", t)
    if m:
        trend = {"改善": "better", "変化なし": "same", "悪化": "worse"}[m["w"]]
        tol = float(m["tol"]) / 100 if m["tol"] else 0.0
        return Rule(kind="trend", trend=trend, against="previous" if m["ref"] == "前年度" else "baseline", tolerance=tol)  # type: ignore[arg-type]
    raise SchemeError(
        f"判定の条件「{text}」を読めません（使える書き方: 最終目標を達成、年度目標を達成、達成率（年度）90%以上100%未満、"
        "達成率（最終）70%以上、進捗率50%以上、前年度より改善（±1%）、前年度から変化なし（±1%）、前年度より悪化、基準値より改善、"
        "実績なし、目標なし、状況が「順調」、その他）"
    )


# ---- the schemes shipped --------------------------------------------------------------------

def _lv(symbol: str, label: str, colour: str, rule: str, score: float | None = None) -> Level:
    return Level(symbol, label, colour, parse_rule(rule), score)


DEFAULT_SCHEME = Scheme(
    "six_levels", "envplan の6区分（既定）",
    "目標への直線上の見込みと比べる6区分（達成・順調・やや遅れ・遅れ・悪化・評価不能）。目標種別ごとの規則で判定します。",
    (
        _lv("◎", "達成", "C6EFCE", "状況が「達成」", 1),
        _lv("○", "順調", "DDEBF7", "状況が「順調」", 1),
        _lv("△", "やや遅れ", "FFEB9C", "状況が「やや遅れ」", 0.5),
        _lv("▲", "遅れ", "FCE4D6", "状況が「遅れ」", 0),
        _lv("✕", "悪化", "FFC7CE", "状況が「悪化」", 0),
        _lv("－", "評価不能", "EDEDED", "その他"),
    ),
)

READY_SCHEMES: tuple[Scheme, ...] = (
    DEFAULT_SCHEME,
    Scheme(
        "final_year_trend", "最終目標・年度目標・前年度比（◎○△▲－）",
        "最終目標を達成なら◎、その年度の目標を達成なら○、未達成でも前年度より改善なら△、改善していなければ▲、実績が未確定なら－。",
        (
            _lv("－", "現況値未確定", "EDEDED", "実績なし"),
            _lv("◎", "最終目標を達成", "C6EFCE", "最終目標を達成", 1),
            _lv("○", "年度目標を達成", "DDEBF7", "年度目標を達成", 1),
            _lv("△", "未達成だが前年度より改善", "FFEB9C", "前年度より改善", 0.5),
            _lv("▲", "未達成で改善なし", "FCE4D6", "その他", 0),
        ),
    ),
    Scheme(
        "rate_bands_100_90_80", "達成率の帯（◎100%・○90%・△80%・×）",
        "その年度の目標に対する達成率が100%以上なら◎、90%以上なら○、80%以上なら△、80%未満なら×。実績または目標がなければ－。",
        (
            _lv("－", "評価できない", "EDEDED", "実績なし"),
            _lv("◎", "達成率100%以上", "C6EFCE", "達成率（年度）100%以上", 1),
            _lv("○", "達成率90%以上100%未満", "DDEBF7", "達成率（年度）90%以上100%未満", 1),
            _lv("△", "達成率80%以上90%未満", "FFEB9C", "達成率（年度）80%以上90%未満", 0.5),
            _lv("×", "達成率80%未満", "FFC7CE", "達成率（年度）80%未満", 0),
            _lv("－", "評価できない", "EDEDED", "その他"),
        ),
    ),
    Scheme(
        "year_target_abc_70", "年度目標と達成率70%（A・B・C）",
        "その年度の目標を達成ならA、達成率70%以上ならB、70%未満ならC。実績または目標がなければ－。",
        (
            _lv("－", "評価できない", "EDEDED", "実績なし"),
            _lv("A", "年度目標を達成", "C6EFCE", "年度目標を達成", 1),
            _lv("B", "達成率70%以上", "FFEB9C", "達成率（年度）70%以上", 0.5),
            _lv("C", "達成率70%未満", "FFC7CE", "達成率（年度）70%未満", 0),
            _lv("－", "評価できない", "EDEDED", "その他"),
        ),
    ),
    Scheme(
        "progress_abcd_90_70_50", "進捗率の帯（A 90%・B 70%・C 50%・D）",
        "基準値から目標値までの進捗率が90%以上ならA、70%以上ならB、50%以上ならC、50%未満ならD。",
        (
            _lv("－", "評価できない", "EDEDED", "実績なし"),
            _lv("A", "進捗率90%以上", "C6EFCE", "進捗率90%以上", 1),
            _lv("B", "進捗率70%以上90%未満", "DDEBF7", "進捗率70%以上90%未満", 0.5),
            _lv("C", "進捗率50%以上70%未満", "FFEB9C", "進捗率50%以上70%未満", 0.25),
            _lv("D", "進捗率50%未満", "FFC7CE", "進捗率50%未満", 0),
            _lv("－", "評価できない", "EDEDED", "その他"),
        ),
    ),
    Scheme(
        "target_or_trend", "目標達成または改善（○△×）",
        "目標を達成したか前年度より改善したら○、大きな変化がなければ（±1%以内）△、悪化したら×。実績がなければ―。",
        (
            _lv("―", "評価できない", "EDEDED", "実績なし"),
            _lv("○", "目標達成、又は数値が改善", "C6EFCE", "年度目標を達成", 1),
            _lv("○", "目標達成、又は数値が改善", "C6EFCE", "前年度より改善（±1%）", 1),
            _lv("△", "大きな変化なし", "FFEB9C", "前年度から変化なし（±1%）", 0.5),
            _lv("×", "悪化", "FFC7CE", "前年度より悪化（±1%）", 0),
            _lv("―", "評価できない", "EDEDED", "その他"),
        ),
    ),
    Scheme(
        "met_not_met", "達成・未達成（○×）",
        "最終目標を達成していれば○、していなければ×。実績がなければ－。",
        (
            _lv("－", "評価できない", "EDEDED", "実績なし"),
            _lv("○", "達成", "C6EFCE", "最終目標を達成", 1),
            _lv("×", "未達成", "FFC7CE", "その他", 0),
        ),
    ),
)

TWO_AXES = Scheme(
    "attainment_and_trend", "目標の達成と前年度比の2軸（A・B・C × a・b・c）",
    "2つの軸の記号を並べます（例: Ab）。大文字は目標の達成（最終目標を達成 A、その年度の目標を達成 B、未達成 C）、"
    "小文字は前年度からの変化（改善 a、変化なし（±1%以内）b、悪化 c、比べられない －）。実績がなければ－。",
    (
        _lv("－", "実績なし", "EDEDED", "実績なし"),
        _lv("A", "最終目標を達成", "C6EFCE", "最終目標を達成", 1),
        _lv("B", "年度目標を達成", "DDEBF7", "年度目標を達成", 0.75),
        _lv("C", "目標に未達成", "FFEB9C", "その他", 0),
    ),
    second=Scheme(
        "attainment_and_trend_trend", "前年度からの変化", "",
        (
            _lv("a", "前年度より改善", "FFFFFF", "前年度より改善（±1%）", 1),
            _lv("b", "前年度から変化なし", "FFFFFF", "前年度から変化なし（±1%）", 0.5),
            _lv("c", "前年度より悪化", "FFFFFF", "前年度より悪化（±1%）", 0),
            _lv("－", "前年度と比べられない", "FFFFFF", "その他"),
        ),
    ),
    axes=("目標の達成", "前年度からの変化"),
)
READY_SCHEMES = (*READY_SCHEMES, TWO_AXES)

SCHEMES_BY_KEY: dict[str, Scheme] = {s.key: s for s in READY_SCHEMES}
SCHEMES_BY_NAME: dict[str, Scheme] = {s.name: s for s in READY_SCHEMES}


def check_scheme(scheme: Scheme) -> list[str]:
    """Why a scheme cannot be used (empty when it can): in Japanese, for validate. Each axis of a two-axis
    scheme must be usable by itself (then every pair is one level)."""
    if scheme.second is not None:
        return check_scheme(replace(scheme, second=None)) + [f"{scheme.axes[1]}: {p}" for p in check_scheme(scheme.second)]
    problems: list[str] = []
    if not scheme.levels:
        return ["評価区分がありません"]
    symbols = [lv.symbol.strip() for lv in scheme.levels]
    for s in sorted({s for s in symbols if symbols.count(s) > 1}):
        labels = {lv.label for lv in scheme.levels if lv.symbol.strip() == s}
        if len(labels) > 1:
            problems.append(f"記号「{s}」が違う意味の区分（{'・'.join(sorted(labels))}）に使われています")
    for lv in scheme.levels:
        if not lv.symbol.strip():
            problems.append(f"区分「{lv.label}」に記号がありません（色だけで区別しないため、記号が必要です）")
        if not re.fullmatch(r"[0-9A-Fa-f]{6}", lv.colour):
            problems.append(f"区分「{lv.label}」の色「{lv.colour}」は RRGGBB の16進数ではありません")
    last = scheme.levels[-1].rule
    if last.kind != "otherwise":
        problems.append(
            f"最後の区分「{scheme.levels[-1].label}」の条件が「その他」ではないため、どの区分にも当たらない年度があり得ます"
            "（最後の区分の条件を「その他」にしてください）"
        )
    for i, lv in enumerate(scheme.levels[:-1]):
        if lv.rule.kind == "otherwise":
            problems.append(f"「その他」の区分「{lv.label}」の後の区分（{'・'.join(x.label for x in scheme.levels[i + 1:])}）は選ばれることがありません")
            break
    return problems


# ---- levels as shown: one per symbol and label, with colours that keep text readable ----------

DASHES = frozenset("－―-ー—–")
MIN_CONTRAST = 4.5  # WCAG 2 AA for normal text: badge and cell text on a level's fill


def not_evaluable(level: Level) -> bool:
    """A level that says 'no judgement' (no figure yet, no target, a dash): left out of the rating score."""
    return level.rule.kind in ("no_figure", "no_target") or level.symbol.strip() in DASHES


def level_key(symbol: str, label: str) -> str:
    """「◎ 最終目標を達成」: how a level is named in counts and cells (symbol and words, never colour alone)."""
    return f"{symbol.strip()} {label.strip()}".strip()


def _luminance(colour: str) -> float:
    def chan(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * chan(r) + 0.7152 * chan(g) + 0.0722 * chan(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two RRGGBB colours (1 … 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _mix(colour: str, other: str, t: float) -> str:
    """colour moved the fraction t towards other."""
    parts = [round(int(colour[i:i + 2], 16) * (1 - t) + int(other[i:i + 2], 16) * t) for i in (0, 2, 4)]
    return "".join(f"{p:02X}" for p in parts)


def readable_fill(colour: str) -> str:
    """The fill as given when black text on it reaches 4.5:1; otherwise the same hue lightened just
    enough (a dark fill a city typed would make the level's words unreadable in Excel and on the site)."""
    c = colour.upper()
    for step in range(0, 21):
        candidate = _mix(c, "FFFFFF", step / 20)
        if contrast_ratio(candidate, "000000") >= MIN_CONTRAST:
            return candidate
    return "FFFFFF"


def text_colour(fill: str) -> str:
    """A dark shade of the fill's hue for the level's words: ≥ 4.5:1 on the fill and on white."""
    for k in (0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.0):
        c = _mix(fill, "000000", 1 - k)
        if contrast_ratio(c, fill) >= MIN_CONTRAST and contrast_ratio(c, "FFFFFF") >= MIN_CONTRAST:
            return c
    return "000000"


@dataclass(frozen=True)
class ShownLevel:
    """A level as counted and shown: levels with the same symbol and label (two rules for one ○) are one."""

    key: str  # 「◎ 達成」
    symbol: str
    label: str
    colour: str  # the fill used (readable_fill of the given colour)
    given_colour: str  # as typed in the 評価区分 sheet (or shipped)
    text: str  # text colour on the fill
    meaning: str  # the rules, in words
    evaluable: bool
    score: float | None


def shown_levels(scheme: Scheme) -> list[ShownLevel]:
    """The scheme's levels as shown in counts, legends and charts: one per symbol and label, in the
    scheme's order, the 'no judgement' levels last."""
    groups: dict[str, list[Level]] = {}
    for lv in pair_levels(scheme):
        groups.setdefault(level_key(lv.symbol, lv.label), []).append(lv)
    out = []
    for key, lvs in groups.items():
        first = lvs[0]
        given = first.colour.upper() if re.fullmatch(r"[0-9A-Fa-f]{6}", first.colour or "") else "FFFFFF"
        fill = readable_fill(given)
        evaluable = not all(not_evaluable(lv) for lv in lvs)
        meaning = "、または".join(dict.fromkeys(lv.describe() for lv in lvs))
        score = next((lv.score for lv in lvs if lv.score is not None), None) if evaluable else None
        out.append(ShownLevel(key, first.symbol.strip(), first.label.strip(), fill, given, text_colour(fill), meaning, evaluable, score))
    return [s for s in out if s.evaluable] + [s for s in out if not s.evaluable]


def colour_problems(scheme: Scheme) -> list[tuple[str, str]]:
    """(level key, why) for each colour changed to keep the words readable, in Japanese (validate warns with them)."""
    out = []
    for s in shown_levels(scheme):
        if s.colour != s.given_colour:
            out.append((s.key,
                f"区分「{s.key}」の色 {s.given_colour} は黒い文字との対比が {contrast_ratio(s.given_colour, '000000'):.1f}:1 で、"
                f"文字を読みやすくする基準（{MIN_CONTRAST}:1）に届かないため、同じ色味を明るくした {s.colour}（{contrast_ratio(s.colour, '000000'):.1f}:1）で表示します"
            ))
    return out


def score_text(scheme: Scheme) -> str:
    """The 評価点 of each level, in words (the rating suggestion's explanation)."""
    shown = shown_levels(scheme)
    scored = "、".join(f"{s.key} {s.score:g}" for s in shown if s.score is not None)
    left = "・".join(s.key for s in shown if s.score is None)
    return scored + (f"（{left} は除外）" if left else "")


def _derived_scores(levels: list[Level]) -> list[Level]:
    """A plan's own levels get 評価点 by their order: the first evaluable level 1, the last 0, evenly between."""
    keys = list(dict.fromkeys(level_key(lv.symbol, lv.label) for lv in levels if not not_evaluable(lv)))
    n = len(keys)
    score = {k: (1.0 if n == 1 else round(1 - i / (n - 1), 2)) for i, k in enumerate(keys)}
    return [Level(lv.symbol, lv.label, lv.colour, lv.rule, None if not_evaluable(lv) else score[level_key(lv.symbol, lv.label)]) for lv in levels]


CUSTOM_SCHEME = "評価区分シート"  # the setting's value that uses the levels typed in the 評価区分 sheet


@dataclass(frozen=True)
class LevelRow:
    """One row of the 評価区分 sheet as typed (kept as text so the sheet round-trips exactly)."""

    symbol: str
    label: str
    colour: str
    rule: str


def scheme_from_rows(rows: list[LevelRow] | tuple[LevelRow, ...]) -> Scheme:
    """The plan's own scheme from the 評価区分 sheet; SchemeError names the row."""
    if not rows:
        raise SchemeError(f"設定の評価区分が「{CUSTOM_SCHEME}」ですが、評価区分シートに区分がありません")
    levels = []
    for i, r in enumerate(rows, start=1):
        try:
            rule = parse_rule(r.rule)
        except SchemeError as e:
            raise SchemeError(f"評価区分シートの{i}番目の区分「{r.symbol} {r.label}」: {e}") from e
        levels.append(Level(r.symbol.strip(), r.label.strip(), (r.colour or "FFFFFF").strip().lstrip("#").upper(), rule))
    return Scheme("custom", "評価区分シートの区分", "評価区分シートに入力した区分と条件（上から順に、最初に当たった区分）。", tuple(_derived_scores(levels)))


def resolve_scheme(setting: str, rows: list[LevelRow] | tuple[LevelRow, ...] = ()) -> Scheme:
    """The scheme the 設定 sheet names: a ready scheme by its name (or key), or 評価区分シート."""
    name = (setting or "").strip()
    if not name:
        return DEFAULT_SCHEME
    if name == CUSTOM_SCHEME:
        return scheme_from_rows(rows)
    found = SCHEMES_BY_NAME.get(name) or SCHEMES_BY_KEY.get(name)
    if found is None:
        choices = "、".join(f"「{x.name}」" for x in READY_SCHEMES)
        raise SchemeError(f"評価区分「{name}」はありません。{choices}、または「{CUSTOM_SCHEME}」を入力してください")
    return found


def scheme_rows(scheme: Scheme) -> list[LevelRow]:
    """The rows the 評価区分 sheet shows for a scheme; a two-axis scheme's rows are both axes', each label
    prefixed with its axis (the sheet itself defines one axis: a plan's own two-axis scheme is not read from it)."""
    if scheme.second is None:
        return [LevelRow(lv.symbol, lv.label, lv.colour, lv.rule.text()) for lv in scheme.levels]
    return [
        LevelRow(lv.symbol, f"{axis}: {lv.label}", lv.colour, lv.rule.text())
        for axis, axis_levels in zip(scheme.axes, (scheme.levels, scheme.second.levels))
        for lv in axis_levels
    ]


def plan_scheme(plan: Plan) -> Scheme:
    """The scheme the plan chose (raises SchemeError when it cannot be used: validate explains it)."""
    rows = [LevelRow(lv.symbol, lv.label, lv.colour, lv.rule) for lv in plan.evaluation_levels]
    return resolve_scheme(plan.settings.evaluation_scheme, rows)
