"""The simulated learners: half in the web widget (through the balancer's /api/web/messages),
half in Telegram (through the fake Bot API), each sending a scripted mix of greetings, searches,
refinements, details and thanks at a human pace, and recording what came back.

Retries, as the widget (bot/web/widget.js) and a person make them:
- web: each message has an id of its own; a request that fails (connection dropped, 5xx: its
  gateway died) is sent again by the widget with the same id and "retry": true, up to
  WIDGET_RETRIES times, 1, 2, 4 s apart, so the assistant answers a message it already handled
  with the replies it gave instead of handling it twice (the tracker check counts any). A message
  the widget gave up on, or answered with the gateway's "the assistant is unavailable" apology,
  the learner sends again as a new message (a new id), up to RESENDS times.
- Telegram: delivering an update until a gateway took it is Telegram's job, and answering one a
  dead poller had fetched (Telegram had it confirmed) the next poller's (its journal replay), so
  the learner waits (REPLY_TIMEOUT_S) rather than typing again; only the apology makes them send
  it again.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from bot.gateway.records import pseudonym
from bot.gateway.texts import say
from tests.e2e_scale.topology import PSEUDONYM_KEY
from tests.fakes.telegram_api import ApiCall, FakeBotApi

RETRIES = 4  # Telegram: the learner sends it again after an apology, up to this often
RETRY_PAUSE_S = 1.0
WIDGET_RETRIES = 3  # bot/web/widget.js: SEND_RETRIES, RETRY_START_MS (doubling)
WIDGET_RETRY_START_S = 1.0
RESENDS = 2  # web: a message sent again by the learner after an error or an apology
REPLY_TIMEOUT_S = 90.0  # how long a Telegram learner waits for a reply before giving up
SETTLE_S = 0.8  # a turn's replies have all come when none followed for this long
REMINDER_MARK = "⏰"
APOLOGY = say("rasa_unavailable", None)
NO_SERVER = "no gateway"  # HAProxy's own 503: the request never reached a gateway
SAFE_FAILURES = {NO_SERVER}

# What learners say, by kind (the demo model understands each: tests/e2e, tests/conversation).
MESSAGES: dict[str, list[str]] = {
    "greet": ["hi", "hello", "good morning", "hey there"],
    "search": [
        "coding for my 13 year old daughter",
        "any dance classes for my daughter? she's 8",
        "robotics for my 11 year old",
        "my son is 9, anything on saturdays in cedar park?",
        "free coding club for my 12 year old",
        "art classes for a 10 year old",
    ],
    "refine": ["only free ones please", "what about online?", "and for her brother, he's 15"],
    "details": ["tell me more about number 1", "tell me more about number 2"],
    "thanks": ["thanks", "thank you!", "great, thanks"],
}
ROUND = ("greet", "search", "refine", "details", "thanks")


def script(seed: int, length: int) -> list[tuple[str, str]]:
    """A learner's messages as (kind, text): rounds of greet, search, refine, details, thanks,
    the wording picked at random (the same for the same seed)."""
    pick = random.Random(seed)
    kinds = [ROUND[index % len(ROUND)] for index in range(length)]
    return [(kind, pick.choice(MESSAGES[kind])) for kind in kinds]


@dataclass
class Turn:
    """One message a learner meant to send, and what became of it."""

    kind: str
    text: str
    sent_at: float = 0.0
    replied_at: float | None = None
    attempts: int = 0
    failures: list[str] = field(default_factory=list)  # why each failed try failed
    failed_at: list[float] = field(default_factory=list)  # when (time.monotonic())
    replies: list[str] = field(default_factory=list)
    same_id_retries: int = 0  # web: tries the widget repeated with the message's id

    def failed(self, why: str) -> None:
        self.failures.append(why)
        self.failed_at.append(time.monotonic())

    @property
    def ambiguous(self) -> bool:
        """A try failed after it may have reached Rasa: its retry may be handled twice."""
        return any(why not in SAFE_FAILURES for why in self.failures)

    @property
    def answered(self) -> bool:
        return self.replied_at is not None

    @property
    def seconds(self) -> float | None:
        return None if self.replied_at is None else self.replied_at - self.sent_at


@dataclass
class Pace:
    """How long learners think between messages (seconds), drawn per message."""

    mean_s: float
    rng: random.Random

    def think(self) -> float:
        return self.rng.uniform(0.5 * self.mean_s, 1.5 * self.mean_s)


class Learner:
    """One simulated learner: a channel, a script and the turns as they went."""

    channel = ""

    def __init__(self, number: int, messages: int, pace: Pace) -> None:
        self.number = number
        self.turns = [Turn(kind, text) for kind, text in script(number, messages)]
        self.pace = pace
        self.started = threading.Event()  # set once the first reply came: the address is known
        self.error: BaseException | None = None

    @property
    def address(self) -> str:
        raise NotImplementedError

    @property
    def sender_id(self) -> str:
        """The id Rasa and the directory know this learner by."""
        return pseudonym(PSEUDONYM_KEY.encode(), self.channel, self.address)

    def run(self, start_after_s: float, stop: threading.Event) -> None:
        """The whole script; a crash of the simulation itself is kept for the test to raise."""
        try:
            if stop.wait(start_after_s):
                return
            for index, turn in enumerate(self.turns):
                self.take(index, turn)
                self.started.set()
                if index + 1 < len(self.turns) and stop.wait(self.pace.think()):
                    return
        except BaseException as error:
            self.error = error
            raise

    def take(self, index: int, turn: Turn) -> None:
        raise NotImplementedError


class WebLearner(Learner):
    """The widget's calls, as widget.js makes them: one message at a time, the session id in the
    X-Wayfinder-Session header."""

    channel = "web"

    def __init__(self, number: int, messages: int, pace: Pace, gateway_url: str) -> None:
        super().__init__(number, messages, pace)
        self.session = uuid.uuid4().hex
        self.url = f"{gateway_url}/api/web/messages"
        self.http = requests.Session()

    @property
    def address(self) -> str:
        return self.session

    def take(self, index: int, turn: Turn) -> None:
        turn.sent_at = time.monotonic()
        for resend in range(RESENDS + 1):
            if resend:
                time.sleep(RETRY_PAUSE_S)  # the learner reads the error, sends it again
            if self._send(turn, uuid.uuid4().hex):
                return

    def _send(self, turn: Turn, message_id: str) -> bool:
        """One message as the widget sends it: tries with the same id while they fail the way a
        dying gateway makes them fail; whether it was answered (an apology is not)."""
        headers = {"X-Wayfinder-Session": self.session}
        body: dict[str, Any] = {"text": turn.text, "message_id": message_id}
        wait = WIDGET_RETRY_START_S
        for retry in range(WIDGET_RETRIES + 1):
            if retry:
                time.sleep(wait)
                wait *= 2
                body["retry"] = True
                turn.same_id_retries += 1
            turn.attempts += 1
            try:
                response = self.http.post(self.url, json=body, headers=headers, timeout=60)
            except requests.RequestException as error:
                turn.failed(f"{type(error).__name__}: {str(error)[-60:]}")
                self.http = requests.Session()  # the dead gateway's kept-alive connection
                continue
            if response.status_code == 200:
                texts = [str(m.get("text") or "") for m in response.json()["messages"]]
                if APOLOGY in texts:
                    turn.failed("apology")
                    return False  # an answer: the widget shows it, the learner may resend
                turn.replies, turn.replied_at = texts, time.monotonic()
                return True
            if response.status_code == 503 and "No server" in response.text:
                turn.failed(NO_SERVER)
            else:
                turn.failed(f"{response.status_code}: {response.text[:60]}")
            if response.status_code < 500:
                return False  # the widget repeats no 4xx
        return False


class Inbox:
    """The bot's messages per Telegram chat, as the fake answers them (no polling of the fake:
    its listener hook is called once per call)."""

    def __init__(self, fake: FakeBotApi) -> None:
        self._lock = threading.Condition()
        self._chats: dict[int, list[tuple[float, str]]] = defaultdict(list)
        self._reminders: dict[int, list[str]] = defaultdict(list)
        fake.listeners.append(self._heard)

    def _heard(self, call: ApiCall) -> None:
        if call.method != "sendMessage":
            return
        try:
            chat = int(call.params["chat_id"])
        except (KeyError, TypeError, ValueError):
            return
        text = str(call.params.get("text", ""))
        with self._lock:
            if text.startswith(REMINDER_MARK):
                self._reminders[chat].append(text)
            else:
                self._chats[chat].append((time.monotonic(), text))
            self._lock.notify_all()

    def count(self, chat: int) -> int:
        with self._lock:
            return len(self._chats[chat])

    def reminders(self, chat: int) -> list[str]:
        with self._lock:
            return list(self._reminders[chat])

    def since(self, chat: int, before: int) -> list[tuple[float, str]]:
        with self._lock:
            return list(self._chats[chat][before:])

    def wait(
        self, chat: int, done: Callable[[list[str]], bool], before: int, timeout_s: float
    ) -> list[tuple[float, str]] | None:
        """The messages after the first `before` once `done` holds of their texts and no more
        came for SETTLE_S; None on time-out."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while not done([text for _, text in self._chats[chat][before:]]):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._lock.wait(remaining)
            while True:
                count = len(self._chats[chat])
                self._lock.wait(SETTLE_S)
                if len(self._chats[chat]) == count:
                    return list(self._chats[chat][before:])


class TelegramLearner(Learner):
    """A private chat with the bot; some learners send two messages in a row without waiting
    (`burst`), so that their replies' order is put to the test."""

    channel = "telegram"

    def __init__(
        self, number: int, messages: int, pace: Pace, fake: FakeBotApi, inbox: Inbox, burst: bool
    ) -> None:
        super().__init__(number, messages, pace)
        self.chat = 800_000 + number
        self.fake, self.inbox = fake, inbox
        self.burst = burst
        self.burst_at: int | None = None  # the turn whose next one follows without a wait
        if burst:
            found = [i for i, t in enumerate(self.turns[:-1]) if t.kind == "greet" and i > 0]
            self.burst_at = found[0] if found else None
        self.bursts_in_order: list[bool] = []

    @property
    def address(self) -> str:
        return str(self.chat)

    def take(self, index: int, turn: Turn) -> None:
        if index - 1 == self.burst_at:
            return  # sent with the turn before it
        if index == self.burst_at:
            self._burst(turn, self.turns[index + 1])
            return
        turn.sent_at = time.monotonic()
        for attempt in range(1, RETRIES + 2):  # again only after an apology
            turn.attempts = attempt
            before = self.inbox.count(self.chat)
            self.fake.push_text(self.chat, turn.text, user_id=self.chat)
            got = self.inbox.wait(self.chat, bool, before, REPLY_TIMEOUT_S)
            if got is None:
                turn.failed("no reply")
                return
            texts = [text for _, text in got]
            if APOLOGY in texts:
                turn.failed("apology")
                time.sleep(RETRY_PAUSE_S)
                continue
            turn.replies, turn.replied_at = texts, got[0][0]
            return

    def _burst(self, first: Turn, second: Turn) -> None:
        """A greeting and the next message typed at once: the greeting's reply must come first."""
        before = self.inbox.count(self.chat)
        first.sent_at = second.sent_at = time.monotonic()
        first.attempts = second.attempts = 1
        self.fake.push_text(self.chat, first.text, user_id=self.chat)
        self.fake.push_text(self.chat, second.text, user_id=self.chat)
        got = self.inbox.wait(self.chat, lambda texts: len(texts) >= 2, before, 2 * REPLY_TIMEOUT_S)
        if got is None:
            first.failed("no reply")
            second.failed("no reply")
            return
        greeting = [i for i, (_, text) in enumerate(got) if greeted(text)]
        others = [i for i, (_, text) in enumerate(got) if not greeted(text)]
        if greeting:
            first.replies, first.replied_at = [got[i][1] for i in greeting], got[greeting[0]][0]
        else:
            first.failed("no greeting among the replies")
        if others:
            second.replies, second.replied_at = [got[i][1] for i in others], got[others[0]][0]
        else:
            second.failed("no reply")
        self.bursts_in_order.append(bool(greeting and others and greeting[-1] < others[0]))


def greeted(text: str) -> bool:
    """One of utter_greet's variations (bot/domain/basics.yml), as tests/e2e checks it."""
    return text.startswith(("Hi! I'm Wayfinder", "Hello!"))


def summary(turns: list[Turn]) -> dict[str, Any]:
    """Counts and reply times of a set of turns."""
    answered = [t for t in turns if t.answered]
    seconds = sorted(t.seconds for t in answered if t.seconds is not None)

    def percentile(share: float) -> float | None:
        if not seconds:
            return None
        return round(seconds[min(len(seconds) - 1, int(share * len(seconds)))], 3)

    return {
        "messages": len(turns),
        "answered": len(answered),
        "unanswered": len(turns) - len(answered),
        "retried": sum(1 for t in turns if t.attempts > 1),
        "same_id_retries": sum(t.same_id_retries for t in turns),
        "failures": dict(
            sorted(_count(f.split(":")[0] for t in turns for f in t.failures).items())
        ),
        "p50_s": percentile(0.50),
        "p95_s": percentile(0.95),
        "max_s": round(seconds[-1], 3) if seconds else None,
    }


def _count(items: Any) -> dict[str, int]:
    counted: dict[str, int] = defaultdict(int)
    for item in items:
        counted[item] += 1
    return dict(counted)
