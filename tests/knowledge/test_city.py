"""The city's identity: from the settings, else from what the directory holds."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.city import City, city_of, most_common_city, most_common_currency, priced_in
from knowledge.models import Opportunity
from knowledge.settings import Settings
from tests.knowledge.transfer.factories import import_rows, row

UNSET = Settings.from_env({"WAYFINDER_DATABASE_URL": "sqlite://"})


def test_an_empty_directory_has_no_city_and_the_default_currency(session: Session) -> None:
    city = city_of(session, UNSET)
    assert city == City(name=None, timezone="UTC", currency="USD", locale="en_US")
    assert most_common_city(session) is None and most_common_currency(session) is None


def test_the_name_is_the_city_most_places_give(session: Session) -> None:
    rows = [
        row(external_id="1", address="1 Elm St", city="Juniper Ford"),
        row(external_id="2", address="2 Elm St", city="Juniper Ford"),
        row(external_id="3", address="3 Elm St", city="Westbrook"),
        row(external_id="4", address="", neighborhood="", latitude="", longitude="", city=""),
    ]
    assert import_rows(session, rows).ok
    assert city_of(session, UNSET).name == "Juniper Ford"


def test_settings_win_over_the_directory(session: Session) -> None:
    assert import_rows(session, [row(city="Juniper Ford")]).ok
    settings = Settings.from_env(
        {
            "WAYFINDER_CITY_NAME": "Greater Juniper",
            "WAYFINDER_TIMEZONE": "America/Denver",
            "WAYFINDER_CURRENCY": "EUR",
            "WAYFINDER_LOCALE": "es_US",
        }
    )
    assert city_of(session, settings) == City("Greater Juniper", "America/Denver", "EUR", "es_US")


def test_imported_listings_are_priced_in_the_configured_currency(session: Session) -> None:
    session.info.update(priced_in("EUR"))  # as the process's session factory starts each session
    assert import_rows(session, [row(cost="12.50")]).ok
    assert session.scalar(select(Opportunity.cost_currency)) == "EUR"
    assert most_common_currency(session) == "EUR"
    assert city_of(session, UNSET).currency == "EUR"  # the directory says so from now on


def test_today_is_the_date_in_the_city() -> None:
    late = datetime(2027, 1, 9, 3, 30)  # naive = UTC, as the database stores times
    assert City(None, "UTC", "USD", "en_US").today(late) == date(2027, 1, 9)
    assert City(None, "America/New_York", "USD", "en_US").today(late) == date(2027, 1, 8)
    aware = datetime(2027, 1, 8, 23, 0, tzinfo=UTC)
    assert City(None, "Asia/Tokyo", "JPY", "ja_JP").today(aware) == date(2027, 1, 9)
