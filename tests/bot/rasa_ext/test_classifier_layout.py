"""The intent classifier predicts the same with its weights laid out for one message at a time."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
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
