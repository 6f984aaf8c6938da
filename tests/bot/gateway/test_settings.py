"""The gateway's settings: the pseudonym key file made on first start is the owner's alone."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.gateway.settings import GatewaySettings, SettingsError


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """A umask that lets every new file be read and written by anyone (as some hosts set it)."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("permissive_umask")
def test_a_new_key_file_is_owner_only_from_the_moment_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_chmod(*_args: object, **_kwargs: object) -> None:
        """A later chmod would leave a window (or a crash) with the key readable: it must not
        be what protects the file."""

    for owner, name in ((Path, "chmod"), (os, "chmod"), (os, "fchmod"), (os, "lchmod")):
        if hasattr(owner, name):
            monkeypatch.setattr(owner, name, no_chmod)
    key_file = tmp_path / "secrets" / "pseudonym.key"
    settings = GatewaySettings.from_env({}, key_file=key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert key_file.read_bytes() == settings.pseudonym_key and len(settings.pseudonym_key) == 64


def test_the_key_file_is_made_once_and_kept_across_restarts(tmp_path: Path) -> None:
    key_file = tmp_path / "pseudonym.key"
    first = GatewaySettings.from_env({}, key_file=key_file).pseudonym_key
    assert GatewaySettings.from_env({}, key_file=key_file).pseudonym_key == first
    configured = GatewaySettings.from_env({"WAYFINDER_PSEUDONYM_KEY": "k" * 32}, key_file=key_file)
    assert configured.pseudonym_key == b"k" * 32 and key_file.read_bytes() == first


@pytest.mark.parametrize("days", ["0", "-5", "40000", "a year"])
def test_the_privacy_notices_retention_is_checked_as_the_worker_checks_it(days: str) -> None:
    """The notice must never promise a number of days the worker would refuse to run with."""
    env = {"WAYFINDER_PSEUDONYM_KEY": "p" * 40, "WAYFINDER_RETENTION_DAYS": days}
    with pytest.raises(SettingsError, match="WAYFINDER_RETENTION_DAYS"):
        GatewaySettings.from_env(env)


def test_redis_is_off_unless_its_url_is_set_and_then_must_be_a_redis_url(tmp_path: Path) -> None:
    env = {"WAYFINDER_PSEUDONYM_KEY": "k" * 40}
    assert GatewaySettings.from_env(env, key_file=tmp_path / "key").redis_url is None
    env["WAYFINDER_REDIS_URL"] = "redis://127.0.0.1:6379/13"
    chosen = GatewaySettings.from_env(env, key_file=tmp_path / "key")
    assert chosen.redis_url == "redis://127.0.0.1:6379/13"
    env["WAYFINDER_REDIS_URL"] = "127.0.0.1:6379"
    with pytest.raises(SettingsError, match="WAYFINDER_REDIS_URL must be a redis://"):
        GatewaySettings.from_env(env, key_file=tmp_path / "key")


def test_the_redis_prefix_defaults_to_wayfinder_and_refuses_odd_characters(
    tmp_path: Path,
) -> None:
    env = {"WAYFINDER_PSEUDONYM_KEY": "k" * 40}
    assert GatewaySettings.from_env(env, key_file=tmp_path / "key").redis_prefix == "wayfinder"
    env["WAYFINDER_REDIS_PREFIX"] = "city-2"
    assert GatewaySettings.from_env(env, key_file=tmp_path / "key").redis_prefix == "city-2"
    env["WAYFINDER_REDIS_PREFIX"] = "city:*"
    with pytest.raises(SettingsError, match="WAYFINDER_REDIS_PREFIX"):
        GatewaySettings.from_env(env, key_file=tmp_path / "key")
