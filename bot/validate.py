"""`rasa data validate`, strict: every warning fails except the two kinds that are by design.

Rasa warns about responses no story or rule uses, but ours are sent by custom actions (user-facing
text lives in the domain) or by the form; those are accepted only when an action in `actions/`
names them or a form requires the slot they ask for. It
also warns that EXTERNAL_reminder has no NLU examples: it is triggered by the reminder worker,
never typed; so are intents only the buttons an action makes send (`/drop_filter{…}`).
Anything else (a typo'd intent, a missing response, a story conflict) fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml

from bot.launch import RASA, training_data_args
from bot.settings import PROJECT_ROOT

UNUSED = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule")
NO_EXAMPLES = re.compile(r"The intent '(\w+)' is listed in the domain file, but is not found")
PAYLOAD = re.compile(r"[\"']/(\w+)\{")  # a button payload written in an action: '/intent{'
EXTERNAL = "EXTERNAL_"
WARNING = re.compile(r"UserWarning: (.*)")
ERROR = re.compile(r"\b(ERROR|Exception|Error:)\b")


def responses_named_in(folder: Path) -> set[str]:
    """Response names the actions dispatch, literally or by a prefix + variable (utter_x_{kind})."""
    names: set[str] = set()
    for path in folder.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"[\"'](utter_\w+)[\"']", source))
        names |= {f"{prefix}*" for prefix in re.findall(r"f[\"'](utter_\w+_)\{", source)}
    return names


def intents_sent_by_buttons(folder: Path) -> set[str]:
    """Intents whose payloads the actions write into buttons ('/drop_filter{"filter":…}')."""
    return {
        name for path in folder.glob("*.py") for name in PAYLOAD.findall(path.read_text("utf-8"))
    }


def form_questions(domain_folder: Path) -> set[str]:
    """utter_ask_<slot> for every slot a form requires: Rasa's forms send those themselves."""
    names: set[str] = set()
    for path in domain_folder.glob("*.yml"):
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for form in (domain.get("forms") or {}).values():
            names |= {f"utter_ask_{slot}" for slot in form.get("required_slots") or []}
    return names


def dispatched(name: str, named: set[str]) -> bool:
    """Whether an action sends this response (exactly, or through an f-string prefix)."""
    return name in named or any(p.endswith("*") and name.startswith(p[:-1]) for p in named)


def problems(output: str, named: set[str], buttons: frozenset[str] = frozenset()) -> list[str]:
    """Every warning or error that is not one of the accepted kinds; `buttons` are intents only
    buttons send, which need no NLU examples."""
    found: list[str] = []
    for line in output.splitlines():
        warning = WARNING.search(line)
        if warning:
            text = warning.group(1)
            unused = UNUSED.search(text)
            if unused and dispatched(unused.group(1), named):
                continue
            untyped = NO_EXAMPLES.search(text)
            if untyped and (untyped.group(1).startswith(EXTERNAL) or untyped.group(1) in buttons):
                continue
            found.append(text)
        elif ERROR.search(line) and "rasa.validator" in line:
            found.append(line.strip())
    return found


def main(argv: Iterable[str] = ()) -> int:
    """Run the validator; print what is wrong; exit 1 if anything is."""
    result = subprocess.run(
        [str(RASA), "data", "validate", *training_data_args(), *argv],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    named = (
        responses_named_in(PROJECT_ROOT / "actions")
        | responses_named_in(PROJECT_ROOT / "bot" / "rasa_ext")  # the REST channel's own answers
        | form_questions(PROJECT_ROOT / "bot/domain")
    )
    buttons = frozenset(intents_sent_by_buttons(PROJECT_ROOT / "actions"))
    found = problems(output, named, buttons)
    if result.returncode != 0 and not found:
        found.append(f"rasa data validate exited with {result.returncode}")
    for problem in found:
        print(f"validation: {problem}", file=sys.stderr)
    if found:
        return 1
    print("Training data and domain are valid.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
