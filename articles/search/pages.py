"""One page of search results, fast whatever the size of the archive.

Ranking (title hits first, then newest first) is search_articles() in filters.py;
this module produces the same order page by page without sorting every match. On SQLite the
FTS5 query is exact and ranked in one go. On PostgreSQL the GIN index gives candidates that
contain every token, and:

- title hits come from the index over the titles' tokens, sorted here (one heap visit each);
- other matches of a rare query are sorted here too; for a common one (CANDIDATES or more,
  judged by the index's lexeme statistics) the newest articles are checked one by one with
  strpos, which fills a page within a few rows;
- a phrase's tokens are checked for adjacency (strpos on search_text) only on the rows
  about to be shown, lazily.
"""

import math
import time
from dataclasses import dataclass

from django.db import connection, connections, router

from articles import reads
from articles.models import Article
from articles.search.filters import (
    TITLE_VECTOR,
    filter_matching,
    in_title,
    phrase_filter,
    search_articles,
    tsquery_filter,
)
from articles.search.query import SearchQuery, parse_query


@dataclass
class SearchPage:
    """One page of results; no total count (counting every match is the slow part)."""

    query: SearchQuery
    number: int
    per_page: int
    articles: list
    has_next: bool

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous()

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1

    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1


MAX_PAGES = 10
# On PostgreSQL, a query with fewer matches than CANDIDATES is ranked from the GIN index's
# candidates in Python; a more common one checks the RECENT newest articles (_body_hits).
CANDIDATES = 5000
RECENT = 1500
# The most titles checked among the newest when a word is common in titles: enough to fill a page
# for a word in one title of 1,000 (a window grows with how rare the word is, up to this).
RECENT_TITLES_MOST = 20_000


def search_page(query: str | SearchQuery, *, page: int = 1, per_page: int = 20,
                stocks: list[int] = ()) -> SearchPage:
    """Return page `page` of the results for `query`, in a bounded number of queries; with
    `stocks` (the companies the query names), the stories linked to them follow the text's
    matches, however their text names the company."""
    parsed = query if isinstance(query, SearchQuery) else parse_query(query)
    page = max(1, min(page, MAX_PAGES))
    if not parsed:
        return SearchPage(parsed, page, per_page, [], False)
    offset = (page - 1) * per_page
    wanted = offset + per_page + 1  # one more tells whether there is a next page
    if connection.vendor == "postgresql":
        ids = _title_hits(parsed, wanted)
        if len(ids) < wanted:
            ids += _body_hits(parsed, wanted - len(ids))
    else:  # FTS5 phrase matches are exact and cheap to rank in one query
        ids = list(search_articles(parsed).values_list("pk", flat=True)[:wanted])
    if stocks and len(ids) < wanted:
        seen = set(ids)
        ids += [pk for pk in _linked_to(stocks, wanted) if pk not in seen][: wanted - len(ids)]
    ids = ids[offset:]
    articles = reads.stories(ids[:per_page])
    return SearchPage(parsed, page, per_page, articles, len(ids) > per_page and page < MAX_PAGES)


def _linked_to(stock_ids: list[int], limit: int) -> list[int]:
    """Ids of the newest `limit` published stories linked to any of the stocks."""
    return list(Article.objects.published().filter(stocks__in=stock_ids).order_by("-published_at", "-id")
                .values_list("pk", flat=True).distinct()[:limit])


def _title_hits(query: SearchQuery, limit: int) -> list[int]:
    """Return ids of the newest `limit` articles whose title contains every term.

    Titles rarely hold the words: then the title index's matches are sorted by date (left
    to itself, the planner would walk the date index checking every title). When the words
    are common in titles (by the title index's statistics), the newest RECENT articles are
    checked first, which fills a page in a few rows when hits are spread over time; only if
    they cluster in the past are all title hits sorted, a cost bounded by how many there are.
    """
    hits = (
        Article.objects.published()
        .filter(tsquery_filter(TITLE_VECTOR, query))
        .filter(in_title(query))
        .values_list("pk", "published_at")
        .order_by()  # the model's ordering would sort every match before any LIMIT
    )
    estimate = _estimate(query, _TITLE_STATS)
    if estimate >= CANDIDATES:
        # Enough of the newest titles to hold twice a page of hits at the word's frequency.
        share = estimate / max(_LEXEME_STATS[_TITLE_STATS]["rows"], 1)
        window = min(max(RECENT, math.ceil(2 * limit / share)), RECENT_TITLES_MOST)
        recent = _newest_among_recent(
            Article.objects.published(), "title", "strpos(lower(recent.title), %s) > 0",
            [term.lower() for term in query.terms], limit, window=window,
        )
        if len(recent) >= limit:
            return recent
    return _newest_of(hits, limit)


def _newest_of(rows, limit: int | None) -> list[int]:
    """Return the ids of the newest `limit` (None: all) of `rows`, an unordered
    (pk, published_at) query.

    Sorted by PostgreSQL (a top-N sort) over the index's matches: `OFFSET 0` keeps the
    planner from turning the ORDER BY … LIMIT into a walk of the date index that checks
    every row, and no row but the ids wanted crosses to Python.
    """
    inner, params = rows.query.sql_with_params()
    sql = (
        f"SELECT hits.pk FROM ({inner} OFFSET 0) AS hits "  # noqa: S608 (ORM SQL)
        "ORDER BY hits.published_at DESC, hits.pk DESC LIMIT %s"
    )
    with connections[rows.db].cursor() as cursor:  # where the ORM would read (a replica, for readers)
        cursor.execute(sql, [*params, limit])
        return [row[0] for row in cursor.fetchall()]


def _body_hits(query: SearchQuery, limit: int) -> list[int]:
    """Return ids of the newest `limit` matches whose title does not contain every term.

    A rare query's GIN candidates are sorted by date in PostgreSQL (all of them when phrase
    adjacency must then be checked along the ranking). Sorting a common one would
    touch every match, so the newest articles are checked one by one with strpos instead,
    which finds a page within a few rows; only a common set of tokens whose phrase is rare
    (中国经济 where 中国, 国经, 经济 abound) falls through to ranking every candidate.
    The frequencies ANALYZE keeps for the index's lexemes pick the way (see _estimate).
    """
    # Published articles with every token of `query`, phrases not yet checked for adjacency.
    matches = filter_matching(Article.objects.published(), query, adjacent=False)
    matches = matches.exclude(in_title(query)).values_list("pk", "published_at").order_by()
    common = _estimate(query) >= CANDIDATES or _at_least(matches, CANDIDATES)  # (the estimate was low)
    if common:
        found = _newest_among_recent(
            Article.objects.published().exclude(in_title(query)), "search_text",
            "strpos(' ' || recent.search_text || ' ', %s) > 0",
            [phrase.needle for phrase in query.phrases], limit,
        )
        if len(found) >= limit:
            return found
    if not any(len(p.tokens) > 1 for p in query.phrases):
        return _newest_of(matches, limit)
    return _adjacent(_newest_of(matches, None), query, limit)


def _at_least(rows, count: int) -> bool:
    """Whether the query `rows` has `count` rows, counting no further (none cross to Python)."""
    inner, params = rows[:count].query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({inner}) AS enough", params)  # noqa: S608 (ORM SQL)
        return cursor.fetchone()[0] >= count


# Where ANALYZE keeps the lexeme frequencies: the body's and the title's vector columns.
_BODY_STATS = "s.tablename = 'articles_article' AND s.attname = 'search_vector'"
_TITLE_STATS = "s.tablename = 'articles_article' AND s.attname = 'title_vector'"
_LEXEME_STATS: dict[str, dict] = {}
_STATS_SQL = (
    "SELECT c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs"
    " FROM pg_class c LEFT JOIN pg_stats s ON {where} WHERE c.relname = 'articles_article'"
)


def _estimate(query: SearchQuery, where: str = _BODY_STATS) -> float:
    """Return about how many articles contain the least frequent token of `query`.

    From the statistics ANALYZE keeps for the index's lexemes (read once per process
    every ten minutes). Not the planner's estimate for the whole query: it multiplies the
    tokens' frequencies as if they were independent, which a word's bigrams never are.
    """
    stats = _LEXEME_STATS.setdefault(where, {"until": 0.0})
    if time.monotonic() > stats["until"]:
        with connections[router.db_for_read(Article)].cursor() as cursor:
            cursor.execute(_STATS_SQL.format(where=where))  # both parts are constants above
            rows, elements, freqs = cursor.fetchone() or (0, None, None)
        frequency = dict(zip(elements or [], freqs or [], strict=False))
        # As PostgreSQL does for a lexeme missing from the list: half the rarest listed one.
        stats.update(rows=max(rows, 0), frequency=frequency, floor=min(frequency.values(), default=0) / 2,
                     until=time.monotonic() + 600)
    least = 1.0
    for phrase in query.phrases:
        for i, token in enumerate(phrase.tokens):
            if phrase.prefix and i == len(phrase.tokens) - 1:
                share = sum(f for word, f in stats["frequency"].items() if word.startswith(token))
            else:
                share = stats["frequency"].get(token, stats["floor"])
            least = min(least, share or stats["floor"])
    return stats["rows"] * least


def _newest_among_recent(articles, column: str, check: str, values: list[str], limit: int, *,
                         window: int = RECENT) -> list[int]:
    """Return up to `limit` ids among the newest `window` of `articles` for which the SQL
    condition `check` (on `recent.<column>`) holds with each of `values`, newest first."""
    recent = articles.order_by("-published_at", "-id").values("id", "published_at", column)[:window]
    inner, params = recent.query.sql_with_params()
    checks = " AND ".join([check] * len(values))
    # A subquery in FROM so that the scan of the date index stops as soon as `limit` rows
    # pass (the ORM would turn it into an IN (…) that reads all RECENT rows first).
    sql = (
        f"SELECT recent.id FROM ({inner}) AS recent WHERE {checks} "  # noqa: S608 (ORM SQL)
        "ORDER BY recent.published_at DESC, recent.id DESC LIMIT %s"
    )
    with connections[articles.db].cursor() as cursor:
        cursor.execute(sql, [*params, *values, limit])
        return [row[0] for row in cursor.fetchall()]


def _adjacent(ranked: list[int], query: SearchQuery, limit: int) -> list[int]:
    """Return the first `limit` of `ranked` whose phrases are adjacent, checking lazily."""
    found: list[int] = []
    start, size = 0, limit * 2 + 20
    while start < len(ranked) and len(found) < limit:
        chunk = ranked[start : start + size]
        good = set(
            Article.objects.filter(pk__in=chunk)
            .filter(phrase_filter(query))
            .values_list("pk", flat=True)
        )
        found.extend(pk for pk in chunk if pk in good)
        start, size = start + size, size * 4
    return found[:limit]
