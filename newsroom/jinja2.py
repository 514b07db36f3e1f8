"""The Jinja2 environment of the public site's templates (templates/, except admin/).

The admin's templates, Django's own (sitemaps, admin) and templates/admin/ stay in Django's
template language: TEMPLATES lists this engine first, and it must not find them.
"""

import sys
import unicodedata
from datetime import datetime
from functools import cache

import jinja2
from django.conf import settings
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator, add_truncation_text, calculate_truncate_chars_length

from articles import rendering
from articles.links import path_to


class WithoutAdmin(jinja2.BaseLoader):
    """`loader` minus the admin's templates.

    Django tries its engines in order and falls through only on "not found": this engine
    reading templates/admin/index.html would fail on its Django syntax instead.
    """

    def __init__(self, loader: jinja2.BaseLoader):
        self.loader = loader

    def get_source(self, environment, template):
        if template.startswith("admin/"):
            raise jinja2.TemplateNotFound(template)
        return self.loader.get_source(environment, template)


def url(name: str, *args, **kwargs) -> str:
    if not args and not kwargs:
        # Every page links home, search, the archive and the feed: one template each.
        return path_to(name)
    return reverse(name, args=args or None, kwargs=kwargs or None)


@cache
def _combining() -> frozenset[str]:
    """Every character unicodedata.combining() counts as a combining mark (built once; a set
    answers 6x faster than a regular expression's character class over CJK text)."""
    return frozenset(chr(c) for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c)))


def truncatechars(value, length: int) -> str:
    """Django's |truncatechars, without its character-by-character walk in the usual case."""
    text = str(value)
    if len(text) <= length:
        return text
    if (length > 1 and unicodedata.is_normalized("NFC", text)
            and _combining().isdisjoint(text[: length + 1])):
        # What Truncator.chars() returns when no combining mark counts for nothing.
        return add_truncation_text(text[: calculate_truncate_chars_length(length, None)])
    return Truncator(text).chars(length)


def now(format_string: str) -> str:
    return defaultfilters.date(datetime.now(tz=timezone.get_current_timezone()), format_string)


def date(value, format_string: str | None = None) -> str:
    """Django's |date, in the site's time zone as Django's templates show it."""
    if format_string == "c" and isinstance(value, datetime) and timezone.is_aware(value):
        # What Django's "c" format gives, without its formatter and context look-ups.
        return value.astimezone(rendering.site_zone()).isoformat()
    return defaultfilters.date(timezone.template_localtime(value), format_string)


@jinja2.pass_context
def absolute(context, path: str) -> str:
    return rendering.absolute_url(context.get("request"), path or "/")


@jinja2.pass_context
def article_jsonld(context, article, tags=None, stocks=None):
    return rendering.article_jsonld(article, request=context.get("request"), tags=tags, stocks=stocks)


@jinja2.pass_context
def page_url(context, number: int) -> str:
    return rendering.page_url(context["request"], number)


@jinja2.pass_context
def navigation(context) -> list:
    return rendering.navigation(context.get("nav_categories"))


def environment(**options) -> jinja2.Environment:
    options["loader"] = WithoutAdmin(options["loader"])
    # Silent like Django's templates: a missing variable, or an attribute of one (`query.text`
    # on pages without a search, `related` in the admin's preview), renders as nothing.
    options["undefined"] = jinja2.ChainableUndefined
    # Django's templates end with the file's last newline; so do these.
    options.setdefault("keep_trailing_newline", True)
    # Not left to OPTIONS: titles, summaries and readers' queries reach the templates raw.
    options.pop("autoescape", None)
    env = jinja2.Environment(autoescape=True, **options)
    env.globals.update(
        SITE_NAME=settings.NEWSROOM_SITE_NAME,
        url=url,
        static=static,
        now=now,
        absolute=absolute,
        article_meta=rendering.article_meta,
        article_jsonld=article_jsonld,
        page_url=page_url,
        navigation=navigation,
    )
    env.filters.update(
        date=date,
        truncatechars=truncatechars,
        story_time=rendering.story_time,
        w3c_datetime=rendering.w3c_datetime,
        short_time=rendering.short_time,
        reader_body=rendering.reader_body,
        first_image=rendering.first_image,
        highlight=rendering.highlight,
        search_excerpt=rendering.search_excerpt,
    )
    return env
