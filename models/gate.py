"""The promotion gate: a model becomes champion only if it learnt something and is not worse.

Every candidate is scored on the same holdout. `full_gate` refuses a model (the first one too)
that answers a category with a constant base rate although the training rows hold positives of
it (`constant_gate`), or that does not rank better than the best of the logistic and quick
six-feature baselines (`baseline_gate`), or that is worse than the champion (`promotion_gate`:
overall recall at the inspection budget not below the champion's within a small tolerance, and
no category clearly worse). The verdict keeps every number it used, so a human can read it and,
with a written reason, override it (`forced`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from data_contracts.schemas import RISK_CATEGORIES
from models.risk_model import RiskModel

#: The baselines a model must beat, by their candidate names in the holdout metrics.
BASELINES = ("logistic", "quick_lightgbm")


class GateConfig(BaseModel):
    """Which metric decides and how much worse counts as worse."""

    model_config = ConfigDict(frozen=True)

    budget: str = "5%"
    metric: str = "recall"
    overall_tolerance: float = 0.01
    category_tolerance: float = 0.05
    # Against the baselines the model must be above the best of them on the gate's metric or on
    # PR-AUC (overall), and on neither below it by more than the holdout's noise: this, or one
    # binomial standard error of the best baseline's value over the holdout's positives if
    # larger (a few dozen positives move recall at 5% by several points); a tie on both, all
    # zeros included, is "not better".
    baseline_tolerance: float = 0.01
    baselines: tuple[str, ...] = BASELINES


@dataclass(frozen=True)
class GateDecision:
    """The verdict and the numbers behind it."""

    passed: bool
    reasons: list[str]
    table: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Why a person promoted the model despite the verdict ("" when not forced).
    forced: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reasons": self.reasons,
            "table": self.table,
            "forced": self.forced,
        }

    @property
    def allows_promotion(self) -> bool:
        """Passed, or forced by a person with a reason."""
        return self.passed or bool(self.forced)


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


def should_promote(gate: GateDecision, *, asked: bool) -> bool:
    """Whether a new model becomes champion: only when asked, and then when it passed the gate
    or a person forced it with a reason (the first model is held to the gate too)."""
    return asked and gate.allows_promotion


def constant_targets(model: RiskModel, labels: pd.DataFrame) -> dict[str, int]:
    """Targets the model answers with a base rate (no booster) although `labels`, the training
    rows' labels, hold positives of them: target -> number of positives."""
    constant = {}
    for name, category in model.models.items():
        positives = int(labels[name].sum()) if name in labels else 0
        if category.booster is None and positives > 0:
            constant[name] = positives
    return constant


def constant_gate(constant: dict[str, int]) -> GateDecision:
    """Refuse a model with a constant target that had positives to learn from."""
    table = {
        f"{name}: constant (base rate)": {"training_positives": float(count)}
        for name, count in constant.items()
    }
    reasons = [
        f"{name}: no booster, a constant base rate, although the training rows hold {count:,}"
        " positives (too few to fit and stop a booster: see min_positives)"
        for name, count in constant.items()
    ]
    return GateDecision(not constant, reasons, table)


def _overall(metrics: dict[str, Any], key: str, config: GateConfig) -> float:
    if key == "pr_auc":
        return float(metrics["overall"]["pr_auc"])
    return _metric(metrics, "overall", config)


def baseline_gate(
    model: dict[str, Any], baselines: dict[str, dict[str, Any]], *, config: GateConfig
) -> GateDecision:
    """Whether the model ranks better than the best baseline on the holdout (overall).

    `model` and `baselines` are holdout metrics as from `evaluate_scores`. Better: above the best
    baseline on the gate's metric or on PR-AUC, and below it on neither by more than the noise
    (`baseline_tolerance`, or one standard error sqrt(v(1-v)/positives) of the best value v).
    """
    positives = int(model["overall"]["positives"])
    named = {name: baselines[name] for name in config.baselines if name in baselines}
    if not named:
        return GateDecision(False, ["no baseline was evaluated: nothing shows the model learnt"])
    labels = {"metric": f"{config.metric} at {config.budget}", "pr_auc": "PR-AUC"}
    table, above, reasons = {}, [], []
    below = False
    for key, label in labels.items():
        score = _overall(model, key, config)
        others = {name: _overall(metrics, key, config) for name, metrics in named.items()}
        best_name = max(others, key=lambda name: others[name])
        best = others[best_name]
        table[f"overall {label} vs baselines"] = {
            "model": score,
            **others,
            "best_baseline": best,
            "difference": round(score - best, 4),
        }
        if score > best:
            above.append(f"{label} {score:.3f} > {best:.3f} ({best_name})")
        noise = (best * (1 - best) / positives) ** 0.5 if positives else 0.0
        tolerance = max(config.baseline_tolerance, noise)
        table[f"overall {label} vs baselines"]["tolerance"] = round(tolerance, 4)
        if score < best - tolerance:
            below = True
            reasons.append(
                f"overall {label} {score:.3f} is below the {best_name} baseline's {best:.3f}"
                f" (tolerance {tolerance:.3f} over {positives} holdout positives)"
            )
    if positives == 0:
        return GateDecision(
            False,
            ["the holdout holds no violation of the model's targets: nothing shows the model"
             " ranks better than the baselines"],
            table,
        )  # fmt: skip
    if not above:
        reasons.append(
            "not better than the baselines: overall "
            + ", ".join(
                f"{label} {row['model']:.3f} vs best {row['best_baseline']:.3f}"
                for label, row in zip(labels.values(), table.values(), strict=True)
            )
        )
    passed = bool(above) and not below
    if passed:
        reasons.append("better than the baselines: " + "; ".join(above))
    return GateDecision(passed, reasons, table)


def combine(*decisions: GateDecision) -> GateDecision:
    """All of the decisions: passed when every one passed; reasons and tables together."""
    table: dict[str, dict[str, float]] = {}
    for decision in decisions:
        table.update(decision.table)
    return GateDecision(
        all(decision.passed for decision in decisions),
        [reason for decision in decisions for reason in decision.reasons],
        table,
    )


def full_gate(
    metrics: dict[str, dict[str, Any]], *, constant: dict[str, int], config: GateConfig
) -> GateDecision:
    """The whole gate on holdout metrics of every candidate (`model`, the baselines and, when
    there is one, `champion`): no constant target with positives, better than the baselines,
    not worse than the champion. The first model is held to the first two."""
    champion = metrics.get("champion")
    versus_champion = (
        promotion_gate(metrics["model"], champion, config=config)
        if champion is not None
        else GateDecision(True, ["no champion yet: judged against the baselines only"])
    )
    return combine(
        constant_gate(constant),
        baseline_gate(metrics["model"], metrics, config=config),
        versus_champion,
    )


def forced(decision: GateDecision, reason: str) -> GateDecision:
    """The decision overridden by a person: it keeps its verdict, numbers and reasons, and
    records why the model is promoted anyway."""
    why = " ".join(reason.split())
    if not why:
        raise ValueError("a forced promotion needs a reason")
    verdict = "passed" if decision.passed else "failed"
    return GateDecision(
        decision.passed,
        [*decision.reasons, f"promotion forced (gate {verdict}): {why}"],
        decision.table,
        forced=why,
    )
