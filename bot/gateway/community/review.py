"""/review for organisers: the oldest waiting change with its before → after, Approve / Reject /
Next; a rejection asks for the reason, which goes back to the provider member."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.gateway.community.common import (
    CommunityContext,
    diff_lines,
    field_problems,
    file_problems,
    payload,
)
from bot.gateway.community.constants import StepKind, Verb
from bot.gateway.community.nudges import tell_decisions
from bot.gateway.messages import Button
from bot.gateway.shared.steps import Step
from bot.gateway.texts import say
from knowledge.community import AccessError
from knowledge.editing.member_edits import ChangeRefused
from knowledge.editing.review import (
    MAX_REASON,
    Pending,
    approve_request,
    pending_requests,
    reject_request,
    reviewer_for,
)
from knowledge.models import ChangeRequest, Member


def _text(pending: Pending, waiting: int) -> str:
    """One request as an organiser reads it."""
    if pending.request.kind == "import":
        lines = say("review_import_note")
    elif pending.changes:
        lines = diff_lines(pending.changes)
    else:
        lines = say("review_no_difference")
    return say("review_request", summary=pending.summary, lines=lines, waiting=waiting)


class Review:
    """The organisers' review queue in chat."""

    def __init__(self, kit: CommunityContext) -> None:
        self.kit = kit

    async def show(self, user_id: int, chat_id: int, after: int | None = None) -> None:
        """The oldest waiting request (or the one after `after`, for Next)."""
        await self.kit.steps.clear(user_id)

        def work(session: Session, member: Member) -> tuple[int, str] | None:
            reviewer_for(member)
            waiting = pending_requests(session)
            ids = [pending.request.id for pending in waiting]
            if after in ids:
                waiting = waiting[ids.index(after) + 1 :]
            if not waiting:
                return None
            return waiting[0].request.id, _text(waiting[0], len(waiting))

        found = await self.kit.as_member(user_id, work)
        if found is None:
            await self.kit.send(chat_id, say("review_empty"))
            return
        request_id, text = found
        buttons = [
            Button(say("button_approve"), payload(Verb.APPROVE, request_id)),
            Button(say("button_reject"), payload(Verb.REJECT, request_id)),
            Button(say("button_next"), payload(Verb.NEXT_REQUEST, request_id)),
        ]
        await self.kit.send(chat_id, text, buttons)

    async def approve(self, user_id: int, chat_id: int, request_id: int) -> None:
        """Publish it (checked again), tell its member, show the next one."""
        today = self.kit.today()

        def work(session: Session, member: Member) -> None:
            approve_request(session, request_id, reviewer_for(member), today=today)

        try:
            await self.kit.as_member(user_id, work)
        except ChangeRefused as refused:
            in_file = any(problem.row is not None for problem in refused.problems)  # an upload's
            problems = (file_problems if in_file else field_problems)(refused.problems)
            await self.kit.send(
                chat_id, say("review_cannot_approve", number=request_id, problems=problems)
            )
            await self.show(user_id, chat_id, after=request_id)
            return
        await self.kit.send(chat_id, say("review_approved", number=request_id))
        await tell_decisions(self.kit.gateway)
        await self.show(user_id, chat_id)

    async def ask_reason(self, user_id: int, chat_id: int, request_id: int) -> None:
        """Reject: the reason comes as the next message."""

        def work(session: Session, member: Member) -> None:
            reviewer_for(member)
            request = session.get(ChangeRequest, request_id)
            if request is None or request.state != "pending":
                raise AccessError(say("review_gone", number=request_id))

        await self.kit.as_member(user_id, work)
        await self.kit.steps.set(user_id, Step(StepKind.REASON, {"request": request_id}))
        await self.kit.send(chat_id, say("review_ask_reason", number=request_id))

    async def reason(self, user_id: int, chat_id: int, step: Step, text: str) -> None:
        """The reason: reject, tell the member, show the next one."""
        request_id = int(step.data["request"])
        if not text.strip() or len(text.strip()) > MAX_REASON:
            await self.kit.send(chat_id, say("review_reason_again", limit=MAX_REASON))
            return

        def work(session: Session, member: Member) -> None:
            reject_request(session, request_id, reviewer_for(member), text)

        await self.kit.steps.clear(user_id)
        await self.kit.as_member(user_id, work)
        await self.kit.send(chat_id, say("review_rejected", number=request_id))
        await tell_decisions(self.kit.gateway)
        await self.show(user_id, chat_id)
