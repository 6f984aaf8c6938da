"""The strict validation wrapper accepts only by-design warnings."""

from __future__ import annotations

from pathlib import Path

from bot.settings import PROJECT_ROOT
from bot.validate import form_questions, intents_sent_by_buttons, problems, responses_named_in

WARN = "/x/rasa/shared/utils/io.py:100: UserWarning: "


def test_responses_sent_by_actions_are_found_literally_and_by_prefix(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        'dispatcher.utter_message(response="utter_saved")\n'
        'dispatcher.utter_message(response=f"utter_credential_type_{kind}")\n'
    )
    assert responses_named_in(tmp_path) == {"utter_saved", "utter_credential_type_*"}


def test_only_dispatched_responses_and_external_intents_are_accepted() -> None:
    output = "\n".join(
        [
            WARN + "The utterance 'utter_saved' is not used in any story or rule.",
            WARN + "The utterance 'utter_credential_type_badge' is not used in any story or rule.",
            WARN + "The intent 'EXTERNAL_reminder' is listed in the domain file, but is not found",
            WARN + "The utterance 'utter_forgotten_typo' is not used in any story or rule.",
            WARN + "Issue found in 'stories.yml': intent 'greet_typo' is not in the domain.",
        ]
    )
    found = problems(output, {"utter_saved", "utter_credential_type_*"})
    assert found == [
        "The utterance 'utter_forgotten_typo' is not used in any story or rule.",
        "Issue found in 'stories.yml': intent 'greet_typo' is not in the domain.",
    ]


def test_the_search_form_asks_for_topic_and_age() -> None:
    assert form_questions(PROJECT_ROOT / "bot" / "domain") == {"utter_ask_topic", "utter_ask_age"}


def test_every_response_an_action_sends_exists_in_the_domain() -> None:
    import yaml

    responses: set[str] = set()
    for path in (PROJECT_ROOT / "bot" / "domain").glob("*.yml"):
        responses |= set((yaml.safe_load(path.read_text()) or {}).get("responses") or {})
    named = responses_named_in(PROJECT_ROOT / "actions")
    missing = {n for n in named if not n.endswith("*") and n not in responses}
    assert not missing, f"actions send responses the domain lacks: {sorted(missing)}"
    for prefix in (n[:-1] for n in named if n.endswith("*")):
        assert any(r.startswith(prefix) for r in responses), prefix


def test_an_intent_only_buttons_send_needs_no_nlu_examples(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        'payload = f\'/drop_filter{{"filter":"{name}"}}\'\n'
        'other = \'/find_opportunity{"topic": "art"}\'\n'
    )
    buttons = frozenset(intents_sent_by_buttons(tmp_path))
    assert buttons == {"drop_filter", "find_opportunity"}
    missing = "The intent '{}' is listed in the domain file, but is not found in the NLU data."
    output = "\n".join(WARN + missing.format(name) for name in ("drop_filter", "typed_typo"))
    assert problems(output, set(), buttons) == [missing.format("typed_typo")]


def test_the_drop_filter_buttons_are_found_in_the_actions() -> None:
    assert "drop_filter" in intents_sent_by_buttons(PROJECT_ROOT / "actions")
