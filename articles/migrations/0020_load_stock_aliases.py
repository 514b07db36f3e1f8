"""The stock directory's snapshot again, now with the names the news uses (aliases) and more
Hong Kong and US listings (articles/data/stocks/others.csv)."""

from django.db import migrations


def load_snapshot(apps, schema_editor):
    from articles import stocks

    stocks.load(apps.get_model("articles", "Stock"), stocks.snapshot_rows())


class Migration(migrations.Migration):
    dependencies = [("articles", "0019_stock_aliases")]

    operations = [migrations.RunPython(load_snapshot, migrations.RunPython.noop)]
