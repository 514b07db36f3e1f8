"""The desk's hand on the hot lists: pin stories to their top or hide them (actions on the story
list), and the list of those decisions (热读调整), where a pin's end can be changed."""

import datetime

from django.contrib import admin, messages
from django.utils import timezone

from articles.admin.common import log_changes
from articles.reading import boards
from articles.reading.models import HotPick

PIN_HOURS = 24  # a pin from the story list lasts this long; the 热读调整 list changes it


@admin.action(description=f"置顶热读（{PIN_HOURS} 小时）", permissions=["change"])
def pin_to_hot_lists(modeladmin, request, queryset):
    stories = _chosen(queryset)
    until = timezone.now() + datetime.timedelta(hours=PIN_HOURS)
    boards.pick([story.pk for story in stories], action=HotPick.Action.PIN, user=request.user, until=until)
    log_changes(request, stories, "置顶热读")
    modeladmin.message_user(
        request, f"已将 {len(stories)} 篇稿件置顶于 24小时热读和本周热读，"
        f"至 {timezone.localtime(until):%m月%d日 %H:%M}（未发布的稿件发布后才会出现）。", messages.SUCCESS)


@admin.action(description="从热读隐藏", permissions=["change"])
def hide_from_hot_lists(modeladmin, request, queryset):
    stories = _chosen(queryset)
    boards.pick([story.pk for story in stories], action=HotPick.Action.HIDE, user=request.user)
    log_changes(request, stories, "从热读隐藏")
    modeladmin.message_user(request, f"已从热读榜隐藏 {len(stories)} 篇稿件。", messages.SUCCESS)


@admin.action(description="恢复热读排名（取消置顶或隐藏）", permissions=["change"])
def restore_hot_ranking(modeladmin, request, queryset):
    stories = _chosen(queryset)
    removed = boards.unpick([story.pk for story in stories])
    log_changes(request, stories, "恢复热读排名")
    modeladmin.message_user(request, f"已恢复 {removed} 篇稿件的热读排名。", messages.SUCCESS)


HOT_ACTIONS = [pin_to_hot_lists, hide_from_hot_lists, restore_hot_ranking]


def _chosen(queryset) -> list:
    # The change list's rows carry their stocks and cluster size; an action needs neither.
    return list(queryset.select_related(None).prefetch_related(None).only("pk", "title").order_by("pk"))


@admin.register(HotPick)
class HotPickAdmin(admin.ModelAdmin):
    list_display = ("article", "action", "until", "user", "created_at")
    list_filter = ("action",)
    list_select_related = ("article", "user")
    search_fields = ("article__title",)
    autocomplete_fields = ("article",)
    fields = ("article", "action", "until", "user", "created_at")
    readonly_fields = ("user", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.user = request.user
        super().save_model(request, obj, form, change)
        boards.lists_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        boards.lists_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        boards.lists_changed()
