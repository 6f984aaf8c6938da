"""Trackers copied and described without deep copies nobody needs.

Two copies in Rasa 3.6 took 7 % of the Rasa server's CPU at 12 msg/s on PostgreSQL (py-spy,
2026-12-07), by Python's generic copying:

- every copy of a tracker (Rasa makes one per prediction, form validation and rewind) copies each
  of the domain's slots with `copy.copy`, which goes through `__reduce_ex__`; `Slot.__copy__` here
  makes the same shallow copy directly;
- each call to the action server describes the active form with `dataclasses.asdict`, which
  deep-copies the message that started the form (intent ranking, entities) only for it to be
  written to JSON at once; here it is described with the same values, not copied.

`install()` runs when the Rasa server builds our tracker store (bot/endpoints.yml), at start-up.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any

from rasa.shared.core import trackers
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import TrackerActiveLoop


def slot_copy(slot: Slot) -> Slot:
    """What copy.copy makes of a slot (same class, same attributes), made directly."""
    copied = object.__new__(type(slot))
    copied.__dict__.update(slot.__dict__)
    return copied


def described(value: Any) -> Any:
    """dataclasses.asdict, but an active loop's fields as they are (it goes straight to JSON)."""
    if type(value) is TrackerActiveLoop:
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    return dataclasses.asdict(value)


def install() -> None:
    """Give Slot a direct __copy__ and the trackers module the describing asdict (once)."""
    if getattr(trackers.dataclasses, "wayfinder_described", False):
        return
    Slot.__copy__ = slot_copy
    shim = types.ModuleType("dataclasses", "dataclasses, with asdict describing active loops")
    shim.__dict__.update(dataclasses.__dict__)
    shim.asdict = described  # type: ignore[attr-defined]
    shim.wayfinder_described = True  # type: ignore[attr-defined]
    trackers.dataclasses = shim
