from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from articles.api import urls as api_urls
from articles.views import readers_page
from newsroom.health import healthz
from newsroom.metrics import metrics_view

handler500 = "newsroom.errors.server_error"

urlpatterns = [
    # No trailing slash, and exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT): load
    # balancers probe the app server directly over plain HTTP.
    path("healthz", readers_page(healthz), name="healthz"),
    path("metrics", readers_page(metrics_view), name="metrics"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", api_urls()),
    path("", include("articles.urls")),
]
