"""Readers in Debian's Chromium: five readers open a story, their browsers' beacons count it,
flush_reads ranks it, and the home page (phone and desktop) and /hot/ show it first. A headless
browser that says so is a robot: the readers here say they are desktop Chrome. Screenshots land
in tests/screenshots/."""

from io import StringIO

from django.core.management import call_command
from django.test import override_settings

from articles.reading.beacon import beacon_path, forget_published
from articles.reading.models import StoryReads
from tests.browser import DESKTOP, PHONE, SiteBrowserTestCase
from tests.reading_support import story
from tests.test_site_browser import WATCH_CSP

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")


# Behind nginx, as in production: each reader's address arrives in X-Forwarded-For.
@override_settings(BEHIND_PROXY=True)
class ReadersBrowserTests(SiteBrowserTestCase):
    def setUp(self):
        super().setUp()
        forget_published()
        self.top = story("工商银行发布年报", hours_ago=30)
        self.other = story("招商银行零售转型")
        self.headless = self.browser.new_context(viewport=DESKTOP)  # says HeadlessChrome
        self.addCleanup(self.headless.close)

    def read(self, article, *, reader: int, context=None) -> None:
        """A reader opens the story's page; wait until the browser has sent its read."""
        if context is None:
            context = self.browser.new_context(
                viewport=PHONE, user_agent=CHROME, locale="zh-CN", timezone_id="Asia/Shanghai",
                extra_http_headers={"X-Forwarded-For": f"203.0.113.{reader}"})
            self.addCleanup(context.close)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.add_init_script(WATCH_CSP)
        with page.expect_request_finished(lambda request: request.url.endswith(beacon_path(article.pk))) as sent:
            page.goto(self.live_server_url + article.get_absolute_url())
        self.assertEqual(sent.value.method, "POST")
        self.assertEqual(sent.value.response().status, 204)
        self.assertEqual(errors, [])
        self.assertEqual(page.evaluate("window.__csp"), [])
        page.close()

    def test_a_story_read_5_times_tops_the_hot_list(self):
        for reader in range(1, 6):
            self.read(self.top, reader=reader)
        for reader in range(1, 4):
            self.read(self.other, reader=reader)
        self.read(self.other, reader=9, context=self.headless)  # a robot: sent, not counted
        self.assertEqual({row.article_id: row.count for row in StoryReads.objects.all()},
                         {self.top.pk: 5, self.other.pk: 3})
        call_command("flush_reads", "--quiet", stdout=StringIO())

        for viewport, label in ((PHONE, "phone"), (DESKTOP, "desktop")):
            page = self.page(viewport)
            page.goto(self.live_server_url + "/")
            for board in ("day", "week"):
                items = page.locator(f"#home-hot-{board} + .hot-list li a")
                self.assertEqual(items.all_inner_texts(), ["工商银行发布年报", "招商银行零售转型"])
            if viewport is PHONE:
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                self.assertLessEqual(overflow, 0)
            page.locator(".home-hot").scroll_into_view_if_needed()
            self.screenshot(page, f"reading-home-{label}")
            page.get_by_role("link", name="更多热读").click()
            page.wait_for_url("**/hot/")
            self.assertEqual(page.locator("#hot-day + .hot-list li a").first.inner_text(), "工商银行发布年报")
            self.screenshot(page, f"reading-hot-{label}")
