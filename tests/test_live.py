"""The 7x24 live page: a plain list without JavaScript, and, in a real browser, stories
imported while the page is open appear on top without a reload."""

from datetime import timedelta

from django.core.cache import cache
from django.test import TestCase
from django.utils import timezone

from articles.ingest.pipeline import import_paths
from articles.models import Article
from tests.admin_support import temp_dir
from tests.browser import DESKTOP, PHONE, SiteBrowserTestCase
from tests.clusters_support import story_file
from tests.site_support import SUNING_HAIER, FreshCacheMixin, create_hidden_stories, import_published


def now_in_beijing() -> str:
    """A story's date as a scraper writes it, a little before now (so it is published)."""
    return f"{timezone.localtime(timezone.now()) - timedelta(seconds=5):%Y-%m-%d %H:%M:%S}"


class LivePageTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.hidden = create_hidden_stories()

    def test_the_latest_stories_newest_first_with_stock_names(self):
        page = self.client.get("/live/")
        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        newest = list(Article.objects.published().order_by("-published_at", "-id")[:3])
        positions = [html.index(f'data-id="{story.pk}"') for story in newest]
        self.assertEqual(positions, sorted(positions))
        self.assertIn("苏宁易购", html.replace("ST易购", "苏宁易购"))
        for story in self.hidden.values():
            self.assertNotIn(f'data-id="{story.pk}"', html)

    def test_important_stories_in_red_and_on_their_own(self):
        haier = Article.objects.get(external_id=SUNING_HAIER)
        haier.important = True
        haier.save()
        html = self.client.get("/live/?important=1").content.decode()
        self.assertEqual(html.count('class="live-item'), 1)
        self.assertIn("is-important", html)
        self.assertIn(haier.title, html)

    def test_query_count_is_bounded(self):
        self.client.get("/live/")
        cache.clear()
        with self.assertNumQueries(4):  # page generation, sections, stories, their stocks
            self.client.get("/live/")


class LiveBrowserTests(SiteBrowserTestCase):
    def setUp(self):
        super().setUp()
        import_published()
        self.folder = temp_dir(self)

    def arrives_without_reload(self, viewport, name):
        page = self.page(viewport)
        page.goto(self.live_server_url + "/live/")
        page.evaluate("window.__sameDocument = true")
        count = page.locator(".live-item").count()
        story_file(self.folder, "flash.md", title="实时快讯：测试公司宣布回购", date=now_in_beijing(),
                   publisher="财联社", key="cailianshe", story_id="203001010000000001",
                   body=["测试公司公告，拟以自有资金回购股份，回购金额不低于1亿元。"])
        report = import_paths([str(self.folder)], status="published", workers=1)
        self.assertEqual(report.created, 1)
        page.locator(".live-item").first.filter(has_text="实时快讯：测试公司宣布回购").wait_for(timeout=20_000)
        self.assertTrue(page.evaluate("window.__sameDocument === true"))  # no reload
        self.assertEqual(page.locator(".live-item").count(), count + 1)
        self.screenshot(page, name)
        self.assertEqual(page.js_errors, [])
        return page

    def test_a_story_imported_while_the_page_is_open_appears_on_top(self):
        self.arrives_without_reload(DESKTOP, "live-desktop")

    def test_on_a_phone_scrolled_down_a_bar_says_how_many_wait(self):
        page = self.page(PHONE)
        page.goto(self.live_server_url + "/live/")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        story_file(self.folder, "flash2.md", title="实时快讯：第二条测试消息", date=now_in_beijing(),
                   publisher="财联社", key="cailianshe", body=["第二条测试消息正文，涉及金额2.5亿元与增长12%。"],
                   story_id="203001010000000002")
        import_paths([str(self.folder)], status="published", workers=1)
        bar = page.locator("#live-new")
        bar.wait_for(state="visible", timeout=20_000)
        self.assertEqual(bar.inner_text(), "1 条新消息")
        self.screenshot(page, "live-phone-bar")
        bar.click()
        page.locator(".live-item").first.filter(has_text="第二条测试消息").wait_for(timeout=5_000)
        self.assertEqual(page.js_errors, [])
