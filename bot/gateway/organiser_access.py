"""Who may open the organisers' reports page (bot.gateway.organiser_page): an organiser's API
token, typed once into the page's sign-in form, becomes a session cookie good for SESSION_TTL.

The cookie holds the token's id and an expiry, signed with a key derived from the pseudonym key;
it never holds the token itself. Every request checks again that the token is not revoked and
belongs to an organiser, so `wayfinder tokens revoke ID` ends a session at once. A script may send
the token as `Authorization: Bearer wf_…` instead. Failed sign-ins are counted per client address
in the shared buckets; past FAILURES_PER_MINUTE the address waits before any token is looked up.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.api.auth import MAX_TOKEN_LENGTH
from knowledge.community import digest
from knowledge.models import ApiToken, utcnow

COOKIE = "wf_organiser"
SESSION_TTL = timedelta(hours=1)
FAILURES_PER_MINUTE = 10  # failed sign-ins an address may make in a burst, refilled over a minute
_PURPOSE = b"wayfinder organiser session v1"  # the cookie's key is derived from the pseudonym key


class Refused(Exception):
    """Not let in: `status` (401 who are you, 403 not an organiser) and the gateway text `key`
    that tells the person what to do."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key


def session_cookie(key: bytes, token_id: int, *, now: datetime | None = None) -> str:
    """The cookie's value for a signed-in token: its id and expiry, signed."""
    expires = int(((now or datetime.now(UTC)) + SESSION_TTL).timestamp())
    body = f"{token_id}.{expires}"
    return f"{body}.{_signature(key, body)}"


def token_id_of(key: bytes, cookie: str, *, now: datetime | None = None) -> int:
    """The token id a cookie was made for; Refused when it is altered (401, counted as a failure
    by the caller) or expired (401, sign in again)."""
    token_id, _, rest = cookie.partition(".")
    expires, _, signature = rest.partition(".")
    body = f"{token_id}.{expires}"
    if not (token_id.isdigit() and expires.isdigit()) or not hmac.compare_digest(
        _signature(key, body), signature
    ):
        raise Refused(401, "organiser_session_invalid")
    if int(expires) <= (now or datetime.now(UTC)).timestamp():
        raise Refused(401, "organiser_session_expired")
    return int(token_id)


def organiser_token(
    session: Session, *, value: str | None = None, token_id: int | None = None
) -> int:
    """The id of the API token (by its plain `value`, or by id) when it is known, not revoked and
    an organiser's; its use is noted. Refused(401) when not, Refused(403) for a provider's."""
    query = select(ApiToken).options(selectinload(ApiToken.member))
    if value is not None:
        value = value.strip()
        if not value or len(value) > MAX_TOKEN_LENGTH:
            raise Refused(401, "organiser_token_invalid")
        query = query.where(ApiToken.token_hash == digest(value))
    else:
        query = query.where(ApiToken.id == token_id)
    token = session.scalar(query)
    if token is None or token.revoked_at is not None:
        raise Refused(401, "organiser_token_invalid")
    if token.member.role != "organiser":
        raise Refused(403, "organiser_only")
    token.last_used_at = utcnow()
    return token.id


def _signature(key: bytes, body: str) -> str:
    """HMAC-SHA256 of the cookie's body with the session key, as hex."""
    derived = hmac.new(key, _PURPOSE, hashlib.sha256).digest()
    return hmac.new(derived, body.encode("ascii"), hashlib.sha256).hexdigest()
