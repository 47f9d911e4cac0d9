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


def loaded(names: tuple[str, ...]) -> tuple[int, list[str]]:
    """Which of `names` a worker has imported by the time it runs this: (pid, names)."""
    import os
    import sys

    return os.getpid(), sorted(n for n in names if n in sys.modules)


def loaded_slowly(names: tuple[str, ...]) -> tuple[int, list[str]]:
    """`loaded`, slow enough that the workers take some of the tasks."""
    import time

    found = loaded(names)
    time.sleep(0.05)
    return found


def pid_after(seconds: float) -> int:
    """The worker's pid, after `seconds` of work."""
    import os
    import time

    time.sleep(seconds)
    return os.getpid()


def ends_in_a_worker(item: tuple[str, float]) -> int:
    """A task on one file (`item`: its path, seconds of work) that ends the worker doing it, as
    the system ends a process out of memory; done here, this process's pid."""
    import multiprocessing
    import os
    import time

    time.sleep(item[1])
    if multiprocessing.parent_process() is not None:
        os._exit(137)
    return os.getpid()
