"""docs/grafana/wayfinder.json is a Grafana dashboard whose every query asks for metrics the code
exposes, and which shows every metric the code exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY

from bot.observability.metrics import ACTION_SERVER, GATEWAY, WORKER, metric_names
from bot.observability.queues import QueueGauges

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "docs" / "grafana" / "wayfinder.json"
OPERATIONS = ROOT / "docs" / "operations.md"
# Series Prometheus makes itself, and prometheus_client's process collector (Linux).
PROMETHEUS_OWN = {"up"}
METRIC = re.compile(r"\b(?:wayfinder|process|python)_[a-z0-9_]+\b")
OURS = [GATEWAY, ACTION_SERVER, WORKER, QueueGauges(None)]  # type: ignore[arg-type]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def expressions() -> list[str]:
    """Every query, its label values blanked (job="wayfinder_gateway" names no metric)."""
    queries = [target["expr"] for panel in dashboard()["panels"] for target in panel["targets"]]
    return [re.sub(r'"[^"]*"', '""', query) for query in queries]


def test_it_is_a_dashboard_grafana_imports() -> None:
    board = dashboard()
    assert board["uid"] and board["title"] and isinstance(board["schemaVersion"], int)
    panels = board["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        assert panel["type"] in {"timeseries", "stat"} and panel["title"]
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert panel["targets"] and all(target["refId"] for target in panel["targets"])
        assert panel["datasource"]["uid"] == "${datasource}"
    assert [v["name"] for v in board["templating"]["list"]] == ["datasource"]


def test_every_metric_it_queries_is_one_the_code_exposes() -> None:
    exposed = metric_names([*OURS, REGISTRY])  # with the process's own, every process has them
    queried = {name for expr in expressions() for name in METRIC.findall(expr)}
    assert queried and queried <= exposed, queried - exposed
    assert all(name in PROMETHEUS_OWN for expr in expressions() for name in _bare(expr))


def test_every_metric_of_ours_has_a_panel_and_a_line_in_the_docs() -> None:
    queried = " ".join(expressions())
    docs = OPERATIONS.read_text()
    for source in OURS:
        families = source.describe() if isinstance(source, QueueGauges) else source.collect()
        for family in families:
            assert family.name in queried, f"no panel shows {family.name}"
            assert f"`{family.name}" in docs, f"docs/operations.md does not explain {family.name}"


def _bare(expr: str) -> set[str]:
    """Selectors that are neither ours nor functions: only Prometheus's own `up` may be one."""
    words = set(re.findall(r"\b([a-z_]+)\{", expr))
    return {word for word in words if not METRIC.fullmatch(word)}
