"""The learner's words against the directory's: typos read as the words listings do use, and where
a listing says the words that brought it into the results (for its reason)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Credential
from knowledge.models.opportunity import opportunity_award
from knowledge.search.fulltext import near_misses
from knowledge.search.index import TITLE_END
from knowledge.search.interpret import is_generic
from knowledge.search.ranking import Candidate, subject_words
from knowledge.search.search_plan import Plan
from knowledge.text import content_text, lemma, words

MAX_MENTIONS = 2  # words a reason names


@dataclass(frozen=True)
class Mention:
    """One of the query's words (or a related phrase) and where a listing says it: "title",
    "awards" (in the name of a credential it awards), "topic", "provider" or "description"."""

    word: str  # as the learner typed it when they did, else the lemmas
    where: str
    name: str = ""  # the credential, topic or provider whose name says it


Mentions = tuple[Mention, ...]


def with_near_misses(session: Session, plan: Plan) -> Plan:
    """The plan with each subject word no listing says replaced by the words listings do say
    that it is a typo of ("sparing" → "sparring"), recorded among its corrections."""
    found = near_misses(session, [term for term in plan.terms if not is_generic(term)])
    if not found:
        return plan
    typed = typed_words(plan.text)
    terms = [near for term in plan.terms for near in found.get(term, (term,))]
    corrections = dict(plan.corrections)
    for term, near in found.items():
        corrections[typed.get(term, term)] = " or ".join(near)
    return replace(plan, terms=tuple(dict.fromkeys(terms)), corrections=corrections)


def typed_words(text: str) -> dict[str, str]:
    """Lemma → the word the learner typed for it (folded), the first one when several."""
    typed: dict[str, str] = {}
    for word in words(text):
        typed.setdefault(lemma(word), word)
    return typed


def sought(plan: Plan) -> list[str]:
    """The phrases whose mention explains a listing: the learner's own words first (the words
    that named the topics, the topic names, the other subject words), then related phrases."""
    own = [*plan.mention_phrases, *subject_words(plan)]
    return [phrase for phrase in dict.fromkeys([*own, *plan.concept_phrases]) if phrase]


def mentions(
    session: Session, plan: Plan, candidates: Sequence[Candidate], topic_names: Mapping[int, str]
) -> dict[int, Mentions]:
    """Where each listing says the query's words (at most MAX_MENTIONS), for those that say any;
    the listings' awarded credentials are read only when a word is not in a title."""
    phrases = sought(plan)
    if not phrases or not candidates:
        return {}
    typed = typed_words(plan.text)
    # Credentials are read only for listings that say a word somewhere other than the title.
    beyond_titles = [
        candidate.id
        for candidate in candidates
        if any(f" {phrase} " in _after_title(candidate) for phrase in phrases)
    ]
    awards = _awards(session, beyond_titles) if beyond_titles else {}
    found: dict[int, Mentions] = {}
    for candidate in candidates:
        title = candidate.search_text.partition(f" {TITLE_END} ")[0] + " "
        rest = _after_title(candidate)
        places = [
            *(("awards", name) for name in awards.get(candidate.id, ())),
            *(("topic", topic_names[i]) for i in candidate.topic_ids if i in topic_names),
            ("provider", candidate.provider),
        ]
        said = []
        for phrase in phrases:
            padded = f" {phrase} "
            shown = typed.get(phrase, phrase)
            if padded in title:
                said.append(Mention(shown, "title"))
            elif padded in rest:
                where, name = next(
                    (
                        (where, name)
                        for where, name in places
                        if padded in f" {content_text(name)} "
                    ),
                    ("description", ""),
                )
                said.append(Mention(shown, where, name))
            if len(said) == MAX_MENTIONS:
                break
        if said:
            found[candidate.id] = tuple(said)
    return found


def _after_title(candidate: Candidate) -> str:
    """The listing's lemmas after its title (topics, description, provider, credentials),
    padded with spaces like the whole search text."""
    return " " + candidate.search_text.partition(f" {TITLE_END} ")[2]


def _awards(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    """The names of the credentials each of these listings awards."""
    rows = session.connection().execute(
        select(opportunity_award.c.opportunity_id, Credential.name)
        .join(Credential, Credential.id == opportunity_award.c.credential_id)
        .where(opportunity_award.c.opportunity_id.in_(list(ids)))
        .order_by(Credential.name)
    )
    found: dict[int, list[str]] = {}
    for listing_id, name in rows:
        found.setdefault(listing_id, []).append(name)
    return found
