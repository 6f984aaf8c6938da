"""/join CODE: anyone redeems an organiser's invite and becomes a member (of a provider, or an
organiser); the code works once, until it expires."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.gateway.community.common import CommunityContext
from bot.gateway.texts import say
from knowledge.community import AccessError, redeem_invite


class Join:
    """Redeeming invite codes in chat."""

    def __init__(self, kit: CommunityContext) -> None:
        self.kit = kit

    async def join(self, user_id: int, chat_id: int, code: str, name: str | None) -> None:
        """Redeem the code for this Telegram user and say what they can do now."""
        if not code.strip():
            await self.kit.send(chat_id, say("join_how"))
            return

        def redeem(session: Session) -> tuple[str, list[str]]:
            member = redeem_invite(session, code, telegram_user_id=str(user_id), name=name)
            return member.role, [provider.name for provider in member.providers]

        try:
            role, providers = await self.kit.db(redeem)
        except AccessError as error:
            await self.kit.send(chat_id, say("join_refused", reason=error))
            return
        await self.kit.steps.clear(user_id)
        if role == "organiser":
            await self.kit.send(chat_id, say("join_organiser"))
        else:
            await self.kit.send(chat_id, say("join_provider", providers=", ".join(providers)))
