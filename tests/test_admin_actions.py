"""Bulk actions on the article list: what they change, what they log, what they leave alone."""

from datetime import timedelta

from django.contrib.admin.models import CHANGE, LogEntry
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from articles.identity import identity_keys
from articles.models import Article, ArticleTag, Category, Tombstone
from tests.admin_support import SEEDS, import_files, make_editor, make_superuser, suning_haier

CHANGELIST = reverse("admin:articles_article_changelist")


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


class ActionTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_files(SEEDS)
        cls.editor = make_editor()

    def setUp(self):
        self.client.force_login(self.editor)
        self.articles = list(Article.objects.order_by("pk"))
        self.ids = [a.pk for a in self.articles]

    def act(self, action: str, ids=None, url=CHANGELIST, follow=False):
        data = {"action": action, "_selected_action": ids or self.ids, "index": 0}
        return self.client.post(url, data, follow=follow)

    def apply(self, action: str, ids=None, url=CHANGELIST, **fields):
        """Submit an intermediate page the way its form does (no `index`, with `apply`)."""
        data = {"action": action, "_selected_action": ids or self.ids, "apply": "1",
                "select_across": "0", **fields}
        return self.client.post(url, data)

    def log_messages(self) -> list[str]:
        return list(LogEntry.objects.order_by("id").values_list("change_message", flat=True))


class StatusActionTests(ActionTestCase):
    def test_publish_changes_status_logs_each_article_and_shows_them_publicly(self):
        Article.objects.filter(pk=self.ids[0]).update(status=Article.Status.PUBLISHED)
        Article.objects.filter(source_format="text").update(needs_review=False, inferred_fields=[])
        response = self.act("publish")
        self.assertRedirects(response, CHANGELIST)
        self.assertEqual(
            set(Article.objects.values_list("status", flat=True)), {Article.Status.PUBLISHED}
        )
        entries = LogEntry.objects.filter(action_flag=CHANGE, user=self.editor)
        self.assertEqual(sorted(int(e.object_id) for e in entries), self.ids[1:])
        self.assertEqual(entries.first().get_change_message(), "状态改为「已发布」（批量操作）")
        article = suning_haier()
        self.assertEqual(self.client.get(article.get_absolute_url()).status_code, 200)

    def test_publish_reports_articles_scheduled_for_the_future(self):
        future = self.articles[0]
        future.published_at = timezone.now() + timedelta(days=1)
        future.save()
        response = self.act("publish", ids=[future.pk], follow=True)
        self.assertEqual(messages_of(response), ["已发布 1 篇稿件；其中 1 篇发布时间在未来，届时自动上线。"])

    def test_publish_skips_flagged_stories_and_names_them(self):
        flagged = Article.objects.filter(needs_review=True).order_by("-published_at")
        titles = list(flagged.values_list("title", flat=True))
        self.assertEqual(len(titles), 2)  # the two page dumps: title and date guessed
        response = self.act("publish", follow=True)
        self.assertEqual(messages_of(response), [
            "已发布 3 篇稿件。",
            f"未发布需复核的稿件：《{titles[0]}》、《{titles[1]}》。请逐篇打开核对后再发布。"])
        self.assertEqual(set(flagged.values_list("status", flat=True)), {Article.Status.REVIEW})

    def test_send_back_to_review(self):
        Article.objects.update(status=Article.Status.PUBLISHED)
        self.act("send_to_review", ids=self.ids[:2])
        statuses = dict(Article.objects.values_list("pk", "status"))
        self.assertEqual([statuses[pk] for pk in self.ids],
                         ["review", "review", "published", "published", "published"])
        self.assertEqual(len(self.log_messages()), 2)

    def test_withdraw_only_touches_published_articles(self):
        Article.objects.filter(pk__in=self.ids[:2]).update(status=Article.Status.PUBLISHED)
        Article.objects.filter(pk=self.ids[2]).update(status=Article.Status.REJECTED)
        self.act("withdraw")
        statuses = dict(Article.objects.values_list("pk", "status"))
        self.assertEqual([statuses[pk] for pk in self.ids],
                         ["draft", "draft", "rejected", "review", "review"])
        self.assertEqual(self.log_messages(), ["状态改为「草稿」（批量操作）"] * 2)

    def test_select_across_applies_to_the_whole_filtered_result(self):
        Article.objects.filter(pk=self.ids[0]).update(status=Article.Status.DRAFT)
        Article.objects.update(needs_review=False, inferred_fields=[])
        response = self.client.post(
            f"{CHANGELIST}?status__exact=review",
            {"action": "publish", "_selected_action": [self.ids[1]], "select_across": "1",
             "index": 0},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Article.objects.get(pk=self.ids[0]).status, Article.Status.DRAFT)
        self.assertEqual(Article.objects.filter(status="published").count(), 4)


class ChoiceActionTests(ActionTestCase):
    def test_set_category_asks_then_applies(self):
        tech = Category.objects.get(slug="tech")
        page = self.act("set_category", ids=self.ids[:2])
        self.assertEqual(page.status_code, 200)
        self.assertTemplateUsed(page, "admin/articles/action_form.html")
        self.assertContains(page, "为所选稿件设置栏目")
        self.assertContains(page, f'<option value="{tech.pk}">科技</option>', html=True)
        self.assertContains(page, self.articles[0].title)
        self.assertEqual(Article.objects.filter(category=tech).count(), 0)

        response = self.apply("set_category", ids=self.ids[:2], category=tech.pk)
        self.assertRedirects(response, CHANGELIST)
        self.assertEqual(
            sorted(Article.objects.filter(category=tech).values_list("pk", flat=True)),
            self.ids[:2],
        )
        self.assertEqual(self.log_messages(), ["栏目改为「科技」（批量操作）"] * 2)

    def test_set_category_is_an_editors_choice_that_rules_respect(self):
        general = Category.objects.get(slug="general")
        self.apply("set_category", ids=[suning_haier().pk], category=general.pk)
        self.act("reapply_category_rules")
        self.assertEqual(suning_haier().category, general)

    def test_add_tags_asks_validates_then_adds(self):
        page = self.act("add_tags", ids=self.ids[:3])
        self.assertContains(page, "为所选稿件添加标签")
        invalid = self.apply("add_tags", ids=self.ids[:3], tags=" , ")
        self.assertContains(invalid, "请至少填写一个标签。")

        response = self.apply("add_tags", ids=self.ids[:3], tags="家电，战略合作")
        self.assertRedirects(response, CHANGELIST)
        for article in Article.objects.filter(pk__in=self.ids[:3]):
            self.assertEqual(sorted(article.tags.names()), ["家电", "战略合作"])
        self.assertEqual(Article.objects.filter(tags__name="家电").count(), 3)
        self.assertEqual(ArticleTag.objects.get(name="家电").slug, "jiadian")
        self.assertEqual(self.log_messages(), ["添加标签：家电、战略合作（批量操作）"] * 3)


class ReviewActionTests(ActionTestCase):
    def conflict(self, article, **pending):
        article.pending_changes = {"fields": pending, "detected_at": "", "source_file": "",
                                   "import_run": None}
        article.needs_review = True
        article.save()

    def test_accept_and_keep_in_bulk(self):
        a, b = self.articles[0], self.articles[2]
        self.conflict(a, title="来源的新标题A")
        self.conflict(b, title="来源的新标题B")
        self.act("accept_source_version", ids=[a.pk])
        self.act("keep_editor_version", ids=[b.pk])
        a.refresh_from_db()
        b.refresh_from_db()
        self.assertEqual(a.title, "来源的新标题A")
        self.assertNotEqual(b.title, "来源的新标题B")
        self.assertEqual(b.imported_values["title"], "来源的新标题B")
        self.assertEqual((a.pending_changes, b.pending_changes), ({}, {}))
        self.assertEqual(self.log_messages(),
                         ["采用来源版本（批量操作）", "保留编辑（批量操作）"])

    def test_mark_reviewed_clears_inferred_flags(self):
        inferred = Article.objects.exclude(inferred_fields=[])
        self.assertEqual(inferred.count(), 2)
        self.act("mark_reviewed")
        self.assertEqual(Article.objects.filter(needs_review=True).count(), 0)
        self.assertEqual(Article.objects.exclude(inferred_fields=[]).count(), 0)
        self.assertEqual(self.log_messages(), ["推断字段已核对（批量操作）"] * 2)

    def test_reapply_rules_action(self):
        tech = Category.objects.get(slug="tech")
        tech.keywords = "苏宁易购"
        tech.order = 1
        tech.save()
        response = self.act("reapply_category_rules", follow=True)
        self.assertIn("已按规则重新归类 1 篇稿件（编辑手动设置的栏目保持不变）。", messages_of(response))
        self.assertEqual(suning_haier().category, tech)
        self.assertEqual(self.log_messages(), ["按关键词规则重新归类（批量操作）"])


class DeleteTests(ActionTestCase):
    def test_bulk_delete_moves_to_the_trash_and_emptying_it_writes_tombstones(self):
        expected = set()
        for article in self.articles:
            expected.update(identity_keys(external_id=article.external_id,
                                          original_url=article.original_url,
                                          fingerprint=article.fingerprint))
        confirm = self.act("delete_selected")
        self.assertContains(confirm, "移到回收站")
        response = self.client.post(CHANGELIST, {
            "action": "delete_selected", "_selected_action": self.ids, "post": "yes",
        })
        self.assertRedirects(response, CHANGELIST)
        self.assertEqual(set(Article.objects.values_list("status", flat=True)), {"trashed"})
        self.assertFalse(Tombstone.objects.exists())
        self.assertEqual(self.log_messages(), ["移到回收站"] * 5)
        self.client.force_login(make_superuser())
        self.client.post(CHANGELIST + "?status__exact=trashed",
                         {"action": "empty_trash", "_selected_action": self.ids, "index": 0})
        self.assertEqual(Article.objects.count(), 0)
        self.assertEqual(set(Tombstone.objects.values_list("key", flat=True)), expected)
        self.assertGreaterEqual(len(expected), 5)

    def test_a_trashed_story_is_not_imported_again(self):
        article = suning_haier()
        self.client.post(CHANGELIST, {
            "action": "delete_selected", "_selected_action": [article.pk], "post": "yes",
        })
        report = import_files(SEEDS, force=True)  # force: read files the ledger saw unchanged
        self.assertEqual(report.created, 0)
        self.assertEqual(Article.objects.get(external_id=article.external_id).status, "trashed")
