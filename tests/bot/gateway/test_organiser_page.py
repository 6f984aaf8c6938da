"""The organisers' reports page over real HTTP: signing in with an organiser's token (a provider's
is refused, a wrong one is refused and counted per address), the session cookie's attributes, the
page's headers, both reports with their CSV files, nothing under k, and everything escaped."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.organiser_access import (
    COOKIE,
    SESSION_TTL,
    Refused,
    session_cookie,
    token_id_of,
)
from bot.gateway.organiser_page import PAGE, SIGN_IN, SIGN_OUT
from bot.gateway.texts import say
from knowledge.community import issue_token
from knowledge.models import Location, Member, Opportunity, Provider, SearchRecord
from tests.bot.gateway.conftest import Serve

KEY = b"k" * 40
ROGUE = "<script>alert(1)</script> & Sons"  # a provider name that must arrive as text


@dataclass(frozen=True)
class Tokens:
    """Plain API tokens: an organiser's, a provider member's, and the organiser's token id."""

    organiser: str
    provider: str
    organiser_id: int


def searches(session: Session, topic: str, count: int, *, day: date, results: int = 0) -> None:
    """`count` searches for `topic` (ages 9–12, anywhere) on `day`, each finding `results`."""
    row = {
        "day": day, "channel": "telegram", "chat_language": "en", "topic": topic,
        "age_band": "9–12", "neighbourhood": None, "results": results,
    }  # fmt: skip
    session.execute(insert(SearchRecord), [row] * count)


def seed_reports(sessions: sessionmaker[Session], today: date) -> Tokens:
    """Two members with tokens, a provider (named like markup) with a stale listing, robotics
    searched 7 times with nothing found (shown) and chess 3 times (under k: never shown)."""
    with sessions.begin() as session:
        rogue = Provider(name=ROGUE, kind="community_group", verified=True)
        session.add(rogue)
        session.add(Location(name="Hall", location_type="physical", address="1 Main St",
                             provider=rogue))  # fmt: skip
        session.add(
            Opportunity(
                title="Old club", description="Stale.", provider=rogue, status="active",
                assured_date=today - timedelta(days=200),
            )
        )  # fmt: skip
        organiser = Member(role="organiser", name="Olu")
        member = Member(role="provider", name="Lee", providers=[rogue])
        session.add_all([organiser, member])
        session.flush()
        made = issue_token(session, organiser, "reports")
        other = issue_token(session, member, "sync")
        searches(session, "robotics", 7, day=today - timedelta(days=3))
        searches(session, "chess", 3, day=today - timedelta(days=3))
        return Tokens(made.value, other.value, made.token.id)


def sign_in(url: str, token: str, **headers: str) -> requests.Response:
    """The sign-in form posted (redirects not followed)."""
    return requests.post(
        f"{url}{SIGN_IN}", data={"token": token}, headers=headers, allow_redirects=False,
        timeout=30,
    )  # fmt: skip


def signed_in(url: str, token: str) -> requests.Session:
    """A browser-like session holding the organiser's cookie."""
    browser = requests.Session()
    answer = browser.post(f"{url}{SIGN_IN}", data={"token": token}, timeout=30)
    assert answer.status_code == 200 and answer.url.endswith(PAGE)
    return browser


def test_a_signed_in_organiser_sees_both_reports_with_nothing_under_k_and_everything_escaped(
    served: Serve, sessions: sessionmaker[Session]
) -> None:
    tokens = seed_reports(sessions, date.today())
    url, _ = served()
    answer = sign_in(url, tokens.organiser)
    assert answer.status_code == 303 and answer.headers["Location"] == PAGE
    cookie = answer.headers["Set-Cookie"]
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/organisers", "Max-Age=3600"):
        assert attribute.lower() in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http on localhost; https gets Secure
    assert tokens.organiser not in cookie  # the cookie names the token, never holds it

    page = signed_in(url, tokens.organiser).get(f"{url}{PAGE}", timeout=60)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "unsafe-inline" not in policy and "img-src data:" in policy
    body = page.text
    assert "Unmet demand" in body and "Use of the service" in body
    assert "robotics · ages 9–12 · anywhere" in body
    assert "chess" not in body  # 3 searches: under k, merged away and never named
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons" in body
    assert body.count('src="data:image/svg+xml;base64,') >= 2  # the charts, inside the page
    assert f'href="{PAGE}/demand.csv?since=' in body and f'href="{PAGE}/usage.csv?since=' in body


def test_each_report_downloads_as_csv_for_the_pages_window(
    served: Serve, sessions: sessionmaker[Session]
) -> None:
    today = date.today()
    tokens = seed_reports(sessions, today)
    url, _ = served()
    browser = signed_in(url, tokens.organiser)
    since = (today - timedelta(days=7)).isoformat()
    demand = browser.get(f"{url}{PAGE}/demand.csv", params={"since": since}, timeout=60)
    assert demand.status_code == 200 and demand.headers["Content-Type"].startswith("text/csv")
    assert demand.headers["Content-Disposition"] == f'attachment; filename="demand-{since}.csv"'
    rows = list(csv.reader(io.StringIO(demand.text)))
    assert rows[0][:3] == ["asked for", "searches", "found little"]
    assert [row[:3] for row in rows[1:]] == [["robotics · ages 9–12 · anywhere", "7", "7"]]
    usage = browser.get(f"{url}{PAGE}/usage.csv", params={"since": since}, timeout=60)
    stale = [row for row in csv.reader(io.StringIO(usage.text)) if row[0].startswith("Listings")]
    assert {row[1] for row in stale} == {ROGUE}
    later = browser.get(f"{url}{PAGE}/demand.csv", params={"since": today.isoformat()}, timeout=60)
    assert list(csv.reader(io.StringIO(later.text)))[1:] == []  # nothing searched since today


def test_a_script_may_send_the_organisers_token_as_a_bearer_token(
    served: Serve, sessions: sessionmaker[Session]
) -> None:
    tokens = seed_reports(sessions, date.today())
    url, _ = served()
    answer = requests.get(
        f"{url}{PAGE}/demand.csv",
        headers={"Authorization": f"Bearer {tokens.organiser}"},
        timeout=60,
    )
    assert answer.status_code == 200 and "robotics" in answer.text


def test_without_a_session_the_page_asks_to_sign_in(
    served: Serve, sessions: sessionmaker[Session]
) -> None:
    seed_reports(sessions, date.today())
    url, _ = served()
    for path in (PAGE, f"{PAGE}/demand.csv"):
        answer = requests.get(f"{url}{path}", timeout=30)
        assert answer.status_code == 401
        assert say("organiser_sign_in_intro") in answer.text
        assert f'action="{SIGN_IN}"' in answer.text and "robotics" not in answer.text
        assert answer.headers["Cache-Control"] == "no-store"


def test_a_providers_token_is_refused_with_403_and_a_wrong_one_with_401(
    served: Serve, sessions: sessionmaker[Session]
) -> None:
    tokens = seed_reports(sessions, date.today())
    url, _ = served()
    provider = sign_in(url, tokens.provider)
    assert provider.status_code == 403 and "Set-Cookie" not in provider.headers
    assert say("organiser_only") in provider.text
    wrong = sign_in(url, "wf_" + "x" * 43)
    assert wrong.status_code == 401 and say("organiser_token_invalid") in wrong.text


def test_spanish_browsers_get_the_page_in_spanish(
    served: Serve, sessions: sessionmaker[Session]
) -> None:
    seed_reports(sessions, date.today())
    url, _ = served()
    answer = requests.get(f"{url}{PAGE}", headers={"Accept-Language": "es-MX"}, timeout=30)
    assert '<html lang="es">' in answer.text
    assert say("organiser_sign_in_title", "es") in answer.text


def test_failed_sign_ins_are_limited_per_address_even_for_a_good_token_after(
    served: Serve, sessions: sessionmaker[Session]
) -> None:
    tokens = seed_reports(sessions, date.today())
    url, _ = served()
    statuses = [sign_in(url, f"wf_guess{n}").status_code for n in range(10)]
    assert statuses == [401] * 10
    refused = sign_in(url, tokens.organiser)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Set-Cookie" not in refused.headers
    seconds = refused.headers["Retry-After"]
    assert say("organiser_too_many", seconds=seconds) in refused.text
    page = requests.get(f"{url}{PAGE}", headers={"Authorization": "Bearer wf_x"}, timeout=30)
    assert page.status_code == 429


def test_a_form_from_another_site_is_refused(
    served: Serve, sessions: sessionmaker[Session]
) -> None:
    tokens = seed_reports(sessions, date.today())
    url, _ = served()
    answer = sign_in(url, tokens.organiser, Origin="https://evil.example")
    assert answer.status_code == 403 and "Set-Cookie" not in answer.headers
    assert say("organiser_wrong_origin") in answer.text


def test_revoking_the_token_ends_the_session_and_signing_out_drops_the_cookie(
    served: Serve, sessions: sessionmaker[Session]
) -> None:
    tokens = seed_reports(sessions, date.today())
    url, _ = served()
    browser = signed_in(url, tokens.organiser)
    out = browser.post(f"{url}{SIGN_OUT}", allow_redirects=False, timeout=30)
    assert out.status_code == 303
    assert (
        out.headers["Set-Cookie"].startswith(f'{COOKIE}=""')
        and "Max-Age=0" in out.headers["Set-Cookie"]
    )
    assert browser.get(f"{url}{PAGE}", timeout=30).status_code == 401

    browser = signed_in(url, tokens.organiser)
    from knowledge.community import revoke_token

    with sessions.begin() as session:
        revoke_token(session, tokens.organiser_id)
    answer = browser.get(f"{url}{PAGE}", timeout=30)
    assert answer.status_code == 401 and say("organiser_token_invalid") in answer.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "last week"}, say("organiser_bad_date", value="last week")),
        ({"since": "2026-11-10", "until": "2026-11-01"}, say("organiser_bad_window")),
    ],
)
def test_a_bad_date_or_a_window_ending_before_it_starts_is_explained(
    served: Serve,
    sessions: sessionmaker[Session],
    query: dict[str, str],
    message: str,
) -> None:
    tokens = seed_reports(sessions, date.today())
    url, _ = served()
    answer = signed_in(url, tokens.organiser).get(f"{url}{PAGE}", params=query, timeout=30)
    assert answer.status_code == 400
    assert message in answer.text and "robotics" not in answer.text


def test_a_session_cookie_expires_and_cannot_be_altered() -> None:
    made = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
    cookie = session_cookie(KEY, 7, now=made)
    assert token_id_of(KEY, cookie, now=made + SESSION_TTL - timedelta(seconds=1)) == 7
    with pytest.raises(Refused) as expired:
        token_id_of(KEY, cookie, now=made + SESSION_TTL)
    assert (expired.value.status, expired.value.key) == (401, "organiser_session_expired")
    flipped = cookie[:-1] + ("1" if cookie[-1] == "0" else "0")
    for forged in ("8" + cookie[1:], flipped, "7.99999999999.", "", "a.b.c"):
        with pytest.raises(Refused) as bad:
            token_id_of(KEY, forged, now=made)
        assert bad.value.key == "organiser_session_invalid"
    with pytest.raises(Refused):
        token_id_of(b"another key of forty characters........", cookie, now=made)
