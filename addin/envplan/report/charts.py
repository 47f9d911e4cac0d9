"""SVG charts drawn at build time: an indicator's actuals against the straight
path to its target, and the related plans' periods.

Each chart is named by its <title> (aria-labelledby); its description is the
figure's caption on the page, not also a <desc>, so that a screen reader does not
read it twice. In print the chart is an <img> of the same SVG whose alternate text
is the title and the description: the tagged PDF's Figure carries both as /Alt. The figures are also given as a data table on the page. Series differ
by line style and marker shape as well as colour, so colour is never the only
cue. Every text is XML-escaped.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from envplan.report.formatting import era_short, num

FONT = "'BIZ UDPGothic', 'Noto Sans CJK JP', 'Noto Sans JP', 'Hiragino Sans', 'Yu Gothic', Meiryo, 'DejaVu Sans', sans-serif"
INK = "#1a1a1a"
MUTED = "#595959"  # 7:1 on white
GRID = "#d9d9d9"
ACTUAL = "#1b4f9c"
PLAN = "#a34a00"
PATH = "#5c5c5c"
TARGET = "#b0182f"
CURRENT = "#fff1c2"
OLD_TARGET = "#b0182f"  # a replaced target: the target's colour, a dash of its own
OLD_DASH = "2 3"
MARKER_R = 6.0  # the markers' reach around their point, for keeping labels off them


@dataclass
class Chart:
    svg: Markup
    title: str
    summary: str  # the text alternative, also shown under the chart

    def image(self, font_family: str) -> Markup:
        """The chart as an <img> of its SVG (a data: URL; works from file://), drawn in `font_family`
        (page CSS does not reach into an image), with the title and the description as its alt text.

        For the printed report: the tagged PDF's Figure then holds the description as /Alt, and the
        browser prints one image, not a thousand SVG elements each visited for the PDF's tagging."""
        root = _ROOT.match(str(self.svg))
        if root is None:  # our own markup (_open): a chart always starts so
            raise ValueError("not a chart drawn by charts.py")
        css_class, width, height = root.group("css_class", "width", "height")
        svg = _FONT_ATTRIBUTE.sub(f'font-family="{escape(font_family)}"', str(self.svg), count=1)
        src = "data:image/svg+xml;charset=utf-8," + svg.translate(_URL_ESCAPES)
        alt = f"{self.title}。{self.summary}" if self.summary else self.title
        return Markup(f'<img class="{css_class}" width="{width}" height="{height}" alt="{escape(alt)}" src="{escape(src)}">')


# The root <svg> as _open writes it, and its font (the first font-family attribute of a chart).
_ROOT = re.compile(r'<svg xmlns="http://www.w3.org/2000/svg" class="(?P<css_class>[^"]*)" viewBox="[^"]*" width="(?P<width>[\d.]+)" height="(?P<height>[\d.]+)"')
_FONT_ATTRIBUTE = re.compile(r'font-family="[^"]*"')
# What a data: URL cannot hold as it is ('#' would start a fragment); other characters, Japanese
# too, stay as they are, so that the page's text is still checked against the PDF's fonts.
_URL_ESCAPES = str.maketrans({"%": "%25", "#": "%23", "<": "%3C", ">": "%3E", '"': "%22", "\n": "%0A", "\r": "%0D", "\t": "%09"})


@dataclass
class IndicatorChartData:
    uid: str  # unique on the page, for element ids
    title: str
    unit: str
    first_fy: int
    last_fy: int
    actual: dict[int, float] = field(default_factory=dict)
    plan: dict[int, float] = field(default_factory=dict)
    path: list[tuple[int, float]] = field(default_factory=list)  # straight path, baseline → target
    target_point: tuple[int, float] | None = None
    target_line: float | None = None  # a level to stay on the right side of every year
    target_label: str = ""
    current_fy: int | None = None
    illustrative: bool = False
    summary: str = ""
    digits: int | None = None  # the indicator's displayed precision, for the target label
    # A target replaced by a revision (見直し) is drawn for the years it applied, the current one from
    # `target_from_fy` on: the chart then shows what the table's 見込み値 and judgements were based on.
    old_targets: list[OldTarget] = field(default_factory=list)
    target_from_fy: int | None = None
    baseline: tuple[int, float] | None = None  # the baseline when it is not one of the actuals (基準値 typed apart)


@dataclass
class OldTarget:
    """A replaced target over the years it applied (first_fy..last_fy): a path or a level."""

    label: str
    first_fy: int
    last_fy: int
    path: list[tuple[int, float]] = field(default_factory=list)  # straight path, its start → its target
    level: float | None = None


def text_width(text: str, size: float) -> float:
    """Rough width of a label: CJK characters are square, Latin ones narrower."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.6 for ch in text)


def number_width(text: str, size: float) -> float:
    """Width of a label with figures, as the PDF's font draws them: its digits are wider than
    `text_width` says (0.6 em), so a margin from this one never clips 「10,000」."""
    return sum(size * 0.66 if ch.isdigit() else size * 0.35 if ch in ",." else text_width(ch, size) for ch in text)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _t(x: float, y: float, text: str, *, size: float = 12, anchor: str = "start", fill: str = INK, weight: str = "normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
        f'font-weight="{weight}">{escape(text)}</text>'
    )


def _marker(shape: str, x: float, y: float, colour: str, *, hollow: bool = False, r: float = 4.5) -> str:
    fill = "#ffffff" if hollow else colour
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{fill}" stroke="{colour}" stroke-width="2"/>'
    if shape == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" fill="{fill}" stroke="{colour}" stroke-width="2"/>'
    # diamond
    r += 1.5
    return f'<path d="M{x:.1f} {y - r:.1f} L{x + r:.1f} {y:.1f} L{x:.1f} {y + r:.1f} L{x - r:.1f} {y:.1f} Z" fill="{fill}" stroke="{colour}" stroke-width="2"/>'


def _open(uid: str, width: int, height: float, title: str, css_class: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{uid}-title" '
        f'font-family="{escape(FONT)}">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def indicator_chart(d: IndicatorChartData, *, width: int = 720, height: int = 330, font: float = 12.5) -> Chart | None:
    """Line chart; None when there is no figure at all to draw. The print
    layout asks for a narrower chart with relatively larger type."""
    values = list(d.actual.values()) + list(d.plan.values()) + [v for _, v in d.path]
    if d.target_point:
        values.append(d.target_point[1])
    if d.target_line is not None:
        values.append(d.target_line)
    for old in d.old_targets:
        values += [v for _, v in _clip(old.path, old.first_fy, old.last_fy)] + ([old.level] if old.level is not None else [])
    if d.baseline:
        values.append(d.baseline[1])
    if not d.actual and not d.plan:
        return None
    revised = bool(d.old_targets)
    # Legend entries: line style + marker + words, wrapped onto as many rows as needed.
    legend: list[tuple[str, str, str, str, bool]] = []  # (label, colour, dash, marker, hollow)
    if d.actual:
        legend.append(("実績値（例示）" if d.illustrative else "実績値", ACTUAL, "", "circle", d.illustrative))
    if d.plan:
        legend.append(("計画値", PLAN, "7 4", "square", False))
    if d.baseline:
        legend.append((f"基準値（{d.baseline[0]}年度）", INK, "", "square-hollow", False))
    for old in d.old_targets:
        legend.append((old.label, OLD_TARGET, OLD_DASH, "", False))
    if d.path:
        legend.append(("目標への道筋（改定後）" if revised else "目標への道筋（直線）", PATH, "3 4", "", False))
    if d.target_point or d.target_line is not None:
        label = d.target_label or "目標"
        if revised and d.target_line is not None:
            label = f"目標（改定後: {num(d.target_line, d.unit, d.digits)}）"
        elif revised and d.target_point:
            label = f"目標（改定後: {d.target_point[0]}年度）"
        legend.append((label, TARGET, "9 4" if d.target_line is not None else "", "" if d.target_line is not None else "diamond", False))
    lo, hi = min(values), max(values)
    if lo >= 0 and lo <= hi * 0.5:
        lo = 0.0
    span = hi - lo or (abs(hi) or 1.0)
    ticks = nice_ticks(lo - (span * 0.05 if lo else 0), hi + span * 0.08)
    y0, y1 = ticks[0], ticks[-1]
    if not y1 > y0:  # values too close to tell apart in floats (1e-254 beside 0): one flat band
        ticks = nice_ticks(y0, y0 + 1.0) if math.isfinite(y0) else [0.0, 1.0]
        y0, y1 = ticks[0], ticks[-1]
    # The left margin holds the widest tick label (the top tick is often wider than any value: 「10,000」).
    label_w = max(number_width(num(t), font) for t in ticks)
    left, right, bottom = int(max(56, label_w + 16)), int(max(22, number_width(str(d.last_fy), font) / 2 + 6)), int(font * 3.6)  # the last year's label is centred on the right edge
    rows: list[list[tuple[float, tuple[str, str, str, str, bool]]]] = [[]]
    x = float(left)
    for item in legend:
        w = 34 + text_width(item[0], font) + 18
        if rows[-1] and x + w > width - right:
            rows.append([])
            x = float(left)
        rows[-1].append((x, item))
        x += w
    line_h = font * 1.7
    top = int(line_h * len(rows) + font * 2.6)
    first, last = d.first_fy, d.last_fy
    n = max(1, last - first)
    plot_w, plot_h = width - left - right, height - top - bottom

    def X(fy: int) -> float:
        return left + plot_w * (fy - first) / n

    def Y(v: float) -> float:
        return top + plot_h * (1 - (v - y0) / (y1 - y0))

    out = _open(d.uid, width, height, d.title, "chart chart-indicator")
    for k, row in enumerate(rows):
        ly = font * 1.2 + k * line_h
        for lx, (label, colour, dash, marker, hollow) in row:
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            if marker == "diamond":
                out.append(_marker("diamond", lx + 14, ly, colour))
            elif marker == "square-hollow":
                out.append(_marker("square", lx + 14, ly, colour, hollow=True))
            else:
                out.append(f'<line x1="{lx:.1f}" y1="{ly:.1f}" x2="{lx + 28:.1f}" y2="{ly:.1f}" stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
                if marker:
                    out.append(_marker(marker, lx + 14, ly, colour, hollow=hollow))
            out.append(_t(lx + 34, ly + font * 0.35, label, size=font))
    if d.unit:
        out.append(_t(8, top - font * 0.9, f"（単位: {d.unit}）", size=font * 0.92, anchor="start", fill=MUTED))
    # This year's band.
    if d.current_fy is not None and first <= d.current_fy <= last:
        cx = X(d.current_fy)
        half = plot_w / n / 2 if n else 12
        out.append(f'<rect x="{cx - half:.1f}" y="{top}" width="{2 * half:.1f}" height="{plot_h}" fill="{CURRENT}"/>')
    # Grid and y labels.
    for t in ticks:
        y = Y(t)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        out.append(_t(left - 8, y + font * 0.35, num(t), size=font, anchor="end", fill=MUTED))
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{MUTED}" stroke-width="1.2"/>')
    # x labels: western year and era year, thinned when crowded.
    per_label = text_width("20000", font) + 6
    every = next((k for k in (1, 2, 5, 10) if plot_w / n * k >= per_label), 20)
    for fy in range(first, last + 1):
        if (fy - first) % every:
            continue
        x = X(fy)
        out.append(f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" y2="{top + plot_h + 5}" stroke="{MUTED}"/>')
        out.append(_t(x, top + plot_h + font * 1.6, str(fy), size=font, anchor="middle", fill=INK))
        out.append(_t(x, top + plot_h + font * 2.95, era_short(fy), size=font * 0.88, anchor="middle", fill=MUTED))
    def XB(fy: float) -> float:  # a year's edge, clamped to the plot: a level applies from half a year before
        return min(max(left + plot_w * (fy - first) / n, left), width - right)

    # Replaced targets, each over the years it applied.
    target_lines: list[list[tuple[float, float]]] = []
    for old in d.old_targets:
        if old.level is not None:
            y = Y(old.level)
            seg = [(XB(old.first_fy - 0.5), y), (XB(old.last_fy + 0.5), y)]
        else:
            seg = [(X(fy), Y(v)) for fy, v in _clip(old.path, old.first_fy, old.last_fy)]
        if len(seg) >= 2:
            target_lines.append(seg)
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            out.append(f'<polyline class="target-old" points="{pts}" fill="none" stroke="{OLD_TARGET}" stroke-width="2" stroke-dasharray="{OLD_DASH}"/>')
    # Target.
    if d.target_line is not None:
        y = Y(d.target_line)
        x_from = XB(d.target_from_fy - 0.5) if d.target_from_fy is not None else left
        target_lines.append([(x_from, y), (width - right, y)])
        out.append(f'<line x1="{x_from:.1f}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{TARGET}" stroke-width="2" stroke-dasharray="9 4"/>')
    # Path to target (for a revised target, from the first year it applied).
    path = _clip(d.path, d.target_from_fy, None) if d.target_from_fy is not None else d.path
    if len(path) >= 2:
        target_lines.append([(X(fy), Y(v)) for fy, v in path])
        pts = " ".join(f"{X(fy):.1f},{Y(v):.1f}" for fy, v in path)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{PATH}" stroke-width="2" stroke-dasharray="3 4"/>')
    if d.baseline:
        out.append(_marker("square", X(d.baseline[0]), Y(d.baseline[1]), INK, hollow=True))
    for series, colour, dash, marker, hollow in (
        (d.plan, PLAN, "7 4", "square", False),
        (d.actual, ACTUAL, "", "circle", d.illustrative),
    ):
        if not series:
            continue
        years = sorted(series)
        # Break the line where a year has no figure, rather than bridging it.
        run: list[str] = []
        prev: int | None = None
        for fy in years:
            if prev is not None and fy != prev + 1 and len(run) > 1:
                out.append(_polyline(run, colour, dash))
                run = []
            elif prev is not None and fy != prev + 1:
                run = []
            run.append(f"{X(fy):.1f},{Y(series[fy]):.1f}")
            prev = fy
        if len(run) > 1:
            out.append(_polyline(run, colour, dash))
        for fy in years:
            out.append(_marker(marker, X(fy), Y(series[fy]), colour, hollow=hollow))
    if d.target_point:
        fy, v = d.target_point
        x, y = X(fy), Y(v)
        out.append(_marker("diamond", x, y, TARGET))
        label = f"目標 {num(v, d.unit, d.digits)}"
        anchor = "end" if x > width - right - text_width(label, font) - 10 else "start"
        dx = -10.0 if anchor == "end" else 10.0
        # Nearest place around the marker that keeps clear of every line and marker (else the clearest one):
        # nearer rows first, then farther ones, so that a label never sits across a line when there is room.
        lines = [[(X(fy2), Y(v2)) for fy2, v2 in sorted(ser.items())] for ser in (d.actual, d.plan) if ser] + target_lines
        w = number_width(label, font)
        best: tuple[float, float, str, float] | None = None
        candidates = [
            (ty, anchor, dx)
            for ty in (y - font * 0.8, y + font * 1.6, y - font * 2.0, y + font * 2.8, y - font * 3.2, y + font * 4.0, y - font * 4.4, y + font * 5.2)
            for anchor, dx in (("end", -10.0), ("start", 10.0), ("middle", 0.0))
        ]
        for ty, anchor, dx in candidates:
            x0 = x + dx - (w if anchor == "end" else w / 2 if anchor == "middle" else 0)
            x1 = x0 + w
            if x0 < left or x1 > width - right or ty - font < top or ty + font * 0.3 > top + plot_h:
                continue
            clear = _clearance(lines, x0, x1, ty - font, ty + font * 0.3)
            if best is None or clear > best[0]:
                best = (clear, ty, anchor, dx)
            if clear >= font * 0.6:
                break
        if best is not None:
            _, ty, anchor, dx = best
        else:
            ty = y - font * 0.8
        out.append(_t(x + dx, ty, label, size=font, anchor=anchor, fill=TARGET, weight="bold"))
    out.append("</svg>")
    return Chart(Markup("".join(out)), d.title, d.summary)


def _clip(path: list[tuple[int, float]], first: int | None, last: int | None) -> list[tuple[int, float]]:
    """The part of a straight path (two or more points) between two fiscal years, ends interpolated."""
    if len(path) < 2:
        return []
    (ax, ay), (bx, by) = path[0], path[-1]
    lo = ax if first is None else max(ax, first)
    hi = bx if last is None else min(bx, last)
    if hi <= lo or bx == ax:
        return []

    def at(fy: int) -> float:
        return ay + (by - ay) * (fy - ax) / (bx - ax)

    return [(lo, at(lo)), (hi, at(hi))]


def _clearance(lines: list[list[tuple[float, float]]], x0: float, x1: float, y0: float, y1: float) -> float:
    """Smallest vertical gap between the box (x0..x1, y0..y1) and the lines, 0 when they cross it."""
    gap = 1e9
    for pts in lines:
        for (ax, ay), (bx, by) in zip(pts, pts[1:]):
            lo, hi = max(x0, min(ax, bx)), min(x1, max(ax, bx))
            if lo > hi:
                continue
            for px in (lo, hi, (lo + hi) / 2, lo + (hi - lo) / 4, lo + 3 * (hi - lo) / 4):
                py = ay if bx == ax else ay + (by - ay) * (px - ax) / (bx - ax)
                gap = min(gap, 0.0 if y0 <= py <= y1 else min(abs(py - y0), abs(py - y1)))
        for px, py in pts:  # the markers: a little wider than the line
            if x0 - MARKER_R <= px <= x1 + MARKER_R:
                gap = min(gap, 0.0 if y0 - MARKER_R <= py <= y1 + MARKER_R else min(abs(py - y0), abs(py - y1)) - MARKER_R)
    return max(gap, 0.0)


def _polyline(points: list[str], colour: str, dash: str) -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr}/>'


@dataclass
class PeriodRow:
    label: str
    start: int | None
    end: int | None
    kind: str = "related"  # related | milestone | this
    note: str = ""


def period_chart(uid: str, title: str, rows: list[PeriodRow], current_fy: int | None, summary: str, *, font: float = 12.5, cell_px: float = 40, min_width: int = 720) -> Chart:
    """Horizontal bars by fiscal year; an open end runs to the chart's edge
    with an arrow, an unknown period is said in words."""
    years = [y for r in rows for y in (r.start, r.end) if y is not None]
    if current_fy is not None:
        years.append(current_fy)
    first, last = (min(years), max(years)) if years else (2000, 2010)
    last += 1  # room for open ends
    label_w = min(font * 28, max(font * 12, max((text_width(r.label, font) for r in rows), default=100) + 24))
    width = max(int(label_w + cell_px * (last - first + 1) + 30), min_width)
    row_h, top, bottom = font * 2.4, font * 3.6, 16
    height = top + row_h * len(rows) + bottom
    plot_l, plot_r = label_w, width - 20
    cell = (plot_r - plot_l) / (last - first + 1)

    def X(fy: int) -> float:
        return plot_l + cell * (fy - first)

    out = _open(uid, width, height, title, "chart chart-periods")
    # Thinned so that neither the years nor the era years under them run into each other.
    year_label_w = max(max(text_width(str(fy), font * 0.92), text_width(era_short(fy), font * 0.92)) for fy in range(first, last + 1))
    every = next((k for k in (1, 2, 5, 10) if cell * k >= year_label_w + 6), 20)
    for fy in range(first, last + 1):
        x = X(fy)
        if current_fy == fy:
            out.append(f'<rect x="{x:.1f}" y="{top - 6:.1f}" width="{cell:.1f}" height="{row_h * len(rows) + 6:.1f}" fill="{CURRENT}"/>')
        out.append(f'<line x1="{x:.1f}" y1="{top - 6:.1f}" x2="{x:.1f}" y2="{top + row_h * len(rows):.1f}" stroke="{GRID}"/>')
        if (fy - first) % every == 0:
            out.append(_t(x + cell / 2, font * 1.45, str(fy), size=font * 0.92, anchor="middle"))
            out.append(_t(x + cell / 2, font * 2.65, era_short(fy), size=font * 0.92, anchor="middle", fill=MUTED))
    bar_h = row_h * 0.58
    for i, r in enumerate(rows):
        y = top + i * row_h
        mid = y + row_h / 2
        weight = "bold" if r.kind == "this" else "normal"
        out.append(_t(8, mid + font * 0.35, r.label, size=font, weight=weight))
        if r.kind == "milestone" and r.start is not None:
            x = X(r.start) + cell / 2
            out.append(_marker("diamond", x, mid, TARGET))
            out.append(_t(x + 12, mid + font * 0.35, f"{r.start}年度", size=font * 0.92, fill=INK))
            continue
        if r.start is None and r.end is None:
            out.append(_t(plot_l + 6, mid + font * 0.35, "期間の記載なし", size=font * 0.92, fill=MUTED))
            continue
        start = r.start if r.start is not None else first
        end = r.end if r.end is not None else last
        x0, x1 = X(start) + 2, X(end) + cell - 2
        colour = ACTUAL if r.kind == "this" else "#4d7cc7"
        out.append(f'<rect x="{x0:.1f}" y="{mid - bar_h / 2:.1f}" width="{max(4, x1 - x0):.1f}" height="{bar_h:.1f}" rx="3" fill="{colour}"/>')
        if r.end is None:
            # An open end: an arrow head past the last column.
            out.append(f'<path d="M{x1:.1f} {mid - bar_h * 0.75:.1f} L{x1 + 12:.1f} {mid:.1f} L{x1:.1f} {mid + bar_h * 0.75:.1f} Z" fill="{colour}"/>')
    out.append("</svg>")
    return Chart(Markup("".join(out)), title, summary)
