"""Tasks handed to the reading workers by the tests: a module of its own, importing nothing, so
that a worker unpickling one imports no more than the task itself does."""

from __future__ import annotations


def numpy_after_feedback_import(item: int) -> tuple[int, int, bool, bool]:
    """What a worker making feedback copies has imported: (item, pid, openpyxl?, numpy?)."""
    import os
    import sys
    import time

    import envplan.survey.feedback  # noqa: F401  # the feedback writer, with openpyxl

    time.sleep(0.05)  # slow enough that the workers take some of the tasks
    return item, os.getpid(), "openpyxl" in sys.modules, "numpy" in sys.modules
