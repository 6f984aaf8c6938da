"""`wayfinder providers invite|join` and `wayfinder tokens list|revoke`, as organisers run them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.cli import main
from tests.knowledge.test_seed import write_seed


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A migrated SQLite file with a few providers."""
    monkeypatch.setenv("WAYFINDER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["db", "upgrade"]) == 0
    assert main(["directory", "seed", "--folder", str(write_seed(tmp_path / "seed"))]) == 0


def test_invite_join_list_and_revoke(seeded: None, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["providers", "invite", "riverside library"]) == 0
    assert "a member of Riverside Library" in capsys.readouterr().out
    assert main(["providers", "invite", "--organiser", "--days", "3"]) == 0
    out = capsys.readouterr().out
    code = re.search(r"Invite code: (\S+)", out)
    assert code and "an organiser" in out and "/join CODE" in out

    assert main(["providers", "join", code.group(1), "--label", "city website"]) == 0
    out = capsys.readouterr().out
    token = re.search(r"^(wf_\S+)$", out, re.M)
    assert token and "every listing (organiser)" in out

    assert main(["providers", "join", code.group(1), "--label", "again"]) == 1
    assert "already been used" in capsys.readouterr().err

    assert main(["tokens", "list"]) == 0
    listed = capsys.readouterr().out
    assert "city website" in listed and "active" in listed and token.group(1) not in listed

    assert main(["tokens", "revoke", "1"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["tokens", "revoke", "1"]) == 1
    assert "already revoked" in capsys.readouterr().err


def test_inviting_to_an_unknown_provider_or_neither_is_explained(
    seeded: None, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["providers", "invite", "No Such Place"]) == 1
    assert "no provider is called 'No Such Place'" in capsys.readouterr().err
    assert main(["providers", "invite"]) == 1
    assert "name a provider, or pass --organiser" in capsys.readouterr().err
