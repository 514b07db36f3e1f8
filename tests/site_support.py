"""Shared set-up for the public site's tests: the real seed and corpus files, imported by the
real pipeline and published, plus stories in every unpublished state."""

import re
from datetime import timedelta
from pathlib import Path

from django.core.cache import cache
from django.utils import timezone

from articles.ingest.pipeline import import_paths
from articles.models import Article, Category, Source

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = FIXTURES / "seeds"
CORPUS = FIXTURES / "finews"

SUNING_HAIER = "NW202202212282659685"  # seed 000: 苏宁易购 and 海尔, two stocks
GOME_HUAWEI = "NW202205122377568897"  # seed 002: 国美 and 华为, source name with "·"
JD_MIDEA = "NW202203122307007147"  # seed 004: 京东 and 美的

# Words in the titles of stories readers must never see.
HIDDEN_MARKERS = {
    "draft": "草稿隐藏标记甲",
    "review": "待审隐藏标记乙",
    "rejected": "拒绝隐藏标记丙",
    "future": "定时隐藏标记丁",
}


def import_published(*paths) -> None:
    """Import `paths` (default: the seeds and the corpus) through the real pipeline, every
    story published: the two page dumps' guessed titles and dates as if an editor had checked
    them (without --trust-inferred they would wait in review)."""
    paths = paths or (SEEDS, CORPUS)
    report = import_paths([str(p) for p in paths], status="published", workers=1, trust_inferred=True)
    assert not report.failed, report.errors


def create_hidden_stories() -> dict[str, Article]:
    """One story per state readers must not see, in the busiest source and category, with
    the Suning–Haier story's stocks and a word search would find (海尔)."""
    model = Article.objects.get(external_id=SUNING_HAIER)
    stories = {}
    for state, marker in HIDDEN_MARKERS.items():
        status = Article.Status.PUBLISHED if state == "future" else state
        when = timezone.now() + timedelta(days=2) if state == "future" else timezone.now()
        story = Article.objects.create(
            title=f"{marker} 海尔新闻",
            summary=f"{marker}的摘要，海尔。",
            body=f"<p>{marker}的正文，提到海尔和华为。</p>",
            status=status,
            published_at=when,
            source=model.source,
            category=model.category,
        )
        story.stocks.set(model.stocks.all())
        story.tags.add("新能源")
        stories[state] = story
    return stories


def add_stories(count: int, *, source: Source, category: Category, tags=(), stocks=()):
    """Add `count` published stories (to show that query counts do not grow)."""
    now = timezone.now()
    for i in range(count):
        story = Article.objects.create(
            title=f"批量稿件{i} 市场动态",
            summary="批量生成的稿件。",
            body="<p>批量生成的稿件正文。</p>",
            status=Article.Status.PUBLISHED,
            published_at=now - timedelta(minutes=i + 1),
            source=source,
            category=category,
        )
        if tags:
            story.tags.add(*tags)
        if stocks:
            story.stocks.add(*stocks)


class FreshCacheMixin:
    """Each test starts with an empty page cache (rolled-back rows send no signal)."""

    def setUp(self):
        super().setUp()
        cache.clear()


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)
