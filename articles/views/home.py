"""The front page: the latest stories, the hot lists, then a block per active source and per category."""

from django.conf import settings
from django.views.generic import TemplateView

from articles import reads
from articles.models import Source
from articles.reading.boards import hot_lists
from articles.views.base import PageMeta, PublicPageMixin

LATEST = 60  # stories read to fill the top list and to pick the active sources
SECONDARY = 3  # stories with their summaries under the lead
TOP = 16  # the lead, the secondary stories and the headline list beside them
BLOCKS = 8  # at most this many category blocks
SOURCE_BLOCKS = 30  # the old front page had a block for every publisher; a bound all the same
PER_BLOCK = 5  # the old front page showed five stories per publisher
HOT = 5  # stories per hot list


class HomeView(PublicPageMixin, TemplateView):
    """Seven queries whatever the size of the archive: the sections and the latest stories
    (one round trip), the sources without a recent story, the block ids (UNION ALL of small
    index scans), the block stories, and each hot list."""

    template_name = "articles/home.html"

    def get_meta(self) -> PageMeta:
        return PageMeta(
            description=f"{settings.NEWSROOM_SITE_NAME}：最新财经新闻、上市公司动态、市场行情与宏观政策。",
            path="/",
        )

    def get_context_data(self, **kwargs):
        self.latest, = self.fetch_with_sections(reads.listing_read(limit=LATEST))
        context = super().get_context_data(**kwargs)
        latest = self.latest
        # Every publisher, as on the old front page (the busiest wire must not be left out
        # because eight others published last): those in the latest stories first.
        sources = []
        for story in latest:
            if story.source and story.source not in sources:
                sources.append(story.source)
        sources = sources[:SOURCE_BLOCKS]
        if len(sources) < SOURCE_BLOCKS:
            sources += Source.objects.exclude(pk__in=[s.pk for s in sources]).order_by("name")[
                : SOURCE_BLOCKS - len(sources)
            ]
        categories = context["nav_categories"][:BLOCKS]
        newest_first = reads.latest_per(
            {"source_id": [s.pk for s in sources], "category_id": [c.pk for c in categories]},
            count=PER_BLOCK,
        )
        context.update(
            lead=latest[0] if latest else None,
            secondary=latest[1 : 1 + SECONDARY],
            top=latest[1 + SECONDARY : TOP],
            # Publishers by their newest story, as readers scan a front page.
            source_blocks=sorted(_blocks(sources, newest_first, "source_id"),
                                 key=lambda block: block[1][0].published_at, reverse=True),
            category_blocks=_blocks(categories, newest_first, "category_id"),
            # 24小时热读 and 本周热读 as flush_reads last ranked them: this page is cached (up to
            # PAGE_CACHE_SECONDS), so they may be that much older than /hot/'s.
            hot_lists=hot_lists(count=HOT) if latest else [],
        )
        return context


def _blocks(subjects, stories, field):
    """Return [(subject, its newest PER_BLOCK stories)] for subjects that have any."""
    blocks = []
    for subject in subjects:
        own = [s for s in stories if getattr(s, field) == subject.pk][:PER_BLOCK]
        if own:
            blocks.append((subject, own))
    return blocks
