"""`wayfinder history LISTING` and `wayfinder revert CHANGE_ID`: who changed what; undoing it."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.cli.context import CliError, Context, require_schema
from knowledge.cli.organiser import add_actor_option, organiser, shorten
from knowledge.community import AccessError
from knowledge.editing.fields import BY_ATTRIBUTE, display
from knowledge.editing.member_edits import ChangeRefused, StaleVersion
from knowledge.editing.revert import revert_change
from knowledge.history import history_of
from knowledge.models import ChangeRecord, Opportunity

WHO_WIDTH = 32
HEADINGS = ("change", "when (UTC)", "who", "source", "field", "before → after")


def register(groups: Any) -> None:
    """Add the `history` and `revert` commands."""
    history = groups.add_parser(
        "history",
        help="every recorded change of one listing: who, which field, before, after, when",
    )
    history.add_argument(
        "listing", metavar="LISTING", help="the listing's id, external id or title"
    )
    history.set_defaults(handler=run_history)
    revert = groups.add_parser(
        "revert", help="set a field back to its value before one change (see `wayfinder history`)"
    )
    revert.add_argument("change", type=int, metavar="CHANGE_ID", help="the change's number")
    revert.add_argument(
        "--force", action="store_true", help="revert even if the field was changed again since"
    )
    add_actor_option(revert)
    revert.set_defaults(handler=run_revert)


def run_history(args: argparse.Namespace, context: Context) -> int:
    """Print the listing's changes, oldest first, as a table."""
    require_schema(context)
    with context.sessions() as session:
        listing = find_listing(session, args.listing)
        records = history_of(session, listing)
        external = f", external id {listing.external_id}" if listing.external_id else ""
        noun = "change" if len(records) == 1 else "changes"
        print(
            f"History of {listing.title!r} (id {listing.id}{external}) by "
            f"{listing.provider.name}: {len(records)} {noun}, oldest first"
        )
        print("\n".join(render_records(records)))
        if any(record.action == "update" for record in records):
            print("Revert one with `wayfinder revert CHANGE_ID`.")
    return 0


def find_listing(session: Session, text: str) -> Opportunity:
    """The listing with this id, else this external id, else this exact title (any case)."""
    wanted = text.strip()
    if wanted.isdigit():
        found = session.get(Opportunity, int(wanted))
        if found is not None:
            return found
    by_external_id = session.scalars(
        select(Opportunity).where(Opportunity.external_id == wanted)
    ).first()
    if by_external_id is not None:
        return by_external_id
    titled = list(
        session.scalars(
            select(Opportunity)
            .where(func.lower(Opportunity.title) == wanted.lower())
            .order_by(Opportunity.id)
        )
    )
    if len(titled) == 1:
        return titled[0]
    if not titled:
        raise CliError(
            f"no listing has the id, external id or title {wanted!r}; "
            "`wayfinder directory search` finds listings"
        )
    candidates = "\n".join(
        f"  {listing.id:>6}  {listing.title} — {listing.provider.name}"
        + (f" ({listing.external_id})" if listing.external_id else "")
        for listing in titled
    )
    raise CliError(
        f"{len(titled)} listings are called {wanted!r}; name one by its id:\n{candidates}"
    )


def render_records(records: list[ChangeRecord]) -> list[str]:
    """An aligned table: change id, when, who, source, field, before → after."""
    rows = [
        (
            str(record.id),
            f"{record.changed_at:%Y-%m-%d %H:%M}",
            shorten(record.actor, WHO_WIDTH),
            record.source,
            _field(record),
            _values(record),
        )
        for record in records
    ]
    widths = [max(len(row[i]) for row in [HEADINGS, *rows]) for i in range(len(HEADINGS) - 1)]

    def line(row: tuple[str, ...]) -> str:
        cells = [row[0].rjust(widths[0])]
        cells += [cell.ljust(width) for cell, width in zip(row[1:-1], widths[1:], strict=True)]
        return "  ".join([*cells, row[-1]]).rstrip()

    return [line(HEADINGS), *(line(row) for row in rows)]


def _field(record: ChangeRecord) -> str:
    """The spreadsheet's name for the field (as people edit it), or what happened to the record."""
    if record.field == "*":
        return f"({record.action}d)"
    field = BY_ATTRIBUTE.get(record.field)
    return field.name if field is not None else record.field


def _values(record: ChangeRecord) -> str:
    """ "6 → 7"; a creation lists how many fields it set."""
    if record.action == "create":
        try:
            count = len(json.loads(record.new_value or "{}"))
        except ValueError:
            return shorten(record.new_value)
        return f"listing added with {count} fields"
    return f"{shorten(record.old_value)} → {shorten(record.new_value)}"


def run_revert(args: argparse.Namespace, context: Context) -> int:
    """Revert one change and say what the field is now."""
    require_schema(context)
    with context.sessions.begin() as session:
        record = session.get(ChangeRecord, args.change)
        field = BY_ATTRIBUTE.get(record.field) if record is not None else None
        listing = session.get(Opportunity, record.entity_id) if record is not None else None
        before = display(listing, field.attribute) if field and listing else "—"
        newest = _newest_change(session, listing, field.attribute if field else "")
        try:
            reverted = revert_change(
                session, args.change, organiser(args), today=date.today(), force=args.force
            )
        except ChangeRefused as refused:
            raise CliError(f"change {args.change} cannot be reverted: {refused}") from None
        except AccessError as error:
            message = str(error)
            if message.endswith("force it"):
                message += " with --force"
            raise CliError(message) from None
        except StaleVersion as error:
            raise CliError(str(error)) from None
        if field is None:  # revert_change refuses changes to fields it does not know
            raise CliError(f"change {args.change} is not of a listing field")
        now = display(reverted, field.attribute)
        revert = _newest_change(session, reverted, field.attribute)
        if revert == newest:
            print(f"Nothing to revert: the {field.label} of {reverted.title!r} is already {now}.")
            return 0
        print(
            f"Reverted change {args.change}: the {field.label} of {reverted.title!r} "
            f"(id {reverted.id}) is {shorten(now)} again (it was {shorten(before)})."
        )
        print(f"The revert is change {revert}; `wayfinder revert {revert}` undoes it.")
    return 0


def _newest_change(session: Session, listing: Opportunity | None, attribute: str) -> int | None:
    """The id of the latest recorded change of one field of a listing."""
    if listing is None:
        return None
    return session.scalar(
        select(func.max(ChangeRecord.id))
        .where(ChangeRecord.entity_type == Opportunity.__tablename__)
        .where(ChangeRecord.entity_id == listing.id)
        .where(ChangeRecord.field == attribute)
    )
