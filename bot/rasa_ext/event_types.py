"""Stored events read back without searching Rasa's event classes for each one.

Rasa 3.6 turns each stored event's `"event": "slot"` into its class by walking every subclass of
Event, checking each for abstractness, once per event: reading a conversation back, and every
event of every tracker the action server returns, did that walk again (2 % of the Rasa server's
CPU at 20 msg/s on PostgreSQL, py-spy 2026-12-07). The classes do not change while the server
runs, so a name found once is kept; a name not found still goes to Rasa (its error, its default).
`install()` runs when the Rasa server builds our tracker store (bot/endpoints.yml), at start-up.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import Event


def install() -> None:
    """Make Event.resolve_by_type remember the classes it found (once)."""
    original: Any = Event.resolve_by_type
    if getattr(original, "wayfinder_kept", False):
        return
    found: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> Any:
        kept = found.get(type_name)
        if kept is not None:
            return kept
        resolved = original(type_name, default)
        if resolved is not None and resolved is not default:
            found[type_name] = resolved
        return resolved

    resolve_by_type.wayfinder_kept = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)
