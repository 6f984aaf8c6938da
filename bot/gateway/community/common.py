"""What the community handlers share: the database, sending, today's date, button payloads and
how problems are listed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from sqlalchemy.orm import Session

from bot.gateway.community.constants import PREFIX
from bot.gateway.community.members import require_member
from bot.gateway.core import Gateway
from bot.gateway.messages import BotMessage, Button
from bot.gateway.outbox import Outlet
from bot.gateway.shared.steps import Steps
from bot.gateway.telegram_format import CALLBACK_LIMIT
from bot.gateway.texts import say
from knowledge.editing.fields import FIELDS, FieldChange
from knowledge.models import Member
from knowledge.transfer.report import Problem

T = TypeVar("T")
MAX_PROBLEMS = 10  # listed in one message; the rest are counted


def payload(*parts: object) -> str:
    """Callback data for a provider button; it must fit Telegram's 64 bytes unstashed."""
    data = ":".join([PREFIX, *(str(part) for part in parts)])
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data too long: {data!r}")
    return data


@dataclass
class CommunityContext:
    """The gateway (database, settings), where messages go, and the members' open steps."""

    gateway: Gateway
    outlet: Outlet
    steps: Steps
    today: Callable[[], date] = field(default=date.today)

    async def db(self, work: Callable[[Session], T]) -> T:
        """One transaction in a worker thread; an exception rolls it all back."""
        return await self.gateway.db(work)

    async def as_member(self, user_id: int, work: Callable[[Session, Member], T]) -> T:
        """`work` for the member with this Telegram id, in one transaction (NotMember if none)."""
        return await self.gateway.db(
            lambda session: work(session, require_member(session, user_id))
        )

    async def send(self, chat_id: int, text: str, buttons: Sequence[Button] = ()) -> None:
        """One message, with buttons when given (escaped and split by the outlet)."""
        await self.outlet.send(str(chat_id), [BotMessage(text, tuple(buttons))])


def field_problems(problems: Sequence[Problem]) -> str:
    """Problems with a chat edit, one per line, each naming its field as people call it."""
    lines = []
    for problem in problems:
        spec = FIELDS.get(problem.column or "")
        label = spec.label if spec is not None else problem.column
        lines.append(say("problem_line", where=label or "—", message=problem.message))
    return "\n".join(lines)


def file_problems(problems: Sequence[Problem]) -> str:
    """A spreadsheet's problems with their row and column, the first MAX_PROBLEMS of them."""
    lines = [say("file_problem_line", problem=str(problem)) for problem in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        lines.append(say("and_more", count=len(problems) - MAX_PROBLEMS))
    return "\n".join(lines)


def diff_lines(changes: Sequence[FieldChange]) -> str:
    """A preview or review diff: one 'label: before → after' line per field."""
    return "\n".join(
        say("diff_line", label=change.label, before=change.before, after=change.after)
        for change in changes
    )
