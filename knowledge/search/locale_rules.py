"""Reading days, cost, ages, formats and who a search is for in every chat language's own words:
the words are data (locales/<code>/search_words.yml), so a city adds a language without code."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from knowledge.locales import book, supported_codes
from knowledge.text import fold, words

if TYPE_CHECKING:
    from knowledge.search.interpret import Interpretation

BOOK = "search_words"
Handler = Callable[[re.Match[str], "Interpretation"], None]
_MONEY = r"(\d{1,5}(?:\.\d{1,2})?)"


@dataclass(frozen=True)
class LocaleWords:
    """Every supported language's search words, merged (a learner may mix languages)."""

    rules: tuple[tuple[re.Pattern[str], Handler], ...]
    relation: re.Pattern[str] | None  # "mi sobrino": group 1 is the relation word
    relations: Mapping[str, str]  # folded word → relation value
    same_as: Mapping[str, str]  # folded lemma → the source language's word
    filler: frozenset[str]


def _phrases(values: Iterable[Any]) -> str:
    """An alternation of folded phrases, longest first, spaces matching the one space the
    interpreter leaves between words."""
    folded = {" ".join(fold(str(value)).split()) for value in values if str(value).strip()}
    ordered = sorted(folded, key=len, reverse=True)
    return "|".join(re.escape(phrase).replace(r"\ ", r"\s") for phrase in ordered)


def _merged(name: str) -> list[Any]:
    """A section of every language's book: lists are joined, mappings' items listed."""
    found: list[Any] = []
    for code in supported_codes():
        section = book(code, BOOK).get(name)
        if isinstance(section, Mapping):
            found.extend(section.items())
        elif isinstance(section, list):
            found.extend(section)
    return found


def _grouped(name: str) -> dict[str, list[str]]:
    """A section that maps a value to phrases, across languages ({"Sun": ["domingo", …]})."""
    grouped: dict[str, list[str]] = {}
    for key, phrases in _merged(name):
        grouped.setdefault(str(key), []).extend(str(phrase) for phrase in phrases or ())
    return grouped


def _folded_map(name: str) -> dict[str, str]:
    """A section that maps words to values, with folded words."""
    return {fold(str(word)): str(value) for word, value in _merged(name)}


def _words(pattern: str) -> str:
    """A whole-word group of an alternation, or a pattern that never matches when it is empty."""
    return rf"\b(?:{pattern})\b" if pattern else r"(?!x)x"


@cache
def locale_words() -> LocaleWords:
    """The rules, built once from every supported language's book."""
    from knowledge.search import interpret as reading

    numbers = {word: int(value) for word, value in _folded_map("numbers").items()}
    number = (
        rf"(?<![-.,\d])(\d{{1,3}}|{_phrases(numbers)})" if numbers else r"(?<![-.,\d])(\d{1,3})"
    )
    years = _phrases(_merged("years"))
    relations = _folded_map("relations")
    people = _phrases(relations)
    possessives = _phrases(_merged("possessives"))
    age_of = _phrases(_merged("age_of"))
    own_age = _phrases(_merged("own_age"))
    not_a_range = r"(?!\s?(?:-|a|to|–)\s?\d)"

    def age(match: re.Match[str], found: Interpretation) -> None:
        spelled = match.group(1)
        value = int(spelled) if spelled.isdigit() else numbers.get(spelled)
        if found.age is None and value is not None:
            found.age = value

    def own(match: re.Match[str], found: Interpretation) -> None:
        age(match, found)
        if found.relation is None:
            found.relation = "self"

    def free(_match: re.Match[str], found: Interpretation) -> None:
        found.free_only = True

    def cheaper(match: re.Match[str], found: Interpretation) -> None:
        amount = Decimal(next(group for group in match.groups() if group))
        if found.max_cost is None or amount < found.max_cost:
            found.max_cost = amount

    languages = _folded_map("languages")

    def taught_in(match: re.Match[str], found: Interpretation) -> None:
        found.language = found.language or languages[match.group(1)]

    rules: list[tuple[str, Handler]] = []
    if years:
        rules.append((rf"\b{number}\s?(?:{years})\b", age))
    if people and age_of:
        rules.append((rf"\b(?:{people})\s(?:{age_of})\s{number}\b{not_a_range}", age))
    if own_age:
        rules.append((rf"(?:^|(?<=\s))(?:{own_age})\s{number}\b{not_a_range}", own))
    rules.append((_words(_phrases(_merged("free"))), free))
    cheap, currency = _phrases(_merged("cheaper")), _phrases(_merged("currency"))
    if cheap:
        money = rf"\b(?:{cheap})\s*\$\s*{_MONEY}"
        if currency:
            money += rf"|\b(?:{cheap})\s*{_MONEY}\s*(?:\$|{currency})\b"
        rules.append((money, cheaper))
    for value, phrases in _grouped("when").items():
        rules.append((_words(_phrases(phrases)), reading.set_when(value)))
    for code, phrases in _grouped("days").items():
        rules.append((_words(_phrases(phrases)), reading.set_day_code(code)))
    for value, phrases in _grouped("formats").items():
        rules.append((_words(_phrases(phrases)), reading.set_format(value)))
    if languages and _merged("taught_in"):
        names = _phrases(languages)
        rules.append((rf"\b(?:{_phrases(_merged('taught_in'))})\s({names})\b", taught_in))
    for days, phrases in _grouped("upcoming").items():
        rules.append((_words(_phrases(phrases)), reading.set_upcoming(int(days))))
    rules += _getting_there_rules(numbers)
    relation = None
    if people and possessives:
        relation = re.compile(rf"\b(?:{possessives})\s({people})\b")
    return LocaleWords(
        rules=tuple((re.compile(pattern), handler) for pattern, handler in rules),
        relation=relation,
        relations=relations,
        same_as=_folded_map("same_as"),
        filler=frozenset(fold(str(word)) for word in _merged("filler")),
    )


# A distance as people write it: "2", "1.5", "0,5", or a number word ("two miles").
_AMOUNT = r"\d{1,3}(?:[.,]\d{1,2})?\s?|[a-z]+\s"  # a word is followed by a space
# A line's designator: a number, with up to three letters before or two after ("M15", "14X").
_DESIGNATOR = r"([a-z]{0,3}\d{1,4}[a-z]{0,2})"
MAX_RADIUS_KM = 500.0  # as far as a search looks (knowledge.search.query)
ARTICLES = frozenset({"a", "an", "one", "un", "una", "uno"})  # "within a mile": one


def _getting_there_rules(numbers: Mapping[str, int]) -> list[tuple[str, Handler]]:
    """How far the learner will go ("within 2 km", "3 miles away", "walking distance") and the
    line they travel on ("near the 14 bus", "cerca de la línea 14")."""
    from knowledge.search import interpret as reading

    units = {
        " ".join(fold(phrase).split()): float(per_km)
        for per_km, phrases in _grouped("distance_units").items()
        for phrase in phrases
    }
    rules: list[tuple[str, Handler]] = []

    def amount(spelled: str) -> float | None:
        if spelled in ARTICLES:  # "within a mile", "a menos de un kilómetro"
            return 1.0
        try:
            return float(spelled.replace(",", "."))
        except ValueError:
            value = numbers.get(spelled)
            return float(value) if value is not None else reading.number_value(spelled)

    def radius(match: re.Match[str], found: Interpretation) -> None:
        spelled, unit = match.group("amount").strip(), match.group("unit")
        value = amount(spelled)
        if value is None or found.radius_km is not None:
            return
        km = value * units[unit]
        if 0 < km <= MAX_RADIUS_KM:
            found.radius_km = round(km, 3)
        if value.is_integer():
            found.add_not_age(int(value))

    within, after = _phrases(_merged("within")), _phrases(_merged("from_here"))
    distance = rf"(?P<amount>{_AMOUNT})(?P<unit>{_phrases(units)})\b"
    away = rf"\s(?:{after})\b" if after else r"(?!x)x"
    if units and within:  # "within 2 km", "less than 3 miles away", "a menos de 2 km"
        rules.append((rf"\b(?:{within})\s(?:about\s|unos\s)?{distance}(?:{away})?", radius))
    if units and after:  # "2 km away", "a 2 km de casa"
        rules.append((rf"(?<![-.,\d])\b{distance}{away}", radius))

    def set_radius(km: float) -> Handler:
        def handle(_match: re.Match[str], found: Interpretation) -> None:
            found.radius_km = found.radius_km or km

        return handle

    for km, phrases in _grouped("walking").items():
        rules.append((_words(_phrases(phrases)), set_radius(float(km))))

    transit = _phrases(_merged("transit"))
    numbered = _phrases(_merged("transit_number"))
    if transit:
        label = rf"(?:(?:{numbered})\s?)?" if numbered else ""
        rules.append((rf"\b(?:{transit})\s{label}#?{_DESIGNATOR}\b", _route))
        vehicle = rf"(?:{transit})(?:\s(?:{transit}))?"  # "the 14 bus route"
        rules.append((rf"(?<![-.,\w])#?{_DESIGNATOR}\s{vehicle}\b", _route))
    return rules


def _route(match: re.Match[str], found: Interpretation) -> None:
    """The first line named is the one searched for."""
    designator = match.group(1)
    if not any(char.isdigit() for char in designator):
        return
    found.route = found.route or designator
    digits = re.sub(r"\D", "", designator)
    if digits == designator:
        found.add_not_age(int(digits))


@cache
def where_to_get_rule() -> re.Pattern[str]:
    """ "where can I get one", "dónde puedo sacar": a question of where or how to get something
    (searched), not of what it is (explained), in any supported language's words."""
    words = _grouped("where_to_get")
    asking, getting = _phrases(words.get("asking", ())), _phrases(words.get("getting", ()))
    parts = [rf"\b(?:{asking})\b.{{0,40}}\b(?:{getting})\b"] if asking and getting else []
    near = _phrases(words.get("near", ()))
    if near:
        parts.append(rf"\b(?:{near})\b")
    return re.compile("|".join(parts) or r"(?!x)x")


def asks_where_to_get(text: str) -> bool:
    """The message asks where or how to get something (see where_to_get_rule)."""
    return where_to_get_rule().search(" ".join(fold(text).split())) is not None


@cache
def holding_rule() -> re.Pattern[str]:
    """ "I already have", "ya tengo", "got my": words that say something is held, in any
    supported language's words (phrases compared word by word, punctuation dropped: "i've")."""
    phrases = {" ".join(words(str(phrase))) for phrase in _merged("holding")} - {""}
    ordered = sorted(phrases, key=len, reverse=True)
    alternation = "|".join(re.escape(phrase) for phrase in ordered)
    return re.compile(rf"(?:^| )(?:{alternation})(?: |$)" if alternation else r"(?!x)x")


def says_held(text: str) -> bool:
    """The message says it (or they) already have something: "food handlers card" and "dónde
    puedo sacar la licencia" name one, no more."""
    return holding_rule().search(" ".join(words(text))) is not None
