"""A test oracle: the series-level progress measure written the way sdg-build
(`sdg/ProgressMeasure.py`, `SeriesProgress`) computes it — a pandas DataFrame of
Year/Value, numpy arithmetic, the same order of steps — so the property tests
compare `envplan.rules.opensdg` against an independent, structurally faithful version.
sdg-build itself is not on PyPI, hence this port instead of an import.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def reference_status(values: dict[int, float | None], direction: str, base_year: int, target_year: int, target=None, limit=None) -> str:
    data = pd.DataFrame({"Year": list(values), "Value": list(values.values())})
    data = data[data["Value"].notna()]
    data["Value"] = data["Value"].astype("float")
    if data.shape[0] < 1:
        return "not_available"
    if target == 0:
        target = 0.001
    d = 1 if direction == "positive" else -1
    method = 1 if target is None else 2
    years = data["Year"]
    current_year = years.max()
    current_value = data.Value[data.Year == current_year].item()
    if base_year not in years.values:
        later = years[years > base_year]
        if later.empty:  # sdg-build raises here; envplan reports not_available
            return "not_available"
        base_year = later.min()
    base_value = data.Value[data.Year == base_year].item()
    sign = -1 if base_value < 0 else 1

    if method == 1:
        thresholds = {"high": 0.015, "med": 0.005, "low": 0}
        if limit is not None:
            b, lim = abs(base_value), abs(limit)
            if b >= 2 * lim:
                coeff = 1
            elif b <= lim:
                coeff = 1 - (b / lim) ** 4.44
            else:
                coeff = 1 - ((2 * lim - b) / lim) ** 4.44
            thresholds = {k: v * coeff for k, v in thresholds.items()}
    else:
        thresholds = {"high": 0.95, "med": 0.6, "low": 0}

    achieved = target is not None and ((d == -1 and current_value <= target) or (d == 1 and current_value >= target))

    def cagr(v1, v2, t1, t2):
        return ((np.float64(v1) / np.float64(v2)) ** (1 / (t1 - t2))) - 1

    value = None
    if base_value == 0:
        base_value = 0.001
    if (base_value > 0 and current_value < 0) or (base_value < 0 and current_value > 0):
        value = None
    elif base_year > current_year or current_year - base_year < 1:
        value = None
    elif method == 1:
        value = sign * d * cagr(current_value, base_value, current_year, base_year)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            observed = cagr(current_value, base_value, current_year, base_year)
            required = cagr(target, base_value, target_year, base_year)
            value = sign * d * observed / np.abs(required)

    if achieved:
        return "target_achieved"
    if value is not None and not np.isnan(value):
        if value >= thresholds["high"]:
            return "substantial_progress"
        if value >= thresholds["med"]:
            return "moderate_progress"
        if value >= thresholds["low"]:
            return "limited_progress"
        return "deterioration"
    return "not_available"
