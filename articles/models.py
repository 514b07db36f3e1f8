"""The newsroom's data: publishers, sections, listed companies, articles and the import ledger."""

import datetime
import operator
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import ItemBase, TagBase

from articles import columns
from articles.ingest.cleaning import first_image, sanitise
from articles.links import path_to, remembered_path
from articles.search.fields import TokenVectorField
from articles.search.tokens import html_to_text, search_document
from articles.text import ascii_slug, story_slug


class OriginalLink(NamedTuple):
    url: str
    text: str  # the link on the story page
    short: str  # the link in feeds
    hint: str  # for screen readers: whose page it is


class Source(models.Model):
    """A publisher a story came from (中国经济网, 财联社 …)."""

    name = models.CharField(_("名称"), max_length=columns.SOURCE_NAME, unique=True)
    slug = models.SlugField(_("网址标识"), max_length=100, unique=True)
    url = models.URLField(_("网站"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("来源")
        verbose_name_plural = _("来源")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = ascii_slug(self.name, fallback="source")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return remembered_path(self, "articles:source", self.slug)


class SourceKey(models.Model):
    """A key under which feeds refer to a source (the front matter's `categories` value)."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="keys")
    key = models.CharField(_("键"), max_length=columns.SOURCE_KEY, unique=True)

    class Meta:
        verbose_name = _("来源别名")
        verbose_name_plural = _("来源别名")

    def __str__(self) -> str:
        return self.key


class Category(models.Model):
    """An editorial section. Editors own these; import assigns them through keyword rules."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    slug = models.SlugField(_("网址标识"), max_length=100, unique=True)
    description = models.TextField(_("简介"), blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    keywords = models.TextField(
        _("自动归类关键词"),
        blank=True,
        help_text=_(
            "每行或以逗号分隔一个关键词。新稿件按全文计分：关键词出现在标题计 3 分，"
            "在正文中每出现一次计 1 分（每词最多 2 分）；得分最高的栏目胜出，同分时按排序。"
        ),
    )
    is_default = models.BooleanField(
        _("默认栏目"), default=False, help_text=_("没有关键词命中时归入此栏目。")
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("栏目")
        verbose_name_plural = _("栏目")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = ascii_slug(self.name, fallback="category")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return remembered_path(self, "articles:category", self.slug)

    def keyword_list(self) -> list[str]:
        raw = self.keywords.replace("，", ",").replace("\n", ",")
        return [word.strip() for word in raw.split(",") if word.strip()]


class Stock(models.Model):
    """A listed company, identified by market and code (SZ002024, HK00493, USNIO)."""

    class Market(models.TextChoices):
        SZ = "SZ", _("深交所")
        SH = "SH", _("上交所")
        BJ = "BJ", _("北交所")
        HK = "HK", _("港交所")
        US = "US", _("美股")

    class NameSource(models.TextChoices):
        DIRECTORY = "directory", _("股票名录")
        LEARNED = "learned", _("从稿件中识别（待确认）")
        EDITOR = "editor", _("编辑确认")

    market = models.CharField(_("市场"), max_length=2, choices=Market.choices)
    code = models.CharField(_("代码"), max_length=columns.STOCK_CODE)
    name = models.CharField(_("公司简称"), max_length=columns.STOCK_NAME, blank=True)
    full_name = models.CharField(_("公司全称"), max_length=200, blank=True)
    former_names = models.JSONField(_("曾用名"), default=list, blank=True)
    # What the news calls the company besides its listed name (京东, 美的, 腾讯): found in texts
    # even when only two characters long, as they are chosen by hand.
    aliases = models.JSONField(_("常用称呼"), default=list, blank=True)
    name_source = models.CharField(_("名称来源"), max_length=16, choices=NameSource.choices,
                                   default=NameSource.DIRECTORY)
    listed_on = models.DateField(_("上市日期"), null=True, blank=True)
    is_listed = models.BooleanField(_("上市中"), default=True)
    # What a search for the company may be typed as: names, pinyin, initials, code forms
    # (articles/stocks.py: search_keys), space-separated, lower case, with a space each side.
    search_keys = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["market", "code"]
        constraints = [
            models.UniqueConstraint(fields=["market", "code"], name="stock_market_code_unique"),
        ]
        verbose_name = _("股票")
        verbose_name_plural = _("股票")

    def __str__(self) -> str:
        return f"{self.symbol} {self.name}".strip()

    def save(self, *args, **kwargs):
        from articles.stocks import stock_search_keys

        self.search_keys = stock_search_keys(self)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "former_names", "aliases", "code"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_keys"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return path_to("articles:stock", self.symbol)

    @property
    def symbol(self) -> str:
        return f"{self.market}{self.code}"



class ArticleTag(TagBase):
    """A taggit tag whose slug is ASCII pinyin, so Chinese tags get usable URLs."""

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")

    def slugify(self, tag, i=None):
        slug = ascii_slug(tag, fallback="tag")
        return f"{slug}-{i}" if i is not None else slug

    def get_absolute_url(self) -> str:
        return path_to("articles:tag", self.slug)


class TaggedArticle(ItemBase):
    tag = models.ForeignKey(ArticleTag, on_delete=models.CASCADE, related_name="items")
    content_object = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="tagged_items"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_object", "tag"], name="tagged_article_unique"
            ),
        ]
        indexes = [models.Index(fields=["tag", "content_object"], name="tagged_tag_article_idx")]


class ImportRun(models.Model):
    """One run of the import command: the ledger editors and operators read."""

    class Status(models.TextChoices):
        RUNNING = "running", _("运行中")
        OK = "ok", _("成功")
        FAILED = "failed", _("有失败")
        DRY_RUN = "dry_run", _("演练")

    started_at = models.DateTimeField(_("开始时间"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    paths = models.JSONField(_("导入路径"), default=list)
    host = models.CharField(_("主机"), max_length=200, blank=True)
    pid = models.PositiveIntegerField(_("进程号"), null=True, blank=True)
    created = models.PositiveIntegerField(_("新建"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变"), default=0)
    skipped = models.PositiveIntegerField(_("跳过"), default=0)
    conflicts = models.PositiveIntegerField(_("待审冲突"), default=0)
    duplicates = models.PositiveIntegerField(_("重复"), default=0)
    suppressed = models.PositiveIntegerField(_("不再导入"), default=0)
    ignored = models.PositiveIntegerField(_("已忽略"), default=0)
    failed = models.PositiveIntegerField(_("失败"), default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")

    def __str__(self) -> str:
        return f"#{self.pk} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M:%S}"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


class SanitisedHTMLField(models.TextField):
    """HTML stored only as cleaning.sanitise() leaves it, however it is written: save(),
    create(), QuerySet.update(), bulk_create() and bulk_update() all send values through
    get_prep_value(). (ingest/bulk.py writes rows as they are: the import's bodies come out of
    the same sanitiser in clean_html.)"""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return sanitise(value) if value else value


# Columns no public page or list prints: deferred wherever articles are shown.
NOT_SHOWN = ("front_matter", "imported_values", "pending_changes", "search_text", "search_vector",
             "title_vector")


def visibility(at=None) -> list[tuple[str, str, object]]:
    """What readers may see, as (field, lookup, value): a story released for publication (by
    an editor or the import) whose publication time has come (`at`, by default now).

    The one statement of the rule. ArticleQuerySet.published() filters on it, the page cache
    and the admin use that QuerySet, Article.is_published checks these lookups on an instance,
    and the public pages' hand-written SQL (articles/reads.py) is spelled from them."""
    return [("status", "exact", Article.Status.PUBLISHED),
            ("published_at", "lte", at or timezone.now())]


# What visibility()'s lookups mean for a value in Python (Article.is_published).
_HOLDS = {"exact": operator.eq, "lte": operator.le}
# The lookup that fails where one of visibility()'s holds (ArticleQuerySet.unpublished).
_FAILS = {"lte": "gt"}
END_OF_TIME = datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC)


class ArticleQuerySet(models.QuerySet):
    def published(self, at=None):
        """The stories readers may see now (or at `at`): visibility()."""
        return self.filter(**{f"{name}__{lookup}": value for name, lookup, value in visibility(at)})

    def unpublished(self, at=None):
        """The stories readers may not see now (or at `at`): published()'s complement, spelled
        without NOT (each of visibility()'s conditions failed, as a lookup an index serves), so
        that the few unpublished stories are found without reading the published ones."""
        failed = Q()
        for name, lookup, value in visibility(at):
            if lookup == "exact":  # any other of the field's choices
                others = [choice for choice, _ in Article._meta.get_field(name).choices if choice != value]
                failed |= Q(**{f"{name}__in": others})
            else:
                failed |= Q(**{f"{name}__{_FAILS[lookup]}": value})
        return self.filter(failed)

    def scheduled(self, at=None):
        """Stories released for a publication time still to come: they will be published()."""
        return self.published(at=END_OF_TIME).filter(published_at__gt=at or timezone.now())

    def in_period(self, start, end):
        """Stories published in [start, end)."""
        return self.filter(published_at__gte=start, published_at__lt=end)

    def one_per_story(self, at=None):
        """Of each same-story cluster, only the story lists show: the one no other published
        story of its cluster outranks (the editors' pick, else the earliest). The public lists'
        SQL (articles/reads.py ONE_PER_STORY) is the same rule; tests compare the two."""
        earlier = Q(published_at__lt=OuterRef("published_at")) | Q(
            published_at=OuterRef("published_at"), pk__lt=OuterRef("pk"))
        outranks = (Article.objects.published(at).filter(cluster_id=OuterRef("cluster_id"))
                    .exclude(pk=OuterRef("pk"))
                    .filter(Q(pk=F("cluster__lead_id")) | (
                        (Q(cluster__lead__isnull=True) | ~Q(cluster__lead_id=OuterRef("pk"))) & earlier)))
        return self.filter(Q(cluster__isnull=True) | ~Exists(outranks))

    def with_cluster_size(self):
        """Each story with `cluster_size`: how many stories its cluster holds (any state)."""
        count = (Article.objects.filter(cluster_id=OuterRef("cluster_id")).order_by()
                 .values("cluster_id").annotate(n=Count("pk")).values("n"))
        return self.annotate(cluster_size=Coalesce(Subquery(count), 0))

    def with_publishers(self, at=None):
        """Each story with `publishers`: how many sources its cluster's published stories have
        (N 家媒体报道); 0 for a story in no cluster."""
        count = (Article.objects.published(at).filter(cluster_id=OuterRef("cluster_id")).order_by()
                 .values("cluster_id").annotate(n=Count("source_id", distinct=True)).values("n"))
        return self.annotate(publishers=Coalesce(Subquery(count), 0))

    def hot(self, board: str, at=None):
        """The stories readers see on hot list `board` ("day": 24小时热读, "week": 本周热读),
        with `reads`: editors' pins first, hidden ones left out (articles/reading/boards.py)."""
        from articles.reading.boards import hot

        return hot(self, board, at=at)

    def most_read(self, *, hours: int, at=None):
        """These published stories read in the last `hours` hours, most read first, with `reads`
        (a company's most-read stories: Article.objects.filter(stocks=stock).most_read(hours=168))."""
        from articles.reading.boards import most_read

        return most_read(self, hours=hours, at=at)


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        REVIEW = "review", _("待审")
        PUBLISHED = "published", _("已发布")
        REJECTED = "rejected", _("已拒绝")
        TRASHED = "trashed", _("回收站")

    title = models.CharField(_("标题"), max_length=columns.TITLE)
    slug = models.SlugField(_("网址标识"), max_length=columns.SLUG, blank=True)
    summary = models.TextField(_("摘要"), blank=True)
    body = SanitisedHTMLField(_("正文"), blank=True)
    # The body's first picture (never a stock chart): the lists' thumbnail. Kept with the body.
    image = models.CharField(_("题图"), max_length=columns.URL, blank=True, editable=False)
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    source = models.ForeignKey(
        Source, verbose_name=_("来源"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="articles", db_index=False,  # article_source_pub_idx leads with it
    )
    category = models.ForeignKey(
        Category, verbose_name=_("栏目"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="articles", db_index=False,  # article_cat_pub_idx leads with it
    )
    tags = TaggableManager(verbose_name=_("标签"), through=TaggedArticle, blank=True)
    stocks = models.ManyToManyField(
        Stock, verbose_name=_("股票"), blank=True, related_name="articles"
    )
    # Companies the text names without a code (找到的公司名): linked once an editor confirms.
    suggested_stocks = models.ManyToManyField(
        Stock, verbose_name=_("建议的股票"), blank=True, related_name="suggested_in"
    )

    # Identity of the story across files, feeds and re-imports.
    external_id = models.CharField(
        _("外部编号"), max_length=columns.EXTERNAL_ID, null=True, blank=True, unique=True
    )
    original_url = models.URLField(_("原文链接"), max_length=columns.URL, null=True, blank=True)
    fingerprint = models.CharField(
        _("内容指纹"), max_length=64, null=True, blank=True, unique=True, editable=False
    )
    legacy_path = models.CharField(
        _("旧站路径"), max_length=columns.LEGACY_PATH, null=True, blank=True, unique=True,
        help_text=_("旧 Jekyll 站点的网址，如 /emnews/2021/12/08/202112082206672930.html"),
    )

    # Import provenance.
    source_file = models.CharField(_("源文件"), max_length=columns.FILE_PATH, blank=True)
    source_format = models.CharField(_("源格式"), max_length=16, blank=True)
    content_hash = models.CharField(_("文件哈希"), max_length=64, blank=True)
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    import_run = models.ForeignKey(
        ImportRun, verbose_name=_("最近导入"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="articles", db_index=False,  # article_import_run_idx
    )
    front_matter = models.JSONField(_("原始头信息"), default=dict, blank=True)
    inferred_fields = models.JSONField(_("推断字段"), default=list, blank=True)
    # What the importer last wrote, field by field: a field whose current value differs from
    # this was changed by an editor and is never overwritten by a re-import.
    imported_values = models.JSONField(default=dict, blank=True, editable=False)
    # The source's newer values for fields an editor changed, awaiting an editor's decision.
    pending_changes = models.JSONField(_("来源新版本"), default=dict, blank=True)
    needs_review = models.BooleanField(_("需复核"), default=False)

    # The same story from other publishers (articles/clusters): the import puts a reprint or
    # rewrite in the cluster of the story it copies; editors split and merge.
    cluster = models.ForeignKey(
        "Cluster", verbose_name=_("同题组"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="articles", db_index=False,  # article_cluster_idx leads with it
    )
    # An editor placed this story (split it out, merged it): the import never moves it.
    cluster_fixed = models.BooleanField(_("编辑已确定同题组"), default=False)
    # Marked by an editor: shown in red on the 7x24 live page, which can show these alone.
    important = models.BooleanField(_("重要"), default=False)

    search_text = models.TextField(blank=True, editable=False)
    # PostgreSQL: search_text's distinct tokens as a tsvector, under the GIN search index.
    search_vector = TokenVectorField(null=True, blank=True, editable=False)
    # PostgreSQL: the title's own tokens, under the GIN index that ranks title hits first.
    title_vector = TokenVectorField(null=True, blank=True, editable=False, tokens_from="title_tokens")

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        get_latest_by = "published_at"
        verbose_name = _("稿件")
        verbose_name_plural = _("稿件")
        permissions = [("empty_trash", _("可以清空回收站（永久删除稿件）"))]
        constraints = [
            models.UniqueConstraint(
                fields=["original_url"],
                condition=Q(original_url__isnull=False),
                name="article_original_url_unique",
            ),
        ]
        # Every row of the archive pays for each index at insert: a foreign key whose column
        # leads one of these has no index of its own.
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="article_pub_idx"),
            models.Index(
                fields=["source", "status", "-published_at"], name="article_source_pub_idx"
            ),
            models.Index(
                fields=["category", "status", "-published_at"], name="article_cat_pub_idx"
            ),
            models.Index(fields=["-published_at", "-id"], name="article_date_idx"),
            models.Index(
                fields=["needs_review"], condition=Q(needs_review=True),
                name="article_needs_review_idx",
            ),
            models.Index(fields=["import_run"], name="article_import_run_idx"),
            models.Index(fields=["cluster", "status", "published_at"], name="article_cluster_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = story_slug(self.external_id, self.title)
        fields = kwargs.get("update_fields")
        if fields is None or "body" in fields:
            # What the field will store, so that the search text and this instance agree with it.
            self.body = sanitise(self.body or "")
            self.image = self.thumbnail_of(self.body)
            if fields is not None:
                fields = kwargs["update_fields"] = {*fields, "image"}
        if fields is None or not {"title", "summary", "body"}.isdisjoint(fields):
            # Re-tokenise only when the text may have changed (status changes by the admin's
            # bulk actions don't), and write the tokens with the text that changed.
            self.search_text = self.build_search_text()  # search_vector follows it on write
            if fields is not None:
                kwargs["update_fields"] = {*fields, "search_text", "search_vector", "title_vector"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return path_to("articles:detail", self.pk, self.slug or "a")

    @staticmethod
    def thumbnail_of(body: str) -> str:
        """The lists' thumbnail of a story with this (sanitised) body: its first picture, if
        its address fits the column (a cut address would be a broken image)."""
        image = first_image(body)
        return image if len(image) <= columns.URL else ""

    def original_link(self) -> "OriginalLink | None":
        """Where the story's 查看原文 link leads, and what it honestly says there: the
        publisher's own page is 原文; a copy on a scraper's mirror (settings
        NEWSROOM_MIRROR_HOSTS) is called a reprint page, with its host named."""
        if not self.original_url:
            return None
        host = (urlsplit(self.original_url).hostname or "").lower()
        publisher = self.source.name if self.source_id else "原发媒体"
        if any(host == mirror or host.endswith("." + mirror) for mirror in settings.NEWSROOM_MIRROR_HOSTS):
            return OriginalLink(self.original_url, "查看转载页", "转载页", f"（转载网站 {host}，并非{publisher}网站）")
        return OriginalLink(self.original_url, "查看原文", "原文", f"（{publisher}网站）")

    def build_search_text(self) -> str:
        return search_document(self.title, self.summary, html_to_text(self.body))

    @property
    def title_tokens(self) -> str:
        return search_document(self.title)

    def same_story(self) -> "ArticleQuerySet":
        """The other published stories of this story's cluster (其他媒体报道), earliest first."""
        if not self.cluster_id:
            return Article.objects.none()
        return (Article.objects.published().filter(cluster_id=self.cluster_id).exclude(pk=self.pk)
                .order_by("published_at", "id"))

    @property
    def is_published(self) -> bool:
        """Whether readers may see this story now: visibility()'s lookups, checked on it."""
        return all(_HOLDS[lookup](getattr(self, name), value) for name, lookup, value in visibility())


class Cluster(models.Model):
    """The stories of one event from several publishers (同题稿件). Lists show one of them:
    the editors' pick while it is published, else the earliest published one."""

    lead = models.ForeignKey(
        Article, verbose_name=_("主稿"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", help_text=_("编辑指定的主稿；未指定时为最早发布的一篇"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("同题组")
        verbose_name_plural = _("同题组")

    def __str__(self) -> str:
        return f"同题组 #{self.pk}"


class StoryLikeness(models.Model):
    """A story's likeness (articles/clusters/likeness.py), kept to compare later stories with:
    the stories of the days around a new one are read by `day` (articles/clusters/placing.py)."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, primary_key=True,
                                   related_name="likeness")
    day = models.DateField(db_index=True)  # the story's day of publication (Beijing time)
    # False for a near-verbatim copy: the story it copies answers for its words.
    indexed = models.BooleanField(default=True)
    minhash = models.BinaryField()
    shingles = models.PositiveIntegerField()  # 0: too short to compare
    figures = models.TextField(blank=True)  # space-separated
    companies = models.TextField(blank=True)  # space-separated

    def __str__(self) -> str:
        return f"likeness of #{self.article_id}"


class ArticleChange(models.Model):
    """A change readers' mirrors must follow (the API's change feed): a story became visible
    (created), changed while visible (updated), stopped being visible (unpublished) or was
    deleted. Recorded by articles/changes.py; `at` is when it takes effect (a scheduled story's
    publication time), so the feed serves nothing before it happens."""

    class Action(models.TextChoices):
        CREATED = "created", _("上线")
        UPDATED = "updated", _("更新")
        UNPUBLISHED = "unpublished", _("下线")
        DELETED = "deleted", _("删除")

    article_id = models.BigIntegerField()  # no foreign key: a deletion is recorded too
    action = models.CharField(max_length=16, choices=Action.choices)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["at", "id"], name="articlechange_at_idx"),
                   models.Index(fields=["article_id", "at"], name="articlechange_article_idx")]

    def __str__(self) -> str:
        return f"#{self.article_id} {self.action} {self.at:%Y-%m-%d %H:%M:%S}"


class ImportedFile(models.Model):
    """What the importer last saw at a path; lets a re-run skip unchanged files unread."""

    path = models.CharField(max_length=columns.FILE_PATH, unique=True)
    size = models.BigIntegerField()
    mtime_ns = models.BigIntegerField()
    content_hash = models.CharField(max_length=64)
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="files"
    )
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("已导入文件")
        verbose_name_plural = _("已导入文件")

    def __str__(self) -> str:
        return self.path


class ImportFileResult(models.Model):
    """A file's outcome in one run (skipped files are counted, not listed)."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("新建")
        UPDATED = "updated", _("更新")
        UNCHANGED = "unchanged", _("未变")
        CONFLICT = "conflict", _("待审冲突")
        DUPLICATE = "duplicate", _("重复稿")
        SUPPRESSED = "suppressed", _("已删除/拒绝")
        IGNORED = "ignored", _("已忽略")
        FAILED = "failed", _("失败")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="results")
    path = models.CharField(_("文件"), max_length=columns.FILE_PATH)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices)
    error = models.TextField(_("原因"), blank=True)
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="import_results"
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "outcome"], name="importresult_run_outcome_idx")]
        verbose_name = _("文件结果")
        verbose_name_plural = _("文件结果")

    def __str__(self) -> str:
        return f"{self.path}: {self.get_outcome_display()}"


class Tombstone(models.Model):
    """Identity keys of articles an editor deleted, so the importer never brings them back."""

    key = models.CharField(_("识别键"), max_length=600, unique=True)
    title = models.CharField(_("标题"), max_length=300, blank=True)
    deleted_at = models.DateTimeField(_("删除时间"), default=timezone.now)

    class Meta:
        verbose_name = _("已删除稿件")
        verbose_name_plural = _("已删除稿件")

    def __str__(self) -> str:
        return self.key


class Revision(models.Model):
    """One change to a story: who or which import run made it, which fields it changed, and
    every tracked field as the story stood afterwards (articles/revisions.py)."""

    class Kind(models.TextChoices):
        IMPORTED = "imported", _("导入")
        IMPORT_UPDATE = "import_update", _("导入更新")
        EDIT = "edit", _("编辑保存")
        ACCEPT = "accept", _("采用来源版本")
        KEEP = "keep", _("保留编辑")
        BULK = "bulk", _("批量操作")
        RESTORE = "restore", _("恢复版本")
        TRASH = "trash", _("移到回收站")
        UNTRASH = "untrash", _("从回收站恢复")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("编辑"), on_delete=models.SET_NULL,
                             null=True, blank=True, related_name="+")
    import_run = models.ForeignKey(ImportRun, verbose_name=_("导入批次"), on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    fields = models.JSONField(_("修改的字段"), default=list)
    values = models.JSONField(_("内容"), default=dict)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["article", "-created_at", "-id"], name="revision_article_idx")]
        verbose_name = _("修订版本")
        verbose_name_plural = _("修订版本")

    def __str__(self) -> str:
        return f"#{self.pk} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M:%S} {self.get_kind_display()}"


class Correction(models.Model):
    """A dated correction note (更正) an editor adds to a story; readers see it on the page and
    feeds carry the story as updated."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    created_at = models.DateTimeField(_("更正时间"), default=timezone.now)
    text = models.TextField(_("更正说明"), max_length=1000)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("编辑"), on_delete=models.SET_NULL,
                             null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["article", "created_at"], name="correction_article_idx")]
        verbose_name = _("更正")
        verbose_name_plural = _("更正")

    def __str__(self) -> str:
        return f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M} {self.text[:40]}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Feeds date a story by its last change: a correction is one.
        Article.objects.filter(pk=self.article_id).update(updated_at=timezone.now())


# Declared in their own package, registered with the app here.
from articles.reading.models import HotEntry, HotPick, ReadBatch, StoryReads  # noqa: E402, F401
