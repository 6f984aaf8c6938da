"""The /api/v1 routes: each checks the token and its rate, reads the request, runs one step in
the database (bot.api.queries) and answers JSON; every refusal is bot.api.errors' shape."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from typing import Any

from sanic import Blueprint, HTTPResponse, Request, response
from sqlalchemy.exc import IntegrityError

from bot.api import API_PREFIX, queries
from bot.api.auth import (
    BucketsFor,
    FailedAuthentications,
    bearer_token,
    client_address,
    member_id_for,
    memory_buckets,
)
from bot.api.errors import ApiError
from bot.api.inputs import csv_body, import_options, json_body, page_of, version_of
from bot.api.openapi import document_json
from bot.transactions import DatabaseRunner
from knowledge.editing.member_edits import StaleVersion

logger = logging.getLogger(__name__)
RACE = "another request changed the same records at the same moment; send yours again"
Handler = Callable[..., Awaitable[queries.Answer]]


def api_blueprint(
    database: DatabaseRunner, rate_per_minute: int, buckets_for: BucketsFor = memory_buckets
) -> Blueprint:
    """The API's routes, bound to the database runner its host gives it, to how often a token
    may call it a minute and to where the rate is counted (the host's memory, or Redis shared by
    several gateways); the API knows nothing of the gateway that mounts it."""
    bp = Blueprint("api_v1", url_prefix=API_PREFIX)
    buckets = buckets_for("api_token", rate_per_minute)
    # an address may fail to authenticate as often as a token may be used
    failures = FailedAuthentications(buckets_for("api_failed", rate_per_minute))

    async def authenticated(request: Request) -> int:
        """The caller's member id; bad tokens are throttled by address, never at a member's cost."""
        address = client_address(request)
        await failures.check(address)  # 429 while this address keeps failing, before any lookup
        try:
            token = bearer_token(request)
            await buckets.check(token)  # a valid token's runaway loop costs no lookup
            member_id = await database(lambda session: member_id_for(session, token))
        except ApiError as error:
            if error.status == 401:
                await failures.failed(address)
            raise
        await buckets.take(token)  # only a valid token spends its bucket
        return member_id

    def member_route(handler: Handler) -> Callable[..., Coroutine[Any, Any, HTTPResponse]]:
        """Token, rate limit and error shape around a handler that gets the caller's member id."""

        @functools.wraps(handler)
        async def run(request: Request, **params: Any) -> HTTPResponse:
            try:
                member_id = await authenticated(request)
                answer = await handler(request, member_id, **params)
            except ApiError as error:
                return error.response()
            except IntegrityError:  # e.g. two requests adding the same new topic at once
                logger.warning("%s %s lost a race", request.method, request.path, exc_info=True)
                return ApiError(409, RACE).response()
            return response.json(answer.body, status=answer.status, headers=answer.headers)

        return run

    async def db(step: Callable[..., queries.Answer], *args: Any) -> queries.Answer:
        """One step of bot.api.queries in its own transaction."""
        return await database(lambda session: step(session, *args))

    async def written(
        step: Callable[..., queries.Answer], member_id: int, listing_id: int, *args: Any
    ) -> queries.Answer:
        """A write to a listing; a stale version becomes 409 with the listing as it is now."""
        try:
            return await db(step, member_id, listing_id, *args)
        except StaleVersion as error:
            return await db(queries.stale, member_id, listing_id, error.expected)

    @bp.get("/openapi.json")
    async def openapi(_request: Request) -> HTTPResponse:
        """This API's OpenAPI 3.1 document (no token needed)."""
        return response.text(document_json(), content_type="application/json; charset=utf-8")

    public = buckets_for("api_public", rate_per_minute)  # what anyone may read, by address

    @bp.get("/achievements/<achievement_id:str>")
    async def read_achievement(request: Request, achievement_id: str) -> HTTPResponse:
        """A credential as an Open Badges 3.0 Achievement (public: no token, limited by address)."""
        try:
            await public.take(client_address(request))
            answer = await db(queries.achievement, achievement_id)
        except ApiError as error:
            return error.response()
        return response.json(answer.body, status=answer.status, headers=answer.headers)

    @bp.get("/opportunities")
    @member_route
    async def list_opportunities(request: Request, member_id: int) -> queries.Answer:
        """The caller's listings, a page at a time; with modified_after, only those changed."""
        return await db(queries.list_page, member_id, page_of(request))

    @bp.post("/opportunities")
    @member_route
    async def create_opportunity(request: Request, member_id: int) -> queries.Answer:
        """A new listing for one of the caller's providers."""
        return await db(queries.create, member_id, json_body(request), date.today())

    @bp.get("/opportunities/<listing_id:int>")
    @member_route
    async def read_opportunity(
        _request: Request, member_id: int, listing_id: int
    ) -> queries.Answer:
        """One listing, with its version as ETag."""
        return await db(queries.read_listing, member_id, listing_id)

    @bp.patch("/opportunities/<listing_id:int>")
    @member_route
    async def update_opportunity(
        request: Request, member_id: int, listing_id: int
    ) -> queries.Answer:
        """Change the fields sent; the version read must still be current."""
        body = json_body(request)
        version = version_of(request, body, required=True)
        assert version is not None
        return await written(queries.update, member_id, listing_id, body, version, date.today())

    @bp.post("/opportunities/<listing_id:int>/close")
    @member_route
    async def close_opportunity(
        request: Request, member_id: int, listing_id: int
    ) -> queries.Answer:
        """The listing ended: it becomes inactive and learners stop seeing it."""
        body = json_body(request) if request.body else None
        version = version_of(request, body, required=False)
        if body:
            raise ApiError(400, 'closing takes no fields; send {} or {"version": 3}')
        return await written(queries.close, member_id, listing_id, version, date.today())

    @bp.post("/imports")
    @member_route
    async def import_spreadsheet(request: Request, member_id: int) -> queries.Answer:
        """The directory spreadsheet as CSV: every row written, or none (the report says why)."""
        data = csv_body(request)
        return await db(queries.upload, member_id, data, import_options(request))

    @bp.get("/requests/<request_id:int>")
    @member_route
    async def change_request(_request: Request, member_id: int, request_id: int) -> queries.Answer:
        """A change waiting for review: its state, and the reason when rejected."""
        return await db(queries.request_state, member_id, request_id)

    return bp
