"""The model's graph run node after node in dependency order, without dask's scheduler.

Rasa 3.6 runs every message's NLU and every next-action prediction as a graph of components
through `dask.get` (rasa.engine.runner.dask.DaskGraphRunner): for each run it cuts the schema
down to the targets' ancestors, builds a dask graph, orders it and executes it with futures,
queues and callbacks. At 20 msg/s on PostgreSQL that machinery was 10 % of the Rasa server's CPU
(py-spy, 2026-12-07: 1,677 samples in `run`, 1,299 of them in the graph's own components), about
1.4 ms a message. The graph is a fixed DAG called with the same targets every time, so here each
target list's order is worked out once and its nodes called in it, with what dask gave them:

- each node receives its parents' (name, output) pairs, in the order of its `needs`, and the
  name itself for a parent nothing provides (the node reports that, as it does under dask);
- an input given to `run` is the pair (name, value), and stands in for a node of that name;
- the result maps each target's name to its output; a RuntimeError becomes GraphRunError.

Training keeps dask (it builds no tracker store, so nothing installs this there). `install()`
runs when the Rasa server builds our tracker store (bot/endpoints.yml), at start-up, before the
model is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode, GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner


@dataclass(frozen=True)
class Step:
    """One node to call and the names of the outputs it needs, in its own order."""

    name: str
    node: GraphNode
    needs: tuple[str, ...]


def ordered(schema: GraphSchema, nodes: Mapping[str, GraphNode]) -> tuple[Step, ...]:
    """The schema's nodes, each after every node it needs (a cycle is an error)."""
    placed: dict[str, Step] = {}
    visiting: set[str] = set()

    def place(name: str) -> None:
        if name in placed or name not in schema.nodes:
            return
        if name in visiting:
            raise GraphRunError(f"The graph has a cycle through node '{name}'.")
        visiting.add(name)
        needs = tuple(schema.nodes[name].needs.values())
        for need in needs:
            place(need)
        visiting.discard(name)
        placed[name] = Step(name, nodes[name], needs)

    for name in schema.nodes:
        place(name)
    return tuple(placed.values())


def run_in_order(
    self: DaskGraphRunner,
    inputs: dict[str, Any] | None = None,
    targets: list[str] | None = None,
) -> dict[str, Any]:
    """DaskGraphRunner.run's results, by calling the nodes in dependency order."""
    run_targets = targets if targets else self._graph_schema.target_names
    plans: dict[tuple[str, ...], tuple[Step, ...]] = self.__dict__.setdefault(
        "_wayfinder_plans", {}
    )
    key = tuple(run_targets)
    steps = plans.get(key)
    if steps is None:
        minimal = self._graph_schema.minimal_graph_schema(run_targets)
        steps = plans[key] = ordered(minimal, self._instantiated_nodes)
    return run_steps(steps, inputs or {}, run_targets)


def run_steps(
    steps: Sequence[Step], inputs: Mapping[str, Any], targets: Sequence[str]
) -> dict[str, Any]:
    """Call each step not given as an input, each with its parents' (name, output) pairs."""
    results: dict[str, Any] = {name: (name, value) for name, value in inputs.items()}
    try:
        for step in steps:
            if step.name not in results:
                results[step.name] = step.node(*[results.get(need, need) for need in step.needs])
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    missing = [target for target in targets if target not in results]
    if missing:
        raise GraphRunError(f"No node or input gives the targets {missing}.")
    return dict(results[target] for target in targets)


def install() -> None:
    """Make DaskGraphRunner.run call the nodes in order (once)."""
    if getattr(DaskGraphRunner.run, "wayfinder_in_order", False):
        return
    run_in_order.wayfinder_in_order = True  # type: ignore[attr-defined]
    run_in_order.wayfinder_original = DaskGraphRunner.run  # type: ignore[attr-defined]
    DaskGraphRunner.run = run_in_order
