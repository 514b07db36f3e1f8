"""Change-list machinery that stays fast on a million articles.

- `EstimatedCountPaginator`: on PostgreSQL a list takes its size from the planner's estimate
  (pg_class.reltuples unfiltered, EXPLAIN's row estimate filtered) instead of a COUNT(*) that
  reads the whole table, or all published stories, on every page load. Small results, where
  estimates are coarse and a count is cheap, are still counted exactly.
- `FastDateHierarchyChangeList`: Django's date hierarchy runs SELECT DISTINCT over every row to
  list years and months; this one lists the range between MIN and MAX, which an index answers.
"""

import datetime
import json

from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Max, Min, QuerySet
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _


class EstimatedCountPaginator(Paginator):
    # Below this many rows an exact count is cheap, and estimates of small tables are coarse.
    estimate_threshold = 50_000

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if isinstance(qs, QuerySet) and connections[qs.db].vendor == "postgresql":
            whole_table = not qs.query.where and not qs.query.distinct
            estimate = table_estimate(qs) if whole_table else plan_estimate(qs)
            if estimate is not None and estimate >= self.estimate_threshold:
                return estimate
        return super().count


def table_estimate(qs: QuerySet) -> int | None:
    """Return PostgreSQL's estimate of the rows in `qs`'s table, or None elsewhere."""
    connection = connections[qs.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [qs.model._meta.db_table],
        )
        row = cursor.fetchone()
    # -1 means the table was never vacuumed or analysed: no estimate yet.
    return int(row[0]) if row and row[0] >= 0 else None


def plan_estimate(qs: QuerySet) -> int | None:
    """Return the PostgreSQL planner's estimate of the rows `qs` returns (planning only)."""
    try:
        sql, params = qs.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # qs.none(), or a filter that can match nothing
        return None
    with connections[qs.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):  # psycopg returns json as text unless told otherwise
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class FastDateHierarchyChangeList(ChangeList):
    """A ChangeList whose date drill-down costs one indexed MIN/MAX query."""

    def date_hierarchy_links(self) -> dict:
        field_name = self.date_hierarchy
        year_field, month_field, day_field = (
            f"{field_name}__year", f"{field_name}__month", f"{field_name}__day"
        )
        year = self.params.get(year_field)
        month = self.params.get(month_field)
        day = self.params.get(day_field)

        def link(filters):
            return self.get_query_string(filters, [f"{field_name}__"])

        if year and month and day:
            moment = datetime.date(int(year), int(month), int(day))
            return {
                "show": True,
                "back": {
                    "link": link({year_field: year, month_field: month}),
                    "title": capfirst(formats.date_format(moment, "YEAR_MONTH_FORMAT")),
                },
                "choices": [{"title": capfirst(formats.date_format(moment, "MONTH_DAY_FORMAT"))}],
            }
        bounds = self.queryset.order_by().aggregate(first=Min(field_name), last=Max(field_name))
        if not bounds["first"]:
            return {"show": False}
        first, last = (timezone.localtime(bounds["first"]), timezone.localtime(bounds["last"]))
        if not year and first.year == last.year:
            year = first.year
            if first.month == last.month:
                month = first.month
        if year and month:
            days = [
                datetime.date(first.year, first.month, number)
                for number in range(first.day, last.day + 1)
            ] if (first.year, first.month) == (last.year, last.month) else []
            return {
                "show": True,
                "back": {"link": link({year_field: year}), "title": str(year)},
                "choices": [
                    {
                        "link": link({year_field: year, month_field: month, day_field: d.day}),
                        "title": capfirst(formats.date_format(d, "MONTH_DAY_FORMAT")),
                    }
                    for d in days
                ],
            }
        if year:
            months = (
                [datetime.date(first.year, number, 1) for number in range(first.month, last.month + 1)]
                if first.year == last.year else []
            )
            return {
                "show": True,
                "back": {"link": link({}), "title": _("All dates")},
                "choices": [
                    {
                        "link": link({year_field: year, month_field: m.month}),
                        "title": capfirst(formats.date_format(m, "YEAR_MONTH_FORMAT")),
                    }
                    for m in months
                ],
            }
        return {
            "show": True,
            "back": None,
            "choices": [
                {"link": link({year_field: str(number)}), "title": str(number)}
                for number in range(last.year, first.year - 1, -1)
            ],
        }
