"""Search terms marked in what the results page shows: titles and excerpts, HTML-escaped."""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def _term_pattern(terms) -> re.Pattern | None:
    alternatives = sorted({t for t in terms if t}, key=len, reverse=True)
    if not alternatives:
        return None
    return re.compile("|".join(re.escape(t) for t in alternatives), re.IGNORECASE)


def highlight(text: str, terms) -> SafeString:
    """Return `text` escaped, with each occurrence of a term wrapped in <mark>."""
    text = text or ""
    pattern = _term_pattern(terms)
    if pattern is None:
        return escape(text)
    out, end = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[end : match.start()]))
        out.append(f"<mark>{escape(match.group())}</mark>")
        end = match.end()
    out.append(escape(text[end:]))
    return mark_safe("".join(out))  # noqa: S308 (every piece is escaped above)


def excerpt(text: str, terms, *, length: int = 120) -> SafeString:
    """Return about `length` characters of `text` around the first term, highlighted."""
    text = text or ""
    pattern = _term_pattern(terms)
    match = pattern.search(text) if pattern else None
    start = 0
    if match and match.start() > length // 3:
        start = match.start() - length // 3
    piece = text[start : start + length]
    result = ("…" if start else "") + piece + ("…" if start + length < len(text) else "")
    return highlight(result, terms)
