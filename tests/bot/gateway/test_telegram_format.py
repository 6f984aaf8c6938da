"""Telegram rendering: escaped HTML with links, splitting at the limit, keyboards, long payloads
(the stash itself: shared/test_stash.py)."""

from __future__ import annotations

import asyncio

from bot.gateway.messages import Button
from bot.gateway.shared.stash import MemoryPayloadStash
from bot.gateway.telegram_format import CALLBACK_LIMIT, MESSAGE_LIMIT, keyboard, split, to_html


def test_text_is_escaped_and_web_addresses_become_links() -> None:
    shown = to_html("<b>Robots & you</b>: see https://example.org/a?b=1&c=2.")
    assert shown == (
        "&lt;b&gt;Robots &amp; you&lt;/b&gt;: see "
        '<a href="https://example.org/a?b=1&amp;c=2">https://example.org/a?b=1&amp;c=2</a>.'
    )
    assert to_html("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"


def test_long_text_is_split_at_line_or_word_boundaries_within_the_limit() -> None:
    paragraph = "word " * 300
    text = "\n".join([paragraph.strip()] * 5)  # about 7,500 characters
    pieces = split(text)
    assert len(pieces) == 2
    assert all(len(piece) <= MESSAGE_LIMIT for piece in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())  # nothing lost
    assert split("") == [""]
    assert split("x" * (MESSAGE_LIMIT + 10)) == ["x" * MESSAGE_LIMIT, "x" * 10]  # no space: cut


def test_short_buttons_share_rows_and_long_ones_get_a_row_each() -> None:
    stash = MemoryPayloadStash()
    short = [Button(str(n), f'/pick{{"n": {n}}}') for n in range(1, 6)]
    rows = asyncio.run(keyboard(short, stash))
    assert rows is not None and [len(row) for row in rows.inline_keyboard] == [3, 2]
    long = [Button("Saturday Code Club at the library", "/a"), Button("Show more", "/b")]
    rows = asyncio.run(keyboard(long, stash))
    assert rows is not None and [len(row) for row in rows.inline_keyboard] == [1, 1]
    assert asyncio.run(keyboard([], stash)) is None


def test_a_long_payload_travels_as_a_key_that_fits_the_callback_data() -> None:
    stash = MemoryPayloadStash()
    long = '/share_location{"latitude": 41.499320, "longitude": -81.694361, "x": "padding"}'
    rows = asyncio.run(keyboard([Button("Here", long)], stash))
    assert rows is not None
    data = rows.inline_keyboard[0][0].callback_data
    assert isinstance(data, str) and len(data.encode()) <= CALLBACK_LIMIT
    assert asyncio.run(stash.payload_for(data)) == long
