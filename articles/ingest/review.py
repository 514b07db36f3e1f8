"""Editors' decisions on a source file that changed after an editor's edit.

The importer never overwrites a field an editor changed; it parks the source's newer value in
Article.pending_changes["fields"] (same JSON encoding as Article.imported_values) and flags the
article. An editor then takes the source's version (`accept_source`) or keeps the edit
(`keep_edits`). Either way the source value becomes the field's imported value, so the same
source version is not offered again, while a later change of the source is.

Inferred fields: Article.inferred_fields lists fields whose values the importer guessed and no
editor has checked yet; the admin empties it when an editor saves the article's form.
"""

from datetime import UTC, datetime

from django.db import transaction
from django.utils.dateparse import parse_datetime

from articles.ingest.store import kept_form
from articles.models import Article, Category, Source, Stock

FIELDS = (
    "title", "summary", "body", "published_at", "source", "category", "tags", "stocks",
    "original_url",
)
TEXT_FIELDS = ("title", "summary", "body", "original_url")


def encode_datetime(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def decode_datetime(value) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(str(value))
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def current_value(article: Article, field: str):
    """Return the article's value of `field` in the encoding of imported/pending values."""
    if field == "published_at":
        return encode_datetime(article.published_at)
    if field == "source":
        return article.source_id
    if field == "category":
        return article.category_id
    if field == "tags":
        return sorted(article.tags.names())
    if field == "stocks":
        return sorted(stock.symbol for stock in article.stocks.all())
    return getattr(article, field)


def same_value(field: str, left, right) -> bool:
    """Compare two encoded values; datetimes by instant, not by how they were written."""
    if field == "published_at":
        return decode_datetime(left) == decode_datetime(right)
    return (left or None) == (right or None) if field in TEXT_FIELDS else left == right


def pending_fields(article: Article) -> dict:
    """Return {field: source value} of the source changes awaiting a decision."""
    return dict((article.pending_changes or {}).get("fields") or {})


def _apply(article: Article, field: str, value) -> None:
    if field == "published_at":
        moment = decode_datetime(value)
        if moment is not None:
            article.published_at = moment
    elif field == "source":
        article.source = Source.objects.filter(pk=value).first() if value else None
    elif field == "category":
        article.category = Category.objects.filter(pk=value).first() if value else None
    elif field == "tags":
        article.tags.set(list(value or []))
    elif field == "stocks":
        stocks = []
        for symbol in value or []:
            stock, _ = Stock.objects.get_or_create(market=symbol[:2].upper(), code=symbol[2:])
            stocks.append(stock)
        article.stocks.set(stocks)
    elif field == "title":
        article.title = (value or "")[:300]
    elif field == "original_url":
        article.original_url = value or None
    else:
        setattr(article, field, value or "")


def _decide(article: Article, fields: list[str] | None, *, take_source: bool) -> list[str]:
    pending = pending_fields(article)
    chosen = [name for name in pending if fields is None or name in fields]
    if not chosen:
        return []
    imported = dict(article.imported_values or {})
    for name in chosen:
        value = pending.pop(name)
        if take_source:
            _apply(article, name, value)
        imported[name] = kept_form(name, value)
    article.imported_values = imported
    article.pending_changes = {**article.pending_changes, "fields": pending} if pending else {}
    article.needs_review = bool(pending) or bool(article.inferred_fields)
    article.save()
    return chosen


@transaction.atomic
def accept_source(article: Article, *, fields: list[str] | None = None) -> list[str]:
    """Apply the source's pending values (all, or only `fields`); return the fields applied."""
    return _decide(article, fields, take_source=True)


@transaction.atomic
def keep_edits(article: Article, *, fields: list[str] | None = None) -> list[str]:
    """Discard the source's pending values (all, or only `fields`); return the fields kept."""
    return _decide(article, fields, take_source=False)
