"""The search token rule, written once for documents and queries alike.

Documents and queries are turned into the same tokens: overlapping CJK bigrams (海尔智家 ->
海尔 尔智 智家) and lower-cased ASCII words, so a phrase query over bigrams matches exactly
the documents that contain the substring.

One-character queries: a character inside a CJK run starts a bigram (海 -> 海尔), so a prefix
match finds it; a character that ends a run starts none, so the document also carries, after
its tokens, the set of characters that end its runs (苏宁海尔 -> … 尔). Prefix match over
bigrams plus that tail is exact substring search for single characters too.

Rows written behind the application get their title's tokens from the same rule in SQL
(articles_title_tokens(), migration 0003); tests/test_search_tokens.py holds the two equal.
No Django import here: models, migrations and the import's parse workers all use this module.
"""

import html
import re

from articles.text import HAN

# One scan of the text in C gives every token in order, as strings: at each position, the
# token starting there, captured inside a lookahead: a CJK character followed by another (a
# bigram), a CJK character alone between non-CJK ones, or an ASCII word. The last character
# of a longer CJK run starts nothing here: it is already inside the run's last bigram.
# ASCII words longer than MAX_WORD_CHARS (pasted base64, hex, long tokens) are not words a
# reader types, and PostgreSQL refuses a tsvector word over 2,047 bytes: they are left out.
MAX_WORD_CHARS = 64
_TOKEN = re.compile(
    rf"(?=([{HAN}]{{2}}|(?<![{HAN}])[{HAN}](?![{HAN}])"
    rf"|(?<![A-Za-z0-9])[A-Za-z0-9]{{1,{MAX_WORD_CHARS}}}(?![A-Za-z0-9])))"
)
# PostgreSQL refuses a tsvector over 1 MiB; a story's distinct tokens stop well short of it
# (a real story has a few thousand bytes of them; a megabyte of random characters does not).
MAX_VECTOR_BYTES = 512 * 1024
_LONG_RUNS = re.compile(rf"[{HAN}]{{2,}}")
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


# From this many characters on, the tokens are cut by array operations (_long_token_text):
# their fixed cost is a scan of ~1,000 characters, and they cut a 3,000-character page dump
# in a third of the scan's time.
LONG_TEXT = 1500
_HAN_RANGES = ((0x3400, 0x9FFF), (0xF900, 0xFAFF))  # HAN, as code points
_WORD_RANGES = ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A))  # [0-9A-Za-z]


def token_text(text: str) -> str:
    """Return the search tokens of `text`, in order and space-separated: CJK bigrams and
    lower-cased ASCII words. (Lower-casing the joined tokens touches only their ASCII letters:
    CJK characters have no case.)"""
    if text and len(text) >= LONG_TEXT:
        return _long_token_text(text)
    return " ".join(_TOKEN.findall(text or "")).lower()


def _long_token_text(text: str) -> str:
    """token_text() by numpy: the same tokens (tests/test_search_tokens.py holds them equal),
    found as positions in the text's code points and gathered in one indexing."""
    import numpy as np  # only long texts: the web processes that never cut one do not load it

    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    han = np.zeros(len(codes), dtype=bool)
    for low, high in _HAN_RANGES:
        han |= (codes >= low) & (codes <= high)
    word = np.zeros(len(codes), dtype=bool)
    for low, high in _WORD_RANGES:
        word |= (codes >= low) & (codes <= high)
    before, after = np.r_[False, han[:-1]], np.r_[han[1:], False]
    length = np.zeros(len(codes), dtype=np.int64)
    length[han & after] = 2  # a bigram starts here
    length[han & ~before & ~after] = 1  # a character alone
    starts = np.flatnonzero(word & ~np.r_[False, word[:-1]])
    sizes = np.flatnonzero(word & ~np.r_[word[1:], False]) + 1 - starts
    fits = sizes <= MAX_WORD_CHARS
    length[starts[fits]] = sizes[fits]
    starts = np.flatnonzero(length)
    if not len(starts):
        return ""
    spans = length[starts] + 1  # each token and the space after it
    first = np.cumsum(spans) - spans  # where each token begins in the output
    picks = np.arange(int(spans.sum())) - np.repeat(first - starts, spans)
    picks[first + spans - 1] = len(codes)  # the space: one past the text's last code point
    out = np.concatenate([codes, np.array([0x20], dtype=np.uint32)])[picks[:-1]]
    return out.tobytes().decode("utf-32-le").lower()


def tokens(text: str) -> list[str]:
    """Return the search tokens of `text`, in order: CJK bigrams and ASCII words."""
    return token_text(text).split()


def search_document(*parts: str) -> str:
    """Return the space-separated tokens stored for an article (title, summary, body text).

    The tokens come first, in order (phrase queries rely on their positions), then the
    distinct characters that end a CJK run of two or more, for one-character queries. A part
    repeated inside a later one (a summary that is the text's first paragraph) adds nothing
    a search could find, and is left out.
    """
    phrases: list[str] = []
    tail: set[str] = set()
    for i, part in enumerate(parts):
        if not part or any(later and part.rstrip("…") in later for later in parts[i + 1:]):
            continue
        out = token_text(part)
        if out:
            phrases.append(out)
        tail.update(run[-1] for run in _LONG_RUNS.findall(part))
    return " ".join(phrases + sorted(tail))


def vector_literal(search_text: str) -> str:
    """Return the tsvector input of `search_text`: its distinct tokens, space-separated.

    Tokens hold only CJK characters and [a-z0-9], none of which tsvector's input syntax treats
    specially, so they need no quoting. They are sent in the order PostgreSQL keeps them (its
    byte order of UTF-8 is Python's order of code points): its sort then finds them sorted.
    """
    distinct = sorted(set(search_text.split()))
    literal = " ".join(distinct)
    if len(literal) * 3 <= MAX_VECTOR_BYTES:  # the usual case: small enough whatever it holds
        return literal
    kept, size = [], 0
    for token in dict.fromkeys(search_text.split()):  # first seen first: the title and summary
        size += len(token.encode()) + 8  # the word and PostgreSQL's per-word overhead
        if size > MAX_VECTOR_BYTES:
            break
        kept.append(token)
    return " ".join(kept)


def html_to_text(fragment: str) -> str:
    """Return the text of an HTML fragment as a parser reads it (an editor's body, say)."""
    if not fragment:
        return ""
    from bs4 import BeautifulSoup  # only editors' saves need it; cron runs start faster without

    return BeautifulSoup(fragment, "lxml").get_text(" ", strip=True)


def plain_text(body_html: str) -> str:
    """Return the text of sanitised body HTML cheaply (no parser: the importer cleaned it)."""
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", body_html or ""))).strip()
