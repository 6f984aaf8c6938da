"""Every domain response has a version in every other supported language (locales/<code>/
responses.yml, read by bot.rasa_ext.localized_nlg): the same condition variants, the same
{placeholders}, the same button payloads and custom data, and words actually translated."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from knowledge.locales import SOURCE_LANGUAGE, book, supported_codes

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")  # as Rasa's interpolator finds them
# Words that read the same in a translation (a language's own "No"); texts made only of
# placeholders, emoji and punctuation ("💵 {title}: {cost}.") need no entry.
SAME_IN_TRANSLATION = {"No"}
Responses = dict[str, list[dict[str, Any]]]


def domain_responses() -> Responses:
    """The real domain's responses, merged from its files as Rasa merges them."""
    merged: Responses = {}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        merged.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses", {}))
    return merged


def placeholders(text: Any) -> list[str]:
    """The {names} a text fills in, sorted (a repeated name counts once)."""
    return sorted(set(PLACEHOLDER.findall(str(text or ""))))


def when(variation: dict[str, Any]) -> str:
    """A variation's conditions and channel, as a readable key."""
    conditions = sorted(
        f"{c.get('type')}:{c.get('name')}={c.get('value')!r}"
        for c in variation.get("condition") or []
    )
    channel = variation.get("channel")
    return " & ".join(conditions + ([f"channel={channel}"] if channel else [])) or "(always)"


def shape(variation: dict[str, Any]) -> str:
    """What a translation must keep of a variation: its keys, the placeholders of its text and
    button titles, its button payloads in order and its custom data."""
    buttons = [
        {"payload": button.get("payload"), "title": placeholders(button.get("title"))}
        for button in variation.get("buttons") or []
    ]
    kept = {
        "keys": sorted(set(variation) - {"text", "buttons"}),
        "text": placeholders(variation.get("text")),
        "buttons": buttons,
        "custom": variation.get("custom"),
    }
    return json.dumps(kept, sort_keys=True, ensure_ascii=False)


def words(variation: dict[str, Any]) -> list[str]:
    """The texts a learner reads in a variation: its text and its button titles."""
    titles = [button.get("title") for button in variation.get("buttons") or []]
    return [str(text) for text in [variation.get("text"), *titles] if text]


def needs_translation(text: str) -> bool:
    """False for a text that reads the same in every language: placeholders and emoji only."""
    bare = PLACEHOLDER.sub("", text)
    return any(char.isalpha() for char in bare) and text not in SAME_IN_TRANSLATION


def problems(source: Responses, translated: Responses, code: str) -> list[str]:
    """Why `translated` (locales/<code>/responses.yml) does not yet stand in for `source`."""
    found = [f"{code}: {name} has no translation" for name in source if name not in translated]
    found += [f"{code}: {name} is not in the domain" for name in translated if name not in source]
    for name in sorted(set(source) & set(translated)):
        ours = {(when(v), shape(v)) for v in source[name]}
        theirs = {(when(v), shape(v)) for v in translated[name]}
        for condition, kept in sorted(ours - theirs):
            found.append(f"{code}: {name} [{condition}] has no variant keeping {kept}")
        for condition, kept in sorted(theirs - ours):
            found.append(f"{code}: {name} [{condition}] has a variant unlike English: {kept}")
        english = {text for variation in source[name] for text in words(variation)}
        for variation in translated[name]:
            found += [
                f"{code}: {name} is not translated: {text!r}"
                for text in words(variation)
                if text in english and needs_translation(text)
            ]
    return found


# ── the real domain and locales ─────────────────────────────────────────────────────────────


def test_every_response_has_a_full_translation_in_every_other_language() -> None:
    others = [code for code in supported_codes() if code != SOURCE_LANGUAGE]
    assert others, "no language besides the source language in locales/"
    source = domain_responses()
    assert len(source) > 100  # the merged domain, not one file
    for code in others:
        translated = book(code, "responses").get("responses") or {}
        assert problems(source, translated, code) == []


# ── the check itself, on throwaway responses ────────────────────────────────────────────────

AGE: Responses = {
    "utter_ask_age": [
        {
            "condition": [{"type": "slot", "name": "relation", "value": "son"}],
            "text": "How old is your son?",
        },
        {"text": "How old is {who}?", "buttons": [{"title": "🌐 {languages}", "payload": "/x"}]},
    ],
    "utter_no": [{"text": "No"}],
}


def translation() -> Responses:
    """A faithful translation of AGE (a fresh copy each time, for a test to spoil)."""
    return {
        "utter_ask_age": [
            {
                "condition": [{"type": "slot", "name": "relation", "value": "son"}],
                "text": "¿Cuántos años tiene tu hijo?",
            },
            {
                "text": "¿Cuántos años tiene {who}?",
                "buttons": [{"title": "🌐 {languages}", "payload": "/x"}],
            },
        ],
        "utter_no": [{"text": "No"}],
    }


def test_a_faithful_translation_passes() -> None:
    assert problems(AGE, translation(), "xx") == []


def test_a_missing_or_stale_response_fails() -> None:
    spoilt = translation()
    spoilt["utter_gone"] = spoilt.pop("utter_no")
    assert problems(AGE, spoilt, "xx") == [
        "xx: utter_no has no translation",
        "xx: utter_gone is not in the domain",
    ]


def test_a_missing_condition_variant_fails() -> None:
    spoilt = translation()
    del spoilt["utter_ask_age"][0]
    assert any("relation='son'" in problem for problem in problems(AGE, spoilt, "xx"))


def test_a_variant_under_another_condition_fails() -> None:
    spoilt = translation()
    spoilt["utter_ask_age"][0]["condition"][0]["value"] = "daughter"
    found = problems(AGE, spoilt, "xx")
    assert any("relation='son'" in p for p in found)
    assert any("relation='daughter'" in p and "unlike English" in p for p in found)


def test_a_dropped_or_added_placeholder_fails() -> None:
    dropped = translation()
    dropped["utter_ask_age"][1]["text"] = "¿Cuántos años tiene?"
    assert problems(AGE, dropped, "xx")
    added = translation()
    added["utter_ask_age"][0]["text"] = "¿Cuántos años tiene tu hijo {name}?"
    assert problems(AGE, added, "xx")
    title = translation()
    title["utter_ask_age"][1]["buttons"][0]["title"] = "🌐 Idiomas"
    assert problems(AGE, title, "xx")


def test_a_changed_button_payload_fails() -> None:
    spoilt = translation()
    spoilt["utter_ask_age"][1]["buttons"][0]["payload"] = "/y"
    assert problems(AGE, spoilt, "xx")


def test_an_untranslated_text_fails_unless_it_reads_the_same() -> None:
    spoilt = translation()
    spoilt["utter_ask_age"][0]["text"] = "How old is your son?"
    assert problems(AGE, spoilt, "xx") == [
        "xx: utter_ask_age is not translated: 'How old is your son?'"
    ]
    assert not needs_translation("💵 {title}: {cost}.")
    assert not needs_translation("No")
