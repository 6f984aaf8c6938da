"""The assistant speaks for the city it is deployed in: never the demo city's name by default."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.listing_lines import cost_of
from actions.query import summary_of
from actions.session_start import ActionSessionStart
from knowledge.db import make_engine
from knowledge.migrate import upgrade
from knowledge.models import Opportunity
from knowledge.search.query import SearchQuery
from tests.actions.conftest import ROOT, Configure, Run, slot_events, tracker

CITY_RESPONSES = ("utter_greet", "utter_out_of_scope")


def started_city(run: Run) -> Any:
    """The `city` slot a new session starts with."""
    _, events = run(ActionSessionStart(), tracker("", intent="session_start"))
    return slot_events(events)["city"]


def test_the_city_is_the_one_the_directory_holds(directory: str, run: Run) -> None:
    assert started_city(run) == "Alder Bay"  # the demo's places say so; nobody configured it


def test_the_configured_city_wins(directory: str, run: Run, configure: Configure) -> None:
    configure(WAYFINDER_CITY_NAME="Juniper Ford")
    assert started_city(run) == "Juniper Ford"


def test_a_directory_without_a_city_leaves_the_slot_empty(
    directory: str, tmp_path: Path, run: Run, configure: Configure
) -> None:
    url = f"sqlite:///{tmp_path / 'nameless.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    configure(WAYFINDER_DATABASE_URL=url)
    assert started_city(run) is None


def test_a_carried_over_city_is_replaced(directory: str, run: Run) -> None:
    old = tracker("", intent="session_start", slots={"city": "Somewhere Else", "age": 9.0})
    _, events = run(ActionSessionStart(), old)
    slots = slot_events(events)
    assert slots["city"] == "Alder Bay" and slots["age"] == 9.0


def test_without_the_database_the_session_starts_with_the_configured_city(
    run: Run, configure: Configure
) -> None:
    configure(WAYFINDER_DATABASE_URL="sqlite:////nonexistent-dir/forbidden/x.db")
    configure(WAYFINDER_CITY_NAME="Juniper Ford")
    _, events = run(ActionSessionStart(), tracker("", intent="session_start"))
    assert slot_events(events) == {"city": "Juniper Ford"}
    assert events[0]["event"] == "session_started" and events[-1]["name"] == "action_listen"


def test_responses_name_the_city_slot_and_read_well_without_it(domain: dict[str, Any]) -> None:
    assert "city" in domain["slots"]
    assert domain["slots"]["city"]["influence_conversation"] is False
    for name in CITY_RESPONSES:
        variations = domain["responses"][name]
        plain = [v for v in variations if "condition" not in v]
        nameless = [
            v
            for v in variations
            if v.get("condition") == [{"type": "slot", "name": "city", "value": None}]
        ]
        assert any("{city}" in v["text"] for v in plain), name
        assert nameless and not any("{city}" in v["text"] for v in nameless), name


def test_no_response_or_gateway_text_names_the_demo_city() -> None:
    texts = [path.read_text(encoding="utf-8") for path in (ROOT / "bot" / "domain").glob("*.yml")]
    texts += [path.read_text(encoding="utf-8") for path in (ROOT / "locales").glob("*/*.yml")]
    texts.append((ROOT / "bot" / "web" / "widget.js").read_text(encoding="utf-8"))
    texts += [path.read_text(encoding="utf-8") for path in (ROOT / "actions").glob("*.py")]
    assert not [text for text in texts if re.search("alder bay", text, re.IGNORECASE)]


def test_prices_are_written_in_the_listing_currency(directory: str, db: Session) -> None:
    listing = db.scalars(select(Opportunity).where(Opportunity.is_free.is_(False))).first()
    assert listing is not None and listing.cost_amount is not None
    listing.cost_amount, listing.financial_aid = Decimal("12.50"), None
    listing.cost_currency = "EUR"
    assert cost_of(listing) == "€12.50"
    listing.cost_currency = "SEK"
    assert cost_of(listing) == "12.50 SEK"


def test_a_price_limit_is_echoed_in_the_city_currency() -> None:
    query = SearchQuery(text="", topics=("art",), max_cost=Decimal("50"))
    assert summary_of(query, None, "GBP") == "art · ≤ £50"
    assert summary_of(query, None) == "art · ≤ $50"
