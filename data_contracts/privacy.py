"""Keyed pseudonyms for trader, declarant and permit holder ids (HMAC-SHA256), applied at ingest.

The same key and id always give the same pseudonym, so history features still link a trader's
declarations; without the key nobody can recompute or reverse them. Only the distinct ids are
hashed (a few thousand traders even in a million declarations), then mapped back by position.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd

#: Pseudonymised columns and the prefix that marks a pseudonym of each. A permit's holder is a
#: trader, so its id gets the trader's pseudonym (holder mismatch is then comparable).
PSEUDONYM_PREFIXES = {"trader_id": "T-", "declarant_id": "B-", "holder_id": "T-"}
#: Hex digits kept from the digest: 64 bits, no collision expected below billions of ids.
DIGEST_HEX_CHARS = 16
#: The key state of a warehouse loaded without a key.
KEY_OFF = "off"
_KEY_CHECK = b"gcrisk-key-check"


def pseudonyms(ids: pd.Series, key: bytes, *, prefix: str) -> pd.Series:
    """Replace each id by `prefix` + truncated HMAC-SHA256(key, id stripped); missing stays so.

    An empty id (an optional id column, such as a quota's holder) stays empty.
    """
    if not key:
        raise ValueError("the pseudonym key is empty")
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    digests = [
        prefix
        + hmac.new(key, str(value).strip().encode("utf-8"), hashlib.sha256).hexdigest()[
            :DIGEST_HEX_CHARS
        ]
        for value in uniques
    ]
    # Code -1 (a missing id) picks the last slot, which is then masked back to missing.
    lookup = np.array([*digests, ""], dtype=object)
    result = pd.Series(lookup[codes], index=ids.index, dtype="str")
    result = result.mask(pd.Series(codes == -1, index=ids.index))
    empty = ids.astype("str").str.strip() == ""
    return result.mask(empty.fillna(False).to_numpy(dtype=bool), "") if empty.any() else result


def pseudonymise(frame: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Pseudonymise the trader and declarant id columns present in `frame`."""
    updates = {
        column: pseudonyms(frame[column], key, prefix=prefix)
        for column, prefix in PSEUDONYM_PREFIXES.items()
        if column in frame.columns
    }
    return frame.assign(**updates)


def key_fingerprint(key: bytes | None) -> str:
    """`KEY_OFF`, or 16 hex digits of HMAC-SHA256(key, a fixed text): tells keys apart without
    revealing them (the key cannot be recovered from it, nor any pseudonym computed)."""
    if key is None:
        return KEY_OFF
    return hmac.new(key, _KEY_CHECK, hashlib.sha256).hexdigest()[:DIGEST_HEX_CHARS]
