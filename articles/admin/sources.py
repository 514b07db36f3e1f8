"""Sources (publishers) with their feed keys, article counts and merging."""

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from articles.admin.actions import action_form, render_action_page
from articles.admin.common import PublicPagesMixin, listed_count, pages_changed
from articles.admin.forms import MergeSourcesForm
from articles.models import Article, Source, SourceKey


class SourceKeyInline(admin.TabularInline):
    model = SourceKey
    extra = 1
    verbose_name = "别名（订阅源的键）"
    verbose_name_plural = "别名（订阅源的键）"


def merge_sources(target: Source, others) -> tuple[int, int]:
    """Move the articles and keys of `others` to `target`, then delete `others`.

    Returns (articles moved, keys moved). One transaction: either every article ends up under
    `target` or nothing changes. Each merged source's name becomes a key of `target`, so
    feeds that still use the old name find the merged source.
    """
    others = [source for source in others if source.pk != target.pk]
    ids = [source.pk for source in others]
    with transaction.atomic():
        moved = Article.objects.filter(source_id__in=ids).update(source=target)
        keys = SourceKey.objects.filter(source_id__in=ids).update(source=target)
        for source in others:
            SourceKey.objects.get_or_create(key=source.name, defaults={"source": target})
        Source.objects.filter(pk__in=ids).delete()
    pages_changed()
    return moved, keys


@admin.action(description="合并所选来源…", permissions=["change"])
def merge_selected(modeladmin, request, queryset):
    sources = queryset.order_by("name")
    if sources.count() < 2:
        modeladmin.message_user(request, "请至少选择两个来源进行合并。", messages.WARNING)
        return None
    form = action_form(MergeSourcesForm, request, sources=Source.objects.filter(
        pk__in=sources.values("pk")
    ))
    if not form.is_bound or not form.is_valid():
        return render_action_page(
            modeladmin, request, sources, form=form, title="合并来源",
            intro="选择保留的来源；其余来源的稿件和别名会移过去，然后删除这些空来源。",
        )
    target = form.cleaned_data["target"]
    others = [source for source in sources if source.pk != target.pk]
    names = "、".join(source.name for source in others)
    moved, keys = merge_sources(target, others)
    LogEntry.objects.log_actions(
        user_id=request.user.pk, queryset=[target], action_flag=CHANGE,
        change_message=f"合并来源：{names}（{moved} 篇稿件，{keys} 个别名）",
    )
    # The merged rows are gone, but their ids and names stay in the log.
    LogEntry.objects.log_actions(
        user_id=request.user.pk, queryset=others, action_flag=DELETION,
        change_message=f"合并到「{target}」",
    )
    modeladmin.message_user(
        request, f"已将 {names} 合并到「{target}」：移动 {moved} 篇稿件、{keys} 个别名。",
        messages.SUCCESS,
    )
    return None


@admin.register(Source)
class SourceAdmin(PublicPagesMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "key_list", "article_count", "site_link")
    search_fields = ("name", "keys__key")
    ordering = ("name",)
    inlines = [SourceKeyInline]
    actions = [merge_selected]
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super().get_queryset(request)
            .annotate(article_count=listed_count(Article.objects.all(), "source"))
            .prefetch_related("keys")
        )

    @admin.display(description="稿件数", ordering="article_count")
    def article_count(self, obj):
        url = reverse("admin:articles_article_changelist") + f"?source__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.article_count)

    @admin.display(description="别名")
    def key_list(self, obj):
        return "、".join(key.key for key in obj.keys.all()) or "—"

    @admin.display(description="网站")
    def site_link(self, obj):
        if not obj.url:
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', obj.url, obj.url
        )
