"""Words people read, from gettext catalogues: one ``.po`` file per language and audience.

Each package keeps the catalogue of the words it shows, beside its code:
``<package>/locale/<language>/LC_MESSAGES/<domain>.po`` (``retail``: receipts; ``pos_client``:
till; ``store_server``: web pages). The message id is the English text, so English needs no
catalogue. The ``.po`` files are the only source: they are compiled in memory when first used
(Babel), so no compiled file is ever committed or left stale. A message missing from a
catalogue reads in English; the test suite fails on any such gap (docs/TRANSLATING.md).

Languages are Plaza's seven: a store's or a person's locale (``es_ES``, ``zh_CN``, ``pt_BR``)
picks its language with ``language_of``. Locale data (countries, units, dates, money) comes from
CLDR through Babel, never from these catalogues.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = ("en", "es", "zh", "ru", "pt", "de", "fr")
SOURCE_LANGUAGE = "en"
# The locale whose plural rules, scripts and formats a language's catalogue follows.
LOCALES = {"en": "en", "es": "es", "zh": "zh_Hans", "ru": "ru", "pt": "pt_BR", "de": "de", "fr": "fr"}


def language_of(tag: str | None, default: str = SOURCE_LANGUAGE) -> str:
    """Plaza's language for a locale or language tag: ``es_ES`` → es, ``zh-Hans-CN`` → zh."""
    if not tag:
        return default
    try:
        language = Locale.parse(tag.replace("-", "_")).language
    except (UnknownLocaleError, ValueError):
        language = tag.replace("-", "_").split("_")[0].lower()
    return language if language in LANGUAGES else default


def negotiate(accept_language: str | None, default: str = SOURCE_LANGUAGE) -> str:
    """The best of our languages for a browser's ``Accept-Language`` header."""
    if not accept_language:
        return default
    wanted = []
    for part in accept_language.split(","):
        tag, _, weight = part.strip().partition(";q=")
        try:
            q = float(weight) if weight else 1.0
        except ValueError:
            continue
        if tag and tag != "*":
            wanted.append((q, tag.strip()))
    for _q, tag in sorted(wanted, key=lambda w: -w[0]):
        language = language_of(tag, default="")
        if language:
            return language
    return default


def catalogue_file(package: str, domain: str, language: str) -> Any:
    return files(package) / "locale" / language / "LC_MESSAGES" / f"{domain}.po"


def read_catalogue(package: str, domain: str, language: str) -> Catalog:
    """The ``.po`` file as Babel reads it (empty for English, the source language)."""
    path = catalogue_file(package, domain, language)
    if language == SOURCE_LANGUAGE or not path.is_file():
        return Catalog(locale=LOCALES.get(language, SOURCE_LANGUAGE), domain=domain)
    with path.open("rb") as handle:
        return read_po(handle, locale=LOCALES[language], domain=domain)


@dataclass(frozen=True)
class Words:
    """One audience's words in one language: ``words("Total")``, ``words.ngettext(...)``.

    Values are filled in with ``%(name)s`` placeholders, after translation, so a translator
    may move them: ``words("%(count)s sales waiting", count=3)``.
    """

    language: str
    translations: NullTranslations

    def __call__(self, message: str, **values: Any) -> str:
        return self.gettext(message, **values)

    def gettext(self, message: str, **values: Any) -> str:
        text = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self.translations.ngettext(singular, plural, n)
        return text % {"num": n, **values}

    def pgettext(self, context: str, message: str, **values: Any) -> str:
        text = self.translations.pgettext(context, message)
        return text % values if values else text


@lru_cache(maxsize=64)
def words(package: str, domain: str, language: str) -> Words:
    """The words of ``domain`` (kept in ``package``) in ``language``; English for any other."""
    language = language if language in LANGUAGES else SOURCE_LANGUAGE
    catalogue = read_catalogue(package, domain, language)
    if language == SOURCE_LANGUAGE or not len(catalogue):
        return Words(language, NullTranslations())
    compiled = io.BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Words(language, Translations(compiled, domain=domain))


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Marks a word for the catalogue where it is defined; it is translated where it is shown."""
    return message
