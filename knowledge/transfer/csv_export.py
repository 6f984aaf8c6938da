"""Exporting the directory as the community spreadsheet, readable back by import_csv unchanged
(cells that would start a formula are neutralised: knowledge.transfer.csv_cells)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from sqlalchemy.orm import Session

from knowledge.listing_fields import (
    format_cost,
    format_date,
    format_float,
    format_time,
    translation_languages,
)
from knowledge.models import Opportunity
from knowledge.progress import NO_PROGRESS, Progress
from knowledge.transfer.csv_cells import SheetWriter
from knowledge.transfer.csv_format import TRANSLATED, export_columns
from knowledge.transfer.exported_listings import all_listings, first_physical

PROGRESS_CHUNK = 500  # rows written between two progress reports


def export_csv(session: Session, out: TextIO, progress: Progress = NO_PROGRESS) -> int:
    """Write the header and one row per listing (every status); returns the number of rows.

    The sheet has one credential and one place per listing: the first credential by name and the
    first physical location are written (for a listing with none, location_url is its first
    online place's). `progress` hears of every chunk of rows written.
    """
    writer = SheetWriter(out, lineterminator="\r\n")
    columns = export_columns()
    writer.writerow(columns)
    progress.stage("Reading the directory")
    listings = all_listings(session)
    progress.stage("Writing rows", len(listings))
    for start in range(0, len(listings), PROGRESS_CHUNK):
        chunk = listings[start : start + PROGRESS_CHUNK]
        writer.writerows(listing_cells(opportunity, columns) for opportunity in chunk)
        progress.advance(len(chunk))
    return len(listings)


def listing_cells(opportunity: Opportunity, columns: Sequence[str] | None = None) -> list[str]:
    """One listing's cells in column order (the export's columns unless others are given)."""
    place = first_physical(opportunity)
    awards = sorted(opportunity.awards, key=lambda credential: credential.name.lower())
    credential = awards[0] if awards else None
    neighbourhood = place.neighbourhood if place else None
    site = place or next(iter(opportunity.locations), None)  # else its online place, if any
    cells = {
        "external_id": opportunity.external_id or "",
        "title": opportunity.title,
        "provider": opportunity.provider.name,
        "provider_kind": opportunity.provider.kind,
        "description": opportunity.description,
        "topics": ";".join(sorted(topic.name for topic in opportunity.topics)),
        "min_age": _number(opportunity.min_age),
        "max_age": _number(opportunity.max_age),
        "cost": format_cost(opportunity.cost_amount),
        "cost_notes": opportunity.financial_aid or "",
        "format": opportunity.format,
        "address": (place.address if place else None) or "",
        "neighborhood": neighbourhood.name if neighbourhood else "",
        "city": (place.city if place else None) or "",
        # Stored values only: an empty state or country is the city's (export_package fills it).
        "state_province": (place.state_province if place else None) or "",
        "postal_code": (place.postal_code if place else None) or "",
        "country": (place.country if place else None) or "",
        "latitude": format_float(place.latitude if place else None),
        "longitude": format_float(place.longitude if place else None),
        "accessibility": (place.accessibility if place else None) or "",
        "transport": (place.transport if place else None) or "",
        "location_url": (site.url if site else None) or "",
        "days": ";".join(opportunity.days),
        "start_time": format_time(opportunity.start_time),
        "end_time": format_time(opportunity.end_time),
        "start_date": format_date(opportunity.start_date),
        "end_date": format_date(opportunity.end_date),
        "application_deadline": format_date(opportunity.application_deadline),
        "languages": ";".join(opportunity.language_list),
        "credential": credential.name if credential else "",
        "credential_type": credential.credential_type if credential else "",
        "enroll_url": opportunity.enroll_url or "",
        "contact_phone": opportunity.enroll_phone or "",
        "contact_email": opportunity.enroll_email or "",
        "version": str(opportunity.version),  # import refuses the row if the listing moved on
    } | translation_cells(opportunity)
    return [cells[column].strip() for column in columns or export_columns()]  # import trims too


def translation_cells(opportunity: Opportunity) -> dict[str, str]:
    """title_<code> and description_<code> for every language listings may be translated into."""
    given = {found.language: found for found in opportunity.translations}
    cells = {}
    for code in translation_languages():
        found = given.get(code)
        for part in TRANSLATED:
            cells[f"{part}_{code}"] = getattr(found, part) if found else ""
    return cells


def _number(value: int | None) -> str:
    """A whole number, or empty when unknown."""
    return "" if value is None else str(value)
