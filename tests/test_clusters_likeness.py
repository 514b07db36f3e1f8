"""A story's likeness and the same-story rule, on the real seed story's text (no database)."""

import os
import subprocess
import sys
import time
import unicodedata

from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.clusters.likeness import (
    BANDS,
    MIN_SHINGLES,
    PERMUTATIONS,
    company_keys,
    containment,
    figures_of,
    likeness_of,
    same_story,
)
from tests.clusters_support import paragraphs


def text(parts) -> str:
    return "\n".join(parts)


class AnyTextTests(SimpleTestCase):
    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=3000))
    def test_any_text_gives_a_likeness_or_none_and_never_raises(self, text):
        likeness = likeness_of(text)
        if likeness is not None:
            self.assertEqual(len(likeness.minhash), 4 * PERMUTATIONS)
            self.assertIsNotNone(same_story(likeness, likeness))
        figures_of(text)

    def test_digit_floods_are_cheap(self):
        started = time.monotonic()
        self.assertEqual(figures_of("1" * 1_000_000 + "元，" + "2," * 300_000), ("2",))
        self.assertLess(time.monotonic() - started, 5)


class LikenessTests(SimpleTestCase):
    def setUp(self):
        self.body = paragraphs()
        self.original = likeness_of(text(self.body))

    def test_a_rewrite_with_an_intro_and_a_trimmed_paragraph_is_the_same_story(self):
        rewrite = likeness_of(text(["中证网讯（记者 王勇）2月21日，记者获悉：", *self.body[:-1]]))
        self.assertIsNotNone(same_story(self.original, rewrite))
        self.assertGreater(containment(self.original, rewrite), 0.8)

    def test_full_width_digits_and_punctuation_change_nothing(self):
        wide = text(self.body).translate(str.maketrans("0123456789,.", "０１２３４５６７８９，．"))
        self.assertNotEqual(wide, text(self.body))
        again = likeness_of(wide)
        self.assertEqual(again.minhash, self.original.minhash)
        self.assertEqual(again.figures, self.original.figures)

    def test_the_same_words_with_other_figures_are_another_story(self):
        swapped = likeness_of(text(self.body).translate(str.maketrans("0123456789", "3456789012")))
        self.assertGreater(containment(self.original, swapped), 0.5)  # the template is alike
        self.assertIsNone(same_story(self.original, swapped))

    def test_other_companies_make_another_story(self):
        a = likeness_of(text(self.body), companies=[1, 2])
        b = likeness_of(text(self.body), companies=[3])
        c = likeness_of(text(self.body), companies=[2, 9])
        self.assertIsNone(same_story(a, b))
        self.assertIsNotNone(same_story(a, c))

    def test_an_unrelated_story_shares_no_band(self):
        other = likeness_of("央行研究局课题组发布报告称，应促进消费和投资增长，实现经济平稳运行，"
                            "货币政策要保持流动性合理充裕，加大对实体经济的支持力度，稳定市场预期。")
        self.assertIsNone(same_story(self.original, other))
        self.assertFalse(set(self.original.bands) & set(other.bands))
        self.assertGreaterEqual(len(self.original.bands), BANDS)

    def test_a_text_with_nothing_to_compare_has_no_likeness(self):
        self.assertIsNone(likeness_of("涨停。"))
        self.assertIsNone(likeness_of(""))
        self.assertIsNone(likeness_of("！" * 500))
        self.assertIsNotNone(likeness_of("数据显示，截至目前，北向资金净流入超50亿元。"))
        self.assertGreaterEqual(MIN_SHINGLES, 5)

    def test_a_reworded_flash_with_the_same_figures_is_the_same_story(self):
        # Real corpus flash and another wire's wording of it (tests/fixtures/clusters).
        wire = likeness_of("郑商所纯碱期货主力合约跌停，跌幅为8.01%，报2378.0元/吨。")
        other = likeness_of("财联社12月8日电，郑商所纯碱期货主力合约封跌停板，跌幅8.01%，报2378元/吨。")
        self.assertEqual(wire.figures, other.figures)
        self.assertTrue(set(wire.bands) & set(other.bands))
        self.assertIsNotNone(same_story(wire, other))
        next_day = likeness_of("郑商所纯碱期货主力合约跌停，跌幅为7.95%，报2189.0元/吨。")
        self.assertIsNone(same_story(wire, next_day))

    def test_figures_are_values_and_dates_are_left_out(self):
        self.assertEqual(figures_of("净利润1,234.5万元，同比增长12.5%，12月8日收报3288点"),
                         tuple(sorted(["12345000", "12.5%", "3288"])))
        self.assertEqual(figures_of("回购11,910,000美元，跌幅８.０１％，报２３７８.０元，港交所(0388.HK)"),
                         figures_of("回购1191万美元，跌幅8.01%，报2378元，港交所(00388)，二零二一年十一月"))

    def test_company_keys_are_a_set(self):
        self.assertEqual(company_keys([5, 3, 5, 12]), ("3", "5", "12"))

    def test_signatures_are_the_same_in_every_process(self):
        # Stored signatures are compared with later ones: nothing may depend on the process
        # (Python's string hashing is salted per process).
        code = ("import sys; from articles.clusters.likeness import likeness_of; "
                "sys.stdout.write(likeness_of(sys.stdin.read()).minhash.hex())")
        outputs = set()
        for seed in ("1", "2"):
            result = subprocess.run([sys.executable, "-c", code], input=text(self.body), capture_output=True,
                                    text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed})
            outputs.add(result.stdout)
        self.assertEqual(outputs, {self.original.minhash.hex()})

    def test_a_hostile_text_is_bounded(self):
        huge = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(2_000_000))
        started = time.monotonic()
        likeness = likeness_of(huge)
        self.assertLess(time.monotonic() - started, 5)
        self.assertIsNotNone(likeness)
        self.assertIsNotNone(likeness_of(unicodedata.normalize("NFD", "\u202e" + text(self.body))))
