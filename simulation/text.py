"""Free-text goods descriptions with the variation real declarations have.

Each code gets a few phrasings (hand-written for the codes the risk story turns on, cut from the
HS 2022 text otherwise); rows then vary in casing, abbreviations, packaging tails, "used"
prefixes, vague catch-alls ("GENERAL CARGO") and the odd empty field. Smugglers' rows use the
same phrasings, more often vague or a cover description, never the goods they really carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import geography as geo
from simulation.phrases import ABBREVIATIONS, PHRASES, TAILS, VAGUE

_NEC = re.compile(r"\s*\bn\.e\.c\.(\s+in\s+(chapter|heading|item)\s+[0-9.]+)?|\([^)]*\)", re.I)
_USED = ("USED ", "used ", "second hand ", "SECOND-HAND ", "RECOND ")
_EMPTY = 0.015
_VAGUE_LEGIT = 0.04
_VAGUE_POST = 0.15


@dataclass(frozen=True)
class PhraseTable:
    """Phrasings of every code, flattened: code i has phrases[offset[i]:offset[i] + count[i]]."""

    phrases: np.ndarray
    offset: np.ndarray
    count: np.ndarray


def _cut(description: str) -> tuple[str, ...]:
    """Two or three trade-style phrasings from an HS description."""
    clean = _NEC.sub("", _NEC.sub("", description))  # twice: parentheses can nest
    clean = re.sub(r"\s+", " ", clean.replace("(", "").replace(")", "")).strip(" ;,")
    head, _, rest = clean.partition(";")
    qualifier = rest.split(",")[0].strip()
    variants = [clean[:70].strip(), head.strip()]
    if qualifier and len(qualifier) > 3:
        variants.append(f"{head.strip()} {qualifier}"[:60])
    return tuple(dict.fromkeys(v for v in variants if v))


def phrase_table(catalogue: pd.DataFrame) -> PhraseTable:
    """The phrasings of every code in the catalogue."""
    lists = [
        PHRASES.get(code) or _cut(text)
        for code, text in zip(catalogue["hs6"], catalogue["description"], strict=True)
    ]
    count = np.array([len(x) for x in lists])
    offset = np.cumsum(count) - count
    phrases = np.array([p for x in lists for p in x], dtype=object)
    return PhraseTable(phrases=phrases, offset=offset, count=count)


def _pick(rng: np.random.Generator, items: tuple[str, ...], count: int) -> np.ndarray:
    return np.asarray(items, dtype=object)[rng.integers(0, len(items), count)]


def _base(
    rng: np.random.Generator,
    skeleton: pd.DataFrame,
    table: PhraseTable,
    covers: tuple[str, ...],
    code_covers: dict[int, tuple[str, ...]],
) -> tuple[np.ndarray, np.ndarray]:
    hs = skeleton["hs"].to_numpy()
    n = len(hs)
    text = table.phrases[table.offset[hs] + (rng.random(n) * table.count[hs]).astype(int)]
    used = skeleton["used"].to_numpy()
    text[used] = _pick(rng, _USED, used.sum()) + text[used]
    legit = skeleton["tactic"].to_numpy() < 0
    p_vague = np.where(skeleton["mode"].to_numpy() == geo.POST, _VAGUE_POST, _VAGUE_LEGIT)
    vague = np.where(legit, rng.random(n) < p_vague, skeleton["vague"].to_numpy())
    text[vague] = _pick(rng, VAGUE, vague.sum())
    for code, options in code_covers.items():  # honest traders use the same cover wording
        rows = np.flatnonzero(legit & vague & (hs == code) & (rng.random(n) < 0.4))
        text[rows] = _pick(rng, options, len(rows))
    cover = skeleton["cover"].to_numpy()
    text[cover >= 0] = np.asarray(covers, dtype=object)[cover[cover >= 0]]
    return text, vague | (cover >= 0)


def _tails(rng: np.random.Generator, quantity: np.ndarray) -> pd.Series:
    """Packaging tails such as " - 12 CTNS" on a quarter of the rows."""
    n = len(quantity)
    pre = np.array([t.split("{n}")[0] for t in TAILS], dtype=object)
    post = np.array([t.split("{n}")[1] if "{n}" in t else "" for t in TAILS], dtype=object)
    counted = np.array(["{n}" in t for t in TAILS])
    rows = np.flatnonzero(rng.random(n) < 0.25)
    k = rng.integers(0, len(TAILS), len(rows))
    packages = np.maximum(1, np.round(np.sqrt(quantity[rows]))).astype(np.int64).astype(str)
    tail = np.full(n, "", dtype=object)
    tail[rows] = pre[k] + np.where(counted[k], packages.astype(object), "") + post[k]
    return pd.Series(tail, dtype="str")


def _styled(rng: np.random.Generator, text: np.ndarray, quantity: np.ndarray) -> pd.Series:
    """Casing, abbreviations, packaging tails and empties."""
    n = len(text)
    series = pd.Series(text, dtype="str")
    abbreviate = rng.random(n) < 0.2
    pair = rng.integers(0, len(ABBREVIATIONS), n)
    for i, (long, short) in enumerate(ABBREVIATIONS):
        rows = abbreviate & (pair == i)
        series[rows] = series[rows].str.replace(long, short, regex=False)
    series = series + _tails(rng, quantity)
    case = rng.random(n)
    series = series.where(case >= 0.5, series.str.upper())
    series = series.where((case < 0.5) | (case >= 0.65), series.str.lower())
    return series.where(rng.random(n) >= _EMPTY, "")


def descriptions(
    rng: np.random.Generator,
    skeleton: pd.DataFrame,
    table: PhraseTable,
    quantity: np.ndarray,
    covers: tuple[str, ...],
    code_covers: dict[int, tuple[str, ...]],
) -> tuple[pd.Series, np.ndarray]:
    """The goods_description of every skeleton row, and which rows are vague or cover wording."""
    base, vague = _base(rng, skeleton, table, covers, code_covers)
    return _styled(rng, base, quantity), vague
