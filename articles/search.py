"""Chinese full-text search: one API over SQLite and PostgreSQL.

Documents and queries are turned into the same tokens: overlapping CJK bigrams (海尔智家 ->
海尔 尔智 智家) and lower-cased ASCII words, so a phrase query over bigrams matches exactly
the documents that contain the substring.
"""

import re

from bs4 import BeautifulSoup

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[A-Za-z0-9]+")


def tokens(text: str) -> list[str]:
    """Return the search tokens of `text`, in order: CJK bigrams and ASCII words."""
    out: list[str] = []
    for run in _RUNS.findall(text or ""):
        if run[0].isascii():
            out.append(run.lower())
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def html_to_text(fragment: str) -> str:
    if not fragment:
        return ""
    return BeautifulSoup(fragment, "lxml").get_text(" ", strip=True)


def search_document(*parts: str) -> str:
    """Return the space-separated tokens stored for an article (title, summary, body text)."""
    return " ".join(" ".join(tokens(part)) for part in parts if part)
