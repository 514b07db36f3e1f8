"""A reader's query: its terms, the phrases of tokens that match them, and the forms the
two databases' indexes read (an FTS5 MATCH expression, a tsquery)."""

import re
import unicodedata
from dataclasses import dataclass

from articles.search.tokens import tokens
from articles.text import HAN

_RUNS = re.compile(rf"[{HAN}]+|[A-Za-z0-9]+")
# A search term: what a reader typed between spaces and punctuation (海尔智家, A股, 5G手机).
_TERMS = re.compile(rf"[{HAN}A-Za-z0-9]+")
_SPACE = re.compile(r"\s+")

MAX_QUERY_CHARS = 80
MAX_TERMS = 6
MAX_TERM_CHARS = 30


@dataclass(frozen=True)
class Phrase:
    """Consecutive tokens a document must contain; the last may match as a prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False

    @property
    def needle(self) -> str:
        """Return the phrase as it stands in a document's tokens with a space on either side
        (' 海尔 尔智 '), open at the end when its last token may match as a prefix."""
        return " " + " ".join(self.tokens) + ("" if self.prefix else " ")


@dataclass(frozen=True)
class SearchQuery:
    text: str  # the query as shown back to the reader
    terms: tuple[str, ...] = ()  # the substrings matched (and highlighted)
    phrases: tuple[Phrase, ...] = ()
    problem: str = ""  # why the query cannot be run, for the reader

    def __bool__(self) -> bool:
        return bool(self.phrases) and not self.problem


def _term_phrases(term: str) -> list[Phrase]:
    """Return the phrases that together match documents containing `term` as a substring."""
    runs = _RUNS.findall(term)
    phrases: list[Phrase] = []
    current: list[str] = []
    for i, run in enumerate(runs):
        first, last = i == 0, i == len(runs) - 1
        if run[0].isascii() or len(run) > 1:
            current.extend(tokens(run))  # the document's own tokens: a word, a run's bigrams
        elif last:
            # Ends the term (海, A股): in the document it starts a bigram or is a tail char.
            current.append(run)
            phrases.append(Phrase(tuple(current), prefix=True))
            current = []
        elif first:
            # Starts the term (股A): in the document it ends a run, so it is only in the tail.
            phrases.append(Phrase((run,), prefix=True))
        else:
            current.append(run)  # between ASCII words the run is exactly this character
    if current:
        phrases.append(Phrase(tuple(current)))
    return phrases


def parse_query(raw: str | None) -> SearchQuery:
    """Return the reader's query split into terms and phrases, or with a `problem` to show.

    Full-width letters, digits and spaces (ＨＦＯ　５Ｇ, as Chinese input methods type them)
    count as half-width: stories are indexed in half-width.
    """
    text = unicodedata.normalize("NFKC", raw or "")
    text = _SPACE.sub(" ", text.replace("\x00", "")).strip()
    if not text:
        return SearchQuery(text="")
    if len(text) > MAX_QUERY_CHARS:
        return SearchQuery(
            text=text[:MAX_QUERY_CHARS], problem=f"搜索词太长了，请不要超过 {MAX_QUERY_CHARS} 个字。"
        )
    terms: list[str] = []
    for term in _TERMS.findall(text):
        if term.lower() not in (t.lower() for t in terms):
            terms.append(term)
    if not terms:
        return SearchQuery(text=text, problem="请输入中文、英文或数字关键词。")
    if len(terms) > MAX_TERMS or any(len(t) > MAX_TERM_CHARS for t in terms):
        return SearchQuery(
            text=text, problem=f"关键词太多或太长：最多 {MAX_TERMS} 个词，每个词不超过 {MAX_TERM_CHARS} 个字。"
        )
    phrases = tuple(p for term in terms for p in _term_phrases(term))
    return SearchQuery(text=text, terms=tuple(terms), phrases=phrases)


def fts5_match(query: SearchQuery) -> str:
    """Return the FTS5 MATCH expression for `query` (tokens are [CJK a-z 0-9] only)."""
    parts = []
    for phrase in query.phrases:
        quoted = '"' + " ".join(phrase.tokens) + '"'
        parts.append(quoted + ("*" if phrase.prefix else ""))
    return " AND ".join(parts)


def tsquery(query: SearchQuery) -> str:
    """Return the to_tsquery('simple', …) text of all tokens of `query`, ANDed.

    No phrase operator: `<->` makes PostgreSQL recheck every candidate by re-parsing its
    search_text (about a millisecond each); adjacency is checked with strpos instead, on as
    few rows as possible.
    """
    words = []
    for phrase in query.phrases:
        words.extend(phrase.tokens[:-1])
        words.append(phrase.tokens[-1] + (":*" if phrase.prefix else ""))
    return " & ".join(dict.fromkeys(words))
