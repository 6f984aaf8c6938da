"""NLU quality: 5-fold cross-validation on nlu_data/ and the held-out set in tests/nlu/.

`python -m benchmarks.nlu [--model M] [--skip-cv] [--check]` shells out to Rasa (.venv-rasa),
reads the JSON reports it writes, prints the figures and, with --check, fails below the floors
(issue #3: CV intent macro-F1 ≥ 0.93, entity F1 ≥ 0.85, held-out intent accuracy ≥ 0.90).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from knowledge.settings import PROJECT_ROOT

RASA = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
ENTITY_EXTRACTOR = "CRFEntityExtractor"  # the learned extractor; lookups only add recall
FLOORS = {
    "cv_intent_macro_f1": 0.93,
    "cv_entity_f1": 0.85,
    "heldout_intent_accuracy": 0.90,
}
SUMMARY_KEYS = ("macro avg", "micro avg", "weighted avg", "accuracy")


@dataclass
class NluFigures:
    """What the evaluation found; None where a part was skipped."""

    cv_intent_macro_f1: float | None = None
    cv_entity_f1: float | None = None
    heldout_intent_accuracy: float | None = None
    heldout_intent_macro_f1: float | None = None
    heldout_entity_f1: float | None = None
    weakest_intents: list[tuple[str, float]] = field(default_factory=list)
    cv_seconds: float | None = None


def intent_figures(report: Mapping[str, Any]) -> tuple[float, float, list[tuple[str, float]]]:
    """(accuracy, macro-F1, the five weakest intents by F1) from Rasa's intent_report.json."""
    per_intent = [
        (name, float(values["f1-score"]))
        for name, values in report.items()
        if name not in SUMMARY_KEYS and isinstance(values, dict) and "f1-score" in values
    ]
    weakest = sorted(per_intent, key=lambda item: item[1])[:5]
    return float(report["accuracy"]), float(report["macro avg"]["f1-score"]), weakest


def entity_f1(report: Mapping[str, Any]) -> float:
    """Micro-averaged F1 over entities (Rasa leaves "no_entity" out of its averages)."""
    return float(report["micro avg"]["f1-score"])


def below_floors(figures: NluFigures) -> list[str]:
    """Every measured figure under its floor, as a sentence."""
    failures = []
    for name, floor in FLOORS.items():
        value = getattr(figures, name)
        if value is not None and value < floor:
            failures.append(f"{name} {value:.3f} is below the floor {floor:.2f}")
    return failures


def _rasa(arguments: Sequence[str]) -> None:
    """Run a Rasa command from the project root; fail loudly with its output's end."""
    result = subprocess.run(
        [str(RASA), *arguments], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"rasa {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")


def _report(folder: Path, name: str) -> dict[str, Any]:
    """A JSON report Rasa wrote."""
    loaded: dict[str, Any] = json.loads((folder / name).read_text(encoding="utf-8"))
    return loaded


def evaluate(out: Path, *, model: Path | None, folds: int, skip_cv: bool) -> NluFigures:
    """Cross-validate and test on the held-out set; returns the figures."""
    figures = NluFigures()
    if not skip_cv:
        started = time.perf_counter()
        cv = out / "cross-validation"
        _rasa(["test", "nlu", "--nlu", "nlu_data", "--config", "config.yml",
               "--cross-validation", "--folds", str(folds), "--out", str(cv)])  # fmt: skip
        figures.cv_seconds = round(time.perf_counter() - started, 1)
        _, figures.cv_intent_macro_f1, figures.weakest_intents = intent_figures(
            _report(cv, "intent_report.json")
        )
        figures.cv_entity_f1 = entity_f1(_report(cv, f"{ENTITY_EXTRACTOR}_report.json"))
    if model is None:
        model = out / "nlu-model.tar.gz"
        _rasa(["train", "nlu", "--nlu", "nlu_data", "--config", "config.yml",
               "--out", str(out), "--fixed-model-name", "nlu-model"])  # fmt: skip
    heldout = out / "heldout"
    _rasa(["test", "nlu", "--nlu", str(HELDOUT), "--model", str(model), "--out", str(heldout)])
    accuracy, macro, weakest = intent_figures(_report(heldout, "intent_report.json"))
    figures.heldout_intent_accuracy, figures.heldout_intent_macro_f1 = accuracy, macro
    if skip_cv:
        figures.weakest_intents = weakest
    figures.heldout_entity_f1 = entity_f1(_report(heldout, f"{ENTITY_EXTRACTOR}_report.json"))
    return figures


def render(figures: NluFigures) -> str:
    """A short table for the terminal and docs/benchmarks.md."""
    rows = [f"| {name} | {getattr(figures, name):.3f} | ≥ {floor:.2f} |"
            for name, floor in FLOORS.items() if getattr(figures, name) is not None]  # fmt: skip
    if figures.heldout_entity_f1 is not None:
        rows.append(f"| heldout_entity_f1 | {figures.heldout_entity_f1:.3f} | — |")
    weakest = ", ".join(f"{name} {f1:.2f}" for name, f1 in figures.weakest_intents)
    return "\n".join(["| figure | measured | floor |", "|---|---|---|", *rows,
                      f"\nWeakest intents (F1): {weakest}"])  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; exit 1 under a floor with --check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a trained model for the held-out test")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "var" / "nlu-eval")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-cv", action="store_true", help="only the held-out set")
    parser.add_argument("--check", action="store_true", help="exit 1 below a floor")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    figures = evaluate(args.out, model=args.model, folds=args.folds, skip_cv=args.skip_cv)
    (args.out / "nlu-summary.json").write_text(json.dumps(asdict(figures), indent=2) + "\n")
    print(render(figures))
    failures = below_floors(figures)
    for failure in failures:
        print(f"NLU quality: {failure}", file=sys.stderr)
    return 1 if args.check and failures else 0


if __name__ == "__main__":
    sys.exit(main())
