"""An editor's morning in a real browser: log in, fix an inferred title, preview, publish, and
find the story on the public site. Screenshots: tests/screenshots/admin_*.png."""

import re

from articles.models import Article
from tests.admin_support import (
    EDITOR_PASSWORD,
    JD_TEXT_SEED,
    SEEDS,
    import_files,
    make_editor,
    restore_default_categories,
    seed_copy,
    suning_haier,
    temp_dir,
)
from tests.browser import BrowserTestCase

INFERRED_TITLE = "2022京东家电合作伙伴大会在京召开"
FIXED_TITLE = "京东家电召开2022合作伙伴大会 187个核心品牌两位数增长"


def watch_console(page) -> list[str]:
    """Collect console errors (CSP violations, failed loads) other than a missing favicon,
    which belongs to the public site's templates, not to the admin."""
    problems: list[str] = []

    def note(message):
        where = message.location.get("url", "")
        if message.type == "error" and not where.endswith("/favicon.ico"):
            problems.append(f"{message.text} ({where})")

    page.on("console", note)
    return problems


def log_in_as_editor(page, lands_on: str) -> None:
    """Fill in the login form the page shows and wait for the page (a path) it leads to."""
    page.fill("#id_username", "editor")
    page.fill("#id_password", EDITOR_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(rf".*{re.escape(lands_on)}$"))


class EditorWorkflowBrowserTests(BrowserTestCase):
    def setUp(self):
        restore_default_categories()
        import_files(SEEDS)
        make_editor()
        self.article = Article.objects.get(source_file=str(JD_TEXT_SEED))

    def test_editor_fixes_inferred_title_publishes_and_finds_it_on_the_site(self):
        self.assertEqual(self.article.title, INFERRED_TITLE)
        self.assertEqual(self.article.inferred_fields, ["published_at", "title"])
        page = self.page()
        console = watch_console(page)

        # Anonymous: the admin asks for a login, in Chinese.
        page.goto(f"{self.live_server_url}/admin/articles/article/")
        self.assertIn("/admin/login/", page.url)
        self.assertIn("财经新闻台 · 编辑部", page.inner_text("#site-name"))
        log_in_as_editor(page, "/admin/articles/article/")

        # The start page leads to the day's queues.
        page.goto(f"{self.live_server_url}/admin/")
        self.assertIn("推断的标题或时间待核对", page.inner_text("#desk-queues"))
        self.screenshot(page, "admin_index")
        page.click("#desk-queues a:has-text('待审稿件')")
        page.wait_for_url(re.compile(r".*status__exact=review$"))

        # The change list: five imported stories, two flagged for review.
        rows = page.locator("#result_list tbody tr")
        self.assertEqual(rows.count(), 5)
        self.assertEqual(page.locator("#result_list .nr-flag").count(), 2)
        jd_row = rows.filter(has_text=INFERRED_TITLE)
        self.assertIn("中国网科技", jd_row.inner_text())
        self.assertIn("2022-09-21 00:00", jd_row.inner_text())
        self.screenshot(page, "admin_changelist")

        # Chinese search over the bigram index.
        page.fill("#searchbar", "海尔")
        page.press("#searchbar", "Enter")
        page.wait_for_load_state()
        # 海尔 is in the Suning–Haier story's title and in the two JD stories' bodies.
        self.assertEqual(page.locator("#result_list tbody tr").count(), 3)
        self.assertIn("苏宁易购海尔", page.inner_text("#result_list"))
        page.fill("#searchbar", "海尔 苏宁易购")
        page.press("#searchbar", "Enter")
        page.wait_for_load_state()
        self.assertEqual(page.locator("#result_list tbody tr").count(), 1)
        page.goto(f"{self.live_server_url}/admin/articles/article/?review=inferred")
        page.click(f"#result_list a:has-text('{INFERRED_TITLE}')")
        page.wait_for_selector("#article_form")

        # The edit form marks the inferred fields and shows where the story came from.
        title_input = page.locator("#id_title")
        self.assertIn("nr-inferred", title_input.get_attribute("class"))
        self.assertIn("此字段由导入程序推断", page.inner_text(".field-title"))
        provenance = page.inner_text(".nr-provenance")
        self.assertIn("001_11bd8c5703fc5a39.txt", provenance)
        self.assertIn("标题（待核对）", provenance)
        self.assertIn("text", provenance)
        # Dates are entered in Beijing time, with no "you are 8 hours behind the server" note.
        self.assertEqual(page.locator(".timezonewarning").count(), 0)
        self.screenshot(page, "admin_edit_form")

        # Fix the title, look at the draft on the public template, then publish.
        title_input.fill(FIXED_TITLE)
        page.click("input[name=_continue]")
        page.wait_for_selector(".messagelist .success")
        with page.context.expect_page() as preview_info:
            page.click("a.nr-preview-link")
        preview = preview_info.value
        preview.wait_for_load_state()
        self.assertIn(FIXED_TITLE, preview.inner_text("h1"))
        self.assertIn("逐光致远", preview.inner_text("body"))
        self.screenshot(preview, "admin_preview")
        preview.close()

        # Publishing asks for the guessed date to be checked first.
        page.select_option("#id_status", "published")
        page.click("input[name=_save]")
        page.wait_for_selector(".field-confirm_inferred .errorlist")
        self.assertIn("发布时间", page.inner_text(".field-confirm_inferred .errorlist"))
        page.check("#id_confirm_inferred")
        page.click("input[name=_save]")
        page.wait_for_selector(".messagelist .success")
        self.article.refresh_from_db()
        self.assertEqual(self.article.title, FIXED_TITLE)
        self.assertEqual(self.article.status, Article.Status.PUBLISHED)
        self.assertEqual(self.article.inferred_fields, [])
        self.assertFalse(self.article.needs_review)

        # A reader (a fresh, anonymous browser) finds it on the public site.
        reader = self.page()
        reader.goto(f"{self.live_server_url}/")
        self.assertIn(FIXED_TITLE, reader.inner_text("body"))
        reader.goto(f"{self.live_server_url}{self.article.get_absolute_url()}")
        self.assertIn(FIXED_TITLE, reader.inner_text("h1"))
        self.screenshot(reader, "admin_published_on_site")

        # The change is in the article's history, with who made it.
        page.goto(f"{self.live_server_url}/admin/articles/article/{self.article.pk}/history/")
        history = page.inner_text("#change-history")
        self.assertIn("editor", history)
        self.assertIn("推断字段（已核对）", history)

        self.assertEqual(page.js_errors, [])
        self.assertEqual(console, [])


class SourceReviewBrowserTests(BrowserTestCase):
    """A source file changed after the editor edited the title: the editor sees the diff and
    takes the source's version with one click."""

    def setUp(self):
        restore_default_categories()
        self.dir = temp_dir(self)
        self.path = seed_copy(self.dir, next(SEEDS.glob("000_*.txt")))
        import_files(self.path)
        make_editor()
        article = suning_haier()
        article.title = "苏宁易购海尔对接会（编辑版）"
        article.save()
        text = self.path.read_text(encoding="utf-8")
        self.path.write_text(
            text.replace("共创新价值 苏宁易购海尔召开", "苏宁易购与海尔召开")
            .replace("明确2022年合作目标", "明确2022年全年合作目标"),
            encoding="utf-8",
        )
        import_files(self.path)
        self.article = suning_haier()
        self.assertEqual(list(self.article.pending_changes["fields"]), ["title"])

    def test_editor_reads_the_diff_and_takes_the_source_version(self):
        page = self.page()
        page.goto(f"{self.live_server_url}/admin/login/?next=/admin/articles/article/")
        log_in_as_editor(page, "/admin/articles/article/")
        page.click("#changelist-filter a:has-text('来源文件有更新')")
        page.wait_for_load_state()
        self.assertEqual(page.locator("#result_list tbody tr").count(), 1)
        page.click("#result_list a:has-text('编辑版')")
        panel = page.locator("#source-review")
        panel.wait_for()
        self.assertIn("苏宁易购海尔对接会（编辑版）", panel.inner_text())
        self.assertGreaterEqual(panel.locator("ins.nr-ins").count(), 1)
        self.screenshot(page, "admin_source_review")

        panel.locator("button[value='accept:title']").click()
        page.wait_for_selector(".messagelist .success")
        self.assertIn("已采用来源版本：标题", page.inner_text(".messagelist"))
        self.assertEqual(page.locator("#source-review").count(), 0)
        self.article.refresh_from_db()
        self.assertEqual(self.article.title, "苏宁易购与海尔召开2022年战略对接暨春季启动会")
        self.assertFalse(self.article.needs_review)
        self.assertEqual(page.js_errors, [])


class ImportLedgerBrowserTests(BrowserTestCase):
    """Cron brought in a broken file: from the desk's start page the editor finds the run and
    reads, in Chinese, why the file failed."""

    def setUp(self):
        restore_default_categories()
        directory = temp_dir(self)
        seed_copy(directory, next(SEEDS.glob("000_*.txt")))
        (directory / "broken.txt").write_text(
            '---\n"未闭合的标题: x\ndate: [2022\n---\n<p>正文</p>\n', encoding="utf-8"
        )
        import_files(directory)
        make_editor()

    def test_editor_finds_why_a_file_failed(self):
        page = self.page()
        console = watch_console(page)
        page.goto(f"{self.live_server_url}/admin/login/?next=/admin/")
        log_in_as_editor(page, "/admin/")
        page.click("#desk-queues a:has-text('有失败文件的导入')")
        page.wait_for_load_state()
        self.assertEqual(page.locator("#result_list tbody tr").count(), 1)
        self.assertIn("有失败", page.inner_text("#result_list"))
        page.click("#result_list tbody tr th a")
        table = page.locator("table.nr-file-results")
        table.wait_for()
        first = table.locator("tbody tr").first
        self.assertIn("失败", first.inner_text())
        self.assertIn("头信息第 4 行不是有效的 YAML", first.inner_text())
        self.screenshot(page, "admin_import_run")

        first.locator("a").first.click()
        page.wait_for_load_state()
        self.assertIn("broken.txt", page.inner_text("#content"))
        self.assertIn("头信息第 4 行不是有效的 YAML", page.inner_text("#content"))
        self.screenshot(page, "admin_failed_file")
        self.assertEqual(page.js_errors, [])
        self.assertEqual(console, [])
