"""The help pages (`envplan --help`, `envplan VERB --help`), drawn with rich on standard output.

rich is imported only here, when a page is drawn: a run that is not asked for help never loads it
for this. Its tables measure Japanese at two columns a character and fold, never cut, a long line.
"""

from __future__ import annotations

import sys
from typing import Any

from envplan.cli.commands import Command, Group, Param

HELP_OPTION_TEXT = "このヘルプを表示して終了する"


def print_help(node: Command | Group, path: str) -> None:
    from rich.console import Console
    from rich.console import Group as Lines
    from rich.padding import Padding
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    out = Console(file=sys.stdout, highlight=False)
    parts: list[Any] = [Padding(Text(f"使い方: {_usage(node, path)}", style="bold"), (1, 1, 0, 1))]
    if node.help:
        parts.append(Padding(Text(node.help), (1, 1, 1, 1)))

    def panel(title: str, rows: list[tuple[str, ...]]) -> None:
        grid = Table.grid(padding=(0, 2))
        for i in range(len(rows[0])):
            grid.add_column(overflow="fold", no_wrap=i < len(rows[0]) - 1, style="bold cyan" if i == 0 else None)
        for row in rows:
            grid.add_row(*row)
        parts.append(Panel(grid, title=title, title_align="left", border_style="dim"))

    if isinstance(node, Command):
        arguments = [p for p in node.params if p.is_argument]
        if arguments:
            panel("引数", [(p.metavar, _described(p)) for p in arguments])
        options = [p for p in node.params if not p.is_argument and not p.hidden]
        panel("オプション", [*((_flags(p), p.metavar, _described(p)) for p in options), ("--help, -h", "", HELP_OPTION_TEXT)])
    else:
        panel("オプション", [("--help, -h", HELP_OPTION_TEXT)])
        # Commands first, then the groups of commands (as typer listed them).
        listed = sorted(node.commands.items(), key=lambda item: isinstance(item[1], Group))
        panel("コマンド", [(name, sub.summary) for name, sub in listed])
    out.print(Lines(*parts))


def _usage(node: Command | Group, path: str) -> str:
    if isinstance(node, Group):
        return f"{path} [オプション] コマンド [引数]..."
    arguments = " ".join(p.metavar if p.required else f"[{p.metavar}]" for p in node.params if p.is_argument)
    return f"{path} [オプション] {arguments}".rstrip()


def _flags(p: Param) -> str:
    return ", ".join([*p.flags, *([p.negative] if p.negative else [])])


def _described(p: Param) -> str:
    text = p.help
    if p.required:
        text += " [必須]"
    elif p.is_flag and p.negative:
        text += f" [既定: {p.flags[0] if p.default else p.negative}]"
    elif not p.is_flag and p.default not in (None, "", []):
        text += f" [既定: {p.default}]"
    return text


__all__ = ["HELP_OPTION_TEXT", "print_help"]
