"""The city's topics as a spreadsheet: organisers read which starter topics each joined and add
the words their learners use (`wayfinder taxonomy export|import`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from knowledge.history import Actor, record_change
from knowledge.models import Neighbourhood, NeighbourhoodAlias, Topic, TopicSynonym
from knowledge.models.opportunity import opportunity_topic
from knowledge.taxonomy import load_taxonomy, starter_index
from knowledge.transfer.csv_cells import SheetWriter, restore

COLUMNS = ("topic", "synonyms", "starter_topics", "listings")
READ_COLUMNS = ("topic", "synonyms")  # the others are for reading, and ignored on import
SEPARATOR = ";"
MAX_TERM = 120  # topic_synonym.term


@dataclass
class TaxonomyReport:
    """What an import changed (or would change), or why it was refused."""

    added: dict[str, list[str]] = field(default_factory=dict)  # topic → synonyms added
    removed: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Nothing was refused."""
        return not self.problems

    def summary(self) -> str:
        """One line a person reads after the command."""
        added = sum(map(len, self.added.values()))
        removed = sum(map(len, self.removed.values()))
        topics = len(set(self.added) | set(self.removed))
        verb = "would add" if self.dry_run else "added"
        gone = "would remove" if self.dry_run else "removed"
        tail = "; nothing was written." if self.dry_run else "."
        return f"{verb} {added} and {gone} {removed} synonyms of {topics} topics{tail}"


def export_taxonomy(session: Session, out: TextIO) -> int:
    """One row per city topic: its own synonyms, the starter topics it joined, its listings.
    Returns the number of rows."""
    taxonomy = load_taxonomy(session)
    concepts = starter_index().starter.concepts
    counted = select(opportunity_topic.c.topic_id, func.count()).group_by(
        opportunity_topic.c.topic_id
    )
    counts: dict[int, int] = {row[0]: row[1] for row in session.execute(counted)}
    topics = session.scalars(
        select(Topic).options(selectinload(Topic.synonyms)).order_by(Topic.name)
    )
    writer = SheetWriter(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = 0
    for topic in topics:
        joined = [concepts[key].name for key in taxonomy.attached.get(topic.id, ())]
        writer.writerow(
            (
                topic.name,
                f"{SEPARATOR} ".join(synonym.term for synonym in topic.synonyms),
                f"{SEPARATOR} ".join(joined),
                counts.get(topic.id, 0),
            )
        )
        rows += 1
    return rows


def import_taxonomy(
    session: Session, source: TextIO | str, *, actor: Actor, dry_run: bool = False
) -> TaxonomyReport:
    """Set each named topic's own synonyms to the row's list; all rows or none.

    A word may name one topic only (a topic's name, or its synonym); a topic absent from the
    file keeps its synonyms. Every change goes to the change history.
    """
    report = TaxonomyReport(dry_run=dry_run)
    rows = _rows(source, report)
    if not report.ok:
        return report
    topics = {topic.name: topic for topic in session.scalars(_topics_query())}
    wanted = _wanted(rows, topics, report)
    _check_owners(session, wanted, topics, report)
    if not report.ok:
        return report
    before = {name: [synonym.term for synonym in topics[name].synonyms] for name in wanted}
    for name, terms in wanted.items():
        added = [term for term in terms if term not in before[name]]
        removed = [term for term in before[name] if term not in terms]
        if added:
            report.added[name] = added
        if removed:
            report.removed[name] = removed
    if dry_run:
        return report
    for name in report.removed:  # removals first: a word may move to another topic
        topics[name].synonyms = [s for s in topics[name].synonyms if s.term in wanted[name]]
    session.flush()
    for name, added in report.added.items():
        topics[name].synonyms.extend(TopicSynonym(term=term) for term in added)
    for name in set(report.added) | set(report.removed):
        record_change(
            session, topics[name], "synonyms", _joined(before[name]), _joined(wanted[name]), actor
        )
    session.flush()
    return report


def _topics_query() -> Select[tuple[Topic]]:
    """Every topic with its synonyms."""
    return select(Topic).options(selectinload(Topic.synonyms))


def _joined(terms: Iterable[str]) -> str:
    """Synonyms as one history value."""
    return f"{SEPARATOR} ".join(terms)


def _rows(source: TextIO | str, report: TaxonomyReport) -> list[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, cells) of a CSV with at least the topic and synonyms columns."""
    text = source if isinstance(source, str) else source.read()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or ()]
    if not header:
        report.problems.append("file: is empty; expected a header row: topic,synonyms")
        return []
    missing = [name for name in READ_COLUMNS if name not in header]
    if missing:
        report.problems.append(f"row 1: missing column(s): {', '.join(missing)}")
        return []
    reader.fieldnames = header
    rows = []
    for number, cells in enumerate(reader, 2):
        if None in cells:
            report.problems.append(f"row {number}: has more cells than the header has columns")
            continue
        rows.append((number, {key: restore(value or "").strip() for key, value in cells.items()}))
    return rows


def _wanted(
    rows: list[tuple[int, dict[str, str]]], topics: dict[str, Topic], report: TaxonomyReport
) -> dict[str, list[str]]:
    """Topic name → the synonyms its row asks for, checked row by row."""
    wanted: dict[str, list[str]] = {}
    seen_rows: dict[str, int] = {}
    claimed: dict[str, tuple[str, int]] = {}  # folded word → (topic, row)
    for number, cells in rows:
        name = cells["topic"].lower()
        if not name:
            report.problems.append(f"row {number}, column topic: is required but empty")
            continue
        if name not in topics:
            report.problems.append(
                f"row {number}, column topic: '{cells['topic']}' is not a topic of the directory "
                "(topics come from the listings; export the taxonomy to see them)"
            )
            continue
        if name in seen_rows:
            report.problems.append(
                f"row {number}, column topic: '{name}' is already in row {seen_rows[name]}"
            )
            continue
        seen_rows[name] = number
        terms = list(dict.fromkeys(t.strip().lower() for t in cells["synonyms"].split(SEPARATOR)))
        terms = [term for term in terms if term]
        for term in terms:
            where = f"row {number}, column synonyms"
            if len(term) > MAX_TERM:
                report.problems.append(f"{where}: '{term[:40]}…' is longer than {MAX_TERM}")
            elif term == name:
                report.problems.append(f"{where}: '{term}' is the topic's own name")
            elif term in claimed:
                other, row = claimed[term]
                report.problems.append(
                    f"{where}: '{term}' is also given for '{other}' in row {row}"
                )
            else:
                claimed[term] = (name, number)
        wanted[name] = terms
    return wanted


def _check_owners(
    session: Session, wanted: dict[str, list[str]], topics: dict[str, Topic], report: TaxonomyReport
) -> None:
    """A word already naming another topic (its name, or a synonym the file does not move) is
    refused: one word, one topic."""
    released = {
        synonym.term: name
        for name in wanted
        for synonym in topics[name].synonyms
        if synonym.term not in wanted[name]
    }
    owners = {synonym.term: topic.name for topic in topics.values() for synonym in topic.synonyms}
    places = set(session.scalars(select(func.lower(NeighbourhoodAlias.alias))))
    places.update(session.scalars(select(func.lower(Neighbourhood.name))))
    for name, terms in wanted.items():
        for term in terms:
            owner = owners.get(term)
            if term in topics and term != name:
                report.problems.append(f"topic '{name}': '{term}' is the name of another topic")
            elif owner not in (None, name) and released.get(term) != owner:
                report.problems.append(
                    f"topic '{name}': '{term}' is already a synonym of '{owner}'; "
                    f"remove it there in the same file to move it"
                )
            elif term in places:
                report.problems.append(f"topic '{name}': '{term}' is a neighbourhood's name")
