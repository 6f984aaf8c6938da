"""The load generator's arithmetic and its HTTP path against a local stand-in server."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from benchmarks.load import Sample, arrivals, percentile, rest_sender, run_load, summarise


def test_percentile_interpolates() -> None:
    assert percentile([], 50) is None
    assert percentile([10.0], 95) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(range(101)), 95) == 95


def test_arrivals_offer_the_asked_rate() -> None:
    times = arrivals(20.0, 100.0, random.Random(1))
    assert 1800 < len(times) < 2200
    assert times == sorted(times) and times[-1] < 100.0


def test_summaries_count_only_successful_search_turns() -> None:
    samples = [Sample(0.1, True, True), Sample(0.3, True, True), Sample(5.0, False, True),
               Sample(9.0, True, False)]  # fmt: skip
    result = summarise(samples, 2.0, 2.0)
    assert (result.sent, result.errors, result.achieved_rate) == (4, 1, 2.0)
    assert result.p50_ms == 200.0


class _Rasa(BaseHTTPRequestHandler):
    """Answers like the REST channel."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        data = json.dumps([{"recipient_id": body["sender"], "text": "ok"}]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Rasa)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_an_open_loop_run_against_a_local_server(url: str) -> None:
    result = run_load(rest_sender(url), rate=40.0, duration_s=2.0)
    assert result.errors == 0
    assert 40 <= result.sent <= 130
    assert result.p95_ms is not None and result.p95_ms < 500
