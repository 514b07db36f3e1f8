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
        return super().get_context_data(publishers=publishers, alongside=alongside, **kwargs)


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
    if not 1990 <= year <= 2100:
        raise Http404("没有这个日期")
    return (
        datetime.combine(start, datetime.min.time(), zone),
        datetime.combine(end, datetime.min.time(), zone),
    )


class ArchiveView(ArticleListView):
    """Stories of one year, month or day (Asia/Shanghai), newest first."""

    template_name = "articles/archive.html"

    def get_queryset(self):
        year, month, day = (self.kwargs.get(k) for k in ("year", "month", "day"))
        self.start, self.end = day_bounds(year, month, day)
        return Listing(reads.IN_PERIOD, tuple(reads.period_params(self.start, self.end)))

    def heading(self) -> str:
        year, month, day = (self.kwargs.get(k) for k in ("year", "month", "day"))
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
        year, month, day = (self.kwargs.get(k) for k in ("year", "month", "day"))
        links = []  # (label, address or None for a day or month without a story)
        if month and not day:
            days = range(1, calendar.monthrange(year, month)[1] + 1)
            active = reads.periods_with_stories([day_bounds(year, month, d) for d in days])
            links = [(f"{d}日", reverse("articles:archive_day", args=[year, month, d])
                      if i in active else None) for i, d in enumerate(days)]
        elif not month:
            months = range(1, 13)
            active = reads.periods_with_stories([day_bounds(year, m) for m in months])
            links = [(f"{m}月", reverse("articles:archive_month", args=[year, m])
                      if i in active else None) for i, m in enumerate(months)]
        return super().get_context_data(
            heading=self.heading(), date_links=links, neighbours=self.neighbours(), **kwargs
        )

    def neighbours(self) -> list[tuple[str, str, str]]:
        """The previous and next year, month or day: [(rel, label, url)], no query."""
        year, month, day = (self.kwargs.get(k) for k in ("year", "month", "day"))
        if day:
            here = date(year, month, day)
            steps = [("prev", here - timedelta(days=1)), ("next", here + timedelta(days=1))]
            return [(rel, f"{d.month}月{d.day}日", reverse("articles:archive_day",
                                                         args=[d.year, d.month, d.day]))
                    for rel, d in steps if 1990 <= d.year <= 2100]
        if month:
            steps = [("prev", (year - (month == 1), 12 if month == 1 else month - 1)),
                     ("next", (year + (month == 12), 1 if month == 12 else month + 1))]
            return [(rel, f"{y}年{m}月", reverse("articles:archive_month", args=[y, m]))
                    for rel, (y, m) in steps if 1990 <= y <= 2100]
        return [(rel, f"{y}年", reverse("articles:archive_year", args=[y]))
                for rel, y in (("prev", year - 1), ("next", year + 1)) if 1990 <= y <= 2100]


class ArchiveIndexView(PublicPageMixin, TemplateView):
    """The months from the oldest published story's to the newest's, newest year first.

    Not up to today: a desk whose latest story is months old must not offer empty years.
    """

    template_name = "articles/archive_index.html"

    def get_meta(self) -> PageMeta:
        return PageMeta(title="按日期浏览", description="按年份和月份浏览全部财经新闻。",
                        path=self.request.path)

    def get_context_data(self, **kwargs):
        # Two index seeks (the oldest and newest stories), then one probe per month between.
        moments = Article.objects.published().values_list("published_at", flat=True)
        oldest = moments.order_by("published_at").first()
        newest = moments.order_by("-published_at").first()
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
        return super().get_context_data(years=years, **kwargs)
