"""The names the community handlers share: each button's verb in its callback data
("pv:<verb>:<arguments>", kept short for Telegram's 64 bytes; never renamed, since buttons already
sent carry them) and the kinds of guided step a member can be in."""

from __future__ import annotations

from typing import Final

PREFIX: Final = "pv"  # callback data of the provider features: "pv:<verb>:<arguments>"


class Verb:
    """What a provider button asks for; its arguments follow it in the callback data."""

    LISTINGS_PAGE: Final = "ls"  # page: a page of the member's listings
    LISTING: Final = "l"  # listing: one listing and what can be changed
    FIELD: Final = "f"  # listing, field: ask for a new value of that field
    TOGGLE: Final = "t"  # listing: mark it running or ended
    OTHER_FIELDS: Final = "o"  # listing: the fields not on the first keyboard
    VALUE: Final = "v"  # value: a tapped choice for the field asked about
    SKIP: Final = "skip"  # skip an optional field of a new listing
    CONFIRM: Final = "ok"  # save the previewed change
    CANCEL: Final = "no"  # leave the step, nothing saved
    NEW_FOR_PROVIDER: Final = "np"  # provider: start a new listing for it
    APPROVE: Final = "ra"  # request: an organiser approves it
    REJECT: Final = "rr"  # request: ask the organiser for a reason
    NEXT_REQUEST: Final = "rn"  # request: show the next one waiting after it
    NUDGE_ANSWER: Final = "n"  # nudge, answer: running, changed or ended


class StepKind:
    """What an open guided step waits for."""

    VALUE: Final = "value"  # a new value for one field of a listing
    NEW: Final = "new"  # the next field of a new listing
    REASON: Final = "reason"  # an organiser's reason for rejecting a request
    CONFIRM: Final = "confirm"  # OK or cancel for a preview


class Previewed:
    """What a confirm step's preview is of (its data's "what")."""

    NEW: Final = "new"  # a new listing
    EDIT: Final = "edit"  # a change to a listing
