"""The editors' desk and same-story clusters: the queue shows a cluster as one group, one
decision covers its copies, editors split, merge and pick the lead."""

from django.test import TestCase

from articles.models import Article
from tests.admin_support import SEEDS, import_files, make_editor, suning_haier, temp_dir
from tests.clusters_support import reprint
from tests.test_admin_actions import CHANGELIST, messages_of


class DeskTests(TestCase):
    def setUp(self):
        import_files(SEEDS)  # waiting in review, as cron leaves them
        self.folder = temp_dir(self)
        import_files(reprint(self.folder))
        self.editor = make_editor()
        self.client.force_login(self.editor)
        self.original = suning_haier()
        self.copy = Article.objects.get(title__startswith="苏宁易购与海尔集团签署战略合作")
        self.assertEqual(self.original.cluster_id, self.copy.cluster_id)

    def act(self, action, ids, follow=True):
        return self.client.post(CHANGELIST, {"action": action, "_selected_action": ids, "index": 0},
                                follow=follow)

    def test_the_queue_shows_the_group_and_lists_it_on_request(self):
        page = self.client.get(CHANGELIST, {"status__exact": "review"})
        link = f'?cluster={self.original.cluster_id}" title="列出同一事件的全部稿件">2 篇</a>'
        self.assertContains(page, link, count=2)
        group = self.client.get(CHANGELIST, {"cluster": self.original.cluster_id})
        self.assertEqual({a.pk for a in group.context["cl"].result_list}, {self.original.pk, self.copy.pk})
        form = self.client.get(f"/admin/articles/article/{self.original.pk}/change/")
        self.assertContains(form, "同一事件的其他稿件")
        self.assertContains(form, self.copy.title)

    def test_one_decision_publishes_the_copies(self):
        self.act("publish_with_copies", [self.original.pk])
        self.assertEqual(set(Article.objects.filter(cluster_id=self.original.cluster_id)
                             .values_list("status", flat=True)), {"published"})
        home = self.client.get("/").content.decode()
        self.assertIn(self.original.title, home)
        self.assertNotIn(self.copy.title, home)
        self.assertIn("2 家媒体报道", home)
        self.act("withdraw_with_copies", [self.copy.pk])
        self.assertFalse(Article.objects.filter(cluster_id=self.original.cluster_id, status="published").exists())

    def test_split_merge_and_lead(self):
        response = self.act("split_from_cluster", [self.copy.pk])
        self.assertIn("已将 1 篇稿件移出同题组", messages_of(response)[0])
        self.copy.refresh_from_db()
        self.assertEqual((self.copy.cluster_id, self.copy.cluster_fixed), (None, True))
        response = self.act("merge_clusters", [self.original.pk, self.copy.pk])
        self.original.refresh_from_db()
        self.copy.refresh_from_db()
        self.assertIsNotNone(self.original.cluster_id)
        self.assertEqual(self.original.cluster_id, self.copy.cluster_id)
        self.act("make_cluster_lead", [self.copy.pk])
        Article.objects.filter(cluster_id=self.copy.cluster_id).update(status="published")
        listed = [a.pk for a in Article.objects.published().one_per_story()]
        self.assertIn(self.copy.pk, listed)
        self.assertNotIn(self.original.pk, listed)
        response = self.act("merge_clusters", [self.original.pk])
        self.assertEqual(messages_of(response), ["请至少选择两篇稿件再合并。"])
