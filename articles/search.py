"""Chinese full-text search: one API over SQLite and PostgreSQL.

Documents and queries are turned into the same tokens: overlapping CJK bigrams (海尔智家 ->
海尔 尔智 智家) and lower-cased ASCII words, so a phrase query over bigrams matches exactly
the documents that contain the substring. The index itself is built by migrations
0003_search and 0004_search_vector: an FTS5 table on SQLite; on PostgreSQL a GIN index over
Article.search_vector, a tsvector of the distinct tokens sent by the application (computing
to_tsvector() on the server for every insert was half of an import's time there).

One-character queries: a character inside a CJK run starts a bigram (海 -> 海尔), so a prefix
match finds it; a character that ends a run starts none, so the document also carries, after
its tokens, the set of characters that end its runs (苏宁海尔 -> … 尔). Prefix match over
bigrams plus that tail is exact substring search for single characters too.
"""

import html
import re
import unicodedata
from dataclasses import dataclass

from django.db import connection, connections, router
from django.db.models import BooleanField, Case, Q, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower, StrIndex
from django.db.models.lookups import GreaterThan
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[A-Za-z0-9]+")
# A search term: what a reader typed between spaces and punctuation (海尔智家, A股, 5G手机).
_TERMS = re.compile(rf"[{_CJK}A-Za-z0-9]+")
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")

MAX_QUERY_CHARS = 80
MAX_TERMS = 6
MAX_TERM_CHARS = 30


# One scan of the text in C gives every token in order, as strings: at each position, the
# token starting there, captured inside a lookahead: a CJK character followed by another (a
# bigram), a CJK character alone between non-CJK ones, or an ASCII word. The last character
# of a longer CJK run starts nothing here: it is already inside the run's last bigram.
# ASCII words longer than MAX_WORD_CHARS (pasted base64, hex, long tokens) are not words a
# reader types, and PostgreSQL refuses a tsvector word over 2,047 bytes: they are left out.
MAX_WORD_CHARS = 64
_TOKEN = re.compile(
    rf"(?=([{_CJK}]{{2}}|(?<![{_CJK}])[{_CJK}](?![{_CJK}])"
    rf"|(?<![A-Za-z0-9])[A-Za-z0-9]{{1,{MAX_WORD_CHARS}}}(?![A-Za-z0-9])))"
)
# PostgreSQL refuses a tsvector over 1 MiB; a story's distinct tokens stop well short of it
# (a real story has a few thousand bytes of them; a megabyte of random characters does not).
MAX_VECTOR_BYTES = 512 * 1024
_LONG_RUNS = re.compile(rf"[{_CJK}]{{2,}}")


def token_text(text: str) -> str:
    """Return the search tokens of `text`, in order and space-separated: CJK bigrams and
    lower-cased ASCII words. (Lower-casing the joined tokens touches only their ASCII letters:
    CJK characters have no case.)"""
    return " ".join(_TOKEN.findall(text or "")).lower()


def tokens(text: str) -> list[str]:
    """Return the search tokens of `text`, in order: CJK bigrams and ASCII words."""
    return token_text(text).split()


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


class TokenVectorField(TextField):
    """A tsvector column on PostgreSQL (the GIN-indexed search tokens); unused text elsewhere.

    Its value is derived, never set: on every write (save, bulk_create, the importer's bulk
    insert) it is vector_literal() of the model's `tokens_from` field, computed only when the
    row goes to PostgreSQL and cast on the way in. Other databases are sent NULL: SQLite's
    FTS5 table reads the tokens themselves.
    """

    def __init__(self, *args, tokens_from: str = "search_text", **kwargs):
        self.tokens_from = tokens_from
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.tokens_from != "search_text":
            kwargs["tokens_from"] = self.tokens_from
        return name, path, args, kwargs

    def get_internal_type(self):
        return "TokenVectorField"  # not a plain text value (see articles/ingest/bulk.py)

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else connection.data_types["TextField"]

    def pre_save(self, model_instance, add):
        alias = router.db_for_write(type(model_instance), instance=model_instance)
        if connections[alias].vendor != "postgresql":
            return None
        value = vector_literal(getattr(model_instance, self.tokens_from) or "")
        setattr(model_instance, self.attname, value)
        return value

    def get_db_prep_value(self, value, connection, prepared=False):
        if connection.vendor != "postgresql":
            return None
        return super().get_db_prep_value(value, connection, prepared)

    def get_placeholder(self, value, compiler, connection):
        return "%s::tsvector" if connection.vendor == "postgresql" else "%s"


def html_to_text(fragment: str) -> str:
    if not fragment:
        return ""
    from bs4 import BeautifulSoup  # only editors' saves need it; cron runs start faster without

    return BeautifulSoup(fragment, "lxml").get_text(" ", strip=True)


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


# The query side ------------------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    """Consecutive tokens a document must contain; the last may match as a prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class SearchQuery:
    text: str  # the query as shown back to the reader
    terms: tuple[str, ...] = ()  # the substrings matched (and highlighted)
    phrases: tuple[Phrase, ...] = ()
    problem: str = ""  # why the query cannot be run, for the reader

    def __bool__(self) -> bool:
        return bool(self.phrases) and not self.problem


def _term_phrases(term: str) -> list[Phrase]:
    """Return the phrases that together match documents containing `term` as a substring."""
    runs = _RUNS.findall(term)
    phrases: list[Phrase] = []
    current: list[str] = []
    for i, run in enumerate(runs):
        first, last = i == 0, i == len(runs) - 1
        if run[0].isascii():
            current.append(run.lower())
        elif len(run) > 1:
            current.extend(run[j : j + 2] for j in range(len(run) - 1))
        elif last:
            # Ends the term (海, A股): in the document it starts a bigram or is a tail char.
            current.append(run)
            phrases.append(Phrase(tuple(current), prefix=True))
            current = []
        elif first:
            # Starts the term (股A): in the document it ends a run, so it is only in the tail.
            phrases.append(Phrase((run,), prefix=True))
        else:
            current.append(run)  # between ASCII words the run is exactly this character
    if current:
        phrases.append(Phrase(tuple(current)))
    return phrases


def parse_query(raw: str | None) -> SearchQuery:
    """Return the reader's query split into terms and phrases, or with a `problem` to show.

    Full-width letters, digits and spaces (ＨＦＯ　５Ｇ, as Chinese input methods type them)
    count as half-width: stories are indexed in half-width.
    """
    text = unicodedata.normalize("NFKC", raw or "")
    text = _SPACE.sub(" ", text.replace("\x00", "")).strip()
    if not text:
        return SearchQuery(text="")
    if len(text) > MAX_QUERY_CHARS:
        return SearchQuery(
            text=text[:MAX_QUERY_CHARS], problem=f"搜索词太长了，请不要超过 {MAX_QUERY_CHARS} 个字。"
        )
    terms: list[str] = []
    for term in _TERMS.findall(text):
        if term.lower() not in (t.lower() for t in terms):
            terms.append(term)
    if not terms:
        return SearchQuery(text=text, problem="请输入中文、英文或数字关键词。")
    if len(terms) > MAX_TERMS or any(len(t) > MAX_TERM_CHARS for t in terms):
        return SearchQuery(
            text=text, problem=f"关键词太多或太长：最多 {MAX_TERMS} 个词，每个词不超过 {MAX_TERM_CHARS} 个字。"
        )
    phrases = tuple(p for term in terms for p in _term_phrases(term))
    return SearchQuery(text=text, terms=tuple(terms), phrases=phrases)


def fts5_match(query: SearchQuery) -> str:
    """Return the FTS5 MATCH expression for `query` (tokens are [CJK a-z 0-9] only)."""
    parts = []
    for phrase in query.phrases:
        quoted = '"' + " ".join(phrase.tokens) + '"'
        parts.append(quoted + ("*" if phrase.prefix else ""))
    return " AND ".join(parts)


def tsquery(query: SearchQuery) -> str:
    """Return the to_tsquery('simple', …) text of all tokens of `query`, ANDed.

    No phrase operator: `<->` makes PostgreSQL recheck every candidate by re-parsing its
    search_text (about a millisecond each); adjacency is checked with strpos instead, on as
    few rows as possible.
    """
    words = []
    for phrase in query.phrases:
        words.extend(phrase.tokens[:-1])
        words.append(phrase.tokens[-1] + (":*" if phrase.prefix else ""))
    return " & ".join(dict.fromkeys(words))


def _tsquery_filter(expression: str, query: SearchQuery) -> RawSQL:
    # `expression` is one of the two constants below; the query travels as a parameter.
    return RawSQL(  # noqa: S611
        f"{expression} @@ to_tsquery('simple'::regconfig, %s)",
        [tsquery(query)],
        output_field=BooleanField(),
    )


# The very expressions of the GIN indexes of migrations 0003/0004, or the indexes are not used.
_BODY_VECTOR = "\"articles_article\".\"search_vector\""
_TITLE_VECTOR = "\"articles_article\".\"title_vector\""


def _phrase_filter(query: SearchQuery) -> RawSQL:
    """Return a condition true for rows whose search_text has each phrase's tokens in a row."""
    sql, params = [], []
    for phrase in query.phrases:
        if len(phrase.tokens) > 1:
            sql.append("strpos(' ' || \"articles_article\".\"search_text\" || ' ', %s) > 0")
            params.append(" " + " ".join(phrase.tokens) + ("" if phrase.prefix else " "))
    # Only constant SQL is joined; the phrases travel as parameters.
    return RawSQL(" AND ".join(sql), params, output_field=BooleanField())  # noqa: S611


def _in_title(query: SearchQuery) -> Q:
    condition = Q()
    for term in query.terms:
        condition &= GreaterThan(StrIndex(Lower("title"), Value(term.lower())), 0)
    return condition


def _matches(query: SearchQuery):
    """Published articles with every token of `query` (on PostgreSQL, not yet adjacent)."""
    from articles.models import Article

    return filter_matching(Article.objects.published(), query, adjacent=False)


def search_articles(query: str | SearchQuery):
    """Return published articles containing every term of `query`, title hits first, newest first."""
    from articles.models import Article

    parsed = query if isinstance(query, SearchQuery) else parse_query(query)
    articles = filter_matching(Article.objects.published(), parsed)
    title_hit = Case(When(_in_title(parsed), then=Value(1)), default=Value(0))
    return articles.annotate(title_hit=title_hit).order_by("-title_hit", "-published_at", "-id")


def filter_matching(queryset, query: SearchQuery, *, adjacent: bool = True):
    """Return `queryset` (articles of any status: the admin's list) narrowed to the articles
    containing every term of `query`, through the same indexes as search_articles().

    With adjacent=False, PostgreSQL does not yet check that a phrase's tokens are adjacent
    (search_page() checks that lazily, on the few rows it shows).
    """
    if not query:
        return queryset.none()
    if connection.vendor == "postgresql":
        queryset = queryset.filter(_tsquery_filter(_BODY_VECTOR, query))
        if adjacent and any(len(p.tokens) > 1 for p in query.phrases):
            queryset = queryset.filter(_phrase_filter(query))
        return queryset
    # A join, not `id IN (SELECT rowid …)`: with the IN form SQLite walks the status/date
    # index over every published article and probes the match list; joined, the FTS5 match
    # drives and articles are read by rowid. FTS5 phrases are exact: nothing to check after.
    return queryset.extra(  # noqa: S610 (constant SQL; the match is a parameter)
        tables=["articles_article_fts"],
        where=["articles_article_fts.rowid = articles_article.id", "articles_article_fts MATCH %s"],
        params=[fts5_match(query)],
    )


# Highlighting ------------------------------------------------------------------------


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


def plain_text(body_html: str) -> str:
    """Return the text of sanitised body HTML cheaply (no parser: the importer cleaned it)."""
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", body_html or ""))).strip()


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
