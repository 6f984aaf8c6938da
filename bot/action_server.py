"""`python -m bot.action_server -p 5055`: rasa-sdk's action server (its own options), answering the
calls of Rasa 3.6 as rasa-sdk 3.6 did, in one process.

rasa-sdk 3.21 (the release for Python 3.12) answers a call without the domain with HTTP 449, for
Rasa Pro to retry with it; Rasa 3.6 sends the domain only to the actions marked `send_domain`
(bot/endpoints.yml) and never retries, so every other action would fail. Its server also runs in a
worker process beside a manager, twice the memory; one process is what rasa-sdk 3.6 ran.

Beside rasa-sdk's /health it serves /metrics (each action's run time, by name) and /ready (the
database answers), and each action run logs under the request id the gateway put in the message's
metadata (bot.observability).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser, create_ssl_config
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection
from sanic import Sanic
from sqlalchemy import Engine

from bot import long_lived
from bot.observability.health import DatabaseCheck
from bot.observability.logs import (
    METADATA_KEY,
    REQUEST_ID,
    accepted_request_id,
    configure_logging,
    new_request_id,
)
from bot.observability.metrics import ACTION_ERRORS, ACTION_SECONDS, ACTION_SERVER
from bot.observability.routes import probes_blueprint
from bot.observability.settings import log_format
from knowledge.db import make_engine
from knowledge.settings import Settings as DirectorySettings

logger = logging.getLogger(__name__)


class Rasa36ActionExecutor(ActionExecutor):  # type: ignore[misc]  # rasa-sdk ships no types
    """rasa-sdk's executor given each call's own domain, as Rasa 3.6 sends it."""

    def update_and_return_domain(self, payload: dict[str, Any], action_name: str) -> dict[str, Any]:
        """The domain sent with this call, or {} when Rasa sent none (as rasa-sdk 3.6 read it)."""
        domain: dict[str, Any] = payload.get("domain") or {}
        return domain

    async def run(self, action_call: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        """rasa-sdk's run, under the message's request id (from its metadata) and timed by
        action name; a failure is counted by kind before rasa-sdk answers it."""
        name = action_call.get("next_action")
        label = name if isinstance(name, str) and name in self.actions else "unknown"
        token = REQUEST_ID.set(request_id_of(action_call))
        started = time.perf_counter()
        try:
            return await super().run(action_call, *args, **kwargs)
        except ActionExecutionRejection:
            raise  # a form's validation asking again: not a failure
        except Exception:
            ACTION_ERRORS.labels("action_failed" if label != "unknown" else "unknown_action").inc()
            raise
        finally:
            elapsed = time.perf_counter() - started
            ACTION_SECONDS.labels(label).observe(elapsed)
            logger.debug("%s ran in %.1f ms", label, elapsed * 1000)
            REQUEST_ID.reset(token)
            long_lived.settle()  # once, after the first action loaded the directory's tables


def request_id_of(action_call: dict[str, Any]) -> str:
    """The request id the gateway sent in the user message's metadata, else a new one (a
    reminder triggered by the worker, a message that came straight to Rasa)."""
    tracker = action_call.get("tracker")
    message = tracker.get("latest_message") if isinstance(tracker, dict) else None
    metadata = message.get("metadata") if isinstance(message, dict) else None
    given = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    return accepted_request_id(given) or new_request_id()


def observe(app: Sanic, engine: Engine) -> None:  # type: ignore[type-arg]
    """/metrics and /ready on rasa-sdk's app; the readiness engine closes with the server."""
    checks = {"database": DatabaseCheck(engine)}
    app.blueprint(probes_blueprint("probes", [ACTION_SERVER], checks))

    async def close(app: Sanic) -> None:  # type: ignore[type-arg]
        """Close the readiness check's connections."""
        engine.dispose()

    app.register_listener(close, "after_server_stop")


def main(argv: Sequence[str] | None = None) -> None:
    """rasa-sdk's start-up (`python -m rasa_sdk`) with this executor, serving in this process."""
    parser = create_argument_parser()
    parser.set_defaults(actions="actions")
    args = parser.parse_args(argv)
    try:
        logs, database_url = (
            log_format(os.environ),
            DirectorySettings.from_env(os.environ).database_url,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    if logs == "json":
        configure_logging(logs, service="action_server", level=args.loglevel or logging.INFO)
    else:
        utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    if logs == "json":  # rasa-sdk cuts Sanic's loggers off; in JSON they write through ours
        for name in ("sanic.root", "sanic.error", "sanic.access"):
            logging.getLogger(name).propagate = True
    executor = Rasa36ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    app = create_app_for_serve(
        executor, cors_origins=args.cors, auto_reload=args.auto_reload, endpoints=args.endpoints
    )
    observe(app, make_engine(database_url))
    ssl = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    host = os.environ.get("SANIC_HOST", "0.0.0.0")  # rasa-sdk's own setting, read as it reads it
    app.run(host, args.port, ssl=ssl, single_process=True)


if __name__ == "__main__":
    main()
