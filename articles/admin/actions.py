"""Bulk actions on articles. Each writes one admin log entry per article it changed, so the
article's history shows who did what from the change list too."""

from django.contrib import admin, messages
from django.db import transaction
from django.template.response import TemplateResponse

from articles import revisions, trash
from articles.admin.common import log_changes, pages_changed
from articles.admin.forms import AddTagsForm, SetCategoryForm
from articles.categorize import reclassify
from articles.clusters import editing as clusters
from articles.ingest.review import accept_source, keep_edits, pending_fields
from articles.models import Article, Revision
from articles.suggestions import confirm_suggested

Status = Article.Status
Kind = Revision.Kind


def editable(queryset):
    # The change list defers the heavy columns; Article.save() rebuilds search text from them.
    return queryset.defer(None).select_related(None).prefetch_related(None).order_by("pk")


def render_action_page(modeladmin, request, queryset, *, form, title: str, intro: str = ""):
    """Render the intermediate page of an action that needs a choice before it runs."""
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "form": form,
        "opts": opts,
        "objects": list(queryset.order_by()[:20]) if not form.select_across else [],
        "count": queryset.count(),
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, "admin/articles/action_form.html", context)


def action_form(form_class, request, **kwargs):
    kwargs.update(
        selected=request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        action=request.POST.get("action", ""),
        select_across=request.POST.get("select_across") == "1",
    )
    if "apply" in request.POST:
        return form_class(request.POST, **kwargs)
    return form_class(**kwargs)


def _set_status(request, queryset, *, status: str, only_from=None) -> list[Article]:
    changed = []
    rows = editable(queryset).exclude(status=status)
    if only_from:
        rows = rows.filter(status__in=only_from)
    with transaction.atomic():
        # One save per article, not queryset.update(): post_save receivers (public page
        # caches) must hear about every story that appears or disappears.
        note = f"状态改为「{Status(status).label}」（批量操作）"
        for article in rows:
            with revisions.change(article, Kind.BULK, user=request.user, note=note):
                article.status = status
                article.save(update_fields=["status", "updated_at"])
            changed.append(article)
        log_changes(request, changed, note)
    if changed:
        pages_changed()
    return changed


@admin.action(description="发布所选稿件", permissions=["change"])
def publish(modeladmin, request, queryset):
    """Publish the chosen stories, except those flagged 需复核: their guessed fields or source
    changes wait for an editor's look, one story at a time."""
    flagged = list(editable(queryset).filter(needs_review=True).exclude(status=Status.PUBLISHED)
                   .order_by("-published_at").values_list("title", flat=True)[:FLAGGED_NAMED + 1])
    changed = _set_status(request, queryset.filter(needs_review=False), status=Status.PUBLISHED)
    scheduled = sum(1 for article in changed if not article.is_published)
    note = f"；其中 {scheduled} 篇发布时间在未来，届时自动上线" if scheduled else ""
    modeladmin.message_user(request, f"已发布 {len(changed)} 篇稿件{note}。", messages.SUCCESS)
    if flagged:
        named = "、".join(f"《{title}》" for title in flagged[:FLAGGED_NAMED])
        more = " 等" if len(flagged) > FLAGGED_NAMED else ""
        modeladmin.message_user(
            request, f"未发布需复核的稿件：{named}{more}。请逐篇打开核对后再发布。", messages.WARNING)


FLAGGED_NAMED = 5  # flagged stories a bulk publish names before "等"


@admin.action(description="退回待审", permissions=["change"])
def send_to_review(modeladmin, request, queryset):
    changed = _set_status(request, queryset, status=Status.REVIEW)
    modeladmin.message_user(request, f"已将 {len(changed)} 篇稿件退回待审。", messages.SUCCESS)


@admin.action(description="撤下（改回草稿）", permissions=["change"])
def withdraw(modeladmin, request, queryset):
    changed = _set_status(request, queryset, status=Status.DRAFT, only_from=[Status.PUBLISHED])
    modeladmin.message_user(request, f"已撤下 {len(changed)} 篇已发布稿件。", messages.SUCCESS)


@admin.action(description="设置栏目…", permissions=["change"])
def set_category(modeladmin, request, queryset):
    form = action_form(SetCategoryForm, request)
    if not form.is_bound or not form.is_valid():
        return render_action_page(
            modeladmin, request, queryset, form=form, title="为所选稿件设置栏目"
        )
    category = form.cleaned_data["category"]
    changed = []
    with transaction.atomic():
        note = f"栏目改为「{category}」（批量操作）"
        for article in editable(queryset).exclude(category=category):
            with revisions.change(article, Kind.BULK, user=request.user, note=note):
                article.category = category
                article.save(update_fields=["category", "updated_at"])
            changed.append(article)
        log_changes(request, changed, note)
    pages_changed()
    modeladmin.message_user(
        request, f"已将 {len(changed)} 篇稿件归入「{category}」。", messages.SUCCESS
    )
    return None


@admin.action(description="添加标签…", permissions=["change"])
def add_tags(modeladmin, request, queryset):
    form = action_form(AddTagsForm, request)
    if not form.is_bound or not form.is_valid():
        return render_action_page(
            modeladmin, request, queryset, form=form, title="为所选稿件添加标签"
        )
    names = form.cleaned_data["tags"]
    articles = list(editable(queryset))
    note = f"添加标签：{'、'.join(names)}（批量操作）"
    with transaction.atomic():
        for article in articles:
            with revisions.change(article, Kind.BULK, user=request.user, note=note):
                article.tags.add(*names)
        log_changes(request, articles, note)
    pages_changed()
    modeladmin.message_user(
        request, f"已为 {len(articles)} 篇稿件添加标签：{'、'.join(names)}。", messages.SUCCESS
    )
    return None


def _decide(modeladmin, request, queryset, *, decide, verb: str) -> None:
    decided = []
    with transaction.atomic():
        for article in editable(queryset).filter(needs_review=True):
            if not pending_fields(article):
                continue
            fields = decide(article, user=request.user)
            if fields:
                decided.append(article)
        log_changes(request, decided, f"{verb}（批量操作）")
    pages_changed()
    modeladmin.message_user(request, f"{verb}：{len(decided)} 篇稿件。", messages.SUCCESS)


@admin.action(description="来源有更新：采用来源版本", permissions=["change"])
def accept_source_version(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, decide=accept_source, verb="采用来源版本")


@admin.action(description="来源有更新：保留编辑", permissions=["change"])
def keep_editor_version(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, decide=keep_edits, verb="保留编辑")


@admin.action(description="标记推断字段已核对", permissions=["change"])
def mark_reviewed(modeladmin, request, queryset):
    changed = []
    with transaction.atomic():
        for article in editable(queryset).exclude(inferred_fields=[]):
            article.inferred_fields = []
            article.needs_review = bool(pending_fields(article))
            article.save(update_fields=["inferred_fields", "needs_review", "updated_at"])
            changed.append(article)
        log_changes(request, changed, "推断字段已核对（批量操作）")
    modeladmin.message_user(
        request, f"已将 {len(changed)} 篇稿件的推断字段标记为已核对。", messages.SUCCESS
    )


@admin.action(description="按关键词规则重新归类", permissions=["change"])
def reapply_category_rules(modeladmin, request, queryset):
    with transaction.atomic():
        ids = reclassify(queryset)
        for start in range(0, len(ids), 1000):
            chunk = Article.objects.filter(pk__in=ids[start : start + 1000]).only("id", "title")
            log_changes(request, chunk, "按关键词规则重新归类（批量操作）")
    pages_changed()
    modeladmin.message_user(
        request, f"已按规则重新归类 {len(ids)} 篇稿件（编辑手动设置的栏目保持不变）。",
        messages.SUCCESS,
    )


@admin.action(description="从回收站恢复（恢复为草稿）", permissions=["delete"])
def restore_from_trash(modeladmin, request, queryset):
    restored = trash.restore(editable(queryset), user=request.user)
    log_changes(request, restored, "从回收站恢复为草稿")
    if restored:
        pages_changed()
    modeladmin.message_user(request, f"已从回收站恢复 {len(restored)} 篇稿件（状态为草稿）。", messages.SUCCESS)


@admin.action(description="永久删除（清空所选的回收站稿件）", permissions=["empty_trash"])
def empty_trash(modeladmin, request, queryset):
    count = trash.empty(queryset.filter(status=Status.TRASHED))
    modeladmin.message_user(request, f"已永久删除 {count} 篇回收站稿件；导入程序不会再导入它们。",
                            messages.SUCCESS)


@admin.action(description="确认建议的股票（正文提到的公司）", permissions=["change"])
def confirm_suggested_stocks(modeladmin, request, queryset):
    linked = 0
    for article in editable(queryset).filter(suggested_stocks__isnull=False).distinct():
        confirmed = confirm_suggested(article, user=request.user)
        if confirmed:
            linked += 1
            log_changes(request, [article], f"确认股票：{'、'.join(s.name or s.symbol for s in confirmed)}")
    if linked:
        pages_changed()
    modeladmin.message_user(request, f"已为 {linked} 篇稿件链接建议的股票。", messages.SUCCESS)


@admin.action(description="发布所选稿件及其同题稿件", permissions=["change"])
def publish_with_copies(modeladmin, request, queryset):
    """One decision for a story and the same story from other publishers (its cluster)."""
    publish(modeladmin, request, clusters.with_copies(queryset))


@admin.action(description="撤下所选稿件及其同题稿件", permissions=["change"])
def withdraw_with_copies(modeladmin, request, queryset):
    withdraw(modeladmin, request, clusters.with_copies(queryset))


@admin.action(description="合并为同一事件（同题）", permissions=["change"])
def merge_clusters(modeladmin, request, queryset):
    articles = list(queryset.select_related(None).only("pk", "title", "cluster_id"))
    cluster = clusters.merge(articles)
    if cluster is None:
        modeladmin.message_user(request, "请至少选择两篇稿件再合并。", messages.WARNING)
        return
    log_changes(request, articles, f"合并为同题组 #{cluster.pk}")
    pages_changed()
    modeladmin.message_user(request, f"已将 {len(articles)} 篇稿件及其同题稿件合并为同题组 #{cluster.pk}；"
                            "导入程序不会再改动这些稿件的分组。", messages.SUCCESS)


@admin.action(description="移出同题组（单独成篇）", permissions=["change"])
def split_from_cluster(modeladmin, request, queryset):
    articles = list(queryset.select_related(None).only("pk", "title", "cluster_id"))
    moved = clusters.split(articles)
    log_changes(request, articles, "移出同题组")
    pages_changed()
    modeladmin.message_user(request, f"已将 {moved} 篇稿件移出同题组；导入程序不会再把它们归入同题组。",
                            messages.SUCCESS)


@admin.action(description="设为同题主稿（列表中代表本组）", permissions=["change"])
def make_cluster_lead(modeladmin, request, queryset):
    articles = list(queryset.select_related(None).only("pk", "title", "cluster_id")[:2])
    if len(articles) != 1 or not clusters.make_lead(articles[0]):
        modeladmin.message_user(request, "请选择一篇有同题稿件的稿件。", messages.WARNING)
        return
    log_changes(request, articles, "设为同题主稿")
    pages_changed()
    modeladmin.message_user(request, f"《{articles[0].title}》已设为同题主稿。", messages.SUCCESS)


def _set_important(modeladmin, request, queryset, value: bool):
    changed = []
    with transaction.atomic():
        for article in editable(queryset).exclude(important=value):
            article.important = value
            article.save(update_fields=["important", "updated_at"])  # the change feed hears it
            changed.append(article)
        log_changes(request, changed, "标为重要" if value else "取消重要")
    if changed:
        pages_changed()
    modeladmin.message_user(request, f"已{'标为' if value else '取消'}重要 {len(changed)} 篇稿件。", messages.SUCCESS)


@admin.action(description="标为重要（7x24 快讯中红色显示）", permissions=["change"])
def mark_important(modeladmin, request, queryset):
    _set_important(modeladmin, request, queryset, True)


@admin.action(description="取消重要", permissions=["change"])
def unmark_important(modeladmin, request, queryset):
    _set_important(modeladmin, request, queryset, False)


ARTICLE_ACTIONS = [
    publish, publish_with_copies, send_to_review, withdraw, withdraw_with_copies, merge_clusters,
    split_from_cluster, make_cluster_lead, mark_important, unmark_important, set_category, add_tags,
    accept_source_version,
    keep_editor_version, mark_reviewed, reapply_category_rules, confirm_suggested_stocks, restore_from_trash,
    empty_trash,
]
