"""Readers' pages answer GET and HEAD only, whatever the method; OPTIONS says so without the
page. Every public address, walked from the URLconf (tests/test_views_hostile.py)."""

from django.conf import settings
from django.test import Client, TestCase

from tests.test_views_hostile import PublicAddressesMixin


class MethodTests(PublicAddressesMixin, TestCase):
    def setUp(self):
        super().setUp()
        # As in production: CSRF checked, so a POST shows what it gets there.
        self.client = Client(enforce_csrf_checks=True, raise_request_exception=False)

    def test_public_pages_answer_only_get_and_head(self):
        for url in self.addresses():
            page = self.client.get(url)
            for method in ("POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT", "PROPFIND",
                           "BREW"):
                with self.subTest(url, method=method):
                    response = self.client.generic(method, url)
                    self.assertEqual(response.status_code, 405)
                    self.assertEqual(set(response["Allow"].split(", ")),
                                     {"GET", "HEAD", "OPTIONS"})
                    if page.content:
                        self.assertNotIn(page.content[:200], response.content)
            with self.subTest(url, method="HEAD"):
                head = self.client.head(url)
                self.assertEqual(head.status_code, page.status_code)
                self.assertEqual(head.content, b"")

    def test_options_says_what_is_allowed_without_the_page(self):
        for url in self.addresses():
            with self.subTest(url):
                self.client.get(url)  # cached: the page cache must not answer OPTIONS with it
                response = self.client.options(url)
                self.assertIn(response.status_code, (200, 204))
                self.assertEqual(set(response["Allow"].split(", ")), {"GET", "HEAD", "OPTIONS"})
                self.assertEqual(response.content, b"")

    def test_the_desk_still_takes_posts(self):
        login = f"/{settings.ADMIN_URL}login/"
        self.client.get(login)
        token = self.client.cookies[settings.CSRF_COOKIE_NAME].value
        response = self.client.post(login, {"username": "x", "csrfmiddlewaretoken": token})
        self.assertEqual(response.status_code, 200)  # the form again, with its errors
