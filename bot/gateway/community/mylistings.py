"""/mylistings: a member's listings as buttons; pick one, pick a field, type the new value, see
the before → after and confirm. The domain layer (knowledge.editing) checks and writes; a bad
value is explained and asked for again, and nothing is saved before the confirmation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.gateway.community.common import CommunityContext, diff_lines, field_problems, payload
from bot.gateway.community.constants import Previewed, StepKind, Verb
from bot.gateway.messages import Button
from bot.gateway.shared.steps import Step
from bot.gateway.texts import say
from knowledge.community import AccessError, publishes_directly
from knowledge.editing.fields import FIELDS, FieldChange, diff, display
from knowledge.editing.member_edits import ChangeRefused, checked, edit_listing, require_editor
from knowledge.models import FORMATS, Member, Opportunity

PAGE = 8  # listings per page of /mylistings
# The fields with a button of their own; the others are under "Other field".
COMMON = ("start_date", "seats_available", "cost", "description")
CHOICES = {"format": FORMATS, "status": ("active", "temporarily_closed", "inactive")}
HIDDEN_STATUS = "defunct"  # listings the directory retired; not offered for editing


@dataclass(frozen=True)
class Preview:
    """A change checked against the listing, waiting for Confirm."""

    title: str
    version: int
    changes: list[FieldChange]


def editable(session: Session, member: Member, opportunity_id: int) -> Opportunity:
    """The listing, if it exists and the member may change it (else AccessError)."""
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None:
        raise AccessError(say("listing_gone"))
    require_editor(member, opportunity)
    return opportunity


def choice_buttons(name: str) -> list[Button]:
    """One-tap answers for fields with a fixed set of values."""
    return [Button(value, payload(Verb.VALUE, value)) for value in CHOICES.get(name, ())]


def preview_text(title: str, changes: list[FieldChange]) -> str:
    """What the member confirms."""
    return say("edit_preview", title=title, lines=diff_lines(changes))


def confirm_buttons() -> list[Button]:
    """Confirm / Cancel under a preview."""
    return [
        Button(say("button_confirm"), payload(Verb.CONFIRM)),
        Button(say("button_cancel"), payload(Verb.CANCEL)),
    ]


class Listings:
    """The guided edit of an existing listing."""

    def __init__(self, kit: CommunityContext) -> None:
        self.kit = kit

    async def pick(self, user_id: int, chat_id: int, page: int = 0) -> None:
        """A page of the member's listings, one button each."""
        await self.kit.steps.clear(user_id)

        def work(session: Session, member: Member) -> tuple[int, list[tuple[int, str]]]:
            ids = [provider.id for provider in member.providers]
            query = select(Opportunity).where(
                Opportunity.provider_id.in_(ids), Opportunity.status != HIDDEN_STATUS
            )
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            shown = session.scalars(
                query.order_by(Opportunity.title, Opportunity.id).offset(page * PAGE).limit(PAGE)
            )
            return total, [(listing.id, listing.title) for listing in shown]

        page = max(page, 0)
        total, found = await self.kit.as_member(user_id, work)
        if not total:
            await self.kit.send(chat_id, say("listings_none"))
            return
        if not found:
            await self.pick(user_id, chat_id, 0)
            return
        buttons = [Button(title, payload(Verb.LISTING, listing_id)) for listing_id, title in found]
        if page > 0:
            buttons.append(Button(say("button_previous"), payload(Verb.LISTINGS_PAGE, page - 1)))
        if (page + 1) * PAGE < total:
            buttons.append(Button(say("button_more"), payload(Verb.LISTINGS_PAGE, page + 1)))
        first = page * PAGE + 1
        text = say("listings_pick", first=first, last=first + len(found) - 1, total=total)
        await self.kit.send(chat_id, text, buttons)

    async def show(self, user_id: int, chat_id: int, opportunity_id: int) -> None:
        """One listing's main fields and a button per thing to change."""
        await self.kit.steps.clear(user_id)

        def work(session: Session, member: Member) -> tuple[str, str]:
            listing = editable(session, member, opportunity_id)
            description = display(listing, "description")
            text = say(
                "listing_summary",
                title=listing.title,
                provider=listing.provider.name,
                status=display(listing, "status"),
                start_date=display(listing, "start_date"),
                seats=display(listing, "seats_available"),
                cost=display(listing, "cost_amount"),
                description=description if len(description) <= 300 else description[:299] + "…",
            )
            if not publishes_directly(member, listing.provider):
                text += "\n" + say("listing_reviewed_note", provider=listing.provider.name)
            return text, listing.status

        text, status = await self.kit.as_member(user_id, work)
        toggle = "button_reopen" if status != "active" else "button_pause"
        buttons = [
            Button(say("button_start_date"), payload(Verb.FIELD, opportunity_id, "start_date")),
            Button(say("button_seats"), payload(Verb.FIELD, opportunity_id, "seats_available")),
            Button(say(toggle), payload(Verb.TOGGLE, opportunity_id)),
            Button(say("button_cost"), payload(Verb.FIELD, opportunity_id, "cost")),
            Button(say("button_description"), payload(Verb.FIELD, opportunity_id, "description")),
            Button(say("button_other"), payload(Verb.OTHER_FIELDS, opportunity_id)),
        ]
        await self.kit.send(chat_id, text + "\n" + say("listing_what"), buttons)

    async def other(self, user_id: int, chat_id: int, opportunity_id: int) -> None:
        """Every other field the directory lets members change, as buttons."""
        title = await self.kit.as_member(
            user_id, lambda session, member: editable(session, member, opportunity_id).title
        )
        buttons = [
            Button(spec.label.capitalize(), payload(Verb.FIELD, opportunity_id, name))
            for name, spec in FIELDS.items()
            if name not in COMMON
        ]
        await self.kit.send(chat_id, say("listing_other", title=title), buttons)

    async def ask(self, user_id: int, chat_id: int, opportunity_id: int, name: str) -> None:
        """Ask for a field's new value, with its current value and an example."""
        spec = FIELDS.get(name)
        if spec is None:
            raise AccessError(say("field_unknown"))

        def work(session: Session, member: Member) -> tuple[str, str]:
            listing = editable(session, member, opportunity_id)
            return listing.title, display(listing, spec.attribute)

        title, current = await self.kit.as_member(user_id, work)
        await self.kit.steps.set(
            user_id, Step(StepKind.VALUE, {"listing": opportunity_id, "field": name})
        )
        text = say(
            "ask_value", label=spec.label, title=title, current=current, example=spec.example
        )
        await self.kit.send(chat_id, text, choice_buttons(name))

    async def toggle(self, user_id: int, chat_id: int, opportunity_id: int) -> None:
        """Temporarily closed ↔ open again: straight to the preview."""
        status = await self.kit.as_member(
            user_id, lambda session, member: editable(session, member, opportunity_id).status
        )
        wanted = "temporarily_closed" if status == "active" else "active"
        await self.propose(user_id, chat_id, opportunity_id, {"status": wanted})

    async def value(self, user_id: int, chat_id: int, step: Step, text: str) -> None:
        """The member's answer to `ask`: explained and asked again, or previewed."""
        name = str(step.data["field"])
        try:
            await self.propose(user_id, chat_id, int(step.data["listing"]), {name: text.strip()})
        except ChangeRefused as refused:
            await self.kit.steps.set(user_id, step)  # still waiting for a good value
            problems = field_problems(refused.problems)
            example = FIELDS[name].example
            await self.kit.send(
                chat_id,
                say("value_problem", problems=problems, example=example),
                choice_buttons(name),
            )

    async def propose(
        self, user_id: int, chat_id: int, opportunity_id: int, cells: dict[str, str]
    ) -> None:
        """Check the change now (ChangeRefused says why not) and show its preview to confirm."""
        today = self.kit.today()

        def work(session: Session, member: Member) -> Preview:
            listing = editable(session, member, opportunity_id)
            values = checked(cells, listing, today)
            return Preview(listing.title, listing.version, diff(listing, values))

        preview = await self.kit.as_member(user_id, work)
        if not preview.changes:
            await self.kit.steps.clear(user_id)
            await self.kit.send(chat_id, say("edit_no_change", title=preview.title))
            return
        data = {"what": Previewed.EDIT, "listing": opportunity_id, "cells": cells}
        await self.kit.steps.set(
            user_id, Step(StepKind.CONFIRM, data | {"version": preview.version})
        )
        await self.kit.send(
            chat_id, preview_text(preview.title, preview.changes), confirm_buttons()
        )

    async def confirm(self, user_id: int, chat_id: int, step: Step) -> None:
        """Save a previewed change: published at once, or sent to the organisers."""
        opportunity_id = int(step.data["listing"])
        cells = {str(key): str(value) for key, value in step.data["cells"].items()}
        today = self.kit.today()

        def work(session: Session, member: Member) -> tuple[str, bool]:
            listing = editable(session, member, opportunity_id)
            outcome = edit_listing(
                session,
                member,
                listing,
                cells,
                source="chat",
                today=today,
                expected_version=int(step.data["version"]),
            )
            return listing.title, outcome.published

        title, published = await self.kit.as_member(user_id, work)
        key = "edit_published" if published else "edit_pending"
        await self.kit.send(chat_id, say(key, title=title))
