"""The worker's probes and metrics (bot/reminders/probes.py, worker.py, settings.py): /metrics,
/health and /ready on WAYFINDER_WORKER_METRICS_PORT, each pass counted, and the reminder's request
id sent on to the gateway."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.observability.logs import RequestIdFilter
from bot.observability.metrics import WORKER
from bot.reminders.probes import serve_probes
from bot.reminders.settings import WorkerSettings
from bot.reminders.worker import GatewayDeliverer, Messages, RasaIntentTrigger, ReminderWorker
from knowledge.db import make_engine, make_sessionmaker
from tests.bot.reminders.conftest import LATER, FakeRasa, schedule
from tests.serving import free_port


@pytest.fixture
def probes(database: str) -> Iterator[str]:
    """The probe server on the test city's database: its URL."""
    engine = make_engine(database)
    port = free_port()
    server = serve_probes("127.0.0.1", port, engine, make_sessionmaker(engine))
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()
    engine.dispose()


class Kept:
    """A deliverer that keeps what it was given."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, Messages]] = []

    def deliver(self, sender_id: str, channel: str | None, messages: Messages, key: str) -> None:
        self.delivered.append((sender_id, messages))


def test_health_ready_and_metrics_with_the_queue_read_from_the_database(
    probes: str, database: str
) -> None:
    engine = make_engine(database)
    schedule(engine, "tg-due")  # due on the listing's start date, long past by now
    engine.dispose()
    assert requests.get(f"{probes}/health", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{probes}/ready", timeout=10)
    assert ready.status_code == 200 and ready.json()["checks"]["database"]["ok"]
    page = requests.get(f"{probes}/metrics", timeout=10)
    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(page.text)
        for sample in family.samples
    }
    assert values["wayfinder_reminders_pending"] == 1
    assert "wayfinder_worker_last_pass_timestamp_seconds" in values
    assert "process_resident_memory_bytes" in values
    assert "wayfinder_messages_total" not in page.text  # the gateway's, not the worker's
    assert requests.get(f"{probes}/nowhere", timeout=5).status_code == 404


def test_ready_is_503_naming_the_database_when_its_url_points_nowhere() -> None:
    engine = make_engine(f"postgresql+psycopg://root@127.0.0.1:{free_port()}/nowhere")
    port = free_port()
    server = serve_probes("127.0.0.1", port, engine, make_sessionmaker(engine))
    try:
        ready = requests.get(f"http://127.0.0.1:{port}/ready", timeout=10)
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    finally:
        server.shutdown()
        server.server_close()
        engine.dispose()
    assert ready.status_code == 503
    assert ready.json()["checks"] == {
        "database": {
            "ok": False,
            "ms": ready.json()["checks"]["database"]["ms"],
            "error": "OperationalError",
        }
    }


def test_each_pass_counts_its_outcomes_and_marks_its_time(
    database: str, rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = rasa
    fake.failing_senders.add("tg-fails")
    engine = make_engine(database)
    schedule(engine, "tg-ok")
    schedule(engine, "tg-fails")

    def value(name: str, labels: dict[str, str] | None = None) -> float:
        return WORKER.get_sample_value(name, labels or {}) or 0.0

    before = (
        value("wayfinder_reminders_processed_total", {"outcome": "sent"}),
        value("wayfinder_reminders_processed_total", {"outcome": "failed"}),
        value("wayfinder_errors_total", {"kind": "rasa_unavailable"}),
        value("wayfinder_worker_pass_seconds_count"),
    )
    trigger = RasaIntentTrigger(url, timeout_s=5)
    worker = ReminderWorker(make_sessionmaker(engine), trigger, Kept())
    assert worker.run_once(now=lambda: LATER).sent == 1
    engine.dispose()
    after = (
        value("wayfinder_reminders_processed_total", {"outcome": "sent"}),
        value("wayfinder_reminders_processed_total", {"outcome": "failed"}),
        value("wayfinder_errors_total", {"kind": "rasa_unavailable"}),
        value("wayfinder_worker_pass_seconds_count"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1, 1]
    assert value("wayfinder_worker_last_pass_timestamp_seconds") > 1.7e9


def test_the_gateway_is_told_the_reminders_request_id() -> None:
    seen: list[dict[str, Any]] = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(dict(self.headers))
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"delivered": 1}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        GatewayDeliverer(url).deliver("tg-1", "telegram", [{"text": "Hi"}], "key-1")
    finally:
        server.shutdown()
        server.server_close()
    (headers,) = seen
    assert len(headers["X-Request-ID"]) == 32 and headers["Idempotency-Key"] == "key-1"


def test_the_probe_server_is_off_unless_a_port_is_set() -> None:
    assert WorkerSettings.from_env({}).metrics_port is None
    given = WorkerSettings.from_env(
        {"WAYFINDER_WORKER_METRICS_PORT": " 9102 ", "WAYFINDER_WORKER_METRICS_HOST": "0.0.0.0"}
    )
    assert (given.metrics_port, given.metrics_host) == (9102, "0.0.0.0")
    for bad in ("0", "70000", "http"):
        with pytest.raises(ValueError, match="WAYFINDER_WORKER_METRICS_PORT"):
            WorkerSettings.from_env({"WAYFINDER_WORKER_METRICS_PORT": bad})
    assert WorkerSettings.from_env({}).log_format == "text"
    with pytest.raises(ValueError, match="WAYFINDER_LOG_FORMAT"):
        WorkerSettings.from_env({"WAYFINDER_LOG_FORMAT": "xml"})


def test_each_reminder_logs_under_an_id_of_its_own_and_the_pass_after_under_none(
    database: str, rasa: tuple[FakeRasa, str], caplog: pytest.LogCaptureFixture
) -> None:
    fake, url = rasa
    fake.status = 500  # each reminder logs its failure
    engine = make_engine(database)
    schedule(engine, "tg-a")
    schedule(engine, "tg-b")
    caplog.handler.addFilter(RequestIdFilter())
    worker = ReminderWorker(make_sessionmaker(engine), RasaIntentTrigger(url, timeout_s=5), Kept())
    with caplog.at_level(logging.WARNING):
        assert worker.run_once(now=lambda: LATER).failed == 2
        logging.getLogger("bot.reminders.worker").warning("after the pass")
    engine.dispose()
    ids = [getattr(record, "request_id", "missing") for record in caplog.records]
    assert len(ids) == 3 and ids[0] != ids[1] and all(ids[:2]) and ids[2] is None
