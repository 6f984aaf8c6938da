"""Every refusal in one JSON shape, {"error": …, "problems": [{"field", "message"}]}, so a
client can show the group exactly what to fix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sanic import HTTPResponse, response
from sanic.exceptions import SanicException

from knowledge.transfer.report import Problem


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong, at a JSON field (or a spreadsheet column and row for an upload)."""

    field: str | None
    message: str
    row: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The problem as the client sees it."""
        found: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.row is not None:
            found["row"] = self.row
        return found


class ApiError(Exception):
    """A request the API refuses; the message says what to send instead."""

    def __init__(
        self,
        status: int,
        message: str,
        problems: Sequence[FieldProblem] = (),
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = list(problems)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def response(self) -> HTTPResponse:
        """The JSON answer."""
        return error_response(self.status, self.message, self.problems, self.headers, self.extra)


def error_response(
    status: int,
    message: str,
    problems: Iterable[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> HTTPResponse:
    """{"error", "problems", …} with the status and headers given."""
    body = {"error": message, "problems": [problem.as_json() for problem in problems]}
    return response.json({**body, **(extra or {})}, status=status, headers=dict(headers or {}))


def invalid(problems: Sequence[FieldProblem], *, status: int = 422) -> ApiError:
    """Refuse a request whose fields have problems, naming every one."""
    count = len(problems)
    listed = "; ".join(
        f"{problem.field}: {problem.message}" if problem.field else problem.message
        for problem in problems
    )
    noun = "problem" if count == 1 else "problems"
    return ApiError(status, f"{count} {noun}, nothing was changed: {listed}", problems)


def from_problems(problems: Iterable[Problem], names: Mapping[str, str]) -> list[FieldProblem]:
    """The domain's problems (by spreadsheet field name) at the JSON names the client sent."""
    return [
        FieldProblem(
            names.get(problem.column, problem.column) if problem.column else None, problem.message
        )
        for problem in problems
    ]


def sanic_error(error: SanicException) -> HTTPResponse:
    """Sanic's own refusals under /api/v1 (no such route, wrong method, body too large)."""
    status = int(error.status_code or 500)
    message = str(error) or "the request could not be handled"
    if status == 404:
        message = f"{message}; the routes are listed in /api/v1/openapi.json"
    headers = {str(k): str(v) for k, v in (getattr(error, "headers", None) or {}).items()}
    return error_response(status, message, headers=headers)


def unexpected() -> HTTPResponse:
    """Our own failure (logged by the caller): the client may retry, nothing was half-written."""
    return error_response(
        500, "Something went wrong on our side; nothing was changed. Please try again later."
    )
