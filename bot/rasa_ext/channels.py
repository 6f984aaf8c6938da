"""The REST channel, with one promise added: a message never goes unanswered.

Rasa 3.6 logs and swallows a failing custom action (action server down, a timeout), and the user
would hear nothing. When a message gets no reply at all, this channel sends the domain's
`utter_technical_trouble` text instead. Configured in bot/credentials.yml by module path; the URL
stays /webhooks/rest/webhook.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

logger = logging.getLogger(__name__)
DOMAIN = Path("bot/domain")
RESPONSE = "utter_technical_trouble"


def apology_text(domain_folder: Path = DOMAIN) -> str:
    """The first variation of utter_technical_trouble, read from the domain files."""
    for path in sorted(domain_folder.glob("*.yml")):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}
        variations = responses.get(RESPONSE)
        if variations:
            return str(variations[0]["text"])
    raise ValueError(f"{RESPONSE} is missing from {domain_folder}")


class WayfinderRestInput(RestInput):
    """RestInput that apologises instead of staying silent."""

    def __init__(self, domain_folder: str | None = None) -> None:
        self.apology = apology_text(Path(domain_folder) if domain_folder else DOMAIN)

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WayfinderRestInput:
        return cls((credentials or {}).get("domain_folder"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST blueprint around a handler that fills an empty reply with the apology."""

        async def answered(message: UserMessage) -> Any:
            try:
                result = await on_new_message(message)
            except Exception:
                logger.exception("handling a message failed")
                result = None
            channel = message.output_channel
            if isinstance(channel, CollectingOutputChannel) and not channel.messages:
                await channel.send_text_message(message.sender_id or "", self.apology)
            return result

        blueprint: Blueprint = super().blueprint(answered)
        return blueprint
