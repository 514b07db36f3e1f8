"""clean_html() and sanitise(): text kept, markup bounded, one sanitiser for every origin."""

import time
from pathlib import Path

from django.test import SimpleTestCase, TestCase
from django.urls import reverse

from articles.ingest.cleaning import DROP_WITH_CONTENT, clean_html, sanitise
from articles.ingest.nesting import NESTING_LIMIT, cap_nesting
from articles.ingest.parsing import parse_file
from articles.models import Article
from tests.admin_support import SUNING_HAIER, import_files, make_editor

SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"
CORPUS = Path(__file__).resolve().parent / "fixtures" / "finews"


class TextKeptTests(SimpleTestCase):
    def assertKeeps(self, raw: str, *texts: str):
        cleaned = clean_html(raw)
        for text in texts:
            self.assertIn(text, cleaned.text, raw)
            self.assertIn(text, cleaned.html, raw)
        return cleaned

    def test_void_elements_go_alone(self):
        """libxml2 reads <embed>, <source>, <track>, <keygen>, <wbr> as containers: what it
        puts inside them is the story, not theirs."""
        for tag in ("embed", "source", "track", "keygen", "wbr", "param", "input", "area", "link",
                    "meta", "col", "base"):
            cleaned = self.assertKeeps(f'<p>第一段。</p><{tag} src="v.swf"><p>第二段。</p>', "第一段。", "第二段。")
            self.assertNotIn(f"<{tag}", cleaned.html)
            self.assertEqual(cleaned.warnings, ())

    def test_forms_and_buttons_are_unwrapped_even_unclosed(self):
        self.assertKeeps("<p>第一段。</p><form><p>第二段。</p>", "第一段。", "第二段。")
        self.assertKeeps("<p>第一段。</p><button><p>第二段。</p>", "第一段。", "第二段。")
        self.assertKeeps("<p>第一段。</p><select><p>第二段。</p>", "第一段。", "第二段。")
        self.assertKeeps('<form action="/x"><p>正文</p></form><p>后文</p>', "正文", "后文")

    def test_content_that_is_not_story_text_is_dropped_with_a_warning(self):
        cleaned = self.assertKeeps("<p>第一段。</p><textarea>表单内容</textarea><object><p>插件</p></object>"
                                   "<select><option>选项</option></select><p>第二段。</p>", "第一段。", "第二段。")
        for gone in ("表单内容", "插件", "选项"):
            self.assertNotIn(gone, cleaned.html)
        self.assertEqual(len(cleaned.warnings), 3, cleaned.warnings)
        for tag in ("<textarea>", "<object>", "<option>"):
            self.assertTrue(any(tag in warning for warning in cleaned.warnings), tag)

    def test_an_unclosed_child_does_not_carry_the_story_into_a_dropped_element(self):
        """libxml2 keeps "<template><table></template>后文" inside the template; a browser
        shows 后文 (found by tests/test_ingest_fuzz.py)."""
        for tag in ("template", "svg", "math", "object"):
            cleaned = self.assertKeeps(f"<p>前文</p><{tag}><table><tr><td>内部</{tag}><p>后文</p>", "前文", "后文")
            self.assertNotIn("内部", cleaned.html)

    def test_code_and_debris_are_dropped_without_a_warning(self):
        cleaned = clean_html('<p>正文</p><script>var a = "x";</script><style>p{}</style>'
                             '<p style="display:none">隐藏</p>')
        self.assertEqual(cleaned.html, "<p>正文</p>")
        self.assertEqual(cleaned.warnings, ())

    def test_deep_nesting_keeps_its_text_in_bounded_time(self):
        for depth in (255, 300, 3000, 50_000):
            raw = "<p>前文</p>" + "<div>" * depth + "深层文字" + "</div>" * depth + "<p>后文</p>"
            started = time.perf_counter()
            cleaned = self.assertKeeps(raw, "前文", "深层文字", "后文")
            self.assertLess(time.perf_counter() - started, 2, depth)
            if depth > 255:
                self.assertTrue(any("flattened" in w for w in cleaned.warnings), cleaned.warnings)
        unclosed = "<b>" * 50_000 + "粗体" + "<p>段落</p>" * 10
        self.assertKeeps(unclosed, "粗体", "段落")

    def test_wide_and_deep_markup_stays_linear(self):
        started = time.perf_counter()
        cleaned = clean_html("<span>" * 250 + "<b>字</b>" * 5_000 + "<div>" * 250 + "<img src=a.png>" * 500)
        self.assertEqual(cleaned.text.count("字"), 5_000)
        self.assertLess(time.perf_counter() - started, 3)


class NestingTests(SimpleTestCase):
    def test_only_tags_beyond_the_limit_are_left_out(self):
        raw = "<div>" * (NESTING_LIMIT + 5) + "文字" + "</div>" * (NESTING_LIMIT + 5) + "<p>后</p>"
        capped, changed = cap_nesting(raw)
        self.assertTrue(changed)
        self.assertEqual(capped.count("<div>"), NESTING_LIMIT)
        self.assertEqual(capped.count("</div>"), NESTING_LIMIT)
        self.assertTrue(capped.endswith("文字" + "</div>" * NESTING_LIMIT + "<p>后</p>"))

    def test_shallow_markup_and_comments_are_untouched(self):
        raw = "<p>一</p><br>" * 200 + "<!-- <div><div> -->" * 200
        self.assertEqual(cap_nesting(raw), (raw, False))

    def test_hostile_scans_stay_linear(self):
        started = time.perf_counter()
        for raw in ("<a" * 200_000, '<a title="' * 100_000, "<!--" * 100_000, "<div " * 100_000):
            cap_nesting(raw)
        self.assertLess(time.perf_counter() - started, 3)


class SanitiseTests(SimpleTestCase):
    def test_one_allow_list_for_every_origin(self):
        evil = ('<meta http-equiv="refresh" content="1;url=https://evil.example/"><p onclick="x()">正文'
                '<script>alert(1)</script><a href="javascript:alert(2)">链接</a>'
                '<img src="x" onerror="alert(3)"></p><form><p>表单里的字</p>')
        clean = sanitise(evil)
        for bad in ("<meta", "refresh", "onclick", "<script", "alert", "javascript:", "onerror", "<form"):
            self.assertNotIn(bad, clean)
        for kept in ("正文", "链接", "表单里的字"):
            self.assertIn(kept, clean)

    def test_sanitise_is_idempotent_on_every_fixture_body(self):
        paths = sorted(SEEDS.iterdir()) + sorted(CORPUS.glob("*.md"))
        for path in paths:
            body = parse_file(path).body
            self.assertEqual(sanitise(body), body, path.name)
            raw = path.read_text("utf-8")
            self.assertEqual(sanitise(sanitise(raw)), sanitise(raw), path.name)

    def test_deep_editor_input_is_bounded(self):
        started = time.perf_counter()
        self.assertEqual(sanitise("<div>" * 100_000 + "深层文字" + "</div>" * 100_000), "深层文字")
        self.assertLess(time.perf_counter() - started, 2)

    def test_drop_with_content_tags_are_never_allowed(self):
        from articles.ingest.cleaning import ALLOWED_TAGS

        self.assertFalse(ALLOWED_TAGS & DROP_WITH_CONTENT)


EVIL_BODY = ('<meta http-equiv="refresh" content="1;url=https://evil.example/">'
             '<p onclick="steal()">编辑正文<script>alert(1)</script>'
             '<a href="javascript:alert(2)">链接</a><img src="x" onerror="alert(3)"></p>')
HOSTILE = ("<meta", "refresh", "onclick", "<script", "alert", "javascript:", "onerror")


class SanitisedWritePathTests(TestCase):
    """However a body reaches the database, it is stored as sanitise() leaves it."""

    def assertStoredClean(self, article: Article):
        stored = Article.objects.values_list("body", flat=True).get(pk=article.pk)
        for bad in HOSTILE:
            self.assertNotIn(bad, stored)
        self.assertIn("编辑正文", stored)
        self.assertIn("链接", stored)
        return stored

    def test_save_create_update_and_bulk_update(self):
        article = Article.objects.create(title="标题", body=EVIL_BODY)
        stored = self.assertStoredClean(article)
        self.assertEqual(article.body, stored)  # the instance holds what was stored
        self.assertNotIn("alert", article.search_text)

        Article.objects.filter(pk=article.pk).update(body=EVIL_BODY)
        self.assertStoredClean(article)

        article.body = EVIL_BODY
        Article.objects.bulk_update([article], ["body"])
        self.assertStoredClean(article)

        other = Article.objects.bulk_create([Article(title="另一篇", body=EVIL_BODY, slug="another")])[0]
        self.assertStoredClean(other)

    def test_unchanged_imported_bodies_stay_byte_identical(self):
        import_files(*sorted(SEEDS.iterdir()))
        for article in Article.objects.all():
            before = article.body
            article.save()
            article.refresh_from_db()
            self.assertEqual(article.body, before, article.title)

    def test_the_admin_form_stores_the_sanitised_body(self):
        import_files(*sorted(SEEDS.iterdir()))
        self.client.force_login(make_editor())
        article = Article.objects.get(external_id=SUNING_HAIER)
        response = self.client.post(reverse("admin:articles_article_change", args=[article.pk]), {
            "title": article.title, "summary": article.summary, "body": EVIL_BODY,
            "source": article.source_id, "category": article.category_id or "", "tags": "家电",
            "status": "review", "published_at_0": "2022-02-21", "published_at_1": "09:33:01",
            "slug": article.slug,
        })
        self.assertEqual(response.status_code, 302, response.content.decode()[:2000])
        self.assertStoredClean(article)
