"""What every input format shares: its errors, and how a title or summary is made from text."""

import re


class ParseError(ValueError):
    """A file that cannot be imported; the message is meant for the operator."""


class InvalidYAML(ParseError):
    """A front-matter block that YAML cannot read (its fields may still be read line by line)."""


class NotAStory(ParseError):
    """A well-formed file that is not a news story (a page of the site); the message says why."""


SUMMARY_LENGTH = 140
TITLE_MAX = 60


def summarise(text: str, length: int = SUMMARY_LENGTH) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= length:
        return text
    cut = text[:length]
    end = max(cut.rfind("。"), cut.rfind("！"), cut.rfind("？"))
    return cut[: end + 1] if end >= length // 2 else cut.rstrip() + "…"


def infer_title(text: str) -> str:
    first = re.split(r"[。！？!?\n]", text.strip(), maxsplit=1)[0].strip()
    return first if len(first) <= TITLE_MAX else first[: TITLE_MAX - 1] + "…"

