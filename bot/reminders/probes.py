"""The worker's small HTTP server (WAYFINDER_WORKER_METRICS_PORT; off when unset): /metrics for
Prometheus, /health (the process answers) and /ready (the database answers), in a daemon thread
beside the reminder loop."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.observability.health import DatabaseCheck, readiness
from bot.observability.metrics import CONTENT_TYPE, WORKER, WORKER_ERRORS, exposition
from bot.observability.queues import QueueGauges

logger = logging.getLogger(__name__)


def serve_probes(
    host: str, port: int, engine: Engine, sessions: sessionmaker[Session]
) -> ThreadingHTTPServer:
    """Start answering on host:port in a daemon thread; `shutdown()` the server to stop."""
    queues = QueueGauges(sessions, on_error=WORKER_ERRORS.labels("database").inc)
    database = DatabaseCheck(engine)

    class Probes(BaseHTTPRequestHandler):
        """GET /metrics, /health and /ready; anything else is a 404."""

        def do_GET(self) -> None:
            """Answer one probe."""
            path = self.path.partition("?")[0]
            if path == "/metrics":
                self._answer(200, exposition(WORKER, queues), CONTENT_TYPE)
            elif path == "/health":
                self._answer(200, b'{"status": "ok"}', "application/json")
            elif path == "/ready":
                status, body = asyncio.run(readiness({"database": database}))
                self._answer(status, json.dumps(body).encode(), "application/json")
            else:
                self._answer(404, b'{"error": "not found"}', "application/json")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            """Send the status, headers and body."""
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Scrapes every few seconds are not worth a log line each."""

    server = ThreadingHTTPServer((host, port), Probes)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="probes", daemon=True).start()
    logger.info("worker probes: http://%s:%s/metrics, /health, /ready", host, port)
    return server
