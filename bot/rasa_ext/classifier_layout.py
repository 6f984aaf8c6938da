"""The intent classifier's weights laid out for one message at a time, not for training.

Rasa's LogisticRegressionClassifier keeps scikit-learn's `coef_` in row order (intents ×
features); predicting multiplies a one-message sparse row by its transpose, which SciPy first
copies into column order: 26 × 24,445 floats per message, 1.1 ms of each reply (py-spy and
timeit, 2026-12-06), where the same product on column-ordered weights takes 0.08 ms. The
numbers are the same; only their layout in memory changes, once, before the first message.

Rasa also builds each message's row of features by stacking every featurizer's sentence features
with SciPy (and, on the way, its sequence features, which the classifier never reads): 7% of the
Rasa server's CPU at 20 msg/s on PostgreSQL (py-spy, 2026-12-07). `side_by_side` lays the same
numbers out in the same columns directly.

`install()` runs when the Rasa server builds our tracker store (bot/endpoints.yml), at start-up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message


def column_ordered(model: Any) -> None:
    """Give a fitted linear model column-ordered weights (its transpose is then row-ordered)."""
    weights = getattr(model, "coef_", None)
    if isinstance(weights, np.ndarray) and not weights.flags["F_CONTIGUOUS"]:
        model.coef_ = np.asfortranarray(weights)


def side_by_side(messages: list[Message]) -> sp.csr_matrix | None:
    """Each message's sparse sentence features of its text, in the order the featurizers added
    them, as one row: the matrix Rasa's `_create_X` builds. None when a message has dense ones
    (Rasa puts those after the sparse ones; this pipeline has none) or has no sparse ones."""
    values: list[np.ndarray] = []
    columns: list[np.ndarray] = []
    ends = [0]
    widths = set()
    for message in messages:
        width, stored = 0, ends[-1]
        for features in message.features:
            if features.attribute != TEXT or features.type != FEATURE_TYPE_SENTENCE:
                continue
            if not features.is_sparse():
                return None
            part = features.features.tocoo()
            values.append(part.data)
            columns.append(part.col + width)
            width += part.shape[1]
            stored += part.nnz
        ends.append(stored)
        widths.add(width)
    if len(widths) != 1 or 0 in widths:
        return None
    data = np.concatenate(values)
    indices = np.concatenate(columns).astype(np.int32)
    return sp.csr_matrix((data, indices, np.array(ends)), shape=(len(messages), widths.pop()))


def install() -> None:
    """Make LogisticRegressionClassifier.process lay its weights out on first use, and build its
    rows directly (once)."""
    original: Any = LogisticRegressionClassifier.process
    if getattr(original, "wayfinder_layout", False):
        return
    stacked: Any = LogisticRegressionClassifier._create_X

    def create_x(self: LogisticRegressionClassifier, messages: list[Message]) -> Any:
        row = side_by_side(messages)
        return stacked(self, messages) if row is None else row

    def process(self: LogisticRegressionClassifier, messages: list[Any]) -> list[Any]:
        column_ordered(self.clf)
        return original(self, messages)  # type: ignore[no-any-return]

    process.wayfinder_layout = True  # type: ignore[attr-defined]
    create_x.wayfinder_original = stacked  # type: ignore[attr-defined]
    LogisticRegressionClassifier.process = process
    LogisticRegressionClassifier._create_X = create_x
