"""A reader's walk through the site in Debian's Chromium, on a phone and on a desktop:
home -> a story -> its source -> a search. Screenshots land in tests/screenshots/."""


from articles.models import Article
from tests.browser import DESKTOP, PHONE, SiteBrowserTestCase
from tests.site_support import SUNING_HAIER, import_published

# Records CSP violations: the site must need no inline script or style.
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


class ReaderWalkTests(SiteBrowserTestCase):
    def setUp(self):
        super().setUp()
        import_published()
        self.haier = Article.objects.get(external_id=SUNING_HAIER)

    def open(self, viewport):
        page = self.page(viewport)
        page.add_init_script(WATCH_CSP)
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.console_errors = console
        return page

    def check(self, page, name: str, *, phone: bool) -> None:
        """No script error, no CSP violation, nothing wider than a phone; a screenshot."""
        self.assertEqual(page.js_errors, [], name)
        self.assertEqual(page.evaluate("window.__csp"), [], name)
        # Publishers' images are off-line here; anything else failing is ours.
        ours = [m for m in page.console_errors if "Failed to load resource" not in m]
        self.assertEqual(ours, [], name)
        if phone:
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            self.assertLessEqual(overflow, 0, f"{name} scrolls sideways by {overflow}px")
        self.screenshot(page, name)

    def walk(self, viewport, label: str) -> None:
        phone = viewport is PHONE
        page = self.open(viewport)

        page.goto(self.live_server_url + "/")
        self.assertEqual(page.title(), "财经新闻台")
        lead = page.locator(".lead-title a")
        self.assertTrue(lead.is_visible())
        self.assertEqual(page.locator("[aria-labelledby=categories-title] .block").count(), 5)
        self.assertGreaterEqual(page.locator("[aria-labelledby=sources-title] .block").count(), 5)
        self.check(page, f"site-home-{label}", phone=phone)

        # The skip link is the first stop for keyboard users, and it shows itself.
        page.keyboard.press("Tab")
        self.assertEqual(page.evaluate("document.activeElement.className"), "skip-link")
        self.assertGreater(page.locator(".skip-link").bounding_box()["y"], 0)

        page.get_by_role("link", name=self.haier.title).first.click()
        page.wait_for_url(f"**{self.haier.get_absolute_url()}")
        self.assertEqual(page.locator("h1").inner_text(), self.haier.title)
        self.assertIn("海尔智家副总裁", page.locator(".story-body").inner_text())
        self.assertTrue(page.locator(".chip-stock").first.is_visible())
        self.check(page, f"site-article-{label}", phone=phone)

        page.locator(".story-meta").get_by_role("link", name="中国经济网", exact=True).click()
        page.wait_for_url("**/sources/zhongguojingjiwang/")
        self.assertEqual(page.locator("h1").inner_text(), "中国经济网")
        self.assertIn(self.haier.title, page.locator(".item-list").inner_text())
        self.check(page, f"site-source-{label}", phone=phone)

        box = page.locator("#site-search")
        box.fill("海尔")
        box.press("Enter")
        page.wait_for_url("**/search/?q=*")
        self.assertEqual(page.locator(".results .item-title").first.inner_text(), self.haier.title)
        self.assertGreater(page.locator(".results mark").count(), 3)
        self.check(page, f"site-search-{label}", phone=phone)

        # "/" jumps to the search box (site.js).
        page.locator("body").click(position={"x": 5, "y": 300})
        page.keyboard.press("/")
        self.assertEqual(page.evaluate("document.activeElement.id"), "search-q")

    def test_walk_on_a_phone(self):
        self.walk(PHONE, "phone")

    def test_walk_on_a_desktop(self):
        self.walk(DESKTOP, "desktop")

    def test_not_found_and_empty_search_pages(self):
        page = self.open(PHONE)
        response = page.goto(self.live_server_url + "/no/such/page/")
        self.assertEqual(response.status, 404)
        self.assertEqual(page.locator("h1").inner_text(), "页面不存在")
        self.check(page, "site-404-phone", phone=True)
        page.goto(self.live_server_url + "/search/?q=" + "很长的搜索词" * 30)
        self.assertIn("搜索词太长了", page.locator(".notice").inner_text())
        self.check(page, "site-search-too-long-phone", phone=True)

    def test_the_current_section_scrolls_into_view_on_a_phone(self):
        """The archive's tab sits past a phone's right edge: site.js brings it into view."""
        page = self.open(PHONE)
        page.goto(self.live_server_url + "/archive/")
        box = page.locator(".sections a[aria-current=page]").bounding_box()
        bar = page.locator(".sections ul").bounding_box()
        self.assertLessEqual(box["x"] + box["width"], bar["x"] + bar["width"] * 0.85)  # the fade
        self.assertGreaterEqual(box["x"], 0)
        self.check(page, "site-archive-phone", phone=True)
        self.assertEqual(page.goto(self.live_server_url + "/favicon.ico").status, 200)

    def test_links_beside_the_date_do_not_rely_on_colour(self):
        """A meta line's source link, in the date's grey (or near it), is underlined and the date
        is not; the separator before the link is not underlined with it (axe: link-in-text-block)."""
        page = self.open(DESKTOP)
        styles = """() => [...document.querySelectorAll('.meta, .story-meta')].flatMap(line => {
            const date = getComputedStyle(line.querySelector('time')).textDecorationLine;
            return [...line.querySelectorAll('a:not(.meta-section):not(.original-link)')].map(a => {
                const style = getComputedStyle(a);
                return [a.textContent, style.textDecorationLine, style.textDecorationColor === style.color,
                        date, getComputedStyle(a, '::before').display];
            });
        })"""
        pages = {"home": "/", "search": "/search/?q=海尔", "category": self.haier.category.get_absolute_url(),
                 "story": self.haier.get_absolute_url()}
        for name, path in pages.items():
            with self.subTest(path):
                page.goto(self.live_server_url + path)
                links = page.evaluate(styles)
                self.assertTrue(links)
                for text, link, in_its_colour, date, before in links:
                    # Underlined in the link's own colour, not a pale line beside a grey date.
                    self.assertEqual((text, link, in_its_colour, date), (text, "underline", True, "none"))
                    if name != "story":  # list items: a separator before the link
                        self.assertEqual(before, "inline-block", text)
                self.screenshot(page, f"site-meta-{name}-desktop")
