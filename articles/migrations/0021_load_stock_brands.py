"""The stock directory's snapshot again: appliance brands the news writes for their companies
(康佳, 华帝, 九阳, 美菱, 美大; articles/data/stocks/others.csv)."""

from django.db import migrations


def load_snapshot(apps, schema_editor):
    from articles import stocks

    stocks.load(apps.get_model("articles", "Stock"), stocks.snapshot_rows())


class Migration(migrations.Migration):
    dependencies = [("articles", "0020_load_stock_aliases")]

    operations = [migrations.RunPython(load_snapshot, migrations.RunPython.noop)]
