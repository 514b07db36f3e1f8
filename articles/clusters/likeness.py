"""What two stories must share to be one story told twice: a story's likeness. Pure: no ORM.

A story's likeness is
- a MinHash of its text's character shingles (PERMUTATIONS values): the share of equal
  values estimates how much of the two texts' wording is the same (Jaccard similarity);
- LSH band keys cut from that MinHash (BANDS keys of ROWS values each): two stories whose
  texts are alike share a key with high probability, two unrelated ones almost never, so the
  candidates are found through an index on the keys, never by comparing with every story;
- the figures the text gives (3.25%, 1200万元, 12月8日) and the companies it names: templated
  daily reports (北向资金, 龙虎榜, 收评) share most of their wording and differ in these.

numpy computes the shingles' hashes and the MinHash in a few vector operations (~0.2 ms a
story); datasketch's MinHash would hash each shingle in Python (~10x slower) and its LSH keeps
its index in memory or Redis, not in the database beside the stories.
"""

import hashlib
import itertools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

SHINGLE = 4  # characters: two Chinese words, about
PERMUTATIONS = 60
ROWS = 3
BANDS = PERMUTATIONS // ROWS
# Below this many distinct shingles (a dozen characters) there is nothing to compare.
MIN_SHINGLES = 8
MAX_SHINGLES = 20_000  # a hostile or absurd text: its first part is its signature
# Figures and companies kept per story (the rest changes nothing a rewrite would change).
MAX_FIGURES = 64
FIGURE_KEYED = 6  # figures whose pairs are candidate keys (15 keys at most)
MAX_COMPANIES = 32


def _constant(label: str) -> int:
    """A fixed 64-bit constant: stored signatures must compare equal across runs, processes and
    library versions, so nothing here comes from a random generator."""
    return int.from_bytes(hashlib.blake2b(label.encode(), digest_size=8).digest(), "little")


_MULTIPLIER = np.uint64(_constant("shingle") | 1)
_A = np.array([_constant(f"a{i}") | 1 for i in range(PERMUTATIONS)], dtype=np.uint64)[:, None]
_B = np.array([_constant(f"b{i}") for i in range(PERMUTATIONS)], dtype=np.uint64)[:, None]
_SHIFT = np.uint64(32)
_CHUNK = 4096

NOT_ALNUM = re.compile(r"[\W_]+")
# A figure: digits (with a decimal part or thousands separators), a 万/亿 multiplier, a unit.
FIGURE = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*([万亿]?)\s*(%|‰|[年月日号时分])?")
CALENDAR = set("年月日号时分")
MULTIPLIERS = {"": 1, "万": 10**4, "亿": 10**8}


@dataclass(frozen=True)
class Likeness:
    minhash: bytes  # PERMUTATIONS little-endian uint32 values
    shingles: int  # how many distinct shingles the text has
    figures: tuple[str, ...]
    companies: tuple[str, ...]

    @property
    def bands(self) -> tuple[int, ...]:
        """The story's candidate keys (signed 64-bit, as the database stores them): its LSH
        bands, and each pair of the figures it reports (a flash reworded by another wire keeps
        its figures when little of its wording survives)."""
        return band_keys(self.minhash) + figure_keys(self.figures)


def words_of(text: str) -> str:
    """The text as the signature reads it: NFKC (full- and half-width alike), lower case,
    letters and digits only."""
    return NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text).lower())


def figures_of(text: str) -> tuple[str, ...]:
    """The distinct figures `text` reports, as values (12,396万 = 123960000, 2378.0元 = 2378,
    ４.００％ = 4%, 03868 = 3868), sorted; calendar figures (12月8日, 2021年) left out: a
    reprint adds its own dateline, and a date spelled 二零二一年 reads the same."""
    found: set[str] = set()
    for number, multiplier, unit in FIGURE.findall(unicodedata.normalize("NFKC", text)):
        if unit and unit in CALENDAR:
            continue
        value = Decimal(number.replace(",", "")) * MULTIPLIERS[multiplier]
        figure = f"{value.normalize():f}"
        if "." in figure:
            figure = figure.rstrip("0").rstrip(".")
        found.add(figure + (unit or ""))
        if len(found) >= MAX_FIGURES:
            break
    return tuple(sorted(found))


def minhash(words: str) -> tuple[bytes, int] | None:
    """Return (MinHash, distinct shingle count) of `words`, or None when it is too short."""
    codes = np.frombuffer(words[: MAX_SHINGLES + SHINGLE].encode("utf-32-le"), dtype=np.uint32)
    if len(codes) < SHINGLE:
        return None
    codes = codes.astype(np.uint64)
    count = len(codes) - SHINGLE + 1
    hashes = codes[:count].copy()
    for offset in range(1, SHINGLE):  # a polynomial hash of each window, wrapping at 2**64
        hashes = hashes * _MULTIPLIER + codes[offset:offset + count]
    hashes = np.unique(hashes)
    if len(hashes) < MIN_SHINGLES:
        return None
    # One multiply-shift hash per permutation; the minimum over the shingles is the MinHash.
    mins = np.full(PERMUTATIONS, np.iinfo(np.uint64).max, dtype=np.uint64)
    for start in range(0, len(hashes), _CHUNK):
        chunk = hashes[None, start:start + _CHUNK]
        np.minimum(mins, ((_A * chunk + _B) >> _SHIFT).min(axis=1), out=mins)
    return mins.astype("<u4").tobytes(), int(len(hashes))


def band_keys(signature: bytes) -> tuple[int, ...]:
    """The LSH band keys of a MinHash: each band's ROWS values and its number, hashed."""
    size = 4 * ROWS
    return tuple(_key(bytes([band]) + signature[band * size:(band + 1) * size]) for band in range(BANDS))


def figure_keys(figures: tuple[str, ...]) -> tuple[int, ...]:
    """A key for each pair of the first FIGURE_KEYED figures."""
    return tuple(_key(f"{a}|{b}".encode()) for a, b in itertools.combinations(figures[:FIGURE_KEYED], 2))


def _key(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)


def likeness_of(text: str, *, companies=()) -> Likeness | None:
    """Return the likeness of a story's plain text (without its title: a reprint rewrites the
    headline first) naming `companies` (the directory ids of its stocks, linked or suggested),
    or None when the text is too short to tell a copy from a look-alike."""
    words = words_of(text)
    found = minhash(words)
    if found is None:
        return None
    signature, count = found
    return Likeness(signature, count, figures_of(text), company_keys(companies))


def company_keys(companies) -> tuple[str, ...]:
    return tuple(sorted({str(pk) for pk in companies}, key=lambda k: (len(k), k)))[:MAX_COMPANIES]


# The rule. Thresholds chosen on tests/fixtures/same_story.tsv (docs/clusters.md).
MIN_CONTAINMENT = 0.6  # of the shorter text's wording found in the longer one
# ... or this little when both report the same two or more figures (a reworded flash).
MIN_CONTAINMENT_SAME_FIGURES = 0.3
MIN_FIGURES_SHARED = 0.75  # of the figures of the story that reports fewer


def similarity(a: bytes, b: bytes) -> float:
    """The estimated Jaccard similarity of two MinHashes: the share of equal values."""
    x, y = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    return float(np.count_nonzero(x == y)) / PERMUTATIONS


def containment(a: Likeness, b: Likeness) -> float:
    """How much of the shorter text's wording is in the longer one, estimated from the MinHash
    Jaccard and the two shingle counts: an extra intro or a trimmed paragraph barely lowers it."""
    jaccard = similarity(a.minhash, b.minhash)
    shared = jaccard * (a.shingles + b.shingles) / (1 + jaccard)
    return min(1.0, shared / min(a.shingles, b.shingles))


def shared_share(a: tuple, b: tuple) -> float | None:
    """The share of the smaller set found in the other; None when either is empty."""
    if not a or not b:
        return None
    return len(set(a) & set(b)) / min(len(a), len(b))


def same_story(a: Likeness, b: Likeness) -> float | None:
    """Return how alike `a` and `b` are (containment, 0-1) when they are one story told twice,
    else None. Alike wording is not enough: the figures must agree (a reprint never changes
    them; another day's report always does), and the companies, where both name some."""
    figures = shared_share(a.figures, b.figures)
    if figures is not None and figures < MIN_FIGURES_SHARED:
        return None
    if figures is None and max(len(a.figures), len(b.figures)) > 2:
        return None  # one reports figures the other lacks: not the same report
    if shared_share(a.companies, b.companies) == 0:
        return None
    same_figures = figures == 1.0 and min(len(a.figures), len(b.figures)) >= 2
    score = containment(a, b)
    if score < (MIN_CONTAINMENT_SAME_FIGURES if same_figures else MIN_CONTAINMENT):
        return None
    return score
