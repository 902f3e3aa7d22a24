"""The backtest page of one risk profile: volume per month, hit rates with their interval, overlaps.

Everything the unit wrote (title, rationale, owner, approver) is free text and escaped; the
page has no script and loads nothing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from pipelines.reports import html

SECTIONS = ("Profile", "Volume", "Hit rate", "Overlap")


def render_backtest_report(summary: dict[str, Any]) -> str:
    """One self-contained page in the look of the other reports."""
    profile, result = summary["profile"], summary["backtest"]
    sections = [
        ("Profile", _profile(profile)),
        ("Volume", _volume(result, profile["expected_volume_per_month"])),
        ("Hit rate", _hit_rate(result, profile["expected_hit_rate"])),
        ("Overlap", _overlap(result)),
    ]
    banner = None if result["fires"] else "The profile never fired in the window."
    return html.page(
        f"gcrisk — backtest of {profile['id']} v{profile['version']}",
        sections,
        banner=banner,
        subtitle=f"{profile['title']} · {result['since']} to before {result['until']}",
    )


def _profile(profile: dict[str, Any]) -> str:
    pairs = {
        "id, version": f"{profile['id']} v{profile['version']}",
        "status": profile["status"],
        "standing on the last day": profile["standing"],
        "lane": profile["lane"],
        "owner": profile["owner"],
        "approval": profile["approval"] or "none",
        "indicators": ", ".join(profile["indicators"]) or "none",
        "window": profile["window"],
        "profiles from": profile["source"],
    }
    rationale = f"<p>{html.escape(profile['rationale'])}</p>"
    return rationale + html.key_values(pairs)


def _volume(result: dict[str, Any], expected: float | None) -> str:
    months = pd.DataFrame(result["months"], columns=["month", "declarations", "fires"])
    expected_text = "none set" if expected is None else f"{expected:g}"
    intro = (
        f"<p>{result['fires']:,} fires in {result['declarations']:,} declarations: "
        f"{result['fires_per_month']:.1f} per month (expected: {expected_text}). The condition "
        "is tested on every day of the window, whatever the profile's own validity window.</p>"
    )
    if months.empty:
        return intro
    chart = html.figure_tag(_months_chart(months, expected), alt="fires per month")
    return intro + chart + html.table(months, numeric=["declarations", "fires"])


def _months_chart(months: pd.DataFrame, expected: float | None) -> Figure:
    figure = Figure(figsize=(7, 3))
    axis = figure.subplots()
    axis.bar(months["month"], months["fires"], color="#4c78a8", label="fires")
    if expected is not None:
        axis.axhline(expected, color="#b3261e", linestyle="--", label="expected per month")
    axis.set_ylabel("fires")
    axis.tick_params(axis="x", labelrotation=90, labelsize="small")
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


def _hit_rate(result: dict[str, Any], expected: float | None) -> str:
    stream = result["random_stream"]
    rows = [
        (
            "inspected fires",
            result["results"],
            result["hits"],
            result["inspected_hit_rate"],
            None,
            None,
        ),
        (
            "random stream, inverse-propensity",
            stream["random_results"],
            stream["random_hits"],
            stream["hit_rate"],
            stream["low"],
            stream["high"],
        ),
    ]
    table = pd.DataFrame(
        rows, columns=["estimate", "results", "hits", "hit rate", "95% low", "95% high"]
    )
    intro = (
        "<p>A hit is an environmental violation (waste, ODS, wildlife) found by the inspection. "
        "The inspected rate is biased by whoever chose those inspections; the random stream's "
        "results, weighted by 1/propensity, estimate the rate if every fire were inspected. "
        "The interval is a Wilson score interval with the Kish effective sample size "
        f"({stream['effective_n']:g}). Expected hit rate: "
        f"{'none set' if expected is None else f'{expected:g}'}.</p>"
    )
    body = intro + html.table(table, numeric=["results", "hits", "hit rate", "95% low", "95% high"])
    if result["results"] or stream["random_results"]:
        body += html.figure_tag(_rates_chart(table, expected), alt="hit rates")
    return body


def _rates_chart(table: pd.DataFrame, expected: float | None) -> Figure:
    figure = Figure(figsize=(6, 2.6))
    axis = figure.subplots()
    rates = table["hit rate"].astype("float64").fillna(0.0)
    low = (rates - table["95% low"].astype("float64")).fillna(0.0).clip(lower=0)
    high = (table["95% high"].astype("float64") - rates).fillna(0.0).clip(lower=0)
    axis.barh(table["estimate"], rates, xerr=[low, high], color="#72b7b2", capsize=4)
    if expected is not None:
        axis.axvline(expected, color="#b3261e", linestyle="--", label="expected")
        axis.legend(fontsize="small")
    axis.set_xlabel("hit rate")
    axis.set_xlim(0, 1)
    figure.tight_layout()
    return figure


def _overlap(result: dict[str, Any]) -> str:
    model = result["model_red"]
    model_text = (
        f"<p>Model's red lane (decision in force red, selected by the model): {model['both']:,} "
        f"of the fires, {_share(model['share'])}; {result['scored_fires']:,} of the fires have "
        "a decision in force at all.</p>"
    )
    others = pd.DataFrame(result["overlaps"], columns=["other", "both", "share"])
    others = others[others["both"] > 0].sort_values("both", ascending=False)
    intro = "<p>Other profiles firing on the same declarations (both / this profile's fires).</p>"
    if others.empty:
        return model_text + intro + '<p class="muted">No other profile fires on them.</p>'
    return model_text + intro + html.table(others, numeric=["both", "share"])


def _share(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.1%}"
