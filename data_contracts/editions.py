"""HS editions by declaration date: HS 2017 before 2022-01-01, HS 2022 from that day on.

A tariff code is checked against the edition in force on its declaration date, so an HS 2017
code of 2021 passes as declared and an HS 2022-only code dated 2020 fails, naming the edition
that applied. Codes of both editions (5,242 of about 5,600) pass on any date. The rule compares
a column with another, which GX cannot do for a set of 5,600 values quickly, so it runs here in
numpy on the coerced frame, over the distinct codes (a factorize and two set lookups for 1M
rows); `validation` joins its reasons to the suite's.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from data_contracts import reference

#: Which editions a code is a six-digit subheading of (categories of `code_editions`).
EDITIONS = ("hs2017_only", "hs2022_only", "both", "neither")
_HS2017_ONLY, _HS2022_ONLY, _BOTH, _NEITHER = range(len(EDITIONS))
_IN_FORCE = reference.HS2022_IN_FORCE.isoformat()
NOT_A_SUBHEADING = "hs_code not an HS 2017 or HS 2022 subheading"
HS2022_TOO_EARLY = (
    f"hs_code is HS 2022 only, but HS 2017 was in force on declaration_date (before {_IN_FORCE})"
)
HS2017_TOO_LATE = (
    f"hs_code is HS 2017 only, but HS 2022 was in force on declaration_date (from {_IN_FORCE})"
)
#: The reasons this rule gives, in the order they are joined.
REASONS = (NOT_A_SUBHEADING, HS2022_TOO_EARLY, HS2017_TOO_LATE)


def code_editions(hs_code: pd.Series) -> pd.Categorical:
    """Per row, the editions whose subheading the code's first six digits are (6-10 digits).

    A missing or malformed code is 'neither'.
    """
    rows, distinct = pd.factorize(hs_code, use_na_sentinel=True)
    text = pd.Series(np.asarray(distinct, dtype=object), dtype="str")
    well_formed = text.str.fullmatch(r"[0-9]{6,10}").to_numpy(dtype=bool)
    six = text.str.slice(0, 6)
    in_2017 = well_formed & six.isin(reference.hs2017_subheadings()).to_numpy()
    in_2022 = well_formed & six.isin(reference.hs6_subheadings()).to_numpy()
    edition = np.select(
        [in_2017 & in_2022, in_2017, in_2022], [_BOTH, _HS2017_ONLY, _HS2022_ONLY], _NEITHER
    )
    per_row = np.append(edition, _NEITHER)[rows]  # a missing code (-1) takes the last slot
    return pd.Categorical.from_codes(per_row.astype(np.int8), categories=list(EDITIONS))


def edition_failures(hs_code: pd.Series, declaration_date: pd.Series) -> dict[str, np.ndarray]:
    """One boolean mask per reason: the rows whose code the edition in force does not have.

    A missing code or date fails elsewhere ("is missing", "not a date"); without a date the
    code only has to be in either edition.
    """
    editions = code_editions(hs_code).codes
    dates = np.asarray(declaration_date, dtype="datetime64[us]")
    dated = ~np.isnat(dates)
    early = dated & (dates < np.datetime64(_IN_FORCE, "us"))
    late = dated & ~early
    return {
        NOT_A_SUBHEADING: hs_code.notna().to_numpy(dtype=bool) & (editions == _NEITHER),
        HS2022_TOO_EARLY: early & (editions == _HS2022_ONLY),
        HS2017_TOO_LATE: late & (editions == _HS2017_ONLY),
    }


def edition_mix(hs_code: pd.Series) -> dict[str, int]:
    """Rows whose code is HS 2017-only, HS 2022-only, in both editions or in neither."""
    counts = pd.Series(code_editions(hs_code)).value_counts(sort=False)
    return {edition: int(counts.get(edition, 0)) for edition in EDITIONS}


def edition_reason(hs_code: str, declaration_date: datetime.date | None) -> str | None:
    """The reason one well-formed code fails the rule on its date (None: it passes), as
    `edition_failures` decides for a column; in microseconds, for one record at a time."""
    six = hs_code[:6]
    in_2017, in_2022 = six in reference.hs2017_subheadings(), six in reference.hs6_subheadings()
    if not (in_2017 or in_2022):
        return NOT_A_SUBHEADING
    if declaration_date is None or (in_2017 and in_2022):
        return None
    early = declaration_date < reference.HS2022_IN_FORCE
    if early and not in_2017:
        return HS2022_TOO_EARLY
    if not early and not in_2022:
        return HS2017_TOO_LATE
    return None
