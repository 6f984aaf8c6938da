"""Who is calling: a member's provider token (`Authorization: Bearer wf_…`), a token bucket per
token so one runaway sync cannot crowd out the others, and one per client address for failed
authentications so nobody can try tokens (or load the database with lookups) without limit."""

from __future__ import annotations

import ipaddress
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable

from sanic import Request
from sqlalchemy.orm import Session

from bot.api.errors import ApiError
from knowledge.community import digest, member_for_token

MAX_TOKEN_LENGTH = 200  # ours are 46 characters; longer is not a token
KEEP_BUCKETS = 10_000  # past this many, buckets that refilled are dropped
REFILL_S = 60.0  # an empty bucket is full again after a minute
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


def client_address(request: Request) -> str:
    """Who is calling, for rate limits: the proxy's forwarded address when Sanic is configured to
    trust one (REAL_IP_HEADER, PROXIES_COUNT, FORWARDED_SECRET), else the peer; IPv6 by its /64,
    which one home or one attacker holds whole."""
    address = (request.remote_addr or request.ip).strip("[]")
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:  # a Unix socket or an obfuscated forwarded name: keyed as given
        return address
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def member_id_for(session: Session, token: str) -> int:
    """The member the token belongs to (its use is noted), or 401."""
    member = member_for_token(session, token)
    if member is None:
        raise not_valid()
    return member.id


class Buckets(ABC):
    """Up to `per_minute` requests at once per key (a token, an address), refilled evenly over a
    minute; in one process's memory (TokenBuckets) or shared by every gateway on Redis
    (bot.gateway.shared.buckets), so several gateways together allow the rate once."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.per_second = per_minute / REFILL_S

    @abstractmethod
    async def wait(self, key: str) -> int:
        """Seconds until `key` may spend one more (0: now)."""

    @abstractmethod
    async def spend(self, key: str) -> int:
        """Spend one of `key`'s allowance and answer 0, or spend nothing and answer the wait."""

    async def take(self, token: str) -> None:
        """Spend one request of this token's allowance, or refuse with 429 and Retry-After."""
        wait = await self.spend(token)
        if wait:
            raise self._refusal(wait)

    async def check(self, token: str) -> None:
        """Refuse with 429 and Retry-After when this token has nothing left; spends nothing."""
        wait = await self.wait(token)
        if wait:
            raise self._refusal(wait)

    def _seconds_to_one(self, left: float) -> int:
        """Whole seconds until a bucket holding `left` holds one request."""
        return 0 if left >= 1.0 else math.ceil((1.0 - left) / self.per_second)

    def _refusal(self, wait: int) -> ApiError:
        """429 for a token past its rate."""
        return ApiError(
            429,
            f"too many requests with this token: at most {int(self.capacity)} a minute; "
            f"try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )


# Buckets by purpose ("api_token", "web_address", …) and rate: what a gateway hands its parts.
BucketsFor = Callable[[str, int], Buckets]


def memory_buckets(_name: str, per_minute: int) -> Buckets:
    """Buckets in this process's memory (one gateway, or each gateway allowing the rate)."""
    return TokenBuckets(per_minute)


class TokenBuckets(Buckets):
    """Buckets kept in this process's memory. Only the event loop's thread uses them, so they
    need no lock."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(per_minute)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens left, when)
        self._sweep_size = KEEP_BUCKETS  # sweep when there are more buckets than this …
        self._swept = -math.inf  # … or a minute after the last sweep, when there are many

    async def wait(self, key: str) -> int:
        return self._seconds_to_one(self._left(digest(key), self.clock()))

    async def spend(self, key: str) -> int:
        key = digest(key)
        now = self.clock()
        left = self._left(key, now)
        if left < 1.0:
            self._buckets[key] = (left, now)
            return self._seconds_to_one(left)
        self._buckets[key] = (left - 1.0, now)
        size = len(self._buckets)
        if size > self._sweep_size or (size > KEEP_BUCKETS and now - self._swept >= REFILL_S):
            self._forget_full(now)
        return 0

    def _left(self, key: str, now: float) -> float:
        """What the bucket holds now, refilled since it was last used."""
        left, then = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, left + (now - then) * self.per_second)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they behave exactly like new ones.

        Runs when the buckets doubled since the last sweep, or a minute after it: a flood of new
        keys costs each request O(1) on average, not a rebuild of every bucket.
        """
        self._buckets = {
            key: (left, then)
            for key, (left, then) in self._buckets.items()
            if left + (now - then) * self.per_second < self.capacity
        }
        self._swept = now
        self._sweep_size = max(KEEP_BUCKETS, 2 * len(self._buckets))


class FailedAuthentications:
    """Requests whose token was missing, unknown or revoked, per client address: past the
    buckets' rate in a burst (refilled evenly over a minute), the address gets 429 before its
    token is even looked up, valid or not, until Retry-After."""

    def __init__(self, buckets: Buckets) -> None:
        self._buckets = buckets

    async def check(self, address: str) -> None:
        """Refuse with 429 and Retry-After when this address failed too often lately."""
        wait = await self._buckets.wait(address)
        if wait:
            raise ApiError(
                429,
                "too many requests without a valid token from your address; check the token "
                f"you send and try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )

    async def failed(self, address: str) -> None:
        """Note one failed authentication from this address."""
        await self._buckets.spend(address)
