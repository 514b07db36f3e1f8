"""Chinese full-text search (articles/search.py and migration 0003) on the real corpus.

The reference for correctness is plain substring search over the same text the index was
built from: every query must find exactly the published stories that contain it.
"""

import random
import re

from django.db import connection
from django.test import SimpleTestCase, TestCase, override_settings
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from articles import search, search_pages
from articles.models import Article
from articles.search import (
    Phrase,
    excerpt,
    fts5_match,
    highlight,
    html_to_text,
    parse_query,
    search_articles,
    search_document,
    tokens,
    tsquery,
    vector_literal,
)
from articles.search_pages import search_page
from tests.site_support import GOME_HUAWEI, SUNING_HAIER, create_hidden_stories, import_published

CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def reference_tokens(text: str) -> list[str]:
    """The token rule written the slow, obvious way: split into CJK runs and ASCII words; a
    run gives its overlapping bigrams (a lone character gives itself); a word, lower-cased,
    unless it is longer than MAX_WORD_CHARS."""
    out = []
    for run in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+", text):
        if run.isascii():
            if len(run) <= search.MAX_WORD_CHARS:
                out.append(run.lower())
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


class TokenRuleTests(SimpleTestCase):
    @settings(max_examples=400, derandomize=True, deadline=None)
    @given(st.text(alphabet=st.sampled_from("海尔智家股aZ9 ，\u3400\u9fff\uf900\uffffİß\n") | st.characters(),
                   max_size=120))
    def test_tokens_follow_the_rule_for_any_text(self, text):
        self.assertEqual(tokens(text), reference_tokens(text))

    def test_a_summary_repeated_by_the_text_is_indexed_once(self):
        text = "央行开展逆回购操作。中标利率维持不变。"
        self.assertEqual(search_document("标题", "央行开展逆回购…", text),
                         search_document("标题", text))
        self.assertEqual(search_document("标题", "编辑另写的摘要", text).split().count("另写"), 1)

    def test_long_words_are_left_out_whole(self):
        word = "a" * search.MAX_WORD_CHARS
        self.assertEqual(tokens(f"{word} {word}b 海尔"), [word, "海尔"])


class TokenTests(TestCase):
    def test_tokens_are_cjk_bigrams_and_lower_case_words(self):
        self.assertEqual(tokens("海尔智家 TCL科技 5G"), ["海尔", "尔智", "智家", "tcl", "科技", "5g"])
        self.assertEqual(tokens("股"), ["股"])
        self.assertEqual(tokens("，。！"), [])

    def test_tokens_follow_the_run_rule_on_mixed_text(self):
        """The single-scan tokenizer agrees with the rule stated run by run: ASCII words
        lower-cased, a lone CJK character as itself, a longer run as its bigrams."""
        def by_runs(text):
            out = []
            for run in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+", text):
                if run[0].isascii():
                    if len(run) <= search.MAX_WORD_CHARS:
                        out.append(run.lower())
                else:
                    out.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
            return out

        rng = random.Random(4)
        alphabet = "海尔智家苏宁易购股A5gZ，。 \n－-_㐀鿿豈龜"
        for _ in range(2000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
            self.assertEqual(tokens(text), by_runs(text), text)
        words = "ab " + "x" * 64 + " " + "y" * 65 + "中" + "z" * 2100 + " 5g"
        self.assertEqual(tokens(words), by_runs(words))
        self.assertEqual(tokens(words), ["ab", "x" * 64, "中", "5g"])

    def test_the_token_vector_stays_inside_postgresqls_limits(self):
        """PostgreSQL refuses a tsvector over 1 MiB or with a word over 2,047 bytes; a story of
        a megabyte of distinct bigrams keeps its first tokens instead of failing the import."""
        rng = random.Random(5)
        text = "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(400_000))
        literal = vector_literal(search_document("标题在前", "", text))
        self.assertLessEqual(sum(len(t.encode()) + 8 for t in literal.split()), search.MAX_VECTOR_BYTES)
        self.assertLess(search.MAX_VECTOR_BYTES, 1024 * 1024)
        self.assertIn("标题", literal.split())  # first seen, first kept
        small = search_document("海尔智家", "", "苏宁易购")
        self.assertEqual(sorted(vector_literal(small).split()), sorted(set(small.split())))

    def test_document_ends_with_the_characters_that_end_runs(self):
        self.assertEqual(search_document("苏宁海尔", "A股"), "苏宁 宁海 海尔 a 股 尔")

    def test_query_phrases(self):
        self.assertEqual(parse_query("海尔智家").phrases, (Phrase(("海尔", "尔智", "智家")),))
        self.assertEqual(parse_query("海").phrases, (Phrase(("海",), prefix=True),))
        self.assertEqual(parse_query("A股").phrases, (Phrase(("a", "股"), prefix=True),))
        self.assertEqual(parse_query("股A").phrases,
                         (Phrase(("股",), prefix=True), Phrase(("a",))))
        self.assertEqual(parse_query("京东，美的").terms, ("京东", "美的"))
        # As Chinese input methods type them: full-width letters, digits and space.
        self.assertEqual(parse_query("ＨＦＯ　５Ｇ手机").terms, ("HFO", "5G手机"))
        self.assertEqual(parse_query("海尔 海尔 HAIER haier").terms, ("海尔", "HAIER"))

    def test_index_expressions_are_built_from_safe_tokens_only(self):
        query = parse_query('海尔" OR "x* NEAR(a:')
        self.assertEqual(fts5_match(query), '"海尔" AND "or" AND "x" AND "near" AND "a"')
        self.assertEqual(tsquery(parse_query("苏宁易购 A股")), "苏宁 & 宁易 & 易购 & a & 股:*")

    def test_problems_are_reported_not_raised(self):
        self.assertFalse(parse_query(""))
        self.assertIn("太长", parse_query("海" * 81).problem)
        self.assertIn("中文", parse_query("？！…").problem)
        self.assertIn("太多", parse_query("一一 二二 三三 四四 五五 六六 七七").problem)

    def test_highlight_escapes_and_marks(self):
        self.assertEqual(highlight("<b>海尔</b>与HAIER", ["海尔", "haier"]),
                         "&lt;b&gt;<mark>海尔</mark>&lt;/b&gt;与<mark>HAIER</mark>")
        long = "前" * 200 + "海尔" + "后" * 200
        snippet = excerpt(long, ["海尔"])
        self.assertIn("<mark>海尔</mark>", snippet)
        self.assertTrue(snippet.startswith("…") and snippet.endswith("…"))


class SearchCorpusTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        # search_text as the model builds it (the importer builds it from the parsed text),
        # so that the reference below reads exactly the text that was indexed.
        for article in Article.objects.all():
            article.save()
        cls.hidden = create_hidden_stories()
        cls.texts = {
            a.pk: (a.title, a.summary, html_to_text(a.body))
            for a in Article.objects.published()
        }

    def reference(self, *terms) -> set[int]:
        """Ids of published stories containing every term, by plain substring search."""
        return {pk for pk, parts in self.texts.items()
                if all(any(term in part for part in parts) for term in terms)}

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

    def test_pages_follow_the_ranking(self):
        for q in ("海尔", "京东 美的", "海", "苏宁易购", "A股", "中国", "公司"):
            with self.subTest(q=q):
                self.assert_pages_match(q)

    @override_settings()
    def test_pages_follow_the_ranking_on_the_paths_for_common_queries(self):
        # Force the paths that a large archive takes (CANDIDATES, RECENT) on a small one.
        for candidates, recent in ((3, 1000), (3, 2), (1, 1)):
            with self.subTest(candidates=candidates, recent=recent):
                old = search_pages.CANDIDATES, search_pages.RECENT
                search_pages.CANDIDATES, search_pages.RECENT = candidates, recent
                try:
                    for q in ("海尔", "公司", "中国经济", "苏宁易购", "海", "2022年"):
                        self.assert_pages_match(q)
                finally:
                    search_pages.CANDIDATES, search_pages.RECENT = old

    def test_match_estimates_come_from_the_index_statistics(self):
        if connection.vendor != "postgresql":
            self.skipTest("routing by estimate is PostgreSQL's")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE articles_article")
        search_pages._LEXEME_STATS.clear()
        self.addCleanup(search_pages._LEXEME_STATS.clear)
        published = len(self.texts) + len(self.hidden)
        haier = search_pages._estimate(parse_query("海尔"))
        self.assertAlmostEqual(haier, len(self.reference("海尔")), delta=published * 0.1)
        # The title index's own statistics, for routing title hits.
        titled = Article.objects.filter(title__contains="海尔").count()
        self.assertGreater(titled, 0)
        self.assertAlmostEqual(search_pages._estimate(parse_query("海尔"), search_pages._TITLE_STATS),
                               titled, delta=published * 0.05)
        self.assertLess(search_pages._estimate(parse_query("海尔"), search_pages._TITLE_STATS), haier)
        # A word is as rare as its rarest bigram, not the product of its bigrams' shares.
        self.assertEqual(search_pages._estimate(parse_query("京东家电")),
                         min(search_pages._estimate(parse_query(b)) for b in ("京东", "东家", "家电")))
        self.assertGreater(search_pages._estimate(parse_query("京东家电")), 1)
        self.assertLess(search_pages._estimate(parse_query("鑫鑫鑫")), 5)

    def assert_pages_match(self, q):
        expected = list(search_articles(q).values_list("pk", flat=True))
        shown, number = [], 1
        while True:
            page = search_page(q, page=number, per_page=3)
            shown += [a.pk for a in page.articles]
            if not page.has_next:
                break
            number += 1
        self.assertEqual(shown, expected[: 3 * search_pages.MAX_PAGES], q)


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
                for expression, index in ((search._BODY_VECTOR, "article_search_idx"),
                                          (search._TITLE_VECTOR, "article_title_search_idx")):
                    matches = Article.objects.filter(search._tsquery_filter(expression, parsed)).order_by()
                    sql, params = matches.values("pk").query.sql_with_params()
                    cursor.execute("EXPLAIN " + sql, params)
                    plan = " ".join(row[0] for row in cursor.fetchall())
                    self.assertIn(f"Bitmap Index Scan on {index}", plan)

    def test_postgres_title_tokens_match_python(self):
        if connection.vendor != "postgresql":
            self.skipTest("the title-token function exists on PostgreSQL only")
        titles = ["共创新价值 苏宁易购海尔召开2022年战略对接暨春季启动会", "A股 TCL科技：5G", "股", "x"]
        with connection.cursor() as cursor:
            for title in titles:
                cursor.execute("SELECT articles_title_tokens(%s)::text", [title])
                lexemes = set(re.findall(r"'([^']*)'", cursor.fetchone()[0]))
                self.assertEqual(lexemes, set(search_document(title).split()), title)

    def test_imported_vectors_come_from_the_application_and_equal_postgres_own_parse(self):
        if connection.vendor != "postgresql":
            self.skipTest("search_vector is PostgreSQL's (SQLite indexes search_text with FTS5)")
        with connection.cursor() as cursor:
            # Without the safety-net triggers (until the test's transaction rolls back), so
            # that every vector is the application's own.
            cursor.execute("ALTER TABLE articles_article DISABLE TRIGGER articles_article_fill_search_vector")
            cursor.execute("ALTER TABLE articles_article DISABLE TRIGGER articles_article_refill_search_vector")
            cursor.execute("ALTER TABLE articles_article DISABLE TRIGGER articles_article_fill_title_vector")
            cursor.execute("ALTER TABLE articles_article DISABLE TRIGGER articles_article_refill_title_vector")
            import_published()
            cursor.execute(
                "SELECT count(*), count(*) FILTER (WHERE search_vector IS NULL OR title_vector IS NULL),"
                " count(*) FILTER (WHERE search_vector <> strip(to_tsvector('simple', search_text))),"
                " count(*) FILTER (WHERE title_vector <> articles_title_tokens(title))"
                " FROM articles_article"
            )
            total, missing, different, titles_different = cursor.fetchone()
        self.assertGreater(total, 80)
        self.assertEqual((missing, different, titles_different), (0, 0, 0))
        story = Article.objects.get(external_id=SUNING_HAIER)
        self.assertEqual(list(search_articles("翼龙")), [])
        story.title = "改过标题的稿件翼龙"
        story.save()  # an editor's save sends its own vectors too
        self.assertEqual(list(search_articles("翼龙")), [story])
        self.assertEqual(search_page("翼龙").articles[0].pk, story.pk)  # a title hit, through title_vector

    def test_a_title_changed_behind_the_application_is_reindexed_by_the_database(self):
        if connection.vendor != "postgresql":
            self.skipTest("title_vector is PostgreSQL's")
        story = Article.objects.create(title="格力电器发布年报", status="published", published_at=timezone.now())
        Article.objects.filter(pk=story.pk).update(title="长城汽车发布年报")
        with connection.cursor() as cursor:
            cursor.execute("SELECT title_vector = articles_title_tokens(title) FROM articles_article"
                           " WHERE id = %s", [story.pk])
            self.assertTrue(cursor.fetchone()[0])
