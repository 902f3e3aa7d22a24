"""The declaration contract for one record at a time: a pydantic model built from the schema.

The scoring service receives declarations as JSON, one or a few at a time; running the Great
Expectations suite per request would cost more than scoring. This model states the same row rules
as `suites._declaration_rules` (types, required values, allowed codes, bounds, net <= gross, no
future date, the HS edition in force), so a bad field is refused with its name before any
feature is computed. It is generated from `schemas.DECLARATION_COLUMNS`: a column added there is
a field here. Unknown fields are refused (a misspelt optional field would otherwise pass empty).
"""

from __future__ import annotations

import datetime
from functools import cache
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
)

from data_contracts import editions, reference
from data_contracts.schemas import (
    DECLARATION_COLUMNS,
    FLOWS,
    QUANTITY_UNITS,
    TRANSPORT_MODES,
    Column,
)

HS_CODE_PATTERN = r"^[0-9]{6,10}$"
#: Longest text accepted in any field (a description is a line or two on a real declaration).
MAX_TEXT = 2_000
_CODES = {"flow": FLOWS, "transport_mode": TRANSPORT_MODES, "quantity_unit": QUANTITY_UNITS}
_COUNTRIES = ("origin_country", "consignment_country", "destination_country")
#: Bounds of the numeric columns, as in the suite (`gt`: strictly above).
_BOUNDS: dict[str, dict[str, float]] = {
    "container_count": {"ge": 0},
    "gross_weight_kg": {"gt": 0},
    "net_weight_kg": {"gt": 0},
    "quantity": {"ge": 0},
    "customs_value_usd": {"ge": 0},
}


def _encodable(value: str) -> str:
    """Text that UTF-8 can store (JSON may carry lone surrogates, which no table can hold)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text with an invalid unicode character (a lone surrogate)") from None
    return value


def _transit_pattern() -> str:
    """An empty or pipe-separated list of ISO 3166 alpha-2 codes (as `suites.transit_regex`)."""
    code = "(" + "|".join(sorted(reference.country_codes())) + ")"
    return rf"^({code}(\|{code})*)?$"


def _annotation(column: Column) -> Any:
    """The field type of one column, with the suite's rule for it."""
    name = column.name
    if name in _CODES:
        return Literal[_CODES[name]]
    if column.type == "date":
        return datetime.date
    bounds: dict[str, Any] = _BOUNDS.get(name, {})
    if column.type == "integer":
        return Annotated[int, Field(strict=True, le=10**9, **bounds)]
    if column.type == "float":
        return Annotated[float, Field(allow_inf_nan=False, le=1e15, **bounds)]
    text: Any = Annotated[
        str,
        Field(min_length=0 if column.nullable else 1, max_length=MAX_TEXT),
        AfterValidator(_encodable),
    ]
    if name == "hs_code":
        text = Annotated[str, Field(pattern=HS_CODE_PATTERN)]
    elif name in _COUNTRIES:
        text = Literal[tuple(sorted(reference.country_codes()))]
    elif name == "transit_countries":
        text = Annotated[str, Field(max_length=MAX_TEXT, pattern=_transit_pattern())]
    return text | None if column.nullable else text


class _Rules(BaseModel):
    """The rules across fields, each on the later field so a refusal names it (fields are
    validated in canonical order, so the earlier ones are in `info.data`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @field_validator("declaration_date", check_fields=False)
    @classmethod
    def _not_future(cls, value: datetime.date) -> datetime.date:
        if value > datetime.datetime.now(datetime.UTC).date():
            raise ValueError("declaration_date after today")
        return value

    @field_validator("hs_code", check_fields=False)
    @classmethod
    def _edition_in_force(cls, value: str, info: ValidationInfo) -> str:
        reason = editions.edition_reason(value, info.data.get("declaration_date"))
        if reason is not None:
            raise ValueError(reason)
        return value

    @field_validator("net_weight_kg", check_fields=False)
    @classmethod
    def _net_within_gross(cls, value: float, info: ValidationInfo) -> float:
        gross = info.data.get("gross_weight_kg")
        if gross is not None and value > gross:
            raise ValueError("net_weight_kg > gross_weight_kg")
        return value


@cache
def declaration_model() -> type[BaseModel]:
    """The pydantic model of one canonical declaration (every column a field, same rules)."""
    fields: dict[str, Any] = {
        column.name: (
            _annotation(column),
            Field(default=None if column.nullable else ..., description=column.description),
        )
        for column in DECLARATION_COLUMNS
    }
    return create_model("Declaration", __base__=_Rules, **fields)


def declaration_frame(records: list[BaseModel]) -> pd.DataFrame:
    """Validated records as a canonical declarations frame (the dtypes batch validation gives).

    Column by column from the records' values: `coercion.coerce_columns` of the same rows
    gives the same frame (tested), at a fraction of its cost on a few rows. The model has
    stripped the text already; an empty text is missing, or "" in a nullable column, as there.
    """
    dumped = [record.model_dump() for record in records]
    columns = {
        column.name: _typed([row[column.name] for row in dumped], column)
        for column in DECLARATION_COLUMNS
    }
    return pd.DataFrame(columns, index=pd.RangeIndex(len(dumped)), copy=False)


def _typed(values: list[Any], column: Column) -> Any:
    """One column's validated values in its canonical dtype."""
    if column.type == "string":
        empty = "" if column.nullable else None
        return pd.array([empty if v is None or v == "" else v for v in values], dtype="str")
    if column.type == "date":
        return np.array(values, dtype="datetime64[us]")
    if column.type == "integer":
        return pd.array(values, dtype="Int64")
    return np.array([np.nan if v is None else v for v in values], dtype=float)
