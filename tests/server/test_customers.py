"""Members: registration, the signed member QR at a till, points, and history across channels."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from retail.money import Money
from store_server.customers import member_qr
from store_server.customers.member_qr import MemberClaim
from store_server.customers.service import (
    LoyaltyRules,
    QRSettings,
    award_points,
    get_customer,
    issue_member_qr,
    points_earned,
    points_value,
    recompute_points,
)
from store_server.db import utcnow
from tests.server.factories import Chain
from tests.server.purchase_history import record_sales

LUCIA = {"name": "Lucía García", "phone": "+34 600 111 222", "email": "Lucia@example.com",
         "language": "es", "consent_marketing": False, "consent_recommendations": True}


def _register(chain: Chain, **overrides: object) -> dict:
    response = chain.api("cashier.madrid").post("/customers", json={**LUCIA, **overrides})
    assert response.status_code == 201, response.json
    return response.json


def _qr(chain: Chain, number: str) -> str:
    response = chain.api("cashier.madrid").post(f"/customers/{number}/member-qr")
    assert response.status_code == 201, response.json
    return response.json["payload"]


def _identify(chain: Chain, scan: str, who: str = "till.madrid", **extra: object):
    return chain.api(who).post("/customers/identify", json={"scan": scan, **extra})


def test_a_till_of_the_store_identifies_a_member_from_their_member_qr(chain: Chain) -> None:
    member = _register(chain)
    assert member["phone"] == "+34600111222" and member["email"] == "lucia@example.com"
    assert member["consent"]["recommendations"] is True and member["points"] == 0
    payload = _qr(chain, member["number"])
    assert payload.startswith("PLAZA-M1:")

    # A scanner may prefix the AIM symbology identifier of a QR code.
    response = _identify(chain, "]Q1" + payload)
    assert response.status_code == 200, response.json
    assert response.json == {
        "number": member["number"], "name": "Lucía García", "language": "es", "points": 0,
        "points_value": {"amount": 0, "currency": "EUR"},
        "consent": {"marketing": False, "recommendations": True}, "store": "MAD-XANADU"}

    other_store = _identify(chain, payload, store="SHA-JINQIAO")
    assert other_store.status_code == 403
    not_a_member = _identify(chain, "8412345000010")
    assert not_a_member.status_code == 422 and "not a member QR" in not_a_member.json["detail"]


def test_a_forged_member_qr_is_rejected_with_a_clear_message(chain: Chain) -> None:
    member = _register(chain)
    genuine = _qr(chain, member["number"])
    claim_part, signature = genuine.removeprefix("PLAZA-M1:").split(".")
    # Someone else's member id with the signature copied over; and a QR signed with another key.
    customer_id = get_customer(chain.session, member["number"]).id
    tampered = member_qr.sign(b"x", MemberClaim(customer_id + 1, 1, int(utcnow().timestamp())))
    tampered = tampered.split(".")[0] + "." + signature
    now = int(utcnow().timestamp())
    wrong_key = member_qr.sign(b"not the server's key", MemberClaim(customer_id, 1, now))
    for forged in (tampered, wrong_key, "PLAZA-M1:" + claim_part + ".AAAAAAAAAAAAAAAAAAAAAA",
                   "PLAZA-M1:garbage-token-here"):
        response = _identify(chain, forged)
        assert response.status_code == 422, forged
        assert response.json["type"].endswith("/member-qr-forged")
        assert "not issued by Plaza" in response.json["detail"]
        assert "open the member QR in the Plaza app" in response.json["detail"]


def test_a_revoked_member_qr_is_rejected_and_a_new_one_works(chain: Chain) -> None:
    member = _register(chain)
    screenshot = _qr(chain, member["number"])
    revoked = chain.api("manager.madrid").post(f"/customers/{member['number']}/member-qr/revoke")
    assert revoked.status_code == 200

    response = _identify(chain, screenshot)
    assert response.status_code == 422
    assert response.json["type"].endswith("/member-qr-revoked")
    assert "was revoked" in response.json["detail"]
    assert _identify(chain, _qr(chain, member["number"])).status_code == 200


def test_a_member_qr_expires_so_a_screenshot_cannot_be_used_forever(chain: Chain) -> None:
    member = _register(chain)
    settings = QRSettings.from_config(chain.app.config)
    assert settings.ttl == timedelta(hours=24)
    old = issue_member_qr(chain.session, member["number"], settings, now=utcnow() - timedelta(hours=25))
    response = _identify(chain, old["payload"])
    assert response.status_code == 422
    assert response.json["type"].endswith("/member-qr-expired")
    assert "refresh the member QR" in response.json["detail"] and response.json["expired_at"]
    fresh = issue_member_qr(chain.session, member["number"], settings, now=utcnow() - timedelta(hours=23))
    assert _identify(chain, fresh["payload"]).status_code == 200


def test_registration_needs_a_way_to_reach_the_member_and_refuses_a_taken_phone(chain: Chain) -> None:
    api = chain.api("cashier.madrid")
    _register(chain)
    taken = api.post("/customers", json={**LUCIA, "email": None})
    assert taken.status_code == 409 and taken.json["field"] == "phone"
    unreachable = api.post("/customers", json={"name": "Nadie"})
    assert unreachable.status_code == 422
    assert api.post("/customers", json={**LUCIA, "phone": "call me"}).status_code == 422
    found = api.get("/customers", phone="+34600111222")
    assert found.status_code == 200 and found.json["name"] == "Lucía García"
    assert chain.api("till.madrid").get("/customers", phone="+34600111222").status_code == 403


def test_members_earn_points_once_per_completed_order_and_redeem_them_for_a_discount(
    chain: Chain, session: Session,
) -> None:
    member = _register(chain)
    customer = get_customer(session, member["number"])
    orders = record_sales(session, "MAD-XANADU", [["EARBUDS"], ["EARBUDS", "EARBUDS"]],
                          customer_id=customer.id)
    record_sales(session, "MAD-XANADU", [["EARBUDS"]], customer_id=customer.id, status="cancelled")
    assert award_points(session, orders) == 10 + 20  # 1 point per euro on 10.00 and 20.00
    assert award_points(session, orders) == 0  # an order earns once
    assert recompute_points(session) == {"awarded": 0, "balances_corrected": 0}
    api = chain.api("till.madrid")
    # A member number alone spends nobody's points: the till sends the QR the shopper shows.
    bare = {"points": 25, "currency": "EUR", "reference": "S-1"}
    assert api.post(f"/customers/{member['number']}/points/redeem", json=bare).status_code == 403
    other = _register(chain, phone="+34600000999", email="otro@example.com")
    their_qr = chain.api("admin").post(f"/customers/{other['number']}/member-qr").json["payload"]
    assert api.post(f"/customers/{member['number']}/points/redeem",
                    json={**bare, "member_qr": their_qr}).status_code == 403
    qr = chain.api("admin").post(f"/customers/{member['number']}/member-qr").json["payload"]
    redeem = {**bare, "member_qr": qr}
    assert api.post(f"/customers/{member['number']}/points/redeem",
                    json={**redeem, "currency": "XYZ"}).status_code == 422
    first = api.post(f"/customers/{member['number']}/points/redeem", json=redeem)
    assert first.status_code == 200, first.json
    assert first.json["discount"] == {"amount": 25, "currency": "EUR"}  # 100 points = 1.00 EUR
    assert first.json["balance"] == 5
    again = api.post(f"/customers/{member['number']}/points/redeem", json=redeem)
    assert again.json["replayed"] is True and again.json["balance"] == 5
    too_many = api.post(f"/customers/{member['number']}/points/redeem",
                        json={**redeem, "reference": "S-2", "points": 6})
    assert too_many.status_code == 409 and too_many.json["points"] == 5
    statement = chain.api("cashier.madrid").get(f"/customers/{member['number']}/points").json
    assert statement["balance"] == 5 and [e["kind"] for e in statement["entries"]] == [
        "redeem", "earn", "earn"]


def test_points_rules_round_down_and_value_a_point_alike_across_currencies() -> None:
    rules = LoyaltyRules()
    assert points_earned(Money(1299, "EUR"), rules) == 12
    assert points_earned(Money(79900, "CNY"), rules) == 99  # 799 yuan at 1 point per 8 yuan
    assert points_value(100, "EUR", rules) == Money(100, "EUR")
    assert points_value(100, "CNY", rules) == Money(800, "CNY")
    assert points_value(100, "RUB", rules) == Money(10000, "RUB")


def test_purchase_history_spans_channels_newest_first_in_pages(chain: Chain, session: Session) -> None:
    member = _register(chain)
    customer_id = get_customer(session, member["number"]).id
    record_sales(session, "MAD-XANADU", [["EARBUDS"], ["PHONE-128-BLK", "EARBUDS"]],
                 customer_id=customer_id)
    record_sales(session, "WH-ONLINE", [["EARBUDS"]], customer_id=customer_id, channel="online")
    record_sales(session, "MAD-XANADU", [["EARBUDS"]])  # someone else
    api = chain.api("manager.madrid")
    first = api.get(f"/customers/{member['number']}/orders", limit=2).json
    second = api.get(f"/customers/{member['number']}/orders", limit=2, cursor=first["next_cursor"]).json
    orders = first["items"] + second["items"]
    assert second["next_cursor"] is None and len(orders) == 3
    assert [o["occurred_at"] for o in orders] == sorted((o["occurred_at"] for o in orders), reverse=True)
    assert {o["channel"] for o in orders} == {"pos", "online"}
    assert {o["location"] for o in orders} == {"MAD-XANADU", "WH-ONLINE"}
    assert any(len(o["lines"]) == 2 for o in orders)


def test_changing_details_and_consent(chain: Chain) -> None:
    member = _register(chain)
    api = chain.api("cashier.madrid")
    changed = api.patch(f"/customers/{member['number']}",
                        json={"language": "en", "consent_marketing": True, "phone": None})
    assert changed.status_code == 200, changed.json
    assert changed.json["language"] == "en" and changed.json["consent"]["marketing"] is True
    assert changed.json["phone"] is None
    no_contact = api.patch(f"/customers/{member['number']}", json={"email": None})
    assert no_contact.status_code == 422
    assert api.get("/customers/MNOSUCHONE").status_code == 404


def test_members_earn_points_on_till_sales_and_completed_online_orders(chain: Chain) -> None:
    import uuid
    from datetime import timedelta

    member = _register(chain)
    number = member["number"]
    sale = {"uuid": str(uuid.uuid4()), "occurred_at": (utcnow() - timedelta(minutes=1)).isoformat(),
            "lines": [{"sku": "EARBUDS", "quantity": 1, "unit_price": 4999}],
            "tenders": [{"kind": "cash", "amount": 4999, "tendered": 5000}], "total": 4999,
            "member": number}
    result = chain.api("till.madrid").post("/sync/sales", json={"sales": [sale]}).json
    assert result["accepted"] == 1
    after_sale = chain.api("cashier.madrid").get(f"/customers/{number}").json["points"]
    assert after_sale == 49  # 49.99 EUR earns 49
    # Sending the sale again earns nothing more.
    chain.api("till.madrid").post("/sync/sales", json={"sales": [sale]})
    assert chain.api("cashier.madrid").get(f"/customers/{number}").json["points"] == 49
    order = chain.api("admin").post("/orders", json={
        "fulfilment": "ship", "member": number, "lines": [{"sku": "EARBUDS", "quantity": 1}]}).json
    staff = chain.api("manager.madrid")
    chain.api("admin").post(f"/orders/{order['number']}/pay", json={"amount": order["total"]})
    for action in ("start_picking", "ship"):
        staff.post(f"/orders/{order['number']}/{action}", json={})
    assert chain.api("cashier.madrid").get(f"/customers/{number}").json["points"] == 49  # not yet
    staff.post(f"/orders/{order['number']}/complete", json={})
    assert chain.api("cashier.madrid").get(f"/customers/{number}").json["points"] == 98
    unknown = chain.api("admin").post("/orders", json={
        "fulfilment": "ship", "member": "M-NOPE", "lines": [{"sku": "EARBUDS", "quantity": 1}]})
    assert unknown.status_code == 422
