"""The returned files in an inbox: what kind of file each is, its hash, and its
reading (whole, or its identity sheet alone), done in this process and worker
processes with the fast reader (`ReturnReader`).

Each file is checked before it is opened: its extension (.xls and .ods get a
message that says what to do), whether it is a zip at all (a truncated file,
a password-protected one), then read with python-calamine through
`return_reader.read_return` and its signature checked with the master's key.
Only small, picklable results travel back from the workers.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from envplan.plan.diagnostics import Diagnostic
from envplan.survey import return_safety
from envplan.survey.identity_sheet import identity_source
from envplan.survey.inbox import RETURN_SUFFIXES, list_inbox
from envplan.survey.read_workers import FEEDBACK_WRITER, MIN_FILES_PER_WORKER, claim, claimed, import_modules, sigint_ignored, start_pool, workers_ahead, workers_worth
from envplan.survey.return_reader import ReturnReading, check_signature, read_return
from envplan.survey.template_layout import IDENTITY_SHEET
from envplan.workbook.io import CalamineSource, WorkbookSource

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # .xls, and any password-protected Office file
WRONG_FORMATS = {
    ".xls": "「.xls形式は読み込めません。.xlsx形式で保存し直してください」（Excel の「名前を付けて保存」で「Excel ブック (*.xlsx)」を選びます）",
    ".ods": "「.ods形式は読み込めません。.xlsx形式で保存し直してください」（LibreOffice の「名前を付けて保存」で「Excel 2007-365 (.xlsx)」を選びます）",
    ".xlsb": "「.xlsb形式は読み込めません。.xlsx形式で保存し直してください」",
    ".csv": "CSV では取り込めません。お送りした様式（.xlsx）に入力して、そのまま保存して送ってください",
}

OpenSource = Callable[[Path], WorkbookSource]
_Item = tuple[str, bytes, str, OpenSource | None, bool]  # what a worker is handed for one file
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class ReturnFile:
    """One file of the inbox after reading (no master knowledge yet)."""

    file: str  # name, for messages
    path: str
    sha256: str = ""
    size: int = 0
    saved_at: str = ""  # the workbook's own last-saved time (docProps/core.xml), if any
    mtime: float = 0.0
    reading: ReturnReading | None = None
    problems: list[Diagnostic] = field(default_factory=list)  # errors about the file as a whole

    @property
    def attributable(self) -> bool:
        """Ours and untampered: its identity (department, year) can be trusted."""
        return self.reading is not None and self.reading.content is not None and not self.problems


def time_key(rf: ReturnFile) -> tuple[Any, ...]:
    """Which of a department's returns is the later: issued later, then saved later, then
    modified later, then the later name."""
    ident = rf.reading.identity if rf.reading else None
    return (_parse_time(ident.issued_at if ident else ""), _parse_time(rf.saved_at), rf.mtime, rf.file)


def _parse_time(text: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _error(code: str, message: str, file: str, sheet: str = "", value: str = "") -> Diagnostic:
    return Diagnostic(code, message, sheet, "", "error", file=file, value=value)


def inspect_return(path: Path, key: bytes, key_fingerprint: str, open_source: OpenSource | None = None, *, identity_only: bool = False) -> ReturnFile:
    """The file read whole, or with `identity_only` its identity sheet alone (only the parts
    that reading opens are scanned): enough to know whose return it is, when it was issued
    and whether it is ours, so that a return superseded by a newer one need not be read."""
    path = Path(path)
    rf = ReturnFile(path.name, str(path))
    # Issue 7 (return_safety): a device, pipe or oversized file is refused before it is read.
    refused = return_safety.check_file(path, rf.file)
    if refused is not None:
        rf.problems.append(refused)
        return rf
    try:
        data = path.read_bytes()
        rf.mtime = path.stat().st_mtime
    except OSError as e:
        rf.problems.append(_error("RETURN_UNREADABLE", f"ファイルを開けません（{e.strerror or e}）", rf.file))
        return rf
    rf.sha256 = hashlib.sha256(data).hexdigest()
    rf.size = len(data)
    suffix = path.suffix.lower()
    if suffix not in RETURN_SUFFIXES:
        message = WRONG_FORMATS.get(suffix, f"Excel のワークブック（.xlsx）ではありません（拡張子「{path.suffix or 'なし'}」）。お送りした様式に入力して .xlsx 形式で送ってください")
        code = "RETURN_XLS" if suffix == ".xls" else "RETURN_WRONG_FORMAT"
        rf.problems.append(_error(code, message, rf.file))
        return rf
    if not data:
        rf.problems.append(_error("RETURN_TRUNCATED", "ファイルが空です（0バイト）。保存し直して送ってください", rf.file))
        return rf
    # Issue 7 (return_safety): zip bomb, DTD/entities, limits, encryption — before any parser opens the file.
    safety = return_safety.scan_return(data, rf.file, only_sheets=frozenset({IDENTITY_SHEET}) if identity_only else None)
    if not safety.ok:
        rf.problems += safety.problems
        return rf
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(OLE_MAGIC):
            rf.problems.append(
                _error("RETURN_ENCRYPTED_OR_XLS", "パスワード付きのファイルか、拡張子だけが .xlsx の .xls 形式のファイルです。パスワードを外し、.xlsx形式で保存し直してください", rf.file)
            )
        elif data.startswith(b"PK"):
            rf.problems.append(_error("RETURN_TRUNCATED", "ファイルが途中で切れているか壊れています（送信やコピーの途中で欠けた可能性があります）。元のファイルを保存し直して送ってください", rf.file))
        else:
            rf.problems.append(_error("RETURN_NOT_WORKBOOK", "このファイルの中身は Excel のワークブック（.xlsx）ではありません。お送りした様式に入力して保存したファイルを送ってください", rf.file))
        return rf
    rf.saved_at = safety.saved_at if safety.saved_at is not None else _saved_at(data)
    reading = _verified_identity(rf.file, safety, key, key_fingerprint) if identity_only and open_source is None else None
    if reading is None:
        try:
            source = open_source(path) if open_source else CalamineSource(path)
            try:
                reading = read_return(source, identity_only=identity_only)
            finally:
                close = getattr(source, "close", None)
                if close:
                    close()
        except Exception as e:  # the reader's own failures on a damaged file: report, never crash the run
            rf.problems.append(_error("RETURN_UNREADABLE", f"ワークブックとして読めません（{type(e).__name__}: {e}）。保存し直して送ってください", rf.file))
            return rf
    if not identity_only:
        return_safety.annotate(reading, safety)  # Issue 7: formulas, error values, merges, invisible characters in inputs
        if safety.percent_formats is not False:
            _percent_points(reading, data)
    for d in reading.diagnostics.items:
        d.file = rf.file
    bad_signature = check_signature(reading, key, key_fingerprint)
    if bad_signature is not None:
        bad_signature.file = rf.file
        rf.problems.append(bad_signature)
    if reading.content is None:
        rf.problems += [d for d in reading.diagnostics.errors]
        reading.diagnostics.items = [d for d in reading.diagnostics.items if d.severity != "error"]
    else:
        # Verified; the deviations already say what differs (a copy: the parsed identity is shared).
        reading.content = dataclasses.replace(reading.content, manifest={}, inputs=[] if identity_only else reading.content.inputs)
    rf.reading = reading
    return rf


def _verified_identity(label: str, safety: return_safety.SafetyScan, key: bytes, key_fingerprint: str) -> ReturnReading | None:
    """The identity sheet read from the scan's inflated XML, when that reading is verified by
    its signature and has nothing to say; None to read it with calamine (whose verdict stands)."""
    part = safety.sheet_parts.get(IDENTITY_SHEET)
    shared = [xml for name, xml in safety.kept.items() if name.endswith("sharedStrings.xml")]
    source = identity_source(label, safety.sheets, IDENTITY_SHEET, safety.kept.get(part or ""), shared[0] if len(shared) == 1 else None)
    if source is None:
        return None
    reading = read_return(source, identity_only=True)
    if reading.content is None or reading.diagnostics.items or check_signature(reading, key, key_fingerprint) is not None:
        return None
    return reading


PERCENT_UNITS = ("%", "％")
BUILTIN_PERCENT_FORMATS = return_safety.BUILTIN_PERCENT_FORMATS


def _percent_points(reading: ReturnReading, data: bytes) -> None:
    """A % indicator's cell shown as a percentage (「28.4%」 typed in Excel or LibreOffice is
    stored as 0.284) is read as the percent points the clerk saw: 28.4, like the same text
    typed as a string. Any other figure shown as a percentage (「50%」 for a count of 事業所,
    stored as 0.5) cannot be read for sure, and is an error naming the cell's 表示形式. Only the
    inputs holding a number are looked up in the XML."""
    wanted = [
        inp
        for inp in reading.inputs
        if inp.spec.kind in ("number", "amount") and isinstance(inp.found, (int, float)) and not isinstance(inp.found, bool) and inp.value is not None
    ]
    if not wanted:
        return
    formats = cell_number_formats(data, {(inp.spec.sheet, inp.spec.ref) for inp in wanted})
    for inp in wanted:
        if formats.get((inp.spec.sheet, inp.spec.ref), "") != "percent":
            continue
        if inp.spec.unit in PERCENT_UNITS and inp.spec.kind == "number":
            inp.value = round(float(inp.found) * 100, 10)
            continue
        shown = f"{float(inp.found) * 100:g}%"
        reading.diagnostics.error(
            "NUMBER_IS_PERCENT",
            f"{inp.spec.label}: セルの表示形式がパーセントのため「{shown}」と表示されています（保存された値は {inp.found:g}）。"
            f"単位は「{inp.spec.unit or '（なし）'}」です。表示形式を「標準」に戻し、%を付けずに数値を入力してください",
            inp.spec.sheet,
            inp.spec.ref,
            shown,
        )


def cell_number_formats(data: bytes, cells: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(sheet, ref) → "percent" or "other", for the given cells, by regular expressions on the
    (already safety-scanned) XML parts: no parser builds the workbook for this."""
    import html

    out: dict[tuple[str, str], str] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            styles = z.read("xl/styles.xml").decode("utf-8", "replace") if "xl/styles.xml" in names else ""
            percent_ids = set(BUILTIN_PERCENT_FORMATS)
            for num_id, code in re.findall(r'<numFmt\b[^>]*numFmtId="(\d+)"[^>]*formatCode="([^"]*)"', styles):
                if "%" in re.sub(r'"[^"]*"|\\.', "", html.unescape(code)):
                    percent_ids.add(int(num_id))
            xfs_block = re.search(r"<cellXfs\b.*?</cellXfs>", styles, re.S)
            xf_formats = [int(m[1]) if m[1] else 0 for m in re.finditer(r'<xf\b(?:[^>]*?numFmtId="(\d+)")?[^>]*>', xfs_block[0])] if xfs_block else []
            percent_xfs = {xf for xf, fmt in enumerate(xf_formats) if fmt in percent_ids}
            if not percent_xfs:  # no cell of the book is shown as a percentage: the sheets need no reading
                return {cell: "other" for cell in cells}
            book = z.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            targets = {}
            for tag in re.findall(r"<Relationship\b[^>]*>", rels):
                rid, target = re.search(r'\bId="([^"]*)"', tag), re.search(r'\bTarget="([^"]*)"', tag)
                if rid and target:
                    t = target[1].lstrip("/")
                    targets[rid[1]] = t if t.startswith("xl/") else f"xl/{t}"
            parts = {}
            for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book):
                name, rid = re.search(r'\bname="([^"]*)"', tag), re.search(r'\br:id="([^"]*)"', tag)
                if name and rid and rid[1] in targets:
                    parts[html.unescape(name[1])] = targets[rid[1]]
            by_sheet: dict[str, set[str]] = {}
            for sheet, ref in cells:
                by_sheet.setdefault(sheet, set()).add(ref)
            for sheet, refs in by_sheet.items():
                part = parts.get(sheet)
                if part is None or part not in names:
                    continue
                xml = z.read(part).decode("utf-8", "replace")
                for tag in re.finditer(r'<c\b[^>]*\br="([A-Z]+[0-9]+)"[^>]*>', xml):
                    if tag[1] in refs:
                        style = re.search(r'\bs="(\d+)"', tag[0])
                        out[(sheet, tag[1])] = "percent" if style and int(style[1]) in percent_xfs else "other"
                for ref in refs:
                    out.setdefault((sheet, ref), "other")
    except (KeyError, zipfile.BadZipFile, OSError, ValueError):
        return out
    return out


def _saved_at(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            core = z.read("docProps/core.xml").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError):
        return ""
    m = re.search(r"<dcterms:modified[^>]*>([^<]+)<", core)
    return m[1].strip() if m else ""


def _inspect(args: _Item) -> ReturnFile:
    path, key, fp, open_source, identity_only = args
    return inspect_return(Path(path), key, fp, open_source, identity_only=identity_only)


# Up to this many files, a worker reads them ahead (`_inspect_ahead`): each by its identity sheet
# (0.5 ms), and each department's latest ones whole (1.7 ms each).
WHOLE_AHEAD_UP_TO = 150


# A large inbox's workers are busy reading who sent what until this process has read its share.
# The feedback writer's import (a twentieth of a second) queued then came before their share of the
# reading whole that follows: this process read the synthetic plan's 31 latest returns alone (42 ms
# at N = 1,000). From this many files on, the import is queued after them (15 interleaved runs: 614 →
# 603 ms); for fewer (the Shinagawa sample's 8), before, so that the worker is ready for the
# feedback copies that come next (after them: 583 → 595 ms).
SHARE_BEFORE_IMPORT = 16

# A handful of files (the older returns of departments whose latest was sent back) is read here:
# about 2 ms each, less than handing them to a worker that may be busy (importing the feedback writer).
READ_HERE_UP_TO = 6


class ReturnReader:
    """Reads returns with the master's key, in this process and up to `jobs - 1` worker
    processes: one pool for the whole run (started on the first large enough batch), so a
    second batch of files (the returns that need reading whole) finds the workers warm."""

    def __init__(self, key: bytes, key_fingerprint: str, *, jobs: int = 1, open_source: OpenSource | None = None, pool: cf.ProcessPoolExecutor | None = None) -> None:
        """`pool`: workers started already (`read_workers.start_pool`), this reader's from now on."""
        self.key, self.fingerprint, self.jobs, self.open_source = key, key_fingerprint, jobs, open_source
        self._pool = pool
        # (items, their chunks handed out, read ahead?) by `prefetch`
        self._prefetched: tuple[list[_Item], Handout[list[_Item], Any], bool] | None = None
        self._read_whole: dict[str, ReturnFile] = {}  # path → its reading whole, done ahead
        self._handouts: list[Handout[Any, Any]] = []
        self._import_later: tuple[str, ...] = ()  # `prefetch`'s then_import, put off until the reading whole is handed out

    def __enter__(self) -> ReturnReader:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None and self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)  # on Ctrl-C: no new chunk starts
            self._pool = None
        self.finish()

    def finish(self) -> None:
        """No more reading: the workers exit while this process goes on (they take a fifth of a
        second to wind down, time the master's write would otherwise wait for at the end)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self._prefetched = None
        self._read_whole = {}
        for handout in self._handouts:
            handout.close()
        self._handouts = []

    @property
    def prefetching(self) -> bool:
        """Files handed to the workers ahead (`prefetch`), not yet taken by `read`."""
        return self._prefetched is not None

    @property
    def unread(self) -> int:
        """How many of the files handed to the workers ahead (`prefetch`) they have still to read."""
        if self._prefetched is None:
            return 0
        return sum(len(chunk) for chunk in self._prefetched[1].unfinished())

    def start(self, n_files: int, *, ahead: bool = False) -> None:
        """Start the workers for `n_files` now (if that many are worth them; `ahead`, started
        first thing, they are worth it for fewer), so that they get ready while this process does
        something else (reads the master)."""
        workers = workers_ahead(self.jobs, n_files) if ahead else workers_worth(self.jobs, n_files, MIN_FILES_PER_WORKER)
        if self._pool is None and workers:
            self._pool = start_pool(workers, preload=(__name__,))

    def prefetch(self, paths: Iterable[Path], *, then_import: tuple[str, ...] = ()) -> None:
        """Hand `paths` to the workers now, before this process has anything to do with the
        readings (it is still importing, reading the master); `read` of the same files, in the
        same order, takes what they read. A large inbox is read by its identity sheets; a small one
        too, with each department's latest returns read whole as well (`_inspect_ahead`: their
        later reading whole then takes no time). Then the workers import `then_import` (`preload`).
        Without workers worth starting, nothing happens."""
        if self._prefetched is not None:
            return
        paths = list(paths)
        items = self._items(paths, identity_only=True)
        self.start(len(items), ahead=True)
        if self._pool is not None and len(items) > 1:
            ahead = len(items) <= WHOLE_AHEAD_UP_TO
            # Ahead, one chunk per worker: the latest of a department is the latest among the files it sees.
            chunks = self._chunks(items, per_worker=ahead)
            reading: Handout[list[_Item], Any] = self.hand_out(_inspect_ahead, chunks, here=_identities_ahead) if ahead else self.hand_out(_inspect_all, chunks)
            self._prefetched = (items, reading, ahead)
            if ahead:
                self.preload(then_import)
            else:  # busy until this process has read its share: the import waits for the reading whole (`SHARE_BEFORE_IMPORT`)
                self._import_later = then_import

    def read(self, paths: Iterable[Path], *, identity_only: bool = False) -> Iterator[ReturnFile]:
        """Inspect every file; yields in the given order."""
        items = self._items(paths, identity_only)
        if not identity_only and self._read_whole:
            # Read whole ahead (`prefetch`): taken as read then, the rest read now.
            ahead = {item[0]: self._read_whole.pop(item[0]) for item in items if item[0] in self._read_whole}
            rest = iter(self._read_items([item for item in items if item[0] not in ahead], identity_only) if len(ahead) < len(items) else ())
            for item in items:
                yield ahead[item[0]] if item[0] in ahead else next(rest)
            return
        yield from self._read_items(items, identity_only)

    def _read_items(self, items: list[_Item], identity_only: bool) -> Iterator[ReturnFile]:
        prefetched, self._prefetched = self._prefetched, None
        if prefetched is not None and identity_only and [i[:4] for i in prefetched[0]] == [i[:4] for i in items]:
            _, chunks, ahead = prefetched
        else:
            if prefetched is not None:  # the inbox changed since: what was handed out is not used
                prefetched[1].close()
            self.start(len(items))
            if self._pool is None or len(items) <= READ_HERE_UP_TO:
                self._preload_later()
                for item in items:
                    yield _inspect(item)
                return
            if len(items) < SHARE_BEFORE_IMPORT:
                self._preload_later()
            chunks, ahead = self.hand_out(_inspect_all, self._chunks(items)), False
            self._preload_later()
        # This process reads, as asked, every chunk no worker has started yet (so it does a
        # worker's share while one is still starting); a chunk handed out ahead is read by identity.
        for done in chunks.results():
            if ahead:
                # The readings by identity; the latest ones read whole, ours, kept for the reading whole that follows.
                self._read_whole.update((whole.path, whole) for _, whole in done if whole is not None and whole.attributable)
                yield from (identity for identity, _ in done)
            else:
                yield from done

    def preload(self, modules: tuple[str, ...]) -> None:
        """Have the workers import `modules` once they have read what they were handed (an idle
        worker's time): the module of a later `hand_out` (the feedback copies' writer and openpyxl,
        a twentieth of a second) is then ready when its tasks come."""
        if self._pool is not None and modules:
            with sigint_ignored(), contextlib.suppress(cf.BrokenExecutor):  # a worker ended: the reading says so
                for _ in range(self.jobs - 1):
                    self._pool.submit(import_modules, modules)

    def _preload_later(self) -> None:
        """The import `prefetch` put off, queued now (after what was just handed out)."""
        modules, self._import_later = self._import_later, ()
        self.preload(modules)

    @property
    def has_workers(self) -> bool:
        return self._pool is not None

    def hand_out(self, fn: Callable[[T], R], items: Iterable[T], *, here: Callable[[T], R] | None = None) -> Handout[T, R]:
        """`fn` of every item, started on the workers now (this process goes on with something
        else); `Handout.results` does here what no worker has started by then (with `here`, if
        given, instead of `fn`). Without workers, everything is done here, then. Tasks whose
        results are not taken before `finish` are dropped."""
        handout = Handout(self._pool, fn, items, here=here)
        self._handouts.append(handout)
        return handout

    def _items(self, paths: Iterable[Path], identity_only: bool) -> list[_Item]:
        return [(str(p), self.key, self.fingerprint, self.open_source, identity_only) for p in paths]

    def _chunks(self, items: list[_Item], *, per_worker: bool = False) -> list[list[_Item]]:
        workers = max(1, self.jobs - 1)
        size = -(-len(items) // workers) if per_worker else max(1, min(32, len(items) // (self.jobs * 4)))
        return [items[i : i + size] for i in range(0, len(items), size)]


class WorkersLost(RuntimeError):
    """A worker process ended (killed, out of memory) before it finished what it was handed.
    `files`: the returns of the tasks left unfinished (for the message)."""

    def __init__(self, files: list[str]) -> None:
        super().__init__(f"{len(files)} files unfinished by a worker that ended")
        self.files = files


class Handout(Generic[T, R]):
    """Tasks handed to the reader's workers (see `ReturnReader.hand_out`). Each is done by the
    process that claims it first (`read_workers.claim`): the workers take them from the first on,
    this process from the last back in `results`, until the two meet."""

    def __init__(self, pool: cf.ProcessPoolExecutor | None, fn: Callable[[T], R], items: Iterable[T], *, here: Callable[[T], R] | None = None) -> None:
        self._pool, self._fn, self._here = pool, fn, here or fn
        self._items: list[T] = []
        self._futures: dict[int, cf.Future[tuple[bool, R | None]]] = {}  # task number → its future, for the tasks handed out
        self._claims: str | None = None  # the claim files' folder, while the tasks are on
        self.add(items)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, items: Iterable[T]) -> None:
        """More tasks, handed out now (after the ones before)."""
        new, first = list(items), len(self._items)
        self._items += new
        if self._pool is None or not new:
            return
        if self._claims is None:
            self._claims = tempfile.mkdtemp(prefix="envplan-tasks-")
        # Ctrl-C reaches every process of the terminal: the workers are started with it
        # ignored (inherited), so only this process stops, once, without their tracebacks.
        with sigint_ignored():
            for i, item in enumerate(new, first):
                try:
                    self._futures[i] = self._pool.submit(claimed, self._fn, self._claim(i), item)
                except cf.BrokenExecutor:  # a worker ended: what is not handed out is done here (`results`)
                    break

    def results(self, *, redo_here: bool = False) -> list[R]:
        """Every item's result, in order. A task a worker took but did not finish (the worker
        ended: killed, out of memory) raises WorkersLost, or with `redo_here` is done here again
        (it may be what ended the worker: the caller decides whether to risk this process too)."""
        try:
            if self._claims is None:
                return [self._here(item) for item in self._items]
            mine = {i: self._here(self._items[i]) for i in reversed(range(len(self._items))) if claim(self._claim(i))}
            theirs: dict[int, tuple[bool, R | None]] = {}
            lost: list[int] = []
            for i, future in self._futures.items():
                if i not in mine:
                    try:
                        theirs[i] = future.result()
                    except cf.BrokenExecutor:
                        lost.append(i)
            if lost and not redo_here:
                raise WorkersLost([name for i in lost for name in _file_names(self._items[i])])
            mine.update((i, self._here(self._items[i])) for i in lost)
            assert all(done for done, _ in theirs.values()), "a task neither process did"
            return [mine[i] if i in mine else theirs[i][1] for i in range(len(self._items))]  # type: ignore[misc]
        finally:
            self.close()

    def unfinished(self) -> list[T]:
        """The items handed to the workers whose tasks are not done yet."""
        return [self._items[i] for i, future in self._futures.items() if not future.done()]

    def close(self) -> None:
        """The tasks are over: none not started starts now, and a worker that comes to one
        anyway leaves it (its claim fails)."""
        for future in self._futures.values():
            future.cancel()
        if self._claims is not None:
            shutil.rmtree(self._claims, ignore_errors=True)
            self._claims = None

    def _claim(self, i: int) -> str:
        assert self._claims is not None
        return os.path.join(self._claims, str(i))


def _file_names(task: object) -> list[str]:
    """The returns' file names in a reading's task: a file's `_Item`, or a chunk of them (the
    feedback copies' tasks are done here again, `FeedbackCopies.results`, never reported)."""
    if isinstance(task, list):
        return [name for item in task for name in _file_names(item)]
    return [Path(task[0]).name] if isinstance(task, tuple) and task and isinstance(task[0], str) else []


def reading_ahead(master: Path, inbox: Path, *, jobs: int, pool: cf.ProcessPoolExecutor | None = None, files: list[Path] | None = None) -> ReturnReader | None:
    """A reader whose workers are already reading who sent what in `inbox`, started before the
    consolidation's own imports (a fifth of a second); None when it cannot be (no key, no inbox:
    the consolidation says so itself; `pool`, workers started for it, then stops). `files`: the
    inbox's, listed already (`inbox.list_inbox`). The caller closes it."""
    from envplan.survey.template_identity import SigningKeyError, key_id, load_key

    try:
        key = load_key(master)
        if files is None:
            files = list_inbox(inbox)[0]
    except (SigningKeyError, OSError):
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        return None
    reader = ReturnReader(key, key_id(key), jobs=jobs, pool=pool)
    reader.prefetch(files, then_import=(FEEDBACK_WRITER,))
    return reader


def _inspect_all(items: list[_Item]) -> list[ReturnFile]:
    return [_inspect(item) for item in items]


_Ahead = tuple[ReturnFile, "ReturnFile | None"]  # (reading by identity, reading whole or None)


# Of each department, this many latest returns are read whole ahead: the latest, which the
# consolidation reads whole first, and the one it reads next when the latest is sent back. Measured
# at N = 100 (interleaved runs): one, 458 ms for the Shinagawa sample; two, 445 ms; three, 448 ms,
# and the synthetic plan's 30 departments 445 → 449 → 472 ms (the worker then read until the
# master was checked). Every file whole ahead took the time the workers then lacked for the
# feedback copies; the older ones in the order they may be needed, in further tasks, cost this
# process more, in receiving them, than it saved.
WHOLE_AHEAD_PER_DEPARTMENT = 2


def _identities_ahead(items: list[_Item]) -> list[_Ahead]:
    """A chunk of `_inspect_ahead` that this process does itself: by the identity sheet alone."""
    return [(rf, None) for rf in _inspect_all(items)]


def _inspect_ahead(items: list[_Item]) -> list[_Ahead]:
    """A worker's reading ahead of a small inbox: every file by its identity sheet, and of each
    department's returns among them the latest ones (`time_key`, the consolidation's order,
    `WHOLE_AHEAD_PER_DEPARTMENT`) whole too. The others are read whole only when asked."""
    read = [_inspect((*item[:4], True)) for item in items]
    by_department: dict[str, list[int]] = {}
    for i, rf in enumerate(read):
        ident = rf.reading.identity if rf.attributable and rf.reading is not None else None
        if ident is not None:
            by_department.setdefault(ident.department, []).append(i)
    latest = [i for indices in by_department.values() for i in sorted(indices, key=lambda i: time_key(read[i]), reverse=True)[:WHOLE_AHEAD_PER_DEPARTMENT]]
    whole = {i: _inspect((*items[i][:4], False)) for i in latest}
    return [(rf, whole.get(i)) for i, rf in enumerate(read)]




__all__ = ["ReturnFile", "ReturnReader", "WorkersLost", "inspect_return", "reading_ahead", "time_key"]
