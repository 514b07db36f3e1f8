"""Revisions: every change to a story is one, from the desk or the importer; editors compare
any two and restore one; a bulk import of new stories writes none (articles/revisions.py)."""

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Article, Revision
from tests.admin_support import (
    SEEDS,
    SUNING_HAIER,
    import_files,
    make_editor,
    seed_copy,
    temp_dir,
)
from tests.test_admin_saves import form_as_posted

Kind = Revision.Kind


class RevisionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_files(SEEDS, status="published")
        cls.editor = make_editor()

    def setUp(self):
        self.client.force_login(self.editor)
        self.article = Article.objects.get(external_id=SUNING_HAIER)
        self.change_url = reverse("admin:articles_article_change", args=[self.article.pk])
        self.revisions_url = reverse("admin:articles_article_revisions", args=[self.article.pk])

    def edit(self, **changes):
        page = self.client.get(self.change_url).content
        response = self.client.post(self.change_url, form_as_posted(page, **changes))
        self.assertEqual(response.status_code, 302)

    def test_an_import_of_new_stories_writes_no_revision(self):
        self.assertEqual(Revision.objects.count(), 0)

    def test_an_editors_save_is_a_revision_after_the_imported_one(self):
        original = self.article.title
        self.edit(title="编辑改过的标题")
        first, second = Revision.objects.filter(article=self.article).order_by("created_at", "id")
        self.assertEqual((first.kind, first.values["title"], first.user), (Kind.IMPORTED, original, None))
        self.assertEqual(first.import_run_id, self.article.import_run_id)
        self.assertEqual((second.kind, second.fields, second.user), (Kind.EDIT, ["title"], self.editor))
        self.assertEqual(second.values["title"], "编辑改过的标题")
        self.assertEqual(second.values["body"], self.article.body)  # the whole story, not a digest

    def test_a_save_without_changes_is_no_revision(self):
        self.edit()
        self.assertFalse(Revision.objects.exists())

    def test_an_import_update_is_a_revision_of_its_run(self):
        folder = temp_dir(self)
        copy = seed_copy(folder, next(SEEDS.glob("000_*")))
        copy.write_text(copy.read_text(encoding="utf-8").replace("战略合作", "全面战略合作", 1), encoding="utf-8")
        report = import_files(folder, status="published")
        self.assertEqual(report.updated, 1)
        latest = Revision.objects.filter(article=self.article).first()
        self.assertEqual((latest.kind, latest.user, latest.import_run_id), (Kind.IMPORT_UPDATE, None, report.run_id))
        self.assertTrue(set(latest.fields) & {"title", "body", "summary"})

    def test_compare_and_restore(self):
        original = self.article.title
        self.edit(title="第一次修改")
        self.edit(title="第二次修改", summary="新的摘要。")
        baseline = Revision.objects.filter(article=self.article).order_by("created_at", "id").first()
        latest = Revision.objects.filter(article=self.article).first()
        page = self.client.get(self.revisions_url, {"a": baseline.pk, "b": latest.pk}).content.decode()
        self.assertIn("第二次修改", page)
        self.assertIn('<del class="nr-del">', page)
        self.assertIn("摘要", page)
        response = self.client.post(reverse("admin:articles_article_restore", args=[self.article.pk, baseline.pk]))
        self.assertEqual(response.status_code, 302)
        self.article.refresh_from_db()
        self.assertEqual(self.article.title, original)
        self.assertEqual(self.article.summary, baseline.values["summary"])
        restored = Revision.objects.filter(article=self.article).first()
        self.assertEqual((restored.kind, restored.user), (Kind.RESTORE, self.editor))
        self.assertEqual(sorted(restored.fields), ["summary", "title"])
        self.assertEqual(Revision.objects.filter(article=self.article).count(), 4)

    def test_restoring_needs_the_right_to_change(self):
        self.edit(title="第一次修改")
        baseline = Revision.objects.filter(article=self.article).last()
        self.client.logout()
        response = self.client.post(reverse("admin:articles_article_restore", args=[self.article.pk, baseline.pk]))
        self.assertEqual(response.status_code, 302)  # to the login page
        self.assertIn("/login/", response["Location"])
        self.assertEqual(Article.objects.get(pk=self.article.pk).title, "第一次修改")

    def test_a_bulk_action_and_a_source_decision_are_revisions(self):
        self.client.post(reverse("admin:articles_article_changelist"),
                         {"action": "withdraw", "_selected_action": [self.article.pk], "index": 0})
        latest = Revision.objects.filter(article=self.article).first()
        self.assertEqual((latest.kind, latest.fields, latest.values["status"]), (Kind.BULK, ["status"], "draft"))

    def test_pages_stay_bounded_with_a_thousand_revisions(self):
        self.edit(title="第一次修改")
        values = Revision.objects.filter(article=self.article).first().values

        def queries(url) -> int:
            with CaptureQueriesContext(connection) as captured:
                self.assertEqual(self.client.get(url).status_code, 200)
            return len(captured)

        changelist = reverse("admin:articles_article_changelist")
        pages = (self.revisions_url, self.change_url, changelist)
        few = {url: queries(url) for url in pages}
        Revision.objects.bulk_create(Revision(article=self.article, kind=Kind.EDIT, user=self.editor,
                                              fields=["title"], values=values) for _ in range(1000))
        many = {url: queries(url) for url in pages}
        self.assertEqual(many, few)
        self.assertLessEqual(many[self.revisions_url], 8)
        self.assertLessEqual(many[self.change_url], 17)
        self.assertLessEqual(many[changelist], 12)
