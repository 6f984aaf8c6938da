"""Tests of what the Rasa server loads (bot/rasa_ext); they run in .venv-rasa, Rasa's Python.

`.venv-rasa/bin/python -m pytest --confcutdir=tests/bot/rasa_ext tests/bot/rasa_ext` runs them
(the confcutdir keeps out tests/conftest.py, which needs our .venv). In .venv, where Rasa is not
installed, this folder is skipped.
"""

from __future__ import annotations

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("rasa") else ["test_*.py"]
