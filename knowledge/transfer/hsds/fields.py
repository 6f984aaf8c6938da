"""Reading an HSDS service as a spreadsheet row, shared by the Tabular Data Package import
(hsds.package_import) and the older single-document import (hsds_import): where each column
lives, and HSDS's weekday codes and clock times written as the spreadsheet writes them."""

from __future__ import annotations

import re
from typing import Any

# Our days as RRULE BYDAY codes (schedule.byday), and back.
BYDAY = {"Mon": "MO", "Tue": "TU", "Wed": "WE", "Thu": "TH", "Fri": "FR", "Sat": "SA", "Sun": "SU"}
DAY_OF = {code: day for day, code in BYDAY.items()}
# Where the spreadsheet columns both forms keep alike live in an HSDS service, for problem
# messages; each import adds the columns it keeps elsewhere (attributes, x- fields).
SERVICE_FIELDS = {
    "title": "name",
    "provider": "organization_id",
    "description": "description",
    "min_age": "minimum_age",
    "max_age": "maximum_age",
    "cost": "cost_options.amount",
    "cost_notes": "fees_description",
    "latitude": "locations.latitude",
    "longitude": "locations.longitude",
    "days": "schedules.byday",
    "start_time": "schedules.opens_at",
    "end_time": "schedules.closes_at",
    "start_date": "schedules.valid_from",
    "end_date": "schedules.valid_to",
    "languages": "languages.code",
    "enroll_url": "url",
    "contact_phone": "phones.number",
    "contact_email": "email",
    "status": "status",
    "eligibility": "eligibility_description",
    "assured_date": "assured_date",
}
_CLOCK = re.compile(r"^(\d{1,2}:\d{2})(:\d{2})?(Z|[+-]\d{2}:?\d{2})?$")


def days_cell(byday: Any) -> str:
    """Mon;Wed from byday's MO,WE (in any case); a code that is no day is passed on as written,
    so the row's check names it."""
    return ";".join(
        DAY_OF.get(code.strip().upper(), code.strip())
        for code in str(byday or "").split(",")
        if code.strip()
    )


def clock_cell(value: Any) -> Any:
    """HH:MM from an HSDS time, which may carry seconds and a UTC offset (18:00-04:00); anything
    else is passed on as given, so the row's check names it rather than dropping it."""
    match = _CLOCK.match(value) if isinstance(value, str) else None
    return match[1] if match else value
