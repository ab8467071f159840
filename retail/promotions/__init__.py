"""Promotions: the pure engine the server and the tills share, so both price a basket identically.

``evaluate(basket, rules, context)`` returns ``retail.pricing.DiscountInput``s for
``price_order`` (line-level where a rule targets lines, order-level for an amount off the whole
order), each with the rule's id as ``code`` and one reason in the store's language, plus what
every rule did or why it did not apply, the coupons used, and the giveaways the basket qualifies
for. No I/O; same inputs, same output. docs/PROMOTIONS.md has the JSON shape of a rule.

Rounding. A percentage is taken per line from what is left of the line, exactly, and rounded
half up to the currency's minor unit (ISO 4217 through Babel: cents for EUR, fen for CNY,
kopecks for RUB, whole yen for JPY). So 30% of 0.99 € is 0.30 €, 15% of ¥1,999 (JPY) is ¥300,
and a 10% on ¥15 gives ¥2. Rounding per line keeps each discount on its line's tax rate; the sum
may differ by a minor unit per line from a percentage of the total, as on any itemised receipt.
Multi-buy and nth-item discounts round the same way; amounts spread over several lines (an
amount off a category, a bundle's saving) are split by largest remainder, so they add up.

Stacking. Among the rules that would give something on their own, the engine compares every
``exclusive`` rule alone with the best combination of the ``combinable`` ones and keeps whichever
saves the shopper most; ties go to the higher priority, then fewer rules, then rule ids. In a
combination, line offers apply before amounts off the whole order, then higher priority first,
then id; each takes from what earlier ones left, so no line ever goes below zero. A minimum spend
is measured on the rule's target (the whole basket by default) after the discounts applied
before it.

Quantity deals. Multi-buys ("3 for 2") and nth-item deals ("second at half price") pool the
targeted pieces across lines; the discounted pieces are the cheapest ones, and the deal claims the
cheapest groups of pieces so a piece serves one quantity deal (or bundle) only. Weighed goods never
count towards multi-buys or bundles.

Giveaways are not discounts: the engine says which gift a basket qualifies for (minimum spend
measured after all discounts) in ``giveaway_candidates``; only the server grants them, counting to
the limit (docs/ARCHITECTURE.md, promise 7). Coupons: ``used_coupons`` lists the codes that unlocked an
applied discount; counting single-use coupons is the server's job.
"""

from __future__ import annotations

from retail.promotions.engine import (
    AppliedRule,
    BasketLine,
    Context,
    Evaluation,
    GiveawayCandidate,
    NotApplied,
    evaluate,
    line_inputs,
    percent_of,
    price_basket,
)
from retail.promotions.reasons import describe, reason_for
from retail.promotions.rules import (
    CHANNELS,
    AmountOff,
    Bundle,
    Giveaway,
    MemberPrice,
    MultiBuy,
    NthItemOff,
    Offer,
    PercentOff,
    PromotionError,
    Rule,
    Target,
)
from retail.promotions.windows import local_instant, window_instants

__all__ = [
    "CHANNELS",
    "AmountOff",
    "AppliedRule",
    "BasketLine",
    "Bundle",
    "Context",
    "Evaluation",
    "Giveaway",
    "GiveawayCandidate",
    "MemberPrice",
    "MultiBuy",
    "NotApplied",
    "NthItemOff",
    "Offer",
    "PercentOff",
    "PromotionError",
    "Rule",
    "Target",
    "describe",
    "evaluate",
    "line_inputs",
    "local_instant",
    "percent_of",
    "price_basket",
    "reason_for",
    "window_instants",
]
