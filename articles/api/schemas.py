"""What the API answers, as schemas (the OpenAPI document is made from them)."""

from datetime import datetime

# Plain pydantic models: they validate dicts in pydantic's core (ninja.Schema wraps each
# value in a getter first, a sixth of a list's time).
from pydantic import BaseModel as Schema


class Named(Schema):
    name: str
    slug: str


class StockOut(Schema):
    symbol: str
    name: str


class SameStoryOut(Schema):
    id: int
    title: str
    url: str
    source: str | None = None


class ArticleOut(Schema):
    """A story; with ?fields= only the fields asked for."""

    id: int | None = None
    url: str | None = None
    title: str | None = None
    summary: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    source: Named | None = None
    category: Named | None = None
    tags: list[Named] | None = None
    stocks: list[StockOut] | None = None
    important: bool | None = None
    publishers: int | None = None  # how many publishers told this story (its cluster), 1 alone


class ArticleDetail(ArticleOut):
    body: str | None = None
    original_url: str | None = None
    same_story: list[SameStoryOut] | None = None


class ArticlePage(Schema):
    results: list[ArticleOut]
    next: str | None


class ChangeOut(Schema):
    id: int
    action: str
    at: datetime


class ChangePage(Schema):
    results: list[ChangeOut]
    next: str | None


class SourceOut(Schema):
    name: str
    slug: str
    url: str


class StockListOut(Schema):
    symbol: str
    name: str
    market: str
    url: str


class NamedPage(Schema):
    results: list[Named]
    next: str | None


class SourcePage(Schema):
    results: list[SourceOut]
    next: str | None


class StockPage(Schema):
    results: list[StockListOut]
    next: str | None


class ErrorBody(Schema):
    code: str
    message: str


class Error(Schema):
    error: ErrorBody
