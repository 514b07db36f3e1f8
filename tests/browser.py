"""Real-browser test support: Debian's Chromium driven by Playwright, against a live server.

Browser tests fail (never skip) when Chromium is missing: CI must notice.
"""

import os
import shutil
from pathlib import Path

from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.test import tag

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@tag("slow")  # real processes or a browser: left out of `make test-fast`
class BrowserTestCase(StaticLiveServerTestCase):
    """A live server plus one Chromium for the class; `self.page(viewport)` opens a tab."""

    host = "127.0.0.1"

    @classmethod
    def setUpClass(cls):
        # Playwright's sync API runs an event loop in this thread; Django's ORM then refuses to
        # run unless told that this test process knows what it is doing.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        super().setUpClass()
        if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
            raise RuntimeError(
                f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (browser tests "
                "must not be skipped)"
            )
        from playwright.sync_api import sync_playwright

        cls._playwright = sync_playwright().start()
        cls.browser = cls._playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        SCREENSHOTS.mkdir(exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls._playwright.stop()
        super().tearDownClass()

    def page(self, viewport=DESKTOP):
        # Readers and editors are in China: a UTC browser would make the admin warn that the
        # editor is 8 hours behind the server on every date field.
        context = self.browser.new_context(
            viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        self.addCleanup(context.close)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page

    def screenshot(self, page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


class SiteBrowserTestCase(BrowserTestCase):
    """For the readers' pages: each test starts with an empty page cache and the default
    sections, which the live server's flush after each test removes."""

    def setUp(self):
        super().setUp()
        from django.core.cache import cache

        from tests.admin_support import restore_default_categories

        cache.clear()
        restore_default_categories()
