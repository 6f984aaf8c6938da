"""Telegram rendering: escaped HTML with links, splitting at the limit, keyboards, long payloads."""

from __future__ import annotations

from bot.gateway.messages import Button
from bot.gateway.telegram_format import (
    CALLBACK_LIMIT,
    MESSAGE_LIMIT,
    PayloadStash,
    keyboard,
    split,
    to_html,
)


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
    stash = PayloadStash()
    short = [Button(str(n), f'/pick{{"n": {n}}}') for n in range(1, 6)]
    rows = keyboard(short, stash)
    assert rows is not None and [len(row) for row in rows.inline_keyboard] == [3, 2]
    long = [Button("Saturday Code Club at the library", "/a"), Button("Show more", "/b")]
    rows = keyboard(long, stash)
    assert rows is not None and [len(row) for row in rows.inline_keyboard] == [1, 1]
    assert keyboard([], stash) is None


def test_payloads_over_64_bytes_travel_as_a_key_and_come_back() -> None:
    stash = PayloadStash(size=2)
    short = '/opportunity_details{"ordinal": "2"}'
    assert stash.data_for(short) == short and stash.payload_for(short) == short
    long = '/share_location{"latitude": 41.499320, "longitude": -81.694361, "x": "padding"}'
    key = stash.data_for(long)
    assert len(key.encode()) <= CALLBACK_LIMIT and key != long
    assert stash.payload_for(key) == long
    stash.data_for(long + "1")
    stash.data_for(long + "2")  # the oldest is dropped
    assert stash.payload_for(key) is None
