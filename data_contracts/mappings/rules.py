"""One column's rule: read and check its source and transforms.

A rule has exactly one source: `from` (a source column), `concat` (source columns joined by
`separator`), `constant` (a value in the column's type) or `same_as` (another canonical column of
the same table, after its own rule). The transforms of a `from`/`concat` rule apply in this order:

1. `default`: text used where the source cell is empty;
2. `pad`: left-pad with zeros to that many characters (codes that lost a leading zero);
3. `lookup` (a complete code list: a code not in it fails the row unless `otherwise` gives a
   value) or `replace` (a partial one: codes not in it are kept);
4. reading the value in the column's type (`cast` reads text columns as numbers first): dates
   with `date_format` (strftime codes; ISO 8601 without one) plus `add_days`, numbers times
   `factor` (unit or currency conversion).

`note` documents the rule and is not applied.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from data_contracts.mappings.spec import (
    CASTS,
    SOURCE_KEYS,
    TRANSFORM_KEYS,
    FieldRule,
    MappingError,
    Node,
)
from data_contracts.schemas import Column

#: Casts each column type accepts.
_CASTS_FOR = {
    "string": ("text", "number", "integer"),
    "float": ("number", "integer"),
    "integer": ("number", "integer"),
    "date": ("date",),
}


def field_rule(column: Column, node: Node, file: str) -> FieldRule:
    """The rule for `column` from its node (a source column name, or a mapping of keys)."""
    if not isinstance(node.value, dict):
        if node.text is None or node.value is None or isinstance(node.value, list):
            raise MappingError(f"{file}:{node.line}: {column.name}: expected a source column name "
                               "or a mapping of transforms")  # fmt: skip
        return FieldRule(column, node.line, "from", columns=(node.text,), lines={"from": node.line})
    keys: dict[str, Node] = node.value
    for key, value in keys.items():
        if key not in SOURCE_KEYS + TRANSFORM_KEYS:
            raise MappingError(
                f"{file}:{value.line}: unknown transform {key!r} for {column.name} "
                f"(known: {', '.join(SOURCE_KEYS + TRANSFORM_KEYS)})"
            )
    sources = [key for key in SOURCE_KEYS if key in keys]
    if len(sources) != 1:
        raise MappingError(
            f"{file}:{node.line}: {column.name} needs exactly one of {', '.join(SOURCE_KEYS)}"
        )
    source = sources[0]
    options = _Options(column, keys, file)
    lines = {key: value.line for key, value in keys.items()}
    note = options.text("note") or ""
    if source in ("constant", "same_as"):
        options.only(source, "note")
        constant = (
            _constant(column, keys["constant"], file)
            if source == "constant"
            else options.text("same_as")
        )
        return FieldRule(column, node.line, source, constant=constant, note=note, lines=lines)
    return FieldRule(
        column,
        node.line,
        source,
        columns=options.columns(source),
        separator=options.text("separator") or "",
        default=options.text("default"),
        pad=options.integer("pad", minimum=1),
        codes=options.codes(),
        complete="replace" not in keys,
        otherwise=options.text("otherwise"),
        date_format=options.text("date_format"),
        add_days=options.integer("add_days") or 0,
        cast=options.cast(),
        factor=options.number("factor"),
        note=note,
        lines=lines,
    )


class _Options:
    """Typed access to a rule's keys, with errors that point at the key's line."""

    def __init__(self, column: Column, keys: dict[str, Node], file: str) -> None:
        self.column, self.keys, self.file = column, keys, file
        self._check_combinations()

    def fail(self, key: str, message: str) -> MappingError:
        line = self.keys[key].line
        return MappingError(f"{self.file}:{line}: {self.column.name}: {message}")

    def _check_combinations(self) -> None:
        keys, kind = self.keys, self.column.type
        if "lookup" in keys and "replace" in keys:
            raise self.fail("replace", "use lookup (complete code list) or replace, not both")
        needs = {"otherwise": "lookup", "separator": "concat"}
        for key, other in needs.items():
            if key in keys and other not in keys:
                raise self.fail(key, f"{key} only goes with {other}")
        for key in ("date_format", "add_days"):
            if key in keys and kind != "date":
                raise self.fail(key, f"{key} only applies to a date column")
        if "factor" in keys and kind not in ("float", "integer"):
            raise self.fail("factor", "factor only applies to a numeric column")

    def only(self, source: str, *allowed: str) -> None:
        for key in self.keys:
            if key not in (source, *allowed):
                raise self.fail(key, f"{key} does not apply to a {source} rule")

    def text(self, key: str) -> str | None:
        node = self.keys.get(key)
        if node is None:
            return None
        if isinstance(node.value, dict | list):
            raise self.fail(key, f"{key} must be a single value")
        return "" if node.value is None else str(node.text)

    def number(self, key: str) -> float | None:
        node = self.keys.get(key)
        if node is None:
            return None
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise self.fail(key, f"{key} must be a number, got {node.text!r}")
        return float(node.value)

    def integer(self, key: str, *, minimum: int | None = None) -> int | None:
        node = self.keys.get(key)
        if node is None:
            return None
        value = node.value
        too_small = minimum is not None and isinstance(value, int) and value < minimum
        if isinstance(value, bool) or not isinstance(value, int) or too_small:
            at_least = f" >= {minimum}" if minimum is not None else ""
            raise self.fail(key, f"{key} must be a whole number{at_least}, got {node.text!r}")
        return value

    def columns(self, source: str) -> tuple[str, ...]:
        node = self.keys[source]
        if source == "from":
            return (self._name(node, source),)
        if not isinstance(node.value, list) or len(node.value) < 2:
            raise self.fail(source, "concat needs a list of at least two source columns")
        return tuple(self._name(item, source) for item in node.value)

    def _name(self, node: Node, key: str) -> str:
        if node.text is None or node.value is None or node.text == "":
            raise MappingError(f"{self.file}:{node.line}: {self.column.name}: {key} needs a "
                               "source column name")  # fmt: skip
        return node.text

    def codes(self) -> dict[str, str] | None:
        key = "lookup" if "lookup" in self.keys else "replace" if "replace" in self.keys else None
        if key is None:
            return None
        table = self.keys[key].value
        if not isinstance(table, dict) or not table:
            raise self.fail(key, f"{key} must be a non-empty table of source code: value")
        codes: dict[str, str] = {}
        for code, value in table.items():
            if isinstance(value.value, dict | list):
                raise MappingError(f"{self.file}:{value.line}: {self.column.name}: {key} "
                                   f"value for {code!r} must be a single value")  # fmt: skip
            codes[code] = "" if value.value is None else str(value.text)
        return codes

    def cast(self) -> str | None:
        cast = self.text("cast")
        if cast is None:
            return None
        allowed = _CASTS_FOR.get(self.column.type, CASTS)
        if cast not in allowed:
            raise self.fail("cast", f"cast {cast!r} does not fit a {self.column.type} column "
                                    f"(use {', '.join(allowed)})")  # fmt: skip
        return cast


def _constant(column: Column, node: Node, file: str) -> Any:
    """A constant in the column's type; text columns keep the raw text (so `NO` stays 'NO')."""
    if isinstance(node.value, dict | list):
        raise MappingError(f"{file}:{node.line}: {column.name}: constant must be a single value")
    if column.type == "string":
        return "" if node.value is None else str(node.text)
    try:
        if column.type == "date":
            return pd.Timestamp(str(node.text)).normalize()
        if column.type == "integer":
            return int(str(node.text))
        return float(str(node.text))
    except ValueError:
        raise MappingError(
            f"{file}:{node.line}: {column.name}: constant {node.text!r} is not a {column.type}"
        ) from None
