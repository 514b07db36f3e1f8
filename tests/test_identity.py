"""A story's identity: every spelling of an eastmoney story number names one story."""

from django.test import SimpleTestCase

from articles import identity


class StoryNumberTests(SimpleTestCase):
    def test_the_prefix_is_stored_in_upper_case_and_a_bare_number_stays_bare(self):
        self.assertEqual(identity.canonical("nw202202212282659685"), "NW202202212282659685")
        self.assertEqual(identity.canonical("Nw202202212282659685"), "NW202202212282659685")
        self.assertEqual(identity.canonical("202112082206672930"), "202112082206672930")
        self.assertIsNone(identity.canonical(""))

    def test_both_spellings_name_one_story(self):
        for spelled in ("NW202202212282659685", "nw202202212282659685", "202202212282659685"):
            with self.subTest(spelled):
                self.assertEqual(identity.spellings(spelled),
                                 ["202202212282659685", "NW202202212282659685"])
                self.assertEqual(identity.identity_keys(external_id=spelled),
                                 ["ext:202202212282659685"])

    def test_a_story_number_is_twelve_to_twenty_four_digits_with_or_without_the_prefix(self):
        for text, expected in (("NW202202212282659685", True), ("202112082206", True),
                               ("20211208220", False), ("NW", False), ("XW202202212282659685", False),
                               ("2021120822066729301234567", False)):
            with self.subTest(text):
                self.assertEqual(bool(identity.STORY_NUMBER.fullmatch(text)), expected)

    def test_keys_name_the_number_the_address_and_the_words(self):
        self.assertEqual(
            identity.identity_keys(external_id="NW1", original_url="http://x/1.html", fingerprint="ab"),
            ["ext:1", "url:http://x/1.html", "fp:ab"],
        )
        self.assertEqual(identity.identity_keys(), [])
