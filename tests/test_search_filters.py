"""Which articles match (articles/search/filters.py, over the indexes of migrations 0003,
0004 and 0008), on the real corpus against plain substring search."""

import random
import re

from django.db import connection
from django.test import TestCase
from django.utils import timezone

from articles.models import Article
from articles.search.filters import (
    BODY_VECTOR,
    TITLE_VECTOR,
    filter_matching,
    search_articles,
    tsquery_filter,
)
from articles.search.query import parse_query
from articles.search.tokens import search_document
from tests.search_support import SearchCorpusTestCase
from tests.site_support import GOME_HUAWEI, SUNING_HAIER

CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


class SearchCorpusTests(SearchCorpusTestCase):
    def found(self, q) -> set[int]:
        return set(search_articles(q).values_list("pk", flat=True))

    def test_seed_stories(self):
        haier = Article.objects.get(external_id=SUNING_HAIER)
        huawei = Article.objects.get(external_id=GOME_HUAWEI)
        self.assertEqual(search_articles("海尔").first(), haier)
        self.assertEqual(search_articles("华为").first(), huawei)
        self.assertIn(haier, search_articles("苏宁易购"))
        self.assertIn(huawei, search_articles("国美智慧门店"))
        self.assertNotIn(haier, search_articles("苏宁海尔"))  # not a substring of the story

    def test_matches_substring_search_exactly(self):
        rng = random.Random(20240521)
        queries = ["海尔", "京东", "美的", "华为", "新能源", "人民币", "海", "涨", "的"]
        runs = [run for parts in self.texts.values() for part in parts
                for run in CJK_RUN.findall(part)]
        for _ in range(150):
            run = rng.choice(runs)
            length = rng.randint(1, min(5, len(run)))
            start = rng.randrange(len(run) - length + 1)
            queries.append(run[start : start + length])
        queries += ["鑫鑫鑫", "海尔华为", "尔智"]
        for q in queries:
            with self.subTest(q=q):
                self.assertEqual(self.found(q), self.reference(q))

    def test_several_terms_must_all_match(self):
        for terms in (("京东", "美的"), ("海尔", "苏宁"), ("央行", "利率"), ("海", "京")):
            with self.subTest(terms=terms):
                self.assertEqual(self.found(" ".join(terms)), self.reference(*terms))

    def test_ascii_words_and_mixed_terms(self):
        self.assertEqual(self.found("ETF"), {pk for pk, parts in self.texts.items()
                                             if any(re.search(r"(?<![A-Za-z0-9])etf(?![A-Za-z0-9])",
                                                              p, re.I) for p in parts)})
        self.assertEqual(self.found("A股"), self.reference("A股") | self.reference("A 股"))

    def test_hidden_stories_are_never_found(self):
        for q in ("海尔", "华为", "草稿隐藏标记甲", "定时隐藏标记丁"):
            found = self.found(q)
            for story in self.hidden.values():
                self.assertNotIn(story.pk, found)

    def test_title_hits_come_first_then_newest_first(self):
        results = list(search_articles("海尔"))
        keys = [("海尔" in a.title, a.published_at, a.pk) for a in results]
        self.assertEqual(keys, sorted(keys, reverse=True))
        self.assertTrue(keys[0][0])

    def test_the_admin_filter_finds_stories_of_any_status(self):
        """filter_matching() narrows the queryset it is given (the admin's: drafts included)."""
        draft = self.hidden["draft"]
        self.assertIn(draft, filter_matching(Article.objects.all(), parse_query("草稿隐藏标记甲")))
        self.assertNotIn(draft, filter_matching(Article.objects.all(), parse_query("定时隐藏标记丁")))
        self.assertFalse(filter_matching(Article.objects.all(), parse_query("？！")).exists())


class SearchIndexTests(TestCase):
    """The index is kept in step with the articles table by the database itself."""

    def make(self, title, **kwargs):
        return Article.objects.create(title=title, status="published", **kwargs)

    def test_insert_update_delete_and_bulk_writes_are_indexed(self):
        story = self.make("格力电器发布年报")
        self.assertEqual(list(search_articles("格力")), [story])
        story.title = "美的集团发布年报"
        story.save()
        self.assertEqual(list(search_articles("格力")), [])
        self.assertEqual(list(search_articles("美的")), [story])
        Article.objects.filter(pk=story.pk).update(
            search_text=search_document("长城汽车"), title="长城汽车")
        self.assertEqual(list(search_articles("长城")), [story])
        Article.objects.bulk_create([Article(title="比亚迪", status="published",
                                             search_text=search_document("比亚迪"))])
        self.assertEqual(search_articles("比亚迪").count(), 1)
        story.delete()
        self.assertEqual(list(search_articles("长城")), [])

    def test_a_title_saved_alone_is_indexed_too(self):
        story = self.make("格力电器发布年报")
        story.title = "长城汽车发布年报"
        story.save(update_fields=["title"])
        self.assertEqual(list(search_articles("长城")), [story])
        self.assertEqual(list(search_articles("格力")), [])
        story.status = "review"
        story.save(update_fields=["status"])  # no text: the tokens stay as they are
        self.assertEqual(Article.objects.get(pk=story.pk).search_text, story.search_text)

    def test_the_index_exists_and_is_used(self):
        self.make("海尔智家")
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'articles_article_fts%'")
                names = {row[0] for row in cursor.fetchall()}
                self.assertTrue({"articles_article_fts", "articles_article_fts_insert",
                                 "articles_article_fts_update", "articles_article_fts_delete"} <= names,
                                "a migration rebuilt articles_article: re-create the FTS triggers")
                sql, params = search_articles("海尔").values("pk").query.sql_with_params()
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                plan = " ".join(str(row[-1]) for row in cursor.fetchall())
                self.assertIn("VIRTUAL TABLE", plan)
                self.assertIn("INTEGER PRIMARY KEY", plan)  # articles read by rowid
            else:
                # The query's expressions must be the indexes' own, or the indexes are dead
                # weight. (That the planner picks them at 100,000 rows is in the report.)
                cursor.execute("SET LOCAL enable_seqscan = off")
                parsed = parse_query("海尔")
                for expression, index in ((BODY_VECTOR, "article_search_idx"),
                                          (TITLE_VECTOR, "article_title_search_idx")):
                    matches = Article.objects.filter(tsquery_filter(expression, parsed)).order_by()
                    sql, params = matches.values("pk").query.sql_with_params()
                    cursor.execute("EXPLAIN " + sql, params)
                    plan = " ".join(row[0] for row in cursor.fetchall())
                    self.assertIn(f"Bitmap Index Scan on {index}", plan)

    def test_a_title_changed_behind_the_application_is_reindexed_by_the_database(self):
        if connection.vendor != "postgresql":
            self.skipTest("title_vector is PostgreSQL's")
        story = Article.objects.create(title="格力电器发布年报", status="published", published_at=timezone.now())
        Article.objects.filter(pk=story.pk).update(title="长城汽车发布年报")
        with connection.cursor() as cursor:
            cursor.execute("SELECT title_vector = articles_title_tokens(title) FROM articles_article"
                           " WHERE id = %s", [story.pk])
            self.assertTrue(cursor.fetchone()[0])
