"""Inspection results and scores: good frames pass, each broken rule quarantines its row."""

from __future__ import annotations

import pandas as pd
import pytest

from data_contracts import TableError, ValidationResult, validate
from data_contracts.schemas import Kind
from tests.contracts.frames import TODAY, as_csv, with_cells
from tests.factories import valid_declarations, valid_inspections, valid_scores


@pytest.fixture(scope="module")
def inspections() -> pd.DataFrame:
    return valid_inspections(valid_declarations(40, seed=3), share=0.25, seed=3)


@pytest.fixture(scope="module")
def scores() -> pd.DataFrame:
    return valid_scores(valid_declarations(20, seed=4), seed=4)


def check(frame: pd.DataFrame, kind: Kind) -> ValidationResult:
    result = validate(frame, kind, today=TODAY)
    assert result.rows_in == len(result.valid) + len(result.quarantine)
    return result


def reasons(result: ValidationResult) -> list[str]:
    return list(result.quarantine["quarantine_reason"])


def test_valid_inspections_pass_from_csv_and_typed(inspections: pd.DataFrame) -> None:
    for frame in (inspections, as_csv(inspections)):
        result = check(frame, "inspections")
        assert result.quarantine.empty
        pd.testing.assert_frame_equal(result.valid, inspections)


@pytest.mark.parametrize("propensity", ["0", "1.0001", "-0.5"])
def test_propensity_outside_zero_one(inspections: pd.DataFrame, propensity: str) -> None:
    result = check(
        with_cells(as_csv(inspections), 2, selection_propensity=propensity), "inspections"
    )
    assert reasons(result) == ["selection_propensity not in (0, 1]"]


def test_propensity_of_one_is_valid(inspections: pd.DataFrame) -> None:
    frame = with_cells(as_csv(inspections), 2, selection_propensity="1")
    assert check(frame, "inspections").quarantine.empty


@pytest.mark.parametrize(
    ("outcome", "category"), [("clean", "ods"), ("violation", "none"), ("clean", "other")]
)
def test_outcome_and_category_inconsistent(
    inspections: pd.DataFrame, outcome: str, category: str
) -> None:
    frame = with_cells(as_csv(inspections), 1, outcome=outcome, violation_category=category)
    assert reasons(check(frame, "inspections")) == [
        "outcome and violation_category inconsistent (clean if and only if none)"
    ]


def test_unknown_outcome_breaks_two_expectations(inspections: pd.DataFrame) -> None:
    frame = with_cells(as_csv(inspections), 1, outcome="seized", violation_category="none")
    assert reasons(check(frame, "inspections")) == [
        "outcome not one of clean, violation; "
        "outcome and violation_category inconsistent (clean if and only if none)"
    ]


def test_unknown_selection_reason(inspections: pd.DataFrame) -> None:
    frame = with_cells(as_csv(inspections), 0, selection_reason="tip-off")
    assert reasons(check(frame, "inspections")) == [
        "selection_reason not one of rule, model, random, officer"
    ]


def test_inspection_in_the_future(inspections: pd.DataFrame) -> None:
    frame = with_cells(as_csv(inspections), 0, inspection_date="2025-07-01")
    assert reasons(check(frame, "inspections")) == ["inspection_date after today"]


def test_inspections_missing_column(inspections: pd.DataFrame) -> None:
    with pytest.raises(TableError, match="missing required column\\(s\\): outcome"):
        check(inspections.drop(columns="outcome"), "inspections")


def test_valid_scores_pass(scores: pd.DataFrame) -> None:
    result = check(as_csv(scores), "scores")
    assert result.quarantine.empty
    pd.testing.assert_frame_equal(result.valid, scores)


def test_bad_scores_are_quarantined_with_every_reason(scores: pd.DataFrame) -> None:
    frame = with_cells(as_csv(scores), 0, p_waste="1.2", risk_score="-0.1", lane="blue")
    frame = with_cells(frame, 1, selected="maybe", selection_reason="coin flip")
    result = check(frame, "scores")
    assert reasons(result) == [
        "risk_score not in [0, 1]; p_waste not in [0, 1]; lane not one of red, yellow, green",
        "selected not true or false; selection_reason not one of , rule, model, random, officer",
    ]
    assert len(result.valid) == len(scores) - 2
