"""The parts of a mapping: YAML nodes with their lines, one column's rule, the whole mapping.

A mapping names, for every canonical column of the declarations table (and of the inspections
table when the source carries results), where the value comes from and which transforms apply:

    declarations:
      declaration_id: Declaration ID            # shorthand for {from: Declaration ID}
      hs_code: {from: HS6 Code, pad: 6}
      customs_value_usd: {from: Item Price, factor: 0.000847, note: KRW at 1,180 per USD}
      flow: {constant: import}
      gross_weight_kg: {same_as: net_weight_kg}
    inspections:
      inspection_date: {from: Date, date_format: "%Y-%m-%d", add_days: 7}
    missing: [gross_weight_kg]                  # the source lacks it: the rule above is a filler
    disabled_features: [net_to_gross_weight_ratio]
    drop: [Critical Fraud]                      # source columns not to carry as extra columns
    target: [other]                             # what its labels support (default: waste, ods,
                                                # wildlife); `gcrisk train` learns it by default

Every problem raises `MappingError` whose message starts with `file:line:`. `parse` builds a
`Mapping` from the text, `rules` builds each `FieldRule`, `apply` runs a mapping on a frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from data_contracts.schemas import Column, Kind

SOURCE_KEYS = ("from", "concat", "constant", "same_as")
TRANSFORM_KEYS = (
    *("separator", "default", "pad", "lookup", "replace", "otherwise"),
    *("date_format", "add_days", "cast", "factor", "note"),
)
CASTS = ("text", "number", "integer", "date")
TOP_KEYS = ("mapping", "description", "declarations", "inspections", "missing",
            "disabled_features", "drop", "target")  # fmt: skip
#: Names a mapping's `target` may use: the violation categories, or 'any' for every violation
#: (the training targets of `models.training.TrainConfig`).
TARGETS = ("waste", "ods", "wildlife", "other", "any")
TABLES: tuple[Kind, ...] = ("declarations", "inspections")


class MappingError(ValueError):
    """A mapping that cannot be used; the message starts with `file:line:` where it can."""


@dataclass(frozen=True)
class Node:
    """A YAML value and its line: a dict or list of nodes, or a scalar with its raw text."""

    value: Any
    line: int
    text: str | None = None


@dataclass(frozen=True)
class FieldRule:
    """How one canonical column is filled: a source and transforms, applied in a fixed order."""

    column: Column
    line: int
    source: str
    columns: tuple[str, ...] = ()
    constant: Any = None
    separator: str = ""
    default: str | None = None
    pad: int | None = None
    codes: dict[str, str] | None = None
    complete: bool = True
    otherwise: str | None = None
    date_format: str | None = None
    add_days: int = 0
    cast: str | None = None
    factor: float | None = None
    note: str = ""
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file."""

    name: str
    file: str
    description: str
    tables: dict[Kind, dict[str, FieldRule]]
    missing: tuple[str, ...] = ()
    disabled_features: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def error(self, line: int, message: str) -> MappingError:
        """An error pointing at a line of this mapping file."""
        return MappingError(f"{self.file}:{line}: {message}")

    def source_columns(self) -> dict[str, int]:
        """Every source column a rule reads, with the line of its first use."""
        used: dict[str, int] = {}
        for rules in self.tables.values():
            for rule in rules.values():
                for name in rule.columns:
                    used.setdefault(name, rule.lines.get(rule.source, rule.line))
        return used

    def check_features(self, known: list[str] | set[str] | tuple[str, ...]) -> None:
        """Raise when `disabled_features` names a feature not in `known` (the caller's list)."""
        for position, name in enumerate(self.disabled_features):
            if name not in known:
                line = self.lines.get(f"disabled_features.{position}", 1)
                raise self.error(line, f"unknown feature {name!r} in disabled_features")


def compose(text: str, file: str) -> Node:
    """The YAML document as nodes with line numbers (1-based)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise MappingError(f"{file}:{line}: not valid YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise MappingError(f"{file}:1: not valid YAML: {error}") from None
    if root is None:
        raise MappingError(f"{file}:1: the mapping file is empty")
    return _node(root, file, yaml.constructor.SafeConstructor())


def _node(node: yaml.Node, file: str, constructor: yaml.constructor.SafeConstructor) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        entries: dict[str, Node] = {}
        for key, value in node.value:
            name = str(key.value)
            if name in entries:
                raise MappingError(f"{file}:{key.start_mark.line + 1}: duplicate key {name!r}")
            child = _node(value, file, constructor)
            # An entry's line is its key's line: that is where a reader looks for it.
            entries[name] = Node(child.value, key.start_mark.line + 1, child.text)
        return Node(entries, line)
    if isinstance(node, yaml.SequenceNode):
        return Node([_node(item, file, constructor) for item in node.value], line)
    return Node(constructor.construct_object(node, deep=True), line, str(node.value))
