"""Reading level of the assistant's English responses: Flesch-Kincaid grade of every response text
in the domain, averaged, with the hardest ones named (the goal: grade 6 or lower on average, none
above 9).

`python -m benchmarks.readability [--out docs/benchmarks-readability.md] [--check]` reads every
English response text in bot/domain/*.yml, makes it plain prose (each {placeholder} becomes a
plausible short phrase, emoji, links and markdown go, every line is a sentence), grades it with
textstat and writes the figures; --check exits 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import textstat  # type: ignore[import-untyped]  # ships no type information
import yaml

from knowledge.settings import PROJECT_ROOT

DOMAIN_DIR = PROJECT_ROOT / "bot" / "domain"
OUT = PROJECT_ROOT / "docs" / "benchmarks-readability.md"
GOAL_AVERAGE = 6.0
GOAL_MAX = 9.0
WORST_SHOWN = 10
# What a learner reads in place of each {placeholder}: short, typical values, so a response is
# graded on its own words rather than on the directory's (which the provider wrote).
PLACEHOLDER_WORDS = {
    "title": "Code Club",
    "name": "nursing",
    "goal": "nursing",
    "provider": "Central Library",
    "city": "Alder Bay",
    "place": "Northgate",
    "where": "Central Library, 100 Main Street",
    "when": "Saturdays 10 to 12",
    "hours": "on Saturdays from 10 to 12",
    "dates": "from 16 January to 24 April",
    "date": "16 January",
    "deadline": "9 January",
    "remind_on": "13 January",
    "due_on": "13 January",
    "confirmed": "2 March",
    "days": "90",
    "days_left": "5",
    "cost": "free",
    "contact": "the library at 555 0134",
    "provider_contact": "555 0134 or the library website",
    "enrol": "sign up at the front desk",
    "eligibility": "anyone aged 9 to 13",
    "ages": "ages 9 to 13",
    "age": "10",
    "relation": "daughter",
    "from_age": "14",
    "languages": "English and Spanish",
    "asked": "French",
    "credentials": "a coding badge",
    "leads_to": "a job as a web developer",
    "awards": "a coding badge",
    "careers": "web developer",
    "programs": "Teen Game Design Lab",
    "type_label": "badge",
    "issuer": "Central Library",
    "recognised_by": "local colleges",
    "description": "Learn to build games with code.",
    "steps": "1. Code Club\n2. Teen Game Design Lab",
    "next_step": "Code Club",
    "listing": "1. Code Club, Central Library, Saturday, free",
    "count": "2",
    "seats": "4",
    "accessibility": "step-free entrance",
    "transport": "bus 12 stops outside",
    "given": "old",
    "summary": "coding, age 10",
    "shown": "1 to 5",
    "total": "8",
    "remaining": "3",
    "filters": "coding, age 10, free",
    "explanation": "Nothing free matches.",
    "problem": "that date is in the past",
    "known": "Eastside, Northgate, Harbour",
    "topics": "art",
    "getting_there": "\n🚌 Getting there: bus 12 stops outside",
    "credential": "First Aid certificate",
    "example": "Food Handler card",
    "choices": "1. First Aid certificate\n2. Food Handler card",
    "km": "5",
}
FALLBACK_WORDS = "it"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
URL = re.compile(r"\bhttps?://\S+|(?<![\w/])/\w+")  # links and commands such as /language
MARKDOWN = re.compile(r"[*_`]+")
# Emoji, symbols and arrows the responses use as icons (and the variation selector after some).
ICONS = re.compile(
    "[\u2190-\u21ff\u2300-\u23ff\u2460-\u27bf\u2b00-\u2bff\ufe0f\u200d\U0001f000-\U0001faff]"
)
BULLET = re.compile(r"^\s*(?:[•·\-–]|\d+\.)\s*")
SENTENCE_END = re.compile(r"[.!?:]$")
BANDS = (("up to 4", 4.0), ("4–6", 6.0), ("6–8", 8.0), ("8–9", 9.0), ("above 9", float("inf")))


@dataclass(frozen=True)
class Response:
    """One English text of a domain response: `name[variant]` and what the learner reads."""

    name: str
    variant: int
    text: str

    @property
    def key(self) -> str:
        return f"{self.name}[{self.variant}]"


@dataclass(frozen=True)
class Graded:
    """A response with its plain prose and Flesch-Kincaid grade."""

    response: Response
    plain: str
    grade: float


def english_responses(domain_dir: Path = DOMAIN_DIR) -> list[Response]:
    """Every response variant with a text, in file and domain order."""
    found = []
    for path in sorted(domain_dir.glob("*.yml")):
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variants in (domain.get("responses") or {}).items():
            for index, variant in enumerate(variants or []):
                if isinstance(variant, dict) and isinstance(variant.get("text"), str):
                    found.append(Response(name, index, variant["text"]))
    return found


def plain_text(text: str) -> str:
    """The response as prose a readability formula can count: placeholders filled in, icons,
    links and markdown gone, and each line (a list item, a detail) its own sentence."""
    filled = PLACEHOLDER.sub(lambda m: PLACEHOLDER_WORDS.get(m.group(1), FALLBACK_WORDS), text)
    sentences = []
    for line in filled.splitlines():
        line = ICONS.sub("", URL.sub("", MARKDOWN.sub("", line)))
        line = re.sub(r"\s+", " ", BULLET.sub("", line)).strip(" ·—")
        if not re.search(r"[A-Za-z]", line):
            continue
        sentences.append(line if SENTENCE_END.search(line) else f"{line}.")
    return " ".join(sentences)


def grade(text: str) -> float:
    """The Flesch-Kincaid grade of plain English prose (0 at the least: no text is easier than
    the easiest)."""
    return max(0.0, float(textstat.flesch_kincaid_grade(text)))


def measure(responses: Sequence[Response]) -> list[Graded]:
    """Each response graded, hardest first; texts of no words of their own are left out."""
    graded = [
        Graded(response, plain, grade(plain))
        for response in responses
        if re.search(r"[A-Za-z]", PLACEHOLDER.sub("", response.text))
        and (plain := plain_text(response.text))
    ]
    return sorted(graded, key=lambda g: (-g.grade, g.response.key))


def average(graded: Sequence[Graded]) -> float:
    return statistics.fmean(g.grade for g in graded) if graded else 0.0


def meets_goal(graded: Sequence[Graded]) -> bool:
    return average(graded) <= GOAL_AVERAGE and all(g.grade <= GOAL_MAX for g in graded)


def render(graded: Sequence[Graded]) -> str:
    """The report, in Markdown."""
    grades = [g.grade for g in graded]
    above = [g for g in graded if g.grade > GOAL_MAX]
    lines = [
        "# Benchmarks: how easy the assistant's English is to read",
        "",
        f"Measured with `python -m benchmarks.readability` (textstat {textstat_version()}, "
        "Flesch-Kincaid grade level) over every English response text in `bot/domain/*.yml`: "
        f"{len(graded)} texts. Each {{placeholder}} is read as a short typical value "
        '("Code Club", "16 January"), emoji, links and markdown are dropped, and each line '
        "(a list item, a detail) counts as a sentence. A grade below 0 counts as 0.",
        "",
        "The formula is made for passages: on a text of a few words one long word moves it by "
        f'several grades ("Goodbye." grades {grade("Goodbye."):.1f}), so the average says more '
        "than any one short text.",
        "",
        f"Goal: grade {GOAL_AVERAGE:g} or lower on average, none above {GOAL_MAX:g}.",
        "",
        "| | grade |",
        "|---|---|",
        f"| average | {average(graded):.1f} |",
        f"| median | {statistics.median(grades) if grades else 0:.1f} |",
        f"| hardest | {max(grades, default=0):.1f} |",
        f"| above {GOAL_MAX:g} | {len(above)} |",
        f"| goal met | {'yes' if meets_goal(graded) else 'no'} |",
        "",
        "## Distribution",
        "",
        "| grade | texts |",
        "|---|---|",
    ]
    low = float("-inf")
    for band, high in BANDS:
        lines.append(f"| {band} | {sum(1 for g in grades if low < g <= high)} |")
        low = high
    lines += [
        "",
        f"## The {WORST_SHOWN} hardest",
        "",
        "| grade | response | as graded |",
        "|---|---|---|",
    ]
    for item in graded[:WORST_SHOWN]:
        shown = item.plain.replace("|", "\\|")
        lines.append(f"| {item.grade:.1f} | `{item.response.key}` | {shown} |")
    return "\n".join(lines) + "\n"


def textstat_version() -> str:
    from importlib.metadata import version

    return version("textstat")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: grade, print and write the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="the Markdown file to write")
    parser.add_argument("--domain", type=Path, default=DOMAIN_DIR)
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    args = parser.parse_args(argv)
    graded = measure(english_responses(args.domain))
    if not graded:
        print(f"No English response texts in {args.domain}", file=sys.stderr)
        return 2
    report = render(graded)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 1 if args.check and not meets_goal(graded) else 0


if __name__ == "__main__":
    sys.exit(main())
