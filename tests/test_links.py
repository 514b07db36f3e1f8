"""path_to() gives what reverse() gives, for every public URL it serves."""

from django.test import SimpleTestCase
from django.urls import clear_script_prefix, reverse, set_script_prefix

from articles.links import path_to

CASES = [
    ("articles:detail", (12345, "2022-jingdongjiadian")),
    ("articles:detail", (1, "a")),
    ("articles:source", ("zhongguojingjiwang",)),
    ("articles:category", ("gongsi",)),
    ("articles:tag", ("xin-neng-yuan-2",)),
    ("articles:stock", ("SZ002024",)),
    ("articles:stock", ("HK00493",)),
    ("articles:source_feed", ("emnews",)),
    ("articles:home", ()),
    ("articles:search", ()),
    ("articles:feed", ()),
    # The story's slug is a str: quoted as reverse() quotes it.
    ("articles:detail", (7, "中文 标题?&#%")),
]


class PathToTests(SimpleTestCase):
    def test_same_as_reverse(self):
        for name, args in CASES:
            with self.subTest(name=name, args=args):
                self.assertEqual(path_to(name, *args), reverse(name, args=args))

    def test_same_as_reverse_under_a_script_prefix(self):
        set_script_prefix("/news/")
        try:
            for name, args in CASES:
                with self.subTest(name=name, args=args):
                    self.assertEqual(path_to(name, *args), reverse(name, args=args))
                    self.assertTrue(path_to(name, *args).startswith("/news/"))
        finally:
            clear_script_prefix()


class RememberedPathTests(SimpleTestCase):
    def test_follows_a_changed_slug(self):
        from articles.models import Source

        source = Source(name="中国经济网", slug="zhongguojingjiwang")
        self.assertEqual(source.get_absolute_url(), "/sources/zhongguojingjiwang/")
        source.slug = "ce"
        self.assertEqual(source.get_absolute_url(), "/sources/ce/")
