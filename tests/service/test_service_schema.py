"""Schemathesis against the service's own OpenAPI spec: generated requests, checked responses.

Valid and invalid bodies are generated from the spec (the declaration contract); every response
must be one the spec documents, in its schema, and never a server error. Requests go with the
API key; the `ignored_auth` check also sends them without it and expects a refusal.

`positive_data_acceptance` is left out: the contract has rules JSON Schema cannot state (the HS
edition in force on the date, a date on or after the snapshot day, net <= gross), so a
schema-valid declaration may rightly get a 422 (which the spec documents).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from tests.service.conftest import HEADERS, Service

#: Operations and generation modes (the GETs take no input: nothing negative to generate).
CASES = [
    ("/v1/score", "POST", GenerationMode.POSITIVE),
    ("/v1/score", "POST", GenerationMode.NEGATIVE),
    ("/healthz", "GET", GenerationMode.POSITIVE),
    ("/readyz", "GET", GenerationMode.POSITIVE),
]


@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_the_service_keeps_its_spec(
    service: Service, path: str, method: str, mode: GenerationMode
) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", service.app)[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=40 if path == "/v1/score" else 5,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def check(case: Any) -> None:
        case.call_and_validate(
            headers=HEADERS, excluded_checks=[schemathesis.checks.positive_data_acceptance]
        )

    check()
