"""A provider's guided edit on two gateways sharing Redis: begun on one, continued and confirmed
on the other, as a load balancer (or a restart) may split a member's messages."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.core import Gateway
from bot.gateway.texts import say
from knowledge.models import Opportunity
from tests.bot.gateway.community.conftest import LIBRARIAN, Bot, Directory
from tests.bot.gateway.conftest import Backend, ScriptedRasa
from tests.fakes.telegram_api import FakeBotApi


def test_an_edit_begun_on_one_gateway_is_finished_on_another(
    gateway: Gateway,
    fake: FakeBotApi,
    directory: Directory,
    sessions: sessionmaker[Session],
    rasa: ScriptedRasa,
    on_redis: Backend,
) -> None:
    root = fake.base_url.removesuffix("/bot")
    settings = replace(gateway.settings, telegram_token="123456:TEST", telegram_api_url=root)
    gateways = [
        Gateway(settings, sessions, rasa, on_redis.gateway())  # type: ignore[arg-type]
        for _ in range(2)
    ]
    first, second = Bot(gateways[0], fake), Bot(gateways[1], fake)
    try:
        first.text(LIBRARIAN, "/mylistings")
        first.tap(LIBRARIAN, "Story Time")
        first.tap(LIBRARIAN, say("button_seats"))  # the step waits for a number, in Redis
        first.run(gateways[0].shared.close())
        first.close()  # this gateway goes away
        second.text(LIBRARIAN, "12")  # reaches the other gateway
        assert "• seats left: — → 12" in second.last(LIBRARIAN)
        second.tap(LIBRARIAN, say("button_confirm"))
    finally:
        for bot, made in ((first, gateways[0]), (second, gateways[1])):
            if not bot.loop.is_closed():
                bot.run(made.shared.close())
                bot.close()
            assert bot.failures == []
    with sessions() as session:
        listing = session.get(Opportunity, directory.story_time)
        assert listing is not None and listing.seats_available == 12
    assert rasa.calls == []  # the number never went to the assistant as a learner's message
