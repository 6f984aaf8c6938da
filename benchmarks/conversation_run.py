"""Running scripted conversations against an assistant and checking every reply.

Each conversation talks as a fresh sender over the REST channel. A reply is the texts of all its
messages and the titles of all its buttons, joined; titles and words are looked for in it
ignoring case and runs of whitespace (a listing title as a whole, so "Wiring I" is not found in
"Wiring II"; words and button texts anywhere). A conversation passes when every turn passes; all
turns are sent (so one report shows every failing turn), and a conversation's failure is
reported by its first failing turn. A conversation with a `language` also fails a turn whose
reply holds one of our English phrases (benchmarks.reply_language).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from benchmarks.conversation_script import Expect, Script, ScriptedConversation, fold
from benchmarks.reply_language import english_in

REPLY_TIMEOUT_S = 60
SHOWN_REPLY = 600  # characters of a reply quoted in a failure
SHOWN_MESSAGE = 160  # characters of the user's message quoted in a failure


@dataclass(frozen=True)
class Reply:
    """What the assistant answered to one message: its texts and button titles."""

    texts: tuple[str, ...]
    buttons: tuple[str, ...]

    @classmethod
    def from_messages(cls, messages: Sequence[dict[str, Any]]) -> Reply:
        """From the REST channel's JSON list of bot messages."""
        texts = tuple(str(m["text"]) for m in messages if m.get("text"))
        buttons = tuple(
            str(button.get("title", "")) for m in messages for button in m.get("buttons") or []
        )
        return cls(texts, buttons)

    @property
    def text(self) -> str:
        """The texts and the button titles, one per line: what the checks search."""
        return "\n".join((*self.texts, *self.buttons))


Send = Callable[[str, str], Reply]  # (sender, message) -> reply


def rest_sender(rasa_url: str, timeout_s: float = REPLY_TIMEOUT_S) -> Send:
    """Send over the Rasa server's REST channel (POST /webhooks/rest/webhook)."""
    endpoint = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"

    def send(sender: str, message: str) -> Reply:
        response = requests.post(
            endpoint, json={"sender": sender, "message": message}, timeout=timeout_s
        )
        response.raise_for_status()
        return Reply.from_messages(response.json())

    return send


def unmet(expect: Expect, reply: Reply, language: str | None = None) -> list[str]:
    """What the reply fails to show, one line per expectation; empty when the turn passes. In a
    conversation held in another `language`, an English phrase of ours in the reply fails it."""
    text = fold(reply.text)
    buttons = [fold(title) for title in reply.buttons]

    def shown(needle: str) -> bool:
        return fold(needle) in text

    def listed(title: str) -> bool:
        """The whole title: "Wiring I" is not listed by "Wiring II"."""
        return re.search(rf"(?<!\w){re.escape(fold(title))}(?!\w)", text) is not None

    problems: list[str] = []
    if expect.titles_any and not any(listed(title) for title in expect.titles_any):
        problems.append(f"titles_any: none of {_quoted(expect.titles_any)} was listed")
    missing = [title for title in expect.titles_all if not listed(title)]
    if missing:
        problems.append(f"titles_all: {_quoted(missing)} not listed")
    unwanted = [title for title in expect.titles_none if listed(title)]
    if unwanted:
        problems.append(f"titles_none: {_quoted(unwanted)} listed")
    if expect.says_any and not any(shown(words) for words in expect.says_any):
        problems.append(f"says_any: said none of {_quoted(expect.says_any)}")
    missing = [words for words in expect.says_all if not shown(words)]
    if missing:
        problems.append(f"says_all: did not say {_quoted(missing)}")
    unwanted = [words for words in expect.says_none if shown(words)]
    if unwanted:
        problems.append(f"says_none: said {_quoted(unwanted)}")
    if language is not None:
        english = english_in("\n".join([reply.text, *reply.buttons]), language)
        if english:
            problems.append(f"in {language}: said {_quoted(english)}")
    if expect.buttons_any and not any(
        fold(needle) in title for needle in expect.buttons_any for title in buttons
    ):
        offered = _quoted(reply.buttons) if reply.buttons else "no buttons"
        problems.append(
            f"buttons_any: no button with {_quoted(expect.buttons_any)} (offered: {offered})"
        )
    return problems


@dataclass(frozen=True)
class TurnResult:
    """One turn: what was sent, what came back (None: nothing did) and what was missing."""

    number: int  # 1-based
    user: str
    expect: Expect
    reply: Reply | None
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Every expectation held."""
        return not self.problems


@dataclass(frozen=True)
class ConversationResult:
    """One conversation's turns."""

    name: str
    turns: tuple[TurnResult, ...]

    @property
    def passed(self) -> bool:
        """Every turn passed."""
        return all(turn.passed for turn in self.turns)

    @property
    def first_failure(self) -> TurnResult | None:
        """The turn the conversation failed at."""
        return next((turn for turn in self.turns if not turn.passed), None)

    @property
    def failures(self) -> tuple[TurnResult, ...]:
        """Every failing turn (later ones may only follow from the first)."""
        return tuple(turn for turn in self.turns if not turn.passed)


@dataclass(frozen=True)
class ScriptResult:
    """A city's script, run: one result per conversation."""

    city: str
    source: str
    conversations: tuple[ConversationResult, ...]

    @property
    def passed(self) -> int:
        """Conversations that passed."""
        return sum(conversation.passed for conversation in self.conversations)

    @property
    def total(self) -> int:
        """Conversations run."""
        return len(self.conversations)

    @property
    def pass_rate(self) -> float:
        """Share of conversations that passed (0 when there were none)."""
        return self.passed / self.total if self.total else 0.0

    @property
    def failed(self) -> tuple[ConversationResult, ...]:
        """The conversations that failed, in script order."""
        return tuple(conversation for conversation in self.conversations if not conversation.passed)


def run_conversation(
    conversation: ScriptedConversation, send: Send, sender: str
) -> tuple[TurnResult, ...]:
    """Send every turn as `sender`; a failed request fails its turn and the next ones go on."""
    results: list[TurnResult] = []
    for number, turn in enumerate(conversation.turns, start=1):
        try:
            reply = send(sender, turn.user)
        except (requests.RequestException, ValueError) as error:
            results.append(
                TurnResult(number, turn.user, turn.expect, None, (f"no reply: {error}",))
            )
            continue
        problems = tuple(unmet(turn.expect, reply, conversation.language))
        results.append(TurnResult(number, turn.user, turn.expect, reply, problems))
    return tuple(results)


def run_script(script: Script, send: Send, sender_prefix: str = "script") -> ScriptResult:
    """Run every conversation of a script, each as a new sender."""
    results = tuple(
        ConversationResult(
            conversation.name,
            run_conversation(conversation, send, f"{sender_prefix}-{uuid.uuid4().hex[:12]}"),
        )
        for conversation in script.conversations
    )
    return ScriptResult(script.city, script.source, results)


def describe_turn(turn: TurnResult) -> str:
    """A failing turn in one paragraph: the message, what was missing, what came back."""
    came_back = "nothing" if turn.reply is None else _excerpt(turn.reply)
    said = _cut(" ".join(turn.user.split()), SHOWN_MESSAGE)
    return f"turn {turn.number} {said!r}: {'; '.join(turn.problems)}. Reply: {came_back}"


def describe(result: ScriptResult, every_turn: bool = False) -> str:
    """Plain-text summary: the pass rate and each failing conversation's first failing turn
    (or every failing turn)."""
    lines = [
        f"{result.city} ({result.source}): {result.passed}/{result.total} conversations passed "
        f"({result.pass_rate:.0%})"
    ]
    for conversation in result.failed:
        turns = conversation.failures if every_turn else conversation.failures[:1]
        lines.append(f"- {conversation.name}")
        lines += [f"    {describe_turn(turn)}" for turn in turns]
    return "\n".join(lines)


def _excerpt(reply: Reply) -> str:
    """The reply as one quoted line, cut to SHOWN_REPLY characters."""
    flat = " | ".join(" ".join(part.split()) for part in (*reply.texts, *reply.buttons))
    return repr(_cut(flat, SHOWN_REPLY)) if flat else "(empty)"


def _cut(text: str, limit: int) -> str:
    """Text cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(values: Sequence[str]) -> str:
    """Values as a readable list."""
    return ", ".join(repr(value) for value in values)
