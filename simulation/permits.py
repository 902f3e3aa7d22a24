"""Permit references: ODS licences, Basel consents, CITES permits and approved permits.

An ODS import licence is issued to a trader for a year and quoted on all its refrigerant
declarations; consents and CITES permits are per consignment. Smugglers leave the field empty,
quote a real permit issued to someone else (reused), invent a well-formed number (fake), quote
their own permit after it expired or beyond its quantity; honest traders sometimes forget it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation import geography as geo
from simulation.calendar import Calendar
from simulation.catalogue import APPROVED_PERMIT, BASEL_CONSENT, CITES_PERMIT, ODS_LICENCE
from simulation.disguise import EXPIRED, FAKE, MISSING, OVER_QUANTITY, REUSED
from simulation.trade import PERMIT_FORGOTTEN

#: Codes where at least this share of legitimate trade carries a permit: smugglers must decide.
_REQUIRED = 0.5


def _carried(rng: np.random.Generator, skeleton: pd.DataFrame, share: np.ndarray) -> np.ndarray:
    """Whether each row quotes a permit at all."""
    carry = rng.random(len(skeleton)) < share
    carry &= skeleton["error"].to_numpy() != PERMIT_FORGOTTEN
    illicit = skeleton["tactic"].to_numpy() >= 0
    mode = np.where(illicit & (share >= _REQUIRED), skeleton["permit_mode"].to_numpy(), 0)
    carry = np.where(mode == MISSING, False, carry)
    return np.where(np.isin(mode, (REUSED, FAKE, EXPIRED, OVER_QUANTITY)), True, carry)


def _texts(
    kind: np.ndarray, year: np.ndarray, number: np.ndarray, origin: np.ndarray
) -> np.ndarray:
    yy = pd.Series(year % 100).astype(str).str.zfill(2)
    serial6 = pd.Series(number % 1_000_000).astype(str).str.zfill(6)
    serial5 = pd.Series(number % 100_000).astype(str).str.zfill(5)
    serial7 = pd.Series(number % 10_000_000).astype(str).str.zfill(7)
    country = pd.Series(np.asarray(geo.countries(), dtype=object)[origin])
    text = "AP" + yy + "-" + serial7
    text = text.mask(kind == ODS_LICENCE, "DOE/ODS/" + yy + "/" + serial5)
    text = text.mask(kind == BASEL_CONSENT, "JAS.BS(" + yy + ")" + serial6)
    text = text.mask(kind == CITES_PERMIT, country + "/" + yy + "/" + serial6)
    return text.to_numpy(dtype=object)


def permit_references(
    rng: np.random.Generator,
    skeleton: pd.DataFrame,
    catalogue: pd.DataFrame,
    calendar: Calendar,
    licences: np.ndarray,
) -> np.ndarray:
    """The permit reference of each row ("" when none is quoted)."""
    hs = skeleton["hs"].to_numpy()
    kind = catalogue["permit_kind"].to_numpy()[hs]
    carry = _carried(rng, skeleton, catalogue["permit_share"].to_numpy()[hs])
    year = (np.datetime64(calendar.start, "D") + skeleton["day"].to_numpy()).astype(
        "datetime64[Y]"
    ).astype(int) + 1970
    trader = skeleton["trader"].to_numpy()
    number = rng.integers(1, 10_000_000, len(skeleton))
    own_licence = licences[trader] + 7 * (year - year.min())
    mode = skeleton["permit_mode"].to_numpy() * (skeleton["tactic"].to_numpy() >= 0)
    # An expired or over-used licence is one of its own the company got for this scheme.
    own = ~np.isin(mode, (FAKE, EXPIRED, OVER_QUANTITY))
    number = np.where((kind == ODS_LICENCE) & own, own_licence, number)
    origin = np.where(
        skeleton["flow"].to_numpy() == geo.EXPORT,
        geo.country_index()[geo.HOME],
        skeleton["origin"].to_numpy(),
    )
    text = np.full(len(skeleton), "", dtype=object)
    rows = np.flatnonzero(carry)
    text[rows] = _texts(kind[rows], year[rows], number[rows], origin[rows])
    return _reuse(rng, text, kind, mode == REUSED, skeleton["day"].to_numpy())


def _reuse(
    rng: np.random.Generator,
    text: np.ndarray,
    kind: np.ndarray,
    reused: np.ndarray,
    day: np.ndarray,
) -> np.ndarray:
    """Quote a permit someone else was issued, and used earlier, for the same kind of goods."""
    honest = (text != "") & ~reused
    for k in (ODS_LICENCE, BASEL_CONSENT, CITES_PERMIT, APPROVED_PERMIT):
        want = np.flatnonzero(reused & (kind == k))
        pool = np.flatnonzero(honest & (kind == k))
        if not (len(want) and len(pool)):
            continue
        pool = pool[np.argsort(day[pool], kind="stable")]
        earlier = np.searchsorted(day[pool], day[want] - 7, side="left")  # a week old at least
        pick = np.floor(rng.random(len(want)) * np.maximum(earlier, 1)).astype(np.int64)
        text[want] = text[pool[np.minimum(pick, len(pool) - 1)]]
    return text


def licence_numbers(rng: np.random.Generator, count: int) -> np.ndarray:
    """A distinct ODS licence serial for each trader."""
    return rng.permutation(100_000)[np.arange(count) % 100_000].astype(np.int64)
