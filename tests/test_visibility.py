"""What readers may see, one rule (articles.models.visibility) in its every use: the QuerySet,
an instance's is_published, scheduled stories, and the public pages' hand-written SQL."""

from datetime import timedelta

from django.test import TestCase
from django.utils import timezone

from articles import reads
from articles.models import Article


class VisibilityTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        now = timezone.now()
        cls.stories = {}
        for status in Article.Status.values:
            for when, moment in (("past", now - timedelta(hours=1)), ("future", now + timedelta(days=1))):
                cls.stories[status, when] = Article.objects.create(
                    title=f"{status} {when} 稿件", body="<p>正文</p>", status=status, published_at=moment)

    def ids(self, *keys) -> set[int]:
        return {self.stories[key].pk for key in keys}

    def test_readers_see_only_published_stories_whose_time_has_come(self):
        self.assertEqual(set(Article.objects.published().values_list("pk", flat=True)),
                         self.ids(("published", "past")))

    def test_an_instance_agrees_with_the_queryset(self):
        for (status, when), story in self.stories.items():
            with self.subTest(status=status, when=when):
                self.assertIs(story.is_published, status == "published" and when == "past")

    def test_unpublished_is_the_exact_complement(self):
        every = set(Article.objects.values_list("pk", flat=True))
        for at in (None, timezone.now() + timedelta(days=2)):
            with self.subTest(at=at):
                shown = set(Article.objects.published(at).values_list("pk", flat=True))
                hidden = set(Article.objects.unpublished(at).values_list("pk", flat=True))
                self.assertEqual((shown & hidden, shown | hidden), (set(), every))
        self.assertEqual(set(Article.objects.unpublished().values_list("pk", flat=True)),
                         every - self.ids(("published", "past")))

    def test_scheduled_stories_are_the_released_ones_still_to_come(self):
        self.assertEqual(set(Article.objects.scheduled().values_list("pk", flat=True)),
                         self.ids(("published", "future")))

    def test_a_scheduled_story_becomes_visible_at_its_time(self):
        later = timezone.now() + timedelta(days=2)
        self.assertEqual(set(Article.objects.published(at=later).values_list("pk", flat=True)),
                         self.ids(("published", "past"), ("published", "future")))
        self.assertFalse(Article.objects.scheduled(at=later).exists())

    def test_the_hand_written_reads_apply_the_same_rule(self):
        self.assertEqual({story.pk for story in reads.listing(limit=100)},
                         self.ids(("published", "past")))
        for (status, when), story in self.stories.items():
            with self.subTest(status=status, when=when):
                shown = reads.fetch_one(reads.story_read(story.pk))
                self.assertEqual(shown is not None, status == "published" and when == "past")
