"""Settings come from the environment; unset means the embedded SQLite default."""

from __future__ import annotations

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
