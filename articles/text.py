"""Small text helpers shared by models, the import pipeline and search (no ORM imports)."""

import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_HAN_RUNS = re.compile(r"([\u3400-\u9fff\uf900-\ufaff]+)")


def story_slug(external_id: str | None, title: str) -> str:
    """Return a story's address part: its id when it has one, else its title's pinyin."""
    return ascii_slug(external_id or title, fallback="article")[:120]


def ascii_slug(text: str, *, fallback: str = "item", max_length: int = 100) -> str:
    """Return an ASCII slug for `text`: Chinese runs as joined pinyin (中国经济网 -> zhongguojingjiwang)."""
    text = unicodedata.normalize("NFKC", text or "")
    chunks = _HAN_RUNS.split(text)
    if len(chunks) > 1:
        # Here, not at the top, and only for Chinese: its dictionary takes 0.3 s to load.
        from pypinyin import lazy_pinyin
    parts = []
    for i, chunk in enumerate(chunks):
        if i % 2:  # a run of Han characters
            parts.append("".join(lazy_pinyin(chunk)))
        else:
            parts.append(chunk)
    slug = _NON_SLUG.sub("-", " ".join(parts).lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] if "-" in slug[:max_length] else slug[:max_length]
    return slug.strip("-") or fallback
