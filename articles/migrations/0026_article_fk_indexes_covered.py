"""A foreign key of articles_article whose column leads one of its composite indexes loses its
own index: every story inserted paid for four B-trees nothing reads.

The indexes are dropped by name (Django's names, the same on SQLite and PostgreSQL): letting
AlterField do it would rebuild the whole table four times on SQLite (and drop its search
triggers)."""

import django.db.models.deletion
from django.db import migrations, models

COVERED = {
    # index -> (column, the index that now serves it)
    "articles_article_category_id_633dad2b": ("category_id", "article_cat_pub_idx"),
    "articles_article_cluster_id_29634c79": ("cluster_id", "article_cluster_idx"),
    "articles_article_import_run_id_af4709ca": ("import_run_id", "article_import_run_idx"),
    "articles_article_source_id_9a8869ea": ("source_id", "article_source_pub_idx"),
}


def _field(to, on_delete, verbose_name):
    return models.ForeignKey(blank=True, db_index=False, null=True, on_delete=on_delete,
                             related_name="articles", to=to, verbose_name=verbose_name)


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0025_article_image"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="article", name="category", field=_field(
                    "articles.category", django.db.models.deletion.SET_NULL, "栏目")),
                migrations.AlterField(model_name="article", name="cluster", field=_field(
                    "articles.cluster", django.db.models.deletion.SET_NULL, "同题组")),
                migrations.AlterField(model_name="article", name="import_run", field=_field(
                    "articles.importrun", django.db.models.deletion.SET_NULL, "最近导入")),
                migrations.AlterField(model_name="article", name="source", field=_field(
                    "articles.source", django.db.models.deletion.PROTECT, "来源")),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    f'CREATE INDEX "{index}" ON "articles_article" ("{column}")',
                )
                for index, (column, _) in COVERED.items()
            ],
        ),
    ]
