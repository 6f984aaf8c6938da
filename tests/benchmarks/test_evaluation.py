"""nDCG@k, the score the relevance tests and the benchmark report give the search."""

from __future__ import annotations

import pytest

from benchmarks.evaluation import ndcg_at_k


def test_ndcg_is_one_for_the_ideal_order_and_lower_otherwise() -> None:
    grades = {"a": 3, "b": 2, "c": 1}
    assert ndcg_at_k(["a", "b", "c"], grades) == pytest.approx(1.0)
    assert ndcg_at_k(["c", "b", "a"], grades) < ndcg_at_k(["a", "c", "b"], grades) < 1.0
    assert ndcg_at_k(["x", "y"], grades) == 0.0
    # gains are 2^grade - 1 and the discount log2(rank + 1): one perfect hit in second place
    assert ndcg_at_k(["x", "a"], {"a": 3}) == pytest.approx(1 / 1.5849625, rel=1e-6)


def test_ndcg_only_counts_the_top_k() -> None:
    assert ndcg_at_k(["x", "y", "z", "w", "v", "a"], {"a": 3}, k=5) == 0.0
