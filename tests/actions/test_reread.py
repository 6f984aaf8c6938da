"""A message the NLU took for off-topic, help or unsure is read again when the directory knows
its words: a listing's title, a credential's name, a subject some listing's title teaches."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.clarify import ActionClarify
from actions.credentials import ActionExplainCredential, topic_awarding
from actions.help import ActionHelp
from actions.out_of_scope import ActionOutOfScope
from actions.reread import as_if, read_again, taught_subject, where_to_get
from actions.resolve import named_in_directory
from knowledge.models import Credential, Opportunity, Provider, Topic
from tests.actions.conftest import Run, slot_events, tracker

OFF_TOPIC = ["what's the weather like tomorrow?", "who won the game last night"]


def _provider(db: Session) -> Provider:
    """The provider of the listings a test adds (one per test)."""
    found = db.scalars(select(Provider).where(Provider.name == "Reread Test Provider")).first()
    return found if found is not None else Provider(name="Reread Test Provider")


def _topic(db: Session, name: str) -> Topic:
    """A topic by name, made when the directory has none."""
    found = db.scalars(select(Topic).where(Topic.name == name)).first()
    return found if found is not None else Topic(name=name)


def _listing(
    db: Session,
    title: str,
    *,
    topics: tuple[str, ...] = (),
    awards: tuple[Credential, ...] = (),
    status: str = "active",
) -> Opportunity:
    """A listing written for the test, committed so the actions' own sessions see it."""
    listing = Opportunity(
        title=title,
        description="-",
        provider=_provider(db),
        topics=[_topic(db, name) for name in topics],
        awards=list(awards),
        status=status,
    )
    db.add(listing)
    db.commit()
    return listing


def _credential(db: Session, name: str) -> Credential:
    """A credential written for the test."""
    credential = Credential(name=name, credential_type="license")
    db.add(credential)
    db.commit()
    return credential


def _beekeeping(db: Session) -> Opportunity:
    """A listing whose title names a subject of the starter vocabulary (beekeeping)."""
    return _listing(db, "Beekeeping Basics", topics=("apiculture",))


def reread_as(events: list[dict[str, Any]], text: str) -> str | None:
    """The intent the action re-read `text` as (None when it answered itself); checks that the
    events are a listen then the same message again, surely of that intent."""
    if not events:
        return None
    listen, user = events
    assert listen["event"] == "action" and listen["name"] == "action_listen"
    assert user["event"] == "user" and user["text"] == text
    intent = user["parse_data"]["intent"]
    assert intent["confidence"] == 1.0
    assert user["parse_data"]["intent_ranking"] == [intent]
    return str(intent["name"])


def _responses(messages: list[dict[str, Any]]) -> list[str]:
    """The responses an action sent."""
    return [str(message.get("response")) for message in messages]


def _title_of_a_listing(db: Session) -> Opportunity:
    """An active listing of the demo city with a title of several words."""
    active = select(Opportunity).where(Opportunity.status == "active").order_by(Opportunity.id)
    for listing in db.scalars(active):
        if len(listing.title.split()) >= 3:
            return listing
    raise AssertionError("the demo city has no listing with a long title")


def _credential_naming_no_listing(db: Session) -> Credential:
    """A credential of the demo city whose name is not also a listing's title."""
    for credential in db.scalars(select(Credential).order_by(Credential.id)):
        if named_in_directory(db, credential.name) is None:
            return credential
    raise AssertionError("every credential of the demo city is also a listing's title")


# -- read_again ----------------------------------------------------------------------------


def test_a_listing_named_in_full_is_read_as_asking_about_it(directory: str, db: Session) -> None:
    """Any city's titles work without being in the training data."""
    listing = _title_of_a_listing(db)
    assert read_again(db, f"how much is {listing.title}?") == "opportunity_details"


def test_a_credential_named_is_read_as_asking_what_it_is(directory: str, db: Session) -> None:
    """ "What is an OSHA 10 card?" asks about the credential, not off-topic."""
    credential = _credential_naming_no_listing(db)
    assert read_again(db, f"what is the {credential.name}?") == "ask_credential"


def test_a_subject_of_a_listing_title_is_read_as_a_search(directory: str, db: Session) -> None:
    """A starter-vocabulary subject a listing's title has is a search; without one, it is not."""
    assert read_again(db, "i want to learn about beekeeping") is None  # no title says it
    _beekeeping(db)
    assert taught_subject(db, "i want to learn about beekeeping")
    assert read_again(db, "i want to learn about beekeeping") == "find_opportunity"


def test_an_inactive_listing_teaches_no_subject(directory: str, db: Session) -> None:
    """A closed listing's title must not turn an off-topic message into a search."""
    _listing(db, "Beekeeping Basics", topics=("apiculture",), status="inactive")
    assert not taught_subject(db, "beekeeping")


@pytest.mark.parametrize("text", OFF_TOPIC)
def test_off_topic_words_stay_off_topic(directory: str, db: Session, text: str) -> None:
    """Words no title, credential or listed subject has are not re-read."""
    assert read_again(db, text) is None


@pytest.mark.parametrize("text", ["/out_of_scope", "", "   "])
def test_a_button_payload_or_no_words_is_not_re_read(
    directory: str, db: Session, text: str
) -> None:
    """A payload is already an intent; an empty message names nothing."""
    _listing(db, "Out of Scope")  # a title the payload's words would name
    assert read_again(db, text) is None


def test_a_credential_not_held_yet_is_looked_for_before_it_is_explained(db: Session) -> None:
    """ "beekeeping safety permit" typed as if held: where to get it (a title teaches
    beekeeping) comes first; with no title teaching its subject, what it is."""
    _beekeeping(db)
    _credential(db, "Beekeeping Safety Permit")
    _credential(db, "Zymurgy Handling Permit")
    assert read_again(db, "beekeeping safety permit") == "ask_credential"
    assert read_again(db, "beekeeping safety permit", to_get=True) == "find_opportunity"
    assert read_again(db, "zymurgy handling permit", to_get=True) == "ask_credential"
    assert read_again(db, "what's the weather like tomorrow?", to_get=True) is None


def test_where_to_get_is_asking_for_a_place_not_a_definition() -> None:
    """ "Where can I get a forklift licence?" wants programs; "what is a licence?" does not."""
    assert where_to_get("where can I get a forklift licence?")
    assert where_to_get("how do I get my CPR card")
    assert where_to_get("any first aid classes near me?")
    assert not where_to_get("what is a forklift licence?")


def test_where_to_get_reads_every_chat_languages_words() -> None:
    """The words are data (locales/<code>/search_words.yml): Spanish asks the same way."""
    assert where_to_get("dónde puedo sacar la licencia de montacargas")
    assert where_to_get("¿Cómo consigo la tarjeta de RCP?")
    assert where_to_get("clases de primeros auxilios cerca de mí")
    assert not where_to_get("¿qué es una licencia de montacargas?")


def test_as_if_repeats_the_message_with_the_intent_given() -> None:
    """The policies answer the same words, now surely the intent the directory says."""
    t = tracker("how much is Power Hour Homework Help?", intent="out_of_scope")
    events = as_if(t, "opportunity_details")
    assert reread_as(events, "how much is Power Hour Homework Help?") == "opportunity_details"
    assert events[1]["parse_data"]["text"] == "how much is Power Hour Homework Help?"


# -- ActionOutOfScope ----------------------------------------------------------------------


def test_out_of_scope_re_reads_a_named_listing(directory: str, db: Session, run: Run) -> None:
    """The NLU's out_of_scope is overruled when the message names a listing."""
    listing = _title_of_a_listing(db)
    text = f"tell me more about {listing.title}"
    messages, events = run(ActionOutOfScope(), tracker(text, intent="out_of_scope"))
    assert messages == []
    assert reread_as(events, text) == "opportunity_details"


@pytest.mark.parametrize("text", OFF_TOPIC)
def test_out_of_scope_says_what_the_assistant_is_for(directory: str, run: Run, text: str) -> None:
    """Truly off-topic: the assistant says what it is for and nothing is re-read."""
    messages, events = run(ActionOutOfScope(), tracker(text, intent="out_of_scope"))
    assert _responses(messages) == ["utter_out_of_scope"]
    assert events == []


def test_out_of_scope_re_reads_a_subject_of_the_listings(
    directory: str, db: Session, run: Run
) -> None:
    """ "Beekeeping" is off-topic to the NLU but a search in a city that teaches it."""
    _beekeeping(db)
    text = "i want to learn about beekeeping"
    messages, events = run(ActionOutOfScope(), tracker(text, intent="out_of_scope"))
    assert messages == []
    assert reread_as(events, text) == "find_opportunity"


# -- ActionHelp ----------------------------------------------------------------------------


def test_help_says_what_the_assistant_can_do(directory: str, run: Run) -> None:
    """A real call for help is answered with utter_help."""
    messages, events = run(ActionHelp(), tracker("what can you do?", intent="help"))
    assert _responses(messages) == ["utter_help"]
    assert events == []


def test_help_in_a_listing_title_is_a_question_about_the_listing(
    directory: str, db: Session, run: Run
) -> None:
    """ "How much is Night Owl Homework Help?" reads like help to the NLU; it asks the price."""
    listing = _listing(db, "Night Owl Homework Help", topics=("tutoring",))
    text = "how much is Night Owl Homework Help?"
    assert named_in_directory(db, text) == str(listing.id)
    messages, events = run(ActionHelp(), tracker(text, intent="help"))
    assert messages == []
    assert reread_as(events, text) == "opportunity_details"


# -- ActionClarify -------------------------------------------------------------------------


def test_clarify_re_reads_a_named_listing(directory: str, db: Session, run: Run) -> None:
    """Unsure NLU, but the title is the directory's: answered, not asked about."""
    listing = _listing(db, "Night Owl Homework Help", topics=("tutoring",))
    text = f"is {listing.title.lower()} still running"
    ranking = [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "help", "confidence": 0.2}]
    messages, events = run(ActionClarify(), tracker(text, intent="nlu_fallback", ranking=ranking))
    assert messages == []
    assert reread_as(events, text) == "opportunity_details"


def test_clarify_otherwise_still_offers_buttons(directory: str, run: Run) -> None:
    """Words the directory does not know still get the NLU's guesses as buttons."""
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "show_plan", "confidence": 0.25},
        {"name": "find_opportunity", "confidence": 0.2},
    ]
    t = tracker("plnn stuf?", intent="nlu_fallback", ranking=ranking)
    messages, events = run(ActionClarify(), t)
    assert _responses(messages) == ["utter_clarify"]
    assert [button["payload"] for button in messages[0]["buttons"]] == [
        "/show_plan",
        "/find_opportunity",
    ]
    assert events == []


# -- ActionExplainCredential ---------------------------------------------------------------


def _beekeeping_license(db: Session) -> Credential:
    """A licence two apiculture listings and one gardening listing award; no title says
    "beekeeping"."""
    credential = _credential(db, "Beekeeping License")
    _listing(db, "Apiary Skills Course", topics=("apiculture",), awards=(credential,))
    _listing(db, "Hive Care Saturdays", topics=("apiculture",), awards=(credential,))
    _listing(db, "Pollinator Garden Crew", topics=("gardening",), awards=(credential,))
    return credential


def test_where_to_get_a_licence_a_title_teaches_is_a_search(
    directory: str, db: Session, run: Run
) -> None:
    """ "Where can I get a beekeeping license?" wants the programs when a title teaches it."""
    _beekeeping_license(db)
    _beekeeping(db)
    text = "where can i get a beekeeping license"
    messages, events = run(ActionExplainCredential(), tracker(text, intent="ask_credential"))
    assert messages == []
    assert reread_as(events, text) == "find_opportunity"


def test_a_named_credential_is_explained_with_the_topic_to_search(
    directory: str, db: Session, run: Run
) -> None:
    """No title teaches the subject: the credential is explained, and the topic most of the
    listings awarding it share is kept for "where can I get one?"."""
    credential = _beekeeping_license(db)
    text = "where can i get a beekeeping license"
    messages, events = run(ActionExplainCredential(), tracker(text, intent="ask_credential"))
    assert _responses(messages) == ["utter_credential"]
    assert messages[0]["name"] == credential.name
    assert slot_events(events) == {"topic": ["apiculture"]}


def test_a_demo_credential_is_explained_by_name(directory: str, db: Session, run: Run) -> None:
    """ "What is the <credential>?" explains it and keeps its listings' topic."""
    credential = _credential_naming_no_listing(db)
    expected = topic_awarding(db, credential)
    t = tracker(f"what is the {credential.name}?", intent="ask_credential")
    messages, events = run(ActionExplainCredential(), t)
    assert _responses(messages) == ["utter_credential"]
    assert messages[0]["name"] == credential.name
    assert slot_events(events) == ({"topic": [expected]} if expected is not None else {})


def test_topic_awarding_is_the_topic_most_awarding_listings_share(
    directory: str, db: Session
) -> None:
    """Two apiculture listings outvote one gardening listing; closed listings do not count."""
    credential = _beekeeping_license(db)
    assert topic_awarding(db, credential) == "apiculture"
    for title in ("Closed Garden Crew", "Old Garden Crew"):
        _listing(db, title, topics=("gardening",), awards=(credential,), status="inactive")
    assert topic_awarding(db, credential) == "apiculture"
    _listing(db, "Meadow Garden Crew", topics=("gardening",), awards=(credential,))
    _listing(db, "Orchard Garden Crew", topics=("gardening",), awards=(credential,))
    assert topic_awarding(db, credential) == "gardening"


def test_topic_awarding_is_none_for_a_credential_no_listing_awards(
    directory: str, db: Session
) -> None:
    """Nothing to search for: no topic is set."""
    assert topic_awarding(db, _credential(db, "Unawarded Test Permit")) is None
