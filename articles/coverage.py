"""What the stock pages show about a company beyond its stories: who covers it and which
companies appear beside it, read from its newest stories (a bounded sample, whatever the
size of the archive), and the directory of companies with stories."""

from collections import Counter

from django.db.models import Count

from articles.models import Article, Source, Stock

SAMPLE = 500  # newest published stories of the company looked at
SHOWN = 8


def coverage(stock: Stock) -> tuple[list[Source], list[Stock]]:
    """(publishers, companies mentioned alongside) of `stock`'s newest stories, most first:
    three queries."""
    ids = list(Article.objects.published().filter(stocks=stock).order_by("-published_at", "-id")
               .values_list("pk", flat=True)[:SAMPLE])
    if not ids:
        return [], []
    publishers = list(Source.objects.filter(articles__pk__in=ids).annotate(stories=Count("articles"))
                      .order_by("-stories", "name")[:SHOWN])
    alongside = list(Stock.objects.filter(articles__pk__in=ids).exclude(pk=stock.pk)
                     .annotate(stories=Count("articles")).order_by("-stories", "market", "code")
                     .only("id", "market", "code", "name")[:SHOWN])
    return publishers, alongside


def companies_with_stories() -> list[Stock]:
    """Companies that have published stories, with `stories` counted, by market and pinyin:
    three queries. Every link counted, less the links of the few unpublished stories: counting
    the published ones' links would read every published story (at a million, a scan of the
    articles table); this reads the narrow link table and the unpublished stories by index."""
    links = Article.stocks.through.objects.order_by()
    counts = Counter(dict(links.values_list("stock_id").annotate(n=Count("article_id"))))
    counts.subtract(dict(links.filter(article__in=Article.objects.unpublished())
                         .values_list("stock_id").annotate(n=Count("article_id"))))
    counts = {stock: count for stock, count in counts.items() if count > 0}
    found = list(Stock.objects.filter(pk__in=counts).only("id", "market", "code", "name"))
    for stock in found:
        stock.stories = counts[stock.pk]
        stock.initial = initials_of(stock)  # pinyin once per company, not per comparison
    return sorted(found, key=lambda s: (s.market, s.initial, s.code))


def initials_of(stock: Stock) -> str:
    """The pinyin initial the index files a company under (A–Z, or # for digits and others)."""
    from articles.stocks import pinyin

    first = pinyin(stock.name or stock.code)[0][:1].upper()
    return first if first.isalpha() else "#"
