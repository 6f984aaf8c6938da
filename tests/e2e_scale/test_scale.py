"""100 learners (half web, half Telegram) × 20 messages through the balancer while a gateway and a
Rasa server are killed (SIGKILL) and restarted: no message lost or handled twice, every learner's
replies in order, reminders sent once by two workers, a provider's guided edit finished across
the gateway's restart. The figures go to var/test/scale/report.json and the test's output.

The gateway killed is the one polling Telegram, and it is killed while at least one Telegram
message is mid-turn on it (fetched, written in the journal, not finished): getUpdates had
confirmed it, so only the next poller's replay of the journal can answer it, marked redelivered
(Rasa answers from its tracker a message it had handled). Web learners retry as the widget does,
with the message's id and "retry": a web message handled twice fails the run like any other.

Sizes (for a quicker look while developing; `make e2e-scale` runs the defaults):
WAYFINDER_SCALE_USERS (100), WAYFINDER_SCALE_MESSAGES (20), WAYFINDER_SCALE_RATE (7 msg/s
offered overall, so that 2 cores measure correctness, not saturation).
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.gateway.texts import say as text_of
from tests.e2e_scale.checks import (
    add_reminders,
    compare,
    handled_messages,
    recovered,
    reminder_states,
    replays,
    stamp,
    web_reminders,
)
from tests.e2e_scale.conftest import WORK
from tests.e2e_scale.topology import Server, Topology, journaled_updates, run_cli
from tests.e2e_scale.users import (
    Inbox,
    Learner,
    Pace,
    TelegramLearner,
    WebLearner,
    summary,
)
from tests.fakes.telegram_api import iter_buttons

PROVIDER = "Eastside Branch Library"  # a verified provider of the demo city: edits go live
PROVIDER_CHAT = 900_001
NEW_COST = "7"
REMINDER_EVERY = 5  # every fifth learner of each channel gets reminders
RESTART_GATEWAY_AFTER_S = 20.0  # time for the other gateway to take Telegram's polling over
DRAIN_TIMEOUT_S = 90.0
RESTART_NICE = 10  # a restarted server starts (loads its model) at a lower priority
MID_TURN_TIMEOUT_S = 120.0  # how long to wait for a Telegram message in hand on the poller


def _setting(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


@dataclass
class Timeline:
    """What happened when (seconds from the load's start)."""

    started: float = field(default_factory=time.monotonic)
    events: list[dict[str, Any]] = field(default_factory=list)

    def now(self) -> float:
        return round(time.monotonic() - self.started, 2)

    def note(self, what: str, **details: Any) -> None:
        self.events.append({"at_s": self.now(), "event": what, **details})

    def sleep_until(self, at_s: float, stop: threading.Event) -> None:
        stop.wait(max(0.0, at_s - (time.monotonic() - self.started)))


class GuidedEdit:
    """A provider member edits a listing's cost in Telegram: /join, /mylistings, the listing,
    Cost (all on the gateway that polls), then, after that gateway was killed, the new value and
    Confirm (on whichever gateway polls then)."""

    def __init__(self, topology: Topology, inbox: Inbox) -> None:
        self.topology, self.inbox = topology, inbox
        self.fake = topology.telegram
        self.steps: list[dict[str, Any]] = []
        self.asked_for_value = threading.Event()
        self.title: str | None = None

    def _step(self, name: str, send: Callable[[], None], done: Callable[[list[str]], bool]) -> str:
        before = self.inbox.count(PROVIDER_CHAT)
        send()
        got = self.inbox.wait(PROVIDER_CHAT, done, before, 60)
        said = "\n".join(text for _, text in (got or self.inbox.since(PROVIDER_CHAT, before)))
        self.steps.append({"step": name, "ok": got is not None, "reply": said[:300]})
        if got is None:
            raise AssertionError(f"guided edit: {name} got no fitting reply: {said[:300]!r}")
        return said

    def _push(self, text: str) -> Callable[[], None]:
        def push() -> None:
            self.fake.push_text(PROVIDER_CHAT, text, user_id=PROVIDER_CHAT)

        return push

    def _tap(self, label: str) -> Callable[[], None]:
        def tap() -> None:
            self.fake.press_button(PROVIDER_CHAT, label, user_id=PROVIDER_CHAT)

        return tap

    def start(self) -> None:
        """Up to the question for the new cost."""
        found = re.search(
            r"Invite code: (\S+)", run_cli(self.topology, "providers", "invite", PROVIDER)
        )
        assert found, "the CLI printed no invite code"
        self._step("join", self._push(f"/join {found[1]}"), lambda t: PROVIDER in "\n".join(t))
        self._step("/mylistings", self._push("/mylistings"), bool)
        more = text_of("button_more")
        keyboard = next(
            m for m in reversed(self.fake.bot_messages(PROVIDER_CHAT)) if m.get("reply_markup")
        )
        labels = [b["text"] for b in iter_buttons(keyboard["reply_markup"]) if b["text"] != more]
        self.title = labels[0]
        self._step("open the listing", self._tap(self.title), bool)
        self._step("Cost", self._tap(text_of("button_cost")), bool)
        self.asked_for_value.set()

    def finish(self) -> None:
        """The value and Confirm, after the gateway that asked is gone."""
        self._step("new cost", self._push(NEW_COST), lambda t: "→" in "\n".join(t))
        self._step(
            "Confirm",
            self._tap(text_of("button_confirm")),
            lambda t: "learners see" in "\n".join(t),
        )


def _mid_turn(stop: threading.Event) -> list[int]:
    """Wait until the polling gateway has a Telegram update in hand (in its journal): the ids."""
    deadline = time.monotonic() + MID_TURN_TIMEOUT_S
    while not stop.is_set() and time.monotonic() < deadline:
        found = journaled_updates()
        if found:
            return found
        time.sleep(0.002)
    return []


def _killer(
    topology: Topology,
    timeline: Timeline,
    server: Server,
    restart_after_s: float,
    ready: Callable[[Server], None],
) -> threading.Thread:
    """SIGKILL `server` now; start it again after a pause, in the background, and note when it
    is back."""
    server.kill()
    timeline.note("killed", server=server.name)

    def back() -> None:
        time.sleep(restart_after_s)
        server.start(nice=RESTART_NICE)
        timeline.note("restarted", server=server.name)
        ready(server)
        server.unnice()
        timeline.note("ready again", server=server.name)

    thread = threading.Thread(target=back, name=f"restart-{server.name}", daemon=True)
    thread.start()
    return thread


def test_two_of_each_lose_nothing_while_a_gateway_and_a_rasa_server_are_killed(
    topology: Topology,
) -> None:
    users = int(_setting("WAYFINDER_SCALE_USERS", 100))
    messages = int(_setting("WAYFINDER_SCALE_MESSAGES", 20))
    rate = _setting("WAYFINDER_SCALE_RATE", 7.0)
    think_s = max(1.0, users / rate - 0.3)  # each learner's pause, for `rate` overall
    load_s = messages * think_s  # how long the load lasts, roughly
    rng = random.Random(16)
    inbox = Inbox(topology.telegram)
    web: list[Learner] = [
        WebLearner(n, messages, Pace(think_s, random.Random(n)), topology.gateway_url)
        for n in range(users // 2)
    ]
    telegram: list[Learner] = [
        TelegramLearner(
            n, messages, Pace(think_s, random.Random(n)), topology.telegram, inbox, burst=n % 4 == 0
        )
        for n in range(users // 2, users)
    ]
    learners = web + telegram
    reminded = web[::REMINDER_EVERY] + telegram[::REMINDER_EVERY]
    stop = threading.Event()
    timeline = Timeline()
    threads = [
        threading.Thread(
            target=learner.run,
            args=(rng.uniform(0, think_s), stop),
            name=f"{learner.channel}-{learner.number}",
            daemon=True,
        )
        for learner in learners
    ]
    for thread in threads:
        thread.start()
    edit = GuidedEdit(topology, inbox)
    edit_thread = threading.Thread(target=edit.start, name="guided-edit", daemon=True)
    edit_thread.start()
    reminder_ids: list[int] = []
    restarts: list[threading.Thread] = []
    doomed_rasa, doomed_gateway = topology.rasa[0], topology.gateways[0]
    try:
        # Reminders due now for half the chosen learners, once they have written to us.
        timeline.sleep_until(0.15 * load_s, stop)
        first = reminded[: len(reminded) // 2]
        for learner in first:
            learner.started.wait(think_s * 2)
        reminder_ids += add_reminders(topology.database_url, first)
        timeline.note("reminders due", count=len(first))
        # A Rasa server dies mid-turn and loads its model again (about a minute).
        timeline.sleep_until(0.2 * load_s, stop)
        restarts.append(_killer(topology, timeline, doomed_rasa, 0.0, topology.wait_rasa))
        # The gateway that polls Telegram dies with a provider's edit half done.
        timeline.sleep_until(0.6 * load_s, stop)
        edit_thread.join(timeout=120)
        assert edit.asked_for_value.is_set(), f"the guided edit did not start: {edit.steps}"
        in_hand = _mid_turn(stop)  # killed with a Telegram message mid-turn, every run
        restarts.append(
            _killer(
                topology, timeline, doomed_gateway, RESTART_GATEWAY_AFTER_S, topology.wait_gateway
            )
        )
        left_at_kill = journaled_updates()  # those it had not finished when it died
        timeline.note("telegram mid-turn at the kill", fetched=in_hand, unfinished=left_at_kill)
        second = reminded[len(reminded) // 2 :]
        reminder_ids += add_reminders(topology.database_url, second)
        timeline.note("reminders due", count=len(second))
        edit_thread = threading.Thread(target=edit.finish, name="guided-edit-2", daemon=True)
        edit_thread.start()
        for thread in threads:
            thread.join(timeout=load_s * 3)
        timeline.note("load done")
        edit_thread.join(timeout=150)
        for thread in restarts:
            thread.join(timeout=300)
        states = _drain(topology, reminder_ids)
        timeline.note("reminders drained")
    finally:
        stop.set()
    errors = [learner.error for learner in learners if learner.error is not None]
    assert not errors, f"the simulation itself failed: {errors[:3]}"

    report = _report(
        topology,
        learners,
        reminded,
        reminder_ids,
        states,
        inbox,
        edit,
        timeline,
        left_at_kill,
        {
            "users": users,
            "messages": messages,
            "rate_msg_s": rate,
            "think_mean_s": round(think_s, 2),
        },
    )
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(
        "\n"
        + json.dumps(
            {k: v for k, v in report.items() if k != "problems"}, indent=2, ensure_ascii=False
        )
    )

    figures = report["figures"]
    assert figures["unanswered"] == 0, report["problems"]
    assert figures["lost"] == 0, report["problems"]
    assert figures["handled_twice"] == 0, report["problems"]
    # A web message retried after its gateway died (same id, "retry") is answered, not redone.
    assert figures["handled_twice_after_web_retry"] == 0, report["problems"]
    # The takeover replay ran: what the killed poller had in hand was handled again, once.
    takeover = report["telegram_takeover"]
    assert takeover["unfinished_at_kill"], takeover
    assert takeover["not_replayed"] == [], takeover
    assert figures["out_of_order"] == 0 and figures["bursts_out_of_order"] == 0, report["problems"]
    assert figures["duplicate_message_ids"] == 0, report["problems"]
    reminders = report["reminders"]
    assert reminders["sent"] == reminders["created"], reminders
    assert reminders["delivered_once"] == reminders["created"], reminders
    assert report["guided_edit"]["finished"], report["guided_edit"]


def _drain(topology: Topology, ids: list[int]) -> dict[int, tuple[str, int]]:
    """Wait for the workers to finish every reminder (or give up on DRAIN_TIMEOUT_S)."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while True:
        states = reminder_states(topology.database_url, ids)
        if all(status != "pending" for status, _ in states.values()):
            return states
        if time.monotonic() > deadline:
            return states
        time.sleep(1)


def _report(
    topology: Topology,
    learners: list[Learner],
    reminded: list[Learner],
    reminder_ids: list[int],
    states: dict[int, tuple[str, int]],
    inbox: Inbox,
    edit: GuidedEdit,
    timeline: Timeline,
    left_at_kill: list[int],
    config: dict[str, Any],
) -> dict[str, Any]:
    """Every figure of the run, and the learners whose conversations went wrong."""
    handled = handled_messages(topology.tracker_url)
    problems: list[dict[str, Any]] = []
    lost = twice = retried_twice = moved = ids = 0
    for learner in learners:
        meant = [turn.text.strip() for turn in learner.turns if turn.sent_at]
        found = compare(meant, handled.get(learner.sender_id, []))
        # A web retry after a try that may have reached Rasa (its gateway died mid-request): the
        # gateway takes no idempotency key for a learner's message, so it can be handled twice.
        unsure = {t.text.strip() for t in learner.turns if t.ambiguous and learner.channel == "web"}
        after_retry = [text_ for text_ in found.twice if text_ in unsure]
        lost, moved, ids = (
            lost + len(found.lost),
            moved + found.out_of_order,
            ids + found.duplicate_ids,
        )
        twice += len(found.twice) - len(after_retry)
        retried_twice += len(after_retry)
        unanswered = [t.text for t in learner.turns if t.sent_at and not t.answered]
        if found.lost or found.twice or found.out_of_order or unanswered:
            problems.append(
                {
                    "learner": f"{learner.channel}-{learner.number}",
                    "lost": found.lost,
                    "handled_twice": found.twice,
                    "out_of_order": found.out_of_order,
                    "unanswered": unanswered,
                    "tries": [
                        {
                            "text": t.text,
                            "sent_at_s": round(t.sent_at - timeline.started, 1),
                            "failures": [
                                f"{why} at {at - timeline.started:.1f} s"
                                for why, at in zip(t.failures, t.failed_at, strict=True)
                            ],
                        }
                        for t in learner.turns
                        if t.failures
                    ],
                }
            )
    bursts = [ok for learner in learners for ok in getattr(learner, "bursts_in_order", [])]
    turns = [turn for learner in learners for turn in learner.turns if turn.sent_at]
    load = [e["at_s"] for e in timeline.events if e["event"] == "load done"]
    attempts = sum(turn.attempts for turn in turns)
    web_ids = [learner.sender_id for learner in reminded if learner.channel == "web"]
    web_counts = web_reminders(topology.database_url, web_ids)
    delivered: list[int] = []  # reminders each reminded learner received (one was due)
    for learner in reminded:
        if isinstance(learner, TelegramLearner):
            delivered.append(len(inbox.reminders(learner.chat)))
        else:
            delivered.append(web_counts.get(learner.sender_id, 0))
    edit_done = bool(edit.steps) and all(s["ok"] for s in edit.steps) and len(edit.steps) == 6
    replayed = replays(topology.logs)
    answered_again = recovered(topology.logs)
    return {
        "when": stamp(),
        "config": config,
        "figures": {
            "messages_meant": len(turns),
            "requests_sent": attempts,
            "offered_rate_msg_s": round(attempts / load[0], 2) if load else None,
            "load_s": load[0] if load else None,
            "unanswered": sum(1 for t in turns if not t.answered),
            "lost": lost,
            "handled_twice": twice,
            "handled_twice_after_web_retry": retried_twice,
            "web_retries_after_unsure_failure": sum(
                1 for lr in learners if lr.channel == "web" for t in lr.turns if t.ambiguous
            ),
            "web_same_id_retries": sum(
                t.same_id_retries for lr in learners if lr.channel == "web" for t in lr.turns
            ),
            "web_replies_recovered": answered_again["web"],
            "telegram_replayed_after_takeover": sum(
                1 for outcome in replayed.values() if outcome in ("new", "retry")
            ),
            "telegram_replies_recovered": answered_again["telegram"],
            "out_of_order": moved,
            "duplicate_message_ids": ids,
            "bursts": len(bursts),
            "bursts_out_of_order": bursts.count(False),
        },
        "web": summary(
            [t for lr in learners if lr.channel == "web" for t in lr.turns if t.sent_at]
        ),
        "telegram": summary(
            [t for lr in learners if lr.channel == "telegram" for t in lr.turns if t.sent_at]
        ),
        "reminders": {
            "created": len(reminder_ids),
            "sent": sum(1 for status, _ in states.values() if status == "sent"),
            "retried": sum(1 for _, attempts_ in states.values() if attempts_ > 0),
            "delivered_once": delivered.count(1),
            "delivered": sum(delivered),
        },
        "guided_edit": {"listing": edit.title, "finished": edit_done, "steps": edit.steps},
        # The Telegram updates the killed poller had fetched and not finished, and what the
        # gateway taking over did with each (replayed: new or retry; recovered: Rasa had handled
        # it and sent its replies again, counted over the whole run in telegram_replies_recovered).
        "telegram_takeover": {
            "unfinished_at_kill": left_at_kill,
            "replayed": {str(k): v for k, v in sorted(replayed.items())},
            "not_replayed": [
                u for u in left_at_kill if replayed.get(u) not in ("new", "retry", "done")
            ],
        },
        # Which gateway processes polled Telegram (their logs say so when they take the lease).
        "telegram_pollers": sorted(
            log.stem
            for log in topology.logs.glob("gateway-*.log")
            if "long polling" in log.read_text(errors="replace")
        ),
        "timeline": timeline.events,
        "problems": problems[:30],
    }
