"""articles/text.py: the shared text rules, held to the definitions they shortcut."""

import unicodedata

from django.test import SimpleTestCase
from hypothesis import example, given, settings
from hypothesis import strategies as st

from articles import text

# What the shortcuts must get right: full-width forms, the ideographic space, combining marks
# (NFKC composes them with what precedes), Hangul jamo, compatibility characters, astral ones.
TRICKY = list("aZ09_ 海尔，（）％。\u3000０９ＡＺａｚ＿！～\u0301\u0308e\u1100\u1161\u11a8ﬁ①㎏\U0001d400😀")


class NfkcTests(SimpleTestCase):
    @settings(max_examples=3000, deadline=None)
    @given(st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), max_size=40))
    @example("ｅ\u0301")  # a full-width letter then a mark: NFKC composes é
    @example("Ａ１＿\u3000ｂ")
    def test_alnum_nfkc_is_the_definition(self, value):
        self.assertEqual(text.alnum_nfkc(value), text.NOT_ALNUM.sub("", unicodedata.normalize("NFKC", value)))

    def test_every_full_width_form_as_nfkc_has_it(self):
        for code in text.FULL_WIDTH:
            wide = chr(code)
            self.assertEqual(text.alnum_nfkc(wide), text.NOT_ALNUM.sub("", unicodedata.normalize("NFKC", wide)))

    @settings(max_examples=2000, deadline=None)
    @given(st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), max_size=40))
    def test_nfkc_differs_from_nfkc_only_in_full_width_forms(self, value):
        wide_as_ascii = {code: unicodedata.normalize("NFKC", chr(code)) for code in text.FULL_WIDTH}
        self.assertEqual(text.nfkc(value).translate(wide_as_ascii),
                         unicodedata.normalize("NFKC", value).translate(wide_as_ascii))
