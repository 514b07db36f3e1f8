"""Shared set-up for the admin tests: real imports of the seed files, and the desk's people."""

import importlib
import io
import shutil
import tempfile
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.management import call_command

from articles.ingest.pipeline import import_paths
from articles.management.commands.setup_roles import EDITOR_GROUP
from articles.models import Article

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = FIXTURES / "seeds"
CORPUS = FIXTURES / "finews"
SUNING_HAIER = "NW202202212282659685"  # seed 000, a Jekyll post with two stocks
JD_TEXT_SEED = SEEDS / "001_11bd8c5703fc5a39.txt"  # a plain-text dump: title and date inferred


def import_files(*paths, status: str = "review", force: bool = False):
    """Run the real import pipeline over `paths`; return its report."""
    return import_paths([str(p) for p in paths], status=status, workers=1, force=force)


def seed_copy(directory: Path, seed: Path) -> Path:
    target = directory / seed.name
    shutil.copyfile(seed, target)
    return target


def temp_dir(test) -> Path:
    directory = Path(tempfile.mkdtemp())
    test.addCleanup(shutil.rmtree, directory, True)
    return directory


EDITOR_PASSWORD = "Bianji-2024-pass"  # noqa: S105 (a test account)


def make_editor(username: str = "editor", password: str = EDITOR_PASSWORD) -> User:
    call_command("setup_roles", stdout=io.StringIO())
    user = User.objects.create_user(username, password=password, is_staff=True)
    user.groups.add(Group.objects.get(name=EDITOR_GROUP))
    return user


def make_superuser(username: str = "chief") -> User:
    return User.objects.create_superuser(username, password="Zhubian-2024-pass")


def restore_default_categories() -> None:
    """Re-seed the sections of migrations 0002 and 0010: live-server tests flush the tables after each
    test, data migrations included."""
    from django.apps import apps

    importlib.import_module("articles.migrations.0002_default_categories").seed(apps, None)
    importlib.import_module("articles.migrations.0010_section_rules_weigh_the_story").widen(apps, None)


def suning_haier() -> Article:
    return Article.objects.get(external_id=SUNING_HAIER)
