"""Receivers that keep the import's memory of deleted stories (database writes only)."""

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from articles.identity import identity_keys
from articles.models import Article, Tombstone


@receiver(pre_delete, sender=Article)
def remember_deleted_article(sender, instance: Article, **kwargs) -> None:
    # An editor deleted this story: the next cron import must not bring it back.
    keys = identity_keys(
        external_id=instance.external_id,
        original_url=instance.original_url,
        fingerprint=instance.fingerprint,
    )
    Tombstone.objects.bulk_create(
        [Tombstone(key=key[:600], title=instance.title[:300]) for key in keys],
        ignore_conflicts=True,
    )
