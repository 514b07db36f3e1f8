"""The article desk: change list, search, filters, bounded queries, edit form, preview, review."""

import re
from datetime import timedelta
from unittest import mock

from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.admin.changelist import EstimatedCountPaginator
from articles.models import Article, Category, ImportRun, Source, Stock
from tests.admin_support import (
    JD_TEXT_SEED,
    SEEDS,
    import_files,
    make_editor,
    seed_copy,
    suning_haier,
    temp_dir,
)

CHANGELIST = reverse("admin:articles_article_changelist")


def change_url(article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def result_titles(response) -> list[str]:
    cells = re.findall(r'<th class="field-title_cell"><a [^>]*>(.*?)</a>', response.content.decode())
    return [re.sub(r"\s*<span.*", "", cell) for cell in cells]


class SeededDeskMixin:
    @classmethod
    def setUpTestData(cls):
        cls.report = import_files(SEEDS)
        cls.editor = make_editor()

    def setUp(self):
        self.client.force_login(self.editor)


class ChangeListTests(SeededDeskMixin, TestCase):
    def test_columns_show_source_category_status_shanghai_time_and_stocks(self):
        response = self.client.get(CHANGELIST)
        self.assertEqual(response.status_code, 200)
        row = re.search(
            r"<tr>.*?苏宁易购海尔召开.*?</tr>", response.content.decode(), re.S
        ).group(0)
        self.assertIn("中国经济网", row)
        self.assertIn("公司", row)
        self.assertIn('nr-status-review">待审', row)
        self.assertIn("2022-02-21 09:33", row)  # stored in UTC as 01:33
        self.assertIn("SH600690 SZ002024", row)

    def test_newest_first_and_needs_review_flagged(self):
        response = self.client.get(CHANGELIST)
        titles = result_titles(response)
        self.assertEqual(len(titles), 5)
        dates = list(Article.objects.order_by("-published_at").values_list("title", flat=True))
        self.assertEqual(titles, dates)
        self.assertRegex(
            response.content.decode(), r"2022京东家电合作伙伴大会在京召开 <span class=\"nr-flag\">需复核"
        )

    def test_search_finds_chinese_in_title_and_body_and_external_ids(self):
        def search(q):
            return result_titles(self.client.get(CHANGELIST, {"q": q}))

        haier = "共创新价值 苏宁易购海尔召开2022年战略对接暨春季启动会"
        self.assertIn(haier, search("海尔"))
        self.assertIn(haier, search("NW202202212282659685"))
        self.assertEqual(search("202202212282659685"), [haier])
        self.assertEqual(search("海尔 苏宁"), [haier])  # every word must match
        self.assertEqual(search("春季家装节"), [haier])  # only in the body
        self.assertEqual(search("海尔 国美"), [])
        self.assertEqual(search("不存在的公司"), [])
        self.assertEqual(len(search("海尔")), 3)  # the two JD stories mention 海尔 in the body
        self.assertIn(haier, search("宁"))  # one character
        self.assertEqual(search("202112082206672930"), [])  # id-like: external ids only

    def test_unusable_query_is_explained(self):
        response = self.client.get(CHANGELIST, {"q": "海" * 100})
        self.assertEqual(result_titles(response), [])
        self.assertIn("搜索词太长了", " ".join(str(m) for m in response.context["messages"]))

    def test_filters(self):
        run = ImportRun.objects.get(pk=self.report.run_id)
        jd = Article.objects.get(title="2022京东家电合作伙伴大会在京召开")
        cases = {
            "review=any": 2,  # the two plain-text dumps: inferred title and date
            "review=inferred": 2,
            "review=source": 0,
            "review=no": 3,
            "status__exact=review": 5,
            "status__exact=published": 0,
            f"source__id__exact={jd.source_id}": 2,
            f"category__id__exact={Category.objects.get(slug='companies').pk}": 5,  # all five seeds
            f"import_run={run.pk}": 5,
            "published_at__year=2022&published_at__month=2": 2,
            f"stocks__id__exact={Stock.objects.get(market='SZ', code='002024').pk}": 1,
        }
        for query, expected in cases.items():
            with self.subTest(query):
                response = self.client.get(f"{CHANGELIST}?{query}")
                self.assertEqual(response.status_code, 200)
                self.assertEqual(len(result_titles(response)), expected)

    def test_no_facet_counts_on_a_million_rows(self):
        self.assertNotContains(self.client.get(CHANGELIST), "显示计数")
        with CaptureQueriesContext(connection) as plain:
            self.client.get(CHANGELIST)
        with CaptureQueriesContext(connection) as faceted:
            self.client.get(CHANGELIST, {"_facets": "True"})
        self.assertEqual(len(faceted), len(plain))

    def test_date_hierarchy_lists_the_range_between_first_and_last(self):
        def choices(**params):
            response = self.client.get(CHANGELIST, params)
            return [c["title"] for c in response.context["cl"].date_hierarchy_links()["choices"]]

        # All five seeds are from 2022: the hierarchy opens at that year's months.
        self.assertEqual(choices(), [f"2022年{m}月" for m in range(2, 10)])
        self.assertEqual(choices(published_at__year="2022", published_at__month="2"),
                         ["02月21日"])
        Article.objects.create(title="旧闻", published_at=timezone.now().replace(year=2019))
        self.assertEqual(choices(), ["2022", "2021", "2020", "2019"])

    def test_query_count_does_not_grow_with_the_articles(self):
        """Page 1, page 3, a filter and a search each cost the same number of queries with the
        five seeds as with 150 more articles that each carry three stocks and three tags."""
        views = {
            "page 1": {},
            "page 3": {"p": "3"},
            "filtered": {"status__exact": "review", "review": "no"},
            "search": {"q": "海尔"},  # three seeds before, every article after
        }

        def queries() -> dict[str, int]:
            counts = {}
            for name, params in views.items():
                with CaptureQueriesContext(connection) as captured:
                    response = self.client.get(CHANGELIST, params)
                # Page 3 does not exist yet with five articles: the admin redirects (?e=1).
                self.assertIn(response.status_code, (200, 302), name)
                counts[name] = len(captured)
            return counts

        self.client.get(CHANGELIST)  # warm the content-type cache
        before = queries()
        add_articles(150, stocks=3, tags=3)
        self.assertEqual(len(result_titles(self.client.get(CHANGELIST, {"p": "3"}))), 50)
        after = queries()
        del before["page 3"]  # a redirect, not a page, with five articles
        for name, count in before.items():
            self.assertEqual(after[name], count, name)
        self.assertLessEqual(max(after.values()), 12, after)

    def test_stocks_of_a_page_come_in_one_query(self):
        add_articles(60, stocks=3, tags=3)
        with CaptureQueriesContext(connection) as captured:
            response = self.client.get(CHANGELIST)
        self.assertEqual(len(response.context["cl"].result_list), 50)
        stock_queries = [q for q in captured if "articles_stock" in q["sql"]]
        self.assertEqual(len(stock_queries), 1, [q["sql"] for q in stock_queries])
        # No column of the list needs the body or the raw front matter.
        listing = [q["sql"] for q in captured if 'FROM "articles_article"' in q["sql"]
                   and "LIMIT" in q["sql"]]
        self.assertTrue(listing)
        self.assertTrue(all('"body"' not in sql and '"front_matter"' not in sql for sql in listing))


def add_articles(count: int, *, stocks: int, tags: int) -> None:
    """Add `count` review articles over three sources, each with `stocks` stocks and `tags` tags."""
    sources = [Source.objects.create(name=f"测试来源{i}") for i in range(3)]
    categories = list(Category.objects.all())
    stock_rows = [Stock.objects.get_or_create(market="SZ", code=f"30{i:04d}")[0] for i in range(stocks)]
    start = Article.objects.count()
    for i in range(count):
        article = Article.objects.create(
            title=f"海尔测试稿件{start + i}", source=sources[i % 3], category=categories[i % 2],
            body="<p>测试正文</p>", slug=f"test-{start + i}",
        )
        article.stocks.set(stock_rows)
        article.tags.add(*(f"标签{j}" for j in range(tags)))


class ChangeListCountTests(TestCase):
    """At a million rows a COUNT(*) per page load reads the whole table (or the whole of a
    status): on PostgreSQL the list takes the planner's estimate instead."""

    def setUp(self):
        self.client.force_login(make_editor())
        Article.objects.bulk_create(
            Article(title=f"稿{i}", slug=f"a{i}", status=Article.Status.PUBLISHED)
            for i in range(120)
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE articles_article")
        patcher = mock.patch.object(EstimatedCountPaginator, "estimate_threshold", 100)
        patcher.start()
        self.addCleanup(patcher.stop)

    def count_queries(self, **params) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            response = self.client.get(CHANGELIST, params)
        self.assertEqual(response.status_code, 200)
        self.assertGreaterEqual(response.context["cl"].result_count, 100)
        return [q["sql"] for q in captured if q["sql"].upper().startswith("SELECT COUNT(")]

    def test_unfiltered_and_filtered_lists_skip_the_count_on_postgresql(self):
        for params in ({}, {"status__exact": "published"}):
            with self.subTest(params):
                counts = self.count_queries(**params)
                if connection.vendor == "postgresql":
                    self.assertEqual(counts, [])
                else:
                    self.assertEqual(len(counts), 1)

    def test_small_results_are_counted_exactly(self):
        Article.objects.create(title="草稿一篇", status=Article.Status.DRAFT)
        response = self.client.get(CHANGELIST, {"status__exact": "draft"})
        self.assertEqual(response.context["cl"].result_count, 1)
        self.assertEqual(len(result_titles(response)), 1)


class PaginatorTests(TestCase):
    def test_estimate_replaces_count_only_for_unfiltered_lists_on_postgresql(self):
        Article.objects.bulk_create(Article(title=f"稿{i}", slug=f"a{i}") for i in range(30))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE articles_article")
        paginator = EstimatedCountPaginator(Article.objects.all(), 10)
        paginator.estimate_threshold = 1
        with CaptureQueriesContext(connection) as captured:
            count = paginator.count
        sql = " ".join(q["sql"] for q in captured)
        if connection.vendor == "postgresql":
            self.assertIn("reltuples", sql)
            self.assertNotIn("COUNT(", sql.upper())
        else:
            self.assertIn("COUNT(", sql.upper())
        self.assertEqual(count, 30)
        filtered = EstimatedCountPaginator(Article.objects.filter(title="稿1"), 10)
        filtered.estimate_threshold = 1
        self.assertEqual(filtered.count, 1)


class EditFormTests(SeededDeskMixin, TestCase):
    def test_form_is_grouped_and_shows_provenance(self):
        article = suning_haier()
        response = self.client.get(change_url(article))
        html = response.content.decode()
        for heading in ("内容", "分类", "发布", "出处"):
            self.assertRegex(html, rf"<h2[^>]*>\s*{heading}\s*</h2>")
        self.assertIn(
            '<a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202202212282659685"'
            ' target="_blank" rel="noopener noreferrer">', html
        )
        self.assertIn("categories: zhongguojingjiwang", html)  # raw front matter as YAML
        self.assertIn(reverse("admin:articles_importrun_change", args=[self.report.run_id]), html)
        self.assertIn("无（标题与时间均取自源文件）", html)
        self.assertIn('id="id_stocks"', html)
        self.assertIn("admin-autocomplete", html)

    def test_inferred_fields_are_marked_and_saving_the_form_clears_the_flag(self):
        article = Article.objects.get(source_file=str(JD_TEXT_SEED))
        html = self.client.get(change_url(article)).content.decode()
        self.assertIn("此字段由导入程序推断", html)
        self.assertIn("标题（待核对）", html)
        # A plain-text dump has no external id: the empty value reads "—" like the desk's own.
        self.assertIn('<div class="readonly">—</div>', html)
        self.assertNotIn('<div class="readonly">-</div>', html)

        response = self.client.post(change_url(article), {
            "title": "京东家电2022合作伙伴大会召开",
            "summary": article.summary,
            "body": article.body,
            "source": article.source_id,
            "category": article.category_id,
            "tags": "家电",
            "status": "review",
            "published_at_0": "2022-09-21",
            "published_at_1": "10:00:00",
            "slug": article.slug,
        })
        self.assertEqual(response.status_code, 302, response.content.decode()[:3000])
        article.refresh_from_db()
        self.assertEqual(article.title, "京东家电2022合作伙伴大会召开")
        self.assertEqual(article.inferred_fields, [])
        self.assertFalse(article.needs_review)
        self.assertEqual(timezone.localtime(article.published_at).hour, 10)
        entry = LogEntry.objects.get(object_id=str(article.pk))
        self.assertIn("推断字段（已核对）", entry.get_change_message())
        history = self.client.get(reverse("admin:articles_article_history", args=[article.pk]))
        self.assertContains(history, "推断字段（已核对）")
        self.assertContains(history, "editor")
        html = self.client.get(change_url(article)).content.decode()
        self.assertIn("标题（已核对）", html)

    def test_preview_renders_a_draft_on_the_public_template(self):
        article = suning_haier()
        article.status = Article.Status.DRAFT
        article.save()
        self.assertEqual(self.client.get(article.get_absolute_url()).status_code, 404)
        response = self.client.get(reverse("admin:articles_article_preview", args=[article.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "articles/article_detail.html")
        self.assertContains(response, article.title)
        self.assertContains(response, "2月17日，苏宁易购与海尔召开")
        self.assertEqual(response["X-Robots-Tag"], "noindex, nofollow")
        self.assertIn("no-cache", response["Cache-Control"])
        html = self.client.get(change_url(article)).content.decode()
        self.assertIn(reverse("admin:articles_article_preview", args=[article.pk]), html)
        self.assertNotIn("viewsitelink", html)

    def test_view_on_site_only_for_published(self):
        article = suning_haier()
        article.status = Article.Status.PUBLISHED
        article.published_at = timezone.now() - timedelta(hours=1)
        article.save()
        html = self.client.get(change_url(article)).content.decode()
        self.assertIn(f'href="{article.get_absolute_url()}" class="viewsitelink"', html)
        self.assertEqual(self.client.get(article.get_absolute_url()).status_code, 200)

    def test_add_form_has_no_provenance(self):
        response = self.client.get(reverse("admin:articles_article_add"))
        self.assertEqual(response.status_code, 200)
        self.assertNotRegex(response.content.decode(), r"<h2[^>]*>\s*出处\s*</h2>")


class SourceReviewPanelTests(TestCase):
    def setUp(self):
        self.client.force_login(make_editor())
        directory = temp_dir(self)
        self.path = seed_copy(directory, next(SEEDS.glob("000_*.txt")))
        import_files(self.path)
        self.article = suning_haier()
        self.article.title = "编辑改过的标题：苏宁易购海尔对接会"
        self.article.save()
        text = self.path.read_text(encoding="utf-8")
        self.path.write_text(
            text.replace("共创新价值 苏宁易购海尔召开", "苏宁易购与海尔召开")
            .replace("明确2022年合作目标", "明确2022年全年合作目标"),
            encoding="utf-8",
        )
        self.article.summary = "编辑改过的摘要"
        self.article.save()
        import_files(self.path)
        self.article.refresh_from_db()

    def test_panel_shows_a_readable_diff_and_buttons(self):
        self.assertEqual(set(self.article.pending_changes["fields"]), {"title", "summary"})
        html = self.client.get(change_url(self.article)).content.decode()
        panel = re.search(r'<section class="module nr-review".*?</section>', html, re.S).group(0)
        self.assertIn("来源文件有更新", panel)
        self.assertIn('<del class="nr-del">编辑改过的标题：</del>苏宁易购', panel)
        self.assertIn('<del class="nr-del">编辑改过的摘要</del>', panel)
        self.assertIn("全年", panel)
        self.assertIn('value="accept:title"', panel)
        self.assertIn('value="keep:summary"', panel)
        self.assertIn("采用来源版本", panel)
        self.assertIn("保留编辑", panel)

    def test_accept_and_keep_buttons(self):
        review = reverse("admin:articles_article_review", args=[self.article.pk])
        self.assertEqual(self.client.get(review).status_code, 405)
        response = self.client.post(review, {"decision": "accept:title"})
        self.assertRedirects(response, change_url(self.article))
        self.article.refresh_from_db()
        self.assertEqual(self.article.title, "苏宁易购与海尔召开2022年战略对接暨春季启动会")
        self.assertTrue(self.article.needs_review)

        self.client.post(review, {"decision": "keep:"})
        self.article.refresh_from_db()
        self.assertEqual(self.article.summary, "编辑改过的摘要")
        self.assertFalse(self.article.needs_review)
        messages = [e.get_change_message() for e in LogEntry.objects.order_by("id")]
        self.assertEqual(messages, ["采用来源版本：标题", "保留编辑：摘要"])
        html = self.client.get(change_url(self.article)).content.decode()
        self.assertNotIn("nr-review", html.split("</form>")[0].split("object-tools")[-1])

    def test_bad_decision_is_rejected(self):
        review = reverse("admin:articles_article_review", args=[self.article.pk])
        self.assertEqual(self.client.post(review, {"decision": "maybe:title"}).status_code, 400)
