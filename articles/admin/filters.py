"""List filters whose option lists stay short and cheap however many articles there are."""

from django.contrib import admin
from django.utils import timezone

from articles.models import Article, ImportRun

RECENT_RUNS = 15


class NeedsReviewFilter(admin.SimpleListFilter):
    title = "需复核"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("any", "需复核（全部）"),
            ("source", "来源文件有更新"),
            ("inferred", "推断的标题或时间待核对"),
            ("no", "无需复核"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        # Every branch filters on needs_review first: its partial index keeps these cheap.
        if value == "any":
            return queryset.filter(needs_review=True)
        if value == "source":
            return queryset.filter(needs_review=True).exclude(pending_changes={})
        if value == "inferred":
            return queryset.filter(needs_review=True).exclude(inferred_fields=[])
        if value == "no":
            return queryset.filter(needs_review=False)
        return queryset


class ScheduleFilter(admin.SimpleListFilter):
    """Published stories whose time has come, and those scheduled (定时) for later."""

    title = "上线时间"
    parameter_name = "schedule"

    def lookups(self, request, model_admin):
        return [("scheduled", "定时发布（尚未上线）"), ("live", "已上线")]

    def queryset(self, request, queryset):
        if self.value() == "scheduled":
            return queryset & Article.objects.scheduled()
        if self.value() == "live":
            return queryset & Article.objects.published()
        return queryset


class ImportRunFilter(admin.SimpleListFilter):
    """The last runs by name; any run by id through ?import_run=<id> (linked from the ledger)."""

    title = "导入批次"
    parameter_name = "import_run"

    def lookups(self, request, model_admin):
        runs = list(ImportRun.objects.order_by("-started_at")[:RECENT_RUNS])
        options = [
            (str(run.pk), f"#{run.pk} {timezone.localtime(run.started_at):%m-%d %H:%M}")
            for run in runs
        ]
        chosen = self.value()
        if chosen and chosen.isdigit() and chosen not in {key for key, _ in options}:
            options.insert(0, (chosen, f"#{chosen}"))
        return options

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(import_run_id=int(value))
        return queryset


class HasFailuresFilter(admin.SimpleListFilter):
    title = "失败文件"
    parameter_name = "failures"

    def lookups(self, request, model_admin):
        return [("yes", "有失败"), ("no", "无失败")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(failed__gt=0)
        if self.value() == "no":
            return queryset.filter(failed=0)
        return queryset


class ClusterFilter(admin.SimpleListFilter):
    """Stories told by several publishers (同题稿件); one cluster by id through ?cluster=<id>
    (linked from each story's 同题 column), so that one decision can cover the copies."""

    title = "同题稿件"
    parameter_name = "cluster"

    def lookups(self, request, model_admin):
        choices = [("any", "有同题稿件"), ("none", "无同题稿件")]
        value = request.GET.get(self.parameter_name, "")
        if value.isascii() and value.isdigit() and len(value) <= 18:
            choices.append((value, f"同题组 #{value}"))  # the group being looked at, shown as chosen
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.filter(cluster__isnull=False)
        if value == "none":
            return queryset.filter(cluster__isnull=True)
        if value and value.isascii() and value.isdigit() and len(value) <= 18:
            return queryset.filter(cluster_id=int(value))
        return queryset
