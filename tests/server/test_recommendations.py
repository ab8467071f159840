"""Recommendations: real partners beat best sellers, nothing out of stock, consent respected."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store_server.catalog.service import ProductIn, SkuIn, add_product
from store_server.customers.models import Customer
from store_server.inventory.service import LineIn, ReceiptIn, SafetyStockIn, receive, set_safety_stock
from store_server.recommendations.mining import associations, suggest
from store_server.recommendations.models import ForYou
from store_server.recommendations.service import compute_recommendations
from tests.server.factories import Chain
from tests.server.purchase_history import record_sales

GROCERIES = {"LEMON": "Unwaxed lemons", "MILK": "Fresh milk", "DILL": "Dill", "RICE": "Jasmine rice"}


def _member(chain: Chain, phone: str, consent: bool) -> tuple[str, int]:
    body = {"name": "Wang Fang", "phone": phone, "language": "zh", "consent_recommendations": consent}
    number = chain.api("admin").post("/customers", json=body).json["number"]
    chain.session.rollback()  # end the test's read snapshot: the API wrote in another session
    customer_id = chain.session.execute(select(Customer.id).where(Customer.number == number)).scalar_one()
    return number, customer_id


@pytest.fixture
def shanghai(chain: Chain, session: Session) -> Chain:
    """Shanghai's history: milk in most baskets whatever else; salmon with lemon and dill."""
    for code, name in GROCERIES.items():
        add_product(session, ProductIn(code=code, category="grocery", names={"en": name},
                                       skus=[SkuIn(code=code, tax_class="reduced")]))
    receive(session, ReceiptIn(location="SHA-JINQIAO", document="DN-3",
                               lines=[LineIn(sku=c, quantity=100) for c in GROCERIES]), "test")
    rng = random.Random(5)
    baskets = []
    for _ in range(240):
        basket = {"MILK"} if rng.random() < 0.6 else set()
        if rng.random() < 0.25:
            partners = (("LEMON", 0.8), ("DILL", 0.5))
            basket |= {"SALMON"} | {p for p, chance in partners if rng.random() < chance}
        if rng.random() < 0.2:
            basket |= {"TEA"} | ({"RICE"} if rng.random() < 0.5 else set())
        if not basket:
            basket = {"RICE"}
        baskets.append(sorted(basket))
    record_sales(session, "SHA-JINQIAO", baskets)
    return chain


def test_bought_together_ranks_a_true_partner_above_a_best_seller(shanghai: Chain, session: Session) -> None:
    stats = compute_recommendations(session)
    assert stats["baskets"] == 240 and stats["pairs"] > 0
    answer = shanghai.api("till.shanghai").get("/recommendations/bought-together/SALMON", lang="en").json
    suggested = [i["sku"] for i in answer["items"] if i["explanation"]["kind"] == "bought_with"]
    assert suggested[:2] == ["LEMON", "DILL"]
    # Milk is in 60% of all baskets, so in about 60% of salmon baskets too: no lift, no partner.
    assert "MILK" not in suggested
    first = answer["items"][0]
    assert first["explanation"] == {
        "kind": "bought_with", "text": "Often bought with Norwegian salmon fillet",
        "because": {"sku": "SALMON", "name": "Norwegian salmon fillet"}}
    assert first["stats"]["lift"] > 2 and first["stats"]["support"] >= 3
    assert answer["store"] == "SHA-JINQIAO" and answer["computed_at"]
    chinese = shanghai.api("till.shanghai").get("/recommendations/bought-together/SALMON").json
    assert chinese["items"][0]["explanation"]["text"] == "常与挪威三文鱼一起购买"  # the store's language


def test_out_of_stock_items_are_never_recommended(shanghai: Chain, session: Session) -> None:
    member, customer_id = _member(shanghai, "+8613800000001", consent=True)
    record_sales(session, "SHA-JINQIAO", [["SALMON", "TEA"]] * 3, customer_id=customer_id)
    compute_recommendations(session)
    set_safety_stock(session, SafetyStockIn(location="SHA-JINQIAO", sku="LEMON", safety_stock=100))
    api = shanghai.api("admin")
    answers = [
        api.get("/recommendations/bought-together/SALMON", store="SHA-JINQIAO", limit=50).json,
        api.get("/recommendations/popular", store="SHA-JINQIAO", limit=50).json,
        api.post("/recommendations/for-you",
                 json={"store": "SHA-JINQIAO", "customer": member, "limit": 50}).json,
    ]
    for answer in answers:
        skus = [i["sku"] for i in answer["items"]]
        assert skus and "LEMON" not in skus, answer
        assert all(i["available"] > 0 for i in answer["items"])
        # Madrid stocks none of these groceries: nothing is suggested there that it cannot sell.
    madrid = api.get("/recommendations/bought-together/SALMON", store="MAD-XANADU").json["items"]
    assert {i["sku"] for i in madrid} <= {"PHONE-128-BLK", "EARBUDS"}


def test_for_you_only_for_members_who_consented(shanghai: Chain, session: Session) -> None:
    yes, yes_id = _member(shanghai, "+8613800000002", consent=True)
    no, no_id = _member(shanghai, "+8613800000003", consent=False)
    for customer_id in (yes_id, no_id):
        record_sales(session, "SHA-JINQIAO", [["SALMON"], ["SALMON", "RICE"]], customer_id=customer_id)
    compute_recommendations(session)
    stored = dict(session.execute(
        select(ForYou.customer_id, func.count()).group_by(ForYou.customer_id)).all())
    assert stored.get(yes_id) and no_id not in stored

    till = shanghai.api("till.shanghai")
    qr = shanghai.api("admin").post(f"/customers/{yes}/member-qr").json["payload"]
    personal = till.post("/recommendations/for-you", json={"member_qr": qr, "lang": "en"}).json
    assert personal["personalised"] is True
    top = personal["items"][0]
    assert top["sku"] == "LEMON"
    assert top["explanation"]["kind"] == "because_you_bought"
    assert top["explanation"]["text"] == "Because you bought Norwegian salmon fillet"

    qr_no = shanghai.api("admin").post(f"/customers/{no}/member-qr").json["payload"]
    general = till.post("/recommendations/for-you", json={"member_qr": qr_no}).json
    assert general["personalised"] is False and "not agreed" in general["notice"]
    assert {i["explanation"]["kind"] for i in general["items"]} <= {"popular_here", "popular_in_chain"}
    # A till names members by their QR, not by looking numbers up.
    assert till.post("/recommendations/for-you", json={"customer": yes}).status_code == 403

    withdrawn = shanghai.api("admin").patch(f"/customers/{yes}", json={"consent_recommendations": False})
    assert withdrawn.status_code == 200
    session.rollback()
    assert session.execute(select(func.count()).select_from(ForYou)).scalar_one() == 0
    assert till.post("/recommendations/for-you", json={"member_qr": qr}).json["personalised"] is False


def test_popular_lists_the_store_best_sellers_one_variant_each(shanghai: Chain, session: Session) -> None:
    compute_recommendations(session)
    answer = shanghai.api("till.shanghai").get("/recommendations/popular", limit=3).json
    assert answer["store"] == "SHA-JINQIAO"
    assert [i["sku"] for i in answer["items"]][0] == "MILK"
    assert all(i["explanation"]["kind"] == "popular_here" for i in answer["items"])
    unknown = shanghai.api("till.shanghai").get("/recommendations/bought-together/NOPE")
    assert unknown.status_code == 404


def test_mining_ignores_best_sellers_and_thin_evidence() -> None:
    baskets = ([frozenset({1, 2, 9})] * 30 + [frozenset({1, 9})] * 30 + [frozenset({9})] * 120
               + [frozenset({3, 9})] * 20 + [frozenset({1, 4})] * 2)
    partners = associations(baskets, min_support=3)
    assert [a.other for a in partners[1]] == [2]  # 9 is everywhere; 4 was seen together twice only
    assert partners[2][0].lift == pytest.approx(len(baskets) / 62)
    picks = suggest({2: 1.0, 3: 1.0}, partners, k=5)
    assert [s.product for s in picks] == [1] and picks[0].because == 2


def test_a_store_reads_recommendations_for_its_own_stock_only(shanghai: Chain) -> None:
    till = shanghai.api("till.shanghai")
    assert till.get("/recommendations/popular", store="SHA-JINQIAO").status_code == 200
    assert till.get("/recommendations/popular", store="MAD-XANADU").status_code == 403
    assert till.get("/recommendations/bought-together/SALMON", store="MAD-XANADU").status_code == 403
    assert shanghai.api("admin").get("/recommendations/popular", store="MAD-XANADU").status_code == 200
