"""Field keys: which master field an input cell fills, and their text form (signed in templates).

Kept apart from `fields` (which knows the plan's models) so that a worker reading returns
needs neither pydantic nor the models.

  ("value", indicator_id, fy, "actual" | "plan" | "note" | "mark")   mark: 速報 | 確定 | None (of the actual)
  ("project", project_id, fy, "status" | "comment")
  ("project_part", project_id, fy, department, "status" | "comment")   a co-department's own part
  ("policy", code, "results" | "remaining_issues" | "future_direction")
  ("rating", code, fy, "rating" | "reason")
  ("judgement", indicator_id, fy, "level" | "reason")   the section's own 評価 of an indicator's year
  ("budget", code, fy, kind)            kind: 予算 | 決算 | 決算見込 | 計画事業費
  ("department", code, "contact" | "phone" | "email")
"""

from __future__ import annotations

import json
from typing import Any

FieldKey = tuple[Any, ...]


def encode_key(key: FieldKey) -> str:
    return json.dumps(list(key), ensure_ascii=False, separators=(",", ":"))


def decode_key(text: str) -> FieldKey:
    value = json.loads(text)
    if not isinstance(value, list) or not value or not all(isinstance(v, (str, int)) for v in value):
        raise ValueError(f"field key is not a list of strings and integers: {text!r}")
    return tuple(value)


__all__ = ["FieldKey", "decode_key", "encode_key"]
