"""The `envplan` command: a thin door onto the core (each verb in its own module)."""

from __future__ import annotations

from .cli_app import app
from . import cli_master, cli_demo  # noqa: F401  (register commands)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
