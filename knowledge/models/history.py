"""Change history (HSDS metadata): who changed which field of which record, from what, to what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.models.base import Base, utcnow


class ChangeRecord(Base):
    """One field of one record changed once; a create or delete is a record with field '*'."""

    __tablename__ = "change_record"
    __table_args__ = (Index("ix_change_record_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int]
    entity_key: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(10))  # create | update | delete
    field: Mapped[str] = mapped_column(String(80))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    # seed | import | cli | api | chat, or hsds-package: restored from an HSDS package's metadata
    source: Mapped[str] = mapped_column(String(40))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"ChangeRecord({self.entity_type}#{self.entity_id}.{self.field})"
