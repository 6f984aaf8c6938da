"""Importing an Open Referral HSDS 3.0 JSON document: each service becomes one spreadsheet-shaped
row, checked by the same rules and written all-or-nothing by the same loader as a CSV."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from knowledge.history import Actor
from knowledge.listing_fields import (
    FieldError,
    parse_country,
    parse_translation_language,
    parse_web_url,
    translation_languages,
)
from knowledge.locales import SOURCE_LANGUAGE
from knowledge.models import PROVIDER_KINDS, Location, Provider
from knowledge.progress import NO_PROGRESS, Progress
from knowledge.transfer.hsds.fields import SERVICE_FIELDS, clock_cell, days_cell
from knowledge.transfer.loader import load_rows
from knowledge.transfer.report import ImportReport, Problem
from knowledge.transfer.rows import OpportunityRow, check_duplicates, parse_row
from knowledge.transfer.sources import Source, read_text, source_name

# Where each spreadsheet column's value lives in an HSDS service, for problem messages.
HSDS_FIELDS = SERVICE_FIELDS | {
    "external_id": "x-external-id",
    "topics": "attributes",
    "format": "x-format",
    "address": "locations.addresses.address_1",
    "neighborhood": "locations.x-neighbourhood",
    "city": "locations.addresses.city",
    "application_deadline": "x-application-deadline",
    "credential": "x-credentials.name",
    "credential_type": "x-credentials.credential_type",
}
TRANSLATED_FIELDS = {"title": "name", "description": "description"}  # column → x-translations key


def import_hsds(
    session: Session,
    source: Source,
    *,
    actor: Actor,
    dry_run: bool = False,
    name: str | None = None,
    update_provider_kinds: bool = False,
    progress: Progress = NO_PROGRESS,
) -> ImportReport:
    """Create or update a listing per HSDS service; on any problem, or a dry run, write nothing.

    An organization's x-kind gives a new provider its kind (a known provider keeps its own);
    `update_provider_kinds` is taken for the same signature as import_csv."""
    report = ImportReport(
        source=name or source_name(source),
        dry_run=dry_run,
        record="service",
        field_label="field",
        field_names=HSDS_FIELDS | translation_fields(),
    )
    text = read_text(source, report, expected="an HSDS JSON object with organizations and services")
    if text is None:
        return report
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        report.add(f"is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})")
        return report
    rows = service_rows(document, report)
    load_rows(
        session,
        rows,
        actor=actor,
        report=report,
        update_provider_kinds=update_provider_kinds,
        progress=progress,
    )
    return report


def translation_fields() -> dict[str, str]:
    """Where title_<code> and description_<code> live in a service: x-translations.<code>.…"""
    return {
        f"{column}_{code}": f"x-translations.{code}.{key}"
        for code in translation_languages()
        for column, key in TRANSLATED_FIELDS.items()
    }


def service_rows(document: Any, report: ImportReport) -> list[OpportunityRow]:
    """One checked row per service, numbered from 1 in the order of the services list."""
    if not isinstance(document, dict) or not isinstance(document.get("services"), list):
        report.add("must be a JSON object whose services is a list (HSDS 3.0)")
        return []
    organizations = _index(document, "organizations", report)
    places = _index(document, "locations", report)
    terms = _index(document, "taxonomy_terms", report)
    providers = {
        org_id: _provider_details(org, number, report)
        for number, (org_id, org) in enumerate(organizations.items(), start=1)
    }
    rows = []
    for number, service in enumerate(document["services"], start=1):
        if not isinstance(service, dict):
            report.add("is not a JSON object", number)
            continue
        reader = _ServiceReader(service, number, report)
        org = organizations.get(str(service.get("organization_id")))
        if org is None:
            reader.fail(
                "provider", f"{service.get('organization_id')!r} is not among the organizations"
            )
        cells = reader.cells(org, places, terms)
        row, problems = parse_row(cells, number)
        report.extend(
            problem for problem in problems if org is not None or problem.column != "provider"
        )
        if org is not None:
            row.provider_details = providers[str(org["id"])]
        row.location_details = reader.location_details
        if "currency" in reader.extras:
            row.extras["cost_currency"] = reader.extras["currency"]
        rows.append(row)
    report.extend(check_duplicates(rows))
    return rows


def _index(document: Mapping[str, Any], key: str, report: ImportReport) -> dict[str, Any]:
    """A top-level list of records by id (the list may be absent)."""
    records = document.get(key, [])
    if not isinstance(records, list):
        report.add(f"{key} must be a list")
        return {}
    found = {}
    for position, record in enumerate(records, start=1):
        if not isinstance(record, dict) or not record.get("id"):
            report.add(f"{key} entry {position} is not an object with an id")
            continue
        found[str(record["id"])] = record
    return found


def _provider_details(org: Mapping[str, Any], number: int, report: ImportReport) -> dict[str, Any]:
    """What a new provider takes from its organization (never `verified`: people decide that)."""

    def problem(field: str, message: str) -> None:
        report.problems.append(Problem(message, number, field, "organization", "field"))

    kind = org.get("x-kind") or "nonprofit"
    if kind not in PROVIDER_KINDS:
        problem("x-kind", f"{kind!r} is not one of: {', '.join(PROVIDER_KINDS)}")
        kind = "nonprofit"
    phones = org.get("phones") or []
    phone = (
        phones[0].get("number")
        if isinstance(phones, list) and phones and isinstance(phones[0], dict)
        else None
    )
    details = {
        "kind": kind,
        "description": org.get("description") or None,
        "website": org.get("website"),
        "email": org.get("email"),
        "phone": phone,
    }
    for field, value in details.items():
        column = Provider.__table__.c[field]
        limit = getattr(column.type, "length", None)
        if value is not None and not isinstance(value, str):
            problem(field, "must be text")
            details[field] = None
        elif value is not None and limit and len(value) > limit:
            problem(field, f"is {len(value)} characters long; at most {limit} fit")
            details[field] = None
    return details


class _ServiceReader:
    """Reads one service's nested HSDS objects into spreadsheet cells."""

    def __init__(self, service: Mapping[str, Any], number: int, report: ImportReport) -> None:
        self.service = service
        self.number = number
        self.report = report
        self.location_details: dict[str, Any] = {}
        self.extras: dict[str, Any] = {}

    def fail(self, column: str, message: str) -> None:
        """Record a problem at the HSDS field that holds a spreadsheet column."""
        self.report.add(message, self.number, column)

    def text(self, value: Any, column: str) -> str:
        """A cell from a JSON value: strings as they are, numbers written out, null as empty."""
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.fail(column, f"must be text or a number, not {json.dumps(value)[:40]}")
            return ""
        if isinstance(value, float) and value.is_integer() and column in ("min_age", "max_age"):
            return str(int(value))
        return str(value)

    def first(self, key: str) -> dict[str, Any]:
        """The first object of a nested list (schedules, cost_options, …), or an empty one."""
        items = self.service.get(key) or []
        if not isinstance(items, list):
            self.report.add(f"{key} must be a list", self.number)
            return {}
        return next((item for item in items if isinstance(item, dict)), {})

    def cells(
        self, org: Mapping[str, Any] | None, places: Mapping[str, Any], terms: Mapping[str, Any]
    ) -> dict[str, str]:
        """Every spreadsheet column plus the HSDS-only status, eligibility and assured date."""
        service = self.service
        schedule = self.first("schedules")
        cost = self.first("cost_options")
        credential = self.first("x-credentials")
        place, online = self.place(places)
        address = next(
            (item for item in place.get("addresses") or [] if isinstance(item, dict)), {}
        )
        currency = cost.get("currency")
        if currency is not None:
            if isinstance(currency, str) and re.fullmatch(r"[A-Za-z]{3}", currency):
                self.extras["currency"] = currency.upper()
            else:
                self.fail("cost_options.currency", f"{currency!r} is not a 3-letter currency code")
        form = service.get("x-format") or ("in_person" if place else "online" if online else "")
        values = {
            "external_id": service.get("x-external-id"),
            "title": service.get("name"),
            "provider": org.get("name") if org else "",
            "description": service.get("description"),
            "topics": ";".join(self.topics(terms)),
            "min_age": service.get("minimum_age"),
            "max_age": service.get("maximum_age"),
            "cost": cost.get("amount"),
            "cost_notes": service.get("fees_description"),
            "format": form,
            "address": address.get("address_1"),
            "neighborhood": place.get("x-neighbourhood"),
            "city": address.get("city"),
            "latitude": place.get("latitude"),
            "longitude": place.get("longitude"),
            "days": days_cell(schedule.get("byday")),
            "start_time": clock_cell(schedule.get("opens_at")),
            "end_time": clock_cell(schedule.get("closes_at")),
            "start_date": schedule.get("valid_from"),
            "end_date": schedule.get("valid_to"),
            "application_deadline": service.get("x-application-deadline"),
            "languages": ";".join(
                str(language.get("code") or language.get("name") or "")
                for language in service.get("languages") or []
                if isinstance(language, dict)
            ),
            "credential": credential.get("name"),
            "credential_type": credential.get("credential_type"),
            "enroll_url": service.get("url"),
            "contact_phone": self.first("phones").get("number"),
            "contact_email": service.get("email"),
            "status": service.get("status"),
            "eligibility": service.get("eligibility_description"),
            "assured_date": service.get("assured_date"),
        }
        original = self.original()
        values |= self.translations(has_original=original is not None)
        if original is not None:  # written in another language (x-language): see export_hsds
            values |= {"title": original.get("name"), "description": original.get("description")}
        if place:
            self.location_details = self.details(place, address)
        elif online.get("url"):  # the online place it is joined at (see rows._online_place)
            values["location_url"] = online["url"]
        return {column: self.text(value, column) for column, value in values.items()}

    def original(self) -> dict[str, Any] | None:
        """The source-language name and description of a service written in another language
        (its x-language), from x-translations; None for a service in the source language."""
        language = self.service.get("x-language")
        if language in (None, SOURCE_LANGUAGE):
            return None
        given = self.service.get("x-translations")
        original = given.get(SOURCE_LANGUAGE) if isinstance(given, dict) else None
        if not isinstance(original, dict):
            self.report.add(
                f"x-language is {language!r}, so x-translations.{SOURCE_LANGUAGE} must hold the "
                "original name and description",
                self.number,
            )
            return None
        return original

    def translations(self, *, has_original: bool) -> dict[str, Any]:
        """title_<code> and description_<code> from x-translations; none when the service has no
        x-translations (its listing's translations are left alone), else every language's (one
        it does not name is removed)."""
        given = self.service.get("x-translations")
        if given is None:
            return {}
        if not isinstance(given, dict):
            self.report.add("x-translations must be an object of languages", self.number)
            return {}
        for code in given:
            if code == SOURCE_LANGUAGE and has_original:
                continue  # the original of a service written in another language
            try:
                parse_translation_language(str(code))
            except FieldError as error:
                self.report.add(f"x-translations: {error}", self.number)
        cells: dict[str, Any] = {}
        for code in translation_languages():
            text = given.get(code) or {}
            if not isinstance(text, dict):
                self.report.add(f"x-translations.{code} must be an object", self.number)
                text = {}
            for column, key in TRANSLATED_FIELDS.items():
                cells[f"{column}_{code}"] = text.get(key)
        return cells

    def topics(self, terms: Mapping[str, Any]) -> list[str]:
        """Names of the taxonomy terms the service's attributes point at."""
        names = []
        for attribute in self.service.get("attributes") or []:
            if not isinstance(attribute, dict):
                continue
            term = attribute.get("taxonomy_term") or terms.get(
                str(attribute.get("taxonomy_term_id"))
            )
            if not isinstance(term, dict) or not term.get("name"):
                self.fail(
                    "topics",
                    f"taxonomy_term_id {attribute.get('taxonomy_term_id')!r} is not among the "
                    "taxonomy_terms",
                )
                continue
            names.append(str(term["name"]))
        return names

    def place(self, places: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The first physical and the first virtual location the service is at ({}: none)."""
        physical: dict[str, Any] = {}
        virtual: dict[str, Any] = {}
        for link in self.service.get("service_at_locations") or []:
            location_id = str(link.get("location_id")) if isinstance(link, dict) else None
            place = places.get(location_id or "")
            if place is None:
                self.fail(
                    "service_at_locations",
                    f"location_id {location_id!r} is not among the locations",
                )
                continue
            if place.get("location_type", "physical") == "virtual":
                virtual = virtual or place
            elif not physical:
                physical = place
        return physical, virtual

    def details(self, place: Mapping[str, Any], address: Mapping[str, Any]) -> dict[str, Any]:
        """What a new location takes from the HSDS location beyond the spreadsheet's cells."""
        accessibility = "\n".join(
            str(item.get("description"))
            for item in place.get("accessibility") or []
            if isinstance(item, dict) and item.get("description")
        )
        details = {
            "name": place.get("name"),
            "postal_code": address.get("postal_code"),
            "state_province": address.get("state_province"),
            "country": address.get("country"),
            "url": place.get("url"),
            "transport": place.get("transportation"),
            "accessibility": accessibility or None,
        }
        for field, value in list(details.items()):
            limit = getattr(Location.__table__.c[field].type, "length", None)
            if value is None:
                del details[field]
            elif not isinstance(value, str) or (limit and len(value) > limit):
                self.fail("locations", f"{field} must be text of at most {limit} characters")
                del details[field]
        for field, parse in (("country", parse_country), ("url", parse_web_url)):
            given = details.get(field)
            if isinstance(given, str):  # checked as the spreadsheet's country and location_url
                try:
                    details[field] = parse(given)
                except FieldError as error:
                    self.fail("locations", f"{field}: {error}")
                    del details[field]
        return details
