"""Column mappings: bring a foreign declaration export into the canonical tables.

`parse_mapping` reads and checks a YAML mapping (errors name the file and line),
`apply_mapping` runs it on a received frame. Mappings shipped with gcrisk live next to this
module (`kcs.yaml`, `asycuda.yaml`); `shipped_mapping(name)` loads one.
"""

from __future__ import annotations

from importlib import resources

from data_contracts.mappings.apply import MappedTable, apply_mapping, check_source, join_reasons
from data_contracts.mappings.parse import parse_mapping
from data_contracts.mappings.spec import FieldRule, Mapping, MappingError

__all__ = [
    "FieldRule",
    "MappedTable",
    "Mapping",
    "MappingError",
    "apply_mapping",
    "check_source",
    "join_reasons",
    "parse_mapping",
    "shipped_mapping",
    "shipped_mappings",
]


def shipped_mappings() -> list[str]:
    """Names of the mappings shipped with gcrisk."""
    files = resources.files(__name__).iterdir()
    return sorted(item.name.removesuffix(".yaml") for item in files if item.name.endswith(".yaml"))


def shipped_mapping(name: str) -> Mapping:
    """A shipped mapping by name.

    Raises:
        MappingError: no shipped mapping has that name, or it does not parse.
    """
    known = shipped_mappings()
    if name not in known:
        raise MappingError(f"unknown mapping {name!r} (shipped: {', '.join(known)})")
    text = resources.files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return parse_mapping(text, file=f"{name}.yaml", name=name)
