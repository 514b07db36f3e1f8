"""What the reads of stories leave in the database (imported by articles/models.py)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StoryReads(models.Model):
    """How many times readers read a story in one hour (UTC), as flush_reads moved the counts
    from the beacon's Redis buckets (or the beacon wrote them itself, without Redis)."""

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="read_counts")
    hour = models.DateTimeField()  # the hour's start
    count = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "articles"
        constraints = [
            models.UniqueConstraint(fields=["article", "hour"], name="storyreads_article_hour_unique"),
        ]
        # The hot lists add up every story's hours since a moment: an index-only range scan
        # (count a key column, not INCLUDE, which SQLite lacks).
        indexes = [models.Index(fields=["hour", "article", "count"], name="storyreads_hour_idx")]
        verbose_name = _("阅读数")
        verbose_name_plural = _("阅读数")

    def __str__(self) -> str:
        return f"#{self.article_id} {self.hour:%Y-%m-%d %H}:00 {self.count}"


class ReadBatch(models.Model):
    """A batch of counts moved out of Redis whose counts are in StoryReads: written in the same
    transaction, so a batch found again (the flush was killed before it deleted it) is applied once."""

    name = models.CharField(max_length=200, unique=True)
    applied_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        app_label = "articles"

    def __str__(self) -> str:
        return self.name


class HotEntry(models.Model):
    """A story's place on a hot list, as flush_reads last added up its reads."""

    class Board(models.TextChoices):
        DAY = "day", _("24小时热读")
        WEEK = "week", _("本周热读")

    board = models.CharField(_("榜单"), max_length=8, choices=Board.choices)
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="hot_entries")
    reads = models.PositiveIntegerField(_("阅读数"))

    class Meta:
        app_label = "articles"
        constraints = [
            models.UniqueConstraint(fields=["board", "article"], name="hotentry_board_article_unique"),
        ]
        indexes = [models.Index(fields=["board", "-reads"], name="hotentry_board_reads_idx")]
        verbose_name = _("热读榜")
        verbose_name_plural = _("热读榜")

    def __str__(self) -> str:
        return f"{self.get_board_display()} #{self.article_id} {self.reads}"


class HotPick(models.Model):
    """An editor's decision about a story on the hot lists: pinned to their top (until a
    moment), or hidden from them."""

    class Action(models.TextChoices):
        PIN = "pin", _("置顶")
        HIDE = "hide", _("隐藏")

    article = models.OneToOneField("articles.Article", verbose_name=_("稿件"), on_delete=models.CASCADE,
                                   related_name="hot_pick")
    action = models.CharField(_("操作"), max_length=8, choices=Action.choices)
    until = models.DateTimeField(_("有效至"), null=True, blank=True, help_text=_("留空则一直有效"))
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("编辑"), on_delete=models.SET_NULL,
                             null=True, blank=True, related_name="+")

    class Meta:
        app_label = "articles"
        ordering = ["-created_at"]
        verbose_name = _("热读调整")
        verbose_name_plural = _("热读调整")

    def __str__(self) -> str:
        return f"{self.get_action_display()}：#{self.article_id}"
