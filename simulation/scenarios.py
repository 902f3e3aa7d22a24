"""Named scenarios for trainers: each plants one modus operandi with known parameters.

A scenario's shipments are filed by one network of front companies inside a known window, on a
known route, under known codes, at a known price; `truth.modus_operandi` carries the scenario's
name so an answer key can find every planted shipment.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.geography import AIR, SEA
from simulation.tactics import Tactic


@dataclass(frozen=True)
class Scenario:
    """A planted modus operandi: the tactic, how many shipments, when (fractions of the period)."""

    name: str
    description: str
    tactic: Tactic
    per_100k: float
    minimum: int
    window: tuple[float, float]
    after_ban: bool = False

    def count(self, declarations: int) -> int:
        """Number of planted shipments for a world of this size."""
        return max(self.minimum, round(self.per_100k * declarations / 100_000))


def _planted(name: str, category: str, **fields: object) -> Tactic:
    return Tactic(name=name, category=category, weight=1.0, network=True, **fields)  # type: ignore[arg-type]


SCENARIOS: dict[str, Scenario] = {
    "ods-label-swap": Scenario(
        "ods-label-swap",
        "HCFC-22 (R-22) shipped from China via Jebel Ali in cylinders labelled R-134a and "
        "declared under 2903.45 at about 45% of the R-134a price, by new front companies "
        "quoting reused or no ODS licences.",
        _planted(
            "ods-label-swap",
            "ods",
            declared=(("290345", 1.0),),
            actual="HCFC-22 (R-22) in cylinders labelled R-134a",
            origins=("CN",),
            transit=("AE",),
            consigned_via_hub=1.0,
            modes=((SEA, 1.0),),
            value_mult=0.45,
            value_sigma=0.15,
            plausible_value=0.0,
            p_missing=0.3,
            p_reused=0.5,
            p_fake=0.2,
            vague=0.2,
            detect=0.85,
        ),
        per_100k=25,
        minimum=40,
        window=(0.55, 0.8),
    ),
    "ewaste-as-used-goods": Scenario(
        "ewaste-as-used-goods",
        "Non-functional computers, monitors and TVs from the United Kingdom declared as "
        "second-hand goods (8471.30, 8528.52, 8528.72) at a few per cent of the new-goods "
        "price, often described as used household goods.",
        _planted(
            "ewaste-as-used-goods",
            "waste",
            declared=(("847130", 0.4), ("852852", 0.3), ("852872", 0.3)),
            actual="e-waste (non-functional EEE) declared as used goods",
            origins=("GB",),
            modes=((SEA, 1.0),),
            value_mult=0.05,
            value_sigma=0.3,
            plausible_value=0.0,
            p_missing=1.0,
            p_reused=0.0,
            p_fake=0.0,
            vague=0.6,
            cover_texts=("USED HOUSEHOLD GOODS", "used electronics", "SECOND HAND ITEMS"),
        ),
        per_100k=25,
        minimum=40,
        window=(0.3, 0.6),
    ),
    "plastic-rerouting-after-ban": Scenario(
        "plastic-rerouting-after-ban",
        "After the import ban, mixed plastic scrap from the United States is routed via Hong "
        "Kong and declared as polyethylene resin (3901.10, 3901.20) at about 30% of the resin "
        "price.",
        _planted(
            "plastic-rerouting-after-ban",
            "waste",
            declared=(("390110", 0.6), ("390120", 0.4)),
            actual="mixed plastic scrap declared as virgin polyethylene",
            origins=("US",),
            transit=("HK",),
            consigned_via_hub=1.0,
            modes=((SEA, 1.0),),
            value_mult=0.3,
            value_sigma=0.2,
            plausible_value=0.0,
            p_missing=1.0,
            p_reused=0.0,
            p_fake=0.0,
            vague=0.4,
            cover_texts=("PLASTIC RAW MATERIAL", "PE granules recycled grade"),
        ),
        per_100k=30,
        minimum=40,
        window=(0.0, 0.25),
        after_ban=True,
    ),
    "ivory-in-cover-goods": Scenario(
        "ivory-in-cover-goods",
        "Raw ivory from Uganda shipped via Mombasa (consigned from Kenya) inside sacks of "
        "sesame seed (1207.40), declared at the sesame price; containers are heavier than "
        "sesame loads usually are.",
        _planted(
            "ivory-in-cover-goods",
            "wildlife",
            declared=(("120740", 1.0),),
            actual="raw ivory hidden in sesame sacks",
            origins=("UG",),
            transit=("KE",),
            consigned_via_hub=1.0,
            modes=((SEA, 1.0),),
            plausible_value=1.0,
            load_mult=1.2,
            load_share=0.7,
            p_missing=1.0,
            p_reused=0.0,
            p_fake=0.0,
            detect=0.7,
        ),
        per_100k=15,
        minimum=30,
        window=(0.4, 0.7),
    ),
    "rosewood-generic-timber": Scenario(
        "rosewood-generic-timber",
        "Madagascar rosewood passing the home country to China declared as generic sawn "
        "hardwood (4407.99); the wood is far denser than the declared timber, so kg per m3 "
        "is high, and CITES permits are missing or fake.",
        _planted(
            "rosewood-generic-timber",
            "wildlife",
            declared=(("440799", 1.0),),
            actual="Dalbergia rosewood under a generic sawn-timber code",
            origins=("MG",),
            flows=(0.0, 0.0, 1.0),
            destinations=("CN",),
            modes=((SEA, 0.9), (AIR, 0.1)),
            value_mult=1.0,
            plausible_value=1.0,
            unit_mass_mult=1.5,
            unit_mass_share=0.8,
            p_missing=0.7,
            p_reused=0.0,
            p_fake=0.3,
            vague=0.3,
            cover_texts=("SAWN HARDWOOD", "redwood timber"),
        ),
        per_100k=15,
        minimum=30,
        window=(0.2, 0.5),
    ),
}
