"""Real multi-turn conversations over the REST channel, checked against the directory's data."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from knowledge.models import Learner, Opportunity, PlanItem, Reminder
from tests.e2e.conftest import Conversation, Reply, Stack

Talk = Callable[..., Conversation]
LINE = re.compile(r"^(\d+)\. (.+?) — ", re.M)


def listed(reply: Reply) -> list[str]:
    """The titles of a numbered result list, in order."""
    return [title for _, title in LINE.findall(reply.text)]


def listings(stack: Stack, titles: list[str]) -> list[Opportunity]:
    """The directory rows behind listed titles."""
    with stack.session() as session:
        rows = session.scalars(select(Opportunity).where(Opportunity.title.in_(titles))).all()
        for row in rows:
            _ = row.is_free, row.status, row.min_age, row.max_age, row.format
        session.expunge_all()
    by_title = {row.title: row for row in rows}
    return [by_title[title] for title in titles if title in by_title]


def test_search_in_one_message_fits_age_cost_and_is_open(talk: Talk, stack: Stack) -> None:
    chat = talk()
    reply = chat.say("something free for my 12-year-old on Saturdays near Riverside")
    titles = listed(reply)
    assert 3 <= len(titles) <= 5, reply.text
    for row in listings(stack, titles):
        assert row.status == "active"
        assert row.is_free, row.title
        assert (row.min_age or 0) <= 12 <= (row.max_age or 120), row.title
        assert "Sat" in row.days, row.title
    assert any(button["payload"].startswith("/opportunity_details") for button in reply.buttons)


def test_the_form_asks_only_for_what_is_missing_and_refines(talk: Talk, stack: Stack) -> None:
    chat = talk()
    first = chat.say("my daughter loves drawing")
    assert "How old is your daughter?" in first.text
    results = chat.say("she's 9")
    titles = listed(results)
    assert titles, results.text
    for row in listings(stack, titles):
        assert (row.min_age or 0) <= 9 <= (row.max_age or 120), row.title
    free = chat.say("only free ones")
    free_titles = listed(free)
    assert free_titles, free.text
    assert all(row.is_free for row in listings(stack, free_titles))
    assert chat.slots()["topic"] == ["art"]


def test_family_mode_switches_to_the_brother(talk: Talk, stack: Stack) -> None:
    chat = talk()
    chat.say("any coding clubs for my daughter? she is 8")
    reply = chat.say("for her brother, he's 14")
    titles = listed(reply)
    assert titles, reply.text
    for row in listings(stack, titles):
        assert (row.min_age or 0) <= 14 <= (row.max_age or 120), row.title
    assert chat.slots()["age"] == 14.0


def test_browse_more_and_details_by_number_and_by_name(talk: Talk, stack: Stack) -> None:
    chat = talk()
    first = chat.say("art classes for a 10 year old")
    first_titles = listed(first)
    assert len(first_titles) == 5, first.text
    more = chat.say("show more")
    more_titles = listed(more)
    assert more_titles and not set(more_titles) & set(first_titles)
    details = chat.say('/opportunity_details{"ordinal":"2"}')
    assert details.text.startswith(first_titles[1]), details.text
    (row,) = listings(stack, [first_titles[1]])
    assert "Last confirmed by the provider" in details.text
    assert row.provider_id is not None


def test_credentials_explained(talk: Talk) -> None:
    chat = talk()
    reply = chat.say("what's a micro-credential?")
    assert "micro-credential" in reply.text.lower() and "skill" in reply.text.lower()


def test_a_pathway_from_a_goal(talk: Talk) -> None:
    chat = talk()
    reply = chat.say("I want to become a nurse")
    assert "nurs" in reply.text.lower()
    assert re.search(r"^1\. ", reply.text, re.M), reply.text


def test_plan_and_reminder_persist_in_the_database(talk: Talk, stack: Stack) -> None:
    chat = talk()
    chat.say("dance classes for my 7 year old")
    chat.say('/opportunity_details{"ordinal":"1"}')
    saved = chat.say("/save_opportunity")
    assert "Saved" in saved.text or "already" in saved.text
    reminder = chat.say("/set_reminder")
    assert "remind" in reminder.text.lower() or "date" in reminder.text.lower()
    plan = chat.say("what's in my plan?")
    assert "Your plan (1)" in plan.text, plan.text
    with stack.session() as session:
        learner = session.scalars(select(Learner).where(Learner.sender_id == chat.sender)).one()
        assert session.scalars(select(PlanItem).where(PlanItem.learner_id == learner.id)).all()
    removed = chat.say('/remove_from_plan{"ordinal":"1"}')
    assert "Removed" in removed.text


def test_a_due_reminder_is_delivered_through_rasa(talk: Talk, stack: Stack) -> None:
    from bot.reminders.worker import run_once
    from knowledge.db import make_engine, make_sessionmaker

    chat = talk()
    chat.say("coding for a 12 year old")
    for ordinal in range(1, 6):  # the first listing with a date to be reminded of
        chat.say(f'/opportunity_details{{"ordinal":"{ordinal}"}}')
        if "I'll remind you" in chat.say("/set_reminder").text:
            break
    else:
        pytest.fail("none of the first five coding listings has a date to remind of")
    sessions = make_sessionmaker(make_engine(stack.database_url))
    later = datetime.now() + timedelta(days=400)
    sent, failed = run_once(sessions, stack.rasa_url, now=lambda: later)
    assert (sent, failed) == (1, 0)
    with sessions() as session:
        learner = session.scalars(select(Learner).where(Learner.sender_id == chat.sender)).one()
        reminders = session.scalars(select(Reminder).where(Reminder.learner_id == learner.id)).all()
        assert [reminder.status for reminder in reminders] == ["sent"]


def test_handoff_with_navigators_says_a_person_will_answer(talk: Talk, stack: Stack) -> None:
    chat = talk()
    chat.say("robotics for my 11 year old")
    reply = chat.say("I want to talk to someone")
    assert "navigator" in reply.text.lower(), reply.text
    with stack.session() as session:
        learner = session.scalars(select(Learner).where(Learner.sender_id == chat.sender)).one()
        (handoff,) = learner.handoffs
        assert handoff.status == "open" and handoff.summary["age_band"] == "10–12"


def test_forget_me_asks_then_erases(talk: Talk, stack: Stack) -> None:
    chat = talk()
    chat.say("coding for me, I'm 30")
    ask = chat.say("delete my data")
    assert any(button["payload"] == "/affirm" for button in ask.buttons)
    done = chat.say("/affirm")
    assert "deleted" in done.text.lower()
    with stack.session() as session:
        assert session.scalars(select(Learner).where(Learner.sender_id == chat.sender)).all() == []


@pytest.mark.parametrize("message", ["hello", "are you a bot?", "thanks!", "what can you do?"])
def test_small_talk_always_answers(talk: Talk, message: str) -> None:
    assert talk().say(message).text.strip()


def test_nonsense_gets_a_way_forward_not_silence(talk: Talk) -> None:
    reply = talk().say("zxqv blorp")
    assert reply.text.strip()


def test_forget_me_also_erases_the_stored_conversation(talk: Talk, stack: Stack) -> None:
    import sqlalchemy as sa

    chat = talk()
    chat.say("robotics for my son, he is 11")
    tracker_db = sa.create_engine(stack.tracker_url)
    count = sa.text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'")
    with tracker_db.connect() as connection:
        assert connection.scalar(count, {"s": chat.sender}) >= 1
    chat.say("forget me")
    chat.say("/affirm")
    with tracker_db.connect() as connection:
        assert connection.scalar(count, {"s": chat.sender}) == 0
    tracker_db.dispose()
    again = chat.say("hi")
    assert again.text.strip()


def test_with_the_action_server_down_the_user_gets_an_apology(stack: Stack) -> None:
    import os
    import subprocess

    import requests

    from bot.launch import rasa_server_command
    from tests.e2e.conftest import ROOT, _free_port, _model, _wait_until

    port = _free_port()
    log = stack.logs / "rasa-no-actions.log"
    env = {
        **os.environ,
        "WAYFINDER_ACTION_SERVER_URL": f"http://127.0.0.1:{_free_port()}/webhook",
        "WAYFINDER_TRACKER_URL": f"sqlite:///{stack.logs / 'tracker-no-actions.db'}",
    }
    command = rasa_server_command(port, _model())
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until(
            lambda: requests.get(f"{url}/status", timeout=2).json().get("model_file") is not None,
            300,
            "the Rasa server without actions",
            log,
        )
        reply = requests.post(
            f"{url}/webhooks/rest/webhook",
            json={"sender": "lonely", "message": "show me coding clubs for a 12 year old"},
            timeout=60,
        ).json()
        texts = " ".join(message.get("text", "") for message in reply)
        assert "something went wrong on my side" in texts
    finally:
        process.terminate()
        process.wait(timeout=30)
