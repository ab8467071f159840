"""Every API operation × every kind of caller × two stores, against the table in docs/SECURITY.md.

The operations come from the OpenAPI document, so a new operation without a row here fails
the test. Each row names the request (aimed at a Madrid resource, or at the chain) and who may
make it. A caller the row allows must not be refused (401/403); everyone else must be (404 is
accepted where the row says a resource is hidden from others, such as someone's sign-ins).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from store_server.api.auth import Principal
from store_server.devices.service import DeviceIn, PairIn, enrol_device, pair_device
from tests.server.factories import PASSWORD, Chain, build_chain

ADMIN = frozenset({"admin"})
MADRID_MANAGERS = ADMIN | {"manager.madrid"}
MADRID_STAFF = MADRID_MANAGERS | {"cashier.madrid"}
ANY_MANAGER = ADMIN | {"manager.madrid", "manager.shanghai"}
ANY_STAFF = ANY_MANAGER | {"cashier.madrid"}
MADRID_TILL = frozenset({"till.madrid"})
MADRID_DEVICES = MADRID_TILL | {"kiosk.madrid"}
ANY_DEVICE = frozenset({"till.madrid", "till.shanghai", "kiosk.madrid"})
SIGNED_IN = ANY_STAFF | ANY_DEVICE
CALLERS = [
    "anonymous",
    "admin",
    "manager.madrid",
    "manager.shanghai",
    "cashier.madrid",
    "till.madrid",
    "till.shanghai",
    "kiosk.madrid",
]


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # with the Madrid resources filled in: {order}, {sale}, ...
    allowed: frozenset[str] | None  # None: public (anyone may try; only the answer says more)
    body: Any = None
    query: dict[str, Any] | None = None
    hidden: bool = False  # others get 404 rather than 403: the resource's existence is private
    # An allowed caller may meet this server error: no payment gateway is configured here.
    gateway: bool = False


def _rows(r: dict[str, Any]) -> dict[str, Row]:
    """operationId → the request and who may make it. ``r`` holds the Madrid resources."""
    return {
        # -- sign-in and who am I
        "sign_in": Row("POST", "/auth/tokens", None, {"username": "nobody", "password": "wrong"}),
        "list_tokens": Row("GET", "/auth/tokens", ANY_STAFF),
        "revoke_token": Row(
            "POST", f"/auth/tokens/{r['spare_token']}/revoke", ADMIN | {"manager.madrid"}, hidden=True
        ),
        "sign_out": Row("POST", "/auth/sign-out", ANY_STAFF),
        # Shanghai's till may try, but a Madrid cashier does not sign in there (401).
        "pin_sign_in": Row("POST", "/auth/pin", MADRID_TILL, {"username": "cashier.madrid", "pin": "4321"}),
        "store_cashiers": Row("GET", "/sync/cashiers", frozenset({"till.madrid", "till.shanghai"})),
        "me": Row("GET", "/me", SIGNED_IN),
        "create_user": Row(
            "POST",
            "/users",
            MADRID_MANAGERS,
            {"username": f"c{uuid.uuid4().hex[:8]}", "role": "cashier", "store": "MAD-XANADU", "pin": "2468"},
        ),
        "list_users": Row("GET", "/users", ANY_MANAGER),
        # -- the chain's catalogue and prices
        "list_products": Row("GET", "/products", SIGNED_IN),
        "create_product": Row(
            "POST", "/products", ADMIN, {"code": f"P{uuid.uuid4().hex[:6]}", "names": {"en": "X"}}
        ),
        "get_product": Row("GET", "/products/PHONE", SIGNED_IN),
        "patch_product": Row("PATCH", "/products/PHONE", ADMIN, {"brand": "Xiaomi"}),
        "create_sku": Row("POST", "/products/PHONE/skus", ADMIN, {"code": f"S{uuid.uuid4().hex[:6]}"}),
        "get_sku": Row("GET", "/skus/EARBUDS", SIGNED_IN),
        "lookup_gtin": Row("GET", "/gtins/6901234500011", SIGNED_IN),
        "sku_qr_png": Row("GET", "/skus/EARBUDS/qr.png", SIGNED_IN),
        "list_price_lists": Row("GET", "/price-lists", SIGNED_IN),
        "create_price_list": Row(
            "POST",
            "/price-lists",
            ADMIN,
            {"code": f"L{uuid.uuid4().hex[:6]}", "name": "X", "currency": "BRL"},
        ),
        # EU-EUR is shared by Madrid and the online warehouse: a chain matter.
        "set_prices": Row(
            "POST", "/price-lists/EU-EUR/prices", ADMIN, {"prices": [{"sku": "TEA", "amount": 799}]}
        ),
        # -- members are the chain's: any store's staff serve them
        "register_customer": Row(
            "POST", "/customers", ANY_STAFF, {"name": "X", "phone": f"+3460{uuid.uuid4().int % 10**7:07d}"}
        ),
        "find_customer": Row("GET", "/customers", ANY_STAFF, query={"phone": "+34600111222"}),
        "get_customer": Row("GET", f"/customers/{r['member']}", ANY_STAFF),
        "update_customer": Row("PATCH", f"/customers/{r['member']}", ANY_STAFF, {"language": "es"}),
        "issue_member_qr": Row("POST", f"/customers/{r['member']}/member-qr", ANY_STAFF),
        "revoke_member_qrs": Row("POST", f"/customers/{r['member']}/member-qr/revoke", ANY_STAFF),
        "identify_member": Row("POST", "/customers/identify", SIGNED_IN, {"scan": r["member_qr"]}),
        "purchase_history": Row("GET", f"/customers/{r['member']}/orders", ANY_STAFF),
        "points_statement": Row("GET", f"/customers/{r['member']}/points", ANY_STAFF),
        # Without the member's QR only the online shop spends points by number.
        "redeem_points": Row(
            "POST",
            f"/customers/{r['member']}/points/redeem",
            ADMIN,
            {"points": 1, "currency": "EUR", "reference": uuid.uuid4().hex},
        ),
        # Giving back a redemption that paid nothing only returns points to their member.
        "give_back_points": Row(
            "POST", f"/customers/{r['member']}/points/give-back", SIGNED_IN, {"reference": uuid.uuid4().hex}
        ),
        # -- devices of a store
        "enrol_device": Row(
            "POST", "/devices", MADRID_MANAGERS, {"store": "MAD-XANADU", "kind": "printer", "name": "Printer"}
        ),
        "list_devices": Row("GET", "/devices", ANY_MANAGER),
        "pair_device": Row("POST", "/devices/pair", None, {"code": "WRNG-CODE-0000"}),
        "retire_device": Row("POST", f"/devices/{r['spare_device']}/retire", MADRID_MANAGERS),
        # -- stock: a store's own (the chain's availability is /availability); writes are the store's
        "get_changes": Row(
            "GET",
            "/sync/changes",
            ADMIN | {"manager.madrid", "cashier.madrid"} | MADRID_DEVICES,
            query={"store": "MAD-XANADU", "limit": 1},
        ),
        "list_stock": Row("GET", "/locations/MAD-XANADU/stock", MADRID_STAFF | MADRID_DEVICES),
        "get_stock": Row("GET", "/locations/MAD-XANADU/stock/EARBUDS", MADRID_STAFF | MADRID_DEVICES),
        "list_movements": Row("GET", "/locations/MAD-XANADU/movements", MADRID_STAFF),
        "post_receipt": Row(
            "POST",
            "/inventory/receipts",
            MADRID_STAFF,
            {
                "location": "MAD-XANADU",
                "document": uuid.uuid4().hex,
                "lines": [{"sku": "TEA", "quantity": 1}],
            },
        ),
        "post_adjustment": Row(
            "POST",
            "/inventory/adjustments",
            MADRID_MANAGERS,
            {"location": "MAD-XANADU", "sku": "TEA", "delta": 1, "reason": "found"},
        ),
        "post_transfer": Row(
            "POST",
            "/inventory/transfers",
            MADRID_MANAGERS,
            {
                "from_location": "MAD-XANADU",
                "to_location": "SHA-JINQIAO",
                "lines": [{"sku": "TEA", "quantity": 1}],
            },
        ),
        # A transfer to Shanghai: only Shanghai (or the chain) says it arrived.
        "post_transfer_received": Row(
            "POST", f"/inventory/transfers/{r['transfer']}/receive", ADMIN | {"manager.shanghai"}
        ),
        "post_count": Row(
            "POST",
            "/inventory/counts",
            MADRID_STAFF,
            {"location": "MAD-XANADU", "lines": [{"sku": "TEA", "counted": 0}]},
        ),
        "put_safety_stock": Row(
            "PUT",
            "/inventory/safety-stock",
            MADRID_MANAGERS,
            {"location": "MAD-XANADU", "sku": "TEA", "safety_stock": 0},
        ),
        "get_verify": Row("GET", "/inventory/verify", ADMIN),
        # -- locations
        "list_locations": Row("GET", "/locations", SIGNED_IN),
        "create_location": Row(
            "POST",
            "/locations",
            ADMIN,
            {
                "code": f"L{uuid.uuid4().hex[:6]}",
                "name": "X",
                "kind": "store",
                "country": "ES",
                "currency": "EUR",
                "locale": "es_ES",
                "timezone": "Europe/Madrid",
            },
        ),
        "get_location": Row("GET", "/locations/MAD-XANADU", SIGNED_IN),
        "update_location": Row("PUT", "/locations/MAD-XANADU", ADMIN, r["location_doc"]),
        # -- online orders: the shop places them; the fulfilling store's staff move them
        "get_availability": Row("GET", "/availability", SIGNED_IN, query={"skus": "EARBUDS"}),
        "create_order": Row(
            "POST",
            "/orders",
            ADMIN,
            {"fulfilment": "pickup", "store": "MAD-XANADU", "lines": [{"sku": "EARBUDS", "quantity": 1}]},
        ),
        "get_order": Row("GET", f"/orders/{r['order']}", MADRID_STAFF),
        "post_transition": Row("POST", f"/orders/{r['order']}/start_picking", MADRID_STAFF, {}),
        "handover": Row("POST", "/orders/handover", MADRID_STAFF, {"qr": r["pickup_qr"]}),
        "order_qr_png": Row("GET", f"/orders/{r['order']}/qr.png", ADMIN),
        "order_queue": Row("GET", "/locations/MAD-XANADU/order-queue", MADRID_STAFF),
        # -- tills: a store's own devices push; managers read the Z reports
        "post_sales": Row(
            "POST", "/sync/sales", MADRID_DEVICES | {"till.shanghai"}, {"sales": [{"uuid": "x"}]}
        ),
        "get_sale": Row("GET", f"/sales/{r['sale']}", MADRID_STAFF | MADRID_DEVICES),
        "post_returns": Row(
            "POST", "/sync/returns", frozenset({"till.madrid", "till.shanghai"}), {"returns": [{"uuid": "x"}]}
        ),
        "post_cash_session": Row(
            "POST", "/sync/cash-sessions", frozenset({"till.madrid", "till.shanghai"}), r["z_report"]
        ),
        "get_cash_sessions": Row("GET", "/cash-sessions", MADRID_MANAGERS, query={"store": "MAD-XANADU"}),
        "get_cash_session": Row("GET", f"/cash-sessions/{r['z_report']['uuid']}", MADRID_MANAGERS),
        # -- payments: a store's own payments
        # Cash: a kiosk takes none (it pays by Alipay, which needs a gateway this test has not).
        "create_payment": Row(
            "POST",
            "/payments",
            MADRID_STAFF | MADRID_TILL,
            {
                "tender": "cash",
                "sale_uuid": str(uuid.uuid4()),
                "store": "MAD-XANADU",
                "amount": 100,
                "tendered": 100,
            },
        ),
        "list_payments": Row(
            "GET",
            "/payments",
            MADRID_STAFF | MADRID_DEVICES | {"till.shanghai", "manager.shanghai"},
            query={"order": r["order"]},
        ),
        "get_reconciliation": Row(
            "GET",
            "/payments/reconciliation",
            MADRID_MANAGERS,
            query={"store": "MAD-XANADU", "date": datetime.now(UTC).date().isoformat()},
            gateway=True,
        ),
        "get_payment": Row("GET", f"/payments/{r['payment']}", MADRID_STAFF | MADRID_DEVICES),
        "cancel_payment": Row("POST", f"/payments/{r['payment']}/cancel", MADRID_STAFF | MADRID_DEVICES, {}),
        "retry_payment": Row("POST", f"/payments/{r['payment']}/retry", MADRID_STAFF | MADRID_DEVICES, {}),
        "refund_payment": Row(
            "POST", f"/payments/{r['payment']}/refunds", MADRID_STAFF | MADRID_TILL, {"amount": 1}
        ),
        "alipay_notification": Row("POST", "/payments/notify/alipay", None, {}),
        # -- promotions: a store manager runs their own store's
        "create_promotion": Row(
            "POST",
            "/promotions",
            MADRID_MANAGERS,
            {
                "rule": {
                    "id": f"p{uuid.uuid4().hex[:6]}",
                    "kind": "percent_off",
                    "percent": "5",
                    "locations": ["MAD-XANADU"],
                    "target": {"kind": "skus", "values": ["TEA"]},
                    "name": {"en": "5% off tea"},
                }
            },
        ),
        "list_promotions": Row("GET", "/promotions", SIGNED_IN),
        "change_promotion": Row("POST", f"/promotions/{r['promotion']}/pause", MADRID_MANAGERS),
        "grant": Row(
            "POST",
            f"/promotions/{r['promotion']}/grants",
            MADRID_STAFF | MADRID_DEVICES,
            {"reference": uuid.uuid4().hex, "store": "MAD-XANADU"},
        ),
        "giveaway": Row(
            "GET", f"/promotions/{r['promotion']}/giveaway", SIGNED_IN, query={"store": "MAD-XANADU"}
        ),
        "price_quote": Row(
            "POST",
            "/pricing/quote",
            SIGNED_IN,
            {"store": "MAD-XANADU", "lines": [{"sku": "TEA", "quantity": 1}]},
        ),
        # -- recommendations: for a store's own stock
        "bought_together": Row(
            "GET",
            "/recommendations/bought-together/EARBUDS",
            MADRID_STAFF | MADRID_DEVICES,
            query={"store": "MAD-XANADU"},
        ),
        "for_you": Row(
            "POST",
            "/recommendations/for-you",
            MADRID_STAFF | MADRID_DEVICES,
            {"store": "MAD-XANADU", "member_qr": r["member_qr"]},
        ),
        "popular": Row(
            "GET", "/recommendations/popular", MADRID_STAFF | MADRID_DEVICES, query={"store": "MAD-XANADU"}
        ),
        # -- webhooks: the chain's integrations
        "create_webhook": Row(
            "POST", "/webhooks", ADMIN, {"url": "https://shop.example/hook", "event_types": ["order.*"]}
        ),
        "list_webhooks": Row("GET", "/webhooks", ADMIN),
        "get_webhook": Row("GET", f"/webhooks/{r['webhook']}", ADMIN),
        "delete_webhook": Row("DELETE", f"/webhooks/{r['spare_webhook']}", ADMIN),
        "pause_webhook": Row("POST", f"/webhooks/{r['webhook']}/pause", ADMIN),
        "resume_webhook": Row("POST", f"/webhooks/{r['webhook']}/resume", ADMIN),
        "list_webhook_deliveries": Row("GET", f"/webhooks/{r['webhook']}/deliveries", ADMIN),
        "get_webhook_delivery": Row("GET", f"/webhooks/{r['webhook']}/deliveries/1", ADMIN),
        "replay_webhook_delivery": Row("POST", f"/webhooks/{r['webhook']}/deliveries/1/replay", ADMIN),
        "ping_webhook": Row("POST", f"/webhooks/{r['webhook']}/test", ADMIN),
    }


def _madrid_resources(chain: Chain, session: Session) -> dict[str, Any]:
    """One of each Madrid resource the rows aim at, made through the API as a store would."""
    admin = chain.api("admin")
    admin_p = Principal("user", 1, "admin", None, "admin")
    kiosk = enrol_device(session, DeviceIn(store="MAD-XANADU", kind="kiosk", name="Kiosk 1"), admin_p)
    chain.tokens["kiosk.madrid"] = pair_device(session, PairIn(code=kiosk["pairing_code"]))["token"]
    spare = enrol_device(session, DeviceIn(store="MAD-XANADU", kind="printer", name="Spare"), admin_p)
    session.commit()
    member = (
        chain.api("cashier.madrid")
        .post("/customers", json={"name": "Lucía", "phone": "+34600111222"})
        .json["number"]
    )
    order = admin.post(
        "/orders",
        json={"fulfilment": "pickup", "store": "MAD-XANADU", "lines": [{"sku": "EARBUDS", "quantity": 1}]},
    ).json
    total = 4999
    sale = {
        "uuid": str(uuid.uuid4()),
        "occurred_at": datetime.now(UTC).isoformat(),
        "lines": [{"sku": "EARBUDS", "quantity": 1, "unit_price": total}],
        "tenders": [{"kind": "card", "amount": total}],
        "total": total,
    }
    assert chain.api("till.madrid").post("/sync/sales", json={"sales": [sale]}).json["accepted"] == 1
    transfer = (
        chain.api("manager.madrid")
        .post(
            "/inventory/transfers",
            json={
                "from_location": "MAD-XANADU",
                "to_location": "SHA-JINQIAO",
                "lines": [{"sku": "EARBUDS", "quantity": 1}],
            },
        )
        .json["number"]
    )
    payment = (
        chain.api("cashier.madrid")
        .post(
            "/payments",
            json={"tender": "cash", "sale_uuid": str(uuid.uuid4()), "amount": 500, "tendered": 500},
        )
        .json["id"]
    )
    promotion = admin.post(
        "/promotions",
        json={
            "rule": {
                "id": "madrid-tea",
                "kind": "percent_off",
                "percent": "10",
                "locations": ["MAD-XANADU"],
                "target": {"kind": "skus", "values": ["TEA"]},
                "name": {"en": "Tea"},
            }
        },
    ).json["code"]
    webhooks = [
        admin.post("/webhooks", json={"url": "https://shop.example/hook", "event_types": ["order.*"]}).json[
            "id"
        ]
        for _ in range(2)
    ]
    spare_token = chain.api().post("/auth/tokens", json={"username": "manager.madrid", "password": PASSWORD})
    spare_token_id = next(
        t["id"]
        for t in chain.api("admin").get("/auth/tokens", user="manager.madrid").json
        if t["label"] == "api sign-in"
    )
    assert spare_token.status_code == 201
    session_uuid = str(uuid.uuid4())
    z_report = {
        "uuid": session_uuid,
        "till": "till.madrid",
        "opened_at": datetime.now(UTC).isoformat(),
        "closed_at": datetime.now(UTC).isoformat(),
        "currency": "EUR",
        "float": 0,
        "sales_count": 0,
        "returns_count": 0,
        "expected_cash": 0,
        "counted_cash": 0,
        "difference": 0,
    }
    assert chain.api("till.madrid").post("/sync/cash-sessions", json=z_report).status_code == 200
    location_doc = {k: v for k, v in admin.get("/locations/MAD-XANADU").json.items() if k != "code"}
    return {
        "member": member,
        "member_qr": admin.post(f"/customers/{member}/member-qr").json["payload"],
        "order": order["number"],
        "pickup_qr": order["pickup_qr"],
        "sale": sale["uuid"],
        "transfer": transfer,
        "payment": payment,
        "promotion": promotion,
        "webhook": webhooks[0],
        "spare_webhook": webhooks[1],
        "spare_device": spare["id"],
        "spare_token": spare_token_id,
        "z_report": z_report,
        "location_doc": location_doc,
    }


@pytest.fixture
def matrix(app: Flask, session: Session) -> tuple[Chain, dict[str, Row]]:
    chain = build_chain(app, session)
    return chain, _rows(_madrid_resources(chain, session))


def _call(chain: Chain, caller: str, row: Row) -> int:
    api = chain.api(None if caller == "anonymous" else caller)
    send: Callable[..., Any] = getattr(api.client, row.method.lower())
    return send(
        "/api/v1" + row.path, json=row.body, query_string=row.query, headers=api._headers(None)
    ).status_code


def test_every_operation_answers_every_caller_as_the_table_says(
    app: Flask, matrix: tuple[Chain, dict[str, Row]]
) -> None:
    chain, rows = matrix
    document = chain.app.test_client().get("/api/v1/openapi.json").json
    operations = {
        op["operationId"]: (method.upper(), op.get("x-roles"))
        for ops in document["paths"].values()
        for method, op in ops.items()
    }
    assert set(operations) == set(rows), (
        f"operations without a row: {sorted(set(operations) - set(rows))}; "
        f"rows without an operation: {sorted(set(rows) - set(operations))}"
    )
    wrong = []
    # Ending sign-ins last: every caller needs its token for the other rows.
    order = sorted(rows, key=lambda name: name in ("sign_out", "revoke_token"))
    for name in order:
        row = rows[name]
        assert operations[name][0] == row.method, name
        for caller in CALLERS:
            status = _call(chain, caller, row)
            if status >= 500 and not (row.gateway and status == 503 and caller in (row.allowed or ())):
                wrong.append(f"{name} by {caller}: {status}")
            elif row.allowed is None:
                if status == 403:
                    wrong.append(f"{name} by {caller}: 403 on a public operation")
            elif caller in row.allowed:
                if status in (401, 403):
                    wrong.append(f"{name} by {caller}: refused ({status}), the table allows it")
            elif status not in ((401, 403, 404) if row.hidden else (401, 403)):
                wrong.append(f"{name} by {caller}: {status}, the table refuses it")
    assert wrong == [], "\n".join(wrong)
