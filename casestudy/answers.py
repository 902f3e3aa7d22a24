"""Exercises for officers and their answers, computed from the case study itself.

The questions are fixed text (`questions`), so a notebook can print them in Markdown; the
answers (`answer_key`) are computed from the study, so the notebook's answer key and the trainer
pack's `answers.md` carry the numbers the pipeline produced for that world, never typed by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from casestudy.briefs import brief
from casestudy.patterns import MEASURES, Pattern, median
from casestudy.study import CaseStudy, lane_counts, selection_counts

FLAGGED = ("red", "yellow")
LANES_QUESTION = (
    "How many declarations are in the batch, and how many did the pipeline put in the red, "
    "yellow and green lanes?"
)
REASONS_QUESTION = (
    "Among the declarations you found that are in the red or yellow lane, which reason is "
    "given most often? Say in your own words what it checks."
)
TOUR_QUESTIONS = (
    LANES_QUESTION,
    "Which risk profile fired on the most declarations of the batch, and how many of its hits "
    "ended in the red lane?",
    "Against the hidden truth: what share of the red lane is illicit, what share of the batch's "
    "illicit declarations is in the red lane, and what is the hit rate of the random part of "
    "the red lane?",
    "Which category's model had the best validation average precision, and did any category "
    "fall back to its base rate?",
)


@dataclass(frozen=True)
class Answer:
    """One exercise and its answer."""

    question: str
    answer: str


def _lanes_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {lane}" for lane, n in counts.items())


def _lanes(study: CaseStudy) -> str:
    scored = study.scored
    selected = selection_counts(scored)
    by_reason = ", ".join(f"{n:,} by {reason}" for reason, n in selected.items()) or "none"
    return (
        f"{len(scored):,} declarations ({study.config.review_start} to "
        f"{study.config.review_end}): {_lanes_text(lane_counts(scored))}. The red lane was "
        f"filled {by_reason} (budget {study.config.budget:.0%} of the batch, "
        f"{study.config.exploration:.0%} of it random)."
    )


def _matches(study: CaseStudy) -> pd.DataFrame:
    """The batch rows that fit the scenario's pattern, with a `planted` column (truth)."""
    scored = study.scored
    found = Pattern.of_scenario(str(study.config.scenario)).matches(scored).to_numpy()
    return scored[found].assign(planted=study.planted_mask.to_numpy()[found])


def _pattern(study: CaseStudy) -> str:
    matches = _matches(study)
    planted = int(matches["planted"].sum())
    others = len(matches) - planted
    note = (
        f"the other {others} {'is' if others == 1 else 'are'} legitimate trade on the same "
        "codes and route, so the filter alone is not enough"
        if others
        else "no legitimate trade took this route under these codes in the batch"
    )
    return (
        f"{len(matches):,} declarations fit: {_lanes_text(lane_counts(matches))}. (Trainer: "
        f"{planted} of them are the planted shipments; {note}.)"
    )


def _measure(study: CaseStudy) -> str:
    name = str(study.config.scenario)
    measure = MEASURES[brief(name).measure]
    pattern = Pattern.of_scenario(name)
    scored = study.scored
    found = pattern.matches(scored)
    others = pattern.same_codes(scored) & ~found
    usual = median(measure.values(study.history[pattern.same_codes(study.history)]))
    mine, theirs = median(measure.values(scored[found])), median(measure.values(scored[others]))
    planted = median(measure.values(study.planted))
    return (
        f"Median {mine:,.2f} for the {int(found.sum()):,} declarations found against "
        f"{theirs:,.2f} for the other {int(others.sum()):,} under the same codes (ratio "
        f"{mine / theirs:.2f}); before the batch the median was {usual:,.2f}. (Trainer: the "
        f"planted shipments alone have a median of {planted:,.2f}, {planted / usual:.2f} times "
        "the median before the batch.)"
    )


def top_reason(frame: pd.DataFrame) -> tuple[str, int]:
    """The reason given most often in `frame['reasons']`, and how often."""
    parts = frame["reasons"].astype("str").str.split("; ").explode()
    counts = parts[parts != ""].value_counts()
    return (str(counts.index[0]), int(counts.iloc[0])) if len(counts) else ("", 0)


def _reasons(study: CaseStudy) -> str:
    matches = _matches(study)
    flagged = matches[matches["lane"].isin(FLAGGED)]
    reason, count = top_reason(flagged)
    if not count:
        return "None of them is in the red or yellow lane, so no reason is given."
    answer = f"'{reason}' ({count} of {len(flagged)} flagged declarations)."
    if reason.startswith("profile "):
        profile = study.profiles.get(reason.removeprefix("profile ").split(":")[0])
        answer += f" The profile's rationale: {' '.join(profile.rationale.split())}"
    return answer


def _no_permit(study: CaseStudy) -> str:
    matches = _matches(study)
    missing = matches["permit_reference"].astype("str").str.strip().eq("")
    red = int((missing & matches["lane"].eq("red")).sum())
    return f"{int(missing.sum())} of {len(matches)} quote no permit reference ({red} in red)."


def _with_permit(study: CaseStudy) -> str:
    matches = _matches(study)
    present = matches["permit_reference"].astype("str").str.strip().ne("")
    return f"{int(present.sum())} of {len(matches)} carry a permit or consent reference."


def _selected_how(study: CaseStudy) -> str:
    matches = _matches(study)
    red = matches[matches["lane"] == "red"]
    how = ", ".join(f"{n} by {k}" for k, n in selection_counts(red).items()) or "none"
    planted = red[red["planted"]]
    scored = study.scored
    random = scored["selection_reason"].eq("random")
    # Every declaration the targeted part passed over had the same chance to be picked.
    chance = float(scored.loc[random, "selection_propensity"].max()) if random.any() else 0.0
    expected = chance * int(study.planted_mask.sum())
    return (
        f"{len(red)} of {len(matches)} are in the red lane (selected: {how}); {len(planted)} "
        f"of those are planted, {int(planted['selection_reason'].eq('random').sum())} picked "
        f"by the random stream. The random stream drew {int(random.sum())} declarations, each "
        f"with a chance of {chance:.2%}, so it could expect to pick {expected:.1f} of the "
        f"{int(study.planted_mask.sum())} planted shipments."
    )


def _heavy(study: CaseStudy) -> str:
    name = str(study.config.scenario)
    measure = MEASURES[brief(name).measure]
    pattern = Pattern.of_scenario(name)
    before = measure.values(study.history[pattern.same_codes(study.history)]).dropna()
    limit = float(before.quantile(0.95)) if len(before) else float("nan")
    matches = _matches(study)
    heavy = (measure.values(matches) > limit).to_numpy()
    return (
        f"{int(heavy.sum())} of {len(matches)} weigh more than {limit:,.0f} kg per container, "
        "the heaviest 5% of the containers declared under the same code before the batch "
        f"({int((heavy & matches['planted'].to_numpy()).sum())} of them planted)."
    )


_FOLLOW_UPS: dict[str, tuple[str, Callable[[CaseStudy], str]]] = {
    "ods-label-swap": (
        "How many of the declarations you found quote no licence? For the others, what would "
        "you check beyond the licence number?",
        _no_permit,
    ),
    "ewaste-as-used-goods": (
        "How many of the declarations you found carry a permit or consent reference? What "
        "evidence makes used electronics goods rather than waste?",
        _with_permit,
    ),
    "plastic-rerouting-after-ban": (
        "How many of the declarations you found did the pipeline send to the red lane, and why "
        "(rule, model or random)? Which part of the red lane can find a scheme that began "
        "after the model was trained?",
        _selected_how,
    ),
    "ivory-in-cover-goods": (
        "How many of the declarations you found weigh more per container than the heaviest 5% "
        "of the containers declared under the same code before the batch? What would you do "
        "at the port?",
        _heavy,
    ),
    "rosewood-generic-timber": (
        "How many of the declarations you found quote no permit? Which permit must travel with "
        "this wood, and does it matter that the cargo is only in transit?",
        _no_permit,
    ),
}


def _follow_up(study: CaseStudy) -> str:
    name = str(study.config.scenario)
    return f"{_FOLLOW_UPS[name][1](study)} {brief(name).check}"


def _top_profile(study: CaseStudy) -> str:
    scored = study.scored
    fired = scored["rules_fired"].astype("str").str.split("|").explode()
    counts = fired[fired != ""].value_counts()
    if not len(counts):
        return "No profile fired on the batch."
    top = str(counts.index[0])
    hits = scored["rules_fired"].astype("str").str.split("|").map(lambda ids: top in ids)
    red = int(scored.loc[hits.astype(bool), "lane"].eq("red").sum())
    title = study.profiles.get(top).title
    return f"{top} ({title}): {int(counts.iloc[0]):,} hits, {red:,} of them in the red lane."


def _against_truth(study: CaseStudy) -> str:
    illicit = study.truth["is_illicit"].astype(bool).to_numpy()
    lane = study.scored["lane"].to_numpy()
    red = lane == "red"
    random = study.scored["selection_reason"].eq("random").to_numpy()
    caught = int(illicit[red].sum())
    return (
        f"{caught / max(red.sum(), 1):.1%} of the red lane is illicit ({caught} of "
        f"{int(red.sum())}); it holds {caught / max(illicit.sum(), 1):.1%} of the batch's "
        f"{int(illicit.sum())} illicit declarations. The random part hit "
        f"{int(illicit[random].sum())} of {int(random.sum())}; in the whole batch "
        f"{illicit.mean():.2%} of declarations are illicit."
    )


def _models(study: CaseStudy) -> str:
    models = study.model.models
    trained = {name: m.valid_average_precision or 0.0 for name, m in models.items() if m.booster}
    fallback = [name for name, m in models.items() if m.booster is None]
    if not trained:
        return "No category had enough labelled violations: every one fell back."
    best = max(trained, key=lambda name: trained[name])
    rest = f"fell back to the base rate: {', '.join(fallback)}." if fallback else "none fell back."
    return f"{best} ({trained[best]:.3f}); {rest}"


def questions(scenario: str | None) -> list[str]:
    """The exercises of a case study (the tour when `scenario` is None), as fixed text."""
    if scenario is None:
        return list(TOUR_QUESTIONS)
    this = brief(scenario)
    return [
        LANES_QUESTION,
        f"{this.look_for}. How many declarations of the batch fit this description, and in "
        "which lanes are they?",
        f"Compare the {MEASURES[this.measure].label} of the declarations you found with that "
        "of the other declarations of the batch under the same codes (medians). What do you "
        "see?",
        REASONS_QUESTION,
        _FOLLOW_UPS[scenario][0],
    ]


def answer_key(study: CaseStudy) -> list[Answer]:
    """The exercises of a case study with their answers, computed from the study."""
    if study.config.scenario is None:
        steps = [_lanes, _top_profile, _against_truth, _models]
    else:
        steps = [_lanes, _pattern, _measure, _reasons, _follow_up]
    texts = questions(study.config.scenario)
    return [Answer(text, step(study)) for text, step in zip(texts, steps, strict=True)]
