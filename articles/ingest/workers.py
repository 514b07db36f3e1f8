"""The parse worker processes: bounded in time and memory, and dead with the import that
started them.

Workers are forked, so each holds a copy of the parent's database socket and lock file. If
they outlived a parent killed with -9, the database would keep its session (and the import's
advisory lock) open and every later cron run would exit 75. The kernel kills them instead
(PR_SET_PDEATHSIG on Linux; elsewhere a thread that watches the parent).
"""

import contextlib
import ctypes
import os
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

PR_SET_PDEATHSIG = 1
# A parse that takes longer than this is a hostile or broken file, not a news story.
PARSE_SECONDS = 20
# Address space of one worker: far above any real file's need (~150 MiB), far below the machine's.
WORKER_MEMORY = 2 * 1024**3
WORKER_NICENESS = 10


class ParseTimeout(Exception):
    pass


def _die_with_parent(parent: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError):
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the kernel was told
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


# What every parse of a run shares and is too large to send with each job (the directory's
# company names): given to each worker once, when it starts; read by the work function.
CONTEXT = None


# Set in a parse worker, whose SIGALRM handler is time_limit()'s for good.
_IN_WORKER = False


def _init_worker(parent: int, context=None) -> None:
    global CONTEXT, _IN_WORKER
    CONTEXT, _IN_WORKER = context, True
    _die_with_parent(parent)
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = WORKER_MEMORY if hard == resource.RLIM_INFINITY else min(WORKER_MEMORY, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # The storing process and the database are the import's critical path, and readers' web
    # workers matter more than a cron import: parse workers take the CPU that is left over.
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)


def _on_alarm(signum, frame):
    raise ParseTimeout(f"parsing took longer than {PARSE_SECONDS} s")


@contextlib.contextmanager
def time_limit(seconds: int = PARSE_SECONDS) -> Iterator[None]:
    """Raise ParseTimeout in the block after `seconds` (main thread only; elsewhere no limit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGALRM)
    if previous is not _on_alarm:  # a worker keeps the handler from one file to the next
        signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        if previous is not _on_alarm and not _IN_WORKER:
            signal.signal(signal.SIGALRM, previous)


class ParsePool:
    """A process pool for `work`, rebuilt if a worker dies (out of memory, killed), in which
    case each job of the lost chunk is retried alone and the one that kills its worker again
    is answered by `on_crash(job)`."""

    def __init__(self, workers: int, work: Callable, on_crash: Callable, context=None):
        self.workers, self.work, self.on_crash, self.context = workers, work, on_crash, context
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, initializer=_init_worker,
                initargs=(os.getpid(), self.context),
            )
        return self._pool

    def start(self, jobs: list):
        """Start `jobs`; they run while the caller does other work (storing the last batch)."""
        try:
            return self._executor().map(self.work, jobs, chunksize=8)
        except BrokenProcessPool:
            self._discard()
            return None

    def collect(self, started, jobs: list) -> list:
        """Return the results of `jobs` begun by start(), in order."""
        if started is not None:
            try:
                return list(started)
            except BrokenProcessPool:
                self._discard()
        results = []
        for job in jobs:
            try:
                results.append(self._executor().submit(self.work, job).result())
            except BrokenProcessPool:
                self._discard()
                results.append(self.on_crash(job))
        return results

    def _discard(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
