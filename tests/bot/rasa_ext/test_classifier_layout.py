"""The intent classifier predicts the same with its weights laid out for one message at a time."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from sklearn.linear_model import LogisticRegression

from bot.rasa_ext import classifier_layout


def _fitted() -> LogisticRegression:
    rng = np.random.default_rng(3)
    features = sp.random(60, 500, density=0.05, format="csr", random_state=4)
    return LogisticRegression(max_iter=200).fit(features, rng.integers(0, 4, 60))


def test_column_ordered_weights_give_the_same_probabilities() -> None:
    model = _fitted()
    message = sp.random(3, 500, density=0.05, format="csr", random_state=5)
    before = model.predict_proba(message)
    assert not model.coef_.flags["F_CONTIGUOUS"]
    classifier_layout.column_ordered(model)
    assert model.coef_.flags["F_CONTIGUOUS"]
    assert np.array_equal(model.predict_proba(message), before)


def test_install_wraps_process_once() -> None:
    classifier_layout.install()
    wrapped = LogisticRegressionClassifier.process
    classifier_layout.install()
    assert LogisticRegressionClassifier.process is wrapped
    assert getattr(wrapped, "wayfinder_layout", False)


def _message(widths: list[int], seed: int, dense: bool = False) -> Message:
    """A message as the featurizers leave it: each adds sequence and sentence features."""
    rng = np.random.default_rng(seed)
    message = Message(data={TEXT: "free coding club"})
    for number, width in enumerate(widths):
        origin = f"featurizer{number}"
        sequence = sp.random(3, width, density=0.3, format="coo", random_state=seed + number)
        sentence = sp.coo_matrix(rng.integers(0, 3, (1, width)).astype(float))
        message.add_features(Features(sequence, FEATURE_TYPE_SEQUENCE, TEXT, origin))
        message.add_features(Features(sentence, FEATURE_TYPE_SENTENCE, TEXT, origin))
    if dense:
        message.add_features(Features(np.ones((1, 4)), FEATURE_TYPE_SENTENCE, TEXT, "dense"))
    return message


def rasas_rows(messages: list[Message]) -> sp.csr_matrix:
    """The matrix Rasa's own _create_X builds (kept by install() when it replaces it)."""
    made = LogisticRegressionClassifier._create_X
    original = getattr(made, "wayfinder_original", made)
    return original(LogisticRegressionClassifier.__new__(LogisticRegressionClassifier), messages)


def test_rows_side_by_side_are_the_matrix_rasa_stacks() -> None:
    messages = [_message([7, 1, 30], seed) for seed in (1, 2, 3)]
    expected = rasas_rows(messages)
    row = classifier_layout.side_by_side(messages)
    assert row is not None and row.shape == expected.shape == (3, 38)
    assert np.array_equal(row.toarray(), expected.toarray())


def test_the_installed_classifier_builds_the_same_rows_and_keeps_rasas_for_the_rest() -> None:
    classifier_layout.install()
    classifier = LogisticRegressionClassifier.__new__(LogisticRegressionClassifier)
    messages = [_message([4, 9], 8)]
    assert np.array_equal(classifier._create_X(messages).toarray(), rasas_rows(messages).toarray())
    dense = [_message([4], 8, dense=True)]  # Rasa's own stacking, dense columns after
    assert classifier._create_X(dense).shape == (1, 8)


def test_dense_or_missing_features_leave_the_rows_to_rasa() -> None:
    assert classifier_layout.side_by_side([_message([5], 1, dense=True)]) is None
    assert classifier_layout.side_by_side([Message(data={TEXT: "hi"})]) is None
    assert classifier_layout.side_by_side([_message([5], 1), _message([6], 2)]) is None
