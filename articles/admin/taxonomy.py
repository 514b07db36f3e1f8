"""Categories with their keyword rules, listed companies, and tags."""

import re

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.html import format_html

from articles.admin.common import PublicPagesMixin, listed_count, log_changes, pages_changed
from articles.categorize import reclassify
from articles.models import Article, ArticleTag, Category, Stock, TaggedArticle

SYMBOL = re.compile(r"^(SZ|SH|BJ|HK|US)\s*([A-Z0-9.]+)$", re.I)


def _count_link(url_name: str, query: str, count: int):
    return format_html('<a href="{}?{}">{}</a>', reverse(url_name), query, count)


@admin.action(description="对所选栏目的稿件及未归类稿件重新应用规则", permissions=["change"])
def reapply_rules_to_categories(modeladmin, request, queryset):
    articles = Article.objects.filter(Q(category__in=queryset) | Q(category__isnull=True))
    with transaction.atomic():
        ids = reclassify(articles)
        for start in range(0, len(ids), 1000):
            chunk = Article.objects.filter(pk__in=ids[start : start + 1000]).only("id", "title")
            log_changes(request, chunk, "按关键词规则重新归类")
    pages_changed()
    modeladmin.message_user(
        request, f"已按规则重新归类 {len(ids)} 篇稿件（编辑手动设置的栏目保持不变）。",
        messages.SUCCESS,
    )


@admin.register(Category)
class CategoryAdmin(PublicPagesMixin, admin.ModelAdmin):
    list_display = ("name", "order", "is_default", "keyword_preview", "article_count", "description")
    list_editable = ("order",)
    list_display_links = ("name",)
    search_fields = ("name", "slug")
    ordering = ("order", "name")
    actions = [reapply_rules_to_categories]
    fieldsets = (
        (None, {"fields": ("name", "slug", "order", "description")}),
        ("自动归类", {"fields": ("keywords", "is_default")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            article_count=listed_count(Article.objects.all(), "category")
        )

    @admin.display(description="稿件数", ordering="article_count")
    def article_count(self, obj):
        return _count_link(
            "admin:articles_article_changelist", f"category__id__exact={obj.pk}", obj.article_count
        )

    @admin.display(description="关键词")
    def keyword_preview(self, obj):
        words = obj.keyword_list()
        shown = "、".join(words[:8])
        return f"{shown} 等 {len(words)} 个" if len(words) > 8 else (shown or "—")


@admin.action(description="确认所选公司的名称", permissions=["change"])
def confirm_names(modeladmin, request, queryset):
    confirmed = list(queryset.exclude(name="").exclude(name_source=Stock.NameSource.EDITOR))
    for stock in confirmed:
        stock.name_source = Stock.NameSource.EDITOR
        stock.save(update_fields=["name_source"])
    log_changes(request, confirmed, "确认公司名称")
    modeladmin.message_user(request, f"已确认 {len(confirmed)} 家公司的名称。", messages.SUCCESS)


class CoveredFilter(admin.SimpleListFilter):
    """Companies with stories: the few hundred an editor works with among the directory's
    thousands."""

    title = "报道"
    parameter_name = "covered"

    def lookups(self, request, model_admin):
        return [("yes", "有稿件的公司"), ("no", "没有稿件的公司")]

    def queryset(self, request, queryset):
        linked = Article.stocks.through.objects.filter(stock_id=OuterRef("pk"))
        if self.value() == "yes":
            return queryset.filter(Exists(linked))
        if self.value() == "no":
            return queryset.exclude(Exists(linked))
        return queryset


@admin.register(Stock)
class StockAdmin(PublicPagesMixin, admin.ModelAdmin):
    list_display = ("symbol_cell", "market", "code", "name", "name_source", "article_count")
    list_editable = ("name",)
    list_filter = (CoveredFilter, "name_source", "market", "is_listed")
    search_fields = ("code", "name", "full_name", "search_keys")
    search_help_text = "按代码、公司简称、全称、曾用名、拼音首字母或完整代码（如 SZ002024）搜索"
    fields = ("market", "code", "name", "full_name", "former_names", "name_source", "listed_on", "is_listed")
    readonly_fields = ("name_source",)
    actions = [confirm_names]

    def save_model(self, request, obj, form, change):
        if "name" in form.changed_data or "full_name" in form.changed_data:
            obj.name_source = Stock.NameSource.EDITOR  # the directory's refreshes keep it
        super().save_model(request, obj, form, change)
    ordering = ("market", "code")
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            article_count=listed_count(Article.stocks.through.objects.all(), "stock", article="article__")
        )

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = SYMBOL.match(search_term.strip())
        if match:
            # A full symbol (SZ002024) finds its company; a name that merely starts like one
            # (Shopify: SH OPIFY) must still be found by name.
            exact = queryset.filter(market=match[1].upper(), code=match[2].upper())
            return found | exact, may_have_duplicates
        return found, may_have_duplicates

    @admin.display(description="完整代码", ordering="code")
    def symbol_cell(self, obj):
        return obj.symbol

    @admin.display(description="稿件数", ordering="article_count")
    def article_count(self, obj):
        return _count_link(
            "admin:articles_article_changelist", f"stocks__id__exact={obj.pk}", obj.article_count
        )


@admin.register(ArticleTag)
class ArticleTagAdmin(PublicPagesMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "article_count")
    search_fields = ("name",)
    ordering = ("name",)
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            article_count=listed_count(TaggedArticle.objects.all(), "tag", article="content_object__")
        )

    @admin.display(description="稿件数", ordering="article_count")
    def article_count(self, obj):
        return _count_link(
            "admin:articles_article_changelist", f"tags__id__exact={obj.pk}", obj.article_count
        )
