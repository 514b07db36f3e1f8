"""Sharing a story without a third-party script: its address as a QR code for WeChat's
scanner (an SVG made here with segno, no external service)."""

import io

import segno
from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control

from articles.models import Article
from articles.rendering import absolute_url

QR_SCALE = 4  # pixels a module: a 25-33 module code is 116-148 px, a comfortable scan


def story_qr(request, pk: int):
    """/articles/<pk>/qr.svg: the QR code of the published story's address."""
    slug = Article.objects.published().filter(pk=pk).values_list("slug", flat=True).first()
    if slug is None:
        raise Http404("稿件不存在")
    address = absolute_url(request, Article(pk=pk, slug=slug).get_absolute_url())
    out = io.BytesIO()
    segno.make(address, error="m", micro=False).save(
        out, kind="svg", scale=QR_SCALE, border=2, xmldecl=False, title="本文二维码", dark="#111")
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response
