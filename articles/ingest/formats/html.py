"""Bare HTML pages: a saved web page without front matter is no format the site knows."""

from articles.ingest.formats.base import ParseError


def sniff(text: str) -> bool:
    stripped = text.lstrip()
    return stripped.startswith("<") and "</" in stripped


def parse(text: str, *, name: str, now) -> dict:
    raise ParseError("bare HTML without front matter is not a known news format")
