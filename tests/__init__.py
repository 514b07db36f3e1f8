"""Django's test client learns which templates a response rendered, and with what context
(response.templates, response.context, assertTemplateUsed), from the template_rendered
signal. Django sends it only for its own template language, whose rendering
setup_test_environment() instruments; the public site's Jinja2 templates are instrumented
here the same way, for the test run only."""

import jinja2
from django.test.signals import template_rendered

_render = jinja2.Template.render


def _instrumented_render(self, *args, **kwargs):
    context = dict(*args, **kwargs)
    template_rendered.send(sender=self, template=self, context=context)
    return _render(self, context)


jinja2.Template.render = _instrumented_render
