"""Django's test client learns which templates a response rendered, and with what context
(response.templates, response.context, assertTemplateUsed), from the template_rendered
signal. Django sends it only for its own template language, whose rendering
setup_test_environment() instruments; the public site's Jinja2 templates are instrumented
here the same way, for the test run only.

The fixtures' modification times are pinned too: a page dump with no believable date in its
text (seed 003) is dated by its file's time, which a checkout sets to the day of the clone.
They are pinned to the morning of the day the seeds were scraped, so tests see one corpus."""

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jinja2
from django.test.signals import template_rendered

_render = jinja2.Template.render


def _instrumented_render(self, *args, **kwargs):
    context = dict(*args, **kwargs)
    template_rendered.send(sender=self, template=self, context=context)
    return _render(self, context)


jinja2.Template.render = _instrumented_render


SCRAPED = datetime(2022, 2, 21, 8, 0, tzinfo=timezone(timedelta(hours=8))).timestamp()
for _path in (Path(__file__).parent / "fixtures").rglob("*"):
    if _path.is_file() and os.stat(_path).st_mtime != SCRAPED:
        os.utime(_path, (SCRAPED, SCRAPED))
