"""The permit register the issuing authorities keep, built from the permits the world quotes.

Every permit an honest trader quotes was issued to it: valid before its first use, for the HS6
codes it is quoted with, for a little more than the quantity used, recorded in the register a
few days after issue. A smuggling company's own permit quoted after it expired, or beyond its
quantity, is in the register too (that is the abuse); a forged number is not, and a reused one
is another holder's. Noise that honest trade also shows: a permit recorded late (after its first
use), a permit used slightly past its quantity, a permit cancelled after its last use. The
country's yearly ODS/HFC import quota (kg) sits a little above the year's legitimate imports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_contracts import reference
from data_contracts.schemas import PERMIT_COLUMNS, QUOTA_KIND
from simulation import geography as geo
from simulation.assemble import canonical
from simulation.catalogue import BASEL_CONSENT, CITES_PERMIT, ODS_LICENCE
from simulation.disguise import EXPIRED, FAKE, OVER_QUANTITY, PERMIT_ABUSE, REUSED

#: Codes where at least this share of legitimate trade carries a permit (as `permits`).
_REQUIRED = 0.5
LATE_RECORDING = 0.02
SLIGHT_OVERUSE = 0.02
CANCELLED_AFTER_USE = 0.01
_REGIME = (ODS_LICENCE, BASEL_CONSENT, CITES_PERMIT)
_DAY = np.timedelta64(1, "D")
_NAT = np.datetime64("NaT")


def abuse_modes(skeleton: pd.DataFrame, catalogue: pd.DataFrame, quoted: np.ndarray) -> np.ndarray:
    """The permit abuse each row really carries: 0 for none (honest, not a permit code, or a
    national permit the register does not keep, where only a missing one counts)."""
    hs = skeleton["hs"].to_numpy()
    share = catalogue["permit_share"].to_numpy()[hs]
    regime = np.isin(catalogue["permit_kind"].to_numpy()[hs], _REGIME)
    illicit = skeleton["tactic"].to_numpy() >= 0
    mode = np.where(illicit & (share >= _REQUIRED), skeleton["permit_mode"].to_numpy(), 0)
    return np.where((quoted & regime) | (mode == 1), mode, 0).astype(np.int8)


def abuse_labels(mode: np.ndarray) -> np.ndarray:
    """The truth label of each abuse mode ("" for none)."""
    return np.asarray(PERMIT_ABUSE, dtype=object)[mode]


def _kinds(kind: np.ndarray, flow: np.ndarray) -> np.ndarray:
    names = np.full(len(kind), "", dtype=object)
    names[kind == ODS_LICENCE] = "montreal_import_licence"
    names[kind == BASEL_CONSENT] = "basel_notification"
    cites = kind == CITES_PERMIT
    names[cites] = np.select(
        [flow[cites] == "import", flow[cites] == "export"],
        ["cites_export", "cites_export"],  # the exporting state's permit travels with the goods
        "cites_reexport",
    )
    return names


def _shared_over_quantity(frame: pd.DataFrame, mode: np.ndarray) -> pd.Series:
    """Over-quantity shipments of one company quote the same permit of theirs."""
    over = frame[mode == OVER_QUANTITY]
    first = over.groupby(["trader_id", "permit_kind"])["permit_reference"].transform("first")
    return frame["permit_reference"].mask(mode == OVER_QUANTITY, first.reindex(frame.index))


def _issued(rng: np.random.Generator, uses: pd.DataFrame) -> pd.DataFrame:
    """One register row per reference quoted by its holder (honest, expired or over-used)."""
    grouped = uses.sort_values("declaration_date", kind="stable").groupby("permit_reference")
    first = grouped.first()
    n = len(first)
    start = first["declaration_date"].to_numpy().astype("datetime64[D]")
    last = grouped["declaration_date"].max().to_numpy().astype("datetime64[D]")
    used = grouped["net_weight_kg"].sum().to_numpy()
    mode = grouped["mode"].max().to_numpy()
    valid_from = start - rng.integers(5, 60, n) * _DAY
    year_end = (start.astype("datetime64[Y]") + 1).astype("datetime64[D]") - _DAY
    per_consignment = np.maximum(last, start + rng.integers(90, 180, n) * _DAY)
    licence = first["permit_kind"].to_numpy() == ODS_LICENCE
    valid_to = np.where(licence, np.maximum(year_end, last), per_consignment)
    expired = mode == EXPIRED
    valid_to = np.where(expired, start - rng.integers(15, 200, n) * _DAY, valid_to)
    valid_from = np.where(expired, valid_to - 365 * _DAY, valid_from)
    room = np.where(
        rng.random(n) < SLIGHT_OVERUSE, rng.uniform(0.85, 1.0, n), rng.uniform(1.05, 1.6, n)
    )
    room = np.where(mode == OVER_QUANTITY, rng.uniform(0.3, 0.8, n), room)
    recorded = valid_from + rng.integers(0, 4, n) * _DAY
    late = rng.random(n) < LATE_RECORDING
    recorded = np.where(late, start + rng.integers(1, 20, n) * _DAY, recorded)
    cancelled = (rng.random(n) < CANCELLED_AFTER_USE) & ~expired
    hs = grouped["hs_code"].agg(lambda codes: ";".join(sorted({c[:6] for c in codes})))
    issuer = np.where(
        (first["permit_kind"].to_numpy() == CITES_PERMIT) & (first["flow"].to_numpy() == "import"),
        first["origin_country"].to_numpy(),
        geo.HOME,
    )
    return pd.DataFrame({
        "permit_reference": first.index.to_numpy(),
        "kind": _kinds(first["permit_kind"].to_numpy(), first["flow"].to_numpy()),
        "holder_id": first["trader_id"].to_numpy(),
        "hs_codes": hs.to_numpy(),
        "substances": "",
        "quantity_allowed": np.round(np.maximum(used * room, 1.0), 1),
        "unit": "kg",
        "valid_from": valid_from,
        "valid_to": valid_to,
        "issuing_country": issuer,
        "status": np.where(cancelled, "cancelled", "valid"),
        "cancelled_on": np.where(cancelled, last + rng.integers(1, 30, n) * _DAY, _NAT),
        "recorded_on": recorded,
    })  # fmt: skip


def _quotas(rng: np.random.Generator, frame: pd.DataFrame, honest: np.ndarray) -> pd.DataFrame:
    """The home country's ODS/HFC import quota per year: a little above legitimate imports."""
    codes = reference.hs_codes()
    ods = frame["hs_code"].str.slice(0, 6).isin(codes.loc[codes["category"] == "ods", "hs6"])
    imports = frame[ods.to_numpy() & honest & (frame["flow"] == "import").to_numpy()]
    yearly = imports.groupby(imports["declaration_date"].dt.year)["net_weight_kg"].sum()
    years = yearly.index.to_numpy()
    first_day = pd.to_datetime([f"{year}-01-01" for year in years]).to_numpy()
    return pd.DataFrame({
        "permit_reference": [f"{geo.HOME}-ODS-QUOTA-{year}" for year in years],
        "kind": QUOTA_KIND,
        "holder_id": "",
        "hs_codes": "",
        "substances": "HCFCs and HFCs",
        "quantity_allowed": np.round(yearly.to_numpy() * rng.uniform(1.1, 1.3, len(years)), 1),
        "unit": "kg",
        "valid_from": first_day,
        "valid_to": pd.to_datetime([f"{year}-12-31" for year in years]).to_numpy(),
        "issuing_country": geo.HOME,
        "status": "valid",
        "cancelled_on": np.datetime64("NaT"),
        "recorded_on": first_day - 30 * _DAY,
    })  # fmt: skip


def permit_register(
    rng: np.random.Generator,
    declarations: pd.DataFrame,
    skeleton: pd.DataFrame,
    catalogue: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The register, the declarations as finally quoted, and each row's abuse mode.

    `skeleton` and `declarations` are in the same row order.
    """
    quoted = (declarations["permit_reference"] != "").to_numpy()
    mode = abuse_modes(skeleton, catalogue, quoted)
    kind = catalogue["permit_kind"].to_numpy()[skeleton["hs"].to_numpy()]
    frame = declarations.assign(permit_kind=kind, mode=mode)
    frame["permit_reference"] = _shared_over_quantity(frame, mode)
    regime = np.isin(kind, _REGIME)
    holders = quoted & regime & ~np.isin(mode, (REUSED, FAKE))
    register = pd.concat(
        [_issued(rng, frame[holders]), _quotas(rng, frame, mode == 0)], ignore_index=True
    )
    register = register[register["kind"] != ""]
    final = declarations.assign(permit_reference=frame["permit_reference"].to_numpy())
    return canonical(register.reset_index(drop=True), PERMIT_COLUMNS), final, mode
