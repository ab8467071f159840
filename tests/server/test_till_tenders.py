"""The counter's three promises on the server: the opening gift given once per sale and counted,
points as a tender that must have been redeemed for the sale, and cash rounded to the nickel
where pennies are gone (and nowhere else)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from store_server.api.auth import Principal
from store_server.catalog.service import PriceIn, PriceListIn, PricesIn, create_price_list, set_prices
from store_server.devices.service import DeviceIn, PairIn, enrol_device, pair_device
from store_server.inventory.service import LineIn, ReceiptIn, receive, verify
from store_server.locations.service import LocationIn, open_location
from store_server.orders.models import Order, OrderLine, OrderTender
from tests.server.factories import Chain

GIFT = {
    "id": "OPENING-GIFT", "kind": "giveaway", "name": {"es": "Regalo de apertura", "en": "Opening gift"},
    "gift_sku": "EARBUDS", "limit": 2, "limit_per": "campaign",
    "min_spend": {"amount": 1000, "currency": "EUR"}, "locations": ["MAD-XANADU"],
}


def _sale(lines: list[dict[str, Any]], tenders: list[dict[str, Any]], total: int,
          **extra: Any) -> dict[str, Any]:
    return {"uuid": str(uuid.uuid4()), "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "lines": [dict(line) for line in lines], "tenders": tenders, "total": total, **extra}


def _push(chain: Chain, sales: list[dict[str, Any]], who: str = "till.madrid") -> list[dict[str, Any]]:
    response = chain.api(who).post("/sync/sales", json={"sales": sales})
    assert response.status_code == 200, response.json
    return response.json["results"]


def _on_hand(chain: Chain, sku: str, store: str = "MAD-XANADU") -> dict[str, Any]:
    return chain.api("admin").get(f"/locations/{store}/stock/{sku}").json


def _grant(chain: Chain, reference: str, who: str = "till.madrid") -> Any:
    return chain.api(who).post("/promotions/OPENING-GIFT/grants",
                               json={"reference": reference, "store": "MAD-XANADU", "basket_total": 29900})


def _given(chain: Chain) -> tuple[int, int]:
    status = chain.api("manager.madrid").get("/promotions/OPENING-GIFT/giveaway").json
    return status["given"], status["remaining"]


PHONE = {"sku": "PHONE-128-BLK", "quantity": 1, "unit_price": 29900}


def _with_gift(uuid_: str | None = None) -> dict[str, Any]:
    sale = _sale([PHONE, {"sku": "EARBUDS", "quantity": 1, "unit_price": 0, "gift": "OPENING-GIFT"}],
                 [{"kind": "card", "amount": 29900}], 29900)
    if uuid_:
        sale["uuid"] = uuid_
    return sale


# --------------------------------------------------------------------------- the opening gift


def test_a_granted_gift_goes_out_with_its_sale_through_the_ledger_and_counts_once(chain: Chain) -> None:
    assert chain.api("admin").post("/promotions", json={"rule": GIFT}).status_code == 201
    earbuds = _on_hand(chain, "EARBUDS")["on_hand"]
    sale = _with_gift()
    first = _grant(chain, sale["uuid"])
    assert first.status_code == 201 and first.json["remaining"] == 1
    assert _grant(chain, sale["uuid"]).json["remaining"] == 1  # the till asking again: the same gift
    [result] = _push(chain, [sale])
    assert result["status"] == "accepted", result
    assert _on_hand(chain, "EARBUDS")["on_hand"] == earbuds - 1
    order = chain.api("admin").get(f"/orders/{result['order']}").json
    gift = order["lines"][1]
    assert (gift["sku"], gift["quantity"], gift["unit_price"], gift["net"], gift["gift"]) == (
        "EARBUDS", 1, 0, 0, "OPENING-GIFT")
    assert order["total"] == 29900 and order["lines"][0]["gift"] is None
    # A gift's price 0 is not a price difference for the manager to look at.
    assert not [f for f in order["review_flags"] if "EARBUDS" in f["detail"]]
    assert _push(chain, [sale])[0]["status"] == "duplicate"
    assert _given(chain) == (1, 1)
    chain.session.rollback()
    assert verify(chain.session) == []


def test_a_gift_line_without_a_grant_for_that_sale_is_refused(chain: Chain) -> None:
    chain.api("admin").post("/promotions", json={"rule": GIFT})
    other = _with_gift()
    assert _grant(chain, other["uuid"]).status_code == 201
    [unasked] = _push(chain, [_with_gift()])
    assert unasked["status"] == "rejected" and unasked["code"] == "unverified-gift"
    priced = _with_gift(other["uuid"])
    priced["lines"][1]["unit_price"] = 100
    priced["total"] = priced["tenders"][0]["amount"] = 30000
    [result] = _push(chain, [priced])
    assert result["code"] == "invalid" and "gift" in result["reason"]
    shanghai = _with_gift(other["uuid"])  # granted for Madrid, pushed by Shanghai's till
    shanghai["lines"][0]["unit_price"] = 229900
    shanghai["total"] = shanghai["tenders"][0]["amount"] = 229900
    [elsewhere] = _push(chain, [shanghai], "till.shanghai")
    assert elsewhere["code"] == "unverified-gift"


def test_a_grant_whose_sale_arrives_without_the_gift_goes_back_to_the_pool(chain: Chain) -> None:
    chain.api("admin").post("/promotions", json={"rule": GIFT})
    sale = _sale([PHONE], [{"kind": "card", "amount": 29900}], 29900)
    assert _grant(chain, sale["uuid"]).status_code == 201
    assert _given(chain) == (1, 1)
    # The till never heard the grant's answer, so the shopper left without the gift.
    [result] = _push(chain, [sale])
    assert result["status"] == "accepted", result
    assert _given(chain) == (0, 2)
    gifts = [_with_gift() for _ in range(3)]
    answers = [_grant(chain, s["uuid"]).status_code for s in gifts]
    assert answers == [201, 201, 409]
    results = _push(chain, gifts[:2])
    assert [r["status"] for r in results] == ["accepted", "accepted"] and _given(chain) == (2, 0)


def test_a_paid_online_order_gets_the_gift_and_a_cancel_gives_it_back(chain: Chain) -> None:
    chain.api("admin").post("/promotions", json={"rule": {**GIFT, "limit": 1}})
    admin = chain.api("admin")
    reserved = _on_hand(chain, "EARBUDS")["reserved"]
    order = admin.post("/orders", json={"fulfilment": "pickup", "store": "MAD-XANADU",
                                        "lines": [{"sku": "PHONE-128-BLK", "quantity": 1}]}).json
    assert [line["sku"] for line in order["lines"]] == ["PHONE-128-BLK"]  # nothing held before payment
    assert _given(chain) == (0, 1)
    paid = admin.post(f"/orders/{order['number']}/pay", json={"amount": order["total"]}).json
    assert paid["status"] == "paid", paid
    gift = paid["lines"][-1]
    assert (gift["sku"], gift["unit_price"], gift["gift"]) == ("EARBUDS", 0, "OPENING-GIFT")
    assert paid["total"] == order["total"] and "0 left" in paid["history"][-1]["note"]
    assert _on_hand(chain, "EARBUDS")["reserved"] == reserved + 1 and _given(chain) == (1, 0)
    second = admin.post("/orders", json={"fulfilment": "pickup", "store": "MAD-XANADU",
                                         "lines": [{"sku": "PHONE-128-BLK", "quantity": 1}]}).json
    none_left = admin.post(f"/orders/{second['number']}/pay", json={"amount": second["total"]}).json
    assert len(none_left["lines"]) == 1 and "no gift" in none_left["history"][-1]["note"]
    cancelled = chain.api("manager.madrid").post(f"/orders/{order['number']}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.json
    assert _on_hand(chain, "EARBUDS")["reserved"] == reserved and _given(chain) == (0, 1)
    chain.session.rollback()
    assert verify(chain.session) == []


# --------------------------------------------------------------------------- points as a tender


def _member_with_points(chain: Chain) -> tuple[str, str]:
    """A member who earned 299 points (1 per euro) on a phone bought at the till; their QR."""
    number = chain.api("cashier.madrid").post("/customers", json={
        "name": "Lucía", "phone": f"+3460{uuid.uuid4().int % 10**7:07d}"}).json["number"]
    earned = _push(chain, [_sale([PHONE], [{"kind": "card", "amount": 29900}], 29900, member=number)])
    assert earned[0]["status"] == "accepted"
    qr = chain.api("admin").post(f"/customers/{number}/member-qr").json["payload"]
    return number, qr


def _balance(chain: Chain, number: str) -> int:
    return chain.api("cashier.madrid").get(f"/customers/{number}").json["points"]


def test_points_pay_part_of_a_sale_and_the_rest_is_cash(chain: Chain) -> None:
    number, qr = _member_with_points(chain)
    assert _balance(chain, number) == 299
    sale = _sale([{"sku": "EARBUDS", "quantity": 1, "unit_price": 4999}], [], 4999, member=number)
    reference = f"sale:{sale['uuid']}:1"
    redeemed = chain.api("till.madrid").post(f"/customers/{number}/points/redeem", json={
        "amount": 4999, "currency": "EUR", "reference": reference, "member_qr": qr})
    assert redeemed.status_code == 200, redeemed.json
    # All 299 points, worth 2.99 €: the rest is paid in cash.
    assert redeemed.json["points"] == 299 and redeemed.json["discount"]["amount"] == 299
    assert redeemed.json["balance"] == 0
    sale["tenders"] = [{"kind": "points", "amount": 299, "reference": reference},
                       {"kind": "cash", "amount": 4700, "tendered": 5000}]
    [result] = _push(chain, [sale])
    assert result["status"] == "accepted", result
    chain.session.rollback()
    tenders = chain.session.execute(select(OrderTender.kind, OrderTender.amount).join(
        Order, Order.id == OrderTender.order_id).where(Order.number == result["order"])).all()
    assert sorted(tenders) == [("cash", 4700), ("points", 299)]
    # The points earned on it (49) are the member's new balance.
    assert _balance(chain, number) == 49
    # The earbuds come back: the points go back to the member, the cash to the drawer.
    returned = chain.api("till.madrid").post("/sync/returns", json={"returns": [{
        "uuid": str(uuid.uuid4()), "original_sale": sale["uuid"],
        "occurred_at": datetime.now(UTC).isoformat(), "lines": [{"line": 0, "quantity": 1}],
        "refunds": [{"kind": "points", "amount": 299, "reference": reference},
                    {"kind": "cash", "amount": 4700}], "total": 4999}]}).json
    assert returned["accepted"] == 1, returned
    assert _balance(chain, number) == 299  # 299 given back, the 49 earned taken back


def test_a_points_tender_must_be_a_redemption_of_this_sale_for_this_amount(chain: Chain) -> None:
    number, qr = _member_with_points(chain)
    till = chain.api("till.madrid")
    sale = _sale([{"sku": "EARBUDS", "quantity": 1, "unit_price": 4999}], [], 4999, member=number)
    reference = f"sale:{sale['uuid']}:1"
    assert till.post(f"/customers/{number}/points/redeem", json={
        "amount": 100, "currency": "EUR", "reference": reference, "member_qr": qr}).json["points"] == 100
    unredeemed = {**sale, "tenders": [{"kind": "points", "amount": 299, "reference": reference},
                                      {"kind": "cash", "amount": 4700}]}
    assert _push(chain, [unredeemed])[0]["code"] == "unverified-points"
    stranger = {**sale, "member": None, "tenders": [{"kind": "points", "amount": 100, "reference": reference},
                                                    {"kind": "cash", "amount": 4899}]}
    assert _push(chain, [stranger])[0]["code"] == "unverified-points"
    # Taken back at the till before the sale was completed: the points return, once.
    back = till.post(f"/customers/{number}/points/give-back", json={"reference": reference})
    assert back.status_code == 200 and back.json["points"] == 100 and back.json["balance"] == 299
    assert till.post(f"/customers/{number}/points/give-back", json={"reference": reference}).json[
        "balance"] == 299
    voided = {**sale, "tenders": [{"kind": "points", "amount": 100, "reference": reference},
                                  {"kind": "cash", "amount": 4899}]}
    assert _push(chain, [voided])[0]["code"] == "unverified-points"
    again = f"sale:{sale['uuid']}:2"
    assert till.post(f"/customers/{number}/points/redeem", json={
        "amount": 100, "currency": "EUR", "reference": again, "member_qr": qr}).status_code == 200
    paid = {**sale, "tenders": [{"kind": "points", "amount": 100, "reference": again},
                                {"kind": "cash", "amount": 4899}]}
    assert _push(chain, [paid])[0]["status"] == "accepted"
    refused = till.post(f"/customers/{number}/points/give-back", json={"reference": again})
    assert refused.status_code == 409  # it paid a recorded sale: a return gives it back


def test_points_redeemed_for_a_sale_that_paid_otherwise_go_back_to_the_member(chain: Chain) -> None:
    number, qr = _member_with_points(chain)
    sale = _sale([{"sku": "EARBUDS", "quantity": 1, "unit_price": 4999}],
                 [{"kind": "cash", "amount": 4999, "tendered": 5000}], 4999, member=number)
    # The till asked, the server redeemed, the answer was lost: the shopper paid in cash.
    assert chain.api("till.madrid").post(f"/customers/{number}/points/redeem", json={
        "amount": 4999, "currency": "EUR", "reference": f"sale:{sale['uuid']}:1",
        "member_qr": qr}).status_code == 200
    assert _balance(chain, number) == 0
    assert _push(chain, [sale])[0]["status"] == "accepted"
    assert _balance(chain, number) == 299 + 49  # given back, and the sale's own points earned
    assert _push(chain, [sale])[0]["status"] == "duplicate" and _balance(chain, number) == 299 + 49
    statement = chain.api("cashier.madrid").get(f"/customers/{number}/points").json
    kinds = [e["kind"] for e in statement["entries"]]
    assert kinds[:3] == ["earn", "refund", "redeem"]


def test_points_pay_part_of_an_online_order_and_come_back_when_it_is_cancelled(chain: Chain) -> None:
    number, qr = _member_with_points(chain)
    admin = chain.api("admin")
    order = admin.post("/orders", json={"fulfilment": "pickup", "store": "MAD-XANADU", "member": number,
                                        "lines": [{"sku": "EARBUDS", "quantity": 1}]}).json
    staff = chain.api("cashier.madrid")
    without_qr = staff.post("/payments", json={"tender": "points", "order": order["number"]})
    assert without_qr.status_code == 403
    points = staff.post("/payments", json={"tender": "points", "order": order["number"], "member_qr": qr})
    assert points.status_code == 201, points.json
    assert (points.json["tender"], points.json["status"], points.json["amount"]) == ("points", "paid", 299)
    assert _balance(chain, number) == 0
    assert chain.api("admin").get(f"/orders/{order['number']}").json["status"] == "reserved"  # 47.00 to go
    cash = admin.post("/payments", json={"tender": "cash", "order": order["number"], "tendered": 5000})
    assert cash.status_code == 201, cash.json
    assert chain.api("admin").get(f"/orders/{order['number']}").json["status"] == "paid"
    cancelled = chain.api("manager.madrid").post(f"/orders/{order['number']}/cancel", json={}).json
    # The points went back by themselves; the cash waits for a person to hand it back.
    assert _balance(chain, number) == 299
    assert cancelled["refund"]["status"] == "needs_decision" and cancelled["refund"]["amount"] == 299
    till_sale = staff.post("/payments", json={"tender": "points", "sale_uuid": str(uuid.uuid4()),
                                              "amount": 100, "member_qr": qr})
    assert till_sale.status_code == 422  # a till redeems points with the sale's reference instead


def test_paying_an_amount_with_points_takes_whole_points_worth_no_more_than_it() -> None:
    from store_server.customers.service import LoyaltyRules, points_for, points_value

    rules = LoyaltyRules()
    assert points_for(4999, "EUR", rules) == 4999  # a point is a cent
    assert points_for(100, "CNY", rules) == 12  # a point is 8 fen: 12 points pay ¥0.96
    assert points_value(12, "CNY", rules).amount == 96
    assert points_for(12345, "RUB", rules) == 123  # a point is a rouble
    assert points_for(7, "CNY", rules) == 0


# --------------------------------------------------------------------------- cash rounding


def _canada(chain: Chain) -> None:
    """A Toronto store selling in Canadian dollars (shelf prices before HST), and its till."""
    session = chain.session
    create_price_list(session, PriceListIn(code="CA-CAD", name="Canada", country="CA", currency="CAD",
                                           prices_include_tax=False))
    open_location(session, LocationIn(
        code="YYZ-EATON", name="Plaza Toronto Eaton Centre", kind="store", country="CA", currency="CAD",
        locale="en_CA", timezone="America/Toronto", latitude=43.6544, longitude=-79.3807,
        price_list="CA-CAD"))
    set_prices(session, "CA-CAD", PricesIn(prices=[PriceIn(sku="EARBUDS", amount=378)]))
    receive(session, ReceiptIn(location="YYZ-EATON", document="DN-CA", lines=[
        LineIn(sku="EARBUDS", quantity=10)]), "test")
    admin = Principal("user", 1, "admin", None, "admin")
    enrolled = enrol_device(session, DeviceIn(store="YYZ-EATON", kind="till", name="till.toronto"), admin)
    chain.tokens["till.toronto"] = pair_device(session, PairIn(code=enrolled["pairing_code"]))["token"]
    session.commit()


def test_a_canadian_cash_sale_is_rounded_to_the_nickel_and_counted_in_the_z_report(chain: Chain) -> None:
    _canada(chain)
    # 3.78 + 13% HST = 4.27; in cash, 4.25: the shopper hands over 5.00 and gets 0.75 back.
    session_uuid = str(uuid.uuid4())
    sale = _sale([{"sku": "EARBUDS", "quantity": 1, "unit_price": 378}],
                 [{"kind": "cash", "amount": 425, "tendered": 500}], 427, cash_rounding=-2,
                 cash_session=session_uuid, store="YYZ-EATON", currency="CAD")
    [result] = _push(chain, [sale], "till.toronto")
    assert result["status"] == "accepted", result
    order = chain.api("admin").get(f"/orders/{result['order']}").json
    assert (order["total"], order["cash_rounding"]) == (427, -2)
    assert order["tenders"] == [{"kind": "cash", "amount": 425, "tendered": 500, "change": 75,
                                 "reference": ""}]
    wrong = _sale(sale["lines"], [{"kind": "cash", "amount": 430, "tendered": 500}], 427, cash_rounding=3)
    assert _push(chain, [wrong], "till.toronto")[0]["code"] == "bad-tenders"
    card = _sale(sale["lines"], [{"kind": "card", "amount": 425}], 427, cash_rounding=-2)
    assert _push(chain, [card], "till.toronto")[0]["code"] == "bad-tenders"  # only cash is rounded
    now = datetime.now(UTC).isoformat()
    z = chain.api("till.toronto").post("/sync/cash-sessions", json={
        "uuid": session_uuid, "till": "till.toronto", "opened_at": now, "closed_at": now, "currency": "CAD",
        "float": 10000, "sales_count": 1, "returns_count": 0, "sales_by_tender": {"cash": 425},
        "cash_rounding": -2, "expected_cash": 10425, "counted_cash": 10425, "difference": 0})
    assert z.status_code == 200, z.json
    assert z.json["cash_rounding"] == -2 and z.json["server"]["cash_rounding"] == -2
    assert z.json["server"]["expected_cash"] == 10425 and z.json["matches"] is True


def test_cash_is_not_rounded_where_small_coins_exist(chain: Chain) -> None:
    sale = _sale([{"sku": "EARBUDS", "quantity": 1, "unit_price": 4999}],
                 [{"kind": "cash", "amount": 5000, "tendered": 5000}], 4999, cash_rounding=1)
    [result] = _push(chain, [sale])
    assert result["code"] == "bad-tenders" and "rounds by 0" in result["reason"]
    chain.session.rollback()
    assert chain.session.execute(select(OrderLine.id).join(Order, Order.id == OrderLine.order_id)
                                 .where(Order.client_uuid == sale["uuid"])).first() is None
