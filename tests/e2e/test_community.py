"""Community updates end to end, on the real stack: an organiser invites, providers join in
Telegram and keep a listing current by spreadsheet, by chat and by API, an unverified provider's
change goes through review, every change is in the history, and the learner's next answer shows
each change at once."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
from datetime import date
from typing import Any

import requests
from sqlalchemy import select

from bot.gateway.texts import say as text_of
from knowledge.models import Opportunity
from knowledge.transfer.csv_format import COLUMNS
from tests.e2e.conftest import ROOT, Stack
from tests.e2e.test_channels import joined, new_chat, replies, say
from tests.fakes.telegram_api import FakeBotApi, iter_buttons

WAYFINDER = ROOT / ".venv" / "bin" / "wayfinder"
VERIFIED = "Eastside Branch Library"
UNVERIFIED = "Knight Moves Chess Club"
TITLE = "Adventures in Origami"


def wayfinder(stack: Stack, *args: str) -> str:
    """The CLI on the stack's directory; its output (failing the test if it fails)."""
    env = {**os.environ, "WAYFINDER_DATABASE_URL": stack.database_url}
    done = subprocess.run(
        [str(WAYFINDER), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def invite(stack: Stack, *args: str) -> str:
    """A new invite code from the CLI."""
    found = re.search(r"Invite code: (\S+)", wayfinder(stack, "providers", "invite", *args))
    assert found, "no code printed"
    return found[1]


def tap(fake: FakeBotApi, chat: int, label: str) -> list[dict[str, Any]]:
    """Tap a button of the bot's latest keyboard; the bot's answer."""
    before = len(fake.bot_messages(chat))
    fake.press_button(chat, label)
    return replies(fake, chat, before, settle_s=0.5)


def open_listing(fake: FakeBotApi, chat: int, title: str) -> None:
    """/mylistings, paging until the listing's button shows, then open it."""
    say(fake, chat, "/mylistings")
    for _ in range(20):
        keyboard = next(m for m in reversed(fake.bot_messages(chat)) if m.get("reply_markup"))
        labels = [button["text"] for button in iter_buttons(keyboard["reply_markup"])]
        if title in labels:
            tap(fake, chat, title)
            return
        tap(fake, chat, text_of("button_more"))
    raise AssertionError(f"{title!r} is not among the member's listings")


def spreadsheet(**cells: str) -> bytes:
    """The directory CSV with one row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow([cells.get(column, "") for column in COLUMNS])
    return out.getvalue().encode()


def learner_sees(stack: Stack, talk_sender: str) -> str:
    """A learner's search for origami at 12, then the first result's details, as one text."""

    def said(message: str) -> str:
        response = requests.post(
            f"{stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": talk_sender, "message": message},
            timeout=60,
        )
        response.raise_for_status()
        return "\n".join(str(m.get("text", "")) for m in response.json())

    found = said('/find_opportunity{"topic":"origami","age":12}')
    assert TITLE in found, found
    return said('/opportunity_details{"ordinal":"1"}')


def listing_id(stack: Stack, title: str) -> int:
    with stack.session() as session:
        found = session.scalar(select(Opportunity.id).where(Opportunity.title == title))
        assert found is not None
        return int(found)


def test_providers_keep_a_listing_current_and_learners_see_each_change(stack: Stack) -> None:
    fake = stack.telegram
    librarian, volunteer, organiser = new_chat(), new_chat(), new_chat()

    # Joining: an organiser's codes, redeemed in Telegram; a used code is refused.
    code = invite(stack, VERIFIED)
    assert VERIFIED in joined(say(fake, librarian, f"/join {code}"))
    assert "already been used" in joined(say(fake, volunteer, f"/join {code}"))
    assert UNVERIFIED in joined(say(fake, volunteer, f"/join {invite(stack, UNVERIFIED)}"))
    assert "/review" in joined(say(fake, organiser, f"/join {invite(stack, '--organiser')}"))

    # By spreadsheet: a bad row is refused whole, then the good file creates the listing.
    row = {
        "title": TITLE,
        "provider": VERIFIED,
        "description": "Fold paper cranes, boats and boxes; all paper provided.",
        "topics": "origami",
        "min_age": "10",
        "max_age": "16",
        "cost": "5",
        "format": "in_person",
        "days": "Sat",
    }
    before = len(fake.bot_messages(librarian))
    fake.push_document(
        librarian,
        file_name="ours.csv",
        mime_type="text/csv",
        data=spreadsheet(**{**row, "cost": "five"}),
    )
    refused = joined(replies(fake, librarian, before))
    assert "nothing was imported" in refused and "row 2" in refused and "cost" in refused
    before = len(fake.bot_messages(librarian))
    fake.push_document(
        librarian, file_name="ours.csv", mime_type="text/csv", data=spreadsheet(**row)
    )
    assert "1 created" in joined(replies(fake, librarian, before))
    details = learner_sees(stack, "e2e-community-learner-1")
    assert "$5" in details and date.today().strftime("%Y") in details

    # By chat: a bad cost is explained and asked again; the preview; confirm; learners see it.
    open_listing(fake, librarian, TITLE)
    tap(fake, librarian, text_of("button_cost"))
    assert "not a number" in joined(say(fake, librarian, "cheap"))
    assert "5 → 3" in joined(say(fake, librarian, "3"))
    assert "learners see" in joined(tap(fake, librarian, text_of("button_confirm")))
    assert "$3" in learner_sees(stack, "e2e-community-learner-2")

    # By API: a token from a code; an update with the version read; a stale one gets 409.
    joined_out = wayfinder(stack, "providers", "join", invite(stack, VERIFIED), "--label", "e2e")
    token = joined_out.strip().splitlines()[1]
    api = f"{stack.gateway_url}/api/v1/opportunities/{listing_id(stack, TITLE)}"
    auth = {"Authorization": f"Bearer {token}"}
    read = requests.get(api, headers=auth, timeout=30)
    assert read.status_code == 200, read.text
    version = read.json()["version"]
    changed = requests.patch(
        api, json={"cost": 0}, headers={**auth, "If-Match": f'"{version}"'}, timeout=30
    )
    assert changed.status_code == 200, changed.text
    stale = requests.patch(
        api, json={"cost": 9}, headers={**auth, "If-Match": f'"{version}"'}, timeout=30
    )
    assert stale.status_code == 409 and stale.json()["version"] == changed.json()["version"]
    assert "Free" in learner_sees(stack, "e2e-community-learner-3")
    assert requests.get(api, timeout=30).status_code == 401

    # An unverified provider's change waits for an organiser, who approves it in Telegram.
    with stack.session() as session:
        chess = session.scalars(
            select(Opportunity)
            .join(Opportunity.provider)
            .where(Opportunity.status == "active")
            .where(Opportunity.provider.has(name=UNVERIFIED))
            .order_by(Opportunity.title)
        ).first()
        assert chess is not None
        chess_title, chess_id = chess.title, chess.id
    open_listing(fake, volunteer, chess_title)
    tap(fake, volunteer, text_of("button_seats"))
    say(fake, volunteer, "6")
    assert "Sent to the organisers" in joined(tap(fake, volunteer, text_of("button_confirm")))
    with stack.session() as session:
        assert session.get(Opportunity, chess_id).seats_available != 6  # type: ignore[union-attr]
    assert "→ 6" in joined(say(fake, organiser, "/review"))
    before = len(fake.bot_messages(volunteer))
    assert "approved" in joined(tap(fake, organiser, text_of("button_approve")))
    assert "approved" in joined(replies(fake, volunteer, before)).lower()
    with stack.session() as session:
        assert session.get(Opportunity, chess_id).seats_available == 6  # type: ignore[union-attr]

    # Every change is in the history, with who made it and how.
    history = wayfinder(stack, "history", str(listing_id(stack, TITLE)))
    for expected in ("chat", "api", "cost"):
        assert expected in history, history
    assert "approved by" in wayfinder(stack, "history", str(chess_id))
    ours = {librarian, volunteer, organiser}  # the fake is shared with the other e2e tests
    refused_calls = [
        error
        for error in fake.errors()
        if error.status != 409 and error.params.get("chat_id") in ours
    ]
    assert refused_calls == [], refused_calls  # Telegram would have accepted every call
