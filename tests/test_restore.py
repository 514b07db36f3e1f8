"""The restore drill of docs/operations.md ("Backups"), run for real: the nightly dump's command
(deploy/crontab) on a database with stories, editors' work and reads, restored into a new
database with the documented commands; the restored site has every row, a current schema, and
serves the stories as before (a withdrawn one stays withdrawn).

And a read replica rebuilt from the primary is tests/test_replicas.py's set-up (pg_basebackup)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import skipUnless

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import TransactionTestCase, tag

from articles.bench import drills
from articles.models import Article, ImportRun
from articles.reading.models import StoryReads
from tests.site_support import SUNING_HAIER, import_published

DUMP_LINE = re.compile(r"pg_dump --format=custom --file=\S+ \S+\.dump newsroom")
# The public story page, asked of the restored database as a reader would.
PAGE = """
import json, sys, django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()  # the test client's host name allowed
answers = {}
for path in sys.argv[1:]:
    response = Client().get(path)
    answers[path] = [response.status_code, response.content.decode()]
print(json.dumps(answers))
"""


def tables() -> list[str]:
    return sorted(model._meta.db_table for model in apps.get_models()
                  if model._meta.managed and not model._meta.proxy)


def counts(url: str) -> dict[str, int]:
    """Rows of every model's table in the database at `url`."""
    query = " UNION ALL ".join(f"SELECT '{table}', count(*) FROM \"{table}\"" for table in tables())  # noqa: S608
    result = subprocess.run(["psql", url, "-At", "-F", " ", "-c", query], capture_output=True, text=True, check=True)
    return {table: int(number) for table, number in (line.split() for line in result.stdout.splitlines())}


@skipUnless(connection.vendor == "postgresql", "the drill restores a PostgreSQL dump")
@tag("slow")
class RestoreDrillTests(TransactionTestCase):
    def setUp(self):
        self.work = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.work, True)
        self.source = drills.database_url()
        self.restored = f"{self.source}_restored"
        name = self.restored.rsplit("/", 1)[1]
        subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        self.addCleanup(subprocess.run, ["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", name])

    def test_the_nightly_dump_restores_into_a_working_site(self):
        import_published()
        haier = Article.objects.get(external_id=SUNING_HAIER)
        haier.title = "编辑改过的标题：苏宁易购与海尔"  # an editor's work, after the import
        haier.save()
        withdrawn = Article.objects.published().exclude(pk=haier.pk).first()
        gone = withdrawn.get_absolute_url()
        withdrawn.status = Article.Status.TRASHED
        withdrawn.save()
        StoryReads.objects.create(article=haier, hour=haier.published_at.replace(minute=0, second=0, microsecond=0),
                                  count=7)
        crontab = (settings.BASE_DIR / "deploy" / "crontab").read_text()
        self.assertTrue(DUMP_LINE.search(crontab), "the crontab's dump command changed: update the drill")

        dump = self.work / "newsroom.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", self.source], check=True)
        name = self.restored.rsplit("/", 1)[1]
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        subprocess.run(["pg_restore", "--no-owner", "--dbname", self.restored, str(dump)], check=True)

        self.assertEqual(counts(self.restored), counts(self.source))
        self.assertGreater(ImportRun.objects.count(), 0)
        env = {**os.environ, "DATABASE_URL": self.restored, "DJANGO_DEBUG": "1",
               "DJANGO_SETTINGS_MODULE": "newsroom.settings"}
        check = subprocess.run([sys.executable, "manage.py", "migrate", "--check"], cwd=settings.BASE_DIR,
                               env=env, capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        story = haier.get_absolute_url()
        pages = subprocess.run([sys.executable, "-c", PAGE, story, gone, "/"], cwd=settings.BASE_DIR, env=env,
                               capture_output=True, text=True, check=True)
        answers = json.loads(pages.stdout.splitlines()[-1])
        self.assertEqual(answers[story][0], 200)
        self.assertIn("编辑改过的标题：苏宁易购与海尔", answers[story][1])
        self.assertEqual(answers[gone][0], 404)  # withdrawn before the dump, withdrawn after the restore
        self.assertEqual(answers["/"][0], 200)
