"""The read API, /api/v1/ (docs/api.md): published stories, subjects, and a change feed.

Built on django-ninja: the operations are typed functions, their schemas make the OpenAPI
document (/api/v1/openapi.json) and the browsable docs (/api/v1/docs, Swagger UI from the
package's own static files, no CDN). Django REST framework would do as well; ninja's schemas
are the OpenAPI document itself, with no second serializer layer to keep in step.

HTTP around it (rate limits, CORS) is articles.api.edge; ETags, 304s and the page cache are
the site's own middleware, which these responses go through like any page."""

from django.http import Http404, JsonResponse
from django.urls import reverse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.renderers import JSONRenderer

from articles.api.views import router
from articles.cache import cache_public_page


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # Chinese as UTF-8, a third of the bytes


api = NinjaAPI(
    renderer=Renderer(),
    title="财经新闻台 API",
    version="1",
    description="Published stories, newest first, keyset-paged; a change feed to mirror them. "
                "Errors are JSON: {\"error\": {\"code\", \"message\"}}.",
    urls_namespace="api",
)
api.add_router("/", router)


def error(request, status: int, code: str, message: str):
    return api.create_response(request, {"error": {"code": code, "message": message}}, status=status)


@api.exception_handler(ValidationError)
def bad_request(request, exc):
    problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}" for e in exc.errors)
    return error(request, 400, "bad_request", problems or "bad request")


@api.exception_handler(HttpError)
def http_error(request, exc):
    code = {400: "bad_request", 404: "not_found", 429: "rate_limited"}.get(exc.status_code, "error")
    return error(request, exc.status_code, code, str(exc))


@api.exception_handler(Http404)
def not_found(request, exc):
    return error(request, 404, "not_found", "no such published story or address")


def index(request):
    """/api/v1/: where everything is."""
    links = {name: request.build_absolute_uri(reverse(f"api:{view}")) for name, view in (
        ("articles", "list_articles"), ("changes", "list_changes"), ("sources", "list_sources"),
        ("categories", "list_categories"), ("tags", "list_tags"), ("stocks", "list_stocks"),
        ("openapi", "openapi-json"), ("docs", "openapi-view"))}
    return JsonResponse(links, json_dumps_params={"ensure_ascii": False})


def urls():
    """The API's URL patterns, its answers stored in the page cache like the pages (any change
    readers can see retires them)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if pattern.name == "api-root":
            pattern.callback = index
        if pattern.name not in {"openapi-view", "openapi-json"}:
            pattern.callback = cache_public_page(pattern.callback)
    return patterns, app_name, namespace
