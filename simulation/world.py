"""Build a simulated customs world: `simulate(WorldConfig()) -> World`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulation import drift, illicit, inspection, smuggling, trade
from simulation.assemble import Context, declaration_ids, declarations, fill
from simulation.calendar import Calendar
from simulation.catalogue import build_catalogue, code_index
from simulation.config import WorldConfig
from simulation.geography import HOME, codes_to_index
from simulation.ids import pseudonyms
from simulation.modus_operandi import TACTICS
from simulation.permits import licence_numbers
from simulation.physics import trader_price_levels
from simulation.population import Population, build_population
from simulation.scenarios import SCENARIOS
from simulation.summary import summarise
from simulation.tactics import Tactic
from simulation.text import phrase_table

#: Legitimate declarations per illicit one that every tactic code gets at least (before the
#: multinomial draw, so the realised ratio stays above ten).
LEGIT_PER_ILLICIT = 16.0


@dataclass(frozen=True)
class World:
    """Declarations, the legacy policy's inspections, the hidden truth and how it was made."""

    declarations: pd.DataFrame
    inspections: pd.DataFrame
    truth: pd.DataFrame
    config: WorldConfig
    facts: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """JSON-ready configuration and figures of this world."""
        return summarise(self)


def _floored_weights(
    catalogue: pd.DataFrame, hs: np.ndarray, total: int, rng: np.random.Generator
) -> np.ndarray:
    """Code shares with every illicit code carrying enough legitimate trade to hide in.

    The floor varies by code (16 to 30 legitimate declarations per illicit one) so illicit
    rates differ between codes as they do in real trade.
    """
    weights = catalogue["weight"].to_numpy().copy()
    illicit_share = np.bincount(hs, minlength=len(weights)) / total
    spread = np.exp(rng.uniform(0.0, np.log(30 / LEGIT_PER_ILLICIT), len(weights)))
    floor = LEGIT_PER_ILLICIT * spread * illicit_share
    for _ in range(3):  # the floors must hold after normalising
        weights = np.maximum(weights / weights.sum(), floor)
    return weights / weights.sum()


def _illicit_codes(rows: pd.DataFrame, networks: pd.DataFrame) -> np.ndarray:
    """Codes illicit rows declare, counting network rows also under the code they may move to."""
    rows = rows[rows["tactic"] >= 0]
    net = rows["network"].to_numpy()
    moved = networks["alt_code"].to_numpy()[net[net >= 0]] if len(networks) else np.zeros(0, int)
    return np.concatenate([rows["hs"].to_numpy(), moved]).astype(np.int64)


def _tactic_routes(
    tactics: tuple[Tactic, ...], code_ids: dict[str, int]
) -> dict[int, tuple[np.ndarray, tuple[str, ...]]]:
    """Origins and transit routes smugglers use per code: honest trade uses them too."""
    origins: dict[int, list[str]] = {}
    hubs: dict[int, list[str]] = {}
    for tactic in tactics:
        for code in tactic.declared_codes:
            origins.setdefault(code_ids[code], []).extend(o for o in tactic.origins if o != HOME)
            hubs.setdefault(code_ids[code], []).extend(tactic.transit)
    return {
        code: (codes_to_index(tuple(dict.fromkeys(o))), tuple(dict.fromkeys(hubs[code])))
        for code, o in sorted(origins.items())
        if o
    }


def _code_covers(tactics: tuple[Tactic, ...], code_ids: dict[str, int]) -> dict[int, tuple[str, ...]]:
    covers: dict[int, list[str]] = {}
    for tactic in tactics:
        for code in tactic.declared_codes:
            covers.setdefault(code_ids[code], []).extend(tactic.cover_texts)
    return {code: tuple(dict.fromkeys(c)) for code, c in sorted(covers.items()) if c}


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


def _plant(
    config: WorldConfig, tactics: tuple[Tactic, ...], population: Population, calendar: Calendar,
    ban: int, code_ids: dict[str, int], chapter_of_code: np.ndarray, rng: np.random.Generator,
) -> tuple[smuggling.Illicit | None, dict[str, Any]]:  # fmt: skip
    """The scenario's planted shipments (one network, a known window), or none."""
    if config.scenario is None:
        return None, {}
    scenario = SCENARIOS[config.scenario]
    anchor = ban if scenario.after_ban else 0
    start = min(calendar.days - 2, anchor + int(scenario.window[0] * calendar.days))
    end = min(calendar.days - 1, max(start + 1, anchor + int(scenario.window[1] * calendar.days)))
    count = scenario.count(config.declarations)
    all_tactics = (*tactics, scenario.tactic)
    timing = illicit.Timing(
        start=np.full(len(all_tactics), start), end=np.full(len(all_tactics), end), ban_day=ban,
        surge=np.ones(len(all_tactics)), fixed=np.ones(len(all_tactics), dtype=bool),
    )  # fmt: skip
    counts = np.zeros(len(all_tactics), dtype=np.int64)
    counts[-1] = count
    planted_config = config.model_copy(update={"network_share": 1.0, "one_off_share": 0.0})
    planted = smuggling.build_illicit(
        planted_config, all_tactics, counts=counts, chapter_of_code=chapter_of_code,
        code_ids=code_ids, population=population, calendar=calendar, timing=timing, rng=rng,
    )  # fmt: skip
    window = [str(calendar.start + pd.Timedelta(days=d)) for d in (start, end)]
    return planted, {"start_day": start, "end_day": end, "count": count, "window": window}


def simulate(config: WorldConfig) -> World:
    """Build the world the configuration describes (same configuration, same frames)."""
    rng = np.random.default_rng(config.seed)
    calendar = Calendar(config.start, config.days)
    catalogue = build_catalogue(config.seed)
    code_ids = code_index(catalogue)
    ban = drift.ban_day(config, calendar)
    timing = illicit.tactic_timing(TACTICS, calendar, drift.event_days(config, calendar), ban)
    total = round(config.declarations * config.illicit_share)
    counts = illicit.tactic_counts(total, config, TACTICS, timing, calendar.days, rng)
    population = build_population(config, catalogue, calendar, rng)
    chapters = {name: i for i, name in enumerate(population.chapters)}
    chapter_of_code = catalogue["ch"].map(chapters).fillna(0).astype(int).to_numpy()
    main = smuggling.build_illicit(
        config, TACTICS, counts=counts, chapter_of_code=chapter_of_code, code_ids=code_ids,
        population=population, calendar=calendar, timing=timing, rng=rng,
    )  # fmt: skip
    grown = _with_traders(population, main.traders)
    planted, planted_facts = _plant(
        config, TACTICS, grown, calendar, ban, code_ids, chapter_of_code, rng
    )
    parts, networks, tactics = [main.skeleton], [main.networks], TACTICS
    if planted is not None:
        shifted = planted.skeleton.assign(
            network=np.where(planted.skeleton["network"] >= 0,
                             planted.skeleton["network"] + len(main.networks), -1)
        )  # fmt: skip
        parts.append(shifted)
        networks.append(planted.networks)
        grown = _with_traders(grown, planted.traders)
        tactics = (*TACTICS, SCENARIOS[str(config.scenario)].tactic)
    illicit_rows = pd.concat(parts, ignore_index=True)
    network_table = pd.concat(networks, ignore_index=True)
    hs_illicit = _illicit_codes(illicit_rows, network_table)
    legit = trade.legit_skeleton(
        config.declarations - len(illicit_rows), catalogue=catalogue,
        weights=_floored_weights(catalogue, hs_illicit, config.declarations, rng),
        population=population, calendar=calendar,
        tactic_routes=_tactic_routes(tactics, code_ids), rng=rng,
    )  # fmt: skip
    skeleton = pd.concat([legit, illicit_rows[legit.columns]], ignore_index=True)
    skeleton = trade.add_clerical_noise(skeleton, rate=config.legit_error_rate, rng=rng)
    skeleton = drift.apply_import_ban(
        skeleton, catalogue["heading"].to_numpy(), config=config, day=ban, rng=rng
    )
    order, ids = declaration_ids(rng, skeleton["day"].to_numpy())
    skeleton = skeleton.iloc[order].reset_index(drop=True).assign(declaration_id=ids)
    ctx = Context(
        catalogue=catalogue, traders=grown.traders,
        trader_price=trader_price_levels(rng, len(grown.traders)),
        licences=licence_numbers(rng, len(grown.traders)), calendar=calendar,
        phrases=phrase_table(catalogue), covers=smuggling.cover_texts(tactics)[0],
        code_covers=_code_covers(tactics, code_ids), sigma=config.unit_value_sigma,
    )  # fmt: skip
    result = inspection.run(
        skeleton, fill(rng, skeleton, ctx), ctx=ctx, config=config, tactics=tactics,
        networks=network_table, ban=ban,
    )  # fmt: skip
    trader_ids = pseudonyms(rng, len(grown.traders), prefix="T")
    declarant_ids = pseudonyms(rng, len(grown.declarant_sizes), prefix="B", digits=8)
    frame = declarations(rng, result.skeleton, result.filled, ctx, trader_ids, declarant_ids)
    facts = {
        "tactics": tactics,
        "networks": network_table,
        "trader_ids": trader_ids,
        "traders": grown.traders,
        "ban_day": ban,
        "scenario": planted_facts,
        "shifts": result.shifts,
        "rules": result.rule_counts,
    }
    return World(
        declarations=frame,
        inspections=inspection.inspection_frame(result, frame, tactics),
        truth=inspection.truth_frame(result.skeleton, tactics),
        config=config,
        facts=facts,
    )
