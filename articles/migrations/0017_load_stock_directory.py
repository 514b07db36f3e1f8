"""The stock directory's snapshot (articles/data/stocks/): every database starts with the
A-share market and the Hong Kong and US listings Chinese readers follow."""

from django.db import migrations


def load_snapshot(apps, schema_editor):
    from articles import stocks

    stocks.load(apps.get_model("articles", "Stock"), stocks.snapshot_rows())


class Migration(migrations.Migration):
    dependencies = [("articles", "0016_stock_directory")]

    operations = [migrations.RunPython(load_snapshot, migrations.RunPython.noop)]
