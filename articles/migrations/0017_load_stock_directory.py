"""The stock directory's snapshot (articles/data/stocks/): every database starts with the
A-share market and the Hong Kong and US listings Chinese readers follow."""

from django.db import migrations

from articles.stocks import load_snapshot


class Migration(migrations.Migration):
    dependencies = [("articles", "0016_stock_directory")]

    operations = [migrations.RunPython(load_snapshot, migrations.RunPython.noop)]
