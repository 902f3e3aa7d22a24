"""The canonical data contracts: schemas, GX expectation suites, validate and quarantine."""

from data_contracts import schemas
from data_contracts.coercion import TableError, coerce
from data_contracts.schemas import Kind
from data_contracts.validation import ValidationResult, validate

__all__ = ["Kind", "TableError", "ValidationResult", "coerce", "schemas", "validate"]
