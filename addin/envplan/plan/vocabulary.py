"""The words a plan's fields take (a project's status, a policy's rating, a figure's mark).

Kept apart from the models so that what only needs the words (a worker process reading
returned templates) does not build the pydantic models to get them.
"""

from __future__ import annotations

from typing import Literal

ProjectStatusValue = Literal["予定どおり", "前倒し", "遅れ", "完了", "未着手"]
PROJECT_STATUSES: tuple[str, ...] = ("予定どおり", "前倒し", "遅れ", "完了", "未着手")

RatingValue = Literal["AⅠ", "AⅡ", "B", "C"]
RATINGS: tuple[str, ...] = ("AⅠ", "AⅡ", "B", "C")

# A figure published first as provisional (速報値) and restated later (確定値): real reports
# restate figures (one prefecture's 70.1 速報 became 63.7 確定). No mark means 確定.
ValueMark = Literal["速報", "確定"]
VALUE_MARKS: tuple[str, ...] = ("速報", "確定")
VALUE_MARK_LABELS: dict[str, str] = {"速報": "速報値", "確定": "確定値"}
