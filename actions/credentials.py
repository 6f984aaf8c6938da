"""What a program awards, what a kind of credential is, who recognises it, what comes next."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.base import DirectoryAction, Events
from actions.city import current_city
from actions.listing_facts import credential_type
from actions.listing_lines import MISSING, title_of
from actions.reread import SEARCH, as_if, taught_subject, where_to_get
from actions.resolve import latest_entity, named_credential, resolve_or_ask
from actions.voice import voice
from knowledge.models import CREDENTIAL_TYPES, Credential, Opportunity, Topic
from knowledge.search.formats import SOURCE_VOICE, Voice

MAX_EXPLAINED = 3


def topic_awarding(session: Session, credential: Credential) -> str | None:
    """The topic most of the listings awarding it share: "where can I get one?" searches it."""
    query = (
        select(Topic.name, func.count())
        .join(Opportunity.topics)
        .where(Opportunity.awards.any(Credential.id == credential.id))
        .where(Opportunity.status == "active")
        .group_by(Topic.name)
        .order_by(func.count().desc(), Topic.name)
        .limit(1)
    )
    found = session.execute(query).first()
    return str(found[0]) if found is not None else None


def explain(
    dispatcher: CollectingDispatcher, credential: Credential, speaking: Voice = SOURCE_VOICE
) -> None:
    """utter_credential with every fact the directory holds about it, its kind in the learner's
    language."""
    leads_to = [c.name for c in credential.prepares_for] + [c.name for c in credential.careers]
    dispatcher.utter_message(
        response="utter_credential",
        name=credential.name,
        type_label=credential_type(credential.credential_type, speaking),
        issuer=credential.issuer.name if credential.issuer else MISSING,
        description=credential.description or "",
        recognised_by=credential.recognised_by or MISSING,
        leads_to=", ".join(leads_to) or MISSING,
    )


class ActionExplainCredential(DirectoryAction):
    """A credential type in plain words, a named credential, or what the chosen program awards."""

    def name(self) -> str:
        return "action_explain_credential"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: Session,
    ) -> Events:
        kind = latest_entity(tracker, "credential_type")
        text = str(tracker.latest_message.get("text") or "")
        if where_to_get(text) and taught_subject(session, text):
            return as_if(tracker, SEARCH)  # "where can I get a forklift licence?": the programs
        speaking = voice(tracker, current_city(session))
        credential = None if text.startswith("/") else named_credential(session, text)
        if credential is not None:
            explain(dispatcher, credential, speaking)
            topic = topic_awarding(session, credential)
            return [SlotSet("topic", [topic])] if topic is not None else []
        has_ordinal = latest_entity(tracker, "ordinal") is not None
        if kind in CREDENTIAL_TYPES and not has_ordinal:
            dispatcher.utter_message(response=f"utter_credential_type_{kind}")
            return []
        opportunity = resolve_or_ask(dispatcher, session, tracker)
        if opportunity is None:
            return []
        title = title_of(opportunity, speaking)
        if not opportunity.awards:
            dispatcher.utter_message(response="utter_awards_nothing", title=title)
        else:
            names = ", ".join(c.name for c in opportunity.awards)
            dispatcher.utter_message(response="utter_awards", title=title, credentials=names)
            for awarded in opportunity.awards[:MAX_EXPLAINED]:
                explain(dispatcher, awarded, speaking)
        return [SlotSet("selected", str(opportunity.id))]
