"""Tables of the quality benchmark: catches, ratios, ranking metrics, profiles, weights."""

from __future__ import annotations

import numpy as np
import pandas as pd

GROUPS = ("overall", "waste", "ods", "wildlife")
ORDER = ("model", "selection", "profiles", "profile_rank", "legacy", "random", "logistic")
BUDGETS = (0.01, 0.02, 0.05, 0.10)


def print_table(title: str, frame: pd.DataFrame) -> None:
    """A titled plain-text table."""
    print(f"\n-- {title}")
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(frame.to_string())


def caught_table(chosen: dict[str, np.ndarray], labels: pd.DataFrame) -> pd.DataFrame:
    """Per strategy: rows selected, truly illicit caught per group, and precision."""
    rows = {}
    for name in [n for n in ORDER if n in chosen]:
        mask = chosen[name]
        counts = {group: int(labels[group].to_numpy()[mask].sum()) for group in GROUPS}
        rows[name] = {"selected": int(mask.sum()), **counts}
    table = pd.DataFrame(rows).T
    table["precision"] = (table["overall"] / table["selected"].clip(lower=1)).round(4)
    return table


def ratio_table(caught: pd.DataFrame, targets: dict[str, float]) -> pd.DataFrame:
    """Catches of the model and of the full procedure over each baseline, with the targets."""
    rows = {}
    for name in ("model", "selection"):
        for base in (*targets, "profile_rank", "logistic"):
            ratio = caught.loc[name, list(GROUPS)] / caught.loc[base, list(GROUPS)].clip(lower=1)
            rows[f"{name}/{base}"] = {**ratio.astype(float), "target": targets.get(base, np.nan)}
    return pd.DataFrame(rows).T.round(2)


def ranking_table(scores: dict[str, pd.DataFrame], labels: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall at each budget and PR-AUC over the whole test period."""
    from models.evaluation import ranking_metrics

    rows = {}
    for name, frame in scores.items():
        for group in GROUPS:
            column = "risk_score" if group == "overall" else f"p_{group}"
            metrics = ranking_metrics(
                frame[column].to_numpy(), labels[group].to_numpy(), budgets=BUDGETS
            )
            row: dict[str, float] = {}
            for budget, at in metrics["at_budget"].items():  # type: ignore[union-attr]
                row[f"p@{budget}"] = at["precision"]
                row[f"r@{budget}"] = at["recall"]
            rows[(name, group)] = {**row, "pr_auc": metrics["pr_auc"]}
    return pd.DataFrame(rows).T


def profile_evidence(
    features: pd.DataFrame,
    inspections: pd.DataFrame,
    labels: pd.DataFrame,
    profiles,
    *,
    cut: pd.Timestamp,
) -> pd.DataFrame:
    """Per profile: test fire share, hit rate among results known before the cut, truth."""
    from models.rules import fire

    fired = fire(features, profiles)
    test = (features["declaration_date"] >= cut).to_numpy()
    known = inspections[inspections["inspection_date"] < cut].set_index("declaration_id")
    result = known.reindex(features["declaration_id"])
    labelled = result["outcome"].notna().to_numpy() & ~test
    violation = result["outcome"].astype("str").eq("violation").to_numpy()
    category = result["violation_category"].astype("str").to_numpy()
    rows = {}
    for profile in profiles.profiles:
        hit = fired[profile.id].to_numpy()
        in_test = hit[test]
        inspected = hit & labelled
        found = inspected & violation & (category == profile.category)
        truth = labels[profile.category].to_numpy()
        rows[profile.id] = {
            "lane": profile.lane,
            "fires_test": int(in_test.sum()),
            "fire_share_%": round(100 * in_test.mean(), 3),
            "inspected_before": int(inspected.sum()),
            "hits_before": int(found.sum()),
            "hit_rate_before": round(found.sum() / max(inspected.sum(), 1), 3),
            "truth_precision_test": round(truth[in_test].mean(), 3) if in_test.any() else 0.0,
            "truth_caught_test": int(truth[in_test].sum()),
        }
    return pd.DataFrame(rows).T


def ipw_table(features: pd.DataFrame, world, config) -> pd.DataFrame:
    """Raw inverse-propensity weights (1 / capped propensity) per selection reason."""
    from models.training import training_rows

    rows = training_rows(features, world.inspections, config=config)
    ids = rows.features["declaration_id"]
    found = world.inspections.set_index("declaration_id").reindex(ids)
    propensity = found["selection_propensity"].to_numpy(dtype=float)
    raw = 1.0 / np.clip(propensity, 1.0 / config.max_weight, None)
    frame = pd.DataFrame(
        {
            "reason": found["selection_reason"].astype("str").to_numpy(),
            "w": raw,
            "capped": propensity < 1.0 / config.max_weight - 1e-12,
        }
    )
    table = frame.groupby("reason")["w"].agg(["size", "median", "min", "max"])
    table["capped_share"] = frame.groupby("reason")["capped"].mean()
    table["share_of_weight"] = frame.groupby("reason")["w"].sum() / raw.sum()
    ess = rows.weights.sum() ** 2 / (rows.weights**2).sum()
    table.loc["all (effective sample size)"] = [len(raw), ess, np.nan, np.nan, np.nan, 1.0]
    return table.round(3)


def importance_table(model, *, top: int) -> pd.DataFrame:
    """The `top` features of each category's booster by share of total gain."""
    columns = {}
    for name, category in model.models.items():
        if category.booster is None:
            continue
        gain = pd.Series(category.booster.feature_importance("gain"), index=model.feature_names)
        share = (gain / max(gain.sum(), 1e-12)).sort_values(ascending=False).head(top)
        columns[name] = [f"{feature} ({value:.2f})" for feature, value in share.items()]
    return pd.DataFrame(columns, index=range(1, top + 1))
