"""newsroom/jinja2.py: the public site's template engine beside the admin's Django one."""

from datetime import UTC, datetime

from django.template import TemplateDoesNotExist, engines, loader
from django.test import SimpleTestCase


class EnvironmentTests(SimpleTestCase):
    def setUp(self):
        self.jinja = engines["jinja2"]

    def test_admin_templates_fall_through_to_django_templates(self):
        """templates/admin/ holds Django-syntax overrides: this engine must not even find them."""
        with self.assertRaises(TemplateDoesNotExist):
            self.jinja.get_template("admin/index.html")
        self.assertEqual(type(loader.get_template("admin/index.html").backend).__name__, "DjangoTemplates")
        self.assertEqual(loader.get_template("articles/home.html").backend, self.jinja)

    def test_missing_variables_render_as_nothing(self):
        """As in Django's templates, and not DebugUndefined's "{{ related }}" under DEBUG."""
        template = self.jinja.from_string("[{{ related }}{{ query.text }}{% if preview %}x{% endif %}]")
        self.assertEqual(template.render({}), "[]")

    def test_output_is_escaped(self):
        html = self.jinja.from_string('<a title="{{ t }}">{{ t }}</a>').render({"t": "\"><script>'&"})
        self.assertNotIn("<script>", html)
        self.assertEqual(html.count("&lt;script&gt;"), 2)
        self.assertNotIn('title="">', html)

    def test_dates_are_shown_in_beijing_time(self):
        moment = datetime(2022, 5, 25, 16, 19, 55, tzinfo=UTC)
        template = self.jinja.from_string("{{ t|date('c') }} {{ t|date('Y年n月j日') }} {{ t|story_time }}")
        self.assertEqual(template.render({"t": moment}),
                         "2022-05-26T00:19:55+08:00 2022年5月26日 2022年5月26日 00:19")


class TruncateCharsTests(SimpleTestCase):
    def test_same_as_django_truncatechars(self):
        from django.template.defaultfilters import truncatechars as django_truncatechars

        from newsroom.jinja2 import truncatechars

        samples = ["", "短", "苏宁易购与海尔智家签署战略合作协议" * 20, "a" * 100, "a" * 101,
                   "e\u0301" * 150, "e" + "\u0301" * 400 + "长文本" * 50, "中文 English 混排。" * 30]
        for text in samples:
            for length in (1, 5, 100, 160):
                with self.subTest(text=text[:20], length=length):
                    self.assertEqual(truncatechars(text, length), django_truncatechars(text, length))
