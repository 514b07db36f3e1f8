"""A reader's query: terms, phrases and the index expressions (articles/search/query.py)."""

from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.search.query import Phrase, fts5_match, parse_query, tsquery
from articles.search.tokens import search_document


class QueryTests(SimpleTestCase):
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

    def test_a_phrase_needle_is_its_tokens_between_spaces_open_for_a_prefix(self):
        self.assertEqual(Phrase(("海尔", "尔智")).needle, " 海尔 尔智 ")
        self.assertEqual(Phrase(("a", "股"), prefix=True).needle, " a 股")

    @settings(max_examples=300, derandomize=True, deadline=None)
    @given(st.text(alphabet="海尔智家苏宁股aZ9 -", min_size=1, max_size=40), st.data())
    def test_every_piece_of_a_text_finds_that_texts_document(self, text, data):
        """Query and document sides cut text by the same rule: each phrase of a query for a
        substring stands in the document's tokens (a prefix phrase as a token's start). ASCII
        words are matched whole, so the piece is widened not to cut one."""
        start = data.draw(st.integers(0, len(text) - 1))
        end = data.draw(st.integers(start + 1, len(text)))
        def inside_word(pair):
            return pair.isascii() and pair.isalnum()

        while start > 0 and inside_word(text[start - 1 : start + 1]):
            start -= 1
        while end < len(text) and inside_word(text[end - 1 : end + 1]):
            end += 1
        piece = text[start:end]
        query = parse_query(piece)
        if not query:
            return  # punctuation or spaces only: nothing to find
        document = f" {search_document(text)} "
        for phrase in query.phrases:
            self.assertIn(phrase.needle, document, (piece, phrase))
