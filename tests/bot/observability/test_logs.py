"""JSON log lines carry the request id of the message being handled (bot/observability/logs.py)."""

from __future__ import annotations

import asyncio
import contextvars
import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.observability.logs import (
    REQUEST_ID,
    JsonFormatter,
    RequestIdFilter,
    accepted_request_id,
    configure_logging,
    ensure_request_id,
)


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """A JSON handler on a logger of the test's own, writing to a buffer."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter("gateway"))
    log = logging.getLogger("tests.observability.logs")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield out
    log.removeHandler(handler)


def records(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_line_is_one_json_object_with_the_current_request_id(lines: io.StringIO) -> None:
    log = logging.getLogger("tests.observability.logs")

    def handled() -> None:
        REQUEST_ID.set("req-123")
        log.info("replied to %s", "web", extra={"channel": "web"})

    contextvars.copy_context().run(handled)
    log.info("outside any message")
    first, second = records(lines)
    assert first["message"] == "replied to web" and first["request_id"] == "req-123"
    assert first["service"] == "gateway" and first["level"] == "INFO" and first["channel"] == "web"
    assert str(first["time"]).endswith("+00:00")
    assert second["request_id"] is None


def test_an_exception_is_kept_in_the_same_line(lines: io.StringIO) -> None:
    log = logging.getLogger("tests.observability.logs")
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        log.exception("failed")
    (line,) = lines.getvalue().splitlines()
    assert "RuntimeError: boom" in json.loads(line)["exception"]


def test_each_task_keeps_its_own_request_id(lines: io.StringIO) -> None:
    log = logging.getLogger("tests.observability.logs")

    async def message(request_id: str) -> None:
        REQUEST_ID.set(request_id)
        await asyncio.sleep(0.01)  # the other message runs meanwhile
        log.info("answered %s", request_id)

    async def both() -> None:
        await asyncio.gather(message("one"), message("two"))

    asyncio.run(both())
    assert {(r["message"], r["request_id"]) for r in records(lines)} == {
        ("answered one", "one"),
        ("answered two", "two"),
    }


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("3f2a9c1e-77b0-4d6e-9d1f-0a1b2c3d4e5f", True),
        ("Root=1-67891233-abcdef012345678912345678", False),  # '=' is not in an id
        ("a" * 129, False),
        ("two words", False),
        ("line\nbreak", False),
        (42, False),
        (None, False),
    ],
)
def test_only_ids_that_look_like_ids_are_taken_from_outside(given: object, kept: bool) -> None:
    assert accepted_request_id(given) == (given if kept else None)


def test_a_message_without_an_id_gets_one_and_keeps_it() -> None:
    def turn() -> tuple[str, str, str | None]:
        return ensure_request_id(), ensure_request_id(), REQUEST_ID.get()

    first, again, current = contextvars.Context().run(turn)
    assert len(first) == 32 and first == again == current
    assert contextvars.Context().run(turn)[0] != first


def test_configure_logging_writes_json_or_text_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    try:
        configure_logging("json", service="reminder_worker")
        contextvars.Context().run(lambda: (REQUEST_ID.set("r1"), logging.getLogger("x").info("hi")))
        configure_logging("text", service="reminder_worker")
        logging.getLogger("x").info("plain")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in before[0]:
            root.addHandler(handler)
        root.setLevel(before[1])
    json_line, text_line = capsys.readouterr().err.splitlines()
    assert json.loads(json_line) | {"time": None} == {
        "time": None,
        "level": "INFO",
        "logger": "x",
        "message": "hi",
        "request_id": "r1",
        "service": "reminder_worker",
    }
    assert text_line.endswith("INFO x: plain") and not text_line.startswith("{")
