"""Words as search compares them: one lazily built spaCy pipeline turns text into lemmas."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS

# Hyphens and slashes join words people also write apart ("after-school", "hip-hop"), so they
# become spaces; "3-d" is the one common exception that must stay a single word.
_JOINERS = re.compile(r"(?<=\w)[-‐‑–—/](?=\w)")
_THREE_D = re.compile(r"\b([23])\s*-?\s*d\b")
_INNER_DOTS = re.compile(r"(?<=\w)\.(?=\w)")
_NOT_WORD = re.compile(r"[^\w\s]+")
# Combining marks (accents, Arabic harakat, …) left over once NFKD has split letters from them.
_COMBINING = re.compile("[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f"
                        "\u0670\u06d6-\u06ed\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff"
                        "\ufe20-\ufe2f]+")  # fmt: skip


@lru_cache(maxsize=1)
def pipeline() -> Any:
    """The English lookup-lemmatiser pipeline (offline, from spacy-lookups-data), built once."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def fold(text: str) -> str:
    """Lower-case without accents, so "Español" and "espanol" compare equal."""
    if text.isascii():
        return text.lower()  # nothing to strip: the common case, and 20x faster
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.lower()))


def words(text: str) -> list[str]:
    """Folded words with punctuation dropped: "3-D Printing, I.T." → ["3d", "printing", "it"]."""
    folded = _THREE_D.sub(r"\1d", fold(text))
    folded = _INNER_DOTS.sub("", folded)
    return _NOT_WORD.sub(" ", _JOINERS.sub(" ", folded)).replace("_", " ").split()


def is_stop_word(word: str) -> bool:
    """Words too common to say anything about a listing ("the", "for", "it")."""
    return word in STOP_WORDS


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """The dictionary form of one folded word ("classes" → "class"); short and stop words as is.

    The lookup lemmatiser ignores context, so lemmatising word by word gives the same result as
    lemmatising a sentence, and caching by word makes long texts cheap.
    """
    if len(word) <= 2 or is_stop_word(word) or not word.isalpha():
        return word
    lemmatised: str = pipeline()(word)[0].lemma_
    return lemmatised if lemmatised.isalnum() else word


def lemmas(text: str) -> list[str]:
    """The lemma of every word in `text`, in order."""
    return [lemma(word) for word in words(text)]


def content_lemmas(text: str) -> list[str]:
    """Lemmas without stop words: the words that carry meaning for matching."""
    return list(_content_lemmas(text))


@lru_cache(maxsize=8192)
def _content_lemmas(text: str) -> tuple[str, ...]:
    """Cached: topic names, provider names and templated descriptions repeat across listings."""
    return tuple(lemma(word) for word in words(text) if not is_stop_word(word))
