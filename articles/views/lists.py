"""Lists of stories: per source, category, tag and stock, and by date."""

import calendar
import re
from datetime import date, datetime, timedelta

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from articles import reads
from articles.coverage import companies_with_stories, coverage
from articles.models import Article, ArticleTag, Category, Source, Stock
from articles.views.base import ArticleListView, Listing, PageMeta, PublicPageMixin

SYMBOL = re.compile(r"^(SZ|SH|BJ|HK|US)([A-Z0-9.]{1,16})$")


def found(subject):
    if subject is None:
        raise Http404("没有这个页面")
    return subject


class SubjectListView(ArticleListView):
    """Stories about one source, category, tag or stock (`subject`)."""

    kind = ""  # 来源, 栏目 … shown above the heading
    condition = ""  # the SQL condition on the subject's id (articles/reads.py)
    feed_name = ""  # URL name of the subject's feed
    own_link = ""  # "source" or "category": the items' link to the subject is left out
    one_per_story = True  # a same-story cluster listed once (its other publishers named)

    def get_subject(self):
        raise NotImplementedError

    def read_subject(self, read):
        """The subject, read with the section links in one round trip; or 404."""
        subject, = self.fetch_with_sections(read)
        return found(subject)

    def get_queryset(self):
        self.subject = self.get_subject()
        return Listing(self.condition, (self.subject.pk,), one_per_story=self.one_per_story)

    def heading(self) -> str:
        return str(self.subject)

    def description(self) -> str:
        return f"{self.heading()}的最新财经新闻。"

    def get_meta(self) -> PageMeta:
        return PageMeta(title=self.heading(), description=self.description(), path=self.page_path())

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            subject=self.subject,
            kind=self.kind,
            own_link=self.own_link,
            heading=self.heading(),
            intro=self.description(),
            feed_url=reverse(f"articles:{self.feed_name}", args=[self.kwargs[self.url_kwarg]]),
            **kwargs,
        )


class SourceView(SubjectListView):
    kind, condition, feed_name, url_kwarg = "来源", reads.BY_SOURCE, "source_feed", "slug"
    own_link = "source"
    one_per_story = False  # the publisher's own page lists all its stories

    def get_subject(self):
        return self.read_subject(reads.one_read(Source, ("id", "name", "slug", "url"),
                                                slug=self.kwargs["slug"]))


class CategoryView(SubjectListView):
    kind, condition, feed_name, url_kwarg = "栏目", reads.BY_CATEGORY, "category_feed", "slug"
    own_link = "category"

    def get_subject(self):
        return self.read_subject(reads.one_read(Category, ("id", "name", "slug", "description"),
                                                slug=self.kwargs["slug"]))

    def description(self) -> str:
        return self.subject.description or super().description()


class TagView(SubjectListView):
    kind, condition, feed_name, url_kwarg = "标签", reads.BY_TAG, "tag_feed", "slug"

    def get_subject(self):
        return self.read_subject(reads.one_read(ArticleTag, ("id", "name", "slug"),
                                                slug=self.kwargs["slug"]))


def stock_read(symbol: str):
    match = SYMBOL.match(symbol.upper())
    if not match:
        raise Http404("没有这只股票")
    return reads.one_read(Stock, ("id", "market", "code", "name", "full_name"), market=match[1], code=match[2])


def stock_for_symbol(symbol: str) -> Stock:
    return found(reads.fetch_one(stock_read(symbol)))


STOCK_HEAT_HOURS, STOCK_HEAT_COUNT = 7 * 24, 5


class StockView(SubjectListView):
    kind, condition, feed_name, url_kwarg = "股票", reads.BY_STOCK, "stock_feed", "symbol"

    def get(self, request, *args, **kwargs):
        if kwargs["symbol"] != kwargs["symbol"].upper():
            return redirect("articles:stock", symbol=kwargs["symbol"].upper(), permanent=True)
        return super().get(request, *args, **kwargs)

    def get_subject(self):
        return self.read_subject(stock_read(self.kwargs["symbol"]))

    def heading(self) -> str:
        stock = self.subject
        return f"{stock.name}（{stock.symbol}）" if stock.name else stock.symbol

    def description(self) -> str:
        stock = self.subject
        listing = f"{stock.get_market_display()} {stock.code}"
        who = f"{stock.name}（{listing}）" if stock.name else listing
        full = f"{stock.full_name}，" if stock.full_name and stock.full_name != stock.name else ""
        return f"{full}{who}相关的最新财经新闻。"

    def get_context_data(self, **kwargs):
        publishers, alongside = coverage(self.subject)
        # The company's heat: its stories most read this week (articles/reading), on its first page.
        heat = [] if self.request.GET.get("page") not in (None, "1") else list(
            Article.objects.filter(stocks=self.subject).most_read(hours=STOCK_HEAT_HOURS)
            .only("id", "title", "slug", "published_at")[:STOCK_HEAT_COUNT])
        return super().get_context_data(publishers=publishers, alongside=alongside, heat=heat, **kwargs)


class StockIndexView(PublicPageMixin, TemplateView):
    """/stocks/: the companies with stories, by market, then by pinyin initial."""

    template_name = "articles/stock_index.html"

    def get_meta(self) -> PageMeta:
        return PageMeta(title="公司与股票", description="有新闻报道的上市公司，按市场和拼音排列。",
                        path=self.request.path)

    def get_context_data(self, **kwargs):
        groups = []  # [(market, label, [(initial, [stocks])])]
        companies = companies_with_stories()
        for market, label in Stock.Market.choices:
            rows = [s for s in companies if s.market == market]
            if rows:
                by_initial: dict[str, list] = {}
                for stock in rows:
                    by_initial.setdefault(stock.initial, []).append(stock)
                groups.append((market, label, sorted(by_initial.items())))
        return super().get_context_data(groups=groups, **kwargs)


# The years the archive has pages for.
ARCHIVE_YEARS = range(1990, 2101)


def day_bounds(year: int, month: int | None = None, day: int | None = None):
    """Return the [start, end) instants of a year, month or day in the site's time zone."""
    zone = timezone.get_current_timezone()
    try:
        if day is not None:
            start = date(year, month, day)
            end = start + timedelta(days=1)
        elif month is not None:
            start = date(year, month, 1)
            end = date(year + month // 12, month % 12 + 1, 1)
        else:
            start, end = date(year, 1, 1), date(year + 1, 1, 1)
    except (ValueError, OverflowError):
        raise Http404("没有这个日期") from None
    if year not in ARCHIVE_YEARS:
        raise Http404("没有这个日期")
    return (
        datetime.combine(start, datetime.min.time(), zone),
        datetime.combine(end, datetime.min.time(), zone),
    )


class ArchiveView(ArticleListView):
    """Stories of one year, month or day (Asia/Shanghai), newest first. Its links lead only
    where published stories are: the months or days below it that have any, and the nearest
    year, month or day before and after it that has any."""

    template_name = "articles/archive.html"

    def date_parts(self) -> tuple:
        return tuple(self.kwargs.get(k) for k in ("year", "month", "day"))

    def get_queryset(self):
        self.start, self.end = day_bounds(*self.date_parts())
        return Listing(reads.IN_PERIOD, tuple(reads.period_params(self.start, self.end)))

    def heading(self) -> str:
        year, month, day = self.date_parts()
        if day:
            return f"{year}年{month}月{day}日"
        return f"{year}年{month}月" if month else f"{year}年"

    def get_meta(self) -> PageMeta:
        return PageMeta(
            title=f"{self.heading()}新闻",
            description=f"{self.heading()}的财经新闻。",
            path=self.page_path(),
        )

    def get_context_data(self, **kwargs):
        year, month, day = self.date_parts()
        below = []  # (label, URL name, its arguments): the days of a month, the months of a year
        if month and not day:
            below = [(f"{d}日", "articles:archive_day", (year, month, d))
                     for d in range(1, calendar.monthrange(year, month)[1] + 1)]
        elif not month:
            below = [(f"{m}月", "articles:archive_month", (year, m)) for m in range(1, 13)]
        wanted = [reads.nearest_read(self.start, self.end)]
        if below:
            wanted.append(reads.periods_read([day_bounds(*args) for _, _, args in below]))
        # With the section links: one round trip on PostgreSQL.
        nearest, *active = self.fetch_with_sections(*wanted)
        active = active[0] if active else set()
        links = [(label, reverse(name, args=args) if i in active else None)  # None: no story
                 for i, (label, name, args) in enumerate(below)]
        return super().get_context_data(
            heading=self.heading(), date_links=links, neighbours=self.neighbours(*nearest), **kwargs
        )

    def neighbours(self, before, after) -> list[tuple[str, str, str]]:
        """The year, month or day (as this page is one) of the nearest published story before
        this page's period and after it: [(rel, label, url)], none where there is no story."""
        year, month, day = self.date_parts()
        links = []
        for rel, moment in (("prev", before), ("next", after)):
            at = moment and timezone.localtime(moment)
            if not at or at.year not in ARCHIVE_YEARS:
                continue
            if day:
                name, args = "articles:archive_day", [at.year, at.month, at.day]
                label = f"{at.month}月{at.day}日" if at.year == year else f"{at.year}年{at.month}月{at.day}日"
            elif month:
                name, args, label = "articles:archive_month", [at.year, at.month], f"{at.year}年{at.month}月"
            else:
                name, args, label = "articles:archive_year", [at.year], f"{at.year}年"
            links.append((rel, label, reverse(name, args=args)))
        return links


class ArchiveIndexView(PublicPageMixin, TemplateView):
    """The months from the oldest published story's to the newest's, newest year first; a year
    without any story is left out.

    Not up to today: a desk whose latest story is months old must not offer empty years.
    """

    template_name = "articles/archive_index.html"

    def get_meta(self) -> PageMeta:
        return PageMeta(title="按日期浏览", description="按年份和月份浏览全部财经新闻。",
                        path=self.request.path)

    def get_context_data(self, **kwargs):
        # The newest and the oldest story the archive has pages for (two index seeks, read with
        # the section links), then one probe per month between.
        (newest, oldest), = self.fetch_with_sections(reads.nearest_read(
            day_bounds(ARCHIVE_YEARS[-1])[1], day_bounds(ARCHIVE_YEARS[0])[0]))
        years = []  # [(year, [(month, has stories)])], newest year first
        if oldest and newest:
            first, last = timezone.localtime(oldest), timezone.localtime(newest)
            months = [(y, m) for y in range(last.year, first.year - 1, -1)
                      for m in range(first.month if y == first.year else 1,
                                     (last.month if y == last.year else 12) + 1)]
            active = reads.periods_with_stories([day_bounds(y, m) for y, m in months])
            for i, (y, m) in enumerate(months):
                if not years or years[-1][0] != y:
                    years.append((y, []))
                years[-1][1].append((m, i in active))
        years = [(y, months) for y, months in years if any(has for _, has in months)]
        return super().get_context_data(years=years, **kwargs)
