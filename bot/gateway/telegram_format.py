"""Bot messages as Telegram shows them: escaped HTML with links, split at Telegram's limit, buttons
as inline keyboards whose callback data fits Telegram's 64 bytes."""

from __future__ import annotations

import hashlib
import html
import re
from collections import OrderedDict
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.gateway.messages import Button

MESSAGE_LIMIT = 4096  # characters of text after parsing, per Telegram's Bot API
CALLBACK_LIMIT = 64  # bytes of callback_data
LONG_TITLE = 20  # buttons with longer titles get a row each
ROW = 3
STASHED = "#"  # callback data that names a stashed payload
URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def to_html(text: str) -> str:
    """Text for parse_mode=HTML: everything escaped, web addresses as links."""
    parts, last = [], 0
    for match in URL.finditer(text):
        parts.append(html.escape(text[last : match.start()], quote=False))
        url = match.group(0)
        parts.append(
            f'<a href="{html.escape(url, quote=True)}">{html.escape(url, quote=False)}</a>'
        )
        last = match.end()
    parts.append(html.escape(text[last:], quote=False))
    return "".join(parts)


def split(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line or word where possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


class PayloadStash:
    """Payloads too long for callback data, kept by a short key (the newest 10,000)."""

    def __init__(self, size: int = 10_000) -> None:
        self._items: OrderedDict[str, str] = OrderedDict()
        self._size = size

    def data_for(self, payload: str) -> str:
        """Callback data for a payload: itself when it fits, else a key."""
        if len(payload.encode()) <= CALLBACK_LIMIT:
            return payload
        key = STASHED + hashlib.sha256(payload.encode()).hexdigest()[:20]
        self._items[key] = payload
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return key

    def payload_for(self, data: str) -> str | None:
        """The payload behind callback data; None when a stashed one is gone (a restart)."""
        if not data.startswith(STASHED):
            return data
        return self._items.get(data)


def keyboard(buttons: Sequence[Button], stash: PayloadStash) -> InlineKeyboardMarkup | None:
    """An inline keyboard: short buttons three to a row, long ones a row each."""
    if not buttons:
        return None
    keys = [
        InlineKeyboardButton(button.title[:64] or "…", callback_data=stash.data_for(button.payload))
        for button in buttons
    ]
    if any(len(button.title) > LONG_TITLE for button in buttons):
        return InlineKeyboardMarkup([[key] for key in keys])
    return InlineKeyboardMarkup([keys[i : i + ROW] for i in range(0, len(keys), ROW)])
