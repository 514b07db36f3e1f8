"""What two stories must share to be one story told twice: a story's likeness. Pure: no ORM.

A story's likeness is
- a MinHash of its text's character shingles (PERMUTATIONS values): the share of equal
  values estimates how much of the two texts' wording is the same (Jaccard similarity);
- LSH band keys cut from that MinHash (BANDS keys of ROWS values each): two stories whose
  texts are alike share a key with high probability, two unrelated ones almost never, so the
  candidates are found through an index on the keys, never by comparing with every story;
- the figures the text gives (3.25%, 1200万元, 12月8日) and the companies it names: templated
  daily reports (北向资金, 龙虎榜, 收评) share most of their wording and differ in these.

numpy computes the shingles' hashes and the MinHash in a few vector operations (~0.1 ms for a
1,000-character story); datasketch's MinHash hashes each shingle in Python and applies every
permutation to every shingle (~10x slower), and its LSH keeps its index in memory or Redis,
not in the database beside the stories.
"""

import hashlib
import itertools
import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from articles.text import FULL_WIDTH, nfkc

SHINGLE = 4  # characters: two Chinese words, about
PERMUTATIONS = 60
ROWS = 3
BANDS = PERMUTATIONS // ROWS
# Below this many distinct shingles (a dozen characters) there is nothing to compare.
MIN_SHINGLES = 8
MAX_SHINGLES = 20_000  # a hostile or absurd text: its first part is its signature
# Figures and companies kept per story (the rest changes nothing a rewrite would change).
MAX_FIGURES = 64
MAX_FIGURE_DIGITS = 30
FIGURE_KEYED = 4  # figures whose pairs are candidate keys (6 keys at most)
MAX_COMPANIES = 32


def _constant(label: str) -> int:
    """A fixed 64-bit constant: stored signatures must compare equal across runs, processes and
    library versions, so nothing here comes from a random generator."""
    return int.from_bytes(hashlib.blake2b(label.encode(), digest_size=8).digest(), "little")


_MULTIPLIER = np.uint64(_constant("shingle") | 1)
_MIX1 = np.uint64(_constant("mix1") | 1)
_MIX2 = np.uint64(_constant("mix2") | 1)
_ROTATION = _constant("rotation") & 0xFFFFFFFF
_BAND_SEED = np.array([_constant(f"band{band}") for band in range(BANDS)], dtype=np.uint64)
_BAND_MIX = np.uint64(_constant("band mix") | 1)
_LOW = np.uint64(0xFFFFFFFF)
_EMPTY = np.uint64(1 << 32)
# Which code points are letters or digits (str.isalnum(), as the fingerprint's NOT_ALNUM
# keeps them), looked up for a whole text at once; beyond the table, all are kept.
_ALNUM = np.array([chr(code).isalnum() for code in range(0x30000)] + [True], dtype=bool)
# A figure: digits (with a decimal part or thousands separators), a 万/亿 multiplier, a unit.
FIGURE = re.compile(r"([0-9０-９]+(?:[,，][0-9０-９]{3})*(?:[.．][0-9０-９]+)?)\s*([万亿]?)\s*([%％‰年月日号时分])?")
CALENDAR = set("年月日号时分")
MULTIPLIERS = {"万": 10**4, "亿": 10**8}


@dataclass(frozen=True)
class Likeness:
    minhash: bytes  # PERMUTATIONS little-endian uint32 values
    shingles: int  # how many distinct shingles the text has
    figures: tuple[str, ...]
    companies: tuple[str, ...] = ()
    # The story's candidate keys (signed 64-bit, as the database stores them): its LSH bands,
    # and each pair of the figures it reports (a flash reworded by another wire keeps its
    # figures when little of its wording survives). Computed once, where the likeness is made
    # (in the parse workers for an import).
    bands: tuple[int, ...] = ()

    def __post_init__(self):
        if not self.bands:
            object.__setattr__(self, "bands", band_keys(self.minhash) + figure_keys(self.figures))


# Chinese text is full of full-width punctuation (，：（）％) and the ideographic space, which
# NFKC turns into ASCII: done for the code points in numpy (codes_of) and for the digits of a
# figure (figures_of), not by normalising the whole text (text.nfkc).
_IDEOGRAPHIC_SPACE = 0x3000
_TO_ASCII = str.maketrans("０１２３４５６７８９．，", "0123456789.,")


def codes_of(text: str) -> np.ndarray:
    """The text as the signature reads it, as code points: NFKC (full- and half-width alike),
    lower case, letters and digits only."""
    codes = np.frombuffer(nfkc(text).lower().encode("utf-32-le"), dtype=np.uint32).copy()
    wide = (codes >= FULL_WIDTH.start) & (codes < FULL_WIDTH.stop)
    codes[wide] -= 0xFEE0  # ！..～ as !..~ (ＡＢ became ａｂ, then ab), as NFKC
    codes[codes == _IDEOGRAPHIC_SPACE] = 0x20
    return codes[_ALNUM[np.minimum(codes, len(_ALNUM) - 1)]]


def figures_of(text: str) -> tuple[str, ...]:
    """The distinct figures `text` reports, as values (12,396万 = 123960000, 2378.0元 = 2378,
    ４.００％ = 4%, 03868 = 3868), sorted; calendar figures (12月8日, 2021年) left out: a
    reprint adds its own dateline, and a date spelled 二零二一年 reads the same."""
    found: set[str] = set()
    for number, multiplier, unit in FIGURE.findall(nfkc(text)):
        number, unit = number.translate(_TO_ASCII), "%" if unit == "％" else unit
        if (unit and unit in CALENDAR) or len(number) > MAX_FIGURE_DIGITS:
            continue  # a date; or a run of digits no report gives (a hostile file's)
        number = number.replace(",", "")
        if multiplier:
            number = f"{Decimal(number) * MULTIPLIERS[multiplier]:f}"
        whole, _, fraction = number.partition(".")
        fraction = fraction.rstrip("0")
        figure = (whole.lstrip("0") or "0") + ("." + fraction if fraction else "")
        found.add(figure + (unit or ""))
        if len(found) >= MAX_FIGURES:
            break
    return tuple(sorted(found))


def minhash(codes: np.ndarray) -> tuple[bytes, int] | None:
    """Return (MinHash, distinct shingle count) of the code points `codes`, or None when there
    are too few shingles to compare.

    One-permutation hashing: each shingle is hashed once and falls in one of PERMUTATIONS
    slots, whose smallest value is kept; an empty slot borrows the next filled one's value
    (rotation densification). Two texts' slots agree about as often as their shingle sets
    overlap (Jaccard similarity), for a pass over the shingles instead of PERMUTATIONS."""
    codes = codes[: MAX_SHINGLES + SHINGLE - 1].astype(np.uint64)
    count = len(codes) - SHINGLE + 1
    if count < MIN_SHINGLES:
        return None
    hashes = codes[:count].copy()
    for offset in range(1, SHINGLE):  # a polynomial hash of each window, wrapping at 2**64
        hashes = hashes * _MULTIPLIER + codes[offset:offset + count]
    hashes *= _MIX1  # mix every bit into the high ones (a splitmix-style finaliser)
    hashes ^= hashes >> np.uint64(29)
    hashes *= _MIX2
    hashes ^= hashes >> np.uint64(32)
    # One sort gives both the distinct count (the mixing is a bijection: distinct shingle
    # hashes stay distinct) and the slots in order (a slot is a rising function of the value).
    hashes.sort()
    distinct = 1 + int(np.count_nonzero(hashes[1:] != hashes[:-1]))
    if distinct < MIN_SHINGLES:
        return None
    slots = ((hashes >> np.uint64(32)) * np.uint64(PERMUTATIONS)) >> np.uint64(32)
    first = np.flatnonzero(np.r_[True, slots[1:] != slots[:-1]])
    values = np.full(PERMUTATIONS, _EMPTY, dtype=np.uint64)
    values[slots[first].astype(np.intp)] = np.minimum.reduceat(hashes & _LOW, first)
    filled = np.flatnonzero(values != _EMPTY)
    if len(filled) < PERMUTATIONS:
        slot = np.arange(PERMUTATIONS)
        source = filled[np.searchsorted(filled, slot) % len(filled)]
        distance = (source - slot) % PERMUTATIONS
        values = (values[source] + distance.astype(np.uint64) * np.uint64(_ROTATION)) & _LOW
    return values.astype("<u4").tobytes(), distinct


def band_keys(signature: bytes) -> tuple[int, ...]:
    """The LSH band keys of a MinHash: each band's ROWS values and its number, mixed into one
    signed 64-bit number (a few vector operations for all bands)."""
    values = np.frombuffer(signature[: 4 * ROWS * BANDS], dtype="<u4").astype(np.uint64).reshape(BANDS, ROWS)
    keys = _BAND_SEED.copy()
    for row in range(ROWS):
        keys = (keys ^ values[:, row]) * _BAND_MIX
        keys ^= keys >> np.uint64(31)
    return tuple(keys.view(np.int64).tolist())


def figure_keys(figures: tuple[str, ...]) -> tuple[int, ...]:
    """A key for each pair of the FIGURE_KEYED figures with most digits (the most telling)."""
    figures = sorted(figures, key=lambda f: (-sum(c.isdigit() for c in f), f))
    return tuple(_key(f"{a}|{b}".encode()) for a, b in itertools.combinations(figures[:FIGURE_KEYED], 2))


def _key(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)


def likeness_of(text: str, *, companies=()) -> Likeness | None:
    """Return the likeness of a story's plain text (without its title: a reprint rewrites the
    headline first) naming `companies` (the directory ids of its stocks, linked or suggested),
    or None when the text is too short to tell a copy from a look-alike."""
    found = minhash(codes_of(text))
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


def same_story(a: Likeness, b: Likeness, *, min_containment: float = MIN_CONTAINMENT) -> float | None:
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
    if score < (MIN_CONTAINMENT_SAME_FIGURES if same_figures else min_containment):
        return None
    return score
