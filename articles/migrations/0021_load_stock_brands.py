"""The stock directory's snapshot again: appliance brands the news writes for their companies
(康佳, 华帝, 九阳, 美菱, 美大; articles/data/stocks/others.csv)."""

from django.db import migrations

from articles.stocks import load_snapshot


class Migration(migrations.Migration):
    dependencies = [("articles", "0020_load_stock_aliases")]

    operations = [migrations.RunPython(load_snapshot, migrations.RunPython.noop)]
