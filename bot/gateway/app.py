"""The gateway's web server (Sanic): the widget and its API, Telegram's webhook when used,
/internal/deliver for proactive messages, /health; Telegram's polling runs beside it.

`python -m bot.gateway` starts it (`make run` does, on port 8080).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import itertools
import logging
import re
from typing import Any

from sanic import HTTPResponse, Request, Sanic, response
from sanic.exceptions import SanicException
from sanic.response import BaseHTTPResponse
from telegram import Update

from bot.api import API_PREFIX
from bot.api.errors import sanic_error, unexpected
from bot.api.routes import api_blueprint
from bot.gateway.community import run_jobs as community_jobs
from bot.gateway.core import DeliveryBusy, Gateway
from bot.gateway.messages import BotMessage
from bot.gateway.rasa import RasaClient
from bot.gateway.settings import WEBHOOK_PATH, GatewaySettings
from bot.gateway.store import purge_outbox, purge_receipts
from bot.gateway.telegram_bot import build_application, set_commands
from bot.gateway.web import SESSION_HEADER, blueprint, load_json
from knowledge.db import make_engine, make_sessionmaker

logger = logging.getLogger(__name__)
HOUSEKEEPING_S = 60
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._-]{1,100}")  # /index is appended per message
_names = itertools.count(1)


def make_app(settings: GatewaySettings) -> Sanic:
    """The Sanic app for these settings; connections open when it starts, not here."""
    app = Sanic(f"wayfinder_gateway_{next(_names)}")
    app.config.RESPONSE_TIMEOUT = 60  # the widget's long poll holds 25 s
    # Bodies are chat messages and spreadsheets (the API takes up to 2 MiB): refuse more at once,
    # before reading it, rather than after Sanic's default 100 MB.
    app.config.REQUEST_MAX_SIZE = 4 * 1024 * 1024
    app.config.KEEP_ALIVE_TIMEOUT = 30
    engine = make_engine(settings.database_url)
    gateway = Gateway(settings, make_sessionmaker(engine), RasaClient(settings.rasa_url))
    app.ctx.gateway = gateway
    app.ctx.telegram = None
    app.blueprint(blueprint(gateway))
    app.blueprint(api_blueprint(gateway))  # /api/v1, for providers' own systems (docs/api.md)

    @app.get("/health")
    async def health(_request: Request) -> HTTPResponse:
        """For load balancers and docker compose."""
        return response.json({"status": "ok", "telegram": app.ctx.telegram is not None})

    @app.get("/internal/stats")
    async def stats(request: Request) -> HTTPResponse:
        """The gateway's own time per message, by channel (for monitoring and `make bench`)."""
        if not _trusted(request, settings):
            return response.json({"error": "not allowed"}, status=403)
        return response.json(gateway.timings.summary())

    @app.post("/internal/deliver")
    async def deliver(request: Request) -> HTTPResponse:
        """A reminder (from the worker) for a learner, on whichever channel they use; with an
        Idempotency-Key each message goes out once however often the worker retries."""
        if not _trusted(request, settings):
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
            delivered = await gateway.deliver(sender, messages, key)
        except DeliveryBusy as busy:  # an earlier try is still sending: the worker retries later
            return response.json({"error": str(busy)}, status=409)
        except Exception as error:  # Telegram down: the worker retries later
            logger.warning("could not deliver to %s: %s", sender, error)
            return response.json({"error": f"delivery failed: {error}"}, status=502)
        if not delivered:
            return response.json({"error": "no channel known for this sender"}, status=404)
        return response.json({"delivered": len(messages)})

    @app.post(WEBHOOK_PATH)
    async def telegram_webhook(request: Request) -> HTTPResponse:
        """Updates pushed by Telegram (webhook mode), checked against the secret token."""
        application = app.ctx.telegram
        secret = settings.telegram_webhook_secret
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if application is None or secret is None or not hmac.compare_digest(given, secret):
            return response.json({"error": "not allowed"}, status=403)
        try:
            update = Update.de_json(load_json(request.body), application.bot)
        except (ValueError, RecursionError):  # de_json recurses into replies of replies
            return response.json({"error": "not an update"}, status=400)
        await application.update_queue.put(update)
        return response.json({"ok": True})

    async def preflight(request: Request) -> HTTPResponse | None:
        """CORS preflight for embedding sites on the allow-list."""
        if request.method == "OPTIONS" and _allowed_origin(request, settings):
            return response.empty(headers=_cors_headers(request))
        return None

    async def cors(request: Request, reply: BaseHTTPResponse) -> None:
        """Same-origin by default; sites on WAYFINDER_CORS_ORIGINS may call the API."""
        if _allowed_origin(request, settings):
            reply.headers.update(_cors_headers(request))

    async def start(app: Sanic, _loop: Any) -> None:
        """Start Telegram (when a token is set) and the housekeeping loop."""
        if settings.telegram_token:
            app.ctx.telegram = await _start_telegram(gateway, settings)
        else:
            logger.info("TELEGRAM_BOT_TOKEN is not set: the Telegram bot is off (web only)")
        app.ctx.housekeeping = asyncio.create_task(_housekeeping(gateway))

    async def stop(app: Sanic, _loop: Any) -> None:
        """Stop Telegram and the loop; close connections."""
        app.ctx.housekeeping.cancel()
        application = app.ctx.telegram
        if application is not None:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
            await application.shutdown()
        await gateway.rasa.close()
        engine.dispose()

    def on_error(request: Request, error: Exception) -> HTTPResponse:
        """Every error as JSON the widget can show; ours are logged, never shown in detail."""
        api = request.path.startswith(API_PREFIX + "/")
        if isinstance(error, SanicException):
            if api:
                return sanic_error(error)
            return response.json({"error": str(error)}, status=error.status_code)
        logger.exception("%s %s failed", request.method, request.path, exc_info=error)
        if api:
            return unexpected()
        return response.json({"error": "Something went wrong on our side. Please try again."}, 500)

    app.error_handler.add(Exception, on_error)
    app.register_middleware(preflight, "request")
    app.register_middleware(cors, "response")
    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")
    return app


async def _start_telegram(gateway: Gateway, settings: GatewaySettings) -> Any:
    """The Application started, polling or with its webhook set."""
    webhook = settings.telegram_webhook_url
    application = build_application(gateway, updater=webhook is None)
    await application.initialize()
    await set_commands(application)
    await application.start()
    if webhook is None:
        assert application.updater is not None
        await application.bot.delete_webhook()
        await application.updater.start_polling(drop_pending_updates=False)
        logger.info("Telegram: long polling as @%s", application.bot.username)
    else:
        await application.bot.set_webhook(
            webhook, secret_token=settings.telegram_webhook_secret, allowed_updates=Update.ALL_TYPES
        )
        logger.info("Telegram: webhook %s as @%s", webhook, application.bot.username)
    return application


async def _housekeeping(gateway: Gateway) -> None:
    """Close idle handoffs and drop old undelivered web messages, every minute; every
    WAYFINDER_NUDGE_INTERVAL_S, nudge providers about stale listings and tell them decisions."""
    community_ran = float("-inf")
    while True:
        await asyncio.sleep(HOUSEKEEPING_S)
        with contextlib.suppress(Exception):  # a database hiccup: try again next minute
            closed = await gateway.expire_handoffs()
            await gateway.post_missed_handoffs()
            purged = await gateway.db(purge_outbox)
            await gateway.db(purge_receipts)  # kept a week, past the reminder worker's retries
            if closed or purged:
                logger.info("handoffs timed out: %s; old web messages dropped: %s", closed, purged)
        now = asyncio.get_running_loop().time()
        due = now - community_ran >= gateway.settings.nudge_interval_s
        if due and gateway.telegram is not None:
            community_ran = now
            await community_jobs(gateway)  # logs its own failures


def _trusted(request: Request, settings: GatewaySettings) -> bool:
    """The worker's call, with WAYFINDER_GATEWAY_TOKEN as a bearer token. Never by address:
    behind a reverse proxy on the same host every internet request comes from loopback."""
    if not settings.deliver_token:
        return False  # closed until a token is set (`make run` generates one)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), settings.deliver_token.encode())


def _allowed_origin(request: Request, settings: GatewaySettings) -> bool:
    """Whether the request's Origin is on the allow-list."""
    origin = request.headers.get("Origin", "").rstrip("/")
    return bool(origin) and origin in settings.cors_origins


def _cors_headers(request: Request) -> dict[str, str]:
    """CORS headers for an allowed origin."""
    return {
        "Access-Control-Allow-Origin": request.headers.get("Origin", ""),
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": f"Content-Type, {SESSION_HEADER}",
        "Access-Control-Max-Age": "600",  # one preflight per 10 minutes, not one per poll
        "Vary": "Origin",
    }
