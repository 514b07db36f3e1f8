"""newsroom.logfmt: one parseable line per event, whatever the message contains."""

import logging
import sys

from django.test import SimpleTestCase

from newsroom.logfmt import LogfmtAtoms, LogfmtFormatter, quote
from tests.test_production import parse_logfmt


class QuoteTests(SimpleTestCase):
    def test_plain_values_stay_bare(self):
        self.assertEqual(quote("/articles/12/haier/"), "/articles/12/haier/")
        self.assertEqual(quote(200), "200")
        self.assertEqual(quote(None), "-")

    def test_values_that_could_forge_fields_or_lines_are_quoted(self):
        self.assertEqual(quote("a b"), '"a b"')
        self.assertEqual(quote("q=海尔"), '"q=海尔"')
        self.assertEqual(quote('x" level=error'), '"x\\" level=error"')
        self.assertEqual(quote("one\ntwo"), '"one\\ntwo"')
        self.assertEqual(quote(""), '""')

    def test_chinese_is_kept_readable(self):
        self.assertEqual(quote("苏宁易购 海尔"), '"苏宁易购 海尔"')


class FormatterTests(SimpleTestCase):
    def record(self, msg, *args, exc_info=None, **extra):
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, msg, args, exc_info)
        record.__dict__.update(extra)
        return record

    def test_one_line_with_the_traceback_as_a_value(self):
        try:
            raise ValueError("坏了\nsecond line")
        except ValueError:
            exc_info = sys.exc_info()
        line = LogfmtFormatter().format(
            self.record("Internal Server Error: %s", "/文章/", exc_info=exc_info, status_code=500)
        )
        self.assertNotIn("\n", line)
        fields = parse_logfmt(line)
        self.assertEqual(fields["level"], "error")
        self.assertEqual(fields["logger"], "django.request")
        self.assertEqual(fields["msg"], "Internal Server Error: /文章/")
        self.assertEqual(fields["status"], "500")
        self.assertIn("ValueError: 坏了\nsecond line", fields["exc"])
        self.assertRegex(fields["time"], r"\+00:00$")

    def test_access_atoms_are_quoted_and_missing_ones_dashed(self):
        atoms = LogfmtAtoms({"U": '/search/"x y', "s": 200, "B": None, "q": ""})
        self.assertEqual(atoms["U"], '"/search/\\"x y"')
        self.assertEqual(atoms["s"], 200)
        self.assertEqual(atoms["B"], "-")
        self.assertEqual(atoms["q"], "-")
        self.assertEqual(atoms["{x-forwarded-for}i"], "-")
