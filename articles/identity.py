"""A story's identity: how the importer, the desk and the site recognise one story.

Eastmoney numbers each story: 202112082206672930, or with its news-wire prefix
NW202202212282659685. Files spell the prefix in either case, or drop it, and share links and
file names carry either form: every spelling of one number names one story. The stored
external id keeps the prefix as the source wrote it (upper case); lookups try both forms.

A story is also recognised by its original address and by the fingerprint of its words; the
keys below are what the import's memory of deleted stories (Tombstone) records.
"""

import re

PREFIX = "NW"
# A story number as it appears in a file name, an address or a search box.
STORY_NUMBER = re.compile(r"(?:NW)?(?P<digits>\d{12,24})", re.IGNORECASE)


def canonical(story_id: str | None) -> str | None:
    """The stored form of a story number: the prefix, if any, in upper case."""
    if not story_id:
        return None
    return PREFIX + story_id[len(PREFIX):] if story_id[:len(PREFIX)].upper() == PREFIX else story_id


def digits(story_id: str) -> str:
    """The number without its prefix."""
    return story_id[len(PREFIX):] if story_id[:len(PREFIX)].upper() == PREFIX else story_id


def spellings(story_id: str) -> list[str]:
    """Every stored form that names the story `story_id`: without and with the prefix."""
    bare = digits(story_id)
    return [bare, PREFIX + bare]


def identity_keys(*, external_id=None, original_url=None, fingerprint=None) -> list[str]:
    """The keys under which the importer recognises a story."""
    keys = []
    if external_id:
        keys.append(f"ext:{digits(external_id)}")
    if original_url:
        keys.append(f"url:{original_url}")
    if fingerprint:
        keys.append(f"fp:{fingerprint}")
    return keys
