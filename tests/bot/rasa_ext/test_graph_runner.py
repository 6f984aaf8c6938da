"""The graph run in dependency order gives what dask gave, calling each node once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from bot.rasa_ext import graph_runner

CALLS: list[str] = []


class Value(GraphComponent):
    """Gives its configured value."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Value:
        return cls(config)

    def give(self) -> Any:
        CALLS.append(self.config["name"])
        if self.config.get("fails"):
            raise ValueError("broken component")
        return self.config["value"]

    def add(self, left: Any, right: Any) -> Any:
        CALLS.append(self.config["name"])
        return [*left, *right] if isinstance(left, list) else left + right


def _node(name: str, fn: str, needs: dict[str, str] | None = None, **config: Any) -> SchemaNode:
    return SchemaNode(
        needs=needs or {},
        uses=Value,
        constructor_name="create",
        fn=fn,
        config={"name": name, **config},
        eager=True,
    )


def _schema(**overrides: Any) -> GraphSchema:
    """d = (a + b) + a, e = x + d with x an input; a side node f nobody needs; t a target."""
    nodes = {
        "a": _node("a", "give", value=2),
        "b": _node("b", "give", value=3, **overrides.get("b", {})),
        "c": _node("c", "add", {"left": "a", "right": "b"}),
        "d": _node("d", "add", {"left": "c", "right": "a"}),
        "e": _node("e", "add", {"left": "__x__", "right": "d"}),
        "f": _node("f", "give", value=99),
    }
    nodes["d"].is_target = True
    nodes["f"].is_target = True
    return GraphSchema(nodes)


def _runner(schema: GraphSchema, tmp_path: Path) -> DaskGraphRunner:
    storage = LocalModelStorage(tmp_path)
    return DaskGraphRunner(schema, storage, ExecutionContext(schema, "test-model"))


def _dask_run(runner: DaskGraphRunner, **kwargs: Any) -> dict[str, Any]:
    original = getattr(DaskGraphRunner.run, "wayfinder_original", DaskGraphRunner.run)
    return original(runner, **kwargs)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"inputs": {"__x__": 10}, "targets": ["e"]},
        {"inputs": {"__x__": 10}, "targets": ["e", "c"]},
        {"inputs": {"c": 100}, "targets": ["d"]},  # an input stands in for a node
        {},  # the schema's own targets
    ],
)
def test_results_and_calls_are_dasks(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    runner = _runner(_schema(), tmp_path)
    CALLS.clear()
    expected = _dask_run(runner, **kwargs)
    dask_calls = sorted(CALLS)
    CALLS.clear()
    assert graph_runner.run_in_order(runner, **kwargs) == expected
    assert sorted(CALLS) == dask_calls  # each node once, none that is not needed
    assert len(CALLS) == len(set(CALLS))


def test_a_node_runs_after_every_node_it_needs(tmp_path: Path) -> None:
    runner = _runner(_schema(), tmp_path)
    CALLS.clear()
    assert graph_runner.run_in_order(runner, inputs={"__x__": 1}, targets=["e"]) == {"e": 8}
    assert CALLS.index("c") > max(CALLS.index("a"), CALLS.index("b"))
    assert CALLS.index("d") > CALLS.index("c") and CALLS[-1] == "e"


def test_a_missing_input_and_a_failing_component_fail_as_under_dask(tmp_path: Path) -> None:
    runner = _runner(_schema(), tmp_path)
    for run in (_dask_run, graph_runner.run_in_order):
        with pytest.raises(GraphRunError, match="Missing input to run node 'e'"):
            run(runner, targets=["e"])
    broken = _runner(_schema(b={"fails": True}), tmp_path)
    for run in (_dask_run, graph_runner.run_in_order):
        with pytest.raises(GraphComponentException, match="node b"):
            run(broken, targets=["d"])


def test_the_order_is_worked_out_once_per_target_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = _runner(_schema(), tmp_path)
    cut = GraphSchema.minimal_graph_schema
    cuts: list[tuple[str, ...]] = []

    def counted(schema: GraphSchema, targets: list[str] | None = None) -> GraphSchema:
        cuts.append(tuple(targets or ()))
        return cut(schema, targets)

    monkeypatch.setattr(GraphSchema, "minimal_graph_schema", counted)
    for _ in range(3):
        assert graph_runner.run_in_order(runner, inputs={"__x__": 0}, targets=["e"]) == {"e": 7}
        assert graph_runner.run_in_order(runner, targets=["c"]) == {"c": 5}
    assert cuts == [("e",), ("c",)]


def test_a_cycle_is_refused(tmp_path: Path) -> None:
    """Rasa validates schemas against cycles when training; ordering one refuses it too."""
    runner = _runner(_schema(), tmp_path)
    schema = _schema()
    schema.nodes["a"] = _node("a", "add", {"left": "d", "right": "b"})
    with pytest.raises(GraphRunError, match="cycle"):
        graph_runner.ordered(schema, runner._instantiated_nodes)


def test_install_replaces_run_once() -> None:
    graph_runner.install()
    installed = DaskGraphRunner.run
    graph_runner.install()
    assert DaskGraphRunner.run is installed is graph_runner.run_in_order
