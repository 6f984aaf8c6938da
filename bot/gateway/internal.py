"""The gateway's endpoints for machines, not learners: /health for load balancers, and, with
WAYFINDER_GATEWAY_TOKEN as a bearer token, /internal/stats for monitoring and /internal/deliver
for the reminder worker."""

from __future__ import annotations

import hmac
import logging
import re

from sanic import Blueprint, HTTPResponse, Request, response

from bot.gateway.core import Gateway
from bot.gateway.messages import BotMessage
from bot.gateway.outbox import DeliveryBusy
from bot.gateway.settings import GatewaySettings
from bot.gateway.web import load_json

logger = logging.getLogger(__name__)
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._-]{1,100}")  # /index is appended per message


def internal_blueprint(gateway: Gateway) -> Blueprint:
    """/health and the token-guarded /internal routes, bound to one gateway."""
    bp = Blueprint("internal")
    settings = gateway.settings

    @bp.get("/health")
    async def health(request: Request) -> HTTPResponse:
        """For load balancers and docker compose."""
        return response.json({"status": "ok", "telegram": request.app.ctx.telegram is not None})

    @bp.get("/internal/stats")
    async def stats(request: Request) -> HTTPResponse:
        """The gateway's own time per message, by channel (for monitoring and `make bench`)."""
        if not trusted(request, settings):
            return response.json({"error": "not allowed"}, status=403)
        return response.json(gateway.timings.summary())

    @bp.post("/internal/deliver")
    async def deliver(request: Request) -> HTTPResponse:
        """A reminder (from the worker) for a learner, on whichever channel they use; with an
        Idempotency-Key each message goes out once however often the worker retries."""
        if not trusted(request, settings):
            return response.json({"error": "not allowed"}, status=403)
        key = request.headers.get("Idempotency-Key")
        if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
            return response.json({"error": "Idempotency-Key: 1-100 of A-Z a-z 0-9 . _ -"}, 400)
        try:
            body = load_json(request.body)  # BadRequest is a ValueError
            sender = str(body["sender_id"])
            messages = [BotMessage.from_rasa(item) for item in body["messages"]]
        except (ValueError, KeyError, TypeError):
            return response.json(
                {"error": 'the body must be {"sender_id": "...", "messages": [...]}'}, status=400
            )
        try:
            delivered = await gateway.outbox.deliver(sender, messages, key)
        except DeliveryBusy as busy:  # an earlier try is still sending: the worker retries later
            return response.json({"error": str(busy)}, status=409)
        except Exception as error:  # Telegram down: the worker retries later
            logger.warning("could not deliver to %s: %s", sender, error)
            return response.json({"error": f"delivery failed: {error}"}, status=502)
        if not delivered:
            return response.json({"error": "no channel known for this sender"}, status=404)
        return response.json({"delivered": len(messages)})

    return bp


def trusted(request: Request, settings: GatewaySettings) -> bool:
    """The worker's call, with WAYFINDER_GATEWAY_TOKEN as a bearer token. Never by address:
    behind a reverse proxy on the same host every internet request comes from loopback."""
    if not settings.deliver_token:
        return False  # closed until a token is set (`make run` generates one)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), settings.deliver_token.encode())
