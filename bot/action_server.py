"""`python -m bot.action_server -p 5055`: rasa-sdk's action server (its own options), answering the
calls of Rasa 3.6 as rasa-sdk 3.6 did, in one process.

rasa-sdk 3.21 (the release for Python 3.12) answers a call without the domain with HTTP 449, for
Rasa Pro to retry with it; Rasa 3.6 sends the domain only to the actions marked `send_domain`
(bot/endpoints.yml) and never retries, so every other action would fail. Its server also runs in a
worker process beside a manager, twice the memory; one process is what rasa-sdk 3.6 ran.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser, create_ssl_config
from rasa_sdk.executor import ActionExecutor


class Rasa36ActionExecutor(ActionExecutor):  # type: ignore[misc]  # rasa-sdk ships no types
    """rasa-sdk's executor given each call's own domain, as Rasa 3.6 sends it."""

    def update_and_return_domain(self, payload: dict[str, Any], action_name: str) -> dict[str, Any]:
        """The domain sent with this call, or {} when Rasa sent none (as rasa-sdk 3.6 read it)."""
        domain: dict[str, Any] = payload.get("domain") or {}
        return domain


def main(argv: Sequence[str] | None = None) -> None:
    """rasa-sdk's start-up (`python -m rasa_sdk`) with this executor, serving in this process."""
    parser = create_argument_parser()
    parser.set_defaults(actions="actions")
    args = parser.parse_args(argv)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    executor = Rasa36ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    app = create_app_for_serve(
        executor, cors_origins=args.cors, auto_reload=args.auto_reload, endpoints=args.endpoints
    )
    ssl = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    host = os.environ.get("SANIC_HOST", "0.0.0.0")  # rasa-sdk's own setting, read as it reads it
    app.run(host, args.port, ssl=ssl, single_process=True)


if __name__ == "__main__":
    main()
