"""The import ledger: runs, per-file outcomes with their reasons, and deleted-story markers.

Read-only for everyone, superusers included: the ledger records what cron did, and an edited
ledger would be worthless.
"""

from django.contrib import admin
from django.db.models import Case, IntegerField, Value, When
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from articles.admin.changelist import FastDateHierarchyChangeList
from articles.admin.filters import HasFailuresFilter
from articles.models import ImportFileResult, ImportRun, Tombstone

Outcome = ImportFileResult.Outcome
INLINE_LIMIT = 200


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


class FirstResultsFormSet(BaseInlineFormSet):
    """Problems first, and no more rows than a page can hold: a first import has thousands."""

    def get_queryset(self):
        if not hasattr(self, "_limited"):
            problems = Case(
                When(outcome=Outcome.FAILED, then=Value(0)),
                When(outcome=Outcome.CONFLICT, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
            queryset = super().get_queryset().order_by(problems, "id")
            self._limited = queryset[:INLINE_LIMIT]
        return self._limited


class FileResultInline(ReadOnlyMixin, admin.TabularInline):
    model = ImportFileResult
    formset = FirstResultsFormSet
    fields = ("outcome", "path", "error", "article_cell")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = f"文件结果（失败与冲突在前，最多显示 {INLINE_LIMIT} 条）"

    @admin.display(description="稿件")
    def article_cell(self, obj):
        return article_link(obj)


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "__str__", "status", "duration_cell", "created", "updated", "unchanged", "skipped",
        "conflicts", "failed", "host",
    )
    list_filter = ("status", HasFailuresFilter)
    date_hierarchy = "started_at"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    inlines = [FileResultInline]
    change_list_template = "admin/articles/change_list_fast_dates.html"
    fields = (
        "started_at", "finished_at", "duration_cell", "status", "host", "pid", "paths",
        ("created", "updated", "unchanged", "skipped", "conflicts", "failed"),
        "links",
    )
    readonly_fields = (
        "started_at", "finished_at", "duration_cell", "status", "host", "pid", "paths",
        "created", "updated", "unchanged", "skipped", "conflicts", "failed", "links",
    )

    def get_changelist(self, request, **kwargs):
        return FastDateHierarchyChangeList

    @admin.display(description="耗时")
    def duration_cell(self, obj):
        return format_duration(obj.duration)

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
    fields = ("run", "path", "outcome", "error", "article_cell")
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
        return (obj.error[:120] + "…") if len(obj.error) > 120 else (obj.error or "—")


@admin.register(Tombstone)
class TombstoneAdmin(admin.ModelAdmin):
    """Deleting a marker lets the importer bring the story back on its next run."""

    list_display = ("title", "key", "deleted_local")
    search_fields = ("title", "key")
    ordering = ("-deleted_at",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="删除时间", ordering="deleted_at")
    def deleted_local(self, obj):
        return timezone.localtime(obj.deleted_at).strftime("%Y-%m-%d %H:%M")
