"""Which language to chat in, message by message: one rule for every channel (issue #15).

In order: the learner's explicit choice (a language button, "¿hablas español?", /language),
which sticks until they choose again; then what the message itself is written in, when it is
long enough to tell; then the language we were already using (from this conversation or the
profile); then the channel's hint (Telegram's or the browser's language); then the source
language. A short message ("ok", "gracias", "taller") never changes the language."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from knowledge.locales import SOURCE_LANGUAGE, supported, supported_languages
from knowledge.text import fold

# Words a message needs before what it is written in may change the conversation's language:
# one or two words are too often shared ("taller", "no", "ok") or names ("Riverside").
MIN_WORDS_TO_SWITCH = 3
_WORD = re.compile(r"[^\W\d_]+")
# A language named in words is a choice only in a message this short ("español", "english
# please", "en español porfa"): a longer one is about something else ("I want to learn spanish").
MAX_WORDS_NAMING = 3


@dataclass(frozen=True)
class ChatLanguage:
    """The conversation's language and whether the learner chose it."""

    code: str
    chosen: bool


def named_language(value: object) -> str | None:
    """The supported language an entity value names: a code ('es', 'es-MX') or a language's own
    or English name ('Español', 'spanish'), read without case or accents."""
    if not isinstance(value, str) or not value.strip():
        return None
    code = supported(value)
    if code is not None:
        return code
    folded = fold(value.strip())
    for language in supported_languages():
        if folded in (fold(language.name), fold(language.native_name)):
            return language.code
    return None


def language_named_in(text: str) -> str | None:
    """The one supported language a short message names in words ("español", "english please"),
    by its own or English name; None when it names none or several, or says more ("I want to
    learn spanish" asks for classes, whatever the NLU made of it)."""
    found_words = _WORD.findall(text)
    if len(found_words) > MAX_WORDS_NAMING:
        return None
    said = {fold(word) for word in found_words}
    found = {
        language.code
        for language in supported_languages()
        if said & {fold(language.name), fold(language.native_name)}
    }
    return found.pop() if len(found) == 1 else None


def word_count(text: str) -> int:
    """Words of letters: numbers, emoji and punctuation do not count."""
    return len(_WORD.findall(text))


def read_as(text: str, detect: Callable[[str], str | None] | None) -> str | None:
    """The supported language a message is written in, when it is long enough to tell."""
    if detect is None or word_count(text) < MIN_WORDS_TO_SWITCH:
        return None
    return supported(detect(text))


def next_language(
    current: ChatLanguage | None,
    *,
    text: str,
    named: str | None = None,
    hint: str | None = None,
    detect: Callable[[str], str | None] | None = None,
) -> ChatLanguage:
    """The language for this message and on: see the module's docstring for the order."""
    if named is not None and supported(named):
        return ChatLanguage(str(supported(named)), chosen=True)
    if current is not None and current.chosen:
        return current
    return language_after(current, read=read_as(text, detect), hint=hint)


def language_after(
    current: ChatLanguage | None, *, read: str | None, hint: str | None
) -> ChatLanguage:
    """The language for a message that names none, once what it reads as is known (`read`, from
    `read_as`): the same order as next_language's, for a caller given the reading by the gateway."""
    if current is not None and current.chosen:
        return current
    if supported(read) is not None:
        return ChatLanguage(str(supported(read)), chosen=False)
    if current is not None:
        return current
    hinted = supported(hint)
    return ChatLanguage(hinted or SOURCE_LANGUAGE, chosen=False)


def settled(known: ChatLanguage | None, *, text: str, detect: Callable[[str], str | None]) -> bool:
    """Whether this message surely leaves a conversation in `known` (the language its learner's
    profile keeps): then the assistant need not decide again, which costs a call to the action
    server. Never when the language is not known, the message names one, or it reads as another
    (a message the NLU reads as a choice, "¿hablas español?", is decided in any case)."""
    if known is None or language_named_in(text) is not None:
        return False
    if known.chosen or word_count(text) < MIN_WORDS_TO_SWITCH:
        return True
    detected = supported(detect(text))
    return detected is None or detected == known.code
