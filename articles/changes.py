"""The change feed's records (ArticleChange): what a mirror of the public site must do, and
when. One place decides them, from a story's visibility before and after a write:

- it becomes visible (published, now or at its scheduled time): created;
- it changes while visible: updated;
- it stops being visible (withdrawn, rejected, trashed): unpublished;
- it is deleted while it was visible: deleted.

Changes dated in the future (a scheduled story) are replaced whenever the story is written
again, so a story scheduled and then withdrawn never shows as created. Drafts never appear.
Saves go through the model's signals; the import's bulk inserts call record_created().
"""

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver
from django.utils import timezone

from articles.models import Article, ArticleChange

Action = ArticleChange.Action
_LOADED = "_change_feed_loaded"  # (status, published_at) as read from the database


@receiver(post_init, sender=Article)
def remember_loaded_state(sender, instance: Article, **kwargs) -> None:
    if instance.pk is not None and "status" in instance.__dict__ and "published_at" in instance.__dict__:
        setattr(instance, _LOADED, (instance.status, instance.published_at))


@receiver(post_save, sender=Article)
def record_saved(sender, instance: Article, created: bool, **kwargs) -> None:
    # None: new, or loaded without its status (a deferred read): taken as not published before.
    before = None if created else getattr(instance, _LOADED, None)
    after = (instance.status, instance.published_at)
    setattr(instance, _LOADED, after)
    now = timezone.now()
    was_published = before is not None and before[0] == Article.Status.PUBLISHED
    if after[0] == Article.Status.PUBLISHED:
        _forget_future(instance.pk, now)
        action = Action.UPDATED if was_published and before[1] <= now else Action.CREATED
        ArticleChange.objects.create(article_id=instance.pk, action=action, at=max(now, instance.published_at))
    elif was_published:
        _forget_future(instance.pk, now)
        if before[1] <= now:  # it was visible: mirrors must drop it
            ArticleChange.objects.create(article_id=instance.pk, action=Action.UNPUBLISHED, at=now)


@receiver(post_delete, sender=Article)
def record_deleted(sender, instance: Article, **kwargs) -> None:
    now = timezone.now()
    _forget_future(instance.pk, now)
    if ArticleChange.objects.filter(article_id=instance.pk).exists():
        ArticleChange.objects.create(article_id=instance.pk, action=Action.DELETED, at=now)


def record_created(articles) -> None:
    """Record the import's new published stories (inserted in bulk, without signals)."""
    now = timezone.now()
    ArticleChange.objects.bulk_create([
        ArticleChange(article_id=article.pk, action=Action.CREATED, at=max(now, article.published_at))
        for article in articles if article.status == Article.Status.PUBLISHED])


def _forget_future(article_id: int, now) -> None:
    """Drop the story's changes that have not happened yet: the write at hand decides anew."""
    ArticleChange.objects.filter(article_id=article_id, at__gt=now).delete()
