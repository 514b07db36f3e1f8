"""The 500 page, with the site's configured name and nothing else: no request context
processors and no database, since either may be what failed."""

from django.conf import settings
from django.http import HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def server_error(request, template_name="500.html"):
    template = loader.get_template(template_name)
    return HttpResponseServerError(template.render({"SITE_NAME": settings.NEWSROOM_SITE_NAME}))
