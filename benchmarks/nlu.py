"""NLU quality: 5-fold cross-validation on nlu_data/ and the held-out set in tests/nlu/.

`python -m benchmarks.nlu [--rasa PATH] [--out DIR] [--folds 5] [--model M] [--skip-cv] [--check]`
shells out to Rasa (.venv-rasa), reads the JSON reports it writes, prints the figures, writes
DIR/nlu-summary.json and, with --check, exits 1 naming every floor that is not met (issue #3:
CV intent macro-F1 ≥ 0.93, CV entity F1 ≥ 0.85, held-out intent accuracy ≥ 0.90).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.launch import RASA
from knowledge.settings import PROJECT_ROOT

NLU_DATA = "nlu_data"
CONFIG = "config.yml"
HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
FLOORS = {
    "cv_intent_macro_f1": 0.93,
    "cv_entity_f1": 0.85,
    "heldout_intent_accuracy": 0.90,
}
SUMMARY_KEYS = frozenset({"macro avg", "micro avg", "weighted avg", "accuracy"})
# Extractors whose reports say nothing about what the model learned: payloads ("/intent{...}")
# and exact lookup matches. The learned one is DIET or the CRF, whichever config.yml uses.
RULE_EXTRACTORS = ("RegexMessageHandler", "RegexEntityExtractor")
# Entities that only payloads carry; the held-out set leaves them unannotated.
PAYLOAD_ENTITIES = frozenset({"latitude", "longitude"})
WORST = 5
CV_SEED = 20261123  # fixed once, never tuned: the folds are the same on every run
# Runs the `rasa` script (argv[1]) as its own interpreter would, after seeding the random state.
SEEDED_RASA = f"""
import random, runpy, sys
random.seed({CV_SEED})
try:
    import numpy
    numpy.random.seed({CV_SEED})
except ImportError:
    pass
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@dataclass
class NluFigures:
    """What the evaluation found; None where a part was skipped."""

    cv_intent_macro_f1: float | None = None
    cv_entity_f1: float | None = None
    heldout_intent_accuracy: float | None = None
    heldout_intent_macro_f1: float | None = None
    heldout_entity_f1: float | None = None
    heldout_entity_value_f1: float | None = None
    entity_extractor: str | None = None
    cv_worst_intents: list[tuple[str, float]] = field(default_factory=list)
    heldout_worst_intents: list[tuple[str, float]] = field(default_factory=list)
    train_seconds: float | None = None
    train_peak_rss_mb: float | None = None
    cv_seconds: float | None = None


def intent_figures(report: Mapping[str, Any]) -> tuple[float, float, list[tuple[str, float]]]:
    """(accuracy, macro-F1, the five weakest intents by F1) from Rasa's intent_report.json."""
    per_intent = [
        (name, float(values["f1-score"]))
        for name, values in report.items()
        if name not in SUMMARY_KEYS and isinstance(values, dict) and "f1-score" in values
    ]
    weakest = sorted(per_intent, key=lambda item: (item[1], item[0]))[:WORST]
    return float(report["accuracy"]), float(report["macro avg"]["f1-score"]), weakest


def entity_f1(report: Mapping[str, Any]) -> float:
    """Micro-averaged F1 over entities; Rasa already leaves "no_entity" out of the report."""
    if "micro avg" in report:
        return float(report["micro avg"]["f1-score"])
    return float(report["accuracy"])  # sklearn's name for micro F1 when every label is present


def learned_extractor(report_names: Iterable[str]) -> str | None:
    """The extractor whose `<name>_report.json` measures what was learned (not lookups)."""
    extractors = sorted(
        name.removesuffix("_report.json")
        for name in report_names
        if name.endswith("_report.json") and name != "intent_report.json"
    )
    learned = [name for name in extractors if name not in RULE_EXTRACTORS]
    return learned[0] if learned else None


def entity_pairs(entities: Iterable[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """(entity, normalised value) pairs, the way the dialogue sees them (duplicates merge)."""
    return {
        (str(entity["entity"]), str(entity["value"]))
        for entity in entities
        if entity["entity"] not in PAYLOAD_ENTITIES
    }


def value_f1(predictions: Iterable[Mapping[str, Any]]) -> float | None:
    """Micro F1 of (entity, value) pairs per message, over every extractor's output merged.

    Rasa's entity F1 compares token labels only, so it cannot see a wrong normalisation
    ("programming" kept instead of coding); this does. `predictions` are the records of Rasa's
    `*_errors.json` / `*_successes.json` ({text, entities, predicted_entities}).
    """
    by_text: dict[str, Mapping[str, Any]] = {}
    for record in predictions:
        by_text.setdefault(str(record["text"]), record)
    true_positives = predicted = expected = 0
    for record in by_text.values():
        gold = entity_pairs(record["entities"])
        found = entity_pairs(record["predicted_entities"])
        true_positives += len(gold & found)
        predicted += len(found)
        expected += len(gold)
    if predicted + expected == 0:
        return None
    return 2 * true_positives / (predicted + expected)


def below_floors(figures: NluFigures) -> list[str]:
    """Every floor not met, as a sentence; figures of skipped parts (None) are not judged."""
    failures = []
    for name, floor in FLOORS.items():
        value = getattr(figures, name)
        if value is not None and value < floor:
            failures.append(f"{name} {value:.3f} is below the floor {floor:.2f}")
    return failures


def render(figures: NluFigures) -> str:
    """A short table for the terminal and docs."""
    rows = [
        f"| {name} | {value:.3f} | {f'≥ {FLOORS[name]:.2f}' if name in FLOORS else '—'} |"
        for name in (
            "cv_intent_macro_f1",
            "cv_entity_f1",
            "heldout_intent_accuracy",
            "heldout_intent_macro_f1",
            "heldout_entity_f1",
            "heldout_entity_value_f1",
        )
        if (value := getattr(figures, name)) is not None
    ]
    lines = ["| figure | measured | floor |", "|---|---|---|", *rows]
    for label, worst in (
        ("CV", figures.cv_worst_intents),
        ("held-out", figures.heldout_worst_intents),
    ):
        if worst:
            lines.append(
                f"Weakest intents, {label} (F1): " + ", ".join(f"{n} {f:.2f}" for n, f in worst)
            )
    if figures.entity_extractor:
        lines.append(f"Entity F1 is {figures.entity_extractor}'s.")
    if figures.train_seconds is not None:
        rss = f", peak RSS {figures.train_peak_rss_mb:.0f} MB" if figures.train_peak_rss_mb else ""
        lines.append(f"Training (rasa train nlu): {figures.train_seconds:.0f} s{rss}")
    return "\n".join(lines)


def _rasa(rasa: Path, arguments: Sequence[str], *, seeded: bool = False) -> None:
    """Run a Rasa command from the project root; fail loudly with the end of its output.

    `seeded` runs it with numpy's global random state fixed first: Rasa's cross-validation
    shuffles its folds with it (StratifiedKFold without a random_state), so without a seed the
    same data scores differently on every run and a floor check would flap.
    """
    command = [str(rasa), *arguments]
    if seeded:
        command = [_interpreter(rasa), "-c", SEEDED_RASA, str(rasa), *arguments]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-3000:]
        raise RuntimeError(f"rasa {' '.join(arguments)} failed ({result.returncode}):\n{tail}")


def _interpreter(script: Path) -> str:
    """The Python a console script runs with (its #! line), else the one beside it."""
    first = script.read_text(errors="replace").split("\n", 1)[0]
    return first[2:].strip() if first.startswith("#!") else str(script.parent / "python")


def _json(path: Path) -> Any:
    """A JSON file Rasa wrote."""
    return json.loads(path.read_text(encoding="utf-8"))


def _entity_figures(folder: Path) -> tuple[str | None, float | None]:
    """The learned extractor and its entity F1 from a `rasa test nlu` output folder."""
    extractor = learned_extractor(path.name for path in folder.glob("*_report.json"))
    if extractor is None:
        return None, None
    return extractor, entity_f1(_json(folder / f"{extractor}_report.json"))


def _fresh(folder: Path) -> Path:
    """An empty output folder: reports of an earlier run (another extractor) must not linger."""
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def _train(rasa: Path, out: Path, figures: NluFigures, config: str = CONFIG) -> Path:
    """Train an NLU-only model once, timing it; the peak RSS is that of Rasa's process."""
    started = time.perf_counter()
    _rasa(rasa, ["train", "nlu", "--nlu", NLU_DATA, "--config", config,
                 "--out", str(out), "--fixed-model-name", "nlu-model"])  # fmt: skip
    figures.train_seconds = round(time.perf_counter() - started, 1)
    # Children's peak so far: training runs before anything else this process starts.
    figures.train_peak_rss_mb = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return out / "nlu-model.tar.gz"


def evaluate(
    out: Path,
    *,
    rasa: Path = RASA,
    model: Path | None,
    folds: int,
    skip_cv: bool,
    config: str = CONFIG,
) -> NluFigures:
    """Train (unless given a model), test on the held-out set, cross-validate; the figures."""
    figures = NluFigures()
    if model is None:
        model = _train(rasa, out, figures, config)
    heldout = _fresh(out / "heldout")
    _rasa(rasa, ["test", "nlu", "--nlu", str(HELDOUT), "--model", str(model),
                 "--out", str(heldout), "--successes", "--no-plot"])  # fmt: skip
    accuracy, macro, figures.heldout_worst_intents = intent_figures(
        _json(heldout / "intent_report.json")
    )
    figures.heldout_intent_accuracy, figures.heldout_intent_macro_f1 = accuracy, macro
    figures.entity_extractor, figures.heldout_entity_f1 = _entity_figures(heldout)
    records = [
        record
        for pattern in ("*_errors.json", "*_successes.json")
        for path in sorted(heldout.glob(pattern))
        for record in _json(path)
        if isinstance(record, dict) and "predicted_entities" in record
    ]
    figures.heldout_entity_value_f1 = value_f1(records)
    if not skip_cv:
        started = time.perf_counter()
        cv = _fresh(out / "cross-validation")
        arguments = ["test", "nlu", "--nlu", NLU_DATA, "--config", config, "--cross-validation",
                     "--folds", str(folds), "--out", str(cv), "--no-plot"]  # fmt: skip
        _rasa(rasa, arguments, seeded=True)
        figures.cv_seconds = round(time.perf_counter() - started, 1)
        _, figures.cv_intent_macro_f1, figures.cv_worst_intents = intent_figures(
            _json(cv / "intent_report.json")
        )
        _, figures.cv_entity_f1 = _entity_figures(cv)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 when done (or every floor met with --check), 1 under a floor, 2 on error."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rasa", type=Path, default=RASA, help="the rasa executable")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "var" / "nlu-eval")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--config", default=CONFIG, help="the pipeline to evaluate (default: config.yml)"
    )
    parser.add_argument("--model", type=Path, help="reuse a trained model for the held-out part")
    parser.add_argument("--skip-cv", action="store_true", help="only the held-out set")
    parser.add_argument("--check", action="store_true", help="exit 1 when a floor is not met")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    model: Path | None = args.model.resolve() if args.model else None
    try:
        figures = evaluate(
            out,
            rasa=args.rasa.resolve(),
            model=model,
            folds=args.folds,
            skip_cv=args.skip_cv,
            config=args.config,
        )
    except (RuntimeError, OSError, KeyError, ValueError) as error:
        print(f"NLU evaluation failed: {error}", file=sys.stderr)
        return 2
    (out / "nlu-summary.json").write_text(json.dumps(asdict(figures), indent=2) + "\n")
    print(render(figures))
    failures = below_floors(figures)
    for failure in failures:
        print(f"NLU quality: {failure}", file=sys.stderr)
    return 1 if args.check and failures else 0


if __name__ == "__main__":
    sys.exit(main())
