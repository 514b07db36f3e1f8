"""Seed the editorial sections with keyword rules; editors change them in the admin."""

from django.db import migrations

CATEGORIES = [
    ("宏观", "macro", 10, "宏观经济、政策与央行动向。",
     "央行,国务院,发改委,财政部,统计局,GDP,CPI,PPI,经济,政策,利率,降准,美联储,人民币,汇率,债务上限"),
    ("市场", "markets", 20, "股市、债市、汇市与期货行情。",
     "A股,港股,美股,指数,北向资金,龙虎榜,涨停,跌停,板块,期货,大宗商品,收盘,午评,ETF,资金净流入"),
    ("公司", "companies", 30, "上市公司公告、经营与合作。",
     "战略合作,签约,签署,公告,净利,营收,回购,业绩,集团,股份,控股,评级,目标价"),
    ("科技", "tech", 40, "科技产业、数字化与新能源。",
     "华为,芯片,半导体,数字化,元宇宙,人工智能,新能源,智能,云计算,5G,科技"),
    ("综合", "general", 90, "其他财经新闻。", ""),
]


def seed(apps, schema_editor):
    Category = apps.get_model("articles", "Category")
    for name, slug, order, description, keywords in CATEGORIES:
        Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "order": order,
                "description": description,
                "keywords": keywords,
                "is_default": slug == "general",
            },
        )


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
