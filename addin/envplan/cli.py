"""The `envplan` command: a thin door onto the core (each verb in its own module)."""

from __future__ import annotations

from .cli_app import app
from . import cli_master, cli_demo  # noqa: F401  (register commands)
from . import cli_compute  # noqa: F401
from . import cli_issue, cli_consolidate, cli_year  # noqa: F401
from . import cli_publish  # noqa: F401
from . import cli_addin  # noqa: F401


def main() -> None:
    app()


if __name__ == "__main__":
    main()
