"""The import ledger: runs, per-file outcomes with their reasons, and deleted-story markers.

Read-only for everyone, superusers included: the ledger records what cron did, and an edited
ledger would be worthless.
"""

from django.contrib import admin
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from articles.admin.changelist import FastDateHierarchyChangeList
from articles.admin.filters import HasFailuresFilter
from articles.admin.reasons import reason_html
from articles.models import ImportFileResult, ImportRun, Tombstone

Outcome = ImportFileResult.Outcome
RESULTS_SHOWN = 200


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def format_duration(delta) -> str:
    if delta is None:
        return "—"
    seconds = delta.total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} 秒"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes} 分 {seconds} 秒"


def article_link(result: ImportFileResult):
    if not result.article_id:
        return "—"
    return format_html(
        '<a href="{}">#{}</a>',
        reverse("admin:articles_article_change", args=[result.article_id]), result.article_id,
    )


def results_problems_first(run: ImportRun):
    """The run's file results, failures and conflicts first; at most RESULTS_SHOWN of them."""
    problems = Case(
        When(outcome=Outcome.FAILED, then=Value(0)),
        When(outcome=Outcome.CONFLICT, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return run.results.order_by(problems, "id")[:RESULTS_SHOWN]


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "__str__", "status", "duration_cell", "created", "updated", "unchanged", "skipped",
        "conflicts", "ignored", "failed", "host",
    )
    list_filter = ("status", HasFailuresFilter)
    date_hierarchy = "started_at"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    change_list_template = "admin/articles/change_list_fast_dates.html"
    fields = (
        "started_at", "finished_at", "duration_cell", "status", "host", "pid", "path_list",
        ("created", "updated", "unchanged", "skipped", "conflicts"),
        ("duplicates", "suppressed", "ignored", "failed"),
        "links", "file_results",
    )
    readonly_fields = (
        "started_at", "finished_at", "duration_cell", "status", "host", "pid", "path_list",
        "created", "updated", "unchanged", "skipped", "conflicts", "duplicates", "suppressed",
        "ignored", "failed", "links", "file_results",
    )

    def get_changelist(self, request, **kwargs):
        return FastDateHierarchyChangeList

    @admin.display(description="耗时")
    def duration_cell(self, obj):
        return format_duration(obj.duration)

    @admin.display(description="导入路径")
    def path_list(self, obj):
        # One path a line: the JSON list the model stores is not for editors' eyes.
        paths = obj.paths if isinstance(obj.paths, list) else [obj.paths]
        return format_html_join("", "<code>{}</code><br>", ((path,) for path in paths)) or "—"

    @admin.display(description=f"文件结果（失败与冲突在前，最多 {RESULTS_SHOWN} 条）")
    def file_results(self, obj):
        # A table, not an inline formset: the ledger is read-only, and a first import has
        # thousands of rows that need no form machinery.
        results = list(results_problems_first(obj))
        if not results:
            return "—"
        rows = format_html_join(
            "", '<tr class="nr-outcome-{}"><td>{}</td><td><a href="{}">{}</a></td><td>{}</td>'
            "<td>{}</td></tr>",
            (
                (
                    result.outcome, result.get_outcome_display(),
                    reverse("admin:articles_importfileresult_change", args=[result.pk]),
                    result.path, reason_html(result.error, outcome=result.outcome),
                    article_link(result),
                )
                for result in results
            ),
        )
        return format_html(
            '<table class="nr-table nr-file-results"><thead><tr><th>结果</th><th>文件</th>'
            "<th>原因</th><th>稿件</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="相关列表")
    def links(self, obj):
        results = reverse("admin:articles_importfileresult_changelist")
        articles = reverse("admin:articles_article_changelist")
        return format_html(
            '<a href="{}?run__id__exact={}">全部文件结果</a> · '
            '<a href="{}?run__id__exact={}&amp;outcome__exact=failed">失败的文件</a> · '
            '<a href="{}?import_run={}">本批次最近导入的稿件</a>',
            results, obj.pk, results, obj.pk, articles, obj.pk,
        )


@admin.register(ImportFileResult)
class ImportFileResultAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("path", "outcome", "run_cell", "article_cell", "error_short")
    list_filter = ("outcome",)
    search_fields = ("path",)
    list_select_related = ("run",)
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100
    # run_cell, not the run field: the model's foreign key has no Chinese label.
    fields = ("run_cell", "path", "outcome", "reason", "article_cell")
    readonly_fields = fields

    @admin.display(description="批次", ordering="run")
    def run_cell(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:articles_importrun_change", args=[obj.run_id]),
            obj.run,
        )

    @admin.display(description="稿件")
    def article_cell(self, obj):
        return article_link(obj)

    @admin.display(description="原因")
    def error_short(self, obj):
        return reason_html(obj.error, outcome=obj.outcome, limit=120)

    @admin.display(description="原因")
    def reason(self, obj):
        return reason_html(obj.error, outcome=obj.outcome)


@admin.register(Tombstone)
class TombstoneAdmin(admin.ModelAdmin):
    """Deleting a marker lets the importer bring the story back on its next run."""

    list_display = ("title", "recognised_by", "deleted_local")
    search_fields = ("title", "key")
    ordering = ("-deleted_at",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="识别方式", ordering="key")
    def recognised_by(self, obj):
        kind, _, value = obj.key.partition(":")
        if kind == "ext":
            return f"稿件编号 {value}"
        if kind == "url":
            return format_html('原文链接 <span class="nr-key">{}</span>', value)
        if kind == "fp":
            return "正文指纹"
        return obj.key

    @admin.display(description="删除时间", ordering="deleted_at")
    def deleted_local(self, obj):
        return timezone.localtime(obj.deleted_at).strftime("%Y-%m-%d %H:%M")
