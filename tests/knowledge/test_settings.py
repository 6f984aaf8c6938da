"""Settings come from the environment; unset means the embedded SQLite default."""

from __future__ import annotations

from datetime import time

import pytest

from knowledge.settings import PROJECT_ROOT, Settings


def test_unset_database_url_defaults_to_sqlite_under_var() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'wayfinder.db'}"
    assert settings.database_echo is False


def test_database_url_and_echo_come_from_the_environment() -> None:
    env = {
        "WAYFINDER_DATABASE_URL": " postgresql+psycopg://u@h/db ",
        "WAYFINDER_DATABASE_ECHO": "1",
    }
    settings = Settings.from_env(env)
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.database_echo is True


def test_the_city_is_unset_by_default_so_it_comes_from_the_directory() -> None:
    settings = Settings.from_env({})
    assert (settings.city_name, settings.currency) == (None, None)
    assert (settings.timezone, settings.locale, settings.seed_demo) == ("UTC", "en_US", None)


def test_city_settings_are_read_and_normalised() -> None:
    settings = Settings.from_env(
        {
            "WAYFINDER_CITY_NAME": "  Juniper   Ford ",
            "WAYFINDER_TIMEZONE": "America/Chicago",
            "WAYFINDER_CURRENCY": "cad",
            "WAYFINDER_LOCALE": "fr-ca.UTF-8",
            "WAYFINDER_SEED_DEMO": "1",
        }
    )
    assert settings.city_name == "Juniper Ford"
    assert (settings.timezone, settings.currency, settings.locale) == (
        "America/Chicago",
        "CAD",
        "fr_CA",
    )
    assert settings.seed_demo is True
    assert Settings.from_env({"WAYFINDER_SEED_DEMO": "0"}).seed_demo is False


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("WAYFINDER_TIMEZONE", "Mars/Olympus", "IANA time zone such as America/New_York"),
        ("WAYFINDER_TIMEZONE", "../etc/passwd", "IANA time zone"),
        ("WAYFINDER_CURRENCY", "$", "three-letter ISO 4217 code"),
        ("WAYFINDER_LOCALE", "English", "language and region such as en_US"),
        ("WAYFINDER_SEED_DEMO", "maybe", "must be 1, 0 or unset"),
        ("WAYFINDER_REMINDER_TIME", "9am", "HH:MM on the 24-hour clock, such as 09:00"),
        ("WAYFINDER_REMINDER_TIME", "24:00", "HH:MM on the 24-hour clock"),
        ("WAYFINDER_REMINDER_TIME", "09:60", "HH:MM on the 24-hour clock"),
        ("WAYFINDER_REMINDER_TIME", "09.00", "HH:MM on the 24-hour clock"),
        ("WAYFINDER_REMINDER_TIME", "9:00:30", "HH:MM on the 24-hour clock"),
    ],
)
def test_a_bad_city_setting_names_the_variable(variable: str, value: str, says: str) -> None:
    with pytest.raises(ValueError, match=variable) as raised:
        Settings.from_env({variable: value})
    assert says in str(raised.value) and repr(value) in str(raised.value)


def test_reminders_go_out_at_nine_unless_the_city_sets_another_time() -> None:
    assert Settings.from_env({}).reminder_time == time(9, 0)
    assert Settings.from_env({"WAYFINDER_REMINDER_TIME": " 17:30 "}).reminder_time == time(17, 30)
    assert Settings.from_env({"WAYFINDER_REMINDER_TIME": "7:05"}).reminder_time == time(7, 5)
    assert Settings.from_env({"WAYFINDER_REMINDER_TIME": "00:00"}).reminder_time == time(0, 0)
