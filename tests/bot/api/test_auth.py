"""Who may call the API: no token, a bad or revoked one, another provider's listings; and the
per-token rate limit (a token bucket, 429 with Retry-After)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.api.auth import TokenBuckets
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
    answers = [slow_api.call("GET", "/opportunities", "librarian") for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert int(refused.headers["Retry-After"]) == 20  # one request comes back every 20 s
    assert "at most 3 a minute" in refused.json()["error"]
    assert slow_api.call("GET", "/opportunities", "librarian2").status_code == 200  # own bucket
    assert slow_api.call("GET", "/openapi.json", None).status_code == 200  # no token, no limit


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
        buckets.take("a")
    with pytest.raises(ApiError) as refused:
        buckets.take("a")
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "1"
    clock.now += 1.0
    buckets.take("a")
    with pytest.raises(ApiError):
        buckets.take("a")
    clock.now += 3600  # an hour idle refills to 60, not 3600
    for _ in range(60):
        buckets.take("a")
    with pytest.raises(ApiError):
        buckets.take("a")


def test_buckets_that_refilled_are_forgotten_to_bound_memory() -> None:
    clock = Clock()
    buckets = TokenBuckets(60, clock)
    for number in range(10_001):
        buckets.take(f"token-{number}")
    clock.now += 120
    buckets.take("one more")
    assert len(buckets._buckets) <= 2


def test_the_rate_is_a_setting_of_at_least_one(tmp_path: Path) -> None:
    env = {"WAYFINDER_PSEUDONYM_KEY": "p" * 40}
    assert GatewaySettings.from_env(env, key_file=tmp_path / "k").api_rate_per_minute == 120
    env["WAYFINDER_API_RATE_PER_MINUTE"] = "30"
    assert GatewaySettings.from_env(env, key_file=tmp_path / "k").api_rate_per_minute == 30
    env["WAYFINDER_API_RATE_PER_MINUTE"] = "0"
    with pytest.raises(SettingsError, match="WAYFINDER_API_RATE_PER_MINUTE must be 1 or more"):
        GatewaySettings.from_env(env, key_file=tmp_path / "k")
