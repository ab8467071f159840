"""Every word a person reads is in the catalogues, translated into every language, and the
pages that use them speak each language through and through."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.messages.catalog import Catalog

from retail.i18n import LANGUAGES, SOURCE_LANGUAGE
from tests.i18n.catalogues import DOMAINS, Domain, extract, read

TRANSLATED = [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE]
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _ids(catalogue: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}


@pytest.fixture(scope="module", params=sorted(DOMAINS))
def domain(request: pytest.FixtureRequest) -> tuple[Domain, Catalog]:
    found = DOMAINS[request.param]
    return found, extract(found)


def test_every_word_in_the_code_is_in_every_catalogue(domain: tuple[Domain, Catalog]) -> None:
    spec, in_code = domain
    for language in TRANSLATED:
        catalogue = _ids(read(spec, language))
        missing = sorted(_ids(in_code) - catalogue)
        assert missing == [], (f"{spec.name}/{language}: not in the catalogue (run `python3 dev.py i18n` "
                               f"and translate): {missing[:10]}")
        unused = sorted(catalogue - _ids(in_code))
        assert unused == [], f"{spec.name}/{language}: no longer used by the code: {unused[:10]}"


def test_every_message_is_translated_in_every_language(domain: tuple[Domain, Catalog]) -> None:
    spec, _ = domain
    for language in TRANSLATED:
        catalogue = read(spec, language)
        plurals = catalogue.num_plurals
        for message in catalogue:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings) and not message.fuzzy, f"{spec.name}/{language}: {message.id!r} untranslated"
            if isinstance(message.id, tuple):
                assert len(strings) == plurals, f"{language}: {message.id[0]!r} needs {plurals} forms"
            wanted = set(_PLACEHOLDER.findall(message.id if isinstance(message.id, str) else message.id[1]))
            for text in strings:
                assert set(_PLACEHOLDER.findall(text)) == wanted, (
                    f"{spec.name}/{language}: {message.id!r} must keep its placeholders {sorted(wanted)}")


class _Text(HTMLParser):
    """A page's visible words (and its attribute texts people read: titles, placeholders)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        self.parts += [v for k, v in attrs if k in ("placeholder", "aria-label") and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    reader = _Text()
    reader.feed(html)
    return " ".join(" ".join(reader.parts).split())


def english_left(html: str, domain: Domain, language: str) -> list[str]:
    """The catalogue's English phrases still on a page rendered in ``language`` (those the
    language writes differently), checked word by word against the catalogue."""
    catalogue = read(domain, language)
    text = visible_text(html)
    # The translations themselves go first: Spanish "Stock de seguridad" is not English "Stock".
    translations = {part.strip() for m in catalogue if m.id
                    for s in (m.string if isinstance(m.string, tuple) else (m.string,))
                    for part in _PLACEHOLDER.split(s) if len(part.strip()) >= 3}
    for translated in sorted(translations, key=len, reverse=True):
        text = text.replace(translated, " | ")
    left = []
    for message in catalogue:
        if not message.id or not isinstance(message.id, str) or message.string == message.id:
            continue
        phrase = _PLACEHOLDER.split(message.id)[0].strip(" .:;,")
        if len(phrase) >= 3 and re.search(rf"(?<![\w]){re.escape(phrase)}(?![\w])", text):
            left.append(phrase)
    return left
