"""The lists' thumbnail: each story's first picture (never a stock chart), kept with its body."""

from django.db import migrations, models

from articles.migrations._sqlite import reinstall_search_triggers

BATCH = 2000


def fill_thumbnails(apps, schema_editor):
    from articles.models import Article as Current  # the one rule: Article.thumbnail_of()

    Article = apps.get_model("articles", "Article")
    changed = []
    for article in Article.objects.filter(body__icontains="<img").only("id", "body").iterator(chunk_size=BATCH):
        image = Current.thumbnail_of(article.body)
        if image:
            article.image = image
            changed.append(article)
        if len(changed) >= BATCH:
            Article.objects.bulk_update(changed, ["image"])
            changed = []
    Article.objects.bulk_update(changed, ["image"])


class Migration(migrations.Migration):
    dependencies = [("articles", "0024_reads_and_hot_lists")]

    operations = [
        migrations.AddField(
            model_name="article",
            name="image",
            field=models.CharField(blank=True, editable=False, max_length=500, verbose_name="题图"),
        ),
        migrations.RunPython(reinstall_search_triggers, migrations.RunPython.noop),
        migrations.RunPython(fill_thumbnails, migrations.RunPython.noop, elidable=True),
    ]
