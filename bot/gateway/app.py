"""The gateway's web server (Sanic): the widget and its API (bot.gateway.web), the providers' API
(bot.api), Telegram's webhook when used, the internal endpoints (bot.gateway.internal) and CORS
(bot.gateway.cors), put together; Telegram's polling and the housekeeping run beside it. /metrics
and /ready (bot.observability) are for Prometheus and the load balancer, and every response
carries the request's X-Request-ID (the load balancer's, else one made here).

`python -m bot.gateway` starts it (`make run` does, on port 8080).
"""

from __future__ import annotations

import hmac
import itertools
import logging
from typing import Any

from sanic import Blueprint, DefaultSanic, HTTPResponse, Request, Sanic, response
from sanic.exceptions import SanicException
from sanic.response import BaseHTTPResponse
from sqlalchemy import Engine
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.api import API_PREFIX
from bot.api.errors import sanic_error, unexpected
from bot.api.hsds_routes import hsds_blueprint
from bot.api.routes import api_blueprint
from bot.gateway.core import Gateway
from bot.gateway.cors import allow_listed_origins
from bot.gateway.housekeeping import Housekeeping
from bot.gateway.internal import internal_blueprint
from bot.gateway.organiser_page import organiser_blueprint
from bot.gateway.plan_files import plan_files_blueprint
from bot.gateway.rasa import RasaClient
from bot.gateway.settings import WEBHOOK_PATH, GatewaySettings
from bot.gateway.shared import shared_state
from bot.gateway.shared.updates import Claim
from bot.gateway.telegram_bot import build_application, set_commands
from bot.gateway.telegram_updates import LeasedPolling, handle_pushed
from bot.gateway.web import blueprint, load_json
from bot.observability.health import Check, DatabaseCheck, redis_check
from bot.observability.logs import (
    HEADER,
    REQUEST_ID,
    accepted_request_id,
    ensure_request_id,
    new_request_id,
)
from bot.observability.metrics import GATEWAY, GATEWAY_ERRORS, HTTP_REQUESTS
from bot.observability.queues import QueueGauges
from bot.observability.routes import PROBES, probes_blueprint
from bot.observability.settings import ObservabilitySettings
from knowledge.city import priced_in
from knowledge.db import make_engine, make_sessionmaker
from knowledge.transfer.hsds.place import AddressDefaults, country_of_locale

logger = logging.getLogger(__name__)
FIRST_GROUP = -1000  # handler group of the request id: before every handler of the bot's
_names = itertools.count(1)


def make_app(
    settings: GatewaySettings, observability: ObservabilitySettings | None = None
) -> DefaultSanic:
    """The Sanic app for these settings; connections open when it starts, not here."""
    watch = observability or ObservabilitySettings()
    # In JSON mode Sanic's own loggers write through ours (one format); in text mode as before.
    app = Sanic(f"wayfinder_gateway_{next(_names)}", configure_logging=watch.log_format == "text")
    app.config.RESPONSE_TIMEOUT = 60  # the widget's long poll holds 25 s
    # Bodies are chat messages and spreadsheets (the API takes up to 2 MiB): refuse more at once,
    # before reading it, rather than after Sanic's default 100 MB.
    app.config.REQUEST_MAX_SIZE = 4 * 1024 * 1024
    app.config.KEEP_ALIVE_TIMEOUT = 30
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine, info=priced_in(settings.currency))
    shared = shared_state(settings.redis_url, settings.redis_prefix)  # Redis, else memory
    gateway = Gateway(settings, sessions, RasaClient(settings.rasa_url), shared)
    app.ctx.gateway = gateway
    app.ctx.telegram = None
    app.ctx.poller = None
    app.blueprint(blueprint(gateway))
    # /api/v1, for providers' own systems (docs/api.md): it gets the database, not the gateway.
    app.blueprint(api_blueprint(gateway.db, settings.api_rate_per_minute, shared.buckets))
    # /hsds, Open Referral HSDS 3.0's read API (docs/hsds.md): public, limited per address.
    city = country_of_locale(settings.locale)
    defaults = AddressDefaults(settings.state_province, city, settings.timezone)
    app.blueprint(
        hsds_blueprint(gateway.db, defaults, settings.api_rate_per_minute, shared.buckets)
    )
    app.blueprint(internal_blueprint(gateway))
    app.blueprint(plan_files_blueprint(gateway))  # the plan as files: /web/plan.ics, .html
    app.blueprint(organiser_blueprint(gateway, shared.buckets))  # /organisers/reports
    app.blueprint(webhook_blueprint(settings))
    queues = QueueGauges(sessions, on_error=GATEWAY_ERRORS.labels("database").inc)
    app.blueprint(probes_blueprint("probes", [GATEWAY, queues], _checks(gateway, engine)))
    app.middleware(_take_request_id, "request", priority=100)  # before the web's throttle
    app.middleware(_tell_request_id, "response")
    app.error_handler.add(Exception, _error_json)
    allow_listed_origins(app, settings)

    async def start(app: DefaultSanic) -> None:
        """Start Telegram (when a token is set) and the housekeeping loop."""
        if settings.telegram_token:
            app.ctx.telegram = await _start_telegram(gateway, settings)
            if settings.telegram_webhook_url is None:  # only the lease's holder polls
                app.ctx.poller = LeasedPolling(app.ctx.telegram, shared.lease)
                app.ctx.poller.start()
        else:
            logger.info("TELEGRAM_BOT_TOKEN is not set: the Telegram bot is off (web only)")
        app.ctx.housekeeping = Housekeeping(gateway)  # on one gateway at a time (a lease)
        app.ctx.housekeeping.start()

    async def stop(app: DefaultSanic) -> None:
        """Stop Telegram and the loop; close connections."""
        await app.ctx.housekeeping.stop()  # its lease goes to another gateway
        application = app.ctx.telegram
        if app.ctx.poller is not None:
            await app.ctx.poller.stop()  # the lease goes to another gateway at once
        if application is not None:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
            await application.shutdown()
        await gateway.close()
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
        # Handled before answering: if this gateway dies meanwhile, Telegram sends it again.
        if await handle_pushed(application, update) is Claim.BUSY:  # in hand on another gateway
            return response.json(
                {"error": "being handled"}, status=503, headers={"Retry-After": "5"}
            )
        return response.json({"ok": True})

    return bp


def _checks(gateway: Gateway, engine: Engine) -> dict[str, Check]:
    """What /ready checks: the database, Rasa, and Redis when one is set."""
    checks: dict[str, Check] = {
        "database": DatabaseCheck(engine),
        "rasa": lambda: gateway.rasa.ping(),  # looked up per probe: tests swap the client
    }
    if gateway.settings.redis_url:
        checks["redis"] = redis_check(gateway.settings.redis_url)
    return checks


async def _take_request_id(request: Request) -> None:
    """The request's id for every log line while it is handled (and for Rasa and the actions):
    the load balancer's X-Request-ID when it looks like one, else a new one."""
    request_id = accepted_request_id(request.headers.get(HEADER)) or new_request_id()
    request.ctx.request_id = request_id
    REQUEST_ID.set(request_id)


async def _tell_request_id(request: Request, answer: BaseHTTPResponse) -> None:
    """X-Request-ID on every response (to quote in a support request), and the request counted."""
    request_id = getattr(request.ctx, "request_id", None) or REQUEST_ID.get()
    if request_id:
        answer.headers[HEADER] = request_id
    HTTP_REQUESTS.labels(_area(request.path), f"{answer.status // 100}xx").inc()


def _area(path: str) -> str:
    """Which part of the gateway a path belongs to, for the request counter (a few values)."""
    if path.startswith(API_PREFIX + "/"):
        return "api"
    if path.startswith("/internal/"):
        return "internal"
    if path == WEBHOOK_PATH:
        return "telegram"
    if path in PROBES:
        return "probe"
    return "web"


def _error_json(request: Request, error: Exception) -> HTTPResponse:
    """Every error as JSON the widget can show; ours are logged, never shown in detail."""
    api = request.path.startswith(API_PREFIX + "/")
    if isinstance(error, SanicException):
        if api:
            return sanic_error(error)
        return response.json({"error": str(error)}, status=error.status_code)
    GATEWAY_ERRORS.labels("unhandled").inc()
    logger.exception("%s %s failed", request.method, request.path, exc_info=error)
    if api:
        return unexpected()
    return response.json({"error": "Something went wrong on our side. Please try again."}, 500)


async def _start_telegram(gateway: Gateway, settings: GatewaySettings) -> Any:
    """The Application started, with its webhook set in webhook mode (polling starts when this
    gateway holds the polling lease, see LeasedPolling)."""
    webhook = settings.telegram_webhook_url
    application = build_application(gateway, updater=webhook is None)
    application.add_handler(TypeHandler(Update, _new_request_id), group=FIRST_GROUP)
    await application.initialize()
    await set_commands(application)
    await application.start()
    if webhook is not None:
        await application.bot.set_webhook(
            webhook, secret_token=settings.telegram_webhook_secret, allowed_updates=Update.ALL_TYPES
        )
        logger.info("Telegram: webhook %s as @%s", webhook, application.bot.username)
    return application


async def _new_request_id(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Each Telegram update gets its own request id before any other handler runs: the webhook
    request's when it came in one, else a new one (polled updates each run in a task of their
    own, so the id stays with its update)."""
    ensure_request_id()
