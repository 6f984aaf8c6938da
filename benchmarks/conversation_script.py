"""Scripted conversations (tests/cities/<city>/conversations.yml): the format, read and checked.

A script is written apart from the code, so every mistake in it is reported at once, with where
it is, before any message is sent: a misspelt key would otherwise make a turn pass unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from knowledge.locales import supported, supported_codes
from knowledge.settings import PROJECT_ROOT

EXPECT_KEYS = (
    "titles_any",
    "titles_all",
    "titles_none",
    "says_any",
    "says_all",
    "says_none",
    "buttons_any",
)
SCRIPT_KEYS = ("city", "conversations")
CONVERSATION_KEYS = ("name", "turns", "language")
TURN_KEYS = ("user", "expect")


@dataclass(frozen=True)
class Expect:
    """What must hold for one reply; every list is optional (empty = not checked)."""

    titles_any: tuple[str, ...] = ()
    titles_all: tuple[str, ...] = ()
    titles_none: tuple[str, ...] = ()
    says_any: tuple[str, ...] = ()
    says_all: tuple[str, ...] = ()
    says_none: tuple[str, ...] = ()
    buttons_any: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    """One message the user sends and what the reply must show."""

    user: str
    expect: Expect


@dataclass(frozen=True)
class ScriptedConversation:
    """A named conversation: its turns, in order, from a fresh sender."""

    name: str
    turns: tuple[Turn, ...]
    language: str | None = None  # a chat language: every reply must be in it (no English phrase)


@dataclass(frozen=True)
class Script:
    """A city's scripted conversations and the file they came from."""

    city: str
    conversations: tuple[ScriptedConversation, ...]
    source: str


class ScriptError(ValueError):
    """A script that cannot be run as written; lists every problem found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{source} is not a valid conversation script:\n{listed}")


def shown_path(path: Path) -> str:
    """A path relative to the project when inside it, as reports and errors show it."""
    resolved = path.resolve()
    if resolved.is_relative_to(PROJECT_ROOT):
        return str(resolved.relative_to(PROJECT_ROOT))
    return str(path)


def load_script(path: Path) -> Script:
    """Read and check a conversations.yml; ScriptError says everything that is wrong."""
    source = shown_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScriptError(source, ["the file does not exist"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScriptError(source, [f"cannot be read: {error}"]) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScriptError(source, [f"is not valid YAML: {error}"]) from None
    return parse_script(document, source)


def parse_script(document: Any, source: str) -> Script:
    """Check a loaded YAML document against the format and build the script."""
    problems: list[str] = []
    if not isinstance(document, dict):
        raise ScriptError(source, ["the file must be a mapping with `city` and `conversations`"])
    problems += _unknown_keys(document, SCRIPT_KEYS, "the file")
    city = document.get("city")
    if not _text(city):
        problems.append("`city` must be the city's name (text)")
    listed = document.get("conversations")
    conversations: list[ScriptedConversation] = []
    if not isinstance(listed, list) or not listed:
        problems.append("`conversations` must be a non-empty list")
    else:
        names: dict[str, int] = {}
        for number, item in enumerate(listed, start=1):
            conversation = _conversation(item, number, problems)
            if conversation is None:
                continue
            if conversation.name in names:
                problems.append(
                    f"conversation {number}: the name {conversation.name!r} is already used by "
                    f"conversation {names[conversation.name]} (names identify failures)"
                )
            names.setdefault(conversation.name, number)
            conversations.append(conversation)
    if problems:
        raise ScriptError(source, problems)
    return Script(city=str(city).strip(), conversations=tuple(conversations), source=source)


def _conversation(item: Any, number: int, problems: list[str]) -> ScriptedConversation | None:
    """One conversation, or None (with problems added) when it cannot be read."""
    where = f"conversation {number}"
    if not isinstance(item, dict):
        problems.append(f"{where} must be a mapping with `name` and `turns`")
        return None
    name = item.get("name")
    if _text(name):
        where = f"{where} ({str(name).strip()!r})"
    else:
        problems.append(f"{where}: `name` must be text")
    problems += _unknown_keys(item, CONVERSATION_KEYS, where)
    listed = item.get("turns")
    if not isinstance(listed, list) or not listed:
        problems.append(f"{where}: `turns` must be a non-empty list")
        return None
    turns = [
        _turn(turn, f"{where}, turn {index}", problems) for index, turn in enumerate(listed, 1)
    ]
    language = item.get("language")
    if language is not None and supported(str(language)) != language:
        problems.append(
            f"{where}: `language` must be one of the chat languages {list(supported_codes())}"
        )
    if not _text(name) or any(turn is None for turn in turns):
        return None
    return ScriptedConversation(str(name).strip(), tuple(turn for turn in turns if turn), language)


def _turn(item: Any, where: str, problems: list[str]) -> Turn | None:
    """One turn, or None (with problems added)."""
    if not isinstance(item, dict):
        problems.append(f"{where} must be a mapping with `user` (and optionally `expect`)")
        return None
    found = len(problems)
    problems += _unknown_keys(item, TURN_KEYS, where)
    user = item.get("user")
    if not _text(user):
        problems.append(f"{where}: `user` must be the message to send (text)")
    expect = _expect(item.get("expect"), where, problems)
    if len(problems) > found or expect is None:
        return None
    return Turn(user=str(user), expect=expect)


def _expect(item: Any, where: str, problems: list[str]) -> Expect | None:
    """The expectations of a turn (none given = the reply only has to arrive)."""
    if item is None:
        return Expect()
    if not isinstance(item, dict):
        problems.append(f"{where}: `expect` must be a mapping of {', '.join(EXPECT_KEYS)}")
        return None
    found = len(problems)
    problems += _unknown_keys(item, EXPECT_KEYS, f"{where}, expect")
    values: dict[str, tuple[str, ...]] = {}
    for key in EXPECT_KEYS:
        if key in item:
            values[key] = _strings(item[key], f"{where}, expect.{key}", problems)
    for wanted, unwanted in (
        ("titles_any", "titles_none"),
        ("titles_all", "titles_none"),
        ("says_any", "says_none"),
        ("says_all", "says_none"),
    ):
        clash = {fold(v) for v in values.get(wanted, ())} & {
            fold(v) for v in values.get(unwanted, ())
        }
        if clash:
            problems.append(
                f"{where}, expect: {', '.join(sorted(repr(v) for v in clash))} is in both "
                f"{wanted} and {unwanted}, so the turn could never pass"
            )
    if len(problems) > found:
        return None
    return Expect(**{f.name: values.get(f.name, ()) for f in fields(Expect)})


def _strings(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    """A non-empty list of texts; numbers are refused (YAML reads 14:00 as 840: quote it)."""
    if isinstance(value, str):
        problems.append(f'{where} must be a list, e.g. ["{value}"]')
        return ()
    if not isinstance(value, list) or not value:
        problems.append(f"{where} must be a non-empty list of texts")
        return ()
    texts: list[str] = []
    for index, item in enumerate(value, start=1):
        if isinstance(item, str) and item.strip():
            texts.append(item)
        elif isinstance(item, str):
            problems.append(f"{where}: item {index} is empty")
        else:
            problems.append(
                f"{where}: item {index} is {item!r} ({type(item).__name__}), not text; put it "
                'in quotes, e.g. "14:00" or "65" (YAML reads 14:00 unquoted as a number)'
            )
    return tuple(texts)


def _unknown_keys(mapping: dict[Any, Any], known: tuple[str, ...], where: str) -> list[str]:
    """One problem per key the format does not have (a typo would be ignored otherwise)."""
    return [
        f"{where}: unknown key {key!r} (known: {', '.join(known)})"
        for key in mapping
        if key not in known
    ]


def _text(value: Any) -> bool:
    """Non-empty text."""
    return isinstance(value, str) and bool(value.strip())


def fold(text: str) -> str:
    """Text as the checks compare it: case and runs of whitespace ignored."""
    return " ".join(text.casefold().split())
