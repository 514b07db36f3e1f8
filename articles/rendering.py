"""What the public site's templates compute: absolute URLs, JSON-LD, times, search highlighting.

Plain functions, no template engine: newsroom/jinja2.py makes them the templates' globals and
filters, and the views call some of them directly.
"""

import json
import re

from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from articles.ingest.cleaning import first_image
from articles.search.highlight import excerpt
from articles.search.highlight import highlight as highlight_terms
from articles.search.tokens import plain_text

# The cleaner marks a caption line whose picture the source did not carry (ingest/cleaning.py).
_ORPHAN_CAPTION = re.compile(r'<p class="caption">.*?</p>', re.DOTALL)
_PICTURE_NOTE = re.compile(r'<p class="note">[^<]*[图照][^<]*</p>')
# As django.utils.html.json_script: nothing in the data can close the <script> element.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def absolute_url(request, path: str) -> str:
    """Return `path` on the site's public address (NEWSROOM_SITE_URL, else this request's)."""
    if path.startswith(("http://", "https://")):
        return path
    base = settings.NEWSROOM_SITE_URL.rstrip("/")
    if base:
        return base + path
    if request is None:
        return path
    return request.build_absolute_uri(path)


def reader_body(body_html: str) -> SafeString:
    """Return a story's cleaned body as readers get it: without captions of absent pictures,
    nor, when it carries no picture at all, notes about its pictures.

    Without its picture such a line ("京东集团副总裁谢帆分享战略内容") reads as a stray sentence,
    and "(注：文内图片为京东授权中国网使用)" credits pictures the reader never sees.
    The body is the importer's allow-listed HTML, which the templates trust.
    """
    body = _ORPHAN_CAPTION.sub("", body_html or "")
    if "<img" not in body:
        body = _PICTURE_NOTE.sub("", body)
    return mark_safe(body)  # noqa: S308


def w3c_datetime(moment) -> str:
    """Beijing time to the second, as the page shows it, in the W3C format that JSON-LD and
    sitemaps read: 2022-05-26T00:19:55+08:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def article_jsonld(article, *, request=None, tags=None, stocks=None) -> SafeString:
    """Return a <script type="application/ld+json"> NewsArticle for `article`.

    `tags` and `stocks` are the story's when the caller has them already, else they are read;
    the stocks are the story's `about`: each company with its ticker.
    """
    url = absolute_url(request, article.get_absolute_url()) if article.pk else ""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "datePublished": w3c_datetime(article.published_at),
        "dateModified": w3c_datetime(max(article.updated_at or article.published_at, article.published_at)),
        "mainEntityOfPage": url,
        "url": url,
        "inLanguage": "zh-CN",
        "publisher": {"@type": "Organization", "name": settings.NEWSROOM_SITE_NAME},
    }
    if article.summary:
        data["description"] = article.summary
    if article.source_id:
        data["author"] = {"@type": "Organization", "name": article.source.name}
        if article.source.url:
            data["author"]["url"] = article.source.url
    if article.category_id:
        data["articleSection"] = article.category.name
    if article.pk:
        names = [tag.name for tag in (article.tags.all() if tags is None else tags)]
        if names:
            data["keywords"] = names
        companies = [stock for stock in (article.stocks.all() if stocks is None else stocks)]
        if companies:
            data["about"] = [{"@type": "Corporation", "name": stock.name or stock.symbol,
                              "tickerSymbol": stock.symbol} for stock in companies]
    image = first_image(article.body)
    if image:
        data["image"] = [image]
    if article.original_url:
        data["isBasedOn"] = article.original_url
    payload = json.dumps(data, ensure_ascii=False).translate(_JSON_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')  # noqa: S308


def article_meta(article):
    """The page metadata of a story page (also for renderers that pass only `article`)."""
    from articles.views.detail import article_meta as build

    return build(article)


def site_zone():
    """The site's time zone, Asia/Shanghai (cached by Django). No view activates another, so
    it is what timezone.localtime() would use, without a context-local look-up per call."""
    return timezone.get_default_timezone()


def short_time(moment) -> str:
    """Return 09:30 for today, 5月12日 for this year, 2021年12月8日 before."""
    if not moment:
        return ""
    local = timezone.localtime(moment, site_zone())
    today = timezone.localdate()
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.year == today.year:
        return f"{local.month}月{local.day}日"
    return f"{local.year}年{local.month}月{local.day}日"


def story_time(moment) -> str:
    """Return 2022年5月26日 00:19, or only the day when the clock reads 00:00:00.

    Sources that give a day and no time are stored at midnight, Beijing time; printing
    "00:00" would state a time nobody reported.
    """
    if not moment:
        return ""
    local = timezone.localtime(moment, site_zone())
    day = f"{local.year}年{local.month}月{local.day}日"
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return day
    return f"{day} {local:%H:%M}"


def highlight(text: str, terms) -> SafeString:
    return highlight_terms(text, terms or ())


def search_excerpt(article, terms) -> SafeString:
    """About 120 characters of the story around the first term, highlighted."""
    terms = terms or ()
    summary = article.summary or ""
    if any(term.lower() in summary.lower() for term in terms):
        return excerpt(summary, terms)
    return excerpt(plain_text(article.body), terms)


def page_url(request, number: int) -> str:
    """Return this page's address with ?page=`number` (other parameters kept)."""
    query = request.GET.copy()
    if number > 1:
        query["page"] = number
    else:
        query.pop("page", None)
    encoded = query.urlencode()
    return request.path + (f"?{encoded}" if encoded else "")


def navigation(categories=None) -> list:
    """The section links: the view's `nav_categories` when it has them (one query fewer)."""
    if categories is None:
        from articles import reads

        categories = reads.sections()
    return categories
