"""The page audit (articles/bench/audit.py, `make audit`): how a Lighthouse report is read, and
axe-core on the home page and a story at a phone's and a desktop's width, so that the suite
notices an accessibility regression between two runs of the full audit."""

from django.test import SimpleTestCase

from articles.bench import audit
from articles.models import Article
from tests.browser import SiteBrowserTestCase
from tests.site_support import SUNING_HAIER, import_published


def report(url: str, audits: dict[str, dict]) -> dict:
    """A Lighthouse report holding `audits` (id -> score, mode, items) in one category."""
    return {
        "finalDisplayedUrl": url,
        "categories": {"seo": {"auditRefs": [{"id": key} for key in audits]}},
        "audits": {
            key: {"id": key, "title": key.title(), "score": a.get("score", 0),
                  "scoreDisplayMode": a.get("mode", "binary"),
                  "details": {"items": a.get("items", [])}, "errorMessage": a.get("error")}
            for key, a in audits.items()
        },
    }


def console_error(url: str, code: str = "ERR_NAME_NOT_RESOLVED") -> dict:
    return {"source": "network", "description": f"Failed to load resource: net::{code}",
            "sourceLocation": {"url": url}}


class LighthouseReportTests(SimpleTestCase):
    base = "http://127.0.0.1:8123/articles/1/x/"

    def test_failing_scored_audits_are_findings_and_others_are_not(self):
        findings, _ = audit.lighthouse_findings(report(self.base, {
            "color-contrast": {"items": [{}, {}]},
            "document-title": {"score": 1},
            "structured-data": {"score": None, "mode": "manual"},
            "image-alt": {"score": None, "mode": "notApplicable"},
            "robots-txt": {"score": None, "mode": "error", "error": "Status 301"},
        }), page="story", run="lighthouse mobile")
        self.assertEqual([(f.audit, f.count) for f in findings],
                         [("color-contrast", 2), ("robots-txt", 0)])
        self.assertIn("did not run", findings[1].title)

    def test_unreachable_publisher_pictures_are_set_aside_but_own_files_are_not(self):
        picture = "https://dfscdn.dfcfw.com/download/D1_w800h555.jpg"
        only_pictures = report(self.base, {"errors-in-console": {"items": [console_error(picture)]}})
        findings, set_aside = audit.lighthouse_findings(only_pictures, page="story", run="lh")
        self.assertEqual((findings, set_aside), ([], [picture]))

        ours = report(self.base, {"errors-in-console": {"items": [
            console_error(picture),
            console_error("http://127.0.0.1:8123/static/css/site.css", "ERR_CONNECTION_REFUSED"),
            {"source": "javascript", "description": "TypeError: x is undefined",
             "sourceLocation": {"url": "http://127.0.0.1:8123/static/js/site.js"}},
        ]}})
        findings, set_aside = audit.lighthouse_findings(ours, page="story", run="lh")
        self.assertEqual([(f.audit, f.count) for f in findings], [("errors-in-console", 2)])
        self.assertEqual(set_aside, [picture])

    def test_only_the_search_pages_noindex_is_expected(self):
        noindex = report(self.base, {"is-crawlable": {"items": [{}]}})
        for page, expected in (("search", True), ("home", False)):
            findings, _ = audit.lighthouse_findings(noindex, page=page, run="lh")
            self.assertEqual(bool(findings[0].expected), expected, page)
            result = audit.Result({page: "/"}, ["lh"], findings)
            self.assertEqual(len(result.failing), 0 if expected else 1, page)
            self.assertIn("is-crawlable (1)", audit.table(result))


class AxeTests(SiteBrowserTestCase):
    """axe-core's default rules (WCAG 2 A/AA and best practices) find nothing on the home page
    and a story page (companies, pictures, related stories, share tools), phone and desktop."""

    def setUp(self):
        super().setUp()
        if not audit.AXE.exists():
            raise RuntimeError(f"{audit.AXE} is missing: run `npm ci` (make test does)")
        import_published()

    def test_home_and_a_story_have_no_violation(self):
        source = audit.AXE.read_text()
        story = Article.objects.get(external_id=SUNING_HAIER).get_absolute_url()
        for width, viewport in audit.VIEWPORTS.items():
            page = self.page(viewport)
            for name, path in (("home", "/"), ("story", story)):
                with self.subTest(page=name, width=width):
                    page.goto(self.live_server_url + path, wait_until="load")
                    findings = audit.run_axe(page, source, page=name, run=f"axe {width}")
                    self.assertEqual([(f.audit, f.title, f.count) for f in findings], [])
                    self.assertEqual(page.js_errors, [])
