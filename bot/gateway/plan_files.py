"""The learner's plan as files (knowledge.plan_export), delivered by the gateway when the
assistant's reply asks for them with the custom payload {"plan_export": {"formats": [...]}}:
built here from the directory for the learner the gateway knows, so no file goes through Rasa.

- Telegram: each file is sent as a document after the reply (`send_telegram_files`).
- Web widget: the reply carries "files": [{"format", "url"}] (`web_files`), links to
  GET /web/plan.ics?token=…  the calendar file (a download)
  GET /web/plan.html?token=…  the printable page (opens in the browser)
  The token is an expiring (TOKEN_TTL) reference to the learner, signed with a key derived from
  the pseudonym key: it names no session, and cannot be made or changed without the key. A bad
  token is refused with 403, an old one with 410, each with what to do; whoever holds the link
  may download the plan until it expires, so it is sent only in the learner's own reply, and the
  responses are never cached and pass no Referer on.
  Each client address may fetch them WAYFINDER_WEB_RATE_PER_MINUTE times a minute (counted apart
  from the widget's /api/web/* calls, across every gateway when WAYFINDER_REDIS_URL is set); past
  it, 429 with Retry-After and a page saying how long to wait.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sanic import Blueprint, HTTPResponse, Request, response
from sqlalchemy.orm import Session
from telegram import Bot
from telegram.error import TelegramError

from bot.gateway.core import Gateway
from bot.gateway.messages import BotMessage
from bot.gateway.settings import GatewaySettings
from bot.gateway.texts import say
from knowledge.city import city_of
from knowledge.plan_export import (
    CUSTOM_KEY,
    FORMATS,
    HTML,
    ICS,
    NothingToExport,
    PlanFile,
    exported_plan,
    plan_file,
)
from knowledge.settings import Settings as DirectorySettings

logger = logging.getLogger(__name__)
TOKEN_TTL = timedelta(hours=24)  # the replies say "24 hours" (bot/domain/plan_export.yml)
ROUTE = "/web/plan.{kind}"
_PURPOSE = b"wayfinder plan files v1"  # the token key is derived from the pseudonym key for this
NO_STORE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
# The printable page has inline CSS and nothing else: no script runs, nothing is loaded.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


class TokenRefused(Exception):
    """A link's token we do not honour; `status` and the gateway text `key` say why."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key


@dataclass(frozen=True)
class Delivery:
    """What a reply asks the channel to deliver: the formats, in order."""

    formats: tuple[str, ...]


def requested(replies: Sequence[BotMessage]) -> Delivery | None:
    """The files the replies ask for (formats we know, in our order), if any."""
    for reply in replies:
        asked = reply.custom.get(CUSTOM_KEY)
        if isinstance(asked, dict):
            given = asked.get("formats")
            names = given if isinstance(given, list) else []
            kinds = tuple(kind for kind in FORMATS if kind in names)
            if kinds:
                return Delivery(kinds)
    return None


# ── tokens ────────────────────────────────────────────────────────────────────────────────────


def plan_token(key: bytes, sender_id: str, *, now: datetime | None = None) -> str:
    """A link token for this sender's plan, valid for TOKEN_TTL from `now`."""
    expires = int(((now or datetime.now(UTC)) + TOKEN_TTL).timestamp())
    body = f"{sender_id}.{expires}".encode()
    return f"{_b64(body)}.{_b64(_signature(key, body))}"


def sender_of(key: bytes, token: str | None, *, now: datetime | None = None) -> str:
    """The sender a token was made for; TokenRefused (403) when it is missing, altered or not
    ours, (410) when it has expired. The signature is checked first: an old forged token is 403."""
    try:
        encoded, signature = (token or "").split(".")
        body = _unb64(encoded)
        valid = hmac.compare_digest(_signature(key, body), _unb64(signature))
        sender, expires = body.decode("ascii").rsplit(".", 1)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise TokenRefused(403, "plan_link_invalid") from None
    if not valid or not sender or not expires.isdigit():
        raise TokenRefused(403, "plan_link_invalid")
    if int(expires) <= (now or datetime.now(UTC)).timestamp():
        raise TokenRefused(410, "plan_link_expired")
    return sender


def _signature(key: bytes, body: bytes) -> bytes:
    """HMAC-SHA256 of the token's body with the plan-files key."""
    derived = hmac.new(key, _PURPOSE, hashlib.sha256).digest()
    return hmac.new(derived, body, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    """URL-safe base64 without padding (nothing to escape in a query string)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Back from _b64; binascii.Error or ValueError when it is not."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ── building the files ────────────────────────────────────────────────────────────────────────


def files_for(
    session: Session, settings: GatewaySettings, sender_id: str, kinds: Sequence[str]
) -> list[PlanFile]:
    """The learner's plan in these formats, those it has something for ([] when it is empty or
    the learner is unknown)."""
    directory = DirectorySettings(
        database_url=settings.database_url,
        city_name=settings.city_name,
        timezone=settings.timezone,
        currency=settings.currency,
        locale=settings.locale,
    )
    plan = exported_plan(session, sender_id, city_of(session, directory))
    if plan is None:
        return []
    made = []
    for kind in kinds:
        try:
            made.append(plan_file(plan, kind))
        except NothingToExport:
            continue
    return made


# ── Telegram ──────────────────────────────────────────────────────────────────────────────────


async def send_telegram_files(
    gateway: Gateway, bot: Bot, chat_id: int, replies: Sequence[BotMessage]
) -> None:
    """Send the files the replies ask for as documents, each with a line on what to do with it;
    a plan emptied meanwhile gets a message instead of an empty file."""
    delivery = requested(replies)
    if delivery is None:
        return
    sender = gateway.sender_id("telegram", str(chat_id))
    files = await gateway.db(
        lambda session: files_for(session, gateway.settings, sender, delivery.formats)
    )
    language = await gateway.chat_language("telegram", str(chat_id))
    if not files:
        await bot.send_message(chat_id, say("plan_files_empty", language))
        return
    for made in files:
        key = "plan_file_ics_caption" if made.name.endswith(f".{ICS}") else "plan_file_html_caption"
        try:
            await bot.send_document(
                chat_id, made.body, filename=made.name, caption=say(key, language)
            )
        except TelegramError:
            logger.exception("could not send the plan file %s", made.name)
            await bot.send_message(chat_id, say("plan_files_failed", language))
            return


# ── the web widget ────────────────────────────────────────────────────────────────────────────


def web_files(gateway: Gateway, session_id: str, reply: BotMessage) -> list[dict[str, str]]:
    """The download links a widget reply carries when it asks for the plan's files."""
    delivery = requested([reply])
    if delivery is None:
        return []
    token = plan_token(gateway.settings.pseudonym_key, gateway.sender_id("web", session_id))
    return [
        {"format": kind, "url": f"{ROUTE.format(kind=kind)}?token={token}"}
        for kind in delivery.formats
    ]


def plan_files_blueprint(gateway: Gateway) -> Blueprint:
    """GET /web/plan.ics and /web/plan.html, bound to one gateway."""
    from bot.gateway.web import client_address  # web links to these routes: import when used

    bp = Blueprint("plan_files")
    # Per client address, as the widget's calls (and, with Redis, once for every gateway).
    buckets = gateway.shared.buckets("plan_address", gateway.settings.web_rate_per_minute)

    async def serve(request: Request, kind: str) -> HTTPResponse:
        """The file for the token's learner, or a page saying why not."""
        wait = await buckets.spend(client_address(request))
        if wait:  # before the token or the database: a flood costs neither
            return _refusal(request, "plan_files_too_many", 429, seconds=wait)
        try:
            sender = sender_of(gateway.settings.pseudonym_key, request.args.get("token"))
        except TokenRefused as refused:
            return _refusal(request, refused.key, refused.status)
        files = await gateway.db(
            lambda session: files_for(session, gateway.settings, sender, [kind])
        )
        if not files:
            return _refusal(request, "plan_files_empty", 404)
        (made,) = files
        disposition = "attachment" if kind == ICS else "inline"
        headers = {**NO_STORE, "Content-Disposition": f'{disposition}; filename="{made.name}"'}
        if kind != ICS:
            headers["Content-Security-Policy"] = PAGE_POLICY
        return response.raw(made.body, content_type=made.content_type, headers=headers)

    @bp.get(ROUTE.format(kind=ICS))
    async def plan_ics(request: Request) -> HTTPResponse:
        """The calendar file, as a download."""
        return await serve(request, ICS)

    @bp.get(ROUTE.format(kind=HTML))
    async def plan_html(request: Request) -> HTTPResponse:
        """The printable page, opened in the browser."""
        return await serve(request, HTML)

    return bp


def _refusal(request: Request, key: str, status: int, *, seconds: int = 0) -> HTTPResponse:
    """One of the gateway's texts as a plain page, in the browser's language (no database read:
    the learner's profile is not looked up); `seconds` to wait, when there are some."""
    from bot.gateway.web import accepted_language  # web links to these routes: import when used

    language = accepted_language(request.headers.get("Accept-Language"))
    headers = {**NO_STORE, "Vary": "Accept-Language"}
    if not seconds:
        return response.text(say(key, language), status=status, headers=headers)
    headers["Retry-After"] = str(seconds)
    return response.text(say(key, language, seconds=seconds), status=status, headers=headers)
