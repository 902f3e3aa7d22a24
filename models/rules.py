"""Expert risk profiles: structured conditions on features, loaded from YAML, fired on frames.

A profile is data, never code: its condition is a tree of `all`/`any` groups whose leaves are
`{field, op, value}` clauses. Nothing is evaluated as a string, so a profile file cannot run code.

    id: ODS-03
    version: 2
    status: active            # draft | active | retired (models/profiles_lifecycle.py)
    category: ods
    title: Refrigerant priced far below market
    rationale: Declared value per kg below a third of the usual price ...
    owner: ozone-desk
    valid_from: 2020-01-01
    valid_to: null
    lane: red
    indicators: [O03]         # ids of data_contracts/reference/risk_indicators.csv
    expected_volume_per_month: 12
    expected_hit_rate: 0.2
    approval: {approved_by: head of risk unit, approved_on: 2024-05-02}
    condition:
      all:
        - {field: is_ods_code, op: eq, value: true}
        - {field: unit_value_ratio_to_reference, op: lt, value: 0.3}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from data_contracts.reference import risk_indicators
from models.profiles_lifecycle import EXPIRY_WARNING_DAYS, Standing, expiring_soon, standing

#: Comparisons written once for a pandas Series and a numpy array alike (`between` is
#: inclusive on both ends, as `Series.between`).
_ORDERED: dict[str, Callable[[Any, Any], Any]] = {
    "eq": lambda s, v: s == v,
    "ne": lambda s, v: s != v,
    "lt": lambda s, v: s < v,
    "le": lambda s, v: s <= v,
    "gt": lambda s, v: s > v,
    "ge": lambda s, v: s >= v,
    "between": lambda s, v: (s >= v[0]) & (s <= v[1]),
}
_COMPARISONS: dict[str, Callable[[pd.Series, Any], pd.Series]] = {
    **_ORDERED,
    "in": lambda s, v: s.isin(v),
    "not_in": lambda s, v: ~s.isin(v),
    "is_null": lambda s, v: s.isna(),
    "not_null": lambda s, v: s.notna(),
}
#: The comparisons that also run on the numpy array of a bool, integer or float column (no
#: missing values but NaN) and a numeric value, giving what pandas gives, without a Series per
#: clause. `in`, `not_in` (pandas' `isin` matches NaN, numpy's does not) and the null tests stay
#: with pandas.
_ARRAY_COMPARISONS = _ORDERED


_CLAUSE_KEYS = frozenset({"field", "op", "value"})
_SCALAR_OPS = frozenset({"eq", "ne", "lt", "le", "gt", "ge"})


class ProfileError(ValueError):
    """A profile file is invalid; the message names the file and the clause."""


@dataclass(frozen=True)
class Clause:
    """One leaf test: `field op value`."""

    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Group:
    """An `all` (every child holds) or `any` (one child holds) combination."""

    combine: Literal["all", "any"]
    children: tuple[Clause | Group, ...]


class Approval(BaseModel):
    """Who signed the profile off, and when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    approved_by: str = Field(min_length=1)
    approved_on: dt.date


class Profile(BaseModel):
    """An expert risk profile: its rule, its lifecycle and what the unit expects of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Z]{2,4}-\d{2,3}$")
    version: int = Field(ge=1)
    status: Literal["draft", "active", "retired"]
    category: Literal["waste", "ods", "wildlife"]
    title: str
    rationale: str
    owner: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    lane: Literal["red", "yellow"]
    indicators: list[str] = Field(default_factory=list)
    expected_volume_per_month: float | None = Field(default=None, ge=0)
    expected_hit_rate: float | None = Field(default=None, ge=0, le=1)
    approval: Approval | None = None
    condition: dict[str, Any]

    @field_validator("indicators")
    @classmethod
    def _known_indicators(cls, indicators: list[str]) -> list[str]:
        unknown = sorted(set(indicators) - indicator_ids())
        if unknown:
            raise ValueError(
                f"unknown indicator {', '.join(unknown)} (see "
                "data_contracts/reference/risk_indicators.csv)"
            )
        return indicators

    @model_validator(mode="after")
    def _window_is_ordered(self) -> Profile:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self

    @property
    def label(self) -> str:
        """`ID@version`, as in the profile set's version label."""
        return f"{self.id}@{self.version}"

    def standing(self, on: dt.date) -> Standing:
        """Whether the profile selects, fires in shadow only, or stays silent on day `on`."""
        return standing(self, on)

    @property
    def tree(self) -> Group:
        """The parsed condition (checked when the profile was parsed)."""
        return _parse_group(self.condition, source=self.id, path="condition", known=None)


@dataclass(frozen=True)
class ProfileSet:
    """The profiles in force, in a stable order."""

    profiles: tuple[Profile, ...]

    @property
    def ids(self) -> list[str]:
        return [profile.id for profile in self.profiles]

    def get(self, profile_id: str) -> Profile:
        return next(p for p in self.profiles if p.id == profile_id)

    @property
    def fingerprint(self) -> str:
        """A short hash of every profile's content: which rules a decision was made with."""
        documents = [profile.model_dump(mode="json") for profile in self.profiles]
        text = json.dumps(documents, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def version_label(self) -> str:
        """Every profile as `ID@version`, comma-separated: the readable twin of `fingerprint`."""
        return ",".join(profile.label for profile in self.profiles)

    def selecting(self, on: dt.date) -> ProfileSet:
        """The profiles that may select declarations on day `on` (active, approved, in window)."""
        return self._where(lambda p: p.standing(on).selects)

    def shadow(self, on: dt.date) -> ProfileSet:
        """The profiles that fire on day `on` for the record only, never selecting."""
        return self._where(lambda p: p.standing(on).shadow)

    def expiring(self, on: dt.date, *, days: int = 30) -> ProfileSet:
        """The active profiles whose window ends within `days` days after `on`."""
        return self._where(lambda p: expiring_soon(p, on, days=days))

    def in_use(self, on: dt.date) -> ProfilesInUse:
        """What scoring does with these profiles on day `on`."""
        return ProfilesInUse(on, self.selecting(on), self.shadow(on), self.expiring(on))

    def _where(self, keep: Callable[[Profile], bool]) -> ProfileSet:
        return ProfileSet(tuple(p for p in self.profiles if keep(p)))


NO_PROFILES = ProfileSet(())


@dataclass(frozen=True)
class ProfilesInUse:
    """The unit's profiles as one scoring run uses them, decided on one day (`on`).

    `selecting` may put declarations in a lane; `shadow` (drafts, and active profiles not yet
    signed off) fire for the decision record only; `expiring` still select but reach their
    `valid_to` within EXPIRY_WARNING_DAYS days, so the run warns.
    """

    on: dt.date
    selecting: ProfileSet
    shadow: ProfileSet = NO_PROFILES
    expiring: ProfileSet = NO_PROFILES

    def warnings(self) -> list[str]:
        """One line per expiring profile, for the scoring summary and report."""
        return [
            f"profile {p.label} expires on {p.valid_to}, within {EXPIRY_WARNING_DAYS} days of "
            f"{self.on}: extend, replace or retire it"
            for p in self.expiring.profiles
        ]


def parse_profile(text: str, *, source: str, known_fields: Iterable[str] | None = None) -> Profile:
    """Parse and check one profile document; errors name `source` and the failing clause."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{source}: not valid YAML ({_one_line(exc)})") from exc
    if not isinstance(raw, dict):
        raise ProfileError(f"{source}: a profile must be a mapping of keys to values")
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ProfileError(f"{source}: {where}: {first['msg']}") from exc
    known = None if known_fields is None else frozenset(known_fields)
    _parse_group(profile.condition, source=source, path="condition", known=known)
    return profile


def load_profiles(
    documents: Mapping[str, str], *, known_fields: Iterable[str] | None = None
) -> ProfileSet:
    """Parse several profile documents (source name -> YAML text); ids must be unique."""
    known = None if known_fields is None else frozenset(known_fields)
    profiles = [
        parse_profile(text, source=source, known_fields=known)
        for source, text in sorted(documents.items())
    ]
    seen: dict[str, int] = {}
    for profile in profiles:
        seen[profile.id] = seen.get(profile.id, 0) + 1
    duplicated = sorted(pid for pid, count in seen.items() if count > 1)
    if duplicated:
        raise ProfileError(f"duplicate profile ids: {', '.join(duplicated)}")
    return ProfileSet(tuple(sorted(profiles, key=lambda p: p.id)))


def packaged_documents() -> dict[str, str]:
    """Source name -> YAML text of the profiles shipped in `models/profiles/*.yaml`."""
    folder = resources.files("models.profiles")
    return {
        f"models/profiles/{item.name}": item.read_text(encoding="utf-8")
        for item in folder.iterdir()
        if item.name.endswith(".yaml")
    }


def packaged_profiles(*, known_fields: Iterable[str] | None = None) -> ProfileSet:
    """The profiles shipped in `models/profiles/*.yaml`."""
    return load_profiles(packaged_documents(), known_fields=known_fields)


def indicator_ids() -> frozenset[str]:
    """The ids of `data_contracts/reference/risk_indicators.csv` a profile may cite."""
    return frozenset(risk_indicators()["id"])


def fire(
    features: pd.DataFrame,
    profiles: ProfileSet,
    *,
    date_column: str = "declaration_date",
    windowed: bool = True,
) -> pd.DataFrame:
    """One boolean column per profile: did it fire for the row (within its validity window)?

    With `windowed=False` only the condition counts (a backtest of a rule over days it was not
    yet, or no longer, valid for).
    """
    fired = {}
    columns = _Columns(features)
    dates = features[date_column].to_numpy() if windowed and profiles.profiles else None
    for profile in profiles.profiles:
        hit = _evaluate(profile.tree, columns)
        if dates is not None:
            hit = hit & (dates >= np.datetime64(profile.valid_from))
            if profile.valid_to is not None:
                hit = hit & (dates <= np.datetime64(profile.valid_to))
        fired[profile.id] = np.asarray(hit, dtype=bool)
    return pd.DataFrame(fired, index=features.index, columns=profiles.ids)


def fired_ids(fired: pd.DataFrame) -> pd.Series:
    """Pipe-separated ids of the profiles that fired for each row ('' when none)."""
    if fired.shape[1] == 0:
        return pd.Series("", index=fired.index, dtype="str")
    names = np.array(fired.columns, dtype=object)
    joined = ["|".join(names[row]) for row in fired.to_numpy(dtype=bool)]
    return pd.Series(joined, index=fired.index, dtype="str")


def fired_counts(fired: pd.Series) -> dict[str, int]:
    """Rows per profile id, by id, from pipe-joined ids ('' or missing when none fired)."""
    counts: dict[str, int] = {}
    # Few distinct combinations: split those, not every row (a million splits took seconds).
    for joined, rows in fired.fillna("").astype("str").value_counts().items():
        for profile_id in str(joined).split("|"):
            if profile_id:
                counts[profile_id] = counts.get(profile_id, 0) + int(rows)
    return dict(sorted(counts.items()))


class _Columns:
    """The frame's columns, each fetched once per `fire` (as numpy when bool or numeric)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._arrays: dict[str, np.ndarray | None] = {}

    def array(self, name: str) -> np.ndarray | None:
        """The column as a numpy array, or None when its dtype is not bool, integer or float."""
        if name not in self._arrays:
            column = self.frame[name]
            numeric = isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf"
            self._arrays[name] = column.to_numpy() if numeric else None
        return self._arrays[name]


def _numeric(value: Any) -> bool:
    """A clause value numpy compares as pandas does: a number, a flag or [low, high]."""
    values = value if isinstance(value, list) else [value]
    return all(isinstance(v, bool | int | float) for v in values)


def _evaluate(node: Clause | Group, columns: _Columns) -> np.ndarray:
    if isinstance(node, Clause):
        values = columns.array(node.field)
        if values is not None and node.op in _ARRAY_COMPARISONS and _numeric(node.value):
            return np.asarray(_ARRAY_COMPARISONS[node.op](values, node.value), dtype=bool)
        result = _COMPARISONS[node.op](columns.frame[node.field], node.value)
        return result.fillna(False).astype(bool).to_numpy()
    parts = [_evaluate(child, columns) for child in node.children]
    combine = np.logical_and if node.combine == "all" else np.logical_or
    return combine.reduce(parts)


def _parse_group(raw: object, *, source: str, path: str, known: frozenset[str] | None) -> Group:
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in ("all", "any"):
        raise ProfileError(f"{source}: {path}: give exactly one of 'all' or 'any'")
    combine, children = next(iter(raw.items()))
    if not isinstance(children, list) or not children:
        raise ProfileError(f"{source}: {path}.{combine}: needs a list of clauses")
    parsed: list[Clause | Group] = []
    for index, child in enumerate(children):
        where = f"{path}.{combine}[{index}]"
        if isinstance(child, dict) and set(child) & {"all", "any"}:
            parsed.append(_parse_group(child, source=source, path=where, known=known))
        else:
            parsed.append(_parse_clause(child, source=source, path=where, known=known))
    return Group(combine, tuple(parsed))


def _parse_clause(raw: object, *, source: str, path: str, known: frozenset[str] | None) -> Clause:
    if not isinstance(raw, dict) or not {"field", "op"} <= set(raw) or set(raw) - _CLAUSE_KEYS:
        raise ProfileError(f"{source}: {path}: a clause is {{field, op, value}}, got {raw!r}")
    clause = Clause(str(raw["field"]), str(raw["op"]), raw.get("value"))
    described = f"{source}: {path} ({clause.field} {clause.op} {clause.value!r})"
    problem = _clause_problem(clause, known)
    if problem:
        raise ProfileError(f"{described}: {problem}")
    return clause


def _clause_problem(clause: Clause, known: frozenset[str] | None) -> str | None:
    if clause.op not in _COMPARISONS:
        return f"unknown operator '{clause.op}' (use one of {', '.join(_COMPARISONS)})"
    if known is not None and clause.field not in known:
        return f"unknown field '{clause.field}'"
    if isinstance(clause.value, dict):
        return "a value cannot be a mapping"
    if clause.op in ("in", "not_in") and not isinstance(clause.value, list):
        return f"'{clause.op}' needs a list value"
    if clause.op == "between" and not (isinstance(clause.value, list) and len(clause.value) == 2):
        return "'between' needs a [low, high] list"
    if clause.op in ("is_null", "not_null"):
        return None if clause.value is None else f"'{clause.op}' takes no value"
    if clause.op in _SCALAR_OPS and (clause.value is None or isinstance(clause.value, list)):
        return f"'{clause.op}' needs a single value"
    return None


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
