"""`python -m bot.gateway`: the web widget and (with TELEGRAM_BOT_TOKEN) the Telegram bot."""

from __future__ import annotations

import os
import sys

from bot.gateway.app import make_app
from bot.gateway.settings import GatewaySettings
from bot.observability.logs import configure_logging
from bot.observability.settings import ObservabilitySettings


def main() -> int:
    """Read the settings, start the server; a bad setting is one clear line, exit 2."""
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after as a timedelta
    try:
        settings = GatewaySettings.from_env(os.environ)
        observability = ObservabilitySettings.from_env(os.environ)
    except ValueError as error:  # SettingsError is one
        print(f"error: {error}", file=sys.stderr)
        return 2
    configure_logging(observability.log_format, service="gateway")  # httpx's turned down
    app = make_app(settings, observability)
    print(f"Web chat: http://{settings.host}:{settings.port}/", flush=True)
    if not settings.telegram_token:
        print("Telegram: off (set TELEGRAM_BOT_TOKEN to start the Telegram bot)", flush=True)
    app.run(host=settings.host, port=settings.port, access_log=False, single_process=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
