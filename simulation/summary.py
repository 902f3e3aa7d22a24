"""The JSON-ready summary of a world: configuration, rates, inspections, drift and scenario."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.config import CATEGORIES
from simulation.scenarios import SCENARIOS

if TYPE_CHECKING:
    from simulation.world import World

_ENV = list(CATEGORIES)


def _r(value: float) -> float:
    return round(float(value), 6)


def _rate(mask: pd.Series) -> float | None:
    return _r(mask.mean()) if len(mask) else None


def _illicit(world: World) -> dict[str, Any]:
    truth = world.truth
    counts = truth.loc[truth["is_illicit"], "modus_operandi"].value_counts().sort_index()
    return {
        "illicit_share": _r(truth["is_illicit"].mean()),
        "illicit_share_by_category": {c: _r((truth["category"] == c).mean()) for c in _ENV},
        "illicit_by_modus_operandi": {
            str(name): {"count": int(n), "share": _r(n / len(truth))} for name, n in counts.items()
        },
    }


def _inspections(world: World) -> dict[str, Any]:
    ins = world.inspections
    env = ins["violation_category"].isin(_ENV)
    reason = ins["selection_reason"]
    truth = world.truth.set_index("declaration_id").loc[ins["declaration_id"]]
    illicit = truth["is_illicit"].to_numpy()
    total_illicit = int(world.truth["is_illicit"].sum())
    return {
        "inspections": len(ins),
        "inspected_share": _r(len(ins) / len(world.declarations)),
        "by_reason": {str(k): int(v) for k, v in reason.value_counts().sort_index().items()},
        "hit_rate_legacy": _rate(env),
        "hit_rate_any_violation": _rate(ins["outcome"] == "violation"),
        "hit_rate_by_reason": {str(k): _rate(env[reason == k]) for k in sorted(reason.unique())},
        "random_stream_hit_rate": _rate(env[reason == "random"]),
        "random_stream_true_illicit_share": _rate(
            pd.Series(illicit[(reason == "random").to_numpy()])
        ),
        "other_violations": int((ins["violation_category"] == "other").sum()),
        "detection": {
            "illicit_inspected": int(illicit.sum()),
            "illicit_detected": int((env.to_numpy() & illicit).sum()),
            "detection_rate": _r((env.to_numpy() & illicit).sum() / max(illicit.sum(), 1)),
            "share_of_illicit_caught": _r((env.to_numpy() & illicit).sum() / max(total_illicit, 1)),
        },
        "rule_hits": world.facts.get("rules", {}),
    }


def _traders(world: World) -> dict[str, Any]:
    per_trader = world.declarations["trader_id"].value_counts()
    top = max(1, len(per_trader) // 100)
    kinds = world.facts["traders"]["kind"].to_numpy()
    return {
        "traders": len(per_trader),
        "declarants": int(world.declarations["declarant_id"].nunique()),
        "top_1pct_trader_share": _r(per_trader.iloc[:top].sum() / len(world.declarations)),
        "median_declarations_per_trader": _r(per_trader.median()),
        "front_companies": int((kinds == 1).sum()),
        "newcomer_smugglers": int((kinds == 2).sum()),
        "networks": len(world.facts["networks"]),
    }


def _drift(world: World) -> list[dict[str, Any]]:
    out = []
    d, truth = world.declarations, world.truth
    for event in world.config.events():
        item: dict[str, Any] = event.model_dump(mode="json")
        when = np.datetime64(event.date, "us")
        after = (d["declaration_date"] >= when).to_numpy()
        if event.kind == "import_ban":
            plastic = (
                d["hs_code"].str.startswith("3915").to_numpy() & (d["flow"] != "import").to_numpy()
            )
            to_banned = (d["destination_country"] == event.country).to_numpy()
            item["plastic_outbound_to_banned_before"] = _rate(
                pd.Series(to_banned[plastic & ~after])
            )
            item["plastic_outbound_to_banned_after"] = _rate(pd.Series(to_banned[plastic & after]))
        if event.kind == "new_tactic":
            rows = (truth["modus_operandi"] == event.tactic).to_numpy()
            item["shipments_before"] = int((rows & ~after).sum())
            item["shipments_after"] = int((rows & after).sum())
        out.append(item)
    out.append(
        {
            "name": "network-shifts-after-seizure",
            "kind": "network_shift",
            "shifts": world.facts.get("shifts", []),
        }
    )
    return out


def _scenario(world: World) -> dict[str, Any] | None:
    name = world.config.scenario
    if name is None:
        return None
    scenario = SCENARIOS[name]
    planted = world.truth["modus_operandi"] == name
    d = world.declarations[planted.to_numpy()]
    unit_value = d["customs_value_usd"] / d["net_weight_kg"]
    return {
        "name": name,
        "description": scenario.description,
        "tactic": scenario.tactic.params(),
        **world.facts.get("scenario", {}),
        "planted": int(planted.sum()),
        "traders": sorted(d["trader_id"].unique().tolist()),
        "median_declared_usd_per_kg": _r(unit_value.median()) if len(d) else None,
    }


def _permits(world: World) -> dict[str, Any]:
    """The register's size by kind and the illicit declarations by permit abuse."""
    kinds = world.permits["kind"].value_counts().sort_index() if len(world.permits) else {}
    abuse = world.truth.get("permit_abuse", pd.Series(dtype="str"))
    abused = abuse[abuse != ""].value_counts().sort_index()
    return {
        "permits": len(world.permits),
        "permits_by_kind": {str(k): int(v) for k, v in dict(kinds).items()},
        "illicit_by_permit_abuse": {str(k): int(v) for k, v in abused.items()},
    }


def summarise(world: World) -> dict[str, Any]:
    """Everything `world.json` records about a world."""
    return {
        "config": world.config.model_dump(mode="json"),
        "period": {"start": str(world.config.start), "end": str(world.config.end)},
        "reporting_country": world.config.reporting_country,
        "rows": len(world.declarations),
        **_illicit(world),
        **_inspections(world),
        "population": _traders(world),
        "permit_register": _permits(world),
        "drift_events": _drift(world),
        "scenario": _scenario(world),
        "modus_operandi": [t.params() for t in world.facts.get("tactics", ())],
    }
