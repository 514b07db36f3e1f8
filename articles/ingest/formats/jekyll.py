"""Jekyll posts: YAML front matter (title, date, categories = the publisher's key, tags = its
name) and an HTML body with the eastmoney scraper's debris (articles.ingest.cleaning)."""

import html
import math
import re
from datetime import datetime
from pathlib import Path

import yaml

from articles import identity
from articles.ingest.cleaning import clean_html, text_paragraphs_to_html
from articles.ingest.dates import SITE_TZ, date_from_code, parse_date
from articles.ingest.formats.base import InvalidYAML, NotAStory, ParseError, infer_title, summarise
from articles.text import clean_line

SHARE_LINK = re.compile(r"^\s*<(?P<url>https?://[^>\s]+)>\s*$", re.M)
NAV_LINKS = re.compile(r"\[返回[^\]]*\]\([^)]*\)\s*[｜|]?\s*")
INFO_CODE = re.compile(r"infoCode=(?P<code>[A-Za-z]{0,4}\d{8,24})", re.I)
URL_NEWS_ID = re.compile(r"/news/\d+,(?P<code>\d{16,24})\.html")
FILE_ID_DIGITS = 16  # a file name's number shorter than this is not a story number
FILE_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})-(?P<slug>.+)$")
HTML_BLOCK = re.compile(r"^\s*<[a-zA-Z!/]")
FRONT_MATTER_MAX_BYTES = 64 * 1024
FRONT_MATTER_DEPTH = 16

# What a Jekyll post's `layout:` says; any other layout (default, page, home, category …) is a
# page of the site. A post without a layout is still a post.
POST_LAYOUTS = frozenset({"post", "posts", "article", "news"})


class _FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe YAML (libyaml when present: 10x faster) that leaves dates as strings: we parse
    them ourselves, zone included."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


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


# A front-matter line as the scrapers write nearly all of them: a key, then a double-quoted
# string without escapes or a plain scalar (one that starts with no YAML indicator and holds no
# ": " or " #"). Such a block reads the same without building a YAML document, which costs
# more than the rest of a story's header (simple_fields()).
_SIMPLE_LINE = re.compile(
    r'(?P<key>[A-Za-z_][A-Za-z0-9_]*):[ ]+(?:"(?P<quoted>[^"\\]*)"'
    r"|(?P<plain>[^-?:,\[\]{}#&*!|>'\"%@`\s](?:[^:#\t]|:(?! |$)|(?<! )#)*?))[ ]*"
)


def _reads_as_text(scalar: str) -> bool:
    """Whether YAML reads the plain scalar `scalar` as a string: no implicit resolver of the
    loader (int, float, bool, null, merge, value; not timestamps, which we read) claims it."""
    resolvers = _FrontMatterLoader.yaml_implicit_resolvers
    return not any(regexp.match(scalar) for _, regexp in resolvers.get(scalar[:1], []) + resolvers.get(None, []))


def simple_fields(block: str) -> dict | None:
    """The fields of a front-matter block made only of simple `key: value` lines, as YAML
    reads them; None when a line is anything else (then YAML reads the block)."""
    if not block.replace("\n", "").isprintable():  # YAML has more line breaks than "\n"
        return None
    fields: dict[str, str] = {}
    for line in block.split("\n"):
        if not line.strip(" "):
            continue  # a blank line, as YAML skips it
        match = _SIMPLE_LINE.fullmatch(line)
        if match is None or match["key"] in fields or not _reads_as_text(match["key"]):
            return None
        if match["quoted"] is not None:
            fields[match["key"]] = match["quoted"]
        elif _reads_as_text(match["plain"]):
            fields[match["key"]] = match["plain"]
        else:
            return None
    return fields


def load_front_matter(block: str) -> dict:
    """Return the fields of a front-matter block, read in bounded time and memory."""
    size = len(block.encode())
    if size > FRONT_MATTER_MAX_BYTES:
        raise ParseError(
            f"front matter is too large ({size:,} bytes; the limit is {FRONT_MATTER_MAX_BYTES:,})"
        )
    fields = simple_fields(block)
    return fields if fields is not None else read_yaml(block)


def read_yaml(block: str) -> dict:
    """Return the fields of a front-matter block as YAML reads it (no aliases, bounded depth)."""
    loader = _FrontMatterLoader(block)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        _refuse_aliases_and_depth(node)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        # Broken syntax (the scrapers' unescaped quotes) may be read line by line; a tag YAML
        # refuses to construct (!!python/object …) is not a slip and is not worked around.
        broken = isinstance(exc, yaml.scanner.ScannerError | yaml.parser.ParserError)
        error = InvalidYAML if broken else ParseError
        raise error(f"front matter is not valid YAML{where}: {problem}") from exc
    except ParseError:
        raise
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        # What PyYAML's constructors raise for explicit tags they cannot honour
        # ("!!timestamp 2022-13-45", "!!int abc") and for integers of more than 4,300 digits.
        raise ParseError(f"front matter is not valid YAML: {str(exc)[:200]}") from exc
    finally:
        loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParseError("front matter is not a mapping of fields")
    return {str(key): _jsonable(value) for key, value in data.items()}


# A top-level field, `key: value`, as the scrapers write them, one per line; a value opening
# with one of _NOT_PLAIN is YAML structure (a list, a mapping, a tag, an anchor, a block).
_NOT_PLAIN = tuple("[{!&*|>")
_FIELD_LINE = re.compile(r"(?P<key>[A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+(?P<value>.*?))?[ \t]*")


def recover_fields(block: str) -> dict:
    """Return the `key: value` lines of a front-matter block YAML refused, as text.

    The scrapers write `title: "…"` without escaping what is inside, so a headline quoting
    someone in ASCII double quotes is not YAML; the value is what stands between the outer
    quotes, quotes inside included. Indented and repeated keys are left alone."""
    fields: dict[str, str] = {}
    for line in block.splitlines():
        match = _FIELD_LINE.fullmatch(line)
        if not match or match["key"] in fields:
            continue
        value = match["value"] or ""
        if value[:1] in _NOT_PLAIN:
            continue  # structure, not a slip of quoting
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        fields[match["key"]] = value
    return fields


def _refuse_aliases_and_depth(root: yaml.Node) -> None:
    """Raise ParseError for any alias (*name) or nesting deeper than FRONT_MATTER_DEPTH.

    An alias is its anchor's node met again; ten aliases of ten aliases ... ("billion
    laughs") make 442 bytes expand into 10^9 values. News headers never use either.
    """
    seen: set[int] = set()
    pending = [(root, 1)]
    while pending:
        node, depth = pending.pop()
        if id(node) in seen:
            raise ParseError("front matter uses YAML aliases (*name), which a news header never needs")
        seen.add(id(node))
        if depth > FRONT_MATTER_DEPTH:
            raise ParseError(f"front matter nests more than {FRONT_MATTER_DEPTH} levels deep")
        if isinstance(node, yaml.MappingNode):
            pending.extend((part, depth + 1) for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend((child, depth + 1) for child in node.value)


def _jsonable(value):
    """Return `value` as JSON both databases store and every run spells the same way."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):  # !!set: sorted, or each process would order it anew
        return sorted((_jsonable(v) for v in value), key=str)
    if isinstance(value, bytes):  # !!binary
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # .nan and .inf are not JSON: PostgreSQL's jsonb refuses them
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
        elif MARKDOWN_INLINE.search(block):
            html_parts.append(text_paragraphs_to_html(text_paragraphs))
            text_paragraphs = []
            html_parts.extend(f"<p>{_inline_markdown(line)}</p>" for line in block.splitlines() if line.strip())
        else:
            text_paragraphs.extend(line.strip() for line in block.splitlines() if line.strip())
    html_parts.append(text_paragraphs_to_html(text_paragraphs))
    return "".join(html_parts), " ".join(line for line in digest_lines if line)


# Markdown pictures and links in a post's text: ![alt](url "title") and [text](url).
MARKDOWN_INLINE = re.compile(
    r"(?P<image>!)?\[(?P<label>[^\]\n]*)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"\n]*\")?\)"
)


def _inline_markdown(line: str) -> str:
    """One line of Markdown text as HTML: its pictures and links made elements, the rest
    escaped (the cleaner then judges them like any other picture or link)."""
    out, last = [], 0
    for match in MARKDOWN_INLINE.finditer(line):
        out.append(html.escape(line[last:match.start()], quote=False))
        label, url = html.escape(match["label"]), html.escape(match["url"])
        out.append(f'<img src="{url}" alt="{label}">' if match["image"] else f'<a href="{url}">{label}</a>')
        last = match.end()
    out.append(html.escape(line[last:], quote=False))
    return "".join(out).strip()


def _file_identity(name: str) -> tuple[str | None, str | None]:
    """Return (date prefix 'YYYY/MM/DD' or None, Jekyll slug) from a post's file name."""
    stem = Path(name).stem
    match = FILE_DATE.match(stem)
    if match:
        return f"{match['y']}/{match['m']}/{match['d']}", match["slug"]
    return None, stem


def parse_jekyll(text: str, *, name: str, now: datetime) -> dict:
    fm_block, body = split_front_matter(text)
    warnings: list[str] = []
    try:
        fm = load_front_matter(fm_block)
    except InvalidYAML as exc:
        fm = recover_fields(fm_block)
        if not (fm.get("title") or fm.get("date")):
            raise
        warnings.append(f"{exc}; its fields were read line by line")
    layout = fm.get("layout")
    if layout is not None and str(layout).strip().lower() not in POST_LAYOUTS:
        raise NotAStory(f"a page of the site (layout: {str(layout)[:40]}), not a news post")
    inferred: set[str] = set()

    original_url = None
    share = SHARE_LINK.findall(body)
    if share:
        original_url = share[-1]
    body = SHARE_LINK.sub("", body)
    body = NAV_LINKS.sub("", body)
    html_body, digest = _markdown_body_to_html(body)
    cleaned = clean_html(html_body)
    warnings.extend(cleaned.warnings)

    external_id = None
    for pattern, haystack in ((INFO_CODE, original_url), (URL_NEWS_ID, original_url)):
        match = pattern.search(haystack or "")
        if match:
            external_id = match.group("code")
            break
    file_date, file_slug = _file_identity(name)
    if not external_id:
        # Post files are named after the story id: 2022-05-12-NW2022….md, -2022….md, …-2.md
        match = identity.STORY_NUMBER.fullmatch(re.sub(r"^-|-\d$", "", file_slug or ""))
        if match and len(match["digits"]) >= FILE_ID_DIGITS:
            external_id = match[0]
    external_id = identity.canonical(external_id)

    title = _field_text(fm.get("title"))
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

    source_key = _field_text(fm.get("categories")) or None
    feed_name = source_name_from_label(_field_text(fm.get("tags")))

    # Jekyll's permalink used the file's slug; seeds renamed by the scraper keep only the id.
    legacy_slug = re.sub(r"-\d$", "", file_slug) if file_date else external_id
    legacy_path = None
    if source_key and published_at and legacy_slug:
        day = file_date or published_at.astimezone(SITE_TZ).strftime("%Y/%m/%d")
        legacy_path = f"/{source_key}/{day}/{legacy_slug}.html"

    body_html, body_text = cleaned.html, cleaned.text
    if not body_text.strip():
        if digest:  # the digest was the whole story: it becomes the body
            body_html, body_text = text_paragraphs_to_html([digest]) + body_html, digest
        elif "<img" not in body_html:
            raise ParseError("the post has no story text (front matter only, or only debris)")
    return {
        "format": "jekyll",
        "title": title,
        "published_at": published_at,
        "body": body_html,
        "text": body_text,
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


def _field_text(value) -> str:
    """A front-matter field as one line of text: a list gives its first item, a mapping nothing."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, dict | list):
        return ""
    return clean_line(str(value))


def source_name_from_label(label: str) -> str | None:
    """'中国经济网新闻' names the publisher 中国经济网; '东财滚动新闻' is itself a feed's name."""
    if not label:
        return None
    if label.endswith("新闻") and len(label) > 4 and not label.endswith(("滚动新闻", "要闻新闻")):
        return label[: -len("新闻")]
    return label



def sniff(text: str) -> bool:
    """A Jekyll post opens with a front-matter block."""
    return split_front_matter(text) is not None


parse = parse_jekyll
