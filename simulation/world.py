"""Build a simulated customs world: `simulate(WorldConfig()) -> World`.

Stages: plan (catalogue, timing), draw the illicit shipments (and a scenario's planted ones),
draw the legitimate trade around them, fill in declared values, run the legacy inspection
policy (networks adapt to their seizures), then assemble the canonical frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulation import drift, illicit, inspection, planning, smuggling, trade
from simulation.assemble import Context, declaration_ids, declarations, fill
from simulation.config import WorldConfig
from simulation.ids import pseudonyms
from simulation.modus_operandi import TACTICS
from simulation.permits import licence_numbers
from simulation.physics import trader_price_levels
from simulation.population import Population, build_population
from simulation.register import abuse_labels, permit_register
from simulation.scenarios import SCENARIOS
from simulation.summary import summarise
from simulation.tactics import Tactic
from simulation.text import phrase_table


@dataclass(frozen=True)
class World:
    """Declarations, the legacy policy's inspections, the hidden truth, the permit register and
    how it was made."""

    declarations: pd.DataFrame
    inspections: pd.DataFrame
    truth: pd.DataFrame
    config: WorldConfig
    facts: dict[str, Any] = field(default_factory=dict)
    permits: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> dict[str, Any]:
        """JSON-ready configuration and figures of this world."""
        return summarise(self)


@dataclass(frozen=True)
class Smuggling:
    """Every illicit row (and front companies' test rows), the networks, the grown population."""

    rows: pd.DataFrame
    networks: pd.DataFrame
    population: Population
    tactics: tuple[Tactic, ...]
    planted: dict[str, Any]


def _with_traders(population: Population, added: pd.DataFrame) -> Population:
    traders = pd.concat([population.traders, added], ignore_index=True)
    return Population(
        traders=traders,
        declarant_sizes=population.declarant_sizes,
        chapters=population.chapters,
        pool_traders=population.pool_traders,
        pool_slots=population.pool_slots,
        pool_bounds=population.pool_bounds,
    )


def _chapter_of_code(plan: planning.Setting, population: Population) -> np.ndarray:
    chapters = {name: i for i, name in enumerate(population.chapters)}
    return plan.catalogue["ch"].map(chapters).fillna(0).astype(int).to_numpy()


def _plant(
    config: WorldConfig,
    plan: planning.Setting,
    population: Population,
    rng: np.random.Generator,
) -> tuple[smuggling.Illicit | None, dict[str, Any]]:
    """The scenario's planted shipments (one network, a known window), or none."""
    if config.scenario is None:
        return None, {}
    scenario = SCENARIOS[config.scenario]
    days = plan.calendar.days
    anchor = plan.ban if scenario.after_ban else 0
    window = config.scenario_window or scenario.window
    start = min(days - 2, anchor + int(window[0] * days))
    end = min(days - 1, max(start + 1, anchor + int(window[1] * days)))
    tactics = (*TACTICS, scenario.tactic)
    counts = np.zeros(len(tactics), dtype=np.int64)
    counts[-1] = scenario.count(config.declarations)
    every = np.ones(len(tactics), dtype=np.int64)
    timing = illicit.Timing(every * start, every * end, plan.ban, every * 1.0, every == 1)
    planted = smuggling.build_illicit(
        config.model_copy(update={"network_share": 1.0, "one_off_share": 0.0}),
        tactics,
        counts=counts,
        chapter_of_code=_chapter_of_code(plan, population),
        code_ids=plan.code_ids,
        population=population,
        calendar=plan.calendar,
        timing=timing,
        rng=rng,
    )
    dates = [str(plan.calendar.start + pd.Timedelta(days=d)) for d in (start, end)]
    facts = {"start_day": start, "end_day": end, "count": int(counts[-1]), "window": dates}
    return planted, facts


def _smuggling(
    config: WorldConfig, plan: planning.Setting, population: Population, rng: np.random.Generator
) -> Smuggling:
    """The default tactics' shipments, then the scenario's planted ones on top."""
    total = round(config.declarations * config.illicit_share)
    counts = illicit.tactic_counts(total, config, TACTICS, plan.timing, plan.calendar.days, rng)
    main = smuggling.build_illicit(
        config,
        TACTICS,
        counts=counts,
        chapter_of_code=_chapter_of_code(plan, population),
        code_ids=plan.code_ids,
        population=population,
        calendar=plan.calendar,
        timing=plan.timing,
        rng=rng,
    )
    grown = _with_traders(population, main.traders)
    planted, facts = _plant(config, plan, grown, rng)
    if planted is None:
        return Smuggling(main.skeleton, main.networks, grown, TACTICS, facts)
    net = planted.skeleton["network"].to_numpy()
    moved = planted.skeleton.assign(network=np.where(net >= 0, net + len(main.networks), -1))
    return Smuggling(
        rows=pd.concat([main.skeleton, moved], ignore_index=True),
        networks=pd.concat([main.networks, planted.networks], ignore_index=True),
        population=_with_traders(grown, planted.traders),
        tactics=(*TACTICS, SCENARIOS[str(config.scenario)].tactic),
        planted=facts,
    )


def _skeleton(
    config: WorldConfig,
    plan: planning.Setting,
    population: Population,
    smuggled: Smuggling,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Legitimate trade around the illicit rows, with noise and the ban; sorted and numbered."""
    floors = planning.illicit_codes(smuggled.rows, smuggled.networks)
    legit = trade.legit_skeleton(
        config.declarations - len(smuggled.rows),
        catalogue=plan.catalogue,
        weights=planning.floored_weights(plan.catalogue, floors, config.declarations, rng),
        population=population,
        calendar=plan.calendar,
        tactic_routes=planning.tactic_routes(smuggled.tactics, plan.code_ids),
        rng=rng,
    )
    skeleton = pd.concat([legit, smuggled.rows[legit.columns]], ignore_index=True)
    skeleton = trade.add_clerical_noise(skeleton, rate=config.legit_error_rate, rng=rng)
    heading = plan.catalogue["heading"].to_numpy()
    skeleton = drift.apply_import_ban(skeleton, heading, config=config, day=plan.ban, rng=rng)
    order, ids = declaration_ids(rng, skeleton["day"].to_numpy())
    return skeleton.iloc[order].reset_index(drop=True).assign(declaration_id=ids)


def _context(
    config: WorldConfig, plan: planning.Setting, smuggled: Smuggling, rng: np.random.Generator
) -> Context:
    traders = smuggled.population.traders
    return Context(
        catalogue=plan.catalogue,
        traders=traders,
        trader_price=trader_price_levels(rng, len(traders)),
        licences=licence_numbers(rng, len(traders)),
        calendar=plan.calendar,
        phrases=phrase_table(plan.catalogue),
        covers=smuggling.cover_texts(smuggled.tactics)[0],
        code_covers=planning.code_covers(smuggled.tactics, plan.code_ids),
        sigma=config.unit_value_sigma,
    )


def simulate(config: WorldConfig) -> World:
    """Build the world the configuration describes (same configuration, same frames)."""
    rng = np.random.default_rng(config.seed)
    plan = planning.setting(config)
    population = build_population(config, plan.catalogue, plan.calendar, rng)
    smuggled = _smuggling(config, plan, population, rng)
    skeleton = _skeleton(config, plan, population, smuggled, rng)
    ctx = _context(config, plan, smuggled, rng)
    result = inspection.run(
        skeleton,
        fill(rng, skeleton, ctx),
        ctx=ctx,
        config=config,
        tactics=smuggled.tactics,
        networks=smuggled.networks,
        ban=plan.ban,
    )
    traders = smuggled.population
    trader_ids = pseudonyms(rng, len(traders.traders), prefix="T")
    declarant_ids = pseudonyms(rng, len(traders.declarant_sizes), prefix="B", digits=8)
    frame = declarations(rng, result.skeleton, result.filled, ctx, trader_ids, declarant_ids)
    # Its own stream, so the register leaves every earlier draw (and figure) of the world as is.
    register, frame, abuse = permit_register(
        np.random.default_rng([config.seed, 61]), frame, result.skeleton, plan.catalogue
    )
    facts = {
        "tactics": smuggled.tactics,
        "networks": smuggled.networks,
        "trader_ids": trader_ids,
        "traders": traders.traders,
        "ban_day": plan.ban,
        "scenario": smuggled.planted,
        "shifts": result.shifts,
        "rules": result.rule_counts,
    }
    return World(
        declarations=frame,
        inspections=inspection.inspection_frame(result, frame, smuggled.tactics),
        truth=inspection.truth_frame(result.skeleton, smuggled.tactics).assign(
            permit_abuse=pd.Series(abuse_labels(abuse), dtype="str")
        ),
        config=config,
        facts=facts,
        permits=register,
    )
