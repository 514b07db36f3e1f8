"""Search terms marked in titles and excerpts (articles/search/highlight.py)."""

from django.test import SimpleTestCase

from articles.search.highlight import excerpt, highlight


class HighlightTests(SimpleTestCase):
    def test_highlight_escapes_and_marks(self):
        self.assertEqual(highlight("<b>海尔</b>与HAIER", ["海尔", "haier"]),
                         "&lt;b&gt;<mark>海尔</mark>&lt;/b&gt;与<mark>HAIER</mark>")
        long = "前" * 200 + "海尔" + "后" * 200
        snippet = excerpt(long, ["海尔"])
        self.assertIn("<mark>海尔</mark>", snippet)
        self.assertTrue(snippet.startswith("…") and snippet.endswith("…"))

    def test_without_terms_text_is_only_escaped(self):
        self.assertEqual(highlight("<i>海尔</i>", []), "&lt;i&gt;海尔&lt;/i&gt;")
        self.assertEqual(highlight(None, ["海尔"]), "")

    def test_the_longer_of_overlapping_terms_is_marked(self):
        self.assertEqual(highlight("海尔智家", ["海尔", "海尔智家"]), "<mark>海尔智家</mark>")

    def test_an_early_term_keeps_the_excerpt_at_the_start(self):
        text = "海尔" + "后" * 200
        snippet = excerpt(text, ["海尔"], length=30)
        self.assertEqual(snippet, "<mark>海尔</mark>" + "后" * 28 + "…")
