"""Opaque cursors for keyset pagination: a position (a time and an id) a client sends back to
get what follows it. Walking the (time, id) index from a position costs the same on the first
page and the ten-thousandth; OFFSET would read every row it skips."""

import base64
import binascii
from datetime import datetime


class BadCursor(ValueError):
    pass


def encode(moment: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{pk}".encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    """The (time, id) of `cursor`; BadCursor for anything this API did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, pk = raw.split("|")
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None or not pk.isascii() or not pk.isdigit() or len(pk) > 18:
            raise ValueError
        return parsed, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadCursor("cursor is not one this API gave") from exc
