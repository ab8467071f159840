"""Evaluating promotions on a basket: which rules apply, what each takes off, and why.

``evaluate`` is pure and deterministic; the server and the tills (offline) call it with the same
rules and get the same discounts, which they hand to ``retail.pricing.price_order``. See the
package docstring for the rules of the game (stacking, rounding, windows).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from retail.money import Money, currency_exponent
from retail.pricing import DiscountInput, LineInput, PricedOrder, line_amount, price_order
from retail.promotions.rules import (
    CHANNELS,
    QUANTITY_DEALS,
    AmountOff,
    Bundle,
    Giveaway,
    MemberPrice,
    MultiBuy,
    NthItemOff,
    PercentOff,
    PromotionError,
    Rule,
    Target,
)
from retail.promotions.windows import store_zone, why_not_on
from retail.tax import TaxRegime

# Up to this many combinable rules that interact (minimum spends, several quantity deals), every
# subset is tried; above it a deterministic local search (a till must answer within a scan).
EXHAUSTIVE_LIMIT = 10
SEARCH_BUDGET = 200  # runs the local search may make, so a pathological rule set cannot stall a till


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BasketLine:
    """A line of the basket as the engine sees it; its index is the line's index in ``price_order``."""

    sku: str
    quantity: int  # pieces, or grams when sold by weight
    unit_price: Money  # per piece, or per kilogram when sold by weight
    category: str = ""
    brand: str = ""
    sold_by: Literal["unit", "weight"] = "unit"
    tax_class: str = "standard"

    def __post_init__(self) -> None:
        if self.sold_by not in ("unit", "weight"):
            raise PromotionError(f"{self.sku}: sold_by is 'unit' or 'weight', not {self.sold_by!r}")

    @property
    def weighed(self) -> bool:
        return self.sold_by == "weight"

    def to_line_input(self) -> LineInput:
        return LineInput(self.sku, self.quantity, self.unit_price, self.tax_class, self.sold_by)


@dataclass(frozen=True)
class Context:
    """Where and when the basket is priced, and for whom."""

    at: datetime  # aware: the moment of the sale (the till's clock when offline)
    timezone: str  # the store's IANA zone; windows are read in it
    location: str = ""  # the store's code, e.g. MAD-XANADU
    channel: str = "pos"  # pos, kiosk or online
    is_member: bool = False
    coupon_codes: tuple[str, ...] = ()
    locale: str = "en"  # the store's language: reasons are written in it

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise PromotionError("the moment of a sale must be timezone-aware")
        if self.channel not in CHANNELS:
            raise PromotionError(f"channel must be one of {', '.join(CHANNELS)}, not {self.channel!r}")
        object.__setattr__(self, "coupon_codes", tuple(self.coupon_codes))
        store_zone(self.timezone)


# --- outputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppliedRule:
    """What one rule did to this basket."""

    rule_id: str
    kind: str
    reason: str  # the shopper-facing text, in the context's locale
    amount: Money  # everything this rule took off
    lines: tuple[int, ...]  # basket lines it discounted; empty for an order-level discount
    coupon_code: str | None
    detail: str  # for the back office: how the amount came about


@dataclass(frozen=True)
class NotApplied:
    """A rule that gave nothing, with a stable ``code`` and an explanation for people."""

    rule_id: str
    code: str  # disabled, not_started, ended, outside_hours, wrong_day, location, channel,
    # members_only, coupon_missing, currency, no_matching_items, not_enough_items, min_spend,
    # no_saving, not_best
    detail: str


@dataclass(frozen=True)
class GiveawayCandidate:
    """A gift this basket qualifies for; only the server may grant it (it counts to ``limit``)."""

    rule_id: str
    gift_sku: str
    limit: int
    limit_per: str
    reason: str
    coupon_code: str | None


@dataclass(frozen=True)
class Evaluation:
    """All the engine decided about one basket: for ``price_order``, the receipt and the back office."""

    currency: str
    discounts: tuple[DiscountInput, ...]  # in order, for ``price_order``
    applied: tuple[AppliedRule, ...]
    not_applied: tuple[NotApplied, ...]
    used_coupons: tuple[str, ...]  # the rules' spelling of each coupon that unlocked a discount
    unused_coupons: tuple[str, ...]  # presented but unlocking nothing (unknown, or beaten)
    giveaway_candidates: tuple[GiveawayCandidate, ...]
    total_discount: Money
    line_discounts: tuple[Money, ...] = ()  # per basket line, order-level shares included

    def why_not(self, rule_id: str) -> NotApplied | None:
        return next((n for n in self.not_applied if n.rule_id == rule_id), None)


# --- arithmetic -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _fraction_of_100(percent: Decimal | Fraction | int) -> tuple[int, int]:
    """``percent / 100`` as an exact (numerator, denominator) pair of integers."""
    ratio = Fraction(percent) / 100
    return ratio.numerator, ratio.denominator


def _half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (non-negative) rounded half up: the documented rounding."""
    return (2 * numerator + denominator) // (2 * denominator)


def percent_of(amount: int, percent: Decimal | Fraction | int) -> int:
    """``percent``% of ``amount`` minor units, rounded half up to the minor unit."""
    n, d = _fraction_of_100(percent)
    return _half_up(amount * n, d)


def _allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` by ``weights`` exactly as ``Money.allocate`` does (largest remainder).

    ``price_order`` spreads an order discount with ``Money.allocate``; doing the very same split
    here keeps our view of every line identical to the priced order's (a property test checks
    it), with plain integers because a till evaluates many combinations per scan.
    """
    total = sum(weights)
    shares = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (amount * weights[i]) % total, reverse=True)
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return shares


@dataclass
class _State:
    """The basket as a sequence of rules leaves it: what is left to pay per line, pieces claimed."""

    remaining: list[int]
    claimed: list[int]  # pieces already used by a multi-buy, nth-item or bundle

    def copy(self) -> _State:
        return _State(list(self.remaining), list(self.claimed))

    def take(self, parts: Sequence[tuple[int | None, int]]) -> None:
        for line, amount in parts:
            if line is not None:
                self.remaining[line] -= amount
            elif amount:
                # An order discount comes off every line in proportion to what is left of it.
                for i, share in enumerate(_allocate(amount, self.remaining)):
                    self.remaining[i] -= share


@dataclass(frozen=True)
class _Grant:
    rule: Rule
    parts: tuple[tuple[int | None, int], ...]  # (line or None for the order, minor units)
    detail: str

    @property
    def total(self) -> int:
        return sum(amount for _, amount in self.parts)


class _Nothing(Exception):  # noqa: N818 - a control-flow signal carrying the why, not an error
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


# --- the offers -----------------------------------------------------------------------------


class _Pricer:
    """Applies offers to one basket; every method returns a grant or raises _Nothing saying why."""

    def __init__(self, lines: Sequence[BasketLine], currency: str) -> None:
        self.lines = list(lines)
        self.currency = currency
        self.exponent = currency_exponent(currency)
        self.gross = [line_amount(line.to_line_input()).amount for line in self.lines]
        self._targets: dict[Target, tuple[int, ...]] = {}

    def show(self, amount: int) -> str:
        # Money's own text ("12.50 EUR") without building Money objects in the inner loop.
        return f"{Decimal(amount).scaleb(-self.exponent):f} {self.currency}"

    def targeted(self, target: Target) -> tuple[int, ...]:
        """Indexes of the lines ``target`` covers (cached: many combinations ask the same)."""
        if target not in self._targets:
            self._targets[target] = tuple(i for i, line in enumerate(self.lines)
                                          if target.matches(line.sku, line.category, line.brand))
        return self._targets[target]

    def matching(self, target: Target, state: _State) -> list[int]:
        found = [i for i in self.targeted(target) if state.remaining[i] > 0]
        if not found:
            raise _Nothing("no_matching_items", f"nothing left in the basket matches {_target_text(target)}")
        return found

    def spend(self, target: Target, state: _State) -> int:
        return sum(state.remaining[i] for i in self.targeted(target))

    def apply(self, rule: Rule, state: _State) -> _Grant:
        """What ``rule`` gives on ``state``; updates the pieces it claims in ``state``."""
        offer = rule.offer
        if rule.min_spend is not None:
            spent = self.spend(rule.target, state)
            if spent < rule.min_spend.amount:
                raise _Nothing("min_spend", f"needs {rule.min_spend} on {_target_text(rule.target)}, "
                                            f"there is {self.show(spent)}")
        if isinstance(offer, PercentOff):
            return self.percent_off(rule, offer.target, offer.percent, state)
        if isinstance(offer, AmountOff):
            return self.amount_off(rule, offer, state)
        if isinstance(offer, MultiBuy):
            return self.cheapest_pieces(rule, offer.target, offer.buy, offer.buy - offer.pay, 100, state)
        if isinstance(offer, NthItemOff):
            return self.cheapest_pieces(rule, offer.target, offer.nth, 1, offer.percent, state)
        if isinstance(offer, Bundle):
            return self.bundle(rule, offer, state)
        if isinstance(offer, MemberPrice):
            if offer.percent is not None:
                return self.percent_off(rule, offer.target, offer.percent, state)
            return self.member_price(rule, offer, state)
        raise AssertionError(f"giveaways are not discounts: {rule.id}")

    def percent_off(self, rule: Rule, target: Target, percent: Decimal, state: _State) -> _Grant:
        # Per line, so each discount sits on its line's tax rate; rounding is per line too.
        parts = [(i, percent_of(state.remaining[i], percent)) for i in self.matching(target, state)]
        return self.grant(rule, parts, f"{percent}% off {len(parts)} line(s)")

    def amount_off(self, rule: Rule, offer: AmountOff, state: _State) -> _Grant:
        if offer.per_item:
            pieces = [i for i in self.matching(offer.target, state) if not self.lines[i].weighed]
            if not pieces:
                raise _Nothing("no_matching_items", "an amount off per item skips weighed goods")
            parts = [(i, min(offer.amount.amount * self.lines[i].quantity, state.remaining[i]))
                     for i in pieces]
            return self.grant(rule, parts, f"{offer.amount} off each piece on {len(parts)} line(s)")
        if offer.target.is_order:
            left = sum(state.remaining)
            if left <= 0:
                raise _Nothing("no_matching_items", "nothing left to discount")
            return self.grant(rule, [(None, min(offer.amount.amount, left))], f"{offer.amount} off the order")
        lines = self.matching(offer.target, state)
        weights = [state.remaining[i] for i in lines]
        amount = min(offer.amount.amount, sum(weights))
        parts = list(zip(lines, _allocate(amount, weights), strict=True))
        return self.grant(rule, parts, f"{offer.amount} off {_target_text(offer.target)}, "
                                       f"spread over {len(lines)} line(s) by value")

    def cheapest_pieces(self, rule: Rule, target: Target, group: int, per_group: int,
                        percent: Decimal | int, state: _State) -> _Grant:
        """Multi-buys and nth-item deals: in every ``group`` pieces, ``per_group`` go at ``percent`` off.

        The discounted pieces are the cheapest of all the targeted pieces, and the deal claims the
        cheapest ``groups × group`` pieces, leaving the dearest ones free for other deals. A piece's
        value is what is left of its line divided by the line's quantity.
        """
        lines = [i for i in self.matching(target, state) if not self.lines[i].weighed]
        free = {i: self.lines[i].quantity - state.claimed[i] for i in lines}
        pieces = sum(free.values())
        groups = pieces // group
        if groups == 0:
            raise _Nothing("not_enough_items", f"needs {group} pieces of {_target_text(target)}, "
                                               f"there are {pieces} (weighed goods never count)")
        by_value = sorted((i for i in lines if free[i] > 0),
                          key=lambda i: (Fraction(state.remaining[i], self.lines[i].quantity), i))
        n, d = _fraction_of_100(percent)
        to_discount, to_claim = groups * per_group, groups * group
        parts = []
        for i in by_value:
            taken = min(free[i], to_discount)
            if taken:
                parts.append((i, _half_up(state.remaining[i] * taken * n, self.lines[i].quantity * d)))
            claim = min(free[i], to_claim)
            state.claimed[i] += claim
            to_discount -= taken
            to_claim -= claim
        what = "free" if percent == 100 else f"at {percent}% off"
        return self.grant(rule, parts, f"{groups * per_group} of {pieces} pieces {what} (the cheapest)")

    def bundle(self, rule: Rule, offer: Bundle, state: _State) -> _Grant:
        needed = Counter(offer.skus)
        available: dict[str, list[int]] = {}
        for sku in sorted(needed):
            available[sku] = [i for i in self.targeted(Target("skus", (sku,)))
                              if not self.lines[i].weighed and state.remaining[i] > 0
                              and self.lines[i].quantity > state.claimed[i]]
        counts = {sku: sum(self.lines[i].quantity - state.claimed[i] for i in available[sku])
                  for sku in needed}
        sets = min(counts[sku] // needed[sku] for sku in sorted(needed))
        if sets == 0:
            missing = [sku for sku in sorted(needed) if counts[sku] < needed[sku]]
            raise _Nothing("not_enough_items", f"the bundle also needs {', '.join(missing)}")
        used: dict[int, int] = {}
        for sku in sorted(needed):
            wanted = sets * needed[sku]
            for i in available[sku]:
                take = min(self.lines[i].quantity - state.claimed[i], wanted)
                used[i] = used.get(i, 0) + take
                wanted -= take
        lines = sorted(used)
        values = [_half_up(state.remaining[i] * used[i], self.lines[i].quantity) for i in lines]
        saving = sum(values) - sets * offer.price.amount
        if saving <= 0:
            raise _Nothing("no_saving", f"the items already cost {self.show(sum(values))}, "
                                        f"no more than {sets} × {offer.price}")
        for i in lines:
            state.claimed[i] += used[i]
        parts = list(zip(lines, _allocate(saving, values), strict=True))
        return self.grant(rule, parts, f"{sets} bundle(s) at {offer.price}")

    def member_price(self, rule: Rule, offer: MemberPrice, state: _State) -> _Grant:
        assert offer.price is not None
        parts = []
        for i in self.matching(offer.target, state):
            line = self.lines[i]
            if line.weighed:  # the member price is per kilogram, rounded as price_order rounds weights
                price = _half_up(offer.price.amount * line.quantity, 1000)
            else:
                price = offer.price.amount * line.quantity
            parts.append((i, max(0, state.remaining[i] - price)))
        return self.grant(rule, parts, f"member price {offer.price} on {_target_text(offer.target)}")

    def grant(self, rule: Rule, parts: list[tuple[int | None, int]], detail: str) -> _Grant:
        kept = tuple((i, a) for i, a in parts if a > 0)
        if not kept:
            raise _Nothing("no_saving", "the discount rounds to nothing or the price is already lower")
        return _Grant(rule, kept, detail)


def _target_text(target: Target) -> str:
    return "the order" if target.is_order else f"{target.kind} {', '.join(target.values)}"


# --- choosing the best combination ----------------------------------------------------------


def _application_order(rule: Rule) -> tuple[int, int, str]:
    # Line offers first, then amounts off the whole order, so "10 € off above 50 €" looks at what
    # the basket costs after item discounts; within that, higher priority first, then id.
    order_level = isinstance(rule.offer, AmountOff) and rule.offer.target.is_order
    return (1 if order_level else 0, -rule.priority, rule.id)


@dataclass(frozen=True)
class _Run:
    grants: tuple[_Grant, ...]
    state: _State
    skipped: tuple[tuple[str, _Nothing], ...]

    @property
    def total(self) -> int:
        return sum(g.total for g in self.grants)

    def key(self) -> tuple[int, int, int, tuple[str, ...]]:
        # Best for the customer; then the more important rule; then fewer rules; then ids.
        best_priority = max((g.rule.priority for g in self.grants), default=0)
        return (-self.total, -best_priority, len(self.grants), tuple(g.rule.id for g in self.grants))


def _step(pricer: _Pricer, rule: Rule, state: _State) -> tuple[_Grant | None, _State, _Nothing | None]:
    """Apply one rule to a copy of ``state``: (grant, new state, None) or (None, state, why not)."""
    trial = state.copy()
    try:
        grant = pricer.apply(rule, trial)
    except _Nothing as nothing:
        return None, state, nothing
    trial.take(grant.parts)
    return grant, trial, None


def _run(pricer: _Pricer, rules: Sequence[Rule]) -> _Run:
    state = _State(list(pricer.gross), [0] * len(pricer.lines))
    grants, skipped = [], []
    for rule in sorted(rules, key=_application_order):
        grant, state, nothing = _step(pricer, rule, state)
        if grant is not None:
            grants.append(grant)
        else:
            assert nothing is not None
            skipped.append((rule.id, nothing))
    return _Run(tuple(grants), state, tuple(skipped))


def _every_subset(pricer: _Pricer, rules: list[Rule]) -> _Run:
    """The best run over all subsets of ``rules``, sharing work between subsets with a common start.

    A depth-first walk over "with or without the next rule" applies each rule once per node, so
    2^n − 1 applications rather than n · 2^(n−1) for n separate runs.
    """
    ordered = sorted(rules, key=_application_order)
    best: _Run | None = None
    start = _State(list(pricer.gross), [0] * len(pricer.lines))
    Node = tuple[int, _State, tuple[_Grant, ...], tuple[tuple[str, _Nothing], ...]]
    stack: list[Node] = [(0, start, (), ())]
    while stack:
        index, state, grants, skipped = stack.pop()
        if index == len(ordered):
            run = _Run(grants, state, skipped)
            if best is None or run.key() < best.key():
                best = run
            continue
        rule = ordered[index]
        stack.append((index + 1, state, grants, skipped))  # without it
        grant, after, nothing = _step(pricer, rule, state)
        if grant is not None:
            stack.append((index + 1, after, (*grants, grant), skipped))
        elif nothing is not None and nothing.code == "min_spend":
            # Kept as the reason when the winner included it: it found the basket too small.
            stack.append((index + 1, state, grants, (*skipped, (rule.id, nothing))))
    assert best is not None
    return best


def _best_combination(pricer: _Pricer, rules: list[Rule]) -> _Run:
    """The subset of combinable rules that saves the shopper most.

    Applying every rule is best when each only takes from what is left: adding one never shrinks
    the total. A minimum spend breaks that (one discount can take the basket below another's
    threshold), and so do two deals that count pieces (a piece serves one such deal, and the first
    may not be the better), so then we try subsets: all of them up to EXHAUSTIVE_LIMIT rules.
    Beyond that (choosing is a subset-sum problem) we walk from all the rules down to none,
    each step dropping the rule whose absence leaves the best run, and keep the best run seen:
    at most SEARCH_BUDGET runs, and it gets past a threshold that only several drops together
    reopen.
    """
    everything = _run(pricer, rules)
    quantity_deals = sum(isinstance(r.offer, QUANTITY_DEALS) for r in rules)
    if quantity_deals < 2 and not any(r.min_spend is not None for r in rules):
        return everything
    if len(rules) <= EXHAUSTIVE_LIMIT:
        return _every_subset(pricer, rules)
    best, current, chosen, budget = everything, everything, list(rules), SEARCH_BUDGET
    while budget > 0 and current.grants:
        # Dropping a rule that gave nothing in the current run changes nothing, so only those that
        # gave something are tried; the others stay in, as a drop elsewhere may wake them up.
        trials = [([r for r in chosen if r is not g.rule], g.rule) for g in current.grants[:budget]]
        runs = [(_run(pricer, kept), kept) for kept, _ in trials]
        budget -= len(runs)
        current, chosen = min(runs, key=lambda pair: pair[0].key())
        best = min(best, current, key=_Run.key)
    return best


# --- evaluate -------------------------------------------------------------------------------


def _normal(code: str) -> str:
    return code.strip().upper()


def _why_not_eligible(rule: Rule, context: Context, currency: str, presented: dict[str, str]
                      ) -> tuple[str, str] | None:
    if not rule.enabled:
        return "disabled", "paused in the back office"
    off = why_not_on(rule, context.at, store_zone(context.timezone))
    if off is not None:
        return off
    if rule.locations and _normal(context.location) not in {_normal(c) for c in rule.locations}:
        return "location", f"only at {', '.join(rule.locations)}"
    if rule.channels and context.channel not in rule.channels:
        return "channel", f"only on {', '.join(rule.channels)}"
    if rule.needs_membership and not context.is_member:
        return "members_only", "for members only; scan the member QR"
    if rule.coupon_codes and _coupon(rule, presented) is None:
        return "coupon_missing", "needs a coupon code"
    wrong = sorted({m.currency for m in rule.amounts if m.currency != currency})
    if wrong:
        return "currency", f"set in {', '.join(wrong)}, the basket is in {currency}"
    return None


def _coupon(rule: Rule, presented: dict[str, str]) -> str | None:
    """The rule's spelling of the first of its codes the shopper presented."""
    return next((code for code in rule.coupon_codes if _normal(code) in presented), None)


def _basket_currency(basket: Sequence[BasketLine]) -> str:
    if not basket:
        raise PromotionError("an empty basket has nothing to discount")
    currencies = sorted({line.unit_price.currency for line in basket})
    if len(currencies) > 1:
        raise PromotionError(f"a basket is priced in one currency, this one mixes {', '.join(currencies)}")
    return currencies[0]


def evaluate(basket: Sequence[BasketLine], rules: Sequence[Rule], context: Context) -> Evaluation:
    """Apply ``rules`` to ``basket`` at ``context``: discounts for ``price_order``, and the reasons.

    Raises PromotionError for a basket that cannot be priced (empty, mixed currencies) and
    ``retail.pricing.PricingError`` for a bad line (quantity or price out of range).
    """
    currency = _basket_currency(basket)
    pricer = _Pricer(basket, currency)
    rules = sorted(rules, key=_application_order)
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        twice = sorted(i for i in set(ids) if ids.count(i) > 1)
        raise PromotionError(f"promotion ids must be unique: {', '.join(twice)} appear more than once")
    presented = {_normal(code): code for code in context.coupon_codes if code.strip()}

    not_applied: dict[str, NotApplied] = {}
    eligible: list[Rule] = []
    for rule in rules:
        why = _why_not_eligible(rule, context, currency, presented)
        if why is None:
            eligible.append(rule)
        else:
            not_applied[rule.id] = NotApplied(rule.id, *why)

    # Every discount rule on its own first: what it would give decides whether it is in the race.
    solo: dict[str, _Run] = {}
    for rule in (r for r in eligible if not r.is_giveaway):
        run = _run(pricer, [rule])
        if run.grants:
            solo[rule.id] = run
        else:
            nothing = run.skipped[0][1]
            not_applied[rule.id] = NotApplied(rule.id, nothing.code, nothing.detail)
    racing = [run.grants[0].rule for run in solo.values()]

    candidates = [solo[r.id] for r in racing if r.stacking == "exclusive"]
    combinable = [r for r in racing if r.stacking == "combinable"]
    if combinable:
        candidates.append(_best_combination(pricer, combinable))
    winner = min(candidates, key=_Run.key) if candidates else _run(pricer, [])
    _explain_losers(winner, racing, currency, not_applied)

    discounts, applied, used = [], [], []
    line_discounts = [g - r for g, r in zip(pricer.gross, winner.state.remaining, strict=True)]
    for grant in winner.grants:
        reason = grant.rule.reason(context.locale)
        coupon = _coupon(grant.rule, presented) if grant.rule.coupon_codes else None
        if coupon is not None and coupon not in used:
            used.append(coupon)
        for line, amount in grant.parts:
            discounts.append(DiscountInput(Money(amount, currency), reason, line, grant.rule.id))
        applied.append(AppliedRule(grant.rule.id, grant.rule.kind, reason, Money(grant.total, currency),
                                   tuple(i for i, _ in grant.parts if i is not None), coupon, grant.detail))

    gifts = _giveaways([r for r in eligible if r.is_giveaway], pricer, winner.state, context, presented,
                       not_applied)
    spoken_for = {_normal(c) for c in used} | {_normal(g.coupon_code) for g in gifts if g.coupon_code}
    unused = tuple(code for key, code in presented.items() if key not in spoken_for)
    return Evaluation(
        currency=currency,
        discounts=tuple(discounts),
        applied=tuple(applied),
        not_applied=tuple(not_applied[r.id] for r in rules if r.id in not_applied),
        used_coupons=tuple(used),
        unused_coupons=unused,
        giveaway_candidates=tuple(gifts),
        total_discount=Money(winner.total, currency),
        line_discounts=tuple(Money(d, currency) for d in line_discounts),
    )


def _giveaways(rules: Sequence[Rule], pricer: _Pricer, final: _State, context: Context,
               presented: dict[str, str], not_applied: dict[str, NotApplied]) -> list[GiveawayCandidate]:
    """The gifts the basket qualifies for, its spend counted after every chosen discount."""
    gifts = []
    for rule in rules:
        assert isinstance(rule.offer, Giveaway)
        if not pricer.targeted(rule.target):
            not_applied[rule.id] = NotApplied(rule.id, "no_matching_items",
                                              f"nothing in the basket matches {_target_text(rule.target)}")
            continue
        spent = pricer.spend(rule.target, final)
        if rule.min_spend is not None and spent < rule.min_spend.amount:
            detail = f"needs {rule.min_spend} after discounts, the basket comes to {pricer.show(spent)}"
            not_applied[rule.id] = NotApplied(rule.id, "min_spend", detail)
            continue
        coupon = _coupon(rule, presented) if rule.coupon_codes else None
        gifts.append(GiveawayCandidate(rule.id, rule.offer.gift_sku, rule.offer.limit, rule.offer.limit_per,
                                       rule.reason(context.locale), coupon))
    return gifts


def _explain_losers(winner: _Run, racing: Sequence[Rule], currency: str,
                    not_applied: dict[str, NotApplied]) -> None:
    """Say why each rule that could have given something did not make it into the winner."""
    chosen = {g.rule.id for g in winner.grants}
    names = ", ".join(g.rule.id for g in winner.grants)
    saving = Money(winner.total, currency)
    exclusive_won = any(g.rule.stacking == "exclusive" for g in winner.grants)
    skipped = dict(winner.skipped)
    for rule in racing:
        if rule.id in chosen:
            continue
        if rule.id in skipped:  # it was in the winning combination but gave nothing there
            nothing = skipped[rule.id]
            detail = f"after the other discounts: {nothing.detail}"
        elif rule.stacking == "exclusive" or exclusive_won:
            nothing = _Nothing("not_best", "")
            detail = (f"{names} saves the shopper {saving}, at least as much; an exclusive promotion "
                      "never combines with others")
        else:
            nothing = _Nothing("not_best", "")
            detail = ("the best combination leaves it out (with it the basket would fall below another "
                      "promotion's minimum spend or lose a better deal on the same pieces)")
        not_applied[rule.id] = NotApplied(rule.id, nothing.code, detail)


# --- convenience for callers ----------------------------------------------------------------


def line_inputs(basket: Sequence[BasketLine]) -> list[LineInput]:
    """The basket as ``price_order`` lines, in the same order (discounts name lines by index)."""
    return [line.to_line_input() for line in basket]


def price_basket(basket: Sequence[BasketLine], rules: Sequence[Rule], context: Context,
                 regime: TaxRegime) -> tuple[Evaluation, PricedOrder]:
    """Evaluate the promotions and price the basket with them: what a till and the server both do."""
    evaluation = evaluate(basket, rules, context)
    order = price_order(line_inputs(basket), regime, evaluation.currency, list(evaluation.discounts))
    return evaluation, order
