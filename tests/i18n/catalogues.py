"""Which words belong to which catalogue, found in the code; and keeping the ``.po`` files up to date.

    python3 dev.py i18n     # extract the words from code and templates, add new ones to every
                            # language's .po (untranslated), mark the ones no longer used

The tests (tests/i18n/test_catalogues.py) use the same extraction: a word in code that is not in
a catalogue, or a catalogue entry without a translation, fails the suite.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from retail.i18n import LANGUAGES, LOCALES, SOURCE_LANGUAGE

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}


@dataclass(frozen=True)
class Domain:
    name: str
    package: str  # where its locale/ folder lives
    folders: tuple[str, ...]  # where its words are used
    method_map: tuple[tuple[str, str], ...]


DOMAINS = {
    "web": Domain("web", "store_server", ("store_server",), (
        ("payments/sandbox/**", "ignore"),  # the gateway's stand-in, not Plaza's pages
        ("migrations/**", "ignore"),
        ("**.py", "python"),
        ("**/templates/**.html", "jinja2.ext:babel_extract"),
    )),
}


def extract(domain: Domain) -> Catalog:
    """The domain's words as the code and templates use them, with where they are used."""
    template = Catalog(domain=domain.name, project="Plaza", charset="utf-8")
    for folder in domain.folders:
        found = extract_from_dir(
            ROOT / folder, list(domain.method_map), {"**/templates/**.html": {"silent": "false"}},
            keywords=KEYWORDS, strip_comment_tags=True)
        for filename, lineno, message, comments, context in found:
            template.add(message, None, [(f"{folder}/{filename}", lineno)], auto_comments=comments,
                         context=context)
    return template


def po_path(domain: Domain, language: str) -> Path:
    return ROOT / domain.package / "locale" / language / "LC_MESSAGES" / f"{domain.name}.po"


def read(domain: Domain, language: str) -> Catalog:
    path = po_path(domain, language)
    if not path.exists():
        return Catalog(locale=LOCALES[language], domain=domain.name, project="Plaza")
    with path.open("rb") as handle:
        return read_po(handle, locale=LOCALES[language], domain=domain.name)


def update() -> None:
    """Bring every language's catalogue in line with the code (new words come untranslated)."""
    for domain in DOMAINS.values():
        template = extract(domain)
        for language in LANGUAGES:
            if language == SOURCE_LANGUAGE:
                continue
            catalogue = read(domain, language)
            catalogue.update(template, update_header_comment=False)
            catalogue.fuzzy = False
            catalogue.header_comment = (
                f"# Plaza's {domain.name} words in {language}: see docs/TRANSLATING.md.\n"
                "# The message ids are the English text; translate each msgstr.")
            catalogue.project, catalogue.version = "Plaza", ""
            catalogue.msgid_bugs_address = ""
            catalogue.last_translator = catalogue.language_team = "Plaza translators"
            path = po_path(domain, language)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as handle:
                write_po(handle, catalogue, width=100, omit_header=False, ignore_obsolete=True,
                         sort_by_file=True)
            missing = sum(1 for m in catalogue if m.id and not m.string)
            print(f"{path.relative_to(ROOT)}: {len(catalogue)} messages, {missing} to translate")


if __name__ == "__main__":
    if sys.argv[1:] != ["update"]:
        sys.exit(__doc__)
    update()
