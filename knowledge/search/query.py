"""What a learner asks for: free text plus optional filters, checked once so search can trust it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from knowledge.listing_fields import FieldError, parse_age, parse_cost, parse_day, parse_language
from knowledge.models import FORMATS

ROUTE = re.compile(r"[A-Za-z]{0,3}-?\d{1,4}[A-Za-z]{0,2}")  # 14, M15, M-15, 7A
WHENS = ("weekend", "weekday", "after_school", "evening", "morning", "summer")


class QueryError(ValueError):
    """A search request that cannot be run as given; the message says what to change."""


@dataclass(frozen=True)
class SearchQuery:
    """One search: `text` is interpreted, and any filter given here wins over what it implies.

    `near` is (latitude, longitude); `radius_km` applies to it or to `neighbourhood` (name or
    alias). `days` are Mon…Sun (any of them), `when` any of WHENS (all must hold), `language` an
    ISO 639-1 code (the language a listing is taught in, unlike `text_language`, the one the
    learner wrote `text` in), `upcoming_days` keeps what runs now or starts within that many days.
    """

    text: str = ""
    topics: tuple[str, ...] = ()
    age: int | None = None
    neighbourhood: str | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    free_only: bool = False
    max_cost: Decimal | float | None = None
    days: tuple[str, ...] = ()
    when: tuple[str, ...] = ()
    format: str | None = None
    language: str | None = None
    upcoming_days: int | None = None
    route: str | None = None  # a line the place must be on: "14" (its transport notes name it)
    text_language: str | None = None  # the chat language `text` is read in (None: the source)

    def __post_init__(self) -> None:
        """Refuse impossible values with a message a person can act on."""
        if self.age is not None:
            checked("age", parse_age, str(self.age))
        if self.near is not None:
            latitude, longitude = self.near
            if not -90 <= latitude <= 90:
                raise QueryError(f"latitude must be between -90 and 90, not {latitude}")
            if not -180 <= longitude <= 180:
                raise QueryError(f"longitude must be between -180 and 180, not {longitude}")
        if self.near is not None and self.neighbourhood:
            raise QueryError("give either a neighbourhood or a point (near), not both")
        if self.radius_km is not None and not 0 < self.radius_km <= 500:
            raise QueryError(f"radius must be more than 0 and at most 500 km, not {self.radius_km}")
        if self.max_cost is not None:
            object.__setattr__(self, "max_cost", _decimal(self.max_cost))
        object.__setattr__(self, "days", tuple(day_code(day) for day in self.days))
        object.__setattr__(self, "when", tuple(self.when))
        object.__setattr__(self, "topics", tuple(self.topics))
        unknown_when = [when for when in self.when if when not in WHENS]
        if unknown_when:
            raise QueryError(f"unknown time {unknown_when[0]!r}; use {', '.join(WHENS)}")
        if self.format is not None and self.format not in FORMATS:
            raise QueryError(f"unknown format {self.format!r}; use {', '.join(FORMATS)}")
        if self.language is not None:
            object.__setattr__(self, "language", checked("language", parse_language, self.language))
        if self.route is not None and not ROUTE.fullmatch(self.route):
            raise QueryError(
                f"route {self.route!r} is not a line's number; give it as written on the bus or "
                "train, such as 14, M15 or 7A"
            )
        if self.upcoming_days is not None and self.upcoming_days < 0:
            raise QueryError(f"upcoming days cannot be negative, not {self.upcoming_days}")

    @property
    def cost_limit(self) -> Decimal | None:
        """`max_cost` as an exact amount."""
        return None if self.max_cost is None else _decimal(self.max_cost)


def checked[Value](name: str, parse: Callable[[str], Value], value: str) -> Value:
    """A filter's value through the listing field's own rule, refused with its message."""
    try:
        return parse(value)
    except FieldError as error:
        raise QueryError(f"{name}: {error}") from None


def day_code(name: str) -> str:
    """ "Sat" for "Sat", "sat" or "Saturday"; a clear refusal for anything else."""
    return checked("days", parse_day, name)


def _decimal(value: object) -> Decimal:
    """A maximum cost a listing's cost could be, kept as given."""
    text = str(value)
    checked("maximum cost", parse_cost, text)
    return Decimal(text)
