"""Readable diffs between an article's current values and a newer source version.

Chinese has no spaces between words, so text is compared character by character; bodies are
compared paragraph by paragraph first (as plain text, markup stripped), so an editor sees the
changed paragraphs with the changed characters marked and the unchanged ones folded away.
"""

import difflib

from bs4 import BeautifulSoup
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article, Category, Source
from articles.tracked import BY_NAME, LABELS, decode_datetime

CONTEXT_PARAGRAPHS = 1
MIN_SIMILARITY = 0.3  # below this, two texts are shown as a whole replacement
NOISE_CHARS = 2


def inline_diff(old: str, new: str) -> SafeString:
    """Return `new` with characters missing from `old` in <ins> and removed ones in <del>."""
    old, new = old or "", new or ""
    parts = []
    for same, removed, added in _segments(old, new):
        if same:
            parts.append(escape(same))
            continue
        if removed:
            parts.append(f'<del class="nr-del">{escape(removed)}</del>')
        if added:
            parts.append(f'<ins class="nr-ins">{escape(added)}</ins>')
    return mark_safe("".join(parts))  # noqa: S308 (every piece above is escaped)


def _segments(old: str, new: str) -> list[tuple[str, str, str]]:
    """Return (unchanged, removed, added) runs, with the noise of a character diff removed.

    Texts that share little are shown as one replacement; a run of one or two characters
    that happens to match between two changes (的, 年) is folded into the change around it.
    """
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if matcher.ratio() < MIN_SIMILARITY:
        return [("", old, new)]
    runs: list[list[str]] = []
    opcodes = matcher.get_opcodes()
    for index, (op, a1, a2, b1, b2) in enumerate(opcodes):
        inner = 0 < index < len(opcodes) - 1
        if op == "equal" and not (inner and a2 - a1 <= NOISE_CHARS):
            runs.append([old[a1:a2], "", ""])
        elif runs and not runs[-1][0]:
            runs[-1][1] += old[a1:a2]
            runs[-1][2] += new[b1:b2]
        else:
            runs.append(["", old[a1:a2], new[b1:b2]])
    return [tuple(run) for run in runs]


def paragraphs(html: str) -> list[str]:
    if not html:
        return []
    soup = BeautifulSoup(html, "lxml")
    text = soup.get_text("\n", strip=True)
    return [line.strip() for line in text.split("\n") if line.strip()]


def body_diff(old_html: str, new_html: str) -> SafeString:
    old, new = paragraphs(old_html), paragraphs(new_html)
    rows = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            count = a2 - a1
            if count > 2 * CONTEXT_PARAGRAPHS:
                rows += [format_html("<p>{}</p>", p) for p in old[a1 : a1 + CONTEXT_PARAGRAPHS]]
                rows.append(format_html(
                    '<p class="nr-fold">……（{} 段未变）……</p>', count - 2 * CONTEXT_PARAGRAPHS
                ))
                rows += [format_html("<p>{}</p>", p) for p in old[a2 - CONTEXT_PARAGRAPHS : a2]]
            else:
                rows += [format_html("<p>{}</p>", p) for p in old[a1:a2]]
        elif op == "replace" and a2 - a1 == b2 - b1:
            rows += [
                format_html("<p>{}</p>", inline_diff(o, n))
                for o, n in zip(old[a1:a2], new[b1:b2], strict=True)
            ]
        else:
            rows += [format_html('<p><del class="nr-del">{}</del></p>', p) for p in old[a1:a2]]
            rows += [format_html('<p><ins class="nr-ins">{}</ins></p>', p) for p in new[b1:b2]]
    return mark_safe("".join(rows))  # noqa: S308 (rows are built with format_html)


def display(field: str, value) -> str:
    """Return an encoded value (see articles.ingest.review) as an editor reads it."""
    if value in (None, "", []):
        return "（空）"
    if field == "published_at":
        moment = decode_datetime(value)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else str(value)
    if field == "source":
        return str(Source.objects.filter(pk=value).first() or f"#{value}（已删除）")
    if field == "category":
        return str(Category.objects.filter(pk=value).first() or f"#{value}（已删除）")
    if field in ("tags", "stocks"):
        return "、".join(value)
    if field == "status" and value in Article.Status.values:
        return str(Article.Status(value).label)
    return str(value)


def field_diff(article: Article, field: str, source_value) -> SafeString:
    """Return HTML showing how the source's value of `field` differs from the article's."""
    return values_diff(field, BY_NAME[field].read(article), source_value)


def values_diff(field: str, current, source_value, *, added_label: str = "来源新增",
                removed_label: str = "来源去掉") -> SafeString:
    """Return HTML showing how the stored value `source_value` of `field` differs from `current`."""
    if field == "body":
        return body_diff(current or "", source_value or "")
    if field in ("tags", "stocks"):
        mine, theirs = set(current or []), set(source_value or [])
        added = "、".join(sorted(theirs - mine)) or "无"
        removed = "、".join(sorted(mine - theirs)) or "无"
        return format_html(
            '{}：<ins class="nr-ins">{}</ins>；{}：<del class="nr-del">{}</del>',
            added_label, added, removed_label, removed,
        )
    if field in ("title", "summary", "original_url", "slug"):
        return inline_diff(current or "", source_value or "")
    return format_html(
        '<del class="nr-del">{}</del> → <ins class="nr-ins">{}</ins>',
        display(field, current), display(field, source_value),
    )


def review_rows(article: Article, pending: dict) -> list[dict]:
    """Return one row per pending field: name, label, current and source text, and the diff."""
    rows = []
    for field, value in pending.items():
        # A body is too long to print twice; its diff already shows both versions.
        whole = field not in ("body",)
        rows.append({
            "field": field,
            "label": LABELS.get(field, field),
            "current": display(field, BY_NAME[field].read(article)) if whole else None,
            "source": display(field, value) if whole else None,
            "diff": field_diff(article, field, value),
        })
    return rows
