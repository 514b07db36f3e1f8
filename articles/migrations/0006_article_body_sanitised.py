import articles.models
from django.db import migrations


class Migration(migrations.Migration):
    """Article.body becomes a SanitisedHTMLField: the same text column, so only Django's state
    changes. (An AlterField would make SQLite rebuild the table and lose the search triggers
    that 0003 created with RunSQL.)"""

    dependencies = [
        ('articles', '0005_page_generation'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='article',
                    name='body',
                    field=articles.models.SanitisedHTMLField(blank=True, verbose_name='正文'),
                ),
            ],
        ),
    ]
