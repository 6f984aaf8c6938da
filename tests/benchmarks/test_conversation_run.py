"""Checking replies against a script's expectations, and running scripts against a stand-in bot."""

from __future__ import annotations

import requests

from benchmarks.conversation_run import Reply, Send, describe, run_script, unmet
from benchmarks.conversation_script import Expect, Script, ScriptedConversation, Turn
from knowledge.locales import SOURCE_LANGUAGE, supported_codes

LISTING = Reply(
    texts=(
        "Here's what I found for pottery · age 10 (1–2 of 2):\n"
        "1. Clay  Club — Pine Hollow Arts · ages 8–12 · Sat · Free\n"
        "2. Wheel Basics — Mudworks · ages 9–14 · Tue · $40",
    ),
    buttons=("1. Clay Club", "2. Wheel Basics", "Show more"),
)


def test_a_reply_joins_texts_and_button_titles() -> None:
    plan = {"title": "Show my plan", "payload": "/show_plan"}
    reply = Reply.from_messages(
        [
            {"recipient_id": "u", "text": "Saved Clay Club.", "buttons": [plan]},
            {"recipient_id": "u", "image": "https://example.org/x.png"},
            {"recipient_id": "u", "text": "Anything else?"},
        ]
    )
    assert reply.texts == ("Saved Clay Club.", "Anything else?")
    assert reply.buttons == ("Show my plan",)
    assert reply.text == "Saved Clay Club.\nAnything else?\nShow my plan"


def test_titles_are_found_ignoring_case_and_runs_of_whitespace() -> None:
    assert unmet(Expect(titles_all=("clay club", "WHEEL BASICS")), LISTING) == []
    assert unmet(Expect(titles_any=("Kiln Safety", "Wheel Basics")), LISTING) == []


def test_a_title_is_found_only_whole() -> None:
    reply = Reply(("1. Electrical Wiring II — Trades Hall · Mon",), ())
    assert unmet(Expect(titles_any=("Electrical Wiring I",)), reply) == [
        "titles_any: none of 'Electrical Wiring I' was listed"
    ]
    assert unmet(Expect(titles_none=("Electrical Wiring I", "Wiring")), reply) == [
        "titles_none: 'Wiring' listed"
    ]
    assert unmet(Expect(titles_all=("Electrical Wiring II",), says_all=("Wiring I",)), reply) == []


def test_each_expectation_that_fails_says_what_was_missing() -> None:
    expect = Expect(
        titles_any=("Kiln Safety", "Glaze Lab"),
        titles_all=("Clay Club", "Kiln Safety"),
        titles_none=("Wheel Basics",),
        says_any=("Sun", "Mon"),
        says_all=("ages 8–12", "free of charge"),
        says_none=("$40",),
        buttons_any=("remind",),
    )
    assert unmet(expect, LISTING) == [
        "titles_any: none of 'Kiln Safety', 'Glaze Lab' was listed",
        "titles_all: 'Kiln Safety' not listed",
        "titles_none: 'Wheel Basics' listed",
        "says_any: said none of 'Sun', 'Mon'",
        "says_all: did not say 'free of charge'",
        "says_none: said '$40'",
        "buttons_any: no button with 'remind' (offered: '1. Clay Club', '2. Wheel Basics', "
        "'Show more')",
    ]


def test_button_expectations_look_only_at_buttons() -> None:
    reply = Reply(texts=("Say yes to delete everything.",), buttons=("No, keep it",))
    assert unmet(Expect(buttons_any=("yes",)), reply) == [
        "buttons_any: no button with 'yes' (offered: 'No, keep it')"
    ]
    assert unmet(Expect(buttons_any=("KEEP",)), reply) == []
    assert unmet(Expect(buttons_any=("yes",)), Reply(("Sure?",), ())) == [
        "buttons_any: no button with 'yes' (offered: no buttons)"
    ]


def test_listing_titles_in_buttons_count_as_shown() -> None:
    reply = Reply(texts=("Here you go:",), buttons=("1. Clay Club",))
    assert unmet(Expect(titles_none=("Clay Club",)), reply) == ["titles_none: 'Clay Club' listed"]


def test_no_expectations_pass_on_any_reply_even_an_empty_one() -> None:
    assert unmet(Expect(), Reply((), ())) == []


def script(*conversations: ScriptedConversation) -> Script:
    return Script(city="Pine Hollow", conversations=conversations, source="test.yml")


Heard = list[tuple[str, str]]


def bot(answers: dict[str, Reply | Exception]) -> tuple[Send, Heard]:
    """A stand-in assistant answering from a table, recording (sender, message)."""
    heard: Heard = []

    def send(sender: str, message: str) -> Reply:
        heard.append((sender, message))
        answer = answers[message]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return send, heard


def test_a_script_runs_every_turn_each_conversation_as_a_new_sender() -> None:
    send, heard = bot(
        {
            "pottery for my 10 year old": LISTING,
            "only free ones": Reply(("1. Clay Club — Pine Hollow Arts · Free",), ()),
            "tell me about the first one": Reply(("Clay Club\nWhen: Sun 10:00",), ()),
        }
    )
    result = run_script(
        script(
            ScriptedConversation(
                "pottery",
                (
                    Turn("pottery for my 10 year old", Expect(titles_any=("Clay Club",))),
                    Turn("only free ones", Expect(titles_none=("Wheel Basics",))),
                ),
            ),
            ScriptedConversation(
                "details",
                (
                    Turn("pottery for my 10 year old", Expect(titles_none=("Wheel Basics",))),
                    Turn("tell me about the first one", Expect(says_all=("Sat",))),
                    Turn("only free ones", Expect(says_any=("free",))),
                ),
            ),
        ),
        send,
        sender_prefix="pine",
    )
    assert [message for _, message in heard] == [
        "pottery for my 10 year old",
        "only free ones",
        "pottery for my 10 year old",
        "tell me about the first one",
        "only free ones",
    ]
    senders = [sender for sender, _ in heard]
    assert senders[0] == senders[1] != senders[2] == senders[3] == senders[4]
    assert all(sender.startswith("pine-") for sender in senders)
    assert (result.passed, result.total, round(result.pass_rate, 2)) == (1, 2, 0.5)
    (failed,) = result.failed
    assert failed.name == "details"
    assert [turn.number for turn in failed.failures] == [1, 2]  # all turns run, all failures kept
    assert failed.first_failure is failed.failures[0]
    assert failed.first_failure.problems == ("titles_none: 'Wheel Basics' listed",)


def test_a_request_that_fails_fails_its_turn_and_the_conversation_goes_on() -> None:
    send, heard = bot(
        {"hi": requests.ConnectionError("connection refused"), "bye": Reply(("Bye!",), ())}
    )
    result = run_script(
        script(ScriptedConversation("flaky", (Turn("hi", Expect()), Turn("bye", Expect())))),
        send,
    )
    (conversation,) = result.conversations
    first, second = conversation.turns
    assert first.reply is None and first.problems == ("no reply: connection refused",)
    assert second.passed
    assert len(heard) == 2
    assert "turn 1 'hi': no reply: connection refused. Reply: nothing" in describe(result)


def test_the_summary_names_each_failing_conversation_and_its_first_failing_turn() -> None:
    send, _ = bot({"a": LISTING, "b": Reply(("x" * 700,), ())})
    result = run_script(
        script(
            ScriptedConversation(
                "wrong answers",
                (
                    Turn("a", Expect(titles_all=("Kiln Safety",))),
                    Turn("b", Expect(says_all=("y",))),
                ),
            ),
            ScriptedConversation("fine", (Turn("a", Expect(titles_any=("Clay Club",))),)),
        ),
        send,
    )
    summary = describe(result)
    assert summary.splitlines()[0] == "Pine Hollow (test.yml): 1/2 conversations passed (50%)"
    first = "- wrong answers\n    turn 1 'a': titles_all: 'Kiln Safety' not listed. Reply: "
    assert first in summary
    assert "1. Clay Club — Pine Hollow Arts" in summary
    assert "turn 2" not in summary
    every = describe(result, every_turn=True)
    assert "turn 2 'b': says_all: did not say 'y'. Reply: 'xxx" in every
    assert every.rstrip().endswith("…'")  # long replies are cut


def test_an_empty_result_has_a_zero_pass_rate() -> None:
    send, _ = bot({})
    result = run_script(Script("Pine Hollow", (), "test.yml"), send)
    assert result.total == 0 and result.pass_rate == 0.0


def test_a_long_message_is_cut_in_the_summary() -> None:
    long = "my daughter " * 40
    send, _ = bot({long: Reply(("Hello!",), ())})
    result = run_script(
        script(ScriptedConversation("long", (Turn(long, Expect(says_all=("stars",))),))), send
    )
    line = describe(result).splitlines()[2]
    assert line.startswith("    turn 1 'my daughter my daughter")
    assert "…': says_all: did not say 'stars'. Reply: 'Hello!'" in line
    assert len(line) < 250


def test_a_conversation_in_another_language_fails_a_reply_with_our_english() -> None:
    """Listing content may stay as written; the assistant's own English phrases may not."""
    source = Reply(("Here's what I can do: find programs by topic, age, place",), ())
    translated = Reply(("Esto es lo que puedo hacer: 1. Clay Club — Pine Hollow Arts",), ())
    other = next(code for code in supported_codes() if code != SOURCE_LANGUAGE)
    problems = unmet(Expect(), source, other)
    assert problems and problems[0].startswith(f"in {other}: said"), problems
    assert unmet(Expect(), translated, other) == []
    assert unmet(Expect(), source) == []  # an English conversation: nothing to check
