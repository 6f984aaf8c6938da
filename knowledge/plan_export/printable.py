"""A learner's plan as one printable page: each saved listing with who runs it, when, where, the
cost, how to apply and whom to ask, and the deadlines first. Self-contained HTML (inline CSS, no
script, nothing loaded from elsewhere) in the learner's chat language; every text the directory
gave is escaped, and only http(s) addresses become links."""

from __future__ import annotations

import html
from datetime import date

from knowledge.plan_export.facts import ListingFacts, facts_of
from knowledge.plan_export.plan import ExportedPlan
from knowledge.search import formats
from knowledge.search.formats import Voice

TWO_COLUMNS_FROM = 5  # listings from which the printed page uses two columns, to fit one sheet

STYLE = """
body { font: 1rem/1.45 system-ui, sans-serif; color: #1a1a1a; background: #fff;
  max-width: 48rem; margin: 0 auto; padding: 1.5rem 1rem; }
h1 { font-size: 1.6rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 0 0 0.2rem; }
.made, .provider, .note { color: #444; margin: 0.2rem 0; }
.deadlines { border: 2px solid #1a1a1a; border-radius: 6px; padding: 0.5rem 0.9rem;
  margin: 1rem 0; }
.deadlines h2 { margin-bottom: 0.3rem; }
.deadlines ul { margin: 0; padding-left: 1.2rem; }
ol.items { list-style: none; padding: 0; margin: 1rem 0; }
li.item { border-top: 1px solid #bbb; padding: 0.7rem 0; break-inside: avoid; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 0.8rem;
  margin: 0.3rem 0 0; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
a { color: #0b57d0; }
@media print {
  @page { margin: 12mm; }
  body { font-size: 9.5pt; max-width: none; padding: 0; }
  h1 { font-size: 15pt; }
  h2 { font-size: 11pt; }
  a { color: #000; text-decoration: none; }
  ol.items.two { columns: 2; column-gap: 8mm; }
  li.item { padding: 0.35rem 0; }
}
"""


def printable_plan(plan: ExportedPlan) -> str:
    """The plan as an HTML page that prints on one sheet (two columns past a few listings)."""
    voice = plan.voice
    title = voice.word("plan_title")
    made = voice.word("plan_made_on", date=formats.day(plan.today, voice))
    if plan.city.name:
        made = f"{made} · {plan.city.name}"
    listings = [(facts_of(o, voice), o.application_deadline) for o in plan.opportunities]
    columns = " two" if len(listings) >= TWO_COLUMNS_FROM else ""
    body = [
        f'<header><h1>{_text(title)}</h1><p class="made">{_text(made)}</p></header>',
        _deadlines(listings, plan.today, voice),
        f'<ol class="items{columns}">',
        *(_item(facts, voice) for facts, _ in listings),
        "</ol>",
        f'<footer><p class="note">{_text(voice.word("plan_check_first"))}</p></footer>',
    ]
    return (
        "<!doctype html>\n"
        f'<html lang="{_text(voice.code)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # The page may be opened from a link holding a token: links out must not pass it on.
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_text(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        "<body>\n<main>\n"
        + "\n".join(part for part in body if part)
        + "\n</main>\n</body>\n</html>\n"
    )


def _deadlines(listings: list[tuple[ListingFacts, date | None]], today: date, voice: Voice) -> str:
    """The deadlines still ahead, soonest first, in a box at the top (nothing when none is)."""
    ahead = sorted(
        ((deadline, facts) for facts, deadline in listings if deadline and deadline >= today),
        key=lambda pair: pair[0],
    )
    if not ahead:
        return ""
    lines = "".join(
        f"<li><strong>{_text(facts.deadline)}</strong> — {_text(facts.title)}</li>"
        for _, facts in ahead
    )
    heading = _text(voice.word("plan_deadlines"))
    return f'<section class="deadlines"><h2>{heading}</h2><ul>{lines}</ul></section>'


def _item(facts: ListingFacts, voice: Voice) -> str:
    """One listing: title, provider and its facts; what the provider did not give is said so."""
    unknown = voice.word("plan_not_listed")
    rows = [
        ("plan_when", _text(facts.when or unknown)),
        ("plan_where", _text(facts.where or unknown)),
        ("plan_cost", _text(facts.cost or unknown)),
        ("plan_apply", _link(facts.apply_url) if facts.apply_url else _text(unknown)),
        ("plan_contact", _text(facts.contact or unknown)),
    ]
    if facts.deadline:
        rows.append(("plan_deadline", f"<strong>{_text(facts.deadline)}</strong>"))
    cells = "".join(f"<dt>{_text(voice.word(key))}</dt><dd>{value}</dd>" for key, value in rows)
    provider = _text(voice.word("plan_run_by", provider=facts.provider))
    return (
        f'<li class="item"><h2>{_text(facts.title)}</h2>'
        f'<p class="provider">{provider}</p><dl>{cells}</dl></li>'
    )


def _link(url: str) -> str:
    """An http(s) address as a link showing the address itself (it is read on paper too)."""
    shown = _text(url)
    return f'<a href="{shown}" rel="noopener noreferrer">{shown}</a>'


def _text(value: str) -> str:
    """Directory text as HTML text, quotes included (it also goes into attributes)."""
    return html.escape(value, quote=True)
