from django.conf import settings


def site(request) -> dict:
    return {"SITE_NAME": settings.NEWSROOM_SITE_NAME}
