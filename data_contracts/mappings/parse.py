"""Parse a whole mapping file: its sections, a rule for every canonical column, declared gaps."""

from __future__ import annotations

from typing import Any

from data_contracts.mappings.rules import field_rule
from data_contracts.mappings.spec import (
    TABLES,
    TARGETS,
    TOP_KEYS,
    FieldRule,
    Mapping,
    MappingError,
    Node,
    compose,
)
from data_contracts.schemas import SCHEMAS, Kind

_LISTS = ("missing", "disabled_features", "drop")


def parse_mapping(text: str, *, file: str, name: str | None = None) -> Mapping:
    """Parse and check a mapping; `file` names it in errors, `name` defaults to the file's stem.

    Raises:
        MappingError: bad YAML, an unknown section, column or transform, a canonical column with
            no rule, or a `missing` field whose rule reads the source; the message starts with
            `file:line:`.
    """
    root = compose(text, file)
    if not isinstance(root.value, dict):
        raise MappingError(f"{file}:{root.line}: a mapping file is a YAML mapping of sections")
    for key, node in root.value.items():
        if key not in TOP_KEYS:
            raise MappingError(
                f"{file}:{node.line}: unknown section {key!r} (known: {', '.join(TOP_KEYS)})"
            )
    if "declarations" not in root.value:
        raise MappingError(f"{file}:1: no 'declarations' section")
    stem = file.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".yml")
    lines: dict[str, int] = {}
    tables = {kind: _table(root.value[kind], kind, file) for kind in TABLES if kind in root.value}
    lists = {key: _names(root.value.get(key), key, file, lines) for key in _LISTS}
    mapping = Mapping(
        name=str(_scalar(root.value.get("mapping"), file) or name or stem),
        file=file,
        description=str(_scalar(root.value.get("description"), file) or "").strip(),
        tables=tables,
        missing=lists["missing"],
        disabled_features=lists["disabled_features"],
        drop=lists["drop"],
        target=_target(root.value.get("target"), file, lines),
        lines=lines,
    )
    _check_missing(mapping)
    return mapping


def _target(node: Node | None, file: str, lines: dict[str, int]) -> tuple[str, ...]:
    """The declared training target: a name or a list of distinct names from `TARGETS`."""
    if node is not None and node.value is not None and not isinstance(node.value, list | dict):
        node = Node([node], node.line)
    names = _names(node, "target", file, lines)
    for position, name in enumerate(names):
        line = lines[f"target.{position}"]
        if name not in TARGETS:
            raise MappingError(
                f"{file}:{line}: unknown target {name!r} (known: {', '.join(TARGETS)})"
            )
        if name in names[:position]:
            raise MappingError(f"{file}:{line}: target {name!r} is named twice")
    return names


def _scalar(node: Node | None, file: str) -> Any:
    if node is None:
        return None
    if isinstance(node.value, dict | list):
        raise MappingError(f"{file}:{node.line}: expected a single value")
    return node.text


def _names(node: Node | None, key: str, file: str, lines: dict[str, int]) -> tuple[str, ...]:
    if node is None or node.value is None:
        return ()
    if not isinstance(node.value, list):
        raise MappingError(f"{file}:{node.line}: {key} must be a list")
    for position, item in enumerate(node.value):
        if item.text is None:
            raise MappingError(f"{file}:{item.line}: {key} entries must be names")
        lines[f"{key}.{position}"] = item.line
    return tuple(str(item.text) for item in node.value)


def _table(node: Node, kind: Kind, file: str) -> dict[str, FieldRule]:
    if not isinstance(node.value, dict):
        raise MappingError(f"{file}:{node.line}: {kind} must map canonical columns to rules")
    columns = {column.name: column for column in SCHEMAS[kind]}
    rules: dict[str, FieldRule] = {}
    for name, rule in node.value.items():
        if name not in columns:
            raise MappingError(f"{file}:{rule.line}: unknown canonical column {name!r} in {kind}")
        rules[name] = field_rule(columns[name], rule, file)
    absent = [name for name in columns if name not in rules]
    if absent:
        raise MappingError(
            f"{file}:{node.line}: {kind}: no rule for {', '.join(absent)} "
            "(map them, or declare them under missing with a filler)"
        )
    for rule in rules.values():
        if rule.source == "same_as":
            _check_same_as(rule, rules, kind, file)
    return rules


def _check_same_as(rule: FieldRule, rules: dict[str, FieldRule], kind: Kind, file: str) -> None:
    target = rules.get(str(rule.constant))
    if target is None or target.source == "same_as" or target is rule:
        raise MappingError(
            f"{file}:{rule.line}: {rule.column.name}: same_as needs another column of "
            f"{kind} that is not itself same_as, got {rule.constant!r}"
        )
    if target.column.type != rule.column.type:
        raise MappingError(
            f"{file}:{rule.line}: {rule.column.name}: same_as {rule.constant} has another type"
        )


def _check_missing(mapping: Mapping) -> None:
    """Each declared gap names a mapped canonical column filled without reading the source."""
    for position, name in enumerate(mapping.missing):
        line = mapping.lines[f"missing.{position}"]
        rule = next((rules[name] for rules in mapping.tables.values() if name in rules), None)
        if rule is None:
            raise mapping.error(line, f"missing names {name!r}, not a canonical column mapped here")
        if rule.columns:
            raise mapping.error(
                line,
                f"{name} is declared missing but its rule reads the source; "
                "a missing field needs a filler (constant or same_as)",
            )
