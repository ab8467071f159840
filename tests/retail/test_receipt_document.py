"""The receipt document: arithmetic through Money, taxes by region, text in nine locales."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hardware.samples import demo_sale
from retail.money import Money
from retail.pricing import DiscountInput, LineInput, PricingError, price_order
from retail.receipt import (
    SUPPORTED_LOCALES,
    PrintLine,
    PrintQR,
    Receipt,
    ReceiptError,
    ReceiptLine,
    Store,
    TaxMode,
    Tender,
    labels_for,
    numbers_receipts,
    receipt_from_sale,
    receipt_text,
    render_receipt,
    text_width,
)
from retail.tax import REGIMES

MADRID = Store("Plaza Madrid Xanadu", ("Av. del Sur",), "B12345674", "Europe/Madrid")


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


def receipt(lines, tenders, tax_mode=TaxMode.INCLUSIVE, currency="EUR", **extra) -> Receipt:
    return Receipt(store=MADRID, lines=tuple(lines), tenders=tuple(tenders),
                   sold_at=datetime(2025, 5, 12, 12, 3, tzinfo=UTC), tax_mode=tax_mode,
                   currency=currency, sale_number="MAD-1", cashier="Ana", till="T1", **extra)


def test_weighed_line_is_weight_times_price_per_kg_rounded_half_up():
    fish = ReceiptLine("Salmón", eur(2030), Decimal("10"), weight_grams=412)

    assert fish.total == eur(836)  # 20.30 × 0.412 = 8.3636


@pytest.mark.parametrize(("locale", "currency", "detail"), [
    ("ru_RU", "RUB", "0,412 кг x 20,30 ₽/кг"),
    ("es_ES", "EUR", "0,412 kg x 20,30 €/kg"),
    ("en_US", "USD", "0.412 kg x $20.30/kg"),
])
def test_weighed_lines_print_the_weight_in_the_store_languages_unit(locale, currency, detail):
    fish = ReceiptLine("Рыба", Money(2030, currency), Decimal("10"), weight_grams=412)
    r = receipt([fish], [Tender("card", fish.total)], currency=currency)

    assert "  " + detail in receipt_text(render_receipt(r, locale)).splitlines()


def test_vat_inclusive_receipt_shows_the_vat_contained_per_rate():
    r = receipt([ReceiptLine("Cascos", eur(12100), Decimal("21")),
                 ReceiptLine("Zumo", eur(110), Decimal("10"))], [Tender("cash", eur(20000))])

    assert r.total == eur(12210)
    assert [(t.rate, t.base, t.tax) for t in r.tax_lines] == [
        (Decimal("10"), eur(100), eur(10)), (Decimal("21"), eur(10000), eur(2100))]
    assert r.change == eur(7790)


def test_us_sales_tax_is_added_on_top_of_the_discounted_subtotal():
    from hardware.samples import DEMO_SALES

    r = receipt_from_sale(DEMO_SALES["en_US"])

    assert r.tax_mode is TaxMode.EXCLUSIVE
    assert r.subtotal == Money(6159, "USD")
    assert r.tax_total == Money(497, "USD")  # 8.875 % of 55.97; apples are untaxed
    assert r.total == Money(6656, "USD")
    assert r.change == Money(1344, "USD")


def test_basket_discount_is_spread_over_tax_rates_so_the_vat_adds_up():
    r = receipt_from_sale(demo_sale("es_ES"))

    assert r.total == eur(5685)
    assert sum(t.base.amount + t.tax.amount for t in r.tax_lines) == r.total.amount


@pytest.mark.parametrize(("tenders", "message"), [
    ([Tender("cash", eur(50))], "short"),
    ([Tender("card", eur(500))], "cash"),
    ([Tender("cash", Money(500, "USD"))], "sale currency"),
])
def test_inconsistent_payments_are_refused(tenders, message):
    with pytest.raises(ReceiptError, match=message):
        receipt([ReceiptLine("Cable", eur(100), Decimal("21"))], tenders)


def test_receipt_times_are_shown_in_the_store_timezone():
    sale = demo_sale("zh_CN")  # 02:41 UTC is 10:41 in Shanghai
    text = receipt_text(render_receipt(receipt_from_sale(sale), "zh_CN", 48))

    assert "10:41:09" in text


def test_sale_total_that_disagrees_with_its_lines_is_refused():
    sale = demo_sale("es_ES") | {"total": 5684}

    with pytest.raises(ReceiptError, match="disagrees"):
        receipt_from_sale(sale)


def test_naive_sale_time_is_refused():
    sale = demo_sale("es_ES") | {"sold_at": "2025-05-12T12:03:27"}

    with pytest.raises(ReceiptError, match="timezone"):
        receipt_from_sale(sale)


@pytest.mark.parametrize(("locale", "total_label", "cash", "change", "tax"), [
    ("es_ES", "TOTAL", "Efectivo", "Cambio", "IVA"),
    ("zh_CN", "合计", "现金", "找零", "增值税"),
    ("ru_RU", "ИТОГО", "Наличные", "Сдача", "НДС"),
    ("pt_BR", "TOTAL", "Dinheiro", "Troco", "Tributos"),
    ("en_US", "TOTAL", "Cash", "Change", "Sales tax"),
    ("en_GB", "TOTAL", "Cash", "Change", "VAT"),
    ("de_DE", "SUMME", "Bar", "Rückgeld", "MwSt."),
    ("fr_FR", "TOTAL", "Espèces", "Rendu", "TVA"),
    ("en_CA", "TOTAL", "Cash", "Change", "GST/HST"),
])
def test_every_supported_locale_has_its_own_words(locale, total_label, cash, change, tax):
    labels = labels_for(locale)
    text = receipt_text(render_receipt(receipt_from_sale(demo_sale("es_ES")), locale, 42))

    assert total_label in text and cash in text and change in text
    assert labels["tax"] == tax
    assert locale in SUPPORTED_LOCALES


@pytest.mark.parametrize("locale", ["es_ES", "zh_CN", "ru_RU", "en_US"])
@pytest.mark.parametrize("columns", [32, 42, 48])
def test_rendered_lines_never_overflow_the_paper(locale, columns):
    items = render_receipt(receipt_from_sale(demo_sale(locale)), locale, columns)

    for item in items:
        if isinstance(item, PrintLine):
            limit = columns // 2 if item.size == "large" else columns
            assert text_width(item.text) <= limit, item.text
    assert [i.data for i in items if isinstance(i, PrintQR)] == [demo_sale(locale)["receipt_url"]]


def test_money_is_formatted_per_locale_and_can_fall_back_to_iso_codes():
    from retail.receipt import ReceiptFormatter

    assert ReceiptFormatter("es_ES").money(eur(123456)) == "1.234,56 €"
    assert ReceiptFormatter("ru_RU", "code").money(Money(123456, "RUB")) == "1 234,56 RUB"
    assert ReceiptFormatter("zh_CN").money(Money(-645, "CNY")) == "-¥6.45"


def test_discounts_are_explained_under_their_line():
    items = render_receipt(receipt_from_sale(demo_sale("es_ES")), "es_ES", 48)
    texts = [i.text for i in items if isinstance(i, PrintLine)]

    headphones = next(i for i, t in enumerate(texts) if t.startswith("Auriculares"))
    assert "Apertura: 30% en auriculares" in texts[headphones + 1]
    assert texts[headphones + 1].endswith("-15,00 €")


# -- the paper agrees with the server -------------------------------------------------------

_TAX_CLASSES = ("standard", "reduced", "zero")


@st.composite
def _baskets(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]], list[tuple[int, int | None]]]:
    country = draw(st.sampled_from(sorted(REGIMES)))
    lines = draw(st.lists(st.tuples(st.integers(1, 50_000), st.integers(1, 5), st.sampled_from(_TAX_CLASSES)),
                          min_size=1, max_size=6))
    gross = sum(price * qty for price, qty, _ in lines)
    discounts = draw(st.lists(st.tuples(st.integers(0, max(0, gross // 4)),
                                        st.one_of(st.none(), st.integers(0, len(lines) - 1))), max_size=3))
    return country, lines, discounts


@given(_baskets())
@settings(max_examples=400, deadline=None)
def test_receipt_tax_and_total_match_the_pricing_the_server_checks(
        basket: tuple[str, list[tuple[int, int, str]], list[tuple[int, int | None]]]) -> None:
    country, lines, discounts = basket
    regime = REGIMES[country]
    inputs = [LineInput(f"SKU{i}", qty, Money(price, "EUR"), tax_class)
              for i, (price, qty, tax_class) in enumerate(lines)]
    wanted = [DiscountInput(Money(amount, "EUR"), f"d{i}", line)
              for i, (amount, line) in enumerate(discounts)]
    try:
        priced = price_order(inputs, regime, "EUR", wanted)
    except PricingError:
        assume(False)
    receipt = receipt_from_sale({
        "currency": "EUR", "tax_mode": "inclusive" if regime.prices_include_tax else "exclusive",
        "store": {"name": "Plaza", "timezone": "Europe/Madrid"},
        "lines": [{"name": f"SKU{i}", "unit_price": price, "quantity": qty,
                   "tax_rate": regime.rate(tax_class) * 100}
                  for i, (price, qty, tax_class) in enumerate(lines)],
        "discounts": [{"reason": f"d{i}", "amount": amount, "line": line}
                      for i, (amount, line) in enumerate(discounts)],
        "tenders": [{"method": "cash", "amount": priced.total.amount}],
        "sold_at": "2026-11-22T10:00:00+01:00", "cashier": "ana", "till": "1", "sale_number": "X",
    })
    assert receipt.total == priced.total
    assert {t.rate: t.tax.amount for t in receipt.tax_lines} == {
        t.rate * 100: t.tax.amount for t in priced.taxes if t.rate}


def test_the_seller_is_named_as_registered_beside_the_trading_name():
    sale = demo_sale("es_ES")
    sale["store"] = {**sale["store"], "legal_name": "Plaza Comercio España, S.L.", "tax_id": "B87654323",
                     "address": ("C. Puerto de Navacerrada", "28939 Arroyomolinos, Madrid")}
    text = receipt_text(render_receipt(receipt_from_sale(sale), "es_ES", columns=42))
    head = text.split("-" * 42, 1)[0]  # above the first rule: who sells, and where
    assert head.index(sale["store"]["name"]) < head.index("Plaza Comercio España, S.L.") < head.index(
        "28939 Arroyomolinos, Madrid") < head.index("NIF: B87654323")
    # A store whose trading name is its legal name does not print it twice.
    same = {**sale, "store": {**sale["store"], "legal_name": sale["store"]["name"]}}
    text = receipt_text(render_receipt(receipt_from_sale(same), "es_ES", columns=42))
    assert text.count(sale["store"]["name"]) == 1


@pytest.mark.parametrize(("country", "numbered"), [
    ("ES", True), ("DE", True), ("FR", True), ("RU", True), ("BR", True),
    ("GB", False), ("US", False), ("CA", False), ("CN", False), ("es", True)])
def test_receipts_are_numbered_in_a_series_where_the_market_asks(country, numbered):
    assert numbers_receipts(country) is numbered


def test_a_canadian_cash_receipt_shows_the_rounding_and_the_change_actually_given():
    cad = lambda cents: Money(cents, "CAD")  # noqa: E731
    r = receipt([ReceiptLine("USB-C cable", cad(378), Decimal("13"))], [Tender("cash", cad(500))],
                TaxMode.EXCLUSIVE, "CAD", rounding=cad(-2))
    assert (r.total, r.settled, r.change) == (cad(427), cad(425), cad(75))
    text = receipt_text(render_receipt(r, "en_CA"))
    assert "$4.27" in text and "$0.75" in text
    assert [line for line in text.splitlines() if line.startswith("Cash rounding")] == [
        "Cash rounding" + " " * (42 - len("Cash rounding") - len("-$0.02")) + "-$0.02"]
    with pytest.raises(ReceiptError):  # 4.20 does not settle 4.25
        receipt([ReceiptLine("USB-C cable", cad(378), Decimal("13"))], [Tender("cash", cad(420))],
                TaxMode.EXCLUSIVE, "CAD", rounding=cad(-2))


def test_a_gift_prints_at_zero_with_its_promotion_and_points_as_a_tender():
    sale = {"currency": "EUR", "tax_mode": "inclusive",
            "store": {"name": "Plaza", "timezone": "Europe/Madrid"},
            "lines": [{"name": "Cargador 20 W", "unit_price": 1999, "tax_rate": "21"},
                      {"name": "Cable USB-C", "unit_price": 0, "tax_rate": "21", "gift": "Apertura Xanadú"}],
            "tenders": [{"method": "points", "amount": 500}, {"method": "cash", "amount": 1500}],
            "sold_at": "2026-05-08T10:00:00+02:00", "sale_number": "AB12CD34"}
    text = receipt_text(render_receipt(receipt_from_sale(sale), "es_ES"))
    assert "Regalo: Apertura Xanadú" in text and "0,00" in text
    assert "Puntos" in text and "Cambio" in text  # 5,00 in points, 15,00 in cash for 14,99
