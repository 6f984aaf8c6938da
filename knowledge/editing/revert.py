"""Undoing one recorded change: the field goes back to its value before, with its own history.

Only listing fields people edit can be reverted (their text form in the history parses back
with the spreadsheet's rules); a field changed again since is refused unless forced, so a later
correction is never undone by accident.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from knowledge.community import AccessError
from knowledge.editing.fields import BY_ATTRIBUTE, parse_fields
from knowledge.editing.member_edits import ChangeRefused, apply_values
from knowledge.history import Actor, as_text
from knowledge.models import ChangeRecord, Opportunity


def revert_change(
    session: Session, record_id: int, actor: Actor, *, today: date, force: bool = False
) -> Opportunity:
    """Set the changed field back to its value before `record_id`; returns the listing."""
    record = session.get(ChangeRecord, record_id)
    if record is None:
        raise AccessError(f"there is no change {record_id}; `wayfinder history LISTING` lists them")
    if record.entity_type != Opportunity.__tablename__ or record.action != "update":
        raise AccessError(
            f"change {record_id} is a {record.action} of a {record.entity_type}; only changes "
            "to a listing's fields can be reverted"
        )
    field = BY_ATTRIBUTE.get(record.field)
    if field is None:
        raise AccessError(
            f"{record.field} cannot be reverted from the history; change it with an import"
        )
    opportunity = session.get(Opportunity, record.entity_id)
    if opportunity is None:
        raise AccessError(f"the listing of change {record_id} no longer exists")
    now = getattr(opportunity, field.attribute)
    current = as_text(now)
    if current != record.new_value and not force:
        raise AccessError(
            f"{field.name} has changed again since (it is now {current or 'empty'}); revert the "
            "later change first, or force it"
        )
    values, problems = parse_fields({field.name: record.old_value or ""})
    if problems:
        raise ChangeRefused(problems)
    apply_values(session, opportunity, values, actor, today, None)
    return opportunity
