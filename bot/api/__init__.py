"""The HTTP API through which community groups' own systems keep their listings current.

Mounted by the gateway (bot.gateway.app) under /api/v1; the routes are in bot.api.routes and
described by bot/api/openapi.yaml, which the server serves as /api/v1/openapi.json.
"""

API_PREFIX = "/api/v1"
