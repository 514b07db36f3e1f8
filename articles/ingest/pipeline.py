"""The import run: walk paths, skip what is unchanged, parse (on every core), store, record.

Files stream through in batches: memory stays flat however many files there are, and each
batch is one transaction with a savepoint per file, so a failing file rolls back only itself
and a killed process loses at most the batch it was writing (the next run redoes it).
"""

import hashlib
import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, reset_queries, transaction
from django.utils import timezone

from articles.ingest import bulk
from articles.ingest.locking import import_lock
from articles.ingest.parsing import ParseError, parse_bytes
from articles.ingest.store import Lookups, Outcome, create_many, keys_of, known_identities, store
from articles.models import ImportedFile, ImportFileResult, ImportRun

logger = logging.getLogger("articles.import")

NEWS_SUFFIXES = {".md", ".markdown", ".txt", ".text", ""}
BATCH = 200
PARALLEL_THRESHOLD = 64  # below this many files to parse, a process pool costs more than it saves


@dataclass
class FileOutcome:
    path: str
    outcome: str
    error: str = ""
    article_id: int | None = None


@dataclass
class RunReport:
    run_id: int | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    conflicts: int = 0
    duplicates: int = 0
    suppressed: int = 0
    ignored: int = 0
    failed: int = 0
    errors: list[dict] = field(default_factory=list)
    dry_run: bool = False

    def count(self, result: FileOutcome) -> None:
        attr = {
            Outcome.CREATED: "created",
            Outcome.UPDATED: "updated",
            Outcome.UNCHANGED: "unchanged",
            Outcome.CONFLICT: "conflicts",
            Outcome.DUPLICATE: "duplicates",
            Outcome.SUPPRESSED: "suppressed",
            Outcome.FAILED: "failed",
        }[result.outcome]
        setattr(self, attr, getattr(self, attr) + 1)
        if result.outcome == Outcome.FAILED:
            self.errors.append({"path": result.path, "error": result.error})

    @property
    def total(self) -> int:
        return (self.created + self.updated + self.unchanged + self.skipped + self.conflicts
                + self.duplicates + self.suppressed + self.failed)

    def as_dict(self) -> dict:
        return {
            "run": self.run_id, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "skipped": self.skipped, "conflicts": self.conflicts,
            "duplicates": self.duplicates, "suppressed": self.suppressed,
            "ignored": self.ignored, "failed": self.failed, "errors": self.errors,
            "dry_run": self.dry_run,
        }


class _DryRunRollback(Exception):
    pass


def iter_files(paths: Iterable[str | Path], report: RunReport) -> Iterator[str]:
    """Yield news files under `paths` (recursively, sorted); broken paths become failures."""
    for raw in paths:
        path = Path(raw)
        if path.is_symlink() and not path.exists():
            report.count(FileOutcome(str(path), Outcome.FAILED, "broken symlink (target missing)"))
            continue
        if path.is_dir():
            yield from _walk(path, report)
        elif path.exists():
            yield str(path)
        else:
            report.count(FileOutcome(str(path), Outcome.FAILED, "no such file or directory"))


def _walk(directory: Path, report: RunReport, seen: set[str] | None = None) -> Iterator[str]:
    seen = set() if seen is None else seen
    real = os.path.realpath(directory)
    if real in seen:
        return  # a symlink loop, or a folder linked in twice: read once
    seen.add(real)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        report.count(FileOutcome(str(directory), Outcome.FAILED,
                                 f"cannot list directory: {exc.strerror}"))
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name.endswith(("~", ".tmp", ".part", ".swp")):
            continue  # hidden, editor backups, files a scraper is still writing
        if entry.is_dir():  # a feed's folder may be linked into the drop folder: followed
            yield from _walk(Path(entry.path), report, seen)
        elif Path(entry.name).suffix.lower() not in NEWS_SUFFIXES:
            report.ignored += 1
        elif entry.is_symlink() and not os.path.exists(entry.path):
            report.count(FileOutcome(entry.path, Outcome.FAILED, "broken symlink (target missing)"))
        else:
            yield entry.path


def _batches(items: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _read_and_parse(job: tuple[str, int, str | None]):
    """Worker: return (path, ParsedArticle | None, content_hash | None, error)."""
    path, max_bytes, known_hash = job
    try:
        st = os.stat(path)
        if st.st_size > max_bytes:
            raise ParseError(f"file is too large ({st.st_size:,} bytes; the limit is {max_bytes:,})")
        with open(path, "rb") as handle:
            data = handle.read()
    except ParseError as exc:
        return path, None, None, str(exc)
    except FileNotFoundError:
        return path, None, None, "file disappeared while importing"
    except PermissionError:
        return path, None, None, "permission denied reading the file"
    except OSError as exc:
        return path, None, None, f"cannot read the file: {exc.strerror or exc}"
    content_hash = hashlib.sha256(data).hexdigest()
    if known_hash == content_hash:
        return path, None, content_hash, ""  # touched, not changed
    try:
        return path, parse_bytes(data, name=os.path.basename(path)), content_hash, ""
    except ParseError as exc:
        return path, None, content_hash, str(exc)
    except Exception as exc:  # a parser bug must not stop the run; report it as the file's failure
        return path, None, content_hash, f"unexpected parser error: {type(exc).__name__}: {exc}"


def import_paths(
    paths: Iterable[str | Path],
    *,
    status: str | None = None,
    dry_run: bool = False,
    max_bytes: int | None = None,
    workers: int | None = None,
    lock_wait: float = 5.0,
    progress: Callable[[RunReport], None] | None = None,
    force: bool = False,
) -> RunReport:
    """Import every news file under `paths`; return the run's counts and errors.

    Raises locking.LockBusy when another run holds the import lock.
    """
    status = status or settings.NEWSROOM_IMPORT_STATUS
    max_bytes = max_bytes or settings.NEWSROOM_IMPORT_MAX_BYTES
    workers = workers if workers is not None else (os.cpu_count() or 1)
    report = RunReport(dry_run=dry_run)
    with import_lock(wait=lock_wait):
        run = None
        if not dry_run:
            # We hold the lock, so a run still marked running died mid-way (kill -9, OOM).
            ImportRun.objects.filter(status=ImportRun.Status.RUNNING).update(
                status=ImportRun.Status.FAILED, finished_at=timezone.now()
            )
            run = ImportRun.objects.create(
                paths=[str(p) for p in paths], host=socket.gethostname(), pid=os.getpid()
            )
            report.run_id = run.pk
        lookups = Lookups()
        pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
        try:
            previous = None
            for batch in _batches(iter_files(paths, report), BATCH):
                jobs, known = _plan_batch(batch, report=report, max_bytes=max_bytes, force=force)
                current = (_parse_jobs(jobs, pool), known) if jobs else None
                if previous:
                    _store_batch(*previous, report=report, run=run, status=status, lookups=lookups,
                                 dry_run=dry_run)
                    if progress:
                        progress(report)
                    # Under DEBUG Django keeps every query's SQL; bulk inserts carry whole
                    # bodies, so without this memory would grow with the corpus.
                    reset_queries()
                previous = current
            if previous:
                _store_batch(*previous, report=report, run=run, status=status, lookups=lookups,
                             dry_run=dry_run)
        finally:
            if pool:
                pool.shutdown(cancel_futures=True)
            if run is not None:
                _finish_run(run, report)
    if not dry_run and (report.created or report.updated or report.conflicts):
        _after_changes()
    logger.info("import finished %s", {k: v for k, v in report.as_dict().items() if k != "errors"})
    return report


def _after_changes() -> None:
    try:  # the public site's cache layer, when present, learns that pages changed
        from articles.cache import bump_cache_version
    except ImportError:
        return
    bump_cache_version()


def _finish_run(run: ImportRun, report: RunReport) -> None:
    run.finished_at = timezone.now()
    for name in ("created", "updated", "unchanged", "skipped", "conflicts", "failed"):
        setattr(run, name, getattr(report, name))
    run.status = ImportRun.Status.FAILED if report.failed else ImportRun.Status.OK
    failed_paths = {e["path"] for e in report.errors}
    # Walk-time failures (broken symlinks, missing paths) are not in any batch's ledger rows.
    recorded = set(
        ImportFileResult.objects.filter(run=run, outcome=Outcome.FAILED).values_list("path", flat=True)
    )
    ImportFileResult.objects.bulk_create(
        [
            ImportFileResult(run=run, path=e["path"][:1000], outcome=Outcome.FAILED, error=e["error"])
            for e in report.errors
            if e["path"] in failed_paths - recorded
        ]
    )
    run.save()


def _plan_batch(batch, *, report, max_bytes, force):
    """Return (parse jobs, known ImportedFile rows) for files that changed since last seen."""
    known = {f.path: f for f in ImportedFile.objects.filter(path__in=batch)}
    jobs = []
    for path in batch:
        seen = known.get(path)
        if seen and not force:
            try:
                st = os.stat(path)
            except OSError:
                st = None
            if st and st.st_size == seen.size and st.st_mtime_ns == seen.mtime_ns:
                report.skipped += 1
                continue
        jobs.append((path, max_bytes, None if force else (seen.content_hash if seen else None)))
    return jobs, known


def _parse_jobs(jobs, pool):
    """Start parsing `jobs`; with a pool the work proceeds while the caller stores the last batch."""
    if pool and len(jobs) >= PARALLEL_THRESHOLD // 4:
        return pool.map(_read_and_parse, jobs, chunksize=8)
    return (_read_and_parse(job) for job in jobs)


def _store_batch(parsed, known, *, report, run, status, lookups, dry_run) -> None:
    parsed = list(parsed)
    run_id = run.pk if run else None
    results: dict[str, FileOutcome] = {}
    seen_rows: list[ImportedFile] = []
    try:
        with transaction.atomic():
            fresh, rest = _split_fresh(parsed)
            if fresh:
                try:
                    with transaction.atomic():
                        for article in create_many(fresh, run_id=run_id, status=status, lookups=lookups):
                            results[article.source_file] = FileOutcome(
                                article.source_file, Outcome.CREATED, article_id=article.pk)
                except DatabaseError:
                    # Something in the batch clashed after all: take the careful path, file by file.
                    lookups.__init__()
                    results.clear()
                    rest = parsed
            for path, article, content_hash, error in rest:
                results[path] = _store_one(path, article, content_hash, error, known.get(path),
                                           run=run, status=status, lookups=lookups)
            for path, _, content_hash, _ in parsed:
                result = results[path]
                if content_hash and result.outcome != Outcome.FAILED:
                    seen_rows.append(_seen_row(path, content_hash, result.article_id, known))
            if dry_run:
                raise _DryRunRollback
            _save_seen(seen_rows)
            bulk.insert(
                ImportFileResult,
                [
                    ImportFileResult(run=run, path=r.path[:1000], outcome=r.outcome,
                                     error=r.error, article_id=r.article_id)
                    for r in results.values()
                    if r.outcome != Outcome.UNCHANGED
                ]
            )
    except _DryRunRollback:
        lookups.__init__()  # rows created inside the rolled-back transaction are gone
    for path, *_ in parsed:
        report.count(results[path])


def _split_fresh(parsed):
    """Split parse results into brand-new stories (bulk-insertable) and everything else."""
    candidates = [(path, article) for path, article, _, error in parsed if article and not error]
    known = known_identities(candidates) if candidates else set()
    fresh, fresh_paths, batch_keys = [], set(), set()
    for path, article in candidates:
        keys = set(keys_of(article))
        if keys & known or keys & batch_keys:
            continue  # an update, a tombstone or a second copy within the batch
        batch_keys |= keys
        fresh.append((path, article))
        fresh_paths.add(path)
    rest = [item for item in parsed if item[0] not in fresh_paths]
    return fresh, rest


def _store_one(path, parsed, content_hash, error, seen, *, run, status, lookups) -> FileOutcome:
    if error:
        return FileOutcome(path, Outcome.FAILED, error)
    if parsed is None:  # same bytes as last time, only the mtime moved
        return FileOutcome(path, Outcome.UNCHANGED, article_id=seen.article_id if seen else None)
    try:
        with transaction.atomic():
            result = store(parsed, path=path, run_id=run.pk if run else None, status=status,
                           lookups=lookups, mtime_ns=_mtime_ns(path))
    except DatabaseError as exc:
        lookups.__init__()  # cached rows may belong to the rolled-back savepoint
        return FileOutcome(path, Outcome.FAILED, f"database rejected the article: {exc}".strip())
    return FileOutcome(path, result.outcome, result.message,
                       result.article.pk if result.article else None)


def _mtime_ns(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _seen_row(path, content_hash, article_id, known) -> ImportedFile:
    try:
        st = os.stat(path)
        size, mtime_ns = st.st_size, st.st_mtime_ns
    except OSError:
        size, mtime_ns = -1, -1  # gone already: the next run will look again
    row = known.get(path) or ImportedFile(path=path[:1000])
    row.size, row.mtime_ns, row.content_hash = size, mtime_ns, content_hash
    row.article_id = article_id or row.article_id
    row.seen_at = timezone.now()
    return row


def _save_seen(rows: list[ImportedFile]) -> None:
    new = [r for r in rows if r.pk is None]
    old = [r for r in rows if r.pk is not None]
    bulk.insert(ImportedFile, new)
    ImportedFile.objects.bulk_update(
        old,
        ["size", "mtime_ns", "content_hash", "article", "seen_at"],
        batch_size=BATCH,
    )
