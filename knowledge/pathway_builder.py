"""A pathway put together from the directory when no curated one fits a goal, so any city that
imports a spreadsheet can answer "how do I become a plumber?" with its own programs.

The steps are the city's current listings filed under the goal's topics, one per credential they
award (plus a couple that award nothing, to try the field), ordered from the lightest credential
to the heaviest:

    nothing < badge < micro_credential < certificate < certification < college_credit
            < diploma < license

A badge or micro-credential is a first taste; a certificate says a course was completed and a
certification that an exam was passed (usually after one); college credit and diplomas take
longer; a licence to practise is where regulated careers (plumber, nurse, cosmetologist) end.
Within a level the steps go by minimum age, then start date. A step whose credential another
step's requires (or that prepares for another's) always comes before it, whatever the levels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from knowledge.goals import Goal, career_index
from knowledge.models import Credential, Opportunity, Pathway
from knowledge.models.opportunity import opportunity_topic
from knowledge.pathways import (
    StepState,
    StepView,
    awarding,
    find_pathway,
    pathway_for_career,
    plan_steps,
)
from knowledge.search.engine import search
from knowledge.search.query import QueryError, SearchQuery
from knowledge.search.result import SearchHit
from knowledge.settings import DEFAULT_FRESHNESS_DAYS
from knowledge.taxonomy import Taxonomy, load_taxonomy, starter_index
from knowledge.text import content_lemmas, words
from knowledge.vocabulary import Career

LEVELS: dict[str | None, int] = {
    None: 0,
    "badge": 1,
    "micro_credential": 2,
    "certificate": 3,
    "certification": 4,
    "college_credit": 5,
    "diploma": 6,
    "license": 7,
}
MAX_STEPS = 6
MAX_TASTERS = 2  # steps that award nothing: enough to try the field, not to fill the path
MAX_PREREQUISITES = 2  # steps added beyond MAX_STEPS because a step requires what they award
CANDIDATES = 30  # listings read per topic
MAIN_SUBJECTS = 2  # a career's first subjects, one of which must have listings for a path
MAX_OPTIONS = 3  # close careers, and close topics, suggested when nothing matches


@dataclass(frozen=True)
class BuiltPathway:
    """The steps towards a goal, from the directory's listings; empty when none fit."""

    goal: Goal
    steps: list[StepView] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    """Close careers and topics the city has listings for, to offer instead of a dead end."""

    careers: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


def build_pathway(
    session: Session,
    goal: Goal,
    *,
    age: int | None = None,
    held: Iterable[str] = (),
    today: date | None = None,
    freshness_days: int = DEFAULT_FRESHNESS_DAYS,
) -> BuiltPathway:
    """The city's listings under the goal's topics as ordered, marked steps for this learner
    (listings unconfirmed for `freshness_days`, the caller's setting, are chosen last)."""
    today = today or date.today()
    candidates = _candidates(session, goal, age, today, freshness_days)
    chosen = _choose(candidates, goal.credential_types, age)
    chosen = _with_prerequisites(session, chosen, age, today)
    ordered = _order(chosen)
    return BuiltPathway(goal, _mark(ordered, age, {name.strip().lower() for name in held}))


def matching_programs(
    session: Session,
    goal: Goal | None,
    said: str,
    *,
    today: date | None = None,
    limit: int = CANDIDATES,
    freshness_days: int = DEFAULT_FRESHNESS_DAYS,
) -> list[SearchHit]:
    """Listings that say the goal, best first: what to show when no path can be built.

    The search finds them by the goal's words (a career by its title); only those whose title
    or description holds one of the career's titles, or every word the learner gave, are kept:
    "technician" alone is not a pharmacy technician, and a search that read "truck" as "track"
    found no truck driver.
    """
    text = goal.label if goal is not None and goal.career is not None else said
    if not words(text):
        return []
    try:
        query = SearchQuery(text=text)
        result = search(session, query, today=today, limit=limit, freshness_days=freshness_days)
    except QueryError:
        return []
    by_title = goal is not None and goal.career is not None
    if goal is not None and goal.career is not None:
        phrases = [content_lemmas(term) for term in goal.career.terms()]
    else:
        phrases = [content_lemmas(said)]
    phrases = [phrase for phrase in phrases if phrase]
    listings = {item.id: item for item in _load(session, [hit.id for hit in result.results])}
    return [
        hit
        for hit in result.results
        if hit.id in listings and _says(listings[hit.id], phrases, whole=by_title)
    ]


def _says(opportunity: Opportunity, phrases: list[list[str]], *, whole: bool) -> bool:
    """The listing's title or description holds one of the phrases: as consecutive words
    (`whole`: a career's title), or all its words anywhere (the learner's own words)."""
    said = content_lemmas(f"{opportunity.title} {opportunity.description}")
    text = f" {' '.join(said)} "
    for phrase in phrases:
        if whole and f" {' '.join(phrase)} " in text:
            return True
        if not whole and set(phrase) <= set(said):
            return True
    return False


def curated_pathway(session: Session, text: str, goal: Goal | None) -> Pathway | None:
    """The city's own pathway for a goal: by its keywords, name or careers in the words; by the
    starter career the words name; or by the career's main subject as a keyword."""
    if goal is None or goal.career is None:
        return find_pathway(session, text) if text.strip() else None
    # The words named a career: only a whole keyword counts, not a near spelling of one
    # ("flight attendant" is not "health care"); typos were already read as the career.
    return (
        find_pathway(session, text, exact=True)
        or pathway_for_career(session, goal.career.key, goal.career.name)
        or find_pathway(session, goal.topics[0] if goal.topics else "", exact=True)
    )


def close_options(
    session: Session, goal: Goal | None, text: str, *, today: date | None = None
) -> Options:
    """Careers and topics near the goal (its related and broader topics) that have listings;
    for words that named nothing, careers and topics spelled like them; else the city's largest
    topics. Never the goal's own career."""
    taxonomy = load_taxonomy(session)
    counts = listing_counts(session, today or date.today())
    by_concept = _topics_by_concept(taxonomy)
    careers = career_index()
    own = goal.career.key if goal is not None and goal.career is not None else None
    career_names: list[str] = []
    topic_ids: list[int] = []
    if goal is not None and goal.concepts:
        tiers = _tiers_of(goal.concepts)
        near = {key for tier in tiers for key in tier}
        closeness: dict[int, int] = {}
        for tier, circle in enumerate(tiers):
            for topic_id in _covered_topics(circle, by_concept):
                closeness.setdefault(topic_id, tier)
        topic_ids = sorted(
            (i for i in closeness if counts.get(i)), key=lambda i: (closeness[i], -counts[i])
        )
        scored = []
        for number, career in enumerate(careers.careers):
            # What the career is mainly about, and the topics just above: a tattoo artist who
            # learns infection control is not close to a dental assistant, a dentist is.
            main = set(careers.concepts_of(career, MAIN_SUBJECTS))
            main |= {up for key in main for up in starter_index().starter.concepts[key].broader}
            if career.key == own or not main & near:
                continue
            listed = _listed(_main_topics(taxonomy, career), counts)
            if listed:  # a path can be built for it
                scored.append((-len(main & set(goal.concepts)), -len(main & near), -listed, number))
        career_names = [careers.careers[entry[3]].name for entry in sorted(scored)]
    if not career_names and not topic_ids:
        typed = " ".join(words(text))
        names = {career.key: career.name for career in careers.careers if career.key != own}
        for _name, score, key in process.extract(typed, names, scorer=fuzz.WRatio, limit=10):
            career = careers.by_key[str(key)]
            if score >= 75 and _listed(_main_topics(taxonomy, career), counts):
                career_names.append(career.name)
        wanted = set(taxonomy.suggest_topics(words(text), limit=MAX_OPTIONS * 2))
        topic_ids = [i for i, name in taxonomy.topics.items() if name in wanted and counts.get(i)]
    if not career_names and not topic_ids:
        topic_ids = sorted(counts, key=lambda i: (-counts[i], taxonomy.topics[i]))
    topics = [taxonomy.topics[i] for i in dict.fromkeys(topic_ids)][:MAX_OPTIONS]
    return Options(career_names[:MAX_OPTIONS], topics)


def listings_offered(
    session: Session,
    goal: Goal,
    *,
    age: int | None = None,
    today: date | None = None,
    freshness_days: int = DEFAULT_FRESHNESS_DAYS,
) -> int:
    """How many listings asking for the goal offers now: the steps that are listings of the
    curated or built path, else the matching programs (what the demand report calls "listings
    now" for a career, counted as the chat counts what it offered)."""
    pathway = curated_pathway(session, goal.label, goal)
    if pathway is not None:
        steps = plan_steps(session, pathway, age=age, today=today)
        return sum(1 for step in steps if step.opportunity is not None)
    built = build_pathway(session, goal, age=age, today=today, freshness_days=freshness_days)
    if built.steps:
        return sum(1 for step in built.steps if step.opportunity is not None)
    programs = matching_programs(
        session, goal, goal.label, today=today, freshness_days=freshness_days
    )
    return len(programs)


def goals_to_offer(
    session: Session, *, today: date | None = None, limit: int = MAX_OPTIONS
) -> list[str]:
    """Careers to offer a learner who has not named a goal: those of the city's own pathways
    first, then those whose main subject is one of the city's topics with the most listings
    (the vocabulary's first such career per topic)."""
    found: list[str] = []
    pathways = session.scalars(
        select(Pathway).options(selectinload(Pathway.careers)).order_by(func.lower(Pathway.name))
    )
    for pathway in pathways:
        names = sorted((career.name for career in pathway.careers), key=str.lower)
        if names and names[0] not in found:
            found.append(names[0])
    taxonomy = load_taxonomy(session)
    counts = listing_counts(session, today or date.today())
    careers = career_index().careers
    for topic_id in sorted(counts, key=lambda i: (-counts[i], taxonomy.topics[i])):
        career = next(
            (c for c in careers if c.topics and topic_id in _city_topics(taxonomy, c.topics[0])),
            None,
        )
        if career is not None and career.name not in found:
            found.append(career.name)
    return found[:limit]


def listing_counts(session: Session, today: date) -> dict[int, int]:
    """City topic id → how many current (active, not ended) listings are filed under it."""
    query = (
        select(opportunity_topic.c.topic_id, func.count())
        .join(Opportunity, Opportunity.id == opportunity_topic.c.opportunity_id)
        .where(Opportunity.status == "active")
        .where((Opportunity.end_date.is_(None)) | (Opportunity.end_date >= today))
        .group_by(opportunity_topic.c.topic_id)
    )
    return {row[0]: row[1] for row in session.execute(query)}


# -- finding and choosing the listings ------------------------------------------------------


def _candidates(
    session: Session, goal: Goal, age: int | None, today: date, freshness_days: int
) -> list[Opportunity]:
    """Listings filed under each of the goal's topics in turn (its main subject first), best
    first within each, without those the learner is too old for.

    A career's path needs listings under one of its MAIN_SUBJECTS first subjects: a pilot's
    path is not made of the physics clubs its later subjects would find.
    """
    taxonomy = load_taxonomy(session)
    searched: set[frozenset[int]] = set()
    ids: list[int] = []
    anchors = MAIN_SUBJECTS if goal.career is not None else len(goal.topics)
    for number, word in enumerate(goal.topics):
        if number >= anchors and not ids:
            break
        covered = frozenset(_city_topics(taxonomy, word))
        if not covered or covered in searched:
            continue  # no listing is filed under it, or an earlier word searched the same topics
        searched.add(covered)
        try:
            query = SearchQuery(topics=(word,))
            result = search(
                session, query, today=today, limit=CANDIDATES, freshness_days=freshness_days
            )
        except QueryError:
            continue
        # Filed under the topic, not only mentioning it: a path needs listings about the subject.
        ids.extend(hit.id for hit in result.results if hit.topics)
    listings = _load(session, list(dict.fromkeys(ids)))
    return [item for item in listings if age is None or item.max_age is None or item.max_age >= age]


@lru_cache(maxsize=8192)  # per taxonomy (a new one comes with every change of the topics)
def _city_topics(taxonomy: Taxonomy, word: str) -> tuple[int, ...]:
    """The city's topics a subject word names exactly (a city topic, or a starter topic's)."""
    resolved = taxonomy.resolve(word)
    if resolved is None or resolved[2]:
        return ()  # unknown, or only a guess at a spelling: not a subject to build a path on
    kind, target, _corrected = resolved
    return (target,) if kind == "topic" else taxonomy.sense_topics(target)


def _load(session: Session, ids: Sequence[int]) -> list[Opportunity]:
    """Listings by id in the given order, with what the steps show and order by."""
    if not ids:
        return []
    query = (
        select(Opportunity)
        .where(Opportunity.id.in_(ids))
        .options(
            joinedload(Opportunity.provider),
            selectinload(Opportunity.awards).selectinload(Credential.requires),
            selectinload(Opportunity.awards).selectinload(Credential.prepares_for),
        )
    )
    found = {item.id: item for item in session.scalars(query)}
    return [found[i] for i in ids if i in found]


def _from_age(opportunity: Opportunity) -> int | None:
    """The youngest age the listing and what it awards are open to."""
    ages = [opportunity.min_age, *(credential.min_age for credential in opportunity.awards)]
    known = [value for value in ages if value is not None]
    return max(known) if known else None


def _open_to(opportunity: Opportunity, age: int | None) -> bool:
    """The learner can start it at their age (anyone can, when the age is unknown)."""
    from_age = _from_age(opportunity)
    return age is None or from_age is None or from_age <= age


def _main_credential(opportunity: Opportunity) -> Credential | None:
    """What the listing leads to: of its credentials, one the others do not lead up to (a
    pre-apprenticeship certificate, not the safety card it requires), the heaviest by LEVELS."""
    awards = list(opportunity.awards)
    required = {r.id for credential in awards for r in credential.requires}
    tops = [credential for credential in awards if credential.id not in required] or awards
    tops.sort(key=lambda c: (-LEVELS.get(c.credential_type, 0), c.name.lower()))
    return tops[0] if tops else None


def _choose(
    candidates: list[Opportunity], wanted_types: Sequence[str], age: int | None
) -> list[Opportunity]:
    """One listing per credential (the first the learner can start now, else the first), those
    awarding the career's credential types first, then up to MAX_TASTERS that award nothing."""
    best: dict[int, Opportunity] = {}
    for item in candidates:
        for credential in item.awards:
            current = best.get(credential.id)
            if current is None or (not _open_to(current, age) and _open_to(item, age)):
                best[credential.id] = item
    awarding_steps = list(dict.fromkeys(best.values()))
    rank = {item.id: number for number, item in enumerate(candidates)}

    def wanted(item: Opportunity) -> bool:
        return not wanted_types or any(c.credential_type in wanted_types for c in item.awards)

    awarding_steps.sort(key=lambda item: (not wanted(item), rank[item.id]))
    tasters = [item for item in candidates if not item.awards]
    room = MAX_STEPS - min(MAX_TASTERS, len(tasters))
    chosen = awarding_steps[:room]
    return chosen + tasters[: MAX_STEPS - len(chosen)]


def _with_prerequisites(
    session: Session, chosen: list[Opportunity], age: int | None, today: date
) -> list[Opportunity]:
    """Add a current listing for a credential a step requires that no step awards yet."""
    awarded = {credential.id for item in chosen for credential in item.awards}
    added: list[Opportunity] = []
    for item in list(chosen):
        for credential in item.awards:
            for required in credential.requires:
                if required.id in awarded or len(added) >= MAX_PREREQUISITES:
                    continue
                listing = awarding(session, required, today)
                if listing is None or (age is not None and (listing.max_age or 200) < age):
                    continue
                awarded.update(c.id for c in listing.awards)
                added.append(listing)
    return chosen + [item for item in _load(session, [a.id for a in added]) if item not in chosen]


# -- ordering and marking -------------------------------------------------------------------


def _needs(first: Opportunity, then: Opportunity) -> bool:
    """`then` awards a credential that requires one `first` awards: `first` must come first."""
    given = {credential.id for credential in first.awards}
    return any(r.id in given for credential in then.awards for r in credential.requires)


def _before(first: Opportunity, then: Opportunity) -> bool:
    """`then` follows from `first`: it needs it, or `first` prepares for what `then` awards."""
    prepared = {p.id for credential in first.awards for p in credential.prepares_for}
    return _needs(first, then) or bool(prepared & {c.id for c in then.awards})


def _order(items: list[Opportunity]) -> list[Opportunity]:
    """By credential level, minimum age and start date; a step never comes before one it
    follows from (the first of a loop, should credentials form one, goes first)."""

    def key(item: Opportunity) -> tuple[int, int, date, str]:
        main = _main_credential(item)
        return (
            LEVELS.get(main.credential_type if main else None, 0),
            _from_age(item) or 0,
            item.start_date or date.max,
            item.title.lower(),
        )

    waiting = sorted(items, key=key)
    ordered: list[Opportunity] = []
    while waiting:
        ready = next(
            (
                item
                for item in waiting
                if not any(_before(other, item) for other in waiting if other is not item)
            ),
            waiting[0],
        )
        ordered.append(ready)
        waiting.remove(ready)
    return ordered


def _mark(items: list[Opportunity], age: int | None, held: set[str]) -> list[StepView]:
    """done (what it awards is held), too_young, later (it needs a step not done yet), or next:
    the learner can start it now. A step only prepared for by an earlier one is still open."""
    views: list[StepView] = []
    done: list[bool] = []
    for position, item in enumerate(items, 1):
        after = tuple(
            number
            for number, earlier in enumerate(items[: position - 1], 1)
            if _needs(earlier, item)
        )
        from_age = _from_age(item)
        state: StepState
        if any((c.key or "").lower() in held or c.name.lower() in held for c in item.awards):
            state = "done"
        elif age is not None and from_age is not None and age < from_age:
            state = "too_young"
        elif any(not done[number - 1] for number in after):
            state = "later"
        else:
            state = "next"
        done.append(state == "done")
        views.append(
            StepView(
                position=position,
                title=item.title,
                note=None,
                state=state,
                opportunity=item,
                credential=_main_credential(item),
                from_age=from_age,
                replaced=False,
                after=after,
            )
        )
    return views


# -- what the city has ----------------------------------------------------------------------


def _main_topics(taxonomy: Taxonomy, career: Career) -> set[int]:
    """The city topics under a career's main subjects: where its path's listings must be."""
    return {i for word in career.topics[:MAIN_SUBJECTS] for i in _city_topics(taxonomy, word)}


def _topics_by_concept(taxonomy: Taxonomy) -> dict[str, set[int]]:
    """Starter topic key → the city topics that joined it."""
    found: dict[str, set[int]] = {}
    for topic_id, keys in taxonomy.attached.items():
        for key in keys:
            found.setdefault(key, set()).add(topic_id)
    return found


def _covered_topics(keys: Iterable[str], by_concept: dict[str, set[int]]) -> list[int]:
    """City topics joined to these starter topics or to narrower ones."""
    starter = starter_index().starter
    found: list[int] = []
    for key in keys:
        for below in starter.descendants(key):
            found.extend(sorted(by_concept.get(below, ())))
    return list(dict.fromkeys(found))


def _listed(topic_ids: Iterable[int], counts: dict[int, int]) -> int:
    """Current listings under these topics (a listing under two counts twice: a ranking only)."""
    return sum(counts.get(topic_id, 0) for topic_id in topic_ids)


def _tiers_of(keys: Sequence[str]) -> list[list[str]]:
    """The starter topics themselves, then their related topics, then the topics one level
    broader (whose narrower topics are the goal's neighbours): ever wider circles of what is
    close to a goal, stopping well short of "science" or "technology"."""
    starter = starter_index().starter
    known = [key for key in keys if key in starter.concepts]
    related = [other for key in known for other in starter.concepts[key].related]
    broader = [above for key in known for above in starter.concepts[key].broader]
    seen: set[str] = set()
    tiers: list[list[str]] = []
    for tier in (known, related, broader):
        fresh = [key for key in dict.fromkeys(tier) if key not in seen and key in starter.concepts]
        seen.update(fresh)
        tiers.append(fresh)
    return tiers


def career_named(text: str) -> Career | None:
    """The starter career a title names in any language ("plomero"), typos allowed."""
    return career_index().named(text)
