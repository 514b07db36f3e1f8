"""Companies a search names: a short name, a former name, a code in any usual form (600519,
SH600519, 600519.SH) or pinyin initials (gzmt) lead to the stock's page, and an exact match
also brings the stories linked to that stock into the results, however their text names it.

Matched against Stock.search_keys (articles/stocks.py); the directory is a few thousand rows.
"""

import re

from django.db.models import Q

from articles.models import Stock
from articles.search.query import SearchQuery
from articles.stocks import symbol_forms

MAX_COMPANIES = 5
MIN_PREFIX = 2  # Chinese characters typed before a name's beginning finds it (苏宁 -> 苏宁易购)
MIN_LATIN_PREFIX = 4  # letters typed before a pinyin's beginning does (suni -> suningyigou)
MAX_KEY = 40
HK_CODE = re.compile(r"\d{5}")  # 00700: Hong Kong codes have five digits


def companies(query: SearchQuery) -> tuple[list[Stock], list[Stock]]:
    """Return (exact, partial) matches of the query: exact ones are the company the reader
    asked for (the whole query is one of its names, codes or initials); partial ones have a
    name or pinyin starting with it. One query; none for an empty search."""
    key = "".join((query.text or "").split()).lower()
    if not key or len(key) > MAX_KEY:
        return [], []
    exact = Q(search_keys__contains=f" {key} ")
    symbols = {found for term in {key, *query.terms} if (found := symbol_forms(term))}
    symbols |= {("HK", term) for term in query.terms if HK_CODE.fullmatch(term)}
    for market, code in symbols:
        exact |= Q(market=market, code=code)
    wanted = exact
    if len(key) >= (MIN_PREFIX if not key.isascii() else MIN_LATIN_PREFIX):
        wanted |= Q(search_keys__contains=f" {key}")
    found = list(Stock.objects.filter(wanted).order_by("market", "code")[: 4 * MAX_COMPANIES])
    exact_ones = [s for s in found if f" {key} " in s.search_keys or (s.market, s.code) in symbols]
    partial = [s for s in found if s not in exact_ones]
    return exact_ones[:MAX_COMPANIES], partial[: max(0, MAX_COMPANIES - len(exact_ones))]
