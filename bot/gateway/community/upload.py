"""A member sends the directory spreadsheet (CSV) as a document: the same checks and the same
all-or-nothing rule as `wayfinder directory import`, limited to the member's own providers.

Rows of an old export whose listing changed since are refused; an organiser overwrites them by
sending the file again with the caption "force" (the CLI's --force)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from telegram import Document

from bot.gateway.community.common import CommunityContext, file_problems
from bot.gateway.community.members import member_for
from bot.gateway.texts import say
from knowledge.editing.spreadsheet import import_for_member
from knowledge.models import Member
from knowledge.transfer.report import ImportReport

MAX_BYTES = 2 * 1024 * 1024  # a directory spreadsheet of a few thousand rows
CSV_TYPES = ("text/csv", "text/comma-separated-values", "application/csv")
FORCE = "force"  # the caption that makes an organiser's upload overwrite newer changes


class UploadRefused(Exception):
    """The file has problems; raised inside the transaction so nothing at all is written."""

    def __init__(self, report: ImportReport, *, may_force: bool) -> None:
        super().__init__(report.summary())
        self.report = report
        self.may_force = may_force  # an organiser, refused only for rows of an old export


@dataclass(frozen=True)
class Imported:
    """A valid upload: its counts, and whether it waits for review."""

    created: int
    updated: int
    unchanged: int
    pending: bool


class Upload:
    """Documents in private chats: members' spreadsheets; anyone else gets the media answer."""

    def __init__(self, kit: CommunityContext) -> None:
        self.kit = kit

    async def document(
        self, user_id: int, chat_id: int, document: Document, caption: str = ""
    ) -> None:
        """Check the file, download it, import it for the member, and report; the caption
        "force" is an organiser's explicit choice to overwrite changes made since the export."""
        if not await self.kit.db(lambda session: member_for(session, user_id) is not None):
            await self.kit.send(chat_id, say("unsupported_media"))  # what learners always got
            return
        name = document.file_name or "spreadsheet.csv"
        if not name.lower().endswith(".csv") and document.mime_type not in CSV_TYPES:
            await self.kit.send(chat_id, say("upload_not_csv", name=name))
            return
        limit_mb = MAX_BYTES // (1024 * 1024)
        if (document.file_size or 0) > MAX_BYTES:
            await self.kit.send(chat_id, say("upload_too_big", limit_mb=limit_mb))
            return
        file = await document.get_file()
        data = bytes(await file.download_as_bytearray())
        if len(data) > MAX_BYTES:
            await self.kit.send(chat_id, say("upload_too_big", limit_mb=limit_mb))
            return

        force = caption.strip().lstrip("/").lower() == FORCE

        def work(session: Session, member: Member) -> Imported:
            upload = import_for_member(session, member, data, name=name, source="chat", force=force)
            report = upload.report
            if report.problems:
                outdated_only = all(problem.column == "version" for problem in report.problems)
                may_force = member.role == "organiser" and outdated_only
                raise UploadRefused(report, may_force=may_force)
            return Imported(report.created, report.updated, report.unchanged, bool(upload.request))

        try:
            done = await self.kit.as_member(user_id, work)
        except UploadRefused as refused:
            problems = refused.report.problems
            text = say(
                "upload_problems", name=name, count=len(problems), problems=file_problems(problems)
            )
            if refused.may_force:
                text += "\n" + say("upload_force_hint", caption=FORCE)
            await self.kit.send(chat_id, text)
            return
        key = "upload_pending" if done.pending else "upload_done"
        counts = {"created": done.created, "updated": done.updated, "unchanged": done.unchanged}
        await self.kit.send(chat_id, say(key, name=name, **counts))
