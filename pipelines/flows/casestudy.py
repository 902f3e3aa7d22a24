"""`casestudy-build`: a trainer pack for one scenario, without Jupyter.

The pack holds two folders. `officers/` is what a trainer hands out: the batch as lodged
(`batch.csv`, no truth), the pipeline's scored list (`scores.csv`), the batch report and the
exercises. `trainer/` is kept back: the answer key (Markdown, and a page with pictures), the
world's files with the hidden truth, and the counts. Everything comes from
`casestudy`, the same calls the notebooks make, so pack and notebook agree.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from pydantic import BaseModel, Field, ValidationError, model_validator

from casestudy import CaseStudyConfig, case_study_names, summary
from pipelines.flows.simulate import first_problem
from pipelines.settings import Settings
from pipelines.steps.casestudy import run_study, write_index, write_officers, write_trainer


class CaseStudyBuildConfig(BaseModel):
    """The scenario to build and where to put its pack."""

    name: str = Field(description="Scenario name (gcrisk casestudy list)")
    out: Path = Field(description="Folder for the pack (officers/ and trainer/)")
    declarations: int = Field(default=100_000, description="Declarations in the world")
    seed: int = Field(default=7, description="Random seed of the world and the selection")

    @model_validator(mode="after")
    def _a_study_that_can_be_built(self) -> CaseStudyBuildConfig:
        # Refused here, so a bad option fails before the world is simulated.
        if self.name not in case_study_names():
            known = ", ".join(case_study_names())
            raise ValueError(f"unknown case study {self.name!r}; known: {known}")
        try:
            self.study_config()
        except ValidationError as error:
            raise ValueError(first_problem(error)) from None
        return self

    def study_config(self) -> CaseStudyConfig:
        """The case study's configuration."""
        return CaseStudyConfig(scenario=self.name, declarations=self.declarations, seed=self.seed)


class CaseStudyBuildSummary(BaseModel):
    """What the pack holds, for the command line and `trainer/casestudy.json`."""

    name: str
    out: str
    batch_declarations: int
    lanes: dict[str, int]
    planted: int
    planted_lanes: dict[str, int]
    planted_selected_by: dict[str, int]
    model_fallbacks: list[str]
    files: list[str]


@flow(name="casestudy-build", validate_parameters=True)
def casestudy_flow(config: CaseStudyBuildConfig) -> CaseStudyBuildSummary:
    """Run the scenario's case study and write the officers' and the trainer's material."""
    study = run_study(config.study_config(), Settings())
    files = write_officers(study, config.out / "officers")
    files += write_trainer(study, config.out / "trainer")
    counts = summary(study)
    result = CaseStudyBuildSummary(
        name=config.name,
        out=str(config.out),
        batch_declarations=counts["batch_declarations"],
        lanes=counts["lanes"],
        planted=counts["planted"],
        planted_lanes=counts["planted_lanes"],
        planted_selected_by=counts["planted_selected_by"],
        model_fallbacks=counts["model_fallbacks"],
        files=[str(path) for path in files],
    )
    write_index(study, counts, result.files, config.out)
    return result
