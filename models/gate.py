"""The promotion gate: a challenger replaces the champion only if it is not worse.

Both models are scored on the same holdout. The challenger passes when its overall recall at
the inspection budget is not below the champion's (within a small tolerance) and no category is
clearly worse. The verdict keeps every number it used, so a human can read and override it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from data_contracts.schemas import RISK_CATEGORIES


class GateConfig(BaseModel):
    """Which metric decides and how much worse counts as worse."""

    model_config = ConfigDict(frozen=True)

    budget: str = "5%"
    metric: str = "recall"
    overall_tolerance: float = 0.01
    category_tolerance: float = 0.05


@dataclass(frozen=True)
class GateDecision:
    """The verdict and the numbers behind it."""

    passed: bool
    reasons: list[str]
    table: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "reasons": self.reasons, "table": self.table}


def _metric(metrics: dict[str, Any], group: str, config: GateConfig) -> float:
    return float(metrics[group]["at_budget"][config.budget][config.metric])


def promotion_gate(
    challenger: dict[str, Any], champion: dict[str, Any] | None, *, config: GateConfig
) -> GateDecision:
    """Compare holdout metrics (as from `evaluate_scores`) of challenger and champion."""
    if champion is None:
        return GateDecision(True, ["no champion yet: the first model passes"])
    reasons = []
    table = {}
    passed = True
    for group in ("overall", *RISK_CATEGORIES):
        new, old = _metric(challenger, group, config), _metric(champion, group, config)
        table[group] = {"challenger": new, "champion": old, "difference": round(new - old, 4)}
        tolerance = config.overall_tolerance if group == "overall" else config.category_tolerance
        if new < old - tolerance:
            passed = False
            reasons.append(
                f"{group}: {config.metric} at {config.budget} fell from {old:.3f} to {new:.3f}"
                f" (tolerance {tolerance:.2f})"
            )
    if passed:
        reasons.append(
            f"not worse overall nor by more than {config.category_tolerance:.2f} in any category"
            f" ({config.metric} at {config.budget})"
        )
    return GateDecision(passed, reasons, table)


def should_promote(gate: GateDecision, *, asked: bool, has_champion: bool) -> bool:
    """Whether a new model becomes champion: only when asked, and then when it passed the gate
    or there is no champion to keep."""
    return asked and (gate.passed or not has_champion)
