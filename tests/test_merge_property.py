"""Property of the merge (hypothesis, on real files and the real `consolidate`):
for any sequence of valid submissions and resubmissions over several runs,
the master ends holding, per cell, the value of the department's last
submission, and the change log replays — old → new, row by row from the
master before — to exactly that.

Examples are few here (each is several real consolidations); `make bench`
runs more with ENVPLAN_PROPERTY_EXAMPLES.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import examples
from envplan.survey.consolidate import consolidate
from envplan.survey.template_fill import fill_template
from envplan.survey.template_identity import key_path
from envplan.workbook.changes import BLANK
from envplan.workbook.fields import plan_value
from returns_kit import issued_master, read_plan

FIELDS: dict[str, list[tuple[Any, ...]]] = {
    "環境課": [("value", "S03", 2022, "actual"), ("value", "S04", 2022, "actual"), ("value", "S03", 2022, "note"), ("department", "環境課", "contact")],
    "清掃事務所": [("value", "S05", 2022, "actual"), ("value", "S06", 2022, "actual"), ("department", "清掃事務所", "contact")],
}
EXAMPLES = int(os.environ.get("ENVPLAN_PROPERTY_EXAMPLES", "6"))
FULL_WIDTH = str.maketrans("0123456789,", "０１２３４５６７８９，")


@pytest.fixture(scope="module")
def base(sample_masters, tmp_path_factory):
    return (*issued_master(sample_masters["all"], tmp_path_factory.mktemp("merge")), tmp_path_factory)


def _number():
    """What a person types for a count: 1234, or 「１，２３４」 (read as the same number)."""
    return st.integers(min_value=0, max_value=99_999).flatmap(lambda n: st.sampled_from([(n, n), (f"{n:,}".translate(FULL_WIDTH), n)]))


def _text():
    return st.text(alphabet="環境課太郎花子速報値確定見込ABCxyz0123-・（）", min_size=1, max_size=12).map(lambda t: (t, t))


def _submission(dept: str):
    fields = FIELDS[dept]
    values = [st.one_of(st.none().map(lambda _: (None, None)), _number() if key[0] == "value" and key[3] == "actual" else _text()) for key in fields]
    return st.tuples(st.just(dept), st.tuples(*values))


# A run: some submissions (a department may send twice in one run); several runs in turn.
RUNS = st.lists(st.lists(st.sampled_from(sorted(FIELDS)).flatmap(_submission), min_size=1, max_size=3), min_size=1, max_size=3)


def _shown(value: Any) -> Any:
    """A change-log cell as read back: blank shown as （空欄）, numbers as numbers."""
    if value in (None, "", BLANK):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _log(master: Path) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(master)["変更履歴"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    if not rows or rows[0][0] != "日時":
        return []  # no change recorded yet
    header = rows[0]
    return [dict(zip(header, r)) for r in rows[1:] if any(v is not None for v in r)]


@settings(max_examples=examples(EXAMPLES), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(runs=RUNS)
def test_master_holds_the_last_submission_and_the_log_replays_to_it(base, runs):
    src, templates, factory = base
    work = factory.mktemp(f"ex{uuid.uuid4().hex[:6]}")
    master = work / "master.xlsx"
    shutil.copy2(src, master)
    shutil.copy2(key_path(src), key_path(master))
    initial = read_plan(master)
    log_start = len(_log(master))
    inbox = work / "inbox"
    expected: dict[tuple[Any, ...], Any] = {}
    n = 0
    for run in runs:
        for dept, values in run:
            n += 1
            answers = {key: typed for key, (typed, _) in zip(FIELDS[dept], values)}
            fill_template(templates[dept], answers, inbox / f"{n:03d}_{dept}.xlsx")  # later files sort and save later
            expected.update({key: value for key, (_, value) in zip(FIELDS[dept], values)})
        result = consolidate(master, inbox)
        assert result.rejected == 0, [f.errors for f in result.files if f.errors]
    final = read_plan(master)
    for keys in FIELDS.values():
        for key in keys:
            want = expected[key] if key in expected else plan_value(initial, key)
            assert _shown(plan_value(final, key)) == _shown(want), (key, plan_value(final, key), want)
    # The change log, replayed from the master before, gives the master after.
    state = {key: _shown(plan_value(initial, key)) for keys in FIELDS.values() for key in keys}
    for row in _log(master)[log_start:]:
        key = tuple(json.loads(row["項目キー"]))
        assert key in state, key  # nothing outside the submitted fields was touched
        assert _shown(row["変更前"]) == state[key], (key, row)
        state[key] = _shown(row["変更後"])
        assert row["提出ファイル"] and row["SHA-256"] and row["所管課"] in FIELDS
    assert state == {key: _shown(plan_value(final, key)) for key in state}


# --- issue 13 §1: the master does not depend on how the arrivals were split into runs ---

NOT_A_NUMBER = "たくさん"  # typed into an actual: the return is rejected (差戻し)
RETURNS = st.lists(st.tuples(st.sampled_from(sorted(FIELDS)).flatmap(_submission), st.booleans()), min_size=1, max_size=4)


@st.composite
def _scenario(draw: Any) -> tuple[Any, list[int], list[bool]]:
    """Returns (in time order), their order of arrival, and after which arrival a run happens."""
    returns = draw(RETURNS)
    arrival = draw(st.permutations(range(len(returns))))
    cuts = draw(st.lists(st.booleans(), min_size=len(returns) - 1, max_size=len(returns) - 1))
    return returns, arrival, cuts


# The case that once made the master depend on the batching: a valid return, then a later rejected one.
_V1 = ("環境課", ((1200, 1200), (None, None), ("速報値", "速報値"), ("環境 太郎", "環境 太郎")))


def _fresh(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True)
    master = folder / "master.xlsx"
    shutil.copy2(src, master)
    shutil.copy2(key_path(src), key_path(master))
    return master


def _tracker(master: Path) -> dict[str, str]:
    return {dept: row["状況"] for dept, row in _tracker_rows(master).items()}


# What a department's tracker row says, whichever run wrote it (not when: 受付日時; not 変更,
# which counts what the file changed in the master as it then was).
TRACKED = ("状況", "エラー", "警告", "内容", "ファイル", "値を取り込んだファイル", "SHA-256", "取り込んだファイルのSHA-256")


def _tracker_rows(master: Path) -> dict[str, dict[str, Any]]:
    ws = openpyxl.load_workbook(master)["提出状況"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    return {r[1]: {k: v for k, v in zip(rows[0], r) if k in TRACKED} for r in rows[1:] if r[1] in FIELDS}


@settings(max_examples=examples(4), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario=_scenario())
@example(scenario=([(_V1, True), (_V1, False)], [0, 1], [True]))
@example(scenario=([(_V1, True), (_V1, False)], [1, 0], [True]))
def test_any_split_into_runs_gives_the_master_of_one_run_and_of_the_accepted_files_alone(base, scenario):
    src, templates, factory = base
    returns, arrival, cuts = scenario
    work = factory.mktemp(f"split{uuid.uuid4().hex[:6]}")
    files: list[tuple[Path, str, bool]] = []
    for i, ((dept, values), valid) in enumerate(returns):  # the order of the returns is their time order
        answers = {key: typed for key, (typed, _) in zip(FIELDS[dept], values)}
        if not valid:
            answers[FIELDS[dept][0]] = NOT_A_NUMBER
        path = fill_template(templates[dept], answers, work / "made" / f"{i:02d}_{dept}.xlsx")
        os.utime(path, (1_800_000_000 + i, 1_800_000_000 + i))
        files.append((path, dept, valid))

    def run(name: str, batches: list[list[int]]) -> Path:
        master = _fresh(src, work / name)
        inbox = work / name / "inbox"
        inbox.mkdir()
        for batch in batches:  # files stay in the inbox: each run sees everything arrived so far
            for i in batch:
                shutil.copy2(files[i][0], inbox / files[i][0].name)
            consolidate(master, inbox)
        return master

    batches: list[list[int]] = [[]]
    for k, i in enumerate(arrival):
        batches[-1].append(i)
        if k < len(cuts) and cuts[k]:
            batches.append([])
    split = run("split", batches)
    whole = run("whole", [list(range(len(files)))])
    accepted = run("accepted", [[i for i, (_, _, valid) in enumerate(files) if valid]])
    plans = {name: read_plan(m) for name, m in (("split", split), ("whole", whole), ("accepted", accepted))}
    for keys in FIELDS.values():
        for key in keys:
            seen = {name: _shown(plan_value(p, key)) for name, p in plans.items()}
            assert seen["split"] == seen["whole"] == seen["accepted"], (key, seen, batches)
    # The tracker shows each department's latest return, however the runs fell.
    # (受理, or 未記入 when the return left everything as issued.)
    latest = {dept: valid for _, dept, valid in files}
    assert _tracker_rows(split) == _tracker_rows(whole), batches
    for dept, valid in latest.items():
        assert (_tracker(whole)[dept] == "差戻し") == (not valid), (dept, _tracker(whole))


# --- the feedback copies begun while the judging goes on (consolidate's FeedbackCopies) ---


@settings(max_examples=examples(6), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(returns=RETURNS, forged=st.booleans())
@example(returns=[(_V1, True), (_V1, False), (_V1, False)], forged=True)
def test_a_verdict_told_as_settled_is_the_final_one(base, returns, forged):
    """`prepare_consolidation` tells, as it goes, of files whose verdict is final (their feedback
    copies are begun then, by idle workers): whatever the returns — valid or not, several per
    department, one forged — each file told of ends with the status and the feedback it had."""
    from envplan.survey.consolidate import prepare_consolidation
    from envplan.survey.feedback import FeedbackJob
    from envplan.survey.template_identity import load_key
    from envplan.workbook.changes import load_master_state
    from envplan.workbook.io import open_workbook
    from returns_kit import set_identity

    src, templates, factory = base
    work = factory.mktemp(f"settled{uuid.uuid4().hex[:6]}")
    inbox = work / "inbox"
    for i, ((dept, values), valid) in enumerate(returns):
        answers = {key: typed for key, (typed, _) in zip(FIELDS[dept], values)}
        if not valid:
            answers[FIELDS[dept][0]] = NOT_A_NUMBER
        path = fill_template(templates[dept], answers, inbox / f"{i:02d}_{dept}.xlsx")
        os.utime(path, (1_800_000_000 + i, 1_800_000_000 + i))
    if forged:  # turned away by its identity alone
        set_identity(fill_template(templates["環境課"], {}, work / "src.xlsx"), "department", "財政課", inbox / "forged.xlsx")
    source = open_workbook(src)
    state = load_master_state(source)
    source.close()
    told: dict[str, tuple[str, FeedbackJob | None]] = {}

    def settled(assessments: list[Any], at: str) -> None:
        for a in assessments:
            seen = (a.status, FeedbackJob.of(a, at) if a.needs_feedback else None)
            assert told.setdefault(a.rf.path, seen) == seen, a.rf.file  # told again: the same

    cplan = prepare_consolidation(state, inbox, load_key(src), settled=settled)
    final = {a.rf.path: (a.status, FeedbackJob.of(a, cplan.at) if a.needs_feedback else None) for a in cplan.assessments}
    assert told and all(final[path] == seen for path, seen in told.items()), (told, final)
    latest = {dept: i for i, ((dept, _), _) in enumerate(returns)}
    assert {Path(p).name for p in told} >= {f"{i:02d}_{dept}.xlsx" for dept, i in latest.items()}  # every department's latest among them
