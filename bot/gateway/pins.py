"""A shared location as the assistant receives it from any channel: a Telegram pin and the web
widget's "Share my location" both become the share_location intent with the coordinates as its
entities, which fill the latitude and longitude slots (kept with the conversation, like a place
the learner types, and erased with it)."""

from __future__ import annotations

import json
import math
from typing import Any

INTENT = "/share_location"


def share_location(latitude: float, longitude: float) -> str:
    """The message that tells the assistant where the learner is."""
    return INTENT + json.dumps({"latitude": latitude, "longitude": longitude})


def pin_of(value: Any) -> tuple[float, float]:
    """{"latitude", "longitude"} as sent by a client, checked; ValueError says what to send."""
    if not isinstance(value, dict) or set(value) != {"latitude", "longitude"}:
        raise ValueError('location must be {"latitude": …, "longitude": …} in decimal degrees')
    latitude = _degrees(value["latitude"], "latitude", 90)
    longitude = _degrees(value["longitude"], "longitude", 180)
    return latitude, longitude


def _degrees(value: Any, name: str, bound: int) -> float:
    """One coordinate: a number within ±bound."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"location {name} must be a number of decimal degrees")
    if not -bound <= value <= bound:
        raise ValueError(f"location {name} must be between -{bound} and {bound}, not {value}")
    return float(value)
