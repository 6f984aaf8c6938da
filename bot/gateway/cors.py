"""Cross-origin calls: same-origin by default; sites on WAYFINDER_CORS_ORIGINS may embed the
widget and call the gateway's APIs from their pages."""

from __future__ import annotations

from sanic import DefaultSanic, HTTPResponse, Request, response
from sanic.response import BaseHTTPResponse

from bot.gateway.settings import GatewaySettings
from bot.gateway.web import SESSION_HEADER


def allow_listed_origins(app: DefaultSanic, settings: GatewaySettings) -> None:
    """Answer preflights and add CORS headers for the allowed origins, on every route."""

    async def preflight(request: Request) -> HTTPResponse | None:
        """CORS preflight for embedding sites on the allow-list."""
        if request.method == "OPTIONS" and _allowed_origin(request, settings):
            return response.empty(headers=_cors_headers(request))
        return None

    async def cors(request: Request, reply: BaseHTTPResponse) -> None:
        """Same-origin by default; sites on WAYFINDER_CORS_ORIGINS may call the API."""
        if _allowed_origin(request, settings):
            reply.headers.update(_cors_headers(request))

    app.register_middleware(preflight, "request")
    app.register_middleware(cors, "response")


def _allowed_origin(request: Request, settings: GatewaySettings) -> bool:
    """Whether the request's Origin is on the allow-list."""
    origin = request.headers.get("Origin", "").rstrip("/")
    return bool(origin) and origin in settings.cors_origins


def _cors_headers(request: Request) -> dict[str, str]:
    """CORS headers for an allowed origin."""
    return {
        "Access-Control-Allow-Origin": request.headers.get("Origin", ""),
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": f"Content-Type, {SESSION_HEADER}",
        "Access-Control-Max-Age": "600",  # one preflight per 10 minutes, not one per poll
        "Vary": "Origin",
    }
