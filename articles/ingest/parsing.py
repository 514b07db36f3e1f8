"""Bytes -> ParsedArticle. Pure functions: no ORM, no database, no clock but the one passed in."""

import codecs
import hashlib
import re
import sys
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from articles import columns
from articles.clusters.likeness import Likeness
from articles.ingest.cleaning import StockRef
from articles.ingest.dates import SITE_TZ, plausible
from articles.ingest.formats import parse_story
from articles.ingest.formats.base import InvalidYAML, NotAStory, ParseError, infer_title, summarise
from articles.ingest.reading import Refused, read_file
from articles.search.tokens import search_document
from articles.stocks import coded_mentions
from articles.text import alnum_nfkc, clean_line, story_slug

__all__ = ["SITE_TZ", "InvalidYAML", "NotAStory", "ParseError", "ParsedArticle", "infer_title", "parse_bytes",
           "parse_file", "summarise"]


# Control characters, and the bidirectional embeddings, overrides and isolates, which can make
# a story read differently from what its characters say (U+202E turns the text around).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


@dataclass(frozen=True)
class ParsedArticle:
    format: str  # "jekyll" or "text"
    title: str
    published_at: datetime | None
    body: str
    summary: str
    text: str
    content_hash: str
    fingerprint: str | None  # None: a numbered reprint, which leaves the words to the first
    source_name: str | None = None  # named by the story itself (文章来源, the host's footer)
    feed_name: str | None = None  # named by the feed it came through (front matter tags)
    source_key: str | None = None
    external_id: str | None = None
    original_url: str | None = None
    legacy_path: str | None = None
    stocks: tuple[StockRef, ...] = ()
    tags: tuple[str, ...] = ()
    front_matter: dict = field(default_factory=dict)
    inferred: frozenset[str] = frozenset()
    warnings: tuple[str, ...] = ()
    search_text: str = ""  # the search index's tokens, computed here to spare the storing process
    slug: str = ""  # the story's address part (pinyin of a Chinese title): also spared the storer
    category_id: int | None = None  # the section rules' pick, made where the text is at hand
    # Companies the text names without a code (ditto): the stock ids of each name found.
    suggested_stock_ids: tuple[tuple[int, ...], ...] = ()
    # What tells a reprint of another story (articles/clusters): computed where the text is.
    likeness: Likeness | None = None


def decode(data: bytes) -> str:
    """Return the text of `data`: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030."""
    if not data.strip():
        raise ParseError("file is empty")
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ParseError(f"not valid {encoding} text despite its byte-order mark") from exc
    nuls = data.count(b"\x00")
    if nuls:
        # Scrapers leave a stray NUL in a text now and then: it is dropped. A binary file
        # (an image, an archive, a document) is full of them: more than one byte in a hundred.
        if nuls * 100 > len(data):
            raise ParseError("binary file (contains NUL bytes), not a news text")
        data = data.replace(b"\x00", b"")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"undecodable text: neither UTF-8 nor GB18030 (bad byte at offset {exc.start})"
        ) from exc
    # GB18030 decodes almost any byte soup; accept it only if it reads as Chinese text.
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    odd = sum(1 for ch in text if unicodedata.category(ch) in {"Co", "Cn", "Cc"} and ch not in "\t\n\r")
    if han < 2 or odd > len(text) * 0.02:
        raise ParseError("undecodable text: not UTF-8, and not plausible GB18030/GBK either")
    return text


def normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_CHARS.sub("", text)


def fingerprint_of(title: str, text: str) -> str:
    """Return a hash of the story's words, blind to spacing, punctuation and markup."""
    words = alnum_nfkc(text)
    if len(words) < 20:  # too short to tell stories apart by body alone
        words = alnum_nfkc(title) + words
    return hashlib.sha256(words.encode()).hexdigest()


def parse_bytes(
    data: bytes, *, name: str = "", now: datetime | None = None, modified: datetime | None = None
) -> ParsedArticle:
    """Return the ParsedArticle in `data`; raise ParseError with an operator-readable reason.

    `modified`, the file's modification time, is the story's date when nothing in the file
    gives a believable one (the date is then flagged as inferred either way)."""
    now = now or datetime.now(tz=SITE_TZ)
    content_hash = hashlib.sha256(data).hexdigest()
    text = normalise_text(decode(data))
    if not text.strip():
        raise ParseError("file is empty")
    fields = parse_story(text, name=name, now=now)
    if not fields["text"].strip() and not clean_line(fields["title"]):
        raise ParseError("no title and no story text")
    fields["stocks"] = with_coded_mentions(fields.get("stocks", ()), fields["title"] + "\n" + fields["text"])
    fields = fit_columns(fields)
    if fields["published_at"] is None and modified is not None:
        fields["published_at"], problem = plausible(modified, now=now, label=f"{modified:%Y-%m-%d %H:%M}")
        fields["warnings"] = (*fields.get("warnings", ()), problem or (
            "no believable date in the story: the file's modification time is used"))
    search_text = search_document(fields["title"], fields["summary"], fields["text"])
    return ParsedArticle(
        content_hash=content_hash,
        fingerprint=fingerprint_of(fields["title"], fields["text"]),
        search_text=search_text,
        slug=story_slug(fields.get("external_id"), fields["title"]),
        **fields,
    )


def with_coded_mentions(charts, text: str) -> tuple[StockRef, ...]:
    """The stocks of the publisher's chart blocks, then those the text writes with their codes
    (贵州茅台(600519), 潍柴动力（000338.SZ）): a code in the text links as surely as a chart."""
    refs = list(charts)
    seen = {(ref.market, ref.code) for ref in refs}
    for mention in coded_mentions(text):
        if (mention.market, mention.code) not in seen:
            seen.add((mention.market, mention.code))
            refs.append(StockRef(mention.market, mention.code, mention.name, in_text=True,
                                 suffixed=mention.suffixed))
    return tuple(refs)


def fit_columns(fields: dict) -> dict:
    """Return `fields` as they will be shown and stored: names and titles through clean_line(),
    and every value within its column (articles/columns.py). Text too long is cut; an
    identifier, address or name too long is dropped. Each change leaves a warning."""
    warnings = list(fields.get("warnings", ()))

    def fits(label: str, value: str | None, width: int) -> str | None:
        if value and len(value) > width:
            warnings.append(f"{label} dropped: {len(value):,} characters, the limit is {width}")
            return None
        return value or None

    title = clean_line(fields["title"]) or "（无标题）"
    if len(title) > columns.TITLE:
        warnings.append(f"title cut to {columns.TITLE} characters (it had {len(title):,})")
        title = title[: columns.TITLE - 1] + "…"
    tags: list[str] = []
    for tag in fields.get("tags", ()):
        name = fits("tag", clean_line(tag), columns.TAG_NAME)
        if name and name not in tags:
            tags.append(name)
    stocks = []
    for stock in fields.get("stocks", ()):
        if fits("stock code", stock.code, columns.STOCK_CODE):
            name = fits("stock name", clean_line(stock.name), columns.STOCK_NAME) or ""
            stocks.append(stock if name == stock.name else replace(stock, name=name))
    return {
        **fields,
        "title": title,
        "summary": clean_line(fields["summary"]),
        "source_name": fits("source name", clean_line(fields.get("source_name") or ""), columns.SOURCE_NAME),
        "feed_name": fits("feed name", clean_line(fields.get("feed_name") or ""), columns.SOURCE_NAME),
        "source_key": fits("source key", clean_line(fields.get("source_key") or ""), columns.SOURCE_KEY),
        "external_id": fits("story id", fields.get("external_id"), columns.EXTERNAL_ID),
        "original_url": fits("original link", fields.get("original_url"), columns.URL),
        "legacy_path": fits("old site path", fields.get("legacy_path"), columns.LEGACY_PATH),
        "tags": tuple(tags),
        "stocks": tuple(stocks),
        "warnings": tuple(warnings),
    }


def parse_file(path: Path | str, *, max_bytes: int | None = None, now: datetime | None = None) -> ParsedArticle:
    """Return the ParsedArticle in the file at `path`; raise ParseError for any unreadable file."""
    try:  # read as the importer reads: regular files only, the cap counted while reading
        read = read_file(str(path), max_bytes=max_bytes or sys.maxsize, roots=())
    except Refused as exc:
        raise ParseError(str(exc)) from exc
    return parse_bytes(read.data, name=Path(path).name, now=now)
