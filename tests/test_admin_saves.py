"""Editors' saves: a save that changes nothing changes nothing, and a stale save never undoes
another editor's work (issue 15). The forms are posted as a browser posts them: every field
the change page renders, textareas with CRLF line ends."""


from datetime import timedelta

import lxml.html
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.admin_support import (
    SEEDS,
    SUNING_HAIER,
    import_files,
    make_editor,
    make_superuser,
    seed_copy,
    temp_dir,
)

STORED = ("title", "summary", "body", "published_at", "status", "slug", "source_id",
          "category_id", "needs_review", "inferred_fields", "pending_changes", "imported_values",
          "updated_at")


def stored(article: Article) -> dict:
    article.refresh_from_db()
    return {name: getattr(article, name) for name in STORED} | {
        "tags": sorted(article.tags.names()), "stocks": sorted(s.pk for s in article.stocks.all())}


def form_as_posted(page: bytes, **changes) -> dict:
    """What a browser posts for the change form in `page`, with `changes` typed in."""
    document = lxml.html.fromstring(page.decode("utf-8"))
    form = document.get_element_by_id("article_form")
    data: dict[str, list[str]] = {}
    for name, value in form.form_values():
        if form.xpath(f'.//textarea[@name="{name}"]'):
            value = value.replace("\r\n", "\n").replace("\n", "\r\n")
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = [value]
    data["_continue"] = ["保存并继续编辑"]
    return data


class NoOpSaveTests(TestCase):
    maxDiff = None
    @classmethod
    def setUpTestData(cls):
        import_files(SEEDS, status="published")
        cls.chief = make_superuser()

    def setUp(self):
        self.client.force_login(self.chief)

    def save_unchanged(self, article: Article, **changes):
        url = reverse("admin:articles_article_change", args=[article.pk])
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        response = self.client.post(url, form_as_posted(page.content, **changes))
        self.assertEqual(response.status_code, 302, response.content[:3000])
        return response

    def test_a_save_without_changes_leaves_every_stored_field_as_it_was(self):
        for article in Article.objects.order_by("pk"):
            with self.subTest(article.source_file):
                before = stored(article)
                self.save_unchanged(article)
                self.assertEqual(stored(article), before)

    def test_the_source_still_updates_a_story_saved_without_changes(self):
        folder = temp_dir(self)
        copy = seed_copy(folder, next(SEEDS.glob("000_*")))
        article = Article.objects.get(external_id=SUNING_HAIER)
        self.save_unchanged(article)
        text = copy.read_text(encoding="utf-8")
        copy.write_text(text.replace("战略合作", "战略合作伙伴", 1), encoding="utf-8")
        report = import_files(folder, status="published")
        self.assertEqual((report.updated, report.conflicts), (1, 0))
        article.refresh_from_db()
        self.assertIn("战略合作伙伴", article.title + article.body)
        self.assertFalse(article.pending_changes)

    def test_a_real_change_is_saved(self):
        article = Article.objects.get(external_id=SUNING_HAIER)
        self.save_unchanged(article, title="苏宁易购与海尔（编辑改过的标题）")
        article.refresh_from_db()
        self.assertEqual(article.title, "苏宁易购与海尔（编辑改过的标题）")




class ConcurrentSaveTests(TestCase):
    """Two editors open the same story; the one who saves second saves against an old base."""

    @classmethod
    def setUpTestData(cls):
        import_files(SEEDS, status="published")
        cls.chief = make_superuser()
        cls.article = Article.objects.get(external_id=SUNING_HAIER)
        cls.url = reverse("admin:articles_article_change", args=[cls.article.pk])

    def open_form(self) -> bytes:
        self.client.force_login(self.chief)
        page = self.client.get(self.url)
        self.assertEqual(page.status_code, 200)
        return page.content

    def save(self, page: bytes, **changes):
        return self.client.post(self.url, form_as_posted(page, **changes))

    def test_edits_of_different_fields_both_survive(self):
        page_a, page_b = self.open_form(), self.open_form()
        self.assertEqual(self.save(page_a, title="编辑甲改的标题").status_code, 302)
        self.assertEqual(self.save(page_b, summary="编辑乙写的摘要。").status_code, 302)
        self.article.refresh_from_db()
        self.assertEqual((self.article.title, self.article.summary), ("编辑甲改的标题", "编辑乙写的摘要。"))

    def test_edits_of_the_same_field_are_refused_then_merged(self):
        page_a, page_b = self.open_form(), self.open_form()
        self.assertEqual(self.save(page_a, title="编辑甲改的标题").status_code, 302)
        refused = self.save(page_b, title="编辑乙改的标题", summary="编辑乙写的摘要。")
        self.assertEqual(refused.status_code, 200)
        text = refused.content.decode()
        self.assertIn("其他编辑修改了「标题」", text)
        self.assertIn("编辑甲改的标题", text)  # theirs, side by side with…
        self.assertIn("编辑乙改的标题", text)  # …yours
        self.article.refresh_from_db()
        self.assertEqual(self.article.title, "编辑甲改的标题")
        # B's summary went with B's refused title: the summary is still seed 000's first paragraph.
        self.assertTrue(self.article.summary.startswith("2月17日，苏宁易购与海尔召开2022年战略对接暨春季启动会"))
        self.assertNotEqual(self.article.summary, "编辑乙写的摘要。")
        # Editor B merges by hand and saves the re-shown form: now it is B's decision.
        merged = self.save(refused.content, title="编辑甲改的标题（乙补充）")
        self.assertEqual(merged.status_code, 302)
        self.article.refresh_from_db()
        self.assertEqual((self.article.title, self.article.summary), ("编辑甲改的标题（乙补充）", "编辑乙写的摘要。"))

    def test_a_stale_form_does_not_undo_a_change_of_tags_or_stocks(self):
        page_a, page_b = self.open_form(), self.open_form()
        self.assertEqual(self.save(page_a, tags="家电, 战略合作").status_code, 302)
        self.assertEqual(self.save(page_b, summary="编辑乙写的摘要。").status_code, 302)
        self.assertEqual(sorted(self.article.tags.names()), ["家电", "战略合作"])


class InferredFieldTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_files(SEEDS, status="published")
        cls.chief = make_superuser()

    def test_a_guessed_title_stays_flagged_until_the_editor_says_it_was_checked(self):
        self.client.force_login(self.chief)
        dump = Article.objects.get(source_file__endswith="001_11bd8c5703fc5a39.txt")
        self.assertTrue(dump.needs_review)
        self.assertIn("title", dump.inferred_fields)
        url = reverse("admin:articles_article_change", args=[dump.pk])
        page = self.client.get(url).content
        self.client.post(url, form_as_posted(page, summary="编辑改写的摘要。"))
        dump.refresh_from_db()
        self.assertEqual(dump.summary, "编辑改写的摘要。")
        self.assertTrue(dump.needs_review)
        self.assertIn("title", dump.inferred_fields)
        page = self.client.get(url).content
        self.client.post(url, form_as_posted(page, confirm_inferred="on"))
        dump.refresh_from_db()
        self.assertEqual((dump.needs_review, dump.inferred_fields), (False, []))


class PresenceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_files(SEEDS, status="published")
        cls.chief = make_superuser()
        cls.editor = make_editor()
        cls.article = Article.objects.get(external_id=SUNING_HAIER)

    def setUp(self):
        from django.core.cache import cache

        cache.clear()

    def test_the_form_shows_who_else_has_the_story_open(self):
        url = reverse("admin:articles_article_change", args=[self.article.pk])
        self.client.force_login(self.chief)
        first = self.client.get(url).content.decode()
        self.assertIn('class="nr-presence" role="status"', first)
        self.assertIn(" hidden>", first.split('class="nr-presence"', 1)[1][:200])
        other = self.client_class()
        other.force_login(self.editor)
        second = other.get(url).content.decode()
        banner = second.split('class="nr-presence"', 1)[1][:400]
        self.assertNotIn(" hidden>", banner)
        self.assertIn("chief", banner)
        ping = self.client.post(reverse("admin:articles_article_editing", args=[self.article.pk]))
        self.assertEqual(ping.json()["others"], ["editor"])

    def test_the_heartbeat_needs_a_login(self):
        ping = self.client.post(reverse("admin:articles_article_editing", args=[self.article.pk]))
        self.assertEqual(ping.status_code, 302)


class ScheduledTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_files(SEEDS, status="published")
        cls.chief = make_superuser()
        cls.article = Article.objects.get(external_id=SUNING_HAIER)
        cls.article.published_at = timezone.now() + timedelta(days=1)
        cls.article.save()

    def setUp(self):
        self.client.force_login(self.chief)

    def test_a_scheduled_story_is_labelled_filtered_and_queued(self):
        changelist = reverse("admin:articles_article_changelist")
        listed = self.client.get(changelist).content.decode()
        self.assertEqual(listed.count("nr-status-scheduled"), 1)
        scheduled = self.client.get(changelist, {"schedule": "scheduled"})
        self.assertEqual([a.pk for a in scheduled.context["cl"].result_list], [self.article.pk])
        live = self.client.get(changelist, {"schedule": "live"})
        self.assertNotIn(self.article.pk, [a.pk for a in live.context["cl"].result_list])
        self.assertEqual(len(live.context["cl"].result_list), 2)  # the two page dumps wait in review
        start = self.client.get(reverse("admin:index")).content.decode()
        self.assertIn("即将定时上线", start)
        self.assertIn(self.article.title, start)
