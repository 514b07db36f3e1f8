"""Bytes -> ParsedArticle. Pure functions: no ORM, no database, no clock but the one passed in."""

import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from articles.ingest.cleaning import StockRef, clean_html, text_paragraphs_to_html
from articles.ingest.plaintext import parse_text_dump
from articles.search import search_document, vector_literal
from articles.text import story_slug

SITE_TZ = ZoneInfo("Asia/Shanghai")
EARLIEST = datetime(1990, 1, 1, tzinfo=SITE_TZ)
FUTURE_SLACK = timedelta(days=1)
SUMMARY_LENGTH = 140

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
SHARE_LINK = re.compile(r"^\s*<(?P<url>https?://[^>\s]+)>\s*$", re.M)
NAV_LINKS = re.compile(r"\[返回[^\]]*\]\([^)]*\)\s*[｜|]?\s*")
INFO_CODE = re.compile(r"infoCode=(?P<code>[A-Za-z]{0,4}\d{8,24})", re.I)
URL_NEWS_ID = re.compile(r"/news/\d+,(?P<code>\d{16,24})\.html")
FILE_ID = re.compile(r"(?P<code>(?:NW)?\d{16,24})", re.I)
FILE_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})-(?P<slug>.+)$")
HTML_BLOCK = re.compile(r"^\s*<[a-zA-Z!/]")
DATE_STRING = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
CN_MONTH_DAY = re.compile(r"(?:(?P<y>(?:19|20)\d{2})年)?(?P<m>1[0-2]|0?[1-9])月(?P<d>3[01]|[12]\d|0?[1-9])日")
YEAR_MENTION = re.compile(r"(?<!\d)(?P<y>20[0-4]\d)(?!\d)")
TITLE_MAX = 60


class ParseError(ValueError):
    """A file that cannot be imported; the message is meant for the operator."""


@dataclass(frozen=True)
class ParsedArticle:
    format: str  # "jekyll" or "text"
    title: str
    published_at: datetime | None
    body: str
    summary: str
    text: str
    content_hash: str
    fingerprint: str
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
    search_vector: str = ""  # their distinct set, as PostgreSQL's tsvector input
    slug: str = ""  # the story's address part (pinyin of a Chinese title): also spared the storer


class _FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe YAML (libyaml when present: 10x faster) that leaves dates as strings: we parse
    them ourselves, zone included."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


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
    if b"\x00" in data[:4096]:
        raise ParseError("binary file (contains NUL bytes), not a news text")
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
    odd = sum(1 for ch in text if unicodedata.category(ch) in {"Co", "Cn", "Cc"})
    if han < 2 or odd > len(text) * 0.02:
        raise ParseError("undecodable text: not UTF-8, and not plausible GB18030/GBK either")
    return text


def normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_CHARS.sub("", text)


# Python's \w is str.isalnum() plus "_": this keeps exactly the characters isalnum() keeps.
NOT_ALNUM = re.compile(r"[\W_]+")


def fingerprint_of(title: str, text: str) -> str:
    """Return a hash of the story's words, blind to spacing, punctuation and markup."""
    words = NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text))
    if len(words) < 20:  # too short to tell stories apart by body alone
        words = NOT_ALNUM.sub("", unicodedata.normalize("NFKC", title)) + words
    return hashlib.sha256(words.encode()).hexdigest()


def parse_date(value, *, now: datetime) -> tuple[datetime | None, str | None]:
    """Return (aware datetime, problem) for a front-matter date; naive times are Shanghai time."""
    if value is None:
        return None, None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=SITE_TZ)
    else:
        raw = str(value).strip()
        if not raw or re.fullmatch(r"[+-]\d{4}", raw):
            return None, None
        match = DATE_STRING.match(raw)
        if not match:
            return None, f"unreadable date {raw!r}"
        parts = {k: int(v) for k, v in match.groupdict().items() if v and k != "tz"}
        try:
            moment = datetime(
                parts["y"], parts["m"], parts["d"], parts.get("H", 0), parts.get("M", 0),
                parts.get("S", 0), tzinfo=SITE_TZ,
            )
        except ValueError:
            return None, f"impossible date {raw!r}"
        tz = match.group("tz")
        if tz and tz != "Z":
            sign = 1 if tz[0] == "+" else -1
            digits = tz[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            moment = moment.replace(tzinfo=None) - sign * offset
            moment = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(SITE_TZ)
        elif tz == "Z":
            moment = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(SITE_TZ)
    return _plausible(moment, now=now, label=str(value))


def _plausible(moment: datetime, *, now: datetime, label: str) -> tuple[datetime | None, str | None]:
    if moment < EARLIEST:
        return None, f"date {label} is before 1990"
    if moment > now + FUTURE_SLACK:
        return None, f"date {label} is in the future"
    return moment, None


def date_from_code(code: str | None, *, now: datetime) -> datetime | None:
    """The first eight digits of an eastmoney info code are the story's date."""
    if not code:
        return None
    digits = re.sub(r"\D", "", code)[:8]
    try:
        moment = datetime.strptime(digits, "%Y%m%d").replace(tzinfo=SITE_TZ)
    except ValueError:
        return None
    return _plausible(moment, now=now, label=digits)[0]


def date_from_text(text: str, *, now: datetime) -> datetime | None:
    """Infer a date from '9月21日' in the story and a year it mentions (2022京东…)."""
    match = CN_MONTH_DAY.search(text)
    if not match:
        return None
    year = match.group("y")
    if not year:
        mention = YEAR_MENTION.search(text)
        year = mention.group("y") if mention else None
    if not year:
        return None
    try:
        moment = datetime(int(year), int(match.group("m")), int(match.group("d")), tzinfo=SITE_TZ)
    except ValueError:
        return None
    return _plausible(moment, now=now, label=moment.date().isoformat())[0]


def summarise(text: str, length: int = SUMMARY_LENGTH) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= length:
        return text
    cut = text[:length]
    end = max(cut.rfind("。"), cut.rfind("！"), cut.rfind("？"))
    return cut[: end + 1] if end >= length // 2 else cut.rstrip() + "…"


def infer_title(text: str) -> str:
    first = re.split(r"[。！？!?\n]", text.strip(), maxsplit=1)[0].strip()
    return first if len(first) <= TITLE_MAX else first[: TITLE_MAX - 1] + "…"


def split_front_matter(text: str) -> tuple[str, str] | None:
    """Return (yaml, body) when `text` opens with a Jekyll front-matter block."""
    stripped = text.lstrip("\ufeff \t\n")
    if not stripped.startswith("---"):
        return None
    first_line, _, rest = stripped.partition("\n")
    if first_line.strip() != "---":
        return None
    match = re.search(r"^(?:---|\.\.\.)[ \t]*$", rest, re.M)
    if not match:
        raise ParseError("front matter is not closed by '---' (truncated file?)")
    return rest[: match.start()], rest[match.end():].lstrip("\n")


def load_front_matter(block: str) -> dict:
    try:
        data = yaml.load(block, Loader=_FrontMatterLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParseError(f"front matter is not valid YAML{where}: {problem}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParseError("front matter is not a mapping of fields")
    return {str(key): _jsonable(value) for key, value in data.items()}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _markdown_body_to_html(body: str) -> tuple[str, str]:
    """Return (html, digest): '> ' blocks are the digest, HTML blocks pass, text becomes <p>."""
    digest_lines: list[str] = []
    html_parts: list[str] = []
    text_paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", body):
        block = block.strip()
        if not block:
            continue
        if block.startswith(">"):
            digest_lines.extend(line.lstrip(">").strip() for line in block.splitlines())
        elif HTML_BLOCK.match(block):
            html_parts.append(text_paragraphs_to_html(text_paragraphs))
            text_paragraphs = []
            html_parts.append(block)
        else:
            text_paragraphs.extend(line.strip() for line in block.splitlines() if line.strip())
    html_parts.append(text_paragraphs_to_html(text_paragraphs))
    return "".join(html_parts), " ".join(line for line in digest_lines if line)


def _file_identity(name: str) -> tuple[str | None, str | None]:
    """Return (date prefix 'YYYY/MM/DD' or None, Jekyll slug) from a post's file name."""
    stem = Path(name).stem
    match = FILE_DATE.match(stem)
    if match:
        return f"{match['y']}/{match['m']}/{match['d']}", match["slug"]
    return None, stem


def parse_jekyll(text: str, *, name: str, now: datetime) -> dict:
    fm_block, body = split_front_matter(text)
    fm = load_front_matter(fm_block)
    warnings: list[str] = []
    inferred: set[str] = set()

    original_url = None
    share = SHARE_LINK.findall(body)
    if share:
        original_url = share[-1]
    body = SHARE_LINK.sub("", body)
    body = NAV_LINKS.sub("", body)
    html_body, digest = _markdown_body_to_html(body)
    cleaned = clean_html(html_body)

    external_id = None
    for pattern, haystack in ((INFO_CODE, original_url), (URL_NEWS_ID, original_url)):
        match = pattern.search(haystack or "")
        if match:
            external_id = match.group("code")
            break
    file_date, file_slug = _file_identity(name)
    if not external_id:
        # Post files are named after the story id: 2022-05-12-NW2022….md, -2022….md, …-2.md
        match = FILE_ID.fullmatch(re.sub(r"^-|-\d$", "", file_slug or ""))
        if match:
            external_id = match.group("code")
    if external_id and external_id[:2].lower() == "nw":
        external_id = "NW" + external_id[2:]

    title = str(fm.get("title") or "").strip()
    published_at, problem = parse_date(fm.get("date"), now=now)
    if problem:
        warnings.append(problem)
    if published_at is None:
        published_at = date_from_code(external_id, now=now)
        if published_at is None and file_date:
            published_at = date_from_code(file_date.replace("/", ""), now=now)
        inferred.add("published_at")
    if not title:
        title = infer_title(digest or cleaned.text) or "（无标题）"
        inferred.add("title")

    source_key = str(fm.get("categories") or "").strip() or None
    if isinstance(fm.get("categories"), list):
        source_key = str(fm["categories"][0]) if fm["categories"] else None
    label = fm.get("tags")
    label = (label[0] if label else "") if isinstance(label, list) else str(label or "")
    feed_name = source_name_from_label(label.strip())

    # Jekyll's permalink used the file's slug; seeds renamed by the scraper keep only the id.
    legacy_slug = re.sub(r"-\d$", "", file_slug) if file_date else external_id
    legacy_path = None
    if source_key and published_at and legacy_slug:
        day = file_date or published_at.astimezone(SITE_TZ).strftime("%Y/%m/%d")
        legacy_path = f"/{source_key}/{day}/{legacy_slug}.html"

    return {
        "format": "jekyll",
        "title": title,
        "published_at": published_at,
        "body": cleaned.html,
        "text": cleaned.text,
        "summary": summarise(digest or cleaned.text),
        "source_name": cleaned.source_name,
        "feed_name": feed_name,
        "source_key": source_key,
        "external_id": external_id,
        "original_url": original_url,
        "legacy_path": legacy_path,
        "stocks": cleaned.stocks,
        "tags": cleaned.boards,
        "front_matter": fm,
        "inferred": frozenset(inferred),
        "warnings": tuple(warnings),
    }


def source_name_from_label(label: str) -> str | None:
    """'中国经济网新闻' names the publisher 中国经济网; '东财滚动新闻' is itself a feed's name."""
    if not label:
        return None
    if label.endswith("新闻") and len(label) > 4 and not label.endswith(("滚动新闻", "要闻新闻")):
        return label[: -len("新闻")]
    return label


def parse_text(text: str, *, now: datetime) -> dict:
    dump = parse_text_dump(text)
    if not dump.blocks:
        raise ParseError("no story text found (only the host site's footer?)")
    story_text = dump.text
    paragraphs = [b.text for b in dump.blocks if b.kind == "p"]
    title = dump.first("caption") or dump.first("subhead") or infer_title(paragraphs[0] if paragraphs else story_text)
    published_at = date_from_text(story_text, now=now)
    return {
        "format": "text",
        "title": title,
        "published_at": published_at,
        "body": dump.body_html,
        "text": story_text,
        "summary": summarise(paragraphs[0] if paragraphs else story_text),
        "source_name": dump.source_name,
        "inferred": frozenset({"title", "published_at"}),
    }


def parse_bytes(data: bytes, *, name: str = "", now: datetime | None = None) -> ParsedArticle:
    """Return the ParsedArticle in `data`; raise ParseError with an operator-readable reason."""
    now = now or datetime.now(tz=SITE_TZ)
    content_hash = hashlib.sha256(data).hexdigest()
    text = normalise_text(decode(data))
    if not text.strip():
        raise ParseError("file is empty")
    if split_front_matter(text) is not None:
        fields = parse_jekyll(text, name=name, now=now)
    else:
        if text.lstrip().startswith("<") and "</" in text:
            raise ParseError("bare HTML without front matter is not a known news format")
        fields = parse_text(text, now=now)
    if not fields["text"].strip() and not fields["title"].strip():
        raise ParseError("no title and no story text")
    search_text = search_document(fields["title"], fields["summary"], fields["text"])
    return ParsedArticle(
        content_hash=content_hash,
        fingerprint=fingerprint_of(fields["title"], fields["text"]),
        search_text=search_text,
        search_vector=vector_literal(search_text),
        slug=story_slug(fields.get("external_id"), fields["title"]),
        **fields,
    )


def parse_file(path: Path | str, *, max_bytes: int | None = None, now: datetime | None = None) -> ParsedArticle:
    """Return the ParsedArticle in the file at `path`; raise ParseError for any unreadable file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise ParseError(f"file is too large ({size:,} bytes; the limit is {max_bytes:,})")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ParseError("file not found (a broken symlink, or removed while importing)") from exc
    except PermissionError as exc:
        raise ParseError("permission denied reading the file") from exc
    except IsADirectoryError as exc:
        raise ParseError("is a directory, not a file") from exc
    except OSError as exc:
        raise ParseError(f"cannot read the file: {exc.strerror or exc}") from exc
    return parse_bytes(data, name=path.name, now=now)
