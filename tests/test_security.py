"""Security: XSS vectors through the real importer into a real browser, CSRF, login throttling,
no debug output to readers, and unpublished stories never leaking.

The XSS fixtures (tests/fixtures/xss/) are a Jekyll post and a plain-text dump carrying the
OWASP cheat sheet's vector classes; every vector calls `xssHit('<name>')` or `alert()`. The
browser defines xssHit before any page script runs, so a vector that executes is recorded.
"""

import io
import json
import re
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, TestCase, override_settings
from django.test import tag as test_tag
from django.urls import include, path, reverse
from django.utils import timezone

from articles.models import Article, Source
from tests.browser import DESKTOP, PHONE, BrowserTestCase
from tests.test_production import (
    documented_env,
    last_json,
    manage,
    production_static_root,
    run_django,
)

XSS_DIR = Path(settings.BASE_DIR) / "tests" / "fixtures" / "xss"
JEKYLL_XSS = "XSS测试稿"
TEXT_XSS = "安全纯文本测试"

HOOKS = """
window.__xss = [];
window.__csp = [];
window.xssHit = (name) => { window.__xss.push(String(name)); };
document.addEventListener('securitypolicyviolation',
    (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""

# Runs in the page: whatever survived sanitising must be inert. Returns the offenders.
AUDIT = r"""
() => {
  const bad = [];
  const urlAttrs = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'background',
                    'poster', 'srcdoc', 'codebase', 'dynsrc', 'lowsrc'];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\u0000-\u0020]/g, '').toLowerCase();
      if (name.startsWith('on')) bad.push(`${tag}[${name}]`);
      // data: images (inline pictures, the site's SVG favicon) cannot run script.
      const dataImage = value.startsWith('data:image/') &&
        ((tag === 'img' && name === 'src') || (tag === 'link' && name === 'href' &&
                                               /icon/.test(el.getAttribute('rel') || '')));
      if (urlAttrs.includes(name) && /^(javascript|vbscript|data|livescript):/.test(value)
          && !dataImage) {
        bad.push(`${tag}[${name}=${attr.value}]`);
      }
      if (name === 'style' && /expression|javascript:|behavior|-moz-binding/.test(value)) {
        bad.push(`${tag}[style=${attr.value}]`);
      }
    }
    if (['iframe', 'frame', 'object', 'embed', 'applet', 'base'].includes(tag)) bad.push(tag);
    if (tag === 'meta' && (el.getAttribute('http-equiv') || '').toLowerCase() === 'refresh') {
      bad.push('meta refresh');
    }
    if (tag === 'script') {
      const type = (el.getAttribute('type') || '').toLowerCase();
      if (type === 'application/ld+json') {
        try { JSON.parse(el.textContent); } catch (e) { bad.push('unparseable JSON-LD'); }
      } else {
        // Only the site's own files (static, or the admin's jsi18n): never inline code.
        const src = el.src ? new URL(el.src) : null;
        if (!src || src.origin !== location.origin) {
          bad.push(`script ${el.src || el.textContent.slice(0, 60)}`);
        }
      }
    }
  }
  // Give any handler that slipped through every chance to run.
  for (const el of document.querySelectorAll('body *')) {
    for (const type of ['mouseover', 'mouseenter', 'focus', 'focusin', 'pointerover']) {
      el.dispatchEvent(new Event(type, {bubbles: true}));
    }
  }
  return bad;
}
"""


def import_xss_fixtures() -> dict:
    """Import the vector files, all published: the page dump's guessed title and date trusted,
    as an editor would publish it, so that readers' pages show what an attacker sent."""
    out = io.StringIO()
    call_command(
        "import_articles", str(XSS_DIR), "--status", "published", "--trust-inferred", "--workers", "1",
        "--json", stdout=out,
    )
    return json.loads(out.getvalue())


class XssImportTests(TestCase):
    """What the importer stores from the vector files (no browser needed)."""

    def test_vectors_are_imported_and_the_story_text_survives(self):
        report = import_xss_fixtures()
        self.assertEqual(report["created"], 2, report)
        self.assertEqual(report["failed"], 0, report)
        post = Article.objects.get(title__startswith=JEKYLL_XSS)
        for marker in ("安全段落一", "安全段落二", "安全段落三", "安全段落四"):
            self.assertIn(marker, post.body)
        dump = Article.objects.get(title__startswith=TEXT_XSS)
        self.assertIn("结尾文字必须保留", dump.body)

    def test_stored_bodies_hold_no_active_markup(self):
        import_xss_fixtures()
        for article in Article.objects.all():
            soup = BeautifulSoup(article.body, "html.parser")
            for tag in soup.find_all(True):
                self.assertNotIn(
                    tag.name, {"script", "style", "iframe", "object", "embed", "svg", "math",
                               "form", "base", "meta", "link"},
                )
                for name, value in tag.attrs.items():
                    self.assertFalse(name.startswith("on"), f"{tag.name}[{name}]")
                    if name in {"href", "src"}:
                        self.assertRegex(value, r"^(https?:|mailto:|[^:]*$)", f"{tag.name}[{name}]")


class XssBrowserMixin:
    """Render every reader-facing page that shows the vector stories and audit it."""

    def setUp(self):
        super().setUp()
        import_xss_fixtures()
        self.post = Article.objects.get(title__startswith=JEKYLL_XSS)
        self.dump = Article.objects.get(title__startswith=TEXT_XSS)

    def reader_pages(self) -> list[str]:
        hostile_query = "<script>xssHit('query')</script>\"><img src=x onerror=xssHit('query-img')>"
        pages = [
            self.post.get_absolute_url(),
            self.dump.get_absolute_url(),
            reverse("articles:home"),
            self.post.source.get_absolute_url(),
            "/search/?q=" + quote("XSS测试稿"),
            "/search/?q=" + quote("xssHit"),
            "/search/?q=" + quote(hostile_query),
        ]
        pages += [tag.get_absolute_url() for tag in self.post.tags.all()]
        pages += [stock.get_absolute_url() for stock in self.post.stocks.all()]
        if self.dump.source:
            pages.append(self.dump.source.get_absolute_url())
        return pages

    def audit(self, url: str, viewport=DESKTOP, cookies=None) -> dict:
        page = self.page(viewport)
        if cookies:
            page.context.add_cookies(cookies)
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.add_init_script(HOOKS)
        response = page.goto(self.live_server_url + url, wait_until="networkidle")
        offenders = page.evaluate(AUDIT)
        page.wait_for_timeout(300)
        return {
            "url": url,
            "status": response.status,
            "hits": page.evaluate("window.__xss"),
            "csp": page.evaluate("window.__csp"),
            "dialogs": dialogs,
            "offenders": offenders,
            "errors": page.js_errors,
            "page": page,
        }

    def assert_inert(self, result: dict, *, csp_must_be_quiet: bool) -> None:
        url = result["url"]
        self.assertEqual(result["status"], 200, url)
        self.assertEqual(result["hits"], [], f"script ran on {url}")
        self.assertEqual(result["dialogs"], [], f"dialog opened on {url}")
        self.assertEqual(result["offenders"], [], f"active markup survived on {url}")
        self.assertEqual(result["errors"], [], f"page errors on {url}")
        if csp_must_be_quiet:
            # A violation means something hostile reached the page and only CSP stopped it
            # (or the site itself relies on inline code that production would block).
            self.assertEqual(result["csp"], [], f"CSP violations on {url}")


class XssBrowserTests(XssBrowserMixin, BrowserTestCase):
    """Production headers (CSP on): nothing runs and CSP never has to intervene."""

    def test_reader_pages_run_no_injected_script(self):
        for url in self.reader_pages():
            with self.subTest(url=url):
                self.assert_inert(self.audit(url), csp_must_be_quiet=True)

    def test_article_renders_the_vectors_as_text_on_a_phone(self):
        result = self.audit(self.post.get_absolute_url(), viewport=PHONE)
        self.assert_inert(result, csp_must_be_quiet=True)
        page = result["page"]
        self.assertIn("XSS测试稿 </script><script>", page.title())
        body_text = page.inner_text("body")
        self.assertIn("安全段落四", body_text)
        self.assertIn("<script>xssHit('escaped-text-stays-text')</script>", body_text)
        self.screenshot(page, "security-xss-article-phone")
        dump = self.audit(self.dump.get_absolute_url())
        self.assertIn("<img src=x onerror=xssHit('text-img')>", dump["page"].inner_text("body"))
        self.screenshot(dump["page"], "security-xss-plaintext-desktop")

    def test_admin_pages_run_no_injected_script(self):
        """Editors see the same stories in the admin: a classic escalation target."""
        user = get_user_model().objects.create_superuser("editor", "e@example.com", "pw-12345678")
        client = Client()
        client.force_login(user)
        cookie = {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": self.live_server_url,
        }
        for url in (
            reverse("admin:articles_article_changelist"),
            reverse("admin:articles_article_change", args=[self.post.pk]),
            reverse("admin:articles_article_change", args=[self.dump.pk]),
            reverse("admin:articles_source_changelist"),
        ):
            with self.subTest(url=url):
                result = self.audit(url, cookies=[cookie])
                self.assert_inert(result, csp_must_be_quiet=False)


@override_settings(
    MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != "csp.middleware.CSPMiddleware"]
)
class XssWithoutCspBrowserTests(XssBrowserMixin, BrowserTestCase):
    """The sanitiser and the templates alone, without CSP as a safety net."""

    def test_reader_pages_run_no_injected_script(self):
        for url in self.reader_pages():
            with self.subTest(url=url):
                result = self.audit(url)
                self.assertEqual(result["csp"], [])  # really no CSP here
                self.assert_inert(result, csp_must_be_quiet=False)


class XssFeedTests(TestCase):
    def test_feeds_are_valid_xml_and_carry_only_sanitised_html(self):
        import_xss_fixtures()
        response = self.client.get("/feed/")
        self.assertEqual(response.status_code, 200)
        root = ElementTree.fromstring(response.content)  # noqa: S314 (our own output)
        post = Article.objects.get(title__startswith=JEKYLL_XSS)
        # Plain-text elements (titles) carry the title verbatim, XML-escaped by the writer.
        self.assertIn(post.title, [el.text for el in root.iter()])
        # HTML-typed elements (Atom type="html", RSS description) are parsed as HTML by readers.
        html = [el.text or "" for el in root.iter()
                if el.get("type") == "html" or el.tag.endswith(("description", "encoded"))]
        self.assertTrue(any("安全段落四" in text for text in html))
        for text in html:
            soup = BeautifulSoup(text, "html.parser")
            for tag in soup.find_all(True):
                self.assertNotIn(tag.name, {"script", "iframe", "object", "embed", "svg"})
                self.assertFalse([a for a in tag.attrs if a.startswith("on")], tag)


def form_fields(html: str) -> dict[str, str]:
    """The values a browser would submit from the page's main form (its defaults)."""
    form = BeautifulSoup(html, "html.parser").find("form", id=re.compile(r"_form$"))
    data = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        kind = (field.get("type") or "").lower()
        if not name or kind in {"submit", "button", "file"}:
            continue
        if kind in {"checkbox", "radio"}:
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            data[name] = chosen.get("value", "") if chosen else ""
        elif field.name == "textarea":
            data[name] = field.get_text()
        else:
            data[name] = field.get("value", "")
    return data


class CsrfTests(TestCase):
    def setUp(self):
        self.user = get_user_model().objects.create_superuser(
            "chief", "chief@example.com", "pw-12345678"
        )
        self.client = Client(enforce_csrf_checks=True)

    def test_admin_login_without_token_is_refused(self):
        response = self.client.post(
            reverse("admin:login"), {"username": "chief", "password": "pw-12345678"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_admin_form_without_token_is_refused_and_with_token_accepted(self):
        self.client.force_login(self.user)
        url = reverse("admin:articles_source_add")
        form = self.client.get(url)
        self.assertEqual(form.status_code, 200)
        data = form_fields(form.content.decode()) | {"name": "跨站来源", "slug": "kuazhan"}
        token = data.pop("csrfmiddlewaretoken")
        self.assertEqual(self.client.post(url, data).status_code, 403)
        self.assertFalse(Source.objects.filter(slug="kuazhan").exists())

        response = self.client.post(url, data | {"csrfmiddlewaretoken": token})
        self.assertEqual(response.status_code, 302, response.content[:3000])
        self.assertTrue(Source.objects.filter(slug="kuazhan").exists())

    def test_admin_delete_without_token_is_refused(self):
        self.client.force_login(self.user)
        source = Source.objects.create(name="待删来源", slug="daishan")
        url = reverse("admin:articles_source_delete", args=[source.pk])
        self.assertEqual(self.client.post(url, {"post": "yes"}).status_code, 403)
        self.assertTrue(Source.objects.filter(pk=source.pk).exists())


class LoginThrottleTests(TestCase):
    def test_locked_out_after_repeated_failures_even_with_the_right_password(self):
        get_user_model().objects.create_superuser("chief", "chief@example.com", "pw-12345678")
        url = reverse("admin:login")
        for _ in range(settings.AXES_FAILURE_LIMIT):
            response = self.client.post(url, {"username": "chief", "password": "wrong"})
        self.assertEqual(response.status_code, 429)
        response = self.client.post(url, {"username": "chief", "password": "pw-12345678"})
        self.assertEqual(response.status_code, 429)
        self.assertNotIn("_auth_user_id", self.client.session)


def _raise(request):
    raise RuntimeError("secret-internal-detail 数据库密码 /srv/newsroom")


urlpatterns = [path("boom/", _raise), path("", include("newsroom.urls"))]
from newsroom.urls import handler500  # noqa: E402, F401 (the site's own, as in production)


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
@test_tag("slow")  # real processes or a browser: left out of `make test-fast`
class ErrorPageTests(TestCase):
    def assert_reader_safe(self, response):
        text = response.content.decode()
        for leak in ("Traceback", "RuntimeError", "secret-internal-detail", 'File "', "/srv/",
                     "settings.py", "URLconf", "DEBUG"):
            self.assertNotIn(leak, text)
        self.assertIn('lang="zh', text)
        self.assertRegex(text, r"[\u4e00-\u9fff]")

    def test_a_crashing_view_gives_the_chinese_500_page(self):
        client = Client(raise_request_exception=False)
        response = client.get("/boom/")
        self.assertEqual(response.status_code, 500)
        self.assert_reader_safe(response)
        with self.settings(NEWSROOM_SITE_NAME="测试新闻网"):
            self.assertContains(client.get("/boom/"), "<title>服务器出错了 - 测试新闻网</title>",
                                status_code=500)

    def test_unknown_url_gives_the_chinese_404_page(self):
        response = self.client.get("/no-such-page/")
        self.assertEqual(response.status_code, 404)
        self.assert_reader_safe(response)

    def test_production_process_shows_no_debug_page(self):
        """The real production settings (DEBUG unset), not an override."""
        database = Path(self.enterContext(tempfile.TemporaryDirectory())) / "prod.sqlite3"
        env = documented_env() | {"DATABASE_URL": f"sqlite:///{database}", "REDIS_URL": "",
                                  "DJANGO_STATIC_ROOT": str(production_static_root())}
        migrated = manage("migrate", "--noinput", "-v0", env=env)
        self.assertEqual(migrated.returncode, 0, migrated.stderr)
        result = run_django(
            "from django.test import Client\n"
            "r = Client(HTTP_HOST='news.example.com', HTTP_X_FORWARDED_PROTO='https')"
            ".get('/no-such-page/')\n"
            "print(json.dumps([r.status_code, r.content.decode()]))",
            env=env,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        status, body = last_json(result)
        self.assertEqual(status, 404)
        self.assertNotIn("URLconf", body)
        self.assertNotIn("DEBUG = True", body)


class UnpublishedNeverLeaksTests(TestCase):
    """Drafts, stories in review, rejected and scheduled ones: invisible everywhere, even
    right after a reader's visit put the published version in the cache."""

    WORD = "秘密稿件甲乙丙"

    def setUp(self):
        self.source = Source.objects.create(name="保密来源", slug="baomi")
        self.visible = self.make("已发布的普通新闻", Article.Status.PUBLISHED)
        self.hidden = [
            self.make(f"{self.WORD}草稿", Article.Status.DRAFT),
            self.make(f"{self.WORD}待审", Article.Status.REVIEW),
            self.make(f"{self.WORD}已拒绝", Article.Status.REJECTED),
            self.make(f"{self.WORD}定时", Article.Status.PUBLISHED,
                      published_at=timezone.now() + timedelta(days=1)),
        ]

    def make(self, title, status, **extra):
        return Article.objects.create(
            title=title, status=status, source=self.source, summary=title,
            body=f"<p>{title}正文</p>", **({"published_at": timezone.now()} | extra),
        )

    def reader_urls(self) -> list[str]:
        urls = ["/", "/feed/", self.source.get_absolute_url(), "/search/?q=" + quote(self.WORD),
                "/search/?q=" + quote("秘密")]
        sitemap = self.client.get("/sitemap.xml")
        self.assertEqual(sitemap.status_code, 200)
        urls.append("/sitemap.xml")
        for loc in re.findall(r"<loc>([^<]+)</loc>", sitemap.content.decode()):
            if "sitemap" in loc:
                urls.append(re.sub(r"^https?://[^/]+", "", loc))
        return urls

    def assert_invisible(self, articles):
        for url in self.reader_urls():
            response = self.client.get(url)
            text = response.content.decode()
            for article in articles:
                self.assertNotIn(article.title, text, url)
                self.assertNotIn(article.get_absolute_url(), text, url)
        for article in articles:
            self.assertEqual(self.client.get(article.get_absolute_url()).status_code, 404)

    def test_unpublished_stories_are_invisible(self):
        self.assertContains(self.client.get("/"), self.visible.title)
        self.assert_invisible(self.hidden)

    def test_unpublishing_takes_effect_despite_the_cache(self):
        url = self.visible.get_absolute_url()
        for page in (url, "/", "/feed/", "/search/?q=" + quote("普通新闻")):
            self.assertContains(self.client.get(page), url)
        self.visible.status = Article.Status.DRAFT
        self.visible.save()
        self.assert_invisible([self.visible])
