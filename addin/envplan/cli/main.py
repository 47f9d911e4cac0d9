"""The `envplan` command: a thin door onto the core (each verb in its own module)."""

from __future__ import annotations

import sys

# Importing a verb's module registers its commands on `app`.
from envplan.cli import addin, compute, consolidate, demo, issue, master, publish, remind, serve, target, year  # noqa: F401
from envplan.cli.app import app, run  # noqa: F401  (app: re-exported)


def main() -> None:
    sys.exit(run())  # run: usage errors, Ctrl-C and failures in Japanese, never a traceback


if __name__ == "__main__":
    main()
