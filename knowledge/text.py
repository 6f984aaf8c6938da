"""Words as search compares them: one lazily built spaCy pipeline turns text into lemmas."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS

# A word is a run of letters and digits: hyphens, slashes and other punctuation separate words
# ("after-school" → after school). Two exceptions stay one word: "3-d" / "3 d" (→ 3d) and dotted
# abbreviations ("I.T." → it). One pass finds them all; the exceptions are cleaned afterwards.
_WORD = re.compile(r"\b[23]\s*-?\s*d\b|[^\W_]+(?:\.[^\W_]+)*")


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
    return [word if word.isalnum() else _joined(word) for word in _WORD.findall(fold(text))]


def _joined(word: str) -> str:
    """ "3 d" → "3d", "i.t" → "it"."""
    return word.replace(".", "") if "." in word else word[0] + "d"


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
    if word in _tokenizer_exceptions():  # "gonna" is two tokens: let the pipeline split it
        lemmatised: str = pipeline()(word)[0].lemma_
    else:  # what the lookup lemmatiser does for a one-token text, without building a Doc
        lemmatised = _lemma_table().get(word, word)
    return lemmatised if lemmatised.isalnum() else word


@lru_cache(maxsize=1)
def _lemma_table() -> Any:
    """The lookup lemmatiser's word → lemma table."""
    return pipeline().get_pipe("lemmatizer").lookups.get_table("lemma_lookup")


@lru_cache(maxsize=1)
def _tokenizer_exceptions() -> frozenset[str]:
    """Texts the tokenizer splits into several tokens despite having no space or punctuation."""
    return frozenset(pipeline().tokenizer.rules)


def lemmas(text: str) -> list[str]:
    """The lemma of every word in `text`, in order."""
    return [lemma(word) for word in words(text)]


def content_lemmas(text: str) -> list[str]:
    """Lemmas without stop words: the words that carry meaning for matching."""
    return list(_content_lemmas(text))


@lru_cache(maxsize=8192)
def _content_lemmas(text: str) -> tuple[str, ...]:
    """Cached: topic names, provider names and templated descriptions repeat across listings."""
    found = []
    known = _CONTENT_LEMMA
    for word in words(text):
        content = known.get(word)
        if content is None:
            if len(known) >= _CONTENT_LEMMA_LIMIT:
                known.clear()
            content = known[word] = "" if is_stop_word(word) else lemma(word)
        if content:
            found.append(content)
    return tuple(found)


# word → its lemma, or "" for a stop word: one dict lookup per word of a long description.
_CONTENT_LEMMA: dict[str, str] = {}
_CONTENT_LEMMA_LIMIT = 200_000
