"""The language detection benchmark: its samples, its counting and the report it writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import language_detect
from benchmarks.language_detect import (
    BUCKETS,
    MIXED,
    Cost,
    Guess,
    Guesser,
    Result,
    Sample,
    heldout_samples,
    main,
    render,
    tallies,
)
from knowledge.locales import SOURCE_LANGUAGE, supported_codes

SOURCE_SET = """version: "3.1"
nlu:
- intent: find_opportunity
  examples: |
    - [coding](topic) classes for my [son](relation)
    - [free]{"entity": "cost", "value": "free"} ones
- intent: share_location
  examples: |
    - /share_location{"latitude": 41.4, "longitude": -81.6}
"""
OTHER_SET = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hola
"""
COST = Cost(0.5, 40.0, 90.0, 46.0, 110.0, 112.0)


def _other() -> str:
    return next(code for code in supported_codes() if code != SOURCE_LANGUAGE)


def _heldout(folder: Path) -> Path:
    folder.mkdir()
    (folder / "heldout.yml").write_text(SOURCE_SET)
    (folder / f"heldout_{_other()}.yml").write_text(OTHER_SET)
    return folder


def test_held_out_messages_lose_their_annotations_and_payloads_keep_their_sets_language(
    tmp_path: Path,
) -> None:
    samples = heldout_samples(_heldout(tmp_path / "nlu"))
    assert samples == [
        Sample("coding classes for my son", SOURCE_LANGUAGE),
        Sample("free ones", SOURCE_LANGUAGE),
        Sample("hola", _other()),
    ]


@pytest.mark.parametrize(
    ("text", "bucket"),
    [("hola", 0), ("👋", 0), ("free ones", 1), ("my son is 9", 2), ("art for my son is", 3)],
)
def test_messages_are_classed_by_their_number_of_words(text: str, bucket: int) -> None:
    assert Sample(text, SOURCE_LANGUAGE).bucket == BUCKETS[bucket]


def test_a_guess_under_the_threshold_counts_as_no_answer() -> None:
    samples = [Sample("hola", "xx"), Sample("ok", "xx"), Sample("hi there", "yy")]
    guesses: list[Guess] = [("xx", 0.9), ("yy", 0.6), None]
    one_word, two_words, *_ = tallies(samples, guesses, 0.0)
    assert (one_word.right, one_word.wrong, one_word.none, two_words.none) == (1, 1, 0, 1)
    one_word, *_ = tallies(samples, guesses, 0.7)
    assert (one_word.right, one_word.wrong, one_word.none) == (1, 0, 1)


def _results(samples: list[Sample], *names: str) -> list[Result]:
    """Every detector right on every message, sure of it; detect() unsure of the short ones."""
    texts = [sample.text for sample in samples] + [text for text, _ in MIXED]
    codes = [sample.code for sample in samples] + [code for _, code in MIXED]
    results = [Result(name, [(code, 0.99) for code in codes], COST) for name in names]
    shipped: list[Guess] = [
        (code, 0.99) if len(text.split()) > 2 else None
        for text, code in zip(texts, codes, strict=True)
    ]
    return [*results, Result("detect()", shipped)]


def test_the_report_shows_each_detector_by_length_cost_and_the_decision() -> None:
    samples = [Sample("hola", "xx"), Sample("coding classes for my son", "yy")]
    report = render(samples, _results(samples, "lingua", "py3langid"), 3.0)
    assert "| lingua | 100% | — | — | 100% | 100% |" in report
    assert "| detect() |" not in report.split("## Wrong answers")[0]
    assert "| 1 word | 1 | 0% | 0% | 100% |" in report
    assert "| lingua | 0.50 | 46 | 110 | 112 | 40 | 90 |" in report
    assert f"{len(MIXED)} of {len(MIXED)} code-switched ones" in report
    assert "lingua stays" in report


def test_the_report_says_when_py3langid_was_not_compared() -> None:
    samples = [Sample("coding classes for my son", "yy")]
    report = render(samples, _results(samples, "lingua"), 1.0)
    assert "py3langid was not installed for this run" in report


def test_main_writes_the_report_from_the_held_out_sets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def always_source() -> Guesser:
        return lambda text: (SOURCE_LANGUAGE, 0.9)

    def not_installed() -> Guesser:
        raise ImportError("py3langid")

    monkeypatch.setattr(
        language_detect, "GUESSERS", {"lingua": always_source, "py3langid": not_installed}
    )
    monkeypatch.setattr(language_detect, "cost_in_fresh_processes", lambda name, texts: COST)
    out = tmp_path / "languages.md"
    assert main(["--out", str(out), "--heldout-dir", str(_heldout(tmp_path / "nlu"))]) == 0
    report = out.read_text()
    assert "The 3 typed messages of the held-out NLU sets" in report
    assert "| lingua | 0% | 100% | — | 100% | 67% |" in report
    assert "py3langid was not installed for this run" in report
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["--out", str(out), "--heldout-dir", str(empty)]) == 2
