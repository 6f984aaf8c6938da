"""The reports as Markdown, CSV and one HTML file: well-formed, escaped, hidden counts as "<k",
and charts inside the HTML as images."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

from sqlalchemy.orm import Session

from knowledge.reports.charts import demand_charts, usage_charts
from knowledge.reports.demand import demand_report
from knowledge.reports.render import render_demand, render_usage
from knowledge.reports.usage import usage_report
from tests.knowledge.reports.conftest import START, add_events, add_searches

EVIL = '<script>alert(1)</script> | =HYPERLINK("x")'


class _Page(HTMLParser):
    """Collects tags and checks that every opened element is closed in order."""

    VOID = frozenset({"meta", "img", "br", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (self.open, tag)
        self.open.pop()


def _parsed(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    assert parser.open == []
    return parser


def _data(session: Session) -> None:
    add_searches(session, 8, topic=EVIL, neighbourhood="Eastside")
    add_searches(session, 3, topic="chess")
    add_searches(session, 6, topic="chess", day=START.replace(day=10), results=7)
    add_events(session, 6, "conversation")
    add_events(session, 2, "handoff")


def test_demand_csv_has_one_row_per_group_and_no_formula(session: Session) -> None:
    _data(session)
    rows = list(csv.reader(io.StringIO(render_demand(demand_report(session), "csv"))))
    assert rows[0][:3] == ["asked for", "searches", "found little"]
    assert len(rows) == 1 + len(demand_report(session).rows)
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith("=") for cell in cells)
    assert any(EVIL[:8] in cell for cell in cells)


def test_markdown_tables_keep_their_columns_whatever_the_names(session: Session) -> None:
    _data(session)
    for page in (render_demand(demand_report(session), "md"),
                 render_usage(usage_report(session, today=START), "md")):  # fmt: skip
        assert any(line.startswith("|") for line in page.splitlines())
        assert "<script>" not in page
        for block in page.split("\n\n"):
            lines = [line for line in block.splitlines() if line.startswith("|")]
            assert len({line.replace("\\|", "").count("|") for line in lines}) <= 1


def test_html_is_one_well_formed_page_with_charts_and_nothing_unescaped(session: Session) -> None:
    _data(session)
    usage = render_usage(usage_report(session, today=START), "html")
    demand = render_demand(demand_report(session), "html")
    for page in (usage, demand):
        parsed = _parsed(page)
        assert "script" not in parsed.tags
        assert parsed.images and all(
            src.startswith("data:image/svg+xml;base64,") for src in parsed.images
        )
        assert "&lt;script&gt;" in page or page is usage
        assert "http://" not in page.replace("http://www.w3.org", "")
    assert "&lt;5" in usage  # the two handoffs


def test_charts_draw_only_what_may_be_shown(session: Session) -> None:
    _data(session)
    charts = usage_charts(usage_report(session, today=START), fmt="png")
    assert {chart.name for chart in charts} >= {"searches-by-week", "conversations-by-week"}
    assert all(chart.data.startswith(b"\x89PNG") for chart in charts)
    [chart] = demand_charts(demand_report(session))
    assert chart.data.lstrip().startswith(b"<?xml")
    assert not demand_charts(demand_report(session, k=50))


def test_a_career_asked_with_no_topic_reads_as_the_career_in_every_format(
    demo_session: Session,
) -> None:
    add_searches(demo_session, 6, career_goal="dental assistant")
    report = demand_report(demo_session)
    label = "dental assistant (career) · any age · anywhere"
    md_row = next(line for line in render_demand(report, "md").splitlines() if label in line)
    assert md_row.startswith(f"| {label} | 6 | 6 | 6 | 0 |")
    (_heading, row) = list(csv.reader(io.StringIO(render_demand(report, "csv"))))
    assert row[:5] == [label, "6", "6", "6", "0"] and "close careers and topics" in row[6]
    assert f"<td>{label}</td>" in render_demand(report, "html")
