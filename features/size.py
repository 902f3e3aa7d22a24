"""Size family: the declared value and net weight themselves.

Unit values and reference ratios say whether a price is plausible for the goods; the size of the
consignment is context of its own (a tiny parcel and a bulk shipment of the same code carry
different risks), and a model cannot recover it from the ratios.
"""

from __future__ import annotations

import pandas as pd


def size_features(prepared: pd.DataFrame) -> pd.DataFrame:
    """Declared customs value (USD) and net weight (kg) of each declaration."""
    return pd.DataFrame(
        {
            "declared_value_usd": prepared["customs_value_usd"].to_numpy(
                float, na_value=float("nan")
            ),
            "declared_net_weight_kg": prepared["net_weight_kg"].to_numpy(
                float, na_value=float("nan")
            ),
        }
    )
