"""Stable identifiers for exports: the same record gets the same UUID on every export."""

from __future__ import annotations

import uuid

# Fixed for ever: changing it would change every exported id.
NAMESPACE = uuid.UUID("65f2e327-bdf2-4ecf-afaf-947b4de10366")


def stable_id(kind: str, *parts: str) -> str:
    """A UUIDv5 from a record kind and its natural key (external id, key or name)."""
    return str(uuid.uuid5(NAMESPACE, "|".join((kind, *parts))))
