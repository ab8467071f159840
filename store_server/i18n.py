"""The web pages' words (back office, product and receipt pages) in each reader's language.

Which language a page speaks: the signed-in manager's own choice, else what their browser
asks for (``Accept-Language``), else the store's. Templates call ``_("...")`` and
``ngettext(...)`` (Jinja's i18n extension, new style: ``_("%(n)s sales", n=3)``); views call
``gettext``. The words come from ``store_server/locale/<language>/LC_MESSAGES/web.po``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, request

from retail.i18n import LANGUAGES, SOURCE_LANGUAGE, Words, language_of, negotiate, words

DOMAIN = "web"
# How each language names itself, for the language menu.
LANGUAGE_NAMES = {"en": "English", "es": "Español", "zh": "中文", "ru": "Русский", "pt": "Português",
                  "de": "Deutsch", "fr": "Français"}


def web_words(language: str) -> Words:
    return words("store_server", DOMAIN, language)


def use_language(language: str) -> str:
    """Speak ``language`` for the rest of this request (a page for a store, a manager's choice)."""
    g.language = language if language in LANGUAGES else SOURCE_LANGUAGE
    return str(g.language)


def current_language() -> str:
    if not has_request_context():
        return SOURCE_LANGUAGE
    if "language" not in g:
        g.language = negotiate(request.headers.get("Accept-Language"))
    return str(g.language)


def browser_language(default: str) -> str:
    """What the reader's browser asks for, among our languages; ``default`` when it asks for none."""
    return negotiate(request.headers.get("Accept-Language"), default=default)


def gettext(message: str, **values: Any) -> str:
    return web_words(current_language()).gettext(message, **values)


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    return web_words(current_language()).ngettext(singular, plural, n, **values)


def pgettext(context: str, message: str, **values: Any) -> str:
    return web_words(current_language()).pgettext(context, message, **values)


def _translations() -> Any:
    return web_words(current_language()).translations


def init_app(app: Flask) -> None:
    """Templates get ``_``, ``gettext``, ``ngettext`` and ``pgettext`` in the request's language.

    Jinja fills in the values itself (escaping them), so it gets the bare catalogue lookups.
    """
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: _translations().gettext(message),
        ngettext=lambda singular, plural, n: _translations().ngettext(singular, plural, n),
        pgettext=lambda context, message: _translations().pgettext(context, message),
        newstyle=True)
    app.jinja_env.globals.update(current_language=current_language, language_names=LANGUAGE_NAMES,
                                 language_of=language_of)
