"""Who may call the API: no token, a bad or revoked one, another provider's listings; the
per-token rate limit (a token bucket, 429 with Retry-After); and the limit on failed
authentications per client address."""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import select

from bot.api.auth import FailedAuthentications, TokenBuckets
from bot.api.errors import ApiError
from bot.gateway.settings import GatewaySettings, SettingsError
from knowledge.models import ApiToken, ChangeRequest
from tests.bot.api.conftest import Api, Seeded, sqlite_api
from tests.bot.api.test_routes import CSV, csv

ROUTES = [
    ("GET", "/opportunities"),
    ("GET", "/opportunities/1"),
    ("POST", "/opportunities"),
    ("PATCH", "/opportunities/1"),
    ("POST", "/opportunities/1/close"),
    ("POST", "/imports"),
    ("GET", "/requests/1"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    ("authorization", "says"),
    [
        (None, "send your provider token"),
        ("", "send your provider token"),
        ("Basic dXNlcjpwYXNz", "send your provider token"),
        ("Bearer", "send your provider token"),
        ("Bearer wf_not-a-token-we-issued", "not valid"),
        ("Bearer " + "x" * 5000, "not valid"),
    ],
)
def test_without_a_valid_token_every_route_answers_401(
    shared_api: Api, method: str, path: str, authorization: str | None, says: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = shared_api.call(method, path, None, headers=headers, json={})
    assert answer.status_code == 401
    assert says in answer.json()["error"] and answer.json()["problems"] == []
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused(shared_api: Api) -> None:
    answer = shared_api.call("GET", "/opportunities", "revoked")
    assert answer.status_code == 401 and "revoked" in answer.json()["error"]
    assert "invalid_token" in answer.headers["WWW-Authenticate"]


def test_the_openapi_document_needs_no_token(shared_api: Api) -> None:
    assert shared_api.call("GET", "/openapi.json", None).status_code == 200


def test_a_token_notes_when_it_was_last_used(shared_api: Api) -> None:
    shared_api.call("GET", "/opportunities", "artist")
    with shared_api.sessions() as session:
        used = session.scalars(select(ApiToken.last_used_at).where(ApiToken.label.like("artist%")))
        assert used.one() is not None


def test_another_providers_listing_is_403_for_every_action(api: Api) -> None:
    listing = api.listing("story_time")
    path = f"/opportunities/{listing['id']}"
    read = api.call("GET", path, "artist")
    assert read.status_code == 403 and "belongs to Eastside Library" in read.json()["error"]
    change = api.call("PATCH", path, "artist", json={"name": "Ours", "version": listing["version"]})
    assert change.status_code == 403
    assert api.call("POST", f"{path}/close", "artist").status_code == 403
    assert api.call("PATCH", path, "volunteer", json={"name": "x", "version": 1}).status_code == 403
    assert api.listing("story_time") == listing
    with api.sessions() as session:  # an unverified member's attempt queues nothing either
        assert session.scalars(select(ChangeRequest)).all() == []


def test_a_listing_of_anothers_provider_is_refused_even_when_stale(api: Api) -> None:
    listing = api.listing("story_time")
    answer = api.call(
        "PATCH", f"/opportunities/{listing['id']}", "artist", json={"name": "x", "version": 999}
    )
    assert answer.status_code == 403  # who may edit comes first: a 409 would leak the listing


def test_organisers_may_change_any_listing(api: Api) -> None:
    listing = api.listing("painting")
    answer = api.call(
        "PATCH",
        f"/opportunities/{listing['id']}",
        "organiser",
        json={"seats_available": 3, "version": listing["version"]},
    )
    assert answer.status_code == 200 and answer.json()["seats_available"] == 3


def test_a_member_cannot_upload_rows_for_another_provider(api: Api) -> None:
    data = csv("Painting Club,Harbour Arts,Ours now.,art,in_person,3,7")
    answer = api.call("POST", "/imports", "librarian", data=data, headers=CSV)
    assert answer.status_code == 422
    [problem] = answer.json()["problems"]
    assert problem["field"] == "provider" and "not one of your providers" in problem["message"]


@pytest.fixture
def slow_api(template_db: tuple[Path, Seeded], tmp_path: Path) -> Iterator[Api]:
    """The API allowing 3 requests a minute per token."""
    with sqlite_api(template_db, tmp_path / "slow", 3) as running:
        yield running


def test_each_token_is_limited_to_its_rate_with_retry_after(slow_api: Api) -> None:
    started = time.monotonic()
    answers = [slow_api.call("GET", "/opportunities", "librarian") for _ in range(4)]
    elapsed = time.monotonic() - started
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    # One request comes back every 20 s, less the time the four calls took (a busy machine: > 1 s).
    assert 20 - math.ceil(elapsed) <= int(refused.headers["Retry-After"]) <= 20
    assert "at most 3 a minute" in refused.json()["error"]
    assert slow_api.call("GET", "/opportunities", "librarian2").status_code == 200  # own bucket
    assert slow_api.call("GET", "/openapi.json", None).status_code == 200  # no token, no limit


class FromAddress(HTTPAdapter):
    """Requests sent from another loopback address (all of 127.0.0.0/8 is this machine's)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def test_guessed_tokens_are_throttled_by_address_and_other_callers_are_unaffected(
    slow_api: Api,
) -> None:
    guesses = [
        slow_api.call(
            "GET",
            "/opportunities",
            None,
            headers={"Authorization": f"Bearer wf_{secrets.token_urlsafe(32)}"},
        )
        for _ in range(1000)
    ]
    statuses = [answer.status_code for answer in guesses]
    assert statuses[:3] == [401, 401, 401]  # as many failures as a token has requests (3)
    assert set(statuses) == {401, 429}
    assert statuses.count(429) >= 990  # one more try comes back every 20 s
    refused = guesses[3]
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "without a valid token from your address" in refused.json()["error"]
    # while the address is refused, no token is looked up from it, valid or not
    assert slow_api.call("GET", "/opportunities", "librarian").status_code == 429

    other = requests.Session()
    other.mount("http://", FromAddress("127.0.0.2"))
    valid = {"Authorization": f"Bearer {slow_api.seeded.tokens['librarian']}"}
    url = f"{slow_api.url}/api/v1/opportunities"
    answers = [other.get(url, headers=valid, timeout=30).status_code for _ in range(4)]
    other.close()
    assert answers == [200, 200, 200, 429]  # its own full bucket: the guesses spent none of it


def run(step: Coroutine[Any, Any, None]) -> None:
    """One step of the buckets (async, as Redis's are), run to its end."""
    asyncio.run(step)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_refills_evenly_and_never_beyond_its_size() -> None:
    clock = Clock()
    buckets = TokenBuckets(60, clock)  # one a second, bursts of 60
    for _ in range(60):
        run(buckets.take("a"))
    with pytest.raises(ApiError) as refused:
        run(buckets.take("a"))
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "1"
    clock.now += 1.0
    run(buckets.take("a"))
    with pytest.raises(ApiError):
        run(buckets.take("a"))
    clock.now += 3600  # an hour idle refills to 60, not 3600
    for _ in range(60):
        run(buckets.take("a"))
    with pytest.raises(ApiError):
        run(buckets.take("a"))


def test_an_address_is_refused_after_its_failures_until_one_more_try_refills() -> None:
    clock = Clock()
    failures = FailedAuthentications(TokenBuckets(6, clock))  # one try back every 10 s
    for _ in range(6):
        run(failures.check("192.0.2.7"))  # checking spends nothing
        run(failures.failed("192.0.2.7"))
    with pytest.raises(ApiError) as refused:
        run(failures.check("192.0.2.7"))
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "10"
    run(failures.check("192.0.2.8"))  # another address
    clock.now += 10
    run(failures.check("192.0.2.7"))


def test_a_flood_of_new_keys_does_not_rebuild_the_buckets_on_every_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    buckets = TokenBuckets(60, clock)
    sweeps = []
    sweep = buckets._forget_full

    def counted(now: float) -> None:
        sweeps.append(now)
        sweep(now)

    monkeypatch.setattr(buckets, "_forget_full", counted)

    async def flood() -> None:
        for number in range(40_000):  # none refills within the minute: every bucket is kept
            await buckets.take(f"token-{number}")

    run(flood())
    assert len(buckets._buckets) == 40_000
    assert len(sweeps) <= 3  # when the count doubles (10,001, 20,003, …), not on each request


def test_buckets_that_refilled_are_forgotten_to_bound_memory() -> None:
    clock = Clock()
    buckets = TokenBuckets(60, clock)

    async def flood() -> None:
        for number in range(10_001):
            await buckets.take(f"token-{number}")

    run(flood())
    clock.now += 120
    run(buckets.take("one more"))
    assert len(buckets._buckets) <= 2


def test_the_rate_is_a_setting_of_at_least_one(tmp_path: Path) -> None:
    env = {"WAYFINDER_PSEUDONYM_KEY": "p" * 40}
    assert GatewaySettings.from_env(env, key_file=tmp_path / "k").api_rate_per_minute == 120
    env["WAYFINDER_API_RATE_PER_MINUTE"] = "30"
    assert GatewaySettings.from_env(env, key_file=tmp_path / "k").api_rate_per_minute == 30
    env["WAYFINDER_API_RATE_PER_MINUTE"] = "0"
    with pytest.raises(SettingsError, match="WAYFINDER_API_RATE_PER_MINUTE must be 1 or more"):
        GatewaySettings.from_env(env, key_file=tmp_path / "k")
