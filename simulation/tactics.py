"""What a modus operandi is: which indicators it moves, and by how much.

Each tactic names the codes it hides behind, its routes and the indicators it shifts. A tactic
moves *some* indicators for *some* of its shipments: a share of smugglers declare a market-like
value anyway, use an established company, carry a (reused, forged, expired or over-used)
permit or a plain description.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation import geography as geo


@dataclass(frozen=True)
class Tactic:
    """One modus operandi with its parameters (shares are per shipment of the tactic)."""

    name: str
    category: str
    weight: float
    declared: tuple[tuple[str, float], ...]
    actual: str
    origins: tuple[str, ...]
    transit: tuple[str, ...] = ("",)
    consigned_via_hub: float = 0.3
    flows: tuple[float, float, float] = (1.0, 0.0, 0.0)
    destinations: tuple[str, ...] = ()
    modes: tuple[tuple[int, float], ...] = ((geo.SEA, 1.0),)
    value_mult: float = 1.0
    value_sigma: float = 0.35
    plausible_value: float = 0.4
    plausible_mult: float = 1.0
    load_mult: float = 1.0
    load_share: float = 0.0
    unit_mass_mult: float = 1.0
    unit_mass_share: float = 0.0
    cap_kg: float = 0.0
    split_share: float = 0.0
    p_missing: float = 0.3
    p_reused: float = 0.2
    p_fake: float = 0.1
    p_expired: float = 0.08
    p_over: float = 0.1
    vague: float = 0.25
    cover_texts: tuple[str, ...] = ()
    detect: float = 1.0
    event: str = ""
    network: bool = True
    surge_after_ban: float = 1.0

    @property
    def declared_codes(self) -> tuple[str, ...]:
        """The HS6 codes the tactic declares."""
        return tuple(code for code, _ in self.declared)

    def params(self) -> dict[str, object]:
        """JSON-ready description for world summaries and answer keys."""
        return {
            "name": self.name,
            "category": self.category,
            "declared_hs6": list(self.declared_codes),
            "actual": self.actual,
            "origins": list(self.origins),
            "transit": [t for t in self.transit if t],
            "destinations": list(self.destinations),
            "value_vs_reference": self.value_mult,
            "plausible_value_share": self.plausible_value,
            "event": self.event,
        }


def by_name(tactics: tuple[Tactic, ...]) -> dict[str, Tactic]:
    """Tactics keyed by name."""
    return {tactic.name: tactic for tactic in tactics}
