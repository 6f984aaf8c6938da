"""A member sends the directory spreadsheet (CSV) as a document: the same checks and the same
all-or-nothing rule as `wayfinder directory import`, limited to the member's own providers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from telegram import Document

from bot.gateway.community.common import Kit, file_problems
from bot.gateway.community.members import member_for
from bot.gateway.texts import say
from knowledge.editing.spreadsheet import import_for_member
from knowledge.models import Member
from knowledge.transfer.report import ImportReport

MAX_BYTES = 2 * 1024 * 1024  # a directory spreadsheet of a few thousand rows
CSV_TYPES = ("text/csv", "text/comma-separated-values", "application/csv")


class UploadRefused(Exception):
    """The file has problems; raised inside the transaction so nothing at all is written."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.summary())
        self.report = report


@dataclass(frozen=True)
class Imported:
    """A valid upload: its counts, and whether it waits for review."""

    created: int
    updated: int
    unchanged: int
    pending: bool


class Upload:
    """Documents in private chats: members' spreadsheets; anyone else gets the media answer."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    async def document(self, user_id: int, chat_id: int, document: Document) -> None:
        """Check the file, download it, import it for the member, and report."""
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

        def work(session: Session, member: Member) -> Imported:
            upload = import_for_member(session, member, data, name=name, source="chat")
            report = upload.report
            if report.problems:
                raise UploadRefused(report)
            return Imported(report.created, report.updated, report.unchanged, bool(upload.request))

        try:
            done = await self.kit.as_member(user_id, work)
        except UploadRefused as refused:
            problems = refused.report.problems
            text = say(
                "upload_problems", name=name, count=len(problems), problems=file_problems(problems)
            )
            await self.kit.send(chat_id, text)
            return
        key = "upload_pending" if done.pending else "upload_done"
        counts = {"created": done.created, "updated": done.updated, "unchanged": done.unchanged}
        await self.kit.send(chat_id, say(key, name=name, **counts))
