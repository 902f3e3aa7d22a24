"""The case-study notebooks as stored: no outputs, the project's code, the exercises, the key."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from casestudy import brief, case_study_names, questions

REPO = Path(__file__).resolve().parents[2]
FOLDER = REPO / "notebooks"
EXPECTED = ["00-tour", *case_study_names()]


def load(name: str) -> nbformat.NotebookNode:
    return nbformat.read(FOLDER / f"{name}.ipynb", as_version=4)


def text_of(notebook: nbformat.NotebookNode, kind: str) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == kind)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_there_is_a_tour_and_one_notebook_per_scenario() -> None:
    assert sorted(path.stem for path in FOLDER.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_stored_without_outputs_or_execution_counts(name: str) -> None:
    notebook = load(name)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: cell {cell.id} has outputs"
            assert cell.execution_count is None, f"{name}: cell {cell.id} has a count"
        assert "execution" not in cell.metadata, f"{name}: cell {cell.id} has timings"


@pytest.mark.parametrize("name", EXPECTED)
def test_uses_the_project_packages_and_copies_no_logic(name: str) -> None:
    code = text_of(load(name), "code")
    assert "from casestudy import" in code
    assert not re.search(r"^\s*(def|class) ", code, flags=re.MULTILINE)
    assert "%matplotlib inline" in code


@pytest.mark.parametrize("name", EXPECTED)
def test_exercises_are_the_answer_keys_questions(name: str) -> None:
    notebook = load(name)
    markdown = flat(text_of(notebook, "markdown"))
    scenario = None if name == "00-tour" else name
    for question in questions(scenario):
        assert flat(question) in markdown
    trainer = [cell for cell in notebook.cells if "trainer" in cell.metadata.get("tags", [])]
    assert any("## Answer key" in cell.source for cell in trainer)
    assert any("answer_key(study)" in cell.source for cell in trainer)
    # The answers only come after the exercises, so a trainer can cut the notebook there.
    positions = [i for i, cell in enumerate(notebook.cells) if cell in trainer]
    exercises = next(i for i, c in enumerate(notebook.cells) if "## Exercises" in c.source)
    assert min(positions) > exercises


@pytest.mark.parametrize("name", case_study_names())
def test_scenario_notebook_builds_its_scenario_and_cites_sources(name: str) -> None:
    notebook = load(name)
    assert f'CaseStudyConfig(scenario="{name}")' in text_of(notebook, "code")
    keys = set(re.findall(r"S_[A-Z0-9_]+", brief(name).background))
    assert keys and keys <= set(re.findall(r"S_[A-Z0-9_]+", text_of(notebook, "markdown")))
    reference = (REPO / "data_contracts" / "reference" / "REFERENCE.md").read_text()
    assert all(f"**{key}**" in reference for key in keys)
