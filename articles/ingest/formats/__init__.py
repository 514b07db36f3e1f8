"""The input formats, tried in order: the first whose `sniff(text)` is true parses the file.

Each format is a module with `sniff(text) -> bool` and `parse(text, *, name, now) -> dict`,
the fields of a ParsedArticle that the file gives (articles.ingest.parsing completes them). A
new format is one new module here, listed in FORMATS, plus its test.
"""

from datetime import datetime

from articles.ingest.formats import html, jekyll, plaintext

FORMATS = (jekyll, html, plaintext)


def parse_story(text: str, *, name: str, now: datetime) -> dict:
    """Return the fields of the story in `text` (decoded, line ends normalised)."""
    return next(fmt for fmt in FORMATS if fmt.sniff(text)).parse(text, name=name, now=now)
