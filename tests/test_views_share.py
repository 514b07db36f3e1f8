"""articles/views/share.py and the story page's tools: the QR code of a story's address (read
back by a QR decoder from what Chromium draws), copying the link, the text size a reader
chose, remembered on the device."""

import io
import time

import zxingcpp
from django.test import TestCase
from PIL import Image

from articles.models import Article
from tests.browser import PHONE, SiteBrowserTestCase
from tests.site_support import SUNING_HAIER, FreshCacheMixin, create_hidden_stories, import_published


def decoded(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


class StoryQrTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.hidden = create_hidden_stories()
        cls.haier = Article.objects.get(external_id=SUNING_HAIER)

    def test_an_svg_a_browser_may_cache_for_a_day(self):
        response = self.client.get(f"/articles/{self.haier.pk}/qr.svg")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/svg+xml")
        self.assertIn("max-age=86400", response["Cache-Control"])
        self.assertIn(b"<svg", response.content)
        self.assertNotIn(b"<script", response.content)

    def test_no_code_for_a_story_readers_cannot_see(self):
        for state, story in self.hidden.items():
            with self.subTest(state):
                self.assertEqual(self.client.get(f"/articles/{story.pk}/qr.svg").status_code, 404)
        self.assertEqual(self.client.get("/articles/999999999/qr.svg").status_code, 404)

    def test_the_story_page_offers_the_tools(self):
        html = self.client.get(self.haier.get_absolute_url()).content.decode()
        self.assertIn(f'src="/articles/{self.haier.pk}/qr.svg"', html)
        self.assertIn("微信扫码分享", html)
        self.assertIn("data-copy-link=", html)


class ShareBrowserTests(SiteBrowserTestCase):
    def setUp(self):
        super().setUp()
        import_published()
        self.haier = Article.objects.get(external_id=SUNING_HAIER)
        self.address = self.live_server_url + self.haier.get_absolute_url()

    def test_the_qr_code_drawn_on_a_phone_reads_back_as_the_story_address(self):
        page = self.page(PHONE)
        page.goto(self.address)
        code = page.locator(".tool-qr img")
        self.assertFalse(code.is_visible())  # folded until asked for
        page.get_by_text("微信扫码分享").click()
        code.wait_for(state="visible")
        # Polled from here: wait_for_function() evaluates its text in the page, which the CSP forbids.
        deadline = time.monotonic() + 10
        while not code.evaluate("image => image.complete && image.naturalWidth > 0"):
            self.assertLess(time.monotonic(), deadline, "the QR image never loaded")
            page.wait_for_timeout(50)
        self.screenshot(page, "share-qr-phone")
        self.assertEqual(decoded(code.screenshot()), [self.address])
        self.assertEqual(page.js_errors, [])

    def test_copy_link_and_a_text_size_remembered_across_pages(self):
        page = self.page(PHONE)
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=self.live_server_url)
        page.goto(self.address)
        page.get_by_role("button", name="复制链接").click()
        page.get_by_text("链接已复制").wait_for()
        self.assertEqual(page.evaluate("navigator.clipboard.readText()"), self.address)

        size = "parseFloat(getComputedStyle(document.querySelector('.story-body')).fontSize)"
        before = page.evaluate(size)
        bigger = page.get_by_role("button", name="增大字号")
        bigger.click()
        bigger.click()
        after = page.evaluate(size)
        self.assertGreater(after, before)
        other = Article.objects.published().exclude(pk=self.haier.pk).first()
        page.goto(self.live_server_url + other.get_absolute_url())  # another story, same device
        self.assertEqual(page.evaluate(size), after)
        page.get_by_role("button", name="减小字号").click()
        self.assertLess(page.evaluate(size), after)
        self.screenshot(page, "share-tools-phone")
        self.assertEqual(page.js_errors, [])
