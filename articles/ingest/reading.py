"""Safe file walking and reading: only regular files inside the allowed roots, read with a
size cap, and the size, mtime and hash of the very bytes that were read.

A drop folder is written by scrapers and, in the worst case, by an attacker: it may hold
symlinks to secrets (`/srv/newsroom/.env`, `/etc/passwd`), to devices (`/dev/zero`), FIFOs
that block whoever opens them, symlink loops, and names that are not UTF-8. Each of these
becomes one file's failure with a reason; none of them can stop a run or be read.
"""

import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from articles import columns

NEWS_SUFFIXES = {".md", ".markdown", ".txt", ".text", ""}
# Hidden files, editor backups and files a scraper is still writing.
SKIPPED_PREFIXES = (".",)
SKIPPED_SUFFIXES = ("~", ".tmp", ".part", ".swp")
PATH_MAX_RECORDED = columns.FILE_PATH
_CHUNK = 1 << 16


class Refused(Exception):
    """A path the importer will not read; the message is meant for the operator."""


@dataclass(frozen=True)
class Found:
    """A news file to read: `path` as the file system names it (may hold undecodable bytes)."""

    path: str


@dataclass(frozen=True)
class Failed:
    """A path refused while walking, with the reason."""

    path: str
    error: str


@dataclass(frozen=True)
class Ignored:
    """A file that is not a news file by its name (images, archives, …)."""

    path: str


@dataclass(frozen=True)
class FileRead:
    data: bytes
    size: int
    mtime_ns: int
    content_hash: str
    # False when the file changed while it was read: the bytes may be half old, half new,
    # so the seen-files record must not let the next run skip it.
    stable: bool = True


def recorded_path(path: str) -> str:
    """Return `path` as text the database and JSON can hold: undecodable bytes of a file name
    (kept by Python as lone surrogates) become \\xNN escapes."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")


def roots_of(paths: Iterable[str | os.PathLike], extra: Iterable[str | os.PathLike] = ()) -> tuple[str, ...]:
    """Return the real paths under which files may be read: the given paths and `extra`."""
    roots = []
    for path in [*paths, *extra]:
        try:
            roots.append(os.path.realpath(os.fspath(path), strict=True))
        except OSError:
            continue  # a missing path is reported by the walk; it allows nothing
    return tuple(dict.fromkeys(roots))


def inside(real: str, roots: Iterable[str]) -> bool:
    """True when the real path `real` is one of `roots` or below one of them."""
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def walk(paths: Iterable[str | os.PathLike], *, roots: tuple[str, ...]) -> Iterator[Found | Failed | Ignored]:
    """Yield what lies under `paths` (recursively, sorted): news files to read, refusals and
    ignored names. Directories are followed once each, links only into `roots`."""
    seen: set[str] = set()
    for raw in paths:
        path = os.fspath(raw)
        try:
            kind, real = _classify(path, roots)
        except Refused as exc:
            yield Failed(path, str(exc))
            continue
        if kind == "dir":
            yield from _walk_dir(path, real, roots, seen)
        else:
            yield Found(path)


def _walk_dir(top: str, real_top: str, roots: tuple[str, ...], seen: set[str]) -> Iterator:
    # Depth first with a stack of listings, not recursion: a hostile tree may nest deeper
    # than Python's recursion limit.
    stack = [_listing(top, real_top, roots, seen)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif isinstance(item, tuple):  # a folder to descend into
            stack.append(_listing(*item, roots, seen))
        else:
            yield item


def _listing(directory: str, real: str, roots: tuple[str, ...], seen: set[str]) -> Iterator:
    """Yield the entries of one folder, sorted: Found/Failed/Ignored, or (path, real path)
    for a folder to descend into."""
    if real in seen:
        return  # a folder linked in twice, or a loop back up: read once
    seen.add(real)
    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda e: os.fsencode(e.name))
    except OSError as exc:
        yield Failed(directory, f"cannot list directory: {exc.strerror or exc}")
        return
    for entry in entries:
        name = entry.name
        if name.startswith(SKIPPED_PREFIXES) or name.endswith(SKIPPED_SUFFIXES):
            continue
        try:
            plain_file = entry.is_file(follow_symlinks=False)  # from the listing: no stat call
            plain_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            plain_file = plain_dir = False
        if plain_file:
            yield Found(entry.path) if is_news_name(name) else Ignored(entry.path)
            continue
        if not plain_dir and not is_news_name(name) and not entry.is_symlink():
            yield Ignored(entry.path)
            continue
        try:
            kind, target = _classify(entry.path, roots, real_parent=real)
        except Refused as exc:
            yield Failed(entry.path, str(exc))
            continue
        if kind == "dir":
            yield entry.path, target
        elif is_news_name(name):
            yield Found(entry.path)
        else:
            yield Ignored(entry.path)


def is_news_name(name: str) -> bool:
    """Whether the importer reads a file of this name (news files only; an INDEX.tsv is not)."""
    return Path(name).suffix.lower() in NEWS_SUFFIXES


def _classify(path: str, roots: tuple[str, ...], real_parent: str | None = None) -> tuple[str, str]:
    """Return ("dir" | "file", real path) for `path`, or raise Refused saying why not."""
    try:
        link = os.lstat(path)
    except FileNotFoundError:
        raise Refused("no such file or directory") from None
    except OSError as exc:
        raise Refused(f"cannot inspect: {exc.strerror or exc}") from None
    if stat.S_ISLNK(link.st_mode):
        try:
            real = os.path.realpath(path, strict=True)
            target = os.stat(real)
        except FileNotFoundError:
            raise Refused("broken symlink (target missing)") from None
        except OSError as exc:
            if exc.errno == 40:  # ELOOP
                raise Refused("symlink loop") from None
            raise Refused(f"symlink cannot be followed: {exc.strerror or exc}") from None
        if not inside(real, roots):
            raise Refused(
                f"symlink to {recorded_path(real)}, outside the import roots "
                "(add its folder to NEWSROOM_IMPORT_ROOTS to allow it)"
            )
    else:
        target = link
        real = os.path.join(real_parent, os.path.basename(path)) if real_parent else os.path.realpath(path)
    if stat.S_ISDIR(target.st_mode):
        return "dir", real
    _refuse_unless_one_file(target)
    return "file", real


def _refuse_unless_one_file(st: os.stat_result) -> None:
    """Refuse what is not a regular file, and a regular file with other names: a hard link's
    other name may sit anywhere on the filesystem (/etc/shadow linked into the drop folder),
    and nothing tells where."""
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f"not a regular file ({_kind_name(st.st_mode)})")
    if st.st_nlink > 1:
        raise Refused(f"a hard link ({st.st_nlink} names for one file): its other names "
                      "may lie outside the import roots")


def _kind_name(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"


def read_file(path: str, *, max_bytes: int, roots: tuple[str, ...]) -> FileRead:
    """Return the bytes of the regular file at `path` with their size, mtime and hash; raise
    Refused for anything else: a FIFO or device, a file grown past `max_bytes` (counted while
    reading, not trusted from stat), or a path that now leads outside `roots`."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Refused("file disappeared while importing") from None
    except PermissionError:
        raise Refused("permission denied reading the file") from None
    except OSError as exc:
        raise Refused(f"cannot open the file: {exc.strerror or exc}") from None
    try:
        before = os.fstat(fd)
        _refuse_unless_one_file(before)
        # What was opened, not what the name pointed to when the folder was walked: a name
        # swapped for a link after the walk is caught here.
        real = _opened_path(fd, path)
        # Renamed over or removed since it was opened: what was read is still a whole file
        # (the older version), and it is recorded as changing so that the next run reads again.
        replaced = real.endswith(" (deleted)")
        real = real.removesuffix(" (deleted)")
        if roots and not inside(real, roots):
            raise Refused(f"leads to {recorded_path(real)}, outside the import roots")
        chunks, total, digest = [], 0, hashlib.sha256()
        while True:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                raise Refused(f"file is too large (more than {max_bytes:,} bytes)")
            digest.update(chunk)
            chunks.append(chunk)
        after = os.fstat(fd)
    except OSError as exc:
        raise Refused(f"cannot read the file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    stable = (not replaced and after.st_nlink > 0 and before.st_mtime_ns == after.st_mtime_ns
              and before.st_size == after.st_size == total)
    return FileRead(b"".join(chunks), total, before.st_mtime_ns, digest.hexdigest(), stable)


def prefetch(paths: Iterable[str], *, roots: tuple[str, ...]) -> None:
    """Ask the kernel to read the files at `paths` into its page cache in the background
    (posix_fadvise WILLNEED), so that the parse workers find a batch queued behind the others
    in memory instead of each waiting on the disk in turn. Only what read_file() would read (a
    regular file of one name, inside `roots`), opened as it opens them; the rest is left for
    read_file() to refuse."""
    if not hasattr(os, "posix_fadvise"):
        return
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    for path in paths:
        try:
            fd = os.open(path, flags)
        except OSError:
            continue
        try:
            _refuse_unless_one_file(os.fstat(fd))
            if not roots or inside(_opened_path(fd, path), roots):
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        except (OSError, Refused):
            pass
        finally:
            os.close(fd)


def _opened_path(fd: int, path: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # no /proc (not Linux): the name as resolved now
        return os.path.realpath(path)
