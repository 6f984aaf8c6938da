"""What each process must be given when it runs replicated, shared by the compose and Kubernetes
checks: a default that serves one process (a SQLite file, memory, a key file made on first
start) would split the city's state between replicas."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CODE = "\n".join(
    path.read_text()
    for pattern in ("knowledge/**/*.py", "actions/**/*.py", "bot/**/*.py", "bot/*.yml")
    for path in ROOT.glob(pattern)
)
# Variables the images' own software reads, not our code: who reads each.
THIRD_PARTY = {
    "POSTGRES_USER": "the postgres image",
    "POSTGRES_DB": "the postgres image",
    "POSTGRES_PASSWORD": "the postgres image",
    "SANIC_PROXIES_COUNT": "Sanic (the gateway's client address behind the balancer)",
    "TICKET_LOCK_LIFETIME": "Rasa (rasa.core.lock_store)",
    "SQL_POOL_SIZE": "Rasa (rasa.core.tracker_store, PostgreSQL pool)",
    "SQL_MAX_OVERFLOW": "Rasa (rasa.core.tracker_store, PostgreSQL pool)",
}
# Rasa expands ${VARIABLE} in bot/endpoints.yml and refuses to start without it.
ENDPOINT_VARIABLES = set(
    re.findall(
        r"\$\{([A-Z_]+)\}", json.dumps(yaml.safe_load((ROOT / "bot/endpoints.yml").read_text()))
    )
)
NEEDS = {
    "rasa": ENDPOINT_VARIABLES
    | {"WAYFINDER_TRACKER_URL", "WAYFINDER_LOCK_STORE_URL", "WAYFINDER_RASA_TOKEN"},
    "actions": {"WAYFINDER_DATABASE_URL"},
    "gateway": {
        "WAYFINDER_DATABASE_URL",
        "WAYFINDER_RASA_URL",
        "WAYFINDER_REDIS_URL",
        "WAYFINDER_PSEUDONYM_KEY",
        "WAYFINDER_GATEWAY_TOKEN",
        "WAYFINDER_GATEWAY_HOST",
        "SANIC_PROXIES_COUNT",
    },
    "reminders": {
        "WAYFINDER_DATABASE_URL",
        "WAYFINDER_TRACKER_URL",
        "WAYFINDER_RASA_URL",
        "WAYFINDER_RASA_TOKEN",
        "WAYFINDER_GATEWAY_URL",
        "WAYFINDER_GATEWAY_TOKEN",
    },
    "migrate": {"WAYFINDER_DATABASE_URL"},
}
REPLICATED = ("rasa", "actions", "gateway", "reminders")
# Secrets: never a literal value in a committed file.
SECRETS = {
    "POSTGRES_PASSWORD",
    "WAYFINDER_DATABASE_URL",
    "WAYFINDER_TRACKER_URL",
    "WAYFINDER_LOCK_STORE_URL",
    "WAYFINDER_REDIS_URL",
    "WAYFINDER_RASA_TOKEN",
    "WAYFINDER_GATEWAY_TOKEN",
    "WAYFINDER_PSEUDONYM_KEY",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
}
# Something that looks like a generated key or token (hex, base64, a Telegram bot token).
SECRET_LIKE = re.compile(r"\b[0-9]{6,}:[A-Za-z0-9_-]{30,}\b|\b[A-Za-z0-9+/=_-]{32,}\b")


NAMES_IN_CODE = set(re.findall(r"\b[A-Z][A-Z0-9_]+\b", CODE))


def read_by_something(variable: str) -> bool:
    """Our code or the images' software reads the variable."""
    return variable in THIRD_PARTY or variable in NAMES_IN_CODE
