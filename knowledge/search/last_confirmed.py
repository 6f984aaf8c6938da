"""How long ago a provider confirmed a listing, for ranking and for what learners are told."""

from __future__ import annotations

from datetime import date, timedelta


def is_stale(assured: date | None, *, today: date, days: int) -> bool:
    """Confirmed, but more than `days` days ago: ranked lower and flagged to learners.

    A listing never confirmed does not count: there is no date to warn about, and a directory
    imported without confirmation dates would otherwise sink wholesale below any confirmed
    listing, ranking by where a listing came from rather than by how old it is. Organisers still
    see never-confirmed listings as stale (knowledge.editing.stale_nudges), so they get nudged.
    """
    return assured is not None and assured < today - timedelta(days=days)


def days_since(assured: date, today: date) -> int:
    """Whole days since the confirmation (0 for a date in the future)."""
    return max((today - assured).days, 0)
