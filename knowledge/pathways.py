"""Pathways from where a learner is: which pathway fits a goal, and which of its steps come next."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from knowledge.goals import career_index
from knowledge.models import Credential, Opportunity, Pathway, PathwayStep

StepState = Literal["done", "next", "later", "too_young"]


@dataclass(frozen=True)
class StepView:
    """One pathway step as it stands for one learner."""

    position: int
    title: str
    note: str | None
    state: StepState
    opportunity: Opportunity | None
    credential: Credential | None
    from_age: int | None  # the age at which a too_young step opens
    replaced: bool  # the listed opportunity has ended; `opportunity` is a current alternative
    after: tuple[int, ...] = ()  # positions of earlier steps this one follows from (built paths)


def find_pathway(
    session: Session, goal: str, *, threshold: float = 85.0, exact: bool = False
) -> Pathway | None:
    """The pathway whose keywords, name or careers best match a goal ("I want to be a nurse");
    `exact`: only a keyword, name or career found as whole words, never a near spelling."""
    text = " ".join(re.findall(r"[a-z0-9]+", goal.lower()))
    best: tuple[float, Pathway] | None = None
    pathways = session.scalars(select(Pathway).options(selectinload(Pathway.careers)))
    for pathway in pathways:
        phrases = [pathway.name, *pathway.keywords, *(career.name for career in pathway.careers)]
        for phrase in phrases:
            wanted = " ".join(re.findall(r"[a-z0-9]+", phrase.lower()))
            if not wanted:
                continue
            if re.search(rf"\b{re.escape(wanted)}\b", text):
                score = 100.0 + len(
                    wanted
                )  # an exact phrase beats any fuzzy match; longer is surer
            elif exact:
                continue
            else:
                score = fuzz.partial_ratio(wanted, text) if len(wanted) >= 4 else 0.0
            if score >= threshold and (best is None or score > best[0]):
                best = (score, pathway)
    return best[1] if best else None


def plan_steps(
    session: Session,
    pathway: Pathway,
    *,
    age: int | None = None,
    held: set[str] | None = None,
    today: date | None = None,
) -> list[StepView]:
    """Each step marked done, next, later or too_young for this learner's age and credentials.

    `held` names credentials (by key or name, any case) the learner already has. Every step up to
    the last one the learner has completed counts as done, so an adult with a certificate does not
    get told to start with the children's club.
    """
    today = today or date.today()
    held_names = {name.strip().lower() for name in held or set()}
    steps = list(pathway.steps)
    completed = [_completed(step, held_names) for step in steps]
    last_done = max((i for i, done in enumerate(completed) if done), default=-1)
    views: list[StepView] = []
    seen_next = False
    for index, step in enumerate(steps):
        opportunity, replaced = _current_opportunity(session, step, today)
        from_age = _from_age(step, opportunity)
        state: StepState
        if index <= last_done:
            state = "done"
        elif age is not None and from_age is not None and age < from_age:
            state = "too_young"
        elif not seen_next:
            state, seen_next = "next", True
        else:
            state = "later"
        views.append(
            StepView(
                step.position,
                step.title,
                step.note,
                state,
                opportunity,
                step.credential,
                from_age,
                replaced,
            )
        )
    return views


def _completed(step: PathwayStep, held: set[str]) -> bool:
    """A credential step is done when held; an opportunity step when what it awards is held."""
    credentials = [step.credential] if step.credential else []
    if step.opportunity is not None:
        credentials.extend(step.opportunity.awards)
    return any(
        (credential.key or "").lower() in held or credential.name.lower() in held
        for credential in credentials
    )


def is_current(opportunity: Opportunity, today: date) -> bool:
    """Open to learners: active and not ended."""
    return opportunity.status == "active" and (
        opportunity.end_date is None or opportunity.end_date >= today
    )


def _current_opportunity(
    session: Session, step: PathwayStep, today: date
) -> tuple[Opportunity | None, bool]:
    """The step's opportunity, or a current one awarding the same credential if it has ended."""
    listed = step.opportunity
    if listed is None:
        if step.credential is None:
            return None, False
        return awarding(session, step.credential, today), False
    if is_current(listed, today):
        return listed, False
    for credential in listed.awards:
        alternative = awarding(session, credential, today)
        if alternative is not None:
            return alternative, True
    return None, True


def awarding(session: Session, credential: Credential, today: date) -> Opportunity | None:
    """A current opportunity that awards this credential, soonest-starting first."""
    query = (
        select(Opportunity)
        .where(Opportunity.awards.contains(credential))
        .where(Opportunity.status == "active")
        .where((Opportunity.end_date.is_(None)) | (Opportunity.end_date >= today))
        .order_by(Opportunity.start_date.is_(None), Opportunity.start_date, Opportunity.id)
    )
    return session.scalars(query).first()


def _from_age(step: PathwayStep, opportunity: Opportunity | None) -> int | None:
    """The youngest age the step is open to: the strictest of step, program and credential."""
    ages = [step.min_age]
    if opportunity is not None:
        ages.append(opportunity.min_age)
    if step.credential is not None:
        ages.append(step.credential.min_age)
    known = [a for a in ages if a is not None]
    return max(known) if known else None


def pathway_for_career(session: Session, key: str, name: str) -> Pathway | None:
    """A curated pathway towards this starter career: one of its careers has the starter
    career's key, or is called by one of its titles ("Plumber", "plomero", "pipefitter")."""
    index = career_index()
    pathways = session.scalars(
        select(Pathway).options(selectinload(Pathway.careers)).order_by(Pathway.id)
    )
    for pathway in pathways:
        for career in pathway.careers:
            named = index.named(career.name)
            if career.key == key or career.name.strip().lower() == name.lower():
                return pathway
            if named is not None and named.key == key:
                return pathway
    return None
