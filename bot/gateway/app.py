"""The gateway's web server (Sanic): the widget and its API (bot.gateway.web), the providers' API
(bot.api), Telegram's webhook when used, the internal endpoints (bot.gateway.internal) and CORS
(bot.gateway.cors), put together; Telegram's polling and the housekeeping run beside it.

`python -m bot.gateway` starts it (`make run` does, on port 8080).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import itertools
import logging
from typing import Any

from sanic import Blueprint, DefaultSanic, HTTPResponse, Request, Sanic, response
from sanic.exceptions import SanicException
from telegram import Update

from bot.api import API_PREFIX
from bot.api.errors import sanic_error, unexpected
from bot.api.routes import api_blueprint
from bot.gateway.community import run_jobs as community_jobs
from bot.gateway.core import Gateway
from bot.gateway.cors import allow_listed_origins
from bot.gateway.internal import internal_blueprint
from bot.gateway.rasa import RasaClient
from bot.gateway.records import purge_outbox, purge_receipts
from bot.gateway.settings import WEBHOOK_PATH, GatewaySettings
from bot.gateway.telegram_bot import build_application, set_commands
from bot.gateway.web import blueprint, load_json
from knowledge.city import priced_in
from knowledge.db import make_engine, make_sessionmaker

logger = logging.getLogger(__name__)
HOUSEKEEPING_S = 60
_names = itertools.count(1)


def make_app(settings: GatewaySettings) -> DefaultSanic:
    """The Sanic app for these settings; connections open when it starts, not here."""
    app = Sanic(f"wayfinder_gateway_{next(_names)}")
    app.config.RESPONSE_TIMEOUT = 60  # the widget's long poll holds 25 s
    # Bodies are chat messages and spreadsheets (the API takes up to 2 MiB): refuse more at once,
    # before reading it, rather than after Sanic's default 100 MB.
    app.config.REQUEST_MAX_SIZE = 4 * 1024 * 1024
    app.config.KEEP_ALIVE_TIMEOUT = 30
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine, info=priced_in(settings.currency))
    gateway = Gateway(settings, sessions, RasaClient(settings.rasa_url))
    app.ctx.gateway = gateway
    app.ctx.telegram = None
    app.blueprint(blueprint(gateway))
    # /api/v1, for providers' own systems (docs/api.md): it gets the database, not the gateway.
    app.blueprint(api_blueprint(gateway.db, settings.api_rate_per_minute))
    app.blueprint(internal_blueprint(gateway))
    app.blueprint(webhook_blueprint(settings))
    app.error_handler.add(Exception, _error_json)
    allow_listed_origins(app, settings)

    async def start(app: DefaultSanic) -> None:
        """Start Telegram (when a token is set) and the housekeeping loop."""
        if settings.telegram_token:
            app.ctx.telegram = await _start_telegram(gateway, settings)
        else:
            logger.info("TELEGRAM_BOT_TOKEN is not set: the Telegram bot is off (web only)")
        app.ctx.housekeeping = asyncio.create_task(_housekeeping(gateway))

    async def stop(app: DefaultSanic) -> None:
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

    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")
    return app


def webhook_blueprint(settings: GatewaySettings) -> Blueprint:
    """Telegram's webhook (webhook mode), for the Application the app started."""
    bp = Blueprint("telegram_webhook")

    @bp.post(WEBHOOK_PATH)
    async def telegram_webhook(request: Request) -> HTTPResponse:
        """Updates pushed by Telegram (webhook mode), checked against the secret token."""
        application = request.app.ctx.telegram
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

    return bp


def _error_json(request: Request, error: Exception) -> HTTPResponse:
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
            closed = await gateway.handoffs.expire()
            await gateway.handoffs.post_missed()
            purged = await gateway.db(purge_outbox)
            await gateway.db(purge_receipts)  # kept a week, past the reminder worker's retries
            if closed or purged:
                logger.info("handoffs timed out: %s; old web messages dropped: %s", closed, purged)
        now = asyncio.get_running_loop().time()
        due = now - community_ran >= gateway.settings.nudge_interval_s
        if due and gateway.telegram is not None:
            community_ran = now
            await community_jobs(gateway)  # logs its own failures
