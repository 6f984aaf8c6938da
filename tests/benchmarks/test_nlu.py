"""Reading Rasa's NLU reports, scoring normalised entity values and checking the floors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.nlu import (
    HeldoutFigures,
    NluFigures,
    below_floors,
    cv_by_language,
    entity_f1,
    example_languages,
    heldout_sets,
    intent_figures,
    learned_extractor,
    macro_f1,
    main,
    render,
    value_f1,
)
from knowledge.locales import SOURCE_LANGUAGE, supported_codes

REPORT = {
    "greet": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 20},
    "inform": {"precision": 0.8, "recall": 0.9, "f1-score": 0.85, "support": 40},
    "deny": {"precision": 0.9, "recall": 0.9, "f1-score": 0.9, "support": 20},
    "affirm": {"precision": 0.9, "recall": 0.9, "f1-score": 0.9, "support": 20},
    "stop": {"precision": 1.0, "recall": 0.9, "f1-score": 0.95, "support": 20},
    "thank": {"precision": 1.0, "recall": 0.8, "f1-score": 0.89, "support": 20},
    "accuracy": 0.91,
    "macro avg": {"precision": 0.9, "recall": 0.93, "f1-score": 0.917, "support": 140},
    "weighted avg": {"precision": 0.9, "recall": 0.9, "f1-score": 0.9, "support": 140},
}


def _entity(name: str, value: str, extractor: str = "CRFEntityExtractor") -> dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": 1, "extractor": extractor}


def test_intent_figures_read_accuracy_macro_f1_and_the_five_weakest() -> None:
    accuracy, macro, weakest = intent_figures(REPORT)
    assert (accuracy, macro) == (0.91, 0.917)
    assert weakest == [
        ("inform", 0.85),
        ("thank", 0.89),
        ("affirm", 0.9),
        ("deny", 0.9),
        ("stop", 0.95),
    ]


def test_entity_f1_is_the_micro_average_or_sklearns_accuracy_when_all_labels_show() -> None:
    assert entity_f1({"micro avg": {"f1-score": 0.88}, "macro avg": {"f1-score": 0.5}}) == 0.88
    assert entity_f1({"accuracy": 0.8, "macro avg": {"f1-score": 0.5}}) == 0.8


def test_the_learned_extractor_is_neither_lookups_nor_payloads() -> None:
    names = [
        "intent_report.json",
        "RegexEntityExtractor_report.json",
        "RegexMessageHandler_report.json",
        "CRFEntityExtractor_report.json",
        "CRFEntityExtractor_errors.json",
    ]
    assert learned_extractor(names) == "CRFEntityExtractor"
    assert learned_extractor(["DIETClassifier_report.json", "intent_report.json"]) == (
        "DIETClassifier"
    )
    assert learned_extractor(["intent_report.json", "RegexEntityExtractor_report.json"]) is None


def test_value_f1_scores_normalised_values_once_per_message_over_all_extractors() -> None:
    records = [
        {  # right topic twice (CRF and lookups) counts once; the age value is wrong
            "text": "coding for my 12 year old",
            "entities": [_entity("topic", "coding"), _entity("age", "12")],
            "predicted_entities": [
                _entity("topic", "coding"),
                _entity("topic", "coding", "RegexEntityExtractor"),
                _entity("age", "12 year old"),
            ],
        },
        {  # the same message again from another extractor's file is not counted twice
            "text": "coding for my 12 year old",
            "entities": [_entity("topic", "coding"), _entity("age", "12")],
            "predicted_entities": [_entity("topic", "coding")],
        },
        {  # payload coordinates are left out; a spurious entity costs precision
            "text": "near me",
            "entities": [],
            "predicted_entities": [_entity("latitude", "41.5"), _entity("cost", "free")],
        },
    ]
    # gold 2, predicted 3 (topic, age "12 year old", cost), right 1 → 2·1 / (2 + 3)
    assert value_f1(records) == pytest.approx(0.4)
    assert value_f1([]) is None


def test_every_figure_under_its_floor_is_named_and_skipped_parts_are_not() -> None:
    figures = NluFigures(cv_intent_macro_f1=0.5, cv_source_intent_macro_f1=0.92, cv_entity_f1=0.84)
    assert below_floors(figures) == [
        "cv_source_intent_macro_f1 0.920 is below the floor 0.93",
        "cv_entity_f1 0.840 is below the floor 0.85",
    ]
    assert below_floors(NluFigures(heldout_intent_accuracy=0.90)) == []
    assert below_floors(NluFigures(heldout_intent_accuracy=0.899)) == [
        "heldout_intent_accuracy 0.899 is below the floor 0.90"
    ]


def test_a_translated_held_out_set_under_its_floors_is_named_with_its_language() -> None:
    figures = NluFigures(
        heldout_intent_accuracy=0.95,
        languages={
            "xx": HeldoutFigures(intent_accuracy=0.919, entity_f1=0.849, intent_macro_f1=0.5),
            "yy": HeldoutFigures(intent_accuracy=0.92, entity_f1=0.85),
        },
    )
    assert below_floors(figures) == [
        "heldout_xx_intent_accuracy 0.919 is below the floor 0.92",
        "heldout_xx_entity_f1 0.849 is below the floor 0.85",
    ]


def test_held_out_sets_are_found_per_supported_language_and_missing_ones_named(
    tmp_path: Path,
) -> None:
    others = [code for code in supported_codes() if code != SOURCE_LANGUAGE]
    (tmp_path / "heldout.yml").write_text("nlu: []\n")
    for code in others[1:]:
        (tmp_path / f"heldout_{code}.yml").write_text("nlu: []\n")
    found, missing = heldout_sets(tmp_path)
    assert found[SOURCE_LANGUAGE] == tmp_path / "heldout.yml"
    assert sorted(found) == sorted([SOURCE_LANGUAGE, *others[1:]])
    assert missing == others[:1]


def test_render_shows_measured_figures_floors_and_weak_spots_only() -> None:
    table = render(
        NluFigures(
            heldout_intent_accuracy=0.95,
            heldout_entity_value_f1=0.9,
            heldout_worst_intents=[("inform", 0.8)],
            train_seconds=61.0,
            train_peak_rss_mb=700,
        )
    )
    assert "| heldout_intent_accuracy | 0.950 | ≥ 0.90 |" in table
    assert "| heldout_entity_value_f1 | 0.900 | — |" in table
    assert "cv_intent_macro_f1" not in table
    assert "held-out (F1): inform 0.80" in table
    assert "61 s, peak RSS 700 MB" in table


def test_render_shows_each_translated_held_out_set_beside_its_floors() -> None:
    table = render(
        NluFigures(
            languages={
                "xx": HeldoutFigures(
                    intent_accuracy=0.93, entity_value_f1=0.8, worst_intents=[("stop", 0.7)]
                )
            },
            without_heldout=["zz"],
        )
    )
    assert "| heldout_xx_intent_accuracy | 0.930 | ≥ 0.92 |" in table
    assert "| heldout_xx_entity_value_f1 | 0.800 | — |" in table
    assert "heldout_xx_entity_f1" not in table
    assert "held-out xx (F1): stop 0.70" in table
    assert "No held-out set yet for: zz" in table


FAKE_RASA = """#!{python}
import json, sys
from pathlib import Path

args = sys.argv[1:]
out = Path(args[args.index("--out") + 1])
if args[0] == "train":
    out.mkdir(parents=True, exist_ok=True)
    (out / "nlu-model.tar.gz").write_text("model")
    sys.exit(0)
out.mkdir(parents=True, exist_ok=True)
cv = "--cross-validation" in args
translated = Path(args[args.index("--nlu") + 1]).name.startswith("heldout_")
if cv:  # what Rasa's fold shuffling would draw
    import random
    (out / "draw.txt").write_text(str(random.random()))
accuracy = {translated_accuracy} if translated else {accuracy}
intents = {{"greet": {{"f1-score": 0.99}}, "inform": {{"f1-score": {inform}}},
           "accuracy": accuracy, "macro avg": {{"f1-score": {macro}}}}}
(out / "intent_report.json").write_text(json.dumps(intents))
def said(text, intent, predicted):
    return {{"text": text, "intent": intent, "intent_prediction": {{"name": predicted}}}}
greets = [said(f"hi {{n}}", "greet", "greet") for n in range(10)]
wrong = {cv_errors}
informs = [said(f"free {{n}}", "inform", "greet" if n < wrong else "inform") for n in range(10)]
records = greets + informs
right = [r for r in records if r["intent"] == r["intent_prediction"]["name"]]
(out / "intent_errors.json").write_text(json.dumps([r for r in records if r not in right]))
(out / "intent_successes.json").write_text(json.dumps(right))
crf = {{"micro avg": {{"f1-score": {translated_entity_f1} if translated else 0.9 if cv else 0.8}}}}
(out / "CRFEntityExtractor_report.json").write_text(json.dumps(crf))
lookups = {{"micro avg": {{"f1-score": 0.1}}}}
(out / "RegexEntityExtractor_report.json").write_text(json.dumps(lookups))
record = {{"text": "free", "entities": [{{"entity": "cost", "value": "free"}}],
          "predicted_entities": [{{"entity": "cost", "value": "free"}}]}}
(out / "CRFEntityExtractor_successes.json").write_text(json.dumps([record]))
"""


def _fake_rasa(
    folder: Path,
    *,
    accuracy: float,
    macro: float,
    inform: float,
    translated_accuracy: float = 0.95,
    translated_entity_f1: float = 0.9,
    cv_errors: int = 0,
) -> Path:
    rasa = folder / "rasa"
    text = FAKE_RASA.format(
        python=sys.executable,
        accuracy=accuracy,
        macro=macro,
        inform=inform,
        translated_accuracy=translated_accuracy,
        translated_entity_f1=translated_entity_f1,
        cv_errors=cv_errors,
    )
    rasa.write_text(text)
    rasa.chmod(0o755)
    return rasa


def test_main_writes_the_summary_from_rasas_reports(tmp_path: Path) -> None:
    rasa = _fake_rasa(tmp_path, accuracy=0.97, macro=0.96, inform=0.9)
    out = tmp_path / "out"
    assert main(["--rasa", str(rasa), "--out", str(out), "--check"]) == 0
    summary = json.loads((out / "nlu-summary.json").read_text())
    assert summary["cv_intent_macro_f1"] == 0.96
    assert summary["cv_source_intent_macro_f1"] == 1.0  # every prediction right
    assert summary["cv_entity_f1"] == 0.9
    assert summary["heldout_intent_accuracy"] == 0.97
    assert summary["heldout_entity_f1"] == 0.8
    assert summary["heldout_entity_value_f1"] == 1.0
    assert summary["entity_extractor"] == "CRFEntityExtractor"
    assert summary["cv_worst_intents"][0] == ["inform", 0.9]
    assert summary["train_seconds"] is not None
    assert summary["languages"]  # tests/nlu/heldout_<code>.yml of the other languages
    for language in summary["languages"].values():
        assert (language["intent_accuracy"], language["entity_f1"]) == (0.95, 0.9)


def _heldout_dir(folder: Path) -> Path:
    """A throwaway tests/nlu/: a held-out set for every supported language."""
    folder.mkdir()
    for code in supported_codes():
        name = "heldout.yml" if code == SOURCE_LANGUAGE else f"heldout_{code}.yml"
        (folder / name).write_text("nlu: []\n")
    return folder


def test_main_with_check_fails_when_a_translated_held_out_set_is_under_its_floors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rasa = _fake_rasa(
        tmp_path,
        accuracy=0.97,
        macro=0.96,
        inform=0.9,
        translated_accuracy=0.91,
        translated_entity_f1=0.84,
    )
    heldout = _heldout_dir(tmp_path / "nlu")
    arguments = ["--rasa", str(rasa), "--out", str(tmp_path / "o"), "--heldout-dir", str(heldout)]
    assert main([*arguments, "--check"]) == 1
    errors = capsys.readouterr().err
    for code in supported_codes():
        if code != SOURCE_LANGUAGE:
            assert f"heldout_{code}_intent_accuracy 0.910 is below the floor 0.92" in errors
            assert f"heldout_{code}_entity_f1 0.840 is below the floor 0.85" in errors
    assert "heldout_intent_accuracy" not in errors  # the source language's is above its floor


def test_main_tests_a_language_with_its_own_model_when_given_one(tmp_path: Path) -> None:
    rasa = _fake_rasa(tmp_path, accuracy=0.97, macro=0.96, inform=0.9)
    with rasa.open("a") as script:  # and records which model each held-out set was tested with
        script.write("if '--model' in args:\n")
        script.write("    (out / 'model.txt').write_text(args[args.index('--model') + 1])\n")
    code = next(code for code in supported_codes() if code != SOURCE_LANGUAGE)
    own = tmp_path / "own.tar.gz"
    out = tmp_path / "o"
    arguments = ["--rasa", str(rasa), "--out", str(out), "--model", str(tmp_path / "m.tar.gz")]
    assert main([*arguments, "--skip-cv", "--language-model", f"{code}={own}"]) == 0
    assert (out / f"heldout_{code}" / "model.txt").read_text() == str(own)
    assert (out / "heldout" / "model.txt").read_text() == str(tmp_path / "m.tar.gz")
    assert main([*arguments, "--skip-cv", "--language-model", f"zz={own}"]) == 2


def test_main_with_check_fails_naming_each_floor_not_met(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rasa = _fake_rasa(tmp_path, accuracy=0.85, macro=0.9, inform=0.5, cv_errors=2)
    model = tmp_path / "given.tar.gz"
    arguments = ["--rasa", str(rasa), "--out", str(tmp_path / "o"), "--model", str(model)]
    assert main([*arguments, "--check"]) == 1
    errors = capsys.readouterr().err
    # 2 of 10 inform predicted greet: F1 greet 20/22, inform 16/18 → macro 0.899
    assert "cv_source_intent_macro_f1 0.899 is below the floor 0.93" in errors
    assert "cv_intent_macro_f1 0.900" not in errors  # all languages together: reported only
    assert "heldout_intent_accuracy 0.850 is below the floor 0.90" in errors
    assert "cv_entity_f1" not in errors
    assert not (tmp_path / "o" / "nlu-model.tar.gz").exists()  # the given model was used
    assert main(arguments) == 0  # without --check the figures are only reported


def test_main_reports_a_failing_rasa_instead_of_a_traceback(tmp_path: Path) -> None:
    rasa = tmp_path / "rasa"
    rasa.write_text("#!/bin/sh\necho broken >&2\nexit 3\n")
    rasa.chmod(0o755)
    code = main(["--rasa", str(rasa), "--out", str(tmp_path / "out"), "--skip-cv", "--check"])
    assert code == 2
    assert not (tmp_path / "out" / "nlu-summary.json").exists()


def test_cross_validation_draws_the_same_folds_on_every_run(tmp_path: Path) -> None:
    rasa = _fake_rasa(tmp_path, accuracy=0.97, macro=0.96, inform=0.9)
    draws = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert main(["--rasa", str(rasa), "--out", str(out)]) == 0
        draws.append((out / "cross-validation" / "draw.txt").read_text())
    assert draws[0] == draws[1]


def test_cross_validation_is_scored_per_language_of_the_training_examples(tmp_path: Path) -> None:
    other = next(code for code in supported_codes() if code != SOURCE_LANGUAGE)
    (tmp_path / other).mkdir()
    (tmp_path / "lookups").mkdir()
    (tmp_path / "search.yml").write_text(
        "nlu:\n- intent: inform\n  examples: |\n    - only [free](cost) ones\n"
    )
    (tmp_path / other / "search.yml").write_text(
        'nlu:\n- intent: inform\n  examples: |\n    - solo [gratis]{"entity": "cost"}\n'
        "- synonym: free\n  examples: |\n    - gratis\n"
    )
    (tmp_path / "lookups" / "topics.yml").write_text(
        "nlu:\n- lookup: topic\n  examples: |\n    - x\n"
    )
    languages = example_languages(tmp_path)
    assert languages == {"only free ones": SOURCE_LANGUAGE, "solo gratis": other}

    def said(text: str, intent: str, predicted: str) -> dict[str, Any]:
        return {"text": text, "intent": intent, "intent_prediction": {"name": predicted}}

    records = [said("only free ones", "inform", "inform"), said("solo gratis", "inform", "greet")]
    scores = cv_by_language(records, languages)
    assert scores == {SOURCE_LANGUAGE: 1.0, other: 0.0}
    assert macro_f1([]) is None
