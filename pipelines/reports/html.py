"""Self-contained HTML reports: one file, inline CSS and images, every free-text value escaped.

The page needs no network to render: charts are PNGs embedded as data URIs. Anything that
comes from a declaration (descriptions, ids, reasons) goes through `html.escape`, so a
`<script>` in a goods description is shown as text, never run.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1d2733;
max-width:78rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;font-size:.88rem;margin:.5rem 0}table.wide{width:100%}
th,td{border:1px solid #d0d7de;padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
.banner{background:#fff4ce;border:1px solid #e0b400;padding:.8rem 1rem;margin:1rem 0;
font-weight:600}
.lane-red{color:#b3261e;font-weight:600}.lane-yellow{color:#8a6d00;font-weight:600}
.muted{color:#5b6673;font-size:.85rem}
"""


def escape(value: Any) -> str:
    """Text of any cell, HTML-escaped (quotes too); missing values as an empty string."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def figure_tag(figure: Figure, *, alt: str) -> str:
    """A figure as an inline PNG image."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def table(
    frame: pd.DataFrame,
    *,
    numeric: Iterable[str] = (),
    classes: Mapping[str, str] | None = None,
    wide: bool = False,
) -> str:
    """An HTML table of `frame`; `classes` maps a column to a CSS class prefix for its values;
    a `wide` table takes the page's whole width (long text columns wrap less)."""
    numeric = set(numeric)
    head = "".join(f"<th>{escape(column)}</th>" for column in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, record, strict=True):
            css = []
            if column in numeric:
                css.append("num")
            if classes and column in classes:
                css.append(f"{classes[column]}-{escape(value)}")
            attribute = f' class="{" ".join(css)}"' if css else ""
            cells.append(f"<td{attribute}>{escape(_format(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    opening = '<table class="wide">' if wide else "<table>"
    return f"{opening}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def key_values(pairs: Mapping[str, Any]) -> str:
    """A two-column table of labels and values."""
    frame = pd.DataFrame({"": list(pairs), "value": [_format(v) for v in pairs.values()]})
    return table(frame, numeric=["value"])


def page(
    title: str, sections: list[tuple[str, str]], *, banner: str | None = None, subtitle: str = ""
) -> str:
    """The whole document; section bodies are trusted HTML built with the helpers above."""
    parts = [f"<h1>{escape(title)}</h1>"]
    if subtitle:
        parts.append(f'<p class="muted">{escape(subtitle)}</p>')
    if banner:
        parts.append(f'<div class="banner" role="alert">{escape(banner)}</div>')
    for heading, body in sections:
        slug = heading.lower().replace(" ", "-")
        parts.append(f'<section id="{escape(slug)}"><h2>{escape(heading)}</h2>{body}</section>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )


def _format(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        number = float(value)
        return f"{number:.4g}" if abs(number) < 1e6 else f"{number:,.0f}"
    return value
