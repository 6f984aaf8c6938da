"""Who is calling: a member's provider token (`Authorization: Bearer wf_…`), and a token bucket
per token so one runaway sync cannot crowd out the others."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from sanic import Request
from sqlalchemy.orm import Session

from bot.api.errors import ApiError
from knowledge.community import digest, member_for_token

MAX_TOKEN_LENGTH = 200  # ours are 46 characters; longer is not a token
KEEP_BUCKETS = 10_000
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="wayfinder"'}


def bearer_token(request: Request) -> str:
    """The token the request carries, or 401 saying how to send one."""
    scheme, _, value = str(request.headers.get("Authorization", "")).strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise ApiError(
            401,
            "send your provider token as 'Authorization: Bearer wf_…'; an organiser gives you "
            "one (see docs/api.md)",
            headers=CHALLENGE,
        )
    if len(value) > MAX_TOKEN_LENGTH:
        raise not_valid()
    return value


def not_valid() -> ApiError:
    """401 for a token we do not know or that was revoked."""
    return ApiError(
        401,
        "this token is not valid: it was revoked or is mistyped; ask an organiser for a new one",
        headers={"WWW-Authenticate": 'Bearer realm="wayfinder", error="invalid_token"'},
    )


def member_id_for(session: Session, token: str) -> int:
    """The member the token belongs to (its use is noted), or 401."""
    member = member_for_token(session, token)
    if member is None:
        raise not_valid()
    return member.id


class TokenBuckets:
    """Up to `per_minute` requests at once per token, refilled evenly over a minute.

    Kept in this process's memory: several gateways behind a load balancer each allow the rate.
    Only the event loop's thread uses it, so it needs no lock.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens left, when)

    def take(self, token: str) -> None:
        """Spend one request of this token's allowance, or refuse with 429 and Retry-After."""
        key = digest(token)
        now = self.clock()
        left, then = self._buckets.get(key, (self.capacity, now))
        left = min(self.capacity, left + (now - then) * self.per_second)
        if left < 1.0:
            self._buckets[key] = (left, now)
            wait = math.ceil((1.0 - left) / self.per_second)
            raise ApiError(
                429,
                f"too many requests with this token: at most {int(self.capacity)} a minute; "
                f"try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        self._buckets[key] = (left - 1.0, now)
        if len(self._buckets) > KEEP_BUCKETS:
            self._forget_full(now)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they behave exactly like new ones."""
        self._buckets = {
            key: (left, then)
            for key, (left, then) in self._buckets.items()
            if left + (now - then) * self.per_second < self.capacity
        }
