"""The desk's revision pages: a story's revisions, any two compared, one restored."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from articles import revisions
from articles.admin.common import pages_changed
from articles.admin.diff import display, values_diff
from articles.models import Revision
from articles.tracked import LABELS

PER_PAGE = 50


class RevisionViews:
    """Mixed into ArticleAdmin: /<id>/revisions/ (list and compare) and /<id>/revisions/<n>/restore/."""

    def revision_urls(self) -> list:
        return [
            path("<path:object_id>/revisions/", self.admin_site.admin_view(self.revisions_view),
                 name="articles_article_revisions"),
            path("<path:object_id>/revisions/<int:revision_id>/restore/",
                 self.admin_site.admin_view(require_POST(self.restore_view)),
                 name="articles_article_restore"),
        ]

    def _revision_article(self, request, object_id, *, change: bool):
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("稿件不存在")
        allowed = self.has_change_permission(request, article) if change else \
            self.has_view_or_change_permission(request, article)
        if not allowed:
            raise PermissionDenied
        return article

    def revisions_view(self, request, object_id):
        article = self._revision_article(request, object_id, change=False)
        rows = Revision.objects.filter(article=article).select_related("user", "import_run").defer("values")
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("p"))
        chosen = _compared(request, article)
        context = {
            **self.admin_site.each_context(request),
            "title": f"修订版本：{article.title}",
            "subtitle": None,
            "opts": self.opts,
            "original": article,
            "article": article,
            "page": page,
            "labels": LABELS,
            "compared": chosen,
            "can_restore": self.has_change_permission(request, article),
        }
        return TemplateResponse(request, "admin/articles/article/revisions.html", context)

    def restore_view(self, request, object_id, revision_id):
        article = self._revision_article(request, object_id, change=True)
        revision = get_object_or_404(Revision, pk=revision_id, article=article)
        made = revisions.restore(revision, user=request.user)
        if made:
            pages_changed()
            self.log_change(request, article, f"恢复到版本 #{revision.pk}")
            self.message_user(request, f"已恢复到版本 #{revision.pk}（本次恢复记为版本 #{made.pk}）。",
                              messages.SUCCESS)
        else:
            self.message_user(request, f"稿件内容已与版本 #{revision.pk} 相同，无需恢复。", messages.INFO)
        return HttpResponseRedirect(reverse("admin:articles_article_revisions", args=[article.pk]))


def _compared(request, article) -> dict | None:
    """The two revisions chosen (?a=&b=, by default the latest two) and their differences."""
    wanted = [request.GET.get(key, "") for key in ("a", "b")]
    if all(value.isdigit() for value in wanted):
        found = {r.pk: r for r in Revision.objects.filter(article=article, pk__in=[int(v) for v in wanted])}
        pair = [found.get(int(value)) for value in wanted]
        if None in pair:
            return None
    else:
        pair = list(Revision.objects.filter(article=article)[:2])[::-1]
        if len(pair) < 2:
            return None
    older, newer = sorted(pair, key=lambda r: (r.created_at, r.pk))
    rows = []
    for name in revisions.NAMES:
        old, new = older.values.get(name), newer.values.get(name)
        if old == new:
            continue
        whole = name != "body"
        rows.append({
            "label": LABELS.get(name, name),
            "old": display(name, old) if whole else None,
            "new": display(name, new) if whole else None,
            "diff": values_diff(name, old, new, added_label="新增", removed_label="去掉"),
        })
    return {"older": older, "newer": newer, "rows": rows}
