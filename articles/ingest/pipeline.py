"""The import run: walk paths, skip what is unchanged, parse (on every core), store, record.

Files stream through in batches: memory stays flat however many files there are, and each
batch is one transaction with a savepoint per file, so a failing file rolls back only itself
and a killed process loses at most the batch it was writing (the next run redoes it).
"""

import collections
import contextlib
import gc
import logging
import multiprocessing
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, reset_queries, transaction
from django.utils import timezone

from articles.categorize import Sections
from articles.clusters.likeness import likeness_of
from articles.ingest import bulk
from articles.ingest import workers as workers_module
from articles.ingest.locking import import_lock
from articles.ingest.parsing import NotAStory, ParseError, parse_bytes
from articles.ingest.reading import (
    PATH_MAX_RECORDED,
    Failed,
    Found,
    Ignored,
    Refused,
    prefetch,
    read_file,
    recorded_path,
    roots_of,
    walk,
)
from articles.ingest.store import Lookups, NewStatus, Outcome, create_many, keys_of, known_identities, notes_of, store
from articles.ingest.workers import ParsePool, time_limit
from articles.models import ImportedFile, ImportFileResult, ImportRun

logger = logging.getLogger("articles.import")

BATCH = 200
READ_AHEAD = 3  # batches parsed ahead of the one being stored (20k files on PostgreSQL: 1 -> 3 is 18.4 -> 17.2 s)
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
            Outcome.IGNORED: "ignored",
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
    def __init__(self, results: dict):
        super().__init__("dry run")
        self.results = results


def iter_files(paths: Iterable[str | Path], report: RunReport, *, roots: tuple[str, ...]) -> Iterator[str]:
    """Yield the news files under `paths` (recursively, sorted); refused paths become failures."""
    for item in walk(paths, roots=roots):
        if isinstance(item, Found):
            yield item.path
        elif isinstance(item, Ignored):
            report.ignored += 1
        elif isinstance(item, Failed):
            report.count(FileOutcome(recorded_path(item.path), Outcome.FAILED, item.error))


def _batches(items: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class Ignore:
    """Why a file read in full is not imported (a page of the site, an ignored feed)."""

    reason: str


@dataclass(frozen=True)
class Seen:
    """What the seen-files record keeps of one read: the same bytes' size, mtime and hash."""

    size: int
    mtime_ns: int
    content_hash: str


def _read_and_parse(job: tuple[str, int, str | None, tuple[str, ...], Sections]):
    """Worker: return (path, ParsedArticle | None, Seen | None, error)."""
    path, max_bytes, known_hash, roots, rules = job
    try:
        read = read_file(path, max_bytes=max_bytes, roots=roots)
    except Refused as exc:
        return path, None, None, str(exc)
    except Exception as exc:  # whatever reading raises is this file's failure
        return path, None, None, f"cannot read the file: {type(exc).__name__}: {exc}"
    # A file that changed while it was read is recorded so that the next run reads it again.
    seen = Seen(read.size, read.mtime_ns if read.stable else -1, read.content_hash)
    if known_hash == read.content_hash:
        return path, None, seen, ""  # touched, not changed
    try:
        with time_limit():
            parsed = parse_bytes(read.data, name=os.path.basename(path),
                                 modified=datetime.fromtimestamp(read.mtime_ns / 1e9, tz=UTC))
        # The plain text is already in what is stored from it (search_text, fingerprint, the
        # section): the storing process, the import's busiest, is spared receiving it again.
        section = rules.choose(title=parsed.title, text=parsed.text)
        names = workers_module.CONTEXT
        suggested = tuple(sorted(tuple(sorted(group)) for group in names.find(parsed.title + "\n" + parsed.text))) \
            if names else ()
        likeness = likeness_of(parsed.text) if settings.NEWSROOM_SAME_STORY else None
        return path, replace(parsed, text="", category_id=section, suggested_stock_ids=suggested,
                             likeness=likeness), seen, ""
    except NotAStory as exc:
        return path, None, seen, Ignore(str(exc))
    except ParseError as exc:
        return path, None, seen, str(exc)
    except Exception as exc:  # a parser bug must not stop the run: the file fails
        return path, None, seen, f"unexpected parser error: {type(exc).__name__}: {exc}"


def _worker_died(job) -> tuple:
    return job[0], None, None, "the parser process died on this file (out of memory?)"


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
    trust_inferred: bool = False,
) -> RunReport:
    """Import every news file under `paths`; return the run's counts and errors.

    Raises locking.LockBusy when another run holds the import lock.
    """
    paths = [os.fspath(p) for p in paths]
    status = NewStatus(status or settings.NEWSROOM_IMPORT_STATUS, trust_inferred)
    max_bytes = max_bytes or settings.NEWSROOM_IMPORT_MAX_BYTES
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if multiprocessing.current_process().daemon:
        workers = 1  # a daemonic process (a task queue's worker, a test runner's) has no children
    # Files are read only inside the given paths and the configured roots (symlinks included).
    roots = roots_of(paths, settings.NEWSROOM_IMPORT_ROOTS)
    report = RunReport(dry_run=dry_run)
    with import_lock(wait=lock_wait):
        run = None
        if not dry_run:
            # We hold the lock, so a run still marked running died mid-way (kill -9, OOM).
            ImportRun.objects.filter(status=ImportRun.Status.RUNNING).update(
                status=ImportRun.Status.FAILED, finished_at=timezone.now()
            )
            run = ImportRun.objects.create(
                paths=[recorded_path(p) for p in paths], host=socket.gethostname(), pid=os.getpid()
            )
            report.run_id = run.pk
        lookups = Lookups()
        rules = lookups.rules
        # The directory's company names, for the parses to find in the text (in this process
        # too: small batches are parsed here).
        workers_module.CONTEXT = lookups.names
        usual_gc = _collect_garbage_rarely()
        pool = ParsePool(workers, _read_and_parse, _worker_died, context=lookups.names) if workers > 1 else None
        try:
            # Batches being parsed while the oldest is stored: the workers never wait for the
            # storing process, nor it for them, and memory holds at most READ_AHEAD + 1 batches.
            in_flight: collections.deque = collections.deque()

            # The lock belongs to this database session (PostgreSQL): a run that went on over a
            # new connection, opened by Django after the old one died, would run unlocked.
            session = connection.connection

            def still_locked():
                if connection.connection is not session:
                    raise OperationalError("the database connection was lost, and the import lock with it")

            def store_oldest():
                started, jobs, known = in_flight.popleft()
                parsed = _collect(started, jobs, pool)
                still_locked()
                _store_batch(parsed, known, report=report, run=run, status=status, lookups=lookups,
                             dry_run=dry_run)
                still_locked()
                if progress:
                    progress(report)
                # Under DEBUG Django keeps every query's SQL; bulk inserts carry whole
                # bodies, so without this memory would grow with the corpus.
                reset_queries()

            for batch in _batches(iter_files(paths, report, roots=roots), BATCH):
                jobs, known = _plan_batch(batch, report=report, max_bytes=max_bytes, force=force,
                                          roots=roots, rules=rules)
                if jobs:
                    if pool:  # read from disk while the batches ahead of it are parsed
                        prefetch((job[0] for job in jobs), roots=roots)
                    in_flight.append((_start_parsing(jobs, pool), jobs, known))
                if len(in_flight) > READ_AHEAD:
                    store_oldest()
            while in_flight:
                store_oldest()
        except BaseException:
            if run is not None:
                # The ledger must not call a stopped run a success. If the database is gone
                # this cannot be written: the run stays "running" and the next run marks it.
                with contextlib.suppress(DatabaseError):
                    _finish_run(run, report, stopped=True)
                run = None
            raise
        finally:
            if pool:
                pool.close()
            gc.set_threshold(*usual_gc)
            gc.unfreeze()
            if run is not None:
                _finish_run(run, report)
    if not dry_run and (report.created or report.updated or report.conflicts):
        # Only new stories: the lists change, the stories already published do not.
        _after_changes(only_added=not (report.updated or report.conflicts or lookups.changed_shared))
    logger.info("import finished %s", {k: v for k, v in report.as_dict().items() if k != "errors"})
    return report


# Allocations between young-generation collections while importing (Python's default: 700).
GC_YOUNG = 50_000


def _collect_garbage_rarely() -> tuple[int, int, int]:
    """Tune Python's cyclic collector for a run; return the thresholds to restore (with
    gc.unfreeze()). What is loaded by now (Django, the directory's names, the rules) lives as
    long as the run and is left out of every collection (frozen, before the parse workers are
    forked from this process, which shares it with them), and the young generation is
    collected after 50,000 allocations instead of 700. The import makes few reference cycles;
    collecting cost its storing process 8 % of its time (0.08 ms a story)."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, 20, 20)
    return threshold


def _after_changes(*, only_added: bool) -> None:
    try:  # the public site's cache layer, when present, learns that pages changed
        from articles.cache import EVERYTHING, LISTS, bump_cache_version
    except ImportError:
        return
    bump_cache_version(LISTS if only_added else EVERYTHING)


def _finish_run(run: ImportRun, report: RunReport, *, stopped: bool = False) -> None:
    """Record the run's counts and the failures no batch recorded (walk-time refusals)."""
    run.finished_at = timezone.now()
    for name in ("created", "updated", "unchanged", "skipped", "conflicts", "duplicates",
                 "suppressed", "ignored", "failed"):
        setattr(run, name, getattr(report, name))
    run.status = ImportRun.Status.FAILED if report.failed or stopped else ImportRun.Status.OK
    failed_paths = {e["path"] for e in report.errors}
    # Walk-time failures (broken symlinks, missing paths) are not in any batch's ledger rows.
    recorded = set(
        ImportFileResult.objects.filter(run=run, outcome=Outcome.FAILED).values_list("path", flat=True)
    )
    ImportFileResult.objects.bulk_create(
        [
            ImportFileResult(run=run, path=e["path"][:PATH_MAX_RECORDED], outcome=Outcome.FAILED, error=e["error"])
            for e in report.errors
            if e["path"] in failed_paths - recorded
        ]
    )
    run.save()


def _plan_batch(batch, *, report, max_bytes, force, roots, rules):
    """Return (parse jobs, known ImportedFile rows by recorded path) for files that changed
    since last seen."""
    recorded = {}
    for path in batch:
        name = recorded_path(path)
        if len(name) > PATH_MAX_RECORDED:
            report.count(FileOutcome(name[:PATH_MAX_RECORDED], Outcome.FAILED,
                                     f"path is longer than {PATH_MAX_RECORDED} characters"))
        else:
            recorded[path] = name
    known = {f.path: f for f in ImportedFile.objects.filter(path__in=recorded.values())}
    jobs = []
    for path, name in recorded.items():
        seen = known.get(name)
        if seen and not force:
            try:
                st = os.stat(path)
            except OSError:
                st = None
            if st and st.st_size == seen.size and st.st_mtime_ns == seen.mtime_ns:
                report.skipped += 1
                continue
        known_hash = None if force else (seen.content_hash if seen else None)
        jobs.append((path, max_bytes, known_hash, roots, rules))
    return jobs, known


def _in_pool(jobs, pool) -> bool:
    return pool is not None and len(jobs) >= PARALLEL_THRESHOLD // 4


def _start_parsing(jobs, pool):
    """Start parsing `jobs`; with a pool the work proceeds while the caller stores the last batch."""
    return pool.start(jobs) if _in_pool(jobs, pool) else None


def _collect(started, jobs, pool) -> list:
    """Return the parse results of `jobs`: the pool's, or parsed here for a small batch."""
    if not _in_pool(jobs, pool):
        return [_read_and_parse(job) for job in jobs]
    return pool.collect(started, jobs)


def _store_batch(parsed, known, *, report, run, status, lookups, dry_run) -> None:
    # From here on a file is named as the database records it (see reading.recorded_path).
    parsed = [(recorded_path(path), *_unless_ignored(rest)) for path, *rest in parsed]
    try:
        results = _write_batch(parsed, known, run=run, status=status, lookups=lookups, dry_run=dry_run)
    except _DryRunRollback as done:
        lookups.reset()  # rows created inside the rolled-back transaction are gone
        results = done.results
    except Exception as exc:
        _stop_if_database_gone(exc)
        # Something in the batch broke its transaction (a row the database refused at the
        # last step): write file by file, so that only the guilty file fails.
        lookups.reset()
        results = {}
        for item in parsed:
            try:
                results.update(_write_batch([item], known, run=run, status=status, lookups=lookups,
                                            dry_run=dry_run))
            except _DryRunRollback as done:
                results.update(done.results)
            except Exception as exc:
                _stop_if_database_gone(exc)
                lookups.reset()
                results[item[0]] = FileOutcome(item[0], Outcome.FAILED,
                                               f"database rejected the file: {type(exc).__name__}: {exc}")
    for path, *_ in parsed:
        report.count(results[path])


def _unless_ignored(result: list) -> tuple:
    """Return a parse result (article, seen, error), made an Ignore if its feed is ignored."""
    article, seen, error = result
    if article is not None and article.source_key in settings.NEWSROOM_IGNORED_FEEDS:
        return None, seen, Ignore(f"feed {article.source_key} is ignored (NEWSROOM_IGNORED_FEEDS)")
    return article, seen, error


def _stop_if_database_gone(exc: Exception) -> None:
    """Re-raise `exc` when the database itself is gone, whatever the error was: then no file
    is to blame and the run stops. The error's class alone does not say so: PostgreSQL also
    reports a row over one of its limits (a word too long for a tsvector, SQLSTATE 54000) as
    an OperationalError, and that is one file's failure."""
    if isinstance(exc, InterfaceError) or not connection.is_usable():
        raise exc


def _write_batch(parsed, known, *, run, status, lookups, dry_run) -> dict[str, "FileOutcome"]:
    """Store `parsed` in one transaction (a savepoint per file); return each file's outcome."""
    run_id = run.pk if run else None
    results: dict[str, FileOutcome] = {}
    with transaction.atomic():
        fresh, rest = _split_fresh(parsed)
        if fresh:
            try:
                with transaction.atomic():
                    created = create_many(fresh, run_id=run_id, status=status, lookups=lookups)
                    for article, (_, story) in zip(created, fresh, strict=True):
                        results[article.source_file] = FileOutcome(
                            article.source_file, Outcome.CREATED, notes_of(story), article.pk)
            except Exception as exc:
                _stop_if_database_gone(exc)
                # Something in the batch clashed after all: take the careful path, file by file.
                lookups.reset()
                results.clear()
                rest = parsed
        for path, article, seen, error in rest:
            results[path] = _store_one(path, article, seen, error, known.get(path),
                                       run=run, status=status, lookups=lookups)
        if dry_run:
            raise _DryRunRollback(results)
        _save_seen([(path, seen, results[path].article_id) for path, _, seen, _ in parsed
                    if seen and results[path].outcome != Outcome.FAILED], known)
        # Every file read has its row, unchanged ones included: the ledger adds up to the
        # run's counts (files skipped unread, by size and mtime, are counted, not listed).
        bulk.insert_values(ImportFileResult, ("run_id", "path", "outcome", "error", "article_id"), [
            (run.pk, r.path[:PATH_MAX_RECORDED], r.outcome, r.error, r.article_id)
            for r in results.values()
        ])
    return results


def _split_fresh(parsed):
    """Split parse results into brand-new stories (bulk-insertable) and everything else."""
    candidates = [(path, article) for path, article, _, error in parsed if article and not error]
    known, numbered = known_identities(candidates) if candidates else (set(), set())
    fresh, fresh_paths, batch_keys = [], set(), set()
    for path, article in candidates:
        keys = set(keys_of(article))
        clash = keys & (known | batch_keys)
        if clash and article.external_id and clash == {f"fp:{article.fingerprint}"} & numbered:
            # Same words as a story its publisher numbers differently: a new story, which
            # leaves the words' fingerprint to the first (store.find_existing).
            article, clash = replace(article, fingerprint=None), set()
            keys = set(keys_of(article))
        if clash:
            continue  # an update, a tombstone or a second copy within the batch
        batch_keys |= keys
        if article.external_id and article.fingerprint:
            numbered.add(f"fp:{article.fingerprint}")
        fresh.append((path, article))
        fresh_paths.add(path)
    rest = [item for item in parsed if item[0] not in fresh_paths]
    return fresh, rest


def _store_one(path, parsed, seen, error, known_row, *, run, status, lookups) -> FileOutcome:
    if isinstance(error, Ignore):
        return FileOutcome(path, Outcome.IGNORED, error.reason)
    if error:
        return FileOutcome(path, Outcome.FAILED, error)
    if parsed is None:  # same bytes as last time, only the mtime moved
        return FileOutcome(path, Outcome.UNCHANGED, article_id=known_row.article_id if known_row else None)
    try:
        with transaction.atomic():
            result = store(parsed, path=path, run_id=run.pk if run else None, status=status,
                           lookups=lookups, mtime_ns=seen.mtime_ns if seen else None)
    except Exception as exc:  # the savepoint is rolled back; only this file fails
        _stop_if_database_gone(exc)
        lookups.reset()  # cached rows may belong to the rolled-back savepoint
        return FileOutcome(path, Outcome.FAILED, f"database rejected the article: {exc}".strip())
    return FileOutcome(path, result.outcome, result.message,
                       result.article.pk if result.article else None)


def _save_seen(rows: list[tuple[str, Seen, int | None]], known: dict[str, ImportedFile]) -> None:
    """Record what was read at each path (path, what was seen, its article): new paths in one
    insert, known ones in one update."""
    now = timezone.now()
    seen_at = ImportedFile._meta.get_field("seen_at").get_db_prep_save(now, connection)
    bulk.insert_values(ImportedFile, ("path", "size", "mtime_ns", "content_hash", "article_id", "seen_at"), [
        (path, seen.size, seen.mtime_ns, seen.content_hash, article_id, seen_at)
        for path, seen, article_id in rows if path not in known])
    old = []
    for path, seen, article_id in rows:
        if path in known:
            row = known[path]
            row.size, row.mtime_ns, row.content_hash = seen.size, seen.mtime_ns, seen.content_hash
            row.article_id = article_id or row.article_id
            row.seen_at = now
            old.append(row)
    ImportedFile.objects.bulk_update(
        old,
        ["size", "mtime_ns", "content_hash", "article", "seen_at"],
        batch_size=BATCH,
    )
