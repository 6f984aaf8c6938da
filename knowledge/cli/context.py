"""What every command needs: settings and a lazily opened database."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from knowledge.city import priced_in
from knowledge.db import make_engine, make_sessionmaker
from knowledge.listing_fields import FieldError
from knowledge.settings import Settings


class CliError(Exception):
    """A refusal the user can act on; printed without a traceback."""


def field_option[Value](parse: Callable[[str], Value]) -> Callable[[str], Value]:
    """An option's type: the listing field's own rule (knowledge.listing_fields), refused with
    its message, so `--age 500` reads the same in every command as in a spreadsheet."""

    def parsed(value: str) -> Value:
        try:
            return parse(value.strip())
        except FieldError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parsed


@dataclass
class Context:
    """Opens the database on first use, so `--help` and parse errors never touch it."""

    _env: Mapping[str, str] = field(default_factory=dict)
    _settings: Settings | None = None
    _engine: Engine | None = field(default=None, init=False)
    _sessions: sessionmaker[Session] | None = field(default=None, init=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Context:
        """Settings from `main`'s environment, read once, when a command first needs them."""
        return cls(_env=dict(env))

    @property
    def settings(self) -> Settings:
        """The settings; a bad value (WAYFINDER_TIMEZONE=Mars) is one line, not a traceback."""
        if self._settings is None:
            try:
                self._settings = Settings.from_env(self._env)
            except ValueError as error:
                raise CliError(str(error)) from error
        return self._settings

    @property
    def engine(self) -> Engine:
        """The directory's engine, created on first use."""
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url, echo=self.settings.database_echo)
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory; commands open `with context.sessions.begin() as session:`."""
        if self._sessions is None:
            self._sessions = make_sessionmaker(self.engine, info=priced_in(self.settings.currency))
        return self._sessions

    def close(self) -> None:
        """Release connections."""
        if self._engine is not None:
            self._engine.dispose()


def require_schema(context: Context) -> None:
    """Refuse a database that is not migrated to the code's schema, and say what to run."""
    from knowledge.migrate import current_revision, head_revision

    current, head = current_revision(context.engine), head_revision()
    if current != head:
        state = "has no schema yet" if current is None else f"is at revision {current}"
        raise CliError(
            f"the database {context.engine.url.render_as_string(hide_password=True)} {state}; "
            f"the code expects {head}. Run `wayfinder db upgrade` first."
        )
