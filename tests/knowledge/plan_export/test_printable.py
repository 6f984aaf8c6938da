"""The printable one-page plan: every fact of each listing, the deadlines first, escaped, in the
learner's language; and which files a plan gets (none when it is empty)."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy.orm import Session

from knowledge.plan_export import NothingToExport, exported_plan, formats_of, plan_file
from knowledge.plan_export.printable import printable_plan
from tests.knowledge.plan_export.builders import CITY, MADE_AT, listing, provider, saved


class Page(HTMLParser):
    """What a browser would show and link: the text, the links, the tags."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.tags: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def shown(self) -> str:
        return " ".join(" ".join(self.text).split())


def page_of(session: Session, sender: str = "web-learner") -> str:
    plan = exported_plan(session, sender, CITY, now=MADE_AT)
    assert plan is not None
    return printable_plan(plan)


def test_each_listing_shows_every_fact_and_the_deadlines_come_first(session: Session) -> None:
    by = provider(session)
    robots = listing(session, by)
    tutoring = listing(session, by, "Drop-in Tutoring", start_time=None, days=[],
                       start_date=None, end_date=None, application_deadline=date(2027, 1, 31),
                       is_free=True, enroll_url=None, enroll_phone=None)  # fmt: skip
    saved(session, "web-learner", robots, tutoring)
    markup = page_of(session)
    page = Page(markup)
    shown = page.shown
    for fact in (
        "My learning plan",
        "Made on Sun 10 Jan 2027 · Testville",
        "Saturday Robot Lab",
        "Run by Harbour Makers Co-op",
        "When Sat 10:00–11:30; Sat 27 Feb 2027 – Sat 27 Mar 2027",
        "Where Main Hall, 12 Pier St",
        "Cost $40",
        "How to apply https://makers.example.org/robots",
        "Contact 555-0199",
        "Apply by Sat 20 Feb 2027",
        # A listing with no schedule is still in the plan, with its provider's ways to ask.
        "Drop-in Tutoring",
        "When not listed",
        "Cost Free",
        "How to apply https://makers.example.org",
        "Contact 555-0100 · hello@makers.example.org",
    ):
        assert fact in shown, fact
    # The deadlines box lists both, soonest first, before the listings.
    assert shown.index(
        "Deadlines Sun 31 Jan 2027 — Drop-in Tutoring Sat 20 Feb 2027"
    ) < shown.index("Run by")
    assert page.links == ["https://makers.example.org/robots", "https://makers.example.org"]
    assert "@media print" in markup and "<script" not in markup
    assert '<meta name="referrer" content="no-referrer">' in markup
    assert not (
        {"link", "img", "iframe", "script"} & set(page.tags)
    )  # nothing loaded from elsewhere


def test_directory_text_is_escaped_and_only_web_addresses_become_links(session: Session) -> None:
    sneaky = listing(
        session,
        provider(session, 'Evil "Corp" <b>', website="javascript:alert(1)"),
        '<script>alert("x")</script> & Co',
        enroll_url="javascript:alert(2)",
        enroll_phone="<img src=x onerror=alert(3)>",
    )
    saved(session, "web-learner", sneaky)
    markup = page_of(session)
    page = Page(markup)
    assert "<script>alert" not in markup and "<img" not in markup and "<b>" not in markup
    assert '<script>alert("x")</script> & Co' in page.shown
    assert 'Run by Evil "Corp" <b>' in page.shown
    assert page.links == [] and "javascript:" not in "".join(page.links)
    assert "How to apply not listed" in page.shown


def test_the_page_is_in_the_learners_language(session: Session) -> None:
    club = listing(session, provider(session), translations={"es": "Laboratorio de robots"})
    saved(session, "web-es", club, language="es")
    markup = page_of(session, "web-es")
    shown = Page(markup).shown
    assert '<html lang="es">' in markup
    for fact in ("Mi plan de aprendizaje", "Laboratorio de robots", "Cuándo", "Cómo inscribirte",
                 "Fechas límite", "Lo organiza Harbour Makers Co-op"):  # fmt: skip
        assert fact in shown, fact


def test_an_empty_plan_gets_no_file_and_an_unknown_learner_no_plan(session: Session) -> None:
    saved(session, "web-empty")
    plan = exported_plan(session, "web-empty", CITY, now=MADE_AT)
    assert plan is not None and formats_of(plan) == ()
    for kind in ("ics", "html"):
        with pytest.raises(NothingToExport):
            plan_file(plan, kind)
    assert exported_plan(session, "web-nobody", CITY) is None


def test_a_plan_without_any_date_gets_only_the_printable_page(session: Session) -> None:
    anytime = listing(session, provider(session), start_time=None, application_deadline=None)
    saved(session, "web-learner", anytime)
    plan = exported_plan(session, "web-learner", CITY, now=MADE_AT)
    assert plan is not None and formats_of(plan) == ("html",)
    with pytest.raises(NothingToExport):
        plan_file(plan, "ics")
    page = plan_file(plan, "html")
    assert page.name == "my-learning-plan.html"
    assert page.content_type == "text/html; charset=utf-8"
    assert "Saturday Robot Lab" in page.body.decode()


def test_files_are_named_in_the_learners_language_and_formats_are_checked(
    session: Session,
) -> None:
    saved(session, "web-es", listing(session, provider(session)), language="es")
    plan = exported_plan(session, "web-es", CITY, now=MADE_AT)
    assert plan is not None and formats_of(plan) == ("ics", "html")
    calendar = plan_file(plan, "ics")
    assert calendar.name == "mi-plan-de-aprendizaje.ics"
    assert calendar.content_type == "text/calendar; charset=utf-8"
    assert calendar.body.startswith(b"BEGIN:VCALENDAR\r\n")
    with pytest.raises(ValueError, match="no plan format 'pdf'"):
        plan_file(plan, "pdf")
