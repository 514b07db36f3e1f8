"""Hand-written reads for the public site's busiest pages: a story and the lists of stories.

Each page's rows come in one or two plain SQL statements over the same indexes the ORM's
queries used. Compiling a QuerySet cost ~0.5-1 ms per query and building full model rows as
much again (profiled at 100,000 articles), several times the database's own work; these
statements select only the columns the pages print, and the instances are built from the
tuples with only those columns loaded (Model.from_db(), as QuerySet.only() builds them; the
related source and section set through their descriptors, as select_related() would). The
SQL is portable (SQLite and PostgreSQL): UNION ALL parts are wrapped in subqueries
so that each may keep its own ORDER BY and LIMIT.

Filtering by publication state is the same as `ArticleQuerySet.published()`; tests compare
these reads with the QuerySet ones.
"""

import functools
from dataclasses import dataclass
from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection

from articles.models import Article, ArticleTag, Category, Correction, Source, Stock, visibility
from articles.sql import Read, fetch, run

# The visibility rule (articles.models.visibility) spelled in SQL on `a`; its values come
# from published_params().
_SQL_LOOKUPS = {"exact": "=", "lte": "<="}


def published_on(alias: str) -> str:
    """The visibility rule as an SQL condition on the articles table named `alias`."""
    return " AND ".join(f"{alias}.{Article._meta.get_field(name).column} {_SQL_LOOKUPS[lookup]} %s"
                        for name, lookup, _ in visibility())


PUBLISHED = published_on("a")
# Same-story clusters (articles/clusters): a list shows one story of each cluster, the one no
# other published story of its cluster outranks: the editors' pick (Cluster.lead), else the
# earliest. ArticleQuerySet.one_per_story() is the same rule; tests compare the two.
ONE_PER_STORY = (
    "(a.cluster_id IS NULL OR NOT EXISTS (SELECT 1 FROM articles_article b "  # noqa: S608
    "JOIN articles_cluster k ON k.id = b.cluster_id "
    f"WHERE b.cluster_id = a.cluster_id AND b.id <> a.id AND {published_on('b')} "
    "AND (b.id = k.lead_id OR ((k.lead_id IS NULL OR k.lead_id <> a.id) "
    "AND (b.published_at < a.published_at OR (b.published_at = a.published_at AND b.id < a.id))))))"
)
# How many publishers tell a listed story (N 家媒体报道): its cluster's published stories'
# distinct sources, counted for the rows of the page only (an index range scan each).
PUBLISHERS = (f"(SELECT COUNT(DISTINCT b.source_id) FROM articles_article b "  # noqa: S608
              f"WHERE b.cluster_id = a.cluster_id AND {published_on('b')})")
# The columns a list item prints; the joins are on primary keys of two small tables.
LISTING_COLUMNS = (
    "a.id, a.title, a.slug, a.summary, a.image, a.published_at, "
    "a.source_id, s.name, s.slug, a.category_id, c.name, c.slug"
)
LISTING_FROM = (
    "articles_article a "
    "LEFT JOIN articles_source s ON s.id = a.source_id "
    "LEFT JOIN articles_category c ON c.id = a.category_id"
)
NEWEST_FIRST = "ORDER BY a.published_at DESC, a.id DESC"
_LISTING_FIELDS = ("id", "title", "slug", "summary", "image", "published_at", "source_id", "category_id")
_PAGER_FIELDS = ("id", "title", "slug", "published_at")
_DATETIMES = {"published_at", "updated_at", "created_at"}


def published_params() -> list:
    """The parameters of PUBLISHED: the values of visibility() now, as the database takes them."""
    return [Article._meta.get_field(name).get_db_prep_value(value, connection)
            for name, _, value in visibility()]


def db_datetime(moment):
    return connection.ops.adapt_datetimefield_value(moment)


def _py_datetime(value):
    # PostgreSQL's driver returns aware datetimes; SQLite's returns naive UTC ones (or text
    # from a UNION), which the ORM's converter turns into aware ones.
    if value is None or getattr(value, "tzinfo", None) is not None:
        return value
    return connection.ops.convert_datetimefield_value(value, None, connection)


def _build(model, fields: tuple[str, ...], values):
    """An instance of `model` with only `fields` (attnames) loaded, the others deferred, as
    a QuerySet's .only() would give it (Model.from_db()); no query."""
    order = _model_order(model, fields)
    return model.from_db(connection.alias, [fields[i] for i in order], [values[i] for i in order])


@cache
def _model_order(model, fields: tuple[str, ...]) -> tuple[int, ...]:
    """The positions in `fields` in the order of the model's columns, as from_db() takes them."""
    columns = [f.attname for f in model._meta.get_fields() if f.concrete and not f.many_to_many]
    return tuple(sorted(range(len(fields)), key=lambda i: columns.index(fields[i])))


def marks(values) -> str:
    """One %s placeholder per value, for an IN (...) list."""
    return ", ".join(["%s"] * len(values))


class _Related:
    """Builds each source and category of a page once, however many stories share it."""

    def __init__(self):
        self.seen: dict[tuple, object] = {}

    def get(self, model, pk, name, slug):
        if pk is None:
            return None
        key = (model, pk)
        found = self.seen.get(key)
        if found is None:
            found = self.seen[key] = _build(model, ("id", "name", "slug"), (pk, name, slug))
        return found


def _listing_article(row, related: _Related) -> Article:
    pk, title, slug, summary, image, published_at, source_id, source_name, source_slug, \
        category_id, category_name, category_slug, publishers = row
    article = _build(Article, _LISTING_FIELDS, (pk, title, slug, summary, image,
                                                _py_datetime(published_at), source_id, category_id))
    # As select_related() would: the relations are read without a query.
    article.source = related.get(Source, source_id, source_name, source_slug)
    article.category = related.get(Category, category_id, category_name, category_slug)
    article.publishers = publishers  # of its same-story cluster; 0 for a story told once
    return article


def listing_read(where: str = "", params: tuple | list = (), *, limit: int, offset: int = 0,
                 extra: tuple[str, ...] = (), one_per_story: bool = True, publishers: bool = True) -> Read:
    """Published stories matching the SQL condition `where` on `a` (articles_article), newest
    first, with their source and category (and the `extra` columns, e.g. the body for search
    excerpts), and one story per same-story cluster unless `one_per_story` is false (a
    publisher's own list).

    Prepared (planned once per connection) unless the best plan depends on the value: a
    rare tag's or stock's stories are fetched by id, a common one's by walking the date index.
    """
    condition = PUBLISHED + (f" AND ({where})" if where else "")
    pub = published_params()
    condition_params = [*pub, *params]
    if one_per_story:
        condition += f" AND {ONE_PER_STORY}"
        condition_params += pub
    columns = f"{LISTING_COLUMNS}, {PUBLISHERS if publishers else '0'}" + "".join(
        f", a.{Article._meta.get_field(name).column}" for name in extra)
    sql = (f"SELECT {columns} FROM {LISTING_FROM} WHERE {condition} "  # noqa: S608
           f"{NEWEST_FIRST} LIMIT %s OFFSET %s")
    return Read(sql, [*(pub if publishers else []), *condition_params, limit, offset],
                prepare=not any(part in where for part in VALUE_DEPENDENT),
                build=functools.partial(_listing_articles, extra=extra))


def _listing_articles(rows, *, extra: tuple[str, ...] = ()) -> list[Article]:
    related = _Related()
    width = len(rows[0]) - len(extra) if rows else 0
    articles = []
    for row in rows:
        article = _listing_article(row[:width], related)
        for name, value in zip(extra, row[width:], strict=True):
            setattr(article, name, _py_datetime(value) if name in _DATETIMES else value)
        articles.append(article)
    return articles


def listing(where: str = "", params: tuple | list = (), *, limit: int, offset: int = 0,
            one_per_story: bool = True) -> list[Article]:
    """Return listing_read()'s stories: one query."""
    return fetch_one(listing_read(where, params, limit=limit, offset=offset, one_per_story=one_per_story))


def by_ids(ids: list[int], *, extra: tuple[str, ...] = (), publishers: bool = True) -> list[Article]:
    """The published stories `ids`, newest first, with the `extra` columns: one query by
    primary key."""
    if not ids:
        return []
    return fetch_one(listing_read(f"a.id IN ({marks(ids)})", ids, limit=len(ids), extra=extra,
                                  one_per_story=False, publishers=publishers))


# Conditions for the subject lists, on `a`, each with one parameter.
BY_SOURCE = "a.source_id = %s"
BY_CATEGORY = "a.category_id = %s"
BY_TAG = ("a.id IN (SELECT t.content_object_id FROM articles_taggedarticle t "
          "WHERE t.tag_id = %s)")
BY_STOCK = "a.id IN (SELECT x.article_id FROM articles_article_stocks x WHERE x.stock_id = %s)"
IN_PERIOD = "a.published_at >= %s AND a.published_at < %s"
SINCE = "a.published_at >= %s"
UNTIL = "a.published_at < %s"
# Keyset paging, newest first: the stories after the one at (published_at, id).
AFTER = "(a.published_at < %s OR (a.published_at = %s AND a.id < %s))"
VALUE_DEPENDENT = {BY_TAG, BY_STOCK}


def stories(ids: list[int]) -> list[Article]:
    """Return the published stories `ids` in that order, with their source, category and
    body (for excerpts): one query, by primary key."""
    found = {story.pk: story for story in by_ids(ids, extra=("body",))}
    return [found[pk] for pk in ids if pk in found]


def latest_per(groups: dict[str, list], *, count: int) -> list[Article]:
    """Return the newest `count` published stories for each value of each column of `groups`
    ({"source_id": [1, 2], "category_id": [3]}), with their sources and categories: two
    queries. The ids come from a UNION ALL of small index range scans, one per value (no
    window function over the whole table)."""
    parts, params = [], []
    for column, values in groups.items():
        if column not in {"source_id", "category_id"}:
            raise ValueError(f"no index for the latest stories per {column}")
        for value in values:
            parts.append(f"SELECT * FROM (SELECT a.id FROM articles_article a WHERE {PUBLISHED} "  # noqa: S608
                         f"AND a.{column} = %s AND {ONE_PER_STORY} {NEWEST_FIRST} LIMIT {int(count)}) "
                         f"AS part{len(parts)}")
            params += [*published_params(), value, *published_params()]
    if not parts:
        return []
    ids = sorted({row[0] for row in run(" UNION ALL ".join(parts), params, prepare=False)})
    return by_ids(ids, publishers=False)  # headline lists do not print the count


def periods_read(periods: list[tuple]) -> Read:
    """The indexes of the [start, end) `periods` (at least one) that hold a published story:
    an index probe per period (no scan of the stories themselves)."""
    parts, params = [], []
    for i, (start, end) in enumerate(periods):
        parts.append(f"SELECT {int(i)} WHERE EXISTS (SELECT 1 FROM articles_article a "  # noqa: S608
                     f"WHERE {PUBLISHED} AND {IN_PERIOD})")
        params += [*published_params(), *period_params(start, end)]
    return Read(" UNION ALL ".join(parts), params, prepare=False,
                build=lambda rows: {row[0] for row in rows})


def periods_with_stories(periods: list[tuple]) -> set[int]:
    """Return periods_read()'s indexes: one query (none for no period)."""
    return fetch_one(periods_read(periods)) if periods else set()


def nearest_read(start, end) -> Read:
    """The publication times of the newest published story before `start` and of the oldest
    from `end` on, (before, after), each None if there is none: two index seeks."""
    sides = []
    for side, condition, order in (("b", "<", "DESC"), ("a", ">=", "ASC")):
        sides.append(f"SELECT * FROM (SELECT '{side}', a.published_at FROM articles_article a "  # noqa: S608
                     f"WHERE {PUBLISHED} AND a.published_at {condition} %s "
                     f"ORDER BY a.published_at {order} LIMIT 1) AS side_{side}")
    params = [*published_params(), db_datetime(start), *published_params(), db_datetime(end)]
    return Read(" UNION ALL ".join(sides), params, prepare=True, build=_nearest)


def _nearest(rows) -> tuple:
    found = {side: _py_datetime(moment) for side, moment in rows}
    return found.get("b"), found.get("a")


def period_params(start, end) -> list:
    return [db_datetime(start), db_datetime(end)]


def one_read(model, fields: tuple[str, ...], **where) -> Read:
    """The `model` row matching the column values `where` (a unique key), with only `fields`
    loaded, or None."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    condition = " AND ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in where)
    return Read(f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {condition}",  # noqa: S608
                list(where.values()), prepare=True,
                build=lambda rows: _build(model, fields, rows[0]) if rows else None)


def fetch_one(read: Read):
    """Return the result of the single read `read`."""
    return fetch(read)[0]


def sections_read() -> Read:
    """The site's sections in navigation order (as Category.Meta.ordering)."""
    return Read('SELECT id, name, slug FROM articles_category ORDER BY "order", name', [],
                prepare=True,
                build=lambda rows: [_build(Category, ("id", "name", "slug"), row) for row in rows])


def sections() -> list[Category]:
    """Return sections_read()'s sections: one query."""
    return fetch_one(sections_read())


def _editor_name() -> str:
    """SQL for the name of the last editor who changed the story `a` (责任编辑): the full name
    of the user of its newest revision made by someone (Chinese order: family name first), ''
    when that user has none (a login name is never shown to readers)."""
    users = get_user_model()._meta.db_table
    return (f"(SELECT u.last_name || u.first_name FROM articles_revision r JOIN {users} u "  # noqa: S608
            "ON u.id = r.user_id WHERE r.article_id = a.id AND r.user_id IS NOT NULL "
            "ORDER BY r.created_at DESC, r.id DESC LIMIT 1)")


def story_read(pk: int) -> Read:
    """The published story `pk` with its source and category, or None."""
    sql = (
        "SELECT a.id, a.title, a.slug, a.summary, a.body, a.published_at, a.status, "  # noqa: S608
        "a.original_url, a.updated_at, a.important, a.cluster_id, a.source_id, s.name, s.slug, s.url, "
        f"a.category_id, c.name, c.slug, {_editor_name()} "
        f"FROM {LISTING_FROM} WHERE a.id = %s AND {PUBLISHED}"
    )
    return Read(sql, [pk, *published_params()], prepare=True, build=_story)


def _story(rows) -> Article | None:
    if not rows:
        return None
    (pk, title, slug, summary, body, published_at, status, original_url, updated_at, important,
     cluster_id, source_id, source_name, source_slug, source_url,
     category_id, category_name, category_slug, editor_name) = rows[0]
    article = _build(
        Article,
        ("id", "title", "slug", "summary", "body", "published_at", "status", "original_url",
         "updated_at", "important", "cluster_id", "source_id", "category_id"),
        (pk, title, slug, summary, body, _py_datetime(published_at), status, original_url,
         _py_datetime(updated_at), important, cluster_id, source_id, category_id),
    )
    article.source = None if source_id is None else _build(
        Source, ("id", "name", "slug", "url"), (source_id, source_name, source_slug, source_url))
    article.category = None if category_id is None else _build(
        Category, ("id", "name", "slug"), (category_id, category_name, category_slug))
    article.editor_name = (editor_name or "").strip()  # 责任编辑, '' if no editor touched it
    return article


def same_story_read(pk: int, *, limit: int = 50) -> Read:
    """The same story as told by other publishers (其他媒体报道): of Article.same_story(), the
    stories of other sources, the earliest of each, with only what the page prints."""
    sql = (
        "SELECT b.id, b.title, b.slug, b.published_at, b.source_id, s.name, s.slug "  # noqa: S608
        "FROM articles_article a JOIN articles_article b ON b.cluster_id = a.cluster_id "
        "LEFT JOIN articles_source s ON s.id = b.source_id "
        f"WHERE a.id = %s AND b.id <> a.id AND {published_on('b')} "
        "AND (a.source_id IS NULL OR b.source_id IS NULL OR b.source_id <> a.source_id) "
        f"ORDER BY b.published_at, b.id LIMIT {int(limit)}"
    )
    return Read(sql, [pk, *published_params()], prepare=True, build=_same_story)


def _same_story(rows) -> list[Article]:
    related = _Related()
    stories, sources = [], set()
    for pk, title, slug, published_at, source_id, source_name, source_slug in rows:
        if source_id is not None and source_id in sources:
            continue  # one story a publisher: its first
        sources.add(source_id)
        story = _build(Article, ("id", "title", "slug", "published_at", "source_id"),
                       (pk, title, slug, _py_datetime(published_at), source_id))
        story.source = related.get(Source, source_id, source_name, source_slug)
        stories.append(story)
    return stories


def labels_read(pk: int) -> Read:
    """The tags (by name) and stocks (by market and code) of the story `pk`."""
    read = labels_of_read([pk])
    return Read(read.sql, read.params, prepare=True,
                build=lambda rows: read.build(rows).get(pk, ([], [])))


def labels(article: Article) -> tuple[list[ArticleTag], list[Stock]]:
    """Return labels_read()'s tags and stocks: one query."""
    return fetch_one(labels_read(article.pk))


def labels_of_read(ids: list[int]) -> Read:
    """The tags (by name) and stocks (by market and code) of each story of `ids`, as
    {id: (tags, stocks)} (stories with neither are left out)."""
    placeholders = marks(ids)
    sql = (
        "SELECT * FROM (SELECT t.content_object_id, 't', g.id, g.name, g.slug, '' "  # noqa: S608
        "FROM articles_articletag g JOIN articles_taggedarticle t ON t.tag_id = g.id "
        f"WHERE t.content_object_id IN ({placeholders})) AS tags "
        "UNION ALL "
        "SELECT * FROM (SELECT x.article_id, 's', k.id, k.market, k.code, k.name FROM articles_stock k "
        f"JOIN articles_article_stocks x ON x.stock_id = k.id WHERE x.article_id IN ({placeholders})) AS stocks"
    )
    return Read(sql, [*ids, *ids], prepare=len(ids) == 1, build=_labels)


def _labels(rows) -> dict[int, tuple[list[ArticleTag], list[Stock]]]:
    found: dict[int, tuple[list[ArticleTag], list[Stock]]] = {}
    for article_id, kind, pk, first, second, third in rows:
        tags, stocks = found.setdefault(article_id, ([], []))
        if kind == "t":
            tags.append(_build(ArticleTag, ("id", "name", "slug"), (pk, first, second)))
        else:
            stocks.append(_build(Stock, ("id", "market", "code", "name"), (pk, first, second, third)))
    for tags, stocks in found.values():
        tags.sort(key=lambda tag: tag.name)
        stocks.sort(key=lambda stock: (stock.market, stock.code))
    return found


@dataclass
class Around:
    """What a story page links to besides the story: its neighbours and related stories."""

    previous: Article | None
    next: Article | None
    related: list[Article]  # each with `reason`: what it shares with the story (同公司 …)


# How much each shared label counts in ranking related stories: a company says more about
# what a story is about than a tag does (a tag may only name the publisher).
STOCK_WEIGHT, TAG_WEIGHT = 3, 1


def around(article: Article, *, stocks: list[Stock], tags: list[ArticleTag],
           related_count: int) -> Around:
    """Return the previous and next published stories and up to `related_count` related ones:
    one query.

    Related stories share companies or tags with the story, ranked by how many (a company
    counts three tags), newest first among equals, one story per same-story cluster; each
    carries the reason readers see (the shared companies, else the shared tags). A story that
    shares nothing is not related, however recent in the same section.

    Each part is a small index walk with its own LIMIT; the ids are passed as values (not as a
    subquery) so that the planner can tell a rare stock or tag from a common one.
    """
    moment = db_datetime(article.published_at)
    pub = published_params()
    columns = "a.id, a.title, a.slug, a.published_at, a.cluster_id"
    parts, params = [], []

    def part(kind: str, via: str, joins: str, where: str, where_params: list, order: str, limit: int):
        parts.append(
            f"SELECT * FROM (SELECT '{kind}' AS kind, {columns}, {via} AS via "  # noqa: S608
            f"FROM articles_article a {joins} WHERE {PUBLISHED} AND {where} {order} "
            f"LIMIT {int(limit)}) AS part_{kind}"
        )
        params.extend([*pub, *where_params])

    part("p", "CAST(NULL AS BIGINT)", "", "a.published_at <= %s AND (a.published_at < %s OR a.id < %s)",
         [moment, moment, article.pk], NEWEST_FIRST, 1)
    part("n", "CAST(NULL AS BIGINT)", "", "a.published_at >= %s AND (a.published_at > %s OR a.id > %s)",
         [moment, moment, article.pk], "ORDER BY a.published_at ASC, a.id ASC", 1)
    if stocks:
        part("s", "x.stock_id", "JOIN articles_article_stocks x ON x.article_id = a.id",
             f"a.id <> %s AND x.stock_id IN ({marks(stocks)})",
             [article.pk, *(stock.pk for stock in stocks)], NEWEST_FIRST, 4 * related_count)
    if tags:
        part("t", "t.tag_id", "JOIN articles_taggedarticle t ON t.content_object_id = a.id",
             f"a.id <> %s AND t.tag_id IN ({marks(tags)})",
             [article.pk, *(tag.pk for tag in tags)], NEWEST_FIRST, 4 * related_count)
    found: dict[str, list] = {"p": [], "n": [], "s": [], "t": []}
    # The related parts' plans depend on which stocks and tags (rare or common): those
    # statements are planned afresh each time.
    statement = " UNION ALL ".join(parts)
    for kind, pk, title, slug, published_at, cluster_id, via in run(statement, params,
                                                                     prepare=not (stocks or tags)):
        story = _build(Article, _PAGER_FIELDS, (pk, title, slug, _py_datetime(published_at)))
        found[kind].append((story, cluster_id, via))
    return Around(
        previous=found["p"][0][0] if found["p"] else None,
        next=found["n"][0][0] if found["n"] else None,
        related=_ranked(found, article, stocks, tags, related_count),
    )


def _ranked(found: dict, article: Article, stocks: list[Stock], tags: list[ArticleTag],
            count: int) -> list[Article]:
    names = {("s", stock.pk): stock.name or stock.symbol for stock in stocks} | \
        {("t", tag.pk): tag.name for tag in tags}
    stories: dict[int, Article] = {}
    shared: dict[int, dict[str, list[str]]] = {}
    clusters: dict[int, int | None] = {}
    for kind in "st":
        for story, cluster_id, via in found[kind]:
            stories.setdefault(story.pk, story)
            clusters[story.pk] = cluster_id
            labels = shared.setdefault(story.pk, {"s": [], "t": []})[kind]
            if names[kind, via] not in labels:
                labels.append(names[kind, via])

    def score(pk: int) -> int:
        return STOCK_WEIGHT * len(shared[pk]["s"]) + TAG_WEIGHT * len(shared[pk]["t"])

    ranked = sorted(stories, key=lambda pk: (-score(pk), -stories[pk].published_at.timestamp(), -pk))
    related, told = [], {article.cluster_id} - {None}
    for pk in ranked:
        if clusters[pk] in told:
            continue  # the same story again, from another publisher
        if clusters[pk] is not None:
            told.add(clusters[pk])
        story = stories[pk]
        kind, label = ("同公司", shared[pk]["s"]) if shared[pk]["s"] else ("同标签", shared[pk]["t"])
        story.reason = f"{kind}：{'、'.join(label[:2])}"
        related.append(story)
        if len(related) == count:
            break
    return related


def corrections_read(pk: int) -> Read:
    """The correction notes (更正) of the story `pk`, oldest first."""
    return Read("SELECT id, created_at, text FROM articles_correction WHERE article_id = %s "
                "ORDER BY created_at, id", [pk], prepare=True, build=_corrections)


def _corrections(rows) -> list[Correction]:
    return [_build(Correction, ("id", "created_at", "text"), (pk, _py_datetime(at), text))
            for pk, at, text in rows]
