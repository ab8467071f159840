"""The scanner classifier on real-format codes of every kind, and fuzzed.

The tables below are what real scanners send: with or without the AIM symbology identifier
(``]E0`` EAN-13/UPC-A/UPC-E, ``]E3`` with an add-on, ``]E4`` EAN-8, ``]C1`` GS1-128, ``]e0``
GS1 DataBar, ``]d2`` GS1 DataMatrix, ``]Q1`` QR), the GS character (0x1d) where GS1 data has an
FNC1 separator, and the Enter a keyboard wedge types at the end.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retail.barcodes import (
    MEMBER_QR_PREFIX,
    AddOn,
    Coupon,
    GS1DigitalLink,
    GS1ElementString,
    MemberQR,
    OrderQR,
    ProductCode,
    ReceiptQR,
    ScanError,
    ScannerConfig,
    VariableMeasureItem,
    VariableMeasureLayout,
    WalletPaymentCode,
    classify,
    member_qr_payload,
    order_qr_url,
    receipt_qr_url,
)
from retail.gs1 import digital_link, with_check_digit

SPAIN, RUSSIA, CHINA, USA, SWEDEN = (ScannerConfig(country=c) for c in
                                     ("ES", "RU", "CN", "US", "SE"))


@pytest.mark.parametrize(("scanned", "gtin", "fmt"), [
    ("8412345678905", "08412345678905", "GTIN-13"),  # EAN-13, Spain
    ("4006381333931", "04006381333931", "GTIN-13"),  # EAN-13, Germany (Stabilo)
    ("6901234567892", "06901234567892", "GTIN-13"),  # EAN-13, China
    ("036000291452", "00036000291452", "GTIN-12"),  # UPC-A
    ("96385074", "00000096385074", "GTIN-8"),  # EAN-8 (also parses as AI 96: GTIN wins)
    ("18412345678902", "18412345678902", "GTIN-14"),  # case code
    ("]E08412345678905", "08412345678905", "GTIN-13"),  # with its AIM symbology identifier
    ("8412345678905\r\n", "08412345678905", "GTIN-13"),  # wedge scanners end with Enter
])
def test_trade_item_numbers(scanned, gtin, fmt):
    result = classify(scanned, SPAIN)

    assert isinstance(result, ProductCode)
    assert (result.gtin, result.format) == (gtin, fmt)


def test_symbology_identifier_is_kept():
    assert classify("]E08412345678905").symbology == "]E0"


def test_wrong_check_digit_asks_for_a_rescan():
    with pytest.raises(ScanError, match="check digit"):
        classify("8412345678906")


def test_spanish_scale_label_carries_the_price():
    code = with_check_digit("23" + "12345" + "01299")  # prefix, item, price in cents

    result = classify(code, SPAIN)

    assert isinstance(result, VariableMeasureItem)
    assert (result.item_code, result.price_minor, result.weight_grams) == ("12345", 1299, None)
    assert result.base_gtin == with_check_digit("2312345" + "00000").zfill(14)


def test_russian_scale_label_carries_the_weight():
    result = classify(with_check_digit("22" + "00421" + "01275"), RUSSIA)

    assert isinstance(result, VariableMeasureItem)
    assert (result.item_code, result.weight_grams) == ("00421", 1275)


def test_chinese_scale_label_carries_the_amount_in_fen():
    result = classify(with_check_digit("21" + "00420" + "11043"), CHINA)

    assert (result.item_code, result.price_minor) == ("00420", 11043)


def test_us_random_weight_upc_carries_the_price():
    result = classify(with_check_digit("2" + "23456" + "0" + "1299"), USA)

    assert isinstance(result, VariableMeasureItem)
    assert (result.item_code, result.price_minor) == ("23456", 1299)


def test_swedish_layout_comes_from_the_gs1_library():
    result = classify("2012345012349", SWEDEN)

    assert isinstance(result, VariableMeasureItem) and result.price_minor == 1234


def test_layouts_are_configurable_per_chain():
    weight_in_tens_of_grams = VariableMeasureLayout("chain", ("28",), (2, 8), (8, 12), "weight",
                                                    value_scale=10)
    config = ScannerConfig(country="ES", layouts=(weight_in_tens_of_grams,))

    result = classify(with_check_digit("28" + "123456" + "0041"), config)

    assert (result.item_code, result.weight_grams) == ("123456", 410)


def test_scale_label_with_zero_weight_is_refused():
    with pytest.raises(ScanError, match="reprint"):
        classify(with_check_digit("22" + "00421" + "00000"), RUSSIA)


def test_in_store_code_in_a_country_without_layout_is_a_plain_code():
    assert isinstance(classify("2012345012349", ScannerConfig(country="JP")), ProductCode)


@pytest.mark.parametrize("scanned", [
    "]C1010841234567890510LOT42\x1d17261231\x1d3103000412",  # GS1-128
    "]d2010841234567890510LOT42\x1d17261231\x1d3103000412",  # GS1 DataMatrix
    "010841234567890510LOT42\x1d17261231\x1d3103000412",  # scanner without AIM prefix
    "(01)08412345678905(10)LOT42(17)261231(3103)000412",  # printed HRI text
])
def test_gs1_element_strings(scanned):
    result = classify(scanned)

    assert isinstance(result, GS1ElementString)
    assert result.gtin == "08412345678905"
    assert result.batch == "LOT42"
    assert result.expiry == date(2026, 12, 31)
    assert result.net_weight_grams == 412


@pytest.mark.parametrize("url", [
    digital_link("https://plaza.example", "8412345678905"),  # our shelf QR
    "https://id.gs1.org/01/08412345678905/10/LOT42?17=261231",  # any domain
    "https://brand.example/products/01/08412345678905/21/SN123",  # with a path prefix
])
def test_gs1_digital_links_from_any_domain(url):
    result = classify(url)

    assert isinstance(result, GS1DigitalLink)
    assert result.gtin == "08412345678905" and result.url == url


def test_member_qr():
    result = classify(member_qr_payload("eyJtIjoiMTIzIn0.c2lnbmF0dXJl"))

    assert isinstance(result, MemberQR) and result.token == "eyJtIjoiMTIzIn0.c2lnbmF0dXJl"


def test_receipt_and_order_qrs():
    sale = uuid.uuid4()
    receipt = classify(receipt_qr_url("https://plaza.example", sale))
    order = classify(order_qr_url("https://plaza.example/", "PLZ-2025-000123"))

    assert isinstance(receipt, ReceiptQR) and receipt.sale_id == sale
    assert isinstance(order, OrderQR) and order.order_number == "PLZ-2025-000123"


def test_receipt_qr_from_another_host_is_not_ours_when_hosts_are_configured():
    config = ScannerConfig(public_hosts=("plaza.example",))
    url = f"https://evil.example/r/{uuid.uuid4()}"

    with pytest.raises(ScanError):
        classify(url, config)


@pytest.mark.parametrize("code", ["286543210987654321", "2512345678901234",
                                  "301234567890123456789012"])
def test_wallet_payment_codes_are_routed_before_gs1(code):
    result = classify(code)

    assert isinstance(result, WalletPaymentCode) and result.code == code


@pytest.mark.parametrize(("scanned", "reason"), [
    ("", "nothing"),
    ("   \r\n", "nothing"),
    ("hello world", "not a code"),
    ("https://example.com/about", "neither a product QR"),
    (MEMBER_QR_PREFIX + "short", "member QR"),
    ("https://plaza.example/r/not-a-uuid", "does not name a sale"),
    ("12345", "not GS1"),
    ("8412345\x00678905", "control characters"),
    ("9" * 5000, "too long"),
])
def test_garbage_is_rejected_with_a_reason(scanned, reason):
    with pytest.raises(ScanError, match=reason):
        classify(scanned)


def test_non_text_is_rejected_as_a_scan_error():
    with pytest.raises(ScanError):
        classify(b"8412345678905")  # type: ignore[arg-type]


SCAN_ALPHABET = st.sampled_from(list("0123456789()]CdEQe/:.?=&-_ABCZabcz\x1d\r\n %") + ["https://",
                                "PLAZA-M1:", "]C1", "]d2", "01", "10", "17", "3103", "/01/"])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(max_size=80),
    st.lists(SCAN_ALPHABET, max_size=30).map("".join),
    st.from_regex(r"\d{8,24}", fullmatch=True),
    st.from_regex(r"https?://[a-z.]{1,12}/(01|r|o)/[0-9A-Za-z\-/?=&]{0,40}", fullmatch=True),
    st.from_regex(r"\(\d{2,4}\)[0-9A-Za-z]{0,20}(\(\d{2,4}\)[0-9A-Za-z]{0,10})?",
                  fullmatch=True),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
))
def test_classify_never_raises_anything_but_its_own_error(scanned):
    try:
        result = classify(scanned)
    except ScanError as error:
        assert error.reason
    else:
        assert result.raw


# --- the scanner table: UPC-E -----------------------------------------------------------------

COKE_CAN = "00049000006346"  # Coca-Cola 12 oz can: UPC-A 049000006346, printed as UPC-E 04963406


@pytest.mark.parametrize(("scanned", "gtin", "alternatives"), [
    ("04963406\r\n", COKE_CAN, ()),  # default setup: number system, 6 digits, check digit
    ("]E004963406", COKE_CAN, ()),  # the same with the AIM identifier
    ("]E00049000006346", COKE_CAN, ()),  # expanded to 13 digits, as GS1 says ]E0 should be
    ("049000006346", COKE_CAN, ()),  # expanded to UPC-A ("transmit UPC-E as UPC-A")
    ("496340", COKE_CAN, ()),  # no number system, no check digit
    ("0496340", COKE_CAN, ()),  # number system, no check digit
    ("4963406", COKE_CAN, ()),  # no number system, check digit
    ("004963406", COKE_CAN, ()),  # country code 0 in front ("system character & country code")
    # The textbook UPC-E 01234565 is also a valid EAN-8: a UPC-E first, the EAN-8 as a fallback
    # for the catalogue lookup; with an identifier there is no doubt.
    ("01234565", "00012345000065", ("00000001234565",)),
    ("]E001234565", "00012345000065", ()),
    ("]E401234565", "00000001234565", ()),
    # EAN-8 from GS1 US (prefix 1) that a UPC-E with number system 1 would also read.
    ("12345601", "00000012345601", ("00123000004561",)),
    ("01234503", "00000001234503", ()),  # a company's own EAN-8 (prefix 0) that is no UPC-E
])
def test_upc_e_as_scanners_send_it(scanned, gtin, alternatives):
    result = classify(scanned)

    assert isinstance(result, ProductCode)
    assert (result.gtin, result.alternatives) == (gtin, alternatives)


@pytest.mark.parametrize("scanned", ["04963407", "]E004963407", "]E401234566", "]E00049000006347",
                                     "04963401\r\n"])
def test_a_misread_upc_e_is_a_wrong_check_digit(scanned):
    with pytest.raises(ScanError, match="wrong check digit") as error:
        classify(scanned)
    assert error.value.code == "wrong-check-digit"


@pytest.mark.parametrize("scanned", ["]E40123456", "]E08412345678", "]I1841234567890"])
def test_a_code_of_the_wrong_length_for_its_symbology_asks_to_check_the_scanner(scanned):
    with pytest.raises(ScanError, match="check its setup"):
        classify(scanned)


def test_upc_e_lookups_try_the_other_reading():
    result = classify("01234565")

    assert isinstance(result, ProductCode) and result.symbol == "UPC-E"
    assert result.gtins == ("00012345000065", "00000001234565")


# --- the scanner table: EAN-2 / EAN-5 add-ons ----------------------------------------------------

ISBN = "09780306406157"
MAGAZINE = "09770317847001"  # ISSN 0317-8471 as EAN-13
US_MAGAZINE = "00070989302129"


@pytest.mark.parametrize(("scanned", "gtin", "add_on"), [
    ("]E3978030640615751995", ISBN, "51995"),  # a book with its price add-on (USD 19.95)
    ("978030640615751995", ISBN, "51995"),  # the same from a scanner without identifiers
    ("]E3978030640615790000", ISBN, "90000"),  # "no suggested price"
    ("]E3977031784700105", MAGAZINE, "05"),  # a magazine, issue 05
    ("977031784700105\r", MAGAZINE, "05"),
    ("]E307098930212900512", US_MAGAZINE, "00512"),  # a US magazine: UPC-A and EAN-5
    ("07098930212900512", US_MAGAZINE, "00512"),
    ("]E30123456512", "00012345000065", "12"),  # UPC-E with a 2-digit add-on
])
def test_add_ons_belong_to_their_main_code(scanned, gtin, add_on):
    result = classify(scanned)

    assert isinstance(result, ProductCode), result  # not GS1 element strings with AI 97
    assert (result.gtin, result.add_on) == (gtin, add_on)
    assert "97" not in getattr(result, "elements", {})


@pytest.mark.parametrize(("scanned", "digits"), [("]E251995", "51995"), ("]E105", "05")])
def test_an_add_on_sent_alone_is_an_add_on(scanned, digits):
    result = classify(scanned)

    assert isinstance(result, AddOn) and result.digits == digits


def test_a_book_with_a_misread_main_code_is_a_wrong_check_digit():
    with pytest.raises(ScanError, match="wrong check digit"):
        classify("]E3978030640615851995")


# --- the scanner table: GS1 prices (392n, 393n) on fresh-food labels -----------------------------

FRESH = "98412345000129"  # a variable-measure trade item (indicator 9)


@pytest.mark.parametrize(("scanned", "grams", "price"), [
    # GS1 DataBar Expanded from a scale: GTIN, net weight 1.250 kg, 5.95 to pay.
    (f"]e001{FRESH}31030012503922595", 1250, 595),
    (f"]e001{FRESH}31030012503932978595", 1250, 595),  # 393n: ISO 978 (EUR) and the amount
    (f"]C101{FRESH}3922595\x1d3103001250", 1250, 595),  # GS1-128: FNC1 after the price
    (f"01{FRESH}3922595\x1d3103001250\r\n", 1250, 595),  # no identifier, GS kept
    (f"(01){FRESH}(3103)001250(3922)595", 1250, 595),  # the label's printed text
    (f"]e001{FRESH}3921129", None, 1290),  # price only, one decimal
])
def test_fresh_food_labels_carry_price_and_weight(scanned, grams, price):
    result = classify(scanned, SPAIN)

    assert isinstance(result, GS1ElementString)
    assert result.gtin == FRESH
    assert (result.net_weight_grams, result.price_minor, result.price_currency) == (grams, price, "EUR")


def test_a_chinese_label_is_priced_in_fen():
    result = classify(f"]e001{FRESH}310300123539221043", CHINA)

    assert (result.net_weight_grams, result.price_minor, result.price_currency) == (1235, 1043, "CNY")


def test_a_label_priced_in_another_currency_is_refused():
    with pytest.raises(ScanError, match="priced in USD"):
        classify(f"]e001{FRESH}31030012503932840595", SPAIN)


def test_a_price_below_the_currency_unit_is_refused():
    with pytest.raises(ScanError, match="not an amount in EUR"):
        classify(f"]e001{FRESH}3923005955", SPAIN)


# --- the scanner table: wrong check digits everywhere --------------------------------------------


@pytest.mark.parametrize("scanned", [
    "8412345678906",  # a bare EAN-13
    "]E08412345678906",
    "]C10108412345678906\x1d10LOT42",  # GS1-128
    "]d20108412345678906\x1d10LOT42",  # GS1 DataMatrix
    "0108412345678906",  # element strings without an identifier
    "]e001984123450001231030012503922595",  # DataBar Expanded
    "(01)08412345678906(10)LOT42",  # the printed text
    "https://id.gs1.org/01/08412345678906",  # a Digital Link
    "https://brand.example/p/01/08412345678906/10/LOT42?17=261231",
    "]C12551234567890127",  # a Global Coupon Number
    "9912345678908",  # a coupon EAN-13
])
def test_a_gtin_failing_its_check_is_a_wrong_check_digit(scanned):
    with pytest.raises(ScanError, match="wrong check digit") as error:
        classify(scanned)
    assert error.value.code == "wrong-check-digit"


# --- the scanner table: coupons ------------------------------------------------------------------


@pytest.mark.parametrize(("scanned", "number", "scheme"), [
    ("9912345678909", "9912345678909", "prefix 99"),  # a national GS1 coupon
    ("]E09912345678909", "9912345678909", "prefix 99"),
    ("9810123456780", "9810123456780", "prefix 981"),  # a coupon in a common currency area
    ("512345678900", "512345678900", "number system 5"),  # an old U.P.C. coupon
    # A Global Coupon Number, as GS1-128 or DataBar sends it without identifier: 16-24 digits
    # starting 25, the shape of an Alipay payment code.
    ("2551234567890128", "1234567890128", "AI 255"),
    ("255123456789012800042", "123456789012800042", "AI 255"),
    ("]C12551234567890128", "1234567890128", "AI 255"),
    ("]e02551234567890128", "1234567890128", "AI 255"),
    # North American DataBar coupons.
    ("]e08110106141416543213500110000310123196000", "106141416543213500110000310123196000",
     "AI 8110"),
    ("]e081120106141416543213", "0106141416543213", "AI 8112"),
    ("(8110)106141416543213500110000310123196000", "106141416543213500110000310123196000",
     "AI 8110"),
])
def test_coupons_are_coupons_never_payments(scanned, number, scheme):
    result = classify(scanned)

    assert isinstance(result, Coupon), result
    assert result.number == number and scheme in result.scheme


@pytest.mark.parametrize("code", [
    "2551234567890120",  # starts 255 but is no Global Coupon Number (its check fails)
    "]C0286543210987654321",  # a payment code on a phone as Code 128
    "]Q1286543210987654321",  # ... or as a QR
])
def test_wallet_codes_that_only_look_like_coupons_still_pay(code):
    assert isinstance(classify(code), WalletPaymentCode)


def test_gs1_symbologies_never_carry_a_payment_code():
    with pytest.raises(ScanError):
        classify("]C1286543210987654321")
