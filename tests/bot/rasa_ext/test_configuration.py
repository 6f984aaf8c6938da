"""bot/credentials.yml and bot/endpoints.yml, read by Rasa's own loaders as `rasa run` reads them.

Rasa silently falls back to an in-memory tracker store when it cannot import a custom one, so
these tests check the classes Rasa actually builds, not just the YAML.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.run import create_http_input_channels
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.exceptions import RasaException
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.rasa_ext.channels import WayfinderRestInput
from bot.rasa_ext.lock_store import WayfinderLockStore, make_lock_store, redis_arguments
from bot.rasa_ext.tracker_store import WayfinderTrackerStore

ROOT = Path(__file__).resolve().parents[3]
ENDPOINTS = str(ROOT / "bot" / "endpoints.yml")


def test_credentials_load_our_rest_channel_only() -> None:
    channels = create_http_input_channels(None, str(ROOT / "bot" / "credentials.yml"))
    assert [type(channel) for channel in channels] == [WayfinderRestInput]


def test_endpoints_take_urls_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYFINDER_ACTION_SERVER_URL", "http://127.0.0.1:5999/webhook")
    monkeypatch.setenv("WAYFINDER_TRACKER_URL", f"sqlite:///{tmp_path / 'conversations.db'}")
    monkeypatch.delenv("WAYFINDER_LOCK_STORE_URL", raising=False)
    endpoints = AvailableEndpoints.read_endpoints(ENDPOINTS)
    assert endpoints.action is not None
    assert endpoints.action.url == "http://127.0.0.1:5999/webhook"
    store = TrackerStore.create(endpoints.tracker_store, Domain.empty())
    assert isinstance(store, WayfinderTrackerStore)  # not Rasa's silent in-memory fallback
    assert (tmp_path / "conversations.db").exists()
    store.engine.dispose()
    locks = LockStore.create(endpoints.lock_store)
    assert isinstance(locks, WayfinderLockStore) and isinstance(locks.store, InMemoryLockStore)


def test_rasa_refuses_to_start_without_the_action_server_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WAYFINDER_ACTION_SERVER_URL", raising=False)
    with pytest.raises(RasaException, match="WAYFINDER_ACTION_SERVER_URL"):
        AvailableEndpoints.read_endpoints(ENDPOINTS)


def test_the_real_domain_has_the_apology() -> None:
    responses = Domain.load(str(ROOT / "bot" / "domain")).responses
    assert responses["utter_technical_trouble"][0]["text"].strip()
    assert "didn't catch" in responses["utter_empty_message"][0]["text"]  # for a blank message


def test_redis_urls() -> None:
    assert redis_arguments("redis://:secret@cache:6380/2") == {
        "host": "cache",
        "port": 6380,
        "db": 2,
        "username": None,
        "password": "secret",
        "use_ssl": False,
    }
    assert redis_arguments("rediss://cache")["db"] == 1
    assert redis_arguments("rediss://cache")["use_ssl"] is True
    with pytest.raises(ValueError, match="WAYFINDER_LOCK_STORE_URL"):
        redis_arguments("http://cache:6379")


@pytest.mark.usefixtures("local_redis")
def test_locks_are_shared_in_redis_when_configured() -> None:
    store = make_lock_store({"WAYFINDER_LOCK_STORE_URL": "redis://127.0.0.1:6379/15"})
    assert isinstance(store, RedisLockStore)
    ticket = store.issue_ticket("runtime-test-conversation")
    other = make_lock_store({"WAYFINDER_LOCK_STORE_URL": "redis://127.0.0.1:6379/15"})
    lock = other.get_lock("runtime-test-conversation")  # a second server sees the same lock
    assert lock is not None and lock.is_locked(ticket + 1)
    store.cleanup("runtime-test-conversation", ticket)
    assert other.get_lock("runtime-test-conversation") is None


def test_an_unreachable_redis_fails_at_start() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RedisConnectionError):
        make_lock_store({"WAYFINDER_LOCK_STORE_URL": f"redis://127.0.0.1:{port}/1"})
