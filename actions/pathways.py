"""A goal ("I want to become a nurse") as concrete local steps from where the learner is: the
city's curated pathway when one fits, else one built from its listings, else the programs that
match, else close careers and topics it does have programs for — never a dead end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.city import current_city
from actions.listing_lines import TITLE_IN_BUTTON, short, title_of
from actions.query import as_int
from actions.search import KEEP, PAGE, load_listings, show_page
from actions.settings import action_settings
from actions.voice import voice
from knowledge.credentials_held import held as held_credentials
from knowledge.credentials_held import held_names
from knowledge.goals import Goal, resolve_goal
from knowledge.learners import SELF, find_learner, stored_age
from knowledge.models import Learner, Pathway
from knowledge.pathway_builder import (
    build_pathway,
    close_options,
    curated_pathway,
    goals_to_offer,
    matching_programs,
)
from knowledge.pathways import StepView, plan_steps
from knowledge.reports.recording import record_goal
from knowledge.search.formats import SOURCE_VOICE, Voice
from knowledge.taxonomy import load_taxonomy

MARKS = {"done": "✓", "next": "➡️", "later": "•", "too_young": "🔒"}
GOAL_ENTITY = "career_goal"
MAX_BUTTON_PAYLOAD = 64  # bytes Telegram allows in a button's callback data


def step_line(number: int, step: StepView, voice: Voice = SOURCE_VOICE) -> str:
    """'2. ➡️ Get CPR certified — Youth CPR Course (Red Cross)' from directory data (a listing's
    title in the learner's language when it has one)."""
    parts = [f"{number}. {MARKS[step.state]} {step.title}"]
    if step.opportunity is not None:
        listing = title_of(step.opportunity, voice)
        parts.append(f" — {listing} ({step.opportunity.provider.name})")
    elif step.credential is not None:
        parts.append(f" — {step.credential.name}")
    if step.state == "too_young" and step.from_age is not None:
        parts.append(f" [{step.from_age}+]")
    return "".join(parts)


def built_line(number: int, step: StepView, voice: Voice = SOURCE_VOICE) -> str:
    """'3. 🔒 Intro to Plumbing — Trades Center · 🎓 Plumbing Certificate [18+] (← 1)': the
    listing, its provider, what it awards, when it opens and which steps come first."""
    parts = [f"{number}. {MARKS[step.state]} {built_title(step, voice)}"]
    if step.opportunity is not None:
        parts.append(f" — {step.opportunity.provider.name}")
    if step.credential is not None:
        parts.append(f" · 🎓 {step.credential.name}")
    if step.state == "too_young" and step.from_age is not None:
        parts.append(f" [{step.from_age}+]")
    if step.after:
        parts.append(f" (← {', '.join(map(str, step.after))})")
    return "".join(parts)


def built_title(step: StepView, voice: Voice = SOURCE_VOICE) -> str:
    """A built step is a listing: its title in the learner's language when it has one."""
    return title_of(step.opportunity, voice) if step.opportunity is not None else step.title


def step_buttons(steps: list[StepView], voice: Voice = SOURCE_VOICE) -> list[dict[str, str]]:
    """A details button per step that has a listing; the payload is the step's number."""
    return [
        {
            "title": f"{number}. {short(title_of(step.opportunity, voice), TITLE_IN_BUTTON)}",
            "payload": f'/opportunity_details{{"ordinal":"{number}"}}',
        }
        for number, step in enumerate(steps, 1)
        if step.opportunity is not None
    ]


def goal_buttons(careers: Sequence[str], topics: Sequence[str] = ()) -> list[dict[str, str]]:
    """Careers to plan a path to and topics to search, as buttons that fit Telegram."""
    buttons = [
        {"title": name, "payload": f'/explore_pathway{{"{GOAL_ENTITY}":"{name}"}}'}
        for name in careers
    ] + [{"title": name, "payload": f'/find_opportunity{{"topic":"{name}"}}'} for name in topics]
    return [b for b in buttons if len(b["payload"].encode()) <= MAX_BUTTON_PAYLOAD]


def goal_words(tracker: Tracker) -> str:
    """The career goal as the learner typed it. The entity's value may have been rewritten by a
    topic synonym ("nurse" → a city's "health careers"), so the words of its span are read."""
    text = str(tracker.latest_message.get("text") or "")
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") != GOAL_ENTITY:
            continue
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int) and not text.startswith("/"):
            return text[start:end].strip()
        return str(entity.get("value") or "").strip()
    return ""


class ActionExplorePathway(DirectoryAction):
    """The curated pathway that fits the goal, else one built from the directory, marked for
    the learner's age and credentials; else the programs that match; else close options."""

    def name(self) -> str:
        return "action_explore_pathway"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        text = str(tracker.latest_message.get("text") or "")
        text = "" if text.startswith("/") else text
        said = goal_words(tracker)
        taxonomy = load_taxonomy(session)
        goal = resolve_goal(taxonomy, said) if said else None
        if goal is None and text:
            goal = resolve_goal(taxonomy, text)
        if not said and goal is None and text:  # "how do I get there?": the goal talked about
            # (a bare "Plan a career path" button asks afresh instead)
            said = str(tracker.get_slot(GOAL_ENTITY) or "")
            goal = resolve_goal(taxonomy, said) if said else None
        learner = find_learner(session, tracker.sender_id)
        city = current_city(session)
        speaking = voice(tracker, city)
        age, held = learner_age(tracker, learner), learner_held(session, tracker, learner)
        today = city.today()
        steps = path_reply(
            dispatcher, session, f"{said} {text}".strip(), goal, age, held, today, speaking
        )
        if steps is None:
            words = said or (goal.words if goal is not None else "")
            if not words:
                dispatcher.utter_message(
                    response="utter_ask_career_goal",
                    buttons=goal_buttons(goals_to_offer(session, today=today)),
                )
                return []
            label = goal.label if goal is not None else words
            steps = self._programs_or_options(
                dispatcher, session, goal, label, words, today, speaking
            )
        # anonymous, for the demand report (issue #17): the career or topic, never the words
        record_goal(session, tracker, goal, age, offered(steps), lambda: taxonomy, day=today)
        return steps

    @staticmethod
    def _curated_reply(
        dispatcher: CollectingDispatcher,
        pathway: Pathway,
        steps: list[StepView],
        speaking: Voice = SOURCE_VOICE,
    ) -> Events:
        """utter_pathway with the city's own steps."""
        upcoming = next((s for s in steps if s.state == "next"), None)
        next_step = MARKS["done"] if upcoming is None else upcoming.title
        if upcoming is not None and upcoming.opportunity is not None:
            next_step = f"{upcoming.title} — {title_of(upcoming.opportunity, speaking)}"
        dispatcher.utter_message(
            response="utter_pathway",
            buttons=step_buttons(steps, speaking),
            name=pathway.name,
            steps="\n".join(step_line(i, step, speaking) for i, step in enumerate(steps, 1)),
            next_step=next_step,
        )
        return _listed(steps)

    @staticmethod
    def _built_reply(
        dispatcher: CollectingDispatcher,
        goal: Goal,
        steps: list[StepView],
        speaking: Voice = SOURCE_VOICE,
    ) -> Events:
        """utter_pathway_built, or utter_pathway_built_not_yet when no step is open at their age."""
        lines = "\n".join(built_line(i, step, speaking) for i, step in enumerate(steps, 1))
        upcoming = next((s for s in steps if s.state == "next"), None)
        waiting = [s.from_age for s in steps if s.state == "too_young" and s.from_age is not None]
        if upcoming is None and waiting:
            dispatcher.utter_message(
                response="utter_pathway_built_not_yet",
                buttons=step_buttons(steps, speaking),
                name=goal.label,
                steps=lines,
                from_age=str(min(waiting)),
            )
            return _listed(steps)
        first = upcoming or next((s for s in steps if s.state != "done"), steps[-1])
        next_step = built_title(first, speaking)
        if first.opportunity is not None:
            next_step = f"{next_step} ({first.opportunity.provider.name})"
        dispatcher.utter_message(
            response="utter_pathway_built",
            buttons=step_buttons(steps, speaking),
            name=goal.label,
            steps=lines,
            next_step=next_step,
        )
        return _listed(steps)

    @staticmethod
    def _programs_or_options(
        dispatcher: CollectingDispatcher,
        session: Session,
        goal: Goal | None,
        label: str,
        words: str,
        today: date,
        speaking: Voice = SOURCE_VOICE,
    ) -> Events:
        """The programs the goal's words find, as a result list; else close careers and topics."""
        days = action_settings().directory.freshness_days
        hits = matching_programs(session, goal, words, today=today, limit=KEEP, freshness_days=days)
        ids = [str(hit.id) for hit in hits]
        page = load_listings(session, ids[:PAGE], speaking)
        if page:
            dispatcher.utter_message(response="utter_pathway_programs", goal=label)
            show_page(dispatcher, page, start=1, total=len(ids), summary=label, voice=speaking)
            return [
                SlotSet("results", ids),
                SlotSet("results_shown", float(len(page))),
                SlotSet("selected", ids[0] if len(ids) == 1 else None),
            ]
        options = close_options(session, goal, words, today=today)
        buttons = goal_buttons(options.careers, options.topics)
        response = "utter_no_pathway_close" if buttons else "utter_no_pathway"
        dispatcher.utter_message(response=response, buttons=buttons, goal=label)
        return []


def learner_age(tracker: Tracker, learner: Learner | None) -> int | None:
    """The age the path is for: said in this conversation, else the one on the learner's
    profile for whoever the path is for (themselves, or their daughter, son, …)."""
    age = as_int(tracker.get_slot("age"))
    if age is not None or learner is None:
        return age
    return stored_age(learner, tracker.get_slot("relation") or SELF)


def learner_held(session: Session, tracker: Tracker, learner: Learner | None) -> set[str]:
    """What the path counts as done: the credentials (and what they required) on the profile
    of whoever the path is for, the learner or the child of theirs the conversation is about."""
    relation = tracker.get_slot("relation")
    return held_names(held_credentials(session, learner, str(relation or SELF)))


def path_reply(
    dispatcher: CollectingDispatcher,
    session: Session,
    words: str,
    goal: Goal | None,
    age: int | None,
    held: set[str],
    today: date,
    speaking: Voice = SOURCE_VOICE,
) -> Events | None:
    """The city's curated pathway for the goal's words, else one built from its listings,
    marked for the learner's age and what they hold; None when there is neither."""
    pathway = curated_pathway(session, words, goal)
    if pathway is not None:
        steps = plan_steps(session, pathway, age=age, held=held, today=today)
        return ActionExplorePathway._curated_reply(dispatcher, pathway, steps, speaking)
    if goal is not None:
        days = action_settings().directory.freshness_days
        built = build_pathway(session, goal, age=age, held=held, today=today, freshness_days=days)
        if built.steps:
            return ActionExplorePathway._built_reply(dispatcher, goal, built.steps, speaking)
    return None


def offered(events: Events) -> int:
    """How many listings the reply put in the numbered list (a pathway's steps that are
    listings, or the programs found; 0 for close options): what the goal found, for the report."""
    for event in events:
        if event.get("event") == "slot" and event.get("name") == "results":
            return sum(1 for listing in event.get("value") or () if listing)
    return 0


def _listed(steps: list[StepView]) -> Events:
    """The steps become the numbered list, so "tell me about the 2nd one" opens step 2."""
    ids = [str(s.opportunity.id) if s.opportunity is not None else "" for s in steps]
    return [
        SlotSet("results", ids),
        SlotSet("results_shown", float(len(ids))),
        SlotSet("selected", None),
    ]
