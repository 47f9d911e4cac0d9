"""How an `envplan` command's process is set up, before anything else is imported.

All of it is about a command being one short run; the server and the Excel add-in, which
live long, keep Python's defaults.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from envplan.workbook.openpyxl_import import import_openpyxl_without_numpy

if TYPE_CHECKING:
    from envplan.survey.return_files import ReturnReader

# A command makes a great many objects (pydantic's models as they are imported, a workbook's
# cells, a thousand returns' readings): at the collector's default pace (a look for cycles
# every 700 new objects) a consolidation spent a tenth of its time there. Every 10,000 still
# finds them, far less often. The reading workers take this process's pace (survey/return_files.py).
COLLECTOR_THRESHOLDS = (10_000, 20, 20)


def prepare_process(args: list[str] | None = None) -> None:
    """The process set up for one command: until `imports_done`, no collection at all (the
    imports make modules, classes and functions, which live as long as the process: each pass
    over them, a millisecond, found nothing to free)."""
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    gc.disable()
    _read_ahead(sys.argv[1:] if args is None else args)
    import_openpyxl_without_numpy()


def imports_done() -> None:
    """The command line's modules are imported: they are set aside from the collector's passes
    (`gc.freeze`) and collection resumes at the command's pace, for what the command makes."""
    gc.freeze()
    gc.enable()


@contextlib.contextmanager
def importing(*modules: str) -> Iterator[None]:
    """A command's own `modules`, imported as it starts (cli/consolidate.py), as the command
    line's are: without collections, then set aside (`imports_done`). Where they are imported
    already (a process that runs commands in turn, as the tests do), nothing more is set aside."""
    if all(name in sys.modules for name in modules):
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        imports_done()


def worker_count(jobs: int) -> int:
    """`--jobs` (0: the CPUs' number), never more than Windows allows (61). How many of them an
    inbox is worth is the reader's own rule (return_files.ReturnReader)."""
    return min(jobs or os.cpu_count() or 1, 61)


# --- reading the inbox before the command's imports ----------------------------------------

_ahead: tuple[tuple[Path, Path, int], ReturnReader | None] | None = None


def _read_ahead(args: list[str]) -> None:
    """`envplan consolidate MASTER INBOX`: the reading workers start now, on a first look at the
    arguments, and read who sent what while this process imports the command (four tenths of a
    second, a fifth of consolidating 1,000 returns). They are started before this process
    imports the reader itself (a twentieth of a second), which they import meanwhile. The
    command checks its arguments itself and takes this reader only for the same master, inbox
    and --jobs (`take_reader_ahead`); any other is stopped unused, so a wrong first look costs
    time, never a result."""
    global _ahead
    target = consolidate_arguments(args)
    if target is None or not _main_process():
        return
    from envplan.survey.inbox import list_inbox
    from envplan.survey.read_workers import start_pool, workers_ahead

    master, inbox, jobs = target
    try:
        files: list[Path] | None = list_inbox(inbox)[0]
    except OSError:
        files = None  # no inbox: the command says so
    workers = workers_ahead(jobs, len(files)) if files is not None else 0
    pool = start_pool(workers, preload=("envplan.survey.return_files",)) if workers else None
    from envplan.survey.return_files import reading_ahead

    _ahead = (target, reading_ahead(master, inbox, jobs=jobs, pool=pool, files=files))


def _main_process() -> bool:
    """Not a worker being started: one that runs the `envplan` launcher script again (as
    multiprocessing does) gets the parent's arguments, and must not start readers of its own."""
    import multiprocessing

    return multiprocessing.current_process().name == "MainProcess"


def consolidate_arguments(args: list[str]) -> tuple[Path, Path, int] | None:
    """(master, inbox, workers) of a plain `consolidate` command line, or None."""
    if not args or args[0] != "consolidate":
        return None
    positional: list[str] = []
    jobs = 0
    rest = iter(args[1:])
    for arg in rest:
        value = None
        if arg in ("--jobs", "--feedback"):  # the options that take a value
            value = next(rest, None)
        elif arg.startswith(("--jobs=", "--feedback=")):
            arg, value = arg.split("=", 1)
        elif arg in ("--help", "-h", "--") or not arg:
            return None
        elif not arg.startswith("-"):
            positional.append(arg)
        if arg == "--jobs":
            if value is None or not value.isdigit():
                return None
            jobs = int(value)
    if len(positional) != 2:
        return None
    return Path(positional[0]), Path(positional[1]), worker_count(jobs)


def take_reader_ahead(master: Path, inbox: Path, workers: int) -> ReturnReader | None:
    """The reader started before the imports, if it was started for these arguments."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is None:
        return None
    target, reader = ahead
    if target == (Path(master), Path(inbox), workers):
        return reader
    if reader is not None:
        reader.finish()
    return None


def end_process(code: int) -> NoReturn:
    """The command is done: the process ends with `code` as Python's own shutdown would end it —
    its other threads finished (the reading workers' manager, once they have exited), the exit
    handlers run (logging, multiprocessing, openpyxl's temporary files), the output flushed — but
    without freeing, one by one, the objects the process is about to give back (the collector's
    last pass over them was a seventh of a consolidation of 100 returns; the freeing, a fiftieth
    of a second more). As mypy ends its runs, with the exit handlers kept."""
    take_reader_ahead(Path(), Path(), 0)  # one the command never took (it stopped early) stops here
    gc.disable()
    gc.freeze()
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (`| head`), a stream closed
            pass
    os._exit(code)


__all__ = ["COLLECTOR_THRESHOLDS", "consolidate_arguments", "end_process", "imports_done", "importing", "prepare_process", "take_reader_ahead", "worker_count"]
