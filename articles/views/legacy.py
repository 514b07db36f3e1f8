"""Old addresses that must keep working (the Jekyll site's: stories, publishers' pages, the
paged home and the feed), and the files clients ask for at the site's root."""

from functools import cache

from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils.cache import patch_cache_control

from articles import identity
from articles.models import Article, Source
from articles.rendering import absolute_url


def legacy_article(request, category, year, month, day, ident):
    """301 from the Jekyll site's /<category>/<yyyy>/<mm>/<dd>/<id>.html to the story.

    The importer stores that path (legacy_path); stories it never saw under one are found
    by the id in the file name, with or without its NW prefix.
    """
    published = Article.objects.published()
    # request.path is already percent-decoded: /shanghaizhengquanbao·zhongguozhengquanwang/…
    article = published.filter(legacy_path=request.path).only("pk", "slug").first()
    if article is None:
        article = (published.filter(external_id__in=[ident, *identity.spellings(ident)])
                   .only("pk", "slug").first())
    if article is None:
        raise Http404("旧链接对应的文章不存在或未发布")
    return HttpResponsePermanentRedirect(article.get_absolute_url())


def legacy_feed(request):
    """301 from the Jekyll site's feed (jekyll-feed's /feed.xml) to the latest stories' feed."""
    return HttpResponsePermanentRedirect(reverse("articles:feed"))


def legacy_publisher(request, key):
    """301 from the Jekyll site's /category/<key>.html, a publisher's page, to its source's.

    `key` is the feed key of the front matter's `categories` (SourceKey), or a source's own
    slug for a publisher no feed key names.
    """
    source = (Source.objects.filter(keys__key=key).only("slug").first()
              or Source.objects.filter(slug=key).only("slug").first())
    if source is None:
        raise Http404("旧链接对应的来源不存在")
    return HttpResponsePermanentRedirect(source.get_absolute_url())


def legacy_home_page(request, number):
    """301 from the Jekyll site's /page/<n>/ (the paged list of every story) to the home page:
    the site has no paged list of all stories, and the home page leads to every list."""
    if number < 1:
        raise Http404("没有这一页")
    return HttpResponsePermanentRedirect(reverse("articles:home"))


def robots_txt(request):
    lines = [
        "User-agent: *",
        # Nothing is disallowed: search result pages carry a noindex, which a crawler kept out
        # by robots.txt would never read (and would index the bare addresses it finds linked).
        "Disallow:",
        "",
        f"Sitemap: {absolute_url(request, reverse('articles:sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@cache
def _favicon() -> bytes:
    path = finders.find("favicon.ico")
    with open(path, "rb") as handle:
        return handle.read()


def favicon(request):
    """/favicon.ico: browsers and feed readers ask for it whatever the page's <link rel=icon>."""
    response = HttpResponse(_favicon(), content_type="image/vnd.microsoft.icon")
    patch_cache_control(response, public=True, max_age=7 * 24 * 3600)
    return response
