"""Section rules that weigh the whole story (articles.categorize): wider keyword lists.

A section whose keywords an editor changed since migration 0002 keeps the editor's words.
"""

from django.db import migrations, models

# What migration 0002 seeded: a section still holding these words was never edited.
SEEDED = {
    "macro": "央行,国务院,发改委,财政部,统计局,GDP,CPI,PPI,经济,政策,利率,降准,美联储,人民币,汇率,债务上限",
    "markets": "A股,港股,美股,指数,北向资金,龙虎榜,涨停,跌停,板块,期货,大宗商品,收盘,午评,ETF,资金净流入",
    "companies": "战略合作,签约,签署,公告,净利,营收,回购,业绩,集团,股份,控股,评级,目标价",
    "tech": "华为,芯片,半导体,数字化,元宇宙,人工智能,新能源,智能,云计算,5G,科技",
    "general": "",
}

KEYWORDS = {
    "macro": (
        "央行,人民银行,国务院,发改委,财政部,统计局,商务部,银保监会,证监会,外汇局,"
        "部门,GDP,CPI,PPI,PMI,宏观,经济增长,经济运行,货币政策,"
        "财政政策,政策,降准,降息,加息,缩债,缩表,量化宽松,美联储,欧洲央行,"
        "债务上限,国会,众议院,参议院,白宫,克宫,总统,通胀,就业,社融,外汇储备,"
        "监管,十四五,碳达峰,碳中和,印发,规划,行业协会,国有化,关键利率"
    ),
    "markets": (
        "A股,港股,美股,中概股,指数,恒指,沪指,深成指,创业板指,北向资金,北上资金,"
        "南向资金,龙虎榜,涨停,跌停,涨超,涨逾,涨近,跌超,跌逾,跌近,涨幅,跌幅,"
        "大涨,大跌,飙,暴涨,重挫,拉升,跳水,走高,走低,走强,走弱,反弹,破发,板块,"
        "概念股,期货,主力合约,大宗商品,收盘,收评,午评,早盘,盘中,ETF,净流入,"
        "净买入,汇率,离岸人民币,在岸人民币,兑美元,shibor,收益率,债市,行情,"
        "报价,个股,研报,股价,股票,市值,持股,供需报告,库存,黄金,原油"
    ),
    "companies": (
        "战略合作,签约,签署,公告,净利,营收,营业收入,回购,业绩,预增,预减,子公司,"
        "注册资本,股权,控股股东,实控人,董事长,互动平台,投资者,机构调研,订单,合同,"
        "销售金额,目标价,评级,首予,买入名单,商标,投产,产能,销量,合作伙伴,拍卖,"
        "有限公司,融资,收购,并购"
    ),
    "tech": (
        "华为,芯片,半导体,数字化,元宇宙,人工智能,云计算,5G,iPhone,AR,"
        "VR,MR,自动驾驶,游戏,互联网,数据中心,新能源汽车,电动车,软件,操作系统"
    ),
    "general": (
        "法院,宣判,判决,诈骗,被告人,徒刑,生态环境,大气,环保,天气,疫情"
    ),
}

HELP_TEXT = (
    "每行或以逗号分隔一个关键词。新稿件按全文计分：关键词出现在标题计 3 分，"
    "在正文中每出现一次计 1 分（每词最多 2 分）；得分最高的栏目胜出，同分时按排序。"
)


def widen(apps, schema_editor):
    Category = apps.get_model("articles", "Category")
    for slug, words in KEYWORDS.items():
        Category.objects.filter(slug=slug, keywords=SEEDED.get(slug, "")).update(keywords=words)


def narrow(apps, schema_editor):
    Category = apps.get_model("articles", "Category")
    for slug, words in KEYWORDS.items():
        Category.objects.filter(slug=slug, keywords=words).update(keywords=SEEDED.get(slug, ""))


class Migration(migrations.Migration):
    dependencies = [("articles", "0009_import_outcome_ignored")]
    operations = [
        migrations.AlterField(
            model_name="category",
            name="keywords",
            field=models.TextField(blank=True, help_text=HELP_TEXT, verbose_name="自动归类关键词"),
        ),
        migrations.RunPython(widen, narrow),
    ]
