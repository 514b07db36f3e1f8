"""What an editor's save changes: nothing when nothing was changed, and never another editor's
work.

The change form carries a fingerprint of every field as the editor first saw it (the base).
On save each field is one of:

- untouched by this editor (posted value = base): whatever is stored now is kept, including
  another editor's change made meanwhile;
- changed by this editor only (stored value = base): the new value is saved;
- changed by both, differently: a conflict. The save is refused and both versions are shown
  side by side; the form then carries the stored versions as its new base, so the editor's
  next save (after merging by hand) is theirs.

Values are compared as an editor sees them: line ends (browsers post CRLF), the spaces around
a text, a body's sanitised form, a time to the second. A value that differs from the stored
one only in those ways is not a change, so the stored bytes stay as they are.
"""

import hashlib
import json
from dataclasses import dataclass

from django.utils import timezone

from articles.ingest.cleaning import sanitise
from articles.models import Article

TEXT_FIELDS = ("title", "summary", "slug")


def normalised(name: str, value):
    """`value` of the form field `name` in the form in which edits are compared."""
    if value is None:
        return None
    if name in TEXT_FIELDS or name == "status":
        return _lines(str(value)).strip()
    if name == "body":
        return sanitise(_lines(value))
    if name == "published_at":
        return timezone.localtime(value).replace(microsecond=0).isoformat()
    if name in ("source", "category"):
        return getattr(value, "pk", value)
    if name == "tags":
        return sorted({str(getattr(tag, "name", tag)) for tag in value})
    if name == "stocks":
        return sorted(getattr(stock, "pk", stock) for stock in value)
    return value


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def stored_values(article: Article, names) -> dict:
    """The stored value of each form field `names` of `article`, as the form would post it."""
    values = {}
    for name in names:
        if name == "tags":
            values[name] = article.tags.names() if article.pk else []
        elif name == "stocks":
            values[name] = list(article.stocks.all()) if article.pk else []
        else:
            values[name] = getattr(article, name)
    return values


def fingerprint(name: str, value) -> str:
    encoded = json.dumps(normalised(name, value), ensure_ascii=False, default=str)
    return hashlib.blake2b(encoded.encode(), digest_size=8).hexdigest()


def base_of(values: dict) -> str:
    """The form's hidden base: a fingerprint per field."""
    return write_base({name: fingerprint(name, value) for name, value in values.items()})


def write_base(base: dict[str, str]) -> str:
    return json.dumps(base, sort_keys=True)


def read_base(raw: str | None) -> dict[str, str]:
    try:
        base = json.loads(raw or "")
    except ValueError:
        return {}
    return base if isinstance(base, dict) else {}


@dataclass
class Conflict:
    field: str
    label: str
    theirs: object  # stored now
    yours: object  # posted

    def shown(self) -> tuple[str, str]:
        """Both versions as an editor reads them."""
        return shown(self.theirs), shown(self.yours)


def shown(value) -> str:
    if value is None or value == "":
        return "（空）"
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, list | tuple) or hasattr(value, "model"):
        return "、".join(str(item) for item in value) or "（空）"
    return str(value)


@dataclass
class Merge:
    """The outcome of comparing a posted form with its base and with what is stored now."""

    values: dict  # the values to save, per field
    edited: list[str]  # the fields this save changes
    conflicts: list[Conflict]


def merge(posted: dict, stored: dict, base: dict[str, str], labels: dict[str, str]) -> Merge:
    """Three-way merge of the `posted` form values with the `stored` ones, from `base`."""
    values, edited, conflicts = {}, [], []
    for name, mine in posted.items():
        now = stored[name]
        if normalised(name, mine) == normalised(name, now):
            values[name] = now  # not a change: keep the stored bytes
            continue
        seen = base.get(name)
        if seen is not None and seen == fingerprint(name, mine):
            values[name] = now  # this editor left it alone; someone else changed it
            continue
        if seen is not None and seen != fingerprint(name, now):
            conflicts.append(Conflict(name, labels.get(name, name), now, mine))
        values[name] = mine
        edited.append(name)
    return Merge(values, edited, conflicts)
