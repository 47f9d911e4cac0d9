"""The worker processes that read returns: how many an inbox is worth, and their start.

Apart from the reader (`return_files`, whose imports take a twentieth of a second) so that a
command can start the workers first thing (cli/startup.py): they then import the reader while
this process does too, instead of after it. Only the standard library (and the openpyxl import hook) is imported here.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import contextlib
import gc
import importlib
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import TypeVar

from envplan.workbook.openpyxl_import import keep_numpy_out_of_openpyxl

T = TypeVar("T")
R = TypeVar("R")

# Below this many files per process, starting a worker (it imports the reader, about a tenth of a
# second, and its results travel back) costs more than it saves: the files are read in this process.
MIN_FILES_PER_WORKER = 150
# A worker started first thing (`prefetch`) gets ready while this process imports and reads the
# master, time it would not read in anyway: worth it for far fewer files (one worker from 80).
MIN_FILES_TO_PREFETCH = 40


# What a consolidation's workers do once the returns are read: the feedback copies. Their writer
# (with openpyxl, a twentieth of a second) is imported in the workers' idle time, after the reading
# handed out first (`ReturnReader.prefetch`), so that the copies start without it.
FEEDBACK_WRITER = "envplan.survey.feedback"


def workers_worth(jobs: int, n_files: int, per_worker: int = MIN_FILES_PER_WORKER) -> int:
    """How many workers `n_files` are worth with `jobs` processes in all (this one reads too): 0 or `jobs - 1`."""
    return jobs - 1 if min(jobs, n_files // per_worker) - 1 >= 1 else 0


def workers_ahead(jobs: int, n_files: int) -> int:
    """How many workers to start first thing for an inbox of `n_files` (`ReturnReader.prefetch`, cli/startup.py)."""
    return workers_worth(jobs, n_files, MIN_FILES_TO_PREFETCH)


def start_pool(workers: int, preload: tuple[str, ...] = ()) -> cf.ProcessPoolExecutor:
    """`workers` processes, started now; each imports the `preload` modules as it starts (the
    modules its tasks come from, so the first task does not wait for them)."""
    # spawn: the same on every platform, and safe beside threads in the parent.
    _workers_skip_main()
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_start, initargs=(gc.get_threshold(), preload))
    with sigint_ignored():
        for _ in range(workers):
            pool.submit(int)  # a worker is started by its first task
    return pool


def _workers_skip_main() -> None:
    """A spawned worker first runs the parent's main script again, unless that is a package's
    `__main__` module (multiprocessing leaves those alone). The `envplan` launcher that pip
    writes is such a script: each worker would import the whole command line (four tenths of a
    second) and go through its start. The workers need only the reader, and nothing of the
    launcher: it is given the spec of envplan's own guarded `__main__`, as `python -m envplan` has."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None and getattr(main, "__file__", None):
        import importlib.util

        main.__spec__ = importlib.util.find_spec("envplan.__main__")


def _worker_start(collector_thresholds: tuple[int, ...], preload: tuple[str, ...]) -> None:
    """Worker start (Windows passes no ignored signal to a child): the parent handles Ctrl-C.
    The collector looks for cycles at the parent's pace (a command sets its own, cli/startup.py).
    A worker that makes feedback copies imports openpyxl, without numpy as the parent does; one
    that only reads returns never imports it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(*collector_thresholds)
    keep_numpy_out_of_openpyxl()
    atexit.register(_worker_end)
    import_modules(preload)


def import_modules(names: tuple[str, ...]) -> None:
    """A worker's task: import `names` (what later tasks come from) ahead of them."""
    for name in names:
        importlib.import_module(name)


def _worker_end() -> None:
    """A worker's end, as the command's own (cli/startup.end_process): the collector's last
    pass over what the process is about to give back took a command's exit a fiftieth of a
    second, waiting for the worker."""
    gc.disable()
    gc.freeze()


def claim(path: str) -> bool:
    """Take a handed-out task (`return_files.Handout`): True for the one process, worker or this
    one, that creates its claim file first. A pool cannot take back a task once it has queued
    it for a worker (one per worker beyond the one being done): this process waited a feedback
    copy's time for such a task while it had none left to do itself."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except (FileExistsError, FileNotFoundError):  # taken, or the tasks are over (their folder removed)
        return False
    return True


def claimed(fn: Callable[[T], R], path: str, item: T) -> tuple[bool, R | None]:
    """A worker's task of a `Handout`: `fn(item)` unless the task is taken already."""
    return (True, fn(item)) if claim(path) else (False, None)


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ctrl-C ignored while workers are started or handed tasks: they inherit it, so only this
    process stops on Ctrl-C, once, without their tracebacks."""
    if signal.getsignal(signal.SIGINT) is None:  # a handler set outside Python (embedded): not ours to swap
        yield
        return
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals are not ours to change
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


__all__ = ["FEEDBACK_WRITER", "MIN_FILES_PER_WORKER", "MIN_FILES_TO_PREFETCH", "claim", "claimed", "import_modules", "sigint_ignored", "start_pool", "workers_ahead", "workers_worth"]
