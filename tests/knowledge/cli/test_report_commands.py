"""`wayfinder report demand|usage`: the formats, a file, and clear refusals (exit 2) for a bad
date, format or k."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import insert

from knowledge.models import SearchRecord, UsageEvent
from tests.knowledge.cli.conftest import City, Cli

START = date(2026, 11, 2)  # a Monday: ISO week 2026-W45


def _record(city: City) -> None:
    """Eight searches for robotics at ages 6–8 that found nothing, two that found plenty, and a
    week of conversations."""
    with city.session() as session:
        rows = [{"day": START, "channel": "web", "topic": "robotics", "age_band": "6–8",
                 "results": 0}] * 8  # fmt: skip
        rows += [{"day": START, "channel": "web", "topic": "reading", "results": 9}] * 2
        session.execute(insert(SearchRecord), rows)
        events = [{"day": START, "channel": "telegram", "kind": "conversation"}] * 6
        session.execute(insert(UsageEvent), events)


def test_demand_in_markdown_names_the_group_and_the_offers(city: City, cli: Cli) -> None:
    _record(city)
    code, out, err = cli("report", "demand")
    assert (code, err) == (0, "")
    assert "| robotics · ages 6–8 · anywhere | 8 | 8 | 8 |" in out
    assert "Saturday Robotics" in out  # the nearest offer: the same topic for other ages


def test_demand_as_csv_since_a_day(city: City, cli: Cli) -> None:
    _record(city)
    code, out, _ = cli("report", "demand", "--format", "csv", "--since", "2026-11-03")
    assert code == 0
    assert list(csv.reader(io.StringIO(out))) == [
        ["asked for", "searches", "found little", "found nothing", "listings now",
         "often also", "nearest offers"],
    ]  # fmt: skip


def test_usage_as_html_to_a_file(city: City, cli: Cli, tmp_path: Path) -> None:
    _record(city)
    target = tmp_path / "usage.html"
    code, out, err = cli("report", "usage", "--format", "html", "--output", str(target))
    assert (code, out) == (0, "")
    assert f"wrote {target}" in err
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "data:image/svg+xml;base64," in page
    assert "<td>2026-W45</td>" in page


def test_bad_dates_formats_and_k_are_usage_errors(
    city: City, cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    for args, said in (
        (("demand", "--since", "2026-13-01"), "not a date: '2026-13-01'; write it as YYYY-MM-DD"),
        (("usage", "--until", "yesterday"), "not a date: 'yesterday'"),
        (("usage", "--format", "pdf"), "invalid choice: 'pdf'"),
        (("usage", "--k", "2"), "at least 5"),
    ):
        with pytest.raises(SystemExit) as exited:
            cli("report", *args)
        assert exited.value.code == 2
        assert said in capsys.readouterr().err


def test_a_window_that_ends_before_it_starts_is_refused(city: City, cli: Cli) -> None:
    code, _, err = cli("report", "usage", "--since", "2026-11-10", "--until", "2026-11-01")
    assert code == 1
    assert "cannot end (2026-11-01) before it starts (2026-11-10)" in err


def test_an_unwritable_output_is_one_line(city: City, cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("report", "demand", "--output", str(tmp_path / "missing" / "x.md"))
    assert code == 1 and err.startswith("error: cannot write")
