"""Reading what a request sends: its JSON or CSV body, the version it edits, paging and ids.

Each reader refuses with a 4xx that says what to send instead; none lets bad input reach the
database (huge numbers, NUL characters and such are caught here or in bot.api.fields).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NoReturn

from sanic import Request

from bot.api.errors import ApiError, FieldProblem
from bot.api.fields import checked_text

MAX_JSON_BYTES = 64 * 1024
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_ID = 2**31 - 1  # the database's integer ids
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
_ENTITY_TAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')
_VERSION = 'send the version you read, as If-Match: "3" or a "version" field'


def row_id(value: int, what: str) -> int:
    """A path id the database can hold; any other is simply not found."""
    if not 1 <= value <= MAX_ID:
        raise ApiError(404, f"there is no {what} {value}")
    return value


def too_large(request: Request, limit: int) -> None:
    """413 before reading a body larger than we take."""
    declared = request.headers.get("Content-Length", "")
    size = int(declared) if declared.isdigit() else len(request.body or b"")
    if size > limit or len(request.body or b"") > limit:
        raise ApiError(413, f"the body is larger than {limit // 1024} KiB; send less at a time")


def media_type(request: Request) -> str:
    """The Content-Type without its parameters, lower-case."""
    return str(request.headers.get("Content-Type", "")).split(";")[0].strip().lower()


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (numbers with a fraction kept exact as Decimal)."""
    kind = media_type(request)
    if kind != "application/json" and not kind.endswith("+json"):
        raise ApiError(415, "send the body as JSON with 'Content-Type: application/json'")
    too_large(request, MAX_JSON_BYTES)
    raw = request.body or b""
    try:
        body = json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise ApiError(400, "the body is not UTF-8 text; send JSON encoded as UTF-8") from None
    except json.JSONDecodeError as error:
        raise ApiError(
            400,
            f"the body is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})",
        ) from None
    except (ValueError, RecursionError) as error:
        raise ApiError(400, f"the body is not JSON we can read: {error}") from None
    if not isinstance(body, dict):
        raise ApiError(400, 'the body must be a JSON object, e.g. {"seats_available": 4}')
    return body


def _no_constant(name: str) -> NoReturn:
    """NaN and Infinity are not JSON, whatever Python's parser allows."""
    raise ValueError(f"{name} is not a JSON number")


def csv_body(request: Request) -> bytes:
    """A spreadsheet upload: text/csv, at most 2 MiB."""
    if media_type(request) not in ("text/csv", "application/csv"):
        raise ApiError(415, "send the spreadsheet as CSV (UTF-8) with 'Content-Type: text/csv'")
    too_large(request, MAX_CSV_BYTES)
    return bytes(request.body or b"")


@dataclass(frozen=True)
class ImportOptions:
    """How to import an upload: check only, its name (for the report and reviewers), and
    whether an organiser overwrites listings changed since the export the file comes from."""

    dry_run: bool
    name: str
    force: bool


def import_options(request: Request) -> ImportOptions:
    """An upload's dry_run and force (true/false) and name."""
    args = request.get_args(keep_blank_values=True)
    unknown = sorted(set(args) - {"dry_run", "name", "force"})
    if unknown:
        _bad(unknown[0], "is not a query parameter of this route; use dry_run, force or name")
    flags = {}
    for flag in ("dry_run", "force"):
        value = str(args.get(flag, "false")).lower()
        if value not in ("true", "false", "1", "0"):
            _bad(flag, f"must be true or false, not {value[:20]!r}")
        flags[flag] = value in ("true", "1")
    name = str(args.get("name", "")).strip()[:120] or "upload.csv"
    try:
        checked_text(name)
    except ValueError as error:
        _bad("name", str(error))
    return ImportOptions(flags["dry_run"], name, flags["force"])


def version_of(request: Request, body: dict[str, Any] | None, *, required: bool) -> int | None:
    """The version the client read, from If-Match or the body's "version" (taken out of it)."""
    header = request.headers.get("If-Match")
    from_header = None if header is None else _entity_tag(header)
    from_body = None
    if body is not None and "version" in body:
        given = body.pop("version")
        if isinstance(given, bool) or not isinstance(given, int) or not 1 <= given <= MAX_ID:
            problem = FieldProblem("version", _VERSION)
            raise ApiError(400, "version must be the whole number you read", [problem])
        from_body = given
    if from_header is not None and from_body is not None and from_header != from_body:
        raise ApiError(
            400,
            f"If-Match says version {from_header} but the body says {from_body}; send one",
            [FieldProblem("version", _VERSION)],
        )
    version = from_header if from_header is not None else from_body
    if version is None and required:
        raise ApiError(
            428,
            f"{_VERSION} (GET the listing first), so a change made since is not overwritten",
            [FieldProblem("version", "is required")],
        )
    return version


def _entity_tag(header: str) -> int:
    """The version in an If-Match header: "3", W/"3" or 3."""
    match = _ENTITY_TAG.match(header.strip())
    if match is None:
        raise ApiError(
            400,
            f'If-Match must hold the version you read, e.g. If-Match: "3", not {header[:40]!r}',
            [FieldProblem("version", _VERSION)],
        )
    return int(match[1])


@dataclass(frozen=True)
class Page:
    """Which listings a list request wants: a page size, where to go on, changed since when."""

    limit: int
    after: tuple[datetime, int] | None  # the cursor: (modified_at, id) of the last one seen
    modified_after: datetime | None


def page_of(request: Request) -> Page:
    """limit (1-100, default 50), cursor (from "next") and modified_after (ISO 8601)."""
    args = request.get_args(keep_blank_values=True)
    unknown = sorted(set(args) - {"limit", "cursor", "modified_after"})
    if unknown:
        _bad(unknown[0], "is not a query parameter here; use limit, cursor or modified_after")
    raw_limit = args.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        digits = raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) < 5
        if not digits or not 1 <= int(raw_limit) <= MAX_LIMIT:
            _bad("limit", f"must be a whole number from 1 to {MAX_LIMIT}, not {raw_limit[:20]!r}")
        limit = int(raw_limit)
    cursor = args.get("cursor")
    modified = args.get("modified_after")
    return Page(limit, None if cursor is None else decode_cursor(cursor), _moment(modified))


def _moment(value: str | None) -> datetime | None:
    """An ISO 8601 date or time; without a zone it is UTC. Stored times are naive UTC."""
    if value is None:
        return None
    text = value.strip()
    try:
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        _bad(
            "modified_after",
            f"{value[:40]!r} is not an ISO 8601 time; write e.g. 2027-01-09T10:00:00Z "
            "(the modified_at of the last listing you synced)",
        )
    return moment


def encode_cursor(modified_at: datetime, listing_id: int) -> str:
    """Where the next page starts: after this listing, in (modified_at, id) order."""
    raw = f"{modified_at.isoformat(timespec='microseconds')}|{listing_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """A cursor from a page's "next", or 400."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, _, number = base64.urlsafe_b64decode(padded.encode("ascii")).decode().partition("|")
        found = (datetime.fromisoformat(moment), int(number))
        if found[0].tzinfo is not None or not 0 <= found[1] <= MAX_ID:
            raise ValueError(cursor)
        return found
    except (ValueError, UnicodeError, binascii.Error):
        _bad("cursor", 'is not one we gave out; copy "next" from the last page, or start over')


def _bad(name: str, message: str) -> NoReturn:
    """400 for one bad query parameter."""
    raise ApiError(400, f"{name} {message}", [FieldProblem(name, message)])
