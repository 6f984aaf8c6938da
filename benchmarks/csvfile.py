"""A generated directory written as the import spreadsheet, for timing `import_csv`."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.generate import DEFAULT_SEED, DirectoryGenerator
from knowledge.models import mask_to_days
from knowledge.transfer.csv_format import COLUMNS


def write_import_csv(path: Path, size: int, *, seed: int = DEFAULT_SEED) -> Path:
    """Write `size` generated listings in the exact import format; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(import_rows(size, seed=seed))
    return path


def import_rows(size: int, *, seed: int = DEFAULT_SEED) -> Iterator[dict[str, str]]:
    """One spreadsheet row per generated listing, by column name (the columns it leaves out are
    optional and written empty), cells as the import expects them."""
    generator = DirectoryGenerator(size, seed)
    reference = generator.reference_rows().tables
    providers = {row["id"]: row["name"] for row in reference["provider"]}
    kinds = {row["id"]: row["kind"] for row in reference["provider"]}
    places = {row["id"]: row["name"] for row in reference["neighbourhood"]}
    topics = {row["id"]: row["name"] for row in reference["topic"]}
    locations = {row["id"]: row for row in reference["location"]}
    credentials = {row["id"]: row for row in reference["credential"]}
    for chunk in generator.opportunity_chunks():
        tables = chunk.tables
        topic_names: dict[int, list[str]] = {}
        for link in tables["opportunity_topic"]:
            topic_names.setdefault(link["opportunity_id"], []).append(topics[link["topic_id"]])
        sites: dict[int, list[dict[str, Any]]] = {}
        for link in tables["opportunity_location"]:
            place = locations[link["location_id"]]
            if place["location_type"] == "physical":
                sites.setdefault(link["opportunity_id"], []).append(place)
        awards = {
            link["opportunity_id"]: credentials[link["credential_id"]]
            for link in tables["opportunity_award"]
        }
        for row in tables["opportunity"]:
            site = sites[row["id"]][0] if row["id"] in sites else None
            award = awards.get(row["id"])
            yield {
                "external_id": row["external_id"],
                "title": row["title"],
                "provider": providers[row["provider_id"]],
                "provider_kind": kinds[row["provider_id"]],
                "description": row["description"],
                "topics": ";".join(topic_names[row["id"]]),
                "min_age": cell(row["min_age"]),
                "max_age": cell(row["max_age"]),
                "cost": cell(row["cost_amount"]),
                "cost_notes": cell(row["financial_aid"]),
                "format": row["format"],
                "address": cell(site and site["address"]),
                "neighborhood": places[site["neighbourhood_id"]] if site else "",
                "city": cell(site and site["city"]),
                "latitude": cell(site and site["latitude"]),
                "longitude": cell(site and site["longitude"]),
                "days": ";".join(mask_to_days(row["days_mask"])),
                "start_time": cell(row["start_time"]),
                "end_time": cell(row["end_time"]),
                "start_date": cell(row["start_date"]),
                "end_date": cell(row["end_date"]),
                "application_deadline": cell(row["application_deadline"]),
                "languages": row["languages"],
                "credential": cell(award and award["name"]),
                "credential_type": cell(award and award["credential_type"]),
                "enroll_url": cell(row["enroll_url"]),
                "contact_phone": cell(row["enroll_phone"]),
                "contact_email": cell(row["enroll_email"]),
            }


def cell(value: Any) -> str:
    """A value as the spreadsheet writes it: empty for unknown, HH:MM, YYYY-MM-DD, plain numbers."""
    if value is None:
        return ""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)
