"""Corrections (更正): an editor adds a dated note to a published story; readers see it at once
(the page cache lets go of the story), and feeds date the story by it."""

from datetime import timedelta

from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Correction
from tests.admin_support import SEEDS, SUNING_HAIER, import_files, make_editor
from tests.test_admin_saves import form_as_posted


@override_settings(PAGE_CACHE_SECONDS=300)
class CorrectionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_files(SEEDS, status="published")
        cls.editor = make_editor()
        cls.article = Article.objects.get(external_id=SUNING_HAIER)

    def test_a_correction_added_in_the_desk_reaches_readers_and_feeds(self):
        public = self.article.get_absolute_url()
        self.assertNotIn("story-corrections", self.client.get(public).content.decode())
        self.client.get(public)  # now cached
        before = Article.objects.get(pk=self.article.pk).updated_at
        self.client.force_login(self.editor)
        url = reverse("admin:articles_article_change", args=[self.article.pk])
        page = self.client.get(url).content
        self.assertIn("更正说明", page.decode())
        data = form_as_posted(page, **{
            "corrections-TOTAL_FORMS": "1", "corrections-0-text": "原文“三年千亿”应为“三年千亿级”，特此更正。",
            "corrections-0-article": str(self.article.pk)})
        self.assertEqual(self.client.post(url, data).status_code, 302)
        correction = Correction.objects.get(article=self.article)
        self.assertEqual(correction.user, self.editor)
        self.client.logout()
        shown = self.client.get(public).content.decode()
        self.assertIn("story-corrections", shown)
        self.assertIn("原文“三年千亿”应为“三年千亿级”，特此更正。", shown)
        self.assertGreater(Article.objects.get(pk=self.article.pk).updated_at, before)
        feed = self.client.get(reverse("articles:feed")).content.decode()
        updated = Article.objects.get(pk=self.article.pk).updated_at  # feeds write UTC
        self.assertIn(f"<updated>{updated:%Y-%m-%dT%H:%M}", feed)

    def test_hostile_text_is_shown_as_text(self):
        Correction.objects.create(article=self.article, text='<script>alert(1)</script><b>粗</b>')
        shown = self.client.get(self.article.get_absolute_url()).content.decode()
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", shown)
        self.assertNotIn("<script>alert(1)", shown)

    def test_corrections_are_listed_oldest_first(self):
        now = timezone.now()
        Correction.objects.create(article=self.article, text="第二条更正", created_at=now)
        Correction.objects.create(article=self.article, text="第一条更正", created_at=now - timedelta(hours=1))
        shown = self.client.get(self.article.get_absolute_url()).content.decode()
        self.assertLess(shown.index("第一条更正"), shown.index("第二条更正"))
