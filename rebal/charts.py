"""Charts as server-rendered SVG: plain data in, markup out, no request, template or script.

The pages and the PDF reports draw the same charts from these functions. Every chart is
accessible on its own: role="img" with an aria-label, a <title> and a <desc>, and its numbers
written as text next to what they draw, so nothing depends on colour or hovering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from math import ceil

# Colours of rebal.css (inline so that a PDF renderer needs no stylesheet).
INK, MUTED, LINE, ACCENT, OK, WARN = ("#1c2430", "#5d6b7c", "#dfe4ea", "#1f5fbf", "#1d7a46",
                                      "#a86400")
BAND_FILL = "#e3ecf9"
SERIES_COLOURS = ("#1f5fbf", "#1d7a46", "#a86400", "#b3261e", "#6b4fbb", "#0f7c8c")
FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif"'


@dataclass(frozen=True)
class WeightBar:
    """One asset class: its weight and target, fractions of account value."""

    label: str
    weight: float
    target: float


@dataclass(frozen=True)
class LineSeries:
    """One line: a name and a value per label of the chart (None where there is none)."""

    name: str
    values: Sequence[float | None]


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}"


def _open(width: int, height: int, title: str, description: str, css_class: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'aria-label="{escape(title)}" {FONT} font-size="12">',
            f"<title>{escape(title)}</title>", f"<desc>{escape(description)}</desc>"]


def drift_bars_svg(rows: Sequence[WeightBar], *, band: float, title: str,
                   width: int = 720) -> str:
    """Horizontal bars of each asset class's weight against its target.

    The shaded box is the drift band (target ± `band`), the dark tick the target; a bar outside
    its band is drawn in the warning colour and its label says "outside band".
    """
    label_width, value_width, row_height, top = 170, 240, 28, 8
    plot = width - label_width - value_width
    height = top + row_height * max(len(rows), 1) + 22
    highest = max([row.weight for row in rows] + [row.target + band for row in rows] + [0.1])
    # Round the scale up to a whole number of ticks of 5, 10 or 20 points.
    step = 0.05 if highest <= 0.2 else 0.1 if highest <= 0.5 else 0.2
    scale_max = min(1.0, ceil(highest / step - 1e-9) * step)

    def x(value: float) -> float:
        return round(label_width + plot * max(0.0, min(value, scale_max)) / scale_max, 1)

    outside = [row.label for row in rows if abs(row.weight - row.target) > band + 1e-9]
    description = "; ".join(
        f"{row.label}: {_percent(row.weight)} against a target of {_percent(row.target)}"
        for row in rows) + f". Drift band ±{_percent(band)}." + (
        f" Outside the band: {', '.join(outside)}." if outside else "")
    parts = _open(width, height, title, description, "drift-bars")
    for index, row in enumerate(rows):
        y = top + index * row_height
        mid = y + row_height / 2
        off = row.label in outside
        parts.append(f'<g class="bar-row{" outside" if off else ""}" '
                     f'data-label="{escape(row.label)}" data-weight="{row.weight:.6f}" '
                     f'data-target="{row.target:.6f}">')
        parts.append(f'<text class="label" x="{label_width - 8}" y="{mid + 4}" '
                     f'text-anchor="end" fill="{INK}">{escape(row.label)}</text>')
        low, high = x(row.target - band), x(row.target + band)
        parts.append(f'<rect class="band" x="{low}" y="{y + 3}" width="{round(high - low, 1)}" '
                     f'height="{row_height - 6}" fill="{BAND_FILL}"/>')
        parts.append(f'<rect class="bar" x="{label_width}" y="{y + 8}" '
                     f'width="{round(x(row.weight) - label_width, 1)}" height="{row_height - 16}"'
                     f' rx="2" fill="{WARN if off else ACCENT}"/>')
        parts.append(f'<line class="target" x1="{x(row.target)}" x2="{x(row.target)}" '
                     f'y1="{y + 2}" y2="{y + row_height - 2}" stroke="{INK}" stroke-width="2"/>')
        note = " · outside band" if off else ""
        parts.append(f'<text class="value" x="{width - value_width + 8}" y="{mid + 4}" '
                     f'fill="{WARN if off else MUTED}">{_percent(row.weight)} · target '
                     f'{_percent(row.target)}{note}</text>')
        parts.append("</g>")
    axis_y = top + row_height * max(len(rows), 1)
    parts.append(f'<line x1="{label_width}" x2="{label_width + plot}" y1="{axis_y}" '
                 f'y2="{axis_y}" stroke="{LINE}"/>')
    for tick in range(0, round(scale_max / step) + 1):
        value = min(tick * step, scale_max)
        parts.append(f'<text class="tick" x="{x(value)}" y="{axis_y + 15}" text-anchor="middle"'
                     f' fill="{MUTED}" font-size="10">{value * 100:.0f}%</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart_svg(labels: Sequence[str], series: Sequence[LineSeries], *, title: str,
                   unit: str = "", width: int = 640, height: int = 220) -> str:
    """A small line chart: one line per series over the labels (dates, periods), a legend, the
    axis's lowest and highest values, and each line's last value written at its end."""
    left, right, top, bottom = 56, 130, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for line in series for v in line.values if v is not None]
    low = min([*values, 0.0])
    high = max([*values, low])
    if high == low:
        high = low + 1.0
    n = max(len(labels), 1)

    def px(index: int) -> float:
        return round(left + (plot_w * index / (n - 1) if n > 1 else plot_w / 2), 1)

    def py(value: float) -> float:
        return round(top + plot_h * (1 - (value - low) / (high - low)), 1)

    last = [(line.name, next((v for v in reversed(line.values) if v is not None), None))
            for line in series]
    description = (f"{len(labels)} points from {labels[0]} to {labels[-1]}. " if labels
                   else "No points. ") + "; ".join(
        f"{name}: latest {_number(value)}{unit}" for name, value in last if value is not None)
    parts = _open(width, height, title, description, "line-chart")
    for value in (low, high):
        parts.append(f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{py(value)}" '
                     f'y2="{py(value)}" stroke="{LINE}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{py(value) + 4}" text-anchor="end" '
                     f'fill="{MUTED}" font-size="10">{_number(value)}{escape(unit)}</text>')
    for index in sorted({0, n - 1}):
        if index < len(labels):
            parts.append(f'<text class="tick" x="{px(index)}" y="{height - bottom + 16}" '
                         f'text-anchor="middle" fill="{MUTED}" font-size="10">'
                         f'{escape(labels[index])}</text>')
    for number, line in enumerate(series):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        points = [(px(i), py(v)) for i, v in enumerate(line.values) if v is not None]
        parts.append(f'<g class="series" data-name="{escape(line.name)}">')
        if len(points) > 1:
            path = " ".join(f"{a},{b}" for a, b in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                         f'stroke-width="2"/>')
        for a, b in points:
            parts.append(f'<circle cx="{a}" cy="{b}" r="2.5" fill="{colour}"/>')
        latest = last[number][1]
        legend_y = top + 14 + number * 16
        parts.append(f'<text class="legend" x="{left + plot_w + 12}" y="{legend_y}" '
                     f'fill="{colour}">{escape(line.name)}'
                     f'{"" if latest is None else f": {_number(latest)}{escape(unit)}"}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
