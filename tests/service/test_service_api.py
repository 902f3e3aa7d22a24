"""The service's HTTP behaviour: auth, limits, hostile JSON, 422s that name the field, logs."""

from __future__ import annotations

import gc
import io
import json
import logging
from typing import Any

import pytest

from tests.service.conftest import API_KEY, HEADERS, Service, ServiceWorld, records


def _one(world: ServiceWorld, row: int = 0, **changes: Any) -> dict[str, Any]:
    return records(world.later.iloc[[row]])[0] | changes


def _post(service: Service, body: Any, **headers: str) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return service.client.post(
        "/v1/score",
        content=content,
        headers={"Content-Type": "application/json", **HEADERS, **headers},
    )


def _fields(response: Any) -> set[str]:
    return {str(error["loc"][-1]) for error in response.json()["detail"]}


def test_scores_one_declaration(service: Service, service_world: ServiceWorld) -> None:
    response = _post(service, _one(service_world))
    assert response.status_code == 200, response.text
    body = response.json()
    [result] = body["results"]
    assert result["lane"] in ("red", "yellow", "green")
    assert 0 <= result["risk_score"] <= 1
    assert 0 <= result["draw"] < 1
    assert result["decision_id"].endswith(":" + result["declaration_id"])
    assert body["model_version"] != "profiles-only"


def test_scores_a_list_in_order(service: Service, service_world: ServiceWorld) -> None:
    rows = records(service_world.later.iloc[10:60])
    response = _post(service, rows)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["declaration_id"] for r in results] == [r["declaration_id"] for r in rows]
    assert len({r["decision_id"].split(":")[0] for r in results}) == 1  # one run


@pytest.mark.parametrize("key", [None, "", "wrong-key", API_KEY + "x", API_KEY[:-1]])
def test_no_key_no_score(service: Service, service_world: ServiceWorld, key: str | None) -> None:
    headers = {"Content-Type": "application/json"} | ({} if key is None else {"X-API-Key": key})
    response = service.client.post(
        "/v1/score", content=json.dumps(_one(service_world)), headers=headers
    )
    assert response.status_code == 401
    assert "results" not in response.json()


def test_health_and_readiness(service: Service) -> None:
    assert gc.get_freeze_count() > 0  # the loaded state is out of the collector's way
    assert service.client.get("/healthz").json() == {"status": "ok"}
    ready = service.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["as_of"] == "2024-08-01"


def test_body_over_the_limit_is_413(service: Service, service_world: ServiceWorld) -> None:
    padded = _one(service_world, goods_description="x" * 1_000)
    body = json.dumps([padded] * 500).encode()  # over 400 kB, under 500 rows' worth of work
    assert len(body) > service.settings.serve_max_bytes
    assert _post(service, body).status_code == 413


def test_chunked_body_over_the_limit_is_413(service: Service) -> None:
    def chunks() -> Any:
        for _ in range(50):
            yield b" " * 10_000

    response = service.client.post(
        "/v1/score",
        content=chunks(),
        headers={"Content-Type": "application/json", **HEADERS},
    )
    assert response.status_code == 413


def test_too_many_rows_is_413(service: Service, service_world: ServiceWorld) -> None:
    rows = records(service_world.later.head(service.settings.serve_max_rows + 1))
    assert _post(service, rows).status_code == 413


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hs_code": "12ab"}, "hs_code"),
        ({"origin_country": "XX"}, "origin_country"),
        ({"net_weight_kg": 1e9, "gross_weight_kg": 10.0}, "net_weight_kg"),
        ({"flow": "smuggling"}, "flow"),
        ({"container_count": "three"}, "container_count"),
        ({"container_count": 1.5}, "container_count"),
        ({"customs_value_usd": -1}, "customs_value_usd"),
        ({"declaration_date": "2024-02-30"}, "declaration_date"),
        ({"declaration_date": "2099-01-01"}, "declaration_date"),
        ({"declaration_date": "2024-07-01"}, "declaration_date"),  # before the snapshot day
        ({"transit_countries": "AE||SG"}, "transit_countries"),
        ({"trader_id": None}, "trader_id"),
        ({"trader_id": ["a"]}, "trader_id"),
        ({"customs_value_usd": 1e400}, "customs_value_usd"),  # JSON's 1e400 reads as inf
        ({"quantity": 10**30}, "quantity"),
        ({"consignor": "someone"}, "consignor"),  # unknown fields are refused, by name
    ],
)
def test_bad_field_is_422_naming_it(
    service: Service, service_world: ServiceWorld, change: dict[str, Any], field: str
) -> None:
    response = _post(service, _one(service_world, **change))
    assert response.status_code == 422, response.text
    assert field in _fields(response)


def test_missing_field_is_named(service: Service, service_world: ServiceWorld) -> None:
    row = _one(service_world)
    del row["hs_code"]
    response = _post(service, row)
    assert response.status_code == 422
    assert _fields(response) == {"hs_code"}


def test_the_bad_row_of_a_list_is_named(service: Service, service_world: ServiceWorld) -> None:
    rows = records(service_world.later.head(3))
    rows[2]["transport_mode"] = "teleport"
    response = _post(service, rows)
    assert response.status_code == 422
    assert [error["loc"][1:] for error in response.json()["detail"]] == [[2, "transport_mode"]]


def test_repeated_declaration_in_one_request_is_422(
    service: Service, service_world: ServiceWorld
) -> None:
    response = _post(service, [_one(service_world), _one(service_world)])
    assert response.status_code == 422
    assert _fields(response) == {"declaration_id"}


def test_422_never_echoes_the_values(service: Service, service_world: ServiceWorld) -> None:
    row = _one(service_world, hs_code="secret-trader-XYZ")
    response = _post(service, row)
    assert response.status_code == 422
    assert "secret-trader-XYZ" not in response.text
    assert row["trader_id"] not in response.text


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # nesting far past the parser's recursion limit
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b"1" * 5_000,  # an integer of more digits than Python converts
        b'{"customs_value_usd": NaN}',
        b"[Infinity]",
        b"{not json",
        b"\xff\xfe\x00",
        b"",
        b"null",
        b'"a string"',
        b"[]",
        b"[1, 2, 3]",
        b'{"declaration_id": {"$gt": ""}}',
    ],
)
def test_hostile_json_is_refused_cleanly(service: Service, body: bytes) -> None:
    response = _post(service, body)
    assert response.status_code == 422, response.text[:200]
    assert isinstance(response.json()["detail"], list)


def test_lone_surrogate_is_refused(service: Service, service_world: ServiceWorld) -> None:
    body = json.dumps(_one(service_world)).replace(
        '"goods_description": "', '"goods_description": "\\ud800', 1
    )
    response = _post(service, body.encode())
    assert response.status_code == 422
    assert _fields(response) == {"goods_description"}


def test_unicode_text_is_scored(service: Service, service_world: ServiceWorld) -> None:
    row = _one(service_world, 1, goods_description="Fräulein's 冷媒 R-22 🧊 ‮gnp.exe")
    assert _post(service, row).status_code == 200


def test_access_log_has_no_identities(service: Service, service_world: ServiceWorld) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("gcrisk.serve.access")
    logger.addHandler(handler)
    try:
        row = _one(service_world, 2)
        assert _post(service, [row]).status_code == 200
        assert _post(service, row, **{"X-API-Key": "nope"}).status_code == 401
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["status"], line["rows"], line["key_id"]) for line in lines] == [
        (200, 1, "tests"),
        (401, 0, None),
    ]
    assert set(lines[0]) == {"method", "path", "status", "ms", "rows", "key_id"}
    text = stream.getvalue()
    for secret in (API_KEY, row["trader_id"], row["declarant_id"], row["declaration_id"]):
        assert secret not in text


def test_concurrent_requests_each_get_their_own_rows(
    service: Service, service_world: ServiceWorld
) -> None:
    import threading

    bodies = [records(service_world.later.iloc[3 * i : 3 * i + 3]) for i in range(40, 48)]
    answers: dict[int, Any] = {}
    start = threading.Barrier(len(bodies))

    def send(index: int) -> None:
        start.wait()
        answers[index] = _post(service, bodies[index])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for index, body in enumerate(bodies):
        assert answers[index].status_code == 200
        results = answers[index].json()["results"]
        assert [r["declaration_id"] for r in results] == [row["declaration_id"] for row in body]
        assert all(r["decision_id"].endswith(":" + r["declaration_id"]) for r in results)
