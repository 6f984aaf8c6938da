"""Credentials a learner or their family already holds ("I already have my CPR card", "my son
has his first aid certificate"): recognised by name among the city's own credentials, kept on
the learner's profile for whoever holds it, and counted as done on that person's pathways, so
the steps they are shown start after what they have."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from knowledge.learners import SELF, dependant_of, family_member
from knowledge.locales import supported_codes
from knowledge.models import Credential, Opportunity, Pathway, PathwayStep
from knowledge.models.learner import Dependant, Learner, LearnerCredential
from knowledge.taxonomy import MAX_TERM_WORDS, _subject_words, is_near_miss, starter_index
from knowledge.text import is_stop_word, lemma, words

# Words for a kind of credential, or for saying one is held, in the supported languages: they
# tell no credential from another ("my CPR card", "certified in first aid", "mi tarjeta de RCP").
GENERIC = frozenset(
    """
    badge badges micro credential credentials microcredential certificate certificates cert certs
    certification certifications certified card cards license licence licenses licences permit
    permits diploma diplomas credit credits hour hours course courses training level program
    already have has got get earned passed finished completed hold holding done next now just
    insignia insignias microcredencial certificado certificados certificacion certificada
    certificado tarjeta tarjetas licencia licencias permiso permisos credito creditos curso
    cursos horas nivel programa tengo tiene saque obtuve termine aprobe sigue ahora
    """.split()  # noqa: SIM905
)
# Words that say who holds it when the words name no one ("my son"): the one chatting ("I have",
# "ya tengo mi …") or someone else, in the conversation the child it is about ("she has her …",
# "ya tiene su …"). Words that are both ("él" and "el" fold alike) are in neither.
SPEAKER_WORDS = frozenset(
    """
    i me my mine myself im ive yo mi mis tengo estoy soy saque obtuve termine aprobe gane cuento
    acabo
    """.split()  # noqa: SIM905
)
OTHER_WORDS = frozenset(
    """
    he she they him his her hers them their theirs hes shes ella ellas ellos su sus le les tiene
    tienen obtuvo
    """.split()  # noqa: SIM905
)
MIN_EVIDENCE = 0.5  # a word only this credential's name has, or two words shared by four
MAX_CHOICES = 5  # more credentials than this fitting the words: the learner should say more
MAX_GOALS = 4


@dataclass(frozen=True)
class _Fit:
    """How a message's words fit one credential's name."""

    credential_id: int
    covered: frozenset[str]  # the name's words the message says
    weight: float  # those words, each counting less the more names share it
    share: float  # of the name's whole weight


def credentials_named(session: Session, text: str) -> list[Credential]:
    """The credential a message names, or the few it cannot tell apart (best first); none when
    it names none.

    By the words of the credentials' names, a word shared by fewer names counting more, so
    "CPR card" finds "CPR/AED & First Aid Certification"; else, for other languages and other
    words ("tarjeta de RCP", "servsafe"), by the starter topics a name and the message are about.
    """
    said = _said_words(text)
    if not said:
        return []
    names = list(session.execute(select(Credential.id, Credential.name)).tuples())
    found = _by_words(said, names) or _by_topics(words(text), names)
    credentials = [session.get(Credential, credential_id) for credential_id in found]
    return [credential for credential in credentials if credential is not None]


def spoken_of(text: str) -> Literal["speaker", "other"] | None:
    """Whom the words say holds it when they name no one: someone else ("she has her …") before
    the speaker ("I have my …"); None when they say neither ("CPR card, what's next?")."""
    typed = set(words(text))
    if typed & OTHER_WORDS:
        return "other"
    return "speaker" if typed & SPEAKER_WORDS else None


def note_held(
    session: Session, learner: Learner, credential: Credential, relation: str = SELF
) -> bool:
    """Keep a credential on the learner's profile, as theirs or (`relation`) as their daughter's,
    son's, …, whom it adds to their family when new; False when it was already there."""
    dependant = None
    if relation != SELF:
        dependant = family_member(learner, relation)
        if dependant.id is None:  # new: its id, for the look-up below
            session.flush()
    existing = session.scalar(
        select(LearnerCredential)
        .where(LearnerCredential.learner_id == learner.id)
        .where(LearnerCredential.credential_id == credential.id)
        .where(_held_by(dependant))
    )
    if existing is not None:
        return False
    session.add(LearnerCredential(learner=learner, dependant=dependant, credential=credential))
    session.flush()
    return True


def held(session: Session, learner: Learner | None, relation: str = SELF) -> list[Credential]:
    """The credentials the learner told us they (or, by `relation`, their daughter, son, …)
    hold, in the order they told us."""
    if learner is None or learner.id is None:
        return []
    dependant = None
    if relation != SELF:
        dependant = dependant_of(learner, relation)
        if dependant is None:
            return []
    query = (
        select(Credential)
        .join(LearnerCredential, LearnerCredential.credential_id == Credential.id)
        .where(LearnerCredential.learner_id == learner.id)
        .where(_held_by(dependant))
        .order_by(LearnerCredential.id)
    )
    return list(session.scalars(query))


def held_by_each(session: Session, learner: Learner | None) -> list[tuple[str, list[Credential]]]:
    """Who holds what, by relation: the learner's own first, then each of their family in the
    order we met them; no one who holds nothing."""
    if learner is None or learner.id is None:
        return []
    everyone = [SELF, *(dependant.relation for dependant in learner.dependants)]
    found = [(relation, held(session, learner, relation)) for relation in everyone]
    return [(relation, credentials) for relation, credentials in found if credentials]


def held_names(credentials: Iterable[Credential]) -> set[str]:
    """The keys and names (lower case) pathways count as done: the credentials held and what
    each required first, since holding one means having met its prerequisites."""
    found: set[str] = set()
    seen: set[int] = set()
    waiting = list(credentials)
    while waiting:
        credential = waiting.pop()
        if credential.id in seen:
            continue
        seen.add(credential.id)
        found.update(value.strip().lower() for value in (credential.key, credential.name) if value)
        waiting.extend(credential.requires)
    return found


def pathways_from(session: Session, credential: Credential) -> list[Pathway]:
    """The city's pathways that continue from a credential: it is one of their steps (or what a
    step's program awards), or what a step requires first."""
    steps = session.scalars(
        select(PathwayStep)
        .options(
            selectinload(PathwayStep.pathway).selectinload(Pathway.careers),
            selectinload(PathwayStep.credential).selectinload(Credential.requires),
            selectinload(PathwayStep.opportunity).selectinload(Opportunity.awards),
            selectinload(PathwayStep.opportunity).selectinload(Opportunity.requires),
        )
        .order_by(PathwayStep.pathway_id, PathwayStep.position)
    )
    found: dict[int, Pathway] = {}
    for step in steps:
        if _continues_from(step, credential):
            found.setdefault(step.pathway_id, step.pathway)
    return list(found.values())


def goals_after(session: Session, credential: Credential) -> list[str]:
    """Careers a credential helps towards, to plan a path to: those of the pathways that
    continue from it, then its own, then those of what it prepares for."""
    careers = [
        career.name for pathway in pathways_from(session, credential) for career in pathway.careers
    ]
    careers.extend(career.name for career in credential.careers)
    careers.extend(c.name for after in credential.prepares_for for c in after.careers)
    return list(dict.fromkeys(careers))[:MAX_GOALS]


def best_known(session: Session) -> Credential | None:
    """The credential the most current listings award: an example of a name a learner can say."""
    query = (
        select(Credential, func.count(Opportunity.id))
        .outerjoin(Credential.awarded_by.and_(Opportunity.status == "active"))
        .group_by(Credential.id)
        .order_by(func.count(Opportunity.id).desc(), Credential.name)
        .limit(1)
    )
    return session.scalars(query).first()


def _held_by(dependant: Dependant | None) -> ColumnElement[bool]:
    """The rows of this dependant, or the learner's own (no dependant)."""
    if dependant is None:
        return LearnerCredential.dependant_id.is_(None)
    return LearnerCredential.dependant_id == dependant.id


def _continues_from(step: PathwayStep, credential: Credential) -> bool:
    """The step earns the credential or needs it first."""
    earned = [step.credential] if step.credential is not None else []
    needed = list(step.credential.requires) if step.credential is not None else []
    if step.opportunity is not None:
        earned.extend(step.opportunity.awards)
        needed.extend(step.opportunity.requires)
        needed.extend(c for awarded in step.opportunity.awards for c in awarded.requires)
    return any(c.id == credential.id for c in (*earned, *needed))


def _said_words(text: str) -> list[str]:
    """The message's words that may tell a credential: no little words in any language, no
    words for a kind of credential or for holding one."""
    codes = supported_codes()
    return [
        word
        for word in words(text)
        if len(word) > 1
        and word not in GENERIC
        and lemma(word) not in GENERIC
        and not any(is_stop_word(word, code) for code in codes)
    ]


@lru_cache(maxsize=8192)
def _name_words(name: str) -> frozenset[str]:
    """The words of a credential's name that tell it apart ("cpr", "aed", "first", "aid")."""
    return frozenset(_said_words(name))


def _says(said: Sequence[str], word: str) -> bool:
    """The message says a name's word: as written, as its dictionary form, or misspelled a bit."""
    return any(
        own == word or lemma(own) == lemma(word) or is_near_miss(own, {word}) for own in said
    )


def _by_words(said: Sequence[str], names: Sequence[tuple[int, str]]) -> list[int]:
    """Credentials by the distinctive words of their names the message says."""
    named = {credential_id: _name_words(name) for credential_id, name in names}
    sharing: dict[str, int] = {}
    for own in named.values():
        for word in own:
            sharing[word] = sharing.get(word, 0) + 1
    fits: list[_Fit] = []
    for credential_id, own in named.items():
        covered = frozenset(word for word in own if _says(said, word))
        weight = sum(1 / sharing[word] for word in covered)
        if covered and weight >= MIN_EVIDENCE:
            whole = sum(1 / sharing[word] for word in own)
            fits.append(_Fit(credential_id, covered, weight, weight / whole))
    return _best(fits)


def _by_topics(typed: Sequence[str], names: Sequence[tuple[int, str]]) -> list[int]:
    """Credentials whose names are about the starter topics the message names, in any language
    ("RCP" and "primeros auxilios" are first aid, as "CPR/AED & First Aid Certification" is)."""
    topics = _topics_in(typed)
    if not topics:
        return []
    fits: list[_Fit] = []
    for credential_id, name in names:
        shared = frozenset(topics & _topics_of(name))
        if shared:
            whole = len(_topics_of(name))
            fits.append(_Fit(credential_id, shared, float(len(shared)), len(shared) / whole))
    return _best(fits)


def _best(fits: list[_Fit]) -> list[int]:
    """The best fit, with those the same words fit as well (the message cannot tell them
    apart); none when more than MAX_CHOICES do."""
    if not fits:
        return []
    top = max(fits, key=lambda fit: (fit.weight, fit.share))
    tied = sorted(
        (fit for fit in fits if fit.covered == top.covered and fit.weight == top.weight),
        key=lambda fit: (-fit.share, fit.credential_id),
    )
    return [fit.credential_id for fit in tied] if len(tied) <= MAX_CHOICES else []


@lru_cache(maxsize=8192)
def _topics_of(name: str) -> frozenset[str]:
    """The starter topics a credential's name is about."""
    return frozenset(_topics_in(words(name)))


def _topics_in(typed: Sequence[str]) -> set[str]:
    """The starter topics the words name, longest phrase first ("manipulador de alimentos"
    before "alimentos"); never by a word for a credential alone ("tarjeta"), nor by a career's
    title, whose topics are far wider than a credential ("steward": hospitality, first aid)."""
    index = starter_index()
    found: set[str] = set()
    taken: set[int] = set()
    for size in range(min(MAX_TERM_WORDS, len(typed)), 0, -1):
        for start in range(len(typed) - size + 1):
            span = tuple(typed[start : start + size])
            if taken.intersection(range(start, start + size)) or not _subject_words(span):
                continue
            if all(word in GENERIC for word in span if _subject_words((word,))):
                continue
            target = index.words.exact.get(span)
            if target is None:
                target = index.words.exact.get(tuple(lemma(word) for word in span))
            if target is not None and index.senses[target].career is None:
                found.update(index.senses[target].concepts)
                taken.update(range(start, start + size))
    return found
