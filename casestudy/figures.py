"""Pictures of a case study: the telling measure against the market, routes, scores by lane.

Each function returns a matplotlib `Figure` built without pyplot (no backend, nothing global);
a notebook displays it inline, a pack saves it as a PNG. With `reveal=True` the planted
shipments (the hidden truth) are drawn; without it only what an officer can see.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from casestudy.briefs import brief
from casestudy.documents import route
from casestudy.patterns import MEASURES, Pattern, median
from casestudy.study import LANES, CaseStudy

COLOURS = {"red": "#b3261e", "yellow": "#d9a400", "green": "#3b7d3b"}
PLANTED = "#1d2733"


def _codes(pattern: Pattern) -> str:
    return ", ".join(f"{code[:4]}.{code[4:]}" for code in pattern.codes)


def lanes_figure(study: CaseStudy, *, reveal: bool = True) -> Figure:
    """Every batch declaration's risk score by lane; the planted ones marked when revealed."""
    scored = study.scored
    figure = Figure(figsize=(7, 3.6))
    axis = figure.subplots()
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(scored))
    position = scored["lane"].map({lane: i for i, lane in enumerate(LANES)}).to_numpy()
    risk = scored["risk_score"].clip(lower=1e-5).to_numpy()
    for i, lane in enumerate(LANES):
        rows = position == i
        axis.scatter(risk[rows], i + jitter[rows], s=4, alpha=0.3, color=COLOURS[lane])
    if reveal and study.config.scenario is not None:
        planted = study.planted_mask.to_numpy()
        axis.scatter(
            risk[planted],
            position[planted] + jitter[planted],
            s=40,
            marker="x",
            color=PLANTED,
            label=f"planted ({int(planted.sum())})",
        )
        axis.legend(loc="lower right", fontsize="small")
    axis.set_xscale("log")
    axis.set_yticks(range(len(LANES)), [f"{lane} lane" for lane in LANES])
    axis.set_xlabel("risk score (probability of a violation, log scale)")
    axis.set_title("Risk score of every declaration in the batch, by lane")
    figure.tight_layout()
    return figure


def measure_figure(study: CaseStudy, *, reveal: bool = True) -> Figure:
    """The scenario's telling measure under its codes: the suspects against the rest."""
    name = str(study.config.scenario)
    measure = MEASURES[brief(name).measure]
    pattern = Pattern.of_scenario(name)
    scored = study.scored
    same = pattern.same_codes(scored).to_numpy()
    suspect = study.planted_mask.to_numpy() if reveal else pattern.matches(scored).to_numpy()
    values = np.log10(measure.values(scored).clip(lower=1e-3)).to_numpy()
    groups = {
        "other declarations, same codes": values[same & ~suspect],
        ("planted shipments" if reveal else "declarations fitting the pattern"): values[suspect],
    }
    finite = values[same & np.isfinite(values)]
    bins = list(np.linspace(finite.min(), finite.max(), 40)) if len(finite) else 10
    figure = Figure(figsize=(7, 3.6))
    axis = figure.subplots()
    for (label, data), colour in zip(groups.items(), ("#8a97a6", PLANTED), strict=True):
        axis.hist(data[np.isfinite(data)], bins=bins, alpha=0.7, color=colour, label=label)
    usual = median(measure.values(study.history[pattern.same_codes(study.history)]))
    if np.isfinite(usual):
        axis.axvline(np.log10(usual), color=COLOURS["red"], linestyle="--", label="usual before")
    axis.set_xlabel(f"log10 of {measure.label}")
    axis.set_ylabel("declarations")
    axis.set_title(f"{measure.label[0].upper()}{measure.label[1:]}, HS {_codes(pattern)}")
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


def routes_figure(study: CaseStudy, *, reveal: bool = True, top: int = 8) -> Figure:
    """The commonest routes under the scenario's codes (or of the planted ones), by lane."""
    pattern = Pattern.of_scenario(str(study.config.scenario))
    scored = study.scored
    rows = study.planted_mask if reveal else pattern.same_codes(scored)
    frame = scored[rows.to_numpy()].assign(route=lambda f: route(f))
    table = pd.crosstab(frame["route"], frame["lane"]).reindex(columns=list(LANES), fill_value=0)
    table = table.loc[table.sum(axis=1).sort_values(ascending=False).index[:top]].iloc[::-1]
    figure = Figure(figsize=(7, 0.35 * len(table) + 1.4))
    axis = figure.subplots()
    left = np.zeros(len(table))
    for lane in LANES:
        axis.barh(table.index, table[lane], left=left, color=COLOURS[lane], label=lane)
        left += table[lane].to_numpy()
    who = "the planted shipments" if reveal else f"declarations under HS {_codes(pattern)}"
    axis.set_title(f"Routes of {who}, by lane")
    axis.set_xlabel("declarations (route: origin>consigned from>transit>destination)")
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure
