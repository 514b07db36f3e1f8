"""articles.reading.readers: robots and tools are told from readers by their User-Agent, and a
reader is known by a hash of their address only."""

from django.test import RequestFactory, SimpleTestCase, override_settings

from articles.reading.readers import is_robot, reader_of

# Real User-Agent strings, as the access log shows them.
READERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
    "MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN",
    "Mozilla/5.0 (Linux; Android 10; V2001A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/76.0.3809.89 Mobile Safari/537.36 T7/12.10 SP-engine/2.28.0 baiduboxapp/12.10.0.10 (Baidu; P1 10)",
    "Mozilla/5.0 (Linux; Android 12; M2102J2SC) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/98.0.4758.102 "
    "Mobile Safari/537.36 SogouMobileBrowser/5.38.6",
    "Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "YaBrowser/24.1.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 Mobile "
    "DuckDuckGo/5 Safari/537.36",
]
ROBOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) "
    "Chrome/116.0.1938.76 Safari/537.36",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 "
    "(compatible; Bytespider; spider-feedback@bytedance.com)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/114.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
    "TelegramBot (like TwitterBot)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "python-requests/2.31.0",
    "curl/8.4.0",
    "Wget/1.21.3",
    "Go-http-client/1.1",
    "okhttp/4.12.0",
    "",
    "   ",
    "Mozilla/5.0 " + "x" * 2000,  # no browser sends this
]


class RobotTests(SimpleTestCase):
    def test_browsers_including_in_app_and_regional_ones_are_readers(self):
        for agent in READERS:
            with self.subTest(agent[:60]):
                self.assertFalse(is_robot(agent))

    def test_crawlers_previewers_headless_browsers_and_tools_are_not(self):
        for agent in ROBOTS:
            with self.subTest(agent[:60]):
                self.assertTrue(is_robot(agent))


class ReaderTests(SimpleTestCase):
    def test_a_reader_is_a_hash_of_the_address_not_the_address(self):
        request = RequestFactory().post("/r/1/", REMOTE_ADDR="203.0.113.7")
        reader = reader_of(request)
        self.assertEqual(reader, reader_of(RequestFactory().post("/r/2/", REMOTE_ADDR="203.0.113.7")))
        self.assertNotEqual(reader, reader_of(RequestFactory().post("/r/1/", REMOTE_ADDR="203.0.113.8")))
        self.assertNotIn("203", reader)
        self.assertEqual(len(reader), 16)

    @override_settings(BEHIND_PROXY=True)
    def test_behind_the_proxy_the_address_it_appended(self):
        """The last X-Forwarded-For entry is nginx's; what the client claimed before it is not."""
        one = RequestFactory().post("/r/1/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
        two = RequestFactory().post("/r/1/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7")
        other = RequestFactory().post("/r/1/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8")
        self.assertEqual(reader_of(one), reader_of(two))
        self.assertNotEqual(reader_of(one), reader_of(other))
