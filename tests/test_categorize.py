"""Keyword rules: which section a story is filed under, and re-applying them to old stories."""

from django.test import TestCase

from articles.categorize import assign_category, reapply_rules, reclassify
from articles.ingest.parsing import parse_file
from articles.models import Article, Category
from tests.admin_support import SEEDS, import_files, suning_haier


def category(slug: str) -> Category:
    return Category.objects.get(slug=slug)


class AssignCategoryTests(TestCase):
    """The sections seeded by migration 0002: 宏观 10, 市场 20, 公司 30, 科技 40, 综合 90 (default)."""

    def test_first_category_by_order_wins_when_several_match(self):
        # 华为 is a 科技 (40) keyword, 签约 a 公司 (30) one: the lower order wins.
        parsed = parse_file(next(SEEDS.glob("002_*.txt")))
        self.assertIn("华为", parsed.title)
        self.assertEqual(assign_category(title=parsed.title, summary=parsed.summary), category("companies"))

    def test_keyword_in_summary_counts_and_case_is_ignored(self):
        self.assertEqual(
            assign_category(title="今日要闻", summary="两市a股午后走强"), category("markets")
        )

    def test_default_category_when_nothing_matches(self):
        self.assertEqual(assign_category(title="天气晴", summary="出门踏青"), category("general"))

    def test_none_without_a_default(self):
        Category.objects.update(is_default=False)
        self.assertIsNone(assign_category(title="天气晴", summary="出门踏青"))

    def test_given_categories_are_used_in_their_order_not_the_lists(self):
        tech, macro = category("tech"), category("macro")
        tech.order = 1
        tech.save()
        title = "央行与华为联合发布数字人民币报告"
        self.assertEqual(assign_category(title=title, summary="", categories=[macro, tech]), tech)
        self.assertEqual(assign_category(title=title, summary="", categories=[macro]), macro)

    def test_editor_keyword_changes_take_effect(self):
        macro = category("macro")
        macro.keywords = "家电\n消费"
        macro.order = 5
        macro.save()
        parsed = parse_file(next(SEEDS.glob("001_*.txt")))
        self.assertEqual(assign_category(title=parsed.title, summary=parsed.summary), macro)


class ReapplyRulesTests(TestCase):
    def setUp(self):
        import_files(SEEDS)

    def test_reapply_moves_rule_owned_articles_and_records_the_rule_value(self):
        article = suning_haier()
        self.assertEqual(article.category, category("companies"))
        tech = category("tech")
        tech.keywords = "苏宁易购"
        tech.order = 1
        tech.save()

        self.assertEqual(reclassify(Article.objects.filter(pk=article.pk)), [article.pk])
        article.refresh_from_db()
        self.assertEqual(article.category, tech)
        self.assertEqual(article.imported_values["category"], tech.pk)
        self.assertEqual(reapply_rules(Article.objects.all()), 0, "a second run changes nothing")

    def test_reapply_leaves_an_editors_choice_alone(self):
        article = suning_haier()
        article.category = category("general")  # the editor's choice, unlike the rule's 公司
        article.save()
        other = Article.objects.get(title="京东家电专卖店召开2022星火计划合作伙伴大会")
        Category.objects.filter(slug="macro").update(keywords="")  # its rule no longer matches

        self.assertEqual(reapply_rules(Article.objects.all()), 1)
        article.refresh_from_db()
        other.refresh_from_db()
        self.assertEqual(article.category, category("general"))
        self.assertNotEqual(other.category, category("macro"))

    def test_hand_made_article_without_category_gets_one_and_a_chosen_one_is_kept(self):
        blank = Article.objects.create(title="央行宣布降准0.5个百分点", body="<p>正文</p>")
        chosen = Article.objects.create(title="央行宣布降息", category=category("tech"))
        self.assertEqual(reapply_rules(Article.objects.filter(pk__in=[blank.pk, chosen.pk])), 1)
        blank.refresh_from_db()
        chosen.refresh_from_db()
        self.assertEqual(blank.category, category("macro"))
        self.assertEqual(chosen.category, category("tech"))
