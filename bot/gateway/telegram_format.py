"""Bot messages as Telegram shows them: escaped HTML with links, split at Telegram's limit, buttons
as inline keyboards whose callback data fits Telegram's 64 bytes (longer payloads are stashed,
bot.gateway.shared.stash)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.gateway.messages import Button
from bot.gateway.shared.stash import CALLBACK_LIMIT, PayloadStash

__all__ = ["CALLBACK_LIMIT", "MESSAGE_LIMIT", "keyboard", "split", "to_html"]

MESSAGE_LIMIT = 4096  # characters of text after parsing, per Telegram's Bot API
LONG_TITLE = 20  # buttons with longer titles get a row each
ROW = 3
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


async def keyboard(buttons: Sequence[Button], stash: PayloadStash) -> InlineKeyboardMarkup | None:
    """An inline keyboard: short buttons three to a row, long ones a row each."""
    if not buttons:
        return None
    keys = [
        InlineKeyboardButton(
            button.title[:64] or "…", callback_data=await stash.data_for(button.payload)
        )
        for button in buttons
    ]
    if any(len(button.title) > LONG_TITLE for button in buttons):
        return InlineKeyboardMarkup([[key] for key in keys])
    return InlineKeyboardMarkup([keys[i : i + ROW] for i in range(0, len(keys), ROW)])
