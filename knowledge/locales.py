"""The languages learners can chat in: each is a folder of `locales/` holding its texts as data,
so a city adds one by translating files (docs/languages.md), never by editing Python."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SOURCE_LANGUAGE = "en"  # what the domain, the gateway and the code are written in; the fallback
_CODE = re.compile(r"^[a-z]{2,3}$")


class LocaleError(ValueError):
    """A locale folder or file that cannot be used (a missing key, a bad YAML file)."""


def locales_dir() -> Path:
    """`locales/` beside the source tree (a checkout, an editable install) or in the working
    directory (the Docker images copy it to /app/locales)."""
    beside = Path(__file__).resolve().parent.parent / "locales"
    return beside if beside.is_dir() else Path.cwd() / "locales"


@dataclass(frozen=True)
class Language:
    """One language learners can chat in."""

    code: str  # ISO 639-1 where one exists, else ISO 639-3 (the folder's name)
    name: str  # in English, for organisers and logs
    native_name: str  # in itself, for the learner's language buttons


@cache
def supported_languages() -> tuple[Language, ...]:
    """Every language with a folder in locales/, the source language first."""
    found = []
    for folder in sorted(locales_dir().iterdir()):
        info = folder / "language.yml"
        if not folder.is_dir() or not info.is_file():
            continue
        data = _read(info)
        code = str(data.get("code", ""))
        if code != folder.name or not _CODE.match(code):
            raise LocaleError(f"{info}: code must be the folder's name, a language code")
        found.append(
            Language(code, str(data.get("name", code)), str(data.get("native_name", code)))
        )
    found.sort(key=lambda language: language.code != SOURCE_LANGUAGE)
    if not found or found[0].code != SOURCE_LANGUAGE:
        raise LocaleError(f"{locales_dir()}: no folder for the source language {SOURCE_LANGUAGE}")
    return tuple(found)


@cache
def supported_codes() -> tuple[str, ...]:
    """The codes of every supported language, the source language first."""
    return tuple(language.code for language in supported_languages())


def supported(code: str | None) -> str | None:
    """The supported language a tag names ('es-MX', 'ES', 'spa'?) or None: only the primary
    subtag counts, as a browser's or Telegram's language tag carries a region."""
    if not code:
        return None
    primary = re.split(r"[-_]", str(code).strip().lower(), maxsplit=1)[0]
    return primary if primary in supported_codes() else None


@cache
def book(language: str, name: str) -> dict[str, Any]:
    """locales/<language>/<name>.yml as a mapping ({} when that language has no such file)."""
    path = locales_dir() / language / f"{name}.yml"
    if not path.is_file():
        return {}
    data = _read(path)
    if not isinstance(data, dict):
        raise LocaleError(f"{path}: expected a mapping of keys to texts")
    return data


def text(language: str | None, name: str, key: str, /, **values: Any) -> str:
    """One text of a book in the learner's language, else the source language's, with its
    {placeholders} filled in; a key missing from the source language fails loudly."""
    chosen = supported(language) or SOURCE_LANGUAGE
    found = book(chosen, name).get(key)
    if found is None:
        found = book(SOURCE_LANGUAGE, name).get(key)
    if found is None:
        raise LocaleError(f"locales/{SOURCE_LANGUAGE}/{name}.yml has no text {key!r}")
    return str(found).format(**values) if values else str(found)


def babel_locale(language: str | None, city_locale: str) -> str:
    """The Babel locale to format dates, times and money for a learner: their language in the
    city's region ('es' in a city whose locale is en_US → es_US), else the bare language."""
    from babel import Locale, UnknownLocaleError

    chosen = supported(language) or SOURCE_LANGUAGE
    region = city_locale.partition("_")[2]
    for candidate in (f"{chosen}_{region}" if region else "", chosen):
        if not candidate:
            continue
        try:
            Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
        return candidate
    return SOURCE_LANGUAGE


def _read(path: Path) -> Any:
    """A YAML file, with its path in the error when it is not valid YAML."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise LocaleError(f"{path}: not valid YAML ({error})") from error
