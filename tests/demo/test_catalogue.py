"""The demo catalogue and the large benchmark catalogue: sizes, GTINs, prices and languages."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from retail.gs1 import gtin14, is_valid_gtin
from store_server.demo.catalogue import (
    CURRENCIES,
    LOCALES,
    ProductSpec,
    demo_catalogue,
    large_catalogue,
    price_point,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@pytest.fixture(scope="module")
def demo() -> list[ProductSpec]:
    return demo_catalogue()


def _skus(products):
    return [sku for product in products for sku in product.skus]


def test_demo_has_enough_skus_and_weighed_goods(demo):
    skus = _skus(demo)
    assert len(skus) >= 300
    assert sum(1 for s in skus if s.sold_by == "weight") >= 25
    by_segment = Counter(p.category.split("/")[0] for p in demo for _ in p.skus)
    assert set(by_segment) == {"electronics", "grocery"}
    assert min(by_segment.values()) >= 100


def test_every_gtin_is_valid_and_unique_across_demo_and_large():
    products = demo_catalogue() + list(large_catalogue(10_000))
    gtins = [g for sku in _skus(products) for g in sku.gtins]
    assert all(is_valid_gtin(g) for g in gtins)
    assert all(len(g) in (8, 12, 13) for g in gtins)
    canonical = [gtin14(g) for g in gtins]
    assert len(set(canonical)) == len(canonical)


def test_every_sku_has_a_gtin_and_codes_are_unique(demo):
    skus = _skus(demo)
    assert all(sku.gtins for sku in skus)
    assert len({s.code for s in skus}) == len(skus)
    assert len({p.code for p in demo}) == len(demo)
    large = list(large_catalogue(2_000))
    codes = {s.code for s in skus} | {p.code for p in demo}
    assert not codes & ({s.code for s in _skus(large)} | {p.code for p in large})


def test_every_sku_is_priced_in_every_currency(demo):
    for sku in _skus(demo) + _skus(large_catalogue(1_000)):
        assert set(sku.prices) == set(CURRENCIES), sku.code
        for currency, amount in sku.prices.items():
            assert type(amount) is int and amount > 0, (sku.code, currency, amount)
        assert sku.prices["RUB"] % 100 == 0, "roubles are whole"


def test_prices_are_plausible_per_market(demo):
    x5 = {s.code: s for s in _skus(demo)}["ELC-PHN-X5-128-BLK"]
    assert x5.prices["EUR"] == 29900
    assert x5.prices["CNY"] == 229900
    assert x5.prices["RUB"] == 2799000
    for sku in _skus(demo):
        ratio = sku.prices["CNY"] / sku.prices["EUR"]
        assert 2 < ratio < 10, (sku.code, sku.prices)
        assert 30 < sku.prices["RUB"] / sku.prices["EUR"] < 120, (sku.code, sku.prices)


@pytest.mark.parametrize(("minor", "currency", "expected"), [
    (29_986, "EUR", 29_900), (1_254, "EUR", 1_299), (187, "EUR", 189),
    (2_798_600, "RUB", 2_799_000), (12_700, "RUB", 12_900), (186_750, "RUB", 189_000),
    (230_230, "CNY", 229_900), (1_160, "CNY", 1_190), (200_330, "BRL", 199_900),
    (11_454, "BRL", 11_490), (1, "USD", 9),
])
def test_price_points(minor, currency, expected):
    assert price_point(minor, currency) == expected


def test_every_product_speaks_four_languages(demo):
    for product in demo:
        for texts in (product.names, product.descriptions):
            assert set(texts) == set(LOCALES), product.code
            assert all(text.strip() for text in texts.values()), product.code
        assert CJK.search(product.names["zh"]), product.code
        assert CYRILLIC.search(product.names["ru"]), product.code
        assert CYRILLIC.search(product.descriptions["ru"]), product.code
        assert CJK.search(product.descriptions["zh"]), product.code
        assert product.names["en"] != product.names["es"] or product.names["en"].count(" ") < 2
        assert "{" not in "".join(product.names.values()) + "".join(product.descriptions.values())


def test_skus_and_products_are_well_formed(demo):
    code = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    for product in demo:
        assert code.match(product.code) and product.brand
        assert product.image_url == f"https://images.plaza.example/products/{product.code}.jpg"
        assert all(isinstance(v, str) for v in product.origin.values())
        for sku in product.skus:
            assert code.match(sku.code)
            assert sku.sold_by in ("unit", "weight")
            assert sku.tax_class in ("standard", "reduced", "zero")
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in sku.variant.items())
            if sku.sold_by == "weight":
                assert product.category.startswith("grocery/")
        if len(product.skus) > 1:
            variants = [tuple(sorted(s.variant.items())) for s in product.skus]
            assert len(set(variants)) == len(variants), product.code


def test_origin_facts_are_meaningful(demo):
    for product in demo:
        origin = product.origin
        assert re.fullmatch(r"[A-Z]{2}", origin["country"]), product.code
        if product.category.startswith("electronics/"):
            assert int(origin["warranty_months"]) >= 12, product.code
        else:
            assert int(origin["shelf_life_days"]) >= 1, product.code
            assert origin["storage_temp_c"], product.code
            assert {"farm", "fishery", "producer"} & set(origin), product.code
            if product.category in ("grocery/fresh-fish", "grocery/seafood"):
                assert {"species", "catch_method", "production_method"} <= set(origin)
    tvs = [p for p in demo if p.category == "electronics/tvs"]
    assert tvs and all("energy_class" in p.origin for p in tvs)


def test_demo_is_deterministic(demo):
    assert demo_catalogue() == demo


def test_large_catalogue_is_deterministic_and_seeded():
    assert list(large_catalogue(3_000, seed=7)) == list(large_catalogue(3_000, seed=7))
    assert list(large_catalogue(500, seed=1)) != list(large_catalogue(500, seed=2))
    assert list(large_catalogue(0)) == []


def test_large_catalogue_streams_100k_skus_in_every_language():
    # How fast it streams is a benchmark's business (tests/bench/catalogue.py), not a test's.
    count = weighed = 0
    for product in large_catalogue(100_000):
        count += len(product.skus)
        weighed += sum(1 for s in product.skus if s.sold_by == "weight")
        assert set(product.names) == set(LOCALES)
    assert count == 100_000
    assert weighed > 1_000


def test_large_catalogue_gtins_use_a_prefix_the_demo_never_uses(demo):
    demo_prefixes = {g[:3] for s in _skus(demo) for g in s.gtins}
    assert "890" not in demo_prefixes
    assert all(s.gtins[0].startswith("890") for s in _skus(large_catalogue(1_000)))
