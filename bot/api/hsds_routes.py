"""The Open Referral HSDS 3.0 read API under /hsds (docs/hsds.md): the directory's services,
organizations, service-at-location links and taxonomies as HSDS's objects and pages, built by
knowledge.transfer.hsds.nesting. Public and read-only, limited per address; every refusal is
bot.api.errors' shape."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, NoReturn

from sanic import Blueprint, HTTPResponse, Request, response

from bot.api.auth import BucketsFor, client_address, memory_buckets
from bot.api.errors import ApiError, FieldProblem
from bot.transactions import DatabaseRunner
from knowledge.transfer.hsds import nesting
from knowledge.transfer.hsds.nesting import NotFound, Paging, ServiceFilter
from knowledge.transfer.hsds.place import AddressDefaults

HSDS_PREFIX = "/hsds"
MAX_PER_PAGE = 100
Handler = Callable[..., Awaitable[dict[str, Any]]]
# The query parameters each list takes (others are refused, so a typo is not silently ignored).
PAGING = {"page", "per_page"}
SERVICE_FILTERS = {"search", "taxonomy_term_id", "organization_id", "modified_after"}
WHAT = {
    "services": "service",
    "organizations": "organization",
    "service_at_locations": "service_at_location",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
}


def hsds_blueprint(
    database: DatabaseRunner,
    defaults: AddressDefaults,
    rate_per_minute: int,
    buckets_for: BucketsFor = memory_buckets,
) -> Blueprint:
    """The HSDS routes, bound to the database runner, the city's address defaults and time zone,
    and how often one address may call them a minute."""
    bp = Blueprint("hsds", url_prefix=HSDS_PREFIX)
    buckets = buckets_for("hsds_public", rate_per_minute)

    def public(handler: Handler) -> Callable[..., Coroutine[Any, Any, HTTPResponse]]:
        """Rate limit by address, 404 for an unknown id, and the API's error shape."""

        @functools.wraps(handler)
        async def run(request: Request, **params: Any) -> HTTPResponse:
            try:
                await buckets.take(client_address(request))
                body = await handler(request, **params)
            except ApiError as error:
                return error.response()
            except NotFound as missing:
                kind = WHAT[request.path.removeprefix(HSDS_PREFIX + "/").split("/")[0]]
                return ApiError(
                    404, f"there is no {kind} {missing}; take ids from the lists"
                ).response()
            return response.json(body)

        return run

    @bp.get("/")
    @public
    async def info(request: Request) -> dict[str, Any]:
        """HSDS's version and profile, and where its API is described."""
        _only(request, set())
        return nesting.api_info()

    @bp.get("/services")
    @public
    async def services(request: Request) -> dict[str, Any]:
        """A page of services; full=true nests each one whole."""
        _only(request, PAGING | SERVICE_FILTERS | {"full"})
        paging, wanted, full = _paging(request), _service_filter(request), _flag(request, "full")
        return await database(
            lambda session: nesting.services_page(session, defaults, paging, wanted, full=full)
        )

    @bp.get("/services/<service_id:str>")
    @public
    async def service(request: Request, service_id: str) -> dict[str, Any]:
        """One service with its organization, places, schedule, costs and attributes."""
        _only(request, set())
        return await database(lambda session: nesting.service(session, defaults, service_id))

    @bp.get("/organizations")
    @public
    async def organizations(request: Request) -> dict[str, Any]:
        """A page of organizations."""
        _only(request, PAGING | {"search"})
        paging, search = _paging(request), _text(request, "search")
        return await database(
            lambda session: nesting.organizations_page(session, defaults, paging, search)
        )

    @bp.get("/organizations/<org_id:str>")
    @public
    async def organization(request: Request, org_id: str) -> dict[str, Any]:
        """One organization with its places and services."""
        _only(request, set())
        return await database(lambda session: nesting.organization(session, defaults, org_id))

    @bp.get("/service_at_locations")
    @public
    async def service_at_locations(request: Request) -> dict[str, Any]:
        """A page of where services are held, filtered as services are."""
        _only(request, PAGING | SERVICE_FILTERS)
        paging, wanted = _paging(request), _service_filter(request)
        return await database(
            lambda session: nesting.service_at_locations_page(session, defaults, paging, wanted)
        )

    @bp.get("/service_at_locations/<link_id:str>")
    @public
    async def service_at_location(request: Request, link_id: str) -> dict[str, Any]:
        """One service at one place, the place nested whole."""
        _only(request, set())
        return await database(
            lambda session: nesting.service_at_location(session, defaults, link_id)
        )

    @bp.get("/taxonomies")
    @public
    async def taxonomies(request: Request) -> dict[str, Any]:
        """The directory's two taxonomies: its topics, and the fields HSDS has none for."""
        _only(request, PAGING | {"search"})
        return nesting.taxonomies_page(_paging(request), _text(request, "search"))

    @bp.get("/taxonomies/<taxonomy_id:str>")
    @public
    async def taxonomy(request: Request, taxonomy_id: str) -> dict[str, Any]:
        """One taxonomy."""
        _only(request, set())
        return nesting.taxonomy(taxonomy_id)

    @bp.get("/taxonomy_terms")
    @public
    async def taxonomy_terms(request: Request) -> dict[str, Any]:
        """A page of terms, of one taxonomy when taxonomy_id is given."""
        _only(request, PAGING | {"search", "taxonomy_id"})
        paging, search = _paging(request), _text(request, "search")
        taxonomy_id = _text(request, "taxonomy_id")
        return await database(
            lambda session: nesting.taxonomy_terms_page(session, paging, search, taxonomy_id)
        )

    @bp.get("/taxonomy_terms/<term_id:str>")
    @public
    async def taxonomy_term(request: Request, term_id: str) -> dict[str, Any]:
        """One term with its taxonomy."""
        _only(request, set())
        return await database(lambda session: nesting.taxonomy_term(session, term_id))

    return bp


def _bad(name: str, message: str) -> NoReturn:
    """400 for one bad query parameter."""
    raise ApiError(400, f"{name} {message}", [FieldProblem(name, message)])


def _only(request: Request, allowed: set[str]) -> None:
    """Refuse a query parameter this route does not take."""
    unknown = sorted(set(request.get_args(keep_blank_values=True)) - allowed)
    if unknown:
        takes = ", ".join(sorted(allowed)) or "no query parameters"
        _bad(unknown[0], f"is not a query parameter here; this route takes {takes}")


def _text(request: Request, name: str) -> str | None:
    """A text parameter, None when absent or blank."""
    value = request.get_args(keep_blank_values=True).get(name)
    return value.strip() or None if value is not None else None


def _whole(request: Request, name: str, default: int, top: int) -> int:
    """A whole number from 1 to `top`."""
    raw = request.get_args(keep_blank_values=True).get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10 and 1 <= int(raw) <= top):
        _bad(name, f"must be a whole number from 1 to {top}, not {raw[:20]!r}")
    return int(raw)


def _paging(request: Request) -> Paging:
    """page (from 1) and per_page (1 to MAX_PER_PAGE, default 50)."""
    return Paging(_whole(request, "page", 1, 10**8), _whole(request, "per_page", 50, MAX_PER_PAGE))


def _flag(request: Request, name: str) -> bool:
    """A true/false parameter."""
    raw = request.get_args(keep_blank_values=True).get(name)
    if raw is None or raw.lower() == "false":
        return False
    if raw.lower() == "true":
        return True
    return _bad(name, f"must be true or false, not {raw[:20]!r}")


def _service_filter(request: Request) -> ServiceFilter:
    """search, taxonomy_term_id, organization_id and modified_after."""
    return ServiceFilter(
        search=_text(request, "search"),
        taxonomy_term_id=_text(request, "taxonomy_term_id"),
        organization_id=_text(request, "organization_id"),
        modified_after=_moment(_text(request, "modified_after")),
    )


def _moment(value: str | None) -> datetime | None:
    """An ISO 8601 date or time, UTC unless it says otherwise, as the naive UTC stored."""
    if value is None:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _bad("modified_after", f"{value[:40]!r} is not an ISO 8601 time; e.g. 2027-01-09T10:00:00Z")
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
