"""The fields an article's source file gives it, defined once: their labels, their stored form,
and how a stored form is written back to the article.

The importer records the value it last wrote of each field (Article.imported_values) and the
source's newer value it did not write because an editor had changed the field
(Article.pending_changes["fields"]). Both keep every value in one JSON form, `encode()`: text
as it is, the publication time as an ISO 8601 instant in UTC, a source or section by id, tags
by name and stocks by symbol, sorted. Imported values are only compared, so a body is kept as
its digest (`kept()`); pending values are kept whole, to be applied.

Adding a tracked field is one entry in FIELDS (and, if the importer fills it, one in
articles.ingest.store.new_article).
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

from articles import columns

_DIGEST = "sha256:"


def encode_datetime(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def decode_datetime(value) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(str(value))
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


@dataclass(frozen=True)
class Text:
    name: str
    label: str
    imported: bool = True  # written by the importer (not: chosen by the section rules)
    max_length: int | None = None
    blank_is_null: bool = False  # an empty value is stored as NULL (original_url)
    digest: bool = False  # kept among imported values as its digest (the body: large, only compared)

    def encode(self, value):
        """The stored form of a Python value (what the parser gives, or an article holds)."""
        return value[: self.max_length] if self.max_length and value else value

    def decode(self, value):
        """The Python value of a stored form."""
        return value

    def read(self, article):
        """The stored form of `article`'s value."""
        return self.encode(getattr(article, self.name))

    def kept(self, value):
        """The form kept among imported values."""
        if self.digest and isinstance(value, str) and not value.startswith(_DIGEST):
            return _DIGEST + hashlib.sha256(value.encode()).hexdigest()
        return value

    def assign(self, article, value) -> None:
        """Give `article` the Python value `value`."""
        value = (value or "")[: self.max_length] if self.max_length else (value or "")
        if not value and self.blank_is_null:
            value = None
        setattr(article, self.name, value)

    def apply(self, article, value) -> None:
        """Give `article` the stored value `value`."""
        self.assign(article, self.decode(value))


@dataclass(frozen=True)
class Moment(Text):
    def encode(self, value):
        return encode_datetime(value)

    def decode(self, value):
        return decode_datetime(value)

    def assign(self, article, value) -> None:
        if value is not None:  # an unknown time leaves the known one
            setattr(article, self.name, value)


@dataclass(frozen=True)
class Related(Text):
    """A source or section, stored by id."""

    model: str = ""

    def encode(self, value):
        return value.pk if value is not None else None

    def decode(self, value):
        from django.apps import apps

        return apps.get_model("articles", self.model).objects.filter(pk=value).first() if value else None

    def read(self, article):
        return getattr(article, f"{self.name}_id")

    def assign(self, article, value) -> None:
        setattr(article, self.name, value)


@dataclass(frozen=True)
class Tags(Text):
    """Stored by name."""

    def encode(self, value):
        return sorted(tag.name for tag in value)

    def decode(self, value):
        return list(value or [])

    def read(self, article):
        return sorted(article.tags.names())

    def assign(self, article, value) -> None:
        article.tags.set(value)


@dataclass(frozen=True)
class Stocks(Text):
    """Stored by symbol (SZ002024)."""

    def encode(self, value):
        return sorted(stock.symbol for stock in value)

    def decode(self, value):
        from articles.models import Stock

        return [Stock.objects.get_or_create(market=symbol[:2].upper(), code=symbol[2:])[0]
                for symbol in value or []]

    def read(self, article):
        return self.encode(article.stocks.all())

    def assign(self, article, value) -> None:
        article.stocks.set(value)


FIELDS = (
    Text("title", "标题", max_length=columns.TITLE),
    Text("summary", "摘要"),
    Text("body", "正文", digest=True),
    Moment("published_at", "发布时间"),
    Related("source", "来源", model="Source"),
    Related("category", "栏目", imported=False, model="Category"),
    Tags("tags", "标签"),
    Stocks("stocks", "股票"),
    Text("original_url", "原文链接", blank_is_null=True),
    # Editors' fields: in revisions (articles/revisions.py), never imported.
    Text("status", "状态", imported=False),
    Text("slug", "网址标识", imported=False, max_length=columns.SLUG),
)
BY_NAME = {field.name: field for field in FIELDS}
# The fields the importer writes and keeps writing until an editor changes them.
IMPORTED = tuple(field for field in FIELDS if field.imported)
LABELS = {field.name: field.label for field in FIELDS}


def encode(values: dict) -> dict:
    """The stored form of Python values by field name."""
    return {name: BY_NAME[name].encode(value) for name, value in values.items()}


def read(article, names=None) -> dict:
    """The stored form of `article`'s values of the imported fields (or of `names`)."""
    fields = IMPORTED if names is None else [BY_NAME[name] for name in names]
    return {field.name: field.read(article) for field in fields}


def kept(name: str, value):
    return BY_NAME[name].kept(value) if name in BY_NAME else value


def kept_values(values: dict) -> dict:
    return {name: kept(name, value) for name, value in values.items()}
