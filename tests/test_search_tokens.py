"""The search token rule (articles/search/tokens.py), and its SQL copy in migration 0003."""

import random
import re

from django.db import connection
from django.test import SimpleTestCase, TestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.search.tokens import (
    LONG_TEXT,
    MAX_VECTOR_BYTES,
    MAX_WORD_CHARS,
    _long_token_text,
    html_to_text,
    plain_text,
    search_document,
    tokens,
    vector_literal,
)


def reference_tokens(text: str) -> list[str]:
    """The token rule written the slow, obvious way: split into CJK runs and ASCII words; a
    run gives its overlapping bigrams (a lone character gives itself); a word, lower-cased,
    unless it is longer than MAX_WORD_CHARS."""
    out = []
    for run in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+", text):
        if run.isascii():
            if len(run) <= MAX_WORD_CHARS:
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

    @settings(max_examples=1500, deadline=None)
    @given(st.text(alphabet=st.sampled_from("海尔智家股aZ9 ，\u3400\u9fff\uf900\ufaff\ufb00\uffffİß\n\ud800")
                   | st.characters(), max_size=120))
    def test_the_array_cut_of_long_texts_gives_the_same_tokens(self, text):
        # token_text() cuts long texts with numpy: any text, cut that way, follows the rule.
        self.assertEqual(_long_token_text(text).split(), reference_tokens(text))

    def test_a_long_page_dump_is_cut_by_the_rule(self):
        rng = random.Random(3)
        text = "".join(rng.choice(["海尔", "智家", "a", "Z9 ", "，", "x" * 70, " ", "\u3400"]) for _ in range(2000))
        self.assertGreater(len(text), LONG_TEXT)
        self.assertEqual(tokens(text), reference_tokens(text))

    def test_a_summary_repeated_by_the_text_is_indexed_once(self):
        text = "央行开展逆回购操作。中标利率维持不变。"
        # The title's bigram, the text's bigrams once (the summary, a cut copy of the text's
        # start, adds none), then the last character of each run, in code point order.
        expected = ("标题 央行 行开 开展 展逆 逆回 回购 购操 操作 中标 标利 利率 率维 维持 持不 不变 "
                    "作 变 题")
        self.assertEqual(search_document("标题", "央行开展逆回购…", text), expected)
        self.assertEqual(search_document("标题", text), expected)
        self.assertEqual(search_document("标题", "编辑另写的摘要", text).split().count("另写"), 1)

    def test_long_words_are_left_out_whole(self):
        word = "a" * MAX_WORD_CHARS
        self.assertEqual(tokens(f"{word} {word}b 海尔"), [word, "海尔"])


class TokenTests(SimpleTestCase):
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
                    if len(run) <= MAX_WORD_CHARS:
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
        self.assertLessEqual(sum(len(t.encode()) + 8 for t in literal.split()), MAX_VECTOR_BYTES)
        self.assertLess(MAX_VECTOR_BYTES, 1024 * 1024)
        self.assertIn("标题", literal.split())  # first seen, first kept
        small = search_document("海尔智家", "", "苏宁易购")
        self.assertEqual(sorted(vector_literal(small).split()), sorted(set(small.split())))

    def test_document_ends_with_the_characters_that_end_runs(self):
        self.assertEqual(search_document("苏宁海尔", "A股"), "苏宁 宁海 海尔 a 股 尔")


class TextTests(SimpleTestCase):
    def test_plain_text_drops_tags_unescapes_entities_and_folds_spaces(self):
        body = "<p>苏宁易购&amp;海尔</p>\n<p>  召开<b>2022年</b>战略对接会&lt;春季&gt;</p>"
        self.assertEqual(plain_text(body), "苏宁易购&海尔 召开 2022年 战略对接会<春季>")
        self.assertEqual(plain_text(""), "")

    def test_html_to_text_reads_the_fragment_as_a_parser_does(self):
        self.assertEqual(html_to_text("<p>海尔&amp;<i>智家</i></p><p>美的</p>"), "海尔& 智家 美的")
        self.assertEqual(html_to_text(""), "")


class SqlTitleTokenTests(TestCase):
    def test_postgres_title_tokens_match_python(self):
        if connection.vendor != "postgresql":
            self.skipTest("the title-token function exists on PostgreSQL only")
        titles = ["共创新价值 苏宁易购海尔召开2022年战略对接暨春季启动会", "A股 TCL科技：5G", "股", "x"]
        with connection.cursor() as cursor:
            for title in titles:
                cursor.execute("SELECT articles_title_tokens(%s)::text", [title])
                lexemes = set(re.findall(r"'([^']*)'", cursor.fetchone()[0]))
                self.assertEqual(lexemes, set(search_document(title).split()), title)
