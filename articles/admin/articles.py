"""The article desk: triage list, edit form with provenance, preview, and source review."""

import yaml
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from articles import identity, revisions, trash
from articles.admin import presence
from articles.admin.actions import ARTICLE_ACTIONS
from articles.admin.changelist import EstimatedCountPaginator, FastDateHierarchyChangeList
from articles.admin.common import PublicPagesMixin, log_changes, pages_changed
from articles.admin.diff import review_rows
from articles.admin.filters import ClusterFilter, ImportRunFilter, NeedsReviewFilter, ScheduleFilter
from articles.admin.forms import ArticleAdminForm
from articles.admin.hot import HOT_ACTIONS
from articles.admin.reasons import reason_html
from articles.admin.revisions import RevisionViews
from articles.ingest.review import accept_source, keep_edits, pending_fields
from articles.models import NOT_SHOWN, Article, Correction
from articles.search.filters import filter_matching
from articles.search.query import parse_query
from articles.suggestions import confirm_suggested
from articles.tracked import LABELS, decode_datetime

# Columns the list never shows; loading them for 50 rows would read megabytes of HTML.
LIST_DEFERRED = ("body", *NOT_SHOWN)
SUGGESTIONS = ("suggested_panel",)
SAME_STORY = ("same_story_panel",)
PROVENANCE = (
    "original_link", "external_id", "legacy_path", "source_file", "source_format",
    "imported_at", "import_history", "inferred_summary", "front_matter_pretty", "content_hash",
    "created_at", "updated_at",
)


def search_articles(queryset, query: str):
    """Return (`queryset` narrowed to the articles matching `query`, a problem to show or "").

    An id-like query (NW202202212282659685, 202112082206672930) looks up the external id;
    anything else goes through the full-text index (articles.search.filters), so 海尔 finds the
    苏宁易购与海尔… story by its bigrams, in titles and bodies alike.
    """
    query = query.strip()
    if not query:
        return queryset, ""
    if identity.STORY_NUMBER.fullmatch(query):
        return queryset.filter(external_id__in=identity.spellings(query)), ""
    parsed = parse_query(query)
    if parsed.problem:
        return queryset.none(), parsed.problem
    return filter_matching(queryset, parsed), ""


def originally_inferred(article: Article) -> list[str]:
    """Fields whose imported value was guessed, whether or not an editor has checked them."""
    names = list(article.inferred_fields or [])
    front_matter = article.front_matter or {}
    if article.source_format == "text":
        names += ["title", "published_at"]
    elif article.source_format == "jekyll":
        names += [name for name, key in (("title", "title"), ("published_at", "date"))
                  if not front_matter.get(key)]
    return list(dict.fromkeys(names))


def review_meta(article: Article) -> dict:
    """Where and when the pending source change was seen, for the review panel."""
    meta = dict(article.pending_changes or {})
    detected = decode_datetime(meta.get("detected_at"))
    meta["detected_at"] = timezone.localtime(detected).strftime("%Y-%m-%d %H:%M") if detected else ""
    return meta


class ArticleChangeList(FastDateHierarchyChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        if self.params.get("status__exact") != Article.Status.TRASHED:
            queryset = queryset.exclude(status=Article.Status.TRASHED)  # the trash has its own view
        return queryset.defer(*LIST_DEFERRED).prefetch_related("stocks").with_cluster_size()


class CorrectionInline(admin.TabularInline):
    """Dated correction notes (更正): readers see them on the story page."""

    model = Correction
    fields = ("text", "created_at", "user")
    readonly_fields = ("created_at", "user")
    extra = 0
    classes = ("nr-corrections",)

    def has_change_permission(self, request, obj=None):
        return False  # a correction stands as published; add another to correct it

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(PublicPagesMixin, RevisionViews, admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = (
        "title_cell", "source", "category", "status_badge", "published_local", "stock_symbols",
        "same_story_cell",
    )
    list_display_links = ("title_cell",)
    list_filter = ("status", ScheduleFilter, NeedsReviewFilter, ClusterFilter, "important", "source", "category",
                   ImportRunFilter)
    date_hierarchy = "published_at"
    search_fields = ("title",)  # shows the box; search_articles() does the matching
    search_help_text = "按标题、正文或外部编号搜索，支持中文（如：海尔）；多个词用空格分隔。"
    list_select_related = ("source", "category")
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a COUNT per filter option: too dear at a million rows
    paginator = EstimatedCountPaginator
    ordering = ("-published_at", "-id")
    autocomplete_fields = ("source", "category", "stocks")
    actions = [*ARTICLE_ACTIONS, *HOT_ACTIONS]
    readonly_fields = PROVENANCE + SUGGESTIONS + SAME_STORY
    save_on_top = True
    change_list_template = "admin/articles/change_list_fast_dates.html"

    class Media:
        css = {"all": ("vendor/quill-2.0.3/quill.snow.css",)}
        js = ("vendor/quill-2.0.3/quill.js", "admin/newsroom-body-editor.js", "admin/newsroom-edit.js")
    fieldsets = (
        ("内容", {"fields": ("title", "summary", "body")}),
        ("分类", {"fields": ("source", "category", "tags", "stocks", "suggested_panel")}),
        ("发布", {"fields": ("status", "published_at", "important", "slug")}),
        ("同题稿件", {"fields": SAME_STORY}),
        ("出处", {"fields": PROVENANCE, "classes": ("nr-provenance",)}),
    )

    # --- change list ---------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return ArticleChangeList

    def get_search_results(self, request, queryset, search_term):
        matches, problem = search_articles(queryset, search_term)
        if problem:
            self.message_user(request, problem, messages.WARNING)
        return matches, False

    @admin.display(description="标题", ordering="title")
    def title_cell(self, obj):
        if obj.needs_review:
            return format_html('{} <span class="nr-flag">需复核</span>', obj.title)
        return obj.title

    @admin.display(description="状态", ordering="status")
    def status_badge(self, obj):
        if obj.status == Article.Status.PUBLISHED and not obj.is_published:
            return format_html('<span class="nr-status nr-status-scheduled" title="{}">定时</span>',
                               f"{timezone.localtime(obj.published_at):%Y-%m-%d %H:%M} 自动上线")
        return format_html(
            '<span class="nr-status nr-status-{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description="发布时间（北京时间）", ordering="published_at")
    def published_local(self, obj):
        return timezone.localtime(obj.published_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description="股票")
    def stock_symbols(self, obj):
        # Iterating .all() reads the prefetch cache: one query for the whole page.
        return " ".join(stock.symbol for stock in obj.stocks.all()) or "—"

    @admin.display(description="同题")
    def same_story_cell(self, obj):
        if not obj.cluster_id:
            return "—"
        url = reverse("admin:articles_article_changelist") + f"?cluster={obj.cluster_id}"
        return format_html('<a class="nr-nowrap" href="{}" title="列出同一事件的全部稿件">{} 篇</a>', url,
                           obj.cluster_size)

    # --- edit form -----------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # a story written by hand has no provenance yet
            return self.fieldsets[:-1]
        if obj.inferred_fields:
            (name, options), *rest = self.fieldsets
            return ((name, {**options, "fields": (*options["fields"], "confirm_inferred")}), *rest)
        return self.fieldsets

    def view_on_site(self, obj):
        return obj.get_absolute_url() if obj.is_published else None

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            pending = pending_fields(obj)
            context.update(
                preview_url=reverse("admin:articles_article_preview", args=[obj.pk]),
                revisions_url=reverse("admin:articles_article_revisions", args=[obj.pk]),
                editing_url=reverse("admin:articles_article_editing", args=[obj.pk]),
                confirm_stocks_url=reverse("admin:articles_article_confirm_stocks", args=[obj.pk]),
                other_editors=presence.here(obj.pk, request.user),
                review_url=reverse("admin:articles_article_review", args=[obj.pk]),
                review_rows=review_rows(obj, pending) if pending else [],
                review_meta=review_meta(obj) if pending else {},
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        if getattr(form.instance, "_inferred_reviewed", False):
            message.append({"changed": {"fields": ["推断字段（已核对）"]}})
        return message

    def get_inlines(self, request, obj):
        return [CorrectionInline] if obj is not None and obj.status == Article.Status.PUBLISHED else []

    def save_model(self, request, obj, form, change):
        # Guessed fields stay flagged until the editor ticks that they checked them, or
        # writes them anew. Source changes still wait for an explicit decision.
        if change and obj.inferred_fields:
            checked = form.cleaned_data.get("confirm_inferred")
            left = [] if checked else [name for name in obj.inferred_fields if name not in form.edited]
            if left != obj.inferred_fields:
                obj._inferred_reviewed = True  # for construct_change_message(), called after us
                obj.inferred_fields = left
                obj.needs_review = bool(left or pending_fields(obj))
        if change and not form.has_changed() and not getattr(obj, "_inferred_reviewed", False):
            return  # a save that changes nothing changes nothing (not even updated_at)
        if change:
            revisions.baseline(obj.pk)  # the story as it stood, if this is its first change
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for correction in formset.save(commit=False):
            correction.user = correction.user or request.user
            correction.save()
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.has_changed() or not change:
            revisions.record(form.instance, revisions.Kind.EDIT, user=request.user)

    # --- deleting: to the trash ------------------------------------------------------------

    def delete_model(self, request, obj):
        trash.trash([obj], user=request.user)
        pages_changed()

    def delete_queryset(self, request, queryset):
        trash.trash(queryset, user=request.user)
        pages_changed()

    def log_deletions(self, request, queryset):
        # Called before delete_queryset()/delete_model(): the history says where they went.
        log_changes(request, queryset, "移到回收站")

    def get_deleted_objects(self, objs, request):
        """What the delete confirmation lists: the stories by title, nothing else (they go to
        the trash; their tags, stocks and import records stay with them)."""
        titles = [f"{obj.title}（{obj.get_status_display()}）" for obj in objs]
        return titles, {"稿件": len(titles)}, set(), []

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            function, name, _ = actions["delete_selected"]
            actions["delete_selected"] = (function, name, "把所选稿件移到回收站")
        return actions

    def has_empty_trash_permission(self, request):
        return request.user.has_perm("articles.empty_trash")

    def log_change(self, request, obj, message):
        if message == []:
            return None  # nothing changed: no history entry
        return super().log_change(request, obj, message)

    @admin.display(description="建议的股票")
    def suggested_panel(self, obj):
        """Companies the text names without a code: one click links each (or all)."""
        suggested = list(obj.suggested_stocks.all()) if obj.pk else []
        if not suggested:
            return "—"
        buttons = format_html_join(
            "", '<button type="submit" form="nr-confirm-stocks" name="stock" value="{}" class="button '
            'nr-suggested">确认 {} <span class="symbol">{}</span></button> ',
            ((stock.pk, stock.name or stock.symbol, stock.symbol) for stock in suggested))
        every = format_html('<button type="submit" form="nr-confirm-stocks" name="stock" value="all" '
                            'class="button">全部确认</button>') if len(suggested) > 1 else ""
        return format_html('<div class="nr-suggestions">{}{}<p class="help">正文提到了这些公司的名称（没有写代码），'
                           '确认后链接到稿件。</p></div>', buttons, every)

    @admin.display(description="同一事件的其他稿件")
    def same_story_panel(self, obj):
        """The story's cluster: the other publishers' stories, with their states."""
        if not obj.pk or not obj.cluster_id:
            return format_html('<p class="help">{}</p>', "没有发现其他媒体的同题稿件。" + (
                "（编辑已将本稿移出同题组，导入程序不会再归组。）" if obj.cluster_fixed else ""))
        others = (Article.objects.filter(cluster_id=obj.cluster_id).exclude(pk=obj.pk)
                  .select_related("source").only("pk", "title", "status", "published_at", "source__name")
                  .order_by("published_at", "pk")[:50])
        lead = obj.cluster.lead_id
        row = '<li><a href="{}">{}</a> <span class="nr-status nr-status-{}">{}</span> {} {}{}</li>'
        rows = format_html_join("", row, (
            (reverse("admin:articles_article_change", args=[other.pk]), other.title, other.status,
             other.get_status_display(), other.source.name if other.source else "",
             f"{timezone.localtime(other.published_at):%Y-%m-%d %H:%M}", "（主稿）" if other.pk == lead else "")
            for other in others))
        url = reverse("admin:articles_article_changelist") + f"?cluster={obj.cluster_id}"
        return format_html('<ul class="nr-same-story">{}</ul><div class="nr-same-story-help">{}<a href="{}">'
                           '在列表中处理整组</a>（发布、撤下、移出、合并、设为主稿）。</div>', rows,
                           "本稿是主稿。" if lead == obj.pk else "", url)

    # --- provenance panel ----------------------------------------------------------------

    @admin.display(description="原文链接")
    def original_link(self, obj):
        if not obj.original_url:
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
            obj.original_url, obj.original_url,
        )

    @admin.display(description="导入记录")
    def import_history(self, obj):
        results = obj.import_results.select_related("run").order_by("-run__started_at", "-id")[:20]
        if not results:
            return "—"
        rows = format_html_join(
            "", '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:articles_importrun_change", args=[result.run_id]),
                    str(result.run), result.get_outcome_display(), result.path,
                    reason_html(result.error) if result.error else "",
                )
                for result in results
            ),
        )
        return format_html(
            '<table class="nr-table"><thead><tr><th>批次</th><th>结果</th><th>文件</th>'
            "<th>说明</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="推断字段")
    def inferred_summary(self, obj):
        names = originally_inferred(obj)
        if not names:
            return "无（标题与时间均取自源文件）" if obj.source_format else "—"
        waiting = set(obj.inferred_fields or [])
        return format_html_join(
            "、", '<span class="{}">{}（{}）</span>',
            (
                ("nr-flag" if name in waiting else "nr-ok", LABELS.get(name, name),
                 "待核对" if name in waiting else "已核对")
                for name in names
            ),
        )

    @admin.display(description="原始头信息")
    def front_matter_pretty(self, obj):
        if not obj.front_matter:
            return "—（纯文本文件，无头信息）" if obj.source_format == "text" else "—"
        dumped = yaml.safe_dump(
            obj.front_matter, allow_unicode=True, sort_keys=False, default_flow_style=False
        )
        return format_html('<pre class="nr-pre">{}</pre>', dumped)

    # --- preview and source review -------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="articles_article_preview",
            ),
            path(
                "<path:object_id>/editing/",
                self.admin_site.admin_view(require_POST(self.editing_view)),
                name="articles_article_editing",
            ),
            path(
                "<path:object_id>/confirm-stocks/",
                self.admin_site.admin_view(require_POST(self.confirm_stocks_view)),
                name="articles_article_confirm_stocks",
            ),
            path(
                "<path:object_id>/review/",
                self.admin_site.admin_view(require_POST(self.review_view)),
                name="articles_article_review",
            ),
        ] + self.revision_urls() + super().get_urls()

    def _article_or_404(self, request, object_id) -> Article:
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("稿件不存在")
        return article

    def preview_view(self, request, object_id):
        """The article on the public template, whatever its status, for staff only."""
        from articles.views import ArticleDetailView

        article = self._article_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        # Let the public view build its own context (related stories, …) around this object.
        view = ArticleDetailView()
        view.setup(request, pk=article.pk, slug=article.slug)
        view.object = article
        context = view.get_context_data(object=article)
        context.update(article=article, preview=True)
        response = TemplateResponse(request, view.get_template_names(), context)
        response["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)
        return response

    def confirm_stocks_view(self, request, object_id):
        """Link suggested stocks (one, or all) to the story."""
        article = self._article_or_404(request, object_id)
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        wanted = request.POST.get("stock", "")
        confirmed = confirm_suggested(article, None if wanted == "all" else [wanted], user=request.user)
        if confirmed:
            pages_changed()
            names = "、".join(stock.name or stock.symbol for stock in confirmed)
            self.log_change(request, article, f"确认股票：{names}")
            self.message_user(request, f"已链接股票：{names}。", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))

    def editing_view(self, request, object_id):
        """An open change form's heartbeat: who else has the story open."""
        article = self._article_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        return presence.ping_response(article.pk, request.user)

    def review_view(self, request, object_id):
        """Apply an editor's decision on a source change: take the source's value or keep theirs."""
        article = self._article_or_404(request, object_id)
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        decision, _, field = request.POST.get("decision", "").partition(":")
        decide = {"accept": accept_source, "keep": keep_edits}.get(decision)
        if decide is None:
            return HttpResponseBadRequest("unknown decision")
        done = decide(article, fields=[field] if field else None, user=request.user)
        if done:
            pages_changed()
            verb = "采用来源版本" if decision == "accept" else "保留编辑"
            labels = "、".join(LABELS.get(name, name) for name in done)
            self.log_change(request, article, f"{verb}：{labels}")
            self.message_user(request, f"已{verb}：{labels}。", messages.SUCCESS)
        else:
            self.message_user(request, "没有待处理的来源更新。", messages.WARNING)
        return HttpResponseRedirect(
            reverse("admin:articles_article_change", args=[article.pk])
        )
