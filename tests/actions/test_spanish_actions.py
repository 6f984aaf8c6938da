"""Actions answering a learner who chats in Spanish: the words they build in Python (the search's
explanation, "did you mean" buttons, dates of reminders, kinds of credentials, a listing's facts)
come from locales/es, and no English sentence is left in them."""

from __future__ import annotations

from datetime import date, time, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.city import current_city
from actions.clarify import ActionClarify
from actions.credentials import ActionExplainCredential
from actions.listing_facts import Asked, answer, credentials_of, dates_of, hours_of, languages_of
from actions.pathways import built_line
from actions.reminders import ActionSetReminder
from actions.search import ActionSearchOpportunities
from knowledge.models import Credential, Opportunity, OpportunityTranslation
from knowledge.pathways import StepView
from knowledge.search.formats import day, voice_of
from knowledge.text import words
from tests.actions.conftest import Run, tracker

SPANISH = voice_of("es", "en_US")
IN_SPANISH = {"chat_language": "es"}
# Words of the English texts these actions build that Spanish never uses.
ENGLISH = frozenset(
    """
    the and of with but all none only program programs exist exists match matches filters
    limit ages age nearest cheapest costs later taught free from until nothing directory try
    badge certificate certification
    """.split()  # noqa: SIM905
)


def english_in(text: str) -> set[str]:
    """The English words in a text that should be Spanish."""
    return {word for word in words(text) if word in ENGLISH}


def listing(**fields: Any) -> Opportunity:
    """A listing held in memory only, with a provider and no places."""
    values: dict[str, Any] = {"title": "Chess Club", "format": "online", "days": ["Sat"]}
    values.update(fields)
    days = values.pop("days")
    found = Opportunity(**values)
    found.days = days
    provider = SimpleNamespace(name="Test Library", phone=None, email=None, website=None)
    found.provider = provider  # type: ignore[assignment]
    return found


def test_nothing_found_is_explained_in_spanish(directory: str, run: Run) -> None:
    slots = {"topic": ["swimming"], "age": 70.0, "language": "so", **IN_SPANISH}
    messages, _ = run(ActionSearchOpportunities(), tracker("natación", slots=slots))
    nothing = messages[0]
    assert nothing["response"] == "utter_no_results"
    assert nothing["explanation"] and english_in(nothing["explanation"]) == set()
    english, _ = run(ActionSearchOpportunities(), tracker("swimming", slots=slots | {
        "chat_language": None}))  # fmt: skip
    assert english[0]["explanation"] != nothing["explanation"]
    assert english_in(english[0]["explanation"])  # the markers do catch English


def test_did_you_mean_buttons_come_from_the_spanish_responses(directory: str, run: Run) -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "show_plan", "confidence": 0.25},
        {"name": "help", "confidence": 0.1},
    ]
    t = tracker("pln?", intent="nlu_fallback", ranking=ranking, slots=IN_SPANISH)
    messages, _ = run(ActionClarify(), t)
    assert [button["title"] for button in messages[0]["buttons"]] == [
        "Ver mi plan",
        "¿Qué puedes hacer?",
    ]


def test_a_reminder_gives_its_dates_in_spanish(directory: str, db: Session, run: Run) -> None:
    listing = db.scalars(
        select(Opportunity)
        .where(Opportunity.status == "active")
        .where(Opportunity.application_deadline > date.today() + timedelta(days=5))
    ).first()
    assert listing is not None and listing.application_deadline is not None
    slots = {"selected": str(listing.id), **IN_SPANISH}
    messages, _ = run(
        ActionSetReminder(), tracker("recuérdamelo", intent="set_reminder", slots=slots)
    )
    voice = voice_of("es", current_city(db).locale)
    assert messages[0]["date"] == day(listing.application_deadline, voice)
    assert messages[0]["remind_on"] == day(listing.application_deadline - timedelta(days=3), voice)
    assert " de " in messages[0]["date"]


def test_a_credential_kind_is_named_in_spanish(directory: str, db: Session, run: Run) -> None:
    listing = db.scalars(select(Opportunity).where(Opportunity.awards.any())).first()
    assert listing is not None
    slots = {"selected": str(listing.id), **IN_SPANISH}
    messages, _ = run(ActionExplainCredential(), tracker("¿qué me dan?", slots=slots))
    told = [m for m in messages if m["response"] == "utter_credential"]
    assert told and all(english_in(m["type_label"]) == set() for m in told)
    kind = listing.awards[0].credential_type
    english, _ = run(ActionExplainCredential(), tracker("what do I get?", slots={
        "selected": str(listing.id)}))  # fmt: skip
    assert english[1]["type_label"] == kind.replace("_", "-")


def test_a_listings_facts_in_spanish() -> None:
    club = listing(
        start_time=time(16),
        end_time=time(18),
        start_date=date(2026, 12, 12),
        end_date=date(2027, 1, 9),
        languages="en;es",
    )
    assert hours_of(club, SPANISH) == "sábados 16:00–18:00"
    assert hours_of(listing(end_time=time(18), days=[]), SPANISH) == "hasta las 18:00"
    assert dates_of(club, SPANISH) == "sáb 12 de dic de 2026 – sáb 9 de ene de 2027"
    assert dates_of(listing(start_date=date(2026, 12, 12)), SPANISH).startswith("desde el ")
    assert languages_of(club, SPANISH) == "inglés, español"
    awarded = [Credential(name="CPR", credential_type="certification")]
    assert credentials_of(awarded, SPANISH) == "CPR (certificación)"
    # English as before
    assert hours_of(listing(end_time=time(18), days=[])) == "until 18:00"
    assert dates_of(listing(start_date=date(2026, 12, 12))) == "from Sat 12 Dec 2026"
    assert languages_of(club) == "English, Spanish"
    assert credentials_of([Credential(name="X", credential_type="micro_credential")]) == (
        "X (micro-credential)"
    )


def test_an_answer_names_the_listing_by_its_spanish_title() -> None:
    club = listing(start_date=date(2026, 12, 12))
    club.translations = [OpportunityTranslation(language="es", title="Club de ajedrez")]
    asked = Asked(today=date(2026, 12, 1), voice=SPANISH)
    (found,) = answer("dates", None, club, asked)  # type: ignore[arg-type]
    assert found.values["title"] == "Club de ajedrez"
    assert found.values["dates"] == "desde el sáb 12 de dic de 2026"


def test_a_built_pathway_step_shows_the_spanish_title() -> None:
    club = listing()
    club.translations = [OpportunityTranslation(language="es", title="Club de ajedrez")]
    step = StepView(
        position=1,
        title=club.title,
        note=None,
        state="next",
        opportunity=club,
        credential=None,
        from_age=None,
        replaced=False,
        after=(),
    )
    assert built_line(1, step, SPANISH) == "1. ➡️ Club de ajedrez — Test Library"
    assert built_line(1, step) == "1. ➡️ Chess Club — Test Library"
