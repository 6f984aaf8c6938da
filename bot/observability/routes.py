"""/metrics and /ready on a Sanic app (the gateway's, the action server's): for Prometheus and for
the load balancer or Kubernetes, scraped and probed on each replica directly."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from prometheus_client import CollectorRegistry
from prometheus_client.registry import Collector
from sanic import Blueprint, HTTPResponse, Request, response

from bot.observability.health import Check, readiness
from bot.observability.metrics import CONTENT_TYPE, exposition

METRICS_PATH, READY_PATH, HEALTH_PATH = "/metrics", "/ready", "/health"
PROBES = (METRICS_PATH, READY_PATH, HEALTH_PATH)


def probes_blueprint(
    name: str,
    sources: Sequence[CollectorRegistry | Collector],
    checks: Mapping[str, Check],
) -> Blueprint:
    """GET /metrics (the sources and the process's own figures) and GET /ready (the checks)."""
    bp = Blueprint(name)

    @bp.get(METRICS_PATH)
    async def metrics(request: Request) -> HTTPResponse:
        """The Prometheus text format; the queue gauges may read the database, so in a thread."""
        body = await asyncio.to_thread(exposition, *sources)
        return HTTPResponse(body, content_type=CONTENT_TYPE)

    @bp.get(READY_PATH)
    async def ready(request: Request) -> HTTPResponse:
        """200 when every dependency answered in time, else 503; the body names each check."""
        status, body = await readiness(checks)
        return response.json(body, status=status)

    return bp
