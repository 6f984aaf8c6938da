"""The reading-level benchmark: the texts it reads, the prose it makes of them, its grades, the
report it writes, and the domain's responses against the goal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.readability import (
    GOAL_AVERAGE,
    GOAL_MAX,
    PLACEHOLDER,
    PLACEHOLDER_WORDS,
    average,
    english_responses,
    grade,
    main,
    measure,
    plain_text,
)

DOMAIN = """version: "3.1"
responses:
  utter_easy:
    - text: "Hi! I can help you find a club. 👋"
      buttons:
        - title: "Find a program"
          payload: /find_opportunity
    - condition:
        - type: slot
          name: city
          value: null
      text: "Saved {title} to your plan. 📌"
  utter_only_data:
    - text: "{summary}"
  utter_custom_only:
    - custom: {"kind": "map"}
"""
HARD_TEXT = "Comprehensive institutional accreditation necessitates documentation."
HARD = f"""version: "3.1"
responses:
  utter_hard:
    - text: "{HARD_TEXT}"
"""


def fk(words: int, syllables: int, sentences: int = 1) -> float:
    """The Flesch-Kincaid grade formula, for counts made by hand."""
    return 0.39 * words / sentences + 11.8 * syllables / words - 15.59


def test_the_grade_is_flesch_kincaid_and_never_below_zero() -> None:
    # a(1) cer-tif-i-cate(4) shows(1) you(1) fin-ished(2) a(1) course(1): 7 words, 11 syllables
    assert grade("A certificate shows you finished a course.") == pytest.approx(fk(7, 11), abs=0.01)
    # 5 words, 23 syllables: a text for graduate school
    assert grade(HARD_TEXT) == pytest.approx(fk(5, 23), abs=0.01)
    assert grade("The cat sat on the mat.") == 0.0  # fk(6, 6) is below zero


def test_plain_text_fills_placeholders_and_drops_icons_links_and_markdown() -> None:
    text = "⏰ Apply for {title} by {deadline}!\n• *free* classes\n• see https://x.eu or /help"
    assert plain_text(text) == (
        f"Apply for {PLACEHOLDER_WORDS['title']} by {PLACEHOLDER_WORDS['deadline']}! "
        "free classes. see or."
    )
    assert plain_text("{mystery} is here") == "it is here."  # an unknown placeholder
    assert plain_text("parents and/or carers") == "parents and/or carers."


def test_each_line_is_a_sentence_so_a_list_does_not_read_as_one_long_sentence() -> None:
    listing = "Here's what I can do:\n• find programs\n• explain what they lead to\n• remind you"
    assert plain_text(listing).count(".") == 3
    assert grade(plain_text(listing)) < grade(plain_text(listing).replace(".", ","))


def test_every_response_text_is_read_and_placeholder_only_texts_are_left_out(
    tmp_path: Path,
) -> None:
    (tmp_path / "basics.yml").write_text(DOMAIN, encoding="utf-8")
    responses = english_responses(tmp_path)
    assert [r.key for r in responses] == ["utter_easy[0]", "utter_easy[1]", "utter_only_data[0]"]
    graded = measure(responses)
    assert {g.response.key for g in graded} == {"utter_easy[0]", "utter_easy[1]"}
    assert graded[0].grade >= graded[1].grade  # hardest first


def test_the_report_names_the_hardest_and_check_fails_when_the_goal_is_missed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "basics.yml").write_text(DOMAIN, encoding="utf-8")
    out = tmp_path / "readability.md"
    assert main(["--domain", str(tmp_path), "--out", str(out), "--check"]) == 0
    assert "| goal met | yes |" in out.read_text(encoding="utf-8")

    (tmp_path / "hard.yml").write_text(HARD, encoding="utf-8")
    assert main(["--domain", str(tmp_path), "--out", str(out), "--check"]) == 1
    report = out.read_text(encoding="utf-8")
    assert "| goal met | no |" in report and "| above 9 | 1 |" in report
    hardest = next(line for line in report.splitlines() if "`utter_hard[0]`" in line)
    assert hardest.startswith(f"| {grade(HARD_TEXT):.1f} |")
    assert main(["--domain", str(tmp_path), "--out", str(out)]) == 0  # a report, not a gate
    capsys.readouterr()


def test_every_placeholder_in_the_domain_has_a_typical_value() -> None:
    used = {name for r in english_responses() for name in PLACEHOLDER.findall(r.text)}
    assert used - set(PLACEHOLDER_WORDS) == set(), "add them to PLACEHOLDER_WORDS"


def test_the_english_responses_meet_the_reading_level_goal() -> None:
    graded = measure(english_responses())
    assert len(graded) > 100
    too_hard = [f"{g.grade:.1f} {g.response.key}: {g.plain}" for g in graded if g.grade > GOAL_MAX]
    assert too_hard == [], "simplify these responses (python -m benchmarks.readability)"
    assert average(graded) <= GOAL_AVERAGE
    assert all(re.search(r"[A-Za-z]", g.plain) for g in graded)
