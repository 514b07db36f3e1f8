"""Editors' decisions on source changes that collided with their edits (articles.ingest.review).

The conflicts are produced by the real import pipeline: import a seed, edit the article as an
editor would, change the file, import again.
"""

from django.test import TestCase

from articles import tracked
from articles.ingest.review import accept_source, keep_edits, pending_fields
from articles.models import Article, Category, ImportFileResult, Source
from tests.admin_support import SEEDS, import_files, seed_copy, suning_haier, temp_dir

OLD_TITLE = "共创新价值 苏宁易购海尔召开2022年战略对接暨春季启动会"
SOURCE_TITLE = "苏宁易购与海尔召开2022年战略对接会（更新）"
EDITOR_TITLE = "苏宁易购海尔2022年战略对接会召开"
OLD_SENTENCE = "明确2022年合作目标及业务策略"
NEW_SENTENCE = "明确2022年全年合作目标及具体业务策略"


class ConflictMixin:
    def setUp(self):
        super().setUp()
        self.dir = temp_dir(self)
        self.path = seed_copy(self.dir, next(SEEDS.glob("000_*.txt")))
        import_files(self.path)
        self.article = suning_haier()

    def edit_as_editor(self, **values) -> None:
        for name, value in values.items():
            setattr(self.article, name, value)
        self.article.save()

    def change_source(self, *, title=None, sentence=None) -> None:
        text = self.path.read_text(encoding="utf-8")
        if title:
            text = text.replace(OLD_TITLE, title, 1)
        if sentence:
            text = text.replace(OLD_SENTENCE, sentence)
        self.path.write_text(text, encoding="utf-8")

    def reimport(self):
        report = import_files(self.path)
        self.article.refresh_from_db()
        return report


class PipelineContractTests(ConflictMixin, TestCase):
    """What the review functions rely on from the importer."""

    def test_edited_field_conflicts_and_untouched_field_follows_the_source(self):
        self.edit_as_editor(title=EDITOR_TITLE)
        self.change_source(title=SOURCE_TITLE, sentence=NEW_SENTENCE)
        report = self.reimport()
        self.assertEqual(report.conflicts, 1)
        self.assertEqual(self.article.title, EDITOR_TITLE)
        self.assertIn(NEW_SENTENCE, self.article.body)  # nobody edited the body: applied
        self.assertEqual(pending_fields(self.article), {"title": SOURCE_TITLE})
        self.assertTrue(self.article.needs_review)
        self.assertEqual(self.article.pending_changes["source_file"], str(self.path))

    def test_an_edited_body_conflicts_and_the_source_body_waits_whole(self):
        self.edit_as_editor(body=self.article.body.replace(OLD_SENTENCE, "编辑改写的一句话"))
        self.change_source(sentence=NEW_SENTENCE)
        report = self.reimport()
        self.assertEqual(report.conflicts, 1)
        self.assertIn("编辑改写的一句话", self.article.body)
        self.assertIn(NEW_SENTENCE, pending_fields(self.article)["body"], "offered in full")
        # The source's summary quotes its new body: it waits beside it, unapplied, so the
        # page never summarises a sentence the kept body does not have.
        self.assertIn(OLD_SENTENCE, self.article.summary)
        self.assertNotIn(NEW_SENTENCE, self.article.summary)
        self.assertIn(NEW_SENTENCE, pending_fields(self.article)["summary"])

        self.assertEqual(sorted(accept_source(self.article, fields=["body", "summary"])), ["body", "summary"])
        self.article.refresh_from_db()
        self.assertIn(NEW_SENTENCE, self.article.body)
        self.assertIn(NEW_SENTENCE, self.article.summary)
        self.assertFalse(self.article.needs_review)

    def test_the_imported_body_is_kept_as_a_digest_and_a_whole_one_still_compares(self):
        kept = self.article.imported_values["body"]
        self.assertTrue(kept.startswith("sha256:"), kept[:80])
        self.assertNotIn(OLD_SENTENCE, kept)
        # Articles imported before the digest keep their whole body there: the same source
        # version is still "unchanged", and an untouched body still follows the source.
        Article.objects.filter(pk=self.article.pk).update(
            imported_values={**self.article.imported_values, "body": self.article.body})
        self.change_source(title=SOURCE_TITLE)
        report = self.reimport()
        self.assertEqual((report.updated, report.conflicts), (1, 0))
        self.assertEqual(self.article.title, SOURCE_TITLE)
        self.change_source(sentence=NEW_SENTENCE)
        report = self.reimport()
        self.assertEqual((report.updated, report.conflicts), (1, 0))
        self.assertIn(NEW_SENTENCE, self.article.body)


class AcceptSourceTests(ConflictMixin, TestCase):
    def test_accept_applies_the_source_value_and_clears_the_flag(self):
        self.edit_as_editor(title=EDITOR_TITLE)
        self.change_source(title=SOURCE_TITLE)
        self.reimport()

        self.assertEqual(accept_source(self.article), ["title"])
        article = Article.objects.get(pk=self.article.pk)
        self.assertEqual(article.title, SOURCE_TITLE)
        self.assertEqual(article.imported_values["title"], SOURCE_TITLE)
        self.assertEqual(article.pending_changes, {})
        self.assertFalse(article.needs_review)
        self.assertIn("更新", article.search_text, "search text follows the accepted title")

    def test_accepted_title_belongs_to_the_importer_again(self):
        self.edit_as_editor(title=EDITOR_TITLE)
        self.change_source(title=SOURCE_TITLE)
        self.reimport()
        accept_source(self.article)

        self.path.write_text(
            self.path.read_text(encoding="utf-8").replace(SOURCE_TITLE, "苏宁易购海尔再更新"),
            encoding="utf-8",
        )
        report = self.reimport()
        self.assertEqual((report.updated, report.conflicts), (1, 0))
        self.assertEqual(self.article.title, "苏宁易购海尔再更新")

    def test_accept_every_kind_of_field(self):
        source = Source.objects.create(name="经济日报")
        category = Category.objects.get(slug="tech")
        self.article.pending_changes = {
            "fields": {
                "published_at": "2022-02-22T01:00:00+00:00",
                "source": source.pk,
                "category": category.pk,
                "tags": ["家电", "战略合作"],
                "stocks": ["SH600690", "SZ000333"],
                "original_url": "https://example.com/news/1.html",
                "summary": "新摘要",
            },
            "detected_at": "2022-02-22T02:00:00+00:00", "source_file": "x", "import_run": None,
        }
        self.article.needs_review = True
        self.article.save()

        applied = accept_source(self.article)
        article = Article.objects.get(pk=self.article.pk)
        self.assertEqual(len(applied), 7)
        self.assertEqual(tracked.read(article, ["published_at"]), {"published_at": "2022-02-22T01:00:00+00:00"})
        self.assertEqual(article.source, source)
        self.assertEqual(article.category, category)
        self.assertEqual(sorted(article.tags.names()), ["家电", "战略合作"])
        self.assertEqual(sorted(s.symbol for s in article.stocks.all()), ["SH600690", "SZ000333"])
        self.assertEqual(article.original_url, "https://example.com/news/1.html")
        self.assertEqual(article.summary, "新摘要")
        for name in applied:
            self.assertEqual(article.imported_values[name], self.article.imported_values[name])
        self.assertFalse(article.needs_review)


class KeepEditsTests(ConflictMixin, TestCase):
    def test_keep_discards_the_source_value_and_the_same_version_does_not_flag_again(self):
        self.edit_as_editor(title=EDITOR_TITLE)
        self.change_source(title=SOURCE_TITLE)
        self.reimport()

        self.assertEqual(keep_edits(self.article), ["title"])
        self.article.refresh_from_db()
        self.assertEqual(self.article.title, EDITOR_TITLE)
        self.assertEqual(self.article.imported_values["title"], SOURCE_TITLE)
        self.assertFalse(self.article.needs_review)

        # The source changes again, but not its title: the editor is not asked a second time.
        self.change_source(sentence=NEW_SENTENCE)
        report = self.reimport()
        self.assertEqual((report.updated, report.conflicts), (1, 0))
        self.assertEqual(self.article.title, EDITOR_TITLE)
        self.assertFalse(self.article.needs_review)
        self.assertEqual(
            ImportFileResult.objects.filter(article=self.article).latest("id").outcome, "updated"
        )

    def test_a_newer_source_title_flags_again_after_keeping(self):
        self.edit_as_editor(title=EDITOR_TITLE)
        self.change_source(title=SOURCE_TITLE)
        self.reimport()
        keep_edits(self.article)

        self.path.write_text(
            self.path.read_text(encoding="utf-8").replace(SOURCE_TITLE, "第三个版本的标题"),
            encoding="utf-8",
        )
        report = self.reimport()
        self.assertEqual(report.conflicts, 1)
        self.assertEqual(pending_fields(self.article), {"title": "第三个版本的标题"})

    def test_deciding_one_field_leaves_the_others_pending(self):
        self.edit_as_editor(title=EDITOR_TITLE, summary="编辑写的摘要")
        self.change_source(title=SOURCE_TITLE, sentence=NEW_SENTENCE)
        self.reimport()
        self.assertEqual(set(pending_fields(self.article)), {"title", "summary"})

        self.assertEqual(keep_edits(self.article, fields=["summary"]), ["summary"])
        self.article.refresh_from_db()
        self.assertEqual(pending_fields(self.article), {"title": SOURCE_TITLE})
        self.assertTrue(self.article.needs_review)
        self.assertEqual(self.article.summary, "编辑写的摘要")

        self.assertEqual(accept_source(self.article, fields=["title"]), ["title"])
        self.article.refresh_from_db()
        self.assertEqual(self.article.title, SOURCE_TITLE)
        self.assertFalse(self.article.needs_review)

    def test_nothing_pending_is_a_no_op(self):
        self.assertEqual(keep_edits(self.article), [])
        self.assertEqual(accept_source(self.article, fields=["title"]), [])


class InferredFieldsTests(TestCase):
    def test_unreviewed_inferred_fields_keep_the_flag_after_a_decision(self):
        directory = temp_dir(self)
        path = seed_copy(directory, next(SEEDS.glob("001_*.txt")))
        import_files(path)
        article = Article.objects.get(source_file=str(path))
        self.assertEqual(article.inferred_fields, ["published_at", "title"])
        article.summary = "编辑改写的摘要"
        article.save()
        article.pending_changes = {"fields": {"summary": "来源的新摘要"}, "detected_at": "",
                                   "source_file": str(path), "import_run": None}
        article.save()

        self.assertEqual(keep_edits(article), ["summary"])
        article.refresh_from_db()
        self.assertEqual(article.pending_changes, {})
        self.assertTrue(article.needs_review, "the inferred title and date still need a look")
