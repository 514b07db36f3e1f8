"""Safe walking and reading of a hostile drop folder: each refusal is one file's failure with a
reason, nothing outside the allowed roots is read, and no entry can block or stop a run."""

import os
import random
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from unittest import mock

from django.test import TestCase

from articles.ingest.reading import (
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
from articles.models import Article, ImportedFile, ImportFileResult
from tests.test_ingest_pipeline import SEEDS, run_import

SEED = next(SEEDS.glob("000_*"))


class HostileFolder:
    """A drop folder holding one good story and every kind of entry that must not be read."""

    def __init__(self, top: Path):
        self.top = top
        self.drop = top / "drop"
        self.drop.mkdir()
        self.secret = top / "newsroom.env"  # beside the drop folder, as a deployed env file is
        self.secret.write_text("DJANGO_SECRET_KEY=do-not-leak-me\nDATABASE_URL=postgres://u:pw@db/x\n")
        shutil.copyfile(SEED, self.drop / "good.md")
        os.symlink(self.secret, self.drop / "secret.md")
        # The same file under a second name in the drop folder: the walk lists it without a
        # stat call per file, the read refuses it.
        credentials = top / "credentials.txt"
        credentials.write_text("　　数据库密码：do-not-leak-me-either\n")
        os.link(credentials, self.drop / "hardlink.md")
        os.symlink("/etc/passwd", self.drop / "passwd.txt")
        os.symlink("/dev/zero", self.drop / "zero.md")
        os.symlink("loop-b.md", self.drop / "loop-a.md")
        os.symlink("loop-a.md", self.drop / "loop-b.md")
        os.mkfifo(self.drop / "fifo.md")
        # A name that is not UTF-8 (Latin-1 bytes from an old scraper), holding a real story.
        self.odd_name = os.fsdecode(b"caf\xe9-" + SEED.name.encode())
        shutil.copyfile(SEED, self.drop / self.odd_name)
        (self.drop / "picture.jpg").write_bytes(b"\xff\xd8\xff")

    REFUSED = {
        "secret.md": "outside the import roots",
        "passwd.txt": "outside the import roots",
        "zero.md": "outside the import roots",
        "loop-a.md": "symlink loop",
        "loop-b.md": "symlink loop",
        "fifo.md": "not a regular file (a FIFO)",
    }
    REFUSED_AT_READ = {"hardlink.md": "a hard link (2 names for one file)"}


class HostileFolderMixin:
    def setUp(self):
        self.top = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.top, True)
        self.folder = HostileFolder(self.top)


class WalkTests(HostileFolderMixin, TestCase):

    def test_every_hostile_entry_is_refused_with_its_reason(self):
        items = list(walk([self.folder.drop], roots=roots_of([self.folder.drop])))
        found = sorted(Path(i.path).name for i in items if isinstance(i, Found))
        refused = {Path(i.path).name: i.error for i in items if isinstance(i, Failed)}
        self.assertEqual(found, sorted([self.folder.odd_name, "good.md", *HostileFolder.REFUSED_AT_READ]))
        self.assertEqual(set(refused), set(HostileFolder.REFUSED))
        for name, reason in HostileFolder.REFUSED.items():
            self.assertIn(reason, refused[name], name)
        self.assertEqual([Path(i.path).name for i in items if isinstance(i, Ignored)], ["picture.jpg"])

    def test_a_link_into_an_allowed_root_is_followed(self):
        items = list(walk([self.folder.drop], roots=roots_of([self.folder.drop], [self.top])))
        found = {Path(i.path).name for i in items if isinstance(i, Found)}
        self.assertIn("secret.md", found)  # the operator allowed the folder it lies in

    def test_reading_counts_bytes_instead_of_trusting_stat(self):
        roots = ("/",)
        with self.assertRaisesMessage(Refused, "not a regular file (a character device)"):
            read_file("/dev/zero", max_bytes=1000, roots=roots)
        big = self.top / "big.md"
        big.write_bytes(b"x" * 5000)
        with self.assertRaisesMessage(Refused, "file is too large (more than 4,096 bytes)"):
            read_file(str(big), max_bytes=4096, roots=roots)
        read = read_file(str(big), max_bytes=5000, roots=roots)
        self.assertEqual((read.size, len(read.data), read.stable), (5000, 5000, True))

    def test_a_fifo_never_blocks_the_reader(self):
        result = {}
        reader = threading.Thread(target=lambda: result.update(
            error=self._refusal(str(self.folder.drop / "fifo.md"))), daemon=True)
        reader.start()
        reader.join(5)
        self.assertFalse(reader.is_alive(), "reading a FIFO blocked")
        self.assertIn("FIFO", result["error"])

    def test_prefetch_asks_for_the_good_files_only_and_never_blocks(self):
        # The kernel is asked to read ahead only what read_file() would read: not the secret
        # beside the drop folder (linked or hard-linked), /etc/passwd, a device, a FIFO (which
        # must not block).
        asked = []
        fadvise = os.posix_fadvise

        def recording(fd, offset, length, advice):
            asked.append(os.readlink(f"/proc/self/fd/{fd}"))
            return fadvise(fd, offset, length, advice)

        names = [str(self.folder.drop / name) for name in os.listdir(self.folder.drop)]
        with mock.patch.object(os, "posix_fadvise", recording):
            worker = threading.Thread(target=prefetch, args=(names,), kwargs={
                "roots": roots_of([self.folder.drop])}, daemon=True)
            worker.start()
            worker.join(5)
        self.assertFalse(worker.is_alive(), "prefetch blocked")
        self.assertEqual(sorted(os.path.basename(p) for p in asked),
                         sorted(["good.md", os.path.basename(self.folder.odd_name), "picture.jpg"]))

    def test_a_name_swapped_for_a_link_after_the_walk_is_caught_at_open(self):
        target = self.folder.drop / "good.md"
        target.unlink()
        os.symlink(self.folder.secret, target)
        self.assertIn("outside the import roots", self._refusal(str(target), roots=roots_of([self.folder.drop])))

    def _refusal(self, path, roots=("/",)) -> str:
        try:
            read_file(path, max_bytes=10_000, roots=roots)
        except Refused as exc:
            return str(exc)
        return ""

    def test_undecodable_names_are_recorded_with_escapes(self):
        self.assertEqual(recorded_path(os.fsdecode(b"/x/caf\xe9.md")), "/x/caf\\xe9.md")
        self.assertEqual(recorded_path("/x/新闻.md"), "/x/新闻.md")


class HostileImportTests(HostileFolderMixin, TestCase):

    def test_a_hostile_folder_imports_the_stories_and_reads_nothing_else(self):
        result = run_import(self.folder.drop, expect_exit=1)
        errors = {Path(e["path"]).name: e["error"] for e in result["errors"]}
        refused = {**HostileFolder.REFUSED, **HostileFolder.REFUSED_AT_READ}
        self.assertEqual(set(errors), set(refused), result)
        for name, reason in refused.items():
            self.assertIn(reason, errors[name])
        # Both copies of the story are read; the second one is the same story, not a new one.
        self.assertEqual((result["created"], result["duplicates"] + result["unchanged"]), (1, 1), result)
        self.assertEqual(Article.objects.count(), 1)
        for article in Article.objects.all():
            self.assertNotIn("do-not-leak-me", article.body + article.title + article.summary)
            self.assertNotIn("do-not-leak-me-either", article.body + article.title + article.summary)
            self.assertNotIn("root:x:0", article.body)
        odd = recorded_path(str(self.folder.drop / self.folder.odd_name))
        self.assertTrue(ImportedFile.objects.filter(path=odd).exists())
        self.assertEqual(
            set(ImportFileResult.objects.filter(outcome="failed").values_list("path", flat=True)),
            {str(self.folder.drop / name) for name in refused},
        )
        again = run_import(self.folder.drop, expect_exit=1)  # the next cron run: same answer, no crash
        self.assertEqual((again["skipped"], again["failed"]), (2, len(refused)), again)

    def test_a_story_too_long_for_its_columns_fails_alone_or_fits(self):
        drop = self.top / "long"
        drop.mkdir()
        shutil.copyfile(SEED, drop / "good.md")
        long_link = "<http://finews.example/html_News/NewsShare.html?infoCode=NW2022{}&x={}>".format(
            "0" * 12, "a" * 700)
        (drop / "long.md").write_text(
            '---\ntitle: "超长链接"\ndate: 2022-06-01 10:00:00 +0800\ncategories: x\ntags: 某网新闻\n---\n'
            f"<p>正文第一段，足够长的文字以形成一篇稿件。</p>\n\n{long_link}\n", "utf-8")
        for i in range(3):  # enough new stories for the bulk path
            text = SEED.read_text("utf-8").replace("2282659685", f"22826596{i:02d}").replace(
                "title: \"", f"title: \"{i}")
            (drop / f"other-{i}.md").write_text(text, "utf-8")
        result = run_import(drop, expect_exit=None)
        self.assertEqual(result["created"] + result["failed"], 5, result)
        self.assertGreaterEqual(result["created"], 4, result)  # the good ones are never lost
        for article in Article.objects.all():
            self.assertLessEqual(len(article.original_url or ""), 500)


class DeepTreeTests(TestCase):
    def test_a_tree_deeper_than_the_recursion_limit_is_walked(self):
        top = Path(tempfile.mkdtemp())
        self.addCleanup(subprocess.run, ["rm", "-rf", str(top)], check=False)  # rmtree recurses too
        depth = 1500  # Python's recursion limit is 1,000
        os.chdir(top)
        self.addCleanup(os.chdir, Path(__file__).resolve().parent.parent)
        for _ in range(depth):  # relative steps: the full path is longer than PATH_MAX allows at once
            os.mkdir("d")
            os.chdir("d")
        shutil.copyfile(SEED, "story.md")
        items = list(walk([top], roots=roots_of([top])))
        self.assertEqual([type(i) for i in items], [Found], items[:3])
        self.assertEqual(Path(items[0].path).name, "story.md")


class ReplacedFileTests(TestCase):
    def test_a_file_renamed_over_after_opening_is_read_whole_and_marked_unstable(self):
        top = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, top, True)
        path = top / "story.md"
        path.write_bytes(b"old version")
        fd = os.open(path, os.O_RDONLY)  # keeps the old inode alive, as a reader mid-file would
        self.addCleanup(os.close, fd)
        (top / ".story.md.tmp").write_bytes(b"new version")
        os.replace(top / ".story.md.tmp", path)
        read = read_file(f"/proc/self/fd/{fd}", max_bytes=100, roots=roots_of([top]))
        self.assertEqual(read.data, b"old version")
        self.assertFalse(read.stable)  # so the seen-files record makes the next run read again
        self.assertTrue(read_file(str(path), max_bytes=100, roots=roots_of([top])).stable)


class DatabaseLimitTests(TestCase):
    def test_stories_over_the_search_index_limits_import_with_the_rest(self):
        """A word longer than PostgreSQL's tsvector allows and a megabyte of distinct text
        once stopped every run on PostgreSQL (SQLSTATE 54000 arrives as OperationalError)."""
        top = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, top, True)
        head = '---\ntitle: "{}"\ndate: 2022-02-21 09:33:01 +0800\n---\n'
        (top / "long-word.md").write_text(
            head.format("长词测试") + "<p>正文内容测试 " + "a" * 2100 + " 结束。</p>\n", "utf-8")
        rng = random.Random(6)
        noise = "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(400_000))
        (top / "huge-text.md").write_text(head.format("大文本测试") + f"<p>{noise}</p>\n", "utf-8")
        shutil.copyfile(SEED, top / "good.md")
        result = run_import(top, extra=["--max-bytes", str(5 * 1024 * 1024)])
        self.assertEqual((result["created"], result["failed"]), (3, 0), result["errors"])
        self.assertTrue(Article.objects.filter(title="长词测试").exists())

    def test_an_error_on_a_usable_connection_is_one_files_not_the_runs(self):
        from django.db import InterfaceError, OperationalError, connection, transaction

        from articles.ingest.pipeline import _stop_if_database_gone

        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SELECT %s::tsvector", ["a" * 2100])  # SQLSTATE 54000
                else:
                    cursor.execute("SELECT * FROM no_such_table")
        except OperationalError as exc:
            _stop_if_database_gone(exc)  # does not raise: the database is still there
        else:
            self.fail("no OperationalError")
        with self.assertRaises(InterfaceError):
            _stop_if_database_gone(InterfaceError("connection already closed"))
