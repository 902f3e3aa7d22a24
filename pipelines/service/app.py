"""`gcrisk serve`: the HTTP scoring service (FastAPI), selectivity at lodgement.

    POST /v1/score     one declaration or a list -> lane, risks, reasons, decision id per row
    GET  /healthz      the process answers
    GET  /readyz       a champion (or the profiles-only fallback) and snapshots are loaded
    GET  /openapi.json the contract

A request needs an API key (`X-API-Key`, checked against the salted hashes of
GCRISK_SERVE_KEYS: 401 without). The body is read up to GCRISK_SERVE_MAX_BYTES and may hold
GCRISK_SERVE_MAX_ROWS declarations (413 beyond either). Each declaration is checked against the
canonical contract (`data_contracts.records`); a bad field is a 422 that names it, and never
echoes the values sent. Trader and declarant ids are pseudonymised with the warehouse's key
before anything looks them up, and one JSON access-log line per request says method, path,
status, milliseconds, rows and the key's id: never the key, an id or the body.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import pandas as pd
from fastapi import FastAPI, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from data_contracts.privacy import pseudonymise
from data_contracts.records import declaration_frame, declaration_model
from pipelines.service.auth import KEY_HEADER, key_id_for, parse_keys
from pipelines.service.coalesce import Coalescer
from pipelines.service.live import LiveScorer
from pipelines.service.recorder import DecisionRecorder, decision_id
from pipelines.service.scorer import Scorer, score_together
from pipelines.settings import Settings
from pipelines.steps.scoring import read_capacity

ACCESS_LOGGER = "gcrisk.serve.access"
#: The key header as an OpenAPI security scheme (checked in the endpoint: a 401 of our own).
_KEY = APIKeyHeader(name=KEY_HEADER, auto_error=False)


class ScoreResult(BaseModel):
    """The decision about one declaration."""

    declaration_id: str
    decision_id: str = Field(description="<run_id>:<declaration_id>, as in the decision record")
    lane: str = Field(description="red, yellow or green")
    selected: bool
    selection_reason: str = Field(description="rule, model, random, or empty")
    selection_propensity: float
    draw: float = Field(description="The declaration's random draw, uniform on [0, 1)")
    risk_score: float
    p_waste: float
    p_ods: float
    p_wildlife: float
    rules_fired: list[str]
    reasons: list[str]
    threshold_model: float | None = Field(description="Risk that made it red (null: none)")
    threshold_yellow: float | None = Field(description="Risk that made it yellow (null: none)")


class ScoreResponse(BaseModel):
    """Decisions in the order the declarations were sent."""

    model_version: str
    as_of: str = Field(description="First day a declaration may be dated (history before it)")
    results: list[ScoreResult]


class Problem(BaseModel):
    """Why a request was refused."""

    detail: Any


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service for `settings` (default: the GCRISK_ environment)."""
    settings = settings or Settings()
    keys = parse_keys(settings.serve_keys)
    capacity = read_capacity(settings.serve_capacity) if settings.serve_capacity else None
    lock = threading.Lock()  # one open warehouse per process at a time (DuckDB)
    live = LiveScorer(settings, warehouse_lock=lock, daily_capacity=capacity)
    recorder = DecisionRecorder(
        settings.warehouse,
        settings.home / "serve-spool",
        flush_seconds=settings.serve_flush_seconds,
        warehouse_lock=lock,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        live.start()
        recorder.start()
        try:
            yield
        finally:
            live.stop()
            recorder.stop()

    app = FastAPI(
        title="gcrisk scoring service",
        version="1",
        description=__doc__,
        lifespan=lifespan,
    )
    app.state.live, app.state.recorder = live, recorder
    _routes(app, settings, keys, _Contract(declaration_model()))
    _access_log(app)
    return app


class _Contract:
    """Validates a body as one declaration or a list of them; errors name row and field."""

    def __init__(self, record: Any) -> None:
        self.one: TypeAdapter[Any] = TypeAdapter(record)
        many = Annotated[list[record], Field(min_length=1)]
        self.many: TypeAdapter[Any] = TypeAdapter(many)
        self.schema = _inline(TypeAdapter(record | many).json_schema())

    def validate(self, parsed: Any) -> list[BaseModel]:
        """The declarations of a parsed body (ValidationError: what is wrong, and where)."""
        if isinstance(parsed, list):
            return list(self.many.validate_python(parsed))
        return [self.one.validate_python(parsed)]


def _routes(app: FastAPI, settings: Settings, keys: Any, contract: _Contract) -> None:
    live: LiveScorer = app.state.live
    recorder: DecisionRecorder = app.state.recorder
    coalescer = Coalescer(score_together)  # requests waiting together are scored together

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"model": Problem}})
    def readyz() -> Any:
        """A scorer (champion or profiles-only fallback, with snapshots) is loaded."""
        scorer = live.current
        if scorer is None:
            return JSONResponse({"detail": live.error or "loading"}, status_code=503)
        return {
            "status": "ready",
            "model_version": scorer.model_version,
            "as_of": scorer.state.as_of.date().isoformat(),
        }

    @app.post(
        "/v1/score",
        response_model=ScoreResponse,
        responses={code: {"model": Problem} for code in (401, 413, 422, 503)},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": contract.schema}},
            },
        },
    )
    async def score(request: Request, key: str | None = Security(_KEY)) -> Any:
        """Score one declaration or a list: lane, risks, reasons and decision id per row."""
        key_id = key_id_for(key, keys)
        if key_id is None:
            return _problem(401, "a valid API key is required in the X-API-Key header")
        request.state.key_id = key_id
        body = await _read_body(request, settings.serve_max_bytes)
        if body is None:
            return _problem(413, f"request body over {settings.serve_max_bytes} bytes")
        # Parsing, validation and scoring hold the GIL: off the event loop, in a worker thread.
        return await run_in_threadpool(handle, body, request.state)

    def handle(body: bytes, state: Any) -> Any:
        parsed = _parse(body)
        if isinstance(parsed, JSONResponse):
            return parsed
        count = len(parsed) if isinstance(parsed, list) else 1
        if count > settings.serve_max_rows:
            return _problem(413, f"{count} declarations, over {settings.serve_max_rows}")
        try:
            rows = contract.validate(parsed)
        except ValidationError as error:
            return _problem(422, _field_errors(error))
        state.rows = len(rows)
        scorer = live.current
        if scorer is None:
            return _problem(503, "the service is loading its champion and snapshots")
        return _score_rows(rows, scorer, live, recorder, settings, coalescer)


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The body schema with its `$defs` inlined (the openapi_extra body has no components)."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    return resolve(schema)


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is (or says it is) over `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> Any:
    """The JSON document, or a 422 (not JSON, nesting too deep, digits too many).

    NaN and Infinity (which JSON does not have, but Python reads) parse, to be refused by the
    field they are in, by name."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        why = "nested too deeply" if isinstance(error, RecursionError) else "not valid JSON"
        return _problem(422, [{"loc": ["body"], "msg": f"body {why}", "type": "json_invalid"}])


def _field_errors(error: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as `loc` (body, row, field), `msg` and `type`; never the input values."""
    return [
        {
            "loc": ["body", *error_item["loc"]],
            "msg": error_item["msg"].removeprefix("Value error, "),
            "type": error_item["type"],
        }
        for error_item in error.errors(include_url=False, include_input=False)
    ][:50]


def _problem(status: int, detail: Any) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _score_rows(
    rows: list[BaseModel],
    scorer: Scorer,
    live: LiveScorer,
    recorder: DecisionRecorder,
    settings: Settings,
    coalescer: Coalescer[tuple[Scorer, pd.DataFrame], pd.DataFrame],
) -> Any:
    batch = declaration_frame(rows)
    refused = _batch_problems(batch, scorer)
    if refused is not None:
        return refused
    key = settings.key_bytes()
    batch = pseudonymise(batch, key) if key is not None else batch
    scores = coalescer.submit((scorer, batch))
    run_id = recorder.record(scores, live.template(scorer))
    response = ScoreResponse(
        model_version=scorer.model_version,
        as_of=scorer.state.as_of.date().isoformat(),
        results=[_result(row, run_id) for row in scores.to_dict(orient="records")],
    )
    # Serialised here, once: returned as a model, FastAPI would dump, validate and dump it again.
    return Response(response.model_dump_json(), media_type="application/json")


def _batch_problems(batch: pd.DataFrame, scorer: Scorer) -> JSONResponse | None:
    """A 422 for what only the whole request shows: a repeated id, a day before the state."""
    repeated = batch["declaration_id"].duplicated()
    early = batch["declaration_date"] < scorer.state.as_of
    errors = [
        {"loc": ["body", int(i), "declaration_id"], "msg": "declaration_id duplicated",
         "type": "value_error"}
        for i in batch.index[repeated]
    ] + [
        {"loc": ["body", int(i), "declaration_date"],
         "msg": f"declaration_date before {scorer.state.as_of.date()}, the first day the "
                "service scores (earlier days go through batch scoring)",
         "type": "value_error"}
        for i in batch.index[early]
    ]  # fmt: skip
    return _problem(422, errors[:50]) if errors else None


def _result(row: dict[str, Any], run_id: str) -> ScoreResult:
    def finite(value: float) -> float | None:
        return float(value) if math.isfinite(value) else None

    def listed(text: Any) -> list[str]:
        return [part for part in str(text or "").split("|") if part]

    return ScoreResult(
        declaration_id=row["declaration_id"],
        decision_id=decision_id(run_id, row["declaration_id"]),
        lane=row["lane"],
        selected=bool(row["selected"]),
        selection_reason=str(row["selection_reason"] or ""),
        selection_propensity=float(row["selection_propensity"]),
        draw=float(row["draw"]),
        risk_score=float(row["risk_score"]),
        p_waste=float(row["p_waste"]),
        p_ods=float(row["p_ods"]),
        p_wildlife=float(row["p_wildlife"]),
        rules_fired=listed(row["rules_fired"]),
        reasons=[part for part in str(row["reasons"] or "").split("; ") if part],
        threshold_model=finite(row["threshold_model"]),
        threshold_yellow=finite(row["threshold_yellow"]),
    )


def _access_log(app: FastAPI) -> None:
    """One JSON line per request on stderr (logger `gcrisk.serve.access`)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not logger.handlers:  # each uvicorn worker process builds its own app
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    app.add_middleware(_AccessLog, logger=logger)


class _AccessLog:
    """The access log as plain ASGI middleware (Starlette's `BaseHTTPMiddleware` runs each
    request in an extra task with memory streams: milliseconds on a one-row request)."""

    def __init__(self, app: ASGIApp, *, logger: logging.Logger) -> None:
        self.app, self.logger = app, logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = scope.setdefault("state", {})  # what the endpoint sets on `request.state`
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            line = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "rows": state.get("rows", 0),
                "key_id": state.get("key_id"),
            }
            self.logger.info(json.dumps(line))
