"""The stock directory's snapshot again, now with the names the news uses (aliases) and more
Hong Kong and US listings (articles/data/stocks/others.csv)."""

from django.db import migrations

from articles.stocks import load_snapshot


class Migration(migrations.Migration):
    dependencies = [("articles", "0019_stock_aliases")]

    operations = [migrations.RunPython(load_snapshot, migrations.RunPython.noop)]
