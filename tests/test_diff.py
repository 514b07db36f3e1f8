"""Diffs an editor reads on the review panel (articles/admin/diff.py): Chinese text compared
character by character, bodies paragraph by paragraph."""

from django.test import SimpleTestCase

from articles.admin.diff import body_diff, inline_diff, paragraphs


class InlineDiffTests(SimpleTestCase):
    def test_changed_characters_are_marked_and_the_rest_is_kept(self):
        self.assertEqual(
            str(inline_diff("苏宁易购与海尔召开会议", "苏宁易购与美的召开会议")),
            '苏宁易购与<del class="nr-del">海尔</del><ins class="nr-ins">美的</ins>召开会议',
        )

    def test_texts_that_share_little_are_one_replacement(self):
        self.assertEqual(str(inline_diff("央行降准", "港股收评")),
                         '<del class="nr-del">央行降准</del><ins class="nr-ins">港股收评</ins>')

    def test_a_one_character_match_between_two_changes_is_folded_into_them(self):
        # 的 matches by chance between two edits: shown as one change, not three.
        html = str(inline_diff("甲公司的利润上涨", "乙集团的营收上涨"))
        self.assertEqual(html.count("<del"), 1)
        self.assertTrue(html.endswith("上涨"))

    def test_markup_in_either_text_is_escaped(self):
        html = str(inline_diff("<b>旧</b>", "<script>新</script>"))
        self.assertNotIn("<script", html)
        self.assertNotIn("<b>", html)
        self.assertIn("script&gt;", html)


class BodyDiffTests(SimpleTestCase):
    def test_paragraphs_are_the_bodys_text_without_markup(self):
        self.assertEqual(paragraphs('<p>第一段<b>加粗</b></p><figure><img src="x"></figure><p> 第二段 </p>'),
                         ["第一段", "加粗", "第二段"])
        self.assertEqual(paragraphs(""), [])

    def test_unchanged_paragraphs_fold_and_a_changed_one_is_marked_inside(self):
        old = "".join(f"<p>第{i}段内容。</p>" for i in range(1, 7))
        new = old.replace("第6段内容。", "第6段新内容。")
        html = str(body_diff(old, new))
        # Paragraphs 1–5 are unchanged: the first and last of them stay as context.
        self.assertIn("……（3 段未变）……", html)
        self.assertIn('<ins class="nr-ins">新</ins>', html)
        self.assertNotIn("第2段", html)

    def test_added_and_removed_paragraphs_are_whole(self):
        html = str(body_diff("<p>甲。</p><p>乙。</p>", "<p>甲。</p><p>丙丁戊己。</p><p>庚辛壬癸。</p>"))
        self.assertIn('<del class="nr-del">乙。</del>', html)
        self.assertIn('<ins class="nr-ins">庚辛壬癸。</ins>', html)
