"""`make e2e-scale`: the replicated stack as processes on localhost (tests/e2e_scale/topology.py),
started once for the run. The model is the one `make e2e` uses (WAYFINDER_TEST_MODEL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.stack import StackError
from knowledge.settings import PROJECT_ROOT
from tests.e2e_scale.topology import Topology, running_topology

WORK = PROJECT_ROOT / "var" / "test" / "scale"  # logs and report.json, kept after the run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here is e2e_scale, and e2e too, so `make unit` (not e2e) leaves it out;
    `make e2e` collects tests/e2e only."""
    for item in items:
        if "tests/e2e_scale/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e_scale)
            item.add_marker(pytest.mark.e2e)


def _model() -> Path:
    configured = os.environ.get("WAYFINDER_TEST_MODEL", "").strip()
    if not configured:
        pytest.fail("WAYFINDER_TEST_MODEL is not set: run these tests with `make e2e-scale`")
    path = Path(configured)
    if not path.exists():
        pytest.fail(f"WAYFINDER_TEST_MODEL={path} does not exist: run `make e2e-scale`")
    return path.resolve()


@pytest.fixture(scope="session")
def topology() -> Iterator[Topology]:
    """Two of each server behind HAProxy, on a database of its own; all stopped at the end."""
    model = _model()
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for old in logs.glob("*"):
        old.unlink()
    try:
        with running_topology(model, logs) as running:
            yield running
    except (StackError, RuntimeError) as error:
        pytest.fail(str(error))
