"""Figures for the target wording reader on the real plans' corpus.

Reads every `target_wording` of ../shared/real_plans/corpus.yaml with what the
workbook would know of its indicator (unit, direction, base year, name), and
prints the share read, the share reported unreadable, and every misreading: a
wording read differently from the corpus's parsed `target` (that list must be empty).

The corpus's parsed targets are partly prose ("-40% vs 2017年度", "≈50",
"< FY2013 value", "87 → 46"); `expected` turns what it can into fields. A field
the corpus leaves out, or a target year the wording leaves out, is not compared.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DIRECTIONS = {"higher_better": "higher", "lower_better": "lower"}


def corpus_path() -> Path | None:
    candidates = [os.environ.get("ENVPLAN_REAL_PLANS", ""), REPO.parent / "shared" / "real_plans", REPO.parent.parent / "shared" / "real_plans"]
    for c in candidates:
        if c and (Path(c) / "corpus.yaml").is_file():
            return Path(c) / "corpus.yaml"
    return None


def _fy(period: Any) -> int | None:
    if not isinstance(period, str):
        return None
    from envplan.plan.years import YearError, parse_fy

    m = re.fullmatch(r"(.+?)年度?", period.strip())
    try:
        return parse_fy(m[1] + "年度" if m else period)
    except (YearError, TypeError):
        return None


def expected(target: dict[str, Any], interim: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The fields the corpus's parsed target states."""
    out: dict[str, Any] = {}
    fy = target.get("fy") if isinstance(target.get("fy"), int) else _fy(target.get("period"))
    if fy is not None:
        out["year"] = fy
    cmp = target.get("comparator")
    value = target.get("value")
    if cmp == "maintain":
        out["kind"] = "maintain"
    elif cmp in (">=", "<="):
        out["comparator"] = "以上" if cmp == ">=" else "以下"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        out["value"] = float(value)
    elif isinstance(value, str):
        v = value.strip()
        m = re.fullmatch(r"(?P<a>[\d.]+)\s*→\s*(?P<b>[\d.]+)", v)
        if m:
            out["previous_value"], out["value"] = float(m["a"]), float(m["b"])
        elif m := re.fullmatch(r"<\s*FY(?P<y>\d{4})(?: value)?", v):
            out["kind"], out["base_fy"] = "decrease", int(m["y"])
        elif m := re.fullmatch(r"≈(?P<n>-?[\d.]+)(?P<pct>%)?", v):
            out["approximate"] = True
            out["percent" if m["pct"] else "value"] = float(m["n"])
        elif m := re.match(r"(?P<n>-[\d.]+)%", v):
            out["percent"] = float(m["n"])
            if b := re.search(r"vs (?:FY)?(?P<y>\d{4})", v):
                out["base_fy"] = int(b["y"])
            if "or more" in v:
                out["comparator"] = "以上"
        else:
            out["uncheckable"] = v
    if interim:
        out["interim"] = sorted((_fy(i.get("period")), float(i["value"])) for i in interim if isinstance(i.get("value"), (int, float)))
    return out


def misreadings(r: Any, exp: dict[str, Any]) -> list[str]:
    """How a reading differs from the corpus; empty when it agrees on every field both state."""
    bad: list[str] = []
    if "kind" in exp and r.kind != exp["kind"]:
        bad.append(f"kind {r.kind} ≠ {exp['kind']}")
    if "year" in exp and r.year is not None and r.year != exp["year"]:
        bad.append(f"year {r.year} ≠ {exp['year']}")
    if "value" in exp:
        if r.value is None or abs(r.value - exp["value"]) > 1e-9:
            bad.append(f"value {r.value} ≠ {exp['value']}")
    if "percent" in exp and (r.percent is None or abs(r.percent - exp["percent"]) > 1e-9):
        bad.append(f"percent {r.percent} ≠ {exp['percent']}")
    if "percent" not in exp and "value" in exp and r.kind == "change":
        bad.append("read as a change, the corpus has a level")
    if "base_fy" in exp and r.base_fy is not None and r.base_fy != exp["base_fy"]:
        bad.append(f"base {r.base_fy} ≠ {exp['base_fy']}")
    if exp.get("comparator") and r.comparator and r.comparator != exp["comparator"] and r.kind != "change":
        bad.append(f"comparator {r.comparator} ≠ {exp['comparator']}")
    if exp.get("approximate") and not r.approximate:
        bad.append("not marked approximate")
    got_interim = sorted((d.fy, d.value) for d in r.interim)
    if got_interim != exp.get("interim", []):
        bad.append(f"interim {got_interim} ≠ {exp.get('interim', [])}")
    if exp.get("previous_value") is not None and r.previous_value != exp["previous_value"]:
        bad.append(f"old value {r.previous_value} ≠ {exp['previous_value']}")
    return bad


def run(path: Path) -> dict[str, Any]:
    import yaml

    from envplan.plan.target_wording import TargetWordingError, read_target

    docs = yaml.safe_load(path.read_text(encoding="utf-8"))
    read: list[str] = []
    unreadable: list[tuple[str, str]] = []
    wrong: list[tuple[str, str, list[str]]] = []
    unchecked: list[str] = []
    for doc in docs:
        for ind in doc.get("indicators") or []:
            wording = ind.get("target_wording")
            if not wording:
                continue
            unit = ind.get("unit") if ind.get("unit") not in (None, "unknown") else ""
            base = ind.get("baseline") or {}
            try:
                r = read_target(
                    wording, unit=unit, direction=DIRECTIONS.get(ind.get("direction", "")),  # type: ignore[arg-type]
                    base_fy=base.get("fy") if isinstance(base.get("fy"), int) else None, name=ind.get("name", ""),
                )
            except TargetWordingError as e:
                unreadable.append((wording, e.reason))
                continue
            read.append(wording)
            target = ind.get("target")
            if not isinstance(target, dict):
                unchecked.append(wording)
                continue
            exp = expected(target, ind.get("interim_targets"))
            if "uncheckable" in exp:
                unchecked.append(wording)
            bad = misreadings(r, exp)
            if bad:
                wrong.append((ind["indicator_id"], wording, bad))
    return {"read": read, "unreadable": unreadable, "wrong": wrong, "unchecked": unchecked}


def main() -> int:
    sys.path.insert(0, str(REPO / "addin"))
    path = corpus_path()
    if path is None:
        print("corpus.yaml not found (../shared/real_plans/ beside the repository, or ENVPLAN_REAL_PLANS): skipped")
        return 0
    res = run(path)
    total = len(res["read"]) + len(res["unreadable"])
    print(f"target wordings in the corpus: {total}")
    print(f"  read:                 {len(res['read'])} ({len(res['read']) / total:.0%})")
    print(f"  reported unreadable:  {len(res['unreadable'])} ({len(res['unreadable']) / total:.0%})")
    print(f"  read, no parsed target to check against: {len(res['unchecked'])}")
    print(f"  misread (read differently from the corpus's parsed target): {len(res['wrong'])}")
    for ind_id, wording, bad in res["wrong"]:
        print(f"    MISREAD {ind_id}: 「{wording}」: {'; '.join(bad)}")
    return 1 if res["wrong"] else 0


if __name__ == "__main__":
    code = main()
    if code:
        raise SystemExit(code)
