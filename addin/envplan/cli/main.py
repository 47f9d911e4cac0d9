"""The `envplan` command: a thin door onto the core (each verb in its own module)."""

from __future__ import annotations

from envplan.cli.startup import end_process, imports_done, prepare_process

prepare_process()  # before the imports below, which make most of the objects and bring openpyxl

# Importing a verb's module registers its commands on `app`.
from envplan.cli import addin, compute, consolidate, demo, issue, master, publish, remind, serve, target, year  # noqa: E402, F401
from envplan.cli.app import app, run  # noqa: E402, F401  (app: re-exported)

imports_done()


def main() -> None:
    end_process(run())  # run: usage errors, Ctrl-C and failures in Japanese, never a traceback


if __name__ == "__main__":
    main()
