"""Charts of the reports as SVG or PNG, drawn with matplotlib (Agg, no display needed).

matplotlib is imported here only, and only when a chart is drawn, so the action server (which
records but never reports) does not load it. Only counts the report may show are drawn; a hidden
one (fewer than k) is left out, never drawn as a guess.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from knowledge.reports.demand import DemandReport
from knowledge.reports.usage import KIND_LABELS, UsageReport

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ImageFormat = Literal["svg", "png"]
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
WIDTH_IN, HEIGHT_IN, DPI = 8.0, 3.6, 110
BARS_SHOWN = 12
LABEL_CHARS = 48


@dataclass(frozen=True)
class Chart:
    """One drawn chart: a file-safe `name`, a `title` to show above it, and the image."""

    name: str
    title: str
    data: bytes
    media_type: str


def usage_charts(report: UsageReport, fmt: ImageFormat = "svg") -> list[Chart]:
    """Searches and conversations by week and channel, the weekly share of searches that found
    nothing, and the most searched topics and neighbourhoods (charts without data are left out)."""
    charts = [
        _weekly(report, "search", fmt),
        _weekly(report, "conversation", fmt),
        _share(report, fmt),
        _bars("popular-topics", "Most searched topics", report.topics, "searches", fmt),
        _bars(
            "popular-neighbourhoods",
            "Most searched neighbourhoods",
            report.neighbourhoods,
            "searches",
            fmt,
        ),
    ]
    return [chart for chart in charts if chart is not None]


def demand_charts(report: DemandReport, fmt: ImageFormat = "svg") -> list[Chart]:
    """The groups with the most searches that found little."""
    pairs = tuple((row.label, row.unmet) for row in report.rows)
    chart = _bars("unmet-demand", "Searches that found little, by request", pairs, "searches", fmt)
    return [chart] if chart is not None else []


def _weekly(report: UsageReport, kind: str, fmt: ImageFormat) -> Chart | None:
    """Stacked bars: one per week, a segment per channel (hidden counts left out)."""
    weeks, channels = report.weeks, report.channels
    values = {(row.week, row.channel): row.counts.get(kind) for row in report.rows}
    if not any(values.values()):
        return None
    figure = _figure()
    axes = figure.add_subplot()
    bottom = [0] * len(weeks)
    for channel in channels:
        heights = [values.get((week, channel)) or 0 for week in weeks]
        axes.bar(weeks, heights, bottom=bottom, label=channel)
        bottom = [low + high for low, high in zip(bottom, heights, strict=True)]
    axes.set_ylabel(KIND_LABELS[kind])
    axes.legend(title="channel", fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes.tick_params(axis="x", labelrotation=45, labelsize="small")
    title = f"{KIND_LABELS[kind].capitalize()} by week and channel"
    return _chart(f"{KIND_LABELS[kind].replace(' ', '-')}-by-week", title, figure, fmt)


def _share(report: UsageReport, fmt: ImageFormat) -> Chart | None:
    """A line of the weekly share of searches that found nothing (hidden weeks left out)."""
    points = [(item.week, item.share) for item in report.nothing_fits if item.share is not None]
    if not points:
        return None
    figure = _figure()
    axes = figure.add_subplot()
    percents = [share * 100 for _, share in points]
    axes.plot([week for week, _ in points], percents, marker="o")
    axes.set_ylabel("% of searches")
    axes.set_ylim(0, min(100, max(percents) * 1.2 + 1))
    axes.tick_params(axis="x", labelrotation=45, labelsize="small")
    return _chart("nothing-fits-share", 'Searches ending in "nothing fits"', figure, fmt)


def _bars(
    name: str, title: str, pairs: tuple[tuple[str, int], ...], unit: str, fmt: ImageFormat
) -> Chart | None:
    """Horizontal bars, largest on top."""
    shown = pairs[:BARS_SHOWN]
    if not shown:
        return None
    figure = _figure(height=max(HEIGHT_IN, 0.35 * len(shown) + 1))
    axes = figure.add_subplot()
    labels = [_short(label) for label, _ in reversed(shown)]
    axes.barh(labels, [count for _, count in reversed(shown)])
    axes.set_xlabel(unit)
    axes.tick_params(axis="y", labelsize="small")
    return _chart(name, title, figure, fmt)


def _figure(height: float = HEIGHT_IN) -> Figure:
    """A figure of its own (no pyplot state shared between threads or reports)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="tight")


def _chart(name: str, title: str, figure: Figure, fmt: ImageFormat) -> Chart:
    """The figure rendered; SVG without a creation date, so the same data draws the same file."""
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    figure.savefig(buffer, format=fmt, metadata=metadata)
    return Chart(name, title, buffer.getvalue(), MEDIA_TYPES[fmt])


def _short(label: str) -> str:
    """A bar's label, cut to fit; a "$" is a dollar sign, not the start of mathtext."""
    cut = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
    return cut.replace("$", r"\$")
