"""Tests of what the Rasa server loads (bot/rasa_ext); they run in .venv-rasa, Rasa's Python.

`.venv-rasa/bin/python -m pytest --confcutdir=tests/bot/rasa_ext tests/bot/rasa_ext` runs them
(the confcutdir keeps out tests/conftest.py, which needs our .venv). In .venv, where Rasa is not
installed, this folder is skipped.
"""

from __future__ import annotations

import importlib.util
import os
import socket

import pytest

collect_ignore_glob = [] if importlib.util.find_spec("rasa") else ["test_*.py"]


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def local_redis() -> None:
    """Redis on 127.0.0.1:6379, or a skip; CI sets WAYFINDER_REQUIRE_REDIS=1 to fail instead."""
    if _redis_answers():
        return
    reason = "no Redis on 127.0.0.1:6379 (apt-get install redis-server)"
    if os.environ.get("WAYFINDER_REQUIRE_REDIS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)
