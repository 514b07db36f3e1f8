"""Which articles match a query, through each database's own index.

SQLite: an FTS5 table over search_text (migration 0003), whose phrase matches are exact.
PostgreSQL: GIN indexes over the body's and the title's token vectors (migrations 0004 and
0008), which give the rows holding every token; whether a phrase's tokens are adjacent is
then checked with strpos on search_text.
"""

from django.db import connection
from django.db.models import BooleanField, Case, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower, StrIndex
from django.db.models.lookups import GreaterThan

from articles.models import Article
from articles.search.query import SearchQuery, fts5_match, parse_query, tsquery

# The very expressions of the GIN indexes of migrations 0004/0008, or the indexes are not used.
BODY_VECTOR = "\"articles_article\".\"search_vector\""
TITLE_VECTOR = "\"articles_article\".\"title_vector\""


def tsquery_filter(expression: str, query: SearchQuery) -> RawSQL:
    """Return a condition true for rows whose vector `expression` (BODY_VECTOR or
    TITLE_VECTOR) holds every token of `query`."""
    # `expression` is one of the two constants above; the query travels as a parameter.
    return RawSQL(  # noqa: S611
        f"{expression} @@ to_tsquery('simple'::regconfig, %s)",
        [tsquery(query)],
        output_field=BooleanField(),
    )


def phrase_filter(query: SearchQuery) -> RawSQL:
    """Return a condition true for rows whose search_text has each phrase's tokens in a row."""
    sql, params = [], []
    for phrase in query.phrases:
        if len(phrase.tokens) > 1:
            sql.append("strpos(' ' || \"articles_article\".\"search_text\" || ' ', %s) > 0")
            params.append(phrase.needle)
    # Only constant SQL is joined; the phrases travel as parameters.
    return RawSQL(" AND ".join(sql), params, output_field=BooleanField())  # noqa: S611


def in_title(query: SearchQuery) -> Q:
    """Return a condition true for articles whose title contains every term of `query`."""
    condition = Q()
    for term in query.terms:
        condition &= GreaterThan(StrIndex(Lower("title"), Value(term.lower())), 0)
    return condition


def search_articles(query: str | SearchQuery):
    """Return published articles containing every term of `query`, title hits first, newest first."""
    parsed = query if isinstance(query, SearchQuery) else parse_query(query)
    articles = filter_matching(Article.objects.published(), parsed)
    title_hit = Case(When(in_title(parsed), then=Value(1)), default=Value(0))
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
        queryset = queryset.filter(tsquery_filter(BODY_VECTOR, query))
        if adjacent and any(len(p.tokens) > 1 for p in query.phrases):
            queryset = queryset.filter(phrase_filter(query))
        return queryset
    # A join, not `id IN (SELECT rowid …)`: with the IN form SQLite walks the status/date
    # index over every published article and probes the match list; joined, the FTS5 match
    # drives and articles are read by rowid. FTS5 phrases are exact: nothing to check after.
    return queryset.extra(  # noqa: S610 (constant SQL; the match is a parameter)
        tables=["articles_article_fts"],
        where=["articles_article_fts.rowid = articles_article.id", "articles_article_fts MATCH %s"],
        params=[fts5_match(query)],
    )
