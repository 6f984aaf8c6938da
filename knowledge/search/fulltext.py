"""Words through the engine's full-text index: which listings say them, best first, and the near
misses of words no listing says.

Words rank listings, they never filter them: callers add other listings when words find too few.
Every query is bounded, so a word on every other listing costs no more than a rare one: each word
takes at most a few hundred matches (all of a rare word's, a sample of a common word's) before the
filters, and PostgreSQL's ts_rank re-reads at most RANK_LIMIT texts.
"""

from __future__ import annotations

import string
import time
import weakref
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import OSA
from sqlalchemy import (
    ColumnElement,
    Engine,
    Float,
    Integer,
    Select,
    Subquery,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from knowledge.models import Opportunity
from knowledge.models.search import (
    FULL_TEXT_CONFIG,
    FULL_TEXT_INDEX,
    FULL_TEXT_TABLE,
    FULL_TEXT_VOCABULARY,
)
from knowledge.taxonomy import max_typos

WORD_MATCH_LIMIT = 500  # listings one of the learner's words may match before the filters
RELATED_MATCH_LIMIT = 300  # … that the related phrases, together, may match
MAX_WORDS = 8  # the learner's words looked for, each on its own (a rare one is never crowded out)
MAX_RELATED = 8  # related phrases looked for, together
RANK_LIMIT = 150  # PostgreSQL: listings ts_rank orders (it rebuilds each one's tsvector)
POSTGRESQL_MATCH_LIMIT = 200  # … and takes per group: reading rows one by one, it rebuilds theirs
TITLE_RANK_WEIGHT = 3.0  # SQLite bm25: a word in the title counts this many times one elsewhere
TITLE_SHARE = 1.0  # PostgreSQL: a group said in the title counts this much more
# PostgreSQL: a word this many listings say is found faster by reading listings in order (200
# matches in the first few thousand) than through the index (its list of 3% of a million).
SCAN_SHARE = 0.03
MAX_NEAR_MISSES = 3  # words a typo may stand for ("strng": "string", "strong")
VOCABULARY_CHECK = 1000  # SQLite: words asked about per statement
VOCABULARY_SAMPLE = 20  # PostgreSQL: listings read per round to see which words they say
VOCABULARY_ROUNDS = 4  # … rounds at most for a typo's variants (a round finds at least one)
COMMON_WORDS_SECONDS = 60.0  # PostgreSQL: how long its statistics' common words are kept

_SQLITE_VOCABULARY = table(FULL_TEXT_VOCABULARY, column("term"))
_POSTGRESQL_SAID = text(
    "SELECT search_text FROM opportunity "
    f"WHERE to_tsvector({FULL_TEXT_CONFIG}, search_text) @@ to_tsquery({FULL_TEXT_CONFIG}, :query) "
    f"LIMIT {VOCABULARY_SAMPLE}"
)
_POSTGRESQL_COMMON = text(
    "SELECT CAST(CAST(most_common_elems AS text) AS text[]), most_common_elem_freqs "
    "FROM pg_stats WHERE schemaname = current_schema() AND tablename = :index"
)
_COMMON_WORDS: weakref.WeakKeyDictionary[Engine, tuple[float, dict[str, float]]] = (
    weakref.WeakKeyDictionary()
)
_CONFIG: ColumnElement[str] = literal_column(FULL_TEXT_CONFIG)


@dataclass(frozen=True)
class Phrase:
    """Lemma phrases looked for together (any of them), how much a match counts, and how many
    matches are taken before the filters."""

    texts: tuple[str, ...]
    weight: float = 1.0
    limit: int = WORD_MATCH_LIMIT


def word_phrases(words: Iterable[str]) -> list[Phrase]:
    """Each of the learner's words (or phrases) on its own, at full weight."""
    return [Phrase((word,)) for word in dict.fromkeys(words) if word.strip()][:MAX_WORDS]


def related_phrase(related: Iterable[str], weight: float, own: Collection[str]) -> Phrase | None:
    """The related phrases not among the learner's own, as one group (None when there are none)."""
    others = [phrase for phrase in dict.fromkeys(related) if phrase.strip() and phrase not in own]
    return Phrase(tuple(others[:MAX_RELATED]), weight, RELATED_MATCH_LIMIT) if others else None


def matches(
    dialect: str, phrases: Sequence[Phrase], common: Mapping[str, float] | None = None
) -> Subquery:
    """(id, score) of listings saying any of the phrases, each group's matches bounded by its
    limit; a higher score is a better match (more and rarer phrases, in the title). `common`
    gives PostgreSQL the share of listings that say its most common words (`common_words`).

    Written as SQL text: a search builds it anew each time, and SQLAlchemy constructs cost a
    few milliseconds for a union of subqueries that the database runs in about as long.
    """
    parts, values = [], {}
    for number, phrase in enumerate(phrases):
        sql, given = _phrase_matches(dialect, phrase, f"p{number}", common or {})
        parts.append(f"SELECT * FROM ({sql}) AS p{number}")
        values.update(given)
    found = " UNION ALL ".join(parts)
    statement = text(f"SELECT id, sum(score) AS score FROM ({found}) AS found GROUP BY id")
    return statement.bindparams(**values).columns(id=Integer, score=Float).subquery("matched")


def _phrase_matches(
    dialect: str, phrase: Phrase, name: str, common: Mapping[str, float]
) -> tuple[str, dict[str, Any]]:
    """SQL for (id, score) of up to `phrase.limit` listings whose text has any of the group's
    phrases, with its parameters (named after `name`).

    SQLite scores with bm25 (negated: higher is better; bm25 adds up over phrases, so the sum
    over groups is the whole query's bm25). PostgreSQL counts the group's weight, and ts_rank
    orders the best of them later (see `ranked`). Its GIN index is asked for the words of a
    phrase in any order (a query with word order makes it re-read every row it finds) and a
    plain text test checks the order; that test also makes a common word cheap when the planner
    reads rows one by one instead, and is all a word SCAN_SHARE of listings say is asked for.
    """
    values: dict[str, Any] = {f"{name}w": -phrase.weight, f"{name}l": phrase.limit}
    if dialect == "sqlite":
        values[f"{name}q"] = " OR ".join(map(fts5_phrase, phrase.texts))
        bm25 = f"bm25({FULL_TEXT_TABLE}, {TITLE_RANK_WEIGHT}, 1.0)"
        return (
            f"SELECT rowid AS id, :{name}w * {bm25} AS score FROM {FULL_TEXT_TABLE} "
            f"WHERE {FULL_TEXT_TABLE} MATCH :{name}q LIMIT :{name}l",
            values,
        )
    values[f"{name}w"] = phrase.weight
    values[f"{name}b"] = phrase.weight * TITLE_SHARE
    values[f"{name}l"] = min(phrase.limit, POSTGRESQL_MATCH_LIMIT)
    values[f"{name}q"] = tsquery_text(phrase.texts, ordered=False)
    title = "substr(search_text, 1, strpos(search_text, ' | '))"
    in_text, in_title = [], []
    for number, said in enumerate(phrase.texts):
        values[f"{name}t{number}"] = f" {said} "
        in_text.append(f"strpos(search_text, :{name}t{number}) > 0")
        in_title.append(f"strpos({title}, :{name}t{number}) > 0")
    indexed = (
        f"to_tsvector({FULL_TEXT_CONFIG}, search_text) @@ to_tsquery({FULL_TEXT_CONFIG}, :{name}q)"
    )
    if len(phrase.texts) == 1 and common.get(phrase.texts[0], 0.0) >= SCAN_SHARE:
        indexed = "true"  # one common word (a phrase's own share is unknown: maybe rare)
        del values[f"{name}q"]
    return (
        f"SELECT id, CAST(:{name}w AS float) + CASE WHEN {' OR '.join(in_title)} "
        f"THEN CAST(:{name}b AS float) ELSE 0 END AS score FROM opportunity "
        f"WHERE {indexed} AND ({' OR '.join(in_text)}) LIMIT :{name}l",
        values,
    )


def ranked(
    dialect: str,
    phrases: Sequence[Phrase],
    clauses: Sequence[ColumnElement[bool]],
    limit: int,
    common: Mapping[str, float] | None = None,
) -> Select[tuple[int]]:
    """Ids of up to `limit` listings passing the clauses that say any of the phrases, best first
    by the engine's rank (bm25 on SQLite; matched weight, then ts_rank on PostgreSQL)."""
    found = matches(dialect, phrases, common)
    passing = select(found.c.id).join(Opportunity, Opportunity.id == found.c.id).where(*clauses)
    if dialect == "sqlite":
        return passing.order_by(found.c.score.desc(), found.c.id).limit(limit)
    best = (
        passing.add_columns(found.c.score, Opportunity.search_text)
        .order_by(found.c.score.desc(), found.c.id)
        .limit(max(limit, RANK_LIMIT))
        .subquery("best")
    )
    texts = [text for phrase in phrases for text in phrase.texts]
    query = func.to_tsquery(_CONFIG, tsquery_text(texts, ordered=True))
    rank = func.ts_rank(func.to_tsvector(_CONFIG, best.c.search_text), query)
    return select(best.c.id).order_by(best.c.score.desc(), rank.desc(), best.c.id).limit(limit)


def fts5_phrase(lemmas: str) -> str:
    """An FTS5 query for these lemmas one after another (quoted, so no word is an operator)."""
    return '"' + lemmas.replace('"', '""') + '"'


def tsquery_text(phrases: Iterable[str], *, ordered: bool) -> str:
    """A to_tsquery text: any of the phrases, each its words (one after another if `ordered`)."""
    join = " <-> " if ordered else " & "
    alternatives = []
    for phrase in phrases:
        lexemes = ["'" + word.replace("'", "''").replace("\\", "") + "'" for word in phrase.split()]
        if lexemes:
            alternatives.append("(" + join.join(lexemes) + ")")
    return " | ".join(alternatives)


def indexed_words(session: Session, words: Collection[str], rounds: int | None = None) -> set[str]:
    """Those of these single words that some listing's text says (the full-text vocabulary).

    SQLite reads its FTS5 vocabulary. PostgreSQL has none to read: `_said_words` asks its GIN
    index for listings saying any of the words and reads which they say (in at most `rounds`
    rounds: by default, enough to find them all), after setting aside the words its statistics
    list as common (`common_words`), which certainly exist.
    """
    wanted = sorted(set(words))
    if session.get_bind().dialect.name != "sqlite":
        common = set(wanted) & common_words(session).keys()
        left = [word for word in wanted if word not in common]
        return common | _said_words(session, left, len(left) if rounds is None else rounds)
    found: set[str] = set()
    term = _SQLITE_VOCABULARY.c.term
    for start in range(0, len(wanted), VOCABULARY_CHECK):
        batch = wanted[start : start + VOCABULARY_CHECK]
        found.update(session.connection().execute(select(term).where(term.in_(batch))).scalars())
    return found


def _said_words(session: Session, words: Sequence[str], rounds: int) -> set[str]:
    """PostgreSQL: which of these words listings say, a few listings' texts at a time.

    Each round reads VOCABULARY_SAMPLE listings that say any word not found yet: one GIN scan
    for all of them (a probe per word would read the index's pending list each time). A round
    finds at least one word; after `rounds` the rest count as unsaid. Few listings say any of
    them, but the planner cannot know it and, for a handful of rows, would rather read the
    listings in order: it is told not to.
    """
    found: set[str] = set()
    left = [word for word in words if word.strip()]
    with _index_only(session):
        for _round in range(rounds):
            if not left:
                break
            query = tsquery_text(left, ordered=False)
            texts = session.connection().execute(_POSTGRESQL_SAID, {"query": query}).scalars()
            said = {word for search_text in texts for word in search_text.split()} & set(left)
            if not said:
                break
            found |= said
            left = [word for word in left if word not in said]
    return found


@contextmanager
def _index_only(session: Session) -> Iterator[None]:
    """PostgreSQL: no sequential scans for the statements in the block (the transaction's
    setting is restored afterwards)."""
    connection = session.connection()
    before = connection.scalar(text("SELECT current_setting('enable_seqscan')"))
    connection.execute(text("SELECT set_config('enable_seqscan', 'off', true)"))
    try:
        yield
    finally:
        connection.execute(
            text("SELECT set_config('enable_seqscan', :before, true)"), {"before": before}
        )


def common_words(session: Session) -> Mapping[str, float]:
    """PostgreSQL: the lexemes ANALYZE found most common in the full-text index (up to ten times
    the statistics target) with the share of listings that say each, read at most every
    COMMON_WORDS_SECONDS per engine (empty on SQLite, or before the first ANALYZE)."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return {}
    engine = bind if isinstance(bind, Engine) else bind.engine
    now = time.monotonic()
    cached = _COMMON_WORDS.get(engine)
    if cached is not None and now - cached[0] < COMMON_WORDS_SECONDS:
        return cached[1]
    row = session.connection().execute(_POSTGRESQL_COMMON, {"index": FULL_TEXT_INDEX}).first()
    words, shares = (row[0] or [], row[1] or []) if row is not None else ([], [])
    found = dict(zip(words, shares[: len(words)], strict=True))
    _COMMON_WORDS[engine] = (now, found)
    return found


def near_misses(session: Session, words: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """For each word no listing says, the words listings do say that it is a typo of (same first
    letter, within knowledge.taxonomy.max_typos), closest first; words with none are left out."""
    checked = [word for word in dict.fromkeys(words) if max_typos(len(word)) > 0]
    if not checked:
        return {}
    said_already = indexed_words(session, checked)
    missing = [word for word in checked if word not in said_already]
    variants = {word: typo_variants(word) for word in missing}
    candidates = set().union(*variants.values())
    said = indexed_words(session, candidates, VOCABULARY_ROUNDS) if candidates else set()
    found = {}
    for word in missing:
        closest = sorted(
            variants[word] & said, key=lambda other: (OSA.distance(word, other), other)
        )
        if closest:
            found[word] = tuple(closest[:MAX_NEAR_MISSES])
    return found


def typo_variants(word: str) -> set[str]:
    """Every word within the typo budget of `word` that keeps its first letter (what
    knowledge.taxonomy.is_near_miss accepts): one edit of any kind, and for long words a second
    deletion or swap (the vocabulary is asked about each, so two arbitrary edits are too many)."""
    budget = max_typos(len(word))
    if budget == 0:
        return set()
    alphabet = string.ascii_lowercase + (string.digits if any(c.isdigit() for c in word) else "")
    found = _one_edit(word, alphabet)
    if budget > 1:
        found |= {twice for once in _cheap_edits(word) for twice in _cheap_edits(once)}
    found.discard(word)
    return {variant for variant in found if len(variant) > 1}


def _one_edit(word: str, alphabet: str) -> set[str]:
    """Deletions, swaps, replacements and insertions after the first letter."""
    found = _cheap_edits(word)
    for cut in range(1, len(word) + 1):
        head, tail = word[:cut], word[cut:]
        found.update(head + letter + tail for letter in alphabet)
        if tail:
            found.update(head + letter + tail[1:] for letter in alphabet)
    return found


def _cheap_edits(word: str) -> set[str]:
    """Deletions and swaps of adjacent letters after the first letter."""
    found = {word[:cut] + word[cut + 1 :] for cut in range(1, len(word))}
    found.update(
        word[:cut] + word[cut + 1] + word[cut] + word[cut + 2 :] for cut in range(1, len(word) - 1)
    )
    return found
