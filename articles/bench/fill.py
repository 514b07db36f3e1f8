"""Grow the archive to a benchmark's size (docs/benchmarks.md "Site"): clone the published
stories already in a PostgreSQL database in SQL until it holds `total` of them.

    python manage.py shell -c "from articles.bench.fill import fill; fill(1_000_000)"

Each clone copies its template row column by column (Article._meta.concrete_fields, so a new
column is copied too) except the ones that must differ: a new id; identity keys (external id,
original address, fingerprint, old-site path) derived from that id, so every unique index
holds; a publication time of its own, the clones spread evenly over the `years` before now,
oldest first (as an archive grows); published; in no same-story cluster and no import run. Its
text, search text and token vectors are the template's (valid for the same text), and so are
its companies and tags (the through tables' rows are cloned with it), so subject pages, the
archive and the search index have realistic sizes. Search finds every clone of a matching
template: more hits per query than a real archive of that size would give.

Rows are added `batch` at a time, each batch one statement (the story rows and their through
rows, in data-modifying CTEs) committed on its own: an interrupted fill leaves whole batches
and is resumed by running it again with the same `total`. PostgreSQL only.
"""

import time
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from articles.cache import LISTS, bump_cache_version
from articles.models import Article

BATCH = 50_000
YEARS = 5

# Columns a clone does not copy from its template (field name -> SQL expression over the
# template `t` and the clone's `n`: new_id, ordinal, at). Every other column is copied.
_STORY_NUMBER = "'NW' || lpad(n.new_id::text, 18, '0')"  # a story number no real one has
_OWN = {
    "id": "n.new_id",
    "status": "%(published)s",
    "published_at": "n.at",
    "created_at": "n.at",
    "updated_at": "n.at",
    # The identity keys (all unique): NULL stays NULL, anything else names the clone alone.
    "external_id": f"CASE WHEN t.external_id IS NULL THEN NULL ELSE {_STORY_NUMBER} END",
    # The address part story_slug() gives a story with that number.
    "slug": f"CASE WHEN t.external_id IS NULL THEN t.slug ELSE lower({_STORY_NUMBER}) END",
    # The publisher's page with a fragment: the link still leads to the real page. A clone's
    # clone (a resumed fill) drops its template's fragment first.
    "original_url": "CASE WHEN t.original_url IS NULL THEN NULL ELSE "
                    "left(regexp_replace(t.original_url, '#fill-[0-9]+$', ''), 470) || '#fill-' || n.new_id END",
    "fingerprint": "CASE WHEN t.fingerprint IS NULL THEN NULL ELSE "
                   "encode(sha256(convert_to(t.fingerprint || ':' || n.new_id, 'UTF8')), 'hex') END",
    "legacy_path": "CASE WHEN t.legacy_path IS NULL THEN NULL ELSE "
                   "'/fill/' || to_char(n.at, 'YYYY/MM/DD') || '/' || n.new_id || '.html' END",
    "import_run": "NULL",
    "needs_review": "false",
    "cluster": "NULL",
    "cluster_fixed": "false",
}


class FillError(RuntimeError):
    """The database cannot be filled (not PostgreSQL, or nothing to clone)."""


def fill(total: int, *, log=print, batch: int = BATCH, years: int = YEARS) -> int:
    """Add clones of the published stories until there are `total` published stories; return
    how many were added (0 if there are that many already). Ends with ANALYZE of the tables
    written and a new version of the page cache's lists."""
    if connection.vendor != "postgresql":
        raise FillError(f"fill clones stories with PostgreSQL's SQL; this database is {connection.vendor}")
    published = Article.objects.filter(status=Article.Status.PUBLISHED)
    have = published.count()
    need = total - have
    if need <= 0:
        log(f"fill: {have:,} published stories already, none added")
        return 0
    # The templates: the published stories there now (a resumed fill clones clones as well:
    # same text, same keys' shape).
    templates, last_template = have, published.order_by("-pk").values_list("pk", flat=True).first()
    if not templates:
        raise FillError("no published story to clone: import some first (docs/benchmarks.md)")
    # Evenly spaced over the years before now, the oldest first (ordinal 0).
    step = timedelta(days=365.25 * years) / need
    first = timezone.now() - step * need
    statement = _statement()
    log(f"fill: {have:,} published stories, adding {need:,} clones of {templates:,} in batches of {batch:,}")
    added, began = 0, time.monotonic()
    for start in range(0, need, batch):
        stop = min(start + batch, need)
        params = {
            "published": Article.Status.PUBLISHED, "last_template": last_template,
            "templates": templates, "g0": start // templates, "g1": (stop - 1) // templates,
            "start": start, "stop": stop, "first": first, "step": step,
            "table": Article._meta.db_table, "pk": Article._meta.pk.column,
        }
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
            added += cursor.fetchone()[0]
        elapsed = time.monotonic() - began
        log(f"fill: {have + added:,} / {total:,} ({added / elapsed:,.0f} stories/s)")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(map(connection.ops.quote_name, _tables()))}")
    bump_cache_version(LISTS)
    return added


def _through_models():
    """The through tables cloned with the stories: their companies and their tags."""
    return [Article._meta.get_field("stocks").remote_field.through,
            Article._meta.get_field("tags").remote_field.through]


def _tables() -> list[str]:
    return [Article._meta.db_table, *(model._meta.db_table for model in _through_models())]


def _statement() -> str:
    """One batch: the clones of ordinals [start, stop) and their through rows, one statement."""
    qn = connection.ops.quote_name
    table, pk = qn(Article._meta.db_table), qn(Article._meta.pk.column)
    status = qn(Article._meta.get_field("status").column)
    own = {Article._meta.get_field(name).column: sql for name, sql in _OWN.items()}
    columns = [field.column for field in Article._meta.concrete_fields]
    values = [own.get(column, f"t.{qn(column)}") for column in columns]
    # The templates, numbered 0..templates-1 (the published stories there when the fill began).
    templates = (f"SELECT t.{pk} AS id, row_number() OVER (ORDER BY t.{pk}) - 1 AS rank "  # noqa: S608
                 f"FROM {table} t WHERE t.{status} = %(published)s AND t.{pk} <= %(last_template)s")
    # Clone `ordinal` is one of template ordinal % templates, with its id and its time.
    clones = ("SELECT nextval(pg_get_serial_sequence(%(table)s, %(pk)s)) AS new_id, "
              "tpl.id AS template_id, c.ordinal, %(first)s::timestamptz + %(step)s::interval * c.ordinal AS at "
              "FROM tpl CROSS JOIN generate_series(%(g0)s::bigint, %(g1)s::bigint) AS g "
              "CROSS JOIN LATERAL (SELECT g * %(templates)s + tpl.rank AS ordinal) c "
              "WHERE c.ordinal >= %(start)s AND c.ordinal < %(stop)s ORDER BY c.ordinal")
    stories = (f"INSERT INTO {table} ({', '.join(map(qn, columns))}) "  # noqa: S608
               f"SELECT {', '.join(values)} FROM n JOIN {table} t ON t.{pk} = n.template_id RETURNING 1")
    parts = [f"tpl AS ({templates})", f"n AS MATERIALIZED ({clones})", f"stories AS ({stories})"]
    for i, through in enumerate(_through_models()):
        link = next(f for f in through._meta.concrete_fields if f.is_relation and f.related_model is Article)
        copied = [f.column for f in through._meta.concrete_fields if not f.primary_key]
        exprs = ["n.new_id" if column == link.column else f"x.{qn(column)}" for column in copied]
        through_table = qn(through._meta.db_table)
        parts.append(f"through{i} AS (INSERT INTO {through_table} ({', '.join(map(qn, copied))}) "  # noqa: S608
                     f"SELECT {', '.join(exprs)} FROM n JOIN {through_table} x ON x.{qn(link.column)} = n.template_id)")
    return f"WITH {', '.join(parts)} SELECT count(*) FROM stories"  # noqa: S608 (names from the models)
