"""Template helpers of the public site (articles/rendering.py)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.test import RequestFactory, SimpleTestCase, override_settings
from django.utils import timezone

from articles.rendering import absolute_url, first_image, page_url, reader_body, short_time, story_time

BEIJING = ZoneInfo("Asia/Shanghai")


class TimeTests(SimpleTestCase):
    def test_a_midnight_time_is_a_day_without_a_clock(self):
        self.assertEqual(story_time(datetime(2022, 5, 26, tzinfo=BEIJING)), "2022年5月26日")
        self.assertEqual(story_time(datetime(2022, 5, 26, 0, 19, 55, tzinfo=BEIJING)), "2022年5月26日 00:19")
        self.assertEqual(story_time(None), "")

    def test_short_times_say_as_little_as_the_reader_needs(self):
        now = timezone.localtime(timezone.now(), BEIJING)
        self.assertEqual(short_time(now.replace(hour=9, minute=30)), "09:30")
        earlier = now - timedelta(days=400)
        self.assertEqual(short_time(earlier), f"{earlier.year}年{earlier.month}月{earlier.day}日")


class BodyTests(SimpleTestCase):
    def test_a_caption_without_its_picture_and_a_note_about_absent_pictures_are_left_out(self):
        body = ('<p>正文。</p><p class="caption">京东集团副总裁分享战略内容</p>'
                '<p class="note">(注：文内图片为京东授权使用)</p>')
        self.assertEqual(str(reader_body(body)), "<p>正文。</p>")

    def test_a_picture_keeps_its_note(self):
        body = '<figure><img src="https://x/1.jpg" alt=""></figure><p class="note">(注：图片授权使用)</p>'
        self.assertIn("注：图片授权使用", str(reader_body(body)))

    def test_the_first_picture_is_the_share_image(self):
        self.assertEqual(first_image('<p>a</p><img src="https://x/1.jpg?a=1&amp;b=2"><img src="https://x/2.jpg">'),
                         "https://x/1.jpg?a=1&b=2")
        self.assertEqual(first_image("<p>无图</p>"), "")

    def test_a_stock_chart_is_never_the_share_image(self):
        chart = '<img src="https://webquotepic.eastmoney.com/GetPic.aspx?nid=0.000333&amp;imageType=r">'
        self.assertEqual(first_image(chart), "")
        self.assertEqual(first_image(chart + '<img src="https://x/photo.jpg">'), "https://x/photo.jpg")


class AddressTests(SimpleTestCase):
    def test_the_configured_site_address_wins_over_the_requests(self):
        request = RequestFactory().get("/x/", HTTP_HOST="testserver")
        with override_settings(NEWSROOM_SITE_URL="https://news.example.com/"):
            self.assertEqual(absolute_url(request, "/articles/1/a/"), "https://news.example.com/articles/1/a/")
        with override_settings(NEWSROOM_SITE_URL=""):
            self.assertEqual(absolute_url(request, "/articles/1/a/"), "http://testserver/articles/1/a/")
            self.assertEqual(absolute_url(None, "/a/"), "/a/")
            self.assertEqual(absolute_url(request, "https://other/a"), "https://other/a")

    def test_page_links_keep_the_other_parameters_and_page_one_has_none(self):
        request = RequestFactory().get("/search/", {"q": "海尔", "page": "3"})
        self.assertEqual(page_url(request, 4), "/search/?q=%E6%B5%B7%E5%B0%94&page=4")
        self.assertEqual(page_url(request, 1), "/search/?q=%E6%B5%B7%E5%B0%94")
