"""The organisers' weekly digest: due at the city's weekday and hour, sent once per week across two
gateways' housekeeping and a restart (in memory and on Redis), through the fake Bot API; nothing
under k in it; in the city's language; and the settings that steer it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy.orm import Session, sessionmaker
from telegram.error import NetworkError

from bot.gateway.core import Gateway
from bot.gateway.housekeeping import Housekeeping
from bot.gateway.organiser_digest import WeeklyDigest, due_week, need_label
from bot.gateway.settings import GatewaySettings, SettingsError
from bot.gateway.shared import SharedState
from bot.gateway.telegram_bot import SEND_ATTEMPTS, build_application
from bot.gateway.texts import say
from knowledge.reports.demand import DemandRow
from tests.bot.gateway.conftest import NAVIGATORS, Backend, ScriptedRasa
from tests.bot.gateway.test_organiser_page import ROGUE, seed_reports
from tests.fakes.telegram_api import FakeBotApi

ALWAYS = (0, 0, 0)  # Monday 00:00: due at any moment of the week
ORGANISERS = "-100900800"
T = TypeVar("T")


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


@dataclass
class Gateways:
    """Gateways on the fake Bot API with the digest always due, started in a test's scenario and
    shut down when it ends (their Applications kept in `running`)."""

    settings: GatewaySettings
    sessions: sessionmaker[Session]
    rasa: ScriptedRasa
    fake: FakeBotApi
    running: list[Any] = field(default_factory=list)

    async def start(self, shared: SharedState | None = None, **changes: Any) -> Gateway:
        """One more gateway (its own memory unless `shared`), these settings changed."""
        root = self.fake.base_url.removesuffix("/bot")
        changes = {"digest_at": ALWAYS, "organiser_chat_id": NAVIGATORS, **changes}
        configured = replace(
            self.settings, telegram_token="123456:TEST", telegram_api_url=root, **changes
        )
        gateway = Gateway(configured, self.sessions, self.rasa, shared)  # type: ignore[arg-type]
        application = build_application(gateway, updater=False)
        await application.initialize()
        self.running.append(application)
        return gateway

    def run(
        self, scenario: Callable[[], Coroutine[Any, Any, T]], backend: Backend | None = None
    ) -> T:
        """Run the scenario (on the backend's loop, when given), then shut its gateways down."""

        async def closing() -> T:
            try:
                return await scenario()
            finally:
                for application in self.running:
                    await application.shutdown()
                self.running.clear()

        return backend.run(closing) if backend else asyncio.run(closing())

    def digest(self, **changes: Any) -> bool:
        """Whether one gateway with these settings sent the digest."""

        async def scenario() -> bool:
            return await WeeklyDigest(await self.start(**changes)).run()

        return self.run(scenario)


@pytest.fixture
def gateways(
    settings: GatewaySettings,
    sessions: sessionmaker[Session],
    rasa: ScriptedRasa,
    fake: FakeBotApi,
) -> Gateways:
    """This week's reports (robotics 7 times, chess 3 times: under k), and gateways to send them."""
    seed_reports(sessions, date.today())
    return Gateways(settings, sessions, rasa, fake)


def digests(fake: FakeBotApi, chat: str) -> list[str]:
    """The digests the bot posted in a group, as the group reads them."""
    title = say("digest_title", since="x", until="y").split(":")[0]
    texts = [str(message.get("text", "")) for message in fake.bot_messages(int(chat))]
    return [text for text in texts if text.startswith(title)]


def test_the_digest_goes_out_once_across_two_gateways_and_a_restart(
    backend: Backend, gateways: Gateways, fake: FakeBotApi
) -> None:
    async def scenario() -> list[bool]:
        keepers = [Housekeeping(await gateways.start(backend.gateway())) for _ in range(2)]
        rounds = await asyncio.gather(*(keeper.round() for keeper in keepers))
        assert sorted(rounds) == [False, True]  # one holds the lease
        await asyncio.gather(*(keeper.round() for keeper in keepers))  # the next minute
        # The lease's holder restarts (its memory gone) and a replica runs the job unleased:
        restarted = await gateways.start(backend.gateway())
        return [await WeeklyDigest(restarted).run(), await keepers[1].digest.run()]

    assert gateways.run(scenario, backend) == [False, False]
    assert len(digests(fake, NAVIGATORS)) == 1  # the navigators' group, named as the organisers'


def test_two_gateways_sending_at_the_same_moment_send_one_digest(
    backend: Backend, gateways: Gateways, fake: FakeBotApi
) -> None:
    async def scenario() -> list[bool]:
        jobs = [
            WeeklyDigest(await gateways.start(backend.gateway(), organiser_chat_id=ORGANISERS))
            for _ in range(2)
        ]
        return list(await asyncio.gather(*(job.run() for job in jobs)))

    assert sorted(gateways.run(scenario, backend)) == [False, True]
    assert len(digests(fake, ORGANISERS)) == 1 and digests(fake, NAVIGATORS) == []


def test_the_digest_names_unmet_needs_and_stale_providers_and_nothing_under_k(
    gateways: Gateways, fake: FakeBotApi
) -> None:
    assert gateways.digest(public_url="https://wayfinder.example.org")
    (text,) = digests(fake, NAVIGATORS)
    need = say("digest_need_line", label="robotics · ages 9–12 · anywhere", unmet=7, searches=7)
    assert need in text
    assert "chess" not in text
    lines = [line for line in text.splitlines() if line.startswith("• ")]
    counts = [int(n) for line in lines[:-1] for n in re.findall(r"\b\d+\b", line.split(":")[-1])]
    assert counts and all(n >= 5 for n in counts)  # the need lines' counts: none under k
    assert say("digest_stale_line", provider=ROGUE, stale=1, active=1) in text  # as text
    assert "https://wayfinder.example.org/organisers/reports" in text
    assert say("digest_privacy", k=5) in text


def test_the_digest_speaks_the_citys_language(gateways: Gateways, fake: FakeBotApi) -> None:
    assert gateways.digest(locale="es_MX")
    texts = [str(message.get("text", "")) for message in fake.bot_messages(int(NAVIGATORS))]
    label = "robotics · " + say("digest_ages", "es", band="9–12") + " · "
    label += say("digest_anywhere", "es")
    assert say("digest_need_line", "es", label=label, unmet=7, searches=7) in texts[-1]


def test_a_career_asked_with_no_topic_is_named_as_the_career() -> None:
    row = DemandRow(None, None, None, searches=6, unmet=6, nothing=6, career="electrician")
    assert need_label(row, None) == "electrician (career) · any age · anywhere"
    spanish = need_label(row, "es")
    assert spanish.startswith(say("digest_career", "es", career="electrician") + " · ")
    assert say("digest_no_topic", "es") not in spanish


def test_no_digest_without_a_group_or_when_turned_off(gateways: Gateways, fake: FakeBotApi) -> None:
    assert gateways.digest(organiser_chat_id=None) is False
    assert gateways.digest(digest_at=None) is False
    assert fake.calls("sendMessage") == []


def test_a_failed_send_gives_its_claim_up_and_the_next_round_sends_it(
    gateways: Gateways, fake: FakeBotApi
) -> None:
    async def scenario() -> bool:
        job = WeeklyDigest(await gateways.start())
        fake.fail_next("sendMessage", times=SEND_ATTEMPTS, status=502)  # Telegram is down
        with pytest.raises(NetworkError):
            await job.run()
        assert digests(fake, NAVIGATORS) == []
        return await job.run()  # the next round

    assert gateways.run(scenario)
    assert len(digests(fake, NAVIGATORS)) == 1


def test_the_digest_is_due_from_its_weekday_and_hour_in_the_citys_time() -> None:
    monday_nine = (0, 9, 0)
    new_york = "America/New_York"  # 2027-01-11 is a Monday; 09:00 there is 14:00 UTC
    assert due_week(datetime(2027, 1, 11, 13, 59, tzinfo=UTC), new_york, monday_nine) is None
    assert due_week(datetime(2027, 1, 11, 14, 0, tzinfo=UTC), new_york, monday_nine) == "2027-W02"
    # Sunday night in New York is Monday morning in UTC: still the week before, still due.
    late = datetime(2027, 1, 18, 4, 59, tzinfo=UTC)
    assert due_week(late, new_york, monday_nine) == "2027-W02"
    assert due_week(datetime(2027, 1, 14, 12, 0, tzinfo=UTC), "UTC", (4, 17, 30)) is None


def test_the_settings_name_the_group_and_the_time(tmp_path: Path) -> None:
    base = {"WAYFINDER_PSEUDONYM_KEY": "k" * 40, "NAVIGATOR_CHAT_ID": NAVIGATORS}
    plain = GatewaySettings.from_env(base, key_file=tmp_path / "key")
    assert (plain.organiser_chat_id, plain.digest_at) == (None, (0, 9, 0))  # no group: none
    own = GatewaySettings.from_env(
        {**base, "ORGANISER_CHAT_ID": ORGANISERS, "WAYFINDER_DIGEST_AT": "Friday 17:30"},
        key_file=tmp_path / "key",
    )
    assert (own.organiser_chat_id, own.digest_at) == (ORGANISERS, (4, 17, 30))
    off = GatewaySettings.from_env({**base, "WAYFINDER_DIGEST_AT": "off"}, key_file=tmp_path / "k")
    assert off.digest_at is None
    for wrong in ("Monday", "Mon 9", "Moon 09:00", "Mon 24:00", "Mon 09:60"):
        with pytest.raises(SettingsError, match="WAYFINDER_DIGEST_AT"):
            GatewaySettings.from_env({**base, "WAYFINDER_DIGEST_AT": wrong}, tmp_path / "key")
