"""The reports as Markdown, CSV, or one HTML file a person opens in a browser (charts inside).

Every value from the directory (topic, neighbourhood, listing and provider names) is escaped for
the format it goes into; a hidden count (fewer than k) reads "<k" everywhere.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Sequence
from typing import Literal

from knowledge.reports.charts import Chart, demand_charts, usage_charts
from knowledge.reports.demand import LITTLE, DemandReport, DemandRow
from knowledge.reports.privacy import hidden_label
from knowledge.reports.usage import KIND_LABELS, KINDS, UsageReport

Format = Literal["md", "html", "csv"]
FORMATS: tuple[Format, ...] = ("md", "html", "csv")
Table = tuple[tuple[str, ...], list[tuple[str, ...]]]  # headings, rows

DEMAND_HEADINGS = (
    "asked for",
    "searches",
    "found little",
    "found nothing",
    "listings now",
    "often also",
    "nearest offers",
)
STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:64rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0;width:100%}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f3f3f3}
figure{margin:1.5rem 0}
img{max-width:100%}
.note{color:#555}
"""


def count(value: int | None, k: int) -> str:
    """A count as shown: the number, or "<k" when it is hidden."""
    return hidden_label(k) if value is None else str(value)


def render_demand(report: DemandReport, fmt: Format) -> str:
    """The unmet-demand report in `fmt` ("md", "html" or "csv")."""
    rows = [_demand_cells(row, report.k) for row in report.rows]
    if fmt == "csv":
        return _csv(DEMAND_HEADINGS, rows)
    title = f"Unmet demand, {report.window.describe()}"
    summary = (
        f"{count(report.searches, report.k)} searches, of which "
        f"{count(report.unmet, report.k)} found little (fewer than {LITTLE} listings). Groups "
        f"of fewer than {report.k} such searches are merged into wider ones and never shown."
    )
    if report.more:
        summary += f" {report.more} more groups are left out (raise the limit to see them)."
    table: Table = (DEMAND_HEADINGS, rows)
    if fmt == "md":
        return _markdown(title, summary, [("Most unmet first", table)], empty=_NO_DEMAND)
    return _html(title, summary, [("Most unmet first", table)], demand_charts(report), _NO_DEMAND)


def render_usage(report: UsageReport, fmt: Format) -> str:
    """The usage report in `fmt` ("md", "html" or "csv")."""
    k = report.k
    weekly: Table = (
        ("week", "channel", *(KIND_LABELS[kind] for kind in KINDS)),
        [
            (row.week, row.channel, *(count(row.counts[kind], k) for kind in KINDS))
            for row in report.rows
        ],
    )
    nothing: Table = (
        ("week", "searches that found nothing", "share of the week's searches"),
        [
            (item.week, count(item.nothing, k), _percent(item.share, k))
            for item in (*report.nothing_fits, report.overall)
        ],
    )
    topics: Table = (("topic", "searches"), [(name, str(n)) for name, n in report.topics])
    places: Table = (
        ("neighbourhood", "searches"),
        [(name, str(n)) for name, n in report.neighbourhoods],
    )
    stale: Table = (
        ("provider", "stale listings", "active listings", "oldest confirmation"),
        [
            (item.provider, str(item.stale), str(item.active), str(item.oldest or "never"))
            for item in report.stale
        ],
    )
    sections = [
        ("Use by week and channel", weekly),
        ('Searches ending in "nothing fits"', nothing),
        ("Most searched topics", topics),
        ("Most searched neighbourhoods", places),
        (f"Listings not confirmed for {report.freshness_days} days, by provider", stale),
    ]
    if fmt == "csv":
        return _usage_csv(sections)
    title = f"Use of the service, {report.window.describe()}"
    summary = (
        f"Counts of fewer than {k} read “{hidden_label(k)}” and are never drawn; no total is "
        f"printed beside the counts it adds up. Stale listings as of {report.today}."
    )
    if fmt == "md":
        return _markdown(title, summary, sections, empty=_NO_USAGE)
    return _html(title, summary, sections, usage_charts(report), _NO_USAGE)


_NO_DEMAND = "Nothing to show: no group of searches that found little reaches k."
_NO_USAGE = "Nothing recorded in this window."


def _demand_cells(row: DemandRow, k: int) -> tuple[str, ...]:
    """One demand row as text cells."""
    often = ", ".join(f"{wish} ({n})" for wish, n in row.often)
    nearest = ""
    if row.nearest is not None:
        offers = "; ".join(
            f"{offer.title} ({', '.join(filter(None, (offer.provider, offer.neighbourhood)))})"
            for offer in row.nearest.offers
        )
        if offers:
            nearest = f"{row.nearest.relaxed}: {row.nearest.count} listings, e.g. {offers}"
        elif row.nearest.topics:
            nearest = f"{row.nearest.relaxed}: {', '.join(row.nearest.topics)}"
    return (
        row.label,
        str(row.searches),
        str(row.unmet),
        count(row.nothing, k),
        "" if row.programs is None else str(row.programs),
        often,
        nearest,
    )


def _percent(share: float | None, k: int) -> str:
    """A share as a whole percentage, or "<k" when its count is hidden."""
    return hidden_label(k) if share is None else f"{share:.0%}"


def _csv(headings: Sequence[str], rows: list[tuple[str, ...]]) -> str:
    """One table as CSV; a cell starting with = + - @ is quoted as text for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headings)
    writer.writerows([tuple(_spreadsheet_safe(cell) for cell in row) for row in rows])
    return buffer.getvalue()


def _usage_csv(sections: list[tuple[str, Table]]) -> str:
    """Every section in one long CSV: section, the row's first cells as keys, measure, value."""
    long: list[tuple[str, ...]] = []
    for name, (headings, rows) in sections:
        keys = 2 if headings[:2] == ("week", "channel") else 1
        for row in rows:
            key = (*row[:keys], *([""] * (2 - keys)))
            for heading, value in zip(headings[keys:], row[keys:], strict=True):
                long.append((name, *key, heading, value))
    return _csv(("section", "key", "channel", "measure", "value"), long)


def _spreadsheet_safe(cell: str) -> str:
    """A directory name that a spreadsheet would run as a formula, kept as text."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") and not _number(cell) else cell


def _number(cell: str) -> bool:
    """Whether a cell is a plain number (a negative count never occurs, but stay exact)."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _markdown(title: str, summary: str, sections: list[tuple[str, Table]], *, empty: str) -> str:
    """A Markdown document: title, summary, one table per section."""
    lines = [f"# {_md(title)}", "", _md(summary), ""]
    for name, (headings, rows) in sections:
        lines += [f"## {_md(name)}", ""]
        if not rows:
            lines += [empty if len(sections) == 1 else "None.", ""]
            continue
        lines.append("| " + " | ".join(_md(cell) for cell in headings) + " |")
        lines.append("|" + "|".join("---" for _ in headings) + "|")
        lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    """Text safe in a Markdown table cell: pipes, backslashes, markup and line breaks neutral."""
    text = " ".join(text.split())
    for char in "\\|*_`[]<>#":
        text = text.replace(char, "\\" + char)
    return text


def _html(
    title: str,
    summary: str,
    sections: list[tuple[str, Table]],
    charts: Sequence[Chart],
    empty: str,
) -> str:
    """One self-contained HTML page: style, tables and charts (as data: images) inline."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">{html.escape(summary)}</p>',
    ]
    for chart in charts:
        encoded = base64.b64encode(chart.data).decode("ascii")
        parts.append(
            f'<figure><img alt="{html.escape(chart.title)}" '
            f'src="data:{chart.media_type};base64,{encoded}">'
            f"<figcaption>{html.escape(chart.title)}</figcaption></figure>"
        )
    for name, (headings, rows) in sections:
        parts.append(f"<h2>{html.escape(name)}</h2>")
        if not rows:
            parts.append(f"<p>{html.escape(empty if len(sections) == 1 else 'None.')}</p>")
            continue
        parts.append("<table><thead><tr>")
        parts += [f"<th>{html.escape(cell)}</th>" for cell in headings]
        parts.append("</tr></thead><tbody>")
        for row in rows:
            cells = "".join(
                f'<td class="n">{html.escape(cell)}</td>'
                if _numeric(cell)
                else f"<td>{html.escape(cell)}</td>"
                for cell in row
            )
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _numeric(cell: str) -> bool:
    """A count, a hidden count or a percentage: right-aligned."""
    return bool(cell) and (cell.isdigit() or cell.startswith("<") or cell.endswith("%"))
