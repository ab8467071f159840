"""The promotion engine: every rule kind, stacking, local-time windows across midnight and DST,
scopes, coupons, members, giveaways, rounding per currency, reasons in four languages, and the
Madrid opening priced end to end through ``price_order`` and onto the receipt."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retail.money import Money
from retail.pricing import price_order
from retail.promotions import (
    AmountOff,
    BasketLine,
    Bundle,
    Context,
    Evaluation,
    Giveaway,
    MemberPrice,
    MultiBuy,
    NthItemOff,
    PercentOff,
    PromotionError,
    Rule,
    Target,
    describe,
    evaluate,
    line_inputs,
    percent_of,
    price_basket,
)
from retail.receipt import PrintLine, receipt_from_sale, render_receipt
from retail.tax import TaxRegime, regime_for

MADRID = "Europe/Madrid"
SHANGHAI = "Asia/Shanghai"


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


def phone(price: int = 29900, currency: str = "EUR") -> BasketLine:
    return BasketLine("PHONE", 1, Money(price, currency), "electronics/phones", "Xiaomi")


def cable(quantity: int = 1, price: int = 999, sku: str = "CABLE-USBC") -> BasketLine:
    return BasketLine(sku, quantity, eur(price), "electronics/cables", "Anker")


def salmon(grams: int = 412, per_kg: int = 2490) -> BasketLine:
    return BasketLine("SALMON", grams, eur(per_kg), "food/fish", "Pescanova", "weight", "reduced")


def at_madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(MADRID))


def ctx(when: datetime | None = None, **overrides: object) -> Context:
    values: dict = {"at": when or at_madrid(2026, 5, 9, 12, 0), "timezone": MADRID,
                    "location": "MAD-XANADU", "channel": "pos", "locale": "es_ES"}
    values.update(overrides)
    return Context(**values)


def cables(*values: str) -> Target:
    return Target("category", values or ("electronics/cables",))


def discounts_by_line(evaluation: Evaluation) -> dict[int | None, int]:
    found: dict[int | None, int] = {}
    for d in evaluation.discounts:
        found[d.line] = found.get(d.line, 0) + d.amount.amount
    return found


# --- each kind of rule ---------------------------------------------------------------------


def test_percent_off_the_order_is_taken_line_by_line_so_tax_per_rate_stays_right() -> None:
    rule = Rule("OPEN30", PercentOff(Decimal(30)), name={"es": "30% en todo"})
    result = evaluate([phone(), cable(3), salmon()], [rule], ctx())

    assert [(d.line, d.amount.amount, d.reason, d.code) for d in result.discounts] == [
        (0, 8970, "30% en todo", "OPEN30"), (1, 899, "30% en todo", "OPEN30"),  # 29.97 × 0.3 = 8.991
        (2, 308, "30% en todo", "OPEN30")]  # 10.26 € of salmon × 0.3 = 3.078
    assert result.total_discount == eur(10177)


def test_percent_off_a_category_prefix_a_brand_or_skus_touches_only_those_lines() -> None:
    basket = [phone(), cable(2), BasketLine("CASE", 1, eur(1500), "electronics/cases", "xiaomi"), salmon()]
    by_category = evaluate(basket, [Rule("C", PercentOff(Decimal(10), Target("category", ("electronics",))))],
                           ctx())
    by_brand = evaluate(basket, [Rule("B", PercentOff(Decimal(10), Target("brand", ("XIAOMI",))))], ctx())
    by_sku = evaluate(basket, [Rule("S", PercentOff(Decimal(10), Target("skus", ("CASE", "SALMON"))))], ctx())

    assert sorted(discounts_by_line(by_category)) == [0, 1, 2]
    assert sorted(discounts_by_line(by_brand)) == [0, 2]  # brands compare case-insensitively
    assert discounts_by_line(by_sku) == {2: 150, 3: 103}


def test_an_amount_off_the_order_is_one_order_level_discount_never_more_than_the_basket() -> None:
    rule = Rule("TEN", AmountOff(eur(1000)))
    result = evaluate([cable(1, 999)], [rule], ctx())

    assert [(d.line, d.amount) for d in result.discounts] == [(None, eur(999))]
    order = price_order(line_inputs([cable(1, 999)]), regime_for("ES"), "EUR", list(result.discounts))
    assert order.total == eur(0)


def test_an_amount_off_a_category_is_spread_over_its_lines_and_adds_up() -> None:
    rule = Rule("CABLES5", AmountOff(eur(500), cables()))
    result = evaluate([cable(1, 1000, "A"), phone(), cable(1, 2000, "B")], [rule], ctx())

    assert discounts_by_line(result) == {0: 167, 2: 333}
    per_item = evaluate([cable(3, 999), salmon()],
                        [Rule("EACH", AmountOff(eur(100), cables(), per_item=True))], ctx())
    assert discounts_by_line(per_item) == {0: 300}


def test_three_for_two_makes_the_cheapest_pieces_free_across_lines() -> None:
    rule = Rule("3X2", MultiBuy(3, 2, cables()), name={"es": "3x2 en cables"})
    basket = [cable(2, 1500, "LONG"), cable(2, 999, "SHORT"), cable(3, 500, "MINI")]  # 7 pieces
    result = evaluate(basket, [rule], ctx())

    # Two groups of three: the two cheapest pieces (2 × 5.00 €) are free.
    assert discounts_by_line(result) == {2: 1000}
    assert result.discounts[0].reason == "3x2 en cables"
    assert evaluate([cable(2)], [rule], ctx()).why_not("3X2").code == "not_enough_items"


def test_second_at_half_price_discounts_the_cheaper_of_each_pair() -> None:
    rule = Rule("2ND50", NthItemOff(2, Decimal(50), cables()))
    result = evaluate([cable(1, 1999, "A"), cable(1, 999, "B"), cable(1, 1299, "C")], [rule], ctx())

    assert discounts_by_line(result) == {1: 500}  # one pair; the 9.99 € piece at half price, 4.995 → 5.00


def test_weighed_goods_never_count_towards_multi_buys_or_bundles() -> None:
    fish = Target("category", ("food",))
    multi = evaluate([salmon(3000), salmon(2000)], [Rule("3X2", MultiBuy(3, 2, fish))], ctx())
    bundle = evaluate([salmon(), cable()], [Rule("B", Bundle(("SALMON", "CABLE-USBC"), eur(100)))], ctx())

    assert multi.discounts == () and multi.why_not("3X2").code == "not_enough_items"
    assert bundle.discounts == () and bundle.why_not("B").code == "not_enough_items"


def test_a_bundle_sells_its_set_for_a_fixed_price_as_often_as_the_basket_holds_it() -> None:
    rule = Rule("KIT", Bundle(("PHONE", "CASE", "CASE"), eur(30000)), name={"en": "Phone kit"})
    basket = [phone(), BasketLine("CASE", 3, eur(1500), "electronics/cases")]
    result = evaluate(basket, [rule], ctx(locale="en_GB"))

    assert result.total_discount == eur(29900 + 3000 - 30000)  # one set; the third case pays full price
    assert discounts_by_line(result) == {0: 2636, 1: 264}  # 29.00 € spread by value: 299 : 30
    assert {d.reason for d in result.discounts} == {"Phone kit"}
    assert evaluate([phone()], [rule], ctx()).why_not("KIT").code == "not_enough_items"
    cheap = evaluate([phone(20000), BasketLine("CASE", 2, eur(1000))], [rule], ctx())
    assert cheap.why_not("KIT").code == "no_saving"


def test_member_prices_are_for_members_only_per_piece_or_per_kilogram() -> None:
    rules = [Rule("M-SALMON", MemberPrice(Target("skus", ("SALMON",)), price=eur(1990))),
             Rule("M-CABLES", MemberPrice(cables(), percent=Decimal(20)), stacking="combinable"),
             Rule("M-SALMON2", MemberPrice(Target("skus", ("SALMON",)), price=eur(1990)),
                  stacking="combinable")]
    basket = [salmon(500), cable(2)]
    member = evaluate(basket, rules[1:], ctx(is_member=True, locale="zh_CN"))
    guest = evaluate(basket, rules, ctx(is_member=False))

    assert discounts_by_line(member) == {0: 1245 - 995, 1: 400}  # 19.90 €/kg × 0.5 kg = 9.95 €
    assert {d.reason for d in member.discounts} == {"会员价"}
    assert guest.discounts == ()
    assert {n.code for n in guest.not_applied} == {"members_only"}


def test_a_member_only_flag_gates_any_kind_of_rule() -> None:
    rule = Rule("MEMBERS10", PercentOff(Decimal(10)), members_only=True)

    assert evaluate([cable()], [rule], ctx()).why_not("MEMBERS10").code == "members_only"
    assert evaluate([cable()], [rule], ctx(is_member=True)).total_discount == eur(100)


# --- stacking ------------------------------------------------------------------------------


def test_combinable_rules_stack_each_on_what_the_previous_left() -> None:
    rules = [Rule("ALL10", PercentOff(Decimal(10)), stacking="combinable", priority=5),
             Rule("3X2", MultiBuy(3, 2, cables()), stacking="combinable")]
    result = evaluate([cable(3, 1000)], rules, ctx())

    # 10% of 30.00 € = 3.00 €; then one of three pieces free at what is left of it: 27.00 / 3.
    assert [(a.rule_id, a.amount.amount) for a in result.applied] == [("ALL10", 300), ("3X2", 900)]
    assert result.total_discount == eur(1200)


def test_the_best_for_the_customer_wins_between_an_exclusive_rule_and_a_combination() -> None:
    exclusive = Rule("OPEN30", PercentOff(Decimal(30)), stacking="exclusive")
    combo = [Rule("ALL10", PercentOff(Decimal(10)), stacking="combinable"),
             Rule("3X2", MultiBuy(3, 2, cables()), stacking="combinable")]

    small = evaluate([cable(3, 1000), phone()], [exclusive, *combo], ctx())
    assert [a.rule_id for a in small.applied] == ["OPEN30"]
    assert {n.rule_id: n.code for n in small.not_applied} == {"ALL10": "not_best", "3X2": "not_best"}

    cables_only = evaluate([cable(3, 1000)], [exclusive, *combo], ctx())
    # Same priority, so by id: one piece free (10.00 €), then 10% of the 20.00 € left; 12.00 € beats 9.00 €.
    assert [(a.rule_id, a.amount.amount) for a in cables_only.applied] == [("3X2", 1000), ("ALL10", 200)]
    assert cables_only.why_not("OPEN30").code == "not_best"


def test_of_two_exclusive_rules_the_better_applies_and_a_tie_goes_to_priority_then_id() -> None:
    twenty_percent = Rule("A", PercentOff(Decimal(20)))
    twenty_euros = Rule("B", AmountOff(eur(2000)))
    thirty_euros = Rule("C", AmountOff(eur(3000)))

    def winner(*rules: Rule) -> list[str]:
        return [x.rule_id for x in evaluate([phone(10000)], list(rules), ctx()).applied]

    assert winner(twenty_percent, twenty_euros, thirty_euros) == ["C"]
    assert winner(twenty_euros, twenty_percent) == ["A"]  # both save 20.00 €: same priority, so by id
    assert winner(twenty_percent, Rule("B", AmountOff(eur(2000)), priority=1)) == ["B"]


def test_the_best_combination_may_leave_out_a_rule_that_spoils_a_minimum_spend() -> None:
    rules = [Rule("ALL5", PercentOff(Decimal(5)), stacking="combinable"),
             Rule("15OVER100", AmountOff(eur(1500)), min_spend=eur(10000), stacking="combinable")]
    result = evaluate([phone(10400)], rules, ctx())

    # 5% first would leave 98.80 €, under the 100 € the 15 € needs: the 15 € alone is better.
    assert [a.rule_id for a in result.applied] == ["15OVER100"]
    assert result.why_not("ALL5").code == "not_best"
    both = evaluate([phone(20000)], rules, ctx())
    assert [a.rule_id for a in both.applied] == ["ALL5", "15OVER100"]
    assert both.total_discount == eur(1000 + 1500)


def test_with_many_combinable_rules_the_search_still_finds_a_threshold_that_several_drops_reopen() -> None:
    small = [Rule(f"P{i:02}", PercentOff(Decimal(1)), stacking="combinable") for i in range(11)]
    big = Rule("15OVER100", AmountOff(eur(1500)), min_spend=eur(10000), stacking="combinable")
    result = evaluate([phone(10400)], [*small, big], ctx())  # 12 rules: past the exhaustive limit

    # Eleven 1% rules leave 93.14 €, too little for the 15 €; three leave 100.91 €, enough.
    assert "15OVER100" in [a.rule_id for a in result.applied] and len(result.applied) == 4
    assert result.total_discount == eur(104 + 103 + 102 + 1500)


def test_a_minimum_spend_counts_the_rules_target_after_earlier_discounts() -> None:
    rule = Rule("CABLES20", PercentOff(Decimal(20), cables()), min_spend=eur(3000))
    assert evaluate([cable(2, 1000), phone()], [rule], ctx()).why_not("CABLES20").code == "min_spend"
    assert evaluate([cable(3, 1000)], [rule], ctx()).total_discount == eur(600)


def test_a_piece_serves_one_quantity_deal_and_the_better_pairing_is_chosen() -> None:
    kit = Rule("KIT", Bundle(("PHONE", "CABLE-USBC"), eur(25000)), stacking="combinable")
    multi = Rule("3X2", MultiBuy(3, 2, cables()), stacking="combinable", priority=9)
    result = evaluate([phone(), cable(3, 999)], [kit, multi], ctx())

    # 3x2 first would claim all three cables and leave the kit without one (saving 9.99 €);
    # the kit alone saves 49.99 €, and both together are not possible.
    assert [a.rule_id for a in result.applied] == ["KIT"]
    assert result.total_discount == eur(29900 + 999 - 25000)
    with_four = evaluate([phone(), cable(4, 999)], [kit, multi], ctx())
    assert [a.rule_id for a in with_four.applied] == ["3X2", "KIT"]


# --- windows in the store's local time -----------------------------------------------------


def test_a_window_given_as_dates_covers_the_whole_last_day_in_local_time() -> None:
    week = Rule("WEEK", PercentOff(Decimal(30)), valid_from=date(2026, 5, 8), valid_to=date(2026, 5, 14))

    def on(moment: datetime) -> bool:
        return bool(evaluate([cable()], [week], ctx(moment)).applied)

    assert not on(at_madrid(2026, 5, 7, 23, 59))
    assert on(at_madrid(2026, 5, 8, 0, 0))
    assert on(datetime(2026, 5, 14, 21, 59, tzinfo=UTC))  # 23:59 in Madrid
    assert not on(datetime(2026, 5, 14, 22, 0, tzinfo=UTC))  # midnight in Madrid: over
    assert evaluate([cable()], [week], ctx(at_madrid(2026, 5, 15))).why_not("WEEK").code == "ended"


@pytest.mark.parametrize("zone", [MADRID, SHANGHAI])
def test_a_window_across_midnight_is_read_in_the_store_timezone(zone: str) -> None:
    night = Rule("NIGHT", PercentOff(Decimal(10)), valid_from=datetime(2026, 6, 12, 22, 0),
                 valid_to=datetime(2026, 6, 13, 2, 0))
    tz = ZoneInfo(zone)

    def on(*local: int) -> bool:
        return bool(evaluate([cable()], [night], ctx(datetime(*local, tzinfo=tz), timezone=zone)).applied)

    assert not on(2026, 6, 12, 21, 59)
    assert on(2026, 6, 12, 22, 0) and on(2026, 6, 12, 23, 59) and on(2026, 6, 13, 1, 59)
    assert not on(2026, 6, 13, 2, 0)
    # The same UTC instant is inside the window in one city and outside it in the other.
    instant = datetime(2026, 6, 12, 14, 30, tzinfo=UTC)  # 16:30 in Madrid, 22:30 in Shanghai
    assert bool(evaluate([cable()], [night], ctx(instant, timezone=zone)).applied) == (zone == SHANGHAI)


def test_daily_hours_across_midnight_count_the_weekday_the_evening_started() -> None:
    late = Rule("LATE", PercentOff(Decimal(15)), daily_from=time(22, 0), daily_to=time(2, 0), weekdays=(5,))

    def why(*local: int) -> str | None:
        found = evaluate([cable()], [late], ctx(at_madrid(*local))).why_not("LATE")
        return found.code if found else None

    assert why(2026, 6, 12, 22, 30) is None  # Friday evening
    assert why(2026, 6, 13, 1, 30) is None  # Saturday 01:30 is still Friday night
    assert why(2026, 6, 13, 22, 30) == "wrong_day"  # Saturday evening
    assert why(2026, 6, 12, 2, 30) == "outside_hours"


def test_a_window_on_the_spring_forward_night_in_madrid_lasts_two_and_a_half_real_hours() -> None:
    rule = Rule("NIGHT", PercentOff(Decimal(50)), valid_from=datetime(2026, 3, 29, 0, 0),
                valid_to=datetime(2026, 3, 29, 3, 30))
    utc = lambda h, m: datetime(2026, 3, 28 if h >= 12 else 29, h, m, tzinfo=UTC)  # noqa: E731

    def on(moment: datetime) -> bool:
        return bool(evaluate([cable()], [rule], ctx(moment)).applied)

    assert not on(utc(22, 59))  # 23:59 CET
    assert on(utc(23, 0))  # 00:00 CET
    assert on(utc(0, 59))  # 01:59 CET, the clocks then jump to 03:00 CEST
    assert on(utc(1, 0)) and on(utc(1, 29))  # 03:00 and 03:29 CEST
    assert not on(utc(1, 30))  # 03:30 CEST


def test_a_bound_in_the_skipped_hour_means_the_moment_the_clocks_jump() -> None:
    rule = Rule("FROM0230", PercentOff(Decimal(50)), valid_from=datetime(2026, 3, 29, 2, 30),
                valid_to=datetime(2026, 3, 29, 4, 0))
    assert not evaluate([cable()], [rule], ctx(datetime(2026, 3, 29, 0, 59, tzinfo=UTC))).applied
    assert evaluate([cable()], [rule], ctx(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))).applied  # 03:00 CEST
    gone = Rule("GONE", PercentOff(Decimal(50)), valid_from=datetime(2026, 3, 29, 2, 0),
                valid_to=datetime(2026, 3, 29, 3, 0))  # an hour that does not exist in Madrid
    night = [datetime(2026, 3, 28, 23, 0, tzinfo=UTC) + timedelta(minutes=m) for m in range(0, 240, 5)]
    assert not any(evaluate([cable()], [gone], ctx(moment)).applied for moment in night)
    assert evaluate([cable()], [gone], ctx(night[0])).why_not("GONE").code == "not_started"


def test_a_window_ending_in_the_repeated_autumn_hour_does_not_reopen() -> None:
    rule = Rule("UNTIL0230", PercentOff(Decimal(10)), valid_to=datetime(2026, 10, 25, 2, 30))

    def on(h: int, m: int) -> bool:
        return bool(evaluate([cable()], [rule], ctx(datetime(2026, 10, 25, h, m, tzinfo=UTC))).applied)

    assert on(0, 29)  # 02:29 CEST
    assert not on(0, 30)  # 02:30 CEST
    assert not on(1, 15)  # 02:15 CET, the second time the clock reads it


def test_shanghai_has_no_dst_so_the_same_night_is_three_and_a_half_hours() -> None:
    rule = Rule("NIGHT", PercentOff(Decimal(50)), valid_from=datetime(2026, 3, 29, 0, 0),
                valid_to=datetime(2026, 3, 29, 3, 30))
    starts = datetime(2026, 3, 28, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai (UTC+8)
    minutes_on = [m for m in range(-30, 300, 10) if evaluate(
        [cable()], [rule], ctx(starts + timedelta(minutes=m), timezone=SHANGHAI)).applied]
    assert (minutes_on[0], minutes_on[-1]) == (0, 200)


# --- scopes, coupons, giveaways ------------------------------------------------------------


def test_location_and_channel_scopes() -> None:
    rule = Rule("XANADU-POS", PercentOff(Decimal(10)), locations=("MAD-XANADU", "MAD-GRAN-VIA"),
                channels=("pos", "kiosk"))

    assert evaluate([cable()], [rule], ctx(location="mad-xanadu", channel="kiosk")).applied
    assert evaluate([cable()], [rule], ctx(location="BCN-DIAGONAL")).why_not("XANADU-POS").code == "location"
    assert evaluate([cable()], [rule], ctx(channel="online")).why_not("XANADU-POS").code == "channel"
    everywhere = Rule("ALL", PercentOff(Decimal(10)))
    assert evaluate([cable()], [everywhere], ctx(location="SHA-JINGAN", channel="online")).applied


def test_a_coupon_gated_rule_needs_one_of_its_codes_and_says_which_was_used() -> None:
    rule = Rule("WELCOME", AmountOff(eur(500)), coupon_codes=("WELCOME5", "HOLA5"), stacking="combinable")
    other = Rule("SPRING", PercentOff(Decimal(10)), coupon_codes=("SPRING10",))

    assert evaluate([phone()], [rule], ctx()).why_not("WELCOME").code == "coupon_missing"
    result = evaluate([phone()], [rule, other], ctx(coupon_codes=(" hola5 ", "SPRING10", "NOPE")))
    assert [a.rule_id for a in result.applied] == ["SPRING"]  # 29.90 € beats 5.00 €
    assert result.used_coupons == ("SPRING10",)
    assert result.unused_coupons == (" hola5 ", "NOPE")
    alone = evaluate([phone()], [rule], ctx(coupon_codes=("hola5",)))
    assert alone.used_coupons == ("HOLA5",) and alone.applied[0].coupon_code == "HOLA5"


def test_a_giveaway_is_a_candidate_only_above_its_minimum_spend_after_discounts() -> None:
    gift = Rule("GIFT", Giveaway("GIFT-POWERBANK", 500, "store"), min_spend=eur(5000),
                name={"es": "Regalo: batería externa"})
    off = Rule("OPEN30", PercentOff(Decimal(30)))

    qualifies = evaluate([cable(6, 1000)], [gift], ctx())
    assert [(g.rule_id, g.gift_sku, g.limit, g.limit_per, g.reason)
            for g in qualifies.giveaway_candidates] == [
        ("GIFT", "GIFT-POWERBANK", 500, "store", "Regalo: batería externa")]
    assert qualifies.discounts == ()
    # 60 € at shelf price is 42 € after 30% off: below the 50 € the gift needs.
    short = evaluate([cable(6, 1000)], [gift, off], ctx())
    assert short.giveaway_candidates == () and short.why_not("GIFT").code == "min_spend"
    brand_gift = Rule("ANKER-GIFT", Giveaway("STICKER", 100, target=Target("brand", ("Anker",))))
    assert evaluate([phone()], [brand_gift], ctx()).why_not("ANKER-GIFT").code == "no_matching_items"


def test_paused_rules_and_rules_in_another_currency_do_not_apply() -> None:
    paused = Rule("P", PercentOff(Decimal(10)), enabled=False)
    rubles = Rule("R", AmountOff(Money(50000, "RUB")))
    result = evaluate([cable()], [paused, rubles], ctx())
    assert {n.rule_id: n.code for n in result.not_applied} == {"P": "disabled", "R": "currency"}


# --- rounding per currency -----------------------------------------------------------------


@pytest.mark.parametrize(("currency", "price", "percent", "expected"), [
    ("EUR", 99, "30", 30),  # 0.297 € → 0.30 €
    ("EUR", 1, "50", 1),  # half a cent rounds up
    ("EUR", 1999, "12.5", 250),  # 2.49875 € → 2.50 €
    ("CNY", 995, "15", 149),  # ¥1.4925 → ¥1.49
    ("CNY", 5, "10", 1),  # ¥0.005 → ¥0.01 (one fen)
    ("RUB", 33330, "15", 5000),  # 49.995 ₽ → 50.00 ₽
    ("RUB", 10001, "33", 3300),  # 33.0033 ₽ → 33.00 ₽
    ("JPY", 1999, "15", 300),  # ¥299.85 → ¥300: yen have no minor unit
    ("JPY", 15, "10", 2),  # ¥1.5 → ¥2
    ("JPY", 14, "10", 1),  # ¥1.4 → ¥1
])
def test_percentages_round_half_up_to_the_currency_minor_unit(currency: str, price: int, percent: str,
                                                               expected: int) -> None:
    line = BasketLine("X", 1, Money(price, currency))
    result = evaluate([line], [Rule("P", PercentOff(Decimal(percent)))], ctx())
    assert result.discounts[0].amount == Money(expected, currency)
    assert Money(price, currency).scaled(Decimal(percent) / 100).amount == expected  # same as Money's rule


@given(st.integers(0, 10**9), st.decimals(min_value=Decimal("0.01"), max_value=100, places=2))
def test_percent_of_agrees_with_money_scaled_half_up(amount: int, percent: Decimal) -> None:
    assert percent_of(amount, percent) == Money(amount, "EUR").scaled(percent / 100).amount


# --- reasons in the store's language -------------------------------------------------------


OPENING_NAMES = {"es": "30% en todo", "zh": "全场7折", "ru": "Скидка 30% на всё", "en": "30% off everything"}


@pytest.mark.parametrize(("locale", "text"), [
    ("es_ES", "30% en todo"), ("zh_CN", "全场7折"), ("ru_RU", "Скидка 30% на всё"),
    ("en_GB", "30% off everything"),
])
def test_every_discount_carries_one_reason_in_the_store_language(locale: str, text: str) -> None:
    rule = Rule("OPEN30", PercentOff(Decimal(30)), name=OPENING_NAMES)
    result = evaluate([phone(), cable(2)], [rule], ctx(locale=locale))
    assert [d.reason for d in result.discounts] == [text, text]


@pytest.mark.parametrize(("offer", "texts"), [
    (MultiBuy(3, 2), {"es": "3x2", "zh": "买2送1", "ru": "3 по цене 2", "en": "3 for 2"}),
    (PercentOff(Decimal(30)), {"es": "30% de descuento", "zh": "7折", "ru": "Скидка 30%", "en": "30% off"}),
    (NthItemOff(2, Decimal(50)), {"es": "2ª unidad al 50%", "zh": "第2件5折", "ru": "Скидка 50% на 2-й товар",
                                  "en": "2nd item 50% off"}),
    (MemberPrice(Target("skus", ("X",)), percent=Decimal("12.5")),
     {"es": "Precio socio", "zh": "会员价", "ru": "Цена для участников клуба", "en": "Member price"}),
    (AmountOff(eur(500)), {"es": "5,00 € de descuento", "zh": "立减€5.00", "ru": "Скидка 5,00 €",
                           "en": "€5.00 off"}),
])
def test_a_rule_without_a_name_in_the_store_language_is_described_in_it(offer: object, texts: dict) -> None:
    for language, text in texts.items():
        assert describe(offer, language) == text  # type: ignore[arg-type]
    rule = Rule("X", offer, name={"pt": "Promoção"})  # type: ignore[arg-type]
    assert rule.reason("es_ES") == texts["es"]
    assert rule.reason("pt_BR") == "Promoção"
    assert rule.reason("de_DE") == "Promoção"  # no German name or description: any name beats none


def test_chinese_percent_offs_read_as_zhe() -> None:
    assert describe(PercentOff(Decimal(15)), "zh_CN") == "8.5折"
    assert describe(PercentOff(Decimal(100)), "zh_CN") == "免费"


# --- rules as JSON -------------------------------------------------------------------------


ALL_KINDS = [
    Rule("OPEN30", PercentOff(Decimal(30)), name=OPENING_NAMES, priority=10, locations=("MAD-XANADU",),
         valid_from=date(2026, 5, 8), valid_to=date(2026, 5, 14)),
    Rule("CABLES5", AmountOff(eur(500), cables(), per_item=True), min_spend=eur(2000), stacking="combinable",
         channels=("pos", "kiosk"), coupon_codes=("CABLES",)),
    Rule("3X2", MultiBuy(3, 2, cables()), daily_from=time(22, 0), daily_to=time(2, 0), weekdays=(5, 6)),
    Rule("2ND50", NthItemOff(2, Decimal("50"), Target("brand", ("Anker",))), enabled=False),
    Rule("KIT", Bundle(("PHONE", "CASE"), eur(30000)), valid_from=datetime(2026, 3, 29, 0, 0),
         valid_to=datetime(2026, 3, 29, 3, 30)),
    Rule("MEMBER", MemberPrice(Target("skus", ("SALMON",)), price=eur(1990)), members_only=True),
    Rule("GIFT", Giveaway("GIFT-POWERBANK", 500, "day"), min_spend=eur(5000)),
]


@pytest.mark.parametrize("rule", ALL_KINDS, ids=lambda r: r.kind)
def test_rules_round_trip_through_json(rule: Rule) -> None:
    data = json.loads(json.dumps(rule.to_dict()))
    assert data["kind"] == rule.kind
    assert Rule.from_dict(data) == rule


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "buy_one_get_a_car"}, "unknown kind"),
    ({"percent": 30.5}, "floats"),
    ({"percent": "130"}, "at most 100"),
    ({"colour": "red"}, "unknown field"),
    ({"valid_to": "2026-05-01"}, "ends before it starts"),
    ({"valid_from": "2026-05-08T00:00:00+02:00"}, "local wall times"),
    ({"channels": ["fax"]}, "channels"),
    ({"target": {"kind": "category"}}, "at least one"),
    ({"enabled": "yes"}, "true or false"),
])
def test_malformed_rules_are_refused_with_a_reason(change: dict, message: str) -> None:
    data = {**ALL_KINDS[0].to_dict(), **change}
    with pytest.raises(PromotionError, match=message):
        Rule.from_dict(data)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(PromotionError, match="timezone-aware"):
        ctx(datetime(2026, 5, 9, 12, 0))
    with pytest.raises(PromotionError, match="IANA"):
        ctx(timezone="Madrid")
    with pytest.raises(PromotionError, match="one currency"):
        evaluate([cable(), phone(100, "CNY")], [], ctx())
    with pytest.raises(PromotionError, match="unique"):
        evaluate([cable()], [Rule("A", PercentOff(Decimal(1))), Rule("A", PercentOff(Decimal(2)))], ctx())
    with pytest.raises(PromotionError):
        MultiBuy(2, 2)


# --- the Madrid opening, end to end --------------------------------------------------------


OPENING = [
    Rule("OPENING-30", PercentOff(Decimal(30)), name=OPENING_NAMES, priority=10, locations=("MAD-XANADU",),
         valid_from=date(2026, 5, 8), valid_to=date(2026, 5, 14)),
    Rule("OPENING-GIFT", Giveaway("GIFT-POWERBANK", 500, "campaign"), locations=("MAD-XANADU",),
         valid_from=date(2026, 5, 8), valid_to=date(2026, 5, 14),
         name={"es": "Regalo de inauguración", "en": "Opening gift"}),
]


def test_the_opening_promotion_prices_a_basket_through_price_order_and_onto_the_receipt() -> None:
    basket = [phone(), cable(3, 999), salmon(412, 2490)]
    synced = [Rule.from_dict(json.loads(json.dumps(r.to_dict()))) for r in OPENING]  # as a till gets them
    evaluation, order = price_basket(basket, synced, ctx(at_madrid(2026, 5, 8, 10, 0)), regime_for("ES"))

    assert [(d.line, d.amount.amount) for d in evaluation.discounts] == [(0, 8970), (1, 899), (2, 308)]
    assert [line.net.amount for line in order.lines] == [20930, 2098, 718]
    assert order.total == eur(23746) and order.discount_total == evaluation.total_discount
    assert [(t.rate, t.tax.amount) for t in order.taxes] == [(Decimal("0.10"), 65), (Decimal("0.21"), 3997)]
    assert [(g.gift_sku, g.limit, g.reason) for g in evaluation.giveaway_candidates] == [
        ("GIFT-POWERBANK", 500, "Regalo de inauguración")]

    sale = {
        "currency": "EUR", "tax_mode": "inclusive", "sale_number": "MAD-1", "cashier": "Ana", "till": "T1",
        "sold_at": "2026-05-08T10:00:00+02:00",
        "store": {"name": "Plaza Madrid Xanadu", "address": ["Av. del Sur"], "tax_id": "B12345674",
                  "timezone": MADRID},
        "lines": [{"name": "Xiaomi 14", "unit_price": 29900, "tax_rate": "21"},
                  {"name": "Cable USB-C", "unit_price": 999, "tax_rate": "21", "quantity": 3},
                  {"name": "Salmón", "unit_price": 2490, "tax_rate": "10", "weight_grams": 412}],
        "discounts": [{"reason": d.reason, "amount": d.amount.amount, "line": d.line}
                      for d in evaluation.discounts],
        "tenders": [{"method": "cash", "amount": 25000}],
        "total": order.total.amount,
    }
    texts = [i.text for i in render_receipt(receipt_from_sale(sale), "es_ES", 48) if isinstance(i, PrintLine)]
    reason_lines = [t for t in texts if "30% en todo" in t]
    assert len(reason_lines) == 3  # one reason per discount, under its line
    assert reason_lines[0].endswith("-89,70 €")


def test_the_opening_promotion_does_not_run_before_after_or_elsewhere() -> None:
    basket = [phone()]
    before = evaluate(basket, OPENING, ctx(at_madrid(2026, 5, 7, 23, 59)))
    elsewhere = evaluate(basket, OPENING, ctx(location="BCN-DIAGONAL"))
    after = evaluate(basket, OPENING, ctx(at_madrid(2026, 5, 15, 0, 0)))
    assert before.discounts == elsewhere.discounts == after.discounts == ()
    assert before.giveaway_candidates == after.giveaway_candidates == ()
    assert {n.code for n in before.not_applied} == {"not_started"}


def test_chinese_store_gets_the_same_discounts_with_chinese_reasons() -> None:
    rule = Rule("OPEN30", PercentOff(Decimal(30)), name=OPENING_NAMES)
    basket = [BasketLine("PHONE", 1, Money(199900, "CNY")), BasketLine("TEA", 2, Money(4590, "CNY"))]
    shanghai = Context(datetime(2026, 5, 9, 4, 0, tzinfo=UTC), SHANGHAI, "SHA-JINGAN", "pos", locale="zh_CN")
    evaluation, order = price_basket(basket, [rule], shanghai, regime_for("CN"))
    assert [d.amount.amount for d in evaluation.discounts] == [59970, 2754]  # ¥27.54 = 30% of ¥91.80
    assert {d.reason for d in evaluation.discounts} == {"全场7折"}
    assert order.total == Money(199900 + 9180 - 59970 - 2754, "CNY")


# --- properties ----------------------------------------------------------------------------

SKUS = ["PHONE", "CASE", "CABLE", "TEA", "SALMON", "APPLES"]
CATEGORIES = {"PHONE": "electronics/phones", "CASE": "electronics/cases", "CABLE": "electronics/cables",
              "TEA": "food/tea", "SALMON": "food/fish", "APPLES": "food/fruit"}

lines_strategy = st.lists(
    st.builds(lambda sku, qty, price, weighed: BasketLine(
        sku, qty * (97 if weighed else 1), eur(price), CATEGORIES[sku], "Brand" + sku[0],
        "weight" if weighed else "unit", "reduced" if sku in ("TEA", "SALMON", "APPLES") else "standard"),
        st.sampled_from(SKUS), st.integers(1, 12), st.integers(0, 60000), st.booleans()),
    min_size=1, max_size=8)

targets = st.one_of(
    st.just(Target()),
    st.builds(lambda c: Target("category", (c,)),
              st.sampled_from(["electronics", "food", "electronics/cables"])),
    st.builds(lambda b: Target("brand", (b,)), st.sampled_from(["BrandP", "brandc", "BrandT"])),
    st.builds(lambda s: Target("skus", tuple(s)), st.lists(st.sampled_from(SKUS), min_size=1, max_size=3)),
)
percents = st.decimals(min_value=Decimal("0.5"), max_value=100, places=1)
amounts = st.integers(1, 50000).map(eur)
offers = st.one_of(
    st.builds(PercentOff, percents, targets),
    st.builds(AmountOff, amounts, targets),
    st.builds(lambda a, s: AmountOff(a, Target("skus", (s,)), per_item=True), amounts, st.sampled_from(SKUS)),
    st.builds(lambda n, m, t: MultiBuy(n, min(m, n - 1), t), st.integers(2, 5), st.integers(1, 4), targets),
    st.builds(NthItemOff, st.integers(2, 4), percents, targets),
    st.builds(lambda s, p: Bundle(tuple(s), p), st.lists(st.sampled_from(SKUS), min_size=2, max_size=4),
              st.integers(0, 60000).map(eur)),
    st.builds(lambda s, p: MemberPrice(Target("skus", (s,)), price=p), st.sampled_from(SKUS),
              st.integers(0, 30000).map(eur)),
    st.builds(lambda s: Giveaway(s, 500), st.sampled_from(SKUS)),
)
rules_strategy = st.lists(
    st.builds(lambda o, st_, prio, spend: (o, st_, prio, spend), offers,
              st.sampled_from(["exclusive", "combinable"]), st.integers(0, 3),
              st.one_of(st.none(), st.integers(0, 80000).map(eur))),
    max_size=6,
).map(lambda specs: [Rule(f"R{i}", o, stacking=s, priority=p, min_spend=m)
                     for i, (o, s, p, m) in enumerate(specs)])


@settings(max_examples=300, deadline=None)
@given(lines_strategy, rules_strategy, st.booleans(), st.randoms(use_true_random=False))
def test_no_line_goes_negative_totals_agree_and_evaluation_is_deterministic(
        basket: list[BasketLine], rules: list[Rule], member: bool, rnd: random.Random) -> None:
    context = ctx(is_member=member)
    evaluation = evaluate(basket, rules, context)
    order = price_order(line_inputs(basket), regime_for("ES"), "EUR", list(evaluation.discounts))

    assert all(line.net.amount >= 0 for line in order.lines)
    assert order.total.amount >= 0
    assert all(d.amount.amount > 0 and d.reason for d in evaluation.discounts)
    # The engine's own view of each line is exactly what price_order makes of its discounts.
    assert [line.discount for line in order.lines] == list(evaluation.line_discounts)
    assert order.discount_total == evaluation.total_discount
    assert {a.rule_id for a in evaluation.applied}.isdisjoint(n.rule_id for n in evaluation.not_applied)

    shuffled = list(rules)
    rnd.shuffle(shuffled)
    assert evaluate(basket, shuffled, context) == evaluation
    assert evaluate(list(basket), [Rule.from_dict(r.to_dict()) for r in rules], context) == evaluation


@settings(max_examples=200, deadline=None)
@given(lines_strategy, rules_strategy, st.data())
def test_more_rules_never_make_the_best_choice_worse_for_the_shopper(
        basket: list[BasketLine], rules: list[Rule], data: st.DataObject) -> None:
    best = evaluate(basket, rules, ctx(is_member=True)).total_discount
    for rule in rules:
        assert best >= evaluate(basket, [rule], ctx(is_member=True)).total_discount
    some = data.draw(st.lists(st.sampled_from(rules), unique_by=lambda r: r.id) if rules else st.just([]))
    assert best >= evaluate(basket, some, ctx(is_member=True)).total_discount


def test_a_us_store_adds_tax_on_the_discounted_lines() -> None:
    usd = [BasketLine("EARBUDS", 2, Money(4999, "USD")),
           BasketLine("TEA", 1, Money(599, "USD"), tax_class="reduced")]
    rule = Rule("SAVE20", PercentOff(Decimal(20)))
    ny = Context(datetime(2026, 5, 9, 16, 0, tzinfo=UTC), "America/New_York", "NYC-SOHO", "online",
                 locale="en_US")
    evaluation, order = price_basket(usd, [rule], ny, regime_for("US"))
    assert [d.amount.amount for d in evaluation.discounts] == [2000, 120]
    assert order.total == Money(7998 + 479 + 710, "USD")  # 79.98 × 8.875% = 7.098 → 7.10


def test_a_custom_regime_works_for_a_zero_decimal_currency() -> None:
    japan = TaxRegime("JP", True, {"standard": Decimal("0.10"), "reduced": Decimal("0.08")}, "消費税")
    basket = [BasketLine("EARBUDS", 3, Money(1999, "JPY"))]
    evaluation, order = price_basket(basket, [Rule("P15", PercentOff(Decimal(15)))], ctx(locale="en"), japan)
    assert evaluation.discounts[0].amount == Money(900, "JPY")  # 15% of ¥5,997 = ¥899.55 → ¥900
    assert order.total == Money(5097, "JPY")
