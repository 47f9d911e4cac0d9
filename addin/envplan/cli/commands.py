"""The command line's grammar: commands declared on functions, a command line read into a call.

    @app.command()
    def consolidate(master: Path = Argument(help="マスターワークブック"),
                    jobs: int = Option(0, "--jobs", help="…"), as_json: bool = Option(False, "--json", help="…")) -> None:

Our own, small, rather than a library's: typer (what this replaced) imported and built more than
a short command's parsing needed (with pydantic's adapters, a fiftieth of a second of every run),
and said everything in English, patched into Japanese; argparse reads an optional positional
next to an option wrongly (bpo-15112) and also speaks English. Here every message is Japanese
(with its English for --json), and a command's parameters are read from its signature only
when that command runs.

The rules, as click's (which the scripts and the add-in were written against): options and
arguments in any order; `--name value` or `--name=value`; a flag `--json` (and `--pdf/--no-pdf`);
`--` ends the options; the last of a repeated option counts. A value that starts with a minus
sign and a digit (`-46%`) is an argument, never an option (no option starts with a digit).
"""

from __future__ import annotations

import difflib
import inspect
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REQUIRED: Any = ...  # the default of a parameter that must be given


class Exit(Exception):
    """End the command with `code` (its messages are printed already)."""

    def __init__(self, code: int = 0) -> None:
        super().__init__(code)
        self.exit_code = code


class UsageError(Exception):
    """A command line that cannot be run: `message` (Japanese) and `message_en`, for the
    command at `command_path` (whose --help the user is pointed to)."""

    def __init__(self, message: str, message_en: str, command_path: str) -> None:
        super().__init__(message)
        self.message_en = message_en
        self.command_path = command_path


class HelpRequested(Exception):
    """`--help` (or a group without its command): the help page of `node`, and the code to end with."""

    def __init__(self, node: Command | Group, path: str, code: int = 0) -> None:
        super().__init__(path)
        self.node = node
        self.path = path
        self.code = code


@dataclass(frozen=True)
class ParamInfo:
    """What `Argument(...)` and `Option(...)` declare as a parameter's default."""

    default: Any
    flags: tuple[str, ...] = ()  # empty: an argument
    help: str = ""
    hidden: bool = False


def Argument(default: Any = REQUIRED, *, help: str = "") -> Any:  # noqa: N802, A002 — declared like typer's, which the verbs were written with
    return ParamInfo(default, (), help)


def Option(default: Any, *flags: str, help: str = "", hidden: bool = False) -> Any:  # noqa: N802, A002
    return ParamInfo(default, flags, help, hidden)


# A parameter's type, from its annotation (the modules use `from __future__ import annotations`,
# so these are strings): no annotation in a command has another.
# `list[str]`: an argument that takes every word left (at least one when required), an option
# that can be given again and again.
_KINDS = {"Path": Path, "int": int, "float": float, "str": str, "bool": bool, "list[str]": list}


@dataclass(frozen=True)
class Param:
    name: str  # the function's parameter
    kind: type
    default: Any
    help: str
    flags: tuple[str, ...] = ()  # "--pdf", "-v"
    negative: str = ""  # "--no-pdf"
    hidden: bool = False

    @property
    def is_argument(self) -> bool:
        return not self.flags

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def is_flag(self) -> bool:
        return self.kind is bool

    @property
    def is_list(self) -> bool:
        return self.kind is list

    @property
    def label(self) -> str:
        """How a message names it: 「マスターワークブック（MASTER）」, 「--fy（年度）」."""
        help_text = self.help.split("（")[0].strip()
        name = self.metavar if self.is_argument else "/".join(self.flags)
        if self.is_argument:
            return f"{help_text}（{name}）" if help_text else name
        return f"{name}（{help_text}）" if help_text else name

    @property
    def metavar(self) -> str:
        if self.is_argument:
            return self.name.upper() + ("..." if self.is_list else "")
        return {Path: "パス", int: "整数", float: "数値", str: "文字列", list: "文字列"}.get(self.kind, "")


@dataclass
class Command:
    name: str
    callback: Callable[..., Any]
    _params: list[Param] | None = None

    @property
    def help(self) -> str:
        return inspect.cleandoc(self.callback.__doc__ or "")

    @property
    def summary(self) -> str:
        return self.help.split("\n\n")[0].replace("\n", "")

    @property
    def params(self) -> list[Param]:
        if self._params is None:
            self._params = _params_of(self.callback)
        return self._params


@dataclass
class Group:
    name: str
    help: str = ""
    commands: dict[str, Command | Group] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return self.help

    def command(self, name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            verb = name or fn.__name__.replace("_", "-")
            self.commands[verb] = Command(verb, fn)
            return fn

        return register

    def group(self, name: str, help: str) -> Group:  # noqa: A002
        sub = Group(name, help)
        self.commands[name] = sub
        return sub


def _params_of(fn: Callable[..., Any]) -> list[Param]:
    params = []
    for p in inspect.signature(fn).parameters.values():
        info = p.default
        if not isinstance(info, ParamInfo):
            raise TypeError(f"{fn.__name__}: parameter {p.name} is not declared with Argument or Option")
        annotation = str(p.annotation).replace(" | None", "")
        kind = _KINDS[annotation]
        flags, negative = info.flags, ""
        if flags and "/" in flags[0]:  # "--pdf/--no-pdf"
            first, negative = flags[0].split("/")
            flags = (first, *flags[1:])
        params.append(Param(p.name, kind, info.default, info.help, flags, negative, info.hidden))
    return params


# --- reading a command line ------------------------------------------------------------

HELP_FLAGS = ("--help", "-h")
_MINUS_NUMBER = re.compile(r"-[0-9.]")


def resolve(root: Group, args: list[str], prog: str) -> tuple[Command, dict[str, Any]]:
    """The command `args` name and the keyword arguments to call it with. Raises UsageError,
    or HelpRequested for `--help` and for a group named without its command."""
    node: Command | Group = root
    path = prog
    rest = list(args)
    while isinstance(node, Group):
        if not rest or rest[0] in HELP_FLAGS:
            raise HelpRequested(node, path, 0 if rest else 2)
        verb = rest.pop(0)
        if verb.startswith("-") and verb != "-":
            raise UsageError(f"オプション {verb} はありません", f"No such option: {verb}", path)
        if verb not in node.commands:
            guess = difflib.get_close_matches(verb, list(node.commands), n=1)
            hint = f"（もしかして: {guess[0]}）" if guess else ""
            raise UsageError(
                f"コマンド「{verb}」はありません{hint}（{path} --help でコマンドの一覧を表示します）",
                f"No such command '{verb}'." + (f" Did you mean '{guess[0]}'?" if guess else ""),
                path,
            )
        node = node.commands[verb]
        path = f"{path} {verb}"
    options = [a for a in rest[: rest.index("--")] if a in HELP_FLAGS] if "--" in rest else [a for a in rest if a in HELP_FLAGS]
    if options:
        raise HelpRequested(node, path)
    return node, parse(node.params, rest, path)


def parse(params: list[Param], args: list[str], path: str) -> dict[str, Any]:
    by_flag: dict[str, tuple[Param, bool]] = {}
    for p in params:
        for flag in p.flags:
            by_flag[flag] = (p, True)
        if p.negative:
            by_flag[p.negative] = (p, False)
    values: dict[str, Any] = {}
    positional: list[str] = []
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            positional.extend(tokens)
            break
        if not token.startswith("-") or token == "-" or _MINUS_NUMBER.match(token):
            positional.append(token)
            continue
        name, has_value, value = token.partition("=") if token.startswith("--") else (token, "", "")
        if name not in by_flag:
            similar = difflib.get_close_matches(name, list(by_flag), n=3, cutoff=0.6)
            raise UsageError(
                f"オプション {name} はありません" + (f"（もしかして: {'、'.join(sorted(similar))}）" if similar else ""),
                f"No such option: {name}" + (f" (Possible options: {', '.join(sorted(similar))})" if similar else ""),
                path,
            )
        param, positive = by_flag[name]
        if param.is_flag:
            if has_value:
                raise UsageError(f"オプション {name} には値を付けられません（{token}）", f"Option '{name}' does not take a value.", path)
            values[param.name] = positive
            continue
        if not has_value:
            following = next(tokens, None)
            if following is None:
                raise UsageError(f"オプション {name} には値が必要です", f"Option '{name}' requires an argument.", path)
            value = following
        if param.is_list:
            values.setdefault(param.name, []).append(value)
        else:
            values[param.name] = _converted(param, value, path)
    arguments = [p for p in params if p.is_argument]
    if arguments and arguments[-1].is_list:  # the last takes what the others leave
        single = len(arguments) - 1
        if len(positional) > single:
            values[arguments[-1].name] = positional[single:]
        positional, arguments = positional[:single], arguments[:single]
    if len(positional) > len(arguments):
        extra = " ".join(positional[len(arguments) :])
        raise UsageError(
            f'余分な引数があります: {extra}（空白を含むファイル名やフォルダ名は "…" で囲んでください）',
            f"Got unexpected extra arguments ({extra})",
            path,
        )
    for p, value in zip(arguments, positional):
        values[p.name] = _converted(p, value, path)
    for p in params:
        if p.name in values:
            continue
        if p.required:
            what = f"'{p.metavar}'" if p.is_argument else f"'{p.flags[0]}'"
            raise UsageError(f"{p.label}を指定してください", f"Missing {'argument' if p.is_argument else 'option'} {what}.", path)
        values[p.name] = list(p.default) if p.is_list else p.default  # a fresh list: never the declaration's own
    return values


def _converted(param: Param, value: str, path: str) -> Any:
    if param.kind is Path:
        return Path(value)
    if param.kind is str:
        return value
    try:
        number = param.kind(value)
        if param.kind is float and not math.isfinite(number):
            raise ValueError(value)
        return number
    except ValueError:
        words, english = ("整数", "integer") if param.kind is int else ("数値", "number")
        raise UsageError(
            f"{param.label}の値が正しくありません（「{value}」: {words}で指定してください）",
            f"Invalid value for '{param.flags[0] if param.flags else param.metavar}': {value!r} is not a valid {english}.",
            path,
        ) from None


__all__ = ["REQUIRED", "Argument", "Command", "Exit", "Group", "HelpRequested", "Option", "Param", "UsageError", "parse", "resolve"]
