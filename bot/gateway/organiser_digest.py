"""The weekly digest in the organisers' Telegram group (ORGANISER_CHAT_ID; unset: no digest):
the most unmet requests of the last DIGEST_DAYS days and the stale listings by provider, with a
link to the reports page, in the city's language, at WAYFINDER_DIGEST_AT (default Monday 09:00 in
the city's time zone).

It runs in the housekeeping (one gateway at a time, under its lease) and goes out once per ISO
week however many gateways run or restart: it is sent under a delivery receipt keyed by the group
and the week (bot.gateway.records, as the outbox's keyed deliveries), claimed before it is sent and
marked delivered after; a failed send gives the claim up for the next round. A gateway that dies
between sending and marking leaves a claim that expires (records.CLAIM_EXPIRES), so that one
digest could go out twice, never not at all. Receipts are kept a week, past the week they name.

Nothing under k appears: the demand report merges or drops every group with fewer than k
searches that found little, and stale listings are counts of listings, not of learners.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.gateway import records
from bot.gateway.core import Gateway
from bot.gateway.organiser_page import PAGE
from bot.gateway.texts import say
from knowledge.models import utcnow
from knowledge.reports.demand import ALL, LITTLE, DemandRow, demand_report
from knowledge.reports.privacy import DEFAULT_K
from knowledge.reports.usage import StaleProvider, iso_week, stale_by_provider

logger = logging.getLogger(__name__)
DIGEST_DAYS = 28  # the requests of the last four weeks: one week is often too few to reach k
NEEDS_SHOWN = 5
PROVIDERS_SHOWN = 10
RECEIPT = "organiser-digest"  # the receipt's key starts so, and its sender id is this (no learner)


def due_week(now: datetime, timezone: str, at: tuple[int, int, int]) -> str | None:
    """The ISO week ("2026-W49") whose digest is due at `now`: the city's current week once its
    weekday and time (`at`) have come, else None."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    weekday, hour, minute = at
    monday = local.date() - timedelta(days=local.weekday())
    moment = datetime.combine(monday + timedelta(days=weekday), time(hour, minute), tzinfo=zone)
    return iso_week(local.date()) if local >= moment else None


@dataclass(frozen=True)
class Digest:
    """What one digest says: the days it covers, the most unmet requests and stale providers."""

    since: date
    until: date
    needs: tuple[DemandRow, ...]
    stale: tuple[StaleProvider, ...]
    k: int
    freshness_days: int


def digest_of(session: Session, *, today: date, freshness_days: int, k: int = DEFAULT_K) -> Digest:
    """The digest as of `today`: the DIGEST_DAYS days before it, and the listings stale today."""
    until = today - timedelta(days=1)
    since = until - timedelta(days=DIGEST_DAYS - 1)
    report = demand_report(
        session, since=since, until=until, k=k, limit=NEEDS_SHOWN + 1, today=today,
        freshness_days=freshness_days,
    )  # fmt: skip
    needs = tuple(row for row in report.rows if row.topic != ALL)[:NEEDS_SHOWN]
    stale = stale_by_provider(session, today=today, days=freshness_days)
    return Digest(since, until, needs, stale, k, freshness_days)


def digest_text(digest: Digest, language: str | None, link: str | None) -> str:
    """The digest as one Telegram message in `language`."""
    blocks = [say("digest_title", language, since=digest.since, until=digest.until)]
    if digest.needs:
        lines = [say("digest_needs_title", language, little=LITTLE)]
        lines += [
            say(
                "digest_need_line",
                language,
                label=need_label(row, language),
                unmet=row.unmet,
                searches=row.searches,
            )
            for row in digest.needs
        ]
        blocks.append("\n".join(lines))
    else:
        blocks.append(say("digest_no_needs", language, k=digest.k))
    if digest.stale:
        lines = [say("digest_stale_title", language, days=digest.freshness_days)]
        lines += [
            say(
                "digest_stale_line",
                language,
                provider=item.provider,
                stale=item.stale,
                active=item.active,
            )
            for item in digest.stale[:PROVIDERS_SHOWN]
        ]
        if len(digest.stale) > PROVIDERS_SHOWN:
            more = len(digest.stale) - PROVIDERS_SHOWN
            lines.append(say("digest_more_providers", language, count=more))
        blocks.append("\n".join(lines))
    else:
        blocks.append(say("digest_no_stale", language, days=digest.freshness_days))
    footer = [say("digest_privacy", language, k=digest.k)]
    if link:
        footer.append(say("digest_link", language, url=link))
    blocks.append("\n".join(footer))
    return "\n\n".join(blocks)


def need_label(row: DemandRow, language: str | None) -> str:
    """ "robotics · ages 6–8 · Northgate" (a goal asked with no topic: "nurse (career) · …") in
    `language`; a merged part reads "other places"."""
    career = say("digest_career", language, career=row.career) if row.career else None
    topic = row.topic or career or say("digest_no_topic", language)
    if row.age_band == ALL:
        ages = say("digest_other_ages", language)
    elif row.age_band is None:
        ages = say("digest_any_age", language)
    else:
        ages = say("digest_ages", language, band=row.age_band)
    if row.neighbourhood == ALL:
        place = say("digest_other_places", language)
    elif row.neighbourhood is None:
        place = say("digest_anywhere", language)
    else:
        place = row.neighbourhood
    return f"{topic} · {ages} · {place}"


class WeeklyDigest:
    """The digest job of one gateway's housekeeping."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self._done: str | None = None  # the key sent (or found sent): no database look-up again

    async def run(self, now: datetime | None = None) -> bool:
        """Send this week's digest if it is due and was not sent (by any gateway); whether this
        call sent it. A failure to build or send it is raised, its claim given up."""
        gateway, settings = self.gateway, self.gateway.settings
        chat, at, outlet = settings.organiser_chat_id, settings.digest_at, gateway.telegram
        if chat is None or at is None or outlet is None:
            return False
        now = now or datetime.now(UTC)
        week = due_week(now, settings.timezone, at)
        key = f"{RECEIPT}:{chat}:{week}"
        if week is None or key == self._done:
            return False
        moment = utcnow()
        claim = partial(records.claim_delivery, key=key, sender_id=RECEIPT, now=moment)
        try:
            claimed = await gateway.db(claim)
        except IntegrityError:  # another gateway claimed it a moment ago
            return False
        if claimed != "send":
            if claimed == "delivered":
                self._done = key
            return False
        try:
            today = now.astimezone(ZoneInfo(settings.timezone)).date()
            digest = await gateway.db(
                partial(digest_of, today=today, freshness_days=settings.freshness_days)
            )
            link = f"{settings.public_url}{PAGE}" if settings.public_url else None
            await outlet.post(chat, digest_text(digest, settings.locale, link))
        except Exception:
            await gateway.db(partial(records.release_delivery, key=key, claimed_at=moment))
            raise
        await gateway.db(partial(records.mark_delivered, key=key))
        self._done = key
        logger.info("weekly digest %s sent to the organisers' group", week)
        return True
