"""Invites, joining, API tokens and who may edit what: every refusal says why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from knowledge.community import (
    AccessError,
    create_invite,
    find_provider_named,
    issue_token,
    list_tokens,
    may_edit,
    member_for_token,
    normalise_code,
    publishes_directly,
    redeem_invite,
    revoke_token,
)
from knowledge.db import make_sessionmaker
from knowledge.models import ApiToken, Invite, Member, Opportunity, Provider
from tests.knowledge.racing import at_once, race_database

NOW = datetime(2026, 12, 1, 12, 0)


def providers(session: Session) -> tuple[Provider, Provider]:
    library = Provider(name="Eastside Library", kind="library", verified=True)
    club = Provider(name="Robot Club", kind="community group", verified=False)
    session.add_all([library, club])
    session.flush()
    return library, club


def listing(session: Session, provider: Provider) -> Opportunity:
    item = Opportunity(title="Code Club", description="Coding.", provider=provider)
    session.add(item)
    session.flush()
    return item


def test_an_invite_makes_a_member_of_its_provider_once(session: Session) -> None:
    library, club = providers(session)
    made = create_invite(session, role="provider", created_by="ana", provider=library, now=NOW)
    assert len(normalise_code(made.code)) == 10 and "-" in made.code
    stored = session.scalars(select(Invite)).one()
    assert made.code.replace("-", "") not in stored.code_hash  # only the hash is kept
    member = redeem_invite(session, made.code.lower().replace("-", " "), telegram_user_id="42",
                           now=NOW)  # fmt: skip
    assert member.role == "provider" and member.providers == [library]
    with pytest.raises(AccessError, match="already been used"):
        redeem_invite(session, made.code, now=NOW)
    second = create_invite(session, role="provider", created_by="ana", provider=club, now=NOW)
    same = redeem_invite(session, second.code, telegram_user_id="42", now=NOW)
    assert same.id == member.id and {p.name for p in same.providers} == {library.name, club.name}


def test_codes_expire_and_unknown_codes_are_refused(session: Session) -> None:
    library, _ = providers(session)
    made = create_invite(session, role="provider", created_by="ana", provider=library, days=2,
                         now=NOW)  # fmt: skip
    with pytest.raises(AccessError, match="expired"):
        redeem_invite(session, made.code, now=NOW + timedelta(days=2, seconds=1))
    with pytest.raises(AccessError, match="not one we issued"):
        redeem_invite(session, "ABCDE-FGHJK", now=NOW)


@pytest.mark.parametrize(
    ("role", "with_provider", "days", "says"),
    [
        ("admin", False, 7, "role must be one of"),
        ("provider", False, 7, "names the provider"),
        ("organiser", False, 0, "between 1 and 90 days"),
        ("organiser", False, 91, "between 1 and 90 days"),
    ],
)
def test_bad_invites_are_refused(
    session: Session, role: str, with_provider: bool, days: int, says: str
) -> None:
    library, _ = providers(session)
    with pytest.raises(AccessError, match=says):
        create_invite(
            session,
            role=role,
            created_by="ana",
            provider=library if with_provider else None,
            days=days,
        )


def test_tokens_are_hashed_listed_used_and_revoked(session: Session) -> None:
    library, _ = providers(session)
    code = create_invite(session, role="provider", created_by="ana", provider=library).code
    member = redeem_invite(session, code)
    made = issue_token(session, member, "our website")
    assert made.value.startswith("wf_") and made.value not in made.token.token_hash
    assert member_for_token(session, made.value, now=NOW) is member
    assert made.token.last_used_at == NOW
    assert member_for_token(session, "wf_not-a-token") is None
    assert [token.label for token in list_tokens(session)] == ["our website"]
    revoke_token(session, made.token.id, now=NOW)
    assert member_for_token(session, made.value) is None
    with pytest.raises(AccessError, match="already revoked"):
        revoke_token(session, made.token.id)
    with pytest.raises(AccessError, match="there is no token 999"):
        revoke_token(session, 999)
    with pytest.raises(AccessError, match="label"):
        issue_token(session, member, "  ")
    assert session.scalars(select(ApiToken)).one().revoked_at == NOW


def test_members_edit_only_their_providers_listings_and_organisers_everything(
    session: Session,
) -> None:
    library, club = providers(session)
    theirs, other = listing(session, library), listing(session, club)
    member = redeem_invite(
        session, create_invite(session, role="provider", created_by="a", provider=library).code
    )
    organiser = redeem_invite(
        session, create_invite(session, role="organiser", created_by="a").code
    )
    assert may_edit(member, theirs) and not may_edit(member, other)
    assert may_edit(organiser, theirs) and may_edit(organiser, other)
    assert publishes_directly(member, library)  # verified provider
    assert not publishes_directly(member, club)  # unverified: goes to review
    assert publishes_directly(organiser, club)


def test_providers_are_found_by_name_or_suggested(session: Session) -> None:
    providers(session)
    assert find_provider_named(session, "  eastside library ").name == "Eastside Library"
    with pytest.raises(AccessError, match="did you mean 'Eastside Library'"):
        find_provider_named(session, "Eastside")
    with pytest.raises(AccessError, match=r"no provider is called 'Nowhere'$"):
        find_provider_named(session, "Nowhere")


def test_two_people_redeeming_one_code_at_once_make_one_member(
    backend: str, tmp_path: Path
) -> None:
    with race_database(backend, tmp_path) as engine:
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            library, _ = providers(session)
            code = create_invite(session, role="provider", created_by="ana", provider=library).code

        def redeem(user: str) -> Callable[[sessionmaker[Session]], int]:
            def work(racing: sessionmaker[Session]) -> int:
                with racing.begin() as session:
                    return redeem_invite(session, code, telegram_user_id=user).id

            return work

        results = at_once(engine, "invite", redeem("41"), redeem("42"))  # both read it unused
        joined = [result for result in results if isinstance(result, int)]
        refused = [result for result in results if isinstance(result, AccessError)]
        assert len(joined) == len(refused) == 1, results
        assert "already been used" in str(refused[0])
        with sessions() as session:
            [member] = session.scalars(select(Member)).all()
            assert member.id == joined[0] and [p.name for p in member.providers] == [library.name]
            assert session.scalars(select(Invite.used_by_id)).one() == member.id
