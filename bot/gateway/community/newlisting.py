"""/newlisting: the required fields one by one (title, description, topics, format), then the
optional ones a member can skip, a preview, and the confirmation that creates it (or sends it to
the organisers when the provider is not verified)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.gateway.community.common import CommunityContext, field_problems, payload
from bot.gateway.community.constants import Previewed, StepKind, Verb
from bot.gateway.community.mylistings import choice_buttons, confirm_buttons
from bot.gateway.messages import Button
from bot.gateway.shared.steps import Step
from bot.gateway.texts import say
from knowledge.community import AccessError
from knowledge.editing.fields import FIELDS, check_together, diff, parse_fields
from knowledge.editing.member_edits import create_listing, require_member_of
from knowledge.models import Member, Provider

ASKED = (
    "title",
    "description",
    "topics",
    "format",
    "min_age",
    "max_age",
    "days",
    "start_date",
    "cost",
)


class NewListing:
    """The guided creation of a listing."""

    def __init__(self, kit: CommunityContext) -> None:
        self.kit = kit

    async def start(self, user_id: int, chat_id: int) -> None:
        """Ask which provider first when the member has several."""
        await self.kit.steps.clear(user_id)
        providers = await self.kit.as_member(
            user_id, lambda _session, member: [(p.id, p.name) for p in member.providers]
        )
        if not providers:
            await self.kit.send(chat_id, say("listings_none"))
        elif len(providers) == 1:
            await self.begin(user_id, chat_id, *providers[0])
        else:
            buttons = [
                Button(name, payload(Verb.NEW_FOR_PROVIDER, provider_id))
                for provider_id, name in providers
            ]
            await self.kit.send(chat_id, say("new_which_provider"), buttons)

    async def for_provider(self, user_id: int, chat_id: int, provider_id: int) -> None:
        """The provider picked from the buttons (checked: a payload can be forged)."""

        def work(session: Session, member: Member) -> str:
            provider = session.get(Provider, provider_id)
            if provider is None:
                raise AccessError(say("provider_gone"))
            require_member_of(member, provider)
            return provider.name

        name = await self.kit.as_member(user_id, work)
        await self.begin(user_id, chat_id, provider_id, name)

    async def begin(self, user_id: int, chat_id: int, provider_id: int, name: str) -> None:
        """The first question."""
        step = Step(
            StepKind.NEW, {"provider": provider_id, "provider_name": name, "cells": {}, "at": 0}
        )
        await self.kit.steps.set(user_id, step)
        await self.ask(chat_id, step)

    async def ask(self, chat_id: int, step: Step) -> None:
        """The question for the next field; optional ones have a Skip button."""
        at = int(step.data["at"])
        name = ASKED[at]
        spec = FIELDS[name]
        text = say(
            "new_ask",
            provider=step.data["provider_name"],
            number=at + 1,
            total=len(ASKED),
            label=spec.label,
            example=spec.example,
        )
        buttons = choice_buttons(name)
        if not spec.required:
            text += "\n" + say("new_optional")
            buttons.append(Button(say("button_skip"), payload(Verb.SKIP)))
        await self.kit.send(chat_id, text, buttons)

    async def answer(self, user_id: int, chat_id: int, step: Step, text: str | None) -> None:
        """A value (None: skipped): checked with what came before, then the next question."""
        name = ASKED[int(step.data["at"])]
        cells = {str(key): str(value) for key, value in step.data["cells"].items()}
        if text is None and FIELDS[name].required:
            await self.ask(chat_id, step)
            return
        if text is not None:
            cells[name] = text.strip()
        values, problems = parse_fields(cells)
        problems += check_together(None, values, self.kit.today())
        if problems:
            await self.kit.steps.set(user_id, step)
            example = FIELDS[name].example
            await self.kit.send(
                chat_id,
                say("value_problem", problems=field_problems(problems), example=example),
                choice_buttons(name),
            )
            return
        step.data["cells"] = cells
        step.data["at"] = int(step.data["at"]) + 1
        if step.data["at"] < len(ASKED):
            await self.kit.steps.set(user_id, step)
            await self.ask(chat_id, step)
            return
        confirm = Step(
            StepKind.CONFIRM,
            {"what": Previewed.NEW, "provider": step.data["provider"], "cells": cells},
        )
        await self.kit.steps.set(user_id, confirm)
        text = say("new_preview", provider=step.data["provider_name"], lines=_lines(values, cells))
        await self.kit.send(chat_id, text, confirm_buttons())

    async def confirm(self, user_id: int, chat_id: int, step: Step) -> None:
        """Create the previewed listing (checked again by the domain layer)."""
        cells = {str(key): str(value) for key, value in step.data["cells"].items()}
        provider_id = int(step.data["provider"])
        today = self.kit.today()

        def work(session: Session, member: Member) -> bool:
            provider = session.get(Provider, provider_id)
            if provider is None:
                raise AccessError(say("provider_gone"))
            outcome = create_listing(session, member, provider, cells, source="chat", today=today)
            return outcome.published

        published = await self.kit.as_member(user_id, work)
        key = "new_published" if published else "new_pending"
        await self.kit.send(chat_id, say(key, title=cells["title"]))


def _lines(values: dict[str, object], cells: dict[str, str]) -> str:
    """The new listing's fields, in the order they were asked."""
    changes = {change.field: change for change in diff(None, values)}
    return "\n".join(
        say("new_line", label=changes[name].label, value=changes[name].after)
        for name in ASKED
        if name in cells and name in changes
    )
