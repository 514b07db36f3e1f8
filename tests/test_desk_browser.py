"""Two editors on one desk, in a real browser (two Chromium contexts, two logins): a stale save
refused and merged, a revision restored, a rich-text edit saved and sanitised, a correction
shown to readers, a story trashed and restored. Screenshots: tests/screenshots/desk_*.png."""

from django.urls import reverse

from articles.models import Article, Correction, Revision
from tests.admin_support import (
    EDITOR_PASSWORD,
    SEEDS,
    SUNING_HAIER,
    import_files,
    make_editor,
    restore_default_categories,
)
from tests.browser import BrowserTestCase
from tests.test_admin_browser import watch_console

GOME = "NW202205122377568897"  # seed 002: paragraphs and bold only, so it opens in the rich editor


class TwoEditorsBrowserTests(BrowserTestCase):
    def setUp(self):
        restore_default_categories()
        import_files(SEEDS, status="published")
        make_editor("editor")
        make_editor("editor2")
        self.article = Article.objects.get(external_id=SUNING_HAIER)
        self.change_path = reverse("admin:articles_article_change", args=[self.article.pk])

    def editor(self, username: str):
        page = self.page()
        page.console_problems = watch_console(page)
        page.goto(f"{self.live_server_url}{reverse('admin:login')}?next={self.change_path}")
        page.fill("#id_username", username)
        page.fill("#id_password", EDITOR_PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#article_form")
        return page

    maxDiff = None

    def assert_clean(self, *pages):
        for page in pages:
            self.assertEqual(page.js_errors, [])
            self.assertEqual(page.console_problems, [])

    def test_a_stale_save_is_refused_shown_side_by_side_and_merged(self):
        first = self.editor("editor")
        second = self.editor("editor2")
        # The second editor sees who else has the story open.
        self.assertIn("editor", second.inner_text(".nr-presence"))
        self.assertTrue(second.locator(".nr-presence").is_visible())

        first.fill("#id_title", "编辑甲：苏宁易购海尔战略对接会召开")
        first.click("input[name=_continue]")
        first.wait_for_selector(".messagelist .success")

        second.fill("#id_title", "编辑乙：苏宁易购与海尔共创新价值")
        second.fill("#id_summary", "编辑乙改写的摘要。")
        second.click("input[name=_continue]")
        second.wait_for_selector(".nr-conflicts")
        table = second.inner_text(".nr-conflicts")
        self.assertIn("编辑甲：苏宁易购海尔战略对接会召开", table)
        self.assertIn("编辑乙：苏宁易购与海尔共创新价值", table)
        self.screenshot(second, "desk_conflict")
        self.assertEqual(Article.objects.get(pk=self.article.pk).title, "编辑甲：苏宁易购海尔战略对接会召开")

        # Merge: take the other version, add to it, save again.
        second.click(".nr-take-theirs[data-field=title]")
        self.assertEqual(second.input_value("#id_title"), "编辑甲：苏宁易购海尔战略对接会召开")
        second.fill("#id_title", "编辑甲：苏宁易购海尔战略对接会召开（乙补充）")
        second.click("input[name=_continue]")
        second.wait_for_selector(".messagelist .success")
        self.article.refresh_from_db()
        self.assertEqual((self.article.title, self.article.summary),
                         ("编辑甲：苏宁易购海尔战略对接会召开（乙补充）", "编辑乙改写的摘要。"))

        # Revisions: the import, both saves; restore the import's version.
        second.click("a.nr-revisions-link")
        second.wait_for_selector(".nr-revision-list")
        self.assertEqual(second.locator(".nr-revision-list tbody tr").count(), 3)
        self.assertIn("编辑乙", second.inner_text(".nr-compare"))  # latest two compared
        self.screenshot(second, "desk_revisions")
        second.locator(".nr-revision-list tbody tr").last.locator("button").click()
        second.wait_for_selector(".messagelist .success")
        self.article.refresh_from_db()
        self.assertEqual(self.article.title, "共创新价值 苏宁易购海尔召开2022年战略对接暨春季启动会")
        self.assertEqual(Revision.objects.filter(article=self.article).first().kind, Revision.Kind.RESTORE)
        self.assert_clean(first, second)

    def test_a_rich_text_edit_is_saved_sanitised(self):
        gome = Article.objects.get(external_id=GOME)
        page = self.editor("editor")
        page.goto(f"{self.live_server_url}{reverse('admin:articles_article_change', args=[gome.pk])}")
        editor = page.locator(".nr-editor .ql-editor")
        editor.wait_for()
        self.assertTrue(page.locator("#id_body").is_hidden())
        # Paste what a web page or Word puts on the clipboard at the end of the story.
        editor.click()
        page.keyboard.press("Control+End")
        page.evaluate("""() => {
            const data = new DataTransfer();
            data.setData("text/html", '<p style="color:red"><span style="font-family:SimSun">粘贴的段落</span>'
                + '<script>alert(1)</script><font color="red">红字</font></p>');
            data.setData("text/plain", "粘贴的段落红字");
            document.querySelector(".nr-editor .ql-editor").dispatchEvent(
                new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""")
        page.keyboard.type("编辑补充的一句。")
        self.screenshot(page, "desk_rich_text")
        page.click("input[name=_continue]")
        page.wait_for_selector(".messagelist .success")
        gome.refresh_from_db()
        self.assertIn("粘贴的段落", gome.body)
        self.assertIn("编辑补充的一句。", gome.body)
        for unwanted in ("<script", "alert(1)", "style=", "<span", "<font", "SimSun"):
            self.assertNotIn(unwanted, gome.body)
        self.assertTrue(gome.body.startswith("<p>"))
        self.assert_clean(page)

    def test_a_correction_reaches_readers_and_a_trashed_story_comes_back(self):
        page = self.editor("editor")
        page.click(".nr-corrections .add-row a")
        page.fill("textarea[name=corrections-0-text]", "本文首段日期有误，已更正为2月17日。")
        page.click("input[name=_continue]")
        page.wait_for_selector(".messagelist .success")
        self.assertEqual(Correction.objects.get(article=self.article).text, "本文首段日期有误，已更正为2月17日。")
        reader = self.page()
        reader.goto(f"{self.live_server_url}{self.article.get_absolute_url()}")
        self.assertIn("本文首段日期有误", reader.inner_text(".story-corrections"))
        self.screenshot(reader, "desk_correction_on_site")

        # To the trash and back.
        page.click(".deletelink")
        page.wait_for_selector("text=移到回收站吗")
        page.click("input[type=submit][value=移到回收站]")
        page.wait_for_selector(".messagelist")
        self.assertEqual(Article.objects.get(pk=self.article.pk).status, Article.Status.TRASHED)
        self.assertEqual(reader.goto(f"{self.live_server_url}{self.article.get_absolute_url()}").status, 404)
        page.goto(f"{self.live_server_url}{reverse('admin:articles_article_changelist')}?status__exact=trashed")
        self.assertIn(self.article.title, page.inner_text("#result_list"))
        self.screenshot(page, "desk_trash")
        page.check(f"input[name=_selected_action][value='{self.article.pk}']")
        page.select_option("select[name=action]", "restore_from_trash")
        page.click("button[name=index]")
        page.wait_for_selector(".messagelist .success")
        self.assertEqual(Article.objects.get(pk=self.article.pk).status, Article.Status.DRAFT)
        self.assert_clean(page)
