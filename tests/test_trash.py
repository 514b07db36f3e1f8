"""The trash: deleting a story moves it there; readers and the importer treat it as deleted;
restoring brings it back as a draft; emptying the trash is a separate right (articles/trash.py)."""

from django.contrib.auth.models import Permission
from django.test import TestCase
from django.urls import reverse

from articles.models import Article, Revision, Tombstone
from tests.admin_support import SEEDS, SUNING_HAIER, import_files, make_editor, seed_copy, temp_dir

CHANGELIST = reverse("admin:articles_article_changelist")


class TrashTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_files(SEEDS, status="published")
        cls.editor = make_editor()

    def setUp(self):
        self.client.force_login(self.editor)
        self.article = Article.objects.get(external_id=SUNING_HAIER)
        self.public_url = self.article.get_absolute_url()

    def delete(self):
        url = reverse("admin:articles_article_delete", args=[self.article.pk])
        confirm = self.client.get(url).content.decode()
        self.assertIn("移到回收站", confirm)
        self.assertNotIn("object (", confirm)  # no "Article_stocks object (3)"
        self.assertNotIn("Article-stock", confirm)
        self.assertEqual(self.client.post(url, {"post": "yes"}).status_code, 302)
        self.article.refresh_from_db()

    def test_deleting_moves_the_story_to_the_trash_out_of_readers_sight(self):
        self.assertEqual(self.client.get(self.public_url).status_code, 200)
        self.delete()
        self.assertEqual(self.article.status, Article.Status.TRASHED)
        self.assertFalse(Tombstone.objects.exists())
        self.client.logout()
        self.assertEqual(self.client.get(self.public_url).status_code, 404)
        self.client.force_login(self.editor)
        listed = self.client.get(CHANGELIST).context["cl"].result_list
        self.assertNotIn(self.article, listed)
        in_trash = self.client.get(CHANGELIST, {"status__exact": "trashed"}).context["cl"].result_list
        self.assertEqual(list(in_trash), [self.article])
        self.assertIn(self.article.title, self.client.get(CHANGELIST, {"status__exact": "trashed"}).content.decode())
        self.assertEqual(Revision.objects.filter(article=self.article).first().kind, Revision.Kind.TRASH)

    def test_the_importer_leaves_a_trashed_story_alone(self):
        self.delete()
        folder = temp_dir(self)
        copy = seed_copy(folder, next(SEEDS.glob("000_*")))
        copy.write_text(copy.read_text(encoding="utf-8").replace("战略合作", "全面战略合作", 1), encoding="utf-8")
        report = import_files(folder, status="published")
        self.assertEqual((report.created, report.updated, report.suppressed), (0, 0, 1))
        self.article.refresh_from_db()
        self.assertEqual(self.article.status, Article.Status.TRASHED)
        self.assertNotIn("全面战略合作", self.article.body + self.article.title)

    def test_restoring_brings_it_back_as_a_draft(self):
        self.delete()
        self.client.post(CHANGELIST + "?status__exact=trashed",
                         {"action": "restore_from_trash", "_selected_action": [self.article.pk], "index": 0})
        self.article.refresh_from_db()
        self.assertEqual(self.article.status, Article.Status.DRAFT)
        self.assertEqual(Revision.objects.filter(article=self.article).first().kind, Revision.Kind.UNTRASH)

    def test_emptying_the_trash_is_a_separate_right(self):
        self.delete()
        data = {"action": "empty_trash", "_selected_action": [self.article.pk], "index": 0}
        self.client.post(CHANGELIST + "?status__exact=trashed", data)
        self.assertTrue(Article.objects.filter(pk=self.article.pk).exists())  # an editor may not
        self.editor.user_permissions.add(Permission.objects.get(codename="empty_trash"))
        self.client.force_login(type(self.editor).objects.get(pk=self.editor.pk))
        self.client.post(CHANGELIST + "?status__exact=trashed", data)
        self.assertFalse(Article.objects.filter(pk=self.article.pk).exists())
        self.assertTrue(Tombstone.objects.filter(title=self.article.title).exists())
        # …and the importer never brings it back.
        report = import_files(next(SEEDS.glob("000_*")), status="published", force=True)
        self.assertEqual((report.created, report.suppressed), (0, 1))

    def test_bulk_delete_moves_the_selection_to_the_trash(self):
        ids = list(Article.objects.filter(status="published").values_list("pk", flat=True))
        confirm = self.client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": ids, "index": 0})
        self.assertIn("移到回收站", confirm.content.decode())
        self.client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": ids, "post": "yes", "index": 0})
        self.assertEqual(set(Article.objects.filter(pk__in=ids).values_list("status", flat=True)), {"trashed"})
