"""Commands for trainers: `gcrisk casestudy list` and `gcrisk casestudy build`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipelines.cli._core import app, progress

casestudy_app = typer.Typer(
    help="Trainer case studies: scenario packs with exercises and answer keys.",
    no_args_is_help=True,
)
app.add_typer(casestudy_app, name="casestudy")


@casestudy_app.command("list")
def casestudy_list() -> None:
    """List the case studies (scenario names) and the scheme each one plants."""
    from casestudy import brief, case_study_names

    for name in case_study_names():
        typer.echo(f"{name:<28} {brief(name).title}")


@casestudy_app.command("build")
def casestudy_build(
    name: Annotated[str, typer.Argument(help="Scenario (see gcrisk casestudy list)")],
    out: Annotated[Path, typer.Option(help="Folder for the pack", show_default=False)],
    declarations: Annotated[int, typer.Option(help="Declarations in the world")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
) -> None:
    """Build a trainer pack: officers/ (batch, scores, report, exercises) and trainer/ (answers)."""
    with progress(f"building case study {name}"):
        from pipelines.flows.casestudy import CaseStudyBuildConfig, casestudy_flow
        from pipelines.runtime import run_flow

        config = CaseStudyBuildConfig(name=name, out=out, declarations=declarations, seed=seed)
        summary = run_flow(casestudy_flow, config)
    planted = ", ".join(f"{n} {lane}" for lane, n in summary.planted_lanes.items())
    typer.echo(
        f"case study {name}: {summary.batch_declarations:,} declarations in the batch; "
        f"{summary.planted} planted shipments: {planted}"
    )
    typer.echo(f"  hand out {out / 'officers'}; keep {out / 'trainer'} (answers.md)")
    if summary.model_fallbacks:
        typer.echo(
            "warning: too few inspection results to train a model for "
            f"{', '.join(summary.model_fallbacks)}: base rates only (a bigger world helps)",
            err=True,
        )
