"""The stock directory's rules, in one place (pure functions, no database): which market an
A-share code trades on, how a company name is written, its pinyin and initials, and how a
directory file reads.

A directory file is CSV with the header `market,code,name,full_name,former_names,listed_on,status`
(former names separated by "|"), or adata's A-share list (`stock_code,short_name,list_date2`,
the file shipped inside the adata package as adata/stock/cache/code.csv), read into the same
rows.
"""

import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

A_SHARE_CODE = re.compile(r"\d{6}")


def a_share_market(code: str) -> str | None:
    """The exchange of a six-digit mainland code: SH (6xxxxx, 900xxx B shares), SZ (0xxxxx,
    3xxxxx, 2xxxxx B shares) or BJ (4xxxxx, 8xxxxx, 92xxxx); None for anything else."""
    if not A_SHARE_CODE.fullmatch(code or ""):
        return None
    if code.startswith("92") or code[0] in "48":
        return "BJ"
    if code[0] in "69":
        return "SH"
    if code[0] in "023":
        return "SZ"
    return None


def clean_name(name: str) -> str:
    """A company name as the directory keeps it: NFKC (full-width Ａ becomes A), no spaces
    inside Chinese names ("五 粮 液" is 五粮液), single spaces inside Latin ones."""
    name = unicodedata.normalize("NFKC", name or "").strip()
    name = re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", name)
    return re.sub(r"\s+", " ", name)


def plain_name(name: str) -> str:
    """The name without the exchange's risk labels (ST, *ST, S*ST, SST, XD, XR, DR, N, C
    prefixes): ST易购 is 易购 to a reader looking for it. Latin names are left as they are."""
    return re.sub(r"^(?:\*?S?\*?ST|XD|XR|DR)(?=[^\x00-\x7f])", "", name)


def pinyin(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower-case ASCII: 苏宁易购 -> ("suningyigou", "snyg");
    Latin letters and digits are kept."""
    from pypinyin import lazy_pinyin

    syllables = [s for s in lazy_pinyin(name, errors=lambda chars: list(chars)) if s.strip()]
    full = "".join(s.lower() for s in syllables)
    initials = "".join(s[0].lower() for s in syllables if s[0].isalnum())
    return re.sub(r"[^a-z0-9]", "", full), re.sub(r"[^a-z0-9]", "", initials)


@dataclass
class Row:
    market: str
    code: str
    name: str
    full_name: str = ""
    former_names: list[str] = field(default_factory=list)
    listed_on: str = ""
    status: str = "listed"
    aliases: list[str] = field(default_factory=list)


def read_rows(lines: Iterable[str]) -> Iterator[Row]:
    """The directory rows of a CSV file (either layout); rows without a known market and
    code are skipped."""
    reader = csv.DictReader(line for line in lines if not line.startswith("#"))
    for record in reader:
        if "stock_code" in record:  # adata's layout
            code = (record.get("stock_code") or "").strip()
            market = a_share_market(code)
            row = Row(market or "", code, clean_name(record.get("short_name", "")),
                      listed_on=(record.get("list_date2") or "").strip())
        else:
            code = (record.get("code") or "").strip().upper()
            market = (record.get("market") or "").strip().upper()
            formers = [clean_name(n) for n in (record.get("former_names") or "").split("|") if n.strip()]
            aliases = [clean_name(n) for n in (record.get("aliases") or "").split("|") if n.strip()]
            row = Row(market, code, clean_name(record.get("name", "")),
                      clean_name(record.get("full_name", "")), formers,
                      (record.get("listed_on") or "").strip(), (record.get("status") or "listed").strip(), aliases)
        if row.market in {"SH", "SZ", "BJ", "HK", "US"} and re.fullmatch(r"[A-Z0-9.\-]{1,16}", row.code):
            yield row


def search_keys(market: str, code: str, names: Iterable[str]) -> str:
    """What a reader may type to find the company: the symbol (sz002024), the code (002024),
    each name and its form without risk labels, their full pinyin and initials. Lower case,
    space-separated, with a space at each end (so that " key " finds a whole key)."""
    keys = [f"{market}{code}".lower(), code.lower(), f"{code}.{market}".lower()]
    for name in names:
        if not name:
            continue
        for form in dict.fromkeys([name, plain_name(name)]):
            full, initials = pinyin(form)
            keys += [form.lower().replace(" ", ""), full, initials]
    return " " + " ".join(dict.fromkeys(k for k in keys if k)) + " "


def stock_search_keys(stock) -> str:
    """search_keys() of a stock row (the model's, or a migration's historical one)."""
    names = [stock.name, *(stock.former_names or []), *(getattr(stock, "aliases", None) or [])]
    return search_keys(stock.market, stock.code, names)


def symbol_forms(query: str) -> tuple[str, str] | None:
    """(market, code) of a query written as a symbol in any usual form: SZ002024, 002024.SZ,
    sz.002024, 002024 (market from the code), HK00493, 00493.HK, NIO.US; None otherwise."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", query or "")).upper()
    match = re.fullmatch(r"(SH|SZ|BJ|HK|US)\.?([A-Z0-9]{1,10})", text) or None
    if match:
        return match[1], match[2]
    match = re.fullmatch(r"([A-Z0-9]{1,10})\.(SH|SZ|BJ|HK|US|SS)", text)
    if match:
        return ("SH" if match[2] == "SS" else match[2]), match[1]
    market = a_share_market(text)
    return (market, text) if market else None


SNAPSHOT = ("a_shares.csv", "others.csv")  # articles/data/stocks/, loaded by migration 0017


def load_snapshot(apps, schema_editor) -> None:
    """Migrations' step: bring the stock table up to the shipped snapshot (articles/data/stocks/)."""
    load(apps.get_model("articles", "Stock"), snapshot_rows())


def snapshot_rows() -> list[Row]:
    from pathlib import Path

    folder = Path(__file__).resolve().parent / "data" / "stocks"
    rows = []
    for name in SNAPSHOT:
        with open(folder / name, encoding="utf-8") as lines:
            rows += read_rows(lines)
    return rows


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_editors: int = 0  # names an editor set, left as they are


def merged(rows: Iterable[Row]) -> dict[tuple[str, str], Row]:
    """One row per market and code; a later row fills in and adds to an earlier one."""
    found: dict[tuple[str, str], Row] = {}
    for row in rows:
        key = (row.market, row.code)
        if key not in found:
            found[key] = Row(row.market, row.code, row.name, row.full_name, list(row.former_names),
                             row.listed_on, row.status, list(row.aliases))
            continue
        kept = found[key]
        kept.name = row.name or kept.name
        kept.full_name = row.full_name or kept.full_name
        kept.former_names = list(dict.fromkeys([*kept.former_names, *row.former_names]))
        kept.aliases = list(dict.fromkeys([*kept.aliases, *row.aliases]))
        kept.listed_on = row.listed_on or kept.listed_on
        kept.status = row.status or kept.status
    return found


def load(model, rows: Iterable[Row]) -> LoadReport:
    """Bring the stock table `model` (the app's Stock, or a migration's historical one) up to
    the directory `rows`: new companies added, names and details refreshed, a replaced name
    kept among the former names, names editors set left alone. Stocks the rows do not list
    (learned from stories, delisted) are kept."""
    import datetime

    report = LoadReport()
    wanted = merged(rows)
    # A migration's historical model may predate the aliases column (migration 0017).
    has_aliases = any(f.name == "aliases" for f in model._meta.get_fields())
    existing = {(s.market, s.code): s for s in model.objects.all()}
    new, changed = [], []
    for key, row in wanted.items():
        stock = existing.get(key)
        if stock is None:
            stock = model(market=row.market, code=row.code, name="", former_names=[])
            stock.aliases = []
            new.append(stock)
        if not has_aliases and stock.pk:
            stock.aliases = []
        before = (stock.name, stock.full_name, list(stock.former_names or []), stock.listed_on,
                  stock.is_listed, stock.name_source, list(stock.aliases or []))
        formers = list(stock.former_names or [])
        if row.name and row.name != stock.name:
            if stock.name_source == "editor":
                report.kept_editors += 1
            else:
                if stock.name:
                    formers.append(stock.name)
                stock.name, stock.name_source = row.name, "directory"
        stock.former_names = [n for n in dict.fromkeys([*formers, *row.former_names]) if n != stock.name]
        stock.full_name = row.full_name or stock.full_name
        stock.listed_on = datetime.date.fromisoformat(row.listed_on) if row.listed_on else stock.listed_on
        stock.is_listed = row.status != "delisted"
        stock.aliases = list(dict.fromkeys([*(stock.aliases or []), *row.aliases]))
        stock.search_keys = stock_search_keys(stock)
        after = (stock.name, stock.full_name, stock.former_names, stock.listed_on, stock.is_listed,
                 stock.name_source, stock.aliases)
        if stock.pk is None:
            continue
        if after != before:
            changed.append(stock)
        else:
            report.unchanged += 1
    model.objects.bulk_create(new, batch_size=500)
    columns = ["name", "full_name", "former_names", "listed_on", "is_listed", "name_source", "search_keys"]
    model.objects.bulk_update(changed, [*columns, "aliases"] if has_aliases else columns, batch_size=500)
    report.created, report.updated = len(new), len(changed)
    return report


# A company written with its code, as Chinese financial stories write it: 贵州茅台(600519),
# 潍柴动力（000338.SZ）, 中国石化（600028）, 京东集团-SW(09618), 蔚来(NIO.US), 拼多多（PDD.O）,
# （股票代码：600519）. The name, when there is one, is the CJK or Latin run right before.
_NAME = r"(?:\*?ST)?(?:[\u4e00-\u9fff][\u4e00-\u9fffA-Z]{1,7}|[A-Za-z][A-Za-z0-9 .&]{1,23})(?:-[A-Z]{1,2})?"
# The bracket is found first (a scan for a rare character), then the name right before it.
_CODED = re.compile(
    r"[（(]\s*(?:(?:股票|证券)?代码[:：]\s*)?"
    r"(?:(?P<code6>\d{6})(?:\.(?P<sfx6>SH|SZ|BJ|SS))?"
    r"|(?P<code5>\d{5})(?P<hk>\.HK)?"
    r"|(?P<ticker>[A-Z]{1,5})\.(?:US|O|N))\s*[)）]"
)
_NAME_BEFORE = re.compile(rf"(?P<name>{_NAME})$")
# Words a name run may end with that are not a company (营收(600519)… is a company's code in
# running text only by accident; these are the runs seen before a bracketed number).
_NOT_NAMES = ("公司", "股份", "代码", "股票", "证券", "简称", "旗下", "子公司")


@dataclass(frozen=True)
class Mention:
    market: str
    code: str
    name: str = ""
    suffixed: bool = False  # written with its exchange (600519.SH, 09618.HK, NIO.US)


def coded_mentions(text: str) -> list[Mention]:
    """The companies `text` writes with their codes, in order of appearance, each once."""
    found: dict[tuple[str, str], Mention] = {}
    text = text or ""
    for match in _CODED.finditer(text):
        before = _NAME_BEFORE.search(text, max(0, match.start() - 32), match.start())
        name = clean_name(before["name"] if before else "")
        if name.endswith(_NOT_NAMES) or name.isdigit():
            name = ""
        suffixed = bool(match["sfx6"] or match["hk"] or match["ticker"])
        if match["code6"]:
            market = {"SS": "SH"}.get(match["sfx6"] or "", match["sfx6"]) or a_share_market(match["code6"])
            code = match["code6"]
            if market is None or a_share_market(code) not in {market, None} and market != "BJ":
                continue
        elif match["code5"]:
            market, code = "HK", match["code5"]
        else:
            market, code = "US", match["ticker"]
            if not name:
                continue  # (PDD.O) alone is too thin to be sure of
        found.setdefault((market, code), Mention(market, code, name, suffixed))
    return list(found.values())


MIN_NAME_CHARS = 3  # 2-character names (平安, 万科) are words too often to suggest a company
MIN_ALIAS_CHARS = 2  # aliases are chosen by hand: 京东, 美的 and 腾讯 are safe
# Company names that are everyday words too (线上线下, 太阳能 …): never suggested from a bare
# mention; a story that means the company writes its code, and then it links.
COMMON_WORDS = "common_words.txt"


def common_words() -> frozenset[str]:
    from pathlib import Path

    path = Path(__file__).resolve().parent / "data" / "stocks" / COMMON_WORDS
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


class NameFinder:
    """Finds the directory's company names in a text in one pass (Aho-Corasick, leftmost-longest:
    the longest name at each place, names not overlapping), with ahocorasick-rs (the Rust
    aho-corasick crate: ~9 µs for a 600-character story against 5,700 names, where
    pyahocorasick took ~150 µs). Names of at least MIN_NAME_CHARS characters, labels such as ST
    left off (a story writes 苏宁易购, not ST易购), everyday words skipped. Built once per run;
    pickled as its names (a parse worker rebuilds it in a few milliseconds)."""

    def __init__(self, names: Iterable[tuple[str, int] | tuple[str, int, int]]):
        """`names`: (name, stock id) or (name, stock id, shortest length to look for)."""
        owners: dict[str, set[int]] = {}
        ordinary = common_words()
        for name, stock_id, *shortest in names:
            least = shortest[0] if shortest else MIN_NAME_CHARS
            for form in {name, plain_name(name)}:
                if len(form) >= least and not form.isascii() and form not in ordinary:
                    owners.setdefault(form, set()).add(stock_id)
        self._build({form: frozenset(ids) for form, ids in owners.items()})

    def _build(self, owners: dict[str, frozenset[int]]) -> None:
        import ahocorasick_rs

        self.owners = owners
        self.forms = sorted(owners)
        self.automaton = ahocorasick_rs.AhoCorasick(
            self.forms, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest) if self.forms else None

    def __getstate__(self):
        return self.owners

    def __setstate__(self, owners):
        self._build(owners)

    def find(self, text: str) -> set[frozenset[int]]:
        """The stocks whose names the text writes, a group per name (an A share and its H
        share share a name)."""
        if self.automaton is None or not text:
            return set()
        return {self.owners[self.forms[index]] for index, _start, _end in self.automaton.find_matches_as_indexes(text)}


def directory_names(stock_rows: Iterable[tuple[int, str, list, list]]) -> Iterator[tuple[str, int, int]]:
    """The names to look for in texts from (id, name, former names, aliases) rows: names and
    former names from MIN_NAME_CHARS characters, aliases from MIN_ALIAS_CHARS."""
    for pk, name, formers, aliases in stock_rows:
        for each in [name, *(formers or [])]:
            if each:
                yield each, pk, MIN_NAME_CHARS
        for each in aliases or []:
            yield each, pk, MIN_ALIAS_CHARS
