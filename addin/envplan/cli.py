"""The `envplan` command: a thin door onto the core (each verb in its own module)."""

from __future__ import annotations

import sys

from .cli_app import app, run  # noqa: F401  (app: re-exported)
from . import cli_master, cli_demo  # noqa: F401  (register commands)
from . import cli_compute  # noqa: F401
from . import cli_issue, cli_consolidate, cli_year  # noqa: F401
from . import cli_publish  # noqa: F401
from . import cli_addin  # noqa: F401


def main() -> None:
    sys.exit(run())  # run: usage errors, Ctrl-C and failures in Japanese, never a traceback


if __name__ == "__main__":
    main()
