"""The scanner classifier on real-format codes of every kind, and fuzzed."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retail.barcodes import (
    MEMBER_QR_PREFIX,
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
