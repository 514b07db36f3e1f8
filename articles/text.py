"""Small text helpers shared by models, the import pipeline and search (no ORM imports)."""

import functools
import itertools
import re
import unicodedata

from articles import columns

# Invisible characters: C0/C1 controls and every format character (Unicode category Cf) but
# the zero-width joiner that emoji sequences need. Among them the bidi overrides and isolates
# (U+202A-202E, U+2066-2069) that make a title "abc\u202egnp.exe" show as "abcexe.png", the
# bidi marks, zero-width spaces, soft hyphens and tag characters.
INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
    "\u08e2\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
LINE_BREAKS = re.compile("[\t\n\x0b\x0c\r\x85\u2028\u2029]+")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
# Han characters (CJK unified ideographs, extension A, compatibility ideographs), as the body
# of a character class: what slugs spell in pinyin and search cuts into bigrams.
HAN = r"\u3400-\u9fff\uf900-\ufaff"
_HAN_RUNS = re.compile(rf"([{HAN}]+)")


def story_slug(external_id: str | None, title: str) -> str:
    """Return a story's address part: its id when it has one, else its title's pinyin."""
    return ascii_slug(external_id or title, fallback="article")[: columns.SLUG]


def clean_line(text: str) -> str:
    """Return `text` as one line showing what it says: invisible characters removed, line
    breaks made spaces. Titles, summaries, source and tag names all pass through here."""
    if text.isprintable():  # no control, format or line-break character: nearly every value
        return text.strip()
    return INVISIBLE.sub("", LINE_BREAKS.sub(" ", text)).strip()


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


# The full-width forms (！..～), which NFKC turns into ASCII one for one.
FULL_WIDTH = range(0xFF01, 0xFF5F)
_WIDE_TO_ASCII = {code: code - 0xFEE0 for code in FULL_WIDTH}
_WIDE = re.compile("[\uff01-\uff5e]")
# What the story fingerprint keeps: Python's \w is str.isalnum() plus "_", so this removes
# exactly the characters isalnum() refuses.
NOT_ALNUM = re.compile(r"[\W_]+")


@functools.cache
def _nfkc_changes() -> re.Pattern:
    """A character class of what NFKC may change besides the full-width forms: every BMP
    character it rewrites alone, the marks and Hangul jamo it composes with what precedes them,
    and everything past the BMP. (Built on first use: it reads every BMP code point.)"""
    changed = [code for code in range(0x10000) if code < 0xD800 or code > 0xDFFF
               if code not in FULL_WIDTH and (unicodedata.normalize("NFKC", chr(code)) != chr(code)
                                              or unicodedata.category(chr(code)).startswith("M")
                                              or 0x1100 <= code <= 0x11FF)]
    ranges, start = [], changed[0]
    for previous, code in itertools.pairwise([*changed, -1]):
        if code != previous + 1:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(previous))}")
            start = code
    return re.compile("[" + "".join(ranges) + "\U00010000-\U0010FFFF]")


def nfkc(text: str) -> str:
    """`text` in NFKC but for the full-width forms (FULL_WIDTH), normalised only when it holds
    another character NFKC changes: the search costs a tenth of the normalisation, and most
    stories hold none."""
    return unicodedata.normalize("NFKC", text) if _nfkc_changes().search(text) else text


def alnum_nfkc(text: str) -> str:
    """The letters and digits of `text` in NFKC: NOT_ALNUM.sub("", NFKC(text)), without
    normalising a text whose only change would be its full-width forms (made ASCII here)."""
    if _nfkc_changes().search(text):
        return NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text))
    words = NOT_ALNUM.sub("", text)
    return words.translate(_WIDE_TO_ASCII) if _WIDE.search(words) else words
