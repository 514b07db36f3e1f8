"""The desk speaks Chinese wherever an editor looks, third-party apps included."""

import re

from axes.models import AccessAttempt
from django.test import TestCase
from django.urls import reverse

from tests.admin_support import make_superuser


class AdminLanguageTests(TestCase):
    def setUp(self):
        self.client.force_login(make_superuser())

    def test_the_start_page_names_every_app_and_model_in_chinese(self):
        page = self.client.get(reverse("admin:index")).content.decode()
        models = [name.strip() for name in
                  re.findall(r'<th scope="row" id="[^"]+">\s*<a href="[^"]+"[^>]*>([^<]+)</a>', page)]
        self.assertIn("登录尝试", models)
        self.assertIn("登录失败", models)
        self.assertEqual(models.count("标签"), 1)
        self.assertIn("登录防护", page)
        self.assertIn('<th scope="col">模型名称</th>', page)
        ascii_names = [name for name in models if re.fullmatch(r"[A-Za-z ]+", name)]
        self.assertEqual(ascii_names, [])

    def test_the_login_attempts_list_has_chinese_headers(self):
        AccessAttempt.objects.create(username="intruder", ip_address="192.0.2.7", failures_since_start=3,
                                     user_agent="curl", path_info="/admin/login/", get_data="",
                                     post_data="", http_accept="*/*")
        page = self.client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
        self.assertIn("IP 地址", page)
        self.assertIn("用户名", page)
        self.assertIn("失败次数", page)
        self.assertNotIn("Failed Logins", page)
