"""The words on the receipt: one reason per discount, in the store's language.

A rule's own name wins (``{"es": "30% en todo", "zh": "全场7折"}``), looked up by the exact locale
and then by its language. Where the manager wrote no name in that language we describe the offer
ourselves in Spanish, Chinese, Russian or English ("3x2", "买2送1", "3 по цене 2", "3 for 2")
rather than print another language's name; only for other languages do we fall back to the English
name, any name, and finally the rule's id. Chinese percent-offs are written as 折 (30% off is
7折), as shoppers there read them.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal

from retail.money import Money
from retail.promotions.rules import (
    AmountOff,
    Bundle,
    Giveaway,
    MemberPrice,
    MultiBuy,
    NthItemOff,
    Offer,
    PercentOff,
    Rule,
)

DESCRIBED_LANGUAGES = ("es", "zh", "ru", "en")


def language_of(locale: str) -> str:
    return locale.replace("-", "_").split("_")[0].lower()


def reason_for(rule: Rule, locale: str) -> str:
    """The shopper-facing text for ``rule`` in ``locale`` (never empty)."""
    names = {key.replace("-", "_").lower(): text for key, text in rule.name.items() if text.strip()}
    wanted = locale.replace("-", "_").lower()
    language = language_of(locale)
    for key in (wanted, language):
        if key in names:
            return names[key]
    for key in sorted(names):
        if language_of(key) == language:
            return names[key]  # es_MX's name serves an es_ES store better than a description
    if language in DESCRIBED_LANGUAGES:
        return describe(rule.offer, locale)
    for key in ("en", *sorted(names)):
        if key in names:
            return names[key]
    return describe(rule.offer, "en")


def describe(offer: Offer, locale: str) -> str:
    """A plain description of an offer in es, zh, ru or en (others get English)."""
    language = language_of(locale)
    if language not in DESCRIBED_LANGUAGES:
        language, locale = "en", "en"
    if isinstance(offer, PercentOff):
        return _percent_text(offer.percent, language, locale)
    if isinstance(offer, AmountOff):
        amount = _money(offer.amount, locale)
        each = ""
        if offer.per_item:
            each = {"es": " por unidad", "zh": "/件", "ru": " за штуку", "en": " each"}[language]
        return {"es": f"{amount}{each} de descuento", "zh": f"立减{amount}{each}",
                "ru": f"Скидка {amount}{each}", "en": f"{amount} off{each}"}[language]
    if isinstance(offer, MultiBuy):
        free = offer.buy - offer.pay
        return {"es": f"{offer.buy}x{offer.pay}", "zh": f"买{offer.pay}送{free}",
                "ru": f"{offer.buy} по цене {offer.pay}", "en": f"{offer.buy} for {offer.pay}"}[language]
    if isinstance(offer, NthItemOff):
        return _nth_text(offer, language, locale)
    if isinstance(offer, Bundle):
        return {"es": "Precio pack", "zh": "组合优惠价", "ru": "Цена комплекта",
                "en": "Bundle price"}[language]
    if isinstance(offer, MemberPrice):
        return {"es": "Precio socio", "zh": "会员价", "ru": "Цена для участников клуба",
                "en": "Member price"}[language]
    assert isinstance(offer, Giveaway)
    return {"es": "Regalo", "zh": "赠品", "ru": "Подарок", "en": "Free gift"}[language]


def _number(value: Decimal, locale: str) -> str:
    return format_decimal(value.normalize(), locale=locale)


def _money(amount: Money, locale: str) -> str:
    # Babel separates amount and symbol with no-break spaces; receipts and tests want plain ones.
    return amount.format(locale).replace("\xa0", " ").replace("\u202f", " ")


def _percent_text(percent: Decimal, language: str, locale: str) -> str:
    if language == "zh":
        return "免费" if percent == 100 else f"{_fold(percent)}折"
    p = _number(percent, locale)
    return {"es": f"{p}% de descuento", "ru": f"Скидка {p}%", "en": f"{p}% off"}[language]


def _fold(percent: Decimal) -> str:
    """30% off is 7折 (you pay seven tenths), 15% off is 8.5折."""
    return f"{((100 - percent) / 10).normalize():f}"


def _nth_text(offer: NthItemOff, language: str, locale: str) -> str:
    n, free = offer.nth, offer.percent == 100
    if language == "es":
        return f"{n}ª unidad gratis" if free else f"{n}ª unidad al {_number(offer.percent, locale)}%"
    if language == "zh":
        return f"第{n}件免费" if free else f"第{n}件{_fold(offer.percent)}折"
    if language == "ru":
        if free:
            return f"{n}-й товар в подарок"
        return f"Скидка {_number(offer.percent, locale)}% на {n}-й товар"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} item free" if free else f"{n}{suffix} item {_number(offer.percent, locale)}% off"
