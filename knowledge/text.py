"""Words as search compares them: each language's lookup lemmatiser (spaCy, offline) turns text
into lemmas; text in no language named is read as the source language (English)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS

from knowledge.locales import SOURCE_LANGUAGE, supported

# A word is a run of letters and digits: hyphens, slashes and other punctuation separate words
# ("after-school" → after school). Two exceptions stay one word: "3-d" / "3 d" (→ 3d) and dotted
# abbreviations ("I.T." → it). One pass finds them all; the exceptions are cleaned afterwards.
_WORD = re.compile(r"\b[23]\s*(?:-\s*)?d\b|[^\W_]+(?:\.[^\W_]+)*")  # not \s*-?\s*: quadratic


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
    if text.isascii() or not _CHANGED_BY_FOLDING.search(text):
        return text.lower()  # nothing to strip: the common case, and 20x faster
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.lower()))


def _inert(char: str) -> bool:
    """A character that lower-casing, NFKD and dropping combining marks all leave as it is."""
    return (
        char.lower() == char
        and unicodedata.normalize("NFKD", char) == char
        and not unicodedata.combining(char)
        and not _COMBINING.match(char)
    )


# Typographic punctuation that folding leaves alone (checked by _inert): text that has no other
# non-ASCII character (dashes and curly quotes are common in descriptions) folds by lower().
_INERT = "".join(filter(_inert, "–—‐‒―‘’‚‛“”„‟•‣′″«»¡¿°±×÷§¶©®€£¥¢"))
_CHANGED_BY_FOLDING = re.compile(f"[^\\x00-\\x7f{re.escape(_INERT)}]")


def words(text: str) -> list[str]:
    """Folded words with punctuation dropped: "3-D Printing, I.T." → ["3d", "printing", "it"]."""
    return [word if word.isalnum() else _joined(word) for word in _WORD.findall(fold(text))]


def _joined(word: str) -> str:
    """ "3 d" → "3d", "i.t" → "it"."""
    return word.replace(".", "") if "." in word else word[0] + "d"


def reading(language: str | None) -> str:
    """The language a text is lemmatised in: a supported one it names ('es-MX' → es), else the
    source language."""
    return supported(language) or SOURCE_LANGUAGE


def is_stop_word(word: str, language: str | None = None) -> bool:
    """Words too common to say anything about a listing ("the", "for", "it"; "de", "los"): in
    another language than the source one, its stop words and the source's (learners mix)."""
    if word in STOP_WORDS:
        return True
    chosen = reading(language)
    return chosen != SOURCE_LANGUAGE and word in _other_stop_words(chosen)


@lru_cache(maxsize=65536)
def lemma(word: str, language: str | None = None) -> str:
    """The dictionary form of one folded word ("classes" → "class", "clases" → "clase"); short
    and stop words as is. In another language, a word its table lacks is looked up in the source
    language's ("coding" in a Spanish sentence).

    The lookup lemmatiser ignores context, so lemmatising word by word gives the same result as
    lemmatising a sentence, and caching by word makes long texts cheap.
    """
    if len(word) <= 2 or is_stop_word(word, language) or not word.isalpha():
        return word
    chosen = reading(language)
    if chosen != SOURCE_LANGUAGE:
        found = _folded_lemma_table(chosen).get(word)
        if found is not None:
            return found if found.isalnum() else word
    if word in _tokenizer_exceptions():  # "gonna" is two tokens: let the pipeline split it
        lemmatised: str = pipeline()(word)[0].lemma_
    else:  # what the lookup lemmatiser does for a one-token text, without building a Doc
        lemmatised = _lemma_table().get(word, word)
    return lemmatised if lemmatised.isalnum() else word


@cache
def _other_stop_words(language: str) -> frozenset[str]:
    """A language's stop words, folded (none when spaCy does not know the language)."""
    from spacy.util import get_lang_class

    try:
        stop_words = get_lang_class(language).Defaults.stop_words
    except ImportError:
        return frozenset()
    return frozenset(fold(word) for word in stop_words)


@cache
def _folded_lemma_table(language: str) -> dict[str, str]:
    """A language's lookup table (spacy-lookups-data) with folded words and lemmas, as words()
    gives them ("línea" is looked up as "linea"); empty for a language it has no table for."""
    from spacy.util import load_language_data, registry

    try:
        table = load_language_data(registry.lookups.get(language)["lemma_lookup"])
    except (KeyError, ValueError, OSError):  # no table for it (RegistryError is a ValueError)
        return {}
    folded: dict[str, str] = {}
    for word, found in dict(table).items():
        folded.setdefault(fold(word), fold(found))
    return folded


def is_english_word(word: str) -> bool:
    """A word of the English dictionary ("short", "looking"): a learner who typed it meant it,
    so it is never read as a typo of another ("sport", "locking")."""
    return word in _dictionary_words()


@lru_cache(maxsize=1)
def _dictionary_words() -> frozenset[str]:
    """Every word form and lemma of the lookup lemmatiser's table."""
    table = _lemma_table()
    return frozenset(table) | frozenset(table.values())


@lru_cache(maxsize=1)
def _lemma_table() -> dict[str, str]:
    """The lookup lemmatiser's word → lemma table, read from the file its initialize() loads.

    A plain dict, without building the pipeline: that takes 0.6 s, a fifth of a 10,000-row import.
    """
    from spacy.util import load_language_data, registry

    return dict(load_language_data(registry.lookups.get("en")["lemma_lookup"]))


@lru_cache(maxsize=1)
def _tokenizer_exceptions() -> frozenset[str]:
    """Texts the tokenizer splits into several tokens despite having no space or punctuation.

    The English defaults the pipeline's tokenizer is built with (its `rules`), read without it.
    """
    from spacy.lang.en import English

    return frozenset(English.Defaults.tokenizer_exceptions)


def lemmas(text: str, language: str | None = None) -> list[str]:
    """The lemma of every word in `text`, in order."""
    return [lemma(word, language) for word in words(text)]


def content_lemmas(text: str, language: str | None = None) -> list[str]:
    """Lemmas without stop words: the words that carry meaning for matching."""
    return content_text(text, language).split()  # lemmas are letters and digits, never spaces


def content_text(text: str, language: str | None = None) -> str:
    """content_lemmas joined by single spaces, as search texts hold them, in the text's language."""
    chosen = reading(language)
    if chosen == SOURCE_LANGUAGE:
        return _source_content_text(text)
    return " ".join(_content_of(fold(text), chosen))


@lru_cache(maxsize=8192)
def _source_content_text(text: str) -> str:
    """content_lemmas joined by single spaces, as search texts hold them.

    Cached: topic names, provider names and templated descriptions repeat across listings. A
    word never spans a space except in "3 d", so text without one is read a space-separated
    chunk at a time, each chunk's lemmas remembered: long descriptions repeat the same chunks.
    """
    folded = fold(text)
    if _SPACED_3D.search(folded):
        return " ".join(_content_of(folded))
    chunks = folded.split()
    known = _CHUNK_LEMMAS
    try:  # every chunk seen before: the common case, one C-level pass
        return "".join(map(known.__getitem__, chunks))[1:]
    except KeyError:
        pass
    if len(known) + len(chunks) > _CHUNK_LEMMAS_LIMIT:
        known.clear()
    for chunk in chunks:
        if chunk not in known:
            known[chunk] = "".join(" " + word for word in _content_of(chunk))
    return "".join(map(known.__getitem__, chunks))[1:]


def _content_of(folded: str, language: str | None = None) -> tuple[str, ...]:
    """The lemmas of the words of folded text that are not stop words."""
    found = []
    for token in _WORD.findall(folded):
        word = token if token.isalnum() else _joined(token)
        content = "" if is_stop_word(word, language) else lemma(word, language)
        if content:
            found.append(content)
    return tuple(found)


# Where _WORD's "3 d" alternative could match, possibly across a space.
_SPACED_3D = re.compile(r"[23]\s*-?\s*d")

# space-separated chunk of folded text → its content lemmas, each after a space
_CHUNK_LEMMAS: dict[str, str] = {}
_CHUNK_LEMMAS_LIMIT = 200_000
