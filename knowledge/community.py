"""Accounts of the people who keep the directory: invites, joining, API tokens, who may edit what.

Query functions take a `session`; the caller owns the transaction. Plain codes and tokens are
returned once, when made, and stored only as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session, selectinload

from knowledge.models import ROLES, ApiToken, Invite, Member, Opportunity, Provider, utcnow

INVITE_DAYS = 7
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud, typed on a phone
CODE_LENGTH = 10
TOKEN_PREFIX = "wf_"


class AccessError(ValueError):
    """Refused: the message says why and what to do."""


def digest(secret: str) -> str:
    """How codes and tokens are stored."""
    return hashlib.sha256(secret.strip().encode()).hexdigest()


def normalise_code(code: str) -> str:
    """Invite codes are read off a screen: case, spaces and dashes do not matter."""
    return "".join(character for character in code.upper() if character.isalnum())


@dataclass(frozen=True)
class NewInvite:
    """An invite and its plain code (shown once)."""

    invite: Invite
    code: str


def create_invite(
    session: Session,
    *,
    role: str,
    created_by: str,
    provider: Provider | None = None,
    days: int = INVITE_DAYS,
    now: datetime | None = None,
) -> NewInvite:
    """A single-use code for joining as an organiser, or as a member of `provider`."""
    if role not in ROLES:
        raise AccessError(f"role must be one of: {', '.join(ROLES)}")
    if role == "provider" and provider is None:
        raise AccessError("a provider member's invite names the provider they will edit")
    if not 1 <= days <= 90:
        raise AccessError("an invite lasts between 1 and 90 days")
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    invite = Invite(
        code_hash=digest(code),
        role=role,
        provider=provider if role == "provider" else None,
        created_by=created_by,
        expires_at=(now or utcnow()) + timedelta(days=days),
    )
    session.add(invite)
    session.flush()
    return NewInvite(invite, f"{code[:5]}-{code[5:]}")


def redeem_invite(
    session: Session,
    code: str,
    *,
    telegram_user_id: str | None = None,
    name: str | None = None,
    now: datetime | None = None,
) -> Member:
    """Join with a code: the member (new, or the same Telegram user) gains the invite's role or
    provider. Each code works once and only until it expires.

    The code is claimed with a conditional UPDATE (… WHERE used_at IS NULL) before anything else
    is written: of two people redeeming it at once, the second waits for the first's transaction
    and then finds the code used.
    """
    moment = now or utcnow()
    invite = session.scalar(select(Invite).where(Invite.code_hash == digest(normalise_code(code))))
    if invite is None:
        raise AccessError("that code is not one we issued; check it, or ask an organiser for one")
    used = AccessError("that code has already been used; ask an organiser for a new one")
    if invite.used_at is not None:
        raise used
    if invite.expires_at <= moment:
        raise AccessError("that code has expired; ask an organiser for a new one")
    claimed = session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))
        .values(used_at=moment)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(claimed, CursorResult)
    session.refresh(invite)
    if claimed.rowcount != 1:
        raise used
    member = None
    if telegram_user_id is not None:
        member = session.scalar(select(Member).where(Member.telegram_user_id == telegram_user_id))
    if member is None:
        member = Member(role=invite.role, name=name, telegram_user_id=telegram_user_id)
        session.add(member)
    elif invite.role == "organiser":
        member.role = "organiser"
    if invite.provider is not None and invite.provider not in member.providers:
        member.providers.append(invite.provider)
    session.flush()
    invite.used_by_id = member.id
    return member


@dataclass(frozen=True)
class NewToken:
    """A token and its plain value (shown once)."""

    token: ApiToken
    value: str


def issue_token(session: Session, member: Member, label: str) -> NewToken:
    """An API token for a member, stored hashed."""
    label = label.strip()
    if not label or len(label) > 120:
        raise AccessError("give the token a label of 1-120 characters (e.g. the system using it)")
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(member=member, token_hash=digest(value), label=label)
    session.add(token)
    session.flush()
    return NewToken(token, value)


def member_for_token(session: Session, value: str, now: datetime | None = None) -> Member | None:
    """The member a token belongs to, if it is known and not revoked; notes its use."""
    token = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == digest(value))
        .options(selectinload(ApiToken.member).selectinload(Member.providers))
    )
    if token is None or token.revoked_at is not None:
        return None
    token.last_used_at = now or utcnow()
    return token.member


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, newest first, with its member."""
    query = select(ApiToken).options(selectinload(ApiToken.member)).order_by(ApiToken.id.desc())
    return list(session.scalars(query))


def revoke_token(session: Session, token_id: int, now: datetime | None = None) -> ApiToken:
    """Revoke a token by id; revoking twice is refused so a typo is noticed."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise AccessError(f"there is no token {token_id}; `wayfinder tokens list` shows them")
    if token.revoked_at is not None:
        raise AccessError(f"token {token_id} was already revoked on {token.revoked_at:%Y-%m-%d}")
    token.revoked_at = now or utcnow()
    return token


def find_provider_named(session: Session, name: str) -> Provider:
    """A provider by its name, ignoring case; refused with suggestions when unknown."""
    found = session.scalar(
        select(Provider).where(func.lower(Provider.name) == name.strip().lower())
    )
    if found is not None:
        return found
    like = session.scalars(
        select(Provider.name).where(Provider.name.ilike(f"%{name.strip()[:20]}%")).limit(3)
    ).all()
    hint = f"; did you mean {', '.join(repr(n) for n in like)}?" if like else ""
    raise AccessError(f"no provider is called {name!r}{hint}")


def may_edit(member: Member, opportunity: Opportunity) -> bool:
    """Organisers edit anything; provider members only their own providers' listings."""
    if member.role == "organiser":
        return True
    return any(provider.id == opportunity.provider_id for provider in member.providers)


def publishes_directly(member: Member, provider: Provider) -> bool:
    """Organisers' and verified providers' changes go live; the others wait for review."""
    return member.role == "organiser" or bool(provider.verified)
