"""The CLI as a user meets it when something is wrong: another file format,
a folder that cannot be written, a mistyped option or year, Ctrl-C in the
middle of a consolidation, text that looks like markup. Each must end with a
Japanese message naming the file, English in --json, a documented exit code
(cli_app: 1 input, 2 usage/environment, 3 unexpected, 130 interrupted) and
never a Python traceback. Every run is a real `envplan` subprocess.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import run_cli
from envplan.survey.template_identity import key_path
from returns_kit import copy_master, fill, issued_master, sha

NOBODY = 65534
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
S05_2022 = ("value", "S05", 2022, "actual")  # 環境部品川区清掃事務所 (code 清掃事務所) answers it


@pytest.fixture(scope="module")
def base(sample_masters, tmp_path_factory):
    return issued_master(sample_masters["shinagawa"], tmp_path_factory.mktemp("cli_errors"))


@pytest.fixture
def master(base, tmp_path):
    return copy_master(base[0], tmp_path)


def _template_for(templates: dict[str, Path], key: tuple) -> Path:
    from envplan.survey.template_fill import input_cells

    return next(t for t in templates.values() if key in input_cells(t))


def clean(proc: subprocess.CompletedProcess[str], code: int) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == code, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def json_error(proc: subprocess.CompletedProcess[str]) -> str:
    """stdout is one JSON object, not ok, with Japanese `message` and English `message_en`; returns the message."""
    data = json.loads(proc.stdout)
    assert data["ok"] is False, data
    message, english = data["error"]["message"], data["error"]["message_en"]
    assert JAPANESE.search(message) and english and not JAPANESE.search(english), data["error"]
    assert message in proc.stderr  # the same words for the person at the console
    return message


# --- the master: wrong files --------------------------------------------------------


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


WRONG_MASTERS = [  # (command, file name, content, words of the advice)
    (["validate"], "plan.xls", OLE_MAGIC + b"\0" * 504, "Excel 97-2003"),
    (["compute"], "plan.ods", b"PK\x03\x04ods", "OpenDocument"),
    (["issue", "--out", "{tmp}/out"], "plan.csv", b"id,name\n", "CSV"),
    (["consolidate", "{tmp}"], "locked.xlsx", OLE_MAGIC + b"\0" * 504, "パスワード"),
    (["publish", "--no-pdf", "--out", "{tmp}/site"], "plan.xlsb", b"PK\x03\x04", ".xlsb"),
    (["year", "open"], "notes.xlsx", "提出します\n".encode(), ".xlsx 形式のワークブックではありません"),
]


@pytest.mark.parametrize("command,name,content,advice", WRONG_MASTERS, ids=[c[1] for c in WRONG_MASTERS])
def test_a_master_of_another_format_is_refused_with_advice(tmp_path, command, name, content, advice):
    path = _write(tmp_path / name, content)
    args = [a.format(tmp=tmp_path) for a in command]
    args = [*args[:2], str(path), *args[2:]] if command[0] == "year" else [args[0], str(path), *args[1:]]
    proc = clean(run_cli(*args, "--json"), 2)
    message = json_error(proc)
    assert name in message and advice in message
    assert path.read_bytes() == content  # nothing written into it
    assert not (tmp_path / "バックアップ").exists()


def test_a_folder_or_a_pipe_as_the_master(tmp_path):
    proc = clean(run_cli("compute", tmp_path, "--json"), 2)
    assert "フォルダではなく" in json_error(proc)
    if not hasattr(os, "mkfifo"):
        return
    pipe = tmp_path / "master.xlsx"
    os.mkfifo(pipe)
    proc = clean(run_cli("validate", pipe, timeout=60), 2)  # read, a pipe would wait for ever
    assert "通常のファイルではありません" in proc.stderr


@pytest.mark.parametrize("command", [["validate"], ["compute"], ["consolidate", "INBOX"], ["remind"]])
def test_a_template_given_as_the_master_is_named_as_such(base, tmp_path, command):
    """A department's template (or a return) given where the master goes: said so, not 24 layout errors."""
    template = tmp_path / "template.xlsx"
    template.write_bytes(next(iter(base[1].values())).read_bytes())
    (tmp_path / "inbox").mkdir()
    args = [str(tmp_path / "inbox") if a == "INBOX" else a for a in command[1:]]
    proc = clean(run_cli(command[0], str(template), *args, "--json"), 2)
    assert "所管課への照会様式" in json_error(proc) and "マスターワークブックではありません" in json_error(proc)


def test_init_refuses_xlsm_and_folders_and_speaks_json(tmp_path):
    proc = clean(run_cli("init", tmp_path / "m.xlsm", "--json"), 2)  # written without macros: Excel would refuse the .xlsm
    assert ".xlsx にしてください" in json_error(proc)
    proc = clean(run_cli("init", tmp_path, "--sample", "kawasaki"), 2)
    assert "フォルダです" in proc.stderr
    proc = clean(run_cli("init", tmp_path / "m.xlsx", "--sample", "kawasaki", "--json"), 0)
    data = json.loads(proc.stdout)
    assert data["ok"] is True and data["indicators"] == 3 and data["policies"] == 1


# --- usage -------------------------------------------------------------------------


USAGE = [  # (arguments, Japanese words)
    (["compute", "--json"], "マスターワークブック（MASTER）を指定してください"),
    (["compute", "m.xlsx", "--fyy", "2020", "--json"], "オプション --fyy はありません（もしかして: --fy）"),
    (["validate", "令和4年度", "master.xlsx", "--json"], "余分な引数があります: master.xlsx"),  # a path with a space, unquoted
    (["frobnicate", "--json"], "コマンド「frobnicate」はありません"),
    (["consolidat", "m.xlsx", "受付", "--json"], "コマンド「consolidat」はありません（もしかして: consolidate）"),  # click's guess, in Japanese
    (["year", "rollover", "--json"], "コマンド「rollover」はありません"),
    (["init", "m.xlsx", "--json", "--sample"], "オプション --sample には値が必要です"),
    (["compute", "m.xlsx", "--json", "--json=1"], "オプション --json には値を付けられません"),
]


@pytest.mark.parametrize("args,words", USAGE, ids=["missing", "unknown-option", "extra", "command", "mistyped-command", "subcommand", "no-value", "flag-value"])
def test_usage_errors_are_japanese_and_json(args, words):
    proc = clean(run_cli(*args), 2)
    assert words in json_error(proc)


def test_a_run_reads_only_its_own_verbs_parameters():
    """`envplan VERB ...` reads the parameters of VERB alone from its signature (every verb's
    would be built for nothing); the other verbs are only names until one is run."""
    code = (
        "from envplan.cli.main import app, run\n"
        "from envplan.cli.commands import Group\n"
        "run(['consolidate', 'm.xlsx', '受付', '--json'])\n"
        "def built(group, path):\n"
        "    for name, node in group.commands.items():\n"
        "        yield from built(node, path + [name]) if isinstance(node, Group) else ([' '.join(path + [name])] if node._params is not None else [])\n"
        "print('BUILT', *built(app, []))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip().splitlines()[-1] == "BUILT consolidate", proc.stdout + proc.stderr


def test_every_verb_declares_its_parameters_and_its_help():
    """Each verb's parameters read from its signature (a declaration the grammar cannot read fails
    here, not at a user's desk), each with its help, each option named once in its command."""
    from envplan.cli.commands import Group
    from envplan.cli.main import app

    def commands(group, path):
        for name, node in group.commands.items():
            yield from commands(node, [*path, name]) if isinstance(node, Group) else [([*path, name], node)]

    seen = list(commands(app, []))
    assert len(seen) >= 20
    for path, command in seen:
        flags = [f for p in command.params for f in (*p.flags, *([p.negative] if p.negative else []))]
        assert len(flags) == len(set(flags)) and not {"--help", "-h"} & set(flags), path
        assert command.summary and all(p.help or p.hidden for p in command.params), path


GRAMMAR = [  # (arguments of `consolidate`, what it is called with, or the words of its error)
    (["m.xlsx", "受付"], {"master": Path("m.xlsx"), "inbox": Path("受付"), "jobs": 0, "as_json": False}),
    (["--jobs", "2", "m.xlsx", "--json", "受付"], {"master": Path("m.xlsx"), "inbox": Path("受付"), "jobs": 2, "as_json": True}),
    (["m.xlsx", "受付", "--jobs=3", "--jobs", "4"], {"jobs": 4}),  # the last of a repeated option counts
    (["m.xlsx", "--", "--json"], {"inbox": Path("--json"), "as_json": False}),  # `--` ends the options
    (["-v", "m.xlsx", "受付"], {"verbose": True}),
    (["m.xlsx", "受付", "--json=yes"], "オプション --json には値を付けられません"),
    (["m.xlsx", "受付", "--jobs"], "オプション --jobs には値が必要です"),
    (["m.xlsx", "受付", "--jobs", "二"], "--jobs（読み込みに使うプロセス数）の値が正しくありません（「二」: 整数で指定してください）"),
    (["m.xlsx"], "返送された様式を集めたフォルダ（INBOX）を指定してください"),
    (["m.xlsx", "受付", "--verbos"], "オプション --verbos はありません（もしかして: --verbose）"),
]


@pytest.mark.parametrize("args,expected", GRAMMAR)
def test_the_grammar_of_a_command_line(args, expected):
    from envplan.cli.commands import UsageError, resolve
    from envplan.cli.main import app

    if isinstance(expected, str):
        with pytest.raises(UsageError) as e:
            resolve(app, ["consolidate", *args], "envplan")
        assert str(e.value).startswith(expected) and e.value.message_en and e.value.command_path == "envplan consolidate"
        return
    command, called = resolve(app, ["consolidate", *args], "envplan")
    assert command.name == "consolidate" and expected.items() <= called.items()


def test_a_value_with_a_minus_sign_is_an_argument():
    """「-46%」 (a target wording with a minus sign) is read as the wording: no option starts
    with a digit, so it cannot be meant as one (click took it for an option and refused it)."""
    proc = clean(run_cli("target", "-46%", "--json"), 0)
    assert [r["wording"] for r in json.loads(proc.stdout)] == ["-46%"]


def test_help_is_japanese_and_not_cut_at_80_columns(monkeypatch, capsys):
    proc = clean(run_cli("compute", "--help"), 0)
    for words in ("このヘルプを表示して終了する", "[必須]", "引数", "オプション"):
        assert words in proc.stdout
    assert "Show this message" not in proc.stdout
    # In process (fast): a help line that does not fit is folded, never cut with "…".
    from envplan.cli import main as cli
    from envplan.cli.app import run

    monkeypatch.setenv("COLUMNS", "80")
    assert cli.app is not None
    for args in ([], ["init"], ["validate"], ["compute"], ["issue"], ["consolidate"], ["remind"], ["publish"], ["demo"], ["addin", "doctor"], ["addin", "install"],
                 ["year"], ["year", "open"], ["year", "revise"], ["year", "correct"], ["year", "accept-frozen-edits"], ["year", "restore-frozen"],
                 ["period"], ["add"], ["add", "policy"], ["target"]):
        assert run([*args, "--help"]) == 0
        out = capsys.readouterr().out
        assert "…" not in out, f"envplan {' '.join(args)} --help:\n{out}"


def test_wrong_fiscal_years(master, tmp_path):
    proc = clean(run_cli("compute", master, "--fy", "abc", "--json"), 2)
    assert "--fy「abc」を年度として読めません" in json_error(proc)
    proc = clean(run_cli("compute", master, "--fy", "令和99", "--json"), 2)
    message = json_error(proc)
    assert "令和99（2117年度）" in message and "計画期間" in message
    # publish reads a year the way every other command does (it took only 2021 before)
    proc = clean(run_cli("publish", master, "--no-pdf", "--fy", "R3", "--out", tmp_path / "site", "--json"), 0)
    assert json.loads(proc.stdout)["fy"] == 2021


# --- the environment -----------------------------------------------------------------


def test_unwritable_output_folders(master, base, tmp_path):
    blocker = tmp_path / "blocker"  # a file where a folder is expected: fails for root too
    blocker.write_text("x")
    before = sha(master)
    proc = clean(run_cli("issue", master, "--out", blocker / "sub", "--json"), 2)
    assert "様式を書き出せません" in json_error(proc) and "blocker" in proc.stderr
    proc = clean(run_cli("publish", master, "--no-pdf", "--out", blocker / "site", "--json"), 2)
    assert "書き出せません" in json_error(proc)
    proc = clean(run_cli("demo", "--out", blocker / "demo"), 2)
    assert "書き込めません" in proc.stderr
    # Feedback that cannot be written stops the run before the master changes.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "answer.csv").write_text("a,b\n")  # rejected: needs a feedback file
    _, templates = base
    fill(_template_for(templates, S05_2022), {S05_2022: 480}, inbox / "answer.xlsx")
    proc = clean(run_cli("consolidate", master, inbox, "--feedback", blocker / "fb", "--json"), 2)
    assert "マスターは変更していません" in json_error(proc)
    assert sha(master) == before and not (tmp_path / "バックアップ").exists()


def test_read_only_output_folder(master, tmp_path):
    """A folder the user may not write into. Root may write anywhere, so as root
    (CI) the CLI runs as `nobody` on a world-readable copy of the master."""
    root = os.geteuid() == 0
    work = Path(tempfile.mkdtemp(prefix="envplan-ro-")) if root else tmp_path
    try:
        mine = copy_master(master, work)
        out = work / "readonly"
        out.mkdir()
        if root:
            work.chmod(0o755)
            mine.chmod(0o644)
            key_path(mine).chmod(0o644)  # only here: the key is private to staff in real use
        out.chmod(0o555)
        proc = clean(run_cli("issue", mine, "--out", out, "--json", as_user=NOBODY if root else None, env={"HOME": str(work)}), 2)
        assert "権限がありません" in json_error(proc) and "readonly" in json_error(proc)
        assert not any(out.iterdir())
    finally:
        if root:
            shutil.rmtree(work, ignore_errors=True)


def test_master_open_in_excel_english_in_json(master):
    (master.parent / f"~${master.name}").write_bytes(b"x")
    proc = clean(run_cli("compute", master, "--json"), 2)
    assert "Excel などで開かれています" in json_error(proc)


def test_unexpected_error_is_logged_not_traced(master, tmp_path, monkeypatch):
    home = tmp_path / "envplan-home"
    (home / "workbook").mkdir(parents=True)
    (home / "workbook" / "layout.yaml").write_text("sheets: 5\n", encoding="utf-8")  # a defect in the installation
    monkeypatch.setenv("ENVPLAN_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    proc = clean(run_cli("validate", master, "--json"), 3)
    message = json_error(proc)
    assert "予期しないエラー" in message
    log = Path(re.search(r"詳細を記録しました: (.+?\.log)", message)[1])
    assert "Traceback" in log.read_text(encoding="utf-8")


# --- the inbox ----------------------------------------------------------------------


def test_subfolder_and_empty_inbox_are_said(master, base, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "清掃事務所").mkdir(parents=True)
    _, templates = base
    fill(_template_for(templates, S05_2022), {S05_2022: 480}, inbox / "清掃事務所" / "answer.xlsx")
    proc = clean(run_cli("consolidate", master, inbox), 0)
    assert "返送ファイルがありません" in proc.stderr and "清掃事務所/" in proc.stderr
    proc = clean(run_cli("consolidate", master, inbox, "--json"), 0)
    assert json.loads(proc.stdout)["ignored"] == ["清掃事務所/"]
    proc = clean(run_cli("consolidate", master, master, "--json"), 2)
    assert "はファイルです" in json_error(proc)
    proc = clean(run_cli("consolidate", master, master.parent, "--json"), 2)  # it would read the master and its key as returns
    assert "マスターと同じフォルダ" in json_error(proc)


def test_markup_like_text_is_printed_as_text(master, base, tmp_path):
    """Rich reads [tags] in what it prints: a file name or a typed value must not vanish or crash the output."""
    named = tmp_path / "[draft]master.xlsx"  # rich would drop the [draft] tag
    shutil.copy2(master, named)
    proc = clean(run_cli("compute", named), 0)
    assert "[draft]master.xlsx" in proc.stderr
    inbox = tmp_path / "inbox"
    _, templates = base
    fill(_template_for(templates, S05_2022), {S05_2022: "[/b]"}, inbox / "[red]answer.xlsx")
    proc = clean(run_cli("consolidate", master, inbox), 1)  # the value is refused at its cell
    table = re.sub(r"[\s│]", "", proc.stderr)  # the table folds long cells over lines
    assert "[red]answer.xlsx" in table and "「[/b]」" in table


def test_validate_writes_nothing_into_a_workbook_that_is_not_a_master(base, tmp_path):
    _, templates = base
    template = shutil.copy2(next(iter(templates.values())), tmp_path / "template.xlsx")
    before = sha(template)
    proc = clean(run_cli("validate", template, "--json"), 2)  # a template: said before it is read (test above)
    assert "マスターワークブックではありません" in json_error(proc)
    assert sha(template) == before and not (tmp_path / "バックアップ").exists()


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="installs for real on Windows and macOS")
def test_addin_install_off_windows_is_not_ok_in_json():
    proc = clean(run_cli("addin", "install", "--json"), 2)
    assert "手順の表示だけ" in json_error(proc)


# --- Ctrl-C -------------------------------------------------------------------------


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def test_ctrl_c_handed_back_as_a_librarys_error_is_still_an_interruption(monkeypatch, capsys):
    """Ctrl-C while a library's own code runs Python (pydantic-core building a validator on its
    first use) reaches the command as that library's error: it is an interruption (130, 中断),
    not an unexpected error (3, with a log for the IT staff)."""
    from envplan.cli import app as cli_app
    from envplan.cli import commands

    class Command:
        @staticmethod
        def callback() -> None:
            try:
                signal.raise_signal(signal.SIGINT)
            except KeyboardInterrupt:  # as pydantic-core does: the exception becomes its own
                raise RuntimeError('Error building "literal" validator:\n  KeyboardInterrupt: ') from None

    monkeypatch.setattr(commands, "resolve", lambda *args: (Command, {}))
    assert cli_app.run(["consolidate", "m.xlsx", "受付", "--json"]) == 130
    out, err = capsys.readouterr()
    assert json.loads(out)["ok"] is False and "中断しました" in json.loads(out)["error"]["message"]
    assert "予期しない" not in err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's own again

    class Failing:
        @staticmethod
        def callback() -> None:
            raise RuntimeError("a defect")

    monkeypatch.setattr(commands, "resolve", lambda *args: (Failing, {}))
    assert cli_app.run(["consolidate", "m.xlsx", "受付"]) == 3  # without Ctrl-C, still a defect


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="Linux: SIGINT to the process group, /proc")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_mid_consolidate_leaves_the_master_whole(master, base, tmp_path, jobs):
    inbox = tmp_path / "inbox"
    _, templates = base
    answer = fill(_template_for(templates, S05_2022), {S05_2022: 480}, inbox / "answer.xlsx")
    for i in range(3000):  # long enough to be interrupted while reading (1,000 took 0.3 s after the lock)
        shutil.copy2(answer, inbox / f"answer-{i:04}.xlsx")
    before = master.read_bytes()
    lock = master.with_name(f".{master.name}.envplan.lock")
    proc = subprocess.Popen(
        [sys.executable, "-m", "envplan", "consolidate", str(master), str(inbox), "--jobs", jobs, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: SIGINT to the group is a terminal's Ctrl-C
    )
    deadline = time.monotonic() + 60
    # Reading has begun: the lock is held, and with --jobs 2 the worker (this process reads too) exists.
    # Interrupted at once: a further wait (0.1 s) let a run of 1,000 files finish first under load.
    while not (lock.exists() and (jobs == "1" or _children(proc.pid))) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in out + err, err
    data = json.loads(out)
    assert data["ok"] is False and "中断しました" in data["error"]["message"] and "中断しました" in err
    assert master.read_bytes() == before
    assert not lock.exists() and not list(tmp_path.glob(".master.*.tmp.xlsx"))
    clean(run_cli("consolidate", master, inbox, "--json"), 0)  # and the next run goes through


def test_year_commands_name_the_option_and_print_values_as_text(master, tmp_path):
    proc = clean(run_cli("year", "revise", master, "--indicator", "S01", "--wording", "2030年度までに10%削減", "--year", "abc", "--json"), 2)
    assert "--year「abc」" in json_error(proc)
    before = sha(master)
    proc = clean(run_cli("year", "correct", master, "--indicator", "S05", "--fy", "2022", "--actual", "[/b]"), 1)
    assert "[/b]" in proc.stderr and sha(master) == before
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    proc = clean(run_cli("year", "open", master, "--issue", blocker / "templates", "--json"), 2)
    data = json.loads(proc.stdout)
    assert "様式を発行できません" in data["error"]["message"] and "templates could not be written" in data["error"]["message_en"]
