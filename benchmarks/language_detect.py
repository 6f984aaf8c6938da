"""Language detection measured: lingua (what knowledge.language_detect uses) against py3langid
on the held-out NLU sets, by message length, on code-switched messages, in time and memory.

`python -m benchmarks.language_detect [--out docs/benchmarks-languages.md]` reads every supported
language's held-out set (tests/nlu/heldout.yml, heldout_<code>.yml), labels each message with its
set's language, and writes the figures. py3langid is measured only when it is installed (it is
not a requirement: `pip install py3langid` into the venv for the comparison, then remove it).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from benchmarks.machine import describe_machine
from benchmarks.nlu import HELDOUT_DIR, heldout_sets
from knowledge.language_detect import (
    MIN_CONFIDENCE,
    MIN_LETTERS,
    MIN_WORD_SHARE,
    detect,
    lingua_language,
)
from knowledge.locales import supported_codes
from knowledge.settings import PROJECT_ROOT

OUT = PROJECT_ROOT / "docs" / "benchmarks-languages.md"
BUCKETS = ("1 word", "2 words", "3–4 words", "5+ words")
THRESHOLDS = (0.0, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9)
# Code-switched messages as learners write them, labelled with the language of the sentence's
# frame (its grammar words), which is the one a reply should be in. Benchmark data only.
MIXED = (
    ("busco coding classes para mi hijo de 12", "es"),
    ("hola, necesito un summer camp para mi hija", "es"),
    ("mi hijo quiere hacer robotics after school", "es"),
    ("hay algo free los weekends?", "es"),
    ("quiero más info del coding bootcamp porfa", "es"),
    ("es para mi daughter, she is 9", "en"),
    ("looking for clases de natación for my daughter", "en"),
    ("is there anything for my sobrino, he's 11", "en"),
    ("my mom only speaks español, is there a class for her", "en"),
    ("ok gracias, I'll check the first one", "en"),
    ("can you show me the ones en español please", "en"),
)
MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")  # [text](entity) / [text]{...}
Guess = tuple[str, float] | None
Guesser = Callable[[str], Guess]


@dataclass(frozen=True)
class Sample:
    """One held-out message and the language of its set."""

    text: str
    code: str

    @property
    def bucket(self) -> str:
        """Its length class, by words."""
        words = len(self.text.split())
        return BUCKETS[0 if words <= 1 else 1 if words == 2 else 2 if words <= 4 else 3]


@dataclass
class Tally:
    """Right, wrong and no answers of one detector on one length class."""

    right: int = 0
    wrong: int = 0
    none: int = 0

    @property
    def total(self) -> int:
        """Messages counted."""
        return self.right + self.wrong + self.none

    def count(self, guess: str | None, expected: str) -> None:
        """Add one answer."""
        if guess is None:
            self.none += 1
        elif guess == expected:
            self.right += 1
        else:
            self.wrong += 1


@dataclass
class Cost:
    """What a detector takes: to build, per call, in memory (MB of resident memory)."""

    build_s: float
    call_mean_us: float
    call_p95_us: float
    rss_before_mb: float
    rss_loaded_mb: float
    rss_after_call_mb: float


@dataclass
class Result:
    """One detector's answers (its best guess at each threshold) and its cost."""

    name: str
    guesses: list[Guess] = field(default_factory=list)
    cost: Cost | None = None


def heldout_samples(folder: Path = HELDOUT_DIR) -> list[Sample]:
    """Every typed message of every held-out set, its annotations removed (payloads left out)."""
    samples = []
    sets, _ = heldout_sets(folder)
    for code, path in sets.items():
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                text = MARKUP.sub(r"\1", line.strip().removeprefix("- ").strip())
                if text and not text.startswith("/"):
                    samples.append(Sample(text, code))
    return samples


def tallies(samples: Sequence[Sample], guesses: Sequence[Guess], threshold: float) -> list[Tally]:
    """Right/wrong/none per length class, a guess under `threshold` counting as no answer."""
    found = {bucket: Tally() for bucket in BUCKETS}
    for sample, guess in zip(samples, guesses, strict=True):
        code = guess[0] if guess is not None and guess[1] >= threshold else None
        found[sample.bucket].count(code, sample.code)
    return [found[bucket] for bucket in BUCKETS]


def lingua_guesser(low_accuracy: bool = False) -> Guesser:
    """lingua restricted to the supported languages, its best guess and confidence."""
    from lingua import LanguageDetectorBuilder

    codes = {
        language: code
        for code in supported_codes()
        if (language := lingua_language(code)) is not None
    }
    builder = LanguageDetectorBuilder.from_languages(*codes).with_preloaded_language_models()
    detector = (builder.with_low_accuracy_mode() if low_accuracy else builder).build()

    def guess(text: str) -> Guess:
        values = detector.compute_language_confidence_values(text)
        if not values or values[0].value <= 0:
            return None
        return codes[values[0].language], values[0].value

    return guess


def py3langid_guesser() -> Guesser:
    """py3langid restricted to the supported languages it knows, with normalised probabilities."""
    from py3langid.langid import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
        MODEL_FILE,
        LanguageIdentifier,
    )

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([code for code in supported_codes() if code in identifier.nb_classes])

    def guess(text: str) -> Guess:
        code, probability = identifier.classify(text)
        return str(code), float(probability)

    return guess


def shipped_guesser() -> Guesser:
    """knowledge.language_detect.detect itself, with its thresholds."""

    def guess(text: str) -> Guess:
        found = detect(text)
        return (found.code, found.confidence) if found else None

    return guess


GUESSERS: dict[str, Callable[[], Guesser]] = {
    "lingua": lingua_guesser,
    "lingua, low accuracy mode": lambda: lingua_guesser(low_accuracy=True),
    "py3langid": py3langid_guesser,
}


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure_cost(name: str, texts: Sequence[str]) -> Cost:
    """Build one detector in this process and time it on `texts` (run in a fresh process)."""
    before = rss_mb()
    started = time.perf_counter()
    guess = GUESSERS[name]()
    build_s = time.perf_counter() - started
    loaded = rss_mb()
    guess(texts[0])
    times = []
    for text in texts:
        started_ns = time.perf_counter_ns()
        guess(text)
        times.append((time.perf_counter_ns() - started_ns) / 1000)
    times.sort()
    return Cost(
        round(build_s, 3),
        round(sum(times) / len(times), 1),
        round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
        round(before, 1),
        round(loaded, 1),
        round(rss_mb(), 1),
    )


def cost_in_fresh_processes(name: str, texts: Sequence[str], runs: int = 3) -> Cost:
    """The median of each figure of `runs` fresh interpreters (lingua's loaded memory varies by
    tens of MB from one to the next)."""
    costs = [cost_in_fresh_process(name, texts) for _ in range(runs)]
    return Cost(
        *(
            sorted(getattr(cost, part) for cost in costs)[runs // 2]
            for part in Cost.__dataclass_fields__
        )
    )


def cost_in_fresh_process(name: str, texts: Sequence[str]) -> Cost:
    """measure_cost in a new interpreter, so one detector's memory is not another's."""
    script = (
        "import json, sys\n"
        "from dataclasses import asdict\n"
        "from benchmarks.language_detect import measure_cost\n"
        "texts = json.loads(sys.stdin.read())\n"
        f"print(json.dumps(asdict(measure_cost({name!r}, texts))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(list(texts)),
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    return Cost(**json.loads(result.stdout.strip().splitlines()[-1]))


def run(samples: Sequence[Sample]) -> list[Result]:
    """Every installed detector's guesses on the samples and the mixed messages, and its cost."""
    texts = [sample.text for sample in samples] + [text for text, _ in MIXED]
    results = []
    for name, build in GUESSERS.items():
        try:
            guess = build()
        except ImportError:  # py3langid, unless installed for the comparison
            continue
        result = Result(name, [guess(text) for text in texts])
        result.cost = cost_in_fresh_processes(name, texts)
        results.append(result)
    shipped = shipped_guesser()
    results.append(Result("detect()", [shipped(text) for text in texts]))
    return results


def _share(part: int, whole: int) -> str:
    """A percentage, or a dash for nothing counted."""
    return f"{100 * part / whole:.0f}%" if whole else "—"


def render(samples: Sequence[Sample], results: Sequence[Result], seconds: float) -> str:
    """docs/benchmarks-languages.md."""
    machine = describe_machine(None)
    count = len(samples)
    sizes = tallies(samples, [None] * count, 1.0)
    by_code = {code: sum(1 for s in samples if s.code == code) for code in supported_codes()}
    lines = [
        "# Benchmarks: knowing the learner's language",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} with `python -m benchmarks.language_detect` "
        f"on {machine.cpu}, {machine.cores} cores, {machine.ram_gb:.1f} GiB, Python "
        f"{machine.python}, lingua-language-detector {_version('lingua-language-detector')}; "
        f"load average {machine.load:.1f}; {seconds:.0f} s in all.",
        "",
        f"The {count} typed messages of the held-out NLU sets ("
        + ", ".join(f"{n} {code}" for code, n in by_code.items() if n)
        + "), each labelled with its set's language, the detectors restricted to the supported "
        "languages. The labels are the set's, so the few other-language words of a set "
        '("hola" and "si, yes" in the English one) count as errors. A message is right when the '
        "best guess is its set's language; *none* is no answer (no letters, or a guess under the "
        "threshold).",
        "",
        "## Best guess, by length",
        "",
        "| detector | "
        + " | ".join(f"{b} ({t.total})" for b, t in zip(BUCKETS, sizes, strict=True))
        + " | all |",
        "|---|" + "---|" * (len(BUCKETS) + 1),
    ]
    for result in results:
        if result.name == "detect()":
            continue
        found = tallies(samples, result.guesses[:count], 0.0)
        right = sum(t.right for t in found)
        cells = [_share(t.right, t.total) for t in found]
        lines.append(f"| {result.name} | " + " | ".join(cells) + f" | {_share(right, count)} |")
    lines += [
        "",
        "## Wrong answers and no answers, by confidence threshold",
        "",
        "Below the threshold a detector gives no answer. What matters is the wrong answers (a "
        "reply in the wrong language); no answer only keeps the language the chat already has.",
        "Each cell is *wrong / none* as a share of that length's messages.",
        "",
        "| detector | threshold | " + " | ".join(BUCKETS) + " |",
        "|---|---|" + "---|" * len(BUCKETS),
    ]
    for result in results:
        if result.name == "detect()":
            continue
        for threshold in THRESHOLDS:
            found = tallies(samples, result.guesses[:count], threshold)
            cells = [f"{_share(t.wrong, t.total)} / {_share(t.none, t.total)}" for t in found]
            lines.append(f"| {result.name} | {threshold:.2f} | " + " | ".join(cells) + " |")
    shipped = next(result for result in results if result.name == "detect()")
    found = tallies(samples, shipped.guesses[:count], 0.0)
    lines += [
        "",
        f"## `knowledge.language_detect.detect` (lingua, ≥ {MIN_LETTERS} letters, confidence "
        f"≥ {MIN_CONFIDENCE:.2f})",
        "",
        "| length | messages | right | wrong | none |",
        "|---|---|---|---|---|",
        *(
            f"| {bucket} | {t.total} | {_share(t.right, t.total)} | {_share(t.wrong, t.total)} "
            f"| {_share(t.none, t.total)} |"
            for bucket, t in zip(BUCKETS, found, strict=True)
        ),
        "",
        "## Code-switched messages",
        "",
        "Labelled with the language of the sentence's frame (its grammar words).",
        "",
        "| message | frame | " + " | ".join(result.name for result in results) + " |",
        "|---|---|" + "---|" * len(results),
    ]
    for index, (text, code) in enumerate(MIXED):
        cells = []
        for result in results:
            guess = result.guesses[count + index]
            cells.append("none" if guess is None else f"{guess[0]} {guess[1]:.2f}")
        lines.append(f"| {text} | {code} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Cost",
        "",
        "Each detector built in a fresh interpreter; resident memory before building, after, and "
        f"after the first call; time per call over the {count + len(MIXED)} messages; each figure "
        "the median of 3 interpreters.",
        "",
        "| detector | build s | RSS before MB | loaded MB | after a call MB | call mean µs "
        "| call p95 µs |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        if result.cost is None:
            continue
        c = result.cost
        lines.append(
            f"| {result.name} | {c.build_s:.2f} | {c.rss_before_mb:.0f} | {c.rss_loaded_mb:.0f} "
            f"| {c.rss_after_call_mb:.0f} | {c.call_mean_us:.0f} | {c.call_p95_us:.0f} |"
        )
    return "\n".join([*lines, "", *decision(samples, results)]) + "\n"


def decision(samples: Sequence[Sample], results: Sequence[Result]) -> list[str]:
    """The choice of detector and thresholds, with this run's figures."""
    count = len(samples)
    named = {result.name: result for result in results}
    guesses = named["detect()"].guesses[:count]
    shipped = tallies(samples, guesses, 0.0)
    longer = Tally(
        *(sum(getattr(t, part) for t in shipped[2:]) for part in ("right", "wrong", "none"))
    )
    wrong = [
        f"{sample.text!r} ({sample.code} set, {guess[0]} {guess[1]:.2f})"
        for sample, guess in zip(samples, guesses, strict=True)
        if guess is not None and guess[0] != sample.code
    ]
    lines = [
        "## Decision",
        "",
        f"`detect()` uses lingua restricted to the supported languages and answers only for "
        f'{MIN_LETTERS} letters or more ("ok", "si", "12", "👍" tell nothing) and a '
        f"confidence of {MIN_CONFIDENCE:.2f} or more: a wrong answer (a reply in the wrong "
        "language) costs more than no answer (the chat keeps the language it has), so the "
        "threshold is where lingua's wrong answers stop falling while its answers still cover "
        f"most messages. On messages of 3 words or more it answers {longer.right + longer.wrong} "
        f"of {longer.total} and is wrong on {longer.wrong}. Its wrong answers on the held-out "
        "sets (some are messages written in the other language than their set's):",
        "",
        *(f"- {line}" for line in wrong or ["none"]),
        "",
        "One word is still never enough to switch the chat's language: the caller's rule counts "
        "words as well. And a guess must hold at least "
        f"{MIN_WORD_SHARE:.0%} of the words lingua assigns to a language when it splits the "
        'message ("tell me about Ballet Folklórico Infantil" quotes a Spanish title in an English '
        "sentence; lingua alone is 0.93 sure it is Spanish): found on the second city, Juniper "
        'Ford, where "tell me about OSHA-10 Construcción en Español" switched the chat to Spanish.',
    ]
    if "py3langid" not in named:
        return [*lines, "", "py3langid was not installed for this run: it is not compared."]
    right = {
        name: (
            sum(t.right for t in tallies(samples, named[name].guesses[:count], 0.0)),
            sum(
                1
                for (_, code), guess in zip(MIXED, named[name].guesses[count:], strict=True)
                if guess is not None and guess[0] == code
            ),
        )
        for name in ("lingua", "py3langid")
    }
    memory = {
        name: f"{cost.rss_after_call_mb - cost.rss_before_mb:.0f} MB"
        for name in ("lingua", "py3langid")
        if (cost := named[name].cost) is not None
    }
    return [
        *lines,
        "",
        f"lingua's best guess is right on {right['lingua'][0]} of {count} held-out messages and "
        f"{right['lingua'][1]} of {len(MIXED)} code-switched ones, py3langid's on "
        f"{right['py3langid'][0]} and {right['py3langid'][1]}; their memory once loaded is "
        f"{memory.get('lingua', '—')} and {memory.get('py3langid', '—')}. py3langid is more "
        "often right on code-switched messages and two-word ones, lingua on one word, where "
        'py3langid is most sure of the wrong answer ("hola" and "hey hola 🙂" as English). '
        f"That is not a clear enough win to add a requirement (py3langid {_version('py3langid')} "
        "was installed for this comparison only): lingua stays. Its low accuracy mode saves "
        "memory but is wrong far more often on short messages.",
    ]


def _version(package: str) -> str:
    """An installed package's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "—"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: measure, print and write the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="the Markdown file to write")
    parser.add_argument("--heldout-dir", type=Path, default=HELDOUT_DIR)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    samples = heldout_samples(args.heldout_dir)
    if not samples:
        print(f"No held-out messages in {args.heldout_dir}", file=sys.stderr)
        return 2
    report = render(samples, run(samples), time.perf_counter() - started)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
