"""The gateway's one way into the assistant: Rasa's REST channel, over HTTP."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.gateway.messages import BotMessage
from bot.observability.logs import METADATA_KEY, ensure_request_id

logger = logging.getLogger(__name__)
TIMEOUT_S = 30.0


class RasaUnavailable(Exception):
    """Rasa could not be reached or failed; the gateway apologises instead of going silent."""


class RasaClient:
    """POSTs user messages to /webhooks/rest/webhook and returns the bot's replies."""

    def __init__(self, url: str, client: httpx.AsyncClient | None = None) -> None:
        self.base_url = url.rstrip("/")
        self.url = self.base_url + "/webhooks/rest/webhook"
        self._client = client or httpx.AsyncClient(timeout=TIMEOUT_S)

    async def send(
        self, sender_id: str, text: str, channel: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        """The replies to one message, in order; `channel` becomes the tracker's input channel.
        The message's request id goes in the metadata, for the actions' log lines."""
        body = {
            "sender": sender_id,
            "message": text,
            "input_channel": channel,
            "metadata": {**(metadata or {}), METADATA_KEY: ensure_request_id()},
        }
        try:
            response = await self._client.post(self.url, json=body)
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as error:
            logger.warning("Rasa did not answer %s: %s", self.url, error)
            raise RasaUnavailable(str(error)) from error
        if not isinstance(replies, list):
            raise RasaUnavailable(f"unexpected reply from Rasa: {replies!r:.200}")
        return [BotMessage.from_rasa(reply) for reply in replies if isinstance(reply, dict)]

    async def ping(self) -> None:
        """Rasa's / answers (readiness): raises when it does not."""
        answer = await self._client.get(self.base_url + "/")
        answer.raise_for_status()

    async def close(self) -> None:
        """Release the connection pool."""
        await self._client.aclose()
