"""Reading Rasa's NLU reports and checking the floors."""

from __future__ import annotations

from benchmarks.nlu import NluFigures, below_floors, entity_f1, intent_figures, render

REPORT = {
    "greet": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 20},
    "inform": {"precision": 0.8, "recall": 0.9, "f1-score": 0.85, "support": 40},
    "deny": {"precision": 0.9, "recall": 0.9, "f1-score": 0.9, "support": 20},
    "accuracy": 0.91,
    "macro avg": {"precision": 0.9, "recall": 0.93, "f1-score": 0.917, "support": 80},
    "weighted avg": {"precision": 0.9, "recall": 0.9, "f1-score": 0.9, "support": 80},
}


def test_intent_figures_read_accuracy_macro_f1_and_the_weakest() -> None:
    accuracy, macro, weakest = intent_figures(REPORT)
    assert (accuracy, macro) == (0.91, 0.917)
    assert weakest == [("inform", 0.85), ("deny", 0.9), ("greet", 1.0)]


def test_entity_f1_is_the_micro_average() -> None:
    assert entity_f1({"micro avg": {"f1-score": 0.88}, "macro avg": {"f1-score": 0.5}}) == 0.88


def test_every_figure_under_its_floor_is_named_and_skipped_parts_are_not() -> None:
    figures = NluFigures(cv_intent_macro_f1=0.92, cv_entity_f1=0.86, heldout_intent_accuracy=None)
    assert below_floors(figures) == ["cv_intent_macro_f1 0.920 is below the floor 0.93"]
    assert below_floors(NluFigures(heldout_intent_accuracy=0.95)) == []
    assert "heldout_intent_accuracy | 0.950" in render(NluFigures(heldout_intent_accuracy=0.95))
