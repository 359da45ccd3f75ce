"""Charts drawn on the server as inline SVG: no JavaScript, nothing to fetch.

The dashboard's Content-Security-Policy forbids ``style`` attributes, so every size is
an SVG attribute and every colour a class (``r0``, ``r1``, ... by reaction position).
Every text that goes in is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from itertools import count
from typing import Any

from markupsafe import Markup, escape

from ..sites.reactions import Reaction

COLOURS = 8  # classes r0..r7 in dashboard.css; more reactions reuse them
WIDTH, HEIGHT = 720, 230
LEFT, RIGHT, TOP, BOTTOM = 48, 10, 12, 26
_ids = count(1)


def colour(index: int) -> str:
    """Return the CSS class of the reaction at this position of the site's set."""
    return f"r{index % COLOURS}"


def nice_step(span: float, ticks: int = 4) -> float:
    """Return a round step (1, 2 or 5 times a power of ten) that splits span in ~ticks."""
    raw = max(span, 1) / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(1.0, factor * power)
    return 10 * power


def _fmt(n: float) -> str:
    return f"{n:.1f}".rstrip("0").rstrip(".")


def _label(day: date, with_year: bool) -> str:
    return day.strftime("%b %Y" if with_year else "%b %d").replace(" 0", " ")


def days_chart(
    days: Sequence[Mapping[str, Any]], reactions: Sequence[Reaction], title: str
) -> Markup:
    """Return a stacked bar chart of reactions per day (a net loss stacks below zero)."""
    n = max(len(days), 1)
    keys = [r.key for r in reactions]
    # Escaped and named once, not once per day: a year has 365 days of five reactions.
    series = [(r.key, str(escape(r.label)), colour(i)) for i, r in enumerate(reactions)]
    ups = [sum(max(d["counts"][k], 0) for k in keys) for d in days]
    downs = [sum(min(d["counts"][k], 0) for k in keys) for d in days]
    step = nice_step(max([*ups, 1]) - min([*downs, 0]))
    top = float(math.ceil(max([*ups, 1]) / step) * step)
    bottom = float(math.floor(min([*downs, 0]) / step) * step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_h * (top - value) / (top - bottom)

    uid = next(_ids)
    total = sum(ups) + sum(downs)
    first, last = (days[0]["date"], days[-1]["date"]) if days else ("", "")
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart{uid}-t chart{uid}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart{uid}-t">{escape(title)}</title>',
        f'<desc id="chart{uid}-d">Net reactions per day from {escape(first)} to '
        f"{escape(last)}: {total:,} in all.</desc>",
    ]
    value = bottom
    while value <= top + 1e-9:
        out.append(
            f'<line class="grid{" zero" if value == 0 else ""}" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
            f'y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{_fmt(value)}</text>"
        )
        value += step
    slot = plot_w / n
    bar = max(slot * 0.78, 0.8)
    for i, day in enumerate(days):
        x = LEFT + i * slot + (slot - bar) / 2
        counts = day["counts"]
        parts = ", ".join(f"{label} {counts[key]:+d}" for key, label, _ in series if counts[key])
        refused = day.get("refused", 0)
        if refused:
            parts += f"; {refused:,} refused by the cap"
        out.append(f"<g><title>{escape(day['date'])}: {parts or 'no change'}</title>")
        up, down = 0.0, 0.0
        for key, _, css in series:
            v = counts[key]
            if v > 0:
                y0, y1 = y(up + v), y(up)
                up += v
            elif v < 0:
                y0, y1 = y(down), y(down + v)
                down += v
            else:
                continue
            out.append(
                f'<rect class="{css}" x="{x:.2f}" y="{y0:.2f}" '
                f'width="{bar:.2f}" height="{max(y1 - y0, 0.5):.2f}"/>'
            )
        # An invisible full-height target, so a hover anywhere on the day shows its title.
        out.append(
            f'<rect class="hit" x="{LEFT + i * slot:.2f}" y="{TOP}" width="{slot:.2f}" '
            f'height="{plot_h}"/></g>'
        )
    ticks = sorted({round(k * (n - 1) / 5) for k in range(6)}) if len(days) > 1 else [0]
    with_year = len(days) > 180
    for i in ticks[: len(days)]:
        day_value = date.fromisoformat(days[i]["date"])
        anchor = "start" if i == 0 else "end" if i == n - 1 else "middle"
        out.append(
            f'<text class="axis" x="{LEFT + (i + 0.5) * slot:.1f}" y="{HEIGHT - 8}" '
            f'text-anchor="{anchor}">{escape(_label(day_value, with_year))}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def split_bar(counts: Mapping[str, int], reactions: Sequence[Reaction], label: str) -> Markup:
    """Return a thin bar split by each reaction's share of the total."""
    total = sum(max(counts.get(r.key, 0), 0) for r in reactions)
    out = [
        '<svg class="split" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
        '<rect class="track" x="0" y="0" width="100" height="8"/>'
    ]
    x = 0.0
    for index, r in enumerate(reactions):
        share = 100 * max(counts.get(r.key, 0), 0) / total if total else 0
        if share:
            out.append(
                f'<rect class="{colour(index)}" x="{x:.3f}" y="0" width="{share:.3f}" height="8"/>'
            )
            x += share
    out.append("</svg>")
    return Markup("".join(out))


def meter(value: int, maximum: int, index: int, label: str) -> Markup:
    """Return one horizontal bar, as long as value is of maximum."""
    width = 100 * value / maximum if maximum > 0 else 0
    return Markup(
        '<svg class="meter" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
        '<rect class="track" x="0" y="0" width="100" height="10" rx="0"/>'
        f'<rect class="{colour(index)}" x="0" y="0" width="{max(width, 0):.2f}" height="10"/>'
        "</svg>"
    )
