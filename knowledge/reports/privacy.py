"""k-anonymity for every report: a count of fewer than k searches or uses is never shown.

A count of learners' actions is shown only when it is 0 or at least k; anything between is
replaced by "fewer than k" (None in the report objects). A total is never printed beside parts
that name their groups (a week on a channel, a topic), so subtracting the shown parts from it
cannot reveal a hidden group's count; what the demand report's totals leave over belongs to no
named group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DEFAULT_K = 5
MIN_K = 5  # k can be raised, never lowered below this: a count of 2 or 3 can point at someone


class ReportError(ValueError):
    """A report asked for with values it cannot use; the message says what to change."""


def check_k(k: int) -> int:
    """`k` itself, or a ReportError when it is below MIN_K."""
    if k < MIN_K:
        raise ReportError(f"k must be at least {MIN_K} (no smaller group is ever shown), not {k}")
    return k


def shown(count: int, k: int) -> int | None:
    """The count when it may be shown (0, or k and more); None when it must be hidden."""
    return count if count == 0 or count >= k else None


def hidden_label(k: int) -> str:
    """How a hidden count reads in every format."""
    return f"<{k}"


@dataclass(frozen=True)
class Window:
    """The days a report covers, both ends included; None: open-ended."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        """Refuse a window that ends before it starts."""
        if self.since and self.until and self.until < self.since:
            raise ReportError(
                f"the report cannot end ({self.until}) before it starts ({self.since})"
            )

    def describe(self) -> str:
        """ "2026-11-01 to 2026-11-30", "since 2026-11-01", "all recorded days"."""
        if self.since and self.until:
            return f"{self.since} to {self.until}"
        if self.since:
            return f"since {self.since}"
        if self.until:
            return f"up to {self.until}"
        return "all recorded days"
