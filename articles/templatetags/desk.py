"""Template tags of the editors' desk (templates/admin)."""

from django import template

from articles.models import Article

register = template.Library()


@register.simple_tag
def scheduled_stories(count: int = 5):
    """The next `count` stories due to go live on their own (定时发布), soonest first."""
    return list(Article.objects.scheduled().order_by("published_at", "id").only("id", "title", "published_at")[:count])
