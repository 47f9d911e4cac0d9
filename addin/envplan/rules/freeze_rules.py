"""Which fiscal years are closed (確定済み) and which years a department fills in.

Opening the next fiscal year freezes the finished one (`Plan.frozen_through_fy`).
Data lag shifts this per indicator: a figure that arrives two years late (CO2,
「H34時点で入手可能な最新データがH32」) for FY2021 is still open after FY2022
is frozen, and is frozen only when the round in which it was due is closed. A provisional
figure (速報値) of a closed year is frozen only once its final figure (確定値) is in.
"""

from __future__ import annotations

from envplan.plan.model import Indicator, Plan

# A settled budget (決算) is known only in the following year: it behaves like a lag of 1.
BUDGET_LAG = {"決算": 1}


def value_frozen(plan: Plan, indicator: Indicator, fy: int) -> bool:
    """The indicator's figure for `fy` was due in a round that is closed, and is final:
    a provisional figure (速報値) stays open to its 確定値 (a return or a correction
    replaces it, and its mark, like a figure of an open year)."""
    if plan.frozen_through_fy is None or fy + indicator.data_lag > plan.frozen_through_fy:
        return False
    return not indicator.provisional(fy)


def year_frozen(plan: Plan, fy: int) -> bool:
    """Project statuses and self-ratings of `fy` are closed."""
    return plan.frozen_through_fy is not None and fy <= plan.frozen_through_fy


def budget_frozen(plan: Plan, fy: int, kind: str) -> bool:
    return plan.frozen_through_fy is not None and fy + BUDGET_LAG.get(kind, 0) <= plan.frozen_through_fy


def input_years(plan: Plan, indicator: Indicator, fy: int) -> list[int]:
    """Years whose actual a department enters in the template of `fy`: this
    year's, and for an indicator whose data arrive late the earlier years whose
    figure may arrive now (FY2022, lag 2 → 2020, 2021, 2022), frozen ones excepted; and
    every earlier year whose figure is provisional (速報値), for its final figure (確定値)."""
    restated = sorted(y for y in indicator.values if y < fy - indicator.data_lag and indicator.provisional(y))
    return restated + [y for y in range(fy - indicator.data_lag, fy + 1) if not value_frozen(plan, indicator, y)]
