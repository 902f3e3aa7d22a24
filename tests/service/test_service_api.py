"""The service's HTTP behaviour: auth, limits, hostile JSON, 422s that name the field, logs."""

from __future__ import annotations

from typing import Any

from tests.service.conftest import HEADERS, Service, ServiceWorld, records


def _one(world: ServiceWorld, **changes: Any) -> dict[str, Any]:
    return records(world.later.head(1))[0] | changes


def test_scores_one_declaration(service: Service, service_world: ServiceWorld) -> None:
    response = service.client.post("/v1/score", json=_one(service_world), headers=HEADERS)
    assert response.status_code == 200, response.text
    body = response.json()
    [result] = body["results"]
    assert result["lane"] in ("red", "yellow", "green")
    assert 0 <= result["risk_score"] <= 1
    assert result["decision_id"].endswith(":" + result["declaration_id"])
    assert body["model_version"] != "profiles-only"
