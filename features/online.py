"""The scoring path for a few declarations at a time: the same features without pandas frames.

`build_scoring_features` spends ~40 ms on a one-row batch, nearly all of it in the fixed cost of
pandas operations on 1-row Series (a few hundred of them across the families), not in
arithmetic. `OnlineFeatures` computes the same values from the same snapshot: memberships and
text checks on Python values, arithmetic with the numpy operations the families use, in the
same order (so the floats are the same), the history state from the `StateLookup` hash maps,
the register indexed once per snapshot. The frame it returns equals
`build_scoring_features(batch, snapshots)`: `tests/service/test_service_parity.py` holds the
two equal on hundreds of rows, feature by feature.

It takes contract-valid declarations (`data_contracts.records`: an HS code of 6-10 digits, no
surrounding whitespace), as the service receives them; batch scoring keeps the batch path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from data_contracts.schemas import QUOTA_KIND
from features import tables
from features.build import CONTEXT_COLUMNS, KEY_COLUMNS, Snapshots
from features.catalogue import CATALOGUE
from features.description import KEYWORDS
from features.history import StateLookup, index_tables, key_columns, lookup_arrays
from features.outcomes import ROOT_INSPECTIONS, ROOT_VIOLATIONS, shrunk_rate
from features.permits import _days
from features.prepare import MIN_WEIGHT_KG, day_numbers, log_unit_value, normalised_text
from features.text_model import MISMATCH_COLUMNS
from features.value import _LEVELS, MIN_LOG_STD, MIN_REFERENCE_COUNT

_CATEGORIES = ("waste", "ods", "wildlife")
_CONTROLLED = frozenset(tables.CONTROLLED_CONVENTIONS)
Columns = dict[str, np.ndarray]


def _text(value: object) -> str:
    """A text cell as the batch path reads it (`astype("str").fillna("")`)."""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _flags(values: Sequence[Any], test: Callable[[Any], bool]) -> np.ndarray:
    return np.fromiter((bool(test(value)) for value in values), dtype=bool, count=len(values))


@dataclass(frozen=True)
class _Register:
    """The permit register (quotas apart) by reference, and the quotas by country and year."""

    position: dict[str, int]
    recorded: np.ndarray
    valid_from: np.ndarray
    valid_to: np.ndarray
    cancelled: np.ndarray
    holder: list[str]
    codes: list[list[tuple[bool, int]]]
    allowed: np.ndarray
    unit: list[object]
    quotas: dict[tuple[str, int], list[tuple[int, float]]]
    size: int

    @classmethod
    def of(cls, permits: pd.DataFrame) -> _Register:
        quota = permits["kind"].astype("str").to_numpy() == QUOTA_KIND
        register = permits[~quota].reset_index(drop=True)
        references = register["permit_reference"].astype("str").str.strip().tolist()
        codes = [
            [(len(code) == 6, int(code)) for code in _text(cell).split(";") if len(code) > 0]
            for cell in register["hs_codes"].tolist()
        ]
        quotas: dict[tuple[str, int], list[tuple[int, float]]] = {}
        table = permits[quota]
        for country, year, recorded, allowed in zip(
            table["issuing_country"].astype("str").tolist(),
            table["valid_from"].dt.year.to_numpy(dtype=np.int64).tolist(),
            _days(table["recorded_on"], 0).tolist(),
            table["quantity_allowed"].to_numpy(dtype=float).tolist(),
            strict=True,
        ):
            quotas.setdefault((country, year), []).append((recorded, allowed))
        return cls(
            position={reference: i for i, reference in reversed(list(enumerate(references)))},
            recorded=_days(register["recorded_on"], 0),
            valid_from=_days(register["valid_from"], 0),
            valid_to=_days(register["valid_to"], 0),
            cancelled=_days(register["cancelled_on"], np.iinfo(np.int64).max),
            holder=[_text(h) for h in register["holder_id"].astype("str").tolist()],
            codes=codes,
            allowed=register["quantity_allowed"].to_numpy(dtype=float, na_value=0.0),
            unit=register["unit"].astype("str").tolist(),
            quotas=quotas,
            size=len(register),
        )


@dataclass(frozen=True)
class OnlineFeatures:
    """`build_scoring_features` for a few rows against one snapshot (build once per snapshot)."""

    snapshots: Snapshots
    lookup: StateLookup
    register: _Register
    regime: dict[str, tuple[str, str, str]]
    keywords: tuple[tuple[str, re.Pattern[str], re.Pattern[str] | None], ...]

    @classmethod
    def of(cls, snapshots: Snapshots) -> OnlineFeatures:
        table = tables.regimes()
        regime = {
            str(code): (
                "none" if pd.isna(row.category) else str(row.category),
                "" if pd.isna(row.subcategory) else str(row.subcategory),
                "none" if pd.isna(row.convention) else str(row.convention),
            )
            for code, row in zip(table.index, table.itertuples(index=False), strict=True)
        }
        keywords = tuple(
            (name, re.compile(pattern), re.compile(veto) if veto else None)
            for name, (pattern, veto) in KEYWORDS.items()
        )
        lookup = index_tables(snapshots.tables)
        return cls(snapshots, lookup, _Register.of(snapshots.permits), regime, keywords)

    def features(self, batch: pd.DataFrame) -> pd.DataFrame:
        """The frame `build_scoring_features(batch, snapshots)` gives (same columns, dtypes)."""
        if (batch["declaration_date"] < self.snapshots.as_of).any():
            raise ValueError(
                f"batch has declarations dated before the snapshot date "
                f"{self.snapshots.as_of.date()}"
            )
        rows = _Rows.of(batch.reset_index(drop=True), self.regime)
        state = lookup_arrays(rows.keys(), self.lookup)
        tariff = self._tariff(rows)
        values = (
            tariff
            | self._permits(rows, state, tariff["permit_expected"])
            | self._route(rows, state)
            | _value(rows, state)
            | _party(rows, state)
            | self._description(rows)
            | _outcomes(state)
            | _size(rows)
            | self._mismatch(rows)
        )
        columns: dict[str, Any] = {
            name: rows.frame[name].array for name in (*KEY_COLUMNS, *CONTEXT_COLUMNS)
        }
        for entry in CATALOGUE:
            columns[entry.name] = values[entry.name].astype(entry.dtype, copy=False)
        return pd.DataFrame(columns, index=pd.RangeIndex(rows.n), copy=False)

    def _tariff(self, rows: _Rows) -> Columns:
        expected = np.array(
            [
                convention in _CONTROLLED and sub not in tables.NO_PERMIT_SUBCATEGORIES
                for sub, convention in zip(rows.subcategory, rows.convention, strict=True)
            ],
            dtype=bool,
        )
        present = rows.permit_present
        category = np.array(rows.category, dtype=object)
        return {
            "hs_chapter": rows.chapter,
            "hs_heading": rows.hs4,
            "hs6": rows.hs6,
            "is_waste_code": category == "waste",
            "is_ods_code": category == "ods",
            "is_wildlife_code": category == "wildlife",
            "is_cover_code": _flags(rows.hs6_text, tables.cover_codes().__contains__),
            "permit_expected": expected,
            "permit_present": present,
            "permit_missing_for_controlled": expected & ~present,
        }

    def _permits(self, rows: _Rows, state: Columns, expected: np.ndarray) -> Columns:
        n, register = rows.n, self.register
        known, not_valid = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        holder, outside, share = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n)
        for i, ref in enumerate(rows.permit_ref):
            at = register.position.get(ref, -1) if ref != "" else -1
            day = int(rows.day[i])
            if at < 0 or not register.recorded[at] < day:
                continue
            known[i] = True
            not_valid[i] = bool(
                (day < register.valid_from[at])
                | (day > register.valid_to[at])
                | (register.cancelled[at] < day)
            )
            holder[i] = register.holder[at] != "" and register.holder[at] != rows.trader[i]
            hs6 = int(rows.hs6[i])
            outside[i] = not any(
                code == (hs6 if six else hs6 // 100) for six, code in register.codes[at]
            )
            share[i] = self._quantity_share(rows, state, i, at)
        declared = rows.permit_present
        new_user = state["permit_trader__n"] == 0
        holders = np.where(declared, state["permit_holders__n"] + new_user, 0)
        quota = self._quota_share(rows, state)
        return {
            "permit_unknown": declared & expected & ~known & (register.size > 0),
            "permit_not_valid_on_date": not_valid,
            "permit_holder_mismatch": holder,
            "permit_hs_outside": outside,
            "permit_quantity_used_share": share,
            "permit_quantity_exceeded": share > 1.0,
            "permit_holder_count": holders.astype(np.int64),
            "permit_reused_by_holders": holders >= 2,
            "ods_quota_used_share": quota,
            "ods_quota_exceeded": quota > 1.0,
        }

    def _quantity_share(self, rows: _Rows, state: Columns, i: int, at: int) -> float:
        """`permits._quantity_share` of row `i` under register row `at`."""
        allowed = self.register.allowed[at : at + 1]
        unit = self.register.unit[at]
        in_kg = np.array([unit == "kg"])
        same_unit = np.array([rows.quantity_unit[i] == unit])
        used = np.where(
            in_kg,
            state["permit_use__net_kg"][i : i + 1] + rows.net_kg_zero[i : i + 1],
            state["permit_use_unit__quantity"][i : i + 1] + rows.quantity_zero[i : i + 1],
        )
        countable = (in_kg | same_unit) & (allowed > 0)
        return float(np.where(countable, used / np.where(allowed > 0, allowed, 1.0), 0.0)[0])

    def _quota_share(self, rows: _Rows, state: Columns) -> np.ndarray:
        """`permits._quota_share`: this year's ODS/HFC imports over the quota known before."""
        ods_import = np.array(
            [c == "ods" and f == "import" for c, f in zip(rows.category, rows.flow, strict=True)],
            dtype=bool,
        )
        if not self.register.quotas or not ods_import.any():
            return np.zeros(rows.n)
        allowed = np.zeros(rows.n)
        for i in np.flatnonzero(ods_import):
            key = (rows.destination[i], int(rows.year[i]))
            for recorded, amount in self.register.quotas.get(key, ()):
                if recorded < rows.day[i]:
                    allowed[i] += amount
        used = state["ods_imports__net_kg"] + rows.net_kg_zero
        return np.where(ods_import & (allowed > 0), used / np.where(allowed > 0, allowed, 1.0), 0.0)

    def _route(self, rows: _Rows, state: Columns) -> Columns:
        sets, hubs = tables.route_sets(), tables.all_hubs()
        cover_sets, wildlife_cover = tables.cover_route_sets(), tables.wildlife_cover_codes()
        origin, destination = rows.origin, rows.destination
        consignment = rows.consignment
        transits = [frozenset(filter(None, _text(t).split("|"))) for t in rows.transits]
        elsewhere = np.array([c != o for c, o in zip(consignment, origin, strict=True)], bool)

        def in_own(part: str, values: list[str]) -> np.ndarray:
            return np.array(
                [
                    c in _CATEGORIES and v in sets[c][part]
                    for c, v in zip(rows.category, values, strict=True)
                ],
                dtype=bool,
            )

        regime_hub = np.array(
            [
                category in _CATEGORIES
                and (
                    bool(via & sets[category]["transit"])
                    or (away and sent in sets[category]["transit"])
                )
                for category, via, away, sent in zip(
                    rows.category, transits, elsewhere, consignment, strict=True
                )
            ],
            dtype=bool,
        )
        any_hub = np.array(
            [bool(via & hubs) or (away and sent in hubs)
             for via, away, sent in zip(transits, elsewhere, consignment, strict=True)],
            dtype=bool,
        )  # fmt: skip
        cover = np.array(
            [
                code in wildlife_cover
                and o in cover_sets["origin"]
                and d in cover_sets["destination"]
                for code, o, d in zip(rows.hs6_text, origin, destination, strict=True)
            ],
            dtype=bool,
        )
        route_count, heading_count = state["route__n"], state["heading__n"]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(heading_count > 0, route_count / heading_count, np.nan)
        return {
            "origin_is_source_state": in_own("origin", origin),
            "destination_is_demand_state": in_own("destination", destination),
            "transit_country_count": np.array([len(t) for t in transits], dtype=np.int64),
            "consigned_from_third_country": elsewhere,
            "transit_via_any_hub": any_hub,
            "transit_via_regime_hub": regime_hub,
            "cover_goods_on_wildlife_route": cover,
            "destination_import_ban_in_force": self._bans(rows),
            "route_prior_declarations": route_count,
            "route_share_of_heading": share,
        }

    def _bans(self, rows: _Rows) -> np.ndarray:
        """`route.import_ban_in_force` row by row."""
        banned = np.zeros(rows.n, dtype=bool)
        for ban in self.snapshots.import_bans:
            start = pd.Timestamp(ban.start)
            end = None if ban.end is None else pd.Timestamp(ban.end)
            for i in range(rows.n):
                date = rows.date[i]
                goods = rows.subcategory[i] in ban.subcategories or bool(
                    ban.hs_prefixes and rows.hs6_text[i].startswith(ban.hs_prefixes)
                )
                active = date >= start and (end is None or date < end)
                if goods and active and rows.destination[i] in ban.destinations:
                    banned[i] = True
        return banned

    def _description(self, rows: _Rows) -> Columns:
        texts = rows.text
        out: Columns = {
            "description_length_chars": np.array([len(t) for t in texts], dtype=np.int64),
            "description_is_empty": _flags(texts, lambda t: t == ""),
        }
        for name, pattern, veto in self.keywords:
            out[name] = np.array(
                [
                    pattern.search(t) is not None and (veto is None or veto.search(t) is None)
                    for t in texts
                ],
                dtype=bool,
            )
        return out

    def _mismatch(self, rows: _Rows) -> Columns:
        model = self.snapshots.description_model
        scores = model.score_texts(rows.text_codes, rows.hs4).reshape(-1, 2)
        return {name: scores[:, i] for i, name in enumerate(MISMATCH_COLUMNS)}


@dataclass(frozen=True)
class _Rows:
    """`prepare`'s derived columns of a batch, as Python lists and numpy arrays."""

    frame: pd.DataFrame
    n: int
    date: list[pd.Timestamp]
    day: np.ndarray
    year: np.ndarray
    hs6_text: list[str]
    hs6: np.ndarray
    hs4: np.ndarray
    chapter: np.ndarray
    category: list[str]
    subcategory: list[str]
    convention: list[str]
    permit_ref: list[str]
    permit_present: np.ndarray  # a permit reference is declared
    trader: list[str]
    declarant: list[str]
    origin: list[str]
    consignment: list[str]
    destination: list[str]
    transits: list[object]
    flow: list[str]
    quantity_unit: list[str]
    text_codes: pd.Categorical
    text: list[str]
    log_uv: np.ndarray
    value: np.ndarray
    net_kg: np.ndarray
    gross_kg: np.ndarray
    containers: np.ndarray
    quantity: np.ndarray
    net_kg_zero: np.ndarray
    quantity_zero: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame, regime: dict[str, tuple[str, str, str]]) -> _Rows:
        renamed = tables.hs2017_as_hs2022()
        declared = [_text(code).strip()[:6] for code in frame["hs_code"].tolist()]
        hs6_text = [renamed.get(code, code) for code in declared]
        number = np.array(
            [int(code) if code.isascii() and code.isdigit() else -1 for code in hs6_text],
            dtype=np.int64,
        )
        valid = number >= 0
        regimes = [regime.get(code, ("none", "", "none")) for code in hs6_text]
        text = normalised_text(frame["goods_description"])
        dates = frame["declaration_date"]

        def floats(column: str, missing: float = np.nan) -> np.ndarray:
            return frame[column].to_numpy(dtype=float, na_value=missing)

        permit_ref = [_text(ref).strip() for ref in frame["permit_reference"].tolist()]
        return cls(
            frame=frame,
            n=len(frame),
            date=dates.tolist(),
            day=day_numbers(dates),
            year=dates.dt.year.to_numpy(dtype=np.int64),
            hs6_text=hs6_text,
            hs6=number,
            hs4=np.where(valid, number // 100, -1),
            chapter=np.where(valid, number // 10_000, -1),
            category=[r[0] for r in regimes],
            subcategory=[r[1] for r in regimes],
            convention=[r[2] for r in regimes],
            permit_ref=permit_ref,
            permit_present=_flags(permit_ref, lambda ref: ref != ""),
            trader=frame["trader_id"].astype("str").tolist(),
            declarant=frame["declarant_id"].astype("str").tolist(),
            origin=frame["origin_country"].tolist(),
            consignment=frame["consignment_country"].tolist(),
            destination=frame["destination_country"].tolist(),
            transits=frame["transit_countries"].tolist(),
            flow=frame["flow"].tolist(),
            quantity_unit=frame["quantity_unit"].astype("str").tolist(),
            text_codes=text,
            text=[str(t) for t in np.asarray(text, dtype=object)],
            log_uv=log_unit_value(frame),
            value=floats("customs_value_usd"),
            net_kg=floats("net_weight_kg"),
            gross_kg=floats("gross_weight_kg"),
            containers=floats("container_count"),
            quantity=floats("quantity"),
            net_kg_zero=floats("net_weight_kg", 0.0),
            quantity_zero=floats("quantity", 0.0),
        )

    def keys(self) -> dict[str, Sequence[object]]:
        """The values of every state key column (`history.key_columns`)."""
        values: dict[str, Sequence[object]] = {
            "trader_id": self.trader,
            "declarant_id": self.declarant,
            "hs6": self.hs6.tolist(),
            "hs4": self.hs4.tolist(),
            "chapter": self.chapter.tolist(),
            "origin_country": self.origin,
            "destination_country": self.destination,
            "flow": self.flow,
            "permit_ref": self.permit_ref,
            "quantity_unit": self.quantity_unit,
            "year": self.year.tolist(),
        }
        return {key: values[key] for key in key_columns()}


def _value(rows: _Rows, state: Columns) -> Columns:
    """`value.value_features` on arrays (same operations, same order)."""
    mean = np.full(rows.n, np.nan)
    std = np.full(rows.n, np.nan)
    count = np.zeros(rows.n, dtype=np.int64)
    for level in reversed(_LEVELS):
        n = state[f"{level}__n"]
        usable = n >= MIN_REFERENCE_COUNT
        safe_n = np.maximum(n, 1)
        level_mean = state[f"{level}__sum"] / safe_n
        spread = state[f"{level}__sumsq"] - safe_n * level_mean**2
        level_std = np.sqrt(np.clip(spread, 0.0, None) / np.maximum(n - 1, 1))
        mean = np.where(usable, level_mean, mean)
        std = np.where(usable, level_std, std)
        count = np.where(usable, n, count)
    std = np.maximum(std, MIN_LOG_STD)
    weight = np.clip(rows.net_kg, MIN_WEIGHT_KG, None)
    gross, net, containers, value = rows.gross_kg, rows.net_kg, rows.containers, rows.value
    with np.errstate(divide="ignore", invalid="ignore"):
        per_container = np.where(containers > 0, gross / containers, np.nan)
        net_to_gross = np.where(gross > 0, net / gross, np.nan)
    caps = [tables.PERSONAL_EFFECTS_CAPS.get(code, (np.nan, None)) for code in rows.hs6_text]
    counted = _flags(rows.quantity_unit, lambda unit: unit in ("u", "pair"))
    by_kg = np.array([measure == "kg" for _, measure in caps], dtype=bool)
    amount = np.where(by_kg, net, np.where(counted, rows.quantity, np.nan))
    ratio = amount / np.array([cap for cap, _ in caps], dtype=float)
    present = rows.permit_present
    return {
        "unit_value_usd_per_kg": value / weight,
        "unit_value_ratio_to_reference": np.exp(rows.log_uv - mean),
        "unit_value_log_zscore": (rows.log_uv - mean) / std,
        "unit_value_reference_count": count,
        "gross_weight_per_container_kg": per_container,
        "container_payload_ratio": per_container / tables.container_payload_kg(),
        "net_to_gross_weight_ratio": net_to_gross,
        "customs_value_is_round": (value >= 1000) & (np.fmod(value, 1000) == 0),
        "net_weight_is_round": (net >= 100) & (np.fmod(net, 100) == 0),
        "personal_effects_cap_ratio": ratio,
        "personal_effects_cap_exceeded_without_permit": (ratio > 1) & ~present,
    }


def _age_days(day: np.ndarray, first_day: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(first_day), 0, day - np.nan_to_num(first_day)).astype(np.int64)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, part / np.maximum(whole, 1), np.nan)


def _party(rows: _Rows, state: Columns) -> Columns:
    """`party.party_features` on arrays."""
    trader = state["trader__n"]
    inspections = state["trader_inspections__n"]
    violations = state["trader_inspections__violations"]
    return {
        "trader_is_new": trader == 0,
        "trader_age_days": _age_days(rows.day, state["trader__first_day"]),
        "trader_prior_declarations": trader,
        "trader_prior_inspections": inspections,
        "trader_prior_violations": violations,
        "trader_prior_hit_rate": _share(violations, inspections),
        "trader_heading_share": _share(state["trader_heading__n"], trader),
        "trader_first_in_chapter": (trader > 0) & (state["trader_chapter__n"] == 0),
        "trader_prior_declarants": state["trader_declarants__n"],
        "declarant_age_days": _age_days(rows.day, state["declarant__first_day"]),
        "declarant_prior_declarations": state["declarant__n"],
        "declarant_prior_inspections": state["declarant_inspections__n"],
        "declarant_prior_violations": state["declarant_inspections__violations"],
    }


def _outcomes(state: Columns) -> Columns:
    """`outcomes.outcome_features` on arrays."""

    def rate(name: str, parent: np.ndarray) -> np.ndarray:
        return shrunk_rate(
            state[f"{name}__violations"].astype(float), state[f"{name}__n"].astype(float), parent
        )

    flow = (state["flow_inspections__violations"].astype(float) + ROOT_VIOLATIONS) / (
        state["flow_inspections__n"].astype(float) + ROOT_INSPECTIONS
    )
    hs6 = rate("hs6_inspections", rate("heading_inspections", flow))
    origin = rate("origin_chapter_inspections", hs6)
    return {
        "hs6_prior_violation_rate": hs6,
        "origin_chapter_prior_violation_rate": origin,
        "route_prior_violation_rate": rate("route_inspections", origin),
    }


def _size(rows: _Rows) -> Columns:
    return {"declared_value_usd": rows.value, "declared_net_weight_kg": rows.net_kg}
