"""The organisers' reports page on the gateway: unmet demand and use of the service
(knowledge.reports), server-rendered, with the charts and a CSV download of each report.

  GET  /organisers/reports[?since=YYYY-MM-DD&until=YYYY-MM-DD]   the page (default: 12 weeks)
  GET  /organisers/reports/demand.csv, /organisers/reports/usage.csv   the same window as CSV
  POST /organisers/sign-in   (form field `token`: an organiser's API token) → the session cookie
  POST /organisers/sign-out  the cookie dropped

Who may see it: bot.gateway.organiser_access. The page runs no script and loads nothing: its one
style block is allowed by its hash, the charts are SVG images inside the page (data: URLs, which
run nothing), every value from the directory is escaped by the reports' renderer or here, and no
response is cached or framed. The reports' own words are English (lang="en" on them); the page's
are in the browser's language, else the city's.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal
from urllib.parse import urlencode, urlsplit

from sanic import Blueprint, HTTPResponse, Request, response
from sqlalchemy.orm import Session

from bot.api.auth import BucketsFor, client_address
from bot.gateway.core import Gateway
from bot.gateway.organiser_access import (
    COOKIE,
    FAILURES_PER_MINUTE,
    SESSION_TTL,
    Refused,
    organiser_token,
    session_cookie,
    token_id_of,
)
from bot.gateway.texts import say
from knowledge.city import City
from knowledge.locales import supported
from knowledge.reports.demand import DemandReport, demand_report
from knowledge.reports.privacy import DEFAULT_K, hidden_label
from knowledge.reports.render import STYLE as REPORT_STYLE
from knowledge.reports.render import render_demand, render_usage
from knowledge.reports.usage import UsageReport, usage_report

PREFIX = "/organisers"
PAGE = f"{PREFIX}/reports"
SIGN_IN = f"{PREFIX}/sign-in"
SIGN_OUT = f"{PREFIX}/sign-out"
DEFAULT_WEEKS = 12  # the window when the page is opened without ?since
Which = Literal["demand", "usage"]
STYLE = (
    REPORT_STYLE
    + """
header{display:flex;justify-content:space-between;align-items:center;gap:1rem;flex-wrap:wrap}
form.inline{display:flex;gap:.5rem;align-items:end;flex-wrap:wrap;margin:1rem 0}
label{display:flex;flex-direction:column;font-size:.9rem}
input,button{font:inherit;padding:.35rem .6rem;min-height:2rem}
button{cursor:pointer}
section{border-top:2px solid #ddd;margin-top:2rem}
.problem{border-left:4px solid #b00020;padding:.5rem 1rem;background:#fdf0f2}
a{color:#0645ad}
"""
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # no-referrer would make forms send "Origin: null"
    "Vary": "Accept-Language",
}


class BadWindow(Exception):
    """A ?since or ?until that is not a date, or a window that ends before it starts: the gateway
    text `key` with `values` says what to write instead."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Window:
    """The days asked for, both included (`until` None: up to today)."""

    since: date
    until: date | None

    def query(self) -> str:
        """The window as the page's query string, for links."""
        days = {"since": self.since.isoformat()}
        if self.until is not None:
            days["until"] = self.until.isoformat()
        return urlencode(days)


def window_of(request: Request, today: date) -> Window:
    """The window in ?since and ?until (default: the last DEFAULT_WEEKS weeks); BadWindow."""
    days: dict[str, date | None] = {"since": None, "until": None}
    for name in days:
        given = (request.args.get(name) or "").strip()
        if given:
            try:
                days[name] = date.fromisoformat(given)
            except ValueError:
                raise BadWindow("organiser_bad_date", value=given[:40]) from None
    since = days["since"] or today - timedelta(weeks=DEFAULT_WEEKS)
    until = days["until"]
    if until is not None and until < since:
        raise BadWindow("organiser_bad_window")
    return Window(since, until)


def organiser_blueprint(gateway: Gateway, buckets_for: BucketsFor) -> Blueprint:
    """The page, its CSV files and signing in and out, bound to one gateway and to where failed
    sign-ins are counted (this process, or Redis shared by every gateway)."""
    bp = Blueprint("organiser_page")
    failures = buckets_for("organiser_failed", FAILURES_PER_MINUTE)
    settings = gateway.settings
    key = settings.pseudonym_key

    def language(request: Request) -> str | None:
        """The browser's language when we have it, else the city's."""
        from bot.gateway.web import accepted_language  # web imports widely: import when used

        return accepted_language(request.headers.get("Accept-Language")) or supported(
            settings.locale
        )

    async def signed_in(request: Request) -> int:
        """The organiser's token id, from the Bearer header or the session cookie; Refused."""
        address = client_address(request)
        wait = await failures.wait(address)
        if wait:
            raise TooMany(wait)
        scheme, _, value = str(request.headers.get("Authorization", "")).partition(" ")
        cookie = request.cookies.get(COOKIE)
        try:
            if scheme.lower() == "bearer":
                return await gateway.db(lambda s: organiser_token(s, value=value))
            if not cookie:
                raise Refused(401, "organiser_sign_in_intro")
            token_id = token_id_of(key, cookie)
            return await gateway.db(lambda s: organiser_token(s, token_id=token_id))
        except Refused as refused:
            if refused.key in ("organiser_token_invalid", "organiser_session_invalid"):
                await failures.spend(address)
            raise

    def city_today() -> date:
        """Today in the city (the stale listings and the default window count from it)."""
        return City(None, settings.timezone, "", settings.locale).today()

    async def admitted(request: Request, words: str | None) -> Window | HTTPResponse:
        """The window asked for when an organiser asks, else the page that says what to do."""
        try:
            await signed_in(request)
            return window_of(request, city_today())
        except Refused as refused:
            return _sign_in_page(words, refused.key, refused.status)
        except TooMany as busy:
            return busy.page(words)
        except BadWindow as bad:
            problem = say(bad.key, words, **bad.values)
            return _page(words, _report_body(words, None, problem=problem), 400)

    @bp.get(PAGE)
    async def reports_page(request: Request) -> HTTPResponse:
        """Both reports, or the sign-in form saying why it is needed."""
        words = language(request)
        window = await admitted(request, words)
        if isinstance(window, HTTPResponse):
            return window
        today = city_today()
        demand, usage = await gateway.db(
            lambda session: _reports(session, window, today, settings.freshness_days)
        )
        sections = await asyncio.to_thread(_rendered, demand, usage)
        return _page(words, _report_body(words, window, sections=sections))

    @bp.get(f"{PAGE}/demand.csv")
    async def demand_csv(request: Request) -> HTTPResponse:
        """The unmet-demand report as CSV."""
        return await report_csv(request, "demand")

    @bp.get(f"{PAGE}/usage.csv")
    async def usage_csv(request: Request) -> HTTPResponse:
        """The usage report as CSV."""
        return await report_csv(request, "usage")

    async def report_csv(request: Request, which: Which) -> HTTPResponse:
        """One report as CSV, for the same window as the page."""
        window = await admitted(request, language(request))
        if isinstance(window, HTTPResponse):
            return window
        today = city_today()
        demand, usage = await gateway.db(
            lambda session: _reports(session, window, today, settings.freshness_days, which)
        )
        text = render_usage(usage, "csv") if usage is not None else ""
        if demand is not None:
            text = render_demand(demand, "csv")
        name = f"{which}-{window.since.isoformat()}.csv"
        headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return response.text(text, content_type="text/csv; charset=utf-8", headers=headers)

    @bp.post(SIGN_IN)
    async def sign_in(request: Request) -> HTTPResponse:
        """An organiser's token exchanged for the session cookie; refusals say why."""
        words = language(request)
        if not _same_origin(request):
            return _sign_in_page(words, "organiser_wrong_origin", 403)
        address = client_address(request)
        wait = await failures.wait(address)
        if wait:
            return TooMany(wait).page(words)
        form = request.form
        value = str(form.get("token", "") if form is not None else "")
        try:
            token_id = await gateway.db(lambda s: organiser_token(s, value=value))
        except Refused as refused:
            if refused.status == 401:
                await failures.spend(address)
            return _sign_in_page(words, refused.key, refused.status)
        answer = response.redirect(PAGE, status=303, headers=HEADERS)
        answer.add_cookie(
            COOKIE,
            session_cookie(key, token_id),
            path=PREFIX,
            max_age=int(SESSION_TTL.total_seconds()),
            httponly=True,
            samesite="Strict",
            secure=_secure(request, settings.public_url),
        )
        return answer

    @bp.post(SIGN_OUT)
    async def sign_out(request: Request) -> HTTPResponse:
        """The session cookie dropped; back to the sign-in form."""
        if not _same_origin(request):
            return _sign_in_page(language(request), "organiser_wrong_origin", 403)
        answer = response.redirect(PAGE, status=303, headers=HEADERS)
        answer.add_cookie(  # emptied and expired, with the attributes it was set with
            COOKIE, "", path=PREFIX, max_age=0, httponly=True, samesite="Strict",
            secure=_secure(request, settings.public_url),
        )  # fmt: skip
        return answer

    return bp


class TooMany(Exception):
    """This address failed to sign in too often lately: wait `seconds`."""

    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds

    def page(self, language: str | None) -> HTTPResponse:
        """429 with Retry-After, saying how long to wait."""
        body = _sign_in_form(language, say("organiser_too_many", language, seconds=self.seconds))
        answer = _page(language, body, 429)
        answer.headers["Retry-After"] = str(self.seconds)
        return answer


def _reports(
    session: Session,
    window: Window,
    today: date,
    freshness_days: int,
    only: Which | None = None,
) -> tuple[DemandReport | None, UsageReport | None]:
    """The reports for the window (or `only` one of them), k as the reports' default."""
    since, until = window.since, window.until
    demand = usage = None
    if only in (None, "demand"):
        demand = demand_report(
            session, since=since, until=until, k=DEFAULT_K, today=today,
            freshness_days=freshness_days,
        )  # fmt: skip
    if only in (None, "usage"):
        usage = usage_report(
            session, since=since, until=until, k=DEFAULT_K, today=today,
            freshness_days=freshness_days,
        )  # fmt: skip
    return demand, usage


def _rendered(demand: DemandReport | None, usage: UsageReport | None) -> list[tuple[Which, str]]:
    """Each report's HTML (tables and charts, escaped by the renderer) as a section's inside."""
    sections: list[tuple[Which, str]] = []
    if demand is not None:
        sections.append(("demand", _inside(render_demand(demand, "html"), "demand")))
    if usage is not None:
        sections.append(("usage", _inside(render_usage(usage, "html"), "usage")))
    return sections


def _inside(document: str, which: Which) -> str:
    """The body of one of the renderer's HTML documents, its headings one level down (the page
    has its own h1), the first one named for the section's label."""
    head, found, rest = document.partition("</head><body>")
    body, ended, _ = rest.rpartition("</body></html>")
    if not (head and found and ended):
        raise ValueError("the report's HTML is not shaped as knowledge.reports.render writes it")
    body = body.replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    body = body.replace("<h1>", f'<h2 id="{which}-title">', 1).replace("</h1>", "</h2>", 1)
    return body


def _report_body(
    language: str | None,
    window: Window | None,
    *,
    sections: Sequence[tuple[Which, str]] = (),
    problem: str | None = None,
) -> str:
    """The signed-in page: title, sign-out, the window's form, and each report with its CSV."""
    since = "" if window is None else window.since.isoformat()
    until = "" if window is None or window.until is None else window.until.isoformat()
    parts = [
        "<header>",
        f"<h1>{_e(say('organiser_page_title', language))}</h1>",
        f'<form method="post" action="{SIGN_OUT}">'
        f'<button type="submit">{_e(say("organiser_sign_out_button", language))}</button></form>',
        "</header><main>",
        f'<form class="inline" method="get" action="{PAGE}">',
        f"<label>{_e(say('organiser_since_label', language))}"
        f'<input type="date" name="since" value="{_e(since)}"></label>',
        f"<label>{_e(say('organiser_until_label', language))}"
        f'<input type="date" name="until" value="{_e(until)}"></label>',
        f'<button type="submit">{_e(say("organiser_window_button", language))}</button></form>',
    ]
    if problem is not None:
        parts.append(f'<p class="problem" role="alert">{_e(problem)}</p>')
    if sections:
        note = say("organiser_privacy_note", language, k=DEFAULT_K, hidden=hidden_label(DEFAULT_K))
        parts.append(f'<p class="note">{_e(note)}</p>')
    for which, inside in sections:
        assert window is not None
        link = f"{PAGE}/{which}.csv?{window.query()}"
        parts += [
            f'<section lang="en" aria-labelledby="{which}-title">',
            inside,
            f'<p><a href="{_e(link)}" download>{_e(say("organiser_csv_link", language))}</a></p>',
            "</section>",
        ]
    parts.append("</main>")
    return "\n".join(parts)


def _sign_in_form(language: str | None, message: str) -> str:
    """The sign-in form under a message (why it is needed, or what went wrong)."""
    return "\n".join(
        [
            f"<main><h1>{_e(say('organiser_sign_in_title', language))}</h1>",
            f'<p class="problem" role="alert">{_e(message)}</p>',
            f'<form class="inline" method="post" action="{SIGN_IN}">',
            f"<label>{_e(say('organiser_token_label', language))}"
            '<input type="password" name="token" autocomplete="off" required '
            'spellcheck="false" maxlength="200"></label>',
            f'<button type="submit">{_e(say("organiser_sign_in_button", language))}</button>',
            "</form>",
            f'<p class="note">{_e(say("organiser_sign_in_help", language))}</p></main>',
        ]
    )


def _sign_in_page(language: str | None, key: str, status: int) -> HTTPResponse:
    """The sign-in form saying why (`key`), with the refusal's status."""
    answer = _page(language, _sign_in_form(language, say(key, language)), status)
    if status == 401:
        answer.headers["WWW-Authenticate"] = 'Bearer realm="wayfinder organisers"'
    return answer


def _page(language: str | None, body: str, status: int = 200) -> HTTPResponse:
    """A whole page around `body`, with the page's security headers."""
    title = _e(say("organiser_page_title", language))
    document = (
        f'<!doctype html>\n<html lang="{_e(language or "en")}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="referrer" content="same-origin"><title>{title}</title>'
        f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )
    return response.html(document, status=status, headers=HEADERS)


def _same_origin(request: Request) -> bool:
    """Whether a form came from this site: the Origin header, when the browser sends one, names
    this host (the cookie's SameSite=Strict already keeps other sites' forms from using it)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return bool(urlsplit(str(origin)).netloc.lower() == str(request.host).lower())


def _secure(request: Request, public_url: str | None) -> bool:
    """Whether the cookie gets Secure: the request came over https (as Sanic sees it, proxies
    included when it is told to trust them), or the gateway's public address is https."""
    return str(request.scheme) == "https" or (public_url or "").startswith("https://")


def _e(text: str) -> str:
    """Text escaped for HTML, quotes included."""
    return html.escape(text, quote=True)
