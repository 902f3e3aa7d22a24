"""The service decides as batch scoring does: same features, same risks, same lanes at the same
thresholds, and every decision in the warehouse's decision record under the id it returned."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from data_contracts.privacy import pseudonymise
from tests.service.conftest import HEADERS, PSEUDONYM_KEY, Service, ServiceWorld, records


def _first_days(world: ServiceWorld, rows: int) -> pd.DataFrame:
    """Declarations of the first days after the history, as received (ids in clear)."""
    return world.later.sort_values(["declaration_date", "declaration_id"]).head(rows)


def _batch_features(service: Service, batch: pd.DataFrame) -> pd.DataFrame:
    from pipelines.steps.scoring import build_batch_features

    with service.app.state.recorder.warehouse_lock:  # one open warehouse per process
        return build_batch_features(service.settings.warehouse, batch)


def test_fast_features_equal_the_batch_features(
    service: Service, service_world: ServiceWorld
) -> None:
    batch = pseudonymise(_first_days(service_world, 400), PSEUDONYM_KEY.encode())
    scorer = service.app.state.live.current
    assert batch["declaration_date"].min() == scorer.state.as_of  # the batch's own snapshot day
    pd.testing.assert_frame_equal(scorer.features(batch), _batch_features(service, batch))


def test_same_risks_and_lanes_as_batch_at_the_same_thresholds(
    service: Service, service_world: ServiceWorld
) -> None:
    from features import describe
    from models.scoring import FLAGGED_LANES, explain_flagged, predict_and_flag
    from pipelines.service.selection import Thresholds, lanes_at
    from pipelines.steps.scoring import score_features, scoring_inputs

    received = _first_days(service_world, 150)
    response = service.client.post("/v1/score", json=records(received), headers=HEADERS)
    assert response.status_code == 200, response.text
    online = pd.DataFrame(response.json()["results"])
    scorer = service.app.state.live.current
    batch = pseudonymise(received, PSEUDONYM_KEY.encode())
    features = _batch_features(service, batch)
    inputs = scoring_inputs(scorer.champion, scorer.selector.config, None, scorer.profiles)
    batch_scores = score_features(features, batch, inputs)
    for column in ("risk_score", "p_waste", "p_ods", "p_wildlife"):
        np.testing.assert_allclose(online[column], batch_scores[column], rtol=0, atol=1e-9)
    fired = (
        batch_scores["rules_fired"].fillna("").str.split("|").map(lambda ids: [i for i in ids if i])
    )
    assert online["rules_fired"].tolist() == fired.tolist()
    # Each row's lanes at the thresholds the service used for it (one pseudo-office per row).
    model, profiles = scorer.champion.model, scorer.profiles.selecting
    probabilities, pool, fired = predict_and_flag(features, model, profiles)
    pool = pool.assign(customs_office=[str(i) for i in range(len(pool))])
    thresholds = {
        str(i): Thresholds(
            str(i),
            0.0,
            np.inf if row.threshold_model is None else row.threshold_model,
            np.inf if row.threshold_yellow is None else row.threshold_yellow,
            row.selection_propensity if row.selection_reason in ("", "random") else 0.0,
        )
        for i, row in enumerate(online.itertuples())
    }
    at_thresholds = lanes_at(pool, thresholds, seed=scorer.selector.config.seed, ranked=True)
    for column in ("lane", "selected", "selection_reason", "draw"):
        assert online[column].tolist() == at_thresholds[column].tolist(), column
    assert set(online["lane"]) > {"green"}  # something was flagged, so lanes were compared
    # The flagged rows' reasons are those the batch path gives the same rows.
    flagged = online["lane"].isin(FLAGGED_LANES).to_numpy()
    reasons = explain_flagged(
        features, fired, probabilities, flagged, model=model, profiles=profiles, describe=describe
    )
    expected = [[part for part in text.split("; ") if part] for text in reasons]
    assert online["reasons"].tolist() == expected
    assert all(online.loc[flagged, "reasons"].map(len))  # every flagged row was explained


def test_decisions_reach_the_record_under_their_ids(
    service: Service, service_world: ServiceWorld
) -> None:
    from pipelines.storage.warehouse import Warehouse

    received = _first_days(service_world, 30).tail(5)
    response = service.client.post("/v1/score", json=records(received), headers=HEADERS)
    assert response.status_code == 200
    results = response.json()["results"]
    recorder = service.app.state.recorder
    recorder.flush()
    with (
        recorder.warehouse_lock,
        Warehouse(service.settings.warehouse, read_only=True) as store,
    ):
        histories = {
            r["declaration_id"]: store.decision_history(r["declaration_id"]) for r in results
        }
        run = store.decision_run(results[0]["decision_id"].split(":")[0])
        runs = store.read_runs()
    logged = runs.loc[runs["run_id"] == run.run_id, "details"].map(json.loads).iloc[0]
    assert logged["draws"] == {r["declaration_id"]: round(r["draw"], 12) for r in results}
    for result in results:
        recorded = histories[result["declaration_id"]]
        keys = (recorded["run_id"] + ":" + recorded["declaration_id"]).tolist()
        assert result["decision_id"] in keys
        row = recorded.iloc[keys.index(result["decision_id"])]
        assert row["lane"] == result["lane"]
        assert row["risk_score"] == result["risk_score"]
        assert row["selection_propensity"] == result["selection_propensity"]
    assert run is not None and run.batch_file == "gcrisk serve"
    assert run.model_fingerprint == service.app.state.live.current.champion.fingerprint


def test_requests_scored_together_get_the_scores_they_get_alone(
    service: Service, service_world: ServiceWorld
) -> None:
    from pipelines.service.scorer import score_together

    batch = pseudonymise(_first_days(service_world, 60), PSEUDONYM_KEY.encode())
    parts = [batch.iloc[:1], batch.iloc[1:25], batch.iloc[25:26], batch.iloc[26:]]
    scorer = service.app.state.live.current
    together = score_together([(scorer, part) for part in parts])
    columns = ["declaration_id", "risk_score", "p_waste", "p_ods", "p_wildlife", "rules_fired"]
    for part, table in zip(parts, together, strict=True):
        alone = scorer.score(part)
        pd.testing.assert_frame_equal(table[columns], alone[columns], check_exact=False, atol=1e-9)
        assert table.index.tolist() == list(range(len(part)))
