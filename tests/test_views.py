"""The home page, the story page, old Jekyll addresses, robots.txt and the error pages."""

import json
import re
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import User
from django.test import RequestFactory, TestCase, override_settings
from django.utils import timezone

from articles import revisions
from articles.models import Article, Category, Revision, Source, Stock
from newsroom.errors import server_error  # the site's handler500
from tests.site_support import (
    GOME_HUAWEI,
    HIDDEN_MARKERS,
    SUNING_HAIER,
    FreshCacheMixin,
    add_stories,
    create_hidden_stories,
    import_published,
)

UNCACHED = override_settings(PAGE_CACHE_SECONDS=0)


def json_ld(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)[1])


@UNCACHED
class HomeTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.hidden = create_hidden_stories()

    def test_home_shows_latest_stories_and_blocks(self):
        response = self.client.get("/")
        self.assertEqual(response.status_code, 200)
        newest = Article.objects.published().first()
        self.assertContains(response, newest.title)
        html = response.content.decode()
        for category in Category.objects.filter(articles__status="published").distinct():
            self.assertIn(f">{category.name}</a></h3>", html)
        # A block per source among the newest stories, with its newest story.
        source = newest.source
        self.assertIn(f'<h3 id="source-{source.pk}" class="block-title">', html)
        block_source, block_stories = response.context["source_blocks"][0]
        self.assertEqual((block_source, block_stories[0]), (source, newest))
        self.assertLessEqual(len(block_stories), 5)
        # Every publisher with a published story has its block, the busiest wire included
        # although its stories are older than eight other publishers' newest.
        publishing = Source.objects.filter(articles__status="published").distinct()
        shown = [s for s, _ in response.context["source_blocks"]]
        self.assertCountEqual(shown, publishing)
        self.assertIn(Source.objects.get(name="东财滚动新闻"), shown)
        self.assertContains(response, '<link rel="canonical" href="http://testserver/">', html=False)
        self.assertContains(response, 'property="og:title"')

    def test_home_hides_unpublished_and_future_stories(self):
        response = self.client.get("/")
        for marker in HIDDEN_MARKERS.values():
            self.assertNotContains(response, marker)

    def test_home_query_count_does_not_grow_with_the_archive(self):
        # Sections, the latest stories, the sources without a recent one, the blocks' ids,
        # the blocks' stories, each hot list (articles/reading).
        with self.assertNumQueries(7):
            self.client.get("/")
        source, category = Source.objects.first(), Category.objects.first()
        stocks = list(Stock.objects.all()[:5])
        add_stories(40, source=source, category=category, tags=["甲", "乙", "丙"], stocks=stocks)
        Source.objects.bulk_create(Source(name=f"新媒体{i}", slug=f"xin-{i}") for i in range(40))
        with self.assertNumQueries(7):
            response = self.client.get("/")
        self.assertContains(response, "批量稿件0")


@UNCACHED
class ArticlePageTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.hidden = create_hidden_stories()
        cls.haier = Article.objects.get(external_id=SUNING_HAIER)
        cls.huawei = Article.objects.get(external_id=GOME_HUAWEI)

    def test_story_page_shows_everything_a_reader_needs(self):
        response = self.client.get(self.haier.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, f'<h1 id="story-title" class="story-title">{self.haier.title}</h1>',
                            html=False)
        self.assertContains(response, "2022年2月21日 09:33")  # Asia/Shanghai
        self.assertContains(response, self.haier.source.get_absolute_url())
        self.assertContains(response, f'href="{self.haier.original_url}"')
        self.assertContains(response, self.haier.category.get_absolute_url())
        self.assertContains(response, "海尔智家副总裁")  # the body, rendered as HTML
        self.assertContains(response, "<p>2月17日，苏宁易购与海尔召开", html=False)
        for stock in self.haier.stocks.all():
            self.assertContains(response, f'href="/stocks/{stock.symbol}/"')
        self.assertContains(response, 'rel="prev"')
        self.assertContains(response, 'rel="next"')

    def test_story_page_lists_stories_sharing_a_stock(self):
        sibling = Article.objects.create(
            title="苏宁易购相关稿件", status="published", published_at=self.haier.published_at,
            source=self.huawei.source,
        )
        sibling.stocks.add(self.haier.stocks.first())
        response = self.client.get(self.haier.get_absolute_url())
        related = response.context["related"]
        self.assertEqual(related[0], sibling)
        self.assertNotIn(self.haier, related)
        for story in self.hidden.values():
            self.assertNotIn(story, related)
        stock = self.haier.stocks.first()
        # The reason is shown, and the list is not numbered like a ranking.
        self.assertContains(response, f'<span class="related-reason">同公司：{stock.name or stock.symbol}</span>')
        self.assertNotContains(response, "<ol")

    def test_the_last_editor_who_touched_the_story_is_named_never_by_login(self):
        page = self.haier.get_absolute_url()
        self.assertNotContains(self.client.get(page), "责任编辑")  # as imported, no editor
        editor = User.objects.create_user("zhang_login", password="x" * 12, last_name="张", first_name="明")
        nameless = User.objects.create_user("wang_login", password="x" * 12)
        revisions.record(self.haier, Revision.Kind.EDIT, user=editor, always=True)
        self.assertContains(self.client.get(page), '<p class="story-editor">责任编辑：张明</p>', html=False)
        revisions.record(self.haier, Revision.Kind.EDIT, user=nameless, always=True)
        response = self.client.get(page)
        self.assertNotContains(response, "责任编辑")  # the newest editor has no name to show
        self.assertNotContains(response, "wang_login")

    def test_previous_and_next_follow_publication_time_among_published_stories(self):
        response = self.client.get(self.haier.get_absolute_url())
        older = Article.objects.published().filter(published_at__lt=self.haier.published_at)
        newer = Article.objects.published().filter(published_at__gt=self.haier.published_at)
        self.assertEqual(response.context["previous_article"], older.order_by("-published_at").first())
        self.assertEqual(response.context["next_article"], newer.order_by("published_at").first())

    def test_metadata_and_json_ld(self):
        response = self.client.get(self.haier.get_absolute_url())
        html = response.content.decode()
        canonical = f"http://testserver{self.haier.get_absolute_url()}"
        self.assertIn(f'<link rel="canonical" href="{canonical}">', html)
        self.assertIn('<meta property="og:type" content="article">', html)
        self.assertIn(f'<meta property="og:title" content="{self.haier.title}">', html)
        self.assertIn('<meta name="description" content="2月17日', html)
        data = json_ld(html)
        self.assertEqual(data["@type"], "NewsArticle")
        self.assertEqual(data["headline"], self.haier.title)
        self.assertEqual(data["mainEntityOfPage"], canonical)
        self.assertEqual(data["author"]["name"], "中国经济网")
        # Beijing time, as the page prints it; never before the story was published.
        self.assertEqual(data["datePublished"], "2022-02-21T09:33:01+08:00")
        self.assertGreaterEqual(data["dateModified"], data["datePublished"])

    def test_json_ld_names_the_publisher_the_source_and_the_companies(self):
        data = json_ld(self.client.get(self.haier.get_absolute_url()).content.decode())
        self.assertEqual(data["publisher"], {"@type": "Organization", "name": settings.NEWSROOM_SITE_NAME})
        self.assertEqual(data["author"]["@type"], "Organization")
        self.assertEqual(data["author"]["name"], self.haier.source.name)
        self.assertEqual(data["articleSection"], self.haier.category.name)
        # `about`: each of its companies with its ticker.
        stocks = self.haier.stocks.order_by("market", "code")
        self.assertEqual(len(stocks), 2)
        self.assertEqual(data["about"], [{"@type": "Corporation", "name": stock.name, "tickerSymbol": stock.symbol}
                                         for stock in stocks])
        self.assertEqual(data["dateModified"],
                         timezone.localtime(self.haier.updated_at).replace(microsecond=0).isoformat())

    def test_json_ld_image_is_a_real_picture_never_a_stock_chart(self):
        """The importer removed the Gome–Huawei story's K-line chart: no image is claimed. A
        chart left in a body (stored before the importer removed them) is passed over."""
        html = self.client.get(self.huawei.get_absolute_url()).content.decode()
        self.assertNotIn("eastmoney.com/GetPic", html)
        self.assertNotIn("image", json_ld(html))
        self.assertNotIn('property="og:image"', html)
        chart = ('<p><a class="EmImageRemark"><img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx'
                 '?nid=116.00493&amp;imageType=k" alt="K图 00493_0"></a></p>')
        photo = "https://img.example.com/pic/huawei.jpg"
        for body, image in ((chart + self.huawei.body, None),
                            (chart + f'<figure><img src="{photo}" alt=""></figure>' + self.huawei.body, photo)):
            with self.subTest(image=image):
                Article.objects.filter(pk=self.huawei.pk).update(body=body)
                html = self.client.get(self.huawei.get_absolute_url()).content.decode()
                self.assertEqual(json_ld(html).get("image"), [image] if image else None)
                if image:
                    self.assertIn(f'<meta property="og:image" content="{image}">', html)
                else:
                    self.assertNotIn('property="og:image"', html)

    def test_a_day_without_a_time_is_printed_without_midnight(self):
        """Seed 001 gives a day only: the page must not claim it appeared at 00:00."""
        story = Article.objects.get(title="2022京东家电合作伙伴大会在京召开")
        response = self.client.get(story.get_absolute_url())
        self.assertContains(response, '<time datetime="2022-09-21T00:00:00+08:00">2022年9月21日</time>',
                            html=False)
        self.assertNotContains(response, "00:00</time>")
        home = self.client.get("/")
        self.assertNotContains(home, "2022年9月21日 00:00")

    def test_captions_of_pictures_the_source_did_not_carry_are_left_out(self):
        story = Article.objects.get(title="2022京东家电合作伙伴大会在京召开")
        self.assertIn('<p class="caption">京东集团副总裁、家电事业部总裁谢帆分享', story.body)
        response = self.client.get(story.get_absolute_url())
        self.assertNotContains(response, "谢帆分享2022京东家电战略内容")
        self.assertNotContains(response, 'class="caption"')
        self.assertContains(response, "谢帆介绍了2022年京东家电的战略升级")  # the text around stays
        # A credit for the story's pictures goes with them when the source carried none.
        shop = Article.objects.get(title="京东家电专卖店召开2022星火计划合作伙伴大会")
        self.assertIn('<p class="note">(注：文内图片为京东授权中国网使用)</p>', shop.body)
        self.assertNotIn("<img", shop.body)
        self.assertNotContains(self.client.get(shop.get_absolute_url()), "文内图片")
        shop.body = '<figure><img src="https://img.example.com/a.jpg" alt=""></figure>' + shop.body
        shop.save()
        self.assertContains(self.client.get(shop.get_absolute_url()),
                            '<p class="note">(注：文内图片为京东授权中国网使用)</p>', html=False)

    def test_json_ld_cannot_close_its_script_element(self):
        story = Article.objects.create(
            title='坏标题</script><script>alert(1)</script>&', status="published",
            summary="</script>", published_at=self.haier.published_at,
        )
        html = self.client.get(story.get_absolute_url()).content.decode()
        block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)[1]
        self.assertNotIn("<", block)
        self.assertEqual(json.loads(block)["headline"], story.title)
        self.assertNotIn("<script>alert(1)", html)

    def test_wrong_or_old_slug_redirects_to_the_canonical_address(self):
        response = self.client.get(f"/articles/{self.haier.pk}/something-else/")
        self.assertRedirects(response, self.haier.get_absolute_url(), status_code=301)

    def test_unpublished_and_future_stories_are_not_found(self):
        for state, story in self.hidden.items():
            with self.subTest(state=state):
                response = self.client.get(story.get_absolute_url())
                self.assertEqual(response.status_code, 404)
                self.assertNotContains(response, HIDDEN_MARKERS[state], status_code=404)

    def test_query_count_does_not_grow_with_tags_stocks_or_related_stories(self):
        url = self.haier.get_absolute_url()
        # The story, its tags and stocks, its corrections, its other publishers' stories, the
        # sections, its neighbours and related stories.
        with self.assertNumQueries(6):
            self.client.get(url)
        stocks = list(Stock.objects.all())
        self.haier.stocks.add(*stocks)
        self.haier.tags.add("甲", "乙", "丙", "丁")
        add_stories(30, source=self.haier.source, category=self.haier.category,
                    tags=["甲"], stocks=stocks[:3])
        with self.assertNumQueries(6):
            response = self.client.get(url)
        self.assertEqual(len(response.context["related"]), 6)
        self.assertContains(response, 'href="/tags/')


@UNCACHED
class LegacyAddressTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()

    def test_jekyll_address_redirects_permanently(self):
        haier = Article.objects.get(external_id=SUNING_HAIER)
        response = self.client.get("/zhongguojingjiwang/2022/02/21/NW202202212282659685.html")
        self.assertRedirects(response, haier.get_absolute_url(), status_code=301)

    def test_category_with_a_middle_dot_percent_encoded(self):
        huawei = Article.objects.get(external_id=GOME_HUAWEI)
        self.assertIn("·", huawei.legacy_path)
        encoded = huawei.legacy_path.replace("·", "%C2%B7")
        response = self.client.get(encoded)
        self.assertRedirects(response, huawei.get_absolute_url(), status_code=301)

    def test_corpus_post_address(self):
        story = Article.objects.get(external_id="202112082206672930")
        response = self.client.get("/emnews/2021/12/08/202112082206672930.html")
        self.assertRedirects(response, story.get_absolute_url(), status_code=301)

    def test_story_found_by_id_when_the_stored_path_differs(self):
        haier = Article.objects.get(external_id=SUNING_HAIER)
        for ident in ("NW202202212282659685", "202202212282659685"):
            response = self.client.get(f"/zhongguojingji/2022/02/22/{ident}.html")
            self.assertRedirects(response, haier.get_absolute_url(), status_code=301)

    def test_publisher_pages_move_to_the_source_page(self):
        """/category/<key>.html, as the seeds' "返回…新闻" links give it, to the source's page:
        by its feed key (the middle dot percent-encoded or not), else by the source's slug."""
        seeds = {"zhongguojingjiwang": "中国经济网",
                 "shanghaizhengquanbao·zhongguozhengquanwang": "上海证券报·中国证券网",
                 "emnews": "东财滚动新闻"}
        for key, name in seeds.items():
            source = Source.objects.get(name=name)
            for path in (f"/category/{key}.html", f"/category/{quote(key)}.html"):
                with self.subTest(path):
                    with self.assertNumQueries(1):  # the source by its key
                        response = self.client.get(path)
                    self.assertRedirects(response, source.get_absolute_url(), status_code=301,
                                         fetch_redirect_response=False)
        self.assertEqual(self.client.get(source.get_absolute_url()).status_code, 200)
        keyless = Source.objects.create(name="无键来源", slug="wujianlaiyuan")
        self.assertRedirects(self.client.get("/category/wujianlaiyuan.html"),
                             keyless.get_absolute_url(), status_code=301)

    def test_unknown_publisher_key_is_not_found(self):
        for path in ("/category/no-such-publisher.html", "/category/.html", "/category/emnews"):
            with self.subTest(path):
                self.assertEqual(self.client.get(path).status_code, 404)

    def test_paged_home_moves_to_the_home_page(self):
        """The site has no paged list of every story: /page/N/ leads home."""
        for n in (2, 3, 999):
            with self.subTest(n):
                with self.assertNumQueries(0):
                    response = self.client.get(f"/page/{n}/")
                self.assertRedirects(response, "/", status_code=301, fetch_redirect_response=False)
        for path in ("/page/0/", "/page/two/", "/page/-1/"):
            with self.subTest(path):
                self.assertEqual(self.client.get(path).status_code, 404)

    def test_unknown_or_unpublished_story_is_not_found(self):
        self.assertEqual(self.client.get("/emnews/2021/12/08/999999.html").status_code, 404)
        Article.objects.filter(external_id=SUNING_HAIER).update(status="review")
        response = self.client.get("/zhongguojingjiwang/2022/02/21/NW202202212282659685.html")
        self.assertEqual(response.status_code, 404)


class RobotsAndErrorPagesTests(FreshCacheMixin, TestCase):
    def test_robots_txt_points_at_the_sitemap(self):
        response = self.client.get("/robots.txt")
        self.assertEqual(response["Content-Type"], "text/plain; charset=utf-8")
        self.assertContains(response, "Sitemap: http://testserver/sitemap.xml")
        # Search pages say noindex themselves: a crawler must be let in to read it.
        self.assertNotIn("/search/", response.content.decode())
        self.assertEqual(response.content.decode().splitlines()[:2], ["User-agent: *", "Disallow:"])

    def test_not_found_page_is_chinese_and_leaks_nothing(self):
        response = self.client.get("/no/such/page/")
        self.assertEqual(response.status_code, 404)
        self.assertContains(response, "页面不存在", status_code=404)
        self.assertNotContains(response, "Traceback", status_code=404)
        self.assertNotContains(response, "urlpatterns", status_code=404)
        self.assertNotContains(response, "Page not found", status_code=404)

    def test_server_error_page_renders_without_a_database(self):
        request = RequestFactory().get("/")
        with self.assertNumQueries(0):
            response = server_error(request)
        self.assertEqual(response.status_code, 500)
        html = response.content.decode()
        self.assertIn("服务器出错了", html)
        self.assertIn('<span class="brand-name">财经新闻台</span>', html)  # the site's own name

    def test_favicon_is_served_at_the_root_and_linked_from_every_page(self):
        response = self.client.get("/favicon.ico")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/vnd.microsoft.icon")
        self.assertEqual(response.content[:4], b"\x00\x00\x01\x00")  # an icon resource
        self.assertIn("max-age=604800", response["Cache-Control"])
        page = self.client.get("/no/such/page/")
        self.assertContains(page, '<link rel="icon" href="/static/favicon.ico"', status_code=404)
        self.assertContains(page, '<link rel="apple-touch-icon" href="/static/apple-touch-icon.png">',
                            status_code=404)

    def test_feed_xml_of_the_old_site_moves_to_the_feed(self):
        self.assertRedirects(self.client.get("/feed.xml"), "/feed/", status_code=301)


@UNCACHED
class OriginalLinkTests(FreshCacheMixin, TestCase):
    """查看原文 says whose page it leads to: the scraper's mirror is named as a reprint page."""

    @classmethod
    def setUpTestData(cls):
        import_published()

    def test_a_mirror_copy_is_labelled_as_a_reprint_page(self):
        story = Article.objects.get(external_id=SUNING_HAIER)
        self.assertIn("finews.zning.xyz", story.original_url)
        html = self.client.get(story.get_absolute_url()).content.decode()
        self.assertIn("查看转载页", html)
        self.assertIn("转载网站 finews.zning.xyz", html)
        self.assertNotIn("查看原文", html)
        feed = self.client.get("/feed/").content.decode()
        self.assertIn("转载页&lt;/a&gt;", feed)

    def test_the_publishers_own_page_is_the_original(self):
        story = Article.objects.get(external_id=SUNING_HAIER)
        Article.objects.filter(pk=story.pk).update(original_url="https://www.ce.cn/xwzx/202202/t1.shtml")
        html = self.client.get(story.get_absolute_url()).content.decode()
        self.assertIn("查看原文", html)
        self.assertIn(f"（{story.source.name}网站）", html)
        self.assertNotIn("转载", html)
