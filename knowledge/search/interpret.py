"""Reading a plain sentence ("free coding club for my 12 year old near Riverside") as filters.

Shared by the search, the command line and the chat layer: everything except topics and
neighbourhoods is recognised without a database; pass a Taxonomy to recognise those too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from knowledge.listing_fields import DAY_NAMES
from knowledge.search.locale_rules import locale_words
from knowledge.taxonomy import GENERIC_WORDS, Match, Taxonomy
from knowledge.text import fold, is_stop_word, lemma, words

# How much of a message is read: the web channel's limit (bot/gateway/web.py MAX_TEXT). A longer
# message (Telegram allows 4,096 characters) is read up to here, and its asking sentence on its
# own (actions/context.request_sentence); reading a topic costs up to ~0.1 ms a character.
MAX_INTERPRETED_CHARS = 2_000
LANGUAGES = {
    "english": "en", "spanish": "es", "espanol": "es", "castellano": "es", "french": "fr",
    "francais": "fr", "arabic": "ar", "vietnamese": "vi", "somali": "so", "chinese": "zh",
    "mandarin": "zh", "cantonese": "zh", "portuguese": "pt", "russian": "ru", "ukrainian": "uk",
    "haitian creole": "ht", "creole": "ht", "korean": "ko", "tagalog": "tl", "hindi": "hi",
    "urdu": "ur", "bengali": "bn", "polish": "pl", "german": "de", "italian": "it",
    "japanese": "ja", "nepali": "ne", "swahili": "sw", "amharic": "am", "farsi": "fa",
    "persian": "fa", "dari": "fa", "pashto": "ps", "burmese": "my",
}  # fmt: skip
_LANGUAGE_NAMES = "|".join(sorted(LANGUAGES, key=len, reverse=True))
# A code's name for people to read: the first name listed for it ("es" → "Spanish").
LANGUAGE_NAMES = {code: name.capitalize() for name, code in reversed(LANGUAGES.items())}
GRADE_OFFSET = 5  # a 7th grader is typically 12
PRE_K_AGE = 4
# Numbers as people spell them in ages ("my twins are nine", "a twelve year old").
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}  # fmt: skip
# Who a listing is for, when no age is given: a preference for ranking, never a filter.
AUDIENCES = {
    "baby": (0, 2), "toddler": (1, 3), "preschooler": (3, 5), "kid": (5, 12), "child": (5, 12),
    "teen": (13, 18), "teenager": (13, 18), "adult": (18, 120), "grownup": (18, 120),
    "senior": (55, 120),
}  # fmt: skip
# Who a search is for, by the word people use after "my", "her", "for": the assistant's
# `relation` values (docs/conversation-contract.md). Read without taking the words away, so "kid"
# still says which ages fit.
RELATIONS = {
    "daughter": "daughter", "daughters": "daughter", "girl": "daughter", "son": "son",
    "sons": "son", "boy": "son", "kid": "child", "kids": "child", "kiddo": "child",
    "child": "child", "children": "child", "twins": "child", "brother": "brother",
    "sister": "sister", "grandson": "grandchild", "granddaughter": "grandchild",
    "grandchild": "grandchild", "grandkid": "grandchild", "grandkids": "grandchild",
    "grandchildren": "grandchild", "cousin": "cousin", "nephew": "nephew", "niece": "niece",
    "student": "student", "students": "student",
}  # fmt: skip
_RELATION = re.compile(
    r"\b(?:my|her|his|their|our|for\s+(?:my|her|his|their|our))\s"
    rf"({'|'.join(sorted(RELATIONS, key=len, reverse=True))})\b"
    r"|\bfor\s(me|myself)\b|\b(myself)\b"
)
# Words that say nothing about what is wanted; dropped rather than matched against listings.
FILLER = frozenset(
    """
    looking look want wanting need find finding search like love loves interested interest good
    best fun cool great nice something anything stuff thing things place places near nearby
    close around son daughter kiddo want wants help please options option available ideas idea
    recommend suggestion suggestions hi hello hey thanks thank
    """.split()  # noqa: SIM905
)


@dataclass
class Interpretation:
    """What a sentence asks for; unset fields were not mentioned."""

    text: str
    age: int | None = None
    free_only: bool = False
    max_cost: Decimal | None = None
    days: list[str] = field(default_factory=list)
    when: list[str] = field(default_factory=list)
    format: str | None = None
    language: str | None = None
    upcoming_days: int | None = None
    topics: list[Match] = field(default_factory=list)
    concepts: list[Match] = field(default_factory=list)  # starter-vocabulary topics and careers
    neighbourhood: Match | None = None
    terms: list[str] = field(default_factory=list)  # remaining meaningful lemmas, in order
    audience: tuple[int, int] | None = None  # ages implied by "for teens", "adults", …
    relation: str | None = None  # who it is for: "daughter", "cousin", "self" (RELATIONS)
    radius_km: float | None = None  # how far they will go: "within 2 km", "walking distance"
    route: str | None = None  # a line the place must be on: "14" of "near the 14 bus"
    not_ages: list[int] = field(default_factory=list)  # numbers said as a distance or a route

    def add_not_age(self, number: int) -> None:
        """Record a number the words use as a distance or a line, not as an age."""
        if number not in self.not_ages:
            self.not_ages.append(number)

    def topic_names(self, *, starter: bool = True) -> list[str]:
        """The topics named: the city's own, else (`starter`) the starter vocabulary's."""
        return [match.name for match in self.topics or (self.concepts if starter else [])]

    def add_when(self, value: str) -> None:
        """Record a time of day or season once."""
        if value not in self.when:
            self.when.append(value)

    def add_day(self, value: str) -> None:
        """Record a weekday once."""
        if value not in self.days:
            self.days.append(value)


Handler = Callable[[re.Match[str], Interpretation], None]


def number_value(text: str) -> int | None:
    """A whole number written in digits or words: "12", "nine", "twenty-one", "Twenty one"."""
    spelled = fold(text).strip().replace("-", " ")
    if re.fullmatch(r"\d{1,4}", spelled):
        return int(spelled)
    parts = spelled.split()
    if not parts or len(parts) > 2 or any(part not in NUMBER_WORDS for part in parts):
        return None
    if len(parts) == 1:
        return NUMBER_WORDS[parts[0]]
    tens, units = NUMBER_WORDS[parts[0]], NUMBER_WORDS[parts[1]]
    return tens + units if tens >= 20 and tens % 10 == 0 and 1 <= units <= 9 else None


def grade_value(text: str) -> int | None:
    """A school grade: "7", "7th", "seventh", "k" or "kindergarten" (0)."""
    spelled = fold(text).strip()
    if spelled in {"k", "kinder"} or spelled.startswith("kindergart"):
        return 0
    if spelled in ORDINAL_WORDS:
        return ORDINAL_WORDS[spelled]
    digits = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", spelled)
    return int(digits.group(1)) if digits else number_value(spelled)


def _set_age(years: int) -> Handler:
    """A handler that records `years` plus the matched number (digits or words)."""

    def handle(match: re.Match[str], found: Interpretation) -> None:
        if found.age is not None:
            return
        if not match.groups():
            found.age = years
            return
        number = number_value(match.group(1))
        if number is not None:
            found.age = number + years

    return handle


def _own_age(match: re.Match[str], found: Interpretation) -> None:
    """ "I'm 11": the age, and that the learner is speaking for themselves."""
    _set_age(0)(match, found)
    if found.relation is None:
        found.relation = "self"


def _set_months(match: re.Match[str], found: Interpretation) -> None:
    """ "18 months old" → 1: a baby's age in whole years."""
    number = number_value(match.group(1))
    if found.age is None and number is not None:
        found.age = number // 12


def _set_grade(match: re.Match[str], found: Interpretation) -> None:
    """School grade → typical age (grade + 5)."""
    grade = grade_value(match.group(1))
    if found.age is None and grade is not None and 1 <= grade <= 12:
        found.age = grade + GRADE_OFFSET


def _set_free(_match: re.Match[str], found: Interpretation) -> None:
    found.free_only = True


def _set_max_cost(match: re.Match[str], found: Interpretation) -> None:
    amount = Decimal(next(group for group in match.groups() if group))
    if found.max_cost is None or amount < found.max_cost:
        found.max_cost = amount


def set_when(value: str) -> Handler:
    """A handler that records a time of day or season."""

    def handle(_match: re.Match[str], found: Interpretation) -> None:
        found.add_when(value)

    return handle


def _set_weeknight(_match: re.Match[str], found: Interpretation) -> None:
    found.add_when("weekday")
    found.add_when("evening")


def _set_day(match: re.Match[str], found: Interpretation) -> None:
    found.add_day(DAY_NAMES[match.group(1) + "day"])


def set_day_code(code: str) -> Handler:
    """A handler that records a weekday by its code ("Sun")."""

    def handle(_match: re.Match[str], found: Interpretation) -> None:
        found.add_day(code)

    return handle


def set_format(value: str) -> Handler:
    """A handler that records a format unless one was said first."""

    def handle(_match: re.Match[str], found: Interpretation) -> None:
        found.format = found.format or value

    return handle


def _set_language(match: re.Match[str], found: Interpretation) -> None:
    name = next(group for group in match.groups() if group)
    found.language = found.language or LANGUAGES[name]


def set_upcoming(days: int) -> Handler:
    """A handler that records how soon a listing should run."""

    def handle(_match: re.Match[str], found: Interpretation) -> None:
        found.upcoming_days = days if found.upcoming_days is None else found.upcoming_days

    return handle


_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_TEENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_SPELLED = rf"(?:(?:{_TENS})(?:[ -](?:{_UNITS}))?|{_TEENS}|{_UNITS}|zero)"
# A number not after a minus, a decimal point or another number ("ages 8-10", "-3", "1.5").
_NUMBER = rf"(?<![-.,\d])(\d{{1,3}}|{_SPELLED})"
# After "she's", "I'm", "turns"…: "one" is too often not an age ("I'm one of the parents").
_AGE_NUMBER = rf"(?<![-.,\d])(\d{{1,3}}|(?!one\b){_SPELLED})"
_NOT_AN_AGE = (  # "I'm 5 minutes away", "she's 10 months", "they're 3 of us"
    r"(?!\s?(?:\$|%|:\d|km|mi\b|miles?|mins?\b|minutes?|hours?|hrs?\b|days?\b|weeks?\b|"
    r"months?\b|dollars?|bucks|of\b|percent|times|o'?clock|[ap]\.?m\b|pounds?|lbs?\b|kg\b|"
    r"feet|ft\b|inches|cm\b))"
)
_ORDINAL = rf"(\d{{1,2}}(?:st|nd|rd|th)?|{'|'.join(ORDINAL_WORDS)})"
# Who an age is said of: "my twins are nine", "my son's 12", "for my daughter who is 8".
_PERSON = (
    r"(?:he|she|they|who|twins?|kids?|kiddos?|child|children|sons?|daughters?|boys?|girls?|"
    r"brothers?|sisters?|grand(?:son|daughter|child|kid)s?|nephews?|nieces?|cousins?|"
    r"bab(?:y|ies)|toddlers?|students?)"
)
_IS = r"(?:'s|'re|\s+is|\s+are)\s(?:both\s|all\s|just\s|only\s|now\s)?"
_WILL_BE = (  # "she'll be", "I will be", "he's going to be", "they're about to be"
    r"(?:'ll|\s+will|(?:'s|'re|'m|\s+is|\s+are|\s+am)\s+(?:going\s+to|gonna|about\s+to))\s+be\s"
)
_MONEY = r"(\d{1,5}(?:\.\d{1,2})?)"
_CHEAPER = r"(?:under|below|less than|cheaper than|max(?:imum)?|up to|no more than|at most|within)"
# Order matters: earlier patterns claim their words first ("7th grade" before any bare number).
RULES: tuple[tuple[re.Pattern[str], Handler], ...] = tuple(
    (re.compile(pattern), handler)
    for pattern, handler in (
        # Whitespace is collapsed before each pattern, so "\s?" and "\s+" meet one space; and
        # no pattern puts two unbounded whitespace quantifiers side by side: "\s*(?:-\s*)?", not
        # "\s*-?\s*", which tries every split of a run of spaces (quadratic).
        # Ages. The age someone is about to be ("turns 10 next month", "she'll be 10") wins over
        # the one they are: programmes enrol ahead, and their age limits usually count at the start.
        (rf"\b(?:{_PERSON}|i){_WILL_BE}{_AGE_NUMBER}\b{_NOT_AN_AGE}", _set_age(0)),
        (rf"\b(?:turns|turning|turn)\s{_AGE_NUMBER}\b{_NOT_AN_AGE}", _set_age(0)),
        (rf"\bturned\s{_AGE_NUMBER}\b{_NOT_AN_AGE}", _set_age(0)),  # "she just turned four"
        (rf"\b{_NUMBER}\s?-?\s?(?:years?|yrs?)\s?-?\s?olds?\b", _set_age(0)),
        (rf"\b{_NUMBER}\s?(?:yo|y/o|y\.o\.?|yrs?)(?![\w])", _set_age(0)),
        (rf"\b{_NUMBER}\s?-?\s?months?\s?-?\s?olds?\b", _set_months),
        (rf"\b{_PERSON}{_IS}{_NUMBER}\s?months?\b", _set_months),
        (rf"\b(?:aged?|ages)\s?:?\s?{_NUMBER}\b(?!\s?(?:-|to|–)\s?\d)", _set_age(0)),
        (rf"\b{_ORDINAL}\s?-?\s?grade(?:rs?)?\b", _set_grade),
        (r"\bgrade\s?(\d{1,2})\b", _set_grade),
        (r"\bkindergart(?:en|ner)(?:ers?|s)?\b", _set_age(GRADE_OFFSET)),
        (r"\bpre\s?-?\s?k(?:indergarten)?\b", _set_age(PRE_K_AGE)),
        (rf"\b(?:i'?m|i\s+am)\s(?:now\s|only\s|just\s)?{_AGE_NUMBER}\b{_NOT_AN_AGE}", _own_age),
        (rf"\b{_PERSON}{_IS}{_AGE_NUMBER}\b{_NOT_AN_AGE}", _set_age(0)),
        (
            r"\b(?:free\s+of\s+charge|at\s+no\s+cost|no[\s-]cost|no\s+charge|without\s+cost|"
            r"costs?\s+nothing|for\s+free|gratis|gratuit[oa]?)\b",
            _set_free,
        ),
        (r"(?<![-\w])free\b(?!\s+time)(?!-)", _set_free),
        (
            rf"\b{_CHEAPER}\s*\$\s*{_MONEY}|\b{_CHEAPER}\s*{_MONEY}\s*(?:\$|dollars?|bucks|usd)\b|"
            rf"\$\s*{_MONEY}\s*(?:or\s+less|or\s+under|max(?:imum)?)\b",
            _set_max_cost,
        ),
        (r"\bweek\s*nights?\b", _set_weeknight),
        (r"\bweek\s*ends?\b", set_when("weekend")),
        (r"\bweek\s*days?\b", set_when("weekday")),
        (r"\bafter\s*(?:-\s*)?school\b", set_when("after_school")),
        (r"\b(?:evenings?|at\s+night|nights|tonight|after\s+work)\b", set_when("evening")),
        (r"\bmornings?\b", set_when("morning")),
        (r"\bsummer(?:time)?\b", set_when("summer")),
        (r"\b(mon|tues|wednes|thurs|fri|satur|sun)days?\b", _set_day),
        (
            r"\b(?:online|virtual(?:ly)?|remote(?:ly)?|from\s+home|(?:on|via|over)\s+zoom)\b"
            r"(?!\s+safety)",
            set_format("online"),
        ),
        (
            r"\b(?:in\s*(?:-\s*)?person|face\s*(?:-\s*)?to\s*(?:-\s*)?face|on\s*(?:-\s*)?site)\b",
            set_format("in_person"),
        ),
        (r"\bhybrid\b", set_format("hybrid")),
        (
            rf"\b(?:taught\s+in|in|en)\s+({_LANGUAGE_NAMES})\b(?!\s+(?:class|course|lesson)s?\b)"
            rf"|\b({_LANGUAGE_NAMES})\s*(?:-\s*)?speak(?:ing|ers?)\b",
            _set_language,
        ),
        (r"\b(?:this|coming)\s+week\b", set_upcoming(7)),
        (r"\bnext\s+week\b", set_upcoming(14)),
        (r"\b(?:this|next|coming)\s+month\b", set_upcoming(31)),
        (r"\b(?:starting|starts|start)\s+soon\b|\bsoon\b", set_upcoming(30)),
        (r"\b(?:right\s+now|today|currently\s+running)\b", set_upcoming(0)),
    )
)


def interpret(
    text: str, taxonomy: Taxonomy | None = None, language: str | None = None
) -> Interpretation:
    """Filters, topics, neighbourhood and remaining search words implied by a sentence; the
    words left are lemmatised in `language` (the learner's chat language; None: the source
    language), and every supported language's words for days, cost and ages are read."""
    found = Interpretation(text=text)
    # One space between words (the patterns stay linear) and straight apostrophes ("she’s").
    remaining = _spaced(fold(_head(text)).replace("’", "'"))
    local = locale_words()
    said = _RELATION.search(remaining)
    if said:
        word = next(group for group in said.groups() if group)
        found.relation = "self" if word in {"me", "myself"} else RELATIONS[word]
    elif local.relation is not None and (said := local.relation.search(remaining)):
        found.relation = local.relations[said.group(1)]
    for pattern, handler in (*RULES, *local.rules):
        for match in pattern.finditer(remaining):
            handler(match, found)
        remaining = _spaced(pattern.sub(" ", remaining))  # no run of spaces where it matched
    typed = words(remaining)
    matches = taxonomy.find(typed) if taxonomy is not None else []
    explained: set[int] = set()
    for named in matches:
        if named.kind == "topic" and all(named.id != seen.id for seen in found.topics):
            found.topics.append(named)
        elif named.kind == "concept" and all(named.id != seen.id for seen in found.concepts):
            found.concepts.append(named)
        elif named.kind == "neighbourhood" and found.neighbourhood is None:
            found.neighbourhood = named
        explained.update(range(named.start, named.end))
    terms = [
        local.same_as.get(lemma(word, language), lemma(word, language))
        for position, word in enumerate(typed)
        if position not in explained and _meaningful(word, language)
    ]
    audiences = [AUDIENCES[term] for term in terms if term in AUDIENCES]
    if audiences:
        found.audience = (min(low for low, _ in audiences), max(high for _, high in audiences))
    found.terms = terms
    return found


def _head(text: str) -> str:
    """The first MAX_INTERPRETED_CHARS characters, so no message costs more than that to read;
    a word cut in two at the end is left out."""
    if len(text) <= MAX_INTERPRETED_CHARS:
        return text
    head = text[:MAX_INTERPRETED_CHARS]
    if head[-1].isspace() or text[MAX_INTERPRETED_CHARS].isspace():
        return head
    return head.rsplit(None, 1)[0]


def _spaced(text: str) -> str:
    """Words separated by one space, none at either end."""
    return " ".join(text.split())


def _meaningful(word: str, language: str | None = None) -> bool:
    """A word worth matching against listings (not a stop word, filler or bare number)."""
    if is_stop_word(word, language) or word.isdigit():
        return False
    filler = locale_words().filler
    return not (word in FILLER or word in filler or lemma(word, language) in FILLER)


def is_generic(term: str) -> bool:
    """A word about the kind of listing ("club", "class") rather than its subject."""
    return term in GENERIC_WORDS
