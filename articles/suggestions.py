"""Suggested stocks: companies a story names without their codes (found at import by
articles.stocks.NameFinder), linked once an editor confirms them."""

from django.db import transaction

from articles import revisions
from articles.models import Article, Stock


@transaction.atomic
def confirm_suggested(article: Article, stock_ids: list | None = None, *, user=None) -> list[Stock]:
    """Link the suggested stocks `stock_ids` (all when None) to `article`; return them."""
    suggested = article.suggested_stocks.all()
    if stock_ids is not None:
        suggested = suggested.filter(pk__in=[pk for pk in stock_ids if str(pk).isdigit()])
    chosen = list(suggested)
    if not chosen:
        return []
    with revisions.change(article, revisions.Kind.EDIT, user=user, note="确认建议的股票"):
        article.stocks.add(*chosen)
        article.suggested_stocks.remove(*chosen)
    return chosen
